//! Colour, by one rule (https://no-color.org): only on a stream that is a
//! terminal, never when `NO_COLOR` is set to anything non-empty, never on a
//! `TERM=dumb` terminal. `CLICOLOR_FORCE` is deliberately not honoured: piped
//! output carries no escape codes. Everything that can colour follows it:
//! clap's help and errors (printed here), dialoguer's prompts and indicatif's
//! spinners (through the `console` switches set by [`init`]), and our own
//! `error:` prefixes and table headers.

use std::io::IsTerminal;

/// Which stream a piece of text is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Whether text written to `stream` may be coloured.
pub fn enabled(stream: Stream) -> bool {
    let terminal = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    allowed(
        terminal,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// The rule itself, apart from the environment.
fn allowed(
    terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

/// Applies the rule to the `console` crate, which dialoguer and indicatif
/// draw with (it would otherwise also obey `CLICOLOR_FORCE`).
pub fn init() {
    use dialoguer::console;
    console::set_colors_enabled(enabled(Stream::Stdout));
    console::set_colors_enabled_stderr(enabled(Stream::Stderr));
}

const RESET: &str = "\x1b[0m";

fn paint(stream: Stream, sgr: &str, text: &str) -> String {
    if enabled(stream) {
        format!("\x1b[{sgr}m{text}{RESET}")
    } else {
        text.to_owned()
    }
}

/// `error:` in bold red, for stderr.
pub fn error_prefix() -> String {
    paint(Stream::Stderr, "1;31", "error:")
}

/// `warning:` in bold yellow, for stderr.
pub fn warning_prefix() -> String {
    paint(Stream::Stderr, "1;33", "warning:")
}

/// A table header or label in bold, for stdout.
pub fn bold(text: &str) -> String {
    paint(Stream::Stdout, "1", text)
}

/// Good news in green, for stdout.
pub fn good(text: &str) -> String {
    paint(Stream::Stdout, "32", text)
}

/// Bad news in red, for stdout.
pub fn bad(text: &str) -> String {
    paint(Stream::Stdout, "31", text)
}

/// Prints a clap error or help/version text to the stream clap chose, in
/// colour only where the rule allows, and returns clap's exit code. An
/// error's first paragraph is put on one line, so it reads as one sentence
/// like every other error (the usage and the tip follow as clap wrote them).
pub fn print_clap(e: &clap::Error) -> i32 {
    use std::io::Write;
    let stream = if e.use_stderr() {
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    let styled = e.render();
    let mut text = if enabled(stream) {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    if e.use_stderr() {
        text = first_paragraph_on_one_line(&text);
    }
    // A closed pipe (`redis-hack --help | head -1`) is not an error.
    let _ = match stream {
        Stream::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
        Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
    };
    e.exit_code()
}

/// `text` with the lines of its first paragraph joined by single spaces.
pub fn first_paragraph_on_one_line(text: &str) -> String {
    let join = |p: &str| {
        p.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match text.split_once("\n\n") {
        Some((head, tail)) => format!("{}\n\n{tail}", join(head)),
        None => format!("{}\n", join(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::{allowed, first_paragraph_on_one_line};

    #[test]
    fn a_clap_error_reads_as_one_line_before_its_usage() {
        let clap = "error: invalid value 'tcsh' for '<SHELL>'\n  [possible values: bash, zsh]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            first_paragraph_on_one_line(clap),
            "error: invalid value 'tcsh' for '<SHELL>' [possible values: bash, zsh]\n\nFor more information, try '--help'.\n"
        );
    }
    use std::ffi::OsStr;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        let xterm = Some(OsStr::new("xterm-256color"));
        assert!(allowed(true, None, xterm));
        assert!(allowed(true, Some(OsStr::new("")), xterm), "empty is unset");
        assert!(!allowed(true, Some(OsStr::new("1")), xterm));
        assert!(!allowed(true, Some(OsStr::new("0")), xterm), "any value");
        assert!(!allowed(false, None, xterm), "never when piped");
        assert!(!allowed(true, None, Some(OsStr::new("dumb"))));
        assert!(allowed(true, None, None));
    }
}
