//! `cargo xtask openapi`: the catalog's HTTP endpoints (REST and auth) as an OpenAPI 3.1
//! document, so generators of other languages can use what the Rust bindings are built from.
//!
//! Everything here is read from the validated catalog model; KIS's own extensions (TR IDs per
//! environment and variant, continuation keys, demo availability, response codes) are kept as
//! `x-kis-*` fields where OpenAPI has no place for them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use heck::ToUpperCamelCase;
use kis_codegen::model::{
    Block, Catalog, Endpoint, EndpointKind, Field, Method, RequestField, Shape, ValueType, Variant,
};
use serde_json::{Map, Value, json};

/// Headers that OpenAPI describes elsewhere (content type, security schemes) or per operation
/// (`tr_id`); every other common header becomes a shared optional header parameter.
const HEADERS_DESCRIBED_ELSEWHERE: [&str; 5] = [
    "content-type",
    "authorization",
    "appkey",
    "appsecret",
    "tr_id",
];

/// The response envelope's fields, which every REST answer carries.
const ENVELOPE: [(&str, &str); 3] = [
    ("rt_cd", "성공 실패 여부 (0: 성공)"),
    ("msg_cd", "응답코드"),
    ("msg1", "응답메세지"),
];

/// `cargo xtask openapi [--out FILE] [--check]`.
pub fn run(spec_dir: &Path, out: &Path, check: bool) -> Result<ExitCode, String> {
    let catalog = kis_codegen::load_catalog(spec_dir).map_err(|d| d.to_string())?;
    let text = to_text(&document(&catalog)?)?;
    if check {
        let old = std::fs::read_to_string(out).unwrap_or_default();
        if old == text {
            println!("{}: up to date", out.display());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{} is stale: run cargo xtask openapi --out {}",
            out.display(),
            out.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(out, &text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "{}: {} operations",
        out.display(),
        http_endpoints(&catalog).count()
    );
    Ok(ExitCode::SUCCESS)
}

/// The document as committed: pretty JSON with a final newline.
pub fn to_text(doc: &Value) -> Result<String, String> {
    serde_json::to_string_pretty(doc)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

/// The endpoints the document covers: every one called over HTTP.
pub fn http_endpoints(catalog: &Catalog) -> impl Iterator<Item = &Endpoint> {
    catalog
        .endpoints
        .iter()
        .filter(|e| matches!(e.kind, EndpointKind::Rest | EndpointKind::Auth))
}

/// `<group>_<id>`: the operation id of an endpoint.
pub fn operation_id(e: &Endpoint) -> String {
    format!("{}_{}", e.group, e.id)
}

/// Builds the OpenAPI document. Fails when two endpoints would share a path and method or two
/// schemas a name, rather than letting one replace the other.
pub fn document(catalog: &Catalog) -> Result<Value, String> {
    let mut schemas = Schemas::default();
    schemas.insert("KisError", error_schema(catalog))?;
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for e in http_endpoints(catalog) {
        let method = e
            .method
            .ok_or_else(|| format!("{}: no HTTP method", e.qualified_id))?;
        let method = match method {
            Method::Get => "get",
            Method::Post => "post",
        };
        let op = operation(catalog, e, method, &mut schemas)?;
        let item = paths.entry(e.path.clone()).or_default();
        if item.insert(method.to_string(), op).is_some() {
            return Err(format!("{} {method}: two endpoints", e.path));
        }
    }
    let common = &catalog.common;
    let mut parameters = Map::new();
    for h in common
        .headers
        .iter()
        .filter(|h| !HEADERS_DESCRIBED_ELSEWHERE.contains(&h.name.as_str()))
    {
        parameters.insert(
            header_ref_name(&h.name),
            json!({
                "name": h.name,
                "in": "header",
                "required": false,
                "description": h.label,
                "schema": {"type": "string"},
            }),
        );
    }
    let label = |name: &str| {
        common
            .headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.label.clone())
            .unwrap_or_default()
    };
    let tags: Vec<Value> = catalog
        .groups
        .iter()
        .map(|g| json!({"name": g.id, "description": format!("{}: {}", g.name, g.doc)}))
        .collect();
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "KIS Open Trading API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Korea Investment & Securities Open API (REST and auth endpoints), \
                generated from the kis-api endpoint catalog by `cargo xtask openapi`. Every \
                response value is a string; `format` says how to read it (decimal, kis-date \
                YYYYMMDD, kis-time HHMMSS, kis-datetime, kis-integer, kis-yes-no); a blank value \
                means none. The tr_id header selects the transaction: `x-kis-tr-ids` gives its \
                value per environment (real, demo) and variant. Realtime (WebSocket) endpoints \
                are not part of this document.",
        },
        "servers": [
            {"url": common.real_rest, "description": "real (실전투자)"},
            {"url": common.demo_rest, "description": "demo (모의투자)"},
        ],
        "tags": tags,
        "x-kis-errors": error_codes(catalog),
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": label("authorization")},
                "appkey": {"type": "apiKey", "in": "header", "name": "appkey", "description": label("appkey")},
                "appsecret": {"type": "apiKey", "in": "header", "name": "appsecret", "description": label("appsecret")},
            },
            "parameters": parameters,
            "schemas": schemas.0,
        },
    }))
}

