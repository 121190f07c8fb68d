//! Response decoding: KIS's all-string JSON into the generated types.
//!
//! Lenient where KIS is sloppy: blank or space-only values are `None`, a leading `+` is accepted,
//! a block may arrive as an object or as an array, `""`/`[]`/`{}`/`null` mean "no data", unknown
//! keys are skipped and block keys match case-insensitively. Strict where it matters: a value that
//! cannot be read as its type is a [`DecodeError`] naming the TR ID, the field and the raw value.
//!
//! Generated code implements [`Record`] (one block record), [`Body`] (a response body) and
//! [`RealtimeRecord`] (one realtime record); everything else here is shared.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::meta::{EndpointMeta, FieldMeta, ValueType};

/// A value that could not be read as its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The expected type.
    pub expected: ValueType,
    /// The value as received.
    pub raw: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} value, got {:?}",
            with_article(self.expected.name()),
            self.raw
        )
    }
}

/// `a price`, `an integer`.
fn with_article(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

impl std::error::Error for ValueError {}

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

fn bad(expected: ValueType, raw: &str) -> ValueError {
    ValueError {
        expected,
        raw: raw.to_string(),
    }
}

/// The value with surrounding spaces removed, or `None` when it is blank.
#[inline]
fn present(raw: &str) -> Option<&str> {
    // KIS pads with ASCII spaces; the ASCII trim is cheaper than the Unicode one on every value
    let t = raw.trim_ascii();
    if t.is_empty() { None } else { Some(t) }
}

/// Plain fixed-point text (`-12.50`, `+300`, `71900`) of up to 18 digits, read without the general
/// parser: nearly every KIS number has this shape, and this is the decoder's hot loop.
#[inline]
fn plain_decimal(t: &str) -> Option<Decimal> {
    let (negative, digits) = match t.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    // 18 bytes hold at most 18 digits, below i64::MAX
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut scale: u32 = 0;
    let mut dot = false;
    let mut any_digit = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                scale += u32::from(dot);
                any_digit = true;
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    // `from_parts` inlines (`Decimal::new` does not); at most 18 digits, so the scale is <= 18
    any_digit
        .then(|| Decimal::from_parts(mantissa as u32, (mantissa >> 32) as u32, 0, negative, scale))
}

/// Two ASCII digits as a number.
#[inline]
fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [h @ b'0'..=b'9', l @ b'0'..=b'9'] => Some(u32::from(h - b'0') * 10 + u32::from(l - b'0')),
        _ => None,
    }
}

/// Text and codes are kept as sent.
#[inline]
pub fn text(raw: &str) -> String {
    raw.to_owned()
}

/// Realtime text borrows from the frame.
#[inline]
pub fn borrowed(raw: &str) -> &str {
    raw
}

/// An exact decimal: `"71900"`, `"-0.53"`, `"+1.26"`; blank is `None`.
#[inline]
pub fn decimal(raw: &str) -> Result<Option<Decimal>, ValueError> {
    decimal_as(raw, ValueType::Decimal)
}

#[inline]
fn decimal_as(raw: &str, ty: ValueType) -> Result<Option<Decimal>, ValueError> {
    match plain_decimal(raw) {
        Some(d) => Ok(Some(d)),
        None => decimal_general(raw, ty),
    }
}

/// Padded, blank, long or exponent forms: the rare cases, kept out of the inlined path.
#[cold]
#[inline(never)]
fn decimal_general(raw: &str, ty: ValueType) -> Result<Option<Decimal>, ValueError> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    if let Some(d) = plain_decimal(t) {
        return Ok(Some(d));
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    match Decimal::from_str(t) {
        Ok(d) => Ok(Some(d)),
        // very large or exponent forms: fall back to the scientific parser
        Err(_) => Decimal::from_scientific(t)
            .map(Some)
            .map_err(|_| bad(ty, raw)),
    }
}

/// A price (exact decimal).
#[inline]
pub fn price(raw: &str) -> Result<Option<Decimal>, ValueError> {
    decimal_as(raw, ValueType::Price)
}

