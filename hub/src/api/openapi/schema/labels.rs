//! Label batches and jobs, write-backs (`labels.rs`, `writebacks.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(LabelProgress, {
 "type": "object",
 "properties": {
  "labels": {
   "type": "integer"
  },
  "sent": {
   "type": "integer"
  },
  "queued": {
   "type": "integer"
  },
  "printed": {
   "type": "integer"
  },
  "failed": {
   "type": "integer"
  },
  "unsure": {
   "type": "integer"
  },
  "moved": {
   "type": "integer"
  },
  "closed": {
   "type": "integer"
  }
 }
});

json_schema!(LabelJob, {
 "type": "object",
 "properties": {
  "id": {
   "type": "integer"
  },
  "batch": {
   "type": "integer"
  },
  "position": {
   "type": "integer"
  },
  "batch_size": {
   "type": "integer"
  },
  "order": {
   "type": "integer"
  },
  "carrier": {
   "type": "string"
  },
  "tracking": {
   "type": "string"
  },
  "station": {
   "type": "string"
  },
  "state": {
   "type": "string",
   "enum": [
    "sent",
    "queued",
    "printed",
    "failed",
    "unsure",
    "moved",
    "closed"
   ]
  },
  "reason": {
   "type": [
    "string",
    "null"
   ],
   "description": "Why it failed or is unsure (`paper_out`, `head_open`, `no_answer`, `expired`, `interrupted` ...), or how it was closed."
  },
  "moved_to": {
   "type": [
    "integer",
    "null"
   ],
   "description": "The job it became at another station."
  },
  "created_ms": {
   "type": "integer"
  },
  "updated_ms": {
   "type": "integer"
  },
  "history": {
   "type": "array",
   "items": {
    "type": "object",
    "properties": {
     "at_ms": {
      "type": "integer"
     },
     "what": {
      "type": "string"
     }
    }
   }
  }
 }
});

json_schema!(LabelBatchList, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/LabelBatch"
   }
  }
 }
});

json_schema!(LabelBatch, {
 "type": "object",
 "properties": {
  "id": {
   "type": "integer"
  },
  "group": {
   "type": "string"
  },
  "by": {
   "type": "string",
   "description": "The token that asked for it."
  },
  "created_ms": {
   "type": "integer"
  },
  "progress": {
   "$ref": "#/components/schemas/LabelProgress"
  },
  "jobs": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/LabelJob"
   }
  }
 }
});

json_schema!(WritebackList, {
 "type": "object",
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "type": "object",
    "properties": {
     "order": {
      "type": "integer"
     },
     "platform": {
      "type": "string"
     },
     "platform_order_id": {
      "type": "string"
     },
     "carrier": {
      "type": "string"
     },
     "tracking": {
      "type": "string"
     },
     "attempts": {
      "type": "integer"
     },
     "next_at_ms": {
      "type": "integer"
     },
     "last_error": {
      "type": [
       "string",
       "null"
      ]
     },
     "parked": {
      "type": "boolean"
     }
    }
   }
  }
 }
});

json_schema!(FileParam, {
 "type": "string",
 "pattern": "^(0|[1-9][0-9]{0,18})\\.png$"
});

json_schema!(PreviewLabelAnswer200, {
 "type": "string",
 "format": "binary"
});
