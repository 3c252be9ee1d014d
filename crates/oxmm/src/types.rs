//! Core address and frame types (Linux: `phys_addr_t`, `unsigned long pfn`, `PAGE_SHIFT`).

use core::fmt;
use core::ops::{Add, Sub};

/// A physical address (Linux: `phys_addr_t`).
///
/// ```
/// use oxmm::types::PhysAddr;
/// assert_eq!(format!("{}", PhysAddr(0x1000)), "0x0000000000001000");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
#[doc(alias = "phys_addr_t")]
pub struct PhysAddr(pub u64);

/// A kernel virtual address.
///
/// ```
/// use oxmm::types::VirtAddr;
/// assert_eq!(VirtAddr(0x10).0, 16);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct VirtAddr(pub u64);

/// A page frame number: a physical address shifted right by the page shift.
///
/// ```
/// use oxmm::types::Pfn;
/// assert_eq!(Pfn(3) + 2, Pfn(5));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Pfn(pub u64);

/// A NUMA node id (Linux: `int nid`).
///
/// ```
/// use oxmm::types::NodeId;
/// assert_eq!(NodeId(1).0, 1);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct NodeId(pub u16);

/// The most NUMA nodes a machine may have here (Linux: `MAX_NUMNODES`, from
/// `CONFIG_NODES_SHIFT`; 64 keeps per-node tables small while covering real boards).
///
/// ```
/// assert_eq!(oxmm::types::MAX_NUMNODES, 64);
/// ```
pub const MAX_NUMNODES: usize = 64;

/// A set of nodes (Linux: `nodemask_t`), one bit per node id below [`MAX_NUMNODES`].
///
/// ```
/// use oxmm::types::{NodeId, NodeMask};
/// let m = NodeMask::EMPTY.with(NodeId(0)).with(NodeId(3));
/// assert!(m.contains(NodeId(3)) && !m.contains(NodeId(1)));
/// assert_eq!(m.iter().map(|n| n.0).collect::<Vec<_>>(), [0, 3]);
/// assert_eq!(m.to_string(), "0,3");
/// assert_eq!(NodeMask::EMPTY.with(NodeId(1)).with(NodeId(2)).to_string(), "1-2");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
#[doc(alias = "nodemask_t")]
pub struct NodeMask(pub u64);

impl NodeMask {
    /// No nodes.
    ///
    /// ```
    /// use oxmm::types::NodeMask;
    /// assert!(NodeMask::EMPTY.is_empty());
    /// assert_eq!(NodeMask::EMPTY.iter().count(), 0);
    /// assert_eq!(NodeMask::EMPTY, NodeMask::default());
    /// ```
    pub const EMPTY: NodeMask = NodeMask(0);

    /// `node_isset`.
    ///
    /// ```
    /// use oxmm::types::{NodeId, NodeMask};
    /// let m = NodeMask::EMPTY.with(NodeId(2));
    /// assert!(m.contains(NodeId(2)));
    /// assert!(!m.contains(NodeId(3)));
    /// assert!(!NodeMask(u64::MAX).contains(NodeId(64))); // no such node
    /// ```
    #[doc(alias = "node_isset")]
    pub const fn contains(&self, n: NodeId) -> bool {
        (n.0 as usize) < MAX_NUMNODES && self.0 & (1 << n.0) != 0
    }

    /// `node_set` (ids at or above [`MAX_NUMNODES`] are ignored).
    ///
    /// ```
    /// use oxmm::types::{NodeId, NodeMask};
    /// let m = NodeMask::EMPTY.with(NodeId(0)).with(NodeId(5));
    /// assert_eq!(m, NodeMask(0b10_0001));
    /// assert_eq!(m.with(NodeId(5)), m);
    /// assert_eq!(m.with(NodeId(64)), m); // ignored
    /// ```
    #[doc(alias = "node_set")]
    pub const fn with(self, n: NodeId) -> NodeMask {
        if (n.0 as usize) < MAX_NUMNODES {
            NodeMask(self.0 | (1 << n.0))
        } else {
            self
        }
    }

