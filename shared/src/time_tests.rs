use super::*;

/// 2026-12-01T18:30:00Z, which is midnight of 2 December in India.
const MIDNIGHT_IST: u64 = 1_796_149_800_000;

#[test]
fn timestamps_are_rfc3339_in_utc_with_milliseconds_and_read_back() {
    let t = Timestamp::from_ms(1_795_512_345_678);
    assert_eq!(t.to_string(), "2026-11-24T09:25:45.678Z");
    assert_eq!(
        Timestamp::from_ms(0).to_string(),
        "1970-01-01T00:00:00.000Z"
    );
    assert_eq!(Timestamp::parse("2026-11-24T09:25:45.678Z"), Ok(t));
    assert_eq!(
        Timestamp::parse("2026-11-24T14:55:45.678+05:30"),
        Ok(t),
        "an offset is accepted"
    );
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(json, "\"2026-11-24T09:25:45.678Z\"");
    assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    for bad in ["", "yesterday", "1795512345678", "1969-12-31T23:59:59Z"] {
        assert!(Timestamp::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn time_zones_are_iana_names_the_bundled_database_knows() {
    assert_eq!(TimeZoneName::default().as_str(), "Asia/Kolkata");
    assert!(TimeZoneName::parse("Europe/Berlin").is_ok());
    let e = TimeZoneName::parse("Mars/Olympus").unwrap_err().to_string();
    assert!(e.contains("'Mars/Olympus' is not a time zone"), "{e}");
    let ist = TimeZoneName::default().clock(Timestamp::from_ms(MIDNIGHT_IST + 90_000));
    assert_eq!(ist.hh_mm(), "00:01");
    assert_eq!(ist.date, "2026-12-02");
    assert_eq!(ist.abbreviation, "IST");
}

#[test]
fn quiet_hours_read_24_hour_windows_and_say_what_is_wrong() {
    let q = QuietHours::parse("22:00-07:00").unwrap();
    assert_eq!(q.to_string(), "22:00-07:00");
    assert_eq!(q.bounds(), (22 * 60, 7 * 60));
    assert_eq!(
        QuietHours::parse(" 9:30-10:00 ").unwrap().to_string(),
        "09:30-10:00"
    );
    let e = QuietHours::parse("25:00-07:00").unwrap_err().to_string();
    assert!(e.contains("'25:00' is not a time of day"), "{e}");
    for bad in ["22-07", "22:00", "22:00-07:0", "ab:cd-07:00", "22:00-22:00"] {
        assert!(QuietHours::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_window_may_wrap_midnight_and_ends_at_its_end_in_the_zone() {
    let night = QuietHours::parse("22:00-07:00").unwrap();
    assert!(night.contains(23 * 60) && night.contains(0) && night.contains(6 * 60 + 59));
    assert!(!night.contains(7 * 60) && !night.contains(12 * 60) && !night.contains(21 * 60 + 59));
    let day = QuietHours::parse("09:00-17:00").unwrap();
    assert!(day.contains(9 * 60) && !day.contains(17 * 60) && !day.contains(8 * 60));

    let ist = TimeZoneName::default();
    let at = Timestamp::from_ms(MIDNIGHT_IST + 3_600_000); // 01:00 IST
    let end = night
        .ends_after(at, &ist)
        .expect("01:00 is inside 22:00-07:00");
    assert_eq!(
        end.as_ms(),
        MIDNIGHT_IST + 7 * 3_600_000,
        "07:00 IST the same day"
    );
    assert_eq!(
        day.ends_after(at, &ist),
        None,
        "01:00 is outside 09:00-17:00"
    );
    let evening = Timestamp::from_ms(MIDNIGHT_IST - 3_600_000); // 23:00 IST the day before
    let end = night.ends_after(evening, &ist).unwrap();
    assert_eq!(
        end.as_ms(),
        MIDNIGHT_IST + 7 * 3_600_000,
        "07:00 IST the next morning"
    );
}
