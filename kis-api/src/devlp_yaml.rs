//! The text of the official samples' `kis_devlp.yaml`: a flat mapping, one `key: value` per line,
//! values plain or quoted. Read here rather than with a YAML library, which would cost every
//! program using the crate a build of a YAML parser for a file of twenty lines. Anything beyond
//! that form is an error naming the line; errors never quote a value (they are secrets).

use serde_json::{Map, Value};

/// The keys and values of `text`; an empty value or `~`/`null` is `null`.
pub(crate) fn parse(text: &str) -> Result<Map<String, Value>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut map = Map::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || (n == 1 && trimmed == "---") {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            return Err(format!(
                "line {n}: an indented line (the file is one `key: value` per line)"
            ));
        }
        let (key, rest) = split_key(line).ok_or_else(|| format!("line {n}: not `key: value`"))?;
        let value = value(rest).map_err(|what| format!("line {n} ({key}): {what}"))?;
        if map.insert(key.to_string(), value).is_some() {
            return Err(format!("line {n}: {key} appears twice"));
        }
    }
    Ok(map)
}

/// `key` and the rest after `key:` (the colon followed by a space or the line's end).
fn split_key(line: &str) -> Option<(&str, &str)> {
    let colon = line
        .char_indices()
        .find(|&(i, c)| c == ':' && line[i + 1..].chars().next().is_none_or(char::is_whitespace))?
        .0;
    let key = line[..colon].trim_end();
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    plain.then(|| (key, &line[colon + 1..]))
}

/// One value: plain text up to a ` #` comment, or single- or double-quoted text.
fn value(rest: &str) -> Result<Value, &'static str> {
    let rest = rest.trim();
    let (text, trailer) = match rest.chars().next() {
        None => return Ok(Value::Null),
        Some('"') => double_quoted(&rest[1..])?,
        Some('\'') => single_quoted(&rest[1..])?,
        Some('[' | '{' | '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`') => {
            return Err("only plain or quoted text values are read");
        }
        Some(_) => {
            let plain = rest.find(" #").map_or(rest, |i| &rest[..i]).trim_end();
            if matches!(plain, "~" | "null" | "Null" | "NULL") {
                return Ok(Value::Null);
            }
            (plain.to_string(), "")
        }
    };
    let trailer = trailer.trim_start();
    if !trailer.is_empty() && !trailer.starts_with('#') {
        return Err("text after the closing quote");
    }
    Ok(Value::String(text))
}

/// The text of a double-quoted value (after its opening quote) and what follows its closing one.
fn double_quoted(s: &str) -> Result<(String, &str), &'static str> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => out.push(match chars.next().map(|(_, e)| e) {
                Some('"') => '"',
                Some('\\') => '\\',
                Some('/') => '/',
                Some('n') => '\n',
                Some('t') => '\t',
                _ => return Err("an escape other than \\\" \\\\ \\/ \\n \\t"),
            }),
            c => out.push(c),
        }
    }
    Err("no closing quote")
}

/// The text of a single-quoted value (`''` is a quote) and what follows its closing quote.
fn single_quoted(s: &str) -> Result<(String, &str), &'static str> {
    let mut out = String::new();
    let mut rest = s;
    loop {
        let q = rest.find('\'').ok_or("no closing quote")?;
        out.push_str(&rest[..q]);
        if rest[q + 1..].starts_with('\'') {
            out.push('\'');
            rest = &rest[q + 2..];
        } else {
            return Ok((out, &rest[q + 1..]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::{Value, json};

    #[test]
    fn reads_plain_quoted_empty_and_commented_values() {
        let text = "\u{feff}---\n# a comment\nmy_app: \"PS key # not a comment\"  # one\r\n\nmy_sec: 'it''s'\nmy_prod: 01 # product\nmy_token:\nvps: https://a:1/b\nmy_agent: ~\nops: \"a\\\"b\\\\c\"\n";
        let map = parse(text).expect("parses");
        assert_eq!(
            Value::Object(map),
            json!({
                "my_app": "PS key # not a comment",
                "my_sec": "it's",
                "my_prod": "01",
                "my_token": null,
                "vps": "https://a:1/b",
                "my_agent": null,
                "ops": "a\"b\\c",
            })
        );
    }

    #[test]
    fn anything_else_is_an_error_naming_the_line_and_never_the_value() {
        for (text, want) in [
            ("my_app: [", "line 1 (my_app): only plain or quoted"),
            ("a: 1\n  nested: 2\n", "line 2: an indented line"),
            ("just text\n", "line 1: not `key: value`"),
            ("\"quoted key\": x\n", "line 1: not `key: value`"),
            (
                "my_sec: \"secret-value\n",
                "line 1 (my_sec): no closing quote",
            ),
            (
                "my_sec: 'secret-value\n",
                "line 1 (my_sec): no closing quote",
            ),
            (
                "my_sec: \"secret\" value\n",
                "line 1 (my_sec): text after the closing quote",
            ),
            ("my_sec: \"sec\\qret\"\n", "line 1 (my_sec): an escape"),
            ("a: 1\nb: 2\na: 3\n", "line 3: a appears twice"),
            ("a: &anchor x\n", "line 1 (a): only plain or quoted"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.starts_with(want), "{text:?}: {e}");
            assert!(!e.contains("secret") && !e.contains("qret"), "{e}");
        }
    }

    #[test]
    fn a_url_value_keeps_its_colons_and_a_key_needs_a_space_after_its_colon() {
        let map = parse("prod: https://openapi.example:9443\n").expect("parses");
        assert_eq!(map["prod"], json!("https://openapi.example:9443"));
        assert!(parse("prod:https://x\n").is_err());
    }
}
