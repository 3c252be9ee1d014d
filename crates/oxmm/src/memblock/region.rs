//! Region flags, regions and region arrays (Linux: `struct memblock_region`,
//! `struct memblock_type`, `enum memblock_flags`, include/linux/memblock.h).

use core::fmt;

use crate::types::{NodeId, PhysAddr, PHYS_ADDR_MAX};

/// Regions each [`MemblockType`] starts with (Linux: `INIT_MEMBLOCK_REGIONS`); the
/// logical array doubles from here.
///
/// ```
/// use oxmm::memblock::{Memblock, INIT_MEMBLOCK_REGIONS};
/// assert_eq!(Memblock::new().memory().max(), INIT_MEMBLOCK_REGIONS);
/// ```
pub const INIT_MEMBLOCK_REGIONS: usize = 128;

/// The inline storage of a [`MemblockType`]: the logical array may double from 128 up
/// to this many regions (three doublings); past it, adding returns
/// [`MemblockError::CapacityExceeded`](super::MemblockError::CapacityExceeded) instead of allocating a bigger array.
///
/// ```
/// assert_eq!(oxmm::memblock::MEMBLOCK_REGION_CAPACITY, 1024);
/// ```
pub const MEMBLOCK_REGION_CAPACITY: usize = 1024;

/// Linux's `sizeof(struct memblock_region)` with `CONFIG_NUMA` (base, size, flags, nid):
/// the size a doubled array occupies in memblock memory is `2 × max × 24` bytes.
///
/// ```
/// assert_eq!(oxmm::memblock::MEMBLOCK_REGION_SIZE, 24);
/// ```
#[doc(alias = "sizeof(struct memblock_region)")]
pub const MEMBLOCK_REGION_SIZE: u64 = 24;

bitflags::bitflags! {
    /// Attributes of a memory region (Linux: `enum memblock_flags`; `MEMBLOCK_NONE` is
    /// [`MemblockFlags::empty`]).
    ///
    /// ```
    /// use oxmm::memblock::MemblockFlags;
    /// assert_eq!(MemblockFlags::NOMAP.bits(), 0x4);
    /// assert!(MemblockFlags::empty().is_empty());
    /// ```
    #[doc(alias = "memblock_flags")]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MemblockFlags: u32 {
        /// Hotpluggable region (`MEMBLOCK_HOTPLUG`).
        const HOTPLUG = 0x1;
        /// Mirrored region (`MEMBLOCK_MIRROR`).
        const MIRROR = 0x2;
        /// Not added to the direct map (`MEMBLOCK_NOMAP`).
        const NOMAP = 0x4;
        /// Memory managed by a driver, not the kernel (`MEMBLOCK_DRIVER_MANAGED`).
        const DRIVER_MANAGED = 0x8;
        /// Reserved region whose struct pages are not initialised (`MEMBLOCK_RSRV_NOINIT`).
        const RSRV_NOINIT = 0x10;
    }
}

/// One contiguous range of a region array (Linux: `struct memblock_region`).
///
/// `nid == None` is Linux's "no node" (`NUMA_NO_NODE`/`MAX_NUMNODES` on regions added
/// without a node).
///
/// ```
/// use oxmm::memblock::{MemblockFlags, MemblockRegion};
/// use oxmm::types::PhysAddr;
/// let r = MemblockRegion { base: PhysAddr(0x1000), size: 0x2000, flags: MemblockFlags::empty(), nid: None };
/// assert_eq!(r.end(), PhysAddr(0x3000));
/// ```
#[doc(alias = "memblock_region")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemblockRegion {
    /// First byte of the region.
    pub base: PhysAddr,
    /// Size in bytes.
    pub size: u64,
    /// Attributes.
    pub flags: MemblockFlags,
    /// Node, `None` for none (Linux: `NUMA_NO_NODE` / `MAX_NUMNODES`).
    pub nid: Option<NodeId>,
}

