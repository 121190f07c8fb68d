//! An endpoint's TR IDs: one real/demo pair, or variants chosen by a selector.

use std::collections::BTreeSet;

use super::{Ctx, is_snake_identifier, line_of};
use crate::files::{self, Spanned};
use crate::model::{Alias, EndpointKind, Selector, TrIds, Variant};
use crate::names;

/// Validates `tr_id` and builds the endpoint's TR IDs (none for auth endpoints or on errors).
pub(super) fn build_tr_ids(f: &files::EndpointFile, kind: EndpointKind, ctx: &mut Ctx) -> TrIds {
    let Some(t) = &f.tr_id else {
        if kind != EndpointKind::Auth {
            ctx.err_line("tr_id", line_of(&f.kind), "missing `tr_id`");
        }
        return no_tr_ids();
    };
    if kind == EndpointKind::Auth {
        ctx.err_line("tr_id", None, "auth endpoints have no TR ID");
        return no_tr_ids();
    }
    match (&t.real, &t.select, t.variants.is_empty()) {
        (Some(real), None, true) => single(t, real, ctx),
        (None, Some(sel), false) => selected(t, sel, ctx),
        _ => {
            ctx.err_line(
                "tr_id",
                None,
                "give either `real` (and `demo`), or `select` with `variants`",
            );
            no_tr_ids()
        }
    }
}

/// No TR IDs (auth endpoints, or when `tr_id` is unusable).
fn no_tr_ids() -> TrIds {
    TrIds {
        selector: None,
        variants: Vec::new(),
    }
}

/// `tr_id: {real, demo, aliases}`: one variant named `default`.
fn single(t: &files::TrIdSpec, real: &Spanned<String>, ctx: &mut Ctx) -> TrIds {
    check_tr(real, "tr_id.real", ctx);
    if let Some(d) = &t.demo {
        check_tr(d, "tr_id.demo", ctx);
    }
    let aliases = aliases(&t.aliases, "tr_id", ctx);
    TrIds {
        selector: None,
        variants: vec![Variant {
            name: "default".into(),
            rust_name: "Default".into(),
            label: None,
            real: real.value.clone(),
            demo: t.demo.as_ref().map(|d| d.value.clone()),
            aliases,
        }],
    }
}

/// `tr_id: {select, variants}`: a request parameter chooses among two or more variants.
fn selected(t: &files::TrIdSpec, sel: &files::SelectSpec, ctx: &mut Ctx) -> TrIds {
    if t.demo.is_some() || !t.aliases.is_empty() {
        ctx.err_line(
            "tr_id",
            None,
            "with `variants`, put demo IDs and aliases inside each variant",
        );
    }
    if !is_snake_identifier(&sel.name.value) {
        ctx.err(
            "tr_id.select.name",
            Some(&sel.name),
            "the selector name must be a snake_case identifier",
        );
    }
    let mut variants = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, v) in t.variants.iter().enumerate() {
        variants.push(variant(v, &format!("tr_id.variants[{i}]"), &mut seen, ctx));
    }
    if variants.len() < 2 {
        ctx.err_line(
            "tr_id.variants",
            None,
            "a selector needs at least two variants; use `real`/`demo` for one",
        );
    }
    let default = sel.default.as_ref().and_then(|d| {
        let idx = variants.iter().position(|v| v.name == d.value);
        if idx.is_none() {
            ctx.err(
                "tr_id.select.default",
                Some(d),
                format!("no variant named '{}'", d.value),
            );
        }
        idx
    });
    TrIds {
        selector: Some(Selector {
            name: sel.name.value.clone(),
            param: names::field_ident(&names::snake(&sel.name.value)),
            type_name: names::pascal(&sel.name.value),
            label: sel.label.clone(),
            default,
        }),
        variants,
    }
}

/// One selectable variant; `seen` holds the Rust names of the variants before it.
fn variant(
    v: &files::VariantSpec,
    key: &str,
    seen: &mut BTreeSet<String>,
    ctx: &mut Ctx,
) -> Variant {
    if !is_snake_identifier(&v.name.value) {
        ctx.err(
            format!("{key}.name"),
            Some(&v.name),
            "a variant name must be a snake_case identifier",
        );
    }
    if !seen.insert(names::pascal(&v.name.value)) {
        ctx.err(
            format!("{key}.name"),
            Some(&v.name),
            format!("variant '{}' is listed twice", v.name.value),
        );
    }
    check_tr(&v.real, &format!("{key}.real"), ctx);
    if let Some(d) = &v.demo {
        check_tr(d, &format!("{key}.demo"), ctx);
    }
    Variant {
        name: v.name.value.clone(),
        rust_name: names::pascal(&v.name.value),
        label: v.label.clone(),
        real: v.real.value.clone(),
        demo: v.demo.as_ref().map(|d| d.value.clone()),
        aliases: aliases(&v.aliases, key, ctx),
    }
}

/// Other TR IDs the sources document for the same call.
fn aliases(list: &[files::AliasSpec], key: &str, ctx: &mut Ctx) -> Vec<Alias> {
    list.iter()
        .enumerate()
        .map(|(i, a)| {
            check_tr(&a.tr_id, &format!("{key}.aliases[{i}].tr_id"), ctx);
            Alias {
                tr_id: a.tr_id.value.clone(),
                note: a.note.clone(),
            }
        })
        .collect()
}

/// Records `s` when it is not shaped like a TR ID.
fn check_tr(s: &Spanned<String>, key: &str, ctx: &mut Ctx) {
    if !valid_tr_id(&s.value) {
        ctx.err(
            key,
            Some(s),
            format!(
                "'{}' is not a TR ID (7-13 upper-case letters and digits)",
                s.value
            ),
        );
    }
}

/// 7 to 13 upper-case letters and digits, starting with a letter.
fn valid_tr_id(s: &str) -> bool {
    (7..=13).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}
