//! `kis-mock`: a local KIS Open API server for tests, driven by the endpoint catalog.
//!
//! It serves every REST endpoint of the catalog (`spec/`, embedded at build time) on its real
//! path and method, with KIS's checks (token, app key, TR ID per environment, required
//! inputs), schema-valid generated data (deterministic for a seed), pagination with `tr_cont`
//! and continuation keys, remembered orders and balances, the auth endpoints, and the realtime
//! WebSocket protocol with `PINGPONG`, multi-record frames and AES-encrypted execution notices.
//! Faults (rate limits, token expiry, paging errors, HTTP 500, delays, dropped connections) are
//! switched per test through [`MockControl`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kis_mock::{Fault, MockConfig, MockServer};
//! let server = MockServer::start(MockConfig::default()).await?;
//! let control = server.control();
//! control.inject(Fault::RateLimit.times(1));
//! println!("{} {}", server.rest_url(), server.ws_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod config;
mod control;
mod endpoint_plan;
mod error_table;
mod fault;
mod header_case;
mod observed;
mod orders;
mod record;
mod replay;
mod rest;
mod server;
mod state;
mod success_body;
mod values;
mod ws;
mod ws_hub;

pub use config::{Environment, MockConfig};
pub use control::{FaultHandle, MockControl};
pub use fault::{Fault, FaultSpec, FaultTarget};
pub use observed::{MockOrder, OrderSide, OrderStatus, RequestRecord, Stats};
pub use server::MockServer;

/// Decrypts an execution-notice payload the way a client does (base64, AES-256-CBC, PKCS#7,
/// key and iv as UTF-8 bytes). For tests of the mock itself and of clients.
pub fn decrypt_notice(key: &str, iv: &str, payload: &str) -> Option<String> {
    use aes::cipher::block_padding::Pkcs7;
    use aes::cipher::{BlockModeDecrypt, KeyIvInit};
    use base64::Engine as _;
    let ct = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .ok()?;
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(key.as_bytes(), iv.as_bytes()).ok()?;
    let pt = dec.decrypt_padded_vec::<Pkcs7>(&ct).ok()?;
    String::from_utf8(pt).ok()
}

/// The catalog embedded at build time, loaded and validated.
pub fn embedded_catalog() -> std::io::Result<kis_catalog::Catalog> {
    endpoint_plan::load_embedded()
}
