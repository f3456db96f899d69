//! The closed-form side of the detection workload. A district polled every
//! `I` seconds sees an opening at a uniformly random moment after `U(0, I)`;
//! with poll rates `rᵢ = 1/Iᵢ` summing to the budget `R`, the
//! subscriber-weighted mean delay `Σ wᵢ/(2rᵢ) / Σ wᵢ` is smallest (Lagrange,
//! KKT with the bounds) at `rᵢ = clamp(k·√wᵢ, 1/max, 1/min)`, `k` fixed by the
//! budget. Computed here independently of the server's scheduler.

/// (mean, p95) delay in seconds at the optimum for `weights`, with the
/// 60 s – 30 min bounds (`bounded`) or none, under 100 calls per 300 s.
pub fn optimum(weights: &[f64], bounded: bool) -> (f64, f64) {
    let budget = 100.0 / 300.0;
    let (floor, cap) = if bounded {
        (1.0 / 1800.0, 1.0 / 60.0)
    } else {
        (0.0, f64::INFINITY)
    };
    let rates = |k: f64| -> Vec<f64> {
        weights
            .iter()
            .map(|w| (k * w.sqrt()).clamp(floor, cap))
            .collect()
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while rates(hi).iter().sum::<f64>() < budget {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if rates(mid).iter().sum::<f64>() < budget {
            lo = mid
        } else {
            hi = mid
        }
    }
    let r = rates(hi);
    let total: f64 = weights.iter().sum();
    let mean = weights
        .iter()
        .zip(&r)
        .map(|(w, r)| w / (2.0 * r))
        .sum::<f64>()
        / total;
    // p95 of the mixture of U(0, 1/rᵢ) weighted by wᵢ: bisection on the CDF.
    let cdf = |x: f64| {
        weights
            .iter()
            .zip(&r)
            .map(|(w, r)| w * (x * r).min(1.0))
            .sum::<f64>()
            / total
    };
    let (mut lo, mut hi) = (0.0, r.iter().map(|r| 1.0 / r).fold(0.0, f64::max));
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if cdf(mid) < 0.95 { lo = mid } else { hi = mid }
    }
    (mean, hi)
}

/// Weighted mean and p95 of (value, weight) pairs.
pub fn weighted(pairs: &[(f64, f64)]) -> (f64, f64) {
    let total: f64 = pairs.iter().map(|(_, w)| w).sum();
    let mean = pairs.iter().map(|(v, w)| v * w).sum::<f64>() / total;
    let mut sorted = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for (v, w) in &sorted {
        acc += w;
        if acc >= 0.95 * total {
            return (mean, *v);
        }
    }
    (mean, sorted.last().map_or(f64::NAN, |p| p.0))
}

/// Windows of 300 s holding more than 100 calls, given each call's time (ms, sorted).
pub fn budget_violations(calls: &[u64]) -> usize {
    let mut first = 0;
    let mut over = 0;
    for (i, t) in calls.iter().enumerate() {
        while calls[first] + 300_000 <= *t {
            first += 1;
        }
        if i + 1 - first > 100 {
            over += 1;
        }
    }
    over
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_weights_without_bounds_share_the_budget_equally() {
        // 10 districts, 1/30 calls/s each: polled every 30 s, mean wait 15 s.
        let (mean, p95) = optimum(&[1.0; 10], false);
        assert!((mean - 15.0).abs() < 1e-6, "{mean}");
        assert!((p95 - 28.5).abs() < 1e-6, "{p95}");
    }

    #[test]
    fn the_square_root_rule_beats_equal_shares() {
        let w = [100.0, 1.0, 1.0, 1.0];
        let (best, _) = optimum(&w, false);
        // Equal shares: every district every 12 s, mean 6 s.
        assert!(best < 6.0, "{best}");
    }

    #[test]
    fn a_101st_call_in_one_window_is_a_violation() {
        let ok: Vec<u64> = (0..100).map(|i| i * 1000).collect();
        assert_eq!(budget_violations(&ok), 0);
        let mut over = ok.clone();
        over.push(299_000);
        assert_eq!(budget_violations(&over), 1);
        over.push(400_000);
        assert_eq!(budget_violations(&over), 1);
    }

    #[test]
    fn weighted_p95_follows_the_weights() {
        let (mean, p95) = weighted(&[(1.0, 1.0), (100.0, 99.0)]);
        assert!((mean - 99.01).abs() < 1e-9);
        assert_eq!(p95, 100.0);
    }
}
