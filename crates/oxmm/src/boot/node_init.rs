//! The memmap writes of `memmap_init` and the freeing of `memblock_free_all`, cut into
//! per-node jobs that may run concurrently (Linux: the per-node `deferred_init_memmap`
//! threads of `CONFIG_DEFERRED_STRUCT_PAGE_INIT`, which print `node N deferred pages
//! initialised in Xms`).
//!
//! Boot computes and prints everything first (serially, in Linux's order); the jobs then
//! only write descriptors, pageblock bits and free lists. A job owns a run of node ids
//! (`&mut` of their [`Node`]s) and a pfn interval of the memory map
//! ([`MemMapPart`]); intervals are cut between memblock regions where every region below
//! belongs to a lower node than every region above, so each node's memory, zones and
//! free blocks lie in its job's interval. Machines whose node ids do not rise with
//! addresses get fewer (in the end one) jobs.
//!
//! The jobs are handed to a [`NodeInitRunner`]; [`SerialRunner`] runs them in order, a
//! hosted runner can run them from `std::thread::scope`.

use crate::boot::zones::nid_index;
use crate::memblock::{free_pages_memory, Memblock};
use crate::memmap::MemMapPart;
use crate::mmzone::{MigrateType, Node, Zone, MAX_NR_ZONES};
use crate::page::PageState;
use crate::types::{PageGeometry, MAX_NUMNODES, MAX_PAGE_ORDER};

/// Populated zones' pfn spans `(start, end)` of every node, copied before the jobs run so
/// that each job can walk the whole machine's layout while others own the nodes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ZoneSpans {
    spans: [[(u64, u64); MAX_NR_ZONES]; MAX_NUMNODES],
    nr_zones: usize,
}

impl ZoneSpans {
    /// The spans of `nodes` (indexed by node id).
    pub(crate) fn of(nodes: &[Node], nr_zones: usize) -> ZoneSpans {
        let mut spans = [[(0, 0); MAX_NR_ZONES]; MAX_NUMNODES];
        for (nid, n) in nodes.iter().enumerate().take(MAX_NUMNODES) {
            for (zi, z) in n.zones.iter().enumerate().take(nr_zones) {
                if z.is_populated() {
                    spans[nid][zi] = (z.start_pfn, z.end_pfn());
                }
            }
        }
        ZoneSpans { spans, nr_zones }
    }
}

/// A range of pfns that `memmap_init` gives one zone and node: memory
/// (`memmap_init_range`) or a hole (`init_unavailable_range`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InitSeg {
    pub start: u64,
    pub end: u64,
    pub nid: usize,
    pub zi: usize,
    pub hole: bool,
}

/// `memmap_init`'s walk: every memory range clipped to each populated zone of its node,
/// the hole before it charged to that zone, and the tail up to the end of the last
/// section charged to the last zone of the last node. Holes are whole (not yet cut to
/// sections with a memmap: see [`for_each_memmap_chunk`]).
pub(crate) fn walk_memmap_init(
    mb: &Memblock,
    geo: PageGeometry,
    spans: &ZoneSpans,
    mut f: impl FnMut(InitSeg),
) {
    let mut hole_pfn = 0u64;
    let mut zone_id = 0usize;
    let mut last_nid = 0usize;
    let mut last_end = 0u64;
    for r in mb.memory().regions() {
        let (s, e) = (geo.phys_to_pfn_up(r.base).0, geo.phys_to_pfn(r.end()).0);
        if s >= e {
            continue;
        }
        let nid = nid_index(r.nid).min(MAX_NUMNODES - 1);
        for zi in 0..spans.nr_zones {
            let (zs, ze) = spans.spans[nid][zi];
            if zs >= ze {
                continue;
            }
            let (cs, ce) = (s.clamp(zs, ze), e.clamp(zs, ze));
            zone_id = zi;
            if cs >= ce {
                continue;
            }
            let mem = InitSeg {
                start: cs,
                end: ce,
                nid,
                zi,
                hole: false,
            };
            f(mem);
            if hole_pfn < cs {
                f(InitSeg {
                    start: hole_pfn,
                    end: cs,
                    hole: true,
                    ..mem
                });
            }
            hole_pfn = ce;
        }
        last_nid = nid;
        last_end = e;
    }
    let end = last_end.next_multiple_of(geo.pages_per_section());
    if hole_pfn < end {
        f(InitSeg {
            start: hole_pfn,
            end,
            nid: last_nid,
            zi: zone_id,
            hole: true,
        });
    }
}

