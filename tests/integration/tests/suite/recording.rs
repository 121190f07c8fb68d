//! `ClientBuilder::record`: a session of quotes, an order, a paginated balance and realtime
//! ticks and notices, recorded; the file holds every exchange and no secret.

use std::time::Duration;

use kis_api::codes::OrderDivision;
use kis_api::domestic_stock::{self, inquire_balance};
use kis_api::{Decimal, Env};
use kis_integration_tests::{
    APP_KEY, APP_SECRET, HTS_ID, STOCK_ACCOUNT, builder_for, buy_samsung, mock_config, quote,
    start_mock,
};
use kis_mock::Environment;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(WAIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// The lines of the one recording in `dir`.
fn lines(dir: &std::path::Path) -> (String, Vec<Value>) {
    let files: Vec<_> = std::fs::read_dir(dir)
        .expect("the recording directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "one file per client: {files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("the recording");
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (text, lines)
}

fn kind(v: &Value) -> &str {
    v["kind"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_recording_holds_every_exchange_and_no_secret() {
    let mock = start_mock(kis_mock::MockConfig {
        hts_id: HTS_ID.to_string(),
        ..mock_config(Environment::Real).with_ticks(true, Duration::from_millis(20))
    })
    .await;
    mock.control().set_price("005930", "71900");
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let recordings = dir.path().join("private");
    let client = builder_for(&mock, Env::Real, cache.path())
        .record(&recordings)
        .build()
        .expect("client");
    let token = client.access_token().await.expect("token");
    let approval = client.approval_key().await.expect("approval key");

    quote(&client).await.expect("quote");
    client
        .domestic_stock()
        .order_cash(buy_samsung(OrderDivision::Limit, 1, Decimal::new(60000, 0)))
        .await
        .expect("order");
    let pages = client
        .domestic_stock()
        .inquire_balance(inquire_balance::Request::new(
            inquire_balance::BalanceGrouping::BySymbol,
            false,
            kis_api::codes::PreviousDayTrades::WithPreviousDay,
        ))
        .all()
        .await
        .expect("balance");
    assert!(!pages.is_empty());

    let session = within("the session", client.realtime())
        .await
        .expect("session");
    let mut ticks = within(
        "ticks",
        session.subscribe(domestic_stock::H0STCNT0, "005930"),
    )
    .await
    .expect("subscribed");
    within("a tick", ticks.recv())
        .await
        .expect("open")
        .expect("a tick");
    // KIS adds a column without notice: the frame is recorded as it came, for `xtask learn`
    let drifted = format!("0|H0STCNT0|001|005930^{}", vec!["1"; 46].join("^"));
    mock.control().push_raw_frame(drifted.clone());
    let path = client.recording().expect("recording").path;
    within("the drifted frame in the recording", async {
        while !std::fs::read_to_string(&path)
            .unwrap_or_default()
            .contains(&format!("\"text\":\"{drifted}\""))
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    drop(ticks);
    let mut notices = within(
        "notices",
        session.subscribe_notices(domestic_stock::H0STCNI0),
    )
    .await
    .expect("subscribed");
    client
        .domestic_stock()
        .order_cash(buy_samsung(
            OrderDivision::Limit,
            10,
            Decimal::new(50000, 0),
        ))
        .await
        .expect("an order while subscribed");
    within("a notice", notices.recv())
        .await
        .expect("open")
        .expect("a notice");
    session.close().await;

    let status = client.recording().expect("recording");
    assert_eq!((status.failed, status.dropped), (0, 0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&recordings), 0o700, "a private directory");
        assert_eq!(mode(&status.path), 0o600, "a private file");
    }
    let (text, lines) = lines(&recordings);
    assert_eq!(
        lines.len() as u64,
        status.written + 1,
        "the session line, then each"
    );
    for (what, secret) in [
        ("app key", APP_KEY),
        ("app secret", APP_SECRET),
        ("access token", token.expose()),
        ("approval key", approval.expose()),
        ("account number", &STOCK_ACCOUNT[..8]),
        ("futures account", "60012345"),
        ("HTS id", HTS_ID),
    ] {
        assert!(
            !text.contains(secret),
            "the {what} is in the recording:\n{text}"
        );
    }

    assert_eq!(kind(&lines[0]), "session");
    assert_eq!(lines[0]["format"], "kis-recording");
    let rest: Vec<&Value> = lines.iter().filter(|l| kind(l) == "rest").collect();
    let pages_recorded = rest
        .iter()
        .filter(|l| l["endpoint"] == "domestic_stock.inquire_balance")
        .count();
    assert_eq!(pages_recorded, pages.len(), "every page");
    assert!(
        rest.iter()
            .all(|l| l["tr_cont"].is_string() && l["page"].is_string() && l["status"] == 200),
        "the continuation sent and answered, and the status, of each"
    );
    let order = rest
        .iter()
        .find(|l| l["endpoint"] == "domestic_stock.order_cash")
        .expect("the order");
    assert_eq!(order["method"], "POST");
    let cano = order["inputs"]
        .as_array()
        .and_then(|i| i.iter().find(|p| p[0] == "CANO"))
        .expect("CANO sent");
    assert_eq!(cano[1], "***");
    assert!(
        order["body"]
            .as_str()
            .is_some_and(|b| b.contains("\"rt_cd\""))
    );

    let sent: Vec<&Value> = lines.iter().filter(|l| kind(l) == "ws_sent").collect();
    assert!(sent.len() >= 2, "the subscriptions");
    assert!(sent.iter().all(|l| {
        l["text"]
            .as_str()
            .is_some_and(|t| t.contains("\"approval_key\":\"***\""))
    }));
    let controls: Vec<&str> = lines
        .iter()
        .filter(|l| kind(l) == "ws_control")
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert!(
        controls
            .iter()
            .any(|t| t.contains("\"iv\":\"***\"") && t.contains("\"key\":\"***\"")),
        "the AES key and iv of the notices are hidden: {controls:#?}"
    );
    let frames: Vec<&Value> = lines.iter().filter(|l| kind(l) == "ws_frame").collect();
    assert!(frames.iter().any(|l| {
        l["tr_id"] == "H0STCNT0"
            && l["text"]
                .as_str()
                .is_some_and(|t| t.split('^').count() > 40)
    }));
    let notice = frames
        .iter()
        .find(|l| l["encrypted"] == true)
        .expect("an encrypted notice");
    assert!(
        notice["text"].as_str().is_some_and(|t| t.ends_with('|')),
        "no payload"
    );
}
