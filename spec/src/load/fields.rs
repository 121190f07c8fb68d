//! Response fields and realtime columns, and the value type of any field.

use std::collections::BTreeMap;

use super::Ctx;
use super::common::unknown_type_msg;
use crate::files::{self, Spanned};
use crate::model::{Common, Field, ValueType};
use crate::names;
use crate::rules::TypeRuleSet;

/// The value type of field `name`: the explicit `type`, or the one the rules give its name.
/// The flag says whether the type was explicit.
pub(super) fn resolve_type(
    name: &str,
    explicit: Option<&Spanned<String>>,
    rules: &TypeRuleSet,
    key: &str,
    ctx: &mut Ctx,
) -> (ValueType, bool) {
    if let Some(t) = explicit {
        match ValueType::parse(&t.value) {
            Some(v) => return (v, true),
            None => {
                ctx.err(key, Some(t), unknown_type_msg(&t.value));
                return (ValueType::Text, true);
            }
        }
    }
    (rules.classify(name).0, false)
}

/// Validates a list of fields (a response body, a block, realtime columns) at `key`.
pub(super) fn build_fields(
    list: &[files::FieldSpec],
    key: &str,
    rules: &TypeRuleSet,
    common: &Common,
    ctx: &mut Ctx,
) -> Vec<Field> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (i, f) in list.iter().enumerate() {
        let k = format!("{key}[{i}]");
        let wire = f.name.value.trim().to_string();
        if wire.is_empty() {
            ctx.err(format!("{k}.name"), Some(&f.name), "empty field name");
            continue;
        }
        let snake = names::snake(&wire);
        if !names::is_identifier(&snake) {
            ctx.err(
                format!("{k}.name"),
                Some(&f.name),
                format!("'{wire}' does not make a Rust identifier"),
            );
            continue;
        }
        if let Some(prev) = seen.insert(snake.clone(), wire.clone()) {
            let msg = if prev == wire {
                format!("field '{wire}' is listed twice")
            } else {
                format!(
                    "field '{wire}' collides with '{prev}' after case conversion (both become `{snake}`)"
                )
            };
            ctx.err(format!("{k}.name"), Some(&f.name), msg);
            continue;
        }
        let (ty, explicit_type) =
            resolve_type(&wire, f.ty.as_ref(), rules, &format!("{k}.type"), ctx);
        // a code a rule of `response_enums` names reads into that enum (a number or date never)
        let code_enum = matches!(ty, ValueType::Code | ValueType::Text)
            .then(|| common.response_enum(&wire))
            .flatten()
            .map(str::to_string);
        out.push(Field {
            code_enum,
            rust_name: names::field_ident(&snake),
            redacted: common.is_redacted(&wire),
            wire,
            label: f.label.clone(),
            ty,
            explicit_type,
            doc: f.doc.clone(),
        });
    }
    out
}