/// The node of present section `sec` (the first memory range touching it, as
/// `memory_present` leaves it), or `None` if it has no memory.
pub(crate) fn section_nid(mb: &Memblock, geo: PageGeometry, sec: u64) -> Option<usize> {
    let shift = geo.pages_per_section().trailing_zeros();
    let (s0, s1) = (sec << shift, (sec + 1) << shift);
    let regions = mb.memory().regions();
    let first = regions.partition_point(|r| geo.phys_to_pfn(r.end()).0 <= s0);
    for r in &regions[first..] {
        let (a, b) = (geo.phys_to_pfn_up(r.base).0, geo.phys_to_pfn(r.end()).0);
        if a >= s1 {
            break;
        }
        if a < b && b > s0 {
            return Some(nid_index(r.nid));
        }
    }
    None
}

/// Call `f(start, end)` for each piece of `[spfn, epfn)` cut at section boundaries whose
/// section has a memmap (`init_unavailable_range` skips pageblocks without one, and
/// sections are whole pageblocks).
pub(crate) fn for_each_memmap_chunk(
    mb: &Memblock,
    geo: PageGeometry,
    spfn: u64,
    epfn: u64,
    mut f: impl FnMut(u64, u64),
) {
    let shift = geo.pages_per_section().trailing_zeros();
    let mut pfn = spfn;
    while pfn < epfn {
        let end = (((pfn >> shift) + 1) << shift).min(epfn);
        if section_nid(mb, geo, pfn >> shift).is_some() {
            f(pfn, end);
        }
        pfn = end;
    }
}

/// Where to cut the machine into jobs: `(pfn cut, first node id of the next job)` pairs
/// in ascending order, at most `MAX_NUMNODES - 1` of them. A cut goes before memory
/// region `i` when every region below it has a lower node id than every region from `i`
/// on; the pfn cut is the end of region `i - 1`.
pub(crate) fn job_cuts(
    mb: &Memblock,
    geo: PageGeometry,
    out: &mut [(u64, usize); MAX_NUMNODES],
) -> usize {
    let regions = mb.memory().regions();
    let pfns = |i: usize| {
        let r = &regions[i];
        (geo.phys_to_pfn_up(r.base).0, geo.phys_to_pfn(r.end()).0)
    };
    let nid = |i: usize| nid_index(regions[i].nid);
    let nonempty = |i: usize| {
        let (s, e) = pfns(i);
        s < e
    };
    let mut n = 0;
    let mut max_below: Option<usize> = None;
    let mut prev_end = 0u64;
    for i in 0..regions.len() {
        if !nonempty(i) {
            continue;
        }
        if let Some(mb_) = max_below.filter(|&m| m < nid(i)) {
            // Only where the node id rises can a cut be valid (then `min_above <= nid(i)`),
            // so the inner scan runs at most once per node change.
            let min_above = (i..regions.len())
                .filter(|&j| nonempty(j))
                .map(nid)
                .min()
                .unwrap_or(usize::MAX);
            if mb_ < min_above && n < out.len() - 1 && min_above < MAX_NUMNODES {
                out[n] = (prev_end, min_above);
                n += 1;
            }
        }
        max_below = Some(max_below.map_or(nid(i), |m| m.max(nid(i))));
        prev_end = pfns(i).1;
    }
    n
}

/// What every job reads: memblock, the geometry and the zone layout of the machine.
#[derive(Debug)]
pub(crate) struct JobContext<'a> {
    pub memblock: &'a Memblock,
    pub geo: PageGeometry,
    pub spans: ZoneSpans,
    pub max_pfn: u64,
    pub full: bool,
}

/// One node group's share of boot: its descriptors (`memmap_init`), pageblock types and
/// free lists (`memblock_free_all`). Obtained from [`crate::mm::Mm::boot_with`] through a
/// [`NodeInitRunner`]; jobs are `Send` and own disjoint state, so they may run on
/// different threads.
///
/// ```
/// fn assert_send<T: Send>() {}
/// assert_send::<oxmm::boot::NodeInitJob<'static>>();
/// ```
#[derive(Debug)]
#[doc(alias = "deferred_init_memmap")]
pub struct NodeInitJob<'a> {
    nodes: &'a mut [Node],
    first_nid: usize,
    part: Option<MemMapPart<'a>>,
    ctx: &'a JobContext<'a>,
    written: u64,
    done: bool,
}

