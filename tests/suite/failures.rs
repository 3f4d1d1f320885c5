//! Failures, resilience policies and cascade attribution (issue 3), by behaviour.

use crate::common;

use archsim::experiment::Summary;
use common::{run, scenario, scenario_file};

/// gateway -> order -> payment -> bank plus gateway -> catalog, with `extra` TOML
/// appended (faults, policies).
fn shop(payment_step_extra: &str, extra: &str) -> String {
    format!(
        r#"
[simulation]
seed = 5
duration = "200s"
warmup = "20s"
replications = 4

[network]
latency = "1ms"

[protocols.rest]
per_message = "0s"
per_kib = "0s"

[services.gateway]
workers = 200
queue = 100
operations.checkout = {{ steps = [ {{ call = "order.place" }} ] }}
operations.browse = {{ steps = [ {{ call = "catalog.list" }} ] }}

[services.catalog]
workers = 50
operations.list = {{ work = {{ dist = "exp", mean = "2ms" }} }}

[services.order]
workers = 200
operations.place = {{ work = "2ms", steps = [ {{ call = "payment.charge" }} ] }}

[services.payment]
workers = 200
operations.charge = {{ work = "5ms", steps = [ {{ call = "bank.authorize"{payment_step_extra} }} ] }}

[services.bank]
workers = 200
queue = 1000
operations.authorize = {{ work = {{ dist = "exp", mean = "300ms" }} }}

[[workload]]
flow = "checkout"
entry = "gateway.checkout"
arrivals = {{ poisson = "20/s" }}

[[workload]]
flow = "browse"
entry = "gateway.browse"
arrivals = {{ poisson = "100/s" }}
{extra}
"#
    )
}

fn timeline_failures(s: &Summary, flow: usize) -> Vec<(f64, f64)> {
    let t = &s.timeline;
    t.t_s
        .iter()
        .copied()
        .zip(t.flows[flow].failure_rate.iter().copied())
        .collect()
}

#[test]
fn bank_down_fails_checkouts_only_in_the_window_root_caused_to_the_bank() {
    let s = run(&scenario(&shop(
        "",
        "[[fault]]\ntarget = \"bank\"\nkind = \"crash\"\nat = \"100s\"\nduration = \"20s\"\n",
    )));
    let checkout = s.flow("checkout").unwrap();
    // Every checkout failure is a connection error at the bank: a cascade failure.
    assert!(!checkout.failures_by_root_cause.is_empty());
    for f in &checkout.failures_by_root_cause {
        assert_eq!(
            (f.reason.as_str(), f.root_cause.as_deref()),
            ("connection error", Some("bank"))
        );
    }
    assert!((checkout.cascade_rate.mean - (1.0 - checkout.success_rate.mean)).abs() < 1e-9);
    let w = s.faults[0]
        .window
        .as_ref()
        .expect("scheduled window analysed");
    assert!(
        w.flows[0].failure_rate.mean > 0.99,
        "{:?}",
        w.flows[0].failure_rate
    );
    assert!(w.flows[0].cascade_rate.mean > 0.99);
    assert_eq!(
        w.flows[1].failure_rate.mean, 0.0,
        "browse never touches the bank"
    );
    // Outside the window (responses by interval end time) there are none.
    for (t, rate) in timeline_failures(&s, 0) {
        if t <= 100.0 || t > 121.0 {
            assert_eq!(
                rate, 0.0,
                "checkout failures at {t} s, outside the fault window"
            );
        }
    }
    let rec = w.flows[0].recovery_s.expect("recovery time reported");
    assert_eq!(w.flows[0].recovered_in, 4);
    assert!(
        rec.mean < 2.0,
        "recovers within a couple of intervals: {rec:?}"
    );
}

