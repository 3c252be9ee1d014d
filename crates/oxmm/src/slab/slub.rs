//! SLUB's allocation and free paths (Linux: `slab_alloc_node`, `___slab_alloc`,
//! `get_partial_node`, `put_cpu_partial`, `__put_partials`, `deactivate_slab`,
//! `do_slab_free`, `__slab_free`, `flush_all`, `__kmem_cache_do_shrink`,
//! `free_partial`, `kmem_cache_alloc_bulk`, `kmem_cache_free_bulk`; mm/slub.c, v6.12).
//!
//! Fast path: the calling CPU's slot (a [`LocalLock`](crate::local_lock::LocalLock):
//! plain loads and stores for the CPU's owner), pop/push on its free list when the
//! object's slab is the CPU's active slab (recognised by address). Slow path as v6.12: refill from the active slab's own
//! free list, then the CPU partial list, then the node partial list (taking up to half
//! of `cpu_partial_slabs` more slabs to the CPU), then a new slab. Frees to any other
//! slab push onto the slab's free list with a compare-and-swap on the slab word; only
//! list changes (a slab becoming empty, or full → partial) take the node's `list_lock`.
//! Lock order: a node's `list_lock` is never taken while a CPU lock is held.
//!
//! Debug caches (see [`hooks`]) bypass the CPU slabs: every allocation
//! and free runs under the node's `list_lock` with the debug checks
//! (`alloc_single_from_partial`, `alloc_single_from_new_slab`, `free_to_partial_list`);
//! those of `SLAB_STORE_USER` caches keep their full slabs on the node's full list
//! (`add_full`, `remove_full`), so that `validate_slab_cache` reaches every slab.

use super::cache::{
    pfn_addr, CpuSlab, KmemCache, KmemCacheCpu, KmemCacheNode, PartialList, SlabWord, NO_SLAB,
    PG_SLAB_NODE_PARTIAL, TYPE_SLAB,
};
use super::hardening::{platform_u32, random_u32_below, FreelistHardening, ShuffledSlots};
use super::hooks::{self, kmem_cache_debug, SlabRef};
use super::stat::StatItem;
use super::SlabError;
use crate::gfp::Gfp;
use crate::local_lock::{LocalGuard, ThisCpu};
use crate::mm::Mm;
use crate::page::Page;
use crate::page_alloc::COMPOUND_TAIL;
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::types::{NodeId, Pfn};
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed};

/// `SHRINK_PROMOTE_MAX`.
const SHRINK_PROMOTE_MAX: usize = 32;

/// The slab head pfn and cache id of the slab holding `addr`, or `None` if the page is
/// not part of a slab.
pub(crate) fn slab_of<P: Platform>(mm: &Mm<P>, addr: usize) -> Option<(u64, u16)> {
    let base = mm.platform().direct_map_base() as usize;
    let pfn = (addr.checked_sub(base)? >> mm.geometry().shift()) as u64;
    let p = mm.memmap().page(pfn)?;
    let head = if p.page_type() & 0xff00_0000 == TYPE_SLAB {
        return Some((pfn, (p.page_type() & 0xffff) as u16));
    } else if p.private() & COMPOUND_TAIL != 0 {
        p.private() & !COMPOUND_TAIL
    } else {
        return None;
    };
    let h = mm.memmap().page(head)?;
    (h.page_type() & 0xff00_0000 == TYPE_SLAB).then_some((head, (h.page_type() & 0xffff) as u16))
}

#[inline(always)]
fn page<P: Platform>(mm: &Mm<P>, pfn: u64) -> Option<&Page> {
    mm.memmap().page(pfn)
}

#[inline(always)]
fn word<P: Platform>(mm: &Mm<P>, pfn: u64) -> SlabWord {
    SlabWord::unpack(page(mm, pfn).map_or(0, |p| p.private_acquire()))
}

/// `slab_nid`.
#[inline(always)]
fn slab_nid<P: Platform>(mm: &Mm<P>, pfn: u64) -> usize {
    page(mm, pfn).map_or(0, |p| p.nid() as usize)
}

/// The node structure a slab belongs to (its page's node; the first existing one if
/// that node has none, which only a machine short of local memory at boot produces).
fn node_of<'a, P: Platform>(mm: &Mm<P>, s: &'a KmemCache, pfn: u64) -> &'a KmemCacheNode {
    node_of_nid(s, slab_nid(mm, pfn))
}

/// [`node_of`] for a slab on node `nid`.
#[inline]
fn node_of_nid(s: &KmemCache, nid: usize) -> &KmemCacheNode {
    match s.node(nid) {
        Some(n) => n,
        None => s.nodes().next().map(|(_, n)| n).unwrap_or(&EMPTY_NODE),
    }
}

static EMPTY_NODE: KmemCacheNode = KmemCacheNode::new();

#[inline(always)]
fn this_cpu<'a, P: Platform>(mm: &Mm<P>, s: &'a KmemCache) -> &'a KmemCacheCpu {
    s.cpu_slot(mm.platform().this_cpu().id)
}

/// `local_lock(&s->cpu_slab->lock)` on slot `c` by a caller running as `me`: the
/// owner's way in when `c` is its own CPU's slot, else through the gate (the slot
/// knows its CPU, so `lock_local` makes that choice).
#[inline(always)]
fn lock_slot<'a, P: Platform>(
    mm: &Mm<P>,
    c: &'a KmemCacheCpu,
    me: ThisCpu,
) -> LocalGuard<'a, CpuSlab> {
    c.lock.lock_local(mm.platform(), me)
}

/// [`lock_slot`] again after the slot was let go (the slow paths).
#[inline]
fn relock<'a, P: Platform>(mm: &Mm<P>, c: &'a KmemCacheCpu) -> LocalGuard<'a, CpuSlab> {
    lock_slot(mm, c, mm.platform().this_cpu())
}

/// `get_freepointer`: the next free object after the free object `obj`, decoded
/// (`freelist_ptr_decode`: `CONFIG_SLAB_FREELIST_HARDENED`).
#[inline(always)]
pub(crate) fn get_freepointer(s: &KmemCache, obj: usize) -> usize {
    let at = obj + s.layout.offset as usize;
    // SAFETY: `obj` is a free object of a live slab of `s` (a block the cache owns in
    // the direct map) and `offset + 8 <= s->size`, so the word lies inside it.
    let stored = unsafe { core::ptr::read_unaligned(at as *const u64) };
    FreelistHardening::new(s.random).decode(stored, at)
}

/// `set_freepointer`: store `fp` in the free object `obj`, encoded
/// (`freelist_ptr_encode`).
#[inline(always)]
pub(crate) fn set_freepointer(s: &KmemCache, obj: usize, fp: usize) {
    let at = obj + s.layout.offset as usize;
    let stored = FreelistHardening::new(s.random).encode(fp, at);
    // SAFETY: as in `get_freepointer`; the object is free, so no caller holds it.
    unsafe { core::ptr::write_unaligned(at as *mut u64, stored) }
}

/// `fixup_red_left(s, slab_address(slab))`: where object 0 of the slab at `pfn` starts
/// (after the left red zone of a `SLAB_RED_ZONE` cache); `start` below is this.
#[inline(always)]
fn obj_start<P: Platform>(mm: &Mm<P>, s: &KmemCache, pfn: u64) -> usize {
    pfn_addr(mm, pfn) + s.layout.red_left_pad as usize
}

/// Object index + 1 of `addr` in the slab starting at `start` (0 for 0).
#[inline(always)]
fn to_idx(s: &KmemCache, start: usize, addr: usize) -> u16 {
    if addr == 0 {
        0
    } else {
        ((addr - start) / s.layout.size as usize + 1) as u16
    }
}

/// [`to_idx`] of `addr`, an object of the slab starting at `start` that the caller
/// validated: `obj_to_index`'s reciprocal multiplication, exact for such offsets
/// (multiples of the size below 2^32, see [`is_object`]), without a division.
#[inline(always)]
fn obj_idx(s: &KmemCache, start: usize, addr: usize) -> u16 {
    ((((addr - start) as u64 * s.reciprocal_size) >> 32) + 1) as u16
}

/// Address of object index + 1 `idx` (0 for 0).
#[inline(always)]
fn to_addr(s: &KmemCache, start: usize, idx: u16) -> usize {
    if idx == 0 {
        0
    } else {
        start + (idx as usize - 1) * s.layout.size as usize
    }
}

/// Whether `fp` may be a free pointer of the slab at `start` (`check_valid_pointer`).
#[inline(always)]
fn valid_pointer(s: &KmemCache, start: usize, objects: u16, fp: usize) -> bool {
    fp == 0
        || (fp >= start
            && fp < start + objects as usize * s.layout.size as usize
            && (fp - start) % s.layout.size as usize == 0)
}

#[inline(always)]
fn node_match<P: Platform>(mm: &Mm<P>, pfn: u64, node: Option<NodeId>) -> bool {
    node.map_or(true, |n| slab_nid(mm, pfn) == n.0 as usize)
}

// ---- CPU partial chains (through `page->next`) ----

