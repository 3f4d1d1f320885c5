//! A run whose offered load exceeds capacity says so: an M/M/1 at rho = 1.5 warns
//! (in the summary, the JSON and the table), one at rho = 0.5 does not.

use crate::common;

use archsim::experiment::compare::Experiment;
use archsim::report::{json, terminal};
use common::{experiment, scenario, theory_header};

fn mm1(rate_per_s: u32) -> Experiment {
    let toml = format!(
        r#"{}
[services.server]
workers = 1
queue = 1000000
operations.serve = {{ work = {{ dist = "exp", mean = "1ms" }} }}

[[workload]]
flow = "mm1"
entry = "server.serve"
arrivals = {{ poisson = "{rate_per_s}/s" }}
"#,
        theory_header(11, "20s", "2s", 2)
    );
    experiment(&scenario(&toml))
}

#[test]
fn an_overloaded_queue_warns_that_it_is_unstable() {
    let exp = mm1(1500);
    let s = &exp.variants[0].summary;
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert_eq!(w.kind, "unstable");
    assert_eq!(w.flow.as_deref(), Some("mm1"));
    assert_eq!(w.component.as_deref(), Some("service server"));
    assert!(
        w.message.starts_with("flow mm1 looks unstable: 3")
            && w.message
                .contains("service server at 100% utilization, queue growing")
            && w.message.contains("offered load exceeds capacity"),
        "{}",
        w.message
    );
    // A third of the requests are unanswered, though every answered one succeeded.
    let f = &s.flows[0];
    assert!(f.in_flight.mean > 0.25 * f.requests.mean);
    assert_eq!(f.success_rate.mean, 1.0);

    let json: serde_json::Value = serde_json::from_str(&json::experiment_json(&exp, &[])).unwrap();
    let json = &json["variants"][0]["summary"];
    assert_eq!(json["warnings"][0]["kind"], "unstable");
    assert_eq!(json["warnings"][0]["flow"], "mm1");
    assert_eq!(json["warnings"][0]["component"], "service server");

    let table = terminal::render(&exp, &[]);
    assert!(
        table.contains("\nwarning: flow mm1 looks unstable"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.contains("success (of answered)") && l.trim_end().ends_with("100.00%")),
        "{table}"
    );
    assert!(table.contains("% of requests)"), "{table}");
}

#[test]
fn a_stable_queue_does_not_warn() {
    let exp = mm1(500);
    let s = &exp.variants[0].summary;
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let json: serde_json::Value = serde_json::from_str(&json::experiment_json(&exp, &[])).unwrap();
    let json = &json["variants"][0]["summary"];
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert!(!terminal::render(&exp, &[]).contains("warning"));
}
