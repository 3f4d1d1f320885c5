//! The self-contained HTML report: inline CSS and SVG, no script, no network. Every
//! piece of text that comes from the input is HTML-escaped.

use super::document::Report;
use super::sections::Section;
use std::fmt::Write;

pub use super::escape::html as escape;

const CSS: &str = "body{font-family:DejaVu Sans,Verdana,Arial,Helvetica,sans-serif;margin:0;color:#222;background:#fafafa}\
main{max-width:1240px;margin:0 auto;padding:24px}\
h1{font-size:1.6em;margin:0 0 .3em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
.meta{color:#555}.warning{color:#8a4b00;background:#fff4e0;border-left:4px solid #d55e00;padding:6px 10px}\
table{border-collapse:collapse;margin:.6em 0 1.2em;background:#fff;font-size:.92em}\
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f0f0f0}td.pass{color:#0a6d2c;font-weight:bold}td.fail{color:#b3261e;font-weight:bold}\
caption{text-align:left;font-weight:bold;padding:.3em 0}\
figure{margin:1em 0 2em;background:#fff;border:1px solid #ddd;padding:8px}\
figure svg{width:100%;height:auto;display:block}figcaption{color:#555;font-size:.9em;padding-top:4px}\
pre{background:#fff;border:1px solid #ddd;padding:10px;overflow-x:auto;font-size:.85em}\
nav a{margin-right:1em}";

fn table(out: &mut String, s: &Section, class_of: &dyn Fn(&str) -> Option<&'static str>) {
    let _ = writeln!(out, "<table>\n<caption>{}</caption>", escape(&s.title));
    out.push_str("<thead><tr>");
    for h in &s.header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &s.rows {
        out.push_str("<tr>");
        for c in r {
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

/// The SVG element of a chart document (drops any XML prologue).
fn svg_element(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..]).trim_end()
}

/// The report as one HTML document.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>",
        escape(&r.title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", escape(&r.title));
    for line in &r.meta {
        let _ = writeln!(o, "<p class=\"meta\">{}</p>", escape(line));
    }
    for w in &r.warnings {
        let _ = writeln!(
            o,
            "<p class=\"warning\"><strong>Warning:</strong> {}</p>",
            escape(w)
        );
    }
    o.push_str("<nav><a href=\"#reproduce\">Reproduce</a><a href=\"#slo\">SLO verdicts</a><a href=\"#tables\">Tables</a><a href=\"#charts\">Charts</a><a href=\"#topology\">Topology</a><a href=\"#input\">Input</a></nav>\n");
    let _ = writeln!(
        o,
        "<h2 id=\"reproduce\">Reproduce</h2>\n<pre><code>{}</code></pre>",
        escape(&r.command)
    );
    o.push_str("<h2 id=\"slo\">SLO verdicts</h2>\n");
    match &r.slo {
        Some(s) => table(&mut o, s, &|c| {
            if c == "PASS" {
                Some("pass")
            } else if c == "FAIL" {
                Some("fail")
            } else {
                None
            }
        }),
        None => o.push_str("<p>The scenario declares no <code>[[slo]]</code>.</p>\n"),
    }
    o.push_str("<h2 id=\"tables\">Tables</h2>\n");
    for s in &r.sections {
        table(&mut o, s, &|_| None);
    }
    o.push_str("<h2 id=\"charts\">Charts</h2>\n");
    for (f, svg) in r.figures.iter().zip(&r.svgs) {
        let _ = writeln!(
            o,
            "<figure id=\"fig-{}\">\n{}\n<figcaption>{} (<a href=\"{}.png\">PNG</a>)</figcaption>\n</figure>",
            escape(&f.id),
            svg_element(svg),
            escape(f.chart.title()),
            escape(&f.id)
        );
    }
    let _ = writeln!(
        o,
        "<h2 id=\"topology\">Topology</h2>\n<h3>Mermaid</h3>\n<pre class=\"mermaid\">{}</pre>\n<h3>Graphviz DOT</h3>\n<pre>{}</pre>",
        escape(&r.mermaid),
        escape(&r.dot)
    );
    let _ = writeln!(
        o,
        "<h2 id=\"input\">Input: {}</h2>\n<pre>{}</pre>",
        escape(&r.file),
        escape(&r.toml)
    );
    o.push_str("</main>\n</body>\n</html>\n");
    o
}
