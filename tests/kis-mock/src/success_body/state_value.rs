//! Values of a field taken from the remembered state: an order's, a holding's or the
//! holdings' totals.

use super::HoldingView;
use crate::endpoint_plan::StateRole;
use crate::observed::{OrderSide, OrderStatus};
use crate::state::OrderRec;
use crate::values::{PriceStyle, fmt_scaled};

pub(super) fn sep(out: &mut String, first: &mut bool) {
    if *first {
        *first = false;
    } else {
        out.push(',');
    }
}

/// Holdings context of a balance row or its totals.
pub(super) enum HoldCtx<'h> {
    One(&'h HoldingView),
    All(&'h [HoldingView]),
}

/// An order's value for a state field; false when the role says nothing for orders.
pub(super) fn order_value(out: &mut String, s: StateRole, o: &OrderRec) -> bool {
    let sc = o.style.scale;
    match s {
        StateRole::Odno => out.push_str(&o.odno),
        StateRole::OrgNo => out.push_str(&o.org_no),
        StateRole::OrigOdno => out.push_str(o.orig_odno.as_deref().unwrap_or("")),
        StateRole::OrdDate => out.push_str(&o.ord_date),
        StateRole::OrdTime => out.push_str(&o.ord_time),
        StateRole::Side => out.push_str(match o.side {
            OrderSide::Sell => "01",
            OrderSide::Buy => "02",
        }),
        StateRole::SideName => out.push_str(match o.side {
            OrderSide::Sell => "매도",
            OrderSide::Buy => "매수",
        }),
        StateRole::OrdQty => out.push_str(&o.qty.to_string()),
        StateRole::FilledQty => out.push_str(&o.filled_qty.to_string()),
        StateRole::RemainQty => out.push_str(&o.remaining().to_string()),
        StateRole::OrdPrice => out.push_str(&fmt_scaled(o.price, sc)),
        StateRole::FillPrice => out.push_str(&fmt_scaled(o.fill_price.unwrap_or(0), sc)),
        StateRole::FilledAmt => {
            let amt = i128::from(o.fill_price.unwrap_or(0)) * i128::from(o.filled_qty);
            out.push_str(&fmt_scaled(i64::try_from(amt).unwrap_or(i64::MAX), sc));
        }
        StateRole::CancelYn => out.push(if o.status == OrderStatus::Cancelled {
            'Y'
        } else {
            'N'
        }),
        StateRole::OrdDvsn => out.push_str(&o.ord_dvsn),
        _ => return false,
    }
    true
}

pub(super) fn holding_value(
    out: &mut String,
    s: StateRole,
    h: &HoldCtx<'_>,
    style: &PriceStyle,
) -> bool {
    let sc = style.scale;
    let amt = |v: i128| fmt_scaled(i64::try_from(v).unwrap_or(i64::MAX), sc);
    match h {
        HoldCtx::One(h) => {
            let cost = i128::from(h.avg_price) * i128::from(h.qty);
            let eval = i128::from(h.cur_price) * i128::from(h.qty);
            match s {
                StateRole::HoldQty => out.push_str(&h.qty.to_string()),
                StateRole::AvgPrice => out.push_str(&fmt_scaled(h.avg_price, sc)),
                StateRole::CurPrice => out.push_str(&fmt_scaled(h.cur_price, sc)),
                StateRole::PurchaseAmt => out.push_str(&amt(cost)),
                StateRole::EvalAmt => out.push_str(&amt(eval)),
                StateRole::PnlAmt => out.push_str(&amt(eval - cost)),
                StateRole::PnlRate => {
                    let r = if cost == 0 {
                        0
                    } else {
                        (eval - cost) * 10_000 / cost
                    };
                    out.push_str(&fmt_scaled(i64::try_from(r).unwrap_or(0), 2));
                }
                _ => return false,
            }
        }
        HoldCtx::All(hs) => {
            let cost: i128 = hs
                .iter()
                .map(|h| i128::from(h.avg_price) * i128::from(h.qty))
                .sum();
            let eval: i128 = hs
                .iter()
                .map(|h| i128::from(h.cur_price) * i128::from(h.qty))
                .sum();
            match s {
                StateRole::TotPurchase => out.push_str(&amt(cost)),
                StateRole::TotEval => out.push_str(&amt(eval)),
                StateRole::TotPnl => out.push_str(&amt(eval - cost)),
                _ => return false,
            }
        }
    }
    true
}
