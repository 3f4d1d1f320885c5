//! The compiled topology the engine runs on.
//!
//! The spec layer resolves every name to a typed index once, at load time; the engine
//! then works on `Vec`s indexed by these ids and never looks anything up by name.
//!
//! Architecture invariant: the model is plain, validated data. Everything here has
//! already been checked (references exist, probabilities are in [0, 1], no cycle of
//! synchronous calls), so the engine may index without checking.

mod autoscale;
mod compare;
mod dist;
mod messaging;
mod pool;
pub mod reach;
mod resilience;
mod saga;

pub use autoscale::{Autoscale, ColdStart, ScaleMetric, Warmup};
pub use compare::{Comparison, Slo, Variant};
pub use dist::Dist;
pub use messaging::{Broker, BrokerId, MessageKind, MessageStep, Queue, QueueId, Topic, TopicId};
pub use pool::{Pool, PoolKind};
pub use resilience::{
    BreakerPolicy, Fault, FaultKind, FaultSchedule, FaultTarget, Policies, RetryPolicy,
};
pub use saga::{Saga, SagaId, SagaStep, SagaStyle};

use crate::kernel::SimTime;
use serde::{Deserialize, Serialize};

/// Index of a service in [`Scenario::services`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServiceId(pub u32);

/// Index of an operation in [`Scenario::operations`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId(pub u32);

/// Index of a network link in [`Scenario::links`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LinkId(pub u32);

/// Run-level settings from `[simulation]`.
#[derive(Clone, Debug)]
pub struct SimSettings {
    /// Master seed.
    pub seed: u64,
    /// Simulated duration of one replication (arrivals stop at this time).
    pub duration: SimTime,
    /// Requests arriving before this time are simulated but not counted.
    pub warmup: SimTime,
    /// Number of independent replications.
    pub replications: u32,
    /// Width of a timeline interval (default 1 s).
    pub timeline: SimTime,
    /// A non-faulted service whose failure rate during a fault window exceeds this is in
    /// the blast radius (default 0.01).
    pub blast_threshold: f64,
    /// Most events one replication may take, projected from its pace: a run that would
    /// take longer stops early with an error (default [`DEFAULT_MAX_EVENTS`]).
    pub max_events: u64,
    /// Most work one replication may hold at once: pending events, and requests,
    /// executions and messages in flight (default [`DEFAULT_MAX_PENDING`]).
    pub max_pending: u64,
}

/// Default of [`SimSettings::max_events`]: about half an hour or more of CPU at the
/// engine's speed. A run beyond it is almost always a model mistake (a 1 ns timeout in
/// a closed loop, a rate far above what the services serve); raise it for a real one.
pub const DEFAULT_MAX_EVENTS: u64 = 10_000_000_000;

/// Default of [`SimSettings::max_pending`]: a few GiB of state. A model whose work
/// piles up faster than it is served (a backlog that grows without end) stops with an
/// error before it exhausts memory; raise it for a real backlog that large.
pub const DEFAULT_MAX_PENDING: u64 = 10_000_000;

/// Most intervals a timeline holds. A longer run widens its interval to a whole
/// multiple of the requested one, so a timeline's memory never grows with the run's
/// length (600: ten minutes at the default 1 s stay as asked).
pub const MAX_TIMELINE_INTERVALS: u64 = 600;

impl SimSettings {
    /// The timeline interval a run uses: the requested `timeline`, widened to the
    /// smallest whole multiple of it that covers `duration` in at most
    /// [`MAX_TIMELINE_INTERVALS`] intervals.
    pub fn timeline_interval(&self) -> SimTime {
        let width = self.timeline.max(1);
        let n = self.duration.div_ceil(width);
        width.saturating_mul(n.div_ceil(MAX_TIMELINE_INTERVALS).max(1))
    }

    /// Whether something that began at `t` is in the measured window's counts: after
    /// the warm-up's end (which resets the counts at `warmup`, so something at that
    /// very instant may come before the reset), or always without a warm-up.
    pub fn measures(&self, t: SimTime) -> bool {
        self.warmup == 0 || t > self.warmup
    }
}

