//! What a test reads back from the server: the requests received, statistics and the orders
//! it remembers.

use std::collections::BTreeMap;

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

/// Request statistics since start (or the last [`crate::MockControl::reset_stats`]).
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
