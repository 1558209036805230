//! The webhooks as the API holds them: register, list, remove, the dead
//! letters and their redelivery. The worker ([`super::worker`]) shares
//! the store, the sender and the progress it reports.

use super::send::{DeliveryError, Sender};
use super::store::{DeadLetter, HookStore};
use super::{hook_of, Hook, HookError, Registration, MAX_HOOKS};
use crate::store::{Store, StoreError};
use hub_core::feed::FeedEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tracing::info;

/// A hook's delivery as the API lists it.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Failed attempts at its current event.
    pub attempts: u32,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it is tried again, ms (0: not waiting).
    pub next_at_ms: u64,
}

/// One hook as listed (never its secret).
#[derive(Debug, Clone)]
pub struct Listed {
    /// The hook.
    pub hook: Hook,
    /// The feed id delivered through.
    pub cursor: u64,
    /// Dead letters held.
    pub dead_letters: usize,
    /// Its delivery now.
    pub progress: Progress,
}

/// The webhooks, as the API and the worker share them.
#[derive(Clone)]
pub struct Webhooks {
    pub(super) store: HookStore,
    pub(super) feed: Store,
    pub(super) sender: Sender,
    pub(super) wake: Arc<Notify>,
    pub(super) progress: Arc<Mutex<HashMap<u64, Progress>>>,
}

impl Webhooks {
    /// The webhooks of `store`'s database.
    pub fn open(store: &Store) -> Result<Webhooks, StoreError> {
        Ok(Webhooks {
            store: HookStore::open(store)?,
            feed: store.clone(),
            sender: Sender::default(),
            wake: Arc::new(Notify::new()),
            progress: Arc::default(),
        })
    }

    /// Registers a hook that gets the events committed from now on;
    /// durable on return. The hook holds its secret: show it once.
    pub fn register(&self, r: Registration) -> Result<Hook, HookError> {
        if self.store.count() >= MAX_HOOKS {
            return Err(HookError::TooMany);
        }
        let hook = hook_of(r, crate::clock::wall_ms())?;
        let cursor = self.feed.next_feed_id()?.saturating_sub(1);
        let hook = self.store.add(hook, cursor)?;
        info!(hook = hook.id, host = hook.host(), "webhook registered");
        self.wake.notify_one();
        Ok(hook)
    }

    /// Every hook, by id.
    pub fn list(&self) -> Result<Vec<Listed>, HookError> {
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        Ok(self
            .store
            .hooks()?
            .into_iter()
            .map(|(hook, cursor)| Listed {
                dead_letters: self.store.dead_letter_count(hook.id),
                progress: progress.get(&hook.id).cloned().unwrap_or_default(),
                hook,
                cursor,
            })
            .collect())
    }

    /// Removes hook `id` and its dead letters.
    pub fn remove(&self, id: u64) -> Result<(), HookError> {
        if !self.store.remove(id)? {
            return Err(HookError::UnknownHook(id));
        }
        info!(hook = id, "webhook removed");
        self.wake.notify_one();
        Ok(())
    }

    /// Up to `limit` dead letters of hook `id`, oldest first.
    pub fn dead_letters(&self, id: u64, limit: usize) -> Result<Vec<DeadLetter>, HookError> {
        self.store.hook(id)?.ok_or(HookError::UnknownHook(id))?;
        Ok(self.store.dead_letters(id, limit)?)
    }

    /// Sends hook `id`'s dead letter `event` again now: dropped from the
    /// list once the receiver takes it, else kept with the failure.
    pub async fn redeliver(&self, id: u64, event: u64) -> Result<(), HookError> {
        let hook = self.store.hook(id)?.ok_or(HookError::UnknownHook(id))?;
        let unknown = HookError::UnknownLetter { hook: id, event };
        let mut letter = self.store.dead_letter(id, event)?.ok_or(unknown)?;
        let feed_event = FeedEvent {
            event: letter.event.clone(),
            data: letter.data.clone(),
            at_ms: letter.at_ms,
        };
        let sender = self.sender.clone();
        let outcome = tokio::task::spawn_blocking(move || sender.post(&hook, event, &feed_event))
            .await
            .unwrap_or_else(|e| Err(DeliveryError::Transport(format!("the call stopped: {e}"))));
        match outcome {
            Ok(()) => {
                self.store.settle_letter(id, event, None)?;
                info!(hook = id, event, "dead letter redelivered");
                Ok(())
            }
            Err(error) => {
                letter.attempts = letter.attempts.saturating_add(1);
                letter.last_error = error.to_string();
                letter.failed_ms = crate::clock::wall_ms();
                self.store.settle_letter(id, event, Some(&letter))?;
                Err(error.into())
            }
        }
    }
}
