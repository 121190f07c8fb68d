//! The untyped records of a data frame: `count` records of `^`-separated fields back to back,
//! split by counting separators, paired with the catalog's columns when the TR is known. A record
//! may be wider or narrower than the catalog (KIS changes layouts without notice); only fields
//! that do not split evenly into the records are an error.

use crate::decode::RecordError;
use crate::meta::FieldMeta;

/// Iterator over the untyped records of a frame; see
/// [`RawFrame::records`](super::RawFrame::records).
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

    /// Catalog columns each record lacks (KIS changed the layout, or the catalog is ahead of
    /// it): the records hold the fields present, paired with the first columns. 0 when the
    /// payload does not split into its records.
    pub fn missing_columns(&self) -> usize {
        match self.error {
            Some(_) => 0,
            None => self.columns.len().saturating_sub(self.width),
        }
    }

    pub(super) fn new(payload: &'a str, count: usize, columns: &'static [FieldMeta]) -> Self {
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

    /// The fields paired with the catalog's columns (`None` past the known columns). A short
    /// record pairs its fields with the first columns; the columns it lacks do not appear.
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
