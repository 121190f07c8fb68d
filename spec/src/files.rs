//! Stage 1: the catalog files exactly as written (`spec/common.yaml`, `spec/<group>/<id>.yaml`).
//!
//! Every struct rejects unknown keys so that a typo in a catalog file is an error, not a silently
//! ignored line. Values whose meaning is checked later (value types, TR IDs, names) are kept as
//! strings wrapped in [`Spanned`] so that the validator can point at their line.

use serde::Deserialize;
pub use serde_saphyr::Spanned;

/// `spec/common.yaml`: what every endpoint shares.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonFile {
    /// REST and WebSocket hosts per environment.
    pub hosts: Hosts,
    /// Request headers of every REST call.
    pub headers: Vec<HeaderSpec>,
    /// Request rate and subscription limits.
    pub rate_limits: crate::meta::Limits,
    /// Gateway and service codes a client reacts to.
    pub errors: Vec<ErrorCodeSpec>,
    /// API groups: one cargo feature and one client accessor each.
    pub groups: Vec<GroupSpec>,
    /// Request fields the client fills from its configuration.
    #[serde(default)]
    pub fills: Vec<FillSpec>,
    /// Closed value sets with Rust names, referenced by request fields' `enum`.
    #[serde(default)]
    pub enums: Vec<EnumSpec>,
    /// Response fields and realtime columns that read into an enum of `enums`, by name.
    #[serde(default)]
    pub response_enums: Vec<ResponseEnumSpec>,
    /// Names of fields holding personal data, redacted in `Debug` output.
    #[serde(default)]
    pub redacted: Option<NameRules>,
    /// Raw values meaning "no value" per response value type.
    #[serde(default)]
    pub sentinels: Vec<SentinelSpec>,
    /// Yes/no order inputs whose `Y` means "all that remains": the one case where an order's
    /// quantity is 0.
    #[serde(default)]
    pub all_remaining_inputs: Vec<String>,
    /// Naming rules that give response fields their value type.
    pub value_types: TypeRules,
    /// Naming rules that give request fields their value type.
    pub request_types: TypeRules,
}

/// Hosts of both environments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hosts {
    /// 실전투자.
    pub real: HostPair,
    /// 모의투자.
    pub demo: HostPair,
}

/// REST and WebSocket base URLs of one environment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostPair {
    /// REST base URL.
    pub rest: String,
    /// WebSocket base URL.
    pub websocket: String,
}

/// One common request header.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderSpec {
    /// Header name as sent.
    pub name: String,
    /// Korean label.
    pub label: String,
    /// Fixed value, when there is one.
    #[serde(default)]
    pub value: Option<String>,
    /// Free-text remark.
    #[serde(default)]
    pub note: Option<String>,
    /// Whether the value is a secret that must never be logged.
    #[serde(default)]
    pub secret: bool,
}

/// Raw values that mean "no value" for one value type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentinelSpec {
    /// The value type (`date`, `time`, ...).
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    /// The raw values.
    pub values: Vec<String>,
}

/// A known response code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodeSpec {
    /// `msg_cd` value, or the start of a family of codes with `prefix: true`.
    pub code: String,
    /// Whether `code` stands for every code that starts with it (`OPSQ`: input errors).
    #[serde(default)]
    pub prefix: bool,
    /// What KIS means by it.
    pub meaning: String,
    /// What a client does about it.
    pub action: Spanned<String>,
    /// The situations KIS answers with this code, and how (what kis-mock sends).
    #[serde(default)]
    pub answers: Vec<ErrorAnswerSpec>,
}

/// One situation a code answers: the HTTP status, `rt_cd` and exact `msg1` KIS sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorAnswerSpec {
    /// The situation, a snake_case name unique in the table (`input_invalid`, ...).
    pub when: Spanned<String>,
    /// HTTP status; none for WebSocket control replies.
    #[serde(default)]
    pub http: Option<u16>,
    /// `rt_cd` of the envelope (default "1").
    #[serde(default)]
    pub rt_cd: Option<String>,
    /// The exact `msg1` (padding kept); `{detail}` stands for the key or value concerned.
    pub msg1: String,
    /// `envelope` (`rt_cd`/`msg_cd`/`msg1`, the default) or `token` (`error_code` /
    /// `error_description`, as the token endpoints answer).
    #[serde(default)]
    pub shape: Option<Spanned<String>>,
}

/// One API group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Directory name under `spec/` and Rust module name.
    pub id: Spanned<String>,
    /// Korean name.
    pub name: String,
    /// Cargo feature of `kis-api` that compiles this group.
    pub feature: Spanned<String>,
    /// Which account fills CANO / ACNT_PRDT_CD: `none`, `stock`, `domestic_futures`, `overseas_futures`.
    pub account: Spanned<String>,
    /// One-line description for the generated module docs.
    pub doc: String,
}

