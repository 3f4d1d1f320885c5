//! `autoscale = { ... }` and `cold_start = { ... }` of a service: the raw tables and
//! their compilation into [`crate::model::Autoscale`] and [`crate::model::ColdStart`].

use super::error::{choices, Kind, SpecError};
use super::limits;
use super::loc::Loc;
use super::models::Sourced;
use super::raw::{RawDist, StrOrNum};
use super::values::In;
use crate::model::{Autoscale, ColdStart, ScaleMetric, Warmup};
use serde::Deserialize;

/// `autoscale = { min, max, metric, target, period, tolerance, scale_up_window,
/// scale_down_window, max_up, max_down, startup }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAutoscale {
    /// Fewest replicas (>= 0), default 1.
    pub min: Option<Loc<i64>>,
    /// Most replicas (>= 1, >= min), required.
    pub max: Option<Loc<i64>>,
    /// "utilization" (default), "cpu", "queue", "in_flight" or "backlog".
    pub metric: Option<Loc<String>>,
    /// Target of the metric per ready replica (> 0), required.
    pub target: Option<Loc<f64>>,
    /// Evaluation period, default "15s".
    pub period: Option<Loc<StrOrNum>>,
    /// Tolerance band in [0, 1), default 0.1.
    pub tolerance: Option<Loc<f64>>,
    /// Scale-up stabilization window, default "0s".
    pub scale_up_window: Option<Loc<StrOrNum>>,
    /// Scale-down stabilization window, default "5m".
    pub scale_down_window: Option<Loc<StrOrNum>>,
    /// Most replicas added per evaluation (>= 1), default max(4, current).
    pub max_up: Option<Loc<i64>>,
    /// Most replicas removed per evaluation (>= 1), default no limit.
    pub max_down: Option<Loc<i64>>,
    /// Start-up delay of a new replica (a distribution), default "0s".
    pub startup: Option<Loc<RawDist>>,
}

/// `cold_start = { factor, over }` or `{ factor, over_requests }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawColdStart {
    /// Service-time factor of a new replica's first request (>= 1), required.
    pub factor: Option<Loc<f64>>,
    /// Decays linearly to 1 over this long after the replica is ready.
    pub over: Option<Loc<StrOrNum>>,
    /// Or over this many requests started on the replica.
    pub over_requests: Option<Loc<i64>>,
}

const METRICS: [ScaleMetric; 5] = [
    ScaleMetric::Utilization,
    ScaleMetric::Cpu,
    ScaleMetric::Queue,
    ScaleMetric::InFlight,
    ScaleMetric::Backlog,
];

/// A service's autoscaler; `replicas` (the count at time 0) defaults to `min`.
pub(crate) fn autoscale(
    at: &In,
    a: &Loc<RawAutoscale>,
    replicas: Option<&Sourced<i64>>,
    has_cpus: bool,
    field: &str,
) -> Result<Autoscale, SpecError> {
    let f = |k: &str| format!("{field}.autoscale.{k}");
    let r = &a.value;
    let max = match &r.max {
        None => {
            return Err(at.err(
                Kind::Missing,
                a,
                &f("max"),
                "missing `max`: the most replicas, e.g. max = 10",
            ))
        }
        Some(v) => at.bounded(
            v,
            &f("max"),
            1,
            i64::from(limits::MAX_AUTOSCALE_REPLICAS),
            "the engine keeps a slot for every replica it may run",
        )? as u32,
    };
    let min = match &r.min {
        None => 1.min(max),
        Some(v) => at.int(v, &f("min"), 0, i64::from(max)).map_err(|_| {
            at.err(
                Kind::Invalid,
                v,
                &f("min"),
                format!("must be in [0, max = {max}], got {}", v.value),
            )
        })? as u32,
    };
    let initial = match replicas {
        None => min,
        Some(s) => {
            let rat = In {
                src: at.src,
                file: s.file,
            };
            if s.v.value < i64::from(min) || s.v.value > i64::from(max) {
                return Err(rat.err(Kind::Invalid, &s.v, &format!("{field}.replicas"), format!("with autoscale, replicas (the count at time 0) must be in [min = {min}, max = {max}], got {}", s.v.value)));
            }
            s.v.value as u32
        }
    };
    let (metric, target) = metric_and_target(at, a, has_cpus, field)?;
    let duration = |v: &Option<Loc<StrOrNum>>, k: &str, default: u64| match v {
        None => Ok(default),
        Some(v) => at.duration(v, &f(k)),
    };
    let period = duration(&r.period, "period", 15_000_000_000)?;
    if period < limits::MIN_SCALE_PERIOD {
        let v = r.period.as_ref().expect("a default period is long enough");
        return Err(at.err(
            Kind::Invalid,
            v,
            &f("period"),
            format!(
                "must be at least {}ms (each evaluation is an event)",
                limits::MIN_SCALE_PERIOD / 1_000_000
            ),
        ));
    }
    let tolerance = match &r.tolerance {
        None => 0.1,
        Some(v) => {
            let x = at.number_in(v, &f("tolerance"), 0.0, true, 1.0)?;
            if x >= 1.0 {
                return Err(at.err(
                    Kind::Invalid,
                    v,
                    &f("tolerance"),
                    format!("must be in [0, 1), got {x}"),
                ));
            }
            x
        }
    };
    let up_window = duration(&r.scale_up_window, "scale_up_window", 0)?;
    let down_window = duration(&r.scale_down_window, "scale_down_window", 300_000_000_000)?;
    check_windows(at, r, period, [up_window, down_window], field)?;
    let step = |v: &Option<Loc<i64>>, k: &str| -> Result<Option<u32>, SpecError> {
        v.as_ref()
            .map(|v| at.int(v, &f(k), 1, i64::from(u32::MAX)).map(|x| x as u32))
            .transpose()
    };
    let startup = match &r.startup {
        None => crate::model::Dist::constant(0),
        Some(d) => at.dist(d, &f("startup"))?,
    };
    Ok(Autoscale {
        min,
        max,
        initial,
        metric,
        target,
        period,
        tolerance,
        up_window,
        down_window,
        max_up: step(&r.max_up, "max_up")?,
        max_down: step(&r.max_down, "max_down")?,
        startup,
    })
}

