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

use crate::common::{close, run, scale_events as events, scenario, theory_header};
use archsim::experiment::Summary;
use std::path::Path;

/// The x3.5 slow fault of the step scenario.
const X35: &[(f64, &str, &str)] = &[(3.5, "60005ms", "60s")];

/// The step scenario: 100 requests/s (one every 10 ms, the first at 10 ms) of 150 ms
/// each on `api` (100 workers per replica, target utilization 0.1: one replica per 10
/// busy workers, start-up 5 s), with slow faults `(factor, at, duration)` ([`X35`]:
/// x3.5, 525 ms, from 60.005 s to 120.005 s). `front` (a fixed service, 2 replicas, no
/// work) forwards when `front` is true. `extra` adds or overrides `autoscale` keys.
fn step(warmup: &str, front: bool, faults: &[(f64, &str, &str)], extra: &str) -> Summary {
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
    let defaults = [
        ("metric", "\"utilization\""),
        ("target", "0.1"),
        ("scale_down_window", "\"60s\""),
        ("startup", "{ dist = \"constant\", value = \"5s\" }"),
    ];
    let mut keys: String = (defaults.iter())
        .filter(|(k, _)| !extra.contains(&format!("{k} =")))
        .map(|(k, v)| format!("{k} = {v}, "))
        .collect();
    keys.push_str(extra);
    let faults: String = (faults.iter())
        .map(|(f, at, d)| {
            format!("[[fault]]\ntarget = \"api\"\nkind = \"slow\"\nfactor = {f}\nat = \"{at}\"\nduration = \"{d}\"\n")
        })
        .collect();
    let toml = format!(
        r#"{}
{front_svc}
[services.api]
workers = 100
queue = 1000
replicas = 1
autoscale = {{ min = 1, max = 10, period = "10s", tolerance = 0.1, {keys} }}
operations.serve = {{ work = {{ dist = "constant", value = "150ms" }} }}

[[workload]]
flow = "f"
entry = "{entry}"
arrivals = {{ constant = "100/s" }}

{faults}"#,
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
    let s = step("0s", false, X35, "max_down = 2");
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
        assert_eq!(
            tl.provisioned[i], provisioned,
            "provisioned in interval {i}"
        );
    }
    let sc = &s.scaling[0];
    assert_eq!(sc.peak_desired.mean, 6.0);
    // The scale-up window defaults to 0 s: the same as written.
    assert_eq!(
        events(
            &step("0s", false, X35, "max_down = 2, scale_up_window = \"0s\""),
            0
        ),
        ev
    );
    assert_eq!((sc.min, sc.max, sc.metric.as_str()), (1, 10, "utilization"));
    assert_eq!(s.flows[0].success_rate.mean, 1.0);
}

/// Scale-up limits and window, exact (the arithmetic of the step test otherwise).
///
/// - Default max_up = max(4, current): with the fault x5.5 (825 ms, busy 82.5) the
///   t = 70 s window holds 1.2 + 917 x 0.825 + 34.03 = 791.755 busy-seconds: ceil(7.92)
///   = 8, limited to 2 + 4: **2 -> 6**; at 80 s ceil(8.25) = 9 <= 6 + 6: **6 -> 9**.
///   At 130 s: 34.445 + 148.8 = 183.245, ceil(1.83) = 2; down by max_down = 2 from 180 s:
///   9 -> 7 -> 5 -> 3 -> 2 every 10 s.
/// - max_up = 1 (x3.5): 2 -> 3 at 70 s, then +1 every evaluation while the ratio stays
///   above 1.1 (80 s: mean ready 2.5, ratio 2.1; 90 s: 3.5, 1.5; 100 s: 4.5, 1.17) up to 6.
/// - scale_up_window = "20s" (x3.5): at 70 s the lowest proposal of the last 20 s is the
///   2 of t = 60 s (the 6 of 70 s waits); at 80 s the window holds 70 s and 80 s (6, 6):
///   **2 -> 6** at 80 s.
#[test]
fn max_up_and_the_scale_up_window_limit_the_rise_exactly() {
    let s = step("0s", false, &[(5.5, "60005ms", "60s")], "max_down = 2");
    let want = [
        (10.0, 1, 2),
        (70.0, 2, 6),
        (80.0, 6, 9),
        (180.0, 9, 7),
        (190.0, 7, 5),
    ];
    assert_eq!(
        events(&s, 0),
        [&want[..], &[(200.0, 5, 3), (210.0, 3, 2)]].concat()
    );
    assert_eq!(s.scaling[0].timeline.ready[86], 9.0);
    let s = step("0s", false, X35, "max_down = 2, max_up = 1");
    let want = [
        (10.0, 1, 2),
        (70.0, 2, 3),
        (80.0, 3, 4),
        (90.0, 4, 5),
        (100.0, 5, 6),
    ];
    assert_eq!(
        events(&s, 0),
        [&want[..], &[(180.0, 6, 4), (190.0, 4, 2)]].concat()
    );
    let s = step("0s", false, X35, "max_down = 2, scale_up_window = \"20s\"");
    let want = [(10.0, 1, 2), (80.0, 2, 6), (180.0, 6, 4), (190.0, 4, 2)];
    assert_eq!(events(&s, 0), want);
    let tl = &s.scaling[0].timeline;
    assert_eq!(
        (tl.desired[75], tl.ready[84], tl.ready[86]),
        (2.0, 2.0, 6.0)
    );
}

