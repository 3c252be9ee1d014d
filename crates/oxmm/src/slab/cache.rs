//! Object caches (Linux: `struct kmem_cache`, `kmem_cache_create`, `slab_alloc_node`,
//! `__slab_free`, `__kmem_cache_shrink`, `kmem_cache_destroy`; mm/slub.c, v6.12).
//!
//! No heap: every `KmemCache` is an object of the `kmem_cache` cache, which allocates its
//! own structure at [`SlabCaches::init`] (Linux's `bootstrap`). A slab is a block from
//! the buddy allocator (compound when order > 0); its state lives in the head page's
//! descriptor: `page_type` = `PGTY_slab` plus the cache id, `private` = free-list head
//! (object index + 1), `inuse`, `objects` and the order; `next`/`prev` link it on its
//! node's partial list. A free object holds the address of the next free object at the
//! cache's free-pointer offset.

use super::kmalloc::{
    self, kmalloc_index, kmalloc_index_size, kmalloc_size_name, kmalloc_type, KmallocType,
    NR_KMALLOC_INDICES, NR_KMALLOC_TYPES, ZERO_SIZE_PTR,
};
use super::layout::{calculate_alignment, Layout};
use super::order::{calculate_order, get_order, min_partial, Oo, SlubParams};
use super::{SlabError, SlabFlags};
use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::mmzone::ZoneType;
use crate::page::{Page, PG_HEAD};
use crate::page_alloc::COMPOUND_TAIL;
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::types::{NodeId, Pfn, MAX_NUMNODES};
use core::fmt::Write;

/// Longest cache name kept (bytes).
pub const NAME_LEN: usize = 47;
/// Most caches at once (ids are 16-bit, the table is fixed).
pub const MAX_CACHES: usize = 256;
/// `PGTY_slab << 24` (v6.12 `enum pagetype`); the low 24 bits hold the cache id.
#[doc(alias = "PGTY_slab")]
pub const TYPE_SLAB: u32 = 0xf5 << 24;
const NO_ID: u16 = u16::MAX;

/// A cache's id: its slot in [`SlabCaches`], also recorded in each slab's descriptor.
///
/// ```
/// assert_eq!(oxmm::slab::CacheId(0), oxmm::slab::SlabCaches::KMEM_CACHE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheId(pub u16);

/// `struct kmem_cache_node`: one node's partial list and slab counts.
#[doc(alias = "kmem_cache_node")]
#[derive(Clone, Copy, Debug)]
struct KmemCacheNode {
    partial_head: u32,
    partial_tail: u32,
    nr_partial: u32,
    nr_slabs: u64,
    total_objects: u64,
}

impl KmemCacheNode {
    const EMPTY: KmemCacheNode = KmemCacheNode {
        partial_head: Page::NIL,
        partial_tail: Page::NIL,
        nr_partial: 0,
        nr_slabs: 0,
        total_objects: 0,
    };
}

/// Constructor run on every object when its slab is created.
pub type Ctor = fn(&mut [u8]);

/// `struct kmem_cache`: one cache of equal-sized objects.
///
/// ```
/// assert!(core::mem::size_of::<oxmm::slab::KmemCache>() < 4096);
/// ```
#[doc(alias = "kmem_cache")]
#[derive(Clone, Copy)]
pub struct KmemCache {
    name: [u8; NAME_LEN],
    name_len: u8,
    layout: Layout,
    flags: SlabFlags,
    ctor: Option<Ctor>,
    oo: Oo,
    min: Oo,
    min_partial: u32,
    allocflags: Gfp,
    id: u16,
    next: u16,
    node: [KmemCacheNode; MAX_NUMNODES],
}

