//! `[sagas.NAME]` (saga definitions) and the `saga` step that starts one: raw structs
//! and their compilation.
//!
//! ```toml
//! [sagas.checkout]
//! style = "orchestration"            # or "choreography" (required)
//! coordinator = "orchestrator"       # orchestration only, required: a service
//! durable = true                     # orchestration only, default true
//! # broker = "bus"                   # choreography only, required: [brokers.bus]
//! compensation_attempts = 3          # per compensation, >= 1, default 3
//! compensation_backoff = "1s"        # between compensation attempts, default "1s"
//! steps = [
//!   { action = "order.create", compensate = "order.cancel" },
//!   { action = "inventory.reserve", compensate = "inventory.release", timeout = "2s" },
//!   { action = "payment.charge", compensate = "payment.refund", fail = 0.1 },
//!   { action = "shipping.schedule" },
//! ]
//!
//! [services.orchestrator.operations.start]
//! steps = [ { saga = "checkout" } ]  # starts an instance (a message step)
//! ```
//!
//! The `[[sagas.NAME.steps]]` table form works too. Sagas are numbered by name. A
//! `saga` step adds no edge to the synchronous-call graph.

use super::error::{choices, Kind, SpecError};
use super::loc::Loc;
use super::raw::RawSaga;
use super::symbols::valid_name;
use super::symbols::{resolve_op, Names};
use super::values::In;
use crate::kernel::{SimTime, NANOS_PER_SEC};
use crate::model::{Saga, SagaId, SagaStep, SagaStyle};
use std::collections::BTreeMap;
use std::ops::Range;

/// Default attempts per compensation.
const DEFAULT_COMPENSATION_ATTEMPTS: u32 = 3;
/// Default delay between compensation attempts.
const DEFAULT_COMPENSATION_BACKOFF: SimTime = NANOS_PER_SEC;

/// The valid saga styles.
const STYLES: [&str; 2] = ["choreography", "orchestration"];

/// The first known span of `spans`, for values toml gives no span to.
fn first_span<const N: usize>(spans: [&Option<Range<usize>>; N]) -> Option<Range<usize>> {
    spans.into_iter().find_map(Clone::clone)
}

/// Compiles the sagas (in name order, which gives their ids); `names` must hold the
/// services, operations and brokers.
pub(crate) fn sagas(
    at: &In,
    names: &Names,
    raw: Option<&BTreeMap<String, Loc<RawSaga>>>,
) -> Result<Vec<Saga>, SpecError> {
    let mut out = Vec::new();
    for (name, raw) in raw.into_iter().flatten() {
        out.push(saga(at, names, name, raw)?);
    }
    Ok(out)
}

/// Saga name -> id, for the `saga` steps.
pub(crate) fn saga_ids(sagas: &[Saga]) -> BTreeMap<String, SagaId> {
    sagas
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), SagaId(i as u32)))
        .collect()
}

fn saga(at: &In, names: &Names, name: &str, raw: &Loc<RawSaga>) -> Result<Saga, SpecError> {
    let field = format!("sagas.{name}");
    if !valid_name(name) {
        let msg = format!("invalid saga name \"{name}\"; use letters, digits, '-' and '_'");
        return Err(at.err(Kind::Invalid, raw, &field, msg));
    }
    let r = &raw.value;
    let Some(style) = &r.style else {
        return Err(at.err(
            Kind::Missing,
            raw,
            &field,
            "missing `style`: \"orchestration\" (a coordinator service runs the steps) or \"choreography\" (services react to each other's events through a broker)",
        ));
    };
    let orchestration = match style.value.as_str() {
        "orchestration" => true,
        "choreography" => false,
        other => {
            let msg = format!("unknown saga style \"{other}\"; {}", choices(STYLES));
            return Err(at.err(Kind::Unknown, style, &format!("{field}.style"), msg));
        }
    };
    let wrong_style = |key: &str, span: &Option<Range<usize>>, msg: &str| {
        at.src.err(
            Kind::Invalid,
            at.file,
            &first_span([span, &raw.span]),
            &format!("{field}.{key}"),
            msg,
        )
    };
    let style = if orchestration {
        if let Some(b) = &r.broker {
            return Err(wrong_style(
                "broker",
                &b.span,
                "`broker` applies only to style = \"choreography\" (events through a broker); an orchestration saga takes `coordinator`, the service that runs its steps",
            ));
        }
        let Some(c) = &r.coordinator else {
            return Err(at.err(
                Kind::Missing,
                raw,
                &field,
                "an orchestration saga needs `coordinator`, the service that runs its steps, e.g. coordinator = \"orchestrator\"",
            ));
        };
        SagaStyle::Orchestration {
            coordinator: coordinator(at, names, c, &format!("{field}.coordinator"))?,
            durable: r.durable.as_ref().map_or(true, |d| d.value),
        }
    } else {
        if let Some(c) = &r.coordinator {
            return Err(wrong_style(
                "coordinator",
                &c.span,
                "`coordinator` applies only to style = \"orchestration\"; a choreography saga has no coordinator and takes `broker`, the broker carrying its events",
            ));
        }
        if let Some(d) = &r.durable {
            return Err(wrong_style(
                "durable",
                &d.span,
                "`durable` applies only to style = \"orchestration\" (the coordinator's saga state); a choreography's events are kept by its broker's queues",
            ));
        }
        let Some(b) = &r.broker else {
            return Err(at.err(
                Kind::Missing,
                raw,
                &field,
                "a choreography saga needs `broker`, the broker carrying its events, e.g. broker = \"bus\" with a [brokers.bus] table",
            ));
        };
        SagaStyle::Choreography {
            broker: broker(at, names, b, &format!("{field}.broker"))?,
        }
    };
    let compensation_attempts = at.count(
        &r.compensation_attempts,
        &format!("{field}.compensation_attempts"),
        1,
        DEFAULT_COMPENSATION_ATTEMPTS,
    )?;
    let compensation_backoff = match &r.compensation_backoff {
        None => DEFAULT_COMPENSATION_BACKOFF,
        Some(b) => at.duration(b, &format!("{field}.compensation_backoff"))?,
    };
    let steps = saga_steps(at, names, raw, &field)?;
    Ok(Saga {
        name: name.to_owned(),
        style,
        steps,
        compensation_attempts,
        compensation_backoff,
    })
}

