//! Fault analysis over replications: failure, cascade and collateral rates during each
//! fault window, blast radius, recovery time, availability; policy activity per call
//! site; and the mean timeline.

use super::stats::ratio;
use super::Estimate;
use crate::kernel::SimTime;
use crate::metrics::{BreakerState, RunMetrics, Timeline};
use crate::model::{FaultKind, FaultSchedule, FaultTarget, Scenario};
use serde::Serialize;

/// Consecutive healthy intervals needed to call a flow recovered.
const RECOVERY_STREAK: usize = 3;
/// A recovered interval's failure rate may exceed the baseline by this much (absolute).
const RECOVERY_FAILURE_SLACK: f64 = 0.01;
/// A recovered interval's p99 may exceed the baseline p99 by this factor.
const RECOVERY_P99_FACTOR: f64 = 1.5;

/// One flow during one fault window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowFlow {
    /// Flow name.
    pub flow: String,
    /// Failed / responses received during the window.
    pub failure_rate: Estimate,
    /// Cascade failures / responses during the window.
    pub cascade_rate: Estimate,
    /// Collateral failures / responses during the window.
    pub collateral_rate: Estimate,
    /// Seconds from the end of the fault until failure rate and p99 are back within
    /// tolerance of the pre-fault baseline, over the replications that recovered.
    pub recovery_s: Option<Estimate>,
    /// Replications in which the flow recovered before the run ended.
    pub recovered_in: u32,
}

/// A service hit by the fault's blast.
#[derive(Clone, Debug, Serialize)]
pub struct BlastService {
    /// Service name.
    pub service: String,
    /// (Failed + rejected) / (completed + rejected) at the service during the window.
    pub failure_rate: Estimate,
}

/// One fault window (scheduled faults: the same in every replication).
#[derive(Clone, Debug, Serialize)]
pub struct WindowSummary {
    /// Start (s).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// Per flow.
    pub flows: Vec<WindowFlow>,
    /// Non-faulted services whose failure rate exceeded the threshold during the window.
    pub blast_radius: Vec<BlastService>,
    /// Per queue: backlog peak and time to drain after the fault.
    pub queues: Vec<WindowQueue>,
}

/// A queue's backlog around a fault window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowQueue {
    /// Queue name.
    pub queue: String,
    /// Highest interval-mean backlog from the fault's start to the end of the run.
    pub peak_depth: Estimate,
    /// Seconds from the end of the fault until the backlog is back to its pre-fault level
    /// (over the replications where it drained).
    pub drain_s: Option<Estimate>,
    /// Replications in which the backlog drained before the run ended.
    pub drained_in: u32,
}

/// One injected fault.
#[derive(Clone, Debug, Serialize)]
pub struct FaultSummary {
    /// Fault name.
    pub name: String,
    /// Target (service, replica or link).
    pub target: String,
    /// Kind (crash, hang, slow, error, partition).
    pub kind: String,
    /// Fraction of the run during which the fault was *not* active.
    pub availability: Estimate,
    /// Number of activations per replication.
    pub activations: Estimate,
    /// Analysis of the window (scheduled faults only).
    pub window: Option<WindowSummary>,
}

/// Policy activity at one call site.
#[derive(Clone, Debug, Serialize)]
pub struct SiteSummary {
    /// "caller.op -> callee.op".
    pub site: String,
    /// Logical calls per replication.
    pub calls: Estimate,
    /// Attempts (first tries + retries + hedges) per replication.
    pub attempts: Estimate,
    /// Attempts / calls: the load amplification on the callee.
    pub amplification: Estimate,
    /// Retries sent.
    pub retries: Estimate,
    /// Retries refused by the retry budget.
    pub retries_denied: Estimate,
    /// Hedged attempts.
    pub hedges: Estimate,
    /// Fallbacks run.
    pub fallbacks: Estimate,
    /// Calls refused by the bulkhead.
    pub bulkhead_rejections: Estimate,
    /// Calls refused by the open circuit breaker.
    pub breaker_rejections: Estimate,
    /// Times the breaker opened.
    pub breaker_opened: Estimate,
}

