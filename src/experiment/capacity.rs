//! Capacity and cost: replica-seconds of every service (the time integral of its
//! provisioned replicas over the measured window: ready, starting and draining replicas
//! all count, as a cloud bills them), per successful response, and the autoscalers'
//! replicas and decisions.

use super::Estimate;
use crate::kernel::NANOS_PER_SEC;
use crate::metrics::RunMetrics;
use crate::model::reach::{flow_path, Hop};
use crate::model::Scenario;
use serde::Serialize;

/// What the capacity cost, per replication.
#[derive(Clone, Debug, Serialize)]
pub struct CostSummary {
    /// Replica-seconds over the measured window of the services some flow reaches (a
    /// fixed service: replicas x seconds; an autoscaled one: the integral of its
    /// provisioned replicas). A comparison's alternatives that a variant does not
    /// reach are not part of its cost.
    pub replica_seconds: Estimate,
    /// Replica-seconds per successful client response (all flows).
    pub replica_seconds_per_success: Estimate,
}

/// One autoscaled service.
#[derive(Clone, Debug, Serialize)]
pub struct ScalingSummary {
    /// Service name.
    pub service: String,
    /// Fewest and most replicas.
    pub min: u32,
    /// See `min`.
    pub max: u32,
    /// Whether some flow reaches it (in a comparison, the other variants'
    /// alternatives are not reached and cost nothing).
    pub reached: bool,
    /// The metric and its target.
    pub metric: String,
    /// See `metric`.
    pub target: f64,
    /// Time-average ready replicas.
    pub mean_ready: Estimate,
    /// Time-average provisioned replicas (ready, starting, draining).
    pub mean_provisioned: Estimate,
    /// Highest desired count.
    pub peak_desired: Estimate,
    /// Decisions up and down (whole run).
    pub scale_ups: Estimate,
    /// See `scale_ups`.
    pub scale_downs: Estimate,
    /// Its replica-seconds over the measured window.
    pub replica_seconds: Estimate,
    /// Replication 0's changes of the desired count (the first
    /// [`crate::metrics::MAX_LISTED_EVENTS`]).
    pub events: Vec<ScaleEventSummary>,
    /// Per timeline interval, means over replications.
    pub timeline: ScalingTimeline,
}

/// A change of a desired count.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleEventSummary {
    /// When (s).
    pub time_s: f64,
    /// Desired replicas before.
    pub from: u32,
    /// Desired replicas after.
    pub to: u32,
}

/// An autoscaled service's replicas over time (means over replications).
#[derive(Clone, Debug, Serialize)]
pub struct ScalingTimeline {
    /// Desired replicas at the end of each interval.
    pub desired: Vec<f64>,
    /// Mean ready replicas in each interval.
    pub ready: Vec<f64>,
    /// Mean provisioned replicas in each interval.
    pub provisioned: Vec<f64>,
}

fn est(runs: &[RunMetrics], f: impl Fn(&RunMetrics) -> f64) -> Estimate {
    Estimate::from_samples(&runs.iter().map(f).collect::<Vec<_>>())
}

/// Replica-seconds of service `s` in one replication.
fn service_replica_seconds(sc: &Scenario, r: &RunMetrics, s: usize) -> f64 {
    let secs = r.measured as f64 / NANOS_PER_SEC as f64;
    match scaler_index(sc, s) {
        Some(k) => r.scaling[k].provisioned.mean(r.measured) * secs,
        None => f64::from(sc.services[s].replicas) * secs,
    }
}

/// The index of service `s` among the autoscaled services.
fn scaler_index(sc: &Scenario, s: usize) -> Option<usize> {
    sc.services[s].autoscale.as_ref()?;
    Some(
        sc.services[..s]
            .iter()
            .filter(|x| x.autoscale.is_some())
            .count(),
    )
}

/// Mean workers of service `s` over the measured window (for its utilization): replicas
/// x workers, or for an autoscaled service its mean serving (ready or draining)
/// replicas x workers.
fn mean_workers(sc: &Scenario, r: &RunMetrics, s: usize) -> f64 {
    match scaler_index(sc, s) {
        Some(k) => r.scaling[k].serving.mean(r.measured) * f64::from(sc.services[s].workers),
        None => r.services[s].capacity as f64,
    }
}

