//! The `kis` command line, run as a program: the tour, the catalog commands, calls across the API
//! groups against the embedded mock, orders against a mock started here, realtime, and the errors
//! (exit code 2 for usage, 1 for API errors; never a panic).
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kis_api::meta::{EndpointKind, ValueType};
use kis_api::{ENDPOINTS, EndpointMeta};
use kis_mock::{Fault, MockConfig, MockServer, OrderStatus};
use serde_json::Value;

const APP_KEY: &str = "PScliTestAppKey00000000000000000000";
const APP_SECRET: &str = "cli-test-secret-that-must-never-be-printed";
const ACCOUNT: &str = "50012345-01";

/// What a run of `kis` left behind.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Neither a panic nor a backtrace.
    fn clean(&self) -> &Self {
        for bad in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
            assert!(
                !self.stderr.contains(bad),
                "{bad} in stderr:\n{}",
                self.stderr
            );
        }
        self
    }

    fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self.clean()
    }

    fn fails(&self, code: i32, needles: &[&str]) -> &Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "'{n}' not in stderr:\n{}",
                self.stderr
            );
        }
        self.clean()
    }
}

/// Runs `kis` with a clean environment: no KIS_* variables, a home without kis_devlp.yaml and a
/// private token cache.
fn kis_in(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_kis"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run kis: {e}"));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn kis(args: &[&str]) -> Out {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    kis_in(home.path(), args, &[])
}

/// Runs `kis` off the async runtime, so a mock server started by the test keeps serving.
async fn kis_async(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        kis_in(&home, &args, &env)
    })
    .await
    .unwrap_or_else(|e| panic!("kis did not run: {e}"))
}

fn meta(id: &str) -> &'static EndpointMeta {
    ENDPOINTS
        .iter()
        .copied()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no endpoint {id}"))
}

async fn start_mock(config: MockConfig) -> MockServer {
    MockServer::start(
        config
            .with_credentials(APP_KEY, APP_SECRET)
            .with_token_issue_interval(Duration::from_millis(50)),
    )
    .await
    .unwrap_or_else(|e| panic!("cannot start kis-mock: {e}"))
}

#[test]
fn tour_walks_through_every_step() {
    let started = Instant::now();
    let out = kis(&["tour"]);
    out.ok();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(60), "the tour took {took:?}");
    let s = &out.stdout;
    for needle in [
        "embedded mock",
        "[1/5] 현재가 조회 · Quote",
        "현재가 71,900원",
        "[2/5] 일별 체결추이 (연속조회) · Paginated daily chart",
        "3 pages, 15 rows",
        "[3/5] 지정가 주문과 취소 · Limit order, then cancel",
        "매수 10주 @ 50,000원",
        "still open: no",
        "[4/5] 시장가 주문과 잔고 · Market order and balance",
        "The market order filled: 3 shares of 005930 are held.",
        "[5/5] 실시간 체결가 · Realtime ticks",
        "subscribed to H0STCNT0 005930",
        "Next: your own account",
        "--confirm-real-order",
    ] {
        assert!(s.contains(needle), "'{needle}' not in the tour:\n{s}");
    }
    // the realtime table holds at least one tick row with a time and a price
    let ticks = s
        .lines()
        .skip_while(|l| !l.contains("체결시간 time"))
        .skip(2)
        .take_while(|l| !l.trim().is_empty() && !l.contains("records from"))
        .filter(|l| l.trim().len() > 10 && l.contains(':'))
        .count();
    assert!(ticks >= 1, "no tick rows:\n{s}");
    // order numbers are KIS's 10 digits
    let odno = s
        .split("주문번호 ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    assert!(
        odno.len() == 10 && odno.bytes().all(|b| b.is_ascii_digit()),
        "{odno:?}"
    );
}

