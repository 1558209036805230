//! Devices and dead letters (`stock.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(DeviceEpoch, {
 "type": "object",
 "required": [
  "epoch",
  "watermark",
  "last_batch_ms",
  "movements_applied",
  "conflicts"
 ],
 "properties": {
  "epoch": {
   "type": "string",
   "description": "16 hex digits.",
   "pattern": "^[0-9a-f]{16}$"
  },
  "watermark": {
   "type": "integer"
  },
  "last_batch_ms": {
   "type": "integer"
  },
  "movements_applied": {
   "type": "integer"
  },
  "conflicts": {
   "type": "integer"
  }
 }
});

json_schema!(Device, {
 "type": "object",
 "required": [
  "device",
  "epoch",
  "watermark",
  "last_batch_ms",
  "movements_applied",
  "conflicts",
  "epochs",
  "state",
  "last_seen_ms",
  "reported_backlog",
  "queue_version_held"
 ],
 "properties": {
  "device": {
   "type": "string"
  },
  "epoch": {
   "type": [
    "string",
    "null"
   ],
   "description": "The journal epoch that applied last."
  },
  "watermark": {
   "type": "integer"
  },
  "last_batch_ms": {
   "type": [
    "integer",
    "null"
   ]
  },
  "movements_applied": {
   "type": "integer"
  },
  "conflicts": {
   "type": "integer"
  },
  "epochs": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/DeviceEpoch"
   }
  },
  "state": {
   "type": "string",
   "enum": [
    "online",
    "offline",
    "unknown"
   ]
  },
  "last_seen_ms": {
   "type": [
    "integer",
    "null"
   ]
  },
  "reported_backlog": {
   "type": [
    "integer",
    "null"
   ]
  },
  "queue_version_held": {
   "type": [
    "integer",
    "null"
   ],
   "description": "The work-queue version the device last said it holds (its signed task ack), since the hub started; compare with the versions of `/api/v1/tasks`."
  }
 }
});

json_schema!(DeviceList, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/Device"
   }
  }
 }
});

json_schema!(DeadLetterList, {
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
     "topic",
     "reason",
     "received_ms",
     "size",
     "payload_hex"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "topic": {
      "type": "string"
     },
     "reason": {
      "type": "string"
     },
     "received_ms": {
      "type": "integer"
     },
     "size": {
      "type": "integer"
     },
     "payload_hex": {
      "type": "string"
     }
    }
   }
  }
 }
});
