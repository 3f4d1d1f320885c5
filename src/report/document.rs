//! A report on disk: `index.html` (self-contained), `report.md`, one PNG per chart,
//! the topology as `topology.svg` (and one per variant, its path highlighted),
//! `topology.mmd` and `topology.dot`. Same input and seed, same bytes: nothing depends
//! on the clock, the machine or the thread count.
//!
//! The order, the same in HTML and Markdown: the answer first (verdict table, headline
//! chart, findings), then the details in groups ([`Group`]): SLO verdicts, topology,
//! the flows with their charts, where the time goes, queues and sagas, faults and
//! policies, capacity and cost (autoscaling, connection pools), services, and how to
//! reproduce it with the input echoed.

use super::figures::{experiment_figures, sweep_figures, Figure};
use super::findings::{findings, Finding};
use super::names::operation;
use super::sections::{
    breakdown_sections, capacity_sections, completion_path_sections, critical_path_sections,
    fault_sections, flow_sections, pool_sections, queue_sections, saga_sections, service_sections,
    site_sections, slo_section, sweep_sections, time_sections, warning_lines, Measure, Section,
    FLOW_KEY_ROWS,
};
use super::topology;
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

/// A table shown with only its key rows when it is long (the rest collapsed).
#[derive(Clone, Debug)]
pub struct Table {
    /// The table.
    pub section: Section,
    /// Rows shown when collapsed (indices into `section.rows`).
    pub key_rows: Vec<usize>,
}

/// Tables longer than this are collapsed to their key rows.
pub const LONG_TABLE: usize = 12;

impl Table {
    fn new(section: Section) -> Self {
        let n = section.rows.len().min(6);
        Table {
            section,
            key_rows: (0..n).collect(),
        }
    }

    fn keyed(section: Section, labels: &[&str]) -> Self {
        let key_rows = section
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.first().is_some_and(|c| labels.contains(&c.as_str())))
            .map(|(i, _)| i)
            .collect();
        Table { section, key_rows }
    }

    /// Whether the table is long enough to collapse.
    pub fn collapses(&self) -> bool {
        self.section.rows.len() > LONG_TABLE && !self.key_rows.is_empty()
    }
}

/// A piece of a group.
#[derive(Clone, Debug)]
pub enum Block {
    /// A table.
    Table(Table),
    /// A chart: index into [`Report::figures`].
    Figure(usize),
    /// The topology diagrams.
    Topology,
    /// The reproducing command and the input file.
    Input,
}

/// A titled group of the details, with a stable anchor.
#[derive(Clone, Debug)]
pub struct Group {
    /// Anchor (`id`), fixed text.
    pub id: &'static str,
    /// Heading, fixed text.
    pub title: &'static str,
    /// Its tables, charts and diagrams in reading order.
    pub blocks: Vec<Block>,
}

/// The topology of the report.
pub struct Topology {
    /// The whole diagram (SVG element, id `topology`).
    pub svg: String,
    /// In a comparison, per variant: its name and the diagram with its path highlighted.
    pub variants: Vec<(String, String)>,
    /// The compared flow's name (empty without a comparison).
    pub flow: String,
    /// Mermaid text.
    pub mermaid: String,
    /// DOT text.
    pub dot: String,
}

/// A report laid out, ready to render.
pub struct Report {
    /// Title.
    pub title: String,
    /// Lines under the title (version, seed, replications).
    pub meta: Vec<String>,
    /// What the variants are (shown with the flow tables).
    pub variants_note: Option<String>,
    /// The reproducing command.
    pub command: String,
    /// Warnings about what the figures cover (a transient, work that never ends, paths
    /// the tracer could not give).
    pub warnings: Vec<String>,
    /// The verdict table (or a sweep's knees).
    pub verdict: Option<Section>,
    /// Findings written from the numbers.
    pub findings: Vec<Finding>,
    /// The headline chart (index into `figures`), drawn in the answer.
    pub headline: Option<usize>,
    /// The headline as SVG at its own size.
    pub headline_svg: String,
    /// The details, in order.
    pub groups: Vec<Group>,
    /// The charts.
    pub figures: Vec<Figure>,
    /// Each chart as SVG (same order).
    pub svgs: Vec<String>,
    /// The topology.
    pub topology: Topology,
    /// The input file name.
    pub file: String,
    /// The input text.
    pub toml: String,
}

/// Width and height (logical px) of the headline chart in the answer.
pub const HEADLINE_SIZE: (u32, u32) = (800, 470);

fn chart_error(path: &Path, e: super::charts::ChartError) -> Error {
    Error::Output(path.to_path_buf(), std::io::Error::other(e.to_string()))
}

