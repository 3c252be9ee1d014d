//! Per-CPU page lists (v6.12: `struct per_cpu_pages`, `rmqueue_pcplist`,
//! `nr_pcp_alloc`, `free_unref_page_commit`, `nr_pcp_high`, `nr_pcp_free`,
//! `free_pcppages_bulk`, `rmqueue_bulk`, `drain_pages_zone`,
//! `zone_set_pageset_high_and_batch`; mm/page_alloc.c).
//!
//! Each zone has, per CPU, lists for the three PCP migrate types at orders 0..=3 plus
//! two THP lists (unmovable/reclaimable and movable at the PMD order). Allocations of
//! those orders take a page from the calling CPU's list, refilling it in one batch
//! under the zone lock; frees put the page on the list and, once `count` reaches
//! `high`, give a batch back. `high` is tuned at run time between `high_min` (from the
//! low watermark) and `high_max` (an eighth of the zone split over the node's CPUs),
//! as in Linux 6.7+. Each CPU's lists have their own lock, taken with try-lock: when it
//! is busy (a drain from another CPU) the request goes straight to the buddy lists.

use super::buddy::{Corrupt, ZoneBuddy};
use super::AllocFlags;
use crate::local_lock::{LocalGuard, ThisCpu};
use crate::memmap::MemMap;
use crate::mm::Mm;
use crate::mmzone::{FreeList, MigrateType, Zone, MIGRATE_PCPTYPES, ZONE_BELOW_HIGH};
use crate::mmzone::{MAX_NR_ZONES, ZONE_RECLAIM_ACTIVE};
use crate::page::Page;
use crate::platform::Platform;
use crate::watermark::{zone_batchsize, zone_highsize};

/// `PAGE_ALLOC_COSTLY_ORDER`: above this order, allocations are "costly".
///
/// ```
/// assert_eq!(oxmm::page_alloc::pcp::PAGE_ALLOC_COSTLY_ORDER, 3);
/// ```
pub const PAGE_ALLOC_COSTLY_ORDER: u32 = 3;
/// `NR_LOWORDER_PCP_LISTS`.
///
/// ```
/// assert_eq!(oxmm::page_alloc::pcp::NR_LOWORDER_PCP_LISTS, 12);
/// ```
pub const NR_LOWORDER_PCP_LISTS: usize = MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER as usize + 1);
/// `NR_PCP_LISTS`: the low-order lists plus the two THP lists.
///
/// ```
/// assert_eq!(oxmm::page_alloc::pcp::NR_PCP_LISTS, 14);
/// ```
pub const NR_PCP_LISTS: usize = NR_LOWORDER_PCP_LISTS + 2;
/// `CONFIG_PCP_BATCH_SCALE_MAX` (default 5).
///
/// ```
/// assert_eq!(oxmm::page_alloc::pcp::PCP_BATCH_SCALE_MAX, 5);
/// ```
pub const PCP_BATCH_SCALE_MAX: u32 = 5;
/// `MIN_PERCPU_PAGELIST_HIGH_FRACTION`.
///
/// ```
/// assert_eq!(oxmm::page_alloc::pcp::MIN_PERCPU_PAGELIST_HIGH_FRACTION, 8);
/// ```
pub const MIN_PERCPU_PAGELIST_HIGH_FRACTION: u64 = 8;
/// `PCPF_PREV_FREE_HIGH_ORDER`: the previous free was of a high order.
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
/// # let z = &mm.node(oxmm::types::NodeId(0)).unwrap().zones()[1]; // DMA32, where GFP_KERNEL goes
/// use oxmm::gfp::Gfp;
/// use oxmm::page_alloc::pcp::PCPF_PREV_FREE_HIGH_ORDER;
/// let flags = || mm.pcp_state(z, 0).unwrap().flags;
/// let a = mm.alloc_pages(Gfp::KERNEL, 1).unwrap();
/// let b = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
/// mm.free_pages(a, 1).unwrap();
/// assert_ne!(flags() & PCPF_PREV_FREE_HIGH_ORDER, 0);
/// mm.free_pages(b, 0).unwrap(); // an order-0 free clears it
/// assert_eq!(flags() & PCPF_PREV_FREE_HIGH_ORDER, 0);
/// ```
pub const PCPF_PREV_FREE_HIGH_ORDER: u8 = 1 << 0;
/// `PCPF_FREE_HIGH_BATCH`: the CPU's cache slice holds a batch of high-order frees.
///
/// ```
/// use oxmm::page_alloc::pcp::{PagesetParams, PcpState};
/// use oxmm::page_alloc::pcp::{PCPF_FREE_HIGH_BATCH, PCPF_PREV_FREE_HIGH_ORDER};
/// // Another bit of the same `PcpState::flags` byte, clear on new lists.
/// assert_eq!(PCPF_FREE_HIGH_BATCH & PCPF_PREV_FREE_HIGH_ORDER, 0);
/// assert_eq!(PcpState::new(PagesetParams::BOOT).flags & PCPF_FREE_HIGH_BATCH, 0);
/// ```
pub const PCPF_FREE_HIGH_BATCH: u8 = 1 << 1;

/// A zone's pageset parameters (`zone->pageset_high_min`, `pageset_high_max`,
/// `pageset_batch`).
///
/// ```
/// use oxmm::page_alloc::pcp::PagesetParams;
/// assert_eq!(PagesetParams::BOOT.batch, 1);
/// assert_eq!(PagesetParams::BOOT.high_max, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagesetParams {
    /// `high_min`.
    pub high_min: u32,
    /// `high_max`.
    pub high_max: u32,
    /// `batch`.
    pub batch: u32,
}

impl PagesetParams {
    /// `BOOT_PAGESET_HIGH` / `BOOT_PAGESET_BATCH`: lists effectively disabled.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::page_alloc::pcp::{PagesetParams, PcpState};
    /// use oxmm::types::NodeId;
    /// // A new zone's parameters, until its watermarks size them.
    /// assert_eq!(Zone::new(ZoneType::Normal, 2, NodeId(0)).pageset_params(), PagesetParams::BOOT);
    /// let s = PcpState::new(PagesetParams::BOOT);
    /// assert_eq!((s.high_min, s.high_max, s.batch), (0, 0, 1));
    /// ```
    pub const BOOT: PagesetParams = PagesetParams {
        high_min: 0,
        high_max: 0,
        batch: 1,
    };
}

