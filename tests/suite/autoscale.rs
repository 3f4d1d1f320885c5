//! Autoscaling and cold starts (issue 13): the Kubernetes HPA rule of
//! `src/engine/autoscale.rs` (`on_scale_eval`) checked against hand computations on
//! deterministic scenarios (constant arrivals, constant work), scale to zero, the
//! replica-second accounting, the cold-start slowdown, the located errors of bad
//! values, and determinism and conservation of an autoscaled stochastic run.
//!
//! In the deterministic scenarios the network and protocols cost nothing and every
//! replica has ample workers (no queueing, no saturation), so the busy workers are
//! exactly arrival rate x work (Little's law holds at every instant once the arrivals
//! are periodic) and the autoscaler's utilization is that over the workers of a replica.

use crate::common::{run, scenario, theory_header};
use archsim::experiment::Summary;
use std::path::Path;

/// `a` within `eps` of `b`, with a message.
fn close(what: &str, a: f64, b: f64, eps: f64) {
    assert!((a - b).abs() <= eps, "{what}: got {a}, expected {b} (± {eps})");
}

/// The scale events of autoscaled service `k` as `(time_s, from, to)`.
fn events(s: &Summary, k: usize) -> Vec<(f64, u32, u32)> {
    (s.scaling[k].events.iter())
        .map(|e| (e.time_s, e.from, e.to))
        .collect()
}

/// The step scenario: 100 requests/s (one every 10 ms, the first at 10 ms) of 150 ms
/// each on `api` (100 workers per replica, target utilization 0.1: one replica per 10
/// busy workers), with a slow fault (x3.5: 525 ms) from 60.005 s to 120.005 s. `front`
/// (a fixed service, 2 replicas, no work) forwards when `front` is true.
fn step(warmup: &str, front: bool, max_down: u32) -> Summary {
    let entry = if front { "front.get" } else { "api.serve" };
    let front_svc = if front {
        r#"
[services.front]
workers = 1000
queue = 0
replicas = 2
operations.get = { steps = [ { call = "api.serve" } ] }
"#
    } else {
        ""
    };
    let toml = format!(
        r#"{}
{front_svc}
[services.api]
workers = 100
queue = 1000
replicas = 1
autoscale = {{ min = 1, max = 10, metric = "utilization", target = 0.1, period = "10s", tolerance = 0.1, scale_up_window = "0s", scale_down_window = "60s", max_down = {max_down}, startup = {{ dist = "constant", value = "5s" }} }}
operations.serve = {{ work = {{ dist = "constant", value = "150ms" }} }}

[[workload]]
flow = "f"
entry = "{entry}"
arrivals = {{ constant = "100/s" }}

[[fault]]
target = "api"
kind = "slow"
factor = 3.5
at = "60005ms"
duration = "60s"
"#,
        theory_header(7, "240s", warmup, 1)
    );
    run(&scenario(&toml))
}

/// HPA scale-up on a load step, exact. proposal = ceil(load / target), load = busy
/// workers / 100 averaged over the last 10 s; ratio = load / mean ready / target.
///
/// - t = 10 s: busy area over [0, 10]: requests k = 1..985 (start 0.01k) run their full
///   0.15 s, k = 986..999 run 0.14..0.01 s: 147.75 + 1.05 = 148.8 -> busy 14.88, load
///   0.1488, ready 1, ratio 1.488 > 1.1 -> ceil(1.488) = 2: **1 -> 2**, ready at 15 s.
/// - t = 20 s: busy exactly 15, mean ready (1 x 5 s + 2 x 5 s) / 10 = 1.5, ratio 1.0:
///   within the tolerance, keep 2. t = 30..60 s: ratio 0.75, ceil(1.5) = 2: keep.
/// - t = 70 s: the 15 requests begun at 59.86..60.00 s still run 0.01..0.15 s after 60
///   s (1.2); those begun at 60.01..69.47 s run 0.525 s (947 x 0.525 = 497.175), those
///   at 69.48..69.99 s 0.52..0.01 s (13.78): area 512.155, load 0.512, ratio 2.56 ->
///   ceil(5.12) = 6; max_up = max(4, 2) = 4 allows 2 + 4: **2 -> 6**, ready at 75 s.
/// - t = 80..120 s: busy 52.5, ceil(5.25) = 6 (ratio 1.3125 at 80 s, then 0.875): keep.
#[test]
fn hpa_scales_up_on_a_load_step_exactly() {
    let s = step("0s", false, 2);
    let ev = events(&s, 0);
    assert_eq!(&ev[..2], &[(10.0, 1, 2), (70.0, 2, 6)], "{ev:?}");
    let tl = &s.scaling[0].timeline;
    assert_eq!(tl.ready.len(), 240);
    // (interval [i, i + 1) s, desired at its end, mean ready, mean provisioned)
    for (i, desired, ready, provisioned) in [
        (5, 1.0, 1.0, 1.0),
        (12, 2.0, 1.0, 2.0),
        (14, 2.0, 1.0, 2.0),
        (16, 2.0, 2.0, 2.0),
        (65, 2.0, 2.0, 2.0),
        (72, 6.0, 2.0, 6.0),
        (76, 6.0, 6.0, 6.0),
        (150, 6.0, 6.0, 6.0),
    ] {
        assert_eq!(tl.desired[i], desired, "desired in interval {i}");
        assert_eq!(tl.ready[i], ready, "ready in interval {i}");
        assert_eq!(tl.provisioned[i], provisioned, "provisioned in interval {i}");
    }
    let sc = &s.scaling[0];
    assert_eq!(sc.peak_desired.mean, 6.0);
    assert_eq!((sc.min, sc.max, sc.metric.as_str()), (1, 10, "utilization"));
    assert_eq!(s.flows[0].success_rate.mean, 1.0);
}

