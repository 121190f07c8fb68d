//! What to do after one attempt: the one table that maps every outcome of sending a request —
//! KIS's answer, a transport failure, a timeout, an unreadable body — to retry, refresh the token,
//! fail, or report an order's outcome as unknown. Pure: no I/O, tested row by row.
//!
//! The rule that shapes it: a state-changing call (an order) is never sent twice. Once its request
//! may have reached KIS, anything short of KIS's readable answer means the order may or may not
//! exist, and the caller must inquire before trying again.

use std::time::Duration;

use crate::meta::ErrorAction;

/// What one attempt came to, reduced to what decides the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The connection could not be opened: the request never left this machine.
    NotConnected,
    /// No response head: the time limit passed (`timeout`) or the connection broke, after the
    /// request may have left.
    NoResponse {
        /// Whether the time limit ended the wait.
        timeout: bool,
    },
    /// The response head arrived but its body was lost.
    BodyLost,
    /// The body is larger than the client's cap.
    TooLarge,
    /// KIS answered with an error envelope (`rt_cd` not `0`); `action` is its code's action in
    /// the catalog's table, `None` for a code the table does not know.
    KisError {
        /// The catalog's action for `msg_cd`.
        action: Option<ErrorAction>,
        /// The HTTP status it came with.
        status: u16,
    },
    /// An answer with a success status that cannot be read: not UTF-8, not JSON, or not the
    /// catalog's shape (KIS's success included).
    Unreadable,
    /// An HTTP error status without a KIS envelope.
    HttpError {
        /// The HTTP status.
        status: u16,
    },
}

/// Where the call stands when an outcome is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attempt {
    /// Whether the call changes state (an order): never resent once it may have reached KIS.
    pub(crate) mutates: bool,
    /// 1-based number of this attempt.
    pub(crate) number: u32,
    /// Attempts allowed by the retry policy.
    pub(crate) max: u32,
    /// Whether the token was already replaced once for this call.
    pub(crate) refreshed: bool,
}

impl Attempt {
    fn may_retry(&self) -> bool {
        self.number < self.max
    }
}

/// The next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send again after the retry policy's delay, and at least `at_least`. `announce`: say so at
    /// `warn` (a passing fault), or only at `debug` (an expected wait such as a rate limit).
    Retry {
        /// The shortest wait.
        at_least: Duration,
        /// Whether the retry is announced at `warn`.
        announce: bool,
    },
    /// The gateway refused the token: replace it and send the query again.
    RefreshToken,
    /// Give up with what KIS or the transport said; `invalidate_token` when KIS refused the token
    /// (the next call must not use it).
    Fail {
        /// Whether to forget the token.
        invalidate_token: bool,
    },
    /// Give up: the per-second limit held after the allowed retries, or the call was an order.
    RateLimited,
    /// Give up: an order may have reached KIS and its fate is unknown.
    OutcomeUnknown,
}

const FAIL: Step = Step::Fail {
    invalidate_token: false,
};

