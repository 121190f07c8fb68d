//! Pagination: which request fields carry the continuation keys and where each key comes from.

use super::Ctx;
use crate::files::{self, Spanned};
use crate::model::{Field, PageKey, Pagination, RequestField, Response, ResponseKey, ValueType};
use crate::names;

/// Validates `pagination`; marks the paging request fields and adds continuation keys the
/// response body does not list. `None` when the endpoint does not paginate.
pub(super) fn build_pagination(
    keys: &[files::PageKeySpec],
    request: &mut [RequestField],
    response: &mut Response,
    ctx: &mut Ctx,
) -> Option<Pagination> {
    if keys.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut next_values = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let key = format!("pagination[{i}]");
        let Some(field) = request.iter_mut().find(|f| f.wire == k.request.value) else {
            ctx.err(
                format!("{key}.request"),
                Some(&k.request),
                format!("'{}' is not a request field", k.request.value),
            );
            continue;
        };
        let resp_spec = match (&k.response, &k.next) {
            (Some(_), Some(_)) | (None, None) => {
                ctx.err(format!("{key}.request"), Some(&k.request), "a pagination entry has either `response` (a key to copy) or `next` (a fixed value)");
                continue;
            }
            (None, Some(next)) => {
                next_values.push((field.wire.clone(), next.clone()));
                continue;
            }
            (Some(resp_spec), None) => resp_spec,
        };
        if field.required && field.default.is_none() {
            // the paginator writes it; a first page sends it empty
            field.default = Some(String::new());
        }
        field.paging = true;
        let label = field.label.clone();
        let response_key = response_key(resp_spec, &label, response, &key, ctx);
        out.push(PageKey {
            request: k.request.value.clone(),
            response: response_key,
        });
    }
    if out.is_empty() {
        ctx.err_line(
            "pagination",
            None,
            "pagination needs at least one key copied from the response",
        );
    }
    Some(Pagination {
        keys: out,
        next_values,
    })
}

/// Where a continuation key is read: `<block>.<field>`, or a body field (added to the body,
/// labelled like its request field, when the catalog does not list it).
fn response_key(
    resp_spec: &Spanned<String>,
    label: &str,
    response: &mut Response,
    key: &str,
    ctx: &mut Ctx,
) -> ResponseKey {
    let resp = resp_spec.value.trim();
    if let Some((block, field)) = resp.split_once('.') {
        check_block_key(resp_spec, block, field, response, key, ctx);
        return ResponseKey::InBlock {
            block: block.to_string(),
            field: field.to_string(),
        };
    }
    if !response.body.iter().any(|f| f.wire == resp) {
        if response
            .blocks
            .iter()
            .any(|b| b.fields.iter().any(|f| f.wire == resp))
        {
            ctx.err(
                format!("{key}.response"),
                Some(resp_spec),
                format!("'{resp}' is a block field; write it as <block>.{resp}"),
            );
        }
        response.body.push(Field {
            wire: resp.to_string(),
            rust_name: names::field_ident(&names::snake(resp)),
            label: label.to_string(),
            ty: ValueType::Code,
            explicit_type: false,
            redacted: false,
            doc: None,
            // a continuation key is text the paginator copies back, never an enum
            code_enum: None,
        });
    }
    ResponseKey::Body(resp.to_string())
}

/// A key read from a block names a textual field of an existing block.
fn check_block_key(
    resp_spec: &Spanned<String>,
    block: &str,
    field: &str,
    response: &Response,
    key: &str,
    ctx: &mut Ctx,
) {
    let resp = resp_spec.value.trim();
    let key = format!("{key}.response");
    let Some(b) = response.blocks.iter().find(|b| b.wire == block) else {
        ctx.err(key, Some(resp_spec), format!("no block '{block}'"));
        return;
    };
    match b.fields.iter().find(|f| f.wire == field) {
        Some(f) if !f.ty.is_textual() => ctx.err(
            key,
            Some(resp_spec),
            format!(
                "'{resp}' is a {} field; a continuation key is text or code",
                f.ty
            ),
        ),
        Some(_) => {}
        None => ctx.err(
            key,
            Some(resp_spec),
            format!("block '{block}' has no field '{field}'"),
        ),
    }
}
