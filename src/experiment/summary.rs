//! Reduction of per-replication metrics into the report's figures.

use super::faults::{fault_summaries, site_summaries, timeline, transitions};
use super::stats::ratio;
use super::{Estimate, FaultSummary, SiteSummary, TimelineSummary, TransitionSummary};
use crate::kernel::NANOS_PER_SEC;
use crate::metrics::paths::Traced;
use crate::metrics::{
    Component, Conservation, FailureReason, FlowMetrics, LatencyFigures, RunMetrics,
};
use crate::model::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;

/// Latency figures of one flow, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    /// Latencies recorded per replication. When it is zero in every replication there
    /// is no latency to report (every figure below is then 0 and shown as "-"); the
    /// figures are estimates over the replications that recorded any.
    pub samples: Estimate,
    /// Mean.
    pub mean: Estimate,
    /// Median.
    pub p50: Estimate,
    /// 90th percentile.
    pub p90: Estimate,
    /// 99th percentile.
    pub p99: Estimate,
    /// 99.9th percentile.
    pub p999: Estimate,
    /// Maximum.
    pub max: Estimate,
}

/// Failures of one reason (and optionally one root cause).
#[derive(Clone, Debug, Serialize)]
pub struct FailureSummary {
    /// Failure reason label.
    pub reason: String,
    /// Root-cause component, when broken down by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    /// Failures per replication.
    pub count: Estimate,
    /// Fraction of the flow's responses.
    pub rate: Estimate,
}

/// The figures of one flow.
#[derive(Clone, Debug, Serialize)]
pub struct FlowSummary {
    /// Flow name.
    pub flow: String,
    /// Entry operation.
    pub entry: String,
    /// Requests sent after the warm-up, per replication.
    pub requests: Estimate,
    /// Responses per second.
    pub throughput: Estimate,
    /// Successful responses per second.
    pub goodput: Estimate,
    /// Fraction of responses that were successes.
    pub success_rate: Estimate,
    /// Response latency of all responses (ms).
    pub latency: LatencySummary,
    /// Response latency of successful responses (ms).
    pub success_latency: LatencySummary,
    /// Failures by reason.
    pub failures: Vec<FailureSummary>,
    /// Failures by reason and root cause.
    pub failures_by_root_cause: Vec<FailureSummary>,
    /// Requests without a response at the end of the run.
    pub in_flight: Estimate,
    /// Degraded successes (a fallback ran) / responses.
    pub degraded_rate: Estimate,
    /// Failures rooted outside the entry service / responses.
    pub cascade_rate: Estimate,
    /// Cascade failures of requests that never touched a faulted component / responses.
    pub collateral_rate: Estimate,
    /// Over requests sent while a fault was active: failure, cascade and collateral rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub during_faults: Option<DuringFaults>,
    /// Eventual completion (all triggered work done), when the scenario has messaging.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion: Option<CompletionSummary>,
}

/// Share of a flow's requests still in progress at the end from which the completion
/// figures are said to leave them out (a p99 can hide 1%): the report's findings and
/// the `completion_p99` SLO check use it.
pub const NOTABLE_IN_PROGRESS: f64 = 0.01;

impl FlowSummary {
    /// The share of the requests sent whose triggered work was still outstanding when
    /// the run ended (`None` without completions, i.e. without asynchronous work).
    pub fn in_progress_share(&self) -> Option<f64> {
        let c = self.completion.as_ref()?;
        Some(c.in_progress.mean / self.requests.mean.max(1.0))
    }
}

/// Eventual completion of a flow's requests: send -> the last piece of work they
/// triggered (messages, subscribers, continuations) finished.
#[derive(Clone, Debug, Serialize)]
pub struct CompletionSummary {
    /// Completion latency (ms) of the requests that completed.
    pub latency: LatencySummary,
    /// Completed requests whose response and triggered work all succeeded / completed.
    pub success_rate: Estimate,
    /// Requests whose triggered work was still outstanding at the end of the run.
    pub in_progress: Estimate,
}

