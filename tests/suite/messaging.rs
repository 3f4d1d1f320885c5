//! Asynchronous messaging (issue 4): queues, topics, request-reply, at-least-once.

use crate::common;

use archsim::experiment::{Estimate, Summary};
use common::{run, scenario, scenario_file, theory_header};

fn queue<'a>(s: &'a Summary, name: &str) -> &'a archsim::experiment::QueueSummary {
    s.queues
        .iter()
        .find(|q| q.name == name)
        .unwrap_or_else(|| panic!("queue {name}"))
}

#[test]
fn checkout_async_answers_in_milliseconds_and_completes_with_the_bank() {
    let s = run(&scenario_file("scenarios/messaging/checkout-async.toml"));
    let f = s.flow("checkout").unwrap();
    assert!(
        f.latency.p99.mean < 100.0,
        "response p99 {:?} ms",
        f.latency.p99
    );
    let c = f.completion.as_ref().expect("completion reported");
    // The bank's median is 3 s; completion cannot be faster and is not much slower.
    assert!(
        c.latency.p50.mean > 3000.0 && c.latency.p50.mean < 3600.0,
        "completion p50 {:?}",
        c.latency.p50
    );
    // Bank down 20 s: zero client-visible failures, backlog up then drained, nothing lost.
    assert_eq!(f.success_rate.mean, 1.0);
    assert_eq!(f.failures.len(), 0);
    let w = s.faults[0].window.as_ref().unwrap();
    let payments = w
        .queues
        .iter()
        .find(|q| q.queue == "rabbit.payments")
        .unwrap();
    assert!(
        payments.peak_depth.mean > 100.0,
        "backlog grows: {:?}",
        payments.peak_depth
    );
    assert_eq!(
        payments.drained_in, s.replications,
        "drains after the fault in every replication"
    );
    assert!(payments.drain_s.unwrap().mean > 0.0);
    let q = queue(&s, "rabbit.payments");
    assert_eq!(q.lost.mean, 0.0);
    assert_eq!(q.dead_lettered.mean, 0.0);
    for c in &s.conservation {
        assert!(c.balances());
    }
}

#[test]
fn a_broker_crash_loses_non_durable_messages_counted_and_conservation_balances() {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/messaging/checkout-async.toml"
    ))
    .unwrap();
    let crash = "\n[[fault]]\nname = \"rabbit crash\"\ntarget = \"rabbit\"\nkind = \"crash\"\nat = \"3m\"\nduration = \"5s\"\n";
    let durable = run(&scenario(&(base.clone() + crash)));
    let volatile = run(&scenario(
        &(base.replace("durable = true", "durable = false") + crash),
    ));
    assert_eq!(
        queue(&durable, "rabbit.payments").lost.mean,
        0.0,
        "durable queues survive"
    );
    let lost = queue(&volatile, "rabbit.payments").lost;
    assert!(
        lost.mean > 10.0,
        "the backlog of a non-durable queue is lost: {lost:?}"
    );
    for c in &volatile.conservation {
        assert!(c.balances(), "{c:?}");
        assert!(c.messages_lost > 0);
    }
    let f = volatile
        .flow("checkout")
        .unwrap()
        .completion
        .as_ref()
        .unwrap();
    assert!(
        f.success_rate.mean < 1.0,
        "lost messages fail their requests' completion"
    );
}

#[test]
fn fan_out_subscribers_fail_independently_and_the_backlog_drains() {
    let faulted = scenario_file("scenarios/messaging/order-events-fanout.toml");
    let mut healthy = faulted.clone();
    healthy.faults.clear();
    let (a, b) = (run(&faulted), run(&healthy));
    for name in ["payment", "inventory"] {
        let (x, y) = (
            a.service(name).unwrap().mean_sojourn,
            b.service(name).unwrap().mean_sojourn,
        );
        assert!(
            (x.mean - y.mean).abs() <= x.ci95 + y.ci95,
            "{name}: {x:?} with the email fault vs {y:?} without"
        );
        let qa = a
            .queues
            .iter()
            .find(|q| q.name.ends_with(name_op(name)))
            .unwrap();
        assert!(qa.peak_depth.mean <= 5.0, "{name} never backs up");
    }
    let w = a.faults[0].window.as_ref().unwrap();
    let email = w
        .queues
        .iter()
        .find(|q| q.queue.ends_with("email.confirm"))
        .unwrap();
    assert!(
        email.peak_depth.mean > 1000.0,
        "email's backlog grows while it is down"
    );
    assert_eq!(email.drained_in, a.replications, "and drains afterwards");
}

fn name_op(service: &str) -> &'static str {
    match service {
        "payment" => "payment.on_order",
        _ => "inventory.reserve",
    }
}

/// Erlang C probability of waiting (see tests/theory.rs).
fn erlang_c(c: u32, a: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let top = term * a / c as f64 / (1.0 - a / c as f64);
    top / (sum + top)
}

