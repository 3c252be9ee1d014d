//! Benchmarks of oxmm against allocators from crates.io, measured interleaved in one
//! process ([`harness`]); the page allocator in [`pages`], the slab allocator in
//! [`slab`]. The `oxmm-bench` binary runs them (`cargo run --release -p oxmm-bench --
//! pages [--quick]`) and prints a table and one JSON line per result.
//!
//! ```
//! use oxmm_bench::harness::{table, Measurement};
//! let r = [Measurement::from_samples("b", "oxmm", 1, vec![1.0])];
//! assert!(table(&r, "oxmm").contains("1.00x"));
//! ```

/// Whether oxmm was built with its `debug_vm` checks (this crate's default feature;
/// `--no-default-features` measures the allocator as a production kernel would run,
/// without CONFIG_DEBUG_VM).
///
/// ```
/// assert_eq!(oxmm_bench::DEBUG_VM, cfg!(feature = "debug_vm"));
/// ```
pub const DEBUG_VM: bool = cfg!(feature = "debug_vm");

pub mod harness;
pub mod pages;
pub mod peers;
pub mod slab;
