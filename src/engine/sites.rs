//! Call sites: the resilience policies (retry with backoff and budget, hedging, circuit
//! breaker, bulkhead, connection pool, fallback) that turn a step's logical call into
//! attempts, and what becomes of the step when its attempts succeed or fail.

use super::breaker::Admission;
use super::slab::Handle;
use super::{Caller, Engine, Event};
use crate::kernel::{EventQueue, SimTime};
use crate::metrics::{BreakerState, BreakerTransition, Component, FailureReason, Outcome};
use crate::model::RetryPolicy;

/// Cap of a retry budget's token bucket.
const RETRY_BUDGET_CAP: f64 = 10.0;

impl Engine<'_> {
    pub(super) fn site_has_attempts(&self, exec: Handle, site: u32) -> bool {
        let e = self.execs.get(exec).expect("live execution");
        e.children
            .iter()
            .any(|&h| self.calls.get(h).is_some_and(|c| c.site == site))
    }

    pub(super) fn abandon_site_attempts(&mut self, exec: Handle, site: u32) {
        // Usually there is none (only hedging keeps two attempts of a call out at once).
        if !self.site_has_attempts(exec, site) {
            return;
        }
        let e = self.execs.get_mut(exec).expect("live execution");
        let mut children = std::mem::take(&mut e.children);
        children.retain(|&h| {
            let same = self.calls.get(h).is_some_and(|c| c.site == site);
            if same {
                self.release_call(h);
            }
            !same
        });
        self.execs.get_mut(exec).expect("live execution").children = children;
    }

    /// A logical call of the current group succeeded.
    pub(super) fn site_succeeded(&mut self, exec: Handle, queue: &mut EventQueue<Event>) {
        let e = self.execs.get_mut(exec).expect("live execution");
        e.pending -= 1;
        if e.pending == 0 {
            let next = e.group + 1;
            self.run_group(exec, next, queue);
        }
    }

    /// A logical call failed (an attempt failed with no other attempt out, or a policy
    /// refused it): retry, fall back, or fail the execution.
    pub(super) fn site_failed(
        &mut self,
        exec: Handle,
        site: u32,
        attempt: u32,
        outcome: Outcome,
        retryable: bool,
        queue: &mut EventQueue<Event>,
    ) {
        let policies = &self.sc.policies[site as usize];
        // A refusal by a breaker, a bulkhead or a rate limiter (here or propagated from
        // below) says "back off": it is never retried.
        let retryable = retryable
            && !matches!(
                outcome,
                Outcome::Failed(
                    FailureReason::RejectedCircuitOpen
                        | FailureReason::RejectedBulkheadFull
                        | FailureReason::RejectedRateLimited,
                    _
                )
            );
        if let (true, Some(retry)) = (retryable, &policies.retry) {
            if attempt < retry.max_attempts {
                let st = &mut self.sites[site as usize];
                let allowed = match retry.budget {
                    None => true,
                    Some(_) if st.retry_tokens >= 1.0 => {
                        st.retry_tokens -= 1.0;
                        true
                    }
                    Some(_) => false,
                };
                if allowed {
                    self.metrics.sites[site as usize].retries += 1;
                    let delay = backoff(retry, attempt, &mut self.sites[site as usize].retry_rng);
                    if delay == 0 {
                        self.start_site_call(exec, site, attempt + 1, queue);
                    } else {
                        queue.schedule(
                            self.now.saturating_add(delay),
                            Event::Retry {
                                exec,
                                site,
                                attempt: attempt + 1,
                            },
                        );
                    }
                    return;
                }
                self.metrics.sites[site as usize].retries_denied += 1;
            }
        }
        if let Some(fallback) = &policies.fallback {
            let e = self.execs.get_mut(exec).expect("live execution");
            e.degraded = true;
            let service = self.sc.operations[e.op.0 as usize].service.0 as usize;
            self.metrics.sites[site as usize].fallbacks += 1;
            let work = fallback.sample(&mut self.service_rng[service].work);
            if work == 0 {
                self.site_succeeded(exec, queue);
            } else {
                queue.schedule(self.now.saturating_add(work), Event::FallbackDone { exec });
            }
            return;
        }
        // Fail fast: the error (with its root cause) propagates to our caller.
        self.complete(exec, outcome, queue);
    }

    /// Start attempt `attempt` of the logical call at `site` made by `exec`.
    pub(super) fn start_site_call(
        &mut self,
        exec: Handle,
        site: u32,
        attempt: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let e = self.execs.get(exec).expect("live execution");
        let (deadline, root, op) = (e.deadline, e.root, e.op);
        let s = site as usize;
        let policies = &self.sc.policies[s];
        if attempt == 1 {
            self.metrics.sites[s].calls += 1;
            if let Some(b) = policies.retry.as_ref().and_then(|r| r.budget) {
                let st = &mut self.sites[s];
                st.retry_tokens = (st.retry_tokens + b).min(RETRY_BUDGET_CAP);
            }
        }
        if deadline <= self.now {
            // The caller's deadline has passed: do not even try.
            let own_service = self.sc.operations[op.0 as usize].service;
            let outcome = Outcome::Failed(FailureReason::Timeout, Component::Service(own_service));
            self.site_failed(exec, site, attempt, outcome, false, queue);
            return;
        }
        if self.sites[s].direct {
            // No breaker, bulkhead, pool or hedge to consult: send it.
            self.send_attempt(exec, site, attempt, root, deadline, queue);
            return;
        }
        let target_service = self.sc.operations[self.sites[s].call.target.0 as usize].service;
        if let Some(b) = self.sites[s].breaker.as_mut() {
            if b.admit() == Admission::Refuse {
                self.metrics.sites[s].breaker_rejections += 1;
                let outcome = Outcome::Failed(
                    FailureReason::RejectedCircuitOpen,
                    Component::Service(target_service),
                );
                self.site_failed(exec, site, attempt, outcome, false, queue);
                return;
            }
        }
        if let Some(max) = policies.bulkhead {
            if self.sites[s].in_flight >= max {
                self.metrics.sites[s].bulkhead_rejections += 1;
                let outcome = Outcome::Failed(
                    FailureReason::RejectedBulkheadFull,
                    Component::Service(target_service),
                );
                self.site_failed(exec, site, attempt, outcome, false, queue);
                return;
            }
        }
        if self.pool_admit(exec, site, attempt, queue) {
            self.launch(exec, site, attempt, queue);
        }
    }

    /// Send attempt `attempt` of `exec`'s call at `site` (its pool slot, if any, is
    /// held) and arm its hedge.
    pub(super) fn launch(
        &mut self,
        exec: Handle,
        site: u32,
        attempt: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let e = self.execs.get(exec).expect("live execution");
        let (deadline, root) = (e.deadline, e.root);
        let hedge = self.sc.policies[site as usize].hedge;
        let child = self.send_attempt(exec, site, attempt, root, deadline, queue);
        if let (Some(h), Some(child)) = (hedge, child) {
            queue.schedule(
                self.now.saturating_add(h),
                Event::Hedge {
                    exec,
                    site,
                    call: child,
                },
            );
        }
    }

    /// Send one attempt for `exec` and register it as a child. Returns the attempt if it
    /// is still outstanding (it may have completed inline over a zero-delay path).
    #[inline(always)]
    fn send_attempt(
        &mut self,
        exec: Handle,
        site: u32,
        attempt: u32,
        root: Handle,
        deadline: SimTime,
        queue: &mut EventQueue<Event>,
    ) -> Option<Handle> {
        let s = site as usize;
        let call = self.sites[s].call;
        self.sites[s].in_flight += 1;
        self.metrics.sites[s].attempts += 1;
        let cost = self.sc.protocol(call.protocol).cost(call.payload_bytes);
        let group = self.execs.get(exec).expect("live execution").group;
        let child = self.send_call(
            Caller::Execution(exec),
            root,
            call.target,
            call.link.0,
            cost,
            call.timeout,
            site,
            attempt,
            deadline,
            queue,
        );
        match self.execs.get_mut(exec) {
            Some(e) if e.group == group && self.calls.contains(child) => {
                e.children.push(child);
                Some(child)
            }
            _ => None,
        }
    }

    pub(super) fn on_retry(
        &mut self,
        exec: Handle,
        site: u32,
        attempt: u32,
        queue: &mut EventQueue<Event>,
    ) {
        if self.execs.contains(exec) {
            self.start_site_call(exec, site, attempt, queue);
        }
    }

    /// Send a second attempt if the first is still unanswered (and the breaker and the
    /// bulkhead allow it).
    pub(super) fn on_hedge(
        &mut self,
        exec: Handle,
        site: u32,
        call: Handle,
        queue: &mut EventQueue<Event>,
    ) {
        let Some(c) = self.calls.get(call) else {
            return;
        };
        let (attempt, deadline, root) = (c.attempt, c.deadline, c.root);
        let s = site as usize;
        if let Some(b) = self.sites[s].breaker.as_mut() {
            if b.admit() == Admission::Refuse {
                return;
            }
        }
        if let Some(max) = self.sc.policies[s].bulkhead {
            if self.sites[s].in_flight >= max {
                return;
            }
        }
        if !self.pool_try(exec, site) {
            return;
        }
        self.metrics.sites[s].hedges += 1;
        self.send_attempt(exec, site, attempt, root, deadline, queue);
    }

    pub(super) fn on_fallback_done(&mut self, exec: Handle, queue: &mut EventQueue<Event>) {
        if self.execs.contains(exec) {
            self.site_succeeded(exec, queue);
        }
    }

    pub(super) fn breaker_record(
        &mut self,
        site: u32,
        failed: bool,
        queue: &mut EventQueue<Event>,
    ) {
        let now = self.now;
        let Some(b) = self.sites[site as usize].breaker.as_mut() else {
            return;
        };
        let from = b.state();
        if let Some(to) = b.record(now, failed) {
            if to == BreakerState::Open {
                queue.schedule(
                    now.saturating_add(b.open_for()),
                    Event::BreakerHalfOpen { site },
                );
                self.metrics.breaker_opened[site as usize] += 1;
            }
            self.metrics.list_transition(BreakerTransition {
                time_s: now as f64 / 1e9,
                site,
                from,
                to,
            });
        }
    }

    pub(super) fn on_breaker_half_open(&mut self, site: u32) {
        let now = self.now;
        if let Some(b) = self.sites[site as usize].breaker.as_mut() {
            if b.half_open() {
                self.metrics.list_transition(BreakerTransition {
                    time_s: now as f64 / 1e9,
                    site,
                    from: BreakerState::Open,
                    to: BreakerState::HalfOpen,
                });
            }
        }
    }
}

/// Delay before retry number `attempt` (1 = the first retry): exponential, capped, with
/// optional full jitter.
fn backoff(r: &RetryPolicy, attempt: u32, rng: &mut crate::kernel::RngStream) -> SimTime {
    if r.backoff == 0 {
        return 0;
    }
    let base = r.backoff as f64 * r.multiplier.powi(attempt as i32 - 1);
    let capped = base.min(r.max_backoff as f64);
    let d = if r.jitter {
        capped * rng.unit()
    } else {
        capped
    };
    d.round() as SimTime
}
