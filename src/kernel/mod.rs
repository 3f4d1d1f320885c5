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
pub use time::{format_duration, round_ns, SimTime, NANOS_PER_MS, NANOS_PER_SEC, NANOS_PER_US};

/// A simulation model driven by the kernel's event loop.
///
/// The kernel pops the earliest event and hands it to [`Model::handle`] together with the
/// queue, so the handler can schedule follow-up events.
pub trait Model {
    /// The event type this model schedules: plain data (`Copy`, no boxing), moved
    /// through the heap on every scheduling and copied out of it when popped.
    type Event: Copy;

    /// Handle one event occurring at `now`.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);

    /// Work the model holds outside the event queue (items waiting in its own queues
    /// for their turn, with no event of their own), counted with the pending events
    /// against [`Guard::max_pending`]. Asked once every [`Guard::CHECK_EVERY`] events.
    fn held(&self) -> usize {
        0
    }
}

/// Run the event loop until the queue is empty or the next event lies after `until`.
///
/// Events scheduled exactly at `until` are processed. Returns the number of events
/// handled. Time never goes backwards: the queue rejects scheduling in the past in debug
/// builds.
pub fn run_until<M: Model>(model: &mut M, queue: &mut EventQueue<M::Event>, until: SimTime) -> u64 {
    match run_guarded(model, queue, until, Guard::NONE) {
        Ok(handled) => handled,
        Err(halt) => halt.handled,
    }
}

/// Limits that stop a run which would never end, or not in any useful time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    /// Events in a row at one instant (the clock not advancing) before the run stops.
    pub stall_limit: u64,
    /// Most events the whole run may take, projected from its pace so far: past
    /// [`Guard::PROJECT_AFTER`] events, a run whose events per simulated nanosecond
    /// would take it beyond this by `until` stops at once rather than after hours.
    pub event_budget: u64,
    /// Most work pending at once, events in the queue and what the model holds
    /// ([`Model::held`]) together: a model that schedules or queues work faster than
    /// time moves would otherwise grow until memory runs out.
    pub max_pending: usize,
}

impl Guard {
    /// No limits.
    pub const NONE: Guard = Guard {
        stall_limit: u64::MAX,
        event_budget: u64::MAX,
        max_pending: usize::MAX,
    };
    /// Events handled before the pace is trusted for a projection (a run's first
    /// instants can be denser than the rest).
    pub const PROJECT_AFTER: u64 = 1 << 22;
    /// How often (in events) the projection and the pending work are checked.
    pub const CHECK_EVERY: u64 = 1 << 20;
}

/// Why a guarded run stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HaltReason {
    /// The clock stopped advancing: `events` events in a row at one instant (a
    /// zero-time cycle in the model).
    Stalled {
        /// Events handled at that instant.
        events: u64,
    },
    /// At its pace so far the run would handle about `projected` events by its end.
    OverBudget {
        /// Projected events of the whole run.
        projected: u64,
    },
    /// More than the guard's `max_pending` events and held items were pending at once.
    Flooded {
        /// Events pending.
        pending: usize,
        /// Work the model held outside the queue ([`Model::held`]).
        held: usize,
    },
}

/// A guarded run stopped early; the queue keeps the remaining events, so the caller
/// can step on to diagnose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Halt {
    /// The simulated time it stopped at.
    pub time: SimTime,
    /// Events handled in the whole run.
    pub handled: u64,
    /// Why.
    pub reason: HaltReason,
}

