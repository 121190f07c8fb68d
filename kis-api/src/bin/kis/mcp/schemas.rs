//! The tools' definitions: names, descriptions and JSON Schemas of their inputs, the six general
//! tools written here and one typed tool per endpoint built from the catalog.

use std::sync::Arc;

use kis_api::EndpointMeta;
use kis_api::meta::{EndpointKind, RequestFieldMeta, ValueType};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::catalog::filled_by;

/// The most pages `kis_call` follows.
pub const MAX_PAGES: u64 = 20;
/// The most records `kis_watch` returns.
pub const MAX_RECORDS: u64 = 200;
/// The longest `kis_watch` waits, in seconds.
pub const MAX_SECONDS: u64 = 60;

/// Names of the general tools.
pub const SEARCH: &str = "kis_search";
/// Describes an endpoint.
pub const DESCRIBE: &str = "kis_describe";
/// Calls an endpoint that changes nothing.
pub const CALL: &str = "kis_call";
/// Previews an order.
pub const ORDER: &str = "kis_order";
/// Sends a previewed order.
pub const CONFIRM: &str = "kis_confirm";
/// A realtime snapshot.
pub const WATCH: &str = "kis_watch";

fn object(v: Value) -> Arc<JsonObject> {
    match v {
        Value::Object(o) => Arc::new(o),
        _ => Arc::new(JsonObject::new()),
    }
}

fn tool(name: &'static str, description: String, schema: Value, read_only: bool) -> Tool {
    let mut annotations = ToolAnnotations::default();
    annotations.read_only_hint = Some(read_only);
    annotations.destructive_hint = Some(!read_only);
    annotations.open_world_hint = Some(true);
    let mut t = Tool::default();
    t.name = name.into();
    t.description = Some(description.into());
    t.input_schema = object(schema);
    t.annotations = Some(annotations);
    t
}

/// The schema of `inputs`: names are wire names (any case), values strings (codes or labels).
fn inputs_schema() -> Value {
    json!({
        "type": "object",
        "description": "Inputs by wire name, any case (FID_INPUT_ISCD); values as wire codes or \
                        their Korean labels (ORD_DVSN: \"00\" or \"지정가\"). kis_describe lists \
                        them. Account inputs (CANO, ACNT_PRDT_CD) are filled by the server.",
        "additionalProperties": {"type": ["string", "number", "boolean"]}
    })
}

/// The six general tools.
pub fn general_tools() -> Vec<Tool> {
    vec![
        tool(
            SEARCH,
            "Find KIS Open API endpoints by Korean or English words, endpoint id, TR ID or \
             category (group). Returns ids, Korean names, groups, TR IDs, whether demo serves \
             them and whether they change state (orders)."
                .into(),
            json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "minLength": 1, "maxLength": 200,
                              "description": "e.g. 현재가, inquire_price, FHKST01010100, order, domestic_stock"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}
                },
                "required": ["query"],
                "additionalProperties": false
            }),
            true,
        ),
        tool(
            DESCRIBE,
            "Everything needed to build a call of one endpoint: inputs (required or not, value \
             sets with Korean labels, types), TR ID variants, demo support, pagination and \
             output fields with labels."
                .into(),
            json!({
                "type": "object",
                "properties": {
                    "endpoint": {"type": "string", "minLength": 1, "maxLength": 200,
                                 "description": "endpoint id (domestic_stock.inquire_price), its last part, a TR ID or the Korean name"}
                },
                "required": ["endpoint"],
                "additionalProperties": false
            }),
            true,
        ),
        tool(
            CALL,
            format!(
                "Call a KIS REST endpoint that changes nothing (quotes, charts, balances, \
                 rankings). Inputs are checked against the catalog before anything is sent. \
                 Orders are refused here: use kis_order. Paginated endpoints follow up to \
                 max_pages pages (at most {MAX_PAGES}). The result names the environment."
            ),
            json!({
                "type": "object",
                "properties": {
                    "endpoint": {"type": "string", "minLength": 1, "maxLength": 200},
                    "variant": {"type": "string", "description": "TR ID variant as kis_describe lists it, for endpoints with several"},
                    "inputs": inputs_schema(),
                    "max_pages": {"type": "integer", "minimum": 1, "maximum": MAX_PAGES, "default": 1},
                    "labels": {"type": "boolean", "default": false,
                               "description": "also return the Korean label of every output field"}
                },
                "required": ["endpoint"],
                "additionalProperties": false
            }),
            true,
        ),
        tool(
            ORDER,
            "Preview a state-changing call (an order, a cancellation): checks the inputs and \
             returns what would be sent, the environment, the account (masked) and a one-time \
             confirmation id valid for 180 seconds. Sends nothing; kis_confirm sends it."
                .into(),
            json!({
                "type": "object",
                "properties": {
                    "endpoint": {"type": "string", "minLength": 1, "maxLength": 200},
                    "variant": {"type": "string", "description": "e.g. buy or sell"},
                    "inputs": inputs_schema()
                },
                "required": ["endpoint", "inputs"],
                "additionalProperties": false
            }),
            false,
        ),
        tool(
            CONFIRM,
            "Send an order previewed by kis_order, exactly once. Works only when the server was \
             started with --allow-orders (and --allow-real-orders for the real environment); a \
             confirmation works once and expires 180 seconds after its preview."
                .into(),
            json!({
                "type": "object",
                "properties": {
                    "confirmation": {"type": "string", "minLength": 1, "maxLength": 64}
                },
                "required": ["confirmation"],
                "additionalProperties": false
            }),
            false,
        ),
        tool(
            WATCH,
            format!(
                "A bounded realtime snapshot: subscribes to one realtime TR for one key, collects \
                 up to `count` records (at most {MAX_RECORDS}) within `seconds` (at most \
                 {MAX_SECONDS}), then unsubscribes. Records are typed and keyed by wire name."
            ),
            json!({
                "type": "object",
                "properties": {
                    "tr": {"type": "string", "description": "endpoint id (domestic_stock.ccnl_krx) or TR ID (H0STCNT0)"},
                    "key": {"type": "string", "description": "product code such as 005930"},
                    "count": {"type": "integer", "minimum": 1, "maximum": MAX_RECORDS, "default": 5},
                    "seconds": {"type": "integer", "minimum": 1, "maximum": MAX_SECONDS, "default": 10},
                    "labels": {"type": "boolean", "default": false}
                },
                "required": ["tr", "key"],
                "additionalProperties": false
            }),
            true,
        ),
    ]
}

