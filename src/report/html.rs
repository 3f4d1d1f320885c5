//! The self-contained HTML report: inline CSS and SVG, no script, no network. Every
//! piece of text that comes from the input is HTML-escaped.
//!
//! Layout: the answer first (verdict table, findings beside the headline chart), a
//! table of contents, then the groups of details. Long tables show their key rows and
//! keep the rest in a `<details>`; the topology's per-variant paths are CSS-only tabs
//! (radio inputs, no script). No sideways scrolling at 1280 px: cells wrap, charts and
//! diagrams scale to the width, preformatted text wraps. A print stylesheet keeps
//! charts and diagrams whole on a page, repeats table headers, shows every tab and
//! prints a long table whole: every row of its `<details>`, in place of its key rows
//! (a PDF cannot be expanded, and findings cite rows that are not key rows).

use super::document::{Block, Group, Report, Table};
use super::findings::Finding;
use super::sections::Section;
use std::fmt::Write;

pub use super::escape::html as escape;

const CSS: &str = "*{box-sizing:border-box}\
body{font-family:DejaVu Sans,Verdana,Arial,Helvetica,sans-serif;margin:0;color:#222;background:#fafafa;line-height:1.35}\
main{max-width:1240px;margin:0 auto;padding:10px 20px 40px}\
h1{font-size:1.4em;margin:0 0 .1em}h2{font-size:1.25em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.15em}\
h3{font-size:1.05em;margin:.6em 0 .3em}#answer h2{margin-top:.35em}\
.meta{color:#555;margin:.1em 0;font-size:.88em}\
.warning{color:#8a4b00;background:#fff4e0;border-left:4px solid #d55e00;padding:3px 10px;margin:.3em 0;font-size:.9em}\
nav.toc ol{list-style:none;margin:.3em 0;padding:0;display:flex;flex-wrap:wrap;gap:.1em 1.1em;font-size:.9em}\
.table{max-width:100%;overflow-x:auto}\
table{border-collapse:collapse;margin:.3em 0 .8em;background:#fff;font-size:.86em}\
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
thead th{background:#f0f0f0}td.pass{color:#0a6d2c;font-weight:bold}td.fail{color:#b3261e;font-weight:bold}\
caption{text-align:left;font-weight:bold;padding:.2em 0}\
#verdict table{width:100%;margin-bottom:.5em}\
.answer-grid{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,6fr);gap:18px;align-items:start}\
.findings ul{margin:.2em 0;padding-left:1.2em}.findings li{margin:.3em 0}.refs{color:#666;font-size:.85em}\
figure{margin:.5em 0 1.4em;background:#fff;border:1px solid #ddd;padding:6px}\
figure svg{max-width:100%;height:auto;display:block;margin:0 auto}\
figure.chart svg{width:100%;max-width:980px}figure.headline{margin:0}figure.headline svg{max-width:none;max-height:250px}\
figcaption{color:#555;font-size:.86em;padding-top:3px}\
pre{background:#fff;border:1px solid #ddd;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.82em}\
details{margin:.1em 0 1em}summary{cursor:pointer;color:#0a4f8a;font-size:.9em}\
.note{color:#444;font-size:.9em;margin:.3em 0}\
.tabs>input{position:absolute;opacity:0;pointer-events:none}\
.tabs>label{display:inline-block;padding:3px 10px;border:1px solid #ccc;border-radius:4px 4px 0 0;margin:0 3px 0 0;cursor:pointer;background:#f0f0f0;font-size:.88em}\
.tabs>input:checked+label{background:#fff;font-weight:bold;border-bottom-color:#fff}\
.tabs>.panel{display:none;margin-top:0}\
@media print{body{background:#fff;font-size:10pt}main{max-width:none;padding:0}\
nav.toc,.tabs>input,.tabs>label{display:none}.tabs>.panel{display:block!important}\
figure,.diagram,.answer-grid,tr{break-inside:avoid;page-break-inside:avoid}\
h2,h3,caption{break-after:avoid;page-break-after:avoid}section{break-before:auto}\
thead{display:table-header-group}.table{overflow:visible}\
.answer-grid{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}\
a{color:inherit;text-decoration:none}figure{border:none;padding:0}\
.table>table:has(+details),.table>details>summary{display:none}\
.table>details::details-content{content-visibility:visible;display:block}\
@page{size:A4;margin:12mm}}";

fn rows_html(
    out: &mut String,
    s: &Section,
    rows: &[usize],
    class_of: &dyn Fn(&str) -> Option<&'static str>,
) {
    let _ = writeln!(out, "<table>\n<caption>{}</caption>", escape(&s.title));
    out.push_str("<thead><tr>");
    for h in &s.header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for &i in rows {
        out.push_str("<tr>");
        for c in &s.rows[i] {
            match class_of(c) {
                Some(cls) => {
                    let _ = write!(out, "<td class=\"{cls}\">{}</td>", escape(c));
                }
                None => {
                    let _ = write!(out, "<td>{}</td>", escape(c));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn verdict_class(c: &str) -> Option<&'static str> {
    if c == "PASS" || c == "met" {
        Some("pass")
    } else if c == "FAIL" || c.starts_with("failed: ") {
        Some("fail")
    } else {
        None
    }
}

/// A table in its anchor; a long one shows its key rows and keeps all in `<details>`.
fn table(out: &mut String, t: &Table, id: &str) {
    let _ = writeln!(out, "<div class=\"table\" id=\"{id}\">");
    let all: Vec<usize> = (0..t.section.rows.len()).collect();
    if t.collapses() {
        rows_html(out, &t.section, &t.key_rows, &verdict_class);
        let _ = writeln!(
            out,
            "<details><summary>All {} rows of this table</summary>",
            t.section.rows.len()
        );
        rows_html(out, &t.section, &all, &verdict_class);
        out.push_str("</details>\n");
    } else {
        rows_html(out, &t.section, &all, &verdict_class);
    }
    out.push_str("</div>\n");
}

/// The SVG element of a chart document (drops any XML prologue), with its title as
/// accessible name and `<title>`.
fn svg_element(svg: &str, title: &str) -> String {
    let el = svg.find("<svg").map_or(svg, |i| &svg[i..]).trim_end();
    let t = escape(title);
    match el.find('>') {
        Some(end) if el.starts_with("<svg") => format!(
            "<svg role=\"img\" aria-label=\"{t}\"{}><title>{t}</title>{}",
            &el[4..end],
            &el[end + 1..]
        ),
        _ => el.to_string(),
    }
}

/// The anchor of every table, by title (the first of each title wins).
fn anchors(r: &Report) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(v) = &r.verdict {
        out.push((v.title.clone(), "verdict".to_string()));
    }
    let mut n = 0;
    for g in &r.groups {
        for b in &g.blocks {
            if let Block::Table(t) = b {
                n += 1;
                out.push((t.section.title.clone(), format!("t{n}")));
            }
        }
    }
    out
}

fn finding(o: &mut String, f: &Finding, anchors: &[(String, String)]) {
    let _ = write!(o, "<li>{}", escape(&f.text));
    let refs: Vec<String> = f
        .refs
        .iter()
        .filter_map(|x| {
            let id = &anchors.iter().find(|(t, _)| *t == x.table)?.1;
            let rows = if x.rows.is_empty() {
                String::new()
            } else {
                format!(": {}", escape(&x.rows.join("; ")))
            };
            let name = x.name();
            Some(format!("<a href=\"#{id}\">{}</a>{rows}", escape(name)))
        })
        .collect();
    if !refs.is_empty() {
        let _ = write!(o, " <span class=\"refs\">(see {})</span>", refs.join(" · "));
    }
    o.push_str("</li>\n");
}

fn answer(o: &mut String, r: &Report, anchors: &[(String, String)]) {
    o.push_str("<section id=\"answer\">\n<h2>Answer</h2>\n");
    if let Some(v) = &r.verdict {
        table(
            o,
            &Table {
                section: v.clone(),
                key_rows: Vec::new(),
            },
            "verdict",
        );
    }
    o.push_str("<div class=\"answer-grid\">\n<div class=\"findings\">\n<h3>Findings</h3>\n<ul>\n");
    for f in &r.findings {
        finding(o, f, anchors);
    }
    o.push_str("</ul>\n");
    if !r.warnings.is_empty() {
        o.push_str("<div id=\"warnings\">\n");
        for w in &r.warnings {
            let _ = writeln!(
                o,
                "<p class=\"warning\"><strong>Warning:</strong> {}</p>",
                escape(w)
            );
        }
        o.push_str("</div>\n");
    }
    o.push_str("</div>\n");
    if let Some(i) = r.headline {
        let f = &r.figures[i];
        let _ = writeln!(
            o,
            "<figure id=\"headline\" class=\"chart headline\">\n{}\n<figcaption>{} (<a href=\"{}.png\">PNG</a>)</figcaption>\n</figure>",
            svg_element(&r.headline_svg, f.chart.title()),
            escape(f.chart.title()),
            escape(&f.id)
        );
    }
    o.push_str("</div>\n</section>\n");
}

fn topology(o: &mut String, r: &Report) {
    let t = &r.topology;
    o.push_str("<p class=\"note\">Boxes: clients of each flow, services (replicas × workers, queue capacity), brokers (their queues and topics); faulted components outlined in vermilion with their faults. One edge per caller and callee, one strand per pattern, labelled with protocol and policies.</p>\n");
    if t.variants.is_empty() {
        let _ = writeln!(o, "<figure class=\"diagram\">\n{}\n<figcaption>Topology (<a href=\"topology.svg\">SVG</a>)</figcaption>\n</figure>", t.svg);
    } else {
        o.push_str("<div class=\"tabs\">\n");
        let mut names = vec!["all variants".to_string()];
        names.extend(t.variants.iter().map(|v| v.0.clone()));
        for (k, name) in names.iter().enumerate() {
            let _ = writeln!(
                o,
                "<input type=\"radio\" name=\"topology-tab\" id=\"tab-{k}\"{}><label for=\"tab-{k}\">{}</label>",
                if k == 0 { " checked" } else { "" },
                escape(name)
            );
        }
        let _ = writeln!(o, "<figure class=\"diagram panel\" id=\"panel-0\">\n{}\n<figcaption>Every interaction of every variant (<a href=\"topology.svg\">SVG</a>)</figcaption>\n</figure>", t.svg);
        for (k, (name, svg)) in t.variants.iter().enumerate() {
            let _ = writeln!(
                o,
                "<figure class=\"diagram panel\" id=\"panel-{}\">\n{svg}\n<figcaption>Path of flow {} in the {} variant, highlighted; the rest faded (<a href=\"topology-{}.svg\">SVG</a>)</figcaption>\n</figure>",
                k + 1,
                escape(&t.flow),
                escape(name),
                k + 1
            );
        }
        o.push_str("</div>\n");
    }
    let _ = writeln!(
        o,
        "<details><summary>The topology as Mermaid and Graphviz DOT text (also <a href=\"topology.mmd\">topology.mmd</a>, <a href=\"topology.dot\">topology.dot</a>)</summary>\n<h3>Mermaid</h3>\n<pre class=\"mermaid\">{}</pre>\n<h3>Graphviz DOT</h3>\n<pre>{}</pre>\n</details>",
        escape(&t.mermaid),
        escape(&t.dot)
    );
}

fn group(o: &mut String, r: &Report, g: &Group, n: &mut usize) {
    let _ = writeln!(o, "<section id=\"{}\">\n<h2>{}</h2>", g.id, g.title);
    if g.id == "flows" {
        if let Some(note) = &r.variants_note {
            let _ = writeln!(o, "<p class=\"note\">{}</p>", escape(note));
        }
    }
    for b in &g.blocks {
        match b {
            Block::Table(t) => {
                *n += 1;
                table(o, t, &format!("t{n}"));
            }
            Block::Figure(i) => {
                let (f, svg) = (&r.figures[*i], &r.svgs[*i]);
                let _ = writeln!(
                    o,
                    "<figure id=\"fig-{}\" class=\"chart\">\n{}\n<figcaption>{} (<a href=\"{}.png\">PNG</a>)</figcaption>\n</figure>",
                    escape(&f.id),
                    svg_element(svg, f.chart.title()),
                    escape(f.chart.title()),
                    escape(&f.id)
                );
            }
            Block::Topology => topology(o, r),
            Block::Input => {
                let _ = writeln!(
                    o,
                    "<h3>Command</h3>\n<pre><code>{}</code></pre>\n<details><summary>Input file: {}</summary>\n<pre>{}</pre>\n</details>",
                    escape(&r.command),
                    escape(&r.file),
                    escape(&r.toml)
                );
            }
        }
    }
    o.push_str("</section>\n");
}

/// The report as one HTML document.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}",
        escape(&r.title)
    );
    for k in 0..=r.topology.variants.len() {
        let _ = write!(o, "#tab-{k}:checked~#panel-{k}{{display:block}}");
    }
    o.push_str("</style>\n</head>\n<body>\n<main>\n<header>\n");
    let _ = writeln!(o, "<h1>{}</h1>", escape(&r.title));
    for line in &r.meta {
        let _ = writeln!(o, "<p class=\"meta\">{}</p>", escape(line));
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"warning\"><strong>Warning:</strong> <a href=\"#warnings\">{} warning{} below the findings</a>: read them before the figures they qualify.</p>",
            r.warnings.len(),
            if r.warnings.len() == 1 { "" } else { "s" }
        );
    }
    o.push_str("</header>\n<nav class=\"toc\" aria-label=\"Contents\"><ol><li><a href=\"#answer\">Answer</a></li>");
    for g in &r.groups {
        let _ = write!(o, "<li><a href=\"#{}\">{}</a></li>", g.id, g.title);
    }
    o.push_str("</ol></nav>\n");
    let anchors = anchors(r);
    answer(&mut o, r, &anchors);
    let mut n = 0;
    for g in &r.groups {
        group(&mut o, r, g, &mut n);
    }
    o.push_str("</main>\n</body>\n</html>\n");
    o
}