#[test]
fn list_shows_the_catalog() {
    let out = kis(&["list"]);
    out.ok();
    assert!(out.stdout.contains("domestic_stock.inquire_price"));
    assert!(out.stdout.contains("주식현재가 시세"));
    assert!(out.stdout.contains("FHKST01010100"));
    assert!(
        out.stdout
            .contains(&format!("{} endpoints", ENDPOINTS.len())),
        "{}",
        out.stdout
    );

    let out = kis(&["list", "domestic-bond", "--json"]);
    out.ok();
    let items = out.json();
    let items = items.as_array().unwrap_or_else(|| panic!("an array"));
    let expected = ENDPOINTS
        .iter()
        .filter(|m| m.group == "domestic_bond")
        .count();
    assert_eq!(items.len(), expected);
    assert!(items.iter().all(|i| i["group"] == "domestic_bond"));
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "websocket" && i["method"] == "WS")
    );

    kis(&["list", "domestic_stok"]).fails(2, &["unknown group", "domestic_stock"]);
}

#[test]
fn describe_shows_inputs_tr_ids_and_outputs() {
    let out = kis(&["describe", "domestic_stock.inquire_price"]);
    out.ok();
    for needle in [
        "주식현재가 시세",
        "FHKST01010100",
        "FID_COND_MRKT_DIV_CODE",
        "조건 시장 분류 코드",
        "J=KRX",
        "(Krx)",
        "FID_INPUT_ISCD",
        "stck_prpr",
        "주식 현재가",
        "price",
        "example: kis call domestic_stock.inquire_price FID_COND_MRKT_DIV_CODE=J",
    ] {
        assert!(
            out.stdout.contains(needle),
            "'{needle}' not in:\n{}",
            out.stdout
        );
    }

    let out = kis(&["describe", "order_cash", "--json"]);
    out.ok();
    let d = out.json();
    assert_eq!(d["id"], "domestic_stock.order_cash");
    assert_eq!(d["mutates"], true);
    let variants: Vec<&str> = d["tr_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["variant"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(variants, ["sell", "buy"]);
    let cano = d["inputs"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["wire"] == "CANO"))
        .unwrap_or_else(|| panic!("CANO input"));
    assert_eq!(cano["filled_by"], "account number");
    assert_eq!(cano["must_be_given"], false);

    // a realtime TR shows its columns
    let out = kis(&["describe", "H0STCNT0"]);
    out.ok();
    assert!(out.stdout.contains("domestic_stock.ccnl_krx"));
    assert!(out.stdout.contains("STCK_PRPR"));
    assert!(out.stdout.contains("kis watch H0STCNT0 005930"));

    kis(&["describe", "inquire_prise"]).fails(2, &["unknown endpoint", "inquire_price"]);
}

/// A value the mock accepts for an input that must be given: its first known value, or one of the
/// right form.
fn sample_value(f: &kis_api::meta::RequestFieldMeta) -> String {
    if let Some(v) = f.values.first() {
        return v.value.to_string();
    }
    match f.ty {
        ValueType::Date => "20240102",
        ValueType::Time => "090000",
        ValueType::DateTime => "20240102090000",
        ValueType::Quantity | ValueType::Integer => "1",
        ValueType::Price | ValueType::Amount | ValueType::Decimal | ValueType::Rate => "1000",
        ValueType::YesNo => "Y",
        ValueType::Text | ValueType::Code => "005930",
    }
    .to_string()
}

fn call_args(m: &EndpointMeta) -> Vec<String> {
    let mut args = vec!["call".to_string(), m.id.to_string(), "--json".to_string()];
    if m.variants.len() > 1 {
        args.push("--variant".into());
        args.push(m.variants[0].name.to_string());
    }
    for f in m.request.iter().filter(|f| f.must_be_given()) {
        args.push(format!("{}={}", f.wire, sample_value(f)));
    }
    args
}

