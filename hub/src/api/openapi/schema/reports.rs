//! Reconciliation and timeliness reports (`reconciliations.rs`, `reports.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

json_schema!(ReconciliationSummary, {
 "type": "object",
 "required": [
  "id",
  "trigger",
  "created_ms",
  "pool_matches_log",
  "flagged_for_audit"
 ],
 "properties": {
  "id": {
   "type": "integer"
  },
  "trigger": {
   "type": "string",
   "description": "`api` or `nightly`."
  },
  "created_ms": {
   "type": "integer"
  },
  "pool_matches_log": {
   "type": "boolean"
  },
  "flagged_for_audit": {
   "type": "integer"
  }
 }
});

json_schema!(ReconciliationList, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/ReconciliationSummary"
   }
  }
 }
});

json_schema!(ReconciliationReport, {
 "type": "object",
 "required": [
  "id",
  "trigger",
  "created_ms",
  "pool_matches_log",
  "verification",
  "erp",
  "flagged_for_audit"
 ],
 "properties": {
  "id": {
   "type": "integer"
  },
  "trigger": {
   "type": "string"
  },
  "created_ms": {
   "type": "integer"
  },
  "pool_matches_log": {
   "type": "boolean"
  },
  "verification": {
   "type": "object",
   "required": [
    "events",
    "movements",
    "stock_differences",
    "reserved_differences"
   ],
   "properties": {
    "events": {
     "type": "integer"
    },
    "movements": {
     "type": "integer"
    },
    "stock_differences": {
     "type": "array",
     "items": {
      "type": "object",
      "required": [
       "sku",
       "location",
       "lot",
       "stored",
       "replayed"
      ],
      "properties": {
       "sku": {
        "type": "string"
       },
       "location": {
        "type": "string"
       },
       "lot": {
        "type": "string"
       },
       "stored": {
        "type": "integer"
       },
       "replayed": {
        "type": "integer"
       }
      }
     }
    },
    "reserved_differences": {
     "type": "array",
     "items": {
      "type": "object",
      "required": [
       "sku",
       "stored",
       "expected"
      ],
      "properties": {
       "sku": {
        "type": "string"
       },
       "stored": {
        "type": "integer"
       },
       "expected": {
        "type": "integer"
       }
      }
     }
    }
   }
  },
  "erp": {
   "oneOf": [
    {
     "type": "null"
    },
    {
     "type": "object",
     "required": [
      "source",
      "rows",
      "errors",
      "error_lines",
      "variances"
     ],
     "properties": {
      "source": {
       "type": "string"
      },
      "rows": {
       "type": "integer"
      },
      "errors": {
       "type": "array",
       "description": "`[line, message]`, the first 100.",
       "items": {
        "type": "array",
        "description": "The line number, then the message.",
        "minItems": 2,
        "maxItems": 2,
        "items": {
         "type": [
          "integer",
          "string"
         ]
        }
       }
      },
      "error_lines": {
       "type": "integer"
      },
      "variances": {
       "type": "array",
       "items": {
        "type": "object",
        "required": [
         "sku",
         "pool",
         "erp",
         "variance",
         "variance_pct",
         "audit"
        ],
        "properties": {
         "sku": {
          "type": "string"
         },
         "pool": {
          "type": "integer"
         },
         "erp": {
          "type": "integer"
         },
         "variance": {
          "type": "integer"
         },
         "variance_pct": {
          "type": "number"
         },
         "audit": {
          "type": "boolean"
         }
        }
       }
      }
     }
    }
   ]
  },
  "flagged_for_audit": {
   "type": "integer"
  }
 }
});

json_schema!(GroupReport, {
 "type": "object",
 "required": [
  "orders",
  "open",
  "shipped",
  "cancelled",
  "sla_met",
  "sla_pending",
  "sla_missed",
  "sla_excluded",
  "sla_share",
  "exceptions",
  "exception_share",
  "states"
 ],
 "properties": {
  "orders": {
   "type": "integer"
  },
  "open": {
   "type": "integer"
  },
  "shipped": {
   "type": "integer"
  },
  "cancelled": {
   "type": "integer"
  },
  "sla_met": {
   "type": "integer"
  },
  "sla_pending": {
   "type": "integer"
  },
  "sla_missed": {
   "type": "integer"
  },
  "sla_excluded": {
   "type": "integer"
  },
  "sla_share": {
   "type": [
    "number",
    "null"
   ]
  },
  "exceptions": {
   "type": "integer"
  },
  "exception_share": {
   "type": [
    "number",
    "null"
   ]
  },
  "states": {
   "type": "array",
   "items": {
    "type": "object",
    "required": [
     "state",
     "count",
     "mean_ms",
     "p50_ms",
     "p90_ms"
    ],
    "properties": {
     "state": {
      "$ref": "#/components/schemas/OrderState"
     },
     "count": {
      "type": "integer"
     },
     "mean_ms": {
      "type": "integer"
     },
     "p50_ms": {
      "type": "integer"
     },
     "p90_ms": {
      "type": "integer"
     }
    }
   }
  }
 }
});

json_schema!(KeyedGroupReport, {
 "type": "object",
 "required": [
  "key",
  "span",
  "report"
 ],
 "properties": {
  "key": {
   "type": "string",
   "description": "The site id or the shift's name; `(none)` for orders in none."
  },
  "span": {
   "type": "string",
   "description": "Shifts: `HH:MM-HH:MM` local; empty for sites."
  },
  "report": {
   "$ref": "#/components/schemas/GroupReport"
  }
 }
});

json_schema!(TimelinessReport, {
 "type": "object",
 "required": [
  "week",
  "offset_minutes",
  "start_ms",
  "end_ms",
  "cutoff_ms",
  "total",
  "sites",
  "shifts"
 ],
 "properties": {
  "week": {
   "type": "string",
   "description": "`YYYY-Www`"
  },
  "offset_minutes": {
   "type": "integer"
  },
  "start_ms": {
   "type": "integer"
  },
  "end_ms": {
   "type": "integer"
  },
  "cutoff_ms": {
   "type": "integer"
  },
  "total": {
   "$ref": "#/components/schemas/GroupReport"
  },
  "sites": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/KeyedGroupReport"
   }
  },
  "shifts": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/KeyedGroupReport"
   }
  }
 }
});

json_schema!(FormatParam, {
 "type": "string",
 "enum": [
  "json",
  "csv"
 ],
 "default": "json"
});

json_schema!(FormatParam2, {
 "type": "string",
 "enum": [
  "json",
  "csv",
  "html"
 ],
 "default": "json"
});

json_schema!(WeekParam, {
 "type": "string",
 "pattern": "^(197[1-9]|19[89][0-9]|[2-9][0-9]{3})-[Ww](0[1-9]|[1-4][0-9]|5[0-3])$"
});

json_schema!(OffsetMinutesParam, {
 "type": "integer",
 "minimum": -840,
 "maximum": 840
});
