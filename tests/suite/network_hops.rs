//! The per-flow time breakdown's "network and client hops": never a negative duration
//! in any shipped scenario, known wherever replication 1 is traced, and said to be
//! unknown (not made up) where it is not.

use archsim::experiment::compare::{run_experiment, run_experiment_with, Experiment, Tracing};
use archsim::report::sections::{time_breakdown, time_sections, NOT_TRACED};
use archsim::spec::{load_with, Overrides};
use archsim::Scenario;
use std::path::Path;

/// `file` with 2 replications (the shipped durations: the overloads and fault
/// windows that made the old subtraction negative need them).
fn load(file: &Path) -> Scenario {
    let text = std::fs::read_to_string(file).unwrap();
    let o = Overrides {
        replications: Some(2),
        ..Overrides::default()
    };
    load_with(&text, file, &o).unwrap_or_else(|e| panic!("{e}"))
}

/// Every flow's network and client hops in every variant of `exp`.
fn network(exp: &Experiment) -> Vec<(String, String, Result<f64, &'static str>)> {
    let mut out = Vec::new();
    for v in &exp.variants {
        for (fi, f) in v.summary.flows.iter().enumerate() {
            if let Some(b) = time_breakdown(v, fi) {
                out.push((v.name.clone(), f.flow.clone(), b.network_ms));
            }
        }
    }
    out
}

#[test]
fn no_shipped_scenario_has_a_negative_time_breakdown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in &crate::common::shipped_scenarios() {
        let name = file.display().to_string();
        let exp = run_experiment(&load(&root.join(file)), &|| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for (variant, flow, n) in network(&exp) {
            if let Ok(n) = n {
                assert!(n >= 0.0, "{name} {variant} {flow}: network {n} ms");
            }
            let must = ["threads-vs-cores.toml", "checkout-sync.toml"];
            if must.iter().any(|m| name.ends_with(m)) {
                assert!(n.is_ok_and(|n| n >= 0.0), "{name} {variant} {flow}: {n:?}");
            }
        }
        // What the terminal and the report print: no duration below zero.
        for s in time_sections(&exp) {
            for row in &s.rows {
                for cell in row {
                    let negative = cell.starts_with('-') && cell[1..].starts_with(char::is_numeric);
                    assert!(!negative, "{name}: {:?} in {row:?} ({})", cell, s.title);
                }
            }
        }
    }
}

/// threads-vs-cores with a worker per core: most requests are refused at the entry,
/// whose sojourn (≈ 600 ms) exceeds the flow's mean response (≈ 260 ms); the old
/// subtraction printed about −359 ms. The traced wire time is a fraction of the
/// round trip (≈ 1 ms), as refused calls spend theirs as *other*.
#[test]
fn threads_vs_cores_wire_time_is_traced_and_sane() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sc = load(&root.join("scenarios/capacity/threads-vs-cores.toml"));
    let exp = run_experiment(&sc, &|| {}).unwrap();
    for (variant, flow, n) in network(&exp) {
        let n = n.unwrap_or_else(|e| panic!("{variant} {flow}: {e}"));
        assert!(n > 0.1 && n < 2.0, "{variant} {flow}: {n} ms");
    }
    let off = run_experiment_with(&sc, Tracing::Off, &|| {}).unwrap();
    for (variant, flow, n) in network(&off) {
        assert_eq!(n, Err(NOT_TRACED), "{variant} {flow}");
    }
    let cells: Vec<String> = time_sections(&off)
        .into_iter()
        .flat_map(|s| s.rows.into_iter().flatten())
        .collect();
    assert!(cells.iter().any(|c| c == NOT_TRACED), "{cells:?}");
}
