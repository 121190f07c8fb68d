//! `kis mock`: the mock KIS server in the foreground, until Ctrl-C.

use clap::Args;
use kis_mock::MockServer;

use crate::target::chosen_env;
use crate::{ConnArgs, Failure};

/// Arguments of `kis mock` (`--demo` emulates the demo environment; `--app-key/--app-secret`
/// make it accept only that pair).
#[derive(Debug, Args)]
pub struct MockArgs {
    /// REST port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 18080)]
    pub port: u16,
    /// WebSocket port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 18081)]
    pub ws_port: u16,
    /// Seed of the generated data (same seed and request, same answer)
    #[arg(long)]
    pub seed: Option<u64>,
    /// WebSocket connections served at once; more are answered 503 before the upgrade
    /// [default: 256]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub ws_max_connections: Option<u32>,
}

/// Runs `kis mock`.
pub async fn run(conn: &ConnArgs, args: MockArgs) -> Result<(), Failure> {
    let env = chosen_env(conn)?.unwrap_or(kis_api::Env::Real);
    let mut config = crate::target::mock_config(env);
    config.rest_port = args.port;
    config.ws_port = args.ws_port;
    if let Some(s) = args.seed {
        config.seed = s;
    }
    if let Some(n) = args.ws_max_connections {
        config = config.with_ws_max_connections(n as usize);
    }
    let restricted = match (&conn.app_key, &conn.app_secret) {
        (Some(k), Some(s)) => {
            config = config.with_credentials(k.clone(), s.clone());
            true
        }
        _ => false,
    };
    let server = MockServer::start(config).await.map_err(|e| {
        Failure::Runtime(format!(
            "cannot start the mock server on ports {}/{}: {e}",
            args.port, args.ws_port
        ))
    })?;
    let env_flag = match env {
        kis_api::Env::Real => "--real",
        kis_api::Env::Demo => "--demo",
    };
    outln!(
        "kis mock: a local KIS server ({env}, {}), serving every catalog endpoint",
        crate::target::korean(env)
    );
    outln!("REST      {}", server.rest_url());
    outln!("WebSocket {}", server.ws_url());
    outln!(
        "credentials: {}",
        if restricted {
            "only the pair given with --app-key/--app-secret"
        } else {
            "any non-empty app key and secret"
        }
    );
    outln!("\nTry it from another terminal:");
    outln!(
        "  KIS_APP_KEY=mock KIS_APP_SECRET=mock KIS_ACCOUNT=50000000-01 kis {env_flag} \\\n    \
         --rest-url {} --ws-url {} \\\n    \
         call domestic_stock.inquire_price FID_COND_MRKT_DIV_CODE=J FID_INPUT_ISCD=005930",
        server.rest_url(),
        server.ws_url()
    );
    outln!("(kis asks for --confirm-real-order before orders unless --demo: it cannot tell this");
    outln!(" server from KIS)\n\nCtrl-C stops it.");
    let stopped = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    stopped.map_err(|e| Failure::Runtime(format!("cannot wait for Ctrl-C: {e}")))
}
