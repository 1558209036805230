//! Orders, their customers and the audit (`orders.rs`, `customers.rs`, `intake.rs`): the order is served through a view (masked customer, time in states).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

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
  "handoff",
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
  "handoff": {
   "description": "Handed over to another site's hub (this site could not fill it; DEPLOY.md): the site, and its order id there once that hub took it in (until then the order waits as a `handoff_pending` exception).",
   "oneOf": [
    {"type": "null"},
    {
     "type": "object",
     "required": ["site", "remote_id"],
     "properties": {"site": {"type": "string"}, "remote_id": {"type": ["integer", "null"]}}
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

json_schema!(ReasonParam, {
 "type": "string",
 "minLength": 1,
 "maxLength": 200,
 "pattern": "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
});

json_schema!(PlatformParam, {
 "type": "string",
 "enum": [
  "taobao",
  "jd",
  "shopee"
 ]
});

json_schema!(IntakePlatformOrderBody, {
 "type": "object",
 "additionalProperties": true,
 "description": "The platform's order as its open API returns it."
});
