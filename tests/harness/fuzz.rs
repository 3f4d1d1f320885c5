//! Loader fuzz: seeded mutations of every shipped scenario, every bad-input file, the
//! TOML held in the tests' and README's text, and a few generated scenarios.

use rand::Rng;
use rand_pcg::Pcg64;
use std::path::{Path, PathBuf};

/// Every seed text: (name, TOML).
pub fn corpus(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    collect(&root.join("scenarios"), &mut files);
    collect(&root.join("tests/bad_input"), &mut files);
    collect(&root.join("tests/harness/found"), &mut files);
    collect(&root.join("models"), &mut files);
    files.sort();
    for f in files {
        if let Ok(t) = std::fs::read_to_string(&f) {
            let name = f.strip_prefix(root).unwrap_or(&f).display().to_string();
            out.push((name, t));
        }
    }
    // TOML embedded in the integration tests (raw strings) and in the README.
    let mut rs: Vec<PathBuf> = std::fs::read_dir(root.join("tests"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    rs.sort();
    for f in rs {
        let Ok(t) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for (k, s) in t.split("r#\"").skip(1).enumerate() {
            let Some(end) = s.find("\"#") else { continue };
            let body = &s[..end];
            if body.contains('[') && body.contains('=') && body.lines().count() > 2 {
                out.push((format!("{name}#raw{k}"), body.to_string()));
            }
        }
    }
    if let Ok(t) = std::fs::read_to_string(root.join("README.md")) {
        for (k, s) in t.split("```toml\n").skip(1).enumerate() {
            if let Some(end) = s.find("```") {
                out.push((format!("README.md#toml{k}"), s[..end].to_string()));
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "4294967296",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "-0.0",
    "1e-320",
    "5e-324",
];

const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "1",
    "ms",
    "-1s",
    "1e3ms",
    "NaNs",
    "infs",
    "1.5.5s",
    "99999999999999999999h",
    "18446744073709551615ns",
    "18446744073709551616ns",
    "18446744073709551615s",
    "0/s",
    "-5/s",
    "1/0s",
    "1e308/s",
    "NaN/s",
    "5/ms",
    "∞",
    "1 ms",
    " 5ms ",
    "5MS",
    "µs",
    "5µs",
    ".s",
    "0.0000000001ns",
    "\\u0000",
    "<script>alert(1)</script>",
    "a.b.c",
    "client->client",
    "x#99999999999",
    "#",
    "->",
];

fn line_ranges(t: &str) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut start = 0;
    for (i, c) in t.char_indices() {
        if c == '\n' {
            v.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < t.len() {
        v.push((start, t.len()));
    }
    v
}

fn char_boundary(t: &str, mut i: usize) -> usize {
    i = i.min(t.len());
    while !t.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One random mutation of `t`.
pub fn mutate_once(r: &mut Pcg64, t: &str) -> String {
    let lines = line_ranges(t);
    if t.is_empty() || lines.is_empty() {
        return "[simulation]\n".to_string();
    }
    let pick_line = |r: &mut Pcg64| lines[r.random_range(0..lines.len())];
    match r.random_range(0..10) {
        0 => {
            let (a, b) = pick_line(r);
            format!("{}{}", &t[..a], &t[b..])
        }
        1 => {
            let (a, b) = pick_line(r);
            format!("{}{}{}", &t[..b], &t[a..b], &t[b..])
        }
        2 => {
            let (a1, b1) = pick_line(r);
            let (a2, b2) = pick_line(r);
            let ((a1, b1), (a2, b2)) = if a1 <= a2 {
                ((a1, b1), (a2, b2))
            } else {
                ((a2, b2), (a1, b1))
            };
            if a1 == a2 {
                return t.to_string();
            }
            format!(
                "{}{}{}{}{}",
                &t[..a1],
                &t[a2..b2],
                &t[b1..a2],
                &t[a1..b1],
                &t[b2..]
            )
        }
        3 => {
            // Flip a character.
            let i = char_boundary(t, r.random_range(0..t.len()));
            let c = t[i..].chars().next().unwrap();
            let repl = [
                '"', '[', ']', '{', '}', '=', ',', '.', '#', '\n', 'x', '0', '9', '-', '\'', 'µ',
                ' ', '\\',
            ];
            let n = repl[r.random_range(0..repl.len())];
            format!("{}{}{}", &t[..i], n, &t[i + c.len_utf8()..])
        }
        4 | 5 => {
            // Replace a number by an extreme one.
            let nums: Vec<(usize, usize)> = number_spans(t);
            if nums.is_empty() {
                return t.to_string();
            }
            let (a, b) = nums[r.random_range(0..nums.len())];
            let x = EXTREME_NUMBERS[r.random_range(0..EXTREME_NUMBERS.len())];
            format!("{}{}{}", &t[..a], x, &t[b..])
        }
        6 | 7 => {
            // Replace a string's contents by an odd one.
            let strs = string_spans(t);
            if strs.is_empty() {
                return t.to_string();
            }
            let (a, b) = strs[r.random_range(0..strs.len())];
            let x = ODD_STRINGS[r.random_range(0..ODD_STRINGS.len())];
            format!("{}{}{}", &t[..a], x, &t[b..])
        }
        8 => {
            let i = char_boundary(t, r.random_range(0..t.len()));
            t[..i].to_string()
        }
        _ => {
            // Replace a number inside a string ("5ms" -> "18446744073709551615ms").
            let strs = string_spans(t);
            if strs.is_empty() {
                return t.to_string();
            }
            let (a, b) = strs[r.random_range(0..strs.len())];
            let s = &t[a..b];
            let digits: String = s
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if digits.is_empty() {
                return t.to_string();
            }
            let x = [
                "18446744073709551615",
                "99999999999999999999999",
                "0",
                "1e308",
                "0.000000001",
            ][r.random_range(0..5)];
            let replaced = s.replacen(&digits, x, 1);
            format!("{}{}{}", &t[..a], replaced, &t[b..])
        }
    }
}

/// Byte spans of bare numbers (outside strings and comments, roughly).
fn number_spans(t: &str) -> Vec<(usize, usize)> {
    let b = t.as_bytes();
    let mut v = Vec::new();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            in_str = !in_str;
        } else if c == b'\n' {
            in_str = false;
        } else if !in_str && c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if !in_str && c.is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let s = i;
            while i < b.len()
                && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e' || b[i] == b'_')
            {
                i += 1;
            }
            v.push((s, i));
            continue;
        }
        i += 1;
    }
    v
}

/// Byte spans of the contents of basic strings on one line.
fn string_spans(t: &str) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for (a, b) in line_ranges(t) {
        let line = &t[a..b];
        if line.trim_start().starts_with('#') {
            continue;
        }
        let qs: Vec<usize> = line.match_indices('"').map(|(i, _)| a + i).collect();
        for p in qs.chunks(2) {
            if p.len() == 2 {
                v.push((p[0] + 1, p[1]));
            }
        }
    }
    v
}
