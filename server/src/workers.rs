//! Wiring from `Settings`: the mailer, the signer of unsubscribe links, and
//! the two delivery workers: the email worker (which also routes alerts to
//! webhooks) and the webhook worker, sharing one store. `Application` uses
//! it, and so do tests that drive workers by hand.

use crate::alerts::{EmailHandler, RetryPolicy, Worker};
use crate::config::Settings;
use crate::delivery::Pump;
use crate::mail::{Credentials, MailError, Mailer};
use crate::store::Store;
use crate::unsubscribe::UnsubscribeLinks;
use crate::webhook::{HookClient, HookPolicy, WebhookHandler, WebhookWorker};
use anyhow::Context;
use std::sync::Arc;

/// The email and webhook workers, named `consumer` in their consumer groups.
pub async fn delivery_workers(
    store: &Store,
    settings: &Settings,
    consumer: &str,
) -> anyhow::Result<(Worker, WebhookWorker)> {
    let d = &settings.delivery;
    let store = &store.clone().with_queue_partitions(d.queue_partitions);
    let mailer = mailer(settings)?;
    let links = unsubscribe_links(store, settings).await?;
    let email = Pump {
        store: store.clone(),
        consumer: consumer.to_owned(),
        concurrency: d.concurrency,
        reclaim_idle: d.reclaim_idle,
        handler: Arc::new(EmailHandler {
            store: store.clone(),
            mailer: mailer.clone(),
            policy: RetryPolicy {
                max_attempts: d.email_attempts,
                base: d.email_retry_base,
                max: d.email_retry_max,
            },
            links,
            unsubscribe_mailto: mailer.from_address(),
        }),
    };
    let webhook = Pump {
        store: store.with_own_blocking().await?,
        consumer: consumer.to_owned(),
        concurrency: d.concurrency,
        // Never take over a delivery that may still be waiting for its receiver.
        reclaim_idle: d.reclaim_idle.max(d.webhook_timeout * 2),
        handler: Arc::new(WebhookHandler {
            store: store.clone(),
            mailer,
            client: HookClient::with_proxy(
                d.webhook_timeout,
                d.webhook_allow_private,
                settings.edge.webhook_proxy.as_ref().map(|p| p.expose()),
            )?,
            policy: HookPolicy {
                schedule: d.webhook_schedule.clone(),
                disable_after: d.webhook_disable_after,
            },
        }),
    };
    Ok((email, webhook))
}

/// The signer of unsubscribe links, with the key every process shares.
pub async fn unsubscribe_links(
    store: &Store,
    settings: &Settings,
) -> anyhow::Result<UnsubscribeLinks> {
    let key = store
        .signing_key("unsubscribe")
        .await
        .context("REDIS_URL")?;
    Ok(UnsubscribeLinks::new(key, &settings.public_url)
        .with_ttl(settings.edge.unsubscribe_link_ttl))
}

/// The mailer `SMTP_URL`, `SMTP_USERNAME`, `SMTP_PASSWORD`, `MAIL_FROM` and
/// `SMTP_POOL_SIZE` describe.
pub fn mailer(settings: &Settings) -> Result<Mailer, MailError> {
    let credentials = match (&settings.smtp_username, &settings.smtp_password) {
        (Some(user), Some(password)) => {
            Some(Credentials::new(user.clone(), password.expose().to_owned()))
        }
        _ => None,
    };
    Mailer::connect(
        settings.smtp_url.expose(),
        credentials,
        &settings.mail_from,
        settings.delivery.smtp_pool_size,
    )
}
