//! The report's tables, by subject, as plain data ([`Section`]s of rows) that the
//! terminal, HTML and Markdown renderers lay out alike.
//!
//! Every section takes a whole [`Experiment`]: a scenario without `[compare]` is an
//! experiment with one variant, and a section adds a `variant` column only when there
//! are several. [`experiment_sections`] is the one list, in reading order.
//!
//! Rooms: `flows` (one table per flow, variants as columns), `services` (utilization,
//! where the time goes per service), `faults` (fault windows, call sites and policies),
//! `queues` (message queues, sagas), `paths` (latency breakdowns and critical paths),
//! `slo` (verdicts), `sweeps` (sweep points and knees), `capacity` (autoscaling and
//! cost), `pools` (connection pools), `verdict` (the first table).

mod capacity;
mod faults;
mod flows;
mod paths;
mod pools;
mod queues;
mod services;
mod slo;
mod sweeps;
pub mod verdict;

pub use capacity::{capacity_sections, SCALING_HEADER};
pub use faults::{fault_sections, site_sections};
pub use flows::{flow_sections, flow_title, COMPARED, FLOW_KEY_ROWS};
pub use paths::{
    breakdown_rows, breakdown_sections, breakdown_title, completion_path_sections,
    critical_path_section, critical_path_sections, Measure, BREAKDOWN_HEADER,
    COMPLETION_PATH_TITLE, CRITICAL_PATH_TITLE,
};
pub use pools::{pool_sections, POOL_HEADER};
pub use queues::{queue_row, queue_sections, saga_sections, QUEUE_HEADER};
pub use services::{
    service_sections, time_breakdown, time_sections, TimeBreakdown, NOT_SAMPLED, NOT_TRACED,
};
pub use slo::slo_section;
pub use sweeps::sweep_sections;
pub use verdict::{verdict_section, VERDICT_TITLE};

use super::escape::visible;
use crate::experiment::compare::Experiment;
use crate::experiment::{Estimate, FlowSummary, LatencySummary};
use crate::kernel::format_duration;
use std::fmt::Write;

/// Every table of an experiment, in reading order: flows, services, queues and sagas,
/// faults and call sites, where the time goes, critical paths.
pub fn experiment_sections(exp: &Experiment) -> Vec<Section> {
    let mut out = flow_sections(exp);
    out.extend(service_sections(exp));
    out.extend(capacity_sections(exp));
    out.extend(pool_sections(exp));
    out.extend(queue_sections(exp));
    out.extend(saga_sections(exp));
    out.extend(fault_sections(exp));
    out.extend(site_sections(exp));
    out.extend(breakdown_sections(exp, Measure::Response));
    out.extend(breakdown_sections(exp, Measure::Completion));
    out.extend(time_sections(exp));
    out.extend(critical_path_sections(exp));
    out.extend(completion_path_sections(exp));
    out
}

/// The header of a section whose rows may belong to several variants: `variant` first
/// when the experiment has more than one.
fn header_with_variant(exp: &Experiment, columns: &[&str]) -> Vec<String> {
    let mut h = Vec::new();
    if exp.is_comparison() {
        h.push("variant".to_string());
    }
    h.extend(columns.iter().map(|c| c.to_string()));
    h
}

/// `row` with the variant's name in front when the experiment compares variants.
fn with_variant(exp: &Experiment, name: &str, mut row: Vec<String>) -> Vec<String> {
    if exp.is_comparison() {
        row.insert(0, name.to_string());
    }
    row
}

/// The share of a flow's requests still unanswered at the end, "2.50% of requests".
pub fn in_flight_share(f: &FlowSummary) -> String {
    format!(
        "{:.2}% of requests",
        100.0 * f.in_flight.mean / f.requests.mean.max(1.0)
    )
}

/// The share of a flow's requests whose work (response or triggered work) was still
/// outstanding at the end, "2.50% of requests"; the unanswered share without
/// triggered work.
pub fn incomplete_share(f: &FlowSummary) -> String {
    let n = f
        .completion
        .as_ref()
        .map_or(f.in_flight.mean, |c| c.in_progress.mean);
    format!("{:.2}% of requests", 100.0 * n / f.requests.mean.max(1.0))
}

