//! The page allocator: the buddy system of every zone and its entry points (Linux:
//! mm/page_alloc.c).
//!
//! Here: the buddy free lists (`buddy`: split on allocation, coalescing on free,
//! Linux's head/tail placement), anti-fragmentation fallback and pageblock claiming
//! ([`fallback`]) with watermark boost, the MIGRATE_HIGHATOMIC reserve
//! ([`highatomic`]), pfn-range isolation ([`isolate`]), the per-CPU page lists
//! ([`pcp`]), the watermark checks ([`watermark_check`]), the slow path
//! ([`slowpath`]), and [`Mm::alloc_pages`] / [`Mm::free_pages`] over the preferred
//! node's zonelist with `__GFP_ZERO`, `__GFP_COMP`, `__GFP_THISNODE` and
//! `ALLOC_NOFRAGMENT`, with bad-page detection on free ([`bad_page`]) and the
//! `show_free_areas` report ([`show_mem`]).
//!
//! ```
//! use oxmm::page_alloc::fallback::fallbacks;
//! use oxmm::mmzone::MigrateType;
//! assert_eq!(fallbacks(MigrateType::Unmovable)[0], MigrateType::Reclaimable);
//! ```

pub mod bad_page;
pub(crate) mod buddy;
pub mod entry;
pub mod fallback;
pub mod free_reserved;
pub mod highatomic;
pub mod isolate;
pub mod meminit;
pub mod pcp;
pub mod show_mem;
pub mod slowpath;
pub mod watermark_check;

pub use bad_page::{BadPage, BadPageReason};

use crate::gfp::{Gfp, GfpError};
use crate::memmap::MemMap;
use crate::mm::{BootMode, Mm};
use crate::mmzone::{MigrateType, ZoneType, Zoneref, FIRST_ZONEREFS, MAX_NR_ZONES};
use crate::mmzone::{ZONE_BELOW_HIGH, ZONE_BOOSTED_WATERMARK};
use crate::page::{PG_HEAD, PG_RESERVED};
use crate::page_alloc::pcp::PerCpuPages;
use crate::percpu::PerCpu;
use crate::platform::Platform;
pub use crate::types::NodeMask;
use crate::types::{NodeId, Pfn, MAX_NUMNODES, MAX_PAGE_ORDER};
pub use buddy::Corrupt;
use core::fmt;
pub use slowpath::{AllocContext, AllocHooks, NoHooks};

/// `page->private` of a tail page of a compound page: this bit, plus the head's pfn
/// (Linux keeps `compound_head | 1` in the tail's first list word).
///
/// ```
/// assert_eq!(oxmm::page_alloc::COMPOUND_TAIL, 1 << 63);
/// ```
pub const COMPOUND_TAIL: u64 = 1 << 63;

pub use watermark_check::AllocFlags;

/// Why an allocation failed.
///
/// ```
/// use oxmm::page_alloc::AllocError;
/// assert_eq!(AllocError::OrderTooLarge(11).to_string(), "order 11 above MAX_PAGE_ORDER 10");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// The order is above `MAX_PAGE_ORDER`.
    OrderTooLarge(u32),
    /// The GFP mask is invalid (zone modifiers or mobility).
    BadGfp(GfpError),
    /// The GFP mask names a zone this architecture does not have.
    NoSuchZone(ZoneType),
    /// The node is not online.
    NoNode(NodeId),
    /// No zone of the zonelist has a free block of the order.
    NoMemory {
        /// The order asked for.
        order: u32,
        /// Where the slow path gave up.
        reason: NoMemReason,
    },
    /// The machine was booted without descriptors (`BootMode::DescribeOnly`).
    NoMemMap,
    /// The free lists are corrupted (a link to no descriptor); `Mm::check` says where.
    Corrupted,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::OrderTooLarge(o) => {
                write!(f, "order {o} above MAX_PAGE_ORDER {MAX_PAGE_ORDER}")
            }
            AllocError::BadGfp(e) => write!(f, "{e}"),
            AllocError::NoSuchZone(z) => write!(f, "GFP zone {z} is not configured"),
            AllocError::NoNode(n) => write!(f, "node {} is not online", n.0),
            AllocError::NoMemory { order, reason } => {
                write!(f, "page allocation failure: order:{order}: {reason}")
            }
            AllocError::NoMemMap => f.write_str("machine booted without a memory map"),
            AllocError::Corrupted => f.write_str("free lists corrupted"),
        }
    }
}

/// Where the slow path gave up on a request.
///
/// ```
/// use oxmm::page_alloc::NoMemReason;
/// assert_eq!(NoMemReason::NoRetry.to_string(), "__GFP_NORETRY: no retry after reclaim");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoMemReason {
    /// The caller may not reclaim (no `__GFP_DIRECT_RECLAIM`): atomic and NOWAIT requests.
    CannotReclaim,
    /// `__GFP_NORETRY`: one reclaim and compaction attempt only.
    NoRetry,
    /// A costly order (above 3) without `__GFP_RETRY_MAYFAIL` after one round.
    CostlyOrder,
    /// Reclaim made no progress `MAX_RECLAIM_RETRIES` times and the OOM killer freed
    /// nothing (or may not run for this request).
    OutOfMemory,
    /// `__GFP_NOFAIL`, but the hooks' retry budget ran out (Linux loops forever).
    NoFailGaveUp,
}

impl fmt::Display for NoMemReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoMemReason::CannotReclaim => "no free block and the caller cannot reclaim",
            NoMemReason::NoRetry => "__GFP_NORETRY: no retry after reclaim",
            NoMemReason::CostlyOrder => "costly order without __GFP_RETRY_MAYFAIL",
            NoMemReason::OutOfMemory => "out of memory: reclaim and the OOM killer freed nothing",
            NoMemReason::NoFailGaveUp => "__GFP_NOFAIL retries exhausted",
        })
    }
}

impl From<Corrupt> for AllocError {
    fn from(_: Corrupt) -> Self {
        AllocError::Corrupted
    }
}

pub(crate) const MAX_ZONEREFS: usize = MAX_NUMNODES * MAX_NR_ZONES;

/// `is_check_pages_enabled()`: sanity checks of every page of a freed block, not only
/// its head (Linux enables them with CONFIG_DEBUG_VM, here the `debug_vm` feature).
const CHECK_PAGES: bool = cfg!(feature = "debug_vm");

/// What [`Mm::free_pages_prepare`]'s checks found: the block's zone, its head's
/// memmap index, descriptor and flags, its pageblock's migrate-type bits (`u8::MAX`:
/// none), and whether the zone was the hot zone's guess (which implies
/// `init_on_free` off).
struct FreeChecked<'a> {
    zone: &'a crate::mmzone::Zone,
    idx: u32,
    head: &'a crate::page::Page,
    head_flags: u64,
    bits: u8,
    hot: bool,
}

/// What the first of the free checks found, before the zone is known: the block's
/// head's memmap index, the block's descriptors (when they are one run), its head's
/// descriptor and flags.
struct FreeLookup<'a> {
    idx: u32,
    block: Option<&'a [crate::page::Page]>,
    head: &'a crate::page::Page,
    head_flags: u64,
}

