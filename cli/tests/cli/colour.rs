//! Colour only for a person at a terminal (https://no-color.org): clap's
//! help and usage errors and our own `error:` prefix are coloured on a real
//! pseudo-terminal (made by `script` from util-linux), not when `NO_COLOR` is
//! set, and never when the output is piped, even with `CLICOLOR_FORCE`.
//! (A spinner on a terminal still moves the cursor; that is not colour.)

use crate::{redis_hack, run};
use std::process::Command;

const ESC: char = '\x1b';

/// `redis-hack ARGS` on a pseudo-terminal (stdin, stdout and stderr all on
/// it), with `env` set; returns what the terminal showed.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let bin = env!("CARGO_BIN_EXE_redis-hack");
    let template = redis_hack();
    let mut script = Command::new("script");
    script
        .args(["--quiet", "--return", "--command"])
        .arg(format!("'{bin}' {args}"))
        .arg("/dev/null")
        .env("TERM", "xterm-256color");
    for (key, value) in template.get_envs() {
        match value {
            Some(v) => script.env(key, v),
            None => script.env_remove(key),
        };
    }
    for (key, value) in env {
        script.env(key, value);
    }
    let (code, stdout, stderr) = run(&mut script);
    assert!(
        code.is_some(),
        "script (util-linux) did not finish: {stderr}"
    );
    stdout
}

/// The colour and style sequences (SGR, `ESC [ ... m`) in `text`.
fn styles(text: &str) -> Vec<&str> {
    text.match_indices(&format!("{ESC}["))
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            let end = rest.find(|c: char| !c.is_ascii_digit() && c != ';')?;
            (rest[end..].starts_with('m')).then(|| &text[at..at + 2 + end + 1])
        })
        .collect()
}

#[test]
fn help_and_errors_are_coloured_on_a_terminal() {
    let help = on_a_terminal("--help", &[]);
    assert!(
        help.contains(&format!("{ESC}[1m{ESC}[4mUsage:")),
        "help on a terminal is styled: {help:?}"
    );
    let error = on_a_terminal("list", &[]);
    assert!(
        error.contains(&format!("{ESC}[1;31merror:{ESC}[0m nobody is signed in")),
        "our error prefix is red: {error:?}"
    );
    let status = on_a_terminal("status", &[]);
    assert!(
        status.contains(&format!("{ESC}[31mnot reachable{ESC}[0m")),
        "bad news is red: {status:?}"
    );
    let usage = on_a_terminal("list --no-such-flag", &[]);
    assert!(
        !styles(&usage).is_empty(),
        "clap's usage error is styled: {usage:?}"
    );
}

#[test]
fn no_color_turns_colour_off_on_a_terminal() {
    for args in ["--help", "list", "list --no-such-flag", "status"] {
        let shown = on_a_terminal(args, &[("NO_COLOR", "1")]);
        assert!(
            shown.contains("Usage:") || shown.contains("error:") || shown.contains("Server:"),
            "{args}: {shown:?}"
        );
        assert_eq!(styles(&shown), Vec::<&str>::new(), "{args}: {shown:?}");
    }
}

#[test]
fn piped_output_has_no_escape_codes_even_when_colour_is_forced() {
    for args in [
        &["--help"][..],
        &["list"],
        &["list", "--no-such-flag"],
        &["status"],
    ] {
        let (_, stdout, stderr) = run(redis_hack().args(args).env("CLICOLOR_FORCE", "1"));
        assert!(
            !stdout.contains(ESC) && !stderr.contains(ESC),
            "{args:?} piped: {stdout:?} {stderr:?}"
        );
        assert!(
            !(stdout.is_empty() && stderr.is_empty()),
            "{args:?} said something"
        );
    }
}
