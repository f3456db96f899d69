//! Openings pushed by a publisher (`POST /v1/topics/{topic}/openings`): the
//! enrollment-service seed's "a seat opened" generalised. An opening fans out
//! to the topic's subscribers through the same queue, channels and history as
//! a polled opening: one alert job per user, filtered by `min_capacity`.

use crate::delivery::{AlertJob, DeliveryError};
use crate::metrics;
use crate::store::{Moment, Queue, Store, Subscriber, now_ms};
use redis_hack_shared::{Opening, PublishResponse, SubscriptionId, TargetKey, TopicName, UserId};
use std::collections::BTreeMap;

/// Announces `opening` on `topic` once: an id seen before queues nothing.
pub async fn publish(
    store: &Store,
    topic: &TopicName,
    opening: &Opening,
) -> Result<PublishResponse, DeliveryError> {
    if !store.mark_published(topic, &opening.id).await? {
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
            store.unmark_published(topic, &opening.id).await.ok();
            Err(e)
        }
    }
}

/// Who an opening of `capacity` places alerts: each user with the
/// subscriptions whose `min_capacity` it reaches.
pub fn recipients(
    subscribers: Vec<Subscriber>,
    capacity: u32,
) -> BTreeMap<UserId, Vec<SubscriptionId>> {
    let mut per_user: BTreeMap<UserId, Vec<SubscriptionId>> = BTreeMap::new();
    for sub in subscribers {
        if capacity >= sub.filters.min_capacity.map_or(1, |c| c.get()) {
            per_user.entry(sub.uid).or_default().push(sub.sid);
        }
    }
    per_user
}

async fn fan_out(
    store: &Store,
    topic: &TopicName,
    opening: &Opening,
) -> Result<usize, DeliveryError> {
    let target = TargetKey::Topic(topic.clone());
    let per_user = recipients(store.subscribers_of(&target).await?, opening.capacity);
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
                follows: None,
                digest: None,
            };
            Ok((uid.clone(), job.to_json()?))
        })
        .collect::<Result<Vec<_>, DeliveryError>>()?;
    store.enqueue_many(Queue::Email, &bodies).await?;
    metrics::opened(target.kind(), 1, bodies.len());
    let matched: Vec<(&UserId, &[SubscriptionId])> = per_user
        .iter()
        .map(|(uid, sids)| (uid, sids.as_slice()))
        .collect();
    store.record_many(&matched, Moment::Matched, now).await?;
    tracing::info!(%topic, opening = %opening.id, users = per_user.len(), "opening published");
    Ok(per_user.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriber(uid: &str, sid: &str, min_capacity: Option<u32>) -> Subscriber {
        let filters = match min_capacity {
            Some(c) => serde_json::from_value(serde_json::json!({ "min_capacity": c })).unwrap(),
            None => Default::default(),
        };
        Subscriber {
            uid: UserId::parse(uid).unwrap(),
            sid: SubscriptionId::parse(sid).unwrap(),
            filters,
        }
    }

    #[test]
    fn an_opening_reaches_each_user_once_with_the_subscriptions_its_size_satisfies() {
        let got = recipients(
            vec![
                subscriber("u1", "s1", None),
                subscriber("u1", "s2", Some(2)),
                subscriber("u2", "s3", Some(3)),
                subscriber("u3", "s4", Some(1)),
            ],
            2,
        );
        let got: Vec<(String, Vec<String>)> = got
            .into_iter()
            .map(|(u, s)| (u.to_string(), s.iter().map(|s| s.to_string()).collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("u1".to_owned(), vec!["s1".to_owned(), "s2".to_owned()]),
                ("u3".to_owned(), vec!["s4".to_owned()]),
            ]
        );
    }
}