/// One CPU's lists of one zone, behind the lock (`struct per_cpu_pages` minus its lock).
///
/// ```
/// use oxmm::page_alloc::pcp::{PcpState, PagesetParams};
/// let s = PcpState::new(PagesetParams::BOOT);
/// assert_eq!((s.count, s.high, s.batch), (0, 0, 1));
/// ```
#[derive(Debug)]
pub struct PcpState {
    /// Pages on the lists.
    pub count: i32,
    /// The current high limit (tuned between `high_min` and `high_max`).
    pub high: i32,
    /// `high_min`.
    pub high_min: i32,
    /// `high_max`.
    pub high_max: i32,
    /// Chunk size for buddy add/remove.
    pub batch: i32,
    /// `PCPF_*` flags.
    pub flags: u8,
    /// Batch-allocation scale (grows with consecutive allocations).
    pub alloc_factor: u8,
    /// Pages freed since the last allocation (decays on allocation).
    pub free_count: i32,
    /// The lists, indexed by [`order_to_pindex`].
    pub lists: [FreeList; NR_PCP_LISTS],
}

impl PcpState {
    /// `per_cpu_pages_init` + `pageset_update`.
    ///
    /// ```
    /// use oxmm::page_alloc::pcp::{PagesetParams, PcpState};
    /// let s = PcpState::new(PagesetParams { high_min: 64, high_max: 512, batch: 63 });
    /// assert_eq!((s.high_min, s.high_max, s.batch), (64, 512, 63));
    /// // Empty, with `high` tuned later.
    /// assert_eq!((s.count, s.high), (0, 0));
    /// assert!(s.lists.iter().all(|l| l.is_empty()));
    /// ```
    pub const fn new(p: PagesetParams) -> PcpState {
        PcpState {
            count: 0,
            high: 0,
            high_min: p.high_min as i32,
            high_max: p.high_max as i32,
            batch: p.batch as i32,
            flags: 0,
            alloc_factor: 0,
            free_count: 0,
            lists: [FreeList::EMPTY; NR_PCP_LISTS],
        }
    }
}

/// `struct per_cpu_pages`: one CPU's lists of one zone with their own lock (each CPU's
/// on its own cache lines, see [`crate::percpu::stride_of`]).
///
/// ```
/// use oxmm::page_alloc::pcp::{PerCpuPages, PagesetParams};
/// let p = PerCpuPages::new(0, PagesetParams::BOOT);
/// assert!(!p.lock.is_locked());
/// ```
#[derive(Debug)]
#[doc(alias = "per_cpu_pages")]
// The lock first: the slot's address is its lock's (see `LocalLock`'s layout).
#[repr(C)]
pub struct PerCpuPages {
    /// `pcp->lock` and what it protects (taken without an atomic instruction by the
    /// CPU's owner, see [`crate::local_lock`]).
    pub lock: crate::local_lock::LocalLock<PcpState>,
    /// This CPU's VM counters of the zone (`per_cpu_zonestats`) written only with
    /// `lock` held, by plain adds (the `*_owned` methods); read without it.
    pub stats: crate::vmstat::ZoneCpuStats,
    /// The same counters for paths without `lock` (busy lists, non-PCP orders):
    /// locked adds. A counter's value is the sum of both.
    pub shared_stats: crate::vmstat::ZoneCpuStats,
    /// Whether the zone is on the CPU's node (`zone_to_nid(z) == numa_node_id()` for
    /// allocations on this CPU: `NUMA_LOCAL` or `NUMA_OTHER`), fixed like the
    /// CPU-to-node map.
    pub local: bool,
    /// The map's flat part, for the lists' links (set with the lists, from the
    /// `Mm`'s own map).
    pub(crate) flat: crate::memmap::FlatView,
}

impl PerCpuPages {
    /// CPU `cpu`'s lists with parameters `p`, empty, of a zone on its node.
    ///
    /// ```
    /// use oxmm::page_alloc::pcp::{PagesetParams, PerCpuPages};
    /// let p = PerCpuPages::new(2, PagesetParams::BOOT);
    /// assert!(p.local);
    /// assert_eq!(p.lock.cpu(), 2);
    /// assert_eq!((p.stats.pgalloc(), p.shared_stats.pgfree()), (0, 0));
    /// ```
    pub const fn new(cpu: usize, p: PagesetParams) -> PerCpuPages {
        PerCpuPages::new_on(cpu, p, true)
    }

    /// [`PerCpuPages::new`] of a zone on the CPU's node (`local`) or another.
    ///
    /// ```
    /// use oxmm::page_alloc::pcp::{PagesetParams, PerCpuPages};
    /// assert!(!PerCpuPages::new_on(1, PagesetParams::BOOT, false).local);
    /// ```
    pub const fn new_on(cpu: usize, p: PagesetParams, local: bool) -> PerCpuPages {
        PerCpuPages {
            lock: crate::local_lock::LocalLock::new(cpu, PcpState::new(p)),
            stats: crate::vmstat::ZoneCpuStats::new(),
            shared_stats: crate::vmstat::ZoneCpuStats::new(),
            local,
            flat: crate::memmap::FlatView::EMPTY,
        }
    }
}

/// `pcp_allowed_order`: orders up to `PAGE_ALLOC_COSTLY_ORDER`, and the THP order.
///
/// ```
/// use oxmm::page_alloc::pcp::pcp_allowed_order;
/// assert!(pcp_allowed_order(3, 9));
/// assert!(!pcp_allowed_order(4, 9));
/// assert!(pcp_allowed_order(9, 9));
/// ```
pub const fn pcp_allowed_order(order: u32, thp_order: u32) -> bool {
    order <= PAGE_ALLOC_COSTLY_ORDER || order == thp_order
}

/// `order_to_pindex`: `MIGRATE_PCPTYPES * order + mt` for low orders; the THP order uses
/// list 12 (unmovable and reclaimable) or 13 (movable).
///
/// ```
/// use oxmm::mmzone::MigrateType;
/// use oxmm::page_alloc::pcp::order_to_pindex;
/// assert_eq!(order_to_pindex(MigrateType::Reclaimable, 1), 5);
/// assert_eq!(order_to_pindex(MigrateType::Movable, 9), 13);
/// assert_eq!(order_to_pindex(MigrateType::Unmovable, 9), 12);
/// ```
pub const fn order_to_pindex(mt: MigrateType, order: u32) -> usize {
    if order > PAGE_ALLOC_COSTLY_ORDER {
        NR_LOWORDER_PCP_LISTS + matches!(mt, MigrateType::Movable) as usize
    } else {
        MIGRATE_PCPTYPES * order as usize + mt as usize
    }
}

/// `pindex_to_order`.
///
/// ```
/// use oxmm::page_alloc::pcp::pindex_to_order;
/// assert_eq!(pindex_to_order(5, 9), 1);
/// assert_eq!(pindex_to_order(13, 9), 9);
/// ```
pub const fn pindex_to_order(pindex: usize, thp_order: u32) -> u32 {
    if pindex >= NR_LOWORDER_PCP_LISTS {
        thp_order
    } else {
        (pindex / MIGRATE_PCPTYPES) as u32
    }
}

