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
//! A step's call is a *logical call* at a call site; resilience policies (retry,
//! hedging, circuit breaker, bulkhead, fallback, deadlines) turn it into one or more
//! *attempts*, each a call of its own. Timeouts are lazy: a timeout carries a
//! generational handle and is ignored if its call has already finished. A caller that
//! gives up abandons the attempt; the callee's execution goes on (wasted work) and its
//! reply is dropped as late.
//!
//! Module map: `clients` (arrivals, rate limiting, responses, completions), `calls`
//! (attempts, the wire, replies, timeouts, root causes), `sites` (the resilience
//! policies of a call site: retries, hedges, breaker, bulkhead, fallback), `exec`
//! (admission, workers, steps), `cpu` (processor sharing on replicas with `cpus`),
//! `tick` (timeline intervals), `faults` (injection), `finish` (the conservation ledger
//! and the run's errors), `guard` (what a halted run says), `reply` (request-reply
//! continuations), `trace` (spans walked into `metrics::paths`), `breaker` (the
//! circuit-breaker state machine), `slab` and `timers` (allocation-free bookkeeping).

mod autoscale;
mod breaker;
mod calls;
mod clients;
mod cpu;
mod event;
mod exec;
mod faults;
mod finish;
mod guard;
mod messaging;
mod pool;
mod reply;
mod saga;
mod sites;
mod slab;
mod tick;
mod timers;
mod trace;

use crate::kernel::{self, stable_id, EventQueue, RngStream, SimTime, StreamKey};
use crate::metrics::RunMetrics;
use crate::model::{Call, OpId, Scenario};
use breaker::Breaker;
use event::Event;
use slab::{Handle, Slab};
use std::collections::VecDeque;
use timers::{timeout_lengths, TimeoutLists};
use trace::{Tracer, NO_SPAN};

use crate::metrics::paths::Traced;
pub use finish::{ConservationError, RunError};
pub use guard::GuardError;

/// RNG stream purposes (part of each stream's key; never renumber).
mod purpose {
    pub const WORK: u64 = 1;
    pub const ERROR: u64 = 2;
    pub const BALANCE: u64 = 3;
    pub const LATENCY: u64 = 4;
    pub const LOSS: u64 = 5;
    pub const ARRIVALS: u64 = 6;
    pub const THINK: u64 = 7;
    pub const RETRY: u64 = 8;
    pub const FAULT: u64 = 9;
    pub const STARTUP: u64 = 10;
}

/// Marker for "no deadline".
const NO_DEADLINE: SimTime = SimTime::MAX;
/// Marker for "not a call site" (client calls).
const NO_SITE: u32 = u32::MAX;
/// Marker for "no root" (a request whose caller is already gone).
const NO_ROOT: Handle = Handle {
    index: u32::MAX,
    generation: 0,
};

/// Who is waiting for a call's reply.
#[derive(Clone, Copy, Debug)]
enum Caller {
    /// A client of workload `workload`; `user` for closed-loop workloads.
    Client { workload: u32, user: u32 },
    /// An execution waiting in its current step group.
    Execution(Handle),
}

/// One attempt of a call: request on the wire, queued or running at the callee, or
/// reply on the wire.
#[derive(Clone, Copy)]
struct CallState {
    caller: Caller,
    /// The service called.
    target_service: crate::model::ServiceId,
    /// The client request this belongs to.
    root: Handle,
    /// Call site (`NO_SITE` for client calls).
    site: u32,
    /// Attempt number, 1-based.
    attempt: u32,
    link: u32,
    /// Protocol cost of one message of this call.
    wire_cost: SimTime,
    sent: SimTime,
    /// Absolute deadline propagated from the client, or `NO_DEADLINE`.
    deadline: SimTime,
    /// The execution serving this call, once admitted.
    callee: Option<Handle>,
    /// The reply was lost on the wire.
    reply_lost: bool,
    /// Trace span (`NO_SPAN` unless its request is traced).
    span: u32,
    /// The pool slot it holds (`pool::NO_POOL`: none).
    pool: u32,
}

