//! Stage one: serde structs that mirror the TOML file, key for key (every one of them:
//! scenario, services, workloads, faults, brokers, sagas, `[compare]`, `[[slo]]`).
//! A leaf: it knows only [`Loc`], nothing of the compile stage.
//!
//! Every key is optional here and unknown keys are rejected; the compile stage checks
//! what is required and gives located, typed errors. Values that may be written two
//! ways (a distribution as a string or a table) have small hand-written visitors,
//! because `#[serde(untagged)]` would lose spans and give poor messages.

use super::loc::Loc;
use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    /// Free text describing the scenario (accepted and ignored by the simulator).
    #[serde(rename = "description")]
    pub _description: Option<String>,
    /// `[simulation]`: seed, duration, warm-up, replications.
    pub simulation: Option<Loc<RawSimulation>>,
    /// `[network]`: default latency and loss, and per-link overrides.
    pub network: Option<Loc<RawNetwork>>,
    /// `[protocols.rest]`, `[protocols.grpc]`: overrides of the default protocol costs.
    pub protocols: Option<Loc<RawProtocols>>,
    /// `[services.NAME]`: the services, by name.
    pub services: Option<BTreeMap<String, Loc<RawService>>>,
    /// `[[workload]]`: the entry flows.
    pub workload: Option<Vec<Loc<RawWorkload>>>,
    /// `[[fault]]`: injected failures, in file order.
    pub fault: Option<Vec<Loc<RawFault>>>,
    /// `[compare]`: variants of one flow, run side by side.
    pub compare: Option<Loc<RawCompare>>,
    /// `[[slo]]`: service-level objectives per flow.
    pub slo: Option<Vec<Loc<RawSlo>>>,
    /// `[brokers.NAME]`: message brokers with their queues and topics, by name.
    pub brokers: Option<BTreeMap<String, Loc<RawBroker>>>,
    /// `[sagas.NAME]`: saga definitions, by name.
    pub sagas: Option<BTreeMap<String, Loc<RawSaga>>>,
}

/// `[simulation]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSimulation {
    /// Master seed (integer >= 0), default 1.
    pub seed: Option<Loc<i64>>,
    /// Simulated duration of one replication, e.g. "10m" (required).
    pub duration: Option<Loc<StrOrNum>>,
    /// Warm-up whose samples are discarded, default "0s"; must be < duration.
    pub warmup: Option<Loc<StrOrNum>>,
    /// Number of independent replications (>= 1), default 1.
    pub replications: Option<Loc<i64>>,
    /// Width of a timeline interval, default "1s" (or the duration if shorter); > 0 and
    /// <= duration.
    pub timeline: Option<Loc<StrOrNum>>,
    /// Failure rate above which a non-faulted service is in a fault's blast radius, in
    /// (0, 1], default 0.01.
    pub blast_threshold: Option<Loc<f64>>,
    /// Most events one replication may take, projected from its pace (>= 1e6), default
    /// 1e10: a run that would take longer stops early with an error. An integer, a
    /// whole float (`1e10`) or a count string (`"3e7"`).
    pub max_events: Option<Loc<RawCount>>,
    /// Most work one replication may hold at once (>= 1000), default 1e7: pending
    /// events with requests, executions and messages in flight. A count, as
    /// `max_events`.
    pub max_pending: Option<Loc<RawCount>>,
}

/// `[network]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNetwork {
    /// Default one-way latency distribution, default "0s".
    pub latency: Option<Loc<RawDist>>,
    /// Default message-loss probability in [0, 1], default 0.
    pub loss: Option<Loc<f64>>,
    /// Per-link overrides.
    pub links: Option<Vec<Loc<RawLink>>>,
}

