//! One table per flow, the compared flow first, variants as columns: traffic,
//! response and completion latency, failure, cascade and collateral rates, failures by
//! reason and root cause, and each fault window's effect.

use super::verdict::{completed_fully_cell, completions};
use super::{mean_ci, ms_of, num, pct, Section};
use crate::experiment::compare::Experiment;
use crate::experiment::{Estimate, FlowSummary};

fn failure_rate(f: &FlowSummary) -> Estimate {
    Estimate {
        mean: 1.0 - f.success_rate.mean,
        ci95: f.success_rate.ci95,
    }
}

/// What [`flow_title`] appends to the compared flow's title (left out where a finding
/// cites the table).
pub const COMPARED: &str = " (compared)";

/// The title of flow `fi`'s table: "flow checkout", "(compared)" after the compared one.
pub fn flow_title(exp: &Experiment, fi: usize) -> String {
    let name = exp
        .variants
        .first()
        .and_then(|v| v.summary.flows.get(fi))
        .map_or("", |f| f.flow.as_str());
    if exp.is_comparison() && fi == exp.focus_flow() {
        format!("flow {name}{COMPARED}")
    } else {
        format!("flow {name}")
    }
}

/// The rows of a flow table a reader needs first (shown when the table is collapsed).
pub const FLOW_KEY_ROWS: [&str; 7] = [
    "requests / replication",
    "p99 response",
    "p99 completion",
    "completed fully",
    "failure rate",
    "collateral rate",
    "degraded (fallback)",
];

/// One table per flow (the compared flow first): variants as columns.
pub fn flow_sections(exp: &Experiment) -> Vec<Section> {
    let Some(first) = exp.variants.first() else {
        return Vec::new();
    };
    let focus = exp.focus_flow();
    let mut order: Vec<usize> = vec![focus];
    order.extend((0..first.summary.flows.len()).filter(|&i| i != focus));
    let mut header = vec![format!("figure ({})", mean_ci(exp))];
    header.extend(exp.variants.iter().map(|v| v.name.clone()));
    let mut out = Vec::new();
    for fi in order {
        let flow = &first.summary.flows[fi];
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut row = |label: &str, cell: &dyn Fn(&FlowSummary) -> String| {
            let mut r = vec![label.to_string()];
            r.extend(exp.variants.iter().map(|v| {
                v.summary
                    .flows
                    .get(fi)
                    .map_or_else(|| "-".to_string(), cell)
            }));
            rows.push(r);
        };
        row("entry", &|f| f.entry.clone());
        row("requests / replication", &|f| num(f.requests, 0));
        row("throughput (/s)", &|f| num(f.throughput, 2));
        row("goodput (/s)", &|f| num(f.goodput, 2));
        row("success (of answered)", &|f| {
            if f.latency.samples.mean == 0.0 {
                "-".to_string() // nothing answered
            } else {
                pct(f.success_rate)
            }
        });
        row("unanswered at end", &|f| {
            format!("{} ({})", num(f.in_flight, 1), super::in_flight_share(f))
        });
        row("mean response", &|f| ms_of(&f.latency, |l| l.mean));
        row("p50 response", &|f| ms_of(&f.latency, |l| l.p50));
        row("p90 response", &|f| ms_of(&f.latency, |l| l.p90));
        row("p99 response", &|f| ms_of(&f.latency, |l| l.p99));
        row("p99.9 response", &|f| ms_of(&f.latency, |l| l.p999));
        row("max response", &|f| ms_of(&f.latency, |l| l.max));
        row("p99 response of successes", &|f| {
            ms_of(&f.success_latency, |l| l.p99)
        });
        row("p50 completion", &|f| ms_of(completions(f), |l| l.p50));
        row("p99 completion", &|f| ms_of(completions(f), |l| l.p99));
        row("completed fully", &completed_fully_cell);
        // Completion figures describe the requests whose work finished: say how many
        // had not (a superset of the unanswered ones).
        let completes = exp.variants.iter().any(|v| {
            v.summary
                .flows
                .get(fi)
                .is_some_and(|f| f.completion.is_some())
        });
        if completes {
            row("incomplete at end", &|f| {
                let n = f.completion.as_ref().map_or(f.in_flight, |c| c.in_progress);
                format!("{} ({})", num(n, 1), super::incomplete_share(f))
            });
        }
        row("failure rate", &|f| pct(failure_rate(f)));
        row("cascade rate", &|f| pct(f.cascade_rate));
        row("collateral rate", &|f| pct(f.collateral_rate));
        row("degraded (fallback)", &|f| pct(f.degraded_rate));
        if flow.during_faults.is_some() {
            row("failed, sent during faults", &|f| {
                f.during_faults
                    .as_ref()
                    .map_or("-".into(), |d| pct(d.failure_rate))
            });
        }
        fault_window_rows(exp, &flow.flow, &mut rows);
        failure_rows(exp, fi, &mut rows);
        out.push(Section {
            title: flow_title(exp, fi),
            header: header.clone(),
            rows,
        });
    }
    out
}

/// Per fault window: the failure rate and recovery time of flow `flow` in each variant.
fn fault_window_rows(exp: &Experiment, flow: &str, rows: &mut Vec<Vec<String>>) {
    let Some(first) = exp.variants.first() else {
        return;
    };
    for (k, fault) in first.summary.faults.iter().enumerate() {
        if fault.window.is_none() {
            continue;
        }
        let window = |f: &str| {
            exp.variants
                .iter()
                .map(|v| {
                    v.summary
                        .faults
                        .get(k)
                        .and_then(|x| x.window.as_ref())
                        .and_then(|w| w.flows.iter().find(|wf| wf.flow == f).cloned())
                })
                .collect::<Vec<_>>()
        };
        let ws = window(flow);
        let mut r = vec![format!("failed in \"{}\"", fault.name)];
        r.extend(
            ws.iter()
                .map(|w| w.as_ref().map_or("-".into(), |w| pct(w.failure_rate))),
        );
        rows.push(r);
        let mut r = vec![format!("recovery after \"{}\"", fault.name)];
        r.extend(ws.iter().map(|w| match w {
            None => "-".into(),
            Some(w) => match w.recovery_s {
                Some(e) if w.recovered_in > 0 => format!("{} s", num(e, 1)),
                _ => "not recovered".into(),
            },
        }));
        rows.push(r);
    }
}

/// One row per (failure reason, root cause) seen in any variant of flow `fi`: its share
/// of the flow's responses.
fn failure_rows(exp: &Experiment, fi: usize, rows: &mut Vec<Vec<String>>) {
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    for v in &exp.variants {
        let Some(f) = v.summary.flows.get(fi) else {
            continue;
        };
        for x in &f.failures_by_root_cause {
            let key = (x.reason.clone(), x.root_cause.clone());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    for (reason, root) in keys {
        let label = match &root {
            Some(r) => format!("failed: {reason} (root: {r})"),
            None => format!("failed: {reason}"),
        };
        let mut r = vec![label];
        r.extend(exp.variants.iter().map(|v| {
            v.summary
                .flows
                .get(fi)
                .and_then(|f| {
                    f.failures_by_root_cause
                        .iter()
                        .find(|x| x.reason == reason && x.root_cause == root)
                })
                .map_or_else(
                    || {
                        pct(Estimate {
                            mean: 0.0,
                            ci95: 0.0,
                        })
                    },
                    |x| pct(x.rate),
                )
        }));
        rows.push(r);
    }
}
