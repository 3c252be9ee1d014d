//! Walking memblock: free ranges (memory minus reserved), memory pfn ranges, and
//! point queries (Linux: `__next_mem_range`, `__next_mem_range_rev`,
//! `__next_mem_pfn_range`, `memblock_is_memory`, ...).

use super::{Memblock, MemblockFlags, MemblockRegion, MemblockType};
use crate::types::{NodeId, PageGeometry, PhysAddr, PHYS_ADDR_MAX};

/// `should_skip_region` for the `memory` array.
fn should_skip(m: &MemblockRegion, nid: Option<NodeId>, flags: MemblockFlags) -> bool {
    if nid.is_some() && nid != m.nid {
        return true;
    }
    // Hotplug memory is skipped only with `movable_node`, which is not modelled.
    if flags.contains(MemblockFlags::MIRROR) && !m.flags.contains(MemblockFlags::MIRROR) {
        return true;
    }
    !flags.contains(MemblockFlags::NOMAP) && m.flags.contains(MemblockFlags::NOMAP)
}

/// The `idx_b`-th gap of `reserved`: before region 0, between regions, after the last.
fn gap(reserved: &MemblockType, idx_b: usize) -> (u64, u64) {
    let r = reserved.regions();
    let start = if idx_b == 0 { 0 } else { r[idx_b - 1].end().0 };
    let end = if idx_b < r.len() {
        r[idx_b].base.0
    } else {
        PHYS_ADDR_MAX
    };
    (start, end)
}

/// Free ranges in ascending order (Linux: `for_each_free_mem_range`): the parts of
/// memory regions not covered by reserved ones, `[start, end)` with the memory
/// region's node. Built by [`Memblock::free_ranges`].
///
/// ```
/// use oxmm::memblock::Memblock;
/// use oxmm::types::PhysAddr;
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0), 0x4000).unwrap();
/// mb.reserve(PhysAddr(0x1000), 0x1000).unwrap();
/// let v: Vec<_> = mb.free_ranges(None).map(|(s, e, _)| (s.0, e.0)).collect();
/// assert_eq!(v, [(0, 0x1000), (0x2000, 0x4000)]);
/// ```
#[derive(Clone, Debug)]
pub struct FreeRanges<'a> {
    mb: &'a Memblock,
    nid: Option<NodeId>,
    flags: MemblockFlags,
    idx_a: usize,
    idx_b: usize,
}

impl Iterator for FreeRanges<'_> {
    type Item = (PhysAddr, PhysAddr, Option<NodeId>);

    fn next(&mut self) -> Option<Self::Item> {
        let (mem, rsv) = (self.mb.memory(), self.mb.reserved());
        while self.idx_a < mem.cnt() {
            let m = mem.regions()[self.idx_a];
            if should_skip(&m, self.nid, self.flags) {
                self.idx_a += 1;
                continue;
            }
            let (m_start, m_end) = (m.base.0, m.end().0);
            while self.idx_b < rsv.cnt() + 1 {
                let (r_start, r_end) = gap(rsv, self.idx_b);
                if r_start >= m_end {
                    break;
                }
                if m_start < r_end {
                    // The range that ends first advances.
                    if m_end <= r_end {
                        self.idx_a += 1;
                    } else {
                        self.idx_b += 1;
                    }
                    return Some((
                        PhysAddr(m_start.max(r_start)),
                        PhysAddr(m_end.min(r_end)),
                        m.nid,
                    ));
                }
                self.idx_b += 1;
            }
            self.idx_a += 1;
        }
        None
    }
}

/// Free ranges in descending order (Linux: `for_each_free_mem_range_reverse`), used
/// by top-down allocation.
#[derive(Clone, Debug)]
pub(crate) struct FreeRangesRev<'a> {
    mb: &'a Memblock,
    nid: Option<NodeId>,
    flags: MemblockFlags,
    /// Memory index + 1 (0 = done).
    idx_a: usize,
    /// Gap index + 1 (0 = before the first gap).
    idx_b: usize,
}