/// A client request and everything it causally triggered (calls, messages,
/// continuations): completes when its outstanding work reaches zero.
struct RootState {
    workload: u32,
    sent: SimTime,
    /// Position among the replication's requests (0 = first sent).
    ordinal: u64,
    /// Position among its flow's requests.
    in_flow: u64,
    /// Spans of this request are recorded.
    traced: bool,
    /// Its spans, when traced.
    chain: trace::Chain,
    /// Pieces of work still running: the synchronous response, each message, each
    /// pending request-reply.
    outstanding: u32,
    /// Some part of the request touched a faulted component.
    touched_fault: bool,
    /// Sent while a fault was active.
    during_fault: bool,
    /// Some asynchronous part failed (dead-lettered, lost, reply timeout, consumer or
    /// continuation failure).
    async_failed: bool,
    /// The client got an error response.
    response_failed: bool,
    /// It had work left at its (counted) response: its completion is recorded when that
    /// work ends ([`crate::metrics::FlowMetrics::late_response`]).
    completes_late: bool,
}

impl RootState {
    /// Who its trace spans belong to.
    fn trace_request(&self) -> trace::Request {
        trace::Request {
            ordinal: self.ordinal,
            in_flow: self.in_flow,
            workload: self.workload,
            sent: self.sent,
        }
    }
}

/// What an execution answers to when it finishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parent {
    /// A synchronous call: reply to it.
    Call(Handle),
    /// Delivery number `delivery` of a message: ack or nack it.
    Delivery { msg: Handle, delivery: u32 },
    /// A request-reply continuation of its root; `trigger` is the trace span that
    /// caused it (the replying consumer, or the request message that timed out).
    Continuation { trigger: u32 },
    /// A saga's action or compensation for `step`, sent with `token`.
    Saga { inst: Handle, step: u32, token: u32 },
}

/// An execution of an operation on a replica.
struct Execution {
    op: OpId,
    replica: u32,
    /// What this execution answers to.
    parent: Parent,
    root: Handle,
    deadline: SimTime,
    arrived: SimTime,
    /// Holding a worker (false while queued).
    running: bool,
    /// When it got its worker, and its local work: with `arrived`, they split its
    /// sojourn into queueing, work and waiting on downstream.
    started: SimTime,
    work: SimTime,
    /// Position in its replica's `running` list (valid while running).
    running_index: u32,
    /// Index of the step group in progress.
    group: u32,
    /// Logical calls of the current group still awaited.
    pending: u32,
    /// Outstanding attempts (for abandoning them and for root-cause walks).
    children: Vec<Handle>,
    /// A fallback ran in this execution or below it.
    degraded: bool,
    /// Its local work was cut short at the propagated deadline.
    expired: bool,
    /// Arrived after the warm-up (counted in service metrics).
    counted: bool,
    /// Trace span (`NO_SPAN` unless its request is traced).
    span: u32,
}

/// A replica's workers, queue and fault state.
#[derive(Default)]
struct Replica {
    /// Its service, and that service's workers per replica (copied here: the hot path
    /// reads them on every start and completion).
    service: u32,
    workers: u32,
    busy: u32,
    queue: VecDeque<Handle>,
    /// Executions holding a worker (for attributing rejections), kept only when
    /// `tracks_running`.
    running: Vec<Handle>,
    /// Its service's operations make downstream calls. Only then can a worker be held
    /// on one (what `running` is searched for), so only then is `running` kept.
    tracks_running: bool,
    /// Active crash faults (down while > 0).
    crashed: u32,
    /// Active hang faults (frozen while > 0).
    hung: u32,
    /// Executions whose work finished while hung, resumed when the hang ends.
    frozen: Vec<Handle>,
    /// Active slow and error faults (indices into `Scenario::faults`).
    slow: Vec<u32>,
    error: Vec<u32>,
    /// Its cores, when the service has `cpus` (processor sharing; see `cpu`).
    cores: Option<Box<cpu::Cores>>,
    /// Autoscaling slot and cold-start state (see `autoscale`).
    life: autoscale::Life,
}

impl Replica {
    fn faulted(&self) -> bool {
        self.crashed > 0 || self.hung > 0 || !self.slow.is_empty() || !self.error.is_empty()
    }
}

struct ServiceStreams {
    work: RngStream,
    error: RngStream,
    balance: RngStream,
}

struct LinkState {
    latency: RngStream,
    loss: RngStream,
    /// Active partition faults.
    partitioned: u32,
}

