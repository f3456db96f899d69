//! The `Gone:` follow-up email: every session an alert announced has
//! closed (fully booked, below the subscription's `min_capacity`, or gone
//! from the calendar). It replies in the alert's thread (the mailer sets
//! In-Reply-To and References), lists the sessions as last seen open, and
//! ends with the one-click unsubscribe link like the alert.

use super::email::escape;
use crate::delivery::AlertJob;
use redis_hack_shared::Target;

/// Subject, plain text and HTML of the follow-up `job` about `target`.
pub fn render_gone(job: &AlertJob, target: &Target, unsubscribe: &str) -> (String, String, String) {
    let n = job.sessions.len();
    let (plural, were) = if n == 1 {
        ("session", "it was")
    } else {
        ("sessions", "they were")
    };
    let subject = match n {
        1 => format!("Gone: the session for {target} is no longer open"),
        _ => format!("Gone: the {n} {plural} for {target} are no longer open"),
    };
    let mut text = format!(
        "The {plural} announced in the alert this replies to closed: fully booked, below your \
         minimum, or gone from the calendar. No need to rush to {}; the next opening gets \
         an alert of its own.\n\nAs last seen open:\n",
        if n == 1 { "it" } else { "them" }
    );
    let mut items = String::new();
    for s in &job.sessions {
        text.push_str(&format!(
            "* {} - {}, {} | {} | {}\n",
            s.center_name, s.address, s.pincode, s.date, s.vaccine
        ));
        items.push_str(&format!(
            "<li>{} - {}, {} | {} | {}</li>",
            escape(&s.center_name),
            escape(&s.address),
            escape(&s.pincode),
            escape(&s.date),
            escape(&s.vaccine)
        ));
    }
    text.push_str(&format!(
        "\n--\nYou get this because you subscribed to {target} with redis-hack ({were} \
         in your alert).\nStop these alerts: {unsubscribe}\n"
    ));
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>The {plural} announced in the alert this replies to closed: fully booked, below \
         your minimum, or gone from the calendar. The next opening gets an alert of its own.</p>\
         <ul>{items}</ul>\
         <p style=\"color:#666;font-size:small\">You get this because you subscribed to {} \
         with redis-hack. <a href=\"{}\">Unsubscribe</a></p></body></html>",
        escape(&target.to_string()),
        escape(unsubscribe),
    );
    (subject, text, html)
}
