//! `--record FILE`: one JSON line per REST request, for comparing what a program sends with
//! what the catalog lists (`cargo xtask official-samples`).
//!
//! A line holds the method, path, `tr_id`, `tr_cont`, the HTTP status answered and every input
//! key in the order sent with its value. Credentials travel in headers and are never written;
//! values of personal-data keys (the catalog's `redacted` list: account numbers, ids) are
//! written as `***`, and long values are cut.

use std::fs::File;
use std::io::{self, LineWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use crate::values::push_json_str;

/// Longest value written; longer ones end in `...`.
const MAX_VALUE: usize = 200;

/// One request as recorded.
#[derive(Debug)]
pub(crate) struct Recorded<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) tr_id: &'a str,
    pub(crate) tr_cont: &'a str,
    pub(crate) status: u16,
    /// (key as sent, value), in the order sent.
    pub(crate) inputs: &'a [(String, String)],
}

/// Appends request lines to a file.
#[derive(Debug)]
pub(crate) struct Recorder {
    out: Mutex<LineWriter<File>>,
}

impl Recorder {
    /// Creates (truncates) `path`.
    pub(crate) fn create(path: &Path) -> io::Result<Recorder> {
        let f = File::create(path)
            .map_err(|e| io::Error::new(e.kind(), format!("--record {}: {e}", path.display())))?;
        Ok(Recorder {
            out: Mutex::new(LineWriter::new(f)),
        })
    }

    /// Writes one line; `redacted` says which keys hold personal data. A write error is
    /// ignored: recording never changes what the server answers.
    pub(crate) fn write(&self, r: &Recorded<'_>, redacted: impl Fn(&str) -> bool) {
        let line = line(r, redacted);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.write_all(line.as_bytes());
    }
}

/// The JSON line of one request (with its newline).
pub(crate) fn line(r: &Recorded<'_>, redacted: impl Fn(&str) -> bool) -> String {
    let mut s = String::with_capacity(128);
    s.push_str("{\"method\":");
    push_json_str(&mut s, r.method);
    s.push_str(",\"path\":");
    push_json_str(&mut s, r.path);
    s.push_str(",\"tr_id\":");
    push_json_str(&mut s, r.tr_id);
    s.push_str(",\"tr_cont\":");
    push_json_str(&mut s, r.tr_cont);
    s.push_str(",\"status\":");
    s.push_str(&r.status.to_string());
    s.push_str(",\"inputs\":[");
    for (i, (k, v)) in r.inputs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('[');
        push_json_str(&mut s, k);
        s.push(',');
        if redacted(k) && !v.is_empty() {
            push_json_str(&mut s, "***");
        } else if v.chars().count() > MAX_VALUE {
            let cut: String = v.chars().take(MAX_VALUE).collect();
            push_json_str(&mut s, &format!("{cut}..."));
        } else {
            push_json_str(&mut s, v);
        }
        s.push(']');
    }
    s.push_str("]}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_keeps_keys_and_order_but_not_personal_values() {
        let inputs = vec![
            ("CANO".to_string(), "50012345".to_string()),
            ("AUTH".to_string(), String::new()),
            ("SYMB".to_string(), "x".repeat(300)),
        ];
        let r = Recorded {
            method: "GET",
            path: "/p",
            tr_id: "T1",
            tr_cont: "",
            status: 200,
            inputs: &inputs,
        };
        let l = line(&r, |k| k == "CANO");
        assert!(l.ends_with('\n'));
        let v: serde_json::Value = serde_json::from_str(l.trim()).unwrap_or_default();
        assert_eq!(v["path"], "/p");
        assert_eq!(v["status"], 200);
        assert_eq!(v["inputs"][0], serde_json::json!(["CANO", "***"]));
        assert_eq!(v["inputs"][1], serde_json::json!(["AUTH", ""]));
        let long = v["inputs"][2][1].as_str().unwrap_or_default();
        assert_eq!(long.chars().count(), MAX_VALUE + 3);
        assert!(!l.contains("50012345"));
    }
}
