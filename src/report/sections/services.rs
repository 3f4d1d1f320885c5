//! Services: utilization, queueing and Little's law per service, and per flow where
//! its time goes service by service.

use super::{header_with_variant, mean_ci, ms, num, pct, with_variant, Section};
use crate::experiment::compare::{Experiment, VariantRun};
use crate::kernel::format_duration;
use crate::metrics::paths::{Step, Traced};
use crate::model::reach::{flow_path, Hop};
use crate::model::OpId;

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
            // Sojourns are of finished executions: none finished, none to give.
            let finished = sv.completed.mean > 0.0;
            let split = if finished {
                format!(
                    "{} + {} + {}",
                    format_duration(sv.mean_queue_wait.mean * 1e6),
                    format_duration(sv.mean_work.mean * 1e6),
                    format_duration(sv.mean_downstream.mean * 1e6)
                )
            } else {
                "-".to_string()
            };
            let or_none = |cell: String| if finished { cell } else { "-".to_string() };
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
                or_none(ms(sv.mean_sojourn)),
                split,
                num(sv.mean_in_system, 2),
                or_none(num(sv.little_lambda_w, 2)),
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

/// Where a flow's time goes in one variant: the services on its path, and the time its
/// client calls spend on the wire to the entry service and back (network and client
/// hops).
pub struct TimeBreakdown {
    /// Services and queues on the path.
    pub hops: Vec<Hop>,
    /// Mean per traced response of replication 1 (ms): request and reply on the wire
    /// between the client and the entry operation, the depth-0 hop's network time of
    /// the response breakdown. The entry service's sojourn covers the rest of the
    /// response. `Err` says why it is unknown (replication 1 not traced, e.g. in a
    /// sweep; or no response of the flow sampled).
    pub network_ms: Result<f64, &'static str>,
}

/// Why [`TimeBreakdown::network_ms`] is unknown: nothing was traced.
pub const NOT_TRACED: &str = "n/a: replication 1 not traced";
/// Why [`TimeBreakdown::network_ms`] is unknown: the flow has no sampled response.
pub const NOT_SAMPLED: &str = "n/a: no response sampled";

/// The breakdown of flow `flow` in variant `v`.
pub fn time_breakdown(v: &VariantRun, flow: usize) -> Option<TimeBreakdown> {
    let sc = &*v.scenario;
    let entry = sc.workloads.get(flow)?.entry;
    v.summary.flows.get(flow)?;
    Some(TimeBreakdown {
        hops: flow_path(sc, entry),
        network_ms: entry_network_ms(&v.summary.traced, flow, entry),
    })
}

/// The client's wire time per traced response of flow `flow` (ms), from its response
/// breakdown: the network part of the depth-0 hop `Op(entry)` (the client's call, all
/// of its attempts on the critical path), averaged over every sampled response. A call
/// the entry refused never reached an execution: its time is that hop's *other*, not
/// network. Unlike the mean response minus the entry service's mean sojourn (over all
/// of its executions), it counts only this flow's responses, so it cannot go negative
/// when the entry service also serves other flows, or refuses or outlives requests.
fn entry_network_ms(traced: &Traced, flow: usize, entry: OpId) -> Result<f64, &'static str> {
    if *traced == Traced::default() {
        return Err(NOT_TRACED);
    }
    let b = (traced.response_breakdowns.iter())
        .find(|b| b.workload as usize == flow)
        .ok_or(NOT_SAMPLED)?;
    (b.hops.iter())
        .find(|h| h.depth == 0 && h.step == Step::Op(entry))
        .map(|h| h.network_ms)
        .ok_or(NOT_SAMPLED)
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
                        let mean = |e| {
                            if s.completed.mean > 0.0 {
                                ms(e)
                            } else {
                                "-".into()
                            }
                        };
                        rows.push(variant(vec![
                            s.name.clone(),
                            reach.label().to_string(),
                            mean(s.mean_sojourn),
                            mean(s.mean_queue_wait),
                            mean(s.mean_work),
                            mean(s.mean_downstream),
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
                Ok(n) => format_duration(n * 1e6),
                Err(why) => why.to_string(),
            };
            rows.push(variant(vec![
                "network and client hops".to_string(),
                format!("client ↔ {entry_name} on the wire, traced responses"),
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
