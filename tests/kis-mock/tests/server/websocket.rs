//! WebSocket: subscribe protocol, cap, PINGPONG, multi-record tick frames, encrypted execution
//! notices, server-side drops and raw frames.

use std::time::Duration;

use crate::common::{Kis, set, well_formed};
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, KeyIvInit};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use kis_mock::MockConfig;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn approval(kis: &Kis) -> String {
    let body = json!({"grant_type": "client_credentials", "appkey": crate::common::APP_KEY, "secretkey": crate::common::APP_SECRET});
    let r = crate::common::send(kis.addr, "POST", "/oauth2/Approval", &[], &body.to_string())
        .await
        .expect("reply");
    r.str("/approval_key").to_string()
}

async fn connect(kis: &Kis) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(kis.server.ws_url())
        .await
        .expect("ws connect");
    ws
}

fn sub_msg(key: &str, tr_type: &str, tr_id: &str, tr_key: &str) -> String {
    json!({
        "header": {"approval_key": key, "custtype": "P", "tr_type": tr_type, "content-type": "utf-8"},
        "body": {"input": {"tr_id": tr_id, "tr_key": tr_key}}
    })
    .to_string()
}

/// The next text message (skipping PINGPONG unless asked for), or None on close/timeout.
async fn next_text(ws: &mut Ws, skip_ping: bool) -> Option<String> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .ok()??;
        match m {
            Ok(Message::Text(t)) => {
                let s = t.as_str().to_string();
                if skip_ping && s.contains("\"PINGPONG\"") {
                    continue;
                }
                return Some(s);
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The next JSON control reply (skipping data frames and PINGPONG).
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let t = next_text(ws, true).await.expect("a reply");
        if t.starts_with('{') {
            return serde_json::from_str(&t).expect("json");
        }
    }
}

async fn request(ws: &mut Ws, msg: String) -> Value {
    ws.send(Message::text(msg)).await.expect("send");
    next_json(ws).await
}

fn quiet() -> MockConfig {
    MockConfig::default().with_ticks(false, Duration::from_millis(50))
}

#[tokio::test]
async fn subscribe_and_unsubscribe() {
    let kis = Kis::start(quiet()).await;
    let key = approval(&kis).await;
    let mut ws = connect(&kis).await;
    let r = request(&mut ws, sub_msg(&key, "1", "H0STCNT0", "005930")).await;
    assert_eq!(r["header"]["tr_id"], "H0STCNT0");
    assert_eq!(r["header"]["tr_key"], "005930");
    assert_eq!(r["header"]["encrypt"], "N");
    assert_eq!(r["body"]["rt_cd"], "0");
    assert_eq!(r["body"]["msg_cd"], "OPSP0000");
    assert_eq!(r["body"]["msg1"], "SUBSCRIBE SUCCESS");
    assert_eq!(r["body"]["output"]["key"].as_str().map(str::len), Some(32));
    assert_eq!(r["body"]["output"]["iv"].as_str().map(str::len), Some(16));
    assert_eq!(kis.control().subscription_count(), 1);
    let r = request(&mut ws, sub_msg(&key, "1", "H0STCNT0", "005930")).await;
    assert_eq!(r["body"]["msg_cd"], "OPSP0002");
    let r = request(&mut ws, sub_msg(&key, "2", "H0STCNT0", "005930")).await;
    assert_eq!(
        (r["body"]["rt_cd"].as_str(), r["body"]["msg_cd"].as_str()),
        (Some("0"), Some("OPSP0001"))
    );
    assert_eq!(r["body"]["msg1"], "UNSUBSCRIBE SUCCESS");
    let r = request(&mut ws, sub_msg(&key, "2", "H0STCNT0", "005930")).await;
    assert_eq!(
        (r["body"]["rt_cd"].as_str(), r["body"]["msg_cd"].as_str()),
        (Some("1"), Some("OPSP0003"))
    );
    assert_eq!(kis.control().subscription_count(), 0);
    // unknown TR, unknown approval key, malformed JSON
    let r = request(&mut ws, sub_msg(&key, "1", "H0NOPE00", "005930")).await;
    assert_eq!(r["body"]["rt_cd"], "1");
    let r = request(&mut ws, sub_msg("not-a-key", "1", "H0STCNT0", "005930")).await;
    assert_eq!(
        (r["body"]["rt_cd"].as_str(), r["body"]["msg_cd"].as_str()),
        (Some("1"), Some("OPSP0011"))
    );
    let r = request(&mut ws, "{oops".to_string()).await;
    assert_eq!(r["body"]["rt_cd"], "1");
    assert!(kis.control().stats().ws_subscribe_messages >= 6);
}

