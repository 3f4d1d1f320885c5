//! `[simulation]`: seed, duration, warm-up, replications, timeline, blast threshold
//! and event budget, and the run-wide bounds checked on the whole compiled scenario.

use super::error::{Kind, SpecError};
use super::limits;
use super::loc::Loc;
use super::raw::RawSimulation;
use super::values::In;
use crate::model::{Scenario, SimSettings};

pub(crate) fn simulation(
    at: &In,
    sim: Option<&Loc<RawSimulation>>,
) -> Result<SimSettings, SpecError> {
    let Some(sim) = sim else {
        return Err(at.src.err(
            Kind::Missing,
            at.file,
            &None,
            "simulation",
            "missing [simulation] table with at least `duration`",
        ));
    };
    let s = &sim.value;
    let Some(d) = &s.duration else {
        return Err(at.err(
            Kind::Missing,
            sim,
            "simulation",
            "missing `duration`, e.g. duration = \"10m\"",
        ));
    };
    let duration = at.duration(d, "simulation.duration")?;
    if duration > limits::MAX_RUN_DURATION {
        let msg = format!(
            "duration ({}) is longer than the {} limit on a run (it sizes the run and its timelines)",
            raw_text(d),
            limits::fmt(limits::MAX_RUN_DURATION)
        );
        return Err(at.err(Kind::Invalid, d, "simulation.duration", msg));
    }
    if duration == 0 {
        return Err(at.err(
            Kind::Invalid,
            d,
            "simulation.duration",
            "duration must be greater than 0s",
        ));
    }
    let warmup = match &s.warmup {
        None => 0,
        Some(w) => {
            let v = at.duration(w, "simulation.warmup")?;
            if v >= duration {
                let msg = format!(
                    "warmup ({}) must be shorter than duration ({})",
                    raw_text(w),
                    raw_text(d)
                );
                return Err(at.err(Kind::Invalid, w, "simulation.warmup", msg));
            }
            v
        }
    };
    let seed = match &s.seed {
        None => 1,
        Some(v) => at.int(v, "simulation.seed", 0, i64::MAX)? as u64,
    };
    let replications = match &s.replications {
        None => 1,
        Some(r) => at.bounded(
            r,
            "simulation.replications",
            1,
            i64::from(limits::MAX_REPLICATIONS),
            "the metrics of each replication are kept until the experiment is reduced",
        )? as u32,
    };
    let timeline = match &s.timeline {
        None => crate::kernel::NANOS_PER_SEC.min(duration),
        Some(t) => {
            let v = at.positive_duration(t, "simulation.timeline")?;
            if v > duration {
                let msg = format!(
                    "timeline interval ({}) must not be longer than duration ({})",
                    raw_text(t),
                    raw_text(d)
                );
                return Err(at.err(Kind::Invalid, t, "simulation.timeline", msg));
            }
            v
        }
    };
    let blast_threshold = match &s.blast_threshold {
        None => 0.01,
        Some(b) => at.number_in(b, "simulation.blast_threshold", 0.0, false, 1.0)?,
    };
    let max_events = match &s.max_events {
        None => crate::model::DEFAULT_MAX_EVENTS,
        Some(v) => at.event_count(v, "simulation.max_events", 1_000_000)?,
    };
    let max_pending = match &s.max_pending {
        None => crate::model::DEFAULT_MAX_PENDING,
        Some(v) => at.event_count(v, "simulation.max_pending", 1_000)?,
    };
    Ok(SimSettings {
        seed,
        duration,
        warmup,
        replications,
        timeline,
        blast_threshold,
        max_events,
        max_pending,
    })
}

pub(crate) fn raw_text(v: &Loc<super::raw::StrOrNum>) -> String {
    match &v.value {
        super::raw::StrOrNum::Str(s) => s.clone(),
        super::raw::StrOrNum::Num(n) => n.to_string(),
    }
}

/// The run-wide bounds ([`limits::check_run`]), located at the key to change.
pub(crate) fn check_run(
    at: &In,
    sim: Option<&Loc<RawSimulation>>,
    faults: Option<&[Loc<super::raw::RawFault>]>,
    sc: &Scenario,
) -> Result<(), SpecError> {
    let timeline_given = sim.is_some_and(|s| s.value.timeline.is_some());
    let Err(b) = limits::check_run(sc, timeline_given) else {
        return Ok(());
    };
    let (span, field) = match b.blame {
        limits::Blame::Sim(key) => {
            let s = sim.map(|s| &s.value);
            let span = match key {
                "timeline" => s.and_then(|s| s.timeline.as_ref()).map(|v| v.span.clone()),
                "replications" => s
                    .and_then(|s| s.replications.as_ref())
                    .map(|v| v.span.clone()),
                _ => s.and_then(|s| s.duration.as_ref()).map(|v| v.span.clone()),
            };
            (span.flatten(), format!("simulation.{key}"))
        }
        limits::Blame::Fault(i) => {
            let f = faults.and_then(|f| f.get(i));
            let span = f
                .and_then(|f| f.value.mtbf.as_ref().map(|m| m.span.clone()))
                .flatten()
                .or_else(|| f.and_then(|f| f.span.clone()));
            (span, format!("fault[{i}].mtbf"))
        }
    };
    Err(at.src.err(Kind::Invalid, at.file, &span, &field, b.message))
}
