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
    let mut handled = 0u64;
    while let Some(time) = queue.peek_time() {
        if time > until {
            break;
        }
        let Scheduled { time, event, .. } = queue.pop().expect("peeked");
        model.handle(time, event, queue);
        handled += 1;
    }
    handled
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
}
