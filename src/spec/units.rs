//! Human-readable durations ("250us", "1.5s") and rates ("50/s", "3000/m").

use crate::kernel::SimTime;

/// Units accepted after a number, with their length in nanoseconds.
const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const UNIT_LIST: &str = "ns, us, ms, s, m, h";

fn unit_ns(unit: &str) -> Option<u64> {
    UNITS.iter().find(|(u, _)| *u == unit).map(|&(_, ns)| ns)
}

/// Splits "12.5ms" into ("12.5", "ms"), trimming spaces between them.
fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    (&s[..end], s[end..].trim_start())
}

/// Parses a duration such as "250us", "3ms", "1.5s", "2m", "1h", "0s" or "100ns" into
/// nanoseconds. Decimal fractions are exact (no floating point); fractions of a
/// nanosecond are rounded to the nearest nanosecond.
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!(
            "empty duration; use a number with a unit ({UNIT_LIST}), e.g. \"5ms\""
        ));
    }
    if t.starts_with('-') {
        return Err(format!(
            "duration \"{s}\" is negative; durations must be >= 0"
        ));
    }
    let (num, unit) = split_number(t.strip_prefix('+').unwrap_or(t));
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return Err(format!(
            "invalid duration \"{s}\"; expected a number with a unit ({UNIT_LIST}), e.g. \"5ms\""
        ));
    }
    if unit.is_empty() {
        return Err(format!(
            "duration \"{s}\" has no unit; add one of {UNIT_LIST}, e.g. \"{num}ms\""
        ));
    }
    let Some(scale) = unit_ns(unit) else {
        return Err(format!(
            "unknown unit \"{unit}\" in duration \"{s}\"; valid units: {UNIT_LIST}"
        ));
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let too_long = || format!("duration \"{s}\" is too long");
    let mut ns: u128 = 0;
    for d in int.bytes() {
        ns = ns
            .checked_mul(10)
            .and_then(|v| v.checked_add(u128::from(d - b'0')))
            .ok_or_else(too_long)?;
        if ns > u128::from(u64::MAX) {
            return Err(too_long());
        }
    }
    ns = ns.checked_mul(u128::from(scale)).ok_or_else(too_long)?;
    // Fraction: sum of digit * scale / 10^k, computed exactly on the first 20 digits.
    let mut numer: u128 = 0;
    let mut denom: u128 = 1;
    for d in frac.bytes().take(20) {
        numer = numer * 10 + u128::from(d - b'0');
        denom *= 10;
    }
    let frac_ns = (numer * u128::from(scale) + denom / 2) / denom;
    let total = ns.checked_add(frac_ns).ok_or_else(too_long)?;
    u64::try_from(total).map_err(|_| too_long())
}

/// Parses a rate such as "50/s", "3000/m" or "2.5/ms" into events per second. A bare
/// number ("50") is per second. The result is finite and >= 0.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, per) = match t.split_once('/') {
        Some((n, u)) => (n.trim(), Some(u.trim())),
        None => (t, None),
    };
    let value: f64 = match num.parse::<f64>() {
        Ok(v) if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit() || b == b'.') => v,
        _ => {
            return Err(format!(
                "invalid rate \"{s}\"; expected a number per unit, e.g. \"50/s\" or \"3000/m\""
            ))
        }
    };
    let per_sec = match per {
        None => value,
        Some(unit) => {
            let Some(ns) = unit_ns(unit) else {
                return Err(format!(
                    "unknown unit \"{unit}\" in rate \"{s}\"; valid units: {UNIT_LIST}"
                ));
            };
            value * (1e9 / ns as f64)
        }
    };
    if per_sec.is_finite() {
        Ok(per_sec)
    } else {
        Err(format!("rate \"{s}\" is too large"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("3ms"), Ok(3_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("2m"), Ok(120_000_000_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("100ns"), Ok(100));
        assert_eq!(parse_duration(" 5 ms "), Ok(5_000_000));
        assert_eq!(parse_duration("0.1s"), Ok(100_000_000));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(parse_duration("2.9s"), Ok(2_900_000_000));
        assert_eq!(parse_duration("1.5ns"), Ok(2));
        assert_eq!(parse_duration("10µs"), Ok(10_000));
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        assert!(parse_duration("5").unwrap_err().contains("has no unit"));
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("-5ms").unwrap_err().contains("negative"));
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("1.2.3s").is_err());
        assert!(parse_duration("1e3ms").is_err());
        assert!(parse_duration("99999999999999999999999h")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("9999999999h")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("1.00000000000000000000000000000001s").is_ok());
    }

    #[test]
    fn rates_parse_per_unit() {
        assert_eq!(parse_rate("50/s"), Ok(50.0));
        assert_eq!(parse_rate("3000/m"), Ok(50.0));
        assert_eq!(parse_rate("2.5/ms"), Ok(2500.0));
        assert_eq!(parse_rate("7"), Ok(7.0));
        assert_eq!(parse_rate("36000 / h"), Ok(10.0));
        assert_eq!(parse_rate("0/s"), Ok(0.0));
    }

    #[test]
    fn bad_rates_are_rejected() {
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("-5/s").is_err());
        assert!(parse_rate("5/fortnight")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("inf/s").is_err());
        assert!(parse_rate("/s").is_err());
    }
}
