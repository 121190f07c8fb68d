//! Which server a command talks to, and with which credentials.
//!
//! Credentials come from `--app-key/--app-secret`, else `KIS_APP_KEY/KIS_APP_SECRET`, else a
//! `kis_devlp.yaml` (`--config PATH`, or the samples' default path when that file exists). With
//! none of them, or with `--mock`, the command starts an embedded `kis-mock` on loopback ports and
//! says so on stderr.

use std::path::PathBuf;
use std::time::Duration;

use kis_api::{AccountKind, AnyEnv, Client, DevlpConfig, Env, TokenCache};
use kis_mock::{MockConfig, MockServer};

use crate::{ConnArgs, Failure};

/// The app key the CLI presents to its embedded mock (the mock accepts any pair).
const MOCK_APP_KEY: &str = "kis-cli-embedded-mock";
/// The app secret the CLI presents to its embedded mock.
const MOCK_APP_SECRET: &str = "kis-cli-embedded-mock-secret";
/// Accounts the CLI configures against its embedded mock.
const MOCK_ACCOUNTS: [(AccountKind, &str); 3] = [
    (AccountKind::Stock, "50000000-01"),
    (AccountKind::DomesticFutures, "60000000-03"),
    (AccountKind::OverseasFutures, "70000000-08"),
];

/// A client and, when it points at one, the embedded mock server serving it.
pub struct Target {
    /// The client.
    pub client: Client<AnyEnv>,
    /// The embedded mock, if the client talks to one.
    pub mock: Option<MockServer>,
}

impl Target {
    /// The environment of the client.
    pub fn env(&self) -> Env {
        self.client.env()
    }

    /// Whether requests go to the embedded mock (never to KIS).
    pub fn is_embedded_mock(&self) -> bool {
        self.mock.is_some()
    }

    /// Stops the embedded mock, if any.
    pub async fn shutdown(self) {
        if let Some(m) = self.mock {
            m.shutdown().await;
        }
    }
}

/// Where the credentials were found.
enum Source {
    Flags,
    EnvVars,
    Config(PathBuf),
}

/// The environment chosen by flags or `KIS_ENV`, if any.
pub fn chosen_env(conn: &ConnArgs) -> Result<Option<Env>, Failure> {
    if conn.demo {
        return Ok(Some(Env::Demo));
    }
    if conn.real {
        return Ok(Some(Env::Real));
    }
    match std::env::var("KIS_ENV") {
        Ok(v) if !v.trim().is_empty() => v
            .parse()
            .map(Some)
            .map_err(|e| Failure::usage(format!("KIS_ENV: {e}"))),
        _ => Ok(None),
    }
}

fn env_var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// The kis_devlp.yaml to read: `--config` (which must exist), or the default path if present.
fn config_path(conn: &ConnArgs) -> Result<Option<PathBuf>, Failure> {
    if let Some(p) = &conn.config {
        if p.is_dir() {
            return Err(Failure::usage(format!(
                "--config {}: is a directory; give the kis_devlp.yaml file itself",
                p.display()
            )));
        }
        if !p.is_file() {
            return Err(Failure::usage(format!(
                "--config {}: no such file",
                p.display()
            )));
        }
        return Ok(Some(p.clone()));
    }
    Ok(DevlpConfig::default_path().filter(|p| p.is_file()))
}

