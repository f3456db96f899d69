//! A counting SMTP sink: speaks just enough SMTP over TCP for lettre (EHLO,
//! AUTH, MAIL, RCPT, DATA, RSET, NOOP, QUIT), accepts every message and counts it,
//! per recipient too, so a benchmark can tell the last email from a duplicate.
//! It keeps nothing else, so it is not the bottleneck it measures.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counts {
    accepted: AtomicU64,
    per_recipient: Mutex<HashMap<String, u32>>,
    last_at: std::sync::atomic::AtomicU64,
    /// Keep the one-time codes of verification emails (for the verify workload).
    capture: std::sync::atomic::AtomicBool,
    codes: Mutex<Vec<(String, String)>>,
}

/// A running sink; it stops with the runtime.
#[derive(Clone)]
pub struct Sink {
    port: u16,
    counts: Arc<Counts>,
}

impl Sink {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let counts = Arc::new(Counts::default());
        let shared = counts.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                stream.set_nodelay(true).ok();
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Ok(Self { port, counts })
    }

    /// The `SMTP_URL` to give the server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn accepted(&self) -> u64 {
        self.counts.accepted.load(Ordering::Relaxed)
    }

    /// Distinct recipients that got at least one message.
    pub fn recipients(&self) -> usize {
        self.counts.per_recipient.lock().unwrap().len()
    }

    /// When the last message was accepted (ms since the epoch; 0: none yet).
    pub fn last_at_ms(&self) -> u64 {
        self.counts.last_at.load(Ordering::Relaxed)
    }

    /// From now on, keep the code of every verification email.
    pub fn capture_codes(&self) {
        self.counts.capture.store(true, Ordering::Relaxed);
    }

    /// The (email, code) pairs captured since the last call.
    pub fn take_codes(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.counts.codes.lock().unwrap())
    }

    pub fn reset(&self) {
        self.counts.accepted.store(0, Ordering::Relaxed);
        self.counts.per_recipient.lock().unwrap().clear();
        self.counts.last_at.store(0, Ordering::Relaxed);
    }

    /// Waits until `n` distinct recipients got mail or `within` passed; returns whether they did.
    pub async fn wait_for_recipients(&self, n: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.recipients() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

async fn session(stream: TcpStream, counts: Arc<Counts>) -> std::io::Result<()> {
    let (read, write) = stream.into_split();
    let mut read = BufReader::with_capacity(64 * 1024, read);
    let mut write = BufWriter::new(write);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    write.flush().await?;
    let mut line = Vec::with_capacity(1024);
    let mut rcpt: Vec<String> = Vec::new();
    let mut code: Option<String> = None;
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb = line
            .get(..4)
            .map(|v| v.to_ascii_uppercase())
            .unwrap_or_default();
        match verb.as_slice() {
            b"EHLO" => {
                write
                    .write_all(b"250-sink\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8\r\n")
                    .await?
            }
            // Any credentials will do: the sink only counts.
            b"AUTH" => write.write_all(b"235 ok\r\n").await?,
            b"HELO" | b"MAIL" | b"RSET" | b"NOOP" => {
                if verb == b"RSET" || verb == b"MAIL" {
                    rcpt.clear();
                }
                write.write_all(b"250 ok\r\n").await?
            }
            b"RCPT" => {
                let text = String::from_utf8_lossy(&line);
                let addr = text
                    .split_once('<')
                    .and_then(|(_, rest)| rest.split_once('>'))
                    .map(|(a, _)| a.to_ascii_lowercase())
                    .unwrap_or_default();
                rcpt.push(addr);
                write.write_all(b"250 ok\r\n").await?
            }
            b"DATA" => {
                write.write_all(b"354 go on\r\n").await?;
                write.flush().await?;
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    if code.is_none() && counts.capture.load(Ordering::Relaxed) {
                        code = find_code(&line);
                    }
                }
                if let (Some(code), Some(to)) = (code.take(), rcpt.first()) {
                    counts.codes.lock().unwrap().push((to.clone(), code));
                }
                accept(&counts, &mut rcpt);
                write.write_all(b"250 accepted\r\n").await?
            }
            b"QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                write.flush().await?;
                return Ok(());
            }
            _ => write.write_all(b"502 not here\r\n").await?,
        }
        // Flush only when the client has nothing more in flight (PIPELINING-safe).
        if read.buffer().is_empty() {
            write.flush().await?;
        }
    }
}

fn accept(counts: &Counts, rcpt: &mut Vec<String>) {
    let mut per = counts.per_recipient.lock().unwrap();
    for r in rcpt.drain(..) {
        *per.entry(r).or_default() += 1;
    }
    drop(per);
    counts.accepted.fetch_add(1, Ordering::Relaxed);
    counts
        .last_at
        .fetch_max(redis_hack_server::store::now_ms(), Ordering::Relaxed);
}

/// The six digits after "verification code is " in a line of the code email.
fn find_code(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let (_, rest) = text.split_once("verification code is ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 6).then_some(digits)
}
