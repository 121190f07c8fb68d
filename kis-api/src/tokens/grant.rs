//! Reading KIS's answer to a token request. Nothing in it is trusted before it is checked: the
//! token must be something that can be sent back as a header, and its expiry a real time within
//! what KIS promises. A bad answer is an error now, never a cached token that breaks every later
//! run.

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};
use serde::Deserialize;

use super::Token;
use crate::secret::Secret;

/// The longest lifetime believed: KIS's tokens live about 24 hours. A longer one is cut to this.
pub(crate) const MAX_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// The shortest lifetime that makes sense; anything shorter (or an expiry in the past) is
/// refused: such a token would be replaced on every call, once a minute.
pub(crate) const MIN_LIFETIME: TimeDelta = TimeDelta::minutes(2);

/// The lifetime assumed when KIS states none.
const ASSUMED_LIFETIME: TimeDelta = TimeDelta::hours(23);

/// The longest token accepted, in bytes: KIS's are JWTs of a few hundred.
const MAX_TOKEN_BYTES: usize = 8192;

/// Why an answer gave no usable token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GrantError {
    /// The answer holds no token: it is an error answer (read by the caller for its code).
    NoToken,
    /// The answer holds a token this client must not use; the text says why (it quotes nothing
    /// of the answer).
    Unusable(&'static str),
}

/// The token of a token answer `body`, issued at `issued_at`.
pub(crate) fn read_grant(body: &[u8], issued_at: DateTime<Utc>) -> Result<Token, GrantError> {
    #[derive(Deserialize)]
    struct Answer {
        access_token: Option<String>,
        access_token_token_expired: Option<String>,
        expires_in: Option<serde_json::Value>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|_| GrantError::NoToken)?;
    let access = answer
        .access_token
        .filter(|a| !a.is_empty())
        .ok_or(GrantError::NoToken)?;
    check_token_text(&access).map_err(GrantError::Unusable)?;
    let expires_at = expiry(
        answer.access_token_token_expired.as_deref(),
        answer.expires_in.as_ref(),
        issued_at,
    )
    .map_err(GrantError::Unusable)?;
    Ok(Token {
        access: Secret::new(access),
        expires_at,
        issued_at,
    })
}

/// Whether `token` can be sent as `authorization: Bearer <token>`: visible ASCII only (no
/// spaces, CR, LF, NUL or other control bytes), and not absurdly long.
pub(crate) fn check_token_text(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        return Err("the token is empty");
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err("the token is longer than any KIS issues");
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "the token holds characters a header cannot carry (control, space or non-ASCII)",
        );
    }
    Ok(())
}

