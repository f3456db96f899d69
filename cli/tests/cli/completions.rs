//! `redis-hack completions SHELL` prints a script the shell accepts: bash
//! loads it and registers a completion for `redis-hack`; the others name the
//! program and its subcommands; an unknown shell is a usage error naming the
//! accepted ones.

use crate::redis_hack;
use std::process::Command;

fn completions(shell: &str) -> std::process::Output {
    redis_hack()
        .args(["completions", shell])
        .output()
        .expect("run redis-hack")
}

#[test]
fn the_bash_script_loads_and_completes_redis_hack() {
    let out = completions("bash");
    assert!(out.status.success());
    let dir = std::env::temp_dir().join(format!("rh-completions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("redis-hack.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p redis-hack",
            script.display()
        ))
        .output()
        .expect("run bash");
    let said = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        loaded.status.success() && said.contains("redis-hack"),
        "bash did not register the completion: {said} {}",
        String::from_utf8_lossy(&loaded.stderr)
    );
}

#[test]
fn zsh_fish_and_powershell_scripts_name_the_subcommands() {
    for shell in ["zsh", "fish", "powershell"] {
        let out = completions(shell);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        for word in ["redis-hack", "subscribe", "unsubscribe", "verify"] {
            assert!(text.contains(word), "{shell} script lacks {word}");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error_naming_the_choices() {
    let out = completions("tcsh");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
}
