//! Ctrl-C on every path: a picker or prompt (dialoguer reads keys in raw
//! mode and raises SIGINT itself when it reads Ctrl-C, with the cursor
//! hidden), a spinner, a request. SIGINT is caught on a runtime worker
//! thread, so it is handled even while the main thread is blocked in a
//! prompt; the terminal gets its cursor back and the process exits 130.

use crate::failure::Failure;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the failure owes a JSON document on stdout.
static JSON: AtomicBool = AtomicBool::new(false);
/// Held by whichever thread ends the process first; the other waits for the end.
static LEAVING: Mutex<()> = Mutex::new(());

/// Catches SIGINT from now on; call inside the runtime, before any prompt.
pub fn watch(json: bool) -> std::io::Result<()> {
    JSON.store(json, Ordering::Relaxed);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Registered here, synchronously, so no prompt can start before it.
        let mut interrupts = signal(SignalKind::interrupt())?;
        tokio::spawn(async move {
            if interrupts.recv().await.is_some() {
                leave(Failure::interrupted());
            }
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            leave(Failure::interrupted());
        }
    });
    Ok(())
}

/// For a command whose stdout is a stream of JSON lines (`watch --json`):
/// Ctrl-C then says why on stderr only, so stdout stays one object per line.
pub fn no_json_document() {
    JSON.store(false, Ordering::Relaxed);
}

/// Gives the terminal back (cursor shown, on a line of its own), reports
/// `failure` and exits with its code. Both a prompt that read Ctrl-C and the
/// signal watcher call this; only the first gets past the lock.
pub fn leave(failure: Failure) -> ! {
    let _first = LEAVING.lock();
    restore_terminal();
    let code = failure.exit as i32;
    failure.report(JSON.load(Ordering::Relaxed));
    std::process::exit(code);
}

/// Shows the cursor that a picker or prompt hid, and ends the line it drew.
pub fn restore_terminal() {
    let term = dialoguer::console::Term::stderr();
    if term.is_term() {
        let _ = term.show_cursor();
        let _ = term.write_line("");
    }
}
