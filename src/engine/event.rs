//! The engine's events: plain `Copy` data the kernel's heap moves on every push and pop.

use super::slab::Handle;
use crate::metrics::Outcome;
use crate::model::OpId;

/// Events of the microservice engine. Plain data, at most 24 bytes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Event {
    /// Next open-loop arrival of a workload.
    Arrival {
        workload: u32,
    },
    /// A closed-loop user sends its next request.
    UserSend {
        workload: u32,
        user: u32,
    },
    /// A call's request reaches replica `replica` to run `op`.
    Deliver {
        call: Handle,
        op: OpId,
        replica: u32,
    },
    /// An execution finished its local work.
    WorkDone {
        exec: Handle,
    },
    /// The next execution in local work on a replica with `cpus` may be done (stale
    /// unless `token` is the replica's current one).
    CpuDone {
        replica: u32,
        token: u32,
    },
    /// An execution in local work on a replica with `cpus` reaches its deadline.
    CpuDeadline {
        exec: Handle,
    },
    /// A call's reply reaches its caller.
    Reply {
        call: Handle,
        outcome: Outcome,
    },
    /// The head of timeout list `list` expires.
    Timeouts {
        list: u32,
    },
    /// A deadline-derived (variable) timeout of one call expires.
    Timeout {
        call: Handle,
    },
    /// Send attempt `attempt` of `site` for `exec` after a backoff.
    Retry {
        exec: Handle,
        site: u32,
        attempt: u32,
    },
    /// Hedge the attempt `call` of `site` if it is still unanswered.
    Hedge {
        exec: Handle,
        site: u32,
        call: Handle,
    },
    /// A fallback's local work finished.
    FallbackDone {
        exec: Handle,
    },
    /// Waiter `ticket` of pool state `state` reaches its acquire timeout.
    PoolTimeout {
        state: u32,
        ticket: u64,
    },
    /// A circuit breaker's open period ends.
    BreakerHalfOpen {
        site: u32,
    },
    /// Fault `fault` starts or ends.
    FaultStart {
        fault: u32,
    },
    FaultEnd {
        fault: u32,
    },
    /// The broker acknowledged the publish of message step `index` of group `group`.
    PublishAck {
        exec: Handle,
        group: u32,
        index: u32,
    },
    /// Delivery `delivery` of a message reaches a consumer.
    Consume {
        msg: Handle,
        delivery: u32,
    },
    /// Delivery `delivery` of a message was not acknowledged in time.
    AckTimeout {
        msg: Handle,
        delivery: u32,
    },
    /// A nacked message becomes ready again.
    Requeue {
        msg: Handle,
    },
    /// The reply of a request-reply reaches the requester.
    ReplyArrive {
        pending: Handle,
    },
    /// A request-reply waited too long.
    ReplyTimeout {
        pending: Handle,
    },
    /// A saga command or event reaches the service of `step`.
    SagaDispatch {
        inst: Handle,
        step: u32,
        token: u32,
    },
    /// A saga step's result reaches the coordinator (or the next service).
    SagaResult {
        inst: Handle,
        step: u32,
        token: u32,
        ok: bool,
    },
    /// A saga step did not answer in time.
    SagaTimeout {
        inst: Handle,
        step: u32,
        token: u32,
    },
    /// Retry a failed compensation.
    SagaRetry {
        inst: Handle,
        step: u32,
    },
    /// Autoscaler `scaler` evaluates its metric.
    ScaleEval {
        scaler: u32,
    },
    /// A started replica becomes ready (stale unless `epoch` is still its own).
    ReplicaReady {
        replica: u32,
        epoch: u32,
    },
    /// Close a timeline interval.
    Tick,
    /// The warm-up ends: reset time integrals.
    WarmupEnd,
}

// Events are `Copy` and the kernel's heap moves them on every push and pop: a variant
// that grows one past 24 bytes slows every event (32-byte heap entries with the time and
// sequence). Keep payloads to ids and handles; put the rest in the engine's state.
const _: () = assert!(std::mem::size_of::<Event>() == 24);
