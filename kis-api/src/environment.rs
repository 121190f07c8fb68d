//! Real (실전투자) and demo (모의투자) environments, in the type system and at run time.
//!
//! A client is `Client<Real>`, `Client<Demo>` or `Client<AnyEnv>`. Endpoints the demo environment
//! does not serve have client methods only for [`RealCapable`] environments, so calling one on a
//! `Client<Demo>` does not compile. `Client<AnyEnv>` (the environment chosen at run time, e.g. from
//! a command-line flag) has every method and checks before any network I/O instead.
//!
//! 주식현재가 시세2 (`inquire_price_2`) is real-only. On a real client it is a method:
//!
//! ```no_run
//! # fn check(client: kis_api::Client<kis_api::Real>) {
//! use kis_api::{codes::StockMarket, domestic_stock::inquire_price_2};
//! let _call = client.domestic_stock().inquire_price_2(inquire_price_2::Request::new(StockMarket::Krx, "005930"));
//! # }
//! ```
//!
//! On a demo client the same line does not compile:
//!
//! ```compile_fail
//! # fn check(client: kis_api::Client<kis_api::Demo>) {
//! use kis_api::{codes::StockMarket, domestic_stock::inquire_price_2};
//! let _call = client.domestic_stock().inquire_price_2(inquire_price_2::Request::new(StockMarket::Krx, "005930"));
//! # }
//! ```

use std::fmt;

pub use kis_catalog::Env;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Real {}
    impl Sealed for super::Demo {}
    impl Sealed for super::AnyEnv {}
}

/// A client's environment type: [`Real`], [`Demo`] or [`AnyEnv`].
pub trait Environment:
    sealed::Sealed + Copy + Default + fmt::Debug + Send + Sync + 'static
{
    /// The environment fixed by the type, or `None` when chosen at run time.
    const FIXED: Option<Env>;
}

/// Environments in which real-only endpoints may be called: [`Real`] always, [`AnyEnv`] with a
/// run-time check.
pub trait RealCapable: Environment {}

/// The real environment, fixed at compile time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Real;

/// The demo environment, fixed at compile time: real-only endpoints have no methods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Demo;

/// An environment chosen at run time; real-only endpoints fail before any I/O in demo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnyEnv;

impl Environment for Real {
    const FIXED: Option<Env> = Some(Env::Real);
}
impl Environment for Demo {
    const FIXED: Option<Env> = Some(Env::Demo);
}
impl Environment for AnyEnv {
    const FIXED: Option<Env> = None;
}
impl RealCapable for Real {}
impl RealCapable for AnyEnv {}