/// One entry of `[network] links`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLink {
    /// Calling side: a service name or "client" (required).
    pub from: Option<Loc<String>>,
    /// Called side: a service name (required).
    pub to: Option<Loc<String>>,
    /// One-way latency on this link; default: the `[network]` latency.
    pub latency: Option<Loc<RawDist>>,
    /// Loss probability on this link; default: the `[network]` loss.
    pub loss: Option<Loc<f64>>,
}

/// `[protocols]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProtocols {
    /// Costs of REST (HTTP/1.1 + JSON).
    pub rest: Option<Loc<RawProtocol>>,
    /// Costs of gRPC (HTTP/2 + protobuf).
    pub grpc: Option<Loc<RawProtocol>>,
}

/// `[protocols.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProtocol {
    /// Fixed cost per message, a duration.
    pub per_message: Option<Loc<StrOrNum>>,
    /// Cost per KiB of payload, a duration.
    pub per_kib: Option<Loc<StrOrNum>>,
}

/// `[services.NAME]`, and also the whole of a model file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    /// Name of a model (or a path ending in .toml) to take defaults from.
    pub model: Option<Loc<String>>,
    /// Number of replicas (>= 1), default 1.
    pub replicas: Option<Loc<i64>>,
    /// Concurrent workers per replica (>= 1), default 1.
    pub workers: Option<Loc<i64>>,
    /// Cores per replica that its workers share (processor sharing), > 0; default none
    /// (a worker is a core).
    pub cpus: Option<Loc<f64>>,
    /// Queue capacity per replica (>= 0), default 1000.
    pub queue: Option<Loc<i64>>,
    /// "round-robin" (default), "random" or "least-outstanding".
    pub balancer: Option<Loc<String>>,
    /// The operations, by name.
    pub operations: Option<BTreeMap<String, Loc<RawOperation>>>,
    /// Client connection pools for calls to other services, by callee service.
    pub pools: Option<BTreeMap<String, Loc<super::pools::RawPool>>>,
    /// Horizontal autoscaling (see `autoscale`).
    pub autoscale: Option<Loc<super::autoscale::RawAutoscale>>,
    /// The slowdown of a new replica (see `autoscale`).
    pub cold_start: Option<Loc<super::autoscale::RawColdStart>>,
}

/// `[services.S.operations.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOperation {
    /// Local work (a distribution), default "0s".
    pub work: Option<Loc<RawDist>>,
    /// Probability of an injected error, in [0, 1], default 0.
    pub error: Option<Loc<f64>>,
    /// Steps run in order after the work.
    pub steps: Option<Vec<Loc<RawStep>>>,
}

/// One step: `call = "svc.op"` (with its options), `parallel = [ steps ]`, or a
/// message step (`send`, `publish`, `request`, `saga`). Also used for the entries of
/// `parallel`, so nesting gets a clear message.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    /// Target operation, "service.operation".
    pub call: Option<Loc<String>>,
    /// Calls made in parallel (each a table with `call` and its options).
    pub parallel: Option<Loc<Vec<Loc<RawStep>>>>,
    /// "rest" (default) or "grpc".
    pub protocol: Option<Loc<String>>,
    /// Give up waiting after this duration; default: wait forever.
    pub timeout: Option<Loc<StrOrNum>>,
    /// Payload bytes each way, default 1024.
    pub payload: Option<Loc<i64>>,
    /// Retries: `{ attempts, backoff, multiplier, max_backoff, jitter, budget }`.
    pub retry: Option<Loc<RawRetry>>,
    /// Circuit breaker: `{ failure_ratio, window, min_calls, open, probes }`.
    pub circuit_breaker: Option<Loc<RawBreaker>>,
    /// Bulkhead: maximum concurrent calls from the caller service to this call (>= 1).
    pub bulkhead: Option<Loc<i64>>,
    /// Fallback: the local work (a distribution) done instead of a call that finally failed.
    pub fallback: Option<Loc<RawDist>>,
    /// Hedging: send a second attempt after this delay if no answer yet (> 0).
    pub hedge: Option<Loc<StrOrNum>>,
    /// Message to a queue, "broker.queue" (see `messaging`).
    pub send: Option<Loc<String>>,
    /// Message to a topic, "broker.topic".
    pub publish: Option<Loc<String>>,
    /// Asynchronous request-reply through a queue, "broker.queue".
    pub request: Option<Loc<String>>,
    /// request: how long to wait for the reply (> 0, required).
    pub reply_timeout: Option<Loc<StrOrNum>>,
    /// request: the continuation run with the reply, "service.operation" (required).
    pub then: Option<Loc<String>>,
    /// request: the continuation run on a reply timeout, "service.operation".
    pub on_timeout: Option<Loc<String>>,
    /// Start an instance of the saga `[sagas.NAME]` (see `saga`).
    pub saga: Option<Loc<String>>,
}