fn chain_next<P: Platform>(mm: &Mm<P>, pfn: u64) -> u64 {
    let map = mm.memmap();
    match map.page(pfn).map(|p| p.next()) {
        Some(idx) if idx != Page::NIL => map.pfn_of(idx).unwrap_or(NO_SLAB),
        _ => NO_SLAB,
    }
}

fn set_chain_next<P: Platform>(mm: &Mm<P>, pfn: u64, next: u64) {
    let map = mm.memmap();
    let idx = if next == NO_SLAB {
        Page::NIL
    } else {
        map.index_of(next).unwrap_or(Page::NIL)
    };
    if let Some(p) = map.page(pfn) {
        p.set_next(idx);
    }
}

// ---- node partial lists (under `list_lock`) ----

/// `add_partial` / `__add_partial`.
fn add_partial<P: Platform>(
    mm: &Mm<P>,
    n: &KmemCacheNode,
    l: &mut PartialList,
    pfn: u64,
    tail: bool,
) {
    let map = mm.memmap();
    let Some(idx) = map.index_of(pfn) else { return };
    let (prev, next) = if tail {
        (l.tail, Page::NIL)
    } else {
        (Page::NIL, l.head)
    };
    if let Some(p) = map.page_by_index(idx) {
        p.set_flags(p.flags() | PG_SLAB_NODE_PARTIAL);
    }
    link(map, (&mut l.head, &mut l.tail), idx, prev, next);
    n.nr_partial.fetch_add(1, Relaxed);
}

/// `list_add` of slab `idx` between `prev` and `next` (`NIL`: the list's `ends`, head
/// and tail), on a list of slab heads linked by memmap index through the descriptors.
fn link(map: &crate::memmap::MemMap, ends: (&mut u32, &mut u32), idx: u32, prev: u32, next: u32) {
    if let Some(p) = map.page_by_index(idx) {
        p.set_prev(prev);
        p.set_next(next);
    }
    match map.page_by_index(prev).filter(|_| prev != Page::NIL) {
        Some(p) => p.set_next(idx),
        None => *ends.0 = idx,
    }
    match map.page_by_index(next).filter(|_| next != Page::NIL) {
        Some(p) => p.set_prev(idx),
        None => *ends.1 = idx,
    }
}

/// `list_del` of slab `p` from such a list.
fn unlink(map: &crate::memmap::MemMap, ends: (&mut u32, &mut u32), p: &Page) {
    let (prev, next) = (p.prev(), p.next());
    p.set_prev(Page::NIL);
    p.set_next(Page::NIL);
    match map.page_by_index(prev).filter(|_| prev != Page::NIL) {
        Some(q) => q.set_next(next),
        None => *ends.0 = next,
    }
    match map.page_by_index(next).filter(|_| next != Page::NIL) {
        Some(q) => q.set_prev(prev),
        None => *ends.1 = prev,
    }
}

/// `remove_partial`.
fn remove_partial<P: Platform>(mm: &Mm<P>, n: &KmemCacheNode, l: &mut PartialList, pfn: u64) {
    let map = mm.memmap();
    let Some(p) = map.page(pfn) else { return };
    p.set_flags(p.flags() & !PG_SLAB_NODE_PARTIAL);
    unlink(map, (&mut l.head, &mut l.tail), p);
    n.nr_partial.fetch_sub(1, Relaxed);
}

/// `add_full`: a debug slab with no free object goes on the node's full list, for
/// `SLAB_STORE_USER` caches only (the others keep full slabs on no list).
fn add_full<P: Platform>(mm: &Mm<P>, s: &KmemCache, l: &mut PartialList, pfn: u64) {
    if !s.flags().contains(super::SlabFlags::STORE_USER) {
        return;
    }
    let map = mm.memmap();
    let Some(idx) = map.index_of(pfn) else { return };
    // list_add: at the head.
    let next = l.full_head;
    link(
        map,
        (&mut l.full_head, &mut l.full_tail),
        idx,
        Page::NIL,
        next,
    );
}

/// `remove_full`: take a slab of a `SLAB_STORE_USER` cache off its node's full list.
/// A slab that is not on it (one isolated by a failed check, which is on no list) is
/// left alone rather than unlinked from nowhere.
fn remove_full<P: Platform>(mm: &Mm<P>, s: &KmemCache, l: &mut PartialList, pfn: u64) {
    if !s.flags().contains(super::SlabFlags::STORE_USER) {
        return;
    }
    let map = mm.memmap();
    let (Some(idx), Some(p)) = (map.index_of(pfn), map.page(pfn)) else {
        return;
    };
    if p.flags() & PG_SLAB_NODE_PARTIAL != 0 {
        return;
    }
    let (prev, next) = (p.prev(), p.next());
    let linked_prev = match prev {
        Page::NIL => l.full_head == idx,
        i => map.page_by_index(i).is_some_and(|q| q.next() == idx),
    };
    let linked_next = match next {
        Page::NIL => l.full_tail == idx,
        i => map.page_by_index(i).is_some_and(|q| q.prev() == idx),
    };
    if !(linked_prev && linked_next) {
        return;
    }
    unlink(map, (&mut l.full_head, &mut l.full_tail), p);
}

fn list_first<P: Platform>(mm: &Mm<P>, idx: u32) -> Option<u64> {
    if idx == Page::NIL {
        None
    } else {
        mm.memmap().pfn_of(idx)
    }
}

fn list_next<P: Platform>(mm: &Mm<P>, pfn: u64) -> Option<u64> {
    list_first(mm, page(mm, pfn)?.next())
}

// ---- slab creation and disposal ----

/// `account_slab` / `unaccount_slab` (and the large-kmalloc accounting): the node's
/// `NR_SLAB_{RECLAIMABLE,UNRECLAIMABLE}_B` by the block's bytes, `sign` ±1.
pub(crate) fn account_slab<P: Platform>(
    mm: &Mm<P>,
    pfn: u64,
    order: u32,
    reclaimable: bool,
    sign: i64,
) {
    let Some(nid) = mm.memmap().page(pfn).map(|p| NodeId(p.nid())) else {
        return;
    };
    let item = if reclaimable {
        crate::vmstat::NodeStatItem::NrSlabReclaimableB
    } else {
        crate::vmstat::NodeStatItem::NrSlabUnreclaimableB
    };
    let bytes = (mm.geometry().page_size() << order) as i64;
    // Whole pages of an online node: the update cannot be refused.
    let _ = mm.mod_node_page_state(nid, item, sign * bytes);
}

/// `allocate_slab`: a fresh slab of `s` (not yet counted on its node), objects set up
/// (`setup_object`: debug init, constructor) and chained in order; free list = all
/// objects, `inuse` 0, not frozen.
fn new_slab<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    node: Option<NodeId>,
) -> Result<u64, SlabError> {
    let strip = Gfp::DMA | Gfp::DMA32 | Gfp::HIGHMEM | Gfp::MOVABLE | Gfp::RECLAIMABLE | Gfp::ZERO;
    let base = (gfp - strip) | s.allocflags;
    let nid = node.unwrap_or_else(|| mm.numa_node_id());
    // The preferred order quietly, without costly reclaim; then the smallest order.
    let mut first = (base | Gfp::NOWARN | Gfp::NORETRY) - Gfp::NOFAIL;
    if first.contains(Gfp::DIRECT_RECLAIM) && s.oo.order() > s.min.order() {
        first = (first | Gfp::NOMEMALLOC) - Gfp::RECLAIM;
    }
    let (pfn, oo) = match mm.alloc_pages_node(nid, first, s.oo.order()) {
        Ok(p) => (p.0, s.oo),
        Err(e) if s.min.order() == s.oo.order() => return Err(e.into()),
        Err(_) => {
            let p = mm.alloc_pages_node(nid, base, s.min.order())?;
            this_cpu(mm, s).stat(StatItem::OrderFallback);
            (p.0, s.min)
        }
    };
    let reclaimable = s.flags().contains(super::SlabFlags::RECLAIM_ACCOUNT);
    account_slab(mm, pfn, oo.order(), reclaimable, 1);
    let objects = oo.objects();
    let start = obj_start(mm, s, pfn);
    let slab = SlabRef {
        pfn,
        start,
        objects,
    };
    hooks::setup_slab_debug(mm, s, slab);
    let first = match shuffle_freelist(mm, s, pfn, start, objects) {
        Some(first) => first,
        None => {
            setup_objects_in_order(mm, s, pfn, start, objects);
            0
        }
    };
    if let Some(p) = page(mm, pfn) {
        p.set_page_type(TYPE_SLAB | s.id().0 as u32);
        p.set_next(Page::NIL);
        p.set_prev(Page::NIL);
        p.cmpxchg_private(
            p.private(),
            SlabWord {
                free: first + 1,
                inuse: 0,
                objects: objects as u16,
                frozen: false,
                order: oo.order() as u8,
            }
            .pack(),
        )
        .ok();
    }
    Ok(pfn)
}

/// `setup_object` on each object of a new slab, linked in address order.
fn setup_objects_in_order<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    start: usize,
    objects: u32,
) {
    let size = s.layout.size as usize;
    for i in 0..objects as usize {
        let obj = start + i * size;
        setup_object(mm, s, pfn, objects, obj);
        let next = if i + 1 < objects as usize {
            obj + size
        } else {
            0
        };
        set_freepointer(s, obj, next);
    }
}

