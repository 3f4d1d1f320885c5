//! Load-time limits that are not a single bad file: files that are not regular files
//! or are too large, command-line overrides, values at the edge that must stay valid.

use archsim::spec::{self, limits, SpecError};
use archsim::Overrides;
use std::path::Path;

fn scenario_with(work: &str, extra: &str) -> String {
    format!(
        r#"
[simulation]
duration = "1m"

[services.api]
operations.get = {{ work = {work} }}

[[workload]]
entry = "api.get"
arrivals = {{ poisson = "10/s" }}
{extra}
"#
    )
}

fn load_in(dir: &Path, text: &str) -> Result<archsim::Scenario, SpecError> {
    let path = dir.join("s.toml");
    std::fs::write(&path, text).unwrap();
    spec::load(&path)
}

fn one_line(e: &SpecError) -> String {
    let m = e.to_string();
    assert!(!m.contains('\n'), "{m}");
    m
}

#[test]
#[cfg(unix)]
fn an_empirical_file_that_is_a_device_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario_with(r#"{ dist = "empirical", file = "/dev/zero" }"#, "");
    let err = load_in(dir.path(), &text).unwrap_err();
    let m = one_line(&err);
    assert!(
        m.ends_with(
            "s.toml:6: services.api.operations.get.work.file: cannot read \"/dev/zero\": not a regular file; give the path of a regular file"
        ),
        "{m}"
    );
}

#[test]
fn an_empirical_file_that_is_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data.csv")).unwrap();
    let text = scenario_with(r#"{ dist = "empirical", file = "data.csv" }"#, "");
    let m = one_line(&load_in(dir.path(), &text).unwrap_err());
    assert!(
        m.contains("data.csv\": a directory; give the path of a regular file"),
        "{m}"
    );
}

#[test]
fn an_empirical_file_above_the_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = std::fs::File::create(dir.path().join("big.csv")).unwrap();
    csv.set_len(limits::MAX_CSV_BYTES + 1).unwrap(); // sparse: no disk, no time
    let text = scenario_with(r#"{ dist = "empirical", file = "big.csv" }"#, "");
    let m = one_line(&load_in(dir.path(), &text).unwrap_err());
    assert!(
        m.contains("big.csv\": larger than the 64 MiB limit on this kind of file"),
        "{m}"
    );
}

#[test]
#[cfg(unix)]
fn a_scenario_that_is_a_device_or_a_directory_is_refused() {
    for (path, why) in [
        ("/dev/zero", "not a regular file"),
        ("tests", "a directory"),
    ] {
        let err = spec::load(Path::new(path)).unwrap_err();
        assert!(matches!(err, SpecError::Io { .. }));
        assert_eq!(
            err.to_string(),
            format!("{path}: cannot read file: {why}; give the path of a regular file")
        );
    }
}

#[test]
fn a_scenario_above_the_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(limits::MAX_SCENARIO_BYTES + 1).unwrap();
    let m = one_line(&spec::load(&path).unwrap_err());
    assert!(
        m.ends_with(
            "huge.toml: cannot read file: larger than the 16 MiB limit on this kind of file"
        ),
        "{m}"
    );
}

#[test]
fn a_model_file_that_is_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("profile.toml")).unwrap();
    let text = r#"
[simulation]
duration = "1m"

[services.api]
model = "profile.toml"
operations.get = { work = "1ms" }

[[workload]]
entry = "api.get"
arrivals = { poisson = "10/s" }
"#;
    let m = one_line(&load_in(dir.path(), text).unwrap_err());
    assert!(
        m.contains(":6: services.api.model: cannot read model file"),
        "{m}"
    );
    assert!(
        m.ends_with("profile.toml\": a directory; give the path of a regular file"),
        "{m}"
    );
}

#[test]
fn the_longest_duration_is_valid_where_it_means_never() {
    let text = scenario_with(
        r#""18446744073709551615ns""#,
        "timeout = \"18446744073709551615ns\"",
    );
    let sc = spec::load_str(&text, Path::new("edge.toml")).unwrap();
    assert_eq!(sc.workloads[0].timeout, Some(u64::MAX));
    assert_eq!(sc.operations[0].work.mean(), u64::MAX as f64);
}

