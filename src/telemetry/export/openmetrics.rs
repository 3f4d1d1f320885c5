//! A replication's timelines as OpenMetrics text, with simulated timestamps.
//!
//! Each interval's figures are one sample stamped at the interval's end (seconds since
//! the Unix epoch, simulated time 0 at the given epoch). Per flow: responses and
//! failures (counters, cumulative), latency p50, p90, p99 (gauges, in seconds, only for
//! intervals with responses). Per service: worker utilization (ratio), mean queue
//! length, completed, failed and rejected executions (counters). Per queue: the mean
//! backlog. Families, then series (in the scenario's order), then time: every series
//! is contiguous and in time order, as `promtool tsdb create-blocks-from openmetrics`
//! requires. The text ends with `# EOF`.

use crate::metrics::Timeline;
use crate::model::Scenario;
use std::fmt::Write;

/// A label value, escaped (backslash, double quote, newline).
fn label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// The OpenMetrics text of `timeline` (of a replication of `sc`), time 0 at `epoch_s`.
pub fn openmetrics(sc: &Scenario, timeline: &Timeline, epoch_s: i64) -> String {
    let mut out = String::new();
    let n = timeline.intervals();
    let stamp = |i: usize| {
        let ns = (i as u128 + 1) * timeline.interval as u128;
        format!("{:.6}", epoch_s as f64 + ns as f64 / 1e9)
    };
    let family = |out: &mut String, name: &str, kind: &str, unit: Option<&str>, help: &str| {
        let _ = writeln!(out, "# TYPE {name} {kind}");
        if let Some(u) = unit {
            let _ = writeln!(out, "# UNIT {name} {u}");
        }
        let _ = writeln!(out, "# HELP {name} {help}");
    };
    type FlowGet = fn(&crate::metrics::FlowInterval) -> u64;
    let counters: [(&str, &str, FlowGet); 2] = [
        ("archsim_flow_responses", "Responses the flow's clients received (simulated).", |f| f.responses),
        ("archsim_flow_failures", "Failed responses (simulated).", |f| f.failed),
    ];
    for (name, help, get) in counters {
        family(&mut out, name, "counter", None, help);
        for (w, series) in sc.workloads.iter().zip(&timeline.flows) {
            let mut total = 0u64;
            for (i, f) in series.iter().enumerate().take(n.max(series.len())) {
                total += get(f);
                let _ = writeln!(out, "{name}_total{{flow=\"{}\"}} {total} {}", label(&w.flow), stamp(i));
            }
        }
    }
    let name = "archsim_flow_latency_seconds";
    family(&mut out, name, "gauge", Some("seconds"), "Response latency percentile over the interval (simulated).");
    for (w, series) in sc.workloads.iter().zip(&timeline.flows) {
        for p in [50.0, 90.0, 99.0] {
            for (i, f) in series.iter().enumerate() {
                if f.latency.is_empty() {
                    continue;
                }
                let v = f.latency.value_at_quantile(p / 100.0) as f64 / 1e9;
                let _ = writeln!(out, "{name}{{flow=\"{}\",percentile=\"{p}\"}} {v} {}", label(&w.flow), stamp(i));
            }
        }
    }
    type SvcGet = fn(&crate::metrics::ServiceInterval) -> f64;
    let gauges: [(&str, Option<&str>, &str, SvcGet); 2] = [
        ("archsim_service_utilization_ratio", Some("ratio"), "Mean busy workers over all workers (simulated).", |s| s.utilization),
        ("archsim_service_queue_length", None, "Mean requests waiting for a worker (simulated).", |s| s.queue),
    ];
    for (name, unit, help, get) in gauges {
        family(&mut out, name, "gauge", unit, help);
        for (svc, series) in sc.services.iter().zip(&timeline.services) {
            for (i, s) in series.iter().enumerate() {
                let _ = writeln!(out, "{name}{{service=\"{}\"}} {} {}", label(&svc.name), get(s), stamp(i));
            }
        }
    }
    type SvcCount = fn(&crate::metrics::ServiceInterval) -> u64;
    let counts: [(&str, &str, SvcCount); 3] = [
        ("archsim_service_completed", "Executions finished (simulated).", |s| s.completed),
        ("archsim_service_failed", "Executions that failed (simulated).", |s| s.failed),
        ("archsim_service_rejected", "Requests rejected: queue full or down (simulated).", |s| s.rejected),
    ];
    for (name, help, get) in counts {
        family(&mut out, name, "counter", None, help);
        for (svc, series) in sc.services.iter().zip(&timeline.services) {
            let mut total = 0u64;
            for (i, s) in series.iter().enumerate() {
                total += get(s);
                let _ = writeln!(out, "{name}_total{{service=\"{}\"}} {total} {}", label(&svc.name), stamp(i));
            }
        }
    }
    if !sc.queues.is_empty() {
        let name = "archsim_queue_backlog";
        family(&mut out, name, "gauge", None, "Mean messages waiting in the queue (simulated).");
        for (q, series) in sc.queues.iter().zip(&timeline.queues) {
            for (i, v) in series.iter().enumerate() {
                let _ = writeln!(out, "{name}{{queue=\"{}\"}} {v} {}", label(&q.name), stamp(i));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}
