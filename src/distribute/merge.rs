//! Merging part files: coverage and fingerprints checked, units put back in the
//! one-machine order, and the one-machine reducers called on them.

use super::part::{index_part, load_unit, UnitLoc, PART_EXTENSION};
use super::plan::{Kind, Plan, Resolved};
use super::DistributeError;
use crate::experiment::compare::{experiment_of, focus_workload, reduce_variant, Experiment};
use crate::experiment::replications::{gather, Replications};
use crate::experiment::seeds::{classify_runs, focus_flow_name, seed_sweep_of, SeedPoint};
use crate::experiment::sweep::{sweep_of, sweep_point, Sweep};
use crate::Error;
use std::path::{Path, PathBuf};

/// What a merge reduces to: what the one-machine command would have computed.
pub enum Merged {
    /// A `run` or `compare`.
    Experiment(Experiment),
    /// A `sweep`.
    Sweep(Sweep),
    /// A `sweep --seeds`.
    Seeds(crate::experiment::seeds::SeedSweep),
}

/// Part files named by `paths`: files as given, directories for every `*.part` file
/// in them (sorted by name). With `skip_absent`, a path that does not exist is left
/// out (an unmatched shell glob, for `--missing`).
pub fn part_files(paths: &[PathBuf], skip_absent: bool) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| DistributeError::PartUnreadable {
                file: p.display().to_string(),
                message: e.to_string(),
            })?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().is_some_and(|x| x == PART_EXTENSION)
                        && !f
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            found.sort();
            out.extend(found);
        } else if !skip_absent || p.exists() {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Where every unit of `plan` is, from `parts` (checked against the plan; a unit found
/// twice must have the same bytes). `None` for a unit no part holds.
pub fn locate_units(plan: &Plan, parts: &[PathBuf]) -> Result<Vec<Option<UnitLoc>>, Error> {
    let n = usize::try_from(plan.units).unwrap_or(usize::MAX);
    let mut at: Vec<Option<UnitLoc>> = Vec::new();
    at.resize_with(n, || None);
    for path in parts {
        let idx = index_part(plan, path)?;
        for (k, loc) in idx.units {
            let slot = &mut at[k as usize];
            match slot {
                Some(prev) if prev.sha256 != loc.sha256 => {
                    return Err(DistributeError::DuplicateDiffers {
                        unit: k,
                        first: prev.file.display().to_string(),
                        second: loc.file.display().to_string(),
                    }
                    .into())
                }
                Some(_) => {}
                None => *slot = Some(loc),
            }
        }
    }
    Ok(at)
}

/// The shards of `plan` that own a unit missing from `at`, in order.
pub fn missing_shards(plan: &Plan, at: &[Option<UnitLoc>]) -> Vec<u32> {
    let mut shards: Vec<u32> = at
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_none())
        .map(|(k, _)| plan.shard_of(k as u64))
        .collect();
    shards.sort_unstable();
    shards.dedup();
    shards
}

/// Indices as `sbatch --array=` takes them: `0,3-5,9`.
pub fn array_ranges(indices: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let start = indices[i];
        let mut end = start;
        while i + 1 < indices.len() && indices[i + 1] == end + 1 {
            end += 1;
            i += 1;
        }
        out.push(if end == start {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

/// Merges `parts` of `plan` (read from `plan_file`, resolved as `resolved`): every unit
/// present, then reduced exactly as the one-machine command reduces them.
pub fn merge(
    plan: &Plan,
    plan_file: &str,
    resolved: &Resolved,
    parts: &[PathBuf],
) -> Result<Merged, Error> {
    let at = locate_units(plan, parts)?;
    let missing = missing_shards(plan, &at);
    if !missing.is_empty() {
        return Err(DistributeError::Missing {
            file: plan_file.to_string(),
            units: at.iter().filter(|l| l.is_none()).count() as u64,
            shards: array_ranges(&missing),
        }
        .into());
    }
    let locs: Vec<UnitLoc> = at.into_iter().flatten().collect();
    // Unit numbers of each (point, variant) in order: the plan's own enumeration.
    let mut first_unit = Vec::with_capacity(plan.points.len());
    let mut k = 0usize;
    for p in &plan.points {
        first_unit.push(k);
        k += p.variants.len() * p.replications as usize;
    }
    // A variant's units are loaded in parallel, each one's distributions merged as it
    // is read: a merge keeps what the one-machine run keeps, not every unit's
    // histograms.
    let variant_units = |point: usize, variant: usize| -> Result<Replications, Error> {
        let r = plan.points[point].replications as usize;
        let start = first_unit[point] + variant * r;
        let (_, sc) = &resolved.points[point].variants[variant];
        gather(sc, locs[start..start + r].iter().collect(), |l| {
            let d = load_unit(l)?;
            Ok::<_, Error>((d.run, d.traced))
        })
    };
    match (plan.kind, plan.seeds) {
        (Kind::Run | Kind::Compare, _) => {
            let point = &resolved.points[0];
            Ok(Merged::Experiment(reduce_point(point, &|v| {
                variant_units(0, v)
            })?))
        }
        (Kind::Sweep, None) => {
            let mut points = Vec::with_capacity(resolved.points.len());
            for (i, point) in resolved.points.iter().enumerate() {
                let exp = reduce_point(point, &|v| variant_units(i, v))?;
                points.push(sweep_point(
                    &resolved.params,
                    plan.points[i].index.clone(),
                    &point.scenario,
                    exp,
                ));
            }
            Ok(Merged::Sweep(sweep_of(
                &resolved.shown.name,
                resolved.params.clone(),
                points,
            )))
        }
        (Kind::Sweep, Some(seeds)) => {
            let mut points = Vec::with_capacity(resolved.points.len());
            for (i, point) in resolved.points.iter().enumerate() {
                let mut per_variant = Vec::with_capacity(point.variants.len());
                for (v, (name, sc)) in point.variants.iter().enumerate() {
                    let reps = variant_units(i, v)?;
                    let verdicts = classify_runs(sc, reps.runs.iter());
                    per_variant.push((name.clone(), verdicts));
                }
                points.push(SeedPoint {
                    index: plan.points[i].index.clone(),
                    variants: per_variant,
                    flow: focus_flow_name(&point.scenario),
                });
            }
            Ok(Merged::Seeds(seed_sweep_of(
                &resolved.shown.name,
                resolved.params.clone(),
                (seeds.first, seeds.last),
                points,
            )))
        }
    }
}

/// One point's experiment from its units, variant by variant.
fn reduce_point(
    point: &super::plan::ResolvedPoint,
    units: &dyn Fn(usize) -> Result<Replications, Error>,
) -> Result<Experiment, Error> {
    let focus = focus_workload(&point.scenario);
    let mut variants = Vec::with_capacity(point.variants.len());
    for (v, (name, sc)) in point.variants.iter().enumerate() {
        variants.push(reduce_variant(name, sc, focus, units(v)?));
    }
    Ok(experiment_of(&point.scenario, variants))
}

/// `path` as a `String` for messages.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::array_ranges;

    #[test]
    fn ranges_collapse_runs() {
        assert_eq!(array_ranges(&[1, 4, 5, 6]), "1,4-6");
        assert_eq!(array_ranges(&[0]), "0");
        assert_eq!(array_ranges(&[]), "");
        assert_eq!(array_ranges(&[2, 3, 7, 9, 10]), "2-3,7,9-10");
    }
}
