use super::*;
use redis_hack_shared::{Channels, Filters, TargetKey, UserId, WebhookUrl};

fn sub(id: &str, email: bool, webhook: bool) -> Subscription {
    Subscription::new(
        SubscriptionId::parse(id).unwrap(),
        redis_hack_shared::Target::Topic {
            topic: redis_hack_shared::TopicName::parse("cs101").unwrap(),
        },
        Filters::default(),
        Channels {
            email,
            webhook: webhook.then(|| WebhookUrl::parse("https://example.com/h").unwrap()),
        },
        redis_hack_shared::Timestamp::from_ms(0),
    )
}

fn job(sids: &[&str]) -> AlertJob {
    AlertJob {
        id: "j1".into(),
        uid: UserId::parse("u1").unwrap(),
        target: TargetKey::parse("t:cs101").unwrap(),
        sids: sids
            .iter()
            .map(|s| SubscriptionId::parse(s).unwrap())
            .collect(),
        sessions: vec![],
        openings: vec![],
        fetched_at_ms: 0,
        upstream_date: None,
        detected_at_ms: 0,
        attempt: 0,
        routed: false,
        follows: None,
        digest: None,
    }
}

#[test]
fn an_alert_reaches_only_the_subscriptions_still_there_each_by_its_channels() {
    let now = vec![
        sub("s1", true, false),
        sub("s2", false, true),
        sub("s3", true, true),
    ];
    let routing = route(&job(&["s1", "s2", "s3", "s9"]), now);
    let hooks: Vec<&str> = routing.hooks().map(|s| s.id.as_str()).collect();
    assert_eq!(hooks, ["s2", "s3"]);
    let email: Vec<String> = routing.email_ids().iter().map(|s| s.to_string()).collect();
    assert_eq!(email, ["s1", "s3"]);
    assert_eq!(routing.email_about(), Some(&routing.matched[0].target));
    let webhook_only = route(&job(&["s2"]), vec![sub("s2", false, true)]);
    assert_eq!(webhook_only.email_about(), None, "no email goes out");
    assert_eq!(
        route(&job(&["s1"]), vec![sub("s2", true, false)]).matched,
        vec![]
    );
}

#[test]
fn a_job_without_email_is_routed_or_dropped() {
    let webhook_only = route(&job(&["s2"]), vec![sub("s2", false, true)]);
    assert_eq!(webhook_only.without_email(), Outcome::Routed);
    let gone = route(&job(&["s2"]), vec![]);
    assert_eq!(gone.without_email(), Outcome::Dropped);
}

#[test]
fn a_failed_send_backs_off_doubling_up_to_the_cap_then_is_dead() {
    let p = RetryPolicy::default();
    for (failures, secs) in [(1, 5), (2, 10), (3, 20), (7, 320)] {
        assert_eq!(
            p.next_step(failures, 1_000, 1.0, "421"),
            Step::Retry {
                due_ms: 1_000 + secs * 1000
            },
            "after failure {failures}"
        );
    }
    assert_eq!(p.backoff(20), Duration::from_secs(900), "capped");
    assert_eq!(
        p.next_step(1, 0, 1.2, "421"),
        Step::Retry { due_ms: 6_000 },
        "jitter stretches the wait"
    );
    assert_eq!(
        p.next_step(8, 0, 1.0, "550 no such user"),
        Step::Dead("550 no such user".into())
    );
}

#[test]
fn subscriptions_in_their_quiet_hours_are_held_until_the_window_ends_even_across_midnight() {
    use redis_hack_shared::{QuietHours, TimeZoneName};
    // 2026-12-02T17:30:00Z is 23:00 in India.
    let now = redis_hack_shared::Timestamp::from_ms(1_796_232_600_000);
    let mut night = sub("s1", true, false);
    night.quiet = Some(QuietHours::parse("22:00-07:00").unwrap());
    let mut berlin = sub("s2", true, false);
    berlin.quiet = Some(QuietHours::parse("22:00-07:00").unwrap());
    berlin.tz = TimeZoneName::parse("Europe/Berlin").unwrap(); // 18:30 there
    let mut routing = route(
        &job(&["s1", "s2", "s3"]),
        vec![night, berlin, sub("s3", true, false)],
    );
    let held = routing.hold_quiet(now);
    let held: Vec<(&str, u64)> = held
        .iter()
        .map(|(s, end)| (s.id.as_str(), end.as_ms()))
        .collect();
    // 07:00 in India the next morning is 01:30Z on 2026-12-03.
    assert_eq!(held, [("s1", 1_796_261_400_000)]);
    let left: Vec<&str> = routing.matched.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(left, ["s2", "s3"]);
}
