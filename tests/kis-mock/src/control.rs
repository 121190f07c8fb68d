//! The test-facing handle: faults, statistics, orders, prices and realtime controls.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::fault::FaultSpec;
use crate::observed::{MockOrder, Stats};
use crate::state::Shared;

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
