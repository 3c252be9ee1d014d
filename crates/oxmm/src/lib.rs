//! # oxmm — Linux's memory manager, written again in Rust
//!
//! A `no_std` library that needs no heap: like Linux, it carves its own metadata out of
//! the memory it manages, through [`memblock`], before the buddy allocator exists.
//! Linux v6.12 is the reference; names follow `mm/` so a reader who knows Linux can
//! find their way by grep (the C name is in `#[doc(alias)]` where the Rust name differs).
//!
//! Layers, bottom up:
//! * [`types`] — physical/virtual addresses, page frame numbers, node ids, page geometry;
//! * [`mmzone`] — zone and migrate-type enumerations;
//! * [`memblock`] — the boot-time memory allocator;
//! * [`page`] — the page descriptor (`struct page`);
//! * [`platform`] — everything the core needs from the machine;
//! * [`printk`] — the kernel log sink;
//! * [`vmstat`] — the VM counters and the formulas of the /proc files.
//!
//! ```
//! use oxmm::types::{Pfn, PhysAddr, PageGeometry};
//! let geo = PageGeometry::default();
//! assert_eq!(geo.phys_to_pfn(PhysAddr(0x5000)), Pfn(5));
//! ```
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

/// Whether this build has the `debug_vm` feature (Linux: CONFIG_DEBUG_VM): every tail
/// page of a freed block checked (`is_check_pages_enabled`), not only its head.
///
/// ```
/// let kind = if oxmm::DEBUG_VM { "debug" } else { "production" };
/// assert!(!kind.is_empty());
/// ```
pub const DEBUG_VM: bool = cfg!(feature = "debug_vm");

/// Whether this build has the `slub_stats` feature (Linux: CONFIG_SLUB_STATS): SLUB's
/// per-CPU event counters (`alloc_fastpath`, `free_slowpath`, …), counted on the fast
/// paths too.
///
/// ```
/// let counted = oxmm::SLUB_STATS;
/// # let _ = counted;
/// ```
pub const SLUB_STATS: bool = cfg!(feature = "slub_stats");

pub mod boot;
pub mod gfp;
pub mod local_lock;
pub mod memblock;
pub mod memmap;
pub mod mempolicy;
pub mod mm;
pub mod mmzone;
pub mod page;
pub mod page_alloc;
pub mod percpu;
pub mod platform;
pub mod printk;
pub mod proc;
pub mod slab;
pub mod sysctl;
pub mod types;
pub mod vmstat;
pub mod watermark;
