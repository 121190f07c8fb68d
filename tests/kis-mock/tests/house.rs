//! The shape of the mock's source, kept by a test: no file outside its `#[cfg(test)]` module
//! grows past 600 lines (a file with one job stays readable), the same rule `kis-api` keeps.

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
fn the_unit_tests_are_not_counted() {
    let text = "fn a() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n";
    assert_eq!(lines_outside_tests(text), 2);
    assert_eq!(lines_outside_tests("fn a() {}\nfn b() {}\n"), 2);
}
