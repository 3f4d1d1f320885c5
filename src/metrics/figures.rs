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

/// A histogram with (almost) no buckets, in place of one the seal used up, or of one
/// not needed yet ([`full`]).
pub(crate) fn spent_histogram() -> Histogram<u64> {
    Histogram::new(1).expect("valid precision")
}

/// `h` ready to record: a spent one becomes an empty full-range one first. A running
/// replication creates the histograms most flows never record into (failures, late
/// responses, late completions) on first use, so a flow costs one full-range histogram
/// (264 KiB, all of it written when created) while it runs, not four.
#[inline]
pub(crate) fn full(h: &mut Histogram<u64>) -> &mut Histogram<u64> {
    if h.sigfig() != HIST_SIGFIG {
        *h = new_histogram();
    }
    h
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
        let [p50, p90, p99, p999] = if h.is_empty() {
            [0; 4]
        } else {
            quantiles(h, [0.5, 0.9, 0.99, 0.999])
        };
        LatencyFigures {
            count: h.len(),
            sum,
            p50,
            p90,
            p99,
            p999,
            max: h.max(),
        }
    }
}

/// `h.value_at_quantile(q)` for each of the ascending `qs`, in one pass over the
/// buckets: each `value_at_quantile` scans the counts from the start (33 792 of them
/// in a full-range histogram). The report's CDFs (105 quantiles) read theirs the same
/// way (`experiment::replications`), where one scan per quantile cost as much as a
/// short run's simulation.
pub fn quantiles<T: hdrhistogram::Counter, const N: usize>(
    h: &Histogram<T>,
    qs: [f64; N],
) -> [u64; N] {
    debug_assert!(qs.windows(2).all(|w| w[0] <= w[1]), "ascending quantiles");
    let mut out = [0; N];
    for (slot, v) in out.iter_mut().zip(h.value_at_quantiles(qs)) {
        *slot = v;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Component, FailureReason, FlowMetrics, Outcome, ResponseFacts};
    use crate::model::ServiceId;

    fn response(latency: u64, outcome: Outcome) -> ResponseFacts {
        ResponseFacts {
            latency,
            outcome,
            entry: ServiceId(0),
            touched_fault: false,
            sent_during_fault: false,
        }
    }

    fn is_full(h: &Histogram<u64>) -> bool {
        h.sigfig() == HIST_SIGFIG
    }

    #[test]
    fn one_pass_quantiles_are_value_at_quantile() {
        let mut h = new_histogram();
        let mut x = 12_345u64;
        for _ in 0..20_000 {
            // A skewed spread over six decades (xorshift: no crate needed).
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            h.record(1 + (x % 1_000_000) * (x % 997)).unwrap();
        }
        let mut single = new_histogram();
        single.record(4_200).unwrap();
        let grid = [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.995, 0.999, 0.9999, 1.0];
        for h in [&h, &single] {
            let one_pass = quantiles(h, grid);
            for (q, v) in grid.iter().zip(one_pass) {
                assert_eq!(v, h.value_at_quantile(*q), "quantile {q}");
            }
        }
        // An empty histogram has no quantiles; `LatencyFigures::of` reads zeros.
        assert_eq!(
            LatencyFigures::of(&new_histogram(), 0),
            LatencyFigures::default()
        );
    }

    #[test]
    fn a_flow_creates_the_histograms_it_records_into_on_first_use() {
        let mut f = FlowMetrics::new();
        for ms in 1..=100 {
            f.record(response(ms * 1_000_000, Outcome::Ok));
        }
        // Only successes so far: one full-range histogram, not four.
        assert!(is_full(&f.success_latency));
        assert!(!is_full(&f.failure_latency) && !is_full(&f.late_response));
        assert!(!is_full(&f.completion) && !is_full(&f.latency));
        let failed = Outcome::Failed(FailureReason::Timeout, Component::Service(ServiceId(0)));
        f.record(response(500_000_000, failed));
        f.record_late_response(7_000_000);
        f.record_late_completion(900_000_000);
        assert!(is_full(&f.failure_latency) && is_full(&f.late_response));
        assert!(is_full(&f.completion));
        f.seal();
        // Responses: 100 successes and the failure; completions: the responses less
        // the late one, plus its completion.
        assert_eq!(f.latency.len(), 101);
        assert_eq!(f.responses.count, 101);
        assert_eq!(f.success.count, 100);
        assert!(f.responses.max >= 500_000_000 && f.success.max < 101_000_000);
        assert_eq!(f.completion.len(), 101);
        assert_eq!(f.completion.count_at(7_000_000), 0);
        assert_eq!(f.completion.count_at(900_000_000), 1);
        assert!(!is_full(&f.failure_latency) && !is_full(&f.late_response));
    }

    #[test]
    fn a_sealed_flow_without_failures_or_late_work_has_its_successes_as_responses() {
        let mut f = FlowMetrics::new();
        let mut eager = new_histogram();
        for ms in [3, 1, 4, 1, 5, 9, 2, 6] {
            f.record(response(ms * 1_000_000, Outcome::Ok));
            eager.record(ms * 1_000_000).unwrap();
        }
        f.seal();
        for h in [&f.latency, &f.completion] {
            assert!(is_full(h));
            assert_eq!(h.len(), eager.len());
            assert!(h.iter_recorded().eq(eager.iter_recorded()));
        }
        assert_eq!(f.responses, f.success);
        // (The completions' sum is the engine's to add, at each completion.)
        let unsummed = LatencyFigures {
            sum: 0,
            ..f.responses
        };
        assert_eq!(f.completions, unsummed);
    }
}
