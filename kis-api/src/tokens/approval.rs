//! The WebSocket approval key: issued on first use, then reused until KIS refuses it.

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::auth_call::{auth_url, json_body, post_auth, token_endpoint_error};
use crate::config::{Credentials, Secret};
use crate::error::AuthError;

/// Obtains and reuses the WebSocket approval key.
#[derive(Debug)]
pub(crate) struct ApprovalKeys {
    key: Mutex<Option<Secret>>,
}

impl ApprovalKeys {
    pub(crate) fn new() -> Self {
        ApprovalKeys {
            key: Mutex::new(None),
        }
    }

    /// The approval key, issued on first use.
    pub(crate) async fn get(
        &self,
        http: &reqwest::Client,
        rest_url: &str,
        credentials: &Credentials,
    ) -> Result<Secret, AuthError> {
        let mut k = self.key.lock().await;
        if let Some(key) = k.as_ref() {
            return Ok(key.clone());
        }
        let key = issue_approval_key(http, rest_url, credentials).await?;
        *k = Some(key.clone());
        Ok(key)
    }

    /// Forgets `key` (KIS refused it: expired or revoked) so the next [`Self::get`] issues a
    /// new one; a key issued meanwhile by someone else is kept.
    #[cfg_attr(not(feature = "realtime"), allow(dead_code))]
    pub(crate) async fn invalidate(&self, key: &Secret) {
        let mut k = self.key.lock().await;
        if k.as_ref() == Some(key) {
            *k = None;
        }
    }
}

async fn issue_approval_key(
    http: &reqwest::Client,
    rest_url: &str,
    credentials: &Credentials,
) -> Result<Secret, AuthError> {
    #[derive(Serialize)]
    struct Req<'a> {
        grant_type: &'a str,
        appkey: &'a str,
        // KIS names the app secret `secretkey` here
        secretkey: &'a str,
    }
    #[derive(Deserialize)]
    struct Resp {
        approval_key: Option<String>,
    }
    let url = auth_url(rest_url, &crate::auth::auth_ws_token::META);
    let body = json_body(&Req {
        grant_type: "client_credentials",
        appkey: credentials.app_key.expose(),
        secretkey: credentials.app_secret.expose(),
    });
    let secrets = credentials.secrets();
    let (r, status, bytes) =
        post_auth::<Resp>(http, url, "approval key", &[], body, &secrets).await?;
    r.approval_key
        .filter(|k| !k.is_empty())
        .map(Secret::new)
        .ok_or_else(|| token_endpoint_error("approval key", status, &bytes, &secrets))
}
