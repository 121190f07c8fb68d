//! Frames: `flag|tr_id|count|payload` data frames and JSON control messages.
//!
//! A data frame's `payload` holds `count` records of `^`-separated fields, back to back; with
//! flag `1` it is base64 of AES-256-CBC. The parser splits the header with `memchr`, decrypts
//! when needed and hands the payload, unchanged and borrowed, to the record iterators: reading a
//! field never allocates.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::crypto::{CipherKey, CipherKeyError};
use super::error::{FrameError, FrameErrorKind, excerpt};
use crate::decode::{RealtimeRecords, RecordError, realtime_records};
use crate::endpoint::RealtimeTr;
use crate::meta::{EndpointMeta, FieldMeta, TrKeyMeaning};

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
    /// TR is known. Extra trailing fields are kept; missing ones are a [`RecordError`].
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
    /// Extra trailing columns are ignored; a frame with fewer columns than the catalog lists
    /// gives [`RecordError::MissingColumns`] instead of records.
    pub fn records(&self) -> RealtimeRecords<'_, T::Record<'_>> {
        realtime_records(self.raw.payload(), self.raw.count(), T::META.catalog)
    }

    /// Columns each record has beyond the catalog's (KIS appends fields over time): the typed
    /// records skip them, so they are counted here to be noticed. 0 when the payload does not
    /// split into its records.
    pub fn extra_columns(&self) -> usize {
        self.records().extra_columns()
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

/// Iterator over the untyped records of a frame; see [`RawFrame::records`].
#[derive(Debug, Clone)]
pub struct RawRecords<'a> {
    rest: &'a str,
    remaining: usize,
    width: usize,
    columns: &'static [FieldMeta],
    error: Option<RecordError>,
}

impl<'a> RawRecords<'a> {
    /// Columns each record has beyond the catalog's (all of them for a TR the catalog does not
    /// know); 0 when the payload does not split into its records.
    pub fn extra_columns(&self) -> usize {
        match self.error {
            Some(_) => 0,
            None => self.width.saturating_sub(self.columns.len()),
        }
    }

    fn new(payload: &'a str, count: usize, columns: &'static [FieldMeta]) -> Self {
        let total = if payload.is_empty() {
            0
        } else {
            memchr::memchr_iter(b'^', payload.as_bytes()).count() + 1
        };
        let width = total.checked_div(count).unwrap_or(0);
        let error = if count == 0 {
            None
        } else if total == 0 || !total.is_multiple_of(count) {
            Some(RecordError::Uneven {
                fields: total,
                count,
            })
        } else if width < columns.len() {
            Some(RecordError::MissingColumns {
                expected: columns.len(),
                found: width,
            })
        } else {
            None
        };
        RawRecords {
            rest: payload,
            remaining: count,
            width,
            columns,
            error,
        }
    }
}

impl<'a> Iterator for RawRecords<'a> {
    type Item = Result<RawRecord<'a>, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if let Some(e) = self.error.take() {
            self.remaining = 0;
            return Some(Err(e));
        }
        // the record ends at the width-th separator (or at the end of the payload)
        let end = match self.width.checked_sub(1) {
            Some(n) => memchr::memchr_iter(b'^', self.rest.as_bytes()).nth(n),
            None => None,
        };
        let (text, rest) = match end {
            Some(p) => (
                self.rest.get(..p).unwrap_or(""),
                self.rest.get(p + 1..).unwrap_or(""),
            ),
            None => (self.rest, ""),
        };
        self.rest = rest;
        Some(Ok(RawRecord {
            text,
            width: self.width,
            columns: self.columns,
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// One untyped record: its fields, and the catalog's columns when known.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    text: &'a str,
    width: usize,
    columns: &'static [FieldMeta],
}

impl<'a> RawRecord<'a> {
    /// The fields in order (extra trailing ones included).
    pub fn fields(&self) -> std::str::Split<'a, char> {
        self.text.split('^')
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.width
    }

    /// Whether the record has no fields (never, for a frame that parsed).
    pub fn is_empty(&self) -> bool {
        self.width == 0
    }

    /// Field `index`.
    pub fn get(&self, index: usize) -> Option<&'a str> {
        self.fields().nth(index)
    }

    /// The fields paired with the catalog's columns (`None` past the known columns).
    pub fn columns(&self) -> impl Iterator<Item = (Option<&'static FieldMeta>, &'a str)> + 'a {
        let columns = self.columns;
        self.fields()
            .enumerate()
            .map(move |(i, v)| (columns.get(i), v))
    }

    /// The record's text, `^`-separated.
    pub fn as_str(&self) -> &'a str {
        self.text
    }
}

