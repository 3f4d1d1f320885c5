//! Experiments: replications run in parallel and reduced, in index order, into
//! estimates with 95% confidence intervals.
//!
//! Architecture invariant: parallelism exists only across independent units: the
//! replications of an experiment, its variants, and the points (and seeds) of a sweep,
//! whose own replications run in parallel inside them. Each replication is a sequential,
//! self-contained simulation with its own RNG streams, and results are collected in
//! index order (`in_order`), so the result does not depend on the number of threads.

mod capacity;
pub mod compare;
mod faults;
mod pools;
pub mod replications;
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
pub use stability::{model_warnings, Warning};
pub use stats::{t_quantile_975, Estimate};
pub use summary::{
    CompletionSummary, DuringFaults, FailureSummary, FlowSummary, LatencySummary, QueueSummary,
    SagaStepSummary, SagaSummary, ServiceSummary, Summary, NOTABLE_IN_PROGRESS,
};

use crate::engine::RunError;
use crate::model::Scenario;
use rayon::prelude::*;
use replications::Replications;

/// `f` over `items` in parallel, the results in `items`' order; the first error in that
/// order (not the first to happen) if any, so even a failure reads the same on any
/// number of threads.
pub(crate) fn in_order<T: Send, R: Send, E: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> Result<R, E> + Sync + Send,
) -> Result<Vec<R>, E> {
    let results: Vec<Result<R, E>> = items.into_par_iter().map(f).collect();
    results.into_iter().collect()
}

/// Run every replication of `scenario` (in parallel): their metrics in replication
/// order and their merged latency distributions.
pub fn run_replications(scenario: &Scenario) -> Result<Replications, RunError> {
    compare::run_replications_with(scenario, &|| {})
}

/// Run `scenario` and summarise it, with the critical paths of its slowest requests.
pub fn run(scenario: &Scenario) -> Result<Summary, RunError> {
    let reps = compare::run_traced_replications(scenario, &|| {})?;
    Ok(Summary::new(scenario, &reps.runs).with_traced(reps.traced))
}
