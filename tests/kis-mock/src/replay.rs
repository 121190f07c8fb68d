//! `--replay DIR`: answers REST requests with the exchanges of recordings made by the client
//! (`kis record`, `ClientBuilder::record`; format in docs/recording.md), so that a user's
//! recording of real traffic becomes a regression test. Not the same thing as `--record FILE`
//! ([`crate::record`]), which logs the requests the mock receives.
//!
//! A request matches a recorded exchange with the same TR ID, path and `tr_cont` header whose
//! inputs are the same (case aside for keys; a value the recording hid as personal data matches
//! any value). Exchanges that match the same request are served in the order recorded, the
//! last one again once all were served, so pages follow one another as they did. A request
//! that matches nothing is answered as KIS answers an invalid input, and logged on stderr (TR
//! ID, path and input keys, never values).
//!
//! Recordings are untrusted files: read within bounds, a line that is not a REST exchange is
//! skipped, a file that is not a recording is an error naming it.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// What a recording hides.
const HIDDEN: &str = "***";
/// Recordings read from a directory.
const MAX_FILES: usize = 10_000;
/// Bytes read from all recordings together.
const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;
/// Bytes of one line.
const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

/// One recorded REST exchange.
#[derive(Debug)]
pub(crate) struct Exchange {
    inputs: Vec<(String, String)>,
    /// HTTP status answered.
    pub(crate) status: u16,
    /// The `tr_cont` answered.
    pub(crate) tr_cont: String,
    /// The body as recorded.
    pub(crate) body: String,
}

impl Exchange {
    fn matches(&self, sent: &[(String, String)]) -> bool {
        let value = |list: &[(String, String)], k: &str| {
            list.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.trim().to_string())
        };
        let same = |(k, v): &(String, String)| {
            v == HIDDEN || value(sent, k).unwrap_or_default() == v.trim()
        };
        self.inputs.iter().all(same)
            && sent
                .iter()
                .all(|(k, v)| v.trim().is_empty() || value(&self.inputs, k).is_some())
    }
}

/// Recorded exchanges by TR ID, path and `tr_cont` sent.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    by_request: HashMap<(String, String, String), Vec<Exchange>>,
    /// Times each exchange was served, by the same key and index.
    served: Mutex<HashMap<(String, String, String), Vec<u32>>>,
    unmatched: AtomicU64,
    /// Exchanges loaded.
    pub(crate) loaded: usize,
}

/// The error of a recording that cannot be read.
fn bad(path: &Path, line: usize, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("--replay {}:{line}: {what}", path.display()),
    )
}

impl Replay {
    /// Loads `from`: a recording, or a directory of them (`*.jsonl`).
    pub(crate) fn load(from: &Path) -> io::Result<Replay> {
        let files = if from.is_dir() {
            let mut files = Vec::new();
            for e in std::fs::read_dir(from)? {
                let p = e?.path();
                if p.extension().is_some_and(|x| x == "jsonl") && p.is_file() {
                    files.push(p);
                }
                if files.len() > MAX_FILES {
                    return Err(bad(from, 0, "too many recordings"));
                }
            }
            files.sort();
            files
        } else {
            vec![from.to_path_buf()]
        };
        let mut replay = Replay::default();
        let mut budget = MAX_TOTAL_BYTES;
        for f in files {
            replay.read_file(&f, &mut budget)?;
        }
        if replay.loaded == 0 {
            return Err(bad(from, 0, "no recorded REST exchange"));
        }
        Ok(replay)
    }

