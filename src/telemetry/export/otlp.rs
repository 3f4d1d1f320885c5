//! Spans as OTLP JSON: one `ExportTraceServiceRequest` in the protobuf JSON mapping,
//! with the OTLP/JSON rules (hex trace and span ids, integer enums, 64-bit integers
//! as strings). One `resourceSpans` per service (`service.name`), in name order; spans
//! in recording order. What the collector's `otlpjsonfile` receiver and Jaeger accept.

use crate::telemetry::span::{Kind, Span};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The OTLP JSON document of `spans`.
pub fn otlp_json(spans: &[Span]) -> String {
    let mut by_service: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
    for s in spans {
        by_service.entry(&s.service).or_default().push(s);
    }
    let resource_spans: Vec<Value> = by_service
        .into_iter()
        .map(|(service, spans)| {
            json!({
                "resource": { "attributes": [ attr("service.name", service) ] },
                "scopeSpans": [ {
                    "scope": { "name": "archsim", "version": env!("CARGO_PKG_VERSION") },
                    "spans": spans.into_iter().map(span).collect::<Vec<_>>(),
                } ],
            })
        })
        .collect();
    let mut text = json!({ "resourceSpans": resource_spans }).to_string();
    text.push('\n');
    text
}

fn attr(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

/// Attributes that are integers in archsim's export.
fn int_attr(key: &str) -> bool {
    matches!(
        key,
        "archsim.attempt"
            | "archsim.retry"
            | "archsim.queue_wait_ns"
            | "archsim.work_ns"
            | "archsim.request"
            | "archsim.sample_every"
    )
}

fn span(s: &Span) -> Value {
    let attributes: Vec<Value> = s
        .attributes
        .iter()
        .map(|(k, v)| match v.parse::<i64>() {
            Ok(n) if int_attr(k) => json!({ "key": k, "value": { "intValue": n.to_string() } }),
            _ if v == "true" => json!({ "key": k, "value": { "boolValue": true } }),
            _ => attr(k, v),
        })
        .collect();
    let mut o = json!({
        "traceId": s.trace,
        "spanId": s.id,
        "name": s.name,
        "kind": s.kind.otlp(),
        "startTimeUnixNano": s.start.to_string(),
        "endTimeUnixNano": s.end().to_string(),
        "attributes": attributes,
        "status": if s.error {
            json!({ "code": 2, "message": s.attr("archsim.failure").unwrap_or("error") })
        } else {
            json!({ "code": 1 })
        },
    });
    if let Some(p) = &s.parent {
        o["parentSpanId"] = json!(p);
    }
    debug_assert!(s.kind != Kind::Unspecified);
    o
}
