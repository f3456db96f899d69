//! One-click unsubscribe (RFC 8058), outside `/v1` because people, not API
//! clients, use it: `GET /unsubscribe/{token}` shows a small page saying what
//! will stop, with one button; `POST` to the same URL (the button, or a mail
//! client's one-click request) unsubscribes at once. No login: the token is
//! signed (`crate::unsubscribe`), and a forged or altered one is refused, as
//! is one older than `UNSUBSCRIBE_LINK_TTL`; a subscription created again
//! after the link was issued is left alone.

use crate::state::AppState;
use crate::store::StoreError;
use crate::unsubscribe::{LinkError, Unsubscribe};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use redis_hack_shared::Subscription;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(confirm_page, unsubscribe))
}

type Page = (StatusCode, Html<String>);

/// The token from the path; one that is not UTF-8 (`%ff`) is an invalid link, not a text/plain error.
type Token = Result<Path<String>, PathRejection>;

/// The page an email's unsubscribe link opens: what will stop, and one button.
#[utoipa::path(get, path = "/unsubscribe/{token}", tag = "unsubscribe",
    params(("token" = String, Path, description = "The signed token from the email's link")),
    responses(
        (status = 200, description = "What will stop, with a button", content_type = "text/html", body = String),
        (status = 400, description = "The link is not valid (cut short or altered) or has expired", content_type = "text/html", body = String),
        (status = 503, description = "Storage is unavailable; nothing was changed", content_type = "text/html", body = String),
    ))]
async fn confirm_page(State(app): State<AppState>, token: Token) -> Page {
    let link = match token.map(|Path(t)| app.links.check(&t)) {
        Ok(Ok(link)) => link,
        Ok(Err(LinkError::Expired)) => return expired(),
        Ok(Err(LinkError::Invalid)) | Err(_) => return invalid(),
    };
    match still_subscribed(&app, &link).await {
        Ok(subs) if subs.is_empty() => page(
            StatusCode::OK,
            "Already unsubscribed",
            "<p>These alerts are already off. Nothing more to do.</p>",
        ),
        Ok(subs) => page(
            StatusCode::OK,
            "Stop these alerts?",
            &format!(
                "<p>This stops the redis-hack alerts for:</p><ul>{}</ul>\
                 <form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>\
                 <p class=\"quiet\">Other subscriptions you have are not affected.</p>",
                describe(&subs)
            ),
        ),
        Err(e) => unavailable(e),
    }
}

/// One-click unsubscribe (RFC 8058): the page's button, or a mail client.
#[utoipa::path(post, path = "/unsubscribe/{token}", tag = "unsubscribe",
    params(("token" = String, Path, description = "The signed token from the email's link")),
    responses(
        (status = 200, description = "Unsubscribed (or already was)", content_type = "text/html", body = String),
        (status = 400, description = "The link is not valid (cut short or altered) or has expired", content_type = "text/html", body = String),
        (status = 503, description = "Storage is unavailable; nothing was changed", content_type = "text/html", body = String),
    ))]
#[tracing::instrument(skip_all)]
async fn unsubscribe(State(app): State<AppState>, token: Token) -> Page {
    let link = match token.map(|Path(t)| app.links.check(&t)) {
        Ok(Ok(link)) => link,
        Ok(Err(LinkError::Expired)) => return expired(),
        Ok(Err(LinkError::Invalid)) | Err(_) => return invalid(),
    };
    let subs = match still_subscribed(&app, &link).await {
        Ok(subs) => subs,
        Err(e) => return unavailable(e),
    };
    for sub in &subs {
        if let Err(e) = app.store.remove_subscription(&link.uid, sub).await {
            return unavailable(e);
        }
        tracing::info!(uid = %link.uid, sub = %sub.id, "unsubscribed by link");
    }
    let what = match subs.is_empty() {
        true => "<p>These alerts were already off.</p>".to_owned(),
        false => format!(
            "<p>You will get no more alerts for:</p><ul>{}</ul>",
            describe(&subs)
        ),
    };
    page(StatusCode::OK, "Unsubscribed", &what)
}

async fn still_subscribed(
    app: &AppState,
    link: &Unsubscribe,
) -> Result<Vec<Subscription>, StoreError> {
    let Some(user) = app.store.user(&link.uid).await? else {
        return Ok(Vec::new());
    };
    Ok(user
        .subscriptions()
        .into_iter()
        .filter(|s| link.covers(s))
        .collect())
}

fn describe(subs: &[Subscription]) -> String {
    subs.iter()
        .map(|s| {
            format!(
                "<li>{} ({})</li>",
                escape(&s.target.to_string()),
                escape(&s.filters.to_string())
            )
        })
        .collect()
}

fn invalid() -> Page {
    page(
        StatusCode::BAD_REQUEST,
        "This link is not valid",
        "<p>This unsubscribe link is not valid: it may have been cut short or altered. \
         Use the link from the email as it is, or run <code>redis-hack unsubscribe</code>.</p>",
    )
}

fn expired() -> Page {
    page(
        StatusCode::BAD_REQUEST,
        "This link has expired",
        "<p>This unsubscribe link is too old to use. Use the link in a newer alert email, \
         or run <code>redis-hack unsubscribe</code>.</p>",
    )
}

fn unavailable(e: StoreError) -> Page {
    tracing::warn!(error = %e, "unsubscribe page: storage unavailable");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "<p>redis-hack cannot reach its storage right now. Nothing was changed; try again in a minute.</p>",
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Page {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} - redis-hack</title>\
         <style>body{{font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em}}\
         button{{font-size:1.1em;padding:.5em 1.5em}}.quiet{{color:#666}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    );
    (status, Html(html))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
