//! `free_area_init` (Linux: mm/mm_init.c): the `Zone ranges`, `Movable zone start` and
//! `Early memory node ranges` lines, each node's and zone's span and page counts, and
//! the pageblock bitmaps (`setup_usemap`). The memmap itself is [`super::memmap_init`].

use crate::boot::zones::nid_index;
use crate::boot::{
    find_zone_movable_pfns_for_nodes, pfn_range_for_nid, zone_absent_in_node, zone_span_in_node,
    ArchZoneRanges, BootConfig, BootError, LogFormat,
};
use crate::memblock::MEMBLOCK_ALLOC_ACCESSIBLE;
use crate::memmap::{MemMap, NR_PAGEBLOCK_BITS};
use crate::mm::{BootMode, Mm};
use crate::mmzone::ZoneType;
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::types::{NodeId, PhysAddr, MAX_NUMNODES};

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
        self.zero_resv_unavail(cfg, log);
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
                for zi in 0..layout.len() {
                    let Some(n) = self.stable_zone_unavailable(cfg, nid, zi) else {
                        break;
                    };
                    if n != 0 {
                        let name = layout.zones()[zi].name();
                        info!(log, "  {} zone: {} pages in unavailable ranges", name, n);
                    }
                }
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
                    old_zone_batchsize(freesize, self.geo.page_size())
                ),
            );
        }
        let _ = cfg;
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

/// The pre-5.14 `LIFO batch` figure: [`crate::watermark::zone_batchsize`] without its
/// clamp to at least 1 — old kernels printed `LIFO batch:0` for zones under 8 Ki pages
/// (batch 1 rounds down to 2^0 − 1), as the fixtures' DMA zones show.
fn old_zone_batchsize(present: u64, page_size: u64) -> u64 {
    if present >> 10 < 8 {
        0
    } else {
        crate::watermark::zone_batchsize(present, page_size)
    }
}
