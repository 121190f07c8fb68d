//! The boxed future and stream types every layer shares. A leaf: it imports nothing of the crate,
//! so any module can name them without depending on the client or the call types.

use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;

/// A boxed future of this crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed stream of this crate.
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = T> + Send + 'a>>;