/// How a caller chooses among a service's replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Balancer {
    /// Cycle through replicas in order.
    RoundRobin,
    /// Uniformly random replica.
    Random,
    /// Power of two choices: the less loaded of two random replicas.
    LeastOutstanding,
}

/// A wire protocol, which sets the per-message serialization cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// HTTP/1.1 + JSON.
    Rest,
    /// HTTP/2 + protobuf.
    Grpc,
}

/// Costs of a protocol, added to the link latency of every message in each direction.
#[derive(Clone, Debug)]
pub struct ProtocolProfile {
    /// Fixed cost per message (framing, headers, (de)serialization set-up), ns.
    pub per_message: SimTime,
    /// Cost per KiB of payload ((de)serialization and transfer), ns.
    pub per_kib: SimTime,
}

/// A network path between two components (or the `[network]` default).
#[derive(Clone, Debug)]
pub struct Link {
    /// Display name: "default" or "from->to".
    pub name: String,
    /// One-way latency.
    pub latency: Dist,
    /// Probability that a message on this link is lost.
    pub loss: f64,
}

/// A service: replicas, each with a worker pool and a bounded FIFO queue.
#[derive(Clone, Debug)]
pub struct Service {
    /// Unique name.
    pub name: String,
    /// Number of replicas (>= 1).
    pub replicas: u32,
    /// Concurrent workers per replica (>= 1).
    pub workers: u32,
    /// Cores per replica shared by its workers (processor sharing), in thousandths of a
    /// core (`cpus = 0.5` is 500). `None`: a worker is a core.
    pub cpu_millis: Option<u32>,
    /// Queue capacity per replica (0 = no queue: reject when all workers are busy).
    pub queue_capacity: u32,
    /// Replica selection for calls to this service.
    pub balancer: Balancer,
    /// This service's operations.
    pub operations: Vec<OpId>,
    /// Its autoscaler; `replicas` is then the number of replica slots
    /// ([`Autoscale::slots`]), of which `initial` serve at time 0.
    pub autoscale: Option<Box<Autoscale>>,
    /// The slowdown of a new replica.
    pub cold_start: Option<ColdStart>,
}

/// One synchronous call made by an operation.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    /// The operation called.
    pub target: OpId,
    /// Wire protocol.
    pub protocol: Protocol,
    /// Give up after this long (the callee's work goes on, wasted). `None`: wait forever.
    pub timeout: Option<SimTime>,
    /// Payload size in bytes, each way.
    pub payload_bytes: u32,
    /// The network path used (both ways).
    pub link: LinkId,
    /// Index of this call site in [`Scenario::policies`] (every call has one).
    pub site: u32,
}

/// Steps run in order; the steps within one group run in parallel.
#[derive(Clone, Debug)]
pub struct StepGroup {
    /// The synchronous calls of this group.
    pub calls: Vec<Call>,
    /// The message steps of this group (a plain `send`/`publish`/`request` step is a
    /// group with one message and no call).
    pub messages: Vec<MessageStep>,
}

/// An operation (handler) of a service.
#[derive(Clone, Debug)]
pub struct Operation {
    /// Full name, "service.operation".
    pub name: String,
    /// Owning service.
    pub service: ServiceId,
    /// Local work holding a worker, done before the steps.
    pub work: Dist,
    /// Probability that the operation fails with an injected error after its work.
    pub error_probability: f64,
    /// Steps, in order.
    pub groups: Vec<StepGroup>,
}

/// How requests of a workload arrive.
#[derive(Clone, Debug)]
pub enum Arrivals {
    /// Poisson process with `rate` requests per second.
    Poisson {
        /// Requests per second.
        rate: f64,
    },
    /// Evenly spaced arrivals at `rate` per second.
    Constant {
        /// Requests per second.
        rate: f64,
    },
    /// Piecewise-constant Poisson rate: `(from, rate)` pairs sorted by time, the first
    /// starting at 0.
    Schedule(Vec<(SimTime, f64)>),
    /// Closed loop: `users` users each send a request, wait for the response, think.
    Closed {
        /// Number of users.
        users: u32,
        /// Think time between a response and the next request.
        think: Dist,
    },
}

