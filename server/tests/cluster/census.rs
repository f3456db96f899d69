//! What each master of a cluster holds under a key prefix: the number of
//! keys, the sum of their `MEMORY USAGE`, and the queue partitions (streams
//! with a consumer group: the delivery queues; the per-user feeds have none).
//! Read straight from each master with `SCAN MATCH`, the way an operator would.

use redis::aio::MultiplexedConnection;
use std::time::Duration;

/// A plain connection to one node, without the cluster client's routing.
pub async fn node_conn(port: u16) -> redis::RedisResult<MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(30)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// A master that serves slots: its port and how many slots it has.
#[derive(Debug, Clone)]
pub struct Master {
    pub port: u16,
    pub slots: usize,
}

/// The masters serving slots, as the node on `port` sees them (`CLUSTER
/// NODES`; failed masters left out).
pub async fn masters(port: u16) -> redis::RedisResult<Vec<Master>> {
    let mut conn = node_conn(port).await?;
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await?;
    let mut out = vec![];
    for line in nodes.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(addr), Some(flags)) = (fields.get(1), fields.get(2)) else {
            continue;
        };
        if !flags.split(',').any(|f| f == "master") || flags.contains("fail") {
            continue;
        }
        let slots: usize = fields[8.min(fields.len())..]
            .iter()
            .filter(|s| !s.starts_with('['))
            .map(|s| match s.split_once('-') {
                Some((a, b)) => {
                    b.parse::<usize>().unwrap_or(0) + 1 - a.parse::<usize>().unwrap_or(0)
                }
                None => 1,
            })
            .sum();
        let port = addr
            .split(['@', ','])
            .next()
            .and_then(|a| a.rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok());
        if let (Some(port), true) = (port, slots > 0) {
            out.push(Master { port, slots });
        }
    }
    out.sort_by_key(|m| m.port);
    Ok(out)
}

/// What one master holds under the prefix.
#[derive(Debug, Default, Clone)]
pub struct Holdings {
    pub keys: u64,
    pub bytes: u64,
    /// Stream keys with a consumer group: the queue partitions.
    pub queues: Vec<String>,
}

/// Counts the keys matching `prefix*` on the master at `port`, sums their
/// `MEMORY USAGE`, and lists the streams that have a consumer group.
pub async fn holdings(port: u16, prefix: &str) -> redis::RedisResult<Holdings> {
    let mut conn = node_conn(port).await?;
    let mut held = Holdings::default();
    let pattern = format!("{}*", glob_escape(prefix));
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(2_000)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.cmd("MEMORY")
                    .arg("USAGE")
                    .arg(key)
                    .arg("SAMPLES")
                    .arg(0);
                pipe.cmd("TYPE").arg(key);
            }
            let answers: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
            for (key, pair) in keys.iter().zip(answers.chunks(2)) {
                held.keys += 1;
                if let redis::Value::Int(n) = pair[0] {
                    held.bytes += n as u64;
                }
                let kind: String = redis::from_redis_value(pair[1].clone()).unwrap_or_default();
                if kind == "stream" && has_group(&mut conn, key).await? {
                    held.queues.push(key.clone());
                }
            }
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    held.queues.sort();
    Ok(held)
}

async fn has_group(conn: &mut MultiplexedConnection, key: &str) -> redis::RedisResult<bool> {
    let groups: Vec<redis::Value> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(key)
        .query_async(conn)
        .await?;
    Ok(!groups.is_empty())
}

/// `prefix` with Redis glob's special characters escaped.
fn glob_escape(prefix: &str) -> String {
    let mut out = String::new();
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Every master's holdings, by port.
pub async fn census(any_port: u16, prefix: &str) -> Vec<(Master, Holdings)> {
    let masters = masters(any_port).await.expect("CLUSTER NODES");
    let mut out = vec![];
    for m in masters {
        let held = holdings(m.port, prefix)
            .await
            .unwrap_or_else(|e| panic!("scanning the master on port {}: {e}", m.port));
        out.push((m, held));
    }
    out
}
