//! A code the catalog does not list yet, sent through an enum's escape hatch (`Other`), reaches
//! KIS exactly as written: a recording proxy between the client and kis-mock sees the request.

use std::sync::{Arc, Mutex};

use kis_api::Env;
use kis_api::codes::StockMarket;
use kis_api::domestic_stock::{inquire_balance, inquire_price};
use kis_integration_tests::{builder_for, mock_config, start_mock};
use kis_mock::Environment;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A loopback proxy to `target` (`host:port`): its URL, and every byte clients sent through it.
pub(crate) async fn recording_proxy(target: String) -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&target).await else {
                continue;
            };
            let keep = Arc::clone(&keep);
            tokio::spawn(async move {
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let up = async {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = from_client.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        if let Ok(mut k) = keep.lock() {
                            k.extend_from_slice(&buf[..n]);
                        }
                        if to_server.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown().await;
                };
                let down = async {
                    let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                };
                tokio::join!(up, down);
            });
        }
    });
    (format!("http://{addr}"), seen)
}

pub(crate) fn sent(seen: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&seen.lock().expect("record")).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlisted_codes_reach_the_wire_unchanged() {
    let mock = start_mock(mock_config(Environment::Real)).await;
    let target = mock.rest_url().trim_start_matches("http://").to_string();
    let (proxy, seen) = recording_proxy(target).await;
    let cache = tempfile::tempdir().expect("tempdir");
    let client = builder_for(&mock, Env::Real, cache.path())
        .rest_url(proxy)
        .build()
        .expect("client");

    // a shared enum: KIS (here kis-mock) judges the code, the client sends it as given
    let quote = inquire_price::Request::new(StockMarket::Other("ZZ".into()), "005930");
    let err = client
        .domestic_stock()
        .inquire_price(quote)
        .await
        .expect_err("kis-mock does not know ZZ");
    assert_eq!(err.msg_cd(), Some("OPSQ2001"), "the API's answer: {err}");
    let wire = sent(&seen);
    assert!(
        wire.contains("FID_COND_MRKT_DIV_CODE=ZZ&FID_INPUT_ISCD=005930"),
        "{wire}"
    );

    // an endpoint's own enum, in a paginated account query
    let balance = inquire_balance::Request::new(
        inquire_balance::BalanceGrouping::Other("03".into()),
        false,
        kis_api::codes::PreviousDayTrades::Other("09".into()),
    );
    let _answer = client.domestic_stock().inquire_balance(balance).all().await;
    let wire = sent(&seen);
    assert!(wire.contains("INQR_DVSN=03&"), "{wire}");
    assert!(wire.contains("FUND_STTL_ICLD_YN=N&"), "{wire}");
    assert!(wire.contains("PRCS_DVSN=09&"), "{wire}");
}

#[test]
fn enums_parse_and_print_their_wire_codes() {
    assert_eq!("NX".parse::<StockMarket>(), Ok(StockMarket::Nxt));
    assert_eq!(StockMarket::Integrated.to_string(), "UN");
    // a code outside the set, read at run time (a file, a UI, the CLI), is kept as `Other`
    let read: String = ["Z", "Z"].concat();
    let parsed: StockMarket = read.parse().expect("parsing never fails");
    assert_eq!(parsed, StockMarket::Other(read.clone().into()));
    assert_eq!(parsed.code(), "ZZ");
    assert_eq!(
        StockMarket::from_code(&read),
        None,
        "from_code tells members apart"
    );
    assert_eq!(StockMarket::other(read), parsed);
    // `other` of a listed code is the member, not `Other`
    assert_eq!(StockMarket::other(String::from("J")), StockMarket::Krx);
    assert_eq!(
        "02".parse::<inquire_balance::BalanceGrouping>(),
        Ok(inquire_balance::BalanceGrouping::BySymbol)
    );
    assert_eq!(
        inquire_balance::BalanceGrouping::Other("03".into()).code(),
        "03"
    );
}
