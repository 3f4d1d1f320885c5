//! The human-readable terminal report.

use super::compare::{
    breakdown_rows, breakdown_title, critical_path_section, queue_row, section_text, Measure,
    Section, BREAKDOWN_HEADER, COMPLETION_PATH_TITLE, CRITICAL_PATH_TITLE, QUEUE_HEADER,
};
use super::escape::{terminal_lines, visible};
use crate::experiment::{Estimate, LatencySummary, Summary};
use crate::kernel::format_duration;
use std::fmt::Write;

fn ms(e: Estimate) -> String {
    if e.ci95 > 0.0 {
        format!(
            "{} ±{}",
            format_duration(e.mean * 1e6),
            format_duration(e.ci95 * 1e6)
        )
    } else {
        format_duration(e.mean * 1e6)
    }
}

fn num(e: Estimate, decimals: usize) -> String {
    if e.ci95 > 0.0 {
        format!("{:.*} ±{:.*}", decimals, e.mean, decimals, e.ci95)
    } else {
        format!("{:.*}", decimals, e.mean)
    }
}

fn pct(e: Estimate) -> String {
    if e.ci95 > 0.0 {
        format!("{:.2}% ±{:.2}", e.mean * 100.0, e.ci95 * 100.0)
    } else {
        format!("{:.2}%", e.mean * 100.0)
    }
}

fn latency_rows(out: &mut String, label: &str, l: &LatencySummary) {
    let cells = [l.mean, l.p50, l.p90, l.p99, l.p999, l.max].map(ms);
    let _ = writeln!(
        out,
        "  {label:<9} {:<22} {:<22} {:<22} {:<22} {:<22} {}",
        cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
    );
}

/// What the figures of a table are: with one replication there is no interval.
pub(crate) fn ci_note(replications: u32) -> &'static str {
    if replications < 2 {
        "one replication: no confidence interval (run more to get one)"
    } else {
        "figures are mean ±95% CI"
    }
}

/// The share of a flow's requests still unanswered at the end, "2.50% of requests".
pub(crate) fn in_flight_share(f: &crate::experiment::FlowSummary) -> String {
    format!(
        "{:.2}% of requests",
        100.0 * f.in_flight.mean / f.requests.mean.max(1.0)
    )
}

