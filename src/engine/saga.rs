//! Sagas: a state machine per instance that runs the steps' actions and, after a
//! failure, their compensations.
//!
//! Orchestration: the coordinator sends a command over the network to each step's
//! service and waits for its reply; compensations run one by one in reverse order. If
//! the coordinator's replica crashes, durable sagas pause and resume (re-sending the
//! current command) at the restart; non-durable ones are lost: inconsistent if some
//! effect had happened, aborted otherwise.
//! Choreography: every transition is an event through the saga's broker; a failure
//! event triggers every compensation at once.
//!
//! Each step (and each compensation) carries a token; results of superseded sends
//! (timed out, or sent before a coordinator crash) are recognised as stale and ignored.

use super::slab::Handle;
use super::{Engine, Event, Parent, NO_DEADLINE, NO_SPAN};
use crate::kernel::{EventQueue, RngStream, SimTime};
use crate::metrics::Outcome;
use crate::model::{SagaId, SagaStyle};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Forward,
    Compensating,
}

/// How a saga ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Settled {
    Committed,
    Compensated,
    Inconsistent,
    Aborted,
}

pub(super) struct SagaInstance {
    saga: u32,
    root: Handle,
    /// Coordinator replica (orchestration).
    replica: u32,
    phase: Phase,
    /// Forward: the step in progress. Compensating (orchestration): the compensation in
    /// progress.
    step: u32,
    /// Current token per step (stale results carry an older one).
    tokens: Vec<u32>,
    /// Compensation attempts per step.
    attempts: Vec<u32>,
    /// Compensations still to finish (choreography runs them all at once).
    pending: u32,
    /// The next compensation to run, counting down (orchestration).
    next_compensation: Option<u32>,
    started: SimTime,
    first_effect: Option<SimTime>,
    failed_at: SimTime,
    inconsistent: bool,
    messages: u64,
    /// Waiting for the coordinator to restart (durable orchestration).
    paused: bool,
    counted: bool,
    /// Trace span of the latest cause of its next step: the execution that started the
    /// saga, then the last step execution that finished (`NO_SPAN` when not traced).
    span: u32,
}

/// Saga state of one replication.
pub(super) struct Sagas {
    instances: super::slab::Slab<SagaInstance>,
    rng: RngStream,
}

impl Sagas {
    /// Saga instances not yet settled.
    pub fn in_flight(&self) -> usize {
        self.instances.len()
    }

    /// The saga definition of instance `inst`, if it is still running.
    pub fn saga_of(&self, inst: super::slab::Handle) -> Option<u32> {
        self.instances.get(inst).map(|i| i.saga)
    }

    pub fn new(key: &impl Fn(&str, u64) -> RngStream) -> Self {
        Sagas {
            instances: super::slab::Slab::new(),
            rng: key("sagas", 30),
        }
    }
}

