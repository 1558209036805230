//! Discrepancies, count tasks, pick suggestions (`exceptions.rs`, `lots.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(DiscrepancyList, {
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
     "sku",
     "location",
     "lot",
     "movement",
     "expected",
     "scanned",
     "device",
     "seq",
     "opened_ms",
     "count_task",
     "resolution",
     "state"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "sku": {
      "type": "string"
     },
     "location": {
      "type": "string"
     },
     "lot": {
      "type": "string"
     },
     "movement": {
      "type": "string"
     },
     "expected": {
      "type": "integer"
     },
     "scanned": {
      "type": "integer"
     },
     "device": {
      "type": "string"
     },
     "seq": {
      "type": "integer"
     },
     "opened_ms": {
      "type": "integer"
     },
     "count_task": {
      "type": "integer"
     },
     "resolution": {
      "oneOf": [
       {
        "type": "null"
       },
       {
        "type": "object",
        "required": [
         "device",
         "seq",
         "counted",
         "adjustment",
         "closed_ms"
        ],
        "properties": {
         "device": {
          "type": "string"
         },
         "seq": {
          "type": "integer"
         },
         "counted": {
          "type": "integer"
         },
         "adjustment": {
          "type": "integer"
         },
         "closed_ms": {
          "type": "integer"
         }
        }
       }
      ]
     },
     "state": {
      "type": "string",
      "enum": [
       "open",
       "closed"
      ]
     }
    }
   }
  }
 }
});

json_schema!(CountTaskList, {
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
     "sku",
     "location",
     "created_ms",
     "done_ms",
     "task",
     "state"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "sku": {
      "type": "string"
     },
     "location": {
      "type": "string"
     },
     "created_ms": {
      "type": "integer"
     },
     "done_ms": {
      "type": [
       "integer",
       "null"
      ]
     },
     "task": {
      "type": "string",
      "description": "`count-{id}`"
     },
     "state": {
      "type": "string",
      "enum": [
       "open",
       "done"
      ]
     }
    }
   }
  }
 }
});

json_schema!(QuantityParam, {
 "type": "integer",
 "minimum": 1,
 "maximum": 1000000
});
