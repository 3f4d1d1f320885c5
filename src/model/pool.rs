//! Client connection pools between a caller service and a callee service.

use super::ServiceId;
use crate::kernel::SimTime;

/// How a pool's connections carry requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// HTTP/1.1: one request in flight per connection.
    Rest,
    /// HTTP/2: up to `max_streams` requests multiplexed on each connection.
    Grpc,
}

impl PoolKind {
    /// The TOML spelling.
    pub fn label(self) -> &'static str {
        match self {
            PoolKind::Rest => "rest",
            PoolKind::Grpc => "grpc",
        }
    }
}

/// `[services.CALLER.pools.CALLEE]`: every replica of `caller` holds one such pool for
/// its synchronous calls to `callee`. A call attempt holds a slot (a connection, or a
/// stream of one) from its send until its reply or its abandonment.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    /// The calling service (the pool is per replica of it).
    pub caller: ServiceId,
    /// The called service.
    pub callee: ServiceId,
    /// REST (a connection per request) or gRPC (streams multiplexed on connections).
    pub kind: PoolKind,
    /// Connections per caller replica (>= 1).
    pub connections: u32,
    /// gRPC: concurrent streams per connection (>= 1); REST: 1.
    pub max_streams: u32,
    /// How long an attempt waits (FIFO) for a slot before it fails with "pool
    /// exhausted"; `Some(0)`: no waiting room; `None`: waits as long as its deadline
    /// allows.
    pub acquire_timeout: Option<SimTime>,
}

impl Pool {
    /// Requests one caller replica can have in flight to the callee at once.
    pub fn capacity(&self) -> u32 {
        self.connections.saturating_mul(self.max_streams)
    }
}