/// A circuit-breaker state change (replication 0).
#[derive(Clone, Debug, Serialize)]
pub struct TransitionSummary {
    /// When (s).
    pub time_s: f64,
    /// Call site.
    pub site: String,
    /// From.
    pub from: BreakerState,
    /// To.
    pub to: BreakerState,
}

/// One flow's timeline (means over replications).
#[derive(Clone, Debug, Serialize)]
pub struct FlowTimeline {
    /// Flow name.
    pub flow: String,
    /// Responses per second.
    pub throughput: Vec<f64>,
    /// Failed / responses (0 when no response).
    pub failure_rate: Vec<f64>,
    /// Cascade failures / responses.
    pub cascade_rate: Vec<f64>,
    /// p99 response latency (ms; 0 when no response).
    pub p99_ms: Vec<f64>,
}

/// One service's timeline (means over replications).
#[derive(Clone, Debug, Serialize)]
pub struct ServiceTimeline {
    /// Service name.
    pub service: String,
    /// Busy workers / workers.
    pub utilization: Vec<f64>,
    /// Mean queued requests.
    pub queue: Vec<f64>,
    /// (Failed + rejected) / (completed + rejected).
    pub failure_rate: Vec<f64>,
}

/// Per-interval figures averaged over replications.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineSummary {
    /// Interval width (s).
    pub interval_s: f64,
    /// End time of each interval (s).
    pub t_s: Vec<f64>,
    /// Per flow.
    pub flows: Vec<FlowTimeline>,
    /// Per service.
    pub services: Vec<ServiceTimeline>,
    /// Per queue: mean backlog.
    pub queues: Vec<QueueTimeline>,
}

/// One queue's backlog over time (means over replications).
#[derive(Clone, Debug, Serialize)]
pub struct QueueTimeline {
    /// Queue name.
    pub queue: String,
    /// Mean messages waiting for a consumer.
    pub depth: Vec<f64>,
}

fn est(values: impl Iterator<Item = f64>) -> Estimate {
    let v: Vec<f64> = values.collect();
    Estimate::from_samples(&v)
}

/// Intervals [first, last) overlapping the time range [start, end).
fn interval_range(tl: &Timeline, start: SimTime, end: SimTime) -> std::ops::Range<usize> {
    let n = tl.intervals();
    let first = ((start / tl.interval) as usize).min(n);
    let last = (end.div_ceil(tl.interval) as usize).min(n);
    first..last.max(first)
}

/// Target name for reports.
pub(super) fn target_name(sc: &Scenario, t: FaultTarget) -> String {
    match t {
        FaultTarget::Service(s) => sc.services[s.0 as usize].name.clone(),
        FaultTarget::Replica(s, r) => format!("{}#{r}", sc.services[s.0 as usize].name),
        FaultTarget::Link(l) => sc.links[l.0 as usize].name.clone(),
        FaultTarget::Broker(b) => sc.brokers[b.0 as usize].name.clone(),
    }
}

fn kind_name(k: &FaultKind) -> String {
    match k {
        FaultKind::Crash => "crash".into(),
        FaultKind::Hang => "hang".into(),
        FaultKind::Slow { factor, delay } => match (*factor != 1.0, *delay > 0) {
            (true, true) => format!(
                "slow (x{factor} + {})",
                crate::kernel::format_duration(*delay as f64)
            ),
            (false, true) => format!("slow (+{})", crate::kernel::format_duration(*delay as f64)),
            _ => format!("slow (x{factor})"),
        },
        FaultKind::Error { probability } => format!("error (p = {probability})"),
        FaultKind::Partition => "partition".into(),
    }
}

