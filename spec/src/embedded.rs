//! The catalog files as they were when this crate was built (feature `embedded`).

use crate::load::{SourceFile, load_from_sources};
use crate::{Catalog, Diagnostics};

/// (path relative to the catalog directory, text) of every catalog file.
pub static FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));

/// The embedded files as [`SourceFile`]s.
pub fn sources() -> Vec<SourceFile> {
    FILES
        .iter()
        .map(|(path, text)| SourceFile {
            path: (*path).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// The embedded catalog, loaded and validated.
pub fn catalog() -> Result<Catalog, Diagnostics> {
    load_from_sources(&sources())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_catalog_is_the_one_on_disk() {
        let on_disk = crate::read_sources(std::path::Path::new(crate::CATALOG_DIR))
            .unwrap_or_else(|d| panic!("{d}"));
        let embedded = super::sources();
        assert!(embedded.len() > 300, "{} files", embedded.len());
        let paths = |s: &[crate::SourceFile]| s.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&embedded), paths(&on_disk));
        assert!(super::catalog().is_ok());
    }
}
