//! Zone boundaries, `ZONE_MOVABLE` placement and per-node zone spans (Linux:
//! `free_area_init`, `find_zone_movable_pfns_for_nodes`, `zone_spanned_pages_in_node`,
//! `zone_absent_pages_in_node`, mm/mm_init.c).

use super::{BootConfig, BootError, CoreSize};
use crate::memblock::Memblock;
use crate::mmzone::{ZoneLayout, ZoneType, MAX_NR_ZONES};
use crate::types::{NodeId, PageGeometry, MAX_NUMNODES, MAX_PAGE_ORDER};

/// `MAX_ORDER_NR_PAGES`.
const MAX_ORDER_NR_PAGES: u64 = 1 << MAX_PAGE_ORDER;

/// Node id of a memblock region; `NUMA_NO_NODE` counts as node 0 (as on a non-NUMA
/// kernel).
pub(crate) fn nid_index(nid: Option<NodeId>) -> usize {
    nid.map_or(0, |n| n.0 as usize)
}

/// `arch_zone_lowest_possible_pfn[]` / `arch_zone_highest_possible_pfn[]`, by zone index.
///
/// ```
/// use oxmm::boot::{ArchZoneRanges, ZoneLimits};
/// use oxmm::mmzone::{ZoneLayout, ZoneType};
/// let mut l = ZoneLimits::default();
/// l.set(ZoneType::Dma, 0x1000);
/// l.set(ZoneType::Dma32, 0x100000);
/// l.set(ZoneType::Normal, 0x110000);
/// let r = ArchZoneRanges::new(ZoneLayout::X86_64, &l, 1).unwrap();
/// assert_eq!((r.lowest[0], r.highest[0]), (1, 0x1000));
/// assert_eq!((r.lowest[2], r.highest[2]), (0x100000, 0x110000));
/// assert!(r.is_empty(3) && r.is_empty(4)); // Movable, Device
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchZoneRanges {
    /// Lowest pfn of each zone index (inclusive).
    pub lowest: [u64; MAX_NR_ZONES],
    /// Highest pfn of each zone index (exclusive).
    pub highest: [u64; MAX_NR_ZONES],
}

impl ArchZoneRanges {
    /// Zone i starts where zone i−1 ended, the first at `start_pfn` (the lowest memory
    /// pfn); its end is `max(limit, start)`. Movable is skipped (left empty).
    ///
    /// ```
    /// use oxmm::boot::{ArchZoneRanges, BootError, ZoneLimits};
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// let mut l = ZoneLimits::default();
    /// l.set(ZoneType::Dma, 0x1000);
    /// l.set(ZoneType::Dma32, 0x10_0000);
    /// let r = ArchZoneRanges::new(ZoneLayout::X86_64, &l, 0x100).unwrap();
    /// assert_eq!((r.lowest[0], r.lowest[1], r.highest[1]), (0x100, 0x1000, 0x10_0000));
    /// l.set(ZoneType::Dma32, 0x800); // below DMA's limit
    /// let e = ArchZoneRanges::new(ZoneLayout::X86_64, &l, 0x100).unwrap_err();
    /// assert!(matches!(e, BootError::ZoneLimitsNotIncreasing { zone: ZoneType::Dma32, .. }));
    /// ```
    pub fn new(
        layout: ZoneLayout,
        limits: &super::ZoneLimits,
        start_pfn: u64,
    ) -> Result<Self, BootError> {
        let mut r = ArchZoneRanges {
            lowest: [0; MAX_NR_ZONES],
            highest: [0; MAX_NR_ZONES],
        };
        let mut prev: Option<(ZoneType, u64)> = None;
        let mut start = start_pfn;
        for (i, &t) in layout.zones().iter().enumerate() {
            if t == ZoneType::Movable {
                continue;
            }
            let limit = limits.get(t);
            if let (Some(l), Some((pt, pl))) = (limit, prev) {
                if l < pl {
                    return Err(BootError::ZoneLimitsNotIncreasing {
                        zone: t,
                        limit: l,
                        below: pt,
                        below_limit: pl,
                    });
                }
            }
            if let Some(l) = limit {
                prev = Some((t, l));
            }
            let end = limit.unwrap_or(0).max(start);
            r.lowest[i] = start;
            r.highest[i] = end;
            start = end;
        }
        Ok(r)
    }

