//! Resilience policies on a call step and failure injection: the validated forms.

use super::{Dist, LinkId, ServiceId};
use crate::kernel::SimTime;

/// Retry a failed call (timeouts, rejections, connection errors, injected errors).
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Total attempts including the first (>= 1).
    pub max_attempts: u32,
    /// Delay before the first retry; 0 = retry at once.
    pub backoff: SimTime,
    /// Growth of the delay per retry (exponential backoff; 1 = constant).
    pub multiplier: f64,
    /// Cap on the delay.
    pub max_backoff: SimTime,
    /// Full jitter: the delay is uniform in [0, computed delay].
    pub jitter: bool,
    /// Retry budget: retries may not exceed this fraction of first attempts (over the
    /// caller service's lifetime, token-bucket style, as in Finagle/gRPC). `None`: unlimited.
    pub budget: Option<f64>,
}

/// A circuit breaker guarding one call site (shared by the caller service's replicas).
#[derive(Clone, Debug)]
pub struct BreakerPolicy {
    /// Open when failures / calls over the window reach this ratio (0 < r <= 1).
    pub failure_ratio: f64,
    /// Length of the sliding time window over which the ratio is computed.
    pub window: SimTime,
    /// Do not open before this many calls were seen in the window.
    pub min_calls: u32,
    /// How long the breaker stays open before letting probes through.
    pub open_for: SimTime,
    /// Probes allowed in half-open state; all must succeed to close.
    pub half_open_probes: u32,
}

/// Per-call-site resilience configuration.
#[derive(Clone, Debug, Default)]
pub struct Policies {
    /// Retries.
    pub retry: Option<RetryPolicy>,
    /// Circuit breaker.
    pub breaker: Option<BreakerPolicy>,
    /// Bulkhead: maximum concurrent calls from the caller service to this call site.
    pub bulkhead: Option<u32>,
    /// Fallback: on final failure, do this local work instead and succeed, degraded.
    pub fallback: Option<Dist>,
    /// Hedging: send a second attempt after this delay if no answer yet; first answer wins.
    pub hedge: Option<SimTime>,
}

impl Policies {
    /// Whether no policy is set (the fast path).
    pub fn is_empty(&self) -> bool {
        self.retry.is_none()
            && self.breaker.is_none()
            && self.bulkhead.is_none()
            && self.fallback.is_none()
            && self.hedge.is_none()
    }
}

/// What a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every replica of a service.
    Service(ServiceId),
    /// One replica (0-based) of a service.
    Replica(ServiceId, u32),
    /// A network link.
    Link(LinkId),
    /// A message broker (only `crash` applies: an outage).
    Broker(super::BrokerId),
}

/// What a fault does.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Down: work in progress and queued work is lost; callers get a fast connection error.
    Crash,
    /// Accepts requests but never answers while the fault lasts.
    Hang,
    /// Service time multiplied by `factor`, plus `delay`.
    Slow {
        /// Multiplier of every work sample (>= 0).
        factor: f64,
        /// Added to every work sample.
        delay: SimTime,
    },
    /// Operations fail with this probability (on top of their own error probability).
    Error {
        /// Probability in [0, 1].
        probability: f64,
    },
    /// A link drops every message.
    Partition,
}

/// When a fault is active.
#[derive(Clone, Debug)]
pub enum FaultSchedule {
    /// Once, from `at` for `duration`.
    Window {
        /// Start time.
        at: SimTime,
        /// Length.
        duration: SimTime,
    },
    /// Repeatedly: up for a draw of `mtbf`, then down for a draw of `mttr`, from time 0.
    Stochastic {
        /// Time between failures (up time).
        mtbf: Dist,
        /// Time to repair (down time).
        mttr: Dist,
    },
}

/// An injected failure.
#[derive(Clone, Debug)]
pub struct Fault {
    /// Display name, e.g. "bank crash".
    pub name: String,
    /// What it hits.
    pub target: FaultTarget,
    /// What it does.
    pub kind: FaultKind,
    /// When.
    pub schedule: FaultSchedule,
}
