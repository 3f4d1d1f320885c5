//! One function per chart of an experiment (one variant or a comparison), each named after
//! the figure it draws; `super::experiment_figures` calls them in the report's order.

use super::{
    cdf, fig, line, pct, short_ms, short_pct, time_breakdown, time_series, BarChart, BarSeries,
    Estimate, Experiment, Figure, FigureContext, FlowSummary, FlowTimeline, Heatmap, Hop, Measure,
    Reach, Series, Summary, VariantRun,
};
use crate::experiment::LatencySummary;
use crate::report::sections::verdict::{completed_fully, completions};

/// The headline: p99 response (what the client waits for) against p99 completion (when
/// the business outcome is done) per variant; drawn when some variant has completions.
pub(super) fn response_vs_completion(ctx: &FigureContext) -> Option<Figure> {
    if !ctx.has_completion {
        return None;
    }
    let (exp, focus, flow, by) = (ctx.exp, ctx.focus, &ctx.flow, ctx.by);
    let secs = |e: Estimate| (e.mean / 1e3, Some(e.ci95 / 1e3));
    let flows: Vec<Option<&FlowSummary>> = exp
        .variants
        .iter()
        .map(|v| v.summary.flows.get(focus))
        .collect();
    // A p99 of the latencies `pick` gives; no bar where nothing was recorded.
    let p99 = |f: Option<&FlowSummary>, pick: &dyn Fn(&FlowSummary) -> &LatencySummary| {
        f.map(pick).filter(|l| l.samples.mean > 0.0).map(|l| l.p99)
    };
    let series = |name: &str, pick: &dyn Fn(&FlowSummary) -> &LatencySummary| {
        BarSeries::new(
            name,
            flows
                .iter()
                .map(|&f| p99(f, pick).map_or((f64::NAN, None), secs))
                .collect(),
        )
        .with_labels(
            flows
                .iter()
                .map(|&f| match (f, p99(f, pick)) {
                    (_, Some(e)) => short_ms(e.mean),
                    (Some(_), None) => "none".to_string(),
                    (None, None) => String::new(),
                })
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
                    if completions(f).samples.mean > 0.0 {
                        short_pct(completed_fully(f).mean)
                    } else {
                        "none".to_string()
                    }
                )
            }
            None => v.name.clone(),
        })
        .collect();
    Some(fig(
        "response-vs-completion",
        BarChart {
            title: format!("{flow}: p99 response vs p99 completion{by}"),
            x_label: "failed: error responses · completed: all triggered work succeeded · whiskers: 95% CI".into(),
            y_label: "p99 latency (s, log scale)".into(),
            categories,
            groups: vec![
                series("p99 response (client waits)", &|f| &f.latency),
                series("p99 completion (outcome done)", &completions),
            ],
            y_range: None,
            log_y: true,
        },
    ))
}

/// Each variant's CDF points picked by `pick`, with latencies clamped to at least 1 µs
/// (the axis is logarithmic).
fn cdf_series(
    ctx: &FigureContext,
    pick: &dyn Fn(&VariantRun) -> Vec<(f64, f64)>,
) -> Vec<(String, Vec<(f64, f64)>)> {
    ctx.exp
        .variants
        .iter()
        .map(|v| {
            let pts = pick(v)
                .into_iter()
                .map(|(ms, q)| (ms.max(0.001), q))
                .collect::<Vec<_>>();
            (v.name.clone(), pts)
        })
        .collect::<Vec<_>>()
}

/// The focus flow's response-latency CDF points per variant.
fn response_cdf_series(ctx: &FigureContext) -> Vec<(String, Vec<(f64, f64)>)> {
    let focus = ctx.focus;
    cdf_series(ctx, &|v| v.cdf.get(focus).cloned().unwrap_or_default())
}

/// The focus flow's completion-latency CDF points per variant (its response CDF for a
/// variant whose flow has no completions).
fn completion_cdf_series(ctx: &FigureContext) -> Vec<(String, Vec<(f64, f64)>)> {
    let focus = ctx.focus;
    cdf_series(ctx, &|v| {
        let has = v
            .summary
            .flows
            .get(focus)
            .is_some_and(|f| f.completion.is_some());
        let c = if has { &v.completion_cdf } else { &v.cdf };
        c.get(focus).cloned().unwrap_or_default()
    })
}

/// The x range the response and completion CDFs share: whole decades around every
/// positive latency of both.
fn shared_cdf_range(ctx: &FigureContext) -> Option<(f64, f64)> {
    let response = response_cdf_series(ctx);
    let completion = completion_cdf_series(ctx);
    let all = response
        .iter()
        .chain(&completion)
        .flat_map(|(_, p)| p.iter().map(|p| p.0))
        .filter(|x| x.is_finite() && *x > 0.0);
    let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    (lo.is_finite() && hi > lo).then(|| {
        (
            10f64.powf(lo.log10().floor()),
            10f64.powf(hi.log10().ceil()),
        )
    })
}

