//! CSV of experiments and sweeps: one row per (point, variant, flow), the same
//! columns for a single run and a comparison (schema in the README).

use super::escape::csv as field;
use crate::experiment::compare::Experiment;
use crate::experiment::sweep::Sweep;
use crate::experiment::{Estimate, FlowSummary};
use std::fmt::Write;

/// The per-flow CSV columns after the identifying ones.
const FLOW_COLUMNS: [&str; 11] = [
    "throughput_per_s",
    "goodput_per_s",
    "success_rate",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "p999_ms",
    "mean_ms",
    "cascade_rate",
    "collateral_rate",
    "degraded_rate",
];

fn flow_cells(f: &FlowSummary) -> String {
    // An unknown half-width (a single replication) is an empty field, never 0.
    let e = |e: Estimate| match e.ci() {
        Some(ci) => format!("{},{ci}", e.mean),
        None => format!("{},", e.mean),
    };
    let l = &f.latency;
    [
        format!("{}", f.requests.mean),
        e(f.throughput),
        e(f.goodput),
        e(f.success_rate),
        e(l.p50),
        e(l.p90),
        e(l.p99),
        e(l.p999),
        e(l.mean),
        e(f.cascade_rate),
        e(f.collateral_rate),
        e(f.degraded_rate),
    ]
    .join(",")
}

fn flow_header() -> String {
    let mut h = vec!["requests".to_string()];
    for c in FLOW_COLUMNS {
        h.push(c.to_string());
        h.push(format!("{c}_ci95"));
    }
    h.join(",")
}

/// One row per (variant, flow).
pub fn experiment_csv(exp: &Experiment) -> String {
    let mut out = format!("variant,flow,entry,{}\n", flow_header());
    for v in &exp.variants {
        for f in &v.summary.flows {
            let _ = writeln!(
                out,
                "{},{},{},{}",
                field(&v.name),
                field(&f.flow),
                field(&f.entry),
                flow_cells(f)
            );
        }
    }
    out
}

/// One row per (point, variant, flow); the swept parameters come first.
pub fn sweep_csv(s: &Sweep) -> String {
    let params: Vec<String> = s.params.iter().map(|p| field(&p.path)).collect();
    let mut out = format!(
        "{},variant,flow,entry,offered_per_s,{}\n",
        params.join(","),
        flow_header()
    );
    for p in &s.points {
        let settings: Vec<String> = p.settings.iter().map(|x| field(x)).collect();
        for v in &p.experiment.variants {
            for (fi, f) in v.summary.flows.iter().enumerate() {
                let offered = p
                    .offered
                    .get(fi)
                    .copied()
                    .flatten()
                    .map_or(String::new(), |o| o.to_string());
                let _ = writeln!(
                    out,
                    "{},{},{},{},{offered},{}",
                    settings.join(","),
                    field(&v.name),
                    field(&f.flow),
                    field(&f.entry),
                    flow_cells(f)
                );
            }
        }
    }
    out
}

/// A `sweep --seeds` as CSV: one row per point and variant.
pub fn seeds_csv(s: &crate::experiment::seeds::SeedSweep) -> String {
    let params: Vec<String> = s.params.iter().map(|p| field(&p.path)).collect();
    let mut cols = params;
    cols.extend(
        [
            "variant",
            "flow",
            "runs",
            "metastable",
            "probability",
            "ci95_low",
            "ci95_high",
        ]
        .map(String::from),
    );
    let mut out = cols.join(",");
    out.push('\n');
    for r in &s.rows {
        let mut cells: Vec<String> = r.settings.iter().map(|x| field(x)).collect();
        cells.extend([
            field(&r.variant),
            field(&r.flow),
            r.runs.to_string(),
            r.metastable.to_string(),
            r.probability.to_string(),
            r.ci_low.to_string(),
            r.ci_high.to_string(),
        ]);
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}
