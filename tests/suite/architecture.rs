//! The layout rules of ARCHITECTURE.md, checked by scanning the sources so they stay
//! true: data flows one way (report/ and experiment/ use only the engine's run entry
//! points; experiment/ never sees TOML), only the chart kit draws with plotters, and no
//! function or file grows past what a reader can hold.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Longest function body outside tests, in lines.
const MAX_FN_LINES: usize = 120;
/// Longest source file, in lines.
const MAX_FILE_LINES: usize = 700;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn sources(under: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join(under), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let rel = p.strip_prefix(ROOT).unwrap().display().to_string();
            (rel, text)
        })
        .collect()
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect()
}

/// `use` paths and inline `crate::`/`::` paths of a file, as text. A `use` group that
/// rustfmt wrapped over several lines (`use crate::engine::{` ... `};`) is one mention:
/// otherwise only its first line, which names nothing, would be checked.
fn mentions(text: &str, what: &str) -> Vec<String> {
    let lines = code(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut line = lines[i].trim().to_string();
        let group = line.starts_with("use ") || line.starts_with("pub use ");
        if group && line.contains(what) && line.ends_with('{') {
            while i + 1 < lines.len() && !line.contains('}') {
                i += 1;
                line.push_str(lines[i].trim());
            }
        }
        if line.contains(what) {
            out.push(line);
        }
        i += 1;
    }
    out
}

#[test]
fn report_and_experiment_use_only_the_engines_run_entry_points() {
    let allowed = [
        "run_replication",
        "trace_replication",
        "trace_replication_recorded",
        "Recording",
        "RunError",
    ];
    let mut bad = Vec::new();
    for dir in ["src/report", "src/experiment"] {
        for (file, text) in sources(dir) {
            for line in mentions(&text, "engine::") {
                let after = line.split("engine::").nth(1).unwrap_or("");
                let names: Vec<&str> = after
                    .trim_start_matches('{')
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|n| !n.is_empty())
                    .collect();
                if names.iter().any(|n| !allowed.contains(n)) {
                    bad.push(format!("{file}: {line}"));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "engine internals used above the engine:\n{}",
        bad.join("\n")
    );
}

#[test]
fn experiment_never_sees_toml() {
    let forbidden = [
        "toml::",
        "toml_edit",
        "spec::load",
        "load_str",
        "load_with",
        "sweep_points",
        "set_path",
        "parse_set",
    ];
    let mut bad = Vec::new();
    for (file, text) in sources("src/experiment") {
        for f in forbidden {
            for line in mentions(&text, f) {
                bad.push(format!("{file}: {line}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "experiment/ touches TOML or the loaders:\n{}",
        bad.join("\n")
    );
}

#[test]
fn only_the_chart_kit_imports_plotters() {
    let bad: Vec<String> = sources("src")
        .into_iter()
        .flat_map(|(file, text)| {
            mentions(&text, "plotters")
                .into_iter()
                .map(move |l| format!("{file}: {l}"))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "plotters outside crates/chartkit:\n{}",
        bad.join("\n")
    );
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap_or("");
    let deps = deps.split("\n[").next().unwrap_or("");
    assert!(
        !deps.contains("plotters"),
        "archsim depends on plotters directly"
    );
}

/// The functions of a file longer than `MAX_FN_LINES`: from a line declaring a `fn`
/// to the line closing its body (braces counted outside strings and comments).
fn long_functions(file: &str, text: &str) -> Vec<String> {
    let lines = code(text);
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let decl = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "const fn ",
            "pub const fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        if !decl {
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        for (j, body) in lines.iter().enumerate().skip(i) {
            let mut in_str = false;
            let mut prev = ' ';
            for c in body.chars() {
                match c {
                    '"' if prev != '\\' && prev != '\'' => in_str = !in_str,
                    '{' if !in_str && prev != '\'' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' if !in_str && prev != '\'' => depth -= 1,
                    _ => {}
                }
                prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            }
            if !opened && body.trim_end().ends_with(';') {
                break; // a declaration without a body
            }
            if opened && depth <= 0 {
                let n = j - i + 1;
                if n > MAX_FN_LINES {
                    out.push(format!("{file}:{}: {} lines: {}", i + 1, n, t));
                }
                break;
            }
        }
    }
    out
}

#[test]
fn no_function_or_file_is_too_long() {
    let mut bad = Vec::new();
    for dir in ["src", "crates/chartkit/src"] {
        for (file, text) in sources(dir) {
            let n = text.lines().count();
            if n > MAX_FILE_LINES {
                bad.push(format!("{file}: {n} lines (at most {MAX_FILE_LINES})"));
            }
            bad.extend(long_functions(&file, &text));
        }
    }
    assert!(bad.is_empty(), "too long:\n{}", bad.join("\n"));
}

#[test]
fn the_length_check_sees_a_long_function() {
    let body = "    let x = 1;\n".repeat(MAX_FN_LINES);
    let text = format!("fn long() {{\n{body}}}\nfn short() {{ }}\n");
    assert_eq!(long_functions("x.rs", &text).len(), 1);
}
