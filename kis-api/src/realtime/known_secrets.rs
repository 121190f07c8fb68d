//! Server text made safe before it reaches an error or a log line. A gateway, a proxy or a test
//! server may echo what the session sent (the approval key) or anything else it knows, so every
//! text the server supplies (`msg_cd`, `msg1`, a control message's TR ID, a close reason, a
//! frame excerpt) goes through [`KnownSecrets::scrub`] first: the session's own secrets are
//! removed by value, and anything credential-shaped by [`crate::scrub::scrub`]'s rules.

use std::collections::VecDeque;
use std::fmt;

use crate::client::Inner;
use crate::realtime_error::excerpt;
use crate::secret::Secret;

/// Longest server text kept in an error or a log line, in characters.
const MAX_CHARS: usize = 200;
/// Bytes of a server text looked at: bounds the work on a huge message (what follows could
/// never show within [`MAX_CHARS`] anyway).
const MAX_SCAN: usize = 16 * 1024;
/// Bytes of a frame kept in a [`FrameError`](super::FrameError) excerpt.
const EXCERPT_BYTES: usize = 48;
/// Approval keys remembered: a renewed key replaces the oldest beyond this many.
const APPROVALS_KEPT: usize = 4;

/// The secrets of one session: app key and secret, HTS id, and the approval keys it used.
#[derive(Clone, Default)]
pub(super) struct KnownSecrets {
    fixed: Vec<String>,
    approvals: VecDeque<String>,
}

impl fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownSecrets")
            .field("count", &(self.fixed.len() + self.approvals.len()))
            .finish()
    }
}

impl KnownSecrets {
    /// The session's credentials and HTS id (`fixed`), and its first approval key.
    pub(super) fn new<'a>(fixed: impl IntoIterator<Item = &'a str>, approval: &str) -> Self {
        let mut s = KnownSecrets {
            fixed: fixed
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect(),
            approvals: VecDeque::new(),
        };
        s.add_approval(approval);
        s
    }

    /// The secrets of a session of the client `inner` using `approval`.
    pub(super) fn of_session(inner: &Inner, approval: &Secret) -> Self {
        let credentials = inner.transport().credentials();
        KnownSecrets::new(
            [
                credentials.app_key.expose(),
                credentials.app_secret.expose(),
                inner.hts_id().unwrap_or(""),
            ],
            approval.expose(),
        )
    }

    /// A renewed approval key; the previous ones stay known (a server may still echo them).
    pub(super) fn add_approval(&mut self, key: &str) {
        if key.is_empty() || self.approvals.iter().any(|k| k == key) {
            return;
        }
        if self.approvals.len() >= APPROVALS_KEPT {
            self.approvals.pop_front();
        }
        self.approvals.push_back(key.to_owned());
    }

    /// `text` from the server, without the session's secrets nor anything credential-shaped,
    /// cut to [`MAX_CHARS`] characters.
    pub(super) fn scrub(&self, text: &str) -> String {
        self.redact(text, MAX_CHARS)
    }

    /// The start of a frame for a [`FrameError`](super::FrameError): scrubbed whole, then cut
    /// to [`EXCERPT_BYTES`] (so that a secret is never cut in two before it is recognised).
    pub(super) fn excerpt(&self, frame: &str) -> String {
        excerpt(&self.redact(frame, MAX_SCAN), EXCERPT_BYTES)
    }

    fn redact(&self, text: &str, max_chars: usize) -> String {
        let mut end = text.len().min(MAX_SCAN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let scanned = text.get(..end).unwrap_or("");
        let secrets: Vec<&str> = self
            .fixed
            .iter()
            .chain(&self.approvals)
            .map(String::as_str)
            .collect();
        crate::scrub::scrub(scanned, &secrets, max_chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPROVAL: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

    fn secrets() -> KnownSecrets {
        KnownSecrets::new(["PSappKey", "app/secret", "suiteuser", ""], APPROVAL)
    }

    #[test]
    fn server_text_loses_the_session_secrets_and_keeps_the_rest() {
        let s = secrets();
        let echoed = format!(
            "invalid approval {APPROVAL} for PSappKey (app/secret) user suiteuser: 잘못된 요청"
        );
        let shown = s.scrub(&echoed);
        for secret in [APPROVAL, "PSappKey", "app/secret", "suiteuser"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("invalid approval") && shown.contains("잘못된 요청"));
        // a short key that no shape rule would catch is still removed by value
        assert_eq!(s.scrub("user suiteuser"), "user ***");
        assert_eq!(
            s.scrub("OPSP0000 SUBSCRIBE SUCCESS"),
            "OPSP0000 SUBSCRIBE SUCCESS"
        );
        assert!(s.scrub(&"x".repeat(1000)).chars().count() <= MAX_CHARS + 1);
        assert!(format!("{s:?}").contains("count: 4"), "{s:?}");
    }

    #[test]
    fn renewed_approval_keys_are_known_too_and_bounded() {
        let mut s = secrets();
        let renewed = "k2k2k2k2-k2k2";
        s.add_approval(renewed);
        s.add_approval(renewed);
        let shown = s.scrub(&format!("old {APPROVAL} new {renewed}"));
        assert_eq!(shown, "old *** new ***");
        for n in 0..10 {
            s.add_approval(&format!("approval-{n}"));
        }
        assert_eq!(s.approvals.len(), APPROVALS_KEPT);
        assert_eq!(s.scrub("approval-9"), "***");
    }

    #[test]
    fn excerpts_are_scrubbed_before_the_cut() {
        let s = secrets();
        // the key straddles the excerpt's end: no part of it may show
        let frame = format!("{}{APPROVAL}", "0|H0STCNT0|001|".repeat(2));
        let e = s.excerpt(&frame);
        assert!(!e.contains(&APPROVAL[..8]), "{e}");
        assert!(e.starts_with("0|H0STCNT0|001|"), "{e}");
        let plain = "0|H0STCNT0|001|005930^093354^71900";
        assert_eq!(s.excerpt(plain), plain);
    }
}
