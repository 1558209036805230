//! The `hub` binary's subcommands that change the data directory's files
//! while a hub may be running: device identities and API tokens.

pub mod device;
pub mod token;