/// Rates over the requests sent while at least one fault was active.
#[derive(Clone, Debug, Serialize)]
pub struct DuringFaults {
    /// Requests sent during faults, per replication.
    pub requests: Estimate,
    /// Failed / answered.
    pub failure_rate: Estimate,
    /// Cascade / answered.
    pub cascade_rate: Estimate,
    /// Collateral / answered.
    pub collateral_rate: Estimate,
}

/// The figures of one service.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceSummary {
    /// Service name.
    pub name: String,
    /// Fraction of worker time busy (threads).
    pub utilization: Estimate,
    /// Fraction of core time busy: the time average of min(n, cpus) / cpus per replica,
    /// n the executions in local work. Only for a service with `cpus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_utilization: Option<Estimate>,
    /// Mean number of queued requests (all replicas).
    pub mean_queue: Estimate,
    /// Peak number of queued requests.
    pub peak_queue: Estimate,
    /// Requests admitted per second.
    pub arrival_rate: Estimate,
    /// Requests rejected (queue full) per replication.
    pub rejected: Estimate,
    /// Rejected / (admitted + rejected).
    pub rejection_rate: Estimate,
    /// Executions that finished per replication: the sojourn and its parts are means
    /// over these (0, and shown as "-", when none finished).
    pub completed: Estimate,
    /// Mean time in the service, queueing included (ms).
    pub mean_sojourn: Estimate,
    /// Where the sojourn goes (ms): waiting for a worker.
    pub mean_queue_wait: Estimate,
    /// Local work (ms).
    pub mean_work: Estimate,
    /// Holding a worker while waiting on downstream calls and publishes (ms).
    pub mean_downstream: Estimate,
    /// Time-average number in the service (queued + in service): Little's L.
    pub mean_in_system: Estimate,
    /// Admission rate x mean sojourn: Little's lambda W, to compare with L.
    pub little_lambda_w: Estimate,
}

/// A whole experiment's result.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// archsim version that produced it.
    pub archsim_version: String,
    /// Master seed.
    pub seed: u64,
    /// Replications run.
    pub replications: u32,
    /// Simulated duration of each (s).
    pub duration_s: f64,
    /// Warm-up (s).
    pub warmup_s: f64,
    /// What the figures do not cover: signs of a transient, not a steady state, work
    /// that never ends, slowest requests without a path (see [`super::Warning`]; empty
    /// for most runs).
    pub warnings: Vec<super::Warning>,
    /// Per flow.
    pub flows: Vec<FlowSummary>,
    /// Per service.
    pub services: Vec<ServiceSummary>,
    /// Kernel events per replication.
    pub events: Estimate,
    /// Replies discarded because the caller had given up.
    pub late_replies: Estimate,
    /// Messages lost on the network.
    pub lost_messages: Estimate,
    /// Conservation ledger of each replication (all balanced, or the run would have failed).
    pub conservation: Vec<Conservation>,
    /// Injected faults and their effects.
    pub faults: Vec<FaultSummary>,
    /// Resilience-policy activity per call site (sites with a policy).
    pub sites: Vec<SiteSummary>,
    /// Circuit-breaker state changes in replication 0.
    pub breaker_transitions: Vec<TransitionSummary>,
    /// Per-interval figures averaged over replications.
    pub timeline: TimelineSummary,
    /// Per queue (topic subscriptions included).
    pub queues: Vec<QueueSummary>,
    /// Request-reply replies that did not arrive in time, per replication.
    pub reply_timeouts: Estimate,
    /// Per saga definition.
    pub sagas: Vec<SagaSummary>,
    /// Per client connection pool (left out of the JSON when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<super::pools::PoolSummary>,
    /// Replica-seconds, in all and per successful response.
    pub cost: super::CostSummary,
    /// Per autoscaled service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scaling: Vec<super::ScalingSummary>,
    /// Critical paths and latency breakdowns of replication 0, traced again (empty when
    /// not traced, e.g. in sweeps). Ids, not names: the report names them.
    #[serde(skip)]
    pub traced: Traced,
}

