//! Side-by-side tables of an experiment's variants, of SLO verdicts and of a sweep,
//! as plain data ([`Section`]s of rows) rendered to text, HTML and Markdown alike.

use super::escape::{terminal_lines, visible};
use crate::engine::{CriticalPath, LatencyBreakdown};
use crate::experiment::compare::{Experiment, VariantRun};
use crate::experiment::slo::SloVerdict;
use crate::experiment::sweep::Sweep;
use crate::experiment::{Estimate, FlowSummary, QueueSummary};
use crate::kernel::format_duration;
use crate::model::{MessageKind, OpId, QueueId, Scenario, ServiceId};
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
        row("success (of answered)", &|f| pct(f.success_rate));
        row("unanswered at end", &|f| {
            format!(
                "{} ({})",
                num(f.in_flight, 1),
                super::table::in_flight_share(f)
            )
        });
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

/// Critical paths of the slowest requests: one row per hop, the request's total and
/// outcome on its first row. `paths` pairs each path with its variant (`None` when the
/// report has a single variant).
pub fn critical_path_section(title: String, paths: &[(Option<&str>, &CriticalPath)]) -> Section {
    let with_variant = paths.iter().any(|(v, _)| v.is_some());
    let mut header: Vec<String> = Vec::new();
    if with_variant {
        header.push("variant".into());
    }
    header.extend(
        [
            "request", "hop", "network", "queue", "work", "other", "outcome",
        ]
        .map(String::from),
    );
    let ns = |v: u64| {
        if v == 0 {
            "-".to_string()
        } else {
            format_duration(v as f64)
        }
    };
    let mut rows = Vec::new();
    for (variant, p) in paths {
        for (i, h) in p.hops.iter().enumerate() {
            let mut row = Vec::new();
            if with_variant {
                row.push(if i == 0 {
                    variant.unwrap_or("").to_string()
                } else {
                    String::new()
                });
            }
            row.push(if i == 0 {
                format!(
                    "{} #{}: {} ({})",
                    p.flow,
                    p.request,
                    format_duration(p.latency_ns as f64),
                    p.outcome
                )
            } else {
                String::new()
            });
            let attempt = if h.attempt > 1 {
                format!(" (attempt {})", h.attempt)
            } else {
                String::new()
            };
            row.extend([
                format!("{}{attempt}", indented(h.depth, &h.operation)),
                ns(h.network_ns),
                ns(h.queue_ns),
                ns(h.work_ns),
                ns(h.other_ns),
                h.outcome.clone(),
            ]);
            rows.push(row);
        }
    }
    Section {
        title,
        header,
        rows,
    }
}

/// Which latency a breakdown splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Send to response.
    Response,
    /// Send to the end of all triggered work.
    Completion,
}

impl Measure {
    /// "response" or "completion".
    pub fn word(self) -> &'static str {
        match self {
            Measure::Response => "response",
            Measure::Completion => "completion",
        }
    }

    /// A summary's breakdowns of this latency.
    pub fn breakdowns(self, s: &crate::experiment::Summary) -> &[LatencyBreakdown] {
        match self {
            Measure::Response => &s.response_breakdowns,
            Measure::Completion => &s.completion_breakdowns,
        }
    }
}

