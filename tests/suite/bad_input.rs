//! Malformed or inconsistent scenarios are rejected with a one-line message that names
//! the file, the line, the key, and what is wrong.
//!
//! Each file in `tests/bad_input/` is paired below with the line and a fragment of the
//! message it must produce. Paths are relative to the crate root (cargo runs tests
//! there), and messages name the file exactly as it was given.

use archsim::spec::{self, SpecError};
use std::path::Path;

/// (file stem, expected line, expected field, expected message fragment)
const CASES: &[(&str, usize, &str, &str)] = &[
    (
        "autoscale_period_too_short_for_default_window",
        8,
        "services.api.autoscale.period",
        "the default scale_down_window (300s) spans more than 10000 periods of 1.00ms",
    ),
    (
        "cpus_zero",
        7,
        "services.api.cpus",
        "must be in (0, 1000000], got 0",
    ),
    (
        "cpus_below_a_millicore",
        7,
        "services.api.cpus",
        "must be a whole number of thousandths of a core (e.g. 4, 0.5 or 0.25), got 0.0004",
    ),
    (
        "typo_key",
        7,
        "services.gateway.wrokers",
        "unknown field `wrokers`, expected one of `model`, `replicas`, `workers`",
    ),
    (
        "unknown_call_target",
        11,
        "services.payment.operations.charge.steps[1].call",
        "unknown operation \"payment.chrage\"; valid choices: payment.charge",
    ),
    (
        "unknown_dist",
        5,
        "services.api.operations.get.work.dist",
        "unknown distribution \"lognormial\"; valid choices: constant, empirical, exp,",
    ),
    (
        "negative_mean",
        6,
        "services.api.operations.get.work.mean",
        "duration \"-5ms\" is negative",
    ),
    (
        "lognormal_p99_below_median",
        5,
        "network.latency",
        "`p99` (1.00ms) must be greater than `median` (5.00ms)",
    ),
    (
        "lognormal_missing_p99",
        5,
        "services.api.operations.get.work",
        "missing `p99`; lognormal takes median + p99, or mean + std",
    ),
    (
        "param_not_of_dist",
        5,
        "services.api.operations.get.work.p99",
        "`p99` is not a parameter of exp; exp takes mean",
    ),
    (
        "duration_without_unit",
        6,
        "services.a.operations.x.steps[0].timeout",
        "duration \"5\" has no unit",
    ),
    (
        "number_for_duration",
        8,
        "services.api.operations.get.work",
        "durations are strings with a unit, e.g. \"5ms\"",
    ),
    (
        "warmup_not_shorter",
        4,
        "simulation.warmup",
        "warmup (60s) must be shorter than duration (1m)",
    ),
    (
        "sync_call_cycle",
        11,
        "services.c.operations.z.steps[0].call",
        "synchronous call cycle: a.x -> b.y -> c.z -> a.x",
    ),
    (
        "probability_above_one",
        6,
        "services.api.operations.get.error",
        "probability 1.5 is outside [0, 1]",
    ),
    (
        "unknown_balancer",
        6,
        "services.api.balancer",
        "unknown balancer \"round-robbin\"; valid choices: least-outstanding, random, round-robin",
    ),
    (
        "call_and_parallel",
        7,
        "services.a.operations.x.steps[1]",
        "a step has either `call` or `parallel`, not both",
    ),
    (
        "empty_parallel",
        5,
        "services.a.operations.x.steps[0].parallel",
        "`parallel` must hold at least one call",
    ),
    (
        "unknown_model",
        5,
        "services.bank.model",
        "unknown model \"bank-apii\"",
    ),
    (
        "unknown_entry",
        13,
        "workload[1].entry",
        "unknown operation \"gateway.browse\"; valid choices: gateway.checkout",
    ),
    (
        "link_unknown_service",
        8,
        "network.links[1].to",
        "unknown service \"ordr\"; valid choices: gateway, order",
    ),
    (
        "invalid_syntax",
        5,
        "services.api.operations.get.work",
        "invalid inline table",
    ),
    (
        "schedule_not_at_zero",
        10,
        "workload[0].arrivals.schedule[0].at",
        "the first schedule entry must be at \"0s\"",
    ),
    ("no_workload", 1, "workload", "no workloads"),
    (
        "duplicate_link",
        7,
        "network.links[1]",
        "duplicate link client->api",
    ),
    (
        "wrong_type",
        5,
        "services.api.replicas",
        "invalid type: string \"two\", expected an integer",
    ),
    (
        "two_arrival_kinds",
        9,
        "workload[0].arrivals",
        "needs exactly one of `poisson`, `constant`, `schedule`, `closed`",
    ),
    (
        "zero_replicas",
        6,
        "services.api.replicas",
        "must be >= 1, got 0",
    ),
    (
        "retry_typo",
        6,
        "services.payment.operations.charge.steps[0].retry.atempts",
        "unknown field `atempts`, expected one of `attempts`, `backoff`, `multiplier`, `max_backoff`, `jitter`, `budget`",
    ),
    (
        "retry_zero_attempts",
        6,
        "services.payment.operations.charge.steps[0].retry.attempts",
        "must be >= 1, got 0",
    ),
    (
        "retry_on_parallel_group",
        6,
        "services.a.operations.x.steps[0].retry",
        "`retry` goes on each call inside `parallel`, not on the group",
    ),
    (
        "breaker_ratio_above_one",
        8,
        "services.payment.operations.charge.steps[0].parallel[1].circuit_breaker.failure_ratio",
        "must be in (0, 1], got 1.5",
    ),
    (
        "fault_unknown_target",
        16,
        "fault[0].target",
        "unknown service \"bnak\"; valid choices: bank, payment (or a replica \"SERVICE#N\", a link \"FROM->TO\", or a broker)",
    ),
    (
        "fault_unknown_kind",
        14,
        "fault[0].kind",
        "unknown fault kind \"explode\" for a service or replica; valid choices: crash, error, hang, slow",
    ),
    (
        "partition_on_service",
        17,
        "fault[0].kind",
        "kind \"partition\" does not apply to a service or replica",
    ),
    (
        "crash_on_link",
        17,
        "fault[0].kind",
        "kind \"crash\" does not apply to a link",
    ),
    (
        "slow_fault_no_effect",
        15,
        "fault[0]",
        "a slow fault needs `factor`",
    ),
    (
        "fault_two_schedules",
        20,
        "fault[0].mtbf",
        "a fault has one schedule, not both",
    ),
    (
        "replica_out_of_range",
        17,
        "fault[0].target",
        "replica 2 does not exist: bank has 2 replicas, numbered from 0",
    ),
    (
        "deadline_without_timeout",
        11,
        "workload[0].deadline",
        "deadline propagation needs a `timeout` on the workload",
    ),
    (
        "rate_limit_zero_burst",
        11,
        "workload[0].rate_limit.burst",
        "must be >= 1, got 0",
    ),
    (
        "timeline_longer_than_run",
        4,
        "simulation.timeline",
        "timeline interval (5m) must not be longer than duration (1m)",
    ),
    (
        "send_unknown_queue",
        9,
        "services.order.operations.place.steps[0].send",
        "unknown queue \"rabbit.paymnts\"; valid choices: rabbit.payments",
    ),
    (
        "publish_to_queue",
        10,
        "services.order.operations.place.steps[0].publish",
        "\"rabbit.payments\" is a queue, but `publish` needs a topic (use `send` or `request` for a queue); valid choices: rabbit.order-events",
    ),
    (
        "send_to_topic",
        12,
        "services.order.operations.place.steps[1].parallel[1].send",
        "\"rabbit.order-events\" is a topic, but `send` needs a queue (use `publish` for a topic); valid choices: rabbit.payments",
    ),
    (
        "request_without_then",
        11,
        "services.order.operations.place.steps[0]",
        "a `request` needs `then`, the operation run with the reply",
    ),
    (
        "broker_named_like_service",
        7,
        "brokers.payment",
        "\"payment\" is already a service; brokers and services share one namespace",
    ),
    (
        "unknown_subscriber",
        8,
        "brokers.rabbit.topics.order-events.subscribers[1]",
        "unknown operation \"inventory.reserv\"; valid choices: inventory.release, inventory.reserve",
    ),
    (
        "retry_on_send",
        12,
        "services.order.operations.place.steps[1].retry",
        "`retry` applies only to `call` steps, not to a `send` step",
    ),
    (
        "slow_fault_on_broker",
        19,
        "fault[0].kind",
        "kind \"slow\" does not apply to a broker (a broker fault is an outage, kind = \"crash\"); valid choices: crash",
    ),
    (
        "duplicate_subscriber",
        6,
        "brokers.rabbit.topics.order-events.subscribers[2]",
        "\"payment.on_order\" subscribes to rabbit.order-events twice",
    ),
    (
        "queue_without_consumer",
        6,
        "brokers.rabbit.queues.payments",
        "missing `consumer`, the operation that processes the messages",
    ),
    (
        "saga_unknown_style",
        6,
        "sagas.checkout.style",
        "unknown saga style \"orchestrated\"; valid choices: choreography, orchestration",
    ),
    (
        "saga_orchestration_without_coordinator",
        5,
        "sagas.checkout",
        "an orchestration saga needs `coordinator`, the service that runs its steps",
    ),
    (
        "saga_choreography_without_broker",
        8,
        "sagas.place-order",
        "a choreography saga needs `broker`, the broker carrying its events",
    ),
    (
        "saga_coordinator_on_choreography",
        10,
        "sagas.place-order.coordinator",
        "`coordinator` applies only to style = \"orchestration\"; a choreography saga has no coordinator and takes `broker`",
    ),
    (
        "saga_unknown_action",
        10,
        "sagas.checkout.steps[1].action",
        "unknown operation \"inventory.reserv\"; valid choices: inventory.release, inventory.reserve",
    ),
    (
        "saga_fail_above_one",
        18,
        "sagas.place-order.steps[1].fail",
        "probability 10 is outside [0, 1]",
    ),
    (
        "saga_unknown_in_step",
        13,
        "services.orchestrator.operations.start.steps[1].parallel[1].saga",
        "unknown saga \"check-out\"; valid choices: checkout",
    ),
    (
        "saga_empty_steps",
        8,
        "sagas.checkout.steps",
        "a saga needs at least one step",
    ),
    (
        "saga_retry_on_step",
        12,
        "services.orchestrator.operations.start.steps[0].retry",
        "`retry` applies only to `call` steps, not to a `saga` step, which ends once the saga has started",
    ),
    (
        "limit_replications",
        4,
        "simulation.replications",
        "must be <= 10000 (the metrics of each replication are kept until the experiment is reduced), got 4294967295",
    ),
    (
        "limit_replicas",
        6,
        "services.api.replicas",
        "must be <= 100000 (the engine keeps state for every replica), got 1000000",
    ),
    (
        "limit_total_replicas",
        10,
        "services.db.replicas",
        "the services have 120000 replicas so far, more than the 100000 allowed in total (the engine keeps state for every replica)",
    ),
    (
        "limit_closed_users",
        10,
        "workload[0].arrivals.closed.users",
        "must be <= 1000000 (every user is a client with a request or a think time pending), got 4000000000",
    ),
    (
        "limit_total_closed_users",
        14,
        "workload[1].arrivals.closed.users",
        "the closed workloads have 1200000 users so far, more than the 1000000 allowed in total",
    ),
    (
        "limit_duration",
        2,
        "simulation.duration",
        "duration (1001h) is longer than the 1000h limit on a run",
    ),
    (
        "limit_kept_metrics",
        4,
        "simulation.replications",
        "the metrics kept until the experiment is reduced would take about 7409 MiB (10000 replications x (600 timeline intervals of 1 flows, 30 services, 0 queues, and 18 KiB of counters) + 6 latency histograms), more than the 2048 MiB allowed; lower [simulation] replications or set [simulation] timeline to at least 24s",
    ),
    (
        "limit_fault_windows",
        15,
        "fault[0].mtbf",
        "mean mtbf + mttr is 2ns: over 1m x 1 replications that is about 3.000e10 outages, more than the 1000000 fault windows allowed per experiment; set a mean mtbf of at least 60us",
    ),
    (
        "limit_saga_steps",
        8,
        "sagas.long.steps",
        "a saga has at most 1000 steps (every saga instance keeps per-step counters), got 1001",
    ),
    (
        "rate_above_resolution",
        10,
        "workload[0].arrivals.poisson",
        "rate \"2e9/s\" is above 1e9/s, one event per nanosecond (the time resolution)",
    ),
    (
        "rate_limit_above_resolution",
        10,
        "workload[0].rate_limit.rate",
        "rate \"5/ns\" is above 1e9/s",
    ),
    (
        "schedule_rate_above_resolution",
        12,
        "workload[0].arrivals.schedule[1].rate",
        "rate 2000000000/s is above 1e9/s",
    ),
    (
        "timeout_too_long",
        11,
        "workload[0].timeout",
        "duration \"1e30s\" is too long; the longest is 18446744073709551615ns (about 584 years)",
    ),
    (
        "empirical_not_a_file",
        6,
        "services.api.operations.get.work.file",
        "cannot read \"tests/bad_input/.\": a directory; give the path of a regular file",
    ),
    (
        "limit_ordered_partitions",
        6,
        "brokers.rabbit.queues.payments.concurrency",
        "an ordered queue has one partition per unit of `concurrency`, at most 10000 (the engine keeps a backlog per partition), got 4000000000",
    ),
];

