//! Realtime records: generated ticks and AES-encrypted execution notices.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeEncrypt, KeyIvInit};
use base64::Engine as _;

use crate::endpoint_plan::{Role, StateRole, WsPlan};
use crate::state::{OrderRec, Shared};
use crate::success_body::{default_anchor, gen_value};
use crate::values::kst_now;
use crate::values::{Ohlc, Rng, day_prices, mix};

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// An execution notice of an order, built under the state lock and sent after it is released.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub(crate) order: OrderRec,
    /// `true`: a fill (`CNTG_YN` 2); `false`: an acceptance (`CNTG_YN` 1).
    pub(crate) fill: bool,
    /// `0` new, `1` modify, `2` cancel.
    pub(crate) rctf: &'static str,
}

/// Base64 of AES-256-CBC with PKCS#7; key and iv are the UTF-8 bytes of the strings.
pub(super) fn encrypt(key: &str, iv: &str, plain: &str) -> String {
    match Aes256CbcEnc::new_from_slices(key.as_bytes(), iv.as_bytes()) {
        Ok(enc) => {
            let ct = enc.encrypt_padded_vec::<Pkcs7>(plain.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(ct)
        }
        Err(_) => String::new(),
    }
}

fn clean(s: &str) -> String {
    s.replace(['^', '|'], "_")
}

fn kst_secs() -> u32 {
    chrono::Timelike::num_seconds_from_midnight(&kst_now().time())
}

pub(super) fn notice_record(shared: &Shared, plan: &WsPlan, n: &Notice) -> String {
    let o = &n.order;
    let sc = o.style.scale;
    let mut rng = Rng::new(mix(
        shared.config.seed ^ plan.salt,
        o.odno.len() as u64 ^ o.qty,
    ));
    let base = shared.current_price(&plan.style, &o.product);
    let ohlc = day_prices(&plan.style, shared.config.seed, &o.product, base, 0);
    let mut out = String::new();
    let mut tmp = String::new();
    let now = kst_secs();
    let fill_qty = if n.fill { o.filled_qty } else { 0 };
    let fill_price = if n.fill { o.fill_price.unwrap_or(0) } else { 0 };
    for (i, c) in plan.columns.iter().enumerate() {
        if i > 0 {
            out.push('^');
        }
        let stem = crate::endpoint_plan::stem(&c.lower).to_ascii_uppercase();
        let v: String = match stem.as_str() {
            "CUST_ID" | "USER_ID" => shared.config.hts_id.clone(),
            "ACNT_NO" | "ACCT_NO" => format!("{}{}", o.account, o.account_product),
            "ODER_NO" | "ODNO" => o.odno.clone(),
            "OODER_NO" | "ORGN_ODNO" => o.orig_odno.clone().unwrap_or_default(),
            "SELN_BYOV_CLS" | "SLL_BUY_DVSN_CD" => match o.side {
                crate::observed::OrderSide::Sell => "01".into(),
                crate::observed::OrderSide::Buy => "02".into(),
            },
            "RCTF_CLS" | "RVSE_CNCL_DVSN_CD" => n.rctf.into(),
            "CNTG_QTY" | "CCLD_QTY" | "TOT_CCLD_QTY" => fill_qty.to_string(),
            "CNTG_UNPR" | "FM_CCLD_PRIC" | "TOT_CCLD_UV" => {
                crate::values::fmt_scaled(fill_price, sc)
            }
            "STCK_CNTG_HOUR" => o.ord_time.clone(),
            "RFUS_YN" => "N".into(),
            "CNTG_YN" => {
                if n.fill {
                    "2".into()
                } else {
                    "1".into()
                }
            }
            "ACPT_YN" => "1".into(),
            "ODER_QTY" | "ORD_QTY" => o.qty.to_string(),
            "ODER_PRC" | "ORDER_PRC" | "FM_LMT_PRIC" => crate::values::fmt_scaled(o.price, sc),
            "ORD_REMQ" => o.remaining().to_string(),
            "ORD_DT" => o.ord_date.clone(),
            s if s.starts_with("ODER_KIND") => o.ord_dvsn.clone(),
            _ if c.role == Role::Product => o.product.clone(),
            _ => {
                tmp.clear();
                if c.state == Some(StateRole::Odno) {
                    o.odno.clone()
                } else {
                    gen_value(
                        &mut tmp,
                        c,
                        ohlc,
                        &plan.style,
                        default_anchor(),
                        0,
                        &mut rng,
                        &plan.group,
                        Some(now),
                    );
                    tmp.clone()
                }
            }
        };
        out.push_str(&clean(&v));
    }
    out
}

pub(super) fn tick_records(
    shared: &Shared,
    plan: &WsPlan,
    symbol: &str,
    rng: &mut Rng,
) -> (usize, String) {
    let n = rng.range(1, 4) as usize;
    let base = shared.current_price(&plan.style, symbol);
    let day = day_prices(&plan.style, shared.config.seed, symbol, base, 0);
    let now = kst_secs();
    let sym = clean(symbol);
    let mut out = String::with_capacity(n * plan.columns.len() * 8);
    let mut tmp = String::new();
    for r in 0..n {
        let t = plan.style.tick(day.close);
        let close = (day.close + t * rng.range(-3, 3)).clamp(day.low, day.high);
        let ohlc = Ohlc { close, ..day };
        for (i, c) in plan.columns.iter().enumerate() {
            if r > 0 || i > 0 {
                out.push('^');
            }
            if c.role == Role::Product {
                out.push_str(&sym);
                continue;
            }
            tmp.clear();
            gen_value(
                &mut tmp,
                c,
                ohlc,
                &plan.style,
                default_anchor(),
                0,
                rng,
                &plan.group,
                Some(now),
            );
            out.push_str(&clean(&tmp));
        }
    }
    (n, out)
}
