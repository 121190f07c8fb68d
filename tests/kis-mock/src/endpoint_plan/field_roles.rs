//! What each response field means to the mock (price, quantity, product, order state ...),
//! read from its name and type, and the layout of each response block.

use kis_catalog::ValueType;
use kis_catalog::model::{Block, Field, RequestField, Shape};

use super::{BlockKind, BlockPlan, FieldPlan, Role, StateRole};
use crate::values::{fnv, mix};

fn json_key(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 3);
    crate::values::push_json_str(&mut s, name);
    s.push(':');
    s
}

/// A name without trailing digits and `_` (`askp_rsqn10` → `askp_rsqn`), in either case.
pub(crate) fn stem(lower: &str) -> &str {
    let t = lower.trim_end_matches(|c: char| c.is_ascii_digit());
    let t = t.trim_end_matches('_');
    if t.is_empty() { lower } else { t }
}

/// Whether an input holds the product code.
pub(super) fn is_product_input(upper: &str) -> bool {
    let s = stem(upper);
    s.ends_with("ISCD")
        || s.ends_with("PDNO")
        || s == "SYMB"
        || s.ends_with("SRS_CD")
        || s == "SHT_CD"
        || s == "ITEM_CD"
}

/// Whether a response field holds a product code.
fn is_product_field(lower: &str, ty: ValueType) -> bool {
    if !matches!(ty, ValueType::Code | ValueType::Text) {
        return false;
    }
    let s = stem(lower);
    s.ends_with("iscd")
        || s == "pdno"
        || s.ends_with("_pdno")
        || s == "symb"
        || s == "rsym"
        || s == "srs_cd"
}

fn price_role(lower: &str) -> Option<Role> {
    let s = stem(lower);
    let toks: Vec<&str> = s.split('_').collect();
    let last = toks.last().copied().unwrap_or(s);
    let first = toks.first().copied().unwrap_or(s);
    if lower == "askp" {
        return Some(Role::Ask(1));
    }
    if lower == "bidp" {
        return Some(Role::Bid(1));
    }
    if let Some(rest) = lower.strip_prefix("askp")
        && let Ok(n) = rest.parse::<u8>()
    {
        return Some(Role::Ask(n.max(1)));
    }
    if let Some(rest) = lower.strip_prefix("bidp")
        && let Ok(n) = rest.parse::<u8>()
    {
        return Some(Role::Bid(n.max(1)));
    }
    if let Some(rest) = lower.strip_prefix("pask")
        && let Ok(n) = rest.parse::<u8>()
    {
        return Some(Role::Ask(n.max(1)));
    }
    if let Some(rest) = lower.strip_prefix("pbid")
        && let Ok(n) = rest.parse::<u8>()
    {
        return Some(Role::Bid(n.max(1)));
    }
    let role = match last {
        "oprc" | "open" | "popen" => Role::Open,
        "hgpr" | "high" | "phigh" => Role::High,
        "lwpr" | "low" | "plow" => Role::Low,
        "clpr" if toks.contains(&"prdy") => Role::PrevClose,
        "clpr" | "prpr" | "last" | "clos" | "close" => Role::Close,
        "vrss" | "diff" => Role::Diff,
        "mxpr" => Role::Upper,
        "llam" => Role::Lower,
        "base" | "sdpr" => Role::PrevClose,
        "price" | "pric" | "prc" => match first {
            "open" => Role::Open,
            "high" => Role::High,
            "low" => Role::Low,
            "last" | "close" => Role::Close,
            _ => return None,
        },
        _ => return None,
    };
    Some(role)
}

