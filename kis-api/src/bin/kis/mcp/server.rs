//! The MCP server: what it exposes (groups, typed endpoint tools), its state (the client, the
//! pending confirmations, the order flags), and the handler that lists and dispatches tools.

use std::sync::{Arc, Mutex, MutexGuard};

use kis_api::{DynamicRequest, EndpointMeta};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::confirm::{Allowance, Confirmations};
use super::reply::{self, Place};
use super::schemas::{self, CALL, CONFIRM, DESCRIBE, ORDER, SEARCH, WATCH};
use super::{realtime, tools};
use crate::target::Target;
use crate::{Failure, catalog};

/// An order previewed by `kis_order`, waiting for `kis_confirm`.
pub struct PendingOrder {
    /// The endpoint.
    pub meta: &'static EndpointMeta,
    /// The request, checked, exactly as it will be sent.
    pub request: DynamicRequest,
}

/// What the server holds: one client for every session (one rate budget, one token).
pub struct State {
    /// The client, and the embedded mock when it talks to one.
    pub target: Target,
    /// Groups exposed (`--groups`); empty: every group.
    pub groups: Vec<&'static str>,
    /// What `--allow-orders` / `--allow-real-orders` permit.
    pub allowance: Allowance,
    /// The tools listed, built once.
    pub tools: Vec<Tool>,
    confirmations: Mutex<Confirmations<PendingOrder>>,
}

impl State {
    /// The state of a server over `target`; `expose_endpoints` adds one typed tool per REST
    /// endpoint of the exposed groups.
    pub fn new(
        target: Target,
        groups: Vec<&'static str>,
        allowance: Allowance,
        expose_endpoints: bool,
    ) -> State {
        let mut state = State {
            target,
            groups,
            allowance,
            tools: schemas::general_tools(),
            confirmations: Mutex::new(Confirmations::default()),
        };
        if expose_endpoints {
            let typed: Vec<Tool> = catalog::endpoints()
                .filter(|m| schemas::has_typed_tool(m) && state.exposes(m))
                .map(schemas::endpoint_tool)
                .collect();
            state.tools.extend(typed);
        }
        state
    }

    /// Where calls go.
    pub fn place(&self) -> Place {
        Place {
            env: self.target.env(),
            embedded_mock: self.target.is_embedded_mock(),
        }
    }

    /// What the order flags permit here: an embedded mock is never real money, whatever it
    /// emulates, so `--allow-orders` alone lets it take orders.
    pub fn allowance(&self) -> Allowance {
        let mut a = self.allowance;
        if self.target.is_embedded_mock() {
            a.real_orders = a.orders;
        }
        a
    }

    /// Whether `meta` belongs to an exposed group.
    pub fn exposes(&self, meta: &EndpointMeta) -> bool {
        self.groups.is_empty() || self.groups.contains(&meta.group)
    }

    /// The usage error for an endpoint outside the exposed groups.
    pub fn not_exposed(&self, meta: &EndpointMeta) -> Failure {
        Failure::usage(format!(
            "{} ({}) is in group {}, which this server does not expose (--groups {})",
            meta.id,
            meta.name,
            meta.group,
            self.groups.join(",")
        ))
    }