    /// Whether zone index `i` has no possible pfns.
    ///
    /// ```
    /// use oxmm::boot::{ArchZoneRanges, ZoneLimits};
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// let mut l = ZoneLimits::default();
    /// l.set(ZoneType::Dma, 0x1000);
    /// l.set(ZoneType::Dma32, 0x4_0000); // 1 GiB of RAM: nothing above DMA32
    /// l.set(ZoneType::Normal, 0x4_0000);
    /// let r = ArchZoneRanges::new(ZoneLayout::X86_64, &l, 1).unwrap();
    /// assert!(!r.is_empty(0) && !r.is_empty(1));
    /// assert!(r.is_empty(2)); // Normal
    /// ```
    pub fn is_empty(&self, i: usize) -> bool {
        self.lowest[i] == self.highest[i]
    }
}

/// Where `ZONE_MOVABLE` starts on each node (Linux: `zone_movable_pfn[]`, 0 = none),
/// the zone it is carved from (`movable_zone`) and whether `kernelcore=mirror` is in
/// effect (`mirrored_kernelcore`).
///
/// ```
/// let m = oxmm::boot::MovableInfo::default();
/// assert!(m.zone_movable_pfn.iter().all(|&p| p == 0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovableInfo {
    /// `zone_movable_pfn[nid]`.
    pub zone_movable_pfn: [u64; MAX_NUMNODES],
    /// `movable_zone`: index of the highest non-empty zone below Movable.
    pub movable_zone: usize,
    /// `mirrored_kernelcore`.
    pub mirrored: bool,
}

impl Default for MovableInfo {
    fn default() -> Self {
        MovableInfo {
            zone_movable_pfn: [0; MAX_NUMNODES],
            movable_zone: 0,
            mirrored: false,
        }
    }
}

/// `get_pfn_range_for_nid`: lowest start and highest end pfn of the node's memory
/// (`(0, 0)` for a memoryless node).
///
/// ```
/// use oxmm::boot::pfn_range_for_nid;
/// use oxmm::memblock::{Memblock, MemblockFlags};
/// use oxmm::types::{NodeId, PageGeometry, PhysAddr};
/// let mut mb = Memblock::new();
/// mb.add_node(PhysAddr(0x1000), 0x3000, NodeId(0), MemblockFlags::empty()).unwrap();
/// mb.add_node(PhysAddr(0x8000), 0x8000, NodeId(1), MemblockFlags::empty()).unwrap();
/// let geo = PageGeometry::default();
/// assert_eq!(pfn_range_for_nid(&mb, geo, 1), (8, 16));
/// assert_eq!(pfn_range_for_nid(&mb, geo, 2), (0, 0)); // memoryless
/// ```
pub fn pfn_range_for_nid(mb: &Memblock, geo: PageGeometry, nid: usize) -> (u64, u64) {
    let mut start = u64::MAX;
    let mut end = 0;
    for (s, e, n) in mb.mem_pfn_ranges(geo, None) {
        if nid_index(n) != nid {
            continue;
        }
        start = start.min(s);
        end = end.max(e);
    }
    if start == u64::MAX {
        (0, 0)
    } else {
        (start, end)
    }
}

fn mem_ranges_of(
    mb: &Memblock,
    geo: PageGeometry,
    nid: usize,
) -> impl Iterator<Item = (u64, u64)> + '_ {
    mb.mem_pfn_ranges(geo, None)
        .filter(move |&(_, _, n)| nid_index(n) == nid)
        .map(|(s, e, _)| (s, e))
}

