//! CPU sharing (`cpus`, issue 13): processor sharing against queueing theory, with
//! tolerances from the replications' own 95% confidence intervals (as in `theory`),
//! and the edges (deadlines, slow faults, crashes) with exact or deterministic checks.

use crate::common::{run, scenario, scenario_file, theory_header};
use crate::theory::{assert_in_ci, assert_little, erlang_c};
use archsim::experiment::Summary;

/// One station: `workers` threads on `cpus` cores (none: a worker is a core).
fn station(seed: u64, work: &str, workers: u32, cpus: Option<&str>, rate: f64) -> Summary {
    let cpus = cpus.map_or(String::new(), |c| format!("cpus = {c}\n"));
    let toml = format!(
        r#"{}
[services.server]
workers = {workers}
{cpus}queue = 10000000
operations.serve = {{ work = {work} }}

[[workload]]
flow = "f"
entry = "server.serve"
arrivals = {{ poisson = "{rate}/s" }}
"#,
        theory_header(seed, "200s", "20s", 20)
    );
    run(&scenario(&toml))
}

const EXP_1MS: &str = r#"{ dist = "exp", mean = "1ms" }"#;

#[test]
fn mm1_ps_mean_response_and_core_utilization() {
    // M/M/1-PS: one core, a thread per request. Mean response 1 / (mu - lambda) = 5 ms;
    // the core is busy rho of the time; the threads hold L = rho / (1 - rho) requests.
    let (mu, lambda) = (1000.0, 800.0);
    let s = station(101, EXP_1MS, 1000, Some("1"), lambda);
    let sv = &s.services[0];
    assert_in_ci(
        "M/M/1-PS mean response (ms)",
        s.flows[0].latency.mean,
        1e3 / (mu - lambda),
        0.0,
    );
    let cores = sv
        .core_utilization
        .expect("a service with cpus has core utilization");
    assert_in_ci("M/M/1-PS core utilization", cores, lambda / mu, 0.0);
    let rho: f64 = lambda / mu;
    assert_in_ci(
        "M/M/1-PS thread utilization",
        sv.utilization,
        rho / (1.0 - rho) / 1000.0,
        0.0,
    );
    assert_little(&s);
}

