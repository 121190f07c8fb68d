//! `cargo xtask import --from DIR [--write] [--json]`: compares a checkout of KIS's example
//! repository with the catalog and reports, per endpoint, what differs; with `--write` it drafts
//! new endpoints and applies the changes that need no judgement.
//!
//! A difference is *explained* when the catalog already accounts for it: the thing that differs
//! (a TR ID, a field or input name, a path) is named in the endpoint's `fixes`, `demo_note`,
//! block notes or TR ID alias notes, or the TR ID is a recorded alias. Explained differences are
//! listed as such, and `--write` never changes them (it reports a conflict instead).

mod example;
mod write;

use std::path::Path;
use std::process::ExitCode;

use kis_codegen::model::{Catalog, Endpoint, EndpointKind};
use serde_json::{Value, json};

pub use example::{Example, read_tree};

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// In the examples, not in the catalog.
    New,
    /// In the catalog, not in the examples.
    Removed,
    /// Path or method.
    Path,
    /// A TR ID of one environment.
    TrId,
    /// Demo availability.
    Demo,
    /// A request input.
    Input,
    /// A response field.
    Output,
    /// A realtime column.
    Column,
}

impl Category {
    fn name(self) -> &'static str {
        match self {
            Category::New => "new endpoint",
            Category::Removed => "removed endpoint",
            Category::Path => "path",
            Category::TrId => "tr_id",
            Category::Demo => "demo",
            Category::Input => "input",
            Category::Output => "output field",
            Category::Column => "realtime column",
        }
    }
}

/// One difference between an example and the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Kind.
    pub category: Category,
    /// What differs, in words.
    pub text: String,
    /// Why the catalog differs, when it says so.
    pub explained_by: Option<String>,
}

/// The differences of one endpoint (`group/id`).
#[derive(Debug, Clone)]
pub struct EndpointReport {
    /// `group/id`.
    pub endpoint: String,
    /// Its differences.
    pub differences: Vec<Difference>,
}

/// The whole comparison.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Example folders read.
    pub examples: usize,
    /// Endpoints with differences, by group and id.
    pub endpoints: Vec<EndpointReport>,
}

impl Report {
    /// Differences the catalog does not explain.
    pub fn unexplained(&self) -> impl Iterator<Item = &Difference> {
        self.endpoints
            .iter()
            .flat_map(|e| &e.differences)
            .filter(|d| d.explained_by.is_none())
    }

    /// The report as text, grouped by endpoint.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.endpoints {
            out.push_str(&format!("{}\n", e.endpoint));
            for d in &e.differences {
                match &d.explained_by {
                    None => out.push_str(&format!("  {}: {}\n", d.category.name(), d.text)),
                    Some(why) => out.push_str(&format!(
                        "  (explained) {}: {} -- {why}\n",
                        d.category.name(),
                        d.text
                    )),
                }
            }
        }
        let mut counts: Vec<(Category, usize)> = Vec::new();
        for d in self.unexplained() {
            match counts.iter_mut().find(|(c, _)| *c == d.category) {
                Some((_, n)) => *n += 1,
                None => counts.push((d.category, 1)),
            }
        }
        counts.sort();
        let explained = self
            .endpoints
            .iter()
            .flat_map(|e| &e.differences)
            .filter(|d| d.explained_by.is_some())
            .count();
        out.push_str(&format!(
            "{} examples compared: {} unexplained difference(s), {explained} explained\n",
            self.examples,
            self.unexplained().count()
        ));
        for (c, n) in counts {
            out.push_str(&format!("  {:>5}  {}\n", n, c.name()));
        }
        out
    }

    /// The report as data.
    pub fn to_json(&self) -> Value {
        let endpoints: Vec<Value> = self
            .endpoints
            .iter()
            .map(|e| {
                let diffs: Vec<Value> = e
                    .differences
                    .iter()
                    .map(|d| {
                        json!({
                            "category": d.category.name(),
                            "text": d.text,
                            "explained_by": d.explained_by,
                        })
                    })
                    .collect();
                json!({"endpoint": e.endpoint, "differences": diffs})
            })
            .collect();
        json!({
            "examples": self.examples,
            "unexplained": self.unexplained().count(),
            "endpoints": endpoints,
        })
    }
}