#[test]
fn scientific_notation_is_accepted_in_durations_and_rates() {
    let text = r#"
[simulation]
duration = "6e1s"
warmup = "1e4ms"

[services.api]
operations.get = { work = { dist = "exp", mean = "2.5e-3s" } }

[[workload]]
entry = "api.get"
arrivals = { poisson = "1e3/s" }
rate_limit = { rate = "1.5e2/s", burst = 10 }
"#;
    let sc = spec::load_str(text, Path::new("sci.toml")).unwrap();
    assert_eq!(sc.sim.duration, 60_000_000_000);
    assert_eq!(sc.sim.warmup, 10_000_000_000);
    assert_eq!(sc.operations[0].work.mean(), 2_500_000.0);
    match &sc.workloads[0].arrivals {
        archsim::model::Arrivals::Poisson { rate } => assert_eq!(*rate, 1000.0),
        other => panic!("{other:?}"),
    }
    assert_eq!(sc.workloads[0].rate_limit.unwrap().rate, 150.0);
}

#[test]
fn the_largest_values_at_the_limits_load() {
    let text = format!(
        r#"
[simulation]
duration = "1000h"
timeline = "36s"

[services.api]
replicas = {}
operations.get = {{ work = "1ms" }}

[[workload]]
entry = "api.get"
arrivals = {{ poisson = "1e9/s" }}
"#,
        limits::MAX_TOTAL_REPLICAS
    );
    let sc = spec::load_str(&text, Path::new("edge.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.sim.duration, limits::MAX_RUN_DURATION);
    assert_eq!(sc.services[0].replicas, limits::MAX_TOTAL_REPLICAS);
    // The run widens its timeline interval to a multiple of 36 s: 167 x 36 s fits 1000 h in 600.
    assert_eq!(
        sc.sim.timeline_interval(),
        167 * 36 * archsim::kernel::NANOS_PER_SEC
    );
    let two = format!(
        "{text}\n[[workload]]\nflow = \"users\"\nentry = \"api.get\"\narrivals = {{ closed = {{ users = {}, think = \"1s\" }} }}\n",
        limits::MAX_CLOSED_USERS
    );
    let sc = spec::load_str(&two, Path::new("edge.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        sc.workloads[1].arrivals,
        archsim::model::Arrivals::Closed { users, .. } if users == limits::MAX_CLOSED_USERS
    ));
    // The most replications of both flows fit: a finished replication keeps its
    // latency figures and timeline, not its histograms (two full-range histograms per
    // flow and replication made this 11 GiB, 5.6 times the budget).
    let many = two.replace(
        "timeline = \"36s\"",
        &format!(
            "timeline = \"36s\"\nreplications = {}",
            limits::MAX_REPLICATIONS
        ),
    );
    let sc = spec::load_str(&many, Path::new("edge.toml")).unwrap_or_else(|e| panic!("{e}"));
    let kept = limits::kept_metrics(&sc);
    assert!(
        kept.total() < limits::MAX_KEPT_METRICS_BYTES && kept.per_replication() < 120_000,
        "{kept:?}"
    );
}

/// A scenario of `services` services in a row of one flow (`s0.op` its entry).
fn wide(services: usize, sim: &str) -> String {
    let mut text = format!("[simulation]\n{sim}\n");
    for i in 0..services {
        text.push_str(&format!(
            "[services.s{i}]\noperations.op = {{ work = \"1ms\" }}\n"
        ));
    }
    text.push_str("[[workload]]\nentry = \"s0.op\"\narrivals = { poisson = \"1/s\" }\n");
    text
}

#[test]
fn when_the_counters_alone_are_over_only_fewer_replications_help() {
    // 5000 services keep 2.6 MB of counters per replication (and a one-interval
    // timeline of 0.2 MB): 10000 replications are 27 GB whatever the timeline.
    let text = wide(
        5000,
        "duration = \"1s\"\ntimeline = \"1s\"\nreplications = 10000",
    );
    let m = spec::load_str(&text, Path::new("wide.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with("wide.toml:4: simulation.replications: the metrics kept until the experiment is reduced would take about 26")
            && m.contains("(10000 replications x (1 timeline intervals of 1 flows, 5000 services, 0 queues, and 2503 KiB of counters) + 6 latency histograms)")
            && m.ends_with("lower [simulation] replications to at most 776"),
        "{m}"
    );
    // At the most it names, the experiment loads.
    let most = text.replace("replications = 10000", "replications = 776");
    spec::load_str(&most, Path::new("wide.toml")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn many_services_make_the_timeline_the_fix() {
    // 2000 services: 600 intervals x 2000 x 40 B = 46 MiB of timeline per replication,
    // against 1 MiB of counters; 60 replications are over 2 GiB, and 436 intervals
    // (1.4 s wide) bring them under.
    let text = wide(
        2000,
        "duration = \"10m\"\nreplications = 60\ntimeline = \"1s\"",
    );
    let m = spec::load_str(&text, Path::new("wide.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with("wide.toml:4: simulation.timeline: the metrics kept until the experiment is reduced would take about 2809 MiB")
            && m.ends_with(
                "lower [simulation] replications or set [simulation] timeline to at least 1400ms"
            ),
        "{m}"
    );
    let wider = text.replace("timeline = \"1s\"", "timeline = \"1400ms\"");
    spec::load_str(&wider, Path::new("wide.toml")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_kept_metrics_estimate_matches_their_sizes() {
    // A full-range latency histogram, as every flow keeps two of.
    let h = archsim::metrics::new_histogram();
    let bytes = (h.distinct_values() * std::mem::size_of::<u64>()) as u64;
    assert!(
        bytes <= limits::HISTOGRAM_BYTES && bytes * 10 >= limits::HISTOGRAM_BYTES * 9,
        "{bytes} bytes per histogram"
    );
    let interval = std::mem::size_of::<archsim::metrics::FlowInterval>() as u64;
    assert!(
        interval <= limits::FLOW_INTERVAL_BYTES,
        "{interval} bytes per flow interval"
    );
    let service = std::mem::size_of::<archsim::metrics::ServiceInterval>() as u64;
    assert!(
        service <= limits::SERVICE_INTERVAL_BYTES,
        "{service} bytes per service interval"
    );
    let scale = std::mem::size_of::<archsim::metrics::ScaleInterval>() as u64;
    assert!(
        scale <= limits::SCALE_INTERVAL_BYTES,
        "{scale} bytes per autoscaler interval"
    );
}

fn loaded(extra_sim: &str, extra: &str) -> String {
    let text = format!(
        r#"
[simulation]
duration = "1m"
{extra_sim}

[services.api]
operations.get = {{ work = "1ms" }}

[[workload]]
entry = "api.get"
arrivals = {{ poisson = "10/s" }}
{extra}
"#
    );
    spec::load_str(&text, Path::new("o.toml")).unwrap();
    text
}

/// The scenario `text` loaded with the overrides `o`.
fn applied(text: &str, o: Overrides) -> Result<archsim::Scenario, archsim::Error> {
    Ok(spec::load_with(text, Path::new("o.toml"), &o)?)
}

fn override_err(sc: &str, o: Overrides) -> String {
    let e = applied(sc, o).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let m = e.to_string();
    assert!(!m.contains('\n'), "{m}");
    m
}

#[test]
fn overrides_obey_the_same_limits() {
    let sc = loaded("", "");
    let m = override_err(
        &sc,
        Overrides {
            replications: Some(4_294_967_295),
            ..Default::default()
        },
    );
    assert_eq!(
        m,
        "--replications: at most 10000 (the metrics of each replication are kept until the experiment is reduced), got 4294967295"
    );
    let m = override_err(
        &sc,
        Overrides {
            duration: Some("1001h".into()),
            ..Default::default()
        },
    );
    assert_eq!(m, "--duration: longer than the 1000h limit on a run");
    // 1000 h at the scenario's 1 s timeline: the interval widens, the run is valid.
    let long = applied(
        &sc,
        Overrides {
            duration: Some("1000h".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        long.sim.timeline_interval(),
        6000 * archsim::kernel::NANOS_PER_SEC
    );
    // Replications that would not fit the kept metrics' memory budget.
    let m = override_err(
        &wide(2000, "duration = \"10m\""),
        Overrides {
            replications: Some(10_000),
            ..Default::default()
        },
    );
    assert!(
        m.starts_with("--replications: the metrics kept until the experiment is reduced would take about 467926 MiB"),
        "{m}"
    );
    let m = override_err(
        &sc,
        Overrides {
            duration: Some("1e400s".into()),
            ..Default::default()
        },
    );
    assert!(
        m.starts_with("--duration: duration \"1e400s\" is too long"),
        "{m}"
    );
    // Within the limits, the overrides apply.
    let sc = applied(
        &sc,
        Overrides {
            seed: Some(u64::MAX),
            replications: Some(100),
            duration: Some("2m".into()),
            max_events: Some(1_000_000),
            max_pending: Some(1_000),
        },
    )
    .unwrap();
    assert_eq!(
        (
            sc.sim.replications,
            sc.sim.duration,
            sc.sim.max_events,
            sc.sim.max_pending
        ),
        (100, 120_000_000_000, 1_000_000, 1_000)
    );
    // The most replications the kept metrics afford: the message's own figure loads.
    let sc = wide(5000, "duration = \"1s\"");
    let m = override_err(
        &sc,
        Overrides {
            replications: Some(limits::MAX_REPLICATIONS),
            ..Default::default()
        },
    );
    assert!(
        m.ends_with("lower [simulation] replications to at most 776"),
        "{m}"
    );
    applied(
        &sc,
        Overrides {
            replications: Some(776),
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn overrides_are_checked_against_the_expected_fault_windows() {
    let fault = "[[fault]]\ntarget = \"api\"\nkind = \"crash\"\nmtbf = \"10ms\"\nmttr = \"10ms\"\n";
    let sc = loaded("", fault);
    let m = override_err(
        &sc,
        Overrides {
            replications: Some(1000),
            ..Default::default()
        },
    );
    assert!(
        m.starts_with("--replications: mean mtbf + mttr is 20.00ms: over 1m x 1000 replications that is about 3.000e6 outages, more than the 1000000 fault windows allowed per experiment; set a mean mtbf of at least"),
        "{m}"
    );
}

#[test]
fn a_partition_between_a_saga_coordinator_and_a_participant_loads() {
    let text = r#"
[simulation]
duration = "1m"

[sagas.checkout]
style = "orchestration"
coordinator = "orchestrator"
steps = [
  { action = "order.create", compensate = "order.cancel" },
  { action = "payment.charge", compensate = "payment.refund" },
]

[services.orchestrator]
operations.start = { work = "1ms", steps = [ { saga = "checkout" } ] }

[services.order]
operations.create = { work = "1ms" }
operations.cancel = { work = "1ms" }

[services.payment]
operations.charge = { work = "1ms" }
operations.refund = { work = "1ms" }

[[workload]]
entry = "orchestrator.start"
arrivals = { poisson = "10/s" }

[[fault]]
target = "orchestrator->payment"
kind = "partition"
at = "10s"
duration = "20s"
"#;
    let sc = spec::load_str(text, Path::new("saga.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.faults.len(), 1);
    assert!(sc.links.iter().any(|l| l.name == "orchestrator->payment"));
    // The reverse direction carries no saga command.
    let reverse = text.replace("orchestrator->payment", "payment->orchestrator");
    let m = spec::load_str(&reverse, Path::new("saga.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("link payment->orchestrator carries no traffic"),
        "{m}"
    );
}