/// Component schemas by name, refusing a second schema under a name already taken.
#[derive(Default)]
struct Schemas(Map<String, Value>);

impl Schemas {
    fn insert(&mut self, name: &str, schema: Value) -> Result<Value, String> {
        if self.0.insert(name.to_string(), schema).is_some() {
            return Err(format!("two schemas named {name}"));
        }
        Ok(json!({"$ref": format!("#/components/schemas/{name}")}))
    }
}

fn header_ref_name(header: &str) -> String {
    format!("header_{header}")
}

fn error_codes(catalog: &Catalog) -> Vec<Value> {
    catalog
        .common
        .errors
        .iter()
        .map(|c| {
            json!({
                "code": c.code,
                "prefix": c.prefix,
                "meaning": c.meaning,
                "action": c.action.name(),
            })
        })
        .collect()
}

fn error_schema(catalog: &Catalog) -> Value {
    let codes: Vec<String> = catalog
        .common
        .errors
        .iter()
        .map(|c| {
            let star = if c.prefix { "*" } else { "" };
            format!("{}{star}: {} ({})", c.code, c.meaning, c.action.name())
        })
        .collect();
    let mut props = Map::new();
    for (name, label) in ENVELOPE {
        props.insert(name.into(), json!({"type": "string", "description": label}));
    }
    json!({
        "type": "object",
        "description": format!(
            "KIS's answer envelope (rt_cd other than 0 is a failure). Known msg_cd codes \
             (* a family of codes; action: what a client does):\n- {}",
            codes.join("\n- ")
        ),
        "properties": props,
        "x-kis-errors": error_codes(catalog),
    })
}

fn operation(
    catalog: &Catalog,
    e: &Endpoint,
    method: &str,
    schemas: &mut Schemas,
) -> Result<Value, String> {
    let id = operation_id(e);
    let type_base = id.to_upper_camel_case();
    let rest = e.kind == EndpointKind::Rest;
    let mut parameters: Vec<Value> = Vec::new();
    if rest {
        parameters.push(tr_id_parameter(e));
        for h in catalog
            .common
            .headers
            .iter()
            .filter(|h| !HEADERS_DESCRIBED_ELSEWHERE.contains(&h.name.as_str()))
        {
            parameters.push(
                json!({"$ref": format!("#/components/parameters/{}", header_ref_name(&h.name))}),
            );
        }
    }
    let mut op = Map::new();
    op.insert("operationId".into(), json!(id));
    op.insert("tags".into(), json!([e.group]));
    op.insert("summary".into(), json!(e.name));
    op.insert("description".into(), json!(description(e)));
    if method == "get" {
        parameters.extend(e.request.iter().map(|f| {
            json!({
                "name": f.wire,
                "in": "query",
                "required": f.required,
                "description": request_description(f),
                "schema": request_schema(f),
            })
        }));
    } else {
        let body = if e.request.is_empty() {
            // a request without fields in the catalog (hashkey) takes any JSON object
            json!({"type": "object", "additionalProperties": true})
        } else {
            let mut props = Map::new();
            for f in &e.request {
                let mut schema = request_schema(f);
                schema["description"] = json!(request_description(f));
                props.insert(f.wire.clone(), schema);
            }
            let required: Vec<&str> = e
                .request
                .iter()
                .filter(|f| f.required)
                .map(|f| f.wire.as_str())
                .collect();
            let body = json!({"type": "object", "properties": props, "required": required});
            schemas.insert(&format!("{type_base}Request"), body)?
        };
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {"schema": body}}}),
        );
    }
    op.insert("parameters".into(), json!(parameters));
    let security = if rest {
        json!([{"bearer": [], "appkey": [], "appsecret": []}])
    } else if e.request.is_empty() {
        json!([{"appkey": [], "appsecret": []}])
    } else {
        json!([])
    };
    op.insert("security".into(), security);
    let response = response_schema(e, &type_base, rest, schemas)?;
    let mut ok = json!({
        "description": e.name,
        "content": {"application/json": {"schema": response}},
    });
    if rest {
        ok["headers"] = json!({
            "tr_cont": {
                "description": "F or M: more pages follow; D or E: last page",
                "schema": {"type": "string"},
            },
        });
    }
    op.insert(
        "responses".into(),
        json!({
            "200": ok,
            "default": {
                "description": "an error envelope (gateway errors come with HTTP 500)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KisError"}}},
            },
        }),
    );
    op.insert("x-kis-demo".into(), json!(e.demo));
    if let Some(note) = &e.demo_note {
        op.insert("x-kis-demo-note".into(), json!(note));
    }
    op.insert("x-kis-mutates".into(), json!(e.mutates));
    if let Some(code) = &e.api_code {
        op.insert("x-kis-api-code".into(), json!(code));
    }
    if rest {
        op.insert("x-kis-tr-ids".into(), tr_ids(e));
    }
    if let Some(p) = &e.pagination {
        let keys: Vec<Value> = p
            .keys
            .iter()
            .map(|k| json!({"request": k.request, "response": k.response.dotted()}))
            .collect();
        let next: Map<String, Value> = p
            .next_values
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        op.insert(
            "x-kis-pagination".into(),
            json!({"keys": keys, "next_page_values": next}),
        );
    }
    Ok(Value::Object(op))
}