/// A money amount (exact decimal).
#[inline]
pub fn amount(raw: &str) -> Result<Option<Decimal>, ValueError> {
    decimal_as(raw, ValueType::Amount)
}

/// A rate or percentage (exact decimal).
#[inline]
pub fn rate(raw: &str) -> Result<Option<Decimal>, ValueError> {
    decimal_as(raw, ValueType::Rate)
}

#[inline]
fn integer_as(raw: &str, ty: ValueType) -> Result<Option<i64>, ValueError> {
    match plain_integer(raw) {
        Some(v) => Ok(Some(v)),
        None => integer_general(raw, ty),
    }
}

/// Digits with an optional sign, up to 18 of them: the form nearly every KIS count takes.
#[inline]
fn plain_integer(t: &str) -> Option<i64> {
    let (negative, digits) = match t.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(b - b'0');
    }
    Some(if negative { -v } else { v })
}

/// Padded, blank, long or `100.000` forms, kept out of the inlined path.
#[cold]
#[inline(never)]
fn integer_general(raw: &str, ty: ValueType) -> Result<Option<i64>, ValueError> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    let t = t.strip_prefix('+').unwrap_or(t);
    if let Ok(v) = t.parse::<i64>() {
        return Ok(Some(v));
    }
    // "100.000": an integer written with a zero fraction
    match Decimal::from_str(t) {
        Ok(d) if d.fract().is_zero() => i64::try_from(d).map(Some).map_err(|_| bad(ty, raw)),
        _ => Err(bad(ty, raw)),
    }
}

/// A quantity: shares, contracts, volume. `"100"` or `"100.000"`; a fraction is an error.
#[inline]
pub fn quantity(raw: &str) -> Result<Option<i64>, ValueError> {
    integer_as(raw, ValueType::Quantity)
}

/// A count or other integer.
#[inline]
pub fn integer(raw: &str) -> Result<Option<i64>, ValueError> {
    integer_as(raw, ValueType::Integer)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn num<T: FromStr>(s: &str) -> Option<T> {
    s.parse().ok()
}

/// `YYYYMMDD` (also `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`); blank or all zeros is `None`.
pub fn date(raw: &str) -> Result<Option<NaiveDate>, ValueError> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    let compact: Cow<'_, str> = if t.len() == 10 && matches!(t.as_bytes()[4], b'-' | b'/' | b'.') {
        Cow::Owned(t.chars().filter(|c| c.is_ascii_digit()).collect())
    } else {
        Cow::Borrowed(t)
    };
    let b = compact.as_bytes();
    let (Some(c), Some(y), Some(m), Some(d)) = (
        b.get(0..2).and_then(two_digits),
        b.get(2..4).and_then(two_digits),
        b.get(4..6).and_then(two_digits),
        b.get(6..8).and_then(two_digits),
    ) else {
        return Err(bad(ValueType::Date, raw));
    };
    if b.len() != 8 {
        return Err(bad(ValueType::Date, raw));
    }
    if c + y + m + d == 0 {
        return Ok(None);
    }
    // c * 100 + y is at most 9999
    NaiveDate::from_ymd_opt((c * 100 + y) as i32, m, d)
        .map(Some)
        .ok_or_else(|| bad(ValueType::Date, raw))
}

fn hms(t: &str, raw: &str, ty: ValueType) -> Result<NaiveTime, ValueError> {
    // the common HHMMSS form first
    if let [h0, h1, m0, m1, s0, s1] = t.as_bytes()
        && let (Some(h), Some(m), Some(s)) = (
            two_digits(&[*h0, *h1]),
            two_digits(&[*m0, *m1]),
            two_digits(&[*s0, *s1]),
        )
    {
        return NaiveTime::from_hms_opt(h, m, s).ok_or_else(|| bad(ty, raw));
    }
    // HHMMSS, HHMM, HH:MM:SS, or HHMMSS followed by fraction digits
    let compact: Cow<'_, str> = if t.contains(':') {
        Cow::Owned(t.replace(':', ""))
    } else {
        Cow::Borrowed(t)
    };
    let c = compact.as_ref();
    if !digits(c) {
        return Err(bad(ty, raw));
    }
    let (h, m, s, frac) = match c.len() {
        4 => (&c[0..2], &c[2..4], "0", ""),
        6 => (&c[0..2], &c[2..4], &c[4..6], ""),
        7..=15 => (&c[0..2], &c[2..4], &c[4..6], &c[6..]),
        _ => return Err(bad(ty, raw)),
    };
    let nanos = if frac.is_empty() {
        0
    } else {
        let mut n: u32 = num(frac).ok_or_else(|| bad(ty, raw))?;
        for _ in frac.len()..9 {
            n = n.saturating_mul(10);
        }
        n
    };
    match (num(h), num(m), num(s)) {
        (Some(h), Some(m), Some(s)) => {
            NaiveTime::from_hms_nano_opt(h, m, s, nanos).ok_or_else(|| bad(ty, raw))
        }
        _ => Err(bad(ty, raw)),
    }
}

