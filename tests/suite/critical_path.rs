//! Critical paths of the slowest requests: the traced re-run reproduces the first pass,
//! the hops split the response time exactly, and the path follows what the response
//! really waited for (the slower branch of a parallel group, every retry attempt, the
//! queue in front of a saturated server).

use crate::common;

use archsim::engine::run_replication;
use archsim::report::names::{
    named_traced, NamedBreakdown as LatencyBreakdown, NamedPath as CriticalPath, NamedTraced,
};

/// Run a scenario and name its traced results (paths carry ids; the report names them).
fn run_named(sc: &archsim::Scenario) -> NamedTraced {
    named_traced(sc, &common::run(sc).traced)
}

const MS: u64 = 1_000_000;

fn header(arrivals: &str, duration: &str) -> String {
    format!(
        r#"
[simulation]
seed = 11
duration = "{duration}"
warmup = "0s"
replications = 2

[network]
latency = "0.5ms"

[protocols.rest]
per_message = "0s"
per_kib = "0s"

[[workload]]
flow = "f"
entry = "a.go"
arrivals = {{ {arrivals} }}
"#
    )
}

fn paths(toml: &str) -> Vec<CriticalPath> {
    traced(toml).0
}

/// The slowest requests' paths (checked to add up) and the flow's response breakdown
/// (checked to add up to its sampled mean response).
fn traced(toml: &str) -> (Vec<CriticalPath>, LatencyBreakdown) {
    let sc = common::scenario(toml);
    let summary = run_named(&sc);
    assert_eq!(summary.response_breakdowns.len(), 1);
    let b = summary.response_breakdowns[0].clone();
    let sum: f64 = b.hops.iter().map(|h| h.total_ms()).sum();
    assert!(
        (sum - b.mean_latency_ms).abs() < 1e-9 * b.mean_latency_ms.max(1.0),
        "breakdown must add up: {b:#?}"
    );
    assert_eq!(b.hops[0].depth, 0);
    assert!((b.hops[0].calls_per_request - 1.0).abs() < 1e-12, "{b:#?}");
    let paths = summary.critical_paths;
    assert!(!paths.is_empty(), "no critical path traced");
    for p in &paths {
        let sum = p.hops_total_ns();
        assert_eq!(
            sum, p.latency_ns,
            "hops must split the response exactly: {p:#?}"
        );
        assert_eq!(p.hops[0].depth, 0, "{p:#?}");
        assert_eq!(p.replication, 0);
    }
    (paths, b)
}

fn ops(p: &CriticalPath) -> Vec<(u32, &str, u32)> {
    p.hops
        .iter()
        .map(|h| (h.depth, h.operation.as_str(), h.attempt))
        .collect()
}

