//! `kis`: the KIS Open API from the command line, catalog-driven.
//!
//! `kis tour` walks through the API against an embedded mock server; `kis list`, `kis describe`
//! and `kis call` reach every REST endpoint of the catalog; `kis watch` streams realtime TRs;
//! `kis mock` runs the mock server in the foreground; `kis mcp` (feature `mcp`) serves the API
//! as tools for AI agents. Without credentials, commands that need a
//! server use an embedded mock (and say so on stderr).
//!
//! Exit codes: 0 success, 1 API or network error, 2 usage error.

/// `print!` to stdout; a closed pipe (`kis list | head`) ends the program quietly.
macro_rules! out {
    ($($t:tt)*) => { $crate::write_stdout(&format!($($t)*)) };
}

/// `println!` to stdout; a closed pipe ends the program quietly.
macro_rules! outln {
    () => { $crate::write_stdout("\n") };
    ($($t:tt)*) => { $crate::write_stdout(&format!("{}\n", format_args!($($t)*))) };
}

mod call;
mod catalog;
mod export;
mod feed;
mod inputs;
mod lookup;
#[cfg(feature = "mcp")]
mod mcp;
mod record;
mod render;
mod serve;
mod target;
mod tour;
mod watch;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// What a command can fail with; decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Wrong arguments, unknown names, missing inputs, configuration: exit 2.
    Usage(String),
    /// An error of the client library: exit 1, or 2 when it is a configuration problem or a
    /// call the demo environment does not serve (nothing was sent).
    Api(kis_api::Error),
    /// Anything else at run time (a server that cannot start, a broken connection): exit 1.
    Runtime(String),
}

impl Failure {
    /// A usage error.
    pub fn usage(msg: impl Into<String>) -> Failure {
        Failure::Usage(msg.into())
    }

    fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Api(kis_api::Error::Config(_) | kis_api::Error::NotInDemo { .. }) => 2,
            Failure::Api(_) | Failure::Runtime(_) => 1,
        }
    }
}

impl From<kis_api::Error> for Failure {
    fn from(e: kis_api::Error) -> Self {
        Failure::Api(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Runtime(m) => f.write_str(m),
            Failure::Api(e) => f.write_str(&describe_error(e)),
        }
    }
}

/// Writes to stdout and flushes. A reader that went away (`kis list | head`) ends the program
/// with success, as for other Unix tools; any other write error ends it with 1.
pub fn write_stdout(s: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(s.as_bytes()).and_then(|()| o.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("kis: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// A one-paragraph message for a client error: KIS's `msg_cd` and trimmed `msg1`, never a URL
/// (GET URLs carry the account number in their query).
pub(crate) fn describe_error(e: &kis_api::Error) -> String {
    use kis_api::Error;
    match e {
        Error::Api {
            endpoint,
            tr_id,
            msg_cd,
            msg1,
            status,
            ..
        } => {
            let mut s = format!(
                "{endpoint} ({tr_id}): KIS answered {msg_cd}: {} (HTTP {status})",
                msg1.trim()
            );
            match msg_cd.as_str() {
                "MCA00124" => s.push_str("\nhint: the demo environment does not serve this TR"),
                "EGW02004" => s.push_str("\nhint: a demo app key was used on the real host"),
                "EGW00201" => s.push_str("\nhint: too many requests per second; retry later"),
                _ => {}
            }
            s
        }
        Error::Transport { endpoint, source } => {
            let mut s = format!("{endpoint}: network error: {source}");
            let mut cause = std::error::Error::source(source);
            while let Some(c) = cause {
                s.push_str(&format!(": {c}"));
                cause = c.source();
            }
            s
        }
        Error::Config(m) => format!("configuration: {m}"),
        other => other.to_string(),
    }
}

/// The KIS Open API (한국투자증권) from the command line.
///
/// Without credentials, commands that need a server use an embedded mock server (no network,
/// no account). Start with `kis tour`.
#[derive(Debug, Parser)]
#[command(
    name = "kis",
    version,
    propagate_version = true,
    after_help = "Exit codes: 0 success, 1 API or network error, 2 usage error."
)]
struct Cli {
    /// More log output of kis on stderr: -v info, -vv debug, -vvv trace (other crates stay at
    /// warnings unless RUST_LOG names them) [default: warnings and announced waits, or RUST_LOG]
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(flatten)]
    conn: ConnArgs,
    #[command(subcommand)]
    command: Command,
}

