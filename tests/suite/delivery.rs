//! Messaging semantics (issue 13, item 5): a queue's `concurrency` counts messages
//! being processed, the delivery latency holds no consumer slot, and every queue or
//! topic subscription reports its delivery latency (publish -> processed). Tolerances
//! from the replications' 95% confidence intervals, as in `theory`.

use crate::common::{run, scenario, theory_header};
use crate::theory::assert_in_ci;
use archsim::experiment::{QueueSummary, Summary};

fn queue<'a>(s: &'a Summary, name: &str) -> &'a QueueSummary {
    s.queues.iter().find(|q| q.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = s.queues.iter().map(|q| q.name.as_str()).collect();
        panic!("queue {name} not in {names:?}")
    })
}

#[test]
fn one_consumer_with_1ms_delivery_is_mm1_plus_1ms() {
    // Poisson sends at 800/s, one message processed at a time, exponential 1 ms: the
    // consumer is an M/M/1 at rho 0.8 (sojourn mean 1 / (mu - lambda) = 5 ms, p99
    // ln(100) / (mu - lambda)), and every message first spends the constant 1 ms on its
    // way. (Were the delivery inside the consumer slot, the service would be 2 ms and
    // the queue unstable.)
    let toml = theory_header(61, "120s", "10s", 16)
        + r#"
[brokers.mq]
publish_latency = "0s"
delivery_latency = "1ms"
queues.jobs = { consumer = "worker.process", concurrency = 1 }
[services.front]
workers = 100000
operations.submit = { steps = [ { send = "mq.jobs" } ] }
[services.worker]
workers = 8
operations.process = { work = { dist = "exp", mean = "1ms" } }
[[workload]]
flow = "jobs"
entry = "front.submit"
arrivals = { poisson = "800/s" }
"#;
    let s = run(&scenario(&toml));
    let d = &queue(&s, "mq.jobs").delivery_latency;
    eprintln!("M/M/1 + 1 ms: mean {:?}, p99 {:?}", d.mean, d.p99);
    assert_in_ci("delivery mean (ms)", d.mean, 1.0 + 5.0, 0.0);
    assert_in_ci("delivery p99 (ms)", d.p99, 1.0 + 100f64.ln() * 5.0, 0.002);
    // The flow's completion is the same thing seen from the request.
    let c = s.flows[0]
        .completion
        .as_ref()
        .expect("completion")
        .latency
        .mean;
    assert_in_ci("completion mean (ms)", c, 6.0, 0.0);
}

#[test]
fn fan_out_subscribers_each_wait_like_their_own_mm1() {
    // Three subscribers of one topic, one message at a time each, exponential means 1,
    // 2 and 4 ms at 100/s (rho 0.1, 0.2, 0.4), 1 ms delivery: each subscription's
    // delivery mean is 1 ms + its own M/M/1 sojourn E[S] / (1 - rho).
    let toml = theory_header(64, "200s", "10s", 20)
        + r#"
[brokers.bus]
publish_latency = "0s"
delivery_latency = "1ms"
topics.events = { subscribers = ["a.on", "b.on", "c.on"], concurrency = 1 }
[services.front]
workers = 100000
operations.emit = { steps = [ { publish = "bus.events" } ] }
[services.a]
workers = 10
operations.on = { work = { dist = "exp", mean = "1ms" } }
[services.b]
workers = 10
operations.on = { work = { dist = "exp", mean = "2ms" } }
[services.c]
workers = 10
operations.on = { work = { dist = "exp", mean = "4ms" } }
[[workload]]
flow = "events"
entry = "front.emit"
arrivals = { poisson = "100/s" }
"#;
    let s = run(&scenario(&toml));
    let names: Vec<String> = s.queues.iter().map(|q| q.name.clone()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let theory = |es: f64| 1.0 + es / (1.0 - 100.0 * es / 1e3);
    for (q, es) in s.queues.iter().zip([1.0, 2.0, 4.0]) {
        let t = theory(es);
        eprintln!(
            "{}: delivery mean {:?} vs {t:.4}",
            q.name, q.delivery_latency.mean
        );
    }
    for (q, es) in s.queues.iter().zip([1.0, 2.0, 4.0]) {
        assert_in_ci(&q.name, q.delivery_latency.mean, theory(es), 0.0);
    }
}

#[test]
fn delivery_latency_is_in_the_json_and_deterministic() {
    let toml = theory_header(63, "5s", "1s", 2)
        + r#"
[brokers.mq]
delivery_latency = { dist = "exp", mean = "2ms" }
queues.jobs = { consumer = "worker.process", concurrency = 2, ordered = true }
[services.front]
workers = 1000
operations.submit = { steps = [ { send = "mq.jobs" } ] }
[services.worker]
workers = 4
operations.process = { work = { dist = "exp", mean = "1ms" }, error = 0.05 }
[[workload]]
flow = "jobs"
entry = "front.submit"
arrivals = { poisson = "500/s" }
"#;
    let a = serde_json::to_value(run(&scenario(&toml))).unwrap();
    let b = serde_json::to_value(run(&scenario(&toml))).unwrap();
    assert_eq!(a, b);
    let d = &a["queues"][0]["delivery_latency"];
    assert!(
        d["p99"]["mean"].as_f64().unwrap() > d["p50"]["mean"].as_f64().unwrap(),
        "{d}"
    );
}
