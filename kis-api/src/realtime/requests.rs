//! The requests a session sends (subscribe, unsubscribe), built into KIS's JSON, and what KIS's
//! answers to them mean.

use std::sync::Arc;

use super::control::Reply;
use crate::meta::ErrorAction;
use crate::realtime_error::RealtimeError;

/// A subscribe (`tr_type` 1) or an unsubscribe (`tr_type` 2) request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Subscribe,
    Unsubscribe,
}

/// What a control reply says about the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Done (or already so).
    Accepted,
    /// The approval key expired or was revoked.
    ApprovalRefused,
    /// The server still holds the approval key for another connection.
    KeyInUse,
    /// Refused for another reason (e.g. `OPSP0008`, too many subscriptions).
    Refused,
}

/// Classifies a control reply by the catalog's action for its `msg_cd` (`errors` in
/// `spec/common.yaml`), and its `rt_cd`.
pub(super) fn reply_outcome(msg_cd: &str, rt_cd: &str, op: Op) -> Outcome {
    match (crate::CATALOG.action(msg_cd), op) {
        // subscribed, or already subscribed
        (Some(ErrorAction::Subscribed), _) => Outcome::Accepted,
        // unsubscribed, or nothing to unsubscribe: either way the subscription is gone
        (Some(ErrorAction::Unsubscribed), Op::Unsubscribe) => Outcome::Accepted,
        _ if rt_cd.trim() == "0" => Outcome::Accepted,
        (Some(ErrorAction::RefreshApprovalKey), _) => Outcome::ApprovalRefused,
        (Some(ErrorAction::KeyInUse), _) => Outcome::KeyInUse,
        _ => Outcome::Refused,
    }
}

/// A message for the session task to send. Built into JSON there: it needs the approval key.
pub(super) struct Request {
    pub(super) op: Op,
    pub(super) tr_id: &'static str,
    pub(super) key: Arc<str>,
}

/// What a reply leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ReplyEffect {
    /// The reply settled the request it answered.
    Settled,
    /// No request waits for this reply (a late answer after a timeout, or a message KIS sent
    /// on its own); nothing changed.
    Unmatched {
        /// The reply's TR ID.
        tr_id: String,
        /// The reply's message code.
        msg_cd: String,
    },
    /// The connection must be replaced (the reason is for logs and `Closed` errors).
    Reconnect(String),
    /// The approval key was refused: the session task renews it, then reconnects.
    RenewApproval(String),
}

/// A subscribe (`tr_type` 1) or unsubscribe (2) request as KIS reads it.
pub(super) fn encode(r: &Request, approval_key: &str, custtype: &str) -> Result<String, String> {
    #[derive(serde::Serialize)]
    struct Req<'a> {
        header: ReqHeader<'a>,
        body: ReqBody<'a>,
    }
    #[derive(serde::Serialize)]
    struct ReqHeader<'a> {
        approval_key: &'a str,
        custtype: &'a str,
        tr_type: &'a str,
        #[serde(rename = "content-type")]
        content_type: &'a str,
    }
    #[derive(serde::Serialize)]
    struct ReqBody<'a> {
        input: ReqInput<'a>,
    }
    #[derive(serde::Serialize)]
    struct ReqInput<'a> {
        tr_id: &'a str,
        tr_key: &'a str,
    }
    let req = Req {
        header: ReqHeader {
            approval_key,
            custtype,
            tr_type: match r.op {
                Op::Subscribe => "1",
                Op::Unsubscribe => "2",
            },
            content_type: "utf-8",
        },
        body: ReqBody {
            input: ReqInput {
                tr_id: r.tr_id,
                tr_key: &r.key,
            },
        },
    };
    serde_json::to_string(&req).map_err(|e| e.to_string())
}

/// The error of a refused request (`r`'s texts are scrubbed by now).
pub(super) fn rejected(r: &Reply, tr_id: &str, unsubscribe: bool) -> RealtimeError {
    RealtimeError::Rejected {
        tr_id: tr_id.to_owned(),
        msg_cd: r.msg_cd.clone(),
        msg1: r.msg1.clone(),
        unsubscribe,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_built_as_kis_reads_them() {
        let r = Request {
            op: Op::Unsubscribe,
            tr_id: "H0STCNT0",
            key: Arc::from("005930"),
        };
        let text = encode(&r, "approval", "P").expect("serializable");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["header"]["approval_key"], "approval");
        assert_eq!(v["header"]["custtype"], "P");
        assert_eq!(v["header"]["tr_type"], "2");
        assert_eq!(v["header"]["content-type"], "utf-8");
        assert_eq!(v["body"]["input"]["tr_id"], "H0STCNT0");
        assert_eq!(v["body"]["input"]["tr_key"], "005930");
    }
}
