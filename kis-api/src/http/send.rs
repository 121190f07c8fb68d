//! One request's lifecycle as named steps: [`Transport::send`] runs `order_hashkey` once, then per
//! attempt `exchange` (token, budget permit, send, capped body), `read_answer` (decode or name the
//! failure), and [`classify`] decides what follows. Every text the server sent is scrubbed of the
//! client's secrets before it enters an error or a log line.

use std::time::Duration;

use super::Transport;
use super::classify::{Attempt, Outcome, Step, classify};
use super::request::{Continuation, Prepared};
use crate::capped_body::{ReadError, read_capped};
use crate::decode::{DecodeError, Envelope, decode_envelope};
use crate::error::{Error, Result};
use crate::meta::Method;
use crate::recording::RestExchange;
use crate::scrub::scrub;
use crate::secret::Secret;
use crate::tokens::Token;

/// The most of a server's text quoted in an error, in characters.
const QUOTED_CHARS: usize = 300;

/// A successful answer (`rt_cd` "0") with the headers the caller keeps.
#[derive(Debug)]
pub(crate) struct Answered<T> {
    /// The `tr_cont` response header.
    pub(crate) continuation: Continuation,
    /// The `gt_uid` response header, when sent.
    pub(crate) gt_uid: Option<String>,
    /// `rt_cd`, `msg_cd`, `msg1`, scrubbed of secrets.
    pub(crate) envelope: Envelope,
    /// What `decode` made of the body.
    pub(crate) body: T,
}

/// A response as received.
struct Received {
    status: u16,
    continuation: Continuation,
    gt_uid: Option<String>,
    bytes: Vec<u8>,
}

/// Why an attempt did not succeed, with what its error will say.
enum Failure {
    /// Not connected, no response, or the body lost ([`Outcome::NotConnected`],
    /// [`Outcome::NoResponse`], [`Outcome::BodyLost`]).
    Transport {
        outcome: Outcome,
        error: reqwest::Error,
    },
    TooLarge {
        limit: usize,
    },
    Kis {
        envelope: Envelope,
        status: u16,
        outcome: Outcome,
    },
    Unreadable {
        status: u16,
        error: Option<DecodeError>,
    },
    Http {
        status: u16,
        bytes: Vec<u8>,
    },
}

impl Failure {
    fn outcome(&self) -> Outcome {
        match self {
            Failure::Transport { outcome, .. } | Failure::Kis { outcome, .. } => *outcome,
            Failure::TooLarge { .. } => Outcome::TooLarge,
            Failure::Unreadable { .. } => Outcome::Unreadable,
            Failure::Http { status, .. } => Outcome::HttpError { status: *status },
        }
    }

    /// A sending error: a connection that never opened cannot have delivered the request.
    fn sending(error: reqwest::Error) -> Failure {
        // a GET URL carries the account number in its query: never show it
        let error = error.without_url();
        let outcome = if error.is_connect() {
            Outcome::NotConnected
        } else {
            Outcome::NoResponse {
                timeout: error.is_timeout(),
            }
        };
        Failure::Transport { outcome, error }
    }

    /// What happened, for a retry's announcement and an unknown outcome's reason.
    fn describe(&self, secrets: &[&str]) -> String {
        match self {
            Failure::Transport {
                outcome: Outcome::NoResponse { timeout: true },
                ..
            } => "no answer within the time limit".into(),
            Failure::Transport {
                outcome: Outcome::BodyLost,
                error,
            } => format!("response body lost: {error}"),
            Failure::Transport { error, .. } => error.to_string(),
            Failure::TooLarge { limit } => {
                format!("the response is larger than the {limit}-byte limit")
            }
            Failure::Kis {
                envelope, status, ..
            } => format!(
                "KIS error {} (HTTP {status}): {}",
                scrub(envelope.msg_cd.trim(), secrets, QUOTED_CHARS),
                scrub(envelope.msg1.trim(), secrets, QUOTED_CHARS)
            ),
            Failure::Unreadable { status, error } => match error {
                Some(e) => format!(
                    "the answer (HTTP {status}) could not be read: {}",
                    scrubbed_decode_error(e, secrets)
                ),
                None => format!("the answer (HTTP {status}) could not be read"),
            },
            Failure::Http { status, .. } => format!("HTTP {status} without a KIS answer"),
        }
    }
}

