//! CPU sharing: the cores of a replica whose service has `cpus`.
//!
//! Executions in local work on such a replica share its c cores equally: with n of
//! them, each progresses at min(1, c/n) (egalitarian processor sharing). Work is in
//! "work units", nanoseconds at full speed. The replica keeps a *virtual clock* V that
//! advances at the rate each execution is served, min(1, c/n); an execution entering
//! with work w gets the finish tag V + w and is done when V reaches it. The order of
//! the tags never changes, so only the smallest matters:
//!
//! Invariant: a replica with cores has **at most one live completion event** (a
//! [`Event::CpuDone`] carrying its current `token`), for the execution with the
//! smallest tag (the earliest admitted among equal tags). Whenever n changes the token
//! moves on and a new event is scheduled; older events are stale and ignored when they
//! pop (lazy cancellation, as for timeouts). The event's time is rounded up to the
//! nanosecond, so an execution never finishes before its work is done.
//!
//! A service without `cpus` has no `Cores`: a worker is a core and its work is one
//! `WorkDone` event, as before. The span's and the service's "work" of an execution on
//! cores is its time in local work, slowdown by sharing included.

use super::slab::Handle;
use super::{Engine, Event, Replica, NO_DEADLINE, NO_SPAN};
use crate::kernel::{EventQueue, SimTime};
use crate::model::Service;

/// A replica's cores and the executions in local work on them.
pub(super) struct Cores {
    /// Cores, in thousandths.
    millis: u64,
    /// Executions in local work and their finish tags, in the order they started.
    jobs: Vec<(Handle, f64)>,
    /// The virtual clock at `since`.
    virtual_time: f64,
    since: SimTime,
    /// Identifies the one live completion event.
    token: u32,
}

/// A fresh replica of service `s`, number `index` of `sc` (with its cores if it has `cpus`).
pub(super) fn replica(sc: &crate::model::Scenario, index: usize, s: &Service) -> Replica {
    let calls = (sc.operations.iter())
        .filter(|op| op.service.0 as usize == index)
        .any(|op| op.groups.iter().any(|g| !g.calls.is_empty()));
    Replica {
        service: index as u32,
        workers: s.workers,
        tracks_running: calls,
        cores: s.cpu_millis.map(|millis| {
            Box::new(Cores {
                millis: u64::from(millis),
                jobs: Vec::new(),
                virtual_time: 0.0,
                since: 0,
                token: 0,
            })
        }),
        ..Replica::default()
    }
}

impl Cores {
    /// Busy cores in thousandths: min(n, c).
    fn busy(&self) -> u64 {
        (self.jobs.len() as u64 * 1000).min(self.millis)
    }

    /// Real time to serve `work` units at the current sharing (exact when n <= c).
    fn real_time(&self, work: f64) -> f64 {
        let n = self.jobs.len() as u64 * 1000;
        if n <= self.millis {
            work
        } else {
            work * n as f64 / self.millis as f64
        }
    }

    /// Work units each execution received over `dt` ns at the current sharing.
    fn served(&self, dt: SimTime) -> f64 {
        let n = self.jobs.len() as u64 * 1000;
        if n <= self.millis {
            dt as f64
        } else {
            dt as f64 * self.millis as f64 / n as f64
        }
    }

    /// Move the virtual clock to `now`.
    fn advance(&mut self, now: SimTime) {
        if !self.jobs.is_empty() {
            self.virtual_time += self.served(now - self.since);
        }
        self.since = now;
    }

    /// Index of the execution due first: smallest tag, the earliest among equals.
    fn first(&self) -> Option<usize> {
        if self.jobs.is_empty() {
            return None;
        }
        let mut best = 0;
        for (i, &(_, tag)) in self.jobs.iter().enumerate().skip(1) {
            if tag < self.jobs[best].1 {
                best = i;
            }
        }
        Some(best)
    }

    /// Take execution `i` out (keeping the others' order); returns its handle. `done`:
    /// its work is complete, so the clock is at least its tag (against rounding).
    fn remove(&mut self, i: usize, done: bool) -> Handle {
        let (exec, tag) = self.jobs.remove(i);
        if self.jobs.is_empty() {
            // Idle: restart the virtual clock, so it never loses precision.
            self.virtual_time = 0.0;
        } else if done {
            self.virtual_time = self.virtual_time.max(tag);
        }
        exec
    }
}

