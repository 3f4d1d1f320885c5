//! Reachability on the compiled topology: which services and queues a request
//! entering at an operation can reach, and whether on its response path or as
//! asynchronous work. Used by the report's per-flow tables and charts.

use super::{MessageKind, OpId, QueueId, Scenario, ServiceId};

/// How a service is reached from a flow's entry operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// By synchronous calls from the entry: on the response path.
    Response,
    /// Through a message, a topic, a request-reply, a continuation or a saga: work
    /// that may finish after the response.
    Async,
}

impl Reach {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Reach::Response => "response path",
            Reach::Async => "async work",
        }
    }
}

/// A stop on a flow's path: a service, or a broker queue a message waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    /// A service, with how it is first reached (the response path wins).
    Service(ServiceId, Reach),
    /// A queue (or topic subscription); always asynchronous.
    Queue(QueueId),
}

/// The services and queues a request entering at `entry` can reach, in discovery
/// order (breadth first; a queue just before its consumer's service when that is new).
pub fn flow_path(sc: &Scenario, entry: OpId) -> Vec<Hop> {
    let mut seen_op: Vec<Option<Reach>> = vec![None; sc.operations.len()];
    let mut hops: Vec<Hop> = Vec::new();
    let mut todo = std::collections::VecDeque::new();
    let mut visit = |op: OpId,
                     reach: Reach,
                     via: Option<QueueId>,
                     todo: &mut std::collections::VecDeque<(OpId, Reach)>,
                     hops: &mut Vec<Hop>| {
        if let Some(q) = via {
            if !hops.contains(&Hop::Queue(q)) {
                hops.push(Hop::Queue(q));
            }
        }
        let i = op.0 as usize;
        if i >= sc.operations.len() || seen_op[i].is_some_and(|r| r <= reach) {
            return;
        }
        seen_op[i] = Some(reach);
        let svc = sc.operations[i].service;
        let known = hops.iter_mut().find_map(|h| match h {
            Hop::Service(s, r) if *s == svc => Some(r),
            _ => None,
        });
        match known {
            Some(r) => *r = (*r).min(reach),
            None => hops.push(Hop::Service(svc, reach)),
        }
        todo.push_back((op, reach));
    };
    visit(entry, Reach::Response, None, &mut todo, &mut hops);
    while let Some((op, reach)) = todo.pop_front() {
        let o = &sc.operations[op.0 as usize];
        let mut next: Vec<(OpId, Reach, Option<QueueId>)> = Vec::new();
        for g in &o.groups {
            next.extend(g.calls.iter().map(|c| (c.target, reach, None)));
            for m in &g.messages {
                let consumer = |q: QueueId| {
                    sc.queues
                        .get(q.0 as usize)
                        .map(|x| (x.consumer, Reach::Async, Some(q)))
                };
                match m.kind {
                    MessageKind::Send(q) => next.extend(consumer(q)),
                    MessageKind::Publish(t) => {
                        if let Some(t) = sc.topics.get(t.0 as usize) {
                            next.extend(t.subscriptions.iter().filter_map(|&q| consumer(q)));
                        }
                    }
                    MessageKind::Request {
                        queue,
                        then,
                        on_timeout,
                        ..
                    } => {
                        next.extend(consumer(queue));
                        next.push((then, Reach::Async, None));
                        next.extend(on_timeout.map(|c| (c, Reach::Async, None)));
                    }
                    MessageKind::StartSaga(s) => {
                        if let Some(saga) = sc.sagas.get(s.0 as usize) {
                            for st in &saga.steps {
                                next.push((st.action, Reach::Async, None));
                                next.extend(st.compensate.map(|c| (c, Reach::Async, None)));
                            }
                        }
                    }
                }
            }
        }
        for (op, r, via) in next {
            visit(op, r, via, &mut todo, &mut hops);
        }
    }
    hops
}
