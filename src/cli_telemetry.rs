//! The telemetry verbs and flags of the command line (`import`, `calibrate`, and
//! `--traces` / `--metrics` on `run` and `compare`): argument structs and one short
//! function each, over `archsim::telemetry`.

use crate::{out, overrides, read, RunOpts, ScenarioOpts, EXIT_SLO_FAILED};
use archsim::Scenario;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// The options of `run` and `compare`: those of every running command, and the
/// telemetry outputs.
#[derive(Args, Clone)]
pub struct Exported {
    #[command(flatten)]
    pub run: RunOpts,
    #[command(flatten)]
    pub telemetry: TelemetryOut,
}

/// Simulated traces and metrics out (`run`, `compare`): replication 0 of each variant.
#[derive(Args, Clone)]
pub struct TelemetryOut {
    /// Write a sample of the simulated requests as traces to PATH (OTLP JSON, or
    /// Chrome trace-event JSON with --trace-format chrome).
    #[arg(long, value_name = "PATH")]
    pub traces: Option<PathBuf>,
    /// Format of --traces.
    #[arg(long, value_enum, default_value = "otlp", requires = "traces")]
    pub trace_format: TraceFormatArg,
    /// Unix time (seconds) of simulated time zero in --traces and --metrics, from 0 to
    /// 9000000000 (default 2026-01-01T00:00:00Z; never the wall clock).
    #[arg(
        long,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(i64).range(0..=MAX_EPOCH_S)
    )]
    pub trace_epoch: Option<i64>,
    /// Requests per flow recorded for --traces at most (a systematic sample; 1 to
    /// 100000: the recording is held in memory until it is written).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        value_parser = recorded_requests,
        requires = "traces"
    )]
    pub trace_requests: usize,
    /// Write the timelines as OpenMetrics text (simulated timestamps) to PATH.
    #[arg(long, value_name = "PATH")]
    pub metrics: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TraceFormatArg {
    /// OTLP JSON (ExportTraceServiceRequest), for the OTel collector and Jaeger.
    Otlp,
    /// Chrome trace-event JSON, for Perfetto and chrome://tracing.
    Chrome,
}

/// `archsim import`.
#[derive(Args)]
pub struct ImportArgs {
    /// Trace files.
    #[arg(required = true)]
    traces: Vec<PathBuf>,
    /// The scenario to write (its CSV files go to <stem>-observed/ beside it).
    #[arg(long, short = 'o', value_name = "SCENARIO")]
    output: PathBuf,
    /// Use the best lognormal or gamma fit of each self time where the KS test does
    /// not reject it, instead of the empirical distribution.
    #[arg(long)]
    parametric: bool,
}

/// `archsim calibrate`.
#[derive(Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    scenario: ScenarioOpts,
    /// Trace files.
    #[arg(required = true)]
    traces: Vec<PathBuf>,
    /// Largest relative error allowed (0.1 = 10%).
    #[arg(long, default_value_t = 0.1)]
    tolerance: f64,
    /// Simulated requests recorded per flow at most (1 to 100000).
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = recorded_requests)]
    requests: usize,
}

/// Latest `--trace-epoch`: 9e9 s (the year 2255) plus the longest run (1000 h) stays
/// inside the `i64` nanoseconds the exports count in (up to the year 2262).
const MAX_EPOCH_S: i64 = 9_000_000_000;

/// Most requests per flow a recording may hold: their spans, and the documents written
/// from them, are in memory until the export is written.
pub const MAX_RECORDED_REQUESTS: usize = 100_000;

/// `--trace-requests` and `calibrate --requests`: a count from 1 to
/// [`MAX_RECORDED_REQUESTS`] (0 used to record one request per flow, silently).
fn recorded_requests(s: &str) -> Result<usize, String> {
    let n = archsim::spec::parse_count(s)?;
    match usize::try_from(n) {
        Ok(n @ 1..=MAX_RECORDED_REQUESTS) => Ok(n),
        _ => Err(format!(
            "between 1 and {MAX_RECORDED_REQUESTS} requests per flow, got {n}"
        )),
    }
}

impl TelemetryOut {
    /// Whether `--traces` or `--metrics` asks for an export.
    pub fn wanted(&self) -> bool {
        self.traces.is_some() || self.metrics.is_some()
    }

    /// `--trace-epoch` without `--traces` or `--metrics` would be ignored: refused
    /// before anything runs (clap's `requires` takes one argument, and the epoch
    /// serves two).
    pub fn check(&self) -> Result<(), archsim::Error> {
        if self.trace_epoch.is_some() && !self.wanted() {
            return Err(archsim::Error::Spec(archsim::spec::SpecError::Flag {
                flag: "--trace-epoch".into(),
                message: "only --traces and --metrics use it; give one of them".into(),
            }));
        }
        Ok(())
    }
}

/// `--traces` and `--metrics`: replication 0 of each variant (`recordings`, recorded
/// in the experiment's run), written.
pub fn export_telemetry(
    scenario: &Scenario,
    t: &TelemetryOut,
    recordings: &[archsim::engine::Recording],
) -> Result<(), archsim::Error> {
    use archsim::telemetry::export::{write, ExportOptions, TraceFormat};
    if !t.wanted() {
        return Ok(());
    }
    let format = match t.trace_format {
        TraceFormatArg::Otlp => TraceFormat::Otlp,
        TraceFormatArg::Chrome => TraceFormat::Chrome,
    };
    let o = ExportOptions {
        traces: t.traces.clone().map(|p| (p, format)),
        metrics: t.metrics.clone(),
        epoch_s: t
            .trace_epoch
            .unwrap_or(archsim::telemetry::sim::DEFAULT_EPOCH_S),
        requests: t.trace_requests,
    };
    for w in write(scenario, recordings, &o)? {
        eprintln!("warning: {w}");
    }
    Ok(())
}

/// `import`: trace files to a scenario.
pub fn import_command(a: &ImportArgs) -> Result<u8, archsim::Error> {
    out(&archsim::telemetry::import_to(
        &a.traces,
        &a.output,
        a.parametric,
    )?)?;
    Ok(0)
}

/// `calibrate`: simulated against observed; exit code 3 past the tolerance.
pub fn calibrate_command(a: &CalibrateArgs) -> Result<u8, archsim::Error> {
    let opts = &a.scenario;
    if !(a.tolerance.is_finite() && a.tolerance >= 0.0) {
        return Err(archsim::telemetry::TelemetryError::at(
            "--tolerance",
            "",
            "must be a number >= 0 (0.1 = 10%)",
        )
        .into());
    }
    let text = read(&opts.file)?;
    let scenario = archsim::spec::load_with(&text, &opts.file, &overrides(opts))?;
    let (_, observed) = archsim::telemetry::read_topology(&a.traces)?;
    let c =
        archsim::telemetry::calibrate::calibrate(&scenario, &observed, a.tolerance, a.requests)?;
    out(&archsim::telemetry::calibrate::table(&c))?;
    Ok(if c.pass() { 0 } else { EXIT_SLO_FAILED })
}