/// Where requests go and with which credentials.
#[derive(Clone, Default, Args)]
#[command(next_help_heading = "Connection (any command)")]
pub struct ConnArgs {
    /// App key (앱키). Prefer KIS_APP_KEY or kis_devlp.yaml: command lines are visible to others
    #[arg(long, global = true, value_name = "KEY", requires = "app_secret")]
    pub app_key: Option<String>,
    /// App secret (앱시크릿키); goes with --app-key
    #[arg(long, global = true, value_name = "SECRET", requires = "app_key")]
    pub app_secret: Option<String>,
    /// The official samples' kis_devlp.yaml [default: ~/KIS/config/kis_devlp.yaml when it exists]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Use the demo environment (모의투자)
    #[arg(long, global = true, conflicts_with = "real")]
    pub demo: bool,
    /// Use the real environment (실전투자) [default, unless only demo credentials are configured]
    #[arg(long, global = true)]
    pub real: bool,
    /// Stock account, written 12345678-01 [default: KIS_ACCOUNT or kis_devlp.yaml]
    #[arg(long, global = true, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Use an embedded mock server even when credentials are configured
    #[arg(long, global = true)]
    pub mock: bool,
    /// REST base URL [default: KIS's host of the environment, or KIS_REST_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub rest_url: Option<String>,
    /// WebSocket base URL [default: KIS's host of the environment, or KIS_WS_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub ws_url: Option<String>,
}

impl ConnArgs {
    /// These flags, each unset one taken from `outer` (flags given before `kis record`).
    fn or(self, outer: ConnArgs) -> ConnArgs {
        ConnArgs {
            app_key: self.app_key.or(outer.app_key),
            app_secret: self.app_secret.or(outer.app_secret),
            config: self.config.or(outer.config),
            demo: self.demo || (outer.demo && !self.real),
            real: self.real || (outer.real && !self.demo),
            account: self.account.or(outer.account),
            mock: self.mock || outer.mock,
            rest_url: self.rest_url.or(outer.rest_url),
            ws_url: self.ws_url.or(outer.ws_url),
        }
    }
}

/// Shows whether credentials and an account were given, never their values.
impl std::fmt::Debug for ConnArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("ConnArgs")
            .field("app_key", &given(&self.app_key))
            .field("app_secret", &given(&self.app_secret))
            .field("config", &self.config)
            .field("demo", &self.demo)
            .field("real", &self.real)
            .field("account", &given(&self.account))
            .field("mock", &self.mock)
            .field("rest_url", &self.rest_url)
            .field("ws_url", &self.ws_url)
            .finish()
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walk through quotes, a paginated chart, orders, the balance and realtime ticks against an
    /// embedded mock server (no account, no network)
    Tour,
    /// List the endpoints of the catalog
    List {
        /// Only this API group (domestic_stock, overseas_stock, ...)
        group: Option<String>,
        /// JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Show an endpoint's inputs, TR IDs and outputs
    Describe {
        /// Endpoint id (domestic_stock.inquire_price), its last part, a TR ID or the Korean name
        endpoint: String,
        /// JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Call a REST endpoint with KEY=value inputs
    Call(call::CallArgs),
    /// Stream realtime events of a WebSocket TR until Ctrl-C (or --count)
    Watch(watch::WatchArgs),
    /// Run the mock KIS server in the foreground until Ctrl-C
    Mock(serve::MockArgs),
    /// Serve the whole API as MCP tools for AI agents (stdio, or streamable HTTP with --http)
    #[cfg(feature = "mcp")]
    Mcp(mcp::McpArgs),
    /// Run a kis command and record its exchanges with KIS in DIR, secrets and personal data
    /// hidden (`kis record DIR -- call inquire_price FID_INPUT_ISCD=005930`)
    Record(record::RecordArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and succeed; real parse errors exit 2
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kis: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // messages may quote the server (msg1, bodies): no terminal control sequences
            eprintln!("error: {}", render::clean_lines(&f.to_string()));
            ExitCode::from(f.exit_code())
        }
    }
}

