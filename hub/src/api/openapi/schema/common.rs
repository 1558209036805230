//! Parameters and small answers several families share.
//! Answers the handlers build as `serde_json` values or through views,
//! and parameters they parse by hand: their shapes in JSON Schema.

use super::json_schema;

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

json_schema!(StateParam4, {
 "type": "string",
 "enum": [
  "open",
  "closed",
  "all"
 ]
});

json_schema!(AllParam, {
 "type": "string",
 "enum": [
  "true",
  "false"
 ],
 "default": "false"
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
