//! Timeout lists: cheap timers for the common case of many pending timeouts.
//!
//! Timeouts of the same length expire in the order they were armed, so each distinct
//! timeout length gets a FIFO list and only the head of each list sits in the kernel's
//! event queue. Arming is O(1) (a push), cancelling is free (a stale handle is skipped
//! when it reaches the head), and the event heap stays as small as the number of
//! messages in flight, however many timeouts are pending.
//!
//! Cancelled timeouts would otherwise stay in their list until their expiry: a list
//! held rate × length entries (a 10-minute timeout at 10 000 calls a second, 6 million,
//! 96 MB), nearly all of them answered long before. When a list has doubled since it
//! was last compacted, the stale entries behind its head are dropped (amortised O(1)
//! per arm), so a list holds at most about twice the calls still waiting. The head is
//! always kept: it is what the pending wake-up was scheduled for, so the events the
//! run handles, and every number, are the same as without compaction.

use super::slab::Handle;
use crate::kernel::SimTime;
use std::collections::VecDeque;

pub(crate) struct TimeoutLists {
    /// The distinct timeout lengths, sorted (looked up by binary search).
    lengths: Vec<SimTime>,
    lists: Vec<VecDeque<(SimTime, Handle)>>,
    /// Per list, the length at which it is next compacted.
    compact_at: Vec<usize>,
    /// The end of the run: a timeout expiring later can never fire and is not kept.
    horizon: SimTime,
}

impl TimeoutLists {
    /// Lists for the given timeout lengths (duplicates are merged).
    pub fn new(mut lengths: Vec<SimTime>, horizon: SimTime) -> Self {
        lengths.sort_unstable();
        lengths.dedup();
        let lists = lengths.iter().map(|_| VecDeque::new()).collect();
        let compact_at = vec![Self::COMPACT_FROM; lengths.len()];
        TimeoutLists {
            lengths,
            lists,
            compact_at,
            horizon,
        }
    }

    /// No list is compacted below this many entries (a pass over a short list would
    /// cost more than the memory it frees).
    const COMPACT_FROM: usize = 4096;

    /// Arm a timeout of `length` for `call` at `now`. Returns `Some((list, expiry))` when
    /// the list was empty, i.e. when the caller must schedule a wake-up for it.
    /// `armed` tells whether a call is still waiting (its timeout not cancelled); a
    /// handle it refuses must never be armed again (generational handles are not).
    #[inline]
    pub fn arm(
        &mut self,
        now: SimTime,
        length: SimTime,
        call: Handle,
        armed: impl Fn(Handle) -> bool,
    ) -> Option<(u32, SimTime)> {
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
        if q.len() >= self.compact_at[list] {
            self.compact(list, armed);
            return None; // the head stays, so its wake-up is already scheduled
        }
        (q.len() == 1).then_some((list as u32, expiry))
    }

    /// Drop the cancelled timeouts of `list` behind its head (out of line: rare).
    #[inline(never)]
    fn compact(&mut self, list: usize, armed: impl Fn(Handle) -> bool) {
        let q = &mut self.lists[list];
        let mut head = true;
        q.retain(|&(_, h)| std::mem::take(&mut head) || armed(h));
        self.compact_at[list] = (2 * q.len()).max(Self::COMPACT_FROM);
    }

    /// Entries held in all lists, cancelled ones included.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.lists.iter().map(VecDeque::len).sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(index: u32) -> Handle {
        Handle {
            index,
            generation: 1,
        }
    }

    #[test]
    fn cancelled_timeouts_are_dropped_once_a_list_doubles() {
        let mut lists = TimeoutLists::new(vec![1_000], SimTime::MAX);
        // 100 000 calls armed one a nanosecond, each answered 10 ns later: about ten
        // are waiting at any time, and the list keeps the head the wake-up is for.
        let live = |now: SimTime| move |h: Handle| h.index as SimTime + 10 > now;
        let mut most = 0;
        for i in 0..100_000u32 {
            let now = i as SimTime;
            let wake = lists.arm(now, 1_000, handle(i), live(now));
            assert_eq!(
                wake.is_some(),
                i == 0,
                "only the first arm asks for a wake-up"
            );
            most = most.max(lists.held());
        }
        assert!(most <= TimeoutLists::COMPACT_FROM, "held {most}");
        assert_eq!(lists.lists[0].front(), Some(&(1_000, handle(0))));
        // Without compaction the list would hold every one of them.
        let mut plain = TimeoutLists::new(vec![1_000], SimTime::MAX);
        for i in 0..100_000u32 {
            plain.arm(i as SimTime, 1_000, handle(i), |_| true);
        }
        assert_eq!(plain.held(), 100_000);
    }

    #[test]
    fn compaction_keeps_every_live_timeout_in_expiry_order() {
        let mut lists = TimeoutLists::new(vec![50], SimTime::MAX);
        // Every third call is still waiting.
        let armed = |h: Handle| h.index % 3 == 0;
        for i in 0..20_000u32 {
            lists.arm(i as SimTime, 50, handle(i), armed);
        }
        let q = &lists.lists[0];
        assert!(q.len() < 10_000, "compacted: {} held", q.len());
        assert!(q.iter().zip(q.iter().skip(1)).all(|(a, b)| a.0 < b.0));
        let live: Vec<u32> = q
            .iter()
            .map(|&(_, h)| h.index)
            .filter(|&i| i % 3 == 0)
            .collect();
        assert_eq!(live, (0..20_000).step_by(3).collect::<Vec<u32>>());
    }
}
