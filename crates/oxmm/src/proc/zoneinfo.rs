//! `/proc/zoneinfo` (Linux: `zoneinfo_show`, `zoneinfo_show_print`, mm/vmstat.c,
//! v6.12): for every zone of every online node, empty ones included, the header; on the
//! node's first populated zone the per-node counters; free pages, boost, the four
//! watermarks (boost included), spanned/present/managed, cma and the `protection:`
//! array (`lowmem_reserve[]` over all configured zones). A populated zone then has its
//! zone and NUMA counters, each online CPU's pageset (`count`, `high`, `batch`) with
//! the `vm stats threshold`, `node_unreclaimable` and `start_pfn`.
//!
//! The section is a plain value ([`ZoneinfoZone`]), so a zoneinfo parsed from a real
//! machine renders through the same code as oxmm's own.

use crate::mm::Mm;
use crate::mmzone::{Zone, ZoneType, MAX_NR_ZONES};
use crate::platform::Platform;
use crate::vmstat::{NodeStatItem, NumaStatItem, ZoneStatItem};
use crate::vmstat::{NR_VM_NODE_STAT_ITEMS, NR_VM_NUMA_EVENT_ITEMS, NR_VM_ZONE_STAT_ITEMS};
use core::fmt::{self, Write};

/// One CPU's pageset lines of a zone.
///
/// ```
/// use oxmm::proc::zoneinfo::ZoneinfoPageset;
/// let p = ZoneinfoPageset { cpu: 0, count: 0, high: 0, batch: 1, stat_threshold: 6 };
/// assert_eq!(p.batch, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneinfoPageset {
    /// The CPU.
    pub cpu: usize,
    /// `pcp->count`.
    pub count: i32,
    /// `pcp->high`.
    pub high: i32,
    /// `pcp->batch`.
    pub batch: i32,
    /// `pzstats->stat_threshold`.
    pub stat_threshold: u32,
}

/// The counters and trailer of a populated zone.
///
/// ```
/// use oxmm::proc::zoneinfo::ZoneinfoDetail;
/// let d = ZoneinfoDetail { stats: [0; 12], numa: [0; 6], node_unreclaimable: false, start_pfn: 1 };
/// assert_eq!(d.start_pfn, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneinfoDetail {
    /// `zone_page_state` of every [`ZoneStatItem`], in order.
    pub stats: [u64; NR_VM_ZONE_STAT_ITEMS],
    /// `zone_numa_event_state` of every [`NumaStatItem`], in order.
    pub numa: [u64; NR_VM_NUMA_EVENT_ITEMS],
    /// `kswapd_failures >= MAX_RECLAIM_RETRIES`.
    pub node_unreclaimable: bool,
    /// `zone_start_pfn`.
    pub start_pfn: u64,
}

/// One `Node N, zone NAME` section of `/proc/zoneinfo`, as values.
///
/// ```
/// use oxmm::mmzone::ZoneType;
/// use oxmm::proc::zoneinfo::ZoneinfoZone;
/// let mut z = ZoneinfoZone::empty(1, ZoneType::Movable);
/// z.min = 32;
/// let mut s = String::new();
/// z.write(&mut s, &mut core::iter::empty()).unwrap();
/// assert!(s.starts_with("Node 1, zone  Movable\n  pages free     0\n"));
/// assert!(s.ends_with("        protection: (0, 0, 0, 0, 0)\n"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneinfoZone {
    /// The node id.
    pub nid: u16,
    /// The zone's kind (its name is printed).
    pub zone: ZoneType,
    /// The per-node counters as printed (pages; THP items in huge pages), on the node's
    /// first populated zone only.
    pub node_stats: Option<[u64; NR_VM_NODE_STAT_ITEMS]>,
    /// `NR_FREE_PAGES`.
    pub free: u64,
    /// `watermark_boost`.
    pub boost: u64,
    /// `min_wmark_pages`.
    pub min: u64,
    /// `low_wmark_pages`.
    pub low: u64,
    /// `high_wmark_pages`.
    pub high: u64,
    /// `promo_wmark_pages`.
    pub promo: u64,
    /// `spanned_pages`.
    pub spanned: u64,
    /// `present_pages`.
    pub present: u64,
    /// `zone_managed_pages`.
    pub managed: u64,
    /// `zone_cma_pages`.
    pub cma: u64,
    /// `lowmem_reserve[]`; the first `nr_protection` entries are printed.
    pub protection: [u64; MAX_NR_ZONES],
    /// `MAX_NR_ZONES` of the configuration.
    pub nr_protection: usize,
    /// The rest of a populated zone's section (`None`: unpopulated, short form).
    pub detail: Option<ZoneinfoDetail>,
}

