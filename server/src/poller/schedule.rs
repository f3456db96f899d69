//! How often to poll each district under a shared call budget.
//!
//! A slot that opens at a uniformly random moment in a district polled every
//! `I` seconds waits `I/2` on average to be seen. Minimising the
//! subscriber-weighted mean delay `Σ wᵢ·Iᵢ/2` subject to the budget
//! `Σ 1/Iᵢ = R` (Lagrange) gives `Iᵢ ∝ 1/√wᵢ`: each district's poll *rate*
//! is proportional to the square root of its subscriber weight. Two bounds
//! change the optimum into a water-filling: no district is polled more often
//! than `min_interval` (`POLL_MIN_INTERVAL`), and none less often than
//! `max_interval`, so small districts never starve.

use std::time::Duration;

/// A call budget: at most `calls` upstream calls in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub calls: u32,
    pub window: Duration,
}

impl Budget {
    /// Parses `100/300s` (also `100/5m`, `6000/1h`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("'{raw}' is not a budget like 100/300s");
        let (calls, window) = raw.trim().split_once('/').ok_or_else(bad)?;
        let calls: u32 = calls.trim().parse().map_err(|_| bad())?;
        let window = parse_duration(window).ok_or_else(bad)?;
        if calls == 0 || window.is_zero() {
            return Err(bad());
        }
        Ok(Self { calls, window })
    }

    /// Calls per second.
    pub fn rate(&self) -> f64 {
        f64::from(self.calls) / self.window.as_secs_f64()
    }
}

/// `300s`, `5m`, `1h`, `5d`, `250ms`, or bare seconds.
pub fn parse_duration(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    if let Some(ms) = raw.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    let (number, unit) = raw
        .find(|c: char| !c.is_ascii_digit())
        .map_or((raw, "s"), |i| raw.split_at(i));
    let n: u64 = number.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

/// Poll intervals for districts with `weights` (subscriber counts), in order.
pub fn intervals(
    weights: &[f64],
    budget: Budget,
    min_interval: Duration,
    max_interval: Duration,
) -> Vec<Duration> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let total = budget.rate();
    let cap = 1.0 / min_interval.as_secs_f64().max(1e-3);
    let floor = (1.0 / max_interval.as_secs_f64().max(1e-3)).min(cap);
    let rates = if floor * n as f64 >= total {
        // Not even the floor fits: share what there is equally.
        vec![(total / n as f64).min(cap); n]
    } else {
        water_fill(weights, total, floor, cap)
    };
    rates
        .into_iter()
        .map(|r| Duration::from_secs_f64(1.0 / r))
        .collect()
}

/// Rates `clamp(k·√w, floor, cap)` with `k` chosen so they add up to `total`
/// (or every district at `cap` when the budget allows more than that).
fn water_fill(weights: &[f64], total: f64, floor: f64, cap: f64) -> Vec<f64> {
    let roots: Vec<f64> = weights.iter().map(|w| w.max(0.0).sqrt()).collect();
    let rates_for =
        |k: f64| -> Vec<f64> { roots.iter().map(|r| (k * r).clamp(floor, cap)).collect() };
    let sum_for = |k: f64| -> f64 { rates_for(k).iter().sum() };
    let mut high = 1.0;
    while sum_for(high) < total {
        if rates_for(high).iter().all(|r| *r >= cap) {
            return rates_for(high);
        }
        high *= 2.0;
    }
    let mut low = 0.0;
    for _ in 0..100 {
        let mid = (low + high) / 2.0;
        if sum_for(mid) < total {
            low = mid
        } else {
            high = mid
        }
    }
    rates_for(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: Budget = Budget {
        calls: 100,
        window: Duration::from_secs(300),
    };
    const MIN: Duration = Duration::from_secs(60);
    const MAX: Duration = Duration::from_secs(1800);

    fn calls_per_window(intervals: &[Duration]) -> f64 {
        intervals.iter().map(|i| 300.0 / i.as_secs_f64()).sum()
    }

    #[test]
    fn budgets_parse_in_seconds_minutes_or_hours() {
        assert_eq!(Budget::parse("100/300s").unwrap(), BUDGET);
        assert_eq!(Budget::parse("100/5m").unwrap(), BUDGET);
        assert_eq!(
            Budget::parse(" 6000/1h ").unwrap().window,
            Duration::from_secs(3600)
        );
        for bad in ["100", "0/300s", "100/0s", "x/300s", "100/3w"] {
            assert!(Budget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_follow_the_square_root_of_the_weights_and_use_the_budget() {
        let mut weights = vec![400.0, 100.0, 25.0];
        weights.extend(vec![1.0; 97]);
        let got = intervals(&weights, BUDGET, Duration::from_secs(1), MAX);
        assert!(
            (calls_per_window(&got) - 100.0).abs() < 0.01,
            "the whole budget is used"
        );
        let ratio = got[1].as_secs_f64() / got[0].as_secs_f64();
        assert!(
            (ratio - 2.0).abs() < 0.01,
            "4x the weight polls 2x as often: {ratio}"
        );
        let ratio = got[2].as_secs_f64() / got[1].as_secs_f64();
        assert!((ratio - 2.0).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn no_district_is_polled_more_often_than_the_minimum_interval() {
        let got = intervals(&[1_000_000.0, 1.0, 1.0], BUDGET, MIN, MAX);
        assert!(
            got.iter().all(|i| *i >= MIN - Duration::from_millis(1)),
            "{got:?}"
        );
        // Three districts at one call a minute use 15 of 100 calls: the cap, not the budget, binds.
        assert!(calls_per_window(&got) <= 15.0 + 1e-6);
    }

    #[test]
    fn small_districts_keep_the_floor_and_the_budget_still_holds() {
        let mut weights = vec![10_000.0; 5];
        weights.extend(vec![1.0; 400]);
        let got = intervals(&weights, BUDGET, MIN, MAX);
        assert!(
            got.iter().all(|i| *i <= MAX + Duration::from_millis(1)),
            "no district starves"
        );
        assert!(
            calls_per_window(&got) <= 100.0 + 1e-6,
            "{}",
            calls_per_window(&got)
        );
        assert!(got[0] < got[10], "the big districts get the spare calls");
    }

    #[test]
    fn when_even_the_floor_does_not_fit_districts_share_equally() {
        let got = intervals(&vec![1.0; 1000], BUDGET, MIN, MAX);
        assert!((calls_per_window(&got) - 100.0).abs() < 0.01);
        assert_eq!(got[0], got[999]);
    }
}