/// `cargo xtask import`.
pub fn run(spec_dir: &Path, from: &Path, write: bool, json_out: bool) -> Result<ExitCode, String> {
    let catalog = kis_codegen::load_catalog(spec_dir).map_err(|d| d.to_string())?;
    let examples = read_tree(from)?;
    let report = compare(&catalog, &examples);
    if json_out {
        let text = serde_json::to_string_pretty(&report.to_json()).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", report.to_text());
    }
    if write {
        let outcome = write::apply(spec_dir, &catalog, &examples, &report)?;
        eprint!("{}", outcome.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// Texts in which the catalog records why an endpoint differs from a source.
fn explanations(e: &Endpoint) -> Vec<String> {
    let mut texts: Vec<String> = e.fixes.clone();
    texts.extend(e.demo_note.clone());
    texts.extend(e.response.blocks.iter().filter_map(|b| b.note.clone()));
    for v in &e.tr.variants {
        texts.extend(v.aliases.iter().map(|a| format!("{} {}", a.tr_id, a.note)));
    }
    texts
}

/// The first recorded text that names `what`, shortened.
fn explained(texts: &[String], what: &str) -> Option<String> {
    let what = what.to_lowercase();
    texts
        .iter()
        .find(|t| t.to_lowercase().contains(&what))
        .map(|t| shorten(t))
}

fn shorten(t: &str) -> String {
    const MAX: usize = 100;
    match t.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &t[..i]),
        None => t.to_string(),
    }
}

/// Compares the examples with the catalog.
pub fn compare(catalog: &Catalog, examples: &[Example]) -> Report {
    let mut report = Report {
        examples: examples.len(),
        endpoints: Vec::new(),
    };
    for ex in examples {
        let qualified = format!("{}.{}", ex.group, ex.id);
        let differences = match catalog.endpoint(&qualified) {
            None => vec![Difference {
                category: Category::New,
                text: format!(
                    "{} {} ({})",
                    ex.method,
                    ex.path.as_deref().unwrap_or("(no path)"),
                    ex.name.as_deref().unwrap_or("no name")
                ),
                explained_by: None,
            }],
            Some(e) => compare_endpoint(e, ex),
        };
        if !differences.is_empty() {
            report.endpoints.push(EndpointReport {
                endpoint: format!("{}/{}", ex.group, ex.id),
                differences,
            });
        }
    }
    for e in &catalog.endpoints {
        if examples.iter().any(|x| x.group == e.group && x.id == e.id) {
            continue;
        }
        let texts = explanations(e);
        report.endpoints.push(EndpointReport {
            endpoint: format!("{}/{}", e.group, e.id),
            differences: vec![Difference {
                category: Category::Removed,
                text: "no example folder".to_string(),
                explained_by: explained(&texts, "only the portal"),
            }],
        });
    }
    report.endpoints.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
    report
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn squash(label: &str) -> String {
    label.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Records a difference about `key`, explained when the catalog's texts name it.
fn push(out: &mut Vec<Difference>, texts: &[String], category: Category, text: String, key: &str) {
    let explained_by = explained(texts, key);
    out.push(Difference {
        category,
        text,
        explained_by,
    });
}

fn compare_endpoint(e: &Endpoint, ex: &Example) -> Vec<Difference> {
    let texts = explanations(e);
    let mut out = Vec::new();
    let realtime = e.kind == EndpointKind::WebSocket;
    // path and method
    if let Some(path) = &ex.path
        && !realtime
        && *path != e.path
    {
        push(
            &mut out,
            &texts,
            Category::Path,
            format!("path {} in the catalog, {path} in the example", e.path),
            path,
        );
    }
    let method = match (e.kind, e.method) {
        (EndpointKind::WebSocket, _) => "WS",
        (_, Some(m)) => m.name(),
        (_, None) => "",
    };
    if method != ex.method {
        push(
            &mut out,
            &texts,
            Category::Path,
            format!(
                "method {method} in the catalog, {} in the example",
                ex.method
            ),
            ex.method,
        );
    }
    // TR IDs per environment
    let known = |demo: bool| -> Vec<&str> {
        let mut ids = Vec::new();
        for v in &e.tr.variants {
            if demo {
                ids.extend(v.demo.as_deref());
            } else {
                ids.push(v.real.as_str());
            }
            ids.extend(v.aliases.iter().map(|a| a.tr_id.as_str()));
        }
        ids
    };
    for (demo, env, listed) in [(false, "real", &ex.real), (true, "demo", &ex.demo)] {
        if demo && !ex.knows_env {
            continue;
        }
        let ours = known(demo);
        for id in listed.iter().filter(|id| !ours.contains(&id.as_str())) {
            push(
                &mut out,
                &texts,
                Category::TrId,
                format!("{env}: {id} in the example, not in the catalog"),
                id,
            );
        }
        for v in &e.tr.variants {
            let id = if demo {
                v.demo.as_deref()
            } else {
                Some(v.real.as_str())
            };
            let Some(id) = id else { continue };
            let seen = listed.iter().any(|x| x == id)
                || v.aliases.iter().any(|a| listed.contains(&a.tr_id));
            if !seen && !listed.is_empty() {
                push(
                    &mut out,
                    &texts,
                    Category::TrId,
                    format!(
                        "{env}: variant {} has {id}, which the example does not set",
                        v.name
                    ),
                    id,
                );
            }
        }
    }
    // demo availability (auth endpoints have no TR ID; their examples choose a host)
    if ex.knows_env && !e.tr.variants.is_empty() {
        let ex_demo = !ex.demo.is_empty();
        if ex_demo != e.demo {
            let text = format!(
                "the catalog says {}, the example {}",
                if e.demo {
                    "served in demo"
                } else {
                    "real only"
                },
                if ex_demo {
                    "sets a demo TR ID"
                } else {
                    "sets none"
                }
            );
            let explained_by = e.demo_note.as_deref().map(shorten);
            out.push(Difference {
                category: Category::Demo,
                text,
                explained_by,
            });
        }
    }
    // inputs
    if !realtime {
        for i in &ex.inputs {
            match e.request.iter().find(|f| same_name(&f.wire, &i.wire)) {
                None => push(
                    &mut out,
                    &texts,
                    Category::Input,
                    format!("{} ({}) added", i.wire, i.label),
                    &i.wire,
                ),
                Some(f) if f.required != i.required && i.required => push(
                    &mut out,
                    &texts,
                    Category::Input,
                    format!(
                        "{} is [필수] in the example, optional in the catalog",
                        f.wire
                    ),
                    &f.wire,
                ),
                Some(_) => {}
            }
        }
        if !ex.inputs.is_empty() {
            for f in &e.request {
                if !ex.inputs.iter().any(|i| same_name(&i.wire, &f.wire)) {
                    push(
                        &mut out,
                        &texts,
                        Category::Input,
                        format!("{} ({}) removed", f.wire, f.label),
                        &f.wire,
                    );
                }
            }
        }
    }
    // output fields (REST) or column labels (realtime)
    let all: Vec<&kis_codegen::model::Field> = if realtime {
        e.realtime.iter().flat_map(|r| &r.columns).collect()
    } else {
        e.response
            .body
            .iter()
            .chain(e.response.blocks.iter().flat_map(|b| &b.fields))
            .collect()
    };
    // a field in several blocks is one name in the example's flat list
    let mut fields: Vec<&kis_codegen::model::Field> = Vec::new();
    for f in all {
        if !fields.iter().any(|x| x.wire == f.wire) {
            fields.push(f);
        }
    }
    for (name, label) in &ex.outputs {
        match fields.iter().find(|f| same_name(&f.wire, name)) {
            None if !realtime => push(
                &mut out,
                &texts,
                Category::Output,
                format!("{name} ({label}) added"),
                name,
            ),
            None => {}
            Some(f) if squash(&f.label) != squash(label) => {
                let text = format!(
                    "{} relabelled: {} in the catalog, {label} in the example",
                    f.wire, f.label
                );
                let explained_by =
                    explained(&texts, &f.wire).or_else(|| explained(&texts, "label"));
                out.push(Difference {
                    category: Category::Output,
                    text,
                    explained_by,
                });
            }
            Some(_) => {}
        }
    }
    if !realtime && !ex.outputs.is_empty() {
        // continuation keys are read by the example's paging code, not listed with the fields
        let paging: Vec<String> = e
            .pagination
            .iter()
            .flat_map(|p| &p.keys)
            .map(|k| k.response.dotted())
            .collect();
        for f in fields.iter().filter(|f| !paging.contains(&f.wire)) {
            if !ex.outputs.iter().any(|(n, _)| same_name(n, &f.wire)) {
                push(
                    &mut out,
                    &texts,
                    Category::Output,
                    format!("{} ({}) removed", f.wire, f.label),
                    &f.wire,
                );
            }
        }
    }
    // realtime columns, in order
    if realtime && !ex.columns.is_empty() {
        let ours: Vec<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
        for c in &ex.columns {
            if !ours.iter().any(|o| same_name(o, c)) {
                push(&mut out, &texts, Category::Column, format!("{c} added"), c);
            }
        }
        for o in &ours {
            if !ex.columns.iter().any(|c| same_name(o, c)) {
                push(
                    &mut out,
                    &texts,
                    Category::Column,
                    format!("{o} removed"),
                    o,
                );
            }
        }
        let common_ours: Vec<String> = ours
            .iter()
            .filter(|o| ex.columns.iter().any(|c| same_name(o, c)))
            .map(|o| o.to_uppercase())
            .collect();
        let common_theirs: Vec<String> = ex
            .columns
            .iter()
            .filter(|c| ours.iter().any(|o| same_name(o, c)))
            .map(|c| c.to_uppercase())
            .collect();
        if common_ours != common_theirs
            && let Some(first) = common_ours
                .iter()
                .zip(&common_theirs)
                .find(|(a, b)| a != b)
                .map(|(a, _)| a.clone())
        {
            push(
                &mut out,
                &texts,
                Category::Column,
                format!("reordered (first difference at {first})"),
                &first,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