/// `__absent_pages_in_range(nid, start, end)`: pfns of `[start, end)` not in node
/// `nid`'s memory.
///
/// ```
/// use oxmm::boot::absent_pages_in_range;
/// use oxmm::memblock::Memblock;
/// use oxmm::types::{PageGeometry, PhysAddr};
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0x1000), 0x9e000).unwrap(); // up to 640K
/// mb.add(PhysAddr(0x10_0000), 0xf0_0000).unwrap(); // 1M..16M
/// let geo = PageGeometry::default();
/// assert_eq!(absent_pages_in_range(&mb, geo, 0, 1, 0x1000), 97); // the ISA hole
/// assert_eq!(absent_pages_in_range(&mb, geo, 0, 0, 0x1000), 98); // and pfn 0
/// assert_eq!(absent_pages_in_range(&mb, geo, 1, 0, 0x1000), 0x1000); // no node 1
/// ```
pub fn absent_pages_in_range(
    mb: &Memblock,
    geo: PageGeometry,
    nid: usize,
    start: u64,
    end: u64,
) -> u64 {
    let mut absent = end.saturating_sub(start);
    for (s, e) in mem_ranges_of(mb, geo, nid) {
        let s = s.clamp(start, end);
        let e = e.clamp(start, end);
        absent -= e - s;
    }
    absent
}

