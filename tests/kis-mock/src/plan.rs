//! The catalog, loaded once and turned into per-endpoint plans: everything a request needs
//! (accepted TR IDs, input checks, pagination keys, the response layout with a role for every
//! field) is computed here, so the request path never scans the catalog.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use kis_catalog::Catalog;

use crate::error_table::Answers;
use kis_catalog::ValueType;
use kis_catalog::model::{
    Block, Common, Endpoint, EndpointKind, Field, Method, RequestField, ResponseKey, Shape,
    TrKeyMeaning,
};

use crate::values::{PriceStyle, fnv, mix};

/// The plans of the embedded catalog or of the one in `dir`. The embedded one is parsed once per
/// process: its plans do not depend on the server's settings, and test suites start many servers.
pub(crate) fn load_plans(dir: Option<&Path>) -> io::Result<Arc<Plans>> {
    if let Some(d) = dir {
        return Ok(Arc::new(Plans::new(
            kis_catalog::load_catalog(d).map_err(invalid)?,
        )?));
    }
    static EMBEDDED: OnceLock<Arc<Plans>> = OnceLock::new();
    if let Some(p) = EMBEDDED.get() {
        return Ok(Arc::clone(p));
    }
    let plans = Arc::new(Plans::new(load_embedded()?)?);
    Ok(Arc::clone(EMBEDDED.get_or_init(|| plans)))
}

/// The embedded catalog, loaded and validated.
pub(crate) fn load_embedded() -> io::Result<Catalog> {
    kis_catalog::embedded::catalog().map_err(invalid)
}

fn invalid(d: kis_catalog::Diagnostics) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("invalid catalog:\n{d}"))
}

/// What a response field is, for generating its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Echoes request input `n`.
    Mirror(usize),
    /// The product code.
    Product,
    /// A product code named like request input `n`, a filter: the input when given, else the
    /// row's product (an order list filtered by nothing shows each order's product).
    ProductFilter(usize),
    /// Continuation key `n` of the pagination plan.
    PageKey(usize),
    /// Open price.
    Open,
    /// High price.
    High,
    /// Low price.
    Low,
    /// Close / current price.
    Close,
    /// Previous close.
    PrevClose,
    /// Change against the previous close.
    Diff,
    /// Sign code of the change (`2` up, `3` flat, `5` down).
    Sign,
    /// Change rate against the previous close, in percent.
    DiffRate,
    /// Upper price limit.
    Upper,
    /// Lower price limit.
    Lower,
    /// Ask level `n` (1-based).
    Ask(u8),
    /// Bid level `n`.
    Bid(u8),
    /// The block's date sequence (consecutive business days).
    SeqDate,
    /// The block's time sequence (minutes descending).
    SeqTime,
    /// Anything else, by value type.
    Value,
}

/// What a field means for order and account state (orders, fills, holdings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateRole {
    Odno,
    OrgNo,
    OrigOdno,
    OrdDate,
    OrdTime,
    Side,
    SideName,
    OrdQty,
    FilledQty,
    RemainQty,
    OrdPrice,
    FillPrice,
    FilledAmt,
    CancelYn,
    OrdDvsn,
    HoldQty,
    AvgPrice,
    PurchaseAmt,
    CurPrice,
    EvalAmt,
    PnlAmt,
    PnlRate,
    TotPurchase,
    TotEval,
    TotPnl,
}

/// One response field or realtime column.
#[derive(Debug, Clone)]
pub(crate) struct FieldPlan {
    /// `"name":` pre-escaped.
    pub(crate) key: String,
    /// Wire name.
    pub(crate) wire: String,
    /// Lower-case name.
    pub(crate) lower: String,
    pub(crate) ty: ValueType,
    pub(crate) role: Role,
    pub(crate) state: Option<StateRole>,
    /// Always sent blank (exercises decoders).
    pub(crate) blank: bool,
    /// Rates of this field carry an explicit `+` when positive.
    pub(crate) plus_sign: bool,
}

