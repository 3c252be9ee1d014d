//! Pageblock isolation (Linux v6.12: mm/page_isolation.c — `start_isolate_page_range`,
//! `undo_isolate_page_range`, `test_pages_isolated`, `set_migratetype_isolate`,
//! `unset_migratetype_isolate`, `has_unmovable_pages`, `isolate_single_pageblock`; and
//! `move_freepages_block_isolate`, `find_large_buddy` from mm/page_alloc.c).
//!
//! Memory offlining and `alloc_contig_range` mark the pageblocks of a range
//! `MIGRATE_ISOLATE`: their free pages move to the Isolate lists, which no allocation
//! takes from and which `NR_FREE_PAGES` does not count, and pages freed into them later
//! stay there. A pageblock with an unmovable page (allocated, not on the LRU, not
//! compound-and-movable, in a zone other than Movable) cannot be isolated: `EBUSY`.
//! Free buddies larger than a pageblock are split at the block's edge so that only
//! the isolated part leaves the free counters.
//!
//! ```
//! use oxmm::page_alloc::isolate::IsolateFlags;
//! assert_eq!(IsolateFlags::REPORT_FAILURE.0, 0x2);
//! ```

use super::buddy::{Corrupt, ZoneBuddy};
use super::COMPOUND_TAIL;
use crate::mm::Mm;
use crate::mmzone::{MigrateType, Zone, ZoneType};
use crate::page::{PG_HEAD, PG_LRU};
use crate::platform::Platform;
use crate::types::{Pfn, MAX_PAGE_ORDER};
use core::fmt;

/// `isol_flags` of the isolation calls.
///
/// ```
/// use oxmm::page_alloc::isolate::IsolateFlags;
/// let f = IsolateFlags::MEMORY_OFFLINE | IsolateFlags::REPORT_FAILURE;
/// assert!(f.contains(IsolateFlags::REPORT_FAILURE));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IsolateFlags(pub u32);

impl IsolateFlags {
    /// `MEMORY_OFFLINE`: the caller offlines memory (Linux then lets HWPoison and
    /// PageOffline pages through; oxmm has neither kind, so it changes nothing here).
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
    /// use oxmm::mmzone::MigrateType;
    /// use oxmm::page_alloc::isolate::IsolateFlags;
    /// use oxmm::types::Pfn;
    /// let (s, e, f) = (Pfn(0x3000), Pfn(0x3200), IsolateFlags::MEMORY_OFFLINE);
    /// // With no HWPoison or PageOffline pages, the same as no flag.
    /// mm.start_isolate_page_range(s, e, MigrateType::Movable, f).unwrap();
    /// mm.test_pages_isolated(s, e, f).unwrap();
    /// mm.undo_isolate_page_range(s, e, MigrateType::Movable).unwrap();
    /// ```
    pub const MEMORY_OFFLINE: IsolateFlags = IsolateFlags(0x1);
    /// `REPORT_FAILURE`: dump the unmovable page that made isolation fail.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>, std::sync::atomic::AtomicUsize);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, _: core::fmt::Arguments<'_>) {
    /// #         self.1.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    /// #     }
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; 8 << 20], Default::default()), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use oxmm::{gfp::Gfp, mmzone::MigrateType, types::Pfn};
    /// use oxmm::page_alloc::isolate::IsolateFlags;
    /// let lines = || mm.platform().1.load(Relaxed);
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap(); // unmovable
    /// let (s, e) = (Pfn(pfn.0 & !511), Pfn((pfn.0 & !511) + 512)); // its pageblock
    /// let isolate = |f| mm.start_isolate_page_range(s, e, MigrateType::Movable, f);
    /// let before = lines();
    /// assert!(isolate(IsolateFlags::default()).is_err());
    /// assert_eq!(lines(), before);
    /// assert!(isolate(IsolateFlags::REPORT_FAILURE).is_err());
    /// assert!(lines() > before); // the unmovable page was dumped
    /// ```
    pub const REPORT_FAILURE: IsolateFlags = IsolateFlags(0x2);

    /// Whether every bit of `o` is set.
    ///
    /// ```
    /// use oxmm::page_alloc::isolate::IsolateFlags;
    /// assert!(!IsolateFlags::default().contains(IsolateFlags::MEMORY_OFFLINE));
    /// ```
    pub const fn contains(self, o: IsolateFlags) -> bool {
        self.0 & o.0 == o.0
    }
}

