//! A plan: an experiment resolved into its work units, ready to be sharded.
//!
//! A `run` or `compare` is one point; a `sweep` is one point per combination of its
//! `--set` values (first parameter fastest), and with `--seeds A..B` one point per
//! combination and seed. Each point has its variants (`[compare]`, or the scenario as
//! written) and each variant its replications. The units are numbered in that order,
//! point by point, variant by variant, replication by replication: the order in which
//! the one-machine path runs and reduces them. Unit `k` belongs to shard `k mod N`
//! (strided, so that the slow points of a sweep, near saturation, spread over all
//! shards).
//!
//! The plan embeds every point's resolved scenario text, the command-line overrides and
//! the one-machine command line (the report shows it), and a fingerprint: SHA-256 of
//! all of that, of the archsim version, and of every compiled point (so that a model
//! or data file the scenario reads that differs on a node is caught, not silently run).

use super::DistributeError;
use crate::experiment::compare::{variants, Tracing};
use crate::experiment::sweep::{Param, SWEEP_TRACING};
use crate::spec::edit::{parse_set, sweep_point_texts};
use crate::spec::{load_str, load_with, Overrides};
use crate::{Error, Scenario};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Version of the plan file format.
pub const PLAN_FORMAT: u32 = 1;
/// Most shards a plan may have (a Slurm array is usually limited to far fewer).
pub const MAX_SHARDS: u32 = 1_000_000;
/// Most seeds `--seeds` may list.
pub const MAX_SEEDS: u64 = 100_000;
/// Most units a plan may hold.
pub const MAX_UNITS: u64 = 100_000_000;

/// What the plan reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `archsim run`.
    Run,
    /// `archsim compare`.
    Compare,
    /// `archsim sweep`.
    Sweep,
}

impl Kind {
    /// The subcommand's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Compare => "compare",
            Kind::Sweep => "sweep",
        }
    }
}

/// `--seeds FIRST..LAST`: every seed from FIRST to LAST, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seeds {
    /// First seed.
    pub first: u64,
    /// Last seed (included).
    pub last: u64,
}

impl Seeds {
    /// Parses `FIRST..LAST` (both included, FIRST <= LAST, at most [`MAX_SEEDS`]).
    pub fn parse(arg: &str) -> Result<Seeds, Error> {
        let bad = |m: &str| {
            Error::Spec(crate::spec::SpecError::Flag {
                flag: "--seeds".into(),
                message: format!("{m}, got `{arg}` (e.g. 0..199: 200 seeds)"),
            })
        };
        let (a, b) = arg
            .split_once("..")
            .ok_or_else(|| bad("expected FIRST..LAST"))?;
        let first: u64 = a
            .trim()
            .parse()
            .map_err(|_| bad("FIRST is not a whole number"))?;
        let last: u64 = b
            .trim()
            .parse()
            .map_err(|_| bad("LAST is not a whole number"))?;
        if last < first {
            return Err(bad("LAST is below FIRST"));
        }
        if last - first >= MAX_SEEDS {
            return Err(bad(&format!("at most {MAX_SEEDS} seeds")));
        }
        Ok(Seeds { first, last })
    }

    /// The seeds, in order.
    pub fn iter(self) -> impl Iterator<Item = u64> {
        self.first..=self.last
    }
}

/// One point of a plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanPoint {
    /// Index of each `--set` parameter's value (empty for `run` and `compare`).
    pub index: Vec<usize>,
    /// The seed of this point, with `--seeds` (it overrides `[simulation] seed`).
    pub seed: Option<u64>,
    /// The resolved scenario text (the `--set` values written in).
    pub text: String,
    /// Its variants, in order.
    pub variants: Vec<String>,
    /// Replications of each variant.
    pub replications: u32,
}

/// A plan (`archsim plan -o plan.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_FORMAT`].
    pub format: u32,
    /// The archsim version that planned it; shard and merge refuse another.
    pub archsim_version: String,
    /// What it reproduces.
    pub kind: Kind,
    /// The one-machine command line it stands for (the report shows it, followed by
    /// the merge's output flags).
    pub command: String,
    /// The scenario file as given.
    pub file: String,
    /// The scenario text as read.
    pub text: String,
    /// `--seed`, `--replications`, `--duration`, `--max-events`.
    pub overrides: Overrides,
    /// The `--set` arguments, as given.
    pub sets: Vec<String>,
    /// `--seeds`, if given.
    pub seeds: Option<Seeds>,
    /// The points, in order.
    pub points: Vec<PlanPoint>,
    /// Units in all.
    pub units: u64,
    /// Shards.
    pub shards: u32,
    /// SHA-256 (hex) of everything above and of every compiled point.
    pub fingerprint: String,
}

