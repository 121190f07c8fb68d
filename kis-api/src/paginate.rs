//! The pager shared by typed and dynamic calls: sends `tr_cont: N` with the previous page's keys
//! until KIS says the last page, and ends with an error (never silently) when it cannot finish.

use std::future::Future;

use futures_core::Stream;
use futures_util::StreamExt;

use crate::error::{Error, PaginationStop, Result};
use crate::http::{Continuation, PageRequest};
use crate::meta::{EndpointMeta, PageKeyMeta};

/// A fetched page, as the pager needs to see it.
pub(crate) trait PageOf {
    /// What KIS's `tr_cont` said about further pages.
    fn continuation(&self) -> Continuation;
    /// The value of continuation key `index` (into `meta.pagination`) for the next page.
    fn copied_key(&self, index: usize, key: &PageKeyMeta) -> String;
}

/// Continuation values to send: (request wire name, value).
pub(crate) type PageKeys = Vec<(&'static str, String)>;

/// Pages through `meta` with `fetch(keys, page)`. Yields each page; after the last page
/// announced by KIS it ends, and when paging cannot finish (page limit, no new key, SYDB0050,
/// an error) it yields the error as its last item.
pub(crate) fn paginate<'c, P, F, Fut>(
    meta: &'static EndpointMeta,
    limit: usize,
    fetch: F,
) -> impl Stream<Item = Result<P>> + Send + 'c
where
    P: PageOf + Send + 'c,
    F: Fn(PageKeys, PageRequest) -> Fut + Send + Sync + 'c,
    Fut: Future<Output = Result<P>> + Send + 'c,
{
    struct State<F> {
        fetch: F,
        keys: PageKeys,
        index: usize,
        done: bool,
    }
    let start = State {
        fetch,
        keys: Vec::new(),
        index: 0,
        done: false,
    };
    futures_util::stream::unfold(start, move |mut st| async move {
        if st.done {
            return None;
        }
        let endpoint = meta.id;
        if meta.pagination.is_empty() {
            st.done = true;
            return Some((
                vec![Err(Error::Pagination {
                    endpoint,
                    pages: 0,
                    reason: PaginationStop::NotPaginated,
                })],
                st,
            ));
        }
        let which = if st.index == 0 {
            PageRequest::First
        } else {
            PageRequest::Next
        };
        let page = match (st.fetch)(st.keys.clone(), which).await {
            Ok(p) => p,
            Err(e) => {
                st.done = true;
                let e = match e {
                    Error::Api { ref msg_cd, .. }
                        if meta.catalog.action(msg_cd)
                            == Some(crate::meta::ErrorAction::RestartPagination) =>
                    {
                        Error::Pagination {
                            endpoint,
                            pages: st.index,
                            reason: PaginationStop::DataChanged,
                        }
                    }
                    other => other,
                };
                return Some((vec![Err(e)], st));
            }
        };
        st.index += 1;
        if !page.continuation().has_more() {
            st.done = true;
            return Some((vec![Ok(page)], st));
        }
        let next: PageKeys = meta
            .pagination
            .iter()
            .enumerate()
            .map(|(i, k)| match k.next {
                Some(fixed) => (k.request, fixed.to_string()),
                None => (k.request, page.copied_key(i, k)),
            })
            .collect();
        // more pages announced with the same (or no) keys would fetch the same page forever
        let progress = copied(&next, meta).any(|v| !v.trim().is_empty())
            && !copied(&next, meta).eq(copied(&st.keys, meta));
        let stop = if !progress {
            Some(PaginationStop::NoProgress)
        } else if st.index >= limit {
            Some(PaginationStop::PageLimit(limit))
        } else {
            None
        };
        st.keys = next;
        match stop {
            Some(reason) => {
                st.done = true;
                Some((
                    vec![
                        Ok(page),
                        Err(Error::Pagination {
                            endpoint,
                            pages: st.index,
                            reason,
                        }),
                    ],
                    st,
                ))
            }
            None => Some((vec![Ok(page)], st)),
        }
    })
    .flat_map(futures_util::stream::iter)
}

/// The keys copied from a response; fixed `next` values do not show progress.
fn copied<'k>(keys: &'k PageKeys, meta: &'static EndpointMeta) -> impl Iterator<Item = &'k str> {
    keys.iter()
        .zip(meta.pagination)
        .filter(|(_, k)| k.next.is_none())
        .map(|((_, v), _)| v.as_str())
}
