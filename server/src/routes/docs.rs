//! The OpenAPI 3.1 document, generated from the code: each handler's
//! `#[utoipa::path]` describes its answers, the wire types in
//! `redis-hack-shared` derive their schemas, and `documented` collects both
//! with utoipa-axum, so a route cannot be served without being documented.
//! Here: the document's frame, the whole document as JSON, and
//! `GET /openapi.json`, which serves it (the test command runs schemathesis
//! against it).

use crate::state::AppState;
use axum::Extension;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContactBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Security scheme of the user's bearer token (from `POST /v1/verify`).
pub const USER_TOKEN: &str = "user_token";
/// Security scheme of a publisher key (`PUBLISHER_KEYS`).
pub const PUBLISHER_KEY: &str = "publisher_key";
/// Security scheme of the operator key (`OPERATOR_KEY`), when one is set.
pub const OPERATOR_KEY: &str = "operator_key";

/// The document's frame: info and security schemes; `documented` adds the paths.
pub fn frame() -> OpenApi {
    let info = InfoBuilder::new()
        .title("redis-hack")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Alerts when a vaccination slot (or any scarce slot) opens. Every error is \
             `{\"error\": {\"code\", \"message\"}}`; reads support ETag / Last-Modified and 304.",
        ))
        .license(Some(LicenseBuilder::new().name("MIT").build()))
        .contact(Some(
            ContactBuilder::new()
                .url(Some(env!("CARGO_PKG_REPOSITORY")))
                .build(),
        ))
        .build();
    let mut doc = OpenApiBuilder::new().info(info).build();
    let components = doc.components.get_or_insert_with(Default::default);
    let bearer = |what: &str| {
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(what))
                .build(),
        )
    };
    components.add_security_scheme(
        USER_TOKEN,
        bearer("The token `POST /v1/verify` returned (`rh_...`)."),
    );
    components.add_security_scheme(
        PUBLISHER_KEY,
        bearer("One of the server's `PUBLISHER_KEYS`."),
    );
    components.add_security_scheme(
        OPERATOR_KEY,
        bearer("The server's `OPERATOR_KEY`; needed only when the server sets one."),
    );
    doc
}

/// The whole document, as `GET /openapi.json` serves it (the router hands
/// it to the handler as an extension).
#[derive(Clone, Copy)]
pub struct Document(pub &'static str);

/// `doc` as pretty JSON.
pub fn to_json(doc: &OpenApi) -> String {
    doc.to_pretty_json()
        .expect("the OpenAPI document serialises")
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document: every endpoint, its answers and its authentication.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document",
        content_type = "application/json", body = Object)))]
async fn openapi_json(Extension(doc): Extension<Document>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc.0)
}