/// Where the response (or completion) time goes, by hop: the mean path of a systematic
/// sample of requests, per variant (the focus flow; a single run: every flow).
pub fn breakdown_sections(exp: &Experiment, measure: Measure) -> Vec<Section> {
    let compare = exp.is_comparison();
    let workloads: Vec<u32> = if compare {
        vec![exp.focus_flow() as u32]
    } else {
        exp.variants
            .first()
            .map(|v| {
                measure
                    .breakdowns(&v.summary)
                    .iter()
                    .map(|b| b.workload)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for w in workloads {
        let mut header: Vec<String> = Vec::new();
        if compare {
            header.push("variant".into());
        }
        header.extend(BREAKDOWN_HEADER.map(String::from));
        let mut rows = Vec::new();
        let mut title_flow = String::new();
        for v in &exp.variants {
            let Some(b) = measure
                .breakdowns(&v.summary)
                .iter()
                .find(|b| b.workload == w)
            else {
                continue;
            };
            title_flow.clone_from(&b.flow);
            for (i, mut row) in breakdown_rows(b, measure).into_iter().enumerate() {
                if compare {
                    row.insert(
                        0,
                        if i == 0 {
                            v.name.clone()
                        } else {
                            String::new()
                        },
                    );
                }
                rows.push(row);
            }
        }
        if rows.is_empty() {
            continue;
        }
        out.push(Section {
            title: breakdown_title(&title_flow, measure),
            header,
            rows,
        });
    }
    out
}

/// Title of a breakdown table.
pub fn breakdown_title(flow: &str, measure: Measure) -> String {
    let m = measure.word();
    match measure {
        Measure::Response => format!("where the {m} time goes: flow {flow} (critical paths of every n-th {m} of replication 1, averaged per hop; the parts add up to the mean {m})"),
        Measure::Completion => format!("where the {m} time goes: flow {flow} (paths of every n-th {m} of replication 1 along the chain of causes, averaged per hop; the parts add up to the mean {m}; a message's queue time runs from its publish to its consumer's start)"),
    }
}

/// Columns of a breakdown row.
pub const BREAKDOWN_HEADER: [&str; 8] = [
    "hop",
    "calls/request",
    "network",
    "queue",
    "work",
    "other",
    "total",
    "share",
];

/// A hop name indented by call depth (non-breaking spaces: the indentation survives
/// HTML and Markdown).
fn indented(depth: u32, operation: &str) -> String {
    format!(
        "{}{}{operation}",
        "\u{a0}\u{a0}".repeat(depth as usize),
        if depth > 0 { "↳ " } else { "" }
    )
}

/// Rows of one flow's breakdown (see [`BREAKDOWN_HEADER`]): a row per hop, then the
/// mean latency.
pub fn breakdown_rows(b: &LatencyBreakdown, measure: Measure) -> Vec<Vec<String>> {
    let ms = |v: f64| {
        if v == 0.0 {
            "-".to_string()
        } else {
            format_duration(v * 1e6)
        }
    };
    let mut rows: Vec<Vec<String>> = b
        .hops
        .iter()
        .map(|h| {
            vec![
                indented(h.depth, &h.operation),
                format!("{:.2}", h.calls_per_request),
                ms(h.network_ms),
                ms(h.queue_ms),
                ms(h.work_ms),
                ms(h.other_ms),
                ms(h.total_ms()),
                format!(
                    "{:.1}%",
                    100.0 * h.total_ms() / b.mean_latency_ms.max(1e-12)
                ),
            ]
        })
        .collect();
    rows.push(vec![
        format!("mean {} ({} sampled)", measure.word(), b.sampled),
        String::new(),
        ms(b.hops.iter().map(|h| h.network_ms).sum()),
        ms(b.hops.iter().map(|h| h.queue_ms).sum()),
        ms(b.hops.iter().map(|h| h.work_ms).sum()),
        ms(b.hops.iter().map(|h| h.other_ms).sum()),
        ms(b.mean_latency_ms),
        "100%".into(),
    ]);
    rows
}

/// Title of the critical-path tables.
pub const CRITICAL_PATH_TITLE: &str = "critical path of the slowest responses in replication 1 (per hop: network + queue + work + other = the response time; other = backoff, fallback, a lost message waited out, a hang)";

/// Critical paths of the slowest responses of the focus flow, per variant (a single
/// run: of every flow).
pub fn critical_path_sections(exp: &Experiment) -> Vec<Section> {
    let compare = exp.is_comparison();
    let focus = exp
        .variants
        .first()
        .and_then(|v| v.summary.flows.get(exp.focus_flow()))
        .map(|f| f.flow.clone());
    let mut paths = Vec::new();
    for v in &exp.variants {
        for p in &v.summary.critical_paths {
            if !compare || Some(&p.flow) == focus.as_ref() {
                paths.push((compare.then_some(v.name.as_str()), p));
            }
        }
    }
    if paths.is_empty() {
        return Vec::new();
    }
    vec![critical_path_section(
        CRITICAL_PATH_TITLE.to_string(),
        &paths,
    )]
}

/// Title of the completion-path tables.
pub const COMPLETION_PATH_TITLE: &str = "path of the slowest completions in replication 1 (from the client's call along the chain of causes — calls, messages, consumers, replies, saga steps — to the last piece of work; per hop: network + queue + work + other = the completion time; a message's queue time is from its publish to its consumer's start)";

/// Paths of the slowest completions that went through asynchronous work (the focus
/// flow per variant; a single run: every flow).
pub fn completion_path_sections(exp: &Experiment) -> Vec<Section> {
    let compare = exp.is_comparison();
    let focus = exp.focus_flow() as u32;
    let paths: Vec<(Option<&str>, &CriticalPath)> = exp
        .variants
        .iter()
        .flat_map(|v| {
            v.summary
                .completion_paths
                .iter()
                .filter(move |p| (!compare || p.workload == focus) && p.asynchronous)
                .map(move |p| (compare.then_some(v.name.as_str()), p))
        })
        .collect();
    if paths.is_empty() {
        return Vec::new();
    }
    vec![critical_path_section(
        COMPLETION_PATH_TITLE.to_string(),
        &paths,
    )]
}

/// A section as aligned plain text, for a terminal: every cell made
/// [`visible`](super::escape::visible) (no control character, one line).
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

/// The experiment's comparison tables as text, with a header line.
pub fn render_comparison(exp: &Experiment) -> String {
    let mut out = String::new();
    let first = exp.variants.first();
    let _ = writeln!(
        out,
        "archsim {} — scenario {}: seed {}, {} variant{}, {} replication{} each x {}s simulated (warm-up {}s); {}",
        exp.archsim_version,
        visible(&exp.scenario),
        exp.seed,
        exp.variants.len(),
        if exp.variants.len() == 1 { "" } else { "s" },
        first.map_or(0, |v| v.summary.replications),
        if first.is_some_and(|v| v.summary.replications == 1) { "" } else { "s" },
        first.map_or(0.0, |v| v.summary.duration_s),
        first.map_or(0.0, |v| v.summary.warmup_s),
        super::table::ci_note(first.map_or(0, |v| v.summary.replications)),
    );
    if let Some(flow) = &exp.flow {
        let _ = writeln!(
            out,
            "comparing flow {}: every variant sees the same arrivals and the same fault schedule (common random numbers)",
            visible(flow)
        );
    }
    for w in warning_lines(exp) {
        let _ = writeln!(out, "warning: {}", visible(&w));
    }
    let breakdowns = [Measure::Response, Measure::Completion]
        .into_iter()
        .flat_map(|m| breakdown_sections(exp, m));
    for s in comparison_sections(exp).into_iter().chain(breakdowns) {
        out.push('\n');
        out.push_str(&section_text(&s));
    }
    terminal_lines(&out)
}

/// How a service is reached from a flow's entry operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// By synchronous calls from the entry: on the response path.
    Response,
    /// Through a message, a topic, a request-reply, a continuation or a saga: work
    /// that may finish after the response.
    Async,
}

impl Reach {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Reach::Response => "response path",
            Reach::Async => "async work",
        }
    }
}

