//! Messaging: queues (delivery counts, backlog, consumer lag, backlog around fault
//! windows) and sagas (outcomes, settle latency, compensation cost, per step).

use super::{header_with_variant, mean_ci, ms, ms_of, num, pct, with_variant, Section};
use crate::experiment::compare::{Experiment, VariantRun};
use crate::experiment::QueueSummary;

fn used_queues<'a>(
    v: &'a VariantRun,
    all: bool,
) -> impl Iterator<Item = (usize, &'a QueueSummary)> + 'a {
    v.summary
        .queues
        .iter()
        .enumerate()
        .filter(move |(_, q)| all || q.published.mean > 0.0 || q.peak_depth.mean > 0.0)
}

/// Columns of a message-queue row.
pub const QUEUE_HEADER: [&str; 12] = [
    "queue",
    "published",
    "acked",
    "redelivered",
    "duplicates",
    "dead-lettered",
    "lost",
    "mean backlog",
    "peak backlog",
    "consumer lag (mean)",
    "delivered (mean)",
    "delivered (p99)",
];

/// One queue's row (see [`QUEUE_HEADER`]).
pub fn queue_row(q: &QueueSummary) -> [String; 12] {
    [
        q.name.clone(),
        num(q.published, 0),
        num(q.acked, 0),
        num(q.redeliveries, 0),
        num(q.duplicates, 0),
        num(q.dead_lettered, 0),
        num(q.lost, 0),
        num(q.mean_depth, 1),
        num(q.peak_depth, 0),
        ms(q.mean_wait_ms),
        ms_of(&q.delivery_latency, |l| l.mean),
        ms_of(&q.delivery_latency, |l| l.p99),
    ]
}

/// Message queues: delivery counts, backlog and consumer lag (queues a variant uses).
pub fn queue_sections(exp: &Experiment) -> Vec<Section> {
    let compare = exp.is_comparison();
    if exp.variants.iter().all(|v| v.summary.queues.is_empty()) {
        return Vec::new();
    }
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(QUEUE_HEADER.map(String::from));
    let mut rows = Vec::new();
    for v in &exp.variants {
        for (_, q) in used_queues(v, !compare) {
            let mut r = Vec::new();
            if compare {
                r.push(v.name.clone());
            }
            r.extend(queue_row(q));
            rows.push(r);
        }
    }
    let mut out = vec![Section {
        title: format!(
            "message queues (per replication, {}; topic subscriptions as topic/subscriber; delivered = publish to processed)",
            mean_ci(exp)
        ),
        header,
        rows,
    }];
    // Per fault window: backlog peak and drain time.
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(["fault", "queue", "peak backlog", "drained after the fault"].map(String::from));
    let mut rows = Vec::new();
    for v in &exp.variants {
        let used: Vec<&str> = used_queues(v, !compare)
            .map(|(_, q)| q.name.as_str())
            .collect();
        for f in &v.summary.faults {
            let Some(w) = &f.window else { continue };
            let backed_up = |wq: &&crate::experiment::WindowQueue| {
                used.contains(&wq.queue.as_str()) && wq.peak_depth.mean >= 1.0
            };
            for wq in w.queues.iter().filter(backed_up) {
                let mut r = Vec::new();
                if compare {
                    r.push(v.name.clone());
                }
                let drained = match &wq.drain_s {
                    Some(e) if wq.drained_in > 0 => format!(
                        "{} s ({}/{} replications)",
                        num(*e, 1),
                        wq.drained_in,
                        v.summary.replications
                    ),
                    _ => "not drained by the end of the run".into(),
                };
                r.extend([
                    f.name.clone(),
                    wq.queue.clone(),
                    num(wq.peak_depth, 0),
                    drained,
                ]);
                rows.push(r);
            }
        }
    }
    if !rows.is_empty() {
        out.push(Section {
            title: "queue backlog around each fault window, queues that backed up (peak: highest interval mean from the fault's start to the end of the run; drained: back to the pre-fault level)".into(),
            header,
            rows,
        });
    }
    out
}

/// Sagas: outcome rates, settle latency, inconsistency window, compensation cost;
/// then each step's committed actions and compensations.
pub fn saga_sections(exp: &Experiment) -> Vec<Section> {
    if exp.variants.iter().all(|v| v.summary.sagas.is_empty()) {
        return Vec::new();
    }
    vec![saga_section(exp), saga_step_section(exp)]
}

fn saga_section(exp: &Experiment) -> Section {
    let compare = exp.is_comparison();
    let mut header: Vec<String> = Vec::new();
    if compare {
        header.push("variant".into());
    }
    header.extend(
        [
            "saga",
            "style",
            "started",
            "committed",
            "compensated",
            "inconsistent",
            "aborted",
            "in progress at end",
            "settle p50",
            "settle p99",
            "inconsistency window (mean)",
            "compensation latency (mean)",
            "messages per saga",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for v in &exp.variants {
        for s in v
            .summary
            .sagas
            .iter()
            .filter(|s| !compare || s.started.mean > 0.0)
        {
            let mut r = Vec::new();
            if compare {
                r.push(v.name.clone());
            }
            r.extend([
                s.name.clone(),
                s.style.clone(),
                num(s.started, 0),
                pct(s.committed_rate),
                pct(s.compensated_rate),
                pct(s.inconsistent_rate),
                pct(s.aborted_rate),
                num(s.in_progress, 0),
                ms_of(&s.latency, |l| l.p50),
                ms_of(&s.latency, |l| l.p99),
                ms(s.inconsistency_window_ms),
                ms(s.compensation_latency_ms),
                num(s.messages_per_saga, 1),
            ]);
            rows.push(r);
        }
    }
    Section {
        title: format!(
            "sagas (rates of settled sagas; per replication, {})",
            mean_ci(exp)
        ),
        header,
        rows,
    }
}

fn saga_step_section(exp: &Experiment) -> Section {
    let header = header_with_variant(exp, &["saga", "step", "committed", "compensated"]);
    let mut rows = Vec::new();
    for v in &exp.variants {
        for g in &v.summary.sagas {
            for st in &g.steps {
                let row = vec![
                    g.name.clone(),
                    st.action.clone(),
                    num(st.actions_ok, 0),
                    num(st.compensations_ok, 0),
                ];
                rows.push(with_variant(exp, &v.name, row));
            }
        }
    }
    Section {
        title: format!("saga steps (per replication, {})", mean_ci(exp)),
        header,
        rows,
    }
}
