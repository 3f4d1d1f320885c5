//! `archsim import` on real trace files (tests/data/traces/, Zipkin's production test
//! data and a Jaeger export): each gives a scenario `archsim validate` accepts, with the
//! services and calls the trace shows; bad and hostile files give one-line located
//! errors and never a panic.

use crate::common::archsim;
use archsim::telemetry::import::parse_text;
use archsim::telemetry::{read_topology, topology};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/traces")
        .join(file)
}

/// Per file: the services and the synchronous calls (caller -> callee service) it shows.
/// (file, services, calls between services).
type Expected = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

const EXPECTED: &[Expected] = &[
    (
        "zipkin-yelp.json",
        &[
            "blt",
            "memcache",
            "mobile_api",
            "mysql",
            "routing",
            "spectre",
            "yelp-main",
            "yelp_main_api_proxy",
        ],
        &[
            ("mobile_api", "blt"),
            ("mobile_api", "memcache"),
            ("mobile_api", "spectre"),
            ("routing", "mobile_api"),
            ("routing", "yelp_main_api_proxy"),
            ("yelp-main", "memcache"),
            ("yelp-main", "mysql"),
            ("yelp_main_api_proxy", "memcache"),
            ("yelp_main_api_proxy", "yelp-main"),
        ],
    ),
    (
        "zipkin-ascend.json",
        &[
            "auth-service",
            "content-service",
            "external",
            "mobile-gateway",
        ],
        &[
            ("content-service", "external"),
            ("mobile-gateway", "auth-service"),
            ("mobile-gateway", "content-service"),
        ],
    ),
    ("zipkin-envoy.json", &["unknown"], &[]),
    ("zipkin-messaging.json", &["backend", "frontend"], &[]),
    (
        "zipkin-messaging2.json",
        &[
            "auth-service",
            "external",
            "mobile-gateway",
            "notification-service",
            "transfer-service",
        ],
        &[
            ("mobile-gateway", "auth-service"),
            ("mobile-gateway", "external"),
            ("notification-service", "external"),
        ],
    ),
    (
        "zipkin-messaging-kafka.json",
        &["servicea", "serviceb"],
        &[],
    ),
    (
        "zipkin-simple-db-p6.json",
        &["app_db", "bootifulmeters"],
        &[("bootifulmeters", "app_db")],
    ),
    (
        "zipkin-skew.json",
        &["servicea", "serviceb"],
        &[("servicea", "serviceb")],
    ),
    (
        "zipkin-smartthings-mobile-web-install.json",
        &[
            "account",
            "alice",
            "auth",
            "bookie",
            "bouncer",
            "coreSrv",
            "dove",
            "execution",
            "external",
            "gizmo",
            "guardian",
            "oreck",
            "paperboy",
            "platformapi",
            "pusher",
            "stLogin",
            "strongman",
        ],
        &[
            ("bouncer", "pusher"),
            ("coreSrv", "auth"),
            ("pusher", "dove"),
            ("pusher", "oreck"),
            ("strongman", "platformapi"),
        ],
    ),
    (
        "jaeger-hotrod.json",
        &["customer", "frontend", "mysql", "route"],
        &[
            ("customer", "mysql"),
            ("frontend", "customer"),
            ("frontend", "route"),
        ],
    ),
];

fn service_calls(t: &topology::Topology) -> BTreeSet<(String, String)> {
    t.calls()
        .into_iter()
        .map(|(a, b)| (a.0.clone(), b.0.clone()))
        .collect()
}

#[test]
fn every_trace_file_imports_to_a_valid_scenario_with_its_services_and_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/traces");
    let mut seen = BTreeSet::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            seen.insert(p.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    let listed: BTreeSet<String> = EXPECTED.iter().map(|e| e.0.to_string()).collect();
    assert_eq!(seen, listed, "every trace file has its expectations");
    for (file, services, calls) in EXPECTED {
        let (_, t) = read_topology(&[data(file)]).unwrap();
        let got: BTreeSet<&str> = t.services();
        let want: BTreeSet<&str> = services.iter().copied().collect();
        assert_eq!(got, want, "{file}: services");
        let got = service_calls(&t);
        for (a, b) in *calls {
            assert!(
                got.contains(&(a.to_string(), b.to_string())),
                "{file}: call {a} -> {b} in {got:?}"
            );
        }
        if calls.is_empty() {
            assert!(got.is_empty(), "{file}: no synchronous calls, got {got:?}");
        }
        let out = tmp.path().join(file.replace(".json", ".toml"));
        let o = archsim(
            tmp.path(),
            &[
                "import",
                data(file).to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
        );
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("wrote"), "{file}: {text}");
        let v = archsim(tmp.path(), &["validate", out.to_str().unwrap()]);
        let v = String::from_utf8_lossy(&v.stdout);
        assert!(
            v.contains(&format!("ok ({} services", services.len())),
            "{file}: {v}"
        );
    }
}

