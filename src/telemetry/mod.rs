//! Telemetry in and out (DESIGN §8 *Telemetry*).
//!
//! In: trace files (OTLP JSON, Zipkin v2 JSON, Jaeger JSON) are read by [`import`] into
//! one neutral span model ([`span`]), from which [`topology`] derives services,
//! operations, calls, messages, parallel groups, network and self times; [`fit`]
//! summarises and fits the observed durations and [`scenario`] writes a scenario that
//! `archsim run` accepts (empirical distributions in CSV files beside it).
//! [`calibrate`] puts a scenario's simulated spans against observed ones.
//!
//! Out: [`sim`] turns the spans the engine recorded for a sample of requests
//! ([`crate::engine::record_replication`]) into the same span model, which [`export`]
//! writes as OTLP JSON or Chrome trace-event JSON (for Perfetto); the timelines of the
//! same replication are written as OpenMetrics text.
//!
//! `telemetry/import` sits beside `spec` as an input, `telemetry/export` beside `report`
//! as an output. Simulated time is mapped to a fixed epoch (`--trace-epoch`), never the
//! wall clock, and ids derive from the seed and the request's ordinal: same input, same
//! bytes.

pub mod calibrate;
pub mod export;
pub mod fit;
pub mod import;
pub mod scenario;
pub mod sim;
pub mod span;
pub mod topology;

use std::fmt::Write;

/// A trace file that cannot be used, or an import or calibration that cannot proceed.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}{message}", if .path.is_empty() { ": ".to_string() } else { format!(": {}: ", .path) })]
pub struct TelemetryError {
    /// The file (or the command's argument) at fault.
    pub file: String,
    /// Where in it: a JSON path (`$.resourceSpans[0].scopeSpans[0].spans[3]`), a line
    /// and column, or a span id; empty for the whole file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl TelemetryError {
    /// An error at `path` of `file`.
    pub fn at(file: &str, path: &str, message: impl Into<String>) -> Self {
        TelemetryError {
            file: file.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// Read trace files and build their topology; a trace without a root span is an error.
pub fn read_topology(
    files: &[impl AsRef<std::path::Path>],
) -> Result<(span::Imported, topology::Topology), TelemetryError> {
    let imported = import::import_files(files)?;
    if imported.spans.is_empty() {
        let f = imported
            .files
            .first()
            .map_or(String::new(), |f| f.0.clone());
        return Err(TelemetryError::at(&f, "", "no spans in the trace files"));
    }
    check_roots(&imported.spans)?;
    let topology = topology::build(&imported.spans);
    Ok((imported, topology))
}

/// Every trace has a span without a parent id.
fn check_roots(spans: &[span::Span]) -> Result<(), TelemetryError> {
    for (trace, idx) in import::by_trace(spans) {
        if idx.iter().all(|&i| spans[i].parent.is_some()) {
            let s = &spans[idx[0]];
            let (file, at) = s.location.split_once(": ").unwrap_or((&s.location, ""));
            return Err(TelemetryError::at(
                file,
                at,
                format!(
                    "trace {trace} has no root span (all its {} spans name a parent): the trace is incomplete",
                    idx.len()
                ),
            ));
        }
    }
    Ok(())
}

/// What an import found, as the lines `archsim import` prints.
pub fn summary(imported: &span::Imported, t: &topology::Topology) -> String {
    let mut s = String::new();
    for (f, format) in &imported.files {
        let _ = writeln!(s, "{f}: {format}");
    }
    let c = &t.counts;
    let _ = writeln!(
        s,
        "{} spans in {} traces: {} services, {} operations, {} calls, {} message destinations, {} flows",
        c.spans,
        c.traces,
        t.services().len(),
        t.ops.len(),
        t.calls().len(),
        t.destinations.len(),
        t.flows.len()
    );
    for svc in t.services() {
        let ops: Vec<&str> = t
            .ops
            .keys()
            .filter(|(x, _)| x == svc)
            .map(|(_, o)| o.as_str())
            .collect();
        let _ = writeln!(s, "  service {svc}: {}", ops.join(", "));
    }
    for (from, to) in t.calls() {
        let _ = writeln!(s, "  call {}.{} -> {}.{}", from.0, from.1, to.0, to.1);
    }
    for (d, consumers) in &t.destinations {
        let c: Vec<String> = consumers.iter().map(|(a, b)| format!("{a}.{b}")).collect();
        let _ = writeln!(
            s,
            "  messages to {d} -> {}",
            if c.is_empty() {
                "(no consumer seen)".to_string()
            } else {
                c.join(", ")
            }
        );
    }
    let _ = writeln!(
        s,
        "repaired: {} unpaired client spans, {} unpaired producers, {} consumers without a producer, {} calls without a client span, {} missing parents, {} clock-skewed spans, {} duplicate ids, {} shared Zipkin ids split, {} spans without a duration, {} without a timestamp ({} of them dropped, the others timed from their children)",
        c.unpaired_clients, c.unpaired_producers, c.unpaired_consumers, c.calls_without_client, c.missing_parents, c.skew, c.duplicates, imported.shared_ids, imported.no_duration, imported.no_timestamp, imported.dropped
    );
    s
}

/// `archsim import`: read `traces`, write the scenario to `output` and its CSV files
/// beside it; the import's summary.
pub fn import_to(
    traces: &[impl AsRef<std::path::Path>],
    output: &std::path::Path,
    parametric: bool,
) -> Result<String, crate::Error> {
    let (imported, topology) = read_topology(traces)?;
    let stem = output
        .file_stem()
        .map_or("imported".to_string(), |s| s.to_string_lossy().into_owned());
    let files = scenario::scenario(
        &topology,
        &scenario::ScenarioOptions {
            stem,
            parametric,
            seed: 1,
        },
    );
    let dir = output.parent().unwrap_or(std::path::Path::new(""));
    for (rel, text) in &files.csvs {
        crate::report::deliver::write_file(&dir.join(rel), text)?;
    }
    crate::report::deliver::write_file(output, &files.toml)?;
    let mut s = summary(&imported, &topology);
    let _ = writeln!(
        s,
        "wrote {} and {} CSV files",
        crate::report::escape::visible(&output.display().to_string()),
        files.csvs.len()
    );
    Ok(s)
}