#[test]
fn call_works_across_the_groups_against_the_embedded_mock() {
    // four REST endpoints per group, spread over the group; modify/cancel need an open order and
    // have their own test
    let mut sample: Vec<&'static EndpointMeta> = Vec::new();
    let mut groups: Vec<&str> = ENDPOINTS.iter().map(|m| m.group).collect();
    groups.dedup();
    for g in &groups {
        let rest: Vec<_> = ENDPOINTS
            .iter()
            .copied()
            .filter(|m| {
                m.group == *g && m.kind == EndpointKind::Rest && !m.id.ends_with("rvsecncl")
            })
            .collect();
        if rest.is_empty() {
            continue;
        }
        let n = rest.len();
        for i in [0, n / 3, 2 * n / 3, n - 1] {
            if !sample.iter().any(|m| m.id == rest[i].id) {
                sample.push(rest[i]);
            }
        }
    }
    assert!(sample.len() >= 20, "{} endpoints sampled", sample.len());
    assert!(sample.iter().any(|m| m.mutates), "an order is sampled");
    let chunks: Vec<Vec<&'static EndpointMeta>> = sample
        .chunks(sample.len().div_ceil(2))
        .map(<[_]>::to_vec)
        .collect();
    std::thread::scope(|s| {
        for chunk in &chunks {
            s.spawn(move || {
                for m in chunk {
                    let args = call_args(m);
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let out = kis(&args);
                    out.ok();
                    let body = out.json();
                    assert_eq!(body["rt_cd"], "0", "{}: {}", m.id, out.stdout);
                    for b in m.blocks {
                        assert!(
                            body.get(b.wire).is_some(),
                            "{}: block {} missing in {}",
                            m.id,
                            b.wire,
                            out.stdout
                        );
                    }
                    assert!(
                        out.stderr.contains("embedded mock"),
                        "{}: {}",
                        m.id,
                        out.stderr
                    );
                }
            });
        }
    });
}