#[tokio::test]
async fn one_session_per_approval_key() {
    let kis = Kis::start(quiet()).await;
    let key = approval(&kis).await;
    let mut a = connect(&kis).await;
    let r = request(&mut a, sub_msg(&key, "1", "H0STCNT0", "005930")).await;
    assert_eq!(r["body"]["msg_cd"], "OPSP0000");
    let mut b = connect(&kis).await;
    let r = request(&mut b, sub_msg(&key, "1", "H0STCNT0", "000660")).await;
    assert_eq!(
        (r["body"]["rt_cd"].as_str(), r["body"]["msg_cd"].as_str()),
        (Some("1"), Some("OPSP8996"))
    );
    // once the first session is gone the key is free again
    a.close(None).await.expect("close");
    drop(a);
    let mut freed = false;
    for _ in 0..50 {
        let r = request(&mut b, sub_msg(&key, "1", "H0STCNT0", "000660")).await;
        if r["body"]["msg_cd"] == "OPSP0000" {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed);
}

#[tokio::test]
async fn subscription_cap_from_the_catalog() {
    let kis = Kis::start(quiet()).await;
    let cap = kis.server.catalog().common.limits.websocket_subscriptions as usize;
    assert_eq!(cap, 40);
    let key = approval(&kis).await;
    let mut ws = connect(&kis).await;
    for i in 0..cap {
        let r = request(
            &mut ws,
            sub_msg(&key, "1", "H0STCNT0", &format!("{:06}", i + 1)),
        )
        .await;
        assert_eq!(r["body"]["msg_cd"], "OPSP0000", "{i}");
    }
    let r = request(&mut ws, sub_msg(&key, "1", "H0STCNT0", "999999")).await;
    assert_eq!(
        (r["body"]["rt_cd"].as_str(), r["body"]["msg_cd"].as_str()),
        (Some("1"), Some("OPSP0008"))
    );
    assert_eq!(r["body"]["msg1"], "MAX SUBSCRIBE OVER");
    assert_eq!(kis.control().subscription_count(), cap);
}

#[tokio::test]
async fn pingpong_is_sent_and_echoes_counted() {
    let kis = Kis::start(quiet().with_ping_interval(Duration::from_millis(100))).await;
    let mut ws = connect(&kis).await;
    let ping = next_text(&mut ws, false).await.expect("a PINGPONG");
    let v: Value = serde_json::from_str(&ping).expect("json");
    assert_eq!(v["header"]["tr_id"], "PINGPONG");
    ws.send(Message::text(ping)).await.expect("echo");
    let mut counted = false;
    for _ in 0..100 {
        if kis.control().stats().pingpong_echoes >= 1 {
            counted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(counted);
    assert!(kis.control().stats().pingpongs_sent >= 1);
}

#[tokio::test]
async fn tick_frames_carry_several_records() {
    let kis = Kis::start(MockConfig::default().with_ticks(true, Duration::from_millis(20))).await;
    let columns = kis
        .endpoint("domestic_stock.ccnl_krx")
        .realtime
        .expect("realtime")
        .columns
        .len();
    let key = approval(&kis).await;
    let mut ws = connect(&kis).await;
    let r = request(&mut ws, sub_msg(&key, "1", "H0STCNT0", "005930")).await;
    assert_eq!(r["body"]["msg_cd"], "OPSP0000");
    let mut max_records = 0;
    for _ in 0..200 {
        let t = next_text(&mut ws, true).await.expect("frame");
        if t.starts_with('{') {
            continue;
        }
        let parts: Vec<&str> = t.splitn(4, '|').collect();
        assert_eq!(parts.len(), 4, "{t}");
        assert_eq!((parts[0], parts[1]), ("0", "H0STCNT0"));
        assert_eq!(parts[2].len(), 3);
        let n: usize = parts[2].parse().expect("count");
        assert!((1..=4).contains(&n));
        let fields: Vec<&str> = parts[3].split('^').collect();
        assert_eq!(fields.len(), n * columns, "{n} records of {columns} fields");
        for r in 0..n {
            assert_eq!(fields[r * columns], "005930");
        }
        max_records = max_records.max(n);
        if max_records > 1 {
            break;
        }
    }
    assert!(max_records > 1, "some frame holds several records");
    // stopping ticks stops frames
    kis.control().set_ticks(false);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // drain what was in flight; bounded, so ticks that never stop fail below instead of hanging
    for _ in 0..100 {
        if !matches!(
            tokio::time::timeout(Duration::from_millis(50), ws.next()).await,
            Ok(Some(_))
        ) {
            break;
        }
    }
    let quiet = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(quiet.is_err(), "no frames after set_ticks(false)");
}

fn decrypt(key: &str, iv: &str, b64: &str) -> String {
    let ct = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(key.as_bytes(), iv.as_bytes())
        .expect("key/iv");
    let pt = dec.decrypt_padded_vec::<Pkcs7>(&ct).expect("padding");
    String::from_utf8(pt).expect("utf-8")
}

async fn notices_for(config: MockConfig, notice_tr: &str, order_tr: &str) {
    let hts = config.hts_id.clone();
    let kis = Kis::start(config).await;
    let columns = kis
        .endpoint("domestic_stock.ccnl_notice")
        .realtime
        .expect("rt")
        .columns;
    let key = approval(&kis).await;
    let mut ws = connect(&kis).await;
    let r = request(&mut ws, sub_msg(&key, "1", notice_tr, &hts)).await;
    assert_eq!(r["body"]["msg_cd"], "OPSP0000", "{r}");
    assert_eq!(r["header"]["encrypt"], "Y");
    let k = r["body"]["output"]["key"]
        .as_str()
        .expect("key")
        .to_string();
    let iv = r["body"]["output"]["iv"].as_str().expect("iv").to_string();
    // a market buy: accepted, then filled
    let ep = kis.endpoint("domestic_stock.order_cash");
    let mut inputs = well_formed(&ep, None);
    set(&mut inputs, "PDNO", "005930");
    set(&mut inputs, "ORD_DVSN", "01");
    set(&mut inputs, "ORD_UNPR", "0");
    set(&mut inputs, "ORD_QTY", "7");
    let r = kis.call(&ep, order_tr, "", &inputs).await.expect("reply");
    let odno = r.str("/output/ODNO").to_string();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let t = next_text(&mut ws, true).await.expect("notice");
        let parts: Vec<&str> = t.splitn(4, '|').collect();
        assert_eq!(
            (parts[0], parts[1], parts[2]),
            ("1", notice_tr, "001"),
            "{t}"
        );
        let plain = decrypt(&k, &iv, parts[3]);
        let fields: Vec<String> = plain.split('^').map(str::to_string).collect();
        assert_eq!(fields.len(), columns.len());
        let get = |name: &str| {
            let i = columns.iter().position(|c| c.wire == name).expect(name);
            fields[i].clone()
        };
        assert_eq!(get("CUST_ID"), hts);
        assert_eq!(get("ODER_NO"), odno);
        assert_eq!(get("STCK_SHRN_ISCD"), "005930");
        assert_eq!(get("ODER_QTY"), "7");
        assert_eq!(get("SELN_BYOV_CLS"), "02");
        seen.push((get("CNTG_YN"), get("CNTG_QTY")));
    }
    assert_eq!(seen[0], ("1".to_string(), "0".to_string()));
    assert_eq!(seen[1], ("2".to_string(), "7".to_string()));
}

#[tokio::test]
async fn encrypted_notices_real() {
    notices_for(quiet(), "H0STCNI0", "TTTC0012U").await;
}

#[tokio::test]
async fn encrypted_notices_demo() {
    let c = MockConfig {
        hts_id: "demohts".into(),
        ..MockConfig::demo()
    }
    .with_ticks(false, Duration::from_millis(50));
    notices_for(c, "H0STCNI9", "VTTC0012U").await;
}

#[tokio::test]
async fn server_drops_connections_and_clients_resubscribe() {
    let kis = Kis::start(quiet()).await;
    let key = approval(&kis).await;
    let mut ws = connect(&kis).await;
    assert_eq!(
        request(&mut ws, sub_msg(&key, "1", "H0STCNT0", "005930")).await["body"]["msg_cd"],
        "OPSP0000"
    );
    // a raw frame reaches the client verbatim
    kis.control().push_raw_frame("0|H0STCNT0|002|garbage");
    assert_eq!(
        next_text(&mut ws, true).await.as_deref(),
        Some("0|H0STCNT0|002|garbage")
    );
    kis.control().drop_ws_connections();
    assert_eq!(next_text(&mut ws, true).await, None, "closed by the server");
    let mut ok = false;
    for _ in 0..50 {
        let mut again = connect(&kis).await;
        let r = request(&mut again, sub_msg(&key, "1", "H0STCNT0", "005930")).await;
        if r["body"]["msg_cd"] == "OPSP0000" {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "resubscribed after reconnecting");
    assert!(kis.control().stats().ws_connections >= 2);
}