impl MemblockRegion {
    /// The zeroed region Linux leaves in slot 0 of an emptied array.
    pub(crate) const EMPTY: MemblockRegion = MemblockRegion {
        base: PhysAddr(0),
        size: 0,
        flags: MemblockFlags::empty(),
        nid: None,
    };

    /// One past the last byte (`base + size`).
    ///
    /// ```
    /// use oxmm::memblock::{MemblockFlags, MemblockRegion};
    /// use oxmm::types::PhysAddr;
    /// let r = MemblockRegion { base: PhysAddr(16), size: 16, flags: MemblockFlags::empty(), nid: None };
    /// assert_eq!(r.end().0, 32);
    /// ```
    pub const fn end(&self) -> PhysAddr {
        PhysAddr(self.base.0.wrapping_add(self.size))
    }
}

/// `memblock_cap_size`: cut `size` so that `base + size` does not pass `PHYS_ADDR_MAX`.
pub(crate) const fn cap_size(base: u64, size: u64) -> u64 {
    let room = PHYS_ADDR_MAX - base;
    if size < room {
        size
    } else {
        room
    }
}

/// `memblock_addrs_overlap`.
const fn addrs_overlap(base1: u64, size1: u64, base2: u64, size2: u64) -> bool {
    base1 < base2.wrapping_add(size2) && base2 < base1.wrapping_add(size1)
}

/// A sorted, merged array of regions (Linux: `struct memblock_type`): `memory` or
/// `reserved`. Storage is inline; [`max`](Self::max) is the logical size Linux would have.
///
/// ```
/// use oxmm::memblock::Memblock;
/// use oxmm::types::PhysAddr;
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0x10000), 0x4000).unwrap();
/// assert_eq!(mb.memory().cnt(), 1);
/// assert_eq!(mb.memory().total_size(), 0x4000);
/// assert_eq!(mb.memory().name(), "memory");
/// ```
#[doc(alias = "memblock_type")]
#[derive(Clone)]
pub struct MemblockType {
    pub(crate) regions: [MemblockRegion; MEMBLOCK_REGION_CAPACITY],
    pub(crate) cnt: usize,
    pub(crate) max: usize,
    pub(crate) total_size: u64,
    pub(crate) name: &'static str,
    /// Where the current array lives in memblock memory once it has been doubled
    /// (base and page-aligned allocation size); `None` while it is the static one.
    pub(crate) array: Option<(PhysAddr, u64)>,
}

impl fmt::Debug for MemblockType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemblockType")
            .field("name", &self.name)
            .field("cnt", &self.cnt)
            .field("max", &self.max)
            .field("total_size", &self.total_size)
            .field("regions", &self.regions())
            .finish()
    }
}

impl MemblockType {
    pub(crate) const fn new(name: &'static str) -> Self {
        MemblockType {
            regions: [MemblockRegion::EMPTY; MEMBLOCK_REGION_CAPACITY],
            cnt: 0,
            max: INIT_MEMBLOCK_REGIONS,
            total_size: 0,
            name,
            array: None,
        }
    }

    /// The regions in use, sorted by base.
    ///
    /// ```
    /// use oxmm::memblock::Memblock;
    /// use oxmm::types::PhysAddr;
    /// let mut mb = Memblock::new();
    /// mb.reserve(PhysAddr(0x2000), 0x1000).unwrap();
    /// assert_eq!(mb.reserved().regions()[0].base, PhysAddr(0x2000));
    /// ```
    pub fn regions(&self) -> &[MemblockRegion] {
        &self.regions[..self.cnt]
    }

