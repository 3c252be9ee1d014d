//! Object caches (Linux: `struct kmem_cache`, `struct kmem_cache_node`,
//! `struct kmem_cache_cpu`, `kmem_cache_init`/`bootstrap`, `kmem_cache_create`,
//! `find_mergeable`, `__kmem_cache_shrink`, `kmem_cache_destroy`; mm/slub.c and
//! mm/slab_common.c, v6.12).
//!
//! No heap: every `KmemCache` is an object of the `kmem_cache` cache and every
//! `KmemCacheNode` an object of the `kmem_cache_node` cache; both caches allocate their
//! own structures at [`SlabCaches::init`] (Linux's `bootstrap`). Per-CPU state
//! ([`KmemCacheCpu`]) lives in page blocks the registry takes from the buddy allocator,
//! one slot per cache id and CPU (Linux's percpu allocator's role).
//!
//! A slab is a block from the buddy allocator (compound when order > 0); its state lives
//! in the head page's descriptor: `page_type` = `PGTY_slab` plus the cache id,
//! `private` = the [`SlabWord`] (free-list head, `inuse`, `objects`, `frozen`, order)
//! updated with compare-and-swap; `next`/`prev` link it on its node's partial list or
//! (`next` only) on a CPU's partial list. A free object holds the address of the next
//! free object at the cache's free-pointer offset.

use super::alias::AliasTable;
use super::hardening::{cache_random_seq_create, platform_u32, MemInit};
use super::hooks::kmem_cache_debug;
use super::kmalloc::{
    self, kmalloc_index_size, kmalloc_size_name, KmallocType, NR_KMALLOC_INDICES, NR_KMALLOC_TYPES,
};
use super::layout::{calculate_alignment, DebugLayout, WORD};
use super::order::{calculate_order, get_order, min_partial, Oo, SlubParams};
use super::slub;
use super::stat::{SlubStats, StatItem, NR_SLUB_STAT_ITEMS};
use super::{SlabError, SlabFlags};
use crate::gfp::Gfp;
use crate::local_lock::ThisCpu;
use crate::mm::Mm;
use crate::mmzone::ZoneType;
use crate::page::Page;
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::types::{NodeId, Pfn, MAX_NUMNODES};
use core::fmt::Write;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU16, AtomicU32, AtomicU64, AtomicUsize};

/// Longest cache name kept (bytes).
///
/// ```
/// assert_eq!(oxmm::slab::cache::NAME_LEN, 47);
/// ```
pub const NAME_LEN: usize = 47;
/// Most caches at once (ids are 16-bit, the table is fixed).
///
/// ```
/// assert_eq!(oxmm::slab::cache::MAX_CACHES, 256);
/// ```
pub const MAX_CACHES: usize = 256;
/// `PGTY_slab << 24` (v6.12 `enum pagetype`); the low 24 bits hold the cache id.
///
/// ```
/// assert_eq!(oxmm::slab::cache::TYPE_SLAB >> 24, 0xf5);
/// ```
#[doc(alias = "PGTY_slab")]
pub const TYPE_SLAB: u32 = 0xf5 << 24;
/// `PG_workingset`, which v6.12 reuses on slabs as "on its node's partial list"
/// (`slab_test_node_partial`).
///
/// ```
/// assert_eq!(oxmm::slab::cache::PG_SLAB_NODE_PARTIAL, 1 << 9);
/// ```
#[doc(alias = "slab_test_node_partial")]
pub const PG_SLAB_NODE_PARTIAL: u64 = 1 << 9;
pub(crate) const NO_ID: u16 = u16::MAX;
/// "No slab" in per-CPU state and chains.
pub(crate) const NO_SLAB: u64 = u64::MAX;
/// Caches whose per-CPU slots share one block.
const CHUNK_CACHES: usize = 16;
const NR_CHUNKS: usize = MAX_CACHES / CHUNK_CACHES;

/// Slots of [`SlabCaches`]' kfree hints (CPUs beyond share them: a hint is a guess).
const KFREE_HINTS: usize = 64;

/// One CPU's kfree hint: a kmalloc cache without debug checks or `init_on_free`
/// (null for none); a cache line of its own, as it is written by its CPU.
#[repr(align(64))]
struct KfreeHint(AtomicPtr<KmemCache>);

/// A cache's id: its slot in [`SlabCaches`], also recorded in each slab's descriptor.
///
/// ```
/// assert_eq!(oxmm::slab::CacheId(0), oxmm::slab::SlabCaches::KMEM_CACHE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheId(pub u16);

/// Constructor run on every object when its slab is created.
///
/// ```
/// let c: oxmm::slab::cache::Ctor = |b| b.fill(0);
/// let mut x = [1u8; 4];
/// c(&mut x);
/// assert_eq!(x, [0; 4]);
/// ```
pub type Ctor = fn(&mut [u8]);

/// The slab state SLUB keeps in `struct slab` (`freelist` plus the `counters` word:
/// `inuse:16, objects:15, frozen:1`), packed in the head descriptor's `private` so that
/// one compare-and-swap updates it (`slab_update_freelist`).
///
/// ```
/// use oxmm::slab::cache::SlabWord;
/// let w = SlabWord { free: 3, inuse: 7, objects: 32, frozen: true, order: 1 };
/// assert_eq!(SlabWord::unpack(w.pack()), w);
/// assert_eq!(w.pack() >> 63, 0); // never looks like a compound tail
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlabWord {
    /// `slab->freelist` as object index + 1; 0 when empty.
    pub free: u16,
    /// `slab->inuse`: objects not on `slab->freelist` (allocated or on a CPU freelist).
    pub inuse: u16,
    /// `slab->objects`.
    pub objects: u16,
    /// `slab->frozen`: the slab is some CPU's active slab.
    pub frozen: bool,
    /// The block's order.
    pub order: u8,
}

impl SlabWord {
    /// The packed form.
    ///
    /// ```
    /// use oxmm::slab::cache::SlabWord;
    /// let w = SlabWord { free: 1, inuse: 2, objects: 42, frozen: true, order: 3 };
    /// assert_eq!(w.pack(), 1 | 2 << 16 | 42 << 32 | 1 << 47 | 3 << 48);
    /// ```
    pub const fn pack(self) -> u64 {
        self.free as u64
            | (self.inuse as u64) << 16
            | ((self.objects as u64) & 0x7fff) << 32
            | (self.frozen as u64) << 47
            | ((self.order as u64) & 0xf) << 48
    }
    /// Unpack a `private` value.
    ///
    /// ```
    /// use oxmm::slab::cache::SlabWord;
    /// let w = SlabWord::unpack(42 << 32 | 5 << 16);
    /// assert_eq!((w.free, w.inuse, w.objects, w.frozen, w.order), (0, 5, 42, false, 0));
    /// assert_eq!(SlabWord::unpack(w.pack()), w);
    /// ```
    pub const fn unpack(v: u64) -> SlabWord {
        SlabWord {
            free: v as u16,
            inuse: (v >> 16) as u16,
            objects: ((v >> 32) & 0x7fff) as u16,
            frozen: (v >> 47) & 1 != 0,
            order: ((v >> 48) & 0xf) as u8,
        }
    }
}

/// The state behind a CPU's lock (`struct kmem_cache_cpu` minus `lock` and `stat`).
#[derive(Debug)]
pub(crate) struct CpuSlab {
    /// Address of the next object to hand out (0: none). Non-zero only while `slab`
    /// is an active slab (every path that clears the slab empties the list), so the
    /// fast path's test of it alone suffices.
    pub(crate) freelist: usize,
    /// Head pfn of the active (frozen) slab, or [`NO_SLAB`].
    pub(crate) slab: u64,
    /// The active slab's objects: `objs_len` bytes from `objs_start` (its pfn's
    /// address is `objs_start` less the left red zone), so a free into it needs no
    /// descriptor; `objs_len` is 0 without an active slab (see [`CpuSlab::clear_slab`]).
    pub(crate) objs_start: usize,
    pub(crate) objs_len: usize,
    /// First slab of the CPU's partial list (linked through `next`), or [`NO_SLAB`].
    pub(crate) partial: u64,
    /// Slabs on the partial list (Linux keeps it in the first slab's `slabs`).
    pub(crate) partial_slabs: u32,
}

impl CpuSlab {
    /// No active slab any more: [`NO_SLAB`], and no object range that a free could
    /// match.
    #[inline]
    pub(crate) fn clear_slab(&mut self) {
        self.slab = NO_SLAB;
        self.objs_len = 0;
    }
}

/// `struct kmem_cache_cpu`: one CPU's active slab, free list and partial slabs behind a
/// [`LocalLock`](crate::local_lock::LocalLock) (Linux's `local_lock`: no atomic
/// instruction for the CPU's owner), and the `CONFIG_SLUB_STATS` counters.
///
/// ```
/// assert_eq!(core::mem::size_of::<oxmm::slab::cache::KmemCacheCpu>() % 64, 0);
/// ```
#[doc(alias = "kmem_cache_cpu")]
#[repr(C, align(64))]
pub struct KmemCacheCpu {
    pub(crate) lock: crate::local_lock::LocalLock<CpuSlab>,
    /// The CPU this slot belongs to.
    pub(crate) cpu: u32,
    stats: [AtomicU32; CPU_STAT_ITEMS],
}

