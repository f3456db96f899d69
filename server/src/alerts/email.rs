//! The alert email: every newly open session with what a person needs to
//! decide and book (centre, address, pincode, date, vaccine, ages, capacity
//! by dose, fee, slots), how fresh the data is and when each step happened
//! on the subscriber's clock (`times`), and the booking link; or, for a
//! topic, every published opening with its details and link. A digest (the
//! end of quiet hours) says so, and how many held openings closed meanwhile.
//! Each ends with a one-click unsubscribe link.

use super::times::AlertTimes;
use crate::delivery::{AlertJob, DigestNote};
use crate::upstream::BOOKING_URL;
use redis_hack_shared::{FeeType, Opening, Session, Target};

/// Subject, plain text and HTML of the alert for `job`, about `target`,
/// with its `times`; `unsubscribe` is the link that stops it.
pub fn render(
    job: &AlertJob,
    target: &Target,
    unsubscribe: &str,
    times: &AlertTimes,
) -> (String, String, String) {
    let (mut subject, mut text, mut html) = match target {
        Target::Topic { topic } => render_openings(job, topic.as_str(), times),
        _ => render_sessions(job, target, times),
    };
    if let Some(note) = job.digest {
        subject = format!("After your quiet hours: {subject}");
        let line = digest_line(note);
        text = format!("{line}\n\n{text}");
        html = html.replacen(
            "<body style=\"font-family:sans-serif\">",
            &format!(
                "<body style=\"font-family:sans-serif\"><p><em>{}</em></p>",
                escape(&line)
            ),
            1,
        );
    }
    text.push_str(&format!(
        "\n--\nYou get this because you subscribed to {target} with redis-hack.\n\
         Stop these alerts: {unsubscribe}\n"
    ));
    html.push_str(&format!(
        "<p style=\"color:#666;font-size:small\">You get this because you subscribed to {} \
         with redis-hack. <a href=\"{}\">Unsubscribe</a></p></body></html>",
        escape(&target.to_string()),
        escape(unsubscribe),
    ));
    (subject, text, html)
}

/// What a digest stands for, in one sentence.
fn digest_line(note: DigestNote) -> String {
    let alerts = if note.held == 1 { "alert" } else { "alerts" };
    let mut line = format!(
        "Your quiet hours held {} {alerts}; this is what is still open now.",
        note.held
    );
    if note.closed > 0 {
        let what = if note.closed == 1 {
            "opening"
        } else {
            "openings"
        };
        line.push_str(&format!(
            " {} {what} closed before the quiet hours ended.",
            note.closed
        ));
    }
    line
}

fn render_openings(job: &AlertJob, topic: &str, times: &AlertTimes) -> (String, String, String) {
    let subject = match job.openings.as_slice() {
        [one] => format!("Opening on {topic}: {}", one.title),
        many => format!("{} openings on {topic}", many.len()),
    };
    let received = times.wall(job.fetched_at_ms);
    let mut text = String::new();
    let mut html = String::from("<!doctype html><html><body style=\"font-family:sans-serif\">");
    for o in &job.openings {
        text.push_str(&opening_text(o));
        html.push_str(&opening_html(o));
    }
    text.push_str(&format!("Published {received}.\n{}", times.text()));
    html.push_str(&format!(
        "<p style=\"color:#666\">Published {received}.</p>{}",
        times.html()
    ));
    (subject, text, html)
}

fn opening_text(o: &Opening) -> String {
    let places = if o.capacity == 1 { "place" } else { "places" };
    let mut t = format!("* {} ({} {places})\n", o.title, o.capacity);
    if !o.details.is_empty() {
        t.push_str(&format!("  {}\n", o.details));
    }
    if let Some(link) = &o.link {
        t.push_str(&format!("  {link}\n"));
    }
    t.push('\n');
    t
}

fn opening_html(o: &Opening) -> String {
    let link = o.link.as_deref().map_or(String::new(), |l| {
        format!(" <a href=\"{}\">Act on it</a>", escape(l))
    });
    format!(
        "<p><strong>{}</strong> ({} open){link}<br>{}</p>",
        escape(&o.title),
        o.capacity,
        escape(&o.details),
    )
}

fn render_sessions(
    job: &AlertJob,
    target: &Target,
    times: &AlertTimes,
) -> (String, String, String) {
    let n = job.sessions.len();
    let plural = if n == 1 { "session" } else { "sessions" };
    let subject = format!("Slots open: {n} {plural} for {}", target);
    let mut text = format!(
        "{n} {plural} just opened for {}.\nBook at {BOOKING_URL} - slots go fast.\n\n",
        target
    );
    let mut rows = String::new();
    for s in &job.sessions {
        text.push_str(&session_text(s));
        rows.push_str(&session_row(s));
    }
    text.push_str(&times.text());
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>{n} {plural} just opened for <strong>{target}</strong>. \
         <a href=\"{BOOKING_URL}\">Book on CoWIN</a> - slots go fast.</p>\
         <table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">\
         <tr><th>Centre</th><th>Pincode</th><th>Date</th><th>Vaccine</th><th>Age</th>\
         <th>Dose 1</th><th>Dose 2</th><th>Fee</th><th>Slots</th></tr>{rows}</table>{}",
        times.html(),
        target = escape(&target.to_string()),
    );
    (subject, text, html)
}

fn ages(s: &Session) -> String {
    match s.max_age {
        Some(max) => format!("{}-{max}", s.min_age),
        None => format!("{}+", s.min_age),
    }
}

fn fee(s: &Session) -> String {
    match (s.fee_type, &s.fee) {
        (FeeType::Free, _) => "free".into(),
        (FeeType::Paid, Some(amount)) => format!("paid (Rs {amount})"),
        (FeeType::Paid, None) => "paid".into(),
    }
}

fn session_text(s: &Session) -> String {
    format!(
        "* {} - {}, {}\n  {} | {} | age {} | dose 1: {} | dose 2: {} | {}\n  slots: {}\n\n",
        s.center_name,
        s.address,
        s.pincode,
        s.date,
        s.vaccine,
        ages(s),
        s.capacity_dose1,
        s.capacity_dose2,
        fee(s),
        if s.slots.is_empty() {
            "not listed".into()
        } else {
            s.slots.join(", ")
        },
    )
}

fn session_row(s: &Session) -> String {
    format!(
        "<tr><td>{}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        escape(&s.center_name),
        escape(&s.address),
        escape(&s.pincode),
        escape(&s.date),
        escape(&s.vaccine),
        ages(s),
        s.capacity_dose1,
        s.capacity_dose2,
        escape(&fee(s)),
        escape(&s.slots.join(", ")),
    )
}

/// Upstream text goes into HTML: escape it.
pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
