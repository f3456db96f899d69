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

mod error;
mod pool;

pub use error::MailError;

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
