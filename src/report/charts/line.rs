//! Line charts: time series, CDFs, sweeps.

use super::axis::{extent, make_axis, Scale, Ticks};
use super::canvas::{clip_polygon, clip_polyline, text_width, Canvas, Rect};
use super::frame::{self, LegendItem, Swatch, Theme, PALETTE};
use super::{ChartError, LineChart};
use plotters::prelude::*;

/// Series with at most this many points get a marker on every point.
const MARKERS_UP_TO: usize = 30;

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

fn finite(p: (f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

pub(crate) fn draw<DB: DrawingBackend>(ch: &LineChart, c: &Canvas<DB>) -> Result<(), ChartError> {
    let t = Theme::new(c.k);
    let items: Vec<LegendItem> = ch
        .series
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
        .collect();
    let top = frame::draw_top(c, &t, &ch.title, &items)?;
    let strip = frame::window_strip_height(&ch.windows, &t);
    let y0 = top + strip + if strip > 0.0 { 6.0 * t.k } else { 0.0 };
    let y1 = frame::plot_bottom(c.h, &t, &ch.x_label, 1);

    // Data extents (bands included).
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
    let has_data = ch
        .series
        .iter()
        .any(|s| s.points.iter().any(|p| finite(*p)));
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

    let ytarget = ((y1 - y0) / (64.0 * t.k)).clamp(2.0, 10.0) as usize;
    let (ys, yticks) = make_axis(
        ylo,
        yhi,
        ch.log_y,
        yfloor,
        ytarget,
        valid_range(ch.y_range, ch.log_y).is_none(),
    );
    let x0 = frame::plot_left(&t, &ch.y_label, frame::ticks_width(&yticks, t.tick));
    let x1 = c.w - t.pad - 24.0 * t.k;
    let (xs, xticks) = x_axis_fitting(
        xlo,
        xhi,
        ch.log_x,
        xfloor,
        x1 - x0,
        valid_range(ch.x_range, ch.log_x).is_none(),
        &t,
    );
    let plot = Rect { x0, y0, x1, y1 };
    let map = |(x, y): (f64, f64)| (x0 + xs.frac(x) * plot.w(), y1 - ys.frac(y) * plot.h());

    frame::draw_y_axis(c, &t, plot, &ys, &yticks, &ch.y_label)?;
    frame::draw_x_axis(c, &t, plot, &xs, &xticks, &ch.x_label, true)?;
    frame::draw_windows(c, &t, plot, &xs, &ch.windows, true)?;

    // A tiny tolerance so that points exactly on the frame are not clipped away.
    let clip = Rect {
        x0: plot.x0 - 0.5,
        y0: plot.y0 - 0.5,
        x1: plot.x1 + 0.5,
        y1: plot.y1 + 0.5,
    };
    for (i, s) in ch.series.iter().enumerate() {
        if let Some(band) = &s.band {
            let color = PALETTE[i % PALETTE.len()];
            // Each run of finite band points becomes one polygon.
            let mut runs: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new()];
            for &b in band {
                if b.0.is_finite() && b.1.is_finite() && b.2.is_finite() {
                    runs.last_mut().expect("non-empty").push(b);
                } else if !runs.last().expect("non-empty").is_empty() {
                    runs.push(Vec::new());
                }
            }
            for run in runs.iter().filter(|r| r.len() >= 2) {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|b| map((b.0, b.1))).collect();
                poly.extend(run.iter().rev().map(|b| map((b.0, b.2))));
                let poly = clip_polygon(&poly, clip);
                c.polygon(&poly, color.mix(0.18))?;
            }
        }
    }
    for (i, s) in ch.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let n_finite = s.points.iter().filter(|p| finite(**p)).count();
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for &p in &s.points {
            if finite(p) {
                runs.last_mut().expect("non-empty").push(map(p));
            } else if !runs.last().expect("non-empty").is_empty() {
                runs.push(Vec::new());
            }
        }
        for run in &runs {
            for part in clip_polyline(run, clip) {
                if i >= PALETTE.len() {
                    let (d, g) = frame::dash_pattern(&t);
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
    frame::draw_frame(c, plot)?;
    if !has_data {
        frame::draw_no_data(c, &t, plot)?;
    }
    Ok(())
}

/// An explicit axis range if it is usable.
pub(crate) fn valid_range(r: Option<(f64, f64)>, log: bool) -> Option<(f64, f64)> {
    let (a, b) = r?;
    let (a, b) = (a.min(b), a.max(b));
    if a.is_finite() && b.is_finite() && b > a && (!log || a > 0.0) {
        Some((a, b))
    } else {
        None
    }
}
