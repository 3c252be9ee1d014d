//! Allocation from memblock (Linux: `memblock_find_in_range_node`,
//! `memblock_alloc_range_nid`, `memblock_alloc_internal` and their wrappers) and the
//! decomposition used when free memory is handed to the buddy allocator
//! (`__free_pages_memory`).

use super::{Memblock, MemblockFlags};
use crate::types::{NodeId, PhysAddr};

/// "Up to the current limit" for `max_addr` (Linux: `MEMBLOCK_ALLOC_ACCESSIBLE`, 0).
///
/// ```
/// assert_eq!(oxmm::memblock::MEMBLOCK_ALLOC_ACCESSIBLE.0, 0);
/// ```
pub const MEMBLOCK_ALLOC_ACCESSIBLE: PhysAddr = PhysAddr(0);

/// `MEMBLOCK_ALLOC_NOLEAKTRACE`: accessible, without kmemleak tracking.
const MEMBLOCK_ALLOC_NOLEAKTRACE: u64 = 1;

/// Alignment used when a caller passes 0 (Linux: `SMP_CACHE_BYTES`, x86-64's L1 line).
///
/// ```
/// use oxmm::memblock::{Memblock, SMP_CACHE_BYTES};
/// use oxmm::types::PhysAddr;
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0x10000), 0x1001).unwrap();
/// let p = mb.alloc_raw(16, 0).unwrap();
/// assert_eq!(p.0 % SMP_CACHE_BYTES, 0);
/// ```
pub const SMP_CACHE_BYTES: u64 = 64;

impl Memblock {
    /// `choose_memblock_flags`: prefer mirrored memory once any is marked.
    fn choose_flags(&self) -> MemblockFlags {
        if self.has_mirror {
            MemblockFlags::MIRROR
        } else {
            MemblockFlags::empty()
        }
    }

    /// `memblock_find_in_range_node`: an aligned free `size` bytes in `[start, end)`
    /// on `nid`, highest first (top-down) or lowest first (bottom-up). Never page 0.
    fn find_in_range_node(
        &self,
        size: u64,
        align: u64,
        start: u64,
        end: u64,
        nid: Option<NodeId>,
        flags: MemblockFlags,
    ) -> Option<u64> {
        let end = if end == MEMBLOCK_ALLOC_ACCESSIBLE.0 || end == MEMBLOCK_ALLOC_NOLEAKTRACE {
            self.current_limit.0
        } else {
            end
        };
        let start = start.max(self.page_size);
        let end = end.max(start);
        let mask = align - 1;
        if self.bottom_up {
            for (s, e, _) in self.free_ranges_flags(nid, flags) {
                let s = s.0.clamp(start, end);
                let e = e.0.clamp(start, end);
                let Some(cand) = s.checked_add(mask).map(|x| x & !mask) else {
                    continue;
                };
                if cand < e && e - cand >= size {
                    return Some(cand);
                }
            }
        } else {
            for (s, e, _) in self.free_ranges_rev(nid, flags) {
                let s = s.clamp(start, end);
                let e = e.clamp(start, end);
                if e < size {
                    continue;
                }
                let cand = (e - size) & !mask;
                if cand >= s {
                    return Some(cand);
                }
            }
        }
        None
    }

    /// `memblock_find_in_range`: any node, mirrored memory first if there is some.
    pub(crate) fn find_in_range(&self, start: u64, end: u64, size: u64, align: u64) -> Option<u64> {
        let flags = self.choose_flags();
        self.find_in_range_node(size, align, start, end, None, flags)
            .or_else(|| {
                if flags.contains(MemblockFlags::MIRROR) {
                    self.find_in_range_node(size, align, start, end, None, MemblockFlags::empty())
                } else {
                    None
                }
            })
    }

    /// Find and reserve; `None` if nothing fits or the reservation fails.
    fn find_and_reserve(
        &mut self,
        size: u64,
        align: u64,
        start: u64,
        end: u64,
        nid: Option<NodeId>,
        flags: MemblockFlags,
    ) -> Option<PhysAddr> {
        let found = self.find_in_range_node(size, align, start, end, nid, flags)?;
        self.reserve(PhysAddr(found), size).ok()?;
        Some(PhysAddr(found))
    }

