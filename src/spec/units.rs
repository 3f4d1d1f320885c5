//! Human-readable durations ("250us", "1.5s") and rates ("50/s", "3000/m").

use super::limits::MAX_RATE_PER_SEC;
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

/// Splits "12.5ms" or "2.5e-3s" into the number and the unit, trimming spaces between
/// them. An `e` or `E` belongs to the number when a digit (after an optional sign)
/// follows it; no unit starts with `e`.
fn split_number(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    let mut end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            end = j;
        }
    }
    (&s[..end], s[end..].trim_start())
}

/// A decimal number `digits[.digits][e[+-]digits]` as (significant digits, power of
/// ten): at most [`SIGNIFICANT`] leading digits are kept, which is exact for every
/// duration that fits in a u64 and changes the others by less than 1e-24.
fn decimal(num: &str) -> Option<(u128, i64)> {
    const SIGNIFICANT: usize = 24;
    let (mantissa, exp) = match num.find(['e', 'E']) {
        Some(i) => (&num[..i], &num[i + 1..]),
        None => (num, "0"),
    };
    let negative = exp.starts_with('-');
    let exp_digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
    if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Cap absurd exponents; they overflow or round to zero below either way.
    let magnitude = exp_digits.parse::<i64>().unwrap_or(1 << 40).min(1 << 40);
    let exp = if negative { -magnitude } else { magnitude };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = int.bytes().chain(frac.bytes()).skip_while(|&b| b == b'0');
    let mut value: u128 = 0;
    let mut kept = 0usize;
    let mut dropped = 0i64;
    for d in digits {
        if kept < SIGNIFICANT {
            value = value * 10 + u128::from(d - b'0');
            kept += 1;
        } else {
            dropped += 1;
        }
    }
    Some((value, exp - frac.len() as i64 + dropped))
}

/// Parses a duration such as "250us", "3ms", "1.5s", "2m", "1h", "0s", "100ns" or, in
/// scientific notation, "2.5e-3s" into nanoseconds. The arithmetic is exact decimal
/// (no floating point); fractions of a nanosecond are rounded to the nearest
/// nanosecond. The longest duration is `u64::MAX` ns ("18446744073709551615ns", about
/// 584 years); anything longer is an error, never silently cut.
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
    let invalid = || {
        format!(
            "invalid duration \"{s}\"; expected a number with a unit ({UNIT_LIST}), e.g. \"5ms\" or \"2.5e-3s\""
        )
    };
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return Err(invalid());
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
    let Some((digits, exp)) = decimal(num) else {
        return Err(invalid());
    };
    let too_long = || {
        format!(
            "duration \"{s}\" is too long; the longest is 18446744073709551615ns (about 584 years)"
        )
    };
    // digits < 10^24 and scale < 10^13, so the product fits in a u128 (< 3.4e38).
    let ns = digits * u128::from(scale);
    let total = if ns == 0 {
        0
    } else if exp >= 0 {
        let pow = u32::try_from(exp)
            .ok()
            .and_then(|e| 10u128.checked_pow(e))
            .ok_or_else(too_long)?;
        ns.checked_mul(pow).ok_or_else(too_long)?
    } else if exp < -38 {
        0 // below half a nanosecond: ns < 10^37
    } else {
        let pow = 10u128.pow((-exp) as u32);
        ns / pow + u128::from(ns % pow >= pow.div_ceil(2))
    };
    u64::try_from(total).map_err(|_| too_long())
}

/// Whether `num` is a plain decimal number, optionally in scientific notation.
fn is_decimal(num: &str) -> bool {
    !num.is_empty() && !num.starts_with(['e', 'E']) && decimal(num).is_some()
}

