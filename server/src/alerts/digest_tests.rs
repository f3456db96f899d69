use super::*;
use redis_hack_shared::{Channels, FeeType, Filters, TargetKey, WebhookUrl};

fn session(id: &str, dose1: u32) -> Session {
    Session {
        session_id: id.into(),
        center_id: 1,
        center_name: "PHC".into(),
        address: "Main Road".into(),
        pincode: "800001".into(),
        district_id: 97.into(),
        date: "01-06-2031".into(),
        vaccine: "COVISHIELD".into(),
        min_age: 18,
        max_age: None,
        capacity: dose1,
        capacity_dose1: dose1,
        capacity_dose2: 0,
        fee_type: FeeType::Free,
        fee: None,
        slots: vec![],
    }
}

fn sub(email: bool, min_capacity: u32) -> Subscription {
    let filters: Filters =
        serde_json::from_value(serde_json::json!({ "min_capacity": min_capacity })).unwrap();
    Subscription::new(
        SubscriptionId::parse("s1").unwrap(),
        Target::District {
            district_id: 97.into(),
            district_name: "Patna".into(),
            state_name: "Bihar".into(),
        },
        filters,
        Channels {
            email,
            webhook: Some(WebhookUrl::parse("https://example.com/h").unwrap()),
        },
        Timestamp::from_ms(0),
    )
}

fn held(id: &str, sessions: Vec<Session>, detected: u64) -> AlertJob {
    AlertJob {
        id: id.into(),
        uid: UserId::parse("u1").unwrap(),
        target: TargetKey::parse("d:97").unwrap(),
        sids: vec![SubscriptionId::parse("s1").unwrap()],
        sessions,
        openings: vec![],
        fetched_at_ms: detected - 1,
        upstream_date: None,
        detected_at_ms: detected,
        attempt: 0,
        routed: false,
        follows: None,
        digest: None,
    }
}

#[test]
fn the_digest_keeps_what_is_still_open_for_the_filters_and_counts_what_closed() {
    let jobs = [
        held("j1", vec![session("a", 5), session("b", 5)], 100),
        held("j2", vec![session("c", 5), session("a", 6)], 200),
    ];
    // "a" is still open, now with 9; "b" fell below the minimum of 3; "c" is gone.
    let latest = Latest {
        sessions: vec![session("a", 9), session("b", 2)],
        checked_at: Some(300),
    };
    let d = plan(&jobs, &sub(true, 3), Some(&latest), 400);
    let email = d.email.expect("a digest email");
    assert_eq!(
        email.sessions,
        [session("a", 9)],
        "once, as the last poll has it"
    );
    assert_eq!(email.digest, Some(DigestNote { held: 2, closed: 2 }));
    assert_eq!((email.detected_at_ms, email.fetched_at_ms), (100, 300));
    assert!(
        email.routed,
        "the webhook events are the alerts, not the digest"
    );
    let per_alert: Vec<(&str, usize)> = d
        .alerts
        .iter()
        .map(|a| (a.id.as_str(), a.sessions.len()))
        .collect();
    assert_eq!(
        per_alert,
        [("j1", 1), ("j2", 1)],
        "one event per held alert"
    );
}

#[test]
fn nothing_goes_out_when_everything_held_has_closed_and_no_email_when_it_is_off() {
    let jobs = [held("j1", vec![session("a", 5)], 100)];
    let empty = Latest {
        sessions: vec![],
        checked_at: Some(300),
    };
    let d = plan(&jobs, &sub(true, 1), Some(&empty), 400);
    assert_eq!(
        d,
        Digest {
            email: None,
            alerts: vec![]
        }
    );
    let open = Latest {
        sessions: vec![session("a", 5)],
        checked_at: Some(300),
    };
    let d = plan(&jobs, &sub(false, 1), Some(&open), 400);
    assert_eq!((d.email, d.alerts.len()), (None, 1), "webhook only");
}
