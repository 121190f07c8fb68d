//! Issue 24, item 11: the WebSocket side is bounded. Connections over the cap are answered
//! `503 Service Unavailable` before the upgrade (REST keeps working), a client that never
//! finishes its handshake is dropped, and an oversized message (whole or fragmented) closes its
//! connection.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kis_mock::MockConfig;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::{APP_KEY, APP_SECRET, Kis, send};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn quiet() -> MockConfig {
    MockConfig::default().with_ticks(false, Duration::from_millis(50))
}

async fn try_connect(kis: &Kis) -> Result<Ws, WsError> {
    tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(kis.server.ws_url()),
    )
    .await
    .expect("the handshake ends")
    .map(|(ws, _)| ws)
}

/// Whether the server ends the connection (close frame, error or end) within 5 s, reading
/// past anything else it sends.
async fn closed_by_server(ws: &mut Ws) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => {}
        }
    }
}

#[tokio::test]
async fn connections_over_the_cap_get_503_and_rest_keeps_working() {
    let kis = Kis::start(quiet().with_ws_max_connections(2)).await;
    let first = try_connect(&kis).await.expect("first connection");
    let _second = try_connect(&kis).await.expect("second connection");
    match try_connect(&kis).await {
        Err(WsError::Http(answer)) => {
            assert_eq!(answer.status().as_u16(), 503);
            assert!(answer.headers().contains_key("retry-after"));
            let body = answer.body().as_deref().unwrap_or_default();
            let body = String::from_utf8_lossy(body);
            assert!(body.contains("too many WebSocket connections"), "{body}");
        }
        Err(other) => panic!("a 503 answer, not {other}"),
        Ok(_) => panic!("a third connection was upgraded over a cap of 2"),
    }
    assert!(kis.control().stats().ws_refused >= 1);
    // REST is not starved
    let body = serde_json::json!({"grant_type": "client_credentials", "appkey": APP_KEY, "secretkey": APP_SECRET});
    let approval = send(kis.addr, "POST", "/oauth2/Approval", &[], &body.to_string())
        .await
        .expect("a REST answer");
    assert_eq!(approval.status, 200);
    // a closed connection frees its place
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(ws) = try_connect(&kis).await {
            again = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        again.is_some(),
        "the place of a closed connection is reused"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_dropped() {
    let kis = Kis::start(
        quiet()
            .with_ws_max_connections(1)
            .with_ws_handshake_timeout(Duration::from_millis(200)),
    )
    .await;
    let mut silent = TcpStream::connect(kis.server.ws_addr())
        .await
        .expect("tcp connect");
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the server closes a silent connection: {read:?}"
    );
    // its place went back: the one connection allowed is available
    let ws = try_connect(&kis).await;
    assert!(ws.is_ok(), "{:?}", ws.err());
}

#[tokio::test]
async fn oversized_messages_close_the_connection() {
    let kis = Kis::start(quiet().with_ws_max_message_bytes(1024)).await;
    // one message over the limit
    let mut ws = try_connect(&kis).await.expect("connect");
    ws.send(Message::text("x".repeat(4096)))
        .await
        .expect("send");
    assert!(
        closed_by_server(&mut ws).await,
        "a 4 KiB message over 1 KiB"
    );

    // a fragmented message that never ends, growing past the limit
    let mut ws = try_connect(&kis).await.expect("connect");
    let mut sent = 0;
    for i in 0..8 {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::message(vec![b'y'; 512], opcode, false);
        if ws.send(Message::Frame(frame)).await.is_err() {
            break;
        }
        sent += 1;
    }
    assert!(sent >= 2, "fragments were sent");
    assert!(
        closed_by_server(&mut ws).await,
        "an unfinished fragmented message past 1 KiB"
    );

    // messages under the limit are served as before
    let mut ws = try_connect(&kis).await.expect("connect");
    ws.send(Message::text("{}")).await.expect("send");
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
    assert!(
        matches!(reply, Ok(Some(Ok(Message::Text(_))))),
        "an answer to a small message: {reply:?}"
    );
}
