//! `common.yaml`: hosts, limits, headers, the response-code table, type rules, groups, enums and
//! account fills.

use std::collections::{BTreeSet, HashMap};

use super::{Ctx, allowed, is_snake_identifier};
use crate::files;
use crate::model::{
    AccountKind, CodeEnum, CodeMember, Common, ErrorAction, ErrorAnswer, ErrorCode, FillSource,
    Group, Header, ValueType,
};
use crate::names;
use crate::rules::{TypeRule, TypeRuleSet};

/// Which request fields (upper-case wire names) an account fills, from `fills`.
pub(super) type Fills = HashMap<String, FillSource>;

/// What `common.yaml` gives the endpoint files.
pub(super) struct Shared {
    /// The shared facts.
    pub(super) common: Common,
    /// The groups, in file order.
    pub(super) groups: Vec<Group>,
    /// The account fills.
    pub(super) fills: Fills,
}

/// Validates `common.yaml` and builds its part of the model.
pub(super) fn build_common(f: &files::CommonFile, ctx: &mut Ctx) -> Shared {
    let response_rules = build_rules(&f.value_types, "value_types", ctx);
    let request_rules = build_rules(&f.request_types, "request_types", ctx);
    let errors = build_errors(&f.errors, ctx);
    let groups = build_groups(&f.groups, ctx);
    let enums = build_enums(&f.enums, ctx);
    let fills = build_fills(&f.fills, ctx);
    let response_enums = build_response_enums(&f.response_enums, &enums, ctx);
    let lowercase = |list: &[String]| list.iter().map(|n| n.to_ascii_lowercase()).collect();
    let common = Common {
        real_rest: f.hosts.real.rest.clone(),
        real_websocket: f.hosts.real.websocket.clone(),
        demo_rest: f.hosts.demo.rest.clone(),
        demo_websocket: f.hosts.demo.websocket.clone(),
        headers: f
            .headers
            .iter()
            .map(|h| Header {
                name: h.name.clone(),
                label: h.label.clone(),
                secret: h.secret,
            })
            .collect(),
        limits: f.rate_limits,
        errors,
        sentinels: build_sentinels(&f.sentinels, ctx),
        response_rules,
        request_rules,
        enums,
        response_enums,
        redacted_names: f
            .redacted
            .as_ref()
            .map(|r| lowercase(&r.names))
            .unwrap_or_default(),
        redacted_suffixes: f
            .redacted
            .as_ref()
            .map(|r| lowercase(&r.suffixes))
            .unwrap_or_default(),
        all_remaining_inputs: build_all_remaining(&f.all_remaining_inputs, ctx),
    };
    Shared {
        common,
        groups,
        fills,
    }
}

/// A type rule set (`value_types`, `request_types`).
fn build_rules(rules: &files::TypeRules, key: &str, ctx: &mut Ctx) -> TypeRuleSet {
    let default = ValueType::parse(&rules.default.value).unwrap_or_else(|| {
        ctx.err(
            format!("{key}.default"),
            Some(&rules.default),
            unknown_type_msg(&rules.default.value),
        );
        ValueType::Text
    });
    let mut out = Vec::new();
    for (i, r) in rules.rules.iter().enumerate() {
        let k = format!("{key}.rules[{i}]");
        let Some(ty) = ValueType::parse(&r.ty.value) else {
            ctx.err(
                format!("{k}.type"),
                Some(&r.ty),
                unknown_type_msg(&r.ty.value),
            );
            continue;
        };
        if r.names.is_empty() && r.suffixes.is_empty() {
            ctx.err(
                format!("{k}.type"),
                Some(&r.ty),
                "a rule needs `names` or `suffixes`",
            );
        }
        out.push(TypeRule {
            ty,
            names: r.names.iter().map(|s| s.to_ascii_lowercase()).collect(),
            suffixes: r.suffixes.iter().map(|s| s.to_ascii_lowercase()).collect(),
        });
    }
    TypeRuleSet::new(default, out)
}

/// The message for a value type the catalog does not know.
pub(super) fn unknown_type_msg(name: &str) -> String {
    format!(
        "unknown value type '{name}' (known: {})",
        allowed(ValueType::ALL)
    )
}

/// The "all that remains" inputs: wire names (upper case), each once.
fn build_all_remaining(list: &[String], ctx: &mut Ctx) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, name) in list.iter().enumerate() {
        let wire = name.to_ascii_uppercase();
        if wire.is_empty() || !wire.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            ctx.err_line(
                format!("all_remaining_inputs[{i}]"),
                None,
                format!("{name:?} is not a wire name"),
            );
        } else if out.contains(&wire) {
            ctx.err_line(
                format!("all_remaining_inputs[{i}]"),
                None,
                format!("{wire} is listed twice"),
            );
        } else {
            out.push(wire);
        }
    }
    out
}