impl Iterator for FreeRangesRev<'_> {
    type Item = (u64, u64, Option<NodeId>);

    fn next(&mut self) -> Option<Self::Item> {
        let (mem, rsv) = (self.mb.memory(), self.mb.reserved());
        while self.idx_a > 0 {
            let m = mem.regions()[self.idx_a - 1];
            if should_skip(&m, self.nid, self.flags) {
                self.idx_a -= 1;
                continue;
            }
            let (m_start, m_end) = (m.base.0, m.end().0);
            while self.idx_b > 0 {
                let (r_start, r_end) = gap(rsv, self.idx_b - 1);
                if r_end <= m_start {
                    break;
                }
                if m_end > r_start {
                    // The range that starts last moves back.
                    if m_start >= r_start {
                        self.idx_a -= 1;
                    } else {
                        self.idx_b -= 1;
                    }
                    return Some((m_start.max(r_start), m_end.min(r_end), m.nid));
                }
                self.idx_b -= 1;
            }
            self.idx_a -= 1;
        }
        None
    }
}

/// Memory ranges as page frame numbers (Linux: `for_each_mem_pfn_range`):
/// `(PFN_UP(base), PFN_DOWN(end), nid)`, ranges without a whole page skipped. Built by
/// [`Memblock::mem_pfn_ranges`].
///
/// ```
/// use oxmm::memblock::Memblock;
/// use oxmm::types::{PageGeometry, PhysAddr};
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0x800), 0x2000).unwrap();
/// let v: Vec<_> = mb.mem_pfn_ranges(PageGeometry::default(), None).collect();
/// assert_eq!(v, [(1, 2, None)]);
/// ```
#[derive(Clone, Debug)]
pub struct MemPfnRanges<'a> {
    regions: core::slice::Iter<'a, MemblockRegion>,
    geo: PageGeometry,
    nid: Option<NodeId>,
}

impl Iterator for MemPfnRanges<'_> {
    type Item = (u64, u64, Option<NodeId>);

    fn next(&mut self) -> Option<Self::Item> {
        for r in self.regions.by_ref() {
            let start = self.geo.phys_to_pfn_up(r.base).0;
            let end = self.geo.phys_to_pfn(r.end()).0;
            if start >= end {
                continue;
            }
            if self.nid.is_some() && self.nid != r.nid {
                continue;
            }
            return Some((start, end, r.nid));
        }
        None
    }
}

