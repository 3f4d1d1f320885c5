//! Text from the input is escaped in every output: flow, fault and variant names full
//! of HTML, Markdown links, pipes, backticks, terminal escape sequences and newlines
//! reach the terminal table, report.md, index.html, the CSV and the graphs inert.

use crate::common;

use common::archsim;
use std::process::Command;

/// A name for every kind of trouble (TOML escapes: ESC, BEL, newline).
const EVIL: &str = r#"<script>alert(1)</script> [x](javascript:alert(1)) a|b `tick` *em* \u001B]0;title\u0007 \u001B[2J line\nbreak"#;

fn scenario() -> String {
    format!(
        r#"
[simulation]
seed = 7
duration = "20s"
warmup = "2s"
replications = 2

[network]
latency = "1ms"

[services.gateway]
workers = 8
operations.pay = {{ work = "1ms", steps = [ {{ call = "bank.charge", timeout = "50ms" }} ] }}
operations.pay_fast = {{ work = "1ms" }}

[services.bank]
workers = 8
operations.charge = {{ work = {{ dist = "exp", mean = "5ms" }} }}

[[workload]]
flow = "{EVIL} flow"
entry = "gateway.pay"
arrivals = {{ poisson = "50/s" }}

[[fault]]
name = "{EVIL} fault"
target = "bank"
kind = "slow"
factor = 5
at = "5s"
duration = "5s"

[compare]
flow = "{EVIL} flow"
variants = [
  {{ name = "{EVIL} variant", entry = "gateway.pay" }},
  {{ name = "plain", entry = "gateway.pay_fast" }},
]
"#
    )
}

/// No control character but the line break.
fn assert_no_control(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\n') {
        panic!("{what}: raw control character {c:?}");
    }
}

/// No HTML tag and no Markdown link from the input.
fn assert_inert(what: &str, text: &str) {
    assert!(!text.contains("<script"), "{what}: raw <script");
    assert!(
        !unescaped(text, "](javascript:"),
        "{what}: javascript: link"
    );
}

/// Whether `needle` occurs in `text` not preceded by a Markdown backslash escape (an
/// even number of backslashes before it).
fn unescaped(text: &str, needle: &str) -> bool {
    text.match_indices(needle)
        .any(|(i, _)| text[..i].chars().rev().take_while(|&c| c == '\\').count() % 2 == 0)
}