/// The per-CPU counters a slot holds: none without `slub_stats`, so the slot is two
/// cache lines, not three, and finding the CPU's slot is a shift.
const CPU_STAT_ITEMS: usize = if cfg!(feature = "slub_stats") {
    NR_SLUB_STAT_ITEMS
} else {
    0
};

impl KmemCacheCpu {
    fn new(cpu: u32) -> KmemCacheCpu {
        KmemCacheCpu {
            cpu,
            lock: crate::local_lock::LocalLock::new(
                cpu as usize,
                CpuSlab {
                    freelist: 0,
                    slab: NO_SLAB,
                    objs_start: 0,
                    objs_len: 0,
                    partial: NO_SLAB,
                    partial_slabs: 0,
                },
            ),
            stats: [const { AtomicU32::new(0) }; CPU_STAT_ITEMS],
        }
    }

    /// `stat(s, item)`: a per-CPU increment (a plain read-modify-write, as
    /// `raw_cpu_inc`: two threads running as the same CPU may lose a count); nothing
    /// without the `slub_stats` feature (`CONFIG_SLUB_STATS` off).
    #[inline(always)]
    pub(crate) fn stat(&self, item: StatItem) {
        if cfg!(feature = "slub_stats") {
            if let Some(a) = self.stats.get(item as usize) {
                a.store(a.load(Relaxed).wrapping_add(1), Relaxed);
            }
        }
    }
}

/// A node's slab lists under `list_lock` (memmap indices of head pages, linked
/// through the descriptors' `next`/`prev`): the partial list, and `n->full`, which
/// Linux keeps only for `SLAB_STORE_USER` caches (debug slabs with no free object), so
/// that validation can reach every slab.
#[derive(Debug)]
pub(crate) struct PartialList {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    /// `n->full`: first slab, or [`Page::NIL`].
    pub(crate) full_head: u32,
    /// `n->full`: last slab, or [`Page::NIL`].
    pub(crate) full_tail: u32,
}

/// `struct kmem_cache_node`: one node's partial slabs (and, for `SLAB_STORE_USER`
/// debug caches, full slabs) under `list_lock`, and its slab counts.
///
/// A cache line of its own, as Linux's (the `list_lock` is contended).
///
/// ```
/// assert_eq!(core::mem::size_of::<oxmm::slab::cache::KmemCacheNode>(), 64);
/// ```
#[doc(alias = "kmem_cache_node")]
#[repr(C, align(64))]
pub struct KmemCacheNode {
    pub(crate) list_lock: spin::Mutex<PartialList>,
    /// `n->nr_partial` (changed under `list_lock`, read racily as Linux does).
    pub(crate) nr_partial: AtomicU32,
    /// `n->nr_slabs`.
    pub(crate) nr_slabs: AtomicU64,
    /// `n->total_objects`.
    pub(crate) total_objects: AtomicU64,
}

impl KmemCacheNode {
    /// `init_kmem_cache_node`.
    pub(crate) const fn new() -> KmemCacheNode {
        KmemCacheNode {
            list_lock: spin::Mutex::new(PartialList {
                head: Page::NIL,
                tail: Page::NIL,
                full_head: Page::NIL,
                full_tail: Page::NIL,
            }),
            nr_partial: AtomicU32::new(0),
            nr_slabs: AtomicU64::new(0),
            total_objects: AtomicU64::new(0),
        }
    }
    /// Slabs on the partial list.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let _a = slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// let b = slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// slab.kmem_cache_free(&mm, id, b.as_ptr()).unwrap();
    /// slab.kmem_cache_shrink(&mm, id).unwrap(); // the CPU's slab goes back to its node
    /// assert_eq!(slab.cache(id).unwrap().node(0).unwrap().nr_partial(), 1);
    /// ```
    pub fn nr_partial(&self) -> u32 {
        self.nr_partial.load(Relaxed)
    }
    /// `node_nr_slabs`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let n = slab.cache(id).unwrap().node(0).unwrap();
    /// assert_eq!(n.nr_slabs(), 0);
    /// slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// assert_eq!(n.nr_slabs(), 1);
    /// ```
    pub fn nr_slabs(&self) -> u64 {
        self.nr_slabs.load(Relaxed)
    }
    /// `node_nr_objs`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// let s = slab.cache(id).unwrap();
    /// assert_eq!(s.node(0).unwrap().total_objects(), s.objects_per_slab() as u64);
    /// ```
    pub fn total_objects(&self) -> u64 {
        self.total_objects.load(Relaxed)
    }
}

/// `struct kmem_cache`: one cache of equal-sized objects. Immutable once created except
/// for the merge bookkeeping (`refcount`, `object_size`, `inuse`) and the list link.
///
/// ```
/// assert!(core::mem::size_of::<oxmm::slab::KmemCache>() < 4096);
/// ```
#[doc(alias = "kmem_cache")]
pub struct KmemCache {
    name: [u8; NAME_LEN],
    name_len: u8,
    pub(crate) layout: DebugLayout,
    object_size: AtomicU32,
    inuse: AtomicU32,
    flags: SlabFlags,
    pub(crate) ctor: Option<Ctor>,
    pub(crate) oo: Oo,
    pub(crate) min: Oo,
    min_partial: u32,
    cpu_partial: u32,
    pub(crate) cpu_partial_slabs: u32,
    pub(crate) allocflags: Gfp,
    id: u16,
    next: AtomicU16,
    refcount: AtomicI32,
    nr_cpus: u32,
    /// `s->reciprocal_size`: `ceil(2^32 / size)`, to find object indices without
    /// dividing (`obj_to_index`).
    pub(crate) reciprocal_size: u64,
    /// `s->random` (`CONFIG_SLAB_FREELIST_HARDENED`): the secret free pointers are
    /// stored XORed with (with the byte-swapped address holding them).
    pub(crate) random: u64,
    /// `slab_want_init_on_alloc` with the boot's keys: `Some(zero)` whatever the gfp,
    /// `None` when `__GFP_ZERO` decides.
    pub(crate) init_on_alloc: Option<bool>,
    /// `slab_want_init_on_free` with the boot's keys.
    pub(crate) init_on_free: bool,
    /// Allocations need no hook after the CPU free list's pop but `__GFP_ZERO`'s
    /// zeroing: not a debug cache, no `init_on_free`, `init_on_alloc` not forced on
    /// (set with the keys, as the flags are fixed at creation).
    pub(crate) fast_alloc: bool,
    /// Frees may go straight to the CPU's active slab (`slub::fast_free`): not a debug
    /// cache, no `init_on_free`.
    pub(crate) fast_free: bool,
    /// `s->random_seq` (`CONFIG_SLAB_FREELIST_RANDOM`): address of a kmalloc'ed array
    /// of `random_seq_len` object offsets in shuffled order; 0 for none.
    pub(crate) random_seq: AtomicUsize,
    /// Entries of `random_seq` (`oo_objects(s->oo)`).
    pub(crate) random_seq_len: AtomicU32,
    /// `s->remote_node_defrag_ratio` (0..=1000): how often, in 1024ths, an
    /// allocation that found no local partial slab looks at other nodes' ones.
    remote_node_defrag_ratio: AtomicU32,
    /// Address of CPU 0's [`KmemCacheCpu`]; CPU `i`'s follows `i` slots later.
    cpu_base: usize,
    /// Addresses of the per-node structures (0 for nodes without memory).
    node: [AtomicUsize; MAX_NUMNODES],
}

