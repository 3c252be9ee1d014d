//! Where SLUB's debugging and hardening checks run (Linux: `setup_slab_debug`,
//! `setup_object_debug`, `init_object`, `alloc_debug_processing`,
//! `free_debug_processing`, `slab_post_alloc_hook`, `slab_free_hook`; mm/slub.c, v6.12).
//!
//! The allocator calls these at Linux's call sites. Caches without debug flags
//! ([`kmem_cache_debug`] false) never reach the debug ones: their allocations and frees
//! go through the per-CPU paths. Debug caches run the checks of [`super::debug`] on a
//! view of the slab (its bytes in the direct map, its counters from the slab word,
//! written back after repairs or isolation), reporting through the platform's
//! `printk` and counting into [`SLUB_DEBUG_STATE`]. kmalloc passes the requested size
//! (`orig_size`), so debug kmalloc caches red-zone the bytes past it. Allocations
//! and frees record their call site (the `#[track_caller]` location's address,
//! standing for `_RET_IP_`, or the true return address when the platform's stack depot
//! finds it: [`Platform::stack_depot_save`]) in the alloc and free tracks (bulk frees
//! record none without a depot).
//!
//! ```
//! use oxmm::slab::{hooks::SLAB_DEBUG_FLAGS, SlabFlags};
//! assert!(SLAB_DEBUG_FLAGS.contains(SlabFlags::RED_ZONE));
//! ```

use super::cache::{pfn_addr, KmemCache, SlabWord};
use super::debug::{DebugCache, DebugState, Slab, SlubDebugger, TrackItem, POISON_INUSE};
use super::hardening::{alloc_zero_size, init_on_free_wipe, FreelistHardening};
use super::{SlabError, SlabFlags};
use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::platform::Platform;

/// `SLAB_DEBUG_FLAGS`: the flags that make a cache a debug cache.
///
/// ```
/// use oxmm::slab::{debug::DEBUG_DEFAULT_FLAGS, hooks::SLAB_DEBUG_FLAGS, SlabFlags};
/// assert_eq!(SLAB_DEBUG_FLAGS, DEBUG_DEFAULT_FLAGS.union(SlabFlags::TRACE));
/// assert!(!SLAB_DEBUG_FLAGS.contains(SlabFlags::HWCACHE_ALIGN));
/// ```
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

/// Reports of the debug checks (counted like slub_kunit's `slab_errors`) and the
/// `TAINT_BAD_PAGE` they leave.
///
/// ```
/// assert!(oxmm::slab::hooks::SLUB_DEBUG_STATE.errors() < usize::MAX);
/// ```
pub static SLUB_DEBUG_STATE: DebugState = DebugState::new();

/// Bytes of a slab of `objects` objects: the cache's preferred order, or its minimum
/// one after a fallback.
fn slab_bytes<P: Platform>(mm: &Mm<P>, s: &KmemCache, objects: u32) -> usize {
    let order = if objects == s.oo.objects() {
        s.oo.order()
    } else {
        s.min.order()
    };
    (mm.geometry().page_size() as usize) << order
}

/// Run `f` on the debug view of the slab at `pfn` (`objects` objects): its bytes in the
/// direct map and, when `counters`, its `inuse`, free list and frozen bit from the slab
/// word, which are written back if the checks changed them (repairs, isolation).
fn with_slab<P: Platform, R>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    objects: u32,
    counters: bool,
    f: impl FnOnce(&SlubDebugger<'_, P>, &mut Slab<'_>) -> R,
) -> R {
    let base = pfn_addr(mm, pfn);
    let len = slab_bytes(mm, s, objects);
    // SAFETY: `pfn` heads a slab block of `s` of `len` bytes mapped at `base` in the
    // direct map. Debug caches run these checks under the node's `list_lock` (or on a
    // slab nobody else sees yet), which serialises every change to the slab's free
    // objects, metadata and padding; the checks write only those bytes and the object
    // being allocated or freed, never another caller's live object (validation reads
    // live objects' red zones, and a report dumps their bytes, as Linux does).
    let mem = unsafe { core::slice::from_raw_parts_mut(base as *mut u8, len) };
    let cache = DebugCache {
        name: s.name(),
        layout: s.layout,
        hardening: FreelistHardening::new(s.random),
    };
    let d = SlubDebugger {
        cache: &cache,
        platform: mm.platform(),
        state: &SLUB_DEBUG_STATE,
    };
    let page = mm.memmap().page(pfn);
    let start = base + s.layout.red_left_pad as usize;
    let size = s.layout.size as usize;
    let mut slab = Slab::new(mem, base, objects);
    slab.page = page.map_or(base, |p| p as *const _ as usize);
    slab.page_flags = page.map_or(0, |p| p.flags());
    let before = match page.filter(|_| counters) {
        Some(p) => {
            let w = SlabWord::unpack(p.private_acquire());
            slab.inuse = w.inuse as u32;
            // A debug slab is never a CPU slab: its frozen bit marks a slab taken out
            // of service by a failed consistency check (Linux reuses it the same way).
            slab.frozen = w.frozen;
            slab.freelist = if w.free == 0 {
                0
            } else {
                start + (w.free as usize - 1) * size
            };
            Some((p, w))
        }
        None => None,
    };
    let r = f(&d, &mut slab);
    if let Some((p, mut w)) = before {
        let free = if slab.freelist == 0 {
            0
        } else {
            ((slab.freelist - start) / size + 1) as u16
        };
        if (w.inuse as u32, w.free, w.frozen) != (slab.inuse, free, slab.frozen) {
            w.inuse = slab.inuse as u16;
            w.free = free;
            w.frozen = slab.frozen;
            p.set_private(w.pack());
        }
    }
    r
}

