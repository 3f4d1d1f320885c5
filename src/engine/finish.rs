//! The end of a replication: levels closed at the run's end, the conservation ledger
//! checked (every request, execution and message ends in exactly one outcome), and the
//! errors a replication can end with.

use super::{Caller, Engine, GuardError};
use crate::metrics::{RunMetrics, SagaMetrics};

/// Error raised when a run's books do not balance (a bug, never user error).
#[derive(Debug, thiserror::Error)]
#[error("conservation violated in replication {replication}: {detail}")]
pub struct ConservationError {
    /// The replication.
    pub replication: u32,
    /// What did not balance.
    pub detail: String,
}

/// Why a replication produced no metrics.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The books did not balance: an engine bug.
    #[error(transparent)]
    Conservation(#[from] ConservationError),
    /// The run would never end (a zero-time cycle) or not in any useful time (a pace
    /// of events far past the budget): fix the model as the message says.
    #[error(transparent)]
    Guard(#[from] GuardError),
}

impl Engine<'_> {
    pub(super) fn finish(
        mut self,
        events: u64,
        replication: u32,
    ) -> Result<RunMetrics, ConservationError> {
        let end = self.sc.sim.duration;
        let warmup = self.sc.sim.warmup;
        for s in &mut self.metrics.services {
            s.busy.close(end);
            s.queued.close(end);
            s.cores.close(end);
        }
        for q in &mut self.metrics.queues {
            q.depth.close(end);
            q.delivery.seal();
        }
        self.metrics.pools.iter_mut().for_each(|p| p.close(end));
        let pool_books = self.pool_conservation();
        self.scaling_finish(end);
        self.saga_finish();
        self.metrics.sagas.iter_mut().for_each(SagaMetrics::seal);
        for f in &mut self.metrics.flows {
            f.seal();
        }
        self.metrics.timeline.seal();
        for r in self.roots.iter() {
            if r.sent >= warmup {
                self.metrics.flows[r.workload as usize].completion_in_progress += 1;
            }
        }
        self.metrics.conservation.messages_in_queue = self.msgs.live_messages() as u64;
        for (fault, open) in self.fault_open.iter().enumerate() {
            if let Some((start, listed)) = *open {
                self.metrics.fault_totals[fault].down += end.saturating_sub(start);
                if let Some(i) = listed {
                    self.metrics.fault_windows[i].end = end;
                }
            }
        }
        let mut in_flight = 0;
        for c in self.calls.iter() {
            if let Caller::Client { workload, .. } = c.caller {
                in_flight += 1;
                if c.sent >= warmup {
                    self.metrics.flows[workload as usize].in_flight += 1;
                }
            }
        }
        let m = &mut self.metrics;
        m.events = events;
        m.conservation.requests_in_flight = in_flight;
        m.conservation.executions_in_progress = self.execs.len() as u64;
        let mut problems = Vec::new();
        if !m.conservation.balances() {
            problems.push(format!("{:?}", m.conservation));
        }
        problems.extend(pool_books);
        for (f, wl) in m.flows.iter().zip(&self.sc.workloads) {
            let completions = f.completed_ok + f.completed_failed + f.completion_in_progress;
            if completions != f.generated {
                problems.push(format!(
                    "flow {}: completions {completions} != requests {}",
                    wl.flow, f.generated
                ));
            }
            if f.generated != f.completed() + f.in_flight {
                problems.push(format!(
                    "flow {}: generated {} != succeeded {} + failed {} + in flight {}",
                    wl.flow,
                    f.generated,
                    f.succeeded,
                    f.failures(),
                    f.in_flight
                ));
            }
        }
        if problems.is_empty() {
            Ok(self.metrics)
        } else {
            Err(ConservationError {
                replication,
                detail: problems.join("; "),
            })
        }
    }
}
