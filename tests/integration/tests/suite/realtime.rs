//! The realtime client against kis-mock's WebSocket: multi-record frames, encrypted execution
//! notices, PINGPONG, reconnect and resubscribe, the subscription cap, malformed frames, demo
//! checks, and every realtime TR of the catalog through its typed constant.
//!
//! Pass/fail never depends on timing: waits are bounded by generous timeouts only.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use kis_api::codes::OrderDivision;
use kis_api::domestic_stock;
use kis_api::meta::{EndpointKind, ValueType};
use kis_api::realtime::{ConnectionState, FrameErrorKind, RealtimeError, ReconnectPolicy, Session};
use kis_api::runtime::RealtimeRecord;
use kis_api::{AnyEnv, Client, Decimal, Env, Error};
use kis_integration_tests::{
    FrameCheck, HTS_ID, REALTIME_TRS, buy_samsung, call_every_mutation, client_for, mock_config,
    start_mock, subscribe_realtime,
};
use kis_mock::{Environment, MockConfig, MockServer};

/// Upper bound of any single wait; far above what the mock needs.
const WAIT: Duration = Duration::from_secs(15);

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(WAIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// Waits until `cond` holds (polling), or fails after [`WAIT`].
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    within(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// The suite's mock with notices addressed to the suite's HTS id, a fast heartbeat and ticks.
fn config(env: Environment) -> MockConfig {
    MockConfig {
        hts_id: HTS_ID.to_string(),
        ..mock_config(env)
            .with_ping_interval(Duration::from_millis(100))
            .with_ticks(true, Duration::from_millis(20))
    }
}

fn fast_reconnect() -> ReconnectPolicy {
    ReconnectPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_attempts: None,
    }
}

/// A mock, a client of it (token cache in a temporary directory) and a connected session. The
/// mock and the directory are returned to be kept alive for the test.
async fn connected(
    env: Environment,
    client_env: Env,
) -> (MockServer, tempfile::TempDir, Client<AnyEnv>, Session) {
    let mock = start_mock(config(env)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, client_env, cache.path());
    let session = session(&client).await;
    (mock, cache, client, session)
}

async fn session(client: &Client<AnyEnv>) -> Session {
    within(
        "the session",
        client
            .realtime_builder()
            .reconnect(fast_reconnect())
            .connect(),
    )
    .await
    .expect("session")
}

/// A valid value of a column's type.
fn sample(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Time => "093000",
        ValueType::Date => "20240102",
        ValueType::DateTime => "20240102093000",
        ValueType::YesNo => "Y",
        ValueType::Text | ValueType::Code => "A",
        _ => "1",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_come_in_multi_record_frames_and_decode_typed() {
    let (mock, _cache, _client, session) = connected(Environment::Real, Env::Real).await;
    mock.control().set_price("005930", "71900");
    let mut tap = session.frames().await;
    let mut samsung = within(
        "subscribe",
        session.subscribe(domestic_stock::H0STCNT0, "005930"),
    )
    .await
    .expect("subscribed");
    let mut hynix = within(
        "subscribe",
        session.subscribe(domestic_stock::H0STCNT0, "000660"),
    )
    .await
    .expect("subscribed");
    assert_eq!(mock.control().subscription_count(), 2);
    assert_eq!(session.status().subscriptions, 2);
    assert_eq!((samsung.tr_id(), samsung.key()), ("H0STCNT0", "005930"));
    assert!(format!("{hynix:?}").contains("000660"));
    assert_eq!(mock.control().stats().approvals_issued, 1);

    let mut multi = 0;
    let mut frames = 0;
    while multi < 3 {
        let frame = within("a tick", samsung.recv())
            .await
            .expect("stream open")
            .expect("a frame");
        frames += 1;
        assert_eq!(frame.tr_id(), "H0STCNT0");
        assert_eq!(frame.key(), Some("005930"), "routed by its first field");
        assert!(!frame.is_encrypted());
        assert_eq!(frame.connection(), 1);
        let records: Vec<_> = frame
            .records()
            .collect::<Result<_, _>>()
            .expect("every record decodes");
        assert_eq!(records.len(), frame.count());
        for r in &records {
            assert_eq!(r.mksc_shrn_iscd, "005930");
            assert!(r.stck_prpr.is_some_and(|p| p > Decimal::ZERO), "{r:?}");
            assert!(r.stck_cntg_hour.is_some());
            assert!(r.acml_vol.is_some());
        }
        if frame.count() > 1 {
            multi += 1;
        }
        assert!(frames < 500, "no multi-record frame in {frames} frames");
    }
    // the other symbol's frames go to its own stream
    let frame = within("a tick", hynix.recv())
        .await
        .expect("open")
        .expect("frame");
    assert_eq!(frame.key(), Some("000660"));
    for r in frame.records() {
        assert_eq!(r.expect("decodes").mksc_shrn_iscd, "000660");
    }
    // the tap sees frames of both, untyped, with the catalog's columns
    let mut keys = BTreeSet::new();
    while keys.len() < 2 {
        let f = within("a tapped frame", tap.recv())
            .await
            .expect("open")
            .expect("frame");
        let meta = f.meta().expect("catalog entry");
        assert_eq!(meta.id, "domestic_stock.ccnl_krx");
        let rec = f
            .records()
            .next()
            .expect("a record")
            .expect("untyped record");
        let (col, value) = rec.columns().next().expect("a column");
        assert_eq!(col.map(|c| c.wire), Some("MKSC_SHRN_ISCD"));
        assert_eq!(Some(value), f.key());
        keys.insert(value.to_string());
    }
    session.close().await;
    assert_eq!(session.status().state, ConnectionState::Closed);
    // a closed session ends its streams, without error items
    while let Some(item) = within("the end of the stream", samsung.recv()).await {
        assert!(item.is_ok(), "{item:?}");
    }
    let err = session
        .subscribe(domestic_stock::H0STCNT0, "005930")
        .await
        .expect_err("closed");
    assert!(
        matches!(err, Error::Realtime(RealtimeError::Closed { .. })),
        "{err:?}"
    );
}

async fn notices_decode(env: Environment, client_env: Env, tr_id: &str) {
    let (mock, _cache, client, session) = connected(env, client_env).await;
    mock.control().set_price("005930", "71900");
    let mut notices = within(
        "subscribe",
        session.subscribe_notices(domestic_stock::H0STCNI0),
    )
    .await
    .expect("subscribed");
    assert_eq!((notices.tr_id(), notices.key()), (tr_id, HTS_ID));
    assert!(!format!("{notices:?}").contains(HTS_ID));

    // a limit order below the market: accepted, not filled
    let placed = client
        .domestic_stock()
        .order_cash(buy_samsung(
            OrderDivision::Limit,
            10,
            Decimal::new(50000, 0),
        ))
        .await
        .expect("order")
        .output
        .expect("order output");
    let frame = within("the acceptance notice", notices.recv())
        .await
        .expect("open")
        .expect("a notice");
    assert!(frame.is_encrypted());
    assert_eq!(frame.tr_id(), tr_id);
    assert_eq!(frame.key(), Some(HTS_ID));
    let debug = format!("{frame:?}");
    assert!(
        !debug.contains(HTS_ID) && !debug.contains("50012345"),
        "{debug}"
    );
    let n = frame
        .records()
        .next()
        .expect("one record")
        .expect("decodes");
    assert_eq!(n.cust_id, HTS_ID);
    assert_eq!(n.oder_no, placed.odno);
    assert_eq!(n.stck_shrn_iscd, "005930");
    assert_eq!(n.oder_qty, Some(10));
    assert_eq!(n.cntg_qty, Some(0));

    // a market order fills at once: an acceptance, then a fill with the quantity
    let filled = client
        .domestic_stock()
        .order_cash(buy_samsung(OrderDivision::Market, 3, Decimal::ZERO))
        .await
        .expect("market order")
        .output
        .expect("order output");
    let mut fill = None;
    while fill.is_none() {
        let frame = within("the fill notice", notices.recv())
            .await
            .expect("open")
            .expect("a notice");
        for n in frame.records() {
            let n = n.expect("a notice decodes");
            if n.oder_no == filled.odno && n.cntg_qty.is_some_and(|q| q > 0) {
                fill = Some((n.cntg_qty, n.cntg_unpr));
            }
        }
    }
    let (qty, price) = fill.expect("a fill");
    assert_eq!(qty, Some(3));
    assert!(price.is_some_and(|p| p > Decimal::ZERO));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_execution_notices_decode_in_real() {
    notices_decode(Environment::Real, Env::Real, "H0STCNI0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_execution_notices_decode_in_demo_with_the_demo_tr_id() {
    notices_decode(Environment::Demo, Env::Demo, "H0STCNI9").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pingpong_is_echoed() {
    let mock =
        start_mock(config(Environment::Real).with_ping_interval(Duration::from_millis(30))).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    let session = session(&client).await;
    let control = mock.control();
    eventually("five PINGPONG echoes", || {
        control.stats().pingpong_echoes >= 5
    })
    .await;
    let stats = control.stats();
    assert!(stats.pingpongs_sent >= stats.pingpong_echoes);
    // answering the heartbeat keeps the one connection
    assert_eq!(session.status().connections, 1);
    assert_eq!(stats.ws_connections, 1);
    assert_eq!(session.status().state, ConnectionState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_healed_with_every_subscription_restored() {
    let (mock, _cache, client, session) = connected(Environment::Real, Env::Real).await;
    let control = mock.control();
    let mut samsung = session
        .subscribe(domestic_stock::H0STCNT0, "005930")
        .await
        .expect("subscribed");
    let mut hynix = session
        .subscribe(domestic_stock::H0STCNT0, "000660")
        .await
        .expect("subscribed");
    let mut asking = session
        .subscribe(domestic_stock::H0STASP0, "005930")
        .await
        .expect("subscribed");
    let mut nxt = session
        .subscribe(domestic_stock::H0NXCNT0, "035720")
        .await
        .expect("subscribed");
    let mut notices = session
        .subscribe_notices(domestic_stock::H0STCNI0)
        .await
        .expect("subscribed");
    assert_eq!(control.subscription_count(), 5);

    for round in 2..=3u64 {
        control.drop_ws_connections();
        eventually("the reconnect with every subscription", || {
            session.status().connections == round
                && control.subscription_count() == 5
                && control.ws_session_count() == 1
        })
        .await;
        assert_eq!(session.status().subscriptions, 5);
        assert_eq!(control.stats().ws_connections, round);

        // frames flow again on every stream, from the new connection, with the same keys
        macro_rules! fresh {
            ($stream:expr, $key:expr) => {{
                loop {
                    let f = within("a frame after the reconnect", $stream.recv())
                        .await
                        .expect("the stream survives the drop")
                        .expect("a frame");
                    if f.connection() == round {
                        assert_eq!(f.key(), Some($key));
                        for r in f.records() {
                            r.expect("decodes");
                        }
                        break;
                    }
                }
            }};
        }
        fresh!(samsung, "005930");
        fresh!(hynix, "000660");
        fresh!(asking, "005930");
        fresh!(nxt, "035720");

        // the notice comes encrypted with the new subscription's key, and decrypts
        let placed = client
            .domestic_stock()
            .order_cash(buy_samsung(OrderDivision::Limit, 1, Decimal::new(50000, 0)))
            .await
            .expect("order")
            .output
            .expect("output");
        loop {
            let f = within("a notice after the reconnect", notices.recv())
                .await
                .expect("open")
                .expect("a decrypted notice");
            if f.connection() == round {
                let n = f.records().next().expect("record").expect("decodes");
                assert_eq!(n.oder_no, placed.odno);
                break;
            }
        }
    }
    assert_eq!(
        control.stats().approvals_issued,
        1,
        "the approval key is reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subscription_cap_fails_clearly_before_sending() {
    let mock =
        start_mock(config(Environment::Real).with_ticks(false, Duration::from_millis(500))).await;
    let control = mock.control();
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    let session = session(&client).await;
    assert_eq!(
        session.max_subscriptions(),
        kis_api::realtime::MAX_SUBSCRIPTIONS
    );
    assert_eq!(kis_api::realtime::MAX_SUBSCRIPTIONS, 40);
    let mut subs = Vec::new();
    for i in 0..40 {
        let s = within(
            "subscribe",
            session.subscribe(domestic_stock::H0STCNT0, format!("{:06}", 100_000 + i)),
        )
        .await
        .unwrap_or_else(|e| panic!("subscription {i}: {e}"));
        subs.push(s);
    }
    assert_eq!(control.subscription_count(), 40);
    let sent = control.stats().ws_subscribe_messages;

    let err = session
        .subscribe(domestic_stock::H0STCNT0, "999999")
        .await
        .expect_err("the 41st");
    match &err {
        Error::Realtime(RealtimeError::TooManySubscriptions { tr_id, limit }) => {
            assert_eq!((tr_id.as_str(), *limit), ("H0STCNT0", 40));
        }
        other => panic!("expected TooManySubscriptions, got {other:?}"),
    }
    assert!(err.to_string().contains("40"), "{err}");
    assert_eq!(
        control.stats().ws_subscribe_messages,
        sent,
        "nothing was sent"
    );

    // the same TR and key again shares its slot
    let shared = session
        .subscribe(domestic_stock::H0STCNT0, "100000")
        .await
        .expect("a second stream of a held subscription");
    assert_eq!(control.stats().ws_subscribe_messages, sent);
    drop(shared);

    // one unsubscribed, the next one fits
    subs.pop()
        .expect("a subscription")
        .unsubscribe()
        .await
        .expect("unsubscribed");
    assert_eq!(control.subscription_count(), 39);
    let _extra = session
        .subscribe(domestic_stock::H0STCNT0, "999999")
        .await
        .expect("fits after the unsubscribe");
    assert_eq!(control.subscription_count(), 40);
    session.close().await;
    eventually("the session to end", || control.ws_session_count() == 0).await;

    // a session allowed more than KIS allows gets KIS's own refusal for the 41st
    let session = within(
        "a session",
        client
            .realtime_builder()
            .max_subscriptions(45)
            .reconnect(fast_reconnect())
            .connect(),
    )
    .await
    .expect("session");
    let mut subs = Vec::new();
    for i in 0..40 {
        subs.push(
            session
                .subscribe(domestic_stock::H0STCNT0, format!("{:06}", 200_000 + i))
                .await
                .expect("within KIS's limit"),
        );
    }
    let err = session
        .subscribe(domestic_stock::H0STCNT0, "999999")
        .await
        .expect_err("KIS refuses the 41st");
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::Rejected { msg_cd, .. }) if msg_cd == "OPSP0008"),
        "{err:?}"
    );
    assert_eq!(session.status().subscriptions, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_reported_and_skipped() {
    let (mock, _cache, client, session) = connected(Environment::Real, Env::Real).await;
    let control = mock.control();
    let mut ticks = session
        .subscribe(domestic_stock::H0STCNT0, "005930")
        .await
        .expect("subscribed");
    let mut notices = session
        .subscribe_notices(domestic_stock::H0STCNI0)
        .await
        .expect("subscribed");
    let mut tap = session.frames().await;
    control.set_ticks(false);

    let columns = <domestic_stock::ccnl_krx::Record<'_> as RealtimeRecord<'_>>::COLUMNS;
    let mut fields: Vec<&str> = columns.iter().map(|c| sample(c.ty)).collect();
    fields[0] = "005930";
    fields[2] = "71900";
    fields.extend(["extra", "trailing", "fields"]);
    let wide = format!("0|H0STCNT0|001|{}", fields.join("^"));
    let malformed: [(&str, FrameErrorKind); 8] = [
        ("2|H0STCNT0|001|005930^093000", FrameErrorKind::BadFlag),
        ("0|H0STCNT0|abc|005930^093000", FrameErrorKind::BadCount),
        ("0|H0STCNT0|000|005930^093000", FrameErrorKind::BadCount),
        ("1|H0STCNI0|001|!!!not base64!!!", FrameErrorKind::Base64),
        ("1|H0STCNI0|001|QUJDRA==", FrameErrorKind::CipherLength),
        ("0|HZZZZZZ0|001|a^b", FrameErrorKind::UnknownTr),
        (r#"{"header": 1}"#, FrameErrorKind::BadControl),
        ("plain garbage", FrameErrorKind::BadFlag),
    ];
    for (frame, _) in &malformed {
        control.push_raw_frame(*frame);
    }
    // a frame with fewer columns than the catalog reaches the stream and decodes what it has
    control.push_raw_frame("0|H0STCNT0|001|005930^093000");
    // extra trailing columns are tolerated
    control.push_raw_frame(wide);

    // the tap reports every malformed frame, in order, and carries on
    let mut reported = Vec::new();
    while reported.len() < malformed.len() {
        match within("the tap", tap.recv()).await.expect("tap open") {
            Err(RealtimeError::Frame(e)) => reported.push(e.kind),
            Err(other) => panic!("unexpected error item {other:?}"),
            Ok(_) => {} // ticks sent before they were switched off
        }
    }
    assert_eq!(
        reported,
        malformed.iter().map(|(_, k)| *k).collect::<Vec<_>>()
    );

    // the typed stream: the short frame counts its missing columns, both decode
    let mut told = 0;
    let short = loop {
        match within("the short frame", ticks.recv()).await.expect("open") {
            Ok(f) if f.payload() == "005930^093000" => break f,
            Ok(_) => {} // ticks sent before they were switched off
            // the frames with a bad count named this TR: its stream hears of them too
            Err(RealtimeError::Frame(e)) if e.kind == FrameErrorKind::BadCount => told += 1,
            Err(other) => panic!("unexpected error item {other:?}"),
        }
    };
    assert_eq!(told, 2);
    assert_eq!(short.missing_columns(), columns.len() - 2);
    let r = short.records().next().expect("a record").expect("decodes");
    assert_eq!(r.mksc_shrn_iscd, "005930");
    assert!(r.stck_cntg_hour.is_some());
    assert_eq!(r.stck_prpr, None, "a column the frame lacks");
    let wide = within("the wide frame", ticks.recv())
        .await
        .expect("open")
        .expect("a frame");
    assert_eq!((wide.missing_columns(), wide.extra_columns()), (0, 3));
    let r = wide.records().next().expect("a record").expect("decodes");
    assert_eq!(r.mksc_shrn_iscd, "005930");
    assert_eq!(r.stck_prpr, Some(Decimal::new(71900, 0)));

    // the notice stream was told about its two undecodable frames, and still works
    for kind in [FrameErrorKind::Base64, FrameErrorKind::CipherLength] {
        match within("a notice error", notices.recv())
            .await
            .expect("open")
        {
            Err(RealtimeError::Frame(e)) => {
                assert_eq!(e.kind, kind);
                assert_eq!(e.tr_id.as_deref(), Some("H0STCNI0"));
            }
            other => panic!("expected a frame error, got {other:?}"),
        }
    }
    client
        .domestic_stock()
        .order_cash(buy_samsung(OrderDivision::Limit, 1, Decimal::new(50000, 0)))
        .await
        .expect("order");
    let n = within("a notice", notices.recv())
        .await
        .expect("open")
        .expect("a notice after the bad ones");
    n.records().next().expect("record").expect("decodes");

    // ticks resume on the same connection
    control.set_ticks(true);
    let f = within("a tick", ticks.recv())
        .await
        .expect("open")
        .expect("frame");
    assert!(f.records().all(|r| r.is_ok()));
    assert_eq!(session.status().connections, 1);
    assert_eq!(session.status().state, ConnectionState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_only_tr_on_a_demo_client_fails_before_any_io() {
    let (mock, cache, _client, session) = connected(Environment::Demo, Env::Demo).await;
    let control = mock.control();
    let err = session
        .subscribe(domestic_stock::H0NXCNT0, "005930")
        .await
        .expect_err("real only");
    match err {
        Error::NotInDemo { endpoint, .. } => assert_eq!(endpoint, "domestic_stock.ccnl_nxt"),
        other => panic!("expected NotInDemo, got {other:?}"),
    }
    let err = session
        .subscribe_notices(kis_api::domestic_futureoption::H0MFCNI0)
        .await
        .expect_err("real only");
    assert!(matches!(err, Error::NotInDemo { .. }), "{err:?}");
    assert_eq!(control.stats().ws_subscribe_messages, 0, "nothing was sent");
    assert_eq!(control.subscription_count(), 0);

    // a notice TR needs an HTS id; a symbol TR is not one
    let err = session
        .subscribe_notices(domestic_stock::H0STCNT0)
        .await
        .expect_err("not a notice TR");
    assert!(
        matches!(err, Error::Realtime(RealtimeError::WrongTr { .. })),
        "{err:?}"
    );
    session.close().await;
    let no_hts = Client::builder()
        .environment(Env::Demo)
        .app_key(
            kis_integration_tests::APP_KEY,
            kis_integration_tests::APP_SECRET,
        )
        .rest_url(mock.rest_url())
        .websocket_url(mock.ws_url())
        .token_cache(kis_api::TokenCache::Dir(cache.path().to_path_buf()))
        .no_rate_limit()
        .build()
        .expect("client");
    let session = within("a session", no_hts.realtime())
        .await
        .expect("session");
    let err = session
        .subscribe_notices(domestic_stock::H0STCNI0)
        .await
        .expect_err("no HTS id");
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::NoHtsId { tr_id }) if tr_id == "H0STCNI9"),
        "{err:?}"
    );
    assert_eq!(control.stats().ws_subscribe_messages, 0);
}

/// Subscribes every TR of the catalog in batches under the cap, places orders so the notice
/// TRs speak, and checks that every TR delivers a frame that decodes into its typed record.
async fn every_tr(env: Environment, client_env: Env) -> (usize, usize) {
    let (mock, _cache, client, session) = connected(env, client_env).await;
    let control = mock.control();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<FrameCheck>();

    let in_catalog = kis_api::ENDPOINTS
        .iter()
        .filter(|m| m.kind == EndpointKind::WebSocket)
        .count();
    assert_eq!(
        REALTIME_TRS.len(),
        in_catalog,
        "one generated subscription per realtime TR"
    );
    assert!(in_catalog >= 60, "{in_catalog} realtime TRs");

    let served: Vec<_> = REALTIME_TRS
        .iter()
        .filter(|t| client_env == Env::Real || t.demo_tr_id.is_some())
        .collect();
    let mut refused = 0;
    for t in REALTIME_TRS.iter().filter(|t| !served.contains(t)) {
        let sent = control.stats().ws_subscribe_messages;
        match subscribe_realtime(&session, t.id, tx.clone()).await {
            Some(Err(Error::NotInDemo { endpoint, .. })) => assert_eq!(endpoint, t.id),
            other => panic!("{}: expected NotInDemo, got {other:?}", t.id),
        }
        assert_eq!(control.stats().ws_subscribe_messages, sent, "{}", t.id);
        refused += 1;
    }

    let mut failures = Vec::new();
    let mut decoded = 0;
    for batch in served.chunks(session.max_subscriptions()) {
        let mut tasks = Vec::new();
        for t in batch {
            let task = within(t.id, subscribe_realtime(&session, t.id, tx.clone()))
                .await
                .unwrap_or_else(|| panic!("{}: no generated subscription", t.id))
                .unwrap_or_else(|e| panic!("{}: {e}", t.id));
            tasks.push(task);
        }
        assert_eq!(control.subscription_count(), batch.len());
        if batch.iter().any(|t| t.notice) {
            // every order endpoint once: each group's notice TRs get an acceptance or a fill
            call_every_mutation(&client).await;
        }
        let mut waiting: BTreeSet<&str> = batch.iter().map(|t| t.id).collect();
        while !waiting.is_empty() {
            let check = within(&format!("frames of {waiting:?}"), rx.recv())
                .await
                .expect("the checks channel is open");
            let Some(info) = REALTIME_TRS.iter().find(|t| t.id == check.id) else {
                panic!("a check of an unknown TR: {check:?}");
            };
            let tr_id = match client_env {
                Env::Real => info.tr_id,
                Env::Demo => info.demo_tr_id.unwrap_or_default(),
            };
            let key = if info.notice { HTS_ID } else { info.key };
            let good = check.error.is_none()
                && check.count > 0
                && check.decoded == check.count
                && check.tr_id == tr_id
                && check.encrypted == info.encrypted
                && check.key.as_deref() == Some(key);
            if good {
                if waiting.remove(check.id) {
                    decoded += 1;
                }
            } else {
                failures.push(format!("{check:?}"));
            }
        }
        for task in tasks {
            task.abort();
        }
        eventually("the batch to be unsubscribed", || {
            control.subscription_count() == 0
        })
        .await;
    }
    assert!(
        failures.is_empty(),
        "{} bad frames:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(decoded, served.len());
    assert_eq!(session.status().connections, 1);
    (decoded, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_realtime_tr_subscribes_typed_and_its_frames_decode() {
    let (decoded, refused) = every_tr(Environment::Real, Env::Real).await;
    assert_eq!(decoded, REALTIME_TRS.len());
    assert_eq!(refused, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_demo_every_served_realtime_tr_decodes_and_the_rest_fail_before_io() {
    let (decoded, refused) = every_tr(Environment::Demo, Env::Demo).await;
    assert!(decoded >= 5, "{decoded} realtime TRs served in demo");
    assert_eq!(decoded + refused, REALTIME_TRS.len());
    assert!(refused >= 50, "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_replaced() {
    // no heartbeat and no ticks: the connection looks dead to a 150 ms idle timeout
    let mock = start_mock(
        config(Environment::Real)
            .with_ping_interval(Duration::from_secs(3600))
            .with_ticks(false, Duration::from_millis(500)),
    )
    .await;
    let control = mock.control();
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    let session = within(
        "the session",
        client
            .realtime_builder()
            .reconnect(fast_reconnect())
            .idle_timeout(Some(Duration::from_millis(150)))
            .connect(),
    )
    .await
    .expect("session");
    let mut ticks = session
        .subscribe(domestic_stock::H0STCNT0, "005930")
        .await
        .expect("subscribed");
    eventually("a replacement connection", || {
        session.status().connections >= 2 && control.subscription_count() == 1
    })
    .await;
    // once the server speaks again (more often than the idle timeout), frames flow
    control.set_tick_interval(Duration::from_millis(20));
    control.set_ticks(true);
    let f = within("a tick", ticks.recv())
        .await
        .expect("open")
        .expect("frame");
    assert!(f.connection() >= 2);
    assert!(control.stats().ws_connections >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_gives_up_after_the_configured_attempts() {
    let mock = start_mock(config(Environment::Real)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    let session = within(
        "the session",
        client
            .realtime_builder()
            .reconnect(ReconnectPolicy {
                max_attempts: Some(3),
                ..fast_reconnect()
            })
            .connect(),
    )
    .await
    .expect("session");
    let mut ticks = session
        .subscribe(domestic_stock::H0STCNT0, "005930")
        .await
        .expect("subscribed");
    within("the mock to stop", mock.shutdown()).await;
    // buffered frames, then the reason, then the end
    let reason = loop {
        match within("the end of the stream", ticks.recv()).await {
            Some(Ok(_)) => {}
            Some(Err(RealtimeError::Closed { reason })) => break reason,
            other => panic!("expected Closed, got {other:?}"),
        }
    };
    let reason = reason.expect("a reason");
    assert!(reason.contains("3 attempt"), "{reason}");
    assert!(within("the end", ticks.recv()).await.is_none());
    assert_eq!(session.status().state, ConnectionState::Closed);
    let err = session
        .subscribe(domestic_stock::H0STASP0, "005930")
        .await
        .expect_err("closed");
    assert!(
        matches!(err, Error::Realtime(RealtimeError::Closed { .. })),
        "{err:?}"
    );
}
