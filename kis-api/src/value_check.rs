//! Request values against their catalog type, before anything is sent.
//!
//! KIS takes every value as a string and answers a malformed one late, sometimes by acting on it:
//! an order quantity of `-1`, `+5`, `1e3` or `" 1"` must never reach it. The catalog types each
//! request field (`request_types` in `spec/common.yaml`); this module holds the forms those types
//! have on the wire. Both paths check here: the by-name [`crate::DynamicRequest`] when a value is
//! set and when it is sent, the typed requests when they are encoded (a `u64` of 0 or a negative
//! [`rust_decimal::Decimal`] is representable there).
//!
//! Judgements recorded here:
//! - An empty value is left alone: KIS accepts empty values for unused keys, and required inputs
//!   are checked for presence elsewhere.
//! - Quantities and integers are unsigned digits: KIS's inputs are counts and volumes.
//! - Prices and amounts are non-negative decimals written plainly (`71900`, `0`, `12.5`); `0`
//!   stays valid (market orders send a price of 0).
//! - Rates and other decimals may carry a leading `-`.
//! - A quantity of 0 in an order (an endpoint that mutates) is refused, except where the request
//!   says "all that remains" through one of the catalog's `all_remaining_inputs` set to `Y`:
//!   KIS documents 0 as the quantity of such revise/cancel requests.

use crate::error::{Error, Result};
use crate::meta::{EndpointMeta, RequestFieldMeta, ValueType};

/// Characters of a refused value quoted in the error.
const SHOWN_CHARS: usize = 24;

/// Why `value` cannot be sent as the value of a field of type `ty`, or `None` when it can.
/// Empty values pass.
///
/// ```
/// use kis_api::meta::ValueType;
/// use kis_api::value_check::form_error;
///
/// assert!(form_error(ValueType::Quantity, "10").is_none());
/// assert!(form_error(ValueType::Quantity, "-1").is_some());
/// assert!(form_error(ValueType::Price, "71900.5").is_none());
/// assert!(form_error(ValueType::Price, "-5").is_some());
/// ```
pub fn form_error(ty: ValueType, value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return None;
    }
    let ok = match ty {
        ValueType::Quantity | ValueType::Integer => unsigned_integer(value),
        ValueType::Price | ValueType::Amount => plain_decimal(value),
        ValueType::Rate | ValueType::Decimal => {
            plain_decimal(value.strip_prefix('-').unwrap_or(value))
        }
        ValueType::YesNo => matches!(value, "Y" | "N"),
        // dates and times keep the forms KIS's examples show (some are text-typed on purpose);
        // text and codes are free
        ValueType::Date
        | ValueType::Time
        | ValueType::DateTime
        | ValueType::Text
        | ValueType::Code => true,
    };
    if ok {
        return None;
    }
    Some(match ty {
        ValueType::Quantity => "a quantity is written in digits only (no sign, space or exponent)",
        ValueType::Integer => "an integer input is written in digits only (no sign or space)",
        ValueType::Price => {
            "a price is a non-negative decimal written plainly (digits, at most one '.')"
        }
        ValueType::Amount => {
            "an amount is a non-negative decimal written plainly (digits, at most one '.')"
        }
        ValueType::Rate | ValueType::Decimal => {
            "a decimal is written plainly (an optional '-', digits, at most one '.')"
        }
        ValueType::YesNo => "a yes/no input is Y or N",
        _ => "not a value of its type",
    })
}

/// Checks the value of `field` alone: one of the values the catalog lists for it (a yes/no input
/// may know more than `Y` and `N`), else of its type's form (see [`form_error`]). The error names
/// the endpoint and field and quotes the start of the value.
pub fn check_field(meta: &EndpointMeta, field: &RequestFieldMeta, value: &str) -> Result<()> {
    if field.values.iter().any(|v| v.value == value) {
        return Ok(());
    }
    match form_error(field.ty, value) {
        None => Ok(()),
        Some(why) => Err(refused(meta, field, value, why)),
    }
}

