//! Distribution: an experiment as a list of work units, spread over many machines by
//! an external scheduler (Slurm job arrays, Kubernetes Indexed Jobs, GNU parallel) and
//! merged back into the very bytes one machine writes.
//!
//! - [`plan`]: `archsim plan` resolves a `run`, `compare` or `sweep` into a [`plan::Plan`]:
//!   the resolved scenario texts, the units (point, variant, replication) in the
//!   one-machine order, a shard count and a fingerprint.
//! - [`part`]: `archsim shard` runs the units of one shard (unit `k` belongs to shard
//!   `k mod N`) and writes one part file: the raw metrics of each unit (exact counters,
//!   histogram buckets, timelines, traced paths), never an average.
//! - [`merge`]: `archsim merge` checks the parts against the plan, puts the units back
//!   in order and calls the one-machine reducers and writers.
//! - [`emit`]: ready job scripts for the three schedulers.
//! - [`codec`]: serde forms of histograms and maps that JSON has no form for.
//!
//! Architecture invariant: archsim never coordinates. A shard reads only the plan and
//! writes only its part file; a merge reads only the plan and the parts.

pub mod codec;
pub mod emit;
mod error;
pub mod merge;
pub mod outputs;
pub mod part;
pub mod plan;

pub use error::DistributeError;
