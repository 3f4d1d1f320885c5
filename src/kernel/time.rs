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

/// `x.round() as u64` (half away from zero, saturating, NaN to 0) for `x >= 0`, with
/// the same result for every input but no call: `f64::round` is a libm function on
/// baseline x86-64, and exponential arrivals round once per request.
#[inline]
pub fn round_ns(x: f64) -> u64 {
    let whole = x as u64; // truncates and saturates
                          // Exact below 2^53 (both terms are representable and one apart at most); above,
                          // `x` is already an integer and the difference is 0.
    if x - whole as f64 >= 0.5 {
        whole.saturating_add(1)
    } else {
        whole
    }
}

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
    fn round_ns_is_round_for_every_non_negative_input() {
        let mut x: f64 = 0.0;
        let special = [
            0.5,
            1.5,
            2.5,
            0.499_999_999_999_999_94,
            4_503_599_627_370_495.5, // 2^52 - 0.5
            9_007_199_254_740_993.0,
            1.8e19,
            1e300,
            f64::INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for &v in &special {
            assert_eq!(round_ns(v), v.round() as u64, "{v}");
        }
        for i in 0..200_000u64 {
            x = x * 1.000_37 + (i % 7) as f64 * 0.125 + 1e-3;
            for v in [
                x,
                x.floor() + 0.5,
                x.floor() + 0.499_999_9,
                x.floor() + 0.500_000_1,
            ] {
                assert_eq!(round_ns(v), v.round() as u64, "{v}");
            }
        }
    }

    #[test]
    fn formats_in_readable_units() {
        assert_eq!(format_duration(250.0), "250ns");
        assert_eq!(format_duration(250_000.0), "250.0us");
        assert_eq!(format_duration(3_200_000.0), "3.20ms");
        assert_eq!(format_duration(1.5e9), "1.500s");
        assert_eq!(format_duration(125e9), "2m05s");
    }
}