/// The table. Each arm is one row; the tests below hold one test per row.
pub(crate) fn classify(outcome: Outcome, a: Attempt) -> Step {
    use ErrorAction as Act;
    use Outcome::*;
    let retry = |at_least: Duration, announce: bool| Step::Retry { at_least, announce };
    match outcome {
        // 1, 2: nothing left this machine, so even an order may be sent again
        NotConnected if a.may_retry() => retry(Duration::ZERO, true),
        NotConnected => FAIL,
        // 3: the order may have been placed
        NoResponse { .. } | BodyLost | TooLarge | Unreadable if a.mutates => Step::OutcomeUnknown,
        // 4, 5: a query is sent again while attempts remain
        NoResponse { .. } | BodyLost if a.may_retry() => retry(Duration::ZERO, true),
        NoResponse { .. } | BodyLost => FAIL,
        // 6: a body too large or unreadable will be the same next time
        TooLarge | Unreadable => FAIL,
        // 7, 8, 9: HTTP errors without KIS's envelope; a gateway's 5xx is passing
        HttpError { status } if status >= 500 && a.mutates => Step::OutcomeUnknown,
        HttpError { status } if status >= 500 && a.may_retry() => retry(Duration::ZERO, true),
        HttpError { .. } => FAIL,
        // 10, 11: KIS refused the token
        KisError {
            action: Some(Act::RefreshToken),
            ..
        } if !a.mutates && !a.refreshed => Step::RefreshToken,
        KisError {
            action: Some(Act::RefreshToken),
            ..
        } => Step::Fail {
            invalidate_token: true,
        },
        // 12, 13: the per-second limit: a query waits and tries again, an order is never resent
        KisError {
            action: Some(Act::RateLimited),
            ..
        } if !a.mutates && a.may_retry() => retry(Duration::from_millis(100), false),
        KisError {
            action: Some(Act::RateLimited),
            ..
        } => Step::RateLimited,
        // 14: a code the catalog marks transient
        KisError {
            action: Some(act), ..
        } if act.is_transient() && !a.mutates && a.may_retry() => retry(Duration::ZERO, true),
        // 15: a code the table does not know, with a gateway's 5xx: a passing condition
        KisError {
            action: None,
            status,
        } if status >= 500 && !a.mutates && a.may_retry() => retry(Duration::ZERO, true),
        // 16: anything else KIS said is its final answer
        KisError { .. } => FAIL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorAction as Act;
    use Outcome::*;

    const QUERY: Attempt = Attempt {
        mutates: false,
        number: 1,
        max: 3,
        refreshed: false,
    };
    const LAST_QUERY: Attempt = Attempt { number: 3, ..QUERY };
    const ORDER: Attempt = Attempt {
        mutates: true,
        ..QUERY
    };
    const LAST_ORDER: Attempt = Attempt { number: 3, ..ORDER };
    const RETRY: Step = Step::Retry {
        at_least: Duration::ZERO,
        announce: true,
    };

    fn kis(action: Option<ErrorAction>, status: u16) -> Outcome {
        KisError { action, status }
    }

    #[test]
    fn row_1_not_connected_is_retried_even_for_an_order() {
        assert_eq!(classify(NotConnected, QUERY), RETRY);
        assert_eq!(classify(NotConnected, ORDER), RETRY);
    }

    #[test]
    fn row_2_not_connected_fails_when_attempts_are_spent() {
        assert_eq!(classify(NotConnected, LAST_QUERY), FAIL);
        assert_eq!(classify(NotConnected, LAST_ORDER), FAIL);
    }

    #[test]
    fn row_3_an_order_without_a_readable_answer_has_an_unknown_outcome() {
        for o in [
            NoResponse { timeout: true },
            NoResponse { timeout: false },
            BodyLost,
            TooLarge,
            Unreadable,
        ] {
            assert_eq!(classify(o, ORDER), Step::OutcomeUnknown, "{o:?}");
            assert_eq!(classify(o, LAST_ORDER), Step::OutcomeUnknown, "{o:?}");
        }
    }

    #[test]
    fn row_4_a_query_without_a_response_is_retried_and_announced() {
        for o in [
            NoResponse { timeout: true },
            NoResponse { timeout: false },
            BodyLost,
        ] {
            assert_eq!(classify(o, QUERY), RETRY, "{o:?}");
        }
    }

    #[test]
    fn row_5_a_query_without_a_response_fails_when_attempts_are_spent() {
        for o in [NoResponse { timeout: true }, BodyLost] {
            assert_eq!(classify(o, LAST_QUERY), FAIL, "{o:?}");
        }
    }

    #[test]
    fn row_6_a_query_too_large_or_unreadable_fails_at_once() {
        assert_eq!(classify(TooLarge, QUERY), FAIL);
        assert_eq!(classify(Unreadable, QUERY), FAIL);
    }

    #[test]
    fn row_7_an_order_answered_5xx_without_kis_has_an_unknown_outcome() {
        assert_eq!(
            classify(HttpError { status: 502 }, ORDER),
            Step::OutcomeUnknown
        );
    }

    #[test]
    fn row_8_a_query_answered_5xx_without_kis_is_retried() {
        assert_eq!(classify(HttpError { status: 503 }, QUERY), RETRY);
    }

    #[test]
    fn row_9_other_http_errors_fail() {
        assert_eq!(classify(HttpError { status: 503 }, LAST_QUERY), FAIL);
        assert_eq!(classify(HttpError { status: 404 }, QUERY), FAIL);
        assert_eq!(classify(HttpError { status: 404 }, ORDER), FAIL);
    }

    #[test]
    fn row_10_a_refused_token_is_replaced_once_for_a_query() {
        assert_eq!(
            classify(kis(Some(Act::RefreshToken), 500), QUERY),
            Step::RefreshToken
        );
    }

    #[test]
    fn row_11_a_refused_token_fails_an_order_or_a_second_time() {
        let forget = Step::Fail {
            invalidate_token: true,
        };
        assert_eq!(classify(kis(Some(Act::RefreshToken), 500), ORDER), forget);
        let again = Attempt {
            refreshed: true,
            ..QUERY
        };
        assert_eq!(classify(kis(Some(Act::RefreshToken), 500), again), forget);
    }

    #[test]
    fn row_12_a_rate_limited_query_waits_and_retries_quietly() {
        assert_eq!(
            classify(kis(Some(Act::RateLimited), 500), QUERY),
            Step::Retry {
                at_least: Duration::from_millis(100),
                announce: false
            }
        );
    }

    #[test]
    fn row_13_rate_limited_gives_up_for_an_order_and_at_the_last_attempt() {
        assert_eq!(
            classify(kis(Some(Act::RateLimited), 500), ORDER),
            Step::RateLimited
        );
        assert_eq!(
            classify(kis(Some(Act::RateLimited), 500), LAST_QUERY),
            Step::RateLimited
        );
    }

    #[test]
    fn row_14_a_transient_code_retries_a_query_whatever_the_status() {
        assert_eq!(classify(kis(Some(Act::RetryQuery), 200), QUERY), RETRY);
        assert_eq!(classify(kis(Some(Act::RetryQuery), 200), ORDER), FAIL);
        assert_eq!(classify(kis(Some(Act::RetryQuery), 200), LAST_QUERY), FAIL);
    }

    #[test]
    fn row_15_an_unknown_code_with_a_5xx_is_a_passing_condition_for_a_query() {
        assert_eq!(classify(kis(None, 502), QUERY), RETRY);
        assert_eq!(classify(kis(None, 502), ORDER), FAIL);
    }

    #[test]
    fn row_16_every_other_kis_answer_is_final() {
        for act in [
            Act::Fail,
            Act::Configuration,
            Act::NotInDemo,
            Act::RestartPagination,
            Act::Success,
        ] {
            assert_eq!(classify(kis(Some(act), 500), QUERY), FAIL, "{act}");
        }
        assert_eq!(classify(kis(None, 200), QUERY), FAIL);
    }
}
