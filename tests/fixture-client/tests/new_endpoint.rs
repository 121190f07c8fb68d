//! The promise of the catalog: one new endpoint file, and the generated client gains a working,
//! typed method for it.

use std::path::Path;
use std::time::Duration;

use kis_api::{Client, Env, NaiveTime, TokenCache};
use kis_fixture_client::codes::StockMarket;
use kis_fixture_client::{CATALOG_DIR, FixtureApi, sample::inquire_time_itemconclusion};
use kis_mock::{MockConfig, MockServer};

const NEW_FILE: &str = "sample/inquire_time_itemconclusion.yaml";

#[test]
fn the_new_file_adds_a_typed_method_to_the_generated_surface() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    let before = kis_codegen::load_catalog(&fixture).expect("fixture catalog");
    let after = kis_codegen::load_catalog(Path::new(CATALOG_DIR)).expect("fixture + new file");
    assert_eq!(after.endpoints.len(), before.endpoints.len() + 1);
    let surface_before = kis_codegen::surface::api_surface(&before);
    let surface_after = kis_codegen::surface::api_surface(&after);
    assert!(!surface_before.contains("inquire_time_itemconclusion"));
    let line = surface_after
        .lines()
        .find(|l| l.starts_with("sample.inquire_time_itemconclusion "))
        .expect("new line");
    assert!(
        line.contains("(fid_cond_mrkt_div_code: StockMarket, fid_input_iscd: String) +1 setters"),
        "{line}"
    );
    assert!(line.contains("output2: Vec<Output2>[4]"), "{line}");
    assert!(Path::new(CATALOG_DIR).join(NEW_FILE).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_method_works_against_a_server_that_knows_the_endpoint() {
    let mock = MockServer::start(
        MockConfig::default()
            .with_catalog_dir(CATALOG_DIR)
            .with_credentials("PSfixtureAppKey", "fixture-secret")
            .with_token_issue_interval(Duration::from_millis(100)),
    )
    .await
    .expect("mock with the fixture catalog");
    let cache = tempfile::tempdir().expect("tempdir");
    let client = Client::builder()
        .environment(Env::Real)
        .app_key("PSfixtureAppKey", "fixture-secret")
        .rest_url(mock.rest_url())
        .token_cache(TokenCache::Dir(cache.path().to_path_buf()))
        .no_rate_limit()
        .build()
        .expect("client");

    let reply = client
        .sample()
        .inquire_time_itemconclusion(inquire_time_itemconclusion::Request::new(
            StockMarket::Krx,
            "005930",
        ))
        .reply()
        .await
        .expect("the new endpoint answers");
    assert_eq!(reply.tr_id, "FHPST01060000");
    let summary = reply.body.output1.expect("output1");
    assert!(summary.stck_prpr.is_some(), "a typed price");
    assert!(!reply.body.output2.is_empty());
    for row in &reply.body.output2 {
        let _: Option<NaiveTime> = row.stck_cntg_hour;
        assert!(
            row.stck_cntg_hour.is_some() && row.cnqn.is_some(),
            "{row:?}"
        );
    }
    assert_eq!(mock.control().stats().count("FHPST01060000"), 1);
    // the fixture's original endpoint still works beside it
    let q = client
        .sample()
        .inquire_price(kis_fixture_client::sample::inquire_price::Request::new(
            StockMarket::Krx,
            "005930",
        ))
        .await
        .expect("quote");
    assert!(q.output.is_some());
}