impl<P: Platform> Mm<P> {
    /// `numa_node_id`: the node of the calling CPU. CPUs are numbered through the online
    /// nodes in id order, each node taking its `nr_cpus`; a CPU beyond them (or a node
    /// without memory) falls back to the first online node with memory.
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
    /// assert_eq!(mm.numa_node_id().0, 0);
    /// ```
    #[inline(always)]
    pub fn numa_node_id(&self) -> NodeId {
        // A node id or `u16::MAX`: the bound test also tells the callers' node
        // lookups the id is in range.
        if (self.single_cpu_node as usize) < MAX_NUMNODES {
            return NodeId(self.single_cpu_node);
        }
        crate::local_lock::cold_path();
        // Always a node's id; the bound, as the fast answer's, spares the callers'
        // node lookups a second test.
        NodeId(self.numa_node_id_walk().0 % MAX_NUMNODES as u16)
    }

    /// [`Mm::numa_node_id`] on a machine whose CPUs are not all on one node: the
    /// calling CPU's node from the nodes' CPU counts.
    #[inline(never)]
    fn numa_node_id_walk(&self) -> NodeId {
        self.cpu_to_node(self.platform.cpu_id())
    }

    /// `cpu_to_node`: the node of CPU `cpu`, as [`Mm::numa_node_id`] answers on it.
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
    /// assert_eq!(mm.cpu_to_node(0), mm.numa_node_id());
    /// ```
    pub fn cpu_to_node(&self, cpu: usize) -> NodeId {
        if self.single_cpu_node != u16::MAX {
            return NodeId(self.single_cpu_node);
        }
        let mut first = 0usize;
        let mut seen = 0usize;
        for n in self.nodes() {
            seen += n.nr_cpus() as usize;
            if cpu < seen {
                return n.nid();
            }
        }
        for n in self.nodes() {
            if n.present_pages() > 0 {
                first = n.nid().0 as usize;
                break;
            }
        }
        NodeId(first as u16)
    }

    /// `alloc_pages`: a block of `1 << order` pages from the calling CPU's node (see
    /// [`Mm::alloc_pages_node`]).
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
    /// # let mut mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::gfp::Gfp;
    /// let free = mm.nr_free_pages();
    /// let pfn = mm.alloc_pages(Gfp::KERNEL | Gfp::ZERO, 2).unwrap();
    /// mm.free_pages(pfn, 2).unwrap();
    /// // The block may sit on this CPU's per-CPU list until drained.
    /// mm.drain_all_pages(None).unwrap();
    /// assert_eq!(mm.nr_free_pages(), free);
    /// assert!(mm.alloc_pages(Gfp::KERNEL, 11).is_err());
    /// ```
    #[doc(alias = "alloc_pages_noprof")]
    pub fn alloc_pages(&self, gfp: Gfp, order: u32) -> Result<Pfn, AllocError> {
        let nid = self.numa_node_id();
        self.alloc_pages_node(nid, gfp, order)
    }

    /// `alloc_pages_node` / `__alloc_pages`: walk `nid`'s zonelist from the highest zone
    /// `gfp` allows; the fast path takes the first zone above its low watermark (plus
    /// `lowmem_reserve`), through the calling CPU's lists for PCP orders; then the slow
    /// path (see [`slowpath`]). The pages are prepared (`prep_new_page`: reference,
    /// zeroing, compound marking).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr, NodeId};
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
    /// # let mut mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::gfp::Gfp;
    /// let pfn = mm.alloc_pages_node(NodeId(0), Gfp::DMA, 0).unwrap();
    /// assert!(pfn.0 < 0x1000);
    /// ```
    #[doc(alias = "__alloc_pages_noprof")]
    pub fn alloc_pages_node(&self, nid: NodeId, gfp: Gfp, order: u32) -> Result<Pfn, AllocError> {
        self.alloc_pages_nodemask(nid, gfp, order, None)
    }

    /// `__alloc_pages(gfp, order, preferred_nid, nodemask)`: as
    /// [`Mm::alloc_pages_node`], restricted to the nodes of `nodemask` when given.
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
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::{AllocError, NodeMask};
    /// use oxmm::types::NodeId;
    /// let node0 = NodeMask::EMPTY.with(NodeId(0));
    /// let pfn = mm.alloc_pages_nodemask(NodeId(0), Gfp::KERNEL, 2, Some(&node0)).unwrap();
    /// assert_eq!(pfn.0 % 4, 0); // aligned to its size
    /// mm.free_pages(pfn, 2).unwrap();
    /// // No node allowed: no zone to take from.
    /// let r = mm.alloc_pages_nodemask(NodeId(0), Gfp::KERNEL, 0, Some(&NodeMask::EMPTY));
    /// assert!(matches!(r, Err(AllocError::NoMemory { .. })));
    /// ```
    #[doc(alias = "__alloc_pages")]
    #[inline]
    pub fn alloc_pages_nodemask(
        &self,
        nid: NodeId,
        gfp: Gfp,
        order: u32,
        nodemask: Option<&NodeMask>,
    ) -> Result<Pfn, AllocError> {
        // Order 0 without a nodemask gets its own small copy of the per-CPU-list hit,
        // the order a constant, the rest of the path out of line.
        if order == 0 && nodemask.is_none() {
            return self.alloc_pages_order0(nid, gfp);
        }
        self.alloc_pages_any(nid, gfp, order, nodemask)
    }

    /// [`Mm::alloc_pages_nodemask`] of one page, no nodemask.
    #[inline]
    fn alloc_pages_order0(&self, nid: NodeId, gfp: Gfp) -> Result<Pfn, AllocError> {
        if let Some(pfn) = self.alloc_pcp_first_zone(nid, gfp, 0) {
            return Ok(Pfn(pfn));
        }
        self.alloc_pages_full(nid, gfp, 0, None)
    }

    /// [`Mm::alloc_pages_nodemask`] of any order.
    #[inline]
    fn alloc_pages_any(
        &self,
        nid: NodeId,
        gfp: Gfp,
        order: u32,
        nodemask: Option<&NodeMask>,
    ) -> Result<Pfn, AllocError> {
        if nodemask.is_none() {
            if let Some(pfn) = self.alloc_pcp_first_zone(nid, gfp, order) {
                return Ok(Pfn(pfn));
            }
        }
        self.alloc_pages_full(nid, gfp, order, nodemask)
    }

    /// [`Mm::alloc_pages_nodemask`] after the per-CPU-list shortcut missed: the
    /// zonelist walk at the low watermark, then the slow path.
    #[inline(never)]
    fn alloc_pages_full(
        &self,
        nid: NodeId,
        gfp: Gfp,
        order: u32,
        nodemask: Option<&NodeMask>,
    ) -> Result<Pfn, AllocError> {
        let (highest, mt) = self.check_alloc_request(nid, gfp, order)?;
        // Fast path (__alloc_pages): the low watermark, walking the zonelist in place;
        // the slow path gets its own copy of it.
        let mut flags = AllocFlags::WMARK_LOW;
        if mt == MigrateType::Movable {
            flags |= AllocFlags::CMA;
        }
        if gfp.contains(Gfp::KSWAPD_RECLAIM) {
            flags |= AllocFlags::KSWAPD;
        }
        let refs = self.zonelist_for(nid, gfp, highest, nodemask);
        let first = refs.clone().next();
        if let Some(pref) = first {
            if self.nofragment_applies(&pref) {
                flags |= AllocFlags::NOFRAGMENT;
            }
            if let Some(pfn) =
                self.get_page_from_zonelist(gfp, order, flags, pref, refs, highest, mt)?
            {
                return Ok(Pfn(pfn));
            }
        }
        self.alloc_pages_slow(nid, gfp, order, highest, mt, nodemask)
    }

