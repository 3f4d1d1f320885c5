//! Simulated time: an integer count of nanoseconds since the start of a run.
//!
//! Integer time makes event ordering exact and platform independent: there is no
//! floating-point epsilon anywhere in the ordering of events.

/// Simulated time or duration in nanoseconds.
pub type SimTime = u64;

/// Nanoseconds per microsecond.
pub const NANOS_PER_US: u64 = 1_000;
/// Nanoseconds per millisecond.
pub const NANOS_PER_MS: u64 = 1_000_000;
/// Nanoseconds per second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Format a duration in the most readable unit ("850us", "3.2ms", "1.50s", "2m05s").
pub fn format_duration(ns: f64) -> String {
    let abs = ns.abs();
    if abs < 1e3 {
        format!("{ns:.0}ns")
    } else if abs < 1e6 {
        format!("{:.1}us", ns / 1e3)
    } else if abs < 1e9 {
        format!("{:.2}ms", ns / 1e6)
    } else if abs < 120e9 {
        format!("{:.3}s", ns / 1e9)
    } else {
        let secs = (ns / 1e9).round() as u64;
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_readable_units() {
        assert_eq!(format_duration(250.0), "250ns");
        assert_eq!(format_duration(250_000.0), "250.0us");
        assert_eq!(format_duration(3_200_000.0), "3.20ms");
        assert_eq!(format_duration(1.5e9), "1.500s");
        assert_eq!(format_duration(125e9), "2m05s");
    }
}