/// The `in_flight` metric counts requests (running + waiting), not fractions of
/// workers: target 4 per replica, busy 14.88 at t = 10 s (the step test's [0, 10]
/// window): ratio 3.72, ceil(3.72) = 4 <= 1 + max(4, 1): **1 -> 4**. At 20 s (mean
/// ready 2.5) ratio 1.5, ceil(3.75) = 4; from 30 s ratio 0.94 (within the tolerance):
/// keep. The x3.5 step: 51.2 at 70 s, ceil(12.8) = 13, limited to 4 + 4: **4 -> 8**;
/// at 80 s ceil(52.5 / 4) = 14 (within 8 + 8), clamped to max = 10: **8 -> 10**.
#[test]
fn in_flight_metric_proposes_requests_over_target() {
    let s = step(
        "0s",
        false,
        X35,
        "max_down = 2, metric = \"in_flight\", target = 4",
    );
    let ev = events(&s, 0);
    assert_eq!(
        &ev[..3],
        &[(10.0, 1, 4), (70.0, 4, 8), (80.0, 8, 10)],
        "{ev:?}"
    );
    assert_eq!(s.scaling[0].metric, "in_flight");
}

/// Scaling up, the HPA counts the replicas still starting at zero load and keeps the
/// current count if the ratio then falls within the tolerance or below 1 (it never
/// scales down on a scale-up evaluation). Faults x1.5 from 60.005 s to 70.005 s and
/// x2.2 to 120.005 s (495 ms, then 330 ms), start-up 15 s, no scale-down window:
/// - t = 10 s: 1 -> 2 (ready at 25 s); t = 20 s: ratio 1.5 but 0.15 / (1 + 1 starting)
///   / 0.1 = 0.75: keep.
/// - t = 70 s: 1.2 + 950 x 0.495 + 12.25 = 483.7: ceil(4.837) = 5: **2 -> 5**.
/// - t = 80 s: 12.5 (495 ms tails) + 967 x 0.33 + 5.28 = 336.89: ratio 1.68 on 2 ready,
///   but 0.337 / (2 + 3 starting) / 0.1 = 0.67: keep 5 (not ceil(3.37) = 4).
/// - t = 90 s: mean ready 3.5, busy 33: ratio 0.94: keep. t = 100 s: ratio 0.66,
///   ceil(3.3) = 4: **5 -> 4**. t = 130 s: 5.78 + 148.8: ceil(1.55) = 2: **4 -> 2**.
#[test]
fn scaling_up_counts_starting_replicas_at_zero_and_never_scales_down() {
    let faults = [(1.5, "60005ms", "10s"), (2.2, "60005ms", "60s")];
    let extra = "scale_down_window = \"0s\", startup = { dist = \"constant\", value = \"15s\" }";
    let s = step("0s", false, &faults, extra);
    let want = [(10.0, 1, 2), (70.0, 2, 5), (100.0, 5, 4), (130.0, 4, 2)];
    assert_eq!(events(&s, 0), want);
    let tl = &s.scaling[0].timeline;
    assert_eq!(
        (tl.ready[24], tl.ready[25], tl.ready[84], tl.ready[85]),
        (1.0, 2.0, 2.0, 5.0)
    );
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
    let s = step("0s", false, X35, "max_down = 2");
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
    // Draining loses nothing: the scaled-down replicas finish what they hold.
    let f = &s.flows[0];
    assert_eq!((f.success_rate.mean, f.failures.len()), (1.0, 0));
    assert!(
        f.in_flight.mean <= 15.0,
        "only the last 150 ms are in flight"
    );
    let unlimited = step("0s", false, X35, "max_down = 100");
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
    let s = step("20s", true, X35, "max_down = 2");
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
    close("ready", sc.mean_ready.mean, ready_hand / 220.0, 1e-9);
    let fixed = 2.0 * 220.0;
    close(
        "total",
        s.cost.replica_seconds.mean,
        fixed + sc.replica_seconds.mean,
        1e-6,
    );
    let ok = s.flows[0].goodput.mean * 220.0;
    close(
        "per success",
        s.cost.replica_seconds_per_success.mean,
        s.cost.replica_seconds.mean / ok,
        1e-9,
    );
}

