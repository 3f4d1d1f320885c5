//! The `archsim` command line: a thin layer over the library.

use archsim::distribute::emit::{self, Target};
use archsim::distribute::merge;
use archsim::distribute::outputs::{write_merged, MergeOutputs};
use archsim::distribute::part::{check_index, part_name, run_shard, write_atomically};
use archsim::distribute::plan::{make_plan, one_machine_args, Kind, Plan, Request, Seeds};
use archsim::experiment::compare::{
    run_experiment, run_experiment_recorded, total_replications, Experiment,
};
use archsim::experiment::seeds::run_seed_sweep;
use archsim::experiment::slo::{all_pass, evaluate};
use archsim::experiment::sweep::{run_sweep, sweep_replications};
use archsim::report::deliver::{
    default_report_dir, deliver, deliver_experiment, deliver_seeds, deliver_sweep, Destinations,
    Rendered, Source,
};
use archsim::report::escape::{shell_word, visible};
use archsim::report::sections::{section_text, slo_section};
use archsim::report::{csv, json};
use archsim::spec::edit::{parse_set, sweep_points};
use archsim::spec::SpecError;
use archsim::{Overrides, Scenario};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
mod cli_distribute;
mod cli_telemetry;
use cli_distribute::*;
use cli_telemetry::*;

/// Exit code of `check` when an SLO fails.
const EXIT_SLO_FAILED: u8 = 3;

/// Deterministic discrete-event simulation of microservice architectures.
#[derive(Parser)]
#[command(name = "archsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The scenario and the overrides that change its results: what `run`, `compare`,
/// `check`, `sweep` and `plan` share (a plan records them for the one-machine command).
#[derive(Args, Clone)]
struct ScenarioOpts {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Override `[simulation] seed`.
    #[arg(long)]
    seed: Option<u64>,
    /// Override `[simulation] replications`.
    #[arg(long, short = 'r')]
    replications: Option<u32>,
    /// Override `[simulation] duration` (e.g. "5m").
    #[arg(long)]
    duration: Option<String>,
    /// Override `[simulation] max_events`: a replication whose pace would take it past
    /// this many events stops early with an error (default 1e10; "3e7" and
    /// "30_000_000" are counts too).
    #[arg(long, value_name = "N", value_parser = archsim::spec::parse_count)]
    max_events: Option<u64>,
    /// Override `[simulation] max_pending`: a replication that holds more work than
    /// this at once (pending events, requests, messages and sagas in flight) stops with
    /// an error naming its longest backlogs (default 1e7, at least 1000).
    #[arg(long, value_name = "N", value_parser = archsim::spec::parse_count)]
    max_pending: Option<u64>,
}

/// Options shared by the commands that run a scenario.
#[derive(Args, Clone)]
struct RunOpts {
    #[command(flatten)]
    scenario: ScenarioOpts,
    /// Also write the results as JSON to this path ("-" for standard output, which
    /// then replaces the table).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also write the results as CSV to this path ("-" for standard output, which then
    /// replaces the table).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// No progress bar (it is only ever drawn on a terminal, on standard error).
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its report (every variant, if it has [compare]).
    Run {
        #[command(flatten)]
        opts: Exported,
        /// Write index.html, report.md and charts to DIR (default reports/<scenario>/).
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        report: Option<Option<PathBuf>>,
        /// Also print the report to DIR/report.pdf with headless Chromium (needs --report).
        #[arg(long, requires = "report")]
        pdf: bool,
    },
    /// Run every [compare] variant side by side and write the report.
    Compare {
        #[command(flatten)]
        opts: Exported,
        /// Where to write index.html, report.md and charts (default reports/<scenario>/).
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        report: Option<Option<PathBuf>>,
        /// Also print the report to DIR/report.pdf with headless Chromium (needs the report).
        #[arg(long, conflicts_with = "no_report")]
        pdf: bool,
        /// Do not write the report.
        #[arg(long, conflicts_with = "report")]
        no_report: bool,
    },
    /// Run a scenario and check its [[slo]]s: exit code 3 if one fails.
    Check {
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Run a scenario at every point of one or two parameters.
    Sweep {
        #[command(flatten)]
        opts: RunOpts,
        /// PATH=VALUES: a TOML key path (array elements by index, e.g.
        /// workload.0.arrivals.poisson) and `a,b,c` or `START..END step STEP`.
        #[arg(
            long = "set",
            value_name = "PATH=VALUES",
            required_unless_present = "seeds"
        )]
        set: Vec<String>,
        /// Write index.html, report.md and charts to DIR (default reports/<scenario>-sweep/).
        #[arg(long, value_name = "DIR", num_args = 0..=1, conflicts_with = "seeds")]
        report: Option<Option<PathBuf>>,
        /// Every seed FIRST..LAST (both included) at every point: the share of runs
        /// that went metastable, with its 95% Wilson interval.
        #[arg(long, value_name = "FIRST..LAST")]
        seeds: Option<String>,
    },
    /// Resolve a run, compare or sweep into work units for a cluster (see README,
    /// "Running on a cluster"): write the plan, optionally print a job script.
    Plan(PlanArgs),
    /// Run one shard of a plan and write its part file to DIR.
    Shard(ShardArgs),
    /// Merge the part files of a plan into what the one-machine command writes.
    Merge(MergeArgs),
    /// Print the topology as a diagram.
    Graph {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Diagram syntax.
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
    },
    /// Build a scenario from trace files (OTLP JSON, Zipkin v2 JSON, Jaeger JSON).
    Import(ImportArgs),
    /// Simulated against observed traces: exit code 3 when a row is past the tolerance.
    Calibrate(CalibrateArgs),
    /// Check a scenario file without running it (and warn of work that would never end).
    Validate {
        /// The scenario file (TOML).
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// SVG, laid out by archsim (the report's diagram).
    Svg,
}

