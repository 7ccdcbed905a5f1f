//! What the cases share: the raw client, the in-process server, the checks, and stores for the
//! error paths no healthy backend takes.

pub mod checks;
pub mod client;
pub mod server;
pub mod stores;
