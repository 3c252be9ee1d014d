//! `free_area_init` (Linux: mm/mm_init.c): the `Zone ranges`, `Movable zone start` and
//! `Early memory node ranges` lines, each node's and zone's span and page counts, and
//! the pageblock bitmaps (`setup_usemap`). The memmap itself is [`super::memmap_init`].

use crate::boot::zones::nid_index;
use crate::boot::{
    find_zone_movable_pfns_for_nodes, pfn_range_for_nid, zone_absent_in_node, zone_span_in_node,
    Arch, ArchZoneRanges, BootConfig, BootError, LogFormat,
};
use crate::memblock::{Memblock, MEMBLOCK_ALLOC_ACCESSIBLE};
use crate::memmap::{MemMap, NR_PAGEBLOCK_BITS};
use crate::mm::{BootMode, Mm};
use crate::mmzone::ZoneType;
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::types::{NodeId, PageGeometry, PhysAddr, MAX_NUMNODES};

impl<P: Platform> Mm<P> {
    /// `free_area_init`: zone ranges, `ZONE_MOVABLE`, per-node spans and counts, the
    /// pageblock bitmaps and `memmap_init`.
    pub(crate) fn free_area_init(
        &mut self,
        cfg: &BootConfig<'_>,
        log: &mut dyn Log,
    ) -> Result<(), BootError> {
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
        let acct = OldAccounting::new(self, cfg);
        self.zero_resv_unavail(cfg, log);
        for nid in self.init_order(cfg) {
            let Some(nid) = nid else { break };
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
            if let Some(acct) = acct {
                for zi in 0..layout.len() {
                    let z = &mut self.nodes[nid].zones[zi];
                    z.managed = acct.free_size(z.zone_type(), zi, z.spanned, z.present);
                }
                if old {
                    self.print_old_node_lines(&acct, nid, log);
                    for zi in 0..layout.len() {
                        let Some(n) = self.stable_zone_unavailable(cfg, nid, zi) else {
                            break;
                        };
                        if n != 0 {
                            let name = layout.zones()[zi].name();
                            info!(log, "  {} zone: {} pages in unavailable ranges", name, n);
                        }
                    }
                }
            }
            for zi in 0..layout.len() {
                let (spanned, start_pfn) = {
                    let z = &self.nodes[nid].zones[zi];
                    (z.spanned, z.start_pfn)
                };
                if spanned == 0 {
                    continue;
                }
                // setup_usemap / usemap_size.
                let pb = geo.pageblock_nr_pages();
                let size = spanned + (start_pfn & (pb - 1));
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
                let direct = self.memmap.direct_addr(at);
                let zm = &mut self.nodes[nid].zones[zi];
                zm.usemap = at;
                zm.usemap_bytes = bytes;
                if let Some(d) = direct {
                    // SAFETY: `d` is the bitmap just allocated for this zone, `bytes`
                    // long, behind the direct map (`direct_addr` answers only for an
                    // accessible map) and never freed while the `Mm` lives.
                    zm.pageblocks = unsafe {
                        crate::mmzone::PageblockLookup::new(
                            d,
                            bytes,
                            zm.start_pfn,
                            geo.pageblock_order(),
                        )
                    };
                }
            }
        }
        self.memmap_init(cfg, log);
        Ok(())
    }

    /// The online nodes in the order `free_area_init` sets them up, `None`-padded.
    /// Before v5.9 x86 left memoryless nodes offline here and set them up afterwards
    /// from `init_cpu_to_node` (`init_memory_less_node`: the zero-size
    /// `free_area_init_node` call behind the `[mem 0x0-0x0]` line), so they come last.
    fn init_order(&self, cfg: &BootConfig<'_>) -> [Option<usize>; MAX_NUMNODES] {
        let late = cfg.log_format < LogFormat::new(5, 9)
            && matches!(
                cfg.arch,
                crate::boot::Arch::X86_64 | crate::boot::Arch::Ia32
            );
        let mut order = [None; MAX_NUMNODES];
        let mut k = 0;
        for pass in [false, true] {
            for nid in (0..MAX_NUMNODES).filter(|&n| self.online[n]) {
                let (s, e) = pfn_range_for_nid(&self.memblock, self.geo, nid);
                if (late && s == e) == pass {
                    order[k] = Some(nid);
                    k += 1;
                }
            }
        }
        order
    }

    /// Pre-5.14 per-node lines (`On node N totalpages`, per-zone memmap/reserved/batch),
    /// printed by `free_area_init_core` (the memmap and reserved lines) and
    /// `zone_pcp_init` (the batch line) from the same numbers that set `managed`.
    fn print_old_node_lines(&self, acct: &OldAccounting, nid: usize, log: &mut dyn Log) {
        let node = &self.nodes[nid];
        info!(log, "On node {} totalpages: {}", nid, node.present);
        for (zi, z) in node.zones().iter().enumerate() {
            if z.spanned == 0 {
                continue;
            }
            let name = z.zone_type().name();
            let memmap = acct.memmap_pages(z.spanned, z.present);
            if !z.zone_type().is_highmem() && memmap != 0 && memmap <= z.present {
                log.line(
                    Level::Debug,
                    format_args!("  {} zone: {} pages used for memmap", name, memmap),
                );
            }
            let after_memmap = acct.free_size_before_reserve(z.zone_type(), z.spanned, z.present);
            if zi == 0 && after_memmap > acct.dma_reserve {
                log.line(
                    Level::Debug,
                    format_args!("  {} zone: {} pages reserved", name, acct.dma_reserve),
                );
            }
            // zone_pcp_init runs after managed_pages was set to the free size.
            log.line(
                Level::Debug,
                format_args!(
                    "  {} zone: {} pages, LIFO batch:{}",
                    name,
                    z.present,
                    acct.zone_batchsize(z.managed, self.geo.page_size())
                ),
            );
        }
    }
}

