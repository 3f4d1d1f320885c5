//! What an experiment keeps of one variant's replications until it reduces them: every
//! replication's metrics, minus its latency distributions, which are taken out as the
//! replication finishes and merged into one response and one completion histogram per
//! flow. Memory thus holds each replication's figures (counts, latency figures,
//! timeline) but only two full-range histograms per flow in all, whatever the number
//! of replications.
//!
//! Merging adds bucket counts (exact integers, as do the min and max it tracks), so the
//! merged histograms are the same whichever order the replications finish in, on any
//! number of threads.

use crate::metrics::paths::Traced;
use crate::metrics::{new_histogram, RunMetrics};
use crate::model::Scenario;
use hdrhistogram::Histogram;
use std::sync::{Mutex, PoisonError};

/// Latency distributions per flow (indexed like `Scenario::workloads`), merged over
/// replications.
#[derive(Clone, Debug)]
pub struct Distributions {
    responses: Vec<Histogram<u64>>,
    completions: Vec<Histogram<u64>>,
}

impl Distributions {
    /// Empty distributions for `flows` flows.
    pub fn new(flows: usize) -> Self {
        Distributions {
            responses: (0..flows).map(|_| new_histogram()).collect(),
            completions: (0..flows).map(|_| new_histogram()).collect(),
        }
    }

    /// Take the sealed distributions out of one replication's metrics and add them in.
    pub fn absorb(&mut self, metrics: &mut RunMetrics) {
        let merged = self.responses.iter_mut().zip(&mut self.completions);
        for ((responses, completions), flow) in merged.zip(&mut metrics.flows) {
            let (r, c) = flow.take_distributions();
            // Every latency histogram has the layout of `new_histogram` (part files
            // decode into it too), so adding cannot go out of range.
            responses.add(&r).expect("histograms of one layout add");
            completions.add(&c).expect("histograms of one layout add");
        }
    }

    /// The response-latency CDF of `flow`: `(ms, quantile)` points (empty without
    /// responses).
    pub fn response_cdf(&self, flow: usize) -> Vec<(f64, f64)> {
        cdf(&self.responses[flow])
    }

    /// The completion-latency CDF of `flow`, like [`Distributions::response_cdf`].
    pub fn completion_cdf(&self, flow: usize) -> Vec<(f64, f64)> {
        cdf(&self.completions[flow])
    }
}

/// Quantiles at which a CDF is sampled: the body every 1%, then the tail.
fn cdf_grid() -> impl Iterator<Item = f64> {
    (0..=99)
        .map(|i| i as f64 / 100.0)
        .chain([0.995, 0.999, 0.9995, 0.9999, 1.0])
}

fn cdf(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    // One pass over the buckets for the whole (ascending) grid: `value_at_quantile`
    // per point scans them from the start each time.
    h.value_at_quantiles(cdf_grid())
        .zip(cdf_grid())
        .map(|(v, q)| (v as f64 / 1e6, q))
        .collect()
}

/// One variant's replications as an experiment keeps them.
#[derive(Clone, Debug)]
pub struct Replications {
    /// Each replication's metrics, in replication order, distributions taken out.
    pub runs: Vec<RunMetrics>,
    /// The latency distributions merged over all of them.
    pub distributions: Distributions,
    /// The paths of the traced replication (empty when none was traced).
    pub traced: Traced,
}

/// `unit` over `items` in parallel (one replication each, in replication order), each
/// replication's distributions merged as it finishes so that no more than one per
/// thread is alive at once; the first error in item order if any.
pub(crate) fn gather<T: Send, E: Send>(
    scenario: &Scenario,
    items: Vec<T>,
    unit: impl Fn(T) -> Result<(RunMetrics, Option<Traced>), E> + Sync + Send,
) -> Result<Replications, E> {
    let distributions = Mutex::new(Distributions::new(scenario.workloads.len()));
    let units = super::in_order(items, |item| {
        let (mut metrics, traced) = unit(item)?;
        distributions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .absorb(&mut metrics);
        Ok((metrics, traced))
    })?;
    let mut runs = Vec::with_capacity(units.len());
    let mut traced = Traced::default();
    for (m, t) in units {
        runs.push(m);
        if let Some(t) = t {
            traced = t;
        }
    }
    Ok(Replications {
        runs,
        distributions: distributions
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
        traced,
    })
}
