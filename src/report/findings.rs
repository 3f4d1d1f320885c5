//! Findings: a few sentences written from the numbers, at the top of the report, each
//! with the tables and rows it quotes ([`Finding::refs`]).
//!
//! Every number a sentence quotes is formatted by the same function as the table cell
//! it comes from (the mean part of `ms`/`pct`), so it appears, as written, in a table
//! of the same report. The rules, in order:
//! SLOs (who meets them, who misses which); cost against the SLOs when some variant
//! autoscales; the largest failure rates of the compared
//! flow with their fault windows, collateral share and main root cause; failures of
//! the other flows; response against completion (who answers fastest, who finishes
//! the work soonest); the share completed fully when below 99%; degraded answers.

use super::sections::verdict::{completed_fully, completion_p99, failure_rate};
use super::sections::{flow_title, verdict_section, Section, VERDICT_TITLE};
use crate::experiment::compare::{Experiment, VariantRun};
use crate::experiment::slo::SloVerdict;
use crate::experiment::{Estimate, FlowSummary, NOTABLE_IN_PROGRESS};
use crate::kernel::format_duration;

/// A rate worth a sentence.
const NOTABLE: f64 = 0.005;

/// Where a finding's numbers come from: a table (by title) and its rows (by label).
#[derive(Clone, Debug, PartialEq)]
pub struct Ref {
    /// The table's title.
    pub table: String,
    /// Row labels: first cells; in the SLO verdicts (one row per flow, variant and
    /// objective) the first three cells joined by ` · `.
    pub rows: Vec<String>,
}

impl Ref {
    /// How a finding names the table: its title without the compared flow's
    /// "(compared)". Only that suffix goes: a flow or variant named "checkout (v2)" is
    /// cited whole.
    pub fn name(&self) -> &str {
        (self.table.strip_suffix(super::sections::COMPARED)).unwrap_or(&self.table)
    }
}

/// One sentence and its sources.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The sentence (raw text: escaped by each writer).
    pub text: String,
    /// The tables and rows it quotes.
    pub refs: Vec<Ref>,
}

/// The mean of a percentage cell, as `pct` writes it.
fn p(e: Estimate) -> String {
    format!("{:.2}%", e.mean * 100.0)
}

/// The mean of a latency cell, as `ms` writes it.
fn t(e: Estimate) -> String {
    format_duration(e.mean * 1e6)
}

fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

struct Ctx<'a> {
    exp: &'a Experiment,
    focus: usize,
    flow: String,
    verdict_title: String,
}

impl Ctx<'_> {
    fn flow_of<'v>(&self, v: &'v VariantRun) -> Option<&'v FlowSummary> {
        v.summary.flows.get(self.focus)
    }

    /// `figure` of the focus flow in each variant that has one, as "saga 12.00%" (or
    /// "12.00%" for a single run).
    fn per_variant(&self, figure: impl Fn(&FlowSummary) -> Option<String>) -> Vec<String> {
        (self.exp.variants.iter())
            .filter_map(|v| {
                let value = figure(self.flow_of(v)?)?;
                Some(if self.exp.is_comparison() {
                    format!("{} {value}", v.name)
                } else {
                    value
                })
            })
            .collect()
    }

    /// "In the sync chain variant, " or "" for a single run.
    fn subject(&self, v: &VariantRun) -> String {
        if self.exp.is_comparison() {
            format!("In the {} variant, ", v.name)
        } else {
            String::new()
        }
    }

    fn verdict_ref(&self, rows: Vec<String>) -> Ref {
        Ref {
            table: self.verdict_title.clone(),
            rows,
        }
    }
}