    /// The endpoint named `query`, if exposed.
    pub fn find(&self, query: &str) -> Result<&'static EndpointMeta, Failure> {
        let meta = catalog::find(query)?;
        if self.exposes(meta) {
            Ok(meta)
        } else {
            Err(self.not_exposed(meta))
        }
    }

    /// The pending confirmations (a poisoned lock is taken over: the table stays consistent
    /// after every statement).
    pub fn lock_confirmations(&self) -> MutexGuard<'_, Confirmations<PendingOrder>> {
        self.confirmations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the tool `name` with `args`.
    pub async fn dispatch(&self, name: &str, args: &rmcp::model::JsonObject) -> CallToolResult {
        let answer = match name {
            SEARCH => tools::search(self, args),
            DESCRIBE => tools::describe(self, args),
            CALL => match self.endpoint_arg(args) {
                Ok(meta) => tools::call(self, meta, args, false).await,
                Err(f) => Err(f),
            },
            ORDER => match self.endpoint_arg(args) {
                Ok(meta) => tools::order(self, meta, args, false),
                Err(f) => Err(f),
            },
            CONFIRM => tools::confirm(self, args).await,
            WATCH => realtime::watch(self, args).await,
            typed => match self.typed_endpoint(typed) {
                Some(meta) if meta.mutates => tools::order(self, meta, args, true),
                Some(meta) => tools::call(self, meta, args, true).await,
                None => Err(Failure::usage(format!(
                    "no tool '{}'; tools/list shows them",
                    crate::lookup::shown(typed)
                ))),
            },
        };
        answer.unwrap_or_else(|f| reply::failure(self.place(), &f))
    }

    fn endpoint_arg(
        &self,
        args: &rmcp::model::JsonObject,
    ) -> Result<&'static EndpointMeta, Failure> {
        self.find(super::args::required_str(args, "endpoint")?)
    }

    /// The endpoint of a typed tool name, when that tool is listed.
    fn typed_endpoint(&self, name: &str) -> Option<&'static EndpointMeta> {
        if !self.tools.iter().any(|t| t.name == name) {
            return None;
        }
        catalog::endpoints().find(|m| schemas::endpoint_tool_name(m) == name)
    }
}

/// The MCP handler: a cheap handle on the shared state (HTTP makes one per session).
#[derive(Clone)]
pub struct KisMcp {
    state: Arc<State>,
}

impl KisMcp {
    /// A handler over `state`.
    pub fn new(state: Arc<State>) -> KisMcp {
        KisMcp { state }
    }
}

/// What the server tells a client at `initialize`.
const INSTRUCTIONS: &str = "The whole KIS (한국투자증권) Open Trading API. Find endpoints with \
kis_search, read their inputs with kis_describe, query with kis_call, take realtime snapshots \
with kis_watch. Orders: kis_order previews (sends nothing) and returns a confirmation id; \
kis_confirm sends it once, only if the server allows orders. Every result names its \
environment (real 실전투자 / demo 모의투자).";

