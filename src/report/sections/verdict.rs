//! The verdict: the report's first table, one row per variant of the compared (or
//! first) flow: SLOs met or failed, p99 response and completion, the share completed
//! fully, failure and collateral rates, and the other flows' failures.
//!
//! The columns are the list [`COLUMNS`]: a column is a header and a function from a
//! variant's row to its cell; a new figure per variant is one more entry there. The
//! cost in replica-seconds shows when some variant autoscales. The cells use the same formatting as the flow tables, so a number quoted from one
//! is found in the other.

use super::{ms_of, num, pct, Section};
use crate::experiment::compare::Experiment;
use crate::experiment::slo::SloVerdict;
use crate::experiment::{Estimate, FlowSummary, LatencySummary, Summary};

/// The verdict table's title.
pub const VERDICT_TITLE: &str = "verdict";

/// What a column's cell is computed from: one variant.
pub struct Row<'a> {
    /// The experiment.
    pub exp: &'a Experiment,
    /// The variant's name.
    pub name: &'a str,
    /// Its summary.
    pub summary: &'a Summary,
    /// Its compared (or first) flow.
    pub flow: &'a FlowSummary,
    /// Every SLO verdict of the experiment.
    pub verdicts: &'a [SloVerdict],
}

/// One column of the verdict table.
pub struct Column {
    /// Header.
    pub header: &'static str,
    /// The cell of one variant.
    pub cell: fn(&Row) -> String,
    /// Whether the experiment has this column at all.
    pub shown: fn(&Experiment, &[SloVerdict]) -> bool,
}

/// A flow's failure rate (1 − success), with the success rate's interval.
pub fn failure_rate(f: &FlowSummary) -> Estimate {
    Estimate {
        mean: 1.0 - f.success_rate.mean,
        ci95: f.success_rate.ci95,
    }
}

/// p99 completion (the response's, for a flow without asynchronous work).
pub fn completion_p99(f: &FlowSummary) -> Estimate {
    completions(f).p99
}

/// The completion latencies (the responses', for a flow without asynchronous work).
pub fn completions(f: &FlowSummary) -> &LatencySummary {
    f.completion.as_ref().map_or(&f.latency, |c| &c.latency)
}

/// The share completed fully (the success rate, without asynchronous work).
pub fn completed_fully(f: &FlowSummary) -> Estimate {
    f.completion
        .as_ref()
        .map_or(f.success_rate, |c| c.success_rate)
}

/// [`completed_fully`] as a table cell: "-" when nothing completed (no share to give).
pub fn completed_fully_cell(f: &FlowSummary) -> String {
    if completions(f).samples.mean == 0.0 {
        "-".to_string()
    } else {
        pct(completed_fully(f))
    }
}

fn always(_: &Experiment, _: &[SloVerdict]) -> bool {
    true
}

fn slo_cell(r: &Row) -> String {
    let mut failed: Vec<String> = Vec::new();
    let mut met = 0;
    for v in r.verdicts.iter().filter(|v| v.variant == r.name) {
        for c in &v.checks {
            match c.pass {
                Some(true) => met += 1,
                Some(false) => failed.push(format!("{} {}", v.flow, c.metric)),
                None => {}
            }
        }
    }
    if failed.is_empty() {
        if met == 0 {
            "-".to_string()
        } else {
            "met".to_string()
        }
    } else {
        format!("failed: {}", failed.join(", "))
    }
}

fn other_flows(r: &Row) -> String {
    let cells: Vec<String> = r
        .summary
        .flows
        .iter()
        .filter(|f| f.flow != r.flow.flow)
        .map(|f| format!("{} {}", f.flow, pct(failure_rate(f))))
        .collect();
    cells.join("; ")
}

/// The columns after the variant's name, in order.
pub const COLUMNS: &[Column] = &[
    Column {
        header: "SLOs",
        cell: slo_cell,
        shown: |_, v| !v.is_empty(),
    },
    Column {
        header: "p99 response",
        cell: |r| ms_of(&r.flow.latency, |l| l.p99),
        shown: always,
    },
    Column {
        header: "p99 completion",
        cell: |r| ms_of(completions(r.flow), |l| l.p99),
        shown: always,
    },
    Column {
        header: "completed fully",
        cell: |r| completed_fully_cell(r.flow),
        shown: always,
    },
    Column {
        header: "failure rate",
        cell: |r| pct(failure_rate(r.flow)),
        shown: always,
    },
    Column {
        header: "collateral rate",
        cell: |r| pct(r.flow.collateral_rate),
        shown: always,
    },
    Column {
        header: "cost (replica-s)",
        cell: |r| num(r.summary.cost.replica_seconds, 0),
        shown: |e, _| e.variants.iter().any(|v| !v.summary.scaling.is_empty()),
    },
    Column {
        header: "other flows: failure rate",
        cell: other_flows,
        shown: |e, _| {
            e.variants
                .first()
                .is_some_and(|v| v.summary.flows.len() > 1)
        },
    },
];

/// The verdict table: one row per variant.
pub fn verdict_section(exp: &Experiment, verdicts: &[SloVerdict]) -> Option<Section> {
    let focus = exp.focus_flow();
    let first = exp.variants.first()?;
    let flow = first.summary.flows.get(focus)?.flow.clone();
    let columns: Vec<&Column> = COLUMNS
        .iter()
        .filter(|c| (c.shown)(exp, verdicts))
        .collect();
    let mut header = vec![if exp.is_comparison() {
        "variant".to_string()
    } else {
        "run".to_string()
    }];
    header.extend(columns.iter().map(|c| c.header.to_string()));
    let rows = exp
        .variants
        .iter()
        .filter_map(|v| {
            let row = Row {
                exp,
                name: &v.name,
                summary: &v.summary,
                flow: v.summary.flows.get(focus)?,
                verdicts,
            };
            let mut cells = vec![v.name.clone()];
            cells.extend(columns.iter().map(|c| (c.cell)(&row)));
            Some(cells)
        })
        .collect();
    Some(Section {
        title: format!("{VERDICT_TITLE}: flow {flow}, {}", super::mean_ci(exp)),
        header,
        rows,
    })
}
