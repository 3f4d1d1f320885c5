//! Clients: open-loop arrivals, closed-loop users, the entry rate limiter, responses,
//! and a request's outstanding work up to its completion.

use super::slab::Handle;
use super::{Caller, Engine, Event, RootState, NO_DEADLINE, NO_SITE};
use crate::kernel::{EventQueue, SimTime};
use crate::metrics::{Component, FailureReason, Outcome, ResponseFacts};
use crate::model::Arrivals;

impl Engine<'_> {
    pub(super) fn start_clients(&mut self, queue: &mut EventQueue<Event>) {
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

    pub(super) fn on_arrival(&mut self, workload: u32, queue: &mut EventQueue<Event>) {
        self.client_send(workload, 0, queue);
        if let Some(t) = self.next_arrival(workload as usize, self.now) {
            queue.schedule(t, Event::Arrival { workload });
        }
    }

    /// Time of the next open-loop arrival after `now`, or `None` past the horizon.
    fn next_arrival(&mut self, w: usize, now: SimTime) -> Option<SimTime> {
        let horizon = self.sc.sim.duration;
        let state = &mut self.workloads[w];
        let t = match &self.sc.workloads[w].arrivals {
            Arrivals::Poisson { rate } => now.saturating_add(exp_gap(&mut state.arrivals, *rate)),
            Arrivals::Constant { rate } => {
                now.saturating_add((1e9 / rate).round().max(1.0) as SimTime)
            }
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

    /// Token bucket at the entry: whether a request may enter now.
    fn rate_limit_admits(&mut self, workload: usize) -> bool {
        let Some(limit) = self.sc.workloads[workload].rate_limit else {
            return true;
        };
        let st = &mut self.workloads[workload];
        let elapsed = (self.now - st.refilled) as f64 / 1e9;
        st.tokens = (st.tokens + elapsed * limit.rate).min(limit.burst as f64);
        st.refilled = self.now;
        if st.tokens >= 1.0 {
            st.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Time until the rate limiter of `workload` holds a whole token again (at least 1 ns).
    fn rate_limit_wait(&self, workload: usize) -> SimTime {
        let Some(limit) = self.sc.workloads[workload].rate_limit else {
            return 0;
        };
        let missing = (1.0 - self.workloads[workload].tokens).max(0.0);
        ((missing / limit.rate * 1e9).ceil() as SimTime).max(1)
    }

    pub(super) fn client_send(&mut self, workload: u32, user: u32, queue: &mut EventQueue<Event>) {
        let w = workload as usize;
        let wl = &self.sc.workloads[w];
        let (entry, link, timeout) = (wl.entry, wl.link.0, wl.timeout);
        let deadline = match (wl.deadline, timeout) {
            (true, Some(t)) => self.now.saturating_add(t),
            _ => NO_DEADLINE,
        };
        let cost = self.sc.protocol(wl.protocol).cost(1024);
        self.metrics.conservation.requests_sent += 1;
        let counted = self.now >= self.sc.sim.warmup;
        if counted {
            self.metrics.flows[w].generated += 1;
            if self.active_faults > 0 {
                self.metrics.flows[w].during_fault.requests += 1;
            }
        }
        let caller = Caller::Client { workload, user };
        let ordinal = self.metrics.conservation.requests_sent - 1;
        let in_flow = self.metrics.flows[w].sent_with_warmup;
        self.metrics.flows[w].sent_with_warmup += 1;
        let mut state = RootState {
            workload,
            sent: self.now,
            ordinal,
            in_flow,
            traced: false,
            chain: super::trace::Chain::EMPTY,
            outstanding: 1,
            touched_fault: false,
            during_fault: self.active_faults > 0,
            async_failed: false,
            response_failed: false,
            completes_late: false,
        };
        state.traced = self
            .tracer
            .as_deref()
            .is_some_and(|t| t.traces(&state.trace_request()));
        let root = self.roots.insert(state);
        if !self.rate_limit_admits(w) {
            let service = self.sc.operations[entry.0 as usize].service;
            let outcome = Outcome::Failed(
                FailureReason::RejectedRateLimited,
                Component::Service(service),
            );
            self.client_response(workload, user, outcome, root, queue);
            return;
        }
        self.send_call(
            caller, root, entry, link, cost, timeout, NO_SITE, 1, deadline, queue,
        );
    }

    /// A client receives its response (or gives up).
    pub(super) fn client_response(
        &mut self,
        workload: u32,
        user: u32,
        outcome: Outcome,
        root: Handle,
        queue: &mut EventQueue<Event>,
    ) {
        let w = workload as usize;
        let now = self.now;
        let r = self
            .roots
            .get_mut(root)
            .expect("a request is live until its response");
        let (sent, touched_fault, sent_during_fault) = (r.sent, r.touched_fault, r.during_fault);
        let (ordinal, traced) = (r.ordinal, r.traced);
        let traced = traced.then(|| (r.chain, r.trace_request()));
        let failed = matches!(outcome, Outcome::Failed(..));
        r.response_failed = failed;
        // The response is the last piece of work unless messages or replies are pending.
        let completes_late = r.outstanding > 1;
        r.completes_late = completes_late;
        self.metrics.conservation.requests_answered += 1;
        if sent >= self.sc.sim.warmup {
            let entry = self.sc.operations[self.sc.workloads[w].entry.0 as usize].service;
            let facts = ResponseFacts {
                latency: now - sent,
                outcome,
                entry,
                touched_fault,
                sent_during_fault,
            };
            let flow = &mut self.metrics.flows[w];
            flow.record(facts);
            if completes_late {
                flow.record_late_response((now - sent).max(1));
            }
            flow.slowest.offer(now - sent, ordinal);
            if let Some((chain, request)) = traced {
                if let Some(t) = self.tracer.as_deref_mut() {
                    t.responded(&request, chain, now - sent);
                }
            }
            let iv = self.metrics.timeline.flow_at(w, now);
            iv.responses += 1;
            if let Outcome::Failed(_, root) = outcome {
                iv.failed += 1;
                let cascade = root != Component::Service(entry);
                iv.cascade += cascade as u64;
                iv.collateral += (cascade && !touched_fault) as u64;
            }
            self.metrics.timeline.record_latency(w, (now - sent).max(1));
        }
        if let Arrivals::Closed { think, .. } = &self.sc.workloads[w].arrivals {
            let mut t = think.sample(&mut self.workloads[w].think);
            if let Outcome::Failed(FailureReason::RejectedRateLimited, _) = outcome {
                // Retry-After: a refused user waits for the bucket's next token, as an
                // HTTP 429 tells it to (with no think time it would otherwise resend at
                // the same instant for ever).
                t = t.max(self.rate_limit_wait(w));
            }
            queue.schedule(now.saturating_add(t), Event::UserSend { workload, user });
        }
        self.root_done(root, failed, queue);
    }

    /// `n` more pieces of work (messages, pending replies) for the request at `root`.
    pub(super) fn add_outstanding(&mut self, root: Handle, n: u32) {
        if let Some(r) = self.roots.get_mut(root) {
            r.outstanding += n;
        }
    }

    /// One piece of a request's work is over; record the completion when it was the last.
    pub(super) fn root_done(&mut self, root: Handle, failed: bool, _queue: &mut EventQueue<Event>) {
        let Some(r) = self.roots.get_mut(root) else {
            return;
        };
        r.async_failed |= failed;
        r.outstanding -= 1;
        if r.outstanding > 0 {
            return;
        }
        let (w, sent, ok, ordinal, traced, late) = (
            r.workload as usize,
            r.sent,
            !r.async_failed && !r.response_failed,
            r.ordinal,
            r.traced,
            r.completes_late,
        );
        let (request, chain) = (r.trace_request(), r.chain);
        self.roots.remove(root);
        if traced {
            if let Some(t) = self.tracer.as_deref_mut() {
                t.completed(&request, chain, self.now, ok);
            }
        }
        if sent >= self.sc.sim.warmup {
            let f = &mut self.metrics.flows[w];
            let latency = self.now - sent;
            if late {
                // Completions at the response are added from the responses at the end.
                f.record_late_completion(latency.max(1));
            }
            f.completion_sum += latency as u128;
            f.slowest_completions.offer(latency, ordinal);
            if ok {
                f.completed_ok += 1;
            } else {
                f.completed_failed += 1;
            }
        }
    }
}

/// Exponential inter-arrival gap for `rate` per second, in ns (at least 1).
#[inline]
fn exp_gap(rng: &mut crate::kernel::RngStream, rate: f64) -> SimTime {
    let gap = -(1.0 - rng.unit()).ln() * 1e9 / rate;
    crate::kernel::round_ns(gap).max(1)
}
