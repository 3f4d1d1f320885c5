//! The topology drawn: an inline SVG of the scenario's services, brokers and clients,
//! laid out by [`layout`] (a layered, Sugiyama-style layout of our own; ARCHITECTURE.md
//! says why) and written by [`svg`].
//!
//! The diagram model is built here from the compiled scenario:
//! * one node per workload's clients, per service (replicas × workers, queue, faults)
//!   and per broker (its queues and topics, faults);
//! * one edge per (caller, callee) pair: service → service for synchronous calls,
//!   service → broker for a send, publish or request, broker → consumer service for
//!   the deliveries, coordinator → step service for an orchestrated saga (broker ↔ step
//!   service for a choreographed one), clients → entry service for each flow (each
//!   variant's entry in a comparison). An edge is a bundle of *strands*, one per
//!   communication pattern it carries, each styled by its pattern and labelled with
//!   protocol and policies, one line per distinct call site.
//!
//! Every label line records its *owners* (the operation, queue or saga that makes it),
//! so the path of one variant can be highlighted: [`path_of`] walks the operations
//! reachable from an entry and collects what it passes.
//!
//! Output is deterministic: nodes and edges in id order, no hash map, coordinates
//! rounded to 0.1 px. Every label is raw text here and escaped by the SVG writer.

pub mod layout;
pub mod svg;

use super::graph::{call_label, client_lines, dur, short_number};
use crate::model::{FaultKind, FaultSchedule, FaultTarget, MessageKind, OpId, SagaStyle, Scenario};
use std::collections::BTreeSet;

/// A node of the diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKey {
    /// The clients of workload `i`.
    Clients(usize),
    /// A service.
    Service(u32),
    /// A broker.
    Broker(u32),
}

impl NodeKey {
    /// The generated id used in the SVG (never a user name).
    pub fn id(self) -> String {
        match self {
            NodeKey::Clients(i) => format!("client{i}"),
            NodeKey::Service(i) => format!("svc{i}"),
            NodeKey::Broker(i) => format!("broker{i}"),
        }
    }
}

/// What a label line belongs to, for highlighting a variant's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// A step of this operation (a call, a message, a saga start), or a flow entering it.
    Op(u32),
    /// Deliveries of this queue (or topic subscription).
    Queue(u32),
    /// The steps of this saga.
    Saga(u32),
}

/// The communication pattern of a strand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pattern {
    /// Clients calling the entry of a flow.
    Client,
    /// A synchronous call.
    Call,
    /// A point-to-point message (send, and its delivery).
    Send,
    /// A publish to a topic and its fan-out to the subscribers.
    Publish,
    /// An asynchronous request (and its delivery) answered by a reply.
    Request,
    /// A saga step (command of an orchestrator, or a choreographed event).
    Saga,
}

impl Pattern {
    /// Every pattern, in legend order.
    pub const ALL: [Pattern; 6] = [
        Pattern::Client,
        Pattern::Call,
        Pattern::Send,
        Pattern::Publish,
        Pattern::Request,
        Pattern::Saga,
    ];

    /// The CSS class and legend word.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Client => "client",
            Pattern::Call => "call",
            Pattern::Send => "send",
            Pattern::Publish => "publish",
            Pattern::Request => "request",
            Pattern::Saga => "saga",
        }
    }

    /// The legend's description.
    pub fn legend(self) -> &'static str {
        match self {
            Pattern::Client => "clients",
            Pattern::Call => "sync call",
            Pattern::Send => "send (queue)",
            Pattern::Publish => "publish (fan-out)",
            Pattern::Request => "request-reply",
            Pattern::Saga => "saga step",
        }
    }
}

/// One line of an edge's label.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The text (raw; escaped when written).
    pub text: String,
    /// How many call sites or steps gave this same text.
    pub count: u32,
    /// What makes it.
    pub owners: Vec<Owner>,
}