impl core::ops::BitOr for IsolateFlags {
    type Output = IsolateFlags;
    fn bitor(self, o: IsolateFlags) -> IsolateFlags {
        IsolateFlags(self.0 | o.0)
    }
}

/// Why isolation (or its test) failed.
///
/// ```
/// use oxmm::page_alloc::isolate::IsolateError;
/// use oxmm::types::Pfn;
/// assert_eq!(IsolateError::Busy { pfn: Pfn(0x4000) }.to_string(),
///            "EBUSY: page 0x4000 cannot be isolated");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsolateError {
    /// The range is empty, or starts or ends outside one zone's pages.
    BadRange {
        /// First pfn asked for.
        start: Pfn,
        /// End pfn (exclusive) asked for.
        end: Pfn,
    },
    /// `-EBUSY`: the page at `pfn` is unmovable, its pageblock is already isolated or
    /// straddles the zone's edge, or (for the test) it is neither free nor isolated.
    Busy {
        /// The first page in the way.
        pfn: Pfn,
    },
    /// The free lists are corrupted (`Mm::check` says where).
    Corrupted,
}

impl fmt::Display for IsolateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IsolateError::BadRange { start, end } => write!(
                f,
                "pfn range {:#x}-{:#x} is empty or not within one zone",
                start.0, end.0
            ),
            IsolateError::Busy { pfn } => {
                write!(f, "EBUSY: page {:#x} cannot be isolated", pfn.0)
            }
            IsolateError::Corrupted => f.write_str("free lists corrupted"),
        }
    }
}

impl From<Corrupt> for IsolateError {
    fn from(_: Corrupt) -> Self {
        IsolateError::Corrupted
    }
}

/// `find_large_buddy`: the head of a free buddy that starts before `start` and covers
/// it, or `start` itself.
fn find_large_buddy(zb: &ZoneBuddy<'_>, start: u64) -> u64 {
    let is_head = |pfn: u64| {
        zb.zone.spans_pfn(pfn)
            && zb.map.page(pfn).is_some_and(|p| {
                p.is_buddy() && p.zone_idx() == zb.zone.idx() && p.nid() == zb.zone.nid().0
            })
    };
    let mut order = 0;
    let mut pfn = start;
    while !is_head(pfn) {
        order += 1;
        if order > MAX_PAGE_ORDER {
            return start;
        }
        pfn &= !0u64 << order;
    }
    let o = zb.map.page(pfn).map_or(0, |p| p.buddy_order());
    if pfn + (1u64 << o) > start {
        pfn
    } else {
        start
    }
}

/// `move_freepages_block_isolate`: move `pfn`'s pageblock and its free pages to `mt`,
/// first splitting a free buddy that spans more than the block (the part outside
/// keeps its own type). `false` when the block is not wholly in the zone.
fn move_freepages_block_isolate(
    zb: &mut ZoneBuddy<'_>,
    pfn: u64,
    mt: MigrateType,
) -> Result<bool, Corrupt> {
    let pbo = zb.geo.pageblock_order();
    let start = pfn & !((1u64 << pbo) - 1);
    let end = start + (1u64 << pbo);
    if !zb.zone.spans_pfn(start) || !zb.zone.spans_pfn(end - 1) {
        return Ok(false);
    }
    if pbo < MAX_PAGE_ORDER {
        let mut head = find_large_buddy(zb, start);
        if head == start
            && !zb
                .map
                .page(start)
                .is_some_and(|p| p.is_buddy() && p.buddy_order() > pbo as u64)
        {
            head = u64::MAX;
        }
        if head != u64::MAX {
            // Part of (or the start of) a buddy larger than a pageblock: take it off,
            // retype this block, and free it again one pageblock at a time.
            let order = zb.map.page(head).ok_or(Corrupt)?.buddy_order() as u32;
            let old = zb.pageblock_migratetype(head).ok_or(Corrupt)?;
            zb.del_from_free_list(head, order, old)?;
            zb.account_freepages(-(1i64 << order), old);
            zb.set_pageblock_migratetype(start, mt);
            zb.free_large(head, order, false)?;
            return Ok(true);
        }
    }
    let old = zb.pageblock_migratetype(start).ok_or(Corrupt)?;
    zb.move_freepages_block_checked(start, old, mt)?;
    Ok(true)
}