/// The sentence of an SLO check: "checkout p99 <= 8.000s (measured 43.587s)".
fn slo_findings(verdicts: &[SloVerdict], exp: &Experiment) -> Vec<Finding> {
    if verdicts.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = exp.variants.iter().map(|v| v.name.clone()).collect();
    let pass = |n: &str| verdicts.iter().filter(|v| v.variant == n).all(|v| v.pass);
    let (ok, bad): (Vec<String>, Vec<String>) = names.iter().cloned().partition(|n| pass(n));
    let mut out = Vec::new();
    let mut rows = Vec::new();
    let mut misses = Vec::new();
    for n in &bad {
        let checks: Vec<String> = verdicts
            .iter()
            .filter(|v| &v.variant == n)
            .flat_map(|v| {
                v.checks
                    .iter()
                    .filter(|c| c.pass == Some(false))
                    .map(move |c| (v.flow.clone(), c))
            })
            .take(2)
            .map(|(flow, c)| {
                rows.push(format!("{flow} · {n} · {}", c.objective));
                let measured = c.measured.map_or("-".into(), |m| {
                    if c.metric == "success" {
                        format!("{:.3}%", m * 100.0)
                    } else {
                        format_duration(m * 1e6)
                    }
                });
                format!("{flow} {} (measured {measured})", c.objective)
            })
            .collect();
        let label = if exp.is_comparison() {
            format!("{n} misses ")
        } else {
            "The run misses ".into()
        };
        misses.push(format!("{label}{}", join(&checks)));
    }
    let text = match (ok.is_empty(), bad.is_empty()) {
        (_, true) if exp.is_comparison() => "Every variant meets every SLO.".to_string(),
        (_, true) => "Every SLO is met.".to_string(),
        (true, false) if exp.is_comparison() => {
            format!("No variant meets every SLO: {}.", misses.join("; "))
        }
        (true, false) => format!("{}.", misses.join("; ")),
        (false, false) => format!("Every SLO holds for {}; {}.", join(&ok), misses.join("; ")),
    };
    out.push(Finding {
        text,
        refs: vec![Ref {
            table: "SLO verdicts".into(),
            rows,
        }],
    });
    out
}

/// The largest failure rates of the compared flow, with windows, collateral and cause.
fn failure_findings(c: &Ctx) -> Vec<Finding> {
    let mut ranked: Vec<(&VariantRun, &FlowSummary)> = c
        .exp
        .variants
        .iter()
        .filter_map(|v| c.flow_of(v).map(|f| (v, f)))
        .filter(|(_, f)| failure_rate(f).mean >= NOTABLE)
        .collect();
    ranked.sort_by(|a, b| failure_rate(b.1).mean.total_cmp(&failure_rate(a.1).mean));
    let first = &c.exp.variants[0].summary;
    let table = flow_title(c.exp, c.focus);
    ranked
        .into_iter()
        .take(2)
        .map(|(v, f)| {
            let mut rows = vec!["failure rate".to_string()];
            let mut text = format!(
                "{}{} of {} requests fail",
                c.subject(v),
                p(failure_rate(f)),
                c.flow
            );
            let windows: Vec<String> = first
                .faults
                .iter()
                .enumerate()
                .filter(|(_, x)| x.window.is_some())
                .filter_map(|(k, x)| {
                    let w = v.summary.faults.get(k)?.window.as_ref()?;
                    let wf = w.flows.iter().find(|wf| wf.flow == c.flow)?;
                    (wf.failure_rate.mean >= NOTABLE).then(|| {
                        rows.push(format!("failed in \"{}\"", x.name));
                        format!("{} of those sent during \"{}\"", p(wf.failure_rate), x.name)
                    })
                })
                .take(2)
                .collect();
            if !windows.is_empty() {
                text.push_str(&format!(" ({})", join(&windows)));
            }
            if f.collateral_rate.mean >= NOTABLE {
                rows.push("collateral rate".into());
                text.push_str(&format!(
                    "; {} are collateral (failed without reaching a faulted component)",
                    p(f.collateral_rate)
                ));
            }
            if let Some(top) = f
                .failures_by_root_cause
                .iter()
                .max_by(|a, b| {
                    a.rate
                        .mean
                        .total_cmp(&b.rate.mean)
                        .then(b.reason.cmp(&a.reason))
                })
                .filter(|x| x.rate.mean >= NOTABLE)
            {
                let root = top
                    .root_cause
                    .as_deref()
                    .map_or(String::new(), |r| format!(" (root: {r})"));
                rows.push(format!("failed: {}{root}", top.reason));
                text.push_str(&format!(
                    "; the largest cause is {}{root}, {}",
                    top.reason,
                    p(top.rate)
                ));
            }
            text.push('.');
            Finding {
                text: capitalise(&text),
                refs: vec![
                    c.verdict_ref(vec![v.name.clone()]),
                    Ref {
                        table: table.clone(),
                        rows,
                    },
                ],
            }
        })
        .collect()
}

