//! Simulated telemetry out: traces as OTLP JSON or Chrome trace-event JSON, timelines
//! as OpenMetrics text.

pub mod chrome;
pub mod openmetrics;
pub mod otlp;

use crate::engine::Recording;
use crate::model::Scenario;
use std::path::PathBuf;

/// The trace file format of `--traces`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// OTLP JSON (`ExportTraceServiceRequest`).
    Otlp,
    /// Chrome trace-event JSON (Perfetto, chrome://tracing).
    Chrome,
}

/// What `--traces` and `--metrics` ask for.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Where to write the traces, and in which format.
    pub traces: Option<(PathBuf, TraceFormat)>,
    /// Where to write the OpenMetrics text.
    pub metrics: Option<PathBuf>,
    /// Unix time (s) of simulated time zero.
    pub epoch_s: i64,
    /// Requests recorded per flow at most.
    pub requests: usize,
}

/// The files of an export: (path, text).
pub type Written = Vec<(PathBuf, String)>;

/// What an export wrote, and what it could not.
#[derive(Debug)]
pub struct Exported {
    /// The files: (path, text).
    pub files: Written,
    /// Flows with requests in replication 0 of which the traces hold none (only
    /// requests that completed are exported), and sampled requests whose spans the
    /// tracer's window had dropped: one line each, for the user.
    pub warnings: Vec<String>,
}

/// Run replication 0 of every variant of `scenario` with a span sample recorded and
/// render what `o` asks for (see [`render`]). `archsim run` records in the experiment's
/// own run instead ([`crate::experiment::compare::run_experiment_recorded`]).
pub fn export(scenario: &Scenario, o: &ExportOptions) -> Result<Exported, crate::engine::RunError> {
    let recordings = crate::experiment::compare::variants(scenario)
        .iter()
        .map(|(_, sc)| crate::engine::record_replication(sc, 0, o.requests))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(render(scenario, &recordings, o))
}

/// Render what `o` asks for from replication 0 of every variant of `scenario`
/// (`recordings`, one per variant in `[compare]` order). A variant's spans carry
/// `archsim.variant` when there are several, and its trace ids differ (the variant's
/// index is mixed into the seed).
pub fn render(scenario: &Scenario, recordings: &[Recording], o: &ExportOptions) -> Exported {
    let variants = crate::experiment::compare::variants(scenario);
    let epoch_ns = o.epoch_s.saturating_mul(1_000_000_000);
    let (spans, warnings) = match &o.traces {
        Some((path, _)) => trace_spans(&variants, recordings, path, epoch_ns),
        None => (Vec::new(), Vec::new()),
    };
    let mut out = Vec::new();
    if let Some((path, format)) = &o.traces {
        let text = match format {
            TraceFormat::Otlp => otlp::otlp_json(&spans),
            TraceFormat::Chrome => chrome::chrome_json(&spans, epoch_ns),
        };
        out.push((path.clone(), text));
    }
    if let Some(path) = &o.metrics {
        let list: Vec<openmetrics::Run> = recordings
            .iter()
            .zip(&variants)
            .map(|(rec, (name, sc))| openmetrics::Run {
                variant: name,
                scenario: sc,
                timeline: &rec.metrics.timeline,
            })
            .collect();
        out.push((path.clone(), openmetrics::openmetrics(&list, o.epoch_s)));
    }
    Exported {
        files: out,
        warnings,
    }
}

/// The spans of every variant's recording, and the warnings `--traces PATH` prints for
/// them: flows with nothing to export, and sampled requests the tracer's window dropped.
fn trace_spans(
    variants: &[(String, Scenario)],
    recordings: &[Recording],
    path: &std::path::Path,
    epoch_ns: i64,
) -> (Vec<crate::telemetry::span::Span>, Vec<String>) {
    let many = variants.len() > 1;
    let (mut spans, mut warnings) = (Vec::new(), Vec::new());
    for (i, ((name, sc), rec)) in variants.iter().zip(recordings).enumerate() {
        let variant = if many {
            format!(" (variant {name})")
        } else {
            String::new()
        };
        warnings.extend(untraced_flows(
            sc,
            &rec.metrics,
            &rec.requests,
            path,
            &variant,
        ));
        if rec.dropped > 0 {
            warnings.push(format!(
                "--traces: {} sampled requests of replication 1{variant} outlived the tracer's window and are not in {}",
                rec.dropped,
                path.display()
            ));
        }
        let mut sc_ids = sc.clone();
        sc_ids.sim.seed = sc
            .sim
            .seed
            .wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut s = super::sim::spans(&sc_ids, 0, &rec.requests, epoch_ns);
        if many {
            for span in &mut s {
                span.attributes
                    .insert("archsim.variant".into(), name.clone());
            }
        }
        spans.extend(s);
    }
    (spans, warnings)
}

/// A line for each flow of `sc` that sent requests after the warm-up of which none is
/// in `recorded`: none completed by the end of the run (work that never ends, or a run
/// shorter than its requests).
fn untraced_flows(
    sc: &Scenario,
    metrics: &crate::metrics::RunMetrics,
    recorded: &[crate::engine::RecordedRequest],
    path: &std::path::Path,
    variant: &str,
) -> Vec<String> {
    let mut seen = vec![false; sc.workloads.len()];
    for r in recorded {
        seen[r.workload as usize] = true;
    }
    sc.workloads
        .iter()
        .zip(&metrics.flows)
        .zip(seen)
        .filter(|((_, f), seen)| f.generated > 0 && !seen)
        .map(|((w, f), _)| {
            format!(
                "--traces: flow {}{variant}: none of its {} requests sent after the warm-up completed by the end of replication 1, so {} has none of them (only completed requests are exported)",
                w.flow,
                f.generated,
                path.display()
            )
        })
        .collect()
}
