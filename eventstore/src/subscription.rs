//! A live subscription: catch up from a position in pages, then follow new events as they are
//! committed. It wakes on the store's signal (LISTEN/NOTIFY on PostgreSQL, an in-process
//! signal on SQLite) and polls as a safety net, for notifications lost while reconnecting and
//! for appends made by other processes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::StoreError;
use crate::model::RecordedEvent;
use crate::EventStore;

/// Longest wait without a signal before reading again anyway.
const SAFETY_POLL: Duration = Duration::from_millis(1000);
/// The wait when the signal says events exist that are not readable yet (PostgreSQL: an older
/// transaction is still running). Doubles up to `HIDDEN_MAX`.
const HIDDEN_MIN: Duration = Duration::from_millis(2);
const HIDDEN_MAX: Duration = Duration::from_millis(100);

pub struct Subscription {
    store: Arc<dyn EventStore>,
    position: u64,
    page: usize,
    buffer: VecDeque<RecordedEvent>,
    signal: watch::Receiver<u64>,
    hidden_wait: Duration,
}

impl Subscription {
    /// Follows every event after global position `after` (0: from the beginning).
    pub fn new(store: Arc<dyn EventStore>, after: u64) -> Self {
        let signal = store.signal();
        Subscription {
            store,
            position: after,
            page: 1000,
            buffer: VecDeque::new(),
            signal,
            hidden_wait: HIDDEN_MIN,
        }
    }

    pub fn with_page_size(mut self, page: usize) -> Self {
        self.page = page.max(1);
        self
    }

    /// The position of the last event returned.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The next event in global order, waiting for one to be committed if needed.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.position = event.position;
                return Ok(event);
            }
            // Mark the signal seen before reading, so a commit during the read wakes us again.
            let signalled = *self.signal.borrow_and_update();
            let page = self.store.read_all(self.position, self.page).await?;
            if !page.is_empty() {
                self.hidden_wait = HIDDEN_MIN;
                self.buffer.extend(page);
                continue;
            }
            if signalled > self.position {
                // Committed events exist but an older transaction still hides them: wait out
                // the backoff without waking on every further append.
                let w = self.hidden_wait;
                self.hidden_wait = (w * 2).min(HIDDEN_MAX);
                tokio::time::sleep(w).await;
                continue;
            }
            let wait = SAFETY_POLL;
            tokio::select! {
                changed = self.signal.changed() => {
                    if changed.is_err() {
                        // The store is gone; fall back to polling.
                        tokio::time::sleep(wait).await;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