/// Failures of the flows that are not compared (collateral damage, usually).
fn other_flow_findings(c: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    let n = c.exp.variants[0].summary.flows.len();
    for fi in (0..n).filter(|&i| i != c.focus) {
        for v in &c.exp.variants {
            let Some(f) = v.summary.flows.get(fi) else {
                continue;
            };
            if failure_rate(f).mean < NOTABLE || out.len() >= 2 {
                continue;
            }
            let mut text = format!(
                "{}{} of {} requests fail too",
                c.subject(v),
                p(failure_rate(f)),
                f.flow
            );
            let mut rows = vec!["failure rate".to_string()];
            if f.collateral_rate.mean >= NOTABLE {
                rows.push("collateral rate".into());
                text.push_str(&format!(
                    ", {} of them as collateral damage",
                    p(f.collateral_rate)
                ));
            }
            text.push('.');
            out.push(Finding {
                text: capitalise(&text),
                refs: vec![Ref {
                    table: flow_title(c.exp, fi),
                    rows,
                }],
            });
        }
    }
    out
}

/// Who answers fastest, and who finishes the triggered work soonest.
fn latency_findings(c: &Ctx) -> Vec<Finding> {
    let flows: Vec<(&VariantRun, &FlowSummary)> = c
        .exp
        .variants
        .iter()
        .filter_map(|v| c.flow_of(v).map(|f| (v, f)))
        .collect();
    let Some(&(fast, ff)) = flows
        .iter()
        .min_by(|a, b| a.1.latency.p99.mean.total_cmp(&b.1.latency.p99.mean))
    else {
        return Vec::new();
    };
    let has_completion = flows.iter().any(|(_, f)| f.completion.is_some());
    let mut out = Vec::new();
    if c.exp.is_comparison() {
        let mut text = format!(
            "{} answers fastest: p99 response {}",
            fast.name,
            t(ff.latency.p99)
        );
        let mut rows = vec![fast.name.clone()];
        let cp = completion_p99(ff);
        if has_completion && cp.mean > 3.0 * ff.latency.p99.mean {
            text.push_str(&format!(
                ", but the work it triggers completes only at p99 {}",
                t(cp)
            ));
        }
        let sound = flows
            .iter()
            .filter(|(_, f)| failure_rate(f).mean < NOTABLE && completed_fully(f).mean >= 0.99)
            .min_by(|a, b| {
                completion_p99(a.1)
                    .mean
                    .total_cmp(&completion_p99(b.1).mean)
            });
        if let Some(&(s, sf)) = sound.filter(|_| has_completion) {
            if s.name != fast.name {
                rows.push(s.name.clone());
            }
            text.push_str(&format!(
                "; of the variants that fail nothing and complete fully, {} finishes soonest (p99 completion {})",
                s.name,
                t(completion_p99(sf))
            ));
        }
        text.push('.');
        out.push(Finding {
            text: capitalise(&text),
            refs: vec![c.verdict_ref(rows)],
        });
    } else if has_completion && completion_p99(ff).mean > 3.0 * ff.latency.p99.mean {
        out.push(Finding {
            text: format!(
                "{} requests are answered at p99 {}, but the work they trigger completes only at p99 {}.",
                capitalise(&c.flow),
                t(ff.latency.p99),
                t(completion_p99(ff))
            ),
            refs: vec![c.verdict_ref(vec![fast.name.clone()])],
        });
    }
    out
}

/// Incomplete work and degraded answers.
fn completion_findings(c: &Ctx) -> Vec<Finding> {
    let table = flow_title(c.exp, c.focus);
    let mut out = Vec::new();
    let partial = c.per_variant(|f| {
        let done = f.completion.as_ref()?.success_rate;
        (done.mean < 0.99).then(|| p(done))
    });
    if !partial.is_empty() {
        out.push(Finding {
            text: format!(
                "Only part of the {} requests complete fully (every piece of triggered work succeeded): {}.",
                c.flow,
                join(&partial)
            ),
            refs: vec![Ref {
                table: table.clone(),
                rows: vec!["completed fully".into()],
            }],
        });
    }
    let incomplete = c.per_variant(|f| {
        let share = f.in_progress_share()?;
        (share >= NOTABLE_IN_PROGRESS).then(|| format!("{:.2}%", 100.0 * share))
    });
    if !incomplete.is_empty() {
        out.push(Finding {
            text: format!(
                "Some {} requests still had work in progress when the run ended: {}. The completion figures describe only the requests that finished; a longer run shows the rest.",
                c.flow,
                join(&incomplete)
            ),
            refs: vec![Ref {
                table: table.clone(),
                rows: vec!["incomplete at end".into()],
            }],
        });
    }
    for v in &c.exp.variants {
        let Some(f) = c.flow_of(v) else { continue };
        if f.degraded_rate.mean >= NOTABLE {
            out.push(Finding {
                text: format!(
                    "{}{} of {} answers are degraded (a fallback answered).",
                    c.subject(v),
                    p(f.degraded_rate),
                    c.flow
                ),
                refs: vec![Ref {
                    table: table.clone(),
                    rows: vec!["degraded (fallback)".into()],
                }],
            });
        }
    }
    out
}

