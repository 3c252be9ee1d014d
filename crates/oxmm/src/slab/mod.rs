//! The slab allocator: SLUB-design object caches and kmalloc (Linux: mm/slub.c,
//! mm/slab_common.c, include/linux/slab.h, v6.12).
//!
//! What exists: slab order and object layout ([`order`], [`layout`]), kmalloc size
//! classes and types ([`kmalloc`]), the cache registry with bootstrapping, merging,
//! shrink and destroy ([`cache`]), v6.12's concurrent SLUB paths — per-CPU active slab
//! and partial list behind a per-CPU lock, per-node partial lists, slab state in the
//! head page descriptor updated by compare-and-swap, remote frees without a global lock
//! ([`slub`]) — the object and kmalloc API ([`api`]), a typed front end ([`typed`]),
//! `CONFIG_SLUB_STATS` counters ([`stat`]), the debug hook points ([`hooks`]) and
//! `/proc/slabinfo` ([`slabinfo`]), merged-cache alias names ([`alias`]).
//!
//! SLUB debugging ([`debug`]: the debug layout, `slub_debug=`, red zones, poisoning,
//! tracking, the checks and Linux's reports) runs in debug caches through [`hooks`];
//! free pointers are stored obfuscated with a per-cache secret ([`hardening`]). The
//! `slub_debug=` boot option ([`order::SlubParams::slub_debug`]) gives each cache its
//! debug flags as it is created, the bootstrap and kmalloc caches included. `init_on_alloc`
//! / `init_on_free` ([`crate::page_alloc::meminit`]) zero objects in
//! `slab_post_alloc_hook` and wipe them in `slab_free_hook`. With
//! [`order::SlubParams::freelist_random`] new slabs link their objects in a per-cache
//! random order. Allocations and frees record their call site in the tracks.
//!
//! `kvmalloc` (for the vmalloc issue): Linux's `kvmalloc_node` tries kmalloc first —
//! for sizes above a page with `__GFP_NOWARN` added and, unless the caller passed
//! `__GFP_RETRY_MAYFAIL`, `__GFP_NORETRY` (no OOM killer, no long reclaim); sizes above
//! `INT_MAX` are refused; if kmalloc fails and the mask allows sleeping
//! (`GFP_KERNEL`-compatible), it falls back to `__vmalloc_node`. `kvfree` tells the two
//! apart by address (`is_vmalloc_addr`), `kvrealloc` copies between them. It is not
//! here because vmalloc is not built yet; it belongs on top of [`api`]'s `kmalloc_node`.
//!
//! ```
//! use oxmm::slab::kmalloc::kmalloc_index;
//! assert_eq!(kmalloc_index(100), Some(7));
//! ```

pub mod alias;
pub mod api;
pub mod cache;
pub mod hooks;
pub mod kmalloc;
pub mod layout;
pub mod order;
pub mod slabinfo;
pub mod slub;
pub mod stat;
pub mod typed;

pub use cache::{CacheId, KmemCache, SlabCaches};
pub use typed::{SlabBox, TypedCache};

use crate::page_alloc::AllocError;
use core::fmt;

// Debugging and hardening work on any slab's bytes; the cache paths call them.
pub mod debug;
pub mod hardening;

/// `slab_flags_t` bits with Linux's meaning (v6.12 values).
///
/// ```
/// use oxmm::slab::SlabFlags;
/// assert!(SlabFlags::HWCACHE_ALIGN.union(SlabFlags::PANIC).contains(SlabFlags::PANIC));
/// ```
#[doc(alias = "slab_flags_t")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SlabFlags(pub u32);