impl Engine<'_> {
    /// Start an instance of saga `s` for request `root`.
    pub(super) fn start_saga(
        &mut self,
        s: SagaId,
        root: Handle,
        cause: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let def = &self.sc.sagas[s.0 as usize];
        let n = def.steps.len();
        let replica = match def.style {
            SagaStyle::Orchestration { coordinator, .. } => self.pick_replica(coordinator),
            SagaStyle::Choreography { .. } => 0,
        };
        let counted = self.now >= self.sc.sim.warmup;
        let inst = SagaInstance {
            saga: s.0,
            root,
            replica,
            phase: Phase::Forward,
            step: 0,
            tokens: vec![0; n],
            attempts: vec![0; n],
            pending: 0,
            next_compensation: None,
            started: self.now,
            first_effect: None,
            failed_at: 0,
            inconsistent: false,
            messages: 0,
            paused: false,
            counted,
            span: cause,
        };
        let h = self.sagas.instances.insert_recycling(inst, |old, new| {
            // Reuse the per-step buffers.
            std::mem::swap(&mut old.tokens, &mut new.tokens);
            std::mem::swap(&mut old.attempts, &mut new.attempts);
            new.tokens.clear();
            new.tokens.resize(n, 0);
            new.attempts.clear();
            new.attempts.resize(n, 0);
        });
        if counted {
            self.metrics.sagas[s.0 as usize].started += 1;
        }
        if let Some(r) = self.roots.get_mut(root) {
            r.outstanding += 1;
        }
        self.saga_send(h, 0, queue);
    }

    /// One hop of a message of saga instance `h` about `step` in `phase`: over the link
    /// between the coordinator and the step's service (orchestration; `None` when the
    /// message is lost to a partition or the link's loss), or through the broker
    /// (choreography).
    fn saga_hop(&mut self, h: Handle, step: u32, phase: Phase) -> Option<SimTime> {
        let inst = self.sagas.instances.get(h).expect("live saga");
        let (saga, root) = (inst.saga as usize, inst.root);
        match self.sc.sagas[saga].style {
            SagaStyle::Orchestration { .. } => {
                let s = &self.sc.sagas[saga].steps[step as usize];
                let link = match phase {
                    Phase::Forward => s.action_link,
                    Phase::Compensating => s.compensate_link,
                };
                self.wire(link.0, 0, root)
            }
            SagaStyle::Choreography { broker } => {
                let b = &self.sc.brokers[broker.0 as usize];
                let mut rng = std::mem::replace(&mut self.sagas.rng, RngStream::from_seed(0));
                let t = b
                    .publish_latency
                    .sample(&mut rng)
                    .saturating_add(b.delivery_latency.sample(&mut rng));
                self.sagas.rng = rng;
                Some(t)
            }
        }
    }

    /// The result of `step` travels back to the coordinator (unless the hop loses it).
    fn saga_send_result(
        &mut self,
        h: Handle,
        step: u32,
        token: u32,
        ok: bool,
        phase: Phase,
        queue: &mut EventQueue<Event>,
    ) {
        if let Some(delay) = self.saga_hop(h, step, phase) {
            let result = Event::SagaResult {
                inst: h,
                step,
                token,
                ok,
            };
            queue.schedule(self.now.saturating_add(delay), result);
        }
    }

    /// Send the command (or event) for `step` in the instance's current phase.
    fn saga_send(&mut self, h: Handle, step: u32, queue: &mut EventQueue<Event>) {
        let Some(inst) = self.sagas.instances.get_mut(h) else {
            return;
        };
        inst.tokens[step as usize] += 1;
        inst.messages += 1;
        let (saga, token, phase) = (inst.saga, inst.tokens[step as usize], inst.phase);
        if let Some(delay) = self.saga_hop(h, step, phase) {
            queue.schedule(
                self.now.saturating_add(delay),
                Event::SagaDispatch {
                    inst: h,
                    step,
                    token,
                },
            );
        } // lost: only the step's timeout (if any) will notice
        if phase == Phase::Forward {
            if let Some(t) = self.sc.sagas[saga as usize].steps[step as usize].timeout {
                queue.schedule(
                    self.now.saturating_add(t),
                    Event::SagaTimeout {
                        inst: h,
                        step,
                        token,
                    },
                );
            }
        }
    }

    fn saga_current(&self, h: Handle, step: u32, token: u32) -> Option<&SagaInstance> {
        self.sagas
            .instances
            .get(h)
            .filter(|i| i.tokens[step as usize] == token && !i.paused)
    }

    /// A command or event reaches the step's service: run the action or compensation.
    pub(super) fn on_saga_dispatch(
        &mut self,
        h: Handle,
        step: u32,
        token: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let Some(inst) = self.saga_current(h, step, token) else {
            return;
        };
        let def = &self.sc.sagas[inst.saga as usize];
        let (root, phase) = (inst.root, inst.phase);
        let s = def.steps[step as usize];
        let op = match phase {
            Phase::Forward => s.action,
            Phase::Compensating => s
                .compensate
                .expect("only steps with a compensation are compensated"),
        };
        let service = self.sc.operations[op.0 as usize].service;
        let replica = self.pick_replica(service);
        let parent = Parent::Saga {
            inst: h,
            step,
            token,
        };
        if self
            .admit(op, replica, parent, root, NO_DEADLINE, queue)
            .is_err()
        {
            // Refused (down or full): the failure comes back like a reply.
            self.saga_send_result(h, step, token, false, phase, queue);
        }
    }

    /// The trace span that causes saga `h`'s next step.
    pub(super) fn saga_span(&self, h: Handle) -> u32 {
        self.sagas.instances.get(h).map_or(NO_SPAN, |i| i.span)
    }

    /// A saga execution finished: its result travels back (or on as an event).
    pub(super) fn saga_execution_done(
        &mut self,
        h: Handle,
        step: u32,
        token: u32,
        outcome: Outcome,
        span: u32,
        queue: &mut EventQueue<Event>,
    ) {
        if span != NO_SPAN && self.saga_current(h, step, token).is_some() {
            self.sagas.instances.get_mut(h).expect("current").span = span;
        }
        let Some(inst) = self.sagas.instances.get(h) else {
            return;
        };
        let (saga, phase) = (inst.saga, inst.phase);
        let def = &self.sc.sagas[saga as usize];
        let mut ok = !matches!(outcome, Outcome::Failed(..));
        if ok && phase == Phase::Forward {
            let fail = def.steps[step as usize].fail;
            ok = !self.sagas.rng.chance(fail);
        }
        // A committed action is an effect, even if its result arrives too late.
        if ok && phase == Phase::Forward {
            let now = self.now;
            let inst = self.sagas.instances.get_mut(h).expect("live");
            inst.first_effect.get_or_insert(now);
        }
        let counted = self.sagas.instances.get(h).expect("live").counted;
        if ok && counted {
            let m = &mut self.metrics.sagas[saga as usize];
            match phase {
                Phase::Forward => m.actions_ok[step as usize] += 1,
                Phase::Compensating => m.compensations_ok[step as usize] += 1,
            }
        }
        match def.style {
            SagaStyle::Orchestration { .. } => {
                // The reply travels back to the coordinator.
                self.sagas.instances.get_mut(h).expect("live").messages += 1;
                self.saga_send_result(h, step, token, ok, phase, queue);
            }
            SagaStyle::Choreography { .. } => {
                // The service publishes its outcome as an event; the event's delivery
                // to the next service (or to the compensating ones) is the next send.
                if self.saga_current(h, step, token).is_some() {
                    self.sagas.instances.get_mut(h).expect("live").tokens[step as usize] += 1;
                    self.saga_apply_result(h, step, ok, queue);
                }
            }
        }
    }

    pub(super) fn on_saga_timeout(
        &mut self,
        h: Handle,
        step: u32,
        token: u32,
        queue: &mut EventQueue<Event>,
    ) {
        if self.saga_current(h, step, token).is_none() {
            return;
        }
        // The action's effect is unknown: compensate it too.
        let inst = self.sagas.instances.get_mut(h).expect("live");
        inst.tokens[step as usize] += 1;
        self.saga_fail_forward(h, step + 1, queue);
    }

    /// The result of a step (or compensation) reaches the coordinator / the next service.
    pub(super) fn on_saga_result(
        &mut self,
        h: Handle,
        step: u32,
        token: u32,
        ok: bool,
        queue: &mut EventQueue<Event>,
    ) {
        if self.saga_current(h, step, token).is_none() {
            return;
        }
        self.sagas.instances.get_mut(h).expect("live").tokens[step as usize] += 1; // consumed
        self.saga_apply_result(h, step, ok, queue);
    }

    /// Act on the outcome of `step` in the instance's current phase.
    fn saga_apply_result(&mut self, h: Handle, step: u32, ok: bool, queue: &mut EventQueue<Event>) {
        let inst = self.sagas.instances.get(h).expect("live");
        let (saga, phase) = (inst.saga, inst.phase);
        let n = self.sc.sagas[saga as usize].steps.len() as u32;
        match (phase, ok) {
            (Phase::Forward, true) if step + 1 == n => {
                self.saga_settle(h, Settled::Committed, queue)
            }
            (Phase::Forward, true) => {
                self.sagas.instances.get_mut(h).expect("live").step = step + 1;
                self.saga_send(h, step + 1, queue);
            }
            (Phase::Forward, false) => self.saga_fail_forward(h, step, queue),
            (Phase::Compensating, true) => self.saga_compensation_done(h, queue),
            (Phase::Compensating, false) => {
                let def = &self.sc.sagas[saga as usize];
                let inst = self.sagas.instances.get_mut(h).expect("live");
                inst.attempts[step as usize] += 1;
                if inst.attempts[step as usize] < def.compensation_attempts {
                    let at = self.now.saturating_add(def.compensation_backoff);
                    queue.schedule(at, Event::SagaRetry { inst: h, step });
                } else {
                    inst.inconsistent = true;
                    self.saga_compensation_done(h, queue);
                }
            }
        }
    }

    pub(super) fn on_saga_retry(&mut self, h: Handle, step: u32, queue: &mut EventQueue<Event>) {
        if self.sagas.instances.get(h).is_some_and(|i| !i.paused) {
            self.saga_send(h, step, queue);
        }
    }

    /// Step `failed` failed: compensate the steps before `upto` that have a compensation.
    fn saga_fail_forward(&mut self, h: Handle, upto: u32, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let inst = self.sagas.instances.get_mut(h).expect("live");
        inst.phase = Phase::Compensating;
        inst.failed_at = now;
        let def = &self.sc.sagas[inst.saga as usize];
        let to_undo: Vec<u32> = (0..upto)
            .rev()
            .filter(|&i| def.steps[i as usize].compensate.is_some())
            .collect();
        if to_undo.is_empty() {
            self.saga_settle(h, Settled::Compensated, queue);
            return;
        }
        match def.style {
            SagaStyle::Choreography { .. } => {
                inst.pending = to_undo.len() as u32;
                for step in to_undo {
                    self.saga_send(h, step, queue);
                }
            }
            SagaStyle::Orchestration { .. } => {
                inst.pending = to_undo.len() as u32;
                inst.next_compensation = Some(to_undo[0]);
                self.saga_send(h, to_undo[0], queue);
            }
        }
    }

    /// One compensation is over (succeeded or given up): run the next or settle.
    fn saga_compensation_done(&mut self, h: Handle, queue: &mut EventQueue<Event>) {
        let inst = self.sagas.instances.get_mut(h).expect("live");
        inst.pending -= 1;
        if inst.pending == 0 {
            let outcome = if inst.inconsistent {
                Settled::Inconsistent
            } else {
                Settled::Compensated
            };
            self.saga_settle(h, outcome, queue);
            return;
        }
        let def = &self.sc.sagas[inst.saga as usize];
        if let (SagaStyle::Orchestration { .. }, Some(current)) =
            (def.style, inst.next_compensation)
        {
            let next = (0..current)
                .rev()
                .find(|&i| def.steps[i as usize].compensate.is_some());
            inst.next_compensation = next;
            if let Some(step) = next {
                self.saga_send(h, step, queue);
            }
        }
    }

    fn saga_settle(&mut self, h: Handle, outcome: Settled, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let inst = self.sagas.instances.get(h).expect("live");
        let (saga, root, counted) = (inst.saga as usize, inst.root, inst.counted);
        if counted {
            let m = &mut self.metrics.sagas[saga];
            match outcome {
                Settled::Committed => m.committed += 1,
                Settled::Compensated => m.compensated += 1,
                Settled::Inconsistent => m.inconsistent += 1,
                Settled::Aborted => m.aborted += 1,
            }
            let latency = now - inst.started;
            m.latency.saturating_record(latency.max(1));
            m.latency_sum += latency as u128;
            if let Some(t) = inst.first_effect {
                m.window_sum += (now - t) as u128;
                m.windows += 1;
            }
            if inst.phase == Phase::Compensating {
                m.compensation_sum += (now - inst.failed_at) as u128;
                m.compensations += 1;
            }
            m.messages += inst.messages;
        }
        self.sagas.instances.remove(h);
        self.root_done(root, outcome != Settled::Committed, queue);
    }

    /// The coordinator replica crashed: durable sagas pause, the others are lost.
    pub(super) fn saga_coordinator_crash(&mut self, replica: u32, queue: &mut EventQueue<Event>) {
        let hit: Vec<Handle> = self
            .sagas
            .instances
            .handles()
            .filter(|&h| {
                let i = self.sagas.instances.get(h).expect("live");
                i.replica == replica
                    && matches!(
                        self.sc.sagas[i.saga as usize].style,
                        SagaStyle::Orchestration { .. }
                    )
            })
            .collect();
        for h in hit {
            let inst = self.sagas.instances.get_mut(h).expect("live");
            let durable = matches!(
                self.sc.sagas[inst.saga as usize].style,
                SagaStyle::Orchestration { durable: true, .. }
            );
            if durable {
                inst.paused = true;
                inst.tokens.iter_mut().for_each(|t| *t += 1); // in-flight results are lost
            } else {
                let outcome = if inst.first_effect.is_some() {
                    Settled::Inconsistent
                } else {
                    Settled::Aborted
                };
                self.saga_settle(h, outcome, queue);
            }
        }
    }

    /// The coordinator replica restarted: durable sagas resume where they were.
    pub(super) fn saga_coordinator_restart(&mut self, replica: u32, queue: &mut EventQueue<Event>) {
        let paused: Vec<Handle> = self
            .sagas
            .instances
            .handles()
            .filter(|&h| {
                self.sagas
                    .instances
                    .get(h)
                    .is_some_and(|i| i.paused && i.replica == replica)
            })
            .collect();
        for h in paused {
            let inst = self.sagas.instances.get_mut(h).expect("live");
            inst.paused = false;
            match inst.phase {
                Phase::Forward => {
                    let step = inst.step;
                    self.saga_send(h, step, queue);
                }
                Phase::Compensating => {
                    if let Some(step) = inst.next_compensation {
                        self.saga_send(h, step, queue);
                    }
                }
            }
        }
    }

    /// End of run: sagas still compensating (or paused mid-compensation) are
    /// inconsistent; the others are in progress.
    pub(super) fn saga_finish(&mut self) {
        for inst in self.sagas.instances.iter() {
            if !inst.counted {
                continue;
            }
            let m = &mut self.metrics.sagas[inst.saga as usize];
            match inst.phase {
                Phase::Compensating => m.inconsistent += 1,
                Phase::Forward => m.in_progress += 1,
            }
        }
    }
}
