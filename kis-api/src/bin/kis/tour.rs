//! `kis tour`: the API in five steps against an embedded mock server, through the generated typed
//! methods (what the library is for): a quote, a paginated chart, a limit order and its
//! cancellation, a market order and the balance, and realtime ticks.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kis_api::codes::{
    FuturesExchange, ModifyOrCancel, OrderDivision, PreviousDayTrades, StockMarket,
};
use kis_api::domestic_stock::{
    H0STCNT0, ccnl_krx, inquire_balance, inquire_price, inquire_psbl_rvsecncl, order_cash,
    order_rvsecncl,
};
use kis_api::overseas_futureoption::daily_ccnl;
use kis_api::{Client, Decimal, Env, Real, RealtimeTr, TokenCache};
use kis_mock::{MockConfig, MockServer};

use crate::render::{Align, Table, num, thousands};
use crate::target::mock_builder;
use crate::{ConnArgs, Failure};

const SYMBOL: &str = "005930";
const SYMBOL_NAME: &str = "삼성전자";
/// The mock's price of the symbol for the tour, so the story reads the same every time.
const PRICE: &str = "71900";
/// The account the tour's client uses against the mock (never a real one).
const ACCOUNT: &str = "50000000-01";
const STEPS: usize = 5;
/// How long the realtime step listens, and how many records it shows at most.
const TICK_TIME: Duration = Duration::from_secs(3);
const TICK_RECORDS: usize = 8;

fn step(n: usize, ko: &str, en: &str, what: &str) {
    outln!("\n[{n}/{STEPS}] {ko} · {en}");
    outln!("      {what}");
}

fn code(line: &str) {
    outln!("      Rust: {line}");
}

fn say(line: &str) {
    outln!("      {}", crate::render::clean(line));
}

fn indent(text: &str) {
    for l in text.lines() {
        outln!("      {l}");
    }
}

/// ▲ up, ▼ down, by KIS's change sign (upper limit, rise, unchanged, lower limit, fall).
fn arrow(sign: Option<&kis_api::codes::ChangeSign>) -> &'static str {
    use kis_api::codes::ChangeSign;
    match sign {
        Some(ChangeSign::UpperLimit | ChangeSign::Rise) => "▲",
        Some(ChangeSign::LowerLimit | ChangeSign::Fall) => "▼",
        _ => "-",
    }
}

/// Runs the tour.
pub async fn run(conn: &ConnArgs) -> Result<(), Failure> {
    if conn.app_key.is_some()
        || conn.config.is_some()
        || conn.demo
        || conn.real
        || conn.account.is_some()
        || conn.mock
        || conn.rest_url.is_some()
        || conn.ws_url.is_some()
    {
        eprintln!(
            "kis: the tour always runs against its own embedded mock; connection flags are not used"
        );
    }
    let started = Instant::now();
    let config = MockConfig::default()
        .with_pages(3, 5)
        .with_ticks(true, Duration::from_millis(250));
    let mock = MockServer::start(config)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot start the embedded mock server: {e}")))?;
    mock.control().set_price(SYMBOL, PRICE);
    let result = async {
        let client = mock_builder(&mock)
            .real()
            .token_cache(TokenCache::Memory)
            .stock_account(ACCOUNT)
            .build()?;
        tour(&client).await
    }
    .await;
    mock.shutdown().await;
    result?;
    outln!(
        "\nThe tour took {:.1} s, all of it on this machine.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn tour(client: &Client<Real>) -> Result<(), Failure> {
    outln!("kis tour · KIS Open API 둘러보기");
    outln!("An embedded mock KIS server serves this tour on loopback ports:");
    outln!(
        "  REST {}   WebSocket {}",
        client.rest_url(),
        client.websocket_url()
    );
    outln!("No account, no network, no real money. Each step is a typed call of the kis-api");
    outln!("library: the same code talks to KIS itself (실전투자 or 모의투자).");
    quote(client).await?;
    chart(client).await?;
    limit_and_cancel(client).await?;
    market_and_balance(client).await?;
    ticks(client).await?;
    closing();
    Ok(())
}

/// Step 1: 주식현재가 시세.
async fn quote(client: &Client<Real>) -> Result<(), Failure> {
    step(
        1,
        "현재가 조회",
        "Quote",
        "domestic_stock.inquire_price (주식현재가 시세, TR FHKST01010100)",
    );
    code(
        "client.domestic_stock().inquire_price(inquire_price::Request::new(StockMarket::Krx, \"005930\")).await?",
    );
    let reply = client
        .domestic_stock()
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, SYMBOL))
        .await?;
    let Some(o) = reply.output else {
        return Err(Failure::Runtime(
            "the quote came back without its output block".into(),
        ));
    };
    say(&format!(
        "{SYMBOL_NAME} {SYMBOL}  현재가 {}원  전일대비 {} {} ({}%)",
        num(o.stck_prpr),
        arrow(o.prdy_vrss_sign.as_ref()),
        num(o.prdy_vrss.map(|d| d.abs())),
        num(o.prdy_ctrt),
    ));
    say(&format!(
        "시가 {}  고가 {}  저가 {}  누적거래량 {}주",
        num(o.stck_oprc),
        num(o.stck_hgpr),
        num(o.stck_lwpr),
        num(o.acml_vol.map(Decimal::from)),
    ));
    say("Prices are exact decimals (rust_decimal), never floats; blanks are None.");
    Ok(())
}

