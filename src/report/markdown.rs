//! The Markdown report, in the order of the HTML one: the answer (verdict table,
//! headline chart, findings), a table of contents, then the groups of details with the
//! PNG charts written beside it and the topology as `topology.svg` (with one image per
//! variant's path) and a Mermaid block. Every piece of text is escaped with
//! [`super::escape::markdown`] where it may begin a line (the title, the run line, notes,
//! findings) and [`super::escape::markdown_inline`] after other text (table cells and
//! titles, alt text, warnings, citations); the reproducing
//! command, the topology text and the input file sit verbatim in fenced code blocks
//! whose fence is longer than any backtick run inside. Long tables show their key rows
//! and keep every row in a `<details>` block (which GitHub renders).

use super::document::{Block, Group, Report, Table};
use super::sections::Section;
use std::fmt::Write;

use super::escape::{block, markdown as text, markdown_fence as fence, markdown_inline as inline};

fn code(o: &mut String, lang: &str, body: &str) {
    let body = block(body);
    let f = fence(&body);
    let _ = writeln!(o, "{f}{lang}\n{}\n{f}\n", body.trim_end());
}

fn rows_md(o: &mut String, s: &Section, rows: &[usize]) {
    let _ = writeln!(
        o,
        "| {} |",
        s.header
            .iter()
            .map(|h| inline(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(o, "|{}", "---|".repeat(s.header.len()));
    for &i in rows {
        let _ = writeln!(
            o,
            "| {} |",
            s.rows[i]
                .iter()
                .map(|c| inline(c))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    o.push('\n');
}

fn table(o: &mut String, t: &Table) {
    let _ = writeln!(o, "**{}**\n", inline(&t.section.title));
    let all: Vec<usize> = (0..t.section.rows.len()).collect();
    if t.collapses() {
        rows_md(o, &t.section, &t.key_rows);
        let _ = writeln!(
            o,
            "<details><summary>All {} rows of this table</summary>\n",
            t.section.rows.len()
        );
        rows_md(o, &t.section, &all);
        o.push_str("</details>\n\n");
    } else {
        rows_md(o, &t.section, &all);
    }
}

fn topology(o: &mut String, r: &Report) {
    let t = &r.topology;
    o.push_str(
        "![The topology: clients, services, brokers and their interactions](topology.svg)\n\n",
    );
    for (k, (name, _)) in t.variants.iter().enumerate() {
        let _ = writeln!(
            o,
            "Path of flow {} in the {} variant:\n\n![Path of flow {} in the {} variant](topology-{}.svg)\n",
            inline(&t.flow),
            inline(name),
            inline(&t.flow),
            inline(name),
            k + 1
        );
    }
    o.push_str("<details><summary>The topology as Mermaid and Graphviz DOT text (also topology.mmd, topology.dot)</summary>\n\n");
    code(o, "mermaid", &t.mermaid);
    code(o, "dot", &t.dot);
    o.push_str("</details>\n\n");
}

fn group(o: &mut String, r: &Report, g: &Group) {
    let _ = writeln!(o, "## {}\n", g.title);
    if g.id == "flows" {
        if let Some(note) = &r.variants_note {
            let _ = writeln!(o, "{}\n", text(note));
        }
    }
    for b in &g.blocks {
        match b {
            Block::Table(t) => table(o, t),
            Block::Figure(i) => {
                let f = &r.figures[*i];
                let _ = writeln!(o, "![{}]({}.png)\n", inline(f.chart.title()), f.id);
            }
            Block::Topology => topology(o, r),
            Block::Input => {
                o.push_str("Command:\n\n");
                code(o, "sh", &r.command);
                let _ = writeln!(o, "Input file {}:\n", inline(&r.file));
                code(o, "toml", &r.toml);
            }
        }
    }
}

/// The anchor GitHub gives a heading of fixed text.
fn slug(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' => Some(c),
            _ => None,
        })
        .collect()
}

/// The report as Markdown.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", text(&r.title));
    for line in &r.meta {
        let _ = writeln!(o, "{}  ", text(line));
    }
    o.push('\n');
    o.push_str("Contents: [Answer](#answer)");
    for g in &r.groups {
        let _ = write!(o, " · [{}](#{})", g.title, slug(g.title));
    }
    o.push_str("\n\n## Answer\n\n");
    if let Some(v) = &r.verdict {
        let all: Vec<usize> = (0..v.rows.len()).collect();
        let _ = writeln!(o, "**{}**\n", inline(&v.title));
        rows_md(&mut o, v, &all);
    }
    if let Some(i) = r.headline {
        let f = &r.figures[i];
        let _ = writeln!(o, "![{}]({}.png)\n", inline(f.chart.title()), f.id);
    }
    if !r.findings.is_empty() {
        o.push_str("Findings:\n\n");
        for f in &r.findings {
            let refs: Vec<String> = f
                .refs
                .iter()
                .map(|x| {
                    let name = x.name();
                    if x.rows.is_empty() {
                        format!("*{}*", inline(name))
                    } else {
                        format!("*{}*: {}", inline(name), inline(&x.rows.join("; ")))
                    }
                })
                .collect();
            let _ = writeln!(o, "- {} (see {})", text(&f.text), refs.join(" · "));
        }
        o.push('\n');
    }
    for w in &r.warnings {
        let _ = writeln!(o, "> **Warning:** {}\n", inline(w));
    }
    for g in &r.groups {
        group(&mut o, r, g);
    }
    o
}