impl Line {
    /// The text with its count, "2× call rest".
    pub fn shown(&self) -> String {
        if self.count > 1 {
            format!("{}× {}", self.count, self.text)
        } else {
            self.text.clone()
        }
    }
}

/// The part of an edge carrying one pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Strand {
    /// Its pattern.
    pub pattern: Pattern,
    /// Its label lines.
    pub lines: Vec<Line>,
}

/// One edge: every interaction from one node to another.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// Caller (publisher, coordinator, clients, broker delivering).
    pub from: NodeKey,
    /// Callee.
    pub to: NodeKey,
    /// One strand per pattern, in [`Pattern`] order.
    pub strands: Vec<Strand>,
}

/// What a node shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Which node.
    pub key: NodeKey,
    /// Its title (service, broker or flow name).
    pub title: String,
    /// The lines under the title.
    pub lines: Vec<String>,
    /// Faults that hit it, as lines.
    pub faults: Vec<String>,
}

/// The diagram of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    /// Clients, then services, then brokers.
    pub nodes: Vec<Node>,
    /// Edges in order of first appearance.
    pub edges: Vec<Edge>,
}

impl Diagram {
    fn add(&mut self, from: NodeKey, to: NodeKey, pattern: Pattern, text: String, owner: Owner) {
        let ei = match self.edges.iter().position(|e| e.from == from && e.to == to) {
            Some(i) => i,
            None => {
                self.edges.push(Edge {
                    from,
                    to,
                    strands: Vec::new(),
                });
                self.edges.len() - 1
            }
        };
        let strands = &mut self.edges[ei].strands;
        let si = match strands.iter().position(|s| s.pattern == pattern) {
            Some(i) => i,
            None => {
                let at = strands.partition_point(|s| s.pattern < pattern);
                strands.insert(
                    at,
                    Strand {
                        pattern,
                        lines: Vec::new(),
                    },
                );
                at
            }
        };
        let lines = &mut strands[si].lines;
        match lines.iter_mut().find(|l| l.text == text) {
            Some(l) => {
                l.count += 1;
                if !l.owners.contains(&owner) {
                    l.owners.push(owner);
                }
            }
            None => lines.push(Line {
                text,
                count: 1,
                owners: vec![owner],
            }),
        }
    }
}

/// The part of a name after its first '.': "payments" of "rabbit.payments".
fn short(name: &str) -> &str {
    name.split_once('.').map_or(name, |(_, rest)| rest)
}

fn fault_line(kind: &FaultKind, schedule: &FaultSchedule, name: &str) -> String {
    let what = match kind {
        FaultKind::Crash => "crash".to_string(),
        FaultKind::Hang => "hang".to_string(),
        FaultKind::Slow { factor, delay } if *delay > 0 => {
            format!("slow ×{} +{}", short_number(*factor), dur(*delay))
        }
        FaultKind::Slow { factor, .. } => format!("slow ×{}", short_number(*factor)),
        FaultKind::Error { probability } => {
            format!("errors {}%", short_number(probability * 100.0))
        }
        FaultKind::Partition => "partition".to_string(),
    };
    let when = match schedule {
        FaultSchedule::Window { at, duration } => format!("at {} for {}", dur(*at), dur(*duration)),
        FaultSchedule::Stochastic { .. } => "mtbf/mttr".to_string(),
    };
    format!("⚡ {name}: {what}, {when}")
}

