//! Microservice semantics on top of the kernel: one replication of a scenario.
//!
//! A client request becomes a *call* to an entry operation. A call travels over a link
//! (latency + protocol cost, maybe lost), lands on a replica chosen by the callee's
//! balancer, and becomes an *execution* of the operation there: it starts at once if a
//! worker is free, waits in the bounded FIFO queue otherwise, or is rejected at once
//! when the queue is full. A running execution holds its worker for its local work and
//! for every downstream call it makes (this is what makes synchronous chains fragile),
//! then replies over the same link.
//!
//! Timeouts are lazy: a timeout event carries a generational handle to its call and is
//! ignored if the call has already finished. A caller that gives up abandons the call;
//! the callee's execution goes on (wasted work) and its reply is dropped as late.

mod slab;
mod timers;

use crate::kernel::{self, stable_id, EventQueue, RngStream, SimTime, StreamKey};
use crate::metrics::{Component, FailureReason, Outcome, RunMetrics};
use crate::model::{Arrivals, Balancer, Call, OpId, Scenario, ServiceId};
use slab::{Handle, Slab};
use std::collections::VecDeque;
use timers::TimeoutLists;

/// RNG stream purposes (part of each stream's key; never renumber).
mod purpose {
    pub const WORK: u64 = 1;
    pub const ERROR: u64 = 2;
    pub const BALANCE: u64 = 3;
    pub const LATENCY: u64 = 4;
    pub const LOSS: u64 = 5;
    pub const ARRIVALS: u64 = 6;
    pub const THINK: u64 = 7;
}

/// Who is waiting for a call's reply.
#[derive(Clone, Copy, Debug)]
enum Caller {
    /// A client of workload `workload`; `user` for closed-loop workloads.
    Client { workload: u32, user: u32 },
    /// An execution waiting in its current step group.
    Execution(Handle),
}

/// A call in flight: request on the wire, queued or running at the callee, or reply on
/// the wire.
struct CallState {
    caller: Caller,
    /// Network delay of one message each way is sampled per message on this link.
    link: u32,
    /// Protocol cost of one message of this call (constant per call).
    wire_cost: SimTime,
    sent: SimTime,
    /// The execution serving this call, once the request has arrived and was admitted.
    callee: Option<Handle>,
}

/// An execution of an operation on a replica.
struct Execution {
    op: OpId,
    replica: u32,
    /// The call this execution answers.
    parent: Handle,
    arrived: SimTime,
    /// Index of the step group in progress.
    group: u32,
    /// Calls of the current group still awaited.
    pending: u32,
    /// Outstanding child calls (for abandoning them and for root-cause walks).
    children: Vec<Handle>,
    /// Arrived after the warm-up (counted in service metrics).
    counted: bool,
}

#[derive(Default)]
struct Replica {
    busy: u32,
    queue: VecDeque<Handle>,
}

/// Events of the microservice engine. Plain data, 24 bytes.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// Next open-loop arrival of a workload.
    Arrival { workload: u32 },
    /// A closed-loop user sends its next request.
    UserSend { workload: u32, user: u32 },
    /// A call's request reaches replica `replica` to run `op`.
    Deliver {
        call: Handle,
        op: OpId,
        replica: u32,
    },
    /// An execution finished its local work.
    WorkDone { exec: Handle },
    /// A call's reply reaches its caller.
    Reply { call: Handle, outcome: Outcome },
    /// The head of timeout list `list` expires.
    Timeouts { list: u32 },
    /// The warm-up ends: reset time integrals.
    WarmupEnd,
}

struct ServiceStreams {
    work: RngStream,
    error: RngStream,
    balance: RngStream,
}

struct LinkStreams {
    latency: RngStream,
    loss: RngStream,
}

struct WorkloadState {
    arrivals: RngStream,
    think: RngStream,
    /// Index into a rate schedule.
    segment: usize,
}

/// The state of one replication.
struct Engine<'a> {
    sc: &'a Scenario,
    now: SimTime,
    replicas: Vec<Replica>,
    /// First replica index of each service.
    replica_base: Vec<u32>,
    round_robin: Vec<u32>,
    calls: Slab<CallState>,
    execs: Slab<Execution>,
    service_rng: Vec<ServiceStreams>,
    link_rng: Vec<LinkStreams>,
    workloads: Vec<WorkloadState>,
    timeouts: TimeoutLists,
    metrics: RunMetrics,
}

