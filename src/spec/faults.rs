//! `[[fault]]` tables: target resolution (service, replica, link or broker), kind,
//! schedule.
//!
//! A fault on a link between two endpoints that has no declared `[network] links` entry
//! gets a dedicated link (a copy of the default one, named "from->to"), and every call
//! or workload between those endpoints is moved onto it: partitioning `payment->bank`
//! must not partition the whole default network.

use super::error::{choices, Kind, SpecError};
use super::loc::Loc;
use super::raw::{RawDist, RawFault};
use super::symbols::{Names, CLIENT};
use super::values::In;
use crate::kernel::{format_duration, SimTime};
use crate::model::{
    BrokerId, Fault, FaultKind, FaultSchedule, FaultTarget, Link, LinkId, Operation, Service,
    ServiceId, Workload,
};

/// Kinds that apply to a service or a replica.
const SERVICE_KINDS: [&str; 4] = ["crash", "hang", "slow", "error"];
/// Kinds that apply to a link.
const LINK_KINDS: [&str; 1] = ["partition"];
/// Kinds that apply to a broker (an outage).
const BROKER_KINDS: [&str; 1] = ["crash"];

/// The parts of the scenario a fault may need to change (links of calls and workloads).
pub(crate) struct Topology<'a> {
    pub services: &'a [Service],
    pub operations: &'a mut [Operation],
    pub workloads: &'a mut [Workload],
    pub links: &'a mut Vec<Link>,
    /// Sagas: an orchestration saga's coordinator talks to its step services.
    pub sagas: &'a [crate::model::Saga],
}

/// A resolved target, before links are created.
enum Target {
    Service(ServiceId),
    Replica(ServiceId, u32),
    /// (from, to); `None` is the workload clients.
    Link(Option<ServiceId>, ServiceId),
    Broker(BrokerId),
}

/// Compiles every `[[fault]]`, in file order.
pub(crate) fn faults(
    at: &In,
    names: &mut Names,
    raw: &[Loc<RawFault>],
    topo: &mut Topology,
    sim_duration: SimTime,
) -> Result<Vec<Fault>, SpecError> {
    let mut out: Vec<Fault> = Vec::with_capacity(raw.len());
    for (i, f) in raw.iter().enumerate() {
        let fault = fault(at, names, f, i, topo, sim_duration)?;
        if out.iter().any(|x| x.name == fault.name) {
            if let Some(n) = &f.value.name {
                let msg = format!(
                    "duplicate fault name \"{}\"; give each fault a unique `name`",
                    n.value
                );
                return Err(at.err(Kind::Duplicate, n, &format!("fault[{i}].name"), msg));
            }
            // A default name: number the repeats.
            let mut k = 2;
            let base = fault.name.clone();
            let mut fault = fault;
            while out.iter().any(|x| x.name == fault.name) {
                fault.name = format!("{base} ({k})");
                k += 1;
            }
            out.push(fault);
        } else {
            out.push(fault);
        }
    }
    Ok(out)
}

fn fault(
    at: &In,
    names: &mut Names,
    f: &Loc<RawFault>,
    i: usize,
    topo: &mut Topology,
    sim_duration: SimTime,
) -> Result<Fault, SpecError> {
    let field = format!("fault[{i}]");
    let r = &f.value;
    let Some(target_text) = &r.target else {
        return Err(at.err(
            Kind::Missing,
            f,
            &field,
            "missing `target`: a service (\"bank\"), a replica (\"bank#0\"), a link (\"payment->bank\") or a broker (\"rabbit\")",
        ));
    };
    let Some(kind_text) = &r.kind else {
        return Err(at.err(
            Kind::Missing,
            f,
            &field,
            format!(
                "missing `kind`; {}",
                choices(SERVICE_KINDS.iter().chain(&LINK_KINDS).copied())
            ),
        ));
    };
    let tf = format!("{field}.target");
    let target = resolve_target(at, names, topo, target_text, &tf)?;

    let fault_kind = fault_kind(at, f, &field, &target, kind_text)?;
    let kind = kind_text.value.as_str();

    let schedule = schedule(at, f, &field, sim_duration)?;

    let target = match target {
        Target::Service(s) => FaultTarget::Service(s),
        Target::Replica(s, n) => FaultTarget::Replica(s, n),
        Target::Link(from, to) => FaultTarget::Link(link_for(names, topo, from, to)),
        Target::Broker(b) => FaultTarget::Broker(b),
    };
    let name = match &r.name {
        Some(n) if n.value.trim().is_empty() => {
            return Err(at.err(
                Kind::Invalid,
                n,
                &format!("{field}.name"),
                "a fault name cannot be empty; remove `name` to get \"KIND TARGET\"",
            ))
        }
        Some(n) => n.value.clone(),
        None => format!("{kind} {}", target_text.value.trim()),
    };
    Ok(Fault {
        name,
        target,
        kind: fault_kind,
        schedule,
    })
}