impl KmemCache {
    /// `s->name`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let alias = slab.kmem_cache_create(&mm, "u", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!((alias, slab.cache(id).unwrap().name()), (id, "t"));
    /// ```
    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len as usize]).unwrap_or("?")
    }
    /// The cache's id.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::SlabCaches;
    /// let kc = slab.cache(SlabCaches::KMEM_CACHE).unwrap();
    /// assert_eq!(kc.id(), SlabCaches::KMEM_CACHE);
    /// slab.for_each(|c| assert_eq!(slab.cache(c.id()).unwrap().name(), c.name()));
    /// ```
    #[inline]
    pub fn id(&self) -> CacheId {
        CacheId(self.id)
    }
    /// `s->object_size` (grown by merged aliases).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().object_size(), 100);
    /// slab.kmem_cache_create(&mm, "u", 102, 0, SlabFlags::default(), None).unwrap(); // merged
    /// assert_eq!(slab.cache(id).unwrap().object_size(), 102);
    /// ```
    pub fn object_size(&self) -> u32 {
        self.object_size.load(Relaxed)
    }
    /// `s->inuse`: bytes of an object before the free pointer / metadata.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().inuse(), 104); // rounded up to a word
    /// ```
    pub fn inuse(&self) -> u32 {
        self.inuse.load(Relaxed)
    }
    /// `s->size`: the object stride.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let a = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let hw = SlabFlags::HWCACHE_ALIGN.union(SlabFlags::NO_MERGE);
    /// let b = slab.kmem_cache_create(&mm, "h", 100, 0, hw, None).unwrap();
    /// assert_eq!((slab.cache(a).unwrap().size(), slab.cache(b).unwrap().size()), (104, 128));
    /// ```
    #[inline]
    pub fn size(&self) -> u32 {
        self.layout.size
    }
    /// `s->offset`: the free pointer's place in a free object.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// fn ctor(b: &mut [u8]) { b.fill(0) }
    /// let a = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let b = slab.kmem_cache_create(&mm, "c", 100, 0, SlabFlags::default(), Some(ctor)).unwrap();
    /// assert_eq!(slab.cache(a).unwrap().offset(), 48); // mid-object
    /// assert_eq!(slab.cache(b).unwrap().offset(), 104); // after it: the ctor's state survives
    /// ```
    #[inline]
    pub fn offset(&self) -> u32 {
        self.layout.offset
    }
    /// `s->align`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let a = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let hw = SlabFlags::HWCACHE_ALIGN.union(SlabFlags::NO_MERGE);
    /// let b = slab.kmem_cache_create(&mm, "h", 100, 0, hw, None).unwrap();
    /// assert_eq!((slab.cache(a).unwrap().align(), slab.cache(b).unwrap().align()), (8, 64));
    /// ```
    pub fn align(&self) -> u32 {
        self.layout.align
    }
    /// Whether an object of this cache is plain memory from allocation to free: no
    /// debugging (red zones, poison, tracking, sanity checks) and no `init_on_alloc` /
    /// `init_on_free`, so nothing is checked or written between `kmem_cache_alloc`
    /// and `kmem_cache_free`. Only then may a caller keep freed objects in a cache of
    /// its own (as Linux 6.18 turns its per-CPU sheaves off for debug caches).
    ///
    /// ```no_run
    /// # fn f(slab: &oxmm::slab::SlabCaches) {
    /// let id = slab.kmalloc_slab(64, oxmm::gfp::Gfp::KERNEL).unwrap();
    /// let plain = slab.cache(id).unwrap().plain_objects();
    /// # }
    /// ```
    #[inline]
    pub fn plain_objects(&self) -> bool {
        self.fast_alloc && self.fast_free
    }
    /// `s->flags`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let hw = SlabFlags::HWCACHE_ALIGN.union(SlabFlags::NO_MERGE);
    /// let id = slab.kmem_cache_create(&mm, "h", 100, 0, hw, None).unwrap();
    /// assert!(slab.cache(id).unwrap().flags().contains(SlabFlags::HWCACHE_ALIGN));
    /// let k = slab.kmalloc_slab(64, Gfp::KERNEL).unwrap();
    /// assert!(slab.cache(k).unwrap().flags().contains(SlabFlags::KMALLOC));
    /// ```
    #[inline]
    pub fn flags(&self) -> SlabFlags {
        self.flags
    }
    /// `oo_order(s->oo)`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::kmalloc::KmallocType;
    /// let s = slab.cache(slab.kmalloc_cache(KmallocType::Normal, 13).unwrap()).unwrap();
    /// assert_eq!((s.name(), s.order()), ("kmalloc-8k", 3));
    /// assert!(4096 << s.order() >= s.size() * s.objects_per_slab());
    /// ```
    pub fn order(&self) -> u32 {
        self.oo.order()
    }
    /// `oo_objects(s->oo)`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{kmalloc::KmallocType, order::order_objects};
    /// let s = slab.cache(slab.kmalloc_cache(KmallocType::Normal, 1).unwrap()).unwrap();
    /// assert_eq!((s.name(), s.objects_per_slab()), ("kmalloc-96", 42));
    /// assert_eq!(s.objects_per_slab(), order_objects(s.order(), s.size(), 12));
    /// ```
    pub fn objects_per_slab(&self) -> u32 {
        self.oo.objects()
    }
    /// `s->min_partial`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{kmalloc::KmallocType, order::min_partial};
    /// let s = slab.cache(slab.kmalloc_cache(KmallocType::Normal, 13).unwrap()).unwrap();
    /// assert_eq!(s.min_partial(), 6);
    /// assert_eq!(s.min_partial(), min_partial(s.size()));
    /// ```
    pub fn min_partial(&self) -> u32 {
        self.min_partial
    }
    /// `s->cpu_partial`: objects a CPU's partial list aims at (`set_cpu_partial`).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let k = slab.kmalloc_slab(96, Gfp::KERNEL).unwrap();
    /// assert_eq!(slab.cache(k).unwrap().cpu_partial(), 120); // objects below 256 bytes
    /// let d = slab.kmem_cache_create(&mm, "d", 96, 0, SlabFlags::STORE_USER, None).unwrap();
    /// assert_eq!(slab.cache(d).unwrap().cpu_partial(), 0); // debug caches keep none
    /// ```
    pub fn cpu_partial(&self) -> u32 {
        self.cpu_partial
    }
    /// `s->cpu_partial_slabs`: the CPU partial list's length limit in slabs.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let s = slab.cache(slab.kmalloc_slab(96, Gfp::KERNEL).unwrap()).unwrap();
    /// // half-full slabs: 2 × 120 objects in slabs of 42
    /// assert_eq!(s.cpu_partial_slabs(), (s.cpu_partial() * 2).div_ceil(s.objects_per_slab()));
    /// assert_eq!(s.cpu_partial_slabs(), 6);
    /// ```
    pub fn cpu_partial_slabs(&self) -> u32 {
        self.cpu_partial_slabs
    }
    /// `s->refcount`: users of the cache (merged aliases add one each; −1 = never merged).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().refcount(), 1);
    /// slab.kmem_cache_create(&mm, "u", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().refcount(), 2);
    /// assert_eq!(slab.cache(oxmm::slab::SlabCaches::KMEM_CACHE).unwrap().refcount(), -1);
    /// ```
    pub fn refcount(&self) -> i32 {
        self.refcount.load(Relaxed)
    }
    /// `/sys/kernel/slab/<cache>/remote_node_defrag_ratio` as shown: the percentage
    /// (0..=100) of the stored ratio, which starts at 1000 (shown as 100).
    ///
    /// ```no_run
    /// # fn f(s: &oxmm::slab::KmemCache) {
    /// assert_eq!(s.remote_node_defrag_ratio(), 100);
    /// # }
    /// ```
    #[doc(alias = "remote_node_defrag_ratio_show")]
    pub fn remote_node_defrag_ratio(&self) -> u32 {
        self.remote_node_defrag_ratio.load(Relaxed) / 10
    }
    /// `remote_node_defrag_ratio_store`: `ratio` 0..=100, kept ×10. 0 keeps
    /// allocations that find no local partial slab from taking remote ones.
    ///
    /// ```no_run
    /// # fn f(s: &oxmm::slab::KmemCache) {
    /// s.set_remote_node_defrag_ratio(0).unwrap();
    /// assert!(s.set_remote_node_defrag_ratio(101).is_err());
    /// # }
    /// ```
    #[doc(alias = "remote_node_defrag_ratio_store")]
    pub fn set_remote_node_defrag_ratio(&self, ratio: u32) -> Result<(), SlabError> {
        if ratio > 100 {
            return Err(SlabError::BadDefragRatio(ratio));
        }
        self.remote_node_defrag_ratio.store(ratio * 10, Relaxed);
        Ok(())
    }
    /// The stored ratio (0..=1000) `get_any_partial` compares with.
    #[inline]
    pub(crate) fn defrag_ratio(&self) -> u32 {
        self.remote_node_defrag_ratio.load(Relaxed)
    }
    /// `get_node(s, nid)`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// let s = slab.cache(oxmm::slab::SlabCaches::KMEM_CACHE).unwrap();
    /// assert!(s.node(0).is_some()); // the one node with memory
    /// assert!(s.node(1).is_none());
    /// ```
    #[inline]
    pub fn node(&self, nid: usize) -> Option<&KmemCacheNode> {
        let a = self.node.get(nid)?.load(Acquire);
        // SAFETY: a non-zero entry is the address of an initialised `KmemCacheNode`
        // object of the `kmem_cache_node` cache, freed only after this cache is gone.
        (a != 0).then(|| unsafe { &*(a as *const KmemCacheNode) })
    }
    pub(crate) fn set_node(&self, nid: usize, addr: usize) {
        if let Some(a) = self.node.get(nid) {
            a.store(addr, Release);
        }
    }
    /// The per-node structures that exist, with their node ids.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// let s = slab.cache(oxmm::slab::SlabCaches::KMEM_CACHE).unwrap();
    /// let ids: Vec<usize> = s.nodes().map(|(nid, _)| nid).collect();
    /// assert_eq!(ids, [0]);
    /// ```
    pub fn nodes(&self) -> impl Iterator<Item = (usize, &KmemCacheNode)> + '_ {
        (0..MAX_NUMNODES).filter_map(move |i| self.node(i).map(|n| (i, n)))
    }
    /// Slabs on all nodes (`node_nr_slabs` summed).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().nr_slabs(), 0); // no slab before the first object
    /// slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().nr_slabs(), 1);
    /// ```
    pub fn nr_slabs(&self) -> u64 {
        self.nodes().map(|(_, n)| n.nr_slabs()).sum()
    }
    /// Objects in all slabs (`node_nr_objs` summed).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// let s = slab.cache(id).unwrap();
    /// assert_eq!(s.total_objects(), s.nr_slabs() * s.objects_per_slab() as u64);
    /// ```
    pub fn total_objects(&self) -> u64 {
        self.nodes().map(|(_, n)| n.total_objects()).sum()
    }
    /// Slabs on all node partial lists.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let _a = slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().nr_partial(), 0); // the CPU's active slab
    /// slab.kmem_cache_shrink(&mm, id).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().nr_partial(), 1);
    /// ```
    pub fn nr_partial(&self) -> u64 {
        self.nodes().map(|(_, n)| n.nr_partial() as u64).sum()
    }
    /// CPU `cpu`'s slot (`per_cpu_ptr(s->cpu_slab, cpu)`), folded into range.
    #[inline]
    pub(crate) fn cpu_slot(&self, cpu: usize) -> &KmemCacheCpu {
        let nr = self.nr_cpus as usize;
        let cpu = if cpu < nr { cpu } else { cpu % nr };
        // SAFETY: `cpu_base` addresses `nr_cpus` initialised slots in a per-CPU block
        // written when this cache was created and freed only after it is destroyed.
        unsafe { &*((self.cpu_base + cpu * core::mem::size_of::<KmemCacheCpu>()) as *const _) }
    }
    /// The slot of the caller running as `me` (`this_cpu_ptr(s->cpu_slab)`): its
    /// CPU's own, without [`cpu_slot`](Self::cpu_slot)'s fold when it owns that CPU.
    #[inline(always)]
    pub(crate) fn this_cpu_slot(&self, me: ThisCpu) -> &KmemCacheCpu {
        if !me.is_owned() {
            return self.cpu_slot(me.id);
        }
        debug_assert!(me.id < self.nr_cpus as usize);
        // SAFETY: an owned CPU's id is below its platform's `nr_cpus` (the promise
        // of `ThisCpu::owned`), which is this cache's `nr_cpus` (taken from the same
        // platform in `SlabCaches::init`); `cpu_base` addresses that many
        // initialised slots, as in `cpu_slot`.
        unsafe { &*((self.cpu_base + me.id * core::mem::size_of::<KmemCacheCpu>()) as *const _) }
    }
    /// [`this_cpu_slot`](Self::this_cpu_slot) and, for an owned CPU, the owner's
    /// uncontended way into it ([`LocalLock::lock_owner`](crate::local_lock::LocalLock::lock_owner)
    /// without its test that the slot is `me`'s: it is, by construction).
    #[inline(always)]
    pub(crate) fn this_cpu_slot_owner(
        &self,
        me: ThisCpu,
    ) -> (
        &KmemCacheCpu,
        Option<crate::local_lock::LocalGuard<'_, CpuSlab>>,
    ) {
        let c = self.this_cpu_slot(me);
        // SAFETY: for an owned `me`, `this_cpu_slot` is slot `me.id` of the cache's
        // per-CPU block (no folding), which `cpu_slots` wrote as
        // `KmemCacheCpu::new(me.id)`: its lock is CPU `me.id`'s.
        let g = unsafe { c.lock.lock_owner_own_slot(me) };
        (c, g)
    }
    /// The SLUB counters summed over the CPUs.
    ///
    /// ```no_run
    /// # fn f(s: &oxmm::slab::KmemCache) {
    /// use oxmm::slab::stat::StatItem;
    /// let st = s.stats();
    /// assert!(st.get(StatItem::AllocSlowpath) <= st.get(StatItem::AllocFastpath) + st.get(StatItem::AllocSlowpath));
    /// # }
    /// ```
    pub fn stats(&self) -> SlubStats {
        let mut out = SlubStats::default();
        for cpu in 0..self.nr_cpus as usize {
            let c = self.cpu_slot(cpu);
            for (o, a) in out.0.iter_mut().zip(c.stats.iter()) {
                *o += a.load(Relaxed) as u64;
            }
        }
        out
    }
    /// `show_stat`: `/sys/kernel/slab/<cache>/<item>` — the total, then ` C<cpu>=<n>`
    /// for each CPU with a non-zero count.
    ///
    /// ```no_run
    /// # fn f(s: &oxmm::slab::KmemCache) {
    /// let mut out = String::new();
    /// s.show_stat(oxmm::slab::stat::StatItem::AllocFastpath, &mut out).unwrap();
    /// assert!(out.ends_with('\n'));
    /// # }
    /// ```
    pub fn show_stat(&self, item: StatItem, w: &mut dyn core::fmt::Write) -> core::fmt::Result {
        write!(w, "{}", self.stats().get(item))?;
        for cpu in 0..self.nr_cpus as usize {
            let n = self.stat_cpu(item, cpu);
            if n != 0 {
                write!(w, " C{cpu}={n}")?;
            }
        }
        writeln!(w)
    }
    /// One counter for one CPU (`/sys/kernel/slab/<cache>/<stat>` shows ` C<cpu>=<n>`).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// use oxmm::slab::stat::StatItem;
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// let s = slab.cache(id).unwrap();
    /// // One CPU: its count is the total (0 without `slub_stats`).
    /// assert_eq!(s.stat_cpu(StatItem::AllocSlab, 0), s.stats().get(StatItem::AllocSlab));
    /// assert_eq!(s.stat_cpu(StatItem::AllocSlab, 1), 0);
    /// ```
    pub fn stat_cpu(&self, item: StatItem, cpu: usize) -> u64 {
        if cpu >= self.nr_cpus as usize {
            return 0;
        }
        self.cpu_slot(cpu)
            .stats
            .get(item as usize)
            .map_or(0, |a| a.load(Relaxed) as u64)
    }

    /// `create_cache` → `do_kmem_cache_create` without the node structures.
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
        cpu_base: usize,
    ) -> Result<KmemCache, SlabError> {
        if name.is_empty() || name.len() > NAME_LEN {
            return Err(SlabError::BadName(name.len()));
        }
        if align != 0 && !align.is_power_of_two() {
            return Err(SlabError::BadAlign(align));
        }
        let align = calculate_alignment(flags, align, size);
        // kmem_cache_open: the boot option's debug flags, then calculate_sizes.
        let layout =
            params
                .slub_debug
                .get()
                .cache_layout(name, flags, size, align, ctor.is_some(), None)?;
        let flags = layout.flags;
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
        let mut s = KmemCache {
            name: n,
            name_len: name.len() as u8,
            layout,
            object_size: AtomicU32::new(layout.object_size),
            inuse: AtomicU32::new(layout.inuse),
            flags,
            ctor,
            oo,
            min: Oo::make(get_order(layout.size as u64, sh), layout.size, sh),
            min_partial: min_partial(layout.size),
            cpu_partial: 0,
            cpu_partial_slabs: 0,
            allocflags,
            id,
            next: AtomicU16::new(NO_ID),
            refcount: AtomicI32::new(1),
            // At least one slot: `cpu_slot` folds into `0..nr_cpus`.
            nr_cpus: cpus.max(1),
            reciprocal_size: (1u64 << 32).div_ceil(layout.size as u64),
            random: 0,
            init_on_alloc: None,
            init_on_free: false,
            fast_alloc: false,
            fast_free: false,
            random_seq: AtomicUsize::new(0),
            random_seq_len: AtomicU32::new(0),
            // kmem_cache_open
            remote_node_defrag_ratio: AtomicU32::new(1000),
            cpu_base,
            node: [const { AtomicUsize::new(0) }; MAX_NUMNODES],
        };
        s.set_cpu_partial(params.page_shift);
        Ok(s)
    }

    /// `set_cpu_partial` + `slub_set_cpu_partial`: objects kept on a CPU's partial list
    /// by object size, as a slab count assuming half-full slabs; none for debug caches.
    fn set_cpu_partial(&mut self, page_shift: u32) {
        let size = self.layout.size;
        let nr_objects = if kmem_cache_debug(self) {
            0
        } else if size >= 1 << page_shift {
            6
        } else if size >= 1024 {
            24
        } else if size >= 256 {
            52
        } else {
            120
        };
        self.cpu_partial = nr_objects;
        self.cpu_partial_slabs = (nr_objects * 2).div_ceil(self.oo.objects());
    }

    /// Take the `init_on_alloc` / `init_on_free` keys (fixed for the cache's life, as
    /// Linux's static keys are after boot).
    fn set_meminit(&mut self, m: MemInit) {
        let ctor = self.ctor.is_some();
        let always = m.want_init_on_alloc(Gfp::KERNEL, self.flags, ctor);
        let zero = m.want_init_on_alloc(Gfp::KERNEL | Gfp::ZERO, self.flags, ctor);
        self.init_on_alloc = (always == zero).then_some(always);
        self.init_on_free = m.want_init_on_free(self.flags, ctor);
        self.fast_free = !kmem_cache_debug(self) && !self.init_on_free;
        self.fast_alloc = self.fast_free && self.init_on_alloc != Some(true);
    }

    /// `slab_unmergeable`.
    #[doc(alias = "slab_unmergeable")]
    fn unmergeable(&self, nomerge: bool) -> bool {
        nomerge
            || self.flags.0 & SLAB_NEVER_MERGE.0 != 0
            || self.ctor.is_some()
            || self.refcount() < 0
    }
}

