//! The tracer's window: the spans of the requests in flight, addressed by
//! ever-increasing span ids.
//!
//! A ring of 2^k slots: span `id` lives in slot `id & mask` while `base <= id < base +
//! len`. Every request of a traced replication opens, updates and releases its spans
//! here, so each access is a subtraction, a comparison and a mask (a `VecDeque` pays a
//! wrap-around test per index and moves every popped span out); dropping the front is
//! two integer updates.
//!
//! A span names its request by the id of the request's first span, and only that
//! first span says whether the request has ended (then it names no span): opening a
//! span links nothing, and releasing a request is one write. The front moves past a
//! first span once its request has ended, and past any other span once its request's
//! first span is behind it (it was released, moved aside or dropped): so the window
//! holds every span of every request in flight. A
//! request's spans are the ids from its first to its last that name it, found by a
//! scan when a path is wanted (only for sampled or slow requests) instead of by links
//! every request pays for.
//!
//! A full ring does not drop the request at its front: the slowest requests are the
//! ones that live longest, so they would be the ones to lose their paths, at every
//! high rate with a long tail. Their spans move to a side store, [`Spilled`], as the
//! front passes them, and are found there by bisection; only past the side store's
//! own bound are the oldest requests' spans dropped (work that never ends, whose paths
//! nobody wants). Both bounds hold the window's memory whatever the run's length.

use super::walk::{Span, SpanKind, NOT_YET, NO_SPAN};
use super::Chain;
use crate::kernel::SimTime;
use crate::model::OpId;
use std::collections::VecDeque;

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
    /// The ids ran out: no span opens any more.
    exhausted: bool,
    /// Spans the ring holds at most; past it the front's are moved aside.
    capacity: usize,
    /// Spans the window takes before [`Window::push`] must grow the ring or spill the
    /// oldest: the smaller of the ring's length and `capacity`, so the hot path tests
    /// one bound.
    room: u32,
    /// Spans of requests in flight that the front had to pass.
    spilled: Spilled,
}

/// Spans of requests in flight that outlived the ring, in the order of their ids (the
/// front passes them in that order), so a span is found by bisection and the oldest
/// request is at the front.
struct Spilled {
    spans: VecDeque<(u32, Span)>,
    /// The first spans of the requests in flight among `spans`, in order: far fewer
    /// than the spans, so whether a request is here is a short bisection.
    requests: VecDeque<u32>,
    /// Spans kept at most; past it the oldest are dropped.
    capacity: usize,
}

impl Spilled {
    /// Where span `id` is. Ids below the front were dropped (most of those asked for
    /// when work never ends): no bisection for them.
    fn position(&self, id: u32) -> Option<usize> {
        match self.spans.front() {
            Some(&(oldest, _)) if id >= oldest => {
                self.spans.binary_search_by_key(&id, |&(i, _)| i).ok()
            }
            _ => None,
        }
    }

    fn get(&self, id: u32) -> Option<&Span> {
        self.position(id).map(|i| &self.spans[i].1)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Span> {
        self.position(id).map(|i| &mut self.spans[i].1)
    }

    /// Whether the request whose first span is `request` is kept here and in flight.
    fn holds(&self, request: u32) -> bool {
        self.requests.binary_search(&request).is_ok()
    }

    /// Keep span `id` (the largest kept so far), dropping the oldest spans past the
    /// bound; then drop what leads the store without a request in flight.
    fn keep(&mut self, id: u32, span: Span) {
        if span.request == id {
            self.requests.push_back(id);
        }
        self.spans.push_back((id, span));
        while self.spans.len() > self.capacity {
            if let Some((id, s)) = self.spans.pop_front() {
                if s.request == id {
                    // The oldest request in flight here loses its first span.
                    debug_assert_eq!(self.requests.front(), Some(&id));
                    self.requests.pop_front();
                }
            }
        }
        self.trim();
    }

    /// The request whose first span is `request` has ended: its spans are no longer
    /// wanted (those behind the front go as it reaches them).
    fn forget(&mut self, request: u32) {
        if let Ok(i) = self.requests.binary_search(&request) {
            self.requests.remove(i);
            if let Some(first) = self.get_mut(request) {
                first.request = NO_SPAN;
            }
            self.trim();
        }
    }

    /// Drop the front while it is not the first span of a request in flight: a later
    /// span at the front has lost its first span (ended or dropped).
    fn trim(&mut self) {
        while self.spans.front().is_some_and(|(id, s)| s.request != *id) {
            self.spans.pop_front();
        }
    }
}

/// What an unused slot holds (never read as a span: its id is outside the window).
const VACANT: Span = Span {
    kind: SpanKind::Call,
    op: OpId(0),
    queue: 0,
    attempt: 0,
    parent: NO_SPAN,
    request: NO_SPAN,
    prev: NO_SPAN,
    start: 0,
    started_ns: NOT_YET,
    work: 0,
    end_ns: NOT_YET,
    outcome: None,
};

impl Window {
    /// Spans kept in the ring at most when every request is traced (about 20 MiB).
    pub const CAPACITY: usize = 1 << 18;

