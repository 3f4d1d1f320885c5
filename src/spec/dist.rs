//! Compiling a raw distribution (string or `{ dist = ..., params }` table) into a
//! [`Dist`], checking which parameters each distribution takes.

use super::error::{choices, Kind, SpecError};
use super::limits::{read_capped, MAX_CSV_BYTES, MAX_EMPIRICAL_VALUES};
use super::loc::Loc;
use super::raw::{RawDist, RawDistTable, StrOrNum};
use super::units::parse_duration;
use super::values::In;
use crate::kernel::format_duration;
use crate::model::Dist;

/// Each distribution name with the alternative parameter sets it accepts.
const DISTS: &[(&str, &[&[&str]])] = &[
    ("constant", &[&["value"]]),
    ("exp", &[&["mean"]]),
    ("exponential", &[&["mean"]]),
    ("uniform", &[&["min", "max"]]),
    ("normal", &[&["mean", "std"]]),
    ("lognormal", &[&["median", "p99"], &["mean", "std"]]),
    ("gamma", &[&["shape", "scale"], &["shape", "mean"]]),
    ("weibull", &[&["shape", "scale"]]),
    ("pareto", &[&["shape", "scale"]]),
    ("empirical", &[&["values"], &["file"]]),
];

impl In<'_> {
    /// Compiles a distribution of durations.
    pub(crate) fn dist(&self, d: &Loc<RawDist>, field: &str) -> Result<Dist, SpecError> {
        match &d.value {
            RawDist::Scalar(s) => Ok(Dist::constant(self.duration(
                &Loc {
                    span: d.span.clone(),
                    value: s.clone(),
                },
                field,
            )?)),
            RawDist::Table(t) => self.dist_table(t, d, field),
        }
    }

    /// An optional distribution, constant zero by default.
    pub(crate) fn dist_or_zero(
        &self,
        d: &Option<Loc<RawDist>>,
        field: &str,
    ) -> Result<Dist, SpecError> {
        d.as_ref()
            .map_or(Ok(Dist::constant(0)), |d| self.dist(d, field))
    }

    fn dist_table(
        &self,
        t: &RawDistTable,
        at: &Loc<RawDist>,
        field: &str,
    ) -> Result<Dist, SpecError> {
        let names = || choices(DISTS.iter().map(|(n, _)| *n));
        let Some(name) = &t.dist else {
            return Err(self.err(
                Kind::Missing,
                at,
                field,
                format!("missing `dist`; {}", names()),
            ));
        };
        let Some(&(_, sets)) = DISTS.iter().find(|(n, _)| *n == name.value) else {
            let msg = format!("unknown distribution \"{}\"; {}", name.value, names());
            return Err(self.err(Kind::Unknown, name, &format!("{field}.dist"), msg));
        };
        let dname = name.value.as_str();
        let set = self.param_set(t, at, field, dname, sets)?;
        let dur = |v: &Option<Loc<StrOrNum>>, key: &str| -> Result<f64, SpecError> {
            match v {
                Some(v) => Ok(self.duration(v, &format!("{field}.{key}"))? as f64),
                None => Ok(0.0),
            }
        };
        let shape = t.shape.as_ref().map_or(0.0, |s| s.value);
        let built = match (dname, set[0]) {
            ("constant", _) => Ok(Dist::constant(dur(&t.value, "value")? as u64)),
            ("exp" | "exponential", _) => Dist::exponential(dur(&t.mean, "mean")?),
            ("uniform", _) => {
                let (min, max) = (dur(&t.min, "min")?, dur(&t.max, "max")?);
                if min > max {
                    Err(format!(
                        "`min` ({}) must not exceed `max` ({})",
                        format_duration(min),
                        format_duration(max)
                    ))
                } else {
                    Dist::uniform(min, max)
                }
            }
            ("normal", _) => Dist::normal(dur(&t.mean, "mean")?, dur(&t.std, "std")?),
            ("lognormal", "median") => {
                let (median, p99) = (dur(&t.median, "median")?, dur(&t.p99, "p99")?);
                if p99 <= median {
                    Err(format!(
                        "`p99` ({}) must be greater than `median` ({})",
                        format_duration(p99),
                        format_duration(median)
                    ))
                } else {
                    Dist::lognormal_median_p99(median, p99)
                }
            }
            ("lognormal", _) => {
                Dist::lognormal_mean_std(dur(&t.mean, "mean")?, dur(&t.std, "std")?)
            }
            ("gamma", _) if t.mean.is_some() => {
                let mean = dur(&t.mean, "mean")?;
                Dist::gamma(shape, if shape > 0.0 { mean / shape } else { 0.0 })
            }
            ("gamma", _) => Dist::gamma(shape, dur(&t.scale, "scale")?),
            ("weibull", _) => Dist::weibull(dur(&t.scale, "scale")?, shape),
            ("pareto", _) => Dist::pareto(dur(&t.scale, "scale")?, shape),
            ("empirical", _) => Dist::empirical(self.empirical_values(t, field)?),
            _ => Err(format!("unsupported distribution {dname}")),
        };
        built.map_err(|m| {
            self.err(
                Kind::Invalid,
                at,
                field,
                format!("invalid {dname} distribution: {m}"),
            )
        })
    }

    /// The parameter set of distribution `dname` that `t` gives: every key given is
    /// one of its parameters, and the keys make up exactly one of `sets`.
    fn param_set(
        &self,
        t: &RawDistTable,
        at: &Loc<RawDist>,
        field: &str,
        dname: &str,
        sets: &'static [&'static [&'static str]],
    ) -> Result<&'static [&'static str], SpecError> {
        // Which parameters are present, each with its span.
        let present: Vec<(&str, &Option<std::ops::Range<usize>>)> = [
            ("value", t.value.as_ref().map(|v| &v.span)),
            ("mean", t.mean.as_ref().map(|v| &v.span)),
            ("min", t.min.as_ref().map(|v| &v.span)),
            ("max", t.max.as_ref().map(|v| &v.span)),
            ("std", t.std.as_ref().map(|v| &v.span)),
            ("median", t.median.as_ref().map(|v| &v.span)),
            ("p99", t.p99.as_ref().map(|v| &v.span)),
            ("scale", t.scale.as_ref().map(|v| &v.span)),
            ("shape", t.shape.as_ref().map(|v| &v.span)),
            ("values", t.values.as_ref().map(|v| &v.span)),
            ("file", t.file.as_ref().map(|v| &v.span)),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.map(|s| (k, s)))
        .collect();
        let takes = sets
            .iter()
            .map(|s| s.join(" + "))
            .collect::<Vec<_>>()
            .join(", or ");
        let allowed: Vec<&str> = sets.iter().flat_map(|s| s.iter().copied()).collect();
        for (key, span) in &present {
            if !allowed.contains(key) {
                let msg = format!("`{key}` is not a parameter of {dname}; {dname} takes {takes}");
                return Err(self.src.err(
                    Kind::Invalid,
                    self.file,
                    span,
                    &format!("{field}.{key}"),
                    msg,
                ));
            }
        }
        let has = |k: &str| present.iter().any(|(p, _)| *p == k);
        let Some(&set) = sets
            .iter()
            .find(|s| s.len() == present.len() && s.iter().all(|k| has(k)))
        else {
            let overlap = |s: &&&[&str]| s.iter().filter(|k| has(k)).count();
            let best = sets.iter().max_by_key(overlap);
            let missing: Vec<&str> = best
                .map(|s| s.iter().copied().filter(|k| !has(k)).collect())
                .unwrap_or_default();
            let mixes = best.is_some_and(|s| overlap(&s) < present.len());
            let msg = if missing.is_empty() || mixes {
                let given: Vec<&str> = present.iter().map(|(k, _)| *k).collect();
                format!(
                    "conflicting parameters for {dname} ({}); it takes {takes}",
                    given.join(", ")
                )
            } else {
                format!(
                    "missing `{}`; {dname} takes {takes}",
                    missing.join("` and `")
                )
            };
            return Err(self.err(Kind::Missing, at, field, msg));
        };
        Ok(set)
    }

    fn empirical_values(&self, t: &RawDistTable, field: &str) -> Result<Vec<u64>, SpecError> {
        if let Some(values) = &t.values {
            if values.value.len() > MAX_EMPIRICAL_VALUES {
                let msg = format!(
                    "more than {MAX_EMPIRICAL_VALUES} values in one empirical distribution"
                );
                return Err(self.err(Kind::Invalid, values, &format!("{field}.values"), msg));
            }
            return values
                .value
                .iter()
                .enumerate()
                .map(|(i, v)| self.duration(v, &format!("{field}.values[{i}]")))
                .collect();
        }
        let Some(file) = &t.file else {
            return Ok(Vec::new());
        };
        let f = format!("{field}.file");
        let path = self.src.get(self.file).dir.join(&file.value);
        let text = read_capped(&path, MAX_CSV_BYTES).map_err(|e| {
            self.err(
                Kind::Invalid,
                file,
                &f,
                format!("cannot read \"{}\": {e}", path.display()),
            )
        })?;
        parse_csv(&text).map_err(|m| {
            self.err(
                Kind::Invalid,
                file,
                &f,
                format!("in \"{}\": {m}", path.display()),
            )
        })
    }
}