impl KmemCache {
    /// `s->name`.
    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len as usize]).unwrap_or("?")
    }
    /// The cache's id.
    pub fn id(&self) -> CacheId {
        CacheId(self.id)
    }
    /// `s->object_size`.
    pub fn object_size(&self) -> u32 {
        self.layout.object_size
    }
    /// `s->size`: the object stride.
    pub fn size(&self) -> u32 {
        self.layout.size
    }
    /// `s->offset`: the free pointer's place in a free object.
    pub fn offset(&self) -> u32 {
        self.layout.offset
    }
    /// `s->align`.
    pub fn align(&self) -> u32 {
        self.layout.align
    }
    /// `s->flags`.
    pub fn flags(&self) -> SlabFlags {
        self.flags
    }
    /// `oo_order(s->oo)`.
    pub fn order(&self) -> u32 {
        self.oo.order()
    }
    /// `oo_objects(s->oo)`.
    pub fn objects_per_slab(&self) -> u32 {
        self.oo.objects()
    }
    /// `s->min_partial`.
    pub fn min_partial(&self) -> u32 {
        self.min_partial
    }
    /// Slabs on all nodes (`node_nr_slabs` summed).
    pub fn nr_slabs(&self) -> u64 {
        self.node.iter().map(|n| n.nr_slabs).sum()
    }
    /// Objects in all slabs (`node_nr_objs` summed).
    pub fn total_objects(&self) -> u64 {
        self.node.iter().map(|n| n.total_objects).sum()
    }
    /// Slabs on all node partial lists.
    pub fn nr_partial(&self) -> u64 {
        self.node.iter().map(|n| n.nr_partial as u64).sum()
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        id: u16,
        name: &str,
        size: u32,
        align: u32,
        flags: SlabFlags,
        ctor: Option<Ctor>,
        params: &SlubParams,
        cpus: u32,
    ) -> Result<KmemCache, SlabError> {
        if name.is_empty() || name.len() > NAME_LEN {
            return Err(SlabError::BadName(name.len()));
        }
        if align != 0 && !align.is_power_of_two() {
            return Err(SlabError::BadAlign(align));
        }
        let align = calculate_alignment(flags, align, size);
        let layout = Layout::calculate(size, align, flags, ctor.is_some())?;
        let order = calculate_order(layout.size, cpus, params)?;
        let sh = params.page_shift;
        let oo = Oo::make(order, layout.size, sh);
        if oo.objects() == 0 {
            return Err(SlabError::BadSize(size as u64));
        }
        let mut allocflags = Gfp::COMP;
        if flags.contains(SlabFlags::CACHE_DMA) {
            allocflags |= Gfp::DMA;
        }
        if flags.contains(SlabFlags::CACHE_DMA32) {
            allocflags |= Gfp::DMA32;
        }
        if flags.contains(SlabFlags::RECLAIM_ACCOUNT) {
            allocflags |= Gfp::RECLAIMABLE;
        }
        let mut n = [0u8; NAME_LEN];
        n[..name.len()].copy_from_slice(name.as_bytes());
        Ok(KmemCache {
            name: n,
            name_len: name.len() as u8,
            layout,
            flags,
            ctor,
            oo,
            min: Oo::make(get_order(layout.size as u64, sh), layout.size, sh),
            min_partial: min_partial(layout.size),
            allocflags,
            id,
            next: NO_ID,
            node: [KmemCacheNode::EMPTY; MAX_NUMNODES],
        })
    }
}

/// Slab state packed in the head descriptor's `private`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SlabState {
    /// Index + 1 of the first free object; 0 when the slab is full.
    free: u16,
    inuse: u16,
    objects: u16,
    order: u8,
}

impl SlabState {
    fn pack(self) -> u64 {
        self.free as u64
            | (self.inuse as u64) << 16
            | (self.objects as u64) << 32
            | (self.order as u64) << 48
    }
    fn unpack(v: u64) -> SlabState {
        SlabState {
            free: v as u16,
            inuse: (v >> 16) as u16,
            objects: (v >> 32) as u16,
            order: (v >> 48) as u8,
        }
    }
}

/// The cache registry (`slab_caches`, `kmem_cache`, `kmalloc_caches`). It holds only
/// ids and pointers into managed memory; the caches themselves live in slabs.
pub struct SlabCaches {
    caches: [*mut KmemCache; MAX_CACHES],
    head: u16,
    kmalloc: [[u16; NR_KMALLOC_INDICES]; NR_KMALLOC_TYPES],
    params: SlubParams,
    has_dma: bool,
}

/// Direct-map address of `pfn`.
fn pfn_addr<P: Platform>(mm: &Mm<P>, pfn: u64) -> usize {
    mm.platform().direct_map_base() as usize + ((pfn as usize) << mm.geometry().shift())
}

/// The slab head pfn and cache id of the slab holding `addr`, or `None` if the page is
/// not part of a slab.
fn slab_of<P: Platform>(mm: &Mm<P>, addr: usize) -> Option<(u64, u16)> {
    let base = mm.platform().direct_map_base() as usize;
    let pfn = (addr.checked_sub(base)? >> mm.geometry().shift()) as u64;
    let p = mm.memmap().page(pfn)?;
    let head = if p.page_type() & 0xff00_0000 == TYPE_SLAB {
        pfn
    } else if p.private() & COMPOUND_TAIL != 0 {
        p.private() & !COMPOUND_TAIL
    } else {
        return None;
    };
    let h = mm.memmap().page(head)?;
    (h.page_type() & 0xff00_0000 == TYPE_SLAB).then_some((head, (h.page_type() & 0xffff) as u16))
}

fn state<P: Platform>(mm: &Mm<P>, pfn: u64) -> SlabState {
    SlabState::unpack(mm.memmap().page(pfn).map_or(0, |p| p.private()))
}

fn set_state<P: Platform>(mm: &mut Mm<P>, pfn: u64, st: SlabState) {
    if let Some(p) = mm.memmap().page(pfn) {
        p.set_private(st.pack());
    }
}

/// Read the free pointer stored in the object at `obj`.
fn get_freepointer(obj: usize, offset: u32) -> usize {
    // SAFETY: `obj` is an object of a live slab (a block this cache owns in the direct
    // map) and `offset + 8 <= s->size`, so the word lies inside it.
    unsafe { core::ptr::read_unaligned((obj + offset as usize) as *const usize) }
}

