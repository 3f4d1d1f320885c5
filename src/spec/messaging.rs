//! `[brokers.NAME]` (message brokers, their queues and topics) and the message steps
//! that use them (`send`, `publish`, `request`): raw structs and their compilation.
//!
//! ```toml
//! [brokers.rabbit]
//! model = "rabbitmq"                  # defaults from models/rabbitmq.toml
//! publish_latency = "2ms"             # a distribution, default "1ms"
//! delivery_latency = "1ms"            # a distribution, default "1ms"
//! capacity = "20000/s"                # messages accepted per second; default unlimited
//! redelivery_delay = "1s"             # default "1s"
//! concurrency = 4                     # queue defaults: concurrency, durable,
//!                                     # max_deliveries, ack_timeout
//! queues.payments = { consumer = "payment.charge", concurrency = 20, max_deliveries = 5 }
//! topics.order-events = { subscribers = ["payment.on_order", "email.confirm"] }
//!
//! [services.order.operations.place]
//! steps = [ { send = "rabbit.payments" },
//!           { publish = "rabbit.order-events" },
//!           { request = "rabbit.payments", reply_timeout = "5s", then = "order.on_reply",
//!             on_timeout = "order.on_reply_timeout" } ]
//! ```
//!
//! Numbering (deterministic): brokers by name; plain queues first (brokers by name,
//! queues by name), then one queue per topic subscription (topics by broker and name,
//! subscribers in the order written); topics by broker and name. A subscription queue
//! is named "broker.topic/service.operation".
//!
//! Message steps add no edge to the synchronous-call graph: an asynchronous hop breaks
//! a cycle.

use super::error::{choices, FileId, Kind, Sources, SpecError};
use super::loc::Loc;
use super::models::{load_broker_model, tag, ModelCache, Sourced};
use super::raw::{RawBroker, RawDist, RawQueue, RawStep, RawTopic, StrOrNum};
use super::symbols::valid_name;
use super::symbols::{resolve_op, Names, CLIENT};
use super::values::In;
use crate::kernel::{SimTime, NANOS_PER_SEC};
use crate::model::{
    Broker, BrokerId, Dist, MessageKind, MessageStep, OpId, Queue, QueueId, Topic, TopicId,
};
use std::collections::BTreeMap;
use std::ops::Range;

/// Default publish and delivery latency.
const DEFAULT_LATENCY: SimTime = NANOS_PER_SEC / 1000;
/// Default delay before a redelivery.
const DEFAULT_REDELIVERY: SimTime = NANOS_PER_SEC;
/// Default number of deliveries before a message is dead-lettered.
const DEFAULT_MAX_DELIVERIES: u32 = 5;

/// A broker after applying its model: every broker-level key remembers its file.
pub(crate) struct MergedBroker {
    name: String,
    span: Option<Range<usize>>,
    publish_latency: Option<Sourced<RawDist>>,
    delivery_latency: Option<Sourced<RawDist>>,
    capacity: Option<Sourced<StrOrNum>>,
    redelivery_delay: Option<Sourced<StrOrNum>>,
    durable: Option<Sourced<bool>>,
    max_deliveries: Option<Sourced<i64>>,
    concurrency: Option<Sourced<i64>>,
    ack_timeout: Option<Sourced<StrOrNum>>,
    queues: BTreeMap<String, Loc<RawQueue>>,
    topics: BTreeMap<String, Loc<RawTopic>>,
}