/// Outcomes and costs of one saga definition.
#[derive(Clone, Debug, Serialize)]
pub struct SagaSummary {
    /// Saga name.
    pub name: String,
    /// "orchestration" or "choreography".
    pub style: String,
    /// Instances started per replication.
    pub started: Estimate,
    /// Committed / settled.
    pub committed_rate: Estimate,
    /// Compensated / settled.
    pub compensated_rate: Estimate,
    /// Inconsistent / settled.
    pub inconsistent_rate: Estimate,
    /// Aborted before any effect (coordinator state lost) / settled.
    pub aborted_rate: Estimate,
    /// Committed, compensated, inconsistent and aborted counts per replication.
    pub committed: Estimate,
    /// See `committed`.
    pub compensated: Estimate,
    /// See `committed` (includes sagas still compensating at the end of the run).
    pub inconsistent: Estimate,
    /// See `committed`.
    pub aborted: Estimate,
    /// Running forward at the end of the run.
    pub in_progress: Estimate,
    /// Start -> settled (ms).
    pub latency: LatencySummary,
    /// Mean time from the first effect to settling (ms): how long data is inconsistent.
    pub inconsistency_window_ms: Estimate,
    /// Mean time from the failure to the end of compensation (ms).
    pub compensation_latency_ms: Estimate,
    /// Mean messages (commands, replies, events) per settled saga.
    pub messages_per_saga: Estimate,
    /// Per step: action name, actions committed and compensations done per replication.
    pub steps: Vec<SagaStepSummary>,
}

/// One saga step's activity.
#[derive(Clone, Debug, Serialize)]
pub struct SagaStepSummary {
    /// The action operation.
    pub action: String,
    /// Actions that committed.
    pub actions_ok: Estimate,
    /// Compensations that succeeded.
    pub compensations_ok: Estimate,
}

/// The figures of one queue.
#[derive(Clone, Debug, Serialize)]
pub struct QueueSummary {
    /// "broker.queue" or "broker.topic/subscriber".
    pub name: String,
    /// Messages published per replication.
    pub published: Estimate,
    /// Acknowledged.
    pub acked: Estimate,
    /// Redeliveries.
    pub redeliveries: Estimate,
    /// Messages processed more than once.
    pub duplicates: Estimate,
    /// Dead-lettered.
    pub dead_lettered: Estimate,
    /// Lost (non-durable queue, broker crash).
    pub lost: Estimate,
    /// Mean backlog (messages waiting for a consumer).
    pub mean_depth: Estimate,
    /// Peak backlog.
    pub peak_depth: Estimate,
    /// Mean wait from publish to first delivery (ms): consumer lag.
    pub mean_wait_ms: Estimate,
    /// Publish -> processed (acknowledged) latency of its messages (ms).
    pub delivery_latency: LatencySummary,
}

fn est(runs: &[RunMetrics], f: impl Fn(&RunMetrics) -> f64) -> Estimate {
    let v: Vec<f64> = runs.iter().map(f).collect();
    Estimate::from_samples(&v)
}

const NS_PER_MS: f64 = 1e6;

fn latency(
    runs: &[RunMetrics],
    flow: usize,
    pick: impl Fn(&FlowMetrics) -> LatencyFigures,
) -> LatencySummary {
    latency_over(runs, |r| pick(&r.flows[flow]))
}

/// Mean, percentiles and max (ms) of the latencies `pick` gives of each replication,
/// each an estimate over `runs`.
fn latency_over(
    runs: &[RunMetrics],
    pick: impl Fn(&RunMetrics) -> LatencyFigures,
) -> LatencySummary {
    let all: Vec<LatencyFigures> = runs.iter().map(pick).collect();
    let samples = Estimate::from_samples(&all.iter().map(|l| l.count as f64).collect::<Vec<_>>());
    // A replication that recorded nothing has no latency (its figures are zeros, not
    // measurements): leave it out of the estimates, unless none recorded any (then
    // every figure is 0 ± 0, and `samples` says there is nothing to show).
    let mut figures: Vec<&LatencyFigures> = all.iter().filter(|l| l.count > 0).collect();
    if figures.is_empty() {
        figures = all.iter().collect();
    }
    let est = |f: &dyn Fn(&LatencyFigures) -> f64| {
        Estimate::from_samples(&figures.iter().map(|l| f(l)).collect::<Vec<f64>>())
    };
    let ms = |ns: u64| ns as f64 / NS_PER_MS;
    LatencySummary {
        samples,
        mean: est(&|l| {
            if l.count == 0 {
                0.0
            } else {
                l.sum as f64 / l.count as f64 / NS_PER_MS
            }
        }),
        p50: est(&|l| ms(l.p50)),
        p90: est(&|l| ms(l.p90)),
        p99: est(&|l| ms(l.p99)),
        p999: est(&|l| ms(l.p999)),
        max: est(&|l| ms(l.max)),
    }
}

