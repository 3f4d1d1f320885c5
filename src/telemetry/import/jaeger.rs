//! Jaeger JSON: `{"data": [{"traceID", "spans": [...], "processes": {...}}]}`, times in
//! microseconds, the parent a `CHILD_OF` reference (a `FOLLOWS_FROM` one is a link),
//! the kind and status in the `span.kind` and `error` tags.

use super::At;
use crate::telemetry::span::{Imported, Kind, Span};
use crate::telemetry::TelemetryError;
use serde_json::Value;
use std::collections::BTreeMap;

pub(super) fn parse(doc: &Value, file: &str) -> Result<Imported, TelemetryError> {
    let doc = At::new(file, "$", doc);
    let mut out = Imported::default();
    for t in doc.list("data")? {
        let mut processes = BTreeMap::new();
        if let Some(Value::Object(ps)) = t.opt("processes").map(|p| p.value) {
            for (k, p) in ps {
                if let Some(Value::String(name)) = p.get("serviceName") {
                    processes.insert(k.clone(), name.clone());
                }
            }
        }
        for s in t.list("spans")? {
            out.spans.push(span(&s, &processes)?);
        }
    }
    Ok(out)
}

fn span(s: &At, processes: &BTreeMap<String, String>) -> Result<Span, TelemetryError> {
    let trace = s.get("traceID")?.text()?;
    let id = s.get("spanID")?.text()?;
    if trace.is_empty() || id.is_empty() {
        return Err(s.err("empty traceID or spanID"));
    }
    let mut parent = None;
    let mut links = Vec::new();
    for r in s.list("references")? {
        let rt = r.get("traceID")?.text()?;
        let rs = r.get("spanID")?.text()?;
        let child_of = r
            .opt("refType")
            .map(|x| x.text())
            .transpose()?
            .unwrap_or_default()
            == "CHILD_OF";
        if child_of && parent.is_none() && rt == trace {
            parent = Some(rs);
        } else {
            links.push((rt, rs));
        }
    }
    if let Some(p) = s.opt("parentSpanID") {
        let p = p.text()?;
        if parent.is_none() && !p.is_empty() && p != "0" {
            parent = Some(p);
        }
    }
    let mut attributes = BTreeMap::new();
    for tag in s.list("tags")? {
        let key = tag.get("key")?.text()?;
        let v = match tag.opt("value").map(|v| v.value) {
            Some(Value::String(x)) => x.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        attributes.insert(key, v);
    }
    let kind = match attributes.get("span.kind") {
        Some(k) => Kind::parse(k).ok_or_else(|| s.err(format!("unknown span.kind \"{k}\"")))?,
        None => Kind::Unspecified,
    };
    let error = attributes.get("error").is_some_and(|e| e == "true")
        || attributes
            .get("otel.status_code")
            .is_some_and(|c| c == "ERROR");
    let service = match s.opt("processID").map(|p| p.text()).transpose()? {
        Some(p) => processes
            .get(&p)
            .cloned()
            .unwrap_or_else(|| "unknown".to_string()),
        None => "unknown".to_string(),
    };
    let us = |x: i64| x.saturating_mul(1000);
    Ok(Span {
        location: format!("{}: {} (span {id})", s.file, s.path),
        start: us(s.get("startTime")?.int()?),
        duration: us(s.get("duration")?.int()?),
        trace,
        id,
        parent,
        links,
        service,
        name: s
            .opt("operationName")
            .map(|n| n.text())
            .transpose()?
            .unwrap_or_default(),
        kind,
        error,
        attributes,
    })
}
