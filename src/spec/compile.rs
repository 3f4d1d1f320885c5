//! Stage two: validate the raw structs and compile them into a [`Scenario`], resolving
//! every name to an index.

use super::error::{choices, FileId, Kind, Source, Sources, SpecError};
use super::faults::{faults, Topology};
use super::limits;
use super::loc::Loc;
use super::models::{merge, MergedService, ModelCache, Sourced};
use super::raw::{RawNetwork, RawProtocols, RawScenario, RawSimulation, RawStep, RawWorkload};
use super::values::In;
use crate::model::{
    Call, Dist, Link, LinkId, OpId, Operation, Policies, ProtocolProfile, Scenario, Service,
    ServiceId, SimSettings, StepGroup, Workload,
};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

/// The name that stands for the workload clients in `[network] links`.
pub(crate) const CLIENT: &str = "client";

/// An edge between operations, for the cycle checks: target and where it was written.
pub(crate) struct Edge {
    pub to: OpId,
    pub file: FileId,
    pub span: Option<Range<usize>>,
    pub field: String,
}

/// Everything resolved so far, shared by the later passes.
pub(crate) struct Names {
    pub services: BTreeMap<String, ServiceId>,
    pub ops: HashMap<String, OpId>,
    pub op_names: Vec<String>,
    pub op_service: Vec<ServiceId>,
    /// (caller service or `None` for clients, callee service) -> declared link (and the
    /// dedicated links that faults create).
    pub links: HashMap<(Option<ServiceId>, ServiceId), LinkId>,
    /// Brokers, queues and topics (`[brokers.NAME]`).
    pub bus: super::messaging::Bus,
    /// Saga name -> id (`[sagas.NAME]`).
    pub sagas: BTreeMap<String, crate::model::SagaId>,
}