#[test]
fn call_all_follows_pagination() {
    let base = [
        "call",
        "domestic_stock.inquire_daily_ccld",
        "--variant",
        "within_3_months",
        "INQR_STRT_DT=20240101",
        "INQR_END_DT=20240131",
        "SLL_BUY_DVSN_CD=00",
        "CCLD_DVSN=00",
        "INQR_DVSN=00",
        "INQR_DVSN_3=00",
    ];
    let mut args = base.to_vec();
    args.extend(["--all", "--json"]);
    let out = kis(&args);
    out.ok();
    let pages = out.json();
    let pages = pages
        .as_array()
        .unwrap_or_else(|| panic!("one body per page"));
    assert_eq!(pages.len(), 3, "the embedded mock serves 3 pages");
    let rows: usize = pages
        .iter()
        .map(|p| p["output1"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(rows, 30);

    // as a table: every row of every page, and the page count
    let mut args = base.to_vec();
    args.extend(["--all", "--fields", "ord_dt,ord_qty"]);
    let out = kis(&args);
    out.ok();
    assert!(out.stdout.contains("3 pages"), "{}", out.stdout);
    assert!(out.stdout.contains("output1 (30 rows)"), "{}", out.stdout);

    // without --all: the first page, and a hint
    let out = kis(&base);
    out.ok();
    assert!(out.stdout.contains("output1 (10 rows)"), "{}", out.stdout);
    assert!(out.stderr.contains("add --all"), "{}", out.stderr);
}

#[test]
fn call_an_order_with_a_variant_and_labels() {
    let out = kis(&[
        "call",
        "domestic_stock.order_cash",
        "--variant",
        "buy",
        "PDNO=005930",
        "ORD_DVSN=시장가",
        "ORD_QTY=1",
        "ORD_UNPR=0",
        "--labels",
    ]);
    out.ok();
    assert!(
        out.stderr.contains("ORD_DVSN=시장가 read as 01"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("APBK0013"), "{}", out.stdout);
    assert!(
        out.stdout.contains("TTTC0012U"),
        "the buy TR ID: {}",
        out.stdout
    );
    let odno = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("주문번호"))
        .map(str::trim)
        .unwrap_or_default();
    assert!(
        odno.len() == 10 && odno.bytes().all(|b| b.is_ascii_digit()),
        "{odno:?} in\n{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_on_a_real_server_need_confirmation_then_cancel() {
    let mock = start_mock(MockConfig::default()).await;
    mock.control().set_price("005930", "71900");
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let rest = mock.rest_url();
    let ws = mock.ws_url();
    let env = [
        ("KIS_APP_KEY", APP_KEY),
        ("KIS_APP_SECRET", APP_SECRET),
        ("KIS_ACCOUNT", ACCOUNT),
        ("KIS_REST_URL", rest.as_str()),
        ("KIS_WS_URL", ws.as_str()),
    ];
    let order = [
        "call",
        "domestic_stock.order_cash",
        "--variant",
        "buy",
        "PDNO=005930",
        "ORD_DVSN=00",
        "ORD_QTY=10",
        "ORD_UNPR=50000",
        "--json",
    ];
    let refused = kis_async(home.path(), &order, &env).await;
    refused.fails(
        2,
        &["REAL order", "nothing was sent", "--confirm-real-order"],
    );
    assert!(
        mock.control().orders().is_empty(),
        "nothing reached the server"
    );
    assert_eq!(mock.control().tokens_issued(), 0);

    let mut confirmed = order.to_vec();
    confirmed.push("--confirm-real-order");
    let placed = kis_async(home.path(), &confirmed, &env).await;
    placed.ok();
    assert!(
        placed.stderr.contains("credentials from KIS_APP_KEY"),
        "{}",
        placed.stderr
    );
    let body = placed.json();
    let odno = body["output"]["ODNO"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let orgno = body["output"]["KRX_FWDG_ORD_ORGNO"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(odno.len(), 10, "{body}");
    let orders = mock.control().orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].status, OrderStatus::Open);
    assert_eq!(orders[0].received, 1, "sent once");

    let orgn_odno = format!("ORGN_ODNO={odno}");
    let orgno = format!("KRX_FWDG_ORD_ORGNO={orgno}");
    let cancel = [
        "call",
        "domestic_stock.order_rvsecncl",
        orgno.as_str(),
        orgn_odno.as_str(),
        "ORD_DVSN=00",
        "RVSE_CNCL_DVSN_CD=취소",
        "ORD_QTY=10",
        "ORD_UNPR=0",
        "QTY_ALL_ORD_YN=Y",
        "--confirm-real-order",
    ];
    let cancelled = kis_async(home.path(), &cancel, &env).await;
    cancelled.ok();
    assert!(
        cancelled.stdout.contains("APBK0013"),
        "{}",
        cancelled.stdout
    );
    assert!(
        mock.control()
            .orders()
            .iter()
            .any(|o| o.odno == odno && o.status == OrderStatus::Cancelled),
        "{:?}",
        mock.control().orders()
    );

    // cancelling it again: KIS's error, trimmed, exit 1
    let again = kis_async(home.path(), &cancel, &env).await;
    again.fails(
        1,
        &["domestic_stock.order_rvsecncl (TTTC0013U): KIS answered APBK0918: "],
    );
    assert!(
        !again.stderr.contains("  "),
        "msg1 is trimmed: {}",
        again.stderr
    );

    // a query whose connection drops: a network error after the retries, exit 1; the GET URL
    // carries the account number and is not printed
    let dropped = mock
        .control()
        .inject(Fault::DropBeforeProcessing.on_tr_id("TTTC8434R"));
    let network = kis_async(
        home.path(),
        &[
            "call",
            "domestic_stock.inquire_balance",
            "INQR_DVSN=02",
            "FUND_STTL_ICLD_YN=N",
            "PRCS_DVSN=00",
        ],
        &env,
    )
    .await;
    network.fails(1, &["domestic_stock.inquire_balance: network error"]);
    assert!(dropped.hits() >= 1);
    dropped.remove();

    // an order whose response is lost: never resent, reported as unknown
    mock.control()
        .inject(Fault::DropAfterProcessing.on_tr_id("TTTC0012U").times(1));
    let lost = kis_async(home.path(), &confirmed, &env).await;
    lost.fails(1, &["outcome unknown", "inquire before retrying"]);
    assert_eq!(mock.control().orders().len(), 2, "placed once, not resent");

    // no secret or account number in anything kis printed
    for out in [&refused, &placed, &cancelled, &again, &network, &lost] {
        for secret in [APP_KEY, APP_SECRET, "50012345"] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "a secret was printed:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_from_kis_devlp_yaml() {
    let mock = start_mock(MockConfig::demo()).await;
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let config = home.path().join("kis_devlp.yaml");
    let text = format!(
        "my_app: \"앱키\"\nmy_sec: \"앱키 시크릿\"\npaper_app: \"{APP_KEY}\"\npaper_sec: \"{APP_SECRET}\"\n\
         my_paper_stock: \"50012345\"\nmy_prod: \"01\"\nvps: \"{}\"\nvops: \"{}\"\n",
        mock.rest_url(),
        mock.ws_url()
    );
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("write: {e}"));
    let path = config.to_string_lossy().to_string();
    // only demo keys in the file: the demo environment is chosen without --demo
    let out = kis_async(
        home.path(),
        &[
            "--config",
            &path,
            "call",
            "domestic_stock.inquire_balance",
            "INQR_DVSN=02",
            "FUND_STTL_ICLD_YN=N",
            "PRCS_DVSN=00",
            "--json",
        ],
        &[],
    )
    .await;
    out.ok();
    assert!(out.stderr.contains("demo environment"), "{}", out.stderr);
    assert!(out.stderr.contains("kis_devlp.yaml"), "{}", out.stderr);
    assert_eq!(out.json()["rt_cd"], "0");
    assert_eq!(mock.control().requests_for("VTTC8434R"), 1);

    // a file that is not there is a usage error
    kis_async(
        home.path(),
        &[
            "--config",
            "/nonexistent/kis_devlp.yaml",
            "call",
            "domestic_stock.inquire_price",
            "FID_COND_MRKT_DIV_CODE=J",
            "FID_INPUT_ISCD=005930",
        ],
        &[],
    )
    .await
    .fails(2, &["no such file"]);
    mock.shutdown().await;
}

#[test]
fn usage_errors_name_what_is_wrong() {
    kis(&["call", "domestic_stock.inquire_pric"]).fails(
        2,
        &[
            "unknown endpoint 'domestic_stock.inquire_pric'",
            "did you mean",
            "domestic_stock.inquire_price",
        ],
    );
    kis(&[
        "call",
        "domestic_stock.inquire_price",
        "FID_COND_MRKT_DIV_CODE=J",
        "FID_INPUT_ISC=005930",
    ])
    .fails(
        2,
        &[
            "no input 'FID_INPUT_ISC'",
            "did you mean FID_INPUT_ISCD (입력 종목코드)",
        ],
    );
    kis(&[
        "call",
        "domestic_stock.inquire_price",
        "FID_COND_MRKT_DIV_CODE=J",
    ])
    .fails(
        2,
        &["missing required input", "FID_INPUT_ISCD (입력 종목코드)"],
    );
    kis(&[
        "call",
        "domestic_stock.inquire_price",
        "FID_COND_MRKT_DIV_CODE=X",
        "FID_INPUT_ISCD=005930",
    ])
    .fails(
        2,
        &[
            "'X' is not one of J=KRX (Krx), NX=NXT (Nxt), UN=통합 (Integrated)",
            "--force",
        ],
    );
    kis(&["call", "domestic_stock.order_cash", "PDNO=005930"])
        .fails(2, &["--variant", "sell (매도), buy (매수)"]);
    kis(&["call", "domestic_stock.order_cash", "--variant", "by"])
        .fails(2, &["no variant 'by'", "did you mean buy"]);
    kis(&["call", "domestic_stock.inquire_price", "FID_INPUT_ISCD"])
        .fails(2, &["is not KEY=value"]);
    kis(&["call", "domestic_stock.ccnl_krx"]).fails(2, &["realtime TR", "kis watch H0STCNT0"]);
    kis(&["frobnicate"]).fails(2, &[]);
    let help = kis(&["--help"]);
    help.ok();
    assert!(help.stdout.contains("tour"));
}

#[test]
fn demo_refuses_what_demo_does_not_serve() {
    let m = meta("domestic_stock.inquire_price_2");
    assert!(!m.demo);
    kis(&[
        "--demo",
        "call",
        "domestic_stock.inquire_price_2",
        "FID_COND_MRKT_DIV_CODE=J",
        "FID_INPUT_ISCD=005930",
    ])
    .fails(
        2,
        &["not available in the demo environment", "모의투자 미지원"],
    );
    // the same in the real environment works
    kis(&[
        "call",
        "domestic_stock.inquire_price_2",
        "FID_COND_MRKT_DIV_CODE=J",
        "FID_INPUT_ISCD=005930",
    ])
    .ok();
}

#[test]
fn watch_streams_typed_records() {
    let out = kis(&["watch", "H0STCNT0", "005930", "--count", "3", "--json"]);
    out.ok();
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    let columns = meta("domestic_stock.ccnl_krx").columns;
    for l in &lines {
        assert_eq!(l["tr_id"], "H0STCNT0");
        assert_eq!(l["record"]["MKSC_SHRN_ISCD"], "005930");
        let rec = l["record"]
            .as_object()
            .unwrap_or_else(|| panic!("a record"));
        assert_eq!(rec.len(), columns.len(), "every catalog column");
        assert!(
            rec["STCK_PRPR"]
                .as_str()
                .is_some_and(|p| p.parse::<u64>().is_ok())
        );
    }
    let out = kis(&[
        "watch",
        "domestic_stock.ccnl_krx",
        "005930",
        "--count",
        "2",
        "--fields",
        "STCK_CNTG_HOUR,STCK_PRPR",
        "--labels",
    ]);
    out.ok();
    let mut lines = out.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.contains("주식 체결 시간") && header.contains("주식 현재가"),
        "{header}"
    );
    assert_eq!(lines.count(), 2, "2 records:\n{}", out.stdout);

    kis(&["watch", "domestic_stock.inquire_price", "005930"]).fails(2, &["REST endpoint"]);
    kis(&["watch", "H0STCNT0", "005930", "--fields", "STCK_PRP"])
        .fails(2, &["no column 'STCK_PRP'", "STCK_PRPR"]);
}

/// A child process that is killed if the test ends early.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    fn spawn(
        home: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (Running, BufReader<std::process::ChildStdout>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kis"))
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("XDG_CACHE_HOME", home.join("cache"))
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run kis: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        (Running(child), BufReader::new(stdout))
    }

    /// Sends Ctrl-C (SIGINT) and waits for the exit code.
    fn interrupt(mut self) -> Option<i32> {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -INT {pid}");
        let status = self.0.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        status.code()
    }
}

fn read_line(r: &mut impl BufRead) -> String {
    let mut line = String::new();
    let n = r
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("read: {e}"));
    assert!(n > 0, "the program ended early");
    line
}

