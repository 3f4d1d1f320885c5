//! Side-by-side tables of an experiment's variants, of SLO verdicts and of a sweep,
//! as plain data ([`Section`]s of rows) rendered to text, HTML and Markdown alike.

use crate::experiment::compare::Experiment;
use crate::experiment::slo::SloVerdict;
use crate::experiment::sweep::Sweep;
use crate::experiment::{Estimate, FlowSummary};
use crate::kernel::format_duration;
use std::fmt::Write;

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

/// A fraction as a percentage, ± the CI.
pub fn pct(e: Estimate) -> String {
    if e.ci95 > 0.0 {
        format!("{:.2}% ±{:.2}", e.mean * 100.0, e.ci95 * 100.0)
    } else {
        format!("{:.2}%", e.mean * 100.0)
    }
}

/// A number with `d` decimals, ± the CI.
pub fn num(e: Estimate, d: usize) -> String {
    if e.ci95 > 0.0 {
        format!("{:.*} ±{:.*}", d, e.mean, d, e.ci95)
    } else {
        format!("{:.*}", d, e.mean)
    }
}

fn failure_rate(f: &FlowSummary) -> Estimate {
    Estimate {
        mean: 1.0 - f.success_rate.mean,
        ci95: f.success_rate.ci95,
    }
}

/// One table per flow (the compared flow first): variants as columns.
pub fn comparison_sections(exp: &Experiment) -> Vec<Section> {
    let Some(first) = exp.variants.first() else {
        return Vec::new();
    };
    let focus = exp.focus_flow();
    let mut order: Vec<usize> = vec![focus];
    order.extend((0..first.summary.flows.len()).filter(|&i| i != focus));
    let mut header = vec!["figure (mean ±95% CI)".to_string()];
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
        row("success", &|f| pct(f.success_rate));
        row("p50 response", &|f| ms(f.latency.p50));
        row("p99 response", &|f| ms(f.latency.p99));
        row("p99.9 response", &|f| ms(f.latency.p999));
        row("p50 completion", &|f| {
            f.completion
                .as_ref()
                .map_or_else(|| ms(f.latency.p50), |c| ms(c.latency.p50))
        });
        row("p99 completion", &|f| {
            f.completion
                .as_ref()
                .map_or_else(|| ms(f.latency.p99), |c| ms(c.latency.p99))
        });
        row("completed fully", &|f| {
            f.completion
                .as_ref()
                .map_or_else(|| pct(f.success_rate), |c| pct(c.success_rate))
        });
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
        // Per fault window: failure rate and recovery time of this flow.
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
            let ws = window(&flow.flow);
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
        let title = if exp.is_comparison() && fi == focus {
            format!("flow {} (compared)", flow.flow)
        } else {
            format!("flow {}", flow.flow)
        };
        out.push(Section {
            title,
            header: header.clone(),
            rows,
        });
    }
    out
}

/// SLO verdicts, one row per (SLO target, variant).
pub fn slo_section(verdicts: &[SloVerdict]) -> Section {
    let header = [
        "flow",
        "variant",
        "objective",
        "measured",
        "margin",
        "verdict",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for v in verdicts {
        for c in &v.checks {
            let latency = c.metric != "success";
            let fmt = |x: f64| {
                if latency {
                    format_duration(x * 1e6)
                } else {
                    format!("{:.3}%", x * 100.0)
                }
            };
            let measured = match (c.measured, c.ci95) {
                (Some(m), Some(ci)) if ci > 0.0 => format!("{} ±{}", fmt(m), fmt(ci)),
                (Some(m), _) => fmt(m),
                _ => "-".into(),
            };
            let margin = c.margin.map_or("-".into(), |m| {
                if m >= 0.0 {
                    format!("+{}", fmt(m))
                } else {
                    format!("-{}", fmt(-m))
                }
            });
            let verdict = match c.pass {
                Some(true) => "PASS".to_string(),
                Some(false) => "FAIL".to_string(),
                None => "n/a (not measured yet)".to_string(),
            };
            rows.push(vec![
                v.flow.clone(),
                v.variant.clone(),
                c.objective.clone(),
                measured,
                margin,
                verdict,
            ]);
        }
    }
    Section {
        title: "SLO verdicts".into(),
        header,
        rows,
    }
}

/// A sweep: one row per (point, variant) for the focus flow, then the knees.
pub fn sweep_sections(s: &Sweep) -> Vec<Section> {
    let mut header: Vec<String> = s.params.iter().map(|p| p.path.clone()).collect();
    header.extend(
        [
            "variant",
            "offered (/s)",
            "throughput (/s)",
            "goodput (/s)",
            "success",
            "p50",
            "p99",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for p in &s.points {
        let focus = p.experiment.focus_flow();
        for v in &p.experiment.variants {
            let Some(f) = v.summary.flows.get(focus) else {
                continue;
            };
            let mut r = p.settings.clone();
            r.push(v.name.clone());
            r.push(
                p.offered
                    .get(focus)
                    .copied()
                    .flatten()
                    .map_or("-".into(), |o| format!("{o:.1}")),
            );
            r.push(num(f.throughput, 1));
            r.push(num(f.goodput, 1));
            r.push(pct(f.success_rate));
            r.push(ms(f.latency.p50));
            r.push(ms(f.latency.p99));
            rows.push(r);
        }
    }
    let flow = s
        .points
        .first()
        .and_then(|p| {
            p.experiment
                .variants
                .first()
                .and_then(|v| v.summary.flows.get(p.experiment.focus_flow()))
        })
        .map_or(String::new(), |f| f.flow.clone());
    let mut knee_header = vec!["variant".to_string()];
    if s.params.len() > 1 {
        knee_header.push(s.params[1].path.clone());
    }
    knee_header.push(format!("knee ({})", s.params[0].path));
    knee_header.push("why".into());
    let knee_rows = s
        .knees
        .iter()
        .map(|k| {
            let mut r = vec![k.variant.clone()];
            if let Some(g) = &k.group {
                r.push(g.clone());
            }
            r.push(k.at.clone().unwrap_or_else(|| "-".into()));
            r.push(k.reason.clone());
            r
        })
        .collect();
    vec![
        Section {
            title: format!("sweep of flow {flow}"),
            header,
            rows,
        },
        Section {
            title: "saturation knees".into(),
            header: knee_header,
            rows: knee_rows,
        },
    ]
}

/// A section as aligned plain text.
pub fn section_text(s: &Section) -> String {
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

/// The experiment's comparison tables as text, with a header line.
pub fn render_comparison(exp: &Experiment) -> String {
    let mut out = String::new();
    let first = exp.variants.first();
    let _ = writeln!(
        out,
        "archsim {} — scenario {}: seed {}, {} variant{}, {} replication{} each x {}s simulated (warm-up {}s); figures are mean ±95% CI",
        exp.archsim_version,
        exp.scenario,
        exp.seed,
        exp.variants.len(),
        if exp.variants.len() == 1 { "" } else { "s" },
        first.map_or(0, |v| v.summary.replications),
        if first.is_some_and(|v| v.summary.replications == 1) { "" } else { "s" },
        first.map_or(0.0, |v| v.summary.duration_s),
        first.map_or(0.0, |v| v.summary.warmup_s),
    );
    if let Some(flow) = &exp.flow {
        let _ = writeln!(
            out,
            "comparing flow {flow}: every variant sees the same arrivals and the same fault schedule (common random numbers)"
        );
    }
    for s in comparison_sections(exp) {
        out.push('\n');
        out.push_str(&section_text(&s));
    }
    out
}
