//! What every chart shares: theme, palette, title, legend, axes, grid, fault windows.

use crate::axis::{make_axis, Scale, Ticks};
use crate::canvas::{Align, Canvas, TextOpts};
use crate::data::Window;
use crate::error::ChartError;
use crate::geom::Rect;
use crate::text::{fit_text, text_width};
use plotters::prelude::*;

/// Okabe–Ito colour-blind-safe palette, ordered for lines on white (yellow last).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

pub(crate) const TEXT: RGBColor = RGBColor(0x1f, 0x1f, 0x1f);
pub(crate) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const AXIS: RGBColor = RGBColor(0x70, 0x70, 0x70);
pub(crate) const GRID: RGBColor = RGBColor(0xe2, 0xe2, 0xe2);
pub(crate) const GRID_MINOR: RGBColor = RGBColor(0xf1, 0xf1, 0xf1);
pub(crate) const WINDOW: RGBColor = RGBColor(0x80, 0x80, 0x80);

/// Sizes in logical pixels, scaled by the canvas' typographic scale.
pub(crate) struct Theme {
    pub pad: f64,
    pub title: f64,
    pub label: f64,
    pub tick: f64,
    pub legend: f64,
    pub note: f64,
    pub line: f64,
    pub k: f64,
}

impl Theme {
    pub fn new(k: f64) -> Self {
        Theme {
            pad: 24.0 * k,
            title: 32.0 * k,
            label: 24.0 * k,
            tick: 21.0 * k,
            legend: 22.0 * k,
            note: 19.0 * k,
            line: 3.0 * k,
            k,
        }
    }
}

/// What a legend entry's swatch looks like.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    /// A line, with a translucent band behind it if the series has one.
    Line {
        /// Whether the series has a band.
        band: bool,
        /// Dashed (series past the first cycle of the palette).
        dashed: bool,
    },
    /// A filled square (bars).
    Square,
}

pub(crate) struct LegendItem {
    pub name: String,
    pub color: RGBColor,
    pub swatch: Swatch,
}

const SWATCH_W: f64 = 30.0;

/// Dash and gap lengths of dashed series lines.
pub(crate) fn dash_pattern(t: &Theme) -> (f64, f64) {
    (9.0 * t.k, 5.0 * t.k)
}

