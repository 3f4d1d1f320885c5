//! A replication's timelines as OpenMetrics text, with simulated timestamps.
//!
//! Each interval's figures are one sample stamped at the interval's end (seconds since
//! the Unix epoch, simulated time 0 at the given epoch). Per flow: responses and
//! failures (counters, cumulative), latency p50, p90, p99 (gauges, in seconds, only for
//! intervals with responses). Per service: worker utilization (ratio), mean queue
//! length, completed, failed and rejected executions (counters). Per queue: the mean
//! backlog (executions failed are in the flows' failures). Families, then series (in the scenario's order), then time: every series
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

/// One run to write: its variant's name (labelled `variant` when there are several),
/// its scenario and the timeline of its replication.
pub struct Run<'a> {
    /// Variant name.
    pub variant: &'a str,
    /// The variant's scenario.
    pub scenario: &'a Scenario,
    /// The replication's timeline.
    pub timeline: &'a Timeline,
}

/// What a family is about.
#[derive(Clone, Copy)]
enum Subject {
    Flow,
    Service,
    Queue,
}

/// A family: name, type, unit, help, subject, and the value of interval `i` of series
/// `k` (`None`: no sample then).
struct Family {
    name: &'static str,
    kind: &'static str,
    unit: Option<&'static str>,
    help: &'static str,
    subject: Subject,
    percentile: Option<f64>,
    value: fn(&Timeline, usize, usize, Option<f64>) -> Option<f64>,
}

const FAMILIES: [Family; 8] = [
    Family {
        name: "archsim_flow_responses",
        kind: "counter",
        unit: None,
        help: "Responses the flow's clients received (simulated).",
        subject: Subject::Flow,
        percentile: None,
        value: |t, k, i, _| Some(t.flows[k][i].responses as f64),
    },
    Family {
        name: "archsim_flow_failures",
        kind: "counter",
        unit: None,
        help: "Failed responses (simulated).",
        subject: Subject::Flow,
        percentile: None,
        value: |t, k, i, _| Some(t.flows[k][i].failed as f64),
    },
    Family {
        name: "archsim_flow_latency_seconds",
        kind: "gauge",
        unit: Some("seconds"),
        help: "Response latency percentile over the interval (simulated).",
        subject: Subject::Flow,
        percentile: Some(0.0),
        value: |t, k, i, p| {
            let l = t.flows[k][i].latency?;
            Some(l.at(p.unwrap_or(50.0))? as f64 / 1e9)
        },
    },
    Family {
        name: "archsim_service_utilization_ratio",
        kind: "gauge",
        unit: Some("ratio"),
        help: "Mean busy workers over all workers (simulated).",
        subject: Subject::Service,
        percentile: None,
        value: |t, k, i, _| Some(t.services[k][i].utilization),
    },
    Family {
        name: "archsim_service_queue_length",
        kind: "gauge",
        unit: None,
        help: "Mean requests waiting for a worker (simulated).",
        subject: Subject::Service,
        percentile: None,
        value: |t, k, i, _| Some(t.services[k][i].queue),
    },
    Family {
        name: "archsim_service_completed",
        kind: "counter",
        unit: None,
        help: "Executions finished (simulated).",
        subject: Subject::Service,
        percentile: None,
        value: |t, k, i, _| Some(t.services[k][i].completed as f64),
    },
    Family {
        name: "archsim_service_rejected",
        kind: "counter",
        unit: None,
        help: "Requests rejected: queue full or down (simulated).",
        subject: Subject::Service,
        percentile: None,
        value: |t, k, i, _| Some(t.services[k][i].rejected as f64),
    },
    Family {
        name: "archsim_queue_backlog",
        kind: "gauge",
        unit: None,
        help: "Mean messages waiting in the queue (simulated).",
        subject: Subject::Queue,
        percentile: None,
        value: |t, k, i, _| Some(t.queues[k][i]),
    },
];

/// The OpenMetrics text of the runs' timelines, time 0 at `epoch_s`.
pub fn openmetrics(runs: &[Run], epoch_s: i64) -> String {
    let mut out = String::new();
    let many = runs.len() > 1;
    for f in &FAMILIES {
        let names = |sc: &Scenario| -> Vec<String> {
            match f.subject {
                Subject::Flow => sc.workloads.iter().map(|w| w.flow.clone()).collect(),
                Subject::Service => sc.services.iter().map(|s| s.name.clone()).collect(),
                Subject::Queue => sc.queues.iter().map(|q| q.name.clone()).collect(),
            }
        };
        if runs.iter().all(|r| names(r.scenario).is_empty()) {
            continue;
        }
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        if let Some(u) = f.unit {
            let _ = writeln!(out, "# UNIT {} {u}", f.name);
        }
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let key = match f.subject {
            Subject::Flow => "flow",
            Subject::Service => "service",
            Subject::Queue => "queue",
        };
        let sample = if f.kind == "counter" {
            format!("{}_total", f.name)
        } else {
            f.name.to_string()
        };
        for run in runs {
            let t = run.timeline;
            let variant = if many {
                format!("variant=\"{}\",", label(run.variant))
            } else {
                String::new()
            };
            let percentiles: &[Option<f64>] = if f.percentile.is_some() {
                &[Some(50.0), Some(90.0), Some(99.0)]
            } else {
                &[None]
            };
            for (k, name) in names(run.scenario).iter().enumerate() {
                for &p in percentiles {
                    let extra = p.map_or(String::new(), |p| format!(",percentile=\"{p}\""));
                    let mut total = 0.0;
                    for i in 0..t.intervals() {
                        let Some(v) = (f.value)(t, k, i, p) else {
                            continue;
                        };
                        let v = if f.kind == "counter" {
                            total += v;
                            total
                        } else {
                            v
                        };
                        let ns = (i as u128 + 1) * t.interval as u128;
                        let _ = writeln!(
                            out,
                            "{sample}{{{variant}{key}=\"{}\"{extra}}} {v} {:.3}",
                            label(name),
                            epoch_s as f64 + ns as f64 / 1e9
                        );
                    }
                }
            }
        }
    }
    out.push_str("# EOF\n");
    out
}