/// `nr_pcp_alloc`: how many blocks of `order` to move from the buddy lists into an
/// empty list. Raises `high` towards `high_max` while the zone is above its high
/// watermark, and doubles the order-0 batch for each refill without a free between.
///
/// ```
/// use oxmm::page_alloc::pcp::{nr_pcp_alloc, PagesetParams, PcpState};
/// let mut s = PcpState::new(PagesetParams { high_min: 480, high_max: 11656, batch: 63 });
/// assert_eq!(nr_pcp_alloc(&mut s, false, 0), 63);
/// assert_eq!((s.high, s.alloc_factor), (480 + 63, 1));
/// assert_eq!(nr_pcp_alloc(&mut s, false, 0), 126);
/// assert_eq!(nr_pcp_alloc(&mut s, false, 2), 15);
/// ```
pub fn nr_pcp_alloc(pcp: &mut PcpState, zone_below_high: bool, order: u32) -> i32 {
    let base_batch = pcp.batch;
    let (high_min, high_max) = (pcp.high_min, pcp.high_max);
    pcp.high = clamp(pcp.high, high_min, high_max);
    let mut high = pcp.high;
    // PCP disabled or a boot pageset.
    if high < base_batch {
        return 1;
    }
    let mut batch = if order != 0 {
        base_batch
    } else {
        base_batch << pcp.alloc_factor
    };
    // With a larger high, fewer refills from the zone would be needed.
    if high_min != high_max && !zone_below_high {
        high = (high + batch).min(high_max);
        pcp.high = high;
    }
    if order == 0 {
        let max_nr_alloc = (high - pcp.count - base_batch).max(base_batch);
        if batch <= max_nr_alloc && (pcp.alloc_factor as u32) < PCP_BATCH_SCALE_MAX {
            pcp.alloc_factor += 1;
        }
        batch = batch.min(max_nr_alloc);
    }
    // Scale by order, but a batch of 1 (boot pageset, tiny zone) stays 1.
    if batch > 1 {
        batch = (batch >> order).max(2);
    }
    batch
}

/// `nr_pcp_free`: how many pages to give back once `count` reached `high`: at least a
/// batch, growing with consecutive frees, leaving a batch on the lists.
///
/// ```
/// use oxmm::page_alloc::pcp::{nr_pcp_free, PagesetParams, PcpState};
/// let mut s = PcpState::new(PagesetParams { high_min: 480, high_max: 480, batch: 63 });
/// s.free_count = 300;
/// assert_eq!(nr_pcp_free(&s, 63, 480, false), 300);
/// s.free_count = 10;
/// assert_eq!(nr_pcp_free(&s, 63, 480, false), 63);
/// ```
pub fn nr_pcp_free(pcp: &PcpState, batch: i32, high: i32, free_high: bool) -> i32 {
    if free_high {
        return pcp.count.min(batch << PCP_BATCH_SCALE_MAX);
    }
    if high < batch {
        return 1;
    }
    let (min_nr_free, max_nr_free) = (batch, high - batch);
    pcp.free_count
        .max(min_nr_free)
        .min(max_nr_free.max(min_nr_free))
}

/// `nr_pcp_high`: the limit `count` is checked against on free, tuning `high`: down
/// while the zone is below its high watermark or under reclaim, up when a batch of
/// frees no longer fits.
///
/// ```
/// use oxmm::page_alloc::pcp::{nr_pcp_high, PagesetParams, PcpState};
/// let mut s = PcpState::new(PagesetParams { high_min: 100, high_max: 1000, batch: 10 });
/// s.high = 500;
/// assert_eq!(nr_pcp_high(&mut s, 0, 10, false), 500);
/// s.free_count = 50;
/// s.count = 120;
/// assert_eq!(nr_pcp_high(&mut s, oxmm::mmzone::ZONE_BELOW_HIGH, 10, false), 120);
/// assert_eq!(s.high, 450);
/// ```
#[inline(always)]
pub fn nr_pcp_high(pcp: &mut PcpState, zone_flags: u32, batch: i32, free_high: bool) -> i32 {
    // The common case, where every rule below leaves `high` as it is and returns it:
    // already within its bounds, no reclaim or below-high pressure, and room left.
    // (A `high` of 0 within its bounds is returned as it is by the rules too.)
    let high = pcp.high;
    if !free_high
        && zone_flags & (ZONE_RECLAIM_ACTIVE | ZONE_BELOW_HIGH) == 0
        && high >= pcp.high_min
        && high <= pcp.high_max
        && pcp.count < high
    {
        return high;
    }
    crate::local_lock::cold_path();
    nr_pcp_high_tune(pcp, zone_flags, batch, free_high)
}

/// [`nr_pcp_high`] when `high` may change or the lists are full.
#[inline(never)]
fn nr_pcp_high_tune(pcp: &mut PcpState, zone_flags: u32, batch: i32, free_high: bool) -> i32 {
    let (high_min, high_max) = (pcp.high_min, pcp.high_max);
    pcp.high = clamp(pcp.high, high_min, high_max);
    let high = pcp.high;
    if high == 0 {
        return 0;
    }
    if free_high {
        pcp.high = (high - (batch << PCP_BATCH_SCALE_MAX)).max(high_min);
        return 0;
    }
    // Under reclaim, keep few pages on the lists.
    if zone_flags & ZONE_RECLAIM_ACTIVE != 0 {
        let free_count = pcp.free_count.max(batch);
        pcp.high = (high - free_count).max(high_min);
        return (batch << 2).min(pcp.high);
    }
    if high_min == high_max {
        return high;
    }
    if zone_flags & ZONE_BELOW_HIGH != 0 {
        let free_count = pcp.free_count.max(batch);
        pcp.high = (high - free_count).max(high_min);
        return pcp.count.max(high_min);
    }
    if pcp.count >= high {
        // Large enough to hold a batch of frees.
        let need_high = pcp.free_count + batch;
        if pcp.high < need_high {
            pcp.high = clamp(need_high, high_min, high_max);
        }
    }
    high
}

/// Linux's `clamp` (`__clamp`, include/linux/minmax.h): `hi` wins when the bounds
/// cross, where `Ord::clamp` would panic.
#[inline]
fn clamp(v: i32, lo: i32, hi: i32) -> i32 {
    if v >= hi {
        hi
    } else if v <= lo {
        lo
    } else {
        v
    }
}

/// A zone's buddy lists held under `zone->lock` for PCP refills and drains.
fn lock_zone<'a>(
    mm_map: &'a MemMap,
    zone: &'a Zone,
    geo: crate::types::PageGeometry,
    mobility_disabled: bool,
    boost_factor: u64,
) -> ZoneBuddy<'a> {
    ZoneBuddy::lock(zone, mm_map, geo, mobility_disabled, boost_factor)
}

impl<P: Platform> Mm<P> {
    /// The THP order of the per-CPU lists (`HPAGE_PMD_ORDER`; here the pageblock order).
    pub(crate) fn pcp_thp_order(&self) -> u32 {
        self.geo.pageblock_order()
    }

