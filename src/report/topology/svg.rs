//! The topology diagram as an SVG element: boxes measured with the charts' bundled
//! font, laid out by [`super::layout`], edges styled by pattern, faulted components
//! outlined, and (for one variant) its path highlighted and the rest faded.
//!
//! Everything the tests and the print stylesheet look for is a class: `g.node`
//! (`service`, `broker`, `clients`, `faulted`, `dim`), `g.edge` (one per caller/callee
//! pair, `data-from`/`data-to` with generated ids), `path.strand` (one per pattern).
//! Ids are prefixed with the diagram's id, so several diagrams share one page.

use super::layout::{layout, EdgeIn, NodeIn};
use super::{Diagram, Line, NodeKey, PathSet, Pattern};
use crate::report::charts::{text_width, FONT_FAMILY};
use crate::report::escape::{html, visible};
use std::fmt::Write;

const TITLE: f64 = 13.0;
const TEXT: f64 = 11.0;
const LABEL: f64 = 10.5;
const LABEL_LINE_H: f64 = 13.0;
const LABEL_MAX_W: f64 = 230.0;
const PAD: f64 = 8.0;
const LEGEND_H: f64 = 30.0;
const STRAND_GAP: f64 = 5.0;
const LOOP: f64 = 34.0;

/// Stroke colour, label colour and dash pattern of a strand.
fn style(p: Pattern) -> (&'static str, &'static str, &'static str) {
    match p {
        Pattern::Client => ("#6E6E6E", "#4A4A4A", ""),
        Pattern::Call => ("#0072B2", "#005A8C", ""),
        Pattern::Send => ("#E69F00", "#8A5A00", "8 4"),
        Pattern::Publish => ("#009E73", "#00704F", "2 3"),
        Pattern::Request => ("#CC79A7", "#9C3F7A", "9 3 2 3"),
        Pattern::Saga => ("#56B4E9", "#1F6E9E", "14 4"),
    }
}

