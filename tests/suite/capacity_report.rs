//! Autoscaling in the report (issue 13 item 3, issue 15 item 1): the verdict's cost
//! column, the autoscaling, cost and decisions tables, the cost finding, the
//! replicas-over-time chart and the sweep's cost column; and that a comparison without
//! autoscaling has none of them. Costs are exact here: constant arrivals and work.

use crate::common::{experiment, scenario};
use archsim::experiment::slo::evaluate;
use archsim::experiment::sweep::run_sweep;
use archsim::report::figures::experiment_figures;
use archsim::report::findings::findings;
use archsim::report::sections::{experiment_sections, sweep_sections, Section};
use archsim::spec::edit::{parse_set, sweep_points};
use std::path::Path;

/// A fixed service of 3 replicas against an autoscaled one (1..6 replicas, 2 at time
/// 0, so never saturated) under the same constant load, 100 s measured after a 10 s
/// warm-up, with an SLO both meet when `slo` is set.
fn two_ways(slo: bool) -> String {
    let slo = if slo {
        "[[slo]]\nflow = \"f\"\np99 = \"15ms\"\n"
    } else {
        ""
    };
    format!(
        r#"
[simulation]
seed = 5
duration = "110s"
warmup = "10s"
replications = 2

[network]
latency = "0s"

[services.fixed]
replicas = 3
workers = 1
queue = 1000
operations.get = {{ work = "10ms" }}

[services.scaled]
replicas = 2
workers = 1
queue = 1000
autoscale = {{ min = 1, max = 6, target = 0.5, period = "5s", startup = "2s" }}
operations.get = {{ work = "10ms" }}

[[workload]]
flow = "f"
entry = "fixed.get"
arrivals = {{ constant = "150/s" }}

[compare]
flow = "f"
variants = [
  {{ name = "fixed", entry = "fixed.get" }},
  {{ name = "scaled", entry = "scaled.get" }},
]
{slo}"#
    )
}

fn section<'a>(sections: &'a [Section], title: &str) -> Option<&'a Section> {
    sections.iter().find(|s| s.title.starts_with(title))
}

fn column(s: &Section, header: &str) -> usize {
    (s.header.iter().position(|h| h == header))
        .unwrap_or_else(|| panic!("no column {header:?} in {:?}", s.header))
}

#[test]
fn an_autoscaled_comparison_reports_cost_per_variant() {
    let sc = scenario(&two_ways(true));
    let exp = experiment(&sc);
    let verdicts = evaluate(&sc, &exp);
    let (verdict, found) = findings(&exp, &verdicts);
    let verdict = verdict.expect("a verdict table");
    let cost = column(&verdict, "cost (replica-s)");
    // The fixed variant deploys 3 replicas for the 100 measured seconds; the
    // autoscaled service of the other variant is not part of its cost.
    assert_eq!(verdict.rows[0][0], "fixed");
    assert_eq!(verdict.rows[0][cost], "300");
    let scaled = &exp.variants[1].summary;
    assert_eq!(
        verdict.rows[1][cost],
        format!("{:.0}", scaled.cost.replica_seconds.mean)
    );
    // 150/s of 10 ms is 1.5 busy workers: at 50% per replica, 3 replicas, decided at
    // the first evaluation (5 s) and ready at 7 s, before the warm-up ends.
    let s = &scaled.scaling[0];
    assert!(s.reached && s.peak_desired.mean == 3.0, "{s:?}");
    assert!(
        (scaled.cost.replica_seconds.mean - 300.0).abs() < 1e-6,
        "3 replicas from 7 s on, 100 s measured: {:?}",
        scaled.cost
    );
    assert!(!exp.variants[0].summary.scaling[0].reached);

    let sections = experiment_sections(&exp);
    let table = section(&sections, "autoscaling").expect("autoscaling table");
    assert_eq!(
        table.rows.len(),
        1,
        "only the reached service: {:?}",
        table.rows
    );
    assert_eq!(
        table.rows[0][..2],
        ["scaled".to_string(), "scaled".to_string()]
    );
    let costs = section(&sections, "cost").expect("cost table");
    assert_eq!(costs.rows[0][..2], ["fixed".to_string(), "300".to_string()]);
    let decisions = section(&sections, "scaling decisions").expect("decisions");
    assert_eq!(
        decisions.rows[0],
        ["scaled", "5.0 s", "scaled", "2", "3"].map(String::from)
    );
    // Both meet the SLO at the same cost: the finding names the first of them.
    let text: Vec<&str> = found.iter().map(|f| f.text.as_str()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("replica-seconds") && t.contains("300")),
        "{text:?}"
    );
    let ids: Vec<String> = experiment_figures(&exp).into_iter().map(|f| f.id).collect();
    assert!(ids.contains(&"timeline-replicas".to_string()), "{ids:?}");
}

