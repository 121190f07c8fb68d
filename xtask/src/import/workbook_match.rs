//! Finds the catalog endpoint of each API of the workbook, by URL and TR ID, and reads the API
//! into the [`Example`] the comparison takes. An API no endpoint answers gets a group (from its
//! menu, as the catalog's table rows file that menu) and an id (from its URL) for its draft.

use heck::ToSnakeCase;
use kis_codegen::model::{Catalog, Endpoint};

use super::example::{Example, Input};
use super::workbook::Api;

/// The TR IDs an endpoint answers to, in any environment.
fn known_ids(e: &Endpoint) -> Vec<&str> {
    let mut ids = Vec::new();
    for v in &e.tr.variants {
        ids.push(v.real.as_str());
        ids.extend(v.demo.as_deref());
        ids.extend(v.aliases.iter().map(|a| a.tr_id.as_str()));
    }
    ids
}

fn shared(e: &Endpoint, api: &Api) -> usize {
    let ours = known_ids(e);
    api.real
        .iter()
        .chain(&api.demo)
        .filter(|id| ours.contains(&id.as_str()))
        .count()
}

/// The endpoint answering `api`: among those on its URL, the one sharing most TR IDs; with no
/// endpoint on the URL, the one sharing most TR IDs (its path then differs).
pub fn endpoint_of<'a>(catalog: &'a Catalog, api: &Api) -> Option<&'a Endpoint> {
    let best = |candidates: Vec<&'a Endpoint>| -> Option<&'a Endpoint> {
        let mut best: Option<(&Endpoint, usize)> = None;
        for e in candidates {
            let n = shared(e, api);
            if best.is_none_or(|(_, b)| n > b) {
                best = Some((e, n));
            }
        }
        best.map(|(e, _)| e)
    };
    let on_url: Vec<&Endpoint> = catalog
        .endpoints
        .iter()
        .filter(|e| e.path == api.url)
        .collect();
    if !on_url.is_empty() {
        return best(on_url);
    }
    let by_id: Vec<&Endpoint> = catalog
        .endpoints
        .iter()
        .filter(|e| shared(e, api) > 0)
        .collect();
    best(by_id)
}

/// The `[국내주식]` of a menu or table row.
fn bracket(text: &str) -> Option<&str> {
    let end = text.find(']')?;
    text.starts_with('[').then(|| &text[..=end])
}

/// The group whose table rows most often carry the menu's bracket.
fn group_of(catalog: &Catalog, menu: Option<&str>) -> Option<String> {
    let wanted = bracket(menu?)?;
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for e in &catalog.endpoints {
        if e.table_rows.iter().any(|r| bracket(r) == Some(wanted)) {
            match counts.iter_mut().find(|(g, _)| *g == e.group) {
                Some((_, n)) => *n += 1,
                None => counts.push((&e.group, 1)),
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(g, _)| g.to_string())
}

/// An id for a new API: its URL's last part (or TR ID for a subscription), never one the
/// group already uses.
fn new_id(catalog: &Catalog, group: &str, api: &Api, taken: &[(String, String)]) -> String {
    let base = if api.websocket {
        api.real
            .first()
            .map_or("realtime".to_string(), |t| t.to_lowercase())
    } else {
        let last = api.url.rsplit('/').find(|s| !s.is_empty()).unwrap_or("api");
        last.to_snake_case()
    };
    let base = if base.is_empty() {
        "api".to_string()
    } else {
        base
    };
    let used = |id: &str| {
        catalog.endpoint(&format!("{group}.{id}")).is_some()
            || taken.iter().any(|(g, i)| g == group && i == id)
    };
    let mut id = base.clone();
    let mut n = 2;
    while used(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

fn method(api: &Api) -> &'static str {
    if api.websocket {
        return "WS";
    }
    match api.method.to_ascii_uppercase().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        _ => "(unknown method)",
    }
}

fn push_new<T: Clone>(to: &mut Vec<T>, from: &[T], same: impl Fn(&T, &T) -> bool) {
    for x in from {
        if !to.iter().any(|y| same(x, y)) {
            to.push(x.clone());
        }
    }
}

/// What `api` says, as an example of `group`/`id`.
fn example(group: &str, id: &str, api: &Api) -> Example {
    let outputs: Vec<(String, String)> = if api.websocket {
        api.columns
            .iter()
            .map(|c| (c.name.clone(), c.label.clone()))
            .collect()
    } else {
        let mut out: Vec<(String, String)> = Vec::new();
        for f in api.blocks.iter().flat_map(|b| &b.fields) {
            if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&f.name)) {
                out.push((f.name.clone(), f.label.clone()));
            }
        }
        out
    };
    Example {
        group: group.to_string(),
        id: id.to_string(),
        name: Some(api.name.clone()),
        api_code: api.api_code.clone(),
        path: Some(api.url.clone()),
        method: method(api),
        real: api.real.clone(),
        demo: api.demo.clone(),
        // the workbook states both environments (모의투자 미지원 when demo lacks it)
        knows_env: true,
        inputs: api
            .inputs
            .iter()
            .map(|i| Input {
                wire: i.name.clone(),
                label: i.label.clone(),
                required: i.required,
            })
            .collect(),
        outputs,
        columns: api.columns.iter().map(|c| c.name.clone()).collect(),
    }
}

/// Every API of the workbook as an example of the endpoint that answers it; APIs one endpoint
/// answers twice are merged.
pub fn to_examples(catalog: &Catalog, apis: &[Api]) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut new: Vec<(String, String)> = Vec::new();
    for api in apis {
        let (group, id) = match endpoint_of(catalog, api) {
            Some(e) => (e.group.clone(), e.id.clone()),
            None => {
                let group =
                    group_of(catalog, api.menu.as_deref()).unwrap_or_else(|| "unfiled".to_string());
                let id = new_id(catalog, &group, api, &new);
                new.push((group.clone(), id.clone()));
                (group, id)
            }
        };
        let ex = example(&group, &id, api);
        match out.iter_mut().find(|x| x.group == group && x.id == id) {
            Some(seen) => {
                push_new(&mut seen.real, &ex.real, |a, b| a == b);
                push_new(&mut seen.demo, &ex.demo, |a, b| a == b);
                push_new(&mut seen.inputs, &ex.inputs, |a, b| {
                    a.wire.eq_ignore_ascii_case(&b.wire)
                });
                push_new(&mut seen.outputs, &ex.outputs, |a, b| {
                    a.0.eq_ignore_ascii_case(&b.0)
                });
            }
            None => out.push(ex),
        }
    }
    out
}
