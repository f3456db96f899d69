//! The OpenAPI 3.1 document of everything this server serves, for the
//! binary's `openapi` command. `routes` builds it from the handlers'
//! annotations and the shared wire types (see `routes/docs.rs`).

/// The whole document as pretty JSON, built once.
pub use crate::routes::openapi_json as json;