    /// [`pcp_allowed_order`] for this machine (the THP order looked up only when needed).
    #[inline(always)]
    pub(crate) fn pcp_allowed(&self, order: u32) -> bool {
        order <= PAGE_ALLOC_COSTLY_ORDER || order == self.pcp_thp_order()
    }

    pub(crate) fn lock_zone<'a>(&'a self, zone: &'a Zone) -> ZoneBuddy<'a> {
        lock_zone(
            &self.memmap,
            zone,
            self.geo,
            self.mobility_disabled,
            self.vm.watermark_boost_factor,
        )
    }

    /// `rmqueue_pcplist`: a block of `order` from the calling CPU's list of `zone`,
    /// refilled from the buddy lists when empty, and counted (`PGALLOC`,
    /// `zone_statistics` against `preferred`) while the lists are held. `Ok(None)`:
    /// the lists are busy (a drain holds them) or the zone had nothing; the caller
    /// goes to the buddy lists.
    pub(crate) fn rmqueue_pcplist(
        &self,
        preferred: &Zone,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        flags: AllocFlags,
    ) -> Result<Option<(u64, &Page)>, Corrupt> {
        let me = self.platform.this_cpu();
        let Some(pcp) = zone.pcp.get(me.id) else {
            return Ok(None);
        };
        let Some(mut st) = pcp.lock.try_lock_local(&self.platform, me) else {
            return Ok(None);
        };
        // An allocation shrinks the next free batch (see nr_pcp_free).
        st.free_count >>= 1;
        let got = self.rmqueue_pcplist_locked(zone, order, mt, flags, &mut st)?;
        if got.is_some() {
            self.count_alloc_locked(pcp, preferred, zone, order);
        }
        Ok(got)
    }

    /// [`Mm::rmqueue_pcplist`] on a request's preferred zone when the CPU's list of
    /// `order` and `mt` has a block: take it and count it. `None`, with nothing changed,
    /// when the lists are busy or that list is empty (a refill is the full path's job).
    #[inline(always)]
    pub(crate) fn rmqueue_pcplist_hit(
        &self,
        zone: &Zone,
        pcps: &crate::percpu::PerCpu<PerCpuPages>,
        order: u32,
        mt: MigrateType,
    ) -> Option<(u64, &Page)> {
        // The owner's way in gets its own copy of the take (its guard's drop is one
        // store); everyone else tries the lock out of line.
        let Some(me) = self.platform.this_cpu_owned() else {
            return self.rmqueue_pcplist_hit_shared(zone, order, mt);
        };
        // `pcps` is `zone.pcp` (or a handle to the same slots, see `Mm::first_zone`).
        let pcp = pcps.get(me.id)?;
        // SAFETY: slot `me.id` of the zone's per-CPU block, built as
        // `PerCpuPages::new(me.id, ..)` in `setup_per_cpu_pageset`: CPU `me.id`'s lock.
        match unsafe { pcp.lock.lock_owner_own_slot(me) } {
            Some(st) => self.pcplist_take(pcp, zone, order, mt, st),
            None => self.rmqueue_pcplist_hit_other(pcp, zone, order, mt, me),
        }
    }

    /// [`Mm::rmqueue_pcplist_hit`] for a caller not known at once to own its CPU.
    #[inline(never)]
    fn rmqueue_pcplist_hit_shared(
        &self,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
    ) -> Option<(u64, &Page)> {
        let me = self.platform.this_cpu();
        let pcp = zone.pcp.get(me.id)?;
        self.rmqueue_pcplist_hit_other(pcp, zone, order, mt, me)
    }