/// A saga's `steps`: at least one, at most the limit, each an action that resolves.
fn saga_steps(
    at: &In,
    names: &Names,
    raw: &Loc<RawSaga>,
    field: &str,
) -> Result<Vec<SagaStep>, SpecError> {
    let r = &raw.value;
    let sf = format!("{field}.steps");
    let Some(raw_steps) = &r.steps else {
        return Err(at.err(
            Kind::Missing,
            raw,
            field,
            "missing `steps`, e.g. steps = [ { action = \"order.create\", compensate = \"order.cancel\" } ]",
        ));
    };
    if raw_steps.value.is_empty() {
        return Err(at.src.err(
            Kind::Invalid,
            at.file,
            &first_span([&raw_steps.span, &raw.span]),
            &sf,
            "a saga needs at least one step, e.g. steps = [ { action = \"order.create\", compensate = \"order.cancel\" } ]",
        ));
    }
    if raw_steps.value.len() > super::limits::MAX_SAGA_STEPS {
        let msg = format!(
            "a saga has at most {} steps (every saga instance keeps per-step counters), got {}",
            super::limits::MAX_SAGA_STEPS,
            raw_steps.value.len()
        );
        return Err(at.err(Kind::Invalid, raw_steps, &sf, msg));
    }
    let mut steps = Vec::with_capacity(raw_steps.value.len());
    for (j, s) in raw_steps.value.iter().enumerate() {
        let f = format!("{sf}[{j}]");
        let v = &s.value;
        let Some(action) = &v.action else {
            return Err(at.src.err(
                Kind::Missing,
                at.file,
                &first_span([&s.span, &raw_steps.span, &raw.span]),
                &f,
                "missing `action`, the operation that does the step, e.g. action = \"payment.charge\"",
            ));
        };
        let action = resolve_op(at, names, action, &format!("{f}.action"))?;
        let compensate = match &v.compensate {
            None => None,
            Some(c) => Some(resolve_op(at, names, c, &format!("{f}.compensate"))?),
        };
        let fail = match &v.fail {
            None => 0.0,
            Some(p) => at.probability(p, &format!("{f}.fail"))?,
        };
        let timeout = at.timeout(&v.timeout, &format!("{f}.timeout"))?;
        steps.push(SagaStep {
            action,
            compensate,
            fail,
            timeout,
            // Resolved once every link is known (`resolve_saga_links`).
            action_link: crate::model::LinkId(0),
            compensate_link: crate::model::LinkId(0),
        });
    }
    Ok(steps)
}

fn coordinator(
    at: &In,
    names: &Names,
    v: &Loc<String>,
    field: &str,
) -> Result<crate::model::ServiceId, SpecError> {
    if let Some(&id) = names.services.get(&v.value) {
        return Ok(id);
    }
    let hint = match v.value.split_once('.') {
        Some((svc, _)) if names.services.contains_key(svc) => {
            format!(" (the coordinator is a service, not an operation: write \"{svc}\")")
        }
        _ if names.bus.brokers.contains_key(&v.value) => {
            " (that is a broker; the coordinator is a service)".to_owned()
        }
        _ => String::new(),
    };
    let msg = format!(
        "unknown service \"{}\"{hint}; {}",
        v.value,
        choices(names.services.keys().map(String::as_str))
    );
    Err(at.err(Kind::Unknown, v, field, msg))
}

fn broker(
    at: &In,
    names: &Names,
    v: &Loc<String>,
    field: &str,
) -> Result<crate::model::BrokerId, SpecError> {
    let brokers = &names.bus.brokers;
    if let Some(&id) = brokers.get(&v.value) {
        return Ok(id);
    }
    let hint = if names.services.contains_key(&v.value) {
        format!(
            " (\"{}\" is a service; the events go through a broker)",
            v.value
        )
    } else {
        String::new()
    };
    let valid = if brokers.is_empty() {
        "there are none (declare one as [brokers.NAME])".to_owned()
    } else {
        choices(brokers.keys().map(String::as_str))
    };
    let msg = format!("unknown broker \"{}\"{hint}; {valid}", v.value);
    Err(at.err(Kind::Unknown, v, field, msg))
}

/// Resolves the `saga = "NAME"` of a step.
pub(crate) fn saga_ref(
    at: &In,
    names: &Names,
    v: &Loc<String>,
    field: &str,
) -> Result<SagaId, SpecError> {
    if let Some(&id) = names.sagas.get(&v.value) {
        return Ok(id);
    }
    let valid = if names.sagas.is_empty() {
        format!(
            "there are none (define one as [sagas.{}])",
            if valid_name(&v.value) {
                v.value.as_str()
            } else {
                "NAME"
            }
        )
    } else {
        choices(names.sagas.keys().map(String::as_str))
    };
    let msg = format!("unknown saga \"{}\"; {valid}", v.value);
    Err(at.err(Kind::Unknown, v, field, msg))
}
