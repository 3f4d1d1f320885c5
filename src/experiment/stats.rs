//! Confidence intervals across replications.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A figure estimated from independent replications: the mean and the half-width of
/// its 95% confidence interval (Student t with n - 1 degrees of freedom).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of the 95% CI; 0 with a single replication (no spread can be known).
    pub ci95: f64,
}

impl Estimate {
    /// Estimate from per-replication values (in replication order, for reproducible sums).
    pub fn from_samples(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                mean: 0.0,
                ci95: 0.0,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate { mean, ci95: 0.0 };
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
}