/// A stop on a flow's path: a service, or a broker queue a message waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    /// A service, with how it is first reached (the response path wins).
    Service(ServiceId, Reach),
    /// A queue (or topic subscription); always asynchronous.
    Queue(QueueId),
}

/// The services and queues a request entering at `entry` can reach, in discovery
/// order (breadth first; a queue just before its consumer's service when that is new).
pub fn flow_path(sc: &Scenario, entry: OpId) -> Vec<Hop> {
    let mut seen_op: Vec<Option<Reach>> = vec![None; sc.operations.len()];
    let mut hops: Vec<Hop> = Vec::new();
    let mut todo = std::collections::VecDeque::new();
    let mut visit = |op: OpId,
                     reach: Reach,
                     via: Option<QueueId>,
                     todo: &mut std::collections::VecDeque<(OpId, Reach)>,
                     hops: &mut Vec<Hop>| {
        if let Some(q) = via {
            if !hops.contains(&Hop::Queue(q)) {
                hops.push(Hop::Queue(q));
            }
        }
        let i = op.0 as usize;
        if i >= sc.operations.len() || seen_op[i].is_some_and(|r| r <= reach) {
            return;
        }
        seen_op[i] = Some(reach);
        let svc = sc.operations[i].service;
        let known = hops.iter_mut().find_map(|h| match h {
            Hop::Service(s, r) if *s == svc => Some(r),
            _ => None,
        });
        match known {
            Some(r) => *r = (*r).min(reach),
            None => hops.push(Hop::Service(svc, reach)),
        }
        todo.push_back((op, reach));
    };
    visit(entry, Reach::Response, None, &mut todo, &mut hops);
    while let Some((op, reach)) = todo.pop_front() {
        let o = &sc.operations[op.0 as usize];
        let mut next: Vec<(OpId, Reach, Option<QueueId>)> = Vec::new();
        for g in &o.groups {
            next.extend(g.calls.iter().map(|c| (c.target, reach, None)));
            for m in &g.messages {
                let consumer = |q: QueueId| {
                    sc.queues
                        .get(q.0 as usize)
                        .map(|x| (x.consumer, Reach::Async, Some(q)))
                };
                match m.kind {
                    MessageKind::Send(q) => next.extend(consumer(q)),
                    MessageKind::Publish(t) => {
                        if let Some(t) = sc.topics.get(t.0 as usize) {
                            next.extend(t.subscriptions.iter().filter_map(|&q| consumer(q)));
                        }
                    }
                    MessageKind::Request {
                        queue,
                        then,
                        on_timeout,
                        ..
                    } => {
                        next.extend(consumer(queue));
                        next.push((then, Reach::Async, None));
                        next.extend(on_timeout.map(|c| (c, Reach::Async, None)));
                    }
                    MessageKind::StartSaga(s) => {
                        if let Some(saga) = sc.sagas.get(s.0 as usize) {
                            for st in &saga.steps {
                                next.push((st.action, Reach::Async, None));
                                next.extend(st.compensate.map(|c| (c, Reach::Async, None)));
                            }
                        }
                    }
                }
            }
        }
        for (op, r, via) in next {
            visit(op, r, via, &mut todo, &mut hops);
        }
    }
    hops
}