/// The "no value" sentinels, each under a known value type.
fn build_sentinels(list: &[files::SentinelSpec], ctx: &mut Ctx) -> Vec<(ValueType, Vec<String>)> {
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        match ValueType::parse(&s.ty.value) {
            Some(ty) if !ty.is_textual() => out.push((ty, s.values.clone())),
            Some(ty) => ctx.err(
                format!("sentinels[{i}].type"),
                Some(&s.ty),
                format!("a {ty} value is kept as text: it has no sentinels"),
            ),
            None => ctx.err(
                format!("sentinels[{i}].type"),
                Some(&s.ty),
                unknown_type_msg(&s.ty.value),
            ),
        }
    }
    out
}

/// The response-code table, each code with its action.
fn build_errors(list: &[files::ErrorCodeSpec], ctx: &mut Ctx) -> Vec<ErrorCode> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, e) in list.iter().enumerate() {
        let key = format!("errors[{i}].action");
        let parsed = ctx.closed_set(
            key,
            &e.action,
            "action",
            ErrorAction::parse,
            ErrorAction::ALL,
        );
        let answers = build_answers(&e.answers, i, &mut seen, ctx);
        if let Some(action) = parsed {
            errors.push(ErrorCode {
                code: e.code.clone(),
                prefix: e.prefix,
                meaning: e.meaning.clone(),
                action,
                answers,
            });
        }
    }
    errors
}

/// The situations one code answers: each `when` a snake_case name unique in the table, an
/// HTTP status that is one, a known shape.
fn build_answers(
    list: &[files::ErrorAnswerSpec],
    i: usize,
    seen: &mut BTreeSet<String>,
    ctx: &mut Ctx,
) -> Vec<ErrorAnswer> {
    let mut out = Vec::new();
    for (j, a) in list.iter().enumerate() {
        let key = format!("errors[{i}].answers[{j}]");
        let when = a.when.value.trim().to_string();
        if !is_snake_identifier(&when) {
            ctx.err(
                format!("{key}.when"),
                Some(&a.when),
                format!("'{when}' is not a snake_case situation name"),
            );
            continue;
        }
        if !seen.insert(when.clone()) {
            ctx.err(
                format!("{key}.when"),
                Some(&a.when),
                format!("situation '{when}' is answered twice"),
            );
            continue;
        }
        if let Some(h) = a.http
            && !(100..=599).contains(&h)
        {
            ctx.err(
                format!("{key}.http"),
                Some(&a.when),
                format!("{h} is not an HTTP status"),
            );
            continue;
        }
        let token_shape = match a.shape.as_ref().map(|s| s.value.as_str()) {
            None | Some("envelope") => false,
            Some("token") => true,
            Some(other) => {
                ctx.err(
                    format!("{key}.shape"),
                    a.shape.as_ref(),
                    format!("unknown shape '{other}' (allowed: envelope, token)"),
                );
                continue;
            }
        };
        out.push(ErrorAnswer {
            when,
            http_status: a.http,
            rt_cd: a.rt_cd.clone().unwrap_or_else(|| "1".to_string()),
            msg1: a.msg1.clone(),
            token_shape,
        });
    }
    out
}

/// The API groups: unique snake_case ids and features, each with its account.
fn build_groups(list: &[files::GroupSpec], ctx: &mut Ctx) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut seen_ids = BTreeSet::new();
    let mut seen_features = BTreeSet::new();
    for (i, g) in list.iter().enumerate() {
        let k = format!("groups[{i}]");
        if !is_snake_identifier(&g.id.value) {
            ctx.err(
                format!("{k}.id"),
                Some(&g.id),
                "a group id must be a snake_case identifier",
            );
        }
        if !seen_ids.insert(g.id.value.clone()) {
            ctx.err(
                format!("{k}.id"),
                Some(&g.id),
                format!("group '{}' is listed twice", g.id.value),
            );
        }
        if !seen_features.insert(g.feature.value.clone()) {
            ctx.err(
                format!("{k}.feature"),
                Some(&g.feature),
                format!("feature '{}' is used twice", g.feature.value),
            );
        }
        let account_key = format!("{k}.account");
        let all = AccountKind::ALL;
        let Some(account) =
            ctx.closed_set(account_key, &g.account, "account", AccountKind::parse, all)
        else {
            continue;
        };
        groups.push(Group {
            id: g.id.value.clone(),
            name: g.name.clone(),
            feature: g.feature.value.clone(),
            account,
            doc: g.doc.clone(),
            type_name: names::pascal(&g.id.value),
        });
    }
    groups
}

