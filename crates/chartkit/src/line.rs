//! Line charts: time series, CDFs, sweeps.
//!
//! Drawn in steps: legend and title, data ranges, layout (the plot rectangle and both
//! scales), axes and fault windows, bands, lines and markers, frame.

use crate::axis::{extent, make_axis, valid_range, Scale, Ticks};
use crate::canvas::Canvas;
use crate::data::LineChart;
use crate::error::ChartError;
use crate::frame::{self, x_axis_fitting, LegendItem, Swatch, Theme, PALETTE};
use crate::geom::{clip_polygon, clip_polyline, Rect};
use plotters::prelude::*;

/// Series with at most this many points get a marker on every point.
const MARKERS_UP_TO: usize = 30;

fn finite(p: (f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

pub(crate) fn draw<DB: DrawingBackend>(ch: &LineChart, c: &Canvas<DB>) -> Result<(), ChartError> {
    let t = Theme::new(c.k);
    let top = frame::draw_top(c, &t, &ch.title, &legend(ch))?;
    let y0 = frame::plot_top(top, &ch.windows, &t);
    let y1 = frame::plot_bottom(c.h, &t, &ch.x_label, 1);
    let l = layout(ch, c, &t, y0, y1);
    let plot = l.plot;

    frame::draw_y_axis(c, &t, plot, &l.ys, &l.yticks, &ch.y_label)?;
    frame::draw_x_axis(c, &t, plot, &l.xs, &l.xticks, &ch.x_label, true)?;
    frame::draw_windows(c, &t, plot, &l.xs, &ch.windows, true)?;

    // A tiny tolerance so that points exactly on the frame are not clipped away.
    let clip = Rect {
        x0: plot.x0 - 0.5,
        y0: plot.y0 - 0.5,
        x1: plot.x1 + 0.5,
        y1: plot.y1 + 0.5,
    };
    draw_bands(c, ch, &l, clip)?;
    draw_lines(c, &t, ch, &l, clip)?;
    frame::draw_frame(c, plot)?;
    if !ch
        .series
        .iter()
        .any(|s| s.points.iter().any(|p| finite(*p)))
    {
        frame::draw_no_data(c, &t, plot)?;
    }
    Ok(())
}

/// One legend entry per series: its palette colour, dashed past the palette's length.
fn legend(ch: &LineChart) -> Vec<LegendItem> {
    ch.series
        .iter()
        .enumerate()
        .map(|(i, s)| LegendItem {
            name: s.name.clone(),
            color: PALETTE[i % PALETTE.len()],
            swatch: Swatch::Line {
                band: s.band.is_some(),
                dashed: i >= PALETTE.len(),
            },
        })
        .collect()
}

/// The plot rectangle and both scales with their ticks.
struct Layout {
    plot: Rect,
    xs: Scale,
    xticks: Ticks,
    ys: Scale,
    yticks: Ticks,
}

impl Layout {
    /// A data point in logical pixels.
    fn map(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let p = self.plot;
        (
            p.x0 + self.xs.frac(x) * p.w(),
            p.y1 - self.ys.frac(y) * p.h(),
        )
    }
}

/// The x and y data ranges `(lo, hi, smallest positive)` (bands included), with the
/// chart's fixed ranges applied and a linear y axis from 0 when the data allows it.
fn data_ranges(ch: &LineChart) -> ((f64, f64, f64), (f64, f64, f64)) {
    let xs_iter = || {
        ch.series.iter().flat_map(|s| {
            s.points.iter().filter(|p| finite(**p)).map(|p| p.0).chain(
                s.band
                    .iter()
                    .flatten()
                    .filter(|b| b.0.is_finite())
                    .map(|b| b.0),
            )
        })
    };
    let ys_iter = || {
        ch.series.iter().flat_map(|s| {
            s.points.iter().filter(|p| finite(**p)).map(|p| p.1).chain(
                s.band
                    .iter()
                    .flatten()
                    .filter(|b| b.0.is_finite())
                    .flat_map(|b| [b.1, b.2]),
            )
        })
    };
    let xe = extent(xs_iter(), ch.log_x);
    let ye = extent(ys_iter(), ch.log_y);
    let (mut xlo, mut xhi, xfloor) = xe.unwrap_or((0.0, 1.0, 1.0));
    let (mut ylo, mut yhi, yfloor) = ye.unwrap_or((0.0, 1.0, 1.0));
    if ch.log_x && xe.is_none() {
        (xlo, xhi) = (1.0, 10.0);
    }
    if ch.log_y && ye.is_none() {
        (ylo, yhi) = (1.0, 10.0);
    }
    if !ch.log_y && ylo >= 0.0 && ylo <= 0.5 * yhi {
        ylo = 0.0;
    }
    if let Some((a, b)) = valid_range(ch.x_range, ch.log_x) {
        (xlo, xhi) = (a, b);
    }
    if let Some((a, b)) = valid_range(ch.y_range, ch.log_y) {
        (ylo, yhi) = (a, b);
    }
    ((xlo, xhi, xfloor), (ylo, yhi, yfloor))
}

/// The y ticks first (their width sets the plot's left edge), then x ticks that fit.
fn layout<DB: DrawingBackend>(
    ch: &LineChart,
    c: &Canvas<DB>,
    t: &Theme,
    y0: f64,
    y1: f64,
) -> Layout {
    let ((xlo, xhi, xfloor), (ylo, yhi, yfloor)) = data_ranges(ch);
    let ytarget = ((y1 - y0) / (64.0 * t.k)).clamp(2.0, 10.0) as usize;
    let (ys, yticks) = make_axis(
        ylo,
        yhi,
        ch.log_y,
        yfloor,
        ytarget,
        valid_range(ch.y_range, ch.log_y).is_none(),
    );
    let x0 = frame::plot_left(t, &ch.y_label, frame::ticks_width(&yticks, t.tick));
    let x1 = c.w - t.pad - 24.0 * t.k;
    let (xs, xticks) = x_axis_fitting(
        xlo,
        xhi,
        ch.log_x,
        xfloor,
        x1 - x0,
        valid_range(ch.x_range, ch.log_x).is_none(),
        t,
    );
    Layout {
        plot: Rect { x0, y0, x1, y1 },
        xs,
        xticks,
        ys,
        yticks,
    }
}

/// Each series' band, translucent: one polygon per run of finite band points.
fn draw_bands<DB: DrawingBackend>(
    c: &Canvas<DB>,
    ch: &LineChart,
    l: &Layout,
    clip: Rect,
) -> Result<(), ChartError> {
    for (i, s) in ch.series.iter().enumerate() {
        if let Some(band) = &s.band {
            let color = PALETTE[i % PALETTE.len()];
            let mut runs: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new()];
            for &b in band {
                if b.0.is_finite() && b.1.is_finite() && b.2.is_finite() {
                    runs.last_mut().expect("non-empty").push(b);
                } else if !runs.last().expect("non-empty").is_empty() {
                    runs.push(Vec::new());
                }
            }
            for run in runs.iter().filter(|r| r.len() >= 2) {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|b| l.map((b.0, b.1))).collect();
                poly.extend(run.iter().rev().map(|b| l.map((b.0, b.2))));
                let poly = clip_polygon(&poly, clip);
                c.polygon(&poly, color.mix(0.18))?;
            }
        }
    }
    Ok(())
}

