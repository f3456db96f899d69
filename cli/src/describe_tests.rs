//! Unit tests of the sentences in `describe`, on constructed subscriptions and events.

use super::*;
use redis_hack_shared::{
    Channels, DistrictId, FeeType, Filters, QuietHours, SubscriptionId, Target, TimeZoneName,
};

fn sub() -> Subscription {
    Subscription::new(
        SubscriptionId::parse("s1").unwrap(),
        Target::District {
            district_id: 97.into(),
            district_name: "Patna".into(),
            state_name: "Bihar".into(),
        },
        Filters::default(),
        Channels::default(),
        Timestamp::from_ms(0),
    )
}

fn patna_session() -> Session {
    Session {
        session_id: "abc".into(),
        center_id: 1,
        center_name: "PHC Danapur".into(),
        address: "Main Road".into(),
        pincode: "801503".into(),
        district_id: DistrictId::new(97),
        date: "01-06-2021".into(),
        vaccine: "COVISHIELD".into(),
        min_age: 18,
        max_age: Some(44),
        capacity: 12,
        capacity_dose1: 7,
        capacity_dose2: 5,
        fee_type: FeeType::Free,
        fee: None,
        slots: Vec::new(),
    }
}

#[test]
fn the_default_mode_is_a_dash() {
    assert_eq!(mode(&sub()), "-");
}

#[test]
fn a_one_shot_says_armed_or_when_it_disarmed_in_its_zone() {
    let mut s = sub();
    s.once = true;
    assert_eq!(mode(&s), "once, armed");
    s.armed = false;
    // 2026-12-02T08:35:00Z is 14:05 in India.
    s.disarmed_at = Some(Timestamp::parse("2026-12-02T08:35:00Z").unwrap());
    assert_eq!(mode(&s), "disarmed after the alert at 14:05");
    s.tz = TimeZoneName::parse("Europe/London").unwrap();
    assert_eq!(mode(&s), "disarmed after the alert at 08:35");
}

#[test]
fn quiet_hours_show_the_window_the_zone_when_not_india_and_the_held_alerts() {
    let mut s = sub();
    s.quiet = Some(QuietHours::parse("22:00-07:00").unwrap());
    assert_eq!(mode(&s), "quiet 22:00-07:00");
    s.held = 2;
    s.followup = false;
    assert_eq!(mode(&s), "quiet 22:00-07:00 (2 alerts held); no follow-up");
    s.held = 1;
    s.tz = TimeZoneName::parse("Europe/Berlin").unwrap();
    assert_eq!(
        mode(&s),
        "quiet 22:00-07:00 Europe/Berlin (1 alert held); no follow-up"
    );
}

#[test]
fn open_now_lists_each_session_or_says_nothing_is_open_and_how_old_the_check_is() {
    let mut s = sub();
    assert_eq!(open_now(&s), None, "a server that did not say");
    s.open_now = Some(Vec::new());
    s.history.last_poll_at = Some(Timestamp::from_ms(Timestamp::now().as_ms() - 12_000));
    let text = open_now(&s).unwrap();
    assert!(
        text.starts_with("nothing open right now (checked 1") && text.ends_with("s ago)"),
        "{text}"
    );
    s.history.last_poll_at = None;
    assert_eq!(
        open_now(&s).unwrap(),
        "nothing open right now",
        "no age without a poll time"
    );
    s.open_now = Some(vec![patna_session()]);
    s.history.last_poll_at = Some(Timestamp::now());
    let text = open_now(&s).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "open right now (checked 0s ago):");
    assert_eq!(
        lines[1],
        "  01-06-2021  PHC Danapur (801503)  COVISHIELD 18-44  dose 1: 7  dose 2: 5"
    );
}

#[test]
fn a_feed_event_is_one_line_with_the_time_in_india() {
    let event = FeedEvent {
        id: "1733112345678-0".into(),
        kind: FeedKind::SlotsOpened,
        timestamp: Timestamp::parse("2026-12-02T08:35:00Z").unwrap(),
        alert_id: "a1".into(),
        subscription_ids: vec![SubscriptionId::parse("s1").unwrap()],
        target: sub().target,
        sessions: vec![patna_session(), patna_session()],
    };
    let line = feed_line(&event);
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.starts_with(
            "2026-12-02 14:05 IST  OPENED  Patna, Bihar (district 97): 01-06-2021  PHC Danapur"
        ),
        "{line}"
    );
    assert!(line.ends_with("  [s1]"), "{line}");
    let gone = FeedEvent {
        kind: FeedKind::SlotsClosed,
        ..event
    };
    assert!(feed_line(&gone).contains("  GONE  "));
}

#[test]
fn a_suspension_quotes_the_mail_servers_reply_and_says_how_to_resume() {
    let s = EmailSuspension {
        reason: "550 5.1.1 mailbox unavailable".into(),
        since: Timestamp::now(),
    };
    let text = suspension(&s);
    assert!(
        text.starts_with("email suspended: 550 5.1.1 mailbox unavailable (since 0s ago)"),
        "{text}"
    );
    assert!(text.contains("register and verify"), "{text}");
}
