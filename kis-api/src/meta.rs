//! Static facts about every endpoint, generated from the catalog.
//!
//! Each generated request type points at one [`EndpointMeta`]; the runtime reads it to send the
//! request (method, path, TR ID, demo availability, continuation keys), and the `kis` command line
//! reads the whole list ([`crate::ENDPOINTS`]) to describe and call endpoints by name.

/// REST, WebSocket or auth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A REST call with a TR ID.
    Rest,
    /// A realtime WebSocket TR.
    WebSocket,
    /// A token, approval-key or hashkey call, made by the client itself.
    Auth,
}

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Inputs as query parameters.
    Get,
    /// Inputs as a JSON body.
    Post,
    /// Not an HTTP call (WebSocket TRs).
    None,
}

/// Object or array block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One record.
    Object,
    /// A list of records.
    Array,
}

/// What a value holds; the catalog's closed set of value types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Free text.
    Text,
    /// A code or identifier.
    Code,
    /// An exact decimal.
    Decimal,
    /// A price (exact decimal).
    Price,
    /// A money amount (exact decimal).
    Amount,
    /// A rate or percentage (exact decimal).
    Rate,
    /// A quantity (integer).
    Quantity,
    /// A count or other integer.
    Integer,
    /// `YYYYMMDD`.
    Date,
    /// `HHMMSS`.
    Time,
    /// `YYYYMMDDHHMMSS`.
    DateTime,
    /// `Y` / `N`.
    YesNo,
}

impl ValueType {
    /// The catalog's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Code => "code",
            ValueType::Decimal => "decimal",
            ValueType::Price => "price",
            ValueType::Amount => "amount",
            ValueType::Rate => "rate",
            ValueType::Quantity => "quantity",
            ValueType::Integer => "integer",
            ValueType::Date => "date",
            ValueType::Time => "time",
            ValueType::DateTime => "datetime",
            ValueType::YesNo => "yes_no",
        }
    }
}

/// Which configured account fills a request's CANO / ACNT_PRDT_CD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// The endpoint takes no account.
    None,
    /// The stock (종합) account, product code usually `01`.
    Stock,
    /// The domestic futures/options account, product code usually `03`.
    DomesticFutures,
    /// The overseas futures/options account, product code usually `08`.
    OverseasFutures,
}

/// Where an unset request field takes its value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FillSource {
    /// The 8-digit account number of the endpoint's account.
    AccountNumber,
    /// The 2-digit product code of the endpoint's account.
    AccountProductCode,
}

/// What a realtime subscription key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrKeyMeaning {
    /// A product code (stock, future, bond...).
    Symbol,
    /// The user's HTS id (execution notices).
    HtsId,
}

/// A response field or realtime column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMeta {
    /// Wire name.
    pub wire: &'static str,
    /// Korean label.
    pub label: &'static str,
    /// Value type.
    pub ty: ValueType,
    /// Whether the field holds personal data (the catalog's `redacted` names): its value never
    /// appears in logs, errors or `Debug` output.
    pub redacted: bool,
}

impl FieldMeta {
    /// A field; used by generated code.
    pub const fn new(wire: &'static str, label: &'static str, ty: ValueType) -> Self {
        FieldMeta {
            wire,
            label,
            ty,
            redacted: false,
        }
    }

    /// The field, marked as holding personal data; used by generated code.
    pub const fn redacted(self) -> Self {
        FieldMeta {
            redacted: true,
            ..self
        }
    }
}

/// A known request value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueMeta {
    /// The value as sent.
    pub value: &'static str,
    /// Its meaning.
    pub label: &'static str,
}

impl ValueMeta {
    /// A known value; used by generated code.
    pub const fn new(value: &'static str, label: &'static str) -> Self {
        ValueMeta { value, label }
    }
}

/// A request field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFieldMeta {
    /// Wire name.
    pub wire: &'static str,
    /// Korean label.
    pub label: &'static str,
    /// Whether KIS requires a value.
    pub required: bool,
    /// Value sent when unset.
    pub default: Option<&'static str>,
    /// Known values.
    pub values: &'static [ValueMeta],
    /// Value type.
    pub ty: ValueType,
    /// Configuration fill.
    pub fill: Option<FillSource>,
    /// Whether the paginator writes it.
    pub paging: bool,
}

