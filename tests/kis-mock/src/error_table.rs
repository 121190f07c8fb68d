//! KIS's answers to the situations the mock recognises, read from the catalog's error table
//! (`common.yaml` `errors[].answers`, keyed by `when`): the code, HTTP status, `rt_cd`, exact
//! `msg1` and shape all come from there, none is written here.

use std::io;

use kis_catalog::model::Common;

use crate::values::push_json_str;

/// The situations the mock answers, by their `when` name in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    TokenExpired,
    TokenInvalid,
    RevokeTokenInvalid,
    RateLimited,
    TokenIssueTooSoon,
    AppKeyInvalid,
    AuthAppKeyInvalid,
    AppSecretInvalid,
    AuthAppSecretInvalid,
    AuthMethodNotAllowed,
    AuthBodyNotJson,
    AuthGrantTypeInvalid,
    DemoTrOnReal,
    RealOnlyInDemo,
    PagingDataChanged,
    ServerError,
    InputMissing,
    InputInvalid,
    BodyNotJson,
    BodyTooLarge,
    UnknownPath,
    MethodNotAllowed,
    UnknownTrId,
    OrderNotFound,
    OrderNotOpen,
    OrderAccepted,
    DemoBuyAccepted,
    DemoSellAccepted,
    QuoteAnswered,
    QueryAnswered,
    DemoQueryAnswered,
    WsBodyNotJson,
    WsApprovalInvalid,
    WsKeyInUse,
    WsTrIdInvalid,
    WsAlreadySubscribed,
    WsMaxSubscriptions,
    WsSubscribed,
    WsUnsubscribed,
    WsNotSubscribed,
    WsTrTypeInvalid,
}

impl When {
    const ALL: [When; 41] = [
        When::TokenExpired,
        When::TokenInvalid,
        When::RevokeTokenInvalid,
        When::RateLimited,
        When::TokenIssueTooSoon,
        When::AppKeyInvalid,
        When::AuthAppKeyInvalid,
        When::AppSecretInvalid,
        When::AuthAppSecretInvalid,
        When::AuthMethodNotAllowed,
        When::AuthBodyNotJson,
        When::AuthGrantTypeInvalid,
        When::DemoTrOnReal,
        When::RealOnlyInDemo,
        When::PagingDataChanged,
        When::ServerError,
        When::InputMissing,
        When::InputInvalid,
        When::BodyNotJson,
        When::BodyTooLarge,
        When::UnknownPath,
        When::MethodNotAllowed,
        When::UnknownTrId,
        When::OrderNotFound,
        When::OrderNotOpen,
        When::OrderAccepted,
        When::DemoBuyAccepted,
        When::DemoSellAccepted,
        When::QuoteAnswered,
        When::QueryAnswered,
        When::DemoQueryAnswered,
        When::WsBodyNotJson,
        When::WsApprovalInvalid,
        When::WsKeyInUse,
        When::WsTrIdInvalid,
        When::WsAlreadySubscribed,
        When::WsMaxSubscriptions,
        When::WsSubscribed,
        When::WsUnsubscribed,
        When::WsNotSubscribed,
        When::WsTrTypeInvalid,
    ];

    /// The catalog's name of the situation.
    pub(crate) fn name(self) -> &'static str {
        match self {
            When::TokenExpired => "token_expired",
            When::TokenInvalid => "token_invalid",
            When::RevokeTokenInvalid => "revoke_token_invalid",
            When::RateLimited => "rate_limited",
            When::TokenIssueTooSoon => "token_issue_too_soon",
            When::AppKeyInvalid => "app_key_invalid",
            When::AuthAppKeyInvalid => "auth_app_key_invalid",
            When::AppSecretInvalid => "app_secret_invalid",
            When::AuthAppSecretInvalid => "auth_app_secret_invalid",
            When::AuthMethodNotAllowed => "auth_method_not_allowed",
            When::AuthBodyNotJson => "auth_body_not_json",
            When::AuthGrantTypeInvalid => "auth_grant_type_invalid",
            When::DemoTrOnReal => "demo_tr_on_real",
            When::RealOnlyInDemo => "real_only_in_demo",
            When::PagingDataChanged => "paging_data_changed",
            When::ServerError => "server_error",
            When::InputMissing => "input_missing",
            When::InputInvalid => "input_invalid",
            When::BodyNotJson => "body_not_json",
            When::BodyTooLarge => "body_too_large",
            When::UnknownPath => "unknown_path",
            When::MethodNotAllowed => "method_not_allowed",
            When::UnknownTrId => "unknown_tr_id",
            When::OrderNotFound => "order_not_found",
            When::OrderNotOpen => "order_not_open",
            When::OrderAccepted => "order_accepted",
            When::DemoBuyAccepted => "demo_buy_accepted",
            When::DemoSellAccepted => "demo_sell_accepted",
            When::QuoteAnswered => "quote_answered",
            When::QueryAnswered => "query_answered",
            When::DemoQueryAnswered => "demo_query_answered",
            When::WsBodyNotJson => "ws_body_not_json",
            When::WsApprovalInvalid => "ws_approval_invalid",
            When::WsKeyInUse => "ws_key_in_use",
            When::WsTrIdInvalid => "ws_tr_id_invalid",
            When::WsAlreadySubscribed => "ws_already_subscribed",
            When::WsMaxSubscriptions => "ws_max_subscriptions",
            When::WsSubscribed => "ws_subscribed",
            When::WsUnsubscribed => "ws_unsubscribed",
            When::WsNotSubscribed => "ws_not_subscribed",
            When::WsTrTypeInvalid => "ws_tr_type_invalid",
        }
    }
}

