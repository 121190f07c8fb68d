//! The state the REST and WebSocket tasks share: tokens, faults, statistics, orders,
//! holdings, rate windows and the response cache.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::{Environment, MockConfig};
use crate::endpoint_plan::Plans;
use crate::fault::FaultSpec;
use crate::observed::{MockOrder, OrderSide, OrderStatus, RequestRecord, Stats};
use crate::values::{PriceStyle, fmt_scaled, parse_scaled};
use crate::ws_hub::WsHub;

/// Most recent requests kept in [`Stats::sequence`].
const SEQUENCE_CAP: usize = 100_000;
/// App keys whose rate windows are remembered before idle ones are forgotten.
const RATE_KEYS_CAP: usize = 1024;
/// Cached response bodies before the cache is emptied.
const CACHE_CAP: usize = 4096;

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    pub(crate) app_key: String,
    pub(crate) app_secret: String,
    pub(crate) expires: Instant,
    pub(crate) expired: bool,
}

/// An injected fault with its bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct FaultEntry {
    pub(crate) id: u64,
    pub(crate) spec: FaultSpec,
    pub(crate) hits: u32,
}

/// An order as stored.
#[derive(Debug, Clone)]
pub(crate) struct OrderRec {
    pub(crate) odno: String,
    pub(crate) org_no: String,
    pub(crate) orig_odno: Option<String>,
    pub(crate) endpoint: String,
    pub(crate) group: String,
    pub(crate) tr_id: String,
    pub(crate) account: String,
    pub(crate) account_product: String,
    pub(crate) product: String,
    pub(crate) side: OrderSide,
    pub(crate) qty: u64,
    /// Scaled by the group's price scale.
    pub(crate) price: i64,
    pub(crate) ord_dvsn: String,
    /// A market order (fills at once).
    pub(crate) market: bool,
    pub(crate) filled_qty: u64,
    pub(crate) fill_price: Option<i64>,
    pub(crate) status: OrderStatus,
    pub(crate) ord_date: String,
    pub(crate) ord_time: String,
    pub(crate) style: PriceStyle,
    pub(crate) request_key: String,
}

impl OrderRec {
    pub(crate) fn public(&self, received: u32) -> MockOrder {
        MockOrder {
            odno: self.odno.clone(),
            org_no: self.org_no.clone(),
            orig_odno: self.orig_odno.clone(),
            endpoint: self.endpoint.clone(),
            tr_id: self.tr_id.clone(),
            account: self.account.clone(),
            account_product: self.account_product.clone(),
            product: self.product.clone(),
            side: self.side,
            qty: self.qty,
            price: fmt_scaled(self.price, self.style.scale),
            ord_dvsn: self.ord_dvsn.clone(),
            filled_qty: self.filled_qty,
            fill_price: self.fill_price.map(|p| fmt_scaled(p, self.style.scale)),
            status: self.status,
            ord_date: self.ord_date.clone(),
            ord_time: self.ord_time.clone(),
            received,
        }
    }

    pub(crate) fn remaining(&self) -> u64 {
        match self.status {
            OrderStatus::Open => self.qty.saturating_sub(self.filled_qty),
            _ => 0,
        }
    }
}

/// A position: key is (account, product code, group, product).
#[derive(Debug, Clone, Default)]
pub(crate) struct Holding {
    pub(crate) qty: i64,
    /// Purchase cost in scaled price units × quantity.
    pub(crate) cost: i128,
}

/// Mutable state behind one lock (short critical sections, never held across an await).
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) tokens: HashMap<String, TokenInfo>,
    pub(crate) last_issue: HashMap<String, Instant>,
    pub(crate) approvals: HashMap<String, String>,
    /// Arrival times of the accepted requests of each app key within the rate window.
    pub(crate) rate: HashMap<String, VecDeque<Instant>>,
    pub(crate) faults: Vec<FaultEntry>,
    pub(crate) next_fault_id: u64,
    pub(crate) stats: Stats,
    pub(crate) orders: Vec<OrderRec>,
    pub(crate) order_requests: HashMap<String, u32>,
    pub(crate) next_odno: u64,
    pub(crate) holdings: HashMap<(String, String, String, String), Holding>,
    pub(crate) token_counter: u64,
}

