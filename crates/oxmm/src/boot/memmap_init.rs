//! `memmap_init` (Linux: mm/mm_init.c): the unavailable-range lines, and the hand-over of
//! the descriptor writes and `memblock_free_all` to the per-node jobs of
//! [`super::node_init`].

use crate::boot::node_init::{
    for_each_memmap_chunk, job_cuts, section_nid, walk_memmap_init, JobContext, ZoneSpans,
};
use crate::boot::zones::nid_index;
use crate::boot::{Arch, BootConfig, LogFormat, NodeInitJob, NodeInitRunner};
use crate::memblock::MemblockFlags;
use crate::memmap::MemMapPart;
use crate::mm::{BootMode, Mm};
use crate::mmzone::Node;
use crate::platform::Platform;
use crate::printk::Log;
use crate::types::{PhysAddr, MAX_NUMNODES};

/// The 5.4 series (see [`Mm::stable_zone_unavailable`]).
fn is_5_4(f: LogFormat) -> bool {
    f.major == 5 && f.minor == 4
}

impl<P: Platform> Mm<P> {
    /// `memmap_init`'s log: the pages of each hole (`init_unavailable_range`, counting
    /// pages of sections with a memmap). The descriptors themselves are written by the
    /// node jobs ([`Mm::run_node_init`]) from the same walk.
    pub(crate) fn memmap_init(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
        let spans = ZoneSpans::of(&self.nodes, self.layout.len());
        let (mb, geo, layout) = (&self.memblock, self.geo, self.layout);
        if cfg.log_format < LogFormat::new(5, 12) {
            // Older kernels reported holes elsewhere: see `zero_resv_unavail`.
            return;
        }
        walk_memmap_init(mb, geo, &spans, |seg| {
            if !seg.hole {
                return;
            }
            let mut count = 0u64;
            for_each_memmap_chunk(mb, geo, seg.start, seg.end, |s, e| count += e - s);
            if count == 0 {
                return;
            }
            info!(
                log,
                "On node {}, zone {}: {} pages in unavailable ranges",
                seg.nid,
                layout.zones()[seg.zi].name(),
                count
            );
        });
    }

    /// `pfn_valid` as the pre-5.12 hole walks saw it: the section has a memmap, and on
    /// arm64 (`HAVE_ARCH_PFN_VALID` until 873ba463914c, v5.14) the address is also
    /// mapped memblock memory (`memblock_is_map_memory`).
    fn old_pfn_valid(&self, cfg: &BootConfig<'_>, pfn: u64) -> bool {
        let shift = self.geo.pages_per_section().trailing_zeros();
        if section_nid(&self.memblock, self.geo, pfn >> shift).is_none() {
            return false;
        }
        if cfg.arch != Arch::Arm64 {
            return true;
        }
        let addr = PhysAddr(pfn << self.geo.shift());
        let mem = self.memblock.memory();
        mem.search(addr)
            .is_some_and(|i| !mem.regions()[i].flags.contains(MemblockFlags::NOMAP))
    }

    /// `zero_pfn_range` / `init_unavailable_range` (v4.19–v5.11, and the 5.4.y
    /// backport): the pages of `[spfn, epfn)` whose pageblock's first pfn is valid.
    fn count_unavailable(&self, cfg: &BootConfig<'_>, spfn: u64, epfn: u64) -> u64 {
        let (pb, sec) = (self.geo.pageblock_nr_pages(), self.geo.pages_per_section());
        let shift = sec.trailing_zeros();
        let mut count = 0;
        let mut pfn = spfn;
        while pfn < epfn {
            // A section without memmap is skipped whole (pageblocks never span sections).
            if section_nid(&self.memblock, self.geo, pfn >> shift).is_none() {
                pfn = (((pfn >> shift) + 1) << shift).min(epfn);
                continue;
            }
            let block = pfn & !(pb - 1);
            let end = (block + pb).min(epfn);
            if self.old_pfn_valid(cfg, block) {
                count += end - pfn;
            }
            pfn = end;
        }
        count
    }