/// Each series' line, broken at non-finite points and clipped to the plot; a marker
/// on every point of a short series (and on an isolated point).
fn draw_lines<DB: DrawingBackend>(
    c: &Canvas<DB>,
    t: &Theme,
    ch: &LineChart,
    l: &Layout,
    clip: Rect,
) -> Result<(), ChartError> {
    for (i, s) in ch.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let n_finite = s.points.iter().filter(|p| finite(**p)).count();
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for &p in &s.points {
            if finite(p) {
                runs.last_mut().expect("non-empty").push(l.map(p));
            } else if !runs.last().expect("non-empty").is_empty() {
                runs.push(Vec::new());
            }
        }
        for run in &runs {
            for part in clip_polyline(run, clip) {
                if i >= PALETTE.len() {
                    let (d, g) = frame::dash_pattern(t);
                    c.dashed_line(&part, color.to_rgba(), t.line, d, g)?;
                } else {
                    c.line(&part, color.to_rgba(), t.line)?;
                }
            }
            if n_finite <= MARKERS_UP_TO || run.len() == 1 {
                for &p in run {
                    if p.0 >= clip.x0 && p.0 <= clip.x1 && p.1 >= clip.y0 && p.1 <= clip.y1 {
                        c.circle(p, 4.5 * t.k, color.to_rgba())?;
                    }
                }
            }
        }
    }
    Ok(())
}
