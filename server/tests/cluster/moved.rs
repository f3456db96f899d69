//! A batch written while the store's view of the cluster is stale: a slot
//! moved to another master after the store connected. A batch goes to each
//! master as one pipeline (`store/batch.rs`), grouped by the slots the
//! masters serve now, but routed by the `redis` crate's own slot map, which
//! still names the old owner: the pipeline for the moved slot reaches the
//! old owner, answers `MOVED`, and must land on the new one, once. The
//! check: every user's feed holds exactly the events pushed for them.

use crate::census::node_conn;
use crate::hex;
use crate::nodes::OwnCluster;
use redis_hack_server::store::Store;
use redis_hack_shared::{FeedEvent, FeedKind, Target, Timestamp, UserId};

/// CRC16-CCITT (XMODEM) mod 16384: the slot Redis Cluster gives a tag.
fn slot_of(tag: &str) -> u16 {
    let crc = tag.bytes().fold(0u16, |crc, b| {
        (0..8).fold(crc ^ (u16::from(b) << 8), |c, _| match c & 0x8000 {
            0 => c << 1,
            _ => (c << 1) ^ 0x1021,
        })
    });
    crc % 16384
}

/// A random user id whose tag hashes to `slot`.
fn uid_in(slot: u16) -> UserId {
    loop {
        let raw = hex(8);
        if slot_of(&raw) == slot {
            return UserId::parse(&raw).unwrap();
        }
    }
}

fn event(n: usize) -> FeedEvent {
    FeedEvent {
        id: String::new(),
        kind: FeedKind::SlotsOpened,
        timestamp: Timestamp::now(),
        alert_id: format!("alert{n}"),
        subscription_ids: vec![],
        target: Target::District {
            district_id: 97.into(),
            district_name: "Patna".into(),
            state_name: "Bihar".into(),
        },
        sessions: vec![],
    }
}

/// A master's node id and port, and the slot ranges it serves (`CLUSTER NODES`).
struct Owner {
    id: String,
    port: u16,
    ranges: Vec<(u16, u16)>,
}

async fn owners(port: u16) -> Vec<Owner> {
    let mut conn = node_conn(port).await.unwrap();
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for line in nodes.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 8 || !fields[2].contains("master") {
            continue;
        }
        let port = fields[1].split(['@', ':']).nth(1).unwrap().parse().unwrap();
        let ranges = fields[8..]
            .iter()
            .filter(|r| !r.starts_with('['))
            .map(|r| match r.split_once('-') {
                Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                None => (r.parse().unwrap(), r.parse().unwrap()),
            })
            .collect();
        out.push(Owner {
            id: fields[0].to_owned(),
            port,
            ranges,
        });
    }
    out
}

/// Moves `slot` and its keys to another master, the way `redis-cli
/// --cluster reshard` does (IMPORTING / MIGRATING, MIGRATE, SETSLOT NODE);
/// returns the slot ranges the old owner still serves.
async fn move_slot(cluster: &OwnCluster, slot: u16) -> Vec<(u16, u16)> {
    let masters = owners(cluster.nodes[0].port).await;
    let from = masters
        .iter()
        .find(|m| m.ranges.iter().any(|(a, b)| (*a..=*b).contains(&slot)))
        .expect("a master serving the slot");
    let to = masters.iter().find(|m| m.id != from.id).unwrap();
    let (mut src, mut dst) = (
        node_conn(from.port).await.unwrap(),
        node_conn(to.port).await.unwrap(),
    );
    let setslot = |how: &str, id: &str| {
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("SETSLOT").arg(slot).arg(how).arg(id);
        cmd
    };
    let () = setslot("IMPORTING", &from.id)
        .query_async(&mut dst)
        .await
        .unwrap();
    let () = setslot("MIGRATING", &to.id)
        .query_async(&mut src)
        .await
        .unwrap();
    loop {
        let keys: Vec<String> = redis::cmd("CLUSTER")
            .arg("GETKEYSINSLOT")
            .arg(slot)
            .arg(100)
            .query_async(&mut src)
            .await
            .unwrap();
        if keys.is_empty() {
            break;
        }
        let () = redis::cmd("MIGRATE")
            .arg("127.0.0.1")
            .arg(to.port)
            .arg("")
            .arg(0)
            .arg(5000)
            .arg("KEYS")
            .arg(&keys)
            .query_async(&mut src)
            .await
            .unwrap();
    }
    for m in &masters {
        let mut conn = node_conn(m.port).await.unwrap();
        let () = setslot("NODE", &to.id)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    from.ranges.clone()
}

#[tokio::test]
async fn a_batch_sent_after_a_slot_moved_writes_every_entry_once() {
    let cluster = OwnCluster::start(3, 0, 5000).await;
    let store = Store::connect(&cluster.url(), &format!("test:{}:", hex(6)))
        .await
        .unwrap();
    let moved = slot_of(&hex(8));
    // Users on the slot that will move, and users spread everywhere else.
    let mut users: Vec<UserId> = (0..8).map(|_| uid_in(moved)).collect();
    users.extend((0..400).map(|_| UserId::parse(&hex(8)).unwrap()));
    let batch = |users: &[UserId], first: usize| -> Vec<(UserId, FeedEvent)> {
        (users.iter().enumerate())
            .map(|(n, uid)| (uid.clone(), event(first + n)))
            .collect()
    };
    // One batch before the move, so the store's connections and slot map exist.
    store.push_feed_events(&batch(&users, 0)).await.unwrap();
    let old_owner = move_slot(&cluster, moved).await;
    // After the move: the moved slot's users, alone in their new master's
    // pipeline (so it is routed by the moved slot, to the old owner, and
    // answered `MOVED`), and the users the old owner still serves.
    let stays = |uid: &UserId| {
        let slot = slot_of(uid.as_str());
        old_owner.iter().any(|(a, b)| (*a..=*b).contains(&slot))
    };
    let second: Vec<UserId> = (users.iter())
        .filter(|u| slot_of(u.as_str()) == moved || stays(u))
        .cloned()
        .collect();
    store.push_feed_events(&batch(&second, 1000)).await.unwrap();

    for (n, uid) in users.iter().enumerate() {
        let feed = store.read_feed(uid, None, 100).await.unwrap();
        let alerts: Vec<&str> = feed.iter().map(|e| e.alert_id.as_str()).collect();
        let mut want = vec![format!("alert{n}")];
        if let Some(m) = second.iter().position(|u| u == uid) {
            want.push(format!("alert{}", 1000 + m));
        }
        assert_eq!(
            alerts,
            want,
            "user {uid} (slot {}, moved: {moved})",
            slot_of(uid.as_str())
        );
    }
}
