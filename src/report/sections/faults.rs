//! Failures injected and the policies that met them: each fault with its activity and,
//! per fault window, each flow's failure and recovery and the blast radius; each call
//! site with a resilience policy, and the circuit breakers' transitions.

use super::{header_with_variant, mean_ci, num, pct, with_variant, Section};
use crate::experiment::compare::Experiment;
use crate::experiment::Estimate;

/// Circuit-breaker transitions listed per variant (the JSON has all of them).
const SHOWN_TRANSITIONS: usize = 12;

/// Faults: what each does and how often it was active; then, per fault window, each
/// flow's failure rates and recovery, and the services that failed with it.
pub fn fault_sections(exp: &Experiment) -> Vec<Section> {
    if exp.variants.iter().all(|v| v.summary.faults.is_empty()) {
        return Vec::new();
    }
    let mut faults = Vec::new();
    let mut windows = Vec::new();
    for v in &exp.variants {
        let replications = v.summary.replications as usize;
        for f in &v.summary.faults {
            let down = Estimate {
                mean: 1.0 - f.availability.mean,
                ci95: f.availability.ci95,
            };
            let blast = f.window.as_ref().map_or_else(String::new, |w| {
                if w.blast_radius.is_empty() {
                    "none".to_string()
                } else {
                    w.blast_radius
                        .iter()
                        .map(|b| format!("{} ({})", b.service, pct(b.failure_rate)))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            });
            let row = vec![
                f.name.clone(),
                f.kind.clone(),
                f.target.clone(),
                pct(down),
                num(f.activations, 1),
                blast,
            ];
            faults.push(with_variant(exp, &v.name, row));
            let Some(w) = &f.window else { continue };
            for fl in &w.flows {
                let recovery = match &fl.recovery_s {
                    Some(r) if fl.recovered_in as usize == replications => {
                        format!("{} s", num(*r, 2))
                    }
                    Some(r) => format!(
                        "{} s in {}/{replications} replications; never in the others",
                        num(*r, 2),
                        fl.recovered_in,
                    ),
                    None => "not recovered before the end of the run".to_string(),
                };
                let row = vec![
                    f.name.clone(),
                    format!("{}s .. {}s", w.start_s, w.end_s),
                    fl.flow.clone(),
                    pct(fl.failure_rate),
                    pct(fl.cascade_rate),
                    pct(fl.collateral_rate),
                    recovery,
                ];
                windows.push(with_variant(exp, &v.name, row));
            }
        }
    }
    let mut out = vec![Section {
        title: "faults (active: share of the run a fault was on; blast radius: services that failed during its window)".into(),
        header: header_with_variant(
            exp,
            &["fault", "kind", "target", "active", "activations", "blast radius"],
        ),
        rows: faults,
    }];
    if !windows.is_empty() {
        out.push(Section {
            title: "flows during each fault window (requests sent in the window; recovery: back to the pre-fault failure rate)".into(),
            header: header_with_variant(
                exp,
                &["fault", "window", "flow", "failed", "cascade", "collateral", "recovery"],
            ),
            rows: windows,
        });
    }
    out
}

/// Call sites with a resilience policy (amplification, retries, fallbacks, bulkhead and
/// breaker refusals), then the first circuit-breaker transitions of replication 1.
pub fn site_sections(exp: &Experiment) -> Vec<Section> {
    if exp.variants.iter().all(|v| v.summary.sites.is_empty()) {
        return Vec::new();
    }
    let mut rows = Vec::new();
    let mut transitions = Vec::new();
    for v in &exp.variants {
        for site in &v.summary.sites {
            let row = vec![
                site.site.clone(),
                num(site.calls, 0),
                num(site.amplification, 3),
                num(site.retries, 0),
                num(site.retries_denied, 0),
                num(site.fallbacks, 0),
                num(site.bulkhead_rejections, 0),
                format!(
                    "{} / {}",
                    num(site.breaker_rejections, 0),
                    num(site.breaker_opened, 1)
                ),
            ];
            rows.push(with_variant(exp, &v.name, row));
        }
        let all = &v.summary.breaker_transitions;
        for t in all.iter().take(SHOWN_TRANSITIONS) {
            let row = vec![
                format!("{:.3}s", t.time_s),
                t.site.clone(),
                format!("{:?} -> {:?}", t.from, t.to),
                format!("{} of {}", all.len().min(SHOWN_TRANSITIONS), all.len()),
            ];
            transitions.push(with_variant(exp, &v.name, row));
        }
    }
    let mut out = vec![Section {
        title: format!(
            "call sites with policies (per replication, {})",
            mean_ci(exp)
        ),
        header: header_with_variant(
            exp,
            &[
                "call site (policies)",
                "calls",
                "amplification",
                "retries",
                "denied",
                "fallbacks",
                "bulkhead",
                "breaker rejected / opened",
            ],
        ),
        rows,
    }];
    if !transitions.is_empty() {
        out.push(Section {
            title: "circuit breaker transitions (replication 1, the first few)".into(),
            header: header_with_variant(exp, &["time", "call site", "transition", "shown"]),
            rows: transitions,
        });
    }
    out
}
