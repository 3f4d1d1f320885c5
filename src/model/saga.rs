//! Sagas: multi-service business transactions made of steps, each an action with a
//! compensating action, run by choreography (events) or orchestration (a coordinator).

use super::{BrokerId, LinkId, OpId, ServiceId};
use crate::kernel::SimTime;

/// Index of a saga in [`super::Scenario::sagas`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SagaId(pub u32);

/// How the steps of a saga are driven.
#[derive(Clone, Copy, Debug)]
pub enum SagaStyle {
    /// A coordinator service invokes each step over the network and, on failure, the
    /// compensations in reverse order. Its saga state survives a crash of its replica
    /// only if `durable` (then in-flight sagas resume after the restart).
    Orchestration {
        /// The coordinator service.
        coordinator: ServiceId,
        /// Saga state is persisted.
        durable: bool,
    },
    /// Services react to each other's events through a broker: each step's success is
    /// an event that triggers the next; a failure event triggers every compensation.
    Choreography {
        /// The broker carrying the events.
        broker: BrokerId,
    },
}

/// One step of a saga.
#[derive(Clone, Copy, Debug)]
pub struct SagaStep {
    /// The action (an operation on some service).
    pub action: OpId,
    /// The compensating action, if the step has an effect to undo.
    pub compensate: Option<OpId>,
    /// Probability that the action fails for business reasons (card declined, out of
    /// stock), on top of the operation's own errors.
    pub fail: f64,
    /// The step counts as failed if it has not answered by then (its effect is then
    /// unknown, so it is compensated too).
    pub timeout: Option<SimTime>,
    /// Orchestration: the link between the coordinator and the action's service, which
    /// its commands and results cross (the default link unless one is declared or a
    /// fault partitions it). Unused by choreography.
    pub action_link: LinkId,
    /// The same for the compensation's service.
    pub compensate_link: LinkId,
}

/// A saga definition.
#[derive(Clone, Debug)]
pub struct Saga {
    /// Name.
    pub name: String,
    /// Choreography or orchestration.
    pub style: SagaStyle,
    /// Steps in order.
    pub steps: Vec<SagaStep>,
    /// Attempts per compensation before the saga is declared inconsistent (>= 1).
    pub compensation_attempts: u32,
    /// Delay between compensation attempts.
    pub compensation_backoff: SimTime,
}