fn description(e: &Endpoint) -> String {
    let mut parts = vec![e.name.clone()];
    if let Some(code) = &e.api_code {
        parts[0] = format!("{} [{code}]", e.name);
    }
    if let Some(doc) = &e.doc {
        parts.push(doc.clone());
    }
    parts.push(if e.demo {
        "Served in demo (모의투자).".to_string()
    } else {
        "Real environment only (not served in demo).".to_string()
    });
    if let Some(note) = &e.demo_note {
        parts.push(note.clone());
    }
    if e.pagination.is_some() {
        parts.push(
            "Paginated: send tr_cont N with the continuation keys of x-kis-pagination for the next page."
                .to_string(),
        );
    }
    parts.join("\n\n")
}

fn variant_line(v: &Variant) -> String {
    let mut s = match &v.label {
        Some(l) => format!("{} ({l}): real {}", v.name, v.real),
        None => format!("{}: real {}", v.name, v.real),
    };
    match &v.demo {
        Some(d) => s.push_str(&format!(", demo {d}")),
        None => s.push_str(", not in demo"),
    }
    for a in &v.aliases {
        s.push_str(&format!(", also {} ({})", a.tr_id, a.note));
    }
    s
}

fn tr_id_parameter(e: &Endpoint) -> Value {
    let mut ids: Vec<&str> = Vec::new();
    for v in &e.tr.variants {
        for id in std::iter::once(&v.real)
            .chain(&v.demo)
            .chain(v.aliases.iter().map(|a| &a.tr_id))
        {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    let mut text = String::from("거래ID: the transaction, by environment and variant");
    if let Some(s) = &e.tr.selector {
        text.push_str(&format!(" (variants chosen by {}: {})", s.name, s.label));
    }
    for v in &e.tr.variants {
        text.push_str("\n- ");
        text.push_str(&variant_line(v));
    }
    json!({
        "name": "tr_id",
        "in": "header",
        "required": true,
        "description": text,
        "schema": {"type": "string", "enum": ids},
    })
}

fn tr_ids(e: &Endpoint) -> Value {
    let variants: Vec<Value> =
        e.tr.variants
            .iter()
            .map(|v| {
                let aliases: Vec<Value> = v
                    .aliases
                    .iter()
                    .map(|a| json!({"tr_id": a.tr_id, "note": a.note}))
                    .collect();
                json!({
                    "variant": v.name,
                    "label": v.label,
                    "real": v.real,
                    "demo": v.demo,
                    "aliases": aliases,
                })
            })
            .collect();
    let selector = e.tr.selector.as_ref().map(|s| {
        json!({
            "name": s.name,
            "label": s.label,
            "default": s.default.and_then(|i| e.tr.variants.get(i)).map(|v| v.name.clone()),
        })
    });
    json!({"select": selector, "variants": variants})
}

fn request_description(f: &RequestField) -> String {
    let mut s = f.label.clone();
    if !f.values.is_empty() {
        let values: Vec<String> = f
            .values
            .iter()
            .map(|v| match &v.label {
                Some(l) => format!("{}: {l}", v.value),
                None => v.value.clone(),
            })
            .collect();
        s.push_str(&format!(" ({})", values.join(", ")));
    }
    if let Some(d) = &f.description {
        s.push_str("\n\n");
        s.push_str(d);
    }
    s
}

fn request_schema(f: &RequestField) -> Value {
    let mut s = string_schema(f.ty);
    if !f.values.is_empty() {
        let mut values: Vec<&str> = f.values.iter().map(|v| v.value.as_str()).collect();
        // a default outside the known values (usually "": unset) is still a valid value
        if let Some(d) = f.default.as_deref().filter(|d| !values.contains(d)) {
            values.push(d);
        }
        s["enum"] = json!(values);
    }
    if let Some(n) = f.max_length {
        s["maxLength"] = json!(n);
    }
    if let Some(d) = &f.default {
        s["default"] = json!(d);
    }
    if let Some(fill) = f.fill {
        s["x-kis-fill"] = json!(fill.name());
    }
    if f.paging {
        s["x-kis-continuation-key"] = json!(true);
    }
    s
}

/// A value as KIS sends it: always a string, with a format (and a pattern that admits the
/// blank "no value") saying how to read it.
fn string_schema(ty: ValueType) -> Value {
    let (format, pattern) = match ty {
        ValueType::Text | ValueType::Code => (None, None),
        ValueType::Decimal | ValueType::Price | ValueType::Amount | ValueType::Rate => {
            (Some("decimal"), Some(r"^\s*([+-]?\d*\.?\d*)\s*$"))
        }
        ValueType::Quantity | ValueType::Integer => {
            (Some("kis-integer"), Some(r"^\s*([+-]?\d*)\s*$"))
        }
        ValueType::Date => (Some("kis-date"), Some(r"^\s*(\d{8})?\s*$")),
        ValueType::Time => (Some("kis-time"), Some(r"^\s*(\d{6})?\s*$")),
        ValueType::DateTime => (Some("kis-datetime"), Some(r"^\s*(\d{14})?\s*$")),
        ValueType::YesNo => (Some("kis-yes-no"), Some(r"^\s*[YN]?\s*$")),
    };
    let mut s = json!({"type": "string", "x-kis-type": ty.name()});
    if let Some(f) = format {
        s["format"] = json!(f);
    }
    if let Some(p) = pattern {
        s["pattern"] = json!(p);
    }
    s
}

fn field_schema(f: &Field) -> Value {
    let mut s = string_schema(f.ty);
    s["description"] = json!(match &f.doc {
        Some(doc) => format!("{}\n\n{doc}", f.label),
        None => f.label.clone(),
    });
    s
}

fn block_schema(b: &Block) -> Value {
    let props: Map<String, Value> = b
        .fields
        .iter()
        .map(|f| (f.wire.clone(), field_schema(f)))
        .collect();
    let mut s = json!({"type": "object", "properties": props});
    if b.judged {
        s["x-kis-judged"] = json!(true);
    }
    if let Some(note) = &b.note {
        s["description"] = json!(note);
    }
    s
}

fn response_schema(
    e: &Endpoint,
    type_base: &str,
    rest: bool,
    schemas: &mut Schemas,
) -> Result<Value, String> {
    let mut props = Map::new();
    if rest {
        for (name, label) in ENVELOPE {
            props.insert(name.into(), json!({"type": "string", "description": label}));
        }
    }
    for f in &e.response.body {
        props.insert(f.wire.clone(), field_schema(f));
    }
    for b in &e.response.blocks {
        let name = format!("{type_base}{}", b.wire.to_upper_camel_case());
        let record = schemas.insert(&name, block_schema(b))?;
        let mut schema = match b.shape {
            Shape::Object => record,
            Shape::Array => json!({"type": "array", "items": record}),
        };
        if !b.aliases.is_empty() {
            schema["x-kis-aliases"] = json!(b.aliases);
        }
        if props.insert(b.wire.clone(), schema).is_some() {
            return Err(format!(
                "{}: {} twice in the response",
                e.qualified_id, b.wire
            ));
        }
    }
    schemas.insert(
        &format!("{type_base}Response"),
        json!({"type": "object", "properties": props}),
    )
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
