//! REST behaviour: the wire format of a quote (raw bytes), KIS's checks and their error codes,
//! determinism and plausibility of generated data.

use std::time::Duration;

use crate::common::{APP_KEY, APP_SECRET, Kis, send, set, well_formed};
use kis_mock::{Environment, MockConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PRICE_PATH: &str = "/uapi/domestic-stock/v1/quotations/inquire-price";

fn quote_inputs(code: &str) -> Vec<(String, String)> {
    vec![
        ("FID_COND_MRKT_DIV_CODE".into(), "J".into()),
        ("FID_INPUT_ISCD".into(), code.into()),
    ]
}

/// Reads one HTTP response (head + Content-Length body) from a raw stream.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> (String, Vec<u8>) {
    loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p + 4]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse().ok())
                .expect("Content-Length header, title-cased");
            while buf.len() < p + 4 + len {
                let mut chunk = [0u8; 4096];
                let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk))
                    .await
                    .expect("read in time")
                    .expect("read");
                assert!(n > 0, "connection closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[p + 4..p + 4 + len].to_vec();
            buf.drain(..p + 4 + len);
            return (head, body);
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk))
            .await
            .expect("read in time")
            .expect("read");
        assert!(n > 0, "connection closed before the head");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn quote_is_served_exactly_as_kis_on_the_wire() {
    let kis = Kis::start(MockConfig::default()).await;
    let mut s = TcpStream::connect(kis.addr).await.expect("connect");
    let req = format!(
        "GET {PRICE_PATH}?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930 HTTP/1.1\r\n\
         Host: x\r\ncontent-type: application/json; charset=utf-8\r\n\
         authorization: Bearer {}\r\nappkey: {APP_KEY}\r\nappsecret: {APP_SECRET}\r\n\
         tr_id: FHKST01010100\r\ntr_cont: \r\ncusttype: P\r\n\r\n",
        kis.token
    );
    // two requests on one keep-alive connection: both heads are re-cased
    let mut buf = Vec::new();
    for _ in 0..2 {
        s.write_all(req.as_bytes()).await.expect("write");
        let (head, body) = read_response(&mut s, &mut buf).await;
        let lines: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(lines[0], "HTTP/1.1 200 OK");
        assert!(
            lines.contains(&"Content-Type: application/json; charset=utf-8"),
            "{head}"
        );
        assert!(lines.contains(&"tr_id: FHKST01010100"), "{head}");
        assert!(lines.contains(&"tr_cont: "), "{head}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("gt_uid: ") && l.len() > 20),
            "{head}"
        );
        assert!(lines.iter().any(|l| l.starts_with("Date: ")), "{head}");
        assert!(
            lines.contains(&format!("Content-Length: {}", body.len()).as_str()),
            "{head}"
        );
        // no header name in any other casing
        for l in &lines[1..] {
            let name = l.split(':').next().unwrap_or("");
            assert!(
                !name.starts_with("content-") && !name.starts_with("Tr_") && name != "date",
                "{l}"
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["rt_cd"], "0");
        assert_eq!(v["msg_cd"], "MCA00000");
        assert_eq!(v["msg1"], "정상처리 되었습니다.");
        assert_eq!(v["output"]["stck_shrn_iscd"], "005930");
        let price = kis.control().price("domestic_stock", "005930");
        assert_eq!(v["output"]["stck_prpr"], price.as_str());
        assert!(v["output"].as_object().is_some_and(|o| o.len() > 50));
    }
}

#[tokio::test]
async fn set_price_moves_the_quote() {
    let kis = Kis::start(MockConfig::default()).await;
    kis.control().set_price("005930", "71900");
    let r = kis
        .get(PRICE_PATH, "FHKST01010100", "", &quote_inputs("005930"))
        .await
        .expect("reply");
    assert_eq!(r.str("/output/stck_prpr"), "71900");
    let lo: i64 = r.str("/output/stck_lwpr").parse().expect("low");
    let hi: i64 = r.str("/output/stck_hgpr").parse().expect("high");
    assert!(lo <= 71900 && 71900 <= hi);
}

#[tokio::test]
async fn wrong_tr_for_the_path_is_refused() {
    let kis = Kis::start(MockConfig::default()).await;
    // the TR ID of the daily chart on the price path
    let r = kis
        .get(PRICE_PATH, "FHKST03010100", "", &quote_inputs("005930"))
        .await
        .expect("reply");
    assert_eq!(r.status, 500);
    assert_eq!(r.str("/rt_cd"), "1");
    assert_eq!(r.str("/msg_cd"), "OPSQ0002");
    assert_eq!(r.str("/msg1"), "없는 서비스 코드 입니다");
    // and no TR ID at all
    let r = kis
        .get(PRICE_PATH, "", "", &quote_inputs("005930"))
        .await
        .expect("reply");
    assert_eq!(r.status, 500);
    assert_eq!(r.str("/msg_cd"), "OPSQ0002");
}

#[tokio::test]
async fn real_only_tr_in_demo_and_demo_tr_on_real() {
    let demo = Kis::start(MockConfig::demo()).await;
    let ep = demo.endpoint("overseas_futureoption.inquire_time_futurechartprice");
    assert!(!ep.demo);
    let r = demo
        .call(&ep, "HHDFC55020400", "", &well_formed(&ep, None))
        .await
        .expect("reply");
    assert_eq!(
        (r.status, r.str("/rt_cd"), r.str("/msg_cd")),
        (500, "1", "MCA00124")
    );
    assert!(r.str("/msg1").contains("모의투자 TR 이 아닙니다"));
    // demo serves the demo TR of a demo endpoint, and refuses its real TR
    let bal = demo.endpoint("domestic_stock.inquire_balance");
    let r = demo
        .call(&bal, "VTTC8434R", "", &well_formed(&bal, None))
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
    let r = demo
        .call(&bal, "TTTC8434R", "", &well_formed(&bal, None))
        .await
        .expect("reply");
    assert_eq!(r.str("/msg_cd"), "MCA00124");

    let real = Kis::start(MockConfig::default().with_environment(Environment::Real)).await;
    let r = real
        .call(&bal, "VTTC8434R", "", &well_formed(&bal, None))
        .await
        .expect("reply");
    assert_eq!(
        (r.status, r.str("/rt_cd"), r.str("/msg_cd")),
        (500, "1", "EGW02004")
    );
    // an alias of the catalog is accepted (order_cash buy before 2024)
    let order = real.endpoint("domestic_stock.order_cash");
    let mut inputs = well_formed(&order, None);
    set(&mut inputs, "ORD_UNPR", "1");
    let r = real
        .call(&order, "TTTC0802U", "", &inputs)
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0", "{}", r.json);
}

#[tokio::test]
async fn missing_or_invalid_inputs_are_refused_like_kis() {
    let kis = Kis::start(MockConfig::default()).await;
    let r = kis
        .get(
            PRICE_PATH,
            "FHKST01010100",
            "",
            &[("FID_COND_MRKT_DIV_CODE".into(), "J".into())],
        )
        .await
        .expect("reply");
    assert_eq!(r.status, 500);
    assert_eq!(r.str("/rt_cd"), "2");
    assert_eq!(r.str("/msg_cd"), "OPSQ2001");
    assert_eq!(r.str("/msg1"), "ERROR INVALID FID_INPUT_ISCD");
    // blank counts as missing
    let r = kis
        .get(PRICE_PATH, "FHKST01010100", "", &quote_inputs(""))
        .await
        .expect("reply");
    assert_eq!(r.str("/msg1"), "ERROR INVALID FID_INPUT_ISCD");
    // a value outside the catalog's list for a required field
    let mut inputs = quote_inputs("005930");
    set(&mut inputs, "FID_COND_MRKT_DIV_CODE", "Q");
    let r = kis
        .get(PRICE_PATH, "FHKST01010100", "", &inputs)
        .await
        .expect("reply");
    assert_eq!(r.str("/msg1"), "ERROR INVALID FID_COND_MRKT_DIV_CODE");
    // keys match case-insensitively
    let lower = vec![
        ("fid_cond_mrkt_div_code".to_string(), "J".to_string()),
        ("fid_input_iscd".to_string(), "005930".to_string()),
    ];
    let r = kis
        .get(PRICE_PATH, "FHKST01010100", "", &lower)
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0");
    // a POST whose body is not JSON
    let auth = format!("Bearer {}", kis.token);
    let r = send(
        kis.addr,
        "POST",
        "/uapi/domestic-stock/v1/trading/order-cash",
        &[
            ("authorization", &auth),
            ("appkey", APP_KEY),
            ("appsecret", APP_SECRET),
            ("tr_id", "TTTC0012U"),
        ],
        "{not json",
    )
    .await
    .expect("reply");
    assert_eq!((r.status, r.str("/rt_cd")), (500, "2"));
    assert!(kis.control().orders().is_empty());
}

#[tokio::test]
async fn token_and_key_checks() {
    let kis = Kis::start(MockConfig::default()).await;
    let h = |auth: &'static str| {
        vec![
            ("authorization", auth),
            ("appkey", APP_KEY),
            ("appsecret", APP_SECRET),
            ("tr_id", "FHKST01010100"),
        ]
    };
    let url = format!("{PRICE_PATH}?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930");
    let r = send(kis.addr, "GET", &url, &h(""), "")
        .await
        .expect("reply");
    assert_eq!((r.status, r.str("/msg_cd")), (500, "EGW00121"));
    let r = send(kis.addr, "GET", &url, &h("Bearer not-a-token"), "")
        .await
        .expect("reply");
    assert_eq!((r.status, r.str("/msg_cd")), (500, "EGW00121"));
    assert_eq!(r.str("/msg1"), "유효하지 않은 token 입니다.");
    // the right token with another app key
    let auth = format!("Bearer {}", kis.token);
    let r = send(
        kis.addr,
        "GET",
        &url,
        &[
            ("authorization", &auth),
            ("appkey", "other"),
            ("appsecret", APP_SECRET),
            ("tr_id", "FHKST01010100"),
        ],
        "",
    )
    .await
    .expect("reply");
    assert_eq!(r.str("/msg_cd"), "EGW00121");
    let r = send(
        kis.addr,
        "GET",
        &url,
        &[
            ("authorization", &auth),
            ("appsecret", APP_SECRET),
            ("tr_id", "FHKST01010100"),
        ],
        "",
    )
    .await
    .expect("reply");
    assert_eq!(r.str("/msg_cd"), "EGW00103");
    // expired tokens
    kis.control().expire_tokens();
    let r = kis
        .get(PRICE_PATH, "FHKST01010100", "", &quote_inputs("005930"))
        .await
        .expect("reply");
    assert_eq!(
        (r.status, r.str("/rt_cd"), r.str("/msg_cd")),
        (500, "1", "EGW00123")
    );
    assert_eq!(r.str("/msg1"), "기간이 만료된 token 입니다.");
}

