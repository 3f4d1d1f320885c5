//! Part files: what one shard writes, and reading them back.
//!
//! A part file is two lines of JSON. The first is a header: format, archsim version,
//! plan fingerprint, shard index and count, number of units, and the SHA-256 of the
//! second line. The second (the body) repeats the header's fields and lists the
//! shard's units in order, each as `{"unit": k, "data": {"run": ..., "traced": ...}}`:
//! the unit's raw [`RunMetrics`] (exact counters, u128 sums, histogram buckets,
//! per-interval figures of that one replication) and, for replication 0 of a `run` or
//! `compare`, its traced critical paths. Nothing is averaged across units, so merging
//! reduces exactly what one machine reduces.
//!
//! The header is checked first (so a part of another plan or version says so), then
//! the checksum (so corruption anywhere in the body is caught before parsing), then the
//! body's copy of the header. Same plan, same shard: same bytes, so a rerun rewrites
//! the file identically; it is written to a temporary file and renamed into place.

use super::plan::{hex, one_line, Plan, Resolved};
use super::DistributeError;
use crate::experiment::compare::run_unit;
use crate::metrics::paths::Traced;
use crate::metrics::RunMetrics;
use crate::Error;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the part file format.
pub const PART_FORMAT: u32 = 3;
/// Extension of part files (`merge` reads every `*.part` of a directory).
pub const PART_EXTENSION: &str = "part";

/// The fields a part's header and body share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartHead {
    /// [`PART_FORMAT`].
    pub format: u32,
    /// The archsim version that wrote it.
    pub archsim_version: String,
    /// The plan's fingerprint.
    pub fingerprint: String,
    /// Shard index (0-based).
    pub shard: u32,
    /// Shards of the plan.
    pub shards: u32,
    /// Units in the part.
    pub units: u64,
}

#[derive(Serialize, Deserialize)]
struct Header {
    head: PartHead,
    /// SHA-256 (hex) of the body line.
    sha256: String,
}

#[derive(Serialize)]
struct BodyOut<'a> {
    head: &'a PartHead,
    units: Vec<UnitOut>,
}

#[derive(Serialize)]
struct UnitOut {
    unit: u64,
    data: Box<RawValue>,
}

#[derive(Deserialize)]
struct BodyIn<'a> {
    head: PartHead,
    #[serde(borrow)]
    units: Vec<UnitIn<'a>>,
}

#[derive(Deserialize)]
struct UnitIn<'a> {
    unit: u64,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// One unit's results, as a part file holds them.
#[derive(Serialize, Deserialize)]
pub struct UnitData {
    /// The replication's metrics.
    pub run: RunMetrics,
    /// Its traced paths (replication 0 of a `run` or `compare`).
    pub traced: Option<Traced>,
}

/// The file name of shard `index`'s part.
pub fn part_name(plan: &Plan, index: u32) -> String {
    format!(
        "shard-{index}-of-{}-{}.{PART_EXTENSION}",
        plan.shards,
        plan.short_fingerprint()
    )
}

/// Checks `index` (and `of`, if given) against the plan.
pub fn check_index(plan: &Plan, plan_file: &str, index: u32, of: Option<u32>) -> Result<(), Error> {
    let bad = |message: String| DistributeError::ShardIndex {
        file: plan_file.to_string(),
        message,
    };
    if let Some(of) = of.filter(|&of| of != plan.shards) {
        return Err(bad(format!(
            "--of {of} but the plan has {} shards (--of must equal the plan's count)",
            plan.shards
        ))
        .into());
    }
    if index >= plan.shards {
        return Err(bad(format!(
            "--index {index} out of range: the plan has {} shards, 0..={}",
            plan.shards,
            plan.shards.saturating_sub(1)
        ))
        .into());
    }
    Ok(())
}

/// Runs the units of shard `index` (in parallel, across units) and returns its part
/// file's text.
pub fn run_shard(
    plan: &Plan,
    resolved: &Resolved,
    index: u32,
    tick: &(dyn Fn() + Sync),
) -> Result<String, Error> {
    let units = plan.shard_units(index);
    let tracing = plan.tracing();
    let data = units
        .par_iter()
        .map(|&(k, u)| {
            let sc = &resolved.points[u.point].variants[u.variant].1;
            let (run, traced) = run_unit(sc, u.replication, tracing)?;
            tick();
            let json = serde_json::to_string(&UnitData { run, traced })
                .map_err(|e| Error::Output(PathBuf::from("part"), std::io::Error::other(e)))?;
            let data = RawValue::from_string(json)
                .map_err(|e| Error::Output(PathBuf::from("part"), std::io::Error::other(e)))?;
            Ok(UnitOut { unit: k, data })
        })
        .collect::<Vec<Result<UnitOut, Error>>>();
    let mut out = Vec::with_capacity(data.len());
    for d in data {
        out.push(d?);
    }
    let head = PartHead {
        format: PART_FORMAT,
        archsim_version: env!("CARGO_PKG_VERSION").to_string(),
        fingerprint: plan.fingerprint.clone(),
        shard: index,
        shards: plan.shards,
        units: out.len() as u64,
    };
    let body = serde_json::to_string(&BodyOut {
        head: &head,
        units: out,
    })
    .map_err(|e| Error::Output(PathBuf::from("part"), std::io::Error::other(e)))?;
    let header = serde_json::to_string(&Header {
        head,
        sha256: hex(&Sha256::digest(body.as_bytes())),
    })
    .map_err(|e| Error::Output(PathBuf::from("part"), std::io::Error::other(e)))?;
    Ok(format!("{header}\n{body}\n"))
}

