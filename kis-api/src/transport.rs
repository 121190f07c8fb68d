//! Sending one request: auth headers, rate limiting, retries and error classification.
//!
//! Queries are retried with backoff on EGW00201 (rate), EGW00123/EGW00121 (once, after a token
//! refresh), 5xx without a KIS answer and connection failures. A state-changing call is sent at
//! most once unless the connection could not even be established: anything that fails after the
//! request may have reached KIS is [`Error::OutcomeUnknown`].

use std::time::Duration;

use crate::client::Inner;
use crate::decode::{DecodeError, Envelope, decode_envelope};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::meta::{AccountKind, EndpointKind, EndpointMeta, ErrorAction, FillSource, Method};
use crate::params::{Fills, ParamWriter};

/// A request ready to send (and to resend, for queries).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) meta: &'static EndpointMeta,
    pub(crate) tr_id: &'static str,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
}

/// The headers of a successful reply that the caller keeps.
#[derive(Debug)]
pub(crate) struct RawReply {
    pub(crate) tr_cont: String,
    pub(crate) gt_uid: Option<String>,
}

impl Inner {
    /// The TR ID of `variant` in this client's environment, or [`Error::NotInDemo`] before any I/O.
    pub(crate) fn tr_id_for(
        &self,
        meta: &'static EndpointMeta,
        variant: usize,
    ) -> Result<&'static str> {
        if meta.kind != EndpointKind::Rest {
            return Err(Error::Config(format!("{} is not a REST endpoint", meta.id)));
        }
        let not_in_demo = |variant: Option<&'static str>| Error::NotInDemo {
            endpoint: meta.id,
            name: meta.name,
            variant,
        };
        if self.env == Env::Demo && !meta.demo {
            return Err(not_in_demo(None));
        }
        match meta.tr_id(variant, self.env) {
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

    /// Values the client fills in for `meta`: its account, and the continuation keys of the page.
    pub(crate) fn fills(
        &self,
        meta: &'static EndpointMeta,
        paging: Vec<(&'static str, String)>,
    ) -> Fills {
        let account = match meta.account {
            AccountKind::None => None,
            kind => self.accounts.get(&kind),
        };
        Fills {
            account_number: account.map(|a| a.number().to_string()),
            account_product_code: account.map(|a| a.product().to_string()),
            hts_id: self.hts_id.clone(),
            paging,
        }
    }

    /// Turns written parameters into a request, failing before I/O on missing configuration.
    pub(crate) fn prepare(
        &self,
        meta: &'static EndpointMeta,
        tr_id: &'static str,
        w: &ParamWriter<'_>,
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
        Ok(match meta.method {
            Some(Method::Post) => Prepared {
                meta,
                tr_id,
                query: Vec::new(),
                body: Some(w.to_json()),
            },
            _ => Prepared {
                meta,
                tr_id,
                query: w.pairs().iter().map(|(k, v)| (*k, v.to_string())).collect(),
                body: None,
            },
        })
    }

    /// Sends a prepared request with retries; returns a successful reply (`rt_cd` "0") decoded by
    /// `decode`. A reply is parsed once when it succeeds; only a failed decode or an error answer
    /// is read again, for its envelope alone.
    pub(crate) async fn send<T>(
        &self,
        p: &Prepared,
        next_page: bool,
        hashkey: bool,
        decode: impl Fn(&[u8]) -> std::result::Result<(Envelope, T), DecodeError>,
    ) -> Result<(RawReply, Envelope, T)> {
        let meta = p.meta;
        let retry = self.retry;
        let mut refreshed = false;
        let mut attempt: u32 = 0;
        let hash = match (&p.body, hashkey && meta.mutates) {
            (Some(body), true) => Some(
                crate::tokens::hashkey(&self.http, &self.rest_url, &self.credentials, body).await?,
            ),
            _ => None,
        };
        let url = format!("{}{}", self.rest_url, meta.path);
        loop {
            attempt += 1;
            let token = self.shared.tokens.get().await?;
            let permit = match &self.shared.budget {
                Some(b) => Some(b.acquire().await),
                None => None,
            };
            let mut req = match meta.method {
                Some(Method::Post) => self.http.post(&url),
                _ => self.http.get(&url).query(&p.query),
            };
            req = req
                .header("content-type", "application/json; charset=utf-8")
                .header("authorization", format!("Bearer {}", token.access.expose()))
                .header("appkey", self.credentials.app_key.expose())
                .header("appsecret", self.credentials.app_secret.expose())
                .header("tr_id", p.tr_id)
                .header("tr_cont", if next_page { "N" } else { "" })
                .header("custtype", self.customer_type.code());
            if let Some(h) = &hash {
                req = req.header("hashkey", h.as_str());
            }
            if let Some(body) = &p.body {
                req = req.body(body.clone());
            }
            tracing::debug!(
                endpoint = meta.id,
                tr_id = p.tr_id,
                attempt,
                next_page,
                "sending"
            );
            let sent = req.send().await;
            // answered (or failed): KIS has counted it, if it ever will
            if let Some(p) = permit {
                p.release().await;
            }
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    // a GET URL carries the account number in its query: never show it
                    let e = e.without_url();
                    // a connection that never opened cannot have delivered the request
                    let delivered_maybe = !e.is_connect();
                    if meta.mutates && delivered_maybe {
                        tracing::warn!(endpoint = meta.id, tr_id = p.tr_id, error = %e, "order outcome unknown");
                        return Err(Error::OutcomeUnknown {
                            endpoint: meta.id,
                            tr_id: p.tr_id.to_string(),
                            reason: e.to_string(),
                        });
                    }
                    if attempt < retry.max_attempts {
                        tracing::debug!(endpoint = meta.id, error = %e, "transport error; retrying");
                        crate::wait::sleep(retry.delay(attempt - 1), "before retrying").await;
                        continue;
                    }
                    return Err(Error::Transport {
                        endpoint: meta.id,
                        source: e,
                    });
                }
            };
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let tr_cont = header("tr_cont").unwrap_or_default();
            let gt_uid = header("gt_uid");
            let bytes = match crate::body::read_capped(resp, self.max_response_bytes).await {
                Ok(b) => b,
                Err(crate::body::ReadError::TooLarge { limit }) => {
                    if meta.mutates {
                        return Err(Error::OutcomeUnknown {
                            endpoint: meta.id,
                            tr_id: p.tr_id.to_string(),
                            reason: format!("the response is larger than the {limit}-byte limit"),
                        });
                    }
                    return Err(Error::ResponseTooLarge {
                        endpoint: meta.id,
                        limit,
                    });
                }
                Err(crate::body::ReadError::Transport(e)) => {
                    let e = e.without_url();
                    if meta.mutates {
                        return Err(Error::OutcomeUnknown {
                            endpoint: meta.id,
                            tr_id: p.tr_id.to_string(),
                            reason: format!("response body lost: {e}"),
                        });
                    }
                    if attempt < retry.max_attempts {
                        crate::wait::sleep(retry.delay(attempt - 1), "before retrying").await;
                        continue;
                    }
                    return Err(Error::Transport {
                        endpoint: meta.id,
                        source: e,
                    });
                }
            };
            let decoded = if status < 400 {
                match decode(&bytes) {
                    Ok((env, body)) if env.is_success() => {
                        tracing::debug!(endpoint = meta.id, tr_id = p.tr_id, status, msg_cd = %env.msg_cd.trim(), tr_cont = %tr_cont, "received");
                        return Ok((RawReply { tr_cont, gt_uid }, env, body));
                    }
                    Ok(_) => None,
                    Err(e) => Some(e),
                }
            } else {
                None
            };
            // not a success as decoded: read the envelope alone (error bodies need not match)
            let envelope = decode_envelope(&bytes);
            let msg_cd = envelope
                .as_ref()
                .map(|e| e.msg_cd.trim().to_string())
                .unwrap_or_default();
            tracing::debug!(endpoint = meta.id, tr_id = p.tr_id, status, msg_cd = %msg_cd, tr_cont = %tr_cont, "received");
            let api_error = |e: &Envelope| Error::Api {
                endpoint: meta.id,
                tr_id: p.tr_id.to_string(),
                rt_cd: e.rt_cd.clone(),
                msg_cd: e.msg_cd.trim().to_string(),
                msg1: e.msg1.clone(),
                status,
            };
            match envelope {
                Some(env) if env.is_success() && status < 400 => {
                    // KIS said success but the body does not fit its type
                    let Some(e) = decoded else {
                        return Err(api_error(&env));
                    };
                    tracing::warn!(endpoint = meta.id, tr_id = p.tr_id, field = %e.field, "response could not be decoded");
                    return Err(e.into());
                }
                Some(env) => {
                    let answer = Answer {
                        action: meta.catalog.action(&msg_cd),
                        status,
                        mutates: meta.mutates,
                        attempt,
                        max_attempts: retry.max_attempts,
                        refreshed,
                    };
                    match answer.next() {
                        Next::RefreshToken => {
                            // the gateway refused the token: replace it, and retry a query once
                            self.shared.tokens.invalidate(&token.access).await;
                            refreshed = true;
                            continue;
                        }
                        Next::Retry { at_least } => {
                            tracing::debug!(endpoint = meta.id, msg_cd = %msg_cd, status, "passing condition; retrying");
                            crate::wait::sleep(
                                retry.delay(attempt - 1).max(at_least),
                                "before retrying",
                            )
                            .await;
                            continue;
                        }
                        Next::RateLimited => {
                            return Err(Error::RateLimited {
                                endpoint: meta.id,
                                tr_id: p.tr_id.to_string(),
                                attempts: attempt,
                            });
                        }
                        Next::Fail => {
                            if answer.action == Some(ErrorAction::RefreshToken) {
                                self.shared.tokens.invalidate(&token.access).await;
                            }
                            return Err(api_error(&env));
                        }
                    }
                }
                None if status >= 500 => {
                    if meta.mutates {
                        return Err(Error::OutcomeUnknown {
                            endpoint: meta.id,
                            tr_id: p.tr_id.to_string(),
                            reason: format!("HTTP {status} without a KIS answer"),
                        });
                    }
                    if attempt < retry.max_attempts {
                        crate::wait::sleep(retry.delay(attempt - 1), "before retrying").await;
                        continue;
                    }
                    return Err(http_error(meta, status, &bytes));
                }
                None => return Err(http_error(meta, status, &bytes)),
            }
        }
    }
}

