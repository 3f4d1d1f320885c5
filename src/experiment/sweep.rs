//! Parameter sweeps: every point (a compiled scenario, built by
//! [`crate::spec::edit::sweep_points`] from `--set PATH=VALUES`) run like any
//! experiment (every `[compare]` variant at every point), and the saturation knees.
//!
//! The saturation knee of each variant is the first point (along the first parameter,
//! for each value of the second) where p99 response latency exceeds
//! [`KNEE_P99_FACTOR`] x its value at the first point, or goodput (requests still in
//! flight at the end counted as served) falls below [`KNEE_GOODPUT_SHARE`] of the
//! offered rate.

use super::compare::{run_experiment_with, total_replications, Experiment, Tracing};
use crate::model::{Arrivals, Scenario};
pub use crate::spec::edit::{Param, SetValue, MAX_POINTS};
use crate::Error;
use serde::Serialize;

/// A knee: p99 above this multiple of the first point's p99.
pub const KNEE_P99_FACTOR: f64 = 3.0;
/// A knee: goodput below this share of the offered rate.
pub const KNEE_GOODPUT_SHARE: f64 = 0.95;
/// One point of a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct SweepPoint {
    /// Index of each parameter's value.
    pub index: Vec<usize>,
    /// Each parameter's value label.
    pub settings: Vec<String>,
    /// Offered arrival rate of each flow (requests/s), when open-loop.
    pub offered: Vec<Option<f64>>,
    /// The results.
    pub experiment: Experiment,
}

/// The saturation knee of one variant (for one value of the second parameter).
#[derive(Clone, Debug, Serialize)]
pub struct Knee {
    /// Variant name.
    pub variant: String,
    /// Flow examined.
    pub flow: String,
    /// The second parameter's value label, if there are two parameters.
    pub group: Option<String>,
    /// The first parameter's value at the knee, if one was found.
    pub at: Option<String>,
    /// Its numeric position, if any.
    pub x: Option<f64>,
    /// Why it is the knee (or that none was found).
    pub reason: String,
}

/// A whole sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    /// Scenario name.
    pub scenario: String,
    /// archsim version.
    pub archsim_version: String,
    /// The parameters (one or two).
    pub params: Vec<Param>,
    /// Points in order: the first parameter varies fastest.
    pub points: Vec<SweepPoint>,
    /// Saturation knees.
    pub knees: Vec<Knee>,
}

/// The mean offered rate of each flow (requests/s), when open-loop.
pub fn offered_rates(sc: &Scenario) -> Vec<Option<f64>> {
    let dur = sc.sim.duration as f64;
    sc.workloads
        .iter()
        .map(|w| match &w.arrivals {
            Arrivals::Poisson { rate } | Arrivals::Constant { rate } => Some(*rate),
            Arrivals::Schedule(steps) => {
                let mut total = 0.0;
                for (i, &(at, rate)) in steps.iter().enumerate() {
                    let end = steps.get(i + 1).map_or(dur, |s| (s.0 as f64).min(dur));
                    total += rate * (end - (at as f64).min(dur)).max(0.0);
                }
                Some(total / dur)
            }
            Arrivals::Closed { .. } => None,
        })
        .collect()
}

/// Replications a sweep will run in all (for progress bars).
pub fn sweep_replications(points: &[(Vec<usize>, Scenario)]) -> u64 {
    points.iter().map(|(_, s)| total_replications(s)).sum()
}

/// Run every point (each with all its variants) and find the knees.
pub fn run_sweep(
    scenario_name: &str,
    params: Vec<Param>,
    points: Vec<(Vec<usize>, Scenario)>,
    tick: &(dyn Fn() + Sync),
) -> Result<Sweep, Error> {
    // Points in parallel too (each keeps its replications' metrics only until it is
    // reduced): with few replications per point the cores would otherwise idle.
    let out = super::in_order(points, |(index, sc)| {
        let experiment = run_experiment_with(&sc, SWEEP_TRACING, tick)?;
        Ok::<_, Error>(sweep_point(&params, index, &sc, experiment))
    })?;
    Ok(sweep_of(scenario_name, params, out))
}

