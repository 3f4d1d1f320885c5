//! What can go wrong between a plan, its shards and their merge: one line each, naming
//! the file.

/// A plan or part file that cannot be used, or a merge that cannot be completed.
#[derive(Debug, thiserror::Error)]
pub enum DistributeError {
    /// The plan file could not be read or is not a plan: give the file `archsim plan -o`
    /// wrote.
    #[error("{file}: not a readable archsim plan: {message}")]
    PlanUnreadable {
        /// The plan file.
        file: String,
        /// Why.
        message: String,
    },
    /// The plan was made by another archsim version: plan, shard and merge with one
    /// version (results may differ between versions).
    #[error("{file}: planned with archsim {planned}, this is archsim {this}; plan again with this version")]
    PlanVersion {
        /// The plan file.
        file: String,
        /// Version that wrote it.
        planned: String,
        /// This version.
        this: String,
    },
    /// The plan's contents, or the model and data files its scenario reads, are not what
    /// they were when it was planned: plan again.
    #[error("{file}: the plan does not match its fingerprint (edited, or a model or data file it reads changed since it was planned); plan again")]
    PlanFingerprint {
        /// The plan file.
        file: String,
    },
    /// The shard index or count given does not fit the plan.
    #[error("{file}: {message}")]
    ShardIndex {
        /// The plan file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A part file could not be read or is not a part file.
    #[error("{file}: not a readable archsim part file: {message}")]
    PartUnreadable {
        /// The part file.
        file: String,
        /// Why.
        message: String,
    },
    /// A part file's content does not match its checksum: it was truncated or
    /// corrupted; delete it and run its shard again.
    #[error("{file}: checksum mismatch (corrupted or truncated part file); delete it and run its shard again")]
    PartCorrupt {
        /// The part file.
        file: String,
    },
    /// A part file was written by another archsim version: run its shard again with
    /// this version.
    #[error("{file}: written by archsim {written}, this is archsim {this}; run its shard again with this version")]
    PartVersion {
        /// The part file.
        file: String,
        /// Version that wrote it.
        written: String,
        /// This version.
        this: String,
    },
    /// A part file belongs to another plan (another input, other flags).
    #[error("{file}: part of another plan (fingerprint {found}, this plan's is {expected}); give the parts of this plan only")]
    PartPlan {
        /// The part file.
        file: String,
        /// Its fingerprint (short).
        found: String,
        /// The plan's (short).
        expected: String,
    },
    /// A part file holds units that its shard does not own, or out of the plan's range.
    #[error("{file}: {message}")]
    PartUnits {
        /// The part file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Two part files hold different results for one unit (a deterministic run cannot
    /// do that: one of them was produced differently).
    #[error("{second}: unit {unit} differs from the same unit in {first}")]
    DuplicateDiffers {
        /// The unit index.
        unit: u64,
        /// The file seen first.
        first: String,
        /// The file seen second.
        second: String,
    },
    /// Some shards' parts were not given: run them (`archsim merge --missing` lists
    /// them in the form `sbatch --array=` takes).
    #[error("{file}: {units} unit(s) missing, from shard(s) {shards}; run them (e.g. sbatch --array={shards}) and merge again")]
    Missing {
        /// The plan file.
        file: String,
        /// Units missing.
        units: u64,
        /// Shards that have missing units, as `1,4-6`.
        shards: String,
    },
}