/// Error raised when a run's books do not balance (a bug, never user error).
#[derive(Debug, thiserror::Error)]
#[error("conservation violated in replication {replication}: {detail}")]
pub struct ConservationError {
    /// The replication.
    pub replication: u32,
    /// What did not balance.
    pub detail: String,
}

/// Run replication `replication` of `scenario` and return its metrics.
///
/// Fails only if the conservation check fails, which would be an engine bug.
pub fn run_replication(
    scenario: &Scenario,
    replication: u32,
) -> Result<RunMetrics, ConservationError> {
    let mut engine = Engine::new(scenario, replication);
    let mut queue = EventQueue::with_capacity(4096);
    engine.start(&mut queue);
    let events = kernel::run_until(&mut engine, &mut queue, scenario.sim.duration);
    engine.finish(events, replication)
}

impl<'a> Engine<'a> {
    fn new(sc: &'a Scenario, replication: u32) -> Self {
        let key = |name: &str, purpose: u64| {
            RngStream::new(StreamKey {
                seed: sc.sim.seed,
                replication: replication as u64,
                component: stable_id(name),
                purpose,
            })
        };
        let mut replica_base = Vec::with_capacity(sc.services.len());
        let mut total = 0u32;
        for s in &sc.services {
            replica_base.push(total);
            total += s.replicas;
        }
        let service_rng = sc
            .services
            .iter()
            .map(|s| {
                let name = format!("service:{}", s.name);
                ServiceStreams {
                    work: key(&name, purpose::WORK),
                    error: key(&name, purpose::ERROR),
                    balance: key(&name, purpose::BALANCE),
                }
            })
            .collect();
        let link_rng = sc
            .links
            .iter()
            .map(|l| {
                let name = format!("link:{}", l.name);
                LinkStreams {
                    latency: key(&name, purpose::LATENCY),
                    loss: key(&name, purpose::LOSS),
                }
            })
            .collect();
        let workloads = sc
            .workloads
            .iter()
            .map(|w| {
                let name = format!("workload:{}", w.flow);
                WorkloadState {
                    arrivals: key(&name, purpose::ARRIVALS),
                    think: key(&name, purpose::THINK),
                    segment: 0,
                }
            })
            .collect();
        Engine {
            sc,
            now: 0,
            replicas: (0..total).map(|_| Replica::default()).collect(),
            replica_base,
            round_robin: vec![0; sc.services.len()],
            calls: Slab::new(),
            execs: Slab::new(),
            service_rng,
            link_rng,
            workloads,
            timeouts: TimeoutLists::new(timeout_lengths(sc)),
            metrics: RunMetrics::new(sc),
        }
    }

    fn start(&mut self, queue: &mut EventQueue<Event>) {
        if self.sc.sim.warmup > 0 {
            queue.schedule(self.sc.sim.warmup, Event::WarmupEnd);
        }
        for (w, wl) in self.sc.workloads.iter().enumerate() {
            let workload = w as u32;
            match &wl.arrivals {
                Arrivals::Closed { users, think } => {
                    for user in 0..*users {
                        // Stagger the first requests by one think time so users do not
                        // all fire at t = 0.
                        let t = think.sample(&mut self.workloads[w].think);
                        queue.schedule(t, Event::UserSend { workload, user });
                    }
                }
                _ => {
                    if let Some(t) = self.next_arrival(w, 0) {
                        queue.schedule(t, Event::Arrival { workload });
                    }
                }
            }
        }
    }