impl<P: Platform> Mm<P> {
    /// The zone whose pages include `pfn` (by its descriptor).
    fn zone_of_pfn(&self, pfn: u64) -> Option<&Zone> {
        let d = self.memmap.page(pfn)?;
        let z = self
            .node(crate::types::NodeId(d.nid()))?
            .zones()
            .get(d.zone_idx())?;
        z.spans_pfn(pfn).then_some(z)
    }

    /// `__first_valid_page`: the first pfn of `[pfn, pfn + nr)` with a descriptor.
    fn first_valid_pfn(&self, pfn: u64, nr: u64) -> Option<u64> {
        (pfn..pfn + nr).find(|&p| self.memmap.page(p).is_some())
    }

    /// `is_migrate_isolate_page`: `pfn`'s pageblock is `MIGRATE_ISOLATE`.
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
    /// use oxmm::types::Pfn;
    /// assert!(!mm.is_pageblock_isolated(Pfn(0x3000)));
    /// ```
    #[doc(alias = "is_migrate_isolate_page")]
    pub fn is_pageblock_isolated(&self, pfn: Pfn) -> bool {
        self.zone_of_pfn(pfn.0)
            .and_then(|z| self.block_migratetype(z, pfn.0))
            == Some(MigrateType::Isolate)
    }

    /// `has_unmovable_pages` over `[start, end)` (one pageblock): the first page that
    /// migration could not move away.
    fn has_unmovable_pages(
        &self,
        zone: &Zone,
        start: u64,
        end: u64,
        mt: MigrateType,
    ) -> Option<u64> {
        if self.block_migratetype(zone, start) == Some(MigrateType::Cma) {
            // alloc_contig_range on CMA isolates CMA blocks whatever they hold.
            return (mt != MigrateType::Cma).then_some(start);
        }
        let movable_zone = zone.zone_type() == ZoneType::Movable;
        let mut pfn = start;
        while pfn < end {
            let Some(p) = self.memmap.page(pfn) else {
                return Some(pfn);
            };
            if p.is_reserved() {
                return Some(pfn);
            }
            if movable_zone {
                pfn += 1;
                continue;
            }
            let tail = p.private() & COMPOUND_TAIL != 0 && !p.is_buddy();
            if p.flags() & PG_HEAD != 0 || tail {
                // A compound page moves as a whole if its head is on the LRU.
                let head_pfn = if tail {
                    p.private() & !COMPOUND_TAIL
                } else {
                    pfn
                };
                let head = self.memmap.page(head_pfn)?;
                if head.flags() & PG_LRU == 0 {
                    return Some(pfn);
                }
                pfn = head_pfn + (1u64 << head.private().min(MAX_PAGE_ORDER as u64));
                continue;
            }
            if p.refcount() == 0 {
                if p.is_buddy() {
                    pfn += 1u64 << p.buddy_order();
                } else {
                    pfn += 1;
                }
                continue;
            }
            if p.flags() & PG_LRU != 0 {
                pfn += 1;
                continue;
            }
            return Some(pfn);
        }
        None
    }

    /// `dump_page(page, "unmovable page")` for `REPORT_FAILURE`.
    fn report_unmovable(&self, pfn: u64) {
        use crate::printk::Level::Warning;
        let p = &self.platform;
        if let Some(d) = self.memmap.page(pfn) {
            p.printk(
                Warning,
                format_args!(
                    "page: refcount:{} mapcount:0 mapping:0000000000000000 index:0x0 pfn:{:#x}",
                    d.refcount(),
                    pfn
                ),
            );
            p.printk(
                Warning,
                format_args!("flags: {}", crate::page::PageFlags(d.flags())),
            );
        }
        p.printk(Warning, format_args!("page dumped because: unmovable page"));
    }