    /// The common case of `get_page_from_freelist`, taken without walking the zonelist:
    /// a PCP order served from the calling CPU's non-empty list of the request's
    /// preferred zone (the first of its zonelist), which is above its high watermark.
    /// Exactly what the full walk does in that case, counters included; `None` (with
    /// nothing changed) whenever anything else would happen, and the full path runs.
    #[inline(always)]
    fn alloc_pcp_first_zone(&self, nid: NodeId, gfp: Gfp, order: u32) -> Option<u64> {
        // A map that is not accessible (a description-only boot) has no descriptors:
        // the per-CPU take below finds none and changes nothing. The THP order has its
        // per-CPU lists too (`pcp_allowed_order`).
        if !self.pcp_allowed(order) {
            return None;
        }
        let highest = self.layout.gfp_zone_index(gfp)?;
        let thisnode = gfp.contains(Gfp::THISNODE);
        if thisnode && !self.first_zone_on(nid, highest) {
            return None;
        }
        // The hot request (GFP_KERNEL on the first node) is guessed first, as the free
        // path guesses its zone: the zone's address comes from a field of the `Mm`,
        // not from the node id and the table, so the per-CPU work that needs it does
        // not wait for them; nor do the per-CPU lists wait for the zone (`hot_pcp`
        // is the hot zone's `pcp`). The same zone and lists either way; the other
        // zones' way is a copy of its own, out of line, so that the hot one's
        // addresses stay fields of the `Mm`.
        if (nid.0 as u32) << 8 | highest as u32
            != self
                .hot_alloc_key
                .load(core::sync::atomic::Ordering::Relaxed)
        {
            crate::local_lock::cold_path();
            return self.alloc_pcp_table_zone(nid, highest, gfp, order);
        }
        let zone = self.hot_zone_off.zone(&self.nodes);
        self.alloc_pcp_zone(zone, &self.hot_pcp, highest, gfp, order)
    }

    /// [`Mm::alloc_pcp_first_zone`] for a request whose preferred zone is not the hot
    /// one: the zone from the offset table.
    #[inline(never)]
    fn alloc_pcp_table_zone(
        &self,
        nid: NodeId,
        highest: usize,
        gfp: Gfp,
        order: u32,
    ) -> Option<u64> {
        let zone = self.first_zone_table(nid, highest)?;
        self.alloc_pcp_zone(zone, &zone.pcp, highest, gfp, order)
    }

    /// The rest of [`Mm::alloc_pcp_first_zone`] once the request's preferred zone is
    /// known: `zone`, with its per-CPU lists `pcps`.
    #[inline(always)]
    fn alloc_pcp_zone(
        &self,
        zone: &crate::mmzone::Zone,
        pcps: &PerCpu<PerCpuPages>,
        highest: usize,
        gfp: Gfp,
        order: u32,
    ) -> Option<u64> {
        let mt = gfp.migratetype(self.mobility_disabled).ok()?;
        let mut flags = AllocFlags::WMARK_LOW;
        if mt == MigrateType::Movable {
            flags |= AllocFlags::CMA;
        }
        // A zone below its high mark is checked against the request's own mark, and a
        // boosted one wakes kswapd after the take: the full path's cases (testing both
        // here keeps no flag word live across the take). A zone without managed pages
        // has none free, so it fails the watermark.
        if zone.flags() & (ZONE_BELOW_HIGH | ZONE_BOOSTED_WATERMARK) != 0
            || !watermark_check::zone_watermark_fast(
                zone,
                order,
                zone.watermarks().high(),
                highest,
                flags,
            )
        {
            return None;
        }
        let (pfn, head) = self.rmqueue_pcplist_hit(zone, pcps, order, mt)?;
        // `first_zone` answered: `init_on_alloc` is off.
        self.prep_new_pcp_page(pfn, head, order, gfp, false);
        Some(pfn)
    }

    /// `first_zones_zonelist` with `__GFP_THISNODE`: whether the first zone of `nid`'s
    /// zonelist with an index at most `highest` (from the node's `first_zoneref`,
    /// which names only populated zones of online nodes) is `nid`'s own.
    #[inline(always)]
    fn first_zone_on(&self, nid: NodeId, highest: usize) -> bool {
        // `first_zoneref` has a power-of-two length: the mask needs no bounds check.
        self.nodes.get(nid.0 as usize).is_some_and(|n| {
            let refs = &n.first_zoneref;
            refs[highest % refs.len()] >> 8 == nid.0
        })
    }

    /// The preferred zone of a request through the offset table (`first_zones_zonelist`
    /// for the per-CPU shortcut): `None` whenever `init_on_alloc` is on (see
    /// `Mm::update_hot_keys`), so its callers need not test it.
    #[inline(never)]
    fn first_zone_table(&self, nid: NodeId, highest: usize) -> Option<&crate::mmzone::Zone> {
        // With `init_on_alloc` the shortcut is not taken at all (see
        // `Mm::update_hot_keys`): the full path zeroes.
        if self.meminit.init_on_alloc() {
            return None;
        }
        // A node id out of range is the full path's to refuse (`NoNode`), not to be
        // folded onto another node by the index below.
        if nid.0 as usize >= MAX_NUMNODES {
            return None;
        }
        // The same entry as a zone reached with one add; both sizes are powers of two,
        // so the index needs no bounds check.
        let at = (nid.0 as usize % MAX_NUMNODES) * FIRST_ZONEREFS + highest % FIRST_ZONEREFS;
        self.first_zone_off[at].zone(&self.nodes)
    }

    /// The slow path with its own copy of the zonelist, out of line: the copy's
    /// kilobytes of stack would otherwise be set up (and probed) on every allocation.
    #[cold]
    #[inline(never)]
    fn alloc_pages_slow(
        &self,
        nid: NodeId,
        gfp: Gfp,
        order: u32,
        highest: usize,
        mt: MigrateType,
        nodemask: Option<&NodeMask>,
    ) -> Result<Pfn, AllocError> {
        let ac = self.alloc_context(nid, gfp, highest, mt, nodemask);
        match self.alloc_pages_slowpath(gfp, order, &ac) {
            Ok(pfn) => Ok(Pfn(pfn)),
            Err(e) => {
                if let AllocError::NoMemory { .. } = e {
                    // warn_alloc's own test: a DMA request on a machine without DMA
                    // memory is expected to fail.
                    let expected = gfp.contains(Gfp::DMA) && !self.has_managed_dma();
                    if !gfp.contains(Gfp::NOWARN) && !expected {
                        self.warn_alloc(gfp, order, nodemask, &e);
                    }
                }
                Err(e)
            }
        }
    }

    /// `prepare_alloc_pages`: check the request and build its zonelist.
    pub(crate) fn prepare_alloc_pages(
        &self,
        nid: NodeId,
        gfp: Gfp,
        order: u32,
        nodemask: Option<&NodeMask>,
    ) -> Result<AllocContext, AllocError> {
        let (highest, mt) = self.check_alloc_request(nid, gfp, order)?;
        Ok(self.alloc_context(nid, gfp, highest, mt, nodemask))
    }

    /// The checks of `prepare_alloc_pages`: the request's highest zone index and
    /// migrate type (the fast path walks the zonelist in place).
    #[inline]
    fn check_alloc_request(
        &self,
        nid: NodeId,
        gfp: Gfp,
        order: u32,
    ) -> Result<(usize, MigrateType), AllocError> {
        if order > MAX_PAGE_ORDER {
            return Err(AllocError::OrderTooLarge(order));
        }
        let zt = gfp.zone(&self.layout).map_err(AllocError::BadGfp)?;
        let mt = gfp
            .migratetype(self.mobility_disabled)
            .map_err(AllocError::BadGfp)?;
        let highest = self.layout.index_of(zt).ok_or(AllocError::NoSuchZone(zt))?;
        if self.node(nid).is_none() {
            return Err(AllocError::NoNode(nid));
        }
        if self.mode != BootMode::Full || !self.memmap.is_accessible() {
            return Err(AllocError::NoMemMap);
        }
        Ok((highest, mt))
    }

