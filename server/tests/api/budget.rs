//! The shared upstream budget, against real Redis with a simulated clock:
//! several concurrent pollers over a long run never take more than the
//! budget in any window, and an exhausted budget says how long to wait.

use crate::helpers::{env_or_explain, hex};
use redis_hack_server::store::Store;
use std::time::Duration;

async fn store() -> Store {
    let prefix = format!("test:{}:", hex(6));
    Store::connect(&env_or_explain("TEST_REDIS_URL"), &prefix)
        .await
        .expect("connect to the test Redis")
}

#[tokio::test]
async fn an_exhausted_budget_says_when_the_next_call_frees_up() {
    let store = store().await;
    let window = Duration::from_secs(300);
    for i in 0..3 {
        assert_eq!(
            store
                .take_budget(1_000 + i, 3, window, &format!("c{i}"))
                .await
                .unwrap(),
            None
        );
    }
    let wait = store
        .take_budget(2_000, 3, window, "c3")
        .await
        .unwrap()
        .expect("the fourth call must wait");
    assert_eq!(
        wait,
        Duration::from_millis(1_000 + 300_000 - 2_000),
        "until the oldest call leaves the window"
    );
    assert_eq!(
        store.take_budget(301_001, 3, window, "c4").await.unwrap(),
        None,
        "then one is free again"
    );
}

#[tokio::test]
async fn concurrent_pollers_never_exceed_the_budget_in_any_window() {
    let store = store().await;
    let (limit, window) = (100u32, Duration::from_secs(300));
    let mut taken: Vec<u64> = Vec::new();
    // One simulated hour in 1-second steps; four pollers ask at every step.
    for second in 0..3_600u64 {
        let now = second * 1_000;
        let mut asks = tokio::task::JoinSet::new();
        for poller in 0..4 {
            let store = store.clone();
            // Spawned, so the four requests really race inside Redis.
            asks.spawn(async move {
                store
                    .take_budget(now, limit, window, &format!("{second}-{poller}"))
                    .await
            });
        }
        while let Some(outcome) = asks.join_next().await {
            if outcome.unwrap().unwrap().is_none() {
                taken.push(now);
            }
        }
    }
    let window_ms = window.as_millis() as u64;
    let worst = taken
        .iter()
        .map(|start| {
            taken
                .iter()
                .filter(|t| **t >= *start && **t < start + window_ms)
                .count()
        })
        .max();
    assert_eq!(
        worst,
        Some(limit as usize),
        "the budget is used fully but never exceeded"
    );
    assert!(
        taken.len() >= 12 * limit as usize - limit as usize,
        "about 12 windows' worth: {}",
        taken.len()
    );
    assert!(store.budget_in_use(3_599_000, window).await.unwrap() <= u64::from(limit));
}
