//! The charts of a report, built from an [`Experiment`] or a [`Sweep`] with the
//! chart library in [`super::charts`]. Each figure has a stable file stem (`id`).

use super::charts::{cdf, BarChart, BarSeries, Chart, Heatmap, LineChart, Series, Window};
use super::compare::{time_breakdown, Hop, Measure, Reach};
use crate::experiment::compare::Experiment;
use crate::experiment::sweep::Sweep;
use crate::experiment::{Estimate, FlowSummary, Summary};
use crate::model::Scenario;

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

fn pct(e: Estimate) -> (f64, Option<f64>) {
    (e.mean * 100.0, Some(e.ci95 * 100.0))
}

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

/// The completion figures of a flow, or its response figures when it triggers no
/// asynchronous work (completion = response then).
fn completion_p99(f: &FlowSummary) -> Estimate {
    f.completion
        .as_ref()
        .map_or(f.latency.p99, |c| c.latency.p99)
}

fn completed_fully(f: &FlowSummary) -> Estimate {
    f.completion
        .as_ref()
        .map_or(f.success_rate, |c| c.success_rate)
}

/// Every chart of an experiment (one variant or a comparison) of `scenario`.
pub fn experiment_figures(exp: &Experiment, scenario: &Scenario) -> Vec<Figure> {
    let Some(first) = exp.variants.first() else {
        return Vec::new();
    };
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
    let mut out = Vec::new();

    let has_completion = exp.variants.iter().any(|v| {
        v.summary
            .flows
            .get(focus)
            .is_some_and(|f| f.completion.is_some())
    });

    // The headline: what the client waits for against when the business outcome is done.
    if has_completion {
        let secs = |e: Estimate| (e.mean / 1e3, Some(e.ci95 / 1e3));
        let flows: Vec<Option<&FlowSummary>> = exp
            .variants
            .iter()
            .map(|v| v.summary.flows.get(focus))
            .collect();
        let series = |name: &str, pick: &dyn Fn(&FlowSummary) -> Estimate| {
            BarSeries::new(
                name,
                flows
                    .iter()
                    .map(|f| f.map_or((f64::NAN, None), |f| secs(pick(f))))
                    .collect(),
            )
            .with_labels(
                flows
                    .iter()
                    .map(|f| f.map_or(String::new(), |f| short_ms(pick(f).mean)))
                    .collect(),
            )
        };
        let categories = exp
            .variants
            .iter()
            .zip(&flows)
            .map(|(v, f)| match f {
                Some(f) => {
                    let degraded = if f.degraded_rate.mean > 0.0 {
                        format!("\n{} degraded", short_pct(f.degraded_rate.mean))
                    } else {
                        String::new()
                    };
                    format!(
                        "{}\n{} failed{degraded}\n{} completed",
                        v.name,
                        short_pct(1.0 - f.success_rate.mean),
                        short_pct(completed_fully(f).mean)
                    )
                }
                None => v.name.clone(),
            })
            .collect();
        out.push(fig(
            "response-vs-completion",
            BarChart {
                title: format!("{flow}: p99 response vs p99 completion{by}"),
                x_label: "failed: error responses · completed: all triggered work succeeded · whiskers: 95% CI".into(),
                y_label: "p99 latency (s, log scale)".into(),
                categories,
                groups: vec![
                    series("p99 response (client waits)", &|f| f.latency.p99),
                    series("p99 completion (outcome done)", &completion_p99),
                ],
                y_range: None,
                log_y: true,
            },
        ));
    }

    // Latency CDFs: response, and completion next to it on the same x range.
    let cdf_series = |pick: &dyn Fn(&crate::experiment::compare::VariantRun) -> Vec<(f64, f64)>| {
        exp.variants
            .iter()
            .map(|v| {
                let pts = pick(v)
                    .into_iter()
                    .map(|(ms, q)| (ms.max(0.001), q))
                    .collect::<Vec<_>>();
                (v.name.clone(), pts)
            })
            .collect::<Vec<_>>()
    };
    let response = cdf_series(&|v| v.cdf.get(focus).cloned().unwrap_or_default());
    let completion = cdf_series(&|v| {
        let has = v
            .summary
            .flows
            .get(focus)
            .is_some_and(|f| f.completion.is_some());
        let c = if has { &v.completion_cdf } else { &v.cdf };
        c.get(focus).cloned().unwrap_or_default()
    });
    let mut response_chart = cdf(
        format!("Response latency CDF — {flow}{by}"),
        "response latency (ms, log scale)",
        response.clone(),
        true,
    );
    if has_completion {
        let all = response
            .iter()
            .chain(&completion)
            .flat_map(|(_, p)| p.iter().map(|p| p.0))
            .filter(|x| x.is_finite() && *x > 0.0);
        let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        let range = (lo.is_finite() && hi > lo).then(|| {
            (
                10f64.powf(lo.log10().floor()),
                10f64.powf(hi.log10().ceil()),
            )
        });
        response_chart.x_range = range;
        out.push(fig("latency-cdf", response_chart));
        let mut c = cdf(
            format!("Completion latency CDF — {flow}{by}"),
            "completion latency: send → all triggered work done (ms, log scale; same axis as the response CDF)",
            completion,
            true,
        );
        c.x_range = range;
        out.push(fig("completion-cdf", c));
    } else {
        out.push(fig("latency-cdf", response_chart));
    }

    // p50 / p99 bars.
    let lat = |pick: &dyn Fn(&FlowSummary) -> Estimate| {
        exp.variants
            .iter()
            .map(|v| {
                v.summary.flows.get(focus).map_or((f64::NAN, None), |f| {
                    let e = pick(f);
                    (e.mean / 1e3, Some(e.ci95 / 1e3))
                })
            })
            .collect::<Vec<_>>()
    };
    let spread = {
        let vals: Vec<f64> = exp
            .variants
            .iter()
            .filter_map(|v| v.summary.flows.get(focus))
            .flat_map(|f| [f.latency.p50.mean, f.latency.p999.mean])
            .filter(|x| *x > 0.0)
            .collect();
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(0.0, f64::max);
        lo.is_finite() && hi / lo > 100.0
    };
    out.push(fig(
        "latency",
        BarChart {
            title: format!("Response latency percentiles — {flow}{by} (95% CI)"),
            x_label: if exp.is_comparison() {
                "variant".into()
            } else {
                String::new()
            },
            y_label: if spread {
                "response latency (s, log scale)".into()
            } else {
                "response latency (s)".into()
            },
            categories: names.clone(),
            groups: vec![
                BarSeries::new("p50", lat(&|f| f.latency.p50)),
                BarSeries::new("p99", lat(&|f| f.latency.p99)),
                BarSeries::new("p99.9", lat(&|f| f.latency.p999)),
            ],
            y_range: None,
            log_y: spread,
        },
    ));

    // Failure, cascade and collateral rates: whole run and per fault window.
    let mut categories = vec![
        "whole run: failed".to_string(),
        "whole run: cascade".into(),
        "whole run: collateral".into(),
    ];
    let mut values: Vec<Vec<(f64, Option<f64>)>> = exp
        .variants
        .iter()
        .map(|v| match v.summary.flows.get(focus) {
            Some(f) => vec![
                pct(Estimate {
                    mean: 1.0 - f.success_rate.mean,
                    ci95: f.success_rate.ci95,
                }),
                pct(f.cascade_rate),
                pct(f.collateral_rate),
            ],
            None => vec![(f64::NAN, None); 3],
        })
        .collect();
    for (k, fault) in first.summary.faults.iter().enumerate() {
        if fault.window.is_none() {
            continue;
        }
        for what in ["failed", "cascade", "collateral"] {
            categories.push(format!("during {}: {what}", fault.name));
        }
        for (vi, v) in exp.variants.iter().enumerate() {
            let wf = v
                .summary
                .faults
                .get(k)
                .and_then(|f| f.window.as_ref())
                .and_then(|w| w.flows.iter().find(|x| x.flow == flow));
            match wf {
                Some(w) => values[vi].extend([
                    pct(w.failure_rate),
                    pct(w.cascade_rate),
                    pct(w.collateral_rate),
                ]),
                None => values[vi].extend([(f64::NAN, None); 3]),
            }
        }
    }
    out.push(fig(
        "failure-rates",
        BarChart {
            title: format!("Failure, cascade and collateral rates — {flow}{by}"),
            x_label: "over the whole run, and over requests answered during each fault window"
                .into(),
            y_label: "share of responses (%)".into(),
            categories,
            groups: names
                .iter()
                .zip(values)
                .map(|(n, v)| BarSeries::new(n.clone(), v))
                .collect(),
            y_range: None,
            log_y: false,
        },
    ));

    // Timelines.
    let line = |id: &str, title: String, y_label: &str, log_y: bool, series: Vec<Series>| {
        fig(
            id,
            LineChart {
                title,
                x_label: "simulated time (s)".into(),
                y_label: y_label.into(),
                series,
                windows: windows.clone(),
                log_x: false,
                log_y,
                x_range: None,
                y_range: None,
            },
        )
    };
    let per_variant =
        |pick: &dyn Fn(&crate::experiment::FlowTimeline) -> &Vec<f64>, scale: f64, gap: bool| {
            exp.variants
                .iter()
                .filter_map(|v| {
                    let t = v.summary.timeline.flows.get(focus)?;
                    Some(Series::new(
                        v.name.clone(),
                        time_series(&v.summary, pick(t), scale, gap),
                    ))
                })
                .collect::<Vec<_>>()
        };
    out.push(line(
        "timeline-throughput",
        format!("Throughput over time — {flow}{by}"),
        "responses per second (/s)",
        false,
        per_variant(&|t| &t.throughput, 1.0, false),
    ));
    // Failures: every flow, so collateral damage to other flows shows.
    let nflows = first.summary.timeline.flows.len();
    let mut fail_series = Vec::new();
    for v in &exp.variants {
        for fi in 0..nflows {
            let Some(t) = v.summary.timeline.flows.get(fi) else {
                continue;
            };
            let name = match (exp.is_comparison(), nflows > 1) {
                (true, true) => format!("{} · {}", t.flow, v.name),
                (true, false) => v.name.clone(),
                (false, _) => t.flow.clone(),
            };
            fail_series.push(Series::new(
                name,
                time_series(&v.summary, &t.failure_rate, 100.0, false),
            ));
        }
    }
    out.push(line(
        "timeline-failures",
        format!("Failed responses over time{by}"),
        "failed share of responses (%)",
        false,
        fail_series,
    ));
    out.push(line(
        "timeline-p99",
        format!("p99 response latency over time — {flow}{by}"),
        "p99 response latency (ms, log scale)",
        true,
        per_variant(&|t| &t.p99_ms, 1.0, true),
    ));

    // Queue backlog over time: every (variant, queue) with a backlog.
    let mut backlog = Vec::new();
    for v in &exp.variants {
        for q in &v.summary.timeline.queues {
            if !q.depth.iter().any(|d| *d > 0.0) {
                continue;
            }
            let name = if exp.is_comparison() {
                format!("{} · {}", v.name, q.queue)
            } else {
                q.queue.clone()
            };
            backlog.push(Series::new(
                name,
                time_series(&v.summary, &q.depth, 1.0, false),
            ));
        }
    }
    let any_queue = exp.variants.iter().any(|v| !v.summary.queues.is_empty());
    if any_queue {
        out.push(line(
            "queue-backlog",
            format!("Queue backlog over time{by}"),
            "messages waiting for a consumer",
            false,
            backlog,
        ));
    }

    // Where the response time goes: the sampled critical paths, network / queueing /
    // work / other per variant (a single run: per hop).
    if let Some(chart) = breakdown_chart(exp, focus, &flow, Measure::Response) {
        out.push(fig("response-breakdown", chart));
    }
    if let Some(chart) = breakdown_chart(exp, focus, &flow, Measure::Completion) {
        out.push(fig("completion-breakdown", chart));
    }

    // Where the time goes: per service on the compared flow's path, per variant.
    for (vi, v) in exp.variants.iter().enumerate() {
        let Some(b) = time_breakdown(scenario, exp, v, focus) else {
            continue;
        };
        // (name, waiting, work, downstream) per hop; a queue's wait is its consumer lag.
        let hops: Vec<(String, [Estimate; 3])> = b
            .hops
            .iter()
            .filter_map(|h| match *h {
                Hop::Service(s, r) => v.summary.services.get(s.0 as usize).map(|x| {
                    let name = match r {
                        Reach::Response => x.name.clone(),
                        Reach::Async => format!("{}\n(async)", x.name),
                    };
                    (name, [x.mean_queue_wait, x.mean_work, x.mean_downstream])
                }),
                Hop::Queue(q) => v.summary.queues.get(q.0 as usize).map(|x| {
                    // "broker.queue" or "broker.topic/subscriber": the queue or topic name.
                    let short = x.name.split_once('.').map_or(x.name.as_str(), |p| p.1);
                    let short = short.split_once('/').map_or(short, |p| p.0);
                    let na = Estimate {
                        mean: f64::NAN,
                        ci95: 0.0,
                    };
                    (format!("{short}\n(queue)"), [x.mean_wait_ms, na, na])
                }),
            })
            // A queue nobody waited in says nothing.
            .filter(|(_, e)| e.iter().any(|e| e.mean > 0.0))
            .collect();
        let vals: Vec<f64> = hops
            .iter()
            .flat_map(|(_, e)| e.iter().map(|e| e.mean))
            .filter(|x| *x > 0.0)
            .collect();
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(0.0, f64::max);
        let log_y = lo.is_finite() && hi / lo > 100.0;
        let bars = |k: usize| {
            hops.iter()
                .map(|(_, e)| (e[k].mean, Some(e[k].ci95)))
                .collect::<Vec<_>>()
        };
        let cats: Vec<String> = hops.iter().map(|h| h.0.clone()).collect();
        let has_queue = hops.iter().any(|h| h.1[1].mean.is_nan());
        let id = if exp.variants.len() == 1 {
            "time-breakdown".to_string()
        } else {
            format!("time-breakdown-{}", vi + 1)
        };
        let network = if b.entry_shared_with.is_empty() {
            b.network_ms.map_or(String::new(), |n| {
                format!(" · network and client hops: {}", short_ms(n))
            })
        } else {
            String::new()
        };
        let title = if exp.is_comparison() {
            format!("Where the time goes — {flow}, variant {}", v.name)
        } else {
            format!("Where the time goes — {flow}")
        };
        out.push(fig(
            id,
            BarChart {
                title,
                x_label: format!(
                    "mean per execution over all of each service's operations; 95% CI{network}"
                ),
                y_label: if log_y {
                    "mean time per execution (ms, log scale)".into()
                } else {
                    "mean time per execution (ms)".into()
                },
                categories: cats,
                groups: vec![
                    BarSeries::new(
                        if has_queue {
                            "waiting for a worker (queue: for a consumer)"
                        } else {
                            "waiting for a worker"
                        },
                        bars(0),
                    ),
                    BarSeries::new("work", bars(1)),
                    BarSeries::new("waiting on downstream", bars(2)),
                ],
                y_range: None,
                log_y,
            },
        ));
    }

    // Utilization heatmaps, one per variant.
    for (vi, v) in exp.variants.iter().enumerate() {
        let tl = &v.summary.timeline;
        let mut x = vec![0.0];
        x.extend(tl.t_s.iter().copied());
        let id = if exp.variants.len() == 1 {
            "utilization".to_string()
        } else {
            format!("utilization-{}", vi + 1)
        };
        let title = if exp.is_comparison() {
            format!(
                "Worker utilization per service over time — variant {}",
                v.name
            )
        } else {
            "Worker utilization per service over time".to_string()
        };
        out.push(fig(
            id,
            Heatmap {
                title,
                x_label: "simulated time (s)".into(),
                y_label: "service".into(),
                rows: tl.services.iter().map(|s| s.service.clone()).collect(),
                x,
                values: tl.services.iter().map(|s| s.utilization.clone()).collect(),
                value_label: "busy workers / workers".into(),
                value_range: Some((0.0, 1.0)),
                windows: windows.clone(),
            },
        ));
    }
    out
}

