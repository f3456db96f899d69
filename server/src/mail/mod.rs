//! The mailer: the only module that imports lettre. It builds the one-time
//! code email, sends any plain-text + HTML message over SMTP (with the
//! recipient masked in the errors it returns, which get logged), and checks
//! that the server answers, for readiness.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
pub use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use redis_hack_shared::{EmailAddress, OTP_TTL_SECS};
use std::time::Duration;

/// Why a message could not be built or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP_URL is not usable: {0}")]
    Config(String),
    #[error("MAIL_FROM is not a valid mailbox: {0}")]
    From(String),
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the SMTP server did not accept the message: {0}")]
    Send(#[from] lettre::transport::smtp::Error),
    #[error("cannot reach the SMTP server: {0}")]
    Connect(#[source] std::io::Error),
    #[error("the SMTP server did not answer in time")]
    TimedOut,
    #[error("the SMTP server closed the connection")]
    Closed,
    /// A send error whose text repeated the recipient, with the address masked.
    #[error("{0}")]
    Masked(String),
    /// A permanent refusal (a 5xx reply to RCPT or DATA): the server's
    /// reply, e.g. `550 5.1.1 <an***@example.com>: mailbox unavailable`.
    /// Sending the same message again cannot help.
    #[error("the SMTP server refused the message for good: {0}")]
    Refused(String),
}

impl MailError {
    /// The server's reply when it refused the message for good (5xx).
    pub fn refusal(&self) -> Option<&str> {
        match self {
            Self::Refused(reply) => Some(reply),
            _ => None,
        }
    }

    /// A permanent SMTP reply about the message or its recipient as
    /// [`MailError::Refused`], keeping the reply as the server wrote it
    /// (`550 5.1.1 ...`); anything else unchanged. A 5xx that is about our
    /// session rather than the address (a command the server did not take,
    /// authentication, "no mail service here") stays a send error, retried
    /// and dead-lettered: suspending every address for our own misconfigured
    /// credentials would be wrong.
    fn classified(self) -> Self {
        match self {
            Self::Send(e) if e.is_permanent() => {
                let text = e.to_string();
                // lettre writes `permanent error (550): 5.1.1 ...`.
                let reply = text
                    .strip_prefix("permanent error (")
                    .map_or(text.clone(), |rest| rest.replacen("): ", " ", 1));
                match reply.get(..3).and_then(|c| c.parse::<u16>().ok()) {
                    Some(500..=504 | 521 | 530 | 534 | 535 | 538) => Self::Send(e),
                    _ => Self::Refused(reply.trim_end().to_owned()),
                }
            }
            other => other,
        }
    }

    /// The error with `to` masked wherever the server's reply repeated it
    /// (Postfix: `550 5.1.1 <a@b.in>: Recipient address rejected`), so it can
    /// be logged, dead-lettered or stored as a suspension's reason.
    fn masking(self, to: &EmailAddress) -> Self {
        match self {
            Self::Refused(reply) => Self::Refused(mask(&reply, to)),
            other => {
                let text = other.to_string();
                let masked = mask(&text, to);
                match masked == text {
                    true => other,
                    false => Self::Masked(masked),
                }
            }
        }
    }
}

/// `text` with every occurrence of `to` (any case) masked.
fn mask(text: &str, to: &EmailAddress) -> String {
    // ASCII lower-casing keeps byte offsets, so positions in `lower` index `text`.
    let (lower, needle) = (text.to_ascii_lowercase(), to.as_str().to_ascii_lowercase());
    let (mut masked, mut from) = (String::new(), 0);
    for (at, _) in lower.match_indices(&needle) {
        masked.push_str(&text[from..at]);
        masked.push_str(&to.masked());
        from = at + needle.len();
    }
    masked.push_str(&text[from..]);
    masked
}

mod pool;

use pool::SmtpPool;
use std::sync::Arc;

/// Sends the project's emails over pooled SMTP connections.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

#[derive(Clone)]
enum Transport {
    /// TLS or credentials: lettre's own transport and pool.
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
    /// Plain `smtp://host:port`: our pool with TCP_NODELAY (see `pool`).
    Plain(Arc<SmtpPool>),
}

/// The RFC 8058 one-click unsubscribe headers of one alert email.
pub struct ListUnsubscribe {
    /// The https (or, in development, http) link that unsubscribes on POST.
    pub url: String,
    /// The address a mail client may write to instead.
    pub mailto: String,
}

/// Where a message sits in a thread (ids without angle brackets): its
/// own Message-ID and, for a reply, the one it answers (In-Reply-To and
/// References).
pub struct Thread {
    pub message_id: String,
    pub in_reply_to: Option<String>,
}

impl Mailer {
    /// A mailer for `smtp_url` sending as `from`, with at most `pool_size` connections.
    pub fn connect(
        smtp_url: &str,
        credentials: Option<Credentials>,
        from: &str,
        pool_size: u32,
    ) -> Result<Self, MailError> {
        let timeout = Duration::from_secs(10);
        let from = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::From(e.to_string()))?;
        let url = url::Url::parse(smtp_url).map_err(|e| MailError::Config(e.to_string()))?;
        let plain = url.scheme() == "smtp"
            && url.query().is_none()
            && url.username().is_empty()
            && credentials.is_none();
        if plain && let Some(host) = url.host_str() {
            let pool = SmtpPool::new(
                host.trim_matches(['[', ']']).to_owned(),
                url.port().unwrap_or(25),
                pool_size as usize,
                timeout,
            );
            return Ok(Self {
                transport: Transport::Plain(Arc::new(pool)),
                from,
            });
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(pool_size));
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        Ok(Self {
            transport: Transport::Lettre(builder.build()),
            from,
        })
    }

    /// Emails the one-time code that confirms `to` owns the address.
    pub async fn send_code(
        &self,
        to: &EmailAddress,
        code: &str,
        public_url: &str,
    ) -> Result<(), MailError> {
        let minutes = OTP_TTL_SECS / 60;
        let text = format!(
            "Your redis-hack verification code is {code}\n\n\
             Enter it with:\n  redis-hack verify --email {to} --code {code}\n\n\
             It expires in {minutes} minutes and works once. If you did not ask for it, ignore this email: \
             nothing happens without the code.\n\n-- redis-hack, {public_url}\n"
        );
        let html = format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\">\
             <p>Your redis-hack verification code is</p>\
             <p style=\"font-size:28px;letter-spacing:4px\"><strong>{code}</strong></p>\
             <p>Enter it with <code>redis-hack verify --email {to} --code {code}</code>.</p>\
             <p>It expires in {minutes} minutes and works once. If you did not ask for it, ignore this email.</p>\
             </body></html>"
        );
        self.send(
            to,
            "Your redis-hack code to confirm your email address",
            text,
            html,
        )
        .await
    }

    /// Connects to the SMTP server and waits for its greeting and its answer
    /// to EHLO (readiness checks; the caller bounds the wait). Sends nothing.
    pub async fn check(&self) -> Result<(), MailError> {
        match &self.transport {
            Transport::Lettre(t) => match t.test_connection().await? {
                true => Ok(()),
                false => Err(MailError::Closed),
            },
            Transport::Plain(pool) => {
                let mut conn = pool.connect().await?;
                conn.quit().await.ok();
                Ok(())
            }
        }
    }

    /// The address in `MAIL_FROM`, for `mailto:` links.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Sends one message with a plain-text and an HTML part.
    pub async fn send(
        &self,
        to: &EmailAddress,
        subject: &str,
        text: String,
        html: String,
    ) -> Result<(), MailError> {
        self.send_alert(to, subject, text, html, None).await
    }

    /// The domain of `MAIL_FROM`, for Message-IDs.
    pub fn domain(&self) -> String {
        self.from.email.domain().to_owned()
    }

    /// Like `send`, with `List-Unsubscribe` and `List-Unsubscribe-Post` headers.
    pub async fn send_alert(
        &self,
        to: &EmailAddress,
        subject: &str,
        text: String,
        html: String,
        unsubscribe: Option<&ListUnsubscribe>,
    ) -> Result<(), MailError> {
        self.send_in_thread(to, subject, (text, html), unsubscribe, None)
            .await
    }

    /// Like `send_alert`, with the Message-ID and the reply headers of `thread`.
    pub async fn send_in_thread(
        &self,
        to: &EmailAddress,
        subject: &str,
        (text, html): (String, String),
        unsubscribe: Option<&ListUnsubscribe>,
        thread: Option<&Thread>,
    ) -> Result<(), MailError> {
        let recipient: Mailbox =
            to.as_str()
                .parse()
                .map_err(|e: lettre::address::AddressError| {
                    MailError::Config(format!("recipient: {e}"))
                })?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(subject);
        if let Some(t) = thread {
            builder = builder.message_id(Some(format!("<{}>", t.message_id)));
            if let Some(parent) = &t.in_reply_to {
                builder = builder
                    .in_reply_to(format!("<{parent}>"))
                    .references(format!("<{parent}>"));
            }
        }
        if let Some(u) = unsubscribe {
            let token = u.url.rsplit('/').next().unwrap_or_default();
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!(
                        "<{}>, <mailto:{}?subject=unsubscribe%20{token}>",
                        u.url, u.mailto
                    ),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder.multipart(MultiPart::alternative_plain_html(text, html))?;
        let sent = match &self.transport {
            Transport::Lettre(t) => t.send(message).await.map(|_| ()).map_err(MailError::from),
            Transport::Plain(pool) => pool.send(&message).await,
        };
        sent.map_err(|e| e.classified().masking(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_that_repeats_the_recipient_masks_it() {
        let to = EmailAddress::parse("ananya@example.com").unwrap();
        let refused = MailError::Config("550 5.1.1 <Ananya@Example.com>: no such user".into());
        assert_eq!(
            refused.masking(&to).to_string(),
            "SMTP_URL is not usable: 550 5.1.1 <an***@example.com>: no such user"
        );
        let other = MailError::Config("421 try later".into()).masking(&to);
        assert!(matches!(other, MailError::Config(_)), "left as it was");
    }
}