    /// Allocate and reserve `size` bytes aligned to `align` within `[start, end)`
    /// (`end` 0 = `current_limit`), on `nid` if given; unless `exact_nid`, fall back to
    /// any node (Linux: `memblock_alloc_range_nid`). `align` 0 means
    /// [`SMP_CACHE_BYTES`]; an alignment that is not a power of two fails.
    ///
    /// ```
    /// use oxmm::memblock::{Memblock, MemblockFlags};
    /// use oxmm::types::{NodeId, PhysAddr};
    /// let mut mb = Memblock::new();
    /// mb.add_node(PhysAddr(0x10000), 0x10000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// mb.add_node(PhysAddr(0x20000), 0x10000, NodeId(1), MemblockFlags::empty()).unwrap();
    /// let p = mb.alloc_range_nid(0x1000, 0x1000, PhysAddr(0), PhysAddr(0), Some(NodeId(0)), true);
    /// assert_eq!(p, Some(PhysAddr(0x1f000)));
    /// ```
    #[doc(alias = "memblock_alloc_range_nid")]
    pub fn alloc_range_nid(
        &mut self,
        size: u64,
        align: u64,
        start: PhysAddr,
        end: PhysAddr,
        nid: Option<NodeId>,
        exact_nid: bool,
    ) -> Option<PhysAddr> {
        let align = if align == 0 { SMP_CACHE_BYTES } else { align };
        if !align.is_power_of_two() {
            return None;
        }
        let mut flags = self.choose_flags();
        loop {
            if let Some(p) = self.find_and_reserve(size, align, start.0, end.0, nid, flags) {
                return Some(p);
            }
            if nid.is_some() && !exact_nid {
                if let Some(p) = self.find_and_reserve(size, align, start.0, end.0, None, flags) {
                    return Some(p);
                }
            }
            if flags.contains(MemblockFlags::MIRROR) {
                flags.remove(MemblockFlags::MIRROR);
                continue;
            }
            return None;
        }
    }

    /// Allocate from any node within `[start, end)` (Linux: `memblock_phys_alloc_range`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x10_0000).unwrap();
    /// let p = mb.phys_alloc_range(0x1000, 0x1000, PhysAddr(0x1000), PhysAddr(0x8000));
    /// assert_eq!(p, Some(PhysAddr(0x7000)));
    /// ```
    #[doc(alias = "memblock_phys_alloc_range")]
    pub fn phys_alloc_range(
        &mut self,
        size: u64,
        align: u64,
        start: PhysAddr,
        end: PhysAddr,
    ) -> Option<PhysAddr> {
        self.alloc_range_nid(size, align, start, end, None, false)
    }