#[test]
fn a_queue_with_c_consumers_waits_like_mmc() {
    // Poisson publishes at 3200/s, 4 consumers, exponential processing of 1 ms: M/M/4
    // at rho = 0.8. Zero broker latencies, so the publish -> delivery wait is Wq.
    let toml = theory_header(51, "200s", "20s", 20)
        + r#"
[brokers.mq]
publish_latency = "0s"
delivery_latency = "0s"
queues.jobs = { consumer = "worker.process", concurrency = 4 }
[services.front]
workers = 100000
operations.submit = { steps = [ { send = "mq.jobs" } ] }
[services.worker]
workers = 4
operations.process = { work = { dist = "exp", mean = "1ms" } }
[[workload]]
flow = "jobs"
entry = "front.submit"
arrivals = { poisson = "3200/s" }
"#;
    let s = run(&scenario(&toml));
    let wq_ms = erlang_c(4, 3.2) / (4000.0 - 3200.0) * 1e3;
    let wait = queue(&s, "mq.jobs").mean_wait_ms;
    assert!(
        wait.contains(wq_ms, 0.0),
        "queue wait {wait:?} vs Erlang C {wq_ms:.4} ms"
    );
    assert!(wait.ci95 < 0.1 * wq_ms);
    // Completion = wait + service.
    let c = s.flows[0].completion.as_ref().unwrap().latency.mean;
    assert!(c.contains(wq_ms + 1.0, 0.0), "completion {c:?}");
}

#[test]
fn fan_out_completion_is_the_max_over_subscribers() {
    // Three subscribers with exponential processing (means 1, 2, 4 ms), ample consumers
    // (no queueing): completion = E[max of three independent exponentials].
    let toml = theory_header(52, "100s", "5s", 20)
        + r#"
[brokers.bus]
publish_latency = "0s"
delivery_latency = "0s"
topics.events = { subscribers = ["a.on", "b.on", "c.on"], concurrency = 1000 }
[services.front]
workers = 100000
operations.emit = { steps = [ { publish = "bus.events" } ] }
[services.a]
workers = 1000
operations.on = { work = { dist = "exp", mean = "1ms" } }
[services.b]
workers = 1000
operations.on = { work = { dist = "exp", mean = "2ms" } }
[services.c]
workers = 1000
operations.on = { work = { dist = "exp", mean = "4ms" } }
[[workload]]
flow = "events"
entry = "front.emit"
arrivals = { poisson = "500/s" }
"#;
    let s = run(&scenario(&toml));
    let (a, b, c) = (1.0, 0.5, 0.25); // rates per ms
    let e_max = 1.0 / a + 1.0 / b + 1.0 / c - 1.0 / (a + b) - 1.0 / (a + c) - 1.0 / (b + c)
        + 1.0 / (a + b + c);
    let got: Estimate = s.flows[0].completion.as_ref().unwrap().latency.mean;
    assert!(
        got.contains(e_max, 0.0),
        "completion {got:?} vs E[max] {e_max:.4} ms"
    );
    assert!(got.mean > 4.0, "more than the slowest subscriber's mean");
}

#[test]
fn request_reply_matches_replies_and_times_out_into_the_continuation() {
    let s = run(&scenario_file(
        "scenarios/messaging/bank-request-reply.toml",
    ));
    let order = s.service("order").unwrap();
    // Every request runs exactly one continuation: on_authorized or on_auth_timeout,
    // so order admits two executions per checkout (place + one continuation).
    let f = s.flow("checkout").unwrap();
    let rate = f.requests.mean / (s.duration_s - s.warmup_s);
    assert!(
        (order.arrival_rate.mean / rate - 2.0).abs() < 0.02,
        "{} vs {rate}",
        order.arrival_rate.mean
    );
    assert!(
        s.reply_timeouts.mean > 100.0,
        "the slow bank makes replies time out"
    );
    assert!(
        s.late_replies.mean > 0.0,
        "late replies are counted and discarded"
    );
    let c = f.completion.as_ref().unwrap();
    assert!(c.success_rate.mean < 0.95 && c.success_rate.mean > 0.3);
    // Without the fault, every reply arrives in time.
    let mut healthy = scenario_file("scenarios/messaging/bank-request-reply.toml");
    healthy.faults.clear();
    let h = run(&healthy);
    assert!(h.reply_timeouts.mean < 1.0, "{:?}", h.reply_timeouts);
    assert!(
        h.flow("checkout")
            .unwrap()
            .completion
            .as_ref()
            .unwrap()
            .success_rate
            .mean
            > 0.999
    );
}

