//! Per queue or topic subscription: the delivery latency (publish -> processed) of its
//! messages over the replications.

use super::stats::Estimate;
use super::LatencySummary;
use crate::metrics::RunMetrics;

fn est(runs: &[RunMetrics], f: impl Fn(&RunMetrics) -> f64) -> Estimate {
    let v: Vec<f64> = runs.iter().map(f).collect();
    Estimate::from_samples(&v)
}

/// Queue `q`'s delivery latency (ms): mean, percentiles and max of its acknowledged
/// messages, each an estimate over `runs`.
pub fn delivery_latency(runs: &[RunMetrics], q: usize) -> LatencySummary {
    let ms = |ns: f64| ns / 1e6;
    let quantile = |x: f64| {
        est(runs, |r| {
            let h = &r.queues[q].delivery.hist;
            if h.is_empty() {
                0.0
            } else {
                ms(h.value_at_quantile(x) as f64)
            }
        })
    };
    LatencySummary {
        mean: est(runs, |r| {
            let d = &r.queues[q].delivery;
            if d.hist.is_empty() {
                0.0
            } else {
                ms(d.sum as f64 / d.hist.len() as f64)
            }
        }),
        p50: quantile(0.5),
        p90: quantile(0.9),
        p99: quantile(0.99),
        p999: quantile(0.999),
        max: est(runs, |r| ms(r.queues[q].delivery.hist.max() as f64)),
    }
}