    /// `nodes_weight`.
    ///
    /// ```
    /// use oxmm::types::{NodeId, NodeMask};
    /// let m = NodeMask::EMPTY.with(NodeId(1)).with(NodeId(4)).with(NodeId(1));
    /// assert_eq!(m.weight(), 2);
    /// assert_eq!(NodeMask::EMPTY.weight(), 0);
    /// ```
    #[doc(alias = "nodes_weight")]
    pub const fn weight(&self) -> u32 {
        self.0.count_ones()
    }

    /// `nodes_empty`.
    ///
    /// ```
    /// use oxmm::types::{NodeId, NodeMask};
    /// assert!(NodeMask::EMPTY.is_empty());
    /// assert!(!NodeMask::EMPTY.with(NodeId(0)).is_empty());
    /// assert!(NodeMask::EMPTY.with(NodeId(99)).is_empty()); // out of range: not set
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The nodes in id order (`for_each_node_mask`).
    ///
    /// ```
    /// use oxmm::types::{NodeId, NodeMask};
    /// let m = NodeMask::EMPTY.with(NodeId(7)).with(NodeId(2));
    /// let ids: Vec<u16> = m.iter().map(|n| n.0).collect();
    /// assert_eq!(ids, [2, 7]);
    /// assert_eq!(m.iter().count() as u32, m.weight());
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..MAX_NUMNODES as u16)
            .filter(|&i| self.0 & (1 << i) != 0)
            .map(NodeId)
    }
}

impl core::fmt::Display for NodeMask {
    /// `%*pbl`: ranges such as `0-2,5`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut first = true;
        let mut i = 0usize;
        while i < MAX_NUMNODES {
            if self.0 & (1 << i) == 0 {
                i += 1;
                continue;
            }
            let s = i;
            while i + 1 < MAX_NUMNODES && self.0 & (1 << (i + 1)) != 0 {
                i += 1;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if s == i {
                write!(f, "{s}")?;
            } else {
                write!(f, "{s}-{i}")?;
            }
            i += 1;
        }
        Ok(())
    }
}

/// `PHYS_ADDR_MAX`: the largest physical address.
///
/// ```
/// assert_eq!(oxmm::types::PHYS_ADDR_MAX, u64::MAX);
/// ```
pub const PHYS_ADDR_MAX: u64 = u64::MAX;

impl fmt::Display for PhysAddr {
    /// Linux's `%pa`-style full width: `0x` and 16 hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)
    }
}

impl fmt::LowerHex for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl Add<u64> for PhysAddr {
    type Output = PhysAddr;
    fn add(self, rhs: u64) -> PhysAddr {
        PhysAddr(self.0 + rhs)
    }
}

impl Sub<PhysAddr> for PhysAddr {
    type Output = u64;
    fn sub(self, rhs: PhysAddr) -> u64 {
        self.0 - rhs.0
    }
}

impl Add<u64> for Pfn {
    type Output = Pfn;
    fn add(self, rhs: u64) -> Pfn {
        Pfn(self.0 + rhs)
    }
}

impl Sub<Pfn> for Pfn {
    type Output = u64;
    fn sub(self, rhs: Pfn) -> u64 {
        self.0 - rhs.0
    }
}

impl fmt::Display for Pfn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// Page size of a machine (Linux: `PAGE_SHIFT`, `PAGE_SIZE`). 4 KiB by default;
/// arm64 profiles may use 16 KiB or 64 KiB.
///
/// ```
/// use oxmm::types::PageGeometry;
/// let g = PageGeometry::new(16).unwrap();
/// assert_eq!(g.page_size(), 65536);
/// assert!(PageGeometry::new(13).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[doc(alias = "PAGE_SHIFT")]
pub struct PageGeometry {
    shift: u32,
    // `pageblock_order`, kept rather than recomputed: every free reads it.
    pageblock_order: u32,
}