/// `HHMMSS` (also `HHMM`, `HH:MM:SS`, or with trailing fraction digits); blank is `None`.
pub fn time(raw: &str) -> Result<Option<NaiveTime>, ValueError> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    hms(t, raw, ValueType::Time).map(Some)
}

/// `YYYYMMDDHHMMSS[fraction]` or `YYYY-MM-DD HH:MM:SS`; blank or all zeros is `None`.
pub fn datetime(raw: &str) -> Result<Option<NaiveDateTime>, ValueError> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    let (d, tm) = if let Some((d, tm)) = t.split_once([' ', 'T']) {
        (d, tm)
    } else if t.len() >= 12 && digits(t) {
        t.split_at(8)
    } else {
        return Err(bad(ValueType::DateTime, raw));
    };
    if digits(t) && t.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    let date = date(d)
        .map_err(|_| bad(ValueType::DateTime, raw))?
        .ok_or_else(|| bad(ValueType::DateTime, raw))?;
    let time = hms(tm, raw, ValueType::DateTime)?;
    Ok(Some(date.and_time(time)))
}

/// `Y`/`N` (also `y`/`n`, `1`/`0`); blank is `None`.
pub fn yes_no(raw: &str) -> Result<Option<bool>, ValueError> {
    match present(raw) {
        None => Ok(None),
        Some("Y" | "y" | "1") => Ok(Some(true)),
        Some("N" | "n" | "0") => Ok(Some(false)),
        Some(_) => Err(bad(ValueType::YesNo, raw)),
    }
}

/// Parse-and-store helpers for generated `set` methods: one call per column, kept out of line so
/// the generated `match` stays a table of small calls instead of one large stack frame.
macro_rules! parse_into {
    ($($into:ident => $parse:ident: $t:ty;)*) => {$(
        #[doc = concat!("Parses `raw` with [`", stringify!($parse), "`] into `slot`.")]
        #[inline(never)]
        pub fn $into(slot: &mut Option<$t>, raw: &str) -> Result<(), ValueError> {
            *slot = $parse(raw)?;
            Ok(())
        }
    )*};
}

/// Stores text into `slot`; used by generated code.
#[inline]
pub fn text_into(slot: &mut String, raw: &str) -> Result<(), ValueError> {
    raw.clone_into(slot);
    Ok(())
}

/// Stores realtime text, borrowed from the frame, into `slot`; used by generated code.
#[inline]
pub fn borrowed_into<'a>(slot: &mut &'a str, raw: &'a str) -> Result<(), ValueError> {
    *slot = raw;
    Ok(())
}

parse_into! {
    decimal_into => decimal: Decimal;
    price_into => price: Decimal;
    amount_into => amount: Decimal;
    rate_into => rate: Decimal;
    quantity_into => quantity: i64;
    integer_into => integer: i64;
    date_into => date: NaiveDate;
    time_into => time: NaiveTime;
    datetime_into => datetime: NaiveDateTime;
    yes_no_into => yes_no: bool;
}

/// One record of an output block. Implemented by generated code.
pub trait Record: Default + Sized {
    /// The fields in catalog order.
    const FIELDS: &'static [FieldMeta];
    /// Sets field `index` (into [`Self::FIELDS`]) from its raw value.
    fn set(&mut self, index: usize, raw: &str) -> Result<(), ValueError>;
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
    /// this body's (the caller then skips the value).
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

/// Decoding context: which TR is being decoded, and where the first error happened.
pub struct DecodeCx<'a> {
    tr_id: &'a str,
    meta: &'static EndpointMeta,
    error: RefCell<Option<DecodeError>>,
}

