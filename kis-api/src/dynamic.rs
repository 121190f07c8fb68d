//! Calls chosen at run time from an endpoint's metadata: for tools such as the `kis` command line
//! that take an endpoint name and `key=value` inputs. Typed code uses the generated methods.
//!
//! The same runtime serves both: the same TR ID choice, demo check, account fill, retries and
//! pagination. Only the body stays JSON (`serde_json::Value`) instead of generated types.

use crate::boxed::BoxStream;
use crate::call::admit_unrecognized;
use crate::client::Client;
use crate::decode::{Envelope, Unrecognized, unrecognized_in};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::http::{Continuation, PageRequest, Prepared, tr_id_for};
use crate::meta::{EndpointKind, EndpointMeta, PageKeyMeta, RequestFieldMeta};
use crate::paginate::{PageKeys, PageOf, paginate};
use crate::params::ParamWriter;

/// A request of any REST endpoint, with inputs given by wire name.
#[derive(Debug, Clone)]
pub struct DynamicRequest {
    meta: &'static EndpointMeta,
    variant: usize,
    values: Vec<(&'static str, String)>,
}

impl DynamicRequest {
    /// A request of `meta` with no input set (variant 0).
    pub fn new(meta: &'static EndpointMeta) -> Result<Self> {
        if meta.kind != EndpointKind::Rest {
            return Err(Error::Config(format!("{} is not a REST endpoint", meta.id)));
        }
        Ok(DynamicRequest {
            meta,
            variant: 0,
            values: Vec::new(),
        })
    }

    /// The endpoint.
    pub fn meta(&self) -> &'static EndpointMeta {
        self.meta
    }

    /// Chooses the TR ID variant by its catalog name (`buy`, `night`, ...).
    pub fn variant(mut self, name: &str) -> Result<Self> {
        match self
            .meta
            .variants
            .iter()
            .position(|v| v.name.eq_ignore_ascii_case(name))
        {
            Some(i) => {
                self.variant = i;
                Ok(self)
            }
            None => {
                let names: Vec<&str> = self.meta.variants.iter().map(|v| v.name).collect();
                Err(Error::Config(format!(
                    "{}: no variant '{name}' (variants: {})",
                    self.meta.id,
                    names.join(", ")
                )))
            }
        }
    }

    /// The chosen variant's index.
    pub fn variant_index(&self) -> usize {
        self.variant
    }

    /// The longest input value accepted, in characters. KIS's inputs are codes, numbers, dates
    /// and continuation keys of at most a few hundred characters; anything longer is a mistake,
    /// refused before any I/O.
    pub const MAX_VALUE_CHARS: usize = 1024;

    /// Sets input `name` (wire name, any case). A value longer than
    /// [`Self::MAX_VALUE_CHARS`] is refused (and not quoted back).
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Result<Self> {
        let Some(f) = self.field(name) else {
            return Err(Error::Config(format!(
                "{}: no input named {name}",
                self.meta.id
            )));
        };
        let value = value.into();
        let chars = value.chars().count();
        if chars > Self::MAX_VALUE_CHARS {
            return Err(Error::Config(format!(
                "{}: the value of {} is {chars} characters long; inputs are at most {}",
                self.meta.id,
                f.wire,
                Self::MAX_VALUE_CHARS
            )));
        }
        crate::value_check::check_field(self.meta, f, &value)?;
        let wire = f.wire;
        self.values.retain(|(w, _)| *w != wire);
        self.values.push((wire, value));
        Ok(self)
    }

    /// The request field called `name` (wire name, any case).
    pub fn field(&self, name: &str) -> Option<&'static RequestFieldMeta> {
        self.meta
            .request
            .iter()
            .find(|f| f.wire.eq_ignore_ascii_case(name))
    }

    /// The value set for `wire`, if any.
    pub fn value(&self, wire: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(w, _)| *w == wire)
            .map(|(_, v)| v.as_str())
    }

    /// Required inputs without a value, a default, a configuration fill or a paginator.
    pub fn missing(&self) -> Vec<&'static RequestFieldMeta> {
        self.meta
            .request
            .iter()
            .filter(|f| f.must_be_given() && self.value(f.wire).is_none_or(|v| v.is_empty()))
            .collect()
    }

    fn write<'a>(&'a self, w: &mut ParamWriter<'a>) {
        for f in self.meta.request {
            match (self.value(f.wire), f.fill) {
                (Some(v), _) => w.put(f.wire, v),
                (None, Some(source)) => w.fill(f.wire, None, source),
                (None, None) if f.paging => w.paging(f.wire),
                (None, None) => w.opt::<str>(f.wire, None, f.default.unwrap_or("")),
            }
        }
    }
}

