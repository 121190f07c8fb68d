//! Bounded resources: a response larger than the client's cap is refused without being read
//! whole (issue 14, item 5).

use std::time::Duration;

use kis_api::Error;
use kis_integration_tests::{APP_KEY, APP_SECRET, quote};

/// A loopback server that issues a token and answers anything else with `size` bytes, sent in
/// chunks; returns its URL and the number of body bytes it got to send.
async fn big_server(size: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let Ok(n) = s.read(&mut buf).await else {
                    return;
                };
                if String::from_utf8_lossy(&buf[..n]).starts_with("POST /oauth2/tokenP") {
                    let body = br#"{"access_token":"limits-token","expires_in":86400}"#;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(body).await;
                    return;
                }
                // no content-length: the client learns the size only by reading
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let mut done = 0;
                while done < size {
                    if s.write_all(&chunk).await.is_err() {
                        break;
                    }
                    done += chunk.len();
                    counter.fetch_add(chunk.len(), Ordering::Relaxed);
                }
            });
        }
    });
    (url, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_over_the_cap_is_refused_without_reading_it_whole() {
    let size = 256 * 1024 * 1024;
    let (url, sent) = big_server(size).await;
    let client = kis_api::Client::builder()
        .environment(kis_api::Env::Real)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(url)
        .token_cache(kis_api::TokenCache::Memory)
        .no_rate_limit()
        .retry(kis_api::RetryPolicy::none())
        .timeout(Duration::from_secs(30))
        .max_response_bytes(1024 * 1024)
        .build()
        .expect("client");
    let err = quote(&client).await.expect_err("too large");
    match &err {
        Error::ResponseTooLarge { endpoint, limit } => {
            assert_eq!(*endpoint, "domestic_stock.inquire_price");
            assert_eq!(*limit, 1024 * 1024);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert!(err.to_string().contains("1048576-byte limit"), "{err}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pushed = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        pushed < size,
        "the client read the whole body ({pushed} bytes)"
    );
}
