//! The CLI at a terminal, typed into as a person would (see `pty`): the
//! email prompt, the choice to watch a district or skip, the state and
//! district picker (search, a search that matches nothing, Esc back and
//! Esc to cancel, Ctrl-C), the subscription picker of `unsubscribe`, the
//! spinner on stderr, and Ctrl-C while waiting for the server. Ctrl-C and
//! Esc leave the cursor shown and exit 130.

use crate::cli::Cli;
use crate::helpers::{TestApp, spawn_app, unique_email};
use crate::pty::{BACKSPACE, CTRL_C, DOWN, ENTER, ESC, HIDE_CURSOR, SHOW_CURSOR, Terminal};

const STATES: &str = "State (type to search, Esc cancels)";
const IN_BIHAR: &str = "District in Bihar (type to search, Esc for the states)";
const IN_GOA: &str = "District in Goa (type to search, Esc for the states)";
const CHOICE: &str = "Watch a district now?";

/// Asserts the run ended with `code` and the cursor shown after it was last hidden.
fn assert_ended_with_the_cursor_shown(code: Option<i32>, expected: i32, shown: &str) {
    assert_eq!(code, Some(expected), "{shown:?}");
    let hidden = shown.rfind(HIDE_CURSOR).expect("a picker hid the cursor");
    assert!(
        shown[hidden..].contains(SHOW_CURSOR),
        "the cursor stays hidden at the end: {shown:?}"
    );
}

/// Asserts no code was requested for `email` (the server mails it before answering).
async fn assert_nothing_was_sent(app: &TestApp, email: &str) {
    assert!(app.mail.messages_to(email).await.is_empty(), "{email}");
}

#[tokio::test]
async fn register_at_a_terminal_asks_for_the_email_and_the_district_and_shows_a_spinner_on_stderr()
{
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = unique_email();
    let stdout = cli.config_dir.with_extension("stdout");
    let mut t = Terminal::start_with_stdout(&cli, &["register"], Some(&stdout));
    t.expect("Email address: ").await;
    t.send(&format!("not-an-address{ENTER}")).await;
    t.expect("is not a valid email address").await;
    for _ in 0.."not-an-address".len() {
        t.send(BACKSPACE).await;
    }
    t.send(&format!("{email}{ENTER}")).await;
    t.expect(CHOICE).await;
    t.send(ENTER).await;
    t.expect("Loading states…").await;
    t.expect(&format!("{STATES} |")).await;
    t.type_into(STATES, "Bihar").await;
    t.send(ENTER).await;
    t.expect(&format!("{IN_BIHAR} |")).await;
    t.type_into(IN_BIHAR, "Patna").await;
    t.send(ENTER).await;
    t.expect("Requesting a code…").await;
    let (code, shown) = t.finish().await;
    assert_eq!(code, Some(0), "{shown:?}");

    let printed = std::fs::read_to_string(&stdout).unwrap();
    std::fs::remove_file(&stdout).ok();
    assert!(
        printed.starts_with(&format!("A 6-digit code is on its way to {email}.")),
        "{printed}"
    );
    assert!(
        !printed.contains("Requesting") && !shown.contains("on its way"),
        "the spinner is on stderr and the answer on stdout: {printed:?} {shown:?}"
    );
    let code = app.mail.code_for(&email).await;
    let (verified, _) = cli
        .json(&["verify", "--email", &email, "--code", &code])
        .await;
    let target = &verified["subscriptions"][0]["target"];
    assert_eq!(
        (&target["district_name"], &target["state_name"]),
        (&"Patna".into(), &"Bihar".into()),
        "{verified}"
    );
}

