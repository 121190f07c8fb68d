//! Stage 2: the validated catalog. Names are resolved for Rust, types are assigned, references
//! are checked, and everything is in a deterministic order. Code emission, the mock server and the
//! report all read this model, never the raw files.

pub use crate::kinds::{
    AccountKind, EndpointKind, ErrorAction, FillSource, Method, Shape, TrKeyMeaning, ValueType,
};
pub use crate::meta::Limits;
use crate::rules::TypeRuleSet;

/// The whole validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Shared facts.
    pub common: Common,
    /// API groups in `common.yaml` order.
    pub groups: Vec<Group>,
    /// Every endpoint, by group order then id.
    pub endpoints: Vec<Endpoint>,
}

impl Catalog {
    /// Endpoints of one group, by id.
    pub fn endpoints_of<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Endpoint> + 'a {
        self.endpoints.iter().filter(move |e| e.group == group)
    }

    /// The endpoint with the given qualified id (`domestic_stock.inquire_price`).
    pub fn endpoint(&self, qualified_id: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.qualified_id == qualified_id)
    }

    /// The group with the given id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }
}

/// What `common.yaml` says.
#[derive(Debug, Clone)]
pub struct Common {
    /// REST host of the real environment.
    pub real_rest: String,
    /// WebSocket host of the real environment.
    pub real_websocket: String,
    /// REST host of the demo environment.
    pub demo_rest: String,
    /// WebSocket host of the demo environment.
    pub demo_websocket: String,
    /// Common request headers.
    pub headers: Vec<Header>,
    /// Rate and subscription limits, KIS's and a client's.
    pub limits: crate::meta::Limits,
    /// Known response codes.
    pub errors: Vec<ErrorCode>,
    /// Raw values meaning "no value", per response value type.
    pub sentinels: Vec<(ValueType, Vec<String>)>,
    /// Naming rules of response fields.
    pub response_rules: TypeRuleSet,
    /// Naming rules of request fields.
    pub request_rules: TypeRuleSet,
    /// Closed value sets, by name.
    pub enums: Vec<CodeEnum>,
    /// Response fields that read into an enum of `enums`: (enum name, names, suffixes), first
    /// match wins.
    pub response_enums: Vec<(String, Vec<String>, Vec<String>)>,
    /// Whole names of personal-data fields.
    pub redacted_names: Vec<String>,
    /// Name endings of personal-data fields.
    pub redacted_suffixes: Vec<String>,
    /// Yes/no order inputs whose `Y` means "all that remains" (wire names, upper case).
    pub all_remaining_inputs: Vec<String>,
}

/// A closed value set, generated as a Rust enum in `codes`.
#[derive(Debug, Clone)]
pub struct CodeEnum {
    /// Rust type name.
    pub name: String,
    /// Korean label.
    pub label: String,
    /// Members: value, Rust variant name, label.
    pub members: Vec<CodeMember>,
}

/// A member of a [`CodeEnum`].
#[derive(Debug, Clone)]
pub struct CodeMember {
    /// The value as sent.
    pub value: String,
    /// Rust variant name.
    pub rust_name: String,
    /// Meaning.
    pub label: String,
}

impl Common {
    /// The closed value set called `name`.
    pub fn code_enum(&self, name: &str) -> Option<&CodeEnum> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// The code and answer of a situation of the error table (`when:`).
    pub fn answer(&self, when: &str) -> Option<(&ErrorCode, &ErrorAnswer)> {
        self.errors
            .iter()
            .find_map(|e| e.answers.iter().find(|a| a.when == when).map(|a| (e, a)))
    }

    /// Whether a field called `name` holds personal data.
    pub fn is_redacted(&self, name: &str) -> bool {
        crate::rules::name_matches(name, &self.redacted_names, &self.redacted_suffixes)
    }

    /// The enum of `enums` a response field called `name` reads into, if a rule names it.
    pub fn response_enum(&self, name: &str) -> Option<&str> {
        self.response_enums
            .iter()
            .find(|(_, names, suffixes)| crate::rules::name_matches(name, names, suffixes))
            .map(|(e, _, _)| e.as_str())
    }
}

/// A common request header.
#[derive(Debug, Clone)]
pub struct Header {
    /// Name as sent.
    pub name: String,
    /// Korean label.
    pub label: String,
    /// Whether its value must never be logged.
    pub secret: bool,
}

/// A known response code.
#[derive(Debug, Clone)]
pub struct ErrorCode {
    /// `msg_cd`, or the start of a family of codes when `prefix` is set.
    pub code: String,
    /// Whether `code` stands for every code that starts with it.
    pub prefix: bool,
    /// KIS's meaning.
    pub meaning: String,
    /// What a client does.
    pub action: ErrorAction,
    /// The situations KIS answers with this code.
    pub answers: Vec<ErrorAnswer>,
}

