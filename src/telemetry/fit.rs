//! Sample statistics and parametric fits of observed durations.
//!
//! The scenario an import writes uses the **empirical** distribution of each observed
//! self time (a CSV beside the scenario): it reproduces whatever shape the data has.
//! A parametric fit is offered as well: lognormal and gamma by maximum likelihood
//! (lognormal: mean and standard deviation of the logs; gamma: Minka's starting point
//! and Newton steps on the shape), each with its Kolmogorov–Smirnov statistic D
//! against the sample. D is stated beside the 5% critical value 1.36/√n; with
//! parameters estimated from the same sample that value is conservative (the true one
//! is smaller, Lilliefors), so "D below it" is read as "no evidence against the fit".

use statrs::distribution::{ContinuousCDF, Gamma, LogNormal};

/// Summary statistics of a sample (ns), as `calibrate` compares them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Sample size.
    pub n: usize,
    /// Mean (ns).
    pub mean: f64,
    /// Half-width of the 95% CI of the mean (normal approximation; 0 for n < 2).
    pub mean_ci: f64,
    /// Median (ns).
    pub p50: f64,
    /// 90th percentile (ns).
    pub p90: f64,
    /// 99th percentile (ns).
    pub p99: f64,
}

/// The `q` quantile of a sorted sample (nearest rank, as HDR histograms report).
pub fn quantile(sorted: &[i64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

/// Statistics of a sorted sample.
pub fn stats(sorted: &[i64]) -> Stats {
    let n = sorted.len();
    let mean = sorted.iter().map(|&x| x as f64).sum::<f64>() / n.max(1) as f64;
    let var = if n > 1 {
        sorted
            .iter()
            .map(|&x| (x as f64 - mean).powi(2))
            .sum::<f64>()
            / (n - 1) as f64
    } else {
        0.0
    };
    Stats {
        n,
        mean,
        mean_ci: if n > 1 {
            1.96 * (var / n as f64).sqrt()
        } else {
            0.0
        },
        p50: quantile(sorted, 0.5),
        p90: quantile(sorted, 0.9),
        p99: quantile(sorted, 0.99),
    }
}

/// Half-width of a distribution-free 95% CI of the `q` quantile of a sorted sample
/// (order statistics at n·q ± 1.96·√(n·q·(1−q)), half their distance).
pub fn quantile_ci(sorted: &[i64], q: f64) -> f64 {
    let n = sorted.len() as f64;
    if sorted.len() < 2 {
        return 0.0;
    }
    let d = 1.96 * (n * q * (1.0 - q)).sqrt();
    let lo = quantile(sorted, ((n * q - d) / n).max(0.0));
    let hi = quantile(sorted, ((n * q + d) / n).min(1.0));
    (hi - lo) / 2.0
}

/// A fitted parametric distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fitted {
    /// Lognormal with `mu`, `sigma` of ln(ns).
    LogNormal {
        /// Mean of ln(x).
        mu: f64,
        /// Standard deviation of ln(x).
        sigma: f64,
    },
    /// Gamma with `shape` and `scale` (ns).
    Gamma {
        /// Shape k.
        shape: f64,
        /// Scale θ (ns).
        scale: f64,
    },
}

/// A fit and its goodness.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// The distribution.
    pub dist: Fitted,
    /// Kolmogorov–Smirnov D against the sample.
    pub ks: f64,
    /// The 5% critical value 1.36/√n.
    pub critical: f64,
}

impl Fit {
    /// Whether D is below the 5% critical value.
    pub fn accepted(&self) -> bool {
        self.ks <= self.critical
    }
}

/// Lognormal and gamma fits of a sorted sample's positive values, best (smallest D)
/// first; empty with fewer than 5 positive values or no spread.
pub fn fits(sorted: &[i64]) -> Vec<Fit> {
    let x: Vec<f64> = sorted
        .iter()
        .filter(|&&v| v > 0)
        .map(|&v| v as f64)
        .collect();
    if x.len() < 5 || x.first() == x.last() {
        return Vec::new();
    }
    let n = x.len() as f64;
    let logs: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let mu = logs.iter().sum::<f64>() / n;
    let sigma = (logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / n).sqrt();
    let mean = x.iter().sum::<f64>() / n;
    let mut out = Vec::new();
    if let Ok(d) = LogNormal::new(mu, sigma) {
        out.push(Fit {
            dist: Fitted::LogNormal { mu, sigma },
            ks: ks(&x, |v| d.cdf(v)),
            critical: 1.36 / n.sqrt(),
        });
    }
    let s = mean.ln() - mu;
    if s > 0.0 {
        let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
        for _ in 0..20 {
            let f = k.ln() - statrs::function::gamma::digamma(k) - s;
            let df = 1.0 / k - trigamma(k);
            let next = k - f / df;
            if !(next.is_finite() && next > 0.0) {
                break;
            }
            k = next;
        }
        if let Ok(d) = Gamma::new(k, k / mean) {
            out.push(Fit {
                dist: Fitted::Gamma {
                    shape: k,
                    scale: mean / k,
                },
                ks: ks(&x, |v| d.cdf(v)),
                critical: 1.36 / n.sqrt(),
            });
        }
    }
    out.sort_by(|a, b| a.ks.total_cmp(&b.ks));
    out
}

/// Trigamma by recurrence and its asymptotic series.
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x + x2 / 2.0 + (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 / 42.0)) * x2 / x
}

/// Kolmogorov–Smirnov D of a sorted sample against a CDF.
fn ks(x: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = x.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &v) in x.iter().enumerate() {
        let f = cdf(v);
        d = d
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::Distribution;

    #[test]
    fn maximum_likelihood_recovers_the_parameters() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let ln = rand_distr::LogNormal::new(15.0, 0.4).expect("valid");
        let mut x: Vec<i64> = (0..5000).map(|_| ln.sample(&mut rng) as i64).collect();
        x.sort_unstable();
        let f = fits(&x);
        let Fitted::LogNormal { mu, sigma } = f[0].dist else {
            panic!("lognormal fits lognormal data best: {f:?}");
        };
        assert!(
            (mu - 15.0).abs() < 0.02 && (sigma - 0.4).abs() < 0.02,
            "{mu} {sigma}"
        );
        assert!(f[0].accepted());
        let g = rand_distr::Gamma::new(3.0, 2e6).expect("valid");
        let mut x: Vec<i64> = (0..5000).map(|_| g.sample(&mut rng) as i64).collect();
        x.sort_unstable();
        let f = fits(&x);
        let Fitted::Gamma { shape, scale } = f[0].dist else {
            panic!("gamma fits gamma data best: {f:?}");
        };
        assert!(
            (shape - 3.0).abs() < 0.15 && (scale / 2e6 - 1.0).abs() < 0.05,
            "{shape} {scale}"
        );
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let x: Vec<i64> = (1..=100).collect();
        assert_eq!(quantile(&x, 0.5), 50.0);
        assert_eq!(quantile(&x, 0.99), 99.0);
        assert_eq!(quantile(&x, 1.0), 100.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
