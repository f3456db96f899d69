//! An SMTP sink for fault tests: a real SMTP server on 127.0.0.1 (tokio, one
//! task per connection) that accepts every message and records its
//! recipients. `stop` closes the listener and every open connection, so the
//! port refuses connections like a crashed mail server; `resume` listens on
//! the same port again. `start_slow` answers each message only after a delay,
//! like a slow relay, so tests can catch deliveries in flight. `refuse`
//! makes it answer `550` to RCPT for an address, like a mailbox that does
//! not exist; `answer_rcpt` and `answer_data` set any reply to RCPT or to
//! the end of DATA (a 4xx, a 554 spam refusal); `refused` lists those attempts.
//! `code_for` is the code of the last verification email to an address, so
//! the cluster tests sign thousands up without maildev. Both test binaries
//! include this file (`tests/cluster/main.rs` with `#[path]`); neither uses
//! all of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct SmtpSink {
    addr: SocketAddr,
    received: Arc<Mutex<Received>>,
    /// `true` while the sink is up; connections and the listener end when it turns false.
    up: watch::Sender<bool>,
    /// How long each message waits, after its final dot, for its `250`.
    delay: Duration,
    /// Messages sent in full and not answered yet.
    waiting: Arc<Mutex<usize>>,
    refusals: Refusals,
}

/// What the sink accepted.
#[derive(Default)]
struct Received {
    /// Messages accepted per recipient.
    per_recipient: HashMap<String, usize>,
    /// The newest verification code sent to each recipient.
    codes: HashMap<String, String>,
}

/// Replies other than 250 per address, to RCPT and to the end of DATA,
/// and every attempt so answered.
#[derive(Clone, Default)]
struct Refusals {
    rcpt: Arc<Mutex<HashMap<String, String>>>,
    data: Arc<Mutex<HashMap<String, String>>>,
    refused: Arc<Mutex<Vec<String>>>,
}

impl Refusals {
    /// The reply for `to` at a stage, recording the attempt when there is one.
    fn reply(&self, stage: &Mutex<HashMap<String, String>>, to: &[String]) -> Option<String> {
        let stage = stage.lock().unwrap();
        let (to, reply) = to.iter().find_map(|t| Some((t, stage.get(t)?)))?;
        self.refused.lock().unwrap().push(to.clone());
        Some(format!("{}\r\n", reply.replace("{to}", to)))
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_slow(Duration::ZERO).await
    }

