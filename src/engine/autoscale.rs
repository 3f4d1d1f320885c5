//! Autoscaling and cold starts (DESIGN §8 *Capacity*; README *Autoscaling*).
//!
//! An autoscaled service owns [`crate::model::Autoscale::slots`] replica slots; each is
//! `Ready` (serving), `Starting` (decided, not yet ready), `Draining` (no new work,
//! finishing what it holds) or `Off`. Its [`Scaler`] keeps the desired count, the
//! ready slots new work is routed to, and the proposals of its stabilization windows.
//! Every `period` it evaluates the Kubernetes HPA rule on the metric's time average
//! over the last period; see [`Engine::on_scale_eval`].
//!
//! Routing: the balancer picks among the ready slots only. A request that reaches a
//! slot that is no longer ready (it was draining or off when the request arrived) is
//! re-routed on arrival; when no slot is ready it waits in the service's queue for the
//! first ready replica (at most `queue` requests; more are rejected as queue full).
//! A service without `autoscale` never reaches this module, except for the cold start
//! of a replica restarted after a crash.

use super::slab::Handle;
use super::{Engine, Event};
use crate::kernel::{EventQueue, RngStream, SimTime};
use crate::metrics::{Component, FailureReason, Outcome, ScaleEvent, MAX_LISTED_EVENTS};
use crate::model::{Balancer, ScaleMetric, ServiceId};
use std::collections::VecDeque;

/// A replica slot's place in its service's life cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Slot {
    /// Serving (every replica of a service without autoscaling).
    #[default]
    Ready,
    /// Started, not yet ready.
    Starting,
    /// Scaled down: takes no new work, goes when it holds none.
    Draining,
    /// Not provisioned.
    Off,
}

/// A replica's autoscaling and cold-start state.
#[derive(Default)]
pub(super) struct Life {
    pub(super) slot: Slot,
    /// Bumped when a start is cancelled, so its `ReplicaReady` is stale.
    epoch: u32,
    /// Slowed by the service's cold start.
    pub(super) cold: bool,
    /// Counted in its service's `serving` replicas (ready, draining, or starting with
    /// the work it held while draining).
    active: bool,
    /// When it became ready (or restarted), and the requests it began since.
    since: SimTime,
    begun: u32,
}

impl super::Replica {
    /// Whether it takes new work (always, without autoscaling).
    #[inline]
    pub(super) fn serving(&self) -> bool {
        self.life.slot == Slot::Ready
    }
}

/// The autoscaler of one service.
pub(super) struct Scaler {
    service: ServiceId,
    desired: u32,
    /// Ready slots (local indices, ascending): where new work goes.
    routable: Vec<u32>,
    starting: u32,
    /// Proposals `(time, replicas)` still inside a stabilization window.
    history: VecDeque<(SimTime, u32)>,
    /// Lifetime areas at the last evaluation: busy, queued, cores, ready, backlog.
    last: [u128; 5],
    last_time: SimTime,
    /// Executions waiting for a first ready replica.
    waiting: VecDeque<Handle>,
    startup: RngStream,
    /// Queues the service consumes (the backlog metric).
    consumed: Vec<usize>,
    /// Round-robin position among `routable`.
    next: u32,
    /// Lifetime ready, provisioned and serving areas at the last tick.
    tick: (u128, u128, u128),
}

/// Every autoscaler of a replication.
#[derive(Default)]
pub(super) struct Scaling {
    /// Per service: its scaler's index, or `u32::MAX`.
    of: Vec<u32>,
    scalers: Vec<Scaler>,
}

/// Marks an execution waiting for a first ready replica (not on any replica).
pub(super) const WAITING: u32 = u32::MAX;

impl Scaling {
    /// The scalers of `sc`'s autoscaled services, with their start-up streams.
    pub(super) fn new(sc: &crate::model::Scenario, key: &dyn Fn(&str, u64) -> RngStream) -> Self {
        let mut of = vec![u32::MAX; sc.services.len()];
        let mut scalers = Vec::new();
        for (i, s) in sc.services.iter().enumerate() {
            let Some(a) = &s.autoscale else { continue };
            of[i] = scalers.len() as u32;
            let consumed = (sc.queues.iter().enumerate())
                .filter(|(_, q)| sc.operations[q.consumer.0 as usize].service.0 as usize == i)
                .map(|(q, _)| q)
                .collect();
            scalers.push(Scaler {
                service: ServiceId(i as u32),
                desired: a.initial,
                routable: (0..a.initial).collect(),
                starting: 0,
                history: VecDeque::new(),
                last: [0; 5],
                last_time: 0,
                waiting: VecDeque::new(),
                startup: key(&format!("service:{}", s.name), super::purpose::STARTUP),
                consumed,
                next: 0,
                tick: (0, 0, 0),
            });
        }
        Scaling { of, scalers }
    }
}

