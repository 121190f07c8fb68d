//! The test-facing handle: faults, statistics, orders, prices and realtime controls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::state::Shared;

/// A failure the server produces on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `EGW00201` "초당 거래건수를 초과하였습니다." with HTTP 500, as past the per-second limit.
    RateLimit,
    /// `EGW00123` "기간이 만료된 token 입니다." with the given HTTP status (KIS uses 500; 200 has
    /// been seen in the wild).
    TokenExpired {
        /// HTTP status of the error response.
        http_status: u16,
    },
    /// `SYDB0050` when page `page` (1-based) of a paginated endpoint is requested.
    PagingDataChanged {
        /// The page that fails.
        page: u32,
    },
    /// HTTP 500, with a KIS-shaped JSON body or with an empty body.
    ServerError {
        /// Whether the body is `{"rt_cd":"1","msg_cd":...}` (else empty).
        json_body: bool,
    },
    /// Answers with this KIS code and message (`rt_cd` "1") and HTTP status, whatever the
    /// request: any code a client must react to.
    Answer {
        /// `msg_cd`.
        msg_cd: String,
        /// `msg1`.
        msg1: String,
        /// HTTP status of the answer.
        http_status: u16,
    },
    /// Waits this long before handling the request (then handles it normally).
    Delay(Duration),
    /// Closes the connection as soon as the request is read: nothing is processed.
    DropBeforeProcessing,
    /// Processes the request (an order IS placed), then closes the connection without a
    /// response: the client cannot know the outcome.
    DropAfterProcessing,
    /// Answers as usual with one more key: in `block` (each row of a list), or at the top of
    /// the body when `None`. A field KIS added that the catalog does not list yet.
    ExtraKey {
        /// The output block (`output`), or `None` for the top of the body.
        block: Option<String>,
        /// The key.
        key: String,
        /// Its value (a string, as KIS sends values).
        value: String,
    },
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every REST request with a TR ID (auth endpoints only when targeted by path).
    All,
    /// Requests whose `tr_id` header equals this.
    TrId(String),
    /// Requests to this path (auth endpoints included).
    Path(String),
}

/// A fault with its target and how many times it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// What happens.
    pub fault: Fault,
    /// To which requests.
    pub target: FaultTarget,
    /// How many matching requests it hits; `None` hits every one until removed.
    pub times: Option<u32>,
}

impl Fault {
    /// This fault for every request, until removed.
    pub fn always(self) -> FaultSpec {
        FaultSpec {
            fault: self,
            target: FaultTarget::All,
            times: None,
        }
    }

    /// This fault for the next `n` matching requests.
    pub fn times(self, n: u32) -> FaultSpec {
        self.always().times(n)
    }

    /// This fault for requests with this TR ID.
    pub fn on_tr_id(self, tr_id: impl Into<String>) -> FaultSpec {
        self.always().on_tr_id(tr_id)
    }

    /// This fault for requests to this path.
    pub fn on_path(self, path: impl Into<String>) -> FaultSpec {
        self.always().on_path(path)
    }
}

impl FaultSpec {
    /// Limits the fault to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> FaultSpec {
        self.times = Some(n);
        self
    }

    /// Targets requests with this TR ID.
    pub fn on_tr_id(mut self, tr_id: impl Into<String>) -> FaultSpec {
        self.target = FaultTarget::TrId(tr_id.into());
        self
    }

    /// Targets requests to this path.
    pub fn on_path(mut self, path: impl Into<String>) -> FaultSpec {
        self.target = FaultTarget::Path(path.into());
        self
    }
}

impl From<Fault> for FaultSpec {
    fn from(f: Fault) -> Self {
        f.always()
    }
}

/// A handle on one injected fault.
#[derive(Debug, Clone)]
pub struct FaultHandle {
    pub(crate) id: u64,
    pub(crate) shared: Arc<Shared>,
}