    /// The request's zonelist: `nid`'s, filtered to zones the mask allows
    /// (ZONELIST_NOFALLBACK with __GFP_THISNODE) and to the nodemask.
    #[inline]
    fn zonelist_for<'a>(
        &'a self,
        nid: NodeId,
        gfp: Gfp,
        highest: usize,
        nodemask: Option<&'a NodeMask>,
    ) -> impl Iterator<Item = Zoneref> + Clone + 'a {
        let thisnode = gfp.contains(Gfp::THISNODE);
        self.zonelist(nid).filter(move |z| {
            z.zone_idx <= highest
                && (!thisnode || z.nid == nid)
                && nodemask.map_or(true, |m| m.contains(z.nid))
        })
    }

    /// The slow path's copy of the request's zonelist.
    fn alloc_context(
        &self,
        nid: NodeId,
        gfp: Gfp,
        highest: usize,
        mt: MigrateType,
        nodemask: Option<&NodeMask>,
    ) -> AllocContext {
        let mut ac = AllocContext {
            refs: [Zoneref {
                nid: NodeId(0),
                zone_idx: 0,
            }; MAX_ZONEREFS],
            nr: 0,
            highest_zoneidx: highest,
            migratetype: mt,
            preferred_nid: nid,
        };
        for z in self.zonelist_for(nid, gfp, highest, nodemask) {
            if ac.nr < MAX_ZONEREFS {
                ac.refs[ac.nr] = z;
                ac.nr += 1;
            }
        }
        ac
    }

    /// The zone a zonelist entry names.
    #[inline(always)]
    pub(crate) fn zone_of(&self, z: Zoneref) -> Option<&crate::mmzone::Zone> {
        self.nodes.get(z.nid.0 as usize)?.zone(z.zone_idx)
    }

    /// `get_page_from_freelist`: the first zone of the zonelist that passes the watermark
    /// of `flags` (plus its `lowmem_reserve[highest_zoneidx]`) and yields a block. A zone
    /// found below its high watermark is marked `ZONE_BELOW_HIGH` (its per-CPU lists then
    /// shrink). With `ALLOC_NOFRAGMENT`, a zone on another node or a scan without luck
    /// restarts the scan without it.
    pub(crate) fn get_page_from_freelist(
        &self,
        gfp: Gfp,
        order: u32,
        flags: AllocFlags,
        ac: &AllocContext,
    ) -> Result<Option<u64>, AllocError> {
        let Some(&first) = ac.zonerefs().first() else {
            return Ok(None);
        };
        self.get_page_from_zonelist(
            gfp,
            order,
            flags,
            first,
            ac.zonerefs().iter().copied(),
            ac.highest_zoneidx,
            ac.migratetype,
        )
    }

    /// [`Mm::get_page_from_freelist`] over any walk of a zonelist, whose first entry is
    /// `first`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn get_page_from_zonelist(
        &self,
        gfp: Gfp,
        order: u32,
        mut flags: AllocFlags,
        first: Zoneref,
        refs: impl Iterator<Item = Zoneref> + Clone,
        highest: usize,
        mt: MigrateType,
    ) -> Result<Option<u64>, AllocError> {
        let Some(preferred) = self.zone_of(first) else {
            return Ok(None);
        };
        loop {
            let nofrag = flags.contains(AllocFlags::NOFRAGMENT);
            let mut restart = false;
            for z in refs.clone() {
                // (A zone of another node means there is more than one.)
                if nofrag && z.nid != first.nid {
                    // Locality beats fragmentation avoidance: retry without it.
                    restart = true;
                    break;
                }
                let Some(zone) = self.zone_of(z) else {
                    continue;
                };
                if zone.managed_pages() == 0 {
                    continue;
                }
                let mut ok = false;
                if !zone.test_flag(ZONE_BELOW_HIGH) {
                    let high = zone.watermarks().high();
                    if watermark_check::zone_watermark_fast(zone, order, high, highest, flags) {
                        ok = true;
                    } else {
                        zone.set_flag(ZONE_BELOW_HIGH);
                    }
                }
                if !ok && !flags.contains(AllocFlags::NO_WATERMARKS) {
                    let mark = watermark_check::wmark_pages(zone, flags.wmark_index());
                    if !watermark_check::zone_watermark_fast(zone, order, mark, highest, flags) {
                        continue;
                    }
                }
                if let Some((pfn, head)) = self.rmqueue(preferred, zone, order, flags, mt)? {
                    self.prep_new_page(pfn, head, order, gfp);
                    if flags.contains(AllocFlags::HIGHATOMIC) {
                        self.reserve_highatomic_pageblock(zone, pfn, order);
                    }
                    return Ok(Some(pfn));
                }
            }
            if !nofrag && !restart {
                return Ok(None);
            }
            flags.0 &= !AllocFlags::NOFRAGMENT.0;
        }
    }

    /// `rmqueue`: PCP orders through the calling CPU's lists, the rest (and busy lists)
    /// from the buddy lists, counted against the request's `preferred` zone; a boosted
    /// zone wakes kswapd.
    fn rmqueue(
        &self,
        preferred: &crate::mmzone::Zone,
        zone: &crate::mmzone::Zone,
        order: u32,
        flags: AllocFlags,
        mt: MigrateType,
    ) -> Result<Option<(u64, Option<&crate::page::Page>)>, AllocError> {
        let mut got = None;
        if self.pcp_allowed(order) {
            got = self
                .rmqueue_pcplist(preferred, zone, order, mt, flags)?
                .map(|(pfn, head)| (pfn, Some(head)));
        }
        if got.is_none() {
            got = self
                .rmqueue_buddy(zone, order, flags, mt)?
                .map(|pfn| (pfn, None));
            if got.is_some() {
                self.count_alloc(preferred, zone, order);
            }
        }
        if flags.contains(AllocFlags::KSWAPD) && zone.test_flag(ZONE_BOOSTED_WATERMARK) {
            zone.test_and_clear_flag(ZONE_BOOSTED_WATERMARK);
            self.hooks
                .wakeup_kswapd(zone.nid(), zone.idx(), 0, zone.idx());
        }
        Ok(got)
    }

    /// `rmqueue_buddy`: from the buddy lists under the zone lock; the HighAtomic reserve
    /// first for `ALLOC_HIGHATOMIC`, last for `ALLOC_OOM`/`ALLOC_NON_BLOCK` callers.
    fn rmqueue_buddy(
        &self,
        zone: &crate::mmzone::Zone,
        order: u32,
        flags: AllocFlags,
        mt: MigrateType,
    ) -> Result<Option<u64>, AllocError> {
        let mut zb = self.lock_zone(zone);
        let mut page = None;
        if flags.contains(AllocFlags::HIGHATOMIC) {
            page = zb.rmqueue_smallest(order, MigrateType::HighAtomic)?;
        }
        if page.is_none() {
            page = zb.rmqueue(order, mt, flags)?;
            if page.is_none()
                && flags.intersects(AllocFlags(AllocFlags::OOM.0 | AllocFlags::NON_BLOCK.0))
            {
                page = zb.rmqueue_smallest(order, MigrateType::HighAtomic)?;
            }
        }
        Ok(page)
    }

    /// `alloc_flags_nofragment`: with a DMA32 zone, allocations whose preferred zone
    /// is Normal avoid splitting pageblocks of another type (on NUMA, only when the
    /// node's DMA32 is populated).
    fn nofragment_applies(&self, pref: &Zoneref) -> bool {
        let (Some(normal), Some(dma32)) = (
            self.layout.index_of(ZoneType::Normal),
            self.layout.index_of(ZoneType::Dma32),
        ) else {
            return false;
        };
        if pref.zone_idx != normal {
            return false;
        }
        // Counting the online nodes is only needed when DMA32 is empty.
        self.node(pref.nid)
            .and_then(|n| n.zones().get(dma32))
            .is_some_and(|z| z.is_populated())
            || self.nodes().nth(1).is_none()
    }

    /// [`Mm::prep_new_page`] of a block just taken from a per-CPU list, where every
    /// head has `private` 0 (see `free_unref_page_commit`): a page of order 0 needs
    /// only its reference. `init_on_alloc`: the caller's reading of the key (the
    /// allocation shortcut knows it off without a read).
    #[inline(always)]
    pub(crate) fn prep_new_pcp_page(
        &self,
        pfn: u64,
        head: &crate::page::Page,
        order: u32,
        gfp: Gfp,
        init_on_alloc: bool,
    ) {
        if order != 0 {
            return self.prep_new_page(pfn, Some(head), order, gfp);
        }
        head.set_refcount(1);
        // `want_init_on_alloc` with the key as the caller read it.
        if init_on_alloc || gfp.contains(Gfp::ZERO) {
            crate::local_lock::cold_path();
            self.zero_new_block(pfn, 0);
        }
    }

    /// `prep_new_page`: the caller's reference on the head, the order recorded on it
    /// (so a free with another order is caught), zeroing, compound marking. `head`:
    /// the head's descriptor when the caller has it at hand.
    #[inline]
    fn prep_new_page(&self, pfn: u64, head: Option<&crate::page::Page>, order: u32, gfp: Gfp) {
        if let (Some(h), false) = (head, gfp.contains(Gfp::COMP) && order > 0) {
            // Inline: a block that is no compound page needs only its head set.
            h.set_refcount(1);
            h.set_private(order as u64);
            if self.want_init_on_alloc(gfp) {
                // Zeroing costs far more than the branch: lay the common case straight.
                crate::local_lock::cold_path();
                self.zero_new_block(pfn, order);
            }
            return;
        }
        self.prep_new_compound_page(pfn, head, order, gfp)
    }

    /// [`Mm::prep_new_page`] for compound pages or a head not at hand.
    #[inline(never)]
    fn prep_new_compound_page(
        &self,
        pfn: u64,
        head: Option<&crate::page::Page>,
        order: u32,
        gfp: Gfp,
    ) {
        let nr = 1u64 << order;
        let comp = gfp.contains(Gfp::COMP) && order > 0;
        if let Some(h) = head.or_else(|| self.memmap.page(pfn)) {
            h.set_refcount(1);
            h.set_private(order as u64);
            if comp {
                h.set_flags(h.flags() | PG_HEAD);
            }
        }
        if comp {
            // An aligned block lies in one section: its tails are one slice.
            match self.memmap.block(pfn, nr) {
                Some(b) => b[1..]
                    .iter()
                    .for_each(|t| t.set_private(COMPOUND_TAIL | pfn)),
                None => {
                    for p in pfn + 1..pfn + nr {
                        if let Some(t) = self.memmap.page(p) {
                            t.set_private(COMPOUND_TAIL | pfn);
                        }
                    }
                }
            }
        }
        if self.want_init_on_alloc(gfp) {
            self.zero_new_block(pfn, order);
        }
    }

    /// `kernel_init_pages` on a block just allocated. Linux skips this under
    /// init_on_free (free pages are already zero); here the keys may be set after
    /// boot, when free pages were not wiped, so always zero.
    #[inline(never)]
    fn zero_new_block(&self, pfn: u64, order: u32) {
        let phys = self.geo.pfn_to_phys(Pfn(pfn));
        // SAFETY: the block was just taken off the free lists of a Full boot, so it
        // is machine memory behind the direct map that nothing else references.
        unsafe {
            MemMap::zero_phys(
                self.platform.direct_map_base(),
                phys,
                (1u64 << order) << self.geo.shift(),
            )
        };
    }

    /// `__free_pages` for the last reference: check the block as `free_pages_prepare`
    /// does, clear its allocation state and give it back to its zone's free lists with
    /// coalescing (`free_one_page` → `split_large_buddy` → `__free_one_page`). A bad
    /// block is refused untouched.
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
    /// # let mut mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::gfp::Gfp;
    /// use oxmm::page_alloc::BadPageReason;
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// mm.free_pages(pfn, 0).unwrap();
    /// assert_eq!(mm.free_pages(pfn, 0).unwrap_err().reason, BadPageReason::DoubleFree);
    /// ```
    #[doc(alias = "__free_pages")]
    #[inline]
    pub fn free_pages(&self, pfn: Pfn, order: u32) -> Result<(), BadPage> {
        // Order 0 gets its own copy of the path, with the order a constant: the
        // block-size arithmetic, span checks and PCP-order test fold away.
        if order == 0 {
            self.free_pages_order0(pfn)
        } else {
            self.free_pages_any(pfn, order)
        }
    }

    /// [`Mm::free_pages`] of one page.
    #[inline]
    fn free_pages_order0(&self, pfn: Pfn) -> Result<(), BadPage> {
        self.free_pages_inner(pfn, 0)
    }

    /// [`Mm::free_pages`] of a block of any order.
    #[inline(never)]
    fn free_pages_any(&self, pfn: Pfn, order: u32) -> Result<(), BadPage> {
        self.free_pages_inner(pfn, order)
    }

    #[inline(always)]
    fn free_pages_inner(&self, pfn: Pfn, order: u32) -> Result<(), BadPage> {
        let pfn = pfn.0;
        let l = match self.free_page_lookup(pfn, order) {
            Ok(l) => l,
            Err(reason) => return Err(self.bad_page_reported(BadPage { pfn, order, reason })),
        };
        // `page_zone`, guessed first (see `Mm::page_zone_of_flags`); the other zones
        // take an out-of-line copy of the rest, so that the hot zone's pageblock
        // bitmap and per-CPU lists stay fields of the `Mm` on its way.
        if crate::page::flags_zone_id(l.head_flags) as u32
            != self
                .hot_free_key
                .load(core::sync::atomic::Ordering::Relaxed)
        {
            crate::local_lock::cold_path();
            return self.free_pages_other_zone(pfn, order);
        }
        let zone = self.hot_zone_off.zone(&self.nodes);
        self.free_pages_in(
            pfn,
            order,
            l,
            zone,
            &self.hot_pageblocks,
            &self.hot_pcp,
            true,
        )
    }

    /// [`Mm::free_pages`] of a block whose zone is not the hot one (its lookup done
    /// again: passed on, it would be stored for this call on every free).
    #[inline(never)]
    fn free_pages_other_zone(&self, pfn: u64, order: u32) -> Result<(), BadPage> {
        let l = match self.free_page_lookup(pfn, order) {
            Ok(l) => l,
            Err(reason) => return Err(self.bad_page_reported(BadPage { pfn, order, reason })),
        };
        let Some(zone) = self.page_zone_of_flags_walk(l.head_flags) else {
            let reason = BadPageReason::NotManaged;
            return Err(self.bad_page_reported(BadPage { pfn, order, reason }));
        };
        self.free_pages_in(pfn, order, l, zone, &zone.pageblocks, &zone.pcp, false)
    }

    /// The rest of [`Mm::free_pages`] once the block's zone is known: `zone`, with its
    /// pageblock bitmap and per-CPU lists (`hot`: the hot zone's copies).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn free_pages_in(
        &self,
        pfn: u64,
        order: u32,
        l: FreeLookup<'_>,
        zone: &crate::mmzone::Zone,
        pageblocks: &crate::mmzone::PageblockLookup,
        pcps: &PerCpu<PerCpuPages>,
        hot: bool,
    ) -> Result<(), BadPage> {
        let c = match self.free_page_checks_in(pfn, order, l, zone, pageblocks, hot) {
            Ok(c) => c,
            Err(reason) => return Err(self.bad_page_reported(BadPage { pfn, order, reason })),
        };
        let (zone, idx, head, bits) = self.free_pages_prepare_checked(pfn, order, c);
        let bad = BadPage {
            pfn,
            order,
            reason: BadPageReason::Corrupted,
        };
        let r = if self.pcp_allowed(order) {
            self.free_unref_page(zone, pcps, pfn, idx, head, order, bits)
        } else {
            self.count_pgfree(zone, 1u64 << order);
            self.lock_zone(zone).free_large(pfn, order, false)
        };
        r.map_err(|_| bad)
    }

    /// `free_pages_prepare`: the block's checks (a bad block is reported and refused
    /// untouched), then its allocation state cleared; returns the block's zone, and
    /// its head's memmap index and descriptor.
    #[inline(always)]
    pub(crate) fn free_pages_prepare(
        &self,
        pfn: u64,
        order: u32,
    ) -> Result<(&crate::mmzone::Zone, u32, &crate::page::Page, u8), BadPage> {
        match self.free_page_checks(pfn, order) {
            Ok(c) => Ok(self.free_pages_prepare_checked(pfn, order, c)),
            Err(reason) => Err(self.bad_page_reported(BadPage { pfn, order, reason })),
        }
    }

    /// The end of [`Mm::free_pages_prepare`] for a block whose checks passed (`c`): its
    /// allocation state cleared.
    #[inline(always)]
    fn free_pages_prepare_checked<'a>(
        &self,
        pfn: u64,
        order: u32,
        c: FreeChecked<'a>,
    ) -> (&'a crate::mmzone::Zone, u32, &'a crate::page::Page, u8) {
        let FreeChecked {
            zone,
            idx,
            head,
            head_flags,
            bits,
            hot,
        } = c;
        // The hot zone's guess is taken only while `init_on_free` is off (see
        // `Mm::update_hot_keys`): no test of the key then.
        if !hot && self.want_init_on_free() {
            crate::local_lock::cold_path();
            // kernel_init_pages.
            // SAFETY: the block passed the free checks: machine memory of a Full boot
            // behind the direct map, which its last user is giving back.
            unsafe {
                MemMap::zero_phys(
                    self.platform.direct_map_base(),
                    self.geo.pfn_to_phys(Pfn(pfn)),
                    (1u64 << order) << self.geo.shift(),
                )
            };
        }
        // The tails were checked clean or cleared by `free_page_checks`.
        head.set_refcount(0);
        // `private` held the order (checked above): already 0 for order 0.
        if order != 0 {
            head.set_private(0);
        }
        // Still the head's flags: nothing else writes an allocated page's flags.
        if head_flags & PG_HEAD != 0 {
            crate::local_lock::cold_path();
            head.set_flags(head_flags & !PG_HEAD);
        }
        (zone, idx, head, bits)
    }

    /// `page_zone` of a descriptor whose flags word is `flags`, guessed first: when
    /// the flags name the hot zone (`GFP_KERNEL`'s first, see `build_zonelists`),
    /// its address is made from a field of the `Mm`, not from the flags, so the work
    /// that needs the zone (its pageblock bitmap, its per-CPU lists) does not wait
    /// for the descriptor's read. The same zone either way. Returned with its
    /// pageblock lookup (for the hot zone, the `Mm`'s copy: the pageblock read does
    /// not wait for the zone's address either).
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    fn page_zone_of_flags(
        &self,
        flags: u64,
    ) -> Option<(&crate::mmzone::Zone, &crate::mmzone::PageblockLookup, bool)> {
        if crate::page::flags_zone_id(flags) as u32
            == self
                .hot_free_key
                .load(core::sync::atomic::Ordering::Relaxed)
        {
            return Some((
                self.hot_zone_off.zone(&self.nodes),
                &self.hot_pageblocks,
                true,
            ));
        }
        crate::local_lock::cold_path();
        self.page_zone_of_flags_walk(flags)
            .map(|z| (z, &z.pageblocks, false))
    }

    /// [`Mm::page_zone_of_flags`] for a zone other than the hot one, out of line (so
    /// that the guess is not folded into a select that waits for the flags).
    #[inline(never)]
    fn page_zone_of_flags_walk(&self, flags: u64) -> Option<&crate::mmzone::Zone> {
        self.nodes[crate::page::flags_nid(flags) as usize % MAX_NUMNODES]
            .zones
            .get(crate::page::flags_zone_idx(flags))
    }

    /// `free_page_is_bad` on the head, then `free_tail_page_prepare` and
    /// `free_page_is_bad` over the tails, each tail's allocation state (compound link,
    /// stray `PG_head`) cleared once it passed; returns the block's zone, and its
    /// head's memmap index, descriptor and flags. Nothing is changed when a check fails.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    fn free_page_checks(&self, pfn: u64, order: u32) -> Result<FreeChecked<'_>, BadPageReason> {
        let l = self.free_page_lookup(pfn, order)?;
        // `page_zone`: no test that the node is online or the zone configured, since
        // the zones of those that are not span no pfn, and the span is tested next.
        let (zone, pageblocks, hot) = self
            .page_zone_of_flags(l.head_flags)
            .ok_or(BadPageReason::NotManaged)?;
        self.free_page_checks_in(pfn, order, l, zone, pageblocks, hot)
    }

    /// The first of [`Mm::free_page_checks`]: the order, the alignment, and the block's
    /// descriptors found in the map.
    #[inline(always)]
    fn free_page_lookup(&self, pfn: u64, order: u32) -> Result<FreeLookup<'_>, BadPageReason> {
        // The reason only: the caller builds the report (a `BadPage` built here would
        // be kept ready, in registers, across every test).
        let bad = |reason: BadPageReason| reason;
        if order > MAX_PAGE_ORDER {
            return Err(bad(BadPageReason::OrderTooLarge));
        }
        if pfn & ((1u64 << order) - 1) != 0 {
            return Err(bad(BadPageReason::Misaligned));
        }
        // Only a Full boot's map is accessible (`sparse_init`), so on any other the
        // lookup below finds no descriptor: `NotManaged`, with no test of the mode.
        let nr = 1u64 << order;
        let (idx, block) = match self.memmap.block_indexed(pfn, nr) {
            Some((idx, b)) => (idx, Some(b)),
            None => (
                self.memmap
                    .index_of(pfn)
                    .ok_or(bad(BadPageReason::NotManaged))?,
                None,
            ),
        };
        let head = match block {
            Some(b) => &b[0],
            None => self
                .memmap
                .page(pfn)
                .ok_or(bad(BadPageReason::NotManaged))?,
        };
        // One read of the flags for the node, the zone and PG_reserved (the descriptor's
        // fields are atomics: each read is a load of its own).
        let head_flags = head.flags();
        Ok(FreeLookup {
            idx,
            block,
            head,
            head_flags,
        })
    }

    /// The rest of [`Mm::free_page_checks`], in `zone` (with its pageblock bitmap;
    /// `hot`: the hot zone's guess).
    #[inline(always)]
    fn free_page_checks_in<'a>(
        &'a self,
        pfn: u64,
        order: u32,
        l: FreeLookup<'a>,
        zone: &'a crate::mmzone::Zone,
        pageblocks: &crate::mmzone::PageblockLookup,
        hot: bool,
    ) -> Result<FreeChecked<'a>, BadPageReason> {
        let bad = |reason: BadPageReason| reason;
        let FreeLookup {
            idx,
            block,
            head,
            head_flags,
        } = l;
        let nr = 1u64 << order;
        // The block's pageblock type, which the per-CPU free needs for its list: read
        // first, so that its loads start before the tests below (a bad block has its
        // pageblock read for nothing; the read changes nothing). No bits (a pfn past
        // the bitmap): a value no migrate type has, refused where the type is decoded.
        let bits = pageblocks.bits(pfn).unwrap_or(u8::MAX);
        // `page_expected_state`'s way: every test of the head folded into one word
        // and one branch; a refusal (a bug in the caller) is told apart out of line.
        let private = head.private();
        let refcount = head.refcount();
        let unexpected = (head_flags & PG_RESERVED)
            | head.is_buddy() as u64
            | (private ^ order as u64)
            | (refcount ^ 1) as u64;
        // The zone linkage (`bad_range`) is a `CONFIG_DEBUG_VM` check in Linux: only
        // corrupted page flags name a zone that does not span the page (a pfn outside
        // managed memory fails the lookup above or is reserved).
        let out_of_zone = CHECK_PAGES && (!zone.spans_pfn(pfn) || !zone.spans_pfn(pfn + nr - 1));
        if unexpected != 0 || out_of_zone {
            crate::local_lock::cold_path();
            return Err(bad(free_head_bad_reason(
                zone, pfn, nr, head, head_flags, order,
            )));
        }
        let checked = FreeChecked {
            zone,
            idx,
            head,
            head_flags,
            bits,
            hot,
        };
        if order == 0 {
            return Ok(checked);
        }
        let want = if head_flags & PG_HEAD != 0 {
            COMPOUND_TAIL | pfn
        } else {
            0
        };
        // A stray PG_head on a tail passes the checks and is cleared (tails get none).
        let tail_ok = |t: &crate::page::Page, stray_head: &mut bool| {
            let f = t.flags();
            *stray_head |= f & PG_HEAD != 0;
            f & PG_RESERVED == 0
                && t.page_type() != crate::page::Page::TYPE_BUDDY
                && t.refcount() == 0
                && t.private() == want
        };
        let clear = |t: &crate::page::Page| {
            if want != 0 {
                t.set_private(0);
            }
            let f = t.flags();
            if f & PG_HEAD != 0 {
                t.set_flags(f & !PG_HEAD);
            }
        };
        // Check every tail before changing any, so a refused block stays as it was.
        // Like Linux's `check_pages_enabled` (on with CONFIG_DEBUG_VM), only `debug_vm`
        // checks the tails of a non-compound block; a compound one's tails always are
        // (`free_tail_page_prepare`), since their compound link must be cleared.
        let mut stray_head = false;
        if !CHECK_PAGES && want == 0 {
            // Only the flags: one pass of loads the compiler can unroll, the stores
            // (rare) in a second pass. A reserved tail is refused even so (the
            // head's own test, and debug_vm's, for the tails): memory boot kept back
            // inside the block means a wrong pfn or order, and the free lists must
            // not take it. Linux without check_pages would clear the flag.
            let flags = match block {
                Some(b) => flags_or(&b[1..]),
                None => PG_HEAD | PG_RESERVED,
            };
            if flags & PG_RESERVED != 0 {
                crate::local_lock::cold_path();
                let reserved = (pfn + 1..pfn + nr).find(
                    |&p| !matches!(self.memmap.page(p), Some(t) if t.flags() & PG_RESERVED == 0),
                );
                if let Some(p) = reserved {
                    return Err(bad(BadPageReason::BadTail { pfn: p }));
                }
            }
            stray_head = flags & PG_HEAD != 0;
        } else {
            match block {
                Some(b) => {
                    // Branch-free over the whole block; the culprit is looked for only
                    // when there is one.
                    let (mut wrong, mut flags) = (0u64, 0u64);
                    for t in &b[1..] {
                        let f = t.flags();
                        flags |= f;
                        wrong |= (f & PG_RESERVED)
                            | (t.page_type() == crate::page::Page::TYPE_BUDDY) as u64
                            | t.refcount() as u64
                            | (t.private() ^ want);
                    }
                    stray_head = flags & PG_HEAD != 0;
                    if wrong != 0 {
                        let i = b.iter().skip(1).position(|t| !tail_ok(t, &mut stray_head));
                        return Err(bad(BadPageReason::BadTail {
                            pfn: pfn + 1 + i.unwrap_or(0) as u64,
                        }));
                    }
                }
                None => {
                    for p in pfn + 1..pfn + nr {
                        if !self
                            .memmap
                            .page(p)
                            .is_some_and(|t| tail_ok(t, &mut stray_head))
                        {
                            return Err(bad(BadPageReason::BadTail { pfn: p }));
                        }
                    }
                }
            }
        }
        if want != 0 || stray_head {
            match block {
                Some(b) => b[1..].iter().for_each(clear),
                None => (pfn + 1..pfn + nr)
                    .filter_map(|p| self.memmap.page(p))
                    .for_each(clear),
            }
        }
        Ok(checked)
    }
}

