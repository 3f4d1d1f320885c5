//! Where the time goes, request by request: the per-hop breakdown of a flow's mean
//! response (or completion) and the critical paths of the slowest requests, with the
//! ids of the traced results turned into names.

use super::Section;
use crate::experiment::compare::Experiment;
use crate::kernel::format_duration;
use crate::metrics::paths::LatencyBreakdown;
use crate::report::names::{named_breakdown, named_path, NamedBreakdown, NamedPath};

/// Critical paths of the slowest requests: one row per hop, the request's total and
/// outcome on its first row. `paths` pairs each path with its variant (`None` when the
/// report has a single variant).
pub fn critical_path_section(title: String, paths: &[(Option<&str>, NamedPath)]) -> Section {
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
            Measure::Response => &s.traced.response_breakdowns,
            Measure::Completion => &s.traced.completion_breakdowns,
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
            let b = named_breakdown(&v.scenario, b);
            title_flow.clone_from(&b.flow);
            for (i, mut row) in breakdown_rows(&b, measure).into_iter().enumerate() {
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

/// Call depths drawn by indentation; deeper hops say their depth instead (`↳ [57] `),
/// or a path of a request retried at nanosecond intervals, hundreds of levels deep,
/// would push its table hundreds of columns wide.
pub const INDENTED_DEPTHS: u32 = 12;

/// A hop name indented by call depth (non-breaking spaces: the indentation survives
/// HTML and Markdown), at most [`INDENTED_DEPTHS`] levels.
fn indented(depth: u32, operation: &str) -> String {
    let indent = "\u{a0}\u{a0}".repeat(depth.min(INDENTED_DEPTHS) as usize);
    match depth {
        0 => operation.to_string(),
        d if d <= INDENTED_DEPTHS => format!("{indent}↳ {operation}"),
        d => format!("{indent}↳ [{d}] {operation}"),
    }
}

/// Rows of one flow's breakdown (see [`BREAKDOWN_HEADER`]): a row per hop, then the
/// mean latency.
pub fn breakdown_rows(b: &NamedBreakdown, measure: Measure) -> Vec<Vec<String>> {
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
        for p in &v.summary.traced.critical_paths {
            let p = named_path(&v.scenario, p);
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
    let paths: Vec<(Option<&str>, NamedPath)> = exp
        .variants
        .iter()
        .flat_map(|v| {
            v.summary
                .traced
                .completion_paths
                .iter()
                .filter(move |p| (!compare || p.workload == focus) && p.asynchronous)
                .map(move |p| {
                    (
                        compare.then_some(v.name.as_str()),
                        named_path(&v.scenario, p),
                    )
                })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_hops_say_their_depth_instead_of_indenting_further() {
        let nbsp = |n: usize| "\u{a0}".repeat(n);
        assert_eq!(indented(0, "a.b"), "a.b");
        assert_eq!(indented(1, "a.b"), format!("{}↳ a.b", nbsp(2)));
        assert_eq!(indented(12, "a.b"), format!("{}↳ a.b", nbsp(24)));
        assert_eq!(indented(13, "a.b"), format!("{}↳ [13] a.b", nbsp(24)));
        assert_eq!(indented(4000, "a.b"), format!("{}↳ [4000] a.b", nbsp(24)));
    }
}
