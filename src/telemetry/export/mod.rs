//! Simulated telemetry out: traces as OTLP JSON or Chrome trace-event JSON, timelines
//! as OpenMetrics text.

pub mod chrome;
pub mod openmetrics;
pub mod otlp;

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

/// Run replication 0 of every variant of `scenario` with a span sample recorded and
/// render what `o` asks for. A variant's spans carry `archsim.variant` when there are
/// several, and its trace ids differ (the variant's index is mixed into the seed).
pub fn export(scenario: &Scenario, o: &ExportOptions) -> Result<Written, crate::engine::RunError> {
    let variants = crate::experiment::compare::variants(scenario);
    let many = variants.len() > 1;
    let epoch_ns = o.epoch_s.saturating_mul(1_000_000_000);
    let mut spans = Vec::new();
    let mut runs = Vec::new();
    for (i, (name, sc)) in variants.iter().enumerate() {
        let (metrics, recorded, _) = crate::engine::record_replication(sc, 0, o.requests)?;
        if o.traces.is_some() {
            let mut sc_ids = sc.clone();
            sc_ids.sim.seed = sc
                .sim
                .seed
                .wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut s = super::sim::spans(&sc_ids, 0, &recorded, epoch_ns);
            if many {
                for span in &mut s {
                    span.attributes
                        .insert("archsim.variant".into(), name.clone());
                }
            }
            spans.extend(s);
        }
        runs.push((name.clone(), metrics));
    }
    let mut out = Vec::new();
    if let Some((path, format)) = &o.traces {
        let text = match format {
            TraceFormat::Otlp => otlp::otlp_json(&spans),
            TraceFormat::Chrome => chrome::chrome_json(&spans, epoch_ns),
        };
        out.push((path.clone(), text));
    }
    if let Some(path) = &o.metrics {
        let list: Vec<openmetrics::Run> = runs
            .iter()
            .zip(&variants)
            .map(|((name, m), (_, sc))| openmetrics::Run {
                variant: name,
                scenario: sc,
                timeline: &m.timeline,
            })
            .collect();
        out.push((path.clone(), openmetrics::openmetrics(&list, o.epoch_s)));
    }
    Ok(out)
}
