//! Spans as OTLP JSON: one `ExportTraceServiceRequest` in the protobuf JSON mapping,
//! with the OTLP/JSON rules (hex trace and span ids, integer enums, 64-bit integers
//! as strings). One `resourceSpans` per service (`service.name`), in name order, and
//! per chunk of 64 MiB (see below); spans in recording order. What the collector's `otlpjsonfile` receiver and Jaeger accept.
//!
//! Streamed: each span is serialised as it comes, from a borrowed struct (fields
//! declared in name order, the order the `serde_json::Value` maps of the first version
//! printed them in, so the bytes are the same), into its service's buffer; the buffers
//! go out inside the document's envelope at the end, or whenever they hold 64 MiB, so
//! a document of more than that lists a service once per chunk. Nothing else is held
//! (a tree of `Value` maps cost about 35 times the text, and the spans with the whole
//! text 5 times it).

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

/// Span text held for the services before it is written: past this, each service's
/// spans so far go out in a `resourceSpans` of their own, and a service may then have
/// several (OTLP allows it; receivers merge them by resource).
const CHUNK: usize = 64 << 20;

/// Write the OTLP JSON document of `spans` to `out`.
pub fn write_otlp(spans: &(impl Spans + ?Sized), out: &mut dyn Write) -> io::Result<()> {
    write_chunked(spans, out, CHUNK)
}

/// [`write_otlp`] holding at most about `chunk` bytes of span text.
fn write_chunked(
    spans: &(impl Spans + ?Sized),
    out: &mut dyn Write,
    chunk: usize,
) -> io::Result<()> {
    let mut by_service: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let (mut held, mut first) = (0, true);
    out.write_all(br#"{"resourceSpans":["#)?;
    spans.each(&mut |s| {
        // A lookup by `&str` first: `entry` would allocate the key for every span.
        if !by_service.contains_key(s.service.as_str()) {
            by_service.insert(s.service.clone(), Vec::new());
        }
        let text = by_service.get_mut(s.service.as_str()).expect("inserted");
        let before = text.len();
        if before > 0 {
            text.push(b',');
        }
        serde_json::to_writer(&mut *text, &span(s))?;
        held += text.len() - before;
        if held >= chunk {
            held = 0;
            write_resources(&mut by_service, &mut first, out)?;
        }
        Ok(())
    })?;
    write_resources(&mut by_service, &mut first, out)?;
    out.write_all(b"]}\n")
}

/// A `resourceSpans` for each service with spans held, in name order; the buffers are
/// emptied. The envelope is what serde_json writes for the same structs.
fn write_resources(
    by_service: &mut BTreeMap<String, Vec<u8>>,
    first: &mut bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (service, text) in by_service.iter_mut().filter(|(_, t)| !t.is_empty()) {
        if !std::mem::take(first) {
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
        text.clear();
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::import::parse_text;

    fn text(spans: &[Span], chunk: usize) -> String {
        let mut out = Vec::new();
        write_chunked(spans, &mut out, chunk).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// What an importer reads of a span: everything but where it was read.
    fn read(doc: &str) -> Vec<String> {
        let (format, imported) = parse_text(doc, "t.json").unwrap();
        assert_eq!(format, "OTLP JSON");
        let mut spans: Vec<String> = (imported.spans.iter())
            .map(|s| {
                let mut s = s.clone();
                s.location.clear();
                format!("{s:?}")
            })
            .collect();
        spans.sort();
        spans
    }

    #[test]
    fn a_document_past_its_chunk_lists_services_again_and_reads_the_same() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/checkout-sync.toml");
        let mut sc = crate::spec::load(std::path::Path::new(path)).unwrap();
        sc.sim.duration = 40_000_000_000;
        let rec = crate::engine::record_replication(&sc, 0, 100).unwrap();
        let spans = crate::telemetry::sim::spans(&sc, 0, &rec.requests, 0);
        let services = spans.services().len();
        assert!(
            services >= 4 && spans.len() > 100,
            "{services} services, {} spans",
            spans.len()
        );
        let whole = text(&spans, CHUNK);
        let resources = |doc: &str| doc.matches(r#""key":"service.name""#).count();
        assert_eq!(resources(&whole), services, "one resourceSpans per service");
        // A chunk of 1 byte writes the spans held after every span: one resource each.
        let each = text(&spans, 1);
        assert_eq!(resources(&each), spans.len());
        let some = text(&spans, 20_000);
        assert!((services + 1..spans.len()).contains(&resources(&some)));
        assert_eq!(read(&each), read(&whole));
        assert_eq!(read(&some), read(&whole));
    }
}
