//! Secrets never appear in logs or `Debug` output: a whole session is logged at TRACE level and
//! searched for every secret.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use kis_api::codes::{OrderDivision, PreviousDayTrades, StockMarket};
use kis_api::domestic_stock::{inquire_balance, inquire_price};
use kis_api::{Decimal, Env};
use kis_integration_tests::{
    APP_KEY, APP_SECRET, STOCK_ACCOUNT, builder_for, buy_samsung, client_for, mock_config,
    start_mock,
};
use kis_mock::Environment;

#[derive(Clone, Default)]
pub(crate) struct Capture(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Every log line of this test process, at TRACE level. A process-wide subscriber: a thread-local
/// one would miss events when other tests run concurrently (tracing caches callsite interest).
pub(crate) fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(capture.clone())
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        capture
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_session_logs_no_secret() {
    let capture = capture();

    let mock = start_mock(mock_config(Environment::Real).with_pages(2, 2)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Real, cache.path())
        .hashkey(true)
        .build()
        .expect("client");

    let token = client.access_token().await.expect("token");
    let approval = client.approval_key().await.expect("approval key");
    client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
        .await
        .expect("quote");
    let order = buy_samsung(OrderDivision::Limit, 1, Decimal::new(60000, 0));
    let debug_of_request = format!("{order:?}");
    client
        .domestic_stock()
        .order_cash(order)
        .await
        .expect("order");
    let balance = inquire_balance::Request::new(
        inquire_balance::BalanceGrouping::BySymbol,
        false,
        PreviousDayTrades::WithPreviousDay,
    )
    .cano("50012345");
    let debug_of_balance = format!("{balance:?}");
    client
        .domestic_stock()
        .inquire_balance(balance)
        .all()
        .await
        .expect("balance");
    mock.control().expire_tokens();
    client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
        .await
        .expect("refresh");
    client.revoke_token().await.expect("revoke");
    let debug_of_client = format!("{client:?}");

    let logs = String::from_utf8_lossy(&capture.0.lock().expect("lock")).into_owned();
    assert!(
        logs.contains("issuing an access token"),
        "the session was logged:\n{logs}"
    );
    let account_number = &STOCK_ACCOUNT[..8];
    for (what, secret) in [
        ("app key", APP_KEY),
        ("app secret", APP_SECRET),
        ("access token", token.expose()),
        ("approval key", approval.expose()),
        ("account number", account_number),
    ] {
        assert!(!logs.contains(secret), "the logs contain the {what}");
        for (label, dbg) in [
            ("client", &debug_of_client),
            ("order", &debug_of_request),
            ("balance request", &debug_of_balance),
        ] {
            assert!(
                !dbg.contains(secret),
                "Debug of the {label} contains the {what}: {dbg}"
            );
        }
    }
    assert!(!debug_of_balance.contains("50012345"), "{debug_of_balance}");
    assert!(format!("{token:?}").contains("***"));
}

/// A realtime session with execution notices, a malformed encrypted frame and a reconnect logs
/// neither the approval key nor the HTS id nor an account number; `Debug` of the session, its
/// streams, frames and records hides them too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_realtime_session_logs_no_secret() {
    let capture = capture();

    let config = kis_mock::MockConfig {
        hts_id: kis_integration_tests::HTS_ID.to_string(),
        ..mock_config(Environment::Real).with_ping_interval(std::time::Duration::from_millis(50))
    };
    let mock = start_mock(config).await;
    let control = mock.control();
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    let approval = client.approval_key().await.expect("approval key");
    let wait = std::time::Duration::from_secs(15);
    let session = client
        .realtime_builder()
        .reconnect(kis_api::realtime::ReconnectPolicy {
            base_delay: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_millis(100),
            max_attempts: None,
        })
        .connect()
        .await
        .expect("session");
    let mut notices = session
        .subscribe_notices(kis_api::domestic_stock::H0STCNI0)
        .await
        .expect("notices");
    client
        .domestic_stock()
        .order_cash(buy_samsung(OrderDivision::Limit, 1, Decimal::new(60000, 0)))
        .await
        .expect("order");
    let frame = tokio::time::timeout(wait, notices.recv())
        .await
        .expect("in time")
        .expect("open")
        .expect("a notice");
    let record = frame.records().next().expect("a record").expect("decodes");
    assert_eq!(record.cust_id, kis_integration_tests::HTS_ID);
    let debugs = [
        format!("{session:?}"),
        format!("{notices:?}"),
        format!("{frame:?}"),
        format!("{record:?}"),
    ];
    // a malformed notice (logged as a warning) and a reconnect (logged too)
    control.push_raw_frame("1|H0STCNI0|001|!!!");
    let bad = tokio::time::timeout(wait, notices.recv())
        .await
        .expect("in time")
        .expect("open");
    assert!(bad.is_err());
    control.drop_ws_connections();
    tokio::time::timeout(wait, async {
        while session.status().connections < 2 || control.subscription_count() < 1 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("reconnected");

    let logs = String::from_utf8_lossy(&capture.0.lock().expect("lock")).into_owned();
    assert!(
        logs.contains("realtime connection lost") && logs.contains("malformed realtime frame"),
        "the session was logged:\n{logs}"
    );
    for (what, secret) in [
        ("app key", APP_KEY),
        ("app secret", APP_SECRET),
        ("approval key", approval.expose()),
        ("HTS id", kis_integration_tests::HTS_ID),
        ("account number", &STOCK_ACCOUNT[..8]),
    ] {
        assert!(!logs.contains(secret), "the logs contain the {what}");
        for dbg in &debugs {
            assert!(!dbg.contains(secret), "Debug shows the {what}: {dbg}");
        }
    }
}

/// A network error on a query whose URL carries the account number names neither: reqwest puts
/// the URL in its messages, and errors end up in logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_error_does_not_show_the_account_number() {
    let capture = capture();
    let mock = start_mock(mock_config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Real, cache.path())
        .retry(kis_api::RetryPolicy::none())
        .build()
        .expect("client");
    mock.control().inject(
        kis_mock::Fault::DropBeforeProcessing
            .times(1)
            .on_tr_id("TTTC8434R"),
    );
    let err = client
        .domestic_stock()
        .inquire_balance(inquire_balance::Request::new(
            inquire_balance::BalanceGrouping::BySymbol,
            false,
            PreviousDayTrades::WithPreviousDay,
        ))
        .all()
        .await
        .expect_err("the connection dropped");
    assert!(matches!(err, kis_api::Error::Transport { .. }), "{err:?}");
    let mut shown = format!("{err} {err:?}");
    let mut cause = std::error::Error::source(&err);
    while let Some(c) = cause {
        shown.push_str(&format!(" {c} {c:?}"));
        cause = c.source();
    }
    let account_number = &STOCK_ACCOUNT[..8];
    assert!(!shown.contains(account_number), "{shown}");
    assert!(!shown.contains("CANO"), "{shown}");
    let logs = String::from_utf8_lossy(&capture.0.lock().expect("lock")).into_owned();
    assert!(
        !logs.contains(account_number),
        "the logs contain the account number"
    );
}

/// Everything logged in this test process so far.
pub(crate) fn logs() -> String {
    String::from_utf8_lossy(&capture().0.lock().expect("lock")).into_owned()
}

/// A loopback server that answers every request with `status` and the request itself (head and
/// body) as its body, as a misconfigured proxy does; with `issue_tokens`, `tokenP` is answered
/// with a token instead, so the calls that need one get past it.
async fn echo_server(status: u16, issue_tokens: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                // the head, then as many body bytes as content-length says
                let complete = |r: &[u8]| {
                    let text = String::from_utf8_lossy(r);
                    let Some(end) = text.find("\r\n\r\n") else {
                        return false;
                    };
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    r.len() >= end + 4 + length
                };
                while !complete(&request) {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request);
                let (status, body) = if issue_tokens && head.starts_with("POST /oauth2/tokenP") {
                    (
                        200,
                        br#"{"access_token":"echo-test-token-0123456789abcdefghijklmnop","token_type":"Bearer","expires_in":86400}"#.to_vec(),
                    )
                } else {
                    (status, request)
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.write_all(&body).await;
            });
        }
    });
    url
}