    /// `set_migratetype_isolate`: isolate the pageblock of `pb` unless it is already
    /// isolated or `[start, end)` ∩ the block has an unmovable page.
    fn set_migratetype_isolate(
        &self,
        zone: &Zone,
        pb: u64,
        mt: MigrateType,
        flags: IsolateFlags,
        (start, end): (u64, u64),
    ) -> Result<(), IsolateError> {
        let nr = self.geo.pageblock_nr_pages();
        let block = pb & !(nr - 1);
        let busy = |pfn| IsolateError::Busy { pfn: Pfn(pfn) };
        let mut zb = self.lock_zone(zone);
        if zb.pageblock_migratetype(block) == Some(MigrateType::Isolate) {
            return Err(busy(block));
        }
        let (cs, ce) = (pb.max(start), (block + nr).min(end));
        if let Some(u) = self.has_unmovable_pages(zone, cs, ce, mt) {
            drop(zb);
            if flags.contains(IsolateFlags::REPORT_FAILURE) {
                self.report_unmovable(u);
            }
            return Err(busy(u));
        }
        if !move_freepages_block_isolate(&mut zb, block, MigrateType::Isolate)? {
            return Err(busy(block));
        }
        zone.add_nr_isolate_pageblock(1);
        Ok(())
    }

    /// `unset_migratetype_isolate`: give `pb`'s isolated pageblock back to `mt` with its
    /// free pages; a free block of at least pageblock order whose buddy is not isolated
    /// is taken off and freed again, so that it merges.
    fn unset_migratetype_isolate(
        &self,
        zone: &Zone,
        pb: u64,
        mt: MigrateType,
    ) -> Result<(), Corrupt> {
        let block = pb & !(self.geo.pageblock_nr_pages() - 1);
        let pbo = self.geo.pageblock_order();
        let mut zb = self.lock_zone(zone);
        if zb.pageblock_migratetype(block) != Some(MigrateType::Isolate) {
            return Ok(());
        }
        let mut isolated = None;
        if let Some(p) = self.memmap.page(block).filter(|p| p.is_buddy()) {
            let order = p.buddy_order() as u32;
            if order >= pbo && order < MAX_PAGE_ORDER {
                let buddy = block ^ (1u64 << order);
                if zb.page_is_buddy(buddy, order)
                    && zb.pageblock_migratetype(buddy) != Some(MigrateType::Isolate)
                {
                    // __isolate_free_page: off the Isolate list (nothing to account).
                    zb.del_from_free_list(block, order, MigrateType::Isolate)?;
                    isolated = Some(order);
                }
            }
        }
        match isolated {
            None => {
                // Isolation succeeded on this block, so it lies within the zone.
                if !move_freepages_block_isolate(&mut zb, block, mt)? {
                    return Err(Corrupt);
                }
            }
            Some(order) => {
                // __putback_isolated_page.
                zb.set_pageblock_migratetype(block, mt);
                zb.free_one_page(block, order, mt, false)?;
            }
        }
        zone.add_nr_isolate_pageblock(-1);
        Ok(())
    }

    /// The boundary part of `isolate_single_pageblock`: an allocated compound page that
    /// crosses `boundary` (a pageblock edge) cannot be isolated in part.
    fn compound_crosses(&self, zone: &Zone, boundary: u64) -> Option<u64> {
        let max_nr = 1u64 << MAX_PAGE_ORDER;
        if self.geo.pageblock_order() == MAX_PAGE_ORDER || boundary % max_nr == 0 {
            return None;
        }
        let _zb = self.lock_zone(zone);
        let mut pfn = (boundary & !(max_nr - 1)).max(zone.start_pfn());
        while pfn < boundary {
            let Some(p) = self.memmap.page(pfn) else {
                pfn += 1;
                continue;
            };
            if p.is_buddy() {
                pfn += 1u64 << p.buddy_order();
                continue;
            }
            let tail = p.private() & COMPOUND_TAIL != 0;
            if p.flags() & PG_HEAD != 0 || tail {
                let head_pfn = if tail {
                    p.private() & !COMPOUND_TAIL
                } else {
                    pfn
                };
                let nr = self
                    .memmap
                    .page(head_pfn)
                    .map_or(1, |h| 1u64 << h.private().min(MAX_PAGE_ORDER as u64));
                if head_pfn + nr > boundary {
                    return Some(head_pfn);
                }
                pfn = head_pfn + nr;
                continue;
            }
            pfn += 1;
        }
        None
    }