impl FaultHandle {
    /// How many requests the fault has hit so far.
    pub fn hits(&self) -> u32 {
        self.shared
            .lock()
            .faults
            .iter()
            .find(|f| f.id == self.id)
            .map(|f| f.hits)
            .unwrap_or(0)
    }

    /// Removes the fault.
    pub fn remove(&self) {
        self.shared.lock().faults.retain(|f| f.id != self.id);
        self.shared.refresh_fault_flag();
    }
}

/// One REST request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Request path.
    pub path: String,
    /// `tr_id` header (empty when absent).
    pub tr_id: String,
    /// `tr_cont` header (empty when absent).
    pub tr_cont: String,
    /// The continuation inputs of a paginated endpoint as sent (name, value).
    pub keys: Vec<(String, String)>,
}

/// Request statistics since start (or the last [`MockControl::reset_stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// REST requests per `tr_id` header.
    pub by_tr_id: BTreeMap<String, u64>,
    /// REST requests in arrival order (the most recent 100 000).
    pub sequence: Vec<RequestRecord>,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// Token issue requests refused with `EGW00133`.
    pub token_issue_refused: u64,
    /// Requests refused with `EGW00201` by the rate limit (injected faults not included).
    pub rate_limited: u64,
    /// WebSocket approval keys issued.
    pub approvals_issued: u64,
    /// Hashkeys computed.
    pub hashkeys: u64,
    /// WebSocket connections accepted.
    pub ws_connections: u64,
    /// WebSocket connections refused because [`crate::MockConfig::ws_max_connections`] were
    /// being served.
    pub ws_refused: u64,
    /// Subscribe / unsubscribe messages received.
    pub ws_subscribe_messages: u64,
    /// `PINGPONG` echoes received from clients.
    pub pingpong_echoes: u64,
    /// `PINGPONG` messages sent.
    pub pingpongs_sent: u64,
}

impl Stats {
    /// Requests received with this TR ID.
    pub fn count(&self, tr_id: &str) -> u64 {
        self.by_tr_id.get(tr_id).copied().unwrap_or(0)
    }
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderSide {
    /// 매수.
    Buy,
    /// 매도.
    Sell,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Accepted, not filled.
    Open,
    /// Completely filled.
    Filled,
    /// Cancelled.
    Cancelled,
    /// Replaced by a modification (the new order has its own number).
    Replaced,
}

/// An order the server remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockOrder {
    /// 10-digit order number (`ODNO`).
    pub odno: String,
    /// 5-digit order organisation number (`KRX_FWDG_ORD_ORGNO`).
    pub org_no: String,
    /// The order this one modifies, if any.
    pub orig_odno: Option<String>,
    /// Qualified id of the endpoint that placed it (`domestic_stock.order_cash`).
    pub endpoint: String,
    /// TR ID it was placed with.
    pub tr_id: String,
    /// `CANO` (8 digits).
    pub account: String,
    /// `ACNT_PRDT_CD`.
    pub account_product: String,
    /// Product code.
    pub product: String,
    /// Buy or sell.
    pub side: OrderSide,
    /// Ordered quantity.
    pub qty: u64,
    /// Limit price as a decimal string (`0` for market orders).
    pub price: String,
    /// Order division code as sent (`00` limit, `01` market, ...).
    pub ord_dvsn: String,
    /// Filled quantity.
    pub filled_qty: u64,
    /// Fill price, when filled.
    pub fill_price: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// `ORD_DT` (YYYYMMDD, Korea time).
    pub ord_date: String,
    /// `ORD_TMD` (HHMMSS, Korea time).
    pub ord_time: String,
    /// How many requests with exactly this TR ID and body were received (drops included).
    pub received: u32,
}

/// A cheap, cloneable handle on a running server's state.
#[derive(Debug, Clone)]
pub struct MockControl {
    pub(crate) shared: Arc<Shared>,
}

