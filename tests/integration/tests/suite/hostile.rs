//! A hostile or broken server: small loopback servers that echo secrets back, send absurd or
//! unsendable tokens, never answer, or answer an order with garbage. The client must never leak
//! a secret, panic, loop, or report an order whose fate is unknown as anything but unknown. A
//! WebSocket that closes after every handshake must not make the client reconnect for ever.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kis_api::codes::{OrderDivision, StockMarket};
use kis_api::domestic_stock::inquire_price;
use kis_api::{Client, Decimal, Env, Error, RetryPolicy, TokenCache};
use kis_integration_tests::{APP_KEY, APP_SECRET, buy_samsung};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::secrets::capture;

const ACCOUNT: &str = "50012345";
const TOKEN: &str = "eyJhostile.token0123456789.abcdefghij";

/// How a path is answered: status and body, or never.
#[derive(Clone)]
enum Answer {
    Now(u16, Vec<u8>),
    Never,
}

type Router = Arc<dyn Fn(&str, &[u8]) -> Answer + Send + Sync>;

/// A loopback HTTP/1.1 server answering each request by `route(path, request)`; counts requests
/// per path prefix `/uapi` (the calls, not the token issues).
struct Hostile {
    url: String,
    calls: Arc<AtomicUsize>,
}

async fn hostile(route: impl Fn(&str, &[u8]) -> Answer + Send + Sync + 'static) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let calls = Arc::new(AtomicUsize::new(0));
    let route: Router = Arc::new(route);
    let counted = Arc::clone(&calls);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let route = Arc::clone(&route);
            let counted = Arc::clone(&counted);
            tokio::spawn(async move { serve(stream, route, counted).await });
        }
    });
    Hostile { url, calls }
}