/// The cost in replica-seconds, as the verdict's cost column writes its mean.
fn cost_of(v: &VariantRun) -> String {
    format!("{:.0}", v.summary.cost.replica_seconds.mean)
}

fn replica_seconds(v: &VariantRun) -> f64 {
    v.summary.cost.replica_seconds.mean
}

/// The variant with the fewest replica-seconds (the first of equals).
fn cheapest_of<'a>(vs: impl Iterator<Item = &'a VariantRun>) -> Option<&'a VariantRun> {
    vs.min_by(|a, b| replica_seconds(a).total_cmp(&replica_seconds(b)))
}

/// Cost against the SLOs, in a comparison where some variant autoscales (the verdict
/// then has a cost column): the cheapest variant, and the cheapest that meets every
/// SLO when that is another one.
fn cost_findings(c: &Ctx, verdicts: &[SloVerdict]) -> Vec<Finding> {
    let exp = c.exp;
    if !exp.is_comparison() || exp.variants.iter().all(|v| v.summary.scaling.is_empty()) {
        return Vec::new();
    }
    let Some(cheapest) = cheapest_of(exp.variants.iter()) else {
        return Vec::new();
    };
    let dearest = (exp.variants.iter())
        .max_by(|a, b| replica_seconds(a).total_cmp(&replica_seconds(b)))
        .expect("a variant");
    let meets = |v: &VariantRun| {
        let mine: Vec<&SloVerdict> = verdicts.iter().filter(|x| x.variant == v.name).collect();
        !mine.is_empty() && mine.iter().all(|x| x.pass)
    };
    let good = cheapest_of(exp.variants.iter().filter(|v| meets(v)));
    let (text, rows) = match good {
        _ if verdicts.is_empty() => (
            format!(
                "{} costs least: {} replica-seconds, against {} for {}.",
                capitalise(&cheapest.name),
                cost_of(cheapest),
                cost_of(dearest),
                dearest.name
            ),
            vec![cheapest.name.clone(), dearest.name.clone()],
        ),
        Some(g) if g.name == cheapest.name => (
            format!(
                "{} meets every SLO at the lowest cost: {} replica-seconds (the dearest, {}, costs {}).",
                capitalise(&g.name),
                cost_of(g),
                dearest.name,
                cost_of(dearest)
            ),
            vec![g.name.clone(), dearest.name.clone()],
        ),
        Some(g) => (
            format!(
                "The cheapest variant, {} ({} replica-seconds), misses an SLO; the cheapest that meets every SLO, {}, costs {}.",
                cheapest.name,
                cost_of(cheapest),
                g.name,
                cost_of(g)
            ),
            vec![cheapest.name.clone(), g.name.clone()],
        ),
        None => (
            format!(
                "No variant meets every SLO; the cheapest, {}, costs {} replica-seconds and the dearest, {}, {}.",
                cheapest.name,
                cost_of(cheapest),
                dearest.name,
                cost_of(dearest)
            ),
            vec![cheapest.name.clone(), dearest.name.clone()],
        ),
    };
    vec![Finding {
        text,
        refs: vec![c.verdict_ref(rows)],
    }]
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The findings of an experiment, and the verdict table they cite.
pub fn findings(exp: &Experiment, verdicts: &[SloVerdict]) -> (Option<Section>, Vec<Finding>) {
    let Some(table) = verdict_section(exp, verdicts) else {
        return (None, Vec::new());
    };
    let focus = exp.focus_flow();
    let c = Ctx {
        exp,
        focus,
        flow: exp.variants[0].summary.flows[focus].flow.clone(),
        verdict_title: table.title.clone(),
    };
    let mut out = slo_findings(verdicts, exp);
    out.extend(cost_findings(&c, verdicts));
    out.extend(failure_findings(&c));
    out.extend(other_flow_findings(&c));
    out.extend(latency_findings(&c));
    out.extend(completion_findings(&c));
    if out.is_empty() {
        out.push(Finding {
            text: format!("No {} request fails.", c.flow),
            refs: vec![c.verdict_ref(Vec::new())],
        });
    }
    debug_assert!(table.title.starts_with(VERDICT_TITLE));
    (Some(table), out)
}
