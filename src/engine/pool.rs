//! Client connection pools (`[services.X.pools.Y]`): each replica of a caller holds a
//! pool of slots (REST connections, or gRPC streams over connections) for its
//! synchronous calls to one callee. An attempt takes a slot when it is sent and gives
//! it back when it is released (answered, timed out or abandoned). An attempt that
//! finds no free slot waits FIFO up to the pool's acquire timeout, then fails with
//! "pool exhausted" (root cause: the callee, whose slow answers hold the slots).
//!
//! A slot freed while handling an event is handed to the next waiter once that event
//! is handled (`grant_freed`), so a release never sends from inside the code that
//! released it. Waiters time out in FIFO order (one acquire timeout per pool), so a
//! timeout only ever removes the head of its queue.

use super::slab::Handle;
use super::{Engine, Event};
use crate::kernel::{EventQueue, SimTime};
use crate::metrics::{Component, FailureReason, Outcome};
use crate::model::Scenario;
use std::collections::VecDeque;

/// "No pool" (a call site without one, or a client's call).
pub(super) const NO_POOL: u32 = u32::MAX;

/// An attempt waiting for a slot.
#[derive(Clone, Copy, Debug)]
struct Waiter {
    ticket: u64,
    exec: Handle,
    site: u32,
    attempt: u32,
    since: SimTime,
}

/// One caller replica's pool.
#[derive(Debug, Default)]
struct PoolState {
    in_use: u32,
    waiters: VecDeque<Waiter>,
    next_ticket: u64,
}

/// Every pool of every caller replica, and the books the conservation check reads.
#[derive(Debug, Default)]
pub(super) struct Pools {
    /// Per call site: its pool (index into `Scenario::pools`) or `NO_POOL`.
    site_pool: Vec<u32>,
    /// Per pool: index in `states` of its first caller replica's pool.
    base: Vec<u32>,
    states: Vec<PoolState>,
    /// The slot (state index, waited since) the attempt being sent holds.
    pending: Option<(u32, SimTime)>,
    /// States where a slot came free during the current event.
    freed: Vec<u32>,
    /// Lifetime counts: requested = acquired + exhausted + gone + still waiting.
    requested: u64,
    acquired: u64,
    exhausted: u64,
    /// Waiters whose execution ended while they waited.
    gone: u64,
}

impl Pools {
    /// The pools of `sc`, all free.
    pub fn new(sc: &Scenario) -> Self {
        if sc.pools.is_empty() {
            return Pools::default();
        }
        let mut site_pool = vec![NO_POOL; sc.policies.len()];
        for op in &sc.operations {
            for c in op.groups.iter().flat_map(|g| &g.calls) {
                let callee = sc.operations[c.target.0 as usize].service;
                if let Some(i) = sc
                    .pools
                    .iter()
                    .position(|p| p.caller == op.service && p.callee == callee)
                {
                    site_pool[c.site as usize] = i as u32;
                }
            }
        }
        let mut base = Vec::with_capacity(sc.pools.len());
        let mut total = 0u32;
        for p in &sc.pools {
            base.push(total);
            total += sc.services[p.caller.0 as usize].replicas;
        }
        Pools {
            site_pool,
            base,
            states: (0..total).map(|_| PoolState::default()).collect(),
            ..Default::default()
        }
    }

    /// No slot came free during the current event (the usual case: one branch).
    #[inline]
    pub fn freed_is_empty(&self) -> bool {
        self.freed.is_empty()
    }

    /// The pool (index into `Scenario::pools`) of pool state `state`.
    #[inline]
    pub fn pool_of_state(&self, state: u32) -> u32 {
        (self.base.partition_point(|&b| b <= state) - 1) as u32
    }

    /// The slot the attempt now being sent holds (`NO_POOL` if none) and since when it
    /// asked for it.
    #[inline]
    pub fn take_pending(&mut self, now: SimTime) -> (u32, SimTime) {
        self.pending.take().unwrap_or((NO_POOL, now))
    }

    /// Whether the calls at `site` hold a connection pool's slot.
    pub fn site_has_pool(&self, site: usize) -> bool {
        self.site_pool.get(site).is_some_and(|&p| p != NO_POOL)
    }
}

