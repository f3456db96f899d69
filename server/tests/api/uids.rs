//! A user's uid is worked out from its address (`store/uids.rs`): the first
//! 8 bytes of SHA-256(`redis-hack uid\0{probe}\0{email}`), probe 0 to 3. An
//! address whose first uid holds another address's user (a 64-bit
//! collision, planted here) takes the next one; an address whose four uids
//! all hold other addresses cannot sign up, and is told so.

use crate::check_helpers::Raw;
use crate::feed::store_of;
use crate::helpers::{TestApp, error_of, spawn_app, unique_email};
use redis_hack_server::store::StoreError;
use redis_hack_shared::{EmailAddress, UserId};
use serde_json::json;
use sha2::Digest;

/// The uid of `email` at `probe`, worked out here from the formula.
pub(crate) fn probe_uid(email: &EmailAddress, probe: u8) -> UserId {
    let seed = format!("redis-hack uid\0{probe}\0{}", email.as_str());
    let digest = sha2::Sha256::digest(seed.as_bytes());
    UserId::parse(&hex::encode(&digest[..8])).unwrap()
}

/// Writes a user document of `holder` at `uid`, as a collision of two
/// addresses' uids would have.
pub(crate) async fn plant(app: &TestApp, uid: &UserId, holder: &str) {
    let doc = json!({"e": holder, "c": 1}).to_string();
    let _: () = redis::cmd("JSON.SET")
        .arg(Raw::of(&app.prefix).user(uid.as_str()))
        .arg("$")
        .arg(doc)
        .query_async(&mut app.redis().await)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_address_whose_first_uid_holds_another_address_takes_the_second() {
    let app = spawn_app().await;
    let store = store_of(&app.prefix).await;
    let email = EmailAddress::parse(&unique_email()).unwrap();
    plant(&app, &probe_uid(&email, 0), &unique_email()).await;
    assert_eq!(store.uid_by_email(&email).await.unwrap(), None);

    let uid = store.ensure_user(&email).await.unwrap();

    assert_eq!(uid, probe_uid(&email, 1));
    assert_eq!(store.user(&uid).await.unwrap().unwrap().email, email);
    assert_eq!(store.uid_by_email(&email).await.unwrap(), Some(uid.clone()));
    assert_eq!(store.ensure_user(&email).await.unwrap(), uid, "found again");
}

#[tokio::test]
async fn an_address_whose_four_uids_hold_other_addresses_gets_a_500_saying_so() {
    let app = spawn_app().await;
    let email = unique_email();
    let parsed = EmailAddress::parse(&email).unwrap();
    for probe in 0..4 {
        plant(&app, &probe_uid(&parsed, probe), &unique_email()).await;
    }
    let code = app.requested_code(&email).await;

    let r = app
        .post("/v1/verify", &json!({"email": email, "code": code}))
        .await;

    let (code, message) = error_of(r, 500).await;
    assert_eq!(code, "no_user_id");
    assert!(message.contains("no user id"), "{message}");
    let store = store_of(&app.prefix).await;
    assert!(matches!(
        store.ensure_user(&parsed).await,
        Err(StoreError::NoFreeUid(_))
    ));
    assert_eq!(store.uid_by_email(&parsed).await.unwrap(), None);
}
