//! Response decoding: KIS's all-string JSON into the generated types.
//!
//! Lenient where KIS is sloppy: blank or space-only values are `None`, a leading `+` is accepted,
//! the catalog's sentinels (`00000000` for "no date") are `None`, a block may arrive as an object
//! or as an array, `""`/`[]`/`{}`/`null` mean "no data" and block keys match case-insensitively.
//! Nothing is dropped silently: a key the catalog does not know and a value its type cannot read
//! are kept as [`Unrecognized`] (the typed field stays empty) for the reply to expose, and an
//! object block that arrives as an array of several records is a [`DecodeError`] naming the TR ID
//! and the block, as is a body that is not a KIS JSON object.
//!
//! Generated code implements [`Record`] (one block record), [`Body`] (a response body) and
//! [`RealtimeRecord`] (one realtime record). The value parsers are in `values`, the JSON visitors
//! in `json`, the realtime record splitting in `realtime` (feature `realtime`).

mod check;
mod fields;
mod json;
#[cfg(feature = "realtime")]
mod realtime;
mod report;
#[cfg(feature = "serde")]
mod ser;
mod values;

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess};

#[cfg(feature = "realtime")]
pub(crate) use report::warn_missing_columns;
pub(crate) use report::warn_new;
pub use report::{Unrecognized, UnrecognizedKind};

use crate::meta::{EndpointMeta, FieldMeta};

pub use check::{readable, unrecognized_in};
pub use fields::{
    CodeEnum, CodeSlot, FieldMut, FieldRef, clone_record, code_into, debug_record, records_eq,
};
pub use json::{field, field_text, many, one};
#[cfg(feature = "realtime")]
pub(crate) use realtime::find_caret;
#[cfg(feature = "realtime")]
pub use realtime::{RealtimeRecords, RecordError, realtime_records};
#[cfg(feature = "serde")]
pub use ser::{TypedValue, serialize_fields, serialize_record};
pub use values::*;

/// A response that could not be decoded: the TR ID, where in the body, the raw value and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// TR ID of the request.
    pub tr_id: String,
    /// Where: `output1[3].stck_prpr`, `ctx_area_fk100`, or empty when the body is not JSON at all.
    pub field: String,
    /// The raw value (possibly shortened), when a value was at fault.
    pub raw: Option<String>,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode {} response", self.tr_id)?;
        if !self.field.is_empty() {
            write!(f, " at {}", self.field)?;
        }
        if let Some(raw) = &self.raw {
            write!(f, ": raw value {raw:?}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for DecodeError {}

/// One record of an output block. Implemented by generated code.
pub trait Record: Default + Sized {
    /// The fields in catalog order.
    const FIELDS: &'static [FieldMeta];

    /// Field `index` (into [`Self::FIELDS`]), or `None` past the last.
    fn field(&self, index: usize) -> Option<FieldRef<'_>>;

    /// Field `index` (into [`Self::FIELDS`]) to store into, or `None` past the last.
    fn field_mut(&mut self, index: usize) -> Option<FieldMut<'_>>;

    /// Sets field `index` (into [`Self::FIELDS`]) from its raw value, read as the field's
    /// catalog type; an index past the last field is ignored.
    #[inline]
    fn set(&mut self, index: usize, raw: &str) -> Result<(), ValueError> {
        match (Self::FIELDS.get(index), self.field_mut(index)) {
            (Some(meta), Some(slot)) => fields::store(slot, meta.ty, raw),
            _ => Ok(()),
        }
    }
}

/// One realtime record, borrowing its text from the frame. Implemented by generated code.
pub trait RealtimeRecord<'a>: Default + Sized {
    /// The columns in frame order.
    const COLUMNS: &'static [FieldMeta];
    /// Sets column `index` from its raw value.
    fn set(&mut self, index: usize, raw: &'a str) -> Result<(), ValueError>;
}

/// A response body: blocks and top-level fields. Implemented by generated code.
pub trait Body: Default + Sized {
    /// Decodes the value of top-level `key` into `self`; `Ok(false)` when the key is not one of
    /// this body's (the caller then keeps it as an unknown key).
    fn entry<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        cx: &DecodeCx<'_>,
    ) -> Result<bool, A::Error>;

    /// The value of continuation key `index` (into the endpoint's `pagination`), for paginated
    /// endpoints.
    fn page_key(&self, index: usize) -> Option<&str> {
        let _ = index;
        None
    }
}

/// `rt_cd`, `msg_cd` and `msg1` of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `"0"` on success.
    pub rt_cd: String,
    /// Message code (`MCA00000`, `APBK0013`, `EGW00123`, ...).
    pub msg_cd: String,
    /// Message, as sent (KIS pads some with spaces).
    pub msg1: String,
}

impl Envelope {
    /// Whether the envelope says success.
    pub fn is_success(&self) -> bool {
        self.rt_cd.trim() == "0"
    }
}

