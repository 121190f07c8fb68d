//! Client overhead: `N` quote requests (`inquire_price`, FHKST01010100) to `kis-mock` on loopback,
//! sequential and concurrent, through the client against the same requests sent with bare reqwest.
//!
//! The bare side is what a hand-written caller does: the same URL, query and headers, with the token
//! fetched once, and the body read with `.json::<serde_json::Value>()`. The client side adds what the
//! crate does on every call: token lookup, header building, the retry loop, the envelope check and the
//! typed decode. The client-side rate limit is off: with it on, the limit is what gets measured.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kis_api::codes::StockMarket;
use kis_api::domestic_stock::inquire_price;
use kis_api::{Client, Real, TokenCache};
use kis_mock::{Environment, MockConfig, MockServer};

const APP_KEY: &str = "PSbenchAppKey00000000000000000000000";
const APP_SECRET: &str = "bench-app-secret";
const REQUESTS: usize = 64;

struct Bare {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Bare {
    async fn connect(rest: &str) -> Bare {
        let http = reqwest::Client::new();
        let reply: serde_json::Value = http
            .post(format!("{rest}/oauth2/tokenP"))
            .json(&serde_json::json!({
                "grant_type": "client_credentials",
                "appkey": APP_KEY,
                "appsecret": APP_SECRET,
            }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("token from the mock: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("token body: {e}"));
        let token = reply["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {reply}"))
            .to_owned();
        Bare {
            http,
            url: format!("{rest}/uapi/domestic-stock/v1/quotations/inquire-price"),
            token,
        }
    }

    async fn quote(&self) -> bool {
        let reply = self
            .http
            .get(&self.url)
            .query(&[
                ("FID_COND_MRKT_DIV_CODE", "J"),
                ("FID_INPUT_ISCD", "005930"),
            ])
            .header("content-type", "application/json; charset=utf-8")
            .header("authorization", format!("Bearer {}", self.token))
            .header("appkey", APP_KEY)
            .header("appsecret", APP_SECRET)
            .header("tr_id", "FHKST01010100")
            .header("custtype", "P")
            .send()
            .await;
        match reply {
            Ok(r) => r
                .json::<serde_json::Value>()
                .await
                .is_ok_and(|v| v["rt_cd"] == "0"),
            Err(_) => false,
        }
    }
}

async fn client_quote(client: &Client<Real>) -> bool {
    client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, "005930"))
        .await
        .is_ok_and(|r| r.output.is_some())
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (mock, client, bare) = rt.block_on(async {
        let mock = MockServer::start(
            MockConfig::default()
                .with_environment(Environment::Real)
                .with_credentials(APP_KEY, APP_SECRET)
                .with_token_issue_interval(Duration::ZERO),
        )
        .await
        .unwrap_or_else(|e| panic!("kis-mock: {e}"));
        let client = Client::builder()
            .real()
            .app_key(APP_KEY, APP_SECRET)
            .rest_url(mock.rest_url())
            .token_cache(TokenCache::Dir(cache.path().to_path_buf()))
            .no_rate_limit()
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"));
        let bare = Bare::connect(&mock.rest_url()).await;
        // both sides must succeed before their speed means anything
        assert!(client_quote(&client).await, "client quote failed");
        assert!(bare.quote().await, "bare quote failed");
        (mock, client, bare)
    });
    let bare = std::sync::Arc::new(bare);

    // Loopback round trips are dominated by thread wake-ups, and this machine's load drifts over
    // seconds; measured one after the other, the two sides saw different conditions and the ratio
    // swung between 0.8 and 1.2. So each measured batch is followed by an unmeasured batch of
    // the other side: both are timed under the same conditions, interleaved.
    let client_seq = || sequential(REQUESTS, || client_quote(&client));
    let bare_seq = || sequential(REQUESTS, || bare.quote());
    paired_group(c, &rt, "sequential", client_seq, bare_seq);

    let client_par = || {
        concurrent(REQUESTS, || {
            let client = client.clone();
            async move { client_quote(&client).await }
        })
    };
    let bare_par = || {
        concurrent(REQUESTS, || {
            let bare = bare.clone();
            async move { bare.quote().await }
        })
    };
    paired_group(c, &rt, "concurrent", client_par, bare_par);
    drop(mock);
}

/// The group `client_overhead/<mode>_N`: the client and bare reqwest, each measured paired with
/// the other.
fn paired_group<C, CF, B, BF>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    mode: &str,
    client: C,
    bare: B,
) where
    C: Fn() -> CF + Copy,
    CF: Future<Output = ()>,
    B: Fn() -> BF + Copy,
    BF: Future<Output = ()>,
{
    let mut g = c.benchmark_group(format!("client_overhead/{mode}_{REQUESTS}"));
    g.throughput(Throughput::Elements(REQUESTS as u64));
    g.bench_function("client", |b| {
        b.iter_custom(|iters| rt.block_on(paired(iters, client, bare)))
    });
    g.bench_function("bare_reqwest", |b| {
        b.iter_custom(|iters| rt.block_on(paired(iters, bare, client)))
    });
    g.finish();
}

/// Runs `measured` `iters` times, each followed by one unmeasured run of `other`; the time of
/// `measured` alone.
async fn paired<M, MF, O, OF>(iters: u64, measured: M, other: O) -> Duration
where
    M: Fn() -> MF,
    MF: Future<Output = ()>,
    O: Fn() -> OF,
    OF: Future<Output = ()>,
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let started = Instant::now();
        measured().await;
        total += started.elapsed();
        other().await;
    }
    total
}

async fn sequential<F, Fut>(n: usize, mut one: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..n {
        assert!(one().await, "a request failed during the benchmark");
    }
}

async fn concurrent<F, Fut>(n: usize, mut one: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        tasks.spawn(one());
    }
    while let Some(done) = tasks.join_next().await {
        assert!(
            matches!(done, Ok(true)),
            "a request failed during the benchmark"
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
