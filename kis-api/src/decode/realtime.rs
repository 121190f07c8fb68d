//! Splitting a realtime payload into records: `count` records of `^`-separated columns.

use std::fmt;
use std::marker::PhantomData;

use super::{RealtimeRecord, ValueError};
use crate::meta::CatalogMeta;

/// Parses the records of one realtime payload: `count` records of `^`-separated columns, back to
/// back. The records' width need not match the catalog, since KIS changes layouts without notice:
/// extra trailing columns are skipped (counted by [`RealtimeRecords::extra_columns`]), and when a
/// record is shorter than the catalog's columns the ones it lacks stay empty (`None`, or `""` for
/// text; counted by [`RealtimeRecords::missing_columns`]). Fields that do not split evenly into
/// `count` records are an error. A value that is one of `catalog`'s "no value" sentinels reads as
/// `None`.
pub fn realtime_records<'a, R: RealtimeRecord<'a>>(
    payload: &'a str,
    count: usize,
    catalog: &'static CatalogMeta,
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
        catalog,
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
    catalog: &'static CatalogMeta,
    _p: PhantomData<R>,
}

impl<'a, R: RealtimeRecord<'a>> RealtimeRecords<'a, R> {
    /// Columns each record has beyond the catalog's: KIS appends fields over time, and the typed
    /// records skip them, so they are counted here to be noticed. 0 when the payload does not
    /// split into its records (the records report that instead).
    pub fn extra_columns(&self) -> usize {
        if self.uneven() {
            return 0;
        }
        self.width.saturating_sub(R::COLUMNS.len())
    }

    /// Columns of the catalog's each record lacks: the typed records leave them empty, so they
    /// are counted here to be noticed. 0 when the payload does not split into its records (the
    /// records report that instead).
    pub fn missing_columns(&self) -> usize {
        if self.uneven() {
            return 0;
        }
        R::COLUMNS.len().saturating_sub(self.width)
    }

    /// Whether the fields do not split into `count` records of at least one field.
    fn uneven(&self) -> bool {
        self.count == 0 || self.total == 0 || !self.total.is_multiple_of(self.count)
    }
}

/// A realtime record that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
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
        if self.uneven() {
            self.remaining = 0;
            return Some(Err(RecordError::Uneven {
                fields: self.total,
                count: self.count,
            }));
        }
        // a short record sets the columns it has; the rest keep their empty default
        let expected = R::COLUMNS.len();
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
                && !self.catalog.is_sentinel(e.expected, &e.raw)
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
    use crate::decode::{borrowed_into, price_into};
    use crate::meta::{FieldMeta, ValueType};

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

    static COLUMNS: &[FieldMeta] = &[
        FieldMeta::new("code", "종목", ValueType::Code),
        FieldMeta::new("price", "현재가", ValueType::Price),
    ];

    #[derive(Default)]
    struct Tick<'a> {
        code: &'a str,
        price: Option<rust_decimal::Decimal>,
    }

    impl<'a> RealtimeRecord<'a> for Tick<'a> {
        const COLUMNS: &'static [FieldMeta] = COLUMNS;
        fn set(&mut self, index: usize, raw: &'a str) -> Result<(), ValueError> {
            match index {
                0 => borrowed_into(&mut self.code, raw),
                1 => price_into(&mut self.price, raw),
                _ => Ok(()),
            }
        }
    }

    #[test]
    fn extra_columns_are_tolerated_and_counted() {
        // two records of four columns, the catalog lists two
        let records =
            realtime_records::<Tick<'_>>("005930^71900^x^y^000660^120000^z^w", 2, &crate::CATALOG);
        assert_eq!(records.extra_columns(), 2);
        let ticks: Vec<(&str, Option<rust_decimal::Decimal>)> = records
            .map(|r| r.map(|t| (t.code, t.price)))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            ticks,
            [
                ("005930", Some(rust_decimal::Decimal::from(71900))),
                ("000660", Some(rust_decimal::Decimal::from(120_000)))
            ]
        );
        assert_eq!(
            realtime_records::<Tick<'_>>("005930^71900", 1, &crate::CATALOG).extra_columns(),
            0
        );
        // uneven payloads report that instead of a count
        assert_eq!(
            realtime_records::<Tick<'_>>("005930^71900^x", 2, &crate::CATALOG).extra_columns(),
            0
        );
    }

    #[test]
    fn short_records_decode_the_columns_present() {
        // two records of one column, the catalog lists two: the price reads as None
        let records = realtime_records::<Tick<'_>>("005930^000660", 2, &crate::CATALOG);
        assert_eq!((records.missing_columns(), records.extra_columns()), (1, 0));
        let ticks: Vec<(&str, Option<rust_decimal::Decimal>)> = records
            .map(|r| r.map(|t| (t.code, t.price)))
            .collect::<Result<_, _>>()
            .expect("short records decode");
        assert_eq!(ticks, [("005930", None), ("000660", None)]);
        let full = realtime_records::<Tick<'_>>("005930^71900", 1, &crate::CATALOG);
        assert_eq!(full.missing_columns(), 0);
        // a bad value among the columns present is still reported
        let bad: Vec<_> = realtime_records::<Tick<'_>>("005930^7x", 1, &crate::CATALOG)
            .map(|r| r.err())
            .collect();
        assert!(
            matches!(
                bad[..],
                [Some(RecordError::Value {
                    column: "price",
                    ..
                })]
            ),
            "{bad:?}"
        );
    }

    #[test]
    fn missing_columns_are_logged_once_per_tr() {
        // a TR ID no other test uses: the log is process-wide
        assert!(crate::decode::warn_missing_columns("HTESTMC0", 2, 5));
        assert!(!crate::decode::warn_missing_columns("HTESTMC0", 3, 5));
        assert!(crate::decode::warn_missing_columns("HTESTMC1", 1, 5));
    }

    #[test]
    fn fields_that_do_not_split_into_the_records_stay_an_error() {
        for (payload, count) in [("005930^71900^x", 2), ("005930", 2), ("", 1)] {
            let records = realtime_records::<Tick<'_>>(payload, count, &crate::CATALOG);
            assert_eq!(records.missing_columns(), 0, "{payload:?}");
            let all: Vec<_> = records.map(|r| r.err()).collect();
            assert!(
                matches!(all[..], [Some(RecordError::Uneven { .. })]),
                "{payload:?}: {all:?}"
            );
        }
    }
}