/// Applies `raw.model` (if any) under the broker's own keys, field by field.
pub(crate) fn merge_broker(
    src: &mut Sources,
    cache: &mut ModelCache,
    main: FileId,
    name: &str,
    raw: &Loc<RawBroker>,
) -> Result<MergedBroker, SpecError> {
    let b = &raw.value;
    let mut m = MergedBroker {
        name: name.to_owned(),
        span: raw.span.clone(),
        publish_latency: tag(main, &b.publish_latency),
        delivery_latency: tag(main, &b.delivery_latency),
        capacity: tag(main, &b.capacity),
        redelivery_delay: tag(main, &b.redelivery_delay),
        durable: tag(main, &b.durable),
        max_deliveries: tag(main, &b.max_deliveries),
        concurrency: tag(main, &b.concurrency),
        ack_timeout: tag(main, &b.ack_timeout),
        queues: b.queues.clone().unwrap_or_default(),
        topics: b.topics.clone().unwrap_or_default(),
    };
    if let Some(model) = &b.model {
        let field = format!("brokers.{name}.model");
        let (file, d) = load_broker_model(src, cache, main, model, &field)?;
        m.publish_latency = m.publish_latency.or_else(|| tag(file, &d.publish_latency));
        m.delivery_latency = m
            .delivery_latency
            .or_else(|| tag(file, &d.delivery_latency));
        m.capacity = m.capacity.or_else(|| tag(file, &d.capacity));
        m.redelivery_delay = m
            .redelivery_delay
            .or_else(|| tag(file, &d.redelivery_delay));
        m.durable = m.durable.or_else(|| tag(file, &d.durable));
        m.max_deliveries = m.max_deliveries.or_else(|| tag(file, &d.max_deliveries));
        m.concurrency = m.concurrency.or_else(|| tag(file, &d.concurrency));
        m.ack_timeout = m.ack_timeout.or_else(|| tag(file, &d.ack_timeout));
    }
    Ok(m)
}

/// Brokers, queues and topics, compiled, with their names resolved.
#[derive(Default)]
pub(crate) struct Bus {
    /// Broker name -> id.
    pub brokers: BTreeMap<String, BrokerId>,
    /// "broker.queue" -> id (plain queues only: subscriptions are not addressable).
    pub queues: BTreeMap<String, QueueId>,
    /// "broker.topic" -> id.
    pub topics: BTreeMap<String, TopicId>,
    /// The compiled brokers, indexed by [`BrokerId`].
    pub broker_list: Vec<Broker>,
    /// The compiled queues, indexed by [`QueueId`].
    pub queue_list: Vec<Queue>,
    /// The compiled topics, indexed by [`TopicId`].
    pub topic_list: Vec<Topic>,
}

/// Queue settings: a queue's or topic's own keys over its broker's defaults.
struct Settings {
    durable: bool,
    concurrency: u32,
    max_deliveries: u32,
    ack_timeout: Option<SimTime>,
    ordered: bool,
}

/// The queue-level keys shared by queues and topics.
struct QueueKeys<'a> {
    concurrency: &'a Option<Loc<i64>>,
    durable: &'a Option<Loc<bool>>,
    max_deliveries: &'a Option<Loc<i64>>,
    ack_timeout: &'a Option<Loc<StrOrNum>>,
    ordered: &'a Option<Loc<bool>>,
}

/// Broker-level defaults of the queue settings, already checked.
struct Defaults {
    durable: bool,
    concurrency: u32,
    max_deliveries: u32,
    ack_timeout: Option<SimTime>,
}

/// Compiles the merged brokers (already in name order); `names` must hold the services
/// and operations.
pub(crate) fn brokers(
    src: &Sources,
    main: FileId,
    names: &Names,
    merged: &[MergedBroker],
) -> Result<Bus, SpecError> {
    let at = In { src, file: main };
    let mut bus = Bus::default();
    let mut defaults = Vec::with_capacity(merged.len());
    for (i, m) in merged.iter().enumerate() {
        defaults.push(broker(src, main, names, i, m, &mut bus)?);
    }
    plain_queues(&at, names, merged, &defaults, &mut bus)?;
    topics(&at, names, merged, &defaults, &mut bus)?;
    Ok(bus)
}

