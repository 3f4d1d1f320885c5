//! From spans to a topology: services, operations, calls, messages, parallel groups,
//! call probabilities and repeats, errors, network time and self time.
//!
//! Rules (README, *Telemetry in and out*):
//! - An **operation execution** is a SERVER or CONSUMER span, a trace's root (unless it
//!   is a CLIENT span: that is the workload's client), or a span of another kind whose
//!   parent is in another service (a callee without a SERVER span).
//! - Its **actions** are the CLIENT and PRODUCER spans below it, found through the
//!   INTERNAL (and kind-less) spans of its own service, and operation executions of
//!   other services directly below it (a call without a CLIENT span).
//! - A CLIENT span's **callee** is the operation execution below it; without one the
//!   call is *unpaired* and its callee is a synthesized operation of the remote service
//!   (`peer.service`, Zipkin's remote endpoint, `db.system`, else `external`) whose work
//!   is the client span's whole duration. **Network time** = client span − server span
//!   (negative: clock skew, counted, taken as 0), split evenly between request and reply.
//! - A PRODUCER span's consumers are the CONSUMER spans below it or linked to it; the
//!   destination is the span's `messaging.destination.name` (or Kafka/RabbitMQ tags).
//! - **Self time** = span − the union of its actions' intervals (clipped to the span) −
//!   `archsim.queue_wait_ns` when present (archsim's own export).
//! - **Parallel groups**: actions sorted by start; one that starts before the current
//!   group's last end joins it.
//! - An operation's **steps** are its most frequent pattern of groups; per callee the
//!   share of executions that call it (probability) and the mean calls when it does
//!   (repeats) are kept too.

use super::span::{Kind, Span};
use std::collections::{BTreeMap, BTreeSet};

/// An operation: (service, operation), both already valid archsim names.
pub type OpKey = (String, String);

/// What an action does.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A synchronous call of an operation.
    Call(OpKey),
    /// A message to a destination (a queue or topic name).
    Send(String),
}

/// One pattern of steps: groups (a group of more than one runs in parallel).
pub type Pattern = Vec<Vec<Target>>;

/// What was seen of one operation.
#[derive(Clone, Debug, Default)]
pub struct OpStats {
    /// Executions seen.
    pub executions: u64,
    /// Executions weighted by their trace's sampling (`archsim.sample_every`).
    pub weight: f64,
    /// Whole span durations (ns).
    pub durations: Vec<i64>,
    /// Self times (ns).
    pub self_times: Vec<i64>,
    /// Executions whose status was an error.
    pub errors: u64,
    /// Of those, the ones none of whose actions failed (the operation's own errors).
    pub own_errors: u64,
    /// Patterns of steps and how often each was seen.
    pub patterns: BTreeMap<Pattern, u64>,
    /// Per target: executions calling it at least once, and calls in all.
    pub targets: BTreeMap<Target, (u64, u64)>,
    /// A synthesized callee of unpaired client spans (not instrumented).
    pub synthesized: bool,
}

impl OpStats {
    /// The most frequent pattern (ties: the first in order).
    pub fn steps(&self) -> Pattern {
        let mut best: Option<(&Pattern, u64)> = None;
        for (p, &n) in &self.patterns {
            if best.map_or(true, |(_, m)| n > m) {
                best = Some((p, n));
            }
        }
        best.map(|(p, _)| p.clone()).unwrap_or_default()
    }
}

/// An entry flow: the operation roots enter at.
#[derive(Clone, Debug, Default)]
pub struct FlowStats {
    /// Root spans.
    pub roots: u64,
    /// Roots weighted by their sampling.
    pub weight: f64,
    /// First and last root start (ns).
    pub first: i64,
    /// Last root start (ns).
    pub last: i64,
    /// Root span durations (ns): the client's span when the root is a CLIENT span.
    pub latencies: Vec<i64>,
    /// The roots are CLIENT spans (the client's side is observed).
    pub client_side: bool,
}

impl FlowStats {
    /// Requests per second, from the roots' start times (`None` from fewer than two
    /// roots or a zero window).
    pub fn rate(&self) -> Option<f64> {
        let window = (self.last - self.first) as f64 / 1e9;
        (self.roots >= 2 && window > 0.0)
            .then(|| (self.weight * (self.roots - 1) as f64 / self.roots as f64) / window)
    }
}

/// What was repaired or could not be paired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Spans read.
    pub spans: u64,
    /// Traces read.
    pub traces: u64,
    /// CLIENT spans without a server span below them.
    pub unpaired_clients: u64,
    /// PRODUCER spans no consumer span follows.
    pub unpaired_producers: u64,
    /// CONSUMER spans without a producer (they enter as flows).
    pub unpaired_consumers: u64,
    /// Calls into another service without a CLIENT span.
    pub calls_without_client: u64,
    /// Spans whose parent is not in the file (made roots).
    pub missing_parents: u64,
    /// A child that starts before its parent or a server longer than its client.
    pub skew: u64,
    /// Spans with an id already seen in their trace (the later ones are ignored).
    pub duplicates: u64,
}

