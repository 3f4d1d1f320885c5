//! Experiments: replications run in parallel and reduced, in index order, into
//! estimates with 95% confidence intervals.
//!
//! Architecture invariant: parallelism exists only across replications. Each
//! replication is a sequential, self-contained simulation with its own RNG streams, so
//! the result does not depend on the number of threads.

mod faults;
mod stats;
mod summary;

pub use faults::{
    BlastService, FaultSummary, FlowTimeline, ServiceTimeline, SiteSummary, TimelineSummary,
    TransitionSummary, WindowFlow, WindowSummary,
};
pub use stats::{t_quantile_975, Estimate};
pub use summary::{
    DuringFaults, FailureSummary, FlowSummary, LatencySummary, ServiceSummary, Summary,
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