fn load_err(stem: &str) -> (String, SpecError) {
    let path = format!("tests/bad_input/{stem}.toml");
    match spec::load(Path::new(&path)) {
        Ok(_) => panic!("{path} loaded without error"),
        Err(e) => (path, e),
    }
}

#[test]
fn every_bad_file_gives_the_expected_located_message() {
    for &(stem, line, field, fragment) in CASES {
        let (path, err) = load_err(stem);
        let msg = err.to_string();
        let prefix = format!("{path}:{line}: {field}: ");
        assert!(
            msg.starts_with(&prefix),
            "{stem}: expected prefix {prefix:?}, got {msg:?}"
        );
        assert!(
            msg.contains(fragment),
            "{stem}: expected {fragment:?} in {msg:?}"
        );
        assert!(
            !msg.contains('\n'),
            "{stem}: message is not one line: {msg:?}"
        );
        let at = err.location().expect("located error");
        assert_eq!(
            (at.file.as_str(), at.line, at.field.as_str()),
            (path.as_str(), line, field)
        );
    }
}

#[test]
fn every_file_in_the_directory_is_covered() {
    let mut stems: Vec<String> = std::fs::read_dir("tests/bad_input")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    let mut covered: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    covered.sort_unstable();
    assert_eq!(stems, covered);
    assert!(stems.len() >= 30);
}