/// Scale-down stabilization, exact: the fault ends at 120.005 s; from t = 130 s the
/// proposal is 2 (t = 130 s: the 53 requests begun at 119.48..120.00 s still run
/// 0.005..0.525 s after 120 s, 14.045, plus 985 x 0.15 + 1.05 of the new ones: area
/// 162.845, load 0.163, ceil(1.63) = 2). The scale-down window (60 s) keeps the highest
/// proposal of the last 60 s, the 6 of t = 120 s, until t - 120 s >= 60 s: at t = 180
/// s the desired count falls, limited by max_down = 2: **6 -> 4**, then at 190 s
/// **4 -> 2**. Without max_down (the default: no limit) it falls 6 -> 2 at once.
#[test]
fn scale_down_waits_for_the_window_and_max_down_limits_the_step() {
    let s = step("0s", false, 2);
    let ev = events(&s, 0);
    let want = [(10.0, 1, 2), (70.0, 2, 6), (180.0, 6, 4), (190.0, 4, 2)];
    assert_eq!(ev, want, "max_down = 2");
    let tl = &s.scaling[0].timeline;
    // Interval [179, 180): still 6 ready. [185, 186): 4 ready, 4 provisioned (the two
    // drained replicas went off once their last 150 ms requests finished).
    assert_eq!((tl.desired[178], tl.ready[179]), (6.0, 6.0));
    assert_eq!((tl.desired[185], tl.ready[185]), (4.0, 4.0));
    assert_eq!(tl.provisioned[185], 4.0);
    // [180, 181): 4 ready; the draining two are provisioned at most 150 ms longer.
    assert_eq!(tl.ready[180], 4.0);
    assert!(
        tl.provisioned[180] > 4.0 && tl.provisioned[180] <= 4.0 + 2.0 * 0.15 + 1e-9,
        "draining replicas are billed until they hold no work: {}",
        tl.provisioned[180]
    );
    assert_eq!((tl.desired[200], tl.ready[200]), (2.0, 2.0));
    let sc = &s.scaling[0];
    assert_eq!((sc.scale_ups.mean, sc.scale_downs.mean), (2.0, 2.0));
    let unlimited = step("0s", false, 100);
    assert_eq!(
        events(&unlimited, 0),
        [(10.0, 1, 2), (70.0, 2, 6), (180.0, 6, 2)],
        "max_down large"
    );
}

/// Replica-seconds are the integral of the provisioned replicas over the measured
/// window: the sum of the timeline's provisioned x 1 s over the intervals after the
/// 20 s warm-up; a fixed service (`front`, 2 replicas) costs 2 x 220 s exactly, and the
/// total cost is the sum of both.
#[test]
fn replica_seconds_are_the_integral_of_the_provisioned_timeline() {
    let s = step("20s", true, 2);
    // The front adds no work and no network: the same decisions as without it.
    assert_eq!(events(&s, 0)[..2], [(10.0, 1, 2), (70.0, 2, 6)]);
    let sc = &s.scaling[0];
    let tl: f64 = sc.timeline.provisioned[20..].iter().sum();
    close("api replica-seconds", sc.replica_seconds.mean, tl, 1e-6);
    // By hand: 2 from 20 s to 70 s, 6 to 180 s, 4 to 190 s, 2 to 240 s, plus the
    // draining tails (< 0.15 s each, two at 180 s and two at 190 s).
    let hand = 2.0 * 50.0 + 6.0 * 110.0 + 4.0 * 10.0 + 2.0 * 50.0;
    assert!(
        sc.replica_seconds.mean > hand && sc.replica_seconds.mean < hand + 4.0 * 0.15,
        "{} vs {hand}",
        sc.replica_seconds.mean
    );
    let ready: f64 = sc.timeline.ready[20..].iter().sum();
    close("mean ready", sc.mean_ready.mean, ready / 220.0, 1e-9);
    // Ready: 2 until 75 s (the four new replicas start for 5 s), 6 to 180 s, 4, 2.
    let ready_hand = 2.0 * 55.0 + 6.0 * 105.0 + 4.0 * 10.0 + 2.0 * 50.0;
    close("mean ready by hand", sc.mean_ready.mean, ready_hand / 220.0, 1e-9);
    let fixed = 2.0 * 220.0;
    close(
        "total cost: fixed front + autoscaled api",
        s.cost.replica_seconds.mean,
        fixed + sc.replica_seconds.mean,
        1e-6,
    );
    let ok = s.flows[0].goodput.mean * 220.0;
    close(
        "replica-seconds per success",
        s.cost.replica_seconds_per_success.mean,
        s.cost.replica_seconds.mean / ok,
        1e-9,
    );
}
