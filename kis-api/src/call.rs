//! A pending call: `.await` it for the response, or page through it.

use std::future::IntoFuture;
use std::sync::Arc;

use futures_core::Stream;
use futures_util::StreamExt;

use crate::boxed::{BoxFuture, BoxStream};
use crate::client::Client;
use crate::decode::{Body, DecodeCx, Envelope, Unrecognized, decode_body, warn_new};
use crate::endpoint::{Endpoint, Paginated};
use crate::environment::Environment;
use crate::error::{Error, PaginationStop, Result};
use crate::http::{Continuation, PageRequest, Prepared, tr_id_for};
use crate::meta::PageKeyMeta;
use crate::paginate::{PageKeys, PageOf, paginate};
use crate::params::ParamWriter;

/// A response with its envelope and headers.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The decoded body.
    pub body: T,
    /// `rt_cd`, `msg_cd`, `msg1` (e.g. `APBK0013` "주문 전송 완료 되었습니다.").
    pub envelope: Envelope,
    /// The TR ID sent.
    pub tr_id: &'static str,
    /// The `tr_cont` response header: `F`/`M` more pages follow, `D`/`E` last page.
    pub tr_cont: Continuation,
    /// The `gt_uid` response header, when sent.
    pub gt_uid: Option<String>,
    /// What the catalog does not account for: keys it does not know and values their types
    /// cannot read (those fields are left empty). Each is logged once per process at `warn`.
    pub unrecognized: Vec<Unrecognized>,
}

impl<T> Reply<T> {
    /// Keys of the response the catalog does not know (KIS added them), with block and key.
    pub fn unknown_fields(&self) -> impl Iterator<Item = &Unrecognized> {
        self.unrecognized.iter().filter(|u| u.is_unknown_key())
    }

    /// Catalog fields whose values their types cannot read, with their raw text.
    pub fn unreadable_values(&self) -> impl Iterator<Item = &Unrecognized> {
        self.unrecognized.iter().filter(|u| !u.is_unknown_key())
    }

    /// Whether KIS says more pages follow.
    pub fn has_more(&self) -> bool {
        self.tr_cont.has_more()
    }
}

impl<E: Environment> Client<E> {
    /// A call of any endpoint. Generated methods (`client.domestic_stock().inquire_price(..)`)
    /// are the usual way; this one serves code that picks endpoints at run time, and checks demo
    /// availability before any I/O.
    pub fn call<R: Endpoint>(&self, request: R) -> Call<'_, R, E> {
        Call::new(self, request)
    }
}

/// One call of an endpoint; created by the generated methods or [`Client::call`].
#[must_use = "a call does nothing until awaited or paged"]
pub struct Call<'c, R: Endpoint, E: Environment> {
    client: &'c Client<E>,
    request: R,
    hashkey: Option<bool>,
}

impl<'c, R: Endpoint, E: Environment> Call<'c, R, E> {
    pub(crate) fn new(client: &'c Client<E>, request: R) -> Self {
        Call {
            client,
            request,
            hashkey: None,
        }
    }

    /// Sends a `hashkey` header computed from the body (orders only; default: the client's
    /// setting).
    pub fn hashkey(mut self, on: bool) -> Self {
        self.hashkey = Some(on);
        self
    }

    /// The request.
    pub fn request(&self) -> &R {
        &self.request
    }

    /// Sends the request (the first page, for paginated endpoints) and returns the body with its
    /// envelope and headers.
    pub async fn reply(self) -> Result<Reply<R::Response>> {
        let hashkey = self.hashkey.unwrap_or(self.client.inner.hashkey());
        fetch_page(
            self.client,
            &self.request,
            Vec::new(),
            PageRequest::First,
            hashkey,
        )
        .await
    }

    /// Sends the request and returns the body (the first page, for paginated endpoints).
    pub async fn send(self) -> Result<R::Response> {
        self.reply().await.map(|r| r.body)
    }
}

/// Logs what the catalog does not describe (once per process) and hands it back for the reply; in
/// strict mode any of it fails the call instead.
pub(crate) fn admit_unrecognized(
    strict: bool,
    endpoint: &'static str,
    tr_id: &str,
    found: Vec<Unrecognized>,
) -> Result<Vec<Unrecognized>> {
    warn_new(&found);
    if strict && !found.is_empty() {
        return Err(Error::Unrecognized {
            endpoint,
            tr_id: tr_id.to_string(),
            found,
        });
    }
    Ok(found)
}

