//! Loading: read the catalog files, parse them (stage 1), validate them and build the model
//! (stage 2). Every problem becomes a [`Diagnostic`] naming the file, the key path and the line;
//! nothing here panics on bad input.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::diag::{Diagnostic, Diagnostics};
use crate::files::{self, Spanned};
use crate::model::*;
use crate::names;
use crate::rules::{TypeRule, TypeRuleSet};

/// Name of the shared file at the top of the catalog directory.
pub const COMMON_FILE: &str = "common.yaml";

/// One catalog file's text, with its path relative to the catalog directory.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// `common.yaml` or `<group>/<id>.yaml`, with `/` separators.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// Reads the catalog files under `dir` (the catalog directory, usually `spec/`), sorted by path.
/// The walk is bounded and does not follow directory links (see [`crate::walk`]).
pub fn read_sources(dir: &Path) -> Result<Vec<SourceFile>, Diagnostics> {
    let found = crate::walk::catalog_files(dir);
    let mut diags = Diagnostics::default();
    for (path, problem) in found.problems {
        diags.push(Diagnostic::new(&path, "", None, problem));
    }
    let mut out = Vec::new();
    for p in found.files {
        let rel = p
            .strip_prefix(dir)
            .unwrap_or(&p)
            .to_string_lossy()
            .replace('\\', "/");
        match fs::read_to_string(&p) {
            Ok(text) => out.push(SourceFile { path: rel, text }),
            Err(e) => diags.push(Diagnostic::new(
                &p,
                "",
                None,
                format!("cannot read file: {e}"),
            )),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(out)
}

/// Loads and validates the catalog in `dir`.
pub fn load_catalog(dir: &Path) -> Result<Catalog, Diagnostics> {
    let sources = read_sources(dir)?;
    load_from_sources(&sources).map_err(|mut d| {
        // report paths as the user wrote them (spec/domestic_stock/x.yaml), not relative ones
        for x in &mut d.0 {
            if x.file.is_relative() {
                x.file = dir.join(&x.file);
            }
        }
        d
    })
}

/// Loads and validates a catalog given as file texts (used by the embedded mock server and tests).
pub fn load_from_sources(sources: &[SourceFile]) -> Result<Catalog, Diagnostics> {
    let mut diags = Diagnostics::default();
    let Some(common_src) = sources.iter().find(|s| s.path == COMMON_FILE) else {
        diags.push(Diagnostic::new(
            Path::new(COMMON_FILE),
            "",
            None,
            "the catalog has no common.yaml",
        ));
        return Err(diags);
    };
    let common_file: Option<files::CommonFile> = parse(common_src, &mut diags);
    let Some(common_file) = common_file else {
        return Err(diags);
    };
    let mut ctx = Ctx::new(Path::new(COMMON_FILE));
    let (common, groups, fills) = build_common(&common_file, &mut ctx);
    diags.0.extend(ctx.diags.0);

    let mut endpoints = Vec::new();
    for src in sources {
        if src.path == COMMON_FILE {
            continue;
        }
        let file = PathBuf::from(&src.path);
        let mut parts = src.path.split('/');
        let (Some(group), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            diags.push(Diagnostic::new(
                &file,
                "",
                None,
                "endpoint files live at <group>/<id>.yaml",
            ));
            continue;
        };
        let Some(g) = groups.iter().find(|g| g.id == group) else {
            let known: Vec<_> = groups.iter().map(|g| g.id.as_str()).collect();
            diags.push(Diagnostic::new(
                &file,
                "",
                None,
                format!(
                    "directory '{group}' is not a group of common.yaml (groups: {})",
                    known.join(", ")
                ),
            ));
            continue;
        };
        let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml");
        let parsed: Option<files::EndpointFile> = parse(src, &mut diags);
        let Some(parsed) = parsed else { continue };
        let mut ctx = Ctx::new(&file);
        if let Some(ep) = build_endpoint(&parsed, g, stem, &src.path, &common, &fills, &mut ctx) {
            endpoints.push(ep);
        }
        diags.0.extend(ctx.diags.0);
    }

    cross_checks(&endpoints, &mut diags);

    if !diags.is_empty() {
        return Err(diags);
    }
    let order: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.as_str(), i))
        .collect();
    endpoints
        .sort_by(|a, b| (order[a.group.as_str()], &a.id).cmp(&(order[b.group.as_str()], &b.id)));
    Ok(Catalog {
        common,
        groups,
        endpoints,
    })
}