/// The figures of flow `i` (workload `i` of `scenario`) over `runs`.
fn flow_summary(scenario: &Scenario, runs: &[RunMetrics], i: usize) -> FlowSummary {
    let w = &scenario.workloads[i];
    let secs = |r: &RunMetrics| r.measured as f64 / NANOS_PER_SEC as f64;
    // Shares are of the responses received: a request still in flight at
    // the end has no outcome yet (it is reported separately).
    let rate_of = |r: &RunMetrics, n: u64| ratio(n, r.flows[i].completed());
    let (failures, failures_by_root_cause) = failure_summaries(scenario, runs, i, &rate_of);
    FlowSummary {
        flow: w.flow.clone(),
        entry: scenario.operations[w.entry.0 as usize].name.clone(),
        requests: est(runs, |r| r.flows[i].generated as f64),
        throughput: est(runs, |r| r.flows[i].completed() as f64 / secs(r)),
        goodput: est(runs, |r| r.flows[i].succeeded as f64 / secs(r)),
        success_rate: est(runs, |r| rate_of(r, r.flows[i].succeeded)),
        latency: latency(runs, i, |f| f.responses),
        success_latency: latency(runs, i, |f| f.success),
        failures,
        failures_by_root_cause,
        in_flight: est(runs, |r| r.flows[i].in_flight as f64),
        degraded_rate: est(runs, |r| rate_of(r, r.flows[i].degraded)),
        cascade_rate: est(runs, |r| rate_of(r, r.flows[i].cascade)),
        collateral_rate: est(runs, |r| rate_of(r, r.flows[i].collateral)),
        during_faults: (!scenario.faults.is_empty()).then(|| {
            let d = |r: &RunMetrics| r.flows[i].during_fault.clone();
            DuringFaults {
                requests: est(runs, |r| d(r).requests as f64),
                failure_rate: est(runs, |r| ratio(d(r).failed, d(r).answered)),
                cascade_rate: est(runs, |r| ratio(d(r).cascade, d(r).answered)),
                collateral_rate: est(runs, |r| ratio(d(r).collateral, d(r).answered)),
            }
        }),
        completion: (!scenario.queues.is_empty() || !scenario.sagas.is_empty()).then(|| {
            CompletionSummary {
                latency: latency(runs, i, |f| f.completions),
                success_rate: est(runs, |r| {
                    let f = &r.flows[i];
                    ratio(f.completed_ok, f.completed_ok + f.completed_failed)
                }),
                in_progress: est(runs, |r| r.flows[i].completion_in_progress as f64),
            }
        }),
    }
}

/// Every saga definition's summary.
fn saga_summaries(scenario: &Scenario, runs: &[RunMetrics]) -> Vec<SagaSummary> {
    (scenario.sagas.iter().enumerate())
        .map(|(i, def)| saga_summary(scenario, runs, i, def))
        .collect()
}

/// Flow `i`'s failures by reason, and by reason and root cause (`rate_of` gives a count's
/// share of a replication's responses).
fn failure_summaries(
    scenario: &Scenario,
    runs: &[RunMetrics],
    i: usize,
    rate_of: &dyn Fn(&RunMetrics, u64) -> f64,
) -> (Vec<FailureSummary>, Vec<FailureSummary>) {
    let failures = FailureReason::ALL
        .iter()
        .filter(|&&reason| runs.iter().any(|r| r.flows[i].failed[reason as usize] > 0))
        .map(|&reason| FailureSummary {
            reason: reason.label().to_string(),
            root_cause: None,
            count: est(runs, |r| r.flows[i].failed[reason as usize] as f64),
            rate: est(runs, |r| rate_of(r, r.flows[i].failed[reason as usize])),
        })
        .collect();
    let keys: BTreeMap<(FailureReason, Component), ()> = runs
        .iter()
        .flat_map(|r| r.flows[i].failed_by_root.keys().map(|k| (*k, ())))
        .collect();
    let failures_by_root_cause = keys
        .keys()
        .map(|key| {
            let n = |r: &RunMetrics| r.flows[i].failed_by_root.get(key).copied().unwrap_or(0);
            FailureSummary {
                reason: key.0.label().to_string(),
                root_cause: Some(key.1.name(scenario)),
                count: est(runs, |r| n(r) as f64),
                rate: est(runs, |r| rate_of(r, n(r))),
            }
        })
        .collect();
    (failures, failures_by_root_cause)
}

