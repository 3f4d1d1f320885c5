//! The tracer's window: the spans of the requests in flight, addressed by
//! ever-increasing span ids.
//!
//! A ring of 2^k slots: span `id` lives in slot `id & mask` while `base <= id < base +
//! len`. Every request of a traced replication opens, updates and releases its spans
//! here, so each access is a subtraction, a comparison and a mask (a `VecDeque` pays a
//! wrap-around test per index and moves every popped span out); dropping the front is
//! two integer updates.

use super::walk::{Span, NOT_YET, NO_SPAN};
use super::Chain;
use crate::model::OpId;

/// Spans addressed by ever-increasing ids; the front is dropped once released.
pub(super) struct Window {
    /// The ring; its length is a power of two.
    slots: Vec<Span>,
    /// `slots.len() - 1`.
    mask: u32,
    /// Id of the oldest span held.
    base: u32,
    /// Spans held (ids `base .. base + len`).
    len: u32,
    /// Spans were dropped before their request ended, or the ids ran out.
    incomplete: bool,
    /// Drop live spans beyond this many (only when tracing every request).
    capacity: usize,
    /// Spans the window takes before [`Window::push`] must grow the ring or drop the
    /// oldest: the smaller of the ring's length and `capacity`, so the hot path tests
    /// one bound.
    room: u32,
}

/// What an unused slot holds (never read as a span: its id is outside the window).
const VACANT: Span = Span {
    kind: super::walk::SpanKind::Call,
    op: OpId(0),
    queue: 0,
    attempt: 0,
    parent: NO_SPAN,
    next: NO_SPAN,
    start: 0,
    started_ns: NOT_YET,
    work: 0,
    end_ns: NOT_YET,
    outcome: None,
    released: true,
};

impl Window {
    /// Spans kept at most when every request is traced (about 20 MiB).
    pub const CAPACITY: usize = 1 << 18;

    /// Slots of a new window (grown by doubling as the requests in flight need).
    const INITIAL_SLOTS: usize = 1024;

    /// An empty window that drops live spans beyond `capacity`.
    pub fn new(capacity: usize) -> Self {
        Window {
            slots: vec![VACANT; Self::INITIAL_SLOTS],
            mask: Self::INITIAL_SLOTS as u32 - 1,
            base: 0,
            len: 0,
            incomplete: false,
            capacity,
            room: Self::room(Self::INITIAL_SLOTS, capacity),
        }
    }

    /// [`Window::room`] of a ring of `slots` with `capacity`.
    fn room(slots: usize, capacity: usize) -> u32 {
        slots.min(capacity).min(u32::MAX as usize) as u32
    }

    /// Some span was dropped before its request ended, or the ids ran out.
    pub fn incomplete(&self) -> bool {
        self.incomplete
    }