/// The services some flow reaches (synchronously or through messages): the
/// architecture a variant runs. The others are the alternatives of other variants of a
/// comparison, which this variant does not deploy.
fn deployed(sc: &Scenario) -> Vec<usize> {
    let mut used = vec![false; sc.services.len()];
    for w in &sc.workloads {
        for hop in flow_path(sc, w.entry) {
            if let Hop::Service(s, _) = hop {
                used[s.0 as usize] = true;
            }
        }
    }
    (0..sc.services.len()).filter(|&s| used[s]).collect()
}

/// Busy workers over the mean workers of service `s` (0 for an autoscaled service
/// that never had a ready replica).
pub(super) fn utilization(sc: &Scenario, r: &RunMetrics, s: usize) -> f64 {
    let workers = mean_workers(sc, r, s);
    if workers > 0.0 {
        r.services[s].busy.mean(r.measured) / workers
    } else {
        0.0
    }
}

/// Busy cores over the cores of the mean serving (ready or draining) replicas of
/// service `s` (all replicas when it does not autoscale; 0 for an autoscaled service
/// that never had one serving).
pub(super) fn core_utilization(sc: &Scenario, r: &RunMetrics, s: usize) -> f64 {
    let m = &r.services[s];
    let cores = match scaler_index(sc, s) {
        Some(k) => {
            let millis = f64::from(sc.services[s].cpu_millis.unwrap_or(0));
            r.scaling[k].serving.mean(r.measured) * millis
        }
        None => m.core_capacity as f64,
    };
    if cores > 0.0 {
        m.cores.mean(r.measured) / cores
    } else {
        0.0
    }
}

/// The cost of every replication: the replica-seconds of the deployed services.
pub(super) fn cost(sc: &Scenario, runs: &[RunMetrics]) -> CostSummary {
    let services = deployed(sc);
    let total = |r: &RunMetrics| {
        (services.iter())
            .map(|&s| service_replica_seconds(sc, r, s))
            .sum::<f64>()
    };
    CostSummary {
        replica_seconds: est(runs, total),
        replica_seconds_per_success: est(runs, |r| {
            let ok: u64 = r.flows.iter().map(|f| f.succeeded).sum();
            super::stats::ratio(total(r), ok)
        }),
    }
}

/// The autoscaled services.
pub(super) fn scaling(sc: &Scenario, runs: &[RunMetrics]) -> Vec<ScalingSummary> {
    let reached = deployed(sc);
    let scaled =
        (sc.services.iter().enumerate()).filter_map(|(s, x)| Some((s, x.autoscale.as_deref()?)));
    scaled
        .enumerate()
        .map(|(k, (s, a))| {
            let n = runs.first().map_or(0, |r| r.timeline.scaling[k].len());
            let mean_of = |f: &dyn Fn(&crate::metrics::ScaleInterval) -> f64| -> Vec<f64> {
                (0..n)
                    .map(|i| {
                        runs.iter()
                            .map(|r| f(&r.timeline.scaling[k][i]))
                            .sum::<f64>()
                            / runs.len().max(1) as f64
                    })
                    .collect()
            };
            ScalingSummary {
                service: sc.services[s].name.clone(),
                min: a.min,
                max: a.max,
                reached: reached.contains(&s),
                metric: a.metric.name().to_string(),
                target: a.target,
                mean_ready: est(runs, |r| r.scaling[k].ready.mean(r.measured)),
                mean_provisioned: est(runs, |r| r.scaling[k].provisioned.mean(r.measured)),
                peak_desired: est(runs, |r| f64::from(r.scaling[k].peak_desired)),
                scale_ups: est(runs, |r| r.scaling[k].scale_ups as f64),
                scale_downs: est(runs, |r| r.scaling[k].scale_downs as f64),
                replica_seconds: est(runs, |r| service_replica_seconds(sc, r, s)),
                events: runs.first().map_or(Vec::new(), |r| {
                    (r.scale_events.iter())
                        .filter(|e| e.service as usize == s)
                        .map(|e| ScaleEventSummary {
                            time_s: e.time as f64 / NANOS_PER_SEC as f64,
                            from: e.from,
                            to: e.to,
                        })
                        .collect()
                }),
                timeline: ScalingTimeline {
                    desired: mean_of(&|i| f64::from(i.desired)),
                    ready: mean_of(&|i| i.ready),
                    provisioned: mean_of(&|i| i.provisioned),
                },
            }
        })
        .collect()
}
