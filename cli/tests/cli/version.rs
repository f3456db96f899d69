//! `redis-hack --version` names the release and the commit it was built
//! from, as `git` in this repository sees it.

use crate::{redis_hack, run};

#[test]
fn version_names_the_release_and_the_commit_it_was_built_from() {
    let git = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run git (the tests run inside the repository)");
    assert!(git.status.success(), "git rev-parse failed");
    let head = String::from_utf8(git.stdout).unwrap().trim().to_owned();
    assert_eq!(head.len(), 12);
    for flag in ["--version", "-V"] {
        let (code, stdout, _) = run(redis_hack().arg(flag));
        assert_eq!(code, Some(0));
        let expected = format!("redis-hack {} ({head}", env!("CARGO_PKG_VERSION"));
        assert!(
            stdout.starts_with(&expected),
            "{flag} says {stdout:?}, expected it to start with {expected:?}"
        );
    }
}
