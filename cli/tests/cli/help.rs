//! `--help` as a newcomer reads it: the server variable is named, but its
//! value (whatever this shell holds) is not printed, empty or not.

use crate::{redis_hack, run};

#[test]
fn the_help_names_the_server_variable_without_printing_its_value() {
    for value in ["", "https://alerts.example.com"] {
        let (code, stdout, _) = run(redis_hack().arg("--help").env("REDIS_HACK_SERVER", value));
        assert_eq!(code, Some(0));
        assert!(stdout.contains("[env: REDIS_HACK_SERVER]"), "{stdout}");
        assert!(!stdout.contains("REDIS_HACK_SERVER="), "{stdout}");
        assert!(value.is_empty() || !stdout.contains(value), "{stdout}");
    }
}
