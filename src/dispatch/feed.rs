//! The in-process change feed: who is waiting on which verification, and the dispatcher's wake-up call.

use std::sync::Arc;

use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::domain::{Status, Verification};

/// One verification changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeEvent {
    /// Which verification.
    pub id: Uuid,
    /// Its status after the change.
    pub status: Status,
    /// Its change cursor after the change.
    pub change_cursor: i64,
}

/// Fan-out of changes made in this process, plus the signal that wakes the dispatcher when new work is
/// stored. Changes made by other replicas are found through the store (polling), not here.
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    events: broadcast::Sender<ChangeEvent>,
    work_available: Arc<Notify>,
}

impl ChangeFeed {
    /// A feed that buffers up to `capacity` events per slow subscriber before it lags.
    pub fn new(capacity: usize) -> Self {
        let (events, _) = broadcast::channel(capacity.max(1));
        ChangeFeed { events, work_available: Arc::new(Notify::new()) }
    }

    /// Announces a stored change; wakes the dispatcher when the verification waits for a carrier call.
    pub fn publish(&self, verification: &Verification) {
        if verification.status == Status::Pending {
            // `notify_one` keeps a permit when nobody waits, so a wake-up during a claim is not lost.
            self.work_available.notify_one();
        }
        // No subscribers is normal (nobody is waiting): ignore the error.
        let _ = self.events.send(ChangeEvent {
            id: verification.id,
            status: verification.status,
            change_cursor: verification.change_cursor,
        });
    }

    /// Subscribes to changes published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.events.subscribe()
    }

    /// Resolves when new work was announced.
    pub async fn work_available(&self) {
        self.work_available.notified().await;
    }
}
