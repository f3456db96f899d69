//! How a failed command ends: one sentence on stderr, with `--json` also one
//! `{"error":{"code","message"}}` document on stdout, and an exit code that
//! says what kind of failure it was.
//!
//! Exit codes: 0 success; 1 the command ran but failed (the server refused,
//! could not be reached, nobody is signed in, a local file could not be
//! used); 2 the command line is wrong (clap's errors, a flag missing when no
//! terminal can ask for it, flags that do not go together); 130 Ctrl-C, or
//! Esc in a picker.
//!
//! Errors the server answered keep the server's `code`. The CLI's own codes
//! are the constants below; the README lists them.

use crate::client::ClientError;
use redis_hack_shared::ErrorBody;
use std::fmt;
use std::process::ExitCode;

/// Something is wrong with the command line (exit 2).
pub const USAGE: &str = "usage";
/// Nobody is signed in on this machine.
pub const NOT_SIGNED_IN: &str = "not_signed_in";
/// The saved sign-in belongs to another server.
pub const SIGNED_IN_ELSEWHERE: &str = "signed_in_elsewhere";
/// The server could not be reached (refused, timed out, DNS, TLS).
pub const UNREACHABLE: &str = "unreachable";
/// The server answered, but not as a redis-hack server does.
pub const UNEXPECTED_ANSWER: &str = "unexpected_answer";
/// Esc in a picker (exit 130).
pub const CANCELLED: &str = "cancelled";
/// Ctrl-C (exit 130).
pub const INTERRUPTED: &str = "interrupted";
/// Anything else on this machine: the config directory, the terminal.
pub const LOCAL_ERROR: &str = "local_error";

/// The kinds of failure, by exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Failure = 1,
    Usage = 2,
    Interrupted = 130,
}

/// A failure as the user sees it.
#[derive(Debug)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub suggestions: Vec<String>,
    pub exit: Exit,
    /// The `--json` document was already printed (`status` puts the error in its report).
    pub reported: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// A failure with one of the CLI's own codes, exiting 1.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            suggestions: Vec::new(),
            exit: Exit::Failure,
            reported: false,
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            ..Self::new(USAGE, message)
        }
    }

    /// Esc in a picker (exit 130).
    pub fn cancelled() -> Self {
        Self {
            exit: Exit::Interrupted,
            ..Self::new(CANCELLED, "cancelled; nothing was sent")
        }
    }

    /// Ctrl-C (exit 130).
    pub fn interrupted() -> Self {
        Self {
            exit: Exit::Interrupted,
            ..Self::new(INTERRUPTED, "interrupted")
        }
    }

    /// What any error stands for: its own code when it has one, else the
    /// server's, else a local error.
    pub fn of(e: anyhow::Error) -> Self {
        let e = match e.downcast::<Self>() {
            Ok(failure) => return failure,
            Err(e) => e,
        };
        let Some(client) = e.downcast_ref::<ClientError>() else {
            return Self::new(LOCAL_ERROR, format!("{e:#}"));
        };
        // `{e:#}` keeps any context a command added around the client's error.
        let message = format!("{e:#}");
        match client {
            ClientError::Api { body, .. } => Self {
                suggestions: body.error.suggestions.clone(),
                ..Self::new(&body.error.code, message)
            },
            ClientError::Unreachable { .. } => Self::new(UNREACHABLE, message),
            ClientError::Unexpected { .. } => Self::new(UNEXPECTED_ANSWER, message),
        }
    }

    /// Prints the failure (the sentence on stderr; with `json` also the
    /// document on stdout) and returns the exit code.
    pub fn report(self, json: bool) -> ExitCode {
        if json && !self.reported {
            let mut body = ErrorBody::new(&self.code, &self.message);
            body.error.suggestions = self.suggestions;
            // `json` never fails for this type; a closed stdout ends quietly.
            let _ = crate::output::json(&body);
        }
        eprintln!("{} {}", crate::style::error_prefix(), self.message);
        ExitCode::from(self.exit as u8)
    }
}

/// Whether `--json` is among the raw arguments, for errors found before
/// clap could say (a usage error still owes a JSON document).
pub fn json_requested(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// A clap error as one sentence: its first paragraph on one line, without
/// the `error: ` prefix.
pub fn clap_sentence(e: &clap::Error) -> String {
    let text = crate::style::first_paragraph_on_one_line(&e.render().to_string());
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_failures_keep_their_code_and_exit() {
        let f = Failure::of(Failure::usage("--email is required").into());
        assert_eq!((f.code.as_str(), f.exit), (USAGE, Exit::Usage));
        let f = Failure::of(anyhow::anyhow!("disk full"));
        assert_eq!((f.code.as_str(), f.exit), (LOCAL_ERROR, Exit::Failure));
        assert_eq!(Failure::cancelled().exit as u8, 130);
    }

    #[test]
    fn json_is_found_before_a_double_dash_only() {
        let args = |a: &[&str]| {
            a.iter()
                .map(|s| s.into())
                .collect::<Vec<std::ffi::OsString>>()
        };
        assert!(json_requested(args(&["rh", "list", "--json"])));
        assert!(!json_requested(args(&["rh", "list", "--", "--json"])));
        assert!(!json_requested(args(&["rh", "list"])));
    }
}