/// Render the summary as a plain-text report (values are mean ± 95% CI half-width).
pub fn render_table(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "archsim {} — scenario {}: seed {}, {} replication{} x {}s simulated (warm-up {}s); {}",
        s.archsim_version,
        visible(&s.scenario),
        s.seed,
        s.replications,
        if s.replications == 1 { "" } else { "s" },
        s.duration_s,
        s.warmup_s,
        ci_note(s.replications)
    );
    for w in &s.warnings {
        let _ = writeln!(out, "warning: {}", visible(&w.message));
    }
    for f in &s.flows {
        let _ = writeln!(
            out,
            "\nflow {} (entry {})",
            visible(&f.flow),
            visible(&f.entry)
        );
        let _ = writeln!(
            out,
            "  requests {}   throughput {}/s   goodput {}/s   success {} of answered   in flight at end {} ({})",
            num(f.requests, 0),
            num(f.throughput, 2),
            num(f.goodput, 2),
            pct(f.success_rate),
            num(f.in_flight, 1),
            in_flight_share(f)
        );
        let _ = writeln!(
            out,
            "  {:<9} {:<22} {:<22} {:<22} {:<22} {:<22} max",
            "latency", "mean", "p50", "p90", "p99", "p99.9"
        );
        latency_rows(&mut out, "response", &f.latency);
        if let Some(c) = &f.completion {
            latency_rows(&mut out, "complete", &c.latency);
            let _ = writeln!(
                out,
                "  completion: {} of completed requests fully succeeded; {} still in progress at the end",
                pct(c.success_rate),
                num(c.in_progress, 1)
            );
        }
        if f.degraded_rate.mean > 0.0 {
            let _ = writeln!(
                out,
                "  degraded answers (fallback) {}",
                pct(f.degraded_rate)
            );
        }
        if let Some(d) = &f.during_faults {
            let _ = writeln!(
                out,
                "  cascade failures {}   collateral {}   | sent during faults: {} requests, failed {}, cascade {}, collateral {}",
                pct(f.cascade_rate),
                pct(f.collateral_rate),
                num(d.requests, 0),
                pct(d.failure_rate),
                pct(d.cascade_rate),
                pct(d.collateral_rate)
            );
        }
        if f.failures.is_empty() {
            let _ = writeln!(out, "  failures: none");
        } else {
            latency_rows(&mut out, "success", &f.success_latency);
            let _ = writeln!(out, "  failures (per replication, share of requests):");
            for fl in &f.failures {
                let _ = writeln!(
                    out,
                    "    {:<24} {:<16} {}",
                    fl.reason,
                    num(fl.count, 1),
                    pct(fl.rate)
                );
            }
            let _ = writeln!(out, "  root causes:");
            for fl in &f.failures_by_root_cause {
                let root = visible(fl.root_cause.as_deref().unwrap_or("?"));
                let _ = writeln!(
                    out,
                    "    {:<24} at {:<20} {:<16} {}",
                    fl.reason,
                    root,
                    num(fl.count, 1),
                    pct(fl.rate)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{:<16} {:<16} {:<16} {:<14} {:<16} {:<18} {:<24} sojourn = queue wait + work + downstream (means)",
        "service", "utilization", "mean queue", "peak queue", "admitted/s", "rejected", "mean sojourn"
    );
    for sv in &s.services {
        let _ = writeln!(
            out,
            "{:<16} {:<16} {:<16} {:<14} {:<16} {:<18} {:<24} {} + {} + {}",
            visible(&sv.name),
            pct(sv.utilization),
            num(sv.mean_queue, 2),
            num(sv.peak_queue, 0),
            num(sv.arrival_rate, 2),
            format!("{} ({})", num(sv.rejected, 0), pct(sv.rejection_rate)),
            ms(sv.mean_sojourn),
            format_duration(sv.mean_queue_wait.mean * 1e6),
            format_duration(sv.mean_work.mean * 1e6),
            format_duration(sv.mean_downstream.mean * 1e6)
        );
    }
    render_queues(&mut out, s);
    render_sagas(&mut out, s);
    render_faults(&mut out, s);
    render_sites(&mut out, s);
    for measure in [Measure::Response, Measure::Completion] {
        for b in measure.breakdowns(s) {
            let section = Section {
                title: breakdown_title(&b.flow, measure),
                header: BREAKDOWN_HEADER.map(String::from).to_vec(),
                rows: breakdown_rows(b, measure),
            };
            out.push('\n');
            out.push_str(&section_text(&section));
        }
    }
    if !s.critical_paths.is_empty() {
        let paths: Vec<_> = s.critical_paths.iter().map(|p| (None, p)).collect();
        let section = critical_path_section(CRITICAL_PATH_TITLE.to_string(), &paths);
        out.push('\n');
        out.push_str(&section_text(&section));
    }
    let completions: Vec<_> = s
        .completion_paths
        .iter()
        .filter(|p| p.asynchronous)
        .map(|p| (None, p))
        .collect();
    if !completions.is_empty() {
        let section = critical_path_section(COMPLETION_PATH_TITLE.to_string(), &completions);
        out.push('\n');
        out.push_str(&section_text(&section));
    }
    let _ = writeln!(
        out,
        "\nevents/replication {}   late replies {}   lost messages {}   conservation: balanced in all {} replications",
        num(s.events, 0),
        num(s.late_replies, 1),
        num(s.lost_messages, 1),
        s.conservation.len()
    );
    // Every name above is escaped; this catches any text added without it.
    terminal_lines(&out)
}

fn render_faults(out: &mut String, s: &Summary) {
    for f in &s.faults {
        let _ = writeln!(
            out,
            "\nfault \"{}\": {} on {}; active {} of the time, {} activation(s)",
            visible(&f.name),
            f.kind,
            visible(&f.target),
            pct(Estimate {
                mean: 1.0 - f.availability.mean,
                ci95: f.availability.ci95
            }),
            num(f.activations, 1)
        );
        let Some(w) = &f.window else { continue };
        let _ = writeln!(out, "  window {}s .. {}s", w.start_s, w.end_s);
        for fl in &w.flows {
            let recovery = match &fl.recovery_s {
                Some(r) if fl.recovered_in as usize == s.replications as usize => {
                    format!("{} s", num(*r, 2))
                }
                Some(r) => format!(
                    "{} s in {}/{} replications; never in the others",
                    num(*r, 2),
                    fl.recovered_in,
                    s.replications
                ),
                None => "not recovered before the end of the run".to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<16} failed {:<18} cascade {:<18} collateral {:<18} recovery {}",
                visible(&fl.flow),
                pct(fl.failure_rate),
                pct(fl.cascade_rate),
                pct(fl.collateral_rate),
                recovery
            );
        }
        for q in &w.queues {
            let drain = match &q.drain_s {
                Some(d) => format!("drained {} s after the fault", num(*d, 2)),
                None => "not drained before the end of the run".to_string(),
            };
            let _ = writeln!(
                out,
                "  queue {:<30} peak backlog {:<16} {}",
                visible(&q.queue),
                num(q.peak_depth, 1),
                drain
            );
        }
        if w.blast_radius.is_empty() {
            let _ = writeln!(out, "  blast radius: none");
        } else {
            let list: Vec<String> = w
                .blast_radius
                .iter()
                .map(|b| format!("{} ({})", visible(&b.service), pct(b.failure_rate)))
                .collect();
            let _ = writeln!(
                out,
                "  blast radius: {} service(s): {}",
                w.blast_radius.len(),
                list.join(", ")
            );
        }
    }
}

fn render_sites(out: &mut String, s: &Summary) {
    if s.sites.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{:<40} {:<14} {:<16} {:<12} {:<12} {:<12} {:<12} breaker rejected / opened",
        "call site (policies)",
        "calls",
        "amplification",
        "retries",
        "denied",
        "fallbacks",
        "bulkhead"
    );
    for site in &s.sites {
        let _ = writeln!(
            out,
            "{:<40} {:<14} {:<16} {:<12} {:<12} {:<12} {:<12} {} / {}",
            visible(&site.site),
            num(site.calls, 0),
            num(site.amplification, 3),
            num(site.retries, 0),
            num(site.retries_denied, 0),
            num(site.fallbacks, 0),
            num(site.bulkhead_rejections, 0),
            num(site.breaker_rejections, 0),
            num(site.breaker_opened, 1)
        );
    }
    if !s.breaker_transitions.is_empty() {
        let shown = s.breaker_transitions.len().min(12);
        let _ = writeln!(
            out,
            "circuit breaker transitions (replication 0, first {shown} of {}):",
            s.breaker_transitions.len()
        );
        for t in &s.breaker_transitions[..shown] {
            let _ = writeln!(
                out,
                "  {:>10.3}s  {}  {:?} -> {:?}",
                t.time_s,
                visible(&t.site),
                t.from,
                t.to
            );
        }
    }
}

