//! The autoscaling metrics other than `utilization` and `in_flight` (issue 13): `cpu`
//! (busy cores / cpus), `queue` (requests waiting for a worker) and `backlog`
//! (messages waiting in the broker queues the service consumes), each checked against a
//! hand computation of `on_scale_eval`'s time average on a deterministic scenario.
//!
//! As in `autoscale.rs`: constant arrivals (the k-th at k / rate), constant work, no
//! network or protocol cost, and a load step from a `slow` fault starting 5 ms after an
//! arrival, so every request before it runs unslowed and every later one slowed. In
//! the queueing scenarios one worker serves FIFO: after the step, request j (j = 0, 1,
//! ...; arriving at a_j = t0 + 20 ms x j, 30 ms of work) starts at s_j = t0 + 30 ms x j
//! (the worker never idles again), so it waits 10 ms x j: the queue grows linearly and
//! its area over any window is a sum of arithmetic series.

use crate::common::{close, run, scale_events as events, scenario, theory_header};
use archsim::experiment::{QueueSummary, Summary};

/// A `slow` fault on `target`: x`factor` from `at` to the end of the run.
fn slow(target: &str, factor: f64, at: &str) -> String {
    format!(
        "[[fault]]\ntarget = \"{target}\"\nkind = \"slow\"\nfactor = {factor}\nat = \"{at}\"\nduration = \"10m\"\n"
    )
}

/// The `cpu` step scenario (see the next test) with a warm-up of `warmup`.
fn cpu_step(warmup: &str) -> Summary {
    let toml = format!(
        r#"{}
[services.api]
workers = 100
cpus = 1
queue = 10000
replicas = 1
autoscale = {{ min = 1, max = 3, metric = "cpu", target = 0.6, period = "10s", startup = {{ dist = "constant", value = "5010ms" }} }}
operations.serve = {{ work = {{ dist = "constant", value = "10ms" }} }}

[[workload]]
flow = "f"
entry = "api.serve"
arrivals = {{ constant = "50/s" }}

{}"#,
        theory_header(11, "60s", warmup, 1),
        slow("api", 3.0, "20005ms")
    );
    run(&scenario(&toml))
}

/// `cpu` under processor sharing, exact. `api`: 100 workers on `cpus = 1` per replica,
/// 50 requests/s (one every 20 ms) of 10 ms: one request at a time, the core busy half
/// the time: cpu 0.5 per replica (utilization of the threads: 0.005). Target 0.6,
/// period 10 s, start-up 5.01 s (no tie with an arrival), max 3. A x3 slow fault from
/// 20.005 s: 30 ms every 20 ms, 1.5 cores of work on one: the 100 threads share the
/// core (all slow down together), which stays busy from 20.02 s on.
///
/// - t = 10 s and 20 s: busy cores 4.99 (499 requests of 10 ms; the one at 10 s runs
///   after it) and 5.0 s over 10 s: 0.5, ratio 0.83: ceil(0.83) = 1: keep.
/// - t = 30 s: 0.01 (the unslowed request at 20.00 s) + 9.98 (saturated from 20.02 s)
///   = 9.99 core-seconds: load 0.999, ratio 1.665, ceil(1.665) = 2: **1 -> 2**, ready
///   at 35.01 s. (Busy threads are not busy cores: their number grows by ~17/s, so
///   threads / cpus would propose the max, and threads / workers stay below 0.6.)
/// - t = 40 s: replica 0 still holds ~7.5 s of work (it received 1.5 s of work per
///   second for 15 s), so its core stays busy: 10. From 35.01 s round-robin alternates,
///   the first (35.02 s) to replica 0: replica 1 gets 35.04 + 0.04 j s (j = 0..123 end
///   by 40 s), 30 ms each alone: 3.72. Load 1.372, mean ready (5.01 + 2 x 4.99) / 10 =
///   1.499, ratio 1.526, no replica starting: ceil(1.372 / 0.6 = 2.29) = 3: **2 -> 3**.
///   Then the max: no more decisions (the scale-down window, 5 min, outlasts the run).
#[test]
fn cpu_metric_counts_busy_cores_under_processor_sharing_exactly() {
    let s = cpu_step("0s");
    assert_eq!(events(&s, 0), [(30.0, 1, 2), (40.0, 2, 3)]);
    let sc = &s.scaling[0];
    assert_eq!(sc.metric, "cpu");
    let tl = &sc.timeline;
    assert_eq!((tl.ready[34], tl.ready[36]), (1.0, 2.0));
    close("ready [35, 36)", tl.ready[35], 1.99, 1e-9);
    assert_eq!(tl.desired[31], 2.0);
    assert_eq!(s.flows[0].failures.len(), 0);
    // Core utilization is per ready replica, as the threads' (README "Where it shows"):
    // busy cores = 10 (before 20.02 s) + 1999 x 0.03 of slowed work - 0.01 left of the
    // request at 59.98 s (the backlog is gone by 60 s) = 69.96 core-seconds; ready
    // replica-seconds 35.01 + 2 x 10 + 3 x 14.99 = 99.98 (not the 6 slots x 60 s).
    let cores = s.services[0].core_utilization.as_ref().expect("cpus");
    close("core utilization", cores.mean, 69.96 / 99.98, 1e-9);
    close("mean ready", sc.mean_ready.mean, 99.98 / 60.0, 1e-9);
}

