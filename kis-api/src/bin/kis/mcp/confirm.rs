//! One-time confirmations of orders: `kis_order` files a previewed order under a fresh id,
//! `kis_confirm` redeems it at most once, within its time, in the environment it was previewed
//! for, and only when the server's flags allow orders there.
//!
//! A state machine without I/O: the caller supplies ids and the clock, so every transition is
//! tested directly.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use kis_api::Env;

/// How long a confirmation stays valid.
pub const VALID_FOR: Duration = Duration::from_secs(180);

/// Pending confirmations kept at once; an agent looping on `kis_order` cannot grow the table.
pub const MAX_PENDING: usize = 64;

/// Redeemed or expired ids remembered, so that a reuse is named as such.
const MAX_SPENT: usize = 256;

/// What the server was started to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Allowance {
    /// `--allow-orders`: confirmations may send orders at all.
    pub orders: bool,
    /// `--allow-real-orders`: also in the real environment (실전투자).
    pub real_orders: bool,
}

impl Allowance {
    /// Why an order in `env` may not be sent, if it may not.
    pub fn refusal(self, env: Env) -> Option<Refusal> {
        if !self.orders {
            return Some(Refusal::OrdersNotAllowed);
        }
        if env == Env::Real && !self.real_orders {
            return Some(Refusal::RealOrdersNotAllowed);
        }
        None
    }
}

/// Why a confirmation was not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server was started without `--allow-orders`.
    OrdersNotAllowed,
    /// A real-environment order, and the server was started without `--allow-real-orders`.
    RealOrdersNotAllowed,
    /// No such confirmation was ever issued here.
    Unknown,
    /// It was redeemed before: an order is sent once.
    AlreadyUsed,
    /// Its time ran out.
    Expired,
    /// It was previewed for another environment than the one orders now go to.
    WrongEnvironment {
        /// Where the preview said the order would go.
        previewed: Env,
        /// Where it would go now.
        now: Env,
    },
    /// Too many previews are pending; confirm or let some expire first.
    TooManyPending,
}

impl Refusal {
    /// A message for the agent, with what to do.
    pub fn message(self) -> String {
        match self {
            Refusal::OrdersNotAllowed => "orders are disabled: this server was started without \
                 --allow-orders, so kis_confirm sends nothing (kis_order still previews)"
                .to_string(),
            Refusal::RealOrdersNotAllowed => "this order would go to the REAL environment \
                 (실전투자), and the server was started without --allow-real-orders; nothing \
                 was sent"
                .to_string(),
            Refusal::Unknown => "no such confirmation: call kis_order for a preview and use the \
                 confirmation id it returns"
                .to_string(),
            Refusal::AlreadyUsed => "this confirmation was already used: an order is sent once; \
                 call kis_order again for a new one"
                .to_string(),
            Refusal::Expired => format!(
                "this confirmation expired ({} s after its preview); call kis_order again",
                VALID_FOR.as_secs()
            ),
            Refusal::WrongEnvironment { previewed, now } => format!(
                "this confirmation was previewed for the {previewed} environment but orders now \
                 go to {now}; nothing was sent"
            ),
            Refusal::TooManyPending => format!(
                "{MAX_PENDING} previews are pending; confirm one or wait {} s for them to expire",
                VALID_FOR.as_secs()
            ),
        }
    }
}

struct Pending<T> {
    order: T,
    env: Env,
    expires: Instant,
}

/// Previewed orders waiting for their one confirmation.
pub struct Confirmations<T> {
    pending: HashMap<String, Pending<T>>,
    spent: VecDeque<(String, Refusal)>,
    valid_for: Duration,
}

impl<T> Default for Confirmations<T> {
    fn default() -> Self {
        Confirmations::new(VALID_FOR)
    }
}

impl<T> Confirmations<T> {
    /// An empty table whose confirmations are valid for `valid_for`.
    pub fn new(valid_for: Duration) -> Self {
        Confirmations {
            pending: HashMap::new(),
            spent: VecDeque::new(),
            valid_for,
        }
    }

    /// How long a confirmation stays valid.
    pub fn valid_for(&self) -> Duration {
        self.valid_for
    }

    /// Files `order`, previewed for `env`, under `id` (a fresh random id from the caller).
    pub fn issue(&mut self, id: String, order: T, env: Env, now: Instant) -> Result<(), Refusal> {
        self.forget_expired(now);
        if self.pending.len() >= MAX_PENDING {
            return Err(Refusal::TooManyPending);
        }
        let expires = now + self.valid_for;
        self.pending.insert(
            id,
            Pending {
                order,
                env,
                expires,
            },
        );
        Ok(())
    }