    fn read_file(&mut self, path: &Path, budget: &mut u64) -> io::Result<()> {
        let file = std::fs::File::open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("--replay {}: {e}", path.display())))?;
        let mut reader = BufReader::new(file.take(*budget));
        let mut buf = Vec::new();
        let mut number = 0;
        loop {
            buf.clear();
            number += 1;
            let n = (&mut reader)
                .take(MAX_LINE_BYTES + 1)
                .read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            *budget = budget.saturating_sub(n as u64);
            if buf.len() as u64 > MAX_LINE_BYTES {
                return Err(bad(path, number, "a line too long"));
            }
            let Ok(Value::Object(line)) = serde_json::from_slice::<Value>(&buf) else {
                if number == 1 {
                    return Err(bad(path, 1, "not a recording (no session line)"));
                }
                continue;
            };
            let text = |k: &str| {
                line.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            if number == 1 {
                if text("kind") != "session" || text("format") != "kis-recording" {
                    return Err(bad(path, 1, "not a recording (no session line)"));
                }
                continue;
            }
            if text("kind") != "rest" || line.get("body").is_none() {
                continue;
            }
            let inputs = line
                .get("inputs")
                .and_then(Value::as_array)
                .map(|pairs| {
                    pairs
                        .iter()
                        .filter_map(|p| {
                            let p = p.as_array()?;
                            Some((
                                p.first()?.as_str()?.to_string(),
                                p.get(1)?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let status = line
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..600).contains(s))
                .unwrap_or(200);
            let key = (text("tr_id"), text("path"), text("page"));
            self.by_request.entry(key).or_default().push(Exchange {
                inputs,
                status,
                tr_cont: text("tr_cont"),
                body: text("body"),
            });
            self.loaded += 1;
        }
        Ok(())
    }

    /// The recorded answer to a request, or `None` (logged) when none matches.
    pub(crate) fn answer(
        &self,
        tr_id: &str,
        path: &str,
        page: &str,
        sent: &[(String, String)],
    ) -> Option<&Exchange> {
        let key = (tr_id.to_string(), path.to_string(), page.to_string());
        let candidates = self.by_request.get(&key);
        let matching: Vec<usize> = candidates
            .map(|c| {
                c.iter()
                    .enumerate()
                    .filter(|(_, x)| x.matches(sent))
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        let Some(&last) = matching.last() else {
            self.unmatched.fetch_add(1, Ordering::Relaxed);
            let keys: Vec<&str> = sent.iter().map(|(k, _)| k.as_str()).collect();
            eprintln!(
                "kis-mock --replay: no recorded answer for {tr_id} {path} (tr_cont {page:?}, inputs {})",
                keys.join(",")
            );
            return None;
        };
        let mut served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        let counts = served
            .entry(key)
            .or_insert_with(|| vec![0; candidates.map_or(0, Vec::len)]);
        let pick = matching
            .iter()
            .copied()
            .find(|&i| counts.get(i) == Some(&0))
            .unwrap_or(last);
        if let Some(c) = counts.get_mut(pick) {
            *c = c.saturating_add(1);
        }
        candidates?.get(pick)
    }

    /// Requests no recorded exchange matched.
    pub(crate) fn unmatched(&self) -> u64 {
        self.unmatched.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(dir: &Path, lines: &[&str]) -> std::path::PathBuf {
        let p = dir.join("r.jsonl");
        let mut text = String::from(
            r#"{"kind":"session","format":"kis-recording","version":1,"at":"2026-12-06T00:00:00Z","env":"real"}"#,
        );
        for l in lines {
            text.push('\n');
            text.push_str(l);
        }
        let _ = std::fs::write(&p, text);
        p
    }

    #[test]
    fn pages_in_order_hidden_values_match_anything_and_the_rest_is_unmatched() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = recording(
            dir.path(),
            &[
                r#"{"kind":"rest","tr_id":"T","path":"/p","page":"","inputs":[["CANO","***"],["X","1"]],"status":200,"tr_cont":"M","body":"first"}"#,
                r#"{"kind":"rest","tr_id":"T","path":"/p","page":"","inputs":[["CANO","***"],["X","1"]],"status":200,"tr_cont":"D","body":"again"}"#,
                "not json at all",
                r#"{"kind":"ws_frame","text":"0|H|1|a"}"#,
            ],
        );
        let r = Replay::load(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.loaded, 2);
        let sent = vec![
            ("cano".to_string(), "50012345".to_string()),
            ("X".to_string(), "1".to_string()),
        ];
        let body = |r: &Replay| r.answer("T", "/p", "", &sent).map(|x| x.body.clone());
        assert_eq!(body(&r).as_deref(), Some("first"));
        assert_eq!(body(&r).as_deref(), Some("again"));
        assert_eq!(body(&r).as_deref(), Some("again"));
        let other = vec![("X".to_string(), "2".to_string())];
        assert!(r.answer("T", "/p", "", &other).is_none());
        assert!(r.answer("T", "/q", "", &sent).is_none());
        assert_eq!(r.unmatched(), 2);
    }

    #[test]
    fn a_file_that_is_no_recording_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("x.jsonl");
        let _ = std::fs::write(&p, "{\"kind\":\"rest\"}\n");
        let e = Replay::load(&p).map(|r| r.loaded).unwrap_err();
        assert!(e.to_string().contains("x.jsonl:1"), "{e}");
        let _ = std::fs::write(&p, [0xff, 0xfe, b'\n']);
        assert!(Replay::load(&p).is_err());
    }
}