/// Decoding context: which TR is being decoded, where the first error happened, and what the
/// catalog does not account for (unknown keys, unreadable values), in body order.
pub struct DecodeCx<'a> {
    tr_id: &'a str,
    meta: &'static EndpointMeta,
    error: RefCell<Option<DecodeError>>,
    found: RefCell<Vec<Unrecognized>>,
}

impl<'a> DecodeCx<'a> {
    /// A context for a response of `meta` sent with `tr_id`.
    pub fn new(tr_id: &'a str, meta: &'static EndpointMeta) -> Self {
        DecodeCx {
            tr_id,
            meta,
            error: RefCell::new(None),
            found: RefCell::new(Vec::new()),
        }
    }

    /// What the decode noticed but could not place: keys the catalog does not know and values
    /// their type cannot read, in body order.
    pub fn into_unrecognized(self) -> Vec<Unrecognized> {
        self.found.into_inner()
    }

    /// A key the catalog does not list, with its value.
    #[cold]
    #[inline(never)]
    fn unknown_key(
        &self,
        block: Option<&'static str>,
        row: Option<usize>,
        key: &[u8],
        value: serde_json::Value,
    ) {
        self.found.borrow_mut().push(Unrecognized::new(
            self.meta.id,
            block,
            row,
            String::from_utf8_lossy(key).into_owned(),
            UnrecognizedKind::UnknownKey,
            Some(value),
        ));
    }

    /// A catalog field whose value its type cannot read; the raw text is kept unless the field
    /// holds personal data.
    #[cold]
    #[inline(never)]
    fn unreadable(
        &self,
        block: Option<&'static str>,
        row: Option<usize>,
        field: &FieldMeta,
        err: ValueError,
    ) {
        self.unreadable_at(block, row, field.wire, field.redacted, err);
    }

    /// An unreadable top-level field `wire`.
    #[cold]
    #[inline(never)]
    fn unreadable_top(&self, wire: &str, err: ValueError) {
        // a field missing from the catalog's list is treated as personal data: nothing leaks
        let redacted = self
            .meta
            .body
            .iter()
            .find(|f| f.wire == wire)
            .is_none_or(|f| f.redacted);
        self.unreadable_at(None, None, wire, redacted, err);
    }

    fn unreadable_at(
        &self,
        block: Option<&'static str>,
        row: Option<usize>,
        wire: &str,
        redacted: bool,
        err: ValueError,
    ) {
        // a "no value" sentinel of the endpoint's catalog is no value, not an unreadable one
        if self.meta.catalog.is_sentinel(err.expected, &err.raw) {
            return;
        }
        let value = (!redacted).then_some(serde_json::Value::String(err.raw));
        self.found.borrow_mut().push(Unrecognized::new(
            self.meta.id,
            block,
            row,
            wire.to_string(),
            UnrecognizedKind::Unreadable(err.expected),
            value,
        ));
    }

    fn fail_shape<E: de::Error>(&self, field: String, reason: String) -> E {
        let msg = format!("{field}: {reason}");
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(DecodeError {
                tr_id: self.tr_id.to_string(),
                field,
                raw: None,
                reason,
            });
        }
        E::custom(msg)
    }
}

fn shorten(raw: &str) -> String {
    if raw.len() <= 120 {
        return raw.to_string();
    }
    let mut end = 117;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &raw[..end])
}

/// Decodes a whole response body: the envelope and the generated body type.
pub fn decode_body<B: Body>(bytes: &[u8], cx: &DecodeCx<'_>) -> Result<(Envelope, B), DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = de
        .deserialize_map(json::TopVisitor::<B> {
            cx,
            _p: PhantomData,
        })
        .and_then(|v| de.end().map(|()| v));
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(cx.error.borrow_mut().take().unwrap_or_else(|| DecodeError {
            tr_id: cx.tr_id.to_string(),
            field: String::new(),
            raw: None,
            reason: format!("not a KIS JSON body: {e}"),
        })),
    }
}

/// Decodes only the envelope of a body (for error responses whose blocks may not match).
pub fn decode_envelope(bytes: &[u8]) -> Option<Envelope> {
    #[derive(serde::Deserialize)]
    struct E<'a> {
        #[serde(borrow, default)]
        rt_cd: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        msg_cd: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        msg1: Option<Cow<'a, str>>,
    }
    let e: E<'_> = serde_json::from_slice(bytes).ok()?;
    if e.rt_cd.is_none() && e.msg_cd.is_none() {
        return None;
    }
    Some(Envelope {
        rt_cd: e.rt_cd.map(Cow::into_owned).unwrap_or_default(),
        msg_cd: e.msg_cd.map(Cow::into_owned).unwrap_or_default(),
        msg1: e.msg1.map(Cow::into_owned).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