/// Scale to zero and back, exact. One request at 12.5 s (constant 0.08/s over 24.5 s)
/// to `api` (min = 0, no replica at time 0, evaluated every 4 s, start-up 2 s). The
/// evaluations at 4, 8 and 12 s see nothing; the one at 16 s sees the waiting request
/// with no ready replica and proposes max(1, ceil(0)) = 1: **0 -> 1**; the replica is
/// ready at 18 s and serves the request (10 ms): response = (16 - 12.5) + 2 + 0.01 =
/// 5.51 s. At 20 s: load 0.01 / 4 = 0.0025, ceil(0.005) = 1: keep. At 24 s: load 0,
/// proposal 0, no scale-down window: **1 -> 0**. Replica-seconds: provisioned from 16
/// s (starting counts) to 24 s = 8. `idle` (scaled to zero, never called) costs 0.
#[test]
fn scale_to_zero_waits_for_the_first_replica_and_idle_costs_nothing() {
    let toml = format!(
        r#"{}
[services.api]
workers = 1
queue = 10
replicas = 0
autoscale = {{ min = 0, max = 3, target = 0.5, period = "4s", scale_down_window = "0s", startup = {{ dist = "constant", value = "2s" }} }}
operations.serve = {{ work = {{ dist = "constant", value = "10ms" }} }}

[services.idle]
workers = 1
queue = 10
replicas = 0
autoscale = {{ min = 0, max = 3, target = 0.5, period = "4s" }}
operations.serve = {{ work = {{ dist = "constant", value = "10ms" }} }}

[[workload]]
flow = "f"
entry = "api.serve"
arrivals = {{ constant = "0.08/s" }}
"#,
        theory_header(3, "24.5s", "0s", 1)
    );
    let s = run(&scenario(&toml));
    let f = &s.flows[0];
    assert_eq!((f.requests.mean, f.success_rate.mean), (1.0, 1.0));
    close("mean", f.latency.mean.mean, 5510.0, 1e-6);
    // The maximum comes from the latency histogram (3 significant digits).
    close("max", f.latency.max.mean, 5510.0, 5510.0 * 1e-3);
    assert_eq!(events(&s, 0), [(16.0, 0, 1), (24.0, 1, 0)]);
    close("cost", s.scaling[0].replica_seconds.mean, 8.0, 1e-9);
    let tl = &s.scaling[0].timeline;
    assert_eq!(
        (
            tl.provisioned[15],
            tl.provisioned[16],
            tl.ready[16],
            tl.ready[18]
        ),
        (0.0, 1.0, 0.0, 1.0)
    );
    // (Interval 23 ends at 24 s, with the evaluation: its desired count is either.)
    assert_eq!((tl.desired[22], tl.provisioned[24]), (1.0, 0.0));
    let idle = &s.scaling[1];
    assert_eq!(idle.service, "idle");
    assert!(idle.events.is_empty(), "{:?}", events(&s, 1));
    assert_eq!(idle.replica_seconds.mean, 0.0);
    assert!(idle.timeline.provisioned.iter().all(|&p| p == 0.0));
    close("total cost", s.cost.replica_seconds.mean, 8.0, 1e-9);
}