fn variant_entry(sc: &Scenario, exp: &Experiment, v: &VariantRun, flow: usize) -> Option<OpId> {
    if exp.is_comparison() && flow == exp.focus_flow() {
        sc.operations
            .iter()
            .position(|o| o.name == v.entry)
            .map(|i| OpId(i as u32))
    } else {
        sc.workloads.get(flow).map(|w| w.entry)
    }
}

/// Where a flow's time goes in one variant: the services on its path and the share of
/// the flow's mean response not spent in the entry service (network and client hops).
pub struct TimeBreakdown {
    /// Services and queues on the path.
    pub hops: Vec<Hop>,
    /// Flows (other than this one) whose path includes the entry service.
    pub entry_shared_with: Vec<String>,
    /// Mean response minus the entry service's mean sojourn (ms).
    pub network_ms: Option<f64>,
}

/// The breakdown of flow `flow` in variant `v`.
pub fn time_breakdown(
    sc: &Scenario,
    exp: &Experiment,
    v: &VariantRun,
    flow: usize,
) -> Option<TimeBreakdown> {
    let entry = variant_entry(sc, exp, v, flow)?;
    let hops = flow_path(sc, entry);
    let entry_svc = sc.operations[entry.0 as usize].service;
    let entry_shared_with: Vec<String> = (0..sc.workloads.len())
        .filter(|&f| f != flow)
        .filter(|&f| {
            variant_entry(sc, exp, v, f).is_some_and(|e| {
                flow_path(sc, e).contains(&Hop::Service(entry_svc, Reach::Response))
            })
        })
        .map(|f| sc.workloads[f].flow.clone())
        .collect();
    let f = v.summary.flows.get(flow)?;
    let s = v.summary.services.get(entry_svc.0 as usize)?;
    Some(TimeBreakdown {
        hops,
        network_ms: Some(f.latency.mean.mean - s.mean_sojourn.mean),
        entry_shared_with,
    })
}

