//! Our own pool of plain-SMTP connections, used for `smtp://host:port` without
//! TLS or credentials (a relay on the same network, the usual setup at volume).
//!
//! Why not lettre's pool: lettre writes a message's body and the closing
//! `\r\n.\r\n` in two writes on a socket with Nagle's algorithm on, so the
//! small second write waits for the server's delayed ACK (40 ms on Linux)
//! before it leaves: every message costs 40 ms, whatever the pool size. This
//! pool opens its sockets with `TCP_NODELAY`, and reuses a connection without
//! the NOOP lettre sends before each reuse. A reused connection the server has
//! closed is replaced once, and only when it failed before the server answered
//! (a server that has answered is never sent the same message again).

use super::MailError;
use lettre::Message;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::timeout;

/// Idle connections older than this are closed rather than reused (servers
/// drop idle clients after a few minutes; Postfix after 300 s).
const MAX_IDLE: Duration = Duration::from_secs(30);

pub struct SmtpPool {
    host: String,
    port: u16,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
}

impl SmtpPool {
    pub fn new(host: String, port: u16, size: usize, timeout: Duration) -> Self {
        Self {
            host,
            port,
            hello: ClientId::default(),
            timeout,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(size),
        }
    }

    /// Sends `message` on a pooled connection (at most `size` at once).
    pub async fn send(&self, message: &Message) -> Result<(), MailError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the pool's semaphore is never closed");
        let body = message.formatted();
        let envelope = message.envelope();
        if let Some(mut conn) = self.take_idle() {
            match timeout(self.timeout, conn.send(envelope, &body)).await {
                Ok(Ok(_)) => {
                    self.put_back(conn);
                    return Ok(());
                }
                // The server answered with a reply code (it refused the
                // message): a new connection would not help.
                Ok(Err(e)) if e.status().is_some() => return Err(e.into()),
                // No reply (the connection died while idle, or closed
                // mid-reply): try once on a fresh one.
                Ok(Err(_)) => conn.abort().await,
                Err(_) => return Err(MailError::TimedOut),
            }
        }
        let mut conn = match timeout(self.timeout, self.connect()).await {
            Ok(conn) => conn?,
            Err(_) => return Err(MailError::TimedOut),
        };
        match timeout(self.timeout, conn.send(envelope, &body)).await {
            Ok(Ok(_)) => {
                self.put_back(conn);
                Ok(())
            }
            Ok(Err(e)) => {
                conn.abort().await;
                Err(e.into())
            }
            Err(_) => Err(MailError::TimedOut),
        }
    }

    /// A new connection that has read the server's greeting and sent EHLO.
    pub(super) async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(MailError::Connect)?;
        stream.set_nodelay(true).ok();
        Ok(AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?)
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE && !conn.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        if !conn.has_broken() {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.push((conn, Instant::now()));
        }
    }
}
