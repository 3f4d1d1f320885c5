//! Runs that would never end: a clock that stops advancing (a zero-time cycle), or a
//! pace of events that would take hours or years to reach the end of the run. Either
//! stops the replication with a one-line error naming what is spinning.
//!
//! The loader refuses the zero-time cycles it can prove (rings of zero-latency message
//! or saga hops); the kernel's [`Guard`] catches the rest. After a halt the engine steps
//! a few thousand more events, labels each with the component it belongs to, and
//! reports the busiest ones with the simulated time.

use super::{Engine, Event};
use crate::kernel::{
    format_duration, EventQueue, Guard, Halt, HaltReason, Model, Scheduled, SimTime,
};
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
/// Events stepped after a halt to see which components are busy.
const DIAGNOSIS_EVENTS: usize = 20_000;
/// Components named in the error.
const NAMED: usize = 5;
/// Backlogs named in a [`GuardError::Flooded`] error.
const BACKLOGS: usize = 3;

/// The kernel's guard for a replication of `scenario`.
pub(super) fn guard(scenario: &crate::model::Scenario) -> Guard {
    Guard {
        stall_limit: stall_limit(scenario),
        event_budget: scenario.sim.max_events,
        max_pending: usize::try_from(scenario.sim.max_pending).unwrap_or(usize::MAX),
    }
}

/// "; longest backlogs: a, b" when there are any.
fn backlog_list(backlogs: &[String]) -> String {
    if backlogs.is_empty() {
        String::new()
    } else {
        format!("; longest backlogs: {}", backlogs.join(", "))
    }
}

/// `count` in the shortest e-notation that reads back as it (`3e7`, `1.5e7`).
fn exact(count: f64) -> String {
    (0..=16)
        .map(|digits| format!("{count:.digits$e}"))
        .find(|s| s.parse::<f64>().ok() == Some(count))
        .unwrap_or_else(|| format!("{count:e}"))
}

/// `projected` in e-notation with the digits that show it past `budget` (`3.04e7`
/// against `3e7`, not `3.0e7`).
fn above(projected: f64, budget: f64) -> String {
    (1..=8)
        .map(|digits| format!("{projected:.digits$e}"))
        .find(|s| s.parse::<f64>().is_ok_and(|p| p > budget))
        .unwrap_or_else(|| format!("{projected:e}"))
}

/// The limit of same-instant events for `scenario`.
fn stall_limit(scenario: &crate::model::Scenario) -> u64 {
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

/// A replication that would never end, or not in any useful time.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The clock stopped advancing: a cycle of work that takes no simulated time. Give
    /// one hop of the cycle a latency, a think time or a delay.
    #[error(
        "replication {}: simulated time stopped advancing at {}: {events} events at that instant, a zero-time cycle through {}; give one of its hops a latency, a think time or a delay",
        .replication + 1,
        format_duration(*.time as f64),
        .components.join(", ")
    )]
    Stalled {
        /// The replication (0-based).
        replication: u32,
        /// The instant the clock is stuck at.
        time: SimTime,
        /// Events handled at that instant before the run was stopped.
        events: u64,
        /// The components taking part, busiest first, e.g. "queue b.q (64%)".
        components: Vec<String>,
    },
    /// The run's pace would take it far past the event budget: shorten the run, or
    /// remove what makes it so dense (the components named).
    #[error(
        "replication {}: at its pace ({handled} events in the first {} simulated) the run would take about {} events, more than the {} a replication may take ([simulation] max_events, --max-events); busiest: {}; shorten the duration or lower what makes events this dense",
        .replication + 1,
        format_duration(*.time as f64),
        above(*.projected, *.budget),
        exact(*.budget),
        .components.join(", ")
    )]
    OverBudget {
        /// The replication (0-based).
        replication: u32,
        /// Simulated time reached.
        time: SimTime,
        /// Events handled so far.
        handled: u64,
        /// Events the whole run would take at this pace.
        projected: f64,
        /// The budget.
        budget: f64,
        /// The busiest components, e.g. "closed-loop users of flow f (50%)".
        components: Vec<String>,
    },
    /// Work was scheduled or queued faster than it was served, until too much was
    /// pending: remove what floods the run (the components and backlogs named), or
    /// raise the limit for a backlog that is meant to be this large.
    #[error(
        "replication {}: {} pending at {} simulated ({pending} events, {held} requests, calls, executions, messages and sagas in flight), more than the {} a replication may hold ([simulation] max_pending, --max-pending); work piles up faster than it is served; busiest: {}{}; lower what makes work pile up",
        .replication + 1,
        .pending + .held,
        format_duration(*.time as f64),
        exact(*.max as f64),
        .components.join(", "),
        backlog_list(.backlogs)
    )]
    Flooded {
        /// The replication (0-based).
        replication: u32,
        /// Simulated time reached.
        time: SimTime,
        /// Events pending.
        pending: usize,
        /// Requests, calls, executions, messages and sagas in flight.
        held: usize,
        /// The limit (`[simulation] max_pending`).
        max: u64,
        /// The busiest components.
        components: Vec<String>,
        /// The longest queues, e.g. "queue bus.q (7900000 messages waiting)".
        backlogs: Vec<String>,
    },
}