/// The charts of a sweep: p50/p99 vs the first parameter with CI bands, and goodput.
pub fn sweep_figures(s: &Sweep) -> Vec<Figure> {
    let Some(p0) = s.params.first() else {
        return Vec::new();
    };
    let Some(first) = s.points.first() else {
        return Vec::new();
    };
    let focus = first.experiment.focus_flow();
    let x_of = |i: usize| p0.values[i].x.unwrap_or(i as f64);
    let unit = match p0.unit.as_str() {
        "/s" => " (per second)",
        "s" => " (s)",
        _ => "",
    };
    let x_label = format!("{}{unit}", p0.path);
    let groups = s.params.get(1).map_or(1, |p| p.values.len());
    let mut lat = Vec::new();
    let mut good = Vec::new();
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
            let label = |what: &str| {
                if name.is_empty() {
                    what.to_string()
                } else {
                    format!("{what} · {name}")
                }
            };
            for (what, pick) in [
                (
                    "p99",
                    &(|f: &FlowSummary| f.latency.p99) as &dyn Fn(_) -> Estimate,
                ),
                ("p50", &|f: &FlowSummary| f.latency.p50),
            ] {
                lat.push(
                    Series::new(
                        label(what),
                        pts.iter().map(|(x, f, _)| (*x, pick(f).mean)).collect(),
                    )
                    .with_band(
                        pts.iter()
                            .map(|(x, f, _)| {
                                let e = pick(f);
                                (*x, e.low().max(1e-3), e.high())
                            })
                            .collect(),
                    ),
                );
            }
            good.push(
                Series::new(
                    label("goodput"),
                    pts.iter().map(|(x, f, _)| (*x, f.goodput.mean)).collect(),
                )
                .with_band(
                    pts.iter()
                        .map(|(x, f, _)| (*x, f.goodput.low(), f.goodput.high()))
                        .collect(),
                ),
            );
            if vi == 0 && g == 0 && pts.iter().all(|p| p.2.is_some()) {
                good.push(Series::new(
                    "offered",
                    pts.iter().map(|(x, _, o)| (*x, o.unwrap_or(0.0))).collect(),
                ));
            }
        }
    }
    let flow = first
        .experiment
        .variants
        .first()
        .and_then(|v| v.summary.flows.get(focus))
        .map_or(String::new(), |f| f.flow.clone());
    let knees: Vec<Window> = s
        .knees
        .iter()
        .filter_map(|k| {
            let x = k.x?;
            let step = p0.values.get(1).and_then(|v| v.x).zip(p0.values[0].x);
            let w = step.map_or(0.0, |(b, a)| (b - a).abs() * 0.15);
            Some(Window::new(x - w, x + w, format!("knee: {}", k.variant)))
        })
        .collect();
    vec![
        fig(
            "sweep-latency",
            LineChart {
                title: format!("Latency vs {} — {flow} (bands: 95% CI)", p0.path),
                x_label: x_label.clone(),
                y_label: "response latency (ms, log scale)".into(),
                series: lat,
                windows: knees.clone(),
                log_x: false,
                log_y: true,
                x_range: None,
                y_range: None,
            },
        ),
        fig(
            "sweep-goodput",
            LineChart {
                title: format!("Goodput vs {} — {flow} (bands: 95% CI)", p0.path),
                x_label,
                y_label: "successful responses per second (/s)".into(),
                series: good,
                windows: knees,
                log_x: false,
                log_y: false,
                x_range: None,
                y_range: None,
            },
        ),
    ]
}

