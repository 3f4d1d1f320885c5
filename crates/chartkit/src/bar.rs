//! Grouped bar charts with optional confidence-interval error bars.
//!
//! Drawn in steps: legend and title, category labels (wrapped), the value range, the
//! y axis, then per category its labels and per series its bar, error bar and value
//! label; last the zero line and the frame.

use crate::axis::{extent, make_axis, valid_range, Scale};
use crate::canvas::{Align, Canvas, TextOpts};
use crate::data::BarChart;
use crate::error::ChartError;
use crate::frame::{self, LegendItem, Swatch, Theme, MUTED, PALETTE, TEXT};
use crate::geom::Rect;
use crate::text::{fit_text, text_width, wrap_text};
use plotters::prelude::*;

/// Category labels wrap onto at most this many lines.
const MAX_LABEL_LINES: usize = 4;

/// Bars get value labels when there are at most this many.
const VALUES_UP_TO: usize = 24;

pub(crate) fn draw<DB: DrawingBackend>(ch: &BarChart, c: &Canvas<DB>) -> Result<(), ChartError> {
    let t = Theme::new(c.k);
    let top = frame::draw_top(c, &t, &ch.title, &legend(ch))?;
    let labels = category_labels(ch, c, &t);
    let lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let y0 = top + t.tick * 0.6;
    let y1 = frame::plot_bottom(c.h, &t, &ch.x_label, lines);

    let (lo, hi, floor, has_data) = value_range(ch);
    let explicit = valid_range(ch.y_range, ch.log_y);
    let ytarget = ((y1 - y0) / (64.0 * t.k)).clamp(2.0, 10.0) as usize;
    let (ys, yticks) = make_axis(lo, hi, ch.log_y, floor, ytarget, explicit.is_none());
    let x0 = frame::plot_left(&t, &ch.y_label, frame::ticks_width(&yticks, t.tick));
    let x1 = c.w - t.pad - 8.0 * t.k;
    let plot = Rect { x0, y0, x1, y1 };

    frame::draw_y_axis(c, &t, plot, &ys, &yticks, &ch.y_label)?;
    if !ch.categories.is_empty() {
        let slots = Slots::new(ch, &t, plot);
        for (k, lab) in labels.iter().enumerate() {
            draw_category(c, &t, ch, &slots, &ys, k, lab)?;
        }
    }
    // The zero line, darker than the grid.
    if !ch.log_y && ys.lo < 0.0 && ys.hi > 0.0 {
        let yz = ymap(&ys, plot, 0.0);
        c.line(&[(x0, yz), (x1, yz)], frame::AXIS.to_rgba(), 1.0)?;
    }
    frame::draw_frame(c, plot)?;
    frame::draw_x_label(c, &t, plot, &ch.x_label)?;
    if !has_data {
        frame::draw_no_data(c, &t, plot)?;
    }
    Ok(())
}

/// One square legend entry per series.
fn legend(ch: &BarChart) -> Vec<LegendItem> {
    ch.groups
        .iter()
        .enumerate()
        .map(|(i, g)| LegendItem {
            name: g.name.clone(),
            color: PALETTE[i % PALETTE.len()],
            swatch: Swatch::Square,
        })
        .collect()
}

/// Series `g`'s value and CI half-width in category `k` (NaN when missing).
fn value(ch: &BarChart, g: usize, k: usize) -> (f64, Option<f64>) {
    ch.groups[g]
        .values
        .get(k)
        .copied()
        .unwrap_or((f64::NAN, None))
}

/// Category labels, wrapped to the (estimated) slot width.
fn category_labels<DB: DrawingBackend>(
    ch: &BarChart,
    c: &Canvas<DB>,
    t: &Theme,
) -> Vec<Vec<String>> {
    let ncat = ch.categories.len();
    let est_w = c.w - 2.0 * t.pad - 110.0 * t.k;
    let slot_est = if ncat > 0 { est_w / ncat as f64 } else { est_w };
    ch.categories
        .iter()
        .map(|l| wrap_text(l, t.tick, slot_est * 0.94, MAX_LABEL_LINES))
        .collect()
}

