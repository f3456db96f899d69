//! One poll's part in the `Gone:` follow-up: remembering what the alerts
//! just queued announced ([`Poller::track`]), and queueing one follow-up per
//! alert whose sessions have all closed since ([`Poller::follow_up`]), with
//! their events in each user's live feed.

use super::plan::UserAlert;
use super::run::{PollError, Poller};
use crate::alerts::detect::{Seen, filter_key};
use crate::alerts::feed::{closed_events, opened};
use crate::alerts::gone::{all_closed, followups, track};
use crate::delivery::AlertJob;
use crate::store::{FanOut, Queue};
use redis_hack_shared::{FeedEvent, Filters, Session, TargetKey, UserId};
use std::collections::{BTreeMap, HashMap};

impl Poller {
    /// Queues the follow-up of every remembered alert of `target` whose
    /// sessions have all closed in `sessions` (just fetched), and forgets
    /// those older than `FOLLOWUP_WINDOW`. The sessions of a followed-up
    /// alert lose their alert marks in `before`, so reopening is a new
    /// opening. Returns how many follow-ups were queued.
    pub(super) async fn follow_up(
        &self,
        target: &TargetKey,
        sessions: &[Session],
        before: &mut HashMap<String, Seen>,
        now_ms: u64,
    ) -> Result<usize, PollError> {
        let store = &self.store;
        let tracked = store.tracked_alerts(target).await?;
        if tracked.is_empty() {
            return Ok(0);
        }
        let now: HashMap<&str, &Session> = sessions
            .iter()
            .map(|s| (s.session_id.as_str(), s))
            .collect();
        let window = self.config.followup_window.as_millis() as u64;
        let (mut expired, mut queued) = (Vec::new(), 0);
        for (gid, alert) in tracked {
            if now_ms.saturating_sub(alert.at_ms) > window {
                expired.push(gid);
                continue;
            }
            if !all_closed(&alert, &now) {
                continue;
            }
            let members = store.take_announced(target, &gid).await?;
            for (filters, announced) in &alert.opened {
                for s in announced {
                    if let Some(seen) = before.get_mut(&s.session_id) {
                        seen.alerted.remove(&filter_key(filters));
                    }
                }
            }
            let Some(first) = members.first() else {
                continue;
            };
            let bodies = followups(target, &alert, &members, now_ms).map_err(PollError::Encode)?;
            let jobs: Vec<_> = members.iter().map(|m| m.uid.clone()).zip(bodies).collect();
            store.enqueue_many(Queue::Email, &jobs).await?;
            if let Some(full) = store
                .subscription_target(&first.uid, &first.sids[0])
                .await?
            {
                let events = closed_events(&alert, &members, &full, now_ms);
                store.push_feed_events(&events).await?;
            }
            queued += jobs.len();
        }
        store.forget_tracked(target, &expired).await?;
        if queued > 0 {
            tracing::info!(%target, followups = queued, "alerted sessions closed: follow-ups queued");
        }
        Ok(queued)
    }

    /// Remembers what the jobs `jobs` (uid -> job id) announced, for their
    /// follow-ups, and puts each alert in its user's live feed.
    pub(super) async fn track(
        &self,
        target: &TargetKey,
        fan: &FanOut,
        openings: &HashMap<Filters, Vec<Session>>,
        alerts: &BTreeMap<UserId, UserAlert<'_>>,
        jobs: &BTreeMap<UserId, String>,
        detected_ms: u64,
    ) -> Result<(), PollError> {
        let store = &self.store;
        let keep = self.config.followup_window;
        let groups = track(
            &fan.subscribers,
            &fan.no_followup,
            openings,
            jobs,
            detected_ms,
        );
        for (alert, members) in groups {
            store
                .track_alert(target, &AlertJob::new_id(), &alert, &members, keep)
                .await?;
        }
        let Some(first) = fan.subscribers.iter().find(|s| jobs.contains_key(&s.uid)) else {
            return Ok(());
        };
        let Some(full) = store.subscription_target(&first.uid, &first.sid).await? else {
            return Ok(());
        };
        let events: Vec<(UserId, FeedEvent)> = alerts
            .iter()
            .filter_map(|(uid, alert)| {
                let job_id = jobs.get(uid)?;
                let sessions = alert.sessions.iter().map(|s| (*s).clone()).collect();
                let event = opened(
                    job_id,
                    alert.sids.clone(),
                    full.clone(),
                    sessions,
                    detected_ms,
                );
                Some((uid.clone(), event))
            })
            .collect();
        store.push_feed_events(&events).await?;
        Ok(())
    }
}
