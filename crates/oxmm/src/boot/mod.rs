//! Boot: from a populated [`Memblock`](crate::memblock::Memblock) to nodes, zones, the
//! memmap and free areas (Linux: `free_area_init`, `memblock_free_all`, mm/mm_init.c).
//!
//! The architecture part of boot (firmware memory map → memblock, NUMA affinity,
//! `mem=`/`memmap=`, early reservations) is the caller's, as in Linux's `setup_arch`:
//! it fills a `Memblock` and describes the rest in a [`BootConfig`].

pub mod config;

pub use config::*;