/// `setup_object`: debug initialisation, then the constructor.
fn setup_object<P: Platform>(mm: &Mm<P>, s: &KmemCache, pfn: u64, objects: u32, obj: usize) {
    hooks::setup_object_debug(mm, s, pfn, objects, obj);
    if let Some(ctor) = s.ctor {
        // SAFETY: the block was just allocated for this slab; the object spans
        // `object_size` bytes inside it and nothing else refers to it.
        let body = unsafe {
            core::slice::from_raw_parts_mut(obj as *mut u8, s.layout.object_size as usize)
        };
        ctor(body);
    }
}

/// `shuffle_freelist` (`CONFIG_SLAB_FREELIST_RANDOM`): set up and link a new slab's
/// objects in the cache's random order from a random position; the index of the first
/// free object, or `None` when the cache has no sequence (or the slab one object).
fn shuffle_freelist<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    start: usize,
    objects: u32,
) -> Option<u16> {
    let addr = s.random_seq.load(Acquire);
    if addr == 0 {
        return None;
    }
    let len = s.random_seq_len.load(Relaxed);
    // SAFETY: `random_seq` holds `random_seq_len` u32 entries written before it was
    // published, kmalloc'ed for the cache's life (freed only at destroy).
    let seq = unsafe { core::slice::from_raw_parts(addr as *const u32, len as usize) };
    let pos = random_u32_below(len, &mut || platform_u32(mm.platform())) as usize;
    let mut slots = ShuffledSlots::new(seq, pos, objects, s.layout.size)?;
    let first = start + slots.next()? as usize;
    setup_object(mm, s, pfn, objects, first);
    let mut cur = first;
    for off in slots {
        let next = start + off as usize;
        setup_object(mm, s, pfn, objects, next);
        set_freepointer(s, cur, next);
        cur = next;
    }
    set_freepointer(s, cur, 0);
    Some(((first - start) / s.layout.size as usize) as u16)
}

/// `inc_slabs_node`.
fn inc_slabs_node(n: &KmemCacheNode, objects: u16) {
    n.nr_slabs.fetch_add(1, Relaxed);
    n.total_objects.fetch_add(objects as u64, Relaxed);
}

/// `discard_slab`: uncount an empty slab (on no list) and give it back to the buddy
/// allocator.
fn discard_slab<P: Platform>(mm: &Mm<P>, s: &KmemCache, pfn: u64) {
    let w = word(mm, pfn);
    let n = node_of(mm, s, pfn);
    n.nr_slabs.fetch_sub(1, Relaxed);
    n.total_objects.fetch_sub(w.objects as u64, Relaxed);
    if let Some(p) = page(mm, pfn) {
        // What page_alloc expects of an allocated head: untyped, order in private.
        p.set_page_type(Page::TYPE_NONE);
        p.set_flags(p.flags() & !PG_SLAB_NODE_PARTIAL);
        p.set_next(Page::NIL);
        p.set_prev(Page::NIL);
        p.set_private(w.order as u64);
    }
    let reclaimable = s.flags().contains(super::SlabFlags::RECLAIM_ACCOUNT);
    account_slab(mm, pfn, w.order as u32, reclaimable, -1);
    // The block came from alloc_pages with this order; a refusal would be a page
    // allocator bug, and the pages are then leaked rather than reused.
    let _ = mm.free_pages(Pfn(pfn), w.order as u32);
}

/// `early_kmem_cache_node_alloc`: the first `kmem_cache_node` object of node `nid`
/// becomes that node's own structure for the `kmem_cache_node` cache.
pub(crate) fn early_kmem_cache_node_alloc<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    nid: NodeId,
) -> Result<(), SlabError> {
    let pfn = new_slab(mm, s, Gfp::NOWAIT, Some(nid))?;
    let p = page(mm, pfn).ok_or(SlabError::NoMemMap)?;
    let start = obj_start(mm, s, pfn);
    let mut w = word(mm, pfn);
    let obj = to_addr(s, start, w.free);
    w.free = to_idx(s, start, get_freepointer(s, obj));
    w.inuse = 1;
    p.set_private(w.pack());
    let slab = SlabRef {
        pfn,
        start,
        objects: w.objects as u32,
    };
    hooks::init_object_active(mm, s, slab, obj);
    // SAFETY: object 0 of a slab nobody else knows yet, sized and aligned for a
    // KmemCacheNode (HWCACHE_ALIGN); it belongs to the cache from now on.
    unsafe { core::ptr::write(obj as *mut KmemCacheNode, KmemCacheNode::new()) };
    s.set_node(nid.0 as usize, obj);
    let n = node_of(mm, s, pfn);
    inc_slabs_node(n, w.objects);
    let mut l = n.list_lock.lock();
    add_partial(mm, n, &mut l, pfn, false);
    Ok(())
}

// ---- allocation ----

/// `slab_alloc_node`: one object of `s`, near `node` if given.
#[inline(always)]
pub(crate) fn slab_alloc_node<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    node: Option<NodeId>,
) -> Result<usize, SlabError> {
    slab_alloc_node_size(mm, s, gfp, node, u32::MAX, 0).map(|p| p.as_ptr() as usize)
}

/// `slab_alloc_node` with kmalloc's requested size (`orig_size`; `u32::MAX` for the
/// whole object): recorded by debug kmalloc caches, which red-zone and zero by it.
///
/// The fast path (a pop from the CPU's free list) is inlined into the callers; the
/// rest is out of line. A cache with [`KmemCache::fast_alloc`] needs no hook after
/// the pop but `__GFP_ZERO`'s zeroing; any other goes through
/// [`slab_alloc_node_other`].
#[inline(always)]
pub(crate) fn slab_alloc_node_size<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    node: Option<NodeId>,
    orig_size: u32,
    caller: usize,
) -> Result<NonNull<u8>, SlabError> {
    if !s.fast_alloc || gfp.intersects(Gfp::DMA32 | Gfp::HIGHMEM) {
        return slab_alloc_node_other(mm, s, gfp, node, orig_size, caller);
    }
    let obj = cpu_alloc(mm, s, gfp, node)?;
    // slab_post_alloc_hook for such a cache: `init_on_alloc` is off or left to the gfp.
    if gfp.contains(Gfp::ZERO) && s.init_on_alloc.is_none() {
        // SAFETY: `obj` was just allocated from `s`: `object_size` bytes owned by the
        // caller and nobody else.
        unsafe { core::ptr::write_bytes(obj.as_ptr(), 0, s.object_size() as usize) };
    }
    Ok(obj)
}

/// An object address as the API hands it out (a null one cannot come from a slab; it
/// is refused as `nonnull` in api.rs does).
#[inline(always)]
fn obj_ptr(obj: usize) -> Result<NonNull<u8>, SlabError> {
    NonNull::new(obj as *mut u8).ok_or(SlabError::InvalidFree(0))
}

/// An object from the CPU's slab of a non-debug cache (no hooks run).
#[inline(always)]
fn cpu_alloc<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    node: Option<NodeId>,
) -> Result<NonNull<u8>, SlabError> {
    // The owner's way in gets its own copy of the pop (its guard's drop is one store);
    // everyone else takes the slot out of line.
    let Some(me) = mm.platform().this_cpu_owned() else {
        return cpu_alloc_shared(mm, s, gfp, node);
    };
    match s.this_cpu_slot_owner(me) {
        (c, Some(g)) => alloc_from_slot(mm, s, c, g, gfp, node),
        (c, None) => alloc_from_slot_locked(mm, s, c, me, gfp, node),
    }
}

/// [`cpu_alloc`] for a caller not known at once to own its CPU.
#[inline(never)]
fn cpu_alloc_shared<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    node: Option<NodeId>,
) -> Result<NonNull<u8>, SlabError> {
    let me = mm.platform().this_cpu();
    alloc_from_slot_locked(mm, s, s.this_cpu_slot(me), me, gfp, node)
}

/// The pop of [`cpu_alloc`] on the CPU's slot, taken as `g`; `___slab_alloc` when the
/// free list cannot serve.
#[inline(always)]
fn alloc_from_slot<'a, P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &'a KmemCacheCpu,
    mut g: LocalGuard<'a, CpuSlab>,
    gfp: Gfp,
    node: Option<NodeId>,
) -> Result<NonNull<u8>, SlabError> {
    // The object as a NonNull from the test that it exists: the caller's Ok needs no
    // second look at it.
    match NonNull::new(g.freelist as *mut u8) {
        // A non-empty free list implies an active slab (see `CpuSlab::freelist`).
        Some(obj) if node_match(mm, g.slab, node) => {
            debug_assert!(g.slab != NO_SLAB);
            g.freelist = get_freepointer(s, obj.as_ptr() as usize);
            drop(g);
            c.stat(StatItem::AllocFastpath);
            Ok(obj)
        }
        _ => slab_alloc_slow(mm, s, c, g, gfp, node).and_then(obj_ptr),
    }
}

