//! Generated values of a field that mirrors no input and no remembered state: prices, codes,
//! names, dates and numbers by role and type.

use chrono::{Duration as ChronoDuration, NaiveDate};
use kis_catalog::ValueType;

use super::{EN_NAMES, KR_NAMES, WORDS};
use crate::endpoint_plan::{FieldPlan, Role};
use crate::values::{Ohlc, PriceStyle, Rng, alnum, fmt_date, fmt_scaled, fmt_time};

/// Generates a value that is not a mirror, product or key: used by REST rows and realtime.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gen_value(
    out: &mut String,
    f: &FieldPlan,
    o: Ohlc,
    style: &PriceStyle,
    date: NaiveDate,
    index: u64,
    rng: &mut Rng,
    group: &str,
    now_secs: Option<u32>,
) {
    let price = |out: &mut String, v: i64| out.push_str(&fmt_scaled(v, style.scale));
    match f.role {
        Role::Open => return price(out, o.open),
        Role::High => return price(out, o.high),
        Role::Low => return price(out, o.low),
        Role::Close => return price(out, o.close),
        Role::PrevClose => return price(out, o.prev_close),
        Role::Diff => return price(out, o.close - o.prev_close),
        Role::Sign => {
            out.push_str(match o.close.cmp(&o.prev_close) {
                std::cmp::Ordering::Greater => "2",
                std::cmp::Ordering::Equal => "3",
                std::cmp::Ordering::Less => "5",
            });
            return;
        }
        Role::DiffRate => {
            let prev = o.prev_close.max(1);
            let bp = (i128::from(o.close - o.prev_close) * 10_000 / i128::from(prev)) as i64;
            if bp > 0 && f.plus_sign {
                out.push('+');
            }
            out.push_str(&fmt_scaled(bp, 2));
            return;
        }
        Role::Upper => return price(out, style.round(o.prev_close as f64 * 1.3)),
        Role::Lower => return price(out, style.round(o.prev_close as f64 * 0.7)),
        Role::Ask(n) => {
            let t = style.tick(o.close);
            return price(out, o.close + t * i64::from(n));
        }
        Role::Bid(n) => {
            let t = style.tick(o.close);
            return price(out, (o.close - t * (i64::from(n) - 1)).max(t));
        }
        Role::SeqDate => {
            out.push_str(&fmt_date(date));
            return;
        }
        Role::SeqTime => {
            let secs = match now_secs {
                Some(s) => s,
                None => {
                    let back = (index % 390) as u32 * 60;
                    15 * 3600 + 30 * 60 - back
                }
            };
            out.push_str(&fmt_time(secs));
            return;
        }
        _ => {}
    }
    let overseas = group.starts_with("overseas");
    match f.ty {
        ValueType::Text => {
            let s = crate::endpoint_plan::stem(&f.lower);
            if s.ends_with("name") || s.ends_with("_nm") || s.ends_with("isnm") || s.ends_with("nm")
            {
                out.push_str(rng.pick(if overseas { EN_NAMES } else { KR_NAMES }));
            } else {
                out.push_str(rng.pick(WORDS));
            }
        }
        ValueType::Code => code_value(out, &f.lower, rng, overseas),
        ValueType::Price => {
            let v = style.round(o.close as f64 * (1.0 + 0.05 * rng.unit()));
            price(out, v);
        }
        ValueType::Amount => {
            let hi = if style.amount_scale > 0 {
                10_000_000_000
            } else {
                50_000_000_000
            };
            out.push_str(&fmt_scaled(rng.range(10_000, hi), style.amount_scale));
        }
        ValueType::Rate => {
            let v = rng.range(-999, 999);
            if v > 0 && f.plus_sign {
                out.push('+');
            }
            out.push_str(&fmt_scaled(v, 2));
        }
        ValueType::Decimal => out.push_str(&fmt_scaled(rng.range(0, 99_999), 2)),
        ValueType::Quantity => out.push_str(&rng.range(0, 5_000_000).to_string()),
        ValueType::Integer => out.push_str(&rng.range(0, 999).to_string()),
        ValueType::Date => {
            let d = date
                .checked_sub_signed(ChronoDuration::days(rng.range(0, 60)))
                .unwrap_or(date);
            out.push_str(&fmt_date(d));
        }
        ValueType::Time => out.push_str(&fmt_time(rng.range(9 * 3600, 15 * 3600 + 1800) as u32)),
        ValueType::DateTime => {
            out.push_str(&fmt_date(date));
            out.push_str(&fmt_time(rng.range(9 * 3600, 15 * 3600 + 1800) as u32));
        }
        ValueType::YesNo => out.push(if rng.chance(500) { 'Y' } else { 'N' }),
    }
}

fn code_value(out: &mut String, lower: &str, rng: &mut Rng, overseas: bool) {
    let s = crate::endpoint_plan::stem(lower);
    if s.ends_with("odno") {
        out.push_str(&format!("{:010}", rng.range(1, 99_999)));
    } else if s.ends_with("orgno") || s.ends_with("brno") {
        out.push_str(&format!("{:05}", rng.range(1, 99_999)));
    } else if s.ends_with("crcy_cd") || s == "crcy_cd" || s == "curr" {
        out.push_str(if overseas { "USD" } else { "KRW" });
    } else if s == "excd" || s.ends_with("excg_cd") {
        out.push_str(if overseas { "NASD" } else { "KRX" });
    } else if s.ends_with("_id") || s == "id" {
        out.push_str(&alnum(rng, 8));
    } else if s.ends_with("_no") || s == "no" || s.ends_with("cano") || s.ends_with("acno") {
        out.push_str(&format!("{:08}", rng.range(1, 99_999_999)));
    } else if s.ends_with("yymm") || s.ends_with("month") {
        out.push_str("202506");
    } else {
        out.push_str(&format!("{:02}", rng.range(0, 9)));
    }
}

pub(super) fn random_symbol(rng: &mut Rng, style: &PriceStyle) -> String {
    if style.letter_symbols {
        const L: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let n = rng.range(2, 4) as usize;
        (0..n)
            .map(|_| L[(rng.next_u64() % 26) as usize] as char)
            .collect()
    } else {
        format!("{:06}", rng.range(1, 999_999))
    }
}
