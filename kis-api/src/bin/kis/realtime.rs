//! A minimal realtime (WebSocket) client for `kis watch` and the tour: KIS's subscribe messages,
//! `PINGPONG` echo and plain `flag|tr_id|count|payload` frames.
//!
//! This file stands in for `kis_api::realtime` (being built on another branch) and is the only
//! place the CLI touches WebSockets. Once that lands, [`Feed`] maps onto it: `Feed::connect` →
//! `client.realtime().await?`, `subscribe`/`unsubscribe` → the session's methods, `next` → its
//! untyped stream of frames; [`records`] → the library's record splitting. Encrypted frames
//! (execution notices) are reported as such and not decrypted here.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kis_api::{Client, Environment, Error, Result, Secret};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A data frame: `flag|tr_id|count|payload`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The TR ID of the records.
    pub tr_id: String,
    /// Whether the payload is encrypted (flag `1`).
    pub encrypted: bool,
    /// How many records the payload holds.
    pub count: usize,
    /// `^`-separated columns of `count` records, back to back.
    pub payload: String,
}

/// A JSON control reply to a subscribe or unsubscribe message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// TR ID it answers.
    pub tr_id: String,
    /// Key it answers.
    pub tr_key: String,
    /// `rt_cd` is `0`.
    pub ok: bool,
    /// `OPSP0000` subscribed, `OPSP0001` unsubscribed, ...
    pub msg_cd: String,
    /// Message.
    pub msg1: String,
}

/// What the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Realtime records.
    Data(Frame),
    /// A control reply.
    Reply(Reply),
}

/// One WebSocket session.
pub struct Feed {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    approval: Secret,
}

fn ws_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Realtime(format!("{what}: {e}"))
}

impl Feed {
    /// Obtains the approval key (REST `/oauth2/Approval`) and connects to the client's
    /// WebSocket host on the samples' path `/tryitout/<tr_id>`.
    pub async fn connect<E: Environment>(client: &Client<E>, tr_id: &str) -> Result<Feed> {
        let approval = client.approval_key().await?;
        let url = format!("{}/tryitout/{tr_id}", client.websocket_url());
        let connecting = tokio_tungstenite::connect_async(url.as_str());
        let (ws, _) = tokio::time::timeout(Duration::from_secs(10), connecting)
            .await
            .map_err(|_| ws_error("connect", format!("{url}: timed out")))?
            .map_err(|e| ws_error("connect", format!("{url}: {e}")))?;
        Ok(Feed { ws, approval })
    }

    fn message(&self, tr_type: &str, tr_id: &str, key: &str) -> String {
        serde_json::json!({
            "header": {
                "approval_key": self.approval.expose(),
                "custtype": "P",
                "tr_type": tr_type,
                "content-type": "utf-8",
            },
            "body": {"input": {"tr_id": tr_id, "tr_key": key}},
        })
        .to_string()
    }

    /// Subscribes to `tr_id` for `key`; the reply arrives as an [`Event::Reply`].
    pub async fn subscribe(&mut self, tr_id: &str, key: &str) -> Result<()> {
        let m = self.message("1", tr_id, key);
        self.ws
            .send(Message::text(m))
            .await
            .map_err(|e| ws_error("subscribe", e))
    }

    /// Unsubscribes.
    pub async fn unsubscribe(&mut self, tr_id: &str, key: &str) -> Result<()> {
        let m = self.message("2", tr_id, key);
        self.ws
            .send(Message::text(m))
            .await
            .map_err(|e| ws_error("unsubscribe", e))
    }

    /// The next frame or reply; answers `PINGPONG` on the way. `None` when the server closed.
    pub async fn next(&mut self) -> Option<Result<Event>> {
        loop {
            let msg = match self.ws.next().await? {
                Ok(m) => m,
                Err(e) => return Some(Err(ws_error("receive", e))),
            };
            let text = match msg {
                Message::Text(t) => t.as_str().to_string(),
                Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                Message::Close(_) => return None,
                _ => continue,
            };
            if let Some(frame) = parse_frame(&text) {
                return Some(Ok(Event::Data(frame)));
            }
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                return Some(Err(ws_error(
                    "receive",
                    "a message that is neither a frame nor JSON",
                )));
            };
            let s = |p: &str| {
                v.pointer(p)
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            if s("/header/tr_id") == "PINGPONG" {
                if let Err(e) = self.ws.send(Message::text(text)).await {
                    return Some(Err(ws_error("PINGPONG", e)));
                }
                continue;
            }
            return Some(Ok(Event::Reply(Reply {
                tr_id: s("/header/tr_id"),
                tr_key: s("/header/tr_key"),
                ok: s("/body/rt_cd") == "0",
                msg_cd: s("/body/msg_cd"),
                msg1: s("/body/msg1"),
            })));
        }
    }

    /// Closes the session.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// `flag|tr_id|count|payload`, or `None` for anything else (JSON).
pub fn parse_frame(text: &str) -> Option<Frame> {
    let mut parts = text.splitn(4, '|');
    let flag = parts.next()?;
    let tr_id = parts.next()?;
    let count = parts.next()?;
    let payload = parts.next()?;
    let encrypted = match flag {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let count = count.trim().parse().ok()?;
    Some(Frame {
        tr_id: tr_id.to_string(),
        encrypted,
        count,
        payload: payload.to_string(),
    })
}

/// The records of a plain payload, each the first `columns` fields of its share of the payload
/// (extra trailing fields, which KIS appends over time, are dropped). Fails when the payload does
/// not split into `count` records of at least `columns` fields.
pub fn records(
    payload: &str,
    count: usize,
    columns: usize,
) -> std::result::Result<Vec<Vec<&str>>, String> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let fields: Vec<&str> = payload.split('^').collect();
    if !fields.len().is_multiple_of(count) {
        return Err(format!(
            "{} fields do not split into {count} records",
            fields.len()
        ));
    }
    let width = fields.len() / count;
    if width < columns {
        return Err(format!(
            "records have {width} fields, the catalog lists {columns}"
        ));
    }
    Ok(fields
        .chunks(width)
        .map(|r| r[..columns].to_vec())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_records() {
        let f = parse_frame("0|H0STCNT0|002|A^1^x^B^2^y").unwrap_or_else(|| panic!("a frame"));
        assert_eq!(f.tr_id, "H0STCNT0");
        assert_eq!(f.count, 2);
        assert!(!f.encrypted);
        let r = records(&f.payload, f.count, 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r, vec![vec!["A", "1"], vec!["B", "2"]]);
        assert!(records(&f.payload, 4, 2).is_err());
        assert!(records(&f.payload, 2, 4).is_err());
        assert!(parse_frame("{\"header\":{}}").is_none());
        assert!(parse_frame("9|X|001|a").is_none());
        assert!(parse_frame("0|X|abc|a").is_none());
    }
}
