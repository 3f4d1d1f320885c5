//! Capacity that moves: one row per autoscaled service (its replicas, decisions and
//! replica-seconds), the cost of each variant, and the first scaling decisions.

use super::{header_with_variant, mean_ci, num, with_variant, Section};
use crate::experiment::compare::Experiment;

/// Columns of an autoscaled service's row.
pub const SCALING_HEADER: [&str; 9] = [
    "service",
    "replicas",
    "metric",
    "mean ready",
    "mean provisioned",
    "peak desired",
    "scale-ups",
    "scale-downs",
    "replica-s",
];

/// Scaling decisions listed per variant in the decisions table (the JSON has up to
/// [`crate::metrics::MAX_LISTED_EVENTS`]).
const LISTED_DECISIONS: usize = 40;

/// The autoscaled services, the decisions of replication 1 and the cost of each
/// variant; none without autoscaling.
pub fn capacity_sections(exp: &Experiment) -> Vec<Section> {
    if exp.variants.iter().all(|v| v.summary.scaling.is_empty()) {
        return Vec::new();
    }
    let mut rows = Vec::new();
    let mut decisions = Vec::new();
    let mut costs = Vec::new();
    for v in &exp.variants {
        for s in v.summary.scaling.iter().filter(|s| s.reached) {
            let row = vec![
                s.service.clone(),
                format!("{}–{}", s.min, s.max),
                format!("{} at {}", s.metric, s.target),
                num(s.mean_ready, 2),
                num(s.mean_provisioned, 2),
                num(s.peak_desired, 1),
                num(s.scale_ups, 1),
                num(s.scale_downs, 1),
                num(s.replica_seconds, 0),
            ];
            rows.push(with_variant(exp, &v.name, row));
            for e in s.events.iter().take(LISTED_DECISIONS) {
                let row = vec![
                    format!("{:.1} s", e.time_s),
                    s.service.clone(),
                    e.from.to_string(),
                    e.to.to_string(),
                ];
                decisions.push(with_variant(exp, &v.name, row));
            }
        }
        let c = &v.summary.cost;
        costs.push(vec![
            v.name.clone(),
            num(c.replica_seconds, 0),
            num(c.replica_seconds_per_success, 4),
        ]);
    }
    let variant_or_run = if exp.is_comparison() {
        "variant"
    } else {
        "run"
    };
    let mut out = vec![
        Section {
            title: format!(
                "autoscaling (mean ready and provisioned replicas over the measured window; provisioned = ready + starting + draining; {})",
                mean_ci(exp)
            ),
            header: header_with_variant(exp, &SCALING_HEADER),
            rows,
        },
        Section {
            title: format!(
                "cost (replica-seconds of the services the flows reach, over the measured window; {})",
                mean_ci(exp)
            ),
            header: vec![
                variant_or_run.to_string(),
                "replica-s".to_string(),
                "replica-s per success".to_string(),
            ],
            rows: costs,
        },
    ];
    if !decisions.is_empty() {
        out.push(Section {
            title: format!(
                "scaling decisions (replication 1, the first {LISTED_DECISIONS} per service; all in the JSON)"
            ),
            header: header_with_variant(exp, &["time", "service", "from", "to"]),
            rows: decisions,
        });
    }
    out
}
