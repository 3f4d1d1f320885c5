//! Per queue (or topic subscription): the delivery latency of its messages, from the
//! publish to the end of their processing (the ack).

use super::{new_histogram, spent_histogram, LatencyFigures};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Publish -> processed latencies of the messages acknowledged (published after the
/// warm-up).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliveryLatency {
    /// The latencies (ns, at least 1), while the run records: [`DeliveryLatency::seal`]
    /// keeps only their figures.
    #[serde(skip, default = "spent_histogram")]
    pub hist: Histogram<u64>,
    /// The figures of `hist` (and `sum`), filled by the seal.
    pub figures: LatencyFigures,
    /// Their exact sum (ns).
    pub sum: u128,
}

impl Default for DeliveryLatency {
    fn default() -> Self {
        DeliveryLatency {
            hist: new_histogram(),
            figures: LatencyFigures::default(),
            sum: 0,
        }
    }
}

impl DeliveryLatency {
    /// One message processed `ns` after its publish.
    pub fn record(&mut self, ns: u64) {
        self.hist.saturating_record(ns.max(1));
        self.sum += u128::from(ns);
    }

    /// Keep the figures, not the histogram. Called once, when the run ends.
    pub fn seal(&mut self) {
        self.figures = LatencyFigures::of(&self.hist, self.sum);
        self.hist = spent_histogram();
    }
}