/// The end of the warm-up resets the measured levels, not the autoscaler's view: the
/// `cpu` step with a 25.5 s warm-up decides exactly as without one. (The core stays
/// saturated from 20.02 s, so its busy-cores level does not change from then on; a
/// reset that dropped the area since the level's last change would lose 5.48 of the
/// 9.99 core-seconds of [20, 30]: load 0.45, no scale-up at 30 s.) The replica levels
/// too: the interval [25, 26) holding the warm-up end had 1 replica ready throughout.
#[test]
fn the_warm_up_end_loses_no_area_of_the_metric() {
    let s = cpu_step("25500ms");
    assert_eq!(events(&s, 0), [(30.0, 1, 2), (40.0, 2, 3)]);
    let tl = &s.scaling[0].timeline;
    assert_eq!(
        (tl.ready[24], tl.ready[25], tl.provisioned[25]),
        (1.0, 1.0, 1.0)
    );
}

/// The single-worker step scenario of the `queue` and `backlog` tests: `worker.process`
/// (1 worker per replica, `queue` places, 10 ms of work) gets 50 requests/s (every 20
/// ms), from `entry`, with a x3 slow fault on `worker` from 10.005 s. `autoscale` is
/// the worker's inline autoscale table; `more` adds services and brokers.
fn single_worker(entry: &str, autoscale: &str, more: &str, duration: &str) -> Summary {
    let toml = format!(
        r#"{}
[services.worker]
workers = 1
queue = 10000
replicas = 1
autoscale = {{ {autoscale} }}
operations.process = {{ work = {{ dist = "constant", value = "10ms" }} }}
{more}
[[workload]]
flow = "f"
entry = "{entry}"
arrivals = {{ constant = "50/s" }}

{}"#,
        theory_header(13, duration, "0s", 1),
        slow("worker", 3.0, "10005ms")
    );
    run(&scenario(&toml))
}

/// `queue` counts requests waiting for a worker, not the one running, exact (period 1
/// s, target 4.4, max 4, start-up 4.995 s). Before the step no request waits (10 ms
/// every 20 ms). After it request j (arriving at 10.02 + 0.02 j s) waits from a_j to
/// s_j = 10.02 + 0.03 j s:
///
/// - t = 11 s: j = 0..32 wait in full (s_j <= 11 s): 0.01 x (0 + .. + 32) = 5.28;
///   j = 33..48 until 11 s: sum (0.98 - 0.02 j) = 15.68 - 12.96 = 2.72. Mean queue 8.0,
///   ratio 8 / 4.4 = 1.82: ceil(1.82) = 2: **1 -> 2**. (`in_flight` would add the busy
///   worker, 0.01 + 0.98 = 0.99: ceil(8.99 / 4.4 = 2.04) = 3.)
/// - t = 12 s: j = 33..48 from 11 s (sum 0.03 j - 0.98 = 3.76), j = 49..66 in full
///   (10.35), j = 67..98 until 12 s (sum 1.98 - 0.02 j = 10.56): 24.67 on 1 ready and
///   1 starting: 24.67 / 2 / 4.4 = 2.8 > 1.1, ceil(5.61) = 6, clamped to max = 4:
///   **2 -> 4**. Then the max: no more decisions.
#[test]
fn queue_metric_counts_requests_waiting_for_a_worker_exactly() {
    let a = "min = 1, max = 4, metric = \"queue\", target = 4.4, period = \"1s\", startup = { dist = \"constant\", value = \"4995ms\" }";
    let s = single_worker("worker.process", a, "", "20s");
    assert_eq!(events(&s, 0), [(11.0, 1, 2), (12.0, 2, 4)]);
    assert_eq!(s.scaling[0].metric, "queue");
    // The service timeline's mean queue is the same time average.
    let q = queued(&s, "worker");
    assert_eq!(q[9], 0.0);
    close("queue [10, 11)", q[10], 8.0, 1e-9);
    close("queue [11, 12)", q[11], 24.67, 1e-9);
    assert_eq!(s.flows[0].failures.len(), 0);
}