impl ServerHandler for KisMcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder().enable_tools().build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("kis", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.state.tools.clone()))
    }

    // no `get_tool`: the SDK would check arguments against the schemas itself and answer a
    // protocol error, where the tools answer a tool error naming the allowed values
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        Ok(self.state.dispatch(&request.name, &args).await.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kis_api::Env;
    use serde_json::json;

    async fn state(groups: Vec<&'static str>, expose: bool) -> State {
        state_in(Env::Demo, groups, expose).await
    }

    /// A server on an embedded mock emulating `env`.
    async fn state_in(env: Env, groups: Vec<&'static str>, expose: bool) -> State {
        let config = crate::target::mock_config(env);
        let (mock, client) = crate::target::start_mock(config, env)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let target = Target {
            client,
            mock: Some(mock),
        };
        State::new(target, groups, Allowance::default(), expose)
    }

    fn args(v: serde_json::Value) -> rmcp::model::JsonObject {
        v.as_object().cloned().unwrap_or_default()
    }

    fn text(r: &CallToolResult) -> String {
        serde_json::to_string(r).unwrap_or_default()
    }

    #[tokio::test]
    async fn groups_limit_what_is_exposed_and_typed_tools_call_their_endpoint() {
        let s = state(vec!["domestic_stock"], true).await;
        let names: Vec<&str> = s.tools.iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"domestic_stock__inquire_price"));
        assert!(!names.iter().any(|n| n.starts_with("overseas_stock__")));
        assert!(names.len() > 100, "one tool per REST endpoint of the group");

        let quote = s
            .dispatch(
                "domestic_stock__inquire_price",
                &args(json!({"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"})),
            )
            .await;
        assert_eq!(quote.is_error, Some(false), "{}", text(&quote));
        assert!(text(&quote).contains("stck_prpr"));

        // a typed order tool previews, never sends
        let preview = s
            .dispatch(
                "domestic_stock__order_cash",
                &args(
                    json!({"variant": "sell", "PDNO": "005930", "ORD_DVSN": "01",
                             "ORD_QTY": "1", "ORD_UNPR": "0"}),
                ),
            )
            .await;
        assert_eq!(preview.is_error, Some(false), "{}", text(&preview));
        assert!(text(&preview).contains("confirmation"));
        assert!(
            s.target
                .mock
                .as_ref()
                .is_some_and(|m| m.control().orders().is_empty())
        );

        // outside the groups: neither by name nor by typed tool
        let other = s
            .dispatch(
                CALL,
                &args(json!({"endpoint": "overseas_stock.price", "inputs": {}})),
            )
            .await;
        assert_eq!(other.is_error, Some(true));
        assert!(text(&other).contains("does not expose"), "{}", text(&other));
        let typed = s.dispatch("overseas_stock__price", &args(json!({}))).await;
        assert_eq!(typed.is_error, Some(true));
        let found = s
            .dispatch(SEARCH, &args(json!({"query": "해외주식 현재가"})))
            .await;
        assert!(
            !text(&found).contains("overseas_stock."),
            "{}",
            text(&found)
        );
    }

    const ORDER_ARGS: &str = r#"{"endpoint": "domestic_stock.order_cash", "variant": "buy",
        "inputs": {"PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "1", "ORD_UNPR": "70000"}}"#;

    /// A confirmation of the preview `s` gives for an order, and the result of confirming it.
    async fn preview_and_confirm(s: &State) -> (serde_json::Value, CallToolResult) {
        let order: serde_json::Value = serde_json::from_str(ORDER_ARGS).unwrap_or_default();
        let preview = s.dispatch(ORDER, &args(order)).await;
        assert_eq!(preview.is_error, Some(false), "{}", text(&preview));
        let body = preview.structured_content.clone().unwrap_or_default();
        let id = body["confirmation"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let confirmed = s
            .dispatch(CONFIRM, &args(json!({"confirmation": id})))
            .await;
        (body, confirmed)
    }

    #[tokio::test]
    async fn real_money_needs_allow_real_orders_but_the_embedded_mock_does_not() {
        let orders_only = Allowance {
            orders: true,
            real_orders: false,
        };
        // a server that is not the embedded mock, in the real environment
        let (mock, client) = crate::target::start_mock(kis_mock::MockConfig::default(), Env::Real)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let real = State::new(
            Target { client, mock: None },
            Vec::new(),
            orders_only,
            false,
        );
        let (preview, confirmed) = preview_and_confirm(&real).await;
        assert_eq!(preview["can_confirm"], false, "{preview}");
        assert_eq!(preview["environment"]["name"], "real");
        assert_eq!(confirmed.is_error, Some(true));
        assert!(
            text(&confirmed).contains("--allow-real-orders"),
            "{}",
            text(&confirmed)
        );
        assert!(mock.control().orders().is_empty(), "nothing was sent");
        mock.shutdown().await;

        // the embedded mock emulating real: never real money, --allow-orders is enough
        let mut embedded = state_in(Env::Real, Vec::new(), false).await;
        embedded.allowance = orders_only;
        let (preview, confirmed) = preview_and_confirm(&embedded).await;
        assert_eq!(preview["can_confirm"], true, "{preview}");
        assert_eq!(preview["environment"]["embedded_mock"], true);
        assert_eq!(preview["preview"]["tr_id"], "TTTC0012U", "{preview}");
        assert_eq!(confirmed.is_error, Some(false), "{}", text(&confirmed));
        let sent = embedded
            .target
            .mock
            .as_ref()
            .map(|m| m.control().orders().len());
        assert_eq!(sent, Some(1));
    }

    #[tokio::test]
    async fn tool_errors_name_the_allowed_values_and_missing_inputs() {
        let s = state(Vec::new(), false).await;
        assert_eq!(s.tools.len(), 6);
        let missing = s
            .dispatch(
                CALL,
                &args(json!({"endpoint": "domestic_stock.inquire_price"})),
            )
            .await;
        assert_eq!(missing.is_error, Some(true));
        assert!(
            text(&missing).contains("FID_INPUT_ISCD"),
            "{}",
            text(&missing)
        );
        let variant = s
            .dispatch(
                ORDER,
                &args(
                    json!({"endpoint": "domestic_stock.order_cash", "inputs": {"PDNO": "005930"}}),
                ),
            )
            .await;
        assert!(text(&variant).contains("`variant`"), "{}", text(&variant));
        assert!(text(&variant).contains("buy"), "{}", text(&variant));
        let unknown_tool = s.dispatch("kis_nothing", &args(json!({}))).await;
        assert_eq!(unknown_tool.is_error, Some(true));
    }
}