/// One broker's own settings, added to `bus`; returns the defaults of its queues.
fn broker(
    src: &Sources,
    main: FileId,
    names: &Names,
    i: usize,
    m: &MergedBroker,
    bus: &mut Bus,
) -> Result<Defaults, SpecError> {
    let field = format!("brokers.{}", m.name);
    if !valid_name(&m.name) || m.name == CLIENT {
        let msg = if m.name == CLIENT {
            "\"client\" is reserved for the workload clients; rename the broker".to_owned()
        } else {
            format!(
                "invalid broker name \"{}\"; use letters, digits, '-' and '_'",
                m.name
            )
        };
        return Err(src.err(Kind::Invalid, main, &m.span, &field, msg));
    }
    if names.services.contains_key(&m.name) {
        let msg = format!(
            "\"{}\" is already a service; brokers and services share one namespace, so rename one of them",
            m.name
        );
        return Err(src.err(Kind::Duplicate, main, &m.span, &field, msg));
    }
    let dist = |v: &Option<Sourced<RawDist>>, key: &str| -> Result<Dist, SpecError> {
        match v {
            None => Ok(Dist::constant(DEFAULT_LATENCY)),
            Some(s) => In { src, file: s.file }.dist(&s.v, &format!("{field}.{key}")),
        }
    };
    let publish_latency = dist(&m.publish_latency, "publish_latency")?;
    let delivery_latency = dist(&m.delivery_latency, "delivery_latency")?;
    let capacity = match &m.capacity {
        None => None,
        Some(s) => Some(In { src, file: s.file }.rate(&s.v, &format!("{field}.capacity"), true)?),
    };
    let redelivery_delay = match &m.redelivery_delay {
        None => DEFAULT_REDELIVERY,
        Some(s) => In { src, file: s.file }.duration(&s.v, &format!("{field}.redelivery_delay"))?,
    };
    let count = |v: &Option<Sourced<i64>>, key: &str, default: u32| match v {
        None => Ok(default),
        Some(s) => In { src, file: s.file }.count(
            &Some(s.v.clone()),
            &format!("{field}.{key}"),
            1,
            default,
        ),
    };
    let ack_timeout = match &m.ack_timeout {
        None => None,
        Some(s) => {
            In { src, file: s.file }.timeout(&Some(s.v.clone()), &format!("{field}.ack_timeout"))?
        }
    };
    let defaults = Defaults {
        durable: m.durable.as_ref().map_or(true, |d| d.v.value),
        concurrency: count(&m.concurrency, "concurrency", 1)?,
        max_deliveries: count(&m.max_deliveries, "max_deliveries", DEFAULT_MAX_DELIVERIES)?,
        ack_timeout,
    };
    bus.brokers.insert(m.name.clone(), BrokerId(i as u32));
    bus.broker_list.push(Broker {
        name: m.name.clone(),
        publish_latency,
        delivery_latency,
        capacity,
        redelivery_delay,
    });
    Ok(defaults)
}

/// Every broker's plain queues, in broker order.
fn plain_queues(
    at: &In,
    names: &Names,
    merged: &[MergedBroker],
    defaults: &[Defaults],
    bus: &mut Bus,
) -> Result<(), SpecError> {
    for (i, m) in merged.iter().enumerate() {
        let broker = BrokerId(i as u32);
        for (q, raw) in &m.queues {
            let field = format!("brokers.{}.queues.{q}", m.name);
            check_name(at, raw, q, "queue", &field)?;
            let r = &raw.value;
            let Some(consumer) = &r.consumer else {
                return Err(at.err(
                    Kind::Missing,
                    raw,
                    &field,
                    "missing `consumer`, the operation that processes the messages, e.g. consumer = \"payment.charge\"",
                ));
            };
            let consumer = resolve_op(at, names, consumer, &format!("{field}.consumer"))?;
            let keys = QueueKeys {
                concurrency: &r.concurrency,
                durable: &r.durable,
                max_deliveries: &r.max_deliveries,
                ack_timeout: &r.ack_timeout,
                ordered: &r.ordered,
            };
            let s = settings(at, &defaults[i], &keys, &field)?;
            let name = format!("{}.{q}", m.name);
            bus.queues
                .insert(name.clone(), QueueId(bus.queue_list.len() as u32));
            bus.queue_list.push(queue(name, broker, consumer, &s));
        }
    }

    Ok(())
}