impl<'a> NodeInitJob<'a> {
    pub(crate) fn new(
        nodes: &'a mut [Node],
        first_nid: usize,
        part: Option<MemMapPart<'a>>,
        ctx: &'a JobContext<'a>,
    ) -> Self {
        NodeInitJob {
            nodes,
            first_nid,
            part,
            ctx,
            written: 0,
            done: false,
        }
    }

    /// The node ids this job initialises (`first..end`; memoryless ones do nothing).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, NodeDesc};
    /// # use oxmm::memblock::{Memblock, MemblockFlags};
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # // Two nodes of 32 MiB, node 0 below node 1.
    /// # let mut mb = Memblock::new();
    /// # mb.add_node(PhysAddr(0x1000), (32 << 20) - 0x1000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// # mb.add_node(PhysAddr(32 << 20), 32 << 20, NodeId(1), MemblockFlags::empty()).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let nodes = [NodeDesc { nid: NodeId(0), nr_cpus: 1 }, NodeDesc { nid: NodeId(1), nr_cpus: 0 }];
    /// # cfg.nodes = &nodes;
    /// # let (mem, log) = (Mem(vec![0; (8 << 20) + 512]), &mut oxmm::printk::NullLog);
    /// use oxmm::boot::{NodeInitJob, NodeInitRunner};
    /// use std::cell::RefCell;
    /// struct Record(RefCell<Vec<core::ops::Range<usize>>>);
    /// impl NodeInitRunner for Record {
    ///     fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
    ///         self.0.borrow_mut().extend(jobs.iter().map(|j| j.nids()));
    ///         jobs.iter_mut().for_each(NodeInitJob::run);
    ///     }
    /// }
    /// let r = Record(RefCell::default());
    /// Mm::boot_with(mem, mb, &cfg, BootMode::Full, log, &r).unwrap();
    /// let nids = r.0.into_inner();
    /// assert_eq!(nids.len(), 2); // one job per node
    /// assert_eq!(nids[0], 0..1);
    /// assert_eq!(nids[1].start, 1);
    /// ```
    pub fn nids(&self) -> core::ops::Range<usize> {
        self.first_nid..self.first_nid + self.nodes.len()
    }

    /// The pfn interval of the memory map this job writes.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, NodeDesc};
    /// # use oxmm::memblock::{Memblock, MemblockFlags};
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # // Two nodes of 32 MiB, node 0 below node 1.
    /// # let mut mb = Memblock::new();
    /// # mb.add_node(PhysAddr(0x1000), (32 << 20) - 0x1000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// # mb.add_node(PhysAddr(32 << 20), 32 << 20, NodeId(1), MemblockFlags::empty()).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let nodes = [NodeDesc { nid: NodeId(0), nr_cpus: 1 }, NodeDesc { nid: NodeId(1), nr_cpus: 0 }];
    /// # cfg.nodes = &nodes;
    /// # let (mem, log) = (Mem(vec![0; (8 << 20) + 512]), &mut oxmm::printk::NullLog);
    /// use oxmm::boot::{NodeInitJob, NodeInitRunner};
    /// use std::cell::RefCell;
    /// struct Record(RefCell<Vec<(u64, u64)>>);
    /// impl NodeInitRunner for Record {
    ///     fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
    ///         self.0.borrow_mut().extend(jobs.iter().map(|j| j.pfn_interval()));
    ///         jobs.iter_mut().for_each(NodeInitJob::run);
    ///     }
    /// }
    /// let r = Record(RefCell::default());
    /// Mm::boot_with(mem, mb, &cfg, BootMode::Full, log, &r).unwrap();
    /// let iv = r.0.into_inner();
    /// assert_eq!(iv[0], (0, 0x2000)); // node 0: the first 32 MiB
    /// assert_eq!(iv[1].0, 0x2000); // node 1's job starts where node 0's ends
    /// ```
    pub fn pfn_interval(&self) -> (u64, u64) {
        self.part.as_ref().map_or((0, 0), |p| p.pfn_interval())
    }

