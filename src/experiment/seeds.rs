//! Seeds as an axis (`sweep --seeds FIRST..LAST`): the probability that a run ends in
//! a bad state, estimated over many seeds, with a binomial confidence interval.
//!
//! **Went metastable** (the definition, README "Seeds as an axis"): a run went
//! metastable when, over the last tenth of its timeline intervals (at least one), the
//! failure rate of its focus flow (the compared flow, else the first) is above
//! [`METASTABLE_FAILURE_RATE`]: failed responses / responses in those intervals, and a
//! run that answered nothing there at all counts as failed. The scenario's trigger (a
//! fault) should end before that last tenth: a system that is still failing long after
//! its trigger is gone has not recovered by itself, which is what metastable means
//! (compare `stability.rs`, whose warnings judge means over replications; this judges
//! each run on its own counts, never on averages).
//!
//! Every (seed, replication) is one run; per point and variant the share of runs that
//! went metastable is reported with its 95% Wilson score interval (good coverage for
//! small counts and shares near 0 or 1, where the normal interval fails).

use super::compare::{focus_workload, run_replications_with, variants};
use super::sweep::Param;
use crate::metrics::RunMetrics;
use crate::model::Scenario;
use crate::Error;
use serde::Serialize;

/// Failure rate over the last tenth of the run above which a run went metastable.
pub const METASTABLE_FAILURE_RATE: f64 = 0.1;

/// Whether each run went metastable (see the module's definition), in order.
pub fn classify_runs<'a>(sc: &Scenario, runs: impl Iterator<Item = &'a RunMetrics>) -> Vec<bool> {
    let flow = focus_workload(sc).unwrap_or(0);
    runs.map(|r| went_metastable(r, flow)).collect()
}

/// Whether one run's flow `flow` ends failing (see the module's definition).
pub fn went_metastable(run: &RunMetrics, flow: usize) -> bool {
    let Some(intervals) = run.timeline.flows.get(flow) else {
        return false;
    };
    let n = intervals.len();
    let tail = (n / 10).max(1).min(n);
    let (mut responses, mut failed) = (0u64, 0u64);
    for i in &intervals[n - tail..] {
        responses += i.responses;
        failed += i.failed;
    }
    responses == 0 || failed as f64 > METASTABLE_FAILURE_RATE * responses as f64
}

/// One row: a point's variant over every seed.
#[derive(Clone, Debug, Serialize)]
pub struct SeedRow {
    /// Each `--set` parameter's value label (empty without `--set`).
    pub settings: Vec<String>,
    /// Variant name.
    pub variant: String,
    /// The flow judged.
    pub flow: String,
    /// Runs (seeds x replications).
    pub runs: u64,
    /// Runs that went metastable.
    pub metastable: u64,
    /// `metastable / runs`.
    pub probability: f64,
    /// 95% Wilson score interval of the probability: low end.
    pub ci_low: f64,
    /// ... and high end.
    pub ci_high: f64,
}

/// A `sweep --seeds`.
#[derive(Clone, Debug, Serialize)]
pub struct SeedSweep {
    /// Scenario name.
    pub scenario: String,
    /// archsim version.
    pub archsim_version: String,
    /// The `--set` parameters (may be none).
    pub params: Vec<Param>,
    /// First seed.
    pub first_seed: u64,
    /// Last seed (included).
    pub last_seed: u64,
    /// The failure-rate threshold of the definition.
    pub threshold: f64,
    /// Per point (in sweep order) and variant.
    pub rows: Vec<SeedRow>,
}

/// Two-sided 95% standard normal quantile.
fn z975() -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).map_or(1.959_963_984_540_054, |n| n.inverse_cdf(0.975))
}

/// The 95% Wilson score interval of `k` successes in `n` trials.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    // None or all: the interval reaches the end exactly (not a rounding away from it).
    let (none, all) = (k == 0, k == n);
    let (k, n) = (k as f64, n as f64);
    let z = z975();
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    let lo = if none { 0.0 } else { (center - half).max(0.0) };
    let hi = if all { 1.0 } else { (center + half).min(1.0) };
    (lo, hi)
}