/// A KIS answer that is not a success, with what the catalog says about its code.
#[derive(Debug, Clone, Copy)]
struct Answer {
    /// The action of its `msg_cd` in the catalog's table, if the table knows the code.
    action: Option<ErrorAction>,
    status: u16,
    mutates: bool,
    attempt: u32,
    max_attempts: u32,
    /// Whether the token was already replaced once for this call.
    refreshed: bool,
}

/// What the transport does next about an [`Answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Replace the token and send the query again.
    RefreshToken,
    /// Wait (at least this long, else the retry policy's delay) and send the query again.
    Retry { at_least: Duration },
    /// Give up: the per-second budget stayed exceeded, or the call was an order.
    RateLimited,
    /// Give up with KIS's answer.
    Fail,
}

impl Answer {
    /// The decision, from the catalog's action alone: an order is never resent; a code the
    /// table does not know is a passing gateway condition when it comes with HTTP 5xx.
    fn next(&self) -> Next {
        let may_retry = !self.mutates && self.attempt < self.max_attempts;
        match self.action {
            Some(ErrorAction::RefreshToken) if !self.mutates && !self.refreshed => {
                Next::RefreshToken
            }
            Some(ErrorAction::RateLimited) if may_retry => Next::Retry {
                at_least: Duration::from_millis(100),
            },
            Some(ErrorAction::RateLimited) => Next::RateLimited,
            Some(a) if a.is_transient() && may_retry => Next::Retry {
                at_least: Duration::ZERO,
            },
            None if self.status >= 500 && may_retry => Next::Retry {
                at_least: Duration::ZERO,
            },
            _ => Next::Fail,
        }
    }
}

