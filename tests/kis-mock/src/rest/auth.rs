//! The auth endpoints: access tokens (issued, revoked, reissue limit), approval keys and the
//! hash key.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::header::HeaderMap;
use sha2::{Digest, Sha256};

use super::request::{json_map, jstr};
use super::{Resp, answer, answer_auth, header, respond_auth};
use crate::endpoint_plan::AuthRole;
use crate::error_table::When;
use crate::state::{Shared, TokenInfo};
use crate::values::kst_now;
use crate::values::{fnv, hex, mix, push_json_str};

pub(super) fn key_ok(shared: &Shared, key: &str) -> bool {
    !key.is_empty() && shared.config.app_key.as_deref().is_none_or(|k| k == key)
}

pub(super) fn secret_ok(shared: &Shared, secret: &str) -> bool {
    !secret.is_empty()
        && shared
            .config
            .app_secret
            .as_deref()
            .is_none_or(|k| k == secret)
}

pub(super) fn auth(
    shared: &Arc<Shared>,
    role: AuthRole,
    method: &hyper::Method,
    h: &HeaderMap,
    body: &[u8],
) -> Resp {
    if method != hyper::Method::POST {
        return answer_auth(shared, When::AuthMethodNotAllowed);
    }
    match role {
        AuthRole::Hashkey => {
            if !key_ok(shared, header(h, "appkey")) {
                return answer(shared, "", When::AppKeyInvalid, "");
            }
            if !secret_ok(shared, header(h, "appsecret")) {
                return answer(shared, "", When::AppSecretInvalid, "");
            }
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
                return answer_auth(shared, When::BodyNotJson);
            };
            shared.lock().stats.hashkeys += 1;
            let hash = hex(&Sha256::digest(body));
            let out = serde_json::json!({ "BODY": v, "HASH": hash });
            respond_auth(200, out.to_string())
        }
        AuthRole::Token | AuthRole::Approval | AuthRole::Revoke => {
            let Some(m) = json_map(body) else {
                return answer_auth(shared, When::AuthBodyNotJson);
            };
            let appkey = jstr(&m, "appkey");
            let secret_field = if role == AuthRole::Approval {
                "secretkey"
            } else {
                "appsecret"
            };
            let secret = jstr(&m, secret_field);
            if role != AuthRole::Revoke && jstr(&m, "grant_type") != "client_credentials" {
                return answer_auth(shared, When::AuthGrantTypeInvalid);
            }
            if !key_ok(shared, appkey) {
                return answer_auth(shared, When::AuthAppKeyInvalid);
            }
            if !secret_ok(shared, secret) {
                return answer_auth(shared, When::AuthAppSecretInvalid);
            }
            match role {
                AuthRole::Token => issue_token(shared, appkey, secret),
                AuthRole::Approval => {
                    let mut st = shared.lock();
                    st.token_counter += 1;
                    let n = st.token_counter;
                    let a = mix(shared.config.seed ^ 0xa9, n);
                    let b = mix(a, n);
                    let s = format!("{a:016x}{b:016x}");
                    let key = format!(
                        "{}-{}-{}-{}-{}",
                        &s[0..8],
                        &s[8..12],
                        &s[12..16],
                        &s[16..20],
                        &s[20..32]
                    );
                    st.approvals.insert(key.clone(), appkey.to_string());
                    st.stats.approvals_issued += 1;
                    drop(st);
                    let mut out = String::from("{\"approval_key\":");
                    push_json_str(&mut out, &key);
                    out.push('}');
                    respond_auth(200, out)
                }
                _ => {
                    let token = jstr(&m, "token");
                    let mut st = shared.lock();
                    let ok = st.tokens.get(token).is_some_and(|t| t.app_key == appkey);
                    if ok {
                        st.tokens.remove(token);
                        drop(st);
                        respond_auth(
                            200,
                            "{\"code\":200,\"message\":\"접근토큰 폐기에 성공하였습니다\"}",
                        )
                    } else {
                        drop(st);
                        answer_auth(shared, When::RevokeTokenInvalid)
                    }
                }
            }
        }
    }
}

fn issue_token(shared: &Arc<Shared>, appkey: &str, secret: &str) -> Resp {
    let now = Instant::now();
    let interval = shared.config.token_issue_interval;
    let mut st = shared.lock();
    if let Some(last) = st.last_issue.get(appkey)
        && now.duration_since(*last) < interval
    {
        st.stats.token_issue_refused += 1;
        drop(st);
        return answer_auth(shared, When::TokenIssueTooSoon);
    }
    st.token_counter += 1;
    let n = st.token_counter;
    let lifetime = shared.config.token_lifetime;
    let now_kst = kst_now();
    let expires_kst = i64::try_from(lifetime.as_secs())
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .and_then(|d| now_kst.checked_add_signed(d))
        .unwrap_or(now_kst);
    let claims = format!(
        "{{\"sub\":\"token\",\"aud\":\"{}\",\"prdt_cd\":\"\",\"iss\":\"kis-mock\",\"exp\":{},\"jti\":{n}}}",
        fnv(appkey.as_bytes()),
        expires_kst.and_utc().timestamp()
    );
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sig = Sha256::digest(format!("{claims}{}{}", shared.config.seed, n).as_bytes());
    let token = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.{}.{}",
        b64.encode(claims.as_bytes()),
        b64.encode(sig)
    );
    st.tokens.insert(
        token.clone(),
        TokenInfo {
            app_key: appkey.to_string(),
            app_secret: secret.to_string(),
            expires: now
                .checked_add(lifetime)
                .unwrap_or(now + Duration::from_secs(86_400 * 365)),
            expired: false,
        },
    );
    st.last_issue.insert(appkey.to_string(), now);
    st.stats.tokens_issued += 1;
    drop(st);
    let mut out = String::from("{\"access_token\":");
    push_json_str(&mut out, &token);
    out.push_str(",\"access_token_token_expired\":");
    push_json_str(
        &mut out,
        &expires_kst.format("%Y-%m-%d %H:%M:%S").to_string(),
    );
    out.push_str(",\"token_type\":\"Bearer\",\"expires_in\":");
    out.push_str(&lifetime.as_secs().to_string());
    out.push('}');
    respond_auth(200, out)
}
