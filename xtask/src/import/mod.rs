//! `cargo xtask import (--from DIR | --workbook FILE) [--write] [--json]`: compares a checkout of
//! KIS's example repository, or KIS's full-document workbook, with the catalog and reports, per
//! endpoint, what differs; with `--write` it drafts new endpoints and applies the changes that
//! need no judgement.
//!
//! Both sources are read into the same [`Example`] and compared the same way. A difference is
//! *explained* when the catalog already accounts for it: a `fixes:` line
//! `<source> <claim> <names>: <why>` (`example ...` or `workbook ...`) names it (see
//! `explain`), a demo difference has a
//! `demo_note`, or a TR ID is a recorded alias. Explained differences are listed as such, and
//! `--write` never changes them (it reports a conflict instead). A recorded line that explains no
//! difference, or cannot be read, is itself reported.

mod example;
mod explain;
mod workbook;
mod workbook_cells;
mod workbook_draft;
mod workbook_match;
mod workbook_sheet;
mod write;

use std::path::Path;
use std::process::ExitCode;

use kis_codegen::model::{Catalog, Endpoint, EndpointKind, Field};
use serde_json::{Value, json};

pub use example::{Example, read_tree};
use explain::{Claim, Explanations, Subject};

/// Where the description compared with the catalog comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Source {
    /// KIS's example repository (`--from`).
    #[default]
    Example,
    /// KIS's full-document workbook (`--workbook`).
    Workbook,
}

impl Source {
    /// The word that starts a recorded line about this source.
    pub fn tag(self) -> &'static str {
        match self {
            Source::Example => "example",
            Source::Workbook => "workbook",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Source::Example => "the example",
            Source::Workbook => "the workbook",
        }
    }

    /// How the source marks a required input.
    fn required_mark(self) -> &'static str {
        match self {
            Source::Example => "[필수]",
            Source::Workbook => "Required",
        }
    }

    /// What one described endpoint is called.
    fn unit(self) -> &'static str {
        match self {
            Source::Example => "examples",
            Source::Workbook => "workbook sheets",
        }
    }
}

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
    /// A recorded explanation that explains nothing or cannot be read.
    Explanation,
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
            Category::Explanation => "explanation",
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
    /// What was compared with the catalog.
    pub source: Source,
    /// Example folders (or workbook sheets) read.
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
            "{} {} compared: {} unexplained difference(s), {explained} explained\n",
            self.examples,
            self.source.unit(),
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
            "source": self.source.tag(),
            // examples or workbook sheets read, by the source
            "examples": self.examples,
            "unexplained": self.unexplained().count(),
            "endpoints": endpoints,
        })
    }
}

/// Problems of the recorded explanation lines that need no example to see (`lint-spec` lists
/// them), as `<file>: fixes: <problem>`.
pub fn lint(catalog: &Catalog) -> Vec<String> {
    catalog
        .endpoints
        .iter()
        .flat_map(|e| {
            explain::check(e)
                .into_iter()
                .map(move |p| format!("{}: fixes: {p}", e.source))
        })
        .collect()
}

