//! Per-replication recording: latency histograms, outcome counters with root causes,
//! time-weighted service levels, and the conservation ledger.
//!
//! Memory is independent of run length: histograms are HDR (fixed buckets), levels are
//! running integrals, and nothing is stored per request.

pub mod delivery;
mod figures;
mod flow;
mod interval;
mod level;
mod outcome;
pub mod paths;
mod pool;
mod scaling;
mod timeline;

pub use figures::{new_histogram, LatencyFigures};
pub use flow::{FaultCounters, FlowMetrics, ResponseFacts, Slowest, SLOWEST_TRACED};
pub use level::TimeIntegral;
pub use outcome::{Component, FailureReason, Outcome};
pub use pool::PoolMetrics;
pub use scaling::{ScaleEvent, ScaleInterval, ScaleMetrics};
pub use timeline::{FlowInterval, IntervalLatency, ServiceInterval, Timeline};

use crate::kernel::SimTime;
use crate::model::Scenario;
use figures::spent_histogram;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// What one service recorded in one replication (after the warm-up).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServiceMetrics {
    /// Requests admitted (started at once or queued).
    pub admitted: u64,
    /// Requests rejected because the queue was full.
    pub rejected: u64,
    /// Admitted requests that finished (successfully or not).
    pub completed: u64,
    /// Of those, the ones that failed.
    pub failed: u64,
    /// Sum of sojourn times (arrival at the service to reply sent) of completed requests.
    pub sojourn_sum: u128,
    /// Of it: waiting in the queue for a worker.
    pub queue_wait_sum: u128,
    /// Of it: local work (service time).
    pub work_sum: u128,
    /// Of it: holding the worker while waiting on downstream calls, publishes, backoffs.
    pub downstream_sum: u128,
    /// Busy workers over time (all replicas).
    pub busy: TimeIntegral,
    /// Queued requests over time (all replicas).
    pub queued: TimeIntegral,
    /// Total workers (replicas x workers), for utilization.
    pub capacity: u64,
    /// Busy cores over time (all replicas), in thousandths of a core: per replica
    /// min(executions in local work, cpus). Only for a service with `cpus`.
    #[serde(default)]
    pub cores: TimeIntegral,
    /// Total cores (replicas x cpus) in thousandths; 0 for a service without `cpus`.
    #[serde(default)]
    pub core_capacity: u64,
    /// Executions lost to a crash.
    pub lost_to_crash: u64,
}

/// What happened at one call site (a step's call with its policies).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SiteMetrics {
    /// Logical calls made (one per step execution).
    pub calls: u64,
    /// Attempts sent (first tries, retries and hedges).
    pub attempts: u64,
    /// Retries sent.
    pub retries: u64,
    /// Retries refused by the retry budget.
    pub retries_denied: u64,
    /// Hedged attempts sent.
    pub hedges: u64,
    /// Fallbacks run.
    pub fallbacks: u64,
    /// Calls refused by the bulkhead.
    pub bulkhead_rejections: u64,
    /// Calls refused by an open circuit breaker.
    pub breaker_rejections: u64,
}

/// Circuit-breaker states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerState {
    /// Calls flow.
    Closed,
    /// Calls are refused.
    Open,
    /// A few probes are let through.
    HalfOpen,
}

/// One circuit-breaker state change.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BreakerTransition {
    /// When (seconds of simulated time).
    pub time_s: f64,
    /// Call site index.
    pub site: u32,
    /// From.
    pub from: BreakerState,
    /// To.
    pub to: BreakerState,
}

/// Breaker transitions and fault windows a replication lists one by one; past this it
/// only counts them, so a flapping breaker or a frequent stochastic fault cannot make
/// memory grow with the run's length.
pub const MAX_LISTED_EVENTS: usize = 1000;

impl RunMetrics {
    /// Lists a breaker transition, up to [`MAX_LISTED_EVENTS`] of them.
    pub(crate) fn list_transition(&mut self, t: BreakerTransition) {
        if self.breaker_transitions.len() < MAX_LISTED_EVENTS {
            self.breaker_transitions.push(t);
        }
    }
}

/// A fault's activity over a whole replication, however often it fired.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct FaultTotals {
    /// Times the fault started.
    pub activations: u64,
    /// Time it was active (ns), up to the end of the run.
    pub down: SimTime,
}

/// A period during which a fault was active.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct FaultWindow {
    /// Index of the fault in `Scenario::faults`.
    pub fault: u32,
    /// Start (ns).
    pub start: SimTime,
    /// End (ns); the end of the run if the fault was still active.
    pub end: SimTime,
}

