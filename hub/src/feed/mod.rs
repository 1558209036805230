//! The change feed's shell (see [`hub_core::feed`]): the bus the flusher
//! puts each durable group's feed events on, which the server-sent-events
//! stream (`GET /api/v1/changes/stream`) and the webhooks listen to. The
//! bus holds nothing that matters: a listener that falls behind (or
//! starts late) reads what it missed from the store
//! ([`crate::store::Store::feed_after`]) and listens again.

use hub_core::feed::FeedEvent;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One durable group's feed events, with their ids, in order.
pub type FeedGroup = Arc<Vec<(u64, FeedEvent)>>;

/// Groups the bus holds for a slow listener before it must read the store.
const BUS_DEPTH: usize = 1_024;

/// The bus: cheap to clone, one sender for the flusher.
#[derive(Clone)]
pub struct FeedBus {
    sender: broadcast::Sender<FeedGroup>,
}

impl Default for FeedBus {
    fn default() -> FeedBus {
        FeedBus {
            sender: broadcast::channel(BUS_DEPTH).0,
        }
    }
}

impl FeedBus {
    /// Puts a durable group's events on the bus (no listener: dropped).
    pub fn publish(&self, events: Vec<(u64, FeedEvent)>) {
        if !events.is_empty() {
            let _ = self.sender.send(Arc::new(events));
        }
    }

    /// A new listener: it hears every group published from now on.
    pub fn listen(&self) -> broadcast::Receiver<FeedGroup> {
        self.sender.subscribe()
    }
}