/// A JSON message from the server.
#[derive(Debug)]
pub(crate) enum Control {
    /// The heartbeat: echo the text back unchanged.
    PingPong,
    /// The answer to a subscribe or unsubscribe request (boxed: it holds an AES key schedule).
    Reply(Box<Reply>),
}

/// A subscribe/unsubscribe answer. `Debug` leaves out the AES key.
pub(crate) struct Reply {
    pub(crate) tr_id: String,
    pub(crate) tr_key: String,
    pub(crate) rt_cd: String,
    pub(crate) msg_cd: String,
    pub(crate) msg1: String,
    /// `None` when the reply has no `output.key`/`output.iv`.
    pub(crate) cipher: Option<Result<CipherKey, CipherKeyError>>,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("tr_id", &self.tr_id)
            .field("rt_cd", &self.rt_cd)
            .field("msg_cd", &self.msg_cd)
            .field("msg1", &self.msg1)
            .field("cipher", &self.cipher.as_ref().map(|c| c.is_ok()))
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct MsgIn<'a> {
    #[serde(borrow, default)]
    header: Option<HeaderIn<'a>>,
    #[serde(borrow, default)]
    body: Option<BodyIn<'a>>,
}

#[derive(serde::Deserialize)]
struct HeaderIn<'a> {
    #[serde(borrow, default)]
    tr_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tr_key: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct BodyIn<'a> {
    #[serde(borrow, default)]
    rt_cd: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    msg_cd: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    msg1: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    output: Option<OutputIn<'a>>,
}

#[derive(serde::Deserialize)]
struct OutputIn<'a> {
    #[serde(borrow, default)]
    key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    iv: Option<Cow<'a, str>>,
}

/// Reads a JSON control message. The error never quotes the message (it may carry keys).
pub(crate) fn parse_control(text: &str) -> Result<Control, FrameError> {
    let bad = || FrameError::new(FrameErrorKind::BadControl, None, "");
    let m: MsgIn<'_> = serde_json::from_str(text).map_err(|_| bad())?;
    let header = m.header.ok_or_else(bad)?;
    let tr_id = header.tr_id.unwrap_or_default();
    if tr_id.trim() == "PINGPONG" {
        return Ok(Control::PingPong);
    }
    let Some(body) = m.body else {
        return Err(FrameError {
            kind: FrameErrorKind::BadControl,
            tr_id: Some(tr_id.into_owned()),
            excerpt: String::new(),
        });
    };
    let cipher = body.output.and_then(|o| match (o.key, o.iv) {
        (Some(k), Some(iv)) if !k.is_empty() && !iv.is_empty() => {
            Some(CipherKey::from_reply(&k, &iv))
        }
        _ => None,
    });
    let s = |c: Option<Cow<'_, str>>| c.map(Cow::into_owned).unwrap_or_default();
    Ok(Control::Reply(Box::new(Reply {
        tr_id: tr_id.trim().to_owned(),
        tr_key: header.tr_key.as_deref().unwrap_or("").trim().to_owned(),
        rt_cd: s(body.rt_cd),
        msg_cd: s(body.msg_cd),
        msg1: s(body.msg1),
        cipher,
    })))
}

