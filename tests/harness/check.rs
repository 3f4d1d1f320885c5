//! Sanity checks on the JSON of a run (DESIGN section 8, "Trust at the edges").
//!
//! Generic walks first (so new fields are covered): no NaN (serialized as `null`) where
//! a figure belongs, no negative figure, every rate-like figure (a key ending in `rate`
//! other than `arrival_rate`, `utilization`, `core_utilization`, `availability`, and
//! their timelines) in [0, 1], every latency summary monotone (p50 <= p90 <= p99 <=
//! p99.9 <= max, mean <= max). Then per run summary (the top level, or each `variants[].summary`): every
//! replication's conservation ledger balances exactly, and per flow the requests add
//! up (requests = responses + in flight; responses - successes = the failures by
//! reason = the failures by root cause), failure >= cascade >= collateral, and per
//! saga started = committed + compensated + inconsistent + aborted + in progress.

use serde_json::Value;

/// Keys whose value may be `null` (absent optional figures).
const NULLABLE: &[&str] = &[
    "window",
    "recovery_s",
    "drain_s",
    "ci95",
    "root_cause",
    "pass",
    "completion",
    "during_faults",
    // The compared flow of an experiment: none for a scenario without [compare].
    "flow",
    // An SLO latency check with nothing to measure (no request answered, or none
    // completed): `slo_checks` requires it to fail.
    "measured",
    "margin",
];

/// Keys that may be negative.
const SIGNED: &[&str] = &["margin"];

fn rate_like(key: &str) -> bool {
    (key.ends_with("rate") && key != "arrival_rate")
        || key == "utilization"
        || key == "core_utilization"
        || key == "availability"
        || key.ends_with("_share")
}

/// All violations found in `json` (empty: sane).
pub fn check(json: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    walk(json, "", "", false, &mut errs);
    summaries(json, "", &mut errs);
    slo_checks(json, &mut errs);
    errs.truncate(20);
    errs
}

/// An SLO check measured nothing only when nothing was there to measure, and then fails.
fn slo_checks(json: &Value, errs: &mut Vec<String>) {
    let verdicts = json
        .get("slo")
        .and_then(Value::as_array)
        .map_or(&[][..], |v| v);
    for (i, v) in verdicts.iter().enumerate() {
        let checks = v
            .get("checks")
            .and_then(Value::as_array)
            .map_or(&[][..], |c| c);
        for (k, c) in checks.iter().enumerate() {
            let unmeasured = c.get("measured").is_some_and(Value::is_null);
            if unmeasured != c.get("margin").is_some_and(Value::is_null) {
                errs.push(format!(
                    ".slo[{i}].checks[{k}]: measured and margin disagree"
                ));
            }
            if unmeasured && c.get("pass") != Some(&Value::Bool(false)) {
                errs.push(format!(
                    ".slo[{i}].checks[{k}]: nothing measured, yet not failed"
                ));
            }
        }
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Object(m) => m.get("mean").and_then(Value::as_f64),
        _ => None,
    }
}

fn walk(v: &Value, path: &str, key: &str, in_rate: bool, errs: &mut Vec<String>) {
    match v {
        Value::Null if !NULLABLE.contains(&key) => {
            errs.push(format!("{path}: null (a NaN or infinite figure?)"));
        }
        Value::Number(n) => {
            let Some(x) = n.as_f64() else { return };
            if !x.is_finite() {
                errs.push(format!("{path}: not finite: {x}"));
            }
            if x < 0.0 && !SIGNED.contains(&key) {
                errs.push(format!("{path}: negative: {x}"));
            }
            if in_rate && key != "ci95" && !(0.0..=1.0 + 1e-9).contains(&x) {
                errs.push(format!("{path}: rate outside [0, 1]: {x}"));
            }
        }
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                walk(e, &format!("{path}[{i}]"), key, in_rate, errs);
            }
        }
        Value::Object(m) => {
            if ["p50", "p90", "p99", "p999", "max"]
                .iter()
                .all(|k| m.contains_key(*k))
            {
                let q: Vec<f64> = ["p50", "p90", "p99", "p999", "max"]
                    .iter()
                    .map(|k| num(&m[*k]).unwrap_or(f64::NAN))
                    .collect();
                for w in 0..4 {
                    if q[w].is_nan() || q[w] > q[w + 1] * (1.0 + 1e-9) + 1e-9 {
                        errs.push(format!(
                            "{path}: percentiles not monotone: p50/p90/p99/p999/max = {q:?}"
                        ));
                        break;
                    }
                }
                if let Some(mean) = m.get("mean").and_then(num) {
                    if mean.is_nan() || mean > q[4] * (1.0 + 1e-9) + 1e-9 {
                        errs.push(format!("{path}: mean {mean} above max {}", q[4]));
                    }
                }
            }
            for (k, e) in m {
                let r = if k == "mean" || k == "ci95" {
                    in_rate
                } else {
                    rate_like(k)
                };
                walk(e, &format!("{path}.{k}"), k, r, errs);
            }
        }
        _ => {}
    }
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-6 * scale.abs().max(1.0)
}

