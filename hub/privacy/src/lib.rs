//! Customer personal data sealed at rest (issue 14, item 3).
//!
//! Name, phone and address of a customer are stored only as [`Sealed`]
//! values: AES-256-GCM under a per-customer [`DataKey`], a fresh random
//! nonce per value, and the field's context (say `"order:123/phone"`) bound
//! as associated data so a value cannot be moved to another field or order.
//! Each data key is kept only as a [`WrappedKey`]: encrypted under the hub's
//! [`MasterKey`] (from a 0600 key file or an environment variable) with the
//! customer id as associated data. Archiving a customer means deleting their
//! wrapped key; every value sealed under it is then unreadable.
//!
//! Orders from several platforms are linked to one customer by a
//! [`CustomerKey`], a keyed hash of the normalised phone, so the phone never
//! has to be stored or indexed in clear. The API shows only masked values
//! ([`mask_phone`], [`mask_name`], [`mask_street`]).
//!
//! Why a crate of its own: the compiler keeps key material and plaintext
//! behind this small API, and nothing here logs or does I/O besides the key
//! file. No error of this crate ever carries a personal value or key byte.

mod aead;
mod datakey;
mod error;
mod hash;
mod keyfile;
mod mask;
mod master;
mod sealed;

pub use datakey::{DataKey, WrappedKey};
pub use error::PrivacyError;
pub use hash::CustomerKey;
pub use keyfile::Created;
pub use mask::{mask_name, mask_phone, mask_street};
pub use master::MasterKey;
pub use sealed::Sealed;
