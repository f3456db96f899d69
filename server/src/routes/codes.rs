//! The check of a one-time code at `POST /v1/verify`: each attempt is
//! counted per client and per code; a client has `ATTEMPTS_PER_CLIENT` wrong
//! tries, all clients together `ATTEMPTS_PER_CODE`, and a right code is used
//! up. The verdict is decided without I/O (`verdict`).

use super::limits::{ATTEMPTS_PER_CLIENT, ATTEMPTS_PER_CODE};
use super::secrets::{hash_code, same_hash};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::OtpRecord;
use redis_hack_shared::VerifyRequest;

/// How one attempt at a code went.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Right,
    Wrong {
        left: u32,
    },
    /// This client's sixth wrong try: the code no longer works for it (others
    /// can still use it).
    SpentHere,
    /// A try after that: answered as if there were no code.
    NoneLeftHere,
    /// The 18th wrong try from all clients: the code no longer works at all.
    Invalidated,
}

/// The verdict on an attempt, given whether the code `matches`, this
/// client's attempts and everyone's (this one counted, unless the client was
/// already past its share).
fn verdict(matches: bool, client_attempts: u32, attempts: u32) -> Verdict {
    if client_attempts > ATTEMPTS_PER_CLIENT {
        return Verdict::NoneLeftHere;
    }
    match matches && attempts <= ATTEMPTS_PER_CODE {
        true => Verdict::Right,
        false if attempts >= ATTEMPTS_PER_CODE => Verdict::Invalidated,
        false if client_attempts >= ATTEMPTS_PER_CLIENT => Verdict::SpentHere,
        false => Verdict::Wrong {
            left: ATTEMPTS_PER_CLIENT - client_attempts,
        },
    }
}

/// Counts the attempt, checks the code and, when it is right, uses it up
/// (deleting decides the race between two correct attempts: one wins).
pub(super) async fn take_code(
    app: &AppState,
    req: &VerifyRequest,
    client: &str,
) -> Result<OtpRecord, ApiError> {
    let no_code = || {
        ApiError::unauthorized(
            "invalid_code",
            "there is no valid code for this address (it expired, was used, or was never sent); run register again",
        )
    };
    let email = &req.email;
    let check = app
        .store
        .count_otp_attempt(email, client, ATTEMPTS_PER_CLIENT)
        .await?;
    let check = check.ok_or_else(no_code)?;
    let given = hash_code(&check.record.salt, req.code.as_str());
    let matches = same_hash(&check.record.hash, &given);
    let spent = || {
        ApiError::unauthorized(
            "code_invalidated",
            "too many wrong codes: this code no longer works; request a new one with register",
        )
    };
    match verdict(matches, check.client_attempts, check.attempts) {
        Verdict::Right if app.store.take_otp(email).await? => Ok(check.record),
        Verdict::Right | Verdict::NoneLeftHere => Err(no_code()),
        Verdict::Wrong { left } => Err(ApiError::unauthorized(
            "wrong_code",
            format!(
                "the code is wrong; {left} {} left",
                if left == 1 { "try" } else { "tries" }
            ),
        )),
        Verdict::SpentHere => {
            tracing::info!("code spent for one client after too many wrong attempts");
            Err(spent())
        }
        Verdict::Invalidated => {
            app.store.take_otp(email).await?;
            tracing::info!("code invalidated after too many wrong attempts");
            Err(spent())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_spends_only_its_share_and_the_total_invalidates() {
        assert_eq!(verdict(true, 1, 1), Verdict::Right);
        assert_eq!(verdict(false, 1, 1), Verdict::Wrong { left: 5 });
        assert_eq!(verdict(false, 5, 12), Verdict::Wrong { left: 1 });
        assert_eq!(verdict(false, 6, 6), Verdict::SpentHere);
        assert_eq!(
            verdict(true, 6, 6),
            Verdict::Right,
            "the sixth try may be right"
        );
        assert_eq!(verdict(true, 7, 6), Verdict::NoneLeftHere);
        assert_eq!(
            verdict(true, 1, 7),
            Verdict::Right,
            "another client's code works"
        );
        assert_eq!(verdict(false, 2, 18), Verdict::Invalidated);
        assert_eq!(verdict(true, 2, 18), Verdict::Right);
        assert_eq!(verdict(true, 2, 19), Verdict::Invalidated);
    }
}
