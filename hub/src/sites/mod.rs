//! Several sites on one broker (issue 18): each hub is the single writer
//! of its site's pool and owns `wms/{site}/...` on a shared external
//! broker.
//!
//! * [`owner`]: a hub claims its site with a retained [`SiteClaim`] on
//!   `wms/{site}/hub/owner` that its last will clears; before it connects
//!   it looks (as its probe login) whether another live hub holds the
//!   claim and refuses to start if so, and while it runs it stops if
//!   another hub's claim appears (two hubs started at once).
//! * [`stock`]: each hub publishes its available stock per SKU, signed
//!   ([`signing`]), retained on `wms/{site}/hub/stock/{sku}`;
//! * [`peers`]: it believes the notices of the sites in `[peers]` (their
//!   keys), which routing reads;
//! * [`handoff`]: an order this site cannot fill and a peer's stock can
//!   is handed over to that peer's hub, sealed for the two of them.
//!
//! With the embedded broker none of this runs: that broker is the hub's own.
//!
//! [`SiteClaim`]: protocol::sites::SiteClaim

pub mod handoff;
pub mod owner;
pub mod peers;
pub mod signing;
pub mod stock;