impl RequestFieldMeta {
    /// Whether a caller must give it (required, no default, not filled, not a continuation key).
    pub fn must_be_given(&self) -> bool {
        self.required && self.default.is_none() && self.fill.is_none() && !self.paging
    }
}

/// A TR ID variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantMeta {
    /// Catalog name (`buy`, `night`; `default` for single-variant endpoints).
    pub name: &'static str,
    /// Korean label.
    pub label: &'static str,
    /// Real TR ID.
    pub real: &'static str,
    /// Demo TR ID, when demo serves the variant.
    pub demo: Option<&'static str>,
    /// Other documented IDs for the same call.
    pub aliases: &'static [&'static str],
}

/// An output block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockMeta {
    /// Wire name.
    pub wire: &'static str,
    /// Other accepted wire names.
    pub aliases: &'static [&'static str],
    /// Shape.
    pub shape: Shape,
    /// Fields.
    pub fields: &'static [FieldMeta],
}

impl BlockMeta {
    /// Whether a body key names this block: its wire name or an alias, in any case (KIS has sent
    /// `Output1` for `output1`).
    pub fn is_named(&self, key: &str) -> bool {
        self.wire.eq_ignore_ascii_case(key)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(key))
    }
}

/// A continuation key pair, or a request value fixed on the pages after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageKeyMeta {
    /// Request field that carries the key.
    pub request: &'static str,
    /// Block holding the response value (its first row for an array), or `None` for a top-level
    /// key.
    pub block: Option<&'static str>,
    /// Response field the value comes from (empty for a fixed value).
    pub response: &'static str,
    /// A fixed value sent on every page after the first, instead of a copied key.
    pub next: Option<&'static str>,
}

/// Everything the runtime and tools know about one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointMeta {
    /// `group.id`, e.g. `domestic_stock.inquire_price`.
    pub id: &'static str,
    /// Group id.
    pub group: &'static str,
    /// Korean name.
    pub name: &'static str,
    /// The portal's API code.
    pub api_code: Option<&'static str>,
    /// Kind.
    pub kind: Kind,
    /// HTTP method.
    pub method: Method,
    /// URL path.
    pub path: &'static str,
    /// TR ID variants (empty for auth).
    pub variants: &'static [VariantMeta],
    /// Label of the choice among variants.
    pub selector: Option<&'static str>,
    /// Whether demo serves the endpoint.
    pub demo: bool,
    /// Whether the call changes state (orders); such calls are never resent.
    pub mutates: bool,
    /// Account used for CANO / ACNT_PRDT_CD.
    pub account: AccountKind,
    /// Request fields in wire order.
    pub request: &'static [RequestFieldMeta],
    /// Continuation keys.
    pub pagination: &'static [PageKeyMeta],
    /// Top-level response fields besides the envelope.
    pub body: &'static [FieldMeta],
    /// Output blocks.
    pub blocks: &'static [BlockMeta],
    /// Realtime columns (WebSocket).
    pub columns: &'static [FieldMeta],
    /// Whether realtime frames are encrypted.
    pub encrypted: bool,
    /// Realtime subscription key meaning.
    pub tr_key: Option<TrKeyMeaning>,
    /// The catalog file it was generated from.
    pub source: &'static str,
}

impl EndpointMeta {
    /// Whether the endpoint is paginated.
    pub fn is_paginated(&self) -> bool {
        !self.pagination.is_empty()
    }

    /// The TR ID of variant `index` in the given environment, or `None` when that environment
    /// does not serve it.
    pub fn tr_id(&self, index: usize, env: crate::Env) -> Option<&'static str> {
        let v = self.variants.get(index)?;
        match env {
            crate::Env::Real => Some(v.real),
            crate::Env::Demo => v.demo,
        }
    }

    /// Whether `tr_id` names this endpoint (any variant, environment or alias).
    pub fn has_tr_id(&self, tr_id: &str) -> bool {
        self.variants
            .iter()
            .any(|v| v.real == tr_id || v.demo == Some(tr_id) || v.aliases.contains(&tr_id))
    }
}
