//! The HTML report rendered by headless Chromium: every chart and table is in the DOM.
//! Skipped (with a note) where Chromium is not installed, never under CI (`.ci/run`
//! installs it).

use std::process::Command;

#[test]
fn index_html_renders_with_every_chart_and_table() {
    let Some(browser) = crate::common::chromium_or_skip("the headless rendering test", false)
    else {
        return;
    };
    let (tmp, _) = crate::common::patterns_compare_report(&[]);
    let html = tmp.path().join("rep/index.html");
    let source = std::fs::read_to_string(&html).unwrap();
    let charts = source.matches("<figure").count();
    let tables = source.matches("<table>").count();
    assert!(
        charts >= 20 && tables >= 8,
        "{charts} charts, {tables} tables"
    );

    let profile = tmp.path().join("profile");
    let dom = Command::new(browser)
        .args(archsim::report::pdf::HEADLESS_FLAGS)
        .arg("--dump-dom")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("</html>"), "no DOM dumped: {dom:.300}");
    // Every figure holds a parsed SVG chart with its title text; every table survived.
    assert_eq!(dom.matches("<figure").count(), charts);
    assert_eq!(
        dom.matches("<svg").count(),
        charts,
        "each figure has its <svg>"
    );
    assert_eq!(dom.matches("<table>").count(), tables);
    for title in [
        "Response latency CDF",
        "Failure, cascade and collateral rates",
        "Worker utilization",
        "SLO verdicts",
        "checkout: p99 response vs p99 completion by variant",
        "Completion latency CDF",
        "Queue backlog over time",
        "Where the time goes",
        "message queues",
        "queue backlog around each fault window",
        "sagas (rates of settled sagas",
        "where the time goes: flow checkout",
    ] {
        assert!(dom.contains(title), "{title} missing from the rendered DOM");
    }
}
