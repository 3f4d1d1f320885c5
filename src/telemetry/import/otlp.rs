//! OTLP JSON (the protobuf JSON mapping of `ExportTraceServiceRequest`).
//!
//! Ids are compared as text, so hex (the OTLP/JSON rule) and base64 (what
//! `json_format.MessageToJson` writes for `bytes`) both work as long as a file is
//! consistent. Kinds and status codes are accepted as numbers or enum names; 64-bit
//! integers as strings or numbers.

use super::At;
use crate::telemetry::span::{Imported, Kind, Span};
use crate::telemetry::TelemetryError;
use serde_json::Value;
use std::collections::BTreeMap;

/// One request per line (the collector's file exporter).
pub(super) fn parse_lines(
    lines: &[(usize, Value)],
    file: &str,
) -> Result<Imported, TelemetryError> {
    let mut all = Imported::default();
    for (n, doc) in lines {
        let one = parse(doc, file, &format!("line {n}: $"))?;
        all.spans.extend(one.spans);
        all.no_duration += one.no_duration;
    }
    Ok(all)
}

/// One `ExportTraceServiceRequest` (or `TracesData`) document.
pub(super) fn parse(doc: &Value, file: &str, root: &str) -> Result<Imported, TelemetryError> {
    let doc = At::new(file, root, doc);
    let mut out = Imported::default();
    for rs in doc.list("resourceSpans")? {
        let mut service = "unknown".to_string();
        if let Some(r) = rs.opt("resource") {
            if let Some(s) = attributes(&r)?.remove("service.name") {
                service = s;
            }
        }
        let mut scopes = rs.list("scopeSpans")?;
        scopes.extend(rs.list("instrumentationLibrarySpans")?);
        for ss in scopes {
            for s in ss.list("spans")? {
                out.spans.push(span(&s, &service, &mut out.no_duration)?);
            }
        }
    }
    Ok(out)
}

fn span(s: &At, service: &str, no_duration: &mut u64) -> Result<Span, TelemetryError> {
    let trace = s.get("traceId")?.text()?;
    let id = s.get("spanId")?.text()?;
    if trace.is_empty() || id.is_empty() {
        return Err(s.err("empty traceId or spanId"));
    }
    let parent = match s.opt("parentSpanId") {
        Some(p) => Some(p.text()?).filter(|p| !p.is_empty()),
        None => None,
    };
    let kind = match s.opt("kind") {
        None => Kind::Unspecified,
        Some(k) => Kind::parse(&k.text()?).ok_or_else(|| k.err("unknown span kind"))?,
    };
    let start = s.get("startTimeUnixNano")?.int()?;
    let end = match s.opt("endTimeUnixNano") {
        Some(e) => e.int()?,
        None => {
            *no_duration += 1;
            start
        }
    };
    if end < start {
        return Err(s.err(format!(
            "span {id}: endTimeUnixNano {end} is before startTimeUnixNano {start}"
        )));
    }
    let error = match s.opt("status").and_then(|st| st.opt("code")) {
        Some(c) => matches!(
            c.text()?.to_ascii_uppercase().as_str(),
            "2" | "STATUS_CODE_ERROR"
        ),
        None => false,
    };
    let mut links = Vec::new();
    for l in s.list("links")? {
        links.push((l.get("traceId")?.text()?, l.get("spanId")?.text()?));
    }
    Ok(Span {
        trace,
        parent,
        links,
        service: service.to_string(),
        name: s
            .opt("name")
            .map(|n| n.text())
            .transpose()?
            .unwrap_or_default(),
        kind,
        start,
        duration: end - start,
        error,
        attributes: attributes(s)?,
        location: format!("{}: {} (span {id})", s.file, s.path),
        id,
    })
}

/// `attributes: [{key, value: {stringValue | intValue | doubleValue | boolValue}}]`.
fn attributes(at: &At) -> Result<BTreeMap<String, String>, TelemetryError> {
    let mut m = BTreeMap::new();
    for a in at.list("attributes")? {
        let key = a.get("key")?.text()?;
        let Some(v) = a.opt("value") else { continue };
        let text = ["stringValue", "intValue", "doubleValue", "boolValue"]
            .iter()
            .find_map(|k| v.value.get(*k))
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        if let Some(t) = text {
            m.insert(key, t);
        }
    }
    Ok(m)
}