fn main() -> ExitCode {
    let command = reproduce_command();
    match try_main(Cli::parse(), &command) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`archsim run X | head -1`): it has what it wanted.
        Err(archsim::Error::Stdout(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(err) => {
            // One line, whatever the message holds; if standard error is gone too,
            // the exit code still tells.
            let _ = writeln!(io::stderr(), "error: {}", visible(&err.to_string()));
            ExitCode::from(err.exit_code())
        }
    }
}

/// Writes `text` to standard output, flushed: every failure is an error, never a panic.
fn out(text: &str) -> Result<(), archsim::Error> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(archsim::Error::Stdout)
}

/// The command line as typed, with the program called `archsim`, shell-quoted (an
/// argument with a control character in ANSI-C quoting, `$'\x1b'`, so the command
/// stays one printable line).
fn reproduce_command() -> String {
    shell_command(&raw_args())
}

/// The arguments after the program's name, as text.
fn raw_args() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// `archsim` followed by `args`, each a shell word.
fn shell_command(args: &[String]) -> String {
    let mut parts = vec!["archsim".to_string()];
    parts.extend(args.iter().map(|a| shell_word(a)));
    parts.join(" ")
}

fn read(file: &Path) -> Result<String, archsim::Error> {
    std::fs::read_to_string(file).map_err(|e| {
        archsim::Error::Spec(SpecError::Io {
            file: file.display().to_string(),
            message: e.to_string(),
        })
    })
}

fn overrides(o: &ScenarioOpts) -> Overrides {
    Overrides {
        seed: o.seed,
        replications: o.replications,
        duration: o.duration.clone(),
        max_events: o.max_events,
        max_pending: o.max_pending,
    }
}

fn load(o: &RunOpts) -> Result<(String, Scenario), archsim::Error> {
    let o = &o.scenario;
    let text = read(&o.file)?;
    let scenario = archsim::spec::load_with(&text, &o.file, &overrides(o))?;
    Ok((text, scenario))
}

/// A progress bar on standard error, drawn only on a terminal and without --quiet.
fn progress(total: u64, quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:32}] {pos}/{len} replications, {eta} left")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Run the experiment; with `record` (`--traces`, `--metrics`: sampled requests per
/// flow), replication 0 of each variant is recorded in the same run for the export.
fn run_all(
    o: &RunOpts,
    scenario: &Scenario,
    record: Option<usize>,
) -> Result<(Experiment, Vec<archsim::engine::Recording>), archsim::Error> {
    let what = match &scenario.compare {
        Some(c) => format!("{} variants", c.variants.len()),
        None => scenario.name.clone(),
    };
    let pb = progress(total_replications(scenario), o.quiet, &what);
    let tick = || pb.inc(1);
    let out = match record {
        Some(limit) => run_experiment_recorded(scenario, limit, &tick),
        None => run_experiment(scenario, &tick).map(|exp| (exp, Vec::new())),
    };
    pb.finish_and_clear();
    Ok(out?)
}

fn destinations(o: &RunOpts, report: Option<PathBuf>) -> Destinations {
    Destinations {
        json: o.json.clone(),
        csv: o.csv.clone(),
        report,
    }
}

