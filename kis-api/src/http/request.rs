//! A request ready to send, and the continuation (`tr_cont`) it carries and gets back.

use std::fmt;

use crate::environment::Env;
use crate::error::{Error, Result};
use crate::meta::{EndpointKind, EndpointMeta, FillSource, Method};
use crate::params::ParamWriter;

/// A request ready to send (and to resend, for queries).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) meta: &'static EndpointMeta,
    pub(crate) tr_id: &'static str,
    /// Query parameters (GET).
    pub(crate) query: Vec<(&'static str, String)>,
    /// The JSON body (POST).
    pub(crate) body: Option<Vec<u8>>,
    /// Which page of a paginated inquiry this is.
    pub(crate) page: PageRequest,
}

impl Prepared {
    /// Turns written parameters into a request, failing before I/O on missing configuration.
    pub(crate) fn new(
        meta: &'static EndpointMeta,
        tr_id: &'static str,
        w: &ParamWriter<'_>,
        page: PageRequest,
    ) -> Result<Prepared> {
        if let Some(first) = w.missing().first() {
            let source = meta.request.iter().find(|f| f.wire == *first);
            if source.and_then(|f| f.fill) == Some(FillSource::HtsId) {
                return Err(Error::Config(format!(
                    "{}: {first} needs the HTS id (ClientBuilder::hts_id, KIS_HTS_ID; or set it \
                     on the request)",
                    meta.id
                )));
            }
            return Err(Error::Config(format!(
                "{}: {first} needs a configured {:?} account (or set it on the request)",
                meta.id, meta.account
            )));
        }
        let (query, body) = match meta.method {
            Some(Method::Post) => (Vec::new(), Some(w.to_json())),
            _ => (
                w.pairs().iter().map(|(k, v)| (*k, v.to_string())).collect(),
                None,
            ),
        };
        Ok(Prepared {
            meta,
            tr_id,
            query,
            body,
            page,
        })
    }
}

/// The TR ID of `variant` of `meta` in `env`, or [`Error::NotInDemo`] before any I/O.
pub(crate) fn tr_id_for(
    meta: &'static EndpointMeta,
    variant: usize,
    env: Env,
) -> Result<&'static str> {
    if meta.kind != EndpointKind::Rest {
        return Err(Error::Config(format!("{} is not a REST endpoint", meta.id)));
    }
    let not_in_demo = |variant: Option<&'static str>| Error::NotInDemo {
        endpoint: meta.id,
        name: meta.name,
        variant,
    };
    if env == Env::Demo && !meta.demo {
        return Err(not_in_demo(None));
    }
    match meta.tr_id(variant, env) {
        Some(t) => Ok(t),
        None if meta.variants.len() > variant => {
            Err(not_in_demo(meta.variants.get(variant).map(|v| v.name)))
        }
        None => Err(Error::Config(format!(
            "{}: no TR ID variant {variant}",
            meta.id
        ))),
    }
}

/// Which page a request asks for: the `tr_cont` request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum PageRequest {
    /// The first page (an empty `tr_cont`).
    #[default]
    First,
    /// A following page (`tr_cont: N`, with the previous page's continuation keys).
    Next,
}

impl PageRequest {
    /// The `tr_cont` header value.
    pub(crate) fn header(self) -> &'static str {
        match self {
            PageRequest::First => "",
            PageRequest::Next => "N",
        }
    }
}

/// What KIS's `tr_cont` response header says about further pages: `F` or `M` more follow, `D` or
/// `E` (or no header) this was the last. Decided here once for typed and dynamic calls.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Continuation {
    /// The header's letter; `None` when the header was absent, blank or not one letter.
    code: Option<char>,
}

impl Continuation {
    /// Reads the header value. Anything but one ASCII letter (padding aside) reads as absent: the
    /// header is server text and only its letter means anything.
    pub(crate) fn from_header(value: Option<&str>) -> Continuation {
        let mut letters = value.unwrap_or_default().trim().chars();
        let code = match (letters.next(), letters.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Some(c.to_ascii_uppercase()),
            _ => None,
        };
        Continuation { code }
    }

    /// Whether KIS says more pages follow (`F` or `M`).
    pub fn has_more(&self) -> bool {
        matches!(self.code, Some('F' | 'M'))
    }

    /// The header's letter as sent, if any.
    pub fn code(&self) -> Option<char> {
        self.code
    }
}

impl fmt::Display for Continuation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(c) => write!(f, "{c}"),
            None => Ok(()),
        }
    }
}

impl PartialEq<&str> for Continuation {
    fn eq(&self, other: &&str) -> bool {
        let mut c = other.chars();
        match (self.code, c.next(), c.next()) {
            (None, None, _) => true,
            (Some(a), Some(b), None) => a == b,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_is_decided_from_the_letter_alone() {
        let more = ["F", "M", " m ", "F\r"];
        for h in more {
            assert!(Continuation::from_header(Some(h)).has_more(), "{h:?}");
        }
        for h in ["D", "E", "", "  ", "FM", "가", "N\0"] {
            assert!(!Continuation::from_header(Some(h)).has_more(), "{h:?}");
        }
        assert!(!Continuation::from_header(None).has_more());
        assert_eq!(Continuation::from_header(Some("M")), "M");
        assert_eq!(Continuation::from_header(Some("  ")), "");
        assert_eq!(Continuation::from_header(Some("FMX")).to_string(), "");
        assert_eq!(PageRequest::First.header(), "");
        assert_eq!(PageRequest::Next.header(), "N");
    }
}