/// Parses a rate such as "50/s", "3000/m", "2.5/ms" or "1e3/s" into events per
/// second. A bare number ("50") is per second. The result is finite, >= 0 and at most
/// one event per nanosecond (1e9/s, the time resolution).
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, per) = match t.split_once('/') {
        Some((n, u)) => (n.trim(), Some(u.trim())),
        None => (t, None),
    };
    let value: f64 = match num.parse::<f64>() {
        Ok(v) if is_decimal(num) => v,
        _ => {
            return Err(format!(
                "invalid rate \"{s}\"; expected a number per unit, e.g. \"50/s\", \"3000/m\" or \"1e3/s\""
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
    check_rate(per_sec).map_err(|m| format!("rate \"{s}\" {m}"))
}

/// A rate per second is finite and at most [`MAX_RATE_PER_SEC`].
pub(crate) fn check_rate(per_sec: f64) -> Result<f64, String> {
    if per_sec.is_finite() && per_sec <= MAX_RATE_PER_SEC {
        Ok(per_sec)
    } else {
        Err("is above 1e9/s, one event per nanosecond (the time resolution); scale the model down (fewer, heavier requests)".to_owned())
    }
}

/// Parses a count such as "30000000", "30_000_000" or "3e7" (a whole number, >= 0,
/// at most `u64::MAX`).
pub fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let bad =
        || format!("invalid count \"{s}\"; expected a whole number, e.g. \"30000000\" or \"3e7\"");
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    match t.parse::<f64>() {
        Ok(v) if is_decimal(&t) && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64 => {
            Ok(v as u64)
        }
        _ => Err(bad()),
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
    fn durations_take_scientific_notation_exactly() {
        assert_eq!(parse_duration("1e3ms"), Ok(1_000_000_000));
        assert_eq!(parse_duration("2.5e-3s"), Ok(2_500_000));
        assert_eq!(parse_duration("2.5E+3us"), Ok(2_500_000));
        assert_eq!(parse_duration("1e-9s"), Ok(1));
        assert_eq!(parse_duration("4e-10s"), Ok(0));
        assert_eq!(parse_duration("1e-99999999999s"), Ok(0));
        assert_eq!(parse_duration("0e999999s"), Ok(0));
        assert_eq!(
            parse_duration("18446744073709551615ns"),
            Ok(u64::MAX),
            "u64::MAX ns is exact"
        );
        assert_eq!(parse_duration("1.8446744073709551615e19ns"), Ok(u64::MAX));
        assert_eq!(parse_duration("1000h"), Ok(3_600_000_000_000_000));
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
        assert!(parse_duration("1e").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("e3ms").is_err());
        assert!(parse_duration("1e3.5ms").is_err());
        assert!(parse_duration("1e30s").unwrap_err().contains("too long"));
        assert!(parse_duration("1e99999999999999999999s")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("18446744073709551616ns")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("99999999999999999999999h")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("9999999999h")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("1.00000000000000000000000000000001s").is_ok());
    }

    #[test]
    fn counts_take_digits_separators_and_scientific_notation() {
        assert_eq!(parse_count("30000000"), Ok(30_000_000));
        assert_eq!(parse_count("30_000_000"), Ok(30_000_000));
        assert_eq!(parse_count("3e7"), Ok(30_000_000));
        assert_eq!(parse_count(" 1E10 "), Ok(10_000_000_000));
        assert_eq!(parse_count("18446744073709551615"), Ok(u64::MAX));
        for bad in ["", "-5", "2.5", "1e-3", "1e30", "inf", "NaN", "e7", "10M"] {
            let err = parse_count(bad).expect_err(bad);
            assert!(err.contains("expected a whole number"), "{bad}: {err}");
        }
    }

    #[test]
    fn rates_parse_per_unit() {
        assert_eq!(parse_rate("50/s"), Ok(50.0));
        assert_eq!(parse_rate("3000/m"), Ok(50.0));
        assert_eq!(parse_rate("2.5/ms"), Ok(2500.0));
        assert_eq!(parse_rate("7"), Ok(7.0));
        assert_eq!(parse_rate("36000 / h"), Ok(10.0));
        assert_eq!(parse_rate("0/s"), Ok(0.0));
        assert_eq!(parse_rate("1e3/s"), Ok(1000.0));
        assert_eq!(parse_rate("2.5E-1/ms"), Ok(250.0));
        assert_eq!(parse_rate("1e9/s"), Ok(1e9));
        assert_eq!(parse_rate("1/ns"), Ok(1e9));
    }

    #[test]
    fn rates_above_one_per_nanosecond_are_rejected() {
        for r in ["2/ns", "1.5e9/s", "1e400/s", "1e10"] {
            let e = parse_rate(r).unwrap_err();
            assert!(e.contains("above 1e9/s"), "{r}: {e}");
        }
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
        assert!(parse_rate("e3/s").is_err());
        assert!(parse_rate("1e-/s").is_err());
        assert!(parse_rate("1e3").is_ok());
    }
}