/// `setup_slab_debug`: a new slab's memory before its objects are set up (poisoned
/// with `POISON_INUSE` for `SLAB_POISON` caches).
#[inline(always)]
pub(crate) fn setup_slab_debug<P: Platform>(mm: &Mm<P>, s: &KmemCache, slab: SlabRef) {
    if kmem_cache_debug(s) && s.layout.has(SlabFlags::POISON) {
        with_slab(mm, s, slab.pfn, slab.objects, false, |_, v| {
            v.mem.fill(POISON_INUSE)
        });
    }
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
/// constructor runs: inactive red zones, poison and empty tracks.
#[inline(always)]
pub(crate) fn setup_object_debug<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    objects: u32,
    obj: usize,
) {
    if kmem_cache_debug(s) {
        with_slab(mm, s, pfn, objects, false, |d, v| {
            d.setup_object_debug(v, obj)
        });
    }
}

/// `alloc_debug_processing`: checks on an object leaving a debug cache's slab (under the
/// node's `list_lock`); `false` isolates the slab and fails the allocation.
#[inline(always)]
pub(crate) fn alloc_debug_processing<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    slab: SlabRef,
    obj: usize,
    orig_size: u32,
    caller: usize,
) -> bool {
    with_slab(mm, s, slab.pfn, slab.objects, true, |d, v| {
        let ok = d.alloc_debug_processing(v, obj, orig_size.min(s.layout.object_size));
        // ___slab_alloc: the allocating call site (`_RET_IP_`) in the alloc track.
        if ok && s.layout.has(SlabFlags::STORE_USER) {
            d.set_track(v, obj, TrackItem::Alloc, caller as u64);
        }
        ok
    })
}

/// `early_kmem_cache_node_alloc`'s `init_object(kmem_cache_node, n, SLUB_RED_ACTIVE)`:
/// the first node structure, taken straight from a fresh slab, is marked allocated
/// (active red zones), so validation finds it as the allocated object it is.
pub(crate) fn init_object_active<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    slab: SlabRef,
    obj: usize,
) {
    if kmem_cache_debug(s) {
        with_slab(mm, s, slab.pfn, slab.objects, false, |d, v| {
            d.init_object(v, obj, SLUB_RED_ACTIVE)
        });
    }
}

/// A debug slab whose free object `obj` holds a free pointer that is not an object of
/// the slab (found under the node's `list_lock` as `obj` is about to be handed out):
/// reported (`Freechain corrupt`) and the slab frozen, its objects all marked used.
pub(crate) fn freechain_corrupt<P: Platform>(mm: &Mm<P>, s: &KmemCache, slab: SlabRef, obj: usize) {
    with_slab(mm, s, slab.pfn, slab.objects, true, |d, v| {
        d.freechain_corrupt(v, obj)
    });
}

/// `skip_orig_size_check` (from `__ksize`): the caller may now use the whole object,
/// so its recorded kmalloc request becomes the object size.
pub(crate) fn skip_orig_size_check(s: &KmemCache, obj: usize) {
    let l = &s.layout;
    if l.orig_size_tracked() {
        let at = obj + l.orig_size_offset() as usize;
        // SAFETY: `obj` is a live object of `s` (checked by the caller); its metadata
        // word at `orig_size_offset` lies inside its slot and belongs to its owner.
        unsafe { core::ptr::write_unaligned(at as *mut u32, l.object_size) };
    }
}

