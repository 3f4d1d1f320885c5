//! Connection pools (`[services.X.pools.Y]`, issue 13): a REST pool of K connections
//! against the Erlang B and Erlang C formulas, with tolerances from the replications'
//! own 95% confidence intervals (as in `theory`), and the bad values as located errors.
//!
//! In every theory test a connection is held exactly as long as the callee serves the
//! call: the network and the protocols cost nothing and the callee has ample workers,
//! so the hold time is the callee's exponential service time. Poisson calls on K
//! connections with exponential holding are then the M/M/K/K loss system (no waiting
//! room: Erlang B) or the M/M/K queue (waiting: Erlang C), for which the closed forms
//! hold.

use crate::common::{run, scenario, theory_header};
use crate::theory::{assert_in_ci, erlang_c};
use archsim::experiment::Summary;

/// Erlang B: the blocking probability of `k` servers offered `a` Erlangs.
fn erlang_b(k: u32, a: f64) -> f64 {
    // B(0) = 1; B(n) = a B(n-1) / (n + a B(n-1)).
    (1..=k).fold(1.0, |b, n| a * b / (n as f64 + a * b))
}

/// A front with ample workers calls a backend through a REST pool of `k` connections.
fn pooled(seed: u64, k: u32, acquire_timeout: Option<&str>, rate: f64) -> Summary {
    let timeout = acquire_timeout.map_or(String::new(), |t| format!("acquire_timeout = \"{t}\"\n"));
    let toml = format!(
        r#"{}
[services.front]
workers = 100000
queue = 0
operations.get = {{ steps = [ {{ call = "backend.serve" }} ] }}

[services.front.pools.backend]
kind = "rest"
connections = {k}
{timeout}
[services.backend]
workers = 100000
queue = 0
operations.serve = {{ work = {{ dist = "exp", mean = "1ms" }} }}

[[workload]]
flow = "f"
entry = "front.get"
arrivals = {{ poisson = "{rate}/s" }}
"#,
        theory_header(seed, "60s", "5s", 12)
    );
    run(&scenario(&toml))
}

#[test]
fn rest_pool_without_waiting_room_blocks_by_erlang_b() {
    // K = 4 connections offered a = lambda / mu = 3 Erlangs: B(4, 3) = 0.2061.
    let (k, mu, lambda) = (4, 1000.0, 3000.0);
    let s = pooled(201, k, Some("0s"), lambda);
    let p = &s.pools[0];
    let b = erlang_b(k, lambda / mu);
    assert!((b - 0.2061).abs() < 1e-3, "Erlang B itself: {b}");
    eprintln!(
        "Erlang B {b:.4}: blocked {:?}, utilization {:?}",
        p.exhausted_rate, p.utilization
    );
    assert_in_ci(
        "M/M/4/4 blocking (pool exhausted)",
        p.exhausted_rate,
        b,
        0.0,
    );
    // Every blocked call fails the request with its own reason.
    let f = &s.flows[0];
    let exhausted = f
        .failures
        .iter()
        .find(|x| x.reason == "pool exhausted")
        .expect("pool exhausted failures");
    assert_in_ci("requests failed by the pool", exhausted.rate, b, 0.0);
    assert!(
        f.failures_by_root_cause
            .iter()
            .any(|x| x.reason == "pool exhausted" && x.root_cause.as_deref() == Some("backend")),
        "root cause is the callee: {:?}",
        f.failures_by_root_cause
    );
    // Carried load a (1 - B) spread over K connections; nobody waits.
    assert_in_ci(
        "pool utilization",
        p.utilization,
        lambda / mu * (1.0 - b) / k as f64,
        0.0,
    );
    assert_eq!(p.wait_probability.mean, 0.0);
    assert!(p.peak_in_use.mean <= k as f64);
}

