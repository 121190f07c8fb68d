//! Data frames: `flag|tr_id|count|payload`, parsed and decrypted into [`RawFrame`] and the
//! typed [`Frame`]. Their untyped records are read in `raw_records.rs`, JSON control messages
//! in `control.rs`.
//!
//! A data frame's `payload` holds `count` records of `^`-separated fields, back to back; with
//! flag `1` it is base64 of AES-256-CBC. The parser splits the header with `memchr`, decrypts
//! when needed and hands the payload, unchanged and borrowed, to the record iterators: reading a
//! field never allocates.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::control::parse_control;
use super::crypto::CipherKey;
use super::known_secrets::KnownSecrets;
use super::raw_records::RawRecords;
use crate::decode::{RealtimeRecords, realtime_records};
use crate::endpoint::RealtimeTr;
use crate::meta::{EndpointMeta, TrKeyMeaning};
use crate::realtime_error::{FrameError, FrameErrorKind, excerpt};

/// Longest TR ID accepted in a frame header (KIS's are 8 characters).
const MAX_TR_ID: usize = 32;
/// Longest record count field accepted (KIS sends 3 digits, `001`).
const MAX_COUNT_DIGITS: usize = 4;

/// The header of a data frame, borrowing from the frame text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader<'a> {
    /// Flag `1`: the payload is encrypted.
    pub encrypted: bool,
    /// The TR ID.
    pub tr_id: &'a str,
    /// Records in the payload.
    pub count: usize,
    /// The payload as sent (base64 when encrypted).
    pub payload: &'a str,
}

/// Splits a data frame `flag|tr_id|count|payload` and checks its header: flag `0` or `1`, an
/// alphanumeric TR ID, a count of 1 to 4 digits that is not zero, and a payload. The payload may
/// itself contain `|`.
///
/// ```
/// use kis_api::realtime::parse_frame;
///
/// let h = parse_frame("0|H0STCNT0|002|005930^093354^71900^005930^093355^72000")?;
/// assert_eq!((h.tr_id, h.count, h.encrypted), ("H0STCNT0", 2, false));
/// assert!(parse_frame("2|H0STCNT0|001|x").is_err());
/// # Ok::<(), kis_api::realtime::FrameError>(())
/// ```
pub fn parse_frame(text: &str) -> Result<FrameHeader<'_>, FrameError> {
    let err = |kind, tr: Option<&str>| FrameError::new(kind, tr, text);
    let (flag, rest) = split_bar(text).ok_or_else(|| err(FrameErrorKind::BadFlag, None))?;
    let encrypted = match flag {
        "0" => false,
        "1" => true,
        _ => return Err(err(FrameErrorKind::BadFlag, None)),
    };
    let (tr_id, rest) = split_bar(rest).ok_or_else(|| err(FrameErrorKind::BadTrId, None))?;
    if tr_id.is_empty()
        || tr_id.len() > MAX_TR_ID
        || !tr_id.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(err(FrameErrorKind::BadTrId, None));
    }
    let (count, payload) =
        split_bar(rest).ok_or_else(|| err(FrameErrorKind::BadCount, Some(tr_id)))?;
    if count.is_empty()
        || count.len() > MAX_COUNT_DIGITS
        || !count.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err(FrameErrorKind::BadCount, Some(tr_id)));
    }
    let count: usize = match count.parse() {
        Ok(n) if n > 0 => n,
        _ => return Err(err(FrameErrorKind::BadCount, Some(tr_id))),
    };
    if payload.is_empty() {
        return Err(err(FrameErrorKind::EmptyPayload, Some(tr_id)));
    }
    Ok(FrameHeader {
        encrypted,
        tr_id,
        count,
        payload,
    })
}

/// `(before, after)` the first `|`.
#[inline]
fn split_bar(s: &str) -> Option<(&str, &str)> {
    let p = memchr::memchr(b'|', s.as_bytes())?;
    Some((s.get(..p)?, s.get(p + 1..)?))
}

