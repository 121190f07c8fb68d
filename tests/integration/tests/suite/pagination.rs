//! Pagination: every page in order, restarts on SYDB0050, and never a partial result.

use futures_util::StreamExt;
use kis_api::codes::{FilledFilter, SideFilter};
use kis_api::domestic_stock::inquire_daily_ccld;
use kis_api::{Env, Error, NaiveDate, PaginationStop};
use kis_integration_tests::{builder_for, client_for, mock_config, start_mock};
use kis_mock::{Environment, Fault};

const TR: &str = "TTTC0081R";

fn request() -> inquire_daily_ccld::Request {
    let day = |d| NaiveDate::from_ymd_opt(2024, 1, d).unwrap_or_default();
    inquire_daily_ccld::Request::new(
        inquire_daily_ccld::Period::Within3Months,
        day(2),
        day(31),
        FilledFilter::All,
        inquire_daily_ccld::OrderSequence::Descending,
        inquire_daily_ccld::FundingFilter::All,
    )
    .sll_buy_dvsn_cd(SideFilter::All)
}

async fn setup(pages: u32) -> (kis_mock::MockServer, tempfile::TempDir, kis_api::Client) {
    let mock = start_mock(mock_config(Environment::Real).with_pages(pages, 4)).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = client_for(&mock, Env::Real, cache.path());
    (mock, cache, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_page_inquiry_returns_all_rows_in_order() {
    let (mock, _c, client) = setup(3).await;
    let rows = client
        .domestic_stock()
        .inquire_daily_ccld(request())
        .all_rows()
        .await
        .expect("all rows");
    assert_eq!(rows.len(), 12, "3 pages of 4 rows");

    // the same rows, page by page, in the same order
    let mut pages = client
        .domestic_stock()
        .inquire_daily_ccld(request())
        .pages();
    let mut streamed = Vec::new();
    let mut conts = Vec::new();
    while let Some(p) = pages.next().await {
        let p = p.expect("page");
        assert_eq!(p.index, streamed.len() / 4);
        conts.push(p.reply.tr_cont.clone());
        streamed.extend(p.reply.body.output1);
    }
    assert_eq!(conts, ["M", "M", "D"]);
    assert_eq!(rows, streamed);
    for (i, r) in rows.iter().enumerate() {
        assert!(
            !rows[..i].contains(r),
            "row {i} repeats an earlier row: no page was fetched twice"
        );
    }

    // what the client sent: an empty tr_cont first, then N with the previous page's keys
    let seq: Vec<_> = mock
        .control()
        .stats()
        .sequence
        .into_iter()
        .filter(|r| r.tr_id == TR)
        .collect();
    assert_eq!(seq.len(), 6);
    assert_eq!(seq[0].tr_cont, "");
    assert_eq!(seq[1].tr_cont, "N");
    assert!(
        seq[0].keys.iter().all(|(_, v)| v.is_empty()),
        "{:?}",
        seq[0].keys
    );
    assert!(
        seq[1].keys.iter().any(|(_, v)| !v.trim().is_empty()),
        "{:?}",
        seq[1].keys
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_changed_while_paging_restarts_all_and_fails_the_stream() {
    let (mock, _c, client) = setup(3).await;
    let fault = mock
        .control()
        .inject(Fault::PagingDataChanged { page: 2 }.times(1).on_tr_id(TR));
    let rows = client
        .domestic_stock()
        .inquire_daily_ccld(request())
        .all_rows()
        .await
        .expect("restarted");
    assert_eq!(rows.len(), 12);
    assert_eq!(fault.hits(), 1);
    assert_eq!(
        mock.control().stats().count(TR),
        5,
        "page 1, page 2 (SYDB0050), then pages 1-3 again"
    );

    mock.control()
        .inject(Fault::PagingDataChanged { page: 2 }.times(1).on_tr_id(TR));
    let results: Vec<_> = client
        .domestic_stock()
        .inquire_daily_ccld(request())
        .pages()
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(
        matches!(
            results[1],
            Err(Error::Pagination {
                reason: PaginationStop::DataChanged,
                pages: 1,
                ..
            })
        ),
        "{:?}",
        results[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_limit_fails_rather_than_returning_a_partial_result() {
    let (mock, cache, _client) = setup(3).await;
    let client = builder_for(&mock, Env::Real, cache.path())
        .page_limit(2)
        .build()
        .expect("client");
    let err = client
        .domestic_stock()
        .inquire_daily_ccld(request())
        .all()
        .await
        .expect_err("limit");
    assert!(
        matches!(
            err,
            Error::Pagination {
                reason: PaginationStop::PageLimit(2),
                ..
            }
        ),
        "{err}"
    );
    let results: Vec<_> = client
        .domestic_stock()
        .inquire_daily_ccld(request())
        .pages()
        .collect()
        .await;
    assert_eq!(results.len(), 3, "two pages, then the error");
    assert!(results[2].is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_mid_way_fails_the_whole_call() {
    let (mock, _c, client) = setup(3).await;
    // page 2 always fails: after two restarts the call gives up, with no partial result
    mock.control()
        .inject(Fault::PagingDataChanged { page: 2 }.always().on_tr_id(TR));
    let first = client
        .domestic_stock()
        .inquire_daily_ccld(request())
        .all()
        .await;
    assert!(first.is_err(), "no partial result");
    assert!(
        matches!(
            first,
            Err(Error::Pagination {
                reason: PaginationStop::DataChanged,
                pages: 1,
                ..
            })
        ),
        "{first:?}"
    );
    assert_eq!(
        mock.control().stats().count(TR),
        6,
        "pages 1-2, then two restarts of pages 1-2"
    );
}