    /// Descriptors written so far (0 in a description-only boot).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, NodeDesc};
    /// # use oxmm::memblock::{Memblock, MemblockFlags};
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # // Two nodes of 32 MiB, node 0 below node 1.
    /// # let mut mb = Memblock::new();
    /// # mb.add_node(PhysAddr(0x1000), (32 << 20) - 0x1000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// # mb.add_node(PhysAddr(32 << 20), 32 << 20, NodeId(1), MemblockFlags::empty()).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let nodes = [NodeDesc { nid: NodeId(0), nr_cpus: 1 }, NodeDesc { nid: NodeId(1), nr_cpus: 0 }];
    /// # cfg.nodes = &nodes;
    /// # let (mem, log) = (Mem(vec![0; (8 << 20) + 512]), &mut oxmm::printk::NullLog);
    /// use oxmm::boot::{NodeInitJob, NodeInitRunner};
    /// use std::cell::RefCell;
    /// struct Record(RefCell<Vec<(u64, u64)>>);
    /// impl NodeInitRunner for Record {
    ///     fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
    ///         for j in jobs {
    ///             let before = j.pages_initialised();
    ///             j.run();
    ///             self.0.borrow_mut().push((before, j.pages_initialised()));
    ///         }
    ///     }
    /// }
    /// let r = Record(RefCell::default());
    /// Mm::boot_with(mem, mb, &cfg, BootMode::Full, log, &r).unwrap();
    /// assert!(r.0.into_inner().iter().all(|&(before, after)| before == 0 && after >= 0x1fff));
    /// ```
    pub fn pages_initialised(&self) -> u64 {
        self.written
    }

    /// Whether [`run`](Self::run) has completed.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, NodeDesc};
    /// # use oxmm::memblock::{Memblock, MemblockFlags};
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # // Two nodes of 32 MiB, node 0 below node 1.
    /// # let mut mb = Memblock::new();
    /// # mb.add_node(PhysAddr(0x1000), (32 << 20) - 0x1000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// # mb.add_node(PhysAddr(32 << 20), 32 << 20, NodeId(1), MemblockFlags::empty()).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let nodes = [NodeDesc { nid: NodeId(0), nr_cpus: 1 }, NodeDesc { nid: NodeId(1), nr_cpus: 0 }];
    /// # cfg.nodes = &nodes;
    /// # let (mem, log) = (Mem(vec![0; (8 << 20) + 512]), &mut oxmm::printk::NullLog);
    /// use oxmm::boot::{NodeInitJob, NodeInitRunner};
    /// use std::cell::RefCell;
    /// struct Record(RefCell<Vec<(bool, bool)>>);
    /// impl NodeInitRunner for Record {
    ///     fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
    ///         for j in jobs {
    ///             let before = j.is_done();
    ///             j.run();
    ///             self.0.borrow_mut().push((before, j.is_done()));
    ///         }
    ///     }
    /// }
    /// let r = Record(RefCell::default());
    /// Mm::boot_with(mem, mb, &cfg, BootMode::Full, log, &r).unwrap();
    /// assert_eq!(r.0.into_inner(), [(false, true); 2]);
    /// ```
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Do the job: write this interval's descriptors and pageblock types, then free this
    /// job's nodes' free memory into their zones' lists. Running it twice does nothing
    /// the second time.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, NodeDesc};
    /// # use oxmm::memblock::{Memblock, MemblockFlags};
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # // Two nodes of 32 MiB, node 0 below node 1.
    /// # let mut mb = Memblock::new();
    /// # mb.add_node(PhysAddr(0x1000), (32 << 20) - 0x1000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// # mb.add_node(PhysAddr(32 << 20), 32 << 20, NodeId(1), MemblockFlags::empty()).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let nodes = [NodeDesc { nid: NodeId(0), nr_cpus: 1 }, NodeDesc { nid: NodeId(1), nr_cpus: 0 }];
    /// # cfg.nodes = &nodes;
    /// # let (mem, log) = (Mem(vec![0; (8 << 20) + 512]), &mut oxmm::printk::NullLog);
    /// use oxmm::boot::{NodeInitJob, NodeInitRunner};
    /// use std::cell::RefCell;
    /// /// Runs every job twice.
    /// struct Twice(RefCell<Vec<(u64, u64)>>);
    /// impl NodeInitRunner for Twice {
    ///     fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
    ///         for j in jobs {
    ///             j.run();
    ///             let first = j.pages_initialised();
    ///             j.run(); // does nothing
    ///             self.0.borrow_mut().push((first, j.pages_initialised()));
    ///         }
    ///     }
    /// }
    /// let r = Twice(RefCell::default());
    /// let mm = Mm::boot_with(mem, mb, &cfg, BootMode::Full, log, &r).unwrap();
    /// assert!(r.0.into_inner().iter().all(|&(first, second)| first > 0 && first == second));
    /// assert!(mm.nr_free_pages() > 0x3000); // the jobs freed the two nodes' memory
    /// ```
    pub fn run(&mut self) {
        if self.done {
            return;
        }
        if self.ctx.full {
            self.memmap_init();
        }
        self.free_all();
        self.done = true;
    }