impl Transport {
    /// Sends a prepared request with retries; returns a successful reply (`rt_cd` "0") decoded by
    /// `decode`. A reply is parsed once when it succeeds; only a failed decode or an error answer
    /// is read again, for its envelope alone.
    pub(crate) async fn send<T>(
        &self,
        p: &Prepared,
        hashkey: bool,
        decode: impl Fn(&[u8]) -> std::result::Result<(Envelope, T), DecodeError>,
    ) -> Result<Answered<T>> {
        let hash = self.order_hashkey(p, hashkey).await?;
        let mut attempt = Attempt {
            mutates: p.meta.mutates,
            number: 0,
            max: self.retry.max_attempts.max(1),
            refreshed: false,
        };
        loop {
            attempt.number += 1;
            let token = self.key.tokens.get().await?;
            let failure = match self.exchange(p, hash.as_deref(), &token).await {
                Ok(received) => match self.read_answer(p, received, &decode, &token.access) {
                    Ok(answered) => return Ok(answered),
                    Err(f) => f,
                },
                Err(f) => f,
            };
            match classify(failure.outcome(), attempt) {
                Step::Retry { at_least, announce } => {
                    self.wait_to_retry(p, &failure, attempt, at_least, announce, &token.access)
                        .await;
                }
                Step::RefreshToken => {
                    tracing::info!(endpoint = p.meta.id, "KIS refused the token; replacing it");
                    self.key.tokens.invalidate(&token.access).await;
                    attempt.refreshed = true;
                }
                Step::Fail { invalidate_token } => {
                    if invalidate_token {
                        self.key.tokens.invalidate(&token.access).await;
                    }
                    return Err(self.failed(p, failure, &token.access));
                }
                Step::RateLimited => return Err(self.rate_limited(p, failure, attempt, &token)),
                Step::OutcomeUnknown => {
                    let reason = failure.describe(&self.secrets(Some(&token.access)));
                    tracing::warn!(endpoint = p.meta.id, tr_id = p.tr_id, reason = %reason, "order outcome unknown");
                    return Err(Error::OutcomeUnknown {
                        endpoint: p.meta.id,
                        tr_id: p.tr_id.to_string(),
                        reason,
                    });
                }
            }
        }
    }

    /// Step 1: the hashkey header of an order, when asked for.
    async fn order_hashkey(&self, p: &Prepared, on: bool) -> Result<Option<String>> {
        match (&p.body, on && p.meta.mutates) {
            (Some(body), true) => Ok(Some(self.hashkey(body).await?)),
            _ => Ok(None),
        }
    }

