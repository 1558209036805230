//! Printing shipping labels in the hub's shell (issue 16): the `[labels]`
//! configuration turned into the core's `PrintRules` and the sender
//! printed on every label. The batches and jobs themselves are
//! `hub_core::printing`, the label `hub_core::labels`, the writer's side
//! `writer::labels`, the store's `store::labels`, what goes out
//! `net::outbound`, and the routes `api::labels`.

pub mod config;

pub use config::{LabelsConfig, SenderConfig, StationConfig};
