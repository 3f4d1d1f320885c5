//! Simulated telemetry out, checked by the real tools: OTLP JSON parsed by the official
//! protobuf definitions (opentelemetry-proto), Chrome trace-event JSON with what
//! Perfetto needs, OpenMetrics accepted by promtool and turned into TSDB blocks; and
//! the round trip: checkout-sync's exported traces imported back reproduce its
//! topology and its latencies. A tool that is missing skips its test with a note,
//! except under `CI`, where `.ci/run` has installed it and its absence is a failure.

use crate::common::{archsim, run, scenario_file};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `tool` is usable; a skip note otherwise, or a failure under CI.
fn have(ok: bool, what: &str) -> bool {
    if !ok {
        crate::common::tool_missing(what);
    }
    ok
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `archsim run` of checkout-sync with `args` in `dir`.
fn export(dir: &Path, args: &[&str]) {
    let sc = root().join("scenarios/checkout-sync.toml");
    let mut all = vec!["run", sc.to_str().unwrap(), "-q"];
    all.extend_from_slice(args);
    archsim(dir, &all);
}

#[test]
fn round_trip_recovers_checkout_sync_and_its_latencies() {
    let tmp = tempfile::tempdir().unwrap();
    export(
        tmp.path(),
        &["--traces", "t.json", "--trace-requests", "3000"],
    );
    archsim(tmp.path(), &["import", "t.json", "-o", "imported.toml"]);
    let (_, t) = archsim::telemetry::read_topology(&[tmp.path().join("t.json")]).unwrap();
    let services: BTreeSet<&str> = t.services();
    assert_eq!(services, ["bank", "gateway", "order", "payment"].into());
    let ops: Vec<String> = t.ops.keys().map(|(s, o)| format!("{s}.{o}")).collect();
    assert_eq!(
        ops,
        [
            "bank.authorize",
            "gateway.checkout",
            "order.place",
            "payment.charge"
        ]
    );
    let calls: Vec<String> = t
        .calls()
        .into_iter()
        .map(|(a, b)| format!("{}.{} -> {}.{}", a.0, a.1, b.0, b.1))
        .collect();
    assert_eq!(
        calls,
        [
            "gateway.checkout -> order.place",
            "order.place -> payment.charge",
            "payment.charge -> bank.authorize"
        ]
    );
    assert_eq!(
        t.counts.unpaired_clients + t.counts.skew + t.counts.missing_parents,
        0
    );
    // Re-simulated p50 and p99 of checkout within 5% of the original run's.
    let original = run(&scenario_file("scenarios/checkout-sync.toml"));
    let imported = run(&archsim::spec::load(&tmp.path().join("imported.toml")).unwrap());
    let (a, b) = (&original.flows[0].latency, &imported.flows[0].latency);
    for (what, x, y) in [
        ("p50", a.p50.mean, b.p50.mean),
        ("p99", a.p99.mean, b.p99.mean),
    ] {
        let err = y / x - 1.0;
        eprintln!(
            "round trip {what}: original {x:.4} s, imported {y:.4} s ({:+.2}%)",
            err * 100.0
        );
        assert!(err.abs() < 0.05, "{what}: {x} vs {y}");
    }
    // The arrival rate comes back from the sampled roots' start times (50/s).
    let rate = t.flows.values().next().unwrap().rate().unwrap();
    assert!((rate / 50.0 - 1.0).abs() < 0.05, "rate {rate}");
}

#[test]
fn traces_and_metrics_are_byte_deterministic_and_follow_the_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "--duration",
        "1m",
        "--traces",
        "a.json",
        "--metrics",
        "a.om",
        "--trace-requests",
        "20",
    ];
    export(tmp.path(), &args);
    let again = [
        "--duration",
        "1m",
        "--traces",
        "b.json",
        "--metrics",
        "b.om",
        "--trace-requests",
        "20",
    ];
    export(tmp.path(), &again);
    let read = |f: &str| std::fs::read(tmp.path().join(f)).unwrap();
    assert_eq!(read("a.json"), read("b.json"));
    assert_eq!(read("a.om"), read("b.om"));
    export(
        tmp.path(),
        &[
            "--duration",
            "1m",
            "--traces",
            "c.json",
            "--trace-requests",
            "20",
            "--trace-epoch",
            "0",
        ],
    );
    let a: serde_json::Value = serde_json::from_slice(&read("a.json")).unwrap();
    let c: serde_json::Value = serde_json::from_slice(&read("c.json")).unwrap();
    let start = |v: &serde_json::Value| -> i64 {
        v["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["startTimeUnixNano"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        start(&a) - start(&c),
        archsim::telemetry::sim::DEFAULT_EPOCH_S * 1_000_000_000
    );
}

