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

/// A flow answered at once whose queued work falls behind: a consumer that does half
/// the offered work. Its responses are all in, but half its requests are not complete,
/// and the consumer and its queue are on its path.
#[test]
fn work_that_falls_behind_its_answers_is_unstable_too() {
    let exp = experiment(&scenario(
        r#"
[simulation]
seed = 7
duration = "20s"
replications = 2
[brokers.rabbit]
queues.jobs = { consumer = "worker.run", concurrency = 1 }
[services.front]
operations.accept = { work = "1ms", steps = [ { send = "rabbit.jobs" } ] }
[services.worker]
operations.run = { work = { dist = "exp", mean = "20ms" } }
[[workload]]
flow = "jobs"
entry = "front.accept"
arrivals = { poisson = "100/s" }
"#,
    ));
    let s = &exp.variants[0].summary;
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert_eq!((w.kind, w.flow.as_deref()), ("unstable", Some("jobs")));
    assert!(
        w.message
            .contains("of its requests answered but not complete at the end")
            && w.message
                .contains("queue rabbit.jobs with its backlog growing")
            && w.message.contains("service worker at 100% utilization"),
        "{}",
        w.message
    );
    assert!(s.flows[0].in_flight.mean < 1.0, "every request is answered");
}

/// Triggered work that is long but keeps up (5 s per message, capacity to spare):
/// a quarter of the requests are still in progress at the end of a 20 s run, with
/// nothing saturated or growing: `incomplete`, not `unstable`.
#[test]
fn long_triggered_work_is_incomplete_not_unstable() {
    let exp = experiment(&scenario(
        r#"
[simulation]
seed = 7
duration = "20s"
replications = 2
[brokers.rabbit]
queues.jobs = { consumer = "worker.run", concurrency = 2000 }
[services.front]
operations.accept = { work = "1ms", steps = [ { send = "rabbit.jobs" } ] }
[services.worker]
workers = 2000
operations.run = { work = "5s" }
[[workload]]
flow = "jobs"
entry = "front.accept"
arrivals = { poisson = "100/s" }
"#,
    ));
    let s = &exp.variants[0].summary;
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert_eq!(
        (w.kind, w.flow.as_deref(), w.component.as_deref()),
        ("incomplete", Some("jobs"), None)
    );
    assert!(
        w.message.starts_with("flow jobs: 2")
            && w.message
                .contains("completion figures cover the finished ones only"),
        "{}",
        w.message
    );
}
