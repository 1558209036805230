//! Alerts, the fleet and the change feed (`alerts.rs`, `changes.rs`): answers built from views over hub-core's records.
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(AlertList, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/Alert"
   }
  }
 }
});

json_schema!(Alert, {
 "type": "object",
 "description": "One alert: raised once per cause (kind, sku, location, subject); a repeat while open counts in repeats. A condition alert is cleared by the hub when its cause goes; an event alert is cleared by its acknowledgement.",
 "required": [
  "id",
  "kind",
  "severity",
  "state",
  "sku",
  "location",
  "subject",
  "message",
  "raised_ms",
  "last_ms",
  "repeats",
  "acked_by",
  "acked_ms",
  "cleared_ms"
 ],
 "properties": {
  "id": {
   "type": "integer"
  },
  "kind": {
   "$ref": "#/components/schemas/AlertKind"
  },
  "severity": {
   "type": "string",
   "enum": [
    "info",
    "warning",
    "critical"
   ]
  },
  "state": {
   "type": "string",
   "enum": [
    "open",
    "acknowledged",
    "cleared"
   ]
  },
  "sku": {
   "type": "string",
   "description": "The SKU, or - when it is not about one."
  },
  "location": {
   "type": [
    "string",
    "null"
   ]
  },
  "subject": {
   "type": "string",
   "description": "What else it is about (order:17, device:hh-1, job:4), or empty."
  },
  "message": {
   "type": "string"
  },
  "raised_ms": {
   "type": "integer"
  },
  "last_ms": {
   "type": "integer",
   "description": "The latest raise."
  },
  "repeats": {
   "type": "integer",
   "description": "Times raised again while open."
  },
  "acked_by": {
   "type": [
    "string",
    "null"
   ],
   "description": "The token name of the operator who acknowledged it."
  },
  "acked_ms": {
   "type": [
    "integer",
    "null"
   ]
  },
  "cleared_ms": {
   "type": [
    "integer",
    "null"
   ]
  }
 }
});

json_schema!(FleetRow, {
 "type": "object",
 "required": [
  "device",
  "state",
  "state_since_ms",
  "last_seen_ms",
  "backlog",
  "battery_pct",
  "version",
  "signal_dbm",
  "epoch",
  "acked_seq",
  "clock_offset_ms",
  "offline_reason"
 ],
 "properties": {
  "device": {
   "type": "string"
  },
  "state": {
   "type": "string",
   "enum": [
    "online",
    "offline"
   ]
  },
  "state_since_ms": {
   "type": "integer",
   "description": "Hub time it went online or offline."
  },
  "last_seen_ms": {
   "type": "integer"
  },
  "backlog": {
   "type": "integer",
   "description": "Scans journaled on the device and not yet acknowledged, as it last reported."
  },
  "battery_pct": {
   "type": [
    "integer",
    "null"
   ]
  },
  "version": {
   "type": [
    "string",
    "null"
   ],
   "description": "The app version it reported."
  },
  "signal_dbm": {
   "type": [
    "integer",
    "null"
   ]
  },
  "epoch": {
   "type": [
    "string",
    "null"
   ],
   "description": "Its journal epoch, 16 hex digits."
  },
  "acked_seq": {
   "type": [
    "integer",
    "null"
   ],
   "description": "The last sequence the hub acknowledged, as it reported."
  },
  "clock_offset_ms": {
   "type": "integer",
   "description": "Hub time minus device time at its last heartbeat."
  },
  "offline_reason": {
   "type": [
    "string",
    "null"
   ],
   "enum": [
    "last_will",
    "silent",
    null
   ]
  }
 }
});

json_schema!(FleetList, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/FleetRow"
   }
  }
 }
});

json_schema!(FeedEvent, {
 "type": "object",
 "required": [
  "id",
  "event",
  "at_ms",
  "data"
 ],
 "properties": {
  "id": {
   "type": "integer",
   "description": "The feed id: increasing, without gaps."
  },
  "event": {
   "type": "string",
   "enum": [
    "stock",
    "order",
    "alert",
    "device",
    "dead_letter",
    "label_job",
    "task"
   ]
  },
  "at_ms": {
   "type": "integer"
  },
  "data": {
   "type": "object",
   "description": "stock: sku, on_hand, reserved, available; order: id, state, platform, platform_order_id, service, updated_ms; alert: an Alert; device: a FleetRow; dead_letter: one per group of refused payloads, naming the newest (id, reason, topic, received_ms) and how many the group refused (count); label_job: id, batch, order, station, state; task: id, device, kind, state, open_lines."
  }
 }
});

json_schema!(FeedPage, {
 "type": "object",
 "required": [
  "items",
  "next_after",
  "next_id"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/FeedEvent"
   }
  },
  "next_after": {
   "type": "integer",
   "description": "Pass as after= for the next page."
  },
  "next_id": {
   "type": "integer",
   "description": "The id the next event will get."
  }
 }
});

json_schema!(StreamChangesAnswer200, {
 "type": "object",
 "description": "One event, as an SSE client reads it (keep-alive comments are not events).",
 "required": [
  "id",
  "event",
  "data"
 ],
 "properties": {
  "id": {
   "type": "string",
   "pattern": "^[0-9]+$",
   "description": "The feed id."
  },
  "event": {
   "$ref": "#/components/schemas/FeedEvent/properties/event"
  },
  "data": {
   "type": "string",
   "contentMediaType": "application/json",
   "description": "The JSON object FeedEvent.data describes."
  }
 }
});