/// A fault's `kind`, checked against what its target can suffer, with the keys that
/// belong to it (`factor`, `delay`, `probability`) and no others.
fn fault_kind(
    at: &In,
    f: &Loc<RawFault>,
    field: &str,
    target: &Target,
    kind_text: &Loc<String>,
) -> Result<FaultKind, SpecError> {
    let r = &f.value;
    // The kind, checked against what the target can suffer.
    let kf = format!("{field}.kind");
    let kind = kind_text.value.as_str();
    let is_link = matches!(target, Target::Link(..));
    let is_broker = matches!(target, Target::Broker(_));
    let (valid, other): (&[&str], &[&str]) = if is_link {
        (&LINK_KINDS, &SERVICE_KINDS)
    } else if is_broker {
        (&BROKER_KINDS, &["hang", "slow", "error", "partition"])
    } else {
        (&SERVICE_KINDS, &LINK_KINDS)
    };
    if !valid.contains(&kind) {
        let what = if is_link {
            "a link"
        } else if is_broker {
            "a broker"
        } else {
            "a service or replica"
        };
        let (k, msg) = if other.contains(&kind) {
            let hint = if is_link {
                "crash, hang, slow and error apply to a service or replica"
            } else if is_broker {
                "a broker fault is an outage, kind = \"crash\""
            } else {
                "partition applies only to links, written \"from->to\""
            };
            (
                Kind::Invalid,
                format!(
                    "kind \"{kind}\" does not apply to {what} ({hint}); {}",
                    choices(valid.iter().copied())
                ),
            )
        } else {
            (
                Kind::Unknown,
                format!(
                    "unknown fault kind \"{kind}\" for {what}; {}",
                    choices(valid.iter().copied())
                ),
            )
        };
        return Err(at.err(k, kind_text, &kf, msg));
    }

    // Keys that belong to another kind.
    for (key, span, owner) in [
        ("factor", r.factor.as_ref().map(|v| &v.span), "slow"),
        ("delay", r.delay.as_ref().map(|v| &v.span), "slow"),
        (
            "probability",
            r.probability.as_ref().map(|v| &v.span),
            "error",
        ),
    ] {
        if let Some(span) = span {
            if kind != owner {
                let msg = format!(
                    "`{key}` applies only to kind = \"{owner}\" (this fault is \"{kind}\")"
                );
                return Err(at.src.err(
                    Kind::Invalid,
                    at.file,
                    span,
                    &format!("{field}.{key}"),
                    msg,
                ));
            }
        }
    }
    Ok(match kind {
        "crash" => FaultKind::Crash,
        "hang" => FaultKind::Hang,
        "slow" => {
            let factor = match &r.factor {
                None => 1.0,
                Some(v) => at.number_in(v, &format!("{field}.factor"), 0.0, true, f64::INFINITY)?,
            };
            let delay = match &r.delay {
                None => 0,
                Some(v) => at.duration(v, &format!("{field}.delay"))?,
            };
            if factor == 1.0 && delay == 0 {
                return Err(at.err(
                    Kind::Missing,
                    f,
                    field,
                    "a slow fault needs `factor` (a multiplier other than 1, e.g. factor = 10) or `delay` (added time, e.g. delay = \"2s\")",
                ));
            }
            FaultKind::Slow { factor, delay }
        }
        "error" => {
            let Some(p) = &r.probability else {
                return Err(at.err(
                    Kind::Missing,
                    f,
                    field,
                    "an error fault needs `probability` in [0, 1], e.g. probability = 0.5",
                ));
            };
            FaultKind::Error {
                probability: at.probability(p, &format!("{field}.probability"))?,
            }
        }
        _ => FaultKind::Partition,
    })
}