/// Per flow, the services on its path and where their time goes (every variant).
pub fn time_sections(sc: &Scenario, exp: &Experiment) -> Vec<Section> {
    let Some(first) = exp.variants.first() else {
        return Vec::new();
    };
    let focus = exp.focus_flow();
    let mut order: Vec<usize> = vec![focus];
    order.extend((0..first.summary.flows.len()).filter(|&i| i != focus));
    let compare = exp.is_comparison();
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(
        [
            "service",
            "reached by",
            "mean sojourn",
            "waiting for a worker",
            "work",
            "waiting on downstream",
            "utilization",
        ]
        .map(String::from),
    );
    let mut out = Vec::new();
    for fi in order {
        let mut rows = Vec::new();
        for v in &exp.variants {
            let Some(b) = time_breakdown(sc, exp, v, fi) else {
                continue;
            };
            let variant = |mut r: Vec<String>| {
                if compare {
                    r.insert(0, v.name.clone());
                }
                r
            };
            for hop in &b.hops {
                match *hop {
                    Hop::Service(svc, reach) => {
                        let Some(s) = v.summary.services.get(svc.0 as usize) else {
                            continue;
                        };
                        rows.push(variant(vec![
                            s.name.clone(),
                            reach.label().to_string(),
                            ms(s.mean_sojourn),
                            ms(s.mean_queue_wait),
                            ms(s.mean_work),
                            ms(s.mean_downstream),
                            pct(s.utilization),
                        ]));
                    }
                    Hop::Queue(q) => {
                        let Some(q) = v.summary.queues.get(q.0 as usize) else {
                            continue;
                        };
                        rows.push(variant(vec![
                            format!("queue {}", q.name),
                            "async work".into(),
                            "-".into(),
                            format!("{} (consumer lag)", ms(q.mean_wait_ms)),
                            "-".into(),
                            "-".into(),
                            "-".into(),
                        ]));
                    }
                }
            }
            let entry_name = b
                .hops
                .iter()
                .find_map(|h| match h {
                    Hop::Service(s, _) => v.summary.services.get(s.0 as usize),
                    Hop::Queue(_) => None,
                })
                .map_or(String::new(), |s| s.name.clone());
            let network = match b.network_ms {
                Some(n) if b.entry_shared_with.is_empty() => format_duration(n * 1e6),
                Some(_) => format!(
                    "n/a: {entry_name} also serves {}",
                    b.entry_shared_with.join(", ")
                ),
                None => "-".into(),
            };
            rows.push(variant(vec![
                "network and client hops".to_string(),
                format!("mean response − {entry_name} mean sojourn"),
                network,
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]));
        }
        let flow = &first.summary.flows[fi].flow;
        out.push(Section {
            title: format!(
                "where the time goes: flow {flow} (per service, mean per execution over all of its operations, ±95% CI)"
            ),
            header: header.clone(),
            rows,
        });
    }
    out
}