#[test]
fn messaging_skew_and_repairs_are_counted() {
    let (_, t) = read_topology(&[data("zipkin-messaging.json")]).unwrap();
    let consumers: Vec<_> = t.destinations["backend"].iter().cloned().collect();
    assert_eq!(
        consumers,
        vec![("backend".to_string(), "next-message".to_string())]
    );
    let (_, t) = read_topology(&[data("zipkin-skew.json")]).unwrap();
    assert!(
        t.counts.skew >= 1,
        "the child that starts before its parent: {:?}",
        t.counts
    );
    let (imported, t) = read_topology(&[data("zipkin-messaging2.json")]).unwrap();
    assert_eq!(t.counts.missing_parents, 6, "{:?}", t.counts);
    assert!(t.counts.unpaired_clients > 0 && t.counts.unpaired_producers > 0);
    assert_eq!(imported.spans.len(), 11);
    let (imported, t) =
        read_topology(&[data("zipkin-smartthings-mobile-web-install.json")]).unwrap();
    assert_eq!(imported.no_timestamp, 84);
    assert!(imported.shared_ids > 0 && t.counts.duplicates > 0);
    // Kafka: a topic with two consumer groups, two topics nobody in the trace consumes.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("k.toml");
    archsim(
        tmp.path(),
        &[
            "import",
            data("zipkin-messaging-kafka.json").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let toml = std::fs::read_to_string(&out).unwrap();
    assert_eq!(t_kafka_unpaired(), 6);
    assert!(
        toml.contains("topics.messages = { subscribers = [\"servicea.poll\", \"serviceb.poll\"] }"),
        "{toml}"
    );
}

fn t_kafka_unpaired() -> u64 {
    read_topology(&[data("zipkin-messaging-kafka.json")])
        .unwrap()
        .1
        .counts
        .unpaired_producers
}

#[test]
fn parallel_groups_and_routes_come_from_the_spans() {
    let (_, t) = read_topology(&[data("jaeger-hotrod.json")]).unwrap();
    let op = &t.ops[&("frontend".to_string(), "GET_dispatch".to_string())];
    let steps = op.steps();
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(
        steps[1].len(),
        2,
        "the two route calls overlap: one parallel group"
    );
    // Self time: 120 ms less the union of the calls (2..92 and 95..117 ms).
    assert_eq!(op.self_times, vec![120_000_000 - 90_000_000 - 22_000_000]);
    // Network: client 90 ms, server 87 ms: 1.5 ms each way.
    assert_eq!(
        t.links[&("frontend".to_string(), "customer".to_string())],
        vec![1_500_000]
    );
}

/// Runs `archsim import` on a file with `text`; its exit code and standard error.
fn import_text(name: &str, text: &[u8]) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join(name);
    std::fs::write(&p, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(tmp.path())
        .args(["import", name, "-o", "x.toml"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_trace_files_give_one_line_located_errors() {
    let real = std::fs::read(data("zipkin-yelp.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.json", real[..real.len() / 2].to_vec(), "truncated.json: line"),
        ("wrong.json", br#"{"spans": []}"#.to_vec(), "not a trace file"),
        ("csv.json", b"a,b,c\n1,2,3\n".to_vec(), "invalid JSON"),
        (
            "noroot.json",
            br#"[{"traceId":"1","id":"a","parentId":"b","timestamp":1,"duration":2},{"traceId":"1","id":"b","parentId":"a","timestamp":1,"duration":2}]"#.to_vec(),
            "has no root span",
        ),
        ("type.json", br#"[{"traceId":"1","id":"a","timestamp":"soon"}]"#.to_vec(), "$[0].timestamp"),
        (
            "otlp.json",
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"ab","spanId":"cd","startTimeUnixNano":"5","endTimeUnixNano":"3"}]}]}]}"#.to_vec(),
            "span cd: endTimeUnixNano 3 is before",
        ),
        ("empty.json", Vec::new(), "empty file"),
        ("binary.json", vec![0xff, 0xfe, 0x00], "not UTF-8"),
    ];
    for (name, text, want) in cases {
        let (code, err) = import_text(name, &text);
        assert_eq!(code, 2, "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(
            err.starts_with(&format!("error: {name}")),
            "{name}: names the file: {err}"
        );
        assert!(err.contains(want), "{name}: {err}");
    }
}

#[test]
fn no_prefix_or_mutation_of_a_real_file_panics() {
    for file in [
        "zipkin-yelp.json",
        "zipkin-messaging2.json",
        "jaeger-hotrod.json",
    ] {
        let text = std::fs::read_to_string(data(file)).unwrap();
        let step = (text.len() / 150).max(1);
        for cut in (0..text.len()).step_by(step) {
            let _ = parse_text(&text[..cut], file);
            // A mutated character: a digit, a quote, a brace, a minus.
            for c in ["9", "\"", "}", "-", "null"] {
                let mut m = text.clone();
                if m.is_char_boundary(cut) && m.is_char_boundary(cut + 1) {
                    m.replace_range(cut..cut + 1, c);
                    if let Ok((_, spans)) = parse_text(&m, file) {
                        let _ = topology::build(&spans.spans);
                    }
                }
            }
        }
    }
}