#[test]
fn slow_bank_without_timeouts_causes_collateral_failures_and_guards_cut_them_tenfold() {
    let slow = run(&scenario_file("scenarios/failures/checkout-bank-slow.toml"));
    let guarded = run(&scenario_file(
        "scenarios/failures/checkout-bank-slow-guarded.toml",
    ));
    let w = slow.faults[0].window.as_ref().unwrap();
    let browse = w.flows.iter().find(|f| f.flow == "browse").unwrap();
    assert!(
        browse.collateral_rate.mean > 0.05,
        "browse collateral {:?}",
        browse.collateral_rate
    );
    let radius: Vec<&str> = w.blast_radius.iter().map(|b| b.service.as_str()).collect();
    for svc in ["gateway", "order", "payment"] {
        assert!(radius.contains(&svc), "{svc} in blast radius {radius:?}");
    }
    assert!(!radius.contains(&"catalog") && !radius.contains(&"bank"));
    let gw = guarded.faults[0].window.as_ref().unwrap();
    let guarded_browse = gw.flows.iter().find(|f| f.flow == "browse").unwrap();
    assert!(
        guarded_browse.collateral_rate.mean * 10.0 <= browse.collateral_rate.mean,
        "guarded collateral {:?} vs unguarded {:?}",
        guarded_browse.collateral_rate,
        browse.collateral_rate
    );
    // Over the whole run too.
    let all = |s: &Summary| s.flow("browse").unwrap().collateral_rate.mean;
    assert!(all(&guarded) * 10.0 <= all(&slow));
}

#[test]
fn retries_without_backoff_amplify_load_more_than_backoff_jitter_and_budget() {
    let storm = run(&scenario_file("scenarios/failures/retry-storm.toml"));
    let tamed = run(&scenario_file("scenarios/failures/retry-storm-budget.toml"));
    let amp = |s: &Summary| s.sites[0].amplification;
    assert!(
        amp(&storm).mean > 2.0,
        "storm amplification {:?}",
        amp(&storm)
    );
    assert!(
        amp(&tamed).high() < amp(&storm).low(),
        "{:?} vs {:?}",
        amp(&tamed),
        amp(&storm)
    );
    assert!(
        amp(&tamed).mean <= 1.1,
        "the budget caps retries near 10%: {:?}",
        amp(&tamed)
    );
}

#[test]
fn aggressive_retries_make_the_failure_metastable_and_a_budget_recovers() {
    let storm = run(&scenario_file("scenarios/failures/retry-storm.toml"));
    let tamed = run(&scenario_file("scenarios/failures/retry-storm-budget.toml"));
    let w = |s: &Summary| s.faults[0].window.clone().unwrap().flows[0].clone();
    assert_eq!(
        w(&storm).recovered_in,
        0,
        "never recovers after the trigger ended"
    );
    assert!(w(&storm).recovery_s.is_none());
    // Still failing at the end of the run.
    let last = *storm.timeline.flows[0].failure_rate.last().unwrap();
    assert!(last > 0.5, "failure rate at the end {last}");
    assert_eq!(w(&tamed).recovered_in, tamed.replications);
    assert!(w(&tamed).recovery_s.unwrap().mean < 20.0);
}

#[test]
fn circuit_breaker_transitions_happen_at_the_predicted_times() {
    // Constant arrivals every 100 ms, zero network delay: calls at k x 0.1 s. The
    // dependency crashes from 20 s to 50 s, so calls fail from 20.0 s on. With a 10 s
    // window, at the k-th failure (t = 20 + 0.1(k - 1)) the window holds k failures
    // and 100 - k successes: the ratio reaches 0.5 at k = 50, t = 24.9 s. Open for 5 s:
    // half-open at 29.9 s, scheduled before the call of 29.9 s (events at equal times
    // run in scheduling order), so that call is the probe; it fails: open again. The
    // same every 5 s until the probe at 54.9 s, after the restart at 50 s, succeeds.
    let toml = r#"
[simulation]
seed = 1
duration = "60s"
replications = 1
[network]
latency = "0s"
[protocols.rest]
per_message = "0s"
per_kib = "0s"
[services.front]
workers = 1000
operations.go = { steps = [ { call = "dep.do", circuit_breaker = { failure_ratio = 0.5, window = "10s", min_calls = 10, open = "5s", probes = 1 } } ] }
[services.dep]
workers = 1000
operations.do = { work = "0s" }
[[workload]]
flow = "f"
entry = "front.go"
arrivals = { constant = "10/s" }
[[fault]]
target = "dep"
kind = "crash"
at = "20s"
duration = "30s"
"#;
    let s = run(&scenario(toml));
    let got: Vec<(String, String, String)> = s
        .breaker_transitions
        .iter()
        .map(|t| {
            (
                format!("{:.1}", t.time_s),
                format!("{:?}", t.from),
                format!("{:?}", t.to),
            )
        })
        .collect();
    let mut want = vec![("24.9", "Closed", "Open")];
    for t in ["29.9", "34.9", "39.9", "44.9", "49.9"] {
        want.push((t, "Open", "HalfOpen"));
        want.push((t, "HalfOpen", "Open"));
    }
    want.push(("54.9", "Open", "HalfOpen"));
    want.push(("54.9", "HalfOpen", "Closed"));
    let want: Vec<(String, String, String)> = want
        .into_iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn conservation_holds_in_every_shipped_fault_scenario() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/failures");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for f in files {
        let mut sc = archsim::spec::load(&f).unwrap();
        sc.sim.replications = 2;
        let s = archsim::experiment::run(&sc).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for c in &s.conservation {
            assert!(c.balances(), "{}: {c:?}", f.display());
            assert!(
                c.executions_lost > 0 || !f.to_string_lossy().contains("down"),
                "crash loses work"
            );
        }
    }
}

