//! `spawn_app()` and what tests need around it: unique key prefixes and
//! addresses per test, a mailbox reader over maildev's REST API, and direct
//! Redis access for checking what is stored.

use redis_hack_server::app::Roles;
use redis_hack_server::store::{Client, Conn, Store};
use redis_hack_server::{Application, Settings};
use redis_hack_shared::{Channels, EmailAddress, Filters, Subscription, SubscriptionId, Target};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const HOW_TO: &str = "run the tests with `bash scripts/test.sh`, which starts Redis with RedisJSON and an SMTP server";

pub fn env_or_explain(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {HOW_TO}"))
}

/// A random lower-case address nobody else in the run uses.
pub fn unique_email() -> String {
    format!("user-{}@example.com", hex(8))
}

pub fn hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// A running server with its own key prefix, and the simulator it talks to.
pub struct TestApp {
    pub base_url: String,
    pub prefix: String,
    pub http: reqwest::Client,
    pub sim: cowin_sim::Simulator,
    pub mail: Mailbox,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Spawns the server with extra environment-style settings (e.g. limits).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_with_roles(extra, Roles::API).await
}

/// The API and the delivery workers (email and webhook), but no poller:
/// tests that publish openings and watch them arrive.
pub const API_AND_WORKERS: Roles = Roles {
    api: true,
    poller: false,
    worker: true,
};

/// Spawns the server with extra settings, running `roles`.
pub async fn spawn_app_with_roles(extra: &[(&str, &str)], roles: Roles) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the simulator");
    let sim = cowin_sim::Simulator::start(listener).await;
    // No hash tag: the store tags each key itself (REDIS_KEY_PREFIX may hold none).
    let prefix = format!("test:{}:", hex(6));
    let mut vars: HashMap<String, String> = HashMap::from([
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("REDIS_URL".into(), env_or_explain("TEST_REDIS_URL")),
        ("REDIS_KEY_PREFIX".into(), prefix.clone()),
        ("SMTP_URL".into(), env_or_explain("TEST_SMTP_URL")),
        (
            "MAIL_FROM".into(),
            "redis-hack tests <tests@redis-hack.test>".into(),
        ),
        ("COWIN_API_URL".into(), sim.base_url()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    let settings = Settings::from_vars(|k| vars.get(k).cloned()).expect("test settings are valid");
    let app = Application::build(settings, roles)
        .await
        .unwrap_or_else(|e| panic!("the server did not start: {e:#}; {HOW_TO}"));
    let base_url = format!("http://{}", app.local_addr().expect("the API role listens"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        rx.await.ok();
    }));
    TestApp {
        base_url,
        prefix,
        http: reqwest::Client::new(),
        sim,
        mail: Mailbox::new(),
        _shutdown: tx,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    pub async fn register(&self, email: &str) -> reqwest::Response {
        self.post(
            "/v1/register",
            &json!({"email": email, "state": "Bihar", "district": "Patna"}),
        )
        .await
    }

    /// Registers and returns the code from the email that arrived.
    pub async fn requested_code(&self, email: &str) -> String {
        assert_eq!(self.register(email).await.status(), 202);
        self.mail.code_for(email).await
    }

    /// Registers, reads the code from the mail and verifies; returns the token.
    pub async fn signed_up(&self, email: &str) -> String {
        let code = self.requested_code(email).await;
        let r = self
            .post("/v1/verify", &json!({"email": email, "code": code}))
            .await;
        assert_eq!(
            r.status(),
            200,
            "verify failed: {}",
            r.text().await.unwrap_or_default()
        );
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    /// A raw connection to the test Redis (a single server or a cluster), for
    /// tests that look at keys; they build names from `prefix` and each key's
    /// hash tag (ARCHITECTURE.md, "Redis key layout"), the same in both.
    pub async fn redis(&self) -> Conn {
        Client::open(&env_or_explain("TEST_REDIS_URL"))
            .expect("TEST_REDIS_URL")
            .connect()
            .await
            .expect("connect to the test Redis")
    }
}

/// Asserts the shared error body and returns its code and message.
pub async fn error_of(r: reqwest::Response, status: u16) -> (String, String) {
    assert_eq!(r.status().as_u16(), status, "unexpected status");
    let body: Value = r.json().await.expect("error responses are JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    let message = body["error"]["message"]
        .as_str()
        .expect("error.message")
        .to_owned();
    (code, message)
}

/// Reads messages that the SMTP server (maildev) received, over its REST API.
pub struct Mailbox {
    api: String,
    http: reqwest::Client,
}

impl Mailbox {
    fn new() -> Self {
        Self {
            api: env_or_explain("TEST_MAILDEV_URL"),
            http: reqwest::Client::new(),
        }
    }

    /// Every message sent to `to`, oldest first.
    pub async fn messages_to(&self, to: &str) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/api/email", self.api.trim_end_matches('/')))
            .send()
            .await;
        let r = r.unwrap_or_else(|e| {
            panic!(
                "cannot read mail from maildev at {}: {e}; {HOW_TO}",
                self.api
            )
        });
        let all: Vec<Value> = r.json().await.expect("maildev lists JSON");
        all.into_iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|to_list| to_list.iter().any(|a| a["address"] == to))
            })
            .collect()
    }

    /// Waits (up to 10 s) until `count` messages to `to` have arrived.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Value> {
        for _ in 0..100 {
            let msgs = self.messages_to(to).await;
            if msgs.len() >= count {
                return msgs;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {count} message(s) to {to} within 10 s");
    }

    /// The raw message (headers and body) as the SMTP server received it.
    pub async fn source(&self, message: &Value) -> String {
        let id = message["id"]
            .as_str()
            .expect("maildev gives each message an id");
        let url = format!("{}/api/email/{id}/source", self.api.trim_end_matches('/'));
        let r = self.http.get(url).send().await.expect("maildev answers");
        r.text().await.expect("the message source")
    }

    /// A header of a raw message, unfolded; `None` when absent.
    pub fn header(source: &str, name: &str) -> Option<String> {
        let head = source.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The code in the newest message to `to`.
    pub async fn code_for(&self, to: &str) -> String {
        let msgs = self.wait_for(to, 1).await;
        code_in(msgs.last().unwrap())
    }
}

/// The six-digit code in a message's plain-text part.
pub fn code_in(message: &Value) -> String {
    let text = message["text"].as_str().expect("a plain-text part");
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no 6-digit code in: {text}"))
        .to_owned()
}

/// A verified user (`email`) with one email subscription to `target`, made
/// straight in the store: for tests that need many subscribers, where signing
/// each up over HTTP would test the rate limits instead. Returns the uid.
pub async fn subscriber(store: &Store, email: &str, target: Target) -> String {
    let email = EmailAddress::parse(email).unwrap();
    let uid = store.ensure_user(&email).await.unwrap();
    let sub = Subscription::new(
        SubscriptionId::parse(&format!("s{}", hex(4))).unwrap(),
        target,
        Filters::default(),
        Channels::default(),
        redis_hack_shared::Timestamp::now(),
    );
    store.add_subscription(&uid, &sub, None).await.unwrap();
    uid.to_string()
}

/// A district target; the names do not matter to the poller.
pub fn district(district_id: u32) -> Target {
    Target::District {
        district_id: district_id.into(),
        district_name: "D".into(),
        state_name: "S".into(),
    }
}
