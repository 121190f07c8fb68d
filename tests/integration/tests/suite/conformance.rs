//! Every REST endpoint of the catalog, called through its generated method and decoded.

use kis_api::{EndpointMeta, Env, Error, meta::EndpointKind};
use kis_integration_tests::{
    Outcome, builder_for, call_every_mutation, call_every_query, client_for, mock_config,
    start_mock,
};
use kis_mock::Environment;

fn meta(id: &str) -> &'static EndpointMeta {
    kis_api::ENDPOINTS
        .iter()
        .copied()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no meta for {id}"))
}

/// Modify/cancel endpoints name an existing order; called with a sample number they get KIS's
/// "no such order" answer, which still exercises the request and the error decoding.
fn refers_to_an_order(m: &EndpointMeta) -> bool {
    m.request
        .iter()
        .any(|f| f.wire.contains("ORGN_ODNO") || f.wire == "RSVN_ORD_SEQ" || f.wire == "ODNO")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rest_endpoint_is_called_and_decoded() {
    let mock = start_mock(mock_config(Environment::Real).with_pages(2, 3)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    // strict: a key the catalog does not know or a value its type cannot read fails the call
    let client = builder_for(&mock, Env::Real, cache.path())
        .strict(true)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    // queries first, on an account without orders: every block has generated rows
    let queries = call_every_query(&client).await;
    let mutations = call_every_mutation(&client).await;
    let rest: Vec<_> = kis_api::ENDPOINTS
        .iter()
        .filter(|m| m.kind == EndpointKind::Rest)
        .collect();
    assert_eq!(
        queries.len() + mutations.len(),
        rest.len(),
        "one call per REST endpoint of the catalog"
    );
    assert!(rest.len() >= 270, "{} REST endpoints", rest.len());

    let mut failures = Vec::new();
    let mut paged = 0;
    for o in &queries {
        match &o.result {
            Ok(summary) => {
                for (block, rows) in &summary.rows {
                    if *rows == 0 {
                        failures.push(format!("{}: block {block} decoded empty", o.id));
                    }
                }
                if meta(o.id).is_paginated() {
                    if summary.pages == 2 {
                        paged += 1;
                    } else {
                        failures.push(format!("{}: {} pages, expected 2", o.id, summary.pages));
                    }
                }
            }
            Err(e) => failures.push(format!("{}: {e}", o.id)),
        }
    }
    let mut placed = 0;
    for o in &mutations {
        match &o.result {
            Ok(summary) => {
                placed += 1;
                if summary.rows.iter().any(|(_, n)| *n == 0) {
                    failures.push(format!("{}: empty answer {:?}", o.id, summary.rows));
                }
            }
            Err(Error::Api { msg_cd, .. })
                if msg_cd == "APBK0918" && refers_to_an_order(meta(o.id)) => {}
            Err(e) => failures.push(format!("{}: {e}", o.id)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} endpoints failed:\n{}",
        failures.len(),
        rest.len(),
        failures.join("\n")
    );
    assert!(
        paged >= 30,
        "{paged} paginated endpoints followed over two pages"
    );
    assert!(placed >= 10, "{placed} orders placed");
    // every call reached the mock with its TR ID
    let stats = mock.control().stats();
    for m in &rest {
        let sent: u64 = m.variants.iter().map(|v| stats.count(v.real)).sum();
        assert!(sent >= 1, "{} never reached the mock", m.id);
    }
}

fn check_demo(
    outcomes: &[Outcome],
    mock: &kis_mock::MockServer,
    served: &mut usize,
    refused: &mut usize,
) {
    for o in outcomes {
        let m = meta(o.id);
        let first_variant_in_demo = m.variants.first().and_then(|v| v.demo).is_some();
        match (&o.result, m.demo && first_variant_in_demo) {
            (Ok(_), true) => *served += 1,
            (Err(Error::Api { msg_cd, .. }), true)
                if msg_cd == "APBK0918" && refers_to_an_order(m) =>
            {
                *served += 1
            }
            (Err(Error::NotInDemo { endpoint, .. }), false) => {
                assert_eq!(*endpoint, o.id);
                *refused += 1;
                let stats = mock.control().stats();
                for v in m.variants {
                    assert_eq!(stats.count(v.real), 0, "{} reached the network", o.id);
                }
            }
            (r, demo) => panic!("{}: demo={demo}, got {r:?}", o.id),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_demo_served_endpoints_work_and_the_rest_fail_before_io() {
    let mock = start_mock(mock_config(Environment::Demo).with_pages(2, 3)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Demo, cache.path());

    let (mut served, mut refused) = (0, 0);
    check_demo(
        &call_every_query(&client).await,
        &mock,
        &mut served,
        &mut refused,
    );
    check_demo(
        &call_every_mutation(&client).await,
        &mock,
        &mut served,
        &mut refused,
    );
    assert!(served >= 30, "{served} endpoints served in demo");
    assert!(refused >= 200, "{refused} refused before any I/O");
}