/// `SLAB_NEVER_MERGE`.
///
/// ```
/// use oxmm::slab::{cache::SLAB_NEVER_MERGE, SlabFlags};
/// assert!(SLAB_NEVER_MERGE.contains(SlabFlags::NO_MERGE));
/// assert!(!SLAB_NEVER_MERGE.contains(SlabFlags::HWCACHE_ALIGN));
/// ```
pub const SLAB_NEVER_MERGE: SlabFlags = SlabFlags(
    SlabFlags::RED_ZONE.0
        | SlabFlags::POISON.0
        | SlabFlags::STORE_USER.0
        | SlabFlags::TRACE.0
        | SlabFlags::TYPESAFE_BY_RCU.0
        | SlabFlags::NOLEAKTRACE.0
        | SlabFlags::FAILSLAB.0
        | SlabFlags::NO_MERGE.0,
);
/// `SLAB_MERGE_SAME`: flags two caches must agree on to merge.
///
/// ```
/// use oxmm::slab::{cache::SLAB_MERGE_SAME, SlabFlags};
/// assert!(SLAB_MERGE_SAME.contains(SlabFlags::RECLAIM_ACCOUNT));
/// ```
pub const SLAB_MERGE_SAME: SlabFlags = SlabFlags(
    SlabFlags::RECLAIM_ACCOUNT.0
        | SlabFlags::CACHE_DMA.0
        | SlabFlags::CACHE_DMA32.0
        | SlabFlags::ACCOUNT.0,
);