#[test]
fn rest_pool_with_waiting_is_mmk_for_connections() {
    // K = 4, a = 3: P(wait) = C(4, 3) = 0.5094, mean wait C / (K mu - lambda) = 0.509 ms,
    // and the response is that wait plus the 1 ms service.
    let (k, mu, lambda) = (4, 1000.0, 3000.0);
    let s = pooled(202, k, None, lambda);
    let p = &s.pools[0];
    let c = erlang_c(k, lambda / mu);
    let wq_ms = c / (k as f64 * mu - lambda) * 1e3;
    eprintln!(
        "Erlang C {c:.4}, Wq {wq_ms:.4} ms: P(wait) {:?}, wait {:?}, response {:?}",
        p.wait_probability, p.mean_wait_ms, s.flows[0].latency.mean
    );
    assert_in_ci("P(wait for a connection)", p.wait_probability, c, 0.0);
    assert_in_ci(
        "mean wait for a connection (ms)",
        p.mean_wait_ms,
        wq_ms,
        0.0,
    );
    assert_in_ci(
        "mean response (ms)",
        s.flows[0].latency.mean,
        wq_ms + 1.0,
        0.0,
    );
    assert_in_ci(
        "pool utilization",
        p.utilization,
        lambda / mu / k as f64,
        0.0,
    );
    // Little's law for the waiting line: Lq = lambda Wq.
    assert_in_ci("mean waiting", p.mean_waiting, lambda * wq_ms / 1e3, 0.0);
    assert_eq!(p.exhausted.mean, 0.0);
}

#[test]
fn acquire_timeout_fails_waiters_and_grpc_multiplexes() {
    // One REST connection, 10 ms holds, 1 ms acquire timeout, at 50/s: a call that finds
    // the connection busy waits at most 1 ms, so some fail; the same pool as gRPC with
    // 8 streams never runs out at this load.
    let base = |pool: &str| {
        format!(
            r#"{}
[services.front]
workers = 1000
operations.get = {{ steps = [ {{ call = "backend.serve" }} ] }}

[services.front.pools.backend]
{pool}

[services.backend]
workers = 1000
operations.serve = {{ work = "10ms" }}

[[workload]]
flow = "f"
entry = "front.get"
arrivals = {{ poisson = "50/s" }}
"#,
            theory_header(203, "20s", "1s", 4)
        )
    };
    let rest = run(&scenario(&base(
        "kind = \"rest\"\nconnections = 1\nacquire_timeout = \"1ms\"",
    )));
    let grpc = run(&scenario(&base(
        "kind = \"grpc\"\nconnections = 1\nmax_streams = 8\nacquire_timeout = \"1ms\"",
    )));
    let (r, g) = (&rest.pools[0], &grpc.pools[0]);
    assert!(
        r.exhausted.mean > 0.0 && r.wait_probability.mean > 0.0,
        "{r:?}"
    );
    // A waiter either got the connection within 1 ms or failed: waits are at most 1 ms.
    assert!(r.mean_wait_ms.mean <= 1.0, "{r:?}");
    assert_eq!(g.exhausted.mean, 0.0, "{g:?}");
    assert_eq!(g.slots, 8);
    assert!(rest.flows[0].success_rate.mean < grpc.flows[0].success_rate.mean);
}

#[test]
fn pool_runs_are_deterministic_and_conserve() {
    let toml = format!(
        r#"{}
[services.front]
workers = 8
operations.get = {{ steps = [ {{ call = "backend.serve", timeout = "20ms", retry = {{ attempts = 2 }} }} ] }}

[services.front.pools.backend]
connections = 2
acquire_timeout = "5ms"

[services.backend]
workers = 2
operations.serve = {{ work = {{ dist = "exp", mean = "4ms" }} }}

[[workload]]
flow = "f"
entry = "front.get"
arrivals = {{ poisson = "600/s" }}
"#,
        theory_header(204, "5s", "1s", 3)
    );
    let a = run(&scenario(&toml));
    let b = run(&scenario(&toml));
    assert_eq!(
        serde_json::to_string(&a.pools).unwrap(),
        serde_json::to_string(&b.pools).unwrap()
    );
    assert!(a.pools[0].exhausted.mean > 0.0);
    // A run whose books (pools included) do not balance is an error, so these ran clean.
    assert!(
        a.conservation.iter().all(|c| c.balances()),
        "{:?}",
        a.conservation
    );
}

