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
use crate::meta::{AccountKind, EndpointMeta, Kind, Method};
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
        if meta.kind != Kind::Rest {
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
            return Err(Error::Config(format!(
                "{}: {first} needs a configured {:?} account (or set it on the request)",
                meta.id, meta.account
            )));
        }
        Ok(match meta.method {
            Method::Post => Prepared {
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
                Method::Post => self.http.post(&url),
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
                        tokio::time::sleep(retry.delay(attempt - 1)).await;
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
            let bytes = match resp.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => {
                    let e = e.without_url();
                    if meta.mutates {
                        return Err(Error::OutcomeUnknown {
                            endpoint: meta.id,
                            tr_id: p.tr_id.to_string(),
                            reason: format!("response body lost: {e}"),
                        });
                    }
                    if attempt < retry.max_attempts {
                        tokio::time::sleep(retry.delay(attempt - 1)).await;
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
                    match msg_cd.as_str() {
                        "EGW00123" | "EGW00121" => {
                            // the gateway refused the token: replace it, and retry a query once
                            self.shared.tokens.invalidate(&token.access).await;
                            if !meta.mutates && !refreshed {
                                refreshed = true;
                                continue;
                            }
                            return Err(api_error(&env));
                        }
                        "EGW00201" => {
                            if meta.mutates {
                                return Err(Error::RateLimited {
                                    endpoint: meta.id,
                                    tr_id: p.tr_id.to_string(),
                                    attempts: attempt,
                                });
                            }
                            if attempt < retry.max_attempts {
                                tokio::time::sleep(
                                    retry.delay(attempt - 1).max(Duration::from_millis(100)),
                                )
                                .await;
                                continue;
                            }
                            return Err(Error::RateLimited {
                                endpoint: meta.id,
                                tr_id: p.tr_id.to_string(),
                                attempts: attempt,
                            });
                        }
                        code if status >= 500
                            && !meta.mutates
                            && transient(code)
                            && attempt < retry.max_attempts =>
                        {
                            tracing::debug!(
                                endpoint = meta.id,
                                msg_cd = code,
                                status,
                                "gateway error; retrying"
                            );
                            tokio::time::sleep(retry.delay(attempt - 1)).await;
                            continue;
                        }
                        _ => return Err(api_error(&env)),
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
                        tokio::time::sleep(retry.delay(attempt - 1)).await;
                        continue;
                    }
                    return Err(http_error(meta, status, &bytes));
                }
                None => return Err(http_error(meta, status, &bytes)),
            }
        }
    }
}

/// Whether a KIS answer with HTTP 5xx may succeed when asked again: not for answers about the
/// request itself (input errors, demo/real mix-ups, bad keys), which would only repeat.
fn transient(msg_cd: &str) -> bool {
    !(msg_cd.starts_with("OPSQ")
        || matches!(
            msg_cd,
            "MCA00124"
                | "EGW02004"
                | "EGW00103"
                | "EGW00105"
                | "EGW00121"
                | "EGW00123"
                | "SYDB0050"
        ))
}

fn http_error(meta: &'static EndpointMeta, status: u16, bytes: &[u8]) -> Error {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
    Error::Http {
        endpoint: meta.id,
        status,
        body: text,
    }
}