fn render_queues(out: &mut String, s: &Summary) {
    if s.queues.is_empty() {
        return;
    }
    let section = Section {
        title: "message queues (per replication, mean ±95% CI)".into(),
        header: QUEUE_HEADER.map(String::from).to_vec(),
        rows: s.queues.iter().map(|q| queue_row(q).to_vec()).collect(),
    };
    out.push('\n');
    out.push_str(&section_text(&section));
    if s.reply_timeouts.mean > 0.0 {
        let _ = writeln!(
            out,
            "request-reply timeouts per replication: {}",
            num(s.reply_timeouts, 1)
        );
    }
}

fn render_sagas(out: &mut String, s: &Summary) {
    for g in &s.sagas {
        let _ = writeln!(
            out,
            "\nsaga {} ({}): {} started per replication",
            visible(&g.name),
            g.style,
            num(g.started, 0)
        );
        let _ = writeln!(
            out,
            "  committed {}   compensated {}   inconsistent {}   aborted {}   still running at the end {}",
            pct(g.committed_rate),
            pct(g.compensated_rate),
            pct(g.inconsistent_rate),
            pct(g.aborted_rate),
            num(g.in_progress, 1)
        );
        let _ = writeln!(
            out,
            "  settle latency mean {} p50 {} p99 {}   inconsistency window {}   compensation latency {}   messages/saga {}",
            ms(g.latency.mean),
            ms(g.latency.p50),
            ms(g.latency.p99),
            ms(g.inconsistency_window_ms),
            ms(g.compensation_latency_ms),
            num(g.messages_per_saga, 2)
        );
        for st in &g.steps {
            let _ = writeln!(
                out,
                "    step {:<28} committed {:<16} compensated {}",
                visible(&st.action),
                num(st.actions_ok, 0),
                num(st.compensations_ok, 0)
            );
        }
    }
}