impl SlabFlags {
    /// `SLAB_CONSISTENCY_CHECKS`.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// assert_eq!(SlubDebug::parse("=F").unwrap().global, SlabFlags::CONSISTENCY_CHECKS);
    /// ```
    pub const CONSISTENCY_CHECKS: SlabFlags = SlabFlags(1 << 8);
    /// `SLAB_RED_ZONE`.
    ///
    /// ```
    /// use oxmm::slab::{cache::SLAB_NEVER_MERGE, debug::SlubDebug, SlabFlags};
    /// assert_eq!(SlubDebug::parse("=Z").unwrap().global, SlabFlags::RED_ZONE);
    /// assert!(SLAB_NEVER_MERGE.contains(SlabFlags::RED_ZONE));
    /// ```
    pub const RED_ZONE: SlabFlags = SlabFlags(1 << 10);
    /// `SLAB_POISON`.
    ///
    /// ```
    /// use oxmm::slab::{layout::Layout, SlabFlags};
    /// // The free pointer moves out of the poisoned body.
    /// assert_eq!(Layout::calculate(64, 8, SlabFlags::POISON, false).unwrap().offset, 64);
    /// ```
    pub const POISON: SlabFlags = SlabFlags(1 << 11);
    /// `SLAB_KMALLOC`: a kmalloc cache.
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
    /// use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let k = slab.kmalloc_slab(64, Gfp::KERNEL).unwrap();
    /// assert!(slab.cache(k).unwrap().flags().contains(SlabFlags::KMALLOC));
    /// // Callers may not pass it.
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::KMALLOC, None).unwrap();
    /// assert!(!slab.cache(id).unwrap().flags().contains(SlabFlags::KMALLOC));
    /// ```
    pub const KMALLOC: SlabFlags = SlabFlags(1 << 12);
    /// `SLAB_HWCACHE_ALIGN`: align objects on cache lines.
    ///
    /// ```
    /// use oxmm::slab::{layout::calculate_alignment, SlabFlags};
    /// assert_eq!(calculate_alignment(SlabFlags::HWCACHE_ALIGN, 0, 100), 64);
    /// assert_eq!(calculate_alignment(SlabFlags::HWCACHE_ALIGN, 0, 20), 32); // fits half a line
    /// ```
    pub const HWCACHE_ALIGN: SlabFlags = SlabFlags(1 << 13);
    /// `SLAB_CACHE_DMA`: slabs from ZONE_DMA.
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
    /// use oxmm::{gfp::Gfp, slab::SlabFlags, types::Pfn};
    /// let id = slab.kmem_cache_create(&mm, "dma", 100, 0, SlabFlags::CACHE_DMA, None).unwrap();
    /// let p = slab.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    /// assert!(p.as_ptr() as u64 - mm.page_address(Pfn(0)).0 < 16 << 20); // ZONE_DMA
    /// ```
    pub const CACHE_DMA: SlabFlags = SlabFlags(1 << 14);
    /// `SLAB_CACHE_DMA32`: slabs from ZONE_DMA32.
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
    /// use oxmm::slab::{cache::SLAB_MERGE_SAME, SlabFlags};
    /// assert!(SLAB_MERGE_SAME.contains(SlabFlags::CACHE_DMA32));
    /// let a = slab.kmem_cache_create(&mm, "a", 100, 0, SlabFlags::default(), None).unwrap();
    /// let b = slab.kmem_cache_create(&mm, "b", 100, 0, SlabFlags::CACHE_DMA32, None).unwrap();
    /// assert_ne!(a, b); // not merged
    /// ```
    pub const CACHE_DMA32: SlabFlags = SlabFlags(1 << 15);
    /// `SLAB_STORE_USER`.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, layout::{DebugLayout, TRACK_SIZE}, SlabFlags};
    /// assert_eq!(SlubDebug::parse("=U").unwrap().global, SlabFlags::STORE_USER);
    /// let l = DebugLayout::calculate(64, 8, SlabFlags::STORE_USER, false, None).unwrap();
    /// assert_eq!(l.size, 64 + 2 * TRACK_SIZE);
    /// ```
    pub const STORE_USER: SlabFlags = SlabFlags(1 << 16);
    /// `SLAB_PANIC`: creation failure is fatal (here: reported at `Err` level).
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
    /// use oxmm::slab::{SlabError, SlabFlags};
    /// // Reported, and still returned to the caller.
    /// let r = slab.kmem_cache_create(&mm, "", 8, 0, SlabFlags::PANIC, None);
    /// assert_eq!(r, Err(SlabError::BadName(0)));
    /// ```
    pub const PANIC: SlabFlags = SlabFlags(1 << 18);
    /// `SLAB_TYPESAFE_BY_RCU`.
    ///
    /// ```
    /// use oxmm::slab::{cache::SLAB_NEVER_MERGE, layout::Layout, SlabFlags};
    /// // A free object stays readable: the free pointer goes after it.
    /// assert_eq!(Layout::calculate(64, 8, SlabFlags::TYPESAFE_BY_RCU, false).unwrap().offset, 64);
    /// assert!(SLAB_NEVER_MERGE.contains(SlabFlags::TYPESAFE_BY_RCU));
    /// ```
    pub const TYPESAFE_BY_RCU: SlabFlags = SlabFlags(1 << 19);
    /// `SLAB_TRACE`.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, hooks::SLAB_DEBUG_FLAGS, SlabFlags};
    /// assert_eq!(SlubDebug::parse("=T").unwrap().global, SlabFlags::TRACE);
    /// assert!(SLAB_DEBUG_FLAGS.contains(SlabFlags::TRACE));
    /// ```
    pub const TRACE: SlabFlags = SlabFlags(1 << 21);
    /// `SLAB_NOLEAKTRACE`.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// // slub_debug=U does not track users of such a cache.
    /// let d = SlubDebug::parse("=U").unwrap();
    /// assert_eq!(d.kmem_cache_flags(SlabFlags::NOLEAKTRACE, "x"), SlabFlags::NOLEAKTRACE);
    /// ```
    pub const NOLEAKTRACE: SlabFlags = SlabFlags(1 << 23);
    /// `SLAB_FAILSLAB`.
    ///
    /// ```
    /// use oxmm::slab::{cache::SLAB_NEVER_MERGE, debug::SlubDebug, SlabFlags};
    /// assert_eq!(SlubDebug::parse("=A").unwrap().global, SlabFlags::FAILSLAB);
    /// assert!(SLAB_NEVER_MERGE.contains(SlabFlags::FAILSLAB));
    /// ```
    pub const FAILSLAB: SlabFlags = SlabFlags(1 << 24);
    /// `SLAB_ACCOUNT`.
    ///
    /// ```
    /// use oxmm::slab::{cache::{SLAB_MERGE_SAME, SLAB_NEVER_MERGE}, SlabFlags};
    /// // Caches merge only with caches accounted alike.
    /// assert!(SLAB_MERGE_SAME.contains(SlabFlags::ACCOUNT));
    /// assert!(!SLAB_NEVER_MERGE.contains(SlabFlags::ACCOUNT));
    /// ```
    pub const ACCOUNT: SlabFlags = SlabFlags(1 << 26);
    /// `SLAB_RECLAIM_ACCOUNT`: slabs are reclaimable (migrate type and SReclaimable).
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
    /// use oxmm::slab::{kmalloc::KmallocType, SlabFlags};
    /// let rcl = slab.cache(slab.kmalloc_cache(KmallocType::Reclaim, 6).unwrap()).unwrap();
    /// assert_eq!(rcl.name(), "kmalloc-rcl-64");
    /// assert!(rcl.flags().contains(SlabFlags::RECLAIM_ACCOUNT));
    /// ```
    pub const RECLAIM_ACCOUNT: SlabFlags = SlabFlags(1 << 22);
    /// `SLAB_NO_MERGE`.
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
    /// use oxmm::slab::SlabFlags;
    /// let a = slab.kmem_cache_create(&mm, "a", 100, 0, SlabFlags::NO_MERGE, None).unwrap();
    /// let b = slab.kmem_cache_create(&mm, "b", 100, 0, SlabFlags::default(), None).unwrap();
    /// assert_ne!(a, b);
    /// ```
    pub const NO_MERGE: SlabFlags = SlabFlags(1 << 25);

    /// Whether every bit of `o` is set.
    ///
    /// ```
    /// use oxmm::slab::SlabFlags;
    /// let f = SlabFlags::RED_ZONE.union(SlabFlags::POISON);
    /// assert!(f.contains(SlabFlags::POISON) && f.contains(SlabFlags::default()));
    /// assert!(!SlabFlags::POISON.contains(f));
    /// ```
    pub const fn contains(self, o: SlabFlags) -> bool {
        self.0 & o.0 == o.0
    }
    /// Both sets of bits.
    ///
    /// ```
    /// use oxmm::slab::SlabFlags;
    /// let f = SlabFlags::RED_ZONE.union(SlabFlags::POISON);
    /// assert_eq!(f, SlabFlags((1 << 10) | (1 << 11)));
    /// assert_eq!(f, SlabFlags::POISON.union(SlabFlags::RED_ZONE));
    /// ```
    pub const fn union(self, o: SlabFlags) -> SlabFlags {
        SlabFlags(self.0 | o.0)
    }
}