/// `retry = { ... }` on a call.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { attempts = 3, backoff = \"100ms\" }"
)]
pub(crate) struct RawRetry {
    /// Total attempts including the first (>= 1, required).
    pub attempts: Option<Loc<i64>>,
    /// Delay before the first retry, default "0s".
    pub backoff: Option<Loc<StrOrNum>>,
    /// Growth of the delay per retry (>= 1), default 2.
    pub multiplier: Option<Loc<f64>>,
    /// Cap on the delay (>= backoff), default "30s" (or `backoff` if longer).
    pub max_backoff: Option<Loc<StrOrNum>>,
    /// Full jitter, default false.
    pub jitter: Option<Loc<bool>>,
    /// Retries allowed per first attempt, in (0, 10]; default: unlimited.
    pub budget: Option<Loc<f64>>,
}

/// `circuit_breaker = { ... }` on a call.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { failure_ratio = 0.5, window = \"10s\" }"
)]
pub(crate) struct RawBreaker {
    /// Open at this failure ratio over the window, in (0, 1] (required).
    pub failure_ratio: Option<Loc<f64>>,
    /// Sliding window length, default "10s" (> 0).
    pub window: Option<Loc<StrOrNum>>,
    /// Calls needed in the window before the breaker may open (>= 1), default 10.
    pub min_calls: Option<Loc<i64>>,
    /// How long the breaker stays open, default "5s" (> 0).
    pub open: Option<Loc<StrOrNum>>,
    /// Probes let through when half-open (>= 1), default 1.
    pub probes: Option<Loc<i64>>,
}

/// One `[[workload]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkload {
    /// Flow name used in reports, default: the entry string. Unique.
    pub flow: Option<Loc<String>>,
    /// Operation the clients call, "service.operation" (required).
    pub entry: Option<Loc<String>>,
    /// The arrival process (required).
    pub arrivals: Option<Loc<RawArrivals>>,
    /// "rest" (default) or "grpc".
    pub protocol: Option<Loc<String>>,
    /// Client-side timeout; default: none.
    pub timeout: Option<Loc<StrOrNum>>,
    /// Propagate the timeout downstream as a deadline, default false (needs `timeout`).
    pub deadline: Option<Loc<bool>>,
    /// Token-bucket admission limit at the entry: `{ rate, burst }`.
    pub rate_limit: Option<Loc<RawRateLimit>>,
}

/// `rate_limit = { rate, burst }` on a workload.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { rate = \"100/s\", burst = 20 }"
)]
pub(crate) struct RawRateLimit {
    /// Tokens per second, e.g. "100/s" (> 0, required).
    pub rate: Option<Loc<StrOrNum>>,
    /// Bucket size (>= 1), default 1.
    pub burst: Option<Loc<i64>>,
}

