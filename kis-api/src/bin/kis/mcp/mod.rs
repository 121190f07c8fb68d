//! `kis mcp`: the whole KIS API as MCP tools for AI agents, over stdio (default) or streamable
//! HTTP (`--http`).
//!
//! Files: [`server`] (state and handler), [`tools`] (the REST tools), [`realtime`]
//! (`kis_watch`), [`confirm`] (the one-time confirmation state machine), [`schemas`] (tool
//! definitions), [`args`] (reading tool arguments), [`reply`] (results and tool errors),
//! [`http`] (the HTTP transport). Every call goes through the command line's by-name path and
//! one [`kis_api::Client`]: one rate budget and token, inputs checked before any I/O, server
//! texts scrubbed of secrets.

mod args;
mod confirm;
mod http;
mod realtime;
mod reply;
mod schemas;
mod server;
mod tools;

use std::sync::Arc;

use clap::Args;
use rmcp::ServiceExt;

use crate::target::{self, korean};
use crate::{ConnArgs, Failure, catalog};

/// Arguments of `kis mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Expose only these API groups (comma-separated: domestic-stock,overseas-stock,...)
    /// [default: every group]
    #[arg(long, value_name = "GROUPS", value_delimiter = ',')]
    pub groups: Vec<String>,
    /// Also register one typed tool per REST endpoint of the exposed groups (schemas from the
    /// catalog), for clients that prefer them
    #[arg(long)]
    pub expose_endpoints: bool,
    /// Let kis_confirm send orders (without it, kis_order only previews)
    #[arg(long)]
    pub allow_orders: bool,
    /// Let kis_confirm send orders in the real environment (실전투자) too; needs --allow-orders
    #[arg(long, requires = "allow_orders")]
    pub allow_real_orders: bool,
    /// Serve streamable HTTP at ADDR instead of stdio: a port (127.0.0.1) or host:port. A bearer
    /// token is required: KIS_MCP_TOKEN, or one generated and printed to stderr
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
}

/// The groups named by `--groups`, as the catalog spells them.
fn exposed_groups(given: &[String]) -> Result<Vec<&'static str>, Failure> {
    let all = catalog::groups();
    let mut out = Vec::new();
    for raw in given.iter().filter(|g| !g.trim().is_empty()) {
        catalog::check_name("group", raw)?;
        let g = catalog::normalize(raw);
        match all.iter().find(|x| **x == g) {
            Some(found) if !out.contains(found) => out.push(*found),
            Some(_) => {}
            None => {
                return Err(Failure::usage(format!(
                    "--groups: unknown group '{}'; groups: {}",
                    catalog::shown(raw),
                    all.join(", ")
                )));
            }
        }
    }
    Ok(out)
}

/// Runs `kis mcp` until the client goes away (stdio) or Ctrl-C (HTTP).
pub async fn run(conn: &ConnArgs, args: McpArgs) -> Result<(), Failure> {
    let groups = exposed_groups(&args.groups)?;
    // check what can be checked before starting anything
    let http = match &args.http {
        Some(a) => Some((http::bind_address(a)?, http::token()?)),
        None => None,
    };
    let target = target::connect(conn).await?;
    let allowance = confirm::Allowance {
        orders: args.allow_orders,
        real_orders: args.allow_real_orders,
    };
    let state = Arc::new(server::State::new(
        target,
        groups,
        allowance,
        args.expose_endpoints,
    ));
    let place = state.place();
    eprintln!(
        "kis mcp: {} tools, {} environment ({}){}; orders {}",
        state.tools.len(),
        place.env,
        korean(place.env),
        if place.embedded_mock {
            ", embedded mock"
        } else {
            ""
        },
        match (allowance.orders, allowance.real_orders) {
            (false, _) => "previewed only (no --allow-orders)",
            (true, false) => "sent on confirmation, demo and mock only",
            (true, true) => "sent on confirmation, REAL included",
        }
    );
    let result = match http {
        Some((addr, (token, generated))) => {
            if generated {
                // the one place the token is shown: the operator gives it to the client
                eprintln!("kis mcp: bearer token (shown once): {token}");
            }
            http::serve(Arc::clone(&state), addr, token).await
        }
        None => serve_stdio(Arc::clone(&state)).await,
    };
    if let Ok(state) = Arc::try_unwrap(state) {
        state.target.shutdown().await;
    }
    result
}

/// MCP over stdin/stdout until the client closes them.
async fn serve_stdio(state: Arc<server::State>) -> Result<(), Failure> {
    let running = server::KisMcp::new(state)
        .serve(rmcp::transport::io::stdio())
        .await
        .map_err(|e| Failure::Runtime(format!("MCP over stdio: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| Failure::Runtime(format!("MCP over stdio: {e}")))?;
    Ok(())
}