/// The tool name of an endpoint's typed tool: its id with `.` as `__`
/// (`domestic_stock__inquire_price`), within the characters every client accepts.
pub fn endpoint_tool_name(meta: &EndpointMeta) -> String {
    meta.id.replace('.', "__")
}

/// Whether an endpoint gets a typed tool: REST endpoints (auth ones are the client's own).
pub fn has_typed_tool(meta: &EndpointMeta) -> bool {
    meta.kind == EndpointKind::Rest
}

/// The JSON Schema type of an input.
fn json_type(ty: ValueType) -> Value {
    match ty {
        ValueType::Quantity
        | ValueType::Integer
        | ValueType::Price
        | ValueType::Amount
        | ValueType::Rate
        | ValueType::Decimal => json!(["string", "number"]),
        ValueType::YesNo => json!(["string", "boolean"]),
        _ => json!("string"),
    }
}

/// One input's schema: its label and type, and its values (an `enum` of codes when the set is
/// closed, else listed in the description).
fn input_schema(f: &RequestFieldMeta) -> Value {
    let mut description = format!("{} ({})", f.label, f.ty.name());
    if let Some(d) = f.default.filter(|d| !d.is_empty()) {
        description.push_str(&format!("; default {d}"));
    }
    if !f.values.is_empty() {
        let listed: Vec<String> = f
            .values
            .iter()
            .map(|v| format!("{}={}", v.value, v.label))
            .collect();
        description.push_str(&format!("; values: {}", listed.join(", ")));
    }
    json!({"type": json_type(f.ty), "description": description})
}

/// The typed tool of one endpoint: every input a caller gives as a property (account and
/// paging inputs are filled by the server), `variant` when there are several.
pub fn endpoint_tool(meta: &'static EndpointMeta) -> Tool {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for f in meta.request.iter().filter(|f| filled_by(f).is_none()) {
        properties.insert(f.wire.to_string(), input_schema(f));
        if f.must_be_given() {
            required.push(Value::from(f.wire));
        }
    }
    if meta.variants.len() > 1 {
        let names: Vec<&str> = meta.variants.iter().map(|v| v.name).collect();
        let labels: Vec<String> = meta
            .variants
            .iter()
            .map(|v| format!("{}={}", v.name, v.label))
            .collect();
        properties.insert(
            "variant".into(),
            json!({"type": "string", "enum": names, "description": labels.join(", ")}),
        );
        required.push(Value::from("variant"));
    }
    if meta.is_paginated() && !meta.mutates {
        properties.insert(
            "max_pages".into(),
            json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGES, "default": 1}),
        );
    }
    let what = if meta.mutates {
        "Previews this order (sends nothing; returns a confirmation id for kis_confirm)"
    } else {
        "Calls this endpoint (changes nothing)"
    };
    let description = format!(
        "{} [{}]. {what}. Values as codes or Korean labels; demo: {}.",
        meta.name,
        meta.id,
        if meta.demo { "served" } else { "not served" }
    );
    let schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    });
    let mut t = tool("", description, schema, !meta.mutates);
    t.name = endpoint_tool_name(meta).into();
    t.title = Some(meta.name.to_string());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_tools_have_object_schemas_with_their_required_inputs() {
        let tools = general_tools();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, [SEARCH, DESCRIBE, CALL, ORDER, CONFIRM, WATCH]);
        for t in &tools {
            assert_eq!(
                t.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                t.name
            );
            assert!(t.input_schema.get("required").is_some(), "{}", t.name);
        }
    }

    #[test]
    fn typed_tools_come_from_the_catalog() {
        let order = crate::catalog::find("domestic_stock.order_cash").unwrap();
        let t = endpoint_tool(order);
        assert_eq!(t.name, "domestic_stock__order_cash");
        let props = t.input_schema["properties"].as_object().unwrap();
        // the account is the server's to fill
        assert!(!props.contains_key("CANO"));
        assert!(props.contains_key("PDNO"));
        assert!(props["variant"]["enum"].as_array().unwrap().len() >= 2);
        assert!(
            t.annotations
                .as_ref()
                .and_then(|a| a.destructive_hint)
                .unwrap()
        );
        for m in crate::catalog::endpoints().filter(|m| has_typed_tool(m)) {
            let name = endpoint_tool_name(m);
            assert!(name.len() <= 64, "{name}");
            assert!(
                name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{name}"
            );
        }
    }
}