fn legend_rows(items: &[LegendItem], t: &Theme, max_w: f64) -> Vec<Vec<(usize, String, f64)>> {
    let gap = 28.0 * t.k;
    let sw = SWATCH_W * t.k + 8.0 * t.k;
    let mut rows: Vec<Vec<(usize, String, f64)>> = Vec::new();
    let mut row: Vec<(usize, String, f64)> = Vec::new();
    let mut used = 0.0;
    for (i, it) in items.iter().enumerate() {
        let name = fit_text(&it.name, t.legend, false, (max_w - sw).max(20.0));
        let w = sw + text_width(&name, t.legend, false);
        let need = if row.is_empty() { w } else { used + gap + w };
        if !row.is_empty() && need > max_w {
            rows.push(std::mem::take(&mut row));
            used = w;
        } else {
            used = need;
        }
        row.push((i, name, w));
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

/// Draw the title and the legend (centred); returns the y below them.
pub(crate) fn draw_top<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    title: &str,
    items: &[LegendItem],
) -> Result<f64, ChartError> {
    let mut y = t.pad;
    if !title.is_empty() {
        let s = fit_text(title, t.title, true, c.w - 2.0 * t.pad);
        c.text(
            &s,
            (c.w / 2.0, y + t.title * 0.45),
            TextOpts::new(t.title, TEXT).bold().align(Align::Center),
        )?;
        y += t.title * 1.15;
    }
    if items.is_empty() {
        return Ok(y + 6.0 * t.k);
    }
    y += 4.0 * t.k;
    let gap = 28.0 * t.k;
    let row_h = t.legend * 1.2;
    for row in legend_rows(items, t, c.w - 2.0 * t.pad) {
        let total: f64 = row.iter().map(|r| r.2).sum::<f64>() + gap * (row.len() as f64 - 1.0);
        let mut x = (c.w - total) / 2.0;
        let cy = y + row_h / 2.0;
        for (i, name, w) in row {
            let it = &items[i];
            let sw = SWATCH_W * t.k;
            match it.swatch {
                Swatch::Line { band, dashed } => {
                    if band {
                        c.fill_rect(
                            Rect {
                                x0: x,
                                y0: cy - 8.0 * t.k,
                                x1: x + sw,
                                y1: cy + 8.0 * t.k,
                            },
                            it.color.mix(0.2),
                        )?;
                    }
                    if dashed {
                        let (d, g) = dash_pattern(t);
                        c.dashed_line(&[(x, cy), (x + sw, cy)], it.color.to_rgba(), t.line, d, g)?;
                    } else {
                        c.line(&[(x, cy), (x + sw, cy)], it.color.to_rgba(), t.line)?;
                    }
                }
                Swatch::Square => {
                    let s = 9.0 * t.k;
                    c.fill_rect(
                        Rect {
                            x0: x + sw / 2.0 - s,
                            y0: cy - s,
                            x1: x + sw / 2.0 + s,
                            y1: cy + s,
                        },
                        it.color.to_rgba(),
                    )?;
                }
            }
            c.text(
                &name,
                (x + sw + 8.0 * t.k, cy),
                TextOpts::new(t.legend, TEXT),
            )?;
            x += w + gap;
        }
        y += row_h;
    }
    Ok(y + 8.0 * t.k)
}

/// Height of the strip above the plot that holds fault-window labels.
fn window_strip_height(windows: &[Window], t: &Theme) -> f64 {
    let n = windows.iter().filter(|w| valid_window(w)).count();
    match n {
        0 => 0.0,
        1 => t.note * 1.2,
        _ => t.note * 2.3,
    }
}

fn valid_window(w: &Window) -> bool {
    w.start.is_finite() && w.end.is_finite()
}

/// Shade the fault windows over the plot (`fill`: translucent fill; otherwise an
/// outline) and label them in the strip above the plot.
pub(crate) fn draw_windows<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    plot: Rect,
    xs: &Scale,
    windows: &[Window],
    fill: bool,
) -> Result<(), ChartError> {
    let mut placed: Vec<Vec<(f64, f64)>> = vec![Vec::new(), Vec::new()];
    let mut list: Vec<&Window> = windows.iter().filter(|w| valid_window(w)).collect();
    list.sort_by(|a, b| a.start.min(a.end).total_cmp(&b.start.min(b.end)));
    let rows = if list.len() > 1 { 2 } else { 1 };
    for w in list {
        let (s, e) = (w.start.min(w.end), w.start.max(w.end));
        let x0 = plot.x0 + xs.frac(s).clamp(0.0, 1.0) * plot.w();
        let x1 = plot.x0 + xs.frac(e).clamp(0.0, 1.0) * plot.w();
        if x1 - x0 < 0.5 && (xs.frac(s) > 1.0 || xs.frac(e) < 0.0) {
            continue; // entirely outside the axis
        }
        let (x0, x1) = if x1 - x0 < 2.0 {
            (x0 - 1.0, x0 + 1.0)
        } else {
            (x0, x1)
        };
        let r = Rect {
            x0,
            y0: plot.y0,
            x1,
            y1: plot.y1,
        };
        if fill {
            c.fill_rect(r, WINDOW.mix(0.16))?;
        }
        let edge = if fill {
            WINDOW.mix(0.55)
        } else {
            TEXT.mix(0.75)
        };
        let lw = if fill { 1.0 } else { 2.0 * t.k };
        c.line(&[(x0, plot.y0), (x0, plot.y1)], edge, lw)?;
        c.line(&[(x1, plot.y0), (x1, plot.y1)], edge, lw)?;
        if !fill {
            c.line(&[(x0, plot.y0), (x1, plot.y0)], edge, lw)?;
            c.line(&[(x0, plot.y1), (x1, plot.y1)], edge, lw)?;
        }
        // Label: centred over the window, kept inside the plot, in the first row
        // where it does not collide; shortened if it collides everywhere.
        if w.label.is_empty() {
            continue;
        }
        let mut label = w.label.clone();
        let mut lw_px = text_width(&label, t.note, false);
        let max_w = plot.w();
        if lw_px > max_w {
            label = fit_text(&label, t.note, false, max_w);
            lw_px = text_width(&label, t.note, false);
        }
        let centre = ((x0 + x1) / 2.0).clamp(plot.x0 + lw_px / 2.0, plot.x1 - lw_px / 2.0);
        let mut chosen = None;
        for (row, spans) in placed.iter().enumerate().take(rows) {
            let (a, b) = (centre - lw_px / 2.0, centre + lw_px / 2.0);
            if spans.iter().all(|&(p, q)| b + 8.0 < p || a > q + 8.0) {
                chosen = Some((row, label.clone(), a, b));
                break;
            }
        }
        let (row, text, a, b) = match chosen {
            Some(v) => v,
            None => {
                // Shorten to the window's own width in the last row.
                let row = rows - 1;
                let prev_end = placed[row].iter().map(|s| s.1).fold(plot.x0, f64::max);
                let a = (prev_end + 8.0).max(x0);
                let avail = (plot.x1.min(x1.max(a + 40.0 * t.k)) - a).max(0.0);
                let s = fit_text(&w.label, t.note, false, avail);
                let wpx = text_width(&s, t.note, false);
                (row, s, a, a + wpx)
            }
        };
        if text.is_empty() {
            continue;
        }
        let stacked = rows - 1 - row; // row 0 is the top one
        let cy = plot.y0 - 4.0 * t.k - t.note * (0.55 + 1.1 * stacked as f64);
        c.text(
            &text,
            ((a + b) / 2.0, cy),
            TextOpts::new(t.note, MUTED).align(Align::Center),
        )?;
        placed[row].push((a, b));
    }
    Ok(())
}