#[tokio::test]
async fn configured_rate_limit_refuses_past_the_rate() {
    let kis = Kis::start(MockConfig::default().with_rate_limit(Some(2))).await;
    let mut refused = 0;
    let mut ok = 0;
    for _ in 0..10 {
        let r = kis
            .get(PRICE_PATH, "FHKST01010100", "", &quote_inputs("005930"))
            .await
            .expect("reply");
        if r.str("/msg_cd") == "EGW00201" {
            assert_eq!(r.status, 500);
            assert_eq!(r.str("/msg1"), "초당 거래건수를 초과하였습니다.");
            refused += 1;
        } else {
            assert_eq!(r.str("/rt_cd"), "0");
            ok += 1;
        }
    }
    assert!(refused > 0 && ok >= 2, "ok {ok}, refused {refused}");
}

#[tokio::test]
async fn same_request_and_seed_give_the_same_bytes() {
    let a = Kis::start(MockConfig::default().with_seed(7)).await;
    let b = Kis::start(MockConfig::default().with_seed(7)).await;
    let c = Kis::start(MockConfig::default().with_seed(8)).await;
    let ep = a.endpoint("domestic_stock.inquire_daily_itemchartprice");
    let inputs = well_formed(&ep, None);
    let tr = crate::common::tr_of(&ep, false).expect("tr");
    let ra = a.call(&ep, &tr, "", &inputs).await.expect("reply");
    let ra2 = a.call(&ep, &tr, "", &inputs).await.expect("reply");
    let rb = b.call(&ep, &tr, "", &inputs).await.expect("reply");
    let rc = c.call(&ep, &tr, "", &inputs).await.expect("reply");
    assert_eq!(ra.raw, ra2.raw);
    assert_eq!(ra.raw, rb.raw);
    assert_ne!(ra.raw, rc.raw);
}

