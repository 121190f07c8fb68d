//! Reading recordings (`kis record`, `ClientBuilder::record`): untrusted files, read within
//! bounds, every problem a typed error with its file and line.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The format's name on a recording's first line.
pub const FORMAT: &str = "kis-recording";
/// The newest format version this reader knows.
pub const VERSION: u64 = 1;
/// Files read from one directory.
pub const MAX_FILES: usize = 10_000;
/// Bytes of one recording (a session stops writing at 256 MiB).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Bytes of one line (a body is kept up to 32 MiB).
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// Why a recording, or a line of one, cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingError {
    /// The file.
    pub file: PathBuf,
    /// The line (1-based), or 0 for the file as a whole.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.what)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.what)
        }
    }
}

/// One recorded line: where it came from and what it holds.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file.
    pub file: PathBuf,
    /// The line (1-based).
    pub line: usize,
    /// The line's object.
    pub value: serde_json::Map<String, Value>,
}

impl Entry {
    /// A text member, or "" when absent or not text.
    pub fn text(&self, key: &str) -> &str {
        self.value.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// `file:line`, for a report.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// What was read: the lines of every recording, the problems met, and the sessions' dates.
#[derive(Debug, Default)]
pub struct Recordings {
    /// Lines after each file's session line.
    pub entries: Vec<Entry>,
    /// Lines or files that could not be read (the rest is still used).
    pub errors: Vec<RecordingError>,
    /// Files read.
    pub files: usize,
    /// The first session's date (`YYYY-MM-DD`), for notes on learned fields.
    pub first_date: Option<String>,
}

/// The recordings at `from`: one file, or every `*.jsonl` file of a directory (sorted by name).
/// Fails only when `from` cannot be read at all; a bad file or line becomes an error entry.
pub fn read(from: &Path) -> Result<Recordings, RecordingError> {
    let whole = |what: String| RecordingError {
        file: from.to_path_buf(),
        line: 0,
        what,
    };
    let md = std::fs::metadata(from).map_err(|e| whole(e.to_string()))?;
    let files = if md.is_dir() {
        let mut files = Vec::new();
        for e in std::fs::read_dir(from).map_err(|e| whole(e.to_string()))? {
            let p = e.map_err(|e| whole(e.to_string()))?.path();
            if p.extension().is_some_and(|x| x == "jsonl") && p.is_file() {
                files.push(p);
                if files.len() > MAX_FILES {
                    return Err(whole(format!("more than {MAX_FILES} recordings")));
                }
            }
        }
        files.sort();
        files
    } else {
        vec![from.to_path_buf()]
    };
    let mut out = Recordings::default();
    for f in files {
        read_file(&f, &mut out);
        out.files += 1;
    }
    Ok(out)
}

/// Reads one recording into `out`.
fn read_file(path: &Path, out: &mut Recordings) {
    let err = |line: usize, what: String| RecordingError {
        file: path.to_path_buf(),
        line,
        what,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return out.errors.push(err(0, e.to_string())),
    };
    if file.metadata().map(|m| m.len()).unwrap_or(0) > MAX_FILE_BYTES {
        return out
            .errors
            .push(err(0, format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let mut reader = BufReader::new(file.take(MAX_FILE_BYTES));
    let mut number = 0;
    let mut opened = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        number += 1;
        // at most one byte past the limit: a longer line is refused without being held
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf);
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return out.errors.push(err(number, e.to_string())),
        }
        if buf.len() > MAX_LINE_BYTES {
            out.errors.push(err(
                number,
                format!("a line longer than {MAX_LINE_BYTES} bytes"),
            ));
            // skip the rest of that line, a bounded piece at a time
            loop {
                buf.clear();
                match (&mut reader).take(1 << 16).read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if buf.ends_with(b"\n") => break,
                    Ok(_) => {}
                }
            }
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        if text.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                out.errors.push(err(number, "not a JSON object".into()));
                continue;
            }
            Err(e) => {
                out.errors.push(err(number, format!("not JSON: {e}")));
                continue;
            }
        };
        let entry = Entry {
            file: path.to_path_buf(),
            line: number,
            value,
        };
        if !opened {
            if let Err(what) = check_session(&entry) {
                return out.errors.push(err(number, what));
            }
            opened = true;
            let date = entry.text("at").get(..10).map(str::to_string);
            if out.first_date.is_none() {
                out.first_date = date.filter(|d| d.bytes().filter(u8::is_ascii_digit).count() == 8);
            }
            continue;
        }
        out.entries.push(entry);
    }
    if !opened {
        out.errors.push(err(0, "empty: not a recording".into()));
    }
}

/// Whether a first line opens a recording this reader understands.
fn check_session(e: &Entry) -> Result<(), String> {
    if e.text("kind") != "session" || e.text("format") != FORMAT {
        return Err(format!(
            "not a recording: the first line is not a \"{FORMAT}\" session line"
        ));
    }
    match e.value.get("version").and_then(Value::as_u64) {
        Some(v) if v <= VERSION => Ok(()),
        Some(v) => Err(format!(
            "recording format version {v}; this reader knows up to {VERSION}"
        )),
        None => Err("the session line has no version".into()),
    }
}
