//! The Markdown report: tables, the PNG charts written beside it, the topology as a
//! Mermaid block, the input echoed. Every piece of text is escaped with
//! [`super::escape::markdown`] (tables, headings, alt text); the reproducing command,
//! the topology and the input file sit verbatim in fenced code blocks whose fence is
//! longer than any backtick run inside.

use super::document::Report;
use super::sections::Section;
use std::fmt::Write;

use super::escape::{block, markdown as text, markdown_fence as fence};

fn code(o: &mut String, lang: &str, body: &str) {
    let body = block(body);
    let f = fence(&body);
    let _ = writeln!(o, "{f}{lang}\n{}\n{f}\n", body.trim_end());
}

fn table(o: &mut String, s: &Section) {
    let _ = writeln!(o, "**{}**\n", text(&s.title));
    let _ = writeln!(
        o,
        "| {} |",
        s.header
            .iter()
            .map(|h| text(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(o, "|{}", "---|".repeat(s.header.len()));
    for r in &s.rows {
        let _ = writeln!(
            o,
            "| {} |",
            r.iter().map(|c| text(c)).collect::<Vec<_>>().join(" | ")
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
    for w in &r.warnings {
        let _ = writeln!(o, "\n> **Warning:** {}", text(w));
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
        let _ = writeln!(o, "![{}]({}.png)\n", text(f.chart.title()), f.id);
    }
    o.push_str("## Topology\n\n");
    code(&mut o, "mermaid", &r.mermaid);
    o.push_str("Graphviz DOT:\n\n");
    code(&mut o, "dot", &r.dot);
    let _ = writeln!(o, "## Input: {}\n", text(&r.file));
    code(&mut o, "toml", &r.toml);
    o
}
