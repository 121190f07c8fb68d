//! Errors of the realtime client: a failed session call, a refused subscription, a malformed
//! frame. Kept outside `realtime` so that `crate::Error` can hold one without a module cycle.

use std::fmt;
use std::time::Duration;

use crate::decode::RecordError;

/// Why a frame was rejected. A rejected frame is skipped; the session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FrameErrorKind {
    /// The flag before the first `|` is neither `0` (plain) nor `1` (encrypted), or there is no
    /// `|` at all: not a KIS data frame.
    BadFlag,
    /// The TR ID field is missing, empty, too long or not alphanumeric.
    BadTrId,
    /// The record count is missing, not 1 to 4 digits, or zero.
    BadCount,
    /// The frame announces records but carries no payload.
    EmptyPayload,
    /// An encrypted payload is not valid base64.
    Base64,
    /// An encrypted payload is not a whole number of AES blocks.
    CipherLength,
    /// Decryption gave a bad PKCS#7 padding (wrong key or iv, or a damaged payload).
    Padding,
    /// The decrypted payload is not UTF-8 text.
    Utf8,
    /// An encrypted frame of a TR whose subscribe reply gave no usable AES key and iv.
    NoCipherKey,
    /// A data frame of a TR the catalog does not know.
    UnknownTr,
    /// A JSON message that is not a KIS control message.
    BadControl,
}

impl FrameErrorKind {
    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            FrameErrorKind::BadFlag => "not a data frame (flag is not 0 or 1)",
            FrameErrorKind::BadTrId => "bad TR ID field",
            FrameErrorKind::BadCount => "bad record count",
            FrameErrorKind::EmptyPayload => "no payload",
            FrameErrorKind::Base64 => "encrypted payload is not base64",
            FrameErrorKind::CipherLength => "encrypted payload is not a whole number of AES blocks",
            FrameErrorKind::Padding => "decryption failed (bad padding: wrong key/iv or damaged)",
            FrameErrorKind::Utf8 => "decrypted payload is not UTF-8",
            FrameErrorKind::NoCipherKey => "encrypted frame but no AES key/iv for its TR",
            FrameErrorKind::UnknownTr => "frame of a TR the catalog does not know",
            FrameErrorKind::BadControl => "JSON message that is not a KIS control message",
        }
    }
}

/// A frame that could not be read: what was wrong, the TR ID when the header got that far, and
/// the start of the frame (never decrypted content, never a control message's keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// What was wrong.
    pub kind: FrameErrorKind,
    /// The frame's TR ID, when it could be read.
    pub tr_id: Option<String>,
    /// The first characters of the frame (empty for control messages, which may carry keys).
    pub excerpt: String,
}