/// One `[[fault]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFault {
    /// Display name, default "KIND TARGET".
    pub name: Option<Loc<String>>,
    /// "service", "service#N" (replica N, 0-based), "from->to" (a link; from may be
    /// "client") or "broker" (required).
    pub target: Option<Loc<String>>,
    /// crash, hang, slow, error (services, replicas), partition (links) or crash
    /// (brokers: an outage) (required).
    pub kind: Option<Loc<String>>,
    /// slow: multiplier of the work (>= 0), default 1.
    pub factor: Option<Loc<f64>>,
    /// slow: added delay, default "0s".
    pub delay: Option<Loc<StrOrNum>>,
    /// error: failure probability in [0, 1] (required for error).
    pub probability: Option<Loc<f64>>,
    /// Window schedule: start (< simulation duration), with `duration`.
    pub at: Option<Loc<StrOrNum>>,
    /// Window schedule: length (> 0), with `at`.
    pub duration: Option<Loc<StrOrNum>>,
    /// Stochastic schedule: up time between failures (a distribution), with `mttr`.
    pub mtbf: Option<Loc<RawDist>>,
    /// Stochastic schedule: down time (a distribution), with `mtbf`.
    pub mttr: Option<Loc<RawDist>>,
}

/// `arrivals = { ... }`: exactly one key.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawArrivals {
    /// Poisson process with this rate, e.g. "50/s".
    pub poisson: Option<Loc<StrOrNum>>,
    /// Evenly spaced arrivals at this rate.
    pub constant: Option<Loc<StrOrNum>>,
    /// Piecewise-constant Poisson rates: `[ { at, rate }, ... ]`.
    pub schedule: Option<Loc<Vec<Loc<RawScheduleEntry>>>>,
    /// Closed loop: `{ users, think }`.
    pub closed: Option<Loc<RawClosed>>,
}

/// One `{ at, rate }` of a schedule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScheduleEntry {
    /// When this rate starts (the first must be "0s"; strictly increasing).
    pub at: Option<Loc<StrOrNum>>,
    /// The Poisson rate from then on (>= 0).
    pub rate: Option<Loc<StrOrNum>>,
}

/// `closed = { users, think }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClosed {
    /// Number of users (>= 1).
    pub users: Option<Loc<i64>>,
    /// Think time between a response and the next request, default "0s".
    pub think: Option<Loc<RawDist>>,
}

/// A scalar written as a string (the normal case: "5ms", "50/s") or a bare number
/// (accepted for rates, rejected with a hint for durations).
#[derive(Clone, Debug)]
pub(crate) enum StrOrNum {
    Str(String),
    Num(f64),
}

impl<'de> Deserialize<'de> for StrOrNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrOrNumVisitor("a string such as \"5ms\" or \"50/s\""))
    }
}

