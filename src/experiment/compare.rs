//! Pattern comparisons: the same scenario run once per `[compare]` variant.
//!
//! A variant is the scenario with the compared workload's entry (and client link)
//! replaced. Random streams are keyed by component *name* (see `kernel::rng`), so every
//! variant draws the same open-loop arrivals (`workload:<flow>`) and the same fault
//! schedule (`fault:<name>`): common random numbers, so differences between variants
//! come from the pattern, not from luck. (Closed-loop arrivals depend on responses and
//! therefore differ.)
//!
//! A scenario without `[compare]` is an experiment with a single variant, so reports
//! treat both alike.

use super::replications::{gather, Replications};
use super::Summary;
use crate::engine::{
    run_replication, trace_replication, trace_replication_recorded, Recording, RunError,
};
use crate::metrics::paths::Traced;
use crate::metrics::RunMetrics;
use crate::model::{OpId, Scenario, Variant};
use serde::Serialize;
use std::sync::{Arc, Mutex, PoisonError};

/// The name of the only variant of a scenario without `[compare]`.
pub const AS_WRITTEN: &str = "as written";

/// One variant's results (serialised by `report::json`, which names its ids).
#[derive(Clone, Debug)]
pub struct VariantRun {
    /// Variant name.
    pub name: String,
    /// The scenario this variant ran (for a comparison: the compared workload's entry
    /// replaced); the report names the ids of the results with it.
    pub scenario: Arc<Scenario>,
    /// The compared (or first) flow's entry operation in this variant.
    pub entry: Option<OpId>,
    /// All figures of the variant's run.
    pub summary: Summary,
    /// Response-latency CDF per flow (indexed like `summary.flows`): `(ms, quantile)`
    /// points of the histogram merged over replications.
    pub cdf: Vec<Vec<(f64, f64)>>,
    /// Completion-latency CDF per flow, like `cdf` (empty when nothing completed).
    pub completion_cdf: Vec<Vec<(f64, f64)>>,
}

/// The results of every variant, in `[compare]` order.
#[derive(Clone, Debug, Serialize)]
pub struct Experiment {
    /// Scenario name.
    pub scenario: String,
    /// archsim version.
    pub archsim_version: String,
    /// Master seed.
    pub seed: u64,
    /// The compared flow (`None` for a scenario without `[compare]`).
    pub flow: Option<String>,
    /// Per variant.
    pub variants: Vec<VariantRun>,
}

impl Experiment {
    /// Whether this is a real comparison (from `[compare]`), not a single run.
    pub fn is_comparison(&self) -> bool {
        self.flow.is_some()
    }

    /// The flow charts and tables focus on: the compared flow, else the first.
    pub fn focus_flow(&self) -> usize {
        let Some(flow) = &self.flow else { return 0 };
        self.variants
            .first()
            .and_then(|v| v.summary.flows.iter().position(|f| &f.flow == flow))
            .unwrap_or(0)
    }
}

/// The scenario of one variant: the compared workload calls `variant.entry`.
pub fn variant_scenario(scenario: &Scenario, variant: &Variant) -> Scenario {
    let mut sc = scenario.clone();
    if let Some(c) = &scenario.compare {
        let w = &mut sc.workloads[c.workload];
        w.entry = variant.entry;
        w.link = variant.link;
    }
    sc.compare = None;
    sc
}

/// The variants of a scenario: its `[compare]` variants, or itself as written.
pub fn variants(scenario: &Scenario) -> Vec<(String, Scenario)> {
    match &scenario.compare {
        Some(c) => c
            .variants
            .iter()
            .map(|v| (v.name.clone(), variant_scenario(scenario, v)))
            .collect(),
        None => vec![(AS_WRITTEN.to_string(), scenario.clone())],
    }
}

/// Run every replication of `scenario` in parallel, calling `tick` after each one.
pub fn run_replications_with(
    scenario: &Scenario,
    tick: &(dyn Fn() + Sync),
) -> Result<Replications, RunError> {
    run_all(scenario, Tracing::Off, tick)
}

/// Like [`run_replications_with`], with replication 0 traced for the critical paths of
/// its slowest requests and the per-hop breakdowns.
pub fn run_traced_replications(
    scenario: &Scenario,
    tick: &(dyn Fn() + Sync),
) -> Result<Replications, RunError> {
    run_all(scenario, Tracing::SlowestRequests, tick)
}

fn run_all(
    scenario: &Scenario,
    tracing: Tracing,
    tick: &(dyn Fn() + Sync),
) -> Result<Replications, RunError> {
    run_each(scenario, tick, |r| run_unit(scenario, r, tracing))
}

/// `unit` for every replication of `scenario`, in parallel, calling `tick` after each.
fn run_each(
    scenario: &Scenario,
    tick: &(dyn Fn() + Sync),
    unit: impl Fn(u32) -> Result<(RunMetrics, Option<Traced>), RunError> + Sync + Send,
) -> Result<Replications, RunError> {
    let replications: Vec<u32> = (0..scenario.sim.replications).collect();
    gather(scenario, replications, |r| {
        let done = unit(r);
        tick();
        done
    })
}

/// One work unit: replication `replication` of one variant's scenario, run as the
/// one-machine path runs it (traced when `tracing` asks for it and this is replication
/// 0). The metrics (distributions still in), and the paths when traced.
pub fn run_unit(
    scenario: &Scenario,
    replication: u32,
    tracing: Tracing,
) -> Result<(RunMetrics, Option<Traced>), RunError> {
    if replication == 0 && tracing == Tracing::SlowestRequests {
        let (m, traced) = trace_replication(scenario, replication)?;
        Ok((m, Some(traced)))
    } else {
        Ok((run_replication(scenario, replication)?, None))
    }
}