/// Step 2: 해외선물 체결추이(일간), page by page.
async fn chart(client: &Client<Real>) -> Result<(), Failure> {
    step(
        2,
        "일별 체결추이 (연속조회)",
        "Paginated daily chart",
        "overseas_futureoption.daily_ccnl (해외선물 체결추이(일간), TR HHDFC55020100), E-mini S&P 500 on CME",
    );
    code(
        "client.overseas_futureoption().daily_ccnl(daily_ccnl::Request::new(\"ESZ25\", FuturesExchange::Cme, today, 5)).pages()",
    );
    // KIS's calendar is Korean time (UTC+9), whatever the machine's zone
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let request = daily_ccnl::Request::new("ESZ25", FuturesExchange::Cme, today, 5);
    let mut pages = client.overseas_futureoption().daily_ccnl(request).pages();
    let mut count = 0;
    let mut rows = 0;
    let mut t = Table::with_columns(vec![
        ("page".into(), Align::Right),
        ("일자 date".into(), Align::Left),
        ("시가 open".into(), Align::Right),
        ("고가 high".into(), Align::Right),
        ("저가 low".into(), Align::Right),
        ("종가 close".into(), Align::Right),
        ("거래량 volume".into(), Align::Right),
    ]);
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page?;
        count += 1;
        if let Some(o1) = &page.reply.body.output1 {
            keys.push(o1.index_key.trim().to_string());
        }
        for r in &page.reply.body.output2 {
            rows += 1;
            t.row(vec![
                (page.index + 1).to_string(),
                r.data_date
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                num(r.open_price),
                num(r.high_price),
                num(r.low_price),
                num(r.last_price),
                num(r.vol.map(Decimal::from)),
            ]);
        }
    }
    indent(&t.render());
    say(&format!(
        "{count} pages, {rows} rows. For each next page the client sent tr_cont N, INDEX_KEY"
    ));
    say(&format!(
        "copied from output1.index_key ({} keys) and QRY_TP=P, until the server answered",
        keys.iter().filter(|k| !k.is_empty()).count()
    ));
    say("tr_cont D. `.all()` collects every page; a pagination that breaks off ends in an");
    say("error, never in a silently partial result.");
    if count < 2 {
        return Err(Failure::Runtime(format!(
            "the chart should span several pages, got {count}"
        )));
    }
    Ok(())
}