/// What a block shows when the account has state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Generic,
    /// One row per order; `open_only` lists only orders that can still be modified.
    Orders {
        open_only: bool,
    },
    /// One row per held product.
    Holdings,
    /// Totals over the holdings.
    Totals,
}

/// One output block.
#[derive(Debug, Clone)]
pub(crate) struct BlockPlan {
    /// `"output1":` pre-escaped.
    pub(crate) key: String,
    pub(crate) wire: String,
    pub(crate) shape: Shape,
    pub(crate) fields: Vec<FieldPlan>,
    pub(crate) kind: BlockKind,
}

/// One request input.
#[derive(Debug, Clone)]
pub(crate) struct InputPlan {
    /// Upper-case wire name (matching is case-insensitive).
    pub(crate) upper: String,
    /// The key must be present.
    pub(crate) required: bool,
    /// A required key's value may be empty (`empty: true` in the catalog, a `""` default, or a
    /// continuation key).
    pub(crate) empty_ok: bool,
    /// Allowed values, when checked.
    pub(crate) values: Option<Vec<String>>,
}

/// One continuation key.
#[derive(Debug, Clone)]
pub(crate) struct PageKeyPlan {
    /// Request input index.
    pub(crate) input: usize,
    /// Padded width of the value.
    pub(crate) width: usize,
    /// Name of the request field (for statistics).
    pub(crate) request: String,
}

/// Indices of the inputs an order is read from.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderInputs {
    pub(crate) account: Option<usize>,
    pub(crate) product_code: Option<usize>,
    pub(crate) product: Option<usize>,
    pub(crate) qty: Option<usize>,
    pub(crate) price: Option<usize>,
    pub(crate) side: Option<usize>,
    pub(crate) ord_dvsn: Option<usize>,
    pub(crate) orig_odno: Option<usize>,
    pub(crate) rvse_cncl: Option<usize>,
    pub(crate) qty_all: Option<usize>,
    /// Order-division values whose catalog label says market order (시장가).
    pub(crate) market_values: Vec<String>,
}

/// A REST endpoint, ready to serve.
#[derive(Debug, Clone)]
pub(crate) struct RestPlan {
    pub(crate) qualified_id: String,
    pub(crate) group: String,
    pub(crate) method: Method,
    pub(crate) demo_ok: bool,
    /// Real TR IDs and aliases → variant index.
    pub(crate) tr_real: Vec<(String, usize)>,
    /// Demo TR IDs and demo-looking aliases → variant index.
    pub(crate) tr_demo: Vec<(String, usize)>,
    /// Variant names (`buy`, `sell`, `default`).
    pub(crate) variants: Vec<String>,
    pub(crate) inputs: Vec<InputPlan>,
    pub(crate) paging: Vec<PageKeyPlan>,
    /// Inputs fixed on every page after the first (input index, value), e.g. `QRY_TP` = `P`.
    pub(crate) next_values: Vec<(usize, String)>,
    pub(crate) body: Vec<FieldPlan>,
    pub(crate) blocks: Vec<BlockPlan>,
    pub(crate) mutates: bool,
    pub(crate) order: OrderInputs,
    pub(crate) style: PriceStyle,
    /// Index into the seq of fields for the first date/end-date input (anchors date sequences).
    pub(crate) end_date_input: Option<usize>,
    /// Response depends on account state.
    pub(crate) stateful: bool,
    /// Per-endpoint salt of the generator.
    pub(crate) salt: u64,
    /// Quote TRs answer `MCA00000`; account TRs `KIOK0510` with a padded message.
    pub(crate) quote: bool,
}

impl RestPlan {
    /// The variant a TR ID selects in `env`, or why not.
    pub(crate) fn tr_lookup(&self, tr: &str) -> (Option<usize>, Option<usize>) {
        let real = self.tr_real.iter().find(|(t, _)| t == tr).map(|(_, v)| *v);
        let demo = self.tr_demo.iter().find(|(t, _)| t == tr).map(|(_, v)| *v);
        (real, demo)
    }
}

