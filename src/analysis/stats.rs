//! Small statistical helpers with their methods named: the exact conditional test for two
//! Poisson counts, and the normal tail.

/// `P(Z > x)` for a standard normal Z.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

fn ln_choose(n: u64, k: u64) -> f64 {
    libm::lgamma(n as f64 + 1.0) - libm::lgamma(k as f64 + 1.0) - libm::lgamma((n - k) as f64 + 1.0)
}

/// `P(X <= k)` for X ~ Binomial(n, p).
pub fn binom_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    (0..=k)
        .map(|i| (ln_choose(n, i) + i as f64 * lp + (n - i) as f64 * lq).exp())
        .sum::<f64>()
        .min(1.0)
}

/// Exact two-sided test that two Poisson counts observed over exposures `t1` and `t2` have the
/// same rate: conditional on `n1 + n2`, `n1` is Binomial(n1 + n2, t1 / (t1 + t2)) under the null;
/// p = 2 · min(P(X ≤ n1), P(X ≥ n1)), capped at 1. Returns 1 when both counts are 0.
pub fn poisson_rate_test(n1: u64, t1: f64, n2: u64, t2: f64) -> f64 {
    let n = n1 + n2;
    if n == 0 {
        return 1.0;
    }
    let p = t1 / (t1 + t2);
    let lower = binom_cdf(n1, n, p);
    let upper = if n1 == 0 {
        1.0
    } else {
        1.0 - binom_cdf(n1 - 1, n, p)
    };
    (2.0 * lower.min(upper)).min(1.0)
}

/// The median of sorted, non-empty `v` (the mean of the middle two for an even length).
pub fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_and_poisson_tests() {
        // P(X <= 2) for Binomial(10, 0.5) = 56/1024.
        assert!((binom_cdf(2, 10, 0.5) - 56.0 / 1024.0).abs() < 1e-12);
        // Equal counts: no evidence of change.
        assert!((poisson_rate_test(20, 1.0, 20, 1.0) - 1.0).abs() < 1e-12);
        // 10 vs 30 over equal periods: R's poisson.test(c(10, 30)) gives p = 0.002221.
        assert!((poisson_rate_test(10, 1.0, 30, 1.0) - 0.002_221).abs() < 5e-6);
        assert_eq!(poisson_rate_test(0, 1.0, 0, 1.0), 1.0);
    }
}