#[test]
fn a_consumer_crash_redelivers_with_a_duplicate_and_poison_messages_are_dead_lettered() {
    let toml = |work: &str, consumer_error: f64, fault: &str| {
        theory_header(53, "60s", "0s", 2).replace("latency = \"0s\"", "latency = \"1ms\"")
            + &format!(
                r#"
[brokers.mq]
redelivery_delay = "100ms"
queues.jobs = {{ consumer = "worker.process", concurrency = 20, max_deliveries = 3 }}
[services.front]
workers = 1000
operations.submit = {{ steps = [ {{ send = "mq.jobs" }} ] }}
[services.worker]
workers = 20
operations.process = {{ work = "{work}", error = {consumer_error} }}
[[workload]]
flow = "jobs"
entry = "front.submit"
arrivals = {{ constant = "20/s" }}
{fault}
"#
            )
    };
    // About 10 messages are being processed when the workers crash.
    let crash = run(&scenario(&toml(
        "500ms",
        0.0,
        "[[fault]]\ntarget = \"worker\"\nkind = \"crash\"\nat = \"30s\"\nduration = \"1s\"\n",
    )));
    let q = queue(&crash, "mq.jobs");
    assert!(
        q.redeliveries.mean >= 5.0,
        "in-flight messages are redelivered: {:?}",
        q.redeliveries
    );
    assert!(
        q.duplicates.mean >= 5.0,
        "and processed twice: {:?}",
        q.duplicates
    );
    assert_eq!(q.dead_lettered.mean, 0.0);
    assert!(
        crash.flows[0]
            .completion
            .as_ref()
            .unwrap()
            .success_rate
            .mean
            > 0.999,
        "at-least-once: all processed"
    );
    let poison = run(&scenario(&toml("100ms", 1.0, "")));
    let q = queue(&poison, "mq.jobs");
    assert!(q.published.mean > 1000.0);
    // Every message ends in the DLQ (but the few still being retried at the end).
    assert!(q.dead_lettered.mean + 10.0 >= q.published.mean, "{q:?}");
    // Each dead-lettered message was delivered max_deliveries = 3 times.
    assert!(
        (q.redeliveries.mean / q.dead_lettered.mean - 2.0).abs() < 0.05,
        "{q:?}"
    );
    assert_eq!(
        poison.flows[0]
            .completion
            .as_ref()
            .unwrap()
            .success_rate
            .mean,
        0.0
    );
}

#[test]
fn an_ordered_queue_processes_one_requests_messages_in_order() {
    // Each request sends two messages; the consumer takes 10 ms each and requests never
    // overlap (one per second). Unordered, both messages are consumed at once: the
    // request completes in 10 ms. Ordered (per-request FIFO, Kafka-like partitions),
    // the second waits for the first: 20 ms.
    let toml = |ordered: bool| {
        theory_header(61, "60s", "1s", 2)
            + &format!(
                r#"
[brokers.bus]
publish_latency = "0s"
delivery_latency = "0s"
queues.jobs = {{ consumer = "worker.run", concurrency = 4, ordered = {ordered} }}
[services.front]
workers = 10
operations.go = {{ steps = [ {{ send = "bus.jobs" }}, {{ send = "bus.jobs" }} ] }}
[services.worker]
workers = 10
operations.run = {{ work = "10ms" }}
[[workload]]
flow = "jobs"
entry = "front.go"
arrivals = {{ constant = "1/s" }}
"#
            )
    };
    let completion = |ordered: bool| {
        let s = run(&scenario(&toml(ordered)));
        let c = s.flows[0].completion.as_ref().unwrap();
        assert_eq!(c.latency.p50.ci95, 0.0, "deterministic: {c:?}");
        (c.latency.p50.mean, c.latency.max.mean)
    };
    let (p50, max) = completion(false);
    assert!(
        (p50 - 10.0).abs() < 0.02 && (max - 10.0).abs() < 0.02,
        "{p50} {max}"
    );
    let (p50, max) = completion(true);
    assert!(
        (p50 - 20.0).abs() < 0.03 && (max - 20.0).abs() < 0.03,
        "{p50} {max}"
    );
}

#[test]
fn each_fault_windows_backlog_peak_is_its_own() {
    // The consumer is down for 5 s, then later for 20 s: each window reports the backlog
    // it built (about rate x outage), not the later, larger one.
    let toml = theory_header(63, "120s", "5s", 2)
        + r#"
[brokers.bus]
publish_latency = "0s"
delivery_latency = "0s"
queues.jobs = { consumer = "worker.run", concurrency = 50, durable = true }
[services.front]
workers = 100
operations.go = { steps = [ { send = "bus.jobs" } ] }
[services.worker]
workers = 50
operations.run = { work = "1ms" }
[[workload]]
flow = "jobs"
entry = "front.go"
arrivals = { constant = "100/s" }
[[fault]]
name = "short outage"
target = "worker"
kind = "crash"
at = "20s"
duration = "5s"
[[fault]]
name = "long outage"
target = "worker"
kind = "crash"
at = "60s"
duration = "20s"
"#;
    let s = run(&scenario(&toml));
    let peak = |name: &str| {
        let f = s.faults.iter().find(|f| f.name == name).unwrap();
        let w = f.window.as_ref().unwrap();
        let q = w.queues.iter().find(|q| q.queue == "bus.jobs").unwrap();
        assert_eq!(q.drained_in, 2, "{q:?}");
        q.peak_depth.mean
    };
    let (short, long) = (peak("short outage"), peak("long outage"));
    assert!((short - 500.0).abs() <= 101.0, "short outage peak {short}");
    assert!((long - 2000.0).abs() <= 101.0, "long outage peak {long}");
}