fn f(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn text(s: &str) -> String {
    html(&visible(s))
}

/// A label's lines, wrapped at " · " to at most [`LABEL_MAX_W`], with their pattern
/// and whether they are on the highlighted path.
fn label_lines(
    strands: &[(Pattern, &Line)],
    on: &dyn Fn(&Line) -> bool,
) -> Vec<(String, Pattern, bool)> {
    let mut out = Vec::new();
    for &(p, line) in strands {
        let mut cur = String::new();
        for (k, part) in line.shown().split(" · ").enumerate() {
            let next = if cur.is_empty() {
                part.to_string()
            } else {
                format!("{cur} · {part}")
            };
            if k > 0 && text_width(&next, LABEL, false) > LABEL_MAX_W {
                out.push((cur, p, on(line)));
                cur = format!("  {part}");
            } else {
                cur = next;
            }
        }
        out.push((cur, p, on(line)));
    }
    out
}

fn label_size(lines: &[(String, Pattern, bool)]) -> (f64, f64) {
    let w = lines
        .iter()
        .map(|l| text_width(&l.0, LABEL, false))
        .fold(0.0, f64::max);
    ((w + 6.0).ceil(), lines.len() as f64 * LABEL_LINE_H + 4.0)
}

/// The lines of a node box: (text, bold, fault).
fn node_lines(n: &super::Node) -> Vec<(String, bool, bool)> {
    let mut v = vec![(n.title.clone(), true, false)];
    v.extend(n.lines.iter().map(|l| (l.clone(), false, false)));
    v.extend(n.faults.iter().map(|l| (l.clone(), false, true)));
    v
}

fn node_size(lines: &[(String, bool, bool)]) -> (f64, f64) {
    let w = lines
        .iter()
        .map(|(t, b, _)| text_width(&visible(t), if *b { TITLE } else { TEXT }, *b))
        .fold(0.0, f64::max);
    let h = 2.0 * PAD + 16.0 + 14.0 * (lines.len() - 1) as f64;
    ((w + 2.0 * PAD).max(90.0).ceil(), h)
}

fn markers(o: &mut String, id: &str) {
    o.push_str("<defs>");
    for p in Pattern::ALL {
        let (stroke, _, _) = style(p);
        let _ = write!(
            o,
            "<marker id=\"{id}-arrow-{}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"{stroke}\"/></marker>",
            p.name()
        );
    }
    o.push_str("</defs>\n");
}

fn legend(o: &mut String, d: &Diagram, faulted: bool) {
    let used: Vec<Pattern> = Pattern::ALL
        .into_iter()
        .filter(|p| {
            d.edges
                .iter()
                .any(|e| e.strands.iter().any(|s| s.pattern == *p))
        })
        .collect();
    o.push_str("<g class=\"legend\">");
    let mut x = 12.0;
    for p in used {
        let (stroke, _, dash) = style(p);
        let _ = write!(
            o,
            "<line x1=\"{}\" y1=\"15\" x2=\"{}\" y2=\"15\" stroke=\"{stroke}\" stroke-width=\"2.2\" stroke-dasharray=\"{dash}\"/><text x=\"{}\" y=\"19\" font-size=\"{TEXT}\" fill=\"#333\">{}</text>",
            f(x),
            f(x + 30.0),
            f(x + 36.0),
            p.legend()
        );
        x += 36.0 + text_width(p.legend(), TEXT, false) + 18.0;
    }
    if faulted {
        let _ = write!(
            o,
            "<rect x=\"{}\" y=\"7\" width=\"26\" height=\"16\" rx=\"3\" fill=\"#FBEDE4\" stroke=\"#D55E00\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/><text x=\"{}\" y=\"19\" font-size=\"{TEXT}\" fill=\"#333\">faulted</text>",
            f(x),
            f(x + 32.0)
        );
    }
    o.push_str("</g>\n");
}

/// Draws `d` as an `<svg>` element with id `id` and accessible title `title`;
/// with `path`, that path is highlighted and everything else faded.
pub fn render(d: &Diagram, id: &str, title: &str, path: Option<&PathSet>) -> String {
    let on_line = |l: &Line| path.map_or(true, |p| l.owners.iter().any(|o| p.owners.contains(o)));
    let on_node = |k: NodeKey| path.map_or(true, |p| p.nodes.contains(&k));
    let boxes: Vec<Vec<(String, bool, bool)>> = d.nodes.iter().map(node_lines).collect();
    let sizes: Vec<(f64, f64)> = boxes.iter().map(|b| node_size(b)).collect();
    let index = |k: NodeKey| d.nodes.iter().position(|n| n.key == k).unwrap_or(0);
    let labels: Vec<Vec<(String, Pattern, bool)>> = d
        .edges
        .iter()
        .map(|e| {
            let lines: Vec<(Pattern, &Line)> = e
                .strands
                .iter()
                .flat_map(|s| s.lines.iter().map(move |l| (s.pattern, l)))
                .collect();
            label_lines(&lines, &on_line)
        })
        .collect();
    let mut extra = vec![0.0f64; d.nodes.len()];
    for (e, l) in d.edges.iter().zip(&labels) {
        if e.from == e.to {
            let i = index(e.from);
            extra[i] = extra[i].max(LOOP + 6.0 + label_size(l).0);
        }
    }
    let lnodes: Vec<NodeIn> = sizes
        .iter()
        .zip(&extra)
        .map(|(&(w, h), &x)| NodeIn {
            w,
            h,
            extra_right: x,
        })
        .collect();
    let ledges: Vec<EdgeIn> = d
        .edges
        .iter()
        .zip(&labels)
        .map(|(e, l)| EdgeIn {
            from: index(e.from),
            to: index(e.to),
            label: label_size(l),
            thickness: e.strands.len() as f64 * STRAND_GAP,
        })
        .collect();
    let lay = layout(&lnodes, &ledges);
    let (w, h) = (lay.width.max(320.0), lay.height + LEGEND_H);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology\" id=\"{id}\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" font-family=\"{FONT_FAMILY}\" role=\"img\" aria-labelledby=\"{id}-title\">\n<title id=\"{id}-title\">{}</title>",
        f(w),
        f(h),
        f(w),
        f(h),
        text(title)
    );
    markers(&mut o, id);
    legend(&mut o, d, d.nodes.iter().any(|n| !n.faults.is_empty()));
    let _ = writeln!(o, "<g transform=\"translate(0,{})\">", f(LEGEND_H));
    // Edges: one group per pair, one path per strand.
    for (k, e) in d.edges.iter().enumerate() {
        let on_edge = e.strands.iter().any(|s| s.lines.iter().any(&on_line));
        let _ = write!(
            o,
            "<g class=\"edge{}\" data-from=\"{}\" data-to=\"{}\">",
            if on_edge { "" } else { " dim" },
            e.from.id(),
            e.to.id()
        );
        let m = e.strands.len() as f64;
        for (si, s) in e.strands.iter().enumerate() {
            let on = s.lines.iter().any(&on_line);
            let dx = (si as f64 - (m - 1.0) / 2.0) * STRAND_GAP;
            let d_attr = match &lay.routes[k] {
                Some(r) => curve(&r.points, dx),
                None => {
                    let i = index(e.from);
                    self_loop(lay.pos[i], sizes[i], dx)
                }
            };
            strand(&mut o, id, s.pattern, &d_attr, on, path.is_some());
        }
        o.push_str("</g>\n");
    }
    // Labels above every edge, below the nodes.
    o.push_str("<g class=\"labels\">");
    for (k, l) in labels.iter().enumerate() {
        let (lx, ly) = match &lay.routes[k] {
            Some(r) => r.label,
            None => {
                let i = index(d.edges[k].from);
                let (x, y) = lay.pos[i];
                (
                    x + sizes[i].0 + LOOP + 4.0,
                    y + sizes[i].1 / 2.0 - label_size(l).1 / 2.0,
                )
            }
        };
        label(&mut o, l, lx, ly);
    }
    o.push_str("</g>\n");
    for (i, n) in d.nodes.iter().enumerate() {
        node(&mut o, n, &boxes[i], lay.pos[i], sizes[i], on_node(n.key));
    }
    o.push_str("</g>\n</svg>");
    o
}

