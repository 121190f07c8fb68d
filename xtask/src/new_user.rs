//! `cargo xtask compile-times --new-user`: a new user's first build of a ten-line program on
//! kis-api (default features), from the packaged crates as the registry serves them, against the
//! same program written by hand on reqwest + serde + tokio with the TLS stack kis-api uses.
//!
//! Both projects resolve every crate from one vendored directory that replaces crates.io: the
//! dependencies as `cargo vendor` copies them, and the packaged kis crates beside them. So each
//! build is offline, the kis crates are registry crates to cargo (no incremental compilation, lints
//! capped, the user's profile), and both sides build from the same sources. Each build starts in
//! an empty target directory; the sides alternate (a, b, a, b, ...) so that the machine's load
//! drifts over both alike, and the ratio compares medians.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::package;

/// The program a new user writes with kis-api.
const KIS_MAIN: &str = r#"use kis_api::{Client, codes::StockMarket, domestic_stock::inquire_price};

#[tokio::main]
async fn main() -> kis_api::Result<()> {
    let client = Client::builder().demo().from_env().build()?;
    let request = inquire_price::Request::new(StockMarket::Krx, "005930");
    let quote = client.domestic_stock().inquire_price(request).await?;
    println!("{:?}", quote.output.and_then(|o| o.stck_prpr));
    Ok(())
}
"#;

/// The same program by hand: token, then the quote, decoded with serde.
const HAND_MAIN: &str = r#"use serde::Deserialize;

#[derive(Deserialize)]
struct Token { access_token: String }
#[derive(Deserialize)]
struct Quote { output: Option<Output> }
#[derive(Deserialize)]
struct Output { stck_prpr: Option<String> }

#[tokio::main]
async fn main() -> Result<(), reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (key, secret) = (std::env::var("KIS_APP_KEY").unwrap_or_default(), std::env::var("KIS_APP_SECRET").unwrap_or_default());
    let base = std::env::var("KIS_REST_URL").unwrap_or_default();
    let http = reqwest::Client::builder().build()?;
    let body = serde_json::json!({"grant_type": "client_credentials", "appkey": key, "appsecret": secret});
    let token: Token = http.post(format!("{base}/oauth2/tokenP")).json(&body).send().await?.json().await?;
    let quote: Quote = http
        .get(format!("{base}/uapi/domestic-stock/v1/quotations/inquire-price"))
        .query(&[("FID_COND_MRKT_DIV_CODE", "J"), ("FID_INPUT_ISCD", "005930")])
        .bearer_auth(&token.access_token)
        .header("appkey", &key)
        .header("appsecret", &secret)
        .header("tr_id", "FHKST01010100")
        .send().await?.json().await?;
    println!("{:?}", quote.output.and_then(|o| o.stck_prpr));
    Ok(())
}
"#;

/// The dependencies of the hand-written client: the HTTP and TLS features kis-api uses, serde
/// for the bodies, tokio for `main`.
const HAND_DEPS: &str = r#"reqwest = { version = "0.13", default-features = false, features = ["json", "query", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
"#;

/// The two sides of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The ten-line program on kis-api.
    Kis,
    /// The hand-written reqwest + serde + tokio client.
    Hand,
}

impl Side {
    fn dir(self) -> &'static str {
        match self {
            Side::Kis => "kis-user",
            Side::Hand => "hand-written",
        }
    }
}

