//! Calls and their attempts: routing, the wire, replies, timeouts and root causes. The
//! resilience policies that turn one logical call into attempts are in `sites`.

use super::slab::Handle;
use super::{CallState, Caller, Engine, Event, NO_DEADLINE, NO_SITE, NO_SPAN};
use crate::kernel::{EventQueue, SimTime};
use crate::metrics::{Component, FailureReason, Outcome};
use crate::model::{Balancer, LinkId, OpId, ServiceId};

impl Engine<'_> {
    /// Pick the replica of `service` that receives the next call.
    #[inline(always)]
    pub(super) fn pick_replica(&mut self, service: ServiceId) -> u32 {
        let base = self.replica_base[service.0 as usize];
        if self.sc.services[service.0 as usize].replicas == 1 {
            return base;
        }
        self.balance(service, base)
    }

    /// [`Engine::pick_replica`] among two or more replicas (out of line).
    #[inline(never)]
    fn balance(&mut self, service: ServiceId, base: u32) -> u32 {
        let s = &self.sc.services[service.0 as usize];
        if s.autoscale.is_some() {
            return self.scaled_pick(service);
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

    /// One-way delay of a message on `link`, or `None` if the message is lost (randomly
    /// or because the link is partitioned; the request's root is then marked as having
    /// touched a fault).
    #[inline(always)]
    pub(super) fn wire(&mut self, link: u32, wire_cost: SimTime, root: Handle) -> Option<SimTime> {
        let l = &self.sc.links[link as usize];
        let state = &mut self.links[link as usize];
        if state.partitioned > 0 {
            self.metrics.lost_messages += 1;
            self.touch(root);
            return None;
        }
        if state.loss.chance(l.loss) {
            self.metrics.lost_messages += 1;
            return None;
        }
        Some(
            l.latency
                .sample(&mut state.latency)
                .saturating_add(wire_cost),
        )
    }

    /// Mark the request rooted at `root` as having touched a faulted component.
    #[inline]
    pub(super) fn touch(&mut self, root: Handle) {
        if let Some(r) = self.roots.get_mut(root) {
            r.touched_fault = true;
        }
    }

    /// Send one attempt: choose a replica, put the request on the wire, arm the timeout.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_call(
        &mut self,
        caller: Caller,
        root: Handle,
        target: OpId,
        link: u32,
        wire_cost: SimTime,
        timeout: Option<SimTime>,
        site: u32,
        attempt: u32,
        deadline: SimTime,
        queue: &mut EventQueue<Event>,
    ) -> Handle {
        let service = self.sc.operations[target.0 as usize].service;
        let replica = self.pick_replica(service);
        let now = self.now;
        let (pool, since) = self.pools.take_pending(now);
        let span = self.trace_call(caller, root, target, attempt);
        if since < now && span != NO_SPAN {
            let index = self.pools.pool_of_state(pool);
            if let Some(tracer) = self.tracer.as_deref_mut() {
                tracer.pool_wait(span, index, since, now);
            }
        }
        let state = CallState {
            caller,
            target_service: service,
            root,
            site,
            attempt,
            link,
            wire_cost,
            sent: now,
            deadline,
            callee: None,
            reply_lost: false,
            span,
            pool,
        };
        let call = self.calls.insert_with(|| state, |slot| *slot = state);
        // The deadline shortens the timeout when it is nearer.
        let until_deadline = (deadline != NO_DEADLINE).then(|| deadline.saturating_sub(now));
        match (timeout, until_deadline) {
            (Some(t), Some(d)) if d < t => {
                queue.schedule(now.saturating_add(d), Event::Timeout { call })
            }
            (None, Some(d)) => queue.schedule(now.saturating_add(d), Event::Timeout { call }),
            (Some(t), _) => {
                let calls = &self.calls;
                if let Some((list, at)) = self.timeouts.arm(now, t, call, |h| calls.contains(h)) {
                    queue.schedule(at, Event::Timeouts { list });
                }
            }
            (None, None) => {}
        }
        match self.wire(link, wire_cost, root) {
            Some(0) => self.deliver(call, target, replica, queue),
            Some(delay) => queue.schedule(
                now.saturating_add(delay),
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
    #[inline]
    pub(super) fn reply(&mut self, call: Handle, outcome: Outcome, queue: &mut EventQueue<Event>) {
        let Some(c) = self.calls.get(call) else {
            // The caller already gave up; the reply would be discarded on arrival anyway.
            self.metrics.late_replies += 1;
            return;
        };
        let (link, cost, root) = (c.link, c.wire_cost, c.root);
        match self.wire(link, cost, root) {
            Some(0) => self.on_reply(call, outcome, queue),
            Some(delay) => queue.schedule(
                self.now.saturating_add(delay),
                Event::Reply { call, outcome },
            ),
            None => self.calls.get_mut(call).expect("live call").reply_lost = true,
        }
    }

    #[inline]
    pub(super) fn on_reply(
        &mut self,
        call: Handle,
        outcome: Outcome,
        queue: &mut EventQueue<Event>,
    ) {
        if !self.calls.contains(call) {
            self.metrics.late_replies += 1;
            return;
        }
        self.attempt_done(call, outcome, queue);
    }

    pub(super) fn on_timeout(&mut self, call: Handle, queue: &mut EventQueue<Event>) {
        if !self.calls.contains(call) {
            return;
        }
        let root = self.root_cause(call);
        self.attempt_done(call, Outcome::Failed(FailureReason::Timeout, root), queue);
    }

    /// Follow the chain of in-progress calls from `call` down to the deepest one: the
    /// component holding the request there is the root cause of a timeout.
    pub(super) fn root_cause(&self, mut call: Handle) -> Component {
        // Following running children goes deeper in the acyclic operation graph, but a
        // hop to a queued replica's held workers can lead back: an operation whose call
        // to its own service queues behind itself (a self-deadlock). Past this many
        // steps the walk is in such a loop, and the service it is in is to blame.
        let mut steps_left = 2 * self.sc.operations.len() + 8;
        loop {
            let c = self.calls.get(call).expect("live call");
            if steps_left == 0 {
                return Component::Service(c.target_service);
            }
            steps_left -= 1;
            let Some(callee) = c.callee else {
                // Never admitted: the request is on (or was lost by) the network.
                return Component::Link(LinkId(c.link));
            };
            let Some(exec) = self.execs.get(callee) else {
                // Answered: if the reply was lost, the network is to blame; otherwise it
                // is still on the wire and the callee answered too late.
                return if c.reply_lost {
                    Component::Link(LinkId(c.link))
                } else {
                    Component::Service(c.target_service)
                };
            };
            let next = if exec.running {
                exec.children.first().copied()
            } else {
                // Queued for a worker: the workers of this replica are the bottleneck;
                // if they are held on downstream calls, follow one of those.
                self.held_worker_call(exec.replica)
            };
            match next {
                Some(child) => call = child,
                None => return Component::Service(c.target_service),
            }
        }
    }

    /// A downstream call holding one of `replica`'s workers, if any.
    pub(super) fn held_worker_call(&self, replica: u32) -> Option<Handle> {
        // `get`: an execution waiting for a first replica is on none (`WAITING`).
        self.replicas
            .get(replica as usize)?
            .running
            .iter()
            .find_map(|&h| self.execs.get(h).and_then(|e| e.children.first().copied()))
    }

    /// Open a trace span for an attempt about to be sent, if its request is traced.
    fn trace_call(&mut self, caller: Caller, root: Handle, target: OpId, attempt: u32) -> u32 {
        let Some(tracer) = self.tracer.as_deref_mut() else {
            return NO_SPAN;
        };
        let parent = match caller {
            Caller::Client { .. } => NO_SPAN,
            // Calls made by untraced (asynchronous) work are not on the response's path.
            Caller::Execution(e) => match self.execs.get(e).map(|e| e.span) {
                Some(span) if span != NO_SPAN => span,
                _ => return NO_SPAN,
            },
        };
        let Some(r) = self.roots.get_mut(root).filter(|r| r.traced) else {
            return NO_SPAN;
        };
        tracer.open_call(target, attempt, parent, &mut r.chain, self.now)
    }

    /// Close an attempt's trace span (`None`: abandoned).
    fn trace_call_end(&mut self, call: Handle, outcome: Option<Outcome>) {
        // Untraced runs pay one branch, not a slab lookup.
        if let Some(tracer) = self.tracer.as_deref_mut() {
            if let Some(c) = self.calls.get(call).filter(|c| c.span != NO_SPAN) {
                tracer.close(c.span, self.now, outcome);
            }
        }
    }

    /// Forget an attempt (answered, timed out or abandoned).
    pub(super) fn release_call(&mut self, call: Handle) {
        self.trace_call_end(call, None);
        self.forget_call(call);
    }

    /// [`Engine::release_call`] of an attempt whose span is already closed.
    fn forget_call(&mut self, call: Handle) {
        if let Some(c) = self.calls.get(call) {
            if c.site != NO_SITE {
                self.sites[c.site as usize].in_flight -= 1;
            }
            let pool = c.pool;
            self.calls.remove(call);
            if pool != super::pool::NO_POOL {
                self.pool_release(pool);
            }
        }
    }

    /// An attempt ended with `outcome`: hand it to whoever made it.
    fn attempt_done(&mut self, call: Handle, outcome: Outcome, queue: &mut EventQueue<Event>) {
        let c = self.calls.get(call).expect("live call");
        let (caller, root, site, attempt) = (c.caller, c.root, c.site, c.attempt);
        self.trace_call_end(call, Some(outcome));
        self.forget_call(call);
        let exec = match caller {
            Caller::Client { workload, user } => {
                self.client_response(workload, user, outcome, root, queue);
                return;
            }
            Caller::Execution(exec) => exec,
        };
        let Some(e) = self.execs.get_mut(exec) else {
            return;
        };
        if let Some(pos) = e.children.iter().position(|&h| h == call) {
            e.children.swap_remove(pos);
        }
        let failed = matches!(outcome, Outcome::Failed(..));
        self.breaker_record(site, failed, queue);
        if !failed {
            if outcome == Outcome::Degraded {
                self.execs.get_mut(exec).expect("live").degraded = true;
            }
            self.abandon_site_attempts(exec, site);
            self.site_succeeded(exec, queue);
            return;
        }
        if self.site_has_attempts(exec, site) {
            return; // a hedged attempt of the same call is still out: first success wins
        }
        self.site_failed(exec, site, attempt, outcome, true, queue);
    }
}
