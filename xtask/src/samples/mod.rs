//! `cargo xtask official-samples --repo DIR`: runs KIS's own REST example programs
//! (`examples_llm/*/*/chk_*.py` of `koreainvestment/open-trading-api`), unchanged, against
//! kis-mock, and compares the request keys they send with the ones our client sends.
//!
//! DIR is a checkout of the repository or a bare git directory of it (then `examples_llm` is
//! extracted with `git archive` into a private temporary directory). The examples read their
//! settings from `~/KIS/config/kis_devlp.yaml`: each runs with HOME set to a temporary
//! directory holding one that points at the mock. Before the first example the examples' own
//! `kis_auth.auth()` issues and caches a token, as it does for a user who ran one before; the
//! `auth/` examples, which issue tokens themselves, run last, at least a minute after it
//! (KIS issues one token per minute, and so does the mock).

mod keys;
mod verdict;

use std::fs;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use verdict::Verdict;

/// Largest output of one example kept for judging.
const MAX_OUTPUT: u64 = 1 << 20;

/// Options of the task.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) repo: PathBuf,
    pub(crate) python: String,
    pub(crate) timeout: Duration,
    /// Only examples whose `group/name` contains this.
    pub(crate) only: Option<String>,
    /// Keep the mock's request record here as well.
    pub(crate) record: Option<PathBuf>,
}