struct WorkloadState {
    arrivals: RngStream,
    think: RngStream,
    /// Index into a rate schedule.
    segment: usize,
    /// Rate limiter tokens and last refill time.
    tokens: f64,
    refilled: SimTime,
}

/// Per call-site policy state (shared by the caller service's replicas).
struct SiteState {
    call: Call,
    /// Nothing to consult before an attempt (no breaker, bulkhead, hedge or pool;
    /// retries and fallbacks act only on failures): `Engine::start_site_call` sends it
    /// at once.
    direct: bool,
    /// Attempts in flight (bulkhead).
    in_flight: u32,
    breaker: Option<Breaker>,
    /// Retry-budget tokens.
    retry_tokens: f64,
    retry_rng: RngStream,
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
    roots: Slab<RootState>,
    msgs: messaging::Messaging,
    sagas: saga::Sagas,
    service_rng: Vec<ServiceStreams>,
    links: Vec<LinkState>,
    workloads: Vec<WorkloadState>,
    sites: Vec<SiteState>,
    pools: pool::Pools,
    timeouts: TimeoutLists,
    /// Per fault: its stream (stochastic schedules) and the start of its open window.
    fault_rng: Vec<RngStream>,
    fault_open: Vec<Option<(SimTime, Option<usize>)>>,
    /// Number of faults active now.
    active_faults: u32,
    /// Lifetime busy / queued areas at the last tick, per service.
    tick_areas: Vec<(u128, u128)>,
    tick_queue_areas: Vec<u128>,
    metrics: RunMetrics,
    /// Records spans of the traced requests (a traced replication only).
    tracer: Option<Box<Tracer>>,
    /// The autoscalers.
    scaling: autoscale::Scaling,
}

/// Run replication `replication` of `scenario` and return its metrics.
///
/// Fails if the clock stops advancing (a zero-time cycle) or the conservation check
/// fails (an engine bug).
pub fn run_replication(scenario: &Scenario, replication: u32) -> Result<RunMetrics, RunError> {
    run_engine(scenario, replication, None, true).map(|(metrics, _)| metrics)
}

pub use trace::BREAKDOWN_SAMPLE;
pub use trace::{record_replication, RecordedKind, RecordedRequest, RecordedSpan, Recording};

/// Run replication `replication` with tracing: its metrics, and the critical paths of
/// each flow's slowest responses and completions and each flow's time broken down by
/// hop over a systematic sample of about [`BREAKDOWN_SAMPLE`] requests.
///
/// Tracing happens in the same run; only when a request whose path is wanted outlived
/// the tracer's window (or the run exceeded `u32::MAX` spans) is the replication run a
/// second time, tracing just the requests the first run chose. Either way the metrics equal
/// [`run_replication`]'s and the paths are the same. Fails only as `run_replication`
/// does.
pub fn trace_replication(
    scenario: &Scenario,
    replication: u32,
) -> Result<(RunMetrics, Traced), RunError> {
    let tracer = Tracer::all(scenario, replication);
    let (metrics, tracer) = run_engine(scenario, replication, Some(Box::new(tracer)), true)?;
    let traced = analysed(
        scenario,
        replication,
        tracer.expect("the tracer comes back"),
    )?;
    Ok((metrics, traced))
}

/// [`trace_replication`] that also records the spans of the sample
/// [`record_replication`] records (at most `limit` requests per flow), in the same run:
/// `--traces` and `--metrics` export replication 1 without simulating it again. The
/// recording is the one `record_replication` makes, and the metrics and paths are
/// `trace_replication`'s.
pub fn trace_replication_recorded(
    scenario: &Scenario,
    replication: u32,
    limit: usize,
) -> Result<(Recording, Traced), RunError> {
    let tracer = Tracer::all(scenario, replication).recording(scenario, limit);
    let (metrics, tracer) = run_engine(scenario, replication, Some(Box::new(tracer)), true)?;
    let mut tracer = tracer.expect("the tracer comes back");
    let (requests, dropped) = tracer.take_recorded();
    let traced = analysed(scenario, replication, tracer)?;
    let recording = Recording {
        metrics,
        requests,
        dropped,
    };
    Ok((recording, traced))
}

