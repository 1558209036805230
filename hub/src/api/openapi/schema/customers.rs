//! Customer records, personal data in clear and its audit (`customers.rs`, `order_access.rs`).
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

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

json_schema!(KeyParam, {
 "type": "string",
 "pattern": "^[0-9a-fA-F]{64}$"
});