/// Sweeps trace nothing: many points, no per-request tables.
pub const SWEEP_TRACING: Tracing = Tracing::Off;

/// Point `index` of a sweep over `params`, from its scenario and its experiment.
pub fn sweep_point(
    params: &[Param],
    index: Vec<usize>,
    sc: &Scenario,
    experiment: Experiment,
) -> SweepPoint {
    SweepPoint {
        settings: params
            .iter()
            .zip(&index)
            .map(|(p, &k)| p.values[k].label.clone())
            .collect(),
        index,
        offered: offered_rates(sc),
        experiment,
    }
}

/// The sweep of `points` (in sweep order), its knees found: the one reducer of the
/// one-machine path and of `archsim merge`.
pub fn sweep_of(scenario_name: &str, params: Vec<Param>, points: Vec<SweepPoint>) -> Sweep {
    let knees = knees(&params, &points);
    Sweep {
        scenario: scenario_name.to_string(),
        archsim_version: env!("CARGO_PKG_VERSION").to_string(),
        params,
        points,
        knees,
    }
}

/// Goodput, counting the requests still in flight at the end as served (they are
/// not lost, only late: without this, a slow flow would look saturated).
fn served(p: &SweepPoint, f: &crate::experiment::FlowSummary) -> f64 {
    let measured = p
        .experiment
        .variants
        .first()
        .map_or(0.0, |v| v.summary.duration_s - v.summary.warmup_s);
    if measured > 0.0 {
        f.goodput.mean + f.in_flight.mean / measured
    } else {
        f.goodput.mean
    }
}

/// The saturation knee of each variant, along the first parameter.
pub fn knees(params: &[Param], points: &[SweepPoint]) -> Vec<Knee> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let groups = params.get(1).map_or(1, |p| p.values.len());
    let mut out = Vec::new();
    for g in 0..groups {
        let row: Vec<&SweepPoint> = points
            .iter()
            .filter(|p| p.index.get(1).copied().unwrap_or(0) == g)
            .collect();
        for (vi, v) in first.experiment.variants.iter().enumerate() {
            let focus = first.experiment.focus_flow();
            let flow = v.summary.flows.get(focus).map_or("", |f| f.flow.as_str());
            let mut knee = None;
            let base = row
                .first()
                .and_then(|p| p.experiment.variants.get(vi))
                .and_then(|v| v.summary.flows.get(focus))
                .map(|f| f.latency.p99.mean);
            for p in &row {
                let Some(f) = p
                    .experiment
                    .variants
                    .get(vi)
                    .and_then(|v| v.summary.flows.get(focus))
                else {
                    continue;
                };
                let p99 = f.latency.p99.mean;
                let offered = p.offered.get(focus).copied().flatten();
                let reason = if base.is_some_and(|b| b > 0.0 && p99 > KNEE_P99_FACTOR * b) {
                    Some(format!(
                        "p99 {} > {KNEE_P99_FACTOR}x the first point's {}",
                        crate::kernel::format_duration(p99 * 1e6),
                        crate::kernel::format_duration(base.unwrap_or(0.0) * 1e6)
                    ))
                } else {
                    offered
                        .filter(|&o| served(p, f) < KNEE_GOODPUT_SHARE * o)
                        .map(|o| {
                            format!(
                                "goodput {:.1}/s < {:.0}% of the offered {o:.1}/s",
                                served(p, f),
                                KNEE_GOODPUT_SHARE * 100.0
                            )
                        })
                };
                if let Some(reason) = reason {
                    knee = Some((
                        p.settings[0].clone(),
                        params[0].values[p.index[0]].x,
                        reason,
                    ));
                    break;
                }
            }
            let group = params.get(1).map(|p| p.values[g].label.clone());
            out.push(match knee {
                Some((at, x, reason)) => Knee {
                    variant: v.name.clone(),
                    flow: flow.to_string(),
                    group,
                    at: Some(at),
                    x,
                    reason,
                },
                None => Knee {
                    variant: v.name.clone(),
                    flow: flow.to_string(),
                    group,
                    at: None,
                    x: None,
                    reason: "no knee in the swept range".into(),
                },
            });
        }
    }
    out
}
