//! Reports on disk: byte-identical for the same seed, self-contained, input escaped;
//! and the `graph` command.

use crate::common;

use common::archsim;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn compare_reports_are_byte_identical_for_the_same_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/patterns-compare.toml");
    let args = |threads: &str| {
        let dir = tmp.path().join(format!("t{threads}"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
            .current_dir(&dir)
            .env("RAYON_NUM_THREADS", threads)
            .args(["compare", scenario.to_str().unwrap()])
            .args(["-r", "3", "--duration", "6m", "--report", "out"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        files(&dir.join("out"))
    };
    let a = args("1");
    let b = args("2");
    let names: Vec<&str> = a.iter().map(|f| f.0.as_str()).collect();
    for want in [
        "index.html",
        "report.md",
        "latency-cdf.png",
        "failure-rates.png",
        "timeline-failures.png",
        "utilization-1.png",
        "response-vs-completion.png",
        "completion-cdf.png",
        "queue-backlog.png",
        "time-breakdown-1.png",
        "time-breakdown-6.png",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.0, y.0);
        assert!(x.1 == y.1, "{} differs between runs", x.0);
    }
    let html =
        String::from_utf8(a.iter().find(|f| f.0 == "index.html").unwrap().1.clone()).unwrap();
    for needle in [
        "archsim compare",
        "--report out",
        "seed 42",
        "archsim 0.",
        "SLO verdicts",
        "sync chain",
        "guarded chain",
        "flowchart",
        "digraph",
        "[compare]",
        "p99 response vs p99 completion",
        "message queues",
        "rabbit.payments",
        "queue backlog around each fault window",
        "sagas (rates of settled sagas",
        "where the time goes: flow checkout",
        "where the time goes: flow browse",
        "network and client hops",
        "client ↔ gateway on the wire, traced responses",
    ] {
        assert!(html.contains(needle), "index.html lacks {needle:?}");
    }
    assert!(!html.contains("also serves"), "the old workaround is gone");
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external resources"
    );
    let md = String::from_utf8(a.iter().find(|f| f.0 == "report.md").unwrap().1.clone()).unwrap();
    assert!(md.contains("![") && md.contains("(latency-cdf.png)"));
    assert!(md.contains("(response-vs-completion.png)") && md.contains("(completion-cdf.png)"));
    assert!(md.contains("**message queues") && md.contains("**sagas"));
    assert!(md.contains("```mermaid"));
}

#[test]
fn input_text_is_html_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/checkout-sync.toml")).unwrap();
    let evil = format!("description = \"<script>alert('x')</script> & co\"\n{text}");
    let path = tmp.path().join("evil.toml");
    std::fs::write(&path, evil).unwrap();
    archsim(
        tmp.path(),
        &[
            "run",
            "evil.toml",
            "-r",
            "1",
            "--duration",
            "60s",
            "--report",
            "rep",
        ],
    );
    let html = std::fs::read_to_string(tmp.path().join("rep/index.html")).unwrap();
    assert!(!html.contains("<script>"), "raw input leaked into HTML");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
}

#[test]
fn run_report_defaults_to_reports_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("scenarios/checkout-sync.toml"),
        tmp.path().join("checkout-sync.toml"),
    )
    .unwrap();
    let out = archsim(
        tmp.path(),
        &[
            "run",
            "checkout-sync.toml",
            "-r",
            "2",
            "--duration",
            "60s",
            "--report",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("report written to reports/checkout-sync/index.html"));
    assert!(tmp
        .path()
        .join("reports/checkout-sync/index.html")
        .is_file());
    assert!(tmp
        .path()
        .join("reports/checkout-sync/utilization.png")
        .is_file());
}

#[test]
fn graph_prints_mermaid_and_dot() {
    let out = archsim(root(), &["graph", "scenarios/patterns-compare.toml"]);
    let m = String::from_utf8_lossy(&out.stdout);
    assert!(m.starts_with("flowchart"), "{m}");
    assert!(m.contains("gateway") && m.contains("bank"));
    let out = archsim(
        root(),
        &[
            "graph",
            "scenarios/patterns-compare.toml",
            "--format",
            "dot",
        ],
    );
    let d = String::from_utf8_lossy(&out.stdout);
    assert!(d.starts_with("digraph"), "{d}");
    let bad = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(root())
        .args([
            "graph",
            "scenarios/patterns-compare.toml",
            "--format",
            "png",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn compare_json_and_csv_follow_the_documented_schema() {
    let out = archsim(
        root(),
        &[
            "run",
            "scenarios/patterns-compare.toml",
            "-r",
            "2",
            "--duration",
            "3m",
            "--json",
            "-",
            "--quiet",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["flow"], "checkout");
    assert_eq!(v["variants"].as_array().unwrap().len(), 6);
    assert_eq!(v["variants"][1]["name"], "guarded chain");
    assert!(v["variants"][0]["summary"]["flows"][0]["latency"]["p99"]["mean"].is_number());
    assert!(v["slo"][0]["checks"][0]["pass"].is_boolean());
    let out = archsim(
        root(),
        &[
            "run",
            "scenarios/patterns-compare.toml",
            "-r",
            "2",
            "--duration",
            "3m",
            "--csv",
            "-",
        ],
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("variant,flow,entry,requests,throughput_per_s,throughput_per_s_ci95,"));
    assert_eq!(lines.count(), 12, "6 variants x 2 flows");
}