impl Summary {
    /// Reduce the replications of `scenario` (given in replication order).
    pub fn new(scenario: &Scenario, runs: &[RunMetrics]) -> Summary {
        let secs = |r: &RunMetrics| r.measured as f64 / NANOS_PER_SEC as f64;
        let flows = (0..scenario.workloads.len())
            .map(|i| flow_summary(scenario, runs, i))
            .collect();
        let services = scenario
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let sojourn_ms =
                    |r: &RunMetrics| per_completed(&r.services[i], r.services[i].sojourn_sum);
                ServiceSummary {
                    name: s.name.clone(),
                    utilization: est(runs, |r| super::capacity::utilization(scenario, r, i)),
                    core_utilization: s
                        .cpu_millis
                        .map(|_| est(runs, |r| super::capacity::core_utilization(scenario, r, i))),
                    mean_queue: est(runs, |r| r.services[i].queued.mean(r.measured)),
                    peak_queue: est(runs, |r| r.services[i].queued.peak() as f64),
                    arrival_rate: est(runs, |r| r.services[i].admitted as f64 / secs(r)),
                    rejected: est(runs, |r| r.services[i].rejected as f64),
                    rejection_rate: est(runs, |r| {
                        let m = &r.services[i];
                        ratio(m.rejected, m.admitted + m.rejected)
                    }),
                    mean_queue_wait: est(runs, |r| {
                        per_completed(&r.services[i], r.services[i].queue_wait_sum)
                    }),
                    mean_work: est(runs, |r| {
                        per_completed(&r.services[i], r.services[i].work_sum)
                    }),
                    mean_downstream: est(runs, |r| {
                        per_completed(&r.services[i], r.services[i].downstream_sum)
                    }),
                    completed: est(runs, |r| r.services[i].completed as f64),
                    mean_sojourn: est(runs, sojourn_ms),
                    mean_in_system: est(runs, |r| {
                        r.services[i].busy.mean(r.measured) + r.services[i].queued.mean(r.measured)
                    }),
                    little_lambda_w: est(runs, |r| {
                        r.services[i].admitted as f64 / secs(r) * sojourn_ms(r) / 1e3
                    }),
                }
            })
            .collect();
        let mut summary = Summary {
            scenario: scenario.name.clone(),
            archsim_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: scenario.sim.seed,
            replications: runs.len() as u32,
            duration_s: scenario.sim.duration as f64 / 1e9,
            warmup_s: scenario.sim.warmup as f64 / 1e9,
            warnings: Vec::new(),
            flows,
            services,
            events: est(runs, |r| r.events as f64),
            late_replies: est(runs, |r| r.late_replies as f64),
            lost_messages: est(runs, |r| r.lost_messages as f64),
            conservation: runs.iter().map(|r| r.conservation.clone()).collect(),
            faults: fault_summaries(scenario, runs),
            sites: site_summaries(scenario, runs),
            breaker_transitions: transitions(scenario, runs),
            timeline: timeline(scenario, runs),
            queues: scenario
                .queues
                .iter()
                .enumerate()
                .map(|(q, def)| {
                    let m = |f: fn(&crate::metrics::QueueMetrics) -> u64| {
                        est(runs, move |r| f(&r.queues[q]) as f64)
                    };
                    QueueSummary {
                        name: def.name.clone(),
                        published: m(|x| x.published),
                        acked: m(|x| x.acked),
                        redeliveries: m(|x| x.redeliveries),
                        duplicates: m(|x| x.duplicates),
                        dead_lettered: m(|x| x.dead_lettered),
                        lost: m(|x| x.lost),
                        mean_depth: est(runs, |r| r.queues[q].depth.mean(r.measured)),
                        peak_depth: est(runs, |r| r.queues[q].depth.peak() as f64),
                        mean_wait_ms: est(runs, |r| {
                            ratio(r.queues[q].wait_sum, r.queues[q].first_deliveries) / NS_PER_MS
                        }),
                        delivery_latency: latency_over(runs, |r| r.queues[q].delivery.figures),
                    }
                })
                .collect(),
            reply_timeouts: est(runs, |r| r.reply_timeouts as f64),
            sagas: saga_summaries(scenario, runs),
            pools: super::pools::pool_summaries(scenario, runs),
            cost: super::capacity::cost(scenario, runs),
            scaling: super::capacity::scaling(scenario, runs),
            traced: Traced::default(),
        };
        summary.warnings = super::stability::warnings(scenario, &summary);
        summary
    }

    /// The summary with the paths of its traced replication, and a warning for each
    /// flow some of whose slowest requests have none.
    pub fn with_traced(mut self, traced: Traced) -> Self {
        self.warnings
            .extend(super::stability::untraced(&self, &traced));
        self.traced = traced;
        self
    }

    /// The summary of a flow by name.
    pub fn flow(&self, name: &str) -> Option<&FlowSummary> {
        self.flows.iter().find(|f| f.flow == name)
    }

    /// The summary of a service by name.
    pub fn service(&self, name: &str) -> Option<&ServiceSummary> {
        self.services.iter().find(|s| s.name == name)
    }
}

