//! `[[slo]]`: verdicts with margins, and `archsim check` exit codes (0 pass, 3 fail).

use crate::common;

use archsim::experiment::compare::run_experiment;
use archsim::experiment::slo::{all_pass, evaluate};
use std::process::Command;

fn scenario(p99: &str, success: f64) -> String {
    format!(
        r#"
[simulation]
seed = 3
duration = "30s"
warmup = "5s"
replications = 3

[services.api]
workers = 4
operations.get = {{ work = {{ dist = "exp", mean = "10ms" }}, error = 0.01 }}

[[workload]]
flow = "get"
entry = "api.get"
arrivals = {{ poisson = "100/s" }}

[[slo]]
flow = "get"
p99 = "{p99}"
success = {success}
completion_p99 = "10s"
"#
    )
}

#[test]
fn verdicts_carry_measured_values_and_signed_margins() {
    let sc = common::scenario(&scenario("1s", 0.9));
    let exp = run_experiment(&sc, &|| {}).unwrap();
    let v = evaluate(&sc, &exp);
    assert_eq!(v.len(), 1);
    assert!(v[0].pass && all_pass(&v));
    let p99 = &v[0].checks[0];
    assert_eq!(p99.metric, "p99");
    assert!(p99.margin.unwrap() > 900.0, "{p99:?}");
    let success = &v[0].checks[1];
    assert!((success.measured.unwrap() - 0.99).abs() < 0.01);
    let completion = &v[0].checks[2];
    // A synchronous flow completes when it is answered: completion p99 is the response p99.
    assert_eq!(completion.pass, Some(true), "{completion:?}");
    assert_eq!(completion.measured, p99.measured, "{completion:?}");
    assert_eq!(
        completion.note.as_deref(),
        Some(archsim::experiment::slo::COMPLETION_NOTE)
    );

    let sc = common::scenario(&scenario("1ms", 0.999));
    let exp = run_experiment(&sc, &|| {}).unwrap();
    let v = evaluate(&sc, &exp);
    assert!(!v[0].pass);
    // p99 and success miss with negative margins; the generous completion target still holds.
    assert!(
        v[0].checks[..2].iter().all(|c| c.margin.unwrap() < 0.0),
        "{v:?}"
    );
    assert!(v[0].checks[2].margin.unwrap() > 0.0, "{v:?}");
}

fn check(toml: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slo.toml");
    std::fs::write(&path, toml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("check")
        .arg(&path)
        .output()
        .unwrap()
}

#[test]
fn check_exits_0_when_every_slo_holds_and_3_when_one_fails() {
    let ok = check(&scenario("1s", 0.9));
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(text.contains("PASS") && !text.contains("FAIL"), "{text}");
    assert!(text.contains("all 1 SLO verdict(s) pass"), "{text}");

    let bad = check(&scenario("5ms", 0.999));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(3), "{text}");
    assert!(text.contains("FAIL"), "{text}");
    assert!(text.contains("p99 <= 5.00ms"), "{text}");
}

#[test]
fn bad_slos_are_input_errors() {
    let out = check(&scenario("1s", 1.5));
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("slo[0].success: probability 1.5 is outside [0, 1]"),
        "{e}"
    );
    let out = check(&scenario("1s", 0.9).replace("flow = \"get\"\np99", "flow = \"gte\"\np99"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("slo[0].flow: unknown flow \"gte\""));
}

