//! `kis-mock`: runs the mock KIS server until Ctrl-C.
//!
//! `kis-mock --port 18080 --ws-port 18081 [--demo] [--seed N] [--app-key K --app-secret S]`
//! (`--help` lists every option, e.g. `--record FILE`)

use std::process::ExitCode;

use kis_mock::{Environment, MockConfig, MockServer};

const USAGE: &str = "usage: kis-mock [--port N] [--ws-port N] [--demo] [--seed N] \
[--app-key K --app-secret S] [--hts-id ID] [--pages N] [--rows N] [--rate-limit N] [--rate-window-ms N] [--catalog DIR] [--record FILE] [--replay DIR] \
[--ws-max-connections N] [--ws-handshake-timeout-ms N]";

fn parse(args: &[String]) -> Result<MockConfig, String> {
    let mut c = MockConfig {
        rest_port: 18080,
        ws_port: 18081,
        ..MockConfig::default()
    };
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        if flag == "--demo" {
            c.environment = Environment::Demo;
            i += 1;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_string());
        }
        let value = args
            .get(i + 1)
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag {
            "--port" => c.rest_port = u16::try_from(num(value)?).map_err(|e| e.to_string())?,
            "--ws-port" => c.ws_port = u16::try_from(num(value)?).map_err(|e| e.to_string())?,
            "--seed" => c.seed = num(value)?,
            "--app-key" => c.app_key = Some(value.clone()),
            "--app-secret" => c.app_secret = Some(value.clone()),
            "--hts-id" => c.hts_id = value.clone(),
            "--pages" => c.pages = u32::try_from(num(value)?).map_err(|e| e.to_string())?,
            "--rows" => c.rows_per_page = u32::try_from(num(value)?).map_err(|e| e.to_string())?,
            "--rate-limit" => {
                c.rate_limit_per_second =
                    Some(u32::try_from(num(value)?).map_err(|e| e.to_string())?)
            }
            "--rate-window-ms" => {
                c.rate_window = std::time::Duration::from_millis(num(value)?.max(1))
            }
            "--catalog" => c.catalog_dir = Some(value.into()),
            "--record" => c.record = Some(value.into()),
            "--replay" => c.replay = Some(value.into()),
            "--ws-max-connections" => {
                c.ws_max_connections = usize::try_from(num(value)?)
                    .map_err(|e| e.to_string())?
                    .max(1)
            }
            "--ws-handshake-timeout-ms" => {
                c.ws_handshake_timeout = std::time::Duration::from_millis(num(value)?.max(1))
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
        i += 2;
    }
    if c.app_key.is_some() != c.app_secret.is_some() {
        return Err("--app-key and --app-secret go together".to_string());
    }
    Ok(c)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let env = config.environment;
    let server = match MockServer::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kis-mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("kis-mock ({}) serving", env.name());
    println!("REST      {}", server.rest_url());
    println!("WebSocket {}", server.ws_url());
    println!("Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    let refused = server.control().stats().rate_limited;
    if refused > 0 {
        println!("refused {refused} request(s) over the rate limit (EGW00201)");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}
