//! The sending end of a subscription stream or tap: bounded, and never blocking the session.

use tokio::sync::{mpsc, oneshot};

use super::frame::RawFrame;
use crate::realtime_error::RealtimeError;

/// What a subscription stream or tap yields.
pub(super) type Item = Result<RawFrame, RealtimeError>;

/// The answer a subscribe or unsubscribe call waits for.
pub(super) type Ack = oneshot::Sender<Result<(), RealtimeError>>;

/// The sending end of one subscription stream or tap. Never blocks: a full buffer drops the
/// frame and counts it, and the consumer gets [`RealtimeError::Lagged`] once there is room.
pub(super) struct Outlet {
    pub(super) id: u64,
    tx: mpsc::Sender<Item>,
    lagged: u64,
}

impl Outlet {
    pub(super) fn new(id: u64, tx: mpsc::Sender<Item>) -> Self {
        Outlet { id, tx, lagged: 0 }
    }

    /// Whether the receiving end is gone.
    pub(super) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Offers `item`; `false` once the receiver is gone.
    pub(super) fn offer(&mut self, item: &Item) -> bool {
        use mpsc::error::TrySendError;
        if self.lagged > 0 {
            match self.tx.try_send(Err(RealtimeError::Lagged {
                skipped: self.lagged,
            })) {
                Ok(()) => self.lagged = 0,
                Err(TrySendError::Full(_)) => {
                    self.lagged += 1;
                    return true;
                }
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        match self.tx.try_send(item.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.lagged += 1;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

/// Offers `item` to every outlet, forgetting those whose receiver is gone.
pub(super) fn offer_all(outlets: &mut Vec<Outlet>, item: &Item) {
    outlets.retain_mut(|o| o.offer(item));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlets_never_block_and_report_lag() {
        let (tx, mut rx) = mpsc::channel(2);
        let mut o = Outlet::new(1, tx);
        let f = RawFrame::parse("0|H0STCNT0|001|005930", None).expect("frame");
        for _ in 0..5 {
            assert!(o.offer(&Ok(f.clone())));
        }
        assert_eq!(o.lagged, 3);
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        // room again: the lag is reported first, then frames flow
        assert!(o.offer(&Ok(f.clone())));
        assert!(matches!(
            rx.try_recv(),
            Ok(Err(RealtimeError::Lagged { skipped: 3 }))
        ));
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        drop(rx);
        assert!(!o.offer(&Ok(f)), "a closed receiver is reported");
    }
}
