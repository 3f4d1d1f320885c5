//! Axis ranges, tick positions and tick labels (linear and log10).

/// A mapping from data values to [0, 1] along an axis.
#[derive(Clone, Debug)]
pub(crate) struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    /// Log axis: values at or below zero are drawn at this (smallest positive) value.
    pub floor: f64,
}

impl Scale {
    /// Position of `v` in [0, 1] (outside for values outside the range).
    pub fn frac(&self, v: f64) -> f64 {
        if self.log {
            let v = if v > 0.0 { v } else { self.floor };
            let (a, b) = (self.lo.log10(), self.hi.log10());
            (v.log10() - a) / (b - a)
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// Ticks of an axis: labelled major ticks and unlabelled minor ones.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ticks {
    pub major: Vec<(f64, String)>,
    pub minor: Vec<f64>,
}

/// The finite values (positive ones only on a log axis, after clamping non-positive
/// values to the smallest positive one): returns (min, max, smallest positive).
pub(crate) fn extent(values: impl Iterator<Item = f64>, log: bool) -> Option<(f64, f64, f64)> {
    let vals: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if vals.is_empty() {
        return None;
    }
    let min_pos = vals
        .iter()
        .copied()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    if log {
        if !min_pos.is_finite() {
            // Nothing positive to show on a log axis: everything sits at 1.
            return Some((1.0, 1.0, 1.0));
        }
        let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        return Some((min_pos, max.max(min_pos), min_pos));
    }
    let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((min, max, if min_pos.is_finite() { min_pos } else { 1.0 }))
}

/// Widen a degenerate (empty or non-finite) range.
pub(crate) fn pad_range(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    let ok = lo.is_finite() && hi.is_finite() && hi > lo && (!log || lo > 0.0);
    if ok && (hi - lo) > lo.abs().max(hi.abs()) * 1e-12 {
        return (lo, hi);
    }
    if log {
        let v = if lo.is_finite() && lo > 0.0 { lo } else { 1.0 };
        (v / 2.0, v * 2.0)
    } else {
        let v = if lo.is_finite() { lo } else { 0.0 };
        if v == 0.0 {
            (0.0, 1.0)
        } else {
            let d = v.abs() * 0.1;
            (v - d, v + d)
        }
    }
}

/// An explicit axis range if it is usable.
pub(crate) fn valid_range(r: Option<(f64, f64)>, log: bool) -> Option<(f64, f64)> {
    let (a, b) = r?;
    let (a, b) = (a.min(b), a.max(b));
    if a.is_finite() && b.is_finite() && b > a && (!log || a > 0.0) {
        Some((a, b))
    } else {
        None
    }
}

fn nice_step(range: f64, target: usize) -> f64 {
    let raw = range / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// A scale and its ticks for the data range `[lo, hi]` (already padded), with about
/// `target` labelled ticks. With `expand`, the range grows to the enclosing ticks.
pub(crate) fn make_axis(
    lo: f64,
    hi: f64,
    log: bool,
    floor: f64,
    target: usize,
    expand: bool,
) -> (Scale, Ticks) {
    let (lo, hi) = pad_range(lo, hi, log);
    if log {
        log_axis(lo, hi, floor, target, expand)
    } else {
        linear_axis(lo, hi, target, expand)
    }
}

fn linear_axis(lo: f64, hi: f64, target: usize, expand: bool) -> (Scale, Ticks) {
    let step = nice_step(hi - lo, target);
    let (mut a, mut b) = (lo, hi);
    if expand {
        a = (lo / step + 1e-9).floor() * step;
        b = (hi / step - 1e-9).ceil() * step;
    }
    let first = (a / step - 1e-9).ceil() as i64;
    let last = (b / step + 1e-9).floor() as i64;
    let mut major = Vec::new();
    if last >= first && last - first <= 200 {
        let big = a.abs().max(b.abs());
        for i in first..=last {
            let v = i as f64 * step;
            major.push((v, format_number(v, step, big)));
        }
    }
    let scale = Scale {
        lo: a,
        hi: b,
        log: false,
        floor: 1.0,
    };
    (
        scale,
        Ticks {
            major,
            minor: Vec::new(),
        },
    )
}

fn log_axis(lo: f64, hi: f64, floor: f64, target: usize, expand: bool) -> (Scale, Ticks) {
    let (la, lb) = (lo.log10(), hi.log10());
    let mut ticks = Ticks::default();
    let (a, b);
    if lb - la >= 0.9 {
        let (ka, kb) = if expand {
            ((la + 1e-9).floor() as i32, (lb - 1e-9).ceil() as i32)
        } else {
            ((la - 1e-9).ceil() as i32, (lb + 1e-9).floor() as i32)
        };
        if expand {
            a = 10f64.powi(ka);
            b = 10f64.powi(kb);
        } else {
            a = lo;
            b = hi;
        }
        let decades = (kb - ka).max(1) as usize;
        let stride = decades.div_ceil(target.max(1)).max(1) as i32;
        let with_25 = stride == 1 && decades * 3 <= target + 1;
        let mut k = ka;
        while k <= kb {
            for m in [1.0, 2.0, 5.0] {
                let v = m * 10f64.powi(k);
                if v < a * (1.0 - 1e-9) || v > b * (1.0 + 1e-9) {
                    continue;
                }
                if m == 1.0 || with_25 {
                    ticks.major.push((v, format_log(v)));
                }
            }
            k += stride;
        }
        if stride == 1 && decades <= 8 {
            for k in (la.floor() as i32 - 1)..=(lb.ceil() as i32) {
                for m in 2..=9 {
                    let v = m as f64 * 10f64.powi(k);
                    if v > a && v < b && !(with_25 && (m == 2 || m == 5)) {
                        ticks.minor.push(v);
                    }
                }
            }
        }
    } else {
        // Less than a decade: 1-2-5 candidates, or every integer multiple when few.
        let k0 = la.floor() as i32 - 1;
        let k1 = lb.ceil() as i32 + 1;
        let mut cands: Vec<f64> = Vec::new();
        for k in k0..=k1 {
            for m in 1..=9 {
                cands.push(m as f64 * 10f64.powi(k));
            }
        }
        let in125 = |v: f64| {
            let m = v / 10f64.powf(v.log10().floor());
            [1.0, 2.0, 5.0].iter().any(|x| (m - x).abs() < 1e-6)
        };
        if expand {
            a = cands
                .iter()
                .copied()
                .filter(|v| *v <= lo * (1.0 + 1e-9))
                .fold(lo, |_, v| v);
            b = cands
                .iter()
                .copied()
                .find(|v| *v >= hi * (1.0 - 1e-9))
                .unwrap_or(hi);
        } else {
            a = lo;
            b = hi;
        }
        let inside: Vec<f64> = cands
            .into_iter()
            .filter(|v| *v >= a * (1.0 - 1e-9) && *v <= b * (1.0 + 1e-9))
            .collect();
        let sparse: Vec<f64> = inside.iter().copied().filter(|v| in125(*v)).collect();
        let chosen = if sparse.len() >= 3 || inside.len() > target {
            sparse
        } else {
            inside
        };
        for v in chosen {
            ticks.major.push((v, format_log(v)));
        }
        if ticks.major.len() < 2 {
            // A very narrow range: fall back to linear ticks placed on the log axis.
            let (_, lin) = linear_axis(a, b, target.min(4), false);
            ticks.major = lin.major;
        }
    }
    let scale = Scale {
        lo: a,
        hi: b,
        log: true,
        floor,
    };
    (scale, ticks)
}

/// Format `v` for a tick grid of spacing `step`; `big` is the largest magnitude on the
/// axis (it picks the k/M/G suffix).
pub(crate) fn format_number(v: f64, step: f64, big: f64) -> String {
    let (div, suffix) = if big >= 1e9 && step >= 1e8 {
        (1e9, "G")
    } else if big >= 1e6 && step >= 1e5 {
        (1e6, "M")
    } else if big >= 1e4 && step >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let (v, step) = (v / div, step / div);
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    if step < 1e-6 && suffix.is_empty() {
        return format!("{v:.2e}");
    }
    let decimals = (-(step.log10()) - 1e-9).ceil().clamp(0.0, 9.0) as usize;
    // A step of 2.5 etc. never occurs (1-2-5 steps), so `decimals` digits are exact.
    format!("{v:.decimals$}{suffix}")
}

/// Format a log-axis tick value (1, 2 or 5 times a power of ten, or any 1..9 multiple).
pub(crate) fn format_log(v: f64) -> String {
    if v >= 1e4 {
        let (div, suffix) = if v >= 1e9 {
            (1e9, "G")
        } else if v >= 1e6 {
            (1e6, "M")
        } else {
            (1e3, "k")
        };
        let x = v / div;
        return trim(format!("{x:.2}")) + suffix;
    }
    if v >= 1e-4 {
        let decimals = (-(v.log10()) - 1e-9).ceil().clamp(0.0, 6.0) as usize;
        return trim(format!("{v:.decimals$}"));
    }
    format!("{v:.0e}")
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice() {
        let (s, t) = make_axis(0.0, 97.0, false, 1.0, 6, true);
        assert_eq!((s.lo, s.hi), (0.0, 100.0));
        let labels: Vec<&str> = t.major.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["0", "20", "40", "60", "80", "100"]);
        let (_, t) = make_axis(0.0, 0.3, false, 1.0, 4, true);
        assert_eq!(t.major[1].1, "0.1");
        assert_eq!(format_number(25_000.0, 5_000.0, 50_000.0), "25k");
    }

    #[test]
    fn log_ticks_are_decades() {
        let (s, t) = make_axis(0.3, 4_000.0, true, 0.3, 8, true);
        assert_eq!((s.lo, s.hi), (0.1, 10_000.0));
        let labels: Vec<&str> = t.major.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["0.1", "1", "10", "100", "1000", "10k"]);
        assert!(!t.minor.is_empty());
    }
}
