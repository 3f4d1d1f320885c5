//! Failure injection: scheduled windows and MTBF/MTTR processes that crash, hang, slow
//! or break replicas, and partition links.

use super::{Engine, Event};
use crate::kernel::EventQueue;
use crate::metrics::{FaultWindow, MAX_LISTED_EVENTS};
use crate::model::{FaultKind, FaultSchedule, FaultTarget};
use std::ops::Range;

impl Engine<'_> {
    pub(super) fn start_faults(&mut self, queue: &mut EventQueue<Event>) {
        for (i, f) in self.sc.faults.iter().enumerate() {
            let fault = i as u32;
            let at = match &f.schedule {
                FaultSchedule::Window { at, .. } => *at,
                FaultSchedule::Stochastic { mtbf, .. } => mtbf.sample(&mut self.fault_rng[i]),
            };
            if at <= self.sc.sim.duration {
                queue.schedule(at, Event::FaultStart { fault });
            }
        }
    }

    /// The service a global replica index belongs to.
    pub(super) fn service_of_replica(&self, r: u32) -> crate::model::ServiceId {
        let s = self.replica_base.partition_point(|&base| base <= r) - 1;
        crate::model::ServiceId(s as u32)
    }

    /// Replicas hit by a service or replica target.
    fn target_replicas(&self, target: FaultTarget) -> Range<u32> {
        match target {
            FaultTarget::Service(s) => {
                let base = self.replica_base[s.0 as usize];
                base..base + self.sc.services[s.0 as usize].replicas
            }
            FaultTarget::Replica(s, r) => {
                let base = self.replica_base[s.0 as usize];
                base + r..base + r + 1
            }
            FaultTarget::Link(_) | FaultTarget::Broker(_) => 0..0,
        }
    }

    pub(super) fn fault_start(&mut self, fault: u32, queue: &mut EventQueue<Event>) {
        let sc = self.sc;
        let f = &sc.faults[fault as usize];
        let now = self.now;
        self.active_faults += 1;
        self.metrics.fault_totals[fault as usize].activations += 1;
        let listed = self.metrics.fault_windows.len() < MAX_LISTED_EVENTS;
        self.fault_open[fault as usize] =
            Some((now, listed.then_some(self.metrics.fault_windows.len())));
        if listed {
            self.metrics.fault_windows.push(FaultWindow {
                fault,
                start: now,
                end: sc.sim.duration,
            });
        }
        if let FaultTarget::Link(l) = f.target {
            self.links[l.0 as usize].partitioned += 1;
        }
        if let FaultTarget::Broker(b) = f.target {
            let down = self.broker_down(b);
            *down += 1;
            if *down == 1 {
                self.broker_crash(b, queue);
            }
        }
        for r in self.target_replicas(f.target) {
            let replica = &mut self.replicas[r as usize];
            match f.kind {
                FaultKind::Crash => {
                    replica.crashed += 1;
                    if replica.crashed == 1 {
                        self.crash_replica(r, queue);
                        if !sc.sagas.is_empty() {
                            self.saga_coordinator_crash(r, queue);
                        }
                    }
                }
                FaultKind::Hang => replica.hung += 1,
                FaultKind::Slow { .. } => replica.slow.push(fault),
                FaultKind::Error { .. } => replica.error.push(fault),
                FaultKind::Partition => {}
            }
        }
        let length = match &f.schedule {
            FaultSchedule::Window { duration, .. } => *duration,
            FaultSchedule::Stochastic { mttr, .. } => {
                mttr.sample(&mut self.fault_rng[fault as usize]).max(1)
            }
        };
        queue.schedule(now.saturating_add(length), Event::FaultEnd { fault });
    }

    pub(super) fn fault_end(&mut self, fault: u32, queue: &mut EventQueue<Event>) {
        let sc = self.sc;
        let f = &sc.faults[fault as usize];
        let now = self.now;
        self.active_faults -= 1;
        if let Some((start, listed)) = self.fault_open[fault as usize].take() {
            self.metrics.fault_totals[fault as usize].down += now - start;
            if let Some(i) = listed {
                self.metrics.fault_windows[i].end = now;
            }
        }
        if let FaultTarget::Link(l) = f.target {
            self.links[l.0 as usize].partitioned -= 1;
        }
        if let FaultTarget::Broker(b) = f.target {
            let down = self.broker_down(b);
            *down -= 1;
            if *down == 0 {
                self.broker_restart(b, queue);
            }
        }
        for r in self.target_replicas(f.target) {
            let replica = &mut self.replicas[r as usize];
            match f.kind {
                FaultKind::Crash => {
                    // Restarted empty; it takes new work at once, and reconnects to
                    // the broker as a consumer.
                    replica.crashed -= 1;
                    if self.replicas[r as usize].crashed == 0 {
                        self.replica_restarted(r);
                    }
                    if self.replicas[r as usize].crashed == 0 && !sc.queues.is_empty() {
                        let service = self.service_of_replica(r);
                        self.consumer_restart(service, queue);
                    }
                    if self.replicas[r as usize].crashed == 0 && !sc.sagas.is_empty() {
                        self.saga_coordinator_restart(r, queue);
                    }
                }
                FaultKind::Hang => {
                    replica.hung -= 1;
                    if replica.hung == 0 {
                        self.unfreeze(r, queue);
                    }
                }
                FaultKind::Slow { .. } => replica.slow.retain(|&x| x != fault),
                FaultKind::Error { .. } => replica.error.retain(|&x| x != fault),
                FaultKind::Partition => {}
            }
        }
        if let FaultSchedule::Stochastic { mtbf, .. } = &f.schedule {
            let up = mtbf.sample(&mut self.fault_rng[fault as usize]).max(1);
            if now.saturating_add(up) <= sc.sim.duration {
                queue.schedule(now.saturating_add(up), Event::FaultStart { fault });
            }
        }
    }
}
