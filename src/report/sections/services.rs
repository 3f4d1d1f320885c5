//! Services: utilization, queueing and Little's law per service, and per flow where
//! its time goes service by service.

use super::{header_with_variant, mean_ci, ms, num, pct, with_variant, Section};
use crate::experiment::compare::{Experiment, VariantRun};
use crate::kernel::format_duration;
use crate::model::reach::{flow_path, Hop, Reach};

/// One table of every service (per variant when comparing): utilization, queue,
/// admissions, rejections, and how the mean sojourn splits.
pub fn service_sections(exp: &Experiment) -> Vec<Section> {
    if exp.variants.iter().all(|v| v.summary.services.is_empty()) {
        return Vec::new();
    }
    let header = header_with_variant(
        exp,
        &[
            "service",
            "utilization",
            "mean queue",
            "peak queue",
            "admitted/s",
            "rejected",
            "mean sojourn",
            "= queue wait + work + downstream (means)",
            "in system (L)",
            "λW (Little)",
        ],
    );
    let mut rows = Vec::new();
    for v in &exp.variants {
        // In a comparison, a service no request of this variant reached is another
        // variant's alternative: an all-zero row says nothing.
        let idle = |sv: &crate::experiment::ServiceSummary| {
            sv.arrival_rate.mean == 0.0 && sv.rejected.mean == 0.0 && sv.utilization.mean == 0.0
        };
        for sv in (v.summary.services.iter()).filter(|sv| !(exp.is_comparison() && idle(sv))) {
            let split = format!(
                "{} + {} + {}",
                format_duration(sv.mean_queue_wait.mean * 1e6),
                format_duration(sv.mean_work.mean * 1e6),
                format_duration(sv.mean_downstream.mean * 1e6)
            );
            let row = vec![
                sv.name.clone(),
                match sv.core_utilization {
                    None => pct(sv.utilization),
                    Some(cores) => {
                        format!("{} threads, {} cores", pct(sv.utilization), pct(cores))
                    }
                },
                num(sv.mean_queue, 2),
                num(sv.peak_queue, 0),
                num(sv.arrival_rate, 2),
                format!("{} ({})", num(sv.rejected, 0), pct(sv.rejection_rate)),
                ms(sv.mean_sojourn),
                split,
                num(sv.mean_in_system, 2),
                num(sv.little_lambda_w, 2),
            ];
            rows.push(with_variant(exp, &v.name, row));
        }
    }
    vec![Section {
        title: format!("services (per replication, {})", mean_ci(exp)),
        header,
        rows,
    }]
}

/// Where a flow's time goes in one variant: the services on its path and the share of
/// the flow's mean response not spent in the entry service (network and client hops).
pub struct TimeBreakdown {
    /// Services and queues on the path.
    pub hops: Vec<Hop>,
    /// Flows (other than this one) whose path includes the entry service.
    pub entry_shared_with: Vec<String>,
    /// Mean response minus the entry service's mean sojourn (ms).
    pub network_ms: Option<f64>,
}

/// The breakdown of flow `flow` in variant `v`.
pub fn time_breakdown(v: &VariantRun, flow: usize) -> Option<TimeBreakdown> {
    let sc = &*v.scenario;
    let entry = sc.workloads.get(flow)?.entry;
    let hops = flow_path(sc, entry);
    let entry_svc = sc.operations[entry.0 as usize].service;
    let entry_shared_with: Vec<String> = (0..sc.workloads.len())
        .filter(|&f| f != flow)
        .filter(|&f| {
            flow_path(sc, sc.workloads[f].entry).contains(&Hop::Service(entry_svc, Reach::Response))
        })
        .map(|f| sc.workloads[f].flow.clone())
        .collect();
    let f = v.summary.flows.get(flow)?;
    let s = v.summary.services.get(entry_svc.0 as usize)?;
    Some(TimeBreakdown {
        hops,
        network_ms: Some(f.latency.mean.mean - s.mean_sojourn.mean),
        entry_shared_with,
    })
}

/// Per flow, the services on its path and where their time goes (every variant).
pub fn time_sections(exp: &Experiment) -> Vec<Section> {
    let Some(first) = exp.variants.first() else {
        return Vec::new();
    };
    let focus = exp.focus_flow();
    let mut order: Vec<usize> = vec![focus];
    order.extend((0..first.summary.flows.len()).filter(|&i| i != focus));
    let compare = exp.is_comparison();
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(
        [
            "service",
            "reached by",
            "mean sojourn",
            "waiting for a worker",
            "work",
            "waiting on downstream",
            "utilization",
        ]
        .map(String::from),
    );
    let mut out = Vec::new();
    for fi in order {
        let mut rows = Vec::new();
        for v in &exp.variants {
            let Some(b) = time_breakdown(v, fi) else {
                continue;
            };
            let variant = |mut r: Vec<String>| {
                if compare {
                    r.insert(0, v.name.clone());
                }
                r
            };
            for hop in &b.hops {
                match *hop {
                    Hop::Service(svc, reach) => {
                        let Some(s) = v.summary.services.get(svc.0 as usize) else {
                            continue;
                        };
                        rows.push(variant(vec![
                            s.name.clone(),
                            reach.label().to_string(),
                            ms(s.mean_sojourn),
                            ms(s.mean_queue_wait),
                            ms(s.mean_work),
                            ms(s.mean_downstream),
                            pct(s.utilization),
                        ]));
                    }
                    Hop::Queue(q) => {
                        let Some(q) = v.summary.queues.get(q.0 as usize) else {
                            continue;
                        };
                        rows.push(variant(vec![
                            format!("queue {}", q.name),
                            "async work".into(),
                            "-".into(),
                            format!("{} (consumer lag)", ms(q.mean_wait_ms)),
                            "-".into(),
                            "-".into(),
                            "-".into(),
                        ]));
                    }
                }
            }
            let entry_name = b
                .hops
                .iter()
                .find_map(|h| match h {
                    Hop::Service(s, _) => v.summary.services.get(s.0 as usize),
                    Hop::Queue(_) => None,
                })
                .map_or(String::new(), |s| s.name.clone());
            let network = match b.network_ms {
                Some(n) if b.entry_shared_with.is_empty() => format_duration(n * 1e6),
                Some(_) => format!(
                    "n/a: {entry_name} also serves {}",
                    b.entry_shared_with.join(", ")
                ),
                None => "-".into(),
            };
            rows.push(variant(vec![
                "network and client hops".to_string(),
                format!("mean response − {entry_name} mean sojourn"),
                network,
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]));
        }
        let flow = &first.summary.flows[fi].flow;
        out.push(Section {
            title: format!(
                "where the time goes: flow {flow} (per service, mean per execution over all of its operations, {})", mean_ci(exp)
            ),
            header: header.clone(),
            rows,
        });
    }
    out
}