/// [`alloc_from_slot`] for a caller that is not the slot's uncontended owner.
#[inline(never)]
fn alloc_from_slot_locked<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &KmemCacheCpu,
    me: ThisCpu,
    gfp: Gfp,
    node: Option<NodeId>,
) -> Result<NonNull<u8>, SlabError> {
    alloc_from_slot(mm, s, c, lock_slot(mm, c, me), gfp, node)
}

/// The hooks every allocation ends with.
#[inline(always)]
fn post_alloc(s: &KmemCache, obj: usize, gfp: Gfp, orig_size: u32) {
    hooks::maybe_wipe_obj_freeptr(s, obj);
    hooks::slab_post_alloc_hook(s, obj, gfp, orig_size);
}

/// [`slab_alloc_node_size`] for a debug cache, one with `init_on_free` or a forced
/// `init_on_alloc`, or a refused gfp.
#[inline(never)]
fn slab_alloc_node_other<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    node: Option<NodeId>,
    orig_size: u32,
    caller: usize,
) -> Result<NonNull<u8>, SlabError> {
    if gfp.intersects(Gfp::DMA32 | Gfp::HIGHMEM) {
        // GFP_SLAB_BUG_MASK
        return Err(SlabError::BadGfp(gfp.bits()));
    }
    let obj = if kmem_cache_debug(s) {
        obj_ptr(alloc_debug(mm, s, gfp, node, orig_size, caller)?)?
    } else {
        cpu_alloc(mm, s, gfp, node)?
    };
    post_alloc(s, obj.as_ptr() as usize, gfp, orig_size);
    Ok(obj)
}

/// `get_freelist`: take the active slab's own free list (remote frees), freezing it
/// if non-empty, unfreezing it if empty.
fn get_freelist<P: Platform>(mm: &Mm<P>, s: &KmemCache, c: &KmemCacheCpu, pfn: u64) -> usize {
    let Some(p) = page(mm, pfn) else { return 0 };
    loop {
        let old = p.private_acquire();
        let mut w = SlabWord::unpack(old);
        let fl = w.free;
        w.free = 0;
        w.inuse = w.objects;
        w.frozen = fl != 0;
        if p.cmpxchg_private(old, w.pack()).is_ok() {
            return to_addr(s, obj_start(mm, s, pfn), fl);
        }
        c.stat(StatItem::CmpxchgDoubleFail);
    }
}

/// `___slab_alloc` (entered with the CPU lock held).
#[inline(never)]
fn slab_alloc_slow<'a, P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &'a KmemCacheCpu,
    g: LocalGuard<'a, CpuSlab>,
    gfp: Gfp,
    node: Option<NodeId>,
) -> Result<usize, SlabError> {
    let mut g = g;
    c.stat(StatItem::AllocSlowpath);
    // A node without memory has no slabs: any node will do (`slab_nodes`).
    let node = node.filter(|n| s.node(n.0 as usize).is_some());
    'reread: loop {
        if g.slab != NO_SLAB {
            if !node_match(mm, g.slab, node) {
                c.stat(StatItem::AllocNodeMismatch);
                let (slab, fl) = (g.slab, g.freelist);
                g.clear_slab();
                g.freelist = 0;
                drop(g);
                deactivate_slab(mm, s, c, slab, fl);
                g = relock(mm, c);
            } else if g.freelist != 0 {
                let fl = g.freelist;
                return Ok(load_freelist(s, &mut g, fl));
            } else {
                let fl = get_freelist(mm, s, c, g.slab);
                if fl == 0 {
                    g.clear_slab();
                    c.stat(StatItem::DeactivateBypass);
                } else {
                    c.stat(StatItem::AllocRefill);
                    return Ok(load_freelist(s, &mut g, fl));
                }
            }
        }
        // new_slab: the CPU partial list.
        while g.partial != NO_SLAB {
            if g.slab != NO_SLAB {
                continue 'reread;
            }
            let slab = g.partial;
            g.partial = chain_next(mm, slab);
            g.partial_slabs = g.partial_slabs.saturating_sub(1);
            if node_match(mm, slab, node) {
                let fl = get_freelist(mm, s, c, slab);
                if fl != 0 {
                    set_active(mm, s, &mut g, slab);
                    c.stat(StatItem::CpuPartialAlloc);
                    return Ok(load_freelist(s, &mut g, fl));
                }
                // Full after all: it stays unfrozen on no list, as full slabs do.
                continue;
            }
            drop(g);
            set_chain_next(mm, slab, NO_SLAB);
            put_partials(mm, s, c, slab);
            g = relock(mm, c);
        }
        drop(g);
        // new_objects
        let (slab, fl) = match get_partial(mm, s, c, node, gfp) {
            Some(slab) => {
                let fl = freeze_slab(mm, s, c, slab);
                if fl == 0 {
                    g = relock(mm, c);
                    continue 'reread;
                }
                (slab, fl)
            }
            None => {
                let slab = new_slab(mm, s, gfp, node)?;
                c.stat(StatItem::AllocSlab);
                // No other reference to the slab yet: take all its objects.
                let p = page(mm, slab).ok_or(SlabError::NoMemMap)?;
                let mut w = SlabWord::unpack(p.private());
                let fl = to_addr(s, obj_start(mm, s, slab), w.free);
                w.free = 0;
                w.inuse = w.objects;
                w.frozen = true;
                p.set_private(w.pack());
                inc_slabs_node(node_of(mm, s, slab), w.objects);
                (slab, fl)
            }
        };
        // retry_load_slab
        loop {
            g = relock(mm, c);
            if g.slab != NO_SLAB {
                let (fs, ffl) = (g.slab, g.freelist);
                g.clear_slab();
                g.freelist = 0;
                drop(g);
                deactivate_slab(mm, s, c, fs, ffl);
                c.stat(StatItem::CpuslabFlush);
                continue;
            }
            set_active(mm, s, &mut g, slab);
            return Ok(load_freelist(s, &mut g, fl));
        }
    }
}

/// Make `slab` the CPU's active slab, with its object range.
#[inline]
fn set_active<P: Platform>(mm: &Mm<P>, s: &KmemCache, g: &mut CpuSlab, slab: u64) {
    let start = obj_start(mm, s, slab);
    g.slab = slab;
    g.objs_start = start;
    g.objs_len = word(mm, slab).objects as usize * s.layout.size as usize;
}

/// `load_freelist`: hand out `fl`, keep the rest as the CPU free list.
#[inline(always)]
fn load_freelist(s: &KmemCache, g: &mut CpuSlab, fl: usize) -> usize {
    g.freelist = get_freepointer(s, fl);
    fl
}

/// `freeze_slab`: take a partial slab's whole free list for a CPU.
fn freeze_slab<P: Platform>(mm: &Mm<P>, s: &KmemCache, c: &KmemCacheCpu, pfn: u64) -> usize {
    get_freelist(mm, s, c, pfn)
}

/// `get_partial`: a slab from `node`'s partial list (or the local node's), else
/// `get_any_partial`, unless `__GFP_THISNODE` with a node.
fn get_partial<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &KmemCacheCpu,
    node: Option<NodeId>,
    gfp: Gfp,
) -> Option<u64> {
    let search = node.unwrap_or_else(|| mm.numa_node_id()).0 as usize;
    if let Some(slab) = get_partial_node(mm, s, c, search) {
        return Some(slab);
    }
    if node.is_some() && gfp.contains(Gfp::THISNODE) {
        return None;
    }
    get_any_partial(mm, s, |nid| get_partial_node(mm, s, c, nid))
}

/// The `remote_node_defrag_ratio` gate of `get_any_partial`: never with ratio 0,
/// otherwise when `get_cycles() % 1024 <= ratio` (the platform's random word stands
/// for the cycle counter), so the default 1000 looks at remote nodes 1001 times in
/// 1024.
fn remote_partial_allowed<P: Platform>(mm: &Mm<P>, s: &KmemCache) -> bool {
    let ratio = s.defrag_ratio() as u64;
    // With one node there is nothing remote: skip the draw (the outcome is the same).
    ratio != 0 && s.nodes().nth(1).is_some() && mm.platform().random_u64() % 1024 <= ratio
}

/// `get_any_partial`: past the ratio gate, the nodes of the local node's zonelist in
/// fallback order (each once) whose partial list holds more than `min_partial`
/// slabs, until `take` gets a slab (or, for debug caches, an object) from one.
fn get_any_partial<P: Platform, T>(
    mm: &Mm<P>,
    s: &KmemCache,
    mut take: impl FnMut(usize) -> Option<T>,
) -> Option<T> {
    if !remote_partial_allowed(mm, s) {
        return None;
    }
    let mut last = usize::MAX;
    for z in mm.zonelist(mm.numa_node_id()) {
        let nid = z.nid.0 as usize;
        if nid == last {
            continue;
        }
        last = nid;
        if s.node(nid)
            .is_some_and(|n| n.nr_partial() > s.min_partial())
        {
            if let Some(t) = take(nid) {
                return Some(t);
            }
        }
    }
    None
}

