//! Spans as OTLP JSON: one `ExportTraceServiceRequest` in the protobuf JSON mapping,
//! with the OTLP/JSON rules (hex trace and span ids, integer enums, 64-bit integers
//! as strings). One `resourceSpans` per service (`service.name`), in name order; spans
//! in recording order. What the collector's `otlpjsonfile` receiver and Jaeger accept.
//!
//! Each span is serialised on its own from a borrowed struct (fields declared in name
//! order, the order the `serde_json::Value` maps of the first version printed them in,
//! so the bytes are the same) into its service's buffer as the spans stream by, and
//! the buffers are written inside the document's envelope in name order: what is held
//! is the text of the spans, not the spans (a tree of `Value` maps cost about 35 times
//! the text, the spans and their OTLP structs together about 4 times).

use super::Spans;
use crate::telemetry::span::{Kind, Span};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

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
    let mut text = Vec::new();
    write_otlp(spans, &mut text).expect("writing to memory");
    String::from_utf8(text).expect("serde_json writes UTF-8")
}

/// Write the OTLP JSON document of `spans` to `out`.
pub fn write_otlp(spans: &(impl Spans + ?Sized), out: &mut dyn Write) -> io::Result<()> {
    let mut by_service: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    spans.each(&mut |s| {
        // A lookup by `&str` first: `entry` would allocate the key for every span.
        if !by_service.contains_key(s.service.as_str()) {
            by_service.insert(s.service.clone(), Vec::new());
        }
        let text = by_service.get_mut(s.service.as_str()).expect("inserted");
        if !text.is_empty() {
            text.push(b',');
        }
        serde_json::to_writer(text, &span(s)).map_err(io::Error::from)
    })?;
    // The envelope `{"resourceSpans":[{"resource":...,"scopeSpans":[{"scope":...,
    // "spans":[...]}]},...]}` as serde_json writes it for the same structs.
    out.write_all(br#"{"resourceSpans":["#)?;
    for (i, (service, text)) in by_service.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let key = Attribute {
            key: "service.name",
            value: AnyValue::String(service),
        };
        out.write_all(br#"{"resource":{"attributes":["#)?;
        serde_json::to_writer(&mut *out, &key)?;
        out.write_all(br#"]},"scopeSpans":[{"scope":{"name":"archsim","version":"#)?;
        serde_json::to_writer(&mut *out, env!("CARGO_PKG_VERSION"))?;
        out.write_all(br#"},"spans":["#)?;
        out.write_all(text)?;
        out.write_all(b"]}]}")?;
    }
    out.write_all(b"]}\n")
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
