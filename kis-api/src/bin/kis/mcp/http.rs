//! `kis mcp --http ADDR`: the streamable HTTP transport at `/mcp`, behind a bearer token.
//!
//! The address is a port (`8765`, bound to 127.0.0.1) or `host:port`; a non-loopback host must
//! be written out. Every request needs `Authorization: Bearer <token>`, compared in constant
//! time; others get 401 before the MCP service sees them. The token comes from
//! `KIS_MCP_TOKEN`, else is generated and printed to stderr once; it is logged nowhere else.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::server::{KisMcp, State};
use crate::Failure;

/// The variable a bearer token may be given in.
pub const TOKEN_VAR: &str = "KIS_MCP_TOKEN";

/// The shortest token accepted from `KIS_MCP_TOKEN`.
const MIN_TOKEN_CHARS: usize = 16;

/// The path the MCP endpoint is served at.
pub const PATH: &str = "/mcp";

/// The address to bind: a bare port means 127.0.0.1; `host:port` is taken as written.
pub fn bind_address(given: &str) -> Result<SocketAddr, Failure> {
    let given = given.trim();
    if let Ok(port) = given.trim_start_matches(':').parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = given.strip_prefix("localhost:") {
        let port = port
            .parse::<u16>()
            .map_err(|_| Failure::usage(format!("--http {given}: not a port")))?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    given.parse::<SocketAddr>().map_err(|_| {
        Failure::usage(format!(
            "--http {}: give a port (8765, on 127.0.0.1) or an address with a port \
             (127.0.0.1:8765, 0.0.0.0:8765)",
            crate::lookup::shown(given)
        ))
    })
}

/// The bearer token: `KIS_MCP_TOKEN`, or a fresh random one (`generated` is then true).
pub fn token() -> Result<(String, bool), Failure> {
    if let Ok(t) = std::env::var(TOKEN_VAR) {
        let t = t.trim().to_string();
        if t.chars().count() < MIN_TOKEN_CHARS
            || t.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Failure::usage(format!(
                "{TOKEN_VAR} must be at least {MIN_TOKEN_CHARS} characters without spaces"
            )));
        }
        return Ok((t, false));
    }
    let a = super::confirm::fresh_id().map_err(Failure::Runtime)?;
    let b = super::confirm::fresh_id().map_err(Failure::Runtime)?;
    Ok((format!("{a}{b}"), true))
}

/// Whether `header` is `Bearer <token>`, compared without an early exit.
pub fn authorized(header: Option<&[u8]>, token: &str) -> bool {
    let Some(h) = header else {
        return false;
    };
    let Some(given) = h.strip_prefix(b"Bearer ") else {
        return false;
    };
    let want = token.as_bytes();
    if given.len() != want.len() {
        return false;
    }
    given
        .iter()
        .zip(want)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// The hosts the SDK's DNS-rebinding check accepts in `Host`: loopback names, plus the bound
/// address when it is another; every host for an unspecified address (0.0.0.0), which the
/// operator chose to expose (the bearer token still guards it).
fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    if addr.ip().is_unspecified() {
        return Vec::new();
    }
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    if !addr.ip().is_loopback() {
        hosts.push(addr.ip().to_string());
    }
    hosts
}

type Body = BoxBody<Bytes, Infallible>;

fn unauthorized() -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from_static(
            b"401 Unauthorized: Authorization: Bearer <token> is required\n",
        ))
        .boxed(),
    );
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    r.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        hyper::header::HeaderValue::from_static("Bearer"),
    );
    r
}

/// Serves `state` at `http://addr/mcp` until Ctrl-C (port 0 picks a free one; the address
/// bound is said on stderr).
pub async fn serve(state: Arc<State>, addr: SocketAddr, token: String) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Runtime(format!("--http {addr}: cannot listen: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::Runtime(format!("--http {addr}: {e}")))?;
    let config = StreamableHttpServerConfig::default().with_allowed_hosts(allowed_hosts(bound));
    let mcp = StreamableHttpService::new(
        move || Ok(KisMcp::new(Arc::clone(&state))),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    eprintln!("kis mcp: streamable HTTP at http://{bound}{PATH} (bearer token required)");
    let token: Arc<str> = token.into();
    let mcp = Arc::new(mcp);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Ok((stream, _)) = accepted else {
            // a full descriptor table and the like: keep serving the connections there are
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let (mcp, token) = (Arc::clone(&mcp), Arc::clone(&token));
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (mcp, token) = (Arc::clone(&mcp), Arc::clone(&token));
                async move {
                    let header = req
                        .headers()
                        .get(hyper::header::AUTHORIZATION)
                        .map(|v| v.as_bytes());
                    if !authorized(header, &token) {
                        return Ok::<_, Infallible>(unauthorized());
                    }
                    if req.uri().path() != PATH {
                        let mut r = Response::new(
                            Full::new(Bytes::from_static(
                                b"404 Not Found: the MCP endpoint is /mcp\n",
                            ))
                            .boxed(),
                        );
                        *r.status_mut() = StatusCode::NOT_FOUND;
                        return Ok(r);
                    }
                    Ok(mcp.handle(req).await)
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_port_binds_loopback_and_other_hosts_are_explicit() {
        let a = bind_address("8765").unwrap();
        assert_eq!(a.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(
            bind_address(":0").unwrap().ip(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert!(bind_address("localhost:9").unwrap().ip().is_loopback());
        assert!(bind_address("0.0.0.0:8765").unwrap().ip().is_unspecified());
        assert!(bind_address("example").is_err());
        assert!(allowed_hosts(bind_address("0.0.0.0:1").unwrap()).is_empty());
        assert!(
            allowed_hosts(bind_address("10.1.2.3:1").unwrap()).contains(&"10.1.2.3".to_string())
        );
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let t = "0123456789abcdef0123";
        assert!(authorized(Some(b"Bearer 0123456789abcdef0123"), t));
        assert!(!authorized(Some(b"Bearer 0123456789abcdef0124"), t));
        assert!(!authorized(Some(b"bearer 0123456789abcdef0123"), t));
        assert!(!authorized(Some(b"Bearer 0123"), t));
        assert!(!authorized(Some(b"Basic abc"), t));
        assert!(!authorized(None, t));
    }
}