/// A response of a dynamic call: the envelope, the JSON body and the headers.
#[derive(Clone)]
pub struct DynamicReply {
    /// `rt_cd`, `msg_cd`, `msg1`.
    pub envelope: Envelope,
    /// The whole JSON body.
    pub body: serde_json::Value,
    /// The TR ID sent.
    pub tr_id: &'static str,
    /// The `tr_cont` response header.
    pub tr_cont: Continuation,
    /// What the catalog does not account for: keys it does not know and values their types
    /// cannot read (see [`crate::Reply::unrecognized`]); the body holds them all as sent.
    pub unrecognized: Vec<Unrecognized>,
}

impl std::fmt::Debug for DynamicReply {
    // the raw body may hold account numbers: Debug shows its shape, not its values
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self
            .body
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        f.debug_struct("DynamicReply")
            .field("envelope", &self.envelope)
            .field("body_keys", &keys)
            .field("tr_id", &self.tr_id)
            .field("tr_cont", &self.tr_cont)
            .field("unrecognized", &self.unrecognized)
            .finish()
    }
}

impl DynamicReply {
    /// Whether KIS says more pages follow.
    pub fn has_more(&self) -> bool {
        self.tr_cont.has_more()
    }
}

impl PageOf for DynamicReply {
    fn continuation(&self) -> Continuation {
        self.tr_cont.clone()
    }
    fn copied_key(&self, _index: usize, k: &PageKeyMeta) -> String {
        let holder = match k.block {
            None => Some(&self.body),
            Some(b) => match self.body.get(b) {
                Some(serde_json::Value::Array(a)) => a.first(),
                other => other,
            },
        };
        holder
            .and_then(|h| h.get(k.response))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }
}

impl<E: Environment> Client<E> {
    /// Sends a dynamic request (the first page, for paginated endpoints).
    pub async fn call_dynamic(&self, request: &DynamicRequest) -> Result<DynamicReply> {
        self.fetch_dynamic(request, Vec::new(), PageRequest::First)
            .await
    }

    /// Pages through a dynamic request, like [`crate::Call::pages`].
    pub fn call_dynamic_pages(
        &self,
        request: DynamicRequest,
    ) -> BoxStream<'_, Result<DynamicReply>> {
        let meta = request.meta;
        let request = std::sync::Arc::new(request);
        let fetch = move |keys: PageKeys, page: PageRequest| {
            let request = std::sync::Arc::clone(&request);
            async move { self.fetch_dynamic(&request, keys, page).await }
        };
        Box::pin(paginate(meta, self.inner.page_limit(), fetch))
    }

    async fn fetch_dynamic(
        &self,
        request: &DynamicRequest,
        paging: Vec<(&'static str, String)>,
        page: PageRequest,
    ) -> Result<DynamicReply> {
        let inner = &self.inner;
        let meta = request.meta;
        let tr_id = tr_id_for(meta, request.variant, inner.env())?;
        if let Some(f) = request.missing().first() {
            return Err(Error::Config(format!(
                "{}: missing required input {} ({})",
                meta.id, f.wire, f.label
            )));
        }
        let fills = inner.fills(meta, paging);
        let prepared = {
            let mut w = ParamWriter::new(&fills);
            request.write(&mut w);
            w.check_values(meta)?;
            Prepared::new(meta, tr_id, &w, page)?
        };
        let answered = inner
            .transport()
            .send(&prepared, inner.hashkey(), |bytes| {
                let body: serde_json::Value =
                    serde_json::from_slice(bytes).map_err(|e| crate::decode::DecodeError {
                        tr_id: tr_id.to_string(),
                        field: String::new(),
                        raw: None,
                        reason: format!("not a JSON body: {e}"),
                    })?;
                let text = |k: &str| {
                    body.get(k)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                let envelope = Envelope {
                    rt_cd: text("rt_cd"),
                    msg_cd: text("msg_cd"),
                    msg1: text("msg1"),
                };
                Ok((envelope, body))
            })
            .await?;
        let body = answered.body;
        let unrecognized =
            admit_unrecognized(inner.strict(), meta.id, tr_id, unrecognized_in(meta, &body))?;
        Ok(DynamicReply {
            envelope: answered.envelope,
            body,
            tr_id,
            tr_cont: answered.continuation,
            unrecognized,
        })
    }
}
