//! API tokens (promise 12): who may call the HTTP API, and with which role.
//!
//! * [`file`]: the file `DATA/tokens.json` (a [`crate::datafile`] file, so
//!   `hub token create|list|revoke` work whether or not the hub runs), with
//!   each token stored only as a salted SHA-256, and the first-start
//!   operator token in `DATA/operator-token`.
//! * [`book`]: the running hub's parsed snapshot, reloaded within
//!   [`crate::datafile::POLL`] of a change, that the API's auth layer checks
//!   every bearer token against in constant time.
//!
//! Which role each route needs is the API's business:
//! `crate::api::auth`.

pub mod book;
pub mod file;

pub use book::{load_book, watch, Holder, TokenBook, Tokens};
pub use file::{TokenError, TokenFile, TokenRecord, TokenRegistry, OPERATOR_TOKEN_FILE};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a token may do; each role may do everything the one before may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads (every GET, and `/metrics`).
    Viewer,
    /// Also holds and gives back stock (reservations), and later pushes
    /// orders: what a shop platform needs.
    Integrator,
    /// Everything: confirming holds, safety rules, reconciliations.
    Operator,
}

impl Role {
    /// Its name as stored and as typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Integrator => "integrator",
            Role::Operator => "operator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A role name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected viewer, integrator or operator")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "integrator" => Ok(Role::Integrator),
            "operator" => Ok(Role::Operator),
            other => Err(UnknownRole(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_print_and_rank() {
        for role in [Role::Viewer, Role::Integrator, Role::Operator] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(Role::Viewer < Role::Integrator && Role::Integrator < Role::Operator);
        let err = "admin".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("unknown role \"admin\""), "{err}");
        assert!("Operator".parse::<Role>().is_err());
    }
}