    /// Time of the next open-loop arrival after `now`, or `None` past the horizon.
    fn next_arrival(&mut self, w: usize, now: SimTime) -> Option<SimTime> {
        let horizon = self.sc.sim.duration;
        let state = &mut self.workloads[w];
        let t = match &self.sc.workloads[w].arrivals {
            Arrivals::Poisson { rate } => now + exp_gap(&mut state.arrivals, *rate),
            Arrivals::Constant { rate } => now + (1e9 / rate).round().max(1.0) as SimTime,
            Arrivals::Schedule(segments) => {
                // Piecewise Poisson by memorylessness: draw with the current rate; if the
                // draw crosses a boundary, restart from the boundary with the next rate.
                let mut from = now;
                loop {
                    let (_, rate) = segments[state.segment];
                    let end = segments
                        .get(state.segment + 1)
                        .map_or(SimTime::MAX, |s| s.0);
                    let t = if rate > 0.0 {
                        from.saturating_add(exp_gap(&mut state.arrivals, rate))
                    } else {
                        SimTime::MAX
                    };
                    if t < end {
                        break t;
                    }
                    if end == SimTime::MAX {
                        return None;
                    }
                    from = end;
                    state.segment += 1;
                }
            }
            Arrivals::Closed { .. } => unreachable!("closed workloads have no arrival process"),
        };
        (t <= horizon).then_some(t)
    }

    // ----- calls ---------------------------------------------------------------------

    /// Pick the replica of `service` that receives the next call.
    #[inline]
    fn pick_replica(&mut self, service: ServiceId) -> u32 {
        let s = &self.sc.services[service.0 as usize];
        let base = self.replica_base[service.0 as usize];
        if s.replicas == 1 {
            return base;
        }
        let local = match s.balancer {
            Balancer::RoundRobin => {
                let rr = &mut self.round_robin[service.0 as usize];
                let r = *rr;
                *rr = (r + 1) % s.replicas;
                r
            }
            Balancer::Random => self.service_rng[service.0 as usize]
                .balance
                .below(s.replicas),
            Balancer::LeastOutstanding => {
                let rng = &mut self.service_rng[service.0 as usize].balance;
                let a = rng.below(s.replicas);
                let b = rng.below(s.replicas);
                let load = |r: u32| {
                    let rep = &self.replicas[(base + r) as usize];
                    rep.busy as usize + rep.queue.len()
                };
                if load(b) < load(a) {
                    b
                } else {
                    a
                }
            }
        };
        base + local
    }

    /// One-way delay of a message on `link`, or `None` if the message is lost.
    #[inline]
    fn wire(&mut self, link: u32, wire_cost: SimTime) -> Option<SimTime> {
        let l = &self.sc.links[link as usize];
        let streams = &mut self.link_rng[link as usize];
        if streams.loss.chance(l.loss) {
            self.metrics.lost_messages += 1;
            return None;
        }
        Some(l.latency.sample(&mut streams.latency) + wire_cost)
    }

    /// Send a call: choose a replica, put the request on the wire, arm the timeout.
    fn send_call(
        &mut self,
        caller: Caller,
        target: OpId,
        link: u32,
        wire_cost: SimTime,
        timeout: Option<SimTime>,
        queue: &mut EventQueue<Event>,
    ) -> Handle {
        let service = self.sc.operations[target.0 as usize].service;
        let replica = self.pick_replica(service);
        let now = self.now;
        let state = CallState {
            caller,
            link,
            wire_cost,
            sent: now,
            callee: None,
        };
        let call = self.calls.insert_with(
            || CallState { ..state },
            |slot| {
                *slot = CallState { ..state };
            },
        );
        if let Some(t) = timeout {
            if let Some((list, at)) = self.timeouts.arm(now, t, call) {
                queue.schedule(at, Event::Timeouts { list });
            }
        }
        match self.wire(link, wire_cost) {
            Some(0) => self.deliver(call, target, replica, queue),
            Some(delay) => queue.schedule(
                now + delay,
                Event::Deliver {
                    call,
                    op: target,
                    replica,
                },
            ),
            None => {} // lost: only a timeout will notice
        }
        call
    }

    /// Send the reply of `call` back to its caller.
    fn reply(&mut self, call: Handle, outcome: Outcome, queue: &mut EventQueue<Event>) {
        let Some(c) = self.calls.get(call) else {
            // The caller already gave up; the reply would be discarded on arrival anyway.
            self.metrics.late_replies += 1;
            return;
        };
        let (link, cost) = (c.link, c.wire_cost);
        match self.wire(link, cost) {
            Some(0) => self.on_reply(call, outcome, queue),
            Some(delay) => queue.schedule(self.now + delay, Event::Reply { call, outcome }),
            None => {}
        }
    }