/// `find_zone_movable_pfns_for_nodes`: Linux's algorithm, including the even spreading
/// of `kernelcore` across nodes, the restarts with one node fewer, `movablecore`,
/// percentages, `kernelcore=mirror` and `movable_node`.
///
/// ```
/// use oxmm::boot::{find_zone_movable_pfns_for_nodes, Arch, ArchZoneRanges, BootConfig, CoreSize};
/// # use oxmm::memblock::Memblock;
/// # use oxmm::mmzone::ZoneType;
/// # use oxmm::types::PhysAddr;
/// # let mut mb = Memblock::new();
/// # mb.add(PhysAddr(0), 1 << 30).unwrap();
/// let mut cfg = BootConfig::new(Arch::X86_64);
/// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
/// # cfg.zone_limits.set(ZoneType::Dma32, 0x10_0000);
/// # cfg.zone_limits.set(ZoneType::Normal, 0x10_0000);
/// let r = ArchZoneRanges::new(cfg.zone_layout, &cfg.zone_limits, 0).unwrap();
/// let mv = find_zone_movable_pfns_for_nodes(&mb, &cfg, cfg.zone_layout, &r);
/// assert_eq!(mv.zone_movable_pfn[0], 0); // no kernelcore=: no Movable
/// cfg.kernelcore = Some(CoreSize::Bytes(256 << 20)); // of 1 GiB
/// let mv = find_zone_movable_pfns_for_nodes(&mb, &cfg, cfg.zone_layout, &r);
/// assert_eq!(mv.movable_zone, 1); // carved from DMA32
/// assert_eq!(mv.zone_movable_pfn[0], 0x1_0000); // from 256 MiB up
/// ```
pub fn find_zone_movable_pfns_for_nodes(
    mb: &Memblock,
    cfg: &BootConfig<'_>,
    layout: ZoneLayout,
    ranges: &ArchZoneRanges,
) -> MovableInfo {
    let geo = cfg.geometry;
    let mut info = MovableInfo::default();
    // find_usable_zone_for_movable: highest non-empty zone other than Movable.
    let movable_idx = layout.index_of(ZoneType::Movable);
    info.movable_zone = (0..layout.len())
        .rev()
        .find(|&i| Some(i) != movable_idx && ranges.highest[i] > ranges.lowest[i])
        .unwrap_or(0);
    if movable_idx.is_none() {
        return info;
    }

    // early_calculate_totalpages and N_MEMORY.
    let mut totalpages = 0u64;
    let mut has_memory = [false; MAX_NUMNODES];
    for (s, e, n) in mb.mem_pfn_ranges(geo, None) {
        totalpages += e - s;
        if e > s {
            has_memory[nid_index(n).min(MAX_NUMNODES - 1)] = true;
        }
    }
    let memory_nodes = || (0..MAX_NUMNODES).filter(|&n| has_memory[n]);
    let zmp = &mut info.zone_movable_pfn;

    let align_out = |zmp: &mut [u64; MAX_NUMNODES]| {
        for nid in memory_nodes() {
            zmp[nid] = zmp[nid].next_multiple_of(MAX_ORDER_NR_PAGES);
            let (_, end) = pfn_range_for_nid(mb, geo, nid);
            if zmp[nid] >= end {
                zmp[nid] = 0;
            }
        }
    };
    let set_min = |zmp: &mut [u64; MAX_NUMNODES], nid: usize, pfn: u64| {
        zmp[nid] = if zmp[nid] != 0 {
            zmp[nid].min(pfn)
        } else {
            pfn
        };
    };

    if cfg.movable_node {
        for r in mb.memory().regions() {
            if !r.flags.contains(crate::memblock::MemblockFlags::HOTPLUG) {
                continue;
            }
            set_min(zmp, nid_index(r.nid), geo.phys_to_pfn(r.base).0);
        }
        align_out(zmp);
        return info;
    }

    if cfg.kernelcore == Some(CoreSize::Mirror) {
        let has_mirror = mb
            .memory()
            .regions()
            .iter()
            .any(|r| r.flags.contains(crate::memblock::MemblockFlags::MIRROR));
        if !has_mirror {
            // "The system has no mirror memory, ignore kernelcore=mirror."
            return info;
        }
        info.mirrored = true;
        let four_g = (4u64 << 30) >> geo.shift();
        for r in mb.memory().regions() {
            if r.flags.contains(crate::memblock::MemblockFlags::MIRROR) {
                continue;
            }
            let start = geo.phys_to_pfn_up(r.base).0;
            if start < four_g {
                continue;
            }
            set_min(zmp, nid_index(r.nid), start);
        }
        align_out(zmp);
        return info;
    }

    let bytes_to_pages = |b: u64| b >> geo.shift();
    let mut required_kernelcore = 0u64;
    let mut required_movablecore = 0u64;
    match cfg.kernelcore {
        Some(CoreSize::Bytes(b)) => required_kernelcore = bytes_to_pages(b),
        Some(CoreSize::Percent(p)) => {
            required_kernelcore = (totalpages as u128 * 100 * p.min(100) as u128 / 10000) as u64
        }
        _ => {}
    }
    match cfg.movablecore {
        Some(CoreSize::Bytes(b)) => required_movablecore = bytes_to_pages(b),
        Some(CoreSize::Percent(p)) => {
            required_movablecore = (totalpages as u128 * 100 * p.min(100) as u128 / 10000) as u64
        }
        _ => {}
    }
    if required_movablecore != 0 {
        required_movablecore = required_movablecore
            .next_multiple_of(MAX_ORDER_NR_PAGES)
            .min(totalpages);
        let corepages = totalpages - required_movablecore;
        required_kernelcore = required_kernelcore.max(corepages);
    }
    if required_kernelcore == 0 || required_kernelcore >= totalpages {
        return info;
    }

    let usable_startpfn = ranges.lowest[info.movable_zone];
    let mut usable_nodes = memory_nodes().count() as u64;
    loop {
        let mut kernelcore_node = required_kernelcore / usable_nodes;
        for nid in memory_nodes() {
            if required_kernelcore < kernelcore_node {
                kernelcore_node = required_kernelcore / usable_nodes;
            }
            let mut kernelcore_remaining = kernelcore_node;
            for (start, end) in mem_ranges_of(mb, geo, nid) {
                let mut start_pfn = start.max(zmp[nid]);
                if start_pfn >= end {
                    continue;
                }
                if start_pfn < usable_startpfn {
                    let kernel_pages = end.min(usable_startpfn) - start_pfn;
                    kernelcore_remaining -= kernel_pages.min(kernelcore_remaining);
                    required_kernelcore -= kernel_pages.min(required_kernelcore);
                    if end <= usable_startpfn {
                        zmp[nid] = end;
                        continue;
                    }
                    start_pfn = usable_startpfn;
                }
                let size_pages = (end - start_pfn).min(kernelcore_remaining);
                zmp[nid] = start_pfn + size_pages;
                required_kernelcore -= required_kernelcore.min(size_pages);
                kernelcore_remaining -= size_pages;
                if kernelcore_remaining == 0 {
                    break;
                }
            }
        }
        usable_nodes -= 1;
        if !(usable_nodes != 0 && required_kernelcore > usable_nodes) {
            break;
        }
    }
    align_out(zmp);
    info
}

