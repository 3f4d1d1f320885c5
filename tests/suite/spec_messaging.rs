//! Loading brokers, queues, topics and message steps: ids, subscription queues, steps in
//! their groups, broker models, broker faults, and the mistakes the loader explains.

use archsim::model::{Dist, FaultKind, FaultTarget, MessageKind, QueueId, Scenario, TopicId};
use archsim::spec::load_str;
use std::path::Path;

const SHOP: &str = r#"
[simulation]
duration = "5m"

[brokers.rabbit]
model = "rabbitmq"
publish_latency = { dist = "lognormal", median = "2ms", p99 = "8ms" }
capacity = "5000/s"
concurrency = 4
queues.payments = { consumer = "payment.charge", concurrency = 20, durable = false, max_deliveries = 3, ack_timeout = "30s", ordered = true }
queues.bank-requests = { consumer = "bank.authorize" }
topics.order-events = { subscribers = ["payment.on_order", "inventory.reserve", "email.confirm"], concurrency = 10, ack_timeout = "10s" }

[brokers.kafka]
model = "kafka"
topics.audit = { subscribers = ["email.confirm"] }
queues.jobs = { consumer = "inventory.reserve" }

[brokers.plain]
queues.q = { consumer = "email.confirm" }

[services.order.operations.place]
work = "1ms"
steps = [
  { call = "inventory.check" },
  { send = "rabbit.payments" },
  { parallel = [ { call = "inventory.check" }, { publish = "rabbit.order-events" }, { send = "kafka.jobs" } ] },
  { request = "rabbit.bank-requests", reply_timeout = "5s", then = "order.on_reply", on_timeout = "order.on_reply_timeout" },
]

[[services.order.operations.place2.steps]]
publish = "kafka.audit"

[[services.order.operations.place2.steps]]
request = "rabbit.bank-requests"
reply_timeout = "2s"
then = "order.on_reply"

[services.order.operations.on_reply]
steps = [ { call = "inventory.check" } ]
[services.order.operations.on_reply_timeout]

[services.payment.operations.charge]
# An asynchronous hop back to the caller is not a synchronous cycle.
steps = [ { call = "inventory.check" }, { send = "plain.q" } ]
[services.payment.operations.on_order]

[services.inventory.operations.check]
[services.inventory.operations.reserve]

[services.email.operations.confirm]
steps = [ { send = "rabbit.payments" } ]

[services.bank]
model = "bank-api"

[[workload]]
entry = "order.place"
arrivals = { poisson = "10/s" }

[[fault]]
target = "rabbit"
kind = "crash"
at = "1m"
duration = "30s"
"#;