/// The cache registry (`slab_caches`, `slab_mutex`, `kmem_cache`, `kmalloc_caches`).
///
/// Shared by threads:
///
/// ```
/// fn shared<T: Send + Sync>() {}
/// shared::<oxmm::slab::SlabCaches>();
/// shared::<oxmm::slab::KmemCache>();
/// ```
/// It holds only ids and addresses in managed memory; the caches live in slabs. Every
/// operation takes `&self` and may run on any thread; using a cache while another
/// thread destroys it is the caller's bug, as in Linux.
pub struct SlabCaches {
    caches: [AtomicPtr<KmemCache>; MAX_CACHES],
    head: AtomicU16,
    /// `slab_mutex`: creation, destruction and walks of the cache list.
    mutex: spin::Mutex<()>,
    kmalloc: [[u16; NR_KMALLOC_INDICES]; NR_KMALLOC_TYPES],
    /// The same caches by address (0 for none): kmalloc reaches its cache with one
    /// load (kmalloc caches are never destroyed).
    kmalloc_addr: [[usize; NR_KMALLOC_INDICES]; NR_KMALLOC_TYPES],
    pub(crate) params: SlubParams,
    pub(crate) has_dma: bool,
    nr_cpus: u32,
    cpu_chunks: [AtomicUsize; NR_CHUNKS],
    chunk_order: u32,
    percpu_pages: AtomicU64,
    /// The kmalloc caches exist (free-list sequences can be kmalloc'ed).
    kmalloc_ready: bool,
    /// Per CPU, the kmalloc cache whose active slab kfree last reached through a
    /// descriptor lookup: kfree tries that active slab first (by address, as
    /// `kmem_cache_free` does). Only kmalloc caches, which are never destroyed, are
    /// recorded.
    kfree_hint: [KfreeHint; KFREE_HINTS],
    /// The alias names merged requests linked to their caches (taken inside `mutex`
    /// when both are held).
    aliases: spin::Mutex<AliasTable>,
}

/// Direct-map address of `pfn`.
#[inline(always)]
pub(crate) fn pfn_addr<P: Platform>(mm: &Mm<P>, pfn: u64) -> usize {
    mm.platform().direct_map_base() as usize + ((pfn as usize) << mm.geometry().shift())
}

impl SlabCaches {
    /// The id of the `kmem_cache` cache (which holds every cache's structure).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{KmemCache, SlabCaches};
    /// let kc = slab.cache(SlabCaches::KMEM_CACHE).unwrap();
    /// assert_eq!(kc.name(), "kmem_cache");
    /// assert!(kc.object_size() as usize >= core::mem::size_of::<KmemCache>());
    /// ```
    pub const KMEM_CACHE: CacheId = CacheId(0);
    /// The id of the `kmem_cache_node` cache (which holds the per-node structures).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{cache::KmemCacheNode, SlabCaches};
    /// let kcn = slab.cache(SlabCaches::KMEM_CACHE_NODE).unwrap();
    /// assert_eq!(kcn.name(), "kmem_cache_node");
    /// assert!(kcn.object_size() as usize >= core::mem::size_of::<KmemCacheNode>());
    /// ```
    pub const KMEM_CACHE_NODE: CacheId = CacheId(1);

