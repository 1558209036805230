//! The `hub` binary's subcommands that change the data directory's files
//! while a hub may be running: device identities and API tokens; and
//! imports (the region table, orders from CSV through the running hub).

pub mod device;
pub mod import;
pub mod report;
pub mod token;