fn load(text: &str) -> Scenario {
    load_str(text, Path::new("scenarios/shop.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn load_err(text: &str) -> String {
    match load_str(text, Path::new("scenarios/shop.toml")) {
        Ok(_) => panic!("loaded without error"),
        Err(e) => e.to_string(),
    }
}

fn ms(x: f64) -> f64 {
    x * 1e6
}

#[test]
fn brokers_queues_and_topics_are_numbered_deterministically() {
    let sc = load(SHOP);
    let brokers: Vec<&str> = sc.brokers.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(brokers, ["kafka", "plain", "rabbit"]);
    let queues: Vec<&str> = sc.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(
        queues,
        [
            // Plain queues: brokers by name, queues by name.
            "kafka.jobs",
            "plain.q",
            "rabbit.bank-requests",
            "rabbit.payments",
            // Subscriptions: topics by (broker, topic), subscribers as written.
            "kafka.audit/email.confirm",
            "rabbit.order-events/payment.on_order",
            "rabbit.order-events/inventory.reserve",
            "rabbit.order-events/email.confirm",
        ]
    );
    let topics: Vec<&str> = sc.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(topics, ["kafka.audit", "rabbit.order-events"]);
    assert_eq!(sc.topics[0].subscriptions, [QueueId(4)]);
    assert_eq!(
        sc.topics[1].subscriptions,
        [QueueId(5), QueueId(6), QueueId(7)]
    );
    assert_eq!(sc.topics[1].broker.0, 2);
    for (i, q) in sc.queues.iter().enumerate() {
        let broker = &sc.brokers[q.broker.0 as usize].name;
        assert!(q.name.starts_with(&format!("{broker}.")), "{i}: {}", q.name);
    }
    // Consumers.
    let consumer = |q: usize| {
        sc.operations[sc.queues[q].consumer.0 as usize]
            .name
            .as_str()
    };
    assert_eq!(consumer(0), "inventory.reserve");
    assert_eq!(consumer(3), "payment.charge");
    assert_eq!(consumer(5), "payment.on_order");
    assert_eq!(consumer(6), "inventory.reserve");
    assert_eq!(consumer(7), "email.confirm");
    // Loading twice gives the same numbering.
    let again = load(SHOP);
    let names = |s: &Scenario| s.queues.iter().map(|q| q.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&sc), names(&again));
}

#[test]
fn queue_settings_override_broker_and_model_defaults() {
    let sc = load(SHOP);
    let q = |name: &str| sc.queues.iter().find(|q| q.name == name).unwrap();
    // Explicit on the queue.
    let p = q("rabbit.payments");
    assert_eq!(
        (
            p.concurrency,
            p.durable,
            p.max_deliveries,
            p.ack_timeout,
            p.ordered
        ),
        (20, false, 3, Some(30_000_000_000), true)
    );
    // Broker-level concurrency (4) over the model's (1); model durable/max_deliveries.
    let b = q("rabbit.bank-requests");
    assert_eq!(
        (
            b.concurrency,
            b.durable,
            b.max_deliveries,
            b.ack_timeout,
            b.ordered
        ),
        (4, true, 5, None, false)
    );
    // Topic settings go to every subscription.
    for name in [
        "rabbit.order-events/payment.on_order",
        "rabbit.order-events/inventory.reserve",
        "rabbit.order-events/email.confirm",
    ] {
        let s = q(name);
        assert_eq!((s.concurrency, s.ack_timeout), (10, Some(10_000_000_000)));
        assert!(s.durable);
    }
    // No model: built-in defaults.
    let plain = q("plain.q");
    assert_eq!(
        (
            plain.concurrency,
            plain.durable,
            plain.max_deliveries,
            plain.ack_timeout,
            plain.ordered
        ),
        (1, true, 5, None, false)
    );
}

#[test]
fn broker_models_merge_field_by_field() {
    let sc = load(SHOP);
    let b = |name: &str| sc.brokers.iter().find(|b| b.name == name).unwrap();
    let lognormal = |median: f64, p99: f64| {
        Dist::lognormal_median_p99(ms(median), ms(p99))
            .unwrap()
            .mean()
    };
    let same = |d: &Dist, mean: f64| (d.mean() - mean).abs() < 1.0;
    let rabbit = b("rabbit");
    // Overridden in the scenario.
    assert!(same(&rabbit.publish_latency, lognormal(2.0, 8.0)));
    assert_eq!(rabbit.capacity, Some(5000.0));
    // From models/rabbitmq.toml.
    assert!(same(&rabbit.delivery_latency, lognormal(1.0, 10.0)));
    assert_eq!(rabbit.redelivery_delay, 1_000_000_000);
    let kafka = b("kafka");
    assert!(same(&kafka.publish_latency, lognormal(3.0, 25.0)));
    assert!(same(&kafka.delivery_latency, lognormal(5.0, 50.0)));
    assert_eq!(kafka.capacity, Some(200_000.0));
    assert_eq!(kafka.redelivery_delay, 100_000_000);
    // No model: defaults.
    let plain = b("plain");
    assert!((plain.publish_latency.mean() - ms(1.0)).abs() < 1.0);
    assert!((plain.delivery_latency.mean() - ms(1.0)).abs() < 1.0);
    assert_eq!(plain.capacity, None);
    assert_eq!(plain.redelivery_delay, 1_000_000_000);
}

#[test]
fn message_steps_land_in_their_groups() {
    let sc = load(SHOP);
    let op = |name: &str| {
        let id = sc.operation_by_name(name).unwrap();
        &sc.operations[id.0 as usize]
    };
    let queue = |name: &str| QueueId(sc.queues.iter().position(|q| q.name == name).unwrap() as u32);
    let place = op("order.place");
    assert_eq!(place.groups.len(), 4);
    assert_eq!(
        (place.groups[0].calls.len(), place.groups[0].messages.len()),
        (1, 0)
    );
    let g1 = &place.groups[1];
    assert!(g1.calls.is_empty());
    assert!(
        matches!(g1.messages[..], [m] if matches!(m.kind, MessageKind::Send(q) if q == queue("rabbit.payments")))
    );
    // A mixed parallel group: the call in `calls`, the messages in `messages`, in order.
    let g2 = &place.groups[2];
    assert_eq!(g2.calls.len(), 1);
    assert_eq!(g2.messages.len(), 2);
    assert!(matches!(
        g2.messages[0].kind,
        MessageKind::Publish(TopicId(1))
    ));
    assert!(matches!(g2.messages[1].kind, MessageKind::Send(q) if q == queue("kafka.jobs")));
    let g3 = &place.groups[3];
    assert!(g3.calls.is_empty());
    match g3.messages[..] {
        [m] => match m.kind {
            MessageKind::Request {
                queue: q,
                reply_timeout,
                then,
                on_timeout,
            } => {
                assert_eq!(q, queue("rabbit.bank-requests"));
                assert_eq!(reply_timeout, 5_000_000_000);
                assert_eq!(sc.operations[then.0 as usize].name, "order.on_reply");
                assert_eq!(
                    on_timeout.map(|o| sc.operations[o.0 as usize].name.as_str()),
                    Some("order.on_reply_timeout")
                );
            }
            other => panic!("{other:?}"),
        },
        _ => panic!("{:?}", g3.messages),
    }
    // The [[...steps]] table form.
    let place2 = op("order.place2");
    assert!(matches!(
        place2.groups[0].messages[0].kind,
        MessageKind::Publish(TopicId(0))
    ));
    assert!(matches!(
        place2.groups[1].messages[0].kind,
        MessageKind::Request {
            on_timeout: None,
            reply_timeout: 2_000_000_000,
            ..
        }
    ));
    // Call sites are still numbered over calls only.
    let calls: usize = sc
        .operations
        .iter()
        .flat_map(|o| &o.groups)
        .map(|g| g.calls.len())
        .sum();
    assert_eq!(sc.policies.len(), calls);
}

#[test]
fn a_fault_can_take_a_broker_down() {
    let sc = load(SHOP);
    assert_eq!(sc.faults.len(), 1);
    let f = &sc.faults[0];
    assert_eq!(f.name, "crash rabbit");
    assert_eq!(f.target, FaultTarget::Broker(archsim::model::BrokerId(2)));
    assert!(matches!(f.kind, FaultKind::Crash));
}

#[test]
fn scenarios_without_brokers_have_none() {
    let sc = load(
        "[simulation]\nduration = \"1m\"\n[services.a.operations.x]\n[[workload]]\nentry = \"a.x\"\narrivals = { poisson = \"1/s\" }\n",
    );
    assert!(sc.brokers.is_empty() && sc.queues.is_empty() && sc.topics.is_empty());
    assert!(sc.operations[0].groups.is_empty());
}

#[test]
fn messaging_mistakes_are_explained() {
    let cases = [
        (
            "{ send = \"rabbit.payments\" },\n  { parallel",
            "{ send = \"rabbit.paymnts\" },\n  { parallel",
            "shop.toml:26: services.order.operations.place.steps[1].send: unknown queue \"rabbit.paymnts\"; valid choices: rabbit.bank-requests, rabbit.payments",
        ),
        (
            "{ send = \"rabbit.payments\" },\n  { parallel",
            "{ send = \"payments\" },\n  { parallel",
            "unknown queue \"payments\" (write it as \"broker.queue\"); valid choices: kafka.jobs, plain.q,",
        ),
        (
            "{ publish = \"rabbit.order-events\" }",
            "{ publish = \"rabbit.orders\" }",
            "steps[2].parallel[1].publish: unknown topic \"rabbit.orders\"; valid choices: rabbit.order-events",
        ),
        (
            "{ send = \"kafka.jobs\" }",
            "{ send = \"kafka.audit\" }",
            "steps[2].parallel[2].send: \"kafka.audit\" is a topic, but `send` needs a queue (use `publish` for a topic); valid choices: kafka.jobs",
        ),
        (
            "request = \"rabbit.bank-requests\"\nreply_timeout = \"2s\"",
            "request = \"rabbit.order-events\"\nreply_timeout = \"2s\"",
            "place2.steps[1].request: \"rabbit.order-events\" is a topic, but `request` needs a queue",
        ),
        (
            "reply_timeout = \"2s\"\n",
            "",
            "place2.steps[1]: a `request` needs `reply_timeout`",
        ),
        (
            "reply_timeout = \"2s\"\n",
            "reply_timeout = \"0s\"\n",
            "place2.steps[1].reply_timeout: must be greater than 0s",
        ),
        (
            "then = \"order.on_reply\"\n\n",
            "then = \"order.on_replay\"\n\n",
            "place2.steps[1].then: unknown operation \"order.on_replay\"; valid choices: order.on_reply,",
        ),
        (
            "{ call = \"inventory.check\" }, { send = \"plain.q\" }",
            "{ call = \"inventory.check\" }, { send = \"plain.q\", timeout = \"1s\" }",
            "charge.steps[1].timeout: `timeout` applies only to `call` steps, not to a `send` step",
        ),
        (
            "{ call = \"inventory.check\" }, { send = \"plain.q\" }",
            "{ call = \"inventory.check\", then = \"order.on_reply\" }, { send = \"plain.q\" }",
            "charge.steps[0].then: `then` goes only with `request = \"broker.queue\"`",
        ),
        (
            "{ call = \"inventory.check\" }, { send = \"plain.q\" }",
            "{ call = \"inventory.check\", send = \"plain.q\" }",
            "charge.steps[0]: a step has exactly one of `call`, `parallel`, `send`, `publish`, `request`",
        ),
        (
            "{ call = \"inventory.check\" }, { send = \"plain.q\" }",
            "{ publish = \"kafka.audit\", send = \"plain.q\" }",
            "charge.steps[0]: a step has exactly one of",
        ),
        (
            "queues.q = { consumer = \"email.confirm\" }",
            "queues.q = { }",
            "brokers.plain.queues.q: missing `consumer`",
        ),
        (
            "queues.q = { consumer = \"email.confirm\" }",
            "queues.q = { consumer = \"email.confirm\", concurrency = 0 }",
            "brokers.plain.queues.q.concurrency: must be >= 1, got 0",
        ),
        (
            "queues.q = { consumer = \"email.confirm\" }",
            "queues.q = { consumer = \"email.confirm\", max_deliveries = 0 }",
            "brokers.plain.queues.q.max_deliveries: must be >= 1, got 0",
        ),
        (
            "queues.q = { consumer = \"email.confirm\" }",
            "queues.q = { consumer = \"email.confirm\", ack_timeout = \"0s\" }",
            "brokers.plain.queues.q.ack_timeout: a timeout must be greater than 0s",
        ),
        (
            "queues.q = { consumer = \"email.confirm\" }",
            "queues.q = { consumer = \"email.confirm\" }\ntopics.q = { subscribers = [\"email.confirm\"] }",
            "brokers.plain.topics.q: \"plain.q\" is both a queue and a topic",
        ),
        (
            "topics.audit = { subscribers = [\"email.confirm\"] }",
            "topics.audit = { subscribers = [] }",
            "brokers.kafka.topics.audit.subscribers: a topic needs at least one subscriber",
        ),
        (
            "topics.audit = { subscribers = [\"email.confirm\"] }",
            "topics.audit = { }",
            "brokers.kafka.topics.audit: missing `subscribers`",
        ),
        (
            "[brokers.plain]",
            "[brokers.client]",
            "brokers.client: \"client\" is reserved",
        ),
        (
            "model = \"kafka\"",
            "model = \"bank-api\"",
            "brokers.kafka.model: \"bank-api\" is a service model: use it in a [services.NAME] table; broker models: kafka, rabbitmq",
        ),
        (
            "model = \"bank-api\"",
            "model = \"kafka\"",
            "services.bank.model: \"kafka\" is a broker model: use it in a [brokers.NAME] table",
        ),
        (
            "model = \"kafka\"",
            "model = \"kafak\"",
            "built-in models: kafka, rabbitmq",
        ),
        (
            "capacity = \"5000/s\"",
            "capacity = \"0/s\"",
            "brokers.rabbit.capacity: the rate must be greater than 0",
        ),
        (
            "publish_latency = { dist = \"lognormal\", median = \"2ms\", p99 = \"8ms\" }",
            "publish_latency = 5",
            "brokers.rabbit.publish_latency: durations are strings with a unit",
        ),
        (
            "target = \"rabbit\"",
            "target = \"rabit\"",
            "fault[0].target: unknown service or broker \"rabit\"; valid choices: bank, email, inventory, kafka, order, payment, plain, rabbit",
        ),
        (
            "target = \"rabbit\"",
            "target = \"rabbit#0\"",
            "fault[0].target: \"rabbit\" is a broker: a broker has no replicas or links",
        ),
        (
            "kind = \"crash\"",
            "kind = \"hang\"",
            "fault[0].kind: kind \"hang\" does not apply to a broker (a broker fault is an outage, kind = \"crash\"); valid choices: crash",
        ),
        (
            "kind = \"crash\"",
            "kind = \"explode\"",
            "fault[0].kind: unknown fault kind \"explode\" for a broker; valid choices: crash",
        ),
    ];
    for (from, to, want) in cases {
        assert!(SHOP.contains(from), "{from:?} not in the scenario");
        let msg = load_err(&SHOP.replacen(from, to, 1));
        assert!(msg.contains(want), "want {want:?}\n got {msg:?}");
        assert!(!msg.contains('\n'), "{msg:?}");
    }
}

#[test]
fn a_broker_model_file_holds_defaults_only() {
    let dir = std::env::temp_dir().join(format!("archsim-broker-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mybroker.toml"),
        "publish_latency = \"7ms\"\nqueues.x = { consumer = \"a.x\" }\n",
    )
    .unwrap();
    let text = "[simulation]\nduration = \"1m\"\n[brokers.b]\nmodel = \"mybroker.toml\"\n[services.a.operations.x]\n[[workload]]\nentry = \"a.x\"\narrivals = { poisson = \"1/s\" }\n";
    let err = load_str(text, &dir.join("s.toml")).unwrap_err().to_string();
    assert!(
        err.contains("mybroker.toml:2: queues: a broker model holds defaults only"),
        "{err}"
    );
    std::fs::write(
        dir.join("mybroker.toml"),
        "publish_latency = \"7ms\"\nconcurrency = 3\n",
    )
    .unwrap();
    let sc = load_str(text, &dir.join("s.toml")).unwrap();
    assert!((sc.brokers[0].publish_latency.mean() - ms(7.0)).abs() < 1.0);
    std::fs::remove_dir_all(&dir).ok();
}

const CYCLE: &str = r#"
[simulation]
duration = "1m"

[brokers.bus]
queues.work = { consumer = "b.y" }

[services.a.operations.x]
steps = [ { send = "bus.work" } ]

[services.b.operations.y]
steps = [ { call = "a.x" } ]

[[workload]]
entry = "a.x"
arrivals = { poisson = "1/s" }
"#;

#[test]
fn message_edges_break_synchronous_cycles() {
    // a.x -send-> b.y -call-> a.x: asynchronous, so not a cycle.
    let sc = load(CYCLE);
    assert_eq!(sc.queues.len(), 1);
    // The same loop with a call instead of the send is one.
    let msg = load_err(&CYCLE.replace("{ send = \"bus.work\" }", "{ call = \"b.y\" }"));
    assert!(msg.contains("synchronous call cycle"), "{msg}");
    // A continuation's own calls are still checked.
    let text = CYCLE.replace(
        "{ send = \"bus.work\" }",
        "{ request = \"bus.work\", reply_timeout = \"1s\", then = \"b.z\" }",
    ) + "[services.b.operations.z]\nsteps = [ { call = \"b.w\" } ]\n[services.b.operations.w]\nsteps = [ { call = \"b.z\" } ]\n";
    let msg = load_err(&text);
    assert!(
        msg.contains("synchronous call cycle: b.w -> b.z -> b.w"),
        "{msg}"
    );
}

#[test]
fn mangled_messaging_inputs_never_panic() {
    let origin = Path::new("scenarios/fuzz.toml");
    for cut in 0..=SHOP.len() {
        if SHOP.is_char_boundary(cut) {
            if let Err(e) = load_str(&SHOP[..cut], origin) {
                assert!(!e.to_string().contains('\n'));
            }
        }
    }
    let tokens = [
        "send = ",
        "publish = ",
        "request = ",
        "\"rabbit.payments\"",
        "\"kafka.audit\"",
        "then = \"a.b\"",
        "[brokers.x]",
        "queues.q = {}",
        "topics.t = { subscribers = [] }",
        "\"client\"",
        "=",
        "{",
        "}",
        "[",
        "]",
        ",",
        "\n",
        "0",
        "-1",
        "\"0s\"",
    ];
    let mut state: u64 = 99;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n.max(1) as u64) as usize
    };
    for _ in 0..2000 {
        let mut text = SHOP.to_owned();
        for _ in 0..1 + next(3) {
            let mut at = next(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            if next(2) == 0 {
                text.insert_str(at, tokens[next(tokens.len())]);
            } else {
                let mut end = (at + next(30)).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(at..end, "");
            }
        }
        if let Err(e) = load_str(&text, origin) {
            let msg = e.to_string();
            assert!(!msg.contains(['\n', '\r']), "{msg:?}");
        }
    }
}
