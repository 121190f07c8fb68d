//! The session against small loopback WebSocket servers that behave badly: one that completes
//! the handshake and closes at once, one that refuses a subscription with a message echoing the
//! approval key and credentials. kis-mock issues the approval key over REST.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{ConnectionState, RealtimeError, ReconnectPolicy, Session};
use crate::test_log::Capture;
use crate::{AnyEnv, Client, Env, Error, TokenCache, domestic_stock};

const APP_KEY: &str = "PShostileAppKey00000000000000000000";
const APP_SECRET: &str = "hostile-app-secret-value-that-must-never-be-logged";
const WAIT: Duration = Duration::from_secs(15);

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(WAIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// A loopback WebSocket server running `behave` on every connection after the handshake; its
/// `ws://` URL and the times connections arrived.
async fn ws_server<F, Fut>(behave: F) -> (String, Arc<Mutex<Vec<Instant>>>)
where
    F: Fn(WebSocketStream<TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("address"));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&arrivals);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            seen.lock().expect("lock").push(Instant::now());
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                tokio::spawn(behave(ws));
            }
        }
    });
    (url, arrivals)
}

/// kis-mock for the approval key, and a client of it whose WebSocket URL is `ws_url`.
async fn client(ws_url: &str) -> (kis_mock::MockServer, Client<AnyEnv>) {
    let mock = kis_mock::MockServer::start(
        kis_mock::MockConfig::default().with_credentials(APP_KEY, APP_SECRET),
    )
    .await
    .expect("kis-mock");
    let client = Client::builder()
        .environment(Env::Real)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(mock.rest_url())
        .websocket_url(ws_url)
        .token_cache(TokenCache::Memory)
        .no_rate_limit()
        .build()
        .expect("client");
    (mock, client)
}

async fn session(client: &Client<AnyEnv>, policy: ReconnectPolicy) -> Session {
    within(
        "the session",
        client.realtime_builder().reconnect(policy).connect(),
    )
    .await
    .expect("session")
}

#[tokio::test]
async fn a_server_that_closes_after_the_handshake_gets_growing_waits() {
    let capture = Capture::start();
    let (url, arrivals) = ws_server(|mut ws| async move {
        let _ = ws.close(None).await;
    })
    .await;
    let (_mock, client) = client(&url).await;
    let base = Duration::from_millis(20);
    let policy = ReconnectPolicy {
        base_delay: base,
        max_delay: base * 8,
        max_attempts: None,
    };
    let session = session(&client, policy).await;
    // a subscription that is never answered: the resubscription goes out on each connection
    let pending = tokio::spawn({
        let session = session.clone();
        async move { session.subscribe(domestic_stock::H0STCNT0, "005930").await }
    });
    const CONNECTIONS: usize = 7;
    within("reconnects", async {
        while arrivals.lock().expect("lock").len() < CONNECTIONS {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let times = arrivals.lock().expect("lock").clone();
    // the wait before attempt n is at least half of base * 2^(n-1), capped at max_delay
    for (n, pair) in times.windows(2).take(CONNECTIONS - 1).enumerate() {
        let gap = pair[1].duration_since(pair[0]);
        let least = (base * (1 << n)).min(base * 8) / 2;
        assert!(
            gap >= least,
            "attempt {}: waited {gap:?}, expected at least {least:?} (all gaps: {:?})",
            n + 1,
            times.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
        );
    }
    assert!(!pending.is_finished(), "never confirmed, never refused");
    pending.abort();
    // each reconnect and its wait is announced at warn
    let announced: Vec<String> = capture
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("WARN") && l.contains("reconnecting after a wait"))
        .collect();
    assert!(announced.len() >= CONNECTIONS - 1, "{announced:#?}");
    for (n, line) in announced.iter().take(CONNECTIONS - 1).enumerate() {
        assert!(
            line.contains(&format!("attempt={}", n + 1)) && line.contains("wait="),
            "{line}"
        );
    }
    within("the close", session.close()).await;
}

#[tokio::test]
async fn a_server_that_closes_after_the_handshake_exhausts_the_attempts() {
    let (url, arrivals) = ws_server(|mut ws| async move {
        let _ = ws.close(None).await;
    })
    .await;
    let (_mock, client) = client(&url).await;
    let policy = ReconnectPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_attempts: Some(3),
    };
    let session = session(&client, policy).await;
    within("the session to give up", async {
        while session.status().state != ConnectionState::Closed {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    // the first connection and three attempts: handshakes that prove nothing do not reset
    assert_eq!(arrivals.lock().expect("lock").len(), 4);
    let err = session
        .subscribe(domestic_stock::H0STCNT0, "005930")
        .await
        .expect_err("closed");
    assert!(
        matches!(err, Error::Realtime(RealtimeError::Closed { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refusal_echoing_the_approval_key_and_credentials_shows_neither() {
    let capture = Capture::start();
    let approval: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = Arc::clone(&approval);
    let (url, _arrivals) = ws_server(move |mut ws| {
        let seen = Arc::clone(&seen);
        async move {
            // the subscribe request, echoed back whole in a refusal (as a broken gateway would),
            // with the credentials and the key itself as the message code
            let Some(Ok(Message::Text(request))) = ws.next().await else {
                return;
            };
            let v: serde_json::Value = serde_json::from_str(&request).expect("JSON");
            let key = v["header"]["approval_key"].as_str().expect("key").to_owned();
            *seen.lock().expect("lock") = Some(key.clone());
            let refusal = serde_json::json!({
                "header": {"tr_id": "H0STCNT0", "tr_key": "005930"},
                "body": {
                    "rt_cd": "1",
                    "msg_cd": key,
                    "msg1": format!("invalid request {request} appkey {APP_KEY} secret {APP_SECRET} key {key}"),
                },
            });
            let _ = ws.send(Message::text(refusal.to_string())).await;
            // then a close whose reason echoes the key too
            let frame = CloseFrame {
                code: CloseCode::Policy,
                reason: format!("bye {key}").into(),
            };
            let _ = ws.send(Message::Close(Some(frame))).await;
        }
    })
    .await;
    let (_mock, client) = client(&url).await;
    let session = session(&client, ReconnectPolicy::never()).await;
    let err = session
        .subscribe(domestic_stock::H0STCNT0, "005930")
        .await
        .expect_err("refused");
    within("the session to close", async {
        while session.status().state != ConnectionState::Closed {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let key = approval
        .lock()
        .expect("lock")
        .clone()
        .expect("the request was read");
    let shown = format!("{err}\n{err:?}");
    let logs = capture.lines().join("\n");
    for (what, text) in [("error", &shown), ("logs", &logs)] {
        for secret in [key.as_str(), APP_KEY, APP_SECRET] {
            assert!(!text.contains(secret), "{what} show {secret}:\n{text}");
        }
    }
    assert!(
        matches!(err, Error::Realtime(RealtimeError::Rejected { .. })),
        "{err:?}"
    );
    assert!(
        shown.contains("invalid request"),
        "the message is kept: {shown}"
    );
    // the refusal and the close were logged, scrubbed
    assert!(logs.contains("subscription refused"), "{logs}");
    assert!(logs.contains("bye ***"), "{logs}");
}
