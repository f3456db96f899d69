//! What the real `redis-hack` prints, read by a newcomer: `list` and `slots`
//! say how long ago in one format (`42s ago`), and a subscription without
//! filters says what that means instead of "any".

use crate::cli::Cli;
use crate::helpers::unique_email;
use crate::poller::rig;

/// Each `N` of `Ns ago` in `text`; panics on `N s ago` (a space before the unit).
fn ages(text: &str) -> Vec<u64> {
    assert!(!text.contains(" s ago"), "one format: {text}");
    text.match_indices("s ago")
        .filter_map(|(at, _)| {
            let digits: String = text[..at]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.chars().rev().collect::<String>().parse().ok()
        })
        .collect()
}

#[tokio::test]
async fn list_and_slots_say_how_long_ago_alike_and_name_what_no_filters_mean() {
    let rig = rig().await;
    let cli = Cli::new(&rig.app.base_url);
    let email = unique_email();
    cli.json(&["register", "--email", &email, "--district-id", "97"])
        .await;
    let code = rig.app.mail.code_for(&email).await;
    cli.json(&["verify", "--email", &email, "--code", &code])
        .await;
    rig.fake.set_sessions(97, &[("s-open", 4, 1)]);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    rig.poller.poll_once(now_ms - 42_000).await.unwrap();

    let slots = String::from_utf8_lossy(&cli.run(&["slots"]).await.stdout).into_owned();
    let list = String::from_utf8_lossy(&cli.run(&["list"]).await.stdout).into_owned();
    assert!(slots.contains("checked 4"), "{slots}");
    for text in [&slots, &list] {
        let ages = ages(text);
        assert!(
            !ages.is_empty() && ages.iter().all(|s| (42..100).contains(s)),
            "{ages:?} in {text}"
        );
    }
    assert!(list.contains("all ages, doses and vaccines"), "{list}");
    assert!(!list.contains("  any  "), "{list}");
}