const PARSE_OTLP: &str = r#"
import sys, json
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
text = open(sys.argv[1]).read()
req = json_format.Parse(text, ExportTraceServiceRequest())
kinds, services, parents, errors, attrs = {}, set(), 0, 0, set()
for rs in req.resource_spans:
    name = [a.value.string_value for a in rs.resource.attributes if a.key == "service.name"]
    services.add(name[0])
    for ss in rs.scope_spans:
        for s in ss.spans:
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
            parents += 1 if s.parent_span_id else 0
            errors += 1 if s.status.code == 2 else 0
            attrs.update(a.key for a in s.attributes)
            assert s.end_time_unix_nano >= s.start_time_unix_nano
# OTLP/JSON ids are hex: 16 and 8 bytes.
for rs in json.loads(text)["resourceSpans"]:
    for s in rs["scopeSpans"][0]["spans"]:
        assert len(bytes.fromhex(s["traceId"])) == 16 and len(bytes.fromhex(s["spanId"])) == 8
print(json.dumps({"kinds": {str(k): v for k, v in kinds.items()}, "services": sorted(services),
                  "parents": parents, "errors": errors, "attrs": sorted(attrs)}))
"#;

#[test]
fn otlp_export_parses_with_the_official_protobuf_definitions() {
    if !have(
        python_has("opentelemetry.proto"),
        "python3 with opentelemetry-proto",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Retries, timeouts and root causes: the retry-storm scenario.
    let sc = root().join("scenarios/failures/retry-storm.toml");
    archsim(
        tmp.path(),
        &[
            "run",
            sc.to_str().unwrap(),
            "-q",
            "-r",
            "1",
            "--traces",
            "t.json",
            "--trace-requests",
            "300",
        ],
    );
    let out = Command::new("python3")
        .args([
            "-c",
            PARSE_OTLP,
            tmp.path().join("t.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("opentelemetry-proto read: {v}");
    // SERVER (2) and CLIENT (3) spans, with parents; the client service is there.
    assert!(v["kinds"]["2"].as_u64().unwrap() > 0 && v["kinds"]["3"].as_u64().unwrap() > 0);
    assert!(v["parents"].as_u64().unwrap() > 0);
    assert!(v["services"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "client"));
    assert!(
        v["errors"].as_u64().unwrap() > 0,
        "the storm fails requests"
    );
    let attrs = v["attrs"].to_string();
    for a in [
        "archsim.queue_wait_ns",
        "archsim.retry",
        "archsim.root_cause",
        "archsim.failure",
        "peer.service",
    ] {
        assert!(attrs.contains(a), "{a} in {attrs}");
    }
}

#[test]
fn chrome_trace_has_what_perfetto_needs() {
    let tmp = tempfile::tempdir().unwrap();
    export(
        tmp.path(),
        &[
            "--duration",
            "1m",
            "--traces",
            "c.json",
            "--trace-format",
            "chrome",
            "--trace-requests",
            "30",
        ],
    );
    let text = std::fs::read_to_string(tmp.path().join("c.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let complete: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert!(
        complete.len() >= 10 * 8 && complete.len() % 8 == 0,
        "8 spans per checkout: {}",
        complete.len()
    );
    for e in &complete {
        assert!(e["name"].is_string() && e["ts"].is_number() && e["dur"].as_f64().unwrap() >= 0.0);
        assert!(e["pid"].is_u64() && e["tid"].is_u64());
    }
    let names: BTreeSet<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["bank", "client", "gateway", "order", "payment"].into()
    );
    // Nesting: per (pid, tid), a span that starts inside another ends inside it.
    if !have(python_has("json"), "python3") {
        return;
    }
    let check = r#"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
rows = {}
for e in ev:
    rows.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
bad = 0
for spans in rows.values():
    spans.sort(key=lambda s: (s[0], -s[1]))
    stack = []
    for a, b in spans:
        while stack and stack[-1] <= a:
            stack.pop()
        if stack and b > stack[-1] + 1e-6:
            bad += 1
        stack.append(b)
print(len(ev), bad)
"#;
    let out = Command::new("python3")
        .args(["-c", check, tmp.path().join("c.json").to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.trim().ends_with(" 0"),
        "spans that overlap without nesting: {text}"
    );
}

/// The last sample of every series, as a scrape would show it (Prometheus text
/// format: `# TYPE` of counters with their `_total` name, no timestamps, no `# EOF`).
fn as_scrape(om: &str) -> String {
    let mut out = String::new();
    let mut last: Vec<(String, String)> = Vec::new();
    let mut counter = false;
    for line in om.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            counter = kind == "counter";
            let name = if counter {
                format!("{name}_total")
            } else {
                name.to_string()
            };
            out.extend(last.drain(..).map(|(s, v)| format!("{s} {v}\n")));
            out.push_str(&format!("# TYPE {name} {kind}\n"));
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            let name = if counter {
                format!("{name}_total")
            } else {
                name.to_string()
            };
            out.push_str(&format!("# HELP {name} {help}\n"));
        } else if line.starts_with('#') {
            continue;
        } else {
            let mut parts = line.rsplitn(3, ' ');
            let (_ts, v, series) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            match last.iter_mut().find(|(s, _)| s == series) {
                Some(x) => x.1 = v.to_string(),
                None => last.push((series.to_string(), v.to_string())),
            }
        }
    }
    out.extend(last.drain(..).map(|(s, v)| format!("{s} {v}\n")));
    out
}

#[test]
fn openmetrics_passes_promtool_and_becomes_tsdb_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    export(tmp.path(), &["--duration", "2m", "--metrics", "m.om"]);
    let om = std::fs::read_to_string(tmp.path().join("m.om")).unwrap();
    assert!(om.ends_with("# EOF\n"));
    assert!(om.contains("archsim_flow_latency_seconds{flow=\"checkout\",percentile=\"99\"}"));
    let promtool = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have(promtool, "promtool (Debian package prometheus)") {
        return;
    }
    let mut lint = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    lint.stdin
        .take()
        .unwrap()
        .write_all(as_scrape(&om).as_bytes())
        .unwrap();
    let lint = lint.wait_with_output().unwrap();
    assert!(
        lint.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    if let Err(e) = crate::common::promtool_blocks(tmp.path(), "m.om", "tsdb") {
        panic!("{e}");
    }
    let blocks = std::fs::read_dir(tmp.path().join("tsdb")).unwrap().count();
    assert!(blocks >= 1, "a block was written");
    // A query of the blocks: the responses counter of checkout, its last value
    // (`tsdb dump` opens the directory as a database, which wants a WAL folder).
    std::fs::create_dir_all(tmp.path().join("tsdb/wal")).unwrap();
    let dump = Command::new("promtool")
        .args([
            "tsdb",
            "dump",
            "--match",
            "archsim_flow_responses_total",
            "tsdb",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let text = String::from_utf8_lossy(&dump.stdout);
    let last = om
        .lines()
        .rfind(|l| l.starts_with("archsim_flow_responses_total{flow=\"checkout\"}"))
        .unwrap();
    let value = last.split(' ').nth(1).unwrap();
    assert!(text.contains("flow=\"checkout\""), "{text}");
    assert!(
        text.lines().any(|l| l.contains(&format!(" {value} "))),
        "the last count {value} is in the blocks: {}",
        text.lines().last().unwrap_or("")
    );
}

#[test]
fn calibrate_prints_the_table_and_exits_3_past_the_tolerance() {
    let tmp = tempfile::tempdir().unwrap();
    export(
        tmp.path(),
        &[
            "--duration",
            "2m",
            "--traces",
            "t.json",
            "--trace-requests",
            "1000",
        ],
    );
    let sc = root().join("scenarios/checkout-sync.toml");
    let ok = archsim(
        tmp.path(),
        &[
            "calibrate",
            sc.to_str().unwrap(),
            "t.json",
            "--duration",
            "4m",
        ],
    );
    let table = String::from_utf8_lossy(&ok.stdout);
    assert!(
        table.contains("op bank.authorize") && table.contains("all 5 rows within tolerance"),
        "{table}"
    );
    // The same scenario with a bank twice as fast no longer reproduces the traces.
    let text = std::fs::read_to_string(&sc).unwrap();
    let fast = text.replace("model = \"bank-api\"", "model = \"bank-api\"\noperations.authorize = { work = { dist = \"lognormal\", median = \"1.5s\", p99 = \"2.25s\" } }");
    std::fs::write(tmp.path().join("fast.toml"), fast).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(tmp.path())
        .args(["calibrate", "fast.toml", "t.json", "--duration", "4m"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{table}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        table.contains("off") && table.contains("rows outside tolerance"),
        "{table}"
    );
}

/// Messaging, sagas, faults and a `[compare]` experiment: their exported traces import
/// back to scenarios that validate, and the variants' metrics (a `variant` label)
/// become blocks.
#[test]
fn exports_of_every_pattern_import_back_to_valid_scenarios() {
    let tmp = tempfile::tempdir().unwrap();
    for file in [
        "scenarios/messaging/order-events-fanout.toml",
        "scenarios/messaging/bank-request-reply.toml",
        "scenarios/sagas/saga-orchestration.toml",
        "scenarios/failures/checkout-bank-down.toml",
        "scenarios/patterns-compare.toml",
    ] {
        let sc = root().join(file);
        let args = [
            "-r",
            "1",
            "--duration",
            "2m",
            "--traces",
            "t.json",
            "--metrics",
            "m.om",
        ];
        let mut all = vec!["run", sc.to_str().unwrap(), "-q", "--trace-requests", "100"];
        all.extend_from_slice(&args);
        archsim(tmp.path(), &all);
        archsim(tmp.path(), &["import", "t.json", "-o", "back.toml"]);
        let v = archsim(tmp.path(), &["validate", "back.toml"]);
        assert!(
            String::from_utf8_lossy(&v.stdout).contains(": ok ("),
            "{file}"
        );
        let om = std::fs::read_to_string(tmp.path().join("m.om")).unwrap();
        assert!(om.ends_with("# EOF\n"), "{file}");
        if file.contains("patterns-compare") {
            assert!(om.contains("{variant=\""), "{file}: variants are labelled");
            if crate::common::have_promtool() {
                if let Err(e) = crate::common::promtool_blocks(tmp.path(), "m.om", "blocks") {
                    panic!("{file}: {e}");
                }
            }
        }
    }
}

#[test]
fn a_flow_whose_requests_never_complete_is_named_not_exported_silently() {
    // Every request of tests/data/endless-work.toml starts work that never ends, so none
    // completes and none can be exported: the traces are empty, and the run says why.
    let tmp = tempfile::tempdir().unwrap();
    let endless = root().join("tests/data/endless-work.toml");
    let args = ["run", endless.to_str().unwrap(), "-q", "--duration", "5s"];
    let out = archsim(tmp.path(), &[&args[..], &["--traces", "t.json"]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning: --traces: flow jobs: none of its "))
        .unwrap_or_else(|| panic!("no warning for flow jobs: {stderr}"));
    assert!(
        warning.ends_with(
            "requests sent after the warm-up completed by the end of replication 1, so t.json has none of them (only completed requests are exported)"
        ),
        "{warning}"
    );
    let text = std::fs::read_to_string(tmp.path().join("t.json")).unwrap();
    assert_eq!(text.trim_end(), r#"{"resourceSpans":[]}"#);
    // A flow whose requests complete is exported without a word.
    let out = archsim(
        tmp.path(),
        &[
            "run",
            root()
                .join("scenarios/checkout-sync.toml")
                .to_str()
                .unwrap(),
            "-q",
            "--duration",
            "1m",
            "--traces",
            "c.json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("--traces"), "{stderr}");
}

#[test]
fn the_run_records_replication_1_for_the_export_without_simulating_it_again() {
    use archsim::experiment::compare::{run_experiment, run_experiment_recorded};
    use archsim::report::json::experiment_json;
    use archsim::telemetry::export::{export, render, write, ExportOptions, TraceFormat};
    // `archsim run --traces --metrics` records replication 1 of each variant in the run
    // that traces it: the files must be those of a separate recording (`export`), and
    // the experiment the one `run_experiment` gives. Six variants, two replications
    // each (the one recorded runs beside another), and a one-variant file.
    for (file, variants) in [
        ("scenarios/patterns-compare.toml", 6),
        ("scenarios/checkout-sync.toml", 1),
    ] {
        let mut sc = scenario_file(file);
        sc.sim.duration = 50_000_000_000; // 20 s past the warm-up
        sc.sim.replications = 2;
        for format in [TraceFormat::Otlp, TraceFormat::Chrome] {
            let o = ExportOptions {
                traces: Some(("t.json".into(), format)),
                metrics: Some("m.om".into()),
                epoch_s: archsim::telemetry::sim::DEFAULT_EPOCH_S,
                requests: 25,
            };
            let (exp, recordings) = run_experiment_recorded(&sc, o.requests, &|| {}).unwrap();
            assert_eq!(recordings.len(), variants, "{file}");
            assert!(recordings.iter().any(|r| !r.requests.is_empty()), "{file}");
            let in_run = render(&sc, &recordings, &o);
            let separate = export(&sc, &o).unwrap();
            assert_eq!(in_run.files.len(), 2);
            assert_eq!(in_run.files, separate.files, "{file} {format:?}");
            assert_eq!(in_run.warnings, separate.warnings, "{file}");
            // What `archsim run` writes, streamed to the files, is what `render` gives.
            let dir = tempfile::tempdir().unwrap();
            let to = |name: &str| dir.path().join("out").join(name);
            let streamed = ExportOptions {
                traces: Some((to("t.json"), format)),
                metrics: Some(to("m.om")),
                ..o.clone()
            };
            assert_eq!(write(&sc, &recordings, &streamed).unwrap(), in_run.warnings);
            for (name, (_, text)) in ["t.json", "m.om"].iter().zip(&in_run.files) {
                let written = std::fs::read_to_string(to(name)).unwrap();
                assert!(
                    written == *text,
                    "{file} {format:?}: {name} differs from render's"
                );
            }
            let alone = run_experiment(&sc, &|| {}).unwrap();
            assert_eq!(
                experiment_json(&exp, &[]),
                experiment_json(&alone, &[]),
                "{file}: recording changed the experiment"
            );
        }
    }
}

#[test]
fn export_flags_out_of_range_or_without_an_export_are_refused() {
    // 0 used to record one request per flow without a word, and a huge count held
    // every completed request of the run in memory.
    let tmp = tempfile::tempdir().unwrap();
    let file = root().join("scenarios/checkout-sync.toml");
    let file = file.to_str().unwrap();
    for (args, flag) in [
        (
            vec!["run", file, "--traces", "t.json", "--trace-requests"],
            "--trace-requests",
        ),
        (
            vec!["calibrate", file, "t.json", "--requests"],
            "--requests",
        ),
    ] {
        for bad in ["0", "100001", "1e12"] {
            let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
                .current_dir(tmp.path())
                .args([&args[..], &[bad]].concat())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{flag} {bad}: {stderr}");
            assert!(
                stderr.starts_with(&format!("error: invalid value '{bad}' for '{flag} <N>': between 1 and 100000 requests per flow, got ")),
                "{stderr}"
            );
        }
    }
    assert!(!tmp.path().join("t.json").exists());
    // An epoch whose nanoseconds overflow stamped every span at i64::MAX, and OTLP
    // times are unsigned: both ends are refused.
    for bad in ["-1", "9000000001", "99999999999999"] {
        let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
            .current_dir(tmp.path())
            .args([
                "run",
                file,
                "--traces",
                "t.json",
                &format!("--trace-epoch={bad}"),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{bad}' for '--trace-epoch <SECONDS>': "
            )),
            "{stderr}"
        );
    }
    assert!(!tmp.path().join("t.json").exists());
    // The flags of the export without the export were ignored: now refused.
    for (flags, says) in [
        (&["--trace-format", "chrome"][..], "--traces <PATH>"),
        (&["--trace-requests", "10"][..], "--traces <PATH>"),
        (
            &["--trace-epoch", "0"][..],
            "error: --trace-epoch: only --traces and --metrics use it; give one of them",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
            .current_dir(tmp.path())
            .args(["run", file])
            .args(flags)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
    }
}
