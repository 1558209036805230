//! Webhooks (`webhooks.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(WebhookList, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "type": "object",
    "required": [
     "id",
     "url",
     "events",
     "max_attempts",
     "created_ms",
     "delivered_through",
     "dead_letters",
     "attempts",
     "last_error",
     "next_at_ms"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "url": {
      "type": "string"
     },
     "events": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/FeedEventName"
      }
     },
     "max_attempts": {
      "type": "integer"
     },
     "created_ms": {
      "type": "integer"
     },
     "delivered_through": {
      "type": "integer"
     },
     "dead_letters": {
      "type": "integer"
     },
     "attempts": {
      "type": "integer"
     },
     "last_error": {
      "type": [
       "string",
       "null"
      ]
     },
     "next_at_ms": {
      "type": "integer"
     }
    }
   }
  }
 }
});

json_schema!(WebhookDeadLetterList, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "type": "object",
    "required": [
     "event_id",
     "event",
     "at_ms",
     "data",
     "attempts",
     "last_error",
     "failed_ms"
    ],
    "properties": {
     "event_id": {
      "type": "integer"
     },
     "event": {
      "$ref": "#/components/schemas/FeedEventName"
     },
     "at_ms": {
      "type": "integer"
     },
     "data": {
      "type": "object",
      "additionalProperties": true
     },
     "attempts": {
      "type": "integer"
     },
     "last_error": {
      "type": "string"
     },
     "failed_ms": {
      "type": "integer"
     }
    }
   }
  }
 }
});

json_schema!(EventParam, {
 "type": "integer",
 "minimum": 0
});