/// One work unit: a replication of a variant at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Index into [`Plan::points`].
    pub point: usize,
    /// Index into the point's variants.
    pub variant: usize,
    /// Replication (0-based).
    pub replication: u32,
}

/// What `archsim plan` is asked for.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// What to reproduce.
    pub kind: Kind,
    /// The scenario file as given (messages and the report name it so).
    pub file: &'a Path,
    /// Its text.
    pub text: &'a str,
    /// Command-line overrides.
    pub overrides: Overrides,
    /// `--set` arguments (sweeps).
    pub sets: Vec<String>,
    /// `--seeds` (sweeps).
    pub seeds: Option<Seeds>,
    /// Number of shards.
    pub shards: u32,
    /// The one-machine command line.
    pub command: String,
}

/// A plan's points compiled (by [`Plan::resolve`]).
pub struct Resolved {
    /// Per point: its scenario and its variants' scenarios.
    pub points: Vec<ResolvedPoint>,
    /// The `--set` parameters (sweeps).
    pub params: Vec<Param>,
    /// The scenario as the one-machine command shows it in its report (the file with
    /// the overrides; for `run` and `compare` the scenario run).
    pub shown: Scenario,
}

/// One point compiled.
pub struct ResolvedPoint {
    /// The point's scenario.
    pub scenario: Scenario,
    /// Its variants: name and scenario.
    pub variants: Vec<(String, Scenario)>,
}

fn flag(flag: &str, message: String) -> Error {
    Error::Spec(crate::spec::SpecError::Flag {
        flag: flag.into(),
        message,
    })
}

fn overrides_for(base: &Overrides, seed: Option<u64>) -> Overrides {
    let mut o = base.clone();
    if seed.is_some() {
        o.seed = seed;
    }
    o
}

/// Resolves `req` into a plan, with the same checks (and errors) as the one-machine
/// command.
pub fn make_plan(req: Request) -> Result<Plan, Error> {
    if req.shards == 0 || req.shards > MAX_SHARDS {
        return Err(flag(
            "--shards",
            format!("between 1 and {MAX_SHARDS}, got {}", req.shards),
        ));
    }
    if req.kind != Kind::Sweep && (!req.sets.is_empty() || req.seeds.is_some()) {
        return Err(flag(
            "--set/--seeds",
            format!("only with `plan sweep`, not `plan {}`", req.kind.name()),
        ));
    }
    let file = req.file;
    // Check the file itself first, so its own errors are not blamed on the flags.
    let base = load_str(req.text, file)?;
    if req.kind == Kind::Compare && base.compare.is_none() {
        return Err(Error::NoCompare {
            file: file.display().to_string(),
        });
    }
    let mut points: Vec<(Vec<usize>, Option<u64>, String, Scenario)> = Vec::new();
    match req.kind {
        Kind::Run | Kind::Compare => {
            let sc = load_with(req.text, file, &req.overrides)?;
            points.push((Vec::new(), None, req.text.to_string(), sc));
        }
        Kind::Sweep => {
            let params = req
                .sets
                .iter()
                .map(|s| parse_set(s))
                .collect::<Result<Vec<_>, _>>()?;
            let resolved = if params.is_empty() {
                // `--seeds` alone: the file as written is the only point.
                vec![(Vec::new(), req.text.to_string())]
            } else {
                sweep_point_texts(req.text, file, &params, &req.overrides)?
                    .into_iter()
                    .map(|p| (p.index, p.text))
                    .collect()
            };
            if params.is_empty() && req.seeds.is_none() {
                return Err(Error::Spec(crate::spec::SpecError::SetCount));
            }
            for (index, text) in resolved {
                match req.seeds {
                    None => {
                        let sc = load_with(&text, file, &req.overrides)?;
                        points.push((index, None, text, sc));
                    }
                    Some(seeds) => {
                        for seed in seeds.iter() {
                            let o = overrides_for(&req.overrides, Some(seed));
                            let sc = load_with(&text, file, &o)?;
                            points.push((index.clone(), Some(seed), text.clone(), sc));
                        }
                    }
                }
            }
        }
    }
    let mut units: u64 = 0;
    let mut plan_points = Vec::with_capacity(points.len());
    for (index, seed, text, sc) in &points {
        let names: Vec<String> = variants(sc).into_iter().map(|(n, _)| n).collect();
        units += names.len() as u64 * sc.sim.replications as u64;
        plan_points.push(PlanPoint {
            index: index.clone(),
            seed: *seed,
            text: text.clone(),
            variants: names,
            replications: sc.sim.replications,
        });
    }
    if units > MAX_UNITS {
        return Err(flag(
            "--seeds/--set",
            format!("the plan would hold {units} units, more than {MAX_UNITS}"),
        ));
    }
    let mut plan = Plan {
        format: PLAN_FORMAT,
        archsim_version: env!("CARGO_PKG_VERSION").to_string(),
        kind: req.kind,
        command: req.command,
        file: file.display().to_string(),
        text: req.text.to_string(),
        overrides: req.overrides,
        sets: req.sets,
        seeds: req.seeds,
        points: plan_points,
        units,
        shards: req.shards,
        fingerprint: String::new(),
    };
    let compiled: Vec<&Scenario> = points.iter().map(|p| &p.3).collect();
    plan.fingerprint = plan.digest(&compiled);
    Ok(plan)
}