/// One point-and-seed's runs: for each variant, whether each replication went
/// metastable.
pub struct SeedPoint {
    /// Index of each parameter's value.
    pub index: Vec<usize>,
    /// Per variant: name, and each replication's verdict.
    pub variants: Vec<(String, Vec<bool>)>,
    /// The flow judged.
    pub flow: String,
}

/// The table from every point-and-seed (in plan order: point by point, seed by
/// seed): the one reducer of the one-machine path and of `archsim merge`.
pub fn seed_sweep_of(
    scenario: &str,
    params: Vec<Param>,
    (first_seed, last_seed): (u64, u64),
    points: Vec<SeedPoint>,
) -> SeedSweep {
    let mut rows: Vec<SeedRow> = Vec::new();
    let mut keys: Vec<(Vec<usize>, String)> = Vec::new();
    for p in points {
        for (name, verdicts) in p.variants {
            let key = (p.index.clone(), name.clone());
            let at = match keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    keys.push(key);
                    rows.push(SeedRow {
                        settings: params
                            .iter()
                            .zip(&p.index)
                            .map(|(pa, &k)| pa.values[k].label.clone())
                            .collect(),
                        variant: name,
                        flow: p.flow.clone(),
                        runs: 0,
                        metastable: 0,
                        probability: 0.0,
                        ci_low: 0.0,
                        ci_high: 0.0,
                    });
                    rows.len() - 1
                }
            };
            rows[at].runs += verdicts.len() as u64;
            rows[at].metastable += verdicts.iter().filter(|&&m| m).count() as u64;
        }
    }
    for r in &mut rows {
        r.probability = super::stats::ratio(r.metastable, r.runs);
        (r.ci_low, r.ci_high) = wilson(r.metastable, r.runs);
    }
    SeedSweep {
        scenario: scenario.to_string(),
        archsim_version: env!("CARGO_PKG_VERSION").to_string(),
        params,
        first_seed,
        last_seed,
        threshold: METASTABLE_FAILURE_RATE,
        rows,
    }
}

/// The verdicts of one point-and-seed's scenario, every variant run (replications in
/// parallel).
pub fn run_seed_point(
    index: Vec<usize>,
    sc: &Scenario,
    tick: &(dyn Fn() + Sync),
) -> Result<SeedPoint, Error> {
    let mut out = Vec::new();
    for (name, vsc) in variants(sc) {
        let reps = run_replications_with(&vsc, tick)?;
        out.push((name, classify_runs(&vsc, reps.runs.iter())));
    }
    Ok(SeedPoint {
        index,
        variants: out,
        flow: focus_flow_name(sc),
    })
}

/// The name of the flow the verdicts judge.
pub fn focus_flow_name(sc: &Scenario) -> String {
    sc.workloads
        .get(focus_workload(sc).unwrap_or(0))
        .map_or(String::new(), |w| w.flow.clone())
}

/// Runs `sweep --seeds` on one machine: every point (`--set` combination, or the file
/// as written) at every seed, each with all its variants.
pub fn run_seed_sweep(
    scenario: &str,
    params: Vec<Param>,
    points: Vec<(Vec<usize>, Scenario)>,
    seeds: (u64, u64),
    tick: &(dyn Fn() + Sync),
) -> Result<SeedSweep, Error> {
    // Every (point, seed) at once: with `-r 1`, the usual choice, the replications
    // alone would leave all cores but one idle.
    let mut units = Vec::new();
    for (index, sc) in &points {
        for seed in seeds.0..=seeds.1 {
            units.push((index, sc, seed));
        }
    }
    let out = super::in_order(units, |(index, sc, seed)| {
        let mut s = sc.clone();
        s.sim.seed = seed;
        run_seed_point(index.clone(), &s, tick)
    })?;
    Ok(seed_sweep_of(scenario, params, seeds, out))
}

#[cfg(test)]
mod tests {
    use super::wilson;

    #[test]
    fn wilson_matches_known_values() {
        // 95 of 200: 0.475, Wilson [0.4065, 0.5444].
        let (lo, hi) = wilson(95, 200);
        assert!(
            (lo - 0.4065).abs() < 5e-4 && (hi - 0.5444).abs() < 5e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 5e-4, "{hi}");
        let (lo, hi) = wilson(10, 10);
        assert!((lo - 0.7225).abs() < 5e-4 && hi == 1.0, "{lo}");
    }
}
