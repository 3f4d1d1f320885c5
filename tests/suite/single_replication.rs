//! With one replication no confidence interval can be known: the JSON says `null`,
//! the CSV leaves the field empty and the table shows no `±`, never a certain-looking
//! 0.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args([
            "run",
            "scenarios/failures/checkout-bank-down.toml",
            "--duration",
            "60s",
            "--quiet",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every `ci95` in `v`, with its path.
fn cis(v: &serde_json::Value, path: &str, out: &mut Vec<(String, serde_json::Value)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "ci95" {
                    out.push((path.to_string(), x.clone()));
                } else {
                    cis(x, &format!("{path}.{k}"), out);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                cis(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn one_replication_has_no_interval_anywhere() {
    let json: serde_json::Value = serde_json::from_str(&run(&["-r", "1", "--json", "-"])).unwrap();
    let mut all = Vec::new();
    cis(&json, "", &mut all);
    assert!(all.len() > 50, "estimates everywhere");
    for (path, ci) in &all {
        assert!(ci.is_null(), "{path}.ci95 = {ci}, expected null");
    }
    let csv = run(&["-r", "1", "--csv", "-"]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for row in lines {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), header.len());
        for (h, c) in header.iter().zip(&cells) {
            if h.ends_with("_ci95") {
                assert_eq!(*c, "", "{h} is empty");
            }
        }
    }
    let table = run(&["-r", "1"]);
    assert!(!table.contains('±'), "{table}");
    assert!(
        table.contains("one replication: no confidence interval"),
        "{table}"
    );
}

#[test]
fn two_replications_have_numeric_intervals() {
    let json: serde_json::Value = serde_json::from_str(&run(&["-r", "2", "--json", "-"])).unwrap();
    let flow = &json["variants"][0]["summary"]["flows"][0];
    assert!(flow["latency"]["p99"]["ci95"].is_number());
    assert!(flow["requests"]["ci95"].is_number());
    assert!(run(&["-r", "2"]).contains('±'));
}
