//! Service-level objectives: each `[[slo]]` checked against each variant.
//!
//! A target holds when the *mean over replications* meets it; the margin is the
//! distance to the target in the direction of safety (positive: met with room to
//! spare, negative: missed by that much), and the 95% CI half-width of the measurement
//! is reported beside it so a reader can tell a comfortable pass from a coin toss.

use super::compare::Experiment;
use super::LatencySummary;
use crate::model::Scenario;
use serde::Serialize;

/// One target of one SLO, checked for one variant.
#[derive(Clone, Debug, Serialize)]
pub struct SloCheck {
    /// What is checked: "p99", "success" or "completion_p99".
    pub metric: String,
    /// The objective as text, e.g. "p99 <= 800ms".
    pub objective: String,
    /// The target (ms for latencies, a fraction for success).
    pub target: f64,
    /// The measured mean (same unit), when measured.
    pub measured: Option<f64>,
    /// 95% CI half-width of the measurement (`None` with a single replication).
    pub ci95: Option<f64>,
    /// Distance to the target, positive when met (same unit).
    pub margin: Option<f64>,
    /// Met, missed, or `None` when not evaluated (see `note`).
    pub pass: Option<bool>,
    /// Why a target was not evaluated, or what its measurement leaves out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `completion_p99`: the share of the flow's requests still in progress when the
    /// run ended, when at least [`UNFINISHED_SHARE`]. The p99 is of the requests that
    /// completed, so a pass says less than it seems to: those left are the slowest
    /// candidates (or were sent just before the end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfinished: Option<f64>,
}

/// Share of a flow's requests in progress at the end from which a `completion_p99`
/// check says how many its p99 leaves out (what a p99 can hide: 1%).
pub const UNFINISHED_SHARE: f64 = 0.01;

/// The verdict of one SLO for one variant.
#[derive(Clone, Debug, Serialize)]
pub struct SloVerdict {
    /// The flow.
    pub flow: String,
    /// The variant.
    pub variant: String,
    /// Every target of the SLO.
    pub checks: Vec<SloCheck>,
    /// All evaluated targets met.
    pub pass: bool,
}

/// Note for `completion_p99` on a flow with no asynchronous work.
pub const COMPLETION_NOTE: &str = "synchronous flow: completion is the response";

fn ms_text(ms: f64) -> String {
    crate::kernel::format_duration(ms * 1e6)
}

/// Note of a latency check with nothing to measure.
pub const NOTHING_MEASURED: &str =
    "no request got this far in any replication: nothing measured, the target is missed";

/// A p99 target (ms) against the p99 of `l`. With no latency recorded (no response or
/// no completion in any replication) the p99 is unbounded, not zero: missed.
fn latency_check(
    metric: &str,
    objective: String,
    target: f64,
    l: &LatencySummary,
    note: Option<String>,
) -> SloCheck {
    if l.samples.mean == 0.0 {
        return SloCheck {
            metric: metric.into(),
            objective,
            target,
            measured: None,
            ci95: None,
            margin: None,
            pass: Some(false),
            note: Some(NOTHING_MEASURED.to_string()),
            unfinished: None,
        };
    }
    let m = l.p99;
    SloCheck {
        metric: metric.into(),
        objective,
        target,
        measured: Some(m.mean),
        ci95: m.ci(),
        margin: Some(target - m.mean),
        pass: Some(m.mean <= target),
        note,
        unfinished: None,
    }
}

/// Check every SLO of `scenario` against every variant of `exp`, SLO by SLO.
pub fn evaluate(scenario: &Scenario, exp: &Experiment) -> Vec<SloVerdict> {
    let mut out = Vec::new();
    for slo in &scenario.slos {
        let flow = &scenario.workloads[slo.workload].flow;
        for v in &exp.variants {
            let Some(f) = v.summary.flow(flow) else {
                continue;
            };
            let mut checks = Vec::new();
            if let Some(t) = slo.p99 {
                let target = t as f64 / 1e6;
                checks.push(latency_check(
                    "p99",
                    format!("p99 <= {}", ms_text(target)),
                    target,
                    &f.latency,
                    None,
                ));
            }
            if let Some(target) = slo.success {
                let m = f.success_rate;
                checks.push(SloCheck {
                    metric: "success".into(),
                    objective: format!("success >= {}%", target * 100.0),
                    target,
                    measured: Some(m.mean),
                    ci95: m.ci(),
                    margin: Some(m.mean - target),
                    pass: Some(m.mean >= target),
                    note: None,
                    unfinished: None,
                });
            }
            if let Some(t) = slo.completion_p99 {
                let target = t as f64 / 1e6;
                // Without asynchronous work a request completes when it is answered.
                let (l, note) = match &f.completion {
                    Some(c) => (&c.latency, None),
                    None => (&f.latency, Some(COMPLETION_NOTE.to_string())),
                };
                let mut check = latency_check(
                    "completion_p99",
                    format!("completion p99 <= {}", ms_text(target)),
                    target,
                    l,
                    note,
                );
                let share = f
                    .completion
                    .as_ref()
                    .map_or(0.0, |c| c.in_progress.mean / f.requests.mean.max(1.0));
                if share >= UNFINISHED_SHARE && check.measured.is_some() {
                    check.unfinished = Some(share);
                    check.note = Some(format!(
                        "{:.2}% of the requests were still in progress when the run ended: the p99 is of those that completed",
                        100.0 * share
                    ));
                }
                checks.push(check);
            }
            let pass = checks.iter().all(|c| c.pass != Some(false));
            out.push(SloVerdict {
                flow: flow.clone(),
                variant: v.name.clone(),
                checks,
                pass,
            });
        }
    }
    out
}

/// Whether every verdict passed.
pub fn all_pass(verdicts: &[SloVerdict]) -> bool {
    verdicts.iter().all(|v| v.pass)
}