/// A token-bucket rate limit.
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    /// Tokens added per second.
    pub rate: f64,
    /// Bucket size (the largest burst admitted at once), >= 1.
    pub burst: u32,
}

/// An entry flow: clients calling one operation.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Flow name used in reports.
    pub flow: String,
    /// The operation clients call.
    pub entry: OpId,
    /// Network path from the clients to the entry service.
    pub link: LinkId,
    /// Protocol of the client call.
    pub protocol: Protocol,
    /// Client-side timeout, if any.
    pub timeout: Option<SimTime>,
    /// Propagate the client timeout as a deadline: callees give up on work whose
    /// deadline has passed, and no downstream call waits past it.
    pub deadline: bool,
    /// Admission rate limit at the entry (token bucket), if any.
    pub rate_limit: Option<RateLimit>,
    /// Arrival process.
    pub arrivals: Arrivals,
}

/// A complete, validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Scenario name (the file stem).
    pub name: String,
    /// Run settings.
    pub sim: SimSettings,
    /// Services, indexed by [`ServiceId`].
    pub services: Vec<Service>,
    /// Operations, indexed by [`OpId`].
    pub operations: Vec<Operation>,
    /// Links, indexed by [`LinkId`]; index 0 is the `[network]` default.
    pub links: Vec<Link>,
    /// Protocol profiles, indexed by `Protocol as usize`.
    pub protocols: [ProtocolProfile; 2],
    /// Entry flows.
    pub workloads: Vec<Workload>,
    /// Resilience policies of every call site, indexed by [`Call::site`].
    pub policies: Vec<Policies>,
    /// Injected failures.
    pub faults: Vec<Fault>,
    /// `[compare]`: variants of one flow to run side by side, if any.
    pub compare: Option<Comparison>,
    /// `[[slo]]`: service-level objectives per flow.
    pub slos: Vec<Slo>,
    /// Message brokers, indexed by [`BrokerId`].
    pub brokers: Vec<Broker>,
    /// Queues (including one per topic subscription), indexed by [`QueueId`].
    pub queues: Vec<Queue>,
    /// Topics, indexed by [`TopicId`].
    pub topics: Vec<Topic>,
    /// Saga definitions, indexed by [`SagaId`].
    pub sagas: Vec<Saga>,
    /// Client connection pools (`[services.X.pools.Y]`), in caller, callee order.
    pub pools: Vec<Pool>,
}

impl Scenario {
    /// The profile of a protocol.
    pub fn protocol(&self, p: Protocol) -> &ProtocolProfile {
        &self.protocols[p as usize]
    }

    /// Look up a service by name.
    pub fn service_by_name(&self, name: &str) -> Option<ServiceId> {
        self.services
            .iter()
            .position(|s| s.name == name)
            .map(|i| ServiceId(i as u32))
    }

    /// Look up an operation by its full name "service.operation".
    pub fn operation_by_name(&self, name: &str) -> Option<OpId> {
        self.operations
            .iter()
            .position(|o| o.name == name)
            .map(|i| OpId(i as u32))
    }

    /// Total number of replicas over all services.
    pub fn total_replicas(&self) -> usize {
        self.services.iter().map(|s| s.replicas as usize).sum()
    }
}

impl ProtocolProfile {
    /// Default REST (HTTP/1.1 + JSON) costs: see `models/README.md` for the sources.
    pub fn rest_default() -> Self {
        ProtocolProfile {
            per_message: 60_000,
            per_kib: 25_000,
        }
    }

    /// Default gRPC (HTTP/2 + protobuf) costs.
    pub fn grpc_default() -> Self {
        ProtocolProfile {
            per_message: 20_000,
            per_kib: 6_000,
        }
    }

    /// Serialization + transfer cost of one message of `bytes` bytes.
    #[inline]
    pub fn cost(&self, bytes: u32) -> SimTime {
        self.per_message + (self.per_kib * bytes as u64) / 1024
    }
}