fn parse<T: DeserializeOwned>(src: &SourceFile, diags: &mut Diagnostics) -> Option<T> {
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    match serde_saphyr::from_str_with_options::<T>(&src.text, options) {
        Ok(v) => Some(v),
        Err(e) => {
            let line = e.location().map(|l| l.line());
            let msg = e.to_string();
            let msg = msg
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .trim()
                .to_string();
            diags.push(Diagnostic::new(Path::new(&src.path), "", line, msg));
            None
        }
    }
}

/// Per-file validation context.
struct Ctx {
    file: PathBuf,
    diags: Diagnostics,
}

impl Ctx {
    fn new(file: &Path) -> Self {
        Ctx {
            file: file.to_path_buf(),
            diags: Diagnostics::default(),
        }
    }

    fn err<T>(&mut self, key: impl Into<String>, at: Option<&Spanned<T>>, msg: impl Into<String>) {
        let line = at.map(|s| s.referenced.line());
        self.diags.push(Diagnostic::new(&self.file, key, line, msg));
    }

    fn err_line(&mut self, key: impl Into<String>, line: Option<u64>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(&self.file, key, line, msg));
    }
}

fn line_of<T>(s: &Spanned<T>) -> Option<u64> {
    Some(s.referenced.line())
}

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

fn unknown_type_msg(name: &str) -> String {
    let known: Vec<_> = ValueType::ALL.iter().map(|t| t.name()).collect();
    format!("unknown value type '{name}' (known: {})", known.join(", "))
}

