//! `kis_watch {tr, key, count, seconds}`: a bounded realtime snapshot. One session, one
//! subscription, at most `count` records within `seconds` (both clamped), then unsubscribed and
//! closed; records typed by the catalog's columns, as `kis watch --json` writes them.

use std::time::Duration;

use kis_api::meta::FieldMeta;
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::{Value, json};

use super::args;
use super::reply;
use super::schemas::{MAX_RECORDS, MAX_SECONDS};
use super::server::State;
use crate::Failure;
use crate::feed::{Feed, StartError};
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
    let started = Feed::open(
        &state.target.client,
        meta,
        &[key],
        Some(deadline),
        std::future::pending::<()>,
        |_| {},
    )
    .await;
    let mut feed = match started {
        Ok(feed) => feed,
        Err(StartError::TimeUp(what)) => return Err(time_up(&what)),
        // a tool call has no stop signal of its own
        Err(StartError::Stopped) => return Err(time_up("the realtime session started")),
        Err(StartError::Failed(f)) => return Err(f),
    };
    let tr_id = feed.tr_id().to_string();
    let columns: Vec<&'static FieldMeta> = meta.columns.iter().collect();
    let mut records: Vec<Value> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let outcome = feed
        .records(
            Some(count),
            Some(deadline),
            std::future::pending::<()>,
            |_, values| {
                let node = crate::export::record(&columns, |w| {
                    let at = columns.iter().position(|c| c.wire == w)?;
                    values.get(at).map(|v| v.trim().to_string())
                });
                records.push(serde_json::to_value(&node).unwrap_or(Value::Null));
            },
            |warning| warnings.push(warning),
        )
        .await;
    feed.close().await;
    // records before the session ended are still a snapshot
    if let (Err(why), true) = (outcome, records.is_empty()) {
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
