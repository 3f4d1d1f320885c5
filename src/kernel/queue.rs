//! The future-event list.
//!
//! Ordering contract: events are delivered by ascending `(time, sequence)`, where
//! `sequence` is a counter incremented on every [`EventQueue::schedule`]. Two events at
//! the same simulated time are therefore delivered in the order they were scheduled
//! (FIFO on ties), which makes every run reproducible regardless of platform.
//!
//! Complexity: `schedule` and `pop` are O(log n) (`std`'s binary heap; a 4-ary heap
//! measured slower here below ~10^5 pending events); `peek_time` is O(1) amortised.
//!
//! Deferred removal: `pop` hands out a copy of the earliest entry and leaves it in the
//! heap, marked as taken. The handler's first `schedule` then *replaces* it (one sift
//! down, as `heapq.heapreplace` does) instead of a pop (sift down to the bottom, sift up)
//! followed by a push (sift up); a handler that schedules nothing has it removed at the
//! next `peek_time` or `pop`. Most handlers schedule at least one event, so this halves
//! the heap work per event. Keys `(time, sequence)` are unique, so the order of delivery
//! is exactly that of an eager heap.
//! There is no cancellation: a model that needs to cancel a timer leaves it queued and
//! ignores it when it fires (lazy cancellation, O(1) to cancel).