/// One answer as KIS sends it.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) code: String,
    pub(crate) http: u16,
    pub(crate) rt_cd: String,
    msg1: String,
    token_shape: bool,
}

impl Answer {
    /// `msg1` with `{detail}` replaced.
    pub(crate) fn msg1(&self, detail: &str) -> String {
        self.msg1.replace("{detail}", detail)
    }

    /// The body: the `rt_cd`/`msg_cd`/`msg1` envelope, or the token endpoints'
    /// `error_description`/`error_code`.
    pub(crate) fn body(&self, detail: &str) -> String {
        let msg1 = self.msg1(detail);
        let mut s = String::with_capacity(64 + msg1.len());
        if self.token_shape {
            s.push_str("{\"error_description\":");
            push_json_str(&mut s, &msg1);
            s.push_str(",\"error_code\":");
            push_json_str(&mut s, &self.code);
        } else {
            s.push_str("{\"rt_cd\":");
            push_json_str(&mut s, &self.rt_cd);
            s.push_str(",\"msg_cd\":");
            push_json_str(&mut s, &self.code);
            s.push_str(",\"msg1\":");
            push_json_str(&mut s, &msg1);
        }
        s.push('}');
        s
    }
}

/// Every situation's answer, indexed by [`When`].
#[derive(Debug)]
pub(crate) struct Answers(Vec<Answer>);

impl Answers {
    /// Reads every situation from the catalog; a situation the table lacks is an error naming it.
    pub(crate) fn from_catalog(common: &Common) -> io::Result<Answers> {
        let mut out = Vec::with_capacity(When::ALL.len());
        let mut missing = Vec::new();
        for w in When::ALL {
            match common.answer(w.name()) {
                Some((code, a)) => out.push(Answer {
                    code: code.code.clone(),
                    // WebSocket-only answers have no status; REST ones answered without one
                    // are gateway errors
                    http: a.http_status.unwrap_or(500),
                    rt_cd: a.rt_cd.clone(),
                    msg1: a.msg1.clone(),
                    token_shape: a.token_shape,
                }),
                None => missing.push(w.name()),
            }
        }
        if !missing.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the catalog's error table (common.yaml errors[].answers) lacks the situation(s) {}",
                    missing.join(", ")
                ),
            ));
        }
        Ok(Answers(out))
    }

    /// The answer to a situation.
    pub(crate) fn get(&self, when: When) -> &Answer {
        // built from When::ALL in order, so the position is the index
        let i = When::ALL.iter().position(|w| *w == when).unwrap_or(0);
        &self.0[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_situation_is_in_the_embedded_catalog_with_its_shape() {
        let catalog = kis_catalog::embedded::catalog().unwrap_or_else(|d| panic!("{d}"));
        let answers = Answers::from_catalog(&catalog.common).unwrap_or_else(|e| panic!("{e}"));
        let invalid = answers.get(When::InputInvalid);
        assert_eq!((invalid.http, invalid.rt_cd.as_str()), (500, "2"));
        assert_eq!(
            invalid.body("FID_INPUT_ISCD"),
            r#"{"rt_cd":"2","msg_cd":"OPSQ2001","msg1":"ERROR INVALID FID_INPUT_ISCD"}"#
        );
        let soon = answers.get(When::TokenIssueTooSoon);
        assert_eq!(soon.http, 403);
        assert!(soon.body("").starts_with("{\"error_description\":"));
        assert!(soon.body("").ends_with("\"error_code\":\"EGW00133\"}"));
        assert_eq!(
            answers.get(When::QueryAnswered).msg1("").chars().count(),
            80
        );
        // names are unique, so no two situations read the same entry by mistake
        let mut names: Vec<&str> = When::ALL.iter().map(|w| w.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), When::ALL.len());
    }

    #[test]
    fn a_table_without_a_situation_is_refused_by_name() {
        let mut catalog = kis_catalog::embedded::catalog().unwrap_or_else(|d| panic!("{d}"));
        for e in &mut catalog.common.errors {
            e.answers.retain(|a| a.when != "order_not_found");
        }
        let err = Answers::from_catalog(&catalog.common)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("order_not_found"), "{err}");
    }
}
