//! What a decode noticed but could not place: keys the catalog does not know and values their
//! type cannot read. Neither fails the call (KIS adds fields without notice and writes odd values
//! now and then); both are kept on the reply, logged once per process, and an error in strict
//! mode ([`crate::ClientBuilder::strict`]).

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::meta::ValueType;

/// What the catalog does not account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnrecognizedKind {
    /// A key the catalog does not list: a field or block KIS added.
    UnknownKey,
    /// A catalog field whose value its type cannot read; the typed field was left empty.
    Unreadable(ValueType),
}

/// A key or value of a response that the catalog does not account for.
///
/// The value is kept, so nothing is lost, but `Debug` and `Display` show only where it was and
/// what is wrong: a key the catalog does not know may hold personal data. Values of fields the
/// catalog marks as personal data are not kept at all.
#[derive(Clone, PartialEq)]
pub struct Unrecognized {
    /// Endpoint id (`domestic_stock.inquire_price`).
    pub endpoint: &'static str,
    /// The block (`output1`), or `None` at the top level of the body.
    pub block: Option<&'static str>,
    /// The row, in an array block.
    pub row: Option<usize>,
    /// The key as sent.
    pub key: String,
    /// What is wrong.
    pub kind: UnrecognizedKind,
    value: Option<serde_json::Value>,
}

impl Unrecognized {
    pub(crate) fn new(
        endpoint: &'static str,
        block: Option<&'static str>,
        row: Option<usize>,
        key: String,
        kind: UnrecognizedKind,
        value: Option<serde_json::Value>,
    ) -> Self {
        Unrecognized {
            endpoint,
            block,
            row,
            key,
            kind,
            value,
        }
    }

    /// The value as sent: a string for an unreadable value, any JSON for an unknown key. `None`
    /// when the field holds personal data (the catalog's `redacted` names).
    pub fn value(&self) -> Option<&serde_json::Value> {
        self.value.as_ref()
    }

    /// Where: `output1[3].new_field`, `output2.stck_prpr`, or the key alone at the top level.
    pub fn path(&self) -> String {
        match (self.block, self.row) {
            (Some(b), Some(r)) => format!("{b}[{r}].{}", self.key),
            (Some(b), None) => format!("{b}.{}", self.key),
            (None, _) => self.key.clone(),
        }
    }

    /// Whether the catalog does not list the key.
    pub fn is_unknown_key(&self) -> bool {
        self.kind == UnrecognizedKind::UnknownKey
    }

    /// What was seen, with the raw value only when it is short text of a field that holds no
    /// personal data (for logs).
    fn describe(&self, with_value: bool) -> String {
        match self.kind {
            UnrecognizedKind::UnknownKey => format!("{}: not in the catalog", self.path()),
            UnrecognizedKind::Unreadable(ty) => {
                let raw = match (&self.value, with_value) {
                    (Some(serde_json::Value::String(s)), true) => {
                        format!(" {:?}", super::shorten(s))
                    }
                    _ => String::new(),
                };
                format!("{}: value{raw} is not a {} value", self.path(), ty.name())
            }
        }
    }
}

impl fmt::Display for Unrecognized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.endpoint, self.describe(false))
    }
}

impl fmt::Debug for Unrecognized {
    // the value may be personal data: Debug says whether it was kept, not what it is
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unrecognized")
            .field("endpoint", &self.endpoint)
            .field("block", &self.block)
            .field("row", &self.row)
            .field("key", &self.key)
            .field("kind", &self.kind)
            .field("value_kept", &self.value.is_some())
            .finish()
    }
}

/// At most this many distinct (endpoint, block, key) sightings are remembered; later new ones
/// are still kept on their replies but no longer logged.
const WARNED_LIMIT: usize = 4096;

type Sighting = (&'static str, Option<&'static str>, String, UnrecognizedKind);

/// Logs each (endpoint, block, key, kind) at `warn` the first time this process sees it; returns
/// how many were new. Unknown keys are logged without their value; unreadable values with theirs
/// when the field holds no personal data.
pub(crate) fn warn_new(found: &[Unrecognized]) -> usize {
    if found.is_empty() {
        return 0;
    }
    static WARNED: OnceLock<Mutex<HashSet<Sighting>>> = OnceLock::new();
    let mut warned = WARNED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let mut new = 0;
    for u in found {
        if warned.len() >= WARNED_LIMIT {
            break;
        }
        if warned.insert((u.endpoint, u.block, u.key.clone(), u.kind)) {
            new += 1;
            tracing::warn!(
                endpoint = u.endpoint,
                "KIS sent what the catalog does not describe (logged once): {}",
                u.describe(true)
            );
        }
    }
    new
}

/// Logs at `warn`, the first time this process sees TR `tr_id` send records `missing` columns
/// short of the `listed` ones its catalog entry has (KIS changed the layout, or the catalog is
/// ahead of it); returns whether this was the first time. The records still decode: the columns
/// they lack read as `None` (`""` for text).
#[cfg(feature = "realtime")]
pub(crate) fn warn_missing_columns(tr_id: &'static str, missing: usize, listed: usize) -> bool {
    // bounded by the catalog: TR IDs come from its entries, not from the server
    static WARNED: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let new = WARNED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(tr_id);
    if new {
        tracing::warn!(
            tr_id,
            "KIS sent realtime records {missing} columns short of the catalog's {listed}; \
             those read as None or empty text (logged once per TR)"
        );
    }
    new
}
