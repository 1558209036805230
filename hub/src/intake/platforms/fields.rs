//! Reading a platform's JSON field by field, with errors that name the
//! field's full path (`trade.orders.order[1].num`) and never its value.
//!
//! Platform payloads are read as an untyped [`serde_json::Value`] and
//! walked by hand rather than derived into structs, for three reasons:
//! every field the platform adds later is simply never looked at (unknown
//! fields are accepted, as the platforms' own SDKs do); a field may come as
//! a number or a string depending on the platform's version (`tid`,
//! JD's `itemTotal`), which a derive would turn into a type error; and a
//! type error from serde quotes the offending value, which for a
//! `receiver_mobile` is personal data. Here a message says what was wanted
//! and where, nothing of what came.

use super::PlatformError;
use serde_json::{Map, Value};

/// One JSON object of the payload and where it sits in it.
#[derive(Debug, Clone)]
pub struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

/// Parses the body as one JSON document. The error keeps only the kind
/// of fault and its position, never a fragment of the input.
pub fn parse(body: &[u8]) -> Result<Value, PlatformError> {
    serde_json::from_slice(body).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Eof => "it ends too early",
            serde_json::error::Category::Io => "it could not be read",
            _ => "it has a syntax error",
        };
        PlatformError::NotJson(format!(
            "{kind} at line {}, column {}",
            e.line(),
            e.column()
        ))
    })
}

/// The first of `paths` (each a chain of object keys) that leads to an
/// object in `root`; `root` itself when none does. Lets an adapter take
/// both a platform's whole response and the order object inside it.
pub fn unwrap<'a>(root: &'a Value, paths: &[&[&str]]) -> (&'a Value, String) {
    for path in paths {
        let mut at = root;
        let mut found = true;
        for key in *path {
            match at.get(key) {
                Some(next) if next.is_object() => at = next,
                _ => {
                    found = false;
                    break;
                }
            }
        }
        if found {
            return (at, path.join("."));
        }
    }
    (root, String::new())
}

impl<'a> Obj<'a> {
    /// The object `value`, known as `path` in messages (`""` for the body).
    pub fn new(value: &'a Value, path: &str) -> Result<Obj<'a>, PlatformError> {
        match value.as_object() {
            Some(map) => Ok(Obj {
                path: path.to_string(),
                map,
            }),
            None => Err(PlatformError::Invalid {
                field: if path.is_empty() {
                    "the body".into()
                } else {
                    path.into()
                },
                why: "must be a JSON object".into(),
            }),
        }
    }

    /// The full path of the field `name` of this object.
    pub fn at(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn invalid(&self, name: &str, why: &str) -> PlatformError {
        PlatformError::Invalid {
            field: self.at(name),
            why: why.to_string(),
        }
    }

    /// Whether the field is there (and not `null`).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A nested object that must be there.
    pub fn object(&self, name: &str) -> Result<Obj<'a>, PlatformError> {
        let value = self
            .get(name)
            .ok_or_else(|| PlatformError::Missing(self.at(name)))?;
        Obj::new(value, &self.at(name))
    }

    /// A list of objects that must be there (it may be empty). A list
    /// wrapped the way TOP's JSON wraps them (`{"order": [...]}`) is
    /// taken too, when `wrapper` names the key.
    pub fn array(&self, name: &str, wrapper: Option<&str>) -> Result<Vec<Obj<'a>>, PlatformError> {
        let mut value = self
            .get(name)
            .ok_or_else(|| PlatformError::Missing(self.at(name)))?;
        let mut path = self.at(name);
        if let (Some(key), Some(inner)) = (wrapper, value.as_object()) {
            value = inner
                .get(key)
                .filter(|v| !v.is_null())
                .ok_or_else(|| PlatformError::Missing(format!("{path}.{key}")))?;
            path = format!("{path}.{key}");
        }
        let items = value.as_array().ok_or_else(|| PlatformError::Invalid {
            field: path.clone(),
            why: "must be a list".into(),
        })?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Obj::new(item, &format!("{path}[{i}]")))
            .collect()
    }

    /// An identifier: text, or a whole number (platforms send order ids
    /// both ways); required and not blank.
    pub fn id(&self, name: &str) -> Result<String, PlatformError> {
        let value = self
            .get(name)
            .ok_or_else(|| PlatformError::Missing(self.at(name)))?;
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) if n.is_u64() => n.to_string(),
            _ => return Err(self.invalid(name, "must be text or a whole number")),
        };
        if text.is_empty() {
            return Err(PlatformError::Missing(self.at(name)));
        }
        Ok(text)
    }

    /// Text that must be there and not blank.
    pub fn text(&self, name: &str) -> Result<String, PlatformError> {
        let text = self.opt_text(name)?;
        if text.is_empty() {
            return Err(PlatformError::Missing(self.at(name)));
        }
        Ok(text)
    }

    /// Text that may be missing, `null` or blank (then `""`); a number is
    /// taken as its digits (postal codes, phone numbers).
    pub fn opt_text(&self, name: &str) -> Result<String, PlatformError> {
        match self.get(name) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.trim().to_string()),
            Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
            Some(_) => Err(self.invalid(name, "must be text")),
        }
    }

    /// A flag that may be missing (then `false`).
    pub fn flag(&self, name: &str) -> Result<bool, PlatformError> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.invalid(name, "must be true or false")),
        }
    }

    /// A time that may be missing: given when it is a non-empty string or
    /// a number above zero (Shopee sends 0 for "not yet").
    pub fn time_given(&self, name: &str) -> Result<bool, PlatformError> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::String(s)) => Ok(!s.trim().is_empty()),
            Some(Value::Number(n)) => Ok(n.as_f64().is_some_and(|t| t > 0.0)),
            Some(_) => Err(self.invalid(name, "must be a time (text or a number)")),
        }
    }

    /// A unit count: a whole number (or text of one) from 1 to
    /// [`protocol::MAX_QUANTITY`].
    pub fn quantity(&self, name: &str) -> Result<i64, PlatformError> {
        let value = self
            .get(name)
            .ok_or_else(|| PlatformError::Missing(self.at(name)))?;
        let max = protocol::MAX_QUANTITY;
        let why = format!("must be a whole number from 1 to {max}");
        let n = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        }
        .ok_or_else(|| self.invalid(name, &why))?;
        if !(1..=max).contains(&n) {
            return Err(self.invalid(name, &format!("{why}, got {n}")));
        }
        Ok(n)
    }
}
