//! Topology diagrams: Mermaid and DOT list every service, client and call edge, merge
//! parallel edges, escape names, are deterministic, and Graphviz lays the DOT out.

use archsim::report::graph::{dot, mermaid};
use archsim::Scenario;
use std::path::Path;

fn load(toml: &str) -> Scenario {
    archsim::spec::load_str(toml, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"))
}

const SHOP: &str = r#"
[simulation]
seed = 1
duration = "1m"
warmup = "0s"
replications = 1

[network]
latency = "1ms"

[services.gateway]
replicas = 2
workers = 64
queue = 256
operations.checkout = { work = "1ms", steps = [
  { call = "order.place", protocol = "rest", timeout = "2s" },
  { call = "order.status", protocol = "rest", timeout = "2s" },
] }
operations.browse = { work = "1ms", steps = [
  { parallel = [
    { call = "catalog.list", protocol = "grpc" },
    { call = "reviews.list", protocol = "grpc" },
  ] },
] }

[services.order]
replicas = 3
workers = 16
queue = 0
operations.place = { work = "5ms", steps = [
  { call = "payment.charge", protocol = "grpc", timeout = "3s", retry = { attempts = 3, backoff = "100ms" }, circuit_breaker = { failure_ratio = 0.5 }, bulkhead = 10 },
] }
operations.status = { work = "1ms" }

[services.payment]
workers = 8
queue = 100
operations.charge = { work = "10ms" }

[services.catalog]
operations.list = { work = "2ms" }

[services.reviews]
operations.list = { work = "2ms" }

[services.unused]
operations.idle = { work = "1ms" }

[[workload]]
flow = "checkout <&> \"fast\" | #1"
entry = "gateway.checkout"
arrivals = { poisson = "50/s" }

[[workload]]
flow = "browse"
entry = "gateway.browse"
protocol = "grpc"
timeout = "1s"
arrivals = { closed = { users = 20, think = "500ms" } }

[[fault]]
target = "payment"
kind = "crash"
name = "payment \\crash\\ <now>"
at = "10s"
duration = "5s"
"#;

#[test]
fn mermaid_lists_nodes_and_edges() {
    let sc = load(SHOP);
    let m = mermaid(&sc);
    assert!(m.starts_with("flowchart LR\n"), "{m}");
    // Services in id order, with replicas x workers and queue.
    for (i, name) in [
        "gateway", "order", "payment", "catalog", "reviews", "unused",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("svc{}", sc.service_by_name(name).unwrap().0);
        assert!(
            m.contains(&format!("    {id}[\"{name}<br/>")),
            "no node for {name} ({i}):\n{m}"
        );
    }
    assert!(
        m.contains("gateway<br/>2 × 64 workers<br/>queue 256"),
        "{m}"
    );
    assert!(m.contains("order<br/>3 × 16 workers<br/>no queue"), "{m}");
    // Clients: one node per workload, edge labelled with flow and arrivals.
    assert!(m.contains("client0([\"clients<br/>"), "{m}");
    assert!(m.contains("client1([\"clients<br/>browse\"])"), "{m}");
    assert!(m.contains("50/s Poisson"), "{m}");
    assert!(m.contains("20 users, think 500ms"), "{m}");
    assert!(m.contains("grpc · timeout 1s"), "{m}");
    // Call edges with protocol, timeout and policies.
    let gw = sc.service_by_name("gateway").unwrap().0;
    let order = sc.service_by_name("order").unwrap().0;
    let pay = sc.service_by_name("payment").unwrap().0;
    assert!(
        m.contains(&format!(
            "svc{order} -->|\"call grpc · timeout 3s · retry ×3 (backoff 100ms) · breaker 50% · bulkhead 10\"| svc{pay}"
        )),
        "{m}"
    );
    // Two alike call sites gateway -> order merge into one edge.
    assert!(
        m.contains(&format!(
            "svc{gw} -->|\"2× call rest · timeout 2s\"| svc{order}"
        )),
        "{m}"
    );
    assert_eq!(m.matches(&format!("svc{gw} -->")).count(), 3, "{m}");
    assert!(m.contains("call grpc (parallel)"), "{m}");
    // The faulted service is marked.
    assert!(m.contains("fault: payment"), "{m}");
    assert!(m.contains(&format!("class svc{pay} faulted")), "{m}");
}

#[test]
fn names_are_escaped() {
    let sc = load(SHOP);
    let m = mermaid(&sc);
    assert!(
        m.contains("checkout #lt;#amp;#gt; #quot;fast#quot; #124; #35;1"),
        "{m}"
    );
    assert!(!m.contains("<&>"));
    // Every quoted mermaid label is balanced: each line has an even number of quotes.
    for line in m.lines() {
        assert_eq!(
            line.matches('"').count() % 2,
            0,
            "unbalanced quotes: {line}"
        );
    }
    let d = dot(&sc);
    assert!(d.contains(r#"checkout <&> \"fast\" | #1"#), "{d}");
    assert!(d.contains(r#"fault: payment \\crash\\ <now>"#), "{d}");
    for line in d.lines() {
        let unescaped = line.replace("\\\\", "").replace("\\\"", "");
        assert_eq!(
            unescaped.matches('"').count() % 2,
            0,
            "unbalanced quotes: {line}"
        );
    }
}

#[test]
fn dot_lists_nodes_and_edges() {
    let sc = load(SHOP);
    let d = dot(&sc);
    assert!(d.starts_with("digraph \"t\" {\n"), "{d}");
    assert!(d.trim_end().ends_with('}'));
    let gw = sc.service_by_name("gateway").unwrap().0;
    let order = sc.service_by_name("order").unwrap().0;
    assert!(
        d.contains(&format!(
            "svc{gw} [label=\"gateway\\n2 × 64 workers\\nqueue 256\"]"
        )),
        "{d}"
    );
    assert!(
        d.contains(&format!(
            "svc{gw} -> svc{order} [label=\"2× call rest · timeout 2s\"]"
        )),
        "{d}"
    );
    assert!(d.contains(&format!("client1 -> svc{gw}")), "{d}");
    assert!(d.contains("shape=oval"), "{d}");
    assert!(d.contains("rankdir=LR"));
    // One edge per call pair and per workload: 2 clients + gw->order, gw->catalog,
    // gw->reviews, order->payment.
    assert_eq!(d.matches(" -> ").count(), 6, "{d}");
}

#[test]
fn output_is_deterministic_and_checkout_renders() {
    let sc = load(SHOP);
    // For a person to look at (best effort).
    let _ = std::fs::create_dir_all("/tmp/charts");
    let _ = std::fs::write("/tmp/charts/shop.dot", dot(&sc));
    let _ = std::fs::write("/tmp/charts/shop.mmd", mermaid(&sc));
    assert_eq!(mermaid(&sc), mermaid(&load(SHOP)));
    assert_eq!(dot(&sc), dot(&load(SHOP)));
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-sync.toml");
    let sc = archsim::spec::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let m = mermaid(&sc);
    for s in [
        "gateway",
        "order",
        "payment",
        "bank",
        "checkout<br/>50/s Poisson",
        "call grpc",
        "call rest",
    ] {
        assert!(m.contains(s), "checkout-sync mermaid lacks {s:?}:\n{m}");
    }
    let d = dot(&sc);
    assert!(d.starts_with("digraph \"checkout-sync\""), "{d}");
    // Graphviz's `dot` must lay both out (`.ci/run` installs it; a note and a skip
    // without it, a failure under CI).
    for text in [d, dot(&load(SHOP))] {
        if let Some(err) = dot_rejects(&text) {
            panic!("dot rejected:\n{text}\n{err}");
        }
    }
}

/// What Graphviz's `dot -Tsvg` says against `text`, if it rejects it; `None` when it
/// lays it out, or when `dot` is missing (with a note; under `CI` that fails).
pub(crate) fn dot_rejects(text: &str) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        crate::common::tool_missing("Graphviz's dot (Debian's graphviz)");
        return None;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}
