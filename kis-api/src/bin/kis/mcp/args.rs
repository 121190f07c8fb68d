//! Reading a tool call's arguments (untrusted JSON from the agent): strings, clamped integers,
//! flags, and `inputs` as (name, value) pairs. Wrong types are usage errors that say what is
//! expected; nothing here panics.

use rmcp::model::JsonObject;
use serde_json::Value;

use crate::Failure;
use crate::lookup::MAX_NAME_CHARS;

/// Inputs one call may give: far more than any endpoint has.
const MAX_INPUTS: usize = 64;

/// The string argument `name`, required.
pub fn required_str<'a>(args: &'a JsonObject, name: &str) -> Result<&'a str, Failure> {
    match args.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(Failure::usage(format!("`{name}` is required")))
        }
        Some(other) => Err(Failure::usage(format!(
            "`{name}` must be a string, not {}",
            type_name(other)
        ))),
    }
}

/// The string argument `name`, if given.
pub fn optional_str<'a>(args: &'a JsonObject, name: &str) -> Result<Option<&'a str>, Failure> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Failure::usage(format!(
            "`{name}` must be a string, not {}",
            type_name(other)
        ))),
    }
}

/// The integer argument `name` clamped to `1..=max`, `default` when absent.
pub fn clamped(args: &JsonObject, name: &str, default: u64, max: u64) -> Result<u64, Failure> {
    let n = match args.get(name) {
        None | Some(Value::Null) => default,
        Some(Value::Number(n)) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u,
            (None, Some(_), _) => 1,
            (None, None, Some(f)) if f.is_finite() && f >= 1.0 => f.min(max as f64) as u64,
            _ => 1,
        },
        Some(Value::String(s)) => s.trim().parse::<u64>().map_err(|_| {
            Failure::usage(format!("`{name}` must be a whole number from 1 to {max}"))
        })?,
        Some(other) => {
            return Err(Failure::usage(format!(
                "`{name}` must be a whole number from 1 to {max}, not {}",
                type_name(other)
            )));
        }
    };
    Ok(n.clamp(1, max))
}

/// The boolean argument `name`, false when absent.
pub fn flag(args: &JsonObject, name: &str) -> bool {
    matches!(args.get(name), Some(Value::Bool(true)))
}

/// `inputs` as (name, value) pairs: values given as strings, numbers or booleans (`true` is
/// `Y`), in the order given.
pub fn inputs(args: &JsonObject, field: &str) -> Result<Vec<(String, String)>, Failure> {
    let map = match args.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(Failure::usage(format!(
                "`{field}` must be an object of input names and values (e.g. \
                 {{\"FID_INPUT_ISCD\": \"005930\"}}), not {}",
                type_name(other)
            )));
        }
    };
    if map.len() > MAX_INPUTS {
        return Err(Failure::usage(format!(
            "`{field}` has {} entries; an endpoint takes at most {MAX_INPUTS}",
            map.len()
        )));
    }
    map.iter()
        .map(|(k, v)| Ok((k.clone(), scalar(field, k, v)?)))
        .collect()
}

/// The (name, value) pairs of a typed endpoint tool: every argument but the tool's own.
pub fn typed_inputs(args: &JsonObject, own: &[&str]) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    for (k, v) in args.iter().filter(|(k, _)| !own.contains(&k.as_str())) {
        out.push((k.clone(), scalar("input", k, v)?));
    }
    Ok(out)
}

fn scalar(field: &str, key: &str, v: &Value) -> Result<String, Failure> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if *b { "Y" } else { "N" }.to_string()),
        Value::Null => Ok(String::new()),
        other => {
            let shown: String = key.chars().take(MAX_NAME_CHARS.min(40)).collect();
            Err(Failure::usage(format!(
                "{field} {shown}: a value must be a string, number or boolean, not {}",
                type_name(other)
            )))
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn arguments_are_read_and_clamped_without_panicking() {
        let a = obj(
            json!({"endpoint": "x", "count": 1e300, "seconds": -5, "max_pages": "3",
                           "inputs": {"A": 1, "b": true, "c": "v"}}),
        );
        assert_eq!(required_str(&a, "endpoint").unwrap(), "x");
        assert!(required_str(&a, "tr").is_err());
        assert_eq!(clamped(&a, "count", 5, 200).unwrap(), 200);
        assert_eq!(clamped(&a, "seconds", 10, 60).unwrap(), 1);
        assert_eq!(clamped(&a, "max_pages", 1, 20).unwrap(), 3);
        assert_eq!(clamped(&a, "absent", 7, 20).unwrap(), 7);
        let pairs = inputs(&a, "inputs").unwrap();
        assert_eq!(pairs.len(), 3);
        assert!(pairs.contains(&("b".to_string(), "Y".to_string())));
        let bad = obj(json!({"inputs": [1, 2], "endpoint": 3}));
        assert!(inputs(&bad, "inputs").is_err());
        assert!(required_str(&bad, "endpoint").is_err());
        let nested = obj(json!({"inputs": {"A": {"x": 1}}}));
        assert!(inputs(&nested, "inputs").is_err());
    }
}
