//! The catalog as static data: what generated bindings carry at run time.
//!
//! The generator writes one [`EndpointMeta`] per endpoint and one [`CatalogMeta`] for the shared
//! facts of `common.yaml` (hosts, limits, the response-code table) as `static`s; the runtime reads
//! them to send requests (method, path, TR ID, demo availability, continuation keys) and to react
//! to answers, and the `kis` command line reads the list to describe and call endpoints by name.
//! These are the loaded model ([`crate::model`], feature `load`) projected onto what a running
//! program needs, built from the same closed sets ([`crate::kinds`]).

use crate::kinds::{
    AccountKind, EndpointKind, Env, ErrorAction, FillSource, Method, Shape, TrKeyMeaning, ValueType,
};

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
    /// The Rust enum variant that sends it (`Krx`), or empty when the input is not an enum.
    pub name: &'static str,
}

impl ValueMeta {
    /// A known value; used by generated code.
    pub const fn new(value: &'static str, label: &'static str, name: &'static str) -> Self {
        ValueMeta { value, label, name }
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
    pub kind: EndpointKind,
    /// HTTP method (`None` for WebSocket TRs).
    pub method: Option<Method>,
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
    /// The shared facts of the catalog it was generated from (its response-code table).
    pub catalog: &'static CatalogMeta,
}

impl EndpointMeta {
    /// Whether the endpoint is paginated.
    pub fn is_paginated(&self) -> bool {
        !self.pagination.is_empty()
    }

    /// The TR ID of variant `index` in the given environment, or `None` when that environment
    /// does not serve it.
    pub fn tr_id(&self, index: usize, env: Env) -> Option<&'static str> {
        let v = self.variants.get(index)?;
        match env {
            Env::Real => Some(v.real),
            Env::Demo => v.demo,
        }
    }

    /// Whether `tr_id` names this endpoint (any variant, environment or alias).
    pub fn has_tr_id(&self, tr_id: &str) -> bool {
        self.variants
            .iter()
            .any(|v| v.real == tr_id || v.demo == Some(tr_id) || v.aliases.contains(&tr_id))
    }
}

/// Hosts of one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostsMeta {
    /// REST base URL.
    pub rest: &'static str,
    /// WebSocket base URL.
    pub websocket: &'static str,
}

/// One entry of the response-code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMeta {
    /// `msg_cd`, or the start of a family of codes when `prefix` is set.
    pub code: &'static str,
    /// Whether `code` names every code that starts with it.
    pub prefix: bool,
    /// KIS's meaning.
    pub meaning: &'static str,
    /// What a client does.
    pub action: ErrorAction,
}

/// Rate and subscription limits (`rate_limits` in `common.yaml`): KIS's, per app key, and the
/// client's, which stay a little under KIS's counters whose clock and window edges a client
/// cannot see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "load", derive(serde::Deserialize))]
#[cfg_attr(feature = "load", serde(deny_unknown_fields))]
pub struct Limits {
    /// KIS: requests per second per app key, real.
    pub real_per_second: u32,
    /// KIS: requests per second per app key, demo.
    pub demo_per_second: u32,
    /// KIS: shortest time between two token issues, in seconds.
    pub token_issue_interval_seconds: u32,
    /// KIS: subscriptions one WebSocket session may hold.
    pub websocket_subscriptions: u32,
    /// A client's requests per second, real.
    pub client_real_per_second: u32,
    /// A client's requests per second, demo.
    pub client_demo_per_second: u32,
    /// A client's wait between two token issues, in seconds.
    pub client_token_issue_interval_seconds: u32,
}

impl Limits {
    /// KIS's requests per second per app key in `env`.
    pub fn per_second(&self, env: Env) -> u32 {
        match env {
            Env::Real => self.real_per_second,
            Env::Demo => self.demo_per_second,
        }
    }

    /// A client's requests per second in `env`.
    pub fn client_per_second(&self, env: Env) -> u32 {
        match env {
            Env::Real => self.client_real_per_second,
            Env::Demo => self.client_demo_per_second,
        }
    }
}

/// The shared facts of `common.yaml` a running client needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogMeta {
    /// Hosts of the real environment.
    pub real: HostsMeta,
    /// Hosts of the demo environment.
    pub demo: HostsMeta,
    /// KIS's limits, and what a client uses.
    pub limits: Limits,
    /// Known response codes; exact codes before prefixes.
    pub errors: &'static [ErrorMeta],
    /// Raw values meaning "no value", per value type.
    pub sentinels: &'static [(ValueType, &'static [&'static str])],
    /// Yes/no order inputs whose `Y` means "all that remains" (wire names): with one of them
    /// set, KIS documents the order's quantity as 0.
    pub all_remaining_inputs: &'static [&'static str],
    /// Whole names of fields holding personal data (`redacted.names` of `common.yaml`).
    pub redacted_names: &'static [&'static str],
    /// Name endings of fields holding personal data (`redacted.suffixes`).
    pub redacted_suffixes: &'static [&'static str],
}

impl CatalogMeta {
    /// The hosts of `env`.
    pub fn hosts(&self, env: Env) -> &HostsMeta {
        match env {
            Env::Real => &self.real,
            Env::Demo => &self.demo,
        }
    }