/// Step 3: a limit order far below the market, then its cancellation.
async fn limit_and_cancel(client: &Client<Real>) -> Result<(), Failure> {
    step(
        3,
        "지정가 주문과 취소",
        "Limit order, then cancel",
        "domestic_stock.order_cash (주식주문(현금)) and order_rvsecncl (주식주문(정정취소))",
    );
    let stock = client.domestic_stock();
    let market = stock
        .inquire_price(inquire_price::Request::new(StockMarket::Krx, SYMBOL))
        .await?
        .output
        .and_then(|o| o.stck_prpr)
        .unwrap_or(Decimal::ZERO);
    // 70 % of the market, in whole thousands: a valid KRX tick at any price level
    let limit = ((market * Decimal::new(7, 1)) / Decimal::from(1000)).floor() * Decimal::from(1000);
    let limit = limit.max(Decimal::from(1000));
    code(&format!(
        "stock.order_cash(order_cash::Request::new(Side::Buy, \"005930\", OrderDivision::Limit, 10, Decimal::from({limit}))).reply().await?"
    ));
    let placed = stock
        .order_cash(order_cash::Request::new(
            order_cash::Side::Buy,
            SYMBOL,
            OrderDivision::Limit,
            10,
            limit,
        ))
        .reply()
        .await?;
    let Some(order) = placed.body.output else {
        return Err(Failure::Runtime(
            "the order came back without its output block".into(),
        ));
    };
    say(&format!(
        "매수 10주 @ {}원 (market {}원): 주문번호 {} at {}  [{} {}]",
        thousands(limit),
        thousands(market),
        order.odno,
        order
            .ord_tmd
            .map(|t| t.format("%H:%M:%S").to_string())
            .unwrap_or_default(),
        placed.envelope.msg_cd.trim(),
        placed.envelope.msg1.trim()
    ));
    let open = stock
        .inquire_psbl_rvsecncl(inquire_psbl_rvsecncl::Request::new(
            inquire_psbl_rvsecncl::ListOrder::Order,
        ))
        .all_rows()
        .await?;
    let listed = open.iter().any(|o| o.odno == order.odno);
    say(&format!(
        "정정취소가능주문 (open orders): {} listed{}",
        open.len(),
        if listed {
            format!(", {} among them", order.odno)
        } else {
            String::new()
        }
    ));
    code(
        "stock.order_rvsecncl(order_rvsecncl::Request::new(orgno, odno, OrderDivision::Limit, ModifyOrCancel::Cancel, 10, Decimal::ZERO, true)).reply().await?",
    );
    let cancelled = stock
        .order_rvsecncl(order_rvsecncl::Request::new(
            &*order.krx_fwdg_ord_orgno,
            &*order.odno,
            OrderDivision::Limit,
            ModifyOrCancel::Cancel,
            10,
            Decimal::ZERO,
            true,
        ))
        .reply()
        .await?;
    let cancel_no = cancelled.body.output.map(|o| o.odno).unwrap_or_default();
    let still_open = stock
        .inquire_psbl_rvsecncl(inquire_psbl_rvsecncl::Request::new(
            inquire_psbl_rvsecncl::ListOrder::Order,
        ))
        .all_rows()
        .await?
        .iter()
        .any(|o| o.odno == order.odno);
    say(&format!(
        "취소 (cancel): 주문번호 {cancel_no} cancels {}  [{} {}]; still open: {}",
        order.odno,
        cancelled.envelope.msg_cd.trim(),
        cancelled.envelope.msg1.trim(),
        if still_open { "yes" } else { "no" }
    ));
    if still_open || !listed {
        return Err(Failure::Runtime(format!(
            "order {} should be listed as open, then cancelled",
            order.odno
        )));
    }
    say("Orders are sent exactly once: the client never retries a call that changes state.");
    Ok(())
}

/// Step 4: a market order that fills, and the balance.
async fn market_and_balance(client: &Client<Real>) -> Result<(), Failure> {
    step(
        4,
        "시장가 주문과 잔고",
        "Market order and balance",
        "domestic_stock.order_cash (시장가) and inquire_balance (주식잔고조회)",
    );
    let stock = client.domestic_stock();
    code(
        "stock.order_cash(order_cash::Request::new(Side::Buy, \"005930\", OrderDivision::Market, 3, Decimal::ZERO)).reply().await?",
    );
    let placed = stock
        .order_cash(order_cash::Request::new(
            order_cash::Side::Buy,
            SYMBOL,
            OrderDivision::Market,
            3,
            Decimal::ZERO,
        ))
        .reply()
        .await?;
    say(&format!(
        "매수 3주 시장가: 주문번호 {}  [{} {}]",
        placed.body.output.map(|o| o.odno).unwrap_or_default(),
        placed.envelope.msg_cd.trim(),
        placed.envelope.msg1.trim()
    ));
    code(
        "stock.inquire_balance(inquire_balance::Request::new(BalanceGrouping::BySymbol, false, PreviousDayTrades::WithPreviousDay)).all().await?",
    );
    let pages = stock
        .inquire_balance(inquire_balance::Request::new(
            inquire_balance::BalanceGrouping::BySymbol,
            false,
            PreviousDayTrades::WithPreviousDay,
        ))
        .all()
        .await?;
    let mut t = Table::with_columns(vec![
        ("종목 symbol".into(), Align::Left),
        ("보유수량 qty".into(), Align::Right),
        ("매입평균가 avg".into(), Align::Right),
        ("현재가 price".into(), Align::Right),
        ("평가금액 value".into(), Align::Right),
        ("평가손익 P/L".into(), Align::Right),
    ]);
    let mut held = None;
    for h in pages.iter().flat_map(|p| p.output1.iter()) {
        if h.pdno == SYMBOL {
            held = h.hldg_qty;
        }
        t.row(vec![
            h.pdno.clone(),
            num(h.hldg_qty.map(Decimal::from)),
            num(h.pchs_avg_pric),
            num(h.prpr),
            num(h.evlu_amt),
            num(h.evlu_pfls_amt),
        ]);
    }
    indent(&t.render());
    if let Some(total) = pages.iter().flat_map(|p| p.output2.iter()).next() {
        say(&format!(
            "예수금총금액 (cash) {}원  총평가금액 (total) {}원",
            num(total.dnca_tot_amt),
            num(total.tot_evlu_amt)
        ));
    }
    match held {
        Some(q) if q >= 3 => {
            say(&format!(
                "The market order filled: {q} shares of {SYMBOL} are held."
            ));
            Ok(())
        }
        other => Err(Failure::Runtime(format!(
            "the balance should hold the filled shares of {SYMBOL}, shows {other:?}"
        ))),
    }
}