/// Builds the client a command needs: against KIS when credentials are configured, else against
/// an embedded mock (announced on stderr).
pub async fn connect(conn: &ConnArgs) -> Result<Target, Failure> {
    let chosen = chosen_env(conn)?;
    let config = config_path(conn)?;
    let devlp = match &config {
        Some(p) => Some(DevlpConfig::from_file(p).map_err(Failure::Api)?),
        None => None,
    };
    if conn.mock {
        return embedded(conn, chosen.unwrap_or(Env::Real), "--mock").await;
    }
    let flags = conn.app_key.as_ref().zip(conn.app_secret.as_ref());
    let (key_var, secret_var) = (env_var("KIS_APP_KEY"), env_var("KIS_APP_SECRET"));
    if flags.is_none() {
        // half a credential is a mistake to name, not a reason to answer with the mock's data
        // (as for a kis_devlp.yaml with my_app but no my_sec)
        let missing = match (&key_var, &secret_var) {
            (Some(_), None) => Some(("KIS_APP_KEY", "KIS_APP_SECRET")),
            (None, Some(_)) => Some(("KIS_APP_SECRET", "KIS_APP_KEY")),
            _ => None,
        };
        if let Some((set, unset)) = missing {
            return Err(Failure::usage(format!(
                "{set} is set but {unset} is missing or blank: set both, or neither (--mock \
                 uses the embedded mock server)"
            )));
        }
    }
    let vars = key_var.zip(secret_var);
    let (source, env) = if flags.is_some() {
        (Some(Source::Flags), chosen.unwrap_or(Env::Real))
    } else if vars.is_some() {
        (Some(Source::EnvVars), chosen.unwrap_or(Env::Real))
    } else if let (Some(d), Some(path)) = (&devlp, &config) {
        // without a choice, the environment whose keys the file holds (real first)
        let env = chosen.unwrap_or(if d.real.is_none() && d.demo.is_some() {
            Env::Demo
        } else {
            Env::Real
        });
        let has = match env {
            Env::Real => d.real.is_some(),
            Env::Demo => d.demo.is_some(),
        };
        (has.then(|| Source::Config(path.clone())), env)
    } else {
        (None, chosen.unwrap_or(Env::Real))
    };
    let Some(source) = source else {
        let why = match &config {
            Some(p) => format!(
                "no app key/secret for the {env} environment (flags, KIS_APP_KEY/KIS_APP_SECRET, {})",
                p.display()
            ),
            None => "no credentials (--app-key/--app-secret, KIS_APP_KEY/KIS_APP_SECRET or kis_devlp.yaml)".to_string(),
        };
        return embedded(conn, env, &why).await;
    };
    let mut b = Client::builder().environment(env);
    if let Some((k, s)) = flags {
        b = b.app_key(k.clone(), s.clone());
    }
    if let Source::Config(path) = &source {
        b = b.kis_devlp_yaml(path);
    } else if let Some(path) = &config {
        // credentials from flags or variables; accounts and hosts may still come from the file
        b = b.kis_devlp_yaml(path);
    }
    b = b.from_env();
    if let Some(a) = &conn.account {
        b = b.stock_account(a);
    }
    if let Some(u) = &conn.rest_url {
        b = b.rest_url(u.clone());
    }
    if let Some(u) = &conn.ws_url {
        b = b.websocket_url(u.clone());
    }
    let client = crate::record::apply(b).build().map_err(Failure::Api)?;
    crate::record::note(&client);
    let from = match source {
        Source::Flags => "--app-key".to_string(),
        Source::EnvVars => "KIS_APP_KEY".to_string(),
        Source::Config(p) => p.display().to_string(),
    };
    eprintln!(
        "kis: {} environment ({}) at {}, credentials from {from}",
        env,
        korean(env),
        client.rest_url()
    );
    Ok(Target { client, mock: None })
}

/// 실전투자 / 모의투자.
pub fn korean(env: Env) -> &'static str {
    match env {
        Env::Real => "실전투자",
        Env::Demo => "모의투자",
    }
}

/// The mock's settings for emulating `env`.
pub fn mock_config(env: Env) -> MockConfig {
    match env {
        Env::Real => MockConfig::default(),
        Env::Demo => MockConfig::demo(),
    }
}

/// Starts an embedded mock emulating `env` and a client aimed at it.
async fn embedded(conn: &ConnArgs, env: Env, why: &str) -> Result<Target, Failure> {
    if conn.rest_url.is_some() || conn.ws_url.is_some() {
        eprintln!("kis: --rest-url/--ws-url are ignored with the embedded mock");
    }
    let (mock, client) = start_mock(mock_config(env), env).await?;
    eprintln!(
        "kis: {why}: using an embedded mock server ({env}, {}) at {}; nothing leaves this machine",
        korean(env),
        mock.rest_url()
    );
    Ok(Target {
        client,
        mock: Some(mock),
    })
}

/// Starts a mock server and builds a client for it with every account configured.
pub async fn start_mock(
    config: MockConfig,
    env: Env,
) -> Result<(MockServer, Client<AnyEnv>), Failure> {
    let hts_id = config.hts_id.clone();
    let mock = MockServer::start(config)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot start the embedded mock server: {e}")))?;
    let mut b = mock_builder(&mock)
        .environment(env)
        .hts_id(hts_id)
        .token_cache(TokenCache::Memory);
    for (kind, account) in MOCK_ACCOUNTS {
        let a = kis_api::Account::parse(account).map_err(Failure::Api)?;
        b = b.account(kind, a);
    }
    let client = crate::record::apply(b).build().map_err(Failure::Api)?;
    crate::record::note(&client);
    Ok((mock, client))
}

/// A builder aimed at `mock`: its URLs, the CLI's mock credentials, no rate limit.
pub fn mock_builder(mock: &MockServer) -> kis_api::ClientBuilder<AnyEnv> {
    Client::builder()
        .app_key(MOCK_APP_KEY, MOCK_APP_SECRET)
        .rest_url(mock.rest_url())
        .websocket_url(mock.ws_url())
        .no_rate_limit()
        .timeout(Duration::from_secs(10))
}