fn build_common(
    f: &files::CommonFile,
    ctx: &mut Ctx,
) -> (Common, Vec<Group>, HashMap<String, FillSource>) {
    let response_rules = build_rules(&f.value_types, "value_types", ctx);
    let request_rules = build_rules(&f.request_types, "request_types", ctx);
    let mut errors = Vec::new();
    for (i, e) in f.errors.iter().enumerate() {
        match ErrorAction::parse(&e.action.value) {
            Some(action) => errors.push(ErrorCode {
                code: e.code.clone(),
                prefix: e.prefix,
                meaning: e.meaning.clone(),
                action,
            }),
            None => ctx.err(
                format!("errors[{i}].action"),
                Some(&e.action),
                format!(
                    "unknown action '{}' ({})",
                    e.action.value,
                    ErrorAction::ALL
                        .iter()
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    let mut groups = Vec::new();
    let mut seen_ids = BTreeSet::new();
    let mut seen_features = BTreeSet::new();
    for (i, g) in f.groups.iter().enumerate() {
        let k = format!("groups[{i}]");
        if !names::is_identifier(&g.id.value) || g.id.value != names::snake(&g.id.value) {
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
        let Some(account) = AccountKind::parse(&g.account.value) else {
            ctx.err(
                format!("{k}.account"),
                Some(&g.account),
                format!(
                    "unknown account '{}' (none, stock, domestic_futures, overseas_futures)",
                    g.account.value
                ),
            );
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
    let mut enums: Vec<CodeEnum> = Vec::new();
    for (i, en) in f.enums.iter().enumerate() {
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
            let kk = format!("{k}.values[{j}]");
            if !names::is_identifier(&v.name.value) || names::snake(&v.name.value) != v.name.value {
                ctx.err(
                    format!("{kk}.name"),
                    Some(&v.name),
                    "a member name is a snake_case identifier",
                );
            }
            let rust_name = names::pascal(&v.name.value);
            if rust_name == "Other" {
                ctx.err(
                    format!("{kk}.name"),
                    Some(&v.name),
                    "`other` is reserved for codes outside the set",
                );
            }
            if members.iter().any(|m| m.rust_name == rust_name) {
                ctx.err(
                    format!("{kk}.name"),
                    Some(&v.name),
                    format!("member '{}' is listed twice", v.name.value),
                );
            }
            if members.iter().any(|m| m.value == v.value.value) {
                ctx.err(
                    format!("{kk}.value"),
                    Some(&v.value),
                    format!("value '{}' is listed twice", v.value.value),
                );
            }
            members.push(CodeMember {
                value: v.value.value.clone(),
                rust_name,
                label: v.label.clone(),
            });
        }
        enums.push(CodeEnum {
            name,
            label: en.label.clone(),
            members,
        });
    }
    let mut fills = HashMap::new();
    for (i, fl) in f.fills.iter().enumerate() {
        match FillSource::parse(&fl.from.value) {
            Some(s) => {
                fills.insert(fl.field.to_ascii_uppercase(), s);
            }
            None => ctx.err(
                format!("fills[{i}].from"),
                Some(&fl.from),
                format!(
                    "unknown fill source '{}' (account_number, account_product_code)",
                    fl.from.value
                ),
            ),
        }
    }
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
        response_rules,
        request_rules,
        enums,
        redacted_names: f
            .redacted
            .as_ref()
            .map(|r| r.names.iter().map(|n| n.to_ascii_lowercase()).collect())
            .unwrap_or_default(),
        redacted_suffixes: f
            .redacted
            .as_ref()
            .map(|r| r.suffixes.iter().map(|n| n.to_ascii_lowercase()).collect())
            .unwrap_or_default(),
    };
    (common, groups, fills)
}

fn valid_tr_id(s: &str) -> bool {
    (7..=13).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[allow(clippy::too_many_arguments)]
fn build_endpoint(
    f: &files::EndpointFile,
    group: &Group,
    stem: &str,
    source: &str,
    common: &Common,
    fills: &HashMap<String, FillSource>,
    ctx: &mut Ctx,
) -> Option<Endpoint> {
    let id = f.id.value.clone();
    if id != stem {
        ctx.err(
            "id",
            Some(&f.id),
            format!("id '{id}' differs from the file name '{stem}.yaml'"),
        );
    }
    if !names::is_identifier(&id) || id != names::snake(&id) {
        ctx.err(
            "id",
            Some(&f.id),
            format!("id '{id}' must be a snake_case identifier"),
        );
    }
    if names::is_keyword(&id) {
        ctx.err("id", Some(&f.id), format!("id '{id}' is a Rust keyword"));
    }
    if f.name.trim().is_empty() {
        ctx.err_line("name", line_of(&f.id), "the Korean name is empty");
    }
    let kind = match f.kind.value.as_str() {
        "rest" => EndpointKind::Rest,
        "websocket" => EndpointKind::WebSocket,
        "auth" => EndpointKind::Auth,
        other => {
            ctx.err(
                "kind",
                Some(&f.kind),
                format!("unknown kind '{other}' (rest, websocket, auth)"),
            );
            return None;
        }
    };
    let method = match (&f.method, kind) {
        (Some(m), EndpointKind::WebSocket) => {
            ctx.err("method", Some(m), "a websocket endpoint has no HTTP method");
            None
        }
        (None, EndpointKind::Rest | EndpointKind::Auth) => {
            ctx.err_line(
                "method",
                line_of(&f.kind),
                "a REST endpoint needs `method: GET` or `method: POST`",
            );
            None
        }
        (None, EndpointKind::WebSocket) => None,
        (Some(m), _) => match m.value.as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            other => {
                ctx.err(
                    "method",
                    Some(m),
                    format!("unknown method '{other}' (GET, POST)"),
                );
                None
            }
        },
    };
    if !f.path.value.starts_with('/') || f.path.value.contains(char::is_whitespace) {
        ctx.err(
            "path",
            Some(&f.path),
            "a path starts with '/' and has no spaces",
        );
    }

    let tr = build_tr_ids(f, kind, ctx);
    let demo = f.demo.value;
    let has_demo_tr = tr.variants.iter().any(|v| v.demo.is_some());
    if kind != EndpointKind::Auth {
        if demo && !has_demo_tr {
            ctx.err(
                "demo",
                Some(&f.demo),
                "demo is true but no variant has a demo TR ID",
            );
        }
        if !demo && has_demo_tr {
            ctx.err(
                "demo",
                Some(&f.demo),
                "demo is false but a demo TR ID is given; remove it or set demo: true",
            );
        }
    }
    if kind == EndpointKind::WebSocket
        && let Some(v) = tr.variants.first()
        && f.path.value != format!("/tryitout/{}", v.real)
    {
        ctx.err(
            "path",
            Some(&f.path),
            format!("a websocket path is /tryitout/{}", v.real),
        );
    }

    let mutates = f
        .mutates
        .unwrap_or(kind == EndpointKind::Rest && method == Some(Method::Post));

    let mut realtime = None;
    let mut request = Vec::new();
    let mut pagination = None;
    let mut response = Response::default();
    match kind {
        EndpointKind::WebSocket => {
            for (key, present) in [
                ("request", f.request.is_some()),
                ("response", f.response.is_some()),
                ("pagination", !f.pagination.is_empty()),
            ] {
                if present {
                    ctx.err_line(
                        key,
                        None,
                        format!("a websocket endpoint has no `{key}`; it has `columns`"),
                    );
                }
            }
            realtime = build_realtime(f, common, ctx);
        }
        EndpointKind::Rest | EndpointKind::Auth => {
            for (key, present) in [
                ("columns", f.columns.is_some()),
                ("tr_key", f.tr_key.is_some()),
                ("encrypted", f.encrypted.is_some()),
            ] {
                if present {
                    ctx.err_line(key, None, format!("`{key}` belongs to websocket endpoints"));
                }
            }
            let Some(req) = &f.request else {
                ctx.err_line(
                    "request",
                    None,
                    "a REST endpoint lists its `request` fields (use `request: []` for none)",
                );
                return None;
            };
            request = build_request(req, group, common, fills, kind, ctx);
            let Some(resp) = &f.response else {
                ctx.err_line("response", None, "a REST endpoint describes its `response`");
                return None;
            };
            response = build_response(resp, common, ctx);
            pagination = build_pagination(&f.pagination, &mut request, &mut response, ctx);
        }
    }

    Some(Endpoint {
        qualified_id: format!("{}.{}", group.id, id),
        id,
        group: group.id.clone(),
        name: f.name.clone(),
        api_code: f.api_code.clone(),
        category: f.category.clone(),
        doc: f.doc.clone(),
        kind,
        method,
        path: f.path.value.clone(),
        tr,
        demo,
        demo_note: f.demo_note.clone(),
        mutates,
        table_rows: f.table_rows.clone(),
        fixes: f.fixes.clone(),
        request,
        pagination,
        response,
        realtime,
        source: source.to_string(),
    })
}

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

fn build_tr_ids(f: &files::EndpointFile, kind: EndpointKind, ctx: &mut Ctx) -> TrIds {
    let Some(t) = &f.tr_id else {
        if kind != EndpointKind::Auth {
            ctx.err_line("tr_id", line_of(&f.kind), "missing `tr_id`");
        }
        return TrIds {
            selector: None,
            variants: Vec::new(),
        };
    };
    if kind == EndpointKind::Auth {
        ctx.err_line("tr_id", None, "auth endpoints have no TR ID");
        return TrIds {
            selector: None,
            variants: Vec::new(),
        };
    }
    let aliases = |list: &[files::AliasSpec], key: &str, ctx: &mut Ctx| -> Vec<Alias> {
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
    };
    match (&t.real, &t.select, t.variants.is_empty()) {
        (Some(real), None, true) => {
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
        (None, Some(sel), false) => {
            if t.demo.is_some() || !t.aliases.is_empty() {
                ctx.err_line(
                    "tr_id",
                    None,
                    "with `variants`, put demo IDs and aliases inside each variant",
                );
            }
            if !names::is_identifier(&sel.name.value)
                || sel.name.value != names::snake(&sel.name.value)
            {
                ctx.err(
                    "tr_id.select.name",
                    Some(&sel.name),
                    "the selector name must be a snake_case identifier",
                );
            }
            let mut variants = Vec::new();
            let mut seen = BTreeSet::new();
            for (i, v) in t.variants.iter().enumerate() {
                let key = format!("tr_id.variants[{i}]");
                if !names::is_identifier(&v.name.value)
                    || v.name.value != names::snake(&v.name.value)
                {
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
                variants.push(Variant {
                    name: v.name.value.clone(),
                    rust_name: names::pascal(&v.name.value),
                    label: v.label.clone(),
                    real: v.real.value.clone(),
                    demo: v.demo.as_ref().map(|d| d.value.clone()),
                    aliases: aliases(&v.aliases, &key, ctx),
                });
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
        _ => {
            ctx.err_line(
                "tr_id",
                None,
                "give either `real` (and `demo`), or `select` with `variants`",
            );
            TrIds {
                selector: None,
                variants: Vec::new(),
            }
        }
    }
}

fn resolve_type(
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

fn build_fields(
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
        out.push(Field {
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

fn build_request(
    list: &[files::RequestFieldSpec],
    group: &Group,
    common: &Common,
    fills: &HashMap<String, FillSource>,
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
            &common.request_rules,
            &format!("{k}.type"),
            ctx,
        );
        let fill = match &f.fill {
            Some(s) => match FillSource::parse(&s.value) {
                Some(v) => Some(v),
                None => {
                    ctx.err(
                        format!("{k}.fill"),
                        Some(s),
                        format!("unknown fill source '{}'", s.value),
                    );
                    None
                }
            },
            None if kind == EndpointKind::Rest && group.account != AccountKind::None => {
                fills.get(&wire.to_ascii_uppercase()).copied()
            }
            None => None,
        };
        let enum_name = match &f.enum_name {
            None => None,
            Some(n) => match common.code_enum(&n.value) {
                None => {
                    let known: Vec<&str> = common.enums.iter().map(|e| e.name.as_str()).collect();
                    ctx.err(
                        format!("{k}.enum"),
                        Some(n),
                        format!(
                            "unknown enum '{}' (common.yaml enums: {})",
                            n.value,
                            known.join(", ")
                        ),
                    );
                    None
                }
                Some(en) => {
                    for (j, v) in f.values.iter().enumerate() {
                        if !en.members.iter().any(|m| m.value == v.value.value) {
                            ctx.err(
                                format!("{k}.values[{j}].value"),
                                Some(&v.value),
                                format!("'{}' is not a member of enum {}", v.value.value, en.name),
                            );
                        }
                    }
                    if let Some(d) = f.default.as_deref().filter(|d| !d.is_empty())
                        && !en.members.iter().any(|m| m.value == d)
                    {
                        ctx.err(
                            format!("{k}.default"),
                            Some(n),
                            format!("default '{d}' is not a member of enum {}", en.name),
                        );
                    }
                    if f.ty.is_some() {
                        ctx.err(
                            format!("{k}.type"),
                            Some(n),
                            "a field with `enum` takes no `type`",
                        );
                    }
                    Some(en.name.clone())
                }
            },
        };
        let mut values = Vec::new();
        let mut seen_values = BTreeSet::new();
        for (j, v) in f.values.iter().enumerate() {
            if !seen_values.insert(v.value.value.clone()) {
                ctx.err(
                    format!("{k}.values[{j}].value"),
                    Some(&v.value),
                    format!("value '{}' is listed twice", v.value.value),
                );
            }
            values.push(KnownValue {
                value: v.value.value.clone(),
                label: v.label.clone(),
            });
        }
        out.push(RequestField {
            rust_name: names::field_ident(&snake),
            redacted: common.is_redacted(&wire),
            enum_name,
            wire,
            label: f.label.clone(),
            required: f.required,
            default: f.default.clone(),
            values,
            max_length: f.max_length,
            ty,
            fill,
            paging: false,
            description: f.description.clone(),
        });
    }
    out
}

fn build_response(r: &files::ResponseSpec, common: &Common, ctx: &mut Ctx) -> Response {
    let body = build_fields(
        &r.body,
        "response.body",
        &common.response_rules,
        common,
        ctx,
    );
    let mut blocks = Vec::new();
    let mut seen_types: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_wire: BTreeSet<String> =
        body.iter().map(|f| f.wire.to_ascii_lowercase()).collect();
    for (i, b) in r.blocks.iter().enumerate() {
        let k = format!("response.blocks[{i}]");
        let wire = b.name.value.trim().to_string();
        let snake = names::snake(&wire);
        if !names::is_identifier(&snake) {
            ctx.err(
                format!("{k}.name"),
                Some(&b.name),
                format!("'{wire}' is not a usable block name"),
            );
            continue;
        }
        let type_name = names::pascal(&wire);
        if let Some(prev) = seen_types.insert(type_name.clone(), wire.clone()) {
            ctx.err(
                format!("{k}.name"),
                Some(&b.name),
                format!("block '{wire}' collides with block '{prev}'"),
            );
            continue;
        }
        for (j, a) in b.aliases.iter().enumerate() {
            if !seen_wire.insert(a.value.to_ascii_lowercase()) {
                ctx.err(
                    format!("{k}.aliases[{j}]"),
                    Some(a),
                    format!("'{}' is already a block or field name", a.value),
                );
            }
        }
        if !seen_wire.insert(wire.to_ascii_lowercase()) {
            ctx.err(
                format!("{k}.name"),
                Some(&b.name),
                format!("'{wire}' is already a body field or block alias"),
            );
        }
        let shape = match b.shape.value.as_str() {
            "object" => Shape::Object,
            "array" => Shape::Array,
            other => {
                ctx.err(
                    format!("{k}.shape"),
                    Some(&b.shape),
                    format!("unknown shape '{other}' (object, array)"),
                );
                Shape::Object
            }
        };
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
        if b.fields.is_empty() {
            ctx.err(
                format!("{k}.fields"),
                Some(&b.name),
                format!("block '{wire}' has no fields"),
            );
        }
        let fields = build_fields(
            &b.fields,
            &format!("{k}.fields"),
            &common.response_rules,
            common,
            ctx,
        );
        blocks.push(Block {
            rust_name: names::field_ident(&snake),
            type_name,
            wire,
            aliases: b.aliases.iter().map(|a| a.value.clone()).collect(),
            shape,
            judged,
            note: b.note.clone(),
            fields,
        });
    }
    // response struct fields (blocks and body fields) must not collide either
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
    Response { body, blocks }
}

fn build_pagination(
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
        match (&k.response, &k.next) {
            (Some(_), Some(_)) | (None, None) => {
                ctx.err(format!("{key}.request"), Some(&k.request), "a pagination entry has either `response` (a key to copy) or `next` (a fixed value)");
                continue;
            }
            (None, Some(next)) => {
                next_values.push((field.wire.clone(), next.clone()));
                continue;
            }
            (Some(_), None) => {}
        }
        if field.required && field.default.is_none() {
            // the paginator writes it; a first page sends it empty
            field.default = Some(String::new());
        }
        field.paging = true;
        let label = field.label.clone();
        let Some(resp_spec) = &k.response else {
            continue;
        };
        let resp = resp_spec.value.trim();
        let rkey = if let Some((block, fname)) = resp.split_once('.') {
            match response.blocks.iter().find(|b| b.wire == block) {
                Some(b) => match b.fields.iter().find(|f| f.wire == fname) {
                    Some(f) if !f.ty.is_textual() => ctx.err(
                        format!("{key}.response"),
                        Some(resp_spec),
                        format!(
                            "'{resp}' is a {} field; a continuation key is text or code",
                            f.ty
                        ),
                    ),
                    Some(_) => {}
                    None => ctx.err(
                        format!("{key}.response"),
                        Some(resp_spec),
                        format!("block '{block}' has no field '{fname}'"),
                    ),
                },
                None => ctx.err(
                    format!("{key}.response"),
                    Some(resp_spec),
                    format!("no block '{block}'"),
                ),
            }
            ResponseKey::InBlock {
                block: block.to_string(),
                field: fname.to_string(),
            }
        } else {
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
                    label,
                    ty: ValueType::Code,
                    explicit_type: false,
                    redacted: false,
                    doc: None,
                });
            }
            ResponseKey::Body(resp.to_string())
        };
        out.push(PageKey {
            request: k.request.value.clone(),
            response: rkey,
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

fn build_realtime(f: &files::EndpointFile, common: &Common, ctx: &mut Ctx) -> Option<Realtime> {
    let Some(enc) = f.encrypted else {
        ctx.err_line(
            "encrypted",
            None,
            "a websocket endpoint says whether frames are `encrypted`",
        );
        return None;
    };
    let Some(k) = &f.tr_key else {
        ctx.err_line(
            "tr_key",
            None,
            "a websocket endpoint describes its `tr_key`",
        );
        return None;
    };
    let meaning = match k.meaning.value.as_str() {
        "symbol" => TrKeyMeaning::Symbol,
        "hts_id" => TrKeyMeaning::HtsId,
        other => {
            ctx.err(
                "tr_key.meaning",
                Some(&k.meaning),
                format!("unknown tr_key meaning '{other}' (symbol, hts_id)"),
            );
            TrKeyMeaning::Symbol
        }
    };
    let Some(cols) = &f.columns else {
        ctx.err_line("columns", None, "a websocket endpoint lists its `columns`");
        return None;
    };
    if cols.is_empty() {
        ctx.err_line(
            "columns",
            None,
            "a websocket endpoint has at least one column",
        );
    }
    let columns = build_fields(cols, "columns", &common.response_rules, common, ctx);
    Some(Realtime {
        encrypted: enc,
        tr_key: TrKey {
            meaning,
            label: k.label.clone(),
            example: k.example.clone(),
        },
        columns,
    })
}

fn cross_checks(endpoints: &[Endpoint], diags: &mut Diagnostics) {
    let mut ids: BTreeMap<&str, &Endpoint> = BTreeMap::new();
    for e in endpoints {
        if let Some(prev) = ids.insert(&e.qualified_id, e) {
            diags.push(Diagnostic::new(
                Path::new(&e.source),
                "id",
                None,
                format!(
                    "endpoint id '{}' is also used by {}",
                    e.qualified_id, prev.source
                ),
            ));
        }
    }
    // a TR ID names one endpoint (a variant may use the same ID in real and demo)
    let mut owners: BTreeMap<String, &Endpoint> = BTreeMap::new();
    for e in endpoints {
        let mut mine = BTreeSet::new();
        for (vi, v) in e.tr.variants.iter().enumerate() {
            let mut in_variant = vec![(v.real.clone(), "real")];
            if let Some(d) = &v.demo {
                in_variant.push((d.clone(), "demo"));
            }
            for a in &v.aliases {
                in_variant.push((a.tr_id.clone(), "alias"));
            }
            let mut local = BTreeSet::new();
            for (tr, role) in in_variant {
                let same_as_real = role == "demo" && tr == v.real;
                if !same_as_real && !local.insert(tr.clone()) {
                    diags.push(Diagnostic::new(
                        Path::new(&e.source),
                        format!("tr_id.variants[{vi}]"),
                        None,
                        format!("TR ID {tr} appears twice in variant '{}'", v.name),
                    ));
                }
                if !mine.insert(tr.clone()) && !same_as_real {
                    // two variants of one endpoint sharing an ID could not be told apart
                    if e.tr
                        .variants
                        .iter()
                        .filter(|o| o.real == tr || o.demo.as_deref() == Some(&tr))
                        .count()
                        > 1
                    {
                        diags.push(Diagnostic::new(
                            Path::new(&e.source),
                            "tr_id",
                            None,
                            format!("TR ID {tr} is used by two variants"),
                        ));
                    }
                }
            }
        }
        for tr in mine {
            if let Some(prev) = owners.get(&tr) {
                diags.push(Diagnostic::new(
                    Path::new(&e.source),
                    "tr_id",
                    None,
                    format!(
                        "TR ID {tr} is also used by {} ({})",
                        prev.qualified_id, prev.source
                    ),
                ));
            } else {
                owners.insert(tr, e);
            }
        }
    }
    let mut rows: BTreeMap<&str, &Endpoint> = BTreeMap::new();
    for e in endpoints {
        for r in &e.table_rows {
            if let Some(prev) = rows.insert(r, e) {
                diags.push(Diagnostic::new(
                    Path::new(&e.source),
                    "table_rows",
                    None,
                    format!("table row '{r}' is already mapped to {}", prev.qualified_id),
                ));
            }
        }
    }
}
