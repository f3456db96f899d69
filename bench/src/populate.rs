//! Filling Redis with verified subscribers through the server's own store
//! calls (the same Lua scripts `verify` and `subscribe` run), many at once:
//! signing 100,000 people up over HTTP would measure the rate limits instead.

use redis_hack_server::new_subscription;
use redis_hack_server::store::Store;
use redis_hack_server::webhook::sign::Secret;
use redis_hack_shared::{Channels, EmailAddress, Filters, Target, WebhookUrl};
use std::time::Instant;

/// What each subscriber gets.
#[derive(Clone)]
pub enum Channel {
    Email,
    /// A webhook alone (no email), to the URL `url(n)` gives subscriber n.
    Webhook(std::sync::Arc<dyn Fn(usize) -> String + Send + Sync>),
}

/// One subscriber to create: number `n` on `target`.
pub struct Plan {
    pub count: usize,
    pub target: std::sync::Arc<dyn Fn(usize) -> Target + Send + Sync>,
    pub channel: Channel,
    /// Also store a device token, as `verify` does.
    pub token: bool,
}

/// Creates `plan.count` verified users with one subscription each, numbered
/// from `first`; returns the seconds it took.
pub async fn populate(store: &Store, plan: &Plan, first: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in first..first + plan.count {
        let store = store.clone();
        let target = (plan.target)(n);
        let channel = plan.channel.clone();
        let token = plan.token;
        tasks.spawn(async move { one(&store, n, target, channel, token).await });
        if tasks.len() >= 256 {
            tasks.join_next().await.expect("a task")??;
        }
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn one(
    store: &Store,
    n: usize,
    target: Target,
    channel: Channel,
    token: bool,
) -> anyhow::Result<()> {
    let email = EmailAddress::parse(&format!("user{n}@example.com"))?;
    let uid = store.ensure_user(&email).await?;
    let (channels, secret) = match channel {
        Channel::Email => (Channels::default(), None),
        Channel::Webhook(url) => (
            Channels {
                email: false,
                webhook: Some(WebhookUrl::parse(&url(n))?),
            },
            Some(Secret::generate().expose()),
        ),
    };
    // As the API makes it: its id is a digest of target and filters, so the
    // subscribers of one district share it (and RedisJSON stores it once).
    let sub = new_subscription(target, Filters::default(), channels);
    store
        .add_subscription(&uid, &sub, secret.as_deref())
        .await?;
    if token {
        let hash = hex::encode(rand::random::<[u8; 32]>());
        let ttl = std::time::Duration::from_secs(90 * 86_400);
        store.put_token(&hash, &uid, "bench", ttl).await?;
    }
    Ok(())
}