/// The topology seen in a set of spans.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    /// Operations by (service, operation).
    pub ops: BTreeMap<OpKey, OpStats>,
    /// Flows by entry operation.
    pub flows: BTreeMap<OpKey, FlowStats>,
    /// One-way network samples (ns) by (from service, to service); "client" for the
    /// workload's clients.
    pub links: BTreeMap<(String, String), Vec<i64>>,
    /// Consumers of each destination.
    pub destinations: BTreeMap<String, BTreeSet<OpKey>>,
    /// Counts of what was repaired.
    pub counts: Counts,
}

impl Topology {
    /// Services, sorted.
    pub fn services(&self) -> BTreeSet<&str> {
        self.ops.keys().map(|(s, _)| s.as_str()).collect()
    }

    /// Synchronous calls (caller op, callee op) seen at least once, sorted.
    pub fn calls(&self) -> BTreeSet<(&OpKey, &OpKey)> {
        let mut out = BTreeSet::new();
        for (k, op) in &self.ops {
            for t in op.targets.keys() {
                if let Target::Call(c) = t {
                    out.insert((k, c));
                }
            }
        }
        out
    }
}

/// An archsim name (letters, digits, `-`, `_`) from any text.
pub fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    let out = out.trim_matches('_').to_string();
    let out = if out.is_empty() {
        "op".to_string()
    } else {
        out
    };
    // "client" names the workload's clients in links.
    if out == "client" {
        "client-service".to_string()
    } else {
        out.chars().take(64).collect()
    }
}

/// The operation name of an execution span: `http.route` (with the method) where
/// present, else the span name.
fn op_name(s: &Span) -> String {
    match s.attr("http.route") {
        Some(route) => match s.attr("http.request.method").or(s.attr("http.method")) {
            Some(m) => sanitize(&format!("{m} {route}")),
            None => sanitize(route),
        },
        None => sanitize(&s.name),
    }
}

/// One trace, indexed.
struct Trace<'a> {
    spans: Vec<&'a Span>,
    children: Vec<Vec<usize>>,
    parent: Vec<Option<usize>>,
    weight: f64,
}

/// Build the topology of `spans`.
pub fn build(spans: &[Span]) -> Topology {
    let mut t = Topology::default();
    t.counts.spans = spans.len() as u64;
    let traces = super::import::by_trace(spans);
    t.counts.traces = traces.len() as u64;
    // Links to producers, across traces: (trace, span) -> consumer spans.
    let mut linked: BTreeMap<(&str, &str), Vec<&Span>> = BTreeMap::new();
    for s in spans {
        for (lt, ls) in &s.links {
            linked
                .entry((lt.as_str(), ls.as_str()))
                .or_default()
                .push(s);
        }
    }
    for idx in traces.values() {
        let tr = index(spans, idx, &mut t.counts);
        analyse(&tr, &linked, &mut t);
    }
    for op in t.ops.values_mut() {
        op.durations.sort_unstable();
        op.self_times.sort_unstable();
    }
    for f in t.flows.values_mut() {
        f.latencies.sort_unstable();
    }
    for v in t.links.values_mut() {
        v.sort_unstable();
    }
    t
}

fn index<'a>(all: &'a [Span], idx: &[usize], counts: &mut Counts) -> Trace<'a> {
    let mut by_id: BTreeMap<&str, usize> = BTreeMap::new();
    let mut spans = Vec::new();
    for &i in idx {
        let s = &all[i];
        if by_id.contains_key(s.id.as_str()) {
            counts.duplicates += 1;
            continue;
        }
        by_id.insert(&s.id, spans.len());
        spans.push(s);
    }
    let mut parent = vec![None; spans.len()];
    let mut children = vec![Vec::new(); spans.len()];
    for (i, s) in spans.iter().enumerate() {
        if let Some(p) = &s.parent {
            match by_id.get(p.as_str()) {
                Some(&pi) if pi != i => {
                    parent[i] = Some(pi);
                    children[pi].push(i);
                    if s.start < spans[pi].start {
                        counts.skew += 1;
                    }
                }
                _ => counts.missing_parents += 1,
            }
        }
    }
    // A cycle of parents (hostile input) would leave its spans without a root: cut it
    // at the span where the walk up meets itself, which becomes a root. Linear: every
    // span is walked up once (0 unseen, 1 on the current walk, 2 done).
    let mut state = vec![0u8; spans.len()];
    for i in 0..spans.len() {
        let mut path = Vec::new();
        let mut at = i;
        loop {
            if state[at] == 2 {
                break;
            }
            if state[at] == 1 {
                if let Some(p) = parent[at].take() {
                    children[p].retain(|&x| x != at);
                    counts.missing_parents += 1;
                }
                break;
            }
            state[at] = 1;
            path.push(at);
            match parent[at] {
                Some(p) => at = p,
                None => break,
            }
        }
        for x in path {
            state[x] = 2;
        }
    }
    for c in &mut children {
        c.sort_by_key(|&x| (spans[x].start, x));
    }
    let weight = spans
        .iter()
        .zip(&parent)
        .find(|(_, p)| p.is_none())
        .and_then(|(s, _)| s.attr("archsim.sample_every"))
        .and_then(|w| w.parse::<f64>().ok())
        .filter(|w| w.is_finite() && *w >= 1.0)
        .unwrap_or(1.0);
    Trace {
        spans,
        children,
        parent,
        weight,
    }
}

