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

use super::error::{FileId, SpecError};
use super::services::check_cycles;
use super::symbols::Edge;
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
    // Nodes: every operation, then every saga step (the step's action running as part
    // of that saga: the same operation in two steps is two nodes, so a saga that runs
    // it twice is a path, not a cycle).
    let mut names: Vec<String> = sc.operations.iter().map(|o| o.name.clone()).collect();
    let mut saga_base = Vec::with_capacity(sc.sagas.len());
    for saga in &sc.sagas {
        saga_base.push(names.len() as u32);
        names.extend((0..saga.steps.len()).map(|k| format!("saga {} step {k}", saga.name)));
    }
    let mut edges: Vec<Vec<Edge>> = (0..names.len()).map(|_| Vec::new()).collect();
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
                for to in instant_targets(sc, &saga_base, step.kind) {
                    let path = [
                        PathKey::Key("services"),
                        PathKey::Key(service),
                        PathKey::Key("operations"),
                        PathKey::Key(local),
                        PathKey::Key("steps"),
                        PathKey::Index(g),
                    ];
                    edges[i].push(Edge {
                        to: OpId(to),
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
    for (saga, &base) in sc.sagas.iter().zip(&saga_base) {
        for (k, step) in saga.steps.iter().enumerate() {
            let node = (base as usize) + k;
            let field = |k: usize| format!("sagas.{}.steps[{k}].action", saga.name);
            let span = |k: usize| {
                span_of(&[
                    PathKey::Key("sagas"),
                    PathKey::Key(&saga.name),
                    PathKey::Key("steps"),
                    PathKey::Index(k),
                ])
            };
            // The step runs its action...
            edges[node].push(Edge {
                to: step.action,
                file,
                span: span(k),
                field: field(k),
            });
            // ...and, when that is instant, the next step follows over the saga's hops
            // (the result back to the coordinator, the next command out).
            let next = k + 1 < saga.steps.len()
                && step.fail == 0.0
                && instant(sc, step.action)
                && saga_hop_instant(sc, saga, k)
                && saga_hop_instant(sc, saga, k + 1);
            if next {
                edges[node].push(Edge {
                    to: OpId(node as u32 + 1),
                    file,
                    span: span(k + 1),
                    field: field(k + 1),
                });
            }
        }
    }
    if !any {
        return Ok(()); // no operation starts anything at once: no cycle can close
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

/// Nodes (operations, or the first step of a saga, numbered from `saga_base`) a message
/// step starts at the same instant, if its hop takes no time.
fn instant_targets(sc: &Scenario, saga_base: &[u32], kind: MessageKind) -> Vec<u32> {
    let broker_instant = |b: crate::model::BrokerId| {
        let b = &sc.brokers[b.0 as usize];
        b.capacity.is_none() && b.publish_latency.is_zero() && b.delivery_latency.is_zero()
    };
    match kind {
        MessageKind::Send(q) | MessageKind::Request { queue: q, .. } => {
            let q = &sc.queues[q.0 as usize];
            if broker_instant(q.broker) {
                vec![q.consumer.0]
            } else {
                vec![]
            }
        }
        MessageKind::Publish(t) => {
            let t = &sc.topics[t.0 as usize];
            if broker_instant(t.broker) {
                t.subscriptions
                    .iter()
                    .map(|q| sc.queues[q.0 as usize].consumer.0)
                    .collect()
            } else {
                vec![]
            }
        }
        MessageKind::StartSaga(s) => {
            let saga = &sc.sagas[s.0 as usize];
            if !saga.steps.is_empty() && saga_hop_instant(sc, saga, 0) {
                vec![saga_base[s.0 as usize]]
            } else {
                vec![]
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
