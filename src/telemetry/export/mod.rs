//! Simulated telemetry out: traces as OTLP JSON or Chrome trace-event JSON, timelines
//! as OpenMetrics text.

pub mod chrome;
pub mod openmetrics;
pub mod otlp;

use crate::engine::Recording;
use crate::model::Scenario;
use crate::telemetry::span::Span;
use std::io::Write;
use std::path::{Path, PathBuf};

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
/// (`recordings`, one per variant in `[compare]` order), as text. A variant's spans
/// carry `archsim.variant` when there are several, and its trace ids differ (the
/// variant's index is mixed into the seed). [`write()`] streams the same bytes to the
/// files instead.
pub fn render(scenario: &Scenario, recordings: &[Recording], o: &ExportOptions) -> Exported {
    let mut files = Vec::new();
    let warnings = emit(scenario, recordings, o, &mut |path, document| {
        let mut text = Vec::new();
        document(&mut text).expect("writing to memory");
        let text = String::from_utf8(text).expect("the exports are UTF-8");
        files.push((path.to_path_buf(), text));
        Ok(())
    })
    .expect("rendering to memory does not fail");
    Exported { files, warnings }
}

/// Write what `o` asks for to its files (directories created as needed), streamed:
/// the text of a trace document is never held whole. Returns the warnings of
/// [`Exported::warnings`].
pub fn write(
    scenario: &Scenario,
    recordings: &[Recording],
    o: &ExportOptions,
) -> Result<Vec<String>, crate::Error> {
    emit(scenario, recordings, o, &mut |path, document| {
        crate::report::deliver::write_with(path, document)
    })
}

/// Writes a document to the writer it is given.
type Document<'a> = &'a dyn Fn(&mut dyn Write) -> std::io::Result<()>;

/// Hand each file `o` asks for, as a path and a [`Document`], to `sink`; returns the
/// warnings.
fn emit(
    scenario: &Scenario,
    recordings: &[Recording],
    o: &ExportOptions,
    sink: &mut dyn FnMut(&Path, Document) -> Result<(), crate::Error>,
) -> Result<Vec<String>, crate::Error> {
    let variants = crate::experiment::compare::variants(scenario);
    let epoch_ns = o.epoch_s.saturating_mul(1_000_000_000);
    let mut warnings = Vec::new();
    if let Some((path, format)) = &o.traces {
        warnings = trace_warnings(&variants, recordings, path);
        let spans = Recorded::new(&variants, recordings, epoch_ns);
        match format {
            TraceFormat::Otlp => sink(path, &|w| otlp::write_otlp(&spans, w))?,
            TraceFormat::Chrome => sink(path, &|w| chrome::write_chrome(&spans, epoch_ns, w))?,
        }
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
        // Bounded by the timeline's intervals: written whole.
        let text = openmetrics::openmetrics(&list, o.epoch_s);
        sink(path, &|w| w.write_all(text.as_bytes()))?;
    }
    Ok(warnings)
}

/// A source of spans a document can go over more than once, in the same order each
/// time, one span at a time.
pub trait Spans {
    /// Call `visit` with every span in order; stops at its first error.
    fn each(&self, visit: &mut dyn FnMut(&Span) -> std::io::Result<()>) -> std::io::Result<()>;

    /// The services of the spans, in order of first appearance: every one `each`
    /// visits (the Chrome writer numbers its processes from them).
    fn services(&self) -> Vec<String> {
        let mut seen = FirstSeen::default();
        let _ = self.each(&mut |s| {
            seen.add(&s.service);
            Ok(())
        });
        seen.order
    }
}

impl Spans for [Span] {
    fn each(&self, visit: &mut dyn FnMut(&Span) -> std::io::Result<()>) -> std::io::Result<()> {
        self.iter().try_for_each(visit)
    }
}

/// Names in order of first appearance.
#[derive(Default)]
struct FirstSeen {
    order: Vec<String>,
    seen: std::collections::BTreeSet<String>,
}

impl FirstSeen {
    fn add(&mut self, name: &str) {
        if !self.seen.contains(name) {
            self.seen.insert(name.to_string());
            self.order.push(name.to_string());
        }
    }
}

/// The recorded requests of every variant, made into spans one request at a time as a
/// document goes over them (all of them at once held 4 times the text they print).
struct Recorded<'a> {
    /// Each variant's name, its scenario with the seed its trace ids come from, and its
    /// recording.
    parts: Vec<(&'a str, Scenario, &'a Recording)>,
    epoch_ns: i64,
}

impl<'a> Recorded<'a> {
    fn new(variants: &'a [(String, Scenario)], recordings: &'a [Recording], epoch_ns: i64) -> Self {
        let parts = variants
            .iter()
            .zip(recordings)
            .enumerate()
            .map(|(i, ((name, sc), rec))| {
                let mut ids = sc.clone();
                ids.sim.seed = sc
                    .sim
                    .seed
                    .wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                (name.as_str(), ids, rec)
            })
            .collect();
        Recorded { parts, epoch_ns }
    }
}

impl Spans for Recorded<'_> {
    fn each(&self, visit: &mut dyn FnMut(&Span) -> std::io::Result<()>) -> std::io::Result<()> {
        let many = self.parts.len() > 1;
        let mut spans = Vec::new();
        for (name, sc, rec) in &self.parts {
            for r in &rec.requests {
                spans.clear();
                super::sim::request_spans(sc, 0, r, self.epoch_ns, &mut spans);
                for span in &mut spans {
                    if many {
                        span.attributes
                            .insert("archsim.variant".into(), name.to_string());
                    }
                    visit(span)?;
                }
            }
        }
        Ok(())
    }

    /// From the recorded spans' services alone, without making the spans.
    fn services(&self) -> Vec<String> {
        let (mut seen, mut services) = (FirstSeen::default(), Vec::new());
        for (_, sc, rec) in &self.parts {
            for r in &rec.requests {
                super::sim::span_services(sc, r, &mut services);
                services.iter().for_each(|s| seen.add(s));
            }
        }
        seen.order
    }
}

/// The warnings `--traces PATH` prints: flows with nothing to export, and sampled
/// requests the tracer's window dropped.
fn trace_warnings(
    variants: &[(String, Scenario)],
    recordings: &[Recording],
    path: &Path,
) -> Vec<String> {
    let many = variants.len() > 1;
    let mut warnings = Vec::new();
    for ((name, sc), rec) in variants.iter().zip(recordings) {
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
    }
    warnings
}

/// A line for each flow of `sc` that sent requests after the warm-up of which none is
/// in `recorded`: none completed by the end of the run (work that never ends, or a run
/// shorter than its requests).
fn untraced_flows(
    sc: &Scenario,
    metrics: &crate::metrics::RunMetrics,
    recorded: &[crate::engine::RecordedRequest],
    path: &Path,
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
