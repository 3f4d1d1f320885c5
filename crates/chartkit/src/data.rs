//! The charts as plain data: what a caller fills in. Nothing here draws; the chart
//! kinds (`line`, `bar`, `heatmap`) read these types, and `lib.rs` renders them.

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