/// The OR of the pages' flags, in eight independent chains so that the loads, not a
/// chain of ORs, set the pace (an order-9 free reads 511 tails).
#[inline]
fn flags_or(pages: &[crate::page::Page]) -> u64 {
    let mut acc = [0u64; 8];
    let mut chunks = pages.chunks_exact(8);
    for c in &mut chunks {
        for (a, p) in acc.iter_mut().zip(c) {
            *a |= p.flags();
        }
    }
    let rest = chunks.remainder().iter().fold(0, |a, p| a | p.flags());
    acc.iter().fold(rest, |a, &f| a | f)
}

/// Why the head of a block freed as `(pfn, order)` failed `free_page_checks`, the
/// first of its tests in Linux's order of reporting (`NotManaged` when all pass).
#[cold]
#[inline(never)]
fn free_head_bad_reason(
    zone: &crate::mmzone::Zone,
    pfn: u64,
    nr: u64,
    head: &crate::page::Page,
    head_flags: u64,
    order: u32,
) -> BadPageReason {
    let out_of_zone = CHECK_PAGES && (!zone.spans_pfn(pfn) || !zone.spans_pfn(pfn + nr - 1));
    if head_flags & PG_RESERVED != 0 || out_of_zone {
        return BadPageReason::NotManaged;
    }
    if head.is_buddy() {
        return BadPageReason::DoubleFree;
    }
    let private = head.private();
    if private & COMPOUND_TAIL != 0 {
        return BadPageReason::TailPage;
    }
    match head.refcount() {
        1 => {}
        0 => return BadPageReason::DoubleFree,
        r => return BadPageReason::NonZeroRefcount(r - 1),
    }
    if private != order as u64 {
        return BadPageReason::WrongOrder {
            allocated: private.min(u32::MAX as u64) as u32,
        };
    }
    BadPageReason::NotManaged
}

