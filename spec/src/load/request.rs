//! A REST endpoint's request fields: names, types, account fills, enums and known values.

use std::collections::{BTreeMap, BTreeSet};

use super::common::{Shared, build_member};
use super::fields::resolve_type;
use super::{Ctx, allowed};
use crate::files;
use crate::model::{
    AccountKind, CodeEnum, CodeMember, Common, EndpointKind, FillSource, Group, KnownValue,
    RequestField,
};
use crate::names;

/// Validates the `request` list of an endpoint in `group`.
pub(super) fn build_request(
    list: &[files::RequestFieldSpec],
    group: &Group,
    shared: &Shared,
    kind: EndpointKind,
    ctx: &mut Ctx,
) -> Vec<RequestField> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (i, f) in list.iter().enumerate() {
        let k = format!("request[{i}]");
        let wire = f.name.value.trim().to_string();
        let snake = names::snake(&wire);
        if wire.is_empty() || !names::is_identifier(&snake) {
            ctx.err(
                format!("{k}.name"),
                Some(&f.name),
                format!("'{wire}' is not a usable field name"),
            );
            continue;
        }
        if let Some(prev) = seen.insert(snake.clone(), wire.clone()) {
            let msg = if prev == wire {
                format!("request field '{wire}' is listed twice")
            } else {
                format!("request field '{wire}' collides with '{prev}' after case conversion")
            };
            ctx.err(format!("{k}.name"), Some(&f.name), msg);
            continue;
        }
        let (ty, _) = resolve_type(
            &wire,
            f.ty.as_ref(),
            &shared.common.request_rules,
            &format!("{k}.type"),
            ctx,
        );
        let account_fills = kind == EndpointKind::Rest && group.account != AccountKind::None;
        let fill = fill_source(f, &wire, account_fills.then_some(shared), &k, ctx);
        if let Some(n) = &f.enum_name {
            check_enum_name(n, &wire, &k, ctx);
        }
        let shared_enum = f
            .enum_name
            .as_ref()
            .is_some_and(|n| shared.common.code_enum(&n.value).is_some());
        let enum_name = if shared_enum || !has_named_values(f) {
            enum_of(f, &shared.common, &k, ctx)
        } else {
            None
        };
        let mut values = known_values(f, &k, ctx);
        if let Some(en) = enum_name
            .as_deref()
            .and_then(|n| shared.common.code_enum(n))
        {
            name_values_from(en, &mut values);
        }
        let local_enum = if enum_name.is_none() {
            local_enum(f, &k, ctx)
        } else {
            None
        };
        if let Some(en) = &local_enum {
            name_values_from(en, &mut values);
            let twice = out
                .iter()
                .any(|o: &RequestField| o.local_enum.as_ref().is_some_and(|e| e.name == en.name));
            if twice {
                ctx.err(
                    format!("{k}.enum"),
                    f.enum_name.as_ref(),
                    format!(
                        "enum '{}' is declared by two fields of this endpoint",
                        en.name
                    ),
                );
            }
        }
        out.push(RequestField {
            rust_name: names::field_ident(&snake),
            redacted: shared.common.is_redacted(&wire),
            enum_name,
            local_enum,
            label: f.label.clone(),
            required: f.required,
            empty: empty_allowed(f, &k, ctx),
            default: f.default.clone(),
            values,
            max_length: f.max_length,
            ty,
            fill,
            paging: false,
            description: f.description.clone(),
            wire,
        });
    }
    out
}

/// Where an unset field takes its value from: its `fill`, or else the account fills of
/// `common.yaml` when `shared` is given (REST endpoints of a group with an account).
fn fill_source(
    f: &files::RequestFieldSpec,
    wire: &str,
    shared: Option<&Shared>,
    key: &str,
    ctx: &mut Ctx,
) -> Option<FillSource> {
    match (&f.fill, shared) {
        (Some(s), _) => ctx.closed_set(
            format!("{key}.fill"),
            s,
            "fill source",
            FillSource::parse,
            FillSource::ALL,
        ),
        (None, Some(shared)) => shared.fills.get(&wire.to_ascii_uppercase()).copied(),
        (None, None) => None,
    }
}

