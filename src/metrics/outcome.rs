//! How a request or call ended: its outcome, failure reason and root-cause component.

use crate::model::{LinkId, Scenario, ServiceId};
use serde::{Deserialize, Serialize};

/// Why a request failed, as the client sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureReason {
    /// A caller gave up waiting.
    Timeout,
    /// A bounded queue was full ("503").
    RejectedQueueFull,
    /// A circuit breaker refused the call.
    RejectedCircuitOpen,
    /// The callee was down (crashed).
    ConnectionError,
    /// An operation failed by its configured error probability.
    InjectedError,
    /// A message was lost.
    LostMessage,
    /// A message ended in a dead-letter queue.
    DeadLettered,
    /// A bulkhead was full.
    RejectedBulkheadFull,
    /// The entry's rate limiter refused the request.
    RejectedRateLimited,
    /// No pooled connection came free within the acquire timeout.
    PoolExhausted,
}

impl FailureReason {
    /// Number of reasons.
    pub const COUNT: usize = 10;
    /// All reasons in report order.
    pub const ALL: [FailureReason; Self::COUNT] = [
        FailureReason::Timeout,
        FailureReason::RejectedQueueFull,
        FailureReason::RejectedCircuitOpen,
        FailureReason::ConnectionError,
        FailureReason::InjectedError,
        FailureReason::LostMessage,
        FailureReason::DeadLettered,
        FailureReason::RejectedBulkheadFull,
        FailureReason::RejectedRateLimited,
        FailureReason::PoolExhausted,
    ];

    /// Stable label used in tables and JSON.
    pub fn label(self) -> &'static str {
        match self {
            FailureReason::Timeout => "timeout",
            FailureReason::RejectedQueueFull => "rejected: queue full",
            FailureReason::RejectedCircuitOpen => "rejected: circuit open",
            FailureReason::ConnectionError => "connection error",
            FailureReason::InjectedError => "injected error",
            FailureReason::LostMessage => "lost message",
            FailureReason::DeadLettered => "dead-lettered",
            FailureReason::RejectedBulkheadFull => "rejected: bulkhead full",
            FailureReason::RejectedRateLimited => "rejected: rate limited",
            FailureReason::PoolExhausted => "pool exhausted",
        }
    }
}

/// A component a failure can be attributed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Component {
    /// The clients themselves (e.g. a client-side timeout with nothing downstream).
    Client,
    /// A service.
    Service(ServiceId),
    /// A network link.
    Link(LinkId),
    /// A message broker.
    Broker(crate::model::BrokerId),
}

impl Component {
    /// Human-readable name within `scenario`.
    pub fn name(self, scenario: &Scenario) -> String {
        match self {
            Component::Client => "client".to_string(),
            Component::Service(s) => scenario.services[s.0 as usize].name.clone(),
            Component::Link(l) => format!("network:{}", scenario.links[l.0 as usize].name),
            Component::Broker(b) => format!("broker:{}", scenario.brokers[b.0 as usize].name),
        }
    }
}

/// Outcome of a call or request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Success.
    Ok,
    /// Success thanks to a fallback somewhere below (a degraded answer).
    Degraded,
    /// Failure with its reason and root-cause component.
    Failed(FailureReason, Component),
}
