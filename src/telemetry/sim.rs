//! Simulated requests as spans: what the engine recorded
//! ([`crate::engine::record_replication`]) in the neutral span model.
//!
//! - A call attempt is a CLIENT span of the caller's service (`client` for the
//!   workload's own call, the root), named after the operation called, with
//!   `peer.service`, `archsim.attempt` and, past the first attempt, `archsim.retry`.
//! - An execution is a SERVER span (its parent a call), a CONSUMER span (its parent a
//!   message), or else INTERNAL (same service) or SERVER; it carries
//!   `archsim.queue_wait_ns` (arrival to worker) and `archsim.work_ns`.
//! - A message is a PRODUCER span of the publisher's service with
//!   `messaging.destination.name` (the queue) and `messaging.system` (the broker).
//! - A failed span has status error, `archsim.failure` (the reason) and
//!   `archsim.root_cause` (the component); a degraded success `archsim.degraded`.
//!   A span still going when its request completed ends there, `archsim.unfinished`.
//! - The root carries `archsim.flow`, `archsim.request` and `archsim.sample_every`
//!   (one in that many requests of the flow was recorded).
//!
//! Ids: the trace id mixes (seed, replication, request ordinal) with SplitMix64, the
//! span id (trace id, span index): deterministic, distinct, never zero.

use super::span::{Kind, Span};
use crate::engine::{RecordedKind, RecordedRequest};
use crate::kernel::SimTime;
use crate::metrics::Outcome;
use crate::model::Scenario;
use std::collections::BTreeMap;

/// The default epoch of simulated time zero: 2026-01-01T00:00:00Z, in Unix seconds.
pub const DEFAULT_EPOCH_S: i64 = 1_767_225_600;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The trace id (32 hex digits) of request `ordinal` of replication `replication`.
pub fn trace_id(seed: u64, replication: u32, ordinal: u64) -> String {
    let hi = mix(seed ^ mix(replication as u64 + 1)).max(1);
    let lo = mix(hi ^ mix(ordinal.wrapping_add(0x5eed))).max(1);
    format!("{hi:016x}{lo:016x}")
}

/// The span id (16 hex digits) of span `index` of trace `trace`.
pub fn span_id(trace: &str, index: usize) -> String {
    let lo = u64::from_str_radix(&trace[16..], 16).unwrap_or(0);
    format!("{:016x}", mix(lo ^ mix(index as u64 + 1)).max(1))
}

/// The spans of recorded requests of replication `replication`, with simulated time 0
/// at `epoch_ns` (ns since the Unix epoch).
pub fn spans(
    sc: &Scenario,
    replication: u32,
    requests: &[RecordedRequest],
    epoch_ns: i64,
) -> Vec<Span> {
    let mut out = Vec::new();
    for r in requests {
        request_spans(sc, replication, r, epoch_ns, &mut out);
    }
    out
}

fn time(epoch_ns: i64, t: SimTime) -> i64 {
    epoch_ns.saturating_add(t.min(i64::MAX as u64) as i64)
}

/// The service each span of `r` runs in, into `service` (cleared first): an
/// execution's own; a call or a message is its parent's, and the root call `client`.
pub fn span_services<'a>(sc: &'a Scenario, r: &RecordedRequest, service: &mut Vec<&'a str>) {
    service.clear();
    for s in &r.spans {
        let own = match (s.kind, s.parent) {
            (RecordedKind::Execution, _) => service_of(sc, s.op.0),
            (_, Some(p)) => service[p as usize],
            (_, None) => "client",
        };
        service.push(own);
    }
}

fn service_of(sc: &Scenario, op: u32) -> &str {
    &sc.services[sc.operations[op as usize].service.0 as usize].name
}

/// The spans of one recorded request, appended to `out` (what [`spans`] does for each).
pub fn request_spans(
    sc: &Scenario,
    replication: u32,
    r: &RecordedRequest,
    epoch_ns: i64,
    out: &mut Vec<Span>,
) {
    let mut service = Vec::with_capacity(r.spans.len());
    span_services(sc, r, &mut service);
    let trace = trace_id(sc.sim.seed, replication, r.ordinal);
    let op = |i: u32| &sc.operations[i as usize];
    // An operation's name is "service.operation": spans name the operation alone.
    let short = |i: u32| {
        let n = &op(i).name;
        n.split_once('.').map_or(n.clone(), |(_, o)| o.to_string())
    };
    let service_of = |i: u32| service_of(sc, i);
    for (i, s) in r.spans.iter().enumerate() {
        let mut attributes = BTreeMap::new();
        let parent_kind = s.parent.map(|p| r.spans[p as usize].kind);
        let (kind, name) = match s.kind {
            RecordedKind::Call => {
                attributes.insert("peer.service".into(), service_of(s.op.0).to_string());
                attributes.insert("archsim.attempt".into(), s.attempt.to_string());
                if s.attempt > 1 {
                    attributes.insert("archsim.retry".into(), (s.attempt - 1).to_string());
                }
                (Kind::Client, short(s.op.0))
            }
            RecordedKind::Execution => {
                let wait = s.started.map_or(0, |b| b.saturating_sub(s.start));
                attributes.insert("archsim.queue_wait_ns".into(), wait.to_string());
                attributes.insert("archsim.work_ns".into(), s.work.to_string());
                let kind = match parent_kind {
                    Some(RecordedKind::Call) | None => Kind::Server,
                    Some(RecordedKind::Message) => Kind::Consumer,
                    Some(RecordedKind::Execution) => {
                        if service[s.parent.expect("has a parent") as usize] == service[i] {
                            Kind::Internal
                        } else {
                            Kind::Server
                        }
                    }
                };
                (kind, short(s.op.0))
            }
            RecordedKind::Message => {
                let q = &sc.queues[s.queue as usize];
                attributes.insert("messaging.destination.name".into(), q.name.clone());
                attributes.insert(
                    "messaging.system".into(),
                    sc.brokers[q.broker.0 as usize].name.clone(),
                );
                (Kind::Producer, format!("{} publish", q.name))
            }
        };
        if s.parent.is_none() {
            attributes.insert(
                "archsim.flow".into(),
                sc.workloads[r.workload as usize].flow.clone(),
            );
            attributes.insert("archsim.request".into(), r.ordinal.to_string());
            attributes.insert("archsim.sample_every".into(), r.every.to_string());
        }
        let mut error = false;
        match s.outcome {
            Some(Outcome::Failed(reason, component)) => {
                error = true;
                attributes.insert("archsim.failure".into(), reason.label().to_string());
                attributes.insert("archsim.root_cause".into(), component.name(sc));
            }
            Some(Outcome::Degraded) => {
                attributes.insert("archsim.degraded".into(), "true".into());
            }
            _ => {}
        }
        let end = match s.end {
            Some(e) => e,
            None => {
                attributes.insert("archsim.unfinished".into(), "true".into());
                r.completed.max(s.start)
            }
        };
        out.push(Span {
            trace: trace.clone(),
            id: span_id(&trace, i),
            parent: s.parent.map(|p| span_id(&trace, p as usize)),
            links: Vec::new(),
            service: service[i].to_string(),
            name,
            kind,
            start: time(epoch_ns, s.start),
            duration: end.saturating_sub(s.start).min(i64::MAX as u64) as i64,
            error,
            attributes,
            location: format!("simulated request {} span {i}", r.ordinal),
        });
    }
}
