//! Reading a request: the body limit (413 for an oversized body), percent-decoding and the
//! inputs as sent, from the query string or the JSON body.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};

use super::{Resp, header, respond_auth};
use crate::error_table::When;
use crate::state::Shared;

/// Largest request body kept; a longer one is answered 413.
const MAX_BODY: usize = 1 << 20;
/// How much of an oversized body is read and thrown away so the client, still sending, gets to
/// read the 413 (closing on unread data resets the connection and loses the answer).
const DRAIN_LIMIT: usize = 256 << 20;
/// How long draining an oversized body may take.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The request body, or `None` when it is longer than [`MAX_BODY`]: then at most `MAX_BODY`
/// bytes were kept and the rest read and dropped (up to [`DRAIN_LIMIT`] and [`DRAIN_TIME`]).
pub(super) async fn read_body(body: Incoming) -> Result<Option<Bytes>, ()> {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    let mut body = Limited::new(body, DRAIN_LIMIT);
    let drained = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(|_| ())?.into_data() else {
                continue;
            };
            seen = seen.saturating_add(data.len());
            if seen <= MAX_BODY {
                kept.extend_from_slice(&data);
            }
        }
        Ok::<(), ()>(())
    })
    .await;
    match drained {
        Ok(Ok(())) if seen <= MAX_BODY => Ok(Some(Bytes::from(kept))),
        // over the limit: answered 413, whether all of it could be drained or not
        _ if seen > MAX_BODY => Ok(None),
        _ => Err(()),
    }
}

/// A body over [`MAX_BODY`]: HTTP 413 with KIS's input-error envelope.
pub(super) fn too_large(shared: &Shared, parts: &hyper::http::request::Parts) -> Resp {
    let a = shared.plans.answers.get(When::BodyTooLarge);
    let mut r = respond_auth(a.http, a.body(&MAX_BODY.to_string()));
    // after a body that was not drained to its end the connection cannot carry another request
    r.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    let tr_id = header(&parts.headers, "tr_id");
    if let Ok(v) = HeaderValue::from_str(tr_id) {
        r.headers_mut().insert(HeaderName::from_static("tr_id"), v);
    }
    r
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hv = |c: u8| (c as char).to_digit(16);
                match (hv(b[i + 1]), hv(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request's inputs as (key as sent, value) pairs; KIS matches keys case-insensitively.
pub(super) fn raw_inputs(
    method: &hyper::Method,
    query: Option<&str>,
    body: &[u8],
) -> Result<Vec<(String, String)>, ()> {
    let mut out = Vec::new();
    if method == hyper::Method::GET {
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            out.push((percent_decode(k), percent_decode(v)));
        }
        return Ok(out);
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(out);
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| ())?;
    let serde_json::Value::Object(map) = v else {
        return Err(());
    };
    for (k, v) in map {
        let s = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        out.push((k, s));
    }
    Ok(out)
}

pub(super) fn json_map(body: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice::<serde_json::Value>(body).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

pub(super) fn jstr<'m>(m: &'m serde_json::Map<String, serde_json::Value>, key: &str) -> &'m str {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
        .map(str::trim)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%ZZ%4"), "%ZZ%4");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%e2%82%ac"), "€");
        let r = raw_inputs(&hyper::Method::GET, Some("fid_input_iscd=005930&X&=1"), b"")
            .unwrap_or_default();
        assert_eq!(r[0], ("fid_input_iscd".to_string(), "005930".to_string()));
        assert_eq!(r[1], ("X".to_string(), String::new()));
        assert!(raw_inputs(&hyper::Method::POST, None, b"[1]").is_err());
        assert!(raw_inputs(&hyper::Method::POST, None, b"{\"a\":1}").is_ok());
    }
}