/// The parts of a Markdown document outside fenced code blocks, and the bodies of the
/// blocks with their info string.
fn split_fences(md: &str) -> (String, Vec<(String, String)>) {
    let mut prose = String::new();
    let mut blocks = Vec::new();
    let mut open: Option<(String, String, String)> = None; // (fence, info, body)
    for line in md.lines() {
        match &mut open {
            Some((fence, _, body)) => {
                if line.trim_end() == fence.as_str() {
                    let (_, info, body) = open.take().unwrap();
                    blocks.push((info, body));
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            None if line.starts_with("```") => {
                let n = line.chars().take_while(|&c| c == '`').count();
                open = Some(("`".repeat(n), line[n..].to_string(), String::new()));
            }
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    (prose, blocks)
}

/// The pipes that separate cells (not backslash-escaped).
fn cell_separators(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}

/// RFC 4180 records.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV ends mid-record"
    );
    records
}

#[test]
fn input_names_are_escaped_in_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("evil.toml"), scenario()).unwrap();
    let dir = tmp.path();

    // The terminal table.
    let out = archsim(dir, &["run", "evil.toml", "--report", "rep", "--quiet"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert_no_control("terminal table", &table);
    assert!(
        table.contains("\\u{1b}]0;title\\u{7}") && table.contains("line\\u{a}break"),
        "control characters shown escaped:\n{table}"
    );
    // The name stays on its line: a comparison table row starts with its label.
    for line in table.lines().filter(|l| l.contains("break flow")) {
        assert!(line.contains("<script>alert(1)</script>"), "{line}");
    }

    // report.md: prose escaped, tables keep their columns, blocks closed.
    let md = std::fs::read_to_string(dir.join("rep/report.md")).unwrap();
    assert_no_control("report.md", &md);
    let (prose, blocks) = split_fences(&md);
    assert_inert("report.md prose", &prose);
    // No link: the `]` before the target is escaped (parentheses themselves stay).
    assert!(prose.contains("\\[x\\](javascript:alert(1))"), "{prose}");
    assert!(
        prose.contains("&lt;script>"),
        "`<` escaped as an entity: no tag"
    );
    let mut columns: Option<usize> = None;
    for line in prose.lines() {
        if line.starts_with('|') {
            let n = cell_separators(line);
            let expected = *columns.get_or_insert(n);
            assert_eq!(n, expected, "a table row with another column count: {line}");
        } else {
            columns = None;
        }
    }
    let mermaid = blocks
        .iter()
        .find(|(info, _)| info == "mermaid")
        .expect("a mermaid block");
    assert_inert("report.md mermaid", &mermaid.1);

    // index.html.
    let html = std::fs::read_to_string(dir.join("rep/index.html")).unwrap();
    assert!(!html.contains("<script"), "raw <script in index.html");
    assert_no_control("index.html", &html);

    // CSV on standard output: RFC 4180, one column count.
    let out = archsim(dir, &["run", "evil.toml", "--csv", "-", "--quiet"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_no_control("CSV", &csv);
    let records = csv_records(&csv);
    assert_eq!(records.len(), 1 + 2, "a header and one row per variant");
    for r in &records {
        assert_eq!(r.len(), records[0].len(), "{r:?}");
    }
    assert!(records[1][0].starts_with("<script>alert(1)</script>"));
    assert!(
        records[1][1].contains("line\nbreak flow"),
        "newline kept, quoted"
    );

    // JSON stays valid and keeps the names exactly.
    let out = archsim(dir, &["run", "evil.toml", "--json", "-", "--quiet"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["flow"].as_str().unwrap(),
        format!(
            "{} flow",
            EVIL.replace("\\u001B", "\u{1b}")
                .replace("\\u0007", "\u{7}")
                .replace("\\n", "\n")
        )
    );

    // Graphs.
    for format in ["mermaid", "dot"] {
        let out = archsim(dir, &["graph", "evil.toml", "--format", format]);
        let g = String::from_utf8(out.stdout).unwrap();
        assert_no_control(format, &g);
        if format == "mermaid" {
            assert_inert(format, &g);
        }
        // One statement per line: a label never breaks its line.
        for line in g
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty() && l != &"}")
        {
            let l = line.trim_start();
            assert!(
                l.starts_with("client")
                    || l.starts_with("svc")
                    || l.starts_with("class")
                    || l.starts_with("graph")
                    || l.starts_with("node")
                    || l.starts_with("edge"),
                "{format}: a broken line: {line}"
            );
        }
    }
}

#[test]
fn errors_and_file_names_are_escaped_on_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "evil\u{1b}[2J.toml";
    std::fs::write(tmp.path().join(name), "[simulation]\nseed = -1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(tmp.path())
        .args(["validate", name])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_no_control("error line", err.trim_end());
    assert!(err.contains("evil\\u{1b}[2J.toml"), "{err}");
}

/// report.md escapes only what would be markup: a name with parentheses reads as
/// written, while `|`, `*`, `[`/`]` and `<` from the same name are neutralised (in the
/// table cells, the headings and the prose).
#[test]
fn report_md_keeps_parentheses_and_neutralises_markup() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = r#"
[simulation]
seed = 3
duration = "5s"
warmup = "1s"
replications = 2

[services.api]
workers = 4
operations.get = { work = "1ms" }
operations.get_v2 = { work = "2ms" }

[[workload]]
flow = "reads (primary) a|b *hot* [x](y) <b>bold</b>"
entry = "api.get"
arrivals = { poisson = "20/s" }

[compare]
flow = "reads (primary) a|b *hot* [x](y) <b>bold</b>"
variants = [
  { name = "v1 (old)", entry = "api.get" },
  { name = "v2 (new)", entry = "api.get_v2" },
]
"#;
    std::fs::write(tmp.path().join("parens.toml"), toml).unwrap();
    archsim(
        tmp.path(),
        &["run", "parens.toml", "--report", "rep", "--quiet"],
    );
    let md = std::fs::read_to_string(tmp.path().join("rep/report.md")).unwrap();
    let (prose, _) = split_fences(&md);
    let escaped = "reads (primary) a\\|b \\*hot\\* \\[x\\](y) &lt;b>bold&lt;/b>";
    assert!(prose.contains(escaped), "{prose}");
    assert!(
        prose.contains("| v1 (old) |") || prose.contains("| v1 (old) "),
        "{prose}"
    );
    assert!(!prose.contains("\\("), "no escaped parenthesis: {prose}");
    assert!(
        !prose.contains("<b>") && !unescaped(&prose, "](y)"),
        "{prose}"
    );
    for line in prose.lines() {
        let raw = ["|b", "*hot", "[x"].iter().any(|m| unescaped(line, m));
        assert!(
            !(raw && line.contains("reads (primary)")),
            "unescaped: {line}"
        );
    }
}