#[test]
fn md1_ps_is_insensitive_and_differs_from_fifo() {
    // M/D/1 at rho 0.8 with 1 ms: processor sharing gives E[S] / (1 - rho) = 5 ms (as for
    // any service distribution); FIFO gives D + rho D / (2 (1 - rho)) = 3 ms.
    let (lambda, rho) = (800.0, 0.8);
    let ps = station(102, r#""1ms""#, 1000, Some("1"), lambda);
    let fifo = station(102, r#""1ms""#, 1, None, lambda);
    let (ps_mean, fifo_mean) = (ps.flows[0].latency.mean, fifo.flows[0].latency.mean);
    assert_in_ci(
        "M/D/1-PS mean response (ms)",
        ps_mean,
        1.0 / (1.0 - rho),
        0.0,
    );
    assert_in_ci(
        "M/D/1 FIFO mean response (ms)",
        fifo_mean,
        1.0 + rho / (2.0 * (1.0 - rho)),
        0.0,
    );
    assert!(
        !ps_mean.contains(3.0, 0.0) && !fifo_mean.contains(5.0, 0.0),
        "PS ({ps_mean:?}) and FIFO ({fifo_mean:?}) must be told apart"
    );
    assert!(
        fifo.services[0].core_utilization.is_none(),
        "no cpus, no core figure"
    );
    assert_little(&ps);
}

#[test]
fn mg1_ps_high_variance_has_the_same_mean() {
    // Lognormal with mean 1 ms and standard deviation 3 ms (squared CV 9): FIFO would
    // wait rho E[S^2] / (2 (1 - rho)) = 7.5 ms; PS still gives E[S] / (1 - rho) = 2.5 ms.
    let (lambda, rho) = (600.0, 0.6);
    let work = r#"{ dist = "lognormal", mean = "1ms", std = "3ms" }"#;
    let s = station(103, work, 1000, Some("1"), lambda);
    assert_in_ci(
        "M/G/1-PS mean response (ms)",
        s.flows[0].latency.mean,
        1.0 / (1.0 - rho),
        0.0,
    );
    let cores = s.services[0].core_utilization.unwrap();
    assert_in_ci("M/G/1-PS core utilization", cores, rho, 0.0);
}

#[test]
fn c_cpus_with_c_workers_is_mmc() {
    let (c, mu, rho) = (4u32, 1000.0, 0.8);
    let lambda = rho * c as f64 * mu;
    let s = station(104, EXP_1MS, c, Some("4"), lambda);
    let wq_ms = erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) * 1e3;
    let mut wait = s.flows[0].latency.mean;
    wait.mean -= 1.0; // the service mean is exactly 1 ms
    assert_in_ci(
        "M/M/4 (cpus = workers = 4) mean wait (ms)",
        wait,
        wq_ms,
        0.0,
    );
    assert_in_ci(
        "M/M/4 thread utilization",
        s.services[0].utilization,
        rho,
        0.0,
    );
    assert_in_ci(
        "M/M/4 core utilization",
        s.services[0].core_utilization.unwrap(),
        rho,
        0.0,
    );
    assert_little(&s);
}

#[test]
fn half_a_core_is_mm1_ps_at_half_the_speed() {
    // cpus = 0.5: one execution alone runs at half speed, so mu = 500/s; at 300/s the
    // mean response is 1 / (500 - 300) = 5 ms and the half core is 60% busy.
    let s = station(105, EXP_1MS, 100, Some("0.5"), 300.0);
    assert_in_ci(
        "M/M/1-PS on 0.5 cpus mean response (ms)",
        s.flows[0].latency.mean,
        5.0,
        0.0,
    );
    assert_in_ci(
        "0.5 cpus core utilization",
        s.services[0].core_utilization.unwrap(),
        0.6,
        0.0,
    );
}

/// Constant arrivals every 200 ms of 100 ms of work on one core: no overlap, so every
/// figure is exact. `extra` is appended (a fault, a workload timeout).
fn lone_requests(timeout: &str, extra: &str) -> Summary {
    let toml = format!(
        r#"{}
[services.server]
workers = 8
cpus = 1
operations.serve = {{ work = "100ms" }}

[[workload]]
flow = "f"
entry = "server.serve"
arrivals = {{ constant = "5/s" }}
{timeout}
{extra}
"#,
        theory_header(7, "60s", "10s", 2)
    );
    run(&scenario(&toml))
}

#[test]
fn a_deadline_takes_the_execution_off_the_cores() {
    let plain = lone_requests("", "");
    assert!((plain.services[0].core_utilization.unwrap().mean - 0.5).abs() < 1e-6);
    assert!((plain.flows[0].latency.mean.mean - 100.0).abs() < 1e-6);
    // The deadline (50 ms) cuts the work: the core works 50 ms in every 200.
    let cut = lone_requests("timeout = \"50ms\"\ndeadline = true", "");
    let cores = cut.services[0].core_utilization.unwrap().mean;
    assert!(
        (cores - 0.25).abs() < 1e-6,
        "core utilization {cores}, expected 0.25"
    );
    assert!((cut.services[0].mean_work.mean - 50.0).abs() < 1e-6);
    assert!(
        (cut.flows[0].success_rate.mean).abs() < 1e-12,
        "every request timed out"
    );
}

#[test]
fn a_slow_fault_stretches_the_work_on_cores() {
    let fault = "[[fault]]\ntarget = \"server\"\nkind = \"slow\"\nfactor = 1.5\nat = \"1s\"\nduration = \"10m\"";
    let s = lone_requests("", fault);
    assert!((s.flows[0].latency.mean.mean - 150.0).abs() < 1e-6);
    assert!((s.services[0].core_utilization.unwrap().mean - 0.75).abs() < 1e-6);
}

/// A shared-core service under load with a crash, a hang and client deadlines.
fn faulted(seed: u64) -> Summary {
    let toml = format!(
        r#"{}
[services.front]
workers = 64
cpus = 2
queue = 50
operations.go = {{ work = {{ dist = "exp", mean = "2ms" }}, steps = [ {{ call = "back.serve", timeout = "30ms" }} ] }}

[services.back]
replicas = 2
workers = 32
cpus = 1.5
queue = 20
balancer = "least-outstanding"
operations.serve = {{ work = {{ dist = "lognormal", median = "1ms", p99 = "20ms" }} }}

[[workload]]
flow = "f"
entry = "front.go"
timeout = "60ms"
deadline = true
arrivals = {{ poisson = "700/s" }}

[[fault]]
target = "back#0"
kind = "crash"
at = "10s"
duration = "5s"

[[fault]]
target = "back#1"
kind = "hang"
at = "20s"
duration = "2s"
"#,
        theory_header(seed, "40s", "5s", 3)
    );
    run(&scenario(&toml))
}

#[test]
fn faults_on_shared_cores_conserve_and_repeat() {
    // `run` fails on any conservation breach; the same seed gives the same JSON.
    let a = serde_json::to_string(&faulted(9)).unwrap();
    let b = serde_json::to_string(&faulted(9)).unwrap();
    assert_eq!(a, b, "same seed, same summary");
    let s = faulted(9);
    for sv in &s.services {
        let c = sv.core_utilization.unwrap().mean;
        assert!(c > 0.0 && c <= 1.0, "{}: core utilization {c}", sv.name);
    }
    assert!(
        s.flows[0].success_rate.mean < 1.0,
        "the faults fail some requests"
    );
    assert!(s.flows[0].success_rate.mean > 0.5, "most requests succeed");
    assert!(a.contains("\"core_utilization\""));
}

#[test]
fn threads_vs_cores_scenario_reads_right() {
    let exp = crate::common::experiment(&scenario_file("scenarios/capacity/threads-vs-cores.toml"));
    let by = |name: &str| {
        let v = exp
            .variants
            .iter()
            .find(|v| v.name == name)
            .expect("variant");
        &v.summary
    };
    let service = |s: &Summary, name: &str| {
        s.services
            .iter()
            .find(|sv| sv.name == name)
            .cloned()
            .unwrap()
    };
    let four = by("4 threads (a worker is a core)");
    let wide = by("64 threads on 4 cores");
    let small = by("64 threads on 2.5 cores");
    // A worker per core: the threads are the bottleneck, requests are rejected.
    assert!(service(four, "api4").utilization.mean > 0.99);
    assert!(service(four, "api4").core_utilization.is_none());
    assert!(four.flows[0].success_rate.mean < 0.6);
    // 64 threads on 4 cores: 400/s x 5 ms = 2 cores of 4 busy, nothing rejected.
    let api = service(wide, "api64");
    assert!(
        (api.core_utilization.unwrap().mean - 0.5).abs() < 0.03,
        "{api:?}"
    );
    assert!(wide.flows[0].success_rate.mean > 0.999);
    // On 2.5 cores: 80% busy, and local work stretches under sharing.
    let api = service(small, "api64_small");
    assert!(
        (api.core_utilization.unwrap().mean - 0.8).abs() < 0.04,
        "{api:?}"
    );
    assert!(api.mean_work.mean > service(wide, "api64").mean_work.mean * 1.3);
}

#[test]
fn equal_starts_share_the_cores_and_finish_together() {
    // Three closed-loop users with a constant think time send at the same instants;
    // 10 ms of work each on 2 cores runs at 2/3 speed, so all three finish after
    // 3 x 10 / 2 = 15 ms (rounded up to the nanosecond, ties in start order).
    let toml = format!(
        r#"{}
[services.server]
workers = 3
cpus = 2
operations.serve = {{ work = "10ms" }}

[[workload]]
flow = "f"
entry = "server.serve"
arrivals = {{ closed = {{ users = 3, think = "100ms" }} }}
"#,
        theory_header(5, "20s", "1s", 2)
    );
    let s = run(&scenario(&toml));
    let sv = &s.services[0];
    assert!((sv.mean_sojourn.mean - 15.0).abs() < 1e-5, "{sv:?}");
    assert!((sv.mean_work.mean - 15.0).abs() < 1e-5, "{sv:?}");
    // Both cores busy for 15 ms in every 115 ms.
    let cores = sv.core_utilization.unwrap().mean;
    assert!(
        (cores - 15.0 / 115.0).abs() < 2e-3,
        "core utilization {cores}"
    );
}
