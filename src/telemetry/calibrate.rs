//! Simulated against observed, per flow and per operation.
//!
//! The scenario runs (replication 0) with a systematic sample of its requests recorded
//! ([`crate::engine::record_replication`]); the simulated spans go through the same
//! [`topology::build`] as the observed ones, so both sides are
//! measured alike: a flow by its root span (the client's when observed), an operation
//! by its SERVER or CONSUMER span. Per row: mean, p50, p90, p99 of each side, their
//! relative error (simulated / observed − 1) and 95% CIs (the mean's by the normal
//! approximation, a percentile's from order statistics). A statistic passes when its
//! relative error is within the tolerance, or when the difference is within the two
//! sides' CIs together (sampling noise: "ok~"). p99 is judged only when both sides have
//! at least 100 values. A row fails when one of its statistics does; an operation or a
//! flow observed but never simulated fails too.

use super::fit::{quantile_ci, stats, Stats};
use super::topology::{self, OpKey, Topology};
use crate::engine::{record_replication, RunError};
use crate::model::Scenario;
use std::fmt::Write;

/// Values both sides need before their p99 is judged.
pub const MIN_FOR_P99: usize = 100;

/// One compared statistic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Compared {
    /// Observed value (ns).
    pub observed: f64,
    /// Its 95% CI half-width.
    pub observed_ci: f64,
    /// Simulated value (ns).
    pub simulated: f64,
    /// Its 95% CI half-width.
    pub simulated_ci: f64,
    /// simulated / observed − 1.
    pub relative_error: f64,
    /// `None` when not judged (too few values for a p99).
    pub pass: Option<bool>,
    /// Passed only thanks to the CIs.
    pub by_noise: bool,
}

/// One row: a flow or an operation.
#[derive(Clone, Debug)]
pub struct Row {
    /// "flow svc.op" or "op svc.op".
    pub what: String,
    /// Observed and simulated sample sizes.
    pub n: (usize, usize),
    /// mean, p50, p90, p99.
    pub stats: [Compared; 4],
    /// The row's verdict: "ok", "ok~" (within the CIs), "off", or "not simulated".
    pub verdict: &'static str,
}

/// The whole comparison.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// Flows, then operations, in name order.
    pub rows: Vec<Row>,
    /// The tolerance on relative errors.
    pub tolerance: f64,
    /// Simulated requests recorded.
    pub simulated_requests: usize,
}

impl Calibration {
    /// Every row passes.
    pub fn pass(&self) -> bool {
        self.rows.iter().all(|r| r.verdict.starts_with("ok"))
    }
}

/// Run `sc` and compare it with the `observed` topology, recording at most `limit`
/// requests per flow.
pub fn calibrate(
    sc: &Scenario,
    observed: &Topology,
    tolerance: f64,
    limit: usize,
) -> Result<Calibration, RunError> {
    let recorded = record_replication(sc, 0, limit)?.requests;
    let spans = super::sim::spans(sc, 0, &recorded, 0);
    let simulated = topology::build(&spans);
    let mut rows = Vec::new();
    for (key, f) in &observed.flows {
        let sim = simulated.flows.get(key).map(|s| s.latencies.as_slice());
        rows.push(row(
            format!("flow {}.{}", key.0, key.1),
            &f.latencies,
            sim,
            tolerance,
        ));
    }
    for (key, op) in &observed.ops {
        let sim = simulated.ops.get(key).map(|s| s.durations.as_slice());
        rows.push(row(op_label(key), &op.durations, sim, tolerance));
    }
    Ok(Calibration {
        rows,
        tolerance,
        simulated_requests: recorded.len(),
    })
}

fn op_label(k: &OpKey) -> String {
    format!("op {}.{}", k.0, k.1)
}

fn row(what: String, observed: &[i64], simulated: Option<&[i64]>, tol: f64) -> Row {
    let o = stats(observed);
    let Some(sim) = simulated.filter(|s| !s.is_empty()) else {
        let none = Compared {
            observed: 0.0,
            observed_ci: 0.0,
            simulated: f64::NAN,
            simulated_ci: 0.0,
            relative_error: f64::NAN,
            pass: Some(false),
            by_noise: false,
        };
        return Row {
            what,
            n: (o.n, 0),
            stats: [none; 4],
            verdict: "not simulated",
        };
    };
    let s = stats(sim);
    let judge_p99 = o.n >= MIN_FOR_P99 && s.n >= MIN_FOR_P99;
    let pick = |x: &Stats, i: usize| [x.mean, x.p50, x.p90, x.p99][i];
    let ci = |v: &[i64], x: &Stats, i: usize| match i {
        0 => x.mean_ci,
        _ => quantile_ci(v, [0.5, 0.5, 0.9, 0.99][i]),
    };
    let stats: [Compared; 4] = std::array::from_fn(|i| {
        let (ov, sv) = (pick(&o, i), pick(&s, i));
        let (oc, sc) = (ci(observed, &o, i), ci(sim, &s, i));
        let rel = if ov > 0.0 {
            sv / ov - 1.0
        } else if sv == 0.0 {
            0.0
        } else {
            f64::INFINITY
        };
        let within = rel.abs() <= tol;
        let noise = !within && (sv - ov).abs() <= oc + sc;
        Compared {
            observed: ov,
            observed_ci: oc,
            simulated: sv,
            simulated_ci: sc,
            relative_error: rel,
            pass: (i < 3 || judge_p99).then_some(within || noise),
            by_noise: noise,
        }
    });
    let verdict = if stats.iter().any(|c| c.pass == Some(false)) {
        "off"
    } else if stats.iter().any(|c| c.pass == Some(true) && c.by_noise) {
        "ok~"
    } else {
        "ok"
    };
    Row {
        what,
        n: (o.n, s.n),
        stats,
        verdict,
    }
}

/// The side-by-side table `archsim calibrate` prints.
pub fn table(c: &Calibration) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "simulated vs observed (ms; err = simulated/observed - 1; tolerance {:.1}%; {} simulated requests)",
        c.tolerance * 100.0,
        c.simulated_requests
    );
    let width = c
        .rows
        .iter()
        .map(|r| r.what.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        s,
        "{:<width$}  {:>13}  {:>26}  {:>26}  {:>26}  {:>26}  verdict",
        "what",
        "n obs/sim",
        "mean obs/sim (err)",
        "p50 obs/sim (err)",
        "p90 obs/sim (err)",
        "p99 obs/sim (err)"
    );
    for r in &c.rows {
        let cells: Vec<String> = r.stats.iter().map(cell).collect();
        let _ = writeln!(
            s,
            "{:<width$}  {:>13}  {:>26}  {:>26}  {:>26}  {:>26}  {}",
            crate::report::escape::visible(&r.what),
            format!("{}/{}", r.n.0, r.n.1),
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            r.verdict
        );
    }
    let failed = c
        .rows
        .iter()
        .filter(|r| !r.verdict.starts_with("ok"))
        .count();
    let _ = writeln!(
        s,
        "{}",
        if failed == 0 {
            format!("all {} rows within tolerance", c.rows.len())
        } else {
            format!("{failed} of {} rows outside tolerance", c.rows.len())
        }
    );
    s
}

fn cell(c: &Compared) -> String {
    if c.simulated.is_nan() {
        return "-".to_string();
    }
    let mark = match c.pass {
        None => " ",
        Some(true) => "",
        Some(false) => "!",
    };
    format!(
        "{:.3}/{:.3} ({:+.1}%{mark})",
        c.observed / 1e6,
        c.simulated / 1e6,
        c.relative_error * 100.0
    )
}
