//! Hostile input never panics the server: every weird request still gets an answer.

use crate::common::{APP_KEY, APP_SECRET, Kis, send, set, tr_of, well_formed};
use kis_mock::MockConfig;

const WEIRD: &[&str] = &[
    "",
    " ",
    "00000000",
    "99999999",
    "00010101",
    "-1",
    "18446744073709551616",
    "9223372036854775807",
    "1e308",
    "0.0000000001",
    "삼성전자^|\"\\",
    "%FF%FE",
    "\u{0}\u{1}",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weird_inputs_get_answers() {
    let kis = Kis::start(MockConfig::default().with_pages(2, 2)).await;
    let eps = kis.rest_endpoints();
    let mut answered = 0;
    for (n, ep) in eps.iter().enumerate() {
        let tr = tr_of(ep, false).expect("tr");
        let base = well_formed(ep, None);
        // every input in turn gets a weird value (a sample of endpoints keeps this short)
        if n % 7 != 0 {
            continue;
        }
        for (i, (k, _)) in base.iter().enumerate() {
            let w = WEIRD[(n + i) % WEIRD.len()];
            let mut inputs = base.clone();
            set(&mut inputs, k, w);
            for cont in ["", "N"] {
                let r = kis
                    .call(ep, &tr, cont, &inputs)
                    .await
                    .unwrap_or_else(|e| panic!("{} {k}={w:?}: {e}", ep.qualified_id));
                assert!(
                    matches!(r.status, 200 | 500),
                    "{} {}",
                    ep.qualified_id,
                    r.status
                );
                assert!(
                    r.json.get("rt_cd").is_some(),
                    "{}: {}",
                    ep.qualified_id,
                    r.json
                );
                answered += 1;
            }
        }
    }
    assert!(answered > 100);
    // raw garbage on the wire, headers and bodies
    let auth = format!("Bearer {}", kis.token);
    for (path, body) in [
        ("/uapi/domestic-stock/v1/trading/order-cash", "[]"),
        (
            "/uapi/domestic-stock/v1/trading/order-cash",
            "{\"ORD_QTY\":{\"a\":1},\"PDNO\":null}",
        ),
        ("/uapi/domestic-stock/v1/trading/order-cash", "\u{0}"),
        ("/uapi/hashkey", "{"),
        ("/oauth2/tokenP", "{\"grant_type\":1}"),
        ("/oauth2/revokeP", "null"),
        ("/oauth2/Approval", "\"x\""),
    ] {
        let r = send(
            kis.addr,
            "POST",
            path,
            &[
                ("authorization", &auth),
                ("appkey", APP_KEY),
                ("appsecret", APP_SECRET),
                ("tr_id", "TTTC0012U"),
            ],
            body,
        )
        .await
        .expect("answered");
        assert!(matches!(r.status, 200 | 403 | 500), "{path}: {}", r.status);
    }
    // a raw request with a mangled query and non-UTF-8 header values
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(kis.addr)
            .await
            .expect("connect");
        let mut req = b"GET /uapi/domestic-stock/v1/quotations/inquire-price?%%%&&==&a=%E0%A4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\ntr_id: ".to_vec();
        req.extend_from_slice(&[0xff, 0xfe]);
        req.extend_from_slice(b"\r\nauthorization: Bearer \xe3\x80\r\n\r\n");
        s.write_all(&req).await.expect("write");
        let mut out = Vec::new();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 500"), "{text}");
        assert!(text.contains("EGW00103"), "{text}");
    }
    // the server is still fine
    let ep = kis.endpoint("domestic_stock.inquire_price");
    let r = kis
        .call(&ep, "FHKST01010100", "", &well_formed(&ep, None))
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0");
}

/// A client that trickles its request headers (slowloris) is disconnected after the header
/// timeout instead of holding the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_headers_is_dropped_within_the_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let timeout = std::time::Duration::from_millis(500);
    let server = kis_mock::MockServer::start(MockConfig::default().with_header_timeout(timeout))
        .await
        .expect("server");
    // the server's clock starts when it accepts: start ours before connecting
    let started = std::time::Instant::now();
    let mut s = tokio::net::TcpStream::connect(server.rest_addr())
        .await
        .expect("connect");
    s.write_all(b"GET /uapi/domestic-stock/v1/quotations/inquire-price HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("first bytes");
    // one more header byte every 100 ms, never the blank line that ends the headers
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        loop {
            tokio::select! {
                r = s.read(&mut buf) => match r {
                    Ok(0) | Err(_) => return,
                    // hyper may answer 408 before closing; read on until the close
                    Ok(_) => {}
                },
                _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {
                    if s.write_all(b"x").await.is_err() {
                        return;
                    }
                }
            }
        }
    })
    .await;
    let took = started.elapsed();
    assert!(closed.is_ok(), "the connection was still open after 5 s");
    assert!(
        took >= timeout && took < timeout * 4,
        "dropped after {took:?}, timeout {timeout:?}"
    );
    // a well-behaved client is still served
    let r = send(server.rest_addr(), "GET", "/nowhere", &[], "")
        .await
        .expect("answer");
    assert_eq!(r.status, 404);
}

/// A 50 MB body gets a 413 in KIS's shape, not a reset; the server keeps at most its limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_body_gets_413_in_kis_shape() {
    let kis = Kis::start(MockConfig::default()).await;
    let auth = format!("Bearer {}", kis.token);
    let body = "x".repeat(50 * 1000 * 1000);
    let r = send(
        kis.addr,
        "POST",
        "/uapi/domestic-stock/v1/trading/order-cash",
        &[
            ("authorization", auth.as_str()),
            ("appkey", APP_KEY),
            ("appsecret", APP_SECRET),
            ("tr_id", "TTTC0012U"),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .await
    .expect("an answer, not a reset");
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.raw));
    assert_eq!(r.str("/msg_cd"), "OPSQ2001", "{}", r.json);
    assert!(r.str("/msg1").contains("BODY"), "{}", r.json);
    assert_ne!(r.str("/rt_cd"), "0");
    // the server still serves
    let ok = send(kis.addr, "POST", "/oauth2/tokenP", &[], "{}")
        .await
        .expect("answer");
    assert!(ok.status >= 200, "{}", ok.status);
}
