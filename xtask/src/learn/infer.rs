//! What a value looks like: the apparent type of the values seen under one key, whether a value
//! reads as a catalog type (with the client's own readers), and values that look like "no value"
//! markers the catalog does not list.

use kis_api::meta::ValueType;
use kis_api::runtime as read;

/// The apparent type of `values` (empty ones ignored): the narrowest that reads every value.
/// `None` when every value is empty.
pub fn apparent_type<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<ValueType> {
    let seen: Vec<&str> = values
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if seen.is_empty() {
        return None;
    }
    let all = |f: fn(&str) -> bool| seen.iter().all(|v| f(v));
    let ty = if all(|v| matches!(v, "Y" | "N")) {
        ValueType::YesNo
    } else if all(|v| v.len() == 8 && digits(v) && read::date(v).is_ok_and(|d| d.is_some())) {
        ValueType::Date
    } else if all(|v| v.len() == 6 && digits(v) && read::time(v).is_ok_and(|t| t.is_some())) {
        ValueType::Time
    } else if all(|v| v.len() == 14 && digits(v) && read::datetime(v).is_ok_and(|t| t.is_some())) {
        ValueType::DateTime
    } else if all(|v| digits(v) && v.len() > 1 && v.starts_with('0')) {
        // zero-padded digits: an identifier or code more often than a number
        ValueType::Code
    } else if all(|v| digits(v.strip_prefix(['-', '+']).unwrap_or(v))) {
        ValueType::Integer
    } else if all(|v| read::decimal(v).is_ok()) {
        ValueType::Decimal
    } else {
        ValueType::Text
    };
    Some(ty)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the client reads `raw` as a `ty` value (an empty value or a catalog sentinel reads
/// as none, which is fine).
pub fn reads_as(ty: ValueType, raw: &str) -> bool {
    match ty {
        ValueType::Text | ValueType::Code => true,
        ValueType::Decimal => read::decimal(raw).is_ok(),
        ValueType::Price => read::price(raw).is_ok(),
        ValueType::Amount => read::amount(raw).is_ok(),
        ValueType::Rate => read::rate(raw).is_ok(),
        ValueType::Quantity => read::quantity(raw).is_ok(),
        ValueType::Integer => read::integer(raw).is_ok(),
        ValueType::Date => read::date(raw).is_ok(),
        ValueType::Time => read::time(raw).is_ok(),
        ValueType::DateTime => read::datetime(raw).is_ok(),
        ValueType::YesNo => read::yes_no(raw).is_ok(),
    }
}

/// Whether `raw` looks like a "no value" marker of a number, date or time: all nines (`99999999`,
/// `-9999`), or `99991231` for a date. Zeros are not: 0 is a real amount.
pub fn looks_like_sentinel(ty: ValueType, raw: &str) -> bool {
    let t = raw.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    match ty {
        ValueType::Text | ValueType::Code | ValueType::YesNo => false,
        ValueType::Date => t == "99991231" || (body.len() >= 4 && body.bytes().all(|b| b == b'9')),
        _ => body.len() >= 6 && body.bytes().all(|b| b == b'9'),
    }
}

/// Whether a rule's type `rule` already says what `seen` says (the rule's is then kept: it is
/// the more specific, a price rather than a decimal).
pub fn agrees(rule: ValueType, seen: ValueType) -> bool {
    use ValueType as T;
    rule == seen
        || matches!(
            (rule, seen),
            (
                T::Price | T::Amount | T::Rate | T::Decimal,
                T::Integer | T::Decimal
            ) | (T::Quantity, T::Integer)
                | (T::Text, T::Code)
                | (T::Code, T::Text | T::Code)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apparent_types_of_typical_values() {
        let t = |v: &[&str]| apparent_type(v.iter().copied());
        assert_eq!(t(&["12.50", "-3", ""]), Some(ValueType::Decimal));
        assert_eq!(t(&["12", "-3"]), Some(ValueType::Integer));
        assert_eq!(t(&["20261206", "20250101"]), Some(ValueType::Date));
        assert_eq!(t(&["093000", "153000"]), Some(ValueType::Time));
        assert_eq!(t(&["20261206093000"]), Some(ValueType::DateTime));
        assert_eq!(t(&["Y", "N"]), Some(ValueType::YesNo));
        // one six-digit code reads as a time too (00:59:30); 000660 does not
        assert_eq!(t(&["005930"]), Some(ValueType::Time));
        assert_eq!(t(&["005930", "000660"]), Some(ValueType::Code));
        assert_eq!(t(&["삼성전자", "12"]), Some(ValueType::Text));
        assert_eq!(t(&["", "  "]), None);
        // 20261399 is no date: eight digits alone do not make one
        assert_eq!(t(&["20261399"]), Some(ValueType::Integer));
    }

    #[test]
    fn readability_sentinels_and_agreement() {
        assert!(reads_as(ValueType::Price, "71900"));
        assert!(!reads_as(ValueType::Price, "abc"));
        assert!(!reads_as(ValueType::Date, "2026-13-45"));
        assert!(looks_like_sentinel(ValueType::Amount, "-99999999"));
        assert!(looks_like_sentinel(ValueType::Date, "99991231"));
        assert!(!looks_like_sentinel(ValueType::Amount, "0"));
        assert!(!looks_like_sentinel(ValueType::Text, "999999"));
        assert!(agrees(ValueType::Price, ValueType::Integer));
        assert!(!agrees(ValueType::Text, ValueType::Decimal));
    }
}
