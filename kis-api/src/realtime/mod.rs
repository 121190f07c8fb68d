//! The realtime (WebSocket) client: typed subscriptions to every realtime TR of the catalog,
//! decrypted execution notices, and a session that heals itself.
//!
//! ```no_run
//! # async fn run() -> kis_api::Result<()> {
//! use kis_api::{Client, domestic_stock};
//!
//! let client = Client::builder().real().from_env().build()?;
//! let session = client.realtime().await?; // approval key issued once, then reused
//! let mut ticks = session.subscribe(domestic_stock::H0STCNT0, "005930").await?;
//! while let Some(frame) = ticks.recv().await {
//!     // one frame may hold several records; each borrows its text from the frame
//!     for tick in frame?.records() {
//!         let tick = tick?;
//!         println!("{} {:?} {:?}", tick.mksc_shrn_iscd, tick.stck_cntg_hour, tick.stck_prpr);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! - **Subscribing.** [`Session::subscribe`] takes a TR constant of a group module
//!   (`domestic_stock::H0STCNT0`, named by the real TR ID) and a product code, waits for KIS's
//!   confirmation and returns a [`Subscription`], a stream of [`Frame`]s whose
//!   [`records`](Frame::records) are the TR's generated `Record` type. The TR ID sent is the
//!   client's environment's (`H0STCNI9` for `H0STCNI0` in demo); a TR the demo environment does
//!   not serve fails with [`Error::NotInDemo`](crate::Error::NotInDemo) before any I/O.
//!   Execution notices, keyed by the HTS id, use [`Session::subscribe_notices`]; they come
//!   encrypted (AES-256-CBC with the key and iv of the subscribe reply) and arrive decrypted.
//! - **Untyped.** [`Session::subscribe_raw`] subscribes by catalog entry
//!   ([`crate::ENDPOINTS`]), and [`Session::frames`] taps every frame of the session, with
//!   malformed frames as error items: for tools that pick TRs at run time. A [`RawFrame`] gives
//!   its TR, key, record count, payload and untyped [`records`](RawFrame::records) paired with
//!   the catalog's columns.
//! - **Limits.** KIS allows about 40 subscriptions per session ([`MAX_SUBSCRIPTIONS`], the
//!   catalog's `rate_limits`; settable with [`SessionBuilder::max_subscriptions`]) and one session per approval key. One more
//!   subscription fails with [`RealtimeError::TooManySubscriptions`] before anything is sent.
//! - **Self-healing.** After a drop, the session reconnects with exponential backoff
//!   ([`ReconnectPolicy`]), each attempt and its wait announced at `warn`; the backoff starts
//!   over only once a connection proves itself (a subscription confirmed or data received), so
//!   a server that accepts and closes at once is not hammered. It subscribes again to
//!   everything with the same keys; encrypted TRs take the new keys. `PINGPONG` heartbeats are
//!   echoed unchanged. A connection silent for [`SessionBuilder::idle_timeout`] is replaced.
//! - **Robust parsing.** A malformed frame (bad flag or count, undecodable base64 or AES,
//!   unknown TR) is logged, reported as an error item on the taps (and on the streams of its TR
//!   when it names one), and skipped. Records tolerate extra trailing columns and report
//!   missing ones as [`RecordError`](crate::decode::RecordError). Nothing panics on server
//!   input.
//! - **Lean.** A frame is split in place, decrypted when needed (one allocation) and
//!   shared by reference count between the streams that receive it; records borrow their text
//!   from it and parse numbers and dates in place, without allocating per field. A slow
//!   consumer never holds up the connection: it loses frames and gets
//!   [`RealtimeError::Lagged`].
//! - **Secrets.** The approval key, the AES keys and the HTS id never appear in `Debug` output
//!   or logs; neither does the payload of an encrypted frame. Server text (`msg_cd`, `msg1`,
//!   close reasons, frame excerpts) may echo what was sent: it reaches errors and logs only
//!   after the session's credentials, approval keys and HTS id, and anything credential-shaped,
//!   are removed from it.

mod builder;
mod control;
mod control_fuzz;
mod crypto;
mod driver;
mod frame;
mod handles;
mod known_secrets;
mod outlet;
mod raw_records;
mod reconnect;
mod requests;
mod status;
mod subscriptions;

#[cfg(test)]
mod frame_properties;
#[cfg(all(test, feature = "domestic-stock"))]
mod hostile_server_tests;
#[cfg(all(test, feature = "domestic-stock"))]
mod subscriptions_tests;

pub use crate::realtime_error::{FrameError, FrameErrorKind, RealtimeError};
pub use builder::SessionBuilder;
#[doc(hidden)]
pub use control_fuzz::fuzz_control;
pub use crypto::{CipherKey, CipherKeyError, IV_LEN, KEY_LEN};
#[doc(hidden)]
pub use frame::fuzz_one;
pub use frame::{Frame, FrameHeader, RawFrame, parse_frame};
pub use handles::{FrameTap, RawSubscription, Session, Subscription};
pub use raw_records::{RawRecord, RawRecords};
pub use reconnect::ReconnectPolicy;
pub use status::{ConnectionState, SessionStatus};
pub use subscriptions::MAX_SUBSCRIPTIONS;
