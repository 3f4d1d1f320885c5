//! The report as a reviewer opens it, measured in a real headless Chromium: a probe
//! page loads `index.html` in a 1280 x 800 frame and writes what it measured into its
//! own DOM, which `--dump-dom` prints. Skipped (with a note) without Chromium; under
//! `CI` a missing Chromium is a failure instead.

use std::path::Path;
use std::process::Command;

const PROBE: &str = r#"<!doctype html><html><body style="margin:0">
<iframe id="f" src="rep/index.html" style="width:1280px;height:800px;border:0"></iframe>
<pre id="out">pending</pre>
<script>
document.getElementById('f').onload = function () {
  const d = this.contentDocument;
  const charts = [...d.querySelectorAll('figure svg, figure img')];
  const r = {
    scrollWidth: d.documentElement.scrollWidth,
    clientWidth: d.documentElement.clientWidth,
    verdictBottom: d.querySelector('#answer table').getBoundingClientRect().bottom,
    headlineTop: d.querySelector('#headline').getBoundingClientRect().top,
    headlineBottom: d.querySelector('#headline').getBoundingClientRect().bottom,
    charts: charts.length,
    unlabelled: charts.filter(e => !(e.getAttribute('aria-label') || e.getAttribute('alt')
      || e.querySelector('title'))).length,
  };
  document.getElementById('out').textContent = 'RESULT ' + JSON.stringify(r) + ' END';
};
</script></body></html>"#;

#[test]
fn the_answer_and_the_headline_chart_fill_the_first_screen_without_sideways_scrolling() {
    let Some(chromium) = crate::common::chromium_or_skip("the report layout test", false) else {
        return;
    };
    let (tmp, _) = crate::common::patterns_compare_report(&[]);
    std::fs::write(tmp.path().join("probe.html"), PROBE).unwrap();
    let dom = Command::new(chromium)
        .args(archsim::report::pdf::HEADLESS_FLAGS)
        .args([
            "--allow-file-access-from-files",
            "--window-size=1280,900",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!(
            "--user-data-dir={}",
            tmp.path().join("profile").display()
        ))
        .arg(format!(
            "file://{}",
            tmp.path().join("probe.html").display()
        ))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    let json = dom
        .split("RESULT ")
        .find_map(|s| s.split(" END").next().filter(|j| j.starts_with('{')))
        .unwrap_or_else(|| panic!("the probe wrote no result: {dom}"));
    let r: serde_json::Value = serde_json::from_str(json).unwrap();
    let f = |k: &str| r[k].as_f64().unwrap();
    assert!(
        f("scrollWidth") <= f("clientWidth"),
        "wider than the viewport: {r}"
    );
    assert!(
        f("verdictBottom") <= 800.0,
        "verdict table below the first screen: {r}"
    );
    assert!(
        f("headlineTop") < 800.0 && f("headlineBottom") <= 800.0,
        "headline chart not inside the first screen: {r}"
    );
    assert!(f("charts") >= 20.0, "{r}");
    assert_eq!(
        f("unlabelled"),
        0.0,
        "charts without alt text or a title: {r}"
    );
}

#[test]
fn the_topology_has_one_node_per_service_broker_and_client_flow() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("scenarios/patterns-compare.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("graph")
        .arg(&file)
        .args(["--format", "svg"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let svg = String::from_utf8(out.stdout).unwrap();
    let sc = archsim::spec::load(&file).unwrap();
    let count = |class: &str| svg.matches(&format!("<g class=\"{class}")).count();
    assert_eq!(count("node service"), sc.services.len(), "services");
    assert_eq!(count("node broker"), sc.brokers.len(), "brokers");
    assert!(count("node clients") >= 1);
    let _ = tmp;
}

/// Every `call = "service.op"` below `[services.NAME]` of a TOML file: the synchronous
/// caller/callee pairs, read from the text (independently of archsim's model).
fn call_pairs(toml_text: &str) -> std::collections::BTreeSet<(String, String)> {
    fn walk(v: &toml::Value, caller: &str, out: &mut std::collections::BTreeSet<(String, String)>) {
        match v {
            toml::Value::Table(t) => {
                if let Some(toml::Value::String(c)) = t.get("call") {
                    let callee = c.split('.').next().unwrap_or(c).to_string();
                    out.insert((caller.to_string(), callee));
                }
                for x in t.values() {
                    walk(x, caller, out);
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|x| walk(x, caller, out)),
            _ => {}
        }
    }
    let doc: toml::Value = toml::from_str(toml_text).unwrap();
    let mut out = std::collections::BTreeSet::new();
    for (name, svc) in doc["services"].as_table().unwrap() {
        walk(svc, name, &mut out);
    }
    out
}

#[test]
fn the_topology_has_one_call_edge_per_caller_callee_pair() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in [
        "scenarios/patterns-compare.toml",
        "scenarios/checkout-sync.toml",
        "scenarios/capacity/rest-pool-vs-grpc.toml",
    ] {
        let file = root.join(rel);
        let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
            .arg("graph")
            .arg(&file)
            .args(["--format", "svg"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{rel}");
        let svg = String::from_utf8(out.stdout).unwrap();
        // Node id -> its title (the first bold text of the node's group).
        let mut title = std::collections::BTreeMap::new();
        for part in svg.split("<g class=\"node ").skip(1) {
            let id = part
                .split("data-id=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let name = part.split("font-weight=\"bold\"").nth(1).unwrap();
            let name = name.split('>').nth(1).unwrap().split('<').next().unwrap();
            title.insert(id.to_string(), name.to_string());
        }
        let mut drawn = Vec::new();
        for part in svg.split("<g class=\"edge\"").skip(1) {
            let body = part.split("</g>").next().unwrap();
            if !body.contains("class=\"strand call\"") {
                continue;
            }
            let attr = |k: &str| {
                let id = part
                    .split(&format!("{k}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                title[id].clone()
            };
            drawn.push((attr("data-from"), attr("data-to")));
        }
        let expected = call_pairs(&std::fs::read_to_string(&file).unwrap());
        let unique: std::collections::BTreeSet<_> = drawn.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            drawn.len(),
            "{rel}: a pair drawn twice: {drawn:?}"
        );
        assert_eq!(
            unique, expected,
            "{rel}: call edges against the file's calls"
        );
    }
}
