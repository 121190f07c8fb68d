//! The one error type of the client.

use std::fmt;

use crate::decode::{DecodeError, Unrecognized};

/// Result with the client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong calling KIS. Variants are stable to match on; messages are for
/// people (KIS's `msg1` is trimmed for display).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// KIS answered with an error (`rt_cd` not `"0"`), as JSON, whatever the HTTP status.
    Api {
        /// Endpoint id (`domestic_stock.order_cash`).
        endpoint: &'static str,
        /// TR ID sent.
        tr_id: String,
        /// `rt_cd`.
        rt_cd: String,
        /// `msg_cd`, e.g. `EGW00123`, `MCA00124`, `OPSQ2001`.
        msg_cd: String,
        /// `msg1` as sent, scrubbed of the client's secrets and anything credential-shaped (a
        /// proxy or gateway may echo the request).
        msg1: String,
        /// HTTP status (KIS sends gateway errors as 500).
        status: u16,
    },
    /// An HTTP error without a KIS JSON body.
    Http {
        /// Endpoint id.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// The start of the body, scrubbed of secrets.
        body: String,
    },
    /// The request could not be sent or the response not received (a query; orders get
    /// [`Error::OutcomeUnknown`] instead once the request may have reached KIS).
    Transport {
        /// Endpoint id.
        endpoint: &'static str,
        /// The underlying error.
        source: reqwest::Error,
    },
    /// The response could not be decoded: names the TR ID, the field and the raw value.
    Decode(DecodeError),
    /// The response body was larger than the client's cap
    /// ([`crate::ClientBuilder::max_response_bytes`]); it was not read further.
    ResponseTooLarge {
        /// Endpoint id.
        endpoint: &'static str,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The response held keys the catalog does not know or values their types cannot read, and
    /// the client is strict ([`crate::ClientBuilder::strict`]). Names the endpoint, TR ID, block
    /// and key; the values are kept in `found` but never shown.
    Unrecognized {
        /// Endpoint id.
        endpoint: &'static str,
        /// TR ID sent.
        tr_id: String,
        /// Every key and value the catalog does not account for, in body order.
        found: Vec<Unrecognized>,
    },
    /// Token, approval key or hashkey could not be obtained.
    Auth(AuthError),
    /// KIS kept answering that the per-second limit was exceeded (action `rate_limited`) after the allowed retries, or the call
    /// changes state and is not retried.
    RateLimited {
        /// Endpoint id.
        endpoint: &'static str,
        /// TR ID sent.
        tr_id: String,
        /// Attempts made.
        attempts: u32,
        /// KIS's code of the last answer (`EGW00201`, or whichever code the catalog maps to
        /// `rate_limited`), scrubbed of secrets.
        msg_cd: String,
        /// KIS's message of the last answer, scrubbed of secrets.
        msg1: String,
    },
    /// The endpoint (or the chosen variant) is not served by the demo environment. Raised before
    /// any network I/O.
    NotInDemo {
        /// Endpoint id.
        endpoint: &'static str,
        /// Korean name.
        name: &'static str,
        /// The variant, when only it is unavailable.
        variant: Option<&'static str>,
    },
    /// A state-changing call (an order) failed after the request may have reached KIS. It is never
    /// resent automatically: inquire (e.g. the daily order inquiry) before trying again.
    OutcomeUnknown {
        /// Endpoint id.
        endpoint: &'static str,
        /// TR ID sent.
        tr_id: String,
        /// What happened.
        reason: String,
    },
    /// The client is misconfigured (missing credentials or account, bad URL, bad kis_devlp.yaml).
    Config(String),
    /// Pagination stopped before the last page; the pages so far are not a complete result.
    Pagination {
        /// Endpoint id.
        endpoint: &'static str,
        /// Pages received before stopping.
        pages: usize,
        /// Why.
        reason: PaginationStop,
    },
    /// A realtime (WebSocket) failure: connection, subscription refused by KIS, the session's
    /// subscription limit, a malformed frame. See [`crate::realtime::RealtimeError`].
    #[cfg(feature = "realtime")]
    Realtime(crate::realtime_error::RealtimeError),
}