/// The first field of a payload (up to the first `^`): the product code or HTS id for most TRs.
#[inline]
pub(crate) fn first_field(payload: &str) -> &str {
    match crate::decode::find_caret(payload.as_bytes()) {
        Some(p) => payload.get(..p).unwrap_or(payload),
        None => payload,
    }
}

/// One realtime data frame, owned: its TR, record count, the subscription key it belongs to and
/// the (decrypted) payload. Cloning is cheap (the text is reference-counted).
///
/// The untyped view, for tools that pick TRs at run time; typed code gets [`Frame`].
#[derive(Clone)]
pub struct RawFrame {
    /// The frame text; for an encrypted frame its header followed by the decrypted payload.
    text: Utf8Bytes,
    tr_end: usize,
    payload_start: usize,
    count: usize,
    encrypted: bool,
    key: Option<Arc<str>>,
    meta: Option<&'static EndpointMeta>,
    connection: u64,
}

impl RawFrame {
    /// Parses (and, with `cipher`, decrypts) one data frame, e.g. a recorded one. The session
    /// does this itself for every frame it receives.
    ///
    /// ```
    /// use kis_api::realtime::RawFrame;
    ///
    /// let f = RawFrame::parse("0|H0STCNT0|001|005930^093354^71900", None)?;
    /// assert_eq!(f.payload(), "005930^093354^71900");
    /// let fields: Vec<_> = f.records().flat_map(|r| r.map(|r| r.fields().count())).collect();
    /// assert_eq!(fields, [3]);
    /// # Ok::<(), kis_api::realtime::FrameError>(())
    /// ```
    pub fn parse(text: &str, cipher: Option<&CipherKey>) -> Result<RawFrame, FrameError> {
        RawFrame::from_text(Utf8Bytes::from(text), |_| cipher)
    }