/// `queue` also counts requests waiting for a first replica (scaled to zero), exact:
/// 100 requests/s (the k-th at 10 ms x k) to `api` with no replica (min 0), evaluated
/// at 1 s: requests k = 1..99 waited 1 - 0.01 k s each: 99 - 49.5 = 49.5, mean 49.5,
/// target 10: ceil(4.95) = 5 (not the max(1, ceil(0)) = 1 of an empty queue), limited
/// to 0 + max(4, 0): **0 -> 4**. The waiting room (`queue = 1000`) takes them all.
#[test]
fn queue_metric_counts_requests_waiting_for_a_first_replica() {
    let toml = format!(
        r#"{}
[services.api]
workers = 1
queue = 1000
replicas = 0
autoscale = {{ min = 0, max = 8, metric = "queue", target = 10, period = "1s", startup = {{ dist = "constant", value = "10s" }} }}
operations.serve = {{ work = {{ dist = "constant", value = "1ms" }} }}

[[workload]]
flow = "f"
entry = "api.serve"
arrivals = {{ constant = "100/s" }}
"#,
        theory_header(17, "1500ms", "0s", 1)
    );
    let s = run(&scenario(&toml));
    assert_eq!(events(&s, 0), [(1.0, 0, 4)]);
    close("queue [0, 1)", queued(&s, "api")[0], 49.5, 1e-9);
}

/// The mean queued requests of service `name`, per timeline interval.
fn queued<'a>(s: &'a Summary, name: &str) -> &'a [f64] {
    let t = s.timeline.services.iter().find(|t| t.service == name);
    &t.unwrap_or_else(|| panic!("no service {name}")).queue
}

/// The queue named `name`.
fn queue<'a>(s: &'a Summary, name: &str) -> &'a QueueSummary {
    (s.queues.iter())
        .find(|q| q.name == name)
        .unwrap_or_else(|| panic!("no queue {name}"))
}

/// A producer `api` that sends each request to `mq.jobs` (consumer `worker.process`,
/// `concurrency` messages delivered and not yet acked), the broker costing nothing.
fn producer(concurrency: u32) -> String {
    format!(
        r#"
[services.api]
workers = 10000
replicas = 1
operations.order = {{ steps = [ {{ send = "mq.jobs" }} ] }}

[brokers.mq]
publish_latency = "0s"
delivery_latency = "0s"
queues.jobs = {{ consumer = "worker.process", concurrency = {concurrency} }}
"#
    )
}

