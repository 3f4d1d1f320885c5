//! Experiments: replications run in parallel and reduced, in index order, into
//! estimates with 95% confidence intervals.
//!
//! Architecture invariant: parallelism exists only across replications. Each
//! replication is a sequential, self-contained simulation with its own RNG streams, so
//! the result does not depend on the number of threads.

mod capacity;
pub mod compare;
mod delivery;
mod faults;
mod pools;
pub mod seeds;
pub mod slo;
mod stability;
mod stats;
mod summary;
pub mod sweep;

pub use capacity::{CostSummary, ScaleEventSummary, ScalingSummary, ScalingTimeline};
pub use faults::{
    BlastService, FaultSummary, FlowTimeline, QueueTimeline, ServiceTimeline, SiteSummary,
    TimelineSummary, TransitionSummary, WindowFlow, WindowQueue, WindowSummary,
};
pub use pools::PoolSummary;
pub use stability::Warning;
pub use stats::{t_quantile_975, Estimate};
pub use summary::{
    CompletionSummary, DuringFaults, FailureSummary, FlowSummary, LatencySummary, QueueSummary,
    SagaStepSummary, SagaSummary, ServiceSummary, Summary,
};

use crate::engine::RunError;
use crate::metrics::RunMetrics;
use crate::model::Scenario;

/// Run every replication of `scenario` (in parallel) and return their metrics in
/// replication order.
pub fn run_replications(scenario: &Scenario) -> Result<Vec<RunMetrics>, RunError> {
    compare::run_replications_with(scenario, &|| {})
}

/// Run `scenario` and summarise it, with the critical paths of its slowest requests.
pub fn run(scenario: &Scenario) -> Result<Summary, RunError> {
    let (runs, traced) = compare::run_traced_replications(scenario, &|| {})?;
    let mut summary = Summary::new(scenario, &runs);
    summary.traced = traced;
    Ok(summary)
}
