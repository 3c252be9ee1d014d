//! Boot: from a populated [`Memblock`](crate::memblock::Memblock) to nodes, zones, the
//! memmap and free areas (Linux: `free_area_init`, `memblock_free_all`, mm/mm_init.c).
//!
//! The architecture part of boot (firmware memory map → memblock, NUMA affinity,
//! `mem=`/`memmap=`, early reservations) is the caller's, as in Linux's `setup_arch`:
//! it fills a `Memblock` and describes the rest in a [`BootConfig`]. The generic part is
//! [`crate::mm::Mm::boot`].

macro_rules! info {
    ($log:expr, $($arg:tt)*) => { $log.line($crate::printk::Level::Info, format_args!($($arg)*)) };
}

mod build_zonelists;
mod cma;
pub mod config;
pub mod error;
mod free_area_init;
pub mod mem_init;
mod memmap_init;
pub mod node_init;
mod sparse;
pub mod zonelist;
pub mod zones;

pub use config::*;
pub use error::BootError;
pub(crate) use free_area_init::linux_struct_page_bytes;
pub use node_init::{NodeInitJob, NodeInitRunner, SerialRunner};
pub use zonelist::{build_node_order, find_next_best_node, NodeFacts};
pub use zones::{
    absent_pages_in_range, find_zone_movable_pfns_for_nodes, pfn_range_for_nid,
    zone_absent_in_node, zone_span_in_node, ArchZoneRanges, MovableInfo,
};
