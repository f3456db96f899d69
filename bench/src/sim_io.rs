//! What the detection workload reads from the simulator and from the alert
//! stream: district ids, session ids, and which sessions an alert reported;
//! and, for every workload, `simulator` to start one and `control`, its
//! control endpoints.

use redis_hack_server::upstream::CowinClient;

/// The CoWIN simulator (seed 1, no rate limit) on a free port of this process.
pub async fn simulator() -> anyhow::Result<cowin_sim::Simulator> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok(cowin_sim::Simulator::start(listener).await)
}

/// The first `n` district ids of the simulator's real list.
pub async fn district_ids(client: &CowinClient, n: usize) -> anyhow::Result<Vec<u32>> {
    let mut ids = Vec::new();
    for state in client.states().await? {
        ids.extend(
            client
                .districts(state.state_id)
                .await?
                .iter()
                .map(|d| d.district_id.get()),
        );
    }
    ids.sort_unstable();
    ids.truncate(n);
    anyhow::ensure!(
        ids.len() == n,
        "the simulator has only {} districts",
        ids.len()
    );
    Ok(ids)
}

/// Every session id the simulator lists for `district` from today on.
pub async fn session_ids(
    http: &reqwest::Client,
    base: &str,
    district: u32,
) -> anyhow::Result<Vec<String>> {
    let date = redis_hack_server::poller::india_date(redis_hack_server::store::now_ms()).0;
    let v: serde_json::Value = http
        .get(format!(
            "{base}/appointment/sessions/public/calendarByDistrict"
        ))
        .query(&[("district_id", district.to_string()), ("date", date)])
        .send()
        .await?
        .json()
        .await?;
    Ok(v["centers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["sessions"].as_array().into_iter().flatten())
        .filter_map(|s| s["session_id"].as_str().map(str::to_owned))
        .collect())
}

/// (session id, poll time) of every alert queued in the `det:` store's
/// email partitions; takes what it read out of them.
pub async fn detected(
    partitions: redis_hack_server::store::QueuePartitions,
) -> anyhow::Result<Vec<(String, u64)>> {
    let mut conn = crate::server::conn().await?;
    type Reply = Vec<(String, Vec<(String, Vec<(String, String)>)>)>;
    let mut out = Vec::new();
    for partition in partitions.all() {
        let stream = format!("det:alerts:{{{}}}", partition.tag());
        let reply: Option<Reply> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(1_000_000)
            .arg("STREAMS")
            .arg(&stream)
            .arg("0")
            .query_async(&mut conn)
            .await?;
        let mut read = Vec::new();
        for (_, entries) in reply.into_iter().flatten() {
            for (id, fields) in entries {
                read.push(id);
                let Some((_, body)) = fields.iter().find(|(k, _)| k == "j") else {
                    continue;
                };
                let job: serde_json::Value = serde_json::from_str(body)?;
                let at = job["fetched_at_ms"].as_u64().unwrap_or(0);
                for s in job["sessions"].as_array().into_iter().flatten() {
                    if let Some(id) = s["session_id"].as_str() {
                        out.push((id.to_owned(), at));
                    }
                }
            }
        }
        if !read.is_empty() {
            let _: u64 = redis::cmd("XDEL")
                .arg(&stream)
                .arg(&read)
                .query_async(&mut conn)
                .await?;
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `POST {root}/control/{what}` with `body`; an error unless the simulator says 2xx.
pub async fn control(
    http: &reqwest::Client,
    root: &str,
    what: &str,
    body: serde_json::Value,
) -> anyhow::Result<()> {
    let r = http
        .post(format!("{root}/control/{what}"))
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "simulator /control/{what}: {}",
        r.status()
    );
    Ok(())
}