fn state_role(lower: &str) -> Option<StateRole> {
    let s = stem(lower);
    Some(match s {
        "odno" => StateRole::Odno,
        "orgn_odno" => StateRole::OrigOdno,
        "ord_gno_brno" => StateRole::OrgNo,
        "ord_dt" => StateRole::OrdDate,
        "ord_tmd" => StateRole::OrdTime,
        "sll_buy_dvsn_cd" => StateRole::Side,
        "sll_buy_dvsn_cd_name" | "sll_buy_dvsn_name" => StateRole::SideName,
        "cncl_yn" => StateRole::CancelYn,
        "ord_dvsn_cd" | "ord_dvsn" => StateRole::OrdDvsn,
        "psbl_qty" | "rmn_qty" | "nccs_qty" => StateRole::RemainQty,
        "ord_psbl_qty" => StateRole::HoldQty,
        "pchs_avg_pric" => StateRole::AvgPrice,
        "pchs_amt" | "frcr_pchs_amt" => StateRole::PurchaseAmt,
        "prpr" | "now_pric" | "ovrs_now_pric" => StateRole::CurPrice,
        "evlu_amt" | "ovrs_stck_evlu_amt" => StateRole::EvalAmt,
        "evlu_pfls_amt" | "frcr_evlu_pfls_amt" => StateRole::PnlAmt,
        "evlu_pfls_rt" | "evlu_erng_rt" => StateRole::PnlRate,
        "pchs_amt_smtl_amt" | "pchs_amt_smtl" | "frcr_pchs_amt_smtl" => StateRole::TotPurchase,
        "evlu_amt_smtl_amt" | "evlu_amt_smtl" | "tot_evlu_amt" => StateRole::TotEval,
        "evlu_pfls_smtl_amt" | "evlu_pfls_amt_smtl" | "tot_evlu_pfls_amt" => StateRole::TotPnl,
        _ => {
            if s.ends_with("orgno") {
                StateRole::OrgNo
            } else if s.ends_with("ord_qty") {
                StateRole::OrdQty
            } else if s.contains("ccld_qty") {
                StateRole::FilledQty
            } else if s.ends_with("hldg_qty") || s.ends_with("cblc_qty") {
                StateRole::HoldQty
            } else if s.contains("ord_unpr") {
                StateRole::OrdPrice
            } else if s == "avg_prvs" || s.contains("ccld_unpr") || s == "avg_unpr" {
                StateRole::FillPrice
            } else if s.contains("ccld_amt") && !s.contains("smtl") {
                StateRole::FilledAmt
            } else {
                return None;
            }
        }
    })
}

pub(super) fn field_plan(
    f: &Field,
    inputs: &[RequestField],
    salt: u64,
    allow_blank: bool,
    in_array: bool,
) -> FieldPlan {
    let lower = f.wire.to_ascii_lowercase();
    let mut role = Role::Value;
    if let Some(i) = inputs
        .iter()
        .position(|r| r.wire.eq_ignore_ascii_case(&f.wire))
        .filter(|_| f.ty.is_textual())
    {
        role = if is_product_field(&lower, f.ty) {
            Role::ProductFilter(i)
        } else {
            Role::Mirror(i)
        };
    } else if is_product_field(&lower, f.ty) {
        role = Role::Product;
    } else if matches!(f.ty, ValueType::Price)
        && let Some(r) = price_role(&lower)
    {
        role = r;
    } else if f.ty == ValueType::Code && (stem(&lower).ends_with("_sign") || lower == "sign") {
        role = Role::Sign;
    } else if f.ty == ValueType::Rate
        && matches!(stem(&lower), "prdy_ctrt" | "rate" | "prdy_vrss_rate")
    {
        role = Role::DiffRate;
    }
    let h = mix(salt, fnv(f.wire.as_bytes()));
    let _ = in_array;
    FieldPlan {
        key: json_key(&f.wire),
        wire: f.wire.clone(),
        state: state_role(&lower),
        blank: allow_blank && role == Role::Value && h.is_multiple_of(29),
        plus_sign: h.is_multiple_of(3),
        lower,
        ty: f.ty,
        role,
    }
}

pub(super) fn block_plan(
    b: &Block,
    inputs: &[RequestField],
    salt: u64,
    allow_blank: bool,
) -> BlockPlan {
    let bsalt = mix(salt, fnv(b.wire.as_bytes()));
    let array = b.shape == Shape::Array;
    let mut fields: Vec<FieldPlan> = b
        .fields
        .iter()
        .map(|f| field_plan(f, inputs, bsalt, allow_blank, array))
        .collect();
    if array {
        // the first date-typed field carries the block's business-day sequence
        if let Some(f) = fields
            .iter_mut()
            .find(|f| f.ty == ValueType::Date && matches!(f.role, Role::Value))
        {
            f.role = Role::SeqDate;
            f.blank = false;
        } else if let Some(f) = fields
            .iter_mut()
            .find(|f| f.ty == ValueType::Time && matches!(f.role, Role::Value))
        {
            f.role = Role::SeqTime;
            f.blank = false;
        }
    }
    let has = |r: StateRole| fields.iter().any(|f| f.state == Some(r));
    let kind =
        if array && has(StateRole::Odno) && (has(StateRole::OrdQty) || has(StateRole::FilledQty)) {
            BlockKind::Orders {
                open_only: fields.iter().any(|f| stem(&f.lower) == "psbl_qty"),
            }
        } else if array
            && has(StateRole::HoldQty)
            && fields.iter().any(|f| f.role == Role::Product)
            && !has(StateRole::Odno)
        {
            BlockKind::Holdings
        } else {
            BlockKind::Generic
        };
    BlockPlan {
        key: json_key(&b.wire),
        wire: b.wire.clone(),
        shape: b.shape,
        fields,
        kind,
    }
}
