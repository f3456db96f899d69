use super::*;
use redis_hack_shared::FeeType;

const TODAY: u32 = 20210601;
const RULES: Rules = Rules {
    margin: 2,
    realert: Duration::from_secs(600),
};
const MIN: u64 = 60_000;

fn session(id: &str, dose1: u32, dose2: u32) -> Session {
    Session {
        session_id: id.into(),
        center_id: 1,
        center_name: "PHC".into(),
        address: "Main Road".into(),
        pincode: "800001".into(),
        district_id: 97.into(),
        date: "01-06-2021".into(),
        vaccine: "COVISHIELD".into(),
        min_age: 18,
        max_age: None,
        capacity: dose1 + dose2,
        capacity_dose1: dose1,
        capacity_dose2: dose2,
        fee_type: FeeType::Free,
        fee: None,
        slots: vec![],
    }
}

fn any() -> Filters {
    Filters::default()
}

fn dose2() -> Filters {
    serde_json::from_str(r#"{"dose":2}"#).unwrap()
}

fn run(sessions: &[Session], before: &HashMap<String, Seen>, now: u64) -> Detection {
    detect(sessions, before, &[any(), dose2()], RULES, TODAY, now)
}

#[test]
fn a_district_seen_for_the_first_time_alerts_for_what_is_open() {
    let d = run(
        &[session("a", 5, 0), session("b", 0, 0)],
        &HashMap::new(),
        0,
    );
    assert_eq!(d.openings[&any()].len(), 1);
    assert!(
        !d.openings.contains_key(&dose2()),
        "no dose-2 capacity anywhere"
    );
    assert_eq!(d.seen["a"].alerted.get(&filter_key(&any())), Some(&0));
    assert!(d.seen["b"].alerted.is_empty());
}

#[test]
fn a_session_that_stays_open_alerts_once() {
    let first = run(&[session("a", 5, 0)], &HashMap::new(), 0);
    let second = run(&[session("a", 4, 0)], &first.seen, MIN);
    let third = run(&[session("a", 9, 0)], &second.seen, 2 * MIN);
    assert!(second.openings.is_empty() && third.openings.is_empty());
}

#[test]
fn a_new_dose_is_an_opening_for_its_subscribers_only() {
    let first = run(&[session("a", 5, 0)], &HashMap::new(), 0);
    let second = run(&[session("a", 5, 3)], &first.seen, MIN);
    assert_eq!(second.openings.len(), 1);
    assert_eq!(second.openings[&dose2()][0].session_id, "a");
}

#[test]
fn a_reopening_within_the_margin_or_too_soon_is_noise() {
    let first = run(&[session("a", 5, 0)], &HashMap::new(), 0);
    let closed = run(&[session("a", 0, 0)], &first.seen, MIN);
    let small = run(&[session("a", 2, 0)], &closed.seen, 20 * MIN);
    assert!(
        small.openings.is_empty(),
        "2 slots is within the cancellation margin"
    );
    let closed = run(&[session("a", 0, 0)], &small.seen, 21 * MIN);
    let soon = run(&[session("a", 8, 0)], &closed.seen, 5 * MIN);
    assert!(
        soon.openings.is_empty(),
        "less than 10 minutes after the last alert"
    );
    let later = run(&[session("a", 8, 0)], &closed.seen, 22 * MIN);
    assert_eq!(
        later.openings[&any()].len(),
        1,
        "a real reopening alerts again"
    );
}

#[test]
fn filter_keys_tell_filter_sets_apart() {
    assert_eq!(filter_key(&any()), "||||");
    let f: Filters = serde_json::from_str(
        r#"{"age":18,"dose":2,"vaccine":"covaxin","fee":"free","min_capacity":5}"#,
    )
    .unwrap();
    assert_eq!(filter_key(&f), "18|2|COVAXIN|free|5");
}

#[test]
fn past_sessions_are_ignored() {
    let old = Session {
        date: "31-05-2021".into(),
        ..session("a", 5, 5)
    };
    let d = run(&[old], &HashMap::new(), 0);
    assert!(d.openings.is_empty() && d.seen.is_empty());
}

#[test]
fn dates_compare_in_calendar_order() {
    assert_eq!(date_key("01-06-2021"), Some(20210601));
    assert!(date_key("31-12-2021") < date_key("01-01-2022"));
    assert_eq!(date_key("2021-06-01"), None);
    assert_eq!(date_key("garbage"), None);
}
