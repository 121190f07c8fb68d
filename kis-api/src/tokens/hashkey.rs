//! The hashkey of an order body, and token revocation.

use serde::{Deserialize, Serialize};

use super::auth_call::{QUOTED_CHARS, auth_url, json_body, post_auth};
use crate::config::{Credentials, Secret};
use crate::error::AuthError;
use crate::scrub::scrub;

/// Computes the hashkey of an order body (`POST /uapi/hashkey`).
pub(crate) async fn hashkey(
    http: &reqwest::Client,
    rest_url: &str,
    credentials: &Credentials,
    body: &[u8],
) -> Result<String, AuthError> {
    #[derive(Deserialize)]
    struct Resp {
        #[serde(rename = "HASH")]
        hash: Option<String>,
    }
    let url = auth_url(rest_url, &crate::auth::hashkey::META);
    let headers = [
        ("appkey", credentials.app_key.expose()),
        ("appsecret", credentials.app_secret.expose()),
    ];
    let secrets = credentials.secrets();
    let (r, _, _) =
        post_auth::<Resp>(http, url, "hashkey", &headers, body.to_vec(), &secrets).await?;
    r.hash.filter(|h| !h.is_empty()).ok_or_else(|| AuthError {
        what: "hashkey",
        code: None,
        message: "the response has no HASH".into(),
    })
}

/// Revokes a token (`POST /oauth2/revokeP`).
pub(crate) async fn revoke(
    http: &reqwest::Client,
    rest_url: &str,
    credentials: &Credentials,
    token: &Secret,
) -> Result<(), AuthError> {
    #[derive(Serialize)]
    struct Req<'a> {
        appkey: &'a str,
        appsecret: &'a str,
        token: &'a str,
    }
    #[derive(Deserialize)]
    struct Resp {
        // KIS sends the code as an integer (200), sometimes as a string
        code: Option<serde_json::Value>,
        message: Option<String>,
    }
    let url = auth_url(rest_url, &crate::auth::revoke_token::META);
    let body = json_body(&Req {
        appkey: credentials.app_key.expose(),
        appsecret: credentials.app_secret.expose(),
        token: token.expose(),
    });
    let secrets = [
        credentials.app_key.expose(),
        credentials.app_secret.expose(),
        token.expose(),
    ];
    let (r, _, _) = post_auth::<Resp>(http, url, "token revoke", &[], body, &secrets).await?;
    let ok = match &r.code {
        Some(serde_json::Value::Number(n)) => n.as_i64() == Some(200),
        Some(serde_json::Value::String(s)) => s.trim() == "200",
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AuthError {
            what: "token revoke",
            code: None,
            message: r
                .message
                .map(|m| scrub(&m, &secrets, QUOTED_CHARS))
                .unwrap_or_else(|| "unexpected answer".into()),
        })
    }
}
