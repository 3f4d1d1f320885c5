//! Resilience policies on a call step (`retry`, `circuit_breaker`, `bulkhead`,
//! `fallback`, `hedge`) and the workload's `rate_limit`, compiled and checked.

use super::error::{Kind, SpecError};
use super::loc::Loc;
use super::raw::{RawBreaker, RawRateLimit, RawRetry, RawStep, StrOrNum};
use super::values::In;
use crate::kernel::{format_duration, SimTime, NANOS_PER_SEC};
use crate::model::{BreakerPolicy, Policies, RateLimit, RetryPolicy};

/// Default cap on the retry delay.
const MAX_BACKOFF: SimTime = 30 * NANOS_PER_SEC;
/// Largest retry budget (retries per first attempt).
const MAX_BUDGET: f64 = 10.0;

impl In<'_> {
    /// A duration that must be greater than 0.
    pub(crate) fn positive_duration(
        &self,
        v: &Loc<StrOrNum>,
        field: &str,
    ) -> Result<SimTime, SpecError> {
        match self.duration(v, field)? {
            0 => Err(self.err(Kind::Invalid, v, field, "must be greater than 0s")),
            t => Ok(t),
        }
    }

    /// An optional duration > 0, with a default.
    fn positive_duration_or(
        &self,
        v: &Option<Loc<StrOrNum>>,
        field: &str,
        default: SimTime,
    ) -> Result<SimTime, SpecError> {
        v.as_ref()
            .map_or(Ok(default), |v| self.positive_duration(v, field))
    }

    /// A finite number in `(low, high]` (`low` excluded unless `low_inclusive`).
    pub(crate) fn number_in(
        &self,
        v: &Loc<f64>,
        field: &str,
        low: f64,
        low_inclusive: bool,
        high: f64,
    ) -> Result<f64, SpecError> {
        let x = v.value;
        let above = if low_inclusive { x >= low } else { x > low };
        if x.is_finite() && above && x <= high {
            return Ok(x);
        }
        let range = if high.is_infinite() {
            format!("{} {low}", if low_inclusive { ">=" } else { ">" })
        } else {
            format!("in {}{low}, {high}]", if low_inclusive { "[" } else { "(" })
        };
        Err(self.err(Kind::Invalid, v, field, format!("must be {range}, got {x}")))
    }

    /// The policies of one call step; `timeout` is the call's own.
    pub(crate) fn policies(
        &self,
        s: &RawStep,
        field: &str,
        timeout: Option<SimTime>,
    ) -> Result<Policies, SpecError> {
        let retry = match &s.retry {
            None => None,
            Some(r) => Some(self.retry(r, &format!("{field}.retry"))?),
        };
        let breaker = match &s.circuit_breaker {
            None => None,
            Some(b) => Some(self.breaker(b, &format!("{field}.circuit_breaker"))?),
        };
        let bulkhead = match &s.bulkhead {
            None => None,
            Some(b) => {
                Some(self.int(b, &format!("{field}.bulkhead"), 1, i64::from(u32::MAX))? as u32)
            }
        };
        let fallback = match &s.fallback {
            None => None,
            Some(d) => Some(self.dist(d, &format!("{field}.fallback"))?),
        };
        let hedge = match &s.hedge {
            None => None,
            Some(h) => {
                let hf = format!("{field}.hedge");
                let delay = self.positive_duration(h, &hf)?;
                if let Some(t) = timeout.filter(|&t| delay >= t) {
                    let msg = format!(
                        "hedge ({}) must be shorter than the call's timeout ({}), or it never fires",
                        format_duration(delay as f64),
                        format_duration(t as f64)
                    );
                    return Err(self.err(Kind::Invalid, h, &hf, msg));
                }
                Some(delay)
            }
        };
        Ok(Policies {
            retry,
            breaker,
            bulkhead,
            fallback,
            hedge,
        })
    }

    fn retry(&self, r: &Loc<RawRetry>, field: &str) -> Result<RetryPolicy, SpecError> {
        let v = &r.value;
        let Some(attempts) = &v.attempts else {
            return Err(self.err(
                Kind::Missing,
                r,
                field,
                "missing `attempts` (total tries including the first, >= 1), e.g. retry = { attempts = 3, backoff = \"100ms\" }",
            ));
        };
        let max_attempts = self.int(
            attempts,
            &format!("{field}.attempts"),
            1,
            i64::from(u32::MAX),
        )? as u32;
        let backoff = match &v.backoff {
            None => 0,
            Some(b) => self.duration(b, &format!("{field}.backoff"))?,
        };
        let multiplier = match &v.multiplier {
            None => 2.0,
            Some(m) => {
                self.number_in(m, &format!("{field}.multiplier"), 1.0, true, f64::INFINITY)?
            }
        };
        let max_backoff = match &v.max_backoff {
            None => MAX_BACKOFF.max(backoff),
            Some(m) => {
                let mf = format!("{field}.max_backoff");
                let cap = self.duration(m, &mf)?;
                if cap < backoff {
                    let msg = format!(
                        "max_backoff ({}) must not be shorter than backoff ({})",
                        format_duration(cap as f64),
                        format_duration(backoff as f64)
                    );
                    return Err(self.err(Kind::Invalid, m, &mf, msg));
                }
                cap
            }
        };
        let jitter = v.jitter.as_ref().is_some_and(|j| j.value);
        let budget = match &v.budget {
            None => None,
            Some(b) => {
                Some(self.number_in(b, &format!("{field}.budget"), 0.0, false, MAX_BUDGET)?)
            }
        };
        Ok(RetryPolicy {
            max_attempts,
            backoff,
            multiplier,
            max_backoff,
            jitter,
            budget,
        })
    }

    fn breaker(&self, b: &Loc<RawBreaker>, field: &str) -> Result<BreakerPolicy, SpecError> {
        let v = &b.value;
        let Some(ratio) = &v.failure_ratio else {
            return Err(self.err(
                Kind::Missing,
                b,
                field,
                "missing `failure_ratio` (open at this share of failed calls, in (0, 1]), e.g. circuit_breaker = { failure_ratio = 0.5 }",
            ));
        };
        let failure_ratio =
            self.number_in(ratio, &format!("{field}.failure_ratio"), 0.0, false, 1.0)?;
        let window =
            self.positive_duration_or(&v.window, &format!("{field}.window"), 10 * NANOS_PER_SEC)?;
        let min_calls = self.count(&v.min_calls, &format!("{field}.min_calls"), 1, 10)?;
        let open_for =
            self.positive_duration_or(&v.open, &format!("{field}.open"), 5 * NANOS_PER_SEC)?;
        let half_open_probes = self.count(&v.probes, &format!("{field}.probes"), 1, 1)?;
        Ok(BreakerPolicy {
            failure_ratio,
            window,
            min_calls,
            open_for,
            half_open_probes,
        })
    }

    /// A workload's `rate_limit = { rate, burst }`.
    pub(crate) fn rate_limit(
        &self,
        r: &Loc<RawRateLimit>,
        field: &str,
    ) -> Result<RateLimit, SpecError> {
        let Some(rate) = &r.value.rate else {
            return Err(self.err(
                Kind::Missing,
                r,
                field,
                "missing `rate`, e.g. rate_limit = { rate = \"100/s\", burst = 20 }",
            ));
        };
        Ok(RateLimit {
            rate: self.rate(rate, &format!("{field}.rate"), true)?,
            burst: self.count(&r.value.burst, &format!("{field}.burst"), 1, 1)?,
        })
    }
}