/// Whether an empty value is accepted: `empty: true` is a fact about required keys only, since
/// an optional key may always be sent empty.
fn empty_allowed(f: &files::RequestFieldSpec, key: &str, ctx: &mut Ctx) -> bool {
    if f.empty && !f.required {
        ctx.err(
            format!("{key}.empty"),
            Some(&f.name),
            "`empty: true` is only for required keys (an optional key may always be empty)",
        );
    }
    f.empty
}

/// The `enum` a field takes, checked against its listed values and default.
fn enum_of(
    f: &files::RequestFieldSpec,
    common: &Common,
    key: &str,
    ctx: &mut Ctx,
) -> Option<String> {
    let n = f.enum_name.as_ref()?;
    let Some(en) = common.code_enum(&n.value) else {
        let known: Vec<&str> = common.enums.iter().map(|e| e.name.as_str()).collect();
        ctx.err(
            format!("{key}.enum"),
            Some(n),
            format!(
                "unknown enum '{}' (common.yaml enums: {})",
                n.value,
                allowed(&known)
            ),
        );
        return None;
    };
    for (j, v) in f.values.iter().enumerate() {
        let Some(m) = en.members.iter().find(|m| m.value == v.value.value) else {
            ctx.err(
                format!("{key}.values[{j}].value"),
                Some(&v.value),
                format!("'{}' is not a member of enum {}", v.value.value, en.name),
            );
            continue;
        };
        // a shared enum names its members once; a field that names one differently (or a
        // reversed set under the same codes) would be read with the wrong meaning
        if let Some(name) = v
            .name
            .as_ref()
            .filter(|n| names::pascal(&n.value) != m.rust_name)
        {
            ctx.err(
                format!("{key}.values[{j}].name"),
                Some(name),
                format!(
                    "'{}' is member {} of enum {}, not '{}' (leave `name` off shared members)",
                    v.value.value, m.rust_name, en.name, name.value
                ),
            );
        }
    }
    if let Some(d) = f.default.as_deref().filter(|d| !d.is_empty())
        && !en.members.iter().any(|m| m.value == d)
    {
        ctx.err(
            format!("{key}.default"),
            Some(n),
            format!("default '{d}' is not a member of enum {}", en.name),
        );
    }
    if f.ty.is_some() {
        ctx.err(
            format!("{key}.type"),
            Some(n),
            "a field with `enum` takes no `type`",
        );
    }
    Some(en.name.clone())
}

/// The values KIS documents for a field, each listed once.
fn known_values(f: &files::RequestFieldSpec, key: &str, ctx: &mut Ctx) -> Vec<KnownValue> {
    let mut values = Vec::new();
    let mut seen_values = BTreeSet::new();
    for (j, v) in f.values.iter().enumerate() {
        if !seen_values.insert(v.value.value.clone()) {
            ctx.err(
                format!("{key}.values[{j}].value"),
                Some(&v.value),
                format!("value '{}' is listed twice", v.value.value),
            );
        }
        values.push(KnownValue {
            rust_name: None,
            value: v.value.value.clone(),
            label: v.label.clone(),
        });
    }
    values
}

/// Gives the field's known values the variant names of its enum; a field that lists no values
/// takes the enum's members, so every enum field documents (and the CLI accepts) its set.
fn name_values_from(en: &CodeEnum, values: &mut Vec<KnownValue>) {
    if values.is_empty() {
        values.extend(en.members.iter().map(|m| KnownValue {
            value: m.value.clone(),
            rust_name: None,
            label: Some(m.label.clone()),
        }));
    }
    for v in values.iter_mut() {
        v.rust_name = en
            .members
            .iter()
            .find(|m| m.value == v.value)
            .map(|m| m.rust_name.clone());
    }
}

