//! The whole machine's memory manager (Linux: the global state of mm/: `NODE_DATA()`,
//! `mem_section`, `totalram_pages`, `vm_total_pages`, ...), and its generic boot.
//!
//! [`Mm::boot`] runs, in Linux's order: `sparse_init` (memmap and section table from
//! memblock, in each node's memory), `free_area_init` (zone ranges, `ZONE_MOVABLE`,
//! nodes, zones, pageblock bitmaps, `memmap_init` with the holes),
//! `build_all_zonelists`, `memblock_free_all`, the `Memory:` line, and
//! `cma_init_reserved_areas`.

use crate::boot::mem_init::{print_highmem_lowmem, VirtLayout};
use crate::boot::node_init::{
    for_each_memmap_chunk, free_block_boot, job_cuts, section_nid, set_pageblock_migratetype,
    walk_memmap_init, zone_of, JobContext, ZoneSpans,
};
use crate::boot::zones::nid_index;
use crate::boot::{
    build_node_order, find_zone_movable_pfns_for_nodes, pfn_range_for_nid, zone_absent_in_node,
    zone_span_in_node, Arch, ArchZoneRanges, BootConfig, BootError, LogFormat, MovableInfo,
    NodeFacts,
};
use crate::boot::{NodeInitJob, NodeInitRunner, SerialRunner};
use crate::memblock::{free_pages_memory, Memblock, MEMBLOCK_ALLOC_ACCESSIBLE};
use crate::memmap::{MemMap, MemMapPart, RankEntry, NR_PAGEBLOCK_BITS};
use crate::mmzone::{MigrateType, Node, ZoneLayout, ZoneType, MIGRATE_TYPES};
use crate::page::Page;
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::types::{NodeId, PageGeometry, PhysAddr, MAX_NUMNODES, MAX_PAGE_ORDER};

/// How much of the machine a boot brings to life.
///
/// ```
/// use oxmm::mm::BootMode;
/// assert_ne!(BootMode::Full, BootMode::DescribeOnly);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootMode {
    /// Write every page descriptor and fill the free lists.
    Full,
    /// Compute and print everything, reserve the same memblock memory, but write no
    /// descriptor and fill no list (free counts computed arithmetically). For checking
    /// huge real machines' boot logs cheaply.
    DescribeOnly,
}

/// The booted memory manager of one machine.
///
/// ```
/// use oxmm::boot::{Arch, BootConfig, ZoneLimits};
/// use oxmm::memblock::Memblock;
/// use oxmm::mm::{BootMode, Mm};
/// use oxmm::mmzone::ZoneType;
/// use oxmm::platform::Platform;
/// use oxmm::types::{PhysAddr, VirtAddr};
/// struct NoMem;
/// impl Platform for NoMem {
///     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
///     fn cpu_id(&self) -> usize { 0 }
///     fn nr_cpus(&self) -> usize { 1 }
///     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
/// }
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
/// let mut cfg = BootConfig::new(Arch::X86_64);
/// cfg.zone_limits.set(ZoneType::Dma, 0x1000);
/// cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
/// cfg.zone_limits.set(ZoneType::Normal, 0x10000);
/// let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
/// let n = mm.nodes().next().unwrap();
/// assert_eq!(n.present_pages(), 65535);
/// ```
pub struct Mm<P: Platform> {
    platform: P,
    memblock: Memblock,
    geo: PageGeometry,
    layout: ZoneLayout,
    arch: Arch,
    mode: BootMode,
    nodes: [Node; MAX_NUMNODES],
    online: [bool; MAX_NUMNODES],
    memmap: MemMap,
    ranges: ArchZoneRanges,
    movable: MovableInfo,
    policy_zone: usize,
    mobility_disabled: bool,
    vm_total_pages: u64,
    totalcma: u64,
    max_pfn: u64,
    zeroed_holes: u64,
}

impl<P: Platform> Mm<P> {
    /// Boot generic mm from an architecture-populated `memblock`: see the module docs.
    /// Log lines go to `log` in Linux's format for `cfg.log_format`. The per-node
    /// initialisation runs serially: see [`Mm::boot_with`].
    pub fn boot(
        platform: P,
        memblock: Memblock,
        cfg: &BootConfig<'_>,
        mode: BootMode,
        log: &mut dyn Log,
    ) -> Result<Self, BootError> {
        Self::boot_with(platform, memblock, cfg, mode, log, &SerialRunner)
    }