    /// Builds a frame from a received text message; `cipher` gives the key of a TR.
    pub(crate) fn from_text<'k>(
        text: Utf8Bytes,
        cipher: impl FnOnce(&str) -> Option<&'k CipherKey>,
    ) -> Result<RawFrame, FrameError> {
        let h = parse_frame(text.as_str())?;
        let payload_start = text.len() - h.payload.len();
        let tr_end = 2 + h.tr_id.len();
        let (count, encrypted) = (h.count, h.encrypted);
        let text = if encrypted {
            let fail = |kind| FrameError::new(kind, Some(h.tr_id), text.as_str());
            let key = cipher(h.tr_id).ok_or_else(|| fail(FrameErrorKind::NoCipherKey))?;
            // one allocation: the header, then the plaintext decrypted in place after it
            let mut buf = Vec::with_capacity(text.len());
            buf.extend_from_slice(text.as_bytes().get(..payload_start).unwrap_or_default());
            key.decrypt_append(h.payload, &mut buf).map_err(fail)?;
            if buf.len() == payload_start {
                return Err(fail(FrameErrorKind::EmptyPayload));
            }
            Utf8Bytes::from(String::from_utf8(buf).map_err(|_| fail(FrameErrorKind::Utf8))?)
        } else {
            text
        };
        Ok(RawFrame {
            text,
            tr_end,
            payload_start,
            count,
            encrypted,
            key: None,
            meta: None,
            connection: 0,
        })
    }

    pub(crate) fn routed(
        mut self,
        key: Option<Arc<str>>,
        meta: &'static EndpointMeta,
        connection: u64,
    ) -> Self {
        self.key = key;
        self.meta = Some(meta);
        self.connection = connection;
        self
    }

    /// The TR ID of the frame (`H0STCNT0`).
    pub fn tr_id(&self) -> &str {
        self.text.as_str().get(2..self.tr_end).unwrap_or("")
    }

    /// Records in the payload, as the header announces.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether the frame came encrypted (it is decrypted by now).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// The payload: `count` records of `^`-separated fields, decrypted.
    pub fn payload(&self) -> &str {
        self.text.as_str().get(self.payload_start..).unwrap_or("")
    }

    /// The key of the subscription the frame belongs to (product code or HTS id); `None` when
    /// several subscriptions of its TR are open and the frame's first field names none of them,
    /// or for a frame built with [`RawFrame::parse`].
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The catalog entry of the frame's TR (columns, labels, types), when known.
    pub fn meta(&self) -> Option<&'static EndpointMeta> {
        self.meta
    }

    /// Which connection of the session delivered the frame: 1 for the first, then one more per
    /// reconnect. A change tells a consumer that frames may have been missed in between.
    pub fn connection(&self) -> u64 {
        self.connection
    }

    /// The records, untyped: each a list of fields, paired with the catalog's columns when the
    /// TR is known. Extra trailing fields are kept; a record shorter than the catalog holds the
    /// fields present ([`RawFrame::missing_columns`] counts the rest). Fields that do not split
    /// into `count` records are a [`RecordError`](crate::decode::RecordError).
    pub fn records(&self) -> RawRecords<'_> {
        let columns = self.meta.map(|m| m.columns).unwrap_or(&[]);
        RawRecords::new(self.payload(), self.count, columns)
    }

    /// The records decoded as TR `T`, or `None` when the frame is of another TR.
    pub fn decode<T: RealtimeTr>(&self) -> Option<RealtimeRecords<'_, T::Record<'_>>> {
        T::META
            .has_tr_id(self.tr_id())
            .then(|| realtime_records(self.payload(), self.count, T::META.catalog))
    }

    /// Columns each record has beyond the catalog's: KIS appends fields over time; records keep
    /// them and typed records skip them, so they are counted here to be noticed. `None` when the
    /// TR is not in the catalog; 0 when the payload does not split into its records.
    pub fn extra_columns(&self) -> Option<usize> {
        self.meta.map(|_| self.records().extra_columns())
    }

    /// Columns of the catalog's each record lacks: KIS changes layouts without notice, and the
    /// records hold what was sent, so the shortfall is counted here to be noticed. `None` when
    /// the TR is not in the catalog; 0 when the payload does not split into its records.
    pub fn missing_columns(&self) -> Option<usize> {
        self.meta.map(|_| self.records().missing_columns())
    }

    fn redacted(&self) -> bool {
        self.encrypted || self.meta.and_then(|m| m.tr_key) == Some(TrKeyMeaning::HtsId)
    }
}

impl fmt::Debug for RawFrame {
    // execution notices carry the HTS id and account numbers: their key and payload never show
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = self.redacted();
        let mut d = f.debug_struct("RawFrame");
        d.field("tr_id", &self.tr_id())
            .field("count", &self.count)
            .field("encrypted", &self.encrypted)
            .field("connection", &self.connection);
        if redacted {
            d.field("key", &self.key.as_ref().map(|_| crate::Redacted))
                .field("payload", &crate::Redacted);
        } else {
            d.field("key", &self.key.as_deref())
                .field("payload", &excerpt(self.payload(), 80));
        }
        d.finish()
    }
}

/// A data frame of TR `T`: owns its (decrypted) payload and lends typed records borrowing from
/// it.
///
/// ```no_run
/// # async fn run(session: kis_api::realtime::Session) -> kis_api::Result<()> {
/// use kis_api::domestic_stock::H0STCNT0;
///
/// let mut ticks = session.subscribe(H0STCNT0, "005930").await?;
/// while let Some(frame) = ticks.recv().await {
///     let frame = frame?;
///     for record in frame.records() {
///         let r = record?;
///         println!("{} {:?} {:?}", r.mksc_shrn_iscd, r.stck_cntg_hour, r.stck_prpr);
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Frame<T> {
    raw: RawFrame,
    _tr: PhantomData<fn() -> T>,
}

