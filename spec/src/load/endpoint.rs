//! One endpoint file: its identity, kind, method and path, and which parts it has (request,
//! response and pagination for REST and auth; columns for WebSocket).

use super::common::Shared;
use super::{Ctx, is_snake_identifier, line_of};
use crate::files;
use crate::model::{
    Endpoint, EndpointKind, Group, Method, Pagination, Realtime, RequestField, Response, TrIds,
};
use crate::names;

/// Where an endpoint file sits: its group directory and file name.
pub(super) struct Place<'a> {
    /// The group its directory names.
    pub(super) group: &'a Group,
    /// The file name without `.yaml`.
    pub(super) stem: &'a str,
    /// The file's path relative to the catalog directory.
    pub(super) source: &'a str,
}

/// The kind-specific parts of an endpoint.
#[derive(Default)]
struct Parts {
    request: Vec<RequestField>,
    pagination: Option<Pagination>,
    response: Response,
    realtime: Option<Realtime>,
}

/// Validates one endpoint file and builds its endpoint; `None` when it is too broken to build.
pub(super) fn build_endpoint(
    f: &files::EndpointFile,
    place: &Place<'_>,
    shared: &Shared,
    ctx: &mut Ctx,
) -> Option<Endpoint> {
    check_identity(f, place.stem, ctx);
    let kind = ctx.closed_set(
        "kind",
        &f.kind,
        "kind",
        EndpointKind::parse,
        EndpointKind::ALL,
    )?;
    let method = build_method(f, kind, ctx);
    if !f.path.value.starts_with('/') || f.path.value.contains(char::is_whitespace) {
        ctx.err(
            "path",
            Some(&f.path),
            "a path starts with '/' and has no spaces",
        );
    }
    let tr = super::tr_ids::build_tr_ids(f, kind, ctx);
    check_demo(f, kind, &tr, ctx);
    check_realtime_path(f, kind, &tr, ctx);
    let mutates = f
        .mutates
        .unwrap_or(kind == EndpointKind::Rest && method == Some(Method::Post));
    let parts = match kind {
        EndpointKind::WebSocket => websocket_parts(f, shared, ctx),
        EndpointKind::Rest | EndpointKind::Auth => rest_parts(f, place.group, shared, kind, ctx)?,
    };
    let id = f.id.value.clone();
    Some(Endpoint {
        qualified_id: format!("{}.{}", place.group.id, id),
        id,
        group: place.group.id.clone(),
        name: f.name.clone(),
        api_code: f.api_code.clone(),
        category: f.category.clone(),
        doc: f.doc.clone(),
        kind,
        method,
        path: f.path.value.clone(),
        tr,
        demo: f.demo.value,
        demo_note: f.demo_note.clone(),
        mutates,
        table_rows: f.table_rows.clone(),
        fixes: f.fixes.clone(),
        request: parts.request,
        pagination: parts.pagination,
        response: parts.response,
        realtime: parts.realtime,
        source: place.source.to_string(),
    })
}

/// The id matches the file name and makes a Rust module name; the Korean name is given.
fn check_identity(f: &files::EndpointFile, stem: &str, ctx: &mut Ctx) {
    let id = &f.id.value;
    if id != stem {
        ctx.err(
            "id",
            Some(&f.id),
            format!("id '{id}' differs from the file name '{stem}.yaml'"),
        );
    }
    if !is_snake_identifier(id) {
        ctx.err(
            "id",
            Some(&f.id),
            format!("id '{id}' must be a snake_case identifier"),
        );
    }
    if names::is_keyword(id) {
        ctx.err("id", Some(&f.id), format!("id '{id}' is a Rust keyword"));
    }
    if f.name.trim().is_empty() {
        ctx.err_line("name", line_of(&f.id), "the Korean name is empty");
    }
}

/// The HTTP method: REST and auth calls have one, WebSocket TRs none.
fn build_method(f: &files::EndpointFile, kind: EndpointKind, ctx: &mut Ctx) -> Option<Method> {
    match (&f.method, kind) {
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
        (Some(m), _) => ctx.closed_set("method", m, "method", Method::parse, Method::ALL),
    }
}

/// `demo` agrees with the TR IDs: served in demo exactly when some variant has a demo TR ID.
fn check_demo(f: &files::EndpointFile, kind: EndpointKind, tr: &TrIds, ctx: &mut Ctx) {
    if kind == EndpointKind::Auth {
        return;
    }
    let demo = f.demo.value;
    let has_demo_tr = tr.variants.iter().any(|v| v.demo.is_some());
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

/// A WebSocket TR's path is the one KIS documents for it: `/tryitout/<TR ID>`.
fn check_realtime_path(f: &files::EndpointFile, kind: EndpointKind, tr: &TrIds, ctx: &mut Ctx) {
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
}

/// A WebSocket endpoint has columns and no request, response or pagination.
fn websocket_parts(f: &files::EndpointFile, shared: &Shared, ctx: &mut Ctx) -> Parts {
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
    Parts {
        realtime: super::realtime::build_realtime(f, &shared.common, ctx),
        ..Parts::default()
    }
}

/// A REST or auth endpoint has a request, a response and possibly pagination; `None` when the
/// request or response is missing.
fn rest_parts(
    f: &files::EndpointFile,
    group: &Group,
    shared: &Shared,
    kind: EndpointKind,
    ctx: &mut Ctx,
) -> Option<Parts> {
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
    let mut request = super::request::build_request(req, group, shared, kind, ctx);
    let Some(resp) = &f.response else {
        ctx.err_line("response", None, "a REST endpoint describes its `response`");
        return None;
    };
    let mut response = super::response::build_response(resp, &shared.common, ctx);
    let pagination =
        super::pagination::build_pagination(&f.pagination, &mut request, &mut response, ctx);
    Some(Parts {
        request,
        pagination,
        response,
        realtime: None,
    })
}