/// A request field the client fills from its configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillSpec {
    /// Wire name of the request field.
    pub field: String,
    /// `account_number` or `account_product_code`.
    pub from: Spanned<String>,
}

/// A closed value set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumSpec {
    /// Rust type name (PascalCase).
    pub name: Spanned<String>,
    /// Korean label.
    pub label: String,
    /// Members.
    pub values: Vec<EnumValueSpec>,
}

/// A member of a closed value set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValueSpec {
    /// The value as sent.
    pub value: Spanned<String>,
    /// Rust variant name (snake_case; becomes PascalCase).
    pub name: Spanned<String>,
    /// Meaning.
    pub label: String,
}

/// Response fields that read into a shared enum: the enum, and the field names (matched like
/// the type rules).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseEnumSpec {
    /// The enum of `enums`.
    #[serde(rename = "enum")]
    pub enum_name: Spanned<String>,
    /// Whole names (lower case, trailing digits removed).
    #[serde(default)]
    pub names: Vec<String>,
    /// Name endings (the part after the last underscore).
    #[serde(default)]
    pub suffixes: Vec<String>,
}

/// A set of field names: whole names and name endings, matched like the type rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRules {
    /// Whole names (lower case, trailing digits removed).
    #[serde(default)]
    pub names: Vec<String>,
    /// Name endings (the part after the last underscore).
    #[serde(default)]
    pub suffixes: Vec<String>,
}

/// Ordered naming rules; the first match wins.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeRules {
    /// Type of a field no rule matches.
    pub default: Spanned<String>,
    /// The rules, tried in order.
    pub rules: Vec<TypeRuleSpec>,
}

/// One naming rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeRuleSpec {
    /// Value type given to matching fields.
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    /// Whole names (lower case, trailing digits removed) this rule matches.
    #[serde(default)]
    pub names: Vec<String>,
    /// Name endings (the part after the last underscore) this rule matches.
    #[serde(default)]
    pub suffixes: Vec<String>,
}

/// `spec/<group>/<id>.yaml`: one endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointFile {
    /// Stable id, equal to the file name.
    pub id: Spanned<String>,
    /// Korean name.
    pub name: String,
    /// The portal's API code, e.g. `v1_국내주식-008`.
    #[serde(default)]
    pub api_code: Option<String>,
    /// The portal's category within the group (기본시세, 주문/계좌, ...).
    #[serde(default)]
    pub category: Option<String>,
    /// `rest`, `websocket` or `auth`.
    pub kind: Spanned<String>,
    /// `GET` or `POST` (REST and auth only).
    #[serde(default)]
    pub method: Option<Spanned<String>>,
    /// URL path (REST) or the portal's `/tryitout/<TR>` path (WebSocket).
    pub path: Spanned<String>,
    /// TR IDs per environment, possibly as named variants.
    #[serde(default)]
    pub tr_id: Option<TrIdSpec>,
    /// Whether the demo environment serves this endpoint.
    pub demo: Spanned<bool>,
    /// Why `demo` is what it is, where the sources disagree.
    #[serde(default)]
    pub demo_note: Option<String>,
    /// Whether the call changes state (orders). Defaults to true for POST REST endpoints.
    #[serde(default)]
    pub mutates: Option<bool>,
    /// Rows of KIS's published API table this entry answers.
    #[serde(default)]
    pub table_rows: Vec<String>,
    /// Extra documentation for the generated code.
    #[serde(default)]
    pub doc: Option<String>,
    /// WebSocket: whether frames are AES-encrypted.
    #[serde(default)]
    pub encrypted: Option<bool>,
    /// WebSocket: what the subscription key means.
    #[serde(default)]
    pub tr_key: Option<TrKeySpec>,
    /// WebSocket: the `^`-separated columns of one record, in order.
    #[serde(default)]
    pub columns: Option<Vec<FieldSpec>>,
    /// REST: request fields in wire order.
    #[serde(default)]
    pub request: Option<Vec<RequestFieldSpec>>,
    /// REST: continuation keys of a paginated endpoint.
    #[serde(default)]
    pub pagination: Vec<PageKeySpec>,
    /// REST: response body.
    #[serde(default)]
    pub response: Option<ResponseSpec>,
    /// What this file corrects relative to the sources, and why.
    #[serde(default)]
    pub fixes: Vec<String>,
}

/// TR IDs: either `real`/`demo` directly, or `select` + `variants`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrIdSpec {
    /// Real-environment TR ID (single-variant form).
    #[serde(default)]
    pub real: Option<Spanned<String>>,
    /// Demo-environment TR ID (single-variant form).
    #[serde(default)]
    pub demo: Option<Spanned<String>>,
    /// Former or alternative IDs KIS still documents (single-variant form).
    #[serde(default)]
    pub aliases: Vec<AliasSpec>,
    /// The input that chooses among variants.
    #[serde(default)]
    pub select: Option<SelectSpec>,
    /// Named variants, each with its own TR IDs.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
}