impl<T> Clone for Frame<T> {
    fn clone(&self) -> Self {
        Frame {
            raw: self.raw.clone(),
            _tr: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Frame<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

impl<T: RealtimeTr> Frame<T> {
    pub(crate) fn new(raw: RawFrame) -> Self {
        Frame {
            raw,
            _tr: PhantomData,
        }
    }

    /// The typed records, in order: `count` of them, each borrowing its text from the frame.
    /// Extra trailing columns are ignored; when the frame has fewer columns than the catalog
    /// lists, the columns it lacks read as `None` (`""` for text) and
    /// [`Frame::missing_columns`] counts them.
    pub fn records(&self) -> RealtimeRecords<'_, T::Record<'_>> {
        realtime_records(self.raw.payload(), self.raw.count(), T::META.catalog)
    }

    /// Columns each record has beyond the catalog's (KIS appends fields over time): the typed
    /// records skip them, so they are counted here to be noticed. 0 when the payload does not
    /// split into its records.
    pub fn extra_columns(&self) -> usize {
        self.records().extra_columns()
    }

    /// Columns of the catalog's each record lacks (KIS changes layouts without notice): the
    /// typed records leave them empty, so they are counted here to be noticed. 0 when the
    /// payload does not split into its records.
    pub fn missing_columns(&self) -> usize {
        self.records().missing_columns()
    }

    /// The TR ID (the environment's: `H0STCNI9` in demo for `H0STCNI0`).
    pub fn tr_id(&self) -> &str {
        self.raw.tr_id()
    }

    /// The subscription key (product code or HTS id), when known; see [`RawFrame::key`].
    pub fn key(&self) -> Option<&str> {
        self.raw.key()
    }

    /// Records announced by the header.
    pub fn count(&self) -> usize {
        self.raw.count()
    }

    /// The decrypted payload.
    pub fn payload(&self) -> &str {
        self.raw.payload()
    }

    /// Whether the frame came encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.raw.is_encrypted()
    }

    /// Which connection of the session delivered it; see [`RawFrame::connection`].
    pub fn connection(&self) -> u64 {
        self.raw.connection()
    }

    /// The untyped frame.
    pub fn raw(&self) -> &RawFrame {
        &self.raw
    }

    /// Into the untyped frame.
    pub fn into_raw(self) -> RawFrame {
        self.raw
    }
}

/// Runs the frame and control-message parsers on `text` (header, decryption with `cipher`, untyped
/// records, control messages) and the scrubbing of server text, and checks their invariants,
/// panicking only when one breaks. The
/// entry point of the fuzz target in `kis-api/fuzz`; not part of the API.
#[doc(hidden)]
pub fn fuzz_one(text: &str, cipher: &CipherKey) {
    if let Ok(h) = parse_frame(text) {
        assert!(h.count >= 1 && !h.payload.is_empty() && !h.tr_id.is_empty());
        assert!(text.ends_with(h.payload));
    }
    for key in [None, Some(cipher)] {
        let Ok(f) = RawFrame::parse(text, key) else {
            continue;
        };
        let fields = f.payload().split('^').count();
        let mut ok = 0;
        for r in f.records().flatten() {
            ok += 1;
            assert_eq!(r.fields().count(), r.len());
        }
        assert!(ok <= f.count());
        if ok > 0 {
            assert!(
                fields.is_multiple_of(f.count()),
                "records from an uneven payload"
            );
        }
        let _ = format!("{f:?}");
    }
    let _ = parse_control(text);
    // server text keeps no known secret once scrubbed, wherever in it the secret sits
    const APP_KEY: &str = "PSfuzzAppKey";
    const APPROVAL: &str = "fuzz-approval";
    let secrets = KnownSecrets::new([APP_KEY], APPROVAL);
    let echoed = format!("{text}{APPROVAL}{text}{APP_KEY}");
    for shown in [
        secrets.scrub(text),
        secrets.scrub(&echoed),
        secrets.excerpt(&echoed),
    ] {
        assert!(
            !shown.contains(APP_KEY) && !shown.contains(APPROVAL),
            "a secret survived scrubbing"
        );
    }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
