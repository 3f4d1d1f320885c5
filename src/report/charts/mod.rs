//! Slide-quality charts from plain data, as SVG text or PNG bytes.
//!
//! Three chart types, [`LineChart`] (time series, sweeps, CDFs via [`cdf`]),
//! [`BarChart`] (grouped bars with confidence-interval error bars) and [`Heatmap`]
//! (e.g. utilization per service over time), each rendered by `to_svg` / `to_png` at
//! [`DEFAULT_SIZE`] or by `to_svg_sized` / `to_png_sized`. [`Chart`] holds any of them.
//!
//! The input is plain data: this module knows nothing of the engine or the summary.
//!
//! Determinism: the same chart gives the same bytes on every machine. Layout uses the
//! metrics of the bundled DejaVu Sans (`assets/fonts/`), which also rasterises the PNG
//! text (plotters' `ab_glyph` feature: no system font is looked up). PNGs are drawn at
//! twice the size and box-filtered down (anti-aliasing), then encoded with fixed
//! settings. SVG text names the font family list
//! `DejaVu Sans, Verdana, Arial, Helvetica, sans-serif` and is rendered by the viewer.
//!
//! Robustness: nothing panics on odd data. Non-finite values are skipped (a line
//! breaks there), an empty chart says "no data", a degenerate range is padded, a log
//! axis draws zero and negative values at the smallest positive value.
//!
//! Style: Okabe–Ito colour-blind-safe palette for series, viridis for heatmaps, light
//! grid, fault windows shaded grey and labelled above the plot.

mod axis;
mod bar;
mod canvas;
mod frame;
mod heatmap;
mod line;

/// Width and height of a chart in pixels unless asked otherwise (a 16:9-ish slide).
pub const DEFAULT_SIZE: (u32, u32) = (1200, 700);

/// Smallest and largest accepted width or height, in pixels.
pub const SIZE_RANGE: (u32, u32) = (200, 8000);

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The requested size is outside [`SIZE_RANGE`].
    #[error("chart size {width}x{height} is out of range: each side must be 200..=8000 px")]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The bundled font could not be loaded (a corrupt build).
    #[error("the bundled chart font could not be loaded")]
    Font,
    /// plotters reported a drawing error.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("encoding the PNG failed: {0}")]
    Png(String),
}

/// One line of a [`LineChart`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// `(x, y)` points, drawn in the given order. Non-finite points break the line.
    pub points: Vec<(f64, f64)>,
    /// Optional band `(x, low, high)` (e.g. a 95% CI), drawn translucent behind the line.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

impl Series {
    /// A series without a band.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            band: None,
        }
    }

    /// Add a band `(x, low, high)`.
    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }
}

/// A shaded interval of the x axis, e.g. a fault window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
    /// Start, in x units.
    pub start: f64,
    /// End, in x units.
    pub end: f64,
    /// Label shown above the plot (may be empty).
    pub label: String,
}

impl Window {
    /// A labelled window.
    pub fn new(start: f64, end: f64, label: impl Into<String>) -> Self {
        Window {
            start,
            end,
            label: label.into(),
        }
    }
}

/// Lines on numeric x and y axes (linear or log10), with optional bands and windows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineChart {
    /// Title, centred at the top.
    pub title: String,
    /// X axis label, with units, e.g. "time (s)".
    pub x_label: String,
    /// Y axis label, with units, e.g. "p99 latency (ms)".
    pub y_label: String,
    /// The lines, coloured in order from the palette.
    pub series: Vec<Series>,
    /// Shaded x intervals (fault windows).
    pub windows: Vec<Window>,
    /// Log10 x axis.
    pub log_x: bool,
    /// Log10 y axis.
    pub log_y: bool,
    /// Fixed x range; `None`: fit the data, widened to round ticks.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None`: fit the data (from 0 when the data is non-negative and
    /// its minimum is under half its maximum), widened to round ticks.
    pub y_range: Option<(f64, f64)>,
}