/// Whether any of the field's values carries a `name` (the field's own enum).
fn has_named_values(f: &files::RequestFieldSpec) -> bool {
    f.values.iter().any(|v| v.name.is_some())
}

/// Rust type names an endpoint module defines itself, which a local enum cannot take.
const MODULE_TYPES: &[&str] = &["Request", "Response", "Record", "Other"];

/// An enum named in an endpoint says what it chooses, in English: a PascalCase identifier that
/// is not the field's wire name in CamelCase (`FidRankSortClsCode`, `Gb3`, `InqrDvsn3`), with or
/// without its trailing digits.
fn check_enum_name(n: &files::Spanned<String>, wire: &str, key: &str, ctx: &mut Ctx) {
    let name = n.value.as_str();
    if !names::is_identifier(name) || names::pascal(name) != name {
        ctx.err(
            format!("{key}.enum"),
            Some(n),
            format!("enum name '{name}' is not a PascalCase identifier"),
        );
        return;
    }
    if is_wire_derived(name, wire) {
        ctx.err(
            format!("{key}.enum"),
            Some(n),
            format!(
                "enum name '{name}' spells the wire name {wire}; name what the field chooses \
                 (e.g. RankSort, Adjusted)"
            ),
        );
    }
    if MODULE_TYPES.contains(&name)
        || (name.starts_with("Output") && name[6..].chars().all(|c| c.is_ascii_digit()))
    {
        ctx.err(
            format!("{key}.enum"),
            Some(n),
            format!("enum name '{name}' is taken by the endpoint module's own types"),
        );
    }
}

/// Whether `name` is the CamelCase of the wire name `wire`, or of `wire` without its trailing
/// digits and underscores.
pub(crate) fn is_wire_derived(name: &str, wire: &str) -> bool {
    let trimmed = wire.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_');
    [wire, trimmed]
        .iter()
        .filter(|w| !w.is_empty())
        .any(|w| names::pascal(&names::snake(w)).eq_ignore_ascii_case(name))
}

/// The field's own value set as an endpoint-local enum, when its values carry `name`s: all of
/// them must, the field names the enum (`enum: <Name>`), and it takes no `type` (but `text`).
fn local_enum(f: &files::RequestFieldSpec, key: &str, ctx: &mut Ctx) -> Option<CodeEnum> {
    let named = f.values.iter().filter(|v| v.name.is_some()).count();
    if named == 0 {
        return None;
    }
    let Some(enum_name) = f.enum_name.as_ref() else {
        ctx.err(
            format!("{key}.enum"),
            Some(&f.name),
            "a field whose values are named (an enum) names its type: `enum: <Name>`, in \
             English, saying what the field chooses",
        );
        return None;
    };
    if named != f.values.len() {
        ctx.err(
            format!("{key}.values"),
            Some(&f.name),
            "either every value of a field has a `name` (an enum) or none has",
        );
        return None;
    }
    // `type: text` only keeps a naming rule from typing the codes as numbers or times
    if let Some(t) =
        f.ty.as_ref()
            .filter(|t| !matches!(t.value.as_str(), "text" | "code"))
    {
        ctx.err(
            format!("{key}.type"),
            Some(t),
            "a field whose values are named (an enum) takes no `type` but text",
        );
    }
    let mut members: Vec<CodeMember> = Vec::new();
    for (j, v) in f.values.iter().enumerate() {
        let name = v.name.as_ref()?;
        let label = v.label.as_deref().unwrap_or("");
        let m = build_member(
            (&v.value, name, label),
            &members,
            &format!("{key}.values[{j}]"),
            ctx,
        );
        members.push(m);
    }
    Some(CodeEnum {
        name: enum_name.value.clone(),
        label: f.label.clone(),
        members,
    })
}
