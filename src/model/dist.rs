//! Probability distributions of durations, sampled in integer nanoseconds.
//!
//! Constructors validate their parameters and return a message naming the bad one, so
//! the spec layer can turn it into a located error. Sampling never panics.

use crate::kernel::RngStream;
use rand_distr::Distribution;

/// A distribution of non-negative durations (nanoseconds).
#[derive(Clone, Debug)]
pub enum Dist {
    /// Always the same value.
    Constant(u64),
    /// Exponential with the given mean.
    Exponential {
        /// Mean in nanoseconds.
        mean: f64,
    },
    /// Uniform on [min, max].
    Uniform {
        /// Lower bound (ns).
        min: f64,
        /// Upper bound (ns).
        max: f64,
    },
    /// Normal truncated at zero (negative draws are redrawn, then clamped).
    Normal(rand_distr::Normal<f64>, f64),
    /// Log-normal (sampler, mean).
    LogNormal(rand_distr::LogNormal<f64>, f64),
    /// Gamma (shape k, scale theta) (sampler, mean).
    Gamma(rand_distr::Gamma<f64>, f64),
    /// Weibull (scale lambda, shape k) (sampler, mean).
    Weibull(rand_distr::Weibull<f64>, f64),
    /// Pareto (scale x_m, shape alpha) (sampler, mean).
    Pareto(rand_distr::Pareto<f64>, f64),
    /// Empirical: uniform choice among observed values.
    Empirical(Vec<u64>),
}

/// z such that P(Z <= z) = 0.99 for a standard normal.
const Z_99: f64 = 2.326_347_874_040_840_8;

fn positive(name: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!(
            "`{name}` must be a positive finite number, got {v}"
        ))
    }
}

impl Dist {
    /// A constant duration.
    pub fn constant(ns: u64) -> Dist {
        Dist::Constant(ns)
    }

    /// Exponential with mean `mean` ns (> 0).
    pub fn exponential(mean: f64) -> Result<Dist, String> {
        Ok(Dist::Exponential {
            mean: positive("mean", mean)?,
        })
    }

    /// Uniform on [min, max], 0 <= min <= max.
    pub fn uniform(min: f64, max: f64) -> Result<Dist, String> {
        if !(min.is_finite() && max.is_finite() && min >= 0.0 && min <= max) {
            return Err(format!(
                "uniform needs 0 <= `min` <= `max`, got min {min}, max {max}"
            ));
        }
        Ok(Dist::Uniform { min, max })
    }

    /// Normal with `mean` and standard deviation `std`, truncated at zero.
    pub fn normal(mean: f64, std: f64) -> Result<Dist, String> {
        positive("mean", mean)?;
        if !(std.is_finite() && std >= 0.0) {
            return Err(format!("`std` must be >= 0, got {std}"));
        }
        rand_distr::Normal::new(mean, std)
            .map(|n| Dist::Normal(n, mean))
            .map_err(|e| e.to_string())
    }

    /// Log-normal with the given mean and standard deviation of the *values* (ns).
    pub fn lognormal_mean_std(mean: f64, std: f64) -> Result<Dist, String> {
        positive("mean", mean)?;
        positive("std", std)?;
        let sigma2 = (1.0 + (std / mean).powi(2)).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        Self::lognormal_mu_sigma(mu, sigma2.sqrt())
    }

    /// Log-normal from its median and 99th percentile (ns), p99 > median.
    pub fn lognormal_median_p99(median: f64, p99: f64) -> Result<Dist, String> {
        positive("median", median)?;
        positive("p99", p99)?;
        if p99 <= median {
            return Err(format!(
                "`p99` ({p99} ns) must be greater than `median` ({median} ns)"
            ));
        }
        Self::lognormal_mu_sigma(median.ln(), (p99 / median).ln() / Z_99)
    }

    /// Log-normal from the parameters of the underlying normal (of ln ns).
    pub fn lognormal_mu_sigma(mu: f64, sigma: f64) -> Result<Dist, String> {
        rand_distr::LogNormal::new(mu, sigma)
            .map(|l| Dist::LogNormal(l, (mu + sigma * sigma / 2.0).exp()))
            .map_err(|e| e.to_string())
    }

    /// Gamma with shape k > 0 and scale theta > 0 (ns).
    pub fn gamma(shape: f64, scale: f64) -> Result<Dist, String> {
        positive("shape", shape)?;
        positive("scale", scale)?;
        rand_distr::Gamma::new(shape, scale)
            .map(|g| Dist::Gamma(g, shape * scale))
            .map_err(|e| e.to_string())
    }