/// The value range `(lo, hi, smallest positive, has data)`: linear, it always includes
/// 0 and the error bars, with headroom for value labels; log, the positive values
/// widened by a fraction of the decades shown. A fixed range replaces both.
fn value_range(ch: &BarChart) -> (f64, f64, f64, bool) {
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    let mut has_data = false;
    let mut positive: Vec<f64> = Vec::new();
    for g in 0..ch.groups.len() {
        for k in 0..ch.categories.len() {
            let (v, ci) = value(ch, g, k);
            if !v.is_finite() {
                continue;
            }
            has_data = true;
            let e = ci.filter(|e| e.is_finite()).map(f64::abs).unwrap_or(0.0);
            lo = lo.min(v - e);
            hi = hi.max(v + e);
            positive.extend([v, v - e, v + e].into_iter().filter(|x| *x > 0.0));
        }
    }
    if hi == lo {
        hi = lo + 1.0;
    }
    let explicit = valid_range(ch.y_range, ch.log_y);
    let mut floor = 1.0;
    if ch.log_y {
        has_data = !positive.is_empty();
        let (a, b, f) = extent(positive.into_iter(), true).unwrap_or((1.0, 10.0, 1.0));
        (lo, hi, floor) = (a, b, f);
        if explicit.is_none() {
            // Headroom for value labels above the bars: a fraction of the decades shown.
            let decades = (hi.log10() - lo.log10()).max(1.0);
            hi *= 10f64.powf(decades * 0.07);
        }
    }
    if let Some((a, b)) = explicit {
        (lo, hi) = (a, b);
    } else if !ch.log_y {
        // Headroom for value labels above the bars.
        let span = hi - lo;
        if hi > 0.0 {
            hi += span * 0.06;
        }
        if lo < 0.0 {
            lo -= span * 0.06;
        }
    }
    (lo, hi, floor, has_data)
}

/// The y of value `v`, kept just around the plot.
fn ymap(ys: &Scale, plot: Rect, v: f64) -> f64 {
    plot.y1 - ys.frac(v).clamp(-0.02, 1.02) * plot.h()
}

/// Where the bars go: one slot per category, a group of bars in the middle of each.
struct Slots {
    plot: Rect,
    /// Width of a category's slot.
    slot: f64,
    /// Width of the group of bars in a slot.
    gw: f64,
    /// Width of one bar's place in the group (the bar, and `inner` space).
    bw: f64,
    /// Space between neighbouring bars.
    inner: f64,
    /// Whether bars get value labels.
    show_values: bool,
    /// Font size of value labels.
    vsize: f64,
}

impl Slots {
    fn new(ch: &BarChart, t: &Theme, plot: Rect) -> Self {
        let (ncat, ngroups) = (ch.categories.len(), ch.groups.len());
        let slot = plot.w() / ncat as f64;
        let gw = slot * 0.78;
        let bw = if ngroups > 0 { gw / ngroups as f64 } else { gw };
        let inner = (bw * 0.08).min(4.0 * t.k);
        let drawn = (0..ngroups)
            .flat_map(|g| (0..ncat).map(move |k| (g, k)))
            .filter(|&(g, k)| value(ch, g, k).0.is_finite())
            .count();
        Slots {
            plot,
            slot,
            gw,
            bw,
            inner,
            show_values: drawn <= VALUES_UP_TO,
            vsize: t.note * 0.95,
        }
    }

    /// Centre of category `k`'s slot.
    fn centre(&self, k: usize) -> f64 {
        self.plot.x0 + self.slot * (k as f64 + 0.5)
    }

    /// Left and right edges of series `g`'s bar in category `k`.
    fn bar_edges(&self, k: usize, g: usize) -> (f64, f64) {
        let bx0 = self.centre(k) - self.gw / 2.0 + self.bw * g as f64 + self.inner / 2.0;
        (bx0, bx0 + self.bw - self.inner)
    }
}

/// Category `k`: its label lines under the plot, then each series' bar.
fn draw_category<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    ch: &BarChart,
    s: &Slots,
    ys: &Scale,
    k: usize,
    lab: &[String],
) -> Result<(), ChartError> {
    let (cx, y1) = (s.centre(k), s.plot.y1);
    for (li, line) in lab.iter().enumerate() {
        let text = fit_text(line, t.tick, false, s.slot * 0.98);
        c.text(
            &text,
            (cx, y1 + 10.0 * t.k + t.tick * (0.45 + 1.05 * li as f64)),
            TextOpts::new(t.tick, TEXT).align(Align::Center),
        )?;
    }
    for g in 0..ch.groups.len() {
        let (v, ci) = value(ch, g, k);
        if !v.is_finite() {
            continue;
        }
        if ch.log_y && v <= 0.0 {
            // No bar on a log axis; say it is zero (not missing).
            if s.show_values && v == 0.0 {
                let bx = cx - s.gw / 2.0 + s.bw * (g as f64 + 0.5);
                c.text(
                    "0",
                    (bx, y1 - s.vsize * 0.55),
                    TextOpts::new(s.vsize, MUTED).align(Align::Center),
                )?;
            }
            continue;
        }
        let top_y = draw_bar(c, t, ch, s, ys, (k, g), (v, ci))?;
        if s.show_values {
            draw_value_label(c, ch, s, (k, g), v, top_y)?;
        }
    }
    Ok(())
}