/// Writes `text` as `dir/name` atomically: a temporary file in `dir`, flushed to disk,
/// then renamed over the final name (a reader never sees half a part).
pub fn write_atomically(dir: &Path, name: &str, text: &str) -> Result<PathBuf, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Output(dir.to_path_buf(), e))?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Output(tmp, e));
    }
    std::fs::rename(&tmp, &path).map_err(|e| Error::Output(path.clone(), e))?;
    Ok(path)
}

/// Where a unit's data sits in a part file.
#[derive(Clone, Debug)]
pub struct UnitLoc {
    /// The part file.
    pub file: PathBuf,
    /// Byte offset of the unit's `data` in it.
    pub offset: usize,
    /// Its length in bytes.
    pub len: usize,
    /// SHA-256 of those bytes (duplicates are compared by it).
    pub sha256: [u8; 32],
}

/// A part file checked against its plan: its header and where each unit is.
pub struct PartIndex {
    /// The header.
    pub head: PartHead,
    /// `(unit, location)` in order.
    pub units: Vec<(u64, UnitLoc)>,
}

/// Reads and checks part file `path` against `plan`: header, version, fingerprint,
/// checksum, and that every unit belongs to the part's shard.
pub fn index_part(plan: &Plan, path: &Path) -> Result<PartIndex, Error> {
    let file = path.display().to_string();
    let unreadable = |message: String| DistributeError::PartUnreadable {
        file: file.clone(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let (header, rest) = text
        .split_once('\n')
        .ok_or_else(|| unreadable("no header line".into()))?;
    let header: Header = serde_json::from_str(header)
        .map_err(|e| unreadable(format!("header: {}", one_line(&e.to_string()))))?;
    let head = header.head;
    if head.format != PART_FORMAT {
        return Err(unreadable(format!(
            "part format {}, this archsim reads format {PART_FORMAT}",
            head.format
        ))
        .into());
    }
    if head.archsim_version != env!("CARGO_PKG_VERSION") {
        return Err(DistributeError::PartVersion {
            file,
            written: head.archsim_version,
            this: env!("CARGO_PKG_VERSION").to_string(),
        }
        .into());
    }
    if head.fingerprint != plan.fingerprint {
        return Err(DistributeError::PartPlan {
            file,
            found: head.fingerprint.chars().take(12).collect(),
            expected: plan.short_fingerprint().to_string(),
        }
        .into());
    }
    let body = rest.strip_suffix('\n').unwrap_or(rest);
    if hex(&Sha256::digest(body.as_bytes())) != header.sha256 {
        return Err(DistributeError::PartCorrupt { file }.into());
    }
    let parsed: BodyIn = serde_json::from_str(body)
        .map_err(|e| unreadable(format!("body: {}", one_line(&e.to_string()))))?;
    if parsed.head != head || parsed.units.len() as u64 != head.units {
        return Err(DistributeError::PartCorrupt { file }.into());
    }
    let units_err = |message: String| DistributeError::PartUnits {
        file: file.clone(),
        message,
    };
    if head.shards != plan.shards || head.shard >= plan.shards {
        return Err(units_err(format!(
            "shard {} of {}, but the plan has {} shards",
            head.shard, head.shards, plan.shards
        ))
        .into());
    }
    let base = text.as_ptr() as usize;
    let mut units = Vec::with_capacity(parsed.units.len());
    let mut last = None;
    for u in &parsed.units {
        if u.unit >= plan.units || plan.shard_of(u.unit) != head.shard {
            return Err(units_err(format!(
                "unit {} is not one of shard {}'s",
                u.unit, head.shard
            ))
            .into());
        }
        if last.is_some_and(|l| u.unit <= l) {
            return Err(units_err(format!("unit {} out of order", u.unit)).into());
        }
        last = Some(u.unit);
        let raw = u.data.get();
        units.push((
            u.unit,
            UnitLoc {
                file: path.to_path_buf(),
                offset: raw.as_ptr() as usize - base,
                len: raw.len(),
                sha256: Sha256::digest(raw.as_bytes()).into(),
            },
        ));
    }
    Ok(PartIndex { head, units })
}

/// Loads one unit's data from its part file (checked against the hash taken when the
/// part was indexed).
pub fn load_unit(loc: &UnitLoc) -> Result<UnitData, Error> {
    use std::io::{Read, Seek, SeekFrom};
    let file = loc.file.display().to_string();
    let unreadable = |message: String| DistributeError::PartUnreadable {
        file: file.clone(),
        message,
    };
    let mut f = std::fs::File::open(&loc.file).map_err(|e| unreadable(e.to_string()))?;
    let mut bytes = vec![0u8; loc.len];
    f.seek(SeekFrom::Start(loc.offset as u64))
        .and_then(|_| f.read_exact(&mut bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    let sha: [u8; 32] = Sha256::digest(&bytes).into();
    if sha != loc.sha256 {
        return Err(DistributeError::PartCorrupt { file }.into());
    }
    Ok(serde_json::from_slice(&bytes)
        .map_err(|e| unreadable(format!("unit: {}", one_line(&e.to_string()))))?)
}
