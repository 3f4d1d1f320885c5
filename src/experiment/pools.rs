//! Per client connection pool: utilization, waits and exhaustion over replications.

use super::stats::{ratio, Estimate};
use crate::metrics::RunMetrics;
use crate::model::Scenario;
use serde::Serialize;

/// One pool (`[services.CALLER.pools.CALLEE]`), over the replications.
#[derive(Clone, Debug, Serialize)]
pub struct PoolSummary {
    /// "caller -> callee".
    pub name: String,
    /// "rest" or "grpc".
    pub kind: String,
    /// Slots (connections, or gRPC streams) per caller replica.
    pub slots: u32,
    /// Mean fraction of the slots in use (time average over the measured window).
    pub utilization: Estimate,
    /// Peak slots in use (over all caller replicas).
    pub peak_in_use: Estimate,
    /// Mean attempts waiting for a slot (time average).
    pub mean_waiting: Estimate,
    /// Attempts that asked for a slot, per second.
    pub attempts_per_s: Estimate,
    /// Fraction of the attempts that asked for a slot and had to wait for it.
    pub wait_probability: Estimate,
    /// Mean wait for a slot over all attempts that got one (ms, zero waits included).
    pub mean_wait_ms: Estimate,
    /// Fraction of the attempts that failed with "pool exhausted".
    pub exhausted_rate: Estimate,
    /// Attempts that failed with "pool exhausted".
    pub exhausted: Estimate,
}

fn est(runs: &[RunMetrics], f: impl Fn(&RunMetrics) -> f64) -> Estimate {
    let v: Vec<f64> = runs.iter().map(f).collect();
    Estimate::from_samples(&v)
}

/// The pools of `scenario` summarized over `runs`.
pub fn pool_summaries(scenario: &Scenario, runs: &[RunMetrics]) -> Vec<PoolSummary> {
    scenario
        .pools
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = |s: crate::model::ServiceId| scenario.services[s.0 as usize].name.clone();
            let secs = |r: &RunMetrics| r.measured as f64 / 1e9;
            PoolSummary {
                name: format!("{} -> {}", name(p.caller), name(p.callee)),
                kind: p.kind.label().to_string(),
                slots: p.capacity(),
                utilization: est(runs, |r| {
                    let m = &r.pools[i];
                    m.in_use.mean(r.measured) / m.capacity as f64
                }),
                peak_in_use: est(runs, |r| r.pools[i].in_use.peak() as f64),
                mean_waiting: est(runs, |r| r.pools[i].waiting.mean(r.measured)),
                attempts_per_s: est(runs, |r| r.pools[i].requested as f64 / secs(r)),
                wait_probability: est(runs, |r| ratio(r.pools[i].waited, r.pools[i].requested)),
                mean_wait_ms: est(runs, |r| {
                    ratio(r.pools[i].wait_ns, r.pools[i].acquired) / 1e6
                }),
                exhausted_rate: est(runs, |r| ratio(r.pools[i].exhausted, r.pools[i].requested)),
                exhausted: est(runs, |r| r.pools[i].exhausted as f64),
            }
        })
        .collect()
}