/// The paths of a traced run; when a wanted path lost its spans, from a second run
/// tracing just the requests the first chose.
fn analysed(
    scenario: &Scenario,
    replication: u32,
    tracer: Box<Tracer>,
) -> Result<Traced, RunError> {
    if !tracer.incomplete() {
        return Ok(tracer.analyse());
    }
    let again = Box::new(Tracer::again(scenario, replication, &tracer));
    let (_, again) = run_engine(scenario, replication, Some(again), false)?;
    Ok(again.expect("the tracer comes back").analyse())
}

fn run_engine(
    scenario: &Scenario,
    replication: u32,
    tracer: Option<Box<Tracer>>,
    timeline: bool,
) -> Result<(RunMetrics, Option<Box<Tracer>>), RunError> {
    let mut engine = Engine::new(scenario, replication);
    if !timeline {
        // A tracing re-run only yields paths: its timeline would be thrown away.
        engine.metrics.timeline = crate::metrics::Timeline::unused(scenario);
    }
    engine.tracer = tracer;
    let mut queue = EventQueue::with_capacity(4096).with_horizon(scenario.sim.duration);
    engine.start(&mut queue);
    let guard = guard::guard(scenario);
    let events = kernel::run_guarded(&mut engine, &mut queue, scenario.sim.duration, guard)
        .map_err(|halt| engine.diagnose(&mut queue, halt, replication))?;
    let tracer = engine.tracer.take();
    Ok((engine.finish(events, replication)?, tracer))
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
        let links = sc
            .links
            .iter()
            .map(|l| {
                let name = format!("link:{}", l.name);
                LinkState {
                    latency: key(&name, purpose::LATENCY),
                    loss: key(&name, purpose::LOSS),
                    partitioned: 0,
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
                    tokens: w.rate_limit.map_or(0.0, |r| r.burst as f64),
                    refilled: 0,
                }
            })
            .collect();
        let mut site_calls: Vec<Option<Call>> = vec![None; sc.policies.len()];
        let mut site_names = vec![String::new(); sc.policies.len()];
        for op in &sc.operations {
            for g in &op.groups {
                for c in &g.calls {
                    site_calls[c.site as usize] = Some(*c);
                    site_names[c.site as usize] = format!(
                        "site:{}->{}",
                        op.name, sc.operations[c.target.0 as usize].name
                    );
                }
            }
        }
        let mut sites: Vec<SiteState> = sc
            .policies
            .iter()
            .zip(site_calls)
            .zip(&site_names)
            .map(|((p, call), name)| SiteState {
                call: call.expect("every site belongs to a call"),
                direct: p.breaker.is_none() && p.bulkhead.is_none() && p.hedge.is_none(),
                in_flight: 0,
                breaker: p.breaker.clone().map(Breaker::new),
                retry_tokens: 0.0,
                retry_rng: key(name, purpose::RETRY),
            })
            .collect();
        let pools = pool::Pools::new(sc);
        for (i, site) in sites.iter_mut().enumerate() {
            site.direct &= !pools.site_has_pool(i);
        }
        let fault_rng = sc
            .faults
            .iter()
            .map(|f| key(&format!("fault:{}", f.name), purpose::FAULT))
            .collect();
        Engine {
            sc,
            now: 0,
            replicas: (sc.services.iter().enumerate())
                .flat_map(|(i, s)| (0..s.replicas).map(move |_| cpu::replica(sc, i, s)))
                .collect(),
            replica_base,
            round_robin: vec![0; sc.services.len()],
            calls: Slab::new(),
            execs: Slab::new(),
            roots: Slab::new(),
            msgs: messaging::Messaging::new(sc, &key),
            sagas: saga::Sagas::new(&key),
            service_rng,
            links,
            workloads,
            sites,
            pools,
            timeouts: TimeoutLists::new(timeout_lengths(sc), sc.sim.duration),
            fault_rng,
            fault_open: vec![None; sc.faults.len()],
            active_faults: 0,
            tick_areas: vec![(0, 0); sc.services.len()],
            tick_queue_areas: vec![0; sc.queues.len()],
            metrics: RunMetrics::new(sc),
            tracer: None,
            scaling: autoscale::Scaling::new(sc, &key),
        }
    }

    fn start(&mut self, queue: &mut EventQueue<Event>) {
        if self.sc.sim.warmup > 0 {
            queue.schedule(self.sc.sim.warmup, Event::WarmupEnd);
        }
        let first_tick = self.metrics.timeline.interval.min(self.sc.sim.duration);
        queue.schedule(first_tick, Event::Tick);
        self.start_clients(queue);
        self.start_faults(queue);
        self.start_scaling(queue);
    }
}

