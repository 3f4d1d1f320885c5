//! Heatmaps: one row per entity (e.g. service), columns along x (e.g. time), with a
//! colour-scale legend.

//!
//! Drawn in steps: title, the value scale, the layout (colour bar on the right, row
//! labels on the left), the cells, the axes and fault windows, the colour bar.

use crate::axis::{extent, make_axis, pad_range, valid_range, Scale, Ticks};
use crate::canvas::{Align, Canvas, TextOpts};
use crate::data::Heatmap;
use crate::error::ChartError;
use crate::frame::{self, x_axis_fitting, Theme, MUTED, TEXT};
use crate::geom::Rect;
use crate::text::{fit_text, text_width};
use plotters::prelude::*;
use std::sync::OnceLock;

/// Viridis (perceptually uniform, colour-blind safe) as matplotlib samples it at
/// t = 0, 0.1, ..., 1. plotters' own `ViridisRGB` has only 8 stops and strays up to
/// 13/255 from viridis between them (at t = 0.9), so the kit keeps these 11 and lets
/// plotters' `DerivedColorMap` interpolate.
const VIRIDIS: [RGBColor; 11] = [
    RGBColor(0x44, 0x01, 0x54),
    RGBColor(0x48, 0x24, 0x75),
    RGBColor(0x41, 0x44, 0x87),
    RGBColor(0x35, 0x5F, 0x8D),
    RGBColor(0x2A, 0x78, 0x8E),
    RGBColor(0x21, 0x91, 0x8C),
    RGBColor(0x22, 0xA8, 0x84),
    RGBColor(0x44, 0xBF, 0x70),
    RGBColor(0x7A, 0xD1, 0x51),
    RGBColor(0xBD, 0xDF, 0x26),
    RGBColor(0xFD, 0xE7, 0x25),
];

/// Cells without a finite value.
const MISSING: RGBColor = RGBColor(0xee, 0xee, 0xee);

/// The colour of `t` in [0, 1] (clamped; non-finite: 0) on the viridis scale.
pub(crate) fn viridis(t: f64) -> RGBColor {
    static MAP: OnceLock<DerivedColorMap<RGBColor>> = OnceLock::new();
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    MAP.get_or_init(|| DerivedColorMap::new(&VIRIDIS))
        .get_color(t)
}

/// Column edges: `x` holds either the columns' edges (columns + 1 values) or their
/// starts (the last column is as wide as the one before it, or 1 if it is alone).
/// Non-finite or decreasing positions make the edges fall back to 0, 1, 2, ...
fn column_edges(x: &[f64], cols: usize) -> Vec<f64> {
    let fallback = || (0..=cols).map(|i| i as f64).collect::<Vec<f64>>();
    if cols == 0 {
        return Vec::new();
    }
    let mut e: Vec<f64> = if x.len() > cols {
        x[..=cols].to_vec()
    } else if x.len() == cols {
        let w = if cols >= 2 {
            x[cols - 1] - x[cols - 2]
        } else {
            1.0
        };
        let mut v = x.to_vec();
        v.push(x[cols - 1] + w);
        v
    } else {
        return fallback();
    };
    if e.iter().any(|v| !v.is_finite()) || e.windows(2).any(|p| p[1] <= p[0]) {
        e = fallback();
    }
    e
}

/// Width of the colour bar itself.
const BAR_W: f64 = 22.0;