impl ZoneinfoZone {
    /// An unpopulated x86-64 zone with every value zero.
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// use oxmm::proc::zoneinfo::ZoneinfoZone;
    /// let z = ZoneinfoZone::empty(0, ZoneType::Dma32);
    /// assert_eq!((z.free, z.managed), (0, 0));
    /// // One protection entry per x86-64 zone; no counters (unpopulated).
    /// assert_eq!(z.nr_protection, ZoneLayout::X86_64.len());
    /// assert!(z.node_stats.is_none() && z.detail.is_none());
    /// ```
    pub const fn empty(nid: u16, zone: ZoneType) -> ZoneinfoZone {
        ZoneinfoZone {
            nid,
            zone,
            node_stats: None,
            free: 0,
            boost: 0,
            min: 0,
            low: 0,
            high: 0,
            promo: 0,
            spanned: 0,
            present: 0,
            managed: 0,
            cma: 0,
            protection: [0; MAX_NR_ZONES],
            nr_protection: 5,
            detail: None,
        }
    }

    /// Render the section as `zoneinfo_show_print` does; `pagesets` gives the online
    /// CPUs' pagesets of a populated zone.
    ///
    /// ```
    /// use oxmm::mmzone::ZoneType;
    /// use oxmm::proc::zoneinfo::{ZoneinfoDetail, ZoneinfoPageset, ZoneinfoZone};
    /// let mut z = ZoneinfoZone::empty(0, ZoneType::Normal);
    /// z.detail = Some(ZoneinfoDetail {
    ///     stats: [0; 12], numa: [0; 6], node_unreclaimable: false, start_pfn: 1 << 20,
    /// });
    /// let cpu0 = ZoneinfoPageset { cpu: 0, count: 3, high: 42, batch: 63, stat_threshold: 30 };
    /// let mut s = String::new();
    /// z.write(&mut s, &mut core::iter::once(cpu0)).unwrap();
    /// assert!(s.contains("\n  pagesets\n    cpu: 0\n              count: 3\n"));
    /// assert!(s.ends_with("\n  node_unreclaimable:  0\n  start_pfn:           1048576\n"));
    /// ```
    pub fn write(
        &self,
        w: &mut dyn Write,
        pagesets: &mut dyn Iterator<Item = ZoneinfoPageset>,
    ) -> fmt::Result {
        write!(w, "Node {}, zone {:>8}", self.nid, self.zone.name())?;
        if let Some(ns) = &self.node_stats {
            w.write_str("\n  per-node stats")?;
            for (item, v) in NodeStatItem::ALL.iter().zip(ns) {
                write!(w, "\n      {:<12} {}", item.name(), v)?;
            }
        }
        write!(
            w,
            "\n  pages free     {}\n        boost    {}\n        min      {}\n        low      {}\n        high     {}\n        promo    {}\n        spanned  {}\n        present  {}\n        managed  {}\n        cma      {}",
            self.free,
            self.boost,
            self.min,
            self.low,
            self.high,
            self.promo,
            self.spanned,
            self.present,
            self.managed,
            self.cma
        )?;
        w.write_str("\n        protection: (")?;
        let n = self.nr_protection.min(MAX_NR_ZONES);
        for (i, r) in self.protection[..n].iter().enumerate() {
            if i > 0 {
                w.write_str(", ")?;
            }
            write!(w, "{r}")?;
        }
        w.write_char(')')?;
        let Some(d) = &self.detail else {
            return w.write_char('\n');
        };
        for (item, v) in ZoneStatItem::ALL.iter().zip(&d.stats) {
            write!(w, "\n      {:<12} {}", item.name(), v)?;
        }
        for (item, v) in NumaStatItem::ALL.iter().zip(&d.numa) {
            write!(w, "\n      {:<12} {}", item.name(), v)?;
        }
        w.write_str("\n  pagesets")?;
        for p in pagesets {
            write!(
                w,
                "\n    cpu: {}\n              count: {}\n              high:  {}\n              batch: {}\n  vm stats threshold: {}",
                p.cpu, p.count, p.high, p.batch, p.stat_threshold
            )?;
        }
        write!(
            w,
            "\n  node_unreclaimable:  {}\n  start_pfn:           {}\n",
            d.node_unreclaimable as u8, d.start_pfn
        )
    }
}