/// Every broker's topics, after all plain queues, each with one queue per subscriber.
fn topics(
    at: &In,
    names: &Names,
    merged: &[MergedBroker],
    defaults: &[Defaults],
    bus: &mut Bus,
) -> Result<(), SpecError> {
    for (i, m) in merged.iter().enumerate() {
        let broker = BrokerId(i as u32);
        for (t, raw) in &m.topics {
            let field = format!("brokers.{}.topics.{t}", m.name);
            check_name(at, raw, t, "topic", &field)?;
            if m.queues.contains_key(t) {
                let msg = format!(
                    "\"{}.{t}\" is both a queue and a topic; give them different names",
                    m.name
                );
                return Err(at.err(Kind::Duplicate, raw, &field, msg));
            }
            let r = &raw.value;
            let sf = format!("{field}.subscribers");
            let Some(subs) = &r.subscribers else {
                return Err(at.err(
                    Kind::Missing,
                    raw,
                    &field,
                    "missing `subscribers`, the operations that each get a copy of every message, e.g. subscribers = [\"email.confirm\"]",
                ));
            };
            if subs.value.is_empty() {
                return Err(at.err(
                    Kind::Invalid,
                    subs,
                    &sf,
                    "a topic needs at least one subscriber, e.g. subscribers = [\"email.confirm\"]",
                ));
            }
            let keys = QueueKeys {
                concurrency: &r.concurrency,
                durable: &r.durable,
                max_deliveries: &r.max_deliveries,
                ack_timeout: &r.ack_timeout,
                ordered: &r.ordered,
            };
            let s = settings(at, &defaults[i], &keys, &field)?;
            let topic_name = format!("{}.{t}", m.name);
            let mut seen: Vec<OpId> = Vec::with_capacity(subs.value.len());
            let mut subscriptions = Vec::with_capacity(subs.value.len());
            for (j, sub) in subs.value.iter().enumerate() {
                let f = format!("{sf}[{j}]");
                // A subscriber without its own span is located at the list.
                let sub_at = Loc {
                    span: sub.span.clone().or_else(|| subs.span.clone()),
                    value: sub.value.clone(),
                };
                let op = resolve_op(at, names, &sub_at, &f)?;
                if seen.contains(&op) {
                    let msg = format!(
                        "\"{}\" subscribes to {topic_name} twice; list each subscriber once",
                        sub.value
                    );
                    return Err(at.err(Kind::Duplicate, &sub_at, &f, msg));
                }
                seen.push(op);
                let name = format!("{topic_name}/{}", sub.value);
                subscriptions.push(QueueId(bus.queue_list.len() as u32));
                bus.queue_list.push(queue(name, broker, op, &s));
            }
            bus.topics
                .insert(topic_name.clone(), TopicId(bus.topic_list.len() as u32));
            bus.topic_list.push(Topic {
                name: topic_name,
                broker,
                subscriptions,
            });
        }
    }
    Ok(())
}

fn queue(name: String, broker: BrokerId, consumer: OpId, s: &Settings) -> Queue {
    Queue {
        name,
        broker,
        durable: s.durable,
        consumer,
        concurrency: s.concurrency,
        max_deliveries: s.max_deliveries,
        ack_timeout: s.ack_timeout,
        ordered: s.ordered,
    }
}

fn check_name<T>(
    at: &In,
    raw: &Loc<T>,
    name: &str,
    what: &str,
    field: &str,
) -> Result<(), SpecError> {
    if valid_name(name) {
        return Ok(());
    }
    let msg = format!("invalid {what} name \"{name}\"; use letters, digits, '-' and '_'");
    Err(at.err(Kind::Invalid, raw, field, msg))
}

fn settings(at: &In, d: &Defaults, k: &QueueKeys, field: &str) -> Result<Settings, SpecError> {
    let concurrency = match k.concurrency {
        None => d.concurrency,
        Some(v) => at.int(v, &format!("{field}.concurrency"), 1, i64::from(u32::MAX))? as u32,
    };
    let max_deliveries = match k.max_deliveries {
        None => d.max_deliveries,
        Some(v) => at.int(
            v,
            &format!("{field}.max_deliveries"),
            1,
            i64::from(u32::MAX),
        )? as u32,
    };
    if let Some(o) = k.ordered.as_ref().filter(|o| o.value) {
        let max = super::limits::MAX_ORDERED_PARTITIONS;
        if concurrency > max {
            let msg = format!(
                "an ordered queue has one partition per unit of `concurrency`, at most {max} (the engine keeps a backlog per partition), got {concurrency}"
            );
            return Err(match k.concurrency {
                Some(c) => at.err(Kind::Invalid, c, &format!("{field}.concurrency"), msg),
                None => at.err(Kind::Invalid, o, &format!("{field}.ordered"), msg),
            });
        }
    }
    let ack_timeout = match k.ack_timeout {
        None => d.ack_timeout,
        v => at.timeout(v, &format!("{field}.ack_timeout"))?,
    };
    Ok(Settings {
        durable: k.durable.as_ref().map_or(d.durable, |v| v.value),
        concurrency,
        max_deliveries,
        ack_timeout,
        ordered: k.ordered.as_ref().is_some_and(|v| v.value),
    })
}