impl Engine<'_> {
    /// The pool state `exec`'s call at `site` uses, with its pool's index.
    fn pool_state(&self, exec: Handle, site: u32) -> Option<(usize, u32)> {
        let pool = *self.pools.site_pool.get(site as usize)?;
        if pool == NO_POOL {
            return None;
        }
        let e = self.execs.get(exec)?;
        let service = self.sc.pools[pool as usize].caller;
        let local = e.replica - self.replica_base[service.0 as usize];
        Some((pool as usize, self.pools.base[pool as usize] + local))
    }

    /// Take a free slot for `state` now.
    fn take_slot(&mut self, pool: usize, state: u32, since: SimTime) {
        let now = self.now;
        self.pools.states[state as usize].in_use += 1;
        self.pools.acquired += 1;
        self.pools.pending = Some((state, since));
        let m = &mut self.metrics.pools[pool];
        m.in_use.add(now, 1);
        if self.sc.sim.measures(since) {
            m.acquired += 1;
            if since < now {
                m.waited += 1;
                m.wait_ns += u128::from(now - since);
            }
        }
    }

    /// Admit attempt `attempt` of `exec`'s call at `site` to its pool: `true` if it
    /// may be sent now (it holds a slot, or uses no pool); otherwise it waits for a
    /// slot or has failed with "pool exhausted".
    pub(super) fn pool_admit(
        &mut self,
        exec: Handle,
        site: u32,
        attempt: u32,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let Some((pool, state)) = self.pool_state(exec, site) else {
            return true;
        };
        let now = self.now;
        self.pools.requested += 1;
        self.metrics.pools[pool].requested += 1;
        let p = &self.sc.pools[pool];
        let st = &mut self.pools.states[state as usize];
        if st.in_use < p.capacity() && st.waiters.is_empty() {
            self.take_slot(pool, state, now);
            return true;
        }
        if p.acquire_timeout == Some(0) {
            self.pool_exhausted(pool, exec, site, attempt, now, queue);
            return false;
        }
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.waiters.push_back(Waiter {
            ticket,
            exec,
            site,
            attempt,
            since: now,
        });
        self.metrics.pools[pool].waiting.add(now, 1);
        if let Some(t) = p.acquire_timeout {
            queue.schedule(now.saturating_add(t), Event::PoolTimeout { state, ticket });
        }
        false
    }

    /// A hedge may go only if its pool has a free slot now (a hedge never waits).
    pub(super) fn pool_try(&mut self, exec: Handle, site: u32) -> bool {
        let Some((pool, state)) = self.pool_state(exec, site) else {
            return true;
        };
        let st = &self.pools.states[state as usize];
        if st.in_use >= self.sc.pools[pool].capacity() || !st.waiters.is_empty() {
            return false;
        }
        self.pools.requested += 1;
        self.metrics.pools[pool].requested += 1;
        self.take_slot(pool, state, self.now);
        true
    }

    /// Attempt `attempt`, which asked for a slot at `since`, fails "pool exhausted"
    /// (counted in the metrics when its request was: an attempt of the warm-up that
    /// fails after it is neither).
    #[allow(clippy::too_many_arguments)]
    fn pool_exhausted(
        &mut self,
        pool: usize,
        exec: Handle,
        site: u32,
        attempt: u32,
        since: SimTime,
        queue: &mut EventQueue<Event>,
    ) {
        self.pools.exhausted += 1;
        if self.sc.sim.measures(since) {
            self.metrics.pools[pool].exhausted += 1;
        }
        let callee = self.sc.pools[pool].callee;
        let outcome = Outcome::Failed(FailureReason::PoolExhausted, Component::Service(callee));
        self.site_failed(exec, site, attempt, outcome, true, queue);
    }

    /// Give back the slot of a released attempt (handed on after the current event).
    #[inline]
    pub(super) fn pool_release(&mut self, state: u32) {
        let st = &mut self.pools.states[state as usize];
        st.in_use -= 1;
        let pool = self.pools.pool_of_state(state) as usize;
        self.metrics.pools[pool].in_use.add(self.now, -1);
        self.pools.freed.push(state);
    }

    /// Hand the slots freed during the event just handled to their waiters.
    pub(super) fn grant_freed(&mut self, queue: &mut EventQueue<Event>) {
        while let Some(state) = self.pools.freed.pop() {
            let pool = self.pools.pool_of_state(state) as usize;
            let capacity = self.sc.pools[pool].capacity();
            loop {
                let st = &mut self.pools.states[state as usize];
                if st.in_use >= capacity {
                    break;
                }
                let Some(w) = st.waiters.pop_front() else {
                    break;
                };
                self.metrics.pools[pool].waiting.add(self.now, -1);
                if !self.waiter_live(w.exec) {
                    self.pools.gone += 1;
                    continue;
                }
                self.take_slot(pool, state, w.since);
                self.launch(w.exec, w.site, w.attempt, queue);
            }
        }
    }

    /// The execution a waiter belongs to still awaits its call.
    fn waiter_live(&self, exec: Handle) -> bool {
        self.execs.get(exec).is_some_and(|e| e.pending > 0)
    }

    /// An acquire timeout: if waiter `ticket` still waits, it fails.
    pub(super) fn on_pool_timeout(
        &mut self,
        state: u32,
        ticket: u64,
        queue: &mut EventQueue<Event>,
    ) {
        let st = &mut self.pools.states[state as usize];
        if st.waiters.front().map(|w| w.ticket) != Some(ticket) {
            return; // served (or gone) already
        }
        let w = st.waiters.pop_front().expect("checked");
        let pool = self.pools.pool_of_state(state) as usize;
        self.metrics.pools[pool].waiting.add(self.now, -1);
        if !self.waiter_live(w.exec) {
            self.pools.gone += 1;
            return;
        }
        self.pool_exhausted(pool, w.exec, w.site, w.attempt, w.since, queue);
    }

    /// The pools' books: every attempt that asked for a slot got one, failed, lost its
    /// execution while waiting, or is still waiting.
    pub(super) fn pool_conservation(&self) -> Option<String> {
        let p = &self.pools;
        let waiting: u64 = p.states.iter().map(|s| s.waiters.len() as u64).sum();
        let ended = p.acquired + p.exhausted + p.gone + waiting;
        (p.requested != ended).then(|| {
            format!(
                "pools: {} requested, {} acquired + {} exhausted + {} gone + {} waiting",
                p.requested, p.acquired, p.exhausted, p.gone, waiting
            )
        })
    }
}