    fn owns(&self, nid: usize) -> bool {
        self.nids().contains(&nid)
    }

    /// Write the descriptors of one init segment clipped to this job's interval: zone,
    /// node, refcount 1, Reserved until freed; pageblocks starting in memory become
    /// Movable.
    fn memmap_init(&mut self) {
        let ctx = self.ctx;
        let Some(part) = self.part.as_mut() else {
            return;
        };
        let (lo, hi) = part.pfn_interval();
        let shift = ctx.geo.pages_per_section().trailing_zeros();
        let nodes = &mut *self.nodes;
        let first = self.first_nid;
        let mut written = 0u64;
        let mut fill = |part: &mut MemMapPart<'_>, s: u64, e: u64, tmpl: PageState| {
            let (s, e) = (s.max(lo), e.min(hi));
            let mut pfn = s;
            while pfn < e {
                let end = (((pfn >> shift) + 1) << shift).min(e);
                if part.fill(pfn, end - pfn, tmpl) {
                    written += end - pfn;
                }
                pfn = end;
            }
        };
        walk_memmap_init(ctx.memblock, ctx.geo, &ctx.spans, |seg| {
            if seg.end <= lo || seg.start >= hi {
                return;
            }
            let mut tmpl = PageState::init_single(seg.zi, seg.nid as u16);
            tmpl.set_reserved();
            if seg.hole {
                for_each_memmap_chunk(ctx.memblock, ctx.geo, seg.start, seg.end, |s, e| {
                    fill(part, s, e, tmpl)
                });
                return;
            }
            fill(part, seg.start, seg.end, tmpl);
            // Memory segments lie inside their region, so inside the job of their node.
            let Some(node) = seg.nid.checked_sub(first).and_then(|i| nodes.get(i)) else {
                return;
            };
            let zone = &node.zones[seg.zi];
            let pb = ctx.geo.pageblock_nr_pages();
            let mut pfn = seg.start.next_multiple_of(pb);
            while pfn < seg.end {
                set_pageblock_migratetype(part, zone, ctx.geo, pfn, MigrateType::Movable);
                pfn += pb;
            }
        });
        self.written += written;
    }

    /// `memblock_free_all` for this job's nodes: managed pages reset and recounted; each
    /// free range (memory minus reserved, below `max_pfn`) is cut at zone boundaries,
    /// merged with an adjacent range of the same zone (as the buddy allocator's merging
    /// would), and handed over in maximal aligned blocks (`__free_pages_memory`) at the
    /// tail of the lists of its pageblock's type.
    fn free_all(&mut self) {
        for n in self.nodes.iter_mut() {
            for z in n.zones.iter_mut() {
                z.managed = 0;
            }
        }
        let ctx = self.ctx;
        let geo = ctx.geo;
        let mut pending: Option<(usize, usize, u64, u64)> = None;
        for (s, e, n) in ctx.memblock.free_ranges(None) {
            let nid = nid_index(n);
            if !self.owns(nid) {
                continue;
            }
            let (mut s, e) = (
                geo.phys_to_pfn_up(s).0,
                geo.phys_to_pfn(e).0.min(ctx.max_pfn),
            );
            while s < e {
                let node = &self.nodes[nid - self.first_nid];
                let Some(zi) = zone_of(node, s) else {
                    // Memory outside every zone (arch limits below max_pfn) stays
                    // reserved: skip to the next zone start above `s`.
                    s = node
                        .zones
                        .iter()
                        .filter(|z| z.is_populated() && z.start_pfn > s)
                        .map(|z| z.start_pfn)
                        .min()
                        .unwrap_or(e);
                    continue;
                };
                let ze = node.zones[zi].end_pfn().min(e);
                match pending {
                    Some((pn, pz, ps, pe)) if pn == nid && pz == zi && pe == s => {
                        pending = Some((pn, pz, ps, ze));
                    }
                    _ => {
                        if let Some(p) = pending {
                            self.free_range(p);
                        }
                        pending = Some((nid, zi, s, ze));
                    }
                }
                s = ze;
            }
        }
        if let Some(p) = pending {
            self.free_range(p);
        }
    }

    fn free_range(&mut self, (nid, zi, s, e): (usize, usize, u64, u64)) {
        let (geo, full) = (self.ctx.geo, self.ctx.full);
        let zone = &mut self.nodes[nid - self.first_nid].zones[zi];
        let mut part = self.part.as_mut();
        let written = &mut self.written;
        free_pages_memory(s, e, MAX_PAGE_ORDER, |pfn, order| {
            *written += free_block_boot(zone, part.as_deref_mut(), geo, full, pfn, order, None);
        });
    }
}