impl State {
    pub(crate) fn record(&mut self, rec: RequestRecord) {
        *self.stats.by_tr_id.entry(rec.tr_id.clone()).or_insert(0) += 1;
        if self.stats.sequence.len() >= SEQUENCE_CAP {
            // keep the newest: drop the oldest tenth at once
            self.stats.sequence.drain(..SEQUENCE_CAP / 10);
        }
        self.stats.sequence.push(rec);
    }

    /// Admits one request of `app_key` at `now` under a sliding window: refused when `limit`
    /// accepted requests of the key arrived within `window` before it. Refusals do not count
    /// towards the window (they are not transactions).
    pub(crate) fn admit(
        &mut self,
        app_key: &str,
        limit: u32,
        window: Duration,
        now: Instant,
    ) -> bool {
        if self.rate.len() >= RATE_KEYS_CAP && !self.rate.contains_key(app_key) {
            self.rate
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = self.rate.entry(app_key.to_string()).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() >= limit as usize {
            self.stats.rate_limited += 1;
            return false;
        }
        q.push_back(now);
        true
    }
}

/// Key of a cached response body: (plan, page, canonical inputs).
type CacheKey = (usize, u32, String);

/// Everything the REST and WebSocket tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) plans: Arc<Plans>,
    pub(crate) config: MockConfig,
    pub(crate) demo: bool,
    state: Mutex<State>,
    pub(crate) faults_active: AtomicBool,
    pub(crate) prices: RwLock<HashMap<String, String>>,
    cache: Mutex<HashMap<CacheKey, Bytes>>,
    pub(crate) ws: WsHub,
    pub(crate) counter: AtomicU64,
    pub(crate) ws_cap: usize,
    /// `MockConfig::record`'s writer.
    pub(crate) recorder: Option<crate::record::Recorder>,
    /// `MockConfig::replay`'s recorded exchanges.
    pub(crate) replay: Option<crate::replay::Replay>,
}

impl Shared {
    /// The state of a server about to start, nothing issued or injected yet.
    pub(crate) fn new(
        config: MockConfig,
        plans: Arc<Plans>,
        ws_cap: usize,
        recorder: Option<crate::record::Recorder>,
        replay: Option<crate::replay::Replay>,
    ) -> Shared {
        Shared {
            demo: config.environment == Environment::Demo,
            ws: WsHub::new(config.ticks, config.tick_interval),
            plans,
            state: Mutex::new(State {
                next_odno: 1,
                ..State::default()
            }),
            faults_active: AtomicBool::new(false),
            prices: RwLock::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(1),
            ws_cap,
            recorder,
            replay,
            config,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn refresh_fault_flag(&self) {
        let any = !self.lock().faults.is_empty();
        self.faults_active.store(any, Ordering::SeqCst);
    }

    pub(crate) fn clear_cache(&self) {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub(crate) fn cached(&self, key: &CacheKey) -> Option<Bytes> {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    pub(crate) fn store_cache(&self, key: CacheKey, body: Bytes) {
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if c.len() >= CACHE_CAP {
            c.clear();
        }
        c.insert(key, body);
    }

    /// The current price of a product: an override from [`crate::MockControl::set_price`], else
    /// the deterministic base price.
    pub(crate) fn current_price(&self, style: &PriceStyle, product: &str) -> i64 {
        let prices = self.prices.read().unwrap_or_else(|e| e.into_inner());
        if !prices.is_empty()
            && let Some(p) = prices
                .get(product)
                .and_then(|s| parse_scaled(s, style.scale))
            && p > 0
        {
            return p;
        }
        drop(prices);
        style.base_price(self.config.seed, product)
    }

    /// A fresh `gt_uid`-style id.
    pub(crate) fn next_uid(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:016X}{:016X}",
            crate::values::mix(self.config.seed, 0x0067_7569_6400),
            n
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_window_slides_instead_of_resetting_each_second() {
        let mut st = State::default();
        let window = Duration::from_secs(1);
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // two requests late in one second, then two early in the next: a fixed window would
        // accept all four, a sliding one refuses the ones that make three within a second
        assert!(st.admit("k", 2, window, at(900)));
        assert!(st.admit("k", 2, window, at(950)));
        assert!(!st.admit("k", 2, window, at(1_100)));
        assert!(!st.admit("k", 2, window, at(1_899)));
        assert!(st.admit("k", 2, window, at(1_900)), "the first aged out");
        assert!(!st.admit("k", 2, window, at(1_949)));
        assert!(st.admit("other", 2, window, at(1_949)), "keys are separate");
        assert_eq!(st.stats.rate_limited, 3);
    }
}