    /// Weibull with scale lambda > 0 (ns) and shape k > 0.
    pub fn weibull(scale: f64, shape: f64) -> Result<Dist, String> {
        positive("scale", scale)?;
        positive("shape", shape)?;
        rand_distr::Weibull::new(scale, shape)
            .map(|w| Dist::Weibull(w, scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape)))
            .map_err(|e| e.to_string())
    }

    /// Pareto with scale x_m > 0 (ns) and shape alpha > 0.
    pub fn pareto(scale: f64, shape: f64) -> Result<Dist, String> {
        positive("scale", scale)?;
        positive("shape", shape)?;
        rand_distr::Pareto::new(scale, shape)
            .map(|p| {
                let mean = if shape <= 1.0 {
                    f64::INFINITY
                } else {
                    shape * scale / (shape - 1.0)
                };
                Dist::Pareto(p, mean)
            })
            .map_err(|e| e.to_string())
    }

    /// Empirical distribution over observed values (ns); needs at least one value.
    pub fn empirical(values: Vec<u64>) -> Result<Dist, String> {
        if values.is_empty() {
            return Err("empirical distribution needs at least one value".into());
        }
        Ok(Dist::Empirical(values))
    }

    /// The theoretical mean in ns (for reports and theory checks).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v as f64,
            Dist::Exponential { mean } => *mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Normal(_, m)
            | Dist::LogNormal(_, m)
            | Dist::Gamma(_, m)
            | Dist::Weibull(_, m)
            | Dist::Pareto(_, m) => *m,
            Dist::Empirical(v) => v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64,
        }
    }

    /// Whether every draw is zero (lets the engine skip scheduling a zero-delay hop).
    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant(0))
    }

    /// Draw one duration in nanoseconds.
    ///
    /// Constants (every zero-latency hop) and exponentials are drawn inline; the rest
    /// in `Dist::sample_other`, so the common cases pay no call and no spilled
    /// registers (three draws per request in the M/M/1 bench).
    #[inline(always)]
    pub fn sample(&self, rng: &mut RngStream) -> u64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Exponential { mean } => to_ns(-mean * (1.0 - rng.unit()).ln()),
            _ => self.sample_other(rng),
        }
    }

    /// [`Dist::sample`] for the distributions drawn out of line.
    #[inline(never)]
    fn sample_other(&self, rng: &mut RngStream) -> u64 {
        let x = match self {
            Dist::Constant(v) => return *v,
            Dist::Exponential { mean } => -mean * (1.0 - rng.unit()).ln(),
            Dist::Uniform { min, max } => min + (max - min) * rng.unit(),
            Dist::Normal(n, _) => {
                let mut x = n.sample(rng);
                for _ in 0..8 {
                    if x >= 0.0 {
                        break;
                    }
                    x = n.sample(rng);
                }
                x.max(0.0)
            }
            Dist::LogNormal(l, _) => l.sample(rng),
            Dist::Gamma(g, _) => g.sample(rng),
            Dist::Weibull(w, _) => w.sample(rng),
            Dist::Pareto(p, _) => p.sample(rng),
            Dist::Empirical(v) => return v[rng.below(v.len() as u32) as usize],
        };
        to_ns(x)
    }
}

/// Round a non-negative float of nanoseconds to an integer, saturating.
#[inline]
fn to_ns(x: f64) -> u64 {
    if x.is_finite() {
        (x + 0.5) as u64
    } else {
        u64::MAX / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut r = RngStream::from_seed(1);
        (0..n).map(|_| d.sample(&mut r) as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_theoretical_means() {
        let cases = [
            Dist::exponential(1e6).unwrap(),
            Dist::uniform(1e6, 3e6).unwrap(),
            Dist::normal(5e6, 1e6).unwrap(),
            Dist::lognormal_median_p99(1e6, 5e6).unwrap(),
            Dist::gamma(2.0, 1e6).unwrap(),
            Dist::weibull(1e6, 1.5).unwrap(),
            Dist::pareto(1e6, 3.0).unwrap(),
        ];
        for d in &cases {
            let m = sample_mean(d, 200_000);
            let rel = (m - d.mean()).abs() / d.mean();
            assert!(rel < 0.02, "{d:?}: sample mean {m} vs {}", d.mean());
        }
    }

    #[test]
    fn lognormal_by_median_and_p99_hits_both() {
        let d = Dist::lognormal_median_p99(1e6, 5e6).unwrap();
        let mut r = RngStream::from_seed(3);
        let mut v: Vec<u64> = (0..100_000).map(|_| d.sample(&mut r)).collect();
        v.sort_unstable();
        let median = v[50_000] as f64;
        let p99 = v[99_000] as f64;
        assert!((median / 1e6 - 1.0).abs() < 0.03, "median {median}");
        assert!((p99 / 5e6 - 1.0).abs() < 0.06, "p99 {p99}");
    }

    #[test]
    fn invalid_parameters_are_rejected_with_the_parameter_name() {
        assert!(Dist::exponential(0.0).unwrap_err().contains("mean"));
        assert!(Dist::lognormal_median_p99(5.0, 1.0)
            .unwrap_err()
            .contains("p99"));
        assert!(Dist::uniform(3.0, 1.0).is_err());
        assert!(Dist::empirical(vec![]).is_err());
        assert!(Dist::pareto(1.0, -1.0).unwrap_err().contains("shape"));
    }
}