/// `run` and `compare`: the experiment's table, JSON, CSV and (if asked) report.
fn run_command(
    opts: Exported,
    report: Option<Option<PathBuf>>,
    pdf: bool,
    command: &str,
) -> Result<u8, archsim::Error> {
    let (opts, telemetry) = (opts.run, opts.telemetry);
    let (text, scenario) = load(&opts)?;
    let record = telemetry.wanted().then_some(telemetry.trace_requests);
    let (exp, recordings) = run_all(&opts, &scenario, record)?;
    export_telemetry(&scenario, &telemetry, &recordings)?;
    let dir = report.map(|d| d.unwrap_or_else(|| default_report_dir(&scenario, "")));
    let src = Source {
        scenario: &scenario,
        file: &opts.scenario.file.display().to_string(),
        toml: &text,
        command,
    };
    out(&deliver_experiment(
        &exp,
        &src,
        &destinations(&opts, dir.clone()),
    )?)?;
    if let (true, Some(dir)) = (pdf, dir) {
        eprintln!("{}", archsim::report::pdf::write_pdf(&dir)?);
    }
    Ok(0)
}

/// `compare`: `run` of a scenario that must have `[compare]`, with the report by default.
fn compare_command(
    opts: Exported,
    report: Option<Option<PathBuf>>,
    no_report: bool,
    pdf: bool,
    command: &str,
) -> Result<u8, archsim::Error> {
    let text = read(&opts.run.scenario.file)?;
    let scenario = archsim::spec::load_str(&text, &opts.run.scenario.file)?;
    if scenario.compare.is_none() {
        return Err(archsim::Error::NoCompare {
            file: opts.run.scenario.file.display().to_string(),
        });
    }
    let report = if no_report {
        None
    } else {
        Some(report.unwrap_or(None))
    };
    run_command(opts, report, pdf, command)
}

/// `check`: the SLO verdicts; exit code 3 when one fails.
fn check_command(opts: RunOpts) -> Result<u8, archsim::Error> {
    let (_, scenario) = load(&opts)?;
    if scenario.slos.is_empty() {
        out(&format!(
            "{}: no [[slo]] declared; nothing to check\n",
            visible(&opts.scenario.file.display().to_string())
        ))?;
        return Ok(0);
    }
    let (exp, _) = run_all(&opts, &scenario, None)?;
    let verdicts = evaluate(&scenario, &exp);
    let pass = all_pass(&verdicts);
    let mut table = section_text(&slo_section(&verdicts));
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    table.push_str(&if pass {
        format!("all {} SLO verdict(s) pass\n", verdicts.len())
    } else {
        format!(
            "{failed} of {} SLO verdict(s) fail (exit code {EXIT_SLO_FAILED})\n",
            verdicts.len()
        )
    });
    let rendered = Rendered {
        table,
        json: json::slo_json(&verdicts),
        csv: csv::experiment_csv(&exp),
    };
    out(&deliver(rendered, &destinations(&opts, None), None)?)?;
    Ok(if pass { 0 } else { EXIT_SLO_FAILED })
}

/// What `sweep` and `sweep --seeds` start from: the file's text, the file as written
/// (checked first, so its own errors are not blamed on `--set`) and the parameters.
fn sweep_input(
    opts: &RunOpts,
    set: &[String],
) -> Result<(String, Scenario, Vec<archsim::spec::edit::Param>), archsim::Error> {
    let text = read(&opts.scenario.file)?;
    let base = archsim::spec::load_str(&text, &opts.scenario.file)?;
    let params = set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((text, base, params))
}

/// `sweep`: every point of the `--set` parameters.
fn sweep_command(
    opts: RunOpts,
    set: Vec<String>,
    report: Option<Option<PathBuf>>,
    command: &str,
) -> Result<u8, archsim::Error> {
    let (text, base, params) = sweep_input(&opts, &set)?;
    let points = sweep_points(
        &text,
        &opts.scenario.file,
        &params,
        &overrides(&opts.scenario),
    )?;
    let pb = progress(
        sweep_replications(&points),
        opts.quiet,
        &format!("{} points", points.len()),
    );
    let sweep = run_sweep(&base.name, params, points, &|| pb.inc(1));
    pb.finish_and_clear();
    let sweep = sweep?;
    let shown = archsim::spec::load_with(&text, &opts.scenario.file, &overrides(&opts.scenario))?;
    let dir = report.map(|d| d.unwrap_or_else(|| default_report_dir(&base, "-sweep")));
    let src = Source {
        scenario: &shown,
        file: &opts.scenario.file.display().to_string(),
        toml: &text,
        command,
    };
    out(&deliver_sweep(&sweep, &src, &destinations(&opts, dir))?)?;
    Ok(0)
}