/// `get_partial_node`: the first slab of the node's partial list, plus up to half of
/// `cpu_partial_slabs` more moved to this CPU's partial list.
fn get_partial_node<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &KmemCacheCpu,
    nid: usize,
) -> Option<u64> {
    let n = s.node(nid)?;
    if n.nr_partial() == 0 {
        return None;
    }
    let mut first = NO_SLAB;
    let mut extra = NO_SLAB;
    let mut partial_slabs = 0;
    {
        let mut l = n.list_lock.lock();
        let mut cur = list_first(mm, l.head);
        while let Some(slab) = cur {
            cur = list_next(mm, slab);
            remove_partial(mm, n, &mut l, slab);
            if first == NO_SLAB {
                first = slab;
                c.stat(StatItem::AllocFromPartial);
                if s.cpu_partial_slabs() == 0 {
                    break;
                }
            } else {
                set_chain_next(mm, slab, extra);
                extra = slab;
                c.stat(StatItem::CpuPartialNode);
                partial_slabs += 1;
                if partial_slabs > s.cpu_partial_slabs() / 2 {
                    break;
                }
            }
        }
    }
    // put_cpu_partial(s, slab, 0) for each, after the list lock.
    while extra != NO_SLAB {
        let next = chain_next(mm, extra);
        put_cpu_partial(mm, s, c, extra, false);
        extra = next;
    }
    (first != NO_SLAB).then_some(first)
}

/// `put_cpu_partial`: push `slab` on the CPU's partial list; with `drain`, a full list
/// is first handed back to the nodes.
fn put_cpu_partial<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &KmemCacheCpu,
    slab: u64,
    drain: bool,
) {
    let mut g = relock(mm, c);
    let mut to_put = NO_SLAB;
    let mut slabs = 0;
    if g.partial != NO_SLAB {
        if drain && g.partial_slabs >= s.cpu_partial_slabs() {
            to_put = g.partial;
            g.partial = NO_SLAB;
        } else {
            slabs = g.partial_slabs;
        }
    }
    set_chain_next(mm, slab, g.partial);
    g.partial = slab;
    g.partial_slabs = slabs + 1;
    drop(g);
    if to_put != NO_SLAB {
        put_partials(mm, s, c, to_put);
        c.stat(StatItem::CpuPartialDrain);
    }
}

/// `__put_partials`: a chain of (unfrozen) CPU partial slabs back to their nodes'
/// lists; empty ones beyond `min_partial` are freed.
fn put_partials<P: Platform>(mm: &Mm<P>, s: &KmemCache, c: &KmemCacheCpu, chain: u64) {
    let mut cur = chain;
    while cur != NO_SLAB {
        let slab = cur;
        cur = chain_next(mm, slab);
        let n = node_of(mm, s, slab);
        let mut l = n.list_lock.lock();
        if word(mm, slab).inuse == 0 && n.nr_partial() >= s.min_partial() {
            drop(l);
            c.stat(StatItem::DeactivateEmpty);
            discard_slab(mm, s, slab);
            c.stat(StatItem::FreeSlab);
        } else {
            add_partial(mm, n, &mut l, slab, true);
            c.stat(StatItem::FreeAddPartial);
        }
    }
}

/// `deactivate_slab`: give a CPU's active slab back, splicing the CPU free list
/// `freelist` onto the slab's own and unfreezing it; then on its node's partial list,
/// freed if empty beyond `min_partial`, or on no list if full.
fn deactivate_slab<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &KmemCacheCpu,
    pfn: u64,
    freelist: usize,
) {
    let Some(p) = page(mm, pfn) else { return };
    let n = node_of(mm, s, pfn);
    let start = obj_start(mm, s, pfn);
    let mut tail = false;
    if SlabWord::unpack(p.private_acquire()).free != 0 {
        c.stat(StatItem::DeactivateRemoteFrees);
        tail = true;
    }
    // Stage one: count the CPU list, find its tail (stop at a corrupted pointer).
    let objects = SlabWord::unpack(p.private()).objects;
    let mut free_delta = 0u16;
    let mut ftail = 0usize;
    let mut it = freelist;
    while it != 0 && free_delta < objects {
        let next = get_freepointer(s, it);
        ftail = it;
        free_delta += 1;
        if !valid_pointer(s, start, objects, next) {
            // freelist_corrupted: isolate the rest of the list.
            set_freepointer(s, it, 0);
            break;
        }
        it = next;
    }
    // Stage two: unfreeze, splicing the CPU list in front of the slab's.
    let new = loop {
        let old = p.private_acquire();
        let w = SlabWord::unpack(old);
        let mut new = w;
        new.frozen = false;
        if ftail != 0 {
            new.inuse = w.inuse.saturating_sub(free_delta);
            set_freepointer(s, ftail, to_addr(s, start, w.free));
            new.free = to_idx(s, start, freelist);
        }
        if p.cmpxchg_private(old, new.pack()).is_ok() {
            break new;
        }
        c.stat(StatItem::CmpxchgDoubleFail);
    };
    // Stage three.
    if new.inuse == 0 && n.nr_partial() >= s.min_partial() {
        c.stat(StatItem::DeactivateEmpty);
        discard_slab(mm, s, pfn);
        c.stat(StatItem::FreeSlab);
    } else if new.free != 0 {
        let mut l = n.list_lock.lock();
        add_partial(mm, n, &mut l, pfn, tail);
        drop(l);
        c.stat(if tail {
            StatItem::DeactivateToTail
        } else {
            StatItem::DeactivateToHead
        });
    } else {
        c.stat(StatItem::DeactivateFull);
    }
}

// ---- debug caches: everything under the node's list_lock ----

#[inline(never)]
fn alloc_debug<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    node: Option<NodeId>,
    orig_size: u32,
    caller: usize,
) -> Result<usize, SlabError> {
    let c = this_cpu(mm, s);
    c.stat(StatItem::AllocSlowpath);
    let node = node.filter(|n| s.node(n.0 as usize).is_some());
    // get_partial: the wanted (or local) node, then get_any_partial.
    let search = node.unwrap_or_else(|| mm.numa_node_id()).0 as usize;
    let from_node = |nid: usize| {
        let n = s.node(nid)?;
        if n.nr_partial() == 0 {
            return None;
        }
        let mut l = n.list_lock.lock();
        let mut cur = list_first(mm, l.head);
        while let Some(slab) = cur {
            cur = list_next(mm, slab);
            if let Some(obj) = alloc_single_from_partial(mm, s, n, &mut l, slab, orig_size, caller)
            {
                return Some(obj);
            }
        }
        None
    };
    let mut obj = from_node(search);
    if obj.is_none() && !(node.is_some() && gfp.contains(Gfp::THISNODE)) {
        obj = get_any_partial(mm, s, from_node);
    }
    if let Some(obj) = obj {
        c.stat(StatItem::AllocFromPartial);
        return Ok(obj);
    }
    let slab = new_slab(mm, s, gfp, node)?;
    c.stat(StatItem::AllocSlab);
    alloc_single_from_new_slab(mm, s, slab, orig_size, caller).ok_or(SlabError::InvalidFree(0))
}

/// `alloc_single_from_partial`.
fn alloc_single_from_partial<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    n: &KmemCacheNode,
    l: &mut PartialList,
    pfn: u64,
    orig_size: u32,
    caller: usize,
) -> Option<usize> {
    let p = page(mm, pfn)?;
    let start = obj_start(mm, s, pfn);
    let mut w = SlabWord::unpack(p.private());
    let obj = to_addr(s, start, w.free);
    if obj == 0 {
        // No free object after all: it belongs with the full slabs.
        remove_partial(mm, n, l, pfn);
        add_full(mm, s, l, pfn);
        return None;
    }
    let fp = get_freepointer(s, obj);
    let slab = SlabRef {
        pfn,
        start,
        objects: w.objects as u32,
    };
    if !valid_pointer(s, start, w.objects, fp) {
        // The free chain is corrupt past `obj`: reported and the slab frozen.
        hooks::freechain_corrupt(mm, s, slab, obj);
        remove_partial(mm, n, l, pfn);
        return None;
    }
    if !hooks::alloc_debug_processing(mm, s, slab, obj, orig_size, caller) {
        // The slab is isolated (frozen in its word): off the list, never used again.
        remove_partial(mm, n, l, pfn);
        return None;
    }
    w.free = to_idx(s, start, fp);
    w.inuse += 1;
    p.set_private(w.pack());
    if w.inuse == w.objects {
        remove_partial(mm, n, l, pfn);
        add_full(mm, s, l, pfn);
    }
    Some(obj)
}

/// `alloc_single_from_new_slab`.
fn alloc_single_from_new_slab<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    orig_size: u32,
    caller: usize,
) -> Option<usize> {
    let p = page(mm, pfn)?;
    let start = obj_start(mm, s, pfn);
    let mut w = SlabWord::unpack(p.private());
    let obj = to_addr(s, start, w.free);
    w.free = to_idx(s, start, get_freepointer(s, obj));
    w.inuse = 1;
    let slab = SlabRef {
        pfn,
        start,
        objects: w.objects as u32,
    };
    if !hooks::alloc_debug_processing(mm, s, slab, obj, orig_size, caller) {
        return None;
    }
    p.set_private(w.pack());
    let n = node_of(mm, s, pfn);
    let mut l = n.list_lock.lock();
    if w.inuse != w.objects {
        add_partial(mm, n, &mut l, pfn, false);
    } else {
        add_full(mm, s, &mut l, pfn);
    }
    inc_slabs_node(n, w.objects);
    Some(obj)
}

