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

/// Whether the oxmm measured here was built with its `debug_vm` checks
/// (CONFIG_DEBUG_VM). Off by default: the benchmarks measure the configuration a
/// production kernel runs; `--features debug_vm` turns them on.
///
/// ```
/// assert_eq!(oxmm_bench::DEBUG_VM, oxmm::DEBUG_VM);
/// ```
pub const DEBUG_VM: bool = oxmm::DEBUG_VM;

/// Whether the oxmm measured here counts SLUB's statistics (CONFIG_SLUB_STATS; off by
/// default, as in production kernels; `--features slub_stats`).
///
/// ```
/// assert_eq!(oxmm_bench::SLUB_STATS, oxmm::SLUB_STATS);
/// ```
pub const SLUB_STATS: bool = oxmm::SLUB_STATS;

pub mod harness;
pub mod pages;
pub mod peers;
pub mod slab;