#[test]
fn a_constant_chain_splits_into_its_exact_network_and_work() {
    let toml = header(r#"constant = "10/s""#, "10s")
        + r#"
[services.a]
operations.go = { work = "1ms", steps = [ { call = "b.go" } ] }
[services.b]
operations.go = { work = "2ms", steps = [ { call = "c.go" } ] }
[services.c]
operations.go = { work = "3ms" }
"#;
    let (paths, breakdown) = traced(&toml);
    // With 100 requests, all are in the sample; each hop's share is exact.
    assert!(breakdown.sampled >= 99, "{breakdown:#?}");
    assert!((breakdown.mean_latency_ms - 9.0).abs() < 1e-9);
    let hops: Vec<_> = breakdown
        .hops
        .iter()
        .map(|h| (h.operation.as_str(), h.depth, h.calls_per_request))
        .collect();
    assert_eq!(hops, [("a.go", 0, 1.0), ("b.go", 1, 1.0), ("c.go", 2, 1.0)]);
    for (h, work) in breakdown.hops.iter().zip([1.0, 2.0, 3.0]) {
        assert!(
            (h.network_ms - 1.0).abs() < 1e-9 && (h.work_ms - work).abs() < 1e-9,
            "{h:?}"
        );
        assert_eq!((h.queue_ms, h.other_ms), (0.0, 0.0));
    }
    // Every request takes the same 9 ms: the three slowest are the first three (ties).
    assert_eq!(paths.len(), 3);
    assert_eq!(
        paths.iter().map(|p| p.request).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    for p in &paths {
        assert_eq!(p.latency_ns, 9 * MS);
        assert_eq!(p.outcome, "ok");
        assert_eq!(ops(p), [(0, "a.go", 1), (1, "b.go", 1), (2, "c.go", 1)]);
        for (h, work) in p.hops.iter().zip([1, 2, 3]) {
            assert_eq!(h.network_ns, MS, "request and reply at 0.5 ms each: {h:?}");
            assert_eq!(
                (h.queue_ns, h.work_ns, h.other_ns),
                (0, work * MS, 0),
                "{h:?}"
            );
        }
    }
}

#[test]
fn a_parallel_group_puts_only_its_slower_branch_on_the_path() {
    let toml = header(r#"constant = "10/s""#, "10s")
        + r#"
[services.a]
operations.go = { work = "1ms", steps = [ { parallel = [ { call = "fast.go" }, { call = "slow.go" } ] }, { call = "after.go" } ] }
[services.fast]
operations.go = { work = "10ms" }
[services.slow]
operations.go = { work = "30ms" }
[services.after]
operations.go = { work = "5ms" }
"#;
    for p in paths(&toml) {
        assert_eq!(
            ops(&p),
            [(0, "a.go", 1), (1, "slow.go", 1), (1, "after.go", 1)],
            "{p:#?}"
        );
        assert_eq!(p.latency_ns, (1 + 30 + 5) * MS + 3 * MS);
    }
}

#[test]
fn retries_show_every_attempt_and_the_backoff_between_them() {
    let toml = header(r#"poisson = "50/s""#, "20s")
        + r#"
[services.a]
workers = 100
operations.go = { work = "1ms", steps = [ { call = "b.go", retry = { attempts = 3, backoff = "100ms", multiplier = 1, jitter = false } } ] }
[services.b]
workers = 100
operations.go = { work = "2ms", error = 0.5 }
"#;
    let (paths, breakdown) = traced(&toml);
    // Attempts of b on the path per response: 1 + P(first failed) + P(both failed) = 1.75.
    let b = &breakdown.hops[1];
    assert_eq!(b.operation, "b.go");
    let n = breakdown.sampled as f64;
    let sd = (0.6875f64 / n).sqrt(); // Var = E[X^2] - 1.75^2 = 3.75 - 3.0625
    assert!(
        (b.calls_per_request - 1.75).abs() < 4.0 * sd,
        "{b:?} over {n} responses"
    );
    // Backoff is a's other time: 100 ms per retry.
    let a = &breakdown.hops[0];
    assert!(
        (a.other_ms - 100.0 * (b.calls_per_request - 1.0)).abs() < 1e-6,
        "{a:?}"
    );
    for p in paths {
        // The slowest requests needed all three attempts: two failures, two backoffs.
        assert_eq!(
            ops(&p),
            [
                (0, "a.go", 1),
                (1, "b.go", 1),
                (1, "b.go", 2),
                (1, "b.go", 3)
            ],
            "{p:#?}"
        );
        assert!(p.hops[1].outcome.starts_with("injected error"), "{p:#?}");
        assert_eq!(
            p.hops[0].other_ns,
            200 * MS,
            "two backoffs of 100 ms: {p:#?}"
        );
        // Client hop and a's work, three attempts of network + work, two backoffs.
        assert_eq!(p.latency_ns, MS + MS + 3 * (MS + 2 * MS) + 200 * MS);
    }
}

#[test]
fn a_saturated_server_puts_the_slowest_requests_in_its_queue() {
    // M/M/1 at rho = 0.95 behind a fast front: the slowest responses wait in the queue.
    let toml = header(r#"poisson = "950/s""#, "30s")
        + r#"
[services.a]
workers = 64
operations.go = { work = "0.1ms", steps = [ { call = "db.query" } ] }
[services.db]
queue = 100000
operations.query = { work = { dist = "exp", mean = "1ms" } }
"#;
    for p in paths(&toml) {
        let db = &p.hops[1];
        assert_eq!(db.operation, "db.query");
        // (The front's 64 workers, held while the database queue is long, queue a little
        // too: the sync-chain effect.)
        assert!(
            db.queue_ns * 4 > p.latency_ns * 3,
            "queueing at the database dominates the slowest responses: {p:#?}"
        );
    }
}

#[test]
fn the_traced_rerun_reproduces_the_first_pass_exactly() {
    let sc = common::scenario_file("scenarios/checkout-sync.toml");
    let first = run_replication(&sc, 0).unwrap();
    let slowest: Vec<(u64, u64)> = first.flows[0].slowest.iter().collect();
    let summary = run_named(&sc);
    let traced: Vec<(u64, u64)> = summary
        .critical_paths
        .iter()
        .map(|p| (p.latency_ns, p.request))
        .collect();
    assert_eq!(
        traced, slowest,
        "same requests, same latencies, slowest first"
    );
    assert!(
        summary.completion_breakdowns.is_empty(),
        "a synchronous flow completes when it is answered"
    );
    for p in &summary.critical_paths {
        assert_eq!(
            ops(p),
            [
                (0, "gateway.checkout", 1),
                (1, "order.place", 1),
                (2, "payment.charge", 1),
                (3, "bank.authorize", 1)
            ]
        );
        // The bank's ~3 s authorization is where the slowest checkouts spend their time.
        assert!(p.hops[3].work_ns * 10 > p.latency_ns * 9, "{p:#?}");
    }
}

#[test]
fn asynchronous_work_stays_off_the_response_path() {
    // The consumer's call to the slow bank happens after the response: the slowest
    // responses' paths end at the publisher, and every path starts at the flow's entry.
    let sc = common::scenario_file("scenarios/messaging/bank-request-reply.toml");
    let summary = run_named(&sc);
    assert!(!summary.critical_paths.is_empty());
    for p in &summary.critical_paths {
        assert_eq!(p.flow, "checkout");
        assert_eq!(ops(p), [(0, "order.place", 1)], "{p:#?}");
        assert!(p.latency_ns < 1_000 * MS, "a fast acknowledgement: {p:#?}");
    }
}

#[test]
fn a_timed_out_call_is_clipped_at_the_timeout() {
    let toml = header(r#"constant = "5/s""#, "10s")
        + r#"
[services.a]
workers = 10
operations.go = { work = "1ms", steps = [ { call = "b.go", timeout = "50ms" } ] }
[services.b]
workers = 10
operations.go = { work = "100ms" }
"#;
    for p in paths(&toml) {
        assert_eq!(
            p.latency_ns,
            52 * MS,
            "client hop, a's work, the 50 ms timeout"
        );
        assert!(p.outcome.starts_with("timeout (root: b)"), "{p:#?}");
        let b = &p.hops[1];
        assert!(b.outcome.starts_with("timeout"), "{b:?}");
        // The request reached b after 0.5 ms; b worked the rest of the 50 ms, no reply.
        assert_eq!(
            (b.network_ns, b.queue_ns, b.work_ns),
            (MS / 2, 0, 49 * MS + MS / 2)
        );
    }
}

mod random_topologies {
    //! Property: on any topology (chains, parallel groups, retries, timeouts, errors,
    //! queueing), every traced path splits its response exactly and starts at the entry.
    use super::*;
    use proptest::prelude::*;

    /// A random three-tier topology as TOML.
    fn topology(
        works: [u32; 4],
        parallel: bool,
        retry: bool,
        timeout_ms: Option<u32>,
        error: f64,
        workers: u32,
        via_queue: bool,
    ) -> String {
        let timeout = timeout_ms.map_or(String::new(), |t| format!(r#", timeout = "{t}ms""#));
        let retry = if retry {
            r#", retry = { attempts = 3, backoff = "3ms", jitter = true }"#
        } else {
            ""
        };
        let group = if parallel {
            format!(
                r#"{{ parallel = [ {{ call = "b.go"{timeout}{retry} }}, {{ call = "c.go" }} ] }}"#
            )
        } else {
            format!(r#"{{ call = "b.go"{timeout}{retry} }}, {{ call = "c.go" }}"#)
        };
        let send = if via_queue {
            r#", { send = "bus.jobs" }"#
        } else {
            ""
        };
        header(r#"poisson = "200/s""#, "5s")
            + &format!(
                r#"
[brokers.bus]
publish_latency = {{ dist = "exp", mean = "1ms" }}
delivery_latency = "1ms"
queues.jobs = {{ consumer = "d.go", concurrency = 4 }}
[services.a]
workers = {workers}
operations.go = {{ work = {{ dist = "exp", mean = "{}ms" }}, steps = [ {group}{send} ] }}
[services.b]
workers = {workers}
operations.go = {{ work = {{ dist = "exp", mean = "{}ms" }}, error = {error}, steps = [ {{ call = "d.go" }} ] }}
[services.c]
workers = {workers}
operations.go = {{ work = {{ dist = "exp", mean = "{}ms" }} }}
[services.d]
workers = {workers}
operations.go = {{ work = {{ dist = "exp", mean = "{}ms" }} }}
"#,
                works[0], works[1], works[2], works[3]
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn every_path_adds_up(
            works in prop::array::uniform4(1u32..8),
            parallel: bool,
            retry: bool,
            timeout_ms in prop::option::of(2u32..40),
            error in 0.0f64..0.5,
            workers in 1u32..6,
            via_queue: bool,
        ) {
            let toml = topology(works, parallel, retry, timeout_ms, error, workers, via_queue);
            let (paths, breakdown) = traced(&toml);
            let s = run_named(&common::scenario(&toml));
            for p in &s.completion_paths {
                let sum = p.hops_total_ns();
                prop_assert_eq!(sum, p.latency_ns, "{:#?}", p);
                prop_assert_eq!(p.hops[0].operation.as_str(), "a.go");
            }
            for p in &paths {
                prop_assert_eq!(p.hops[0].operation.as_str(), "a.go");
                // Depth grows by at most one from a hop to the next.
                for w in p.hops.windows(2) {
                    prop_assert!(w[1].depth >= 1 && w[1].depth <= w[0].depth + 1, "{:#?}", p);
                }
            }
            prop_assert!(breakdown.sampled > 0);
        }
    }
}

mod completions {
    //! Paths of the slowest completions: along the chain of causes to the last work.
    use super::*;

    fn check(paths: &[CriticalPath]) {
        assert!(!paths.is_empty());
        for p in paths {
            let sum = p.hops_total_ns();
            assert_eq!(
                sum, p.latency_ns,
                "hops must split the completion exactly: {p:#?}"
            );
        }
    }

    #[test]
    fn a_constant_queue_flow_splits_exactly() {
        let toml = header(r#"constant = "10/s""#, "10s")
            + r#"
[brokers.bus]
publish_latency = "0s"
delivery_latency = "0s"
queues.jobs = { consumer = "worker.run", concurrency = 10 }
[services.a]
workers = 10
operations.go = { work = "1ms", steps = [ { send = "bus.jobs" } ] }
[services.worker]
workers = 10
operations.run = { work = "5ms", steps = [ { call = "d.go" } ] }
[services.d]
operations.go = { work = "2ms" }
"#;
        let s = run_named(&common::scenario(&toml));
        check(&s.completion_paths);
        for p in &s.completion_paths {
            assert!(p.asynchronous);
            assert_eq!(
                p.latency_ns,
                9 * MS + MS / 2,
                "0.5 + 1 + 0 + 5 + 0.5 + 2 + 0.5 ms"
            );
            let hops: Vec<_> = p
                .hops
                .iter()
                .map(|h| {
                    (
                        h.depth,
                        h.operation.as_str(),
                        h.network_ns,
                        h.queue_ns,
                        h.work_ns,
                    )
                })
                .collect();
            assert_eq!(
                hops,
                [
                    (0, "a.go", MS / 2, 0, MS),
                    (1, "bus.jobs (message)", 0, 0, 0),
                    (2, "worker.run", 0, 0, 5 * MS),
                    (3, "d.go", MS, 0, 2 * MS),
                ],
                "{p:#?}"
            );
        }
        // The completion breakdown averages the same paths (every request is sampled).
        assert_eq!(s.completion_breakdowns.len(), 1);
        let b = &s.completion_breakdowns[0];
        assert!(b.sampled >= 99, "{b:#?}");
        assert!((b.mean_latency_ms - 9.5).abs() < 1e-9, "{b:#?}");
        let hops: Vec<_> = b
            .hops
            .iter()
            .map(|h| {
                (
                    h.operation.as_str(),
                    h.network_ms,
                    h.queue_ms,
                    h.work_ms,
                    h.other_ms,
                )
            })
            .collect();
        assert_eq!(
            hops,
            [
                ("a.go", 0.5, 0.0, 1.0, 0.0),
                ("bus.jobs (message)", 0.0, 0.0, 0.0, 0.0),
                ("worker.run", 0.0, 0.0, 5.0, 0.0),
                ("d.go", 1.0, 0.0, 2.0, 0.0),
            ]
        );
        // Response paths stay synchronous: client, a's work, reply.
        for p in &s.critical_paths {
            assert_eq!(p.latency_ns, 2 * MS);
            assert!(!p.asynchronous);
        }
    }

    #[test]
    fn the_slowest_async_checkouts_waited_in_the_payments_queue() {
        let sc = common::scenario_file("scenarios/messaging/checkout-async.toml");
        let first = run_replication(&sc, 0).unwrap();
        let slowest: Vec<(u64, u64)> = first.flows[0].slowest_completions.iter().collect();
        let s = run_named(&sc);
        check(&s.completion_paths);
        let traced: Vec<(u64, u64)> = s
            .completion_paths
            .iter()
            .map(|p| (p.latency_ns, p.request))
            .collect();
        assert_eq!(
            traced, slowest,
            "the re-run reproduces the slowest completions"
        );
        // Its completion breakdown adds up; the payment queue is a hop of it.
        let b = &s.completion_breakdowns[0];
        let sum: f64 = b.hops.iter().map(|h| h.total_ms()).sum();
        assert!((sum - b.mean_latency_ms).abs() < 1e-6 * sum, "{b:#?}");
        assert!(b
            .hops
            .iter()
            .any(|h| h.operation == "rabbit.payments (message)"));
        for p in &s.completion_paths {
            let wait = p
                .hops
                .iter()
                .find(|h| h.operation == "rabbit.payments (message)")
                .unwrap_or_else(|| panic!("{p:#?}"));
            // The bank was down: the payment message waited most of the completion.
            assert!(wait.queue_ns * 2 > p.latency_ns, "{p:#?}");
            assert_eq!(p.hops.last().unwrap().operation, "order.on_payment_result");
        }
    }

    #[test]
    fn request_reply_paths_follow_the_request_and_saga_paths_the_steps() {
        let s = run_named(&common::scenario_file(
            "scenarios/messaging/bank-request-reply.toml",
        ));
        check(&s.completion_paths);
        for p in &s.completion_paths {
            assert!(
                p.hops
                    .iter()
                    .any(|h| h.operation == "rabbit.bank-requests (message)"),
                "{p:#?}"
            );
            // The last work is the continuation, or, when the reply came too late (the
            // timeout continuation ran long before), the adapter's call to the bank.
            let last = p.hops.last().unwrap().operation.as_str();
            assert!(
                [
                    "order.on_authorized",
                    "order.on_auth_timeout",
                    "bank.authorize"
                ]
                .contains(&last),
                "{p:#?}"
            );
        }
        let s = run_named(&common::scenario_file(
            "scenarios/sagas/saga-orchestration.toml",
        ));
        check(&s.completion_paths);
        for p in &s.completion_paths {
            // Step after step through the orchestrator; the slowest sagas sat out the
            // coordinator's 15 s crash between two steps.
            assert!(
                p.hops.iter().any(|h| h.operation == "order.create"),
                "{p:#?}"
            );
            assert!(p.hops.iter().any(|h| h.other_ns >= 14_000 * MS), "{p:#?}");
        }
    }
}

#[test]
fn a_refused_attempt_spends_its_round_trip_on_the_network() {
    // b has one worker, no queue and is busy most of the time: most of a's attempts
    // are refused (queue full) and retried at once, about ten per request. A refused
    // attempt went to b and came back on the wire, 0.5 ms each way: network, like an
    // admitted one's, not "other".
    let toml = header(r#"poisson = "200/s""#, "20s")
        + r#"
[services.a]
workers = 64
operations.go = { work = "0.1ms", steps = [ { call = "b.go", retry = { attempts = 50 } } ] }
[services.b]
workers = 1
queue = 0
operations.go = { work = { dist = "exp", mean = "4ms" } }
"#;
    let (paths, breakdown) = traced(&toml);
    let b = &breakdown.hops[1];
    assert_eq!(b.operation, "b.go");
    assert!(b.calls_per_request > 1.3, "attempts were refused: {b:?}");
    assert!(
        (b.network_ms - b.calls_per_request).abs() < 1e-6 && b.other_ms.abs() < 1e-9,
        "1 ms on the wire per attempt, refused or not: {b:?}"
    );
    for p in paths {
        for h in p.hops.iter().filter(|h| h.operation == "b.go") {
            assert_eq!((h.network_ns, h.other_ns), (MS, 0), "{p:#?}");
        }
    }
}