/// The focus flow's mean response (or completion) split into network, queueing, work and
/// other time: per variant in a comparison, per hop in a single run. For completion, a
/// variant without asynchronous work contributes its response breakdown (its requests
/// complete when answered); the chart is drawn only when some variant has asynchronous
/// work.
fn breakdown_chart(
    exp: &Experiment,
    focus: usize,
    flow: &str,
    measure: Measure,
) -> Option<BarChart> {
    let parts = |h: &crate::engine::HopBreakdown| [h.network_ms, h.queue_ms, h.work_ms, h.other_ms];
    let find = |s: &'_ Summary, m: Measure| {
        m.breakdowns(s)
            .iter()
            .find(|b| b.workload as usize == focus)
            .cloned()
    };
    if measure == Measure::Completion
        && exp
            .variants
            .iter()
            .all(|v| find(&v.summary, measure).is_none())
    {
        return None;
    }
    let pick = |s: &Summary| find(s, measure).or_else(|| find(s, Measure::Response));
    let (categories, values): (Vec<String>, Vec<[f64; 4]>) = if exp.is_comparison() {
        exp.variants
            .iter()
            .filter_map(|v| {
                let b = pick(&v.summary)?;
                let mut sum = [0.0; 4];
                for h in &b.hops {
                    for (s, x) in sum.iter_mut().zip(parts(h)) {
                        *s += x;
                    }
                }
                Some((v.name.clone(), sum))
            })
            .unzip()
    } else {
        let b = pick(&exp.variants.first()?.summary)?;
        b.hops
            .iter()
            .map(|h| (h.operation.clone(), parts(h)))
            .unzip()
    };
    if categories.is_empty() {
        return None;
    }
    let positive: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|x| *x > 0.0)
        .collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    let log_y = lo.is_finite() && hi / lo > 100.0;
    let series =
        |k: usize, name: &str| BarSeries::new(name, values.iter().map(|v| (v[k], None)).collect());
    let m = measure.word();
    Some(BarChart {
        title: format!("Where the {m} time goes — {flow}"),
        x_label: match measure {
            Measure::Response => {
                "critical paths of sampled responses (replication 1); the parts add up to the mean response".into()
            }
            Measure::Completion => {
                "paths of sampled completions (replication 1); queueing includes messages waiting for a consumer".into()
            }
        },
        y_label: if log_y {
            format!("ms per {m} (log scale)")
        } else {
            format!("ms per {m}")
        },
        categories,
        groups: vec![
            series(0, "network"),
            series(1, "queueing"),
            series(2, "work"),
            series(3, "other (backoff, fallback, waited-out loss)"),
        ],
        y_range: None,
        log_y,
    })
}
