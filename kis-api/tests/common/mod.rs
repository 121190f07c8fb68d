//! What the command-line tests share: a loopback HTTP server that answers each request by a
//! function of the request's text.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts a loopback server answering each request with `answer(request text)`: a status and a
/// body. Requests here are small: what arrives within 200 ms is the request. Returns its URL.
pub async fn loopback_http(
    answer: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let answer = std::sync::Arc::clone(&answer);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                while let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await
                {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let (status, body) = answer(&String::from_utf8_lossy(&request));
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            });
        }
    });
    url
}