    /// A sink that accepts each message `delay` after its last line.
    pub async fn start_slow(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, _) = watch::channel(true);
        let sink = Self {
            addr,
            received: Arc::default(),
            up,
            delay,
            waiting: Arc::default(),
            refusals: Refusals::default(),
        };
        sink.serve(listener);
        sink
    }

    /// From now on, answers `550 5.1.1` to RCPT for `address`.
    pub fn refuse(&self, address: &str) {
        self.answer_rcpt(address, "550 5.1.1 <{to}>: mailbox unavailable");
    }

    /// From now on, answers `reply` (`{to}` stands for the address) to RCPT for `address`.
    pub fn answer_rcpt(&self, address: &str, reply: &str) {
        let mut rcpt = self.refusals.rcpt.lock().unwrap();
        rcpt.insert(address.to_ascii_lowercase(), reply.to_owned());
    }

    /// From now on, accepts RCPT for `address` but answers `reply` to the end of its DATA.
    pub fn answer_data(&self, address: &str, reply: &str) {
        let address = address.to_ascii_lowercase();
        self.refusals.rcpt.lock().unwrap().remove(&address);
        let mut data = self.refusals.data.lock().unwrap();
        data.insert(address, reply.to_owned());
    }

    /// The RCPTs refused so far, one entry per attempt.
    pub fn refused(&self) -> Vec<String> {
        self.refusals.refused.lock().unwrap().clone()
    }

    /// Messages the sink has in full but has not answered yet.
    pub fn in_flight(&self) -> usize {
        *self.waiting.lock().unwrap()
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Accepted messages so far, a message to two recipients counted twice.
    pub fn count(&self) -> usize {
        self.received.lock().unwrap().per_recipient.values().sum()
    }

    /// Messages accepted per recipient.
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        self.received.lock().unwrap().per_recipient.clone()
    }

    /// Distinct recipients so far.
    pub fn recipients(&self) -> usize {
        self.received.lock().unwrap().per_recipient.len()
    }

    /// The verification code last sent to `email`, if any.
    pub fn code_for(&self, email: &str) -> Option<String> {
        self.received.lock().unwrap().codes.get(email).cloned()
    }

    /// Refuses connections from now on, and drops the open ones.
    pub async fn stop(&self) {
        self.up.send_replace(false);
        // Let the accept loop and the connections see it.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    pub async fn resume(&self) {
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.up.send_replace(true);
        self.serve(listener);
    }

    /// Waits until `n` messages arrived; panics saying how many did.
    pub async fn wait_for_count(&self, n: usize, within: Duration) {
        let got = wait(within, || self.count() >= n).await;
        assert!(
            got,
            "expected {n} messages within {within:?}, got {}",
            self.count()
        );
    }

    /// Waits until `n` distinct recipients got mail or `within` passed; whether they did.
    pub async fn wait_for_recipients(&self, n: usize, within: Duration) -> bool {
        wait(within, || self.recipients() >= n).await
    }

    fn serve(&self, listener: TcpListener) {
        let (received, up_tx) = (self.received.clone(), self.up.clone());
        let slow = Slow {
            delay: self.delay,
            waiting: self.waiting.clone(),
            refusals: self.refusals.clone(),
        };
        let mut up = up_tx.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        stream.set_nodelay(true).ok();
                        let (received, mut up) = (received.clone(), up_tx.subscribe());
                        let slow = slow.clone();
                        tokio::spawn(async move {
                            tokio::select! {
                                _ = session(stream, received, slow) => {}
                                _ = up.wait_for(|up| !up) => {}
                            }
                        });
                    }
                    _ = up.wait_for(|up| !up) => return, // drops the listener
                }
            }
        });
    }
}

/// Whether `done` holds within `within` (looked at every 50 ms).
async fn wait(within: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while !done() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[derive(Clone)]
struct Slow {
    delay: Duration,
    waiting: Arc<Mutex<usize>>,
    refusals: Refusals,
}

/// One SMTP conversation; records each message's recipients when it accepts it.
async fn session(
    stream: TcpStream,
    received: Arc<Mutex<Received>>,
    slow: Slow,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM") || upper.starts_with("RSET") {
            rcpts.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO") {
            let to = line.split(['<', '>']).nth(1).unwrap_or_default();
            let to = to.to_ascii_lowercase();
            let refusal = slow
                .refusals
                .reply(&slow.refusals.rcpt, std::slice::from_ref(&to));
            if let Some(reply) = refusal {
                write.write_all(reply.as_bytes()).await?;
                continue;
            }
            rcpts.push(to);
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut code = None;
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(()); // cut off mid-message: not accepted
                }
                if line.trim_end_matches(['\r', '\n']) == "." {
                    break;
                }
                code = code.or_else(|| find_code(&line));
            }
            if !slow.delay.is_zero() {
                *slow.waiting.lock().unwrap() += 1;
                tokio::time::sleep(slow.delay).await;
                *slow.waiting.lock().unwrap() -= 1;
            }
            if let Some(reply) = slow.refusals.reply(&slow.refusals.data, &rcpts) {
                rcpts.clear();
                write.write_all(reply.as_bytes()).await?;
                continue;
            }
            let mut received = received.lock().unwrap();
            for to in rcpts.drain(..) {
                if let Some(code) = &code {
                    received.codes.insert(to.clone(), code.clone());
                }
                *received.per_recipient.entry(to).or_default() += 1;
            }
            b"250 accepted\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"500 unknown command\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// The six digits after "verification code is " in a line of the code email.
fn find_code(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("verification code is ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 6).then_some(digits)
}
