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
    let exp = experiment(&scenario(&common::slow_consumer()));
    let s = &exp.variants[0].summary;
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert_eq!((w.kind, w.flow.as_deref()), ("unstable", Some("jobs")));
    assert!(
        w.message
            .contains("of its requests not complete at the end")
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
    let exp = experiment(&scenario(&common::jobs_scenario(
        ", concurrency = 2000",
        "workers = 2000\noperations.run = { work = \"5s\" }",
    )));
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

/// The endless-cycle warning for `toml`'s flow, if any.
fn endless(toml: &str) -> Option<archsim::experiment::Warning> {
    let exp = experiment(&scenario(toml));
    let w = exp.variants[0]
        .summary
        .warnings
        .iter()
        .find(|w| w.kind == "endless");
    w.cloned()
}

/// A consumer that sends to its own queue on success: each message begets the next,
/// and no request ever completes. The warning names the cycle as the file does.
#[test]
fn work_that_restarts_itself_is_endless() {
    let looped = r#"
[simulation]
duration = "10s"
[brokers.rabbit]
queues.jobs = { consumer = "worker.run" }
[services.front]
operations.accept = { work = "1ms", steps = [ { send = "rabbit.jobs" } ] }
[services.worker]
operations.run = { work = "10ms", steps = [ { call = "helper.help" }, { send = "rabbit.jobs" } ] }
[services.helper]
operations.help = { work = "1ms" }
[[workload]]
flow = "jobs"
entry = "front.accept"
arrivals = { poisson = "10/s" }
"#;
    let w = endless(looped).expect("an endless cycle");
    assert_eq!(
        (w.flow.as_deref(), w.component.as_deref()),
        (Some("jobs"), None)
    );
    assert!(
        w.message.starts_with(
            "flow jobs: every request starts work that never ends: worker.run → queue rabbit.jobs → worker.run, a cycle"
        ),
        "{}",
        w.message
    );
    // Without the send back, or when it follows a call that always fails, or when only
    // a failure leads back (a saga's compensation), nothing certainly loops.
    let once = looped.replace(
        ", { send = \"rabbit.jobs\" } ] }\n[services.helper]",
        " ] }\n[services.helper]",
    );
    assert!(endless(&once).is_none());
    let failing = looped.replace(
        "operations.help = { work = \"1ms\" }",
        "operations.help = { work = \"1ms\", error = 1.0 }",
    );
    assert!(
        endless(&failing).is_none(),
        "the send after a failing call never runs"
    );
    let erring = looped.replace(
        "work = \"10ms\", steps",
        "work = \"10ms\", error = 1.0, steps",
    );
    assert!(
        endless(&erring).is_none(),
        "an operation that always fails runs no step"
    );
}

/// A saga whose step action starts the same saga loops on success; one that leads back
/// only through a compensation (or past a step that always fails) does not.
#[test]
fn a_saga_that_starts_itself_is_endless_only_on_its_success_path() {
    let saga = |steps: &str| {
        format!(
            r#"
[simulation]
duration = "5s"
[sagas.s]
style = "orchestration"
coordinator = "order"
steps = [ {steps} ]
[services.order]
operations.place = {{ work = "1ms", steps = [ {{ saga = "s" }} ] }}
operations.reserve = {{ work = "1ms" }}
operations.undo = {{ work = "1ms" }}
[[workload]]
flow = "orders"
entry = "order.place"
arrivals = {{ poisson = "5/s" }}
"#
        )
    };
    let w = endless(&saga(
        r#"{ action = "order.reserve" }, { action = "order.place" }"#,
    ))
    .expect("step 1 starts the saga again");
    assert!(
        w.message
            .contains("order.place → saga s → order.place, a cycle"),
        "{}",
        w.message
    );
    assert!(endless(&saga(r#"{ action = "order.reserve", compensate = "order.place" }, { action = "order.undo", fail = 1.0 }"#)).is_none());
    assert!(endless(&saga(
        r#"{ action = "order.reserve", fail = 1.0 }, { action = "order.place" }"#
    ))
    .is_none());
}