    /// The line `free_area_init_nodes` printed before setting up the nodes, in kernels
    /// that zeroed (later: initialised) the memmap of memblock holes in one pass:
    /// `zero_resv_unavail` (its hole walk is 907ec5fca3dc, v4.19) and from v5.8
    /// `init_unavailable_mem` (4b094b7851bf), until v5.12 moved the holes into
    /// `memmap_init` (0740a50b9baa). Before v4.19 no such line matches ours (4.15–4.18
    /// printed `Reserved but unavailable` for reserved-but-not-memory ranges; not
    /// modelled). The 5.4.y series prints per zone instead
    /// ([`Mm::stable_zone_unavailable`]).
    pub(crate) fn zero_resv_unavail(&self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
        let f = cfg.log_format;
        if f < LogFormat::new(4, 19) || f >= LogFormat::new(5, 12) || is_5_4(f) {
            return;
        }
        let ps = self.geo.shift();
        let mut count = 0;
        let mut next = 0u64;
        // for_each_mem_range(MEMBLOCK_NONE): NOMAP regions, and hotpluggable ones
        // under movable_node (55ac590c2fad, v3.13), count as holes.
        for r in self.memblock.memory().regions() {
            if r.flags.contains(MemblockFlags::NOMAP)
                || (cfg.movable_node && r.flags.contains(MemblockFlags::HOTPLUG))
            {
                continue;
            }
            if next < r.base.0 {
                count += self.count_unavailable(cfg, next >> ps, r.base.0.div_ceil(1 << ps));
            }
            next = r.end().0;
        }
        // e822969cab48 (v5.4) extended the tail walk to the end of the last section.
        let end = if f >= LogFormat::new(5, 4) {
            self.max_pfn.next_multiple_of(self.geo.pages_per_section())
        } else {
            self.max_pfn
        };
        count += self.count_unavailable(cfg, next >> ps, end);
        if count != 0 {
            info!(
                log,
                "Zeroed struct page in unavailable ranges: {} pages", count
            );
        }
    }

    /// The 5.4.y `memmap_init` of zone `zi` of node `nid` (the backport of d3921cb8be29,
    /// v5.11-rc, which Ubuntu's 5.4 kernels carry): the holes before each memory range
    /// of the node clipped to the zone, then up to the zone end's section end, with one
    /// `hole_pfn` shared by every call (so replayed from the first zone of node 0).
    /// `None` outside the 5.4 series.
    pub(crate) fn stable_zone_unavailable(
        &self,
        cfg: &BootConfig<'_>,
        nid: usize,
        zi: usize,
    ) -> Option<u64> {
        if !is_5_4(cfg.log_format) {
            return None;
        }
        let geo = self.geo;
        let mut hole_pfn = 0u64;
        for n in 0..=nid.min(MAX_NUMNODES - 1) {
            for z in 0..self.layout.len() {
                let zone = &self.nodes[n].zones[z];
                if zone.spanned == 0 || !self.online[n] {
                    continue;
                }
                let (rs, re) = (zone.start_pfn, zone.start_pfn + zone.spanned);
                let mut count = 0;
                for r in self.memblock.memory().regions() {
                    let (s, e) = (geo.phys_to_pfn_up(r.base).0, geo.phys_to_pfn(r.end()).0);
                    if s >= e || nid_index(r.nid) != n {
                        continue;
                    }
                    let (s, e) = (s.clamp(rs, re), e.clamp(rs, re));
                    if hole_pfn < s {
                        count += self.count_unavailable(cfg, hole_pfn, s);
                    }
                    hole_pfn = e;
                }
                let end = re.next_multiple_of(geo.pages_per_section());
                if hole_pfn < end {
                    count += self.count_unavailable(cfg, hole_pfn, end);
                }
                if (n, z) == (nid, zi) {
                    return Some(count);
                }
            }
        }
        Some(0)
    }

    /// Cut the machine into [`NodeInitJob`]s (see [`crate::boot::node_init`]), let
    /// `runner` run them, and run any it left undone.
    pub(crate) fn run_node_init(&mut self, runner: &dyn NodeInitRunner) {
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