/// `free_to_partial_list`: a debug cache's free of `cnt` objects `head`..`tail`.
fn free_to_partial_list<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    head: usize,
    tail: usize,
    cnt: u32,
    caller: usize,
) -> Result<(), SlabError> {
    let c = this_cpu(mm, s);
    let Some(p) = page(mm, pfn) else {
        return Err(SlabError::InvalidFree(head));
    };
    let n = node_of(mm, s, pfn);
    let start = obj_start(mm, s, pfn);
    let slab = SlabRef {
        pfn,
        start,
        objects: SlabWord::unpack(p.private()).objects as u32,
    };
    let mut l = n.list_lock.lock();
    let mut cnt = cnt;
    hooks::free_debug_processing(mm, s, slab, head, tail, &mut cnt, caller)?;
    let mut w = SlabWord::unpack(p.private());
    if w.free == to_idx(s, start, head) || (w.inuse as u32) < cnt {
        return Err(SlabError::DoubleFree(head));
    }
    let prior = w.free;
    w.inuse -= cnt as u16;
    set_freepointer(s, tail, to_addr(s, start, prior));
    w.free = to_idx(s, start, head);
    p.set_private(w.pack());
    let discard = w.inuse == 0 && n.nr_partial() >= s.min_partial();
    if prior == 0 {
        // It was full: off the full list (STORE_USER caches keep one).
        remove_full(mm, s, &mut l, pfn);
        if !discard {
            add_partial(mm, n, &mut l, pfn, true);
            c.stat(StatItem::FreeAddPartial);
        }
    } else if discard {
        remove_partial(mm, n, &mut l, pfn);
        c.stat(StatItem::FreeRemovePartial);
    }
    drop(l);
    if discard {
        c.stat(StatItem::FreeSlab);
        discard_slab(mm, s, pfn);
    }
    Ok(())
}

// ---- validation (/sys/kernel/slab/<cache>/validate) ----

/// `validate_slab_node`: `validate_slab` on each slab of the node's partial list and,
/// for `SLAB_STORE_USER` caches, its full list, under `list_lock`; a count that
/// disagrees with `nr_partial` / `nr_slabs` is reported. Returns the slabs checked.
fn validate_slab_node<P: Platform>(mm: &Mm<P>, s: &KmemCache, n: &KmemCacheNode) -> u64 {
    let l = n.list_lock.lock();
    let mut count = 0u64;
    let mut cur = list_first(mm, l.head);
    while let Some(slab) = cur {
        cur = list_next(mm, slab);
        hooks::validate_slab(mm, s, slab, word(mm, slab).objects as u32);
        count += 1;
    }
    let nr_partial = n.nr_partial() as u64;
    if count != nr_partial {
        mm.platform().printk(
            Level::Err,
            format_args!(
                "SLUB {}: {} partial slabs counted but counter={}",
                s.name(),
                count,
                nr_partial
            ),
        );
        hooks::SLUB_DEBUG_STATE.add_error();
    }
    if !s.flags().contains(super::SlabFlags::STORE_USER) {
        return count;
    }
    let mut cur = list_first(mm, l.full_head);
    while let Some(slab) = cur {
        cur = list_next(mm, slab);
        hooks::validate_slab(mm, s, slab, word(mm, slab).objects as u32);
        count += 1;
    }
    let nr_slabs = n.nr_slabs();
    if count != nr_slabs {
        mm.platform().printk(
            Level::Err,
            format_args!(
                "SLUB: {} {} slabs counted but counter={}",
                s.name(),
                count,
                nr_slabs
            ),
        );
        hooks::SLUB_DEBUG_STATE.add_error();
    }
    count
}

/// `validate_slab_cache`: flush the CPU slabs, then validate every node's lists;
/// returns the slabs checked. Reports go to the platform's `printk`.
pub(crate) fn validate_slab_cache<P: Platform>(mm: &Mm<P>, s: &KmemCache) -> u64 {
    flush_all(mm, s);
    s.nodes().map(|(_, n)| validate_slab_node(mm, s, n)).sum()
}

// ---- free ----

/// The slab holding `addr`: head pfn, head descriptor and cache id (`virt_to_slab`),
/// with one descriptor lookup for objects of order-0 slabs and heads.
#[inline(always)]
pub(crate) fn object_slab<P: Platform>(mm: &Mm<P>, addr: usize) -> Option<(u64, &Page, u16)> {
    let off = addr.wrapping_sub(mm.platform().direct_map_base() as usize);
    let pfn = (off >> mm.geometry().shift()) as u64;
    let map = mm.memmap();
    let p = map.page(pfn)?;
    let t = p.page_type();
    if t & 0xff00_0000 == TYPE_SLAB {
        return Some((pfn, p, (t & 0xffff) as u16));
    }
    // A tail page of a higher-order slab: its head, from the descriptor in hand.
    let v = p.private();
    if v & COMPOUND_TAIL == 0 {
        return None;
    }
    let head = v & !COMPOUND_TAIL;
    let h = map.page(head)?;
    let t = h.page_type();
    (t & 0xff00_0000 == TYPE_SLAB).then_some((head, h, (t & 0xffff) as u16))
}

/// Whether `addr` is the start of an object of the slab `head` (`p`) of `s`:
/// `obj_to_index` by reciprocal multiplication, exact for slab offsets (< 2^32); an
/// offset that is not a multiple of the size fails the product check.
#[inline(always)]
fn is_object<P: Platform>(mm: &Mm<P>, s: &KmemCache, head: u64, p: &Page, addr: usize) -> bool {
    let start = obj_start(mm, s, head);
    let Some(rel) = addr.checked_sub(start).map(|r| r as u64) else {
        return false;
    };
    let objects = SlabWord::unpack(p.private_acquire()).objects as u64;
    let size = s.layout.size as u64;
    let idx = (rel * s.reciprocal_size) >> 32;
    if idx * size == rel && idx < objects {
        return true;
    }
    rel < u32::MAX as u64 && rel % size == 0 && rel / size < objects
}

/// Check that `addr` is an object of `s` (`virt_to_slab` + `cache_from_obj` + object
/// alignment): its slab's head pfn.
#[inline(always)]
pub(crate) fn check_object<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    addr: usize,
) -> Result<u64, SlabError> {
    check_object_page(mm, s, addr).map(|(head, _)| head)
}

/// [`check_object`], with the slab's head descriptor.
#[inline(always)]
fn check_object_page<'a, P: Platform>(
    mm: &'a Mm<P>,
    s: &KmemCache,
    addr: usize,
) -> Result<(u64, &'a Page), SlabError> {
    match object_slab(mm, addr) {
        Some((head, p, id)) if id == s.id().0 && is_object(mm, s, head, p, addr) => Ok((head, p)),
        _ => Err(SlabError::InvalidFree(addr)),
    }
}

/// `kfree` of a slab object by a caller running as `me`: the cache it was freed to,
/// and whether it went onto the CPU's free list (an object of the active slab); or
/// `Ok(None)` when `addr` is in no slab (for the caller's large-kmalloc check).
#[inline(always)]
pub(crate) fn kfree_slab<'a, P: Platform>(
    mm: &Mm<P>,
    cache: impl FnOnce(u16) -> Option<&'a KmemCache>,
    me: ThisCpu,
    addr: usize,
    caller: usize,
) -> Result<Option<(&'a KmemCache, bool)>, SlabError> {
    let Some((head, p, id)) = object_slab(mm, addr) else {
        return Ok(None);
    };
    let s = cache(id).ok_or(SlabError::InvalidFree(addr))?;
    if fast_free(s) {
        let Some(c) = free_to_active(mm, s, me, addr)? else {
            return Ok(Some((s, true)));
        };
        if !is_object(mm, s, head, p, addr) {
            return Err(SlabError::InvalidFree(addr));
        }
        return slab_free_slow(mm, s, c, head, p, addr, addr, 1).map(|()| Some((s, false)));
    }
    if !is_object(mm, s, head, p, addr) {
        return Err(SlabError::InvalidFree(addr));
    }
    if !hooks::slab_free_hook(s, addr) {
        return Ok(Some((s, false)));
    }
    slab_free_one(mm, s, head, addr, caller).map(|()| Some((s, false)))
}

/// Whether frees to `s` may take [`free_to_active`] and then `__slab_free` directly:
/// no debug checks, and `slab_free_hook` has nothing to do (no `init_on_free`).
#[inline(always)]
pub(crate) fn fast_free(s: &KmemCache) -> bool {
    s.fast_free
}

/// `do_slab_free` of one object `addr` of a [`fast_free`] cache `s`: `Ok(None)` when it
/// went onto the CPU's free list — an object of the CPU's active slab is known to be
/// one of `s`'s by its address alone (Linux finds the slab by one add through
/// vmemmap; here the descriptor is three loads away, and the object check needs the
/// layout and the slab's object count). Otherwise nothing is done and the CPU's slot
/// is returned for `__slab_free` once the caller has validated `addr` (which, like
/// Linux's, copes with the slab having become some CPU's active slab meanwhile).
#[inline(always)]
pub(crate) fn free_to_active<'a, P: Platform>(
    mm: &Mm<P>,
    s: &'a KmemCache,
    me: ThisCpu,
    addr: usize,
) -> Result<Option<&'a KmemCacheCpu>, SlabError> {
    // As in slab_alloc_node_size: the owner's way in with its own copy of the push.
    match s.this_cpu_slot_owner(me) {
        (c, Some(g)) => push_to_active(s, c, g, addr),
        (c, None) => push_to_active_locked(mm, s, c, me, addr),
    }
}