impl<'a> DecodeCx<'a> {
    /// A context for a response of `meta` sent with `tr_id`.
    pub fn new(tr_id: &'a str, meta: &'static EndpointMeta) -> Self {
        DecodeCx {
            tr_id,
            meta,
            error: RefCell::new(None),
        }
    }

    fn fail<E: de::Error>(&self, field: String, err: ValueError) -> E {
        let msg = format!("{field}: {err}");
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(DecodeError {
                tr_id: self.tr_id.to_string(),
                field,
                raw: Some(shorten(&err.raw)),
                reason: format!("expected {} value", with_article(err.expected.name())),
            });
        }
        E::custom(msg)
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

/// A scalar JSON value as text: strings as they are (borrowed when possible), numbers and booleans
/// in their JSON form, `null` as blank.
struct Raw<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Owned(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Owned(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Borrowed(if v { "Y" } else { "N" })))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Borrowed("")))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Raw(Cow::Borrowed("")))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Err(de::Error::custom(NotScalarMsg))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Err(de::Error::custom(NotScalarMsg))
    }
}

struct NotScalarMsg;
impl fmt::Display for NotScalarMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a scalar value, found an object or array")
    }
}

/// Reads a top-level body field with `parse`.
pub fn field<'de, A, T>(
    map: &mut A,
    cx: &DecodeCx<'_>,
    name: &str,
    parse: fn(&str) -> Result<T, ValueError>,
) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
{
    let raw: Raw<'de> = map.next_value()?;
    parse(&raw.0).map_err(|e| cx.fail(name.to_string(), e))
}

/// Reads a top-level text field.
pub fn field_text<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    let raw: Raw<'de> = map.next_value()?;
    Ok(raw.0.into_owned())
}

/// Reads an object block: an object (or the first element of an array); `None` for no data.
pub fn one<'de, A, T>(
    map: &mut A,
    cx: &DecodeCx<'_>,
    block: &'static str,
) -> Result<Option<T>, A::Error>
where
    A: MapAccess<'de>,
    T: Record,
{
    map.next_value_seed(BlockSeed::<T, One> {
        cx,
        block,
        _p: PhantomData,
    })
}

/// Reads an array block: an array (or a single object); empty for no data.
pub fn many<'de, A, T>(
    map: &mut A,
    cx: &DecodeCx<'_>,
    block: &'static str,
) -> Result<Vec<T>, A::Error>
where
    A: MapAccess<'de>,
    T: Record,
{
    map.next_value_seed(BlockSeed::<T, Many> {
        cx,
        block,
        _p: PhantomData,
    })
}

struct One;
struct Many;

trait Collect<T> {
    type Out;
    fn empty() -> Self::Out;
    fn single(t: T) -> Self::Out;
    fn from_vec(v: Vec<T>) -> Self::Out;
    const WANTS_ALL: bool;
}

impl<T> Collect<T> for One {
    type Out = Option<T>;
    fn empty() -> Option<T> {
        None
    }
    fn single(t: T) -> Option<T> {
        Some(t)
    }
    fn from_vec(v: Vec<T>) -> Option<T> {
        v.into_iter().next()
    }
    const WANTS_ALL: bool = false;
}

impl<T> Collect<T> for Many {
    type Out = Vec<T>;
    fn empty() -> Vec<T> {
        Vec::new()
    }
    fn single(t: T) -> Vec<T> {
        vec![t]
    }
    fn from_vec(v: Vec<T>) -> Vec<T> {
        v
    }
    const WANTS_ALL: bool = true;
}

struct BlockSeed<'c, 'a, T, C> {
    cx: &'c DecodeCx<'a>,
    block: &'static str,
    _p: PhantomData<(T, C)>,
}

