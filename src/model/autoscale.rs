//! Capacity that moves: a service's autoscaler (the Kubernetes HPA rule) and the cold
//! start of a new replica (see README *Autoscaling* and *Cold starts*).

use super::Dist;
use crate::kernel::SimTime;

/// What an autoscaler measures, per ready replica, against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleMetric {
    /// Busy workers / workers (time average over the period).
    Utilization,
    /// Busy cores / cpus (needs `cpus`).
    Cpu,
    /// Requests waiting for a worker (replica queues and requests waiting for a first
    /// replica).
    Queue,
    /// Requests in the service: running and waiting.
    InFlight,
    /// Messages waiting in the queues the service consumes.
    Backlog,
}

impl ScaleMetric {
    /// Its name in the scenario format.
    pub fn name(self) -> &'static str {
        match self {
            ScaleMetric::Utilization => "utilization",
            ScaleMetric::Cpu => "cpu",
            ScaleMetric::Queue => "queue",
            ScaleMetric::InFlight => "in_flight",
            ScaleMetric::Backlog => "backlog",
        }
    }
}

/// A service's horizontal autoscaler.
#[derive(Clone, Debug)]
pub struct Autoscale {
    /// Fewest replicas (0: scale to zero).
    pub min: u32,
    /// Most replicas.
    pub max: u32,
    /// Replicas at time 0 (the service's `replicas`, within `[min, max]`).
    pub initial: u32,
    /// What it measures.
    pub metric: ScaleMetric,
    /// Target value of the metric per ready replica (> 0).
    pub target: f64,
    /// Evaluation period (> 0); the metric is the time average over the last period.
    pub period: SimTime,
    /// No change while |metric / target - 1| <= tolerance.
    pub tolerance: f64,
    /// Scale-up stabilization window: scale up to the lowest proposal in it.
    pub up_window: SimTime,
    /// Scale-down stabilization window: scale down to the highest proposal in it.
    pub down_window: SimTime,
    /// Most replicas added per evaluation; `None`: max(4, current), the HPA default.
    pub max_up: Option<u32>,
    /// Most replicas removed per evaluation; `None`: no limit.
    pub max_down: Option<u32>,
    /// Time from the decision to start a replica until it is ready.
    pub startup: Dist,
}

impl Autoscale {
    /// Replica slots the engine keeps for the service: `max` serving or starting and as
    /// many draining.
    pub fn slots(&self) -> u32 {
        self.max.saturating_mul(2).max(2)
    }
}

/// How a cold replica's slowdown wears off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Warmup {
    /// Linearly over this long after the replica became ready.
    Time(SimTime),
    /// Linearly over this many requests started on the replica.
    Requests(u32),
}

/// A new replica (scaled out, restarted after a crash, scaled from zero) works slower at
/// first: its local work is multiplied by `factor` for its first request, decaying
/// linearly to 1 over `over`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColdStart {
    /// Service-time factor of a brand-new replica (>= 1).
    pub factor: f64,
    /// How it decays to 1.
    pub over: Warmup,
}

impl ColdStart {
    /// The factor of a request started `age` ns after the replica became ready, as its
    /// `begun`-th request (0-based); `None` once warm.
    pub fn factor_at(&self, age: SimTime, begun: u32) -> Option<f64> {
        let left = match self.over {
            Warmup::Time(over) if age < over => 1.0 - age as f64 / over as f64,
            Warmup::Requests(n) if begun < n => 1.0 - f64::from(begun) / f64::from(n),
            _ => return None,
        };
        Some(1.0 + (self.factor - 1.0) * left)
    }
}
