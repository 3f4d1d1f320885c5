//! Spans as OTLP JSON: one `ExportTraceServiceRequest` in the protobuf JSON mapping,
//! with the OTLP/JSON rules (hex trace and span ids, integer enums, 64-bit integers
//! as strings). One `resourceSpans` per service (`service.name`), in name order; spans
//! in recording order. What the collector's `otlpjsonfile` receiver and Jaeger accept.
//!
//! The document is serialised straight from borrowed structs, not built as a
//! `serde_json::Value` first: a tree of maps costs about 35 times the text it prints
//! (1.3 GiB for a 38 MB export). Fields are declared in name order, the order the
//! earlier `Value` maps printed them in, so the bytes are the same.

use crate::telemetry::span::{Kind, Span};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "resourceSpans")]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Serialize)]
struct ResourceSpans<'a> {
    resource: Resource<'a>,
    #[serde(rename = "scopeSpans")]
    scope_spans: [ScopeSpans<'a>; 1],
}

#[derive(Serialize)]
struct Resource<'a> {
    attributes: [Attribute<'a>; 1],
}

#[derive(Serialize)]
struct ScopeSpans<'a> {
    scope: Scope,
    spans: Vec<OtlpSpan<'a>>,
}

#[derive(Serialize)]
struct Scope {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Attribute<'a> {
    key: &'a str,
    value: AnyValue<'a>,
}

/// OTLP's `AnyValue`, as the three kinds archsim writes.
#[derive(Serialize)]
enum AnyValue<'a> {
    #[serde(rename = "boolValue")]
    Bool(bool),
    /// 64-bit integers are strings in OTLP JSON.
    #[serde(rename = "intValue")]
    Int(String),
    #[serde(rename = "stringValue")]
    String(&'a str),
}

#[derive(Serialize)]
struct OtlpSpan<'a> {
    attributes: Vec<Attribute<'a>>,
    #[serde(rename = "endTimeUnixNano")]
    end: String,
    kind: u8,
    name: &'a str,
    #[serde(rename = "parentSpanId", skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    #[serde(rename = "spanId")]
    id: &'a str,
    #[serde(rename = "startTimeUnixNano")]
    start: String,
    status: Status<'a>,
    #[serde(rename = "traceId")]
    trace: &'a str,
}

#[derive(Serialize)]
struct Status<'a> {
    code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

/// The OTLP JSON document of `spans`.
pub fn otlp_json(spans: &[Span]) -> String {
    let mut by_service: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
    for s in spans {
        by_service.entry(&s.service).or_default().push(s);
    }
    let resource_spans = by_service
        .into_iter()
        .map(|(service, spans)| ResourceSpans {
            resource: Resource {
                attributes: [Attribute {
                    key: "service.name",
                    value: AnyValue::String(service),
                }],
            },
            scope_spans: [ScopeSpans {
                scope: Scope {
                    name: "archsim",
                    version: env!("CARGO_PKG_VERSION"),
                },
                spans: spans.into_iter().map(span).collect(),
            }],
        })
        .collect();
    let mut text =
        serde_json::to_string(&Document { resource_spans }).expect("plain structs serialise");
    text.push('\n');
    text
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

fn span(s: &Span) -> OtlpSpan<'_> {
    let attributes = s
        .attributes
        .iter()
        .map(|(k, v)| Attribute {
            key: k,
            value: match v.parse::<i64>() {
                Ok(n) if int_attr(k) => AnyValue::Int(n.to_string()),
                _ if v == "true" => AnyValue::Bool(true),
                _ => AnyValue::String(v),
            },
        })
        .collect();
    debug_assert!(s.kind != Kind::Unspecified);
    OtlpSpan {
        attributes,
        end: s.end().to_string(),
        kind: s.kind.otlp(),
        name: &s.name,
        parent: s.parent.as_deref(),
        id: &s.id,
        start: s.start.to_string(),
        status: if s.error {
            Status {
                code: 2,
                message: Some(s.attr("archsim.failure").unwrap_or("error")),
            }
        } else {
            Status {
                code: 1,
                message: None,
            }
        },
        trace: &s.trace,
    }
}
