//! The catalog's closed sets: each is defined here once and used by the loader, the generator,
//! the runtime metadata, kis-mock and the command line alike. Each has the name used in catalog
//! files (`name`) and its inverse (`parse`).

use std::fmt;

/// Declares `name`/`parse`/`ALL` for a closed set from one table of (variant, catalog name).
macro_rules! catalog_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every member, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The name used in catalog files.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The member with catalog name `name`.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|m| m.name() == name)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// What a value holds. Every KIS value travels as a string; this says how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// Free text (names, messages).
    Text,
    /// A code or identifier (product numbers, order numbers, classification codes).
    Code,
    /// An exact decimal without a more specific meaning (ratios, greeks, index values).
    Decimal,
    /// A price (exact decimal).
    Price,
    /// A money amount (exact decimal).
    Amount,
    /// A rate or percentage (exact decimal).
    Rate,
    /// A quantity of shares, contracts or volume (integer).
    Quantity,
    /// A count or other integer.
    Integer,
    /// A date, `YYYYMMDD`.
    Date,
    /// A time of day, `HHMMSS`.
    Time,
    /// A date and time, `YYYYMMDDHHMMSS` (more digits are fractions of a second).
    DateTime,
    /// `Y` or `N`.
    YesNo,
}

catalog_names!(ValueType {
    Text => "text",
    Code => "code",
    Decimal => "decimal",
    Price => "price",
    Amount => "amount",
    Rate => "rate",
    Quantity => "quantity",
    Integer => "integer",
    Date => "date",
    Time => "time",
    DateTime => "datetime",
    YesNo => "yes_no",
});

impl ValueType {
    /// Whether the value is kept as a string.
    pub fn is_textual(self) -> bool {
        matches!(self, ValueType::Text | ValueType::Code)
    }
}

/// REST, WebSocket or auth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndpointKind {
    /// A REST call with a TR ID.
    Rest,
    /// A realtime WebSocket TR.
    WebSocket,
    /// A token, approval-key or hashkey call, made by the client itself.
    Auth,
}

catalog_names!(EndpointKind {
    Rest => "rest",
    WebSocket => "websocket",
    Auth => "auth",
});

/// HTTP method of a REST or auth call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Inputs as query parameters.
    Get,
    /// Inputs as a JSON body.
    Post,
}

catalog_names!(Method {
    Get => "GET",
    Post => "POST",
});

/// Object or array block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One record.
    Object,
    /// A list of records.
    Array,
}

catalog_names!(Shape {
    Object => "object",
    Array => "array",
});

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

catalog_names!(AccountKind {
    None => "none",
    Stock => "stock",
    DomesticFutures => "domestic_futures",
    OverseasFutures => "overseas_futures",
});

impl AccountKind {
    /// Rust variant name (`DomesticFutures`), for generated code.
    pub fn rust_variant(self) -> &'static str {
        match self {
            AccountKind::None => "None",
            AccountKind::Stock => "Stock",
            AccountKind::DomesticFutures => "DomesticFutures",
            AccountKind::OverseasFutures => "OverseasFutures",
        }
    }
}

/// Where an unset request field takes its value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FillSource {
    /// The 8-digit account number (CANO) of the endpoint's account.
    AccountNumber,
    /// The 2-digit product code (ACNT_PRDT_CD) of the endpoint's account.
    AccountProductCode,
    /// The user's HTS id (USER_ID of the watch-list and condition-search endpoints).
    HtsId,
}

catalog_names!(FillSource {
    AccountNumber => "account_number",
    AccountProductCode => "account_product_code",
    HtsId => "hts_id",
});

/// What a realtime subscription key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrKeyMeaning {
    /// A product code (stock, future, bond...).
    Symbol,
    /// The user's HTS id (execution notices).
    HtsId,
}

catalog_names!(TrKeyMeaning {
    Symbol => "symbol",
    HtsId => "hts_id",
});

/// What a client does about a response code (`errors` in `common.yaml`). The REST transport,
/// the paginator, the token manager and the realtime session act on these, never on codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorAction {
    /// The token was refused: re-issue it, then retry a query once.
    RefreshToken,
    /// The per-second budget was exceeded: back off and retry queries; an order fails as
    /// rate limited and is never resent.
    RateLimited,
    /// A passing condition: back off and retry queries; an order fails.
    RetryQuery,
    /// A token was issued elsewhere within the minute: wait and reuse the cached one.
    ReuseToken,
    /// The client is misconfigured (demo key on the real host, bad app key): never retried.
    Configuration,
    /// The endpoint is not served in demo: never retried.
    NotInDemo,
    /// The data changed while paging: restart the pagination from the first page.
    RestartPagination,
    /// An answer about the request itself: never retried.
    Fail,
    /// Not an error.
    Success,
    /// Realtime: the subscription is in place (new or already there).
    Subscribed,
    /// Realtime: the subscription is gone (removed, or there was none to remove).
    Unsubscribed,
    /// Realtime: the approval key is still held by an earlier connection; retry after a pause.
    KeyInUse,
    /// Realtime: the approval key was refused: issue a new one and reconnect.
    RefreshApprovalKey,
}

catalog_names!(ErrorAction {
    RefreshToken => "refresh_token",
    RateLimited => "rate_limited",
    RetryQuery => "retry_query",
    ReuseToken => "reuse_token",
    Configuration => "configuration",
    NotInDemo => "not_in_demo",
    RestartPagination => "restart_pagination",
    Fail => "fail",
    Success => "success",
    Subscribed => "subscribed",
    Unsubscribed => "unsubscribed",
    KeyInUse => "key_in_use",
    RefreshApprovalKey => "refresh_approval_key",
});

impl ErrorAction {
    /// Whether a query that got this answer with HTTP 5xx may succeed when sent again. Answers
    /// about the request itself (input errors, demo/real mix-ups, bad keys, a refused token,
    /// data that changed while paging) would only repeat.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorAction::RetryQuery | ErrorAction::RateLimited)
    }
}

/// The two environments KIS serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Env {
    /// 실전투자: real orders, real money.
    Real,
    /// 모의투자: the demo (paper trading) environment.
    Demo,
}

catalog_names!(Env {
    Real => "real",
    Demo => "demo",
});

impl std::str::FromStr for Env {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "real" | "prod" | "실전" => Ok(Env::Real),
            "demo" | "paper" | "vps" | "모의" => Ok(Env::Demo),
            other => Err(format!("unknown environment '{other}' (real, demo)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ValueType::ALL {
            assert_eq!(ValueType::parse(t.name()), Some(*t));
        }
        assert_eq!(ValueType::parse("float"), None);
        for a in ErrorAction::ALL {
            assert_eq!(ErrorAction::parse(&a.to_string()), Some(*a));
        }
        assert_eq!(ErrorAction::parse("retry"), None);
        assert_eq!("paper".parse::<Env>(), Ok(Env::Demo));
        assert!("staging".parse::<Env>().is_err());
    }

    #[test]
    fn only_passing_conditions_are_transient() {
        let transient: Vec<_> = ErrorAction::ALL
            .iter()
            .filter(|a| a.is_transient())
            .collect();
        assert_eq!(
            transient,
            [&ErrorAction::RateLimited, &ErrorAction::RetryQuery]
        );
    }
}
