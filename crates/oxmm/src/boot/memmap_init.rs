//! `memmap_init` (Linux: mm/mm_init.c): the unavailable-range lines, and the hand-over of
//! the descriptor writes and `memblock_free_all` to the per-node jobs of
//! [`super::node_init`].

use crate::boot::node_init::{
    for_each_memmap_chunk, job_cuts, walk_memmap_init, JobContext, ZoneSpans,
};
use crate::boot::{BootConfig, LogFormat, NodeInitJob, NodeInitRunner};
use crate::memmap::MemMapPart;
use crate::mm::{BootMode, Mm};
use crate::mmzone::Node;
use crate::platform::Platform;
use crate::printk::Log;
use crate::types::MAX_NUMNODES;

impl<P: Platform> Mm<P> {
    /// `memmap_init`'s log: the pages of each hole (`init_unavailable_range`, counting
    /// pages of sections with a memmap). The descriptors themselves are written by the
    /// node jobs ([`Mm::run_node_init`]) from the same walk.
    pub(crate) fn memmap_init(&mut self, cfg: &BootConfig<'_>, log: &mut dyn Log) {
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