/// The targets of this crate: the library and this binary. `-v` flags raise only these.
const OWN_TARGETS: [&str; 2] = ["kis_api", "kis"];

/// The filter without flags or `RUST_LOG`: warnings, plus the library's announcements of long
/// waits (a token wait of a minute must not look like a hang).
const DEFAULT_FILTER: &str = "warn,kis_api::wait=info";

/// The log filter: `-v` flags raise this crate's levels (dependencies stay at `warn`: at
/// trace, tungstenite logs every WebSocket frame, approval key and AES key/iv included, and
/// HTTP crates log headers); `RUST_LOG` alone chooses when no flag is given, and with flags it
/// may still raise a dependency it names.
fn log_filter(verbose: u8, rust_log: Option<&str>) -> String {
    let env = rust_log.map(str::trim).filter(|s| !s.is_empty());
    let level = match verbose {
        0 => return env.unwrap_or(DEFAULT_FILTER).to_string(),
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let mut filter = String::from("warn");
    for target in OWN_TARGETS {
        filter.push_str(&format!(",{target}={level}"));
    }
    for directive in env.into_iter().flat_map(|e| e.split(',')).map(str::trim) {
        if names_dependency(directive) {
            filter.push(',');
            filter.push_str(directive);
        }
    }
    filter
}

/// Whether a `RUST_LOG` directive names a target outside this crate (`tungstenite=trace`,
/// `hyper[conn]=debug`); a bare level (`trace`) names none.
fn names_dependency(directive: &str) -> bool {
    let target = directive.split(['=', '[']).next().unwrap_or("").trim();
    let level = ["off", "error", "warn", "info", "debug", "trace"]
        .iter()
        .any(|l| target.eq_ignore_ascii_case(l))
        || target.parse::<u8>().is_ok();
    let krate = target.split("::").next().unwrap_or(target);
    !target.is_empty() && !level && !OWN_TARGETS.contains(&krate)
}

/// Logs go to stderr, so stdout stays the command's output.
fn init_logging(verbose: u8) {
    use std::io::IsTerminal;
    let rust_log = std::env::var("RUST_LOG").ok();
    let directives = log_filter(verbose, rust_log.as_deref());
    let filter = tracing_subscriber::EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!("kis: RUST_LOG is not a valid filter ({e}); showing warnings");
        tracing_subscriber::EnvFilter::new(DEFAULT_FILTER)
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(verbose > 0 || rust_log.is_some())
        .try_init();
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Record(args) => {
            let inner = Cli::try_parse_from(std::iter::once("kis".to_string()).chain(args.command))
                .map_err(|e| Failure::usage(format!("kis record: {}", e.render())))?;
            if matches!(inner.command, Command::Record(_)) {
                return Err(Failure::usage("kis record cannot be nested"));
            }
            record::start(args.dir)?;
            let inner = Cli {
                verbose: cli.verbose.max(inner.verbose),
                conn: inner.conn.or(cli.conn),
                command: inner.command,
            };
            let result = Box::pin(run(inner)).await;
            record::summary();
            result
        }
        Command::Tour => tour::run(&cli.conn).await,
        Command::List { group, json } => catalog::list(group.as_deref(), json),
        Command::Describe { endpoint, json } => catalog::describe(&endpoint, json),
        Command::Call(args) => call::run(&cli.conn, args).await,
        Command::Watch(args) => watch::run(&cli.conn, args).await,
        Command::Mock(args) => serve::run(&cli.conn, args).await,
        #[cfg(feature = "mcp")]
        Command::Mcp(args) => mcp::run(&cli.conn, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::{ConnArgs, log_filter};
    use tracing::Level;
    use tracing_subscriber::EnvFilter;

    #[test]
    fn verbosity_flags_then_rust_log_then_warnings_and_waits() {
        assert_eq!(log_filter(0, None), "warn,kis_api::wait=info");
        assert_eq!(log_filter(0, Some(" ")), "warn,kis_api::wait=info");
        assert_eq!(log_filter(0, Some("kis_api=debug")), "kis_api=debug");
        assert_eq!(
            log_filter(1, Some("kis_api=debug")),
            "warn,kis_api=info,kis=info"
        );
        assert_eq!(log_filter(2, None), "warn,kis_api=debug,kis=debug");
        assert_eq!(log_filter(5, None), "warn,kis_api=trace,kis=trace");
    }

    /// Whether `filter` lets an event of `target` at `level` through.
    fn passes(filter: &str, target: &str, level: Level) -> bool {
        use tracing_subscriber::layer::SubscriberExt;
        let filter = EnvFilter::try_new(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || probe(target, level))
    }

    /// Asks the current subscriber about an event of `target` at `level`.
    fn probe(target: &str, level: Level) -> bool {
        let event = metadata(target, level);
        tracing::dispatcher::get_default(|d| d.enabled(&event))
    }

    /// Metadata of an event with a target chosen at run time (tungstenite's frame trace comes
    /// through the `log` bridge the same way).
    fn metadata(target: &str, level: Level) -> tracing::Metadata<'static> {
        struct Cs;
        impl tracing::callsite::Callsite for Cs {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                unreachable!("not registered")
            }
        }
        static CS: Cs = Cs;
        let target: &'static str = Box::leak(target.to_string().into_boxed_str());
        tracing::Metadata::new(
            "probe",
            target,
            level,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CS)),
            tracing::metadata::Kind::EVENT,
        )
    }

    /// Issue 24, item 10: `-vvv` raises kis_api and kis to trace; tungstenite (whose trace shows
    /// every frame: approval key, AES key and iv) and the HTTP crates stay at warn unless
    /// RUST_LOG names them.
    #[test]
    fn verbose_flags_raise_this_crate_only() {
        let vvv = log_filter(3, None);
        assert!(passes(&vvv, "kis_api::realtime::driver", Level::TRACE));
        assert!(passes(&vvv, "kis", Level::TRACE));
        for dependency in [
            "tungstenite::protocol",
            "tokio_tungstenite",
            "hyper_util::client",
            "reqwest::connect",
            "rustls::client",
        ] {
            assert!(
                !passes(&vvv, dependency, Level::TRACE),
                "{dependency} at trace"
            );
            assert!(
                !passes(&vvv, dependency, Level::INFO),
                "{dependency} at info"
            );
            assert!(passes(&vvv, dependency, Level::WARN), "{dependency} warns");
        }
        // RUST_LOG may name a dependency; a bare level or this crate's targets do not widen it
        let named = log_filter(3, Some("tungstenite=debug,trace,kis_api=off"));
        assert_eq!(named, "warn,kis_api=trace,kis=trace,tungstenite=debug");
        assert!(passes(&named, "tungstenite::protocol", Level::DEBUG));
        assert!(!passes(&named, "tungstenite::protocol", Level::TRACE));
        assert!(!passes(&named, "hyper", Level::DEBUG));
        // without flags, RUST_LOG decides alone
        assert!(passes(
            &log_filter(0, Some("trace")),
            "tungstenite",
            Level::TRACE
        ));
    }

    #[test]
    fn debug_of_connection_flags_hides_credentials_and_account() {
        let conn = ConnArgs {
            app_key: Some("PSsecretAppKey".into()),
            app_secret: Some("secret-value".into()),
            account: Some("50012345-01".into()),
            ..ConnArgs::default()
        };
        let shown = format!("{conn:?}");
        for secret in ["PSsecretAppKey", "secret-value", "50012345"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("***"), "{shown}");
    }
}
