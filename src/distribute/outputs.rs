//! What a merge writes: the one-machine command's outputs, through its own writers,
//! with the reproducing command the one-machine report shows.

use super::merge::Merged;
use super::plan::{Kind, Plan, Resolved};
use crate::report::deliver::{
    default_report_dir, deliver_experiment, deliver_seeds, deliver_sweep, Destinations, Source,
};
use crate::report::escape::shell_word;
use crate::Error;
use std::path::PathBuf;

/// The output flags of `archsim merge`, as those of `run`, `compare` and `sweep`.
#[derive(Clone, Debug, Default)]
pub struct MergeOutputs {
    /// `--json PATH`.
    pub json: Option<PathBuf>,
    /// `--csv PATH`.
    pub csv: Option<PathBuf>,
    /// `--report [DIR]`.
    pub report: Option<Option<PathBuf>>,
    /// `--no-report` (compare plans write the report by default).
    pub no_report: bool,
}

impl MergeOutputs {
    /// The reproducing command: the plan's one-machine command followed by these
    /// flags, in the order `--json`, `--csv`, `--report`, `--no-report` (so a merge's
    /// report equals that of the one-machine command typed so).
    pub fn command(&self, plan: &Plan) -> String {
        let mut command = plan.command.clone();
        let word = |p: &PathBuf| shell_word(&p.display().to_string());
        if let Some(p) = &self.json {
            command.push_str(&format!(" --json {}", word(p)));
        }
        if let Some(p) = &self.csv {
            command.push_str(&format!(" --csv {}", word(p)));
        }
        match &self.report {
            Some(Some(dir)) => command.push_str(&format!(" --report {}", word(dir))),
            Some(None) => command.push_str(" --report"),
            None if self.no_report => command.push_str(" --no-report"),
            None => {}
        }
        command
    }
}

/// Writes `merged` as the plan's one-machine command writes its results (table
/// returned for standard output, JSON, CSV, report).
pub fn write_merged(
    plan: &Plan,
    resolved: &Resolved,
    merged: &Merged,
    o: &MergeOutputs,
) -> Result<String, Error> {
    let command = o.command(plan);
    let report = match plan.kind {
        Kind::Compare if !o.no_report => Some(o.report.clone().unwrap_or(None)),
        _ => o.report.clone(),
    };
    let to = |suffix: &str| Destinations {
        json: o.json.clone(),
        csv: o.csv.clone(),
        report: report
            .clone()
            .map(|d| d.unwrap_or_else(|| default_report_dir(&resolved.shown, suffix))),
    };
    let src = Source {
        scenario: &resolved.shown,
        file: &plan.file,
        toml: &plan.text,
        command: &command,
    };
    match merged {
        Merged::Experiment(exp) => deliver_experiment(exp, &src, &to("")),
        Merged::Sweep(sweep) => deliver_sweep(sweep, &src, &to("-sweep")),
        Merged::Seeds(s) => deliver_seeds(s, &to("")),
    }
}