    /// [`Mm::boot`], with the descriptor writes of `memmap_init` and the freeing of
    /// `memblock_free_all` cut into per-node [`NodeInitJob`]s handed to `runner`, which
    /// may run them concurrently (Linux: deferred struct page init's per-node threads).
    /// Everything printed is computed before the jobs run, so the log is the same for
    /// every runner; so is the resulting state.
    ///
    /// ```
    /// use oxmm::boot::{Arch, BootConfig, NodeInitJob, NodeInitRunner};
    /// use oxmm::memblock::Memblock;
    /// use oxmm::mm::{BootMode, Mm};
    /// use oxmm::mmzone::ZoneType;
    /// use oxmm::types::PhysAddr;
    /// # struct NoMem;
    /// # impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// struct Threads;
    /// impl NodeInitRunner for Threads {
    ///     fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
    ///         std::thread::scope(|s| {
    ///             for j in jobs.iter_mut() {
    ///                 s.spawn(move || j.run());
    ///             }
    ///         });
    ///     }
    /// }
    /// let mut mb = Memblock::new();
    /// mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// let mut cfg = BootConfig::new(Arch::X86_64);
    /// cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
    /// cfg.zone_limits.set(ZoneType::Normal, 0x10000);
    /// let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot_with(NoMem, mb, &cfg, BootMode::DescribeOnly, log, &Threads).unwrap();
    /// assert!(mm.nr_free_pages() > 0);
    /// ```
    pub fn boot_with(
        platform: P,
        memblock: Memblock,
        cfg: &BootConfig<'_>,
        mode: BootMode,
        log: &mut dyn Log,
        runner: &dyn NodeInitRunner,
    ) -> Result<Self, BootError> {
        let geo = cfg.geometry;
        let layout = cfg.zone_layout;
        let mut mm = Mm {
            platform,
            memblock,
            geo,
            layout,
            arch: cfg.arch,
            mode,
            nodes: core::array::from_fn(|i| Node::new(NodeId(i as u16), layout)),
            online: [false; MAX_NUMNODES],
            memmap: MemMap::empty(geo),
            ranges: ArchZoneRanges {
                lowest: [0; crate::mmzone::MAX_NR_ZONES],
                highest: [0; crate::mmzone::MAX_NR_ZONES],
            },
            movable: MovableInfo::default(),
            policy_zone: 0,
            mobility_disabled: false,
            vm_total_pages: 0,
            totalcma: 0,
            max_pfn: 0,
            zeroed_holes: 0,
        };
        mm.memblock.set_page_geometry(geo);
        mm.setup_nodes(cfg)?;
        if cfg.arch == Arch::Ia32 {
            // initmem_init (setup_arch): lowmem ends where ZONE_NORMAL does.
            let max_low = mm.max_low_pfn(cfg);
            print_highmem_lowmem(mm.max_pfn, max_low, geo.shift(), log);
        }
        if mode == BootMode::Full && mm.platform.direct_map_base().is_null() {
            return Err(BootError::NoDirectMap);
        }
        mm.sparse_init(cfg)?;
        mm.free_area_init(cfg, log)?;
        mm.build_all_zonelists(cfg, log);
        mm.run_node_init(runner);
        mm.mem_init_print_info(cfg, log);
        if let (Arch::Ia32, Some(build)) = (cfg.arch, cfg.ia32_layout) {
            VirtLayout::new(&build, &cfg.kernel, mm.max_low_pfn(cfg)).print(log);
        }
        mm.cma_init_reserved_areas(cfg)?;
        Ok(mm)
    }

    fn setup_nodes(&mut self, cfg: &BootConfig<'_>) -> Result<(), BootError> {
        if cfg.nodes.is_empty() {
            self.online[0] = true;
            self.nodes[0].nr_cpus = cfg.nr_cpus;
        }
        for n in cfg.nodes {
            let i = n.nid.0 as usize;
            if i >= MAX_NUMNODES {
                return Err(BootError::NodeOutOfRange { nid: n.nid });
            }
            if self.online[i] {
                return Err(BootError::DuplicateNode { nid: n.nid });
            }
            self.online[i] = true;
            self.nodes[i].nr_cpus = n.nr_cpus;
        }
        let mut any = false;
        for r in self.memblock.memory().regions() {
            let i = nid_index(r.nid);
            if i >= MAX_NUMNODES {
                return Err(BootError::NodeOutOfRange {
                    nid: NodeId(i as u16),
                });
            }
            if !self.online[i] {
                return Err(BootError::UnknownNode {
                    nid: NodeId(i as u16),
                });
            }
        }
        for (_, e, _) in self.memblock.mem_pfn_ranges(self.geo, None) {
            any = true;
            self.max_pfn = self.max_pfn.max(e);
        }
        if !any {
            return Err(BootError::NoMemory);
        }
        Ok(())
    }

    /// `max_low_pfn`: the end of directly mapped memory, i.e. the `ZONE_NORMAL` limit
    /// (capped by `max_pfn`).
    fn max_low_pfn(&self, cfg: &BootConfig<'_>) -> u64 {
        let limit = cfg.zone_limits.get(ZoneType::Normal);
        limit.unwrap_or(self.max_pfn).min(self.max_pfn)
    }

    fn section_shift(&self) -> u32 {
        self.geo.pages_per_section().trailing_zeros()
    }

    /// The first present section at or after `from`, with its node.
    fn next_present_section(&self, from: u64) -> Option<(u64, usize)> {
        let shift = self.section_shift();
        let s0 = from << shift;
        let regions = self.memblock.memory().regions();
        let geo = self.geo;
        let first = regions.partition_point(|r| geo.phys_to_pfn(r.end()).0 <= s0);
        for r in &regions[first..] {
            let (a, b) = (geo.phys_to_pfn_up(r.base).0, geo.phys_to_pfn(r.end()).0);
            if a < b && b > s0 {
                let sec = from.max(a >> shift);
                return section_nid(&self.memblock, self.geo, sec).map(|n| (sec, n));
            }
        }
        None
    }

