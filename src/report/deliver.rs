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

fn is_stdout(p: &Path) -> bool {
    p == Path::new("-")
}

/// Writes `text` to `path` (its directory created if needed).
pub fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Output(path.to_path_buf(), e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::Output(path.to_path_buf(), e))
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
