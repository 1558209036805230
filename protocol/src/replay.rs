//! The receiver's replay rule for sealed frames: a frame is taken only if
//! it stands after every frame taken before (boot first, then counter).
//!
//! Apart from [`crate::sealed`] because it is state a receiver keeps, not
//! part of opening one frame; plain data, so a device can keep it in
//! memory or persist it as it needs (WIRE.md §7.5).

use crate::sealed::{FrameCounter, SealError};

/// The receiver's replay rule: accept a frame only if it stands after
/// every frame accepted before. Plain data; a device keeps one for its
/// lifetime (WIRE.md §7.5 says why that is enough for acks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayGuard {
    highest: Option<FrameCounter>,
}

impl ReplayGuard {
    /// A guard that has accepted nothing yet.
    pub fn new() -> ReplayGuard {
        ReplayGuard::default()
    }

    /// Accepts `at` if it is newer than everything accepted so far.
    pub fn admit(&mut self, at: FrameCounter) -> Result<(), SealError> {
        match self.highest {
            Some(highest) if at <= highest => Err(SealError::Replayed { at, highest }),
            _ => {
                self.highest = Some(at);
                Ok(())
            }
        }
    }

    /// The highest position accepted, if any.
    pub fn highest(&self) -> Option<FrameCounter> {
        self.highest
    }
}