fn load_err(pool: &str) -> String {
    let toml = format!(
        r#"
[simulation]
duration = "1s"

[services.front]
operations.get = {{ steps = [ {{ call = "backend.serve" }} ] }}

[services.front.pools.backend]
{pool}

[services.backend]
operations.serve = {{ work = "1ms" }}

[[workload]]
flow = "f"
entry = "front.get"
arrivals = {{ poisson = "10/s" }}
"#
    );
    match archsim::spec::load_str(&toml, std::path::Path::new("p.toml")) {
        Ok(_) => panic!("accepted: {pool}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_pool_values_are_located_errors() {
    for (pool, want) in [
        ("", "connections"),
        ("connections = 0", "must be >= 1"),
        ("connections = 200000", "must be <="),
        (
            "connections = 2\nkind = \"http3\"",
            "expected \"rest\" or \"grpc\"",
        ),
        (
            "connections = 2\nmax_streams = 4",
            "max_streams is for kind = \"grpc\"",
        ),
        (
            "connections = 2\nkind = \"grpc\"\nmax_streams = 0",
            "must be >= 1",
        ),
        (
            "connections = 2\nacquire_timeout = 5",
            "durations are strings",
        ),
        ("connections = 2\nsize = 3", "size"),
    ] {
        let e = load_err(pool);
        assert!(e.contains("p.toml:"), "{pool}: not located: {e}");
        assert!(e.contains(want), "{pool}: {e}");
        assert!(!e.contains('\n'), "{pool}: one line: {e}");
    }
}

#[test]
fn a_pool_must_name_a_called_service() {
    let toml = r#"
[simulation]
duration = "1s"

[services.front]
operations.get = { work = "1ms" }

[services.front.pools.backend]
connections = 2

[services.backend]
operations.serve = { work = "1ms" }

[[workload]]
flow = "f"
entry = "front.get"
arrivals = { poisson = "10/s" }
"#;
    let e = archsim::spec::load_str(toml, std::path::Path::new("p.toml"))
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("services.front.pools.backend") && e.contains("no synchronous call"),
        "{e}"
    );
    let e = archsim::spec::load_str(
        &toml.replace("pools.backend]", "pools.nobody]"),
        std::path::Path::new("p.toml"),
    )
    .expect_err("refused")
    .to_string();
    assert!(e.contains("no service named"), "{e}");
}

#[test]
fn pool_wait_is_its_own_hop_on_paths_and_in_the_breakdown() {
    // One connection held exactly 10 ms per call, Poisson calls at 80/s: the connection
    // is an M/D/1 queue, mean wait rho D / (2 (1 - rho)) = 20 ms. The wait shows as the
    // "front -> backend (pool wait)" hop (queue time), the paths still add up exactly,
    // and the hop's share of the sampled mean response is the pool's mean wait.
    let toml = format!(
        r#"{}
[services.front]
workers = 10000
operations.get = {{ steps = [ {{ call = "backend.serve" }} ] }}

[services.front.pools.backend]
connections = 1

[services.backend]
workers = 100
operations.serve = {{ work = "10ms" }}

[[workload]]
flow = "f"
entry = "front.get"
arrivals = {{ poisson = "80/s" }}
"#,
        theory_header(205, "400s", "20s", 8)
    );
    let sc = scenario(&toml);
    let s = run(&sc);
    let p = &s.pools[0];
    assert_in_ci(
        "M/D/1 wait for the connection (ms)",
        p.mean_wait_ms,
        20.0,
        0.0,
    );
    let traced = archsim::report::names::named_traced(&sc, &s.traced);
    let b = &traced.response_breakdowns[0];
    let sum: f64 = b.hops.iter().map(|h| h.total_ms()).sum();
    assert!(
        (sum - b.mean_latency_ms).abs() < 1e-9 * b.mean_latency_ms,
        "{b:#?}"
    );
    let wait = b
        .hops
        .iter()
        .find(|h| h.operation == "front -> backend (pool wait)")
        .unwrap_or_else(|| panic!("no pool-wait hop: {b:#?}"));
    assert!(wait.network_ms == 0.0 && wait.work_ms == 0.0 && wait.other_ms == 0.0);
    // The sample (about 2000 responses of replication 1) against all replications.
    assert!(
        (wait.queue_ms - p.mean_wait_ms.mean).abs() < 0.25 * p.mean_wait_ms.mean,
        "breakdown {} ms vs pool {:?}",
        wait.queue_ms,
        p.mean_wait_ms
    );
    for path in &traced.critical_paths {
        assert_eq!(path.hops_total_ns(), path.latency_ns, "{path:#?}");
        assert!(path
            .hops
            .iter()
            .any(|h| h.operation.ends_with("(pool wait)")));
    }
}
