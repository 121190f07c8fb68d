//! The MCP server: what it exposes (groups, typed endpoint tools), its state (the client, the
//! pending confirmations, the order flags), and the handler that lists and dispatches tools.

use std::sync::{Arc, Mutex, MutexGuard};

use kis_api::{DynamicRequest, EndpointMeta, Env};
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

    /// The environment the order flags are judged for: an embedded mock is never real money,
    /// whatever it emulates, so it needs `--allow-orders` only.
    pub fn flag_env(&self) -> Env {
        if self.target.is_embedded_mock() {
            Env::Demo
        } else {
            self.target.env()
        }
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
