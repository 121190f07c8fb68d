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
