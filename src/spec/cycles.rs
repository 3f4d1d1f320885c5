//! Zero-time cycles: loops of work that provably take no simulated time.
//!
//! A consumer that sends to its own queue through a broker with no latency, a subscriber
//! that republishes to its topic, a saga step whose action starts the same saga over a
//! zero-latency link: each would run for ever at one instant. This pass refuses the
//! loops it can prove, on the compiled scenario: an edge joins two operations when the
//! hop between them is certainly instantaneous (constant zero latencies, no broker
//! capacity limit) and the first operation certainly takes it at once (no local work,
//! no error probability, no synchronous call before the step). Anything less certain is
//! left to the engine's runtime guard, which stops a replication whose clock stops.

use super::compile::{check_cycles, Edge};
use super::error::{FileId, SpecError};
use crate::model::{MessageKind, OpId, SagaStyle, Scenario};
use std::ops::Range;

/// Rejects every cycle of provably instantaneous hops in `sc`, compiled from `text`
/// (file `file`).
pub(crate) fn check_zero_time_cycles(
    src: &super::error::Sources,
    file: FileId,
    text: &str,
    sc: &Scenario,
) -> Result<(), SpecError> {
    let names: Vec<String> = sc.operations.iter().map(|o| o.name.clone()).collect();
    let mut edges: Vec<Vec<Edge>> = (0..sc.operations.len()).map(|_| Vec::new()).collect();
    let mut any = false;
    let doc = text.parse::<toml_edit::ImDocument<String>>().ok();
    let span_of = |path: &[PathKey]| doc.as_ref().and_then(|d| find_span(d.as_item(), path));

    for (i, op) in sc.operations.iter().enumerate() {
        if !instant(sc, OpId(i as u32)) {
            continue;
        }
        let (service, local) = op.name.split_once('.').unwrap_or((&op.name, ""));
        for (g, group) in op.groups.iter().enumerate() {
            for step in &group.messages {
                for to in instant_targets(sc, step.kind) {
                    let path = [
                        PathKey::Key("services"),
                        PathKey::Key(service),
                        PathKey::Key("operations"),
                        PathKey::Key(local),
                        PathKey::Key("steps"),
                        PathKey::Index(g),
                    ];
                    edges[i].push(Edge {
                        to,
                        file,
                        span: span_of(&path),
                        field: format!("services.{service}.operations.{local}.steps[{g}]"),
                    });
                    any = true;
                }
            }
            if !group.calls.is_empty() {
                break; // a call may take time: later steps are not certainly instant
            }
        }
    }
    // Saga steps follow one another over the saga's hop.
    for saga in &sc.sagas {
        for (k, pair) in saga.steps.windows(2).enumerate() {
            // The result goes back to the coordinator, the next command out.
            let hops = saga_hop_instant(sc, saga, k) && saga_hop_instant(sc, saga, k + 1);
            if hops && pair[0].fail == 0.0 && instant(sc, pair[0].action) {
                let path = [
                    PathKey::Key("sagas"),
                    PathKey::Key(&saga.name),
                    PathKey::Key("steps"),
                    PathKey::Index(k + 1),
                ];
                edges[pair[0].action.0 as usize].push(Edge {
                    to: pair[1].action,
                    file,
                    span: span_of(&path),
                    field: format!("sagas.{}.steps[{}].action", saga.name, k + 1),
                });
                any = true;
            }
        }
    }
    if !any {
        return Ok(());
    }
    check_cycles(
        src,
        &names,
        &edges,
        "zero-time cycle",
        "; no hop of it takes time, so it would run for ever at one instant: give one a latency or a work time",
    )
}

/// The operation runs its message steps at the instant it starts.
fn instant(sc: &Scenario, op: OpId) -> bool {
    let o = &sc.operations[op.0 as usize];
    o.work.is_zero() && o.error_probability == 0.0
}

/// Operations a message step starts at the same instant, if its hop takes no time.
fn instant_targets(sc: &Scenario, kind: MessageKind) -> Vec<OpId> {
    let broker_instant = |b: crate::model::BrokerId| {
        let b = &sc.brokers[b.0 as usize];
        b.capacity.is_none() && b.publish_latency.is_zero() && b.delivery_latency.is_zero()
    };
    match kind {
        MessageKind::Send(q) | MessageKind::Request { queue: q, .. } => {
            let q = &sc.queues[q.0 as usize];
            if broker_instant(q.broker) {
                vec![q.consumer]
            } else {
                vec![]
            }
        }
        MessageKind::Publish(t) => {
            let t = &sc.topics[t.0 as usize];
            if broker_instant(t.broker) {
                t.subscriptions
                    .iter()
                    .map(|q| sc.queues[q.0 as usize].consumer)
                    .collect()
            } else {
                vec![]
            }
        }
        MessageKind::StartSaga(s) => {
            let saga = &sc.sagas[s.0 as usize];
            match saga.steps.first() {
                Some(first) if saga_hop_instant(sc, saga, 0) => vec![first.action],
                _ => vec![],
            }
        }
    }
}

/// The messages of a saga's step `step` (orchestration: over the link between the
/// coordinator and the action's service; choreography: through its broker) take no
/// time.
fn saga_hop_instant(sc: &Scenario, saga: &crate::model::Saga, step: usize) -> bool {
    match saga.style {
        SagaStyle::Orchestration { .. } => {
            let link = &sc.links[saga.steps[step].action_link.0 as usize];
            link.latency.is_zero()
        }
        SagaStyle::Choreography { broker } => {
            let b = &sc.brokers[broker.0 as usize];
            b.publish_latency.is_zero() && b.delivery_latency.is_zero()
        }
    }
}

/// One step of a path into a TOML document.
enum PathKey<'a> {
    Key(&'a str),
    Index(usize),
}

/// Byte span of the item at `path` (tables, inline tables, arrays, dotted keys alike).
fn find_span(root: &toml_edit::Item, path: &[PathKey]) -> Option<Range<usize>> {
    let mut item = root;
    for key in path {
        item = match key {
            PathKey::Key(k) => item.get(*k)?,
            PathKey::Index(i) => item.get(*i)?,
        };
    }
    item.span()
}
