//! Diagnostics: every problem found in the catalog, with the file, key path and line.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, relative to the directory the catalog was loaded from when possible.
    pub file: PathBuf,
    /// Key path inside the file, e.g. `response.blocks[1].fields[3].name` (empty for the whole file).
    pub key: String,
    /// 1-based line, when the YAML parser reported one.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic for `file` at `key`.
    pub fn new(
        file: &Path,
        key: impl Into<String>,
        line: Option<u64>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            key: key.into(),
            line: line.filter(|l| *l > 0),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading a catalog. Loading never stops at the first one, so that an
/// editor sees them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded problems.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