/// `backlog` counts the messages waiting in the broker for a delivery slot, exact
/// (target 2 per replica, period 1 s, max 3, start-up 1.995 s). `worker` (1 worker)
/// consumes `mq.jobs` with `concurrency = 4`: at most 4 messages delivered and not yet
/// acked, the one processing and 3 in the replica's queue. After the step message j
/// (published at 10.02 + 0.02 j s) starts at s_j = 10.02 + 0.03 j s and is delivered
/// when message j - 4 is acked, at s_(j-3) = 9.93 + 0.03 j s: it waits in the broker
/// 0.01 j - 0.09 s for j >= 10 (then 0.09 s in the replica's queue), none before.
///
/// - t = 11 s: j = 10..35 wait in full (sum 0.01 j - 0.09 = 5.85 - 2.34 = 3.51), j =
///   36..48 until 11 s (sum 0.98 - 0.02 j = 12.74 - 10.92 = 1.82): backlog 5.33, ratio
///   2.665, ceil(2.665) = 3: **1 -> 3** (the replica's queue, 8.0 - 5.33 = 2.67, would
///   propose 2). Ready at 12.995 s; then the max.
/// - With `max_up = 1`: 1 -> 2 at 11 s; at 12 s j = 36..48 from 11 s (sum 0.03 j -
///   1.07 = 2.47), j = 49..69 in full (10.5), j = 70..98 until 12 s (8.7): 21.67 on 1
///   ready + 1 starting: 21.67 / 2 / 2 = 5.4 > 1.1: **2 -> 3**.
/// - The backlog at 12.995 s: published j <= 148, delivered j <= 102: 46 messages.
///   Until the new replicas take work (at the next acks, 13.02 and 13.05 s, each
///   delivery going round-robin) at most 2 more arrive (13.00 and 13.04 s; the one at
///   13.02 s meets an ack): the peak is 46..48. Three replicas then take up to 100/s
///   against 50/s, though the round-robin deliveries first land on replicas that still
///   hold queued messages: the backlog drains by about 14.1 s (not exact: it depends
///   on that transient) and then stays empty (each replica gets every third message,
///   30 ms of work every 60 ms, never 4 unacked).
#[test]
fn backlog_metric_counts_messages_waiting_in_the_broker_exactly() {
    let a = "min = 1, max = 3, metric = \"backlog\", target = 2, period = \"1s\", scale_down_window = \"60s\", startup = { dist = \"constant\", value = \"1995ms\" }";
    let s = single_worker("api.order", a, &producer(4), "20s");
    assert_eq!(events(&s, 0), [(11.0, 1, 3)]);
    assert_eq!(s.scaling[0].metric, "backlog");
    let depth = &s.timeline.queues[0].depth;
    assert_eq!(depth[9], 0.0);
    close("backlog [10, 11)", depth[10], 5.33, 1e-9);
    close("backlog [11, 12)", depth[11], 21.67, 1e-9);
    // The replica's queue holds the other 2.67 (3 at most).
    close("queued [10, 11)", queued(&s, "worker")[10], 2.67, 1e-9);
    let q = queue(&s, "mq.jobs");
    assert!(
        (46.0..=48.0).contains(&q.peak_depth.mean),
        "peak backlog {:?}",
        q.peak_depth
    );
    assert!(depth[14] < 1.0, "draining: {depth:?}");
    assert!(depth[15..].iter().all(|&d| d == 0.0), "drained: {depth:?}");
    assert_eq!((q.lost.mean, q.dead_lettered.mean), (0.0, 0.0));
    let c = &s.conservation[0];
    assert!(c.balances());
    assert_eq!(
        c.messages_published,
        c.messages_acked + c.messages_in_queue,
        "{c:?}"
    );
    assert!(c.messages_in_queue <= 4, "{c:?}");
    let s = single_worker(
        "api.order",
        &format!("{a}, max_up = 1"),
        &producer(4),
        "20s",
    );
    assert_eq!(events(&s, 0), [(11.0, 1, 2), (12.0, 2, 3)]);
}

