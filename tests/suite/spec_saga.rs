//! Loading sagas: both styles, ids by name, step fields and defaults, the `saga` step
//! in operations (plain, in `parallel`, in the table form), and the mistakes the loader
//! explains.

use archsim::model::{MessageKind, SagaId, SagaStyle, Scenario};
use archsim::spec::load_str;
use std::path::Path;

const SHOP: &str = r#"
[simulation]
duration = "5m"

[brokers.bus]
model = "kafka"

[sagas.checkout]
style = "orchestration"
coordinator = "orchestrator"
durable = false
compensation_attempts = 5
compensation_backoff = "250ms"
steps = [
  { action = "order.create", compensate = "order.cancel" },
  { action = "inventory.reserve", compensate = "inventory.release", timeout = "2s" },
  { action = "payment.charge", compensate = "payment.refund", fail = 0.1 },
  { action = "shipping.schedule" },
]

[sagas.by-events]
style = "choreography"
broker = "bus"

[[sagas.by-events.steps]]
action = "order.create"
compensate = "order.cancel"

[[sagas.by-events.steps]]
action = "payment.charge"
compensate = "payment.refund"
fail = 1

[services.orchestrator.operations.start]
work = "1ms"
steps = [ { call = "order.create" }, { saga = "checkout" } ]

[services.order.operations.place]
steps = [ { parallel = [ { call = "inventory.reserve" }, { saga = "by-events" }, { saga = "checkout" } ] } ]

[[services.order.operations.place2.steps]]
saga = "by-events"

[services.order.operations.create]
# A saga step back to the start is no synchronous cycle.
steps = [ { saga = "checkout" } ]
[services.order.operations.cancel]

[services.inventory.operations.reserve]
[services.inventory.operations.release]

[services.payment.operations.charge]
[services.payment.operations.refund]

[services.shipping.operations.schedule]

[[workload]]
entry = "orchestrator.start"
arrivals = { poisson = "10/s" }

# Without a latency the saga step back to its own start would be a zero-time cycle.
[network]
latency = "1ms"
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

fn op(sc: &Scenario, name: &str) -> u32 {
    sc.operations
        .iter()
        .position(|o| o.name == name)
        .unwrap_or_else(|| panic!("no operation {name}")) as u32
}

fn service(sc: &Scenario, name: &str) -> u32 {
    sc.services.iter().position(|s| s.name == name).unwrap() as u32
}

#[test]
fn sagas_are_numbered_by_name() {
    let sc = load(SHOP);
    let names: Vec<&str> = sc.sagas.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["by-events", "checkout"]);
}

#[test]
fn orchestration_compiles_with_its_fields() {
    let sc = load(SHOP);
    let s = &sc.sagas[1];
    match s.style {
        SagaStyle::Orchestration {
            coordinator,
            durable,
        } => {
            assert_eq!(coordinator.0, service(&sc, "orchestrator"));
            assert!(!durable);
        }
        SagaStyle::Choreography { .. } => panic!("expected an orchestration"),
    }
    assert_eq!(s.compensation_attempts, 5);
    assert_eq!(s.compensation_backoff, 250_000_000);
    assert_eq!(s.steps.len(), 4);
    let actions: Vec<u32> = s.steps.iter().map(|st| st.action.0).collect();
    assert_eq!(
        actions,
        [
            op(&sc, "order.create"),
            op(&sc, "inventory.reserve"),
            op(&sc, "payment.charge"),
            op(&sc, "shipping.schedule"),
        ]
    );
    assert_eq!(
        s.steps[0].compensate.map(|o| o.0),
        Some(op(&sc, "order.cancel"))
    );
    assert_eq!(
        s.steps[1].compensate.map(|o| o.0),
        Some(op(&sc, "inventory.release"))
    );
    assert!(s.steps[3].compensate.is_none());
    assert_eq!(s.steps[1].timeout, Some(2_000_000_000));
    assert_eq!(s.steps[0].timeout, None);
    assert_eq!(s.steps[2].fail, 0.1);
    assert_eq!(s.steps[0].fail, 0.0);
}

#[test]
fn choreography_compiles_from_the_table_form_with_defaults() {
    let sc = load(SHOP);
    let s = &sc.sagas[0];
    match s.style {
        SagaStyle::Choreography { broker } => {
            assert_eq!(sc.brokers[broker.0 as usize].name, "bus");
        }
        SagaStyle::Orchestration { .. } => panic!("expected a choreography"),
    }
    assert_eq!(s.compensation_attempts, 3);
    assert_eq!(s.compensation_backoff, 1_000_000_000);
    assert_eq!(s.steps.len(), 2);
    assert_eq!(s.steps[0].action.0, op(&sc, "order.create"));
    assert_eq!(
        s.steps[1].compensate.map(|o| o.0),
        Some(op(&sc, "payment.refund"))
    );
    assert_eq!(s.steps[1].fail, 1.0);
}

