//! The shape of the mock's source, kept by tests, the same rules `kis-api` keeps: its modules
//! import each other without a cycle (each can be read and tested below the ones that use it),
//! and no file outside its `#[cfg(test)]` module grows past 600 lines (a file with one job
//! stays readable).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest a source file may be, without its unit tests.
const MAX_LINES: usize = 600;

/// Every `.rs` file under `src/` with its text.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            panic!("cannot read {}", dir.display());
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                out.push((p, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    assert!(out.len() > 10, "the sources were found: {}", out.len());
    out
}

/// The code of a file without its `#[cfg(test)] mod tests` and its comment lines.
fn code(text: &str) -> String {
    let body = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module of a file under `src/` (`rest/auth.rs` belongs to `rest`).
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

/// Which top-level modules each module names through `crate::`.
fn imports(sources: &[(PathBuf, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources {
        let from = module_of(path);
        // the crate root and the binary sit on top of every module
        if from == "lib" || from == "main" {
            continue;
        }
        let code = code(text);
        for (i, _) in code.match_indices("crate::") {
            let to: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !to.is_empty() && to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// A path of imports from `start` back to itself, if there is one.
fn cycle_from(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
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
    let mut path = vec![start.to_string()];
    reaches(edges, start, start, &mut BTreeSet::new(), &mut path).then_some(path)
}

/// The lines of a file before its `#[cfg(test)] mod tests`.
fn lines_outside_tests(text: &str) -> usize {
    let body = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    body.lines().count()
}

#[test]
fn no_mock_file_outside_tests_is_longer_than_600_lines() {
    let mut long = Vec::new();
    for (path, text) in sources() {
        let lines = lines_outside_tests(&text);
        if lines > MAX_LINES {
            long.push(format!("{} ({lines})", path.display()));
        }
    }
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {long:?}");
}

#[test]
fn the_mock_modules_import_each_other_without_a_cycle() {
    let edges = imports(&sources());
    assert!(edges.len() >= 8, "the imports were found: {edges:?}");
    for start in edges.keys() {
        if let Some(path) = cycle_from(&edges, start) {
            panic!("a module cycle: {}", path.join(" -> "));
        }
    }
}

#[test]
fn a_cycle_is_found_through_any_number_of_modules() {
    let edges: BTreeMap<String, BTreeSet<String>> =
        [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
            .into_iter()
            .map(|(f, t)| (f.to_string(), BTreeSet::from([t.to_string()])))
            .collect();
    assert_eq!(
        cycle_from(&edges, "a").map(|p| p.join(" -> ")),
        Some("a -> b -> c -> a".to_string())
    );
    assert_eq!(
        cycle_from(&edges, "d"),
        None,
        "d reaches a cycle but is not on it"
    );
    let chain: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c")]
        .into_iter()
        .map(|(f, t)| (f.to_string(), BTreeSet::from([t.to_string()])))
        .collect();
    assert_eq!(cycle_from(&chain, "a"), None);
}

#[test]
fn the_unit_tests_are_not_counted() {
    let text = "fn a() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n";
    assert_eq!(lines_outside_tests(text), 2);
    assert_eq!(lines_outside_tests("fn a() {}\nfn b() {}\n"), 2);
}