pub(crate) fn draw<DB: DrawingBackend>(ch: &Heatmap, c: &Canvas<DB>) -> Result<(), ChartError> {
    let t = Theme::new(c.k);
    let top = frame::draw_top(c, &t, &ch.title, &[])?;
    let y0 = frame::plot_top(top, &ch.windows, &t);
    let y1 = frame::plot_bottom(c.h, &t, &ch.x_label, 1);

    let nrows = ch.rows.len();
    let cols = ch.values.iter().map(Vec::len).max().unwrap_or(0);
    let edges = column_edges(&ch.x, cols);
    let has_data = nrows > 0
        && ch
            .values
            .iter()
            .take(nrows)
            .any(|r| r.iter().any(|v| v.is_finite()));
    let (vs, vticks) = value_scale(ch);
    let vt_w = frame::ticks_width(&vticks, t.tick);
    let rows = RowLabels::new(ch, c, &t, y1 - y0);
    let x0 = frame::plot_left(&t, &ch.y_label, rows.width);
    let x1 = c.w - t.pad - colour_bar_room(&t, vt_w, &ch.value_label);
    let plot = Rect { x0, y0, x1, y1 };

    let (xlo, xhi) = match (edges.first(), edges.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (0.0, 1.0),
    };
    let (xs, xticks) = x_axis_fitting(xlo, xhi, false, 1.0, plot.w(), false, &t);

    if nrows > 0 && cols > 0 {
        draw_rows(c, &t, ch, plot, (&xs, &vs), &edges, &rows)?;
    }
    if !ch.y_label.is_empty() {
        let s = fit_text(&ch.y_label, t.label, false, plot.h() + 40.0 * t.k);
        c.text(
            &s,
            (t.pad + t.label * 0.42, (y0 + y1) / 2.0),
            TextOpts::new(t.label, TEXT).align(Align::Center).vertical(),
        )?;
    }
    frame::draw_x_axis(c, &t, plot, &xs, &xticks, &ch.x_label, false)?;
    frame::draw_windows(c, &t, plot, &xs, &ch.windows, false)?;
    c.line(&[(x0, y1), (x1, y1)], frame::AXIS.to_rgba(), 1.0)?;
    draw_colour_bar(c, &t, ch, plot, (&vs, &vticks), vt_w)?;
    if !has_data {
        frame::draw_no_data(c, &t, plot)?;
    }
    Ok(())
}

/// The colour scale: the given range, else [0, 1] when the data fits, else the data's
/// extent; with about five ticks.
fn value_scale(ch: &Heatmap) -> (Scale, Ticks) {
    let (vlo, vhi) = match valid_range(ch.value_range, false) {
        Some(r) => r,
        None => match extent(ch.values.iter().flatten().copied(), false) {
            Some((a, b, _)) if a < 0.0 || b > 1.0 => {
                let (a, b) = pad_range(a, b, false);
                (a, b)
            }
            _ => (0.0, 1.0),
        },
    };
    make_axis(vlo, vhi, false, 1.0, 5, false)
}

/// Room right of the plot for the colour bar, its tick labels (`vt_w` wide) and its
/// rotated value label.
fn colour_bar_room(t: &Theme, vt_w: f64, value_label: &str) -> f64 {
    28.0 * t.k
        + BAR_W * t.k
        + 10.0 * t.k
        + vt_w
        + if value_label.is_empty() {
            0.0
        } else {
            12.0 * t.k + t.label * 1.05
        }
}

/// Row names, shortened to fit, in a font that fits the rows' height.
struct RowLabels {
    labels: Vec<String>,
    size: f64,
    /// Width of the widest label.
    width: f64,
}

impl RowLabels {
    fn new<DB: DrawingBackend>(ch: &Heatmap, c: &Canvas<DB>, t: &Theme, plot_h: f64) -> Self {
        let row_h_est = plot_h / ch.rows.len().max(1) as f64;
        let size = t.tick.min(row_h_est * 0.95).max(8.0 * t.k);
        let max_label = c.w * 0.28;
        let labels: Vec<String> = ch
            .rows
            .iter()
            .map(|r| fit_text(r, size, false, max_label))
            .collect();
        let width = labels
            .iter()
            .map(|l| text_width(l, size, false))
            .fold(0.0, f64::max);
        RowLabels {
            labels,
            size,
            width,
        }
    }
}

