//! Orders: a shop's order from intake to shipping, as a deterministic
//! state machine (issue 14). [`clean`] turns what a platform or a person
//! typed into canonical, checked customer data.

pub mod clean;
