//! Why a label cannot be made. One enum for the whole module, so the
//! hub's shell can answer a refused label job with exactly what is wrong
//! (which field, which character) and never print half a label.

use thiserror::Error;

/// A refusal to make a label from the data given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LabelError {
    /// The tracking number is empty or longer than
    /// [`super::label::MAX_TRACKING_LEN`] characters.
    #[error("tracking number must be 1 to 40 characters, got {0}")]
    TrackingNumberLength(usize),
    /// The tracking number has a character other than ASCII letters and
    /// digits.
    #[error("tracking number has {ch:?} at {at}: only ASCII letters and digits are allowed")]
    TrackingNumberChar {
        /// Position (in characters).
        at: usize,
        /// The character.
        ch: char,
    },
    /// A field the label cannot do without is empty.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// A field holds a control character (line break, tab, ...).
    #[error("{0} holds a control character")]
    ControlChar(&'static str),
    /// The position in the batch is not within 1..=size.
    #[error("position {position} is not within a batch of {size}")]
    BatchPosition {
        /// The position given.
        position: u32,
        /// The batch's size.
        size: u32,
    },
    /// The text does not fit its place on the label even at its smallest
    /// size.
    #[error("{0} does not fit on the label")]
    DoesNotFit(&'static str),
}
