//! `redis-hack man` prints a roff page that groff (the `groff-base` package,
//! what `man` itself formats with) renders without warnings into a NAME line,
//! the subcommands and each flag's help; `--out-dir` writes one page per
//! subcommand, each rendering with its own NAME line.

use crate::{redis_hack, run, scratch_dir};
use std::io::Write;
use std::process::{Command, Stdio};

const SUBCOMMANDS: [&str; 12] = [
    "register",
    "verify",
    "subscribe",
    "list",
    "unsubscribe",
    "slots",
    "logout",
    "status",
    "rearm",
    "watch",
    "completions",
    "man",
];

/// What `man` would show for `roff`, as plain text on one long line per
/// paragraph (no hyphenation, no bold or underline), and groff's warnings.
fn render(roff: &[u8]) -> (String, String) {
    let mut groff = Command::new("groff")
        .args(["-man", "-Tascii", "-ww", "-P-cbou", "-rLL=300n", "-rHY=0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run groff (Debian package groff-base)");
    groff
        .stdin
        .take()
        .expect("groff's stdin")
        .write_all(roff)
        .expect("feed groff");
    let out = groff.wait_with_output().expect("groff finishes");
    assert!(out.status.success(), "groff failed");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_man_page_renders_with_its_name_line_every_subcommand_and_the_flags_help() {
    let out = redis_hack().arg("man").output().expect("run redis-hack");
    assert!(out.status.success());
    let (page, warnings) = render(&out.stdout);
    assert_eq!(warnings, "", "groff warns about the page");
    assert!(
        page.contains("NAME\n       redis-hack - Get an email when a vaccination slot opens"),
        "{page}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("redis-hack-{sub}(1)")),
            "{sub}: {page}"
        );
    }
    assert!(
        page.contains("--server <SERVER>") && page.contains("The redis-hack server to talk to"),
        "{page}"
    );
    assert!(
        page.contains(env!("CARGO_PKG_VERSION")),
        "the page names the version: {page}"
    );
}

#[test]
fn man_out_dir_writes_one_page_per_subcommand_each_with_its_name_line() {
    let dir = scratch_dir("man").join("man1");
    let (code, stdout, stderr) = run(redis_hack().args(["man", "--out-dir"]).arg(&dir));
    assert_eq!(code, Some(0), "{stderr}");
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .expect("the directory was created")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = SUBCOMMANDS
        .iter()
        .map(|s| format!("redis-hack-{s}.1"))
        .chain(["redis-hack.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    assert_eq!(stdout.lines().count(), expected.len(), "one line per page");

    let subscribe = std::fs::read(dir.join("redis-hack-subscribe.1")).unwrap();
    let (page, warnings) = render(&subscribe);
    assert_eq!(warnings, "");
    assert!(
        page.contains("redis-hack-subscribe - Watch a district"),
        "{page}"
    );
    assert!(
        page.contains("--min-capacity") && page.contains("Alert only when at least"),
        "{page}"
    );
    std::fs::remove_dir_all(dir.parent().unwrap()).ok();
}
