//! Sagas (issue 5): outcomes, compensation accounting, coordinator crashes, styles.

use crate::common;

use archsim::experiment::{SagaSummary, Summary};
use common::{run, scenario, scenario_file};

fn saga<'a>(s: &'a Summary, name: &str) -> &'a SagaSummary {
    s.sagas
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("saga {name}"))
}

fn choreography_toml() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/sagas/saga-choreography.toml"
    ))
    .unwrap()
}

#[test]
fn the_compensated_rate_is_the_payment_failure_rate_and_every_compensated_saga_released_its_stock()
{
    let s = run(&scenario_file("scenarios/sagas/saga-choreography.toml"));
    let g = saga(&s, "place-order");
    // Payment declines 10% of cards; nothing else fails.
    assert!(
        g.compensated_rate.contains(0.1, 0.0),
        "compensated {:?}",
        g.compensated_rate
    );
    assert!(g.compensated_rate.ci95 < 0.02);
    assert!(
        g.committed_rate.contains(0.9, 0.0),
        "committed {:?}",
        g.committed_rate
    );
    assert_eq!(g.inconsistent_rate.mean + g.aborted_rate.mean, 0.0, "{g:?}");
    // Accounting: inventory released at least once per compensated saga, and only for
    // sagas that failed (compensated, or still compensating at the end: inconsistent).
    let released = g.steps[1].compensations_ok.mean;
    assert!(
        released >= g.compensated.mean,
        "released {released} < compensated {}",
        g.compensated.mean
    );
    assert!(released <= g.compensated.mean + g.inconsistent.mean);
    let cancelled = g.steps[0].compensations_ok.mean;
    assert!(cancelled >= g.compensated.mean);
    // The declined payment itself is not refunded (its action never committed).
    assert_eq!(g.steps[2].compensations_ok.mean, 0.0);
}

#[test]
fn a_compensation_that_fails_or_never_runs_ends_inconsistent_never_compensated() {
    // Releasing stock always fails.
    let broken = choreography_toml().replace(
        r#"operations.release = { work = { dist = "exp", mean = "5ms" } }"#,
        r#"operations.release = { work = { dist = "exp", mean = "5ms" }, error = 1.0 }"#,
    );
    let s = run(&scenario(&broken));
    let g = saga(&s, "place-order");
    assert_eq!(
        g.compensated.mean, 0.0,
        "no saga may count as compensated: {g:?}"
    );
    assert!(
        g.inconsistent_rate.contains(0.1, 0.0),
        "{:?}",
        g.inconsistent_rate
    );
    // Inventory down from 4m to past the end of the run: compensations never complete.
    let down = choreography_toml()
        + "\n[[fault]]\ntarget = \"inventory\"\nkind = \"crash\"\nat = \"4m\"\nduration = \"10m\"\n";
    let s = run(&scenario(&down));
    let g = saga(&s, "place-order");
    assert!(
        g.inconsistent.mean > 0.0,
        "sagas stuck compensating count as inconsistent: {g:?}"
    );
}

#[test]
fn a_durable_coordinator_resumes_every_saga_after_a_crash_a_volatile_one_loses_them() {
    let durable = run(&scenario_file("scenarios/sagas/saga-orchestration.toml"));
    let g = saga(&durable, "fulfil-order");
    // Every saga caught by the crash resumed and settled: none aborted, and the only
    // inconsistent ones are the one or two still compensating when the run ends (as in
    // a run without the crash).
    let mut calm = scenario_file("scenarios/sagas/saga-orchestration.toml");
    calm.faults.clear();
    let calm = run(&calm);
    assert_eq!(g.aborted.mean, 0.0);
    assert!(
        g.inconsistent.mean <= saga(&calm, "fulfil-order").inconsistent.mean + 1.0,
        "{g:?}"
    );
    assert!(
        g.latency.max.mean > 14_000.0,
        "the paused sagas waited out the 15 s crash: {:?}",
        g.latency.max
    );
    // 5% declined then 2% shipping failures: about 6.9% compensated.
    let expected = 1.0 - 0.95 * 0.98;
    assert!(
        (g.compensated_rate.mean - expected).abs() < 0.01,
        "{:?}",
        g.compensated_rate
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/sagas/saga-orchestration.toml"
    ))
    .unwrap();
    let volatile = run(&scenario(
        &text.replace("durable = true", "durable = false"),
    ));
    let v = saga(&volatile, "fulfil-order");
    let lost = v.inconsistent.mean + v.aborted.mean;
    assert!(
        v.inconsistent.mean > 5.0,
        "in-flight sagas with effects end inconsistent: {v:?}"
    );
    // The sagas in flight at the crash: ~40/s x the time a saga takes.
    let in_flight = 40.0 * g.latency.mean.mean / 1e3;
    assert!(
        lost > 0.5 * in_flight && lost < 2.0 * in_flight,
        "lost {lost} vs ~{in_flight:.1} in flight"
    );
}

#[test]
fn choreography_and_orchestration_side_by_side_in_one_run() {
    let s = run(&scenario_file("scenarios/sagas/sagas-side-by-side.toml"));
    let (c, o) = (saga(&s, "by-events"), saga(&s, "by-coordinator"));
    assert_eq!(c.style, "choreography");
    assert_eq!(o.style, "orchestration");
    for g in [c, o] {
        assert!(
            g.compensated_rate.contains(0.1, 0.0),
            "{}: {:?}",
            g.name,
            g.compensated_rate
        );
    }
    // Orchestration: a command and a reply per step; choreography: one event per step.
    assert!(
        o.messages_per_saga.mean > 1.5 * c.messages_per_saga.mean,
        "{:?} vs {:?}",
        o.messages_per_saga,
        c.messages_per_saga
    );
    // Both flows' completions include their saga.
    for f in ["choreography", "orchestration"] {
        let done = s
            .flow(f)
            .unwrap()
            .completion
            .as_ref()
            .expect("completion tracked");
        assert!(
            done.latency.p50.mean > 150.0,
            "{f}: completion waits for the 150 ms payment"
        );
    }
    let exp = common::experiment(&scenario_file("scenarios/sagas/sagas-side-by-side.toml"));
    let table = archsim::report::terminal::render(&exp, &[]);
    let row = |saga: &str, style: &str| {
        table
            .lines()
            .any(|l| l.split_whitespace().take(2).eq([saga, style]))
    };
    assert!(
        row("by-events", "choreography") && row("by-coordinator", "orchestration"),
        "{table}"
    );
}
