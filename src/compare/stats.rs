//! Statistics over repeated runs: mean, 95% confidence interval, min/max,
//! and the ratio of two means with its uncertainty.
//!
//! For samples `x_1..x_n` (one per run document):
//!
//! - mean `m = sum x_i / n`, sample standard deviation
//!   `s = sqrt(sum (x_i - m)^2 / (n - 1))`, standard error `se = s / sqrt(n)`;
//! - 95% confidence interval of the mean `m ± t(0.975, n - 1) se`, with
//!   Student's t quantile from [`t975`] (undefined for `n = 1`);
//! - the ratio of a placement's mean `a` to the baseline's mean `b`,
//!   `r = a / b`, with its standard error by first-order error propagation
//!   (the delta method) for independent means:
//!   `se_r^2 = (se_a / b)^2 + (a se_b / b^2)^2`, that is
//!   `se_r = |r| sqrt((se_a / a)^2 + (se_b / b)^2)` for `a != 0`, and the half-width of its
//!   approximate 95% interval `t(0.975, min(n_a, n_b) - 1) se_r`. Taking the
//!   smaller group's degrees of freedom is the conservative end of Welch's
//!   approximation; the delta method itself assumes the spreads are small
//!   next to the means, which holds for benchmark repeats.

/// Student's t quantile `t(0.975, df)`, the factor of a two-sided 95%
/// interval. Exact (to four decimals) for df 1..30, 40, 60, 120; between
/// tabulated values the next smaller df is used, which widens the interval
/// slightly rather than narrowing it; beyond 120 the normal value 1.96.
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
        2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739,
        2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    assert!(df >= 1, "t quantile needs at least one degree of freedom");
    match df {
        1..=30 => TABLE[df - 1],
        31..=39 => TABLE[29],
        40..=59 => 2.0211,
        60..=119 => 2.0003,
        120 => 1.9799,
        _ => 1.9600,
    }
}

/// Statistics of one metric in one placement.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Standard error of the mean; None for a single sample.
    pub se: Option<f64>,
    /// 95% confidence interval of the mean; None for a single sample.
    pub ci95: Option<(f64, f64)>,
}

/// Summarize `xs`; None when there are no samples.
pub fn summarize(xs: &[f64]) -> Option<Summary> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let se = (n > 1).then(|| {
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt()
    });
    let ci95 = se.map(|se| {
        let h = t975(n - 1) * se;
        (mean - h, mean + h)
    });
    Some(Summary {
        n,
        mean,
        min,
        max,
        se,
        ci95,
    })
}

/// A ratio of two means with its uncertainty.
#[derive(Clone, Debug, PartialEq)]
pub struct Ratio {
    pub value: f64,
    /// Delta-method standard error; None when either side has one sample.
    pub se: Option<f64>,
    /// Half-width of the approximate 95% interval; None with `se`.
    pub half95: Option<f64>,
}

impl Ratio {
    /// Whether the approximate 95% interval excludes 1, i.e. the two
    /// placements differ by more than the runs' noise explains. None when
    /// the uncertainty is unknown.
    pub fn differs_from_one(&self) -> Option<bool> {
        self.half95.map(|h| (self.value - 1.0).abs() > h)
    }
}