/// A smooth path through `pts` (vertical tangents), shifted by `dx`.
fn curve(pts: &[(f64, f64)], dx: f64) -> String {
    let mut s = format!("M{},{}", f(pts[0].0 + dx), f(pts[0].1));
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if (x0 - x1).abs() < 0.05 {
            let _ = write!(s, " L{},{}", f(x1 + dx), f(y1));
        } else {
            let ym = (y0 + y1) / 2.0;
            let _ = write!(
                s,
                " C{},{} {},{} {},{}",
                f(x0 + dx),
                f(ym),
                f(x1 + dx),
                f(ym),
                f(x1 + dx),
                f(y1)
            );
        }
    }
    s
}

fn self_loop((x, y): (f64, f64), (w, h): (f64, f64), dx: f64) -> String {
    let (x0, y0, y1) = (x + w, y + h * 0.3 + dx, y + h * 0.7 - dx);
    format!(
        "M{},{} C{},{} {},{} {},{}",
        f(x0),
        f(y0),
        f(x0 + LOOP),
        f(y0 - 10.0),
        f(x0 + LOOP),
        f(y1 + 10.0),
        f(x0 + 1.0),
        f(y1)
    )
}

fn strand(o: &mut String, id: &str, p: Pattern, d: &str, on: bool, highlighting: bool) {
    let (stroke, _, dash) = style(p);
    let width = if highlighting && on { 3.2 } else { 1.7 };
    let dash = if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    };
    let _ = write!(
        o,
        "<path class=\"strand {}\" d=\"{d}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\"{dash} marker-end=\"url(#{id}-arrow-{})\"{}/>",
        p.name(),
        p.name(),
        if on { "" } else { " opacity=\"0.22\"" }
    );
}

fn label(o: &mut String, lines: &[(String, Pattern, bool)], x: f64, y: f64) {
    let (w, h) = label_size(lines);
    let _ = write!(
        o,
        "<g class=\"label\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#FFFFFF\" fill-opacity=\"0.85\"/>",
        f(x),
        f(y),
        f(w),
        f(h)
    );
    for (k, (t, p, on)) in lines.iter().enumerate() {
        let (_, colour, _) = style(*p);
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" font-size=\"{LABEL}\" fill=\"{colour}\"{} xml:space=\"preserve\">{}</text>",
            f(x + 3.0),
            f(y + 12.0 + k as f64 * LABEL_LINE_H),
            if *on { "" } else { " opacity=\"0.3\"" },
            text(t)
        );
    }
    o.push_str("</g>");
}

fn node(
    o: &mut String,
    n: &super::Node,
    lines: &[(String, bool, bool)],
    (x, y): (f64, f64),
    (w, h): (f64, f64),
    on: bool,
) {
    let (kind, fill, stroke, rx) = match n.key {
        NodeKey::Clients(_) => ("clients", "#F4F4F4", "#888888", h / 2.0),
        NodeKey::Service(_) => ("service", "#EAF2FA", "#0072B2", 6.0),
        NodeKey::Broker(_) => ("broker", "#FFF6E5", "#B57F00", 2.0),
    };
    let faulted = !n.faults.is_empty();
    let (fill, stroke, extra) = if faulted {
        ("#FBEDE4", "#D55E00", " stroke-dasharray=\"6 3\"")
    } else {
        (fill, stroke, "")
    };
    let _ = write!(
        o,
        "<g class=\"node {kind}{}{}\" data-id=\"{}\"{}><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"{extra}/>",
        if faulted { " faulted" } else { "" },
        if on { "" } else { " dim" },
        n.key.id(),
        if on { "" } else { " opacity=\"0.3\"" },
        f(x),
        f(y),
        f(w),
        f(h),
        f(rx.min(14.0)),
        if faulted { 2.2 } else { 1.4 }
    );
    for (k, (t, bold, fault)) in lines.iter().enumerate() {
        let yy = y
            + PAD
            + 12.0
            + if k == 0 {
                0.0
            } else {
                4.0 + 14.0 * k as f64 - 2.0
            };
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{} fill=\"{}\">{}</text>",
            f(x + PAD),
            f(yy),
            if *bold { TITLE } else { TEXT },
            if *bold { " font-weight=\"bold\"" } else { "" },
            if *fault { "#A33F00" } else { "#1F1F1F" },
            text(t)
        );
    }
    o.push_str("</g>\n");
}
