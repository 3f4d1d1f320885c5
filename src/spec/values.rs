//! Checked conversions of single raw values (durations, rates, probabilities, counts,
//! enumerations) into model values, with located errors.

use super::error::{choices, FileId, Kind, Sources, SpecError};
use super::loc::Loc;
use super::raw::{RawCount, StrOrNum};
use super::units::{parse_duration, parse_rate};
use crate::kernel::SimTime;
use crate::model::{Balancer, Protocol};

/// The hint given when a duration is written as a bare number.
pub(crate) const DURATION_HINT: &str = "durations are strings with a unit, e.g. \"5ms\"";

/// Values resolved against one source file.
pub(crate) struct In<'a> {
    pub src: &'a Sources,
    pub file: FileId,
}

impl In<'_> {
    pub(crate) fn err<T>(
        &self,
        kind: Kind,
        loc: &Loc<T>,
        field: &str,
        msg: impl Into<String>,
    ) -> SpecError {
        self.src.err(kind, self.file, &loc.span, field, msg)
    }

    /// A duration written as a string with a unit.
    pub(crate) fn duration(&self, v: &Loc<StrOrNum>, field: &str) -> Result<SimTime, SpecError> {
        match &v.value {
            StrOrNum::Str(s) => parse_duration(s).map_err(|m| self.err(Kind::Invalid, v, field, m)),
            StrOrNum::Num(n) => Err(self.err(
                Kind::Invalid,
                v,
                field,
                format!("{DURATION_HINT} (got the bare number {n})"),
            )),
        }
    }

    /// An optional duration that must be > 0 when given.
    pub(crate) fn timeout(
        &self,
        v: &Option<Loc<StrOrNum>>,
        field: &str,
    ) -> Result<Option<SimTime>, SpecError> {
        let Some(v) = v else { return Ok(None) };
        match self.duration(v, field)? {
            0 => Err(self.err(
                Kind::Invalid,
                v,
                field,
                "a timeout must be greater than 0s; remove it to wait forever",
            )),
            t => Ok(Some(t)),
        }
    }

    /// A rate ("50/s", or a bare number per second), finite and >= 0; > 0 if `positive`.
    pub(crate) fn rate(
        &self,
        v: &Loc<StrOrNum>,
        field: &str,
        positive: bool,
    ) -> Result<f64, SpecError> {
        let r = match &v.value {
            StrOrNum::Str(s) => parse_rate(s).map_err(|m| self.err(Kind::Invalid, v, field, m))?,
            StrOrNum::Num(n) if n.is_finite() && *n >= 0.0 => super::units::check_rate(*n)
                .map_err(|m| self.err(Kind::Invalid, v, field, format!("rate {n}/s {m}")))?,
            StrOrNum::Num(n) => {
                return Err(self.err(
                    Kind::Invalid,
                    v,
                    field,
                    format!("invalid rate {n}; rates are >= 0, e.g. \"50/s\""),
                ))
            }
        };
        if positive && r <= 0.0 {
            return Err(self.err(
                Kind::Invalid,
                v,
                field,
                "the rate must be greater than 0, e.g. \"50/s\"",
            ));
        }
        Ok(r)
    }

    /// A probability in [0, 1].
    pub(crate) fn probability(&self, v: &Loc<f64>, field: &str) -> Result<f64, SpecError> {
        let p = v.value;
        if (0.0..=1.0).contains(&p) {
            Ok(p)
        } else {
            Err(self.err(
                Kind::Invalid,
                v,
                field,
                format!("probability {p} is outside [0, 1]"),
            ))
        }
    }

    /// An integer in `[min, max]`.
    pub(crate) fn int(
        &self,
        v: &Loc<i64>,
        field: &str,
        min: i64,
        max: i64,
    ) -> Result<i64, SpecError> {
        if (min..=max).contains(&v.value) {
            Ok(v.value)
        } else if v.value < min {
            Err(self.err(
                Kind::Invalid,
                v,
                field,
                format!("must be >= {min}, got {}", v.value),
            ))
        } else {
            Err(self.err(
                Kind::Invalid,
                v,
                field,
                format!("must be <= {max}, got {}", v.value),
            ))
        }
    }

    /// A large count (of events) of at least `min`: an integer, a whole float (`1e10`) or a string that
    /// [`parse_count`](super::units::parse_count) reads (`"3e7"`, `"30_000_000"`).
    pub(crate) fn event_count(
        &self,
        v: &Loc<RawCount>,
        field: &str,
        min: u64,
    ) -> Result<u64, SpecError> {
        let n = match &v.value.0 {
            StrOrNum::Str(s) => super::units::parse_count(s),
            StrOrNum::Num(x) if *x >= 0.0 && x.fract() == 0.0 && *x < u64::MAX as f64 => {
                Ok(*x as u64)
            }
            StrOrNum::Num(x) => Err(format!("invalid count {x}; expected a whole number >= 0")),
        }
        .map_err(|m| self.err(Kind::Invalid, v, field, m))?;
        if n < min {
            return Err(self.err(
                Kind::Invalid,
                v,
                field,
                format!("must be >= {min}, got {n}"),
            ));
        }
        Ok(n)
    }

    /// An integer in `[min, max]` where `max` is a stated limit; `why` explains it in
    /// the error.
    pub(crate) fn bounded(
        &self,
        v: &Loc<i64>,
        field: &str,
        min: i64,
        max: i64,
        why: &str,
    ) -> Result<i64, SpecError> {
        if v.value > max {
            return Err(self.err(
                Kind::Invalid,
                v,
                field,
                format!("must be <= {max} ({why}), got {}", v.value),
            ));
        }
        self.int(v, field, min, max)
    }

    /// An optional count in `[min, u32::MAX]`, with a default.
    pub(crate) fn count(
        &self,
        v: &Option<Loc<i64>>,
        field: &str,
        min: i64,
        default: u32,
    ) -> Result<u32, SpecError> {
        match v {
            None => Ok(default),
            Some(v) => Ok(self.int(v, field, min, i64::from(u32::MAX))? as u32),
        }
    }

    /// "rest" or "grpc", default rest.
    pub(crate) fn protocol(
        &self,
        v: &Option<Loc<String>>,
        field: &str,
    ) -> Result<Protocol, SpecError> {
        let Some(v) = v else {
            return Ok(Protocol::Rest);
        };
        match v.value.as_str() {
            "rest" => Ok(Protocol::Rest),
            "grpc" => Ok(Protocol::Grpc),
            other => Err(self.err(
                Kind::Unknown,
                v,
                field,
                format!(
                    "unknown protocol \"{other}\"; {}",
                    choices(["rest", "grpc"])
                ),
            )),
        }
    }

    /// A load-balancing policy, default round-robin.
    pub(crate) fn balancer(
        &self,
        v: &Option<Loc<String>>,
        field: &str,
    ) -> Result<Balancer, SpecError> {
        let Some(v) = v else {
            return Ok(Balancer::RoundRobin);
        };
        match v.value.as_str() {
            "round-robin" => Ok(Balancer::RoundRobin),
            "random" => Ok(Balancer::Random),
            "least-outstanding" => Ok(Balancer::LeastOutstanding),
            other => Err(self.err(
                Kind::Unknown,
                v,
                field,
                format!(
                    "unknown balancer \"{other}\"; {}",
                    choices(["round-robin", "random", "least-outstanding"])
                ),
            )),
        }
    }
}
