//! The in-process change feed: who is waiting on which verification, and the dispatcher's wake-up call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

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
    /// Callers waiting for one verification to end, by id: a result wakes only its own waiters, so a thousand
    /// waiting submits cost one map lookup per result instead of a thousand wake-ups.
    waiting: Arc<Mutex<HashMap<Uuid, Waiting>>>,
}

/// The waiters of one verification.
#[derive(Debug)]
struct Waiting {
    notify: Arc<Notify>,
    /// The final state, once stored here: waiters take it from here instead of reading the store again.
    ended: Arc<Mutex<Option<Verification>>>,
    waiters: usize,
}

/// One caller's registration for the end of one verification (see [`ChangeFeed::watch_final`]); unregisters
/// when dropped.
#[derive(Debug)]
pub struct FinalWatch {
    id: Uuid,
    notify: Arc<Notify>,
    ended: Arc<Mutex<Option<Verification>>>,
    waiting: Arc<Mutex<HashMap<Uuid, Waiting>>>,
}

impl FinalWatch {
    /// Woken (with `notify_waiters`) when this process stores the verification's final state. Create the
    /// `notified()` future and `enable` it before re-reading the store, so a result stored in between is not
    /// missed.
    pub fn notify(&self) -> &Notify {
        &self.notify
    }

    /// The final state this process stored, once it has (a copy: every waiter gets it).
    pub fn final_state(&self) -> Option<Verification> {
        self.ended.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for FinalWatch {
    fn drop(&mut self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = waiting.get_mut(&self.id) {
            entry.waiters -= 1;
            if entry.waiters == 0 {
                waiting.remove(&self.id);
            }
        }
    }
}

impl ChangeFeed {
    /// A feed that buffers up to `capacity` events per slow subscriber before it lags.
    pub fn new(capacity: usize) -> Self {
        let (events, _) = broadcast::channel(capacity.max(1));
        ChangeFeed { events, work_available: Arc::new(Notify::new()), waiting: Arc::default() }
    }

    /// Registers interest in verification `id` reaching a final state in this process.
    pub fn watch_final(&self, id: Uuid) -> FinalWatch {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = waiting.entry(id).or_insert_with(|| Waiting {
            notify: Arc::new(Notify::new()),
            ended: Arc::default(),
            waiters: 0,
        });
        entry.waiters += 1;
        FinalWatch {
            id,
            notify: Arc::clone(&entry.notify),
            ended: Arc::clone(&entry.ended),
            waiting: Arc::clone(&self.waiting),
        }
    }

    /// Announces a stored change; wakes the dispatcher when the verification waits for a carrier call.
    pub fn publish(&self, verification: &Verification) {
        if verification.status == Status::Pending {
            // `notify_one` keeps a permit when nobody waits, so a wake-up during a claim is not lost.
            self.work_available.notify_one();
        } else if verification.status.is_final() {
            let waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = waiting.get(&verification.id) {
                *entry.ended.lock().unwrap_or_else(PoisonError::into_inner) = Some(verification.clone());
                entry.notify.notify_waiters();
            }
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

    /// Wakes the dispatcher's claim loop (a carrier it left out has room again).
    pub(crate) fn wake_dispatcher(&self) {
        self.work_available.notify_one();
    }

    /// Resolves when new work was announced.
    pub async fn work_available(&self) {
        self.work_available.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::test_support::sample_request;

    fn with_status(id: Uuid, status: Status) -> Verification {
        let new = crate::domain::lifecycle::admit(
            id,
            None,
            sample_request(),
            crate::domain::ScreeningDecision::forward(),
            None,
            time::OffsetDateTime::UNIX_EPOCH,
        );
        Verification {
            id,
            request_id: None,
            fingerprint: new.fingerprint,
            request: new.request,
            status,
            outcome: None,
            screening: new.screening,
            carrier: None,
            payer_id: None,
            attempts: Vec::new(),
            benefits: None,
            follow_up: new.follow_up,
            status_detail: None,
            next_attempt_at: None,
            created_at: new.created_at,
            updated_at: new.created_at,
            change_cursor: 1,
        }
    }

    #[tokio::test]
    async fn a_final_state_wakes_only_the_waiters_of_that_verification() {
        // Arrange
        let feed = ChangeFeed::new(16);
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let watch = feed.watch_final(mine);
        let other_watch = feed.watch_final(other);
        let woken = watch.notify().notified();
        let other_woken = other_watch.notify().notified();
        tokio::pin!(woken, other_woken);
        woken.as_mut().enable();
        other_woken.as_mut().enable();

        // Act
        feed.publish(&with_status(mine, Status::Pending));
        let before_final = tokio::time::timeout(Duration::from_millis(20), &mut woken).await.is_ok();
        feed.publish(&with_status(mine, Status::Completed));

        // Assert
        assert!(!before_final, "a pending change does not wake a waiter for the end");
        tokio::time::timeout(Duration::from_secs(1), woken).await.expect("woken by its final state");
        assert_eq!(watch.final_state().map(|v| v.status), Some(Status::Completed), "handed over with the wake-up");
        assert!(other_watch.final_state().is_none());
        assert!(tokio::time::timeout(Duration::from_millis(20), other_woken).await.is_err(), "others sleep on");
    }

    #[test]
    fn a_watch_unregisters_when_its_last_waiter_leaves() {
        let feed = ChangeFeed::new(16);
        let id = Uuid::now_v7();
        let first = feed.watch_final(id);
        let second = feed.watch_final(id);
        drop(first);
        assert_eq!(feed.waiting.lock().expect("lock").len(), 1);
        drop(second);
        assert!(feed.waiting.lock().expect("lock").is_empty());
    }
}