fn nodes(sc: &Scenario) -> Vec<Node> {
    let mut out = Vec::new();
    for (i, w) in sc.workloads.iter().enumerate() {
        out.push(Node {
            key: NodeKey::Clients(i),
            title: w.flow.clone(),
            lines: vec!["clients".to_string()],
            faults: Vec::new(),
        });
    }
    for (i, s) in sc.services.iter().enumerate() {
        let mut line = format!(
            "{} × {} worker{}",
            s.replicas,
            s.workers,
            if s.workers == 1 { "" } else { "s" }
        );
        if let Some(m) = s.cpu_millis {
            line.push_str(&format!(" on {} cpus", m as f64 / 1000.0));
        }
        let queue = if s.queue_capacity == 0 {
            "no queue".to_string()
        } else {
            format!("queue {}", s.queue_capacity)
        };
        out.push(Node {
            key: NodeKey::Service(i as u32),
            title: s.name.clone(),
            lines: vec![line, queue],
            faults: Vec::new(),
        });
    }
    for (i, b) in sc.brokers.iter().enumerate() {
        let mut lines = vec!["broker".to_string()];
        let topic_queues: BTreeSet<u32> = sc
            .topics
            .iter()
            .flat_map(|t| t.subscriptions.iter().map(|q| q.0))
            .collect();
        for (qi, q) in sc.queues.iter().enumerate() {
            if q.broker.0 as usize == i && !topic_queues.contains(&(qi as u32)) {
                lines.push(format!("queue {}", short(&q.name)));
            }
        }
        for t in sc.topics.iter().filter(|t| t.broker.0 as usize == i) {
            lines.push(format!(
                "topic {} ({} sub{})",
                short(&t.name),
                t.subscriptions.len(),
                if t.subscriptions.len() == 1 { "" } else { "s" }
            ));
        }
        out.push(Node {
            key: NodeKey::Broker(i as u32),
            title: b.name.clone(),
            lines,
            faults: Vec::new(),
        });
    }
    for f in &sc.faults {
        let key = match f.target {
            FaultTarget::Service(s) | FaultTarget::Replica(s, _) => NodeKey::Service(s.0),
            FaultTarget::Broker(b) => NodeKey::Broker(b.0),
            FaultTarget::Link(_) => continue,
        };
        if let Some(n) = out.iter_mut().find(|n| n.key == key) {
            n.faults.push(fault_line(&f.kind, &f.schedule, &f.name));
        }
    }
    out
}

fn service_of(sc: &Scenario, op: OpId) -> Option<NodeKey> {
    sc.operations
        .get(op.0 as usize)
        .map(|o| NodeKey::Service(o.service.0))
}

/// The entries of each workload: its own, and in a comparison each variant's.
fn entries(sc: &Scenario) -> Vec<Vec<OpId>> {
    let mut out: Vec<Vec<OpId>> = sc.workloads.iter().map(|w| vec![w.entry]).collect();
    if let Some(c) = &sc.compare {
        if let Some(list) = out.get_mut(c.workload) {
            for v in &c.variants {
                if !list.contains(&v.entry) {
                    list.push(v.entry);
                }
            }
        }
    }
    out
}

fn message_edges(d: &mut Diagram, sc: &Scenario, from: NodeKey, op: u32, kind: &MessageKind) {
    let queue = |q: u32| sc.queues.get(q as usize);
    let deliver = |d: &mut Diagram, q: u32, pattern: Pattern, extra: &str| {
        if let Some(x) = queue(q) {
            if let Some(to) = service_of(sc, x.consumer) {
                let consumer = sc.operations[x.consumer.0 as usize].name.clone();
                let text = format!(
                    "{} → {} ×{}{extra}",
                    short(&x.name),
                    short(&consumer),
                    x.concurrency
                );
                d.add(
                    NodeKey::Broker(x.broker.0),
                    to,
                    pattern,
                    text,
                    Owner::Queue(q),
                );
            }
        }
    };
    match *kind {
        MessageKind::Send(q) => {
            if let Some(x) = queue(q.0) {
                let text = format!("send {}", short(&x.name));
                d.add(
                    from,
                    NodeKey::Broker(x.broker.0),
                    Pattern::Send,
                    text,
                    Owner::Op(op),
                );
                deliver(d, q.0, Pattern::Send, "");
            }
        }
        MessageKind::Publish(t) => {
            if let Some(topic) = sc.topics.get(t.0 as usize) {
                let text = format!("publish {}", short(&topic.name));
                let b = NodeKey::Broker(topic.broker.0);
                d.add(from, b, Pattern::Publish, text, Owner::Op(op));
                for q in &topic.subscriptions {
                    if let Some(x) = queue(q.0) {
                        if let Some(to) = service_of(sc, x.consumer) {
                            let consumer = &sc.operations[x.consumer.0 as usize].name;
                            let text = format!(
                                "{} → {} ×{}",
                                short(&topic.name),
                                short(consumer),
                                x.concurrency
                            );
                            d.add(b, to, Pattern::Publish, text, Owner::Queue(q.0));
                        }
                    }
                }
            }
        }
        MessageKind::Request {
            queue: q,
            reply_timeout,
            ..
        } => {
            if let Some(x) = queue(q.0) {
                let text = format!(
                    "request {} · reply timeout {}",
                    short(&x.name),
                    dur(reply_timeout)
                );
                d.add(
                    from,
                    NodeKey::Broker(x.broker.0),
                    Pattern::Request,
                    text,
                    Owner::Op(op),
                );
                deliver(d, q.0, Pattern::Request, " · replies");
            }
        }
        MessageKind::StartSaga(s) => saga_edges(d, sc, from, op, s.0),
    }
}

