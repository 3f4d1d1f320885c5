//! `[services.CALLER.pools.CALLEE]`: client connection pools, checked and resolved.

use super::error::{Kind, Sources, SpecError};
use super::limits;
use super::loc::Loc;
use super::models::{MergedService, Sourced};
use super::raw::StrOrNum;
use super::symbols::Names;
use super::values::In;
use crate::model::{Operation, Pool, PoolKind, ServiceId};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[services.CALLER.pools.CALLEE]` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPool {
    /// "rest" (default: a connection per request in flight) or "grpc" (streams).
    pub kind: Option<Loc<String>>,
    /// Connections per caller replica (>= 1), required.
    pub connections: Option<Loc<i64>>,
    /// gRPC only: concurrent streams per connection (>= 1), default 100.
    pub max_streams: Option<Loc<i64>>,
    /// How long an attempt waits for a connection ("0s": not at all); default: as
    /// long as its deadline allows.
    pub acquire_timeout: Option<Loc<StrOrNum>>,
}

/// gRPC's `max_streams` when not given (the common server default for
/// `SETTINGS_MAX_CONCURRENT_STREAMS`).
const DEFAULT_MAX_STREAMS: u32 = 100;

/// Adds `pools` (from `file`) to `merged`, replacing pools of the same callee.
pub(crate) fn merge(
    merged: &mut BTreeMap<String, Sourced<RawPool>>,
    file: super::error::FileId,
    pools: &Option<BTreeMap<String, Loc<RawPool>>>,
) {
    for (callee, p) in pools.iter().flatten() {
        merged.insert(callee.clone(), Sourced { file, v: p.clone() });
    }
}

/// Every pool of every service, in caller then callee name order. A pool's callee
/// must be a service its caller calls synchronously.
pub(crate) fn pools(
    src: &Sources,
    names: &Names,
    merged: &[MergedService],
    operations: &[Operation],
) -> Result<Vec<Pool>, SpecError> {
    let mut out = Vec::new();
    for (i, m) in merged.iter().enumerate() {
        let caller = ServiceId(i as u32);
        for (name, p) in &m.pools {
            let at = In { src, file: p.file };
            let field = format!("services.{}.pools.{name}", m.name);
            let Some(&callee) = names.services.get(name) else {
                let msg = format!("no service named {name:?} to pool connections to");
                return Err(at.err(Kind::Unknown, &p.v, &field, msg));
            };
            let calls = operations.iter().any(|op| {
                op.service == caller
                    && op.groups.iter().any(|g| {
                        g.calls
                            .iter()
                            .any(|c| operations[c.target.0 as usize].service == callee)
                    })
            });
            if !calls {
                let msg = format!(
                    "{} makes no synchronous call to {name}: the pool would be unused",
                    m.name
                );
                return Err(at.err(Kind::Invalid, &p.v, &field, msg));
            }
            out.push(pool(&at, &p.v, &field, caller, callee)?);
        }
    }
    Ok(out)
}

fn pool(
    at: &In,
    p: &Loc<RawPool>,
    field: &str,
    caller: ServiceId,
    callee: ServiceId,
) -> Result<Pool, SpecError> {
    let r = &p.value;
    let kind = match &r.kind {
        None => PoolKind::Rest,
        Some(k) => match k.value.as_str() {
            "rest" => PoolKind::Rest,
            "grpc" => PoolKind::Grpc,
            other => {
                let msg = format!("expected \"rest\" or \"grpc\", got {other:?}");
                return Err(at.err(Kind::Invalid, k, &format!("{field}.kind"), msg));
            }
        },
    };
    let Some(c) = &r.connections else {
        let msg = "a pool needs `connections` (per caller replica, >= 1)";
        return Err(at.err(Kind::Missing, p, &format!("{field}.connections"), msg));
    };
    let connections = at.bounded(
        c,
        &format!("{field}.connections"),
        1,
        i64::from(limits::MAX_POOL_CONNECTIONS),
        "the most connections one pool may have",
    )? as u32;
    let max_streams = match (&r.max_streams, kind) {
        (None, PoolKind::Rest) => 1,
        (None, PoolKind::Grpc) => DEFAULT_MAX_STREAMS,
        (Some(s), PoolKind::Rest) => {
            let msg = "a rest pool carries one request per connection; max_streams is for kind = \"grpc\"";
            return Err(at.err(Kind::Invalid, s, &format!("{field}.max_streams"), msg));
        }
        (Some(s), PoolKind::Grpc) => at.bounded(
            s,
            &format!("{field}.max_streams"),
            1,
            i64::from(limits::MAX_POOL_STREAMS),
            "the most streams per connection",
        )? as u32,
    };
    let acquire_timeout = match &r.acquire_timeout {
        None => None,
        Some(t) => Some(at.duration(t, &format!("{field}.acquire_timeout"))?),
    };
    Ok(Pool {
        caller,
        callee,
        kind,
        connections,
        max_streams,
        acquire_timeout,
    })
}
