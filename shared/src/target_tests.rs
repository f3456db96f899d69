use super::*;

fn pin() -> Pincode {
    Pincode::parse("800001").unwrap()
}

fn topic() -> TopicName {
    TopicName::parse("cs101").unwrap()
}

#[test]
fn target_keys_read_back_as_what_they_name() {
    for (raw, key) in [
        ("d:97", TargetKey::District(DistrictId::new(97))),
        ("p:800001", TargetKey::Pincode(pin())),
        ("t:cs101", TargetKey::Topic(topic())),
    ] {
        assert_eq!(TargetKey::parse(raw).unwrap(), key);
        assert_eq!(key.to_string(), raw);
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, format!("\"{raw}\""));
    }
    for bad in ["97", "d:x", "p:12", "t:CS", "x:1", ""] {
        assert!(TargetKey::parse(bad).is_err(), "{bad}");
    }
    assert!(!TargetKey::Topic(topic()).is_polled());
    assert_eq!(TargetKey::Pincode(pin()).kind(), "pincode");
}

#[test]
fn a_subscription_names_exactly_one_target() {
    let f = Filters::default();
    let id = Some(DistrictId::new(97));
    let fields = |district_id, state, district, pincode, topic| TargetFields {
        district_id,
        state,
        district,
        pincode,
        topic,
    };
    let (p, t) = (pin(), topic());
    assert_eq!(
        TargetSpec::for_subscription(fields(id, None, None, None, None), &f),
        Ok(TargetSpec::DistrictId(DistrictId::new(97)))
    );
    assert_eq!(
        TargetSpec::for_subscription(fields(None, Some("Bihar"), Some("Patna"), None, None), &f),
        Ok(TargetSpec::DistrictName {
            state: "Bihar".into(),
            district: "Patna".into()
        })
    );
    assert_eq!(
        TargetSpec::for_subscription(fields(None, None, None, Some(&p), None), &f),
        Ok(TargetSpec::Pincode(pin()))
    );
    for (bad, code) in [
        (
            fields(None, Some("Bihar"), None, None, None),
            "missing_district",
        ),
        (
            fields(None, None, Some("Patna"), None, None),
            "missing_state",
        ),
        (fields(None, None, None, None, None), "invalid_target"),
        (fields(id, None, None, Some(&p), None), "invalid_target"),
        (
            fields(None, Some("B"), Some("P"), None, Some(&t)),
            "invalid_target",
        ),
    ] {
        let e = TargetSpec::for_subscription(bad, &f).unwrap_err();
        assert_eq!(e.code(), code, "{bad:?}");
    }
}

#[test]
fn a_topic_takes_no_filter_but_min_capacity() {
    let t = topic();
    let fields = TargetFields {
        topic: Some(&t),
        ..TargetFields::default()
    };
    let capacity: Filters = serde_json::from_str(r#"{"min_capacity":2}"#).unwrap();
    assert_eq!(
        TargetSpec::for_subscription(fields, &capacity),
        Ok(TargetSpec::Topic(topic()))
    );
    let age: Filters = serde_json::from_str(r#"{"age":18}"#).unwrap();
    let e = TargetSpec::for_subscription(fields, &age).unwrap_err();
    assert_eq!(e.code(), "filter_not_for_topics");
}

#[test]
fn a_registration_names_its_district_one_way_or_not_at_all() {
    let fields = |district_id, state, district| TargetFields {
        district_id,
        state,
        district,
        ..TargetFields::default()
    };
    let id = Some(DistrictId::new(97));
    assert_eq!(
        TargetSpec::for_registration(fields(None, None, None)),
        Ok(None)
    );
    assert_eq!(
        TargetSpec::for_registration(fields(id, None, None)),
        Ok(Some(TargetSpec::DistrictId(DistrictId::new(97))))
    );
    for (bad, code) in [
        (fields(id, Some("Bihar"), None), "ambiguous_district"),
        (fields(id, None, Some("Patna")), "ambiguous_district"),
        (fields(None, Some("Bihar"), None), "missing_district"),
        (fields(None, None, Some("Patna")), "missing_state"),
    ] {
        assert_eq!(
            TargetSpec::for_registration(bad).unwrap_err().code(),
            code,
            "{bad:?}"
        );
    }
}
