//! How the real `redis-hack` fails, as the README's table says: usage errors
//! exit 2, every other failure 1; each prints one sentence on stderr and,
//! with `--json`, one `{"error":{"code","message"}}` document on stdout
//! (the server's code for the server's errors, the CLI's own otherwise).

use crate::cli::Cli;
use crate::helpers::{spawn_app, unique_email};
use serde_json::Value;
use std::process::Output;

/// Asserts `stderr` is one line, `error: ` and one sentence: no clause
/// said twice, no second sentence. Only clap's own usage errors go on, after
/// a blank line, with the usage and where to read more.
pub(crate) fn assert_one_sentence(stderr: &str) -> &str {
    let (line, rest) = stderr.split_once('\n').unwrap_or((stderr, ""));
    assert!(
        rest.is_empty() || (rest.starts_with('\n') && rest.contains("try '--help'")),
        "one line: {stderr:?}"
    );
    let sentence = line
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("starts with 'error: ': {stderr:?}"));
    let clauses: Vec<&str> = sentence.split("; ").collect();
    for (i, clause) in clauses.iter().enumerate() {
        assert!(!clauses[..i].contains(clause), "said twice: {sentence:?}");
    }
    let two = sentence
        .match_indices(". ")
        .any(|(at, _)| sentence[at + 2..].starts_with(|c: char| c.is_uppercase()));
    assert!(
        !two && !sentence.ends_with('.'),
        "one sentence: {sentence:?}"
    );
    sentence
}

/// Runs `args` as text and as `--json`: both exit `code`; the JSON error on
/// stdout has `json_code` and the sentence printed on stderr.
async fn assert_fails(cli: &Cli, args: &[&str], code: i32, json_code: &str, says: &str) {
    let out = cli.run(args).await;
    let stderr = stderr_of(&out, code, args);
    let sentence = assert_one_sentence(&stderr);
    assert!(sentence.contains(says), "{args:?}: {sentence:?}");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = cli.run(&json_args).await;
    let stderr = stderr_of(&out, code, &json_args);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{json_args:?}: stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(doc["error"]["code"], json_code, "{json_args:?}: {doc}");
    assert_eq!(
        doc["error"]["message"].as_str(),
        Some(assert_one_sentence(&stderr)),
        "{json_args:?}: the JSON error says what stderr says"
    );
}

pub(crate) fn stderr_of(out: &Output, code: i32, args: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    stderr
}

#[tokio::test]
async fn every_failure_exits_with_the_code_of_its_kind_and_gives_a_json_error_with_json() {
    let app = spawn_app().await;
    let fresh = Cli::new(&app.base_url);
    let signed = Cli::new(&app.base_url);
    signed.sign_in(&app).await;
    let e = unique_email();
    let e = e.as_str();
    let usage: &[(&Cli, &[&str], &str)] = &[
        (&fresh, &["list", "--no-such-flag"], "unexpected argument"),
        (
            &fresh,
            &["register"],
            "--email is required when not running in a terminal",
        ),
        (
            &fresh,
            &["register", "--email", "nope"],
            "'nope' is not a valid email address",
        ),
        (
            &fresh,
            &["register", "--email", e, "--state", "Bihar"],
            "--district is required with --state",
        ),
        (
            &fresh,
            &["register", "--email", e, "--district", "Patna"],
            "--state",
        ),
        (
            &fresh,
            &[
                "register",
                "--email",
                e,
                "--district-id",
                "97",
                "--state",
                "Bihar",
            ],
            "cannot be used with",
        ),
        (
            &fresh,
            &["verify", "--email", e],
            "--code is required when not running in a terminal",
        ),
        (
            &fresh,
            &["verify", "--email", e, "--code", "12ab"],
            "6 digits",
        ),
        (
            &fresh,
            &["subscribe"],
            "--pincode or --topic is required when not running in a terminal",
        ),
        (
            &signed,
            &["subscribe"],
            "--pincode or --topic is required when not running in a terminal",
        ),
        (
            &signed,
            &["subscribe", "--topic", "cs101", "--no-email"],
            "--webhook",
        ),
        (
            &signed,
            &["subscribe", "--pincode", "110001", "--topic", "cs101"],
            "cannot be used with",
        ),
        (
            &signed,
            &["subscribe", "--pincode", "110001", "--age", "30"],
            "age must be 18 or 45, not 30",
        ),
        (
            &signed,
            &["unsubscribe"],
            "a subscription ID is required when not running in a terminal",
        ),
        (
            &fresh,
            &["--server", "ftp://example.com", "list"],
            "http:// or https://",
        ),
        (
            &fresh,
            &["completions", "tcsh"],
            "invalid value 'tcsh' for '<SHELL>' [possible values: bash",
        ),
    ];
    for (cli, args, says) in usage {
        assert_fails(cli, args, 2, "usage", says).await;
    }

    let unreachable = Cli::new("http://127.0.0.1:9");
    let failures: &[(&Cli, &[&str], &str, &str)] = &[
        (
            &fresh,
            &["list"],
            "not_signed_in",
            "nobody is signed in on this machine",
        ),
        (
            &unreachable,
            &["register", "--email", e],
            "unreachable",
            "cannot reach the server at http://127.0.0.1:9",
        ),
        (
            &fresh,
            &[
                "register",
                "--email",
                e,
                "--state",
                "Bihr",
                "--district",
                "Patna",
            ],
            "unknown_state",
            "Bihar",
        ),
        (
            &fresh,
            &["verify", "--email", e, "--code", "000000"],
            "invalid_code",
            "no valid code",
        ),
        (
            &signed,
            &["unsubscribe", "s00000000"],
            "not_found",
            "s00000000",
        ),
        (
            &signed,
            &["subscribe", "--state", "Bihar", "--district", "Patna"],
            "duplicate_subscription",
            "you already watch Patna",
        ),
        (
            &signed,
            &["--server", "http://127.0.0.1:9", "list"],
            "signed_in_elsewhere",
            "you are signed in to",
        ),
    ];
    for (cli, args, code, says) in failures {
        assert_fails(cli, args, 1, code, says).await;
    }

    let out = fresh.run(&["logout"]).await;
    assert_eq!(out.status.code(), Some(0), "logging out twice is fine");
}