/// Pick x ticks whose labels do not collide, for a plot `width` wide.
pub(crate) fn x_axis_fitting(
    lo: f64,
    hi: f64,
    log: bool,
    floor: f64,
    width: f64,
    expand: bool,
    t: &Theme,
) -> (Scale, Ticks) {
    let mut target = ((width / (95.0 * t.k)) as usize).clamp(2, 14);
    loop {
        let (s, ticks) = make_axis(lo, hi, log, floor, target, expand);
        let fits = ticks.major.windows(2).all(|p| {
            let (a, b) = (s.frac(p[0].0) * width, s.frac(p[1].0) * width);
            let need = (text_width(&p[0].1, t.tick, false) + text_width(&p[1].1, t.tick, false))
                / 2.0
                + 14.0 * t.k;
            b - a >= need
        });
        if fits || target <= 2 {
            return (s, ticks);
        }
        target -= 1;
    }
}

/// Width of the widest tick label.
pub(crate) fn ticks_width(ticks: &Ticks, size: f64) -> f64 {
    ticks
        .major
        .iter()
        .map(|(_, l)| text_width(l, size, false))
        .fold(0.0, f64::max)
}

/// Horizontal grid lines (and their tick labels left of the plot) for a y scale.
pub(crate) fn draw_y_axis<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    plot: Rect,
    ys: &Scale,
    ticks: &Ticks,
    label: &str,
) -> Result<(), ChartError> {
    for &v in &ticks.minor {
        let f = ys.frac(v);
        if (0.0..=1.0).contains(&f) {
            let y = plot.y1 - f * plot.h();
            c.line(&[(plot.x0, y), (plot.x1, y)], GRID_MINOR.to_rgba(), 1.0)?;
        }
    }
    for (v, l) in &ticks.major {
        let f = ys.frac(*v);
        if !(-1e-9..=1.0 + 1e-9).contains(&f) {
            continue;
        }
        let y = plot.y1 - f * plot.h();
        c.line(&[(plot.x0, y), (plot.x1, y)], GRID.to_rgba(), 1.0)?;
        c.line(
            &[(plot.x0 - 6.0 * t.k, y), (plot.x0, y)],
            AXIS.to_rgba(),
            1.0,
        )?;
        c.text(
            l,
            (plot.x0 - 10.0 * t.k, y),
            TextOpts::new(t.tick, MUTED).align(Align::Right),
        )?;
    }
    if !label.is_empty() {
        let s = fit_text(label, t.label, false, plot.h() + 40.0 * t.k);
        c.text(
            &s,
            (t.pad + t.label * 0.42, (plot.y0 + plot.y1) / 2.0),
            TextOpts::new(t.label, TEXT).align(Align::Center).vertical(),
        )?;
    }
    Ok(())
}

