//! Openings pushed by a publisher (`POST /v1/topics/{topic}/openings`): the
//! enrollment-service seed's "a seat opened" generalised. An opening fans out
//! to the topic's subscribers through the same queue, channels and history as
//! a polled opening: one alert job per user, filtered by `min_capacity`.

use crate::delivery::AlertJob;
use crate::metrics;
use crate::store::{Moment, Queue, Store, StoreError, now_ms};
use redis_hack_shared::{Opening, PublishResponse, TopicName};
use std::collections::BTreeMap;

pub async fn publish(
    store: &Store,
    topic: &TopicName,
    opening: &Opening,
) -> Result<PublishResponse, StoreError> {
    if !store.mark_published(topic.as_str(), &opening.id).await? {
        return Ok(PublishResponse {
            queued: 0,
            duplicate: true,
        });
    }
    match fan_out(store, topic, opening).await {
        Ok(queued) => Ok(PublishResponse {
            queued,
            duplicate: false,
        }),
        Err(e) => {
            // Not queued: let the publisher's retry through.
            store
                .unmark_published(topic.as_str(), &opening.id)
                .await
                .ok();
            Err(e)
        }
    }
}

async fn fan_out(store: &Store, topic: &TopicName, opening: &Opening) -> Result<usize, StoreError> {
    let target = format!("t:{topic}");
    let mut per_user: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sub in store.subscribers_of(&target).await? {
        let wanted = sub.filters.min_capacity.map_or(1, |c| c.get());
        if opening.capacity >= wanted {
            per_user.entry(sub.uid).or_default().push(sub.sid);
        }
    }
    let now = now_ms();
    let bodies = per_user
        .iter()
        .map(|(uid, sids)| {
            let job = AlertJob {
                id: AlertJob::new_id(),
                uid: uid.clone(),
                target: target.clone(),
                sids: sids.clone(),
                sessions: Vec::new(),
                openings: vec![opening.clone()],
                fetched_at_ms: now,
                upstream_date: None,
                detected_at_ms: now,
                attempt: 0,
                routed: false,
            };
            serde_json::to_string(&job).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    store.enqueue_many(Queue::Email, &bodies).await?;
    metrics::opened("topic", 1, bodies.len());
    for (uid, sids) in &per_user {
        store.record(uid, sids, Moment::Matched, now).await?;
    }
    tracing::info!(%topic, opening = %opening.id, users = per_user.len(), "opening published");
    Ok(per_user.len())
}
