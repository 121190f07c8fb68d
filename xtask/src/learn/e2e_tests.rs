//! Record -> learn -> replay, end to end: kis-mock answers with a key the catalog lacks, a
//! recording client calls it, `learn` proposes the key with its type and `--write` adds it to a
//! copy of the catalog, and `kis-mock --replay` answers the same call from the recording with
//! the same result.

use std::path::Path;

use kis_api::codes::StockMarket;
use kis_api::domestic_stock::{chk_holiday, inquire_price};
use kis_api::{Client, Env, TokenCache};
use kis_mock::{Fault, MockConfig, MockServer};

use super::analyze::Kind;
use super::learn;
use super::tests::spec_copy;

const APP_KEY: &str = "e2e-learn-app-key-PSx1";
const APP_SECRET: &str = "e2e-learn-app-secret-value-0123456789abcdef";
const ACCOUNT: &str = "50012345-01";
const HTS_ID: &str = "learnhts9";

fn client(mock: &MockServer, record: Option<&Path>) -> Client {
    let mut b = Client::builder()
        .environment(Env::Real)
        .app_key(APP_KEY, APP_SECRET)
        .rest_url(mock.rest_url())
        .websocket_url(mock.ws_url())
        .token_cache(TokenCache::Memory)
        .no_rate_limit()
        // a second mock issues its own token at once; the client need not wait KIS's minute
        .token_issue_interval(std::time::Duration::ZERO)
        .stock_account(ACCOUNT)
        .hts_id(HTS_ID);
    if let Some(dir) = record {
        b = b.record(dir);
    }
    b.build().unwrap_or_else(|e| panic!("client: {e}"))
}

fn request() -> inquire_price::Request {
    inquire_price::Request::new(StockMarket::Krx, "005930")
}

/// A paginated inquiry: three pages from kis-mock, linked by continuation keys.
fn holidays() -> chk_holiday::Request {
    let day = kis_api::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
    chk_holiday::Request::new(day)
}

#[tokio::test]
async fn a_key_kis_added_is_recorded_learned_written_and_replayed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recordings = dir.path().join("recordings");

    // 1. KIS (the mock) answers with a key the catalog does not list
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    mock.control().inject(
        Fault::ExtraKey {
            block: Some("output".into()),
            key: "zz_new_ratio".into(),
            value: "12.75".into(),
        }
        .on_tr_id("FHKST01010100"),
    );
    let recording = client(&mock, Some(&recordings));
    let live = recording
        .domestic_stock()
        .inquire_price(request())
        .reply()
        .await
        .expect("the live call");
    let unknown: Vec<String> = live.unknown_fields().map(|u| u.path()).collect();
    assert_eq!(unknown, ["output.zz_new_ratio"]);
    let live_pages = recording
        .domestic_stock()
        .chk_holiday(holidays())
        .all()
        .await
        .expect("the live pages");
    assert_eq!(live_pages.len(), 3, "three pages");
    let status = recording.recording().expect("recording");
    assert_eq!(
        (status.written, status.failed, status.dropped),
        (4, 0, 0),
        "a quote, 3 pages"
    );
    let token = recording.access_token().await.expect("token");
    mock.shutdown().await;

    // nothing secret in the recording
    let text = std::fs::read_to_string(&status.path).expect("the recording");
    for secret in [APP_KEY, APP_SECRET, token.expose(), &ACCOUNT[..8], HTS_ID] {
        assert!(!text.contains(secret), "a secret in the recording:\n{text}");
    }

    // 2. learn proposes the key with its type; --write adds it to a copy of the catalog
    let spec = dir.path().join("spec");
    spec_copy(&spec, &["domestic_stock/inquire_price.yaml"]);
    let learned = learn(&spec, &recordings, false).expect("learn");
    let found: Vec<_> = learned
        .analysis
        .findings
        .iter()
        .filter(|f| f.kind == Kind::UnknownKey)
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", learned.analysis.findings);
    assert_eq!(found[0].endpoint, "domestic_stock.inquire_price");
    assert_eq!(found[0].path(), "output.zz_new_ratio");
    assert_eq!(found[0].apparent, Some(kis_api::meta::ValueType::Decimal));
    let written = learn(&spec, &recordings, true).expect("learn --write");
    let applied = written.outcome.expect("outcome").applied;
    assert_eq!(applied.len(), 1, "{applied:?}");
    let yaml =
        std::fs::read_to_string(spec.join("domestic_stock/inquire_price.yaml")).expect("yaml");
    assert!(
        yaml.contains("- {name: zz_new_ratio, label: \"zz_new_ratio\", type: decimal, doc: \"learned from a recording of "),
        "{yaml}"
    );
    let catalog = kis_codegen::load_catalog(&spec).expect("the written catalog loads");
    let field = catalog
        .endpoint("domestic_stock.inquire_price")
        .and_then(|e| e.response.blocks.iter().find(|b| b.wire == "output"))
        .and_then(|b| b.fields.iter().find(|f| f.wire == "zz_new_ratio"))
        .expect("the learned field");
    assert_eq!(field.ty, kis_api::meta::ValueType::Decimal);

    // 3. the recording replayed answers the same call with the same result
    let replay = MockServer::start(MockConfig::default().with_replay(&recordings))
        .await
        .expect("replaying mock");
    let replaying = client(&replay, None);
    let replayed = replaying
        .domestic_stock()
        .inquire_price(request())
        .reply()
        .await
        .expect("the replayed call");
    assert_eq!(
        format!("{:?}", replayed.body),
        format!("{:?}", live.body),
        "the same response"
    );
    let again: Vec<_> = replayed
        .unknown_fields()
        .map(|u| (u.path(), u.value().cloned()))
        .collect();
    assert_eq!(
        again,
        [("output.zz_new_ratio".to_string(), Some("12.75".into()))]
    );
    // the pages follow one another as they did: continuation keys from the replayed bodies
    let replayed_pages = replaying
        .domestic_stock()
        .chk_holiday(holidays())
        .all()
        .await
        .expect("the replayed pages");
    assert_eq!(format!("{replayed_pages:?}"), format!("{live_pages:?}"));
    assert_eq!(replay.control().replay_unmatched(), 0);
    // a request the recording does not hold is answered as KIS answers an invalid input
    let other = replaying
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "000660"))
        .await;
    assert!(
        matches!(other, Err(kis_api::Error::Api { .. })),
        "{other:?}"
    );
    assert_eq!(replay.control().replay_unmatched(), 1);
    replay.shutdown().await;
}
