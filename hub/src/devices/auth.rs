//! The embedded broker's connect check (rumqttd's external auth hook).
//!
//! Accepted: an active registered device whose password matches and whose
//! client id is its own (`agent-{site}-{device}`: a client id naming another
//! device would take over that device's session), and the hub's own
//! connection with the per-process secret made at start, under its own
//! client id or its broker probe's ([`InternalLogin::probe_client_id`]),
//! and which may also take the client id of a revoked device, to take its
//! session over and so drop its open connection ([`super::kick`]).
//! Everything else is refused: no credentials, unknown or revoked device,
//! wrong password.

use super::book::Devices;
use super::secrets::{self, constant_time_eq, RandomError};
use super::{agent_client_id, INTERNAL_USERNAME};

/// The hub's own login to its embedded broker.
#[derive(Clone)]
pub struct InternalLogin {
    /// Its client id, `hub-{site}`.
    pub client_id: String,
    /// Its username, [`INTERNAL_USERNAME`].
    pub username: String,
    /// A random secret made at start; never stored, never logged.
    pub password: String,
}

impl InternalLogin {
    /// A fresh login for the hub of `site`.
    pub fn generate(site: &str) -> Result<InternalLogin, RandomError> {
        Ok(InternalLogin {
            client_id: format!("hub-{site}"),
            username: INTERNAL_USERNAME.to_string(),
            password: secrets::new_password()?,
        })
    }

    /// The client id of the broker supervisor's health probe, beside the
    /// hub's own (`hub-{site}-probe`).
    pub fn probe_client_id(&self) -> String {
        format!("{}-probe", self.client_id)
    }
}

impl std::fmt::Debug for InternalLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalLogin")
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What the broker checks every connect against.
#[derive(Debug, Clone)]
pub struct BrokerAuth {
    /// The registry snapshot.
    pub devices: Devices,
    /// The hub's own login.
    pub internal: InternalLogin,
}

impl BrokerAuth {
    /// Whether this connect may proceed.
    pub fn allows(&self, client_id: &str, username: &str, password: &str) -> bool {
        let book = self.devices.current();
        if username == self.internal.username {
            let revoked_device = |id: &str| {
                book.revoked()
                    .any(|(device, site)| id == agent_client_id(site, device))
            };
            let hubs_own = client_id == self.internal.client_id
                || client_id == self.internal.probe_client_id();
            return (hubs_own || revoked_device(client_id))
                && constant_time_eq(password.as_bytes(), self.internal.password.as_bytes());
        }
        let Some(entry) = book.get(username) else {
            return false;
        };
        let allowed = entry.active
            && client_id == agent_client_id(&entry.site, username)
            && entry.password_matches(password);
        if allowed {
            super::kick::note_login(client_id);
        }
        allowed
    }

    /// The hook in the shape rumqttd wants. Refusals are logged without
    /// the password (rumqttd itself logs only that auth failed).
    pub fn install(self, settings: &mut rumqttd::ConnectionSettings) {
        settings.set_auth_handler(move |client_id: String, username: String, password: String| {
            let allowed = self.allows(&client_id, &username, &password);
            if !allowed {
                tracing::warn!(
                    client_id = %client_id.escape_debug(),
                    username = %username.escape_debug(),
                    "broker connect refused: unknown or revoked device, wrong password or client id"
                );
            }
            std::future::ready(allowed)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::book::{BookEntry, DeviceBook};
    use protocol::DeviceKey;

    #[test]
    fn only_active_devices_with_their_own_password_and_client_id_connect() {
        let mut book = DeviceBook::default();
        book.insert(
            "d1",
            BookEntry::new("s1", DeviceKey::from_bytes([1; 32]), "pw1"),
        );
        let mut revoked = BookEntry::new("s1", DeviceKey::from_bytes([2; 32]), "pw2");
        revoked.active = false;
        book.insert("d2", revoked);
        let internal = InternalLogin::generate("s1").unwrap();
        let secret = internal.password.clone();
        let auth = BrokerAuth {
            devices: Devices::new(book),
            internal,
        };
        let cases = [
            ("agent-s1-d1", "d1", "pw1", true),
            ("agent-s1-d1", "d1", "pw2", false),
            ("agent-s1-d1", "d1", "", false),
            ("agent-s1-d2", "d1", "pw1", false),
            ("agent-s1-d2", "d2", "pw2", false),
            ("agent-s1-d3", "d3", "pw1", false),
            ("hub-s1", "hub-internal", secret.as_str(), true),
            ("hub-s1", "hub-internal", "guess", false),
            // The supervisor's probe logs in as the hub, under its own id.
            ("hub-s1-probe", "hub-internal", secret.as_str(), true),
            ("hub-s1-probe", "hub-internal", "guess", false),
            // The hub takes over a revoked device's session, no other.
            ("agent-s1-d2", "hub-internal", secret.as_str(), true),
            ("agent-s1-d2", "hub-internal", "guess", false),
            ("agent-s1-d1", "hub-internal", secret.as_str(), false),
            ("hub-s2", "hub-internal", secret.as_str(), false),
            ("x", "", "", false),
        ];
        for (client, user, pass, want) in cases {
            assert_eq!(auth.allows(client, user, pass), want, "{client} {user}");
        }
    }
}