    /// `sparse_init`: the section table, then one memmap block per run of consecutive
    /// present sections of one node, allocated in that node's memory above
    /// `MAX_DMA_ADDRESS` (`memmap_alloc` with `exact_nid`).
    fn sparse_init(&mut self, cfg: &BootConfig<'_>) -> Result<(), BootError> {
        let pps = self.geo.pages_per_section();
        let shift = self.section_shift();
        let nr_sections = (self.max_pfn + pps - 1) >> shift;
        let mut nr_present = 0u64;
        let mut cursor = self.next_present_section(0);
        while let Some((s, _)) = cursor {
            nr_present += 1;
            cursor = self.next_present_section(s + 1);
        }
        let pages = nr_present * pps;
        if pages >= u32::MAX as u64 {
            return Err(BootError::TooMuchMemory {
                sections: nr_present,
                pages,
            });
        }
        let table_bytes = MemMap::table_bytes(nr_sections, nr_present);
        let base = self.platform.direct_map_base();
        let full = self.mode == BootMode::Full;
        let table = self
            .memblock
            .alloc_try_nid_raw(
                table_bytes,
                64,
                PhysAddr(0),
                MEMBLOCK_ALLOC_ACCESSIBLE,
                None,
            )
            .ok_or(BootError::TableAlloc {
                what: "section table",
                size: table_bytes,
            })?;
        let map_bytes = pps * core::mem::size_of::<Page>() as u64;
        let min_addr = match cfg.arch {
            Arch::X86_64 | Arch::Ia32 => PhysAddr(16 << 20),
            _ => PhysAddr(0),
        };
        let mut memmap = if full {
            // SAFETY: `table` was just reserved from memblock for `table_bytes` bytes, and
            // the platform's direct map covers all memblock memory.
            unsafe { MemMap::new_table(self.geo, base, table, nr_sections) }
        } else {
            // SAFETY: a null base writes nothing.
            unsafe { MemMap::new_table(self.geo, core::ptr::null_mut(), table, nr_sections) }
        };
        let mut rank = 0u32;
        let mut pending = self.next_present_section(0);
        while let Some((sec0, nid)) = pending {
            // A run: consecutive present sections of one node (Linux: sparse_init's
            // nid_begin/pnum_begin loop).
            let mut n = 1u64;
            pending = None;
            while let Some((s, sn)) = self.next_present_section(sec0 + n) {
                if s == sec0 + n && sn == nid {
                    n += 1;
                } else {
                    pending = Some((s, sn));
                    break;
                }
            }
            let size = n * map_bytes;
            let node = Some(NodeId(nid as u16));
            let at = self
                .memblock
                .alloc_exact_nid_raw(size, map_bytes, min_addr, MEMBLOCK_ALLOC_ACCESSIBLE, node)
                .or_else(|| {
                    self.memblock.alloc_try_nid_raw(
                        size,
                        map_bytes,
                        min_addr,
                        MEMBLOCK_ALLOC_ACCESSIBLE,
                        node,
                    )
                })
                .ok_or(BootError::MemmapAlloc {
                    nid: NodeId(nid as u16),
                    size,
                })?;
            for k in 0..n {
                let e = RankEntry {
                    memmap: at.0 + k * map_bytes,
                    section_nr: (sec0 + k) as u32,
                    nid: nid as u32,
                };
                // SAFETY: ranks stay below `nr_present` (the same walk counted them) and
                // `e.memmap` is inside the run just reserved.
                unsafe { memmap.set_section(sec0 + k, rank, e) };
                rank += 1;
            }
        }
        self.memmap = memmap;
        Ok(())
    }
}

macro_rules! info {
    ($log:expr, $($arg:tt)*) => { $log.line(Level::Info, format_args!($($arg)*)) };
}

