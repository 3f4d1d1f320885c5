//! The topology of a scenario as a diagram: Mermaid (for Markdown) and Graphviz DOT.
//!
//! One node per service (name, replicas × workers and their cpus, queue capacity), one
//! "clients" node per workload with an edge to its entry service (flow name, arrivals,
//! client call), and one edge per (caller service, callee service) pair carrying every
//! distinct call site between them: protocol, timeout and the resilience policies of that
//! call site (`2× call grpc · timeout 2s · retry ×3` when two call sites are alike).
//! Services hit by a service or replica fault are outlined (dashed, vermillion) and list
//! the fault.
//!
//! Output is deterministic: everything is emitted in id order (services, workloads,
//! operations, steps); node ids are generated (`svc0`, `client0`), never user names,
//! and every label is escaped for its syntax.

use super::escape;
use crate::kernel::SimTime;
use crate::model::{Arrivals, Call, FaultTarget, Policies, Protocol, Scenario, Workload};

/// One node of the diagram.
struct Node {
    id: String,
    lines: Vec<String>,
    clients: bool,
    faulted: bool,
}

/// One edge: `from -> to` with label lines.
struct Edge {
    from: String,
    to: String,
    lines: Vec<String>,
}

/// The diagram, independent of the output syntax.
struct Diagram {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

pub(crate) fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Rest => "rest",
        Protocol::Grpc => "grpc",
    }
}

/// A duration in ns as a short human string: "250ms", "1.5s", "2m", "80us".
pub(crate) fn human_duration(ns: f64) -> String {
    let units: [(f64, &str); 6] = [
        (3_600e9, "h"),
        (60e9, "m"),
        (1e9, "s"),
        (1e6, "ms"),
        (1e3, "us"),
        (1.0, "ns"),
    ];
    if !ns.is_finite() || ns <= 0.0 {
        return "0s".to_string();
    }
    for (scale, unit) in units {
        if ns >= scale {
            return format!("{}{unit}", short_number(ns / scale));
        }
    }
    format!("{}ns", short_number(ns))
}

pub(crate) fn dur(t: SimTime) -> String {
    human_duration(t as f64)
}

/// A number with at most 3 significant decimals, trailing zeros trimmed.
pub(crate) fn short_number(v: f64) -> String {
    let s = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub(crate) fn rate(r: f64) -> String {
    format!("{}/s", short_number(r))
}

pub(crate) fn arrivals_text(a: &Arrivals) -> String {
    match a {
        Arrivals::Poisson { rate: r } => format!("{} Poisson", rate(*r)),
        Arrivals::Constant { rate: r } => format!("{} constant", rate(*r)),
        Arrivals::Schedule(steps) => {
            let max = steps.iter().map(|s| s.1).fold(0.0, f64::max);
            format!("schedule, up to {}", rate(max))
        }
        Arrivals::Closed { users, think } => {
            format!("{users} users, think {}", human_duration(think.mean()))
        }
    }
}

/// The policies of a call site, as short phrases.
pub(crate) fn policy_text(p: &Policies) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(r) = &p.retry {
        let mut s = format!("retry ×{}", r.max_attempts);
        if r.backoff > 0 {
            s.push_str(&format!(" (backoff {})", dur(r.backoff)));
        }
        v.push(s);
    }
    if let Some(b) = &p.breaker {
        v.push(format!(
            "breaker {}%",
            short_number(b.failure_ratio * 100.0)
        ));
    }
    if let Some(n) = p.bulkhead {
        v.push(format!("bulkhead {n}"));
    }
    if let Some(h) = p.hedge {
        v.push(format!("hedge {}", dur(h)));
    }
    if p.fallback.is_some() {
        v.push("fallback".to_string());
    }
    v
}

pub(crate) fn call_label(sc: &Scenario, call: &Call, parallel: bool) -> String {
    let mut parts = vec![format!("call {}", protocol_name(call.protocol))];
    if parallel {
        parts[0].push_str(" (parallel)");
    }
    if let Some(t) = call.timeout {
        parts.push(format!("timeout {}", dur(t)));
    }
    if let Some(p) = sc.policies.get(call.site as usize) {
        parts.extend(policy_text(p));
    }
    parts.join(" · ")
}

pub(crate) fn client_lines(w: &Workload) -> Vec<String> {
    let mut lines = vec![w.flow.clone(), arrivals_text(&w.arrivals)];
    let mut call = vec![protocol_name(w.protocol).to_string()];
    if let Some(t) = w.timeout {
        call.push(format!("timeout {}", dur(t)));
        if w.deadline {
            call.push("deadline".to_string());
        }
    }
    if let Some(l) = &w.rate_limit {
        call.push(format!("rate limit {}", rate(l.rate)));
    }
    lines.push(call.join(" · "));
    lines
}