#[cfg(test)]
mod tests {
    use super::flags_or;
    use crate::page::{Page, PageState, PG_HEAD};
    use std::vec;
    use std::vec::Vec;

    struct Mem(Vec<u64>);
    // SAFETY: the direct map is the test's own zeroed buffer from a page boundary,
    // as large as the machine and used by nothing else.
    unsafe impl crate::platform::Platform for Mem {
        fn direct_map_base(&self) -> *mut u8 {
            (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8
        }
        fn cpu_id(&self) -> usize {
            0
        }
        fn nr_cpus(&self) -> usize {
            1
        }
        fn flush_tlb_range(&self, _: crate::types::VirtAddr, _: crate::types::VirtAddr) {}
    }

    /// The fast path's preferred zone, reached through `first_zone_off`, is the zone
    /// the node's `first_zoneref` names, for every node and highest zone index of a
    /// two-node machine (whose nodes prefer different zones), and none where it names
    /// none (an offline node, indices past the zones).
    #[test]
    fn first_zone_offsets_follow_the_zonerefs() {
        use crate::boot::{Arch, BootConfig, Distances, NodeDesc};
        use crate::memblock::{Memblock, MemblockFlags};
        use crate::mm::{BootMode, Mm};
        use crate::mmzone::ZoneType;
        use crate::types::{NodeId, PhysAddr};
        static NODES: [NodeDesc; 2] = [
            NodeDesc {
                nid: NodeId(0),
                nr_cpus: 1,
            },
            NodeDesc {
                nid: NodeId(1),
                nr_cpus: 1,
            },
        ];
        static DIST: [u8; 4] = [10, 20, 20, 10];
        let mut mb = Memblock::new();
        // Node 0: DMA and DMA32 only; node 1: Normal.
        mb.add_node(
            PhysAddr(0x1000),
            (64 << 20) - 0x1000,
            NodeId(0),
            MemblockFlags::empty(),
        )
        .unwrap();
        mb.add_node(
            PhysAddr(64 << 20),
            64 << 20,
            NodeId(1),
            MemblockFlags::empty(),
        )
        .unwrap();
        let mut cfg = BootConfig::new(Arch::X86_64);
        cfg.zone_limits.set(ZoneType::Dma, 0x1000);
        cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
        cfg.zone_limits.set(ZoneType::Normal, 0x8000);
        cfg.nodes = &NODES;
        cfg.distances = Distances::new(2, &DIST).unwrap();
        let mm = Mm::boot(
            Mem(Vec::new()),
            mb,
            &cfg,
            BootMode::DescribeOnly,
            &mut crate::printk::NullLog,
        )
        .unwrap();
        let mut seen = Vec::new();
        // Node 2 is offline; the indices from MAX_NR_ZONES up name no zone.
        for nid in 0..3u16 {
            for h in 0..crate::mmzone::FIRST_ZONEREFS {
                let want = mm.nodes[nid as usize]
                    .first_zoneref(h)
                    .map(|r| (r.nid, r.zone_idx));
                let got = mm
                    .first_zone_table(NodeId(nid), h)
                    .map(|z| (z.nid(), z.idx()));
                assert_eq!(got, want, "node {nid}, highest zone index {h}");
                // The hot request's guess names the same zone.
                let key = mm.hot_alloc_key.load(core::sync::atomic::Ordering::Relaxed);
                if (nid as u32) << 8 | h as u32 == key {
                    let z = mm.hot_zone_off.zone(&mm.nodes);
                    assert_eq!(Some((z.nid(), z.idx())), want);
                }
                seen.push(got);
            }
        }
        // Both nodes' zones were preferred somewhere, and somewhere none was.
        assert!(seen.contains(&Some((NodeId(0), 1))) && seen.contains(&Some((NodeId(1), 2))));
        assert!(seen.contains(&None));
    }