#[test]
fn errors_have_the_right_kind() {
    assert!(matches!(load_err("typo_key").1, SpecError::Syntax { .. }));
    assert!(matches!(
        load_err("invalid_syntax").1,
        SpecError::Syntax { .. }
    ));
    assert!(matches!(
        load_err("unknown_call_target").1,
        SpecError::Unknown { .. }
    ));
    assert!(matches!(
        load_err("unknown_model").1,
        SpecError::Unknown { .. }
    ));
    assert!(matches!(
        load_err("sync_call_cycle").1,
        SpecError::Cycle { .. }
    ));
    assert!(matches!(
        load_err("duplicate_link").1,
        SpecError::Duplicate { .. }
    ));
    assert!(matches!(load_err("no_workload").1, SpecError::Empty { .. }));
    assert!(matches!(
        load_err("lognormal_missing_p99").1,
        SpecError::Missing { .. }
    ));
    assert!(matches!(
        load_err("probability_above_one").1,
        SpecError::Invalid { .. }
    ));
    assert!(matches!(load_err("retry_typo").1, SpecError::Syntax { .. }));
    assert!(matches!(
        load_err("fault_unknown_target").1,
        SpecError::Unknown { .. }
    ));
    assert!(matches!(
        load_err("fault_unknown_kind").1,
        SpecError::Unknown { .. }
    ));
    assert!(matches!(
        load_err("partition_on_service").1,
        SpecError::Invalid { .. }
    ));
    assert!(matches!(
        load_err("slow_fault_no_effect").1,
        SpecError::Missing { .. }
    ));
    assert!(matches!(
        load_err("send_unknown_queue").1,
        SpecError::Unknown { .. }
    ));
    assert!(matches!(
        load_err("publish_to_queue").1,
        SpecError::Invalid { .. }
    ));
    assert!(matches!(
        load_err("request_without_then").1,
        SpecError::Missing { .. }
    ));
    assert!(matches!(
        load_err("broker_named_like_service").1,
        SpecError::Duplicate { .. }
    ));
    assert!(matches!(
        load_err("duplicate_subscriber").1,
        SpecError::Duplicate { .. }
    ));
    assert!(matches!(
        load_err("slow_fault_on_broker").1,
        SpecError::Invalid { .. }
    ));
    assert!(matches!(
        load_err("saga_unknown_style").1,
        SpecError::Unknown { .. }
    ));
    assert!(matches!(
        load_err("saga_choreography_without_broker").1,
        SpecError::Missing { .. }
    ));
    assert!(matches!(
        load_err("saga_unknown_in_step").1,
        SpecError::Unknown { .. }
    ));
    assert!(matches!(
        load_err("saga_fail_above_one").1,
        SpecError::Invalid { .. }
    ));
}

#[test]
fn unknown_model_lists_the_built_in_models() {
    let msg = load_err("unknown_model").1.to_string();
    assert!(msg.contains("built-in models: bank-api, database"), "{msg}");
}

#[test]
fn a_missing_file_names_the_file() {
    let err = spec::load(Path::new("tests/bad_input/does_not_exist.toml")).unwrap_err();
    assert!(matches!(err, SpecError::Io { .. }));
    let msg = err.to_string();
    assert!(
        msg.starts_with("tests/bad_input/does_not_exist.toml: cannot read file: "),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}
