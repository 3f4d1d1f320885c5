//! A sweep: one row per (point, variant) for the focus flow, then the saturation knees.
//! When some point autoscales, each row also has its cost in replica-seconds (the
//! sweep of an autoscaling target is p99 against cost).

use super::{ms_of, num, pct, Section};
use crate::experiment::sweep::Sweep;

/// A sweep: one row per (point, variant) for the focus flow, then the knees.
pub fn sweep_sections(s: &Sweep) -> Vec<Section> {
    let mut header: Vec<String> = s.params.iter().map(|p| p.path.clone()).collect();
    header.extend(
        [
            "variant",
            "offered (/s)",
            "throughput (/s)",
            "goodput (/s)",
            "success",
            "p50",
            "p99",
        ]
        .map(String::from),
    );
    let autoscales = (s.points.iter())
        .any(|p| (p.experiment.variants.iter()).any(|v| !v.summary.scaling.is_empty()));
    if autoscales {
        header.push("cost (replica-s)".into());
    }
    let mut rows = Vec::new();
    for p in &s.points {
        let focus = p.experiment.focus_flow();
        for v in &p.experiment.variants {
            let Some(f) = v.summary.flows.get(focus) else {
                continue;
            };
            let mut r = p.settings.clone();
            r.push(v.name.clone());
            r.push(
                p.offered
                    .get(focus)
                    .copied()
                    .flatten()
                    .map_or("-".into(), |o| format!("{o:.1}")),
            );
            r.push(num(f.throughput, 1));
            r.push(num(f.goodput, 1));
            r.push(pct(f.success_rate));
            r.push(ms_of(&f.latency, |l| l.p50));
            r.push(ms_of(&f.latency, |l| l.p99));
            if autoscales {
                r.push(num(v.summary.cost.replica_seconds, 0));
            }
            rows.push(r);
        }
    }
    let flow = s
        .points
        .first()
        .and_then(|p| {
            p.experiment
                .variants
                .first()
                .and_then(|v| v.summary.flows.get(p.experiment.focus_flow()))
        })
        .map_or(String::new(), |f| f.flow.clone());
    let mut knee_header = vec!["variant".to_string()];
    if s.params.len() > 1 {
        knee_header.push(s.params[1].path.clone());
    }
    knee_header.push(format!("knee ({})", s.params[0].path));
    knee_header.push("why".into());
    let knee_rows = s
        .knees
        .iter()
        .map(|k| {
            let mut r = vec![k.variant.clone()];
            if let Some(g) = &k.group {
                r.push(g.clone());
            }
            r.push(k.at.clone().unwrap_or_else(|| "-".into()));
            r.push(k.reason.clone());
            r
        })
        .collect();
    vec![
        Section {
            title: format!("sweep of flow {flow}"),
            header,
            rows,
        },
        Section {
            title: "saturation knees".into(),
            header: knee_header,
            rows: knee_rows,
        },
    ]
}