/// Reads observed durations: one per line, the first comma-separated field; a bare
/// number is in milliseconds. Blank lines and `#` comments are skipped, and so is a
/// first line without digits (a header).
fn parse_csv(text: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let cell = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if cell.is_empty() || cell.starts_with('#') {
            continue;
        }
        if out.is_empty() && !cell.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let ns = match cell.parse::<f64>() {
            Ok(ms) if (0.0..1e12).contains(&ms) => (ms * 1e6).round() as u64,
            Ok(_) => {
                return Err(format!(
                    "line {}: \"{cell}\" is not a non-negative number of ms",
                    i + 1
                ))
            }
            Err(_) => parse_duration(cell).map_err(|m| format!("line {}: {m}", i + 1))?,
        };
        out.push(ns);
        if out.len() > MAX_EMPIRICAL_VALUES {
            return Err(format!("more than {MAX_EMPIRICAL_VALUES} values"));
        }
    }
    if out.is_empty() {
        return Err("no values found".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn csv_takes_ms_numbers_and_durations() {
        assert_eq!(
            parse_csv("latency_ms\n1.5\n# note\n\n2ms, x\n"),
            Ok(vec![1_500_000, 2_000_000])
        );
        assert!(parse_csv("1\nfoo\n").unwrap_err().contains("line 2"));
        assert!(parse_csv("-1\n").is_err());
        assert!(parse_csv("").is_err());
    }
}