    /// The order filed under `id`, taken out for sending: once, before it expires, for the
    /// environment `env` orders go to now, when `allowed` permits it there. A refusal for the
    /// server's flags leaves the confirmation pending (nothing about it was wrong).
    pub fn redeem(
        &mut self,
        id: &str,
        env: Env,
        allowed: Allowance,
        now: Instant,
    ) -> Result<T, Refusal> {
        self.forget_expired(now);
        let Some(p) = self.pending.get(id) else {
            let spent = self.spent.iter().find(|(s, _)| s == id).map(|(_, r)| *r);
            return Err(spent.unwrap_or(Refusal::Unknown));
        };
        if p.env != env {
            return Err(Refusal::WrongEnvironment {
                previewed: p.env,
                now: env,
            });
        }
        if let Some(r) = allowed.refusal(env) {
            return Err(r);
        }
        let p = self.pending.remove(id).ok_or(Refusal::Unknown)?;
        self.remember(id.to_string(), Refusal::AlreadyUsed);
        Ok(p.order)
    }

    /// Confirmations pending now.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn forget_expired(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.expires)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.pending.remove(&id);
            self.remember(id, Refusal::Expired);
        }
    }

    fn remember(&mut self, id: String, why: Refusal) {
        if self.spent.len() >= MAX_SPENT {
            self.spent.pop_front();
        }
        self.spent.push_back((id, why));
    }
}

/// A fresh confirmation id: 16 random bytes from the system's generator, as hex.
pub fn fresh_id() -> Result<String, String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system's random generator failed".to_string())?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Allowance = Allowance {
        orders: true,
        real_orders: true,
    };
    const DEMO_ONLY: Allowance = Allowance {
        orders: true,
        real_orders: false,
    };

    #[test]
    fn a_confirmation_works_once() {
        let mut c = Confirmations::default();
        let t = Instant::now();
        assert_eq!(c.issue("a".into(), "order", Env::Demo, t), Ok(()));
        assert_eq!(c.redeem("a", Env::Demo, DEMO_ONLY, t), Ok("order"));
        assert_eq!(
            c.redeem("a", Env::Demo, DEMO_ONLY, t),
            Err(Refusal::AlreadyUsed)
        );
        assert_eq!(c.redeem("b", Env::Demo, BOTH, t), Err(Refusal::Unknown));
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn an_expired_confirmation_is_refused() {
        let mut c = Confirmations::new(Duration::from_secs(180));
        let t = Instant::now();
        c.issue("a".into(), 1, Env::Demo, t).unwrap();
        c.issue("b".into(), 2, Env::Demo, t).unwrap();
        // just within the time: fine
        let almost = t + Duration::from_secs(179);
        assert_eq!(c.redeem("b", Env::Demo, BOTH, almost), Ok(2));
        let late = t + Duration::from_secs(180);
        assert_eq!(c.redeem("a", Env::Demo, BOTH, late), Err(Refusal::Expired));
        // and stays refused, as expired, later on
        assert_eq!(
            c.redeem("a", Env::Demo, BOTH, late + Duration::from_secs(1)),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn the_environment_and_the_flags_decide() {
        let mut c = Confirmations::default();
        let t = Instant::now();
        c.issue("demo".into(), 1, Env::Demo, t).unwrap();
        c.issue("real".into(), 2, Env::Real, t).unwrap();
        // previewed for demo, now real: refused, whatever the flags
        assert_eq!(
            c.redeem("demo", Env::Real, BOTH, t),
            Err(Refusal::WrongEnvironment {
                previewed: Env::Demo,
                now: Env::Real
            })
        );
        // no --allow-orders: refused, and still pending
        assert_eq!(
            c.redeem("demo", Env::Demo, Allowance::default(), t),
            Err(Refusal::OrdersNotAllowed)
        );
        // real needs --allow-real-orders too
        assert_eq!(
            c.redeem("real", Env::Real, DEMO_ONLY, t),
            Err(Refusal::RealOrdersNotAllowed)
        );
        assert_eq!(c.pending(), 2);
        assert_eq!(c.redeem("real", Env::Real, BOTH, t), Ok(2));
        assert_eq!(c.redeem("demo", Env::Demo, DEMO_ONLY, t), Ok(1));
    }

    #[test]
    fn pending_confirmations_are_bounded() {
        let mut c = Confirmations::default();
        let t = Instant::now();
        for i in 0..MAX_PENDING {
            c.issue(format!("{i}"), i, Env::Demo, t).unwrap();
        }
        assert_eq!(
            c.issue("more".into(), 0, Env::Demo, t),
            Err(Refusal::TooManyPending)
        );
        // once they expire there is room again
        let later = t + VALID_FOR;
        assert_eq!(c.issue("more".into(), 0, Env::Demo, later), Ok(()));
        assert_eq!(c.pending(), 1);
    }

    #[test]
    fn ids_are_fresh_and_long() {
        let a = fresh_id().unwrap();
        let b = fresh_id().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