/// Runs boot's [`NodeInitJob`]s.
///
/// ```
/// use oxmm::boot::{NodeInitJob, NodeInitRunner};
/// /// Runs each job on its own scoped thread.
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
/// ```
pub trait NodeInitRunner {
    /// Call [`NodeInitJob::run`] on every job, in any order and possibly concurrently;
    /// return when all have finished. Boot runs any job left undone itself afterwards.
    fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]);
}

/// Runs the jobs one after another on the calling thread.
///
/// ```
/// use oxmm::boot::{NodeInitRunner, SerialRunner};
/// SerialRunner.run_jobs(&mut []);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SerialRunner;

impl NodeInitRunner for SerialRunner {
    fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
        for j in jobs {
            j.run();
        }
    }
}

/// The zone index of `node` whose span holds memory pfn `pfn`.
pub(crate) fn zone_of(node: &Node, pfn: u64) -> Option<usize> {
    // With kernelcore=mirror Normal and Movable overlap; Movable wins above its start.
    node.zones
        .iter()
        .rev()
        .find(|z| z.is_populated() && z.spans_pfn(pfn))
        .map(|z| z.idx())
}

/// Pageblock number of `pfn` within `zone`'s bitmap.
fn block_of(zone: &Zone, geo: PageGeometry, pfn: u64) -> Option<u64> {
    let o = geo.pageblock_order();
    (pfn >> o).checked_sub(zone.start_pfn >> o)
}

/// `set_pageblock_migratetype` on a zone held exclusively.
pub(crate) fn set_pageblock_migratetype(
    part: &mut MemMapPart<'_>,
    zone: &Zone,
    geo: PageGeometry,
    pfn: u64,
    mt: MigrateType,
) -> bool {
    block_of(zone, geo, pfn)
        .is_some_and(|b| part.set_pageblock_bits(zone.usemap, zone.usemap_bytes, b, mt as u8))
}

/// Put a free block at the tail of its list and count it; with a memory map (Full mode)
/// also write the descriptors: Reserved cleared, refcount 0, head marked buddy with its
/// order (`__free_pages_core` + `__free_one_page` at boot, where no buddy is free yet
/// to merge with). Returns the descriptors written.
pub(crate) fn free_block_boot(
    zone: &mut Zone,
    part: Option<&mut MemMapPart<'_>>,
    geo: PageGeometry,
    full: bool,
    pfn: u64,
    order: u32,
    mt: Option<MigrateType>,
) -> u64 {
    let nr = 1u64 << order;
    let mut written = 0;
    let mt = mt
        .or_else(|| {
            let b = block_of(zone, geo, pfn)?;
            let bits = part
                .as_ref()?
                .pageblock_bits(zone.usemap, zone.usemap_bytes, b)?;
            MigrateType::from_u8(bits & 0x7)
        })
        .unwrap_or(MigrateType::Movable);
    if let (true, Some(part)) = (full, part) {
        let shift = geo.pages_per_section().trailing_zeros();
        let tmpl = {
            let mut t = PageState::init_single(zone.idx(), zone.nid().0);
            t.refcount = 0;
            t
        };
        let mut p = pfn;
        while p < pfn + nr {
            let end = (((p >> shift) + 1) << shift).min(pfn + nr);
            // Written sequentially a section chunk at a time.
            if part.fill(p, end - p, tmpl) {
                written += end - p;
            }
            p = end;
        }
        let Some(idx) = part.index_of(pfn) else {
            return written;
        };
        let list = &zone.free_area[order as usize].free_list[mt as usize];
        // The part owns every descriptor the list links (its zone's memory).
        if part.link_tail(list, idx) {
            part.update(idx, |d| d.set_buddy(order));
        }
    }
    zone.free_area[order as usize].add_nr_free(1);
    zone.managed += nr;
    zone.account_freepages(nr as i64, mt);
    written
}
