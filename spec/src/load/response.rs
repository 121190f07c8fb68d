//! A REST endpoint's response: body fields and output blocks, whose names must not collide.

use std::collections::{BTreeMap, BTreeSet};

use super::Ctx;
use super::fields::build_fields;
use crate::files;
use crate::model::{Block, Common, Field, Response, Shape};
use crate::names;

/// Validates `response` and builds the response model.
pub(super) fn build_response(r: &files::ResponseSpec, common: &Common, ctx: &mut Ctx) -> Response {
    let body = build_fields(
        &r.body,
        "response.body",
        &common.response_rules,
        common,
        ctx,
    );
    let mut names_seen = BlockNames {
        types: BTreeMap::new(),
        wire: body.iter().map(|f| f.wire.to_ascii_lowercase()).collect(),
    };
    let mut blocks = Vec::new();
    for (i, b) in r.blocks.iter().enumerate() {
        let key = format!("response.blocks[{i}]");
        if let Some(block) = build_block(b, &key, &mut names_seen, common, ctx) {
            blocks.push(block);
        }
    }
    check_struct_fields(&body, &blocks, ctx);
    Response { body, blocks }
}

/// Names taken so far in one response.
struct BlockNames {
    /// Block type names, with the wire name that took each.
    types: BTreeMap<String, String>,
    /// Lower-case wire names of body fields, blocks and block aliases.
    wire: BTreeSet<String>,
}

/// One output block; `None` when its name is unusable or taken.
fn build_block(
    b: &files::BlockSpec,
    k: &str,
    seen: &mut BlockNames,
    common: &Common,
    ctx: &mut Ctx,
) -> Option<Block> {
    let wire = b.name.value.trim().to_string();
    let snake = names::snake(&wire);
    if !names::is_identifier(&snake) {
        ctx.err(
            format!("{k}.name"),
            Some(&b.name),
            format!("'{wire}' is not a usable block name"),
        );
        return None;
    }
    let type_name = names::pascal(&wire);
    if let Some(prev) = seen.types.insert(type_name.clone(), wire.clone()) {
        ctx.err(
            format!("{k}.name"),
            Some(&b.name),
            format!("block '{wire}' collides with block '{prev}'"),
        );
        return None;
    }
    check_block_names(b, &wire, k, &mut seen.wire, ctx);
    let shape = ctx
        .closed_set(
            format!("{k}.shape"),
            &b.shape,
            "shape",
            Shape::parse,
            Shape::ALL,
        )
        .unwrap_or(Shape::Object);
    let judged = judged_split(b, k, ctx);
    if b.fields.is_empty() {
        ctx.err(
            format!("{k}.fields"),
            Some(&b.name),
            format!("block '{wire}' has no fields"),
        );
    }
    let fields_key = format!("{k}.fields");
    let fields = build_fields(&b.fields, &fields_key, &common.response_rules, common, ctx);
    Some(Block {
        rust_name: names::field_ident(&snake),
        type_name,
        wire,
        aliases: b.aliases.iter().map(|a| a.value.clone()).collect(),
        shape,
        judged,
        note: b.note.clone(),
        fields,
    })
}

/// A block's aliases and wire name are not already a body field, block or alias.
fn check_block_names(
    b: &files::BlockSpec,
    wire: &str,
    k: &str,
    seen: &mut BTreeSet<String>,
    ctx: &mut Ctx,
) {
    for (j, a) in b.aliases.iter().enumerate() {
        if !seen.insert(a.value.to_ascii_lowercase()) {
            ctx.err(
                format!("{k}.aliases[{j}]"),
                Some(a),
                format!("'{}' is already a block or field name", a.value),
            );
        }
    }
    if !seen.insert(wire.to_ascii_lowercase()) {
        ctx.err(
            format!("{k}.name"),
            Some(&b.name),
            format!("'{wire}' is already a body field or block alias"),
        );
    }
}

/// Whether the block's field split is a judgement (`judged`, explained in `note`) rather than
/// given by a source (`source`).
fn judged_split(b: &files::BlockSpec, k: &str, ctx: &mut Ctx) -> bool {
    let judged = match b.split.value.as_str() {
        "source" => false,
        "judged" => true,
        other => {
            ctx.err(
                format!("{k}.split"),
                Some(&b.split),
                format!("unknown split '{other}' (source, judged)"),
            );
            false
        }
    };
    if judged && b.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        ctx.err(
            format!("{k}.note"),
            Some(&b.split),
            "a judged block says why in `note`",
        );
    }
    judged
}

/// The response struct's fields (blocks and body fields) do not collide either.
fn check_struct_fields(body: &[Field], blocks: &[Block], ctx: &mut Ctx) {
    let mut rust_names = BTreeSet::new();
    for n in body
        .iter()
        .map(|f| &f.rust_name)
        .chain(blocks.iter().map(|b| &b.rust_name))
    {
        if !rust_names.insert(n.clone()) {
            ctx.err_line(
                "response",
                None,
                format!("`{n}` is both a body field and a block"),
            );
        }
    }
}