impl FrameError {
    pub(crate) fn new(kind: FrameErrorKind, tr_id: Option<&str>, frame: &str) -> Self {
        FrameError {
            kind,
            tr_id: tr_id.map(str::to_owned),
            excerpt: excerpt(frame, 48),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed realtime frame")?;
        if let Some(t) = &self.tr_id {
            write!(f, " of {t}")?;
        }
        write!(f, ": {}", self.kind.describe())?;
        if !self.excerpt.is_empty() {
            write!(f, " (frame {:?})", self.excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for FrameError {}

/// At most `max` bytes of `s`, cut at a character boundary, with `...` when shortened.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 3);
    out.push_str(s.get(..end).unwrap_or(""));
    out.push_str("...");
    out
}

/// A realtime failure. Returned by [`Session`](crate::realtime::Session) calls inside
/// [`Error::Realtime`](crate::Error::Realtime), and yielded as an item by subscription streams
/// and the frame tap (where it never ends the stream by itself, except
/// [`RealtimeError::Rejected`] after a reconnect and [`RealtimeError::Closed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RealtimeError {
    /// KIS refused a subscribe or unsubscribe request (`msg_cd` such as `OPSP0008` MAX SUBSCRIBE
    /// OVER, `OPSP8996` approval key already in use, `OPSP0011` invalid approval key).
    Rejected {
        /// The TR ID of the request.
        tr_id: String,
        /// KIS's message code (scrubbed like `msg1`).
        msg_cd: String,
        /// KIS's message, without the session's credentials, approval key and HTS id or
        /// anything credential-shaped (a server may echo the request), cut to 200 characters.
        msg1: String,
        /// Whether the refused request was an unsubscribe.
        unsubscribe: bool,
    },
    /// The session already holds its maximum number of subscriptions (KIS allows about 40 per
    /// session, see [`MAX_SUBSCRIPTIONS`](crate::realtime::MAX_SUBSCRIPTIONS)); nothing was sent.
    TooManySubscriptions {
        /// The TR ID that was not subscribed.
        tr_id: String,
        /// The session's limit.
        limit: usize,
    },
    /// The subscription key cannot be sent (empty, too long, control characters or the frame
    /// separators `|` and `^`); nothing was sent.
    InvalidKey {
        /// The TR ID.
        tr_id: String,
        /// Why.
        reason: &'static str,
    },
    /// An execution-notice TR (keyed by the HTS id) was subscribed without a configured HTS id.
    NoHtsId {
        /// The TR ID.
        tr_id: String,
    },
    /// [`Session::subscribe_notices`](crate::realtime::Session::subscribe_notices) with a TR that is keyed
    /// by a product code, or a subscription of an endpoint that is not a realtime TR.
    WrongTr {
        /// The endpoint id.
        endpoint: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// KIS did not answer a subscribe or unsubscribe request in time.
    Timeout {
        /// The TR ID of the request.
        tr_id: String,
        /// How long the request waited.
        waited: Duration,
    },
    /// The WebSocket connection could not be opened.
    Connect {
        /// The WebSocket URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A frame that could not be read; it was skipped.
    Frame(FrameError),
    /// A record of a frame that could not be read: fields that do not split into the frame's
    /// records, or a value not of its column's type (the error names the column and the value). Frames never
    /// carry this; it is what `?` makes of a [`RecordError`] from
    /// [`Frame::records`](crate::realtime::Frame::records).
    Record(RecordError),
    /// The consumer did not keep up: this many frames were dropped from its buffer (see
    /// [`SessionBuilder::buffer`](crate::realtime::SessionBuilder::buffer)).
    Lagged {
        /// Frames dropped since the last delivered item.
        skipped: u64,
    },
    /// The session is closed (by [`Session::close`](crate::realtime::Session::close), or after the
    /// reconnect policy gave up).
    Closed {
        /// Why, when it was not closed on request.
        reason: Option<String>,
    },
}

// Display, source and From by hand, as for `crate::Error`
impl fmt::Display for RealtimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealtimeError::Rejected {
                tr_id,
                msg_cd,
                msg1,
                unsubscribe,
            } => {
                let what = if *unsubscribe {
                    "unsubscribe"
                } else {
                    "subscription"
                };
                write!(
                    f,
                    "{tr_id}: KIS refused the {what}: {msg_cd} {}",
                    msg1.trim()
                )
            }
            RealtimeError::TooManySubscriptions { tr_id, limit } => write!(
                f,
                "{tr_id}: the session already holds {limit} subscriptions, the per-session limit; unsubscribe one first (nothing was sent)"
            ),
            RealtimeError::InvalidKey { tr_id, reason } => {
                write!(f, "{tr_id}: invalid subscription key: {reason}")
            }
            RealtimeError::NoHtsId { tr_id } => write!(
                f,
                "{tr_id}: execution notices are keyed by the HTS id and the client has none (ClientBuilder::hts_id, KIS_HTS_ID or my_htsid)"
            ),
            RealtimeError::WrongTr { endpoint, reason } => write!(f, "{endpoint}: {reason}"),
            RealtimeError::Timeout { tr_id, waited } => {
                write!(f, "{tr_id}: no answer from KIS within {waited:?}")
            }
            RealtimeError::Connect { url, reason } => {
                write!(f, "cannot connect to {url}: {reason}")
            }
            RealtimeError::Frame(e) => e.fmt(f),
            RealtimeError::Record(e) => write!(f, "realtime record: {e}"),
            RealtimeError::Lagged { skipped } => {
                write!(f, "the consumer fell behind: {skipped} frame(s) dropped")
            }
            RealtimeError::Closed { reason } => {
                f.write_str("the realtime session is closed")?;
                if let Some(r) = reason {
                    write!(f, ": {r}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RealtimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // the frame error stands for this one (its message is this one's)
            RealtimeError::Frame(e) => e.source(),
            RealtimeError::Record(e) => Some(e),
            _ => None,
        }
    }
}

impl From<FrameError> for RealtimeError {
    fn from(e: FrameError) -> Self {
        RealtimeError::Frame(e)
    }
}

impl From<RecordError> for RealtimeError {
    fn from(e: RecordError) -> Self {
        RealtimeError::Record(e)
    }
}

impl From<RecordError> for crate::Error {
    fn from(e: RecordError) -> Self {
        crate::Error::Realtime(RealtimeError::Record(e))
    }
}

impl From<FrameError> for crate::Error {
    fn from(e: FrameError) -> Self {
        crate::Error::Realtime(RealtimeError::Frame(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_char_boundaries() {
        assert_eq!(excerpt("short", 48), "short");
        let korean = "체결".repeat(20);
        let e = excerpt(&korean, 10);
        assert!(e.ends_with("..."));
        assert!(e.len() <= 13);
        assert_eq!(excerpt("abcdef", 0), "...");
    }

    #[test]
    fn messages_name_the_tr_and_the_problem() {
        let e = FrameError::new(FrameErrorKind::BadCount, Some("H0STCNT0"), "0|H0STCNT0|x|1");
        let s = e.to_string();
        assert!(s.contains("H0STCNT0") && s.contains("record count"), "{s}");
        let r = RealtimeError::Rejected {
            tr_id: "H0STCNT0".into(),
            msg_cd: "OPSP0008".into(),
            msg1: "MAX SUBSCRIBE OVER  ".into(),
            unsubscribe: false,
        };
        assert_eq!(
            r.to_string(),
            "H0STCNT0: KIS refused the subscription: OPSP0008 MAX SUBSCRIBE OVER"
        );
        let e: crate::Error = RecordError::Uneven {
            fields: 47,
            count: 2,
        }
        .into();
        assert!(
            matches!(e, crate::Error::Realtime(RealtimeError::Record(_))),
            "{e:?}"
        );
        assert!(e.to_string().contains("47 fields"), "{e}");
    }
}