/// Runs the measurement: `rounds` rounds of (kis, hand) in the dev profile, then in release when
/// `release` is set; with the crates of the checkout at `from` (an earlier version, for a before
/// and after) instead of this one's.
pub fn run(
    rounds: usize,
    release: bool,
    from: Option<PathBuf>,
    write: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let root = crate::workspace_root();
    let work = std::env::temp_dir().join(format!("kis-new-user-{}", std::process::id()));
    let result = measure(
        from.as_deref().unwrap_or(&root),
        &work,
        rounds.max(1),
        release,
    );
    let _ = fs::remove_dir_all(&work);
    let rows = result?;
    let text = report(&rows, &crate::compile_times::machine(&root));
    print!("\n{text}");
    if let Some(path) = write {
        fs::write(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// One build's duration and the CPU time it used (user + system, every process), in seconds.
/// The machine is shared: CPU time drifts less with the load than the duration does.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Time {
    wall: f64,
    cpu: f64,
}

/// One profile's times, in build order.
struct Row {
    profile: &'static str,
    kis: Vec<Time>,
    hand: Vec<Time>,
}

fn measure(root: &Path, work: &Path, rounds: usize, release: bool) -> Result<Vec<Row>, String> {
    let crates = package::package_crates(root, &work.join("crates"))?;
    eprintln!(
        "==> the packaged kis-api {}",
        if crates.ships_generated {
            "ships its generated source"
        } else {
            "generates its bindings at build time (an older version)"
        }
    );
    let vendor = work.join("vendor");
    let kis = write_project(work, Side::Kis, &kis_deps(), KIS_MAIN)?;
    let hand = write_project(work, Side::Hand, HAND_DEPS, HAND_MAIN)?;
    vendor_everything(root, &kis, &hand, &crates, &vendor)?;
    for project in [&kis, &hand] {
        write_source_replacement(project, &vendor)?;
        // resolve now, from the vendored crates only: the timed builds do not resolve
        cargo_in(project, &["generate-lockfile", "--offline"], None)?;
    }
    let mut rows = Vec::new();
    let profiles: &[(&str, &[&str])] = if release {
        &[("dev", &[]), ("release", &["--release"])]
    } else {
        &[("dev", &[])]
    };
    for (profile, flags) in profiles {
        let mut row = Row {
            profile,
            kis: Vec::new(),
            hand: Vec::new(),
        };
        for (round, side) in schedule(rounds).into_iter().enumerate() {
            let project = if side == Side::Kis { &kis } else { &hand };
            let target = work.join(format!("target-{round}"));
            let mut args = vec!["build", "--offline", "--quiet"];
            args.extend(*flags);
            let timed = timed_build(project, &args, &target);
            let _ = fs::remove_dir_all(&target);
            let time = timed?;
            eprintln!(
                "==> {profile} {}: {:.1} s ({:.1} s of CPU)",
                side.dir(),
                time.wall,
                time.cpu
            );
            match side {
                Side::Kis => row.kis.push(time),
                Side::Hand => row.hand.push(time),
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The build order: kis, hand, kis, hand, ...
fn schedule(rounds: usize) -> Vec<Side> {
    (0..rounds).flat_map(|_| [Side::Kis, Side::Hand]).collect()
}

/// kis-api by version, as a registry user writes it, and tokio for `main`. `KIS_NEW_USER_FEATURES`
/// (comma-separated, e.g. `serde`) adds kis-api features, to measure what one costs.
fn kis_deps() -> String {
    let features: Vec<String> = std::env::var("KIS_NEW_USER_FEATURES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| format!("\"{f}\""))
        .collect();
    let kis = if features.is_empty() {
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    } else {
        format!(
            "{{ version = \"{}\", features = [{}] }}",
            env!("CARGO_PKG_VERSION"),
            features.join(", ")
        )
    };
    format!(
        "kis-api = {kis}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n"
    )
}

/// A project outside the workspace: manifest, `src/main.rs`.
fn write_project(work: &Path, side: Side, deps: &str, main: &str) -> Result<PathBuf, String> {
    let dir = work.join(side.dir());
    let src = dir.join("src");
    fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    write(&dir.join("Cargo.toml"), &manifest(side.dir(), deps, ""))?;
    write(&src.join("main.rs"), main)?;
    Ok(dir)
}

/// A binary package's manifest with its own (empty) workspace.
fn manifest(name: &str, deps: &str, patches: &str) -> String {
    let mut text = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{deps}"
    );
    if !patches.is_empty() {
        let _ = write!(text, "\n[patch.crates-io]\n{patches}");
    }
    text.push_str("\n[workspace]\n");
    text
}

/// `cargo vendor`s the dependencies of both projects (resolved with the workspace's lock file, so
/// with the versions the workspace builds), the kis crates taken from their packages, then adds
/// the packages to the vendored directory as registry crates.
fn vendor_everything(
    root: &Path,
    kis: &Path,
    hand: &Path,
    crates: &package::Unpacked,
    vendor: &Path,
) -> Result<(), String> {
    let patches: String = crates
        .crates
        .iter()
        .map(|(name, dir)| format!("{name} = {{ path = {:?} }}\n", dir.display().to_string()))
        .collect();
    let kis_manifest = kis.join("Cargo.toml");
    write(
        &kis_manifest,
        &manifest(Side::Kis.dir(), &kis_deps(), &patches),
    )?;
    for project in [kis, hand] {
        fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock"))
            .map_err(|e| format!("Cargo.lock: {e}"))?;
    }
    let mut vendor_cmd = cargo_command();
    vendor_cmd
        .arg("vendor")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(&kis_manifest)
        .arg("--sync")
        .arg(hand.join("Cargo.toml"))
        .arg(vendor)
        .stdout(std::process::Stdio::null());
    package::run_command(&mut vendor_cmd)?;
    // back to the registry form; the lock files go: the builds resolve from the vendored crates
    write(&kis_manifest, &manifest(Side::Kis.dir(), &kis_deps(), ""))?;
    for project in [kis, hand] {
        let _ = fs::remove_file(project.join("Cargo.lock"));
    }
    for (name, dir) in &crates.crates {
        let to = vendor.join(name);
        package::run_command(Command::new("cp").arg("-a").arg(dir).arg(&to))?;
        // no checksums: a directory source verifies the files listed, and lists none here
        write(
            &to.join(".cargo-checksum.json"),
            r#"{"files":{},"package":null}"#,
        )?;
    }
    Ok(())
}

/// `.cargo/config.toml` replacing crates.io with the vendored directory.
fn write_source_replacement(project: &Path, vendor: &Path) -> Result<(), String> {
    let dir = project.join(".cargo");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    write(&dir.join("config.toml"), &source_replacement(vendor))
}

fn source_replacement(vendor: &Path) -> String {
    format!(
        "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = {:?}\n",
        vendor.display().to_string()
    )
}

fn cargo_command() -> Command {
    crate::cargo_cmd::cargo_command()
}

/// Runs cargo in `project` as a new user would: none of this workspace's build settings in the
/// environment, the target directory given.
fn cargo_in(project: &Path, args: &[&str], target: Option<&Path>) -> Result<(), String> {
    let mut cmd = cargo_command();
    cmd.args(args);
    new_user_env(&mut cmd, project, target);
    package::run_command(&mut cmd)
}

/// `cargo <args>` in `project` under bash's `time`, which counts the CPU time of every process
/// the build starts.
fn timed_build(project: &Path, args: &[&str], target: &Path) -> Result<Time, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg("TIMEFORMAT='time %R %U %S'; time \"$@\"")
        .arg("bash")
        .arg(cargo)
        .args(args);
    new_user_env(&mut cmd, project, Some(target));
    let out = cmd.output().map_err(|e| format!("bash: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("cargo {} failed:\n{stderr}", args.join(" ")));
    }
    parse_time(&stderr).ok_or_else(|| format!("no time in the output of cargo:\n{stderr}"))
}

/// The figures of the last `time REAL USER SYS` line.
fn parse_time(stderr: &str) -> Option<Time> {
    let line = stderr.lines().rev().find(|l| l.starts_with("time "))?;
    let n: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    match n[..] {
        [wall, user, sys] => Some(Time {
            wall,
            cpu: user + sys,
        }),
        _ => None,
    }
}

fn new_user_env(cmd: &mut Command, project: &Path, target: Option<&Path>) {
    cmd.current_dir(project);
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_INCREMENTAL",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_JOBS",
    ] {
        cmd.env_remove(var);
    }
    if let Some(t) = target {
        cmd.env("CARGO_TARGET_DIR", t);
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The median of `times` (the mean of the middle two for an even count).
fn median(times: &[f64]) -> Option<f64> {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The markdown table: per profile, each side's median duration (each build's in brackets) and
/// median CPU time, and the ratios of the medians.
fn report(rows: &[Row], machine: &str) -> String {
    let mut text = String::from(
        "| profile | ten-line program on kis-api | hand-written reqwest + serde + tokio | ratio | CPU time: kis-api | hand-written | ratio |\n|---|---|---|---|---|---|---|\n",
    );
    let walls = |t: &[Time]| t.iter().map(|t| t.wall).collect::<Vec<_>>();
    let cpus = |t: &[Time]| t.iter().map(|t| t.cpu).collect::<Vec<_>>();
    let list = |t: &[f64]| {
        let each: Vec<String> = t.iter().map(|s| format!("{s:.1}")).collect();
        match median(t) {
            Some(m) => format!("{m:.1} s ({} s)", each.join(", ")),
            None => "-".to_string(),
        }
    };
    let one = |t: &[f64]| median(t).map_or_else(|| "-".to_string(), |m| format!("{m:.1} s"));
    let ratio = |a: &[f64], b: &[f64]| match (median(a), median(b)) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "-".to_string(),
    };
    for row in rows {
        let (kw, hw) = (walls(&row.kis), walls(&row.hand));
        let (kc, hc) = (cpus(&row.kis), cpus(&row.hand));
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.profile,
            list(&kw),
            list(&hw),
            ratio(&kw, &hw),
            one(&kc),
            one(&hc),
            ratio(&kc, &hc)
        );
    }
    let _ = writeln!(text, "\n{machine}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sides_alternate_starting_with_kis() {
        assert_eq!(schedule(2), [Side::Kis, Side::Hand, Side::Kis, Side::Hand]);
        assert_eq!(schedule(1), [Side::Kis, Side::Hand]);
    }

    #[test]
    fn the_time_is_read_from_the_last_time_line() {
        let stderr = "warning: x\ntime 1.0 2.0 3.0\n   Compiling\ntime 12.50 20.25 1.75\n";
        assert_eq!(
            parse_time(stderr),
            Some(Time {
                wall: 12.5,
                cpu: 22.0
            })
        );
        assert_eq!(parse_time("time 1.0 x 2.0\n"), None);
        assert_eq!(parse_time("time 1.0 2.0\n"), None);
        assert_eq!(parse_time("no figures\n"), None);
    }

    #[test]
    fn median_of_odd_even_and_empty_lists() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn the_report_gives_each_time_the_medians_and_their_ratio() {
        let t = |wall, cpu| Time { wall, cpu };
        let rows = [Row {
            profile: "dev",
            kis: vec![t(30.0, 50.0), t(34.0, 54.0)],
            hand: vec![t(20.0, 40.0), t(24.0, 44.0)],
        }];
        let text = report(&rows, "Machine: test.");
        assert!(
            text.contains(
                "| dev | 32.0 s (30.0, 34.0 s) | 22.0 s (20.0, 24.0 s) | 1.45x | 52.0 s | 42.0 s | 1.24x |"
            ),
            "{text}"
        );
        assert!(text.ends_with("Machine: test.\n"), "{text}");
    }

    #[test]
    fn manifests_are_standalone_and_patch_only_when_asked() {
        let plain = manifest("kis-user", &kis_deps(), "");
        assert!(plain.contains("kis-api = \""), "{plain}");
        assert!(!plain.contains("[patch"), "{plain}");
        assert!(plain.ends_with("[workspace]\n"), "{plain}");
        let patched = manifest("kis-user", "", "kis-api = { path = \"/x\" }\n");
        assert!(
            patched.contains("[patch.crates-io]\nkis-api = { path = \"/x\" }\n"),
            "{patched}"
        );
    }

    #[test]
    fn the_vendored_directory_replaces_crates_io() {
        let text = source_replacement(Path::new("/tmp/v"));
        assert_eq!(
            text,
            "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"/tmp/v\"\n"
        );
    }
}
