//! The report's findings against its own tables: a finding follows the numbers (a
//! worse fault, a removed fault, a different sentence with the new rate), and every
//! number a finding quotes (`12.34%`, `12.345%`, `123ns`, `1.2us`, `3.45ms`, `1.234s`,
//! `2m05s`: the formats of `pct`, the SLO table and `format_duration`) is written, as
//! quoted, in a cell of a row the finding cites, in a table of the same `report.md`.

use crate::common;

use archsim::experiment::compare::Experiment;
use archsim::experiment::slo::evaluate;
use archsim::report::document::{build, ReportInput};
use archsim::report::escape::{markdown as md_escape, markdown_inline as md_inline};
use archsim::report::findings::Finding;
use archsim::Scenario;

/// The findings and the Markdown of the report of `toml` (as `compare --report` lays
/// it out, without writing the PNGs).
fn report(toml: &str) -> (Experiment, Vec<Finding>, String) {
    let sc: Scenario = common::scenario(toml);
    let exp = common::experiment(&sc);
    let verdicts = evaluate(&sc, &exp);
    let input = ReportInput {
        scenario: &sc,
        file: "inline-test.toml",
        toml,
        command: "archsim compare inline-test.toml",
        experiment: Some(&exp),
        sweep: None,
        verdicts: &verdicts,
    };
    let r = build(&input).unwrap_or_else(|e| panic!("{e}"));
    let md = archsim::report::markdown::render(&r);
    (exp, r.findings, md)
}

