//! The shape of the runtime's source, kept by tests: its modules import each other without a
//! cycle (each layer can be read and tested below the ones that use it), and no file outside tests
//! grows past 600 lines (a file with one job stays readable).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Generated API groups and the generated-code facade: data the runtime reads, not layers.
const GENERATED: [&str; 9] = [
    "auth",
    "domestic_stock",
    "domestic_bond",
    "domestic_futureoption",
    "elw",
    "etfetn",
    "overseas_stock",
    "overseas_futureoption",
    "runtime",
];

/// Every `.rs` file under `src/`; `with_bin`: the command line's too.
fn sources_of(with_bin: bool) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, with_bin: bool, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            panic!("cannot read {}", dir.display());
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                // the command line is a program of its own on top of the library
                if with_bin || p.file_name().is_some_and(|n| n != "bin") {
                    walk(&p, with_bin, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                out.push((p, text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, with_bin, &mut out);
    assert!(out.len() > 20, "the sources were found");
    out
}

fn sources() -> Vec<(PathBuf, String)> {
    sources_of(false)
}

/// The code of a file without its `#[cfg(test)] mod tests` and its comment lines.
fn code(text: &str) -> String {
    let body = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module of a file under `src/`.
fn module_of(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rel = path.strip_prefix(&root).unwrap_or(path);
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    first
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn the_runtime_modules_import_each_other_without_a_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources() {
        let from = module_of(&path);
        if from == "lib" {
            continue;
        }
        let code = code(&text);
        for (i, _) in code.match_indices("crate::") {
            let to: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !to.is_empty() && to != from && !GENERATED.contains(&to.as_str()) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // depth-first search for a path back to where it started
    fn reaches(
        edges: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        target: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> bool {
        for next in edges.get(from).into_iter().flatten() {
            path.push(next.clone());
            if next == target {
                return true;
            }
            if seen.insert(next.clone()) && reaches(edges, next, target, seen, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    assert!(edges.len() > 10, "{edges:?}");
    for start in edges.keys() {
        let mut path = vec![start.clone()];
        let cycle = reaches(&edges, start, start, &mut BTreeSet::new(), &mut path);
        assert!(!cycle, "a module cycle: {}", path.join(" -> "));
    }
}

#[test]
fn no_file_outside_tests_is_longer_than_600_lines() {
    let mut long = Vec::new();
    for (path, text) in sources_of(true) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let body = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or(&text);
        let lines = body.lines().count();
        if lines > 600 {
            long.push(format!("{} ({lines})", path.display()));
        }
    }
    assert!(long.is_empty(), "files over 600 lines: {long:?}");
}
