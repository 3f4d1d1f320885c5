//! `[compare]`: variants share arrivals and faults (common random numbers), differ in
//! behaviour, and bad comparisons are one-line located errors.

use crate::common;

use archsim::engine::run_replication;
use archsim::experiment::compare::{run_experiment, variants};
use std::path::Path;

const CRN: &str = r#"
[simulation]
seed = 7
duration = "60s"
warmup = "5s"
replications = 4

[network]
latency = { dist = "exp", mean = "1ms" }

[services.front]
workers = 64
operations.direct = { work = { dist = "exp", mean = "1ms" }, steps = [ { call = "db.read" } ] }
operations.cached = { work = { dist = "exp", mean = "1ms" }, steps = [ { call = "cache.get", timeout = "50ms", fallback = "1ms" } ] }

[services.db]
workers = 8
operations.read = { work = { dist = "exp", mean = "20ms" } }

[services.cache]
workers = 32
operations.get = { work = { dist = "exp", mean = "1ms" } }

[[workload]]
flow = "read"
entry = "front.direct"
arrivals = { poisson = "200/s" }

[[workload]]
flow = "other"
entry = "front.direct"
arrivals = { poisson = "20/s" }

[compare]
flow = "read"
variants = [ { name = "direct", entry = "front.direct" }, { name = "cached", entry = "front.cached" } ]

[[fault]]
name = "flaky db"
target = "db"
kind = "crash"
mtbf = { dist = "exp", mean = "15s" }
mttr = { dist = "exp", mean = "2s" }
"#;

#[test]
fn variants_see_identical_arrivals_and_fault_schedules() {
    let sc = common::scenario(CRN);
    let vs = variants(&sc);
    assert_eq!(vs.len(), 2);
    let mut per_variant = Vec::new();
    for (_, v) in &vs {
        let reps: Vec<_> = (0..sc.sim.replications)
            .map(|r| run_replication(v, r).unwrap())
            .collect();
        per_variant.push(reps);
    }
    for (r, (a, b)) in per_variant[0].iter().zip(&per_variant[1]).enumerate() {
        assert_eq!(
            a.conservation.requests_sent, b.conservation.requests_sent,
            "replication {r}: requests sent"
        );
        for f in 0..2 {
            assert_eq!(
                a.flows[f].generated, b.flows[f].generated,
                "rep {r} flow {f}"
            );
        }
        let windows = |m: &archsim::metrics::RunMetrics| {
            m.fault_windows
                .iter()
                .map(|w| (w.fault, w.start, w.end))
                .collect::<Vec<_>>()
        };
        assert!(!windows(a).is_empty(), "the stochastic fault fired");
        assert_eq!(windows(a), windows(b), "replication {r}: fault schedule");
    }
    // Different replications draw different arrivals: the equality above is not trivial.
    assert_ne!(
        per_variant[0][0].conservation.requests_sent,
        per_variant[0][1].conservation.requests_sent
    );
    // And the variants really behave differently.
    let exp = run_experiment(&sc, &|| {}).unwrap();
    let p99 = |i: usize| exp.variants[i].summary.flows[0].latency.p99.mean;
    assert!(
        p99(0) > 2.0 * p99(1),
        "direct {} vs cached {}",
        p99(0),
        p99(1)
    );
    let v = &exp.variants[0];
    assert_eq!(
        archsim::report::names::operation(&v.scenario, v.entry.unwrap()),
        "front.direct"
    );
    let v = &exp.variants[1];
    assert_eq!(
        archsim::report::names::operation(&v.scenario, v.entry.unwrap()),
        "front.cached"
    );
    assert_eq!(exp.flow.as_deref(), Some("read"));
}

#[test]
fn a_scenario_without_compare_is_one_variant() {
    let sc = common::scenario(&CRN.replace("[compare]", "[ignored]").replace(
        "[ignored]\nflow = \"read\"\nvariants = [ { name = \"direct\", entry = \"front.direct\" }, { name = \"cached\", entry = \"front.cached\" } ]",
        "",
    ));
    assert!(sc.compare.is_none());
    assert_eq!(variants(&sc).len(), 1);
}

fn err(toml: &str) -> String {
    archsim::spec::load_str(toml, Path::new("c.toml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_comparisons_are_located_one_line_errors() {
    let cases = [
        (
            "[compare]\nflow = \"read\"",
            "[compare]\nflow = \"nope\"",
            "compare.flow: unknown flow \"nope\"; valid choices: other, read",
        ),
        (
            "{ name = \"cached\", entry = \"front.cached\" }",
            "{ name = \"cached\", entry = \"front.cachd\" }",
            "compare.variants[1].entry: unknown operation \"front.cachd\"",
        ),
        (
            "{ name = \"cached\", entry = \"front.cached\" }",
            "{ name = \"direct\", entry = \"front.cached\" }",
            "compare.variants[1].name: duplicate variant name \"direct\"",
        ),
        (
            "{ name = \"cached\", entry = \"front.cached\" }",
            "{ name = \"cached\" }",
            "compare.variants[1]: each variant needs `name` and `entry`",
        ),
    ];
    for (from, to, want) in cases {
        let e = err(&CRN.replace(from, to));
        assert!(e.starts_with("c.toml:"), "{e}");
        assert!(e.contains(want), "{e}\nwanted {want}");
        assert_eq!(e.lines().count(), 1);
    }
    let e = err(&CRN.replace("variants = [", "variantz = ["));
    assert!(e.contains("variantz"), "{e}");
}