impl<P: Platform> Mm<P> {
    /// `free_area_init`: zone ranges, `ZONE_MOVABLE`, per-node spans and counts, the
    /// pageblock bitmaps and `memmap_init`.
    fn free_area_init(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) -> Result<(), BootError> {
        let geo = self.geo;
        let layout = self.layout;
        let start_pfn = geo.phys_to_pfn(self.memblock.start_of_dram()).0;
        self.ranges = ArchZoneRanges::new(layout, &cfg.zone_limits, start_pfn)?;
        self.movable = find_zone_movable_pfns_for_nodes(&self.memblock, cfg, layout, &self.ranges);
        let ps = geo.shift();

        info!(log, "Zone ranges:");
        for (i, t) in layout.zones().iter().enumerate() {
            if *t == ZoneType::Movable {
                continue;
            }
            if self.ranges.is_empty(i) {
                info!(log, "  {:<8} empty", t.name());
            } else {
                info!(
                    log,
                    "  {:<8} [mem {:#018x}-{:#018x}]",
                    t.name(),
                    self.ranges.lowest[i] << ps,
                    (self.ranges.highest[i] << ps) - 1
                );
            }
        }
        info!(log, "Movable zone start for each node");
        for (nid, &p) in self.movable.zone_movable_pfn.iter().enumerate() {
            if p != 0 {
                info!(log, "  Node {}: {:#018x}", nid, p << ps);
            }
        }
        info!(log, "Early memory node ranges");
        for (s, e, n) in self.memblock.mem_pfn_ranges(geo, None) {
            info!(
                log,
                "  node {:>3}: [mem {:#018x}-{:#018x}]",
                nid_index(n),
                s << ps,
                (e << ps) - 1
            );
        }

        let old = cfg.log_format < LogFormat::new(5, 14);
        for nid in 0..MAX_NUMNODES {
            if !self.online[nid] {
                continue;
            }
            let (ns, ne) = pfn_range_for_nid(&self.memblock, geo, nid);
            self.nodes[nid].start_pfn = ns;
            if ns != ne {
                info!(
                    log,
                    "Initmem setup node {} [mem {:#018x}-{:#018x}]",
                    nid,
                    ns << ps,
                    if ne != 0 { (ne << ps) - 1 } else { 0 }
                );
            } else if cfg.log_format < LogFormat::new(5, 9) {
                info!(
                    log,
                    "Initmem setup node {} [mem 0x0000000000000000-0x0000000000000000]", nid
                );
            } else {
                info!(log, "Initmem setup node {} as memoryless", nid);
            }
            let (mut spanned, mut present) = (0, 0);
            for zi in 0..layout.len() {
                let (zs, ze) = if ns != ne {
                    zone_span_in_node(layout, &self.ranges, &self.movable, nid, zi, ns, ne)
                } else {
                    (0, 0)
                };
                let span = ze - zs;
                let absent = zone_absent_in_node(
                    &self.memblock,
                    geo,
                    layout,
                    &self.movable,
                    nid,
                    zi,
                    zs,
                    ze,
                );
                let z = &mut self.nodes[nid].zones[zi];
                z.start_pfn = if span != 0 { zs } else { 0 };
                z.spanned = span;
                z.present = span - absent.min(span);
                // v6.12 free_area_init_core: managed starts as present.
                z.managed = z.present;
                spanned += span;
                present += z.present;
            }
            self.nodes[nid].spanned = spanned;
            self.nodes[nid].present = present;
            if old {
                self.print_old_node_lines(cfg, nid, log);
                for z in self.nodes[nid].zones_mut() {
                    if z.spanned != 0 && !z.zone_type().is_highmem() {
                        z.managed = z.present.saturating_sub(old_memmap_pages(
                            z.spanned,
                            z.present,
                            geo.page_size(),
                        ));
                    }
                }
            }
            for zi in 0..layout.len() {
                let z = self.nodes[nid].zones[zi];
                if z.spanned == 0 {
                    continue;
                }
                // setup_usemap / usemap_size.
                let pb = geo.pageblock_nr_pages();
                let size = z.spanned + (z.start_pfn & (pb - 1));
                let bits = (size.next_multiple_of(pb) >> geo.pageblock_order()) * NR_PAGEBLOCK_BITS;
                let bytes = bits.next_multiple_of(64) / 8;
                let base = self.platform.direct_map_base();
                let full = self.mode == BootMode::Full;
                let at = self
                    .memblock
                    .alloc_try_nid(
                        bytes,
                        64,
                        PhysAddr(0),
                        MEMBLOCK_ALLOC_ACCESSIBLE,
                        Some(NodeId(nid as u16)),
                        &mut |p, s| {
                            if full {
                                // SAFETY: memblock just reserved `[p, p + s)` for us.
                                unsafe { MemMap::zero_phys(base, p, s) }
                            }
                        },
                    )
                    .ok_or(BootError::TableAlloc {
                        what: "pageblock bitmap",
                        size: bytes,
                    })?;
                let zm = &mut self.nodes[nid].zones[zi];
                zm.usemap = at;
                zm.usemap_bytes = bytes;
            }
        }
        self.memmap_init(cfg, log);
        Ok(())
    }

    /// Pre-5.14 per-node lines (`On node N totalpages`, per-zone memmap/reserved/batch).
    fn print_old_node_lines(&self, cfg: &BootConfig<'_>, nid: usize, log: &mut dyn Log) {
        let node = &self.nodes[nid];
        info!(log, "On node {} totalpages: {}", nid, node.present);
        for z in node.zones() {
            if z.spanned == 0 {
                continue;
            }
            let memmap = old_memmap_pages(z.spanned, z.present, self.geo.page_size());
            let name = z.zone_type().name();
            let mut freesize = z.present;
            if !z.zone_type().is_highmem() {
                freesize = freesize.saturating_sub(memmap);
                log.line(
                    Level::Debug,
                    format_args!("  {} zone: {} pages used for memmap", name, memmap),
                );
            }
            if z.idx() == 0 {
                log.line(
                    Level::Debug,
                    format_args!("  {} zone: 0 pages reserved", name),
                );
            }
            log.line(
                Level::Debug,
                format_args!(
                    "  {} zone: {} pages, LIFO batch:{}",
                    name,
                    z.present,
                    zone_batchsize(freesize, self.geo.page_size())
                ),
            );
        }
        let _ = cfg;
    }