/// An authentication endpoint's job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthRole {
    Token,
    Revoke,
    Approval,
    Hashkey,
}

/// A realtime TR.
#[derive(Debug, Clone)]
pub(crate) struct WsPlan {
    pub(crate) group: String,
    pub(crate) real: Option<String>,
    pub(crate) demo: Option<String>,
    pub(crate) demo_ok: bool,
    pub(crate) encrypted: bool,
    pub(crate) hts_key: bool,
    pub(crate) columns: Vec<FieldPlan>,
    pub(crate) style: PriceStyle,
    pub(crate) salt: u64,
}

impl WsPlan {
    /// The TR ID of this realtime feed in an environment.
    pub(crate) fn tr_for(&self, demo: bool) -> Option<&str> {
        if demo {
            if self.demo_ok {
                self.demo.as_deref()
            } else {
                None
            }
        } else {
            self.real.as_deref()
        }
    }
}

/// Everything precomputed from the catalog.
#[derive(Debug)]
pub(crate) struct Plans {
    pub(crate) catalog: Catalog,
    pub(crate) rest: Vec<RestPlan>,
    /// Path → REST plan indices.
    pub(crate) by_path: HashMap<String, Vec<usize>>,
    /// Path → auth role.
    pub(crate) auth: HashMap<String, AuthRole>,
    pub(crate) ws: Vec<WsPlan>,
    /// Any TR ID (real or demo) → WebSocket plan.
    pub(crate) ws_by_tr: HashMap<String, usize>,
    /// KIS's answer to each situation, from the catalog's error table.
    pub(crate) answers: Answers,
}

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
fn is_product_input(upper: &str) -> bool {
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

fn field_plan(
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

fn block_plan(b: &Block, inputs: &[RequestField], salt: u64, allow_blank: bool) -> BlockPlan {
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

/// The values KIS accepts for a field, where the catalog knows the set is closed: a field
/// typed with a `common.yaml` enum takes its members (and the field's own listed values). A
/// plain `values:` list documents examples and is not checked.
fn checkable_values(f: &RequestField, common: &Common) -> Option<Vec<String>> {
    let en = common.code_enum(f.enum_name.as_deref()?)?;
    let mut vals: Vec<String> = en.members.iter().map(|m| m.value.clone()).collect();
    for v in &f.values {
        if !vals.contains(&v.value) {
            vals.push(v.value.clone());
        }
    }
    Some(vals)
}

fn key_width(f: &RequestField) -> usize {
    if let Some(m) = f.max_length {
        return m as usize;
    }
    let digits: String = f
        .wire
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().unwrap_or(100)
}

fn demo_like(tr: &str) -> bool {
    tr.starts_with('V')
}

fn rest_plan(ep: &Endpoint, common: &Common) -> RestPlan {
    let salt = fnv(ep.qualified_id.as_bytes());
    let mut tr_real = Vec::new();
    let mut tr_demo = Vec::new();
    for (i, v) in ep.tr.variants.iter().enumerate() {
        tr_real.push((v.real.clone(), i));
        if let Some(d) = &v.demo {
            tr_demo.push((d.clone(), i));
        }
        let real_is_demo_like = demo_like(&v.real);
        for a in &v.aliases {
            if demo_like(&a.tr_id) && !real_is_demo_like {
                tr_demo.push((a.tr_id.clone(), i));
            } else {
                tr_real.push((a.tr_id.clone(), i));
            }
        }
    }
    let inputs: Vec<InputPlan> = ep
        .request
        .iter()
        .map(|f| InputPlan {
            upper: f.wire.to_ascii_uppercase(),
            required: f.required,
            empty_ok: f.empty || f.paging || f.default.as_deref() == Some(""),
            values: checkable_values(f, common),
        })
        .collect();
    let allow_blank = !ep.mutates;
    let mut blocks: Vec<BlockPlan> = ep
        .response
        .blocks
        .iter()
        .map(|b| block_plan(b, &ep.request, salt, allow_blank))
        .collect();
    let mut body: Vec<FieldPlan> = ep
        .response
        .body
        .iter()
        .map(|f| field_plan(f, &ep.request, salt, allow_blank, false))
        .collect();
    let mut paging = Vec::new();
    if let Some(p) = &ep.pagination {
        for key in &p.keys {
            let Some(input) = ep.request.iter().position(|r| r.wire == key.request) else {
                continue;
            };
            let width = key_width(&ep.request[input]);
            match &key.response {
                ResponseKey::Body(name) => {
                    if let Some(f) = body.iter_mut().find(|f| &f.wire == name) {
                        f.role = Role::PageKey(paging.len());
                        f.blank = false;
                    }
                }
                ResponseKey::InBlock { block, field } => {
                    let Some(bi) = blocks.iter().position(|b| &b.wire == block) else {
                        continue;
                    };
                    if let Some(f) = blocks[bi].fields.iter_mut().find(|f| &f.wire == field) {
                        f.role = Role::PageKey(paging.len());
                        f.blank = false;
                    }
                }
            }
            paging.push(PageKeyPlan {
                input,
                width,
                request: key.request.clone(),
            });
        }
    }
    let next_values: Vec<(usize, String)> = ep
        .pagination
        .iter()
        .flat_map(|p| p.next_values.iter())
        .filter_map(|(req, value)| {
            ep.request
                .iter()
                .position(|r| &r.wire == req)
                .map(|i| (i, value.clone()))
        })
        .collect();
    let has_holdings = blocks.iter().any(|b| b.kind == BlockKind::Holdings);
    if has_holdings {
        for b in &mut blocks {
            if b.kind == BlockKind::Generic
                && b.fields.iter().any(|f| {
                    matches!(
                        f.state,
                        Some(StateRole::TotPurchase | StateRole::TotEval | StateRole::TotPnl)
                    )
                })
            {
                b.kind = BlockKind::Totals;
            }
        }
    }
    let pos = |pred: &dyn Fn(&str) -> bool| {
        ep.request
            .iter()
            .position(|f| pred(&f.wire.to_ascii_uppercase()))
    };
    let account = pos(&|u| u == "CANO");
    let order = OrderInputs {
        account,
        product_code: pos(&|u| u == "ACNT_PRDT_CD"),
        product: pos(&is_product_input),
        qty: pos(&|u| stem(u).ends_with("ORD_QTY")),
        price: ep
            .request
            .iter()
            .position(|f| f.ty == ValueType::Price)
            .or_else(|| {
                pos(&|u| u.contains("UNPR") || u == "UNIT_PRICE" || u.contains("LIMIT_ORD_PRIC"))
            }),
        side: pos(&|u| u == "SLL_BUY_DVSN_CD"),
        ord_dvsn: pos(&|u| u == "ORD_DVSN" || u == "ORD_DVSN_CD"),
        orig_odno: pos(&|u| u == "ORGN_ODNO"),
        rvse_cncl: pos(&|u| u == "RVSE_CNCL_DVSN_CD"),
        qty_all: pos(&|u| u == "QTY_ALL_ORD_YN"),
        market_values: Vec::new(),
    };
    let mut order = order;
    if let Some(i) = order.ord_dvsn {
        order.market_values = ep.request[i]
            .values
            .iter()
            .filter(|v| v.label.as_deref().is_some_and(|l| l.contains("시장가")))
            .map(|v| v.value.clone())
            .collect();
    }
    let stateful = !ep.mutates
        && account.is_some()
        && blocks
            .iter()
            .any(|b| matches!(b.kind, BlockKind::Orders { .. } | BlockKind::Holdings));
    let end_date_input = ep.request.iter().position(|f| {
        let u = f.wire.to_ascii_uppercase();
        (u.contains("END") && (u.contains("DT") || u.contains("DATE"))) || u.ends_with("DATE_2")
    });
    let first_tr = ep
        .tr
        .variants
        .first()
        .map(|v| v.real.as_str())
        .unwrap_or("");
    RestPlan {
        qualified_id: ep.qualified_id.clone(),
        group: ep.group.clone(),
        method: ep.method.unwrap_or(Method::Get),
        demo_ok: ep.demo,
        tr_real,
        tr_demo,
        variants: ep.tr.variants.iter().map(|v| v.name.clone()).collect(),
        inputs,
        paging,
        next_values,
        body,
        blocks,
        mutates: ep.mutates,
        order,
        style: PriceStyle::for_group(&ep.group),
        end_date_input,
        stateful,
        salt,
        quote: first_tr.starts_with('F') || first_tr.starts_with('H'),
    }
}

fn auth_role(ep: &Endpoint) -> Option<AuthRole> {
    let body_has = |n: &str| {
        ep.response
            .body
            .iter()
            .any(|f| f.wire.eq_ignore_ascii_case(n))
    };
    let req_has = |n: &str| ep.request.iter().any(|f| f.wire.eq_ignore_ascii_case(n));
    if body_has("access_token") {
        Some(AuthRole::Token)
    } else if body_has("approval_key") {
        Some(AuthRole::Approval)
    } else if body_has("hash") {
        Some(AuthRole::Hashkey)
    } else if req_has("token") {
        Some(AuthRole::Revoke)
    } else {
        None
    }
}

fn ws_plan(ep: &Endpoint) -> Option<WsPlan> {
    let rt = ep.realtime.as_ref()?;
    let salt = fnv(ep.qualified_id.as_bytes());
    let v = ep.tr.variants.first();
    let columns = rt
        .columns
        .iter()
        .map(|c| {
            let mut p = field_plan(c, &[], salt, false, false);
            if p.role == Role::Value && p.ty == ValueType::Time {
                p.role = Role::SeqTime;
            }
            p
        })
        .collect();
    Some(WsPlan {
        group: ep.group.clone(),
        real: v.map(|v| v.real.clone()),
        demo: v.and_then(|v| v.demo.clone()),
        demo_ok: ep.demo,
        encrypted: rt.encrypted,
        hts_key: rt.tr_key.meaning == TrKeyMeaning::HtsId,
        columns,
        style: PriceStyle::for_group(&ep.group),
        salt,
    })
}

impl Plans {
    /// Builds every plan of a catalog; an error when its error table lacks a situation.
    pub(crate) fn new(catalog: Catalog) -> io::Result<Plans> {
        let answers = Answers::from_catalog(&catalog.common)?;
        let mut rest = Vec::new();
        let mut by_path: HashMap<String, Vec<usize>> = HashMap::new();
        let mut auth = HashMap::new();
        let mut ws = Vec::new();
        let mut ws_by_tr = HashMap::new();
        for ep in &catalog.endpoints {
            match ep.kind {
                EndpointKind::Rest => {
                    by_path.entry(ep.path.clone()).or_default().push(rest.len());
                    rest.push(rest_plan(ep, &catalog.common));
                }
                EndpointKind::Auth => {
                    if let Some(r) = auth_role(ep) {
                        auth.insert(ep.path.clone(), r);
                    }
                }
                EndpointKind::WebSocket => {
                    if let Some(p) = ws_plan(ep) {
                        let i = ws.len();
                        for v in &ep.tr.variants {
                            ws_by_tr.entry(v.real.clone()).or_insert(i);
                            if let Some(d) = &v.demo {
                                ws_by_tr.entry(d.clone()).or_insert(i);
                            }
                        }
                        ws.push(p);
                    }
                }
            }
        }
        Ok(Plans {
            catalog,
            rest,
            by_path,
            auth,
            ws,
            ws_by_tr,
            answers,
        })
    }
}