/// With no ready replica the requests wait in the service's queue, at most `queue`
/// of them: nine requests at 100..900 ms, queue = 3, the first evaluation at 950 ms
/// (start-up 0, 10 workers). The first three wait and are served at 950 ms (responses
/// 860, 760, 660 ms: mean 760 ms); the other six are rejected at once (queue full).
#[test]
fn requests_waiting_for_a_first_replica_are_bounded_by_the_queue() {
    let toml = format!(
        r#"{}
[services.api]
workers = 10
queue = 3
replicas = 0
autoscale = {{ min = 0, max = 2, target = 0.5, period = "950ms" }}
operations.serve = {{ work = {{ dist = "constant", value = "10ms" }} }}

[[workload]]
flow = "f"
entry = "api.serve"
arrivals = {{ constant = "10/s" }}
"#,
        theory_header(13, "980ms", "0s", 1)
    );
    let s = run(&scenario(&toml));
    assert_eq!(events(&s, 0), [(0.95, 0, 1)]);
    let f = &s.flows[0];
    assert_eq!(f.requests.mean, 9.0);
    close("served", f.goodput.mean * 0.98, 3.0, 1e-9);
    let full = (f.failures.iter())
        .find(|x| x.reason == "rejected: queue full")
        .unwrap_or_else(|| panic!("{:?}", f.failures));
    assert_eq!((full.count.mean, f.failures.len()), (6.0, 1));
    assert_eq!(s.services[0].rejected.mean, 6.0);
    close("mean", f.success_latency.mean.mean, 760.0, 1e-9);
}

/// `api` (one replica, one worker, 10 ms constant work) with `cold_start` and a crash
/// from 10 ms to 20 ms (the restart makes it cold); six requests at 100..600 ms, each
/// alone on the replica (100 ms apart).
fn cold_after_crash(cold: &str, crash: bool) -> Summary {
    let fault = if crash {
        "[[fault]]\ntarget = \"api\"\nkind = \"crash\"\nat = \"10ms\"\nduration = \"10ms\"\n"
    } else {
        ""
    };
    let toml = format!(
        r#"{}
[services.api]
workers = 1
queue = 10
cold_start = {cold}
operations.serve = {{ work = {{ dist = "constant", value = "10ms" }} }}

[[workload]]
flow = "f"
entry = "api.serve"
arrivals = {{ constant = "10/s" }}

{fault}"#,
        theory_header(5, "650ms", "0s", 1)
    );
    run(&scenario(&toml))
}

/// Cold start, exact: factor(k) = 1 + (f - 1)(1 - k / n) for the k-th request (k <
/// n) begun after the restart at 20 ms, then 1. With f = 3, n = 4 the six requests
/// take 30, 25, 20, 15, 10, 10 ms: mean 110 / 6 ms, max 30 ms. Time-based, `over =
/// "1s"`: the request at t has factor 1 + 2 (1 - (t - 20 ms) / 1 s): 2.84, 2.64, ...,
/// 1.84, i.e. 28.4, 26.4, 24.4, 22.4, 20.4, 18.4 ms, mean 23.4 ms. An initial replica
/// is warm (no crash: 10 ms each).
#[test]
fn cold_start_slows_the_first_requests_of_a_restarted_replica_exactly() {
    let by_requests = cold_after_crash("{ factor = 3.0, over_requests = 4 }", true);
    let f = &by_requests.flows[0];
    assert_eq!((f.requests.mean, f.success_rate.mean), (6.0, 1.0));
    close("mean", f.latency.mean.mean, 110.0 / 6.0, 1e-9);
    close(
        "max, over_requests = 4 (ms)",
        f.latency.max.mean,
        30.0,
        30.0 * 1e-3,
    );
    let by_time = cold_after_crash("{ factor = 3.0, over = \"1s\" }", true);
    let f = &by_time.flows[0];
    close("mean, over = 1s (ms)", f.latency.mean.mean, 23.4, 1e-9);
    close("max, over = 1s (ms)", f.latency.max.mean, 28.4, 28.4 * 1e-3);
    let warm = cold_after_crash("{ factor = 3.0, over_requests = 4 }", false);
    close(
        "initial replica is warm (ms)",
        warm.flows[0].latency.mean.mean,
        10.0,
        1e-9,
    );
}