    /// `memmap_init`'s log: the pages of each hole (`init_unavailable_range`, counting
    /// pages of sections with a memmap). The descriptors themselves are written by the
    /// node jobs ([`Mm::run_node_init`]) from the same walk.
    fn memmap_init(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
        let spans = ZoneSpans::of(&self.nodes, self.layout.len());
        let (mb, geo, layout) = (&self.memblock, self.geo, self.layout);
        let mut zeroed = 0u64;
        walk_memmap_init(mb, geo, &spans, |seg| {
            if !seg.hole {
                return;
            }
            let mut count = 0u64;
            for_each_memmap_chunk(mb, geo, seg.start, seg.end, |s, e| count += e - s);
            if count == 0 {
                return;
            }
            if cfg.log_format >= LogFormat::new(5, 12) {
                info!(
                    log,
                    "On node {}, zone {}: {} pages in unavailable ranges",
                    seg.nid,
                    layout.zones()[seg.zi].name(),
                    count
                );
            } else {
                zeroed += count;
            }
        });
        self.zeroed_holes += zeroed;
        if self.zeroed_holes != 0 {
            info!(
                log,
                "Zeroed struct page in unavailable ranges: {} pages", self.zeroed_holes
            );
        }
    }

    /// Cut the machine into [`NodeInitJob`]s (see [`crate::boot::node_init`]), let
    /// `runner` run them, and run any it left undone.
    fn run_node_init(&mut self, runner: &dyn NodeInitRunner) {
        let mut cuts = [(0u64, 0usize); MAX_NUMNODES];
        let n = job_cuts(&self.memblock, self.geo, &mut cuts);
        let ctx = JobContext {
            memblock: &self.memblock,
            geo: self.geo,
            spans: ZoneSpans::of(&self.nodes, self.layout.len()),
            max_pfn: self.max_pfn,
            full: self.mode == BootMode::Full,
        };
        let mut pfn_cuts = [0u64; MAX_NUMNODES];
        for (d, c) in pfn_cuts.iter_mut().zip(&cuts[..n]) {
            *d = c.0;
        }
        let mut parts: [Option<MemMapPart<'_>>; MAX_NUMNODES] = core::array::from_fn(|_| None);
        let mut k = 0;
        self.memmap.split(&pfn_cuts[..n], |p| {
            parts[k] = Some(p);
            k += 1;
        });
        let mut rest: &mut [Node] = &mut self.nodes;
        let mut first = 0usize;
        let mut jobs: [NodeInitJob<'_>; MAX_NUMNODES] =
            core::array::from_fn(|_| NodeInitJob::new(&mut [], 0, None, &ctx));
        for (i, part) in parts.iter_mut().enumerate().take(n + 1) {
            let end = if i < n { cuts[i].1 } else { MAX_NUMNODES };
            let (mine, tail) = core::mem::take(&mut rest).split_at_mut(end.max(first) - first);
            jobs[i] = NodeInitJob::new(mine, first, part.take(), &ctx);
            rest = tail;
            first = end.max(first);
        }
        runner.run_jobs(&mut jobs[..n + 1]);
        for j in &mut jobs[..n + 1] {
            j.run();
        }
    }
}

/// Pre-5.14 `calc_memmap_size` with Linux's 64-byte `struct page` (SPARSEMEM: present
/// pages when the zone has big holes).
fn old_memmap_pages(spanned: u64, present: u64, page_size: u64) -> u64 {
    let pages = if spanned > present + (present >> 4) {
        present
    } else {
        spanned
    };
    (pages * 64).div_ceil(page_size)
}

/// `zone_batchsize` (pre-5.14 `LIFO batch` figure): about a quarter megabyte's worth of
/// pages, capped, rounded down to a power of two, minus one.
fn zone_batchsize(present: u64, page_size: u64) -> u64 {
    let mut batch = (present / 1024).min((512 * 1024) / page_size);
    batch /= 4;
    if batch < 1 {
        batch = 1;
    }
    let r = (batch + batch / 2).next_power_of_two();
    let r = if r > batch + batch / 2 { r / 2 } else { r };
    r.saturating_sub(1)
}

impl<P: Platform> Mm<P> {
    /// `get_pfnblock_migratetype` for a pfn of zone `zi` of node `nid` (Full mode).
    pub fn pageblock_migratetype(
        &self,
        nid: NodeId,
        zone_idx: usize,
        pfn: u64,
    ) -> Option<MigrateType> {
        let z = self.nodes.get(nid.0 as usize)?.zones().get(zone_idx)?;
        let pb_order = self.geo.pageblock_order();
        let block = (pfn >> pb_order).checked_sub(z.start_pfn >> pb_order)?;
        let bits = self
            .memmap
            .pageblock_bits(z.usemap, z.usemap_bytes, block)?;
        MigrateType::from_u8(bits & 0x7)
    }

    /// `build_all_zonelists`: per-node fallback order (with `node_load` spreading), the
    /// `Built … zonelists` line, `vm_total_pages`, mobility grouping and `policy_zone`.
    fn build_all_zonelists(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
        let mut facts = NodeFacts::default();
        for nid in 0..MAX_NUMNODES {
            facts.has_memory[nid] = self.online[nid] && self.nodes[nid].present != 0;
            facts.has_cpus[nid] = self.online[nid] && self.nodes[nid].nr_cpus != 0;
        }
        let mut node_load = [0u32; MAX_NUMNODES];
        let movable_idx = self.layout.index_of(ZoneType::Movable);
        for nid in 0..MAX_NUMNODES {
            if !self.online[nid] {
                continue;
            }
            let mut order = [0u8; MAX_NUMNODES];
            let n = build_node_order(nid, &facts, &cfg.distances, &mut node_load, &mut order);
            self.nodes[nid].fallback = order;
            self.nodes[nid].nr_fallback = n as u8;
            for &o in &order[..n] {
                for z in self.nodes[o as usize].zones() {
                    if z.is_populated()
                        && z.idx() > self.policy_zone
                        && Some(z.idx()) != movable_idx
                    {
                        self.policy_zone = z.idx();
                    }
                }
            }
            if cfg.config_numa && cfg.log_format >= LogFormat::new(5, 12) {
                let mut line = [0u8; 4 * MAX_NUMNODES];
                let mut len = 0;
                for &o in &order[..n] {
                    let mut w = Wr(&mut line[len..], 0);
                    let _ = core::fmt::write(&mut w, format_args!("{} ", o));
                    len += w.1;
                }
                let text = core::str::from_utf8(&line[..len]).unwrap_or("");
                info!(log, "Fallback order for Node {}: {}", nid, text);
            }
        }
        // nr_free_zone_pages(gfp_zone(GFP_HIGHUSER_MOVABLE)) on the boot CPU's node:
        // every zone up to Movable in its zonelist; at this point managed = present
        // (v6.12) or the old free size, and there are no watermarks.
        let highest = movable_idx.unwrap_or(self.layout.len() - 1);
        let local = (0..MAX_NUMNODES).find(|&n| self.online[n]).unwrap_or(0);
        self.vm_total_pages = self.nodes[local]
            .fallback_order()
            .flat_map(|n| self.nodes[n.0 as usize].zones().iter())
            .filter(|z| z.is_populated() && z.idx() <= highest)
            .map(|z| z.managed)
            .sum();
        let pb = self.geo.pageblock_nr_pages();
        self.mobility_disabled = self.vm_total_pages < pb * MIGRATE_TYPES as u64;
        let nr_online = self.online.iter().filter(|&&o| o).count();
        let grouping = if self.mobility_disabled { "off" } else { "on" };
        if cfg.log_format < LogFormat::new(4, 14) {
            let how = if cfg.config_numa { "Node" } else { "Zone" };
            info!(
                log,
                "Built {} zonelists in {} order, mobility grouping {}.  Total pages: {}",
                nr_online,
                how,
                grouping,
                self.vm_total_pages
            );
        } else {
            info!(
                log,
                "Built {} zonelists, mobility grouping {}.  Total pages: {}",
                nr_online,
                grouping,
                self.vm_total_pages
            );
        }
        if cfg.config_numa {
            info!(
                log,
                "Policy zone: {}",
                self.layout.zones()[self.policy_zone].name()
            );
        }
    }
}

/// A tiny formatter into a byte buffer (the core has no heap).
struct Wr<'a>(&'a mut [u8], usize);

impl core::fmt::Write for Wr<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let b = s.as_bytes();
        let room = self.0.len() - self.1;
        if b.len() > room {
            return Err(core::fmt::Error);
        }
        self.0[self.1..self.1 + b.len()].copy_from_slice(b);
        self.1 += b.len();
        Ok(())
    }
}

