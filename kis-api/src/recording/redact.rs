//! What a recording hides before a line is written: the client's secrets wherever they appear,
//! and the values of keys holding personal data (the catalog's `redacted` rule, which also
//! covers keys the catalog does not list yet).
//!
//! Bodies are redacted in their text, not parsed and written again: the recording keeps KIS's
//! bytes (key order, spacing, number forms) except the hidden values.

/// What replaces a hidden value.
pub(crate) const HIDDEN: &str = "***";

/// Secrets shorter than this are replaced only where they are a whole JSON string (`"ab"`), not
/// in free text: a two-letter HTS id would blank every word that contains it. Values of
/// personal-data keys are hidden whatever their length.
const MIN_SECRET: usize = 4;

/// Replaces every occurrence of each secret (plain and with JSON's escaped `/`) with [`HIDDEN`];
/// a short one only as a whole JSON string.
pub(crate) fn hide_secrets<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut s = text.to_string();
    for secret in secrets.into_iter().filter(|x| !x.is_empty()) {
        if secret.len() < MIN_SECRET {
            let quoted = format!("\"{secret}\"");
            if s.contains(&quoted) {
                s = s.replace(&quoted, "\"***\"");
            }
            continue;
        }
        if s.contains(secret) {
            s = s.replace(secret, HIDDEN);
        }
        if secret.contains('/') {
            let escaped = secret.replace('/', "\\/");
            if s.contains(&escaped) {
                s = s.replace(&escaped, HIDDEN);
            }
        }
    }
    s
}

/// The end (exclusive) of the JSON string that starts at `start` (its opening quote), or the
/// text's end when it is never closed.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// `text` (JSON, or anything) with the value of every key that `personal` names replaced by
/// `"***"`: string values (unless empty) and bare numbers or literals; an object or array value
/// is left (the keys inside it are looked at in turn). One pass, no recursion, never fails: text
/// that is not JSON is scanned the same way.
pub(crate) fn hide_personal_values(text: &str, personal: impl Fn(&str) -> bool) -> String {
    let b = text.as_bytes();
    // (start, end) of each value to replace, in order
    let mut hide: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let end = string_end(b, i);
        let after = skip_space(b, end);
        if b.get(after) != Some(&b':') {
            i = end;
            continue;
        }
        // a key: `text` is valid UTF-8 and quotes are ASCII, so these are char boundaries
        let key = text.get(i + 1..end.saturating_sub(1)).unwrap_or_default();
        let value = skip_space(b, after + 1);
        if !personal(key) {
            i = value;
            continue;
        }
        match b.get(value) {
            Some(b'"') => {
                let v_end = string_end(b, value);
                if v_end > value + 2 {
                    hide.push((value, v_end));
                }
                i = v_end;
            }
            Some(c) if !matches!(c, b'{' | b'[') => {
                let mut v_end = value;
                while v_end < b.len() && !matches!(b[v_end], b',' | b'}' | b']' | b'\n' | b' ') {
                    v_end += 1;
                }
                if v_end > value {
                    hide.push((value, v_end));
                }
                i = v_end;
            }
            _ => i = value,
        }
    }
    if hide.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in hide {
        out.push_str(text.get(at..start).unwrap_or_default());
        out.push('"');
        out.push_str(HIDDEN);
        out.push('"');
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_values_are_hidden_and_everything_else_is_kept_byte_for_byte() {
        let body = r#"{"rt_cd":"0", "output" : [ {"cano" : "50012345","x":"a\"cano\":b"}, {"CANO":12345678,"cust_tlno":"","y":1} ]}"#;
        let out = hide_personal_values(body, |k| {
            k.eq_ignore_ascii_case("cano") || k.ends_with("tlno")
        });
        assert_eq!(
            out,
            r#"{"rt_cd":"0", "output" : [ {"cano" : "***","x":"a\"cano\":b"}, {"CANO":"***","cust_tlno":"","y":1} ]}"#
        );
    }

    #[test]
    fn broken_text_is_scanned_without_panicking() {
        for t in [
            "\"",
            "\"cano\"",
            "\"cano\":",
            "\"cano\": \"unclosed",
            "{\"cano\":\\",
            "가\"cano\":\"값\"",
            "\"\\",
        ] {
            let out = hide_personal_values(t, |k| k == "cano");
            assert!(
                !out.contains("값") && !out.contains("unclosed"),
                "{t:?} -> {out:?}"
            );
        }
    }

    #[test]
    fn secrets_are_replaced_in_plain_and_escaped_form_short_ones_are_not() {
        let out = hide_secrets(
            r#"x abc/def1 y abc\/def1 ab "ab" "abc""#,
            ["abc/def1", "ab", ""],
        );
        assert_eq!(out, r#"x *** y *** ab "***" "abc""#);
    }
}