/// Recovery time (ns after `end`) of flow `f` in one replication, or `None`.
fn recovery(
    run: &RunMetrics,
    f: usize,
    start: SimTime,
    end: SimTime,
    warmup: SimTime,
) -> Option<SimTime> {
    let tl = &run.timeline;
    let ivs = &tl.flows[f];
    let base = interval_range(tl, warmup, start);
    // Only intervals entirely before the fault count as baseline.
    // A fault that starts before (or during) the warm-up has no baseline: empty range.
    let before = ((start / tl.interval) as usize).min(tl.intervals());
    let base = base.start..before.max(base.start);
    let (mut responses, mut failed) = (0u64, 0u64);
    for iv in &ivs[base] {
        responses += iv.responses;
        failed += iv.failed;
    }
    let base_failure = ratio(failed, responses);
    let base_p99 = tl
        .baseline_p99(f, before)
        .expect("the timeline keeps a baseline for every window fault's start");
    let healthy = |i: usize| {
        let iv = &ivs[i];
        if iv.responses == 0 {
            return responses == 0;
        }
        let p99 = iv.latency.map_or(0, |l| l.p99) as f64;
        ratio(iv.failed, iv.responses) <= base_failure + RECOVERY_FAILURE_SLACK
            && (responses == 0 || p99 <= base_p99 as f64 * RECOVERY_P99_FACTOR)
    };
    let first = (end.div_ceil(tl.interval) as usize).min(ivs.len());
    let mut streak = 0;
    for i in first..ivs.len() {
        if healthy(i) {
            streak += 1;
            if streak == RECOVERY_STREAK {
                let t = (i + 1 - RECOVERY_STREAK) as SimTime * tl.interval;
                return Some(t.saturating_sub(end));
            }
        } else {
            streak = 0;
        }
    }
    None
}

/// Analyse every fault.
pub(super) fn fault_summaries(sc: &Scenario, runs: &[RunMetrics]) -> Vec<FaultSummary> {
    let duration = sc.sim.duration as f64;
    sc.faults
        .iter()
        .enumerate()
        .map(|(fi, fault)| {
            let availability = est(runs
                .iter()
                .map(|r| 1.0 - r.fault_totals[fi].down as f64 / duration));
            let activations = est(runs.iter().map(|r| r.fault_totals[fi].activations as f64));
            let window = match fault.schedule {
                FaultSchedule::Window { at, duration: d } if at < sc.sim.duration => {
                    let (start, end) = (at, at.saturating_add(d).min(sc.sim.duration));
                    Some(window_summary(sc, runs, fault.target, start, end))
                }
                _ => None,
            };
            FaultSummary {
                name: fault.name.clone(),
                target: target_name(sc, fault.target),
                kind: kind_name(&fault.kind),
                availability,
                activations,
                window,
            }
        })
        .collect()
}