/// Checks every value of a request about to be sent: each field's form, and that an order does
/// not carry a quantity of 0 (see the module's notes). `values` are `(wire name, value)` pairs;
/// names the catalog does not list are left alone.
pub fn check_request<'v>(
    meta: &EndpointMeta,
    values: impl Iterator<Item = (&'v str, &'v str)> + Clone,
) -> Result<()> {
    let field = |wire: &str| meta.request.iter().find(|f| f.wire == wire);
    for (wire, value) in values.clone() {
        if let Some(f) = field(wire) {
            check_field(meta, f, value)?;
        }
    }
    if !meta.mutates {
        return Ok(());
    }
    // "all that remains", as the catalog names its inputs, set to Y
    let all_remaining = values.clone().any(|(wire, value)| {
        value == "Y" && field(wire).is_some() && meta.catalog.is_all_remaining_input(wire)
    });
    if all_remaining {
        return Ok(());
    }
    for (wire, value) in values {
        if let Some(f) = field(wire).filter(|f| f.ty == ValueType::Quantity)
            && !value.is_empty()
            && value.bytes().all(|b| b == b'0')
        {
            return Err(refused(
                meta,
                f,
                value,
                "an order quantity must be at least 1",
            ));
        }
    }
    Ok(())
}

fn refused(meta: &EndpointMeta, field: &RequestFieldMeta, value: &str, why: &str) -> Error {
    let mut shown: String = value.chars().take(SHOWN_CHARS).collect();
    if value.chars().count() > SHOWN_CHARS {
        shown.push('…');
    }
    Error::Config(format!(
        "{}: {} ({}): {shown:?} cannot be sent: {why}",
        meta.id, field.wire, field.label
    ))
}

/// One or more ASCII digits that fit in a `u64`.
fn unsigned_integer(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 20
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u64>().is_ok()
}

/// Digits with at most one `.` between digits (`12`, `12.5`; not `.5`, `5.`, `+5`, `1e3`).
fn plain_decimal(s: &str) -> bool {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.len() <= 28 && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && frac.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_unsigned_digits() {
        for ok in ["1", "10", "0", "18446744073709551615", ""] {
            assert!(form_error(ValueType::Quantity, ok).is_none(), "{ok:?}");
        }
        for bad in [
            "-1",
            "+5",
            "1e3",
            " 1",
            "1 ",
            "1.0",
            "0x10",
            "١",
            "18446744073709551616",
            "1_000",
        ] {
            assert!(form_error(ValueType::Quantity, bad).is_some(), "{bad:?}");
            assert!(form_error(ValueType::Integer, bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn prices_are_non_negative_plain_decimals() {
        for ok in ["0", "71900", "12.5", "0.0001", ""] {
            assert!(form_error(ValueType::Price, ok).is_none(), "{ok:?}");
        }
        for bad in [
            "-1", "-0.5", "+5", "1e3", " 1", ".5", "5.", "1.2.3", "NaN", "inf",
        ] {
            assert!(form_error(ValueType::Price, bad).is_some(), "{bad:?}");
        }
        assert!(form_error(ValueType::Rate, "-0.53").is_none());
        assert!(form_error(ValueType::Rate, "--1").is_some());
        assert!(form_error(ValueType::YesNo, "Y").is_none());
        assert!(form_error(ValueType::YesNo, "yes").is_some());
        assert!(form_error(ValueType::Code, "-1 anything").is_none());
    }

    /// The catalog's "all that remains" inputs exist: each is a yes/no input of an order.
    #[cfg(feature = "all-groups")]
    #[test]
    fn every_all_remaining_input_is_a_yes_no_input_of_an_order() {
        let listed = crate::CATALOG.all_remaining_inputs;
        assert!(!listed.is_empty());
        for wire in listed {
            let used = crate::ENDPOINTS.iter().any(|m| {
                m.mutates
                    && m.request
                        .iter()
                        .any(|f| f.wire == *wire && f.ty == ValueType::YesNo)
            });
            assert!(used, "{wire} is no yes/no input of any order");
        }
    }
}