/// The message step written in `step`, if it is one (`send`, `publish`, `request`, or
/// `saga`, which starts a saga: see `super::saga`);
/// `None` for a `call` or `parallel` step. Rejects call options on a message step and
/// request options elsewhere.
pub(crate) fn message_step(
    at: &In,
    names: &Names,
    step: &Loc<RawStep>,
    field: &str,
) -> Result<Option<MessageStep>, SpecError> {
    let s = &step.value;
    let span = |v: Option<&Option<Range<usize>>>| v.cloned().flatten();
    let request_keys = [
        (
            "reply_timeout",
            span(s.reply_timeout.as_ref().map(|v| &v.span)),
        ),
        ("then", span(s.then.as_ref().map(|v| &v.span))),
        ("on_timeout", span(s.on_timeout.as_ref().map(|v| &v.span))),
    ];
    let present = |v: bool, k: &'static str| v.then_some(k);
    let kinds: Vec<&str> = [
        present(s.send.is_some(), "send"),
        present(s.publish.is_some(), "publish"),
        present(s.request.is_some(), "request"),
        present(s.saga.is_some(), "saga"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if s.request.is_none() {
        let given = [
            s.reply_timeout.is_some(),
            s.then.is_some(),
            s.on_timeout.is_some(),
        ];
        if let Some(((key, sp), _)) = request_keys.iter().zip(given).find(|(_, g)| *g) {
            let msg = format!(
                "`{key}` goes only with `request = \"broker.queue\"` (asynchronous request-reply)"
            );
            return Err(at
                .src
                .err(Kind::Invalid, at.file, sp, &format!("{field}.{key}"), msg));
        }
    }
    let Some(&kind) = kinds.first() else {
        return Ok(None);
    };
    if kinds.len() > 1 || s.call.is_some() || s.parallel.is_some() {
        return Err(at.err(
            Kind::Invalid,
            step,
            field,
            "a step has exactly one of `call`, `parallel`, `send`, `publish`, `request`, `saga`",
        ));
    }
    no_call_keys(at, s, field, kind)?;
    let bus = &names.bus;
    let kind = if let Some(q) = &s.send {
        MessageKind::Send(queue_ref(at, bus, q, &format!("{field}.send"), "send")?)
    } else if let Some(t) = &s.publish {
        MessageKind::Publish(topic_ref(at, bus, t, &format!("{field}.publish"))?)
    } else if let Some(q) = &s.request {
        let queue = queue_ref(at, bus, q, &format!("{field}.request"), "request")?;
        let Some(rt) = &s.reply_timeout else {
            return Err(at.err(
                Kind::Missing,
                step,
                field,
                "a `request` needs `reply_timeout`, how long to wait for the reply, e.g. reply_timeout = \"5s\"",
            ));
        };
        let reply_timeout = at.positive_duration(rt, &format!("{field}.reply_timeout"))?;
        let Some(then) = &s.then else {
            return Err(at.err(
                Kind::Missing,
                step,
                field,
                "a `request` needs `then`, the operation run with the reply, e.g. then = \"order.on_reply\"",
            ));
        };
        let then = resolve_op(at, names, then, &format!("{field}.then"))?;
        let on_timeout = match &s.on_timeout {
            None => None,
            Some(o) => Some(resolve_op(at, names, o, &format!("{field}.on_timeout"))?),
        };
        MessageKind::Request {
            queue,
            reply_timeout,
            then,
            on_timeout,
        }
    } else if let Some(n) = &s.saga {
        MessageKind::StartSaga(super::saga::saga_ref(
            at,
            names,
            n,
            &format!("{field}.saga"),
        )?)
    } else {
        return Ok(None);
    };
    Ok(Some(MessageStep { kind }))
}

/// A message or saga step takes none of the keys of a `call` step.
fn no_call_keys(at: &In, s: &RawStep, field: &str, kind: &str) -> Result<(), SpecError> {
    let span = |v: Option<&Option<Range<usize>>>| v.cloned().flatten();
    let call_keys = [
        ("protocol", span(s.protocol.as_ref().map(|v| &v.span))),
        ("timeout", span(s.timeout.as_ref().map(|v| &v.span))),
        ("payload", span(s.payload.as_ref().map(|v| &v.span))),
        ("retry", span(s.retry.as_ref().map(|v| &v.span))),
        (
            "circuit_breaker",
            span(s.circuit_breaker.as_ref().map(|v| &v.span)),
        ),
        ("bulkhead", span(s.bulkhead.as_ref().map(|v| &v.span))),
        ("fallback", span(s.fallback.as_ref().map(|v| &v.span))),
        ("hedge", span(s.hedge.as_ref().map(|v| &v.span))),
    ];
    let call_given = [
        s.protocol.is_some(),
        s.timeout.is_some(),
        s.payload.is_some(),
        s.retry.is_some(),
        s.circuit_breaker.is_some(),
        s.bulkhead.is_some(),
        s.fallback.is_some(),
        s.hedge.is_some(),
    ];
    if let Some(((key, sp), _)) = call_keys.iter().zip(call_given).find(|(_, g)| *g) {
        let msg = if kind == "saga" {
            let hint = match *key {
                "timeout" => " (give the saga's own steps a `timeout` in [sagas.NAME])",
                "retry" => {
                    " (a saga retries its compensations itself: see `compensation_attempts`)"
                }
                _ => "",
            };
            format!(
                "`{key}` applies only to `call` steps, not to a `saga` step, which ends once the saga has started{hint}"
            )
        } else {
            let hint = match *key {
                "timeout" if kind == "request" => " (use `reply_timeout` for the reply)",
                "timeout" => "",
                _ => " (failed deliveries are retried by the broker: see the queue's `max_deliveries`)",
            };
            format!(
                "`{key}` applies only to `call` steps, not to a `{kind}` step, which ends when the broker acknowledges the message{hint}"
            )
        };
        return Err(at
            .src
            .err(Kind::Invalid, at.file, sp, &format!("{field}.{key}"), msg));
    }
    Ok(())
}

/// Names of `map` on the broker written before the first '.' of `name`, or all of them
/// if that broker has none.
fn candidates<'a, V>(map: &'a BTreeMap<String, V>, name: &str) -> Vec<&'a str> {
    let broker = name.split_once('.').map_or(name, |(b, _)| b);
    let same: Vec<&str> = map
        .keys()
        .filter(|k| k.split_once('.').is_some_and(|(b, _)| b == broker))
        .map(String::as_str)
        .collect();
    if same.is_empty() {
        map.keys().map(String::as_str).collect()
    } else {
        same
    }
}

