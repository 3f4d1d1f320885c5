//! The terminal view of any experiment (a single run is an experiment with one
//! variant): one header, the warnings, every section as aligned text, the SLO verdicts
//! and the accounting footer.

use super::escape::{terminal_lines, visible};
use super::sections::{
    ci_note, experiment_sections, num, section_text, slo_section, warning_lines,
};
use crate::experiment::compare::Experiment;
use crate::experiment::slo::SloVerdict;
use std::fmt::Write;

/// The header line: version, scenario, seed, variants, replications, duration.
pub fn header(exp: &Experiment) -> String {
    let first = exp.variants.first().map(|v| &v.summary);
    let replications = first.map_or(0, |s| s.replications);
    let variants = if exp.is_comparison() {
        format!(
            "{} variant{}, ",
            exp.variants.len(),
            if exp.variants.len() == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    format!(
        "archsim {} — scenario {}: seed {}, {variants}{replications} replication{}{} x {}s simulated (warm-up {}s); {}",
        exp.archsim_version,
        exp.scenario,
        exp.seed,
        if replications == 1 { "" } else { "s" },
        if exp.is_comparison() { " each" } else { "" },
        first.map_or(0.0, |s| s.duration_s),
        first.map_or(0.0, |s| s.warmup_s),
        ci_note(replications),
    )
}

/// Per variant: events, late replies, lost messages and the conservation check.
fn footer(exp: &Experiment) -> String {
    let mut out = String::new();
    for v in &exp.variants {
        let s = &v.summary;
        let who = if exp.is_comparison() {
            format!("variant {}: ", v.name)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{who}events/replication {}   late replies {}   lost messages {}   request-reply timeouts {}   conservation: balanced in all {} replications",
            num(s.events, 0),
            num(s.late_replies, 1),
            num(s.lost_messages, 1),
            num(s.reply_timeouts, 1),
            s.conservation.len()
        );
    }
    out
}

/// The whole experiment as text for a terminal.
pub fn render(exp: &Experiment, verdicts: &[SloVerdict]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", visible(&header(exp)));
    if let Some(flow) = &exp.flow {
        let _ = writeln!(
            out,
            "comparing flow {}: every variant sees the same arrivals and the same fault schedule (common random numbers)",
            visible(flow)
        );
    }
    for w in warning_lines(exp) {
        let _ = writeln!(out, "warning: {}", visible(&w));
    }
    for s in experiment_sections(exp) {
        out.push('\n');
        out.push_str(&section_text(&s));
    }
    if !verdicts.is_empty() {
        out.push('\n');
        out.push_str(&section_text(&slo_section(verdicts)));
    }
    out.push('\n');
    out.push_str(&footer(exp));
    // Every name above is made visible; this catches any text added without it.
    terminal_lines(&out)
}