fn build(sc: &Scenario) -> Diagram {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();

    // Faults per service, in fault order.
    let mut faults: Vec<Vec<String>> = vec![Vec::new(); sc.services.len()];
    for f in &sc.faults {
        let s = match f.target {
            FaultTarget::Service(s) | FaultTarget::Replica(s, _) => s,
            FaultTarget::Link(_) | FaultTarget::Broker(_) => continue,
        };
        if let Some(list) = faults.get_mut(s.0 as usize) {
            list.push(f.name.clone());
        }
    }

    for (i, w) in sc.workloads.iter().enumerate() {
        nodes.push(Node {
            id: format!("client{i}"),
            lines: vec!["clients".to_string(), w.flow.clone()],
            clients: true,
            faulted: false,
        });
        if let Some(op) = sc.operations.get(w.entry.0 as usize) {
            edges.push(Edge {
                from: format!("client{i}"),
                to: format!("svc{}", op.service.0),
                lines: client_lines(w),
            });
        }
    }
    for (i, s) in sc.services.iter().enumerate() {
        let mut lines = vec![
            s.name.clone(),
            format!(
                "{} × {} worker{}{}",
                s.replicas,
                s.workers,
                if s.workers == 1 { "" } else { "s" },
                s.cpu_millis
                    .map_or(String::new(), |m| format!(" on {} cpus", m as f64 / 1000.0))
            ),
            if s.queue_capacity == 0 {
                "no queue".to_string()
            } else {
                format!("queue {}", s.queue_capacity)
            },
        ];
        for f in &faults[i] {
            lines.push(format!("fault: {f}"));
        }
        nodes.push(Node {
            id: format!("svc{i}"),
            lines,
            clients: false,
            faulted: !faults[i].is_empty(),
        });
    }

    // Call edges, merged per (caller, callee), in order of first appearance.
    // ((caller, callee), [(label, call sites with that label)])
    type Pair = ((u32, u32), Vec<(String, usize)>);
    let mut pairs: Vec<Pair> = Vec::new();
    for op in &sc.operations {
        for g in &op.groups {
            let parallel = g.calls.len() > 1;
            for call in &g.calls {
                let Some(target) = sc.operations.get(call.target.0 as usize) else {
                    continue;
                };
                let key = (op.service.0, target.service.0);
                let label = call_label(sc, call, parallel);
                let idx = match pairs.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        pairs.push((key, Vec::new()));
                        pairs.len() - 1
                    }
                };
                let labels = &mut pairs[idx].1;
                match labels.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, n)) => *n += 1,
                    None => labels.push((label, 1)),
                }
            }
        }
    }
    for ((from, to), labels) in pairs {
        edges.push(Edge {
            from: format!("svc{from}"),
            to: format!("svc{to}"),
            lines: labels
                .into_iter()
                .map(|(l, n)| if n > 1 { format!("{n}× {l}") } else { l })
                .collect(),
        });
    }
    Diagram { nodes, edges }
}

fn mermaid_label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| escape::mermaid(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// The topology as a Mermaid flowchart (left to right), e.g. for a Markdown report.
pub fn mermaid(scenario: &Scenario) -> String {
    let d = build(scenario);
    let mut out = String::from("flowchart LR\n");
    for n in &d.nodes {
        let label = mermaid_label(&n.lines);
        if n.clients {
            out.push_str(&format!("    {}([\"{label}\"])\n", n.id));
        } else {
            out.push_str(&format!("    {}[\"{label}\"]\n", n.id));
        }
    }
    for e in &d.edges {
        out.push_str(&format!(
            "    {} -->|\"{}\"| {}\n",
            e.from,
            mermaid_label(&e.lines),
            e.to
        ));
    }
    out.push_str("    classDef service fill:#EAF2FA,stroke:#0072B2,color:#1F1F1F\n");
    out.push_str("    classDef clients fill:#F4F4F4,stroke:#888888,color:#1F1F1F\n");
    out.push_str(
        "    classDef faulted fill:#FBEDE4,stroke:#D55E00,stroke-width:2px,stroke-dasharray:5 3,color:#1F1F1F\n",
    );
    for (class, pick) in [
        ("clients", (|n: &Node| n.clients) as fn(&Node) -> bool),
        ("service", |n: &Node| !n.clients && !n.faulted),
        ("faulted", |n: &Node| n.faulted),
    ] {
        let ids: Vec<&str> = d
            .nodes
            .iter()
            .filter(|n| pick(n))
            .map(|n| n.id.as_str())
            .collect();
        if !ids.is_empty() {
            out.push_str(&format!("    class {} {class}\n", ids.join(",")));
        }
    }
    out
}

fn dot_label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| escape::dot(l))
        .collect::<Vec<_>>()
        .join("\\n")
}

/// The topology as a Graphviz digraph (left to right): `dot -Tsvg` renders it.
pub fn dot(scenario: &Scenario) -> String {
    let d = build(scenario);
    let font = "DejaVu Sans,Verdana,Arial,Helvetica,sans-serif";
    let mut out = format!("digraph \"{}\" {{\n", escape::dot(&scenario.name));
    out.push_str(&format!(
        "    graph [rankdir=LR, nodesep=0.5, ranksep=0.9, fontname=\"{font}\"];\n"
    ));
    out.push_str(&format!(
        "    node [shape=box, style=\"rounded,filled\", fillcolor=\"#EAF2FA\", color=\"#0072B2\", fontname=\"{font}\", fontsize=12];\n"
    ));
    out.push_str(&format!(
        "    edge [color=\"#555555\", fontcolor=\"#333333\", fontname=\"{font}\", fontsize=10];\n"
    ));
    for n in &d.nodes {
        let extra = if n.clients {
            ", shape=oval, style=filled, fillcolor=\"#F4F4F4\", color=\"#888888\""
        } else if n.faulted {
            ", style=\"rounded,filled,dashed\", fillcolor=\"#FBEDE4\", color=\"#D55E00\", penwidth=2"
        } else {
            ""
        };
        out.push_str(&format!(
            "    {} [label=\"{}\"{extra}];\n",
            n.id,
            dot_label(&n.lines)
        ));
    }
    for e in &d.edges {
        out.push_str(&format!(
            "    {} -> {} [label=\"{}\"];\n",
            e.from,
            e.to,
            dot_label(&e.lines)
        ));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(human_duration(2e9), "2s");
        assert_eq!(human_duration(1.5e9), "1.5s");
        assert_eq!(human_duration(250e6), "250ms");
        assert_eq!(human_duration(120e9), "2m");
        assert_eq!(human_duration(80e3), "80us");
    }
}