async fn serve(mut s: TcpStream, route: Router, calls: Arc<AtomicUsize>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // the head, then as much body as content-length says
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buf.len() < end + 4 + length {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_string();
        if path.starts_with("/uapi") {
            calls.fetch_add(1, Ordering::SeqCst);
        }
        let request = buf[..end + 4 + length].to_vec();
        buf.drain(..end + 4 + length);
        match route(&path, &request) {
            Answer::Never => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Answer::Now(status, body) => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                if s.write_all(head.as_bytes()).await.is_err() || s.write_all(&body).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// A normal token answer.
fn token_answer() -> Answer {
    Answer::Now(
        200,
        format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":86400}}"#)
            .into_bytes(),
    )
}

fn client(url: &str, cache: &std::path::Path) -> Client {
    Client::builder()
        .environment(Env::Real)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(url)
        .token_cache(TokenCache::Dir(cache.to_path_buf()))
        .token_issue_interval(Duration::from_millis(50))
        .no_rate_limit()
        .stock_account(&format!("{ACCOUNT}-01"))
        .retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        })
        .timeout(Duration::from_millis(400))
        .build()
        .expect("client")
}

async fn quote(c: &Client) -> kis_api::Result<inquire_price::Response> {
    c.domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
        .await
}

/// Asserts no secret of the suite's client is in `text`.
fn assert_no_secret(what: &str, text: &str) {
    for secret in [APP_KEY, APP_SECRET, TOKEN, ACCOUNT] {
        assert!(!text.contains(secret), "{what} shows {secret}: {text}");
    }
}

/// Echoes the request (headers with the app key, secret and token, the query with the account)
/// in `msg1` and `msg_cd`, as a misconfigured gateway would.
fn echoing(code: &'static str, status: u16) -> impl Fn(&str, &[u8]) -> Answer + Send + Sync {
    move |path, request| {
        if path.starts_with("/oauth2/tokenP") {
            return token_answer();
        }
        let echoed = String::from_utf8_lossy(request).replace('"', "'");
        let body = serde_json::json!({
            "rt_cd": "1",
            // a code the catalog knows is read as it is; another may carry the echo too
            "msg_cd": if code.starts_with("EGW") { code.to_string() } else { format!("{code} {APP_KEY}") },
            "msg1": format!("request was: {echoed} account {ACCOUNT} key {APP_KEY} secret {APP_SECRET} token {TOKEN}"),
        });
        Answer::Now(status, body.to_string().into_bytes())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_request_reaches_no_error_and_no_log_line() {
    let logs = capture();
    let cache = tempfile::tempdir().expect("tempdir");
    for (code, status) in [("OPSQ2001", 200), ("EGW00201", 500), ("EGW00123", 500)] {
        let server = hostile(echoing(code, status)).await;
        let c = client(&server.url, cache.path());
        let err = quote(&c).await.expect_err("an error answer");
        assert_no_secret("Display", &err.to_string());
        assert_no_secret("Debug", &format!("{err:?}"));
        // KIS's code survives the scrubbing, whatever the error
        assert_eq!(
            err.msg_cd().map(|c| c.starts_with(code)),
            Some(true),
            "{err}"
        );
        if code == "EGW00201" {
            assert!(matches!(err, Error::RateLimited { .. }), "{err}");
            assert!(err.to_string().contains("EGW00201"), "{err}");
        }
    }
    // an order refused with an echo: the same
    let server = hostile(echoing("APBK0919", 200)).await;
    let c = client(&server.url, cache.path());
    let err = c
        .domestic_stock()
        .order_cash(buy_samsung(OrderDivision::Limit, 1, Decimal::new(60000, 0)))
        .await
        .expect_err("refused");
    assert_no_secret("order error", &format!("{err} {err:?}"));
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("lock")).to_string();
    assert_no_secret("the TRACE log", &logged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_error_body_echoing_secrets_is_scrubbed() {
    let server = hostile(|path, request| {
        if path.starts_with("/oauth2/tokenP") {
            return token_answer();
        }
        let mut body = b"<html>proxy saw: ".to_vec();
        body.extend_from_slice(request);
        body.extend_from_slice(format!(" acct={ACCOUNT}</html>").as_bytes());
        Answer::Now(403, body)
    })
    .await;
    let cache = tempfile::tempdir().expect("tempdir");
    let err = quote(&client(&server.url, cache.path()))
        .await
        .expect_err("403");
    assert!(matches!(err, Error::Http { status: 403, .. }), "{err}");
    assert_no_secret("HTTP error", &format!("{err} {err:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_token_lifetimes_neither_panic_nor_last_past_a_day() {
    for (expiry, usable) in [
        (r#""expires_in":9223372036854775807"#, true),
        (r#""expires_in":9000000000000000"#, true),
        (r#""expires_in":-9223372036854775808"#, false),
        (
            r#""expires_in":86400,"access_token_token_expired":"-262143-01-01 00:00:00""#,
            false,
        ),
    ] {
        let body = format!(r#"{{"access_token":"{TOKEN}",{expiry}}}"#);
        let server = hostile(move |path, _| {
            if path.starts_with("/oauth2/tokenP") {
                Answer::Now(200, body.clone().into_bytes())
            } else {
                Answer::Now(
                    200,
                    br#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"ok"}"#.to_vec(),
                )
            }
        })
        .await;
        let cache = tempfile::tempdir().expect("tempdir");
        let c = client(&server.url, cache.path());
        let got = c.access_token().await;
        assert_eq!(got.is_ok(), usable, "{expiry}: {got:?}");
        if let Err(e) = got {
            assert!(matches!(e, Error::Auth(_)), "{e}");
            assert_no_secret("auth error", &e.to_string());
        } else {
            // the cached file says a day at most
            let file = std::fs::read_dir(cache.path())
                .expect("cache dir")
                .flatten()
                .find(|f| f.path().extension().is_some_and(|e| e == "json"))
                .expect("a cache file");
            let cached: serde_json::Value =
                serde_json::from_slice(&std::fs::read(file.path()).expect("read")).expect("json");
            let at = |k: &str| {
                chrono::DateTime::parse_from_rfc3339(cached[k].as_str().expect(k)).expect(k)
            };
            let lifetime = at("expires_at") - at("issued_at");
            assert!(lifetime <= chrono::TimeDelta::hours(24), "{lifetime}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_cannot_be_a_header_is_refused_and_never_cached() {
    let issued = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&issued);
    let server = hostile(move |path, _| {
        if path.starts_with("/oauth2/tokenP") {
            // the first answer is unsendable, the next a good one
            return if count.fetch_add(1, Ordering::SeqCst) == 0 {
                Answer::Now(
                    200,
                    br#"{"access_token":"abc\r\nX-Injected: 1","expires_in":86400}"#.to_vec(),
                )
            } else {
                token_answer()
            };
        }
        Answer::Now(
            200,
            br#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"ok"}"#.to_vec(),
        )
    })
    .await;
    let cache = tempfile::tempdir().expect("tempdir");
    let first = client(&server.url, cache.path());
    let err = first.access_token().await.expect_err("unsendable");
    assert!(
        matches!(&err, Error::Auth(a) if a.message.contains("header")),
        "{err}"
    );
    let cached = std::fs::read_dir(cache.path())
        .expect("cache dir")
        .flatten()
        .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        .count();
    assert_eq!(cached, 0, "nothing was cached");
    drop(first);
    // a later run is not poisoned: it issues (a minute later at KIS; here at once) a good token
    let later = Client::builder()
        .environment(Env::Real)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(&server.url)
        .token_cache(TokenCache::Dir(cache.path().to_path_buf()))
        .token_issue_interval(Duration::from_millis(50))
        .no_rate_limit()
        .build()
        .expect("client");
    assert_eq!(
        later.access_token().await.expect("good token").expose(),
        TOKEN
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_answered_with_garbage_has_an_unknown_outcome_and_is_sent_once() {
    let bodies: [&[u8]; 4] = [
        b"garbage, not json",
        b"{\"rt_cd\":\"0\",\"msg1\":\"\xff\xfe invalid utf-8\"}",
        br#"{"rt_cd":"0","msg_cd":"APBK0013","output":[1,2,3]"#,
        br#"[{"rt_cd":"0"}]"#,
    ];
    for body in bodies {
        let server = hostile(move |path, _| {
            if path.starts_with("/oauth2/tokenP") {
                token_answer()
            } else {
                Answer::Now(200, body.to_vec())
            }
        })
        .await;
        let cache = tempfile::tempdir().expect("tempdir");
        let c = client(&server.url, cache.path());
        let err = c
            .domestic_stock()
            .order_cash(buy_samsung(OrderDivision::Limit, 1, Decimal::new(60000, 0)))
            .await
            .expect_err("unreadable");
        assert!(
            matches!(err, Error::OutcomeUnknown { .. }),
            "{}: {err}",
            String::from_utf8_lossy(body)
        );
        assert!(err.to_string().contains("inquire before retrying"), "{err}");
        assert_eq!(server.calls.load(Ordering::SeqCst), 1, "sent exactly once");
        // the same garbage to a query is a decode error, after no retry
        let err = quote(&c).await.expect_err("unreadable");
        assert!(matches!(err, Error::Decode(_)), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_announced_at_each_retry() {
    let logs = capture();
    let server = hostile(|path, _| {
        if path.starts_with("/oauth2/tokenP") {
            token_answer()
        } else {
            Answer::Never
        }
    })
    .await;
    let cache = tempfile::tempdir().expect("tempdir");
    let c = client(&server.url, cache.path());
    let err = quote(&c).await.expect_err("timeout");
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert_eq!(server.calls.load(Ordering::SeqCst), 2, "two attempts");
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("lock")).to_string();
    let announced = logged
        .lines()
        .filter(|l| {
            l.contains("WARN")
                && l.contains("no answer within the time limit; retrying")
                && l.contains("domestic_stock.inquire_price")
        })
        .count();
    assert!(announced >= 1, "the retry is announced at warn:\n{logged}");
    // an order without an answer is never resent
    let before = server.calls.load(Ordering::SeqCst);
    let err = c
        .domestic_stock()
        .order_cash(buy_samsung(OrderDivision::Limit, 1, Decimal::new(60000, 0)))
        .await
        .expect_err("timeout");
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(server.calls.load(Ordering::SeqCst), before + 1);
}

/// A WebSocket server that completes the handshake and closes at once, before any subscribe is
/// answered: the session must back off and give up, never reconnect for ever re-sending the
/// approval key (121 reconnects in 45 s before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_that_closes_after_the_handshake_gets_no_reconnect_storm() {
    use kis_api::realtime::{ConnectionState, ReconnectPolicy};
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let ws_url = format!("ws://{}", listener.local_addr().expect("addr"));
    let arrivals = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&arrivals);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                let _ = ws.close(None).await;
            }
        }
    });
    // the approval key comes from a well-behaved REST side
    let rest = hostile(|path, _| {
        if path.starts_with("/oauth2/Approval") {
            Answer::Now(
                200,
                br#"{"approval_key":"approval-0123456789abcdef"}"#.to_vec(),
            )
        } else {
            token_answer()
        }
    })
    .await;
    let c = Client::builder()
        .environment(Env::Real)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(&rest.url)
        .websocket_url(&ws_url)
        .token_cache(TokenCache::Memory)
        .no_rate_limit()
        .build()
        .expect("client");
    let session = c
        .realtime_builder()
        .reconnect(ReconnectPolicy {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(80),
            max_attempts: Some(4),
        })
        .connect()
        .await
        .expect("the handshake succeeds");
    let gave_up = tokio::time::timeout(Duration::from_secs(10), async {
        while session.status().state != ConnectionState::Closed {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(gave_up.is_ok(), "the session gave up within 10 s");
    // the first connection and four attempts: handshakes that prove nothing reset nothing
    assert_eq!(arrivals.load(Ordering::SeqCst), 5);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(arrivals.load(Ordering::SeqCst), 5, "and nothing after");
}

#[test]
fn base_urls_with_credentials_a_query_or_a_fragment_are_refused() {
    for url in [
        "http://user:hunter2@127.0.0.1:9",
        "http://127.0.0.1:9/?x=1",
        "http://127.0.0.1:9/#frag",
    ] {
        let err = Client::builder()
            .environment(Env::Real)
            .app_key(APP_KEY, APP_SECRET)
            .rest_url(url)
            .build()
            .expect_err(url);
        assert!(matches!(err, Error::Config(_)), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
