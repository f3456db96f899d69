//! Stamps the binary with the commit it was built from, for `--version` and
//! the man pages: `REDIS_HACK_BUILD` ("abc123def456 2026-12-01", 12 hex
//! digits and the commit date) and `REDIS_HACK_COMMIT_DATE` (the date alone,
//! or empty). A build without git or `.git` (a source tarball, a Docker
//! context) says "unknown commit" instead of failing; `REDIS_HACK_BUILD_COMMIT`
//! and `REDIS_HACK_BUILD_DATE` override what git says.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=REDIS_HACK_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=REDIS_HACK_BUILD_DATE");
    println!("cargo:rerun-if-env-changed=GIT_DIR");
    watch_head();
    let (commit, date) = match overridden("REDIS_HACK_BUILD_COMMIT") {
        // Git's date would be of whatever HEAD is here, not of that commit.
        Some(commit) => (Some(commit), overridden("REDIS_HACK_BUILD_DATE")),
        None => (
            git(&["rev-parse", "--short=12", "HEAD"]),
            overridden("REDIS_HACK_BUILD_DATE")
                .or_else(|| git(&["log", "-1", "--format=%cs", "HEAD"])),
        ),
    };
    let build = match (&commit, &date) {
        (Some(commit), Some(date)) => format!("{commit} {date}"),
        (Some(commit), None) => commit.clone(),
        (None, _) => "unknown commit".into(),
    };
    println!("cargo:rustc-env=REDIS_HACK_BUILD={build}");
    println!(
        "cargo:rustc-env=REDIS_HACK_COMMIT_DATE={}",
        date.unwrap_or_default()
    );
}

fn overridden(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The trimmed stdout of a successful git command, or `None`.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Rebuilds when HEAD moves: a checkout rewrites HEAD, a commit rewrites the
/// branch's ref (loose, or in packed-refs). Only existing files are named,
/// because cargo reruns the script on every build for a missing one.
fn watch_head() {
    let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) else {
        return;
    };
    let mut watched = vec![absolute(&head)];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(loose) = git(&["rev-parse", "--git-path", &branch])
    {
        watched.push(absolute(&loose));
    }
    if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
        watched.push(absolute(&packed));
    }
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// git prints paths relative to the working directory, which for a build
/// script is the package's directory.
fn absolute(path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        return path.to_owned();
    }
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
    dir.join(path)
}