/// Cold start of a replica scaled from zero, exact: requests at 100 and 200 ms wait;
/// the evaluation at 250 ms starts a replica (start-up 0: ready at once, 10 workers);
/// both begin at 250 ms, cold: 30 ms and 25 ms (responses 180 and 75 ms); the requests
/// at 300, 400, 500, 600 ms take 20, 15, 10, 10 ms. Mean = 310 / 6 ms. At 500 s the
/// load (0.09 busy-seconds / 0.25 s / 10 workers = 0.036) proposes ceil(0.072) = 1:
/// keep.
#[test]
fn cold_start_applies_to_a_replica_scaled_from_zero() {
    let toml = format!(
        r#"{}
[services.api]
workers = 10
queue = 10
replicas = 0
autoscale = {{ min = 0, max = 2, target = 0.5, period = "250ms", startup = {{ dist = "constant", value = "0s" }} }}
cold_start = {{ factor = 3.0, over_requests = 4 }}
operations.serve = {{ work = {{ dist = "constant", value = "10ms" }} }}

[[workload]]
flow = "f"
entry = "api.serve"
arrivals = {{ constant = "10/s" }}
"#,
        theory_header(9, "650ms", "0s", 1)
    );
    let s = run(&scenario(&toml));
    assert_eq!(events(&s, 0), [(0.25, 0, 1)]);
    let f = &s.flows[0];
    assert_eq!((f.requests.mean, f.success_rate.mean), (6.0, 1.0));
    close("mean response (ms)", f.latency.mean.mean, 310.0 / 6.0, 1e-9);
    close("max response (ms)", f.latency.max.mean, 180.0, 180.0 * 1e-3);
}

/// A small scenario whose `api` service has `replicas`, `extra` lines, `autoscale`
/// and `cold_start` as given (empty: left out).
fn spec_text(replicas: &str, extra: &str, autoscale: &str, cold: &str) -> String {
    let line = |k: &str, v: &str| {
        if v.is_empty() {
            String::new()
        } else {
            format!("{k} = {v}")
        }
    };
    format!(
        "[simulation]\nduration = \"1m\"\n\n[services.api]\nworkers = 4\n{}\n{extra}\n{}\n{}\noperations.serve = {{ work = \"1ms\" }}\n\n[[workload]]\nentry = \"api.serve\"\narrivals = {{ poisson = \"50/s\" }}\n",
        line("replicas", replicas),
        line("autoscale", autoscale),
        line("cold_start", cold),
    )
}