/// A scenario file of the repository with its replications lowered (the text echoed
/// in the report is the modified one).
fn scenario_text(path: &str, replications: u32) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(p).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("replications = ") {
            out.push_str(&format!("replications = {replications}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The numbers of `text` in the formats the report writes: a number (not glued to a
/// letter before it, so `p99` is no number) followed by `%`, `ns`, `us`, `ms`, `s` or
/// `m..s`, and no letter after the unit (`100 streams` is no duration).
pub fn numbers(text: &str) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let glued = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '.');
        if !c[i].is_ascii_digit() || glued {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < c.len() && (c[j].is_ascii_digit() || c[j] == '.') {
            j += 1;
        }
        let rest: String = c[j..].iter().take(4).collect();
        let r: Vec<char> = rest.chars().collect();
        let minutes = r.len() == 4
            && r[0] == 'm'
            && r[1].is_ascii_digit()
            && r[2].is_ascii_digit()
            && r[3] == 's';
        let unit = if minutes {
            Some(4)
        } else {
            ["%", "ns", "us", "ms", "s"]
                .iter()
                .find(|u| rest.starts_with(**u))
                .map(|u| u.len())
        };
        let end = j + unit.unwrap_or(0);
        let boundary = !c.get(end).is_some_and(|n| n.is_alphanumeric());
        if unit.is_some() && boundary && c[j - 1] != '.' {
            out.push(c[i..end].iter().collect());
        }
        i = end.max(j);
    }
    out
}

/// A Markdown table of the report: its bold title (as escaped) and its body rows
/// (cells as escaped; a collapsed table contributes its key rows and all its rows).
struct MdTable {
    title: String,
    rows: Vec<Vec<String>>,
}

/// Every table of `report.md`, by the `**title**` line above it.
fn md_tables(md: &str) -> Vec<MdTable> {
    let lines: Vec<&str> = md.lines().collect();
    let mut out: Vec<MdTable> = Vec::new();
    let mut open = false;
    for (k, line) in lines.iter().enumerate() {
        if line.starts_with("## ") {
            open = false;
        } else if line.len() > 4 && line.starts_with("**") && line.ends_with("**") {
            out.push(MdTable {
                title: line[2..line.len() - 2].to_string(),
                rows: Vec::new(),
            });
            open = true;
        } else if open && line.starts_with("| ") {
            let header = lines.get(k + 1).is_some_and(|n| n.starts_with("|---"));
            if !header {
                let inner = line.trim_start_matches("| ").trim_end_matches(" |");
                let cells = inner.split(" | ").map(String::from).collect();
                out.last_mut().unwrap().rows.push(cells);
            }
        }
    }
    out
}

/// Whether `row` is the one labelled `label`: its first cell, or (for a table keyed
/// by several columns, like the SLO verdicts) its leading cells joined by ` · `.
fn labelled(row: &[String], label: &str) -> bool {
    (1..=row.len()).any(|n| row[..n].join(" · ") == label)
}

/// Checks every finding against the tables of `md`; returns how many numbers it
/// matched. Each problem is one line of the panic message.
fn check_quotes(findings: &[Finding], md: &str) -> usize {
    let tables = md_tables(md);
    let mut problems = Vec::new();
    let mut matched = 0;
    for f in findings {
        assert!(
            md.contains(&md_escape(&f.text)),
            "finding not in report.md: {}",
            f.text
        );
        let mut cited: Vec<&Vec<String>> = Vec::new();
        for r in &f.refs {
            let title = md_inline(&r.table);
            let found: Vec<&MdTable> = tables.iter().filter(|t| t.title == title).collect();
            if found.is_empty() {
                problems.push(format!(
                    "{:?} cites table {:?}: not in report.md",
                    f.text, r.table
                ));
            }
            for label in &r.rows {
                let l = md_inline(label);
                let rows: Vec<&Vec<String>> = found
                    .iter()
                    .flat_map(|t| &t.rows)
                    .filter(|row| labelled(row, &l))
                    .collect();
                if rows.is_empty() && !found.is_empty() {
                    problems.push(format!(
                        "{:?} cites row {label:?} of {:?}: no such row",
                        f.text, r.table
                    ));
                }
                cited.extend(rows);
            }
        }
        for n in numbers(&f.text) {
            if cited
                .iter()
                .any(|row| row.iter().any(|c| numbers(c).contains(&n)))
            {
                matched += 1;
            } else {
                problems.push(format!(
                    "{:?} quotes {n}: in none of the rows it cites",
                    f.text
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    matched
}

/// The number tokenizer finds the report's formats and nothing else.
#[test]
fn numbers_are_the_report_formats() {
    assert_eq!(
        numbers("In the sync chain variant, 26.00% of checkout requests fail (43.587s, 2m05s, 3.45ms, 1.2us, 120ns, 99.950%)."),
        ["26.00%", "43.587s", "2m05s", "3.45ms", "1.2us", "120ns", "99.950%"]
    );
    assert!(numbers("p99 of gRPC, 2 x 100 streams; v2 took 3 steps; 1.5 of them").is_empty());
    assert_eq!(
        numbers("checkout p99 <= 8s (measured 1m30s)"),
        ["8s", "1m30s"]
    );
}

/// Every number the findings of patterns-compare quote (SLO misses, failure rates with
/// fault windows, collateral and root cause, fastest answer, completion) is in a row
/// they cite of a table of report.md, and each table and row they cite exists there.
#[test]
fn patterns_compare_findings_quote_their_tables() {
    let (_, findings, md) = report(&scenario_text("scenarios/patterns-compare.toml", 2));
    let text: Vec<&str> = findings.iter().map(|f| f.text.as_str()).collect();
    assert!(
        text.iter().any(|t| t.contains("of checkout requests fail")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("answers fastest")),
        "{text:#?}"
    );
    let matched = check_quotes(&findings, &md);
    assert!(matched >= 8, "only {matched} numbers quoted: {text:#?}");
}

/// The same for a comparison without faults or SLOs (connection pools vs gRPC) and a
/// single run with a fault (no variants: the verdict's one row is the run).
#[test]
fn other_scenarios_findings_quote_their_tables() {
    for (path, reps) in [
        ("scenarios/capacity/rest-pool-vs-grpc.toml", 2),
        ("scenarios/failures/checkout-bank-down.toml", 2),
    ] {
        let (_, findings, md) = report(&scenario_text(path, reps));
        let matched = check_quotes(&findings, &md);
        let text: Vec<&str> = findings.iter().map(|f| f.text.as_str()).collect();
        assert!(matched >= 1, "{path}: no number quoted: {text:#?}");
    }
}

/// checkout-bank-down as a comparison of the retrying checkout and a direct one, with
/// the bank down for `down` seconds (none: the fault removed).
fn bank_down(down: Option<u32>) -> String {
    let text = scenario_text("scenarios/failures/checkout-bank-down.toml", 2);
    let text = text.replace(
        "operations.browse = ",
        "operations.checkout_direct = { work = { dist = \"exp\", mean = \"1ms\" }, steps = [ { call = \"order.place\" } ] }\noperations.browse = ",
    );
    let text = match down {
        Some(s) => text.replace("duration = \"20s\"", &format!("duration = \"{s}s\"")),
        None => {
            let at = text.find("[[fault]]").expect("the scenario has a fault");
            text[..at].to_string()
        }
    };
    format!(
        "{text}\n[compare]\nflow = \"checkout\"\nvariants = [\n  {{ name = \"retrying\", entry = \"gateway.checkout\" }},\n  {{ name = \"direct\", entry = \"gateway.checkout_direct\" }},\n]\n"
    )
}

/// The failure-rate sentence of `variant`, and the rate it quotes first.
fn failure_sentence(findings: &[Finding], variant: &str) -> Option<(String, String)> {
    let head = format!("In the {variant} variant, ");
    findings
        .iter()
        .find(|f| f.text.starts_with(&head) && f.text.contains("of checkout requests fail"))
        .map(|f| (f.text.clone(), numbers(&f.text)[0].clone()))
}

/// The mean part of the verdict table's failure-rate cell of `variant` ("1.23% ±0.40").
fn verdict_failure_rate(exp: &Experiment, variant: &str) -> String {
    let v = exp.variants.iter().find(|v| v.name == variant).unwrap();
    let f = &v.summary.flows[exp.focus_flow()];
    format!("{:.2}%", (1.0 - f.success_rate.mean) * 100.0)
}

/// Findings follow the numbers: with the bank down 20 s the direct variant's sentence
/// quotes its failure rate (as the verdict table writes it) and the fault window;
/// down 80 s, the sentence quotes the new, higher rate; with the fault removed there
/// is no failure sentence and no fault window at all, and the findings differ.
#[test]
fn findings_change_when_the_numbers_change() {
    let (short_exp, short, short_md) = report(&bank_down(Some(20)));
    let (long_exp, long, long_md) = report(&bank_down(Some(80)));
    let (_, none, none_md) = report(&bank_down(None));
    let texts = |f: &[Finding]| f.iter().map(|x| x.text.clone()).collect::<Vec<_>>();

    let (s_text, s_rate) = failure_sentence(&short, "direct")
        .unwrap_or_else(|| panic!("no failure sentence: {:#?}", texts(&short)));
    assert_eq!(
        s_rate,
        verdict_failure_rate(&short_exp, "direct"),
        "{s_text}"
    );
    assert!(s_text.contains("sent during \"bank down\""), "{s_text}");
    assert!(short_md.contains(&md_escape(&s_text)));

    let (l_text, l_rate) = failure_sentence(&long, "direct")
        .unwrap_or_else(|| panic!("no failure sentence: {:#?}", texts(&long)));
    assert_eq!(
        l_rate,
        verdict_failure_rate(&long_exp, "direct"),
        "{l_text}"
    );
    let pct = |s: &str| s.trim_end_matches('%').parse::<f64>().unwrap();
    assert!(
        pct(&l_rate) > pct(&s_rate),
        "80 s down {l_rate}, 20 s down {s_rate}"
    );
    assert_ne!(texts(&short), texts(&long));
    assert!(long_md.contains(&md_escape(&l_text)) && !long_md.contains(&md_escape(&s_text)));

    assert!(
        none.iter()
            .all(|f| !f.text.contains("requests fail") && !f.text.contains("bank down")),
        "{:#?}",
        texts(&none)
    );
    assert!(!none_md.contains(&md_escape(&s_text)));
    assert_ne!(texts(&none), texts(&short));
    for (f, md) in [(&short, &short_md), (&long, &long_md), (&none, &none_md)] {
        check_quotes(f, md);
    }
}

/// A small report.md: a flow table whose failure-rate row says 12.50%.
const TINY_MD: &str = "## Flows\n\n**flow checkout**\n\n| figure | a |\n|---|---|\n| failure rate | 12.50% ±1.00 |\n| p99 response | 1.234s |\n";

fn tiny(text: &str, row: &str) -> Vec<Finding> {
    vec![Finding {
        text: text.to_string(),
        refs: vec![archsim::report::findings::Ref {
            table: "flow checkout".into(),
            rows: vec![row.into()],
        }],
    }]
}

/// The checker accepts a number quoted from the row cited and counts it.
#[test]
fn check_quotes_accepts_a_number_of_the_cited_row() {
    let md = format!("{TINY_MD}\n- 12.50% fail\n");
    assert_eq!(check_quotes(&tiny("12.50% fail", "failure rate"), &md), 1);
}

/// The checker refuses a number that is in the table but not in the row cited.
#[test]
#[should_panic(expected = "in none of the rows it cites")]
fn check_quotes_refuses_a_number_of_another_row() {
    let md = format!("{TINY_MD}\n- 1.234s fail\n");
    check_quotes(&tiny("1.234s fail", "failure rate"), &md);
}

/// The checker refuses a finding citing a table that report.md does not have.
#[test]
#[should_panic(expected = "not in report.md")]
fn check_quotes_refuses_a_missing_table() {
    let md = format!("{TINY_MD}\n- 12.50% fail\n");
    let mut f = tiny("12.50% fail", "failure rate");
    f[0].refs[0].table = "flow browse".into();
    check_quotes(&f, &md);
}

/// A finding cites a table by its title without the compared flow's "(compared)",
/// and only that: a name with its own parentheses is cited whole (it used to be cut at
/// the first " (").
#[test]
fn citations_drop_only_the_compared_suffix() {
    let cite = |table: &str| {
        let r = archsim::report::findings::Ref {
            table: table.into(),
            rows: vec![],
        };
        r.name().to_string()
    };
    assert_eq!(cite("flow checkout (compared)"), "flow checkout");
    assert_eq!(cite("flow checkout (v2)"), "flow checkout (v2)");
    assert_eq!(cite("flow checkout (v2) (compared)"), "flow checkout (v2)");
    assert_eq!(cite("SLO verdicts"), "SLO verdicts");
}

/// A queue whose one consumer cannot keep up: a quarter or more of the requests' work is
/// still queued when the run ends. The flow table says how many, and a finding warns
/// that the completion figures leave them out, quoting that row.
#[test]
fn work_in_progress_at_the_end_is_counted_and_called_out() {
    let (exp, findings, md) = report(&common::slow_consumer());
    let flow = &exp.variants[0].summary.flows[0];
    let c = flow
        .completion
        .as_ref()
        .expect("a queue: completions are measured");
    // Offered 100/s, served 50/s: about half the work of the run is still queued.
    let share = c.in_progress.mean / flow.requests.mean;
    assert!((0.3..0.7).contains(&share), "in progress {share}");
    assert!(
        flow.in_flight.mean < 1.0,
        "answered at once: {:?}",
        flow.in_flight
    );
    let row = md
        .lines()
        .find(|l| l.starts_with("| incomplete at end |"))
        .unwrap_or_else(|| panic!("no incomplete row in:\n{md}"));
    assert!(row.contains("% of requests"), "{row}");
    let finding = findings
        .iter()
        .find(|f| f.text.contains("still had work in progress"))
        .unwrap_or_else(|| panic!("no finding: {findings:#?}"));
    assert_eq!(finding.refs[0].rows, ["incomplete at end"]);
    assert!(check_quotes(std::slice::from_ref(finding), &md) >= 1);
}

/// A run that drains (checkout-sync: nothing asynchronous) has no such row or finding.
#[test]
fn a_run_without_triggered_work_has_no_incomplete_row() {
    let (_, findings, md) = report(&scenario_text("scenarios/checkout-sync.toml", 2));
    assert!(!md.contains("| incomplete at end |"));
    assert!(!findings.iter().any(|f| f.text.contains("work in progress")));
}