/// Store the free pointer `fp` in the free object at `obj`.
fn set_freepointer(obj: usize, offset: u32, fp: usize) {
    // SAFETY: as in `get_freepointer`; the object is free, so no caller holds it.
    unsafe { core::ptr::write_unaligned((obj + offset as usize) as *mut usize, fp) }
}

fn add_partial<P: Platform>(mm: &mut Mm<P>, n: &mut KmemCacheNode, pfn: u64, tail: bool) {
    let map = mm.memmap();
    let Some(idx) = map.index_of(pfn) else { return };
    let (prev, next) = if tail {
        (n.partial_tail, Page::NIL)
    } else {
        (Page::NIL, n.partial_head)
    };
    if let Some(p) = map.page_by_index(idx) {
        p.set_prev(prev);
        p.set_next(next);
    }
    match map.page_by_index(prev) {
        Some(p) => p.set_next(idx),
        None => n.partial_head = idx,
    }
    match map.page_by_index(next) {
        Some(p) => p.set_prev(idx),
        None => n.partial_tail = idx,
    }
    n.nr_partial += 1;
}

fn remove_partial<P: Platform>(mm: &mut Mm<P>, n: &mut KmemCacheNode, pfn: u64) {
    let map = mm.memmap();
    let Some(idx) = map.index_of(pfn) else { return };
    let Some(p) = map.page_by_index(idx) else {
        return;
    };
    let (prev, next) = (p.prev(), p.next());
    p.set_prev(Page::NIL);
    p.set_next(Page::NIL);
    match map.page_by_index(prev) {
        Some(p) => p.set_next(next),
        None => n.partial_head = next,
    }
    match map.page_by_index(next) {
        Some(p) => p.set_prev(prev),
        None => n.partial_tail = prev,
    }
    n.nr_partial = n.nr_partial.saturating_sub(1);
}