/// A consumer scaled to zero starts when messages wait and loses none, exact. One
/// message every 6.25 s (6.25, 12.5, 18.75 s) to `mq.jobs`, consumed by `worker` (min
/// 0, no replica at first, period 2 s, start-up 0.5 s, target 1, no scale-down window).
/// With no consumer connected a message waits in the broker.
///
/// - t = 8 s: the window [6, 8] holds 1.75 message-seconds: load 0.875, a message
///   waiting and no replica: max(1, ceil(0.875)) = 1: **0 -> 1**; ready at 8.5 s, the
///   message is delivered (wait 2.25 s) and acked at 8.51 s.
/// - t = 10 s: it waited 0.5 s of [8, 10]: load 0.25 on 0.75 ready, ceil(0.25) = 1:
///   keep. t = 12 s: nothing waited: ceil(0) = 0: **1 -> 0**.
/// - Likewise 14 s (1.5 message-seconds: **0 -> 1**, wait 2 s), 16 s (keep), 18 s
///   (**1 -> 0**), 20 s (1.25: **0 -> 1**, wait 1.75 s). Mean wait 2 s, mean delivery
///   (to the ack) 2.01 s; 3 published, 3 acked, none left, never more than 1 waiting.
#[test]
fn a_consumer_scaled_to_zero_starts_on_backlog_and_loses_nothing() {
    let toml = format!(
        r#"{}{}
[services.worker]
workers = 1
queue = 10
replicas = 0
autoscale = {{ min = 0, max = 2, metric = "backlog", target = 1, period = "2s", scale_down_window = "0s", startup = {{ dist = "constant", value = "500ms" }} }}
operations.process = {{ work = {{ dist = "constant", value = "10ms" }} }}

[[workload]]
flow = "f"
entry = "api.order"
arrivals = {{ constant = "0.16/s" }}
"#,
        theory_header(19, "21s", "0s", 1),
        producer(4)
    );
    let s = run(&scenario(&toml));
    let want = [
        (8.0, 0, 1),
        (12.0, 1, 0),
        (14.0, 0, 1),
        (18.0, 1, 0),
        (20.0, 0, 1),
    ];
    assert_eq!(events(&s, 0), want);
    let q = queue(&s, "mq.jobs");
    assert_eq!(
        (
            q.published.mean,
            q.acked.mean,
            q.dead_lettered.mean,
            q.lost.mean
        ),
        (3.0, 3.0, 0.0, 0.0)
    );
    assert_eq!((q.redeliveries.mean, q.peak_depth.mean), (0.0, 1.0));
    close("mean wait", q.mean_wait_ms.mean, 2000.0, 1e-6);
    close(
        "delivery",
        q.delivery_latency.mean.mean,
        2010.0,
        2010.0 * 1e-3,
    );
    let c = &s.conservation[0];
    assert!(c.balances());
    assert_eq!(
        (c.messages_published, c.messages_acked, c.messages_in_queue),
        (3, 3, 0)
    );
    let f = &s.flows[0];
    assert_eq!((f.requests.mean, f.success_rate.mean), (3.0, 1.0));
}

/// `backlog` sums the queues the service consumes, exact: one request at 6.25 s sends
/// a message to each of `mq.a` and `mq.b`, both consumed by `worker` (min 0, no
/// replica, period 2 s, start-up 0.5 s, target 1, max 4, no scale-down window).
///
/// - t = 8 s: 2 x 1.75 message-seconds over [6, 8]: load 1.75, ceil(1.75) = **0 -> 2**
///   (one queue alone would propose 1). Ready at 8.5 s; both messages are acked by
///   8.52 s.
/// - t = 10 s: 2 x 0.5 over [8, 10]: load 0.5 on 1.5 mean ready, ratio 0.33: ceil(0.5)
///   = 1: **2 -> 1**. t = 12 s: nothing waited: **1 -> 0**.
#[test]
fn backlog_metric_sums_the_queues_the_service_consumes() {
    let toml = format!(
        r#"{}
[services.api]
workers = 10
replicas = 1
operations.order = {{ steps = [ {{ send = "mq.a" }}, {{ send = "mq.b" }} ] }}

[brokers.mq]
publish_latency = "0s"
delivery_latency = "0s"
queues.a = {{ consumer = "worker.on_a", concurrency = 4 }}
queues.b = {{ consumer = "worker.on_b", concurrency = 4 }}

[services.worker]
workers = 1
queue = 10
replicas = 0
autoscale = {{ min = 0, max = 4, metric = "backlog", target = 1, period = "2s", scale_down_window = "0s", startup = {{ dist = "constant", value = "500ms" }} }}
operations.on_a = {{ work = {{ dist = "constant", value = "10ms" }} }}
operations.on_b = {{ work = {{ dist = "constant", value = "10ms" }} }}

[[workload]]
flow = "f"
entry = "api.order"
arrivals = {{ constant = "0.16/s" }}
"#,
        theory_header(23, "12s", "0s", 1)
    );
    let s = run(&scenario(&toml));
    assert_eq!(events(&s, 0), [(8.0, 0, 2), (10.0, 2, 1), (12.0, 1, 0)]);
    for name in ["mq.a", "mq.b"] {
        let q = queue(&s, name);
        assert_eq!((q.published.mean, q.acked.mean), (1.0, 1.0), "{name}");
    }
    assert_eq!(s.conservation[0].messages_in_queue, 0);
}