/// How KIS answers one situation with a code (what kis-mock sends).
#[derive(Debug, Clone)]
pub struct ErrorAnswer {
    /// The situation (`input_invalid`, `token_issue_too_soon`, ...).
    pub when: String,
    /// HTTP status; `None` for WebSocket control replies.
    pub http_status: Option<u16>,
    /// `rt_cd` of the envelope.
    pub rt_cd: String,
    /// The exact `msg1`; `{detail}` stands for the key or value concerned.
    pub msg1: String,
    /// Sent as `{"error_code", "error_description"}` (the token endpoints' shape) rather than
    /// the `rt_cd`/`msg_cd`/`msg1` envelope.
    pub token_shape: bool,
}

/// An API group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Directory and module name.
    pub id: String,
    /// Korean name.
    pub name: String,
    /// Cargo feature.
    pub feature: String,
    /// Account its requests are filled from.
    pub account: AccountKind,
    /// One-line description.
    pub doc: String,
    /// Rust type name of the client accessor (`DomesticStock`).
    pub type_name: String,
}

/// One endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Id within the group (file name).
    pub id: String,
    /// Group id.
    pub group: String,
    /// `group.id`.
    pub qualified_id: String,
    /// Korean name.
    pub name: String,
    /// The portal's API code.
    pub api_code: Option<String>,
    /// The portal's category.
    pub category: Option<String>,
    /// Extra documentation.
    pub doc: Option<String>,
    /// Kind.
    pub kind: EndpointKind,
    /// HTTP method (REST and auth).
    pub method: Option<Method>,
    /// Path.
    pub path: String,
    /// TR IDs.
    pub tr: TrIds,
    /// Whether demo serves it.
    pub demo: bool,
    /// Why, where the sources disagree.
    pub demo_note: Option<String>,
    /// Whether the call changes state; such calls are never resent.
    pub mutates: bool,
    /// Rows of KIS's API table this entry answers.
    pub table_rows: Vec<String>,
    /// Recorded corrections of the sources.
    pub fixes: Vec<String>,
    /// Request fields in wire order.
    pub request: Vec<RequestField>,
    /// Continuation keys, when paginated.
    pub pagination: Option<Pagination>,
    /// Response layout.
    pub response: Response,
    /// Realtime specifics (WebSocket only).
    pub realtime: Option<Realtime>,
    /// The catalog file, relative to the spec directory (`domestic_stock/inquire_price.yaml`).
    pub source: String,
}

impl Endpoint {
    /// Request fields the caller must pass to the constructor.
    pub fn constructor_fields(&self) -> impl Iterator<Item = &RequestField> {
        self.request.iter().filter(|f| f.is_constructor_arg())
    }

    /// Whether the endpoint is paginated.
    pub fn is_paginated(&self) -> bool {
        self.pagination.is_some()
    }
}

/// TR IDs of an endpoint: one variant, or several chosen by a typed input.
#[derive(Debug, Clone)]
pub struct TrIds {
    /// The choice, when there are several variants.
    pub selector: Option<Selector>,
    /// The variants (one for most endpoints; none for auth).
    pub variants: Vec<Variant>,
}

/// The typed choice among variants.
#[derive(Debug, Clone)]
pub struct Selector {
    /// Catalog name (`side`).
    pub name: String,
    /// Rust parameter name.
    pub param: String,
    /// Rust enum name (`Side`).
    pub type_name: String,
    /// Korean label.
    pub label: String,
    /// Index of the default variant; makes the choice optional.
    pub default: Option<usize>,
}

/// One TR ID variant.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Catalog name (`buy`; `default` for single-variant endpoints).
    pub name: String,
    /// Rust enum variant name (`Buy`).
    pub rust_name: String,
    /// Korean label.
    pub label: Option<String>,
    /// Real TR ID.
    pub real: String,
    /// Demo TR ID.
    pub demo: Option<String>,
    /// Other documented IDs.
    pub aliases: Vec<Alias>,
}

/// A documented alternative TR ID.
#[derive(Debug, Clone)]
pub struct Alias {
    /// The ID.
    pub tr_id: String,
    /// Where it comes from.
    pub note: String,
}