impl<P: Platform> Mm<P> {
    /// `mem_init_print_info`: the `Memory:` line (printed before CMA activation, as in
    /// Linux, so CMA pages count as `cma-reserved`, not available).
    fn mem_init_print_info(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
        let k = |pages: u64| pages << (self.geo.shift() - 10);
        self.totalcma = cfg.cma.iter().map(|a| a.size >> self.geo.shift()).sum();
        let phys: u64 = self.nodes().map(|n| n.present).sum();
        let totalram: u64 = self.nodes().map(|n| n.managed_pages()).sum();
        let free: u64 = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .map(|z| z.free_pages)
            .sum();
        let high: u64 = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .filter(|z| z.zone_type().is_highmem())
            .map(|z| z.managed)
            .sum();
        let reserved = phys.saturating_sub(totalram).saturating_sub(self.totalcma);
        let kern = cfg.kernel;
        let highmem = matches!(self.arch, Arch::Ia32 | Arch::Arm);
        let mut tail = [0u8; 32];
        let mut w = Wr(&mut tail, 0);
        if highmem {
            let _ = core::fmt::write(&mut w, format_args!(", {}K highmem", k(high)));
        }
        let n = w.1;
        info!(
            log,
            "Memory: {}K/{}K available ({}K kernel code, {}K rwdata, {}K rodata, {}K init, {}K bss, {}K reserved, {}K cma-reserved{})",
            k(free),
            k(phys),
            kern.code / 1024,
            kern.rwdata / 1024,
            kern.rodata / 1024,
            kern.init / 1024,
            kern.bss / 1024,
            k(reserved),
            k(self.totalcma),
            core::str::from_utf8(&tail[..n]).unwrap_or("")
        );
    }

