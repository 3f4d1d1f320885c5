//! Slide-quality charts from plain data, as SVG text or PNG bytes.
//!
//! Three chart kinds, [`LineChart`] (time series, sweeps, CDFs via [`cdf`]),
//! [`BarChart`] (grouped bars with confidence-interval error bars) and [`Heatmap`]
//! (e.g. utilization per service over time), each rendered by `to_svg` / `to_png` at
//! [`DEFAULT_SIZE`] or by `to_svg_sized` / `to_png_sized`. [`Chart`] holds any of them.
//!
//! ```
//! use chartkit::{LineChart, Series};
//!
//! let chart = LineChart {
//!     title: "p99 latency".into(),
//!     x_label: "time (s)".into(),
//!     y_label: "latency (ms)".into(),
//!     series: vec![Series::new("checkout", vec![(0.0, 12.0), (1.0, 15.5), (2.0, 11.0)])],
//!     ..Default::default()
//! };
//! let svg = chart.to_svg().unwrap();
//! assert!(svg.contains("p99 latency"));
//! let png = chart.to_png_sized(400, 300).unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```
//!
//! The input is plain data: the crate knows nothing of the simulator that uses it.
//!
//! **Determinism**: the same chart gives the same bytes on every machine. Layout uses
//! the metrics of the bundled DejaVu Sans (the repository's `assets/fonts/`), which
//! also rasterises the PNG text (plotters' `ab_glyph` feature: no system font is looked
//! up). PNGs are drawn at twice the size and box-filtered down (anti-aliasing), then
//! encoded with fixed settings. SVG text names the font family list
//! `DejaVu Sans, Verdana, Arial, Helvetica, sans-serif` and is rendered by the viewer.
//!
//! **Robustness**: nothing panics on odd data. Non-finite values are skipped (a line
//! breaks there), an empty chart says "no data", a degenerate range is padded, a log
//! axis draws zero and negative values at the smallest positive value. Control
//! characters in labels are drawn as `\u{..}` escapes.
//!
//! **Style**: Okabe–Ito colour-blind-safe palette for series, viridis for heatmaps,
//! light grid, fault windows shaded grey and labelled above the plot.
//!
//! **What plotters does here**: its SVG and bitmap backends, its drawing elements
//! (paths, dashed paths, polygons, rectangles, circles, text), its `ab_glyph` text
//! rasteriser and its `DerivedColorMap` (for viridis). It does not lay the charts
//! out: there is no `ChartBuilder` here. Layout, ticks, legends, label fitting and
//! clipping are this crate's own, computed once in logical pixels from the bundled
//! font, so they come out the same in the SVG and the (supersampled) PNG.
//!
//! Layers, lowest first; a module imports only from layers below it:
//!
//! | layer | modules | what |
//! |---|---|---|
//! | data | `error`, `data` | [`ChartError`] and the chart types: plain data |
//! | raster | `font`, `geom`, `canvas` | the bundled font, rectangles and clipping, a drawing surface in logical pixels over a plotters backend, SVG/PNG output |
//! | frame | `text`, `axis`, `frame` | text measuring and fitting, scales and ticks, what every chart shares (theme, legend, axes, fault windows) |
//! | kinds | `line`, `bar`, `heatmap` | one chart kind each, drawn as named steps |
//! | API | `lib.rs` | sizes, `to_svg` / `to_png` |

#![warn(missing_docs)]

mod data;
mod error;

mod canvas;
mod font;
mod geom;

mod axis;
mod frame;
mod text;

mod bar;
mod heatmap;
mod line;

pub use data::{cdf, BarChart, BarSeries, Chart, Heatmap, LineChart, Series, Window};
pub use error::ChartError;

/// The `font-family` list the charts' SVG text names (the bundled DejaVu Sans first).
pub const FONT_FAMILY: &str = font::FAMILY;

/// Width in logical pixels of one line of `text` at `size` pixels in the bundled
/// DejaVu Sans (bold or regular): the metrics the charts are laid out with, for callers
/// that lay out their own SVG text (archsim's topology diagram) in the same font.
///
/// [`FONT_FAMILY`] is the SVG `font-family` list that goes with it.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let _ = font::ensure_fonts();
    text::text_width(text, size, bold)
}

/// Width and height of a chart in pixels unless asked otherwise (a 16:9-ish slide).
pub const DEFAULT_SIZE: (u32, u32) = (1200, 700);

/// Smallest and largest accepted width or height, in pixels.
pub const SIZE_RANGE: (u32, u32) = (200, 8000);

fn check_size(width: u32, height: u32) -> Result<(), ChartError> {
    let ok = |v: u32| (SIZE_RANGE.0..=SIZE_RANGE.1).contains(&v);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(ChartError::InvalidSize { width, height })
    }
}

macro_rules! render_methods {
    ($ty:ty, $module:ident) => {
        impl $ty {
            /// The chart as an SVG document at [`DEFAULT_SIZE`].
            pub fn to_svg(&self) -> Result<String, ChartError> {
                self.to_svg_sized(DEFAULT_SIZE.0, DEFAULT_SIZE.1)
            }

            /// The chart as PNG bytes at [`DEFAULT_SIZE`].
            pub fn to_png(&self) -> Result<Vec<u8>, ChartError> {
                self.to_png_sized(DEFAULT_SIZE.0, DEFAULT_SIZE.1)
            }

            /// The chart as an SVG document of the given size in pixels.
            pub fn to_svg_sized(&self, width: u32, height: u32) -> Result<String, ChartError> {
                check_size(width, height)?;
                canvas::render_svg(width, height, |c| {
                    c.clear(plotters::style::WHITE)?;
                    $module::draw(self, c)
                })
            }

            /// The chart as PNG bytes (8-bit RGB) of the given size in pixels.
            pub fn to_png_sized(&self, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
                check_size(width, height)?;
                canvas::render_png(width, height, |c| {
                    c.clear(plotters::style::WHITE)?;
                    $module::draw(self, c)
                })
            }
        }
    };
}

render_methods!(LineChart, line);
render_methods!(BarChart, bar);
render_methods!(Heatmap, heatmap);

impl Chart {
    /// The chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Bar(c) => &c.title,
            Chart::Heatmap(c) => &c.title,
        }
    }

    /// The chart as an SVG document at [`DEFAULT_SIZE`].
    pub fn to_svg(&self) -> Result<String, ChartError> {
        self.to_svg_sized(DEFAULT_SIZE.0, DEFAULT_SIZE.1)
    }

    /// The chart as PNG bytes at [`DEFAULT_SIZE`].
    pub fn to_png(&self) -> Result<Vec<u8>, ChartError> {
        self.to_png_sized(DEFAULT_SIZE.0, DEFAULT_SIZE.1)
    }

    /// The chart as an SVG document of the given size in pixels.
    pub fn to_svg_sized(&self, width: u32, height: u32) -> Result<String, ChartError> {
        match self {
            Chart::Line(c) => c.to_svg_sized(width, height),
            Chart::Bar(c) => c.to_svg_sized(width, height),
            Chart::Heatmap(c) => c.to_svg_sized(width, height),
        }
    }

    /// The chart as PNG bytes of the given size in pixels.
    pub fn to_png_sized(&self, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
        match self {
            Chart::Line(c) => c.to_png_sized(width, height),
            Chart::Bar(c) => c.to_png_sized(width, height),
            Chart::Heatmap(c) => c.to_png_sized(width, height),
        }
    }
}