fn schedule(
    at: &In,
    f: &Loc<RawFault>,
    field: &str,
    sim_duration: SimTime,
) -> Result<FaultSchedule, SpecError> {
    let r = &f.value;
    let window = r.at.is_some() || r.duration.is_some();
    let stochastic = r.mtbf.is_some() || r.mttr.is_some();
    const SHAPES: &str = "`at` + `duration` (once, e.g. at = \"2m\", duration = \"30s\") or `mtbf` + `mttr` (repeatedly, e.g. mtbf = { dist = \"exp\", mean = \"10m\" }, mttr = \"30s\")";
    if window && stochastic {
        // Point at the first stochastic key, the one that conflicts.
        let span = r
            .mtbf
            .as_ref()
            .map(|v| v.span.clone())
            .or_else(|| r.mttr.as_ref().map(|v| v.span.clone()))
            .flatten();
        let key = if r.mtbf.is_some() { "mtbf" } else { "mttr" };
        return Err(at.src.err(
            Kind::Invalid,
            at.file,
            &span,
            &format!("{field}.{key}"),
            format!("a fault has one schedule, not both: {SHAPES}"),
        ));
    }
    if window {
        let (Some(start), Some(len)) = (&r.at, &r.duration) else {
            let missing = if r.at.is_none() { "at" } else { "duration" };
            return Err(at.err(
                Kind::Missing,
                f,
                field,
                format!("missing `{missing}`: a scheduled fault needs both `at` and `duration`"),
            ));
        };
        let af = format!("{field}.at");
        let start_t = at.duration(start, &af)?;
        if start_t >= sim_duration {
            let msg = format!(
                "the fault starts at {}, not before the end of the simulation ({}), so it never happens",
                format_duration(start_t as f64),
                format_duration(sim_duration as f64)
            );
            return Err(at.err(Kind::Invalid, start, &af, msg));
        }
        let duration = at.positive_duration(len, &format!("{field}.duration"))?;
        return Ok(FaultSchedule::Window {
            at: start_t,
            duration,
        });
    }
    if stochastic {
        let (Some(mtbf), Some(mttr)) = (&r.mtbf, &r.mttr) else {
            let missing = if r.mtbf.is_none() { "mtbf" } else { "mttr" };
            return Err(at.err(
                Kind::Missing,
                f,
                field,
                format!("missing `{missing}`: a stochastic fault needs both `mtbf` (up time) and `mttr` (down time)"),
            ));
        };
        let positive = |key: &str, d: &Loc<RawDist>| {
            let kf = format!("{field}.{key}");
            let dist = at.dist(d, &kf)?;
            let mean = dist.mean();
            if mean.is_finite() && mean > 0.0 {
                Ok(dist)
            } else {
                Err(at.err(Kind::Invalid, d, &kf, "the mean must be greater than 0s"))
            }
        };
        return Ok(FaultSchedule::Stochastic {
            mtbf: positive("mtbf", mtbf)?,
            mttr: positive("mttr", mttr)?,
        });
    }
    Err(at.err(
        Kind::Missing,
        f,
        field,
        format!("missing a schedule: {SHAPES}"),
    ))
}

/// Looks up a service name, listing the valid targets when unknown. `whole`: the name
/// is the whole target (so a broker is valid too), not part of a replica or a link.
fn service(
    at: &In,
    names: &Names,
    target: &Loc<String>,
    name: &str,
    field: &str,
    whole: bool,
) -> Result<ServiceId, SpecError> {
    if let Some(&id) = names.services.get(name) {
        return Ok(id);
    }
    if !whole && names.bus.brokers.contains_key(name) {
        let msg = format!(
            "\"{name}\" is a broker: a broker has no replicas or links, target it by name alone (target = \"{name}\", kind = \"crash\")"
        );
        return Err(at.err(Kind::Invalid, target, field, msg));
    }
    let hint = if name == CLIENT {
        " (\"client\" can only be the first end of a link, \"client->SERVICE\")"
    } else {
        ""
    };
    let brokers = if whole { names.bus.brokers.len() } else { 0 };
    let what = if brokers == 0 {
        "service"
    } else {
        "service or broker"
    };
    let valid = names
        .services
        .keys()
        .chain(names.bus.brokers.keys().take(brokers))
        .map(String::as_str);
    let msg = format!(
        "unknown {what} \"{name}\"{hint}; {} (or a replica \"SERVICE#N\", a link \"FROM->TO\", or a broker)",
        choices(valid)
    );
    Err(at.err(Kind::Unknown, target, field, msg))
}