impl Trace<'_> {
    /// Whether span `i` is an operation execution.
    fn is_execution(&self, i: usize) -> bool {
        let s = self.spans[i];
        match self.parent[i] {
            None => s.kind != Kind::Client,
            Some(p) => {
                s.kind.is_entry()
                    || s.kind != Kind::Client
                        && s.kind != Kind::Producer
                        && self.spans[p].service != s.service
            }
        }
    }

    fn key(&self, i: usize) -> OpKey {
        let s = self.spans[i];
        (sanitize(&s.service), op_name(s))
    }

    /// The execution below a CLIENT span, if any.
    fn callee(&self, c: usize) -> Option<usize> {
        self.children[c]
            .iter()
            .copied()
            .find(|&x| self.is_execution(x) || self.spans[x].kind == Kind::Server)
    }
}

/// An action of an execution: its interval and target.
struct Action {
    start: i64,
    end: i64,
    target: Target,
    failed: bool,
}

fn analyse(tr: &Trace, linked: &BTreeMap<(&str, &str), Vec<&Span>>, t: &mut Topology) {
    for i in 0..tr.spans.len() {
        let s = tr.spans[i];
        if tr.parent[i].is_none() {
            root(tr, i, t);
        }
        if s.kind == Kind::Consumer
            && tr.parent[i].map_or(true, |p| tr.spans[p].kind != Kind::Producer)
            && s.links.is_empty()
        {
            t.counts.unpaired_consumers += 1;
        }
        if tr.is_execution(i) {
            execution(tr, i, linked, t);
        }
    }
}

fn root(tr: &Trace, i: usize, t: &mut Topology) {
    let s = tr.spans[i];
    let (entry, client_side) = if s.kind == Kind::Client {
        match tr.callee(i) {
            Some(c) => {
                let net = s.duration - tr.spans[c].duration;
                if net < 0 {
                    t.counts.skew += 1;
                }
                let to = sanitize(&tr.spans[c].service);
                t.links
                    .entry(("client".into(), to))
                    .or_default()
                    .push(net.max(0) / 2);
                (tr.key(c), true)
            }
            None => {
                t.counts.unpaired_clients += 1;
                (synthesize(s, tr.weight, t), true)
            }
        }
    } else {
        (tr.key(i), false)
    };
    let f = t.flows.entry(entry).or_insert_with(|| FlowStats {
        first: s.start,
        last: s.start,
        ..Default::default()
    });
    f.roots += 1;
    f.weight += tr.weight;
    f.first = f.first.min(s.start);
    f.last = f.last.max(s.start);
    f.latencies.push(s.duration);
    f.client_side |= client_side;
}

/// The operation of the uninstrumented callee of an unpaired CLIENT span.
fn synthesize(c: &Span, weight: f64, t: &mut Topology) -> OpKey {
    let service = sanitize(c.peer().unwrap_or("external"));
    let key = (service, sanitize(&c.name));
    let op = t.ops.entry(key.clone()).or_default();
    op.synthesized = true;
    op.executions += 1;
    op.weight += weight;
    op.durations.push(c.duration);
    op.self_times.push(c.duration);
    *op.patterns.entry(Vec::new()).or_default() += 1;
    key
}