#[tokio::test]
async fn daily_chart_is_a_plausible_series() {
    let kis = Kis::start(MockConfig::default().with_pages(1, 30)).await;
    let ep = kis.endpoint("domestic_stock.inquire_daily_itemchartprice");
    let mut inputs = well_formed(&ep, None);
    set(&mut inputs, "FID_INPUT_ISCD", "005930");
    set(&mut inputs, "FID_INPUT_DATE_2", "20250620");
    let r = kis
        .call(&ep, "FHKST03010100", "", &inputs)
        .await
        .expect("reply");
    let rows = r.json["output2"].as_array().expect("rows").clone();
    assert_eq!(rows.len(), 30);
    assert_eq!(rows[0]["stck_bsop_date"], "20250620");
    let mut prev: Option<chrono::NaiveDate> = None;
    for row in &rows {
        let d = chrono::NaiveDate::parse_from_str(
            row["stck_bsop_date"].as_str().unwrap_or(""),
            "%Y%m%d",
        )
        .expect("date");
        use chrono::Datelike;
        assert!(d.weekday().number_from_monday() <= 5, "{d} is a weekend");
        if let Some(p) = prev {
            assert!(d < p, "dates descend");
        }
        prev = Some(d);
        let n = |k: &str| row[k].as_str().unwrap_or("").parse::<i64>().expect(k);
        let (o, h, l, c) = (
            n("stck_oprc"),
            n("stck_hgpr"),
            n("stck_lwpr"),
            n("stck_clpr"),
        );
        assert!(l <= o && o <= h && l <= c && c <= h, "{row}");
    }
    // a row's close is the next (older) row's close plus the row's change
    for w in rows.windows(2) {
        let c0: i64 = w[0]["stck_clpr"]
            .as_str()
            .unwrap_or("")
            .parse()
            .expect("close");
        let c1: i64 = w[1]["stck_clpr"]
            .as_str()
            .unwrap_or("")
            .parse()
            .expect("close");
        let d: i64 = w[0]["prdy_vrss"]
            .as_str()
            .unwrap_or("")
            .parse()
            .expect("diff");
        assert_eq!(c0 - c1, d);
    }
}

