//! The hand-written half of the conformance calls: what the generated `calls.rs` returns and the
//! helpers it calls. Only the per-endpoint calls depend on the catalog, so only they are generated.

/// What one endpoint call returned.
#[derive(Debug)]
pub struct Outcome {
    /// Endpoint id.
    pub id: &'static str,
    /// Pages and rows per block, or the error.
    pub result: Result<Summary, kis_api::Error>,
}

/// Pages fetched and rows per block (an object block counts 1 when present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Pages fetched.
    pub pages: usize,
    /// (block, rows) in catalog order.
    pub rows: Vec<(&'static str, usize)>,
}

/// Adds up the rows of each block over the pages of one paginated call.
pub(crate) fn summarize_pages<R>(
    pages: &[R],
    summarize: impl Fn(&R) -> Vec<(&'static str, usize)>,
) -> Summary {
    let mut rows: Vec<(&'static str, usize)> = Vec::new();
    for page in pages {
        for (i, (block, n)) in summarize(page).into_iter().enumerate() {
            match rows.get_mut(i) {
                Some(slot) => slot.1 += n,
                None => rows.push((block, n)),
            }
        }
    }
    Summary {
        pages: pages.len(),
        rows,
    }
}

/// A realtime TR of the catalog, as the suite subscribes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealtimeTrInfo {
    /// Endpoint id (`domestic_stock.ccnl_krx`).
    pub id: &'static str,
    /// Real TR ID.
    pub tr_id: &'static str,
    /// Demo TR ID, when demo serves the TR.
    pub demo_tr_id: Option<&'static str>,
    /// Keyed by the HTS id (an execution notice).
    pub notice: bool,
    /// Whether its frames are encrypted.
    pub encrypted: bool,
    /// The sample key the suite subscribes with (empty for notices: the HTS id).
    pub key: &'static str,
    /// Columns of one record in the catalog.
    pub columns: usize,
}

/// What one item of a realtime subscription stream held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameCheck {
    /// Endpoint id of the subscription.
    pub id: &'static str,
    /// TR ID of the frame (empty for an error item).
    pub tr_id: String,
    /// Records the header announced.
    pub count: usize,
    /// Records decoded into the TR's typed record.
    pub decoded: usize,
    /// Whether the frame came encrypted.
    pub encrypted: bool,
    /// The subscription key the frame was routed to.
    pub key: Option<String>,
    /// Which connection of the session delivered it.
    pub connection: u64,
    /// The first record error, or the stream's error item.
    pub error: Option<String>,
}

/// Forwards a [`FrameCheck`] of every item of `sub` to `tx`, from a task; aborting the task drops
/// the subscription (which unsubscribes).
pub(crate) fn spawn_checks<T: kis_api::RealtimeTr>(
    id: &'static str,
    mut sub: kis_api::realtime::Subscription<T>,
    tx: tokio::sync::mpsc::UnboundedSender<FrameCheck>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(item) = sub.recv().await {
            let check = match item {
                Ok(frame) => {
                    let mut decoded = 0;
                    let mut error = None;
                    for record in frame.records() {
                        match record {
                            Ok(_) => decoded += 1,
                            Err(e) => {
                                error.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                    FrameCheck {
                        id,
                        tr_id: frame.tr_id().to_string(),
                        count: frame.count(),
                        decoded,
                        encrypted: frame.is_encrypted(),
                        key: frame.key().map(str::to_string),
                        connection: frame.connection(),
                        error,
                    }
                }
                Err(e) => FrameCheck {
                    id,
                    tr_id: String::new(),
                    count: 0,
                    decoded: 0,
                    encrypted: false,
                    key: None,
                    connection: 0,
                    error: Some(e.to_string()),
                },
            };
            if tx.send(check).is_err() {
                break;
            }
        }
    })
}