    /// `cma_init_reserved_areas` / `cma_activate_area`: each area's pageblocks become
    /// `MIGRATE_CMA` and its pages are freed into the CMA lists (`init_cma_reserved_pageblock`).
    fn cma_init_reserved_areas(&mut self, cfg: &BootConfig<'_>) -> Result<(), BootError> {
        let geo = self.geo;
        for a in cfg.cma {
            let s = geo.phys_to_pfn_up(a.base).0;
            let e = geo.phys_to_pfn(PhysAddr(a.base.0.saturating_add(a.size))).0;
            if s >= e {
                continue;
            }
            let bad = BootError::BadCmaArea {
                base: a.base,
                size: a.size,
            };
            let nid = self
                .memblock
                .memory()
                .regions()
                .iter()
                .find(|r| r.base <= a.base && a.base < r.end())
                .map(|r| nid_index(r.nid))
                .ok_or(bad)?;
            let zi = zone_of(&self.nodes[nid], s).ok_or(bad)?;
            if !self.nodes[nid].zones[zi].spans_pfn(e - 1) {
                return Err(bad);
            }
            let full = self.mode == BootMode::Full;
            let mut part = self.memmap.whole();
            let zone = &mut self.nodes[nid].zones[zi];
            let pb = geo.pageblock_nr_pages();
            let mut p = s - s % pb;
            while p < e {
                set_pageblock_migratetype(&mut part, zone, geo, p, MigrateType::Cma);
                p += pb;
            }
            zone.cma_pages += e - s;
            free_pages_memory(s, e, MAX_PAGE_ORDER, |pfn, order| {
                free_block_boot(
                    zone,
                    Some(&mut part),
                    geo,
                    full,
                    pfn,
                    order,
                    Some(MigrateType::Cma),
                );
            });
        }
        Ok(())
    }

    /// Online nodes in id order (`for_each_online_node`).
    pub fn nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.nodes
            .iter()
            .filter(|n| self.online[n.nid().0 as usize])
    }

    /// `NODE_DATA(nid)` of an online node.
    #[doc(alias = "NODE_DATA")]
    pub fn node(&self, nid: NodeId) -> Option<&Node> {
        let i = nid.0 as usize;
        (i < MAX_NUMNODES && self.online[i]).then(|| &self.nodes[i])
    }

    /// Mutable `NODE_DATA(nid)` (for the allocator).
    pub fn node_mut(&mut self, nid: NodeId) -> Option<&mut Node> {
        let i = nid.0 as usize;
        (i < MAX_NUMNODES && self.online[i]).then(|| &mut self.nodes[i])
    }

    /// The fallback zonelist of `nid` (`ZONELIST_FALLBACK`): nodes in fallback order,
    /// within each its populated zones from high to low.
    #[doc(alias = "node_zonelist")]
    pub fn zonelist(&self, nid: NodeId) -> impl Iterator<Item = crate::mmzone::Zoneref> + '_ {
        self.node(nid).into_iter().flat_map(move |n| {
            n.fallback_order().flat_map(move |o| {
                self.nodes[o.0 as usize]
                    .zones()
                    .iter()
                    .rev()
                    .filter(|z| z.is_populated())
                    .map(move |z| crate::mmzone::Zoneref {
                        nid: o,
                        zone_idx: z.idx(),
                    })
            })
        })
    }

    /// memblock as boot left it (kept, like `CONFIG_ARCH_KEEP_MEMBLOCK`).
    pub fn memblock(&self) -> &Memblock {
        &self.memblock
    }

    /// The page geometry.
    pub fn geometry(&self) -> PageGeometry {
        self.geo
    }

    /// The zone layout of the architecture.
    pub fn zone_layout(&self) -> ZoneLayout {
        self.layout
    }

    /// The platform.
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// How the machine was booted.
    pub fn mode(&self) -> BootMode {
        self.mode
    }

    /// The memory map (descriptors, pfn ↔ index).
    pub fn memmap(&self) -> &MemMap {
        &self.memmap
    }

    /// The memory map, for writing.
    pub fn memmap_mut(&mut self) -> &mut MemMap {
        &mut self.memmap
    }

    /// `vm_total_pages` as `build_all_zonelists` computed it.
    pub fn vm_total_pages(&self) -> u64 {
        self.vm_total_pages
    }

    /// `page_group_by_mobility_disabled`.
    pub fn mobility_disabled(&self) -> bool {
        self.mobility_disabled
    }

    /// `policy_zone` (a zone index).
    pub fn policy_zone(&self) -> usize {
        self.policy_zone
    }

    /// `totalcma_pages`.
    pub fn totalcma_pages(&self) -> u64 {
        self.totalcma
    }

    /// `totalram_pages`: managed pages of all zones.
    pub fn totalram_pages(&self) -> u64 {
        self.nodes().map(|n| n.managed_pages()).sum()
    }

    /// `nr_free_pages`: `NR_FREE_PAGES` over all zones.
    pub fn nr_free_pages(&self) -> u64 {
        self.nodes()
            .flat_map(|n| n.zones().iter())
            .map(|z| z.free_pages)
            .sum()
    }

    /// `max_pfn`.
    pub fn max_pfn(&self) -> u64 {
        self.max_pfn
    }

    /// `zone_movable_pfn[]` and friends.
    pub fn movable_info(&self) -> &MovableInfo {
        &self.movable
    }

    /// `arch_zone_{lowest,highest}_possible_pfn`.
    pub fn arch_zone_ranges(&self) -> &ArchZoneRanges {
        &self.ranges
    }
}

