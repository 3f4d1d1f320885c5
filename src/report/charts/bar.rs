//! Grouped bar charts with optional confidence-interval error bars.

use super::axis::{extent, make_axis};
use super::canvas::{fit_text, text_width, wrap_text, Align, Canvas, Rect, TextOpts};
use super::frame::{self, LegendItem, Swatch, Theme, MUTED, PALETTE, TEXT};
use super::line::valid_range;
use super::{BarChart, ChartError};
use plotters::prelude::*;

/// Category labels wrap onto at most this many lines.
const MAX_LABEL_LINES: usize = 4;

pub(crate) fn draw<DB: DrawingBackend>(ch: &BarChart, c: &Canvas<DB>) -> Result<(), ChartError> {
    let t = Theme::new(c.k);
    let items: Vec<LegendItem> = ch
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| LegendItem {
            name: g.name.clone(),
            color: PALETTE[i % PALETTE.len()],
            swatch: Swatch::Square,
        })
        .collect();
    let top = frame::draw_top(c, &t, &ch.title, &items)?;
    let ncat = ch.categories.len();
    let ngroups = ch.groups.len();
    let value = |g: usize, k: usize| -> (f64, Option<f64>) {
        ch.groups[g]
            .values
            .get(k)
            .copied()
            .unwrap_or((f64::NAN, None))
    };

    // Category labels, wrapped to the (estimated) slot width.
    let est_w = c.w - 2.0 * t.pad - 110.0 * t.k;
    let slot_est = if ncat > 0 { est_w / ncat as f64 } else { est_w };
    let labels: Vec<Vec<String>> = ch
        .categories
        .iter()
        .map(|l| wrap_text(l, t.tick, slot_est * 0.94, MAX_LABEL_LINES))
        .collect();
    let lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let y0 = top + t.tick * 0.6;
    let y1 = frame::plot_bottom(c.h, &t, &ch.x_label, lines);

    // Value range: always includes 0 (linear); error bars included.
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    let mut has_data = false;
    let mut positive: Vec<f64> = Vec::new();
    for g in 0..ngroups {
        for k in 0..ncat {
            let (v, ci) = value(g, k);
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
    let ytarget = ((y1 - y0) / (64.0 * t.k)).clamp(2.0, 10.0) as usize;
    let (ys, yticks) = make_axis(lo, hi, ch.log_y, floor, ytarget, explicit.is_none());
    let x0 = frame::plot_left(&t, &ch.y_label, frame::ticks_width(&yticks, t.tick));
    let x1 = c.w - t.pad - 8.0 * t.k;
    let plot = Rect { x0, y0, x1, y1 };
    let ymap = |v: f64| y1 - ys.frac(v).clamp(-0.02, 1.02) * plot.h();

    frame::draw_y_axis(c, &t, plot, &ys, &yticks, &ch.y_label)?;

    if ncat > 0 {
        let slot = plot.w() / ncat as f64;
        let gw = slot * 0.78;
        let bw = if ngroups > 0 { gw / ngroups as f64 } else { gw };
        let inner = (bw * 0.08).min(4.0 * t.k);
        let drawn = (0..ngroups)
            .flat_map(|g| (0..ncat).map(move |k| (g, k)))
            .filter(|&(g, k)| value(g, k).0.is_finite())
            .count();
        let show_values = drawn <= 24;
        let vsize = t.note * 0.95;
        for (k, lab) in labels.iter().enumerate() {
            let cx = x0 + slot * (k as f64 + 0.5);
            for (li, line) in lab.iter().enumerate() {
                let s = fit_text(line, t.tick, false, slot * 0.98);
                c.text(
                    &s,
                    (cx, y1 + 10.0 * t.k + t.tick * (0.45 + 1.05 * li as f64)),
                    TextOpts::new(t.tick, TEXT).align(Align::Center),
                )?;
            }
            for g in 0..ngroups {
                let (v, ci) = value(g, k);
                if !v.is_finite() {
                    continue;
                }
                let color = PALETTE[g % PALETTE.len()];
                let bx0 = cx - gw / 2.0 + bw * g as f64 + inner / 2.0;
                let bx1 = bx0 + bw - inner;
                if ch.log_y && v <= 0.0 {
                    // No bar on a log axis; say it is zero (not missing).
                    if show_values && v == 0.0 {
                        let bx = cx - gw / 2.0 + bw * (g as f64 + 0.5);
                        c.text(
                            "0",
                            (bx, y1 - vsize * 0.55),
                            TextOpts::new(vsize, MUTED).align(Align::Center),
                        )?;
                    }
                    continue;
                }
                let base = if ch.log_y {
                    ys.lo
                } else {
                    0.0f64.max(ys.lo).min(ys.hi)
                };
                let (ya, yb) = (ymap(base), ymap(v));
                c.fill_rect(
                    Rect {
                        x0: bx0,
                        y0: ya.min(yb),
                        x1: bx1,
                        y1: ya.max(yb),
                    },
                    color.to_rgba(),
                )?;
                let mut top_y = yb;
                if let Some(e) = ci.filter(|e| e.is_finite() && *e > 0.0) {
                    let low = if ch.log_y && v - e <= 0.0 {
                        y1
                    } else {
                        ymap(v - e)
                    };
                    let (ea, eb) = (low, ymap(v + e));
                    let mx = (bx0 + bx1) / 2.0;
                    let cap = ((bx1 - bx0) * 0.22).min(10.0 * t.k);
                    let ec = TEXT.mix(0.85);
                    let lw = 2.0 * t.k;
                    c.line(&[(mx, ea), (mx, eb)], ec, lw)?;
                    c.line(&[(mx - cap, ea), (mx + cap, ea)], ec, lw)?;
                    c.line(&[(mx - cap, eb), (mx + cap, eb)], ec, lw)?;
                    top_y = if v >= 0.0 { eb.min(yb) } else { ea.max(yb) };
                }
                if show_values {
                    let s = match ch.groups[g].labels.get(k) {
                        Some(l) if !l.is_empty() => l.clone(),
                        _ => format_value(v),
                    };
                    // A label may spill over a neighbouring slot that has no bar.
                    // (Past the group's edge: half the gap between groups.)
                    let free = |n: Option<usize>| match n {
                        Some(n) if n < ngroups => {
                            if value(n, k).0.is_finite() {
                                0.0
                            } else {
                                bw
                            }
                        }
                        _ => (slot - gw) / 2.0,
                    };
                    let room = free(g.checked_sub(1)).min(free(Some(g + 1))) * 2.0;
                    // A label too wide for its bar gets a smaller font before it is dropped.
                    let fits =
                        |size: f64| text_width(&s, size, false) <= (bx1 - bx0) + inner + 2.0 + room;
                    let size = [vsize, vsize * 0.8].into_iter().find(|&z| fits(z));
                    if let Some(size) = size {
                        let y = if v >= 0.0 {
                            top_y - size * 0.55
                        } else {
                            top_y + size * 0.6
                        };
                        if y > plot.y0 - size * 0.3 && y < plot.y1 + size * 0.3 {
                            c.text(
                                &s,
                                ((bx0 + bx1) / 2.0, y),
                                TextOpts::new(size, MUTED).align(Align::Center),
                            )?;
                        }
                    }
                }
            }
        }
    }
    // The zero line, darker than the grid.
    if !ch.log_y && ys.lo < 0.0 && ys.hi > 0.0 {
        let yz = ymap(0.0);
        c.line(&[(x0, yz), (x1, yz)], frame::AXIS.to_rgba(), 1.0)?;
    }
    frame::draw_frame(c, plot)?;
    frame::draw_x_label(c, &t, plot, &ch.x_label)?;
    if !has_data {
        frame::draw_no_data(c, &t, plot)?;
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
