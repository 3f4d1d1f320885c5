//! Timeout lists: cheap timers for the common case of many pending timeouts.
//!
//! Timeouts of the same length expire in the order they were armed, so each distinct
//! timeout length gets a FIFO list and only the head of each list sits in the kernel's
//! event queue. Arming is O(1) (a push), cancelling is free (a stale handle is skipped
//! when it reaches the head), and the event heap stays as small as the number of
//! messages in flight, however many timeouts are pending.

use super::slab::Handle;
use crate::kernel::SimTime;
use std::collections::VecDeque;

pub(crate) struct TimeoutLists {
    /// The distinct timeout lengths, sorted (looked up by binary search).
    lengths: Vec<SimTime>,
    lists: Vec<VecDeque<(SimTime, Handle)>>,
    /// The end of the run: a timeout expiring later can never fire and is not kept.
    horizon: SimTime,
}

impl TimeoutLists {
    /// Lists for the given timeout lengths (duplicates are merged).
    pub fn new(mut lengths: Vec<SimTime>, horizon: SimTime) -> Self {
        lengths.sort_unstable();
        lengths.dedup();
        let lists = lengths.iter().map(|_| VecDeque::new()).collect();
        TimeoutLists {
            lengths,
            lists,
            horizon,
        }
    }

    /// Arm a timeout of `length` for `call` at `now`. Returns `Some((list, expiry))` when
    /// the list was empty, i.e. when the caller must schedule a wake-up for it.
    #[inline]
    pub fn arm(&mut self, now: SimTime, length: SimTime, call: Handle) -> Option<(u32, SimTime)> {
        let list = self
            .lengths
            .binary_search(&length)
            .expect("every timeout length is registered");
        let q = &mut self.lists[list];
        let expiry = now.saturating_add(length);
        if expiry > self.horizon {
            return None; // can never fire: keeping it would only grow the list
        }
        q.push_back((expiry, call));
        (q.len() == 1).then_some((list as u32, expiry))
    }

    /// Pop the next timeout of `list` that has expired by `now`.
    #[inline]
    pub fn pop_expired(&mut self, list: u32, now: SimTime) -> Option<Handle> {
        let q = &mut self.lists[list as usize];
        match q.front() {
            Some(&(t, h)) if t <= now => {
                q.pop_front();
                Some(h)
            }
            _ => None,
        }
    }

    /// Expiry of the first timeout of `list` still armed, dropping the cancelled ones
    /// in front of it (most timeouts are cancelled: their call was answered in time), so
    /// that a wake-up is scheduled only for a timeout that may really fire.
    pub fn next_live_expiry(
        &mut self,
        list: u32,
        armed: impl Fn(Handle) -> bool,
    ) -> Option<SimTime> {
        let q = &mut self.lists[list as usize];
        while let Some(&(t, h)) = q.front() {
            if armed(h) {
                return Some(t);
            }
            q.pop_front();
        }
        None
    }
}

/// Every distinct fixed timeout length the scenario can arm.
pub(super) fn timeout_lengths(sc: &crate::model::Scenario) -> Vec<SimTime> {
    let steps = sc.operations.iter().flat_map(|o| {
        o.groups
            .iter()
            .flat_map(|g| g.calls.iter().filter_map(|c| c.timeout))
    });
    steps
        .chain(sc.workloads.iter().filter_map(|w| w.timeout))
        .collect()
}
