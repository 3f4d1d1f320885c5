//! The neutral span model every importer produces and every analysis reads.
//!
//! OTLP, Zipkin and Jaeger all say the same things in different shapes: a span has a
//! trace, an id, maybe a parent, a service, a name, a kind, a start and an end, a status
//! and some attributes. The importers turn each shape into [`Span`]s (Zipkin's shared
//! CLIENT/SERVER ids are split into two spans, the server's parent being the client) and
//! nothing downstream knows which format a span came from.

use std::collections::BTreeMap;

/// What a span is, by its role in a request (OpenTelemetry's span kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Not said (Zipkin's local spans, OTLP's `SPAN_KIND_UNSPECIFIED`).
    Unspecified,
    /// Work inside one service.
    Internal,
    /// A service handling a synchronous request.
    Server,
    /// A service waiting for a synchronous request it made.
    Client,
    /// A service publishing a message.
    Producer,
    /// A service handling a message.
    Consumer,
}

impl Kind {
    /// The OTLP enum value (`SPAN_KIND_*`).
    pub fn otlp(self) -> u8 {
        match self {
            Kind::Unspecified => 0,
            Kind::Internal => 1,
            Kind::Server => 2,
            Kind::Client => 3,
            Kind::Producer => 4,
            Kind::Consumer => 5,
        }
    }

    /// From an OTLP enum value or name, a Zipkin or Jaeger kind (case-insensitive).
    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.to_ascii_lowercase();
        let s = s.trim_start_matches("span_kind_");
        Some(match s {
            "0" | "unspecified" | "" => Kind::Unspecified,
            "1" | "internal" | "local" => Kind::Internal,
            "2" | "server" => Kind::Server,
            "3" | "client" => Kind::Client,
            "4" | "producer" => Kind::Producer,
            "5" | "consumer" => Kind::Consumer,
            _ => return None,
        })
    }

    /// Whether the span is a service's own handling of work (an operation).
    pub fn is_entry(self) -> bool {
        matches!(self, Kind::Server | Kind::Consumer)
    }
}

/// One span, whatever format it came from.
#[derive(Clone, Debug)]
pub struct Span {
    /// Trace id (as written: hex or base64, compared as text).
    pub trace: String,
    /// Span id, unique within its trace (Zipkin's shared server spans get `id~server`).
    pub id: String,
    /// Parent span id, if it names one.
    pub parent: Option<String>,
    /// Links to other spans (trace, span): a consumer's link to its producer.
    pub links: Vec<(String, String)>,
    /// `service.name` (Zipkin's local endpoint, Jaeger's process); "unknown" if none.
    pub service: String,
    /// Span name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Start, in ns since the Unix epoch (or any fixed origin).
    pub start: i64,
    /// Duration in ns.
    pub duration: i64,
    /// Status said error (OTLP status code 2, Zipkin's `error` tag, Jaeger's `error=true`).
    pub error: bool,
    /// String attributes and tags (numbers and booleans as their text).
    pub attributes: BTreeMap<String, String>,
    /// Where it was read: `file: $.resourceSpans[0].scopeSpans[1].spans[3]`.
    pub location: String,
}

impl Span {
    /// End, in ns.
    pub fn end(&self) -> i64 {
        self.start.saturating_add(self.duration)
    }

    /// An attribute by name.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// The service on the other side of a CLIENT or PRODUCER span, if it says
    /// (`peer.service`, Zipkin's remote endpoint, `db.system`, `messaging.system`).
    pub fn peer(&self) -> Option<&str> {
        [
            "peer.service",
            "zipkin.remote_service",
            "db.system",
            "messaging.system",
        ]
        .iter()
        .find_map(|k| self.attr(k))
        .filter(|s| !s.is_empty())
    }

    /// The queue or topic a PRODUCER or CONSUMER span names, if any.
    pub fn destination(&self) -> Option<&str> {
        [
            "messaging.destination.name",
            "messaging.destination",
            "kafka.topic",
            "rabbit.queue",
            "rabbit.routing_key",
        ]
        .iter()
        .find_map(|k| self.attr(k))
        .filter(|s| !s.is_empty())
    }
}

/// What an importer read: spans, and what it had to repair or skip.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    /// Every span read, in file order.
    pub spans: Vec<Span>,
    /// Files read, with the format found.
    pub files: Vec<(String, &'static str)>,
    /// Spans without a duration (still running when exported): taken as 0 long.
    pub no_duration: u64,
    /// Zipkin spans without a timestamp: timed from their children where they have some
    /// (first start to last end), else dropped.
    pub no_timestamp: u64,
    /// Of those, dropped (no timed child).
    pub dropped: u64,
    /// Zipkin spans that share their id with the client span of the same call.
    pub shared_ids: u64,
}
