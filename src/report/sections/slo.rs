//! SLO verdicts: one row per (objective, variant).

use super::Section;
use crate::experiment::slo::SloVerdict;
use crate::kernel::format_duration;

/// SLO verdicts, one row per (SLO target, variant).
pub fn slo_section(verdicts: &[SloVerdict]) -> Section {
    let header = [
        "flow",
        "variant",
        "objective",
        "measured",
        "margin",
        "verdict",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for v in verdicts {
        for c in &v.checks {
            let latency = c.metric != "success";
            let fmt = |x: f64| {
                if latency {
                    format_duration(x * 1e6)
                } else {
                    format!("{:.3}%", x * 100.0)
                }
            };
            let measured = match (c.measured, c.ci95) {
                (Some(m), Some(ci)) if ci > 0.0 => format!("{} ±{}", fmt(m), fmt(ci)),
                (Some(m), _) => fmt(m),
                _ => "-".into(),
            };
            let margin = c.margin.map_or("-".into(), |m| {
                if m >= 0.0 {
                    format!("+{}", fmt(m))
                } else {
                    format!("-{}", fmt(-m))
                }
            });
            let mut verdict = match c.pass {
                Some(true) => "PASS".to_string(),
                Some(false) if c.measured.is_none() => "FAIL (nothing measured)".to_string(),
                Some(false) => "FAIL".to_string(),
                None => "n/a (not measured yet)".to_string(),
            };
            if let Some(share) = c.unfinished {
                verdict.push_str(&format!(" ({:.2}% unfinished)", 100.0 * share));
            }
            rows.push(vec![
                v.flow.clone(),
                v.variant.clone(),
                c.objective.clone(),
                measured,
                margin,
                verdict,
            ]);
        }
    }
    Section {
        title: "SLO verdicts".into(),
        header,
        rows,
    }
}
