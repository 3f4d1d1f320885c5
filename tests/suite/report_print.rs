//! The report on screen and on paper: long tables collapsed to their key rows in
//! `index.html` but printed whole, charts never cut across pages, table headers
//! repeated on every page a table spans, the numbers of the findings printed in the
//! tables. The PDF is read with poppler's `pdftotext` (`-bbox`: every word with its
//! page and position; `-layout`: each page's lines). Skipped (with a note) without
//! Chromium or poppler-utils; under `CI` a missing tool is a failure instead.

use crate::common;
use crate::report_findings::numbers;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The report of patterns-compare (2 replications of 6 minutes) in `tmp/rep`.
fn patterns_report(tmp: &Path, pdf: bool) -> PathBuf {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/patterns-compare.toml");
    let mut args = vec![
        "compare",
        file.to_str().unwrap(),
        "-r",
        "2",
        "--duration",
        "6m",
        "--report",
        "rep",
        "--quiet",
    ];
    if pdf {
        args.push("--pdf");
    }
    common::archsim(tmp, &args);
    tmp.join("rep")
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text between `from` and the next `to` after each occurrence of `from`.
fn between<'a>(s: &'a str, from: &str, to: &str) -> Vec<&'a str> {
    s.split(from)
        .skip(1)
        .map(|p| p.split(to).next().unwrap_or(p))
        .collect()
}

/// The first cell of each body row of an HTML table.
fn row_labels(table: &str) -> Vec<String> {
    let body = table.split("<tbody>").nth(1).unwrap_or("");
    between(body, "<tr>", "</td>")
        .iter()
        .map(|c| unescape(c.split_once('>').map_or("", |x| x.1)))
        .collect()
}

/// A long table of `index.html` as written in its `<div class="table">`: the rows shown
/// collapsed, the rows in its `<details>`, and the count its summary announces.
struct Collapsed {
    caption: String,
    shown: Vec<String>,
    all: Vec<String>,
    announced: usize,
}

fn collapsed_tables(html: &str) -> Vec<Collapsed> {
    between(html, "<div class=\"table\"", "</div>")
        .into_iter()
        .filter_map(|div| {
            let (key, rest) = div.split_once("<details><summary>All ")?;
            let announced = rest.split(' ').next()?.parse().ok()?;
            Some(Collapsed {
                caption: unescape(between(key, "<caption>", "</caption>").first()?),
                shown: row_labels(key),
                all: row_labels(rest),
                announced,
            })
        })
        .collect()
}

/// Long tables are collapsed on screen: each flow table shows exactly its key rows
/// (the failure rate among them) and keeps all its rows, as many as its summary says
/// and more than 12, in a `<details>`. The print stylesheet keeps figures and diagrams
/// whole (`break-inside: avoid`), repeats table headers (`thead` as a header group)
/// and prints a collapsed table's `<details>` rows instead of its key rows.
#[test]
fn long_tables_collapse_on_screen_and_the_print_stylesheet_keeps_them_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = patterns_report(tmp.path(), false);
    let html = std::fs::read_to_string(rep.join("index.html")).unwrap();
    let tables = collapsed_tables(&html);
    assert!(tables.len() >= 5, "{} collapsed tables", tables.len());
    for t in &tables {
        assert_eq!(t.all.len(), t.announced, "{}", t.caption);
        assert!(t.all.len() > 12, "{}: {} rows", t.caption, t.all.len());
        assert!(
            !t.shown.is_empty() && t.shown.len() < t.all.len(),
            "{}",
            t.caption
        );
        assert!(t.shown.iter().all(|r| t.all.contains(r)), "{}", t.caption);
    }
    for flow in ["flow checkout (compared)", "flow browse"] {
        let t = tables.iter().find(|t| t.caption == flow).expect(flow);
        let keys: Vec<String> = archsim::report::sections::FLOW_KEY_ROWS
            .iter()
            .filter(|k| t.all.iter().any(|r| r == *k))
            .map(|k| k.to_string())
            .collect();
        assert_eq!(t.shown, keys, "{flow}");
        assert!(t.shown.iter().any(|r| r == "failure rate"), "{flow}");
        assert!(
            t.all.iter().any(|r| r == "failed in \"bank slow\""),
            "{flow}"
        );
    }
    let print = html
        .split("@media print{")
        .nth(1)
        .and_then(|p| p.split("}}").next())
        .expect("a print stylesheet");
    let rule = |selector: &str, decl: &str| {
        print.split('}').any(|r| {
            r.split_once('{').is_some_and(|(sel, body)| {
                sel.split(',').any(|s| s.trim() == selector) && body.contains(decl)
            })
        })
    };
    assert!(rule("figure", "break-inside:avoid"), "{print}");
    assert!(rule(".diagram", "break-inside:avoid"), "{print}");
    assert!(rule("thead", "display:table-header-group"), "{print}");
    assert!(
        rule(".table>table:has(+details)", "display:none"),
        "{print}"
    );
    assert!(
        rule(
            ".table>details::details-content",
            "content-visibility:visible"
        ),
        "{print}"
    );
}