    /// The table entry for `msg_cd` (surrounding spaces ignored): its exact code, else the
    /// longest matching prefix.
    pub fn error(&self, msg_cd: &str) -> Option<&'static ErrorMeta> {
        let code = msg_cd.trim();
        let errors: &'static [ErrorMeta] = self.errors;
        errors
            .iter()
            .find(|e| !e.prefix && e.code == code)
            .or_else(|| {
                errors
                    .iter()
                    .filter(|e| e.prefix && code.starts_with(e.code))
                    .max_by_key(|e| e.code.len())
            })
    }

    /// Whether `wire` is a yes/no order input whose `Y` means "all that remains" (case free).
    pub fn is_all_remaining_input(&self, wire: &str) -> bool {
        self.all_remaining_inputs
            .iter()
            .any(|w| w.eq_ignore_ascii_case(wire))
    }

    /// Whether `raw` (surrounding spaces aside) means "no value" for a `ty` value.
    pub fn is_sentinel(&self, ty: ValueType, raw: &str) -> bool {
        let raw = raw.trim_ascii();
        self.sentinels
            .iter()
            .any(|(of, values)| *of == ty && values.contains(&raw))
    }

    /// Whether a field called `name` holds personal data by the catalog's `redacted` rule: also
    /// for a key the catalog does not list (a field KIS added), whose value a recording hides.
    pub fn is_redacted(&self, name: &str) -> bool {
        name_matches(name, self.redacted_names, self.redacted_suffixes)
    }

    /// What a client does about `msg_cd`, when the table knows it.
    pub fn action(&self, msg_cd: &str) -> Option<ErrorAction> {
        self.error(msg_cd).map(|e| e.action)
    }
}

/// Whether `name` matches any of `names` (whole) or `suffixes` (its last `_` segment), case
/// aside; trailing digits (`askp_rsqn10`) and the underscore before them are not part of a name.
/// The one matching of the catalog's name rules, for the loader and the runtime alike.
pub fn name_matches<S: AsRef<str>>(name: &str, names: &[S], suffixes: &[S]) -> bool {
    let lower = name.to_ascii_lowercase();
    let trimmed = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('_');
    let stem = if trimmed.is_empty() { &lower } else { trimmed };
    let last = stem.rsplit('_').next().unwrap_or(stem);
    names
        .iter()
        .any(|n| n.as_ref() == stem || n.as_ref() == lower)
        || suffixes.iter().any(|s| s.as_ref() == last)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: CatalogMeta = CatalogMeta {
        real: HostsMeta {
            rest: "https://real",
            websocket: "ws://real",
        },
        demo: HostsMeta {
            rest: "https://demo",
            websocket: "ws://demo",
        },
        limits: Limits {
            real_per_second: 20,
            demo_per_second: 2,
            token_issue_interval_seconds: 60,
            websocket_subscriptions: 40,
            client_real_per_second: 19,
            client_demo_per_second: 2,
            client_token_issue_interval_seconds: 61,
        },
        errors: &[
            ErrorMeta {
                code: "OPSQ",
                prefix: true,
                meaning: "input",
                action: ErrorAction::Fail,
            },
            ErrorMeta {
                code: "OPSQ9",
                prefix: true,
                meaning: "longer",
                action: ErrorAction::RetryQuery,
            },
            ErrorMeta {
                code: "EGW00201",
                prefix: false,
                meaning: "rate",
                action: ErrorAction::RateLimited,
            },
        ],
        sentinels: &[(ValueType::Date, &["0", "00000000"])],
        all_remaining_inputs: &["RMN_QTY_YN"],
        redacted_names: &["cano"],
        redacted_suffixes: &["tlno"],
    };

    #[test]
    fn personal_names_match_whole_or_by_their_last_segment() {
        for name in ["cano", "CANO", "cust_tlno", "tlno", "cano2"] {
            assert!(TABLE.is_redacted(name), "{name}");
        }
        for name in ["canon", "tlno_cd", "stck_prpr"] {
            assert!(!TABLE.is_redacted(name), "{name}");
        }
    }

    #[test]
    fn exact_codes_then_the_longest_prefix() {
        assert_eq!(TABLE.action(" EGW00201 "), Some(ErrorAction::RateLimited));
        assert_eq!(TABLE.action("OPSQ2001"), Some(ErrorAction::Fail));
        assert_eq!(TABLE.action("OPSQ9001"), Some(ErrorAction::RetryQuery));
        assert_eq!(TABLE.action("EGW00202"), None);
        assert_eq!(TABLE.action(""), None);
        assert_eq!(TABLE.limits.per_second(Env::Demo), 2);
        assert_eq!(TABLE.limits.client_per_second(Env::Real), 19);
        assert_eq!(TABLE.hosts(Env::Real).websocket, "ws://real");
        assert!(TABLE.is_sentinel(ValueType::Date, " 00000000 "));
        assert!(!TABLE.is_sentinel(ValueType::Time, "00000000"));
        assert!(TABLE.is_all_remaining_input("rmn_qty_yn"));
        assert!(!TABLE.is_all_remaining_input("RMN_QTY"));
    }
}
