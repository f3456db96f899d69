//! Every error the server answers reads as one sentence through the real
//! `redis-hack`: the rate limit says its wait once, wrong codes count down
//! to "1 try left", unknown names name their suggestions once.

use crate::cli::Cli;
use crate::cli_errors::{assert_one_sentence, stderr_of};
use crate::helpers::{TestApp, spawn_app, unique_email};

#[tokio::test]
async fn every_error_the_server_answers_reads_as_one_sentence() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = unique_email();
    cli.json(&["register", "--email", &email]).await;
    // A second code within the minute: 429 with Retry-After.
    let out = cli.run(&["register", "--email", &email]).await;
    let stderr = stderr_of(&out, 1, &["register"]);
    let sentence = assert_one_sentence(&stderr);
    assert_eq!(sentence.matches("try again in").count(), 1, "{sentence}");
    assert!(
        sentence.starts_with("too many requests; try again in "),
        "{sentence}"
    );

    // Wrong codes count down to the last try, in words that agree.
    let mut said = Vec::new();
    for _ in 0..5 {
        let out = cli
            .run(&[
                "verify",
                "--email",
                &email,
                "--code",
                &wrong_code(&app, &email).await,
            ])
            .await;
        said.push(assert_one_sentence(&stderr_of(&out, 1, &["verify"])).to_owned());
    }
    assert_eq!(said[0], "the code is wrong; 5 tries left");
    assert_eq!(said[4], "the code is wrong; 1 try left");

    for (args, says) in [
        (
            &[
                "register",
                "--email",
                "x@example.com",
                "--state",
                "Bihr",
                "--district",
                "Patna",
            ][..],
            "Bihar",
        ),
        (
            &[
                "register",
                "--email",
                "x@example.com",
                "--district-id",
                "99999",
            ],
            "99999",
        ),
        (
            &[
                "register",
                "--email",
                "x@example.com",
                "--state",
                "Bihar",
                "--district",
                "Patan",
            ],
            "Patna",
        ),
    ] {
        let out = cli.run(args).await;
        let sentence = assert_one_sentence(&stderr_of(&out, 1, args)).to_owned();
        assert!(sentence.contains(says), "{sentence}");
        assert!(
            sentence.matches(says).count() == 1,
            "suggestions are named once: {sentence}"
        );
    }
}

/// A code that is not the one mailed to `email`.
async fn wrong_code(app: &TestApp, email: &str) -> String {
    let right = app.mail.code_for(email).await;
    let n: u32 = right.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}