    /// The free path's `page_zone` guess (`hot_zone_id`) is GFP_KERNEL's first zone;
    /// pages of the other zones, whose flags miss the guess, still go back to their
    /// own zone: each zone's free count returns to where it was.
    #[test]
    fn free_finds_the_page_zone_with_and_without_the_guess() {
        use crate::boot::{Arch, BootConfig};
        use crate::gfp::Gfp;
        use crate::memblock::Memblock;
        use crate::mm::{BootMode, Mm};
        use crate::mmzone::ZoneType;
        use crate::types::PhysAddr;
        let mut mb = Memblock::new();
        mb.add(PhysAddr(0x1000), (128 << 20) - 0x1000).unwrap();
        let mut cfg = BootConfig::new(Arch::X86_64);
        cfg.zone_limits.set(ZoneType::Dma, 0x1000);
        cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
        cfg.zone_limits.set(ZoneType::Normal, 0x8000);
        let mem = Mem(vec![0; (16 << 20) + 512]);
        let mut log = crate::printk::NullLog;
        let mm = Mm::boot(mem, mb, &cfg, BootMode::Full, &mut log).unwrap();
        let node = mm.node(crate::types::NodeId(0)).unwrap();
        let normal = mm.layout.index_of(ZoneType::Normal).unwrap();
        assert_eq!(mm.hot_zone_id as usize, normal, "node 0's Normal zone");
        // The allocation's guess names the same zone and that zone's own per-CPU slots.
        let kernel = mm.layout.gfp_zone_index(Gfp::KERNEL).unwrap();
        assert_eq!(mm.hot_request, kernel as u32);
        assert_eq!(
            mm.hot_alloc_key.load(core::sync::atomic::Ordering::Relaxed),
            kernel as u32
        );
        let (z, pcps) = (mm.hot_zone_off.zone(&mm.nodes), &mm.hot_pcp);
        assert!(core::ptr::eq(z, node.zone(normal).unwrap()));
        let table = mm
            .first_zone_table(crate::types::NodeId(0), kernel)
            .unwrap();
        assert!(core::ptr::eq(z, table));
        assert_eq!(pcps.nr_cpus(), z.pcp.nr_cpus());
        assert!(pcps.nr_cpus() > 0);
        for cpu in 0..pcps.nr_cpus() {
            assert!(core::ptr::eq(
                pcps.get(cpu).unwrap(),
                z.pcp.get(cpu).unwrap()
            ));
        }
        let free = |i: usize| node.zone(i).unwrap().free_pages();
        let before: Vec<u64> = (0..3).map(free).collect();
        for gfp in [Gfp::DMA, Gfp::DMA32, Gfp::KERNEL] {
            let pfns: Vec<_> = (0..40).map(|_| mm.alloc_pages(gfp, 0).unwrap()).collect();
            for p in pfns {
                let want = mm.memmap.page(p.0).unwrap().zone_idx();
                mm.free_pages(p, 0).unwrap();
                let head = mm.memmap.page(p.0).unwrap();
                assert_eq!(head.zone_idx(), want);
            }
            #[cfg(feature = "debug_vm")]
            mm.check().unwrap();
        }
        mm.drain_all_pages(None).unwrap();
        let after: Vec<u64> = (0..3).map(free).collect();
        assert_eq!(after, before);
    }

    #[test]
    fn flags_or_sees_every_page() {
        // Chunks of eight and a remainder: a flag on any one page shows in the OR.
        for n in [0usize, 1, 7, 8, 9, 16, 511] {
            let pages: [Page; 511] =
                core::array::from_fn(|_| Page::new(PageState::init_single(1, 0)));
            let pages = &pages[..n];
            let base = pages.iter().fold(0, |a, p| a | p.flags());
            assert_eq!(flags_or(pages), base, "{n} pages");
            for i in 0..n {
                pages[i].set_flags(pages[i].flags() | PG_HEAD);
                assert_eq!(flags_or(pages), base | PG_HEAD, "page {i} of {n}");
                pages[i].set_flags(pages[i].flags() & !PG_HEAD);
            }
        }
    }
}
