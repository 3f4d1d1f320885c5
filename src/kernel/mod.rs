//! The discrete-event kernel: simulated time, the event queue, the event loop and
//! seeded random-number streams.
//!
//! Architecture invariant: the kernel knows nothing about services, calls or
//! messages. It moves opaque events of a caller-chosen type through time in a
//! deterministic order, and hands out independent, value-stable RNG streams.

mod queue;
mod rng;
mod time;

pub use queue::{EventQueue, Scheduled};
pub use rng::{stable_id, RngStream, StreamKey};
pub use time::{format_duration, SimTime, NANOS_PER_MS, NANOS_PER_SEC, NANOS_PER_US};

/// A simulation model driven by the kernel's event loop.
///
/// The kernel pops the earliest event and hands it to [`Model::handle`] together with the
/// queue, so the handler can schedule follow-up events.
pub trait Model {
    /// The event type this model schedules. Keep it plain data (no boxing): it is
    /// moved through the heap on every scheduling.
    type Event;

    /// Handle one event occurring at `now`.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Run the event loop until the queue is empty or the next event lies after `until`.
///
/// Events scheduled exactly at `until` are processed. Returns the number of events
/// handled. Time never goes backwards: the queue rejects scheduling in the past in debug
/// builds.
pub fn run_until<M: Model>(model: &mut M, queue: &mut EventQueue<M::Event>, until: SimTime) -> u64 {
    match run_guarded(model, queue, until, u64::MAX) {
        Ok(handled) => handled,
        Err(stall) => stall.handled,
    }
}

/// The clock stopped advancing: `events` events in a row happened at simulated time
/// `time` (a zero-time cycle in the model, which would otherwise run for ever).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stalled {
    /// The instant the clock is stuck at.
    pub time: SimTime,
    /// Events handled at that instant before the loop gave up.
    pub events: u64,
    /// Events handled in the whole run, these included.
    pub handled: u64,
}

/// [`run_until`] with a guard against zero-time cycles: stops with [`Stalled`] once
/// `stall_limit` events in a row have been handled without the clock advancing. The
/// queue keeps the remaining events, so the caller can step on to diagnose the cycle.
pub fn run_guarded<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    until: SimTime,
    stall_limit: u64,
) -> Result<u64, Stalled> {
    let mut handled = 0u64;
    let mut last = SimTime::MAX;
    let mut same_instant = 0u64;
    while let Some(time) = queue.peek_time() {
        if time > until {
            break;
        }
        if time == last {
            same_instant += 1;
            if same_instant >= stall_limit {
                return Err(Stalled {
                    time,
                    events: same_instant,
                    handled,
                });
            }
        } else {
            last = time;
            same_instant = 0;
        }
        let Scheduled { time, event, .. } = queue.pop().expect("peeked");
        model.handle(time, event, queue);
        handled += 1;
    }
    Ok(handled)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter {
        seen: Vec<(SimTime, u32)>,
    }

    impl Model for Counter {
        type Event = u32;
        fn handle(&mut self, now: SimTime, event: u32, queue: &mut EventQueue<u32>) {
            self.seen.push((now, event));
            if event < 3 {
                queue.schedule(now + 10, event + 10);
            }
        }
    }

    #[test]
    fn loop_processes_in_time_then_insertion_order_and_stops_at_horizon() {
        let mut q = EventQueue::new();
        q.schedule(5, 2);
        q.schedule(5, 1);
        q.schedule(0, 0);
        q.schedule(100, 99);
        let mut m = Counter { seen: vec![] };
        let n = run_until(&mut m, &mut q, 50);
        assert_eq!(n, 6);
        assert_eq!(
            m.seen,
            vec![(0, 0), (5, 2), (5, 1), (10, 10), (15, 12), (15, 11)]
        );
        assert_eq!(q.len(), 1, "the event after the horizon stays queued");
    }

    /// Re-schedules itself at the same instant for ever.
    struct Spinner;

    impl Model for Spinner {
        type Event = ();
        fn handle(&mut self, now: SimTime, _: (), queue: &mut EventQueue<()>) {
            queue.schedule(now, ());
        }
    }

    #[test]
    fn guard_stops_a_clock_that_does_not_advance() {
        let mut q = EventQueue::new();
        q.schedule(7, ());
        let stall = run_guarded(&mut Spinner, &mut q, 100, 1000).unwrap_err();
        assert_eq!(stall.time, 7);
        assert_eq!(stall.events, 1000);
        assert_eq!(q.len(), 1, "the pending event stays for diagnosis");
    }

    #[test]
    fn guard_ignores_many_events_at_distinct_instants() {
        let mut q = EventQueue::new();
        for t in 0..5000u64 {
            q.schedule(t / 2, t as u32);
        }
        let mut m = Counter { seen: vec![] };
        assert_eq!(run_guarded(&mut m, &mut q, u64::MAX, 4), Ok(5000 + 3));
    }
}
