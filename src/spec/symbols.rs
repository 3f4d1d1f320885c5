//! The symbol table: every service and operation numbered once, by name, and the one
//! rule for names (`valid_name`); later passes resolve names through [`Names`].

use super::error::{choices, FileId, Kind, Sources, SpecError};
use super::loc::Loc;
use super::models::MergedService;
use super::values::In;
use crate::model::{LinkId, OpId, ServiceId};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

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

/// A name of a service, operation, model, broker, queue, topic or saga: letters,
/// digits, '-' and '_' (so it is also a bare TOML key and a file name).
pub(crate) fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Assigns service and operation ids (services by name, then operations by name).
pub(crate) fn number(
    src: &Sources,
    main: FileId,
    merged: &[MergedService],
) -> Result<Names, SpecError> {
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

pub(crate) fn service_name(names: &Names, id: ServiceId) -> &str {
    names
        .services
        .iter()
        .find(|(_, &v)| v == id)
        .map_or("?", |(k, _)| k.as_str())
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