/// Finds run summaries (objects with `flows` and `conservation`) and checks them.
fn summaries(v: &Value, path: &str, errs: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("flows") && m.contains_key("conservation") {
                summary(v, path, errs);
            }
            for (k, e) in m {
                summaries(e, &format!("{path}.{k}"), errs);
            }
        }
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                summaries(e, &format!("{path}[{i}]"), errs);
            }
        }
        _ => {}
    }
}

fn u(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(u64::MAX)
}

fn summary(s: &Value, path: &str, errs: &mut Vec<String>) {
    for (i, c) in s["conservation"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = format!("{path}.conservation[{i}]");
        let (sent, ans, fl) = (
            u(c, "requests_sent"),
            u(c, "requests_answered"),
            u(c, "requests_in_flight"),
        );
        if ans.checked_add(fl) != Some(sent) {
            errs.push(format!(
                "{p}: requests sent {sent} != answered {ans} + in flight {fl}"
            ));
        }
        let (st, fi, lo, ip) = (
            u(c, "executions_started"),
            u(c, "executions_finished"),
            u(c, "executions_lost"),
            u(c, "executions_in_progress"),
        );
        if fi.checked_add(lo).and_then(|x| x.checked_add(ip)) != Some(st) {
            errs.push(format!(
                "{p}: executions started {st} != finished {fi} + lost {lo} + in progress {ip}"
            ));
        }
        let (pb, ak, dl, ls, iq) = (
            u(c, "messages_published"),
            u(c, "messages_acked"),
            u(c, "messages_dead_lettered"),
            u(c, "messages_lost"),
            u(c, "messages_in_queue"),
        );
        let sum = [ak, dl, ls, iq]
            .iter()
            .try_fold(0u64, |a, &b| a.checked_add(b));
        if sum != Some(pb) {
            errs.push(format!(
                "{p}: messages published {pb} != acked {ak} + dead-lettered {dl} + lost {ls} + queued {iq}"
            ));
        }
    }
    let reps = s["replications"].as_u64().unwrap_or(0);
    if s["conservation"].as_array().map(Vec::len) != Some(reps as usize) {
        errs.push(format!(
            "{path}: {reps} replications but not as many conservation ledgers"
        ));
    }
    let t = s["duration_s"].as_f64().unwrap_or(f64::NAN) - s["warmup_s"].as_f64().unwrap_or(0.0);
    for (i, f) in s["flows"].as_array().into_iter().flatten().enumerate() {
        let p = format!("{path}.flows[{i}]");
        let m = |k: &str| num(&f[k]).unwrap_or(f64::NAN);
        let requests = m("requests");
        let responses = m("throughput") * t;
        let successes = m("goodput") * t;
        let in_flight = m("in_flight");
        if !close(requests, responses + in_flight, requests) {
            errs.push(format!(
                "{p}: requests {requests} != responses {responses} + in flight {in_flight}"
            ));
        }
        if successes > responses * (1.0 + 1e-9) + 1e-6 {
            errs.push(format!(
                "{p}: successes {successes} > responses {responses}"
            ));
        }
        for list in ["failures", "failures_by_root_cause"] {
            let sum: f64 = f[list]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| num(&x["count"]).unwrap_or(f64::NAN))
                .sum();
            if !close(sum, responses - successes, requests) {
                errs.push(format!(
                    "{p}.{list}: counts add up to {sum}, not responses - successes = {}",
                    responses - successes
                ));
            }
        }
        let success = m("success_rate");
        let failure_rates: f64 = f["failures"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| num(&x["rate"]).unwrap_or(f64::NAN))
            .sum();
        if success + failure_rates > 1.0 + 1e-9 {
            errs.push(format!(
                "{p}: success rate {success} + failure rates {failure_rates} > 1"
            ));
        }
        if reps == 1 && responses >= 0.5 && !close(success + failure_rates, 1.0, 1.0) {
            errs.push(format!(
                "{p}: success rate {success} + failure rates {failure_rates} != 1"
            ));
        }
        let (cascade, collateral) = (m("cascade_rate"), m("collateral_rate"));
        if cascade > (1.0 - success) + 1e-9 {
            errs.push(format!(
                "{p}: cascade rate {cascade} > failure rate {}",
                1.0 - success
            ));
        }
        if collateral > cascade + 1e-9 {
            errs.push(format!(
                "{p}: collateral rate {collateral} > cascade rate {cascade}"
            ));
        }
    }
    for (i, g) in s["sagas"].as_array().into_iter().flatten().enumerate() {
        let m = |k: &str| num(&g[k]).unwrap_or(f64::NAN);
        let started = m("started");
        let ends =
            m("committed") + m("compensated") + m("inconsistent") + m("aborted") + m("in_progress");
        if !close(started, ends, started) {
            errs.push(format!(
                "{path}.sagas[{i}]: started {started} != committed + compensated + inconsistent + aborted + in progress = {ends}"
            ));
        }
    }
    for (i, sv) in s["services"].as_array().into_iter().flatten().enumerate() {
        let (mq, pq) = (
            num(&sv["mean_queue"]).unwrap_or(0.0),
            num(&sv["peak_queue"]).unwrap_or(0.0),
        );
        if mq > pq * (1.0 + 1e-9) + 1e-9 {
            errs.push(format!(
                "{path}.services[{i}]: mean queue {mq} > peak queue {pq}"
            ));
        }
    }
}