/// The focus flow's response-latency CDF per variant; always drawn, on the completion
/// CDF's x range when that is drawn too.
pub(super) fn latency_cdf(ctx: &FigureContext) -> Figure {
    let (flow, by) = (&ctx.flow, ctx.by);
    let mut response_chart = cdf(
        format!("Response latency CDF — {flow}{by}"),
        "response latency (ms, log scale)",
        response_cdf_series(ctx),
        true,
    );
    if ctx.has_completion {
        response_chart.x_range = shared_cdf_range(ctx);
    }
    fig("latency-cdf", response_chart)
}

/// The focus flow's completion-latency CDF per variant, on the response CDF's x range;
/// drawn when some variant has completions.
pub(super) fn completion_cdf(ctx: &FigureContext) -> Option<Figure> {
    if !ctx.has_completion {
        return None;
    }
    let (flow, by) = (&ctx.flow, ctx.by);
    let mut c = cdf(
        format!("Completion latency CDF — {flow}{by}"),
        "completion latency: send → all triggered work done (ms, log scale; same axis as the response CDF)",
        completion_cdf_series(ctx),
        true,
    );
    c.x_range = shared_cdf_range(ctx);
    Some(fig("completion-cdf", c))
}

/// p50, p99 and p99.9 response latency of the focus flow per variant, with 95% CI
/// whiskers (log scale when they span more than 100×); always drawn.
pub(super) fn latency_percentiles(ctx: &FigureContext) -> Figure {
    let (exp, focus, flow, by) = (ctx.exp, ctx.focus, &ctx.flow, ctx.by);
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
    fig(
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
            categories: ctx.names.clone(),
            groups: vec![
                BarSeries::new("p50", lat(&|f| f.latency.p50)),
                BarSeries::new("p99", lat(&|f| f.latency.p99)),
                BarSeries::new("p99.9", lat(&|f| f.latency.p999)),
            ],
            y_range: None,
            log_y: spread,
        },
    )
}

/// A bar's height and its 95% CI whisker.
type Bar = (f64, Option<f64>);

