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