/// Conservation ledger of one replication, over the whole run (warm-up included).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Conservation {
    /// Client requests sent.
    pub requests_sent: u64,
    /// Client requests answered.
    pub requests_answered: u64,
    /// Client requests without an answer at the end.
    pub requests_in_flight: u64,
    /// Operation executions created (admitted at a service).
    pub executions_started: u64,
    /// Executions finished.
    pub executions_finished: u64,
    /// Executions lost to a crash of their replica.
    pub executions_lost: u64,
    /// Executions still queued or running at the end.
    pub executions_in_progress: u64,
    /// Messages accepted by brokers (each topic subscription counts).
    pub messages_published: u64,
    /// Messages processed and acknowledged.
    pub messages_acked: u64,
    /// Messages dead-lettered after `max_deliveries`.
    pub messages_dead_lettered: u64,
    /// Messages lost (non-durable queue on a broker crash).
    pub messages_lost: u64,
    /// Messages still queued, in delivery or awaiting redelivery at the end.
    pub messages_in_queue: u64,
}

impl Conservation {
    /// Whether every request and execution is accounted for exactly once.
    pub fn balances(&self) -> bool {
        self.requests_sent == self.requests_answered + self.requests_in_flight
            && self.executions_started
                == self.executions_finished + self.executions_lost + self.executions_in_progress
            && self.messages_published
                == self.messages_acked
                    + self.messages_dead_lettered
                    + self.messages_lost
                    + self.messages_in_queue
    }
}

/// What one queue recorded: the counts are of the messages published after the
/// warm-up (one cohort, so acked + dead-lettered + lost never exceed published), the
/// depth integral runs from the end of the warm-up (its peak over the whole run).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueueMetrics {
    /// Messages accepted.
    pub published: u64,
    /// Deliveries to consumers (redeliveries included).
    pub delivered: u64,
    /// Messages processed and acknowledged.
    pub acked: u64,
    /// Redeliveries (after a consumer failure, crash or ack timeout).
    pub redeliveries: u64,
    /// Messages whose processing started more than once.
    pub duplicates: u64,
    /// Messages dead-lettered.
    pub dead_lettered: u64,
    /// Messages lost to a broker crash (non-durable queue).
    pub lost: u64,
    /// Sum of first-delivery waits (publish -> delivery), ns: consumer lag.
    pub wait_sum: u128,
    /// First deliveries (the count behind `wait_sum`).
    pub first_deliveries: u64,
    /// Messages waiting for a consumer (the backlog) over time.
    pub depth: TimeIntegral,
    /// Publish -> processed latency of the acknowledged messages.
    #[serde(default)]
    pub delivery: delivery::DeliveryLatency,
}

/// What one saga definition recorded (instances started after the warm-up).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SagaMetrics {
    /// Instances started.
    pub started: u64,
    /// All steps committed.
    pub committed: u64,
    /// A step failed and every compensation succeeded.
    pub compensated: u64,
    /// A compensation failed for good, or never finished before the end of the run, or
    /// the coordinator lost the saga's state after an effect.
    pub inconsistent: u64,
    /// The coordinator lost the saga's state before any effect (nothing to undo).
    pub aborted: u64,
    /// Still running forward at the end of the run.
    pub in_progress: u64,
    /// Start -> settled latency, while the run records: [`SagaMetrics::seal`] keeps
    /// only its figures (`settle`).
    #[serde(skip, default = "spent_histogram")]
    pub latency: Histogram<u64>,
    /// The figures of `latency` (and `latency_sum`), filled by the seal.
    pub settle: LatencyFigures,
    /// Exact sum of settle latencies (ns).
    pub latency_sum: u128,
    /// Sum of inconsistency windows (first effect -> settled), ns, and their count.
    pub window_sum: u128,
    /// Settled sagas that had an effect.
    pub windows: u64,
    /// Sum of compensation latencies (failure -> compensated), ns, and their count.
    pub compensation_sum: u128,
    /// Sagas that went through compensation and settled.
    pub compensations: u64,
    /// Messages (commands, replies, events) exchanged by settled sagas.
    pub messages: u64,
    /// Per step: actions that committed.
    pub actions_ok: Vec<u64>,
    /// Per step: compensations that succeeded.
    pub compensations_ok: Vec<u64>,
}

