//! Webhooks (`webhooks.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(EventParam, {
 "type": "integer",
 "minimum": 0
});