/// The push of [`free_to_active`] on the CPU's slot, taken as `g`.
#[inline(always)]
fn push_to_active<'a>(
    s: &KmemCache,
    c: &'a KmemCacheCpu,
    mut g: LocalGuard<'a, CpuSlab>,
    addr: usize,
) -> Result<Option<&'a KmemCacheCpu>, SlabError> {
    // One compare: `objs_len` is 0 without an active slab, and below 2^32 (a slab's
    // bytes), as the reciprocal multiplication needs.
    let rel = addr.wrapping_sub(g.objs_start) as u64;
    if rel < g.objs_len as u64 {
        let size = s.layout.size as u64;
        let idx = (rel * s.reciprocal_size) >> 32;
        if idx * size == rel {
            // set_freepointer's naive double-free check.
            if g.freelist == addr {
                crate::local_lock::cold_path();
                return Err(SlabError::DoubleFree(addr));
            }
            set_freepointer(s, addr, g.freelist);
            g.freelist = addr;
            drop(g);
            c.stat(StatItem::FreeFastpath);
            return Ok(None);
        }
    }
    Ok(Some(c))
}

/// [`push_to_active`] for a caller that is not the slot's uncontended owner.
#[inline(never)]
fn push_to_active_locked<'a, P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &'a KmemCacheCpu,
    me: ThisCpu,
    addr: usize,
) -> Result<Option<&'a KmemCacheCpu>, SlabError> {
    push_to_active(s, c, lock_slot(mm, c, me), addr)
}

/// `slab_free` after validating `addr` as an object of `s` (the fast path inlined into
/// the callers).
#[inline(always)]
pub(crate) fn slab_free_checked<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    addr: usize,
    caller: usize,
) -> Result<(), SlabError> {
    if fast_free(s) {
        // The owner's copy inline (its owner tests fold away), anyone else's out of
        // line.
        let Some(me) = mm.platform().this_cpu_owned() else {
            return slab_free_fast_shared(mm, s, addr);
        };
        let Some(c) = free_to_active(mm, s, me, addr)? else {
            return Ok(());
        };
        return free_not_active(mm, s, c, addr);
    }
    slab_free_checked_hooked(mm, s, addr, caller)
}

/// The fast path of [`slab_free_checked`] for a caller not known at once to own its
/// CPU.
#[inline(never)]
fn slab_free_fast_shared<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    addr: usize,
) -> Result<(), SlabError> {
    let Some(c) = free_to_active(mm, s, mm.platform().this_cpu(), addr)? else {
        return Ok(());
    };
    free_not_active(mm, s, c, addr)
}

/// [`slab_free_checked`] of an object not in the CPU's active slab: validated through
/// its descriptor, then `__slab_free`.
#[inline(never)]
fn free_not_active<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &KmemCacheCpu,
    addr: usize,
) -> Result<(), SlabError> {
    let (pfn, p) = check_object_page(mm, s, addr)?;
    slab_free_slow(mm, s, c, pfn, p, addr, addr, 1)
}

/// [`slab_free_checked`] for a debug or `init_on_free` cache.
#[cold]
#[inline(never)]
fn slab_free_checked_hooked<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    addr: usize,
    caller: usize,
) -> Result<(), SlabError> {
    let pfn = check_object(mm, s, addr)?;
    if !hooks::slab_free_hook(s, addr) {
        return Ok(());
    }
    slab_free_one(mm, s, pfn, addr, caller)
}

/// `slab_free` of one object: a debug cache records `caller` (`_RET_IP_`) in the
/// free track.
#[inline(always)]
fn slab_free_one<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    addr: usize,
    caller: usize,
) -> Result<(), SlabError> {
    if kmem_cache_debug(s) {
        this_cpu(mm, s).stat(StatItem::FreeSlowpath);
        return free_to_partial_list(mm, s, pfn, addr, addr, 1, caller);
    }
    do_slab_free(mm, s, pfn, addr, addr, 1)
}

/// `do_slab_free`: `cnt` objects chained `head`..`tail` of slab `pfn`. The CPU's
/// active slab takes them on its free list; any other slab through `__slab_free`.
pub(crate) fn do_slab_free<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    pfn: u64,
    head: usize,
    tail: usize,
    cnt: u32,
) -> Result<(), SlabError> {
    if kmem_cache_debug(s) {
        this_cpu(mm, s).stat(StatItem::FreeSlowpath);
        return free_to_partial_list(mm, s, pfn, head, tail, cnt, 0);
    }
    let me = mm.platform().this_cpu();
    let c = s.cpu_slot(me.id);
    let mut g = lock_slot(mm, c, me);
    if g.slab == pfn {
        // set_freepointer's naive double-free check (CONFIG_SLAB_FREELIST_HARDENED).
        if g.freelist == head {
            return Err(SlabError::DoubleFree(head));
        }
        set_freepointer(s, tail, g.freelist);
        g.freelist = head;
        drop(g);
        c.stat(StatItem::FreeFastpath);
        return Ok(());
    }
    drop(g);
    let p = page(mm, pfn).ok_or(SlabError::InvalidFree(head))?;
    slab_free_slow(mm, s, c, pfn, p, head, tail, cnt)
}

/// `__slab_free`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn slab_free_slow<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    c: &KmemCacheCpu,
    pfn: u64,
    p: &Page,
    head: usize,
    tail: usize,
    cnt: u32,
) -> Result<(), SlabError> {
    c.stat(StatItem::FreeSlowpath);
    let n = node_of_nid(s, p.nid() as usize);
    let start = obj_start(mm, s, pfn);
    // `head` is an object of the slab (every caller checked it).
    let head_idx = obj_idx(s, start, head);
    let (w, new, lock, on_node_partial) = loop {
        let old = p.private_acquire();
        let w = SlabWord::unpack(old);
        if w.free == head_idx || (w.inuse as u32) < cnt {
            return Err(SlabError::DoubleFree(head));
        }
        set_freepointer(s, tail, to_addr(s, start, w.free));
        let mut new = w;
        new.inuse -= cnt as u16;
        new.free = head_idx;
        let mut lock = None;
        let mut on_node_partial = false;
        if new.inuse == 0 && !w.frozen && w.free != 0 {
            // Needs to be taken off a list: serialise with list changes.
            let l = n.list_lock.lock();
            on_node_partial = p.flags() & PG_SLAB_NODE_PARTIAL != 0;
            lock = Some(l);
        }
        if p.cmpxchg_private(old, new.pack()).is_ok() {
            break (w, new, lock, on_node_partial);
        }
        c.stat(StatItem::CmpxchgDoubleFail);
    };
    let prior = w.free;
    let Some(mut l) = lock else {
        if w.frozen {
            c.stat(StatItem::FreeFrozen);
        } else if prior == 0 {
            // A full slab got its first free object: onto this CPU's partial list.
            put_cpu_partial(mm, s, c, pfn, true);
            c.stat(StatItem::CpuPartialFree);
        }
        return Ok(());
    };
    // Partially empty but on a CPU's partial list, not the node's: leave it.
    if prior != 0 && !on_node_partial {
        return Ok(());
    }
    if new.inuse == 0 && n.nr_partial() >= s.min_partial() {
        remove_partial(mm, n, &mut l, pfn);
        c.stat(StatItem::FreeRemovePartial);
        drop(l);
        c.stat(StatItem::FreeSlab);
        discard_slab(mm, s, pfn);
    }
    Ok(())
}

// ---- flushing, shrinking, shutdown ----

/// `flush_cpu_slab` for every CPU (`flush_all`): deactivate each active slab and put
/// each partial list back on the nodes.
pub(crate) fn flush_all<P: Platform>(mm: &Mm<P>, s: &KmemCache) {
    if kmem_cache_debug(s) {
        return;
    }
    let nr = mm.platform().nr_cpus().max(1);
    // Closed to their owners all at once: one barrier for every CPU.
    let mut owned = false;
    for cpu in 0..nr {
        let c = s.cpu_slot(cpu);
        owned |= c.lock.close_gate(mm.platform());
    }
    if owned {
        mm.platform().barrier_owned_cpus();
    }
    for cpu in 0..nr {
        let c = s.cpu_slot(cpu);
        // SAFETY: closed above, the barrier taken if any CPU had an owner; opened
        // right after this CPU's slab and partial list are taken.
        let mut g = unsafe { c.lock.lock_closed() };
        let (slab, fl, partial) = (g.slab, g.freelist, g.partial);
        g.clear_slab();
        g.freelist = 0;
        g.partial = NO_SLAB;
        g.partial_slabs = 0;
        drop(g);
        c.lock.open_gate();
        if slab != NO_SLAB {
            deactivate_slab(mm, s, c, slab, fl);
            c.stat(StatItem::CpuslabFlush);
        }
        if partial != NO_SLAB {
            put_partials(mm, s, c, partial);
        }
    }
}