    /// [`Mm::rmqueue_pcplist_hit`] for a caller that is not the lists' uncontended
    /// owner.
    #[inline(never)]
    fn rmqueue_pcplist_hit_other<'a>(
        &'a self,
        pcp: &PerCpuPages,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        me: ThisCpu,
    ) -> Option<(u64, &'a Page)> {
        let st = pcp.lock.try_lock_local(&self.platform, me)?;
        self.pcplist_take(pcp, zone, order, mt, st)
    }

    /// The take of [`Mm::rmqueue_pcplist_hit`] from the lists held as `st`.
    #[inline(always)]
    fn pcplist_take<'a>(
        &'a self,
        pcp: &PerCpuPages,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        mut st: LocalGuard<'_, PcpState>,
    ) -> Option<(u64, &'a Page)> {
        let list = &st.lists[order_to_pindex(mt, order)];
        let idx = list.head();
        let page = list.pop_head(&self.memmap, &pcp.flat, idx)?;
        let pfn = self.memmap.pfn_of_fast(idx)?;
        // An allocation shrinks the next free batch (see nr_pcp_free).
        st.free_count >>= 1;
        st.count -= 1 << order;
        self.count_alloc_locked(pcp, zone, zone, order);
        Some((pfn, page))
    }

    /// `__rmqueue_pcplist`: [`Mm::rmqueue_pcplist`] with the CPU's lists already held
    /// (the bulk allocator takes many pages under one lock). Returns the block's pfn
    /// and head descriptor.
    pub(crate) fn rmqueue_pcplist_locked(
        &self,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        flags: AllocFlags,
        st: &mut PcpState,
    ) -> Result<Option<(u64, &Page)>, Corrupt> {
        let pindex = order_to_pindex(mt, order);
        if st.lists[pindex].is_empty() {
            let batch = nr_pcp_alloc(st, zone.test_flag(ZONE_BELOW_HIGH), order);
            let alloced = self.rmqueue_bulk(zone, order, batch, &st.lists[pindex], mt, flags)?;
            st.count += alloced << order;
            if st.lists[pindex].is_empty() {
                return Ok(None);
            }
        }
        let list = &st.lists[pindex];
        let idx = list.head();
        let page = list.del(&self.memmap, idx).ok_or(Corrupt)?;
        let pfn = self.memmap.pfn_of_fast(idx).ok_or(Corrupt)?;
        st.count -= 1 << order;
        Ok(Some((pfn, page)))
    }

    /// `rmqueue_bulk`: up to `count` blocks of `order` from the buddy lists to the tail
    /// of `list`, under the zone lock once. Returns how many.
    fn rmqueue_bulk(
        &self,
        zone: &Zone,
        order: u32,
        count: i32,
        list: &FreeList,
        mt: MigrateType,
        flags: AllocFlags,
    ) -> Result<i32, Corrupt> {
        let mut zb = self.lock_zone(zone);
        let mut i = 0;
        while i < count {
            let Some(pfn) = zb.rmqueue(order, mt, flags)? else {
                break;
            };
            let idx = self.memmap.index_of(pfn).ok_or(Corrupt)?;
            // Split halves come back in pfn order; the tail keeps the list that way.
            list.add(&self.memmap, idx, true).ok_or(Corrupt)?;
            i += 1;
        }
        Ok(i)
    }

    /// `free_unref_page` for a block of a PCP order whose checks passed: onto the calling
    /// CPU's list (HighAtomic and CMA blocks on the movable list; Isolate blocks and busy
    /// lists straight to the buddy lists); `PGFREE` counted on either way.
    /// `pcps` is the zone's per-CPU lists, `idx` and `head` the block's first page's
    /// memmap index and descriptor.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn free_unref_page(
        &self,
        zone: &Zone,
        pcps: &crate::percpu::PerCpu<PerCpuPages>,
        pfn: u64,
        idx: u32,
        head: &Page,
        order: u32,
        bits: u8,
    ) -> Result<(), Corrupt> {
        // The PCP types in one compare of the raw bits (which then decode with no
        // further test); the others apart (`u8::MAX`, no bits at all, decodes to none).
        let mt = if (bits as usize) < MIGRATE_PCPTYPES {
            MigrateType::from_u8(bits).ok_or(Corrupt)?
        } else {
            crate::local_lock::cold_path();
            let mt = MigrateType::from_u8(bits).ok_or(Corrupt)?;
            if mt == MigrateType::Isolate {
                self.count_pgfree(zone, 1u64 << order);
                return self.lock_zone(zone).free_one_page(pfn, order, mt, false);
            }
            MigrateType::Movable
        };
        // The zone flags `nr_pcp_high` tests, read now while the zone is at hand (set
        // by other CPUs without this lock, so no later read would be more exact).
        let zflags = self.zone_flags(zone);
        // As in rmqueue_pcplist_hit: the owner's way in with its own copy.
        let Some(me) = self.platform.this_cpu_owned() else {
            return self.free_unref_page_shared(zone, pfn, idx, head, mt, order);
        };
        // `pcps` is `zone.pcp`, or the `Mm`'s handle to the same slots (`hot_pcp`).
        if let Some(pcp) = pcps.get(me.id) {
            // SAFETY: as in `rmqueue_pcplist_hit`: slot `me.id` is CPU `me.id`'s.
            if let Some(mut st) = unsafe { pcp.lock.lock_owner_own_slot(me) } {
                pcp.stats.count_pgfree_owned(1u64 << order);
                return self.free_unref_page_commit(
                    zone, &mut st, &pcp.flat, idx, head, mt, order, zflags,
                );
            }
            return self.free_unref_page_other(zone, pcp, pfn, idx, head, mt, order, me);
        }
        self.free_unref_page_busy(zone, pfn, order)
    }

    /// [`Mm::free_unref_page`] for a caller not known at once to own its CPU.
    #[inline(never)]
    fn free_unref_page_shared(
        &self,
        zone: &Zone,
        pfn: u64,
        idx: u32,
        head: &Page,
        mt: MigrateType,
        order: u32,
    ) -> Result<(), Corrupt> {
        let me = self.platform.this_cpu();
        match zone.pcp.get(me.id) {
            Some(pcp) => self.free_unref_page_other(zone, pcp, pfn, idx, head, mt, order, me),
            None => self.free_unref_page_busy(zone, pfn, order),
        }
    }

    /// [`Mm::free_unref_page`] for a caller that is not the lists' uncontended owner.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn free_unref_page_other(
        &self,
        zone: &Zone,
        pcp: &PerCpuPages,
        pfn: u64,
        idx: u32,
        head: &Page,
        mt: MigrateType,
        order: u32,
        me: ThisCpu,
    ) -> Result<(), Corrupt> {
        if let Some(mut st) = pcp.lock.try_lock_local(&self.platform, me) {
            pcp.stats.count_pgfree_owned(1u64 << order);
            let zflags = self.zone_flags(zone);
            return self
                .free_unref_page_commit(zone, &mut st, &pcp.flat, idx, head, mt, order, zflags);
        }
        self.free_unref_page_busy(zone, pfn, order)
    }

    /// [`Mm::free_unref_page`] when the CPU's lists are busy: the buddy lists.
    #[cold]
    #[inline(never)]
    fn free_unref_page_busy(&self, zone: &Zone, pfn: u64, order: u32) -> Result<(), Corrupt> {
        self.count_pgfree(zone, 1u64 << order);
        let mt = self.block_migratetype(zone, pfn).ok_or(Corrupt)?;
        self.lock_zone(zone).free_one_page(pfn, order, mt, false)
    }

    /// `get_pfnblock_migratetype` for a pfn of `zone`.
    #[inline]
    pub(crate) fn block_migratetype(&self, zone: &Zone, pfn: u64) -> Option<MigrateType> {
        MigrateType::from_u8(zone.pageblocks.bits(pfn)?)
    }

    /// `free_unref_page_commit`. A block on a per-CPU list has `private` 0, as the
    /// free checks and the buddy lists leave it: the allocation that takes it from
    /// the list finds its pfn from its memmap index ([`MemMap::pfn_of_fast`]).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn free_unref_page_commit(
        &self,
        zone: &Zone,
        st: &mut PcpState,
        flat: &crate::memmap::FlatView,
        idx: u32,
        head: &Page,
        mt: MigrateType,
        order: u32,
        zflags: u32,
    ) -> Result<(), Corrupt> {
        // A free shrinks the next allocation batch (see nr_pcp_alloc); mostly it is 0
        // already, and a store left out is a store the next allocation need not wait
        // behind.
        if st.alloc_factor != 0 {
            st.alloc_factor >>= 1;
        }
        let pindex = order_to_pindex(mt, order);
        st.lists[pindex]
            .push(&self.memmap, flat, idx, head)
            .ok_or(Corrupt)?;
        st.count += 1 << order;
        let batch = st.batch;
        // High orders other than THP fragment: limit how many a freeing-only CPU keeps.
        let mut free_high = false;
        if order != 0 && order <= PAGE_ALLOC_COSTLY_ORDER {
            free_high = st.free_count >= batch
                && st.flags & PCPF_PREV_FREE_HIGH_ORDER != 0
                && (st.flags & PCPF_FREE_HIGH_BATCH == 0 || st.count >= batch);
            st.flags |= PCPF_PREV_FREE_HIGH_ORDER;
        } else if st.flags & PCPF_PREV_FREE_HIGH_ORDER != 0 {
            // Only after a free of another PCP order.
            crate::local_lock::cold_path();
            st.flags &= !PCPF_PREV_FREE_HIGH_ORDER;
        }
        if st.free_count < (batch << PCP_BATCH_SCALE_MAX) {
            st.free_count += 1 << order;
        }
        let high = nr_pcp_high(st, zflags, batch, free_high);
        if st.count >= high {
            crate::local_lock::cold_path();
            return self.free_unref_page_drain(zone, st, pindex, batch, high, free_high);
        }
        Ok(())
    }

    /// The end of [`Mm::free_unref_page_commit`] when the lists reached `high`: a batch
    /// back to the buddy lists, then `ZONE_BELOW_HIGH` cleared if the zone is above its
    /// high mark again. Out of line: a free seldom ends here, and inline this code sat
    /// among the common path's instructions.
    #[inline(never)]
    fn free_unref_page_drain(
        &self,
        zone: &Zone,
        st: &mut PcpState,
        pindex: usize,
        batch: i32,
        high: i32,
        free_high: bool,
    ) -> Result<(), Corrupt> {
        let n = nr_pcp_free(st, batch, high, free_high);
        self.free_pcppages_bulk(zone, n, st, pindex)?;
        if zone.test_flag(ZONE_BELOW_HIGH) {
            let mark = zone.watermarks().high();
            let top = self.layout.len().saturating_sub(1).min(MAX_NR_ZONES - 1);
            if super::watermark_check::zone_watermark_ok(zone, 0, mark, top, AllocFlags::default())
            {
                zone.test_and_clear_flag(ZONE_BELOW_HIGH);
            }
        }
        Ok(())
    }

    /// The zone flags `nr_pcp_high` looks at, in one read.
    #[inline]
    fn zone_flags(&self, zone: &Zone) -> u32 {
        zone.flags() & (ZONE_BELOW_HIGH | ZONE_RECLAIM_ACTIVE)
    }

    /// `free_pcppages_bulk`: give `count` pages back from the lists, round-robin from
    /// `pindex` (which goes first), each list from its tail (the coldest pages), under
    /// the zone lock once.
    pub(crate) fn free_pcppages_bulk(
        &self,
        zone: &Zone,
        count: i32,
        st: &mut PcpState,
        pindex: usize,
    ) -> Result<(), Corrupt> {
        let mut count = count.min(st.count);
        if count <= 0 {
            return Ok(());
        }
        let thp = self.pcp_thp_order();
        let mut zb = self.lock_zone(zone);
        let mut p = pindex + NR_PCP_LISTS - 1;
        while count > 0 {
            // The next non-empty list, starting with `pindex`.
            let mut tries = 0;
            loop {
                p = (p + 1) % NR_PCP_LISTS;
                if !st.lists[p].is_empty() {
                    break;
                }
                tries += 1;
                if tries > NR_PCP_LISTS {
                    // `count` says there are pages but no list has any.
                    return Err(Corrupt);
                }
            }
            let order = pindex_to_order(p, thp);
            let nr = 1i32 << order;
            loop {
                let list = &st.lists[p];
                let idx = list.tail();
                list.del(&self.memmap, idx).ok_or(Corrupt)?;
                let pfn = self.memmap.pfn_of_fast(idx).ok_or(Corrupt)?;
                count -= nr;
                st.count -= nr;
                let mt = zb.pageblock_migratetype(pfn).ok_or(Corrupt)?;
                zb.free_one_page(pfn, order, mt, false)?;
                if count <= 0 || st.lists[p].is_empty() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// `drain_pages_zone`: empty CPU `cpu`'s lists of `zone` into the buddy lists (a
    /// batch at a time, so other CPUs get the zone lock in between).
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
    /// # let z = &mm.node(oxmm::types::NodeId(0)).unwrap().zones()[1]; // DMA32, where GFP_KERNEL goes
    /// use oxmm::gfp::Gfp;
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// mm.free_pages(pfn, 0).unwrap(); // onto CPU 0's list
    /// let (count, free) = (mm.pcp_state(z, 0).unwrap().count, z.free_pages());
    /// assert!(count > 0);
    /// mm.drain_pages_zone(0, z).unwrap();
    /// assert_eq!(mm.pcp_state(z, 0).unwrap().count, 0);
    /// assert_eq!(z.free_pages(), free + count as u64);
    /// ```
    pub fn drain_pages_zone(&self, cpu: usize, zone: &Zone) -> Result<(), Corrupt> {
        let Some(pcp) = zone.pcp.get(cpu) else {
            return Ok(());
        };
        loop {
            let mut st = pcp.lock.lock_cpu(&self.platform);
            let count = st.count;
            if count == 0 {
                return Ok(());
            }
            let to_drain = count.min(st.batch << PCP_BATCH_SCALE_MAX);
            self.free_pcppages_bulk(zone, to_drain, &mut st, 0)?;
        }
    }

    /// `drain_local_pages` / `drain_pages`: empty CPU `cpu`'s lists of every zone.
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
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// mm.free_pages(pfn, 0).unwrap();
    /// assert!(mm.nr_pcp_pages() > 0);
    /// mm.drain_pages(0).unwrap(); // the only CPU
    /// assert_eq!(mm.nr_pcp_pages(), 0);
    /// ```
    pub fn drain_pages(&self, cpu: usize) -> Result<(), Corrupt> {
        for n in self.nodes() {
            for z in n.zones().iter().filter(|z| z.is_populated()) {
                self.drain_pages_zone(cpu, z)?;
            }
        }
        Ok(())
    }

    /// `drain_all_pages`: empty every CPU's lists of `zone` (all zones with `None`).
    /// Where CPUs have owners, each zone's lists are closed to them all at once, so one
    /// barrier serves every CPU (Linux queues the drain on every CPU at once too).
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
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 1).unwrap();
    /// mm.free_pages(pfn, 1).unwrap();
    /// let (free, pcp) = (mm.nr_free_pages(), mm.nr_pcp_pages());
    /// mm.drain_all_pages(None).unwrap();
    /// assert_eq!(mm.nr_pcp_pages(), 0);
    /// assert_eq!(mm.nr_free_pages(), free + pcp);
    /// ```
    pub fn drain_all_pages(&self, zone: Option<&Zone>) -> Result<(), Corrupt> {
        if self.platform.cpu_ownership() {
            return match zone {
                Some(z) => self.drain_zone_all_cpus(z),
                None => self
                    .nodes()
                    .flat_map(|n| n.zones().iter())
                    .filter(|z| z.is_populated())
                    .try_for_each(|z| self.drain_zone_all_cpus(z)),
            };
        }
        for cpu in 0..self.platform.nr_cpus() {
            match zone {
                Some(z) => self.drain_pages_zone(cpu, z)?,
                None => self.drain_pages(cpu)?,
            }
        }
        Ok(())
    }

    /// Every CPU's lists of `zone` drained behind closed gates and one barrier.
    fn drain_zone_all_cpus(&self, zone: &Zone) -> Result<(), Corrupt> {
        let mut owned = false;
        for pcp in zone.pcp.iter() {
            owned |= pcp.lock.close_gate(&self.platform);
        }
        if owned {
            self.platform.barrier_owned_cpus();
        }
        let mut r = Ok(());
        for pcp in zone.pcp.iter() {
            while r.is_ok() {
                // SAFETY: closed above, the barrier taken if any CPU had an owner;
                // opened only below.
                let mut st = unsafe { pcp.lock.lock_closed() };
                let count = st.count;
                if count == 0 {
                    break;
                }
                let to_drain = count.min(st.batch << PCP_BATCH_SCALE_MAX);
                r = self.free_pcppages_bulk(zone, to_drain, &mut st, 0);
            }
            pcp.lock.open_gate();
        }
        r
    }

    /// `zone_pcp_disable`: set every CPU's `high` limits to 0 and `batch` to 1, then
    /// drain: from now on each allocation takes exactly one block from the buddy lists
    /// and each free gives it straight back, so the zone behaves as if it had no
    /// per-CPU lists (memory offlining and `alloc_contig_range` rely on this). A later
    /// watermark or `percpu_pagelist_high_fraction` change re-sizes the lists.
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
    /// # let z = &mm.node(oxmm::types::NodeId(0)).unwrap().zones()[1]; // DMA32, where GFP_KERNEL goes
    /// use oxmm::gfp::Gfp;
    /// mm.zone_pcp_disable(z).unwrap();
    /// assert_eq!(mm.pcp_state(z, 0).unwrap().batch, 1);
    /// // A free goes straight back to the buddy lists.
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// mm.free_pages(pfn, 0).unwrap();
    /// assert_eq!(mm.pcp_state(z, 0).unwrap().count, 0);
    /// mm.zone_pcp_enable(z);
    /// ```
    pub fn zone_pcp_disable(&self, zone: &Zone) -> Result<(), Corrupt> {
        for pcp in zone.pcp.iter() {
            let mut st = pcp.lock.lock_cpu(&self.platform);
            st.high_min = 0;
            st.high_max = 0;
            st.batch = 1;
        }
        for cpu in 0..zone.pcp.nr_cpus() {
            self.drain_pages_zone(cpu, zone)?;
        }
        Ok(())
    }

    /// `zone_pcp_enable`: back to the zone's computed pageset parameters.
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
    /// # let z = &mm.node(oxmm::types::NodeId(0)).unwrap().zones()[1]; // DMA32, where GFP_KERNEL goes
    /// mm.zone_pcp_disable(z).unwrap();
    /// assert_eq!(mm.pcp_state(z, 0).unwrap().high_max, 0);
    /// mm.zone_pcp_enable(z);
    /// let (p, st) = (z.pageset_params(), mm.pcp_state(z, 0).unwrap());
    /// assert!(st.high_max > 0);
    /// assert_eq!((st.high_min as u32, st.high_max as u32), (p.high_min, p.high_max));
    /// assert_eq!(st.batch as u32, p.batch);
    /// ```
    pub fn zone_pcp_enable(&self, zone: &Zone) {
        let p = zone.pageset;
        for pcp in zone.pcp.iter() {
            let mut st = pcp.lock.lock_cpu(&self.platform);
            st.high_min = p.high_min as i32;
            st.high_max = p.high_max as i32;
            st.batch = p.batch as i32;
        }
    }

    /// [`Mm::zone_pcp_disable`] for every populated zone.
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
    /// mm.pcp_disable_all().unwrap();
    /// assert_eq!(mm.nr_pcp_pages(), 0);
    /// for z in mm.nodes().flat_map(|n| n.zones()).filter(|z| z.is_populated()) {
    ///     assert_eq!(mm.pcp_state(z, 0).unwrap().high_max, 0);
    /// }
    /// ```
    pub fn pcp_disable_all(&self) -> Result<(), Corrupt> {
        for n in self.nodes() {
            for z in n.zones() {
                self.zone_pcp_disable(z)?;
            }
        }
        Ok(())
    }

    /// `zone_set_pageset_high_and_batch` for every populated zone (Linux runs it from
    /// `setup_per_zone_wmarks` and the `percpu_pagelist_high_fraction` sysctl):
    /// batch from the managed pages, `high_min` from the low watermark and `high_max`
    /// from an eighth of the zone, both split over the node's CPUs (a fixed high with a
    /// non-zero fraction).
    #[doc(alias = "zone_set_pageset_high_and_batch")]
    pub(crate) fn zone_pcp_update_all(&mut self) {
        let page_size = self.geo.page_size();
        let online = self.platform.nr_cpus() as u64;
        let fraction = self.vm.percpu_pagelist_high_fraction;
        for i in 0..self.nodes.len() {
            if !self.online[i] {
                continue;
            }
            let node_cpus = self.nodes[i].nr_cpus as u64;
            for z in self.nodes[i].zones_mut() {
                if !z.is_populated() {
                    continue;
                }
                let batch = zone_batchsize(z.managed_pages(), page_size).max(1);
                let low = z.watermark.low;
                let managed = z.managed_pages();
                let (high_min, high_max) = if fraction != 0 {
                    let h = zone_highsize(low, managed, batch, fraction, node_cpus, online);
                    (h, h)
                } else {
                    (
                        zone_highsize(low, managed, batch, 0, node_cpus, online),
                        zone_highsize(
                            low,
                            managed,
                            batch,
                            MIN_PERCPU_PAGELIST_HIGH_FRACTION,
                            node_cpus,
                            online,
                        ),
                    )
                };
                let p = PagesetParams {
                    high_min: high_min.min(i32::MAX as u64) as u32,
                    high_max: high_max.min(i32::MAX as u64) as u32,
                    batch: batch.min(i32::MAX as u64) as u32,
                };
                if z.pageset == p {
                    continue;
                }
                z.pageset = p;
                for pcp in z.pcp.iter() {
                    let mut st = pcp.lock.lock_cpu(&self.platform);
                    st.batch = p.batch as i32;
                    st.high_min = p.high_min as i32;
                    st.high_max = p.high_max as i32;
                }
            }
        }
    }
}

impl<P: Platform> Mm<P> {
    /// `setup_per_cpu_pageset`: give every populated zone its per-CPU lists, one
    /// [`PerCpuPages`] per possible CPU, in pages taken from the buddy allocator of the
    /// zone's node (Linux: `alloc_percpu`), then size them
    /// (`zone_set_pageset_high_and_batch`). A description-only boot has no lists.
    pub(crate) fn setup_per_cpu_pageset(&mut self) -> Result<(), crate::boot::BootError> {
        if self.mode != crate::mm::BootMode::Full || !self.memmap.is_accessible() {
            return Ok(());
        }
        let nr_cpus = self.platform.nr_cpus().max(1);
        let bytes = (nr_cpus * crate::percpu::stride_of::<PerCpuPages>()) as u64;
        let pages = bytes.div_ceil(self.geo.page_size());
        let order = pages.next_power_of_two().trailing_zeros();
        let mut blocks = [[None::<u64>; MAX_NR_ZONES]; crate::types::MAX_NUMNODES];
        for (i, node) in self.nodes.iter().enumerate() {
            if !self.online[i] {
                continue;
            }
            for (zi, z) in node.zones().iter().enumerate() {
                if !z.is_populated() || z.managed_pages() == 0 {
                    continue;
                }
                let gfp = crate::gfp::Gfp::KERNEL | crate::gfp::Gfp::ZERO;
                let pfn = self
                    .alloc_pages_node(node.nid(), gfp, order)
                    .or_else(|_| self.alloc_pages(gfp, order))
                    .map_err(|_| crate::boot::BootError::PerCpuAlloc {
                        nid: node.nid(),
                        bytes,
                    })?;
                blocks[i][zi] = Some(pfn.0);
                self.pcpu_pages += 1 << order;
            }
        }
        let base = self.platform.direct_map_base();
        for (i, row) in blocks.iter().enumerate() {
            for (zi, b) in row.iter().enumerate() {
                let Some(pfn) = b else {
                    continue;
                };
                let phys = self.geo.pfn_to_phys(crate::types::Pfn(*pfn));
                let ptr = base.wrapping_add(phys.0 as usize) as *mut PerCpuPages;
                let params = self.nodes[i].zones()[zi].pageset;
                let nid = self.nodes[i].nid();
                if ptr.align_offset(core::mem::align_of::<PerCpuPages>()) != 0 {
                    // Unreachable past boot's page-alignment test of the base.
                    return Err(crate::boot::BootError::DirectMapMisaligned {
                        base: base as usize,
                        align: core::mem::align_of::<PerCpuPages>() as u64,
                    });
                }
                // The CPU-to-node map is fixed (the zonelists are built): each CPU's
                // lists know whether the zone is on its node.
                // SAFETY: the block was just allocated for this purpose, is aligned for
                // `PerCpuPages` (checked), holds `nr_cpus` strides and is never freed: it
                // lives in machine memory as long as this `Mm`.
                let flat = self.memmap.flat_view();
                let pcp = unsafe {
                    crate::percpu::PerCpu::init(ptr, nr_cpus, |cpu| PerCpuPages {
                        flat,
                        ..PerCpuPages::new_on(cpu, params, self.cpu_to_node(cpu) == nid)
                    })
                };
                self.nodes[i].zones_mut()[zi].pcp = pcp;
            }
        }
        self.set_hot_zone_copies();
        self.zone_pcp_update_all();
        Ok(())
    }

    /// `hot_pcp` and `hot_pageblocks` made again from the hot zone (`hot_zone_off`):
    /// wherever either changes (the zonelists, the per-CPU lists' setup; the bitmaps
    /// are set up before both), so that they are always exactly the hot zone's.
    pub(crate) fn set_hot_zone_copies(&mut self) {
        // `hot_request` is `u32::MAX` exactly while there is no hot zone.
        (self.hot_pcp, self.hot_pageblocks) = if self.hot_request != u32::MAX {
            let z = self.hot_zone_off.zone(&self.nodes);
            (z.pcp.duplicate(), z.pageblocks)
        } else {
            (
                crate::percpu::PerCpu::NONE,
                crate::mmzone::PageblockLookup::NONE,
            )
        };
    }

    /// `pcpu_nr_pages`: pages the per-CPU areas hold (meminfo's `Percpu`).
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
    /// // The lists of each populated zone (DMA, DMA32) live in pages of their own.
    /// assert!(mm.percpu_pages() >= 2);
    /// assert_eq!(mm.meminfo_values().percpu, mm.percpu_pages() * 4);
    /// ```
    #[doc(alias = "pcpu_nr_pages")]
    pub fn percpu_pages(&self) -> u64 {
        self.pcpu_pages
    }

    /// Pages on every CPU's lists of every zone (Linux's `free_pcp` in `show_mem`).
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
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// mm.free_pages(pfn, 0).unwrap();
    /// let zones = mm.nodes().flat_map(|n| n.zones());
    /// let sum: i32 = zones.filter_map(|z| mm.pcp_state(z, 0).map(|st| st.count)).sum();
    /// assert_eq!(mm.nr_pcp_pages(), sum as u64);
    /// assert!(sum > 0);
    /// ```
    pub fn nr_pcp_pages(&self) -> u64 {
        self.nodes()
            .flat_map(|n| n.zones().iter())
            .flat_map(|z| z.pcp.iter())
            .map(|p| p.lock.lock_cpu(&self.platform).count.max(0) as u64)
            .sum()
    }

    /// CPU `cpu`'s lists of `zone`, held (Linux: `per_cpu_ptr(zone->per_cpu_pageset,
    /// cpu)` with `pcp->lock` taken); `None` for a CPU or zone without lists.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, z: &oxmm::mmzone::Zone) {
    /// let count = mm.pcp_state(z, 0).map_or(0, |st| st.count);
    /// # }
    /// ```
    #[doc(alias = "per_cpu_ptr")]
    pub fn pcp_state<'a>(
        &'a self,
        zone: &'a Zone,
        cpu: usize,
    ) -> Option<crate::local_lock::LocalGuard<'a, PcpState>> {
        Some(zone.pcp.get(cpu)?.lock.lock_cpu(&self.platform))
    }
}