    /// Drop live spans beyond `capacity` from now on (tests).
    #[cfg(test)]
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.room = Self::room(self.slots.len(), capacity);
    }

    /// The slot of `id`, if the window holds it.
    #[inline]
    fn slot(&self, id: u32) -> Option<usize> {
        // Ids below `base` wrap to large offsets; `NO_SPAN` is never below `base + len`.
        (id.wrapping_sub(self.base) < self.len).then_some((id & self.mask) as usize)
    }

    /// Span `id`, unless it is released or no longer (or not) held.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&Span> {
        let s = &self.slots[self.slot(id)?];
        (!s.released).then_some(s)
    }

    /// [`Window::get`], mutably.
    #[inline]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Span> {
        let i = self.slot(id)?;
        let s = &mut self.slots[i];
        (!s.released).then_some(s)
    }

    /// Append a span to `chain`; `NO_SPAN` when the ids have run out.
    #[inline]
    pub fn push(&mut self, span: Span, chain: &mut Chain) -> u32 {
        let id = self.base as u64 + self.len as u64;
        if id >= NO_SPAN as u64 {
            self.incomplete = true;
            return NO_SPAN;
        }
        let id = id as u32;
        if let Some(tail) = self.get_mut(chain.tail) {
            tail.next = id;
        } else {
            chain.head = id;
        }
        chain.tail = id;
        if self.len >= self.room {
            self.make_room();
        }
        self.slots[(id & self.mask) as usize] = span;
        self.len += 1;
        id
    }

    /// Room for one more span: drop the oldest when at the capacity (the trace is then
    /// incomplete), else double the ring.
    #[cold]
    fn make_room(&mut self) {
        if self.len as usize >= self.capacity {
            self.base += 1;
            self.len -= 1;
            self.incomplete = true;
        } else {
            self.grow();
        }
        self.room = Self::room(self.slots.len(), self.capacity);
    }

    /// Double the ring, moving every held span to its slot under the wider mask.
    fn grow(&mut self) {
        let wider = self.slots.len() * 2;
        let mask = wider as u32 - 1;
        let mut slots = vec![VACANT; wider];
        for id in (0..self.len).map(|i| self.base + i) {
            slots[(id & mask) as usize] = self.slots[(id & self.mask) as usize].clone();
        }
        self.slots = slots;
        self.mask = mask;
    }

    /// The spans of `chain` with parents as indices among them; `None` if some were
    /// dropped.
    pub fn collect(&self, chain: Chain) -> Option<Vec<Span>> {
        let mut ids = Vec::with_capacity(16);
        let mut id = chain.head;
        while id != NO_SPAN {
            ids.push(id);
            id = self.get(id)?.next;
        }
        // Ids grow along the chain, so a parent's index is found by bisection.
        let mut spans = Vec::with_capacity(ids.len());
        for &id in &ids {
            let mut s = self.get(id)?.clone();
            if s.parent != NO_SPAN {
                s.parent = ids.binary_search(&s.parent).ok()? as u32;
            }
            spans.push(s);
        }
        Some(spans)
    }

    /// Release the spans of `chain` and move the front past released spans.
    #[inline]
    pub fn release(&mut self, chain: Chain) {
        let mut id = chain.head;
        while let Some(s) = self.get_mut(id) {
            s.released = true;
            id = s.next;
        }
        while self.len > 0 && self.slots[(self.base & self.mask) as usize].released {
            self.base += 1;
            self.len -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64) -> Span {
        Span {
            start,
            released: false,
            ..VACANT
        }
    }

    /// Spans survive the ring's growth at their ids, released fronts are dropped, and a
    /// window over capacity drops its oldest span and says so.
    #[test]
    fn ids_stay_addressable_across_growth_and_release() {
        let mut w = Window::new(usize::MAX);
        let (mut odd, mut even) = (Chain::EMPTY, Chain::EMPTY);
        let n = 3 * Window::INITIAL_SLOTS as u32;
        for i in 0..n {
            let chain = if i % 2 == 0 { &mut even } else { &mut odd };
            assert_eq!(w.push(span(i as u64), chain), i);
        }
        assert!(w.slots.len() >= n as usize);
        assert!((0..n).all(|i| w.get(i).map(|s| s.start) == Some(i as u64)));
        assert_eq!(w.collect(odd).map(|s| s.len()), Some(n as usize / 2));
        // Releasing the odd ids cannot move the front (id 0 is even and live).
        w.release(odd);
        assert_eq!((w.base, w.len), (0, n));
        assert!(w.get(1).is_none() && w.get(2).is_some());
        w.release(even);
        assert_eq!((w.base, w.len), (n, 0));
        assert!(w.get(n - 1).is_none() && w.get(NO_SPAN).is_none());
        assert!(!w.incomplete());

        let mut small = Window::new(2);
        let mut chain = Chain::EMPTY;
        for i in 0..3 {
            small.push(span(i), &mut chain);
        }
        assert!(small.incomplete());
        assert!(small.get(0).is_none() && small.get(2).is_some());
        assert!(small.collect(chain).is_none(), "the chain lost its head");

        // A full window drops its oldest span rather than grow past its capacity.
        let slots = Window::INITIAL_SLOTS;
        let mut full = Window::new(slots);
        let mut chain = Chain::EMPTY;
        for i in 0..2 * slots as u64 {
            full.push(span(i), &mut chain);
        }
        assert_eq!(full.slots.len(), slots);
        assert_eq!((full.base, full.len), (slots as u32, slots as u32));
        assert_eq!(
            full.get(2 * slots as u32 - 1).map(|s| s.start),
            Some(2 * slots as u64 - 1)
        );
    }
}