/// `account_slab` / `unaccount_slab` (and the large-kmalloc accounting): the node's
/// `NR_SLAB_{RECLAIMABLE,UNRECLAIMABLE}_B` by the block's bytes, `sign` ±1.
fn account_slab<P: Platform>(mm: &Mm<P>, pfn: u64, order: u32, reclaimable: bool, sign: i64) {
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

/// `allocate_slab` + `shuffle_freelist` (in order): a fresh slab of `s` on a node near
/// `nid`, its objects constructed and chained; returns its head pfn.
fn new_slab<P: Platform>(
    s: &mut KmemCache,
    mm: &mut Mm<P>,
    nid: NodeId,
    gfp: Gfp,
) -> Result<u64, SlabError> {
    let strip = Gfp::DMA | Gfp::DMA32 | Gfp::HIGHMEM | Gfp::MOVABLE | Gfp::RECLAIMABLE;
    let base = (gfp - strip - Gfp::ZERO) | s.allocflags;
    // Try the preferred order quietly, then the smallest order that holds one object.
    let (pfn, oo) = match mm.alloc_pages_node(nid, base | Gfp::NOWARN | Gfp::NORETRY, s.oo.order())
    {
        Ok(p) => (p.0, s.oo),
        Err(_) => (mm.alloc_pages_node(nid, base, s.min.order())?.0, s.min),
    };
    let reclaimable = s.flags.contains(SlabFlags::RECLAIM_ACCOUNT);
    account_slab(mm, pfn, oo.order(), reclaimable, 1);
    let objects = oo.objects();
    let start = pfn_addr(mm, pfn);
    let size = s.layout.size as usize;
    for i in 0..objects as usize {
        let obj = start + i * size;
        if let Some(ctor) = s.ctor {
            // SAFETY: the block was just allocated for this slab; object i spans
            // `object_size` bytes inside it and nothing else refers to it.
            let body = unsafe {
                core::slice::from_raw_parts_mut(obj as *mut u8, s.layout.object_size as usize)
            };
            ctor(body);
        }
        let next = if i + 1 < objects as usize {
            obj + size
        } else {
            0
        };
        set_freepointer(obj, s.layout.offset, next);
    }
    let node = mm.memmap().page(pfn).map_or(0, |p| p.nid() as usize);
    if let Some(p) = mm.memmap().page(pfn) {
        p.set_page_type(TYPE_SLAB | s.id as u32);
        p.set_private(
            SlabState {
                free: 1,
                inuse: 0,
                objects: objects as u16,
                order: oo.order() as u8,
            }
            .pack(),
        );
    }
    let n = &mut s.node[node];
    n.nr_slabs += 1;
    n.total_objects += objects as u64;
    add_partial(mm, n, pfn, false);
    Ok(pfn)
}

/// `discard_slab`: give an empty slab (already off the partial list) back to the buddy
/// allocator.
fn discard_slab<P: Platform>(s: &mut KmemCache, mm: &mut Mm<P>, pfn: u64) {
    let st = state(mm, pfn);
    let node = mm.memmap().page(pfn).map_or(0, |p| p.nid() as usize);
    if let Some(p) = mm.memmap().page(pfn) {
        // What page_alloc expects of an allocated head: untyped, order in private.
        p.set_page_type(Page::TYPE_NONE);
        p.set_private(st.order as u64);
    }
    let n = &mut s.node[node];
    n.nr_slabs = n.nr_slabs.saturating_sub(1);
    n.total_objects = n.total_objects.saturating_sub(st.objects as u64);
    let reclaimable = s.flags.contains(SlabFlags::RECLAIM_ACCOUNT);
    account_slab(mm, pfn, st.order as u32, reclaimable, -1);
    // The block came from alloc_pages with this order; a refusal would be a page
    // allocator bug, and the pages are then leaked rather than reused.
    let _ = mm.free_pages(Pfn(pfn), st.order as u32);
}

/// `slab_alloc_node` without per-CPU slabs: the first slab on the node's partial list,
/// or a new one.
fn slab_alloc<P: Platform>(
    s: &mut KmemCache,
    mm: &mut Mm<P>,
    gfp: Gfp,
) -> Result<usize, SlabError> {
    if gfp.intersects(Gfp::DMA32 | Gfp::HIGHMEM) {
        return Err(SlabError::BadGfp(gfp.bits()));
    }
    let nid = mm.numa_node_id();
    let node = nid.0 as usize % MAX_NUMNODES;
    let pfn = match mm.memmap().pfn_of(s.node[node].partial_head) {
        Some(p) if s.node[node].partial_head != Page::NIL => p,
        _ => new_slab(s, mm, nid, gfp)?,
    };
    let node = mm.memmap().page(pfn).map_or(0, |p| p.nid() as usize);
    let mut st = state(mm, pfn);
    let start = pfn_addr(mm, pfn);
    let size = s.layout.size as usize;
    if st.free == 0 {
        return Err(SlabError::InvalidFree(start));
    }
    let obj = start + (st.free as usize - 1) * size;
    let fp = get_freepointer(obj, s.layout.offset);
    let end = start + st.objects as usize * size;
    st.free = if fp == 0 {
        0
    } else if fp >= start && fp < end && (fp - start) % size == 0 {
        ((fp - start) / size + 1) as u16
    } else {
        // A corrupted free pointer: isolate the rest of the slab's free list.
        0
    };
    st.inuse += 1;
    set_state(mm, pfn, st);
    if st.free == 0 {
        remove_partial(mm, &mut s.node[node], pfn);
    }
    if gfp.contains(Gfp::ZERO) {
        // SAFETY: the object was just taken off the free list; it spans `object_size`
        // bytes of this slab's block.
        unsafe { core::ptr::write_bytes(obj as *mut u8, 0, s.layout.object_size as usize) };
    }
    Ok(obj)
}

/// `__slab_free` without per-CPU slabs.
fn slab_free<P: Platform>(
    s: &mut KmemCache,
    mm: &mut Mm<P>,
    pfn: u64,
    addr: usize,
) -> Result<(), SlabError> {
    let mut st = state(mm, pfn);
    let start = pfn_addr(mm, pfn);
    let size = s.layout.size as usize;
    let off = addr.wrapping_sub(start);
    if addr < start || off % size != 0 || off / size >= st.objects as usize {
        return Err(SlabError::InvalidFree(addr));
    }
    let idx = off / size;
    if st.inuse == 0 || st.free as usize == idx + 1 {
        return Err(SlabError::DoubleFree(addr));
    }
    let was_full = st.free == 0;
    let head = if was_full {
        0
    } else {
        start + (st.free as usize - 1) * size
    };
    set_freepointer(addr, s.layout.offset, head);
    st.free = (idx + 1) as u16;
    st.inuse -= 1;
    set_state(mm, pfn, st);
    let node = mm.memmap().page(pfn).map_or(0, |p| p.nid() as usize);
    if st.inuse == 0 && s.node[node].nr_partial >= s.min_partial {
        if !was_full {
            remove_partial(mm, &mut s.node[node], pfn);
        }
        discard_slab(s, mm, pfn);
    } else if was_full {
        add_partial(mm, &mut s.node[node], pfn, true);
    }
    Ok(())
}

impl SlabCaches {
    /// The id of the `kmem_cache` cache (which holds every cache's structure).
    pub const KMEM_CACHE: CacheId = CacheId(0);

    /// `kmem_cache_init` + `create_kmalloc_caches`: bootstrap the `kmem_cache` cache
    /// inside its own first slab, then create the kmalloc caches of every type the
    /// machine has (normal, reclaimable, DMA with a DMA zone), 96 and 192 first.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>) {
    /// let slab = oxmm::slab::SlabCaches::init(mm, Default::default()).unwrap();
    /// assert_eq!(slab.cache(oxmm::slab::SlabCaches::KMEM_CACHE).unwrap().name(), "kmem_cache");
    /// # }
    /// ```
    #[doc(alias = "kmem_cache_init")]
    pub fn init<P: Platform>(mm: &mut Mm<P>, params: SlubParams) -> Result<SlabCaches, SlabError> {
        if !mm.memmap().is_accessible() {
            return Err(SlabError::NoMemMap);
        }
        let mut params = params;
        params.page_shift = mm.geometry().shift();
        let mut sc = SlabCaches {
            caches: [core::ptr::null_mut(); MAX_CACHES],
            head: NO_ID,
            kmalloc: [[NO_ID; NR_KMALLOC_INDICES]; NR_KMALLOC_TYPES],
            params,
            has_dma: mm.zone_layout().index_of(ZoneType::Dma).is_some(),
        };
        let cpus = mm.platform().nr_cpus().max(1) as u32;
        let mut boot = KmemCache::new(
            0,
            "kmem_cache",
            core::mem::size_of::<KmemCache>() as u32,
            0,
            SlabFlags::HWCACHE_ALIGN,
            None,
            &params,
            cpus,
        )?;
        let obj = slab_alloc(&mut boot, mm, Gfp::NOWAIT)?;
        // SAFETY: `obj` is a fresh object of `s->size >= size_of::<KmemCache>()` bytes,
        // aligned to 64 (HWCACHE_ALIGN) and owned by the cache from now on.
        unsafe { core::ptr::write(obj as *mut KmemCache, boot) };
        sc.caches[0] = obj as *mut KmemCache;
        sc.head = 0;
        let mut name: heapless_name::Name = Default::default();
        for ty in KmallocType::ALL {
            let (tf, wanted) = match ty {
                KmallocType::Normal => (SlabFlags::default(), true),
                KmallocType::Reclaim => (SlabFlags::RECLAIM_ACCOUNT, true),
                KmallocType::Dma => (SlabFlags::CACHE_DMA, sc.has_dma),
                KmallocType::Cgroup => (SlabFlags::default(), false),
            };
            if !wanted {
                continue;
            }
            for idx in kmalloc::CREATE_ORDER {
                let size = kmalloc_index_size(idx);
                name.clear();
                let _ = write!(name, "{}{}", ty.prefix(), kmalloc_size_name(idx));
                // kmalloc objects are aligned to the largest power of two dividing the size.
                let align = 1u32 << size.trailing_zeros();
                let id = sc.kmem_cache_create(
                    mm,
                    name.as_str(),
                    size,
                    align,
                    tf.union(SlabFlags::KMALLOC),
                    None,
                )?;
                sc.kmalloc[ty as usize][idx] = id.0;
            }
        }
        Ok(sc)
    }

    fn get(&self, id: CacheId) -> Result<*mut KmemCache, SlabError> {
        match self.caches.get(id.0 as usize) {
            Some(p) if !p.is_null() => Ok(*p),
            _ => Err(SlabError::NoCache(id)),
        }
    }

    /// The cache `id`, if it exists.
    ///
    /// ```no_run
    /// # fn f(slab: &oxmm::slab::SlabCaches) {
    /// assert!(slab.cache(oxmm::slab::CacheId(999)).is_none());
    /// # }
    /// ```
    pub fn cache(&self, id: CacheId) -> Option<&KmemCache> {
        // SAFETY: a non-null table entry points to a live `KmemCache` object in a slab of
        // the `kmem_cache` cache; it is only written through `&mut self`.
        self.get(id).ok().map(|p| unsafe { &*p })
    }

    fn cache_mut(&mut self, id: CacheId) -> Result<&mut KmemCache, SlabError> {
        let p = self.get(id)?;
        // SAFETY: as in `cache`; `&mut self` makes this the only reference.
        Ok(unsafe { &mut *p })
    }

    /// Caches newest first (the `slab_caches` list order).
    pub fn iter(&self) -> impl Iterator<Item = &KmemCache> + '_ {
        let mut cur = self.head;
        core::iter::from_fn(move || {
            let c = self.cache(CacheId(cur))?;
            cur = c.next;
            Some(c)
        })
    }

    /// The kmalloc cache of `ty` for cache index `index`.
    ///
    /// ```no_run
    /// # fn f(slab: &oxmm::slab::SlabCaches) {
    /// use oxmm::slab::kmalloc::KmallocType;
    /// let id = slab.kmalloc_cache(KmallocType::Normal, 1).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().name(), "kmalloc-96");
    /// # }
    /// ```
    pub fn kmalloc_cache(&self, ty: KmallocType, index: usize) -> Option<CacheId> {
        let id = *self.kmalloc.get(ty as usize)?.get(index)?;
        (id != NO_ID).then_some(CacheId(id))
    }

    /// `kmem_cache_create(name, size, align, flags, ctor)`: a new cache, its structure
    /// allocated from the `kmem_cache` cache. No slab is allocated until the first object.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>, slab: &mut oxmm::slab::SlabCaches) {
    /// use oxmm::slab::SlabFlags;
    /// let id = slab.kmem_cache_create(mm, "test", 100, 0, SlabFlags::HWCACHE_ALIGN, None).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().size(), 128);
    /// # }
    /// ```
    pub fn kmem_cache_create<P: Platform>(
        &mut self,
        mm: &mut Mm<P>,
        name: &str,
        size: u32,
        align: u32,
        flags: SlabFlags,
        ctor: Option<Ctor>,
    ) -> Result<CacheId, SlabError> {
        let id = (1..MAX_CACHES)
            .find(|&i| self.caches[i].is_null())
            .ok_or(SlabError::TooManyCaches)? as u16;
        let cpus = mm.platform().nr_cpus().max(1) as u32;
        let mut c = KmemCache::new(id, name, size, align, flags, ctor, &self.params, cpus)?;
        c.next = self.head;
        let kc = self.cache_mut(Self::KMEM_CACHE)?;
        let obj = slab_alloc(kc, mm, Gfp::KERNEL)?;
        // SAFETY: a fresh `kmem_cache` object, large and aligned enough for a KmemCache.
        unsafe { core::ptr::write(obj as *mut KmemCache, c) };
        self.caches[id as usize] = obj as *mut KmemCache;
        self.head = id;
        Ok(CacheId(id))
    }

    /// `kmem_cache_alloc`: one object of cache `id` (zeroed with `__GFP_ZERO`).
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>, slab: &mut oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// let p = slab.kmem_cache_alloc(mm, id, oxmm::gfp::Gfp::KERNEL).unwrap();
    /// slab.kmem_cache_free(mm, id, p.as_ptr()).unwrap();
    /// # }
    /// ```
    #[doc(alias = "kmem_cache_alloc_noprof")]
    pub fn kmem_cache_alloc<P: Platform>(
        &mut self,
        mm: &mut Mm<P>,
        id: CacheId,
        gfp: Gfp,
    ) -> Result<core::ptr::NonNull<u8>, SlabError> {
        let s = self.cache_mut(id)?;
        let a = slab_alloc(s, mm, gfp)?;
        core::ptr::NonNull::new(a as *mut u8).ok_or(SlabError::InvalidFree(0))
    }

    /// `kmem_cache_free`: return `ptr` to cache `id`; a pointer that is not an object of
    /// that cache, or an object already free, is refused and nothing changes.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>, slab: &mut oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// assert!(slab.kmem_cache_free(mm, id, 8 as *mut u8).is_err());
    /// # }
    /// ```
    pub fn kmem_cache_free<P: Platform>(
        &mut self,
        mm: &mut Mm<P>,
        id: CacheId,
        ptr: *mut u8,
    ) -> Result<(), SlabError> {
        let addr = ptr as usize;
        let (pfn, cid) = slab_of(mm, addr).ok_or(SlabError::InvalidFree(addr))?;
        if cid != id.0 {
            return Err(SlabError::InvalidFree(addr));
        }
        let s = self.cache_mut(id)?;
        slab_free(s, mm, pfn, addr)
    }

    /// `kmem_cache_shrink` / `__kmem_cache_shrink`: free every empty slab on the partial
    /// lists; returns the pages given back.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>, slab: &mut oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// let pages = slab.kmem_cache_shrink(mm, id).unwrap();
    /// # }
    /// ```
    pub fn kmem_cache_shrink<P: Platform>(
        &mut self,
        mm: &mut Mm<P>,
        id: CacheId,
    ) -> Result<u64, SlabError> {
        let s = self.cache_mut(id)?;
        let mut freed = 0;
        for node in 0..MAX_NUMNODES {
            let mut cur = s.node[node].partial_head;
            while let Some(pfn) = mm.memmap().pfn_of(cur).filter(|_| cur != Page::NIL) {
                cur = mm.memmap().page(pfn).map_or(Page::NIL, |p| p.next());
                let st = state(mm, pfn);
                if st.inuse == 0 {
                    remove_partial(mm, &mut s.node[node], pfn);
                    discard_slab(s, mm, pfn);
                    freed += 1u64 << st.order;
                }
            }
        }
        Ok(freed)
    }

    /// Objects allocated from cache `id` (all objects minus the free ones on partial lists).
    pub fn active_objects<P: Platform>(&self, mm: &Mm<P>, id: CacheId) -> Result<u64, SlabError> {
        let s = self.cache(id).ok_or(SlabError::NoCache(id))?;
        let mut free = 0u64;
        for n in &s.node {
            let mut cur = n.partial_head;
            while let Some(pfn) = mm.memmap().pfn_of(cur).filter(|_| cur != Page::NIL) {
                let st = state(mm, pfn);
                free += (st.objects - st.inuse) as u64;
                cur = mm.memmap().page(pfn).map_or(Page::NIL, |p| p.next());
            }
        }
        Ok(s.total_objects() - free)
    }

    /// `kmem_cache_destroy`: with live objects, report them like Linux
    /// (`Objects remaining in <name> on __kmem_cache_shutdown()`, one `Object 0x… @offset=…`
    /// line each) and refuse; otherwise free every slab and the cache structure. The
    /// `kmem_cache` and kmalloc caches are permanent.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>, slab: &mut oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// slab.kmem_cache_destroy(mm, id, &mut oxmm::printk::NullLog).unwrap();
    /// # }
    /// ```
    pub fn kmem_cache_destroy<P: Platform>(
        &mut self,
        mm: &mut Mm<P>,
        id: CacheId,
        log: &mut dyn Log,
    ) -> Result<(), SlabError> {
        let s = *self.cache(id).ok_or(SlabError::NoCache(id))?;
        if id == Self::KMEM_CACHE || s.flags.contains(SlabFlags::KMALLOC) {
            return Err(SlabError::NoCache(id));
        }
        let live = self.active_objects(mm, id)?;
        if live > 0 {
            self.report_remaining(mm, &s, log);
            log.line(
                Level::Warning,
                format_args!(
                    "kmem_cache_destroy {}: Slab cache still has objects when called from kmem_cache_destroy",
                    s.name()
                ),
            );
            return Err(SlabError::ObjectsRemaining(live));
        }
        self.kmem_cache_shrink(mm, id)?;
        let mut prev = NO_ID;
        let mut cur = self.head;
        while cur != NO_ID && cur != id.0 {
            prev = cur;
            cur = self.cache(CacheId(cur)).map_or(NO_ID, |c| c.next);
        }
        if prev == NO_ID {
            self.head = s.next;
        } else {
            self.cache_mut(CacheId(prev))?.next = s.next;
        }
        let p = self.caches[id.0 as usize];
        self.caches[id.0 as usize] = core::ptr::null_mut();
        self.kmem_cache_free(mm, Self::KMEM_CACHE, p as *mut u8)
    }

    /// `slab_err` + `list_slab_objects` for every partial slab with objects in use.
    /// (Full slabs are not listed: like SLUB without `SLAB_STORE_USER`, they are on no list.)
    fn report_remaining<P: Platform>(&self, mm: &Mm<P>, s: &KmemCache, log: &mut dyn Log) {
        let size = s.layout.size as usize;
        for n in &s.node {
            let mut cur = n.partial_head;
            while let Some(pfn) = mm.memmap().pfn_of(cur).filter(|_| cur != Page::NIL) {
                let st = state(mm, pfn);
                let start = pfn_addr(mm, pfn);
                cur = mm.memmap().page(pfn).map_or(Page::NIL, |p| p.next());
                if st.inuse == 0 {
                    continue;
                }
                let mut free = [0u64; 512];
                let mut f = st.free as usize;
                let mut guard = 0;
                while f != 0 && guard < st.objects {
                    let obj = start + (f - 1) * size;
                    if f - 1 < 32768 {
                        free[(f - 1) / 64] |= 1 << ((f - 1) % 64);
                    }
                    let fp = get_freepointer(obj, s.layout.offset);
                    f = if fp >= start && fp < start + st.objects as usize * size {
                        (fp - start) / size + 1
                    } else {
                        0
                    };
                    guard += 1;
                }
                log.line(Level::Err, format_args!("============================================================================="));
                log.line(
                    Level::Err,
                    format_args!(
                        "BUG {} (Not tainted): Objects remaining in {} on __kmem_cache_shutdown()",
                        s.name(),
                        s.name()
                    ),
                );
                log.line(Level::Err, format_args!("-----------------------------------------------------------------------------"));
                log.line(Level::Err, format_args!(""));
                log.line(
                    Level::Err,
                    format_args!(
                        "Slab {:#x} objects={} used={} fp={:#x} flags=slab",
                        start,
                        st.objects,
                        st.inuse,
                        if st.free == 0 {
                            0
                        } else {
                            start + (st.free as usize - 1) * size
                        }
                    ),
                );
                for i in 0..st.objects as usize {
                    if free[i / 64] & (1 << (i % 64)) == 0 {
                        log.line(
                            Level::Err,
                            format_args!("Object {:#x} @offset={}", start + i * size, i * size),
                        );
                    }
                }
            }
        }
    }

    /// `kmalloc(size, gfp)`: an object of the size class of `size` from the cache family
    /// `gfp` selects; above 8 KiB a compound block from the page allocator; `size` 0
    /// gives [`ZERO_SIZE_PTR`].
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>, slab: &mut oxmm::slab::SlabCaches) {
    /// let p = slab.kmalloc(mm, 100, oxmm::gfp::Gfp::KERNEL).unwrap();
    /// assert_eq!(slab.ksize(mm, p.as_ptr()), Ok(128));
    /// slab.kfree(mm, p.as_ptr()).unwrap();
    /// # }
    /// ```
    #[doc(alias = "__kmalloc_noprof")]
    pub fn kmalloc<P: Platform>(
        &mut self,
        mm: &mut Mm<P>,
        size: u64,
        gfp: Gfp,
    ) -> Result<core::ptr::NonNull<u8>, SlabError> {
        if size == 0 {
            return core::ptr::NonNull::new(ZERO_SIZE_PTR as *mut u8).ok_or(SlabError::BadSize(0));
        }
        if size > kmalloc::KMALLOC_MAX_SIZE {
            return Err(SlabError::BadSize(size));
        }
        match kmalloc_index(size) {
            Some(idx) => {
                let ty = kmalloc_type(gfp, self.has_dma, false);
                let id = self
                    .kmalloc_cache(ty, idx)
                    .ok_or(SlabError::BadSize(size))?;
                self.kmem_cache_alloc(mm, id, gfp - Gfp::DMA)
            }
            None => {
                // __kmalloc_large_node: a compound block, freed by kfree via its head.
                let order = get_order(size, mm.geometry().shift());
                let pfn = mm.alloc_pages(gfp | Gfp::COMP, order)?;
                account_slab(mm, pfn.0, order, false, 1);
                let a = pfn_addr(mm, pfn.0);
                core::ptr::NonNull::new(a as *mut u8).ok_or(SlabError::BadSize(size))
            }
        }
    }

    /// `kfree`: free anything [`kmalloc`](Self::kmalloc) returned (null and
    /// `ZERO_SIZE_PTR` are ignored); other pointers are refused.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &mut oxmm::mm::Mm<P>, slab: &mut oxmm::slab::SlabCaches) {
    /// slab.kfree(mm, core::ptr::null_mut()).unwrap();
    /// # }
    /// ```
    pub fn kfree<P: Platform>(&mut self, mm: &mut Mm<P>, ptr: *mut u8) -> Result<(), SlabError> {
        let addr = ptr as usize;
        if addr <= ZERO_SIZE_PTR {
            return Ok(());
        }
        if let Some((pfn, id)) = slab_of(mm, addr) {
            let s = self.cache_mut(CacheId(id))?;
            if !s.flags.contains(SlabFlags::KMALLOC) {
                return Err(SlabError::InvalidFree(addr));
            }
            return slab_free(s, mm, pfn, addr);
        }
        let (pfn, order) = self.large_block(mm, addr)?;
        mm.free_pages(Pfn(pfn), order)
            .map_err(|_| SlabError::InvalidFree(addr))?;
        account_slab(mm, pfn, order, false, -1);
        Ok(())
    }

    /// A large kmalloc block at `addr`: its pfn and order.
    fn large_block<P: Platform>(&self, mm: &Mm<P>, addr: usize) -> Result<(u64, u32), SlabError> {
        let base = mm.platform().direct_map_base() as usize;
        let shift = mm.geometry().shift();
        let off = addr.checked_sub(base).ok_or(SlabError::InvalidFree(addr))?;
        if off & ((1 << shift) - 1) != 0 {
            return Err(SlabError::InvalidFree(addr));
        }
        let pfn = (off >> shift) as u64;
        let p = mm.memmap().page(pfn).ok_or(SlabError::InvalidFree(addr))?;
        if p.flags() & PG_HEAD == 0 || p.private() & COMPOUND_TAIL != 0 || p.refcount() == 0 {
            return Err(SlabError::InvalidFree(addr));
        }
        Ok((pfn, p.private() as u32))
    }

    /// `ksize`: the usable bytes of a kmalloc'ed or cache object.
    pub fn ksize<P: Platform>(&self, mm: &Mm<P>, ptr: *mut u8) -> Result<u64, SlabError> {
        let addr = ptr as usize;
        if let Some((_, id)) = slab_of(mm, addr) {
            return Ok(self
                .cache(CacheId(id))
                .ok_or(SlabError::InvalidFree(addr))?
                .size() as u64);
        }
        let (_, order) = self.large_block(mm, addr)?;
        Ok(mm.geometry().page_size() << order)
    }
}

/// A fixed buffer for building cache names without a heap.
mod heapless_name {
    use core::fmt;

    pub(super) struct Name {
        buf: [u8; super::NAME_LEN],
        len: usize,
    }

    impl Default for Name {
        fn default() -> Self {
            Name {
                buf: [0; super::NAME_LEN],
                len: 0,
            }
        }
    }

    impl Name {
        pub(super) fn clear(&mut self) {
            self.len = 0;
        }
        pub(super) fn as_str(&self) -> &str {
            core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
        }
    }

    impl fmt::Write for Name {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len + s.len();
            if end > self.buf.len() {
                return Err(fmt::Error);
            }
            self.buf[self.len..end].copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slab_state_round_trips() {
        let st = SlabState {
            free: 7,
            inuse: 32767,
            objects: 32767,
            order: 3,
        };
        assert_eq!(SlabState::unpack(st.pack()), st);
        assert_eq!(st.pack() & COMPOUND_TAIL, 0);
    }
}