    /// `kmem_cache_init` + `create_kmalloc_caches`: bootstrap `kmem_cache_node` (its
    /// own per-node structures taken straight from its first slabs, as
    /// `early_kmem_cache_node_alloc`), then `kmem_cache` (node structures from
    /// `kmem_cache_node`), then move both into objects of `kmem_cache` (`bootstrap`);
    /// then the kmalloc caches of every type the machine has (normal, reclaimable, DMA
    /// with a DMA zone), 96 and 192 first.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let slab = oxmm::slab::SlabCaches::init(mm, Default::default()).unwrap();
    /// assert_eq!(slab.cache(oxmm::slab::SlabCaches::KMEM_CACHE).unwrap().name(), "kmem_cache");
    /// # }
    /// ```
    #[doc(alias = "kmem_cache_init")]
    pub fn init<P: Platform>(mm: &Mm<P>, params: SlubParams) -> Result<SlabCaches, SlabError> {
        if !mm.memmap().is_accessible() {
            return Err(SlabError::NoMemMap);
        }
        let mut params = params;
        params.page_shift = mm.geometry().shift();
        let cpus = mm.platform().nr_cpus().max(1) as u32;
        let chunk_bytes =
            CHUNK_CACHES as u64 * cpus as u64 * core::mem::size_of::<KmemCacheCpu>() as u64;
        let sc = SlabCaches {
            caches: [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_CACHES],
            head: AtomicU16::new(NO_ID),
            mutex: spin::Mutex::new(()),
            kmalloc: [[NO_ID; NR_KMALLOC_INDICES]; NR_KMALLOC_TYPES],
            kmalloc_addr: [[0; NR_KMALLOC_INDICES]; NR_KMALLOC_TYPES],
            params,
            has_dma: mm.zone_layout().index_of(ZoneType::Dma).is_some(),
            nr_cpus: cpus,
            cpu_chunks: [const { AtomicUsize::new(0) }; NR_CHUNKS],
            chunk_order: get_order(chunk_bytes, params.page_shift),
            percpu_pages: AtomicU64::new(0),
            kmalloc_ready: false,
            kfree_hint: [const { KfreeHint(AtomicPtr::new(core::ptr::null_mut())) }; KFREE_HINTS],
            aliases: spin::Mutex::new(AliasTable::new()),
        };
        let mut sc = sc;
        // kmem_cache_node, its node structures carved from its own fresh slabs.
        let kcn_size = core::mem::size_of::<KmemCacheNode>() as u32;
        let kcn_base = sc.cpu_slots(mm, Self::KMEM_CACHE_NODE.0)?;
        let mut boot_kcn = KmemCache::new(
            Self::KMEM_CACHE_NODE.0,
            "kmem_cache_node",
            kcn_size,
            0,
            SlabFlags::HWCACHE_ALIGN,
            None,
            &params,
            cpus,
            kcn_base,
        )?;
        boot_kcn.random = mm.platform().random_u64();
        boot_kcn.set_meminit(mm.meminit());
        boot_kcn.refcount.store(-1, Relaxed);
        for nid in memory_nodes(mm) {
            slub::early_kmem_cache_node_alloc(mm, &boot_kcn, nid)?;
        }
        // kmem_cache, node structures from kmem_cache_node.
        let kc_base = sc.cpu_slots(mm, Self::KMEM_CACHE.0)?;
        let mut boot_kc = KmemCache::new(
            Self::KMEM_CACHE.0,
            "kmem_cache",
            core::mem::size_of::<KmemCache>() as u32,
            0,
            SlabFlags::HWCACHE_ALIGN,
            None,
            &params,
            cpus,
            kc_base,
        )?;
        boot_kc.random = mm.platform().random_u64();
        boot_kc.set_meminit(mm.meminit());
        boot_kc.refcount.store(-1, Relaxed);
        init_kmem_cache_nodes(mm, &boot_kcn, &boot_kc)?;
        // bootstrap: both structures become objects of kmem_cache. Slabs name their
        // cache by id and the per-CPU and per-node data are outside the structure, so
        // a plain move is all Linux's fix-ups amount to here.
        let kc = sc.bootstrap(mm, &boot_kc, bitwise_copy(&boot_kc), Self::KMEM_CACHE)?;
        sc.bootstrap(mm, kc, boot_kcn, Self::KMEM_CACHE_NODE)?;
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
                let id = sc.create_cache(
                    mm,
                    name.as_str(),
                    size,
                    align,
                    tf.union(SlabFlags::KMALLOC),
                    None,
                )?;
                sc.kmalloc[ty as usize][idx] = id.0;
                sc.kmalloc_addr[ty as usize][idx] = sc.get(id)? as usize;
            }
        }
        // init_freelist_randomization: the caches made before kmalloc could serve.
        sc.kmalloc_ready = true;
        let mut ids = [NO_ID; MAX_CACHES];
        let mut n = 0;
        sc.for_each(|c| {
            ids[n] = c.id;
            n += 1;
        });
        for &id in &ids[..n] {
            sc.init_cache_random_seq(mm, sc.cache_ref(CacheId(id))?)?;
        }
        Ok(sc)
    }

    /// `init_cache_random_seq` (`cache_random_seq_create` + the offsets): with
    /// `CONFIG_SLAB_FREELIST_RANDOM`, a kmalloc'ed shuffled order of a full slab's
    /// objects, for caches of two objects or more per slab.
    fn init_cache_random_seq<P: Platform>(
        &self,
        mm: &Mm<P>,
        s: &KmemCache,
    ) -> Result<(), SlabError> {
        let count = s.oo.objects();
        if !self.params.freelist_random || count < 2 || s.random_seq.load(Relaxed) != 0 {
            return Ok(());
        }
        let p = self.kmalloc(mm, count as u64 * 4, Gfp::KERNEL)?;
        // SAFETY: a fresh kmalloc object of `count * 4` bytes, aligned for u32 (at
        // least 8), owned by the cache until `kmem_cache_destroy` frees it.
        let seq =
            unsafe { core::slice::from_raw_parts_mut(p.as_ptr() as *mut u32, count as usize) };
        cache_random_seq_create(seq, s.layout.size, &mut || platform_u32(mm.platform()));
        s.random_seq_len.store(count, Relaxed);
        s.random_seq.store(p.as_ptr() as usize, Release);
        Ok(())
    }

    /// `cache_random_seq_destroy`.
    fn cache_random_seq_destroy<P: Platform>(&self, mm: &Mm<P>, s: &KmemCache) {
        let p = s.random_seq.swap(0, AcqRelOrd);
        if p != 0 {
            let _ = self.kfree(mm, p as *mut u8);
        }
    }

    /// Move a boot-time structure into an object of `kc` and register it.
    fn bootstrap<'a, P: Platform>(
        &'a self,
        mm: &Mm<P>,
        kc: &KmemCache,
        boot: KmemCache,
        id: CacheId,
    ) -> Result<&'a KmemCache, SlabError> {
        let obj = slub::slab_alloc_node(mm, kc, Gfp::NOWAIT, None)?;
        // SAFETY: a fresh `kmem_cache` object: `s->size >= size_of::<KmemCache>()`
        // bytes, aligned to 64 (HWCACHE_ALIGN), owned by the registry from now on.
        unsafe { core::ptr::write(obj as *mut KmemCache, boot) };
        self.caches[id.0 as usize].store(obj as *mut KmemCache, Release);
        // bootstrap: list_add(&s->list, &slab_caches).
        let p = obj as *const KmemCache;
        // SAFETY: just written above.
        let s = unsafe { &*p };
        s.next.store(self.head.load(Relaxed), Relaxed);
        self.head.store(id.0, Relaxed);
        Ok(s)
    }

    /// The per-CPU slots of cache id `id` (allocating their block on first use), reset.
    fn cpu_slots<P: Platform>(&self, mm: &Mm<P>, id: u16) -> Result<usize, SlabError> {
        let chunk = id as usize / CHUNK_CACHES;
        let mut base = self.cpu_chunks[chunk].load(Acquire);
        if base == 0 {
            let pfn = mm.alloc_pages(Gfp::KERNEL | Gfp::ZERO, self.chunk_order)?;
            base = pfn_addr(mm, pfn.0);
            self.cpu_chunks[chunk].store(base, Release);
            self.percpu_pages.fetch_add(1 << self.chunk_order, Relaxed);
        }
        let sz = core::mem::size_of::<KmemCacheCpu>();
        let first = base + (id as usize % CHUNK_CACHES) * self.nr_cpus as usize * sz;
        for cpu in 0..self.nr_cpus as usize {
            // SAFETY: the slot lies inside the chunk (CHUNK_CACHES × nr_cpus slots of
            // `sz` bytes), 64-aligned (page-aligned base, `sz` a multiple of 64); no
            // cache uses id `id` while it is being (re)created under `slab_mutex`.
            unsafe {
                core::ptr::write(
                    (first + cpu * sz) as *mut KmemCacheCpu,
                    KmemCacheCpu::new(cpu as u32),
                )
            };
        }
        Ok(first)
    }

    /// `free_percpu(s->cpu_slab)` for a cache whose id `id` is free again (under
    /// `slab_mutex`): when no cache of its chunk is left, the chunk's block goes back
    /// to the buddy allocator, so that creating and destroying caches leaks nothing.
    fn release_cpu_slots<P: Platform>(&self, mm: &Mm<P>, id: u16) {
        let chunk = id as usize / CHUNK_CACHES;
        let ids = chunk * CHUNK_CACHES..(chunk + 1) * CHUNK_CACHES;
        if self.caches[ids].iter().any(|c| !c.load(Acquire).is_null()) {
            return;
        }
        let base = self.cpu_chunks[chunk].swap(0, AcqRelOrd);
        if base == 0 {
            return;
        }
        let off = base - mm.platform().direct_map_base() as usize;
        let pfn = (off >> mm.geometry().shift()) as u64;
        // The block came from alloc_pages with this order; a refusal would be a page
        // allocator bug, and the pages are then leaked rather than reused.
        if mm.free_pages(Pfn(pfn), self.chunk_order).is_ok() {
            self.percpu_pages.fetch_sub(1 << self.chunk_order, Relaxed);
        }
    }

    /// Pages taken for the per-CPU slots now (a chunk of 16 caches' slots is given
    /// back when its last cache is destroyed).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let before = slab.percpu_pages();
    /// assert!(before > 0);
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// slab.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog).unwrap();
    /// assert_eq!(slab.percpu_pages(), before);
    /// ```
    pub fn percpu_pages(&self) -> u64 {
        self.percpu_pages.load(Relaxed)
    }

    #[inline]
    fn get(&self, id: CacheId) -> Result<*mut KmemCache, SlabError> {
        match self.caches.get(id.0 as usize).map(|p| p.load(Acquire)) {
            Some(p) if !p.is_null() => Ok(p),
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
    #[inline]
    pub fn cache(&self, id: CacheId) -> Option<&KmemCache> {
        // SAFETY: a non-null table entry points to a live `KmemCache` object in a slab of
        // the `kmem_cache` cache; it is freed only by `kmem_cache_destroy`, after which
        // using the id is the caller's bug (Linux's use-after-destroy).
        self.get(id).ok().map(|p| unsafe { &*p })
    }

    /// The kmalloc cache CPU `cpu`'s last looked-up kfree found, if any (a guess): a
    /// cache whose frees may take `slub::free_to_active` (`slub::fast_free`).
    #[inline(always)]
    pub(crate) fn kfree_hint(&self, cpu: usize) -> Option<&KmemCache> {
        let p = self.kfree_hint[cpu % KFREE_HINTS].0.load(Relaxed);
        // SAFETY: only `set_kfree_hint` stores a non-null hint: the address of a live
        // kmalloc cache of this registry, and kmalloc caches are never destroyed.
        unsafe { p.as_ref() }
    }

    /// Record `s` as CPU `cpu`'s kfree hint when it is a kmalloc cache (which is never
    /// destroyed, so the hint never names a freed cache) whose frees take the fast
    /// path (no debug checks, no `init_on_free`: both fixed at creation).
    #[inline]
    pub(crate) fn set_kfree_hint(&self, cpu: usize, s: &KmemCache) {
        let h = &self.kfree_hint[cpu % KFREE_HINTS].0;
        let p = s as *const KmemCache as *mut KmemCache;
        if s.flags.contains(SlabFlags::KMALLOC) && slub::fast_free(s) && h.load(Relaxed) != p {
            h.store(p, Relaxed);
        }
    }

    /// Drop CPU `cpu`'s kfree hint.
    #[inline]
    pub(crate) fn clear_kfree_hint(&self, cpu: usize) {
        self.kfree_hint[cpu % KFREE_HINTS]
            .0
            .store(core::ptr::null_mut(), Relaxed);
    }

    #[inline]
    pub(crate) fn cache_ref(&self, id: CacheId) -> Result<&KmemCache, SlabError> {
        self.cache(id).ok_or(SlabError::NoCache(id))
    }

    /// Caches newest first (the `slab_caches` list order). Holds `slab_mutex` while
    /// `f` runs on each.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// slab.kmem_cache_create(&mm, "newest", 100, 0, SlabFlags::default(), None).unwrap();
    /// let mut names = Vec::new();
    /// slab.for_each(|c| names.push(c.name().to_string()));
    /// assert_eq!((names[0].as_str(), names.len()), ("newest", slab.nr_caches()));
    /// ```
    pub fn for_each(&self, mut f: impl FnMut(&KmemCache)) {
        let _g = self.mutex.lock();
        let mut cur = self.head.load(Relaxed);
        while let Some(c) = self.cache(CacheId(cur)) {
            f(c);
            cur = c.next.load(Relaxed);
        }
    }

    /// `/sys/kernel/slab/<cache>/aliases` (`aliases_show`): the merged requests the
    /// cache serves besides its own, `refcount - 1`, and 0 for a cache never merged
    /// into (`refcount < 0`: the boot caches).
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// use oxmm::slab::SlabFlags;
    /// let a = slab.kmem_cache_create(mm, "a", 40, 0, SlabFlags::default(), None).unwrap();
    /// let b = slab.kmem_cache_create(mm, "b", 40, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!((a, slab.aliases(a)), (b, Ok(1)));
    /// # }
    /// ```
    #[doc(alias = "aliases_show")]
    pub fn aliases(&self, id: CacheId) -> Result<u32, SlabError> {
        let s = self.cache_ref(id)?;
        Ok(s.refcount().saturating_sub(1).max(0) as u32)
    }

    /// Each alias name linked to cache `id` (its `/sys/kernel/slab/<name>` links, the
    /// cache's own name not included). A link stays until its cache is destroyed, as
    /// Linux's does when only the alias's reference is dropped.
    ///
    /// ```no_run
    /// # fn f(slab: &oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// slab.for_each_alias(id, |name| println!("{name}"));
    /// # }
    /// ```
    pub fn for_each_alias(&self, id: CacheId, f: impl FnMut(&str)) {
        self.aliases.lock().for_each_name(id, f);
    }

    /// The cache `/sys/kernel/slab/<name>` leads to: a cache of that name, else the
    /// cache an alias of that name is linked to.
    ///
    /// ```no_run
    /// # fn f(slab: &oxmm::slab::SlabCaches) {
    /// assert!(slab.find_cache("kmalloc-64").is_some());
    /// # }
    /// ```
    pub fn find_cache(&self, name: &str) -> Option<CacheId> {
        let mut found = None;
        self.for_each(|c| {
            if found.is_none() && c.name() == name {
                found = Some(c.id());
            }
        });
        found.or_else(|| self.aliases.lock().lookup(name))
    }

    /// Number of caches (aliases not counted).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let n = slab.nr_caches();
    /// slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// slab.kmem_cache_create(&mm, "u", 100, 0, SlabFlags::default(), None).unwrap(); // an alias
    /// assert_eq!(slab.nr_caches(), n + 1);
    /// ```
    pub fn nr_caches(&self) -> usize {
        let mut n = 0;
        self.for_each(|_| n += 1);
        n
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

    #[inline(always)]
    pub(crate) fn kmalloc_id(&self, ty: KmallocType, index: usize) -> u16 {
        self.kmalloc[ty as usize][index]
    }

    /// The kmalloc cache of `ty` for cache index `index` (`kmalloc_caches[ty][index]`),
    /// by its address: no id to look up.
    #[inline(always)]
    pub(crate) fn kmalloc_ref(
        &self,
        ty: KmallocType,
        index: usize,
    ) -> Result<&KmemCache, SlabError> {
        let a = self.kmalloc_addr[ty as usize][index];
        if a == 0 {
            return Err(SlabError::NoCache(CacheId(self.kmalloc_id(ty, index))));
        }
        // SAFETY: a non-zero entry is the address of a kmalloc cache of this registry,
        // recorded when `init` created it; kmalloc caches are never destroyed.
        Ok(unsafe { &*(a as *const KmemCache) })
    }

    /// `find_mergeable`: an existing cache that can serve objects of `size`/`align`/
    /// `flags` (oldest first, as Linux walks `slab_caches` in reverse).
    fn find_mergeable(
        &self,
        size: u32,
        align: u32,
        flags: SlabFlags,
        name: &str,
        ctor: bool,
    ) -> Option<&KmemCache> {
        if self.params.nomerge || ctor {
            return None;
        }
        // Debug flags from slub_debug= count as the cache's own.
        let flags = self.params.slub_debug.get().kmem_cache_flags(flags, name);
        let size = size.checked_next_multiple_of(WORD)?;
        let align = calculate_alignment(flags, align, size);
        let size = size.checked_next_multiple_of(align)?;
        if flags.0 & SLAB_NEVER_MERGE.0 != 0 {
            return None;
        }
        let mut ids = [NO_ID; MAX_CACHES];
        let mut n = 0;
        let mut cur = self.head.load(Relaxed);
        while let Some(c) = self.cache(CacheId(cur)) {
            ids[n] = cur;
            n += 1;
            cur = c.next.load(Relaxed);
        }
        ids[..n]
            .iter()
            .rev()
            .filter_map(|&i| self.cache(CacheId(i)))
            .find(|s| {
                !s.unmergeable(self.params.nomerge)
                    && size <= s.size()
                    && flags.0 & SLAB_MERGE_SAME.0 == s.flags.0 & SLAB_MERGE_SAME.0
                    && s.size() & !(align - 1) == s.size()
                    && s.size() - size < WORD
            })
    }

    /// `kmem_cache_create(name, size, align, flags, ctor)`: a cache for objects of
    /// `size` bytes. A compatible existing cache is reused as Linux merges caches
    /// (`__kmem_cache_alias`: its id is returned and its `refcount` raised) unless
    /// `SLAB_NO_MERGE`, a constructor, debug flags or `slab_nomerge` prevent it.
    /// Otherwise a new structure comes from the `kmem_cache` cache, with per-node
    /// structures from `kmem_cache_node`. No slab is allocated until the first object.
    /// On failure Linux's warning (or, with `SLAB_PANIC`, its panic message) is logged.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// use oxmm::slab::SlabFlags;
    /// let id = slab.kmem_cache_create(mm, "test", 100, 0, SlabFlags::HWCACHE_ALIGN, None).unwrap();
    /// assert_eq!(slab.cache(id).unwrap().size(), 128);
    /// # }
    /// ```
    pub fn kmem_cache_create<P: Platform>(
        &self,
        mm: &Mm<P>,
        name: &str,
        size: u32,
        align: u32,
        flags: SlabFlags,
        ctor: Option<Ctor>,
    ) -> Result<CacheId, SlabError> {
        let r = self.kmem_cache_create_inner(mm, name, size, align, flags, ctor);
        if let Err(e) = r {
            let errno = match e {
                SlabError::Alloc(_) | SlabError::TooManyCaches => -12,
                _ => -22,
            };
            if flags.contains(SlabFlags::PANIC) {
                mm.platform().printk(
                    Level::Alert,
                    format_args!("Kernel panic - not syncing: kmem_cache_create: Failed to create slab '{name}'. Error {errno}"),
                );
            } else {
                mm.platform().printk(
                    Level::Warning,
                    format_args!("kmem_cache_create({name}) failed with error {errno}"),
                );
            }
        }
        r
    }

    fn kmem_cache_create_inner<P: Platform>(
        &self,
        mm: &Mm<P>,
        name: &str,
        size: u32,
        align: u32,
        flags: SlabFlags,
        ctor: Option<Ctor>,
    ) -> Result<CacheId, SlabError> {
        if name.is_empty() || name.len() > NAME_LEN {
            return Err(SlabError::BadName(name.len()));
        }
        if size == 0 || size as u64 > kmalloc::KMALLOC_MAX_SIZE {
            return Err(SlabError::BadSize(size as u64));
        }
        if align != 0 && !align.is_power_of_two() {
            return Err(SlabError::BadAlign(align));
        }
        // Only the flags a caller may pass (SLAB_FLAGS_PERMITTED): not SLAB_KMALLOC.
        let flags = SlabFlags(flags.0 & !SlabFlags::KMALLOC.0);
        let _g = self.mutex.lock();
        if let Some(s) = self.find_mergeable(size, align, flags, name, ctor.is_some()) {
            // __kmem_cache_alias: the name links to the cache (sysfs_slab_alias), the
            // cache gains a reference, and kzalloc clears the whole (larger) object.
            if name != s.name() && !self.aliases.lock().link(name, s.id()) {
                mm.platform().printk(
                    Level::Err,
                    format_args!("SLUB: Unable to add cache alias {name} to sysfs"),
                );
            }
            s.refcount.fetch_add(1, Relaxed);
            s.object_size.fetch_max(size, Relaxed);
            s.inuse.fetch_max(size.next_multiple_of(WORD), Relaxed);
            return Ok(s.id());
        }
        self.create_cache_locked(mm, name, size, align, flags, ctor)
    }

    /// `create_cache` without merging (kmalloc caches, `create_boot_cache`).
    fn create_cache<P: Platform>(
        &self,
        mm: &Mm<P>,
        name: &str,
        size: u32,
        align: u32,
        flags: SlabFlags,
        ctor: Option<Ctor>,
    ) -> Result<CacheId, SlabError> {
        let _g = self.mutex.lock();
        self.create_cache_locked(mm, name, size, align, flags, ctor)
    }

    fn create_cache_locked<P: Platform>(
        &self,
        mm: &Mm<P>,
        name: &str,
        size: u32,
        align: u32,
        flags: SlabFlags,
        ctor: Option<Ctor>,
    ) -> Result<CacheId, SlabError> {
        let id = (0..MAX_CACHES)
            .find(|&i| self.caches[i].load(Relaxed).is_null())
            .ok_or(SlabError::TooManyCaches)? as u16;
        let base = self.cpu_slots(mm, id)?;
        let c = KmemCache::new(
            id,
            name,
            size,
            align,
            flags,
            ctor,
            &self.params,
            self.nr_cpus,
            base,
        );
        let mut c = match c {
            Ok(c) => c,
            Err(e) => {
                self.release_cpu_slots(mm, id);
                return Err(e);
            }
        };
        c.random = mm.platform().random_u64();
        c.set_meminit(mm.meminit());
        let kcn = self.cache_ref(Self::KMEM_CACHE_NODE)?;
        let kc = self.cache_ref(Self::KMEM_CACHE)?;
        if let Err(e) = init_kmem_cache_nodes(mm, kcn, &c) {
            self.release_cpu_slots(mm, id);
            return Err(e);
        }
        let seq = if self.kmalloc_ready {
            self.init_cache_random_seq(mm, &c)
        } else {
            Ok(())
        };
        let obj = match seq.and_then(|()| slub::slab_alloc_node(mm, kc, Gfp::KERNEL, None)) {
            Ok(o) => o,
            Err(e) => {
                self.cache_random_seq_destroy(mm, &c);
                free_kmem_cache_nodes(mm, kcn, &c);
                self.release_cpu_slots(mm, id);
                return Err(e);
            }
        };
        c.next.store(self.head.load(Relaxed), Relaxed);
        // SAFETY: a fresh `kmem_cache` object, large and aligned enough for a KmemCache.
        unsafe { core::ptr::write(obj as *mut KmemCache, c) };
        self.caches[id as usize].store(obj as *mut KmemCache, Release);
        self.head.store(id, Relaxed);
        Ok(CacheId(id))
    }

    /// `kmem_cache_shrink` / `__kmem_cache_do_shrink`: flush every CPU's slabs, free
    /// the empty slabs of the partial lists and sort the rest fullest first; returns
    /// the pages given back.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// let pages = slab.kmem_cache_shrink(mm, id).unwrap();
    /// # }
    /// ```
    pub fn kmem_cache_shrink<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
    ) -> Result<u64, SlabError> {
        let s = self.cache_ref(id)?;
        slub::flush_all(mm, s);
        Ok(slub::shrink_partial(mm, s))
    }

    /// `/sys/kernel/slab/<cache>/validate` (`validate_store` → `validate_slab_cache`):
    /// check every slab on the node partial lists and, for `SLAB_STORE_USER` caches,
    /// the full lists — `check_slab`, the free list, each object's red zones and
    /// poison for its state — with Linux's reports and repairs through the platform's
    /// `printk`, and the list lengths against the node counters (`SLUB <cache>: <n>
    /// partial slabs counted but counter=<m>`, `SLUB: <cache> <n> slabs counted but
    /// counter=<m>`). Returns the slabs checked. Only debug caches can be validated
    /// (Linux's `-EINVAL` otherwise): their slabs change only under the list lock.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// use oxmm::slab::SlabFlags;
    /// let id = slab.kmem_cache_create(mm, "v", 64, 0, SlabFlags::STORE_USER, None).unwrap();
    /// let p = slab.kmem_cache_alloc(mm, id, oxmm::gfp::Gfp::KERNEL).unwrap();
    /// assert_eq!(slab.kmem_cache_validate(mm, id), Ok(1));
    /// # }
    /// ```
    #[doc(alias = "validate_slab_cache")]
    pub fn kmem_cache_validate<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
    ) -> Result<u64, SlabError> {
        let s = self.cache_ref(id)?;
        if !kmem_cache_debug(s) {
            return Err(SlabError::NotDebugCache(id));
        }
        Ok(slub::validate_slab_cache(mm, s))
    }

    /// `count_partial(n, count_free)` over the nodes: objects of cache `id` not free on
    /// a node partial list — `/proc/slabinfo`'s `active_objs`, which counts objects
    /// cached on CPU slabs as active, as Linux does.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// # use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_eq!(slab.active_objects(&mm, id), Ok(0));
    /// slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// // The whole CPU slab counts as active.
    /// assert_eq!(slab.active_objects(&mm, id), Ok(slab.cache(id).unwrap().total_objects()));
    /// ```
    pub fn active_objects<P: Platform>(&self, mm: &Mm<P>, id: CacheId) -> Result<u64, SlabError> {
        let s = self.cache_ref(id)?;
        Ok(s.total_objects()
            .saturating_sub(slub::count_partial_free(mm, s)))
    }

    /// `kmem_cache_destroy`: drop one reference; the last one shuts the cache down
    /// (`__kmem_cache_shutdown`: flush the CPUs, free empty slabs). With live objects,
    /// Linux's report (`Objects remaining in <name> on __kmem_cache_shutdown()`, one
    /// `Object 0x… @offset=…` line each) and warning are printed and the destroy is
    /// refused (the cache stays usable; Linux leaks it instead). The `kmem_cache`,
    /// `kmem_cache_node` and kmalloc caches are permanent.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// slab.kmem_cache_destroy(mm, id, &mut oxmm::printk::NullLog).unwrap();
    /// # }
    /// ```
    pub fn kmem_cache_destroy<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
        log: &mut dyn Log,
    ) -> Result<(), SlabError> {
        let _g = self.mutex.lock();
        let s = self.cache_ref(id)?;
        // A merged alias only drops its reference; the last reference of a permanent
        // cache (kmem_cache, kmem_cache_node, kmalloc) is never dropped.
        if s.refcount() > 1 {
            s.refcount.fetch_sub(1, Relaxed);
            return Ok(());
        }
        if id == Self::KMEM_CACHE
            || id == Self::KMEM_CACHE_NODE
            || s.flags.contains(SlabFlags::KMALLOC)
        {
            return Err(SlabError::NoCache(id));
        }
        s.refcount.fetch_sub(1, Relaxed);
        slub::flush_all(mm, s);
        let remaining = slub::free_partial(mm, s, log);
        if remaining > 0 || s.nr_slabs() > 0 {
            s.refcount.fetch_add(1, Relaxed);
            log.line(
                Level::Warning,
                format_args!(
                    "kmem_cache_destroy {}: Slab cache still has objects when called from kmem_cache_destroy",
                    s.name()
                ),
            );
            let live = s
                .total_objects()
                .saturating_sub(slub::count_partial_free(mm, s));
            return Err(SlabError::ObjectsRemaining(live));
        }
        // list_del(&s->list)
        let mut prev = NO_ID;
        let mut cur = self.head.load(Relaxed);
        while cur != NO_ID && cur != id.0 {
            prev = cur;
            cur = self
                .cache(CacheId(cur))
                .map_or(NO_ID, |c| c.next.load(Relaxed));
        }
        let next = s.next.load(Relaxed);
        match self.cache(CacheId(prev)) {
            Some(p) if prev != NO_ID => p.next.store(next, Relaxed),
            _ => self.head.store(next, Relaxed),
        }
        self.aliases.lock().unlink_cache(id);
        self.cache_random_seq_destroy(mm, s);
        let kcn = self.cache_ref(Self::KMEM_CACHE_NODE)?;
        free_kmem_cache_nodes(mm, kcn, s);
        let p = self.caches[id.0 as usize].swap(core::ptr::null_mut(), AcqRelOrd);
        let kc = self.cache_ref(Self::KMEM_CACHE)?;
        let r = slub::slab_free_checked(mm, kc, p as usize, 0);
        self.release_cpu_slots(mm, id.0);
        r
    }
}