/// Reads a [`StrOrNum`]; a wrong type is reported as not being what `.0` describes.
struct StrOrNumVisitor(&'static str);

impl de::Visitor<'_> for StrOrNumVisitor {
    type Value = StrOrNum;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StrOrNum, E> {
        Ok(StrOrNum::Str(v.to_owned()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StrOrNum, E> {
        Ok(StrOrNum::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<StrOrNum, E> {
        Ok(StrOrNum::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrOrNum, E> {
        Ok(StrOrNum::Num(v))
    }
}

/// A count written as an integer, a whole float (`1e10`) or a string (`"3e7"`).
#[derive(Clone, Debug)]
pub(crate) struct RawCount(pub StrOrNum);

impl<'de> Deserialize<'de> for RawCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrOrNumVisitor("a count such as 30000000 or \"3e7\""))
            .map(RawCount)
    }
}

/// A distribution: a duration string (a constant), a number (an error, reported with a
/// hint), or a table with `dist` and its parameters.
#[derive(Clone, Debug)]
pub(crate) enum RawDist {
    Scalar(StrOrNum),
    Table(Box<RawDistTable>),
}

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawDistVisitor)
    }
}

struct RawDistVisitor;

impl<'de> de::Visitor<'de> for RawDistVisitor {
    type Value = RawDist;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a duration such as \"5ms\" or a table such as { dist = \"exp\", mean = \"5ms\" }",
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDist, E> {
        Ok(RawDist::Scalar(StrOrNum::Str(v.to_owned())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDist, E> {
        Ok(RawDist::Scalar(StrOrNum::Num(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawDist, E> {
        Ok(RawDist::Scalar(StrOrNum::Num(v as f64)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawDist, E> {
        Ok(RawDist::Scalar(StrOrNum::Num(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDist, A::Error> {
        RawDistTable::deserialize(MapAccessDeserializer::new(map))
            .map(|t| RawDist::Table(Box::new(t)))
    }
}

/// `{ dist = "...", ... }`: every parameter of every distribution; which ones are
/// required or allowed depends on `dist` and is checked when compiling.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDistTable {
    /// Distribution name: constant, exp (exponential), uniform, normal, lognormal,
    /// gamma, weibull, pareto, empirical.
    pub dist: Option<Loc<String>>,
    /// constant: the value.
    pub value: Option<Loc<StrOrNum>>,
    /// exp, normal, lognormal, gamma: the mean.
    pub mean: Option<Loc<StrOrNum>>,
    /// uniform: lower bound.
    pub min: Option<Loc<StrOrNum>>,
    /// uniform: upper bound.
    pub max: Option<Loc<StrOrNum>>,
    /// normal, lognormal: standard deviation.
    pub std: Option<Loc<StrOrNum>>,
    /// lognormal: the median.
    pub median: Option<Loc<StrOrNum>>,
    /// lognormal: the 99th percentile (> median).
    pub p99: Option<Loc<StrOrNum>>,
    /// gamma, weibull, pareto: scale (a duration).
    pub scale: Option<Loc<StrOrNum>>,
    /// gamma, weibull, pareto: shape (a plain number).
    pub shape: Option<Loc<f64>>,
    /// empirical: observed durations.
    pub values: Option<Loc<Vec<Loc<StrOrNum>>>>,
    /// empirical: a CSV file of observed durations, relative to this TOML file.
    pub file: Option<Loc<String>>,
}

/// `[compare]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCompare {
    /// The compared flow: a `[[workload]]` flow name (required).
    pub flow: Option<Loc<String>>,
    /// The variants: `[ { name, entry }, ... ]` (at least one).
    pub variants: Option<Loc<Vec<Loc<RawVariant>>>>,
}

/// One `{ name, entry }` of `[compare] variants`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVariant {
    /// Display name, unique (required).
    pub name: Option<Loc<String>>,
    /// The entry operation of the flow in this variant, "service.operation" (required).
    pub entry: Option<Loc<String>>,
}

/// One `[[slo]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSlo {
    /// The flow the objective applies to (required).
    pub flow: Option<Loc<String>>,
    /// Largest acceptable p99 response latency, a duration > 0.
    pub p99: Option<Loc<StrOrNum>>,
    /// Smallest acceptable success rate, in [0, 1].
    pub success: Option<Loc<f64>>,
    /// Largest acceptable p99 completion latency, a duration > 0.
    pub completion_p99: Option<Loc<StrOrNum>>,
}

/// `[brokers.NAME]`, and also the whole of a broker model file (without queues and
/// topics).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBroker {
    /// Name of a broker model (or a path ending in .toml) to take defaults from.
    pub model: Option<Loc<String>>,
    /// Publisher -> broker -> ack, a distribution, default "1ms".
    pub publish_latency: Option<Loc<RawDist>>,
    /// Broker -> consumer, a distribution, default "1ms".
    pub delivery_latency: Option<Loc<RawDist>>,
    /// Messages accepted per second, e.g. "20000/s" (> 0); default: unlimited.
    pub capacity: Option<Loc<StrOrNum>>,
    /// Delay before a failed or timed-out message is delivered again, default "1s".
    pub redelivery_delay: Option<Loc<StrOrNum>>,
    /// Default of the broker's queues: survive a broker crash, default true.
    pub durable: Option<Loc<bool>>,
    /// Default of the broker's queues: deliveries before dead-lettering (>= 1), default 5.
    pub max_deliveries: Option<Loc<i64>>,
    /// Default of the broker's queues: messages in flight at once (>= 1), default 1.
    pub concurrency: Option<Loc<i64>>,
    /// Default of the broker's queues: redeliver when not acked within this (> 0);
    /// default: wait forever.
    pub ack_timeout: Option<Loc<StrOrNum>>,
    /// The queues, by name.
    pub queues: Option<BTreeMap<String, Loc<RawQueue>>>,
    /// The topics, by name.
    pub topics: Option<BTreeMap<String, Loc<RawTopic>>>,
}

/// `queues.NAME = { ... }` on a broker.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { consumer = \"payment.charge\", concurrency = 10 }"
)]
pub(crate) struct RawQueue {
    /// The operation that processes each message, "service.operation" (required).
    pub consumer: Option<Loc<String>>,
    /// Messages delivered and not yet acked, at most (>= 1).
    pub concurrency: Option<Loc<i64>>,
    /// Survives a broker crash.
    pub durable: Option<Loc<bool>>,
    /// Deliveries before the message goes to the dead-letter queue (>= 1).
    pub max_deliveries: Option<Loc<i64>>,
    /// Redeliver a message not acked within this time (> 0).
    pub ack_timeout: Option<Loc<StrOrNum>>,
    /// Per-request FIFO (Kafka-like partitions), default false.
    pub ordered: Option<Loc<bool>>,
}

/// `topics.NAME = { ... }` on a broker.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { subscribers = [\"email.confirm\"] }"
)]
pub(crate) struct RawTopic {
    /// The subscribing operations, "service.operation" (at least one, required).
    pub subscribers: Option<Loc<Vec<Loc<String>>>>,
    /// Per subscription: messages delivered and not yet acked, at most (>= 1).
    pub concurrency: Option<Loc<i64>>,
    /// Per subscription: survives a broker crash.
    pub durable: Option<Loc<bool>>,
    /// Per subscription: deliveries before dead-lettering (>= 1).
    pub max_deliveries: Option<Loc<i64>>,
    /// Per subscription: redeliver when not acked within this time (> 0).
    pub ack_timeout: Option<Loc<StrOrNum>>,
    /// Per subscription: per-request FIFO, default false.
    pub ordered: Option<Loc<bool>>,
}

/// `[sagas.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSaga {
    /// "orchestration" or "choreography" (required).
    pub style: Option<Loc<String>>,
    /// orchestration: the coordinator service (required).
    pub coordinator: Option<Loc<String>>,
    /// orchestration: the coordinator's saga state survives its crash, default true.
    pub durable: Option<Loc<bool>>,
    /// choreography: the broker carrying the events (required).
    pub broker: Option<Loc<String>>,
    /// Attempts per compensation before the saga is inconsistent (>= 1), default 3.
    pub compensation_attempts: Option<Loc<i64>>,
    /// Delay between compensation attempts, default "1s".
    pub compensation_backoff: Option<Loc<StrOrNum>>,
    /// The steps, in order (at least one, required).
    pub steps: Option<Loc<Vec<Loc<RawSagaStep>>>>,
}

/// One entry of a saga's `steps`.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { action = \"payment.charge\", compensate = \"payment.refund\" }"
)]
pub(crate) struct RawSagaStep {
    /// The operation that does the step, "service.operation" (required).
    pub action: Option<Loc<String>>,
    /// The operation that undoes it, "service.operation"; default: nothing to undo.
    pub compensate: Option<Loc<String>>,
    /// Probability of a business failure of the action, in [0, 1], default 0.
    pub fail: Option<Loc<f64>>,
    /// The step fails if the action has not answered by then (> 0); default: never.
    pub timeout: Option<Loc<StrOrNum>>,
}