/// Runs the task.
pub(crate) fn run(spec_dir: &Path, opts: &Options) -> Result<ExitCode, String> {
    let catalog = kis_codegen::load_catalog(spec_dir).map_err(|d| d.to_string())?;
    let work = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let examples = examples_dir(&opts.repo, work.path())?;
    let home = work.path().join("home");
    let record = work.path().join("requests.jsonl");
    let mut mock = Mock::start(&record)?;
    write_config(&home, &mock.rest_url, &mock.ws_url)?;

    let (rest, skipped) = list_examples(&examples, opts.only.as_deref())?;
    println!(
        "{} REST examples to run, {} WebSocket examples skipped",
        rest.len(),
        skipped
    );
    // the examples' own first-run token issue, cached in HOME like theirs
    let issued = Instant::now();
    let (code, out) = run_python(
        &opts.python,
        &examples,
        &["-c", "import kis_auth as ka; ka.auth()"],
        &home,
        work.path(),
        opts.timeout,
    )?;
    if let Verdict::Fail(why) = verdict::judge(code, &out) {
        return Err(format!("the examples' kis_auth.auth() failed: {why}"));
    }

    let mut passed = 0usize;
    let mut failures = Vec::new();
    let mut requests = Vec::new();
    for ex in &rest {
        if ex.name.starts_with("auth/") {
            let wait = Duration::from_secs(61).saturating_sub(issued.elapsed());
            std::thread::sleep(wait);
        }
        let before = fs::metadata(&record).map(|m| m.len()).unwrap_or(0);
        let script = ex.script.to_string_lossy().into_owned();
        let (code, out) = run_python(
            &opts.python,
            &ex.dir,
            &[script.as_str()],
            &home,
            work.path(),
            opts.timeout,
        )?;
        let sent = read_requests(&record, before);
        let calls = sent.len();
        requests.extend(sent);
        match verdict::judge(code, &out) {
            Verdict::Pass => {
                passed += 1;
                println!("PASS {} ({calls} request(s))", ex.name);
            }
            Verdict::Fail(why) => {
                println!("FAIL {}: {why}", ex.name);
                failures.push((ex.name.clone(), why));
            }
        }
    }
    mock.stop();
    if let Some(keep) = &opts.record {
        fs::copy(&record, keep).map_err(|e| format!("--record {}: {e}", keep.display()))?;
    }

    println!(
        "\n{passed} of {} REST examples passed ({} WebSocket examples skipped)",
        rest.len(),
        skipped
    );
    let diffs = keys::compare(&catalog, &requests);
    if diffs.is_empty() {
        println!("request keys: the examples send exactly the keys our client sends");
    } else {
        println!(
            "\nrequest keys differing between the examples and our client ({} endpoint(s)):",
            diffs.len()
        );
        for (ep, d) in &diffs {
            let mut parts = Vec::new();
            if !d.only_example.is_empty() {
                parts.push(format!("example only: {}", join(d.only_example.iter())));
            }
            if !d.only_client.is_empty() {
                parts.push(format!("client only: {}", join(d.only_client.iter())));
            }
            if !d.case.is_empty() {
                let c = d.case.iter().map(|(e, o)| format!("{e} (ours {o})"));
                parts.push(format!("case: {}", join(c)));
            }
            println!("  {ep}: {}", parts.join("; "));
        }
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn join<S: AsRef<str>>(it: impl Iterator<Item = S>) -> String {
    it.map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `examples_llm` directory: in a checkout, or extracted from a git directory.
fn examples_dir(repo: &Path, work: &Path) -> Result<PathBuf, String> {
    let direct = repo.join("examples_llm");
    if direct.is_dir() {
        return Ok(direct);
    }
    if !(repo.join("HEAD").is_file() && repo.join("objects").is_dir()) {
        return Err(format!(
            "{}: neither a checkout with examples_llm/ nor a git directory",
            repo.display()
        ));
    }
    let archive = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(["archive", "--format=tar", "HEAD", "examples_llm"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git archive: {e}"))?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(work)
        .stdin(archive.stdout.ok_or("git archive: no output")?)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !tar.success() || !direct_in(work).is_dir() {
        return Err(format!(
            "could not extract examples_llm from {}",
            repo.display()
        ));
    }
    Ok(direct_in(work))
}

fn direct_in(work: &Path) -> PathBuf {
    work.join("examples_llm")
}

/// One example program.
#[derive(Debug)]
struct Example {
    /// `group/name`.
    name: String,
    dir: PathBuf,
    script: PathBuf,
}

/// The REST examples (the `auth/` ones last) and the number of WebSocket ones skipped.
fn list_examples(root: &Path, only: Option<&str>) -> Result<(Vec<Example>, usize), String> {
    let read = |p: &Path| fs::read_dir(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut groups: Vec<PathBuf> = read(root)?.flatten().map(|e| e.path()).collect();
    groups.sort();
    for g in groups.iter().filter(|g| g.is_dir()) {
        let mut dirs: Vec<PathBuf> = read(g)?.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for d in dirs.iter().filter(|d| d.is_dir()) {
            let mut files: Vec<PathBuf> = read(d)?.flatten().map(|e| e.path()).collect();
            files.sort();
            let sources: Vec<String> = files
                .iter()
                .filter(|f| f.extension().is_some_and(|x| x == "py"))
                .filter_map(|f| fs::read_to_string(f).ok())
                .collect();
            for f in &files {
                let file_name = f.file_name().map(|n| n.to_string_lossy().into_owned());
                let Some(file_name) = file_name else { continue };
                if !(file_name.starts_with("chk_") && file_name.ends_with(".py")) {
                    continue;
                }
                let name = format!(
                    "{}/{}",
                    g.file_name().unwrap_or_default().to_string_lossy(),
                    d.file_name().unwrap_or_default().to_string_lossy()
                );
                if only.is_some_and(|o| !name.contains(o)) {
                    continue;
                }
                if verdict::is_websocket(&sources) {
                    skipped += 1;
                    continue;
                }
                out.push(Example {
                    name,
                    dir: d.clone(),
                    script: PathBuf::from(file_name),
                });
            }
        }
    }
    // token-issuing examples last, so the cached token is at least a minute old by then
    out.sort_by_key(|e| e.name.starts_with("auth/"));
    Ok((out, skipped))
}

/// `HOME/KIS/config/kis_devlp.yaml` pointing both environments at the mock. The values are
/// the mock's placeholders, no real key.
fn write_config(home: &Path, rest: &str, ws: &str) -> Result<(), String> {
    let dir = home.join("KIS").join("config");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let text = format!(
        "my_app: \"PSmockAppKey\"\nmy_sec: \"mocksecret\"\npaper_app: \"PSmockAppKey\"\n\
         paper_sec: \"mocksecret\"\nmy_htsid: \"mockuser\"\nmy_acct_stock: \"50012345\"\n\
         my_acct_future: \"60012345\"\nmy_paper_stock: \"50012345\"\nmy_paper_future: \"60012345\"\n\
         my_prod: \"01\"\nprod: \"{rest}\"\nops: \"{ws}\"\nvps: \"{rest}\"\nvops: \"{ws}\"\n\
         my_token: \"\"\nmy_agent: \"Mozilla/5.0\"\n"
    );
    let file = dir.join("kis_devlp.yaml");
    fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))
}

/// Runs Python in `dir` with HOME set; (exit code or `None` after the timeout, output).
fn run_python(
    python: &str,
    dir: &Path,
    args: &[&str],
    home: &Path,
    work: &Path,
    timeout: Duration,
) -> Result<(Option<i32>, String), String> {
    let log_path = work.join("example.log");
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(python)
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{python}: {e} (install Python 3 with the examples' packages)"))?;
    let code = wait_timeout(&mut child, timeout);
    let mut out = String::new();
    if let Ok(f) = fs::File::open(&log_path) {
        let mut bytes = Vec::new();
        let _ = f.take(MAX_OUTPUT).read_to_end(&mut bytes);
        out = String::from_utf8_lossy(&bytes).into_owned();
    }
    Ok((code, out))
}

/// The exit code, or `None` when the child had to be killed after `timeout`.
fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status.code().unwrap_or(-1)),
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// The requests recorded after byte `from` of the record file.
fn read_requests(record: &Path, from: u64) -> Vec<keys::Request> {
    let Ok(mut f) = fs::File::open(record) else {
        return Vec::new();
    };
    if f.seek(SeekFrom::Start(from)).is_err() {
        return Vec::new();
    }
    BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| keys::parse_line(&l))
        .collect()
}

/// kis-mock, built and running on free loopback ports, recording requests.
struct Mock {
    child: Child,
    rest_url: String,
    ws_url: String,
}

impl Mock {
    fn start(record: &Path) -> Result<Mock, String> {
        let bin = build_mock()?;
        let mut child = Command::new(&bin)
            .args(["--port", "0", "--ws-port", "0", "--record"])
            .arg(record)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("kis-mock: no stdout")?;
        // the mock prints more after its URLs and until it stops: read its output to the end in
        // a thread, so it never writes into a closed pipe (which would end it)
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (mut rest_url, mut ws_url) = (String::new(), String::new());
        while rest_url.is_empty() || ws_url.is_empty() {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
                break;
            };
            if let Some(u) = line.strip_prefix("REST") {
                rest_url = u.trim().to_string();
            } else if let Some(u) = line.strip_prefix("WebSocket") {
                ws_url = u.trim().to_string();
            }
        }
        let mut mock = Mock {
            child,
            rest_url,
            ws_url,
        };
        if mock.rest_url.is_empty() || mock.ws_url.is_empty() {
            mock.stop();
            return Err("kis-mock did not print its URLs".to_string());
        }
        Ok(mock)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `cargo build -p kis-mock`; the binary's path.
fn build_mock() -> Result<PathBuf, String> {
    let out = crate::cargo_cmd::cargo_command()
        .args(["build", "-q", "-p", "kis-mock", "--message-format=json"])
        .current_dir(crate::workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo build -p kis-mock: {e}"))?;
    if !out.status.success() {
        return Err("cargo build -p kis-mock failed".to_string());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"]["name"] == "kis-mock")
        .filter_map(|v| v["executable"].as_str().map(PathBuf::from))
        .next_back()
        .ok_or_else(|| "cargo build -p kis-mock: no executable reported".to_string())
}
