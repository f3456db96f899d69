//! What the alert email itself says, as the SMTP server received it: the
//! HTML part lists each session with what a person needs to book it, and
//! the plain text says how old the data is, with the job's real times.

use crate::alerts::{NO_WAIT, enqueue, quick_policy, user_with_job, worker};
use crate::helpers::{Mailbox, env_or_explain, spawn_app};
use std::time::{Duration, UNIX_EPOCH};

fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms))
}

#[tokio::test]
async fn the_alerts_html_lists_the_session_and_its_text_says_how_old_the_data_is() {
    let app = spawn_app().await;
    let (email, mut job) = user_with_job(&app).await;
    job.fetched_at_ms = 1_900_000_000_000;
    job.detected_at_ms = 1_900_000_004_000;
    job.upstream_date = Some("Sun, 17 Mar 2030 17:46:31 GMT".into());
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
        ("fetched", http_date(job.fetched_at_ms)),
        ("upstream time", job.upstream_date.clone().unwrap()),
        ("detected", http_date(job.detected_at_ms)),
    ] {
        assert!(
            text.contains(&value),
            "the text lacks the {what} time {value}: {text}"
        );
    }
}
