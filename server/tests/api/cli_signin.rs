//! Signing in and back in through the real `redis-hack`: every "sign in
//! again" message names the exact commands, and running them works with
//! `register --email` alone (the account keeps its subscriptions); a second
//! person verifying is told whose sign-in they replace; `localhost` without
//! a scheme is the same sign-in as `http://127.0.0.1`; without
//! `REDIS_HACK_CONFIG_DIR` the token lands in the platform config directory,
//! mode 0600; `verify --json` and `list --json` agree on a subscription.

use crate::cli::{Cli, failure};
use crate::cli_errors::assert_one_sentence;
use crate::helpers::{TestApp, spawn_app, unique_email};
use redis::AsyncCommands;
use serde_json::Value;
use std::path::Path;

/// The sign-in saved in `dir`.
fn saved(dir: &Path) -> Value {
    let bytes = std::fs::read(dir.join("credentials.json")).expect("a saved sign-in");
    serde_json::from_slice(&bytes).unwrap()
}

/// Revokes the saved token on the server, as an expiry or a logout elsewhere would.
async fn forget_on_the_server(app: &TestApp, cli: &Cli) {
    let token = saved(&cli.config_dir)["token"].as_str().unwrap().to_owned();
    let r = app
        .http
        .delete(app.url("/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

/// The commands a message names after `after`, as argument lists without
/// the leading `redis-hack`.
fn named_commands(message: &str, after: &str) -> Vec<Vec<String>> {
    let (_, commands) = message
        .split_once(after)
        .unwrap_or_else(|| panic!("{after:?} in {message:?}"));
    commands
        .split(" && ")
        .map(|c| {
            let words: Vec<String> = c.split_whitespace().map(str::to_owned).collect();
            assert_eq!(words[0], "redis-hack", "{message}");
            words[1..].to_vec()
        })
        .collect()
}

#[tokio::test]
async fn after_the_server_forgets_a_token_the_named_commands_sign_back_in_keeping_subscriptions() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = cli.sign_in(&app).await;
    cli.json(&["subscribe", "--pincode", "110001"]).await;
    forget_on_the_server(&app, &cli).await;

    let out = cli.run(&["list"]).await;
    let stderr = failure(&out, 1);
    let sentence = assert_one_sentence(&stderr);
    let server = &app.base_url;
    assert_eq!(
        sentence,
        format!(
            "{server} no longer accepts the sign-in of {email} (it expired or was revoked); \
             sign in again with: redis-hack --server {server} register --email {email} \
             && redis-hack --server {server} verify --email {email} --code CODE"
        )
    );
    let json = cli.run(&["list", "--json"]).await;
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "invalid_token", "{doc}");

    // Signing back in comes long after signing in: skip the one-minute wait
    // between codes rather than sleeping through it.
    let mut redis = app.redis().await;
    let _: u32 = redis
        .del(format!(
            "{}rl:email-ip-min:{{{email}}}:127.0.0.1",
            app.prefix
        ))
        .await
        .unwrap();
    let commands = named_commands(sentence, "sign in again with: ");
    let register: Vec<&str> = commands[0].iter().map(String::as_str).collect();
    let sent = cli.run(&register).await;
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let code = app.mail.code_for(&email).await;
    let verify: Vec<String> = commands[1]
        .iter()
        .map(|w| if w == "CODE" { code.clone() } else { w.clone() })
        .collect();
    let verify: Vec<&str> = verify.iter().map(String::as_str).collect();
    let out = cli.run(&verify).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("Signed in as {email}. You are watching:")),
        "{text}"
    );
    assert!(
        !text.contains("replaces"),
        "the same person signing back in replaces nobody: {text}"
    );
    let (listed, _) = cli.json(&["list"]).await;
    assert_eq!(
        listed["subscriptions"].as_array().unwrap().len(),
        2,
        "{listed}"
    );
}

#[tokio::test]
async fn not_signed_in_and_signed_in_elsewhere_name_the_commands_that_sign_in() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let server = &app.base_url;
    let stderr = failure(&cli.run(&["list"]).await, 1);
    assert_eq!(
        assert_one_sentence(&stderr),
        format!(
            "nobody is signed in on this machine; sign in with: \
             redis-hack --server {server} register --email EMAIL \
             && redis-hack --server {server} verify --email EMAIL --code CODE"
        )
    );
    let email = cli.sign_in(&app).await;
    let other = "http://127.0.0.1:9";
    let stderr = failure(&cli.run(&["--server", other, "slots"]).await, 1);
    let sentence = assert_one_sentence(&stderr);
    assert!(
        sentence.starts_with(&format!(
            "you are signed in to {server} as {email}, not to {other}; pass --server {server} to use that sign-in"
        )),
        "{sentence}"
    );
    assert!(
        sentence.ends_with(&format!(
            "sign in here with: redis-hack --server {other} register --email {email} \
             && redis-hack --server {other} verify --email {email} --code CODE"
        )),
        "{sentence}"
    );
    forget_on_the_server(&app, &cli).await;
    let status = String::from_utf8_lossy(&cli.run(&["status"]).await.stdout).into_owned();
    assert!(
        status.contains(&format!(
            "sign in again with: redis-hack --server {server} register --email {email} && "
        )),
        "{status}"
    );
}

