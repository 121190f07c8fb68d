//! `serde::Serialize` for the generated responses and records (feature `serde`), written once
//! over the field views instead of a body per record: the generated impls only name the view.
//!
//! Keys are the wire names (`stck_prpr`), in catalog order. Values: text as is; decimals as
//! strings (`"71900.5"`, exact: a JSON number would pass through `f64` in most readers);
//! integers and yes/no as numbers and booleans; dates, times and date-times as ISO 8601 text
//! (`"2024-05-13"`, `"09:00:00"`, `"2024-05-13T09:00:00"`); an empty value as `null`. Fields
//! holding personal data (the catalog's `redacted`) are written as `"***"`, as `Debug` shows
//! them: serialized records end up in files and logs; the typed field still has the value.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::Record;
use super::fields::FieldRef;
use crate::meta::FieldMeta;

impl Serialize for FieldRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            FieldRef::Text(v) => s.serialize_str(v),
            FieldRef::Decimal(Some(v)) => s.collect_str(v),
            FieldRef::Integer(Some(v)) => s.serialize_i64(*v),
            FieldRef::Date(Some(v)) => s.collect_str(&v.format("%Y-%m-%d")),
            FieldRef::Time(Some(v)) => s.collect_str(&v.format("%H:%M:%S%.f")),
            FieldRef::DateTime(Some(v)) => s.collect_str(&v.format("%Y-%m-%dT%H:%M:%S%.f")),
            FieldRef::YesNo(Some(v)) => s.serialize_bool(*v),
            FieldRef::Code(v) => match v.code() {
                Some(c) => s.serialize_str(c),
                None => s.serialize_none(),
            },
            FieldRef::Decimal(None)
            | FieldRef::Integer(None)
            | FieldRef::Date(None)
            | FieldRef::Time(None)
            | FieldRef::DateTime(None)
            | FieldRef::YesNo(None) => s.serialize_none(),
        }
    }
}

/// Writes `fields` as a map from wire name to value, reading each value through `view` (the
/// field at an index), personal-data fields as `"***"`. Used by generated code.
pub fn serialize_fields<'r, S: Serializer>(
    fields: &'static [FieldMeta],
    view: &dyn Fn(usize) -> Option<FieldRef<'r>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(fields.len()))?;
    for (i, meta) in fields.iter().enumerate() {
        if meta.redacted {
            map.serialize_entry(meta.wire, "***")?;
        } else if let Some(v) = view(i) {
            map.serialize_entry(meta.wire, &v)?;
        }
    }
    map.end()
}

/// Writes a response record (see [`serialize_fields`]). Used by generated code.
pub fn serialize_record<R: Record, S: Serializer>(record: &R, s: S) -> Result<S::Ok, S::Error> {
    serialize_fields(R::FIELDS, &|i| record.field(i), s)
}

/// One value read by its catalog type and owned: what programs that read responses by the
/// catalog's metadata rather than a generated type (the `kis` command line) serialize, written
/// exactly as the generated types write the same field.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    /// Text and codes.
    Text(String),
    /// Decimals, prices, amounts and rates.
    Decimal(Option<rust_decimal::Decimal>),
    /// Quantities and integers.
    Integer(Option<i64>),
    /// Dates.
    Date(Option<chrono::NaiveDate>),
    /// Times.
    Time(Option<chrono::NaiveTime>),
    /// Dates with a time.
    DateTime(Option<chrono::NaiveDateTime>),
    /// Yes/no values.
    YesNo(Option<bool>),
}

impl TypedValue {
    /// `raw` read as `ty`, leniently as decoding reads it (blank is empty, sentinels are empty).
    pub fn read(ty: crate::meta::ValueType, raw: &str) -> Result<TypedValue, super::ValueError> {
        use crate::meta::ValueType as T;
        let mut v = match ty {
            T::Text | T::Code => TypedValue::Text(String::new()),
            T::Decimal | T::Price | T::Amount | T::Rate => TypedValue::Decimal(None),
            T::Quantity | T::Integer => TypedValue::Integer(None),
            T::Date => TypedValue::Date(None),
            T::Time => TypedValue::Time(None),
            T::DateTime => TypedValue::DateTime(None),
            T::YesNo => TypedValue::YesNo(None),
        };
        super::fields::store(v.as_mut(), ty, raw)?;
        Ok(v)
    }

    /// The value as a field view.
    pub fn as_ref(&self) -> FieldRef<'_> {
        match self {
            TypedValue::Text(v) => FieldRef::Text(v),
            TypedValue::Decimal(v) => FieldRef::Decimal(v),
            TypedValue::Integer(v) => FieldRef::Integer(v),
            TypedValue::Date(v) => FieldRef::Date(v),
            TypedValue::Time(v) => FieldRef::Time(v),
            TypedValue::DateTime(v) => FieldRef::DateTime(v),
            TypedValue::YesNo(v) => FieldRef::YesNo(v),
        }
    }

    fn as_mut(&mut self) -> super::FieldMut<'_> {
        use super::FieldMut as M;
        match self {
            TypedValue::Text(v) => M::Text(v),
            TypedValue::Decimal(v) => M::Decimal(v),
            TypedValue::Integer(v) => M::Integer(v),
            TypedValue::Date(v) => M::Date(v),
            TypedValue::Time(v) => M::Time(v),
            TypedValue::DateTime(v) => M::DateTime(v),
            TypedValue::YesNo(v) => M::YesNo(v),
        }
    }
}

impl Serialize for TypedValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_ref().serialize(s)
    }
}