    /// Spans of requests that outlived the ring kept at most (about 7 MiB): at 10 000
    /// requests a second with a mean of 1 s and an exponential tail, the requests older
    /// than the ring's 2^18 spans hold a few hundred.
    const SPILL_CAPACITY: usize = 1 << 16;

    /// Spans kept at most when only the requests a first run chose are traced (about 75
    /// MiB): they are a few thousand, so this holds a request with a path of a million
    /// hops (`tests/harness/found/path-of-millions-of-hops.toml` needs more than 2^19),
    /// and it is still a bound: a chosen request whose work never ends would otherwise
    /// keep every span it opens until the end of the run.
    pub const CHOSEN_CAPACITY: usize = 1 << 20;

    /// Slots of a new window (grown by doubling as the requests in flight need).
    const INITIAL_SLOTS: usize = 1024;

    /// An empty window that drops live spans beyond `capacity`.
    pub fn new(capacity: usize) -> Self {
        Window {
            slots: vec![VACANT; Self::INITIAL_SLOTS],
            mask: Self::INITIAL_SLOTS as u32 - 1,
            base: 0,
            len: 0,
            exhausted: false,
            capacity,
            room: Self::room(Self::INITIAL_SLOTS, capacity),
            spilled: Spilled {
                spans: VecDeque::new(),
                requests: VecDeque::new(),
                capacity: Self::SPILL_CAPACITY,
            },
        }
    }

    /// [`Window::room`] of a ring of `slots` with `capacity`.
    fn room(slots: usize, capacity: usize) -> u32 {
        slots.min(capacity).min(u32::MAX as usize) as u32
    }

    /// The ids ran out: later requests have no spans at all.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Spill live spans beyond `capacity` from now on, and drop spilled ones beyond
    /// `spill` (tests).
    #[cfg(test)]
    pub fn set_capacity(&mut self, capacity: usize, spill: usize) {
        self.capacity = capacity;
        self.room = Self::room(self.slots.len(), capacity);
        self.spilled.capacity = spill;
    }

    /// Spans kept aside (tests).
    #[cfg(test)]
    pub fn spilled(&self) -> usize {
        self.spilled.spans.len()
    }

    /// Spans held (tests).
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.len as usize
    }

    /// The slot of `id`, if the window holds it.
    #[inline]
    fn slot(&self, id: u32) -> Option<usize> {
        // Ids below `base` wrap to large offsets; `NO_SPAN` is never below `base + len`.
        (id.wrapping_sub(self.base) < self.len).then_some((id & self.mask) as usize)
    }

