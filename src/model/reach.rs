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

/// How one operation leads to the next in [`endless_cycle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A synchronous call.
    Call,
    /// A message through a queue (sent, published to a subscription, or a request).
    Queue(QueueId),
    /// The continuation of a request-reply, once the reply arrives.
    Reply,
    /// A step's action of a saga the operation starts.
    Saga(super::SagaId),
}

/// The operations a successful execution of `op` certainly starts: its calls, the
/// consumers of its messages, the continuations of its requests, the actions of its
/// sagas' steps up to the first that always fails; no step after a call to an
/// operation that always fails (with no fallback). Not compensations, timeouts'
/// handlers or fallbacks: those run only on a failure.
fn certain_triggers(sc: &Scenario, op: OpId) -> Vec<(OpId, Trigger)> {
    let o = &sc.operations[op.0 as usize];
    let mut out = Vec::new();
    if o.error_probability >= 1.0 {
        return out; // it fails after its local work: no step runs
    }
    let consumer = |q: QueueId| {
        sc.queues
            .get(q.0 as usize)
            .map(|x| (x.consumer, Trigger::Queue(q)))
    };
    for g in &o.groups {
        out.extend(g.calls.iter().map(|c| (c.target, Trigger::Call)));
        for m in &g.messages {
            match m.kind {
                MessageKind::Send(q) => out.extend(consumer(q)),
                MessageKind::Publish(t) => {
                    if let Some(t) = sc.topics.get(t.0 as usize) {
                        out.extend(t.subscriptions.iter().filter_map(|&q| consumer(q)));
                    }
                }
                MessageKind::Request { queue, then, .. } => {
                    out.extend(consumer(queue));
                    out.push((then, Trigger::Reply));
                }
                MessageKind::StartSaga(s) => {
                    for st in sc.sagas.get(s.0 as usize).map_or(&[][..], |s| &s.steps) {
                        out.push((st.action, Trigger::Saga(s)));
                        if st.fail >= 1.0 {
                            break; // the next steps never run
                        }
                    }
                }
            }
        }
        let fails = |c: &super::Call| {
            sc.operations[c.target.0 as usize].error_probability >= 1.0
                && sc
                    .policies
                    .get(c.site as usize)
                    .is_some_and(|p| p.fallback.is_none())
        };
        if g.calls.iter().any(fails) {
            break; // the execution fails with this group: the next never starts
        }
    }
    out
}

/// A cycle of work a request entering at `entry` certainly runs into, if any: each
/// operation of it starts the next on its success path, so every pass starts another
/// and the request's work never ends (only failures can cut it). The cycle's
/// operations in order, each with how the one before it (the last, for the first)
/// starts it.
pub fn endless_cycle(sc: &Scenario, entry: OpId) -> Option<Vec<(OpId, Trigger)>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let n = sc.operations.len();
    if entry.0 as usize >= n {
        return None;
    }
    let edges: Vec<Vec<(OpId, Trigger)>> = (0..n)
        .map(|i| certain_triggers(sc, OpId(i as u32)))
        .collect();
    let mut mark = vec![Mark::New; n];
    // Depth-first from the entry; the stack holds (operation, next edge, how reached).
    let mut stack: Vec<(usize, usize, Trigger)> = vec![(entry.0 as usize, 0, Trigger::Call)];
    mark[entry.0 as usize] = Mark::Active;
    while let Some(&mut (node, ref mut next, _)) = stack.last_mut() {
        let Some(&(to, how)) = edges[node].get(*next) else {
            mark[node] = Mark::Done;
            stack.pop();
            continue;
        };
        *next += 1;
        let t = to.0 as usize;
        match mark.get(t) {
            Some(Mark::New) => {
                mark[t] = Mark::Active;
                stack.push((t, 0, how));
            }
            Some(Mark::Active) => {
                // An active operation is on the stack (the marks follow it).
                let from = stack.iter().position(|&(o, ..)| o == t)?;
                let mut cycle: Vec<(OpId, Trigger)> = stack[from..]
                    .iter()
                    .map(|&(o, _, h)| (OpId(o as u32), h))
                    .collect();
                cycle[0].1 = how;
                return Some(cycle);
            }
            _ => {}
        }
    }
    None
}