/// Vertical grid lines, tick labels under the plot and the x label.
pub(crate) fn draw_x_axis<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    plot: Rect,
    xs: &Scale,
    ticks: &Ticks,
    label: &str,
    grid: bool,
) -> Result<(), ChartError> {
    for &v in &ticks.minor {
        let f = xs.frac(v);
        if grid && (0.0..=1.0).contains(&f) {
            let x = plot.x0 + f * plot.w();
            c.line(&[(x, plot.y0), (x, plot.y1)], GRID_MINOR.to_rgba(), 1.0)?;
        }
    }
    for (v, l) in &ticks.major {
        let f = xs.frac(*v);
        if !(-1e-9..=1.0 + 1e-9).contains(&f) {
            continue;
        }
        let x = plot.x0 + f * plot.w();
        if grid {
            c.line(&[(x, plot.y0), (x, plot.y1)], GRID.to_rgba(), 1.0)?;
        }
        c.line(
            &[(x, plot.y1), (x, plot.y1 + 6.0 * t.k)],
            AXIS.to_rgba(),
            1.0,
        )?;
        c.text(
            l,
            (x, plot.y1 + 10.0 * t.k + t.tick * 0.45),
            TextOpts::new(t.tick, MUTED).align(Align::Center),
        )?;
    }
    draw_x_label(c, t, plot, label)
}

/// The x axis label, centred under the plot at the bottom of the chart.
pub(crate) fn draw_x_label<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    plot: Rect,
    label: &str,
) -> Result<(), ChartError> {
    if label.is_empty() {
        return Ok(());
    }
    let s = fit_text(label, t.label, false, c.w - 2.0 * t.pad);
    let x = ((plot.x0 + plot.x1) / 2.0).clamp(
        t.pad + text_width(&s, t.label, false) / 2.0,
        c.w - t.pad - text_width(&s, t.label, false) / 2.0,
    );
    c.text(
        &s,
        (x, c.h - t.pad - t.label * 0.42),
        TextOpts::new(t.label, TEXT).align(Align::Center),
    )
}

/// Left and bottom axis lines.
pub(crate) fn draw_frame<DB: DrawingBackend>(c: &Canvas<DB>, plot: Rect) -> Result<(), ChartError> {
    c.line(
        &[(plot.x0, plot.y0), (plot.x0, plot.y1), (plot.x1, plot.y1)],
        AXIS.to_rgba(),
        1.0,
    )
}

/// "no data" in the middle of the plot.
pub(crate) fn draw_no_data<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    plot: Rect,
) -> Result<(), ChartError> {
    c.text(
        "no data",
        ((plot.x0 + plot.x1) / 2.0, (plot.y0 + plot.y1) / 2.0),
        TextOpts::new(t.label, MUTED).align(Align::Center),
    )
}

/// Top of the plot area below the title and legend (ending at `top`), leaving room
/// for the fault-window labels.
pub(crate) fn plot_top(top: f64, windows: &[Window], t: &Theme) -> f64 {
    let strip = window_strip_height(windows, t);
    top + strip + if strip > 0.0 { 6.0 * t.k } else { 0.0 }
}

/// Bottom of the plot area, leaving room for `tick_lines` lines of tick labels and the
/// x label.
pub(crate) fn plot_bottom(c_h: f64, t: &Theme, x_label: &str, tick_lines: usize) -> f64 {
    let label = if x_label.is_empty() {
        0.0
    } else {
        t.label * 1.05 + 6.0 * t.k
    };
    c_h - t.pad - label - tick_lines as f64 * t.tick * 1.05 - 12.0 * t.k
}

/// Left edge of the plot area given the y tick labels' width.
pub(crate) fn plot_left(t: &Theme, y_label: &str, tick_w: f64) -> f64 {
    let label = if y_label.is_empty() {
        0.0
    } else {
        t.label * 1.05 + 8.0 * t.k
    };
    t.pad + label + tick_w + 14.0 * t.k
}