/// A page shift that no supported architecture uses.
///
/// ```
/// use oxmm::types::{PageGeometry, BadPageShift};
/// assert_eq!(PageGeometry::new(20), Err(BadPageShift(20)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BadPageShift(pub u32);

impl fmt::Display for BadPageShift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "page shift {} is not supported (use 12, 14 or 16: 4 KiB, 16 KiB or 64 KiB pages)",
            self.0
        )
    }
}

impl Default for PageGeometry {
    fn default() -> Self {
        PageGeometry::of(12)
    }
}

impl PageGeometry {
    /// A geometry for `shift` (12, 14 or 16).
    ///
    /// ```
    /// use oxmm::types::{BadPageShift, PageGeometry};
    /// assert_eq!(PageGeometry::new(12), Ok(PageGeometry::default()));
    /// assert_eq!(PageGeometry::new(14).unwrap().page_size(), 16 << 10);
    /// assert_eq!(PageGeometry::new(13), Err(BadPageShift(13)));
    /// ```
    pub const fn new(shift: u32) -> Result<Self, BadPageShift> {
        match shift {
            12 | 14 | 16 => Ok(PageGeometry::of(shift)),
            _ => Err(BadPageShift(shift)),
        }
    }

    /// `PAGE_SHIFT`.
    ///
    /// ```
    /// use oxmm::types::PageGeometry;
    /// assert_eq!(PageGeometry::default().shift(), 12);
    /// let g = PageGeometry::new(16).unwrap();
    /// assert_eq!(1 << g.shift(), g.page_size());
    /// ```
    #[inline]
    pub const fn shift(self) -> u32 {
        self.shift
    }

    /// `PAGE_SIZE` in bytes.
    ///
    /// ```
    /// use oxmm::types::PageGeometry;
    /// assert_eq!(PageGeometry::default().page_size(), 4096);
    /// assert_eq!(PageGeometry::new(14).unwrap().page_size(), 16384);
    /// ```
    #[inline]
    pub const fn page_size(self) -> u64 {
        1 << self.shift
    }

    /// `PFN_DOWN`: the frame containing `addr`.
    ///
    /// ```
    /// use oxmm::types::{PageGeometry, Pfn, PhysAddr};
    /// let g = PageGeometry::default();
    /// assert_eq!(g.phys_to_pfn(PhysAddr(0x1fff)), Pfn(1)); // rounds down
    /// let g64 = PageGeometry::new(16).unwrap();
    /// assert_eq!(g64.phys_to_pfn(PhysAddr(0x2_0000)), Pfn(2));
    /// ```
    #[doc(alias = "PFN_DOWN")]
    pub const fn phys_to_pfn(self, addr: PhysAddr) -> Pfn {
        Pfn(addr.0 >> self.shift)
    }

    /// `PFN_UP`: the first frame starting at or above `addr`.
    ///
    /// ```
    /// use oxmm::types::{PageGeometry, Pfn, PhysAddr};
    /// let g = PageGeometry::default();
    /// assert_eq!(g.phys_to_pfn_up(PhysAddr(0x1001)), Pfn(2));
    /// // An aligned address gives the same frame as PFN_DOWN.
    /// assert_eq!(g.phys_to_pfn_up(PhysAddr(0x2000)), g.phys_to_pfn(PhysAddr(0x2000)));
    /// ```
    #[doc(alias = "PFN_UP")]
    pub const fn phys_to_pfn_up(self, addr: PhysAddr) -> Pfn {
        Pfn(addr.0.div_ceil(1 << self.shift))
    }

    /// `PFN_PHYS`: the address of the first byte of `pfn`.
    ///
    /// ```
    /// use oxmm::types::{PageGeometry, Pfn, PhysAddr};
    /// let g = PageGeometry::default();
    /// assert_eq!(g.pfn_to_phys(Pfn(3)), PhysAddr(0x3000));
    /// assert_eq!(g.phys_to_pfn(g.pfn_to_phys(Pfn(77))), Pfn(77));
    /// ```
    #[doc(alias = "PFN_PHYS")]
    pub const fn pfn_to_phys(self, pfn: Pfn) -> PhysAddr {
        PhysAddr(pfn.0 << self.shift)
    }

