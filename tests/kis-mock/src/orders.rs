//! Orders and account state: placing, filling, modifying and cancelling orders, and the
//! views that order and balance inquiries show.

use std::sync::Arc;

use crate::endpoint_plan::RestPlan;
use crate::error_table::When;
use crate::observed::{OrderSide, OrderStatus};
use crate::state::{Holding, OrderRec, Shared, State};
use crate::success_body::{HoldingView, StateView};
use crate::values::{fmt_date, fmt_time, kst_now, parse_scaled};
use crate::ws::Notice;

/// Why an order is refused (answered as the catalog's error table says) and the key concerned.
pub(crate) type Refusal = (When, String);

fn input(inputs: &[String], idx: Option<usize>) -> &str {
    idx.and_then(|i| inputs.get(i))
        .map(|s| s.trim())
        .unwrap_or("")
}

fn same_number(a: &str, b: &str) -> bool {
    let a = a.trim().trim_start_matches('0');
    let b = b.trim().trim_start_matches('0');
    !a.is_empty() && a == b
}

fn holding_key(o: &OrderRec) -> (String, String, String, String) {
    (
        o.account.clone(),
        o.account_product.clone(),
        o.group.clone(),
        o.product.clone(),
    )
}

/// The position (product, quantity) an account holds in a group before its first order there,
/// bought at the product's price of that moment. Once an account has orders in a group its
/// balances list what it holds instead of generated rows; a real account that sells or asks
/// for its balance holds something, and KIS's examples sell, then query the pension, rights and
/// overseas (NASD, USD) balances of such an account. The products are not the ones the
/// examples and tests trade, so their fills and balances keep their own arithmetic.
const SEEDED: &[(&str, &str, i64)] = &[
    ("domestic_stock", "035420", 10),
    ("overseas_stock", "MSFT", 10),
];

/// The position an account is seeded with in `group`, with its price now.
fn seeded(shared: &Shared, plan: &RestPlan) -> Option<(&'static str, i64, i64)> {
    let (_, product, qty) = SEEDED.iter().find(|(g, _, _)| *g == plan.group)?;
    Some((product, *qty, shared.current_price(&plan.style, product)))
}

/// Gives the account its seeded position before its first order in the group.
fn seed_account(st: &mut State, o: &OrderRec, seed: Option<(&str, i64, i64)>) {
    let Some((product, qty, price)) = seed else {
        return;
    };
    if st
        .orders
        .iter()
        .any(|x| x.account == o.account && x.group == o.group)
    {
        return;
    }
    let key = (
        o.account.clone(),
        o.account_product.clone(),
        o.group.clone(),
        product.to_string(),
    );
    st.holdings.entry(key).or_insert(Holding {
        qty,
        cost: i128::from(price) * i128::from(qty),
    });
}

/// Fills the order at the current price when it is marketable.
fn try_fill(st: &mut State, o: &mut OrderRec, current: i64) -> bool {
    let marketable = o.market
        || o.price == 0
        || match o.side {
            OrderSide::Buy => o.price >= current,
            OrderSide::Sell => o.price <= current,
        };
    if !marketable || o.status != OrderStatus::Open {
        return false;
    }
    let qty = o.qty.saturating_sub(o.filled_qty);
    o.filled_qty = o.qty;
    o.fill_price = Some(current);
    o.status = OrderStatus::Filled;
    let h = st.holdings.entry(holding_key(o)).or_default();
    let n = i64::try_from(qty).unwrap_or(i64::MAX);
    match o.side {
        OrderSide::Buy => {
            h.qty = h.qty.saturating_add(n);
            h.cost += i128::from(current) * i128::from(n);
        }
        OrderSide::Sell => {
            if h.qty > 0 {
                let avg = h.cost / i128::from(h.qty);
                h.cost -= avg * i128::from(n.min(h.qty));
            }
            h.qty = h.qty.saturating_sub(n);
            if h.qty <= 0 {
                h.qty = 0;
                h.cost = 0;
            }
        }
    }
    true
}

