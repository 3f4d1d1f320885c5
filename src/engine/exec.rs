//! Executions: admission to a replica (run, queue or reject), workers, local work, step
//! groups, completion, and loss in a crash.

use super::slab::Handle;
use super::{autoscale, Engine, Event, Execution, Parent, NO_DEADLINE, NO_ROOT, NO_SPAN};
use crate::kernel::{EventQueue, SimTime};
use crate::metrics::{Component, FailureReason, Outcome};
use crate::model::OpId;

impl Engine<'_> {
    /// A call's request arrives at its replica: run, queue, or reject. If the caller has
    /// already given up, the server does not know: it still does the work (wasted).
    #[inline]
    pub(super) fn deliver(
        &mut self,
        call: Handle,
        op: OpId,
        replica: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let (root, deadline) = self
            .calls
            .get(call)
            .map_or((NO_ROOT, NO_DEADLINE), |c| (c.root, c.deadline));
        if let Err(outcome) = self.admit(op, replica, Parent::Call(call), root, deadline, queue) {
            self.reply(call, outcome, queue);
        }
    }

    /// Admit an execution of `op` at `replica_ix`: start it if a worker is free, queue
    /// it if there is room, or refuse it with the failure its requester sees.
    pub(super) fn admit(
        &mut self,
        op: OpId,
        mut replica_ix: u32,
        parent: Parent,
        root: Handle,
        deadline: SimTime,
        queue: &mut EventQueue<Event>,
    ) -> Result<Handle, Outcome> {
        let service = self.sc.operations[op.0 as usize].service;
        let svc = &self.sc.services[service.0 as usize];
        let now = self.now;
        let counted = now >= self.sc.sim.warmup;
        let mut waits = false;
        if svc.autoscale.is_some() {
            // Autoscaled: run on a ready replica, or wait for the first one.
            match self.scaled_route(service, replica_ix) {
                Some(r) => replica_ix = r,
                None => {
                    self.may_wait(service)?;
                    waits = true;
                }
            }
        }
        if !waits && self.replicas[replica_ix as usize].faulted() {
            self.touch(root);
        }
        let replica = &self.replicas[replica_ix as usize];
        if !waits && replica.crashed > 0 {
            self.metrics
                .timeline
                .service_at(service.0 as usize, now)
                .rejected += 1;
            return Err(Outcome::Failed(
                FailureReason::ConnectionError,
                Component::Service(service),
            ));
        }
        // A hung replica still accepts requests into its queue but never starts them.
        let has_worker = !waits && replica.hung == 0 && replica.busy < svc.workers;
        if !waits && !has_worker && replica.queue.len() >= svc.queue_capacity as usize {
            if counted {
                self.metrics.services[service.0 as usize].rejected += 1;
            }
            self.metrics
                .timeline
                .service_at(service.0 as usize, now)
                .rejected += 1;
            let root = self.saturation_root(replica_ix, service);
            return Err(Outcome::Failed(FailureReason::RejectedQueueFull, root));
        }
        let span = self.trace_execution(op, parent, root);
        let fresh = Execution {
            op,
            replica: if waits {
                autoscale::WAITING
            } else {
                replica_ix
            },
            parent,
            root,
            deadline,
            arrived: now,
            running: false,
            started: now,
            work: 0,
            running_index: 0,
            group: 0,
            pending: 0,
            children: Vec::new(),
            degraded: false,
            expired: false,
            counted,
            span,
        };
        // Keep the recycled slot's children buffer: no allocation in steady state.
        let exec = self.execs.insert_recycling(fresh, |old, new| {
            std::mem::swap(&mut old.children, &mut new.children);
            new.children.clear();
        });
        self.metrics.conservation.executions_started += 1;
        if counted {
            self.metrics.services[service.0 as usize].admitted += 1;
        }
        if let Parent::Call(call) = parent {
            if let Some(c) = self.calls.get_mut(call) {
                c.callee = Some(exec);
            }
        }
        if waits {
            self.wait_for_replica(service, exec);
        } else if has_worker {
            self.begin(exec, queue);
        } else {
            self.replicas[replica_ix as usize].queue.push_back(exec);
            self.metrics.services[service.0 as usize].queued.add(now, 1);
        }
        Ok(exec)
    }

    /// Report an execution's outcome to whatever it answers to.
    #[inline]
    fn answer(
        &mut self,
        parent: Parent,
        root: Handle,
        outcome: Outcome,
        span: u32,
        queue: &mut EventQueue<Event>,
    ) {
        match parent {
            Parent::Call(call) => self.reply(call, outcome, queue),
            Parent::Delivery { msg, delivery } => {
                self.consumer_done(msg, delivery, outcome, span, queue)
            }
            Parent::Continuation { .. } => self.continuation_done(root, outcome, queue),
            Parent::Saga { inst, step, token } => {
                self.saga_execution_done(inst, step, token, outcome, span, queue)
            }
        }
    }

    /// Root cause of a rejection by a full replica: if its workers are held waiting on
    /// downstream calls, the component holding those calls up (found by the same walk as
    /// for a timeout); otherwise the replica's own service (it is simply overloaded).
    fn saturation_root(&self, replica: u32, service: crate::model::ServiceId) -> Component {
        match self.held_worker_call(replica) {
            Some(child) => self.root_cause(child),
            None => Component::Service(service),
        }
    }

    /// Open a trace span for an execution being admitted, if its request is traced.
    fn trace_execution(&mut self, op: OpId, parent: Parent, root: Handle) -> u32 {
        if self.tracer.is_none() {
            return NO_SPAN;
        }
        let parent = match parent {
            Parent::Call(call) => self.calls.get(call).map_or(NO_SPAN, |c| c.span),
            Parent::Delivery { msg, .. } => self.msg_span(msg),
            Parent::Continuation { trigger } => trigger,
            Parent::Saga { inst, .. } => self.saga_span(inst),
        };
        if parent == NO_SPAN {
            return NO_SPAN;
        }
        let Some(r) = self.roots.get_mut(root).filter(|r| r.traced) else {
            return NO_SPAN;
        };
        match self.tracer.as_deref_mut() {
            Some(tracer) => tracer.open_execution(op, parent, &mut r.chain, self.now),
            None => NO_SPAN,
        }
    }

    /// Close a traced execution's span.
    fn trace_execution_end(&mut self, span: u32, outcome: Outcome) {
        if let Some(tracer) = self.tracer.as_deref_mut() {
            if span != NO_SPAN {
                tracer.close(span, self.now, Some(outcome));
            }
        }
    }

    /// A traced execution got its worker now, with its local work when known here.
    #[inline]
    fn trace_begin(&mut self, span: u32, work: Option<SimTime>) {
        if span != NO_SPAN {
            if let Some(t) = self.tracer.as_deref_mut() {
                t.begin(span, self.now, work);
            }
        }
    }

    /// Give an execution a worker and start its local work.
    pub(super) fn begin(&mut self, exec: Handle, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let e = self.execs.get_mut(exec).expect("live execution");
        e.running = true;
        let (op_id, replica_ix, deadline, span) = (e.op, e.replica, e.deadline, e.span);
        let replica = &mut self.replicas[replica_ix as usize];
        if replica.tracks_running {
            e.running_index = replica.running.len() as u32;
            replica.running.push(exec);
        }
        replica.busy += 1;
        let (cold, slowed, cores) = (
            replica.life.cold,
            !replica.slow.is_empty(),
            replica.cores.is_some(),
        );
        let op = &self.sc.operations[op_id.0 as usize];
        let service = op.service.0 as usize;
        self.metrics.services[service].busy.add(now, 1);
        if deadline <= now {
            // Deadline propagation: the caller has given up already; do not do the work.
            self.trace_begin(span, None);
            let outcome = Outcome::Failed(FailureReason::Timeout, Component::Service(op.service));
            self.complete(exec, outcome, queue);
            return;
        }
        let mut work = op.work.sample(&mut self.service_rng[service].work);
        if cold {
            work = self.cold_work(replica_ix, service, work);
        }
        if slowed {
            let sc = self.sc;
            for &f in &self.replicas[replica_ix as usize].slow {
                if let crate::model::FaultKind::Slow { factor, delay } = sc.faults[f as usize].kind
                {
                    work = ((work as f64 * factor).round() as u64).saturating_add(delay);
                }
            }
        }
        if work > 0 && cores {
            // Shared cores: the work's length depends on the sharing (`cpu`).
            let e = self.execs.get_mut(exec).expect("live execution");
            e.started = now;
            e.work = work;
            self.trace_begin(span, None);
            self.cpu_start(exec, replica_ix, work, deadline, queue);
            return;
        }
        let expired = deadline != NO_DEADLINE && now.saturating_add(work) > deadline;
        if expired {
            // Deadline propagation: stop working when the caller's deadline passes.
            work = deadline - now;
        }
        let e = self.execs.get_mut(exec).expect("live execution");
        e.started = now;
        e.work = work;
        e.expired |= expired;
        self.trace_begin(span, Some(work));
        if work == 0 {
            self.work_done(exec, queue);
        } else {
            queue.schedule(now.saturating_add(work), Event::WorkDone { exec });
        }
    }

    #[inline]
    pub(super) fn work_done(&mut self, exec: Handle, queue: &mut EventQueue<Event>) {
        let Some(e) = self.execs.get(exec) else {
            return;
        }; // lost in a crash
        let (op_id, replica_ix, expired) = (e.op, e.replica, e.expired);
        let replica = &mut self.replicas[replica_ix as usize];
        if replica.hung > 0 {
            replica.frozen.push(exec);
            return;
        }
        if expired {
            let service = self.sc.operations[op_id.0 as usize].service;
            let outcome = Outcome::Failed(FailureReason::Timeout, Component::Service(service));
            self.complete(exec, outcome, queue);
            return;
        }
        let sc = self.sc;
        let op = &sc.operations[op_id.0 as usize];
        let rng = &mut self.service_rng[op.service.0 as usize].error;
        let mut failed = rng.chance(op.error_probability);
        for &f in &self.replicas[replica_ix as usize].error {
            if let crate::model::FaultKind::Error { probability } = sc.faults[f as usize].kind {
                failed |= rng.chance(probability);
            }
        }
        if failed {
            let outcome =
                Outcome::Failed(FailureReason::InjectedError, Component::Service(op.service));
            self.complete(exec, outcome, queue);
        } else {
            self.run_group(exec, 0, queue);
        }
    }

    /// Start step group `group` of an execution (or complete it after the last group).
    #[inline]
    pub(super) fn run_group(&mut self, exec: Handle, group: u32, queue: &mut EventQueue<Event>) {
        let sc = self.sc;
        let e = self.execs.get_mut(exec).expect("live execution");
        let op = &sc.operations[e.op.0 as usize];
        let Some(g) = op.groups.get(group as usize) else {
            self.complete(exec, Outcome::Ok, queue);
            return;
        };
        e.group = group;
        e.pending = (g.calls.len() + g.messages.len()) as u32;
        for call in &g.calls {
            self.start_site_call(exec, call.site, 1, queue);
            // A zero-delay path may have finished this group (or the execution) inline.
            match self.execs.get(exec) {
                Some(e) if e.group == group => {}
                _ => return,
            }
        }
        for index in 0..g.messages.len() as u32 {
            self.start_message_step(exec, group, index, queue);
            if !self.execs.contains(exec) {
                return; // the broker was down: the execution failed
            }
        }
    }

    /// Finish an execution: free its worker, abandon its children, reply, and start the
    /// next queued request of the replica.
    pub(super) fn complete(
        &mut self,
        exec: Handle,
        outcome: Outcome,
        queue: &mut EventQueue<Event>,
    ) {
        let now = self.now;
        let e = self.execs.get_mut(exec).expect("live execution");
        let (op, replica, parent, root, arrived, counted) =
            (e.op, e.replica, e.parent, e.root, e.arrived, e.counted);
        let (started, work, span) = (e.started, e.work, e.span);
        let index = e.running_index as usize;
        let outcome = if outcome == Outcome::Ok && e.degraded {
            Outcome::Degraded
        } else {
            outcome
        };
        let has_children = !e.children.is_empty();
        self.trace_execution_end(span, outcome);
        if has_children {
            let e = self.execs.get_mut(exec).expect("live");
            let mut children = std::mem::take(&mut e.children);
            for child in children.drain(..) {
                self.release_call(child);
            }
            // Give the (empty) buffer back so the slot's next user does not allocate.
            self.execs.get_mut(exec).expect("live").children = children;
        }
        self.execs.remove(exec);
        let r = &mut self.replicas[replica as usize];
        r.busy -= 1;
        if r.tracks_running {
            r.running.swap_remove(index);
            if let Some(&moved) = r.running.get(index) {
                self.execs
                    .get_mut(moved)
                    .expect("running execution is live")
                    .running_index = index as u32;
            }
        }
        self.metrics.conservation.executions_finished += 1;
        let service = self.sc.operations[op.0 as usize].service.0 as usize;
        let failed = matches!(outcome, Outcome::Failed(..));
        let m = &mut self.metrics.services[service];
        m.busy.add(now, -1);
        if counted {
            m.completed += 1;
            m.sojourn_sum += (now - arrived) as u128;
            m.queue_wait_sum += (started - arrived) as u128;
            let work = work.min(now - started);
            m.work_sum += work as u128;
            m.downstream_sum += (now - started - work) as u128;
            m.failed += failed as u64;
        }
        let iv = self.metrics.timeline.service_at(service, now);
        iv.completed += 1;
        iv.failed += failed as u64;
        self.answer(parent, root, outcome, span, queue);
        self.start_queued(replica, queue);
        if self.replicas[replica as usize].life.slot == autoscale::Slot::Draining {
            self.drained(replica);
        }
    }

    /// Start queued executions while the replica has free workers.
    #[inline]
    pub(super) fn start_queued(&mut self, replica: u32, queue: &mut EventQueue<Event>) {
        loop {
            let r = &mut self.replicas[replica as usize];
            if r.hung > 0 || r.crashed > 0 || r.busy >= r.workers {
                return;
            }
            let Some(next) = r.queue.pop_front() else {
                return;
            };
            self.metrics.services[r.service as usize]
                .queued
                .add(self.now, -1);
            self.begin(next, queue);
        }
    }

    /// A crash: every execution on the replica, running or queued, is lost; callers get
    /// a fast connection error.
    pub(super) fn crash_replica(&mut self, replica: u32, queue: &mut EventQueue<Event>) {
        let now = self.now;
        self.cpu_crash(replica);
        let victims: Vec<Handle> = self
            .execs
            .handles()
            .filter(|&h| self.execs.get(h).is_some_and(|e| e.replica == replica))
            .collect();
        // First every victim is gone, then the callers hear of it: a caller on this same
        // replica must not see its callee's failure (and finish with it, failing fast)
        // before the crash takes it too.
        let mut lost = Vec::with_capacity(victims.len());
        for exec in victims {
            let e = self.execs.get_mut(exec).expect("live");
            let (op, parent, running, root, span) = (e.op, e.parent, e.running, e.root, e.span);
            let children = std::mem::take(&mut e.children);
            for child in children {
                self.release_call(child);
            }
            self.execs.remove(exec);
            self.touch(root);
            let service = self.sc.operations[op.0 as usize].service;
            let m = &mut self.metrics.services[service.0 as usize];
            if running {
                m.busy.add(now, -1);
            } else {
                m.queued.add(now, -1);
            }
            m.lost_to_crash += 1;
            self.metrics.conservation.executions_lost += 1;
            lost.push((parent, root, span, service));
        }
        for (parent, root, span, service) in lost {
            let outcome =
                Outcome::Failed(FailureReason::ConnectionError, Component::Service(service));
            self.trace_execution_end(span, outcome);
            // A crashed callee sends nothing: if its caller is gone (crashed with it,
            // or it gave up earlier), no reply, late or not, exists to count.
            if matches!(parent, Parent::Call(call) if !self.calls.contains(call)) {
                continue;
            }
            self.answer(parent, root, outcome, span, queue);
        }
        let r = &mut self.replicas[replica as usize];
        r.busy = 0;
        r.running.clear();
        r.queue.clear();
        r.frozen.clear();
        self.drained(replica);
    }

    /// A hang ended: resume the frozen executions, then fill free workers from the queue.
    pub(super) fn unfreeze(&mut self, replica: u32, queue: &mut EventQueue<Event>) {
        let frozen = std::mem::take(&mut self.replicas[replica as usize].frozen);
        for exec in frozen {
            self.work_done(exec, queue);
        }
        self.start_queued(replica, queue);
    }
}
