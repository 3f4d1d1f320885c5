//! Trace files in: OTLP JSON, Zipkin v2 JSON and Jaeger JSON, into [`Span`]s.
//!
//! The format is recognised from the document's shape, never from the file name:
//! an object with `resourceSpans` is OTLP (the protobuf JSON mapping, as the
//! collector's file exporter writes it, one request per line also accepted), a list of
//! objects with `traceId` is Zipkin v2, an object with `data[].spans` is Jaeger's
//! export (the query API's and the UI's "Download JSON"). Every error names the file
//! and the JSON path of what is wrong; nothing here panics on any input.

mod jaeger;
mod otlp;
mod zipkin;

use super::span::{Imported, Span};
use super::TelemetryError;
use serde_json::Value;
use std::path::Path;

/// Largest trace file read (bigger is refused before reading).
pub const MAX_TRACE_BYTES: u64 = 512 << 20;

/// Read every file and concatenate their spans (file order, then span order).
pub fn import_files(files: &[impl AsRef<Path>]) -> Result<Imported, TelemetryError> {
    let mut all = Imported::default();
    for f in files {
        let f = f.as_ref();
        let name = f.display().to_string();
        let text = read(f, &name)?;
        let (format, spans) = parse_text(&text, &name)?;
        all.files.push((name, format));
        merge(&mut all, spans);
    }
    Ok(all)
}

fn merge(all: &mut Imported, one: Imported) {
    all.spans.extend(one.spans);
    all.no_duration += one.no_duration;
    all.shared_ids += one.shared_ids;
    all.no_timestamp += one.no_timestamp;
    all.dropped += one.dropped;
}

fn read(path: &Path, name: &str) -> Result<String, TelemetryError> {
    let meta = std::fs::metadata(path).map_err(|e| TelemetryError::at(name, "", e.to_string()))?;
    if !meta.is_file() {
        return Err(TelemetryError::at(name, "", "not a regular file"));
    }
    if meta.len() > MAX_TRACE_BYTES {
        return Err(TelemetryError::at(
            name,
            "",
            format!("larger than {} MiB", MAX_TRACE_BYTES >> 20),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| TelemetryError::at(name, "", e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| {
        TelemetryError::at(
            name,
            "",
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Parse one document (or OTLP JSON lines) of any supported format: the format's name
/// and the spans.
pub fn parse_text(text: &str, file: &str) -> Result<(&'static str, Imported), TelemetryError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(TelemetryError::at(file, "", "empty file: no spans"));
    }
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) if e.is_data() || e.is_syntax() && trimmed.starts_with('{') => {
            // The collector's file exporter writes one request per line.
            if let Some(lines) = json_lines(text) {
                return otlp::parse_lines(&lines, file).map(|s| ("OTLP JSON lines", s));
            }
            return Err(json_error(file, &e));
        }
        Err(e) => return Err(json_error(file, &e)),
    };
    match &doc {
        Value::Object(o) if o.contains_key("resourceSpans") => {
            otlp::parse(&doc, file, "$").map(|s| ("OTLP JSON", s))
        }
        Value::Object(o) if o.contains_key("data") => {
            jaeger::parse(&doc, file).map(|s| ("Jaeger JSON", s))
        }
        Value::Array(a) if a.is_empty() => Err(TelemetryError::at(file, "$", "an empty list: no spans")),
        Value::Array(a) if a.iter().all(|s| s.get("traceId").is_some()) => {
            zipkin::parse(a, file).map(|s| ("Zipkin v2 JSON", s))
        }
        Value::Array(a) if a.first().is_some_and(|s| s.is_array()) => Err(TelemetryError::at(
            file,
            "$[0]",
            "a list of lists: Zipkin v2 JSON is one list of spans (give each trace as its own file)",
        )),
        _ => Err(TelemetryError::at(
            file,
            "$",
            "not a trace file: expected OTLP JSON (an object with \"resourceSpans\"), Zipkin v2 JSON (a list of spans with \"traceId\") or Jaeger JSON (an object with \"data\")",
        )),
    }
}

/// Several JSON objects, one per non-empty line; `None` if the text is not that.
fn json_lines(text: &str) -> Option<Vec<(usize, Value)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push((i + 1, serde_json::from_str::<Value>(line).ok()?));
    }
    (out.len() > 1).then_some(out)
}

fn json_error(file: &str, e: &serde_json::Error) -> TelemetryError {
    let what = match e.classify() {
        serde_json::error::Category::Eof => {
            "truncated JSON (the file ends inside a value)".to_string()
        }
        _ => format!("invalid JSON: {e}"),
    };
    TelemetryError::at(
        file,
        &format!("line {} column {}", e.line(), e.column()),
        what,
    )
}

/// Field access that says where it failed.
pub(super) struct At<'a> {
    pub file: &'a str,
    pub path: String,
    pub value: &'a Value,
}

impl<'a> At<'a> {
    pub fn new(file: &'a str, path: impl Into<String>, value: &'a Value) -> Self {
        At {
            file,
            path: path.into(),
            value,
        }
    }

    pub fn err(&self, message: impl Into<String>) -> TelemetryError {
        TelemetryError::at(self.file, &self.path, message)
    }

    /// A field, if present and not null.
    pub fn opt(&self, key: &str) -> Option<At<'a>> {
        let v = self.value.get(key).filter(|v| !v.is_null())?;
        Some(At::new(self.file, format!("{}.{key}", self.path), v))
    }

    /// A required field.
    pub fn get(&self, key: &str) -> Result<At<'a>, TelemetryError> {
        self.opt(key)
            .ok_or_else(|| self.err(format!("missing \"{key}\"")))
    }

    /// The elements of a list (a missing or null field is an empty list).
    pub fn list(&self, key: &str) -> Result<Vec<At<'a>>, TelemetryError> {
        let Some(l) = self.opt(key) else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = l.value else {
            return Err(l.err("expected a list"));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| At::new(self.file, format!("{}[{i}]", l.path), v))
            .collect())
    }

    /// A string (or a number, as text).
    pub fn text(&self) -> Result<String, TelemetryError> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(self.err("expected a string")),
        }
    }

    /// A non-negative integer, given as a number or a decimal string (protobuf JSON
    /// writes 64-bit integers as strings).
    pub fn int(&self) -> Result<i64, TelemetryError> {
        let n = match self.value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n >= 0 => Ok(n),
            _ => Err(self.err(format!(
                "expected a non-negative integer, found {}",
                short(self.value)
            ))),
        }
    }
}

/// A value shown in an error, cut short.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// Spans of `imported` in one trace, by trace id (sorted), for the analyses.
pub fn by_trace(spans: &[Span]) -> std::collections::BTreeMap<&str, Vec<usize>> {
    let mut m: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, s) in spans.iter().enumerate() {
        m.entry(s.trace.as_str()).or_default().push(i);
    }
    m
}
