//! Work queues: tasks for the handhelds (`tasks.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(TaskPage, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/Task"
   }
  }
 }
});

json_schema!(Task, {
 "type": "object",
 "required": [
  "id",
  "site",
  "kind",
  "device",
  "zone",
  "rank",
  "orders",
  "lines",
  "created_ms",
  "closed_ms"
 ],
 "properties": {
  "id": {
   "type": "integer",
   "minimum": 1
  },
  "site": {
   "type": "string"
  },
  "kind": {
   "description": "`\"pick\"`, or `{\"count\": {\"count_task\": N}}` for a count from a discrepancy.",
   "oneOf": [
    {
     "type": "string",
     "enum": [
      "pick"
     ]
    },
    {
     "type": "object",
     "required": [
      "count"
     ],
     "properties": {
      "count": {
       "type": "object",
       "required": [
        "count_task"
       ],
       "properties": {
        "count_task": {
         "type": "integer"
        }
       }
      }
     }
    }
   ]
  },
  "device": {
   "type": [
    "string",
    "null"
   ],
   "description": "The device doing it, once assigned."
  },
  "zone": {
   "type": "string",
   "description": "Its zone (empty: no zone)."
  },
  "rank": {
   "type": "object",
   "required": [
    "class",
    "due_ms"
   ],
   "properties": {
    "class": {
     "type": "string",
     "enum": [
      "express",
      "standard",
      "count"
     ]
    },
    "due_ms": {
     "type": "integer"
    }
   }
  },
  "orders": {
   "type": "array",
   "items": {
    "type": "integer"
   }
  },
  "lines": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/TaskLine"
   }
  },
  "created_ms": {
   "type": "integer"
  },
  "closed_ms": {
   "type": [
    "integer",
    "null"
   ]
  }
 }
});

json_schema!(TaskLine, {
 "type": "object",
 "required": [
  "line",
  "order",
  "order_line",
  "sku",
  "location",
  "lot",
  "expiry",
  "quantity",
  "state",
  "done_by"
 ],
 "properties": {
  "line": {
   "type": "integer",
   "minimum": 0,
   "description": "With the task id, what a scan names: `{task}:{line}` in the movement's `task`."
  },
  "order": {
   "type": [
    "integer",
    "null"
   ]
  },
  "order_line": {
   "type": "integer"
  },
  "sku": {
   "type": "string"
  },
  "location": {
   "type": "string"
  },
  "lot": {
   "type": "string",
   "description": "Suggested lot, first expiry first out (empty: none)."
  },
  "expiry": {
   "type": [
    "string",
    "null"
   ]
  },
  "quantity": {
   "type": "integer",
   "description": "Units to pick (0 for a count)."
  },
  "state": {
   "description": "`\"open\"`, `{\"confirmed\": QTY}`, `{\"short\": [QTY, REASON]}` or `{\"moved\": {\"task\": N, \"line\": N}}` (handed to another device).",
   "oneOf": [
    {
     "type": "string",
     "enum": [
      "open"
     ]
    },
    {
     "type": "object",
     "required": [
      "confirmed"
     ],
     "properties": {
      "confirmed": {
       "type": "integer"
      }
     }
    },
    {
     "type": "object",
     "required": [
      "short"
     ],
     "properties": {
      "short": {
       "type": "array"
      }
     }
    },
    {
     "type": "object",
     "required": [
      "moved"
     ],
     "properties": {
      "moved": {
       "type": "object",
       "required": [
        "task",
        "line"
       ],
       "properties": {
        "task": {
         "type": "integer"
        },
        "line": {
         "type": "integer"
        }
       }
      }
     }
    }
   ]
  },
  "done_by": {
   "oneOf": [
    {
     "type": "null"
    },
    {
     "type": "object",
     "required": [
      "device",
      "epoch",
      "seq"
     ],
     "properties": {
      "device": {
       "type": "string"
      },
      "epoch": {
       "type": "integer"
      },
      "seq": {
       "type": "integer"
      }
     }
    }
   ]
  }
 }
});