impl kernel::Model for Engine<'_> {
    type Event = Event;

    /// Requests, calls, executions, messages and sagas in flight: each is state the
    /// run keeps until it ends.
    fn held(&self) -> usize {
        self.roots.len()
            + self.calls.len()
            + self.execs.len()
            + self.msgs.in_flight()
            + self.sagas.in_flight()
    }

    #[inline]
    fn handle(&mut self, now: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        self.now = now;
        match event {
            Event::Arrival { workload } => self.on_arrival(workload, queue),
            Event::UserSend { workload, user } => self.client_send(workload, user, queue),
            Event::Deliver { call, op, replica } => self.deliver(call, op, replica, queue),
            Event::WorkDone { exec } => self.work_done(exec, queue),
            Event::CpuDone { replica, token } => self.cpu_done(replica, token, queue),
            Event::CpuDeadline { exec } => self.cpu_deadline(exec, queue),
            Event::Reply { call, outcome } => self.on_reply(call, outcome, queue),
            Event::Timeouts { list } => {
                while let Some(call) = self.timeouts.pop_expired(list, now) {
                    self.on_timeout(call, queue);
                }
                let calls = &self.calls;
                if let Some(at) = self.timeouts.next_live_expiry(list, |h| calls.contains(h)) {
                    queue.schedule(at, Event::Timeouts { list });
                }
            }
            Event::Timeout { call } => self.on_timeout(call, queue),
            Event::Retry {
                exec,
                site,
                attempt,
            } => self.on_retry(exec, site, attempt, queue),
            Event::Hedge { exec, site, call } => self.on_hedge(exec, site, call, queue),
            Event::FallbackDone { exec } => self.on_fallback_done(exec, queue),
            Event::BreakerHalfOpen { site } => self.on_breaker_half_open(site),
            Event::PoolTimeout { state, ticket } => self.on_pool_timeout(state, ticket, queue),
            Event::FaultStart { fault } => self.fault_start(fault, queue),
            Event::FaultEnd { fault } => self.fault_end(fault, queue),
            Event::PublishAck { exec, group, index } => {
                self.on_publish_ack(exec, group, index, queue)
            }
            Event::Consume { msg, delivery } => self.on_consume(msg, delivery, queue),
            Event::AckTimeout { msg, delivery } => self.on_ack_timeout(msg, delivery, queue),
            Event::Requeue { msg } => self.on_requeue(msg, queue),
            Event::ReplyArrive { pending } => self.on_reply_arrive(pending, queue),
            Event::ReplyTimeout { pending } => self.on_reply_timeout(pending, queue),
            Event::SagaDispatch { inst, step, token } => {
                self.on_saga_dispatch(inst, step, token, queue)
            }
            Event::SagaResult {
                inst,
                step,
                token,
                ok,
            } => self.on_saga_result(inst, step, token, ok, queue),
            Event::SagaTimeout { inst, step, token } => {
                self.on_saga_timeout(inst, step, token, queue)
            }
            Event::SagaRetry { inst, step } => self.on_saga_retry(inst, step, queue),
            Event::ScaleEval { scaler } => self.on_scale_eval(scaler, queue),
            Event::ReplicaReady { replica, epoch } => self.replica_ready(replica, epoch, queue),
            Event::Tick => self.tick(queue),
            Event::WarmupEnd => {
                self.metrics
                    .sites
                    .iter_mut()
                    .for_each(|s| *s = Default::default());
                for q in &mut self.metrics.queues {
                    let depth = std::mem::take(&mut q.depth);
                    *q = Default::default();
                    q.depth = depth;
                    q.depth.reset(now);
                }
                self.metrics.pools.iter_mut().for_each(|p| p.reset(now));
                for s in &mut self.metrics.services {
                    s.busy.reset(now);
                    s.queued.reset(now);
                    s.cores.reset(now);
                }
                self.scaling_warmup_end();
            }
        }
        if !self.pools.freed_is_empty() {
            self.grant_freed(queue);
        }
    }
}
