//! The autoscaling figure: desired and ready replicas over time.

use super::{line, time_series, Figure, FigureContext, Series};

/// Desired (at each interval's end) and mean ready replicas of every autoscaled
/// service over time, per variant; drawn when some variant autoscales. A scaling
/// decision is a step of the desired line; the ready line follows it a start-up
/// delay later (and at once when scaling down: draining replicas take no new work).
pub(super) fn replicas_timeline(ctx: &FigureContext) -> Option<Figure> {
    let exp = ctx.exp;
    let mut series = Vec::new();
    for v in &exp.variants {
        for s in v.summary.scaling.iter().filter(|s| s.reached) {
            let name = if exp.is_comparison() {
                format!("{} · {}", v.name, s.service)
            } else {
                s.service.clone()
            };
            let t = &s.timeline;
            series.push(Series::new(
                format!("{name} desired"),
                time_series(&v.summary, &t.desired, 1.0, false),
            ));
            series.push(Series::new(
                format!("{name} ready"),
                time_series(&v.summary, &t.ready, 1.0, false),
            ));
        }
    }
    (!series.is_empty()).then(|| {
        line(
            ctx,
            "timeline-replicas",
            format!("Autoscaled replicas over time{}", ctx.by),
            "replicas (desired, mean ready)",
            false,
            series,
        )
    })
}
