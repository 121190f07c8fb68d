//! Doc text of endpoint modules and request fields.

use super::Options;
use super::tokens::md;
use crate::model::*;

/// The TR IDs of every variant, real and demo, for an endpoint's doc.
fn tr_summary(e: &Endpoint) -> String {
    let mut parts = Vec::new();
    for v in &e.tr.variants {
        let mut s = String::new();
        if e.tr.variants.len() > 1 {
            s.push_str(&format!(
                "{}: ",
                v.label.as_deref().map(md).unwrap_or_else(|| v.name.clone())
            ));
        }
        s.push_str(&format!("실전 `{}`", v.real));
        match &v.demo {
            Some(d) => s.push_str(&format!(", 모의 `{d}`")),
            None => s.push_str(", 모의 없음"),
        }
        if !v.aliases.is_empty() {
            let a: Vec<String> = v.aliases.iter().map(|a| format!("`{}`", a.tr_id)).collect();
            s.push_str(&format!(" (also documented: {})", a.join(", ")));
        }
        parts.push(s);
    }
    parts.join("; ")
}

/// An endpoint module's doc: name, call, TR IDs, demo service, pagination and source file.
pub(super) fn endpoint_doc(e: &Endpoint, opts: &Options) -> String {
    let mut s = md(&e.name);
    if let Some(c) = &e.api_code {
        s.push_str(&format!(" (`{c}`)"));
    }
    s.push_str("\n\n");
    match e.kind {
        EndpointKind::WebSocket => s.push_str(&format!("- realtime TR: {}\n", tr_summary(e))),
        _ => {
            let m = e.method.map(|m| m.name()).unwrap_or("");
            s.push_str(&format!("- `{m} {}`\n", e.path));
            if !e.tr.variants.is_empty() {
                s.push_str(&format!("- TR ID: {}\n", tr_summary(e)));
            }
        }
    }
    s.push_str(&format!(
        "- 모의투자 (demo): {}\n",
        if e.demo { "served" } else { "not served" }
    ));
    if let Some(n) = &e.demo_note {
        s.push_str(&format!("  ({})\n", md(n)));
    }
    if e.mutates {
        s.push_str("- changes state: never resent automatically once it may have reached KIS\n");
    }
    if let Some(p) = &e.pagination {
        let keys: Vec<String> = p
            .keys
            .iter()
            .map(|k| format!("`{}` ← `{}`", k.request, k.response.dotted()))
            .collect();
        s.push_str(&format!("- paginated: {}\n", keys.join(", ")));
    }
    if let Some(c) = &e.category {
        s.push_str(&format!("- category: {}\n", md(c)));
    }
    s.push_str(&format!(
        "\nGenerated from `{}/{}`.",
        opts.spec_label, e.source
    ));
    s
}

/// A request input's doc: its label and wire name, then the values KIS documents.
pub(super) fn values_doc(f: &RequestField) -> String {
    let mut s = format!("{} (`{}`)", md(&f.label), f.wire);
    if !f.values.is_empty() {
        let vals: Vec<String> = f
            .values
            .iter()
            .map(|v| match &v.label {
                Some(l) if !l.is_empty() => format!("`{}` {}", v.value, md(l)),
                _ => format!("`{}`", v.value),
            })
            .collect();
        s.push_str(&format!(": {}", vals.join(", ")));
    }
    s
}