    /// Number of regions in use (Linux: `cnt`; 0 when empty, as in v6.12).
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().memory().cnt(), 0);
    /// ```
    pub fn cnt(&self) -> usize {
        self.cnt
    }

    /// Logical array size (Linux: `max`): 128, doubled each time the array fills.
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().reserved().max(), 128);
    /// ```
    pub fn max(&self) -> usize {
        self.max
    }

    /// Sum of region sizes in bytes (Linux: `total_size`).
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().memory().total_size(), 0);
    /// ```
    pub fn total_size(&self) -> u64 {
        self.total_size
    }

    /// `"memory"` or `"reserved"`.
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().reserved().name(), "reserved");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where the array lives in physical memory after a doubling (base, allocated
    /// bytes — reserved in `memblock.reserved`), or `None` for the initial static array.
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().memory().array(), None);
    /// ```
    pub fn array(&self) -> Option<(PhysAddr, u64)> {
        self.array
    }

    /// Slot 0 even when empty: Linux keeps it zeroed with no node (`MAX_NUMNODES`).
    ///
    /// ```
    /// let mb = oxmm::memblock::Memblock::new();
    /// assert_eq!(mb.memory().first_slot().size, 0);
    /// assert_eq!(mb.memory().first_slot().nid, None);
    /// ```
    pub fn first_slot(&self) -> MemblockRegion {
        self.regions[0]
    }

    /// Whether any region intersects `[base, base + size)` (size capped at
    /// `PHYS_ADDR_MAX`).
    ///
    /// ```
    /// use oxmm::memblock::Memblock;
    /// use oxmm::types::PhysAddr;
    /// let mut mb = Memblock::new();
    /// mb.reserve(PhysAddr(0x2000), 0x1000).unwrap();
    /// assert!(mb.reserved().overlaps_region(PhysAddr(0x2fff), 0x10));
    /// assert!(!mb.reserved().overlaps_region(PhysAddr(0x3000), 0x10));
    /// ```
    #[doc(alias = "memblock_overlaps_region")]
    pub fn overlaps_region(&self, base: PhysAddr, size: u64) -> bool {
        let size = cap_size(base.0, size);
        self.regions()
            .iter()
            .any(|r| addrs_overlap(base.0, size, r.base.0, r.size))
    }

    /// `memblock_search`: index of the region containing `addr`.
    pub(crate) fn search(&self, addr: PhysAddr) -> Option<usize> {
        let regions = self.regions();
        let idx = regions.partition_point(|r| r.end() <= addr);
        regions
            .get(idx)
            .filter(|r| r.base <= addr && addr < r.end())
            .map(|_| idx)
    }

    /// `memblock_insert_region`. The caller has checked `cnt < max`.
    pub(crate) fn insert_region(&mut self, idx: usize, rgn: MemblockRegion) {
        debug_assert!(self.cnt < self.max && self.cnt < MEMBLOCK_REGION_CAPACITY);
        self.regions.copy_within(idx..self.cnt, idx + 1);
        self.regions[idx] = rgn;
        self.cnt += 1;
        self.total_size += rgn.size;
    }

    /// `memblock_remove_region`.
    pub(crate) fn remove_region(&mut self, r: usize) {
        self.total_size -= self.regions[r].size;
        self.regions.copy_within(r + 1..self.cnt, r);
        self.cnt -= 1;
        self.regions[self.cnt] = MemblockRegion::EMPTY;
        if self.cnt == 0 {
            self.regions[0] = MemblockRegion::EMPTY;
        }
    }

    /// `memblock_merge_regions`: merge compatible neighbours among `[start_rgn - 1, end_rgn]`.
    pub(crate) fn merge_regions(&mut self, start_rgn: usize, end_rgn: usize) {
        let mut i = start_rgn.saturating_sub(1);
        let mut end_rgn = end_rgn.min(self.cnt.saturating_sub(1));
        while i < end_rgn {
            let this = self.regions[i];
            let next = self.regions[i + 1];
            if this.end() != next.base || this.nid != next.nid || this.flags != next.flags {
                i += 1;
                continue;
            }
            self.regions[i].size += next.size;
            self.regions.copy_within(i + 2..self.cnt, i + 1);
            self.cnt -= 1;
            self.regions[self.cnt] = MemblockRegion::EMPTY;
            end_rgn -= 1;
        }
    }
}