/// Why a slab operation failed.
///
/// ```
/// use oxmm::slab::SlabError;
/// assert_eq!(SlabError::BadSize(0).to_string(), "object size 0 out of range");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlabError {
    /// Object size 0 or above `KMALLOC_MAX_SIZE`, or no slab order fits it.
    BadSize(u64),
    /// Alignment not a power of two (or too large).
    BadAlign(u32),
    /// Cache name empty or longer than [`cache::NAME_LEN`] bytes.
    BadName(usize),
    /// The cache table is full.
    TooManyCaches,
    /// No cache with this id.
    NoCache(CacheId),
    /// GFP bits a slab cannot honour (`GFP_SLAB_BUG_MASK`: `__GFP_DMA32`, `__GFP_HIGHMEM`).
    BadGfp(u32),
    /// The page allocator failed.
    Alloc(AllocError),
    /// Free of an address that is not an object of the cache (or of any kmalloc cache).
    InvalidFree(usize),
    /// The object is already free (it heads its slab's free list).
    DoubleFree(usize),
    /// `kmem_cache_destroy` refused: this many objects are still allocated.
    ObjectsRemaining(u64),
    /// The machine has no usable memory map.
    NoMemMap,
    /// A `slub_debug=` cache list of this many bytes is too long to keep.
    BadDebugOption(usize),
    /// Validation asked of a cache without debug flags (Linux's `validate` file
    /// answers `-EINVAL`).
    NotDebugCache(CacheId),
    /// A `remote_node_defrag_ratio` above 100 (Linux: `-ERANGE`).
    BadDefragRatio(u32),
}