/// One colour of a [`BarChart`]: a value (and optional CI half-width) per category.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BarSeries {
    /// Legend name.
    pub name: String,
    /// `(value, ci_half_width)` per category, in category order; missing or
    /// non-finite values draw no bar.
    pub values: Vec<(f64, Option<f64>)>,
    /// Value labels per category (empty, or an empty string: the value, formatted).
    pub labels: Vec<String>,
}

impl BarSeries {
    /// A bar series.
    pub fn new(name: impl Into<String>, values: Vec<(f64, Option<f64>)>) -> Self {
        BarSeries {
            name: name.into(),
            values,
            labels: Vec::new(),
        }
    }

    /// Label the bars with these texts (per category) instead of their values.
    pub fn with_labels(mut self, labels: Vec<String>) -> Self {
        self.labels = labels;
        self
    }
}

/// Grouped bars: one group per category, one bar per series, error bars for CIs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BarChart {
    /// Title, centred at the top.
    pub title: String,
    /// Label under the categories (may be empty).
    pub x_label: String,
    /// Y axis label, with units.
    pub y_label: String,
    /// Category names along x (long names wrap onto up to 4 lines; `\n` breaks a line).
    pub categories: Vec<String>,
    /// The series (bar colours).
    pub groups: Vec<BarSeries>,
    /// Fixed y range; `None`: from min(0, data) to max(0, data), widened to round ticks
    /// (log axis: the positive data, widened to decades).
    pub y_range: Option<(f64, f64)>,
    /// Log10 y axis: bars rise from the bottom of the axis; values at or below zero
    /// draw no bar (a zero is labelled "0"), and an error bar reaching zero or below
    /// runs to the bottom.
    pub log_y: bool,
}

/// A grid of values as colours: rows (top to bottom) by columns along a numeric x axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heatmap {
    /// Title, centred at the top.
    pub title: String,
    /// X axis label, with units.
    pub x_label: String,
    /// Label of the row axis (may be empty).
    pub y_label: String,
    /// Row names, top to bottom.
    pub rows: Vec<String>,
    /// Column positions: either the columns' edges (one more than the columns) or their
    /// starts (the last column is as wide as the one before it).
    pub x: Vec<f64>,
    /// `values[row][column]`; non-finite values are drawn light grey.
    pub values: Vec<Vec<f64>>,
    /// Label of the colour scale, with units, e.g. "worker utilization".
    pub value_label: String,
    /// Colour scale range; `None`: [0, 1] when every value is in it, else the data's.
    pub value_range: Option<(f64, f64)>,
    /// Outlined x intervals (fault windows).
    pub windows: Vec<Window>,
}

/// Any chart.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// A line chart.
    Line(LineChart),
    /// A bar chart.
    Bar(BarChart),
    /// A heatmap.
    Heatmap(Heatmap),
}

impl From<LineChart> for Chart {
    fn from(c: LineChart) -> Self {
        Chart::Line(c)
    }
}
impl From<BarChart> for Chart {
    fn from(c: BarChart) -> Self {
        Chart::Bar(c)
    }
}
impl From<Heatmap> for Chart {
    fn from(c: Heatmap) -> Self {
        Chart::Heatmap(c)
    }
}

/// A CDF chart: one line per `(name, [(latency, quantile in 0..1)])`, y from 0 to 1.
/// Points are sorted by quantile (then latency); `log_x` for long-tailed latencies.
pub fn cdf(
    title: impl Into<String>,
    x_label: impl Into<String>,
    series: Vec<(String, Vec<(f64, f64)>)>,
    log_x: bool,
) -> LineChart {
    LineChart {
        title: title.into(),
        x_label: x_label.into(),
        y_label: "fraction of requests at or below".to_string(),
        series: series
            .into_iter()
            .map(|(name, mut pts)| {
                pts.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
                Series::new(name, pts)
            })
            .collect(),
        windows: Vec::new(),
        log_x,
        log_y: false,
        x_range: None,
        y_range: Some((0.0, 1.0)),
    }
}

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