impl Engine<'_> {
    /// Name the busiest components after the kernel halted `replication`.
    pub(super) fn diagnose(
        &mut self,
        queue: &mut EventQueue<Event>,
        halt: Halt,
        replication: u32,
    ) -> GuardError {
        let components = self.busiest(queue, halt);
        match halt.reason {
            HaltReason::Stalled { events } => GuardError::Stalled {
                replication,
                time: halt.time,
                events,
                components,
            },
            HaltReason::OverBudget { projected } => GuardError::OverBudget {
                replication,
                time: halt.time,
                handled: halt.handled,
                projected: projected as f64,
                budget: self.sc.sim.max_events as f64,
                components,
            },
            HaltReason::Flooded { pending, held } => GuardError::Flooded {
                replication,
                time: halt.time,
                pending,
                held,
                max: self.sc.sim.max_pending,
                components,
                backlogs: self.backlogs(),
            },
        }
    }

    /// Step up to [`DIAGNOSIS_EVENTS`] more events (only those at the halted instant for
    /// a stall) and name the components they belong to, busiest first.
    fn busiest(&mut self, queue: &mut EventQueue<Event>, halt: Halt) -> Vec<String> {
        let stalled = matches!(halt.reason, HaltReason::Stalled { .. });
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut seen = 0usize;
        while let Some(time) = queue.peek_time() {
            let done = seen == DIAGNOSIS_EVENTS || time > self.sc.sim.duration;
            if done || (stalled && time != halt.time) {
                break;
            }
            let Scheduled { time, event, .. } = queue.pop().expect("peeked");
            *counts.entry(self.component_of(&event)).or_default() += 1;
            self.handle(time, event, queue);
            seen += 1;
        }
        let mut busiest: Vec<(String, usize)> = counts.into_iter().collect();
        busiest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        busiest
            .iter()
            .take(NAMED)
            .map(|(name, n)| format!("{name} ({:.0}%)", 100.0 * *n as f64 / seen.max(1) as f64))
            .collect()
    }

    /// The longest queues of work waiting for its turn (messages for a consumer,
    /// requests for a worker), longest first.
    fn backlogs(&self) -> Vec<String> {
        let sc = self.sc;
        let queues = self.metrics.queues.iter().enumerate().map(|(q, m)| {
            let n = m.depth.level();
            (
                n,
                format!("queue {} ({n} messages waiting)", sc.queues[q].name),
            )
        });
        let services = self.metrics.services.iter().enumerate().map(|(s, m)| {
            let n = m.queued.level();
            (
                n,
                format!("service {} ({n} requests queued)", sc.services[s].name),
            )
        });
        let mut all: Vec<(u64, String)> = queues.chain(services).filter(|(n, _)| *n > 0).collect();
        // Stable: ties keep the scenario's order.
        all.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        all.into_iter().take(BACKLOGS).map(|(_, s)| s).collect()
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
                .map_or("sagas already settled".into(), |s| {
                    format!("saga {}", sc.sagas[s as usize].name)
                })
        };
        let queue_name = |msg| {
            self.msgs
                .queue_of(msg)
                .map_or("messages already settled".into(), |q| {
                    format!("queue {}", sc.queues[q as usize].name)
                })
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
            Event::CpuDone { replica, .. } => {
                let s = self.replica_base.partition_point(|&b| b <= replica) - 1;
                format!("local work on the cores of {}", sc.services[s].name)
            }
            Event::WorkDone { exec }
            | Event::FallbackDone { exec }
            | Event::CpuDeadline { exec } => {
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
            Event::PoolTimeout { .. } => "connection pool acquire timeouts".into(),
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
                queue_name(msg)
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
            | Event::SagaRetry { inst, .. } => saga(inst),
            Event::ScaleEval { .. } | Event::ReplicaReady { .. } => "the autoscalers".into(),
            Event::Tick => "the timeline".into(),
            Event::WarmupEnd => "the end of the warm-up".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{above, exact};

    #[test]
    fn a_budget_reads_back_and_a_projection_shows_it_is_past_it() {
        assert_eq!(exact(3e7), "3e7");
        assert_eq!(exact(1.5e7), "1.5e7");
        assert_eq!(exact(1e10), "1e10");
        assert_eq!(exact(30_000_001.0), "3.0000001e7");
        // One decimal would print 3.0e7, which reads as the budget itself.
        assert_eq!(above(30_408_704.0, 3e7), "3.04e7");
        assert_eq!(above(1.54e7, 1.5e7), "1.54e7");
        assert_eq!(above(9.9e10, 1e10), "9.9e10");
    }
}