/// The choice among TR ID variants.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectSpec {
    /// Rust parameter name of the choice (`side`, `session`, ...).
    pub name: Spanned<String>,
    /// Korean label.
    pub label: String,
    /// Variant used when the caller does not choose; makes the choice optional.
    #[serde(default)]
    pub default: Option<Spanned<String>>,
}

/// One TR ID variant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// Rust name of the variant (`buy`, `night`, ...).
    pub name: Spanned<String>,
    /// Korean label.
    #[serde(default)]
    pub label: Option<String>,
    /// Real-environment TR ID.
    pub real: Spanned<String>,
    /// Demo-environment TR ID; absent when demo does not serve this variant.
    #[serde(default)]
    pub demo: Option<Spanned<String>>,
    /// Former or alternative IDs.
    #[serde(default)]
    pub aliases: Vec<AliasSpec>,
}

/// A TR ID KIS documented for the same call, kept for reference and for the mock.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasSpec {
    /// The TR ID.
    pub tr_id: Spanned<String>,
    /// Where it comes from.
    pub note: String,
}

/// The WebSocket subscription key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrKeySpec {
    /// `symbol` (a product code) or `hts_id` (the user's HTS id, for execution notices).
    pub meaning: Spanned<String>,
    /// Korean label.
    pub label: String,
    /// An example value.
    #[serde(default)]
    pub example: Option<String>,
}

/// A response field or realtime column.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Wire name.
    pub name: Spanned<String>,
    /// Korean label.
    pub label: String,
    /// Explicit value type, overriding the naming rules.
    #[serde(default, rename = "type")]
    pub ty: Option<Spanned<String>>,
    /// Extra documentation.
    #[serde(default)]
    pub doc: Option<String>,
}

/// A request field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFieldSpec {
    /// Wire name.
    pub name: Spanned<String>,
    /// Korean label.
    pub label: String,
    /// Whether KIS requires the key (it must be present; see `empty` for its value).
    #[serde(default)]
    pub required: bool,
    /// Whether KIS accepts an empty value for this required key.
    #[serde(default)]
    pub empty: bool,
    /// Value sent when the caller sets none (the samples send "" for unused fields).
    #[serde(default)]
    pub default: Option<String>,
    /// Known values with their meaning.
    #[serde(default)]
    pub values: Vec<ValueSpec>,
    /// Maximum length in bytes, as documented.
    #[serde(default)]
    pub max_length: Option<u32>,
    /// Explicit value type, overriding the request naming rules.
    #[serde(default, rename = "type")]
    pub ty: Option<Spanned<String>>,
    /// The Rust enum this field takes: a closed value set of `common.yaml` (`enums`), or, when
    /// the field's values carry names, the name of the field's own enum.
    #[serde(default, rename = "enum")]
    pub enum_name: Option<Spanned<String>>,
    /// Fill from client configuration (overrides `common.yaml`'s fills).
    #[serde(default)]
    pub fill: Option<Spanned<String>>,
    /// The portal's description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A known request value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueSpec {
    /// The value as sent.
    pub value: Spanned<String>,
    /// What it means.
    #[serde(default)]
    pub label: Option<String>,
    /// Rust variant name (snake_case) when the field's values form an endpoint-local enum.
    #[serde(default)]
    pub name: Option<Spanned<String>>,
}

/// A continuation key pair, or a request value that changes on the pages after the first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageKeySpec {
    /// Request field that carries the key.
    pub request: Spanned<String>,
    /// Response key the value comes from (`ctx_area_fk100`, or `output1.index_key`).
    #[serde(default)]
    pub response: Option<Spanned<String>>,
    /// A fixed value the request field takes on every page after the first (`QRY_TP: P`).
    #[serde(default)]
    pub next: Option<String>,
}

/// The response body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// Top-level fields other than `rt_cd`/`msg_cd`/`msg1` and the continuation keys.
    #[serde(default)]
    pub body: Vec<FieldSpec>,
    /// Output blocks.
    #[serde(default)]
    pub blocks: Vec<BlockSpec>,
}

/// One output block.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockSpec {
    /// Wire name (`output`, `output1`, ...).
    pub name: Spanned<String>,
    /// Other names KIS has used for the same block; decoding accepts them.
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    /// `object` or `array`.
    pub shape: Spanned<String>,
    /// `source` when a source gives the layout, `judged` when the split is a judgement.
    pub split: Spanned<String>,
    /// Where the layout comes from, or why it was judged so.
    #[serde(default)]
    pub note: Option<String>,
    /// Fields in order.
    pub fields: Vec<FieldSpec>,
}
