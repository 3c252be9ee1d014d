//! # oxmm-host — the hosted machine for oxmm
//!
//! Physical memory backed by a memfd, machine descriptions (TOML, built-in profiles,
//! import from a real boot log), and the glue that boots them with the `oxmm` core.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod global_alloc;
pub mod hosted;
pub mod machine;
pub mod physmem;
pub mod platform;
pub mod symbols;