/// Whether an experiment traces the critical paths of its slowest requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tracing {
    /// Re-run replication 0 to trace the slowest requests of each flow and a sample
    /// of its responses.
    SlowestRequests,
    /// No tracing (sweeps: many points, no per-request tables).
    Off,
}

/// Run one scenario (one variant) and keep its summary and CDFs.
pub fn run_variant(
    name: &str,
    scenario: &Scenario,
    focus: Option<usize>,
    tracing: Tracing,
    tick: &(dyn Fn() + Sync),
) -> Result<VariantRun, RunError> {
    let replications = run_all(scenario, tracing, tick)?;
    Ok(reduce_variant(name, scenario, focus, replications))
}

/// [`run_variant`] with replication 0 traced and recorded for export (at most `limit`
/// requests per flow): the run, and that replication's [`Recording`].
fn run_variant_recorded(
    name: &str,
    scenario: &Scenario,
    focus: Option<usize>,
    limit: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<(VariantRun, Recording), RunError> {
    // Replication 0 leaves its recording here as it finishes (in whatever thread).
    let recording = Mutex::new(None);
    let runs = run_each(scenario, tick, |r| {
        if r > 0 {
            return run_unit(scenario, r, Tracing::SlowestRequests);
        }
        trace_replication_recorded(scenario, r, limit).map(|(rec, traced)| {
            let metrics = rec.metrics.clone();
            *recording.lock().unwrap_or_else(PoisonError::into_inner) = Some(rec);
            (metrics, Some(traced))
        })
    })?;
    let recording = recording
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .expect("every run has a replication 0");
    Ok((reduce_variant(name, scenario, focus, runs), recording))
}

/// Reduce one variant's replications into its summary and CDFs: the one reducer of the
/// one-machine path and of `archsim merge`.
pub fn reduce_variant(
    name: &str,
    scenario: &Scenario,
    focus: Option<usize>,
    replications: Replications,
) -> VariantRun {
    let Replications {
        runs,
        distributions,
        traced,
    } = replications;
    let summary = Summary::new(scenario, &runs).with_traced(traced);
    let flows = 0..scenario.workloads.len();
    let cdf = flows
        .clone()
        .map(|f| distributions.response_cdf(f))
        .collect();
    let completion_cdf = flows.map(|f| distributions.completion_cdf(f)).collect();
    let entry = scenario.workloads.get(focus.unwrap_or(0)).map(|w| w.entry);
    VariantRun {
        name: name.to_string(),
        scenario: Arc::new(scenario.clone()),
        entry,
        summary,
        cdf,
        completion_cdf,
    }
}

/// The compared workload of `scenario` (`None` without `[compare]`): the flow each
/// variant's figures focus on.
pub fn focus_workload(scenario: &Scenario) -> Option<usize> {
    scenario.compare.as_ref().map(|c| c.workload)
}

/// An experiment of `scenario` from its variants' results, in `[compare]` order.
pub fn experiment_of(scenario: &Scenario, variants: Vec<VariantRun>) -> Experiment {
    let focus = focus_workload(scenario);
    Experiment {
        scenario: scenario.name.clone(),
        archsim_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: scenario.sim.seed,
        flow: focus.map(|w| scenario.workloads[w].flow.clone()),
        variants,
    }
}

/// Run every variant of `scenario` (each with its replications in parallel), calling
/// `tick` after each replication, and trace the slowest requests of each.
pub fn run_experiment(
    scenario: &Scenario,
    tick: &(dyn Fn() + Sync),
) -> Result<Experiment, RunError> {
    run_experiment_with(scenario, Tracing::SlowestRequests, tick)
}

/// [`run_experiment`] with a choice of tracing.
pub fn run_experiment_with(
    scenario: &Scenario,
    tracing: Tracing,
    tick: &(dyn Fn() + Sync),
) -> Result<Experiment, RunError> {
    let focus = focus_workload(scenario);
    // Variants in parallel too, each with its replications nested: with few
    // replications the cores would otherwise idle.
    let out = super::in_order(variants(scenario), |(name, sc)| {
        run_variant(&name, &sc, focus, tracing, tick)
    })?;
    Ok(experiment_of(scenario, out))
}

/// [`run_experiment`] that also records replication 0 of every variant, in the run
/// that traces it, for `--traces` and `--metrics` (at most `limit` sampled requests per
/// flow): the experiment, and one [`Recording`] per variant in `[compare]` order. The
/// experiment is `run_experiment`'s, and each recording is
/// [`crate::engine::record_replication`]'s, without simulating the replication again.
pub fn run_experiment_recorded(
    scenario: &Scenario,
    limit: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<(Experiment, Vec<Recording>), RunError> {
    let focus = focus_workload(scenario);
    let out = super::in_order(variants(scenario), |(name, sc)| {
        run_variant_recorded(&name, &sc, focus, limit, tick)
    })?;
    let (runs, recordings) = out.into_iter().unzip();
    Ok((experiment_of(scenario, runs), recordings))
}

/// Replications an experiment will run in all (for progress bars).
pub fn total_replications(scenario: &Scenario) -> u64 {
    let n = scenario.compare.as_ref().map_or(1, |c| c.variants.len());
    n as u64 * scenario.sim.replications as u64
}