    /// `pageblock_order` when hugetlb is configured: `min(PMD_SHIFT - PAGE_SHIFT, MAX_PAGE_ORDER)`
    /// where a PMD maps `PAGE_SIZE / 8` entries (9 for 4 KiB pages, 11 → capped to 10 otherwise).
    ///
    /// ```
    /// use oxmm::types::{PageGeometry, MAX_PAGE_ORDER};
    /// assert_eq!(PageGeometry::default().pageblock_order(), 9); // a 2 MiB PMD
    /// assert_eq!(PageGeometry::new(14).unwrap().pageblock_order(), MAX_PAGE_ORDER); // 11, capped
    /// assert_eq!(PageGeometry::new(16).unwrap().pageblock_order(), MAX_PAGE_ORDER);
    /// ```
    pub const fn pageblock_order(self) -> u32 {
        self.pageblock_order
    }

    /// The geometry of a supported `shift`, with its pageblock order: the PMD order
    /// (a page-table page holds `PAGE_SIZE / 8` entries: `PAGE_SHIFT - 3`), at most
    /// `MAX_PAGE_ORDER`.
    const fn of(shift: u32) -> PageGeometry {
        let pmd_order = shift - 3;
        PageGeometry {
            shift,
            pageblock_order: if pmd_order < MAX_PAGE_ORDER {
                pmd_order
            } else {
                MAX_PAGE_ORDER
            },
        }
    }

    /// `pageblock_nr_pages`.
    ///
    /// ```
    /// use oxmm::types::PageGeometry;
    /// let g = PageGeometry::default();
    /// assert_eq!(g.pageblock_nr_pages(), 512);
    /// assert_eq!(g.pageblock_nr_pages() * g.page_size(), 2 << 20);
    /// ```
    pub const fn pageblock_nr_pages(self) -> u64 {
        1 << self.pageblock_order()
    }

    /// SPARSEMEM section size in pages (`PAGES_PER_SECTION`): 128 MiB sections on x86-64
    /// and for 4 KiB arm64; 512 MiB for 64 KiB arm64 pages, 128 MiB for 16 KiB.
    ///
    /// ```
    /// use oxmm::types::PageGeometry;
    /// let g = PageGeometry::default();
    /// assert_eq!(g.pages_per_section() * g.page_size(), 128 << 20);
    /// let g64 = PageGeometry::new(16).unwrap();
    /// assert_eq!(g64.pages_per_section() * g64.page_size(), 512 << 20);
    /// ```
    pub const fn pages_per_section(self) -> u64 {
        let section_shift: u32 = if self.shift == 16 { 29 } else { 27 };
        1 << (section_shift - self.shift)
    }
}

/// `MAX_PAGE_ORDER`: the highest buddy order (inclusive).
///
/// ```
/// assert_eq!(oxmm::types::MAX_PAGE_ORDER, 10);
/// ```
#[doc(alias = "MAX_ORDER")]
pub const MAX_PAGE_ORDER: u32 = 10;

/// `NR_PAGE_ORDERS`: orders 0..=MAX_PAGE_ORDER.
///
/// ```
/// assert_eq!(oxmm::types::NR_PAGE_ORDERS, 11);
/// ```
pub const NR_PAGE_ORDERS: usize = MAX_PAGE_ORDER as usize + 1;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn geometry() {
        let g = PageGeometry::default();
        assert_eq!(g.pageblock_order(), 9);
        assert_eq!(g.pages_per_section(), 32768);
        assert_eq!(g.phys_to_pfn_up(PhysAddr(0x1001)), Pfn(2));
        let g16 = PageGeometry::new(16).unwrap();
        assert_eq!(g16.pageblock_order(), 10);
        assert_eq!(g16.pages_per_section(), 8192);
    }
}
