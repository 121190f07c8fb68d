//! Auth endpoints: token issue and its once-per-interval rule, revoke, approval key, hashkey.

use std::time::Duration;

use crate::common::{APP_KEY, APP_SECRET, Kis, send};
use kis_mock::{MockConfig, MockServer};
use serde_json::json;

async fn token_request(
    addr: std::net::SocketAddr,
    key: &str,
    secret: &str,
) -> crate::common::Reply {
    let body = json!({"grant_type": "client_credentials", "appkey": key, "appsecret": secret});
    send(
        addr,
        "POST",
        "/oauth2/tokenP",
        &[("content-type", "application/json")],
        &body.to_string(),
    )
    .await
    .expect("reply")
}

#[tokio::test]
async fn token_issue_once_per_interval() {
    let server = MockServer::start(MockConfig::default())
        .await
        .expect("start");
    let addr = server.rest_addr();
    let r = token_request(addr, APP_KEY, APP_SECRET).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(r.str("/access_token").len() > 100);
    assert_eq!(r.str("/token_type"), "Bearer");
    assert_eq!(r.json["expires_in"], json!(86400), "expires_in is a number");
    let exp = r.str("/access_token_token_expired");
    assert!(
        chrono::NaiveDateTime::parse_from_str(exp, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{exp}"
    );
    // a second issue within the minute
    let r2 = token_request(addr, APP_KEY, APP_SECRET).await;
    assert_eq!(r2.status, 403);
    assert_eq!(r2.str("/error_code"), "EGW00133");
    assert_eq!(
        r2.str("/error_description"),
        "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"
    );
    let stats = server.control().stats();
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.token_issue_refused, 1);
    assert_eq!(server.control().tokens_issued(), 1);
    // the interval is per app key
    let r3 = token_request(addr, "another-key", APP_SECRET).await;
    assert_eq!(r3.status, 200);
    assert_eq!(server.control().tokens_issued(), 2);
}

#[tokio::test]
async fn short_interval_allows_a_later_issue() {
    let server = MockServer::start(
        MockConfig::default().with_token_issue_interval(Duration::from_millis(100)),
    )
    .await
    .expect("start");
    let addr = server.rest_addr();
    assert_eq!(token_request(addr, APP_KEY, APP_SECRET).await.status, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = token_request(addr, APP_KEY, APP_SECRET).await;
    assert_eq!(r.status, 200);
    assert_eq!(server.control().tokens_issued(), 2);
}

#[tokio::test]
async fn bad_token_requests_are_refused() {
    let server = MockServer::start(MockConfig::default().with_credentials("KEY", "SECRET"))
        .await
        .expect("start");
    let addr = server.rest_addr();
    let r = token_request(addr, "WRONG", "SECRET").await;
    assert_eq!((r.status, r.str("/error_code")), (403, "EGW00103"));
    let r = token_request(addr, "KEY", "WRONG").await;
    assert_eq!((r.status, r.str("/error_code")), (403, "EGW00105"));
    let r = send(
        addr,
        "POST",
        "/oauth2/tokenP",
        &[],
        "{\"appkey\":\"KEY\",\"appsecret\":\"SECRET\"}",
    )
    .await
    .expect("reply");
    assert_eq!(r.status, 403, "grant_type missing");
    let r = send(addr, "POST", "/oauth2/tokenP", &[], "garbage")
        .await
        .expect("reply");
    assert_eq!(r.status, 403);
    assert_eq!(token_request(addr, "KEY", "SECRET").await.status, 200);
    assert_eq!(server.control().tokens_issued(), 1);
}

#[tokio::test]
async fn revoke_invalidates_the_token() {
    let kis = Kis::start(MockConfig::default()).await;
    let body = json!({"appkey": APP_KEY, "appsecret": APP_SECRET, "token": kis.token});
    let r = send(kis.addr, "POST", "/oauth2/revokeP", &[], &body.to_string())
        .await
        .expect("reply");
    assert_eq!(r.status, 200);
    assert_eq!(r.json["code"], json!(200), "code is an integer");
    assert_eq!(r.str("/message"), "접근토큰 폐기에 성공하였습니다");
    let q = vec![
        ("FID_COND_MRKT_DIV_CODE".to_string(), "J".to_string()),
        ("FID_INPUT_ISCD".to_string(), "005930".to_string()),
    ];
    let r = kis
        .get(
            "/uapi/domestic-stock/v1/quotations/inquire-price",
            "FHKST01010100",
            "",
            &q,
        )
        .await
        .expect("reply");
    assert_eq!(r.str("/msg_cd"), "EGW00121");
    // revoking again fails
    let r = send(kis.addr, "POST", "/oauth2/revokeP", &[], &body.to_string())
        .await
        .expect("reply");
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn approval_key_needs_secretkey() {
    let server = MockServer::start(MockConfig::default())
        .await
        .expect("start");
    let addr = server.rest_addr();
    let wrong =
        json!({"grant_type": "client_credentials", "appkey": APP_KEY, "appsecret": APP_SECRET});
    let r = send(addr, "POST", "/oauth2/Approval", &[], &wrong.to_string())
        .await
        .expect("reply");
    assert_eq!((r.status, r.str("/error_code")), (403, "EGW00105"));
    let right =
        json!({"grant_type": "client_credentials", "appkey": APP_KEY, "secretkey": APP_SECRET});
    let r = send(addr, "POST", "/oauth2/Approval", &[], &right.to_string())
        .await
        .expect("reply");
    assert_eq!(r.status, 200);
    let key = r.str("/approval_key");
    let parts: Vec<&str> = key.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        vec![8, 4, 4, 4, 12],
        "{key}"
    );
    assert_eq!(server.control().stats().approvals_issued, 1);
}

#[tokio::test]
async fn hashkey_echoes_and_hashes() {
    let server = MockServer::start(MockConfig::default())
        .await
        .expect("start");
    let addr = server.rest_addr();
    let body = json!({"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_QTY": "1"})
        .to_string();
    let h = [
        ("appkey", APP_KEY),
        ("appsecret", APP_SECRET),
        ("content-type", "application/json"),
    ];
    let r = send(addr, "POST", "/uapi/hashkey", &h, &body)
        .await
        .expect("reply");
    assert_eq!(r.status, 200);
    assert_eq!(r.json["BODY"]["PDNO"], "005930");
    let hash = r.str("/HASH");
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    // same body, same hash; another body, another hash
    let r2 = send(addr, "POST", "/uapi/hashkey", &h, &body)
        .await
        .expect("reply");
    assert_eq!(r2.str("/HASH"), hash);
    let r3 = send(addr, "POST", "/uapi/hashkey", &h, "{\"a\":\"b\"}")
        .await
        .expect("reply");
    assert_ne!(r3.str("/HASH"), hash);
    // without app key headers
    let r4 = send(addr, "POST", "/uapi/hashkey", &[], &body)
        .await
        .expect("reply");
    assert_eq!((r4.status, r4.str("/msg_cd")), (500, "EGW00103"));
}