fn saga_edges(d: &mut Diagram, sc: &Scenario, from: NodeKey, op: u32, s: u32) {
    let Some(saga) = sc.sagas.get(s as usize) else {
        return;
    };
    let name = |o: OpId| short(&sc.operations[o.0 as usize].name).to_string();
    let step_text = |k: usize, st: &crate::model::SagaStep| {
        let mut t = format!("{} {}: {}", saga.name, k + 1, name(st.action));
        if let Some(c) = st.compensate {
            t.push_str(&format!(" / undo {}", name(c)));
        }
        if let Some(to) = st.timeout {
            t.push_str(&format!(" · timeout {}", dur(to)));
        }
        t
    };
    match saga.style {
        SagaStyle::Orchestration { coordinator, .. } => {
            let coord = NodeKey::Service(coordinator.0);
            if coord != from {
                d.add(
                    from,
                    coord,
                    Pattern::Saga,
                    format!("start saga {}", saga.name),
                    Owner::Op(op),
                );
            }
            for (k, st) in saga.steps.iter().enumerate() {
                for o in std::iter::once(st.action).chain(st.compensate) {
                    if let Some(to) = service_of(sc, o) {
                        let text = if o == st.action {
                            step_text(k, st)
                        } else {
                            format!("{} {}: undo {}", saga.name, k + 1, name(o))
                        };
                        if o != st.action && service_of(sc, st.action) == Some(to) {
                            continue;
                        }
                        d.add(coord, to, Pattern::Saga, text, Owner::Saga(s));
                    }
                }
            }
        }
        SagaStyle::Choreography { broker } => {
            let b = NodeKey::Broker(broker.0);
            d.add(
                from,
                b,
                Pattern::Saga,
                format!("start saga {}", saga.name),
                Owner::Op(op),
            );
            for (k, st) in saga.steps.iter().enumerate() {
                if let Some(to) = service_of(sc, st.action) {
                    d.add(b, to, Pattern::Saga, step_text(k, st), Owner::Saga(s));
                    d.add(
                        to,
                        b,
                        Pattern::Saga,
                        format!("{} {} outcome", saga.name, k + 1),
                        Owner::Saga(s),
                    );
                }
            }
        }
    }
}