/// Which group a chart belongs to, by its id.
fn figure_group(id: &str) -> &'static str {
    match id {
        "queue-backlog" => "queues",
        "timeline-replicas" => "capacity",
        "response-breakdown" | "completion-breakdown" => "time",
        _ if id.starts_with("time-breakdown") => "time",
        _ if id.starts_with("utilization") => "services",
        _ if id.starts_with("sweep") => "sweep",
        _ => "flows",
    }
}

fn tables(sections: Vec<Section>) -> Vec<Block> {
    sections
        .into_iter()
        .map(|s| Block::Table(Table::new(s)))
        .collect()
}

/// The groups of an experiment's details (charts placed by [`figure_group`]).
fn experiment_groups(exp: &Experiment, slo: Option<Section>) -> Vec<Group> {
    let flows = flow_sections(exp)
        .into_iter()
        .map(|s| Block::Table(Table::keyed(s, &FLOW_KEY_ROWS)))
        .collect();
    let mut time = tables(breakdown_sections(exp, Measure::Response));
    time.extend(tables(breakdown_sections(exp, Measure::Completion)));
    time.extend(tables(time_sections(exp)));
    time.extend(tables(critical_path_sections(exp)));
    time.extend(tables(completion_path_sections(exp)));
    let mut queues = tables(queue_sections(exp));
    queues.extend(tables(saga_sections(exp)));
    let mut faults = tables(fault_sections(exp));
    faults.extend(tables(site_sections(exp)));
    let mut capacity = tables(capacity_sections(exp));
    capacity.extend(tables(pool_sections(exp)));
    let group = |id, title, blocks| Group { id, title, blocks };
    vec![
        group(
            "slo",
            "SLO verdicts",
            slo.map(|s| Block::Table(Table::new(s)))
                .into_iter()
                .collect(),
        ),
        group("topology", "Topology", vec![Block::Topology]),
        group("flows", "Flows", flows),
        group("time", "Where the time goes", time),
        group("queues", "Queues and sagas", queues),
        group("faults", "Faults and policies", faults),
        group("capacity", "Capacity and cost", capacity),
        group("services", "Services", tables(service_sections(exp))),
    ]
}

/// Puts every chart but the headline after the tables of its group.
fn place_figures(groups: &mut [Group], figures: &[Figure], headline: Option<usize>) {
    for (i, f) in figures.iter().enumerate() {
        if Some(i) == headline {
            continue;
        }
        let g = figure_group(&f.id);
        if let Some(group) = groups.iter_mut().find(|x| x.id == g) {
            // Charts of the time breakdown go right after the table they illustrate.
            let at = match f.id.as_str() {
                "response-breakdown" => group
                    .blocks
                    .iter()
                    .position(|b| matches!(b, Block::Table(t) if t.section.title.starts_with("where the response time goes")))
                    .map(|p| p + 1),
                _ => None,
            };
            match at {
                Some(p) => group.blocks.insert(p, Block::Figure(i)),
                None => group.blocks.push(Block::Figure(i)),
            }
        }
    }
}

fn topology_of(sc: &Scenario, exp: Option<&Experiment>) -> Topology {
    let d = topology::diagram(sc);
    let title = format!("Topology of {}", sc.name);
    let svg = topology::svg::render(&d, "topology", &title, None);
    let mut variants = Vec::new();
    let mut flow = String::new();
    if let (Some(exp), Some(c)) = (exp, &sc.compare) {
        flow = sc
            .workloads
            .get(c.workload)
            .map_or(String::new(), |w| w.flow.clone());
        for (k, v) in c.variants.iter().enumerate() {
            let path = topology::path_of(sc, c.workload, v.entry);
            let t = format!("Path of flow {flow} in the {} variant", v.name);
            let id = format!("topology-{}", k + 1);
            variants.push((
                v.name.clone(),
                topology::svg::render(&d, &id, &t, Some(&path)),
            ));
        }
        let _ = exp;
    }
    Topology {
        svg,
        variants,
        flow,
        mermaid: super::graph::mermaid(sc),
        dot: super::graph::dot(sc),
    }
}