    /// Allocate below `current_limit`, preferring node `nid` (Linux:
    /// `memblock_phys_alloc_try_nid`).
    ///
    /// ```
    /// use oxmm::memblock::MemblockFlags;
    /// use oxmm::types::{NodeId, PhysAddr};
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add_node(PhysAddr(0x10000), 0x10000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// // node 3 has no memory: falls back
    /// assert_eq!(mb.phys_alloc_try_nid(0x1000, 0x1000, Some(NodeId(3))), Some(PhysAddr(0x1f000)));
    /// ```
    #[doc(alias = "memblock_phys_alloc_try_nid")]
    pub fn phys_alloc_try_nid(
        &mut self,
        size: u64,
        align: u64,
        nid: Option<NodeId>,
    ) -> Option<PhysAddr> {
        self.alloc_range_nid(
            size,
            align,
            PhysAddr(0),
            MEMBLOCK_ALLOC_ACCESSIBLE,
            nid,
            false,
        )
    }

    /// `memblock_alloc_internal`: cap `max_addr` at `current_limit`, and retry without
    /// `min_addr` when nothing fits above it.
    fn alloc_internal(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<NodeId>,
        exact_nid: bool,
    ) -> Option<PhysAddr> {
        let max_addr = max_addr.min(self.current_limit);
        self.alloc_range_nid(size, align, min_addr, max_addr, nid, exact_nid)
            .or_else(|| {
                if min_addr.0 != 0 {
                    self.alloc_range_nid(size, align, PhysAddr(0), max_addr, nid, exact_nid)
                } else {
                    None
                }
            })
    }

    /// Allocate without zeroing, preferring `nid` and falling back to any node, within
    /// `[min_addr, max_addr]` (`max_addr` 0 = accessible) — dropping `min_addr` if
    /// nothing fits above it (Linux: `memblock_alloc_try_nid_raw`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x10000), 0x10000).unwrap();
    /// let p = mb.alloc_try_nid_raw(0x1000, 0x1000, PhysAddr(0x30000), PhysAddr(0), None);
    /// assert_eq!(p, Some(PhysAddr(0x1f000))); // min_addr dropped
    /// ```
    #[doc(alias = "memblock_alloc_try_nid_raw")]
    pub fn alloc_try_nid_raw(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<NodeId>,
    ) -> Option<PhysAddr> {
        self.alloc_internal(size, align, min_addr, max_addr, nid, false)
    }

    /// Like [`alloc_try_nid_raw`](Self::alloc_try_nid_raw) but only on node `nid`,
    /// never falling back (Linux: `memblock_alloc_exact_nid_raw`).
    ///
    /// ```
    /// use oxmm::memblock::MemblockFlags;
    /// use oxmm::types::{NodeId, PhysAddr};
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add_node(PhysAddr(0x10000), 0x10000, NodeId(0), MemblockFlags::empty()).unwrap();
    /// assert_eq!(mb.alloc_exact_nid_raw(0x1000, 0x1000, PhysAddr(0), PhysAddr(0), Some(NodeId(1))), None);
    /// ```
    #[doc(alias = "memblock_alloc_exact_nid_raw")]
    pub fn alloc_exact_nid_raw(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<NodeId>,
    ) -> Option<PhysAddr> {
        self.alloc_internal(size, align, min_addr, max_addr, nid, true)
    }

    /// [`alloc_try_nid_raw`](Self::alloc_try_nid_raw), then `zero(base, size)` on
    /// success (Linux: `memblock_alloc_try_nid`, which memsets the memory).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x10000), 0x10000).unwrap();
    /// let mut zeroed = None;
    /// let p = mb.alloc_try_nid(0x100, 0x100, PhysAddr(0), PhysAddr(0), None, &mut |b, s| zeroed = Some((b, s)));
    /// assert_eq!(zeroed, Some((p.unwrap(), 0x100)));
    /// ```
    #[doc(alias = "memblock_alloc_try_nid")]
    pub fn alloc_try_nid(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<NodeId>,
        zero: &mut dyn FnMut(PhysAddr, u64),
    ) -> Option<PhysAddr> {
        let p = self.alloc_internal(size, align, min_addr, max_addr, nid, false)?;
        zero(p, size);
        Some(p)
    }

    /// Allocate zeroed memory anywhere below `current_limit` (Linux: `memblock_alloc`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x10000), 0x10000).unwrap();
    /// let mut calls = 0;
    /// assert_eq!(mb.alloc(0x1000, 0x1000, &mut |_, _| calls += 1), Some(PhysAddr(0x1f000)));
    /// assert_eq!(calls, 1);
    /// ```
    #[doc(alias = "memblock_alloc")]
    pub fn alloc(
        &mut self,
        size: u64,
        align: u64,
        zero: &mut dyn FnMut(PhysAddr, u64),
    ) -> Option<PhysAddr> {
        self.alloc_try_nid(
            size,
            align,
            PhysAddr(0),
            MEMBLOCK_ALLOC_ACCESSIBLE,
            None,
            zero,
        )
    }

    /// Allocate without zeroing (Linux: `memblock_alloc_raw`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x10000), 0x10000).unwrap();
    /// assert_eq!(mb.alloc_raw(0x1000, 0x1000), Some(PhysAddr(0x1f000)));
    /// ```
    #[doc(alias = "memblock_alloc_raw")]
    pub fn alloc_raw(&mut self, size: u64, align: u64) -> Option<PhysAddr> {
        self.alloc_try_nid_raw(size, align, PhysAddr(0), MEMBLOCK_ALLOC_ACCESSIBLE, None)
    }

    /// Allocate zeroed memory at or above `min_addr`, or anywhere if nothing fits there
    /// (Linux: `memblock_alloc_from`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x10000), 0x10000).unwrap();
    /// mb.set_bottom_up(true);
    /// let p = mb.alloc_from(0x1000, 0x1000, PhysAddr(0x14800), &mut |_, _| {});
    /// assert_eq!(p, Some(PhysAddr(0x15000)));
    /// ```
    #[doc(alias = "memblock_alloc_from")]
    pub fn alloc_from(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        zero: &mut dyn FnMut(PhysAddr, u64),
    ) -> Option<PhysAddr> {
        self.alloc_try_nid(size, align, min_addr, MEMBLOCK_ALLOC_ACCESSIBLE, None, zero)
    }
}

/// Split the free pfn range `[start_pfn, end_pfn)` into the maximal naturally aligned
/// blocks `memblock_free_all` hands to the buddy allocator, calling `f(pfn, order)` for
/// each in ascending order (Linux: `__free_pages_memory`). pfn 0 counts as aligned to
/// every order; orders never exceed `max_order` (capped at 63).
///
/// ```
/// let mut v = Vec::new();
/// oxmm::memblock::free_pages_memory(1, 1030, 10, |pfn, order| v.push((pfn, order)));
/// assert_eq!(v, [(1, 0), (2, 1), (4, 2), (8, 3), (16, 4), (32, 5), (64, 6), (128, 7),
///                (256, 8), (512, 9), (1024, 2), (1028, 1)]);
/// ```
#[doc(alias = "__free_pages_memory")]
pub fn free_pages_memory(
    start_pfn: u64,
    end_pfn: u64,
    max_order: u32,
    mut f: impl FnMut(u64, u32),
) {
    let max_order = max_order.min(63);
    let mut start = start_pfn;
    while start < end_pfn {
        let mut order = if start == 0 {
            max_order
        } else {
            max_order.min(start.trailing_zeros())
        };
        while end_pfn - start < 1u64 << order {
            order -= 1;
        }
        f(start, order);
        start += 1u64 << order;
    }
}
