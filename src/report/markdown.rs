//! The Markdown report: tables, the PNG charts written beside it, the topology as a
//! Mermaid block, the input echoed.

use super::compare::Section;
use super::document::Report;
use std::fmt::Write;

/// A table cell: pipes escaped, line breaks flattened.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Markdown-escape running text (emphasis, links, HTML).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code fence longer than any run of backticks in `body`.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn code(o: &mut String, lang: &str, body: &str) {
    let f = fence(body);
    let _ = writeln!(o, "{f}{lang}\n{}\n{f}\n", body.trim_end());
}

fn table(o: &mut String, s: &Section) {
    let _ = writeln!(o, "**{}**\n", text(&s.title));
    let _ = writeln!(
        o,
        "| {} |",
        s.header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(o, "|{}", "---|".repeat(s.header.len()));
    for r in &s.rows {
        let _ = writeln!(
            o,
            "| {} |",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        );
    }
    o.push('\n');
}

/// The report as Markdown.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", text(&r.title));
    for line in &r.meta {
        let _ = writeln!(o, "{}  ", text(line));
    }
    o.push_str("\n## Reproduce\n\n");
    code(&mut o, "sh", &r.command);
    o.push_str("## SLO verdicts\n\n");
    match &r.slo {
        Some(s) => table(&mut o, s),
        None => o.push_str("The scenario declares no `[[slo]]`.\n\n"),
    }
    o.push_str("## Tables\n\n");
    for s in &r.sections {
        table(&mut o, s);
    }
    o.push_str("## Charts\n\n");
    for f in &r.figures {
        let title = f.chart.title().replace(['[', ']'], "");
        let _ = writeln!(o, "![{}]({}.png)\n", cell(&title), f.id);
    }
    o.push_str("## Topology\n\n");
    code(&mut o, "mermaid", &r.mermaid);
    o.push_str("Graphviz DOT:\n\n");
    code(&mut o, "dot", &r.dot);
    let _ = writeln!(o, "## Input: {}\n", text(&r.file));
    code(&mut o, "toml", &r.toml);
    o
}