impl<'de, T: Record, C: Collect<T>> DeserializeSeed<'de> for BlockSeed<'_, '_, T, C> {
    type Value = C::Out;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Record, C: Collect<T>> Visitor<'de> for BlockSeed<'_, '_, T, C> {
    type Value = C::Out;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "block {} as an object or an array of objects",
            self.block
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut rec = T::default();
        let any = RecordInto {
            cx: self.cx,
            block: self.block,
            row: None,
            target: &mut rec,
        }
        .visit_map(map)?;
        Ok(if any { C::single(rec) } else { C::empty() })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let guess = if C::WANTS_ALL { 16 } else { 1 };
        let mut rows: Vec<T> = Vec::with_capacity(seq.size_hint().unwrap_or(guess).min(1024));
        let mut i = 0usize;
        loop {
            // each record is decoded where it will stay
            rows.push(T::default());
            let Some(target) = rows.last_mut() else {
                break;
            };
            let seed = RecordInto {
                cx: self.cx,
                block: self.block,
                row: Some(i),
                target,
            };
            match seq.next_element_seed(seed)? {
                None => {
                    rows.pop();
                    break;
                }
                Some(false) => {
                    rows.pop();
                }
                Some(true) => {}
            }
            i += 1;
            if !C::WANTS_ALL && !rows.is_empty() {
                // an object block sent as an array: keep the first record, skip the rest
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                break;
            }
        }
        Ok(C::from_vec(rows))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            Ok(C::empty())
        } else {
            Err(self.cx.fail_shape(
                self.block.to_string(),
                format!(
                    "expected an object or array, got the string {:?}",
                    shorten(v)
                ),
            ))
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(C::empty())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(C::empty())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Err(self.cx.fail_shape(
            self.block.to_string(),
            format!("expected an object or array, got the number {v}"),
        ))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Err(self.cx.fail_shape(
            self.block.to_string(),
            format!("expected an object or array, got the number {v}"),
        ))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Err(self.cx.fail_shape(
            self.block.to_string(),
            format!("expected an object or array, got {v}"),
        ))
    }
}

/// Fills one record in place (records are large; moving each one into the block's `Vec` was a
/// measurable share of decoding). The value is whether the record had any field: `{}` means no
/// data.
struct RecordInto<'c, 'a, 't, T> {
    cx: &'c DecodeCx<'a>,
    block: &'static str,
    row: Option<usize>,
    target: &'t mut T,
}

impl<'de, T: Record> DeserializeSeed<'de> for RecordInto<'_, '_, '_, T> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<T: Record> RecordInto<'_, '_, '_, T> {
    fn path(&self, field: &str) -> String {
        match self.row {
            Some(i) => format!("{}[{i}].{field}", self.block),
            None => format!("{}.{field}", self.block),
        }
    }
}

/// A key as bytes, borrowed from the input when it has no escapes. Record keys are only matched
/// against ASCII wire names, so validating them as UTF-8 (and `Cow<str>`'s `Deserialize`, which
/// always copies) would be wasted work on every field.
struct KeyBytes<'de>(Cow<'de, [u8]>);

impl<'de> de::Deserialize<'de> for KeyBytes<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(KeyBytesVisitor)
    }
}

struct KeyBytesVisitor;