#[tokio::test]
async fn register_at_a_terminal_can_skip_the_district_and_only_sign_in() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = unique_email();
    let mut t = Terminal::start(&cli, &["register", "--email", &email]);
    t.expect(CHOICE).await;
    t.send(DOWN).await;
    t.expect("> Skip").await;
    t.send(ENTER).await;
    t.expect("on its way").await;
    let (code, shown) = t.finish().await;
    assert_eq!(code, Some(0), "{shown:?}");
    let code = app.mail.code_for(&email).await;
    let out = cli
        .run(&["verify", "--email", &email, "--code", &code])
        .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!(
            "Signed in as {email}.\nYou are not watching anything yet"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn ctrl_c_in_a_prompt_or_picker_shows_the_cursor_again_and_exits_130() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    // The district picker, the watch-or-skip choice, and the state picker with --json.
    let cases: [(&[&str], &str); 3] = [
        (&["--state", "Bihar"], IN_BIHAR),
        (&[], CHOICE),
        (&["--state", "Nowhere", "--json"], STATES),
    ];
    for (flags, prompt) in cases {
        let email = unique_email();
        let mut args = vec!["register", "--email", &email];
        args.extend_from_slice(flags);
        let mut t = Terminal::start(&cli, &args);
        t.expect(prompt).await;
        if prompt != CHOICE {
            t.type_into(prompt, "Pa").await;
        }
        t.send(CTRL_C).await;
        let (code, shown) = t.finish().await;
        assert_ended_with_the_cursor_shown(code, 130, &shown);
        assert!(shown.contains("error: interrupted"), "{shown:?}");
        if flags.contains(&"--json") {
            assert!(shown.contains(r#""code": "interrupted""#), "{shown:?}");
        }
        assert_nothing_was_sent(&app, &email).await;
    }
}

#[tokio::test]
async fn esc_in_the_district_picker_goes_back_to_the_states_and_esc_there_cancels() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = unique_email();
    let mut t = Terminal::start(&cli, &["register", "--email", &email, "--state", "Bihar"]);
    t.expect(&format!("{IN_BIHAR} |")).await;
    t.send(ESC).await;
    t.expect(&format!("{STATES} |")).await;
    t.type_into(STATES, "Goa").await;
    t.send(ENTER).await;
    t.expect(&format!("{IN_GOA} |")).await;
    t.send(ESC).await;
    t.expect(&format!("{STATES} |")).await;
    t.send(ESC).await;
    let (code, shown) = t.finish().await;
    assert_ended_with_the_cursor_shown(code, 130, &shown);
    assert!(
        shown.contains("error: cancelled; nothing was sent"),
        "{shown:?}"
    );
    assert_nothing_was_sent(&app, &email).await;
}

#[tokio::test]
async fn a_search_that_matches_nothing_says_so_and_backspace_brings_the_list_back() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = unique_email();
    let mut t = Terminal::start(&cli, &["register", "--email", &email, "--state", "Bihar"]);
    t.expect(&format!("{IN_BIHAR} |")).await;
    t.type_into(IN_BIHAR, "zzq").await;
    t.expect("(nothing matches 'zzq'; Backspace to change it, Esc to go back)")
        .await;
    for left in ["zz", "z", ""] {
        t.send(BACKSPACE).await;
        t.expect(&format!("{IN_BIHAR} {left}|")).await;
    }
    t.type_into(IN_BIHAR, "Patna").await;
    t.send(ENTER).await;
    t.expect("on its way").await;
    let (code, shown) = t.finish().await;
    assert_eq!(code, Some(0), "{shown:?}");
    assert!(
        !shown.contains(&format!("{IN_BIHAR} Patna|  (nothing")),
        "a search that matches has no hint: {shown:?}"
    );
}

#[tokio::test]
async fn unsubscribe_without_an_id_at_a_terminal_offers_your_subscriptions() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    cli.sign_in(&app).await;
    let (sub, _) = cli.json(&["subscribe", "--pincode", "110001"]).await;
    let id = sub["id"].as_str().unwrap().to_owned();

    let prompt = "Stop watching (type to search, Esc cancels)";
    let mut t = Terminal::start(&cli, &["unsubscribe"]);
    t.expect(&format!("{prompt} |")).await;
    t.expect(&format!("{id}  pincode 110001")).await;
    t.type_into(prompt, "110001").await;
    t.send(ENTER).await;
    t.expect(&format!("Stopped watching {id}.")).await;
    let (code, shown) = t.finish().await;
    assert_eq!(code, Some(0), "{shown:?}");
    let (listed, _) = cli.json(&["list"]).await;
    let ids: Vec<&str> = listed["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&id.as_str()) && ids.len() == 1, "{listed}");
}

#[tokio::test]
async fn ctrl_c_while_waiting_for_the_server_ends_at_once_with_130() {
    // A server that takes the connection and never answers (the CLI would wait 30 s).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cli = Cli::new(&format!("http://{}", silent.local_addr().unwrap()));
    let email = unique_email();
    let mut t = Terminal::start(
        &cli,
        &["register", "--email", &email, "--district-id", "97"],
    );
    t.expect("Requesting a code…").await;
    t.send(CTRL_C).await;
    let (code, shown) = t.finish().await;
    assert_eq!(code, Some(130), "{shown:?}");
    assert!(shown.contains("error: interrupted"), "{shown:?}");
    drop(silent);
}