// Display, source and From by hand: a derive macro would cost every user's first build the
// compile of a proc-macro crate for these few impls
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                endpoint,
                tr_id,
                msg_cd,
                msg1,
                ..
            } => write!(
                f,
                "{endpoint} ({tr_id}): KIS error {msg_cd}: {}",
                msg1.trim()
            ),
            Error::Http {
                endpoint,
                status,
                body,
            } => write!(f, "{endpoint}: HTTP {status}: {body}"),
            Error::Transport { endpoint, source } => {
                write!(f, "{endpoint}: transport error: {source}")
            }
            Error::Decode(e) => e.fmt(f),
            Error::ResponseTooLarge { endpoint, limit } => write!(
                f,
                "{endpoint}: the response is larger than the {limit}-byte limit"
            ),
            Error::Unrecognized {
                endpoint,
                tr_id,
                found,
            } => {
                write!(f, "{endpoint} ({tr_id}): ")?;
                if let Some(first) = found.first() {
                    write!(f, "{first}")?;
                }
                write!(f, " ({} in all; strict mode)", found.len())
            }
            Error::Auth(e) => write!(f, "authentication: {e}"),
            Error::RateLimited {
                endpoint,
                tr_id,
                attempts,
                msg_cd,
                msg1,
            } => write!(
                f,
                "{endpoint} ({tr_id}): rate limited by KIS (per-second limit, {msg_cd}: {}) after {attempts} attempt(s)",
                msg1.trim()
            ),
            Error::NotInDemo {
                endpoint,
                name,
                variant,
            } => {
                write!(f, "{endpoint} ({name}")?;
                if let Some(v) = variant {
                    write!(f, ", variant {v}")?;
                }
                f.write_str(") is not available in the demo environment (모의투자 미지원)")
            }
            Error::OutcomeUnknown {
                endpoint,
                tr_id,
                reason,
            } => write!(
                f,
                "{endpoint} ({tr_id}): outcome unknown, the request may have reached KIS; inquire before retrying: {reason}"
            ),
            Error::Config(message) => write!(f, "configuration: {message}"),
            Error::Pagination {
                endpoint,
                pages,
                reason,
            } => write!(
                f,
                "{endpoint}: pagination stopped after {pages} page(s): {reason}"
            ),
            #[cfg(feature = "realtime")]
            Error::Realtime(e) => write!(f, "realtime: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. } => Some(source),
            // the decode error stands for this one (its message is this one's)
            Error::Decode(e) => e.source(),
            Error::Auth(e) => Some(e),
            #[cfg(feature = "realtime")]
            Error::Realtime(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Error::Auth(e)
    }
}

#[cfg(feature = "realtime")]
impl From<crate::realtime_error::RealtimeError> for Error {
    fn from(e: crate::realtime_error::RealtimeError) -> Self {
        Error::Realtime(e)
    }
}

impl Error {
    /// KIS's message code, for every error that comes from a KIS answer ([`Error::Api`],
    /// [`Error::RateLimited`], and an [`Error::Auth`] that carries one).
    pub fn msg_cd(&self) -> Option<&str> {
        match self {
            Error::Api { msg_cd, .. } | Error::RateLimited { msg_cd, .. } => Some(msg_cd),
            Error::Auth(e) => e.code.as_deref(),
            _ => None,
        }
    }
}

/// Why a pagination stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaginationStop {
    /// The configured page limit was reached while KIS still had more.
    PageLimit(usize),
    /// KIS reported that the data changed while paging (SYDB0050), more often than the restart
    /// budget allows.
    DataChanged,
    /// KIS said more pages follow but gave no new continuation key (it would loop).
    NoProgress,
    /// The endpoint is not paginated.
    NotPaginated,
}

impl fmt::Display for PaginationStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaginationStop::PageLimit(n) => {
                write!(f, "page limit of {n} reached while more pages remain")
            }
            PaginationStop::DataChanged => f.write_str("data changed while paging too often"),
            PaginationStop::NoProgress => {
                f.write_str("more pages announced without a new continuation key")
            }
            PaginationStop::NotPaginated => f.write_str("the endpoint has no continuation keys"),
        }
    }
}

/// A token, approval-key or hashkey failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    /// What was being obtained (`access token`, `approval key`, `hashkey`, `token revoke`).
    pub what: &'static str,
    /// KIS's error code (`EGW00133`, `EGW00103`, ...), when it sent one.
    pub code: Option<String>,
    /// Description.
    pub message: String,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.message)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AuthError {}