    /// `start_isolate_page_range`: isolate every pageblock touching `[start, end)`,
    /// which must lie in one zone; `mt` is the type the blocks get back on undo (and
    /// `MigrateType::Cma` lets CMA blocks be isolated). On failure nothing stays
    /// isolated. The zone's per-CPU lists are disabled and drained around it
    /// (`zone_pcp_disable`, then drained again and re-enabled) so that no page of the
    /// range hides on them. As in Linux, a free racing with the isolation may still
    /// leave a page of the range on a CPU's list; [`Mm::test_pages_isolated`] reports
    /// it, and a caller needing more keeps the lists disabled until the undo.
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
    /// use oxmm::mmzone::MigrateType;
    /// use oxmm::page_alloc::isolate::IsolateFlags;
    /// use oxmm::types::Pfn;
    /// let (s, e) = (Pfn(0x3000), Pfn(0x3400));
    /// let free = mm.nr_free_pages();
    /// mm.start_isolate_page_range(s, e, MigrateType::Movable, IsolateFlags::default()).unwrap();
    /// assert_eq!(mm.nr_free_pages(), free - 0x400);
    /// mm.test_pages_isolated(s, e, IsolateFlags::default()).unwrap();
    /// mm.undo_isolate_page_range(s, e, MigrateType::Movable).unwrap();
    /// assert_eq!(mm.nr_free_pages(), free);
    /// ```
    pub fn start_isolate_page_range(
        &self,
        start: Pfn,
        end: Pfn,
        mt: MigrateType,
        flags: IsolateFlags,
    ) -> Result<(), IsolateError> {
        let bad = IsolateError::BadRange { start, end };
        if start.0 >= end.0 {
            return Err(bad);
        }
        let zone = self.zone_of_pfn(start.0).ok_or(bad)?;
        if self.zone_of_pfn(end.0 - 1).map(|z| z as *const Zone) != Some(zone as *const Zone) {
            return Err(bad);
        }
        self.zone_pcp_disable(zone)?;
        let r = self.isolate_range(zone, start.0, end.0, mt, flags);
        // Pages of the range freed onto a CPU's list meanwhile go to the Isolate lists.
        let drained = self.drain_all_pages(Some(zone));
        self.zone_pcp_enable(zone);
        r?;
        drained?;
        Ok(())
    }

    fn isolate_range(
        &self,
        zone: &Zone,
        start: u64,
        end: u64,
        mt: MigrateType,
        flags: IsolateFlags,
    ) -> Result<(), IsolateError> {
        let nr = self.geo.pageblock_nr_pages();
        let iso_start = start & !(nr - 1);
        let iso_end = end.div_ceil(nr) * nr;
        let mut done = iso_start;
        let mut pfn = iso_start;
        let mut r = Ok(());
        while pfn < iso_end {
            let Some(first) = self.first_valid_pfn(pfn, nr) else {
                pfn += nr;
                continue;
            };
            // The edge blocks are checked whole (isolate_single_pageblock), the
            // inner ones within the range (which covers them anyway).
            let edge = pfn == iso_start || pfn + nr == iso_end;
            let check = if edge { (pfn, pfn + nr) } else { (start, end) };
            r = self.set_migratetype_isolate(zone, first, mt, flags, check);
            if r.is_err() {
                break;
            }
            done = pfn + nr;
            pfn += nr;
        }
        if r.is_ok() {
            // An allocated compound page across either edge cannot be half isolated.
            for boundary in [iso_start, iso_end] {
                if let Some(h) = self.compound_crosses(zone, boundary) {
                    r = Err(IsolateError::Busy { pfn: Pfn(h) });
                    break;
                }
            }
        }
        if r.is_err() {
            self.undo_range(zone, iso_start, done, mt)?;
        }
        r
    }