/// A consumer busy for 20 s per message in a 10 s run: every request is answered at
/// once and none completes. Its p99 completion is unbounded, not 0 ns: the SLO fails
/// with nothing measured, and the tables show "-" where there is no latency to give.
#[test]
fn a_latency_target_with_nothing_measured_fails() {
    let toml = r#"
[simulation]
duration = "10s"
replications = 2
[brokers.rabbit]
queues.jobs = { consumer = "worker.run" }
[services.front]
operations.accept = { work = "1ms", steps = [ { send = "rabbit.jobs" } ] }
[services.worker]
operations.run = { work = "20s" }
[[workload]]
flow = "jobs"
entry = "front.accept"
arrivals = { poisson = "10/s" }
[[slo]]
flow = "jobs"
p99 = "1s"
completion_p99 = "30s"
"#;
    let sc = common::scenario(toml);
    let exp = common::experiment(&sc);
    let flow = &exp.variants[0].summary.flows[0];
    assert!(
        flow.latency.samples.mean > 90.0,
        "{:?}",
        flow.latency.samples
    );
    let c = flow
        .completion
        .as_ref()
        .expect("a queue: completions measured");
    assert_eq!(c.latency.samples.mean, 0.0);
    let v = evaluate(&sc, &exp);
    let p99 = &v[0].checks[0];
    assert_eq!((p99.metric.as_str(), p99.pass), ("p99", Some(true)));
    let done = &v[0].checks[1];
    assert_eq!(done.metric, "completion_p99");
    assert_eq!(
        (done.pass, done.measured, done.margin),
        (Some(false), None, None)
    );
    assert_eq!(
        done.note.as_deref(),
        Some(archsim::experiment::slo::NOTHING_MEASURED)
    );
    assert!(!all_pass(&v));

    let table = archsim::report::terminal::render(&exp, &v);
    let cell = |label: &str| {
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in:\n{table}"));
        line[line.find(label).unwrap() + label.len()..]
            .trim()
            .to_string()
    };
    assert_eq!(cell("p50 completion"), "-");
    assert_eq!(cell("p99 completion"), "-");
    assert_eq!(cell("completed fully"), "-");
    assert_ne!(cell("p99 response "), "-");
    assert!(table.contains("FAIL (nothing measured)"), "{table}");
    // The worker finished no execution: no sojourn, no λW to give.
    let worker = exp.variants[0]
        .summary
        .services
        .iter()
        .find(|s| s.name == "worker");
    assert_eq!(worker.map(|w| w.completed.mean), Some(0.0));
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.trim_start().starts_with("worker "))
        .expect("a services row for worker")
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(row.iter().filter(|&&c| c == "-").count(), 3, "{row:?}");
}

/// A consumer that serves one message a second behind a queue fed ten a second: nine
/// in ten requests are still waiting when the run ends. The completion p99 of those
/// that completed meets a generous target, and the verdict says how many it leaves out.
#[test]
fn a_completion_target_says_how_many_requests_never_finished() {
    let toml = r#"
[simulation]
duration = "60s"
replications = 2
[brokers.rabbit]
queues.jobs = { consumer = "worker.run" }
[services.front]
operations.accept = { work = "1ms", steps = [ { send = "rabbit.jobs" } ] }
[services.worker]
workers = 1
operations.run = { work = "1s" }
[[workload]]
flow = "jobs"
entry = "front.accept"
arrivals = { poisson = "10/s" }
[[slo]]
flow = "jobs"
completion_p99 = "1h"
"#;
    let sc = common::scenario(toml);
    let exp = common::experiment(&sc);
    let v = evaluate(&sc, &exp);
    let done = &v[0].checks[0];
    assert_eq!(
        (done.metric.as_str(), done.pass),
        ("completion_p99", Some(true))
    );
    let share = done.unfinished.expect("the share left out is given");
    assert!((0.8..0.95).contains(&share), "{share}");
    let note = done.note.as_deref().unwrap();
    assert!(
        note.ends_with("of the requests were still in progress when the run ended: the p99 is of those that completed"),
        "{note}"
    );
    let table = archsim::report::terminal::render(&exp, &v);
    assert!(
        table.contains(&format!("PASS ({:.2}% unfinished)", 100.0 * share)),
        "{table}"
    );
    // A flow whose requests all complete has no such remark.
    let quick = common::scenario(&toml.replace("work = \"1s\"", "work = \"10ms\""));
    let v = evaluate(&quick, &common::experiment(&quick));
    assert_eq!(
        (v[0].checks[0].pass, v[0].checks[0].unfinished),
        (Some(true), None)
    );
}
