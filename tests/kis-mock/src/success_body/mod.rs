//! Success bodies: every block and field of the endpoint's layout, values by role and type.

mod field_value;
mod state_value;

use std::borrow::Cow;

use chrono::NaiveDate;
use kis_catalog::model::Shape;

use crate::endpoint_plan::{BlockKind, BlockPlan, FieldPlan, RestPlan, Role};
use crate::observed::OrderStatus;
use crate::state::{OrderRec, Shared};
use crate::values::{
    Ohlc, PriceStyle, Rng, business_days_back, business_on_or_before, day_prices, mix, parse_date,
    push_json_str,
};
pub(crate) use field_value::gen_value;
use field_value::random_symbol;
use state_value::{HoldCtx, holding_value, order_value, sep};

const KR_NAMES: &[&str] = &[
    "삼성전자",
    "SK하이닉스",
    "LG에너지솔루션",
    "현대차",
    "NAVER",
    "카카오",
    "셀트리온",
    "기아",
    "POSCO홀딩스",
    "KB금융",
];
const EN_NAMES: &[&str] = &[
    "APPLE INC",
    "MICROSOFT CORP",
    "NVIDIA CORP",
    "AMAZON.COM INC",
    "ALPHABET INC-CL A",
    "TESLA INC",
    "META PLATFORMS INC",
];
const WORDS: &[&str] = &["정상", "보통", "일반", "KRX", "해당없음", "전체"];

/// The fixed anchor day of generated series when the request names none.
pub(crate) fn default_anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default()
}

/// The request as the generator sees it.
#[derive(Debug)]
pub(crate) struct ReqCtx<'a> {
    /// Input values aligned with `plan.inputs` ("" when absent).
    pub(crate) inputs: &'a [String],
    /// Hash of the non-continuation inputs.
    pub(crate) qhash: u64,
}

/// A holding as shown by balance blocks.
#[derive(Debug, Clone)]
pub(crate) struct HoldingView {
    pub(crate) product: String,
    pub(crate) qty: i64,
    pub(crate) avg_price: i64,
    pub(crate) cur_price: i64,
}

/// Account state to show instead of generated rows.
#[derive(Debug, Default)]
pub(crate) struct StateView {
    pub(crate) orders: Vec<OrderRec>,
    pub(crate) holdings: Vec<HoldingView>,
}

/// Values shared by the fields of one row.
struct Row<'s> {
    symbol: Cow<'s, str>,
    ohlc: Ohlc,
    date: NaiveDate,
    index: u64,
    style: PriceStyle,
}

/// Continuation key text for the request of `page` (1-based): `KM<hash><letter><page>`.
pub(crate) fn page_key(qhash: u64, key_index: usize, page: u32) -> String {
    let letter = (b'A' + (key_index % 26) as u8) as char;
    format!("KM{:08X}{letter}{page:04}", (qhash >> 32) as u32)
}

/// Parses a continuation key back into the page it asks for.
pub(crate) fn parse_page_key(qhash: u64, key_index: usize, value: &str) -> Option<u32> {
    let v = value.trim();
    let expect = page_key(qhash, key_index, 0);
    let prefix = expect.get(..expect.len() - 4)?;
    let rest = v.strip_prefix(prefix)?;
    if rest.len() != 4 {
        return None;
    }
    rest.parse().ok()
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        let mut o = String::with_capacity(width);
        o.push_str(s);
        o.extend(std::iter::repeat_n(' ', width - n));
        o
    }
}

/// Whether a request value looks like one product (not blank, not an all-zero "every product").
fn plausible_symbol(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && !t.bytes().all(|b| b == b'0')
}

/// Generates response bodies for one request.
pub(crate) struct Generator<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) plan: &'a RestPlan,
    pub(crate) req: &'a ReqCtx<'a>,
    anchor: NaiveDate,
    symbol: Option<&'a str>,
    seed: u64,
}

