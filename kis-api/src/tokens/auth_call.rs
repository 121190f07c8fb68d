//! Calls of KIS's auth endpoints, and reading their error answers without quoting a secret.

use serde::{Deserialize, Serialize};

use crate::config::Credentials;
use crate::error::AuthError;
use crate::scrub::scrub;

impl Credentials {
    /// The values an auth error must never quote.
    pub(crate) fn secrets(&self) -> [&str; 2] {
        [self.app_key.expose(), self.app_secret.expose()]
    }
}

/// The most of a body quoted in an auth error, in characters.
pub(crate) const QUOTED_CHARS: usize = 200;

/// The largest answer read from an auth endpoint: theirs are a few hundred bytes.
const AUTH_BODY_LIMIT: usize = 1024 * 1024;

/// Reads an error answer of an auth endpoint: `{"error_code","error_description"}` or the usual
/// `{"rt_cd","msg_cd","msg1"}`. Whatever of the body is quoted is first cleared of `secrets`
/// and anything else credential-shaped (a proxy may echo the request).
pub(crate) fn token_endpoint_error(
    what: &'static str,
    status: u16,
    bytes: &[u8],
    secrets: &[&str],
) -> AuthError {
    #[derive(Deserialize)]
    struct E {
        error_code: Option<String>,
        error_description: Option<String>,
        msg_cd: Option<String>,
        msg1: Option<String>,
    }
    match serde_json::from_slice::<E>(bytes) {
        Ok(e) if e.error_code.is_some() || e.msg_cd.is_some() => AuthError {
            what,
            code: e
                .error_code
                .or(e.msg_cd)
                .map(|c| scrub(&c, secrets, QUOTED_CHARS)),
            message: e
                .error_description
                .or(e.msg1)
                .map(|m| scrub(m.trim(), secrets, QUOTED_CHARS))
                .unwrap_or_else(|| format!("HTTP {status}")),
        },
        _ => AuthError {
            what,
            code: None,
            message: format!(
                "HTTP {status}: {}",
                scrub(&String::from_utf8_lossy(bytes), secrets, QUOTED_CHARS)
            ),
        },
    }
}

/// POSTs `body` as JSON to an auth endpoint and reads the JSON answer as `T`. Non-2xx answers
/// (either error shape) become an [`AuthError`] about `what`, quoting nothing of `secrets`.
pub(crate) async fn post_auth<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: String,
    what: &'static str,
    headers: &[(&'static str, &str)],
    body: Vec<u8>,
    secrets: &[&str],
) -> Result<(T, u16, Vec<u8>), AuthError> {
    let err = |m: String| AuthError {
        what,
        code: None,
        message: scrub(&m, secrets, QUOTED_CHARS),
    };
    let mut req = http
        .post(url)
        .header("content-type", "application/json; charset=utf-8");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| err(format!("request failed: {e}")))?;
    let status = resp.status().as_u16();
    let bytes = crate::capped_body::read_capped(resp, AUTH_BODY_LIMIT)
        .await
        .map_err(|e| err(format!("response not read: {e}")))?;
    if !(200..300).contains(&status) {
        return Err(token_endpoint_error(what, status, &bytes, secrets));
    }
    let parsed: T =
        serde_json::from_slice(&bytes).map_err(|e| err(format!("response is not JSON: {e}")))?;
    Ok((parsed, status, bytes))
}

pub(crate) fn json_body<T: Serialize>(value: &T) -> Vec<u8> {
    // serialising a struct of strings cannot fail
    serde_json::to_vec(value).unwrap_or_default()
}

/// The URL of an auth endpoint of the catalog (`spec/auth/`) on `rest_url`.
pub(crate) fn auth_url(rest_url: &str, meta: &crate::meta::EndpointMeta) -> String {
    format!("{}{}", rest_url.trim_end_matches('/'), meta.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_endpoint_errors_in_both_shapes() {
        let e = token_endpoint_error(
            "access token",
            403,
            br#"{"error_code":"EGW00133","error_description":"once a minute"}"#,
            &[],
        );
        assert_eq!(e.code.as_deref(), Some("EGW00133"));
        let e = token_endpoint_error(
            "access token",
            500,
            br#"{"rt_cd":"1","msg_cd":"EGW00103","msg1":"bad key  "}"#,
            &[],
        );
        assert_eq!(
            (e.code.as_deref(), e.message.as_str()),
            (Some("EGW00103"), "bad key")
        );
        let e = token_endpoint_error("access token", 502, b"<html>", &[]);
        assert!(e.code.is_none() && e.message.contains("502"));
    }
}
