//! `cargo xtask learn --from DIR [--write] [--json]`: what recordings of real traffic (`kis
//! record`, `ClientBuilder::record`) show that the catalog does not say, as proposed changes;
//! `--write` applies the ones that need no judgement (see [`write`]) and lists the rest for
//! review. docs/recording.md describes the workflow.

mod analyze;
mod infer;
mod recordings;
mod write;

#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

pub use analyze::{Analysis, Finding, analyze};
pub use recordings::{Recordings, read};
pub use write::{Outcome, apply};

/// The report of a run.
#[derive(Debug)]
pub struct Learned {
    /// What was read.
    pub recordings: Recordings,
    /// What it shows.
    pub analysis: Analysis,
    /// What `--write` did.
    pub outcome: Option<Outcome>,
}

/// Reads the recordings at `from`, holds them against the catalog in `spec_dir`, and with
/// `write` applies what needs no judgement.
pub fn learn(spec_dir: &Path, from: &Path, write: bool) -> Result<Learned, String> {
    let catalog = kis_codegen::load_catalog(spec_dir).map_err(|d| d.to_string())?;
    let recordings = read(from).map_err(|e| e.to_string())?;
    let analysis = analyze(&catalog, &recordings);
    let outcome = if write {
        let date = recordings
            .first_date
            .clone()
            .unwrap_or_else(|| "an unknown date".to_string());
        Some(apply(spec_dir, &catalog, &analysis.findings, &date)?)
    } else {
        None
    };
    Ok(Learned {
        recordings,
        analysis,
        outcome,
    })
}

/// `cargo xtask learn`.
pub fn run(spec_dir: &Path, from: &Path, write: bool, as_json: bool) -> Result<ExitCode, String> {
    let learned = learn(spec_dir, from, write)?;
    if as_json {
        let text = serde_json::to_string_pretty(&to_json(&learned)).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", to_text(&learned));
    }
    Ok(ExitCode::SUCCESS)
}

/// One finding as JSON.
fn finding_json(f: &Finding) -> serde_json::Value {
    json!({
        "endpoint": f.endpoint,
        "kind": f.kind.name(),
        "block": f.block,
        "key": f.key,
        "seen": f.seen,
        "expected_type": f.expected.map(|t| t.name()),
        "apparent_type": f.apparent.map(|t| t.name()),
        "examples": f.examples,
        "detail": f.detail,
        "first_seen": f.first_seen,
    })
}

/// The report as JSON.
pub fn to_json(l: &Learned) -> serde_json::Value {
    let mut v = json!({
        "files": l.recordings.files,
        "answers": l.analysis.answers,
        "frames": l.analysis.frames,
        "unreadable_lines": l.recordings.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "findings": l.analysis.findings.iter().map(finding_json).collect::<Vec<_>>(),
    });
    if let Some(o) = &l.outcome {
        v["applied"] = json!(o.applied);
        v["for_review"] = json!(o.for_review);
    }
    v
}

/// The report as text.
pub fn to_text(l: &Learned) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} recording(s): {} answer(s), {} realtime frame(s); {} finding(s)",
        l.recordings.files,
        l.analysis.answers,
        l.analysis.frames,
        l.analysis.findings.len()
    );
    for f in &l.analysis.findings {
        let mut line = format!(
            "  {}: {}: {} (seen {}×",
            f.endpoint,
            f.kind.name(),
            f.path(),
            f.seen
        );
        if let Some(t) = f.apparent {
            let _ = write!(line, ", looks like {}", t.name());
        }
        if let Some(t) = f.expected {
            let _ = write!(line, ", catalog: {}", t.name());
        }
        if !f.examples.is_empty() {
            let _ = write!(line, ", e.g. {}", f.examples.join(" | "));
        }
        line.push(')');
        if !f.detail.is_empty() {
            let _ = write!(line, ": {}", f.detail);
        }
        let _ = writeln!(out, "{line}");
    }
    if !l.recordings.errors.is_empty() {
        let _ = writeln!(out, "lines not read: {}", l.recordings.errors.len());
        for e in &l.recordings.errors {
            let _ = writeln!(out, "  {e}");
        }
    }
    match &l.outcome {
        Some(o) => {
            for (title, items) in [("applied", &o.applied), ("left for review", &o.for_review)] {
                let _ = writeln!(out, "{title}: {}", items.len());
                for i in items {
                    let _ = writeln!(out, "  {i}");
                }
            }
            if !o.applied.is_empty() {
                let _ = writeln!(
                    out,
                    "next: review the added fields (labels are the keys), then cargo xtask lint-spec"
                );
            }
        }
        None if !l.analysis.findings.is_empty() => {
            let _ = writeln!(
                out,
                "--write adds the unknown keys of known blocks; the rest needs review"
            );
        }
        None => {}
    }
    out
}
