//! Request-reply, the reply side: a reply that arrives in time runs the caller's
//! continuation; one that does not counts as a reply timeout and runs the `on_timeout`
//! continuation, if any. Either way the root request's outstanding work shrinks.

use super::slab::Handle;
use super::{Engine, Event, Parent, NO_DEADLINE};
use crate::kernel::EventQueue;
use crate::metrics::Outcome;
use crate::model::OpId;

impl Engine<'_> {
    pub(super) fn on_reply_arrive(&mut self, pending: Handle, queue: &mut EventQueue<Event>) {
        let Some(req) = self.msgs.pending.get(pending) else {
            self.metrics.late_replies += 1; // the request had timed out: discarded
            return;
        };
        let (root, then, span) = (req.root, req.then, req.span);
        self.msgs.pending.remove(pending);
        self.run_continuation(then, root, span, queue);
    }

    pub(super) fn on_reply_timeout(&mut self, pending: Handle, queue: &mut EventQueue<Event>) {
        let Some(req) = self.msgs.pending.get(pending) else {
            return;
        };
        let (root, on_timeout, span) = (req.root, req.on_timeout, req.span);
        self.msgs.pending.remove(pending);
        self.metrics.reply_timeouts += 1;
        if let Some(r) = self.roots.get_mut(root) {
            r.async_failed = true;
        }
        match on_timeout {
            Some(op) => self.run_continuation(op, root, span, queue),
            None => self.root_done(root, true, queue),
        }
    }

    fn run_continuation(
        &mut self,
        op: OpId,
        root: Handle,
        trigger: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let service = self.sc.operations[op.0 as usize].service;
        let replica = self.pick_replica(service);
        if self
            .admit(
                op,
                replica,
                Parent::Continuation { trigger },
                root,
                NO_DEADLINE,
                queue,
            )
            .is_err()
        {
            self.root_done(root, true, queue);
        }
    }

    /// A continuation execution finished.
    pub(super) fn continuation_done(
        &mut self,
        root: Handle,
        outcome: Outcome,
        queue: &mut EventQueue<Event>,
    ) {
        self.root_done(root, matches!(outcome, Outcome::Failed(..)), queue);
    }
}
