//! The `archsim` command line: a thin layer over the library.

use archsim::experiment::compare::{run_experiment, total_replications, Experiment};
use archsim::experiment::slo::{all_pass, evaluate, SloVerdict};
use archsim::experiment::sweep::{run_sweep, sweep_replications};
use archsim::report::document::{write_report, ReportInput};
use archsim::report::escape::{terminal_lines, visible};
use archsim::report::{compare as tables, output};
use archsim::spec::edit::{parse_set, sweep_points};
use archsim::spec::SpecError;
use archsim::{Overrides, Scenario};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code of `check` when an SLO fails.
const EXIT_SLO_FAILED: u8 = 3;

/// Deterministic discrete-event simulation of microservice architectures.
#[derive(Parser)]
#[command(name = "archsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options shared by the commands that run a scenario.
#[derive(Args, Clone)]
struct RunOpts {
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
    /// this many events stops early with an error (default 1e10).
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
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
        opts: RunOpts,
        /// Write index.html, report.md and charts to DIR (default reports/<scenario>/).
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        report: Option<Option<PathBuf>>,
    },
    /// Run every [compare] variant side by side and write the report.
    Compare {
        #[command(flatten)]
        opts: RunOpts,
        /// Where to write index.html, report.md and charts (default reports/<scenario>/).
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        report: Option<Option<PathBuf>>,
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
        #[arg(long = "set", value_name = "PATH=VALUES", required = true)]
        set: Vec<String>,
        /// Write index.html, report.md and charts to DIR (default reports/<scenario>-sweep/).
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        report: Option<Option<PathBuf>>,
    },
    /// Print the topology as a diagram.
    Graph {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Diagram syntax.
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
    },
    /// Check a scenario file without running it.
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
    let mut parts = vec!["archsim".to_string()];
    for a in std::env::args_os().skip(1) {
        let a = a.to_string_lossy().into_owned();
        let plain = !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
        parts.push(if plain {
            a
        } else if a.chars().any(char::is_control) {
            let mut q = String::from("$'");
            for c in a.chars() {
                match c {
                    '\'' | '\\' => {
                        q.push('\\');
                        q.push(c);
                    }
                    c if c.is_control() && (c as u32) < 0x100 => {
                        q.push_str(&format!("\\x{:02x}", c as u32));
                    }
                    c if c.is_control() => q.push_str(&format!("\\u{:04x}", c as u32)),
                    c => q.push(c),
                }
            }
            q.push('\'');
            q
        } else {
            format!("'{}'", a.replace('\'', "'\\''"))
        });
    }
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

fn overrides(o: &RunOpts) -> Overrides {
    Overrides {
        seed: o.seed,
        replications: o.replications,
        duration: o.duration.clone(),
        max_events: o.max_events,
    }
}

