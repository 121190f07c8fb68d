//! The lowest layer: sending one REST request and reading its answer. It knows the app key, the
//! token and the rate budget of the key, and nothing of clients, calls or pagination.
//!
//! One request's lifecycle ([`Transport::send`], in `send.rs`) is a sequence of named steps:
//! hashkey, token, budget permit, send, read the capped body, decode, then [`classify`] the
//! outcome — retry, refresh the token, fail, or report an order's outcome as unknown.

pub(crate) mod classify;
pub(crate) mod request;
pub(crate) mod retry;
mod send;

use std::sync::Arc;

use crate::config::{Account, Credentials, CustomerType, Secret};
use crate::error::AuthError;
use crate::key_state::KeyState;
use crate::recording::Recorder;

pub use request::Continuation;
pub(crate) use request::{PageRequest, Prepared, tr_id_for};
pub use retry::RetryPolicy;

/// Sends requests for one client: its HTTP connection pool, credentials and retry policy, and the
/// token and rate budget of its app key.
pub(crate) struct Transport {
    http: reqwest::Client,
    rest_url: String,
    credentials: Credentials,
    customer_type: CustomerType,
    retry: RetryPolicy,
    max_response_bytes: usize,
    key: Arc<KeyState>,
    /// Account numbers of the client: never quoted from a server's text.
    account_numbers: Vec<String>,
    /// Where exchanges are recorded, when asked for ([`crate::ClientBuilder::record`]).
    recorder: Option<Arc<Recorder>>,
}

/// What [`Transport::new`] takes.
pub(crate) struct TransportConfig {
    pub(crate) http: reqwest::Client,
    pub(crate) rest_url: String,
    pub(crate) credentials: Credentials,
    pub(crate) customer_type: CustomerType,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) key: Arc<KeyState>,
    pub(crate) recorder: Option<Arc<Recorder>>,
}

impl Transport {
    pub(crate) fn new<'a>(
        c: TransportConfig,
        accounts: impl IntoIterator<Item = &'a Account>,
    ) -> Transport {
        Transport {
            http: c.http,
            rest_url: c.rest_url,
            credentials: c.credentials,
            customer_type: c.customer_type,
            retry: c.retry,
            max_response_bytes: c.max_response_bytes,
            key: c.key,
            recorder: c.recorder,
            account_numbers: accounts
                .into_iter()
                .map(|a| a.number().to_string())
                .collect(),
        }
    }

    /// The REST base URL.
    pub(crate) fn rest_url(&self) -> &str {
        &self.rest_url
    }

    /// The recorder of this client's exchanges, when recording.
    pub(crate) fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_deref()
    }

    /// The app key and secret.
    pub(crate) fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Personal or corporate customer (`custtype`).
    #[cfg_attr(not(feature = "realtime"), allow(dead_code))]
    pub(crate) fn customer_type(&self) -> CustomerType {
        self.customer_type
    }

    /// Whether `other` uses the same app-key state (token, budget, approval key) as this one.
    #[cfg(test)]
    pub(crate) fn shares_key_state_with(&self, other: &Transport) -> bool {
        Arc::ptr_eq(&self.key, &other.key)
    }

    /// A valid access token, issued or refreshed if needed.
    pub(crate) async fn access_token(&self) -> Result<Secret, AuthError> {
        Ok(self.key.tokens.get().await?.access)
    }

    /// The WebSocket approval key, issued on first use and then reused.
    pub(crate) async fn approval_key(&self) -> Result<Secret, AuthError> {
        self.key
            .approval
            .get(&self.http, &self.rest_url, &self.credentials)
            .await
    }

    /// Forgets an approval key KIS refused, so the next one is issued anew.
    #[cfg_attr(not(feature = "realtime"), allow(dead_code))]
    pub(crate) async fn forget_approval_key(&self, key: &Secret) {
        self.key.approval.invalidate(key).await;
    }

    /// The hashkey of a JSON order body.
    pub(crate) async fn hashkey(&self, body: &[u8]) -> Result<String, AuthError> {
        crate::tokens::hashkey(&self.http, &self.rest_url, &self.credentials, body).await
    }

    /// Revokes the current token and forgets it here.
    pub(crate) async fn revoke_token(&self) -> Result<Secret, AuthError> {
        let token = self.key.tokens.get().await?.access;
        crate::tokens::revoke(&self.http, &self.rest_url, &self.credentials, &token).await?;
        self.key.tokens.invalidate(&token).await;
        Ok(token)
    }

    /// Everything a server's text must never show for this client: app key and secret, the
    /// token in use and the account numbers. Server texts are scrubbed of these (and of anything
    /// credential-shaped) before they enter an error or a log line.
    pub(crate) fn secrets<'a>(&'a self, token: Option<&'a Secret>) -> Vec<&'a str> {
        let mut s = vec![
            self.credentials.app_key.expose(),
            self.credentials.app_secret.expose(),
        ];
        s.extend(token.map(Secret::expose));
        s.extend(self.account_numbers.iter().map(String::as_str));
        s
    }
}
