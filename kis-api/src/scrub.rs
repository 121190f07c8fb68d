//! Removing credentials from text a server sent back before it enters an error: a proxy or a
//! misconfigured server may echo the request, app key and secret included.

/// Keys whose values are credentials (compared in lower case, as JSON keys, headers or form
/// fields).
const CREDENTIAL_KEYS: [&str; 9] = [
    "appkey",
    "app_key",
    "appsecret",
    "app_secret",
    "secretkey",
    "access_token",
    "approval_key",
    "authorization",
    "token",
];

/// Shortest run of key-like characters (letters, digits, `+/=_-.%\`) with both letters and digits
/// that is taken for a credential: tokens, keys and hashes are long such runs, words and codes
/// are not.
const MIN_RUN: usize = 20;

const HIDDEN: &str = "***";

/// `text` without `secrets` (also JSON- and percent-escaped), without the values of
/// credential-named keys, and without long key-like runs; then cut to `max_chars` characters.
pub(crate) fn scrub(text: &str, secrets: &[&str], max_chars: usize) -> String {
    let mut s = text.to_string();
    // every successful reply's message passes here: escaped forms are built only when the text
    // holds an escape at all
    let escaped = s.contains('\\') || s.contains('%');
    for secret in secrets.iter().filter(|x| x.len() >= 4) {
        if s.contains(*secret) {
            s = s.replace(*secret, HIDDEN);
        }
        if escaped {
            for form in [secret.replace('/', "\\/"), percent_encoded(secret)] {
                if s.contains(&form) {
                    s = s.replace(&form, HIDDEN);
                }
            }
        }
    }
    let s = hide_runs(&hide_key_values(&s));
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}

fn percent_encoded(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// Replaces the value after `key":`, `key=` or `key: ` for every credential key.
fn hide_key_values(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let bytes = s.as_bytes();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for key in CREDENTIAL_KEYS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(key) {
            let start = from + found;
            from = start + key.len();
            // a longer name (`access_token_token_expired`, `tokenP`) is another key
            let before_ok = start == 0 || !is_name_byte(bytes[start - 1]);
            if !before_ok {
                continue;
            }
            if let Some(range) = value_after(bytes, from) {
                ranges.push(range);
            }
        }
    }
    if ranges.is_empty() {
        return s.to_string();
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (a, b) in ranges {
        if a < at {
            continue;
        }
        out.push_str(&s[at..a]);
        out.push_str(HIDDEN);
        at = b;
    }
    out.push_str(&s[at..]);
    out
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The byte range of the value that follows a key ending at `i`: an optional closing quote,
/// `:` or `=`, spaces, then a quoted string or a bare word. `None` when no value follows.
fn value_after(b: &[u8], mut i: usize) -> Option<(usize, usize)> {
    if i < b.len() && matches!(b[i], b'"' | b'\'') {
        i += 1;
    }
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    if i >= b.len() || !matches!(b[i], b':' | b'=') {
        return None;
    }
    i += 1;
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    if i >= b.len() {
        return None;
    }
    let start = i;
    if matches!(b[i], b'"' | b'\'') {
        let quote = b[i];
        i += 1;
        while i < b.len() && b[i] != quote {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        let end = (i + 1).min(b.len());
        return Some((start, end));
    }
    while i < b.len() && !matches!(b[i], b'&' | b',' | b';' | b'}' | b']' | b'\r' | b'\n') {
        i += 1;
    }
    // a header value (`authorization: Bearer x`) runs to the end of the line; a bare word ends
    // at a space only in a query string, which has none
    (i > start).then_some((start, i.min(b.len())))
}

fn is_run_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'%' | b'\\')
}

/// Replaces every run of [`MIN_RUN`] or more key-like characters that has letters and digits.
fn hide_runs(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    let mut i = 0;
    while i < b.len() {
        if !is_run_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_run_byte(b[i]) {
            i += 1;
        }
        let run = &b[start..i];
        if run.len() >= MIN_RUN
            && run.iter().any(u8::is_ascii_digit)
            && run.iter().any(u8::is_ascii_alphabetic)
        {
            out.push_str(&s[at..start]);
            out.push_str(HIDDEN);
            at = i;
        }
    }
    out.push_str(&s[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "PSkeyValue";
    const SECRET: &str = "s3cr/t+v=lue";

    #[test]
    fn secrets_and_credential_values_are_hidden() {
        let echoed = format!(
            r#"{{"grant_type":"client_credentials","appkey":"{KEY}","appsecret":"{SECRET}"}}"#
        );
        let shown = scrub(&echoed, &[KEY, SECRET], 500);
        assert!(!shown.contains(KEY) && !shown.contains(SECRET), "{shown}");
        assert!(shown.contains("client_credentials"), "{shown}");

        // unknown secrets by their keys: JSON, form, headers
        let other = r#"{"secretkey": "abc", "token":"t1", "approval_key" : "k"}"#;
        let shown = scrub(other, &[], 500);
        for v in ["abc", "t1", "\"k\""] {
            assert!(!shown.contains(v), "{shown}");
        }
        let form = "appkey=abcdef&appsecret=ghijk&grant_type=x";
        let shown = scrub(form, &[], 500);
        assert!(
            !shown.contains("abcdef") && !shown.contains("ghijk"),
            "{shown}"
        );
        assert!(shown.contains("grant_type=x"), "{shown}");
        let headers = "POST / HTTP/1.1\r\nappkey: abcdef\r\nauthorization: Bearer xyz\r\n";
        let shown = scrub(headers, &[], 500);
        assert!(
            !shown.contains("abcdef") && !shown.contains("xyz"),
            "{shown}"
        );

        // escaped forms of a known secret
        let escaped = format!("{} {}", SECRET.replace('/', "\\/"), percent_encoded(SECRET));
        let shown = scrub(&escaped, &[SECRET], 500);
        assert_eq!(shown, "*** ***");
    }

    #[test]
    fn long_key_like_runs_are_hidden_and_text_kept() {
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ0b2tlbiJ9.abc123";
        let shown = scrub(&format!("bad token {jwt} (EGW00123)"), &[], 500);
        assert_eq!(shown, "bad token *** (EGW00123)");
        let plain = "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회) HTTP 403 Forbidden";
        assert_eq!(scrub(plain, &[], 500), plain);
        // names that contain a credential key are other keys
        let expiry = r#"{"access_token_token_expired":"2026-01-01 10:00:00"}"#;
        assert_eq!(scrub(expiry, &[], 500), expiry);
    }

    #[test]
    fn the_cut_is_made_after_redaction_on_a_char_boundary() {
        let text = format!("가나다 {SECRET} 라마바");
        let shown = scrub(&text, &[SECRET], 5);
        assert_eq!(shown, "가나다 *…");
        let cut_secret = format!("{}{SECRET}", "x".repeat(8));
        let shown = scrub(&cut_secret, &[SECRET], 12);
        assert!(!shown.contains(&SECRET[..4]), "{shown}");
    }
}