/// Step 5: realtime ticks of H0STCNT0 for a few seconds.
async fn ticks(client: &Client<Real>) -> Result<(), Failure> {
    let meta = <ccnl_krx::Tr as RealtimeTr>::META;
    let tr_id = meta.tr_id(0, Env::Real).unwrap_or("H0STCNT0");
    step(
        5,
        "실시간 체결가",
        "Realtime ticks",
        &format!(
            "domestic_stock.ccnl_krx ({}, WebSocket TR {tr_id}) for {} s",
            meta.name,
            TICK_TIME.as_secs()
        ),
    );
    code("session.subscribe(domestic_stock::H0STCNT0, \"005930\")  // then frame.records()");
    let session = client.realtime().await?;
    let mut ticks = session.subscribe(H0STCNT0, SYMBOL).await?;
    say(&format!("subscribed to {} {}", ticks.tr_id(), ticks.key()));
    let deadline = tokio::time::Instant::now() + TICK_TIME;
    let mut t = Table::with_columns(vec![
        ("체결시간 time".into(), Align::Left),
        ("현재가 price".into(), Align::Right),
        ("전일대비 change".into(), Align::Right),
        ("등락률 %".into(), Align::Right),
        ("누적거래량 volume".into(), Align::Right),
    ]);
    let (mut frames, mut shown) = (0, 0);
    while shown < TICK_RECORDS {
        let Ok(item) = tokio::time::timeout_at(deadline, ticks.recv()).await else {
            break;
        };
        let frame = match item {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(e)) => return Err(Failure::Api(e.into())),
        };
        frames += 1;
        for rec in frame.records() {
            let rec = rec.map_err(|e| {
                Failure::Runtime(format!("a {tr_id} record could not be read: {e}"))
            })?;
            if shown == TICK_RECORDS {
                break;
            }
            shown += 1;
            t.row(vec![
                rec.stck_cntg_hour
                    .map(|h| h.format("%H:%M:%S").to_string())
                    .unwrap_or_default(),
                num(rec.stck_prpr),
                format!(
                    "{} {}",
                    arrow(rec.prdy_vrss_sign.as_ref()),
                    num(rec.prdy_vrss.map(|d| d.abs()))
                ),
                num(rec.prdy_ctrt),
                num(rec.acml_vol.map(Decimal::from)),
            ]);
        }
    }
    drop(ticks);
    session.close().await;
    indent(&t.render());
    say(&format!(
        "{shown} records from {frames} frames (flag|tr_id|count|payload, ^-separated, several records"
    ));
    say("per frame), read into typed records by the catalog's column list; PINGPONG is answered.");
    if shown == 0 {
        return Err(Failure::Runtime(format!(
            "no {tr_id} ticks arrived within {} s",
            TICK_TIME.as_secs()
        )));
    }
    Ok(())
}

fn closing() {
    outln!("\n다음 단계 · Next: your own account");
    indent(
        "1. Get an app key and secret on KIS Developers (apiportal.koreainvestment.com); start
   with 모의투자 (demo), where orders move no money.
2. Give them to kis (and to the library) in one of three ways:
     export KIS_APP_KEY=... KIS_APP_SECRET=... KIS_ACCOUNT=12345678-01
     kis --config ~/KIS/config/kis_devlp.yaml ...   (the official samples' file; read by default)
     kis --app-key ... --app-secret ...
3. Then, against KIS itself:
     kis --demo call domestic_stock.inquire_price FID_COND_MRKT_DIV_CODE=J FID_INPUT_ISCD=005930
     kis --demo watch H0STCNT0 005930
   Orders in the real environment (실전투자) also need --confirm-real-order.
   In Rust: Client::builder().demo().from_env().build()? (see README.md).
Explore: kis list · kis describe <endpoint> · kis call <endpoint> KEY=value · kis mock",
    );
}