fn format_hint(name: &str, what: &str) -> String {
    if name.contains('.') {
        String::new()
    } else {
        format!(" (write it as \"broker.{what}\")")
    }
}

fn queue_ref(
    at: &In,
    bus: &Bus,
    v: &Loc<String>,
    field: &str,
    verb: &str,
) -> Result<QueueId, SpecError> {
    let misuse = || format!("a topic, but `{verb}` needs a queue (use `publish` for a topic)");
    bus_ref(at, v, field, (&bus.queues, "queue"), (&bus.topics, &misuse))
}

fn topic_ref(at: &In, bus: &Bus, v: &Loc<String>, field: &str) -> Result<TopicId, SpecError> {
    let misuse =
        || "a queue, but `publish` needs a topic (use `send` or `request` for a queue)".to_owned();
    bus_ref(at, v, field, (&bus.topics, "topic"), (&bus.queues, &misuse))
}

/// The id `v` names among `wanted` (queues or topics, called `noun`), or an error: if
/// it names one of `other` instead, `misuse` says what it is and what to use.
fn bus_ref<T: Copy, U>(
    at: &In,
    v: &Loc<String>,
    field: &str,
    (wanted, noun): (&BTreeMap<String, T>, &str),
    (other, misuse): (&BTreeMap<String, U>, &dyn Fn() -> String),
) -> Result<T, SpecError> {
    if let Some(&id) = wanted.get(&v.value) {
        return Ok(id);
    }
    let valid = choices(candidates(wanted, &v.value));
    if other.contains_key(&v.value) {
        let msg = format!("\"{}\" is {}; {valid}", v.value, misuse());
        return Err(at.err(Kind::Invalid, v, field, msg));
    }
    let msg = format!(
        "unknown {noun} \"{}\"{}; {valid}",
        v.value,
        format_hint(&v.value, noun)
    );
    Err(at.err(Kind::Unknown, v, field, msg))
}
