//! The server's own plain-SMTP pool (`mail::pool`): connections are reused,
//! one the server dropped while idle is replaced without failing the send,
//! and a server that is down is an error, not a hang.

use crate::sink::SmtpSink;
use redis_hack_server::mail::Mailer;
use redis_hack_shared::EmailAddress;

fn mailer(url: &str) -> Mailer {
    Mailer::connect(url, None, "redis-hack tests <tests@redis-hack.test>", 4).unwrap()
}

async fn send(mailer: &Mailer, to: &str) -> Result<(), redis_hack_server::mail::MailError> {
    let to = EmailAddress::parse(to).unwrap();
    mailer
        .send(&to, "hello", "plain text".into(), "<p>html</p>".into())
        .await
}

#[tokio::test]
async fn a_pooled_connection_the_server_dropped_is_replaced_without_losing_the_message() {
    let sink = SmtpSink::start().await;
    let mailer = mailer(&sink.url());
    send(&mailer, "first@example.com").await.unwrap();
    // The server restarts: the pooled connection is now dead.
    sink.stop().await;
    sink.resume().await;
    send(&mailer, "second@example.com").await.unwrap();
    let got = sink.per_recipient();
    assert_eq!(got.get("second@example.com"), Some(&1), "{got:?}");
    assert_eq!(sink.count(), 2, "exactly one message each: {got:?}");
}

#[tokio::test]
async fn a_server_that_is_down_is_a_clear_error() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    sink.stop().await;
    let err = send(&mailer(&url), "nobody@example.com").await.unwrap_err();
    assert!(
        err.to_string().contains("cannot reach the SMTP server"),
        "{err}"
    );
}

#[tokio::test]
async fn many_messages_at_once_all_arrive_once() {
    let sink = SmtpSink::start().await;
    let mailer = mailer(&sink.url());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let mailer = mailer.clone();
        tasks.spawn(async move { send(&mailer, &format!("u{i}@example.com")).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    let got = sink.per_recipient();
    assert_eq!(got.len(), 200);
    assert!(got.values().all(|n| *n == 1), "{got:?}");
}
