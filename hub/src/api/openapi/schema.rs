//! Schemas still written as JSON (phase 1 of the move to derives).

use super::shared::{error_response, json_schema};
pub(crate) use hub_core::openapi::Id;
use std::borrow::Cow;
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

/// A change-feed event name, as webhooks are registered for
/// ([`crate::webhooks::EVENTS`]).
pub(crate) struct FeedEventName;

impl utoipa::PartialSchema for FeedEventName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(crate::webhooks::EVENTS))
            .into()
    }
}

impl utoipa::ToSchema for FeedEventName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("FeedEventName")
    }
}

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
json_schema!(PickSuggestions, {
 "type": "object",
 "required": [
  "sku",
  "quantity",
  "covered",
  "suggestions"
 ],
 "properties": {
  "sku": {
   "type": "string"
  },
  "quantity": {
   "type": "integer"
  },
  "covered": {
   "type": "integer"
  },
  "suggestions": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/LotPick"
   }
  }
 }
});
json_schema!(Reason, {
 "type": "object",
 "required": [
  "code",
  "field",
  "message"
 ],
 "properties": {
  "code": {
   "type": "string",
   "description": "e.g. `district_not_in_city`, `backorder`, `payment_timeout`."
  },
  "field": {
   "type": "string",
   "description": "The field it is about (`address.district`), or empty."
  },
  "message": {
   "type": "string"
  }
 }
});
json_schema!(Transition, {
 "type": "object",
 "required": [
  "state",
  "at_ms",
  "note"
 ],
 "properties": {
  "state": {
   "$ref": "#/components/schemas/OrderState"
  },
  "at_ms": {
   "type": "integer"
  },
  "note": {
   "type": "string"
  }
 }
});
json_schema!(OrderCustomer, {
 "type": "object",
 "description": "Masked: clear values only through `/api/v1/orders/{id}/customer`.",
 "required": [
  "customer_key",
  "name_masked",
  "phone_masked",
  "region",
  "street_masked",
  "country"
 ],
 "properties": {
  "customer_key": {
   "type": "string",
   "description": "The customer's keyed hash (`/api/v1/customers/{key}`)."
  },
  "name_masked": {
   "type": "string"
  },
  "phone_masked": {
   "type": "string"
  },
  "region": {
   "type": "string"
  },
  "street_masked": {
   "type": "string"
  },
  "country": {
   "type": "string"
  }
 }
});
json_schema!(Order, {
 "type": "object",
 "required": [
  "id",
  "platform",
  "platform_order_id",
  "channel",
  "service",
  "paid",
  "customer",
  "lines",
  "tags",
  "state",
  "history",
  "reservation",
  "hold_until_ms",
  "exceptions",
  "fixes",
  "site",
  "route_reason",
  "created_ms",
  "updated_ms",
  "due_ms",
  "stuck_alerted",
  "shipment",
  "returns",
  "time_in_states_ms"
 ],
 "properties": {
  "id": {
   "type": "integer"
  },
  "platform": {
   "type": "string"
  },
  "platform_order_id": {
   "type": "string"
  },
  "channel": {
   "type": "string"
  },
  "service": {
   "$ref": "#/components/schemas/Service"
  },
  "paid": {
   "type": "boolean"
  },
  "customer": {
   "$ref": "#/components/schemas/OrderCustomer"
  },
  "lines": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/OrderLine"
   }
  },
  "tags": {
   "type": "array",
   "items": {
    "type": "string"
   }
  },
  "state": {
   "$ref": "#/components/schemas/OrderState"
  },
  "history": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/Transition"
   }
  },
  "reservation": {
   "type": [
    "integer",
    "null"
   ],
   "description": "The hold on its stock, while one does."
  },
  "hold_until_ms": {
   "type": [
    "integer",
    "null"
   ],
   "description": "When the unpaid hold ends."
  },
  "exceptions": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/Reason"
   }
  },
  "fixes": {
   "type": "array",
   "items": {
    "type": "string"
   },
   "description": "What the cleaner changed (no personal data)."
  },
  "site": {
   "type": "string"
  },
  "route_reason": {
   "type": "string"
  },
  "created_ms": {
   "type": "integer"
  },
  "updated_ms": {
   "type": "integer"
  },
  "due_ms": {
   "type": "integer"
  },
  "stuck_alerted": {
   "type": "boolean"
  },
  "returns": {
   "type": "array",
   "description": "Units that came back, as the receiving desk scanned them (a `return` movement).",
   "items": {
    "type": "object",
    "required": [
     "sku",
     "quantity",
     "reason",
     "location",
     "at_ms"
    ],
    "properties": {
     "sku": {
      "type": "string"
     },
     "quantity": {
      "type": "integer"
     },
     "reason": {
      "type": "string",
      "enum": [
       "resaleable",
       "damaged",
       "wrong_item",
       "unwanted"
      ]
     },
     "location": {
      "type": "string",
      "description": "Where they went (`QUAR...` for damaged ones: counted, never available)."
     },
     "at_ms": {
      "type": "integer"
     }
    }
   }
  },
  "shipment": {
   "description": "Its parcel, once its label printed: the carrier and the tracking number (a `ship` scan of it at the dock ships the order).",
   "oneOf": [
    {
     "type": "null"
    },
    {
     "type": "object",
     "required": [
      "carrier",
      "tracking"
     ],
     "properties": {
      "carrier": {
       "type": "string"
      },
      "tracking": {
       "type": "string"
      }
     }
    }
   ]
  },
  "time_in_states_ms": {
   "type": "object",
   "description": "Ms spent in each state so far (repeat visits added), the current one up to now.",
   "propertyNames": {
    "type": "string",
    "enum": [
     "received",
     "validated",
     "held",
     "paid",
     "routed",
     "picking",
     "picked",
     "packed",
     "labelled",
     "shipped",
     "cancelled",
     "exception"
    ]
   },
   "additionalProperties": {
    "type": "integer"
   }
  }
 }
});
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
json_schema!(OrderPage, {
 "type": "object",
 "required": [
  "items"
 ],
 "properties": {
  "items": {
   "type": "array",
   "items": {
    "$ref": "#/components/schemas/Order"
   }
  }
 }
});
json_schema!(CustomerData, {
 "type": "object",
 "required": [
  "name",
  "phone",
  "country",
  "province",
  "city",
  "district",
  "street",
  "postal_code",
  "remarks"
 ],
 "properties": {
  "name": {
   "type": "string"
  },
  "phone": {
   "type": "string",
   "description": "11 digits in China, E.164 elsewhere."
  },
  "country": {
   "type": "string"
  },
  "province": {
   "type": "string"
  },
  "city": {
   "type": "string"
  },
  "district": {
   "type": "string"
  },
  "street": {
   "type": "string"
  },
  "postal_code": {
   "type": "string"
  },
  "remarks": {
   "type": "string"
  }
 }
});
json_schema!(AuditList, {
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
     "at_ms",
     "who",
     "action",
     "reason",
     "order",
     "customer"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "at_ms": {
      "type": "integer"
     },
     "who": {
      "type": "string",
      "description": "The token's name, or the hub's own part."
     },
     "action": {
      "type": "string",
      "description": "`read_customer`, `set_tags`, `archive_customer`, ..."
     },
     "reason": {
      "type": "string"
     },
     "order": {
      "type": [
       "integer",
       "null"
      ]
     },
     "customer": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   }
  }
 }
});
json_schema!(CustomerRecord, {
 "type": "object",
 "required": [
  "key",
  "tags",
  "orders",
  "first_ms",
  "last_ms",
  "archived"
 ],
 "properties": {
  "key": {
   "type": "string"
  },
  "tags": {
   "type": "array",
   "items": {
    "type": "string"
   }
  },
  "orders": {
   "type": "integer"
  },
  "first_ms": {
   "type": "integer"
  },
  "last_ms": {
   "type": "integer"
  },
  "archived": {
   "type": "boolean"
  }
 }
});
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
json_schema!(WebhookCreated, {
 "type": "object",
 "required": [
  "id",
  "url",
  "events",
  "max_attempts",
  "created_ms",
  "secret"
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
   },
   "description": "Empty: all."
  },
  "max_attempts": {
   "type": "integer"
  },
  "created_ms": {
   "type": "integer"
  },
  "secret": {
   "type": "string",
   "description": "Shown this once."
  }
 }
});
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
json_schema!(LimitParam, {
 "type": "integer",
 "minimum": 1,
 "maximum": 1000,
 "default": 100
});
json_schema!(IdParam, {
 "type": "integer",
 "minimum": 0,
 "maximum": u64::MAX
});
json_schema!(StateParam, {
 "type": "string",
 "enum": [
  "open",
  "acknowledged",
  "cleared"
 ]
});
json_schema!(StateParam2, {
 "type": "string",
 "enum": [
  "open",
  "closed",
  "all"
 ],
 "default": "all"
});
json_schema!(StateParam3, {
 "type": "string",
 "enum": [
  "open",
  "done",
  "all"
 ],
 "default": "all"
});
json_schema!(QuantityParam, {
 "type": "integer",
 "minimum": 1,
 "maximum": 1000000
});
json_schema!(ReasonParam, {
 "type": "string",
 "minLength": 1,
 "maxLength": 200,
 "pattern": "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
});
json_schema!(AllParam, {
 "type": "string",
 "enum": [
  "true",
  "false"
 ],
 "default": "false"
});
json_schema!(KeyParam, {
 "type": "string",
 "pattern": "^[0-9a-fA-F]{64}$"
});
json_schema!(PlatformParam, {
 "type": "string",
 "enum": [
  "taobao",
  "jd",
  "shopee"
 ]
});
json_schema!(FormatParam, {
 "type": "string",
 "enum": [
  "json",
  "csv"
 ],
 "default": "json"
});
json_schema!(StateParam4, {
 "type": "string",
 "enum": [
  "open",
  "closed",
  "all"
 ]
});
json_schema!(FileParam, {
 "type": "string",
 "pattern": "^(0|[1-9][0-9]{0,18})\\.png$"
});
json_schema!(EventParam, {
 "type": "integer",
 "minimum": 0
});
json_schema!(WeekParam, {
 "type": "string",
 "pattern": "^(197[1-9]|19[89][0-9]|[2-9][0-9]{3})-[Ww](0[1-9]|[1-4][0-9]|5[0-3])$"
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
json_schema!(OffsetMinutesParam, {
 "type": "integer",
 "minimum": -840,
 "maximum": 840
});
json_schema!(OpenapiAnswer200, {
 "type": "object"
});
json_schema!(WhoamiAnswer200, {
 "type": "object",
 "required": [
  "role"
 ],
 "properties": {
  "role": {
   "type": "string",
   "enum": [
    "viewer",
    "integrator",
    "operator"
   ]
  }
 }
});
json_schema!(RemoveSafetyRuleAnswer200, {
 "type": "object",
 "required": [
  "sku",
  "removed"
 ],
 "properties": {
  "sku": {
   "type": "string"
  },
  "removed": {
   "type": "boolean",
   "enum": [
    true
   ]
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
json_schema!(IntakePlatformOrderBody, {
 "type": "object",
 "additionalProperties": true,
 "description": "The platform's order as its open API returns it."
});
json_schema!(PreviewLabelAnswer200, {
 "type": "string",
 "format": "binary"
});
json_schema!(RetryWritebackAnswer202, {
 "type": "object",
 "properties": {
  "order": {
   "type": "integer"
  },
  "retry": {
   "type": "string"
  }
 }
});
json_schema!(DeleteWebhookAnswer200, {
 "type": "object",
 "required": [
  "id",
  "deleted"
 ],
 "properties": {
  "id": {
   "type": "integer"
  },
  "deleted": {
   "type": "boolean",
   "enum": [
    true
   ]
  }
 }
});
json_schema!(RedeliverWebhookDeadLetterAnswer200, {
 "type": "object",
 "required": [
  "hook",
  "event_id",
  "delivered"
 ],
 "properties": {
  "hook": {
   "type": "integer"
  },
  "event_id": {
   "type": "integer"
  },
  "delivered": {
   "type": "boolean",
   "enum": [
    true
   ]
  }
 }
});

error_response!(BadRequest, "Malformed request or a value out of range: `bad_request`, `invalid_body` (a field unknown, missing or of the wrong type), `malformed_json`, `bad_body`, `bad_framing`.");
error_response!(Unauthorized, "No token (`unauthorized`), or one that is unknown, revoked or not `Bearer TOKEN` (`invalid_token`); with `WWW-Authenticate: Bearer realm=\"wms-hub\"`.", header = "WWW-Authenticate");
error_response!(
    Forbidden,
    "The token's role is too weak (`forbidden`); the message names the role needed."
);
error_response!(NotFound, "Nothing at that address: `unknown_sku`, `unknown_reservation`, `unknown_order`, `unknown_allocation`, `unknown_customer`, `unknown_report`, `unknown_platform`, `no_safety_rule` (and `not_found` for a path no route matches).");
error_response!(
    MethodNotAllowed,
    "A method the path does not serve (`method_not_allowed`), with `Allow`.",
    header = "Allow"
);
error_response!(
    BodyTimeout,
    "The body did not arrive within `http_body_timeout_ms` (`body_timeout`)."
);
error_response!(Conflict, "The pool's state does not allow it: `insufficient_stock`, `below_safety_stock` (both with `shortfall`), `reservation_state`, `order_state`.");
error_response!(
    PayloadTooLarge,
    "The body is over the route's limit (`payload_too_large`)."
);
error_response!(UnsupportedMediaType, "The body is not declared `application/json` (charset utf-8 at most) (`unsupported_media_type`).");
error_response!(Unprocessable, "Well-formed, but names something that cannot be used: `unknown_sku` (`details.skus`), `idempotency_key_reused`, `not_fulfillable`, `bad_csv` (`details.lines`, `details.lines_in_error`).");
error_response!(Unavailable, "The hub is stopping, or the store could not commit and nothing was applied: retry (`unavailable`).");
error_response!(StoreFailure, "The store failed to read (`store_failure`).");
error_response!(BadGateway, "A service the hub called failed: `carrier_failed` (the carrier issued no waybill; the message names the order and what the carrier said).");