    // ----- executions ----------------------------------------------------------------

    /// A request arrives at its replica: run, queue, or reject. If the caller has
    /// already given up, the server does not know: it still does the work (wasted).
    fn deliver(&mut self, call: Handle, op: OpId, replica_ix: u32, queue: &mut EventQueue<Event>) {
        let service = self.sc.operations[op.0 as usize].service;
        let svc = &self.sc.services[service.0 as usize];
        let replica = &self.replicas[replica_ix as usize];
        let counted = self.now >= self.sc.sim.warmup;
        let has_worker = replica.busy < svc.workers;
        if !has_worker && replica.queue.len() >= svc.queue_capacity as usize {
            if counted {
                self.metrics.services[service.0 as usize].rejected += 1;
            }
            self.reply(
                call,
                Outcome::Failed(
                    FailureReason::RejectedQueueFull,
                    Component::Service(service),
                ),
                queue,
            );
            return;
        }
        let now = self.now;
        let exec = self.execs.insert_with(
            || Execution {
                op,
                replica: replica_ix,
                parent: call,
                arrived: now,
                group: 0,
                pending: 0,
                children: Vec::new(),
                counted,
            },
            |e| {
                e.op = op;
                e.replica = replica_ix;
                e.parent = call;
                e.arrived = now;
                e.group = 0;
                e.pending = 0;
                e.children.clear();
                e.counted = counted;
            },
        );
        self.metrics.conservation.executions_started += 1;
        if counted {
            self.metrics.services[service.0 as usize].admitted += 1;
        }
        if let Some(c) = self.calls.get_mut(call) {
            c.callee = Some(exec);
        }
        if has_worker {
            self.begin(exec, queue);
        } else {
            self.replicas[replica_ix as usize].queue.push_back(exec);
            self.metrics.services[service.0 as usize].queued.add(now, 1);
        }
    }

    /// Give an execution a worker and start its local work.
    fn begin(&mut self, exec: Handle, queue: &mut EventQueue<Event>) {
        let e = self.execs.get(exec).expect("live execution");
        let op = &self.sc.operations[e.op.0 as usize];
        let service = op.service.0 as usize;
        self.replicas[e.replica as usize].busy += 1;
        self.metrics.services[service].busy.add(self.now, 1);
        let work = op.work.sample(&mut self.service_rng[service].work);
        if work == 0 {
            self.work_done(exec, queue);
        } else {
            queue.schedule(self.now + work, Event::WorkDone { exec });
        }
    }

    fn work_done(&mut self, exec: Handle, queue: &mut EventQueue<Event>) {
        let op_id = self.execs.get(exec).expect("live execution").op;
        let op = &self.sc.operations[op_id.0 as usize];
        if self.service_rng[op.service.0 as usize]
            .error
            .chance(op.error_probability)
        {
            let outcome =
                Outcome::Failed(FailureReason::InjectedError, Component::Service(op.service));
            self.complete(exec, outcome, queue);
        } else {
            self.run_group(exec, 0, queue);
        }
    }

    /// Start step group `group` of an execution (or complete it after the last group).
    fn run_group(&mut self, exec: Handle, group: u32, queue: &mut EventQueue<Event>) {
        let sc = self.sc;
        let e = self.execs.get_mut(exec).expect("live execution");
        let op = &sc.operations[e.op.0 as usize];
        let Some(g) = op.groups.get(group as usize) else {
            self.complete(exec, Outcome::Ok, queue);
            return;
        };
        e.group = group;
        e.pending = g.calls.len() as u32;
        for call in &g.calls {
            let Call {
                target,
                protocol,
                timeout,
                payload_bytes,
                link,
                ..
            } = *call;
            let cost = sc.protocol(protocol).cost(payload_bytes);
            let child = self.send_call(
                Caller::Execution(exec),
                target,
                link.0,
                cost,
                timeout,
                queue,
            );
            // A zero-delay hop may have completed (or failed) the whole execution inline.
            match self.execs.get_mut(exec) {
                Some(e) if e.group == group => {
                    if self.calls.contains(child) {
                        e.children.push(child);
                    }
                }
                _ => return,
            }
        }
    }