/// A request field.
#[derive(Debug, Clone)]
pub struct RequestField {
    /// Wire name.
    pub wire: String,
    /// Rust field/parameter name (escaped).
    pub rust_name: String,
    /// Korean label.
    pub label: String,
    /// Whether KIS requires the key (present in every request).
    pub required: bool,
    /// Whether KIS accepts an empty value for this required key (optional keys may always be
    /// empty).
    pub empty: bool,
    /// Value sent when unset.
    pub default: Option<String>,
    /// Known values.
    pub values: Vec<KnownValue>,
    /// Documented maximum length.
    pub max_length: Option<u32>,
    /// Value type.
    pub ty: ValueType,
    /// Configuration fill.
    pub fill: Option<FillSource>,
    /// Whether the paginator writes it (continuation key).
    pub paging: bool,
    /// The portal's description.
    pub description: Option<String>,
    /// Personal data: shown as *** by `Debug`.
    pub redacted: bool,
    /// The closed value set (`common.yaml` enums) the field takes in Rust.
    pub enum_name: Option<String>,
    /// The field's own value set as an enum of its endpoint module, when its values are named.
    pub local_enum: Option<CodeEnum>,
}

impl RequestField {
    /// Whether the caller passes it to the constructor.
    pub fn is_constructor_arg(&self) -> bool {
        self.required && self.default.is_none() && self.fill.is_none() && !self.paging
    }

    /// The Rust name of the enum the field takes (shared or endpoint-local), if any.
    pub fn enum_type(&self) -> Option<&str> {
        self.enum_name
            .as_deref()
            .or(self.local_enum.as_ref().map(|e| e.name.as_str()))
    }
}

/// A known request value.
#[derive(Debug, Clone)]
pub struct KnownValue {
    /// As sent.
    pub value: String,
    /// Rust variant name of the field's enum (PascalCase), when it has one.
    pub rust_name: Option<String>,
    /// Meaning.
    pub label: Option<String>,
}

/// Continuation keys.
#[derive(Debug, Clone)]
pub struct Pagination {
    /// Key pairs.
    pub keys: Vec<PageKey>,
    /// Request values fixed on every page after the first (request wire name, value).
    pub next_values: Vec<(String, String)>,
}

/// One continuation key pair.
#[derive(Debug, Clone)]
pub struct PageKey {
    /// Request field wire name.
    pub request: String,
    /// Where the next value is found in the response.
    pub response: ResponseKey,
}

/// A value's place in the response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseKey {
    /// A top-level body field (wire name).
    Body(String),
    /// A field of an object block.
    InBlock {
        /// Block wire name.
        block: String,
        /// Field wire name.
        field: String,
    },
}

impl ResponseKey {
    /// `ctx_area_fk100` or `output1.index_key`.
    pub fn dotted(&self) -> String {
        match self {
            ResponseKey::Body(f) => f.clone(),
            ResponseKey::InBlock { block, field } => format!("{block}.{field}"),
        }
    }
}

/// Response layout.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Top-level fields (besides the envelope), continuation keys included.
    pub body: Vec<Field>,
    /// Output blocks.
    pub blocks: Vec<Block>,
}

/// An output block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Wire name.
    pub wire: String,
    /// Other accepted wire names.
    pub aliases: Vec<String>,
    /// Rust field name in the response struct.
    pub rust_name: String,
    /// Rust type name of one record.
    pub type_name: String,
    /// Shape.
    pub shape: Shape,
    /// Whether the field split is a judgement.
    pub judged: bool,
    /// Provenance note.
    pub note: Option<String>,
    /// Fields.
    pub fields: Vec<Field>,
}

/// A response field or realtime column.
#[derive(Debug, Clone)]
pub struct Field {
    /// Wire name.
    pub wire: String,
    /// Rust field name (escaped).
    pub rust_name: String,
    /// Korean label.
    pub label: String,
    /// Value type.
    pub ty: ValueType,
    /// Whether `ty` comes from an explicit `type:` rather than a rule.
    pub explicit_type: bool,
    /// The enum of `common.yaml` the value reads into (`response_enums`), for codes whose set
    /// the catalog knows; an unknown code is the enum's `Other`.
    pub code_enum: Option<String>,
    /// Personal data: shown as *** by `Debug`.
    pub redacted: bool,
    /// Extra documentation.
    pub doc: Option<String>,
}

/// WebSocket specifics.
#[derive(Debug, Clone)]
pub struct Realtime {
    /// Whether frames are AES-encrypted.
    pub encrypted: bool,
    /// Subscription key.
    pub tr_key: TrKey,
    /// Columns of one record, in order.
    pub columns: Vec<Field>,
}

/// The subscription key.
#[derive(Debug, Clone)]
pub struct TrKey {
    /// Meaning.
    pub meaning: TrKeyMeaning,
    /// Korean label.
    pub label: String,
    /// Example value.
    pub example: Option<String>,
}