/// What `cargo xtask import` reads.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A checkout of KIS's example repository.
    Examples(&'a Path),
    /// KIS's full-document workbook (`.xlsx`).
    Workbook(&'a Path),
}

/// `cargo xtask import`.
pub fn run(spec_dir: &Path, input: Input, write: bool, json_out: bool) -> Result<ExitCode, String> {
    let catalog = kis_codegen::load_catalog(spec_dir).map_err(|d| d.to_string())?;
    let (source, examples, sheets) = match input {
        Input::Examples(dir) => (Source::Example, read_tree(dir)?, Vec::new()),
        Input::Workbook(file) => {
            let book = workbook::read(file).map_err(|e| e.to_string())?;
            let examples = workbook_match::to_examples(&catalog, &book.apis);
            (Source::Workbook, examples, book.apis)
        }
    };
    let report = compare_with(source, &catalog, &examples);
    if json_out {
        let text = serde_json::to_string_pretty(&report.to_json()).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", report.to_text());
    }
    if write {
        let outcome = match source {
            Source::Example => write::apply(spec_dir, &catalog, &examples, &report, &write::draft)?,
            Source::Workbook => {
                let draft = |ex: &Example| workbook_draft::draft(ex, &sheets);
                write::apply(spec_dir, &catalog, &examples, &report, &draft)?
            }
        };
        eprint!("{}", outcome.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// A recorded reason, shortened for the report.
fn shorten(t: &str) -> String {
    const MAX: usize = 100;
    match t.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &t[..i]),
        None => t.to_string(),
    }
}

/// Compares the examples with the catalog.
#[cfg(test)]
pub fn compare(catalog: &Catalog, examples: &[Example]) -> Report {
    compare_with(Source::Example, catalog, examples)
}

/// Compares what `source` describes (read into [`Example`]s) with the catalog.
pub fn compare_with(source: Source, catalog: &Catalog, examples: &[Example]) -> Report {
    let mut report = Report {
        source,
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
            Some(e) => {
                let mut why = Explanations::of(e, source);
                let mut out = compare_endpoint(source, e, ex, &mut why);
                close(&mut out, why);
                out
            }
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
        let mut why = Explanations::of(e, source);
        let mut out = Vec::new();
        let (text, claim) = match source {
            Source::Example => ("no example folder", Claim::HasNoFolder),
            Source::Workbook => ("no sheet in the workbook", Claim::HasNoSheet),
        };
        push(
            &mut out,
            &mut why,
            Category::Removed,
            text.to_string(),
            Subject::new(claim, ""),
        );
        close(&mut out, why);
        report.endpoints.push(EndpointReport {
            endpoint: format!("{}/{}", e.group, e.id),
            differences: out,
        });
    }
    report.endpoints.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
    report
}

/// Adds the recorded lines that explained nothing, or cannot be read, as differences.
fn close(out: &mut Vec<Difference>, why: Explanations) {
    for line in &why.malformed {
        out.push(Difference {
            category: Category::Explanation,
            text: format!("unreadable: {line}"),
            explained_by: None,
        });
    }
    for claim in why.stale() {
        out.push(Difference {
            category: Category::Explanation,
            text: format!("stale: \"{claim}\" matches no difference"),
            explained_by: None,
        });
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn squash(label: &str) -> String {
    label.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Records a difference about `subject`, explained when a recorded line names it.
fn push(
    out: &mut Vec<Difference>,
    why: &mut Explanations,
    category: Category,
    text: String,
    subject: Subject,
) {
    let explained_by = why.explain(&subject);
    out.push(Difference {
        category,
        text,
        explained_by,
    });
}

fn compare_endpoint(
    source: Source,
    e: &Endpoint,
    ex: &Example,
    why: &mut Explanations,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let from = source.noun();
    compare_path(from, e, ex, why, &mut out);
    compare_tr_ids(from, e, ex, why, &mut out);
    compare_demo(from, e, ex, &mut out);
    if e.kind != EndpointKind::WebSocket {
        compare_inputs(source, e, ex, why, &mut out);
    }
    compare_outputs(from, e, ex, why, &mut out);
    out
}

/// Path and method.
fn compare_path(
    from: &str,
    e: &Endpoint,
    ex: &Example,
    why: &mut Explanations,
    out: &mut Vec<Difference>,
) {
    let realtime = e.kind == EndpointKind::WebSocket;
    if let Some(path) = &ex.path
        && !realtime
        && *path != e.path
    {
        push(
            out,
            why,
            Category::Path,
            format!("path {} in the catalog, {path} in {from}", e.path),
            Subject::new(Claim::UsesPath, path),
        );
    }
    let method = match (e.kind, e.method) {
        (EndpointKind::WebSocket, _) => "WS",
        (_, Some(m)) => m.name(),
        (_, None) => "",
    };
    if method != ex.method {
        push(
            out,
            why,
            Category::Path,
            format!("method {method} in the catalog, {} in {from}", ex.method),
            Subject::new(Claim::UsesPath, ex.method),
        );
    }
}

/// TR IDs per environment.
fn compare_tr_ids(
    from: &str,
    e: &Endpoint,
    ex: &Example,
    why: &mut Explanations,
    out: &mut Vec<Difference>,
) {
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
                out,
                why,
                Category::TrId,
                format!("{env}: {id} in {from}, not in the catalog"),
                Subject::new(Claim::SendsTrId, id),
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
                    out,
                    why,
                    Category::TrId,
                    format!(
                        "{env}: variant {} has {id}, which {from} does not set",
                        v.name
                    ),
                    Subject::new(Claim::OmitsTrId, id),
                );
            }
        }
    }
}

/// Demo availability (auth endpoints have no TR ID; their examples choose a host); a
/// `demo_note` records why the catalog decided as it did.
fn compare_demo(from: &str, e: &Endpoint, ex: &Example, out: &mut Vec<Difference>) {
    if !ex.knows_env || e.tr.variants.is_empty() {
        return;
    }
    let ex_demo = !ex.demo.is_empty();
    if ex_demo != e.demo {
        let text = format!(
            "the catalog says {}, {from} {}",
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
        out.push(Difference {
            category: Category::Demo,
            text,
            explained_by: e.demo_note.as_deref().map(shorten),
        });
    }
}

/// Request keys: added, removed, and [필수] marks the catalog lacks.
fn compare_inputs(
    source: Source,
    e: &Endpoint,
    ex: &Example,
    why: &mut Explanations,
    out: &mut Vec<Difference>,
) {
    for i in &ex.inputs {
        match e.request.iter().find(|f| same_name(&f.wire, &i.wire)) {
            None => push(
                out,
                why,
                Category::Input,
                format!("{} ({}) added", i.wire, i.label),
                Subject::new(Claim::AddsInput, &i.wire),
            ),
            // a key the catalog always sends a value for (a default, a fill, the paginator's
            // continuation) is present in every request: the mark changes nothing on the wire
            Some(f)
                if i.required
                    && !f.required
                    && f.default.is_none()
                    && f.fill.is_none()
                    && !f.paging =>
            {
                push(
                    out,
                    why,
                    Category::Input,
                    format!(
                        "{} is {} in {}, optional in the catalog",
                        f.wire,
                        source.required_mark(),
                        source.noun()
                    ),
                    Subject::new(Claim::RequiresInput, &f.wire),
                );
            }
            Some(_) => {}
        }
    }
    if ex.inputs.is_empty() {
        return;
    }
    for f in &e.request {
        if !ex.inputs.iter().any(|i| same_name(&i.wire, &f.wire)) {
            push(
                out,
                why,
                Category::Input,
                format!("{} ({}) removed", f.wire, f.label),
                Subject::new(Claim::OmitsInput, &f.wire),
            );
        }
    }
}

fn placed<'a>(block: &str, f: &'a Field) -> (String, &'a Field) {
    (block.to_string(), f)
}

/// Response fields (REST) or realtime columns: added, removed, relabelled, reordered.
fn compare_outputs(
    from: &str,
    e: &Endpoint,
    ex: &Example,
    why: &mut Explanations,
    out: &mut Vec<Difference>,
) {
    let realtime = e.kind == EndpointKind::WebSocket;
    // each field once (the example's list is flat), with the blocks that hold it
    let mut fields: Vec<(&Field, Vec<String>)> = Vec::new();
    let all: Vec<(String, &Field)> = if realtime {
        e.realtime
            .iter()
            .flat_map(|r| &r.columns)
            .map(|f| placed("", f))
            .collect()
    } else {
        let body = e.response.body.iter().map(|f| placed("body", f));
        let blocks = e
            .response
            .blocks
            .iter()
            .flat_map(|b| b.fields.iter().map(|f| placed(&b.wire, f)));
        body.chain(blocks).collect()
    };
    for (block, f) in all {
        match fields.iter_mut().find(|(x, _)| x.wire == f.wire) {
            Some((_, blocks)) => blocks.push(block),
            None => fields.push((f, vec![block])),
        }
    }
    // realtime columns sit in no block
    let subject = |claim: Claim, f: &Field, blocks: &[String]| Subject {
        claim,
        name: f.wire.clone(),
        blocks: blocks.iter().filter(|b| !b.is_empty()).cloned().collect(),
    };
    for (name, label) in &ex.outputs {
        match fields.iter().find(|(f, _)| same_name(&f.wire, name)) {
            None if !realtime => push(
                out,
                why,
                Category::Output,
                format!("{name} ({label}) added"),
                Subject::new(Claim::AddsField, name),
            ),
            None => {}
            Some((f, blocks)) if squash(&f.label) != squash(label) => push(
                out,
                why,
                Category::Output,
                format!(
                    "{} relabelled: {} in the catalog, {label} in {from}",
                    f.wire, f.label
                ),
                subject(Claim::LabelsField, f, blocks),
            ),
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
        for (f, blocks) in fields.iter().filter(|(f, _)| !paging.contains(&f.wire)) {
            if !ex.outputs.iter().any(|(n, _)| same_name(n, &f.wire)) {
                push(
                    out,
                    why,
                    Category::Output,
                    format!("{} ({}) removed", f.wire, f.label),
                    subject(Claim::OmitsField, f, blocks),
                );
            }
        }
    }
    if realtime && !ex.columns.is_empty() {
        let ours: Vec<&str> = fields.iter().map(|(f, _)| f.wire.as_str()).collect();
        compare_columns(&ours, &ex.columns, why, out);
    }
}

/// Realtime columns, in order.
fn compare_columns(
    ours: &[&str],
    theirs: &[String],
    why: &mut Explanations,
    out: &mut Vec<Difference>,
) {
    for c in theirs {
        if !ours.iter().any(|o| same_name(o, c)) {
            let subject = Subject::new(Claim::AddsColumn, c);
            push(out, why, Category::Column, format!("{c} added"), subject);
        }
    }
    for o in ours {
        if !theirs.iter().any(|c| same_name(o, c)) {
            let subject = Subject::new(Claim::OmitsColumn, o);
            push(out, why, Category::Column, format!("{o} removed"), subject);
        }
    }
    let common_ours: Vec<String> = ours
        .iter()
        .filter(|o| theirs.iter().any(|c| same_name(o, c)))
        .map(|o| o.to_uppercase())
        .collect();
    let common_theirs: Vec<String> = theirs
        .iter()
        .filter(|c| ours.iter().any(|o| same_name(o, c)))
        .map(|c| c.to_uppercase())
        .collect();
    if let Some(first) = common_ours
        .iter()
        .zip(&common_theirs)
        .find(|(a, b)| a != b)
        .map(|(a, _)| a.clone())
    {
        push(
            out,
            why,
            Category::Column,
            format!("reordered (first difference at {first})"),
            Subject::new(Claim::ReordersColumn, &first),
        );
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod workbook_tests;
