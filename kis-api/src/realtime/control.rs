//! JSON control messages from the server: the `PINGPONG` heartbeat and the answers to
//! subscribe and unsubscribe requests (with the AES key and iv of encrypted TRs).

use std::borrow::Cow;
use std::fmt;

use super::crypto::{CipherKey, CipherKeyError};
use crate::realtime_error::{FrameError, FrameErrorKind};

/// A JSON message from the server.
#[derive(Debug)]
pub(crate) enum Control {
    /// The heartbeat: echo the text back unchanged.
    PingPong,
    /// The answer to a subscribe or unsubscribe request (boxed: it holds an AES key schedule).
    Reply(Box<Reply>),
}

/// A subscribe/unsubscribe answer. `Debug` leaves out the AES key.
pub(crate) struct Reply {
    pub(crate) tr_id: String,
    pub(crate) tr_key: String,
    pub(crate) rt_cd: String,
    pub(crate) msg_cd: String,
    pub(crate) msg1: String,
    /// `None` when the reply has no `output.key`/`output.iv`.
    pub(crate) cipher: Option<Result<CipherKey, CipherKeyError>>,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("tr_id", &self.tr_id)
            .field("rt_cd", &self.rt_cd)
            .field("msg_cd", &self.msg_cd)
            .field("msg1", &self.msg1)
            .field("cipher", &self.cipher.as_ref().map(|c| c.is_ok()))
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct MsgIn<'a> {
    #[serde(borrow, default)]
    header: Option<HeaderIn<'a>>,
    #[serde(borrow, default)]
    body: Option<BodyIn<'a>>,
}

#[derive(serde::Deserialize)]
struct HeaderIn<'a> {
    #[serde(borrow, default)]
    tr_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tr_key: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct BodyIn<'a> {
    #[serde(borrow, default)]
    rt_cd: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    msg_cd: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    msg1: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    output: Option<OutputIn<'a>>,
}

#[derive(serde::Deserialize)]
struct OutputIn<'a> {
    #[serde(borrow, default)]
    key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    iv: Option<Cow<'a, str>>,
}

/// Reads a JSON control message. The error never quotes the message (it may carry keys).
pub(crate) fn parse_control(text: &str) -> Result<Control, FrameError> {
    let bad = || FrameError::new(FrameErrorKind::BadControl, None, "");
    let m: MsgIn<'_> = serde_json::from_str(text).map_err(|_| bad())?;
    let header = m.header.ok_or_else(bad)?;
    let tr_id = header.tr_id.unwrap_or_default();
    if tr_id.trim() == "PINGPONG" {
        return Ok(Control::PingPong);
    }
    let Some(body) = m.body else {
        return Err(FrameError {
            kind: FrameErrorKind::BadControl,
            tr_id: Some(tr_id.into_owned()),
            excerpt: String::new(),
        });
    };
    let cipher = body.output.and_then(|o| match (o.key, o.iv) {
        (Some(k), Some(iv)) if !k.is_empty() && !iv.is_empty() => {
            Some(CipherKey::from_reply(&k, &iv))
        }
        _ => None,
    });
    let s = |c: Option<Cow<'_, str>>| c.map(Cow::into_owned).unwrap_or_default();
    Ok(Control::Reply(Box::new(Reply {
        tr_id: tr_id.trim().to_owned(),
        tr_key: header.tr_key.as_deref().unwrap_or("").trim().to_owned(),
        rt_cd: s(body.rt_cd),
        msg_cd: s(body.msg_cd),
        msg1: s(body.msg1),
        cipher,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::crypto::tests::{IV, KEY};

    #[test]
    fn control_messages() {
        let ping = r#"{"header":{"tr_id":"PINGPONG","datetime":"20240102093000"}}"#;
        assert!(matches!(parse_control(ping), Ok(Control::PingPong)));
        let reply = format!(
            r#"{{"header":{{"tr_id":"H0STCNI0","tr_key":"suiteuser","encrypt":"Y"}},"body":{{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"SUBSCRIBE SUCCESS","output":{{"iv":"{IV}","key":"{KEY}"}}}}}}"#
        );
        let Ok(Control::Reply(r)) = parse_control(&reply) else {
            panic!("a reply")
        };
        assert_eq!(
            (r.tr_id.as_str(), r.tr_key.as_str(), r.msg_cd.as_str()),
            ("H0STCNI0", "suiteuser", "OPSP0000")
        );
        assert!(matches!(r.cipher, Some(Ok(_))));
        let dbg = format!("{r:?}");
        assert!(!dbg.contains(KEY) && !dbg.contains(IV), "{dbg}");
        // a reply with a key of the wrong size keeps the error for the session to report
        let short = r#"{"header":{"tr_id":"H0STCNI0"},"body":{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"","output":{"iv":"x","key":"y"}}}"#;
        let Ok(Control::Reply(r)) = parse_control(short) else {
            panic!("a reply")
        };
        assert!(matches!(r.cipher, Some(Err(_))));
        for bad in [
            "{",
            "{}",
            "[1,2]",
            r#"{"header":{"tr_id":"H0STCNT0"}}"#,
            r#"{"header":{"tr_id":5}}"#,
        ] {
            let e = parse_control(bad).expect_err(bad);
            assert_eq!(e.kind, FrameErrorKind::BadControl);
            assert!(e.excerpt.is_empty());
        }
    }
}
