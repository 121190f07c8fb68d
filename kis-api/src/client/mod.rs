//! The client: its settings, its transport, and the typed and dynamic calls built on them.

mod builder;

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

pub use builder::ClientBuilder;
#[cfg(feature = "realtime")]
pub(crate) use builder::base_url;

use crate::config::{Account, Secret};
use crate::environment::{AnyEnv, Env, Environment};
use crate::error::Result;
use crate::http::Transport;
use crate::meta::{AccountKind, EndpointMeta};
use crate::params::Fills;
use crate::tokens::TokenCache;

/// A client's settings and its transport. Its fields are the client's own: other layers use the
/// methods below.
pub(crate) struct Inner {
    env: Env,
    accounts: HashMap<AccountKind, Account>,
    hts_id: Option<String>,
    websocket_url: String,
    page_limit: usize,
    hashkey: bool,
    strict: bool,
    token_cache: TokenCache,
    transport: Transport,
}

impl Inner {
    /// The environment.
    pub(crate) fn env(&self) -> Env {
        self.env
    }

    /// The sending layer: credentials, token, budget, retries.
    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The WebSocket base URL.
    #[cfg_attr(not(feature = "realtime"), allow(dead_code))]
    pub(crate) fn websocket_url(&self) -> &str {
        &self.websocket_url
    }

    /// The HTS id (the key of execution notices).
    #[cfg_attr(not(feature = "realtime"), allow(dead_code))]
    pub(crate) fn hts_id(&self) -> Option<&str> {
        self.hts_id.as_deref()
    }

    /// Most pages a pagination fetches.
    pub(crate) fn page_limit(&self) -> usize {
        self.page_limit
    }

    /// Whether orders carry a hashkey by default.
    pub(crate) fn hashkey(&self) -> bool {
        self.hashkey
    }

    /// Whether what the catalog does not describe fails a call.
    pub(crate) fn strict(&self) -> bool {
        self.strict
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
}

/// An async KIS client. Cheap to clone; clones share the connection pool, the token, the rate
/// limiter and the approval key (so do clients built separately with the same app key).
///
/// `E` is the environment: [`Real`], [`Demo`] or [`AnyEnv`] (chosen at run time). A
/// `Client<Demo>` has no methods for endpoints the demo environment does not serve.
pub struct Client<E: Environment = AnyEnv> {
    pub(crate) inner: Arc<Inner>,
    _env: PhantomData<E>,
}

impl<E: Environment> Clone for Client<E> {
    fn clone(&self) -> Self {
        Client {
            inner: Arc::clone(&self.inner),
            _env: PhantomData,
        }
    }
}

impl<E: Environment> fmt::Debug for Client<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("env", &self.inner.env)
            .field("rest_url", &self.inner.transport.rest_url())
            .field("credentials", self.inner.transport.credentials())
            .field("accounts", &self.inner.accounts)
            .finish_non_exhaustive()
    }
}

impl Client<AnyEnv> {
    /// A builder; pick the environment with [`ClientBuilder::real`], [`ClientBuilder::demo`] or
    /// [`ClientBuilder::environment`].
    pub fn builder() -> ClientBuilder<AnyEnv> {
        ClientBuilder::new()
    }
}

impl<E: Environment> Client<E> {
    /// The environment this client talks to.
    pub fn env(&self) -> Env {
        self.inner.env
    }

    /// The REST base URL.
    pub fn rest_url(&self) -> &str {
        self.inner.transport.rest_url()
    }

    /// The WebSocket base URL.
    pub fn websocket_url(&self) -> &str {
        &self.inner.websocket_url
    }

    /// The configured HTS id (the subscription key of execution notices).
    pub fn hts_id(&self) -> Option<&str> {
        self.inner.hts_id.as_deref()
    }

    /// The configured account of `kind`.
    pub fn account(&self, kind: AccountKind) -> Option<&Account> {
        self.inner.accounts.get(&kind)
    }

    /// What the recording of this client ([`ClientBuilder::record`]) has written so far, or
    /// `None` when it does not record.
    pub fn recording(&self) -> Option<crate::recording::RecordingStatus> {
        self.inner.transport.recorder().map(|r| r.status())
    }

    /// A valid access token, issued or refreshed if needed (the client does this itself before
    /// each call).
    pub async fn access_token(&self) -> Result<Secret> {
        Ok(self.inner.transport.access_token().await?)
    }

    /// The WebSocket approval key, issued on first use and then reused.
    pub async fn approval_key(&self) -> Result<Secret> {
        Ok(self.inner.transport.approval_key().await?)
    }

    /// The hashkey of a JSON order body (`POST /uapi/hashkey`). Calls with
    /// [`Call::hashkey`] send it automatically.
    pub async fn hashkey(&self, body: &[u8]) -> Result<String> {
        Ok(self.inner.transport.hashkey(body).await?)
    }

    /// Revokes the current access token (`POST /oauth2/revokeP`) and forgets it, here and in the
    /// token cache. The next call issues a new one (at most one per minute).
    pub async fn revoke_token(&self) -> Result<()> {
        let i = &self.inner;
        i.transport.revoke_token().await?;
        crate::tokens::forget_cached(&i.token_cache, i.env, i.transport.credentials());
        Ok(())
    }
}
