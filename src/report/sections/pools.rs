//! Client connection pools: utilization, waits and exhaustion per pool.

use super::{mean_ci, ms, num, pct, Section};
use crate::experiment::compare::Experiment;

/// Columns of a pool row.
pub const POOL_HEADER: [&str; 9] = [
    "pool",
    "kind",
    "slots/replica",
    "utilization",
    "peak in use",
    "attempts/s",
    "waited",
    "mean wait",
    "exhausted",
];

/// Connection pools (those a variant uses, in a comparison): none without pools.
pub fn pool_sections(exp: &Experiment) -> Vec<Section> {
    if exp.variants.iter().all(|v| v.summary.pools.is_empty()) {
        return Vec::new();
    }
    let compare = exp.is_comparison();
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(POOL_HEADER.map(String::from));
    let mut rows = Vec::new();
    for v in &exp.variants {
        for p in &v.summary.pools {
            if compare && p.attempts_per_s.mean == 0.0 {
                continue;
            }
            let mut r = Vec::new();
            if compare {
                r.push(v.name.clone());
            }
            r.extend([
                p.name.clone(),
                p.kind.clone(),
                p.slots.to_string(),
                pct(p.utilization),
                num(p.peak_in_use, 0),
                num(p.attempts_per_s, 1),
                pct(p.wait_probability),
                ms(p.mean_wait_ms),
                pct(p.exhausted_rate),
            ]);
            rows.push(r);
        }
    }
    vec![Section {
        title: format!(
            "connection pools (per caller replica's pool, summed over replicas; waited and exhausted are shares of the attempts; {})",
            mean_ci(exp)
        ),
        header,
        rows,
    }]
}