use super::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An event popped from the queue, with its time and insertion sequence.
#[derive(Debug)]
pub struct Scheduled<E> {
    /// When the event happens.
    pub time: SimTime,
    /// Insertion sequence (tie breaker).
    pub seq: u64,
    /// The payload.
    pub event: E,
}

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    #[inline(always)]
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (time, seq) is on top.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of future events ordered by (time, insertion sequence).
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// The top of `heap` was popped already (deferred removal, see the module docs).
    taken: bool,
    next_seq: u64,
    now: SimTime,
    /// Events later than this are never handled, so they are not kept.
    horizon: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    /// An empty queue with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            taken: false,
            next_seq: 0,
            now: 0,
            horizon: SimTime::MAX,
        }
    }

    /// Discard events scheduled after `horizon` (the end of the run) instead of keeping
    /// them: a timeout of "never" or any delay past the end would otherwise pile up in
    /// the heap for nothing. They still take a sequence number, so the order of the
    /// others does not depend on the horizon.
    pub fn with_horizon(mut self, horizon: SimTime) -> Self {
        self.horizon = horizon;
        self
    }

    /// Schedule `event` at absolute time `time`. Scheduling in the past is a model bug.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(
            time >= self.now,
            "event scheduled in the past: {time} < {}",
            self.now
        );
        if time > self.horizon {
            self.next_seq += 1;
            return;
        }
        let entry = Entry {
            time,
            seq: self.next_seq,
            event,
        };
        self.next_seq += 1;
        if self.taken {
            self.taken = false;
            // Replace the entry popped last: one sift down when the guard drops.
            *self
                .heap
                .peek_mut()
                .expect("a taken entry is still in the heap") = entry;
        } else {
            self.heap.push(entry);
        }
    }

    /// Finish a deferred removal.
    #[inline]
    fn settle(&mut self) {
        if self.taken {
            self.taken = false;
            self.heap.pop();
        }
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.settle();
        self.heap.peek().map(|e| e.time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - self.taken as usize
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Time of the last popped event (the current simulated time).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Total number of events ever scheduled.
    pub fn scheduled_count(&self) -> u64 {
        self.next_seq
    }
}

impl<E: Copy> EventQueue<E> {
    /// Remove and return the earliest event, advancing the queue's clock to its time.
    /// (Events are `Copy`: the entry stays in the heap until the next `schedule`
    /// replaces it, see the module docs.)
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        self.settle();
        let top = self.heap.peek()?;
        let (time, seq, event) = (top.time, top.seq, top.event);
        self.taken = true;
        self.now = time;
        Some(Scheduled { time, seq, event })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One step of [`matches_a_sorted_reference`]: schedule at `now + delay`, pop, or
    /// peek (which finishes a deferred removal without a schedule to replace it).
    #[derive(Clone, Debug)]
    enum Op {
        Schedule(u64),
        Pop,
        Peek,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Delays from 0 to most of u64's range, biased to small ones and to ties.
        let delay = prop_oneof![
            Just(0u64),
            0u64..4,
            0u64..1_000,
            (0u32..62).prop_map(|bits| 1u64 << bits),
            (0u32..62, any::<u64>()).prop_map(|(bits, x)| x >> bits),
        ];
        prop_oneof![4 => delay.prop_map(Op::Schedule), 3 => Just(Op::Pop), 1 => Just(Op::Peek)]
    }

    #[test]
    fn an_event_scheduled_before_a_peeked_one_comes_first() {
        let mut q = EventQueue::new();
        q.schedule(1 << 40, 'c');
        q.schedule(100, 'b');
        assert_eq!(q.peek_time(), Some(100));
        // Still at time 0: 50 and 100 are both in the future.
        q.schedule(50, 'a');
        q.schedule(100, 'd');
        let order: String = std::iter::from_fn(|| q.pop().map(|s| s.event)).collect();
        assert_eq!(order, "abdc");
    }

    proptest! {
        #[test]
        fn pops_sorted_by_time_then_insertion(times in proptest::collection::vec(0u64..50, 0..200)) {
            let mut q = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.schedule(*t, i);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            let mut got = vec![];
            while let Some(s) = q.pop() {
                got.push((s.time, s.event));
            }
            prop_assert_eq!(got, expected);
        }

        /// Handlers that schedule 0, 1 or several events (the deferred removal's three
        /// cases) see exactly the order of a sorted list of (time, sequence).
        #[test]
        fn interleaved_schedules_and_pops_keep_the_order(
            first in proptest::collection::vec(0u64..20, 1..20),
            fanout in proptest::collection::vec((0usize..3, 0u64..15), 1..300),
        ) {
            let mut q = EventQueue::new();
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let mut seq = 0u64;
            for t in &first {
                q.schedule(*t, seq);
                reference.push((*t, seq));
                seq += 1;
            }
            let mut steps = fanout.iter().cycle();
            let mut delivered = 0;
            while let Some(s) = q.pop() {
                reference.sort();
                let expected = reference.remove(0);
                prop_assert_eq!((s.time, s.event), expected);
                prop_assert_eq!(q.len(), reference.len());
                delivered += 1;
                if delivered > 600 {
                    break;
                }
                let &(n, dt) = steps.next().expect("cycle");
                for _ in 0..n {
                    q.schedule(s.time + dt, seq);
                    reference.push((s.time + dt, seq));
                    seq += 1;
                }
                prop_assert_eq!(q.peek_time(), reference.iter().min().map(|r| r.0));
            }
        }

        /// Any mix of schedules (at any distance, ties included), pops and peeks
        /// delivers exactly what a sorted list of (time, sequence) does, and a horizon
        /// drops only what lies beyond it.
        #[test]
        fn matches_a_sorted_reference(
            ops in proptest::collection::vec(op(), 1..400),
            horizon in prop_oneof![Just(u64::MAX), 0u64..5_000],
        ) {
            let mut q = EventQueue::new().with_horizon(horizon);
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let (mut now, mut seq) = (0u64, 0u64);
            for op in ops {
                match op {
                    Op::Schedule(delay) => {
                        let time = now.saturating_add(delay);
                        q.schedule(time, seq);
                        if time <= horizon {
                            reference.push((time, seq));
                        }
                        seq += 1;
                    }
                    Op::Pop => {
                        reference.sort();
                        let expected = (!reference.is_empty()).then(|| reference.remove(0));
                        let got = q.pop().map(|s| {
                            prop_assert_eq!(s.seq, s.event);
                            Ok((s.time, s.event))
                        });
                        let got = got.transpose()?;
                        prop_assert_eq!(got, expected);
                        if let Some((time, _)) = got {
                            now = time;
                            prop_assert_eq!(q.now(), now);
                        }
                    }
                    Op::Peek => {
                        prop_assert_eq!(q.peek_time(), reference.iter().map(|r| r.0).min());
                    }
                }
                prop_assert_eq!(q.len(), reference.len());
                prop_assert_eq!(q.scheduled_count(), seq);
            }
            reference.sort();
            let rest: Vec<(u64, u64)> = std::iter::from_fn(|| q.pop().map(|s| (s.time, s.event))).collect();
            prop_assert_eq!(rest, reference);
        }
    }
}