impl Engine<'_> {
    /// Time 0: slots past the initial count are off; the first evaluations.
    pub(super) fn start_scaling(&mut self, queue: &mut EventQueue<Event>) {
        for k in 0..self.scaling.scalers.len() {
            let s = self.scaling.scalers[k].service.0 as usize;
            let a = self.sc.services[s]
                .autoscale
                .as_deref()
                .expect("autoscaled");
            let base = self.replica_base[s];
            for slot in 0..self.sc.services[s].replicas {
                let life = &mut self.replicas[(base + slot) as usize].life;
                if slot < a.initial {
                    life.active = true;
                } else {
                    life.slot = Slot::Off;
                }
            }
            let m = &mut self.metrics.scaling[k];
            m.ready.add(0, i64::from(a.initial));
            m.provisioned.add(0, i64::from(a.initial));
            m.serving.add(0, i64::from(a.initial));
            m.peak_desired = a.initial;
            if a.period <= self.sc.sim.duration {
                queue.schedule(a.period, Event::ScaleEval { scaler: k as u32 });
            }
        }
    }

    /// The ready replica of an autoscaled `service` that gets the next request (its
    /// first slot when none is ready: admission then makes the request wait).
    pub(super) fn scaled_pick(&mut self, service: ServiceId) -> u32 {
        let s = &self.sc.services[service.0 as usize];
        let base = self.replica_base[service.0 as usize];
        let sc = &mut self.scaling.scalers[self.scaling.of[service.0 as usize] as usize];
        let n = sc.routable.len() as u32;
        if n <= 1 {
            return base + sc.routable.first().copied().unwrap_or(0);
        }
        let rng = &mut self.service_rng[service.0 as usize].balance;
        let local = match s.balancer {
            Balancer::RoundRobin => {
                let i = sc.next % n;
                sc.next = (i + 1) % n;
                sc.routable[i as usize]
            }
            Balancer::Random => sc.routable[rng.below(n) as usize],
            Balancer::LeastOutstanding => {
                let a = sc.routable[rng.below(n) as usize];
                let b = sc.routable[rng.below(n) as usize];
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

    /// Where work that reached `replica` of an autoscaled service runs: there if it is
    /// ready, else on a ready one; `None` when none is ready.
    pub(super) fn scaled_route(&mut self, service: ServiceId, replica: u32) -> Option<u32> {
        if self.replicas[replica as usize].life.slot == Slot::Ready {
            return Some(replica);
        }
        let k = self.scaling.of[service.0 as usize] as usize;
        if self.scaling.scalers[k].routable.is_empty() {
            return None;
        }
        Some(self.scaled_pick(service))
    }

    /// Whether an execution may wait for a first ready replica of `service` (the
    /// waiting room holds `queue` requests); the failure its requester sees otherwise.
    pub(super) fn may_wait(&mut self, service: ServiceId) -> Result<(), Outcome> {
        let k = self.scaling.of[service.0 as usize] as usize;
        let cap = self.sc.services[service.0 as usize].queue_capacity as usize;
        if self.scaling.scalers[k].waiting.len() < cap {
            return Ok(());
        }
        if self.now >= self.sc.sim.warmup {
            self.metrics.services[service.0 as usize].rejected += 1;
        }
        self.metrics
            .timeline
            .service_at(service.0 as usize, self.now)
            .rejected += 1;
        Err(Outcome::Failed(
            FailureReason::RejectedQueueFull,
            Component::Service(service),
        ))
    }

    /// Park an admitted execution until a replica of `service` is ready.
    pub(super) fn wait_for_replica(&mut self, service: ServiceId, exec: Handle) {
        let k = self.scaling.of[service.0 as usize] as usize;
        self.scaling.scalers[k].waiting.push_back(exec);
        self.metrics.services[service.0 as usize]
            .queued
            .add(self.now, 1);
    }

    /// Evaluate autoscaler `k`: the HPA rule on the last period's time averages.
    ///
    /// `load` is the metric summed over the ready replicas (e.g. busy workers /
    /// workers); `ready` the mean ready replicas; `ratio = load / ready / target`.
    /// Within the tolerance (|ratio - 1| <= tolerance) the proposal is the current
    /// desired count; otherwise ceil(load / target) (= ceil(ready x ratio), the HPA's
    /// ceil(current x metric / target)), plus the replicas still starting when scaling
    /// down (the HPA counts unready pods at the target then). Scaling up, it counts them
    /// at zero: the current count stays when load / (ready + starting) / target is
    /// within the tolerance or below 1, and the proposal is never below the current
    /// count (the guards of the HPA's `GetResourceReplicas`). With no ready replica, any
    /// waiting work proposes max(1, ceil(load / target)). Clamped to [min, max]. Stabilization (Kubernetes'
    /// `stabilizeRecommendationWithBehaviors`): up = the lowest proposal within the
    /// scale-up window, down = the highest within the scale-down window, both including
    /// this one; the new count is the current one raised to `up` or lowered to `down`,
    /// then limited by `max_up` (default max(4, current)) and `max_down`.
    pub(super) fn on_scale_eval(&mut self, k: u32, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let sc = self.sc;
        let s = self.scaling.scalers[k as usize].service.0 as usize;
        let svc = &sc.services[s];
        let a = svc.autoscale.as_deref().expect("autoscaled");
        let m = &mut self.metrics.services[s];
        let mut areas = [
            m.busy.lifetime_area(now),
            m.queued.lifetime_area(now),
            m.cores.lifetime_area(now),
            self.metrics.scaling[k as usize].ready.lifetime_area(now),
            0,
        ];
        let backlog_now: u64 = (self.scaling.scalers[k as usize].consumed.iter())
            .map(|&q| self.metrics.queues[q].depth.level())
            .sum();
        for &q in &self.scaling.scalers[k as usize].consumed {
            areas[4] += self.metrics.queues[q].depth.lifetime_area(now);
        }
        let scaler = &mut self.scaling.scalers[k as usize];
        let window = (now - scaler.last_time).max(1) as f64;
        let d = |i: usize| (areas[i] - scaler.last[i]) as f64 / window;
        let load = match a.metric {
            ScaleMetric::Utilization => d(0) / f64::from(svc.workers),
            ScaleMetric::Cpu => d(2) / f64::from(svc.cpu_millis.unwrap_or(1000)),
            ScaleMetric::Queue => d(1),
            ScaleMetric::InFlight => d(0) + d(1),
            ScaleMetric::Backlog => d(4),
        };
        let ready = d(3);
        scaler.last = areas;
        scaler.last_time = now;
        let current = scaler.desired;
        let ceil = |x: f64| (x - 1e-9).ceil().max(0.0).min(f64::from(a.max)) as u32;
        let proposal = if ready > 0.0 {
            let ratio = load / ready / a.target;
            if (ratio - 1.0).abs() <= a.tolerance {
                current
            } else if ratio > 1.0 {
                // Scaling up, the HPA counts the starting replicas at zero load; if the
                // ratio then falls within the tolerance or below 1 it keeps the count,
                // and it never proposes fewer replicas than now.
                let counted = load / (ready + f64::from(scaler.starting)) / a.target;
                if counted - 1.0 <= a.tolerance {
                    current
                } else {
                    ceil(load / a.target).max(current)
                }
            } else {
                ceil(load / a.target).saturating_add(scaler.starting)
            }
        } else if load > 0.0 || !scaler.waiting.is_empty() || backlog_now > 0 {
            ceil(load / a.target).max(1)
        } else {
            current
        };
        let proposal = proposal.clamp(a.min, a.max);
        let keep = a.up_window.max(a.down_window);
        while scaler
            .history
            .front()
            .is_some_and(|&(t, _)| now - t >= keep)
        {
            scaler.history.pop_front();
        }
        let within = |w: SimTime| {
            (scaler.history.iter())
                .filter(move |&&(t, _)| now - t < w)
                .map(|&(_, p)| p)
        };
        let up = within(a.up_window).fold(proposal, u32::min);
        let down = within(a.down_window).fold(proposal, u32::max);
        if keep > 0 {
            scaler.history.push_back((now, proposal));
        }
        let mut next = current.max(up).min(down);
        if next > current {
            let step = a.max_up.unwrap_or(current.max(4));
            next = next.min(current.saturating_add(step));
        } else if next < current {
            next = next.max(current.saturating_sub(a.max_down.unwrap_or(u32::MAX)));
        }
        let next = next.clamp(a.min, a.max);
        if next != current {
            self.scale_to(k as usize, next, queue);
        }
        let at = now.saturating_add(a.period);
        if at <= sc.sim.duration {
            queue.schedule(at, Event::ScaleEval { scaler: k });
        }
    }

    /// Change scaler `k`'s desired count to `next`: start replicas, or cancel starting
    /// ones (newest first) and drain ready ones (highest slot first).
    fn scale_to(&mut self, k: usize, next: u32, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let scaler = &mut self.scaling.scalers[k];
        let (s, from) = (scaler.service.0 as usize, scaler.desired);
        scaler.desired = next;
        let m = &mut self.metrics.scaling[k];
        if next > from {
            m.scale_ups += 1;
        } else {
            m.scale_downs += 1;
        }
        m.peak_desired = m.peak_desired.max(next);
        if self.metrics.scale_events.len() < MAX_LISTED_EVENTS {
            self.metrics.scale_events.push(ScaleEvent {
                time: now,
                service: s as u32,
                from,
                to: next,
            });
        }
        let base = self.replica_base[s];
        let slots = self.sc.services[s].replicas;
        let slot_of = |e: &Self, want: Slot| {
            (0..slots)
                .rev()
                .find(|&i| e.replicas[(base + i) as usize].life.slot == want)
        };
        if next > from {
            for _ in from..next {
                // The lowest free slot; when every free slot is draining, take back the
                // highest draining one (it starts again like a new replica).
                let slot = (0..slots)
                    .find(|&i| self.replicas[(base + i) as usize].life.slot == Slot::Off)
                    .or_else(|| slot_of(self, Slot::Draining));
                let Some(slot) = slot else { break };
                self.start_replica(k, base + slot, queue);
            }
            return;
        }
        for _ in next..from {
            if let Some(slot) = slot_of(self, Slot::Starting) {
                // A start taken back from draining still holds that work: it drains
                // again (and goes off once empty).
                let r = &mut self.replicas[(base + slot) as usize];
                let holds_work = r.busy > 0 || !r.queue.is_empty();
                let life = &mut r.life;
                life.epoch = life.epoch.wrapping_add(1);
                self.scaling.scalers[k].starting -= 1;
                if holds_work {
                    life.slot = Slot::Draining;
                } else {
                    life.slot = Slot::Off;
                    self.metrics.scaling[k].provisioned.add(now, -1);
                    self.set_active(k, base + slot, false);
                }
                continue;
            }
            let scaler = &mut self.scaling.scalers[k];
            let Some(slot) = scaler.routable.pop() else {
                break;
            };
            self.replicas[(base + slot) as usize].life.slot = Slot::Draining;
            self.metrics.scaling[k].ready.add(now, -1);
            self.drained(base + slot);
        }
    }

    /// Start a replica in slot `replica` (off, or taken back from draining).
    fn start_replica(&mut self, k: usize, replica: u32, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let life = &mut self.replicas[replica as usize].life;
        if life.slot == Slot::Off {
            self.metrics.scaling[k].provisioned.add(now, 1);
        }
        life.slot = Slot::Starting;
        life.epoch = life.epoch.wrapping_add(1);
        let epoch = life.epoch;
        self.scaling.scalers[k].starting += 1;
        self.metrics.scaling[k].starts += 1;
        let s = self.scaling.scalers[k].service.0 as usize;
        let a = self.sc.services[s]
            .autoscale
            .as_deref()
            .expect("autoscaled");
        let delay = a.startup.sample(&mut self.scaling.scalers[k].startup);
        if delay == 0 {
            self.replica_ready(replica, epoch, queue);
        } else {
            queue.schedule(
                now.saturating_add(delay),
                Event::ReplicaReady { replica, epoch },
            );
        }
    }

    /// A started replica is ready: it takes new work, first the requests waiting for
    /// a replica (stale if its start was cancelled since).
    pub(super) fn replica_ready(
        &mut self,
        replica: u32,
        epoch: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let now = self.now;
        let life = &self.replicas[replica as usize].life;
        if life.slot != Slot::Starting || life.epoch != epoch {
            return;
        }
        let service = self.service_of_replica(replica);
        let s = service.0 as usize;
        let k = self.scaling.of[s] as usize;
        let local = replica - self.replica_base[s];
        self.replicas[replica as usize].life.slot = Slot::Ready;
        self.set_active(k, replica, true);
        self.replica_restarted(replica);
        let scaler = &mut self.scaling.scalers[k];
        scaler.starting -= 1;
        let at = scaler.routable.partition_point(|&x| x < local);
        scaler.routable.insert(at, local);
        self.metrics.scaling[k].ready.add(now, 1);
        let waiting = std::mem::take(&mut self.scaling.scalers[k].waiting);
        for &exec in &waiting {
            self.execs.get_mut(exec).expect("waiting execution").replica = replica;
        }
        self.replicas[replica as usize].queue.extend(waiting);
        self.start_queued(replica, queue);
        if !self.sc.queues.is_empty() {
            self.consumer_restart(service, queue);
        }
    }

    /// A draining replica that holds no more work goes off.
    pub(super) fn drained(&mut self, replica: u32) {
        let r = &mut self.replicas[replica as usize];
        if r.life.slot != Slot::Draining || r.busy > 0 || !r.queue.is_empty() {
            return;
        }
        r.life.slot = Slot::Off;
        let k = self.scaling.of[self.service_of_replica(replica).0 as usize] as usize;
        self.metrics.scaling[k].provisioned.add(self.now, -1);
        self.set_active(k, replica, false);
    }

    /// Count `replica` of scaler `k` among the serving replicas, or not.
    fn set_active(&mut self, k: usize, replica: u32, on: bool) {
        let life = &mut self.replicas[replica as usize].life;
        if life.active != on {
            life.active = on;
            let d = if on { 1 } else { -1 };
            self.metrics.scaling[k].serving.add(self.now, d);
        }
    }

    /// A replica (re)started now: cold, if its service has a cold start.
    pub(super) fn replica_restarted(&mut self, replica: u32) {
        let s = self.service_of_replica(replica).0 as usize;
        if self.sc.services[s].cold_start.is_some() {
            let now = self.now;
            let life = &mut self.replicas[replica as usize].life;
            life.cold = true;
            life.since = now;
            life.begun = 0;
        }
    }

    /// `work` of a request starting on cold `replica` of service `s`, slowed by the
    /// cold start's factor now (and the replica warm once the factor reaches 1).
    pub(super) fn cold_work(&mut self, replica: u32, s: usize, work: SimTime) -> SimTime {
        let cs = self.sc.services[s]
            .cold_start
            .expect("a cold replica's service has one");
        let life = &mut self.replicas[replica as usize].life;
        match cs.factor_at(self.now - life.since, life.begun) {
            Some(f) => {
                life.begun = life.begun.saturating_add(1);
                (work as f64 * f).round() as SimTime
            }
            None => {
                life.cold = false;
                work
            }
        }
    }

    /// Close the scaling timeline interval ending now (`span` ns long) and express the
    /// interval's utilization of autoscaled services per ready replica.
    pub(super) fn tick_scaling(&mut self, span: f64) {
        let now = self.now;
        for k in 0..self.scaling.scalers.len() {
            let m = &mut self.metrics.scaling[k];
            let ready = m.ready.lifetime_area(now);
            let provisioned = m.provisioned.lifetime_area(now);
            let serving = m.serving.lifetime_area(now);
            let scaler = &mut self.scaling.scalers[k];
            let (r0, p0, s0) = std::mem::replace(&mut scaler.tick, (ready, provisioned, serving));
            let s = scaler.service.0 as usize;
            let iv = crate::metrics::ScaleInterval {
                desired: scaler.desired,
                ready: (ready - r0) as f64 / span,
                provisioned: (provisioned - p0) as f64 / span,
            };
            let tl = &mut self.metrics.timeline;
            let i = tl.index(now.saturating_sub(1), tl.scaling[k].len());
            tl.scaling[k][i] = iv;
            // Busy workers over the workers of the replicas that took or held work.
            let slots = f64::from(self.sc.services[s].replicas);
            let serving = (serving - s0) as f64 / span;
            let u = &mut tl.services[s][i].utilization;
            *u = if serving > 0.0 {
                *u * slots / serving
            } else {
                0.0
            };
        }
    }

    /// The end of the warm-up: replica levels measure from now.
    pub(super) fn scaling_warmup_end(&mut self) {
        for m in &mut self.metrics.scaling {
            m.ready.reset(self.now);
            m.provisioned.reset(self.now);
            m.serving.reset(self.now);
        }
    }

    /// The end of the run: close the replica levels.
    pub(super) fn scaling_finish(&mut self, end: SimTime) {
        for m in &mut self.metrics.scaling {
            m.ready.close(end);
            m.provisioned.close(end);
            m.serving.close(end);
        }
    }
}