#[test]
fn durable_defaults_to_true() {
    let sc = load(&SHOP.replace("durable = false\n", ""));
    assert!(matches!(
        sc.sagas[1].style,
        SagaStyle::Orchestration { durable: true, .. }
    ));
}

fn sagas_started(sc: &Scenario, op_name: &str) -> Vec<Vec<SagaId>> {
    sc.operations[op(sc, op_name) as usize]
        .groups
        .iter()
        .map(|g| {
            g.messages
                .iter()
                .map(|m| match m.kind {
                    MessageKind::StartSaga(id) => id,
                    other => panic!("unexpected message kind {other:?}"),
                })
                .collect()
        })
        .collect()
}

#[test]
fn saga_steps_become_start_saga_messages() {
    let sc = load(SHOP);
    let start = &sc.operations[op(&sc, "orchestrator.start") as usize];
    assert_eq!(start.groups.len(), 2);
    assert_eq!(start.groups[0].calls.len(), 1);
    assert!(start.groups[1].calls.is_empty());
    assert_eq!(
        sagas_started(&sc, "orchestrator.start"),
        [vec![], vec![SagaId(1)]]
    );
    // Inside `parallel`: one call, two saga starts.
    let place = &sc.operations[op(&sc, "order.place") as usize];
    assert_eq!(place.groups.len(), 1);
    assert_eq!(place.groups[0].calls.len(), 1);
    assert_eq!(
        sagas_started(&sc, "order.place"),
        [vec![SagaId(0), SagaId(1)]]
    );
    // The [[...steps]] table form.
    assert_eq!(sagas_started(&sc, "order.place2"), [vec![SagaId(0)]]);
}

#[test]
fn no_sagas_is_an_empty_list() {
    let text = r#"
[simulation]
duration = "1m"
[services.api.operations.get]
[[workload]]
entry = "api.get"
arrivals = { poisson = "1/s" }
"#;
    assert!(load(text).sagas.is_empty());
}