fn execution(tr: &Trace, e: usize, linked: &BTreeMap<(&str, &str), Vec<&Span>>, t: &mut Topology) {
    let s = tr.spans[e];
    let key = tr.key(e);
    let mut actions = Vec::new();
    if s.kind == Kind::Producer {
        // A root that is itself a publish.
        actions.push(send(tr, e, linked, t));
    }
    collect(tr, e, e, linked, t, &mut actions);
    actions.sort_by(|a, b| (a.start, &a.target).cmp(&(b.start, &b.target)));
    let own = own_time(s, &actions);
    let mut groups: Pattern = Vec::new();
    let mut group_end = i64::MIN;
    for a in &actions {
        if a.start < group_end && !groups.is_empty() {
            groups.last_mut().expect("a group").push(a.target.clone());
        } else {
            groups.push(vec![a.target.clone()]);
        }
        group_end = group_end.max(a.end);
    }
    for g in &mut groups {
        g.sort();
    }
    let any_failed = actions.iter().any(|a| a.failed);
    let op = t.ops.entry(key).or_default();
    op.executions += 1;
    op.weight += tr.weight;
    op.durations.push(s.duration);
    op.self_times.push(own);
    if s.error {
        op.errors += 1;
        if !any_failed {
            op.own_errors += 1;
        }
    }
    let mut per: BTreeMap<&Target, u64> = BTreeMap::new();
    for a in &actions {
        *per.entry(&a.target).or_default() += 1;
    }
    for (target, n) in per {
        let e = op.targets.entry(target.clone()).or_default();
        e.0 += 1;
        e.1 += n;
    }
    *op.patterns.entry(groups).or_default() += 1;
}

/// Span time not covered by its actions, less its queue wait when the span says.
fn own_time(s: &Span, actions: &[Action]) -> i64 {
    let (from, to) = (s.start, s.end());
    let mut covered = 0i64;
    let mut at = from;
    for a in actions {
        let (a0, a1) = (a.start.max(at), a.end.min(to));
        if a1 > a0 {
            covered += a1 - a0;
            at = a1;
        }
    }
    let queue = s
        .attr("archsim.queue_wait_ns")
        .and_then(|q| q.parse::<i64>().ok())
        .unwrap_or(0);
    (s.duration - covered - queue).max(0)
}

/// The actions below span `at` of execution `e`, through its service's internal spans
/// (iteratively: a hostile file may nest spans without bound).
fn collect(
    tr: &Trace,
    e: usize,
    at: usize,
    linked: &BTreeMap<(&str, &str), Vec<&Span>>,
    t: &mut Topology,
    out: &mut Vec<Action>,
) {
    let mut stack: Vec<usize> = tr.children[at].iter().rev().copied().collect();
    while let Some(c) = stack.pop() {
        let s = tr.spans[c];
        match s.kind {
            Kind::Client => out.push(call(tr, e, c, t)),
            Kind::Producer => out.push(send(tr, c, linked, t)),
            _ if tr.is_execution(c) => {
                if s.kind != Kind::Consumer {
                    t.counts.calls_without_client += 1;
                }
                out.push(Action {
                    start: s.start,
                    end: s.end(),
                    target: Target::Call(tr.key(c)),
                    failed: s.error,
                });
            }
            _ => stack.extend(tr.children[c].iter().rev().copied()),
        }
    }
}

fn call(tr: &Trace, e: usize, c: usize, t: &mut Topology) -> Action {
    let s = tr.spans[c];
    let callee = match tr.callee(c) {
        Some(x) => {
            let net = s.duration - tr.spans[x].duration;
            if net < 0 || tr.spans[x].start < s.start {
                t.counts.skew += 1;
            }
            let from = sanitize(&tr.spans[e].service);
            let to = sanitize(&tr.spans[x].service);
            t.links.entry((from, to)).or_default().push(net.max(0) / 2);
            tr.key(x)
        }
        None => {
            t.counts.unpaired_clients += 1;
            synthesize(s, tr.weight, t)
        }
    };
    Action {
        start: s.start,
        end: s.end(),
        target: Target::Call(callee),
        failed: s.error,
    }
}

fn send(
    tr: &Trace,
    p: usize,
    linked: &BTreeMap<(&str, &str), Vec<&Span>>,
    t: &mut Topology,
) -> Action {
    let s = tr.spans[p];
    let mut consumers: Vec<(OpKey, Option<&str>)> = tr.children[p]
        .iter()
        .filter(|&&x| tr.spans[x].kind == Kind::Consumer)
        .map(|&x| (tr.key(x), tr.spans[x].destination()))
        .collect();
    for c in linked
        .get(&(s.trace.as_str(), s.id.as_str()))
        .into_iter()
        .flatten()
    {
        consumers.push(((sanitize(&c.service), op_name(c)), c.destination()));
    }
    let dest = s
        .destination()
        .or_else(|| consumers.iter().find_map(|(_, d)| *d))
        .map(sanitize)
        .unwrap_or_else(|| sanitize(&format!("{}-{}", s.service, s.name)));
    if consumers.is_empty() {
        t.counts.unpaired_producers += 1;
    }
    let set = t.destinations.entry(dest.clone()).or_default();
    set.extend(consumers.into_iter().map(|(k, _)| k));
    Action {
        start: s.start,
        end: s.end(),
        target: Target::Send(dest),
        failed: s.error,
    }
}
