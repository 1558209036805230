//! The hub's network side: the supervised embedded [`broker`], the
//! [`mqtt`] client that feeds the writer and publishes, from
//! [`outbound`], its acks and the devices' work queues (sealed by
//! [`sealer`]), and the [`timers`] that put the hold sweep and the nightly
//! reconciliation on the writer's queue. [`nodelay`] turns off Nagle on
//! the broker's sockets. [`external`] is the other way: the hub as a
//! client of an external broker (address, TLS, login, Mosquitto files).

pub mod broker;
pub mod external;
pub mod mqtt;
pub mod nodelay;
pub mod outbound;
pub mod sealer;
pub mod timers;