/// The first inconsistency [`Mm::check`] found.
///
/// ```
/// let e = oxmm::mm::CheckError { what: "bad order", nid: 0, zone_idx: 1, order: 3, pfn: 0x100 };
/// assert!(e.to_string().contains("pfn 0x100"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// What is wrong.
    pub what: &'static str,
    /// Node.
    pub nid: usize,
    /// Zone index.
    pub zone_idx: usize,
    /// Order involved (or 0).
    pub order: u32,
    /// Pfn involved (or 0).
    pub pfn: u64,
}

impl core::fmt::Display for CheckError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} (node {}, zone index {}, order {}, pfn {:#x})",
            self.what, self.nid, self.zone_idx, self.order, self.pfn
        )
    }
}

#[cfg(feature = "debug_vm")]
impl<P: Platform> Mm<P> {
    /// `CONFIG_DEBUG_VM`-style invariant check: every free list is well linked, each entry
    /// is a buddy head of the list's order, zone and pageblock type, `nr_free` and the
    /// free-page counters match the lists, no buddy head is off-list, and every pageblock
    /// type is valid. Only a Full boot has lists to walk; DescribeOnly checks counters.
    pub fn check(&self) -> Result<(), CheckError> {
        let full = self.mode == BootMode::Full;
        let mut heads_on_lists = 0u64;
        for node in self.nodes() {
            let nid = node.nid().0 as usize;
            for z in node.zones() {
                let err = |what, order, pfn| CheckError {
                    what,
                    nid,
                    zone_idx: z.idx(),
                    order,
                    pfn,
                };
                let mut free = 0u64;
                let mut free_cma = 0u64;
                for (o, area) in z.free_area.iter().enumerate() {
                    let o = o as u32;
                    let mut blocks = 0u64;
                    for (mt, list) in area.free_list.iter().enumerate() {
                        if !full {
                            continue;
                        }
                        let mut prev = Page::NIL;
                        let mut cur = list.head;
                        let mut n = 0u64;
                        while cur != Page::NIL {
                            let pfn =
                                self.memmap
                                    .pfn_of(cur)
                                    .ok_or(err("link to no page", o, 0))?;
                            let p = self.memmap.page_by_index(cur).ok_or(err(
                                "link to no page",
                                o,
                                pfn,
                            ))?;
                            if p.prev != prev {
                                return Err(err("prev link does not match", o, pfn));
                            }
                            if !p.is_buddy() {
                                return Err(err("page on free list without PageBuddy", o, pfn));
                            }
                            if p.buddy_order() != o as u64 {
                                return Err(err(
                                    "buddy order differs from the list's order",
                                    o,
                                    pfn,
                                ));
                            }
                            if p.zone_idx() != z.idx() || p.nid() as usize != nid {
                                return Err(err("page on another zone's free list", o, pfn));
                            }
                            if pfn & ((1 << o) - 1) != 0 || !z.spans_pfn(pfn) {
                                return Err(err("misaligned or out-of-zone free block", o, pfn));
                            }
                            let pmt = self.pageblock_migratetype(node.nid(), z.idx(), pfn);
                            if pmt.map(|m| m as usize) != Some(mt) {
                                return Err(err(
                                    "free block's pageblock type differs from its list",
                                    o,
                                    pfn,
                                ));
                            }
                            n += 1;
                            if n > z.spanned_pages() {
                                return Err(err("free list loops", o, pfn));
                            }
                            prev = cur;
                            cur = p.next;
                        }
                        if prev != list.tail {
                            return Err(err("list tail does not match the last entry", o, 0));
                        }
                        blocks += n;
                        if mt != MigrateType::Isolate as usize {
                            free += n << o;
                        }
                        if mt == MigrateType::Cma as usize {
                            free_cma += n << o;
                        }
                    }
                    if full && blocks != area.nr_free {
                        return Err(err("nr_free differs from the lists", o, blocks));
                    }
                    heads_on_lists += blocks;
                }
                if full && (free != z.free_pages || free_cma != z.free_cma_pages) {
                    return Err(err("NR_FREE_PAGES differs from the lists", 0, free));
                }
                if z.free_pages > z.managed_pages()
                    || z.managed_pages() > z.present_pages() + z.cma_pages()
                {
                    return Err(err(
                        "free > managed or managed > present",
                        0,
                        z.managed_pages(),
                    ));
                }
                if full && z.spanned_pages() != 0 {
                    let pb = self.geo.pageblock_nr_pages();
                    let mut pfn = z.start_pfn() - z.start_pfn() % pb;
                    while pfn < z.end_pfn() {
                        if self
                            .pageblock_migratetype(node.nid(), z.idx(), pfn)
                            .is_none()
                        {
                            return Err(err("invalid pageblock type", 0, pfn));
                        }
                        pfn += pb;
                    }
                }
            }
        }
        if full {
            // Every PageBuddy head must be on a list.
            let mut heads = 0u64;
            let pps = self.geo.pages_per_section();
            for rank in 0..self.memmap.nr_present_sections() {
                let base = rank as u64 * pps;
                for i in 0..pps {
                    if let Some(p) = self.memmap.page_by_index((base + i) as u32) {
                        heads += p.is_buddy() as u64;
                    }
                }
            }
            if heads != heads_on_lists {
                return Err(CheckError {
                    what: "PageBuddy pages not on any free list",
                    nid: 0,
                    zone_idx: 0,
                    order: 0,
                    pfn: heads,
                });
            }
        }
        Ok(())
    }
}