/// Every word of a PDF with its page (from 0) and top edge, by `pdftotext -bbox`.
fn pdf_words(pdf: &Path) -> Vec<Vec<(f64, String)>> {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let xml = String::from_utf8_lossy(&out.stdout).into_owned();
    xml.split("<page ")
        .skip(1)
        .map(|page| {
            between(page, "<word ", "</word>")
                .iter()
                .filter_map(|w| {
                    let (attrs, text) = w.split_once('>')?;
                    let y = attrs.split("yMin=\"").nth(1)?.split('"').next()?;
                    Some((y.parse().ok()?, unescape(text)))
                })
                .collect()
        })
        .collect()
}

/// `html` printed by Chromium as `pdf.rs` prints a report, to the PDF beside it.
fn print(html: &Path, profile: &Path) -> PathBuf {
    let pdf = html.with_extension("pdf");
    let chromium = archsim::report::pdf::find_chromium().expect("checked by the caller");
    let status = Command::new(chromium)
        .args(archsim::report::pdf::HEADLESS_FLAGS)
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success() && pdf.is_file(),
        "chromium did not print {}",
        html.display()
    );
    pdf
}

/// The charts of `index.html` whose caption (the chart's title, then "(PNG)") is not
/// on the page of the title drawn at the top of the chart, above it, or is nowhere.
/// A chart's SVG draws its title as text at its top and the caption sits under the
/// chart: both on one page means the chart between them is on that page, whole.
fn split_charts(html: &str, pages: &[Vec<(f64, String)>]) -> (usize, Vec<String>) {
    let captions: Vec<String> = between(html, "class=\"chart", "</figure>")
        .iter()
        .filter_map(|f| {
            between(f, "<figcaption>", " (<a")
                .first()
                .map(|c| unescape(c))
        })
        .collect();
    let mut bad = Vec::new();
    for cap in &captions {
        let title: Vec<&str> = cap.split_whitespace().collect();
        let n = title.len();
        let mut seen = false;
        for (p, words) in pages.iter().enumerate() {
            let at = |i: usize| {
                words[i..i + n]
                    .iter()
                    .map(|w| w.1.as_str())
                    .eq(title.iter().copied())
            };
            let starts: Vec<usize> = (0..words.len().saturating_sub(n))
                .filter(|&i| at(i))
                .collect();
            for &c in starts.iter().filter(|&&i| words[i + n].1 == "(PNG)") {
                seen = true;
                let above = starts
                    .iter()
                    .any(|&i| words[i + n].1 != "(PNG)" && words[i].0 < words[c].0);
                if !above {
                    bad.push(format!(
                        "{cap:?}: caption on page {} without its chart",
                        p + 1
                    ));
                }
            }
        }
        if !seen {
            bad.push(format!("{cap:?}: caption not in the PDF"));
        }
    }
    (captions.len(), bad)
}

