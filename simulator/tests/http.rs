//! The simulator as its users meet it: the library's `Simulator` on port 0 and
//! the `cowin-sim` binary, both spoken to over real TCP. A hand-written
//! HTTP/1.1 request keeps an HTTP client crate out of the dependencies.

use cowin_sim::Simulator;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }
}

/// GET `url` (`http://HOST:PORT/path`) with `extra` header lines, on a
/// `Connection: close` request so the reply ends where the stream does.
async fn get(url: &str, extra: &[(&str, &str)]) -> Reply {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host)
        .await
        .expect("connect to the simulator");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in extra {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    let read = stream.read_to_string(&mut raw);
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the simulator answered within 10 s")
        .unwrap();
    parse(&raw)
}

fn parse(raw: &str) -> Reply {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("a complete HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

async fn start() -> Simulator {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    Simulator::start(listener).await
}

#[tokio::test]
async fn a_simulator_on_port_zero_serves_states_at_its_base_url() {
    let sim = start().await;
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    assert!(sim.base_url().ends_with("/api/v2"));
    let reply = get(&format!("{}/admin/location/states", sim.base_url()), &[]).await;
    assert_eq!(reply.status, 200);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["states"].as_array().unwrap().len(), 37);
    assert!(reply.header("etag").is_some_and(|t| t.starts_with('"')));
    assert!(reply.header("last-modified").is_some());
}

#[tokio::test]
async fn every_request_is_counted_including_304s() {
    let sim = start().await;
    assert_eq!(sim.request_count(), 0);
    let url = format!("{}/admin/location/districts/5", sim.base_url());
    let first = get(&url, &[]).await;
    let etag = first.header("etag").unwrap().to_owned();
    let second = get(&url, &[("If-None-Match", &etag)]).await;
    assert_eq!(second.status, 304);
    assert!(second.body.is_empty());
    assert_eq!(sim.request_count(), 2);
}

#[tokio::test]
async fn two_simulators_count_their_requests_separately() {
    let (a, b) = (start().await, start().await);
    get(&format!("{}/admin/location/states", a.base_url()), &[]).await;
    assert_eq!((a.request_count(), b.request_count()), (1, 0));
}

/// Kills the child even when an assertion fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_on_sim_bind_addr_and_logs_its_base_url() {
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_cowin-sim"))
            .env("SIM_BIND_ADDR", "127.0.0.1:0")
            .env("LOG", "info")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start cowin-sim"),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    // Hand the reader back too: dropping it would close the pipe and make the
    // simulator's next log line fail with a broken pipe.
    let found = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
            if let Some(at) = line.find("http://") {
                let url: String = line[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || ":/._".contains(*c))
                    .collect();
                return (url, stdout);
            }
            line.clear();
        }
        panic!("cowin-sim exited without logging its base URL");
    });
    let (base_url, _stdout) = tokio::time::timeout(Duration::from_secs(30), found)
        .await
        .expect("cowin-sim started within 30 s")
        .unwrap();
    let reply = get(&format!("{base_url}/admin/location/districts/abc"), &[]).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("USRRES0001"));
}

#[test]
fn the_binary_names_sim_bind_addr_when_it_cannot_listen() {
    let out = Command::new(env!("CARGO_BIN_EXE_cowin-sim"))
        .env("SIM_BIND_ADDR", "not-an-address")
        .output()
        .expect("run cowin-sim");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: SIM_BIND_ADDR"), "stderr: {stderr}");
}

/// The pincode the README's "A session" subscribes to (`subscribe --pincode N`).
fn readme_pincode() -> String {
    let readme = include_str!("../../README.md");
    let session = readme
        .split("## A session")
        .nth(1)
        .expect("the README has a section \"## A session\"");
    let at = session
        .find("subscribe --pincode ")
        .expect("the README's session subscribes to a pincode")
        + "subscribe --pincode ".len();
    let pin: String = session[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(pin.len(), 6, "a 6-digit pincode after --pincode: {pin}");
    pin
}

/// POST a JSON `body` to `url` and return the reply.
async fn post(url: &str, body: &str) -> Reply {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    let read = stream.read_to_string(&mut raw);
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the simulator answered within 10 s")
        .unwrap();
    parse(&raw)
}

#[tokio::test]
async fn the_readmes_pincode_is_a_patna_centre_whose_opening_calendar_by_pin_shows() {
    let pin = readme_pincode();
    let sim = start().await;
    let by_pin = format!(
        "{}/appointment/sessions/public/calendarByPin?pincode={pin}&date={}",
        sim.base_url(),
        cowin_sim::today()
    );
    // Asked first, before anything touched Patna: the pincode alone finds it.
    let closed: serde_json::Value = serde_json::from_str(&get(&by_pin, &[]).await.body).unwrap();
    let centres = closed["centers"].as_array().unwrap();
    assert_eq!(centres.len(), 1, "one centre has pincode {pin}: {closed}");
    assert_eq!(centres[0]["district_name"], "Patna");
    assert_eq!(centres[0]["pincode"].to_string(), pin);
    assert_eq!(centres[0]["sessions"].as_array().unwrap().len(), 7);

    // What SIM_AUTO_OPEN opens first in the dev stack: Patna's first session.
    let opened = post(
        &format!("{}/control/open", sim.root_url()),
        r#"{"district_id": 97, "dose1": 5}"#,
    )
    .await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    let opened: serde_json::Value = serde_json::from_str(&opened.body).unwrap();
    assert_eq!(opened["center"], centres[0]["name"]);

    let open: serde_json::Value = serde_json::from_str(&get(&by_pin, &[]).await.body).unwrap();
    let session = &open["centers"][0]["sessions"][0];
    assert_eq!(session["session_id"], opened["session"]["session_id"]);
    assert_eq!(session["available_capacity_dose1"], 5);
    // The README's filters: 18+, free, dose 1.
    assert_eq!(session["min_age_limit"], 18);
    assert_eq!(open["centers"][0]["fee_type"], "Free");
}
