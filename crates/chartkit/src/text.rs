//! Text measured with the bundled font: widths, shortening with an ellipsis, wrapping.
//! Layout is computed from these, once, in logical pixels, so that the SVG and the PNG
//! of a chart have the same layout on every machine.

use crate::font::FAMILY;
use plotters::style::{FontDesc, FontFamily, FontStyle};

/// Width of `text` in logical pixels, from the bundled font's advance widths.
pub(crate) fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FAMILY), size, style)
        .box_size(text)
        .map(|(w, _)| w as f64)
        .unwrap_or(text.chars().count() as f64 * size * 0.55)
}

/// `text` shortened with an ellipsis so that it fits in `max_w` logical pixels.
pub(crate) fn fit_text(text: &str, size: f64, bold: bool, max_w: f64) -> String {
    if text_width(text, size, bold) <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 0 {
        n -= 1;
        let s: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if text_width(&s, size, bold) <= max_w {
            return s;
        }
    }
    String::new()
}

/// Break `text` into at most `max_lines` lines of at most `max_w` pixels, at spaces
/// (and after '-', '/', '_'); the last line is shortened with an ellipsis if needed.
pub(crate) fn wrap_text(text: &str, size: f64, max_w: f64, max_lines: usize) -> Vec<String> {
    if text.contains('\n') {
        // Hard line breaks: wrap each line on its own.
        let mut lines: Vec<String> = Vec::new();
        for part in text.split('\n') {
            let room = max_lines.saturating_sub(lines.len()).max(1);
            if lines.len() >= max_lines {
                break;
            }
            lines.extend(wrap_text(part, size, max_w, room));
        }
        return lines;
    }
    // Split into words, keeping break characters attached to the preceding word.
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if ch == ' ' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(ch);
            if matches!(ch, '-' | '/' | '_') {
                words.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in words {
        let joiner = if line.is_empty() || line.ends_with(['-', '/', '_']) {
            ""
        } else {
            " "
        };
        let candidate = format!("{line}{joiner}{w}");
        if line.is_empty() || text_width(&candidate, size, false) <= max_w {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = w;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(rest);
    }
    lines
        .into_iter()
        .map(|l| fit_text(&l, size, false, max_w))
        .collect()
}