async fn fetch_page<R: Endpoint, E: Environment>(
    client: &Client<E>,
    request: &R,
    paging: Vec<(&'static str, String)>,
    page: PageRequest,
    hashkey: bool,
) -> Result<Reply<R::Response>> {
    let inner = &client.inner;
    let meta = R::META;
    let tr_id = tr_id_for(meta, request.variant(), inner.env())?;
    let fills = inner.fills(meta, paging);
    let prepared = {
        let mut w = ParamWriter::new(&fills);
        request.write(&mut w);
        w.check_values(meta)?;
        Prepared::new(meta, tr_id, &w, page)?
    };
    let answered = inner
        .transport()
        .send(&prepared, hashkey, |bytes| {
            let cx = DecodeCx::new(tr_id, meta);
            let (envelope, body) = decode_body::<R::Response>(bytes, &cx)?;
            Ok((envelope, (body, cx.into_unrecognized())))
        })
        .await?;
    let (body, unrecognized) = answered.body;
    let unrecognized = admit_unrecognized(inner.strict(), meta.id, tr_id, unrecognized)?;
    Ok(Reply {
        body,
        envelope: answered.envelope,
        tr_id,
        tr_cont: answered.continuation,
        gt_uid: answered.gt_uid,
        unrecognized,
    })
}

impl<'c, R: Endpoint, E: Environment> IntoFuture for Call<'c, R, E> {
    type Output = Result<R::Response>;
    type IntoFuture = BoxFuture<'c, Result<R::Response>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// One page of a paginated call.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// 0-based page number.
    pub index: usize,
    /// The page.
    pub reply: Reply<T>,
}

impl<'c, R: Paginated, E: Environment> Call<'c, R, E> {
    /// A stream of pages: sends `tr_cont: N` with the continuation keys of the previous page until
    /// KIS says the last page (`D`/`E`). Ends with an error, never silently, when the page limit is
    /// reached, KIS gives no new continuation key, or the data changed while paging (SYDB0050).
    pub fn pages(self) -> BoxStream<'c, Result<Page<R::Response>>> {
        let hashkey = self.hashkey.unwrap_or(self.client.inner.hashkey());
        Box::pin(page_stream(self.client, Arc::new(self.request), hashkey))
    }

    /// A stream of the rows of the main array block, across pages.
    pub fn rows(self) -> BoxStream<'c, Result<R::Row>> {
        let pages = self.pages();
        Box::pin(pages.flat_map(|p| {
            let (rows, err) = match p {
                Ok(page) => (R::rows(page.reply.body), None),
                Err(e) => (Vec::new(), Some(e)),
            };
            futures_util::stream::iter(rows.into_iter().map(Ok).chain(err.map(Err)))
        }))
    }

    /// Every page, in order. A SYDB0050 (data changed while paging) restarts from the first page,
    /// at most twice; any other failure fails the whole call: a partial result is never returned.
    pub async fn all(self) -> Result<Vec<R::Response>> {
        let hashkey = self.hashkey.unwrap_or(self.client.inner.hashkey());
        let mut restarts = 0;
        let request = Arc::new(self.request);
        loop {
            let mut stream = Box::pin(page_stream(self.client, Arc::clone(&request), hashkey));
            let mut out = Vec::new();
            let mut failed = None;
            while let Some(p) = stream.next().await {
                match p {
                    Ok(page) => out.push(page.reply.body),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            match failed {
                None => return Ok(out),
                Some(Error::Pagination {
                    reason: PaginationStop::DataChanged,
                    ..
                }) if restarts < 2 => {
                    restarts += 1;
                    tracing::info!(
                        endpoint = R::META.id,
                        restarts,
                        "data changed while paging; restarting from the first page"
                    );
                }
                Some(e) => return Err(e),
            }
        }
    }

    /// Every row of the main array block, across all pages (see [`Call::all`]).
    pub async fn all_rows(self) -> Result<Vec<R::Row>> {
        Ok(self.all().await?.into_iter().flat_map(R::rows).collect())
    }
}

impl<T: Body> PageOf for Reply<T> {
    fn continuation(&self) -> Continuation {
        self.tr_cont.clone()
    }
    fn copied_key(&self, index: usize, _key: &PageKeyMeta) -> String {
        self.body.page_key(index).unwrap_or_default().to_string()
    }
}

fn page_stream<'c, R, E>(
    client: &'c Client<E>,
    request: Arc<R>,
    hashkey: bool,
) -> impl Stream<Item = Result<Page<R::Response>>> + Send + 'c
where
    R: Paginated,
    E: Environment,
{
    let fetch = move |keys: PageKeys, page: PageRequest| {
        let request = Arc::clone(&request);
        async move { fetch_page(client, &*request, keys, page, hashkey).await }
    };
    paginate(R::META, client.inner.page_limit(), fetch)
        .enumerate()
        .map(|(index, r)| r.map(|reply| Page { index, reply }))
}