fn http_error(meta: &'static EndpointMeta, status: u16, bytes: &[u8]) -> Error {
    // a proxy may echo the request, credentials included: quote nothing credential-shaped
    let text = crate::redact::redact(&String::from_utf8_lossy(bytes), &[], 300);
    Error::Http {
        endpoint: meta.id,
        status,
        body: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(action: Option<ErrorAction>, status: u16, mutates: bool) -> Answer {
        Answer {
            action,
            status,
            mutates,
            attempt: 1,
            max_attempts: 3,
            refreshed: false,
        }
    }

    #[test]
    fn queries_follow_the_catalog_action() {
        use ErrorAction::*;
        assert_eq!(
            answer(Some(RefreshToken), 500, false).next(),
            Next::RefreshToken
        );
        assert_eq!(
            answer(Some(RateLimited), 500, false).next(),
            Next::Retry {
                at_least: Duration::from_millis(100)
            }
        );
        // a code moved from `fail` to `retry_query` is retried, whatever the HTTP status
        assert_eq!(
            answer(Some(RetryQuery), 200, false).next(),
            Next::Retry {
                at_least: Duration::ZERO
            }
        );
        for never in [Fail, Configuration, NotInDemo, RestartPagination, Success] {
            assert_eq!(
                answer(Some(never), 500, false).next(),
                Next::Fail,
                "{never}"
            );
        }
        // a code the table does not know: a passing gateway condition only with HTTP 5xx
        assert!(matches!(
            answer(None, 502, false).next(),
            Next::Retry { .. }
        ));
        assert_eq!(answer(None, 200, false).next(), Next::Fail);
    }

    #[test]
    fn orders_are_never_resent_and_retries_end() {
        use ErrorAction::*;
        assert_eq!(answer(Some(RefreshToken), 500, true).next(), Next::Fail);
        assert_eq!(
            answer(Some(RateLimited), 500, true).next(),
            Next::RateLimited
        );
        assert_eq!(answer(Some(RetryQuery), 500, true).next(), Next::Fail);
        assert_eq!(answer(None, 503, true).next(), Next::Fail);
        let last = Answer {
            attempt: 3,
            ..answer(Some(RateLimited), 500, false)
        };
        assert_eq!(last.next(), Next::RateLimited);
        let again = Answer {
            refreshed: true,
            ..answer(Some(RefreshToken), 500, false)
        };
        assert_eq!(again.next(), Next::Fail);
    }
}