fn load(o: &RunOpts) -> Result<(String, Scenario), archsim::Error> {
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

fn run_all(o: &RunOpts, scenario: &Scenario) -> Result<Experiment, archsim::Error> {
    let what = match &scenario.compare {
        Some(c) => format!("{} variants", c.variants.len()),
        None => scenario.name.clone(),
    };
    let pb = progress(total_replications(scenario), o.quiet, &what);
    let exp = run_experiment(scenario, &|| pb.inc(1));
    pb.finish_and_clear();
    Ok(exp?)
}

fn is_stdout(p: &Path) -> bool {
    p == Path::new("-")
}

/// Writes `text` to `path`, or returns it for standard output when `path` is "-".
fn emit(path: Option<&PathBuf>, text: &str, what: &str) -> Result<Option<String>, archsim::Error> {
    match path {
        None => Ok(None),
        Some(p) if is_stdout(p) => Ok(Some(text.to_string())),
        Some(p) => {
            write_file(p, text)?;
            Ok(Some(format!("{what} written to {}", p.display())))
        }
    }
}

fn default_report_dir(scenario: &Scenario, suffix: &str) -> PathBuf {
    Path::new("reports").join(format!("{}{suffix}", scenario.name))
}

fn verdict_text(verdicts: &[SloVerdict]) -> String {
    tables::section_text(&tables::slo_section(verdicts))
}

/// Prints the table (unless JSON or CSV go to standard output) and the output notes.
fn print_outputs(
    table: String,
    json: Option<String>,
    csv: Option<String>,
    o: &RunOpts,
) -> Result<(), archsim::Error> {
    let json_out = o.json.as_deref().is_some_and(is_stdout);
    let csv_out = o.csv.as_deref().is_some_and(is_stdout);
    if json_out {
        return out(&json.unwrap_or_default());
    }
    if csv_out {
        return out(&csv.unwrap_or_default());
    }
    let mut text = terminal_lines(&table);
    for note in [json, csv].into_iter().flatten() {
        text.push_str(&visible(&note));
        text.push('\n');
    }
    out(&text)
}

fn run_command(
    opts: RunOpts,
    report: Option<Option<PathBuf>>,
    command: &str,
) -> Result<u8, archsim::Error> {
    let (text, scenario) = load(&opts)?;
    let exp = run_all(&opts, &scenario)?;
    let verdicts = evaluate(&scenario, &exp);
    let mut table = if exp.is_comparison() {
        tables::render_comparison(&exp)
    } else {
        archsim::report::render_table(&exp.variants[0].summary)
    };
    if !verdicts.is_empty() {
        table.push('\n');
        table.push_str(&verdict_text(&verdicts));
    }
    let json_text = if exp.is_comparison() {
        output::experiment_json(&exp, &verdicts)
    } else {
        archsim::report::to_json(&exp.variants[0].summary)
    };
    let json = emit(opts.json.as_ref(), &json_text, "JSON")?;
    let csv = emit(opts.csv.as_ref(), &output::experiment_csv(&exp), "CSV")?;
    if let Some(dir) = report {
        let dir = dir.unwrap_or_else(|| default_report_dir(&scenario, ""));
        write_report(
            &dir,
            &ReportInput {
                scenario: &scenario,
                file: &opts.file.display().to_string(),
                toml: &text,
                command,
                experiment: Some(&exp),
                sweep: None,
                verdicts: &verdicts,
            },
        )?;
        table.push_str(&format!(
            "report written to {}\n",
            visible(&dir.join("index.html").display().to_string())
        ));
    }
    print_outputs(table, json, csv, &opts)?;
    Ok(0)
}

fn try_main(cli: Cli, command: &str) -> Result<u8, archsim::Error> {
    match cli.command {
        Command::Run { opts, report } => run_command(opts, report, command),
        Command::Compare {
            opts,
            report,
            no_report,
        } => {
            let text = read(&opts.file)?;
            let scenario = archsim::spec::load_str(&text, &opts.file)?;
            if scenario.compare.is_none() {
                return Err(archsim::Error::NoCompare {
                    file: opts.file.display().to_string(),
                });
            }
            let report = if no_report {
                None
            } else {
                Some(report.unwrap_or(None))
            };
            run_command(opts, report, command)
        }
        Command::Check { opts } => {
            let (_, scenario) = load(&opts)?;
            if scenario.slos.is_empty() {
                out(&format!(
                    "{}: no [[slo]] declared; nothing to check\n",
                    visible(&opts.file.display().to_string())
                ))?;
                return Ok(0);
            }
            let exp = run_all(&opts, &scenario)?;
            let verdicts = evaluate(&scenario, &exp);
            let pass = all_pass(&verdicts);
            let mut table = verdict_text(&verdicts);
            let failed = verdicts.iter().filter(|v| !v.pass).count();
            table.push_str(&if pass {
                format!("all {} SLO verdict(s) pass\n", verdicts.len())
            } else {
                format!(
                    "{failed} of {} SLO verdict(s) fail (exit code {EXIT_SLO_FAILED})\n",
                    verdicts.len()
                )
            });
            let json = emit(opts.json.as_ref(), &output::slo_json(&verdicts), "JSON")?;
            let csv = emit(opts.csv.as_ref(), &output::experiment_csv(&exp), "CSV")?;
            print_outputs(table, json, csv, &opts)?;
            Ok(if pass { 0 } else { EXIT_SLO_FAILED })
        }
        Command::Sweep { opts, set, report } => {
            let text = read(&opts.file)?;
            // Check the file itself first, so its own errors are not blamed on --set.
            let base = archsim::spec::load_str(&text, &opts.file)?;
            let params = set
                .iter()
                .map(|s| parse_set(s))
                .collect::<Result<Vec<_>, _>>()?;
            let points = sweep_points(&text, &opts.file, &params, &overrides(&opts))?;
            let pb = progress(
                sweep_replications(&points),
                opts.quiet,
                &format!("{} points", points.len()),
            );
            let sweep = run_sweep(&base.name, params, points, &|| pb.inc(1));
            pb.finish_and_clear();
            let sweep = sweep?;
            let mut table = String::new();
            for s in tables::sweep_sections(&sweep) {
                table.push_str(&tables::section_text(&s));
                table.push('\n');
            }
            let json = emit(opts.json.as_ref(), &output::sweep_json(&sweep), "JSON")?;
            let csv = emit(opts.csv.as_ref(), &output::sweep_csv(&sweep), "CSV")?;
            if let Some(dir) = report {
                let shown = archsim::spec::load_with(&text, &opts.file, &overrides(&opts))?;
                let dir = dir.unwrap_or_else(|| default_report_dir(&base, "-sweep"));
                write_report(
                    &dir,
                    &ReportInput {
                        scenario: &shown,
                        file: &opts.file.display().to_string(),
                        toml: &text,
                        command,
                        experiment: None,
                        sweep: Some(&sweep),
                        verdicts: &[],
                    },
                )?;
                table.push_str(&format!(
                    "report written to {}\n",
                    visible(&dir.join("index.html").display().to_string())
                ));
            }
            print_outputs(table, json, csv, &opts)?;
            Ok(0)
        }
        Command::Graph { file, format } => {
            let scenario = archsim::spec::load(&file)?;
            let mut text = match format {
                GraphFormat::Mermaid => archsim::report::graph::mermaid(&scenario),
                GraphFormat::Dot => archsim::report::graph::dot(&scenario),
            };
            if !text.ends_with('\n') {
                text.push('\n');
            }
            out(&text)?;
            Ok(0)
        }
        Command::Validate { file } => {
            let scenario = archsim::spec::load(&file)?;
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
            Ok(0)
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), archsim::Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| archsim::Error::Output(path.to_path_buf(), e))?;
    }
    std::fs::write(path, text).map_err(|e| archsim::Error::Output(path.to_path_buf(), e))
}
