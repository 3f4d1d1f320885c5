//! Where a command's outputs go: the table on standard output, JSON and CSV to files
//! or to standard output (which then replaces the table), and the report directory.
//! Every write is checked: a failure is an error naming the path, never a panic.

use super::document::{write_report, ReportInput};
use super::escape::{terminal_lines, visible};
use crate::Error;
use std::path::{Path, PathBuf};

/// A command's outputs, rendered.
pub struct Rendered {
    /// The terminal text.
    pub table: String,
    /// The JSON document.
    pub json: String,
    /// The CSV document.
    pub csv: String,
}

/// Where the outputs go (`-` is standard output).
#[derive(Clone, Debug, Default)]
pub struct Destinations {
    /// JSON file, if asked for.
    pub json: Option<PathBuf>,
    /// CSV file, if asked for.
    pub csv: Option<PathBuf>,
    /// Report directory, if asked for.
    pub report: Option<PathBuf>,
}

/// Whether an output path means standard output (`-`).
pub fn is_stdout(p: &Path) -> bool {
    p == Path::new("-")
}

/// Writes `text` to `path` (its directory created if needed).
pub fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    write_with(path, &|w| w.write_all(text.as_bytes()))
}

/// Writes to `path` (its directory created if needed) what `write` writes to the
/// buffered file it is given.
pub fn write_with(
    path: &Path,
    write: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    use std::io::Write;
    let failed = |e| Error::Output(path.to_path_buf(), e);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(failed)?);
    write(&mut file).map_err(failed)?;
    file.flush().map_err(failed)
}

/// Writes `text` to `path`, or returns it for standard output when `path` is "-";
/// otherwise a note saying where it went.
fn emit(path: Option<&PathBuf>, text: &str, what: &str) -> Result<Option<String>, Error> {
    match path {
        None => Ok(None),
        Some(p) if is_stdout(p) => Ok(Some(text.to_string())),
        Some(p) => {
            write_file(p, text)?;
            Ok(Some(format!("{what} written to {}", p.display())))
        }
    }
}

/// Writes the files of `out` to `to` (and the report, built from `report`, when a
/// report directory is given); returns what to print on standard output: the JSON or
/// CSV when either goes there, else the table followed by notes of what was written.
pub fn deliver(
    out: Rendered,
    to: &Destinations,
    report: Option<&ReportInput>,
) -> Result<String, Error> {
    let json = emit(to.json.as_ref(), &out.json, "JSON")?;
    let csv = emit(to.csv.as_ref(), &out.csv, "CSV")?;
    let mut table = out.table;
    if let (Some(dir), Some(input)) = (&to.report, report) {
        write_report(dir, input)?;
        table.push_str(&format!(
            "report written to {}\n",
            visible(&dir.join("index.html").display().to_string())
        ));
    }
    if to.json.as_deref().is_some_and(is_stdout) {
        return Ok(json.unwrap_or_default());
    }
    if to.csv.as_deref().is_some_and(is_stdout) {
        return Ok(csv.unwrap_or_default());
    }
    let mut text = terminal_lines(&table);
    for note in [json, csv].into_iter().flatten() {
        text.push_str(&visible(&note));
        text.push('\n');
    }
    Ok(text)
}

/// Where a report goes by default: `reports/<scenario><suffix>/`.
pub fn default_report_dir(scenario: &crate::model::Scenario, suffix: &str) -> PathBuf {
    Path::new("reports").join(format!("{}{suffix}", scenario.name))
}

/// The scenario an output came from, as the reports show it.
pub struct Source<'a> {
    /// The scenario as loaded (overrides applied).
    pub scenario: &'a crate::model::Scenario,
    /// The scenario file as given on the command line.
    pub file: &'a str,
    /// Its text.
    pub toml: &'a str,
    /// The command that reproduces the outputs.
    pub command: &'a str,
}

/// What `run` and `compare` print and write for an experiment (table, JSON, CSV and,
/// when `to.report` is set, the report): the one writer of the one-machine path and
/// of `archsim merge`.
pub fn deliver_experiment(
    exp: &crate::experiment::compare::Experiment,
    src: &Source,
    to: &Destinations,
) -> Result<String, Error> {
    use super::{csv, json, terminal};
    let verdicts = crate::experiment::slo::evaluate(src.scenario, exp);
    let rendered = Rendered {
        table: terminal::render(exp, &verdicts),
        json: json::experiment_json(exp, &verdicts),
        csv: csv::experiment_csv(exp),
    };
    let input = ReportInput {
        scenario: src.scenario,
        file: src.file,
        toml: src.toml,
        command: src.command,
        experiment: Some(exp),
        sweep: None,
        verdicts: &verdicts,
    };
    deliver(rendered, to, Some(&input))
}

/// What `sweep` prints and writes (table, JSON, CSV, report): the one writer of the
/// one-machine path and of `archsim merge`.
pub fn deliver_sweep(
    sweep: &crate::experiment::sweep::Sweep,
    src: &Source,
    to: &Destinations,
) -> Result<String, Error> {
    use super::sections::{section_text, sweep_sections};
    use super::{csv, json};
    let mut table = String::new();
    for s in sweep_sections(sweep) {
        table.push_str(&section_text(&s));
        table.push('\n');
    }
    let rendered = Rendered {
        table,
        json: json::sweep_json(sweep),
        csv: csv::sweep_csv(sweep),
    };
    let input = ReportInput {
        scenario: src.scenario,
        file: src.file,
        toml: src.toml,
        command: src.command,
        experiment: None,
        sweep: Some(sweep),
        verdicts: &[],
    };
    deliver(rendered, to, Some(&input))
}

/// The table of a `sweep --seeds`.
pub fn seeds_section(s: &crate::experiment::seeds::SeedSweep) -> super::sections::Section {
    let mut header: Vec<String> = s.params.iter().map(|p| p.path.clone()).collect();
    header.extend(
        [
            "variant",
            "runs",
            "metastable",
            "probability",
            "95% CI (Wilson)",
        ]
        .map(String::from),
    );
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let flow = s.rows.first().map_or("", |r| r.flow.as_str());
    super::sections::Section {
        title: format!(
            "probability of going metastable: flow {flow} failing above {} over the last tenth of the run, seeds {}..{}",
            pct(s.threshold),
            s.first_seed,
            s.last_seed
        ),
        header,
        rows: s
            .rows
            .iter()
            .map(|r| {
                let mut row = r.settings.clone();
                row.extend([
                    r.variant.clone(),
                    r.runs.to_string(),
                    r.metastable.to_string(),
                    pct(r.probability),
                    format!("[{}, {}]", pct(r.ci_low), pct(r.ci_high)),
                ]);
                row
            })
            .collect(),
    }
}

/// What `sweep --seeds` prints and writes (table, JSON, CSV; no report): the one
/// writer of the one-machine path and of `archsim merge`.
pub fn deliver_seeds(
    s: &crate::experiment::seeds::SeedSweep,
    to: &Destinations,
) -> Result<String, Error> {
    let rendered = Rendered {
        table: super::sections::section_text(&seeds_section(s)),
        json: super::json::seeds_json(s),
        csv: super::csv::seeds_csv(s),
    };
    let to = Destinations {
        report: None,
        ..to.clone()
    };
    deliver(rendered, &to, None)
}