/// Each stabilization window spans at most [`limits::MAX_SCALE_HISTORY`] periods (the
/// autoscaler keeps one proposal per period); a default window too long for a short
/// period is blamed on the period.
fn check_windows(
    at: &In,
    r: &RawAutoscale,
    period: u64,
    [up_window, down_window]: [u64; 2],
    field: &str,
) -> Result<(), SpecError> {
    let f = |k: &str| format!("{field}.autoscale.{k}");
    for (w, k, v) in [
        (up_window, "scale_up_window", &r.scale_up_window),
        (down_window, "scale_down_window", &r.scale_down_window),
    ] {
        if w / period > u64::from(limits::MAX_SCALE_HISTORY) {
            let n = limits::MAX_SCALE_HISTORY;
            return Err(match v {
                Some(v) => at.err(Kind::Invalid, v, &f(k), format!("spans more than {n} periods (the autoscaler keeps one proposal per period of its windows)")),
                // The default window (5 min down) against a very short period.
                None => {
                    let p = r.period.as_ref().expect("the default period fits the default windows");
                    at.err(Kind::Invalid, p, &f("period"), format!("the default {k} ({}s) spans more than {n} periods of {}: set a longer period or a shorter {k}", w / 1_000_000_000, crate::kernel::format_duration(period as f64)))
                }
            });
        }
    }
    Ok(())
}

/// `metric` and `target` of `autoscale`: utilization targets are fractions in (0, 1].
fn metric_and_target(
    at: &In,
    a: &Loc<RawAutoscale>,
    has_cpus: bool,
    field: &str,
) -> Result<(ScaleMetric, f64), SpecError> {
    let f = |k: &str| format!("{field}.autoscale.{k}");
    let r = &a.value;
    let metric = match &r.metric {
        None => ScaleMetric::Utilization,
        Some(m) => match METRICS.iter().find(|x| x.name() == m.value) {
            Some(&x) => x,
            None => {
                let msg = format!(
                    "unknown metric {:?}; {}",
                    m.value,
                    choices(METRICS.iter().map(|x| x.name()))
                );
                return Err(at.err(Kind::Invalid, m, &f("metric"), msg));
            }
        },
    };
    if metric == ScaleMetric::Cpu && !has_cpus {
        let m = r.metric.as_ref().expect("written");
        return Err(at.err(Kind::Invalid, m, &f("metric"), "metric = \"cpu\" needs the service's `cpus`; use \"utilization\" (busy workers) without it"));
    }
    let target =
        match &r.target {
            None => return Err(at.err(
                Kind::Missing,
                a,
                &f("target"),
                "missing `target`: the metric's value per ready replica to hold, e.g. target = 0.7",
            )),
            Some(v) => match metric {
                ScaleMetric::Utilization | ScaleMetric::Cpu => {
                    at.number_in(v, &f("target"), 0.0, false, 1.0)?
                }
                _ => at.number_in(v, &f("target"), 0.0, false, limits::MAX_SCALE_TARGET)?,
            },
        };
    Ok((metric, target))
}

/// A service's cold start.
pub(crate) fn cold_start(
    at: &In,
    c: &Loc<RawColdStart>,
    field: &str,
) -> Result<ColdStart, SpecError> {
    let f = |k: &str| format!("{field}.cold_start.{k}");
    let r = &c.value;
    let factor = match &r.factor {
        None => {
            return Err(at.err(
                Kind::Missing,
                c,
                &f("factor"),
                "missing `factor`: the service-time factor of a new replica, e.g. factor = 3.0",
            ))
        }
        Some(v) => at.number_in(v, &f("factor"), 1.0, true, limits::MAX_COLD_FACTOR)?,
    };
    let over = match (&r.over, &r.over_requests) {
        (Some(_), Some(n)) => return Err(at.err(Kind::Invalid, n, &f("over_requests"), "give either `over` (a duration) or `over_requests` (a count), not both")),
        (None, None) => return Err(at.err(Kind::Missing, c, &f("over"), "missing `over` (e.g. over = \"30s\") or `over_requests` (e.g. over_requests = 100): how the slowdown wears off")),
        (Some(v), None) => match at.duration(v, &f("over"))? {
            0 => return Err(at.err(Kind::Invalid, v, &f("over"), "must be greater than 0s")),
            t => Warmup::Time(t),
        },
        (None, Some(n)) => Warmup::Requests(at.int(n, &f("over_requests"), 1, i64::from(u32::MAX))? as u32),
    };
    Ok(ColdStart { factor, over })
}