impl<'a> Generator<'a> {
    pub(crate) fn new(shared: &'a Shared, plan: &'a RestPlan, req: &'a ReqCtx<'a>) -> Self {
        let anchor = plan
            .end_date_input
            .and_then(|i| req.inputs.get(i))
            .and_then(|s| parse_date(s))
            .map(business_on_or_before)
            .unwrap_or_else(|| business_on_or_before(default_anchor()));
        let symbol = plan
            .order
            .product
            .and_then(|i| req.inputs.get(i))
            .map(|s| s.trim())
            .filter(|s| plausible_symbol(s));
        Generator {
            shared,
            plan,
            req,
            anchor,
            symbol,
            seed: shared.config.seed,
        }
    }

    fn row_rng(&self, block: usize, index: u64) -> Rng {
        Rng::new(mix(
            mix(self.seed ^ self.plan.salt, self.req.qhash),
            ((block as u64) << 40) ^ index,
        ))
    }

    fn row(&self, rng: &mut Rng, index: u64, per_row_symbol: bool) -> Row<'a> {
        let style = self.plan.style;
        let symbol: Cow<'a, str> = match self.symbol {
            Some(s) if !per_row_symbol => Cow::Borrowed(s),
            _ => Cow::Owned(random_symbol(rng, &style)),
        };
        let base = self.shared.current_price(&style, &symbol);
        let day = if self.symbol.is_some() { index } else { 0 };
        let ohlc = day_prices(&style, self.seed, &symbol, base, day);
        Row {
            date: business_days_back(self.anchor, index),
            symbol,
            ohlc,
            index,
            style,
        }
    }

    /// The whole success body of page `page` of `pages` (1 and 1 when not paginated).
    pub(crate) fn body(
        &self,
        page: u32,
        pages: u32,
        state: Option<&StateView>,
        order: Option<&OrderRec>,
        msg: (&str, &str),
    ) -> String {
        let plan = self.plan;
        let rows = self.shared.config.rows_per_page as u64;
        let mut out = String::with_capacity(256 + plan.blocks.len() * 64 * rows as usize);
        let mut tmp = String::with_capacity(64);
        out.push('{');
        let mut first = true;
        let keys: Vec<String> = plan
            .paging
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let v = if page < pages {
                    page_key(self.req.qhash, k, page + 1)
                } else {
                    String::new()
                };
                pad(&v, p.width)
            })
            .collect();
        // top-level fields (continuation keys among them)
        if !plan.body.is_empty() {
            let mut rng = self.row_rng(usize::MAX >> 8, 0);
            let row = self.row(&mut rng, 0, false);
            for f in &plan.body {
                sep(&mut out, &mut first);
                out.push_str(&f.key);
                tmp.clear();
                self.value(&mut tmp, f, &row, &mut rng, &keys, order);
                push_json_str(&mut out, &tmp);
            }
        }
        for (bi, b) in plan.blocks.iter().enumerate() {
            sep(&mut out, &mut first);
            out.push_str(&b.key);
            match (b.kind, state, b.shape) {
                (BlockKind::Orders { open_only }, Some(st), _) => {
                    out.push('[');
                    let mut f1 = true;
                    for (i, o) in st
                        .orders
                        .iter()
                        .rev()
                        .filter(|o| !open_only || o.status == OrderStatus::Open)
                        .enumerate()
                    {
                        sep(&mut out, &mut f1);
                        let mut rng = self.row_rng(bi, i as u64);
                        let mut row = self.row(&mut rng, 0, false);
                        row.symbol = Cow::Owned(o.product.clone());
                        self.write_row(&mut out, &mut tmp, b, &row, &mut rng, &keys, Some(o), None);
                    }
                    out.push(']');
                }
                (BlockKind::Holdings, Some(st), _) => {
                    out.push('[');
                    let mut f1 = true;
                    for (i, h) in st.holdings.iter().enumerate() {
                        sep(&mut out, &mut f1);
                        let mut rng = self.row_rng(bi, i as u64);
                        let mut row = self.row(&mut rng, 0, false);
                        row.symbol = Cow::Owned(h.product.clone());
                        self.write_row(
                            &mut out,
                            &mut tmp,
                            b,
                            &row,
                            &mut rng,
                            &keys,
                            None,
                            Some(HoldCtx::One(h)),
                        );
                    }
                    out.push(']');
                }
                (BlockKind::Totals, Some(st), shape) => {
                    let mut rng = self.row_rng(bi, 0);
                    let row = self.row(&mut rng, 0, false);
                    if shape == Shape::Array {
                        out.push('[');
                    }
                    self.write_row(
                        &mut out,
                        &mut tmp,
                        b,
                        &row,
                        &mut rng,
                        &keys,
                        None,
                        Some(HoldCtx::All(&st.holdings)),
                    );
                    if shape == Shape::Array {
                        out.push(']');
                    }
                }
                (_, _, Shape::Object) => {
                    let mut rng = self.row_rng(bi, 0);
                    let row = self.row(&mut rng, 0, false);
                    self.write_row(&mut out, &mut tmp, b, &row, &mut rng, &keys, order, None);
                }
                (_, _, Shape::Array) => {
                    out.push('[');
                    let per_row_symbol = self.symbol.is_none();
                    let n = if order.is_some() { 1 } else { rows };
                    let mut f1 = true;
                    for i in 0..n {
                        sep(&mut out, &mut f1);
                        let global = u64::from(page.saturating_sub(1)) * rows + i;
                        let mut rng = self.row_rng(bi, global);
                        let row = self.row(&mut rng, global, per_row_symbol);
                        self.write_row(&mut out, &mut tmp, b, &row, &mut rng, &keys, order, None);
                    }
                    out.push(']');
                }
            }
        }
        sep(&mut out, &mut first);
        out.push_str("\"rt_cd\":\"0\",\"msg_cd\":");
        push_json_str(&mut out, msg.0);
        out.push_str(",\"msg1\":");
        push_json_str(&mut out, msg.1);
        out.push('}');
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn write_row(
        &self,
        out: &mut String,
        tmp: &mut String,
        b: &BlockPlan,
        row: &Row<'_>,
        rng: &mut Rng,
        keys: &[String],
        order: Option<&OrderRec>,
        hold: Option<HoldCtx<'_>>,
    ) {
        out.push('{');
        let mut first = true;
        for f in &b.fields {
            sep(out, &mut first);
            out.push_str(&f.key);
            tmp.clear();
            // order fields are filled by `value`
            let done = match (f.state, order, &hold) {
                (Some(s), None, Some(h)) => holding_value(tmp, s, h, &row.style),
                _ => false,
            };
            if !done {
                self.value(tmp, f, row, rng, keys, order);
            }
            push_json_str(out, tmp);
        }
        out.push('}');
    }

    /// One field's value by role and type.
    fn value(
        &self,
        out: &mut String,
        f: &FieldPlan,
        row: &Row<'_>,
        rng: &mut Rng,
        keys: &[String],
        order: Option<&OrderRec>,
    ) {
        if let Some(o) = order
            && let Some(s) = f.state
            && order_value(out, s, o)
        {
            return;
        }
        match f.role {
            Role::PageKey(k) => {
                if let Some(v) = keys.get(k) {
                    out.push_str(v);
                }
            }
            Role::Mirror(i) => {
                if let Some(v) = self.req.inputs.get(i) {
                    out.push_str(v);
                }
            }
            Role::Product => out.push_str(&row.symbol),
            Role::ProductFilter(i) => match self.req.inputs.get(i) {
                Some(v) if order.is_none() && !v.trim().is_empty() => out.push_str(v),
                _ => out.push_str(&row.symbol),
            },
            _ => {
                if f.blank {
                    return;
                }
                gen_value(
                    out,
                    f,
                    row.ohlc,
                    &row.style,
                    row.date,
                    row.index,
                    rng,
                    &self.plan.group,
                    None,
                );
            }
        }
    }
}