/// `sweep --seeds`: the probability of going metastable at every point.
fn seeds_command(opts: RunOpts, set: Vec<String>, seeds: &str) -> Result<u8, archsim::Error> {
    let seeds = Seeds::parse(seeds)?;
    let (text, base, params) = sweep_input(&opts, &set)?;
    let points = if params.is_empty() {
        vec![(
            Vec::new(),
            archsim::spec::load_with(&text, &opts.scenario.file, &overrides(&opts.scenario))?,
        )]
    } else {
        sweep_points(
            &text,
            &opts.scenario.file,
            &params,
            &overrides(&opts.scenario),
        )?
    };
    let n = seeds.iter().count() as u64;
    let pb = progress(
        sweep_replications(&points) * n,
        opts.quiet,
        &format!("{} points x {n} seeds", points.len()),
    );
    let result = run_seed_sweep(
        &base.name,
        params,
        points,
        (seeds.first, seeds.last),
        &|| pb.inc(1),
    );
    pb.finish_and_clear();
    out(&deliver_seeds(&result?, &destinations(&opts, None))?)?;
    Ok(0)
}

/// `graph`: the topology as Mermaid or DOT.
fn graph_command(file: &Path, format: GraphFormat) -> Result<u8, archsim::Error> {
    let scenario = archsim::spec::load(file)?;
    let mut text = match format {
        GraphFormat::Mermaid => archsim::report::graph::mermaid(&scenario),
        GraphFormat::Dot => archsim::report::graph::dot(&scenario),
        GraphFormat::Svg => archsim::report::topology::svg_document(&scenario),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    out(&text)?;
    Ok(0)
}

/// `validate`: load and check, print what the file holds.
fn validate_command(file: &Path) -> Result<u8, archsim::Error> {
    let scenario = archsim::spec::load(file)?;
    let variants = scenario.compare.as_ref().map_or(String::new(), |c| {
        format!(", {} variants", c.variants.len())
    });
    out(&format!(
        "{}: ok ({} services, {} operations, {} flows{variants})\n",
        visible(&file.display().to_string()),
        scenario.services.len(),
        scenario.operations.len(),
        scenario.workloads.len()
    ))?;
    for w in archsim::experiment::model_warnings(&scenario) {
        // Like the errors: a closed standard error is no reason to fail.
        let _ = writeln!(io::stderr(), "warning: {}", visible(&w.message));
    }
    Ok(0)
}

/// `--json -` and `--csv -` together: standard output can take one of them, and the
/// CSV used to be dropped without a word. Checked before anything runs.
fn one_on_stdout(json: Option<&Path>, csv: Option<&Path>) -> Result<(), archsim::Error> {
    use archsim::report::deliver::is_stdout;
    if json.is_some_and(is_stdout) && csv.is_some_and(is_stdout) {
        return Err(archsim::Error::Spec(archsim::spec::SpecError::Flag {
            flag: "--csv".into(),
            message: "standard output (\"-\") already takes the JSON of --json -; write one of them to a file".into(),
        }));
    }
    Ok(())
}

fn try_main(cli: Cli, command: &str) -> Result<u8, archsim::Error> {
    let outputs = match &cli.command {
        Command::Run { opts, .. } | Command::Compare { opts, .. } => Some(&opts.run),
        Command::Check { opts } | Command::Sweep { opts, .. } => Some(opts),
        _ => None,
    };
    if let Some(o) = outputs {
        one_on_stdout(o.json.as_deref(), o.csv.as_deref())?;
    }
    if let Command::Run { opts, .. } | Command::Compare { opts, .. } = &cli.command {
        opts.telemetry.check()?;
    }
    if let Command::Merge(a) = &cli.command {
        one_on_stdout(a.json.as_deref(), a.csv.as_deref())?;
    }
    match cli.command {
        Command::Run { opts, report, pdf } => run_command(opts, report, pdf, command),
        Command::Compare {
            opts,
            report,
            no_report,
            pdf,
        } => compare_command(opts, report, no_report, pdf, command),
        Command::Check { opts } => check_command(opts),
        Command::Sweep {
            opts,
            set,
            report,
            seeds,
        } => match seeds {
            Some(seeds) => seeds_command(opts, set, &seeds),
            None => sweep_command(opts, set, report, command),
        },
        Command::Import(a) => import_command(&a),
        Command::Calibrate(a) => calibrate_command(&a),
        Command::Plan(a) => plan_command(a),
        Command::Shard(a) => shard_command(&a.plan, a.index, a.of, &a.out, a.quiet),
        Command::Merge(a) if a.missing => missing_command(&a.plan, &a.parts),
        Command::Merge(a) => {
            let outputs = MergeOutputs {
                json: a.json,
                csv: a.csv,
                report: a.report,
                no_report: a.no_report,
            };
            merge_command(&a.plan, &a.parts, &outputs)
        }
        Command::Graph { file, format } => graph_command(&file, format),
        Command::Validate { file } => validate_command(&file),
    }
}
