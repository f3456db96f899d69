//! The calendar date the upstream API is asked about: today in India.

/// Today in India (UTC+5:30): `DD-MM-YYYY` for the API and `YYYYMMDD` for comparisons.
pub fn india_date(now_ms: u64) -> (String, u32) {
    let days = ((now_ms + 19_800_000) / 86_400_000) as i64;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        format!("{d:02}-{m:02}-{y}"),
        (y * 10_000 + m * 100 + d) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_indian_time() {
        // 2021-05-31 18:29:59 UTC is 23:59:59 in India; a second later it is June.
        assert_eq!(
            india_date(1_622_485_799_000),
            ("31-05-2021".into(), 20210531)
        );
        assert_eq!(
            india_date(1_622_485_800_000),
            ("01-06-2021".into(), 20210601)
        );
        assert_eq!(india_date(951_782_400_000).0, "29-02-2000");
    }
}
