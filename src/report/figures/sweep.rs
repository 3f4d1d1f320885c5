//! One function per chart of a sweep, each named after the figure it draws, and the
//! [`SweepContext`] they share; `super::sweep_figures` calls them in the report's order.

use super::{fig, Estimate, Figure, FlowSummary, LineChart, Param, Series, Sweep, Window};

/// One curve of a sweep chart: one variant in one group of the second parameter, its
/// focus-flow summary and offered load at each value of the first parameter.
struct Curve<'a> {
    /// The variant and second-parameter value it shows (empty for a plain sweep).
    name: String,
    /// Whether it is the first variant in the first group (where "offered" is drawn).
    first: bool,
    /// `(x, focus flow, offered load)` per point of the group.
    pts: Vec<(f64, &'a FlowSummary, Option<f64>)>,
}

impl Curve<'_> {
    /// A series label: `what`, followed by the curve's name when it has one.
    fn label(&self, what: &str) -> String {
        if self.name.is_empty() {
            what.to_string()
        } else {
            format!("{what} · {}", self.name)
        }
    }
}

/// What both sweep charts share: the swept parameter, the x label, the focus flow's name,
/// the knees as shaded windows and the curves.
pub(super) struct SweepContext<'a> {
    /// The first swept parameter (the x axis).
    p0: &'a Param,
    /// The x axis label: the parameter and its unit.
    x_label: String,
    /// The focus flow's name.
    flow: String,
    /// Each knee as a narrow window around its x.
    knees: Vec<Window>,
    /// Per group of the second parameter, per variant.
    curves: Vec<Curve<'a>>,
}

impl<'a> SweepContext<'a> {
    /// The context of `s`, or `None` when it has no parameter or no point.
    pub(super) fn new(s: &'a Sweep) -> Option<Self> {
        let p0 = s.params.first()?;
        let first = s.points.first()?;
        let focus = first.experiment.focus_flow();
        let x_of = |i: usize| p0.values[i].x.unwrap_or(i as f64);
        let unit = match p0.unit.as_str() {
            "/s" => " (per second)",
            "s" => " (s)",
            _ => "",
        };
        let x_label = format!("{}{unit}", p0.path);
        let groups = s.params.get(1).map_or(1, |p| p.values.len());
        let mut curves = Vec::new();
        for g in 0..groups {
            for (vi, v) in first.experiment.variants.iter().enumerate() {
                let pts: Vec<_> = s
                    .points
                    .iter()
                    .filter(|p| p.index.get(1).copied().unwrap_or(0) == g)
                    .filter_map(|p| {
                        let f = p.experiment.variants.get(vi)?.summary.flows.get(focus)?;
                        Some((x_of(p.index[0]), f, p.offered.get(focus).copied().flatten()))
                    })
                    .collect();
                let mut name = if first.experiment.is_comparison() {
                    v.name.clone()
                } else {
                    String::new()
                };
                if let Some(p1) = s.params.get(1) {
                    let sep = if name.is_empty() { "" } else { ", " };
                    name = format!("{name}{sep}{}={}", p1.path, p1.values[g].label);
                }
                curves.push(Curve {
                    name,
                    first: vi == 0 && g == 0,
                    pts,
                });
            }
        }
        let flow = first
            .experiment
            .variants
            .first()
            .and_then(|v| v.summary.flows.get(focus))
            .map_or(String::new(), |f| f.flow.clone());
        Some(SweepContext {
            p0,
            x_label,
            flow,
            knees: knees(s, p0),
            curves,
        })
    }
}

/// Each knee of `s` as a window around its x, 30% of the first parameter's first step
/// wide (a line when the parameter has no numeric step).
fn knees(s: &Sweep, p0: &Param) -> Vec<Window> {
    s.knees
        .iter()
        .filter_map(|k| {
            let x = k.x?;
            let step = p0.values.get(1).and_then(|v| v.x).zip(p0.values[0].x);
            let w = step.map_or(0.0, |(b, a)| (b - a).abs() * 0.15);
            Some(Window::new(x - w, x + w, format!("knee: {}", k.variant)))
        })
        .collect()
}

/// p99 and p50 response latency of the focus flow against the first parameter, with 95%
/// CI bands, per curve and the knees marked; drawn for every sweep.
pub(super) fn sweep_latency(ctx: &SweepContext) -> Figure {
    let mut lat = Vec::new();
    for c in &ctx.curves {
        for (what, pick) in [
            (
                "p99",
                &(|f: &FlowSummary| f.latency.p99) as &dyn Fn(_) -> Estimate,
            ),
            ("p50", &|f: &FlowSummary| f.latency.p50),
        ] {
            lat.push(
                Series::new(
                    c.label(what),
                    c.pts.iter().map(|(x, f, _)| (*x, pick(f).mean)).collect(),
                )
                .with_band(
                    c.pts
                        .iter()
                        .map(|(x, f, _)| {
                            let e = pick(f);
                            (*x, e.low().max(1e-3), e.high())
                        })
                        .collect(),
                ),
            );
        }
    }
    fig(
        "sweep-latency",
        LineChart {
            title: format!("Latency vs {} — {} (bands: 95% CI)", ctx.p0.path, ctx.flow),
            x_label: ctx.x_label.clone(),
            y_label: "response latency (ms, log scale)".into(),
            series: lat,
            windows: ctx.knees.clone(),
            log_x: false,
            log_y: true,
            x_range: None,
            y_range: None,
        },
    )
}

/// Goodput of the focus flow against the first parameter, with 95% CI bands, per curve,
/// and the offered load when every point knows it; drawn for every sweep.
pub(super) fn sweep_goodput(ctx: &SweepContext) -> Figure {
    let mut good = Vec::new();
    for c in &ctx.curves {
        good.push(
            Series::new(
                c.label("goodput"),
                c.pts.iter().map(|(x, f, _)| (*x, f.goodput.mean)).collect(),
            )
            .with_band(
                c.pts
                    .iter()
                    .map(|(x, f, _)| (*x, f.goodput.low(), f.goodput.high()))
                    .collect(),
            ),
        );
        if c.first && c.pts.iter().all(|p| p.2.is_some()) {
            good.push(Series::new(
                "offered",
                c.pts
                    .iter()
                    .map(|(x, _, o)| (*x, o.unwrap_or(0.0)))
                    .collect(),
            ));
        }
    }
    fig(
        "sweep-goodput",
        LineChart {
            title: format!("Goodput vs {} — {} (bands: 95% CI)", ctx.p0.path, ctx.flow),
            x_label: ctx.x_label.clone(),
            y_label: "successful responses per second (/s)".into(),
            series: good,
            windows: ctx.knees.clone(),
            log_x: false,
            log_y: false,
            x_range: None,
            y_range: None,
        },
    )
}
