//! Request parameters: what generated request types write, in wire order.
//!
//! KIS wants every documented input key, with an empty string when unused (the official samples
//! send `OFL_YN=` and `CTX_AREA_FK100=` on a first page), so the writer records every field.
//! GET requests send the pairs as a query string, POST requests as a JSON object of strings.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use crate::meta::FillSource;

/// A value that can be sent as a request parameter (KIS takes every value as a string).
pub trait ParamValue {
    /// The value as sent.
    fn to_param(&self) -> Cow<'_, str>;
}

impl ParamValue for str {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ParamValue for String {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

impl ParamValue for Decimal {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

impl ParamValue for u64 {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

impl ParamValue for i64 {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

impl ParamValue for NaiveDate {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Owned(self.format("%Y%m%d").to_string())
    }
}

impl ParamValue for NaiveTime {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Owned(self.format("%H%M%S").to_string())
    }
}

impl ParamValue for bool {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "Y" } else { "N" })
    }
}

/// Values the client fills in: the account of the endpoint, and continuation keys.
#[derive(Debug, Clone, Default)]
pub struct Fills {
    /// 8-digit account number, when configured.
    pub account_number: Option<String>,
    /// 2-digit product code, when configured.
    pub account_product_code: Option<String>,
    /// The user's HTS id, when configured.
    pub hts_id: Option<String>,
    /// Continuation values for this page (request wire name, value).
    pub paging: Vec<(&'static str, String)>,
}

/// Collects the request fields of one call, in wire order.
#[derive(Debug)]
pub struct ParamWriter<'a> {
    pairs: Vec<(&'static str, Cow<'a, str>)>,
    fills: &'a Fills,
    missing: Vec<&'static str>,
}

impl<'a> ParamWriter<'a> {
    /// A writer that resolves fills and continuation keys from `fills`.
    pub fn new(fills: &'a Fills) -> Self {
        ParamWriter {
            pairs: Vec::with_capacity(16),
            fills,
            missing: Vec::new(),
        }
    }

    /// The paginator's value for `name` on this page, when it sets one.
    #[inline]
    fn page_value(&self, name: &str) -> Option<Cow<'a, str>> {
        self.fills
            .paging
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| Cow::Borrowed(v.as_str()))
    }

    /// A field the caller always sets.
    #[inline]
    pub fn put<V: ParamValue + ?Sized>(&mut self, name: &'static str, value: &'a V) {
        let v = self.page_value(name).unwrap_or_else(|| value.to_param());
        self.pairs.push((name, v));
    }

    /// A field that may be unset; `default` is sent then.
    #[inline]
    pub fn opt<V: ParamValue + ?Sized>(
        &mut self,
        name: &'static str,
        value: Option<&'a V>,
        default: &'static str,
    ) {
        let v = match (self.page_value(name), value) {
            (Some(p), _) => p,
            (None, Some(v)) => v.to_param(),
            (None, None) => Cow::Borrowed(default),
        };
        self.pairs.push((name, v));
    }

    /// A field the client fills from its configuration unless the caller set it.
    pub fn fill(&mut self, name: &'static str, value: Option<&'a str>, source: FillSource) {
        let v = match value {
            Some(v) => Cow::Borrowed(v),
            None => {
                let configured = match source {
                    FillSource::AccountNumber => self.fills.account_number.as_deref(),
                    FillSource::AccountProductCode => self.fills.account_product_code.as_deref(),
                    FillSource::HtsId => self.fills.hts_id.as_deref(),
                };
                match configured {
                    Some(c) => Cow::Borrowed(c),
                    None => {
                        self.missing.push(name);
                        Cow::Borrowed("")
                    }
                }
            }
        };
        self.pairs.push((name, v));
    }

    /// A continuation key: empty on a first page, the previous page's value afterwards.
    pub fn paging(&mut self, name: &'static str) {
        let v = self.page_value(name).unwrap_or(Cow::Borrowed(""));
        self.pairs.push((name, v));
    }

    /// Fields that needed a configured value that is missing.
    pub fn missing(&self) -> &[&'static str] {
        &self.missing
    }

    /// The fields, in wire order.
    pub fn pairs(&self) -> &[(&'static str, Cow<'a, str>)] {
        &self.pairs
    }

    /// The value written for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Checks the written values against their catalog types before anything is sent (see
    /// [`crate::value_check`]): a typed request can hold a quantity of 0 or a negative price.
    pub(crate) fn check_values(&self, meta: &crate::meta::EndpointMeta) -> crate::Result<()> {
        crate::value_check::check_request(meta, self.pairs.iter().map(|(k, v)| (*k, v.as_ref())))
    }

    /// The fields as a JSON object of strings, in wire order (POST bodies).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 * self.pairs.len() + 2);
        out.push(b'{');
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // serialising a &str cannot fail
            let _ = serde_json::to_writer(&mut out, k);
            out.push(b':');
            let _ = serde_json::to_writer(&mut out, v.as_ref());
        }
        out.push(b'}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fills_defaults_and_paging_in_order() {
        let fills = Fills {
            account_number: Some("12345678".into()),
            account_product_code: None,
            hts_id: Some("hts_user".into()),
            paging: vec![("CTX_AREA_NK100", "KEY 2".into())],
        };
        let qty = 10u64;
        let price = Decimal::new(71900, 0);
        let mut w = ParamWriter::new(&fills);
        w.fill("CANO", None, FillSource::AccountNumber);
        w.fill("ACNT_PRDT_CD", None, FillSource::AccountProductCode);
        w.fill("USER_ID", None, FillSource::HtsId);
        w.put("ORD_QTY", &qty);
        w.put("ORD_UNPR", &price);
        w.opt::<str>("OFL_YN", None, "");
        w.paging("CTX_AREA_FK100");
        w.paging("CTX_AREA_NK100");
        assert_eq!(w.missing(), &["ACNT_PRDT_CD"]);
        assert_eq!(w.get("CANO"), Some("12345678"));
        assert_eq!(w.get("CTX_AREA_NK100"), Some("KEY 2"));
        let json = String::from_utf8(w.to_json()).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"CANO":"12345678","ACNT_PRDT_CD":"","USER_ID":"hts_user","ORD_QTY":"10","ORD_UNPR":"71900","OFL_YN":"","CTX_AREA_FK100":"","CTX_AREA_NK100":"KEY 2"}"#
        );
    }
}