/// The PDF of patterns-compare: no chart is cut across pages (each chart's drawn title
/// and its caption under it are on one page, title above; see [`split_charts`]); the
/// long tables are printed whole (rows that are not key rows are in it, no "All N
/// rows" summary is); tables that span pages repeat their header at the top of each
/// page (at least 3 pages start with a header cell, none with a variant's row); and
/// every number a finding quotes is printed at least twice (in the finding and in a
/// table). The chart check is checked itself: the same page printed with every
/// caption forced onto the next page fails it for every chart. Removing
/// `figure{break-inside:avoid}` happens not to tear a chart in this layout (Chromium
/// never slices an inline SVG shorter than a page, and no caption falls alone on the
/// next one): the stylesheet test above is what fails then.
#[test]
fn pdf_keeps_charts_whole_prints_long_tables_whole_and_repeats_headers() {
    if crate::common::chromium_or_skip("the print test", true).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let rep = patterns_report(tmp.path(), true);
    let html = std::fs::read_to_string(rep.join("index.html")).unwrap();
    let pdf = rep.join("report.pdf");
    let pages = pdf_words(&pdf);
    let (charts, bad) = split_charts(&html, &pages);
    assert!(charts >= 20, "{charts} charts");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The check sees a torn chart: the same report printed with every caption pushed
    // to the next page fails it for every chart.
    let torn = html.replacen(
        "@page{",
        "figure.chart figcaption{break-before:page}@page{",
        1,
    );
    assert_ne!(torn, html);
    std::fs::write(rep.join("torn.html"), torn).unwrap();
    let torn_pdf = print(&rep.join("torn.html"), &tmp.path().join("profile"));
    let (_, torn_bad) = split_charts(&html, &pdf_words(&torn_pdf));
    assert_eq!(torn_bad.len(), charts, "{torn_bad:#?}");

    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for row in [
        "recovery after \"bank slow\"",
        "failed in \"bank down\"",
        "cascade rate",
    ] {
        assert!(text.contains(row), "{row:?} not printed");
    }
    assert!(
        !text.contains("rows of this table"),
        "a table printed collapsed"
    );

    let firsts: Vec<&str> = text
        .split('\u{c}')
        .filter_map(|p| p.lines().map(str::trim).find(|l| !l.is_empty()))
        .collect();
    let headed = firsts
        .iter()
        .filter(|l| l.starts_with("figure (mean") || l.starts_with("vari"))
        .count();
    assert!(
        headed >= 3,
        "{headed} pages start with a table header: {firsts:#?}"
    );
    for l in &firsts {
        let row = [
            "sync chain",
            "guarded chain",
            "request-",
            "saga ",
            "events ",
        ]
        .iter()
        .any(|v| l.starts_with(v));
        assert!(!row, "a page starts with a table row, no header: {l:?}");
    }

    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    let quoted: Vec<String> = md
        .split("Findings:")
        .nth(1)
        .unwrap()
        .lines()
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with("- "))
        .flat_map(numbers)
        .collect();
    assert!(quoted.len() >= 8, "{quoted:?}");
    for n in &quoted {
        let printed = text
            .split(|c: char| c.is_whitespace() || "(),;".contains(c))
            .filter(|w| w.trim_end_matches('.') == n)
            .count();
        assert!(printed >= 2, "{n} printed {printed} time(s)");
    }
}

/// Every file of a report directory, by name, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// `args` run in a fresh directory with `threads` worker threads; the report it wrote.
fn report_files(tmp: &Path, name: &str, threads: &str, args: &[&str]) -> Vec<(String, Vec<u8>)> {
    let dir = tmp.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(&dir)
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .args(["--report", "rep", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    files(&dir.join("rep"))
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], what: &str) {
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: different files");
    for (x, y) in a.iter().zip(b) {
        assert!(x.1 == y.1, "{what}: {} differs", x.0);
    }
}

/// What `report_files.rs` checks for `compare`, for the other two writers of a report:
/// `run` of a scenario without `[compare]` (a fault, one verdict row) and `sweep`
/// (its points and knees), each twice from the same input and seed, on 1 and on 2
/// threads: the same file names and the same bytes, `index.html`, `report.md`, the
/// topology SVG and Mermaid/DOT text and every PNG chart.
#[test]
fn run_and_sweep_reports_are_byte_identical_across_runs_and_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let down = root.join("scenarios/failures/checkout-bank-down.toml");
    let sync = root.join("scenarios/checkout-sync.toml");
    let run = ["run", down.to_str().unwrap(), "-r", "2", "--duration", "3m"];
    let a = report_files(tmp.path(), "run1", "1", &run);
    let b = report_files(tmp.path(), "run2", "2", &run);
    let names: Vec<&str> = a.iter().map(|f| f.0.as_str()).collect();
    for want in [
        "index.html",
        "report.md",
        "topology.svg",
        "topology.mmd",
        "topology.dot",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(
        names.iter().filter(|n| n.ends_with(".png")).count() >= 3,
        "{names:?}"
    );
    assert_same(&a, &b, "run");
    let sweep = [
        "sweep",
        sync.to_str().unwrap(),
        "--set",
        "services.payment.workers=8,16",
        "-r",
        "2",
        "--duration",
        "40s",
    ];
    let a = report_files(tmp.path(), "sweep1", "1", &sweep);
    let b = report_files(tmp.path(), "sweep2", "2", &sweep);
    assert!(a.iter().any(|f| f.0 == "index.html") && a.iter().any(|f| f.0 == "topology.svg"));
    assert_same(&a, &b, "sweep");
}
