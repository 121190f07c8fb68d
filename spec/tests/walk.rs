//! The catalog walk is bounded: directory links (loops included) are reported, never followed,
//! so `lint-spec`, `kis-mock --catalog` and the build cannot hang on them.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

#[test]
fn a_directory_link_loop_is_reported_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join("sample")).expect("group dir");
    std::fs::write(root.join("common.yaml"), "x: 1\n").expect("common");
    std::fs::write(root.join("sample/quote.yaml"), "id: quote\n").expect("endpoint");
    // a loop inside a group, and a link at the top back to the catalog itself
    symlink(root.join("sample"), root.join("sample/again")).expect("loop link");
    symlink(root, root.join("mirror")).expect("top link");
    // a linked file is still read: it cannot loop
    std::fs::write(root.join("elsewhere.yaml"), "id: linked\n").expect("target");
    symlink(root.join("elsewhere.yaml"), root.join("sample/linked.yaml")).expect("file link");

    let started = Instant::now();
    let found = kis_catalog::walk::catalog_files(root);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the walk is bounded"
    );
    let names: Vec<String> = found
        .files
        .iter()
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "common.yaml",
            "elsewhere.yaml",
            "sample/linked.yaml",
            "sample/quote.yaml"
        ]
    );
    let problems: Vec<String> = found
        .problems
        .iter()
        .map(|(p, why)| format!("{} {why}", p.strip_prefix(root).unwrap_or(p).display()))
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("mirror directory link not followed"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("sample/again directory link not followed"))
    );
    // and the loader turns them into diagnostics instead of hanging
    let err = kis_catalog::read_sources(root).expect_err("links are reported");
    assert!(
        err.to_string().contains("directory link not followed"),
        "{err}"
    );
}
