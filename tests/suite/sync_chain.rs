//! The synchronous chain's real failure mode: callers hold a worker while they wait.

use crate::common;

use archsim::experiment::Summary;
use common::{run, scenario};

/// gateway -> order -> payment -> bank, 20 workers and 20 queue slots per tier,
/// 2 checkouts/s. `bank_work` is the bank's service time, `timeout` an optional
/// timeout on payment -> bank.
fn chain(bank_work: &str, timeout: Option<&str>) -> Summary {
    let timeout = timeout
        .map(|t| format!(", timeout = \"{t}\""))
        .unwrap_or_default();
    let toml = format!(
        r#"
[simulation]
seed = 7
duration = "300s"
warmup = "0s"
replications = 4

[network]
latency = "1ms"

[services.gateway]
workers = 20
queue = 20
operations.checkout = {{ work = "1ms", steps = [ {{ call = "order.place" }} ] }}

[services.order]
workers = 20
queue = 20
operations.place = {{ work = "2ms", steps = [ {{ call = "payment.charge" }} ] }}

[services.payment]
workers = 20
queue = 20
operations.charge = {{ work = "5ms", steps = [ {{ call = "bank.authorize"{timeout} }} ] }}

[services.bank]
workers = 1000
queue = 1000
operations.authorize = {{ work = {{ dist = "exp", mean = "{bank_work}" }} }}

[[workload]]
flow = "checkout"
entry = "gateway.checkout"
arrivals = {{ poisson = "2/s" }}
"#
    );
    run(&scenario(&toml))
}

#[test]
fn healthy_chain_latency_is_the_sum_of_the_hops() {
    let s = chain("3s", None);
    let f = &s.flows[0];
    assert!(f.success_rate.mean > 0.999, "success {:?}", f.success_rate);
    // 8 network hops of 1 ms + 8 ms of work + 3 s at the bank.
    let expected_ms = 3000.0 + 8.0 + 8.0;
    assert!(
        f.latency.mean.contains(expected_ms, 0.0),
        "mean {:?} vs {expected_ms}",
        f.latency.mean
    );
    for name in ["gateway", "order", "payment"] {
        assert!(
            s.service(name).unwrap().utilization.mean < 0.5,
            "{name} busy in the healthy run"
        );
    }
}

#[test]
fn a_slow_bank_exhausts_workers_hop_after_hop_until_the_gateway_rejects() {
    let s = chain("30s", None);
    for name in ["payment", "order", "gateway"] {
        let u = s.service(name).unwrap().utilization.mean;
        assert!(u > 0.9, "{name} utilization {u:.3} should be saturated");
    }
    let gw = s.service("gateway").unwrap();
    assert!(
        gw.rejected.mean > 0.0,
        "the gateway should reject once its workers and queue are full"
    );
    let f = &s.flows[0];
    // The gateway rejects, but its workers are held by calls stuck at the bank: the
    // rejections are root-caused to the bank (DESIGN section 3: follow the chain of
    // in-progress calls to the deepest one).
    let rejected = f
        .failures_by_root_cause
        .iter()
        .find(|x| x.reason == "rejected: queue full" && x.root_cause.as_deref() == Some("bank"))
        .expect("rejections root-caused to the bank");
    assert!(
        rejected.rate.mean > 0.3,
        "share rejected {:?}",
        rejected.rate
    );
    assert!(
        f.cascade_rate.mean > 0.3,
        "they are cascade failures: {:?}",
        f.cascade_rate
    );
}

#[test]
fn a_timeout_shorter_than_the_slow_bank_fails_fast_and_keeps_the_gateway_available() {
    let slow = chain("30s", None);
    let guarded = chain("30s", Some("4s"));
    let gw = guarded.service("gateway").unwrap();
    assert_eq!(
        gw.rejected.mean, 0.0,
        "no rejections at the gateway with the timeout"
    );
    assert!(
        gw.utilization.mean < 0.5,
        "gateway utilization {:?}",
        gw.utilization
    );
    let f = &guarded.flows[0];
    let timeouts = f
        .failures_by_root_cause
        .iter()
        .find(|x| x.reason == "timeout" && x.root_cause.as_deref() == Some("bank"))
        .expect("timeouts rooted at the bank");
    // Exp(30 s) exceeds 4 s with probability e^{-4/30} = 0.875.
    assert!(
        (timeouts.rate.mean - (-4.0f64 / 30.0).exp()).abs() < 0.03,
        "timeout share {:?}",
        timeouts.rate
    );
    // Failing fast: the failures come back after ~4 s, not after the bank's 30 s.
    assert!(f.latency.p99.mean < 4100.0, "p99 {:?}", f.latency.p99);
    assert!(f.latency.mean.mean < slow.flows[0].latency.mean.mean);
}