/// Series `g`'s bar in category `k` and its error bar; returns the y of their top
/// (bottom, for a negative value), where the value label goes.
fn draw_bar<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    ch: &BarChart,
    s: &Slots,
    ys: &Scale,
    (k, g): (usize, usize),
    (v, ci): (f64, Option<f64>),
) -> Result<f64, ChartError> {
    let (bx0, bx1) = s.bar_edges(k, g);
    let base = if ch.log_y {
        ys.lo
    } else {
        0.0f64.max(ys.lo).min(ys.hi)
    };
    let (ya, yb) = (ymap(ys, s.plot, base), ymap(ys, s.plot, v));
    c.fill_rect(
        Rect {
            x0: bx0,
            y0: ya.min(yb),
            x1: bx1,
            y1: ya.max(yb),
        },
        PALETTE[g % PALETTE.len()].to_rgba(),
    )?;
    let mut top_y = yb;
    if let Some(e) = ci.filter(|e| e.is_finite() && *e > 0.0) {
        let low = if ch.log_y && v - e <= 0.0 {
            s.plot.y1
        } else {
            ymap(ys, s.plot, v - e)
        };
        let (ea, eb) = (low, ymap(ys, s.plot, v + e));
        let mx = (bx0 + bx1) / 2.0;
        let cap = ((bx1 - bx0) * 0.22).min(10.0 * t.k);
        let ec = TEXT.mix(0.85);
        let lw = 2.0 * t.k;
        c.line(&[(mx, ea), (mx, eb)], ec, lw)?;
        c.line(&[(mx - cap, ea), (mx + cap, ea)], ec, lw)?;
        c.line(&[(mx - cap, eb), (mx + cap, eb)], ec, lw)?;
        top_y = if v >= 0.0 { eb.min(yb) } else { ea.max(yb) };
    }
    Ok(top_y)
}

/// The value label over (under, if negative) series `g`'s bar in category `k`. It
/// may spill over a neighbouring slot that has no bar; too wide, it gets a smaller
/// font, and is dropped if that does not fit either.
fn draw_value_label<DB: DrawingBackend>(
    c: &Canvas<DB>,
    ch: &BarChart,
    s: &Slots,
    (k, g): (usize, usize),
    v: f64,
    top_y: f64,
) -> Result<(), ChartError> {
    let (bx0, bx1) = s.bar_edges(k, g);
    let text = match ch.groups[g].labels.get(k) {
        Some(l) if !l.is_empty() => l.clone(),
        _ => format_value(v),
    };
    // Past the group's edge: half the gap between groups.
    let free = |n: Option<usize>| match n {
        Some(n) if n < ch.groups.len() => {
            if value(ch, n, k).0.is_finite() {
                0.0
            } else {
                s.bw
            }
        }
        _ => (s.slot - s.gw) / 2.0,
    };
    let room = free(g.checked_sub(1)).min(free(Some(g + 1))) * 2.0;
    let fits = |size: f64| text_width(&text, size, false) <= (bx1 - bx0) + s.inner + 2.0 + room;
    let Some(size) = [s.vsize, s.vsize * 0.8].into_iter().find(|&z| fits(z)) else {
        return Ok(());
    };
    let y = if v >= 0.0 {
        top_y - size * 0.55
    } else {
        top_y + size * 0.6
    };
    if y > s.plot.y0 - size * 0.3 && y < s.plot.y1 + size * 0.3 {
        c.text(
            &text,
            ((bx0 + bx1) / 2.0, y),
            TextOpts::new(size, MUTED).align(Align::Center),
        )?;
    }
    Ok(())
}

/// A compact value label: 3 significant digits, k/M suffixes for large values.
pub(crate) fn format_value(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let ax = x.abs();
    let s = if ax == 0.0 {
        "0".to_string()
    } else if ax >= 100.0 {
        format!("{x:.0}")
    } else if ax >= 10.0 {
        format!("{x:.1}")
    } else if ax >= 1.0 {
        format!("{x:.2}")
    } else if ax >= 0.001 {
        let d = (2.0 - ax.log10().floor()) as usize;
        format!("{x:.d$}")
    } else {
        format!("{x:.1e}")
    };
    let s = if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    s + suffix
}