fn window_summary(
    sc: &Scenario,
    runs: &[RunMetrics],
    target: FaultTarget,
    start: SimTime,
    end: SimTime,
) -> WindowSummary {
    let flows = sc
        .workloads
        .iter()
        .enumerate()
        .map(|(f, w)| {
            let sums = |r: &RunMetrics| {
                let range = interval_range(&r.timeline, start, end);
                r.timeline.flows[f][range]
                    .iter()
                    .fold((0, 0, 0, 0), |a, iv| {
                        (
                            a.0 + iv.responses,
                            a.1 + iv.failed,
                            a.2 + iv.cascade,
                            a.3 + iv.collateral,
                        )
                    })
            };
            let rec: Vec<f64> = runs
                .iter()
                .filter_map(|r| recovery(r, f, start, end, sc.sim.warmup))
                .map(|t| t as f64 / 1e9)
                .collect();
            WindowFlow {
                flow: w.flow.clone(),
                failure_rate: est(runs.iter().map(|r| {
                    let s = sums(r);
                    ratio(s.1, s.0)
                })),
                cascade_rate: est(runs.iter().map(|r| {
                    let s = sums(r);
                    ratio(s.2, s.0)
                })),
                collateral_rate: est(runs.iter().map(|r| {
                    let s = sums(r);
                    ratio(s.3, s.0)
                })),
                recovered_in: rec.len() as u32,
                recovery_s: (!rec.is_empty()).then(|| Estimate::from_samples(&rec)),
            }
        })
        .collect();
    let faulted = match target {
        FaultTarget::Service(s) | FaultTarget::Replica(s, _) => Some(s.0 as usize),
        FaultTarget::Link(_) | FaultTarget::Broker(_) => None,
    };
    let blast_radius = sc
        .services
        .iter()
        .enumerate()
        .filter(|(s, _)| Some(*s) != faulted)
        .filter_map(|(s, svc)| {
            let rate = est(runs.iter().map(|r| {
                let range = interval_range(&r.timeline, start, end);
                let (done, bad) = r.timeline.services[s][range].iter().fold((0, 0), |a, iv| {
                    (
                        a.0 + iv.completed + iv.rejected,
                        a.1 + iv.failed + iv.rejected,
                    )
                });
                ratio(bad, done)
            }));
            (rate.mean > sc.sim.blast_threshold).then(|| BlastService {
                service: svc.name.clone(),
                failure_rate: rate,
            })
        })
        .collect();
    let queues = sc
        .queues
        .iter()
        .enumerate()
        .map(|(q, def)| {
            let drains: Vec<f64> = runs
                .iter()
                .filter_map(|r| drain(r, q, start, end, sc.sim.warmup))
                .collect();
            WindowQueue {
                queue: def.name.clone(),
                // The peak of this window's backlog: from the fault's start until it
                // drained (or the run ended), not a later fault's backlog.
                peak_depth: est(runs.iter().map(|r| {
                    let d = &r.timeline.queues[q];
                    let until = drain(r, q, start, end, sc.sim.warmup)
                        .map_or(sc.sim.duration, |s| end + (s * 1e9).round() as SimTime);
                    let range = interval_range(&r.timeline, start, until);
                    d[range].iter().copied().fold(0.0, f64::max)
                })),
                drained_in: drains.len() as u32,
                drain_s: (!drains.is_empty()).then(|| Estimate::from_samples(&drains)),
            }
        })
        .collect();
    WindowSummary {
        start_s: start as f64 / 1e9,
        end_s: end as f64 / 1e9,
        flows,
        blast_radius,
        queues,
    }
}

/// Seconds after `end` until queue `q`'s backlog is back to its pre-fault level.
fn drain(run: &RunMetrics, q: usize, start: SimTime, end: SimTime, warmup: SimTime) -> Option<f64> {
    let tl = &run.timeline;
    let depth = &tl.queues[q];
    let base = interval_range(tl, warmup, start);
    // A fault that starts before (or during) the warm-up has no baseline: empty range.
    let base_end = base.end.min((start / tl.interval) as usize).max(base.start);
    let base = base.start..base_end;
    let baseline = if base.is_empty() {
        0.0
    } else {
        depth[base.clone()].iter().sum::<f64>() / base.len() as f64
    };
    // Back within 10% (and one message) of the baseline.
    let threshold = baseline * 1.1 + 1.0;
    let first = (end / tl.interval) as usize;
    (first..depth.len())
        .find(|&i| depth[i] <= threshold)
        .map(|i| ((i as SimTime * tl.interval).max(end) - end) as f64 / 1e9)
}

/// Name of a call site: "caller.op -> callee.op".
pub(super) fn site_names(sc: &Scenario) -> Vec<String> {
    let mut names = vec![String::new(); sc.policies.len()];
    for op in &sc.operations {
        for g in &op.groups {
            for c in &g.calls {
                names[c.site as usize] =
                    format!("{} -> {}", op.name, sc.operations[c.target.0 as usize].name);
            }
        }
    }
    names
}