fn saga_summary(
    sc: &Scenario,
    runs: &[RunMetrics],
    i: usize,
    def: &crate::model::Saga,
) -> SagaSummary {
    let settled = |r: &RunMetrics| {
        let m = &r.sagas[i];
        m.committed + m.compensated + m.inconsistent + m.aborted
    };
    let count =
        |f: fn(&crate::metrics::SagaMetrics) -> u64| est(runs, move |r| f(&r.sagas[i]) as f64);
    let rate = |f: fn(&crate::metrics::SagaMetrics) -> u64| {
        est(runs, move |r| ratio(f(&r.sagas[i]), settled(r)))
    };
    SagaSummary {
        name: def.name.clone(),
        style: match def.style {
            crate::model::SagaStyle::Orchestration { .. } => "orchestration".into(),
            crate::model::SagaStyle::Choreography { .. } => "choreography".into(),
        },
        started: count(|m| m.started),
        committed_rate: rate(|m| m.committed),
        compensated_rate: rate(|m| m.compensated),
        inconsistent_rate: rate(|m| m.inconsistent),
        aborted_rate: rate(|m| m.aborted),
        committed: count(|m| m.committed),
        compensated: count(|m| m.compensated),
        inconsistent: count(|m| m.inconsistent),
        aborted: count(|m| m.aborted),
        in_progress: count(|m| m.in_progress),
        latency: latency_over(runs, |r| r.sagas[i].settle),
        inconsistency_window_ms: est(runs, |r| {
            ratio(r.sagas[i].window_sum, r.sagas[i].windows) / NS_PER_MS
        }),
        compensation_latency_ms: est(runs, |r| {
            ratio(r.sagas[i].compensation_sum, r.sagas[i].compensations) / NS_PER_MS
        }),
        messages_per_saga: est(runs, |r| ratio(r.sagas[i].messages, settled(r))),
        steps: def
            .steps
            .iter()
            .enumerate()
            .map(|(k, st)| SagaStepSummary {
                action: sc.operations[st.action.0 as usize].name.clone(),
                actions_ok: est(runs, |r| r.sagas[i].actions_ok[k] as f64),
                compensations_ok: est(runs, |r| r.sagas[i].compensations_ok[k] as f64),
            })
            .collect(),
    }
}

/// Mean of a per-execution sum over the service's completed executions, in ms.
fn per_completed(m: &crate::metrics::ServiceMetrics, sum: u128) -> f64 {
    ratio(sum, m.completed) / NS_PER_MS
}