/// The failure-rates chart's categories and, per variant, its bars (% with CI): the whole
/// run, then each fault window of the first variant.
fn failure_rate_bars(ctx: &FigureContext) -> (Vec<String>, Vec<Vec<Bar>>) {
    let (exp, focus, flow) = (ctx.exp, ctx.focus, &ctx.flow);
    let mut categories = vec![
        "whole run: failed".to_string(),
        "whole run: cascade".into(),
        "whole run: collateral".into(),
    ];
    let mut values: Vec<Vec<Bar>> = exp
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
    for (k, fault) in ctx.first.summary.faults.iter().enumerate() {
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
                .and_then(|w| w.flows.iter().find(|x| x.flow == *flow));
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
    (categories, values)
}

/// Failure, cascade and collateral rates of the focus flow per variant, over the whole run
/// and over each fault window; always drawn.
pub(super) fn failure_rates(ctx: &FigureContext) -> Figure {
    let (flow, by) = (&ctx.flow, ctx.by);
    let (categories, values) = failure_rate_bars(ctx);
    fig(
        "failure-rates",
        BarChart {
            title: format!("Failure, cascade and collateral rates — {flow}{by}"),
            x_label: "over the whole run, and over requests answered during each fault window"
                .into(),
            y_label: "share of responses (%)".into(),
            categories,
            groups: ctx
                .names
                .iter()
                .zip(values)
                .map(|(n, v)| BarSeries::new(n.clone(), v))
                .collect(),
            y_range: None,
            log_y: false,
        },
    )
}

/// One series per variant of the focus flow's timeline picked by `pick`.
fn per_variant(
    ctx: &FigureContext,
    pick: &dyn Fn(&FlowTimeline) -> &Vec<f64>,
    scale: f64,
    gap: bool,
) -> Vec<Series> {
    ctx.exp
        .variants
        .iter()
        .filter_map(|v| {
            let t = v.summary.timeline.flows.get(ctx.focus)?;
            Some(Series::new(
                v.name.clone(),
                time_series(&v.summary, pick(t), scale, gap),
            ))
        })
        .collect::<Vec<_>>()
}

/// The focus flow's responses per second over time, per variant; always drawn.
pub(super) fn throughput_timeline(ctx: &FigureContext) -> Figure {
    let (flow, by) = (&ctx.flow, ctx.by);
    line(
        ctx,
        "timeline-throughput",
        format!("Throughput over time — {flow}{by}"),
        "responses per second (/s)",
        false,
        per_variant(ctx, &|t| &t.throughput, 1.0, false),
    )
}

/// The failed share of responses over time of every flow (so collateral damage to other
/// flows shows), per variant; always drawn.
pub(super) fn failures_timeline(ctx: &FigureContext) -> Figure {
    let exp = ctx.exp;
    let nflows = ctx.first.summary.timeline.flows.len();
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
    line(
        ctx,
        "timeline-failures",
        format!("Failed responses over time{}", ctx.by),
        "failed share of responses (%)",
        false,
        fail_series,
    )
}

/// The focus flow's p99 response latency over time, per variant (an interval without
/// responses is a gap); always drawn.
pub(super) fn p99_timeline(ctx: &FigureContext) -> Figure {
    let (flow, by) = (&ctx.flow, ctx.by);
    line(
        ctx,
        "timeline-p99",
        format!("p99 response latency over time — {flow}{by}"),
        "p99 response latency (ms, log scale)",
        true,
        per_variant(ctx, &|t| &t.p99_ms, 1.0, true),
    )
}

/// Messages waiting for a consumer over time, for every (variant, queue) with a backlog;
/// drawn when some variant has a queue.
pub(super) fn queue_backlog(ctx: &FigureContext) -> Option<Figure> {
    let exp = ctx.exp;
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
    any_queue.then(|| {
        line(
            ctx,
            "queue-backlog",
            format!("Queue backlog over time{}", ctx.by),
            "messages waiting for a consumer",
            false,
            backlog,
        )
    })
}

/// Where the focus flow's response time goes on the sampled critical paths (network,
/// queueing, work, other) per variant, or per hop in a single run; drawn when traced.
pub(super) fn response_breakdown(ctx: &FigureContext) -> Option<Figure> {
    breakdown_chart(ctx.exp, ctx.focus, &ctx.flow, Measure::Response)
        .map(|chart| fig("response-breakdown", chart))
}

/// Where the focus flow's completion time goes on the sampled completion paths, like the
/// response breakdown; drawn when some variant has asynchronous work.
pub(super) fn completion_breakdown(ctx: &FigureContext) -> Option<Figure> {
    breakdown_chart(ctx.exp, ctx.focus, &ctx.flow, Measure::Completion)
        .map(|chart| fig("completion-breakdown", chart))
}

/// Per hop of a time breakdown with some time in it: its label and (waiting, work,
/// downstream) per execution; a queue's wait is its consumer lag, its other two NaN.
fn hop_times(v: &VariantRun, hops: &[Hop]) -> Vec<(String, [Estimate; 3])> {
    hops.iter()
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
        .collect()
}

/// Where the time goes per service (and queue) on the focus flow's path in variant `vi`:
/// waiting for a worker, work, waiting on downstream; drawn when the path is known.
pub(super) fn service_time_breakdown(ctx: &FigureContext, vi: usize) -> Option<Figure> {
    let (exp, flow) = (ctx.exp, &ctx.flow);
    let v = &exp.variants[vi];
    let b = time_breakdown(v, ctx.focus)?;
    let hops = hop_times(v, &b.hops);
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
    // Short enough that the whole caption fits the chart's width.
    let network = b.network_ms.map_or(String::new(), |n| {
        format!(" · client ↔ entry on the wire: {}", short_ms(n))
    });
    let title = if exp.is_comparison() {
        format!("Where the time goes — {flow}, variant {}", v.name)
    } else {
        format!("Where the time goes — {flow}")
    };
    Some(fig(
        ctx.variant_id("time-breakdown", vi),
        BarChart {
            title,
            x_label: format!(
                "mean per execution over all of a service's operations; 95% CI{network}"
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
    ))
}

/// Worker utilization per service over time in variant `vi`, as a heatmap with the fault
/// windows marked; always drawn, one per variant.
pub(super) fn utilization(ctx: &FigureContext, vi: usize) -> Figure {
    let exp = ctx.exp;
    let v = &exp.variants[vi];
    let tl = &v.summary.timeline;
    let mut x = vec![0.0];
    x.extend(tl.t_s.iter().copied());
    let title = if exp.is_comparison() {
        format!(
            "Worker utilization per service over time — variant {}",
            v.name
        )
    } else {
        "Worker utilization per service over time".to_string()
    };
    fig(
        ctx.variant_id("utilization", vi),
        Heatmap {
            title,
            x_label: "simulated time (s)".into(),
            y_label: "service".into(),
            rows: tl.services.iter().map(|s| s.service.clone()).collect(),
            x,
            values: tl.services.iter().map(|s| s.utilization.clone()).collect(),
            value_label: "busy workers / workers".into(),
            value_range: Some((0.0, 1.0)),
            windows: ctx.windows.clone(),
        },
    )
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
    let parts =
        |h: &crate::metrics::paths::HopBreakdown| [h.network_ms, h.queue_ms, h.work_ms, h.other_ms];
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
        let v = exp.variants.first()?;
        let b = pick(&v.summary)?;
        b.hops
            .iter()
            .map(|h| (crate::report::names::step(&v.scenario, h.step), parts(h)))
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
