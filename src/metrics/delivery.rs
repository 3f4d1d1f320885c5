//! Per queue (or topic subscription): the delivery latency of its messages, from the
//! publish to the end of their processing (the ack).

use super::new_histogram;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Publish -> processed latencies of the messages acknowledged (published after the
/// warm-up).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliveryLatency {
    /// The latencies (ns, at least 1).
    #[serde(with = "crate::distribute::codec::hist")]
    pub hist: Histogram<u64>,
    /// Their exact sum (ns).
    pub sum: u128,
}

impl Default for DeliveryLatency {
    fn default() -> Self {
        DeliveryLatency {
            hist: new_histogram(),
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
}