/// Auth endpoints answered by a server that echoes the request (app key and secret in its
/// JSON body or headers): the errors of tokenP, Approval, hashkey and revokeP, non-2xx and 2xx,
/// show neither the key nor the secret (nor the token being revoked), in Display or Debug.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_errors_from_an_echoing_server_show_no_secret() {
    let capture = capture();
    for status in [400, 502, 200] {
        let plain = echo_server(status, false).await;
        let with_tokens = echo_server(status, true).await;
        let client = |url: &str| {
            kis_api::Client::builder()
                .real()
                .app_key(APP_KEY, APP_SECRET)
                .rest_url(url)
                .token_cache(kis_api::TokenCache::Memory)
                .no_rate_limit()
                .build()
                .expect("client")
        };
        let (a, b) = (client(&plain), client(&with_tokens));
        let token = b.access_token().await.expect("token from the echo server");
        let errors = [
            (
                "tokenP",
                a.access_token().await.map(|_| ()).expect_err("tokenP"),
            ),
            (
                "Approval",
                a.approval_key().await.map(|_| ()).expect_err("Approval"),
            ),
            (
                "hashkey",
                a.hashkey(br#"{"CANO":"50012345","PDNO":"005930"}"#)
                    .await
                    .map(|_| ())
                    .expect_err("hashkey"),
            ),
            ("revokeP", b.revoke_token().await.expect_err("revokeP")),
        ];
        for (endpoint, e) in errors {
            assert!(matches!(e, kis_api::Error::Auth(_)), "{endpoint}: {e:?}");
            let shown = format!("{e}\n{e:?}");
            for (what, secret) in [
                ("app key", APP_KEY),
                ("app secret", APP_SECRET),
                ("access token", token.expose()),
            ] {
                assert!(
                    !shown.contains(secret),
                    "HTTP {status} from {endpoint}: the error shows the {what}:\n{shown}"
                );
            }
            if status != 200 {
                assert!(shown.contains(&format!("HTTP {status}")), "{shown}");
            }
        }
    }
    let logs = String::from_utf8_lossy(&capture.0.lock().expect("lock")).into_owned();
    assert!(!logs.contains(APP_KEY) && !logs.contains(APP_SECRET));
}
