//! Latency histograms and the figures a replication keeps of them.
//!
//! A replication records into full-range HDR histograms while it runs; when it ends it
//! keeps only [`LatencyFigures`] of each (what a summary reduces), and the experiment
//! merges the few distributions a chart needs across replications as they finish
//! (`experiment::replications`), so what an experiment keeps per replication does not
//! carry a histogram.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Lowest and highest trackable latency (1 ns .. 1 hour) and precision of histograms.
const HIST_MAX_NS: u64 = 3_600_000_000_000;
const HIST_SIGFIG: u8 = 3;

/// A latency histogram in nanoseconds.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_NS, HIST_SIGFIG).expect("valid static bounds")
}

/// A histogram with (almost) no buckets, in place of one the seal used up.
pub(crate) fn spent_histogram() -> Histogram<u64> {
    Histogram::new(1).expect("valid precision")
}

/// One replication's figures of a latency histogram (ns): what a latency summary
/// reduces of it, so a histogram read only this way need not be kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyFigures {
    /// Values recorded.
    pub count: u64,
    /// Their exact sum.
    pub sum: u128,
    /// Median (0 without values).
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest value (0 without values).
    pub max: u64,
}

impl LatencyFigures {
    /// The figures of `h`, whose values sum to `sum`.
    pub fn of(h: &Histogram<u64>, sum: u128) -> Self {
        let q = |quantile| {
            if h.is_empty() {
                0
            } else {
                h.value_at_quantile(quantile)
            }
        };
        LatencyFigures {
            count: h.len(),
            sum,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            max: h.max(),
        }
    }
}
