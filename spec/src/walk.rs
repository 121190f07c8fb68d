//! Finding the catalog's files: `common.yaml` at the top and `<group>/<id>.yaml` one level down.
//! Shared by the loader and this crate's build script (which embeds the files), so both see the
//! same set.
//!
//! The walk is bounded: it reads two levels and never descends through a directory link, so a
//! link loop (or a link to `/`) cannot make it run forever. A linked directory is reported,
//! not silently skipped, and so is a directory nested inside a group that holds YAML files.

use std::fs;
use std::path::{Path, PathBuf};

/// What the walk found: the YAML files (sorted) and the problems, each with its path.
#[derive(Debug, Default)]
pub struct Found {
    /// Every `.yaml`/`.yml` file, sorted by path.
    pub files: Vec<PathBuf>,
    /// Directories that could not be read, links that were not followed, nested YAML.
    pub problems: Vec<(PathBuf, String)>,
}

fn is_yaml(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "yaml" || x == "yml")
}

/// The catalog files under `dir`.
pub fn catalog_files(dir: &Path) -> Found {
    let mut found = Found::default();
    for (path, is_dir) in entries(dir, &mut found) {
        if !is_dir {
            if is_yaml(&path) {
                found.files.push(path);
            }
            continue;
        }
        for (inner, inner_is_dir) in entries(&path, &mut found) {
            if !inner_is_dir {
                if is_yaml(&inner) {
                    found.files.push(inner);
                }
            } else if entries(&inner, &mut Found::default())
                .iter()
                .any(|(p, d)| !d && is_yaml(p))
            {
                found.problems.push((
                    inner,
                    "nested directory not read: catalog files live at <group>/<id>.yaml".into(),
                ));
            }
        }
    }
    found.files.sort();
    found
}

/// The entries of `dir` as (path, is a real directory). A link to a directory is reported and
/// left out; a link to a file is kept (reading it cannot loop).
fn entries(dir: &Path, found: &mut Found) -> Vec<(PathBuf, bool)> {
    let list = match fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            found
                .problems
                .push((dir.to_path_buf(), format!("cannot read directory: {e}")));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in list.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            if path.is_dir() {
                found.problems.push((
                    path,
                    "directory link not followed: replace it with the directory".into(),
                ));
            } else {
                out.push((path, false));
            }
        } else {
            out.push((path, kind.is_dir()));
        }
    }
    out
}
