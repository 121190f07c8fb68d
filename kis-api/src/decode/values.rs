//! The value parsers: one KIS string into one typed value. Blank or space-only values are `None`,
//! a leading `+` is accepted, and the catalog's sentinels ("no date", summary-row times) are `None`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

use crate::meta::ValueType;

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
pub(crate) fn with_article(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

impl std::error::Error for ValueError {}

fn bad(expected: ValueType, raw: &str) -> ValueError {
    ValueError {
        expected,
        raw: raw.to_string(),
    }
}

/// A value its type cannot read. Whether it is one of the catalog's "no value" sentinels
/// (`00000000` for a date a product does not have) is decided by the caller with the endpoint's
/// own catalog ([`crate::meta::CatalogMeta::is_sentinel`]): only on this error path, so the
/// sentinel table costs nothing on readable values.
#[cold]
#[inline(never)]
fn unreadable<T>(e: ValueError) -> Result<Option<T>, ValueError> {
    Err(e)
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
pub(super) fn decimal_as(raw: &str, ty: ValueType) -> Result<Option<Decimal>, ValueError> {
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
            .or_else(|_| unreadable(bad(ty, raw))),
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
pub(super) fn integer_as(raw: &str, ty: ValueType) -> Result<Option<i64>, ValueError> {
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
        Ok(d) if d.fract().is_zero() => i64::try_from(d)
            .map(Some)
            .or_else(|_| unreadable(bad(ty, raw))),
        _ => unreadable(bad(ty, raw)),
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
/// Another catalog sentinel is an error here; decoding reads it as `None` by the endpoint's
/// catalog.
pub fn date(raw: &str) -> Result<Option<NaiveDate>, ValueError> {
    read_date(raw)
}

fn read_date(raw: &str) -> Result<Option<NaiveDate>, ValueError> {
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
/// A catalog sentinel (`sentinels` in `spec/common.yaml`) is `None` too.
pub fn time(raw: &str) -> Result<Option<NaiveTime>, ValueError> {
    read_time(raw)
}

fn read_time(raw: &str) -> Result<Option<NaiveTime>, ValueError> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    hms(t, raw, ValueType::Time).map(Some)
}

/// `YYYYMMDDHHMMSS[fraction]` or `YYYY-MM-DD HH:MM:SS`; blank or all zeros is `None`.
/// A catalog sentinel (`sentinels` in `spec/common.yaml`) is `None` too.
pub fn datetime(raw: &str) -> Result<Option<NaiveDateTime>, ValueError> {
    read_datetime(raw)
}

fn read_datetime(raw: &str) -> Result<Option<NaiveDateTime>, ValueError> {
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
/// A catalog sentinel (`sentinels` in `spec/common.yaml`) is `None` too.
pub fn yes_no(raw: &str) -> Result<Option<bool>, ValueError> {
    read_yes_no(raw)
}

fn read_yes_no(raw: &str) -> Result<Option<bool>, ValueError> {
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
