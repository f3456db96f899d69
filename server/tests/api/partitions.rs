//! Partitioned queues (`QUEUE_PARTITIONS`): alerts to several users spread
//! over several partitions and are all delivered by a worker that serves
//! every partition; one user's alerts are read in the order they were queued.

use crate::alerts::{NO_WAIT, Policy, quick_policy, user_with_job, worker};
use crate::helpers::{env_or_explain, spawn_app};
use redis_hack_server::delivery::AlertJob;
use redis_hack_server::store::Queue;
use std::collections::BTreeSet;
use std::time::Duration;

fn four_partitions() -> Policy {
    let mut policy = quick_policy();
    policy.extend([("QUEUE_PARTITIONS", "4"), ("QUEUE_RECLAIM_IDLE", "0ms")]);
    policy
}

#[tokio::test]
async fn alerts_to_many_users_spread_over_partitions_and_are_all_delivered_each_users_in_order() {
    let app = spawn_app().await;
    let w = worker(
        &app,
        "w1",
        &env_or_explain("TEST_SMTP_URL"),
        four_partitions(),
    )
    .await;
    assert_eq!(w.store.queue_partitions().count(), 4);
    // Users until they fall into at least three of the four partitions.
    let mut users: Vec<(String, AlertJob)> = Vec::new();
    let mut used = BTreeSet::new();
    while used.len() < 3 {
        assert!(users.len() < 24, "24 users in {} partition(s)", used.len());
        let (email, job) = user_with_job(&app).await;
        used.insert(w.store.partition_of(&job.uid));
        users.push((email, job));
    }
    // Three alerts each, interleaved between users.
    let mut queued: Vec<AlertJob> = Vec::new();
    w.store.ensure_group(Queue::Email).await.unwrap();
    for round in 0..3 {
        for (_, job) in &users {
            let mut next = job.clone();
            next.id = AlertJob::new_id();
            next.detected_at_ms += round;
            let body = serde_json::to_string(&next).unwrap();
            w.store
                .enqueue(Queue::Email, &next.uid, &body)
                .await
                .unwrap();
            queued.push(next);
        }
    }
    let depths = w.store.partition_depths(Queue::Email).await.unwrap();
    let busy = depths.iter().filter(|d| d.queued > 0).count();
    assert_eq!(depths.len(), 4);
    assert!(busy >= 3, "{depths:?}");
    assert_eq!(
        w.store.queue_depth(Queue::Email).await.unwrap().queued,
        queued.len() as u64
    );

    // A reader sees each user's jobs in the order they were queued.
    let read = w
        .store
        .read_jobs(Queue::Email, "reader", 1000, NO_WAIT)
        .await
        .unwrap();
    assert_eq!(read.len(), queued.len(), "every partition is read");
    for (_, job) in &users {
        let sent: Vec<String> = queued
            .iter()
            .filter(|j| j.uid == job.uid)
            .map(|j| j.id.clone())
            .collect();
        let got: Vec<String> = read
            .iter()
            .map(|q| serde_json::from_str::<AlertJob>(&q.body).unwrap())
            .filter(|j| j.uid == job.uid)
            .map(|j| j.id)
            .collect();
        assert_eq!(got, sent, "one user's alerts stay in order");
    }

    // The reader dies holding them all; the worker takes them over from
    // every partition and delivers every one.
    let mut delivered = 0;
    for _ in 0..10 {
        delivered += w.run_once(NO_WAIT).await.unwrap().delivered;
        if delivered >= queued.len() {
            break;
        }
    }
    assert_eq!(delivered, queued.len());
    for (email, _) in &users {
        assert_eq!(
            app.mail.wait_for(email, 4).await.len(),
            4,
            "the code and 3 alerts"
        );
    }
    let left = w.store.queue_depth(Queue::Email).await.unwrap();
    assert_eq!((left.queued, left.retrying, left.dead), (0, 0, 0));
}

#[tokio::test]
async fn a_server_with_another_partition_count_than_the_store_refuses_to_start() {
    let app = spawn_app().await; // records the default, 16
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_redis-hack-server"))
        .env_clear()
        .env("REDIS_URL", env_or_explain("TEST_REDIS_URL"))
        .env("REDIS_KEY_PREFIX", &app.prefix)
        .env("QUEUE_PARTITIONS", "4")
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("SMTP_URL", env_or_explain("TEST_SMTP_URL"))
        .env("LOG", "off")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run redis-hack-server");
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the server should refuse to start, not keep running")
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("have 16 partitions but QUEUE_PARTITIONS is 4")
            && stderr.contains("set QUEUE_PARTITIONS=16"),
        "{stderr}"
    );
}