/// How `free_area_init_core` set `zone->managed_pages` before Linux v6.10: the zone's
/// present pages less its memmap (lowmem zones only) and, for zone 0, the architecture's
/// `dma_reserve`. v6.10 (Baoquan He's series: "mm/mm_init.c: remove meaningless
/// calculation of zone->managed_pages in free_area_init_core()", "mm/mm_init.c: remove
/// unneeded calc_memmap_size()", "mm/mm_init.c: remove the useless dma_reserve") sets it
/// to the present pages instead, which is what the core does for v6.10 and later.
#[derive(Clone, Copy, Debug)]
struct OldAccounting {
    /// `sizeof(struct page)` of the kernel being reproduced.
    page_desc_bytes: u64,
    /// `PAGE_SIZE`.
    page_size: u64,
    /// `dma_reserve` (`set_dma_reserve`), taken from zone 0.
    dma_reserve: u64,
    /// `zone_batchsize`'s cap in bytes: 512 KiB before v4.19 (commit d8a759b57035 "mm,
    /// page_alloc: double zone's batchsize" made it 1 MiB).
    batch_cap_bytes: u64,
}

impl OldAccounting {
    /// The accounting of `cfg`'s kernel, or `None` from v6.10 on.
    fn new<P: Platform>(mm: &Mm<P>, cfg: &BootConfig<'_>) -> Option<Self> {
        if cfg.log_format >= LogFormat::new(6, 10) {
            return None;
        }
        let dma_reserve = match cfg.dma_reserve {
            Some(r) => r,
            None if cfg.arch == Arch::X86_64 => x86_dma_reserve(&mm.memblock, mm.geo),
            None => 0,
        };
        Some(OldAccounting {
            page_desc_bytes: cfg
                .struct_page_size
                .unwrap_or_else(|| linux_struct_page_bytes(cfg.arch)),
            page_size: mm.geo.page_size(),
            dma_reserve,
            batch_cap_bytes: if cfg.log_format < LogFormat::new(4, 19) {
                512 << 10
            } else {
                1 << 20
            },
        })
    }

    /// `calc_memmap_size`: the zone's span (its present pages when holes make the span
    /// over 1/16 larger, as SPARSEMEM kernels only map present sections) in
    /// `struct page`s, rounded up to whole pages.
    fn memmap_pages(&self, spanned: u64, present: u64) -> u64 {
        let pages = if spanned > present + (present >> 4) {
            present
        } else {
            spanned
        };
        (pages * self.page_desc_bytes).div_ceil(self.page_size)
    }

    /// `freesize` after the memmap: unchanged for highmem zones and when the memmap
    /// would exceed the zone (Linux then only warns).
    fn free_size_before_reserve(&self, t: ZoneType, spanned: u64, present: u64) -> u64 {
        let memmap = self.memmap_pages(spanned, present);
        if t.is_highmem() || memmap > present {
            present
        } else {
            present - memmap
        }
    }

    /// The `managed_pages` `free_area_init_core` gives zone `zi`.
    fn free_size(&self, t: ZoneType, zi: usize, spanned: u64, present: u64) -> u64 {
        let free = self.free_size_before_reserve(t, spanned, present);
        if zi == 0 && free > self.dma_reserve {
            free - self.dma_reserve
        } else {
            free
        }
    }

    /// The old `zone_batchsize`: a quarter of 1/1024 of `managed`, capped, rounded to
    /// 2^n − 1 with no floor of 1 (small zones printed `LIFO batch:0`).
    fn zone_batchsize(&self, managed: u64, page_size: u64) -> u64 {
        let batch = (managed >> 10).min(self.batch_cap_bytes / page_size) / 4;
        let batch = batch.max(1);
        let x = batch + batch / 2;
        (1u64 << (63 - x.leading_zeros())) - 1
    }
}

/// `memblock_find_dma_reserve` (arch/x86/mm/init.c, x86-64 only, up to v6.9): memory
/// pages below 16 MiB (`MAX_DMA_PFN`) less the free ones (free ranges rounded inwards
/// to whole pages). Linux computes it in `setup_arch` before `paging_init`; the core's
/// earlier `sparse_init` allocations are top-down and do not reach below 16 MiB.
fn x86_dma_reserve(mb: &Memblock, geo: PageGeometry) -> u64 {
    let max_dma = (16u64 << 20) >> geo.shift();
    let total: u64 = mb
        .mem_pfn_ranges(geo, None)
        .map(|(s, e, _)| e.min(max_dma) - s.min(max_dma))
        .sum();
    let free: u64 = mb
        .free_ranges(None)
        .map(|(s, e, _)| {
            let (s, e) = (geo.phys_to_pfn_up(s).0, geo.phys_to_pfn(e).0);
            e.min(max_dma).saturating_sub(s.min(max_dma))
        })
        .sum();
    total.saturating_sub(free)
}

/// Linux's `sizeof(struct page)` for the kernel being reproduced: 64 bytes on 64-bit
/// kernels; on 32-bit, flags, the five-word union, `_mapcount`, `_refcount` and (x86
/// distribution kernels, CONFIG_MEMCG) the memcg pointer. x86-32 selects
/// `HAVE_ALIGNED_STRUCT_PAGE` with SLUB, so its 36 bytes are padded to 40; 32-bit arm
/// does not, and its board kernels are 32 bytes.
pub(crate) fn linux_struct_page_bytes(arch: Arch) -> u64 {
    match arch {
        Arch::Ia32 => 40,
        Arch::Arm => 32,
        Arch::X86_64 | Arch::Arm64 | Arch::Riscv64 => 64,
    }
}