/// What a table's figures are: "mean ±95% CI", or a note that one replication has no
/// interval.
fn mean_ci(exp: &Experiment) -> &'static str {
    let replications = exp.variants.first().map_or(0, |v| v.summary.replications);
    if replications < 2 {
        "one replication: no confidence interval"
    } else {
        "mean ±95% CI"
    }
}

/// What the figures of a table are: with one replication there is no interval.
pub fn ci_note(replications: u32) -> &'static str {
    if replications < 2 {
        "one replication: no confidence interval (run more to get one)"
    } else {
        "figures are mean ±95% CI"
    }
}

/// A titled table: a header row and body rows of equal length.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Title.
    pub title: String,
    /// Column headers (the first is the row-label column).
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

/// Milliseconds with a unit, ± the CI.
pub fn ms(e: Estimate) -> String {
    let m = format_duration(e.mean * 1e6);
    if e.ci95 > 0.0 {
        format!("{m} ±{}", format_duration(e.ci95 * 1e6))
    } else {
        m
    }
}

/// Figure `pick` of `l` as [`ms`] writes it, or "-" when `l` recorded no latency in any
/// replication (no response, or no completion, to measure).
pub fn ms_of(l: &LatencySummary, pick: impl Fn(&LatencySummary) -> Estimate) -> String {
    if l.samples.mean == 0.0 {
        "-".to_string()
    } else {
        ms(pick(l))
    }
}

/// A fraction as a percentage, ± the CI.
pub fn pct(e: Estimate) -> String {
    if e.ci95 > 0.0 {
        format!("{:.2}% ±{:.2}", e.mean * 100.0, e.ci95 * 100.0)
    } else {
        format!("{:.2}%", e.mean * 100.0)
    }
}

/// A number with `d` decimals, ± the CI (with up to three more decimals when the CI
/// would round to zero, so a tiny interval never reads "±0").
pub fn num(e: Estimate, d: usize) -> String {
    if e.ci95 > 0.0 {
        let cd = (d..=d + 3)
            .find(|&k| e.ci95 * 10f64.powi(k as i32) >= 0.5)
            .unwrap_or(d + 3);
        format!("{:.*} ±{:.*}", d, e.mean, cd, e.ci95)
    } else {
        format!("{:.*}", d, e.mean)
    }
}

/// A section as aligned plain text, for a terminal: every cell made
/// [`visible`] (no control character, one line).
pub fn section_text(s: &Section) -> String {
    let s = &Section {
        title: visible(&s.title),
        header: s.header.iter().map(|c| visible(c)).collect(),
        rows: s
            .rows
            .iter()
            .map(|r| r.iter().map(|c| visible(c)).collect())
            .collect(),
    };
    let cols = s.header.len();
    let mut w = vec![0usize; cols];
    for r in std::iter::once(&s.header).chain(&s.rows) {
        for (i, c) in r.iter().enumerate().take(cols) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}", s.title);
    for r in std::iter::once(&s.header).chain(&s.rows) {
        let mut line = String::from("  ");
        for (i, c) in r.iter().enumerate().take(cols) {
            let pad = w[i] - c.chars().count();
            line.push_str(c);
            if i + 1 < cols {
                line.push_str(&" ".repeat(pad + 3));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// The warnings of every variant (see [`crate::experiment::Warning`]), prefixed with
/// the variant's name in a comparison.
pub fn warning_lines(exp: &Experiment) -> Vec<String> {
    exp.variants
        .iter()
        .flat_map(|v| {
            v.summary.warnings.iter().map(move |w| {
                if exp.is_comparison() {
                    format!("variant {}: {}", v.name, w.message)
                } else {
                    w.message.clone()
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_interval_gets_the_decimals_to_show() {
        let e = |mean, ci95| Estimate { mean, ci95 };
        assert_eq!(num(e(10965.2, 0.12), 0), "10965 ±0.1");
        assert_eq!(num(e(10965.2, 367.0), 0), "10965 ±367");
        assert_eq!(num(e(1.5, 0.0), 2), "1.50");
        assert_eq!(num(e(1.5, 1e-9), 1), "1.5 ±0.0000");
    }
}
