//! archsim against queueing theory.
//!
//! Every check compares a closed form with an estimate from independent replications
//! and accepts it when the closed form lies inside the estimate's 95% confidence
//! interval (Student t over replications), widened only by the HDR histograms'
//! documented quantization (3 significant digits: 0.1% relative) for percentiles. The
//! seeds are fixed, so the tests are deterministic; with any seed a correct simulator
//! fails a given check about 5% of the time (measured: 1-9% per check over 100 seeds,
//! so a whole test of several checks 4-23%; `scripts/theory-coverage.py`), a wrong one
//! almost always.

use crate::common;

use archsim::experiment::{Estimate, Summary};
use common::{run, scenario, theory_header};

/// Assert that `theory` is inside the CI of `est` (plus `quantization` relative slack).
pub(crate) fn assert_in_ci(what: &str, est: Estimate, theory: f64, quantization: f64) {
    let slack = theory.abs() * quantization;
    assert!(
        est.contains(theory, slack),
        "{what}: theory {theory:.4} outside estimate {:.4} ± {:.4} (+{slack:.4} quantization)",
        est.mean,
        est.ci95
    );
    // A CI so wide that it would accept anything is a failed experiment, not a pass.
    assert!(
        est.ci95 < 0.1 * theory.abs(),
        "{what}: CI ±{:.4} too wide to test {theory:.4}",
        est.ci95
    );
}

/// Little's law on every service: time-average number in system L = lambda W.
pub(crate) fn assert_little(summary: &Summary) {
    for s in &summary.services {
        let (l, lw) = (s.mean_in_system, s.little_lambda_w);
        let tol = l.ci95 + lw.ci95 + 0.01 * l.mean.abs();
        assert!(
            (l.mean - lw.mean).abs() <= tol,
            "Little's law at {}: L = {:.4} ± {:.4} but lambda W = {:.4} ± {:.4}",
            s.name,
            l.mean,
            l.ci95,
            lw.mean,
            lw.ci95
        );
    }
}

fn single_station(
    seed: u64,
    work: &str,
    workers: u32,
    rate_per_s: f64,
    duration: &str,
    reps: u32,
) -> Summary {
    let toml = format!(
        r#"{}
[services.server]
workers = {workers}
queue = 10000000
operations.serve = {{ work = {work} }}

[[workload]]
flow = "f"
entry = "server.serve"
arrivals = {{ poisson = "{rate_per_s}/s" }}
"#,
        theory_header(seed, duration, "20s", reps)
    );
    run(&scenario(&toml))
}

fn mm1(rho: f64, seed: u64) {
    let mu = 1000.0; // per second (mean service 1 ms)
    let lambda = rho * mu;
    let s = single_station(
        seed,
        r#"{ dist = "exp", mean = "1ms" }"#,
        1,
        lambda,
        "300s",
        20,
    );
    let f = &s.flows[0];
    let mean_ms = 1e3 / (mu - lambda);
    let p99_ms = 1e3 * -(0.01f64.ln()) / (mu - lambda);
    assert_in_ci("M/M/1 mean response (ms)", f.latency.mean, mean_ms, 0.0);
    assert_in_ci("M/M/1 p99 response (ms)", f.latency.p99, p99_ms, 0.001);
    assert_in_ci("M/M/1 utilization", s.services[0].utilization, rho, 0.0);
    assert_little(&s);
}

#[test]
fn mm1_rho_0_5_matches_closed_form() {
    mm1(0.5, 11);
}

#[test]
fn mm1_rho_0_9_matches_closed_form() {
    mm1(0.9, 12);
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load a.
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64; // a^c / c!
    let rho = a / c as f64;
    let top = last / (1.0 - rho);
    top / (sum + top)
}

#[test]
fn mmc_c4_rho_0_8_waiting_time_matches_erlang_c() {
    let (c, mu, rho) = (4u32, 1000.0, 0.8);
    let lambda = rho * c as f64 * mu;
    let s = single_station(
        21,
        r#"{ dist = "exp", mean = "1ms" }"#,
        c,
        lambda,
        "200s",
        20,
    );
    let wq_ms = erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) * 1e3;
    // The flow's mean response is wait + service; the service mean is exactly 1 ms.
    let wait = s.flows[0].latency.mean;
    let wait = Estimate {
        mean: wait.mean - 1.0,
        ci95: wait.ci95,
    };
    assert!(
        (erlang_c(1, 0.5) - 0.5).abs() < 1e-12,
        "Erlang C sanity: M/M/1 waits with prob rho"
    );
    assert_in_ci("M/M/4 mean wait (ms)", wait, wq_ms, 0.0);
    assert_in_ci("M/M/4 utilization", s.services[0].utilization, rho, 0.0);
    assert_little(&s);
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    let (d_ms, lambda) = (1.0, 800.0);
    let rho: f64 = lambda * d_ms / 1e3;
    let s = single_station(31, r#""1ms""#, 1, lambda, "200s", 20);
    // P-K for deterministic service: Wq = rho D / (2 (1 - rho)).
    let response_ms = d_ms + rho * d_ms / (2.0 * (1.0 - rho));
    assert_in_ci(
        "M/D/1 mean response (ms)",
        s.flows[0].latency.mean,
        response_ms,
        0.0,
    );
    assert_little(&s);
}

#[test]
fn tandem_of_four_stations_plus_fixed_network_delay_sums() {
    // A front service with ample workers visits four single-worker stations in turn:
    // a tandem (Jackson) network. A constant delay shifts a Poisson stream without
    // changing it, so each station stays M/M/1 and the mean response is the sum of the
    // four M/M/1 sojourns plus every network hop.
    let lambda = 500.0;
    let means_ms = [1.0, 1.5, 0.8, 1.2];
    let hop_ms = 0.25;
    let mut toml = theory_header(41, "200s", "20s", 20);
    toml = toml.replace("latency = \"0s\"", &format!("latency = \"{hop_ms}ms\""));
    toml.push_str(
        r#"
[services.front]
workers = 100000
queue = 0
operations.go = { steps = [ { call = "s1.serve" }, { call = "s2.serve" }, { call = "s3.serve" }, { call = "s4.serve" } ] }
"#,
    );
    for (i, m) in means_ms.iter().enumerate() {
        toml.push_str(&format!(
            "\n[services.s{}]\nworkers = 1\nqueue = 10000000\noperations.serve = {{ work = {{ dist = \"exp\", mean = \"{m}ms\" }} }}\n",
            i + 1
        ));
    }
    toml.push_str(&format!(
        "\n[[workload]]\nflow = \"tandem\"\nentry = \"front.go\"\narrivals = {{ poisson = \"{lambda}/s\" }}\n"
    ));
    let s = run(&scenario(&toml));
    let sojourns: f64 = means_ms
        .iter()
        .map(|m| 1.0 / (1.0 / m - lambda / 1e3))
        .sum();
    // Client <-> front (2 hops) and front <-> each station (8 hops).
    let expected = sojourns + 10.0 * hop_ms;
    assert_in_ci(
        "tandem mean response (ms)",
        s.flows[0].latency.mean,
        expected,
        0.0,
    );
    for (i, m) in means_ms.iter().enumerate() {
        let st = s.service(&format!("s{}", i + 1)).unwrap();
        assert_in_ci(
            &format!("station s{} sojourn (ms)", i + 1),
            st.mean_sojourn,
            1.0 / (1.0 / m - lambda / 1e3),
            0.0,
        );
    }
    assert_little(&s);
}
