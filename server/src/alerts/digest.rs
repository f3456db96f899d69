//! The end of quiet hours: for each subscription whose window ended with
//! alerts held (`{p}digest:due`), one digest email with only the sessions
//! still open now (from the target's latest poll, for the subscription's
//! filters), saying how many held openings closed meanwhile, and one webhook
//! event per held alert that still has an open session. Nothing is sent when
//! everything held has closed. The decision ([`plan`]) is without I/O; the
//! loop ([`Digests`]) claims due digests with a lease, so a crash mid-way
//! leaves them for the next claim.

use crate::delivery::{AlertJob, DeliveryError, DigestNote, WebhookJob};
use crate::store::{Latest, Store, now_ms};
use redis_hack_shared::{Session, Subscription, SubscriptionId, Target, Timestamp, UserId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// What a window's end sends for one subscription.
#[derive(Debug, PartialEq, Eq)]
pub struct Digest {
    /// The email (already routed: the webhook events are `alerts`), if any.
    pub email: Option<AlertJob>,
    /// Each held alert cut down to what is still open, for webhook events.
    pub alerts: Vec<AlertJob>,
}

/// The digest of `held` jobs for `sub` at `now_ms`; `latest` is the
/// target's last poll (`None` for a topic, whose openings cannot be checked).
pub fn plan(held: &[AlertJob], sub: &Subscription, latest: Option<&Latest>, now_ms: u64) -> Digest {
    let open_now: BTreeMap<&str, &Session> = latest
        .map(|l| &l.sessions[..])
        .unwrap_or_default()
        .iter()
        .filter(|s| s.is_open_for(&sub.filters))
        .map(|s| (s.session_id.as_str(), s))
        .collect();
    let still = |s: &Session| match latest {
        None => Some(s.clone()),
        Some(_) => open_now.get(s.session_id.as_str()).map(|s| (*s).clone()),
    };
    // Still open (as the latest poll has them) and closed, by session id.
    let (mut sessions, mut closed) = (BTreeMap::new(), BTreeSet::new());
    let mut alerts = Vec::new();
    for job in held {
        let open: Vec<Session> = job.sessions.iter().filter_map(still).collect();
        for s in &job.sessions {
            if !open.iter().any(|o| o.session_id == s.session_id) {
                closed.insert(s.session_id.clone());
            }
        }
        for s in &open {
            sessions.insert(s.session_id.clone(), s.clone());
        }
        let alert = AlertJob {
            sessions: open,
            sids: vec![sub.id.clone()],
            ..job.clone()
        };
        if !alert.is_empty() {
            alerts.push(alert);
        }
    }
    closed.retain(|id| !sessions.contains_key(id));
    let note = DigestNote {
        held: held.len() as u32,
        closed: closed.len() as u32,
    };
    for alert in &mut alerts {
        alert.digest = Some(note);
    }
    let first = held.iter().min_by_key(|j| j.detected_at_ms);
    let email = first.filter(|_| sub.channels.email && !alerts.is_empty());
    let email = email.map(|first| AlertJob {
        id: AlertJob::new_id(),
        sids: vec![sub.id.clone()],
        sessions: sessions.into_values().collect(),
        openings: alerts.iter().flat_map(|a| a.openings.clone()).collect(),
        fetched_at_ms: latest.and_then(|l| l.checked_at).unwrap_or(now_ms),
        upstream_date: None,
        attempt: 0,
        routed: true,
        digest: Some(note),
        ..first.clone()
    });
    Digest { email, alerts }
}

/// The loop that sends digests when quiet windows end (in the worker role).
pub struct Digests {
    pub store: Store,
    /// Digests claimed per pass.
    pub batch: usize,
}

impl Digests {
    /// Sends every digest due at `now_ms` (up to `batch`); how many.
    pub async fn run_once(&self, now_ms: u64) -> Result<usize, DeliveryError> {
        let due = self.store.claim_digests(now_ms, self.batch).await?;
        for (uid, sid) in &due {
            self.send(uid, sid, now_ms).await?;
        }
        Ok(due.len())
    }

    /// Every second until `shutdown`; failures are logged and retried (the
    /// lease brings a claimed digest back).
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            if let Err(e) = self.run_once(now_ms()).await {
                tracing::warn!(error = %e, "sending digests failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn send(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        now: u64,
    ) -> Result<(), DeliveryError> {
        let store = &self.store;
        let user = store.user(uid).await?;
        let sub = user.as_ref().and_then(|u| u.subscription(sid));
        let held = store.held_alerts(uid, sid).await?;
        let covered: Vec<String> = held.keys().cloned().collect();
        let Some(sub) = sub else {
            // Unsubscribed (or the account is gone): forget what was held.
            return Ok(store.release_held(uid, sid, &covered, None, &[]).await?);
        };
        if let Some(end) = sub
            .quiet
            .and_then(|q| q.ends_after(Timestamp::from_ms(now), &sub.tz))
        {
            return Ok(store.postpone_digest(uid, sid, end.as_ms()).await?);
        }
        let mut jobs: Vec<AlertJob> = held
            .values()
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect();
        jobs.sort_by_key(|j| j.detected_at_ms);
        let latest = match &sub.target {
            Target::Topic { .. } => None,
            other => Some(store.latest(&other.key()).await?),
        };
        let digest = plan(&jobs, &sub, latest.as_ref(), now);
        let hooks: Vec<String> = match sub.channels.webhook {
            Some(_) => digest
                .alerts
                .iter()
                .map(|a| WebhookJob::for_alert_at(a, &sub, now).to_json())
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let email = digest.email.as_ref().map(AlertJob::to_json).transpose()?;
        tracing::info!(sub = %sid, held = jobs.len(), open = digest.alerts.len(), "quiet hours ended");
        Ok(store
            .release_held(uid, sid, &covered, email.as_deref(), &hooks)
            .await?)
    }
}

#[cfg(test)]
#[path = "digest_tests.rs"]
mod tests;