    /// Span `id`, unless it is no longer (or not) held. A span of a request that has
    /// ended may still be held (behind an older request in flight): the engine opens
    /// spans only for requests in flight, and nothing reads an ended request's spans.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&Span> {
        match self.slot(id) {
            Some(i) => Some(&self.slots[i]),
            None => self.get_aside(id),
        }
    }

    /// [`Window::get`] of a span the ring does not hold, out of line: the hooks every
    /// request runs stay small enough to be inlined.
    #[cold]
    #[inline(never)]
    fn get_aside(&self, id: u32) -> Option<&Span> {
        self.spilled.get(id)
    }

    /// [`Window::get`], mutably.
    #[inline]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Span> {
        match self.slot(id) {
            Some(i) => Some(&mut self.slots[i]),
            None => self.get_aside_mut(id),
        }
    }

    /// [`Window::get_aside`], mutably.
    #[cold]
    #[inline(never)]
    fn get_aside_mut(&mut self, id: u32) -> Option<&mut Span> {
        self.spilled.get_mut(id)
    }

    /// Open a span of `kind` at `start` in `chain`'s request; `NO_SPAN` when the ids
    /// have run out. (The span is written in its slot, not built and then copied.)
    #[inline]
    pub fn push(
        &mut self,
        kind: SpanKind,
        op: OpId,
        attempt: u32,
        parent: u32,
        start: SimTime,
        chain: &mut Chain,
    ) -> u32 {
        let id = self.base as u64 + self.len as u64;
        if id >= NO_SPAN as u64 {
            self.exhausted = true;
            return NO_SPAN;
        }
        let id = id as u32;
        if chain.first == NO_SPAN {
            chain.first = id;
        }
        let prev = chain.last;
        chain.last = id;
        if self.len >= self.room {
            self.make_room();
        }
        self.slots[(id & self.mask) as usize] = Span {
            kind,
            op,
            queue: 0,
            attempt,
            parent,
            request: chain.first,
            prev,
            start,
            started_ns: NOT_YET,
            work: 0,
            end_ns: NOT_YET,
            outcome: None,
        };
        self.len += 1;
        id
    }

    /// Room for one more span: at the capacity, move the front's span aside, else
    /// double the ring.
    #[cold]
    fn make_room(&mut self) {
        if self.len as usize >= self.capacity {
            // The front is the first span of a request in flight, or a later span of a
            // request already aside (opened when the ring was empty).
            self.pass_aside(self.base);
            self.base += 1;
            self.len -= 1;
            self.advance();
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

    /// The spans of `chain` in the order they were opened, with parents as indices
    /// among them; `None` if some were dropped.
    pub fn collect(&self, chain: Chain) -> Option<Vec<Span>> {
        let (mut spans, mut ids) = (Vec::new(), Vec::new());
        self.collect_into(chain, &mut spans, &mut ids)
            .then_some(spans)
    }

    /// [`Window::collect`] into `spans` (cleared first), with `ids` as scratch space:
    /// `false` if some were dropped. The tracer reuses both for every path it computes.
    pub fn collect_into(&self, chain: Chain, spans: &mut Vec<Span>, ids: &mut Vec<u32>) -> bool {
        spans.clear();
        ids.clear();
        if chain.first == NO_SPAN {
            return true;
        }
        if !self.walk_into(chain, spans, ids) {
            // A span of the request is gone (dropped aside): scan what is left, which
            // tells whether the path can still be computed.
            self.scan_into(chain, spans, ids);
        }
        // Ids grow in opening order, so a parent's index is found by bisection.
        for s in spans.iter_mut().filter(|s| s.parent != NO_SPAN) {
            match ids.binary_search(&s.parent) {
                Ok(i) => s.parent = i as u32,
                Err(_) => return false,
            }
        }
        !(spans.is_empty() || ids[0] != chain.first)
    }

    /// `chain`'s spans by their `prev` links from its last to its first, put in
    /// opening order: `false` (and nothing collected) if a link leads to a span no
    /// longer held. A request that lived long has many spans of others between its
    /// first and last (a message that waited, a saga's steps), and a scan of them all
    /// was a quarter of a traced run of `scenarios/patterns-compare.toml`.
    fn walk_into(&self, chain: Chain, spans: &mut Vec<Span>, ids: &mut Vec<u32>) -> bool {
        let mut id = chain.last;
        while let Some(span) = self.get(id).filter(|s| s.request == chain.first) {
            ids.push(id);
            spans.push(span.clone());
            if id == chain.first {
                ids.reverse();
                spans.reverse();
                return true;
            }
            id = span.prev;
        }
        spans.clear();
        ids.clear();
        false
    }

    /// Every held span from `chain`'s first to its last that names the request, in
    /// opening order (after a span of it was dropped).
    #[cold]
    fn scan_into(&self, chain: Chain, spans: &mut Vec<Span>, ids: &mut Vec<u32>) {
        // The front passes a request's first span only once it has ended or been moved
        // aside, and then moves its later spans aside too: while the first is held in
        // the ring or aside, every later span of the request is too.
        let from = if self.slot(chain.first).is_some() {
            chain.first
        } else if self.spilled.holds(chain.first) {
            let at = self.spilled.position(chain.first).expect("held");
            for (id, s) in self.spilled.spans.range(at..) {
                if s.request == chain.first {
                    ids.push(*id);
                    spans.push(s.clone());
                }
            }
            self.base
        } else {
            return;
        };
        for id in from..=chain.last {
            if let Some(i) = self
                .slot(id)
                .filter(|&i| self.slots[i].request == chain.first)
            {
                ids.push(id);
                spans.push(self.slots[i].clone());
            }
        }
    }

    /// Mark `chain`'s request ended and move the front past the spans of ended requests.
    #[inline]
    pub fn release(&mut self, chain: Chain) {
        if let Some(i) = self.slot(chain.first) {
            // A first span names itself; an ended one names no span.
            self.slots[i].request = NO_SPAN;
        } else if chain.first != NO_SPAN {
            self.forget_aside(chain.first);
        }
        // Between releases the front is a first span in flight, a later span of a
        // request whose first it has passed (opened into an empty ring), or nothing: so
        // only releasing that request, or one it has passed, can move it.
        if chain.first <= self.base {
            self.advance();
        }
    }

    /// Move the front past every span but the first span of a request in flight: a
    /// later span's request has its first span behind the front (ended, dropped, or
    /// moved aside, and then the span goes aside too).
    #[inline]
    fn advance(&mut self) {
        while self.len > 0 {
            let id = self.base;
            let s = &self.slots[(id & self.mask) as usize];
            if s.request == id {
                break;
            }
            if !self.spilled.spans.is_empty() {
                self.pass_aside(id);
            }
            self.base += 1;
            self.len -= 1;
        }
    }

    /// The front passes span `id`: keep it aside if it is the first span of a request
    /// in flight, or a later span of a request whose first span is aside (out of line,
    /// like every use of the side store).
    #[cold]
    #[inline(never)]
    fn pass_aside(&mut self, id: u32) {
        let s = &self.slots[(id & self.mask) as usize];
        if s.request == id || (s.request < id && self.spilled.holds(s.request)) {
            let span = s.clone();
            self.spilled.keep(id, span);
        }
    }

    /// Release a request whose first span the ring no longer holds.
    #[cold]
    #[inline(never)]
    fn forget_aside(&mut self, first: u32) {
        self.spilled.forget(first);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(w: &mut Window, start: u64, chain: &mut Chain) -> u32 {
        w.push(SpanKind::Call, OpId(0), 1, NO_SPAN, start, chain)
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
            assert_eq!(push(&mut w, i as u64, chain), i);
        }
        assert!(w.slots.len() >= n as usize);
        assert!((0..n).all(|i| w.get(i).map(|s| s.start) == Some(i as u64)));
        let odd_starts = w
            .collect(odd)
            .map(|s| s.iter().map(|s| s.start).collect::<Vec<_>>());
        assert_eq!(
            odd_starts,
            Some((0..n as u64).filter(|i| i % 2 == 1).collect())
        );
        // Releasing the odd ids cannot move the front (id 0 is even and live).
        w.release(odd);
        assert_eq!((w.base, w.len), (0, n));
        assert_eq!(w.collect(even).map(|s| s.len()), Some(n as usize / 2));
        w.release(even);
        assert_eq!((w.base, w.len), (n, 0));
        assert!(w.get(n - 1).is_none() && w.get(NO_SPAN).is_none());
        assert!(!w.exhausted());

        let mut small = Window::new(2);
        small.set_capacity(2, 0);
        let mut chain = Chain::EMPTY;
        for i in 0..3 {
            push(&mut small, i, &mut chain);
        }
        assert!(small.get(0).is_none() && small.get(2).is_some());
        assert!(small.collect(chain).is_none(), "the chain lost its head");

        // A full window drops its oldest span rather than grow past its capacity.
        let slots = Window::INITIAL_SLOTS;
        let mut full = Window::new(slots);
        full.set_capacity(slots, 0);
        let mut chain = Chain::EMPTY;
        for i in 0..2 * slots as u64 {
            push(&mut full, i, &mut chain);
        }
        assert_eq!(full.slots.len(), slots);
        assert_eq!((full.base, full.len), (slots as u32, slots as u32));
        assert_eq!(
            full.get(2 * slots as u32 - 1).map(|s| s.start),
            Some(2 * slots as u64 - 1)
        );
    }

    /// A request whose first span was dropped keeps opening spans, and the requests
    /// after it still release theirs: the front never sticks behind it.
    #[test]
    fn the_front_moves_past_a_request_that_lost_its_first_span() {
        let slots = Window::INITIAL_SLOTS;
        let mut w = Window::new(slots);
        w.set_capacity(slots, 0);
        let mut long = Chain::EMPTY;
        push(&mut w, 0, &mut long);
        let mut chains: Vec<Chain> = (1..slots as u64)
            .map(|i| {
                let mut c = Chain::EMPTY;
                push(&mut w, i, &mut c);
                c
            })
            .collect();
        // One more span drops the oldest, the long request's first.
        push(&mut w, slots as u64, &mut long);
        assert!(w.get(0).is_none() && w.collect(long).is_none());
        for c in chains.drain(..) {
            assert_eq!(w.collect(c).map(|s| s.len()), Some(1));
            w.release(c);
        }
        // The long request's second span goes too: its request is incomplete already.
        assert_eq!((w.base, w.len), (slots as u32 + 1, 0));
        w.release(long);
        assert_eq!((w.base, w.len), (slots as u32 + 1, 0));
    }

    /// A full ring moves the request at its front aside, with its later spans as the
    /// front reaches them: the request keeps all its spans, addressable by id, in order,
    /// and releasing it frees them; past its own bound the side store drops the oldest
    /// request.
    #[test]
    fn a_full_ring_moves_its_oldest_request_aside() {
        let slots = Window::INITIAL_SLOTS;
        let mut w = Window::new(slots);
        let mut long = Chain::EMPTY;
        push(&mut w, 0, &mut long);
        // The long request's second span, behind another request's.
        let mut other = Chain::EMPTY;
        push(&mut w, 1, &mut other);
        push(&mut w, 2, &mut long);
        w.release(other);
        let mut chains: Vec<Chain> = (3..slots as u64 + 3)
            .map(|i| {
                let mut c = Chain::EMPTY;
                push(&mut w, i, &mut c);
                c
            })
            .collect();
        // The ring is full of the short requests: the long one's two spans are aside.
        assert_eq!(w.spilled(), 2);
        assert!(w.get(0).is_some_and(|s| s.start == 0) && w.get(2).is_some());
        assert!(
            w.get(1).is_none(),
            "an ended request's span is not kept aside"
        );
        let id = push(&mut w, 9, &mut long);
        let starts = w
            .collect(long)
            .map(|s| s.iter().map(|s| s.start).collect::<Vec<_>>());
        assert_eq!(starts, Some(vec![0, 2, 9]));
        assert!(w.collect(long).unwrap().iter().all(|s| s.parent == NO_SPAN));
        for c in chains.drain(..) {
            w.release(c);
        }
        // The front reached the long request's third span, and moved it aside too
        // (with the short request the last push moved aside, ended since: it goes
        // when it leads the store).
        assert_eq!((w.base, w.len), (id + 1, 0));
        assert_eq!(w.collect(long).map(|s| s.len()), Some(3));
        w.release(long);
        assert_eq!(w.spilled(), 0);

        // Nothing aside: the front's request is dropped instead.
        let mut tight = Window::new(slots);
        tight.set_capacity(slots, 1);
        let (mut a, mut b) = (Chain::EMPTY, Chain::EMPTY);
        push(&mut tight, 0, &mut a);
        push(&mut tight, 1, &mut b);
        for i in 2..slots as u64 + 2 {
            let mut c = Chain::EMPTY;
            push(&mut tight, i, &mut c);
        }
        // `a` went aside, then `b` pushed it out of a side store of one span.
        assert_eq!(tight.spilled(), 1);
        assert!(tight.collect(a).is_none() && tight.collect(b).is_some());
    }

    /// A request that lives while thousands of others come and go is collected by its
    /// links: the same spans, parents and order as a scan of every id between its first
    /// and last span finds.
    #[test]
    fn a_long_request_is_collected_by_its_links_as_a_scan_finds_it() {
        let mut w = Window::new(Window::CAPACITY);
        let mut long = Chain::EMPTY;
        let first = push(&mut w, 0, &mut long);
        let mut at = 1;
        let mut others = Vec::new();
        for parent in [first, NO_SPAN] {
            for _ in 0..5_000 {
                let mut c = Chain::EMPTY;
                push(&mut w, at, &mut c);
                others.push(c);
                at += 1;
            }
            w.push(SpanKind::Execution, OpId(1), 1, parent, at, &mut long);
            at += 1;
        }
        let walked = w.collect(long).expect("every span held");
        let (mut spans, mut ids) = (Vec::new(), Vec::new());
        w.scan_into(long, &mut spans, &mut ids);
        assert_eq!(ids, vec![first, 5_001, 10_002]);
        let view = |s: &[Span]| s.iter().map(|s| (s.start, s.prev)).collect::<Vec<_>>();
        assert_eq!(view(&walked), view(&spans));
        let parents: Vec<u32> = walked.iter().map(|s| s.parent).collect();
        assert_eq!(parents, vec![NO_SPAN, 0, NO_SPAN]);
        for c in others {
            assert_eq!(w.collect(c).map(|s| s.len()), Some(1));
        }
    }
}
