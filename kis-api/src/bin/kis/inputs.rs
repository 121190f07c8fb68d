//! The inputs of `kis call`: `KEY=value` words read against the catalog — names in any case or by
//! Korean label, values as codes, labels or enum variant names — checked before anything is sent.

use kis_api::meta::{RequestFieldMeta, ValueType};
use kis_api::{DynamicRequest, EndpointMeta};

use crate::Failure;
use crate::call::CallArgs;
use crate::catalog::{self, did_you_mean, nearest, values_text};

/// The request of `kis call`, or a usage error naming what is wrong; what was read in another
/// form (a label for a code) is said on stderr.
pub fn build_request(
    meta: &'static EndpointMeta,
    args: &CallArgs,
) -> Result<DynamicRequest, Failure> {
    let mut pairs = Vec::with_capacity(args.inputs.len());
    for input in &args.inputs {
        let Some((key, value)) = input.split_once('=') else {
            return Err(Failure::usage(format!(
                "input '{}' is not KEY=value (e.g. FID_INPUT_ISCD=005930)",
                catalog::shown(input)
            )));
        };
        pairs.push((key.to_string(), value.to_string()));
    }
    let mut notes = Vec::new();
    let built = build(
        meta,
        args.variant.as_deref(),
        &pairs,
        args.force,
        &mut notes,
    );
    for note in notes {
        eprintln!("kis: {note}");
    }
    built
}

/// The request of `meta` from (name, value) inputs, or a usage error naming what is wrong:
/// variant, unknown inputs (with the nearest names), values outside closed sets (unless
/// `force`), missing required inputs (with their labels). `notes` receives what was read in
/// another form and what is sent despite a warning. Shared by `kis call` and `kis mcp`.
pub fn build(
    meta: &'static EndpointMeta,
    variant: Option<&str>,
    inputs: &[(String, String)],
    force: bool,
    notes: &mut Vec<String>,
) -> Result<DynamicRequest, Failure> {
    let mut req = DynamicRequest::new(meta)?;
    let variants: Vec<String> = meta
        .variants
        .iter()
        .map(|v| format!("{} ({})", v.name, v.label))
        .collect();
    match (variant, meta.variants.len()) {
        (None, n) if n > 1 => {
            return Err(Failure::usage(format!(
                "{} has {n} TR ID variants{}: choose one with --variant: {}",
                meta.id,
                meta.selector.map(|s| format!(" ({s})")).unwrap_or_default(),
                variants.join(", ")
            )));
        }
        (None, _) => {}
        (Some(v), _) => {
            catalog::check_name("variant", v)?;
            let found = meta.variants.iter().find(|x| {
                x.name.eq_ignore_ascii_case(v.trim()) || x.label == v.trim() || x.real == v.trim()
            });
            match found {
                Some(x) => req = req.variant(x.name)?,
                None => {
                    let near = nearest(v, meta.variants.iter().map(|x| x.name), 2);
                    let hint = did_you_mean(&near).map(|s| s + " ").unwrap_or_default();
                    return Err(Failure::usage(format!(
                        "{}: no variant '{v}'; {hint}variants: {}",
                        meta.id,
                        variants.join(", ")
                    )));
                }
            }
        }
    }
    let mut given: Vec<&'static str> = Vec::new();
    for (key, value) in inputs {
        catalog::check_name("input name", key)?;
        let field = find_field(meta, key.trim())?;
        if given.contains(&field.wire) {
            return Err(Failure::usage(format!(
                "{} ({}) is given twice",
                field.wire, field.label
            )));
        }
        given.push(field.wire);
        let value = check_value(field, value, force, notes)?;
        req = req.set(field.wire, value)?;
    }
    // what needs the whole request (an order's quantity of 0), before anything is sent
    let values = meta
        .request
        .iter()
        .filter_map(|f| req.value(f.wire).map(|v| (f.wire, v)));
    if let Err(e) = kis_api::value_check::check_request(meta, values) {
        return Err(Failure::usage(match e {
            kis_api::Error::Config(m) => m,
            other => other.to_string(),
        }));
    }
    let missing = req.missing();
    if !missing.is_empty() {
        let lines: Vec<String> = missing
            .iter()
            .map(|f| {
                let mut l = format!("  {} ({})", f.wire, f.label);
                if !f.values.is_empty() {
                    l.push_str(&format!(": {}", values_text(f.values)));
                }
                l
            })
            .collect();
        return Err(Failure::usage(format!(
            "{} ({}): missing required input{}:\n{}\n`kis describe {}` lists every input",
            meta.id,
            meta.name,
            if missing.len() > 1 { "s" } else { "" },
            lines.join("\n"),
            meta.id
        )));
    }
    Ok(req)
}

