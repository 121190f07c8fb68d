//! The serde visitors that read a KIS JSON body straight into the generated types: the top-level
//! object, object and array blocks, records and scalar values.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Body, DecodeCx, Envelope, Record, ValueError, shorten};
use crate::meta::FieldMeta;

/// A JSON value as text: strings as they are (borrowed when possible), numbers and booleans in
/// their JSON form, `null` as blank, an array or object (where KIS should send a scalar) as JSON.
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
    // an array or object where a scalar belongs: kept as its JSON text, which a text field holds
    // as is and any other type reports as unreadable, so the value is never lost
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Raw(Cow::Owned(v.to_string())))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Raw(Cow::Owned(v.to_string())))
    }
}

/// Reads a top-level body field with `parse`. A value it cannot read leaves the field empty and
/// is kept on the context as [`super::Unrecognized`].
pub fn field<'de, A, T>(
    map: &mut A,
    cx: &DecodeCx<'_>,
    name: &str,
    parse: fn(&str) -> Result<T, ValueError>,
) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: Default,
{
    let raw: Raw<'de> = map.next_value()?;
    match parse(&raw.0) {
        Ok(v) => Ok(v),
        Err(e) => {
            cx.unreadable_top(name, e);
            Ok(T::default())
        }
    }
}

/// Reads a top-level text field.
pub fn field_text<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    let raw: Raw<'de> = map.next_value()?;
    Ok(raw.0.into_owned())
}

/// Reads an object block: an object, or an array of at most one record; `None` for no data. An
/// array of several records is a [`super::DecodeError`]: the catalog's shape cannot hold them.
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

/// Whether a block element means "no data": `{}`, `null` or a blank string.
fn no_data(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Object(o) => o.is_empty(),
        serde_json::Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
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
                // an object block sent as an array: its one record is the object, and any further
                // record is data the catalog's shape cannot hold
                let mut records = 1usize;
                while let Some(v) = seq.next_element::<serde_json::Value>()? {
                    records += usize::from(!no_data(&v));
                }
                if records > 1 {
                    return Err(self.cx.fail_shape(
                        self.block.to_string(),
                        format!(
                            "the catalog types this block as an object, but it arrived as an \
                             array of {records} records; refusing to keep only the first"
                        ),
                    ));
                }
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
                        self.cx
                            .unreadable(Some(self.block), self.row, &T::FIELDS[i], e);
                    }
                    cursor = i + 1;
                }
                None => {
                    let value: serde_json::Value = map.next_value()?;
                    self.cx.unknown_key(Some(self.block), self.row, &key, value);
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

/// The whole body: the envelope fields, then the generated [`Body`] for the rest.
pub(super) struct TopVisitor<'c, 'a, B> {
    pub(super) cx: &'c DecodeCx<'a>,
    pub(super) _p: PhantomData<B>,
}

impl<B> TopVisitor<'_, '_, B> {
    /// Whether `key` is a top-level continuation key of the catalog (read from the body by the
    /// paginator, not by the body type).
    fn is_page_key(&self, key: &str) -> bool {
        self.cx
            .meta
            .pagination
            .iter()
            .any(|p| p.block.is_none() && p.response.eq_ignore_ascii_case(key))
    }
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
                let value: serde_json::Value = map.next_value()?;
                self.cx.unknown_key(None, None, &key, value);
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
                        let value: serde_json::Value = map.next_value()?;
                        if !self.is_page_key(k) {
                            self.cx.unknown_key(None, None, k.as_bytes(), value);
                        }
                    }
                }
            }
        }
        Ok((env, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
