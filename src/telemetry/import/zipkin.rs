//! Zipkin v2 JSON: a list of spans, times in microseconds.
//!
//! A Zipkin SERVER span may share its id with the CLIENT span of the same call
//! (`"shared": true`, or simply the same id): it becomes a span of its own, `id~server`,
//! whose parent is the client span, and the children that name the shared id are
//! attached to the server side (the callee's work). The remote endpoint's service name
//! becomes the `zipkin.remote_service` attribute (the callee of an uninstrumented call).

use super::At;
use crate::telemetry::span::{Imported, Kind, Span};
use crate::telemetry::TelemetryError;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn parse(list: &[Value], file: &str) -> Result<Imported, TelemetryError> {
    let mut out = Imported::default();
    for (i, v) in list.iter().enumerate() {
        let at = At::new(file, format!("$[{i}]"), v);
        out.spans.push(span(&at, &mut out.no_duration)?);
    }
    // Ids used by a CLIENT span, per trace: a SERVER span with one of them is shared.
    let clients: BTreeSet<(String, String)> = out
        .spans
        .iter()
        .filter(|s| s.kind == Kind::Client)
        .map(|s| (s.trace.clone(), s.id.clone()))
        .collect();
    let mut renamed = BTreeMap::new();
    for s in &mut out.spans {
        let key = (s.trace.clone(), s.id.clone());
        if s.kind == Kind::Server && clients.contains(&key) {
            let server = format!("{}~server", s.id);
            renamed.insert(key, server.clone());
            s.parent = Some(s.id.clone());
            s.id = server;
            out.shared_ids += 1;
        }
    }
    for s in &mut out.spans {
        if s.id.ends_with("~server") {
            continue;
        }
        if let Some(p) = &s.parent {
            if let Some(server) = renamed.get(&(s.trace.clone(), p.clone())) {
                s.parent = Some(server.clone());
            }
        }
    }
    time_from_children(&mut out);
    Ok(out)
}

/// Marks a span without a timestamp until it is timed from its children.
const UNTIMED: i64 = i64::MIN;

/// Give spans without a timestamp the extent of their timed children (innermost
/// first); drop those that have none.
fn time_from_children(out: &mut Imported) {
    let untimed = out.spans.iter().filter(|s| s.start == UNTIMED).count() as u64;
    if untimed == 0 {
        return;
    }
    out.no_timestamp = untimed;
    loop {
        let mut extent: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
        for s in out.spans.iter().filter(|s| s.start != UNTIMED) {
            if let Some(p) = &s.parent {
                let e = extent
                    .entry((s.trace.as_str(), p.as_str()))
                    .or_insert((s.start, s.end()));
                e.0 = e.0.min(s.start);
                e.1 = e.1.max(s.end());
            }
        }
        let timed: Vec<(usize, (i64, i64))> = out
            .spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.start == UNTIMED)
            .filter_map(|(i, s)| {
                extent
                    .get(&(s.trace.as_str(), s.id.as_str()))
                    .map(|&e| (i, e))
            })
            .collect();
        if timed.is_empty() {
            break;
        }
        for (i, (a, b)) in timed {
            out.spans[i].start = a;
            out.spans[i].duration = b - a;
        }
    }
    let before = out.spans.len();
    out.spans.retain(|s| s.start != UNTIMED);
    out.dropped = (before - out.spans.len()) as u64;
}

fn span(s: &At, no_duration: &mut u64) -> Result<Span, TelemetryError> {
    if !s.value.is_object() {
        return Err(s.err("expected a span object"));
    }
    let trace = s.get("traceId")?.text()?;
    let id = s.get("id")?.text()?;
    if trace.is_empty() || id.is_empty() {
        return Err(s.err("empty traceId or id"));
    }
    let parent = s
        .opt("parentId")
        .map(|p| p.text())
        .transpose()?
        .filter(|p| !p.is_empty());
    let kind = match s.opt("kind") {
        None => Kind::Unspecified,
        Some(k) => Kind::parse(&k.text()?).ok_or_else(|| k.err("unknown span kind"))?,
    };
    let start = match s.opt("timestamp") {
        Some(t) => t.int()?,
        None => UNTIMED,
    };
    let duration = match s.opt("duration") {
        Some(d) => d.int()?,
        None if start == UNTIMED => 0,
        None => {
            *no_duration += 1;
            0
        }
    };
    let service = s
        .opt("localEndpoint")
        .and_then(|e| e.opt("serviceName"))
        .map(|n| n.text())
        .transpose()?
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let mut attributes = BTreeMap::new();
    if let Some(Value::Object(tags)) = s.opt("tags").map(|t| t.value) {
        for (k, v) in tags {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            attributes.insert(k.clone(), v);
        }
    }
    if let Some(r) = s
        .opt("remoteEndpoint")
        .and_then(|e| e.opt("serviceName"))
        .map(|n| n.text())
        .transpose()?
        .filter(|n| !n.is_empty())
    {
        attributes.insert("zipkin.remote_service".to_string(), r);
    }
    let error = attributes.contains_key("error");
    let us = |x: i64| {
        if x == UNTIMED {
            x
        } else {
            x.saturating_mul(1000)
        }
    };
    Ok(Span {
        location: format!("{}: {} (span {id})", s.file, s.path),
        trace,
        id,
        parent,
        links: Vec::new(),
        service,
        name: s
            .opt("name")
            .map(|n| n.text())
            .transpose()?
            .unwrap_or_default(),
        kind,
        start: us(start),
        duration: us(duration),
        error,
        attributes,
    })
}