#[test]
fn stochastic_failures_reach_the_availability_mtbf_over_mtbf_plus_mttr() {
    let toml = r#"
[simulation]
seed = 9
duration = "20000s"
replications = 10
timeline = "100s"
[network]
latency = "0s"
[services.s]
workers = 1
operations.op = { work = "1ms" }
[[workload]]
flow = "f"
entry = "s.op"
arrivals = { poisson = "1/s" }
[[fault]]
target = "s"
kind = "crash"
mtbf = { dist = "exp", mean = "60s" }
mttr = { dist = "exp", mean = "15s" }
"#;
    let s = run(&scenario(toml));
    let a = s.faults[0].availability;
    assert!(
        a.contains(0.8, 0.0),
        "availability {a:?} vs 60/(60+15) = 0.8"
    );
    assert!(a.ci95 < 0.02, "a long run pins it down: {a:?}");
    assert!(s.faults[0].activations.mean > 200.0);
    // Requests during down time fail with connection errors at s: about 20% of them.
    let f = &s.flows[0];
    assert!(
        (1.0 - f.success_rate.mean - 0.2).abs() < 0.02,
        "{:?}",
        f.success_rate
    );
}

#[test]
fn a_hung_service_makes_callers_time_out_and_a_partition_is_root_caused_to_the_link() {
    let hang = run(&scenario(&shop(
        ", timeout = \"1s\"",
        "[[fault]]\ntarget = \"bank\"\nkind = \"hang\"\nat = \"100s\"\nduration = \"10s\"\n",
    )));
    let c = hang.flow("checkout").unwrap();
    let t = c
        .failures_by_root_cause
        .iter()
        .find(|f| f.reason == "timeout")
        .expect("timeouts");
    assert_eq!(t.root_cause.as_deref(), Some("bank"));
    let part = run(&scenario(&shop(
        ", timeout = \"1s\"",
        "[[fault]]\ntarget = \"payment->bank\"\nkind = \"partition\"\nat = \"100s\"\nduration = \"10s\"\n",
    )));
    let c = part.flow("checkout").unwrap();
    // About 200 checkouts are sent into the 10 s partition; (a few % of checkouts time
    // out all run long because exp(300 ms) sometimes exceeds 1 s: those are the bank's.)
    let lost = c
        .failures_by_root_cause
        .iter()
        .find(|f| f.reason == "timeout" && f.root_cause.as_deref() == Some("network:payment->bank"))
        .expect("timeouts root-caused to the partitioned link");
    assert!(lost.count.mean > 150.0, "{lost:?}");
    assert!(part.lost_messages.mean > 100.0);
    assert_eq!(
        part.flow("browse").unwrap().success_rate.mean,
        1.0,
        "other links unaffected"
    );
}

#[test]
fn crashing_one_of_two_replicas_fails_about_half_the_calls_it_receives() {
    let toml = shop("", "").replace("[services.bank]\n", "[services.bank]\nreplicas = 2\n")
        + "[[fault]]\ntarget = \"bank#1\"\nkind = \"crash\"\nat = \"50s\"\nduration = \"100s\"\n";
    let s = run(&scenario(&toml));
    let w = s.faults[0].window.as_ref().unwrap();
    let rate = w.flows[0].failure_rate.mean;
    assert!(
        (rate - 0.5).abs() < 0.05,
        "round robin sends half the calls to the dead replica: {rate}"
    );
}