impl Plan {
    /// SHA-256 (hex) of the plan without its fingerprint and of the compiled points.
    fn digest(&self, compiled: &[&Scenario]) -> String {
        let mut bare = self.clone();
        bare.fingerprint = String::new();
        let mut h = Sha256::new();
        h.update(b"archsim plan\n");
        h.update(serde_json::to_string(&bare).unwrap_or_default().as_bytes());
        for sc in compiled {
            // The compiled model (ids, distributions, resolved models and data files):
            // its Debug form holds every field, in declaration order (no hash maps).
            h.update(b"\npoint\n");
            h.update(format!("{sc:?}").as_bytes());
        }
        hex(&h.finalize())
    }

    /// The plan file's text (JSON, one line, newline-terminated).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads a plan file and checks its format and version (not yet its fingerprint:
    /// see [`Plan::resolve`]).
    pub fn read(path: &Path) -> Result<Plan, Error> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DistributeError::PlanUnreadable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Plan::parse(&text, &file)
    }

    /// [`Plan::read`] of a plan's text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Plan, Error> {
        #[derive(Deserialize)]
        struct Head {
            format: u32,
            archsim_version: String,
        }
        let unreadable = |message: String| DistributeError::PlanUnreadable {
            file: file.to_string(),
            message,
        };
        let head: Head =
            serde_json::from_str(text).map_err(|e| unreadable(one_line(&e.to_string())))?;
        if head.format != PLAN_FORMAT {
            return Err(unreadable(format!(
                "plan format {}, this archsim reads format {PLAN_FORMAT}",
                head.format
            ))
            .into());
        }
        if head.archsim_version != env!("CARGO_PKG_VERSION") {
            return Err(DistributeError::PlanVersion {
                file: file.to_string(),
                planned: head.archsim_version,
                this: env!("CARGO_PKG_VERSION").to_string(),
            }
            .into());
        }
        Ok(serde_json::from_str(text).map_err(|e| unreadable(one_line(&e.to_string())))?)
    }

    /// Compiles every point and checks the fingerprint against this archsim and the
    /// files the scenario reads here.
    pub fn resolve(&self, plan_file: &str) -> Result<Resolved, Error> {
        let mismatch = || DistributeError::PlanFingerprint {
            file: plan_file.to_string(),
        };
        let file = Path::new(&self.file);
        let mut points = Vec::with_capacity(self.points.len());
        let mut units: u64 = 0;
        for p in &self.points {
            let sc = load_with(&p.text, file, &overrides_for(&self.overrides, p.seed))?;
            let vs = variants(&sc);
            let names: Vec<&String> = vs.iter().map(|(n, _)| n).collect();
            if sc.sim.replications != p.replications
                || names != p.variants.iter().collect::<Vec<_>>()
            {
                return Err(mismatch().into());
            }
            units += vs.len() as u64 * p.replications as u64;
            points.push(ResolvedPoint {
                scenario: sc,
                variants: vs,
            });
        }
        let compiled: Vec<&Scenario> = points.iter().map(|p| &p.scenario).collect();
        if units != self.units || self.shards == 0 || self.digest(&compiled) != self.fingerprint {
            return Err(mismatch().into());
        }
        let params = self
            .sets
            .iter()
            .map(|s| parse_set(s))
            .collect::<Result<Vec<_>, _>>()?;
        let shown = match self.kind {
            Kind::Sweep => load_with(&self.text, file, &self.overrides)?,
            Kind::Run | Kind::Compare => match points.first() {
                Some(p) => p.scenario.clone(),
                None => return Err(mismatch().into()),
            },
        };
        Ok(Resolved {
            points,
            params,
            shown,
        })
    }

    /// How the one-machine path traces this plan's units.
    pub fn tracing(&self) -> Tracing {
        match self.kind {
            Kind::Run | Kind::Compare => Tracing::SlowestRequests,
            Kind::Sweep => SWEEP_TRACING,
        }
    }

    /// Every unit with its number, in order.
    pub fn units(&self) -> impl Iterator<Item = (u64, Unit)> + '_ {
        self.points
            .iter()
            .enumerate()
            .flat_map(|(point, p)| {
                (0..p.variants.len()).flat_map(move |variant| {
                    (0..p.replications).map(move |replication| Unit {
                        point,
                        variant,
                        replication,
                    })
                })
            })
            .zip(0u64..)
            .map(|(u, k)| (k, u))
    }

    /// The shard unit `k` belongs to.
    pub fn shard_of(&self, k: u64) -> u32 {
        (k % self.shards.max(1) as u64) as u32
    }

    /// The units of shard `index`, in order.
    pub fn shard_units(&self, index: u32) -> Vec<(u64, Unit)> {
        self.units()
            .filter(|&(k, _)| self.shard_of(k) == index)
            .collect()
    }

    /// The fingerprint's first 12 hex digits (names part files, shows in messages).
    pub fn short_fingerprint(&self) -> &str {
        self.fingerprint.get(..12).unwrap_or(&self.fingerprint)
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `message` on one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The plan-only options of `archsim plan` (each takes a value).
const PLAN_ONLY: &[&str] = &[
    "--shards", "-o", "--output", "--emit", "--parts", "--bin", "--cpus", "--image",
];

/// The one-machine command's arguments from `archsim plan`'s: `plan` and the plan-only
/// options (`--shards`, `-o/--output`, `--emit`, `--parts`, `--bin`, `--cpus`, `--image`, in any
/// of clap's spellings) dropped, everything else as typed. `args` excludes the
/// program name.
pub fn one_machine_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.iter().skip_while(|a| *a != "plan").skip(1);
    while let Some(a) = it.next() {
        if a == "--" {
            out.push(a.clone());
            out.extend(it.cloned());
            break;
        }
        if PLAN_ONLY.contains(&a.as_str()) {
            it.next();
            continue;
        }
        let joined = PLAN_ONLY.iter().any(|f| a.starts_with(&format!("{f}=")))
            || (a.starts_with("-o") && !a.starts_with("--"));
        if !joined {
            out.push(a.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn plan_only_options_are_dropped_in_every_spelling() {
        let args = s(&[
            "plan",
            "sweep",
            "f.toml",
            "--set",
            "a=1,2",
            "--shards",
            "3",
            "-o",
            "p.json",
            "-r",
            "2",
            "--emit=slurm",
            "-op2.json",
            "--output=x",
            "--parts",
            "d",
            "--seed",
            "7",
        ]);
        assert_eq!(
            one_machine_args(&args),
            s(&["sweep", "f.toml", "--set", "a=1,2", "-r", "2", "--seed", "7"])
        );
    }

    #[test]
    fn seeds_parse_inclusive_ranges() {
        let sd = Seeds::parse("0..199").unwrap();
        assert_eq!(sd.iter().count(), 200);
        assert!(Seeds::parse("5..1").is_err());
        assert!(Seeds::parse("x..1").is_err());
        assert!(Seeds::parse("1").is_err());
        assert!(Seeds::parse("0..100000").is_err());
    }
}