/// Handles a mutating call: places, modifies or cancels an order. `Ok(None)` for mutating
/// calls that carry no order (the call succeeds and nothing is remembered).
pub(crate) fn place(
    shared: &Arc<Shared>,
    plan: &RestPlan,
    variant: &str,
    tr_id: &str,
    inputs: &[String],
) -> Result<Option<OrderRec>, Refusal> {
    let oi = &plan.order;
    let now = kst_now();
    let date = fmt_date(now.date());
    let time = fmt_time(chrono::Timelike::num_seconds_from_midnight(&now.time()));
    let account = input(inputs, oi.account).to_string();
    let account_product = input(inputs, oi.product_code).to_string();
    let style = plan.style;
    let price_str = input(inputs, oi.price);
    let price = if price_str.is_empty() {
        0
    } else {
        match parse_scaled(price_str, style.scale) {
            Some(p) if p >= 0 => p,
            _ => {
                let name = oi
                    .price
                    .and_then(|i| plan.inputs.get(i))
                    .map(|f| f.upper.clone())
                    .unwrap_or_default();
                return Err((When::InputInvalid, name));
            }
        }
    };
    let qty_str = input(inputs, oi.qty);
    let qty: Option<u64> = if qty_str.is_empty() {
        None
    } else {
        match qty_str.parse::<u64>() {
            Ok(q) => Some(q),
            Err(_) => {
                let name = oi
                    .qty
                    .and_then(|i| plan.inputs.get(i))
                    .map(|f| f.upper.clone())
                    .unwrap_or_default();
                return Err((When::InputInvalid, name));
            }
        }
    };
    let request_key = order_request_key(tr_id, inputs);
    let mut notices = Vec::new();
    let result = if oi.orig_odno.is_some() {
        let orig = input(inputs, oi.orig_odno);
        let cancel = match input(inputs, oi.rvse_cncl) {
            "02" => true,
            "01" => false,
            _ => variant.contains("cancel") || variant.contains("cncl"),
        };
        let mut st = shared.lock();
        let Some(idx) = st.orders.iter().position(|o| {
            o.account == account && o.group == plan.group && same_number(&o.odno, orig)
        }) else {
            return Err((When::OrderNotFound, String::new()));
        };
        if st.orders[idx].status != OrderStatus::Open {
            return Err((When::OrderNotOpen, String::new()));
        }
        st.next_odno += 1;
        let odno = format!("{:010}", st.next_odno - 1);
        let old = st.orders[idx].clone();
        let mut new = old.clone();
        new.odno = odno;
        new.orig_odno = Some(old.odno.clone());
        new.tr_id = tr_id.to_string();
        new.endpoint = plan.qualified_id.clone();
        new.ord_date = date;
        new.ord_time = time;
        new.request_key = request_key;
        new.filled_qty = 0;
        new.fill_price = None;
        if cancel {
            st.orders[idx].status = OrderStatus::Cancelled;
            new.qty = old.remaining();
            new.status = OrderStatus::Cancelled;
            notices.push(Notice {
                order: new.clone(),
                fill: false,
                rctf: "2",
            });
            Some(new)
        } else {
            st.orders[idx].status = OrderStatus::Replaced;
            let all = input(inputs, oi.qty_all) == "Y";
            new.qty = match qty {
                Some(q) if q > 0 && !all => q,
                _ => old.remaining(),
            };
            if price > 0 {
                new.price = price;
            }
            let dv = input(inputs, oi.ord_dvsn);
            if !dv.is_empty() {
                new.ord_dvsn = dv.to_string();
                new.market = oi.market_values.iter().any(|m| m == dv);
            }
            new.status = OrderStatus::Open;
            let current = shared.current_price(&style, &new.product);
            notices.push(Notice {
                order: new.clone(),
                fill: false,
                rctf: "1",
            });
            if try_fill(&mut st, &mut new, current) {
                notices.push(Notice {
                    order: new.clone(),
                    fill: true,
                    rctf: "1",
                });
            }
            st.orders.push(new.clone());
            Some(new)
        }
    } else {
        let product = input(inputs, oi.product);
        match qty {
            Some(q) if !product.is_empty() => {
                if q == 0 {
                    let name = oi
                        .qty
                        .and_then(|i| plan.inputs.get(i))
                        .map(|f| f.upper.clone())
                        .unwrap_or_default();
                    return Err((When::InputInvalid, name));
                }
                let side = match input(inputs, oi.side) {
                    "01" => OrderSide::Sell,
                    "02" => OrderSide::Buy,
                    _ if variant.contains("sell") => OrderSide::Sell,
                    _ => OrderSide::Buy,
                };
                let current = shared.current_price(&style, product);
                let seed = seeded(shared, plan);
                let mut st = shared.lock();
                st.next_odno += 1;
                let mut o = OrderRec {
                    odno: format!("{:010}", st.next_odno - 1),
                    org_no: "06010".to_string(),
                    orig_odno: None,
                    endpoint: plan.qualified_id.clone(),
                    group: plan.group.clone(),
                    tr_id: tr_id.to_string(),
                    account,
                    account_product,
                    product: product.to_string(),
                    side,
                    qty: q,
                    price,
                    ord_dvsn: input(inputs, oi.ord_dvsn).to_string(),
                    market: oi
                        .market_values
                        .iter()
                        .any(|m| m == input(inputs, oi.ord_dvsn)),
                    filled_qty: 0,
                    fill_price: None,
                    status: OrderStatus::Open,
                    ord_date: date,
                    ord_time: time,
                    style,
                    request_key,
                };
                seed_account(&mut st, &o, seed);
                notices.push(Notice {
                    order: o.clone(),
                    fill: false,
                    rctf: "0",
                });
                if try_fill(&mut st, &mut o, current) {
                    notices.push(Notice {
                        order: o.clone(),
                        fill: true,
                        rctf: "0",
                    });
                }
                st.orders.push(o.clone());
                Some(o)
            }
            _ => {
                // a mutating call without an order (reservations and the like): a number only
                let mut st = shared.lock();
                st.next_odno += 1;
                let n = st.next_odno - 1;
                Some(OrderRec {
                    odno: format!("{n:010}"),
                    org_no: "06010".to_string(),
                    orig_odno: None,
                    endpoint: plan.qualified_id.clone(),
                    group: plan.group.clone(),
                    tr_id: tr_id.to_string(),
                    account,
                    account_product,
                    product: product.to_string(),
                    side: OrderSide::Buy,
                    qty: 0,
                    price,
                    ord_dvsn: String::new(),
                    market: false,
                    filled_qty: 0,
                    fill_price: None,
                    status: OrderStatus::Open,
                    ord_date: date,
                    ord_time: time,
                    style,
                    request_key,
                })
            }
        }
    };
    for n in notices {
        crate::ws::notify(shared, &n);
    }
    Ok(result)
}