    /// Finish an execution: free its worker, abandon its children, reply, and start the
    /// next queued request of the replica.
    fn complete(&mut self, exec: Handle, outcome: Outcome, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let e = self.execs.get_mut(exec).expect("live execution");
        let (op, replica, parent, arrived, counted) =
            (e.op, e.replica, e.parent, e.arrived, e.counted);
        let mut children = std::mem::take(&mut e.children);
        for child in children.drain(..) {
            self.calls.remove(child);
        }
        // Give the (empty) buffer back so the slot's next user does not allocate.
        self.execs.get_mut(exec).expect("live").children = children;
        self.execs.remove(exec);
        self.metrics.conservation.executions_finished += 1;
        let service = self.sc.operations[op.0 as usize].service.0 as usize;
        let m = &mut self.metrics.services[service];
        m.busy.add(now, -1);
        if counted {
            m.completed += 1;
            m.sojourn_sum += (now - arrived) as u128;
            if outcome != Outcome::Ok {
                m.failed += 1;
            }
        }
        self.replicas[replica as usize].busy -= 1;
        self.reply(parent, outcome, queue);
        if let Some(next) = self.replicas[replica as usize].queue.pop_front() {
            self.metrics.services[service].queued.add(now, -1);
            self.begin(next, queue);
        }
    }

    // ----- replies and timeouts --------------------------------------------------------

    fn on_reply(&mut self, call: Handle, outcome: Outcome, queue: &mut EventQueue<Event>) {
        let Some(c) = self.calls.get(call) else {
            self.metrics.late_replies += 1;
            return;
        };
        let (caller, sent) = (c.caller, c.sent);
        self.calls.remove(call);
        self.resume(caller, call, sent, outcome, queue);
    }

    fn on_timeout(&mut self, call: Handle, queue: &mut EventQueue<Event>) {
        let Some(c) = self.calls.get(call) else {
            return;
        };
        let (caller, sent) = (c.caller, c.sent);
        let root = self.root_cause(call);
        self.calls.remove(call);
        self.resume(
            caller,
            call,
            sent,
            Outcome::Failed(FailureReason::Timeout, root),
            queue,
        );
    }

    /// Follow the chain of in-progress calls from `call` down to the deepest one: the
    /// component holding the request there is the root cause of a timeout.
    fn root_cause(&self, mut call: Handle) -> Component {
        loop {
            let c = self.calls.get(call).expect("live call");
            let Some(exec) = c.callee.and_then(|h| self.execs.get(h)) else {
                // Not admitted yet, or already answered: the message is on (or lost by)
                // the network.
                return Component::Link(crate::model::LinkId(c.link));
            };
            match exec.children.first() {
                Some(&child) => call = child,
                None => return Component::Service(self.sc.operations[exec.op.0 as usize].service),
            }
        }
    }

    /// Deliver the result of `call` to whoever made it.
    fn resume(
        &mut self,
        caller: Caller,
        call: Handle,
        sent: SimTime,
        outcome: Outcome,
        queue: &mut EventQueue<Event>,
    ) {
        match caller {
            Caller::Client { workload, user } => {
                self.client_response(workload, user, sent, outcome, queue)
            }
            Caller::Execution(exec) => {
                let Some(e) = self.execs.get_mut(exec) else {
                    return;
                };
                if let Some(pos) = e.children.iter().position(|&h| h == call) {
                    e.children.swap_remove(pos);
                }
                if outcome != Outcome::Ok {
                    // Fail fast: the error (with its root cause) propagates to our caller.
                    self.complete(exec, outcome, queue);
                    return;
                }
                e.pending -= 1;
                if e.pending == 0 {
                    let next = e.group + 1;
                    self.run_group(exec, next, queue);
                }
            }
        }
    }

    // ----- clients ---------------------------------------------------------------------

    fn client_send(&mut self, workload: u32, user: u32, queue: &mut EventQueue<Event>) {
        let wl = &self.sc.workloads[workload as usize];
        let (entry, link, timeout) = (wl.entry, wl.link.0, wl.timeout);
        let cost = self.sc.protocol(wl.protocol).cost(1024);
        self.metrics.conservation.requests_sent += 1;
        if self.now >= self.sc.sim.warmup {
            self.metrics.flows[workload as usize].generated += 1;
        }
        self.send_call(
            Caller::Client { workload, user },
            entry,
            link,
            cost,
            timeout,
            queue,
        );
    }