/// The node lists' empty slabs freed and the others sorted fullest first (the list
/// part of `__kmem_cache_do_shrink`); returns the pages freed.
pub(crate) fn shrink_partial<P: Platform>(mm: &Mm<P>, s: &KmemCache) -> u64 {
    let mut freed = 0;
    for (_, n) in s.nodes() {
        let mut discard = NO_SLAB;
        {
            let mut l = n.list_lock.lock();
            let mut promote = [(NO_SLAB, NO_SLAB); SHRINK_PROMOTE_MAX];
            let mut rest = NO_SLAB;
            let mut rest_tail = NO_SLAB;
            let mut cur = list_first(mm, l.head);
            while let Some(slab) = cur {
                cur = list_next(mm, slab);
                remove_partial(mm, n, &mut l, slab);
                let w = word(mm, slab);
                let free = (w.objects - w.inuse.min(w.objects)) as usize;
                if free == w.objects as usize {
                    set_chain_next(mm, slab, discard);
                    discard = slab;
                } else if (1..=SHRINK_PROMOTE_MAX).contains(&free) {
                    // list_move: to the front of its bucket.
                    let b = &mut promote[free - 1];
                    set_chain_next(mm, slab, b.0);
                    if b.0 == NO_SLAB {
                        b.1 = slab;
                    }
                    b.0 = slab;
                } else {
                    set_chain_next(mm, slab, NO_SLAB);
                    if rest == NO_SLAB {
                        rest = slab;
                    } else {
                        set_chain_next(mm, rest_tail, slab);
                    }
                    rest_tail = slab;
                }
            }
            // Rebuild: fewest free objects first, then the rest in their old order.
            for &(first, _) in promote.iter().chain(core::iter::once(&(rest, rest_tail))) {
                let mut cur = first;
                while cur != NO_SLAB {
                    let next = chain_next(mm, cur);
                    add_partial(mm, n, &mut l, cur, true);
                    cur = next;
                }
            }
        }
        while discard != NO_SLAB {
            let next = chain_next(mm, discard);
            freed += 1u64 << word(mm, discard).order;
            discard_slab(mm, s, discard);
            discard = next;
        }
    }
    freed
}

/// `count_partial(n, count_free)` summed over the nodes.
pub(crate) fn count_partial_free<P: Platform>(mm: &Mm<P>, s: &KmemCache) -> u64 {
    let mut free = 0u64;
    for (_, n) in s.nodes() {
        let l = n.list_lock.lock();
        let mut cur = list_first(mm, l.head);
        while let Some(slab) = cur {
            let w = word(mm, slab);
            free += w.objects.saturating_sub(w.inuse) as u64;
            cur = list_next(mm, slab);
        }
    }
    free
}

/// `free_partial`: free the empty partial slabs, report the objects of the others
/// (`list_slab_objects`); returns the slabs left.
pub(crate) fn free_partial<P: Platform>(mm: &Mm<P>, s: &KmemCache, log: &mut dyn Log) -> u64 {
    let mut left = 0;
    for (_, n) in s.nodes() {
        let mut discard = NO_SLAB;
        {
            let mut l = n.list_lock.lock();
            let mut cur = list_first(mm, l.head);
            while let Some(slab) = cur {
                cur = list_next(mm, slab);
                if word(mm, slab).inuse == 0 {
                    remove_partial(mm, n, &mut l, slab);
                    set_chain_next(mm, slab, discard);
                    discard = slab;
                } else {
                    list_slab_objects(mm, s, slab, log);
                    left += 1;
                }
            }
        }
        while discard != NO_SLAB {
            let next = chain_next(mm, discard);
            discard_slab(mm, s, discard);
            discard = next;
        }
    }
    left
}

/// `slab_err` + `list_slab_objects`: the "Objects remaining" report of one slab.
fn list_slab_objects<P: Platform>(mm: &Mm<P>, s: &KmemCache, pfn: u64, log: &mut dyn Log) {
    let w = word(mm, pfn);
    let start = obj_start(mm, s, pfn);
    let size = s.layout.size as usize;
    let mut free = [0u64; 512];
    let mut f = to_addr(s, start, w.free);
    let mut guard = 0;
    while f != 0 && guard < w.objects {
        let i = (f - start) / size;
        if i < 32768 {
            free[i / 64] |= 1 << (i % 64);
        }
        let fp = get_freepointer(s, f);
        f = if valid_pointer(s, start, w.objects, fp) {
            fp
        } else {
            0
        };
        guard += 1;
    }
    let name = s.name();
    log.line(
        Level::Err,
        format_args!(
            "============================================================================="
        ),
    );
    log.line(
        Level::Err,
        format_args!(
            "BUG {name} (Not tainted): Objects remaining in {name} on __kmem_cache_shutdown()"
        ),
    );
    log.line(
        Level::Err,
        format_args!(
            "-----------------------------------------------------------------------------"
        ),
    );
    log.line(Level::Err, format_args!(""));
    log.line(
        Level::Err,
        format_args!(
            "Slab 0x{:016x} objects={} used={} fp=0x{:016x} flags={}",
            page(mm, pfn).map_or(start, |p| p as *const Page as usize),
            w.objects,
            w.inuse,
            to_addr(s, start, w.free),
            crate::page::PageFlags(page(mm, pfn).map_or(0, |p| p.flags()))
        ),
    );
    for i in 0..w.objects as usize {
        if free[i / 64] & (1 << (i % 64)) == 0 {
            log.line(
                Level::Err,
                format_args!("Object 0x{:016x} @offset={}", start + i * size, i * size),
            );
        }
    }
}

// ---- bulk ----

/// `kmem_cache_alloc_bulk`: fill `out` under one CPU lock hold where the CPU list
/// allows; all or nothing.
pub(crate) fn alloc_bulk<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    gfp: Gfp,
    out: &mut [*mut u8],
) -> Result<usize, SlabError> {
    let mut i = 0;
    let r = (|| {
        if kmem_cache_debug(s) {
            while i < out.len() {
                out[i] = slab_alloc_node(mm, s, gfp, None)? as *mut u8;
                i += 1;
            }
            return Ok(());
        }
        let c = this_cpu(mm, s);
        while i < out.len() {
            let mut g = relock(mm, c);
            while i < out.len() && g.freelist != 0 && g.slab != NO_SLAB {
                let obj = g.freelist;
                g.freelist = get_freepointer(s, obj);
                out[i] = obj as *mut u8;
                i += 1;
                c.stat(StatItem::AllocFastpath);
            }
            if i < out.len() {
                out[i] = slab_alloc_slow(mm, s, c, g, gfp, None)? as *mut u8;
                i += 1;
            }
        }
        Ok(())
    })();
    match r {
        Ok(()) => {
            for &p in out.iter() {
                hooks::maybe_wipe_obj_freeptr(s, p as usize);
                hooks::slab_post_alloc_hook(s, p as usize, gfp, u32::MAX);
            }
            Ok(out.len())
        }
        Err(e) => {
            for p in &mut out[..i] {
                let _ = slab_free_checked(mm, s, *p as usize, 0);
                *p = core::ptr::null_mut();
            }
            Err(e)
        }
    }
}

/// `kmem_cache_free_bulk` with `build_detached_freelist`: objects of one slab are
/// chained and freed together (looking ahead past at most 3 others, as Linux). Null
/// entries are skipped; every entry is validated before anything is freed, and
/// processed entries are set to null.
pub(crate) fn free_bulk<P: Platform>(
    mm: &Mm<P>,
    s: &KmemCache,
    objs: &mut [*mut u8],
) -> Result<(), SlabError> {
    for &p in objs.iter().filter(|p| !p.is_null()) {
        check_object(mm, s, p as usize)?;
    }
    let mut size = objs.len();
    while size > 0 {
        // build_detached_freelist
        size -= 1;
        let obj = objs[size] as usize;
        objs[size] = core::ptr::null_mut();
        if obj == 0 {
            continue;
        }
        let pfn = check_object(mm, s, obj)?;
        if !hooks::slab_free_hook(s, obj) {
            continue;
        }
        // The first object is the detached list's tail; later ones go in front.
        let tail = obj;
        let mut chain_head = obj;
        let mut cnt = 1u32;
        set_freepointer(s, obj, 0);
        let mut lookahead = 3;
        let mut j = size;
        while j > 0 {
            j -= 1;
            let o = objs[j] as usize;
            if o == 0 {
                continue;
            }
            if slab_of(mm, o).map(|x| x.0) == Some(pfn) {
                if o == obj || o == chain_head {
                    return Err(SlabError::DoubleFree(o));
                }
                if hooks::slab_free_hook(s, o) {
                    set_freepointer(s, o, chain_head);
                    chain_head = o;
                    cnt += 1;
                }
                objs[j] = core::ptr::null_mut();
                if j + 1 == size {
                    size -= 1;
                }
            } else {
                lookahead -= 1;
                if lookahead == 0 {
                    break;
                }
            }
        }
        do_slab_free(mm, s, pfn, chain_head, tail, cnt)?;
    }
    Ok(())
}
