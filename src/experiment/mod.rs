//! Experiments: replications run in parallel and reduced, in index order, into
//! estimates with 95% confidence intervals.
//!
//! Architecture invariant: parallelism exists only across replications. Each
//! replication is a sequential, self-contained simulation with its own RNG streams, so
//! the result does not depend on the number of threads.

pub mod compare;
mod faults;
pub mod slo;
mod stats;
mod summary;
pub mod sweep;

pub use faults::{
    BlastService, FaultSummary, FlowTimeline, QueueTimeline, ServiceTimeline, SiteSummary,
    TimelineSummary, TransitionSummary, WindowFlow, WindowQueue, WindowSummary,
};
pub use stats::{t_quantile_975, Estimate};
pub use summary::{
    CompletionSummary, DuringFaults, FailureSummary, FlowSummary, LatencySummary, QueueSummary,
    SagaStepSummary, SagaSummary, ServiceSummary, Summary,
};

use crate::engine::{run_replication, ConservationError};
use crate::metrics::RunMetrics;
use crate::model::Scenario;
use rayon::prelude::*;

/// Run every replication of `scenario` (in parallel) and return their metrics in
/// replication order.
pub fn run_replications(scenario: &Scenario) -> Result<Vec<RunMetrics>, ConservationError> {
    (0..scenario.sim.replications)
        .into_par_iter()
        .map(|r| run_replication(scenario, r))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// Run `scenario` and summarise it.
pub fn run(scenario: &Scenario) -> Result<Summary, ConservationError> {
    let runs = run_replications(scenario)?;
    Ok(Summary::new(scenario, &runs))
}