fn used_queues<'a>(
    v: &'a VariantRun,
    all: bool,
) -> impl Iterator<Item = (usize, &'a QueueSummary)> + 'a {
    v.summary
        .queues
        .iter()
        .enumerate()
        .filter(move |(_, q)| all || q.published.mean > 0.0 || q.peak_depth.mean > 0.0)
}

/// Columns of a message-queue row.
pub const QUEUE_HEADER: [&str; 10] = [
    "queue",
    "published",
    "acked",
    "redelivered",
    "duplicates",
    "dead-lettered",
    "lost",
    "mean backlog",
    "peak backlog",
    "consumer lag (mean)",
];

/// One queue's row (see [`QUEUE_HEADER`]).
pub fn queue_row(q: &QueueSummary) -> [String; 10] {
    [
        q.name.clone(),
        num(q.published, 0),
        num(q.acked, 0),
        num(q.redeliveries, 0),
        num(q.duplicates, 0),
        num(q.dead_lettered, 0),
        num(q.lost, 0),
        num(q.mean_depth, 1),
        num(q.peak_depth, 0),
        ms(q.mean_wait_ms),
    ]
}

/// Message queues: delivery counts, backlog and consumer lag (queues a variant uses).
pub fn queue_sections(exp: &Experiment) -> Vec<Section> {
    let compare = exp.is_comparison();
    if exp.variants.iter().all(|v| v.summary.queues.is_empty()) {
        return Vec::new();
    }
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(QUEUE_HEADER.map(String::from));
    let mut rows = Vec::new();
    for v in &exp.variants {
        for (_, q) in used_queues(v, !compare) {
            let mut r = Vec::new();
            if compare {
                r.push(v.name.clone());
            }
            r.extend(queue_row(q));
            rows.push(r);
        }
    }
    let mut out = vec![Section {
        title: "message queues (per replication, mean ±95% CI; topic subscriptions as topic/subscriber)"
            .into(),
        header,
        rows,
    }];
    // Per fault window: backlog peak and drain time.
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(["fault", "queue", "peak backlog", "drained after the fault"].map(String::from));
    let mut rows = Vec::new();
    for v in &exp.variants {
        let used: Vec<&str> = used_queues(v, !compare)
            .map(|(_, q)| q.name.as_str())
            .collect();
        for f in &v.summary.faults {
            let Some(w) = &f.window else { continue };
            let backed_up = |wq: &&crate::experiment::WindowQueue| {
                used.contains(&wq.queue.as_str()) && wq.peak_depth.mean >= 1.0
            };
            for wq in w.queues.iter().filter(backed_up) {
                let mut r = Vec::new();
                if compare {
                    r.push(v.name.clone());
                }
                let drained = match &wq.drain_s {
                    Some(e) if wq.drained_in > 0 => format!(
                        "{} s ({}/{} replications)",
                        num(*e, 1),
                        wq.drained_in,
                        v.summary.replications
                    ),
                    _ => "not drained by the end of the run".into(),
                };
                r.extend([
                    f.name.clone(),
                    wq.queue.clone(),
                    num(wq.peak_depth, 0),
                    drained,
                ]);
                rows.push(r);
            }
        }
    }
    if !rows.is_empty() {
        out.push(Section {
            title: "queue backlog around each fault window, queues that backed up (peak: highest interval mean from the fault's start to the end of the run; drained: back to the pre-fault level)".into(),
            header,
            rows,
        });
    }
    out
}

/// Sagas: outcome rates, settle latency, inconsistency window, compensation cost.
pub fn saga_section(exp: &Experiment) -> Option<Section> {
    if exp.variants.iter().all(|v| v.summary.sagas.is_empty()) {
        return None;
    }
    let compare = exp.is_comparison();
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(
        [
            "saga",
            "style",
            "started",
            "committed",
            "compensated",
            "inconsistent",
            "aborted",
            "in progress at end",
            "settle p50",
            "settle p99",
            "inconsistency window (mean)",
            "compensation latency (mean)",
            "messages per saga",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for v in &exp.variants {
        for s in v
            .summary
            .sagas
            .iter()
            .filter(|s| !compare || s.started.mean > 0.0)
        {
            let mut r = Vec::new();
            if compare {
                r.push(v.name.clone());
            }
            r.extend([
                s.name.clone(),
                s.style.clone(),
                num(s.started, 0),
                pct(s.committed_rate),
                pct(s.compensated_rate),
                pct(s.inconsistent_rate),
                pct(s.aborted_rate),
                num(s.in_progress, 0),
                ms(s.latency.p50),
                ms(s.latency.p99),
                ms(s.inconsistency_window_ms),
                ms(s.compensation_latency_ms),
                num(s.messages_per_saga, 1),
            ]);
            rows.push(r);
        }
    }
    Some(Section {
        title: "sagas (rates of settled sagas; per replication, mean ±95% CI)".into(),
        header,
        rows,
    })
}
