//! archsim: a deterministic discrete-event simulator for microservice architectures.
#![warn(missing_docs)]

pub mod kernel;
pub mod model;
