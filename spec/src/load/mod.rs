//! Loading: read the catalog files, parse them (stage 1), validate them and build the model
//! (stage 2). Every problem becomes a [`Diagnostic`] naming the file, the key path and the line;
//! nothing here panics on bad input.
//!
//! This file reads the sources and drives the build; each part of the catalog has its own file:
//! `common` (`common.yaml`), `endpoint` (an endpoint file's identity, kind and parts), `tr_ids`,
//! `request`, `fields` (response fields and columns), `response`, `pagination`, `realtime`, and
//! `cross` (checks across endpoint files).

mod common;
mod cross;
mod endpoint;
mod fields;
mod pagination;
mod realtime;
mod request;
mod response;
mod tr_ids;

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::diag::{Diagnostic, Diagnostics};
use crate::files::{self, Spanned};
use crate::model::{Catalog, Endpoint, Group};

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
    let shared = common::build_common(&common_file, &mut ctx);
    diags.0.extend(ctx.diags.0);

    let files: Vec<&SourceFile> = sources
        .iter()
        .filter(|src| src.path != COMMON_FILE)
        .collect();
    let mut endpoints: Vec<Endpoint> = Vec::with_capacity(files.len());
    for (endpoint, file_diags) in load_endpoint_files(&files, &shared) {
        diags.0.extend(file_diags.0);
        endpoints.extend(endpoint);
    }
    cross::cross_checks(&endpoints, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let common::Shared { common, groups, .. } = shared;
    sort_in_group_order(&mut endpoints, &groups);
    Ok(Catalog {
        common,
        groups,
        endpoints,
    })
}

/// Parses and builds the endpoint files over the available cores (YAML parsing is most of a
/// load, and the build script and every tool load the whole catalog), each with its own
/// diagnostics, in the files' order whatever thread built them.
fn load_endpoint_files(
    files: &[&SourceFile],
    shared: &common::Shared,
) -> Vec<(Option<Endpoint>, Diagnostics)> {
    let load = |src: &SourceFile| {
        let mut d = Diagnostics::default();
        let e = load_endpoint_file(src, shared, &mut d);
        (e, d)
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(files.len());
    if threads <= 1 {
        return files.iter().map(|f| load(f)).collect();
    }
    // round-robin: neighbouring files (one group's) have similar sizes
    let mut done: Vec<(usize, (Option<Endpoint>, Diagnostics))> = std::thread::scope(|s| {
        let load = &load;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, f)| (i, load(f)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            // a loader bug must fail with its message, not drop files
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Parses and builds one `<group>/<id>.yaml` file; `None` (with diagnostics) when it cannot.
fn load_endpoint_file(
    src: &SourceFile,
    shared: &common::Shared,
    diags: &mut Diagnostics,
) -> Option<Endpoint> {
    let file = PathBuf::from(&src.path);
    let mut parts = src.path.split('/');
    let (Some(group), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        diags.push(Diagnostic::new(
            &file,
            "",
            None,
            "endpoint files live at <group>/<id>.yaml",
        ));
        return None;
    };
    let Some(g) = shared.groups.iter().find(|g| g.id == group) else {
        let known: Vec<_> = shared.groups.iter().map(|g| g.id.as_str()).collect();
        diags.push(Diagnostic::new(
            &file,
            "",
            None,
            format!(
                "directory '{group}' is not a group of common.yaml (groups: {})",
                known.join(", ")
            ),
        ));
        return None;
    };
    let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml");
    let parsed: files::EndpointFile = parse(src, diags)?;
    let mut ctx = Ctx::new(&file);
    let place = endpoint::Place {
        group: g,
        stem,
        source: &src.path,
    };
    let built = endpoint::build_endpoint(&parsed, &place, shared, &mut ctx);
    diags.0.extend(ctx.diags.0);
    built
}

/// Orders endpoints as their groups are listed in `common.yaml`, then by id.
fn sort_in_group_order(endpoints: &mut [Endpoint], groups: &[Group]) {
    let order: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.as_str(), i))
        .collect();
    endpoints
        .sort_by(|a, b| (order[a.group.as_str()], &a.id).cmp(&(order[b.group.as_str()], &b.id)));
}

/// Parses a file's YAML (stage 1); a syntax or shape error becomes a diagnostic with its line.
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

    /// The member of a closed set named by `value`, or an error listing the set's names.
    fn closed_set<T: Copy + fmt::Display>(
        &mut self,
        key: impl Into<String>,
        value: &Spanned<String>,
        what: &str,
        parse: fn(&str) -> Option<T>,
        all: &[T],
    ) -> Option<T> {
        let found = parse(&value.value);
        if found.is_none() {
            self.err(
                key,
                Some(value),
                format!("unknown {what} '{}' ({})", value.value, allowed(all)),
            );
        }
        found
    }
}

/// The catalog names of a closed set, for messages: `rest, websocket, auth`.
fn allowed<T: fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The line a parsed value was written on.
fn line_of<T>(s: &Spanned<T>) -> Option<u64> {
    Some(s.referenced.line())
}

/// Whether `name` is a snake_case identifier (group ids, variant and selector names).
fn is_snake_identifier(name: &str) -> bool {
    crate::names::is_identifier(name) && name == crate::names::snake(name)
}