/// Policy activity of every call site that has a policy or saw a retry.
pub(super) fn site_summaries(sc: &Scenario, runs: &[RunMetrics]) -> Vec<SiteSummary> {
    let names = site_names(sc);
    (0..sc.policies.len())
        .filter(|&s| !sc.policies[s].is_empty())
        .map(|s| {
            let m = |f: fn(&crate::metrics::SiteMetrics) -> u64| {
                est(runs.iter().map(|r| f(&r.sites[s]) as f64))
            };
            SiteSummary {
                site: names[s].clone(),
                calls: m(|x| x.calls),
                attempts: m(|x| x.attempts),
                amplification: est(runs
                    .iter()
                    .map(|r| ratio(r.sites[s].attempts, r.sites[s].calls))),
                retries: m(|x| x.retries),
                retries_denied: m(|x| x.retries_denied),
                hedges: m(|x| x.hedges),
                fallbacks: m(|x| x.fallbacks),
                bulkhead_rejections: m(|x| x.bulkhead_rejections),
                breaker_rejections: m(|x| x.breaker_rejections),
                breaker_opened: est(runs.iter().map(|r| r.breaker_opened[s] as f64)),
            }
        })
        .collect()
}

/// Breaker transitions of replication 0, with site names.
pub(super) fn transitions(sc: &Scenario, runs: &[RunMetrics]) -> Vec<TransitionSummary> {
    let names = site_names(sc);
    runs.first()
        .map(|r| {
            r.breaker_transitions
                .iter()
                .map(|t| TransitionSummary {
                    time_s: t.time_s,
                    site: names[t.site as usize].clone(),
                    from: t.from,
                    to: t.to,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The timeline averaged over replications.
pub(super) fn timeline(sc: &Scenario, runs: &[RunMetrics]) -> TimelineSummary {
    let n = runs.first().map_or(0, |r| r.timeline.intervals());
    let width = runs
        .first()
        .map_or(sc.sim.timeline_interval(), |r| r.timeline.interval);
    let reps = runs.len().max(1) as f64;
    let mean = |f: &dyn Fn(&RunMetrics, usize) -> f64| -> Vec<f64> {
        (0..n)
            .map(|i| runs.iter().map(|r| f(r, i)).sum::<f64>() / reps)
            .collect()
    };
    let span = |i: usize| {
        let start = i as SimTime * width;
        ((start + width).min(sc.sim.duration) - start) as f64 / 1e9
    };
    TimelineSummary {
        interval_s: width as f64 / 1e9,
        t_s: (0..n)
            .map(|i| ((i as SimTime + 1) * width).min(sc.sim.duration) as f64 / 1e9)
            .collect(),
        flows: sc
            .workloads
            .iter()
            .enumerate()
            .map(|(f, w)| FlowTimeline {
                flow: w.flow.clone(),
                throughput: mean(&|r, i| r.timeline.flows[f][i].responses as f64 / span(i)),
                failure_rate: mean(&|r, i| {
                    ratio(
                        r.timeline.flows[f][i].failed,
                        r.timeline.flows[f][i].responses,
                    )
                }),
                cascade_rate: mean(&|r, i| {
                    ratio(
                        r.timeline.flows[f][i].cascade,
                        r.timeline.flows[f][i].responses,
                    )
                }),
                p99_ms: mean(&|r, i| {
                    r.timeline.flows[f][i]
                        .latency
                        .map_or(0.0, |l| l.p99 as f64 / 1e6)
                }),
            })
            .collect(),
        services: sc
            .services
            .iter()
            .enumerate()
            .map(|(s, svc)| ServiceTimeline {
                service: svc.name.clone(),
                utilization: mean(&|r, i| r.timeline.services[s][i].utilization),
                queue: mean(&|r, i| r.timeline.services[s][i].queue),
                failure_rate: mean(&|r, i| {
                    let iv = &r.timeline.services[s][i];
                    ratio(iv.failed + iv.rejected, iv.completed + iv.rejected)
                }),
            })
            .collect(),
        queues: sc
            .queues
            .iter()
            .enumerate()
            .map(|(q, def)| QueueTimeline {
                queue: def.name.clone(),
                depth: mean(&|r, i| r.timeline.queues[q][i]),
            })
            .collect(),
    }
}
