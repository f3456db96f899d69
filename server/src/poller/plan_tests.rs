use super::*;
use crate::alerts::detect::Rules;
use crate::poller::schedule::Budget;
use redis_hack_shared::{DistrictId, FeeType};

fn session(id: &str) -> Session {
    Session {
        session_id: id.into(),
        center_id: 1,
        center_name: "PHC".into(),
        address: "Main Road".into(),
        pincode: "800001".into(),
        district_id: DistrictId::new(97),
        date: "01-06-2021".into(),
        vaccine: "COVISHIELD".into(),
        min_age: 18,
        max_age: None,
        capacity: 5,
        capacity_dose1: 5,
        capacity_dose2: 0,
        fee_type: FeeType::Free,
        fee: None,
        slots: vec![],
    }
}

fn filters(json: &str) -> Filters {
    serde_json::from_str(json).unwrap()
}

fn subscriber(uid: &str, sid: &str, f: &str) -> Subscriber {
    Subscriber {
        uid: UserId::parse(uid).unwrap(),
        sid: SubscriptionId::parse(sid).unwrap(),
        filters: filters(f),
    }
}

fn ids<T: std::fmt::Display>(items: &[T]) -> Vec<String> {
    items.iter().map(|i| i.to_string()).collect()
}

#[test]
fn each_user_gets_one_alert_with_every_session_once() {
    let subscribers = [
        subscriber("u1", "s1", "{}"),
        subscriber("u1", "s2", r#"{"dose":1}"#),
        subscriber("u2", "s3", r#"{"age":45}"#),
        subscriber("u3", "s4", r#"{"dose":1}"#),
    ];
    let openings = HashMap::from([
        (filters("{}"), vec![session("a"), session("b")]),
        (filters(r#"{"dose":1}"#), vec![session("b"), session("c")]),
    ]);
    let plan = plan_jobs(&subscribers, &openings);
    let users: Vec<String> = plan.keys().map(|u| u.to_string()).collect();
    assert_eq!(users, ["u1", "u3"], "u2's filters saw nothing open");
    let u1 = &plan[&UserId::parse("u1").unwrap()];
    assert_eq!(ids(&u1.sids), ["s1", "s2"]);
    let sessions: Vec<&str> = u1.sessions.iter().map(|s| s.session_id.as_str()).collect();
    assert_eq!(sessions, ["a", "b", "c"]);
    assert_eq!(distinct_sessions(&openings), 3);
}

#[test]
fn encoded_jobs_read_back_as_the_alerts_they_stand_for() {
    let subscribers = [subscriber("u1", "s1", "{}"), subscriber("u2", "s2", "{}")];
    let openings = HashMap::from([(filters("{}"), vec![session("a")])]);
    let plan = plan_jobs(&subscribers, &openings);
    let target = TargetKey::parse("d:97").unwrap();
    let found = Found {
        target: &target,
        fetched_at_ms: 10,
        upstream_date: Some("Mon, 30 Nov 2026 00:00:00 GMT"),
        detected_at_ms: 11,
    };
    let jobs: Vec<AlertJob> = encode_jobs(&plan, found)
        .unwrap()
        .iter()
        .map(|(_, b)| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        (jobs[1].uid.as_str(), ids(&jobs[1].sids)),
        ("u2", vec!["s2".into()])
    );
    assert_eq!(jobs[1].sessions, vec![session("a")]);
    assert_eq!(jobs[0].target, target);
    assert_eq!((jobs[0].fetched_at_ms, jobs[0].detected_at_ms), (10, 11));
    assert_ne!(jobs[0].id, jobs[1].id, "each job has its own id");
}

#[test]
fn filter_sets_are_distinct() {
    let subscribers = [
        subscriber("u1", "s1", r#"{"dose":1}"#),
        subscriber("u2", "s2", "{}"),
        subscriber("u3", "s3", r#"{"dose":1}"#),
    ];
    assert_eq!(filter_sets(&subscribers).len(), 2);
}

#[test]
fn the_heaviest_targets_are_claimed_first_and_polled_most_often() {
    let config = PollConfig {
        budget: Budget {
            calls: 100,
            window: Duration::from_secs(300),
        },
        min_interval: Duration::from_secs(1),
        max_interval: Duration::from_secs(1800),
        rules: Rules {
            margin: 2,
            realert: Duration::from_secs(600),
        },
        followup_window: crate::poller::FOLLOWUP_WINDOW,
    };
    let key = |raw: &str| TargetKey::parse(raw).unwrap();
    let watched = [
        (key("d:1"), 1.0),
        (key("d:2"), 400.0),
        (key("p:800001"), 25.0),
    ];
    let plan = Schedule::new(&watched, &config);
    assert_eq!(ids(&plan.order), ["d:2", "p:800001", "d:1"]);
    assert!(plan.every(&key("d:2")) < plan.every(&key("d:1")));
    assert_eq!(
        plan.every(&key("d:3")),
        Duration::from_secs(1800),
        "not watched then"
    );
}