/// `free_debug_processing`: checks on `cnt` objects from `head` to `tail` returning to a
/// debug cache's slab (under the node's `list_lock`). A refused free (reported; the
/// objects are leaked, the slab left alone) is a [`SlabError::DoubleFree`] when `head`
/// is already on the slab's free list, else [`SlabError::InvalidFree`].
#[inline(always)]
pub(crate) fn free_debug_processing<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    slab: SlabRef,
    head: usize,
    tail: usize,
    cnt: &mut u32,
    caller: usize,
) -> Result<(), SlabError> {
    with_slab(mm, s, slab.pfn, slab.objects, true, |d, v| {
        let mut p = v.freelist;
        let mut n = 0;
        let mut already_free = false;
        while p != 0 && n < v.objects && d.check_valid_pointer(v, p) {
            if p == head {
                already_free = true;
                break;
            }
            p = d.get_freepointer(v, p);
            n += 1;
        }
        if d.free_debug_processing(v, head, tail, cnt, caller as u64) {
            Ok(())
        } else if already_free {
            Err(SlabError::DoubleFree(head))
        } else {
            Err(SlabError::InvalidFree(head))
        }
    })
}

/// `validate_slab` on the slab at `pfn` (`objects` objects) of a debug cache, under
/// its node's `list_lock`: the slab, its free list, then each object against the red
/// zone value its state calls for. Repairs are written back to the slab word.
pub(crate) fn validate_slab<P: Platform>(mm: &Mm<P>, s: &KmemCache, pfn: u64, objects: u32) {
    with_slab(mm, s, pfn, objects, true, |d, v| d.validate_slab(v));
}

/// `maybe_wipe_obj_freeptr`: with init_on_free, an object leaving a slab has the free
/// pointer stored inside it zeroed (the rest was wiped when it was freed).
#[inline(always)]
pub(crate) fn maybe_wipe_obj_freeptr(s: &KmemCache, obj: usize) {
    if s.init_on_free && !s.layout.freeptr_outside_object() {
        // SAFETY: `obj` was just allocated from `s`: its bytes (the free-pointer word
        // at `offset < inuse` included) belong to the caller and nobody else.
        unsafe { core::ptr::write_bytes((obj + s.layout.offset as usize) as *mut u8, 0, 8) };
    }
}

/// `slab_post_alloc_hook`: after any allocation; zeroes the object when
/// `slab_want_init_on_alloc` (`__GFP_ZERO`, or `init_on_alloc` unless the cache has a
/// constructor, is `SLAB_TYPESAFE_BY_RCU` or poisoned).
#[inline(always)]
pub(crate) fn slab_post_alloc_hook(s: &KmemCache, obj: usize, gfp: Gfp, orig_size: u32) {
    if s.init_on_alloc.unwrap_or(gfp.contains(Gfp::ZERO)) {
        // Debug kmalloc caches zero only the request: the rest is kmalloc red zone.
        let n = if kmem_cache_debug(s) {
            alloc_zero_size(&s.layout, orig_size)
        } else {
            s.object_size()
        };
        // SAFETY: `obj` was just allocated from `s`: `object_size >= n` bytes owned by
        // the caller and nobody else.
        unsafe { core::ptr::write_bytes(obj as *mut u8, 0, n as usize) };
    }
}

/// `slab_free_hook`: before an object is freed; with init_on_free
/// (`slab_want_init_on_free`) the object and its metadata are wiped, an outside free
/// pointer, the red zones and a kmalloc `orig_size` kept. `false` would keep the
/// object from being freed (KFENCE/KASAN in Linux).
#[inline(always)]
pub(crate) fn slab_free_hook(s: &KmemCache, obj: usize) -> bool {
    if s.init_on_free {
        let l = &s.layout;
        let pad = l.red_left_pad as usize;
        // SAFETY: `obj` is an allocated object of `s` being freed by its owner: the
        // whole slot (`size` bytes from `obj - red_left_pad`, inside its slab) is the
        // caller's until the free completes; only that slot is touched.
        let slot =
            unsafe { core::slice::from_raw_parts_mut((obj - pad) as *mut u8, l.size as usize) };
        let orig = if l.orig_size_tracked() {
            let o = pad + l.orig_size_offset() as usize;
            slot.get(o..o + 4).map_or(l.object_size, |b| {
                u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
            })
        } else {
            l.object_size
        };
        init_on_free_wipe(l, slot, pad, orig.min(l.object_size));
    }
    true
}