#[cfg(test)]
mod tests {
    use super::{nr_pcp_high, nr_pcp_high_tune, PagesetParams, PcpState};
    use crate::mmzone::{ZONE_BELOW_HIGH, ZONE_RECLAIM_ACTIVE};

    /// `nr_pcp_high`'s inline case returns what the full rules return and leaves the
    /// state as they do, over every small combination.
    #[test]
    fn nr_pcp_high_fast_case_agrees_with_the_rules() {
        let flags = [
            0,
            ZONE_BELOW_HIGH,
            ZONE_RECLAIM_ACTIVE,
            ZONE_BELOW_HIGH | ZONE_RECLAIM_ACTIVE,
        ];
        let vals = [0, 1, 3, 4, 6, 9];
        let state = |high, min, max, count, free_count| {
            let mut s = PcpState::new(PagesetParams {
                high_min: min,
                high_max: max,
                batch: 2,
            });
            s.high = high;
            s.count = count;
            s.free_count = free_count;
            s
        };
        let key = |s: &PcpState| (s.count, s.high, s.high_min, s.high_max, s.free_count);
        let mut fast = 0;
        for &zf in &flags {
            for free_high in [false, true] {
                for &h in &vals {
                    for &min in &vals {
                        for &max in &vals {
                            for &count in &vals {
                                for &fc in &[0, 2, 5] {
                                    let mut a = state(h, min as u32, max as u32, count, fc);
                                    let mut b = state(h, min as u32, max as u32, count, fc);
                                    let ra = nr_pcp_high(&mut a, zf, 2, free_high);
                                    let rb = nr_pcp_high_tune(&mut b, zf, 2, free_high);
                                    assert_eq!((ra, key(&a)), (rb, key(&b)), "zf {zf} free_high {free_high} high {h} min {min} max {max} count {count} free_count {fc}");
                                    fast += (zf == 0
                                        && !free_high
                                        && h != 0
                                        && (min..=max).contains(&h)
                                        && count < h)
                                        as u32;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(fast > 0);
    }
}
