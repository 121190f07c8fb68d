//! The `cargo` commands xtask runs, with the environment a developer's own `cargo` has.
//!
//! `cargo xtask` runs this program through `cargo run`, which puts the xtask package's variables
//! (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ...) into its environment. Build scripts may watch
//! such a variable (ring's watches `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`): a cargo started
//! from here with them set sees another value than the README's plain `cargo test`, reruns the
//! script and rebuilds every crate above it, and the next plain `cargo test` rebuilds them
//! again. CI ran `cargo test` then `cargo xtask bench --smoke`, and paid about 80 s for that.

use std::process::Command;

/// Variables `cargo run` sets for the program it runs, besides `CARGO_PKG_*`.
const SET_BY_CARGO_RUN: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

/// `cargo` (the one running xtask, else the one on `PATH`) without the variables `cargo run`
/// set for xtask.
pub fn cargo_command() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (key, _) in std::env::vars_os() {
        if let Some(key) = key.to_str()
            && (key.starts_with("CARGO_PKG_") || SET_BY_CARGO_RUN.contains(&key))
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` sets the package's variables for this test as `cargo run` does for xtask.
    #[test]
    fn the_variables_of_cargo_run_are_not_passed_on() {
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let cmd = cargo_command();
        let removed: Vec<String> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .filter_map(|(k, _)| k.to_str().map(str::to_string))
            .collect();
        for key in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION"] {
            assert!(removed.iter().any(|k| k == key), "{key}: {removed:?}");
        }
        // what cargo itself needs stays
        assert!(!removed.iter().any(|k| k == "CARGO_HOME" || k == "PATH"));
    }
}