/// The expiry: KIS's stated time (Korea time) wins over `expires_in`, which has been seen off by
/// about an hour; with neither, a day less an hour. Cut to [`MAX_LIFETIME`]; an expiry in the
/// past, within [`MIN_LIFETIME`] or out of the calendar's range is refused.
fn expiry(
    stated: Option<&str>,
    seconds: Option<&serde_json::Value>,
    issued_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, &'static str> {
    // a stated time in another format is ignored (the seconds serve); one that reads but makes
    // no sense is refused
    let by_time = stated
        .and_then(|s| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok())
        .map(|n| {
            // KIS states the expiry in Korea time (UTC+9, no daylight saving)
            n.checked_sub_signed(TimeDelta::hours(9))
                .map(|utc| Utc.from_utc_datetime(&utc))
                .ok_or("the stated expiry is outside the calendar")
        })
        .transpose()?;
    let by_seconds = match seconds {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(
            n.as_i64()
                .ok_or("expires_in is not a whole number of seconds")?,
        ),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| "expires_in is not a whole number of seconds")?,
        ),
        Some(_) => return Err("expires_in is not a number"),
    };
    let expires_at = match (by_time, by_seconds) {
        (Some(t), _) => t,
        (None, Some(s)) => {
            // a lifetime past a day is cut to a day, so a huge count cannot overflow the clock
            let lifetime = TimeDelta::try_seconds(s)
                .filter(|d| *d <= MAX_LIFETIME)
                .unwrap_or(MAX_LIFETIME);
            if s <= 0 {
                return Err("expires_in is not a positive number of seconds");
            }
            issued_at
                .checked_add_signed(lifetime)
                .ok_or("the expiry is outside the calendar")?
        }
        (None, None) => issued_at
            .checked_add_signed(ASSUMED_LIFETIME)
            .ok_or("the expiry is outside the calendar")?,
    };
    let lifetime = expires_at.signed_duration_since(issued_at);
    if lifetime < MIN_LIFETIME {
        return Err(
            "the token expires before it could be used (an expiry in the past or within two minutes)",
        );
    }
    Ok(if lifetime > MAX_LIFETIME {
        issued_at
            .checked_add_signed(MAX_LIFETIME)
            .ok_or("the expiry is outside the calendar")?
    } else {
        expires_at
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0)
            .single()
            .expect("time")
    }

    fn grant(json: &str) -> Result<Token, GrantError> {
        read_grant(json.as_bytes(), at())
    }

    #[test]
    fn a_normal_answer_uses_the_stated_korean_expiry() {
        let t = grant(
            r#"{"access_token":"eyJ.abc.def","token_type":"Bearer","expires_in":86400,
                "access_token_token_expired":"2026-12-07 08:00:00"}"#,
        )
        .expect("token");
        assert_eq!(t.access.expose(), "eyJ.abc.def");
        // 08:00 in Korea is 23:00 UTC the day before
        assert_eq!(t.expires_at, at() + TimeDelta::hours(23));
        let t = grant(r#"{"access_token":"a1","expires_in":"3600"}"#).expect("seconds");
        assert_eq!(t.expires_at, at() + TimeDelta::hours(1));
        let t = grant(r#"{"access_token":"a1"}"#).expect("assumed");
        assert_eq!(t.expires_at, at() + ASSUMED_LIFETIME);
    }

    #[test]
    fn absurd_lifetimes_are_cut_to_a_day_or_refused_never_a_panic() {
        for huge in [
            r#"{"access_token":"a1","expires_in":9223372036854775807}"#,
            r#"{"access_token":"a1","expires_in":9000000000000000}"#,
            r#"{"access_token":"a1","expires_in":"9223372036854775807"}"#,
            r#"{"access_token":"a1","access_token_token_expired":"9999-12-31 23:59:59"}"#,
        ] {
            let t = grant(huge).expect(huge);
            assert_eq!(t.expires_at, at() + MAX_LIFETIME, "{huge}");
        }
        for nonsense in [
            r#"{"access_token":"a1","expires_in":-9223372036854775808}"#,
            r#"{"access_token":"a1","expires_in":0}"#,
            r#"{"access_token":"a1","expires_in":30}"#,
            r#"{"access_token":"a1","expires_in":1e300}"#,
            r#"{"access_token":"a1","expires_in":[1]}"#,
            r#"{"access_token":"a1","access_token_token_expired":"-262143-01-01 00:00:00"}"#,
            r#"{"access_token":"a1","access_token_token_expired":"2020-01-01 00:00:00"}"#,
        ] {
            assert!(
                matches!(grant(nonsense), Err(GrantError::Unusable(_))),
                "{nonsense}"
            );
        }
        // a stated time in an unknown format leaves the seconds to decide
        let t =
            grant(r#"{"access_token":"a1","expires_in":600,"access_token_token_expired":"soon"}"#)
                .expect("seconds");
        assert_eq!(t.expires_at, at() + TimeDelta::minutes(10));
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused() {
        for bad in [
            "abc\r\nX-Injected: 1",
            "abc\ndef",
            "abc\0def",
            "abc def",
            "토큰",
            "abc\u{7f}",
        ] {
            let json = serde_json::json!({ "access_token": bad, "expires_in": 86400 }).to_string();
            assert!(
                matches!(grant(&json), Err(GrantError::Unusable(_))),
                "{bad:?}"
            );
        }
        let long = serde_json::json!({ "access_token": "a".repeat(MAX_TOKEN_BYTES + 1) });
        assert!(matches!(
            grant(&long.to_string()),
            Err(GrantError::Unusable(_))
        ));
    }

    #[test]
    fn an_answer_without_a_token_is_left_to_the_error_reader() {
        for none in [
            r#"{"error_code":"EGW00133","error_description":"1분당 1회"}"#,
            r#"{"access_token":""}"#,
            "<html>",
            "",
        ] {
            assert_eq!(grant(none).err(), Some(GrantError::NoToken), "{none}");
        }
    }
}
