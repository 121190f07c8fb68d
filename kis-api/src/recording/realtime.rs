//! Realtime messages in a recording: what the session sent (subscriptions), the control
//! messages KIS answered, and data frames.
//!
//! A sent message carries the approval key and, for execution notices, the HTS id: both are
//! secrets of the session. A control answer to an encrypted TR carries the AES key and iv: they
//! are hidden too, and so an encrypted frame's payload is not recorded (only its header and
//! size): without the key it is noise, and with it, it would be personal data. A plain frame's
//! columns that the catalog marks as personal are hidden by position.

use serde_json::{Value, json};

use super::{HIDDEN, Recorder, now, redact};
use crate::meta::EndpointMeta;

/// Keys of a control message whose values are secrets: the approval key, and the AES key and
/// iv of an encrypted TR.
const CONTROL_SECRETS: [&str; 6] = [
    "approval_key",
    "appkey",
    "secretkey",
    "appsecret",
    "iv",
    "key",
];

fn control_secret(key: &str) -> bool {
    CONTROL_SECRETS.iter().any(|k| k.eq_ignore_ascii_case(key)) || Recorder::personal(key)
}

/// The realtime TR with this TR ID.
fn realtime_meta(tr_id: &str) -> Option<&'static EndpointMeta> {
    crate::ENDPOINTS
        .iter()
        .copied()
        .find(|m| !m.columns.is_empty() && m.has_tr_id(tr_id))
}

impl Recorder {
    /// Records a message the session sent; `approval` is the session's approval key.
    pub(crate) fn ws_sent(&self, text: &str, approval: &str) {
        let text = redact::hide_personal_values(text, control_secret);
        let line = json!({
            "kind": "ws_sent",
            "at": now(),
            "env": self.env.to_string(),
            "text": self.hidden(&text, &[approval]),
        });
        self.write(&line);
    }

    /// Records a message the server sent: a control message or a data frame.
    pub(crate) fn ws_received(&self, text: &str, approval: &str) {
        let mut line = json!({
            "at": now(),
            "env": self.env.to_string(),
        });
        if text.trim_start().starts_with('{') {
            let text = redact::hide_personal_values(text, control_secret);
            line["kind"] = json!("ws_control");
            line["text"] = Value::String(self.hidden(&text, &[approval]));
        } else {
            line["kind"] = json!("ws_frame");
            let mut parts = text.splitn(4, '|');
            let flag = parts.next().unwrap_or_default();
            let tr_id = parts.next().unwrap_or_default();
            let count = parts.next().unwrap_or_default();
            let payload = parts.next().unwrap_or_default();
            line["tr_id"] = json!(self.hidden(tr_id, &[approval]));
            if flag == "1" {
                line["encrypted"] = json!(true);
                line["payload_bytes"] = json!(payload.len());
                line["text"] = Value::String(format!("{flag}|{tr_id}|{count}|"));
            } else {
                let payload = hide_personal_columns(realtime_meta(tr_id), count, payload);
                let text = format!("{flag}|{tr_id}|{count}|{payload}");
                line["text"] = Value::String(self.hidden(&text, &[approval]));
            }
        }
        self.write(&line);
    }
}

/// `payload` with the columns the catalog marks as personal replaced by `***`, each record taken
/// as `payload`'s columns divided by the frame's record count.
fn hide_personal_columns(meta: Option<&EndpointMeta>, count: &str, payload: &str) -> String {
    let Some(meta) = meta.filter(|m| m.columns.iter().any(|c| c.redacted)) else {
        return payload.to_string();
    };
    let values: Vec<&str> = payload.split('^').collect();
    let records = count
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, values.len().max(1));
    let per_record = (values.len() / records).max(1);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let personal = meta.columns.get(i % per_record).is_some_and(|c| c.redacted);
            if personal && !v.is_empty() { HIDDEN } else { v }
        })
        .collect::<Vec<_>>()
        .join("^")
}