#[test]
fn mistakes_are_explained() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "style = \"orchestration\"",
            "style = \"orchestrated\"",
            "shop.toml:9: sagas.checkout.style: unknown saga style \"orchestrated\"; valid choices: choreography, orchestration",
        ),
        (
            "style = \"orchestration\"\n",
            "",
            "sagas.checkout: missing `style`: \"orchestration\"",
        ),
        (
            "coordinator = \"orchestrator\"\n",
            "",
            "sagas.checkout: an orchestration saga needs `coordinator`",
        ),
        (
            "coordinator = \"orchestrator\"",
            "coordinator = \"orchestrator.start\"",
            "shop.toml:10: sagas.checkout.coordinator: unknown service \"orchestrator.start\" (the coordinator is a service, not an operation: write \"orchestrator\"); valid choices: inventory, orchestrator, order, payment, shipping",
        ),
        (
            "coordinator = \"orchestrator\"",
            "coordinator = \"orchestrator\"\nbroker = \"bus\"",
            "sagas.checkout.broker: `broker` applies only to style = \"choreography\"",
        ),
        (
            "broker = \"bus\"",
            "broker = \"bus\"\ncoordinator = \"orchestrator\"",
            "sagas.by-events.coordinator: `coordinator` applies only to style = \"orchestration\"",
        ),
        (
            "broker = \"bus\"",
            "broker = \"bus\"\ndurable = true",
            "sagas.by-events.durable: `durable` applies only to style = \"orchestration\"",
        ),
        (
            "broker = \"bus\"\n",
            "",
            "sagas.by-events: a choreography saga needs `broker`",
        ),
        (
            "broker = \"bus\"",
            "broker = \"order\"",
            "sagas.by-events.broker: unknown broker \"order\" (\"order\" is a service; the events go through a broker); valid choices: bus",
        ),
        (
            "compensation_attempts = 5",
            "compensation_attempts = 0",
            "shop.toml:12: sagas.checkout.compensation_attempts: must be >= 1, got 0",
        ),
        (
            "compensation_backoff = \"250ms\"",
            "compensation_backoff = 2",
            "sagas.checkout.compensation_backoff: durations are strings with a unit",
        ),
        (
            "compensation_attempts = 5",
            "compensation_attempts = 5\nretries = 2",
            "unknown field `retries`, expected one of `style`, `coordinator`, `durable`, `broker`, `compensation_attempts`, `compensation_backoff`, `steps`",
        ),
        (
            "{ action = \"shipping.schedule\" }",
            "{ action = \"shipping.schedule\", undo = \"x.y\" }",
            "unknown field `undo`, expected one of `action`, `compensate`, `fail`, `timeout`",
        ),
        (
            "{ action = \"shipping.schedule\" }",
            "{ action = \"shipping.shedule\" }",
            "shop.toml:18: sagas.checkout.steps[3].action: unknown operation \"shipping.shedule\"; valid choices: shipping.schedule",
        ),
        (
            "{ action = \"shipping.schedule\" }",
            "{ compensate = \"shipping.schedule\" }",
            "sagas.checkout.steps[3]: missing `action`",
        ),
        (
            "compensate = \"order.cancel\" },",
            "compensate = \"order.cancle\" },",
            "sagas.checkout.steps[0].compensate: unknown operation \"order.cancle\"; valid choices: order.cancel, order.create,",
        ),
        (
            "fail = 0.1",
            "fail = -0.1",
            "sagas.checkout.steps[2].fail: probability -0.1 is outside [0, 1]",
        ),
        (
            "timeout = \"2s\"",
            "timeout = \"0s\"",
            "sagas.checkout.steps[1].timeout: a timeout must be greater than 0s",
        ),
        (
            "[[sagas.by-events.steps]]\naction = \"order.create\"\ncompensate = \"order.cancel\"\n\n[[sagas.by-events.steps]]\naction = \"payment.charge\"\ncompensate = \"payment.refund\"\nfail = 1\n",
            "steps = []\n",
            "sagas.by-events.steps: a saga needs at least one step",
        ),
        (
            "[[sagas.by-events.steps]]\naction = \"order.create\"\ncompensate = \"order.cancel\"\n\n[[sagas.by-events.steps]]\naction = \"payment.charge\"\ncompensate = \"payment.refund\"\nfail = 1\n",
            "",
            "sagas.by-events: missing `steps`",
        ),
        (
            "{ saga = \"checkout\" } ]\n[services.order.operations.cancel]",
            "{ saga = \"chekout\" } ]\n[services.order.operations.cancel]",
            "services.order.operations.create.steps[0].saga: unknown saga \"chekout\"; valid choices: by-events, checkout",
        ),
        (
            "{ saga = \"by-events\" }, { saga = \"checkout\" }",
            "{ saga = \"by-events\" }, { saga = \"checkout\", retry = { attempts = 2 } }",
            "services.order.operations.place.steps[0].parallel[2].retry: `retry` applies only to `call` steps, not to a `saga` step",
        ),
        (
            "{ saga = \"checkout\" } ]\n[services.order.operations.cancel]",
            "{ saga = \"checkout\", timeout = \"1s\" } ]\n[services.order.operations.cancel]",
            "services.order.operations.create.steps[0].timeout: `timeout` applies only to `call` steps, not to a `saga` step, which ends once the saga has started (give the saga's own steps a `timeout`",
        ),
        (
            "{ saga = \"checkout\" } ]\n[services.order.operations.cancel]",
            "{ saga = \"checkout\", call = \"order.cancel\" } ]\n[services.order.operations.cancel]",
            "services.order.operations.create.steps[0]: a step has exactly one of `call`, `parallel`, `send`, `publish`, `request`, `saga`",
        ),
        (
            "saga = \"by-events\"\n",
            "saga = \"by-events\"\nsend = \"bus.x\"\n",
            "services.order.operations.place2.steps[0]: a step has exactly one of",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(SHOP.contains(from), "fixture lacks {from:?}");
        let msg = load_err(&SHOP.replacen(from, to, 1));
        assert!(
            msg.contains(expected),
            "replacing {from:?} by {to:?}: expected {expected:?} in {msg:?}"
        );
        assert!(!msg.contains('\n'), "not one line: {msg:?}");
    }
}

#[test]
fn unknown_saga_without_any_sagas_says_how_to_define_one() {
    let text = r#"
[simulation]
duration = "1m"
[services.api.operations.get]
steps = [ { saga = "checkout" } ]
[[workload]]
entry = "api.get"
arrivals = { poisson = "1/s" }
"#;
    let msg = load_err(text);
    assert!(
        msg.ends_with(
            "services.api.operations.get.steps[0].saga: unknown saga \"checkout\"; there are none (define one as [sagas.checkout])"
        ),
        "{msg}"
    );
}

#[test]
fn choreography_without_brokers_says_how_to_declare_one() {
    let text = r#"
[simulation]
duration = "1m"
[sagas.s]
style = "choreography"
broker = "bus"
steps = [ { action = "api.get" } ]
[services.api.operations.get]
[[workload]]
entry = "api.get"
arrivals = { poisson = "1/s" }
"#;
    let msg = load_err(text);
    assert!(
        msg.ends_with(
            "shop.toml:6: sagas.s.broker: unknown broker \"bus\"; there are none (declare one as [brokers.NAME])"
        ),
        "{msg}"
    );
}
