//! The server: listeners and lifecycle.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Environment, MockConfig};
use crate::control::MockControl;
use crate::state::Shared;

/// A running mock server. Dropping it without [`MockServer::shutdown`] stops the listeners
/// too (the tasks end with the runtime or when the handle is dropped).
#[derive(Debug)]
pub struct MockServer {
    rest_addr: SocketAddr,
    ws_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl MockServer {
    /// Loads the catalog, binds 127.0.0.1 on the configured ports (0 = any free port) and
    /// serves REST and WebSocket in the current tokio runtime.
    pub async fn start(config: MockConfig) -> io::Result<MockServer> {
        let plans = crate::endpoint_plan::load_plans(config.catalog_dir.as_deref())?;
        let ws_cap = config
            .ws_subscription_cap
            .unwrap_or(plans.catalog.common.limits.websocket_subscriptions)
            as usize;
        let recorder = match &config.record {
            Some(p) => Some(crate::record::Recorder::create(p)?),
            None => None,
        };
        let replay = match &config.replay {
            Some(p) => Some(crate::replay::Replay::load(p)?),
            None => None,
        };
        let rest_listener = TcpListener::bind(("127.0.0.1", config.rest_port)).await?;
        let ws_listener = TcpListener::bind(("127.0.0.1", config.ws_port)).await?;
        let rest_addr = rest_listener.local_addr()?;
        let ws_addr = ws_listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, plans, ws_cap, recorder, replay));
        let (stop, stop_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(crate::rest::serve(
                rest_listener,
                shared.clone(),
                stop_rx.clone(),
            )),
            tokio::spawn(crate::ws::serve(ws_listener, shared.clone(), stop_rx)),
        ];
        Ok(MockServer {
            rest_addr,
            ws_addr,
            shared,
            stop,
            tasks,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    /// The REST listener's address.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_addr
    }

    /// The WebSocket listener's address.
    pub fn ws_addr(&self) -> SocketAddr {
        self.ws_addr
    }

    /// A handle on the server's state.
    pub fn control(&self) -> MockControl {
        MockControl {
            shared: self.shared.clone(),
        }
    }

    /// The emulated environment.
    pub fn environment(&self) -> Environment {
        self.shared.config.environment
    }

    /// The loaded catalog.
    pub fn catalog(&self) -> &kis_catalog::Catalog {
        &self.shared.plans.catalog
    }

    /// Stops accepting, lets in-flight requests finish (up to five seconds), closes every
    /// WebSocket session and waits for the tasks.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        self.shared.ws.drop_all();
        for t in self.tasks.drain(..) {
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}
