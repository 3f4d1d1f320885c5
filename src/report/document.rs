//! A report on disk: `index.html` (self-contained), `report.md` and one PNG per chart
//! beside it. Same input and seed, same bytes: nothing depends on the clock, the
//! machine or the thread count.

use super::figures::{experiment_figures, sweep_figures, Figure};
use super::names::operation;
use super::sections::{experiment_sections, slo_section, sweep_sections, warning_lines, Section};
use crate::experiment::compare::Experiment;
use crate::experiment::slo::SloVerdict;
use crate::experiment::sweep::Sweep;
use crate::model::Scenario;
use crate::Error;
use std::path::{Path, PathBuf};

/// What a report is made of.
pub struct ReportInput<'a> {
    /// The scenario as loaded (for the topology).
    pub scenario: &'a Scenario,
    /// The scenario file as given on the command line.
    pub file: &'a str,
    /// Its text, echoed.
    pub toml: &'a str,
    /// The command that reproduces the report.
    pub command: &'a str,
    /// The experiment, if any.
    pub experiment: Option<&'a Experiment>,
    /// The sweep, if any.
    pub sweep: Option<&'a Sweep>,
    /// SLO verdicts.
    pub verdicts: &'a [SloVerdict],
}

/// A report laid out, ready to render.
pub struct Report {
    /// Title.
    pub title: String,
    /// Lines under the title (version, seed, replications).
    pub meta: Vec<String>,
    /// The reproducing command.
    pub command: String,
    /// Warnings that figures describe a transient (unstable flows, saturation).
    pub warnings: Vec<String>,
    /// SLO table, when the scenario has SLOs.
    pub slo: Option<Section>,
    /// The tables.
    pub sections: Vec<Section>,
    /// The charts.
    pub figures: Vec<Figure>,
    /// Each chart as SVG (same order).
    pub svgs: Vec<String>,
    /// Topology, Mermaid.
    pub mermaid: String,
    /// Topology, DOT.
    pub dot: String,
    /// The input file name.
    pub file: String,
    /// The input text.
    pub toml: String,
}

fn chart_error(path: &Path, e: super::charts::ChartError) -> Error {
    Error::Output(path.to_path_buf(), std::io::Error::other(e.to_string()))
}

/// Lay out the report (renders every chart as SVG).
pub fn build(input: &ReportInput) -> Result<Report, Error> {
    let sc = input.scenario;
    let mut figures = Vec::new();
    let mut sections = Vec::new();
    let mut meta = vec![format!(
        "archsim {} · scenario {} · seed {} · {} replication(s) × {} simulated (warm-up {})",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        sc.sim.seed,
        sc.sim.replications,
        crate::kernel::format_duration(sc.sim.duration as f64),
        crate::kernel::format_duration(sc.sim.warmup as f64),
    )];
    let mut title = format!("archsim report — {}", sc.name);
    let mut warnings = Vec::new();
    if let Some(exp) = input.experiment {
        if let Some(flow) = &exp.flow {
            title = format!("archsim comparison — {} (flow {flow})", sc.name);
            meta.push(format!(
                "Variants: {}. Every variant sees the same arrivals and the same fault schedule (common random numbers). Figures are means over replications with 95% confidence intervals.",
                exp.variants
                    .iter()
                    .map(|v| match v.entry {
                        Some(op) => format!("{} (entry {})", v.name, operation(&v.scenario, op)),
                        None => v.name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            meta.push("Figures are means over replications with 95% confidence intervals.".into());
        }
        warnings.extend(warning_lines(exp));
        sections.extend(experiment_sections(exp));
        figures.extend(experiment_figures(exp));
    }
    if let Some(s) = input.sweep {
        title = format!(
            "archsim sweep — {} ({})",
            sc.name,
            s.params
                .iter()
                .map(|p| p.path.as_str())
                .collect::<Vec<_>>()
                .join(" × ")
        );
        for p in &s.points {
            warnings.extend(
                warning_lines(&p.experiment)
                    .into_iter()
                    .map(|w| format!("point {}: {w}", p.settings.join(", "))),
            );
        }
        sections.extend(sweep_sections(s));
        figures.extend(sweep_figures(s));
    }
    let svgs = figures
        .iter()
        .map(|f| {
            f.chart
                .to_svg()
                .map_err(|e| chart_error(Path::new(&f.id), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Report {
        title,
        meta,
        command: input.command.to_string(),
        warnings,
        slo: (!sc.slos.is_empty()).then(|| slo_section(input.verdicts)),
        sections,
        figures,
        svgs,
        mermaid: super::graph::mermaid(sc),
        dot: super::graph::dot(sc),
        file: input.file.to_string(),
        toml: input.toml.to_string(),
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::Output(path.to_path_buf(), e))
}

/// Write `index.html`, `report.md` and the PNGs into `dir` (created if needed);
/// returns the files written, in order.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Output(dir.to_path_buf(), e))?;
    let report = build(input)?;
    let mut written = Vec::new();
    let html = dir.join("index.html");
    write(&html, super::html::render(&report).as_bytes())?;
    written.push(html);
    let md = dir.join("report.md");
    write(&md, super::markdown::render(&report).as_bytes())?;
    written.push(md);
    for f in &report.figures {
        let path = dir.join(format!("{}.png", f.id));
        let png = f.chart.to_png().map_err(|e| chart_error(&path, e))?;
        write(&path, &png)?;
        written.push(path);
    }
    Ok(written)
}
