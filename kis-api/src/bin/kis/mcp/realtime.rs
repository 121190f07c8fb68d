//! `kis_watch {tr, key, count, seconds}`: a bounded realtime snapshot. One session, one
//! subscription, at most `count` records within `seconds` (both clamped), then unsubscribed and
//! closed; records typed by the catalog's columns, as `kis watch --json` writes them.

use std::time::Duration;

use futures_util::StreamExt;
use kis_api::meta::FieldMeta;
use kis_api::realtime::RealtimeError;
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::{Value, json};

use super::args;
use super::reply;
use super::schemas::{MAX_RECORDS, MAX_SECONDS};
use super::server::State;
use crate::Failure;
use crate::render::clean;

/// `kis_watch`.
pub async fn watch(state: &State, a: &JsonObject) -> Result<CallToolResult, Failure> {
    let meta = crate::watch::realtime_meta(args::required_str(a, "tr")?)?;
    if !state.exposes(meta) {
        return Err(state.not_exposed(meta));
    }
    let key = args::required_str(a, "key")?.trim();
    crate::lookup::check_name("subscription key", key)?;
    let count = args::clamped(a, "count", 5, MAX_RECORDS)? as usize;
    let seconds = args::clamped(a, "seconds", 10, MAX_SECONDS)?;
    // the deadline counts from here: a server that never confirms cannot hold the tool call
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let time_up = |what: &str| {
        Failure::Runtime(format!(
            "{seconds} s ran out before {what}; try again, or give more seconds (at most {MAX_SECONDS})"
        ))
    };
    let session = tokio::time::timeout_at(deadline, state.target.client.realtime())
        .await
        .map_err(|_| time_up("the realtime session started"))??;
    let sub = match tokio::time::timeout_at(deadline, session.subscribe_raw(meta, key)).await {
        Ok(Ok(sub)) => sub,
        Ok(Err(e)) => {
            session.close().await;
            return Err(e.into());
        }
        Err(_) => {
            session.close().await;
            return Err(time_up("KIS confirmed the subscription"));
        }
    };
    let tr_id = sub.tr_id().to_string();
    let columns: Vec<&'static FieldMeta> = meta.columns.iter().collect();
    let mut records: Vec<Value> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut frames = sub;
    let ended = loop {
        if records.len() >= count {
            break None;
        }
        let frame = match tokio::time::timeout_at(deadline, frames.next()).await {
            Err(_) => break None,
            Ok(None) => break Some("the realtime session ended".to_string()),
            Ok(Some(Err(RealtimeError::Closed { reason }))) => {
                break Some(format!(
                    "the realtime session closed{}",
                    reason
                        .map(|r| format!(": {}", clean(&r)))
                        .unwrap_or_default()
                ));
            }
            Ok(Some(Err(e))) => {
                warnings.push(clean(&e.to_string()));
                continue;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        for rec in frame.records() {
            if records.len() >= count {
                break;
            }
            match rec {
                Ok(rec) => {
                    let values: Vec<&str> = rec.fields().take(columns.len()).collect();
                    let node = crate::export::record(&columns, |w| {
                        let at = columns.iter().position(|c| c.wire == w)?;
                        values.get(at).map(|v| v.trim().to_string())
                    });
                    records.push(serde_json::to_value(&node).unwrap_or(Value::Null));
                }
                Err(e) => warnings.push(format!("a record was skipped: {}", clean(&e.to_string()))),
            }
        }
    };
    drop(frames);
    session.close().await;
    if let (Some(why), true) = (ended, records.is_empty()) {
        return Err(Failure::Runtime(why));
    }
    let mut body = json!({
        "tr": meta.id,
        "name": meta.name,
        "tr_id": tr_id,
        "key": clean(key),
        "count": records.len(),
        "complete": records.len() >= count,
        "records": records,
    });
    if args::flag(a, "labels") {
        let labels: serde_json::Map<String, Value> = columns
            .iter()
            .map(|c| (c.wire.to_string(), json!(c.label)))
            .collect();
        body["labels"] = Value::Object(labels);
    }
    if !warnings.is_empty() {
        warnings.truncate(10);
        body["warnings"] = json!(warnings);
    }
    Ok(reply::success(state.place(), body))
}
