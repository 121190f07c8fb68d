//! A reply holding a key the catalog does not know and a value its type cannot read: kept on the
//! reply by default, an error naming the endpoint, TR ID, block and key in strict mode. kis-mock
//! answers only what the catalog describes, so a small local server sends this reply.

use kis_api::codes::StockMarket;
use kis_api::domestic_stock::inquire_price;
use kis_api::{Client, Decimal, Env, Error, TokenCache};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = r#"{"access_token":"strict-test-token","access_token_token_expired":"2099-12-31 23:59:59","token_type":"Bearer","expires_in":86400}"#;

const QUOTE: &str = r#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다.","output":{"stck_prpr":"71900","added_by_kis":"7","stck_mxpr":"93,400"}}"#;

/// The end of the request head (`\r\n\r\n`), if read yet.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Reads one request and answers it: the token on the token path, [`QUOTE`] on any other.
async fn answer(mut s: TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = head_end(&buf) {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
        if buf.len() > 1 << 20 {
            return;
        }
    }
    let body = if buf.starts_with(b"POST /oauth2/tokenP ") {
        TOKEN
    } else {
        QUOTE
    };
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(reply.as_bytes()).await;
}

/// A loopback server for [`answer`]; its base URL.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(answer(s));
        }
    });
    format!("http://{addr}")
}

fn client(url: &str, cache: &std::path::Path, strict: bool) -> Client {
    Client::builder()
        .environment(Env::Real)
        .app_key("strict-app-key", "strict-app-secret")
        .rest_url(url)
        .token_cache(TokenCache::Dir(cache.to_path_buf()))
        .no_rate_limit()
        .strict(strict)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn request() -> inquire_price::Request {
    inquire_price::Request::new(StockMarket::Krx, "005930")
}

#[tokio::test]
async fn unknown_keys_and_unreadable_values_are_on_the_reply() {
    let url = serve().await;
    let cache = tempfile::tempdir().expect("tempdir");
    let reply = client(&url, cache.path(), false)
        .domestic_stock()
        .inquire_price(request())
        .reply()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let output = reply.body.output.as_ref().expect("output");
    assert_eq!(output.stck_prpr, Some(Decimal::from(71900)));
    assert_eq!(
        output.stck_mxpr, None,
        "the unreadable value leaves its field empty"
    );
    let unknown: Vec<String> = reply.unknown_fields().map(|u| u.path()).collect();
    assert_eq!(unknown, ["output.added_by_kis"]);
    let unreadable: Vec<(String, Option<&str>)> = reply
        .unreadable_values()
        .map(|u| (u.path(), u.value().and_then(|v| v.as_str())))
        .collect();
    assert_eq!(
        unreadable,
        [("output.stck_mxpr".to_string(), Some("93,400"))]
    );
}

#[tokio::test]
async fn strict_mode_turns_them_into_an_error() {
    let url = serve().await;
    let cache = tempfile::tempdir().expect("tempdir");
    let err = client(&url, cache.path(), true)
        .domestic_stock()
        .inquire_price(request())
        .reply()
        .await
        .err()
        .unwrap_or_else(|| panic!("a strict client accepted an unknown key"));
    let text = err.to_string();
    match err {
        Error::Unrecognized {
            endpoint,
            tr_id,
            found,
        } => {
            assert_eq!(endpoint, "domestic_stock.inquire_price");
            assert_eq!(tr_id, "FHKST01010100");
            let paths: Vec<String> = found.iter().map(|u| u.path()).collect();
            assert_eq!(paths, ["output.added_by_kis", "output.stck_mxpr"]);
            assert_eq!(found[0].block, Some("output"));
            assert_eq!(found[0].key, "added_by_kis");
        }
        other => panic!("expected Error::Unrecognized, got {other:?}"),
    }
    assert!(
        text.contains("FHKST01010100") && text.contains("output.added_by_kis"),
        "{text}"
    );
    // values stay out of the message: an unknown key may hold personal data
    assert!(!text.contains("\"7\""), "{text}");
}