impl MockControl {
    /// Injects a fault; it applies until removed, cleared, or its `times` run out.
    pub fn inject(&self, spec: impl Into<FaultSpec>) -> FaultHandle {
        let spec = spec.into();
        let id = {
            let mut st = self.shared.lock();
            st.next_fault_id += 1;
            let id = st.next_fault_id;
            st.faults
                .push(crate::state::FaultEntry { id, spec, hits: 0 });
            id
        };
        self.shared.refresh_fault_flag();
        FaultHandle {
            id,
            shared: self.shared.clone(),
        }
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
        self.shared.refresh_fault_flag();
    }

    /// Marks every token issued so far as expired: requests with them get `EGW00123`
    /// (HTTP 500); tokens issued afterwards work.
    pub fn expire_tokens(&self) {
        let mut st = self.shared.lock();
        for t in st.tokens.values_mut() {
            t.expired = true;
        }
    }

    /// Lets the next token issue through regardless of the once-per-interval rule.
    pub fn reset_token_interval(&self) {
        self.shared.lock().last_issue.clear();
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    /// Clears the statistics.
    pub fn reset_stats(&self) {
        self.shared.lock().stats = Stats::default();
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.shared.lock().stats.tokens_issued
    }

    /// REST requests received with this TR ID.
    pub fn requests_for(&self, tr_id: &str) -> u64 {
        self.shared.lock().stats.count(tr_id)
    }

    /// Every remembered order, oldest first.
    pub fn orders(&self) -> Vec<MockOrder> {
        let st = self.shared.lock();
        st.orders
            .iter()
            .map(|o| o.public(st.order_requests.get(&o.request_key).copied().unwrap_or(0)))
            .collect()
    }

    /// Forgets every order and holding.
    pub fn clear_orders(&self) {
        let mut st = self.shared.lock();
        st.orders.clear();
        st.holdings.clear();
        st.order_requests.clear();
        drop(st);
        self.shared.clear_cache();
    }

    /// Sets the current price of a product (a decimal string such as `71900` or `182.52`);
    /// quotes, fills and valuations follow it.
    pub fn set_price(&self, product: &str, price: &str) {
        self.shared
            .prices
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(product.to_string(), price.trim().to_string());
        self.shared.clear_cache();
    }

    /// The current price of a product in the style of an API group (`domestic_stock`,
    /// `overseas_stock`, ...), as the quotes show it.
    pub fn price(&self, group: &str, product: &str) -> String {
        let style = crate::values::PriceStyle::for_group(group);
        crate::values::fmt_scaled(self.shared.current_price(&style, product), style.scale)
    }

    /// Starts or stops realtime tick generation.
    pub fn set_ticks(&self, enabled: bool) {
        self.shared.ws.ticks.store(enabled, Ordering::SeqCst);
        self.shared.ws.wake_all();
    }

    /// Sets the interval between tick frames of a session.
    pub fn set_tick_interval(&self, interval: Duration) {
        let ms = u64::try_from(interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        self.shared.ws.tick_ms.store(ms, Ordering::SeqCst);
        self.shared.ws.wake_all();
    }

    /// Closes every WebSocket connection from the server side; clients must reconnect and
    /// subscribe again.
    pub fn drop_ws_connections(&self) {
        self.shared.ws.drop_all();
    }

    /// Sends a raw text frame to every WebSocket session (for malformed-input tests).
    pub fn push_raw_frame(&self, frame: impl Into<String>) {
        self.shared.ws.push_raw(frame.into());
    }

    /// Live subscriptions over all sessions.
    pub fn subscription_count(&self) -> usize {
        self.shared.ws.subscription_count()
    }

    /// REST requests that `--replay` ([`crate::MockConfig::replay`]) found no recorded
    /// answer for.
    pub fn replay_unmatched(&self) -> u64 {
        self.shared.replay.as_ref().map_or(0, |r| r.unmatched())
    }

    /// Live WebSocket sessions.
    pub fn ws_session_count(&self) -> usize {
        self.shared.ws.session_count()
    }
}