    /// Step 2: one exchange under a budget permit, the body read up to the cap.
    async fn exchange(
        &self,
        p: &Prepared,
        hash: Option<&str>,
        token: &Token,
    ) -> std::result::Result<Received, Failure> {
        let permit = match &self.key.budget {
            Some(b) => Some(b.acquire().await),
            None => None,
        };
        tracing::debug!(endpoint = p.meta.id, tr_id = p.tr_id, page = ?p.page, "sending");
        let sent = self.request(p, hash, token).send().await;
        // answered (or failed): KIS has counted it, if it ever will
        if let Some(permit) = permit {
            permit.release().await;
        }
        let response = sent.map_err(Failure::sending)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let header_text = header("tr_cont");
        let continuation = Continuation::from_header(header_text.as_deref());
        let gt_uid = header("gt_uid");
        let bytes = read_capped(response, self.max_response_bytes)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge { limit } => Failure::TooLarge { limit },
                ReadError::Transport(error) => Failure::Transport {
                    outcome: Outcome::BodyLost,
                    error: error.without_url(),
                },
            })?;
        if let Some(r) = &self.recorder {
            r.rest(&RestExchange {
                endpoint: p.meta.id,
                tr_id: p.tr_id,
                method: if p.body.is_some() { "POST" } else { "GET" },
                path: p.meta.path,
                page: p.page.header(),
                fields: p.meta.request,
                query: &p.query,
                body: p.body.as_deref(),
                status,
                tr_cont: header_text.as_deref(),
                response: &bytes,
                token: token.access.expose(),
            });
        }
        Ok(Received {
            status,
            continuation,
            gt_uid,
            bytes,
        })
    }

    /// The HTTP request of one attempt.
    fn request(&self, p: &Prepared, hash: Option<&str>, token: &Token) -> reqwest::RequestBuilder {
        let url = format!("{}{}", self.rest_url, p.meta.path);
        let mut req = match p.meta.method {
            Some(Method::Post) => self.http.post(url),
            _ => self.http.get(url).query(&p.query),
        };
        req = req
            .header("content-type", "application/json; charset=utf-8")
            .header("authorization", format!("Bearer {}", token.access.expose()))
            .header("appkey", self.credentials.app_key.expose())
            .header("appsecret", self.credentials.app_secret.expose())
            .header("tr_id", p.tr_id)
            .header("tr_cont", p.page.header())
            .header("custtype", self.customer_type.code());
        if let Some(h) = hash {
            req = req.header("hashkey", h);
        }
        if let Some(body) = &p.body {
            req = req.body(body.clone());
        }
        req
    }

    /// Step 3: the success decoded, or the failure named. Error bodies need not match the
    /// endpoint's type: they are read again for the envelope alone.
    fn read_answer<T>(
        &self,
        p: &Prepared,
        r: Received,
        decode: &impl Fn(&[u8]) -> std::result::Result<(Envelope, T), DecodeError>,
        token: &Secret,
    ) -> std::result::Result<Answered<T>, Failure> {
        let status = r.status;
        let mut decode_error = None;
        if status < 400 {
            match decode(&r.bytes) {
                Ok((envelope, body)) if envelope.is_success() => {
                    tracing::debug!(endpoint = p.meta.id, tr_id = p.tr_id, status, continuation = %r.continuation, "received");
                    return Ok(Answered {
                        continuation: r.continuation,
                        gt_uid: r.gt_uid,
                        envelope: self.scrubbed(envelope, token),
                        body,
                    });
                }
                Ok(_) => {}
                Err(e) => decode_error = Some(e),
            }
        }
        match decode_envelope(&r.bytes) {
            // KIS said success but the body does not fit its type; or no envelope at all
            Some(e) if e.is_success() && status < 400 => Err(Failure::Unreadable {
                status,
                error: decode_error,
            }),
            None if status < 400 => Err(Failure::Unreadable {
                status,
                error: decode_error,
            }),
            Some(envelope) => {
                let action = p.meta.catalog.action(envelope.msg_cd.trim());
                tracing::debug!(
                    endpoint = p.meta.id,
                    tr_id = p.tr_id,
                    status,
                    ?action,
                    "KIS answered with an error"
                );
                Err(Failure::Kis {
                    envelope,
                    status,
                    outcome: Outcome::KisError { action, status },
                })
            }
            None => Err(Failure::Http {
                status,
                bytes: r.bytes,
            }),
        }
    }

    /// A retry's wait, announced at `warn` when it follows a fault (a timeout, a lost
    /// connection, a gateway error) so that a slow call says why.
    async fn wait_to_retry(
        &self,
        p: &Prepared,
        failure: &Failure,
        attempt: Attempt,
        at_least: Duration,
        announce: bool,
        token: &Secret,
    ) {
        let wait = self.retry.delay(attempt.number - 1).max(at_least);
        if announce {
            tracing::warn!(
                endpoint = p.meta.id,
                tr_id = p.tr_id,
                attempt = attempt.number,
                of = attempt.max,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "{}; retrying in {:.1} s",
                failure.describe(&self.secrets(Some(token))),
                wait.as_secs_f64()
            );
            tokio::time::sleep(wait).await;
        } else {
            tracing::debug!(endpoint = p.meta.id, attempt = attempt.number, "retrying");
            crate::announced_wait::sleep(wait, "before retrying").await;
        }
    }

    /// The error of a failure that ends the call.
    fn failed(&self, p: &Prepared, failure: Failure, token: &Secret) -> Error {
        let secrets = self.secrets(Some(token));
        let endpoint = p.meta.id;
        match failure {
            Failure::Transport { error, .. } => Error::Transport {
                endpoint,
                source: error,
            },
            Failure::TooLarge { limit } => Error::ResponseTooLarge { endpoint, limit },
            Failure::Kis {
                envelope, status, ..
            } => Error::Api {
                endpoint,
                tr_id: p.tr_id.to_string(),
                rt_cd: scrub(envelope.rt_cd.trim(), &secrets, 16),
                msg_cd: scrub(envelope.msg_cd.trim(), &secrets, QUOTED_CHARS),
                msg1: scrub(&envelope.msg1, &secrets, QUOTED_CHARS),
                status,
            },
            Failure::Unreadable { error: Some(e), .. } => {
                tracing::warn!(endpoint, tr_id = p.tr_id, field = %e.field, "response could not be decoded");
                Error::Decode(scrubbed_decode_error(&e, &secrets))
            }
            Failure::Unreadable {
                status,
                error: None,
            } => Error::Http {
                endpoint,
                status,
                body: "an answer that is not KIS's".into(),
            },
            Failure::Http { status, bytes } => Error::Http {
                endpoint,
                status,
                // a proxy may echo the request, credentials included
                body: scrub(&String::from_utf8_lossy(&bytes), &secrets, QUOTED_CHARS),
            },
        }
    }

    fn rate_limited(
        &self,
        p: &Prepared,
        failure: Failure,
        attempt: Attempt,
        token: &Token,
    ) -> Error {
        let secrets = self.secrets(Some(&token.access));
        let (msg_cd, msg1) = match &failure {
            Failure::Kis { envelope, .. } => (
                scrub(envelope.msg_cd.trim(), &secrets, QUOTED_CHARS),
                scrub(envelope.msg1.trim(), &secrets, QUOTED_CHARS),
            ),
            _ => Default::default(),
        };
        Error::RateLimited {
            endpoint: p.meta.id,
            tr_id: p.tr_id.to_string(),
            attempts: attempt.number,
            msg_cd,
            msg1,
        }
    }

    /// A success's envelope with its texts scrubbed: `msg1` is printed by programs and the CLI.
    fn scrubbed(&self, e: Envelope, token: &Secret) -> Envelope {
        let secrets = self.secrets(Some(token));
        Envelope {
            rt_cd: e.rt_cd,
            msg_cd: scrub(&e.msg_cd, &secrets, QUOTED_CHARS),
            msg1: scrub(&e.msg1, &secrets, QUOTED_CHARS),
        }
    }
}

/// A decode error whose quoted value and reason are scrubbed (both may hold server text).
fn scrubbed_decode_error(e: &DecodeError, secrets: &[&str]) -> DecodeError {
    DecodeError {
        tr_id: e.tr_id.clone(),
        field: scrub(&e.field, secrets, QUOTED_CHARS),
        raw: e.raw.as_deref().map(|r| scrub(r, secrets, QUOTED_CHARS)),
        reason: scrub(&e.reason, secrets, QUOTED_CHARS),
    }
}