/// The diagram of a scenario (every operation, whether a flow reaches it or not).
pub fn diagram(sc: &Scenario) -> Diagram {
    let mut d = Diagram {
        nodes: nodes(sc),
        edges: Vec::new(),
    };
    for (i, list) in entries(sc).iter().enumerate() {
        let w = &sc.workloads[i];
        for &entry in list {
            if let Some(to) = service_of(sc, entry) {
                let mut lines = client_lines(w);
                lines.remove(0);
                let text = format!(
                    "{} → {}",
                    lines.join(" · "),
                    short(&sc.operations[entry.0 as usize].name)
                );
                d.add(
                    NodeKey::Clients(i),
                    to,
                    Pattern::Client,
                    text,
                    Owner::Op(entry.0),
                );
            }
        }
    }
    for (oi, op) in sc.operations.iter().enumerate() {
        let from = NodeKey::Service(op.service.0);
        for g in &op.groups {
            let parallel = g.calls.len() + g.messages.len() > 1;
            for call in &g.calls {
                if let Some(to) = service_of(sc, call.target) {
                    d.add(
                        from,
                        to,
                        Pattern::Call,
                        call_label(sc, call, parallel),
                        Owner::Op(oi as u32),
                    );
                }
            }
            for m in &g.messages {
                message_edges(&mut d, sc, from, oi as u32, &m.kind);
            }
        }
    }
    d
}

/// What one flow's path passes: the owners of its label lines and its nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PathSet {
    /// Owners passed (operations run, queues delivered, sagas started).
    pub owners: BTreeSet<Owner>,
    /// Nodes passed (the clients included).
    pub nodes: BTreeSet<NodeKey>,
}

/// Everything a request of workload `workload` entering at `entry` can pass:
/// operations by calls, messages, deliveries, continuations and saga steps.
pub fn path_of(sc: &Scenario, workload: usize, entry: OpId) -> PathSet {
    let mut set = PathSet::default();
    set.nodes.insert(NodeKey::Clients(workload));
    let mut todo = vec![entry];
    while let Some(op) = todo.pop() {
        let Some(o) = sc.operations.get(op.0 as usize) else {
            continue;
        };
        if !set.owners.insert(Owner::Op(op.0)) {
            continue;
        }
        set.nodes.insert(NodeKey::Service(o.service.0));
        for g in &o.groups {
            todo.extend(g.calls.iter().map(|c| c.target));
            for m in &g.messages {
                let via = |q: u32, todo: &mut Vec<OpId>, set: &mut PathSet| {
                    if let Some(x) = sc.queues.get(q as usize) {
                        set.owners.insert(Owner::Queue(q));
                        set.nodes.insert(NodeKey::Broker(x.broker.0));
                        todo.push(x.consumer);
                    }
                };
                match m.kind {
                    MessageKind::Send(q) => via(q.0, &mut todo, &mut set),
                    MessageKind::Publish(t) => {
                        for q in sc
                            .topics
                            .get(t.0 as usize)
                            .map_or(&[][..], |t| &t.subscriptions)
                        {
                            via(q.0, &mut todo, &mut set);
                        }
                    }
                    MessageKind::Request {
                        queue,
                        then,
                        on_timeout,
                        ..
                    } => {
                        via(queue.0, &mut todo, &mut set);
                        todo.push(then);
                        todo.extend(on_timeout);
                    }
                    MessageKind::StartSaga(s) => {
                        let Some(saga) = sc.sagas.get(s.0 as usize) else {
                            continue;
                        };
                        set.owners.insert(Owner::Saga(s.0));
                        match saga.style {
                            SagaStyle::Orchestration { coordinator, .. } => {
                                set.nodes.insert(NodeKey::Service(coordinator.0));
                            }
                            SagaStyle::Choreography { broker } => {
                                set.nodes.insert(NodeKey::Broker(broker.0));
                            }
                        }
                        for st in &saga.steps {
                            todo.push(st.action);
                            todo.extend(st.compensate);
                        }
                    }
                }
            }
        }
    }
    set
}

/// The whole topology as a standalone SVG document (`archsim graph --format svg`, the
/// report's `topology.svg`).
pub fn svg_document(sc: &Scenario) -> String {
    let title = format!("Topology of {}", sc.name);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        svg::render(&diagram(sc), "topology", &title, None)
    )
}