impl SagaMetrics {
    /// Empty metrics for a saga of `steps` steps.
    pub fn new(steps: usize) -> Self {
        SagaMetrics {
            started: 0,
            committed: 0,
            compensated: 0,
            inconsistent: 0,
            aborted: 0,
            in_progress: 0,
            latency: new_histogram(),
            settle: LatencyFigures::default(),
            latency_sum: 0,
            window_sum: 0,
            windows: 0,
            compensation_sum: 0,
            compensations: 0,
            messages: 0,
            actions_ok: vec![0; steps],
            compensations_ok: vec![0; steps],
        }
    }

    /// Keep the figures of the settle latencies, not their histogram. Called once, when
    /// the run ends.
    pub fn seal(&mut self) {
        self.settle = LatencyFigures::of(&self.latency, self.latency_sum);
        self.latency = spent_histogram();
    }
}

/// Everything one replication recorded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Length of the measured window (duration - warm-up), ns.
    pub measured: SimTime,
    /// Per flow, indexed like `Scenario::workloads`.
    pub flows: Vec<FlowMetrics>,
    /// Per service, indexed by `ServiceId`.
    pub services: Vec<ServiceMetrics>,
    /// Replies that arrived after their caller had given up (wasted work).
    pub late_replies: u64,
    /// Messages lost on the network.
    pub lost_messages: u64,
    /// Events handled by the kernel.
    pub events: u64,
    /// The conservation ledger.
    pub conservation: Conservation,
    /// Per call site, indexed like `Scenario::policies`.
    pub sites: Vec<SiteMetrics>,
    /// Circuit-breaker state changes, in time order (the first [`MAX_LISTED_EVENTS`]).
    pub breaker_transitions: Vec<BreakerTransition>,
    /// Per call site: times its breaker opened (all of them, warm-up included).
    pub breaker_opened: Vec<u64>,
    /// Fault activity, in start order (the first [`MAX_LISTED_EVENTS`] windows).
    pub fault_windows: Vec<FaultWindow>,
    /// Per fault, indexed like `Scenario::faults`: activations and time active.
    pub fault_totals: Vec<FaultTotals>,
    /// Per-interval figures.
    pub timeline: Timeline,
    /// Per queue, indexed like `Scenario::queues`.
    pub queues: Vec<QueueMetrics>,
    /// Request-reply replies that never came in time.
    pub reply_timeouts: u64,
    /// Per saga definition, indexed like `Scenario::sagas`.
    pub sagas: Vec<SagaMetrics>,
    /// Per client connection pool, indexed like `Scenario::pools`.
    #[serde(default)]
    pub pools: Vec<PoolMetrics>,
    /// Per autoscaled service, in service order.
    #[serde(default)]
    pub scaling: Vec<ScaleMetrics>,
    /// Changes of desired replicas, in time order (the first [`MAX_LISTED_EVENTS`]).
    #[serde(default)]
    pub scale_events: Vec<ScaleEvent>,
}

impl RunMetrics {
    /// Empty metrics shaped for `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        RunMetrics {
            measured: scenario.sim.duration - scenario.sim.warmup,
            flows: scenario
                .workloads
                .iter()
                .map(|_| FlowMetrics::new())
                .collect(),
            services: scenario
                .services
                .iter()
                .map(|s| ServiceMetrics {
                    capacity: s.replicas as u64 * s.workers as u64,
                    core_capacity: s.replicas as u64 * s.cpu_millis.map_or(0, u64::from),
                    ..Default::default()
                })
                .collect(),
            late_replies: 0,
            lost_messages: 0,
            events: 0,
            conservation: Conservation::default(),
            sites: scenario
                .policies
                .iter()
                .map(|_| SiteMetrics::default())
                .collect(),
            breaker_transitions: Vec::new(),
            breaker_opened: vec![0; scenario.policies.len()],
            fault_windows: Vec::new(),
            fault_totals: vec![FaultTotals::default(); scenario.faults.len()],
            timeline: Timeline::new(scenario),
            queues: scenario
                .queues
                .iter()
                .map(|_| QueueMetrics::default())
                .collect(),
            reply_timeouts: 0,
            sagas: scenario
                .sagas
                .iter()
                .map(|s| SagaMetrics::new(s.steps.len()))
                .collect(),
            pools: PoolMetrics::for_scenario(scenario),
            scaling: (scenario.services.iter())
                .filter(|s| s.autoscale.is_some())
                .map(|_| ScaleMetrics::default())
                .collect(),
            scale_events: Vec::new(),
        }
    }
}