/// The closed value sets request fields may take (`enum:`).
fn build_enums(list: &[files::EnumSpec], ctx: &mut Ctx) -> Vec<CodeEnum> {
    let mut enums: Vec<CodeEnum> = Vec::new();
    for (i, en) in list.iter().enumerate() {
        let k = format!("enums[{i}]");
        let name = en.name.value.clone();
        if !names::is_identifier(&name) || names::pascal(&name) != name {
            ctx.err(
                format!("{k}.name"),
                Some(&en.name),
                "an enum name is a PascalCase identifier",
            );
        }
        if enums.iter().any(|e| e.name == name) {
            ctx.err(
                format!("{k}.name"),
                Some(&en.name),
                format!("enum '{name}' is declared twice"),
            );
        }
        if en.values.is_empty() {
            ctx.err(
                format!("{k}.values"),
                Some(&en.name),
                "an enum has at least one value",
            );
        }
        let mut members: Vec<CodeMember> = Vec::new();
        for (j, v) in en.values.iter().enumerate() {
            let member = build_member(
                (&v.value, &v.name, &v.label),
                &members,
                &format!("{k}.values[{j}]"),
                ctx,
            );
            members.push(member);
        }
        enums.push(CodeEnum {
            name,
            label: en.label.clone(),
            members,
        });
    }
    enums
}

/// Whether a member name is a placeholder for a code rather than a meaning: `code_00`,
/// `code_faq`, `n1`, `value_3`.
pub(crate) fn is_fallback_name(name: &str) -> bool {
    let digits_after = |p: &str| {
        name.strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
    };
    name.starts_with("code_")
        || name.starts_with("value_")
        || digits_after("n")
        || digits_after("v")
}

/// `response_enums`: each names an enum of `enums`.
fn build_response_enums(
    list: &[files::ResponseEnumSpec],
    enums: &[CodeEnum],
    ctx: &mut Ctx,
) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        if !enums.iter().any(|e| e.name == r.enum_name.value) {
            ctx.err(
                format!("response_enums[{i}].enum"),
                Some(&r.enum_name),
                format!("unknown enum '{}' (not in `enums`)", r.enum_name.value),
            );
            continue;
        }
        let lower = |l: &[String]| l.iter().map(|n| n.to_ascii_lowercase()).collect();
        out.push((
            r.enum_name.value.clone(),
            lower(&r.names),
            lower(&r.suffixes),
        ));
    }
    out
}

/// One member of an enum (value, snake_case name, label), checked against the members before it.
pub(super) fn build_member(
    (value, name, label): (&files::Spanned<String>, &files::Spanned<String>, &str),
    before: &[CodeMember],
    key: &str,
    ctx: &mut Ctx,
) -> CodeMember {
    if !is_snake_identifier(&name.value) {
        ctx.err(
            format!("{key}.name"),
            Some(name),
            "a member name is a snake_case identifier",
        );
    }
    let rust_name = names::pascal(&name.value);
    if is_fallback_name(&name.value) {
        ctx.err(
            format!("{key}.name"),
            Some(name),
            format!(
                "member name '{}' only repeats the code; name what '{}' means",
                name.value, value.value
            ),
        );
    }
    if rust_name == "Other" {
        ctx.err(
            format!("{key}.name"),
            Some(name),
            "`other` is reserved for codes outside the set",
        );
    }
    if before.iter().any(|m| m.rust_name == rust_name) {
        ctx.err(
            format!("{key}.name"),
            Some(name),
            format!("member '{}' is listed twice", name.value),
        );
    }
    if before.iter().any(|m| m.value == value.value) {
        ctx.err(
            format!("{key}.value"),
            Some(value),
            format!("value '{}' is listed twice", value.value),
        );
    }
    CodeMember {
        value: value.value.clone(),
        rust_name,
        label: label.to_string(),
    }
}

/// Which request fields the group's account fills, and with what.
fn build_fills(list: &[files::FillSpec], ctx: &mut Ctx) -> Fills {
    let mut fills = HashMap::new();
    for (i, fl) in list.iter().enumerate() {
        let key = format!("fills[{i}].from");
        let all = FillSource::ALL;
        if let Some(s) = ctx.closed_set(key, &fl.from, "fill source", FillSource::parse, all) {
            fills.insert(fl.field.to_ascii_uppercase(), s);
        }
    }
    fills
}
