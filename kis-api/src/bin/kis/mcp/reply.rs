//! What a tool answers: a result as structured JSON naming the environment, or a tool error
//! (`isError`) with a message, KIS's `msg_cd` and a hint. Messages are the command line's,
//! worded for an agent, without control characters.

use kis_api::Env;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use crate::Failure;
use crate::render::clean_lines;
use crate::target::korean;

/// Where calls go: the environment, and whether it is the embedded mock.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// Real or demo.
    pub env: Env,
    /// Whether an embedded mock server answers (nothing leaves the machine).
    pub embedded_mock: bool,
}

impl Place {
    /// The `environment` entry every result carries.
    pub fn json(self) -> Value {
        json!({
            "name": self.env.to_string(),
            "label": korean(self.env),
            "embedded_mock": self.embedded_mock,
        })
    }
}

/// A successful result: `body` (an object) with the environment added.
pub fn success(place: Place, mut body: Value) -> CallToolResult {
    if let Value::Object(o) = &mut body {
        o.insert("environment".into(), place.json());
    }
    CallToolResult::structured(body)
}

/// A tool error: a message for the agent, and the same as structured content with KIS's code
/// and a hint when there are.
pub fn error(
    place: Place,
    message: &str,
    msg_cd: Option<&str>,
    hint: Option<&str>,
) -> CallToolResult {
    let message = clean_lines(message);
    let mut text = message.clone();
    if let Some(h) = hint {
        text.push_str("\nhint: ");
        text.push_str(h);
    }
    text.push_str(&format!(
        "\n(environment: {} {})",
        place.env,
        korean(place.env)
    ));
    let mut result = CallToolResult::structured_error(json!({
        "error": {
            "message": message,
            "msg_cd": msg_cd,
            "hint": hint,
        },
        "environment": place.json(),
    }));
    result.content = vec![ContentBlock::text(text)];
    result
}

/// The tool error of a failure: usage errors name the allowed values; client errors carry
/// KIS's `msg_cd` and the catalog's meaning of it.
pub fn failure(place: Place, f: &Failure) -> CallToolResult {
    match f {
        Failure::Api(kis_api::Error::Api {
            endpoint, msg_cd, ..
        }) => {
            let hint = crate::catalog::find(endpoint)
                .ok()
                .and_then(|m| m.catalog.error(msg_cd))
                .map(|e| e.meaning.to_string());
            let hint = hint.or_else(|| fallback_hint(msg_cd).map(str::to_string));
            error(
                place,
                &for_agents(&f.to_string()),
                Some(msg_cd.trim()),
                hint.as_deref(),
            )
        }
        Failure::Api(kis_api::Error::NotInDemo { .. }) => error(
            place,
            &f.to_string(),
            None,
            Some(
                "the demo environment (모의투자) does not serve this endpoint; kis_describe says which do",
            ),
        ),
        Failure::Usage(m) => error(place, &for_agents(m), None, usage_hint(m)),
        other => error(place, &for_agents(&other.to_string()), None, None),
    }
}

/// A hint for codes the catalog's table does not describe.
fn fallback_hint(msg_cd: &str) -> Option<&'static str> {
    match msg_cd.trim() {
        "" => None,
        _ => Some("KIS refused the request; check the inputs with kis_describe"),
    }
}

/// What to do after a usage error, when something can be said.
fn usage_hint(message: &str) -> Option<&'static str> {
    let about_inputs = [
        "is not one of",
        "missing required input",
        "has no input",
        "cannot be sent",
        "variant",
        "is given twice",
    ];
    if message.contains("unknown endpoint") {
        Some("kis_search finds endpoints by name, id, TR ID or group")
    } else if about_inputs.iter().any(|n| message.contains(n)) {
        Some("kis_describe lists the endpoint's inputs and their allowed values")
    } else {
        None
    }
}

/// The command line's wording, for a tool caller: flags become the tools' fields, commands the
/// tools, and `--force` (which the tools never use) is not offered.
pub fn for_agents(message: &str) -> String {
    message
        .replace("\n(--force sends it anyway)", "")
        .replace("choose one with --variant", "choose one with `variant`")
        .replace("`kis describe ", "`kis_describe ")
        .replace("; call it with `kis call ", "; call it with kis_call `")
        .replace(
            "so `kis watch` does not print them",
            "so kis_watch does not return them",
        )
        .replace(
            "`kis list` shows every endpoint",
            "kis_search finds endpoints",
        )
        .replace("(see `kis list`)", "(kis_search finds them)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_tool_errors_that_name_the_environment() {
        let place = Place {
            env: Env::Demo,
            embedded_mock: true,
        };
        let r = error(
            place,
            "bad\u{1b}[2J input",
            Some("EGW00123"),
            Some("do this"),
        );
        assert_eq!(r.is_error, Some(true));
        let s = r.structured_content.unwrap();
        assert_eq!(s["error"]["msg_cd"], "EGW00123");
        assert_eq!(s["environment"]["name"], "demo");
        assert!(!s["error"]["message"].as_str().unwrap().contains('\u{1b}'));
        let ok = success(place, json!({"a": 1}));
        assert_eq!(ok.is_error, Some(false));
        assert_eq!(
            ok.structured_content.unwrap()["environment"]["label"],
            "모의투자"
        );
    }

    #[test]
    fn command_line_wording_is_rewritten_for_tools() {
        let m = for_agents(
            "X has 2 TR ID variants: choose one with --variant: buy\n(--force sends it anyway)",
        );
        assert_eq!(m, "X has 2 TR ID variants: choose one with `variant`: buy");
    }
}