use core::sync::atomic::Ordering::AcqRel as AcqRelOrd;

/// The boot `kmem_cache` allocates its own new home, so it is copied rather than moved.
fn bitwise_copy(s: &KmemCache) -> KmemCache {
    // SAFETY: a bitwise copy of a fully initialised structure without `Drop`; the
    // original is not used after the copy is stored, so one copy is ever live.
    unsafe { core::ptr::read(s) }
}

/// Nodes with memory (`N_NORMAL_MEMORY`): the ones that get per-node structures.
fn memory_nodes<P: Platform>(mm: &Mm<P>) -> impl Iterator<Item = NodeId> + '_ {
    mm.nodes()
        .filter(|n| n.present_pages() > 0)
        .map(|n| n.nid())
}

/// `init_kmem_cache_nodes`: one `KmemCacheNode` object from `kcn` per node with memory.
fn init_kmem_cache_nodes<P: Platform>(
    mm: &Mm<P>,
    kcn: &KmemCache,
    s: &KmemCache,
) -> Result<(), SlabError> {
    for nid in memory_nodes(mm) {
        let obj = match slub::slab_alloc_node(mm, kcn, Gfp::KERNEL, Some(nid)) {
            Ok(o) => o,
            Err(e) => {
                free_kmem_cache_nodes(mm, kcn, s);
                return Err(e);
            }
        };
        // SAFETY: a fresh object of the kmem_cache_node cache, sized and aligned for
        // a KmemCacheNode (HWCACHE_ALIGN), owned by `s` from now on.
        unsafe { core::ptr::write(obj as *mut KmemCacheNode, KmemCacheNode::new()) };
        s.node[nid.0 as usize].store(obj, Release);
    }
    Ok(())
}

/// `free_kmem_cache_nodes`.
fn free_kmem_cache_nodes<P: Platform>(mm: &Mm<P>, kcn: &KmemCache, s: &KmemCache) {
    for a in &s.node {
        let obj = a.swap(0, AcqRelOrd);
        if obj != 0 {
            // The object came from `kcn`; a refusal would mean a corrupted slab, and
            // the object is then leaked rather than reused.
            let _ = slub::slab_free_checked(mm, kcn, obj, 0);
        }
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