#[tokio::test]
async fn a_second_person_verifying_here_is_told_whose_sign_in_they_replace() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let first = cli.sign_in(&app).await;
    let second = unique_email();
    cli.json(&["register", "--email", &second]).await;
    let code = app.mail.code_for(&second).await;
    let out = cli
        .run(&["verify", "--email", &second, "--code", &code])
        .await;
    let text = String::from_utf8_lossy(&out.stdout);
    let server = &app.base_url;
    assert!(
        text.starts_with(&format!(
            "Signed in as {second} (this replaces the sign-in of {first} on {server})."
        )),
        "{text}"
    );
    assert_eq!(saved(&cli.config_dir)["email"], second.as_str());

    let third = unique_email();
    cli.json(&["register", "--email", &third]).await;
    let code = app.mail.code_for(&third).await;
    let (verified, _) = cli
        .json(&["verify", "--email", &third, "--code", &code])
        .await;
    assert_eq!(verified["replaced"]["email"], second.as_str(), "{verified}");
    assert_eq!(
        verified["replaced"]["server"],
        server.as_str(),
        "{verified}"
    );
}

#[tokio::test]
async fn localhost_without_a_scheme_reaches_the_server_with_the_sign_in_of_127_0_0_1() {
    let app = spawn_app().await;
    let port = app.base_url.rsplit(':').next().unwrap();
    let cli = Cli::new(&format!("localhost:{port}"));
    let email = cli.sign_in(&app).await;
    assert_eq!(saved(&cli.config_dir)["server"], app.base_url.as_str());
    let out = cli
        .command(&["list", "--json"])
        .env("REDIS_HACK_SERVER", &app.base_url)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["email"], email.as_str());
    let (status, _) = cli.json(&["status"]).await;
    assert_eq!(status["session"]["token"], "valid", "{status}");
}

#[tokio::test]
async fn without_a_config_dir_the_token_is_saved_in_the_platform_config_directory_for_the_owner_only()
 {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let home = cli.config_dir.with_extension("home");
    let xdg = home.join("xdg");
    // With XDG_CONFIG_HOME, then with only HOME (~/.config).
    for (xdg_config_home, dir) in [
        (Some(&xdg), xdg.join("redis-hack")),
        (None, home.join(".config/redis-hack")),
    ] {
        let email = unique_email();
        let run = |args: &[&str]| {
            let mut command = cli.command(args);
            command
                .env_remove("REDIS_HACK_CONFIG_DIR")
                .env("HOME", &home);
            match xdg_config_home {
                Some(x) => command.env("XDG_CONFIG_HOME", x),
                None => command.env_remove("XDG_CONFIG_HOME"),
            };
            command.output()
        };
        let sent = run(&["register", "--email", &email]).await.unwrap();
        assert!(
            sent.status.success(),
            "{}",
            String::from_utf8_lossy(&sent.stderr)
        );
        let code = app.mail.code_for(&email).await;
        let out = run(&["verify", "--email", &email, "--code", &code])
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let creds = dir.join("credentials.json");
        assert_eq!(saved(&dir)["email"], email.as_str(), "{}", creds.display());
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", creds.display());
        let listed = run(&["list", "--json"]).await.unwrap();
        assert!(
            listed.status.success(),
            "the next run finds the sign-in there"
        );
    }
    std::fs::remove_dir_all(&home).ok();
}

#[tokio::test]
async fn verify_json_and_list_json_give_the_same_subscriptions() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = unique_email();
    cli.json(&["register", "--email", &email, "--district-id", "97"])
        .await;
    let code = app.mail.code_for(&email).await;
    let (mut verified, _) = cli
        .json(&["verify", "--email", &email, "--code", &code])
        .await;
    let (listed, _) = cli.json(&["list"]).await;
    // Only verify's answer says what is open right now (nothing: never polled).
    let open_now = verified["subscriptions"][0]
        .as_object_mut()
        .unwrap()
        .remove("open_now");
    assert_eq!(open_now, Some(serde_json::json!([])));
    assert_eq!(verified["email"], listed["email"]);
    assert_eq!(verified["subscriptions"], listed["subscriptions"]);
    assert_eq!(verified["subscriptions"][0]["target"]["district_id"], 97);
}