/// Parses and compiles a scenario; `origin` names the file and anchors relative paths.
pub(crate) fn compile(text: &str, origin: &Path) -> Result<Scenario, SpecError> {
    let mut src = Sources { files: Vec::new() };
    let dir = origin.parent().map(Path::to_path_buf).unwrap_or_default();
    let main = src.add(Source {
        display: origin.display().to_string(),
        text: text.to_owned(),
        dir,
    });
    let raw: RawScenario = toml::from_str(text).map_err(|e| src.toml_error(main, &e))?;

    let mut cache = ModelCache::default();
    let mut merged = Vec::new();
    for (name, s) in raw.services.iter().flatten() {
        merged.push(merge(&mut src, &mut cache, main, name, s)?);
    }
    let mut merged_brokers = Vec::new();
    for (name, b) in raw.brokers.iter().flatten() {
        merged_brokers.push(super::messaging::merge_broker(
            &mut src, &mut cache, main, name, b,
        )?);
    }
    let src = &src;
    let at = In { src, file: main };
    let top = |kind: Kind, field: &str, msg: &str| src.err(kind, main, &None, field, msg);

    let sim = simulation(&at, raw.simulation.as_ref())?;
    if merged.is_empty() {
        return Err(top(
            Kind::Empty,
            "services",
            "no services; add at least one [services.NAME] table",
        ));
    }
    let mut names = number(src, main, &merged)?;
    names.bus = super::messaging::brokers(src, main, &names, &merged_brokers)?;
    let sagas = super::saga::sagas(&at, &names, raw.sagas.as_ref())?;
    names.sagas = super::saga::saga_ids(&sagas);
    let mut links = network(&at, raw.network.as_ref(), &mut names)?;
    let protocols = protocol_profiles(&at, raw.protocols.as_ref())?;

    let mut services = Vec::with_capacity(merged.len());
    let mut operations = Vec::with_capacity(names.op_names.len());
    let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(names.op_names.len());
    // Policies in the order the calls were compiled; `Call::site` indexes this for now.
    let mut compiled_policies: Vec<Policies> = Vec::new();
    let mut total_replicas = 0u32;
    for (i, m) in merged.iter().enumerate() {
        let sid = ServiceId(i as u32);
        let (svc, ops) = service(src, &names, sid, m, &mut edges, &mut compiled_policies)?;
        total_replicas += svc.replicas;
        if total_replicas > limits::MAX_TOTAL_REPLICAS {
            let field = format!("services.{}.replicas", m.name);
            let msg = format!(
                "the services have {total_replicas} replicas so far, more than the {} allowed in total (the engine keeps state for every replica)",
                limits::MAX_TOTAL_REPLICAS
            );
            return Err(match &m.replicas {
                Some(r) => src.err(Kind::Invalid, r.file, &r.v.span, &field, msg),
                None => src.err(Kind::Invalid, main, &m.span, &field, msg),
            });
        }
        services.push(svc);
        operations.extend(ops);
    }
    check_cycles(src, &names.op_names, &edges, "synchronous call cycle", "")?;

    let mut workloads = Vec::new();
    let mut total_users = 0u32;
    for (i, w) in raw.workload.iter().flatten().enumerate() {
        let wl = workload(&at, &names, w, i)?;
        if let crate::model::Arrivals::Closed { users, .. } = &wl.arrivals {
            total_users += users;
            if total_users > limits::MAX_CLOSED_USERS {
                let span = w
                    .value
                    .arrivals
                    .as_ref()
                    .and_then(|a| a.value.closed.as_ref())
                    .and_then(|c| c.value.users.as_ref())
                    .map_or(&w.span, |u| &u.span);
                let msg = format!(
                    "the closed workloads have {total_users} users so far, more than the {} allowed in total (every user is a client with a request or a think time pending)",
                    limits::MAX_CLOSED_USERS
                );
                let f = format!("workload[{i}].arrivals.closed.users");
                return Err(src.err(Kind::Invalid, main, span, &f, msg));
            }
        }
        if workloads.iter().any(|x: &Workload| x.flow == wl.flow) {
            let flow_span = w.value.flow.as_ref().map_or(&w.span, |f| &f.span);
            let msg = format!(
                "duplicate flow name \"{}\"; give each workload a unique `flow`",
                wl.flow
            );
            return Err(src.err(
                Kind::Duplicate,
                main,
                flow_span,
                &format!("workload[{i}].flow"),
                msg,
            ));
        }
        workloads.push(wl);
    }
    if workloads.is_empty() {
        return Err(top(
            Kind::Empty,
            "workload",
            "no workloads; add at least one [[workload]] with `entry` and `arrivals`",
        ));
    }

    // Call sites are numbered in operation, group, call order.
    let mut policies = Vec::with_capacity(compiled_policies.len());
    for op in &mut operations {
        for g in &mut op.groups {
            for c in &mut g.calls {
                let p = std::mem::take(&mut compiled_policies[c.site as usize]);
                c.site = policies.len() as u32;
                policies.push(p);
            }
        }
    }

    let faults = faults(
        &at,
        &mut names,
        raw.fault.as_deref().unwrap_or(&[]),
        &mut Topology {
            services: &services,
            operations: &mut operations,
            workloads: &mut workloads,
            links: &mut links,
            sagas: &sagas,
        },
        sim.duration,
    )?;
    let mut sagas = sagas;
    resolve_saga_links(&names, &operations, &mut sagas);
    let compare = super::compare::comparison(&at, &names, &workloads, raw.compare.as_ref())?;
    let slos = super::compare::slos(&at, &workloads, raw.slo.as_deref().unwrap_or(&[]))?;
    let name = origin.file_stem().map_or_else(
        || "scenario".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let scenario = Scenario {
        name,
        sim,
        services,
        operations,
        links,
        policies,
        protocols,
        workloads,
        faults,
        compare,
        slos,
        brokers: std::mem::take(&mut names.bus.broker_list),
        queues: std::mem::take(&mut names.bus.queue_list),
        topics: std::mem::take(&mut names.bus.topic_list),
        sagas,
    };
    super::cycles::check_zero_time_cycles(src, main, text, &scenario)?;
    check_run(
        &at,
        raw.simulation.as_ref(),
        raw.fault.as_deref(),
        &scenario,
    )?;
    Ok(scenario)
}

/// Orchestration saga steps cross the link between the coordinator and each step's
/// service: a declared one, one a fault created, or the default.
fn resolve_saga_links(names: &Names, operations: &[Operation], sagas: &mut [crate::model::Saga]) {
    for saga in sagas {
        let crate::model::SagaStyle::Orchestration { coordinator, .. } = saga.style else {
            continue;
        };
        let link = |op: OpId| {
            let to = operations[op.0 as usize].service;
            names
                .links
                .get(&(Some(coordinator), to))
                .copied()
                .unwrap_or(LinkId(0))
        };
        for step in &mut saga.steps {
            step.action_link = link(step.action);
            step.compensate_link = step.compensate.map_or(LinkId(0), link);
        }
    }
}

/// The run-wide bounds ([`limits::check_run`]), located at the key to change.
fn check_run(
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

fn simulation(at: &In, sim: Option<&Loc<RawSimulation>>) -> Result<SimSettings, SpecError> {
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
        Some(v) => at.int(v, "simulation.max_events", 1_000_000, i64::MAX)? as u64,
    };
    Ok(SimSettings {
        seed,
        duration,
        warmup,
        replications,
        timeline,
        blast_threshold,
        max_events,
    })
}

fn raw_text(v: &Loc<super::raw::StrOrNum>) -> String {
    match &v.value {
        super::raw::StrOrNum::Str(s) => s.clone(),
        super::raw::StrOrNum::Num(n) => n.to_string(),
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Assigns service and operation ids (services by name, then operations by name).
fn number(src: &Sources, main: FileId, merged: &[MergedService]) -> Result<Names, SpecError> {
    let mut names = Names {
        services: BTreeMap::new(),
        ops: HashMap::new(),
        op_names: Vec::new(),
        op_service: Vec::new(),
        links: HashMap::new(),
        bus: Default::default(),
        sagas: BTreeMap::new(),
    };
    for (i, m) in merged.iter().enumerate() {
        let field = format!("services.{}", m.name);
        if !valid_name(&m.name) || m.name == CLIENT {
            let msg = if m.name == CLIENT {
                "\"client\" is reserved for the workload clients; rename the service".to_owned()
            } else {
                format!(
                    "invalid service name \"{}\"; use letters, digits, '-' and '_'",
                    m.name
                )
            };
            return Err(src.err(Kind::Invalid, main, &m.span, &field, msg));
        }
        if m.operations.is_empty() {
            let msg = format!(
                "service \"{}\" has no operations; add [services.{}.operations.NAME]",
                m.name, m.name
            );
            return Err(src.err(Kind::Missing, main, &m.span, &field, msg));
        }
        let sid = ServiceId(i as u32);
        names.services.insert(m.name.clone(), sid);
        for (op, o) in &m.operations {
            if !valid_name(op) {
                let msg =
                    format!("invalid operation name \"{op}\"; use letters, digits, '-' and '_'");
                return Err(src.err(
                    Kind::Invalid,
                    o.file,
                    &o.v.span,
                    &format!("{field}.operations.{op}"),
                    msg,
                ));
            }
            let full = format!("{}.{op}", m.name);
            names
                .ops
                .insert(full.clone(), OpId(names.op_names.len() as u32));
            names.op_names.push(full);
            names.op_service.push(sid);
        }
    }
    Ok(names)
}

/// The default link (index 0) and the declared links, in file order.
fn network(
    at: &In,
    net: Option<&Loc<RawNetwork>>,
    names: &mut Names,
) -> Result<Vec<Link>, SpecError> {
    let (latency, loss) = match net {
        None => (Dist::constant(0), 0.0),
        Some(n) => (
            at.dist_or_zero(&n.value.latency, "network.latency")?,
            n.value
                .loss
                .as_ref()
                .map_or(Ok(0.0), |l| at.probability(l, "network.loss"))?,
        ),
    };
    let mut links = vec![Link {
        name: "default".to_owned(),
        latency: latency.clone(),
        loss,
    }];
    let Some(net) = net else { return Ok(links) };
    for (i, l) in net.value.links.iter().flatten().enumerate() {
        let field = format!("network.links[{i}]");
        let end = |key: &str,
                   v: &Option<Loc<String>>,
                   client_ok: bool|
         -> Result<Option<ServiceId>, SpecError> {
            let f = format!("{field}.{key}");
            let Some(v) = v else {
                return Err(at.err(
                    Kind::Missing,
                    l,
                    &field,
                    format!(
                        "missing `{key}` (a service name{})",
                        if client_ok { " or \"client\"" } else { "" }
                    ),
                ));
            };
            if client_ok && v.value == CLIENT {
                return Ok(None);
            }
            match names.services.get(&v.value) {
                Some(&id) => Ok(Some(id)),
                None => {
                    let mut valid: Vec<&str> = names.services.keys().map(String::as_str).collect();
                    if client_ok {
                        valid.push(CLIENT);
                    }
                    let hint = if !client_ok && v.value == CLIENT {
                        " (\"client\" can only be a link's `from`)"
                    } else {
                        ""
                    };
                    Err(at.err(
                        Kind::Unknown,
                        v,
                        &f,
                        format!("unknown service \"{}\"{hint}; {}", v.value, choices(valid)),
                    ))
                }
            }
        };
        let from = end("from", &l.value.from, true)?;
        let Some(to) = end("to", &l.value.to, false)? else {
            return Err(at.err(
                Kind::Invalid,
                l,
                &format!("{field}.to"),
                "\"client\" can only be a link's `from`",
            ));
        };
        let id = LinkId(links.len() as u32);
        let from_name = from.map_or(CLIENT, |s| service_name(names, s));
        let name = format!("{from_name}->{}", service_name(names, to));
        if names.links.insert((from, to), id).is_some() {
            return Err(at.err(
                Kind::Duplicate,
                l,
                &field,
                format!("duplicate link {name}; declare each link once"),
            ));
        }
        let latency = match &l.value.latency {
            Some(d) => at.dist(d, &format!("{field}.latency"))?,
            None => latency.clone(),
        };
        let loss = l
            .value
            .loss
            .as_ref()
            .map_or(Ok(loss), |p| at.probability(p, &format!("{field}.loss")))?;
        links.push(Link {
            name,
            latency,
            loss,
        });
    }
    Ok(links)
}

fn service_name(names: &Names, id: ServiceId) -> &str {
    names
        .services
        .iter()
        .find(|(_, &v)| v == id)
        .map_or("?", |(k, _)| k.as_str())
}

fn protocol_profiles(
    at: &In,
    p: Option<&Loc<RawProtocols>>,
) -> Result<[ProtocolProfile; 2], SpecError> {
    let mut out = [
        ProtocolProfile::rest_default(),
        ProtocolProfile::grpc_default(),
    ];
    let Some(p) = p else { return Ok(out) };
    for (i, (name, raw)) in [("rest", &p.value.rest), ("grpc", &p.value.grpc)]
        .into_iter()
        .enumerate()
    {
        let Some(raw) = raw else { continue };
        if let Some(v) = &raw.value.per_message {
            out[i].per_message = at.duration(v, &format!("protocols.{name}.per_message"))?;
        }
        if let Some(v) = &raw.value.per_kib {
            out[i].per_kib = at.duration(v, &format!("protocols.{name}.per_kib"))?;
        }
    }
    Ok(out)
}

fn service(
    src: &Sources,
    names: &Names,
    sid: ServiceId,
    m: &MergedService,
    edges: &mut Vec<Vec<Edge>>,
    policies: &mut Vec<Policies>,
) -> Result<(Service, Vec<Operation>), SpecError> {
    let field = format!("services.{}", m.name);
    let count = |v: &Option<Sourced<i64>>, key: &str, min: i64, default: u32| match v {
        None => Ok(default),
        Some(s) => In { src, file: s.file }.count(
            &Some(s.v.clone()),
            &format!("{field}.{key}"),
            min,
            default,
        ),
    };
    let replicas = match &m.replicas {
        None => 1,
        Some(s) => In { src, file: s.file }.bounded(
            &s.v,
            &format!("{field}.replicas"),
            1,
            i64::from(limits::MAX_TOTAL_REPLICAS),
            "the engine keeps state for every replica",
        )? as u32,
    };
    let workers = count(&m.workers, "workers", 1, 1)?;
    let queue_capacity = count(&m.queue, "queue", 0, 1000)?;
    let balancer = match &m.balancer {
        None => crate::model::Balancer::RoundRobin,
        Some(b) => {
            In { src, file: b.file }.balancer(&Some(b.v.clone()), &format!("{field}.balancer"))?
        }
    };
    let mut ops = Vec::new();
    let mut ids = Vec::new();
    for (op, o) in &m.operations {
        let full = format!("{}.{op}", m.name);
        let id = names.ops[&full];
        ids.push(id);
        let at = In { src, file: o.file };
        let f = format!("{field}.operations.{op}");
        let r = &o.v.value;
        let work = at.dist_or_zero(&r.work, &format!("{f}.work"))?;
        let error_probability = r
            .error
            .as_ref()
            .map_or(Ok(0.0), |p| at.probability(p, &format!("{f}.error")))?;
        let mut groups = Vec::new();
        let mut out_edges = Vec::new();
        for (i, step) in r.steps.iter().flatten().enumerate() {
            let sf = format!("{f}.steps[{i}]");
            groups.push(step_group(
                &at,
                names,
                sid,
                step,
                &sf,
                &mut out_edges,
                policies,
            )?);
        }
        edges.push(out_edges);
        ops.push(Operation {
            name: full,
            service: sid,
            work,
            error_probability,
            groups,
        });
    }
    let svc = Service {
        name: m.name.clone(),
        replicas,
        workers,
        queue_capacity,
        balancer,
        operations: ids,
    };
    Ok((svc, ops))
}

fn step_group(
    at: &In,
    names: &Names,
    caller: ServiceId,
    step: &Loc<RawStep>,
    field: &str,
    edges: &mut Vec<Edge>,
    policies: &mut Vec<Policies>,
) -> Result<StepGroup, SpecError> {
    if let Some(m) = super::messaging::message_step(at, names, step, field)? {
        return Ok(StepGroup {
            calls: Vec::new(),
            messages: vec![m],
        });
    }
    let s = &step.value;
    match (&s.call, &s.parallel) {
        (Some(_), Some(_)) => Err(at.err(
            Kind::Invalid,
            step,
            field,
            "a step has either `call` or `parallel`, not both",
        )),
        (None, None) => Err(at.err(
            Kind::Missing,
            step,
            field,
            "a step needs `call = \"service.operation\"`, `parallel = [ ... ]`, or a message step (`send`, `publish`, `request`, `saga`)",
        )),
        (Some(_), None) => Ok(StepGroup {
            calls: vec![call(at, names, caller, step, field, edges, policies)?],
            messages: Vec::new(),
        }),
        (None, Some(par)) => {
            let pf = format!("{field}.parallel");
            for (key, present) in [
                ("protocol", s.protocol.is_some()),
                ("timeout", s.timeout.is_some()),
                ("payload", s.payload.is_some()),
                ("retry", s.retry.is_some()),
                ("circuit_breaker", s.circuit_breaker.is_some()),
                ("bulkhead", s.bulkhead.is_some()),
                ("fallback", s.fallback.is_some()),
                ("hedge", s.hedge.is_some()),
            ] {
                if present {
                    let msg =
                        format!("`{key}` goes on each call inside `parallel`, not on the group");
                    return Err(at.err(Kind::Invalid, step, &format!("{field}.{key}"), msg));
                }
            }
            if par.value.is_empty() {
                return Err(at.err(
                    Kind::Invalid,
                    par,
                    &pf,
                    "`parallel` must hold at least one call",
                ));
            }
            let mut calls = Vec::with_capacity(par.value.len());
            let mut messages = Vec::new();
            for (j, c) in par.value.iter().enumerate() {
                let cf = format!("{pf}[{j}]");
                if c.value.parallel.is_some() {
                    return Err(at.err(
                        Kind::Invalid,
                        c,
                        &cf,
                        "`parallel` groups cannot be nested",
                    ));
                }
                if let Some(m) = super::messaging::message_step(at, names, c, &cf)? {
                    messages.push(m);
                    continue;
                }
                if c.value.call.is_none() {
                    return Err(at.err(
                        Kind::Missing,
                        c,
                        &cf,
                        "each entry of `parallel` needs `call = \"service.operation\"` (or `send`, `publish`, `request`, `saga`)",
                    ));
                }
                calls.push(call(at, names, caller, c, &cf, edges, policies)?);
            }
            Ok(StepGroup { calls, messages })
        }
    }
}

/// Resolves "service.operation" to an id, listing the valid choices when unknown.
pub(crate) fn resolve_op(
    at: &In,
    names: &Names,
    target: &Loc<String>,
    field: &str,
) -> Result<OpId, SpecError> {
    if let Some(&id) = names.ops.get(&target.value) {
        return Ok(id);
    }
    let svc = target
        .value
        .split_once('.')
        .map_or(target.value.as_str(), |(s, _)| s);
    let same_service: Vec<&str> = names
        .op_names
        .iter()
        .filter(|n| n.split_once('.').is_some_and(|(s, _)| s == svc))
        .map(String::as_str)
        .collect();
    let valid = if same_service.is_empty() {
        names.op_names.iter().map(String::as_str).collect()
    } else {
        same_service
    };
    let hint = if target.value.contains('.') {
        ""
    } else {
        " (write it as \"service.operation\")"
    };
    Err(at.err(
        Kind::Unknown,
        target,
        field,
        format!(
            "unknown operation \"{}\"{hint}; {}",
            target.value,
            choices(valid)
        ),
    ))
}

fn call(
    at: &In,
    names: &Names,
    caller: ServiceId,
    step: &Loc<RawStep>,
    field: &str,
    edges: &mut Vec<Edge>,
    policies: &mut Vec<Policies>,
) -> Result<Call, SpecError> {
    let s = &step.value;
    let Some(target_name) = &s.call else {
        return Err(at.err(Kind::Missing, step, field, "missing `call`"));
    };
    let cf = format!("{field}.call");
    let target = resolve_op(at, names, target_name, &cf)?;
    let protocol = at.protocol(&s.protocol, &format!("{field}.protocol"))?;
    let timeout = at.timeout(&s.timeout, &format!("{field}.timeout"))?;
    let site = policies.len() as u32;
    policies.push(at.policies(s, field, timeout)?);
    let payload_bytes = match &s.payload {
        None => 1024,
        Some(p) => at.int(p, &format!("{field}.payload"), 0, i64::from(u32::MAX))? as u32,
    };
    let callee = names.op_service[target.0 as usize];
    let link = names
        .links
        .get(&(Some(caller), callee))
        .copied()
        .unwrap_or(LinkId(0));
    edges.push(Edge {
        to: target,
        file: at.file,
        span: target_name.span.clone(),
        field: cf,
    });
    Ok(Call {
        target,
        protocol,
        timeout,
        payload_bytes,
        link,
        site, // renumbered once all operations are compiled
    })
}

/// Rejects cycles in a graph of operations (iterative DFS, so deep chains cannot
/// overflow); the message is `what: a -> b -> a` and then `hint`.
pub(crate) fn check_cycles(
    src: &Sources,
    op_names: &[String],
    edges: &[Vec<Edge>],
    what: &str,
    hint: &str,
) -> Result<(), SpecError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; edges.len()];
    for root in 0..edges.len() {
        if mark[root] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(e) = edges[node].get(*next) else {
                mark[node] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let to = e.to.0 as usize;
            match mark[to] {
                Mark::Done => {}
                Mark::New => {
                    mark[to] = Mark::Active;
                    stack.push((to, 0));
                }
                Mark::Active => {
                    let start = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                    let mut path: Vec<&str> = stack[start..]
                        .iter()
                        .map(|&(n, _)| op_names[n].as_str())
                        .collect();
                    path.push(&op_names[to]);
                    let msg = format!("{what}: {}{hint}", path.join(" -> "));
                    return Err(src.err(Kind::Cycle, e.file, &e.span, &e.field, msg));
                }
            }
        }
    }
    Ok(())
}

fn workload(at: &In, names: &Names, w: &Loc<RawWorkload>, i: usize) -> Result<Workload, SpecError> {
    use crate::model::Arrivals;
    let field = format!("workload[{i}]");
    let r = &w.value;
    let Some(entry_name) = &r.entry else {
        return Err(at.err(
            Kind::Missing,
            w,
            &field,
            "missing `entry`, the operation clients call, e.g. entry = \"gateway.checkout\"",
        ));
    };
    let entry = resolve_op(at, names, entry_name, &format!("{field}.entry"))?;
    let flow = r
        .flow
        .as_ref()
        .map_or_else(|| entry_name.value.clone(), |f| f.value.clone());
    let protocol = at.protocol(&r.protocol, &format!("{field}.protocol"))?;
    let timeout = at.timeout(&r.timeout, &format!("{field}.timeout"))?;
    let deadline = r.deadline.as_ref().is_some_and(|d| d.value);
    if let Some(d) = r.deadline.as_ref().filter(|d| d.value && timeout.is_none()) {
        return Err(at.err(
            Kind::Invalid,
            d,
            &format!("{field}.deadline"),
            "deadline propagation needs a `timeout` on the workload, e.g. timeout = \"2s\"",
        ));
    }
    let rate_limit = match &r.rate_limit {
        None => None,
        Some(l) => Some(at.rate_limit(l, &format!("{field}.rate_limit"))?),
    };
    let link = names
        .links
        .get(&(None, names.op_service[entry.0 as usize]))
        .copied()
        .unwrap_or(LinkId(0));
    let af = format!("{field}.arrivals");
    let Some(arr) = &r.arrivals else {
        return Err(at.err(
            Kind::Missing,
            w,
            &field,
            "missing `arrivals`, e.g. arrivals = { poisson = \"50/s\" }",
        ));
    };
    let a = &arr.value;
    let given = [
        a.poisson.is_some(),
        a.constant.is_some(),
        a.schedule.is_some(),
        a.closed.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if given != 1 {
        let msg = "`arrivals` needs exactly one of `poisson`, `constant`, `schedule`, `closed`";
        return Err(at.err(
            if given == 0 {
                Kind::Missing
            } else {
                Kind::Invalid
            },
            arr,
            &af,
            msg,
        ));
    }
    let arrivals = if let Some(p) = &a.poisson {
        Arrivals::Poisson {
            rate: at.rate(p, &format!("{af}.poisson"), true)?,
        }
    } else if let Some(c) = &a.constant {
        Arrivals::Constant {
            rate: at.rate(c, &format!("{af}.constant"), true)?,
        }
    } else if let Some(sched) = &a.schedule {
        let sf = format!("{af}.schedule");
        if sched.value.is_empty() {
            return Err(at.err(
                Kind::Invalid,
                sched,
                &sf,
                "`schedule` needs at least one { at, rate } entry",
            ));
        }
        let mut out: Vec<(u64, f64)> = Vec::with_capacity(sched.value.len());
        for (j, e) in sched.value.iter().enumerate() {
            let ef = format!("{sf}[{j}]");
            let (Some(t), Some(rate)) = (&e.value.at, &e.value.rate) else {
                return Err(at.err(Kind::Missing, e, &ef, "each schedule entry needs `at` and `rate`, e.g. { at = \"1m\", rate = \"100/s\" }"));
            };
            let tf = format!("{ef}.at");
            let time = at.duration(t, &tf)?;
            if j == 0 && time != 0 {
                return Err(at.err(
                    Kind::Invalid,
                    t,
                    &tf,
                    format!(
                        "the first schedule entry must be at \"0s\", got \"{}\"",
                        raw_text(t)
                    ),
                ));
            }
            if let Some(&(prev, _)) = out.last() {
                if time <= prev {
                    return Err(at.err(
                        Kind::Invalid,
                        t,
                        &tf,
                        "schedule times must be strictly increasing",
                    ));
                }
            }
            out.push((time, at.rate(rate, &format!("{ef}.rate"), false)?));
        }
        if out.iter().all(|&(_, r)| r == 0.0) {
            return Err(at.err(
                Kind::Invalid,
                sched,
                &sf,
                "every rate in the schedule is 0; no request would arrive",
            ));
        }
        Arrivals::Schedule(out)
    } else if let Some(c) = &a.closed {
        let cf = format!("{af}.closed");
        let Some(users) = &c.value.users else {
            return Err(at.err(
                Kind::Missing,
                c,
                &cf,
                "missing `users`, e.g. closed = { users = 50, think = \"1s\" }",
            ));
        };
        let users = at.bounded(
            users,
            &format!("{cf}.users"),
            1,
            i64::from(limits::MAX_CLOSED_USERS),
            "every user is a client with a request or a think time pending",
        )? as u32;
        let think = at.dist_or_zero(&c.value.think, &format!("{cf}.think"))?;
        Arrivals::Closed { users, think }
    } else {
        return Err(at.err(Kind::Missing, arr, &af, "missing arrival process"));
    };
    Ok(Workload {
        flow,
        entry,
        link,
        protocol,
        timeout,
        deadline,
        rate_limit,
        arrivals,
    })
}
