//! Why a message could not be built or sent, and the two things done to a
//! send error before anyone sees it: a permanent refusal of the address is
//! told apart from the other 5xx replies (`classified`), and the recipient is
//! masked wherever the server's reply repeated it (`masking`).

use redis_hack_shared::EmailAddress;

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
    pub(super) fn classified(self) -> Self {
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
    pub(super) fn masking(self, to: &EmailAddress) -> Self {
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
