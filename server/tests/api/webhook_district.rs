//! A district alert by webhook, end to end: a subscription to Patna with a
//! webhook made through the API, a session the simulator opens, a real poll,
//! the email worker routing the alert and the webhook worker posting it. The
//! receiver checks the signature with its own HMAC, as a receiver would.

use crate::helpers::{spawn_app, unique_email};
use crate::receiver::{Hit, Receiver};
use crate::simulated::pipeline;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use redis_hack_server::store::now_ms;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;

const NO_WAIT: Duration = Duration::from_millis(10);

/// Standard Webhooks, computed here rather than by the server's own code:
/// `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the key
/// being the base64 after `whsec_`.
fn expected_signature(secret: &str, hit: &Hit) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64 after whsec_");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", hit.id, hit.timestamp, hit.body).as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_slot_opening_in_a_watched_district_is_posted_signed_to_the_webhook() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await; // watches Patna by email
    let hook = Receiver::start(&[]).await;
    let r = app
        .authed(Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"district_id": 97, "filters": {"min_capacity": 2},
                      "channels": {"email": false, "webhook": hook.url}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let secret = created["webhook_secret"].as_str().unwrap().to_owned();
    let allow_local = [("WEBHOOK_ALLOW_PRIVATE", "true")];
    let (poller, emails, webhooks) = pipeline(&app.prefix, &app.sim.base_url(), &allow_local).await;
    let now = now_ms();
    poller.poll_once(now).await.unwrap();
    let opened: Value = app
        .http
        .post(format!("{}/control/open", app.sim.root_url()))
        .json(&json!({"district_id": 97, "dose1": 7, "dose2": 2}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        poller.poll_once(now + 70_000).await.unwrap().alerts_queued,
        1
    );
    emails.run_once(NO_WAIT).await.unwrap(); // routes it to the webhook, mails the rest
    assert_eq!(webhooks.run_once(NO_WAIT).await.unwrap().delivered, 1);
    webhooks.run_once(NO_WAIT).await.unwrap();
    let hits = hook.hits();
    assert_eq!(hits.len(), 1, "one POST: {hits:?}");

    let hit = &hits[0];
    assert_eq!(hit.signature, expected_signature(&secret, hit));
    let body: Value = serde_json::from_str(&hit.body).unwrap();
    assert_eq!(body["type"], "slots.opened");
    let data = &body["data"];
    assert_eq!(data["subscription_id"], created["id"]);
    assert_eq!(data["target"]["district_id"], 97);
    let session = &data["sessions"][0];
    assert_eq!(session["session_id"], opened["session"]["session_id"]);
    assert_eq!(session["center_name"], opened["center"]);
    assert_eq!(session["capacity_dose1"], 7);
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1, "{data}");
}
