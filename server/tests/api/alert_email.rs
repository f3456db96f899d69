//! What the alert email itself says, as the SMTP server received it: the
//! HTML part lists each session with what a person needs to book it, and
//! the plain text says how old the data is when sent, with the job's real
//! times on an Indian wall clock (the default zone).

use crate::alerts::{NO_WAIT, enqueue, quick_policy, user_with_job, worker};
use crate::helpers::{Mailbox, env_or_explain, spawn_app};
use redis_hack_shared::Timestamp;
use std::time::{Duration, UNIX_EPOCH};

fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms))
}

/// `2026-12-02 10:15:03 IST` for an instant (India is UTC+05:30 all year).
pub fn ist(ms: u64) -> String {
    let utc = Timestamp::from_ms(ms + 19_800_000).to_string();
    format!("{} {} IST", &utc[..10], &utc[11..19])
}

#[tokio::test]
async fn the_alerts_html_lists_the_session_and_its_text_says_how_old_the_data_is() {
    let app = spawn_app().await;
    let (email, mut job) = user_with_job(&app).await;
    let now = Timestamp::now().as_ms() / 1000 * 1000;
    job.fetched_at_ms = now - 40_000;
    job.detected_at_ms = now - 39_000;
    job.upstream_date = Some(http_date(now - 41_000));
    let w = worker(&app, "w1", &env_or_explain("TEST_SMTP_URL"), quick_policy()).await;
    enqueue(&w, &job).await;
    assert_eq!(w.run_once(NO_WAIT).await.unwrap().delivered, 1);
    let msgs = app.mail.wait_for(&email, 2).await; // the code, then the alert
    let alert = msgs.last().unwrap();
    let (text, html) = (
        alert["text"].as_str().expect("a plain-text part"),
        alert["html"].as_str().expect("an HTML part"),
    );

    for needle in [
        "PHC Danapur",
        "Main Road",
        "801503",
        "01-06-2031",
        "COVAXIN",
        "<td>10</td><td>2</td>", // dose 1 and dose 2 capacity, side by side
        "09:00AM-11:00AM",
        "href=\"https://selfregistration.cowin.gov.in/\"",
    ] {
        assert!(html.contains(needle), "the HTML lacks {needle}: {html}");
    }
    let unsubscribe = text
        .split_whitespace()
        .find(|w| w.contains("/unsubscribe/"))
        .unwrap_or_else(|| panic!("no unsubscribe link in the text: {text}"));
    assert!(
        html.contains(&format!("href=\"{unsubscribe}\"")),
        "the HTML links to {unsubscribe}: {html}"
    );
    let source = app.mail.source(alert).await;
    let header = Mailbox::header(&source, "List-Unsubscribe").expect("List-Unsubscribe");
    assert!(header.contains(unsubscribe), "{header}");

    for (what, value) in [
        ("fetched", ist(job.fetched_at_ms)),
        ("upstream", ist(now - 41_000)),
        ("detected", ist(job.detected_at_ms)),
    ] {
        assert!(
            text.contains(&format!("{what:<9} {value}")),
            "the text lacks the {what} time {value}: {text}"
        );
    }
    let age: u64 = text
        .split("data ")
        .nth(1)
        .and_then(|rest| rest.split(" s old").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'data N s old' in: {text}"));
    assert!((40..100).contains(&age), "data {age} s old: {text}");
    let sent = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("sent"))
        .unwrap_or_else(|| panic!("no send time in: {text}"));
    assert!(sent.trim().ends_with(" IST"), "{sent}");
    assert!(
        html.contains(&format!("detected {}", ist(job.detected_at_ms))),
        "{html}"
    );
}
