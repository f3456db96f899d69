//! `AppState`: what every handler can reach. Each part is cheap to clone.

use crate::config::Settings;
use crate::locations::Locations;
use crate::mail::Mailer;
use crate::roles::Roles;
use crate::store::Store;
use crate::unsubscribe::UnsubscribeLinks;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub mailer: Mailer,
    pub locations: Locations,
    pub links: UnsubscribeLinks,
    /// What this process runs (readiness checks SMTP only where mail is sent).
    pub roles: Roles,
    /// Turns true when shutdown begins: long-lived answers (the live feed)
    /// end then, so they do not hold the process for `SHUTDOWN_GRACE`.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}