    fn client_response(
        &mut self,
        workload: u32,
        user: u32,
        sent: SimTime,
        outcome: Outcome,
        queue: &mut EventQueue<Event>,
    ) {
        self.metrics.conservation.requests_answered += 1;
        if sent >= self.sc.sim.warmup {
            self.metrics.flows[workload as usize].record(self.now - sent, outcome);
        }
        if let Arrivals::Closed { think, .. } = &self.sc.workloads[workload as usize].arrivals {
            let t = think.sample(&mut self.workloads[workload as usize].think);
            queue.schedule(self.now + t, Event::UserSend { workload, user });
        }
    }

    // ----- end of run ------------------------------------------------------------------

    fn finish(mut self, events: u64, replication: u32) -> Result<RunMetrics, ConservationError> {
        let end = self.sc.sim.duration;
        let warmup = self.sc.sim.warmup;
        for s in &mut self.metrics.services {
            s.busy.close(end);
            s.queued.close(end);
        }
        let mut in_flight = 0;
        for c in self.calls.iter() {
            if let Caller::Client { workload, .. } = c.caller {
                in_flight += 1;
                if c.sent >= warmup {
                    self.metrics.flows[workload as usize].in_flight += 1;
                }
            }
        }
        let m = &mut self.metrics;
        m.events = events;
        m.conservation.requests_in_flight = in_flight;
        m.conservation.executions_in_progress = self.execs.len() as u64;
        let mut problems = Vec::new();
        if !m.conservation.balances() {
            problems.push(format!("{:?}", m.conservation));
        }
        for (f, wl) in m.flows.iter().zip(&self.sc.workloads) {
            if f.generated != f.completed() + f.in_flight {
                problems.push(format!(
                    "flow {}: generated {} != succeeded {} + failed {} + in flight {}",
                    wl.flow,
                    f.generated,
                    f.succeeded,
                    f.failures(),
                    f.in_flight
                ));
            }
        }
        if problems.is_empty() {
            Ok(self.metrics)
        } else {
            Err(ConservationError {
                replication,
                detail: problems.join("; "),
            })
        }
    }
}

impl kernel::Model for Engine<'_> {
    type Event = Event;

    #[inline]
    fn handle(&mut self, now: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        self.now = now;
        match event {
            Event::Arrival { workload } => {
                self.client_send(workload, 0, queue);
                if let Some(t) = self.next_arrival(workload as usize, now) {
                    queue.schedule(t, Event::Arrival { workload });
                }
            }
            Event::UserSend { workload, user } => self.client_send(workload, user, queue),
            Event::Deliver { call, op, replica } => self.deliver(call, op, replica, queue),
            Event::WorkDone { exec } => self.work_done(exec, queue),
            Event::Reply { call, outcome } => self.on_reply(call, outcome, queue),
            Event::Timeouts { list } => {
                while let Some(call) = self.timeouts.pop_expired(list, now) {
                    self.on_timeout(call, queue);
                }
                if let Some(at) = self.timeouts.next_expiry(list) {
                    queue.schedule(at, Event::Timeouts { list });
                }
            }
            Event::WarmupEnd => {
                for s in &mut self.metrics.services {
                    s.busy.reset(now);
                    s.queued.reset(now);
                }
            }
        }
    }
}

/// Every distinct timeout length the scenario can arm.
fn timeout_lengths(sc: &Scenario) -> Vec<SimTime> {
    let steps = sc.operations.iter().flat_map(|o| {
        o.groups
            .iter()
            .flat_map(|g| g.calls.iter().filter_map(|c| c.timeout))
    });
    steps
        .chain(sc.workloads.iter().filter_map(|w| w.timeout))
        .collect()
}

/// Exponential inter-arrival gap for `rate` per second, in ns (at least 1).
#[inline]
fn exp_gap(rng: &mut RngStream, rate: f64) -> SimTime {
    let gap = -(1.0 - rng.unit()).ln() * 1e9 / rate;
    (gap.round() as SimTime).max(1)
}
