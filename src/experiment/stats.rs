//! Confidence intervals across replications.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A count or a sum that [`ratio`] divides.
pub trait Amount: Copy {
    /// The amount as a float (exact for counts below 2^53).
    fn as_f64(self) -> f64;
}

impl Amount for u64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Amount for u128 {
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Amount for f64 {
    fn as_f64(self) -> f64 {
        self
    }
}

/// `part / whole`, or 0 when `whole` is 0: a share of no events, or a mean over none,
/// is reported as 0, not NaN.
pub fn ratio(part: impl Amount, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part.as_f64() / whole as f64
    }
}

/// A figure estimated from independent replications: the mean and the half-width of
/// its 95% confidence interval (Student t with n - 1 degrees of freedom).
///
/// With fewer than two replications no spread can be known: `ci95` is then
/// [`Estimate::NO_CI`], negative zero, which computes and compares as 0 (so bounds,
/// margins and chart whiskers need no special case) but serializes as `null` and
/// tells itself apart through [`Estimate::has_ci`]. Figures derived from an estimate
/// by scaling its half-width (`ci95 * 100`, `ci95 / 1e3`) keep the mark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of the 95% CI; [`Estimate::NO_CI`] (0, written `null`) with a single
    /// replication.
    pub ci95: f64,
}

/// `{ "mean", "ci95" }`, `ci95` being `null` when it is unknown.
impl Serialize for Estimate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Estimate", 2)?;
        st.serialize_field("mean", &self.mean)?;
        st.serialize_field("ci95", &self.ci())?;
        st.end()
    }
}

impl Estimate {
    /// The half-width of an estimate from fewer than two replications: unknown.
    pub const NO_CI: f64 = -0.0;

    /// Whether the half-width is known (at least two replications).
    pub fn has_ci(&self) -> bool {
        !(self.ci95 == 0.0 && self.ci95.is_sign_negative())
    }

    /// The half-width, `None` when it is unknown.
    pub fn ci(&self) -> Option<f64> {
        self.has_ci().then_some(self.ci95)
    }

    /// Estimate from per-replication values (in replication order, for reproducible sums).
    pub fn from_samples(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                mean: 0.0,
                ci95: Estimate::NO_CI,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate {
                mean,
                ci95: Estimate::NO_CI,
            };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Estimate {
            mean,
            ci95: t_quantile_975(n - 1) * (var / n as f64).sqrt(),
        }
    }

    /// Whether `value` lies within the interval widened by `slack` (absolute).
    pub fn contains(&self, value: f64, slack: f64) -> bool {
        (self.mean - value).abs() <= self.ci95 + slack
    }

    /// Lower bound of the interval.
    pub fn low(&self) -> f64 {
        self.mean - self.ci95
    }

    /// Upper bound of the interval.
    pub fn high(&self) -> f64 {
        self.mean + self.ci95
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile_975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(1.96)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_matches_textbook_values() {
        // t(0.975, 4) = 2.776; values 1..5: mean 3, s = 1.5811, hw = 2.776 * 1.5811 / sqrt 5.
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((e.mean - 3.0).abs() < 1e-12);
        assert!((e.ci95 - 1.9632).abs() < 1e-3, "{}", e.ci95);
        assert_eq!(Estimate::from_samples(&[7.0]).ci95, 0.0);
    }

    #[test]
    fn one_replication_has_no_ci() {
        let one = Estimate::from_samples(&[7.0]);
        assert!(!one.has_ci() && one.ci().is_none());
        assert_eq!((one.low(), one.high()), (7.0, 7.0));
        assert!(!Estimate {
            ci95: one.ci95 * 100.0,
            ..one
        }
        .has_ci());
        let same = Estimate::from_samples(&[7.0, 7.0]);
        assert!(same.has_ci() && same.ci() == Some(0.0));
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            r#"{"mean":7.0,"ci95":null}"#
        );
        assert_eq!(
            serde_json::to_string(&same).unwrap(),
            r#"{"mean":7.0,"ci95":0.0}"#
        );
    }
}
