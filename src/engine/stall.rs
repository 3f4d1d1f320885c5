//! Zero-time cycles: when the simulated clock stops advancing, stop the replication and
//! name what is spinning.
//!
//! The loader refuses the cycles it can prove (a ring of zero-latency message or saga
//! hops, closed users with no think time behind a rate limit); this is the guard for the
//! rest. The kernel counts events in a row at one instant; past [`stall_limit`] the
//! engine steps a few thousand more events, labels each with the component it belongs
//! to, and reports the busiest ones with the simulated time.

use super::{Engine, Event};
use crate::kernel::{format_duration, EventQueue, Model, Scheduled, SimTime};
use crate::model::Arrivals;
use std::collections::BTreeMap;

/// Events in a row at one instant before a replication counts as stalled, on top of a
/// per-closed-user allowance. A legitimate burst at one instant (a fan-out, every user
/// of a closed workload) is bounded by the model's size, far below this; the limit is
/// about a CPU second of events.
const STALL_BASE: u64 = 2_000_000;
/// Same-instant events allowed per closed-loop user (each sends, is served and answered
/// in a handful of events, possibly all at one instant).
const STALL_PER_USER: u64 = 16;
/// Events stepped after a stall to see which components take part in the cycle.
const DIAGNOSIS_EVENTS: usize = 20_000;
/// Components named in the error.
const NAMED: usize = 5;

/// The limit of same-instant events for `scenario`.
pub(super) fn stall_limit(scenario: &crate::model::Scenario) -> u64 {
    let users: u64 = scenario
        .workloads
        .iter()
        .map(|w| match &w.arrivals {
            Arrivals::Closed { users, .. } => *users as u64,
            _ => 0,
        })
        .sum();
    STALL_BASE.saturating_add(users.saturating_mul(STALL_PER_USER))
}

/// A replication whose clock stopped advancing: a cycle of work that takes no simulated
/// time. Give one hop of the cycle a latency, a think time or a delay.
#[derive(Debug, thiserror::Error)]
#[error(
    "replication {}: simulated time stopped advancing at {}: {events} events at that instant, a zero-time cycle through {}; give one of its hops a latency, a think time or a delay",
    .replication + 1,
    format_duration(*.time as f64),
    .components.join(", ")
)]
pub struct StallError {
    /// The replication (0-based).
    pub replication: u32,
    /// The instant the clock is stuck at.
    pub time: SimTime,
    /// Events handled at that instant before the run was stopped.
    pub events: u64,
    /// The components taking part, busiest first, e.g. "queue b.q (64%)".
    pub components: Vec<String>,
}

impl Engine<'_> {
    /// Step up to [`DIAGNOSIS_EVENTS`] more events at the stalled instant and name the
    /// components they belong to.
    pub(super) fn diagnose_stall(
        &mut self,
        queue: &mut EventQueue<Event>,
        time: SimTime,
        events: u64,
        replication: u32,
    ) -> StallError {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut seen = 0usize;
        while seen < DIAGNOSIS_EVENTS && queue.peek_time() == Some(time) {
            let Scheduled { event, .. } = queue.pop().expect("peeked");
            *counts.entry(self.component_of(&event)).or_default() += 1;
            self.handle(time, event, queue);
            seen += 1;
        }
        let mut busiest: Vec<(String, usize)> = counts.into_iter().collect();
        busiest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let components = busiest
            .iter()
            .take(NAMED)
            .map(|(name, n)| format!("{name} ({:.0}%)", 100.0 * *n as f64 / seen.max(1) as f64))
            .collect();
        StallError {
            replication,
            time,
            events,
            components,
        }
    }

    /// The component an event belongs to, in the scenario's names.
    fn component_of(&self, event: &Event) -> String {
        let sc = self.sc;
        let op = |o: crate::model::OpId| sc.operations[o.0 as usize].name.as_str();
        let exec_op = |e| {
            self.execs
                .get(e)
                .map_or("a finished execution", |x| op(x.op))
        };
        let site_op = |site: u32| op(self.sites[site as usize].call.target);
        let saga = |inst| {
            self.sagas
                .saga_of(inst)
                .map_or("a settled saga", |s| sc.sagas[s as usize].name.as_str())
        };
        let queue_name = |msg| {
            self.msgs
                .queue_of(msg)
                .map_or("a settled message", |q| sc.queues[q as usize].name.as_str())
        };
        match *event {
            Event::Arrival { workload } => {
                format!("arrivals of flow {}", sc.workloads[workload as usize].flow)
            }
            Event::UserSend { workload, .. } => format!(
                "closed-loop users of flow {}",
                sc.workloads[workload as usize].flow
            ),
            Event::Deliver { op: o, .. } => format!("calls to {}", op(o)),
            Event::WorkDone { exec } | Event::FallbackDone { exec } => {
                format!("operation {}", exec_op(exec))
            }
            Event::Reply { call, .. } | Event::Timeout { call } => {
                self.calls
                    .get(call)
                    .map_or("replies of finished calls".to_string(), |c| {
                        format!(
                            "replies from {}",
                            sc.services[c.target_service.0 as usize].name
                        )
                    })
            }
            Event::Timeouts { .. } => "call timeouts".into(),
            Event::Retry { site, .. } | Event::Hedge { site, .. } => {
                format!("retries of calls to {}", site_op(site))
            }
            Event::BreakerHalfOpen { site } => {
                format!("the circuit breaker of calls to {}", site_op(site))
            }
            Event::FaultStart { fault } | Event::FaultEnd { fault } => {
                format!("fault {}", sc.faults[fault as usize].name)
            }
            Event::PublishAck { exec, .. } => format!("publishes by {}", exec_op(exec)),
            Event::Consume { msg, .. } | Event::AckTimeout { msg, .. } | Event::Requeue { msg } => {
                format!("queue {}", queue_name(msg))
            }
            Event::ReplyArrive { pending } | Event::ReplyTimeout { pending } => self
                .msgs
                .continuation_of(pending)
                .map_or("replies of finished requests".to_string(), |o| {
                    format!("request-replies continued by {}", op(o))
                }),
            Event::SagaDispatch { inst, .. }
            | Event::SagaResult { inst, .. }
            | Event::SagaTimeout { inst, .. }
            | Event::SagaRetry { inst, .. } => format!("saga {}", saga(inst)),
            Event::Tick => "the timeline".into(),
            Event::WarmupEnd => "the end of the warm-up".into(),
        }
    }
}
