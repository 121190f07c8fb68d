//! The catalog, loaded once and turned into per-endpoint plans: everything a request needs
//! (accepted TR IDs, input checks, pagination keys, the response layout with a role for every
//! field) is computed here, so the request path never scans the catalog.

mod build;
mod field_roles;

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use kis_catalog::Catalog;

use crate::error_table::Answers;
use kis_catalog::ValueType;
use kis_catalog::model::{EndpointKind, Method, Shape};

use crate::values::PriceStyle;
use build::{auth_role, rest_plan, ws_plan};
pub(crate) use field_roles::stem;

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