/// [`run_until`] under a [`Guard`]: stops with a [`Halt`] when the clock has not
/// advanced for `stall_limit` events in a row, or when the run's pace projects it past
/// `event_budget` events.
pub fn run_guarded<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    until: SimTime,
    guard: Guard,
) -> Result<u64, Halt> {
    let mut handled = 0u64;
    let mut last = SimTime::MAX;
    let mut same_instant = 0u64;
    while let Some(time) = queue.peek_time() {
        if time > until {
            break;
        }
        if time == last {
            same_instant += 1;
            if same_instant >= guard.stall_limit {
                return Err(Halt {
                    time,
                    handled,
                    reason: HaltReason::Stalled {
                        events: same_instant,
                    },
                });
            }
        } else {
            last = time;
            same_instant = 0;
        }
        if handled % Guard::CHECK_EVERY == 0 {
            let (pending, held) = (queue.len(), model.held());
            if pending.saturating_add(held) > guard.max_pending {
                return Err(Halt {
                    time,
                    handled,
                    reason: HaltReason::Flooded { pending, held },
                });
            }
        }
        if handled % Guard::CHECK_EVERY == 0 && handled >= Guard::PROJECT_AFTER {
            let pace = handled as f64 / time.max(1) as f64;
            let projected = (pace * until as f64).min(u64::MAX as f64) as u64;
            if projected > guard.event_budget {
                return Err(Halt {
                    time,
                    handled,
                    reason: HaltReason::OverBudget { projected },
                });
            }
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
        let guard = Guard {
            stall_limit: 1000,
            ..Guard::NONE
        };
        let halt = run_guarded(&mut Spinner, &mut q, 100, guard).unwrap_err();
        assert_eq!(halt.time, 7);
        assert_eq!(halt.reason, HaltReason::Stalled { events: 1000 });
        assert_eq!(q.len(), 1, "the pending event stays for diagnosis");
    }

    /// One event per nanosecond, for ever.
    struct Ticker;

    impl Model for Ticker {
        type Event = ();
        fn handle(&mut self, now: SimTime, _: (), queue: &mut EventQueue<()>) {
            queue.schedule(now + 1, ());
        }
    }

    #[test]
    fn guard_stops_a_run_whose_pace_would_take_it_past_the_budget() {
        let mut q = EventQueue::new();
        q.schedule(0, ());
        let until = 1_000_000_000_000; // 1e12 events at this pace
        let guard = Guard {
            event_budget: 1_000_000_000,
            ..Guard::NONE
        };
        let halt = run_guarded(&mut Ticker, &mut q, until, guard).unwrap_err();
        assert_eq!(halt.handled, Guard::PROJECT_AFTER);
        assert!(
            matches!(halt.reason, HaltReason::OverBudget { projected } if projected > 900_000_000_000)
        );
        // Within the budget, the same run ends normally.
        let mut q = EventQueue::new();
        q.schedule(0, ());
        let guard = Guard {
            event_budget: 2 * Guard::PROJECT_AFTER,
            ..Guard::NONE
        };
        assert_eq!(
            run_guarded(&mut Ticker, &mut q, Guard::PROJECT_AFTER, guard),
            Ok(Guard::PROJECT_AFTER + 1)
        );
    }

    /// One event per nanosecond that leaves one more item waiting in the model.
    struct Hoarder {
        held: usize,
    }

    impl Model for Hoarder {
        type Event = ();
        fn handle(&mut self, now: SimTime, _: (), queue: &mut EventQueue<()>) {
            self.held += 1;
            queue.schedule(now + 1, ());
        }
        fn held(&self) -> usize {
            self.held
        }
    }

    #[test]
    fn guard_counts_what_the_model_holds_with_the_pending_events() {
        // One event pending throughout: only the held items can pass the limit, and
        // they are counted at the checks, every `CHECK_EVERY` events.
        let mut q = EventQueue::new();
        q.schedule(0, ());
        let guard = Guard {
            max_pending: 1_500_000,
            ..Guard::NONE
        };
        let mut m = Hoarder { held: 0 };
        let halt = run_guarded(&mut m, &mut q, u64::MAX, guard).unwrap_err();
        assert_eq!(halt.handled, 2 * Guard::CHECK_EVERY);
        let held = 2 * Guard::CHECK_EVERY as usize;
        assert_eq!(halt.reason, HaltReason::Flooded { pending: 1, held });
        // A model that holds nothing runs on under the same limit.
        let mut q = EventQueue::new();
        q.schedule(0, ());
        assert_eq!(
            run_guarded(&mut Ticker, &mut q, 3 * Guard::CHECK_EVERY, guard),
            Ok(3 * Guard::CHECK_EVERY + 1)
        );
    }

    #[test]
    fn guard_ignores_many_events_at_distinct_instants() {
        let mut q = EventQueue::new();
        for t in 0..5000u64 {
            q.schedule(t / 2, t as u32);
        }
        let mut m = Counter { seen: vec![] };
        let guard = Guard {
            stall_limit: 4,
            ..Guard::NONE
        };
        assert_eq!(run_guarded(&mut m, &mut q, u64::MAX, guard), Ok(5000 + 3));
    }
}