#[tokio::test]
async fn unknown_path_is_404() {
    let kis = Kis::start(MockConfig::default()).await;
    let r = kis
        .get("/uapi/nope", "FHKST01010100", "", &[])
        .await
        .expect("reply");
    assert_eq!(r.status, 404);
    assert_eq!(r.str("/rt_cd"), "1");
}

#[tokio::test]
async fn a_required_key_must_be_present_but_may_be_empty_where_the_catalog_says() {
    let kis = Kis::start(MockConfig::default()).await;
    let ep = kis.endpoint("overseas_stock.price");
    let tr = ep.tr.variants[0].real.clone();
    let auth = ep
        .request
        .iter()
        .find(|f| f.wire == "AUTH")
        .expect("AUTH field");
    assert!(
        auth.required && auth.empty,
        "the catalog says AUTH may be empty"
    );
    // KIS's examples send AUTH="" and KIS answers
    let mut inputs = well_formed(&ep, None);
    set(&mut inputs, "AUTH", "");
    let r = kis.call(&ep, &tr, "", &inputs).await.expect("reply");
    assert_eq!((r.status, r.str("/rt_cd")), (200, "0"), "{}", r.json);
    // leaving the key out is refused
    let without: Vec<(String, String)> = inputs
        .iter()
        .filter(|(k, _)| k != "AUTH")
        .cloned()
        .collect();
    let r = kis.call(&ep, &tr, "", &without).await.expect("reply");
    assert_eq!(
        (r.status, r.str("/rt_cd"), r.str("/msg_cd"), r.str("/msg1")),
        (500, "2", "OPSQ2001", "ERROR INVALID AUTH")
    );
    // a required key without `empty` may not be empty
    let symb = ep
        .request
        .iter()
        .find(|f| f.wire == "SYMB")
        .expect("SYMB field");
    assert!(symb.required && !symb.empty);
    set(&mut inputs, "SYMB", "");
    let r = kis.call(&ep, &tr, "", &inputs).await.expect("reply");
    assert_eq!(
        (r.status, r.str("/msg_cd"), r.str("/msg1")),
        (500, "OPSQ2001", "ERROR INVALID SYMB")
    );
}

#[tokio::test]
async fn record_writes_one_line_per_request_without_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("requests.jsonl");
    let kis = Kis::start(MockConfig::default().with_record(&file)).await;
    let r = kis
        .get(PRICE_PATH, "FHKST01010100", "", &quote_inputs("005930"))
        .await
        .expect("reply");
    assert_eq!(r.str("/rt_cd"), "0");
    let ep = kis.endpoint("domestic_stock.inquire_balance");
    let tr = ep.tr.variants[0].real.clone();
    let _ = kis
        .call(&ep, &tr, "", &well_formed(&ep, None))
        .await
        .expect("reply");
    let text = std::fs::read_to_string(&file).expect("record file");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["path"], PRICE_PATH);
    assert_eq!(lines[0]["tr_id"], "FHKST01010100");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(
        lines[0]["inputs"][1],
        serde_json::json!(["FID_INPUT_ISCD", "005930"])
    );
    // the account number is masked, and no key, secret or token appears
    let cano = lines[1]["inputs"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p[0] == "CANO"))
        .cloned()
        .expect("CANO recorded");
    assert_eq!(cano[1], "***");
    assert!(!text.contains(APP_SECRET) && !text.contains(APP_KEY) && !text.contains(&kis.token));
}