impl Memblock {
    /// Memory regions as pfn ranges, optionally only node `nid` (Linux:
    /// `for_each_mem_pfn_range`; `None` is `MAX_NUMNODES`, all nodes).
    ///
    /// ```
    /// use oxmm::memblock::{Memblock, MemblockFlags};
    /// use oxmm::types::{NodeId, PageGeometry, PhysAddr};
    /// let mut mb = Memblock::new();
    /// mb.add_node(PhysAddr(0), 0x4000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// mb.add_node(PhysAddr(0x4000), 0x4000, NodeId(1), MemblockFlags::empty()).unwrap();
    /// let v: Vec<_> = mb.mem_pfn_ranges(PageGeometry::default(), Some(NodeId(1))).collect();
    /// assert_eq!(v, [(4, 8, Some(NodeId(1)))]);
    /// ```
    #[doc(alias = "for_each_mem_pfn_range")]
    pub fn mem_pfn_ranges(&self, geo: PageGeometry, nid: Option<NodeId>) -> MemPfnRanges<'_> {
        MemPfnRanges {
            regions: self.memory().regions().iter(),
            geo,
            nid,
        }
    }

    /// Free memory (memory minus reserved, NOMAP memory skipped) in ascending order,
    /// optionally only node `nid` (Linux: `for_each_free_mem_range(i, nid,
    /// MEMBLOCK_NONE, ...)`).
    ///
    /// ```
    /// use oxmm::memblock::Memblock;
    /// use oxmm::types::PhysAddr;
    /// let mut mb = Memblock::new();
    /// mb.add(PhysAddr(0x1000), 0x3000).unwrap();
    /// mb.reserve(PhysAddr(0x3000), 0x1000).unwrap();
    /// let (s, e, nid) = mb.free_ranges(None).next().unwrap();
    /// assert_eq!((s.0, e.0, nid), (0x1000, 0x3000, None));
    /// ```
    #[doc(alias = "for_each_free_mem_range")]
    pub fn free_ranges(&self, nid: Option<NodeId>) -> FreeRanges<'_> {
        self.free_ranges_flags(nid, MemblockFlags::empty())
    }

    /// Free ranges picked by memory attributes too (`MIRROR` only mirrored memory,
    /// `NOMAP` also no-map memory).
    ///
    /// ```
    /// use oxmm::memblock::{Memblock, MemblockFlags};
    /// use oxmm::types::PhysAddr;
    /// let mut mb = Memblock::new();
    /// mb.add(PhysAddr(0), 0x4000).unwrap();
    /// mb.mark_nomap(PhysAddr(0), 0x4000).unwrap();
    /// assert_eq!(mb.free_ranges(None).count(), 0);
    /// assert_eq!(mb.free_ranges_flags(None, MemblockFlags::NOMAP).count(), 1);
    /// ```
    pub fn free_ranges_flags(&self, nid: Option<NodeId>, flags: MemblockFlags) -> FreeRanges<'_> {
        FreeRanges {
            mb: self,
            nid,
            flags,
            idx_a: 0,
            idx_b: 0,
        }
    }

    pub(crate) fn free_ranges_rev(
        &self,
        nid: Option<NodeId>,
        flags: MemblockFlags,
    ) -> FreeRangesRev<'_> {
        FreeRangesRev {
            mb: self,
            nid,
            flags,
            idx_a: self.memory().cnt(),
            idx_b: self.reserved().cnt() + 1,
        }
    }

    /// Total bytes of memory (Linux: `memblock_phys_mem_size`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x4000).unwrap();
    /// assert_eq!(mb.phys_mem_size(), 0x4000);
    /// ```
    #[doc(alias = "memblock_phys_mem_size")]
    pub fn phys_mem_size(&self) -> u64 {
        self.memory().total_size()
    }

    /// Lowest memory address (Linux: `memblock_start_of_DRAM`; 0 when there is none).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x8000), 0x4000).unwrap();
    /// assert_eq!(mb.start_of_dram(), PhysAddr(0x8000));
    /// ```
    #[doc(alias = "memblock_start_of_DRAM")]
    pub fn start_of_dram(&self) -> PhysAddr {
        self.memory().first_slot().base
    }

    /// One past the highest memory address (Linux: `memblock_end_of_DRAM`; 0 when
    /// there is none).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x8000), 0x4000).unwrap();
    /// assert_eq!(mb.end_of_dram(), PhysAddr(0xc000));
    /// ```
    #[doc(alias = "memblock_end_of_DRAM")]
    pub fn end_of_dram(&self) -> PhysAddr {
        self.memory()
            .regions()
            .last()
            .map_or(PhysAddr(0), |r| r.end())
    }

    /// Whether `addr` is in a memory region (Linux: `memblock_is_memory`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x8000), 0x4000).unwrap();
    /// assert!(mb.is_memory(PhysAddr(0xbfff)));
    /// assert!(!mb.is_memory(PhysAddr(0xc000)));
    /// ```
    #[doc(alias = "memblock_is_memory")]
    pub fn is_memory(&self, addr: PhysAddr) -> bool {
        self.memory().search(addr).is_some()
    }

    /// Whether `[base, base + size)` lies inside one memory region (Linux:
    /// `memblock_is_region_memory`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x8000), 0x4000).unwrap();
    /// assert!(mb.is_region_memory(PhysAddr(0x9000), 0x3000));
    /// assert!(!mb.is_region_memory(PhysAddr(0x9000), 0x3001));
    /// ```
    #[doc(alias = "memblock_is_region_memory")]
    pub fn is_region_memory(&self, base: PhysAddr, size: u64) -> bool {
        let size = super::region::cap_size(base.0, size);
        match self.memory().search(base) {
            Some(idx) => self.memory().regions()[idx].end().0 >= base.0 + size,
            None => false,
        }
    }

    /// Whether `[base, base + size)` intersects a reserved region (Linux:
    /// `memblock_is_region_reserved`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.reserve(PhysAddr(0x8000), 0x1000).unwrap();
    /// assert!(mb.is_region_reserved(PhysAddr(0x7000), 0x1001));
    /// assert!(!mb.is_region_reserved(PhysAddr(0x7000), 0x1000));
    /// ```
    #[doc(alias = "memblock_is_region_reserved")]
    pub fn is_region_reserved(&self, base: PhysAddr, size: u64) -> bool {
        self.reserved().overlaps_region(base, size)
    }

    /// Whether `addr` is reserved (Linux: `memblock_is_reserved`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.reserve(PhysAddr(0x8000), 0x1000).unwrap();
    /// assert!(mb.is_reserved(PhysAddr(0x8fff)));
    /// ```
    #[doc(alias = "memblock_is_reserved")]
    pub fn is_reserved(&self, addr: PhysAddr) -> bool {
        self.reserved().search(addr).is_some()
    }
}