impl fmt::Display for SlabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlabError::BadSize(s) => write!(f, "object size {s} out of range"),
            SlabError::BadAlign(a) => write!(f, "alignment {a} is not a power of two"),
            SlabError::BadName(l) => write!(f, "cache name of {l} bytes (1..=47 allowed)"),
            SlabError::TooManyCaches => f.write_str("cache table full"),
            SlabError::NoCache(c) => write!(f, "no cache with id {}", c.0),
            SlabError::BadGfp(g) => write!(f, "unexpected gfp {g:#x} for a slab"),
            SlabError::Alloc(e) => write!(f, "{e}"),
            SlabError::InvalidFree(p) => write!(f, "free of {p:#x}: not an object of the cache"),
            SlabError::DoubleFree(p) => write!(f, "double free of {p:#x}"),
            SlabError::ObjectsRemaining(n) => write!(f, "{n} objects remaining"),
            SlabError::NoMemMap => f.write_str("machine booted without a memory map"),
            SlabError::BadDebugOption(n) => {
                write!(f, "slub_debug= cache list of {n} bytes (at most 256 kept)")
            }
            SlabError::NotDebugCache(c) => {
                write!(f, "cache id {} has no debug flags to validate with", c.0)
            }
            SlabError::BadDefragRatio(r) => {
                write!(f, "remote_node_defrag_ratio {r} out of range (0..=100)")
            }
        }
    }
}

impl From<AllocError> for SlabError {
    fn from(e: AllocError) -> Self {
        SlabError::Alloc(e)
    }
}