#[test]
fn a_comparison_without_autoscaling_has_no_cost_column_table_or_chart() {
    let text = two_ways(false).replace(
        "autoscale = { min = 1, max = 6, target = 0.5, period = \"5s\", startup = \"2s\" }",
        "",
    );
    let sc = scenario(&text);
    let exp = experiment(&sc);
    let (verdict, found) = findings(&exp, &[]);
    let verdict = verdict.unwrap();
    assert!(!verdict.header.iter().any(|h| h.starts_with("cost")));
    let sections = experiment_sections(&exp);
    assert!(section(&sections, "autoscaling").is_none());
    assert!(section(&sections, "cost").is_none());
    assert!(!found.iter().any(|f| f.text.contains("replica-seconds")));
    let ids: Vec<String> = experiment_figures(&exp).into_iter().map(|f| f.id).collect();
    assert!(!ids.contains(&"timeline-replicas".to_string()));
    // The services table omits the service a variant does not reach.
    let services = section(&sections, "services").unwrap();
    let rows: Vec<(&str, &str)> = (services.rows.iter())
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(rows, [("fixed", "fixed"), ("scaled", "scaled")]);
}

#[test]
fn a_sweep_of_an_autoscaling_target_reports_cost_per_point() {
    let text = two_ways(false);
    let params = vec![parse_set("services.scaled.autoscale.target=0.25,0.5").unwrap()];
    let points = sweep_points(&text, Path::new("x.toml"), &params, &Default::default()).unwrap();
    let sweep = run_sweep("x", params, points, &|| {}).unwrap();
    let table = &sweep_sections(&sweep)[0];
    let cost = column(table, "cost (replica-s)");
    let scaled: Vec<&str> = (table.rows.iter())
        .filter(|r| r[1] == "scaled")
        .map(|r| r[cost].as_str())
        .collect();
    // 1.5 busy workers: target 0.25 gives 6 replicas from 7 s on, 0.5 gives 3.
    assert_eq!(scaled, ["600", "300"], "{:?}", table.rows);
}

/// Every table the terminal prints (`experiment_sections`) is in `report.md` too: the
/// report's groups list their sections by hand, and the capacity and pool tables were
/// once missing from it.
#[test]
fn the_report_has_every_table_the_terminal_prints() {
    use archsim::report::document::{build, ReportInput};
    let pools = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/capacity/rest-pool-vs-grpc.toml"),
    )
    .unwrap()
    .replace("duration = \"2m\"", "duration = \"20s\"")
    .replace("replications = 4", "replications = 2");
    for toml in [two_ways(true), pools] {
        let sc = scenario(&toml);
        let exp = experiment(&sc);
        let verdicts = evaluate(&sc, &exp);
        let input = ReportInput {
            scenario: &sc,
            file: "inline-test.toml",
            toml: &toml,
            command: "archsim compare inline-test.toml",
            experiment: Some(&exp),
            sweep: None,
            verdicts: &verdicts,
        };
        let md = archsim::report::markdown::render(&build(&input).unwrap());
        let sections = experiment_sections(&exp);
        assert!(
            sections
                .iter()
                .any(|s| s.title.starts_with("autoscaling")
                    || s.title.starts_with("connection pools")),
            "the case has a capacity table"
        );
        for s in sections {
            let title = archsim::report::escape::markdown_inline(&s.title);
            assert!(md.contains(&title), "report.md lacks table {:?}", s.title);
        }
    }
}