/// Every row's cells (runs of equal colour merged into one rectangle, for smaller
/// SVGs) and its label left of the plot.
fn draw_rows<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    ch: &Heatmap,
    plot: Rect,
    (xs, vs): (&Scale, &Scale),
    edges: &[f64],
    rows: &RowLabels,
) -> Result<(), ChartError> {
    let cols = edges.len() - 1;
    let rh = plot.h() / rows.labels.len() as f64;
    let gap = if rh >= 14.0 * t.k { 2.0 * t.k } else { 0.0 };
    for (r, label) in rows.labels.iter().enumerate() {
        let ry0 = plot.y0 + rh * r as f64;
        let row = ch.values.get(r).map(Vec::as_slice).unwrap_or(&[]);
        let colour = |j: usize| match row.get(j) {
            Some(v) if v.is_finite() => viridis(vs.frac(*v)),
            _ => MISSING,
        };
        let mut j = 0;
        while j < cols {
            let col = colour(j);
            let mut k = j + 1;
            while k < cols && colour(k) == col {
                k += 1;
            }
            let cx0 = plot.x0 + xs.frac(edges[j]) * plot.w();
            let cx1 = plot.x0 + xs.frac(edges[k]) * plot.w();
            c.fill_rect(
                Rect {
                    x0: cx0,
                    y0: ry0 + gap / 2.0,
                    x1: cx1,
                    y1: ry0 + rh - gap / 2.0,
                },
                col.to_rgba(),
            )?;
            j = k;
        }
        c.text(
            label,
            (plot.x0 - 10.0 * t.k, ry0 + rh / 2.0),
            TextOpts::new(rows.size, TEXT).align(Align::Right),
        )?;
    }
    Ok(())
}

/// The colour bar right of the plot, its ticks and its value label.
fn draw_colour_bar<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    ch: &Heatmap,
    plot: Rect,
    (vs, vticks): (&Scale, &Ticks),
    vt_w: f64,
) -> Result<(), ChartError> {
    let (y0, y1) = (plot.y0, plot.y1);
    let bx0 = plot.x1 + 28.0 * t.k;
    let bx1 = bx0 + BAR_W * t.k;
    let steps = 128;
    for i in 0..steps {
        let f0 = i as f64 / steps as f64;
        let f1 = (i + 1) as f64 / steps as f64;
        c.fill_rect(
            Rect {
                x0: bx0,
                y0: y1 - f1 * plot.h(),
                x1: bx1,
                y1: y1 - f0 * plot.h(),
            },
            viridis((f0 + f1) / 2.0).to_rgba(),
        )?;
    }
    for (v, l) in &vticks.major {
        let f = vs.frac(*v);
        if !(-1e-9..=1.0 + 1e-9).contains(&f) {
            continue;
        }
        let y = y1 - f * plot.h();
        c.line(
            &[(bx1, y), (bx1 + 5.0 * t.k, y)],
            frame::AXIS.to_rgba(),
            1.0,
        )?;
        c.text(
            l,
            (bx1 + 9.0 * t.k, y),
            TextOpts::new(t.tick, MUTED).align(Align::Left),
        )?;
    }
    if !ch.value_label.is_empty() {
        let s = fit_text(&ch.value_label, t.label, false, plot.h() + 40.0 * t.k);
        let lx = bx1 + 9.0 * t.k + vt_w + 12.0 * t.k + t.label * 0.42;
        c.text(
            &s,
            (lx, (y0 + y1) / 2.0),
            TextOpts::new(t.label, TEXT).align(Align::Center).vertical(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_hits_its_samples_and_clamps() {
        assert_eq!(viridis(0.0), VIRIDIS[0]);
        assert_eq!(viridis(0.5), VIRIDIS[5]);
        assert_eq!(viridis(1.0), VIRIDIS[10]);
        assert_eq!(viridis(2.0), VIRIDIS[10]);
        assert_eq!(viridis(-1.0), VIRIDIS[0]);
        assert_eq!(viridis(f64::NAN), VIRIDIS[0]);
        // Halfway between two samples: their rounded mean.
        assert_eq!(viridis(0.85), RGBColor(0x9C, 0xD8, 0x3C));
    }
}
