//! Sweeps: `--set` edits, the saturation knee near the bottleneck's capacity, and bad
//! `--set` values as one-line usage errors.

use archsim::experiment::sweep::run_sweep;
use archsim::spec::edit::{parse_set, sweep_points};
use std::path::Path;
use std::process::Command;

/// A front service calling a bottleneck: 32 workers x constant 32 ms = 1000 requests/s.
const CHAIN: &str = r#"
[simulation]
seed = 11
duration = "20s"
warmup = "5s"
replications = 3

[services.front]
replicas = 2
workers = 400
operations.handle = { work = { dist = "exp", mean = "0.2ms" }, steps = [ { call = "db.query" } ] }

[services.db]
workers = 32
queue = 2000
operations.query = { work = "32ms" }

[network]
latency = "0s"

[protocols.rest]
per_message = "0s"
per_kib = "0s"

[[workload]]
flow = "q"
entry = "front.handle"
arrivals = { poisson = "100/s" }
"#;

#[test]
fn p99_rises_sharply_at_the_bottleneck_capacity_and_the_knee_is_within_10_percent() {
    let capacity = 32.0 / 0.032;
    let params = vec![parse_set("workload.0.arrivals.poisson=500/s..1300/s step 50/s").unwrap()];
    let points =
        sweep_points(CHAIN, Path::new("chain.toml"), &params, &Default::default()).unwrap();
    assert_eq!(points.len(), 17);
    let sweep = run_sweep("chain", params, points, &|| {}).unwrap();
    let p99: Vec<f64> = sweep
        .points
        .iter()
        .map(|p| p.experiment.variants[0].summary.flows[0].latency.p99.mean)
        .collect();
    // Flat well below capacity, steep above it.
    assert!(p99[0] < 40.0 && p99[4] < 60.0, "{p99:?}");
    assert!(*p99.last().unwrap() > 10.0 * p99[0], "{p99:?}");
    assert_eq!(sweep.knees.len(), 1);
    let knee = sweep.knees[0].x.expect("a knee in range");
    assert!(
        (knee - capacity).abs() <= 0.1 * capacity,
        "knee at {knee}/s, capacity {capacity}/s ({})",
        sweep.knees[0].reason
    );
}

fn archsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_set_values_are_one_line_usage_errors() {
    let file = "scenarios/checkout-sync.toml";
    for (set, want) in [
        ("workload.0.arrivals.poisson", "expected PATH=VALUES"),
        ("workload.9.arrivals.poisson=5/s", "array of 1"),
        ("services.nope.workers=2", "no key `nope` under `services`"),
        (
            "services.bank.workers=0",
            "services.bank.workers: must be >= 1",
        ),
        ("workload.0.arrivals.poisson=1/s..5 step 1", "one kind"),
        ("services.bank.workers=1..5", "needs a step"),
    ] {
        let out = archsim(&["sweep", file, "--set", set, "-r", "1", "--duration", "10s"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{set}: {err}");
        assert!(err.contains("--set"), "{set}: {err}");
        assert!(err.contains(want), "{set}: {err}\nwanted {want}");
        assert!(!err.contains("panicked"));
    }
    // Too many values: the error quotes the start of the argument and its length, not
    // all 25 KB of it.
    let values: Vec<String> = (1..=5000).map(|v| v.to_string()).collect();
    let set = format!("services.bank.workers={}", values.join(","));
    let out = archsim(&["sweep", file, "--set", &set]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.trim_end().ends_with(&format!(
            "... ({} characters): at most 1000 values",
            set.len()
        )),
        "{err}"
    );
    assert!(err.len() < 300, "{} bytes: {err}", err.len());
}

#[test]
fn sweep_prints_a_table_and_writes_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("s.csv");
    let json = dir.path().join("s.json");
    let out = archsim(&[
        "sweep",
        "scenarios/checkout-sync.toml",
        "--set",
        "services.payment.workers=8,16",
        "-r",
        "2",
        "--duration",
        "40s",
        "--csv",
        csv.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("services.payment.workers") && text.contains("saturation knees"));
    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(csv.starts_with("services.payment.workers,variant,flow,entry,offered_per_s,requests,"));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 2);
}