/// Bad values of `autoscale` and `cold_start` are rejected with one-line messages that
/// name the file, the line of the offending key, its field path and what is wrong
/// (as the files of `tests/bad_input/` are), and the same scenario with good values
/// loads.
#[test]
fn bad_autoscale_and_cold_start_values_are_located_errors() {
    let ok = "{ min = 1, max = 3, target = 0.5 }";
    let good = spec_text("2", "cpus = 2", ok, "{ factor = 2.0, over = \"10s\" }");
    archsim::spec::load_str(&good, Path::new("x.toml")).unwrap_or_else(|e| panic!("{e}"));
    // (replicas, extra, autoscale, cold_start, line key, field, message fragment)
    let a = "services.api.autoscale";
    let cases: &[(&str, &str, &str, &str, &str, String, &str)] = &[
        (
            "",
            "",
            "{ min = 1, target = 0.5 }",
            "",
            "autoscale",
            format!("{a}.max"),
            "missing `max`",
        ),
        (
            "",
            "",
            "{ min = 5, max = 3, target = 0.5 }",
            "",
            "autoscale",
            format!("{a}.min"),
            "must be in [0, max = 3], got 5",
        ),
        (
            "7",
            "",
            ok,
            "",
            "replicas",
            "services.api.replicas".into(),
            "must be in [min = 1, max = 3], got 7",
        ),
        (
            "0",
            "",
            ok,
            "",
            "replicas",
            "services.api.replicas".into(),
            "must be in [min = 1, max = 3], got 0",
        ),
        (
            "",
            "",
            "{ max = 3, metric = \"rps\", target = 0.5 }",
            "",
            "autoscale",
            format!("{a}.metric"),
            "unknown metric \"rps\"; valid choices: backlog, cpu, in_flight, queue, utilization",
        ),
        (
            "",
            "",
            "{ max = 3, metric = \"cpu\", target = 0.5 }",
            "",
            "autoscale",
            format!("{a}.metric"),
            "needs the service's `cpus`",
        ),
        (
            "",
            "",
            "{ max = 3, target = 0.0 }",
            "",
            "autoscale",
            format!("{a}.target"),
            "must be in (0, 1], got 0",
        ),
        (
            "",
            "",
            "{ max = 3, target = -1.0 }",
            "",
            "autoscale",
            format!("{a}.target"),
            "must be in (0, 1], got -1",
        ),
        (
            "",
            "",
            "{ max = 3, target = 1.5 }",
            "",
            "autoscale",
            format!("{a}.target"),
            "must be in (0, 1], got 1.5",
        ),
        (
            "",
            "cpus = 2",
            "{ max = 3, metric = \"cpu\", target = 1.5 }",
            "",
            "autoscale",
            format!("{a}.target"),
            "must be in (0, 1], got 1.5",
        ),
        (
            "",
            "",
            "{ max = 3 }",
            "",
            "autoscale",
            format!("{a}.target"),
            "missing `target`",
        ),
        (
            "",
            "",
            "{ max = 3, target = 0.5, period = \"500us\" }",
            "",
            "autoscale",
            format!("{a}.period"),
            "must be at least 1ms",
        ),
        (
            "",
            "",
            "{ max = 3, target = 0.5, tolerance = 1.0 }",
            "",
            "autoscale",
            format!("{a}.tolerance"),
            "must be in [0, 1), got 1",
        ),
        (
            "",
            "",
            "{ max = 3, target = 0.5, period = \"1ms\", scale_down_window = \"1h\" }",
            "",
            "autoscale",
            format!("{a}.scale_down_window"),
            "spans more than 10000 periods",
        ),
        (
            "",
            "",
            "{ max = 3, target = 0.5, period = \"1ms\", scale_up_window = \"20s\" }",
            "",
            "autoscale",
            format!("{a}.scale_up_window"),
            "spans more than 10000 periods",
        ),
        (
            "",
            "",
            "{ max = 0, target = 0.5 }",
            "",
            "autoscale",
            format!("{a}.max"),
            "must be >= 1, got 0",
        ),
        (
            "",
            "",
            "{ max = 3, target = 0.5, max_up = 0 }",
            "",
            "autoscale",
            format!("{a}.max_up"),
            "must be >= 1, got 0",
        ),
        (
            "",
            "",
            "{ max = 3, target = 0.5, peroid = \"10s\" }",
            "",
            "autoscale",
            format!("{a}.peroid"),
            "unknown field `peroid`",
        ),
        (
            "",
            "",
            "",
            "{ factor = 0.5, over_requests = 4 }",
            "cold_start",
            "services.api.cold_start.factor".into(),
            "must be in [1, 1000], got 0.5",
        ),
        (
            "",
            "",
            "",
            "{ factor = 2.0, over = \"1s\", over_requests = 4 }",
            "cold_start",
            "services.api.cold_start.over_requests".into(),
            "not both",
        ),
        (
            "",
            "",
            "",
            "{ factor = 2.0 }",
            "cold_start",
            "services.api.cold_start.over".into(),
            "missing `over`",
        ),
        (
            "",
            "",
            "",
            "{ factor = 2.0, over = \"0s\" }",
            "cold_start",
            "services.api.cold_start.over".into(),
            "greater than 0s",
        ),
        (
            "",
            "",
            "",
            "{ factor = 2.0, over_requests = 0 }",
            "cold_start",
            "services.api.cold_start.over_requests".into(),
            "must be >= 1, got 0",
        ),
    ];
    for (replicas, extra, auto, cold, key, field, fragment) in cases {
        let text = spec_text(replicas, extra, auto, cold);
        let line = 1 + text
            .lines()
            .position(|l| l.starts_with(&format!("{key} =")))
            .expect("the key is written");
        let err = match archsim::spec::load_str(&text, Path::new("x.toml")) {
            Ok(_) => panic!("{auto} {cold} (replicas {replicas:?}) loaded"),
            Err(e) => e,
        };
        let msg = err.to_string();
        let prefix = format!("x.toml:{line}: {field}: ");
        assert!(msg.starts_with(&prefix), "expected {prefix:?}, got {msg:?}");
        assert!(msg.contains(fragment), "expected {fragment:?} in {msg:?}");
        assert!(!msg.contains('\n'), "one line: {msg:?}");
        let at = err.location().expect("located");
        assert_eq!(
            (at.file.as_str(), at.line, at.field.as_str()),
            ("x.toml", line, field.as_str())
        );
    }
}