impl Engine<'_> {
    /// Start `work` units of local work of `exec` on the cores of `replica_ix`.
    pub(super) fn cpu_start(
        &mut self,
        exec: Handle,
        replica_ix: u32,
        work: SimTime,
        deadline: SimTime,
        queue: &mut EventQueue<Event>,
    ) {
        let now = self.now;
        let cores = self.replicas[replica_ix as usize]
            .cores
            .as_deref_mut()
            .expect("a replica with cpus");
        cores.advance(now);
        let before = cores.busy();
        let tag = cores.virtual_time + work as f64;
        cores.jobs.push((exec, tag));
        let delta = cores.busy() - before;
        self.cpu_level(replica_ix, delta as i64);
        self.cpu_schedule(replica_ix, queue);
        if deadline != NO_DEADLINE {
            queue.schedule(deadline, Event::CpuDeadline { exec });
        }
    }

    /// Change the busy-cores level of the replica's service.
    fn cpu_level(&mut self, replica_ix: u32, delta: i64) {
        if delta != 0 {
            let service = self.service_of(replica_ix);
            self.metrics.services[service].cores.add(self.now, delta);
        }
    }

    /// The service index of a global replica index.
    fn service_of(&self, replica_ix: u32) -> usize {
        self.replica_base
            .partition_point(|&base| base <= replica_ix)
            - 1
    }

    /// Schedule the replica's one completion event (a new token makes older ones stale).
    fn cpu_schedule(&mut self, replica_ix: u32, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let cores = self.replicas[replica_ix as usize]
            .cores
            .as_deref_mut()
            .expect("a replica with cpus");
        cores.token = cores.token.wrapping_add(1);
        let Some(i) = cores.first() else { return };
        let left = (cores.jobs[i].1 - cores.virtual_time).max(0.0);
        let dt = cores.real_time(left).ceil();
        // Saturating: a time past the end of the run is "never".
        let at = now.saturating_add(if dt >= u64::MAX as f64 {
            u64::MAX
        } else {
            dt as u64
        });
        let token = cores.token;
        queue.schedule(
            at,
            Event::CpuDone {
                replica: replica_ix,
                token,
            },
        );
    }

    /// A replica's completion event: the execution with the smallest tag is done.
    pub(super) fn cpu_done(&mut self, replica_ix: u32, token: u32, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let Some(cores) = self.replicas[replica_ix as usize].cores.as_deref_mut() else {
            return;
        };
        if cores.token != token {
            return; // stale: the sharing changed since it was scheduled
        }
        cores.advance(now);
        let Some(i) = cores.first() else { return };
        self.cpu_leave(replica_ix, i, true, queue);
    }

    /// An execution on cores reaches its propagated deadline: if it is still in local
    /// work, it leaves the cores and fails with a timeout (as `begin` cuts the work of
    /// an execution without cores at its deadline).
    pub(super) fn cpu_deadline(&mut self, exec: Handle, queue: &mut EventQueue<Event>) {
        let Some(e) = self.execs.get_mut(exec) else {
            return; // finished or lost in a crash
        };
        let replica_ix = e.replica;
        let Some(cores) = self.replicas[replica_ix as usize].cores.as_deref_mut() else {
            return;
        };
        let Some(i) = cores.jobs.iter().position(|&(h, _)| h == exec) else {
            return; // its local work is done
        };
        e.expired = true;
        cores.advance(self.now);
        self.cpu_leave(replica_ix, i, false, queue);
    }

    /// Execution `i` of the replica's cores leaves them (done or expired): reschedule
    /// the cores, record its time in local work as its work, and go on as after work.
    fn cpu_leave(&mut self, replica_ix: u32, i: usize, done: bool, queue: &mut EventQueue<Event>) {
        let now = self.now;
        let cores = self.replicas[replica_ix as usize]
            .cores
            .as_deref_mut()
            .expect("a replica with cpus");
        let before = cores.busy();
        let exec = cores.remove(i, done);
        let delta = before - cores.busy();
        self.cpu_level(replica_ix, -(delta as i64));
        self.cpu_schedule(replica_ix, queue);
        let e = self
            .execs
            .get_mut(exec)
            .expect("an execution on cores is live");
        e.work = now - e.started;
        if e.span != NO_SPAN {
            if let Some(t) = self.tracer.as_deref_mut() {
                t.work(e.span, e.work);
            }
        }
        self.work_done(exec, queue);
    }

    /// A crash empties the replica's cores (its executions are lost).
    pub(super) fn cpu_crash(&mut self, replica_ix: u32) {
        let Some(cores) = self.replicas[replica_ix as usize].cores.as_deref_mut() else {
            return;
        };
        let busy = cores.busy();
        cores.jobs.clear();
        cores.virtual_time = 0.0;
        cores.since = self.now;
        cores.token = cores.token.wrapping_add(1);
        self.cpu_level(replica_ix, -(busy as i64));
    }
}
