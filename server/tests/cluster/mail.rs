//! An SMTP sink on 127.0.0.1 for the cluster tests: accepts every message,
//! counts it per recipient, and keeps the six-digit code of each
//! verification email, so a test can sign thousands of people up through the
//! API without maildev (whose REST API lists every message at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Seen {
    /// Messages accepted per recipient.
    per_recipient: HashMap<String, usize>,
    /// The newest verification code sent to each recipient.
    codes: HashMap<String, String>,
}

/// A running sink; it stops with the test's runtime.
#[derive(Clone)]
pub struct Sink {
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl Sink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the sink");
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                stream.set_nodelay(true).ok();
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Self { port, seen }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The verification code last sent to `email`, if any.
    pub fn code_for(&self, email: &str) -> Option<String> {
        self.seen.lock().unwrap().codes.get(email).cloned()
    }

    /// Messages accepted per recipient, verification codes included.
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        self.seen.lock().unwrap().per_recipient.clone()
    }

    /// Distinct recipients so far.
    pub fn recipients(&self) -> usize {
        self.seen.lock().unwrap().per_recipient.len()
    }

    /// Waits until `n` distinct recipients got mail or `within` passed.
    pub async fn wait_for_recipients(&self, n: usize, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.recipients() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.recipients() >= n
    }
}

async fn session(stream: TcpStream, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    let (read, write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut write = BufWriter::new(write);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    write.flush().await?;
    let mut line = String::new();
    let mut rcpt: Vec<String> = Vec::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("MAIL") || upper.starts_with("RSET") {
            rcpt.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT") {
            let to = line.split(['<', '>']).nth(1).unwrap_or_default();
            rcpt.push(to.to_ascii_lowercase());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            write.flush().await?;
            let mut code = None;
            loop {
                line.clear();
                if read.read_line(&mut line).await? == 0 {
                    return Ok(()); // cut off mid-message: not accepted
                }
                if line.trim_end_matches(['\r', '\n']) == "." {
                    break;
                }
                code = code.or_else(|| find_code(&line));
            }
            let mut seen = seen.lock().unwrap();
            for to in rcpt.drain(..) {
                if let Some(code) = &code {
                    seen.codes.insert(to.clone(), code.clone());
                }
                *seen.per_recipient.entry(to).or_default() += 1;
            }
            b"250 accepted\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            write.flush().await?;
            return Ok(());
        } else {
            b"250 ok\r\n" // HELO, NOOP, AUTH: the sink only counts
        };
        write.write_all(reply).await?;
        write.flush().await?;
    }
}

/// The six digits after "verification code is " in a line of the code email.
fn find_code(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("verification code is ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 6).then_some(digits)
}
