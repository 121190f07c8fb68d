//! Obtains an access token from a KIS server (here: the suite's mock) using a shared token cache,
//! and prints a fingerprint of it. The suite starts ten of these at once to prove that processes
//! starting with an empty cache issue exactly one token.
//!
//! With a Redis URL, the token is shared through Redis too (the suite gives each process a cache
//! directory of its own then, as on separate machines).
//!
//! Usage: token-probe <rest-url> <cache-dir> [<redis-url>]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: token-probe <rest-url> <cache-dir>");
        return ExitCode::from(2);
    };
    let mut builder = kis_api::Client::builder()
        .real()
        .app_key(
            kis_integration_tests::APP_KEY,
            kis_integration_tests::APP_SECRET,
        )
        .rest_url(url.as_str())
        .token_cache(kis_api::TokenCache::Dir(PathBuf::from(dir)))
        .token_issue_interval(Duration::from_millis(250));
    if let Some(redis) = args.get(3) {
        builder = builder.redis(redis.as_str());
    }
    let client = builder.build();
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match client.access_token().await {
        Ok(token) => {
            // a fingerprint, not the token: secrets are never printed
            let fp: u64 = token.expose().bytes().fold(1469598103934665603u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(1099511628211)
            });
            println!("{fp:016x}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