impl<'de> Visitor<'de> for KeyBytesVisitor {
    type Value = KeyBytes<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(KeyBytes(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(KeyBytes(Cow::Owned(v.to_vec())))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        Ok(KeyBytes(Cow::Owned(v)))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(KeyBytes(Cow::Borrowed(v.as_bytes())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(KeyBytes(Cow::Owned(v.as_bytes().to_vec())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(KeyBytes(Cow::Owned(v.into_bytes())))
    }
}

/// Byte equality of two short keys without a call into `memcmp`, which dominated key matching.
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut ca, mut cb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut ca).zip(&mut cb) {
        let (Ok(x), Ok(y)) = (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) else {
            return false;
        };
        if u64::from_ne_bytes(x) != u64::from_ne_bytes(y) {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

/// Index of `key` in `fields`, trying the expected position first: KIS sends keys in the
/// documented order, so the cursor usually hits.
#[inline]
fn field_index(fields: &[FieldMeta], key: &[u8], cursor: usize) -> Option<usize> {
    if let Some(f) = fields.get(cursor)
        && same_key(f.wire.as_bytes(), key)
    {
        return Some(cursor);
    }
    if let Some(i) = fields.iter().position(|f| same_key(f.wire.as_bytes(), key)) {
        return Some(i);
    }
    fields
        .iter()
        .position(|f| f.wire.as_bytes().eq_ignore_ascii_case(key))
}

impl<'de, T: Record> Visitor<'de> for RecordInto<'_, '_, '_, T> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a record of block {}", self.block)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut cursor = 0usize;
        let mut any = false;
        while let Some(KeyBytes(key)) = map.next_key()? {
            any = true;
            match field_index(T::FIELDS, &key, cursor) {
                Some(i) => {
                    let raw: Raw<'de> = match map.next_value() {
                        Ok(r) => r,
                        Err(e) => {
                            return Err(self
                                .cx
                                .fail_shape(self.path(T::FIELDS[i].wire), e.to_string()));
                        }
                    };
                    if let Err(e) = self.target.set(i, &raw.0) {
                        return Err(self.cx.fail(self.path(T::FIELDS[i].wire), e));
                    }
                    cursor = i + 1;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(any)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            Ok(false)
        } else {
            Err(self.cx.fail_shape(
                self.path(""),
                format!("expected a record, got the string {:?}", shorten(v)),
            ))
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(false)
    }
}

/// Decodes a whole response body: the envelope and the generated body type.
pub fn decode_body<B: Body>(bytes: &[u8], cx: &DecodeCx<'_>) -> Result<(Envelope, B), DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = de
        .deserialize_map(TopVisitor::<B> {
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

struct TopVisitor<'c, 'a, B> {
    cx: &'c DecodeCx<'a>,
    _p: PhantomData<B>,
}

impl<'de, B: Body> Visitor<'de> for TopVisitor<'_, '_, B> {
    type Value = (Envelope, B);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a KIS response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope::default();
        let mut body = B::default();
        while let Some(KeyBytes(key)) = map.next_key()? {
            // a key that is not UTF-8 names nothing of ours
            let Ok(key) = std::str::from_utf8(&key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match key {
                "rt_cd" => env.rt_cd = field_text(&mut map)?,
                "msg_cd" => env.msg_cd = field_text(&mut map)?,
                "msg1" => env.msg1 = field_text(&mut map)?,
                k => {
                    if body.entry(k, &mut map, self.cx)? {
                        continue;
                    }
                    // KIS has sent `Output1` for `output1`: retry with the catalog's spelling
                    let canonical = self
                        .cx
                        .meta
                        .blocks
                        .iter()
                        .find(|b| b.is_named(k))
                        .map(|b| b.wire)
                        .or_else(|| {
                            self.cx
                                .meta
                                .body
                                .iter()
                                .find(|f| f.wire.eq_ignore_ascii_case(k))
                                .map(|f| f.wire)
                        });
                    let handled = match canonical {
                        Some(c) if c != k => body.entry(c, &mut map, self.cx)?,
                        _ => false,
                    };
                    if !handled {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        Ok((env, body))
    }
}

/// Parses the records of one realtime payload: `count` records of `^`-separated columns, back to
/// back. Extra trailing columns per record are tolerated (KIS appends fields over time); a record
/// with fewer columns than the catalog lists is an error.
pub fn realtime_records<'a, R: RealtimeRecord<'a>>(
    payload: &'a str,
    count: usize,
) -> RealtimeRecords<'a, R> {
    let total = if payload.is_empty() {
        0
    } else {
        memchr::memchr_iter(b'^', payload.as_bytes()).count() + 1
    };
    let width = total.checked_div(count).unwrap_or(0);
    RealtimeRecords {
        rest: payload,
        remaining: count,
        width,
        total,
        count,
        _p: PhantomData,
    }
}

/// Iterator over the records of a realtime payload; see [`realtime_records`].
pub struct RealtimeRecords<'a, R> {
    rest: &'a str,
    remaining: usize,
    width: usize,
    total: usize,
    count: usize,
    _p: PhantomData<R>,
}

/// A realtime record that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The frame holds fewer fields than `count` records of the catalog's columns.
    MissingColumns {
        /// Columns the catalog lists.
        expected: usize,
        /// Columns each record has.
        found: usize,
    },
    /// The field count does not divide into `count` records.
    Uneven {
        /// Fields in the payload.
        fields: usize,
        /// Records announced by the frame.
        count: usize,
    },
    /// A column value could not be read.
    Value {
        /// Column wire name.
        column: &'static str,
        /// The problem.
        error: ValueError,
    },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::MissingColumns { expected, found } => {
                write!(
                    f,
                    "record has {found} columns, the catalog lists {expected}"
                )
            }
            RecordError::Uneven { fields, count } => {
                write!(f, "{fields} fields do not split into {count} records")
            }
            RecordError::Value { column, error } => write!(f, "column {column}: {error}"),
        }
    }
}

impl std::error::Error for RecordError {}

impl<'a, R: RealtimeRecord<'a>> Iterator for RealtimeRecords<'a, R> {
    type Item = Result<R, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if !self.total.is_multiple_of(self.count) {
            self.remaining = 0;
            return Some(Err(RecordError::Uneven {
                fields: self.total,
                count: self.count,
            }));
        }
        let expected = R::COLUMNS.len();
        if self.width < expected {
            self.remaining = 0;
            return Some(Err(RecordError::MissingColumns {
                expected,
                found: self.width,
            }));
        }
        let mut rec = R::default();
        let mut rest = self.rest;
        for i in 0..self.width {
            let (field, tail) = match find_caret(rest.as_bytes()) {
                Some(p) => (&rest[..p], &rest[p + 1..]),
                None => (rest, ""),
            };
            rest = tail;
            if i < expected
                && let Err(e) = rec.set(i, field)
            {
                self.rest = skip_fields(rest, self.width - i - 1);
                return Some(Err(RecordError::Value {
                    column: R::COLUMNS[i].wire,
                    error: e,
                }));
            }
        }
        self.rest = rest;
        Some(Ok(rec))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Position of the first `^`. Fields are a few bytes long, too short for memchr's setup to pay
/// off, so this tests eight bytes at a time in a register.
#[inline]
pub(crate) fn find_caret(bytes: &[u8]) -> Option<usize> {
    const CARETS: u64 = u64::from_ne_bytes([b'^'; 8]);
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        // a zero byte of `x` marks a caret; the lowest flagged byte is exact
        let x = u64::from_le_bytes(word) ^ CARETS;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'^')
        .map(|p| offset + p)
}

fn skip_fields(mut rest: &str, n: usize) -> &str {
    for _ in 0..n {
        rest = match memchr::memchr(b'^', rest.as_bytes()) {
            Some(p) => &rest[p + 1..],
            None => "",
        };
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_accept_plus_and_blank() {
        assert_eq!(decimal("+1.26").unwrap(), Some(Decimal::new(126, 2)));
        assert_eq!(decimal("-0.53").unwrap(), Some(Decimal::new(-53, 2)));
        assert_eq!(price(" 71900 ").unwrap(), Some(Decimal::from(71900)));
        assert_eq!(decimal("   ").unwrap(), None);
        assert_eq!(decimal("").unwrap(), None);
        let e = price("12,000").unwrap_err();
        assert_eq!(e.expected, ValueType::Price);
        assert_eq!(e.raw, "12,000");
    }

    #[test]
    fn the_plain_decimal_path_agrees_with_the_general_parser() {
        let cases = [
            "0",
            "-0",
            "71900",
            "+300",
            "-12.50",
            "0.00000000",
            "000123.4500",
            ".5",
            "+.5",
            "1.",
            "123456789012345678",
            "123456789012345.67",
            "-99999999999999999",
        ];
        for case in cases {
            let general = Decimal::from_str(case.strip_prefix('+').unwrap_or(case)).unwrap();
            let plain = plain_decimal(case).unwrap_or_else(|| panic!("{case} not plain"));
            assert_eq!(plain, general, "{case}");
            if general != Decimal::ZERO {
                assert_eq!(plain.to_string(), general.to_string(), "{case}");
            }
        }
        for not_plain in [
            "",
            "-",
            "+",
            ".",
            "1.2.3",
            "1e5",
            "12,000",
            "1234567890123456789",
        ] {
            assert_eq!(plain_decimal(not_plain), None, "{not_plain}");
        }
        // longer numbers still parse, through the general parser
        assert_eq!(
            decimal("1234567890123456789.5").unwrap(),
            Some(Decimal::from_str("1234567890123456789.5").unwrap())
        );
    }

    #[test]
    fn carets_are_found_at_every_position() {
        for len in 0..40 {
            for at in 0..len {
                let mut s = vec![b'7'; len];
                s[at] = b'^';
                if at + 3 < len {
                    s[at + 3] = b'^';
                }
                assert_eq!(find_caret(&s), Some(at), "len {len} at {at}");
            }
            assert_eq!(find_caret(&vec![b'1'; len]), None, "len {len}");
        }
        // bytes next to the caret value and multi-byte text never match
        assert_eq!(find_caret(b"]_~]_~]_~]_~"), None);
        assert_eq!(find_caret("삼성전자^1".as_bytes()), Some(12));
    }

    #[test]
    fn keys_compare_by_bytes() {
        for (a, b, same) in [
            ("", "", true),
            ("pdno", "pdno", true),
            ("pdno", "pdnp", false),
            ("stck_bsop_date", "stck_bsop_date", true),
            ("stck_bsop_date", "stck_bsop_datf", false),
            ("stck_bsop_date", "stck_bsop_dat", false),
            ("prdy_vrss_sign__", "prdy_vrss_sign__", true),
            ("prdy_vrss_sign__", "xrdy_vrss_sign__", false),
        ] {
            assert_eq!(same_key(a.as_bytes(), b.as_bytes()), same, "{a} vs {b}");
        }
    }

    #[test]
    fn integers_accept_zero_fractions_only() {
        assert_eq!(quantity("100").unwrap(), Some(100));
        assert_eq!(quantity("+100.000").unwrap(), Some(100));
        assert_eq!(quantity("").unwrap(), None);
        assert!(quantity("1.5").is_err());
        assert_eq!(quantity("-42").unwrap(), Some(-42));
        assert_eq!(quantity(" 42 ").unwrap(), Some(42));
        assert_eq!(
            quantity("123456789012345678").unwrap(),
            Some(123_456_789_012_345_678)
        );
        assert_eq!(
            integer("1234567890123456789").unwrap(),
            Some(1_234_567_890_123_456_789)
        );
        assert!(integer("99999999999999999999").is_err());
        assert!(integer("-").is_err());
        assert!(integer("abc").is_err());
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            date("20240102").unwrap(),
            NaiveDate::from_ymd_opt(2024, 1, 2)
        );
        assert_eq!(
            date("2024-01-02").unwrap(),
            NaiveDate::from_ymd_opt(2024, 1, 2)
        );
        assert_eq!(date("00000000").unwrap(), None);
        assert!(date("20241302").is_err());
        assert!(date("2024010").is_err());
        assert_eq!(time("093354").unwrap(), NaiveTime::from_hms_opt(9, 33, 54));
        assert_eq!(time("0930").unwrap(), NaiveTime::from_hms_opt(9, 30, 0));
        assert_eq!(
            time("09:33:54").unwrap(),
            NaiveTime::from_hms_opt(9, 33, 54)
        );
        assert_eq!(
            time("093354123").unwrap(),
            NaiveTime::from_hms_milli_opt(9, 33, 54, 123)
        );
        assert!(time("256000").is_err());
        let dt = NaiveDate::from_ymd_opt(2024, 1, 2).and_then(|d| d.and_hms_opt(9, 33, 54));
        assert_eq!(datetime("2024-01-02 09:33:54").unwrap(), dt);
        assert_eq!(datetime("20240102093354").unwrap(), dt);
        assert!(datetime("yesterday").is_err());
        assert_eq!(yes_no("Y").unwrap(), Some(true));
        assert_eq!(yes_no("n").unwrap(), Some(false));
        assert_eq!(yes_no(" ").unwrap(), None);
        assert!(yes_no("X").is_err());
    }
}