/// Runs the parsers of this module on `text` (header, decryption with `cipher`, untyped
/// records, control messages) and checks their invariants, panicking only when one breaks. The
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::crypto::tests::{IV, KEY, encrypt};

    fn key() -> CipherKey {
        CipherKey::from_reply(KEY, IV).expect("key")
    }

    #[test]
    fn headers_split_and_check() {
        let h = parse_frame("1|H0STCNI0|001|abc|def").expect("valid");
        assert_eq!(
            h,
            FrameHeader {
                encrypted: true,
                tr_id: "H0STCNI0",
                count: 1,
                payload: "abc|def",
            }
        );
        let bad = [
            ("", FrameErrorKind::BadFlag),
            ("0", FrameErrorKind::BadFlag),
            ("2|H0STCNT0|001|a", FrameErrorKind::BadFlag),
            ("01|H0STCNT0|001|a", FrameErrorKind::BadFlag),
            ("0|H0STCNT0", FrameErrorKind::BadTrId),
            ("0||001|a", FrameErrorKind::BadTrId),
            ("0|H0 STCNT0|001|a", FrameErrorKind::BadTrId),
            ("0|H0STCNT0|001", FrameErrorKind::BadCount),
            ("0|H0STCNT0|abc|a", FrameErrorKind::BadCount),
            ("0|H0STCNT0|000|a", FrameErrorKind::BadCount),
            ("0|H0STCNT0|-01|a", FrameErrorKind::BadCount),
            ("0|H0STCNT0|12345|a", FrameErrorKind::BadCount),
            ("0|H0STCNT0||a", FrameErrorKind::BadCount),
            ("0|H0STCNT0|001|", FrameErrorKind::EmptyPayload),
        ];
        for (text, kind) in bad {
            let e = parse_frame(text).expect_err(text);
            assert_eq!(e.kind, kind, "{text}");
        }
        let e = parse_frame("0|H0STCNT0|abc|a").expect_err("bad count");
        assert_eq!(e.tr_id.as_deref(), Some("H0STCNT0"));
    }

    #[test]
    fn multi_record_payloads_split_untyped() {
        let f = RawFrame::parse("0|H0STCNT0|003|A^1^x^B^2^y^C^3^z", None).expect("frame");
        let recs: Vec<Vec<&str>> = f
            .records()
            .map(|r| r.expect("record").fields().collect())
            .collect();
        assert_eq!(
            recs,
            [["A", "1", "x"], ["B", "2", "y"], ["C", "3", "z"]].map(|r| r.to_vec())
        );
        let uneven = RawFrame::parse("0|H0STCNT0|002|A^1^x^B^2", None).expect("frame");
        let r: Vec<_> = uneven.records().collect();
        assert_eq!(
            r.len(),
            1,
            "one error, then nothing: the records cannot be told apart"
        );
        assert!(matches!(
            r[0],
            Err(RecordError::Uneven {
                fields: 5,
                count: 2
            })
        ));
    }

    #[test]
    fn encrypted_frames_decrypt_once_into_an_owned_payload() {
        let plain = "suiteuser^5001234501^0000012345";
        let text = format!("1|H0STCNI0|001|{}", encrypt(KEY, IV, plain));
        let k = key();
        let f = RawFrame::parse(&text, Some(&k)).expect("decrypts");
        assert!(f.is_encrypted());
        assert_eq!((f.tr_id(), f.count(), f.payload()), ("H0STCNI0", 1, plain));
        let dbg = format!("{f:?}");
        assert!(
            !dbg.contains("suiteuser") && !dbg.contains("5001234501"),
            "{dbg}"
        );
        // no key: reported, not decrypted
        let e = RawFrame::parse(&text, None).expect_err("no key");
        assert_eq!(e.kind, FrameErrorKind::NoCipherKey);
        // wrong key, garbage, truncated
        let wrong = CipherKey::from_reply("ZYXWVUTSRQPONMLKJIHGFEDCBA543210", IV).expect("key");
        assert!(RawFrame::parse(&text, Some(&wrong)).is_err());
        let e = RawFrame::parse("1|H0STCNI0|001|%%%", Some(&k)).expect_err("garbage");
        assert_eq!(e.kind, FrameErrorKind::Base64);
        let cut = &text[..text.len() - 5];
        assert!(RawFrame::parse(cut, Some(&k)).is_err());
        // an encrypted empty string is no payload
        let empty = format!("1|H0STCNI0|001|{}", encrypt(KEY, IV, ""));
        let e = RawFrame::parse(&empty, Some(&k)).expect_err("empty");
        assert_eq!(e.kind, FrameErrorKind::EmptyPayload);
    }

    #[test]
    fn plain_frames_show_in_debug() {
        let f = RawFrame::parse("0|H0STCNT0|001|005930^093354^71900", None).expect("frame");
        let dbg = format!("{f:?}");
        assert!(
            dbg.contains("H0STCNT0") && dbg.contains("005930^093354"),
            "{dbg}"
        );
    }

    #[test]
    fn control_messages() {
        let ping = r#"{"header":{"tr_id":"PINGPONG","datetime":"20240102093000"}}"#;
        assert!(matches!(parse_control(ping), Ok(Control::PingPong)));
        let reply = format!(
            r#"{{"header":{{"tr_id":"H0STCNI0","tr_key":"suiteuser","encrypt":"Y"}},"body":{{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"SUBSCRIBE SUCCESS","output":{{"iv":"{IV}","key":"{KEY}"}}}}}}"#
        );
        let Ok(Control::Reply(r)) = parse_control(&reply) else {
            panic!("a reply")
        };
        assert_eq!(
            (r.tr_id.as_str(), r.tr_key.as_str(), r.msg_cd.as_str()),
            ("H0STCNI0", "suiteuser", "OPSP0000")
        );
        assert!(matches!(r.cipher, Some(Ok(_))));
        let dbg = format!("{r:?}");
        assert!(!dbg.contains(KEY) && !dbg.contains(IV), "{dbg}");
        // a reply with a key of the wrong size keeps the error for the session to report
        let short = r#"{"header":{"tr_id":"H0STCNI0"},"body":{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"","output":{"iv":"x","key":"y"}}}"#;
        let Ok(Control::Reply(r)) = parse_control(short) else {
            panic!("a reply")
        };
        assert!(matches!(r.cipher, Some(Err(_))));
        for bad in [
            "{",
            "{}",
            "[1,2]",
            r#"{"header":{"tr_id":"H0STCNT0"}}"#,
            r#"{"header":{"tr_id":5}}"#,
        ] {
            let e = parse_control(bad).expect_err(bad);
            assert_eq!(e.kind, FrameErrorKind::BadControl);
            assert!(e.excerpt.is_empty());
        }
    }

    #[test]
    fn first_fields() {
        assert_eq!(first_field("005930^093354"), "005930");
        assert_eq!(first_field("005930"), "005930");
        assert_eq!(first_field(""), "");
    }

    #[cfg(feature = "domestic-stock")]
    #[test]
    fn frames_count_the_columns_the_catalog_does_not_list() {
        use crate::domestic_stock::ccnl_krx;
        use crate::endpoint::RealtimeTr;

        let text = include_str!("../../fuzz/seeds/frame/tick_extra").trim();
        let columns = ccnl_krx::Tr::META.columns.len();
        let raw = RawFrame::parse(text, None).expect("frame");
        let fields = raw.payload().split('^').count();
        assert!(fields > columns, "the seed has extra columns");
        // a parsed frame does not know its TR's columns; the session's frames do
        assert_eq!(raw.extra_columns(), None);
        let known = RawFrame {
            meta: Some(ccnl_krx::Tr::META),
            ..raw.clone()
        };
        assert_eq!(known.extra_columns(), Some(fields - columns));
        let typed = Frame::<ccnl_krx::Tr>::new(raw);
        assert_eq!(typed.extra_columns(), fields - columns);
        // the extra columns are skipped, not fatal
        assert!(typed.records().all(|r| r.is_ok()));
        let plain = RawFrame::parse(include_str!("../../fuzz/seeds/frame/tick_one").trim(), None)
            .expect("frame");
        assert_eq!(Frame::<ccnl_krx::Tr>::new(plain).extra_columns(), 0);
    }
}