fn resolve_target(
    at: &In,
    names: &Names,
    topo: &Topology,
    target: &Loc<String>,
    field: &str,
) -> Result<Target, SpecError> {
    let text = target.value.trim();
    if let Some((from, to)) = text.split_once("->") {
        let (from, to) = (from.trim(), to.trim());
        let from_id = if from == CLIENT {
            None
        } else {
            Some(service(at, names, target, from, field, false)?)
        };
        let to_id = service(at, names, target, to, field, false)?;
        if !carries_traffic(names, topo, from_id, to_id) {
            let reverse = from_id.is_some_and(|f| carries_traffic(names, topo, Some(to_id), f));
            let what = match from_id {
                None => format!("no workload enters {to}"),
                Some(_) => format!("no operation of {from} calls {to}"),
            };
            let hint = if reverse {
                format!(" (a link is named caller first: did you mean \"{to}->{from}\"?)")
            } else {
                String::new()
            };
            return Err(at.err(
                Kind::Invalid,
                target,
                field,
                format!("link {from}->{to} carries no traffic: {what}, so a fault there has no effect{hint}"),
            ));
        }
        return Ok(Target::Link(from_id, to_id));
    }
    if let Some((svc, idx)) = text.split_once('#') {
        let svc = svc.trim();
        let sid = service(at, names, target, svc, field, false)?;
        let replicas = topo.services[sid.0 as usize].replicas;
        let idx = idx.trim();
        let n = idx.parse::<u32>().map_err(|_| {
            at.err(
                Kind::Invalid,
                target,
                field,
                format!("replica index \"{idx}\" is not a number; write \"{svc}#0\" for the first replica"),
            )
        })?;
        if n >= replicas {
            let msg = format!(
                "replica {n} does not exist: {svc} has {replicas} replica{}, numbered from 0 (valid: {svc}#0{})",
                if replicas == 1 { "" } else { "s" },
                if replicas > 1 {
                    format!(" to {svc}#{}", replicas - 1)
                } else {
                    String::new()
                }
            );
            return Err(at.err(Kind::Invalid, target, field, msg));
        }
        return Ok(Target::Replica(sid, n));
    }
    if let Some(&b) = names.bus.brokers.get(text) {
        return Ok(Target::Broker(b));
    }
    Ok(Target::Service(service(
        at, names, target, text, field, true,
    )?))
}

/// Whether any call (or, for `from = None`, any workload) goes from `from` to `to`.
fn carries_traffic(names: &Names, topo: &Topology, from: Option<ServiceId>, to: ServiceId) -> bool {
    match from {
        None => topo
            .workloads
            .iter()
            .any(|w| names.op_service[w.entry.0 as usize] == to),
        Some(from) if saga_traffic(names, topo, from, to) => true,
        Some(from) => topo.operations.iter().any(|op| {
            op.service == from
                && op
                    .groups
                    .iter()
                    .flat_map(|g| &g.calls)
                    .any(|c| names.op_service[c.target.0 as usize] == to)
        }),
    }
}

/// Whether `from` coordinates an orchestration saga with a step (action or
/// compensation) on `to`: the coordinator sends it commands over the network.
fn saga_traffic(names: &Names, topo: &Topology, from: ServiceId, to: ServiceId) -> bool {
    use crate::model::SagaStyle;
    topo.sagas.iter().any(|saga| {
        matches!(saga.style, SagaStyle::Orchestration { coordinator, .. } if coordinator == from)
            && saga.steps.iter().any(|st| {
                std::iter::once(st.action)
                    .chain(st.compensate)
                    .any(|op| names.op_service[op.0 as usize] == to)
            })
    })
}

/// The link between `from` and `to`: the declared one, or a new dedicated copy of the
/// default link that every call or workload between them is moved onto.
fn link_for(
    names: &mut Names,
    topo: &mut Topology,
    from: Option<ServiceId>,
    to: ServiceId,
) -> LinkId {
    if let Some(&id) = names.links.get(&(from, to)) {
        return id;
    }
    let id = LinkId(topo.links.len() as u32);
    let from_name = from.map_or(CLIENT, |s| topo.services[s.0 as usize].name.as_str());
    let name = format!("{from_name}->{}", topo.services[to.0 as usize].name);
    let default = &topo.links[0];
    let link = Link {
        name,
        latency: default.latency.clone(),
        loss: default.loss,
    };
    topo.links.push(link);
    names.links.insert((from, to), id);
    match from {
        None => {
            for w in topo.workloads.iter_mut() {
                if names.op_service[w.entry.0 as usize] == to {
                    w.link = id;
                }
            }
        }
        Some(from) => {
            for op in topo.operations.iter_mut().filter(|op| op.service == from) {
                for c in op.groups.iter_mut().flat_map(|g| &mut g.calls) {
                    if names.op_service[c.target.0 as usize] == to {
                        c.link = id;
                    }
                }
            }
        }
    }
    id
}