impl<P: Platform> Mm<P> {
    /// The zoneinfo section of zone `z` of node `node` (see [`ZoneinfoZone`]).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let node = mm.nodes().next().unwrap();
    /// let z = &node.zones()[0];
    /// let s = mm.zoneinfo_zone(node, z);
    /// assert_eq!(s.node_stats.is_some(), z.is_populated());
    /// assert_eq!(s.managed, z.managed_pages());
    /// # }
    /// ```
    pub fn zoneinfo_zone(&self, node: &crate::mmzone::Node, z: &Zone) -> ZoneinfoZone {
        let first_populated = node.zones().iter().find(|c| c.is_populated());
        let node_stats = (first_populated.map(|c| c.idx()) == Some(z.idx())).then(|| {
            let hpage = 1u64 << self.geo.pageblock_order();
            NodeStatItem::ALL.map(|i| {
                let v = node.page_state_pages(i);
                if i.print_in_thp() {
                    v / hpage
                } else {
                    v
                }
            })
        });
        let wm = z.watermarks();
        let mut protection = [0; MAX_NR_ZONES];
        let n = node.zones().len();
        protection[..n].copy_from_slice(&z.lowmem_reserve[..n]);
        let detail = z.is_populated().then(|| ZoneinfoDetail {
            stats: ZoneStatItem::ALL.map(|i| z.page_state(i)),
            numa: NumaStatItem::ALL.map(|i| z.numa_event_state(i)),
            // No reclaim, so kswapd never fails.
            node_unreclaimable: false,
            start_pfn: z.start_pfn(),
        });
        ZoneinfoZone {
            nid: node.nid().0,
            zone: z.zone_type(),
            node_stats,
            free: z.free_pages(),
            boost: wm.boost,
            min: wm.min(),
            low: wm.low(),
            high: wm.high(),
            promo: wm.promo(),
            spanned: z.spanned_pages(),
            present: z.present_pages(),
            managed: z.managed_pages(),
            cma: z.cma_pages(),
            protection,
            nr_protection: n,
            detail,
        }
    }

    /// The online CPUs' pagesets of `z`: the per-CPU lists' state, or the boot
    /// pageset (count 0, high 0, batch 1) where the lists do not exist (a
    /// description-only boot).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let z = &mm.nodes().next().unwrap().zones()[1];
    /// assert_eq!(mm.zoneinfo_pagesets(z).count(), mm.platform().nr_cpus().max(1));
    /// # }
    /// ```
    pub fn zoneinfo_pagesets<'a>(
        &'a self,
        z: &'a Zone,
    ) -> impl Iterator<Item = ZoneinfoPageset> + 'a {
        let threshold = self.zone_stat_threshold(z);
        (0..self.platform.nr_cpus().max(1)).map(move |cpu| {
            let (count, high, batch) = match z.per_cpu_pageset().get(cpu) {
                Some(p) => {
                    let st = p.lock.lock_cpu(&self.platform);
                    (st.count, st.high, st.batch)
                }
                None => (0, 0, 1),
            };
            ZoneinfoPageset {
                cpu,
                count,
                high,
                batch,
                stat_threshold: threshold,
            }
        })
    }

    /// Render `/proc/zoneinfo` in Linux's exact format (see the module docs).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::PhysAddr;
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x10000);
    /// # let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
    /// let mut s = String::new();
    /// mm.zoneinfo(&mut s).unwrap();
    /// assert!(s.starts_with("Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 0\n"));
    /// assert!(s.contains("\n        min      32\n")); // the empty Movable zone
    /// assert_eq!(s.matches("protection: (").count(), 5);
    /// assert_eq!(s.matches("\n  pagesets\n    cpu: 0\n").count(), 2);
    /// ```
    #[doc(alias = "zoneinfo_show")]
    pub fn zoneinfo(&self, w: &mut dyn Write) -> fmt::Result {
        for node in self.nodes() {
            for z in node.zones() {
                self.zoneinfo_zone(node, z)
                    .write(w, &mut self.zoneinfo_pagesets(z))?;
            }
        }
        Ok(())
    }

    /// Formerly the watermark part of `/proc/zoneinfo`; now the whole file, as
    /// [`Mm::zoneinfo`] (kept for existing callers).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let (mut a, mut b) = (String::new(), String::new());
    /// mm.zoneinfo_watermarks(&mut a).unwrap();
    /// mm.zoneinfo(&mut b).unwrap();
    /// assert_eq!(a, b);
    /// # }
    /// ```
    pub fn zoneinfo_watermarks(&self, w: &mut dyn Write) -> fmt::Result {
        self.zoneinfo(w)
    }
}