/// The first lines of a report: title, meta line and the variants' note.
fn heading(sc: &Scenario, exp: Option<&Experiment>) -> (String, Vec<String>, Option<String>) {
    let meta = vec![format!(
        "archsim {} · scenario {} · seed {} · {} replication(s) × {} simulated (warm-up {}) · means with 95% confidence intervals",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        sc.sim.seed,
        sc.sim.replications,
        crate::kernel::format_duration(sc.sim.duration as f64),
        crate::kernel::format_duration(sc.sim.warmup as f64),
    )];
    let mut title = format!("archsim report — {}", sc.name);
    let mut note = None;
    if let Some(exp) = exp {
        if let Some(flow) = &exp.flow {
            title = format!("archsim comparison — {} (flow {flow})", sc.name);
            note = Some(format!(
                "Variants: {}. Every variant sees the same arrivals and the same fault schedule (common random numbers).",
                exp.variants
                    .iter()
                    .map(|v| match v.entry {
                        Some(op) => format!("{} (entry {})", v.name, operation(&v.scenario, op)),
                        None => v.name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    (title, meta, note)
}

/// Lay out the report (renders every chart as SVG).
pub fn build(input: &ReportInput) -> Result<Report, Error> {
    let sc = input.scenario;
    let (mut title, meta, variants_note) = heading(sc, input.experiment);
    let slo = (!sc.slos.is_empty()).then(|| slo_section(input.verdicts));
    let mut figures = Vec::new();
    let mut warnings = Vec::new();
    let (mut verdict, mut found, mut groups) = (None, Vec::new(), Vec::new());
    if let Some(exp) = input.experiment {
        warnings.extend(warning_lines(exp));
        (verdict, found) = findings(exp, input.verdicts);
        groups = experiment_groups(exp, slo.clone());
        figures.extend(experiment_figures(exp));
    }
    if let Some(s) = input.sweep {
        let params: Vec<&str> = s.params.iter().map(|p| p.path.as_str()).collect();
        title = format!("archsim sweep — {} ({})", sc.name, params.join(" × "));
        for p in &s.points {
            warnings.extend(
                warning_lines(&p.experiment)
                    .into_iter()
                    .map(|w| format!("point {}: {w}", p.settings.join(", "))),
            );
        }
        let mut sections = sweep_sections(s);
        verdict = sections.pop();
        groups.push(Group {
            id: "sweep",
            title: "Sweep points",
            blocks: tables(sections),
        });
        groups.push(Group {
            id: "topology",
            title: "Topology",
            blocks: vec![Block::Topology],
        });
        figures.extend(sweep_figures(s));
    }
    groups.push(Group {
        id: "input",
        title: "Reproduce and input",
        blocks: vec![Block::Input],
    });
    // The headline: response vs completion, else the latency percentiles, else the first.
    let headline = ["response-vs-completion", "latency", "sweep-latency"]
        .iter()
        .find_map(|id| figures.iter().position(|f| f.id == *id))
        .or((!figures.is_empty()).then_some(0));
    place_figures(&mut groups, &figures, headline);
    groups.retain(|g| !g.blocks.is_empty());
    let svgs = figures
        .iter()
        .map(|f| {
            f.chart
                .to_svg()
                .map_err(|e| chart_error(Path::new(&f.id), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let headline_svg = match headline {
        Some(i) => figures[i]
            .chart
            .to_svg_sized(HEADLINE_SIZE.0, HEADLINE_SIZE.1)
            .map_err(|e| chart_error(Path::new(&figures[i].id), e))?,
        None => String::new(),
    };
    Ok(Report {
        title,
        meta,
        variants_note,
        command: input.command.to_string(),
        warnings,
        verdict,
        findings: found,
        headline,
        headline_svg,
        groups,
        figures,
        svgs,
        topology: topology_of(sc, input.experiment),
        file: input.file.to_string(),
        toml: input.toml.to_string(),
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::Output(path.to_path_buf(), e))
}

/// A standalone SVG file of an inline SVG element.
fn svg_file(svg: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n")
}

/// Write `index.html`, `report.md`, the PNGs and the topology files into `dir`
/// (created if needed); returns the files written, in order.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Output(dir.to_path_buf(), e))?;
    let report = build(input)?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), Error> {
        let path = dir.join(name);
        write(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    put("index.html", super::html::render(&report).as_bytes())?;
    put("report.md", super::markdown::render(&report).as_bytes())?;
    put("topology.svg", svg_file(&report.topology.svg).as_bytes())?;
    for (k, (_, svg)) in report.topology.variants.iter().enumerate() {
        put(&format!("topology-{}.svg", k + 1), svg_file(svg).as_bytes())?;
    }
    put("topology.mmd", report.topology.mermaid.as_bytes())?;
    put("topology.dot", report.topology.dot.as_bytes())?;
    for f in &report.figures {
        let name = format!("{}.png", f.id);
        let png = f
            .chart
            .to_png()
            .map_err(|e| chart_error(&dir.join(&name), e))?;
        put(&name, &png)?;
    }
    Ok(written)
}