/// The orders and holdings an inquiry shows, when its account has any.
pub(crate) fn view(shared: &Shared, plan: &RestPlan, inputs: &[String]) -> Option<StateView> {
    let account = input(inputs, plan.order.account);
    let st = shared.lock();
    let orders: Vec<OrderRec> = st
        .orders
        .iter()
        .filter(|o| o.account == account && o.group == plan.group)
        .cloned()
        .collect();
    if orders.is_empty() {
        return None;
    }
    let mut holdings: Vec<HoldingView> = st
        .holdings
        .iter()
        .filter(|((acc, _, group, _), h)| acc == account && *group == plan.group && h.qty > 0)
        .map(|((_, _, _, product), h)| HoldingView {
            product: product.clone(),
            qty: h.qty,
            avg_price: i64::try_from(h.cost / i128::from(h.qty.max(1))).unwrap_or(0),
            cur_price: 0,
        })
        .collect();
    drop(st);
    holdings.sort_by(|a, b| a.product.cmp(&b.product));
    for h in &mut holdings {
        h.cur_price = shared.current_price(&plan.style, &h.product);
    }
    Some(StateView { orders, holdings })
}

/// The identity of an order request: its TR ID and inputs; a resent request has the same.
pub(crate) fn order_request_key(tr_id: &str, inputs: &[String]) -> String {
    let mut k = String::from(tr_id);
    for v in inputs {
        k.push('\u{1f}');
        k.push_str(v);
    }
    k
}