#[test]
fn mock_serves_until_ctrl_c_and_watch_stops_on_it() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (mock, mut lines) = Running::spawn(
        home.path(),
        &["mock", "--port", "0", "--ws-port", "0", "--seed", "7"],
        &[],
    );
    let (mut rest, mut ws) = (String::new(), String::new());
    while rest.is_empty() || ws.is_empty() {
        let line = read_line(&mut lines);
        if let Some(u) = line.strip_prefix("REST") {
            rest = u.trim().to_string();
        } else if let Some(u) = line.strip_prefix("WebSocket") {
            ws = u.trim().to_string();
        }
    }
    assert!(rest.starts_with("http://127.0.0.1:"), "{rest}");
    let env = [
        ("KIS_APP_KEY", "any"),
        ("KIS_APP_SECRET", "thing"),
        ("KIS_REST_URL", rest.as_str()),
        ("KIS_WS_URL", ws.as_str()),
    ];
    let out = kis_in(
        home.path(),
        &[
            "call",
            "domestic_stock.inquire_price",
            "FID_COND_MRKT_DIV_CODE=J",
            "FID_INPUT_ISCD=005930",
            "--json",
        ],
        &env,
    );
    out.ok();
    assert_eq!(out.json()["rt_cd"], "0");
    assert!(!out.stderr.contains("embedded mock"), "{}", out.stderr);

    // watch without --count runs until Ctrl-C, then ends with success
    let (watch, mut records) = Running::spawn(home.path(), &["watch", "H0STCNT0", "005930"], &env);
    let header = read_line(&mut records);
    assert!(header.contains("STCK_PRPR"), "{header}");
    let first = read_line(&mut records);
    assert!(first.starts_with("005930"), "{first}");
    assert_eq!(watch.interrupt(), Some(0));

    assert_eq!(mock.interrupt(), Some(0));
}