    fn undo_range(
        &self,
        zone: &Zone,
        start: u64,
        end: u64,
        mt: MigrateType,
    ) -> Result<(), Corrupt> {
        let nr = self.geo.pageblock_nr_pages();
        let mut pfn = start & !(nr - 1);
        while pfn < end {
            if let Some(first) = self.first_valid_pfn(pfn, nr) {
                self.unset_migratetype_isolate(zone, first, mt)?;
            }
            pfn += nr;
        }
        Ok(())
    }

    /// `undo_isolate_page_range`: give every isolated pageblock touching `[start, end)`
    /// back to `mt`, with its free pages (counted free again).
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
    /// use oxmm::mmzone::MigrateType;
    /// use oxmm::types::Pfn;
    /// // Nothing isolated: nothing to do.
    /// mm.undo_isolate_page_range(Pfn(0x3000), Pfn(0x3200), MigrateType::Movable).unwrap();
    /// ```
    pub fn undo_isolate_page_range(
        &self,
        start: Pfn,
        end: Pfn,
        mt: MigrateType,
    ) -> Result<(), IsolateError> {
        let bad = IsolateError::BadRange { start, end };
        if start.0 >= end.0 {
            return Err(bad);
        }
        let zone = self.zone_of_pfn(start.0).ok_or(bad)?;
        let nr = self.geo.pageblock_nr_pages();
        let mut pfn = start.0 & !(nr - 1);
        while pfn < end.0 {
            if let Some(first) = self.first_valid_pfn(pfn, nr) {
                let z = self.zone_of_pfn(first).unwrap_or(zone);
                self.unset_migratetype_isolate(z, first, mt)?;
            }
            pfn += nr;
        }
        Ok(())
    }

    /// `test_pages_isolated`: every pageblock of `[start, end)` is isolated and every
    /// page in it is free (on a buddy list, hence the Isolate list); `Busy` names the
    /// first page that is not. `flags` as for isolation (`MEMORY_OFFLINE` would let
    /// HWPoison and PageOffline pages through; there are none here).
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
    /// use oxmm::page_alloc::isolate::{IsolateError, IsolateFlags};
    /// use oxmm::types::Pfn;
    /// let e = mm.test_pages_isolated(Pfn(0x3000), Pfn(0x3200), IsolateFlags::default());
    /// assert_eq!(e, Err(IsolateError::Busy { pfn: Pfn(0x3000) }));
    /// ```
    pub fn test_pages_isolated(
        &self,
        start: Pfn,
        end: Pfn,
        _flags: IsolateFlags,
    ) -> Result<(), IsolateError> {
        let bad = IsolateError::BadRange { start, end };
        if start.0 >= end.0 {
            return Err(bad);
        }
        let nr = self.geo.pageblock_nr_pages();
        let mut pfn = start.0;
        while pfn < end.0 {
            if let Some(first) = self.first_valid_pfn(pfn, nr) {
                if !self.is_pageblock_isolated(Pfn(first)) {
                    return Err(IsolateError::Busy { pfn: Pfn(first) });
                }
            }
            pfn += nr;
        }
        let first = self
            .first_valid_pfn(start.0, end.0 - start.0)
            .ok_or(IsolateError::Busy { pfn: start })?;
        let zone = self.zone_of_pfn(first).ok_or(bad)?;
        let _zb = self.lock_zone(zone);
        // __test_page_isolated_in_pageblock.
        let mut pfn = start.0;
        while pfn < end.0 {
            match self.memmap.page(pfn) {
                Some(p) if p.is_buddy() => pfn += 1u64 << p.buddy_order(),
                _ => return Err(IsolateError::Busy { pfn: Pfn(pfn) }),
            }
        }
        Ok(())
    }
}
