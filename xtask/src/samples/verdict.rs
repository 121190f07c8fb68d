//! What an example's run means: passed, or failed with the line that says why.

/// How one example ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Exit code 0 and no error report in its output.
    Pass,
    /// Anything else, with the most telling line.
    Fail(String),
}

/// Lines the examples (and Python) print when a call went wrong: their logger's `ERROR - ...`,
/// `kis_auth`'s `Error Code : ...` / `Error in response: ...`, a traceback, or a message in
/// Korean with 에러/오류.
fn is_error_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("ERROR")
        || t.starts_with("Error Code")
        || t.starts_with("Error in response")
        || t.starts_with("Traceback")
        || t.contains("에러")
        || t.contains("Get Authentification token fail")
}

/// The verdict for an example that exited with `code` (`None`: killed after the timeout)
/// having printed `output` (stdout and stderr together).
pub(crate) fn judge(code: Option<i32>, output: &str) -> Verdict {
    let lines: Vec<&str> = output.lines().collect();
    let first_error = lines.iter().position(|l| is_error_line(l));
    let reason = |i: usize| -> String {
        // a traceback's cause is its last line
        if lines[i].trim_start().starts_with("Traceback") {
            return lines[i..]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
                .unwrap_or_default();
        }
        lines[i].trim().to_string()
    };
    match (code, first_error) {
        (None, _) => Verdict::Fail("timed out".to_string()),
        (Some(0), None) => Verdict::Pass,
        (Some(_), Some(i)) => Verdict::Fail(cut(&reason(i))),
        (Some(c), None) => {
            let last = lines.iter().rev().find(|l| !l.trim().is_empty());
            Verdict::Fail(cut(&format!(
                "exit code {c}{}",
                last.map(|l| format!(": {}", l.trim())).unwrap_or_default()
            )))
        }
    }
}

/// At most 200 characters of a reason.
fn cut(s: &str) -> String {
    if s.chars().count() <= 200 {
        return s.to_string();
    }
    let mut c: String = s.chars().take(200).collect();
    c.push_str("...");
    c
}

/// Whether an example is a WebSocket one (skipped: this command checks REST): its directory's
/// Python talks to the realtime server.
pub(crate) fn is_websocket(sources: &[String]) -> bool {
    sources
        .iter()
        .any(|s| s.contains("KISWebSocket") || s.contains("subscribe"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_exit_without_error_lines_passes() {
        assert_eq!(
            judge(Some(0), "INFO - 조회 결과\n   a  b\n0  1  2\n"),
            Verdict::Pass
        );
    }

    #[test]
    fn an_error_line_fails_even_with_exit_code_zero() {
        let out =
            "INFO - start\nError Code : 500 | {\"rt_cd\":\"2\",\"msg_cd\":\"OPSQ2001\"}\nmore";
        assert_eq!(
            judge(Some(0), out),
            Verdict::Fail("Error Code : 500 | {\"rt_cd\":\"2\",\"msg_cd\":\"OPSQ2001\"}".into())
        );
        assert!(
            matches!(judge(Some(0), "ERROR - 에러 발생: x"), Verdict::Fail(r) if r.contains("x"))
        );
    }

    #[test]
    fn a_traceback_is_reported_by_its_last_line() {
        let out = "Traceback (most recent call last):\n  File \"a.py\"\nAttributeError: 'body' object has no attribute 'output'\n\n";
        assert_eq!(
            judge(Some(1), out),
            Verdict::Fail("AttributeError: 'body' object has no attribute 'output'".into())
        );
    }

    #[test]
    fn a_bad_exit_code_or_timeout_fails() {
        assert_eq!(judge(None, ""), Verdict::Fail("timed out".into()));
        assert_eq!(
            judge(Some(2), "usage\nlast words\n"),
            Verdict::Fail("exit code 2: last words".into())
        );
        let long = "ERROR ".repeat(100);
        assert!(matches!(judge(Some(0), &long), Verdict::Fail(r) if r.chars().count() == 203));
    }

    #[test]
    fn websocket_examples_are_recognised() {
        assert!(is_websocket(&["ka.KISWebSocket(api_url=...)".into()]));
        assert!(!is_websocket(&["ka._url_fetch(api_url, tr_id)".into()]));
    }
}
