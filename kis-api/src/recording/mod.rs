//! Recording real traffic ([`crate::ClientBuilder::record`], `kis record`): every REST exchange
//! and realtime message of a client, one JSON line each, in one file per session, so that what
//! KIS really sends can become catalog data (`cargo xtask learn`) and a regression test
//! (`kis-mock --replay`).
//!
//! A line is written only after redaction: the client's app key and secret, tokens, approval
//! keys, account numbers and HTS id are replaced wherever they appear, and so are the values of
//! keys holding personal data by the catalog's `redacted` rule, in requests and in KIS's answers.
//! Recording never changes what a call does: a write that fails is logged (without the text)
//! and counted, and a session stops recording past [`MAX_SESSION_BYTES`].
//!
//! The format is described in `docs/recording.md`; its first line names it
//! (`"kind":"session","format":"kis-recording"`).

#[cfg(feature = "realtime")]
mod realtime;
mod redact;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::environment::Env;
use crate::meta::{FillSource, RequestFieldMeta};

pub(crate) use redact::HIDDEN;

/// The format's name, on a recording's first line.
pub const FORMAT: &str = "kis-recording";
/// The format's version, on a recording's first line.
pub const FORMAT_VERSION: u64 = 1;
/// The most a session writes; past it, exchanges are counted as dropped.
pub const MAX_SESSION_BYTES: u64 = 256 * 1024 * 1024;
/// The largest body kept in a line; a larger one is recorded without its body.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Sessions started by this process: part of a file's name, so two clients never share one.
static SESSIONS: AtomicU64 = AtomicU64::new(0);

/// What a recording client has written so far ([`crate::Client::recording`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordingStatus {
    /// The session's file.
    pub path: PathBuf,
    /// Exchanges and messages written.
    pub written: u64,
    /// Writes that failed (logged, never a call's failure).
    pub failed: u64,
    /// Exchanges not written because the session reached [`MAX_SESSION_BYTES`].
    pub dropped: u64,
}

/// The file of one session and what has gone into it.
struct Output {
    file: File,
    bytes: u64,
}

/// Writes one client's exchanges to its session file. Shared by the client's clones.
pub(crate) struct Recorder {
    env: Env,
    path: PathBuf,
    out: Mutex<Output>,
    /// App key, secret, account numbers, HTS id: hidden wherever they appear.
    secrets: Vec<String>,
    written: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

/// One REST exchange, as the transport saw it.
pub(crate) struct RestExchange<'a> {
    /// Endpoint id (`domestic_stock.inquire_price`).
    pub(crate) endpoint: &'a str,
    pub(crate) tr_id: &'a str,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    /// The `tr_cont` request header (empty, or `N` for a following page).
    pub(crate) page: &'a str,
    /// The endpoint's request fields, for the ones the client fills from its configuration.
    pub(crate) fields: &'static [RequestFieldMeta],
    /// Query parameters (GET).
    pub(crate) query: &'a [(&'static str, String)],
    /// The JSON body (POST).
    pub(crate) body: Option<&'a [u8]>,
    pub(crate) status: u16,
    /// The `tr_cont` response header.
    pub(crate) tr_cont: Option<&'a str>,
    pub(crate) response: &'a [u8],
    /// The access token in use.
    pub(crate) token: &'a str,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The UTC time of a line.
fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Recorder {
    /// Prepares `dir` (created private when missing; refused when others may write to it) and
    /// starts a session file in it with its first line. `secrets` are hidden in every line.
    pub(crate) fn start(dir: &Path, env: Env, secrets: Vec<String>) -> std::io::Result<Recorder> {
        crate::private_fs::prepare_dir(dir)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let pid = std::process::id();
        let (file, path) = loop {
            let n = SESSIONS.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("kis-{stamp}-{pid}-{n}.jsonl"));
            match crate::private_fs::create_new(&path) {
                Ok(f) => break (f, path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => continue,
                Err(e) => return Err(e),
            }
        };
        let r = Recorder {
            env,
            path,
            out: Mutex::new(Output { file, bytes: 0 }),
            secrets: secrets
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect(),
            written: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        };
        let first = json!({
            "kind": "session",
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "at": now(),
            "env": env.to_string(),
            "client": concat!("kis-api ", env!("CARGO_PKG_VERSION")),
        });
        let mut out = r.out.lock().unwrap_or_else(|e| e.into_inner());
        let line = format!("{first}\n");
        out.file.write_all(line.as_bytes())?;
        out.bytes += line.len() as u64;
        drop(out);
        Ok(r)
    }

    /// What has been written so far.
    pub(crate) fn status(&self) -> RecordingStatus {
        RecordingStatus {
            path: self.path.clone(),
            written: self.written.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    /// Whether a key's value is personal data: the catalog's rule.
    fn personal(key: &str) -> bool {
        crate::CATALOG.is_redacted(key)
    }

    /// `text` with the session's secrets (and `extra` ones, a token or approval key) hidden.
    fn hidden(&self, text: &str, extra: &[&str]) -> String {
        let secrets = self.secrets.iter().map(String::as_str);
        redact::hide_secrets(text, secrets.chain(extra.iter().copied()))
    }

    /// Records one REST exchange.
    pub(crate) fn rest(&self, x: &RestExchange<'_>) {
        let filled = |name: &str| {
            x.fields.iter().any(|f| {
                f.wire.eq_ignore_ascii_case(name)
                    && matches!(f.fill, Some(FillSource::AccountNumber | FillSource::HtsId))
            })
        };
        let input = |k: &str, v: &str| -> Value {
            let v = if (Self::personal(k) || filled(k)) && !v.is_empty() {
                HIDDEN.to_string()
            } else {
                self.hidden(v, &[x.token])
            };
            json!([k, v])
        };
        let inputs: Vec<Value> = match x.body {
            Some(body) => match serde_json::from_slice::<serde_json::Map<String, Value>>(body) {
                Ok(map) => map
                    .iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => input(k, s),
                        other => input(k, &other.to_string()),
                    })
                    .collect(),
                Err(_) => Vec::new(),
            },
            None => x.query.iter().map(|(k, v)| input(k, v)).collect(),
        };
        let mut line = json!({
            "kind": "rest",
            "at": now(),
            "env": self.env.to_string(),
            "endpoint": x.endpoint,
            "tr_id": x.tr_id,
            "method": x.method,
            "path": x.path,
            "page": x.page,
            "inputs": inputs,
            "status": x.status,
            "tr_cont": x.tr_cont.unwrap_or_default(),
        });
        if x.response.len() > MAX_BODY_BYTES {
            line["body_omitted_bytes"] = json!(x.response.len());
        } else {
            let text = String::from_utf8_lossy(x.response);
            let text = redact::hide_personal_values(&text, Self::personal);
            line["body"] = Value::String(self.hidden(&text, &[x.token]));
        }
        self.write(&line);
    }

    /// Appends one line; a failure is logged and counted, never returned.
    fn write(&self, line: &Value) {
        let text = format!("{line}\n");
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if out.bytes + text.len() as u64 > MAX_SESSION_BYTES {
            if self.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                tracing::warn!(
                    limit = MAX_SESSION_BYTES,
                    "the recording reached its size limit; later exchanges are not recorded"
                );
            }
            return;
        }
        match out.file.write_all(text.as_bytes()) {
            Ok(()) => {
                out.bytes += text.len() as u64;
                self.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                // the error names the file and the OS's reason, never the line
                if self.failed.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!(file = %self.path.display(), error = %e.kind(), "recording: a write failed; the call is unaffected");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange<'a>(response: &'a [u8], query: &'a [(&'static str, String)]) -> RestExchange<'a> {
        RestExchange {
            endpoint: "domestic_stock.inquire_balance",
            tr_id: "TTTC8434R",
            method: "GET",
            path: "/p",
            page: "",
            fields: &[],
            query,
            body: None,
            status: 200,
            tr_cont: Some("D"),
            response,
            token: "token-abcdef-0123456789",
        }
    }

    #[test]
    fn a_line_hides_secrets_personal_inputs_and_personal_values_of_any_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let secrets = vec![
            "APPKEY-1234".to_string(),
            "50012345".to_string(),
            "hts77".to_string(),
        ];
        let r = Recorder::start(&dir.path().join("r"), Env::Real, secrets)
            .unwrap_or_else(|e| panic!("{e}"));
        let query = vec![
            ("CANO", "50012345".to_string()),
            ("ACNT_PRDT_CD", "01".to_string()),
            ("USER_ID", "hts77".to_string()),
        ];
        let body = br#"{"rt_cd":"0","output1":[{"cust_tlno":"010-1234-5678","acno":"77777777","x":"APPKEY-1234 token-abcdef-0123456789"}]}"#;
        r.rest(&exchange(body, &query));
        let status = r.status();
        assert_eq!((status.written, status.failed), (1, 0));
        let text = std::fs::read_to_string(&status.path).unwrap_or_else(|e| panic!("{e}"));
        for secret in [
            "APPKEY-1234",
            "50012345",
            "hts77",
            "010-1234",
            "77777777",
            "token-abcdef",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains(r#"["ACNT_PRDT_CD","01"]"#), "{text}");
        assert!(
            text.contains(r#"\"acno\":\"***\""#),
            "a key the catalog does not list: {text}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_is_counted_never_raised() {
        let file = File::options().write(true).open("/dev/full");
        let Ok(file) = file else {
            panic!("/dev/full is part of every Linux system");
        };
        let r = Recorder {
            env: Env::Demo,
            path: PathBuf::from("/dev/full"),
            out: Mutex::new(Output { file, bytes: 0 }),
            secrets: Vec::new(),
            written: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        };
        r.rest(&exchange(b"{}", &[]));
        r.rest(&exchange(b"{}", &[]));
        let s = r.status();
        assert_eq!((s.written, s.failed), (0, 2));
    }

    #[test]
    fn a_directory_others_may_write_to_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let open = dir.path().join("open");
            std::fs::create_dir(&open).unwrap_or_else(|e| panic!("{e}"));
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(Recorder::start(&open, Env::Real, Vec::new()).is_err());
        }
        // two sessions in one directory get two files
        let a =
            Recorder::start(dir.path(), Env::Real, Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        let b =
            Recorder::start(dir.path(), Env::Real, Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.status().path, b.status().path);
    }
}