/// Start and end pfn of zone index `zi` on a node spanning `[node_start, node_end)`
/// (`zone_spanned_pages_in_node` with `adjust_zone_range_for_zone_movable`); the span
/// is `end - start`.
///
/// ```
/// use oxmm::boot::{zone_span_in_node, ArchZoneRanges, MovableInfo, ZoneLimits};
/// use oxmm::mmzone::{ZoneLayout, ZoneType};
/// # let mut l = ZoneLimits::default();
/// # l.set(ZoneType::Dma, 0x1000);
/// # l.set(ZoneType::Dma32, 0x10_0000);
/// # l.set(ZoneType::Normal, 0x10_0000);
/// let (lay, r) = (ZoneLayout::X86_64, ArchZoneRanges::new(ZoneLayout::X86_64, &l, 0).unwrap());
/// let none = MovableInfo::default();
/// assert_eq!(zone_span_in_node(lay, &r, &none, 0, 1, 0, 0x4_0000), (0x1000, 0x4_0000));
/// let mut mv = MovableInfo { movable_zone: 1, ..MovableInfo::default() };
/// mv.zone_movable_pfn[0] = 0x1_0000;
/// assert_eq!(zone_span_in_node(lay, &r, &mv, 0, 1, 0, 0x4_0000), (0x1000, 0x1_0000));
/// assert_eq!(zone_span_in_node(lay, &r, &mv, 0, 3, 0, 0x4_0000), (0x1_0000, 0x4_0000));
/// ```
pub fn zone_span_in_node(
    layout: ZoneLayout,
    ranges: &ArchZoneRanges,
    mv: &MovableInfo,
    nid: usize,
    zi: usize,
    node_start: u64,
    node_end: u64,
) -> (u64, u64) {
    let (low, high) = (ranges.lowest[zi], ranges.highest[zi]);
    let mut zs = node_start.clamp(low, high);
    let mut ze = node_end.clamp(low, high);
    let zmp = mv.zone_movable_pfn[nid];
    if zmp != 0 {
        if Some(zi) == layout.index_of(ZoneType::Movable) {
            zs = zmp;
            ze = node_end.min(ranges.highest[mv.movable_zone]);
        } else if !mv.mirrored && zs < zmp && ze > zmp {
            ze = zmp;
        } else if zs >= zmp {
            zs = ze;
        }
    }
    if ze < node_start || zs > node_end {
        return (0, 0);
    }
    let ze = ze.min(node_end);
    let zs = zs.max(node_start);
    if ze <= zs {
        return (zs, zs);
    }
    (zs, ze)
}

/// `zone_absent_pages_in_node`, with the mirror accounting of `kernelcore=mirror`.
///
/// ```
/// use oxmm::boot::{zone_absent_in_node, MovableInfo};
/// use oxmm::memblock::Memblock;
/// use oxmm::mmzone::ZoneLayout;
/// use oxmm::types::{PageGeometry, PhysAddr};
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0x1000), 0x9e000).unwrap();
/// mb.add(PhysAddr(0x10_0000), 0xf0_0000).unwrap();
/// let (geo, mv) = (PageGeometry::default(), MovableInfo::default());
/// // DMA spans pfns [1, 0x1000): 4095 spanned, 3998 present.
/// assert_eq!(zone_absent_in_node(&mb, geo, ZoneLayout::X86_64, &mv, 0, 0, 1, 0x1000), 97);
/// assert_eq!(zone_absent_in_node(&mb, geo, ZoneLayout::X86_64, &mv, 0, 0, 5, 5), 0);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn zone_absent_in_node(
    mb: &Memblock,
    geo: PageGeometry,
    layout: ZoneLayout,
    mv: &MovableInfo,
    nid: usize,
    zi: usize,
    zs: u64,
    ze: u64,
) -> u64 {
    if zs == ze {
        return 0;
    }
    let mut absent = absent_pages_in_range(mb, geo, nid, zs, ze);
    if mv.mirrored && mv.zone_movable_pfn[nid] != 0 {
        let t = layout.zones()[zi];
        for r in mb.memory().regions() {
            let s = geo.phys_to_pfn_up(r.base).0.clamp(zs, ze);
            let e = geo.phys_to_pfn(r.end()).0.clamp(zs, ze);
            if e <= s {
                continue;
            }
            let mirror = r.flags.contains(crate::memblock::MemblockFlags::MIRROR);
            if (t == ZoneType::Movable && mirror) || (t == ZoneType::Normal && !mirror) {
                absent += e - s;
            }
        }
    }
    absent
}
