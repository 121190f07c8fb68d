//! Field views of a record: what generated code gives the runtime instead of a `Debug`,
//! `Clone`, `PartialEq` and value-storing body per record.
//!
//! The catalog has about 380 response records with 8,000 fields. Derived `Debug`, `Clone` and
//! `PartialEq` plus a storing `match` are four bodies per record, each with a line per field,
//! which every user's build of kis-api type-checked. Each record now has two small
//! `match`es ([`Record::field`], [`Record::field_mut`]); the traits and the storing are written
//! once here, over [`Record::FIELDS`].

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

use super::Record;
use super::values::{ValueError, date, datetime, decimal_as, integer_as, time, yes_no};
use crate::meta::ValueType;
use crate::secret::Redacted;

/// One field of a record, borrowed: its storage type, not its catalog type (a price and a rate
/// are both [`FieldRef::Decimal`]; [`Record::FIELDS`] has the catalog type).
#[derive(Clone, Copy, PartialEq)]
pub enum FieldRef<'r> {
    /// Text and codes.
    Text(&'r str),
    /// Decimals, prices, amounts and rates.
    Decimal(&'r Option<Decimal>),
    /// Quantities and integers.
    Integer(&'r Option<i64>),
    /// Dates.
    Date(&'r Option<NaiveDate>),
    /// Times.
    Time(&'r Option<NaiveTime>),
    /// Dates with a time.
    DateTime(&'r Option<NaiveDateTime>),
    /// Yes/no values.
    YesNo(&'r Option<bool>),
    /// Codes whose set the catalog knows, read into an enum.
    Code(&'r dyn CodeSlot),
}

/// A code enum of the catalog (`kis_api::codes`), as response fields read it: a code the set
/// lacks is the enum's `Other`, never an error. Implemented by generated code.
pub trait CodeEnum: fmt::Debug {
    /// The member sent as `code`, or `Other` holding it.
    fn read(code: &str) -> Self
    where
        Self: Sized;
    /// The code as sent.
    fn wire(&self) -> &str;
}

/// A response field of a code enum (`Option<E>`), behind `dyn` so that one runtime reads,
/// compares, copies and writes every enum.
pub trait CodeSlot {
    /// The code, or `None` when the field was empty.
    fn code(&self) -> Option<&str>;
    /// Reads `raw`: blank is empty, anything else a member or `Other`.
    fn set_code(&mut self, raw: &str);
}

impl<E: CodeEnum> CodeSlot for Option<E> {
    fn code(&self) -> Option<&str> {
        self.as_ref().map(E::wire)
    }
    fn set_code(&mut self, raw: &str) {
        let raw = raw.trim();
        *self = (!raw.is_empty()).then(|| E::read(raw));
    }
}

impl PartialEq for dyn CodeSlot + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}

impl fmt::Debug for dyn CodeSlot + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.code().fmt(f)
    }
}

/// Stores `raw` into a code enum field; never fails (an unknown code is `Other`). Used by
/// generated realtime records.
#[inline]
pub fn code_into<E: CodeEnum>(slot: &mut Option<E>, raw: &str) -> Result<(), ValueError> {
    slot.set_code(raw);
    Ok(())
}

impl fmt::Debug for FieldRef<'_> {
    /// The value as the field's own `Debug` prints it (`"005930"`, `Some(71900)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldRef::Text(v) => v.fmt(f),
            FieldRef::Decimal(v) => v.fmt(f),
            FieldRef::Integer(v) => v.fmt(f),
            FieldRef::Date(v) => v.fmt(f),
            FieldRef::Time(v) => v.fmt(f),
            FieldRef::DateTime(v) => v.fmt(f),
            FieldRef::YesNo(v) => v.fmt(f),
            FieldRef::Code(v) => v.fmt(f),
        }
    }
}

/// One field of a record, to store into.
#[derive(Debug)]
pub enum FieldMut<'r> {
    /// Text and codes.
    Text(&'r mut String),
    /// Decimals, prices, amounts and rates.
    Decimal(&'r mut Option<Decimal>),
    /// Quantities and integers.
    Integer(&'r mut Option<i64>),
    /// Dates.
    Date(&'r mut Option<NaiveDate>),
    /// Times.
    Time(&'r mut Option<NaiveTime>),
    /// Dates with a time.
    DateTime(&'r mut Option<NaiveDateTime>),
    /// Yes/no values.
    YesNo(&'r mut Option<bool>),
    /// Codes read into an enum.
    Code(&'r mut dyn CodeSlot),
}

/// Parses `raw` as `ty` (the field's catalog type, which names it in an error) into `slot`.
#[inline]
pub(super) fn store(slot: FieldMut<'_>, ty: ValueType, raw: &str) -> Result<(), ValueError> {
    match slot {
        FieldMut::Text(s) => raw.clone_into(s),
        FieldMut::Decimal(s) => *s = decimal_as(raw, ty)?,
        FieldMut::Integer(s) => *s = integer_as(raw, ty)?,
        FieldMut::Date(s) => *s = date(raw)?,
        FieldMut::Time(s) => *s = time(raw)?,
        FieldMut::DateTime(s) => *s = datetime(raw)?,
        FieldMut::YesNo(s) => *s = yes_no(raw)?,
        FieldMut::Code(s) => s.set_code(raw),
    }
    Ok(())
}

/// `Debug` of a record: its name and each field under its wire name, personal-data fields (the
/// catalog's `redacted`) as `***`. Used by generated code.
pub fn debug_record<R: Record>(record: &R, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut s = f.debug_struct(name);
    for (i, meta) in R::FIELDS.iter().enumerate() {
        if meta.redacted {
            s.field(meta.wire, &Redacted);
        } else if let Some(v) = record.field(i) {
            s.field(meta.wire, &v);
        }
    }
    s.finish()
}

/// Whether two records hold the same values, field by field. Used by generated code.
pub fn records_eq<R: Record>(a: &R, b: &R) -> bool {
    (0..R::FIELDS.len()).all(|i| a.field(i) == b.field(i))
}

/// A copy of a record, field by field. Used by generated code.
pub fn clone_record<R: Record>(record: &R) -> R {
    let mut copy = R::default();
    for i in 0..R::FIELDS.len() {
        if let (Some(from), Some(to)) = (record.field(i), copy.field_mut(i)) {
            copy_value(from, to);
        }
    }
    copy
}

fn copy_value(from: FieldRef<'_>, to: FieldMut<'_>) {
    match (from, to) {
        (FieldRef::Text(v), FieldMut::Text(s)) => v.clone_into(s),
        (FieldRef::Decimal(v), FieldMut::Decimal(s)) => *s = *v,
        (FieldRef::Integer(v), FieldMut::Integer(s)) => *s = *v,
        (FieldRef::Date(v), FieldMut::Date(s)) => *s = *v,
        (FieldRef::Time(v), FieldMut::Time(s)) => *s = *v,
        (FieldRef::DateTime(v), FieldMut::DateTime(s)) => *s = *v,
        (FieldRef::YesNo(v), FieldMut::YesNo(s)) => *s = *v,
        (FieldRef::Code(v), FieldMut::Code(s)) => s.set_code(v.code().unwrap_or("")),
        // both views come from the same generated `match`, so the kinds always agree
        (from, to) => debug_assert!(false, "field kinds differ: {from:?} and {to:?}"),
    }
}