/// `a.mean / b.mean` with its uncertainty (module docs); None when the
/// baseline's mean is zero.
pub fn ratio(a: &Summary, b: &Summary) -> Option<Ratio> {
    if b.mean == 0.0 {
        return None;
    }
    let value = a.mean / b.mean;
    let se = match (a.se, b.se) {
        (Some(sa), Some(sb)) => {
            Some(((sa / b.mean).powi(2) + (value * sb / b.mean).powi(2)).sqrt())
        }
        _ => None,
    };
    let half95 = se.map(|se| t975(a.n.min(b.n) - 1) * se);
    Some(Ratio { value, se, half95 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
    }

    #[test]
    fn t_quantiles_match_published_values() {
        close(t975(1), 12.706, 1e-3);
        close(t975(2), 4.303, 1e-3);
        close(t975(4), 2.776, 1e-3);
        close(t975(9), 2.262, 1e-3);
        close(t975(30), 2.042, 1e-3);
        // Between tabulated values: the smaller df's (wider) value.
        assert_eq!(t975(35), t975(30));
        assert_eq!(t975(50), t975(40));
        close(t975(1000), 1.960, 1e-9);
        // Decreasing towards the normal value.
        for df in 1..200 {
            assert!(t975(df + 1) <= t975(df));
        }
    }

    #[test]
    fn summary_of_three_samples() {
        // mean 2, s = 1, se = 1/sqrt(3), half-width t(2) se = 4.3027 / sqrt(3).
        let s = summarize(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.n, s.mean, s.min, s.max), (3, 2.0, 1.0, 3.0));
        close(s.se.unwrap(), 1.0 / 3f64.sqrt(), 1e-12);
        let (lo, hi) = s.ci95.unwrap();
        let h = 4.3027 / 3f64.sqrt();
        close(lo, 2.0 - h, 1e-12);
        close(hi, 2.0 + h, 1e-12);
    }

    #[test]
    fn summary_of_textbook_sample() {
        // Ten samples, mean 10.05, s = 0.35040..., CI = mean ± 2.2622 s / sqrt(10).
        let xs = [9.8, 10.2, 10.4, 9.8, 10.0, 10.2, 9.6, 10.6, 10.3, 9.6];
        let s = summarize(&xs).unwrap();
        close(s.mean, 9.85 + 0.20, 1e-12);
        let sd = (xs.iter().map(|x| (x - s.mean).powi(2)).sum::<f64>() / 9.0).sqrt();
        let (lo, hi) = s.ci95.unwrap();
        close(hi - s.mean, 2.2622 * sd / 10f64.sqrt(), 1e-12);
        close(s.mean - lo, hi - s.mean, 1e-12);
    }

    #[test]
    fn single_and_empty_samples() {
        let s = summarize(&[5.0]).unwrap();
        assert_eq!((s.n, s.mean, s.min, s.max), (1, 5.0, 5.0, 5.0));
        assert_eq!((s.se, s.ci95), (None, None));
        assert!(summarize(&[]).is_none());
        // Identical samples: zero-width interval, not NaN.
        let s = summarize(&[2.0, 2.0, 2.0]).unwrap();
        assert_eq!(s.ci95, Some((2.0, 2.0)));
    }

    #[test]
    fn ratio_uncertainty_by_delta_method() {
        // a: mean 9, se 0.3 (3.33%); b: mean 10, se 0.4 (4%).
        let a = Summary {
            n: 4,
            mean: 9.0,
            min: 8.0,
            max: 10.0,
            se: Some(0.3),
            ci95: None,
        };
        let b = Summary {
            n: 5,
            mean: 10.0,
            se: Some(0.4),
            ..a.clone()
        };
        let r = ratio(&a, &b).unwrap();
        close(r.value, 0.9, 1e-15);
        let want = 0.9 * ((0.3f64 / 9.0).powi(2) + 0.04f64.powi(2)).sqrt();
        close(r.se.unwrap(), want, 1e-15);
        close(r.se.unwrap(), 0.046861, 1e-6);
        // min(n) - 1 = 3 degrees of freedom.
        close(r.half95.unwrap(), 3.1824 * want, 1e-15);
        // 0.9 ± 0.149: the interval contains 1.
        assert_eq!(r.differs_from_one(), Some(false));
    }

    #[test]
    fn ratio_agrees_with_simulation_of_small_spreads() {
        // The delta method is exact to first order: check it against the
        // derivatives of a / b by finite differences.
        let a = summarize(&[99.0, 100.0, 101.0]).unwrap();
        let b = summarize(&[49.0, 50.0, 51.0]).unwrap();
        let r = ratio(&a, &b).unwrap();
        let (sa, sb) = (a.se.unwrap(), b.se.unwrap());
        let h = 1e-6;
        let da = ((a.mean + h * sa) / b.mean - r.value) / h;
        let db = (a.mean / (b.mean + h * sb) - r.value) / h;
        close(r.se.unwrap(), da.hypot(db), 1e-5 * r.se.unwrap());
    }

    #[test]
    fn ratio_edge_cases() {
        let one = summarize(&[3.0]).unwrap();
        let many = summarize(&[2.0, 4.0]).unwrap();
        let r = ratio(&one, &many).unwrap();
        assert_eq!(r.value, 1.0);
        assert_eq!((r.se, r.half95, r.differs_from_one()), (None, None, None));
        let zero = summarize(&[0.0, 0.0]).unwrap();
        assert!(ratio(&many, &zero).is_none());
        // A zero numerator: the spread of a alone.
        let r = ratio(&zero, &many).unwrap();
        assert_eq!((r.value, r.se), (0.0, Some(0.0)));
    }

    #[test]
    fn clearly_different_means_differ() {
        let a = summarize(&[8.0, 8.1, 7.9]).unwrap();
        let b = summarize(&[10.0, 10.1, 9.9]).unwrap();
        assert_eq!(ratio(&a, &b).unwrap().differs_from_one(), Some(true));
    }
}
