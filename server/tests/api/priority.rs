//! When more districts are due than the budget allows, the poller spends the
//! calls it has on the districts with the most subscribers first (found by
//! the detection benchmark: claiming in ascending order starved the biggest).

use crate::helpers::{district, env_or_explain, hex, subscriber};
use redis_hack_server::alerts::detect::Rules;
use redis_hack_server::poller::schedule::Budget;
use redis_hack_server::poller::{PollConfig, Poller};
use redis_hack_server::store::Store;
use redis_hack_server::upstream::CowinClient;
use std::time::Duration;

async fn watch(store: &Store, district_id: u32, subscribers: usize) {
    for _ in 0..subscribers {
        let email = format!("p-{}@example.com", hex(4));
        subscriber(store, &email, district(district_id)).await;
    }
}

#[tokio::test]
async fn with_calls_for_only_two_districts_the_two_biggest_are_polled() {
    let sim =
        cowin_sim::Simulator::start(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
            .await;
    let store = Store::connect(
        &env_or_explain("TEST_REDIS_URL"),
        &format!("test:{}:", hex(6)),
    )
    .await
    .unwrap();
    // Registered smallest first, so neither insertion nor id order helps.
    for (district, subscribers) in [(90, 1), (91, 2), (92, 3), (93, 7), (97, 9)] {
        watch(&store, district, subscribers).await;
    }
    let poller = Poller {
        store,
        client: CowinClient::new(&sim.base_url()).unwrap(),
        config: PollConfig {
            budget: Budget::parse("2/300s").unwrap(),
            min_interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(1800),
            rules: Rules {
                margin: 2,
                realert: Duration::from_secs(600),
            },
            followup_window: redis_hack_server::poller::FOLLOWUP_WINDOW,
        },
        id: "p".into(),
    };
    let round = poller.poll_once(1_000_000).await.unwrap();
    assert_eq!(round.fetched + round.not_modified, 2, "{round:?}");
    let polled: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|(_, uri)| uri.contains("calendarByDistrict"))
        .map(|(_, uri)| uri)
        .collect();
    assert_eq!(polled.len(), 2, "{polled:?}");
    assert!(polled[0].contains("district_id=97&"), "{polled:?}");
    assert!(polled[1].contains("district_id=93&"), "{polled:?}");
}