/// The input called `key`: its wire name in any case, or its exact Korean label when unique.
fn find_field(
    meta: &'static EndpointMeta,
    key: &str,
) -> Result<&'static RequestFieldMeta, Failure> {
    if let Some(f) = meta
        .request
        .iter()
        .find(|f| f.wire.eq_ignore_ascii_case(key))
    {
        return Ok(f);
    }
    let by_label: Vec<_> = meta.request.iter().filter(|f| f.label == key).collect();
    if let [one] = by_label.as_slice() {
        return Ok(one);
    }
    let upper = key.to_uppercase();
    let near = nearest(
        &upper,
        meta.request
            .iter()
            .map(|f| f.wire)
            .chain(meta.request.iter().map(|f| f.label)),
        3,
    );
    let near: Vec<String> = near
        .iter()
        .filter_map(|n| {
            meta.request
                .iter()
                .find(|f| f.wire == *n || f.label == *n)
                .map(|f| format!("{} ({})", f.wire, f.label))
        })
        .fold(Vec::new(), |mut acc, s| {
            if !acc.contains(&s) {
                acc.push(s);
            }
            acc
        });
    let hint = did_you_mean(&near).unwrap_or_else(|| {
        let all: Vec<&str> = meta.request.iter().map(|f| f.wire).collect();
        format!("inputs: {}", all.join(", "))
    });
    Err(Failure::usage(format!(
        "{} has no input '{key}'; {hint}",
        meta.id
    )))
}

/// Whether a field's known values are a closed set KIS checks: a required input without a
/// default whose values are all literal codes (the inputs KIS answers `ERROR INVALID ...` for).
/// Other value lists are hints: a value outside them is sent with a warning.
fn closed_set(f: &RequestFieldMeta) -> bool {
    f.must_be_given()
        && !f.values.is_empty()
        && f.values.iter().all(|v| {
            !v.value.is_empty()
                && v.value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// The value to send for `f`: a known value (given as itself, in another case, or by its label),
/// or another value when the set is open (warning) or `--force` is given; values of typed inputs
/// must have their form (quantity, price, date, ...).
fn check_value(
    f: &RequestFieldMeta,
    raw: &str,
    force: bool,
    notes: &mut Vec<String>,
) -> Result<String, Failure> {
    if raw.is_empty() {
        return Ok(String::new());
    }
    let chars = raw.chars().count();
    if chars > DynamicRequest::MAX_VALUE_CHARS {
        // quoting it whole would flood the terminal: its start is enough to recognise it
        let start: String = raw.chars().take(20).collect();
        return Err(Failure::usage(format!(
            "{} ({}): the value '{start}…' is {chars} characters long; inputs are at most {}",
            f.wire,
            f.label,
            DynamicRequest::MAX_VALUE_CHARS
        )));
    }
    // a yes/no input is also written true/false or yes/no
    let raw = match (f.ty, yes_no_word(raw)) {
        (ValueType::YesNo, Some(yn)) => yn,
        _ => raw,
    };
    let mut value = raw.to_string();
    if !f.values.is_empty() && !f.values.iter().any(|v| v.value == raw) {
        let t = raw.trim();
        let known = f
            .values
            .iter()
            .find(|v| v.value.eq_ignore_ascii_case(t))
            .or_else(|| f.values.iter().find(|v| v.label.eq_ignore_ascii_case(t)))
            .or_else(|| f.values.iter().find(|v| same_variant(v.name, t)));
        match known {
            Some(v) => {
                notes.push(format!(
                    "{}={raw} read as {} ({})",
                    f.wire, v.value, v.label
                ));
                value = v.value.to_string();
            }
            None => {
                let near = nearest(t, f.values.iter().map(|v| v.value), 2);
                let hint = did_you_mean(&near)
                    .map(|s| format!("; {s}"))
                    .unwrap_or_default();
                let msg = format!(
                    "{} ({}): '{}' is not one of {}{hint}",
                    f.wire,
                    f.label,
                    catalog::shown(raw),
                    values_text(f.values)
                );
                if closed_set(f) && !force {
                    return Err(Failure::usage(format!("{msg}\n(--force sends it anyway)")));
                }
                notes.push(format!("warning: {msg}; sent as given"));
            }
        }
    }
    // numbers and yes/no the library refuses to send in another form: --force cannot help
    if !f.values.iter().any(|v| v.value == value)
        && let Some(why) = kis_api::value_check::form_error(f.ty, &value)
    {
        let shown: String = value.chars().take(24).collect();
        return Err(Failure::usage(format!(
            "{} ({}): {shown:?} cannot be sent: {why}",
            f.wire, f.label
        )));
    }
    let form = match f.ty {
        ValueType::Quantity
        | ValueType::Integer
        | ValueType::Price
        | ValueType::Amount
        | ValueType::Rate
        | ValueType::Decimal => None,
        ValueType::Date => kis_api::decode::date(&value).map(|_| ()).err(),
        ValueType::Time => kis_api::decode::time(&value).map(|_| ()).err(),
        ValueType::DateTime => kis_api::decode::datetime(&value).map(|_| ()).err(),
        ValueType::YesNo => kis_api::decode::yes_no(&value).map(|_| ()).err(),
        ValueType::Text | ValueType::Code => None,
    };
    if let Some(e) = form {
        let msg = format!("{} ({}): {e}", f.wire, f.label);
        if !force {
            return Err(Failure::usage(format!("{msg}\n(--force sends it anyway)")));
        }
        notes.push(format!("warning: {msg}; sent as given"));
    }
    Ok(value)
}

/// Whether `given` names the Rust enum variant `name` (`BySymbol`, written `by_symbol`,
/// `bysymbol` or `BY-SYMBOL`).
fn same_variant(name: &str, given: &str) -> bool {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    !name.is_empty() && squash(name) == squash(given)
}

/// `Y`/`N` for the words a yes/no input is also written with (`true`, `no`, ...).
fn yes_no_word(given: &str) -> Option<&'static str> {
    match given.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" => Some("Y"),
        "n" | "no" | "false" => Some("N"),
        _ => None,
    }
}
