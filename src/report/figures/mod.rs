//! The charts of a report, built from an [`Experiment`] or a [`Sweep`] with the
//! chart library in [`super::charts`]. Each figure has a stable file stem (`id`).
//!
//! This file holds the [`Figure`] type, the helpers the figures share and the two entry
//! points, which list the figures in the order a report shows them; `experiment.rs`,
//! `capacity.rs` and `sweep.rs` hold one function per figure. Every chart type and every table helper the
//! figures use is imported here, once, and the figure files take them from `super`.

mod capacity;
mod experiment;
mod sweep;

use super::charts::{cdf, BarChart, BarSeries, Chart, Heatmap, LineChart, Series, Window};
use super::sections::{time_breakdown, Measure};
use crate::experiment::compare::{Experiment, VariantRun};
use crate::experiment::sweep::{Param, Sweep};
use crate::experiment::{Estimate, FlowSummary, FlowTimeline, Summary};
use crate::model::reach::{Hop, Reach};

/// One chart of a report.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File stem (`<id>.png`) and HTML anchor.
    pub id: String,
    /// The chart.
    pub chart: Chart,
}

fn fig(id: impl Into<String>, chart: impl Into<Chart>) -> Figure {
    Figure {
        id: id.into(),
        chart: chart.into(),
    }
}

/// The fault windows of a run, as shaded intervals (seconds).
pub fn fault_windows(s: &Summary) -> Vec<Window> {
    s.faults
        .iter()
        .filter_map(|f| {
            f.window
                .as_ref()
                .map(|w| Window::new(w.start_s, w.end_s, f.name.clone()))
        })
        .collect()
}

/// A share and its CI as percentages, for a bar with a whisker.
fn pct(e: Estimate) -> (f64, Option<f64>) {
    (e.mean * 100.0, Some(e.ci95 * 100.0))
}

/// One per-interval timeline as chart points at each interval's middle (s), values times
/// `scale`; with `zero_is_gap`, a value of 0 or less is a gap (NaN).
fn time_series(s: &Summary, values: &[f64], scale: f64, zero_is_gap: bool) -> Vec<(f64, f64)> {
    let half = s.timeline.interval_s / 2.0;
    s.timeline
        .t_s
        .iter()
        .zip(values)
        .map(|(&t, &v)| {
            let y = if zero_is_gap && v <= 0.0 {
                f64::NAN
            } else {
                v * scale
            };
            ((t - half).max(0.0), y)
        })
        .collect()
}

/// A latency in ms as a short label with 3 significant digits: "24.9 ms", "96.3 s".
pub fn short_ms(ms: f64) -> String {
    let (v, unit) = if ms.abs() >= 1000.0 {
        (ms / 1000.0, "s")
    } else if ms.abs() >= 1.0 || ms == 0.0 {
        (ms, "ms")
    } else {
        (ms * 1000.0, "µs")
    };
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    format!("{s} {unit}")
}

/// A percentage with as many decimals as it needs to not look like 0 or 100.
fn short_pct(x: f64) -> String {
    let p = x * 100.0;
    if p <= 0.0 || p >= 100.0 || (1.0..=99.0).contains(&p) {
        format!("{:.0}%", p.round())
    } else if p < 1.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A line chart over simulated time with the fault windows shaded.
fn line(
    ctx: &FigureContext,
    id: &str,
    title: String,
    y_label: &str,
    log_y: bool,
    series: Vec<Series>,
) -> Figure {
    fig(
        id,
        LineChart {
            title,
            x_label: "simulated time (s)".into(),
            y_label: y_label.into(),
            series,
            windows: ctx.windows.clone(),
            log_x: false,
            log_y,
            x_range: None,
            y_range: None,
        },
    )
}

/// What most experiment figures derive from the experiment the same way: the focus flow,
/// its name, the fault windows to shade, the variant names and the title suffix.
struct FigureContext<'a> {
    /// The experiment drawn.
    exp: &'a Experiment,
    /// Its first variant (fault windows and timeline flows come from it).
    first: &'a VariantRun,
    /// Index of the compared (or first) flow in each summary's `flows`.
    focus: usize,
    /// The focus flow's name (empty when the first variant lacks it).
    flow: String,
    /// The first variant's fault windows, shaded on the timelines and heatmaps.
    windows: Vec<Window>,
    /// The variant names, in order.
    names: Vec<String>,
    /// `" by variant"` in a comparison, else empty: the titles' suffix.
    by: &'static str,
    /// Whether some variant's focus flow triggers asynchronous work (has completions).
    has_completion: bool,
}

impl<'a> FigureContext<'a> {
    /// The context of `exp`, or `None` when it has no variant (and so no figure).
    fn new(exp: &'a Experiment) -> Option<Self> {
        let first = exp.variants.first()?;
        let focus = exp.focus_flow();
        let flow = first
            .summary
            .flows
            .get(focus)
            .map_or(String::new(), |f| f.flow.clone());
        let windows = fault_windows(&first.summary);
        let names: Vec<String> = exp.variants.iter().map(|v| v.name.clone()).collect();
        let by = if exp.is_comparison() {
            " by variant"
        } else {
            ""
        };
        let has_completion = exp.variants.iter().any(|v| {
            v.summary
                .flows
                .get(focus)
                .is_some_and(|f| f.completion.is_some())
        });
        Some(FigureContext {
            exp,
            first,
            focus,
            flow,
            windows,
            names,
            by,
            has_completion,
        })
    }

    /// A per-variant figure's id: `stem` alone for one variant, `stem-<n>` (from 1) else.
    fn variant_id(&self, stem: &str, vi: usize) -> String {
        if self.exp.variants.len() == 1 {
            stem.to_string()
        } else {
            format!("{stem}-{}", vi + 1)
        }
    }
}

/// Every chart of an experiment (one variant or a comparison).
pub fn experiment_figures(exp: &Experiment) -> Vec<Figure> {
    let Some(ctx) = FigureContext::new(exp) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    out.extend(experiment::response_vs_completion(&ctx));
    out.push(experiment::latency_cdf(&ctx));
    out.extend(experiment::completion_cdf(&ctx));
    out.push(experiment::latency_percentiles(&ctx));
    out.push(experiment::failure_rates(&ctx));
    out.push(experiment::throughput_timeline(&ctx));
    out.push(experiment::failures_timeline(&ctx));
    out.push(experiment::p99_timeline(&ctx));
    out.extend(experiment::queue_backlog(&ctx));
    out.extend(capacity::replicas_timeline(&ctx));
    out.extend(experiment::response_breakdown(&ctx));
    out.extend(experiment::completion_breakdown(&ctx));
    for vi in 0..exp.variants.len() {
        out.extend(experiment::service_time_breakdown(&ctx, vi));
    }
    for vi in 0..exp.variants.len() {
        out.push(experiment::utilization(&ctx, vi));
    }
    out
}

/// The charts of a sweep: p50/p99 vs the first parameter with CI bands, and goodput.
pub fn sweep_figures(s: &Sweep) -> Vec<Figure> {
    let Some(ctx) = sweep::SweepContext::new(s) else {
        return Vec::new();
    };
    vec![sweep::sweep_latency(&ctx), sweep::sweep_goodput(&ctx)]
}