#[test]
fn fallback_turns_failures_into_degraded_successes_and_hedging_cuts_the_tail() {
    let fb = run(&scenario(&shop(
        ", timeout = \"1s\", fallback = \"1ms\"",
        "[[fault]]\ntarget = \"bank\"\nkind = \"crash\"\nat = \"100s\"\nduration = \"20s\"\n",
    )));
    let c = fb.flow("checkout").unwrap();
    assert_eq!(c.success_rate.mean, 1.0, "every failure fell back");
    assert!(
        c.degraded_rate.mean > 0.08,
        "about 20 s of 180 s degraded: {:?}",
        c.degraded_rate
    );
    assert!(fb.sites.iter().any(|x| x.fallbacks.mean > 0.0));

    // Bank: usually 10 ms, 2% of the time 2 s. Hedging after 50 ms makes a second slow
    // draw necessary for a slow answer.
    let tail = |hedge: &str| {
        let toml = shop(hedge, "").replace(
            r#"operations.authorize = { work = { dist = "exp", mean = "300ms" } }"#,
            r#"operations.authorize = { work = { dist = "empirical", values = ["10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","10ms","2s"] } }"#,
        );
        run(&scenario(&toml))
    };
    let plain = tail("");
    let hedged = tail(", hedge = \"50ms\"");
    let p99 = |s: &Summary| s.flow("checkout").unwrap().latency.p99.mean;
    assert!(p99(&plain) > 1900.0, "plain p99 {}", p99(&plain));
    assert!(p99(&hedged) < 200.0, "hedged p99 {}", p99(&hedged));
    assert!(hedged.sites[0].hedges.mean > 0.0);
}

#[test]
fn deadline_propagation_stops_wasted_work_and_rate_limits_reject_at_the_entry() {
    let base = shop("", "").replace(
        r#"arrivals = { poisson = "20/s" }"#,
        r#"arrivals = { poisson = "20/s" }
timeout = "100ms""#,
    );
    // The bank takes 300 ms on average: most checkouts time out at the client.
    let without = run(&scenario(&base));
    let with = run(&scenario(&base.replace(
        "timeout = \"100ms\"",
        "timeout = \"100ms\"\ndeadline = true",
    )));
    let bank = |s: &Summary| s.service("bank").unwrap().utilization.mean;
    assert!(
        bank(&with) < 0.5 * bank(&without),
        "bank busy {} vs {}",
        bank(&with),
        bank(&without)
    );
    let limited = run(&scenario(&shop("", "").replace(
        r#"arrivals = { poisson = "100/s" }"#,
        r#"arrivals = { poisson = "100/s" }
rate_limit = { rate = "50/s", burst = 10 }"#,
    )));
    let b = limited.flow("browse").unwrap();
    let r = b
        .failures
        .iter()
        .find(|f| f.reason == "rejected: rate limited")
        .expect("rate limited");
    assert!(
        (r.rate.mean - 0.5).abs() < 0.03,
        "half the browse requests exceed 50/s: {:?}",
        r.rate
    );
    assert_eq!(
        b.cascade_rate.mean, 0.0,
        "refused at the entry: not a cascade"
    );
}

/// A crash that takes a caller and its callee together (both on one replica) loses both
/// executions; the callee sends no reply, so none counts as late (it once counted one
/// per pair, for a reply never sent). The pairs are there: every request is in flight
/// through `front.handle -> front.inner` when the crash comes.
#[test]
fn a_crash_taking_a_caller_with_its_callee_counts_no_late_reply() {
    let sc = scenario(
        r#"
[simulation]
seed = 3
duration = "60s"
replications = 2
[network]
latency = "0s"
[protocols.rest]
per_message = "0s"
per_kib = "0s"
[services.front]
workers = 400
queue = 0
operations.handle = { steps = [ { call = "front.inner" } ] }
operations.inner = { work = { dist = "constant", value = "500ms" } }
[[workload]]
flow = "pairs"
entry = "front.handle"
arrivals = { poisson = "100/s" }
[[fault]]
target = "front"
kind = "crash"
at = "20s"
duration = "1s"
"#,
    );
    let s = run(&sc);
    let f = &s.flows[0];
    let failed: f64 = f.failures.iter().map(|x| x.count.mean).sum();
    assert!(
        failed > 20.0,
        "the crash must fail the pairs in flight: {failed}"
    );
    assert_eq!(s.late_replies.mean, 0.0, "no reply was sent late");
}
