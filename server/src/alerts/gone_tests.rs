use super::*;
use redis_hack_shared::{DistrictId, FeeType};

fn session(id: &str, dose1: u32) -> Session {
    Session {
        session_id: id.into(),
        center_id: 1,
        center_name: "PHC".into(),
        address: "Main Road".into(),
        pincode: "800001".into(),
        district_id: DistrictId::new(97),
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

#[test]
fn users_alerted_about_the_same_sessions_share_one_tracked_alert() {
    let subscribers = [
        subscriber("u1", "s1", "{}"),
        subscriber("u2", "s2", "{}"),
        subscriber("u3", "s3", r#"{"min_capacity":5}"#),
        subscriber("u4", "s4", "{}"),
    ];
    let openings = HashMap::from([
        (filters("{}"), vec![session("a", 3)]),
        (filters(r#"{"min_capacity":5}"#), vec![]),
    ]);
    let jobs: BTreeMap<UserId, String> = ["u1", "u2", "u3", "u4"]
        .iter()
        .map(|u| (UserId::parse(u).unwrap(), format!("job-{u}")))
        .collect();
    let off = HashSet::from([(
        UserId::parse("u4").unwrap(),
        SubscriptionId::parse("s4").unwrap(),
    )]);
    let tracked = track(&subscribers, &off, &openings, &jobs, 7);
    assert_eq!(tracked.len(), 2, "one per distinct filter-set combination");
    let all: Vec<&str> = tracked
        .iter()
        .flat_map(|(_, m)| m.iter().map(|a| a.job_id.as_str()))
        .collect();
    assert!(all.contains(&"job-u1") && all.contains(&"job-u2"));
    assert!(!all.contains(&"job-u4"), "u4 turned follow-ups off");
}

#[test]
fn an_alert_is_gone_only_when_every_session_closed_for_its_filters() {
    let alert = TrackedAlert {
        at_ms: 0,
        opened: vec![(
            filters(r#"{"min_capacity":3}"#),
            vec![session("a", 5), session("b", 4)],
        )],
    };
    let (a_low, b_open) = (session("a", 2), session("b", 4));
    let now: HashMap<&str, &Session> = HashMap::from([("a", &a_low), ("b", &b_open)]);
    assert!(!all_closed(&alert, &now), "b is still open");
    let now: HashMap<&str, &Session> = HashMap::from([("a", &a_low)]);
    assert!(all_closed(&alert, &now), "a below min_capacity, b vanished");
    let jobs = followups(
        &TargetKey::parse("d:97").unwrap(),
        &alert,
        &[Announced {
            uid: UserId::parse("u1").unwrap(),
            job_id: "j1".into(),
            sids: vec![SubscriptionId::parse("s1").unwrap()],
        }],
        9,
    )
    .unwrap();
    let job: AlertJob = serde_json::from_str(&jobs[0]).unwrap();
    assert_eq!(job.follows.as_deref(), Some("j1"));
    assert_eq!(job.sessions.len(), 2);
}