/// A stochastic autoscaled run: Poisson arrivals stepping 100 -> 400 -> 50 /s, lognormal
/// work, exponential start-ups, a time-based cold start and a client timeout, behind
/// a fixed `front`.
fn stochastic() -> archsim::Scenario {
    let toml = format!(
        r#"{}
[services.front]
workers = 1000
queue = 0
replicas = 2
operations.get = {{ steps = [ {{ call = "api.serve" }} ] }}

[services.api]
workers = 4
queue = 200
replicas = 1
autoscale = {{ min = 1, max = 8, target = 0.6, period = "5s", scale_down_window = "30s", startup = {{ dist = "exp", mean = "2s" }} }}
cold_start = {{ factor = 2.0, over = "5s" }}
operations.serve = {{ work = {{ dist = "lognormal", median = "8ms", p99 = "30ms" }} }}

[[workload]]
flow = "f"
entry = "front.get"
timeout = "500ms"
arrivals = {{ schedule = [ {{ at = "0s", rate = "100/s" }}, {{ at = "60s", rate = "400/s" }}, {{ at = "120s", rate = "50/s" }} ] }}
"#,
        theory_header(11, "200s", "0s", 3)
    );
    scenario(&toml)
}

/// Determinism and conservation: the same autoscaled stochastic scenario gives the same
/// JSON bytes twice and on 1 or 2 threads; it scales both ways; every replication's
/// ledger balances (sent = answered + in flight; executions started = finished +
/// lost + in progress), and per flow requests = successes + failures + in flight (no
/// warm-up: every request is counted).
#[test]
fn autoscaled_runs_are_deterministic_and_conserve_requests() {
    let sc = stochastic();
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        serde_json::to_string(&pool.install(|| run(&sc))).unwrap()
    };
    let s = run(&sc);
    let a = serde_json::to_string(&s).unwrap();
    assert!(a.contains("\"scaling\""), "the JSON has the autoscaler");
    assert_eq!(a, serde_json::to_string(&run(&sc)).unwrap(), "two runs");
    assert_eq!(a, on(1), "1 thread");
    assert_eq!(a, on(2), "2 threads");
    let sc0 = &s.scaling[0];
    assert!(
        sc0.scale_ups.mean >= 1.0 && sc0.scale_downs.mean >= 1.0,
        "{sc0:?}"
    );
    assert!(sc0.peak_desired.mean > 1.0 && sc0.peak_desired.mean <= 8.0);
    let ev = events(&s, 0);
    assert!(
        ev.iter().any(|e| e.2 > e.1) && ev.iter().any(|e| e.2 < e.1),
        "{ev:?}"
    );
    for w in ev.windows(2) {
        assert!(
            w[0].0 < w[1].0 && w[0].2 == w[1].1,
            "a chain of changes: {ev:?}"
        );
    }
    assert!(
        ev.iter().all(|e| e.0 % 5.0 == 0.0),
        "decisions at evaluations: {ev:?}"
    );
    assert_eq!(s.conservation.len(), 3);
    for c in &s.conservation {
        assert!(c.balances(), "{c:?}");
        assert_eq!(c.requests_sent, c.requests_answered + c.requests_in_flight);
        assert!(c.requests_sent > 10_000);
    }
    let f = &s.flows[0];
    let sent: u64 = s.conservation.iter().map(|c| c.requests_sent).sum();
    close(
        "requests = the ledger's sent",
        f.requests.mean,
        sent as f64 / 3.0,
        1e-6,
    );
    let failed: f64 = f.failures.iter().map(|x| x.count.mean).sum();
    let ok = f.goodput.mean * 200.0;
    close(
        "requests = successes + failures + in flight",
        f.requests.mean,
        ok + failed + f.in_flight.mean,
        1e-6,
    );
    close(
        "responses = successes + failures",
        f.throughput.mean * 200.0,
        ok + failed,
        1e-6,
    );
}
