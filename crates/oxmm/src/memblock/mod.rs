//! Boot-time memory allocator (Linux: mm/memblock.c).
//!
//! Two sorted, merged region arrays — `memory` (what exists) and `reserved` (what is
//! taken) — plus allocation from memory minus reserved, before the buddy allocator
//! exists. Storage is inline (no heap); Linux's array doubling is emulated for
//! everything observable: [`MemblockType::max`] doubles from [`INIT_MEMBLOCK_REGIONS`]
//! and the doubled array's bytes are allocated from, and reserved in, memblock itself.
//!
//! ```
//! use oxmm::memblock::Memblock;
//! use oxmm::types::{NodeId, PhysAddr};
//! use oxmm::memblock::MemblockFlags;
//! let mut mb = Memblock::new();
//! mb.add_node(PhysAddr(0x10_0000), 0x100_0000, NodeId(0), MemblockFlags::empty()).unwrap();
//! mb.reserve(PhysAddr(0x10_0000), 0x1000).unwrap();
//! let p = mb.alloc_raw(0x2000, 0x1000).unwrap();
//! assert_eq!(p, PhysAddr(0x10_0000 + 0x100_0000 - 0x2000)); // top-down
//! assert_eq!(mb.reserved().cnt(), 2);
//! ```

mod alloc;
mod iter;
mod region;

use core::fmt;

pub use alloc::{free_pages_memory, MEMBLOCK_ALLOC_ACCESSIBLE, SMP_CACHE_BYTES};
pub use iter::{FreeRanges, MemPfnRanges};
pub use region::{
    MemblockFlags, MemblockRegion, MemblockType, INIT_MEMBLOCK_REGIONS, MEMBLOCK_REGION_CAPACITY,
    MEMBLOCK_REGION_SIZE,
};

use crate::types::{NodeId, PageGeometry, PhysAddr, PHYS_ADDR_MAX};
use region::cap_size;

/// "No upper limit" for allocations (Linux: `MEMBLOCK_ALLOC_ANYWHERE`, all ones).
///
/// ```
/// use oxmm::memblock::{Memblock, MEMBLOCK_ALLOC_ANYWHERE};
/// assert_eq!(Memblock::new().current_limit(), MEMBLOCK_ALLOC_ANYWHERE);
/// ```
pub const MEMBLOCK_ALLOC_ANYWHERE: PhysAddr = PhysAddr(u64::MAX);

/// Why a memblock operation failed. Nothing was changed when one is returned (except
/// that a region array may already have been doubled, as in Linux).
///
/// ```
/// use oxmm::memblock::MemblockError;
/// let e = MemblockError::BadAlign { align: 3 };
/// assert!(format!("{e}").contains("3"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemblockError {
    /// The array is full and resizing is off (Linux: before `memblock_allow_resize`).
    ResizeNotAllowed {
        /// `"memory"` or `"reserved"`.
        name: &'static str,
        /// Current logical size.
        max: usize,
    },
    /// No memblock memory was free for the doubled array
    /// (Linux: "Failed to double %s array from %ld to %ld entries").
    DoubleArrayFailed {
        /// `"memory"` or `"reserved"`.
        name: &'static str,
        /// Current logical size.
        from: usize,
        /// Wanted logical size.
        to: usize,
        /// Bytes the new array needed.
        bytes: u64,
    },
    /// The array would outgrow the inline storage ([`MEMBLOCK_REGION_CAPACITY`]).
    CapacityExceeded {
        /// `"memory"` or `"reserved"`.
        name: &'static str,
        /// Regions the operation needed.
        needed: usize,
    },
    /// An alignment that is zero or not a power of two.
    BadAlign {
        /// The offending alignment.
        align: u64,
    },
}

impl fmt::Display for MemblockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MemblockError::ResizeNotAllowed { name, max } => {
                write!(f, "memblock: cannot resize {name} array (full at {max} entries, resizing not allowed)")
            }
            MemblockError::DoubleArrayFailed { name, from, to, bytes } => write!(
                f,
                "memblock: Failed to double {name} array from {from} to {to} entries ! (no free {bytes:#x} bytes)"
            ),
            MemblockError::CapacityExceeded { name, needed } => write!(
                f,
                "memblock: {name} array needs {needed} entries, more than the inline capacity {MEMBLOCK_REGION_CAPACITY}"
            ),
            MemblockError::BadAlign { align } => {
                write!(f, "memblock: alignment {align:#x} is not a non-zero power of two")
            }
        }
    }
}

/// Which of the two arrays an internal operation works on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Which {
    Memory,
    Reserved,
}

/// The boot-time allocator state (Linux: `struct memblock`): `memory` and `reserved`,
/// allocation direction and limit.
///
/// ```
/// use oxmm::memblock::Memblock;
/// use oxmm::types::PhysAddr;
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0), 0x10_0000).unwrap();
/// mb.remove(PhysAddr(0x4_0000), 0x1_0000).unwrap();
/// assert_eq!(mb.memory().cnt(), 2);
/// assert!(!mb.bottom_up());
/// ```
#[doc(alias = "memblock")]
#[derive(Clone, Debug)]
pub struct Memblock {
    memory: MemblockType,
    reserved: MemblockType,
    bottom_up: bool,
    current_limit: PhysAddr,
    can_resize: bool,
    has_mirror: bool,
    page_size: u64,
}

impl Default for Memblock {
    fn default() -> Self {
        Self::new()
    }
}

impl Memblock {
    /// Empty arrays, top-down, `current_limit = MEMBLOCK_ALLOC_ANYWHERE`, 4 KiB pages,
    /// resizing allowed.
    ///
    /// ```
    /// let mb = oxmm::memblock::Memblock::new();
    /// assert_eq!(mb.memory().cnt(), 0);
    /// assert_eq!(mb.reserved().total_size(), 0);
    /// ```
    pub const fn new() -> Self {
        Memblock {
            memory: MemblockType::new("memory"),
            reserved: MemblockType::new("reserved"),
            bottom_up: false,
            current_limit: MEMBLOCK_ALLOC_ANYWHERE,
            can_resize: true,
            has_mirror: false,
            page_size: 4096,
        }
    }

    /// The `memory` array.
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().memory().name(), "memory");
    /// ```
    pub fn memory(&self) -> &MemblockType {
        &self.memory
    }

    /// The `reserved` array.
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().reserved().name(), "reserved");
    /// ```
    pub fn reserved(&self) -> &MemblockType {
        &self.reserved
    }

    pub(crate) fn ty(&self, w: Which) -> &MemblockType {
        match w {
            Which::Memory => &self.memory,
            Which::Reserved => &self.reserved,
        }
    }

    pub(crate) fn ty_mut(&mut self, w: Which) -> &mut MemblockType {
        match w {
            Which::Memory => &mut self.memory,
            Which::Reserved => &mut self.reserved,
        }
    }

    /// Set the page size memblock uses for its own rounding (Linux: `PAGE_SIZE`): the
    /// first page is never allocated and doubled arrays are page-aligned.
    ///
    /// ```
    /// use oxmm::memblock::Memblock;
    /// use oxmm::types::PageGeometry;
    /// let mut mb = Memblock::new();
    /// mb.set_page_geometry(PageGeometry::new(16).unwrap());
    /// assert_eq!(mb.page_size(), 65536);
    /// ```
    pub fn set_page_geometry(&mut self, geo: PageGeometry) {
        self.page_size = geo.page_size();
    }

    /// The page size set by [`set_page_geometry`](Self::set_page_geometry) (4096 by default).
    ///
    /// ```
    /// assert_eq!(oxmm::memblock::Memblock::new().page_size(), 4096);
    /// ```
    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// Allow or forbid doubling the region arrays (Linux: `memblock_allow_resize`, which
    /// architectures call once early reservations are in; allowed by default here).
    ///
    /// ```
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.set_allow_resize(false);
    /// assert!(!mb.allow_resize());
    /// ```
    #[doc(alias = "memblock_allow_resize")]
    pub fn set_allow_resize(&mut self, allow: bool) {
        self.can_resize = allow;
    }

    /// Whether the region arrays may double.
    ///
    /// ```
    /// assert!(oxmm::memblock::Memblock::new().allow_resize());
    /// ```
    pub fn allow_resize(&self) -> bool {
        self.can_resize
    }

    /// Allocate bottom-up (from low addresses) or top-down (Linux:
    /// `memblock_set_bottom_up`).
    ///
    /// ```
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.set_bottom_up(true);
    /// assert!(mb.bottom_up());
    /// ```
    #[doc(alias = "memblock_set_bottom_up")]
    pub fn set_bottom_up(&mut self, enable: bool) {
        self.bottom_up = enable;
    }

    /// Current allocation direction (Linux: `memblock_bottom_up`).
    ///
    /// ```
    /// assert!(!oxmm::memblock::Memblock::new().bottom_up());
    /// ```
    #[doc(alias = "memblock_bottom_up")]
    pub fn bottom_up(&self) -> bool {
        self.bottom_up
    }

    /// Set the highest address allocations may use by default (Linux:
    /// `memblock_set_current_limit`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.set_current_limit(PhysAddr(0x100_0000));
    /// assert_eq!(mb.current_limit(), PhysAddr(0x100_0000));
    /// ```
    #[doc(alias = "memblock_set_current_limit")]
    pub fn set_current_limit(&mut self, limit: PhysAddr) {
        self.current_limit = limit;
    }

    /// The allocation limit (Linux: `memblock_get_current_limit`).
    ///
    /// ```
    /// use oxmm::memblock::{Memblock, MEMBLOCK_ALLOC_ANYWHERE};
    /// assert_eq!(Memblock::new().current_limit(), MEMBLOCK_ALLOC_ANYWHERE);
    /// ```
    #[doc(alias = "memblock_get_current_limit")]
    pub fn current_limit(&self) -> PhysAddr {
        self.current_limit
    }

    // ---------------------------------------------------------------- add / remove

    /// Add `[base, base + size)` to `memory` without a node (Linux: `memblock_add`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x1000), 0x1000).unwrap();
    /// mb.add(PhysAddr(0x2000), 0x1000).unwrap(); // touches: merges
    /// assert_eq!(mb.memory().cnt(), 1);
    /// assert_eq!(mb.memory().regions()[0].size, 0x2000);
    /// ```
    #[doc(alias = "memblock_add")]
    pub fn add(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.add_range(Which::Memory, base, size, None, MemblockFlags::empty())
    }

    /// Add `[base, base + size)` to `memory` on node `nid` with `flags` (Linux:
    /// `memblock_add_node`).
    ///
    /// ```
    /// use oxmm::memblock::MemblockFlags;
    /// use oxmm::types::{NodeId, PhysAddr};
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add_node(PhysAddr(0x1000), 0x1000, NodeId(1), MemblockFlags::HOTPLUG).unwrap();
    /// assert_eq!(mb.memory().regions()[0].nid, Some(NodeId(1)));
    /// assert_eq!(mb.memory().regions()[0].flags, MemblockFlags::HOTPLUG);
    /// ```
    #[doc(alias = "memblock_add_node")]
    pub fn add_node(
        &mut self,
        base: PhysAddr,
        size: u64,
        nid: NodeId,
        flags: MemblockFlags,
    ) -> Result<(), MemblockError> {
        self.add_range(Which::Memory, base, size, Some(nid), flags)
    }

    /// Remove `[base, base + size)` from `memory` (Linux: `memblock_remove`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x1000), 0x3000).unwrap();
    /// mb.remove(PhysAddr(0x2000), 0x1000).unwrap();
    /// assert_eq!(mb.memory().cnt(), 2);
    /// assert_eq!(mb.memory().total_size(), 0x2000);
    /// ```
    #[doc(alias = "memblock_remove")]
    pub fn remove(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.remove_range(Which::Memory, base, size)
    }

    /// Mark `[base, base + size)` reserved (Linux: `memblock_reserve`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.reserve(PhysAddr(0x1000), 0x1000).unwrap();
    /// assert!(mb.is_region_reserved(PhysAddr(0x1800), 1));
    /// ```
    #[doc(alias = "memblock_reserve")]
    pub fn reserve(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.add_range(Which::Reserved, base, size, None, MemblockFlags::empty())
    }

    /// Unreserve `[base, base + size)` (Linux: `memblock_phys_free`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.reserve(PhysAddr(0x1000), 0x1000).unwrap();
    /// mb.free(PhysAddr(0x1000), 0x1000).unwrap();
    /// assert_eq!(mb.reserved().cnt(), 0);
    /// ```
    #[doc(alias = "memblock_phys_free")]
    #[doc(alias = "memblock_free")]
    pub fn free(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.remove_range(Which::Reserved, base, size)
    }

    /// Assign the memory in `[base, base + size)` to node `nid` (Linux:
    /// `memblock_set_node(base, size, &memblock.memory, nid)`).
    ///
    /// ```
    /// use oxmm::types::{NodeId, PhysAddr};
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x4000).unwrap();
    /// mb.set_node(PhysAddr(0x2000), 0x2000, NodeId(1)).unwrap();
    /// assert_eq!(mb.memory().cnt(), 2);
    /// assert_eq!(mb.memory().regions()[1].nid, Some(NodeId(1)));
    /// ```
    #[doc(alias = "memblock_set_node")]
    pub fn set_node(
        &mut self,
        base: PhysAddr,
        size: u64,
        nid: NodeId,
    ) -> Result<(), MemblockError> {
        let (start, end) = self.isolate_range(Which::Memory, base, size)?;
        for r in &mut self.memory.regions[start..end] {
            r.nid = Some(nid);
        }
        self.memory.merge_regions(start, end);
        Ok(())
    }

    /// `memblock_setclr_flag` on `memory`.
    fn setclr_flag(
        &mut self,
        base: PhysAddr,
        size: u64,
        set: bool,
        flag: MemblockFlags,
    ) -> Result<(), MemblockError> {
        let (start, end) = self.isolate_range(Which::Memory, base, size)?;
        for r in &mut self.memory.regions[start..end] {
            r.flags.set(flag, set);
        }
        self.memory.merge_regions(start, end);
        Ok(())
    }

    /// Flag memory as hotpluggable (Linux: `memblock_mark_hotplug`).
    ///
    /// ```
    /// use oxmm::memblock::MemblockFlags;
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x4000).unwrap();
    /// mb.mark_hotplug(PhysAddr(0), 0x2000).unwrap();
    /// assert_eq!(mb.memory().regions()[0].flags, MemblockFlags::HOTPLUG);
    /// assert_eq!(mb.memory().cnt(), 2);
    /// ```
    #[doc(alias = "memblock_mark_hotplug")]
    pub fn mark_hotplug(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.setclr_flag(base, size, true, MemblockFlags::HOTPLUG)
    }

    /// Clear the hotplug flag (Linux: `memblock_clear_hotplug`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x4000).unwrap();
    /// mb.mark_hotplug(PhysAddr(0), 0x2000).unwrap();
    /// mb.clear_hotplug(PhysAddr(0), 0x2000).unwrap();
    /// assert_eq!(mb.memory().cnt(), 1); // merged back
    /// ```
    #[doc(alias = "memblock_clear_hotplug")]
    pub fn clear_hotplug(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.setclr_flag(base, size, false, MemblockFlags::HOTPLUG)
    }

    /// Flag memory as mirrored (Linux: `memblock_mark_mirror`); from then on,
    /// allocations prefer mirrored memory and fall back to any.
    ///
    /// ```
    /// use oxmm::memblock::MemblockFlags;
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x10_0000).unwrap();
    /// mb.mark_mirror(PhysAddr(0), 0x8_0000).unwrap();
    /// let p = mb.alloc_raw(0x1000, 0x1000).unwrap();
    /// assert_eq!(p, PhysAddr(0x7_f000)); // highest mirrored page
    /// ```
    #[doc(alias = "memblock_mark_mirror")]
    pub fn mark_mirror(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.has_mirror = true;
        self.setclr_flag(base, size, true, MemblockFlags::MIRROR)
    }

    /// Keep memory out of the direct map and the allocator (Linux: `memblock_mark_nomap`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x4000).unwrap();
    /// mb.mark_nomap(PhysAddr(0x2000), 0x2000).unwrap();
    /// assert_eq!(mb.free_ranges(None).count(), 1);
    /// ```
    #[doc(alias = "memblock_mark_nomap")]
    pub fn mark_nomap(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.setclr_flag(base, size, true, MemblockFlags::NOMAP)
    }

    /// Clear the no-map flag (Linux: `memblock_clear_nomap`).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x4000).unwrap();
    /// mb.mark_nomap(PhysAddr(0x2000), 0x2000).unwrap();
    /// mb.clear_nomap(PhysAddr(0x2000), 0x2000).unwrap();
    /// assert_eq!(mb.memory().cnt(), 1);
    /// ```
    #[doc(alias = "memblock_clear_nomap")]
    pub fn clear_nomap(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.setclr_flag(base, size, false, MemblockFlags::NOMAP)
    }

    // ---------------------------------------------------------------- internals

    /// Regions `[base, end)` would add to `w` (the counting pass of `memblock_add_range`).
    fn count_new(&self, w: Which, base: u64, end: u64) -> usize {
        let mut base = base;
        let mut nr_new = 0;
        for r in self.ty(w).regions() {
            let (rbase, rend) = (r.base.0, r.end().0);
            if rbase >= end {
                break;
            }
            if rend <= base {
                continue;
            }
            if rbase > base {
                nr_new += 1;
            }
            base = rend.min(end);
        }
        if base < end {
            nr_new += 1;
        }
        nr_new
    }

    /// `memblock_add_range`: insert the parts of `[base, base + size)` not yet covered,
    /// then merge. Existing regions are never changed by an overlapping add.
    pub(crate) fn add_range(
        &mut self,
        w: Which,
        base: PhysAddr,
        size: u64,
        nid: Option<NodeId>,
        flags: MemblockFlags,
    ) -> Result<(), MemblockError> {
        let size = cap_size(base.0, size);
        if size == 0 {
            return Ok(());
        }
        let end = base.0 + size;
        let new = |b: u64, e: u64| MemblockRegion {
            base: PhysAddr(b),
            size: e - b,
            flags,
            nid,
        };
        let t = self.ty_mut(w);
        if t.cnt == 0 {
            // Special case for an empty array: fill slot 0.
            t.regions[0] = new(base.0, end);
            t.cnt = 1;
            t.total_size = size;
            return Ok(());
        }
        // First pass: count; grow the array until the worst case fits. Recount after
        // each doubling since reserving a new `reserved` array changes that array.
        loop {
            let nr_new = self.count_new(w, base.0, end);
            if nr_new == 0 {
                return Ok(());
            }
            let cnt = self.ty(w).cnt;
            if cnt + nr_new <= self.ty(w).max {
                break;
            }
            self.double_array(w, base, size, cnt + nr_new)?;
        }
        // Second pass: insert.
        let t = self.ty_mut(w);
        let mut cur = base.0;
        let mut idx = 0;
        let mut first: Option<usize> = None;
        let mut last = 0;
        while idx < t.cnt {
            let (rbase, rend) = (t.regions[idx].base.0, t.regions[idx].end().0);
            if rbase >= end {
                break;
            }
            if rend > cur {
                if rbase > cur {
                    first.get_or_insert(idx);
                    last = idx + 1;
                    t.insert_region(idx, new(cur, rbase));
                    idx += 1;
                }
                cur = rend.min(end);
            }
            idx += 1;
        }
        if cur < end {
            first.get_or_insert(idx);
            last = idx + 1;
            t.insert_region(idx, new(cur, end));
        }
        if let Some(first) = first {
            t.merge_regions(first, last);
        }
        Ok(())
    }

    /// `memblock_isolate_range`: split regions crossing the bounds of `[base, base +
    /// size)`; returns the index range of the regions inside it.
    pub(crate) fn isolate_range(
        &mut self,
        w: Which,
        base: PhysAddr,
        size: u64,
    ) -> Result<(usize, usize), MemblockError> {
        let size = cap_size(base.0, size);
        if size == 0 {
            return Ok((0, 0));
        }
        let (base, end) = (base.0, base.0 + size);
        // At most two more regions.
        while self.ty(w).cnt + 2 > self.ty(w).max {
            let need = self.ty(w).cnt + 2;
            self.double_array(w, PhysAddr(base), size, need)?;
        }
        let t = self.ty_mut(w);
        let (mut start_rgn, mut end_rgn) = (0, 0);
        let mut idx = 0;
        while idx < t.cnt {
            let r = t.regions[idx];
            let (rbase, rend) = (r.base.0, r.end().0);
            if rbase >= end {
                break;
            }
            if rend <= base {
                idx += 1;
                continue;
            }
            if rbase < base {
                // Crosses the lower bound: keep the top half here, insert the bottom
                // half before it, and go on with the top half.
                t.regions[idx].base = PhysAddr(base);
                t.regions[idx].size -= base - rbase;
                t.total_size -= base - rbase;
                t.insert_region(
                    idx,
                    MemblockRegion {
                        size: base - rbase,
                        ..r
                    },
                );
                idx += 1;
            } else if rend > end {
                // Crosses the upper bound: insert the bottom half and redo it.
                t.regions[idx].base = PhysAddr(end);
                t.regions[idx].size -= end - rbase;
                t.total_size -= end - rbase;
                t.insert_region(
                    idx,
                    MemblockRegion {
                        size: end - rbase,
                        ..r
                    },
                );
            } else {
                if end_rgn == 0 {
                    start_rgn = idx;
                }
                end_rgn = idx + 1;
                idx += 1;
            }
        }
        Ok((start_rgn, end_rgn))
    }

    /// `memblock_remove_range`.
    pub(crate) fn remove_range(
        &mut self,
        w: Which,
        base: PhysAddr,
        size: u64,
    ) -> Result<(), MemblockError> {
        let (start, end) = self.isolate_range(w, base, size)?;
        let t = self.ty_mut(w);
        for i in (start..end).rev() {
            t.remove_region(i);
        }
        Ok(())
    }

    /// `memblock_double_array`: find room for an array twice the size in memblock
    /// memory (away from `[new_area_start, +new_area_size)` when growing `reserved`),
    /// free the previous allocated array and reserve the new one.
    fn double_array(
        &mut self,
        w: Which,
        new_area_start: PhysAddr,
        new_area_size: u64,
        needed: usize,
    ) -> Result<(), MemblockError> {
        let t = self.ty(w);
        let (name, max) = (t.name, t.max);
        if !self.can_resize {
            return Err(MemblockError::ResizeNotAllowed { name, max });
        }
        if max * 2 > MEMBLOCK_REGION_CAPACITY {
            return Err(MemblockError::CapacityExceeded { name, needed });
        }
        let old_size = max as u64 * MEMBLOCK_REGION_SIZE;
        let new_size = old_size * 2;
        let old_alloc_size = self.page_align(old_size);
        let new_alloc_size = self.page_align(new_size);
        // Only a new `reserved` array must avoid the range being added.
        let (start, size) = match w {
            Which::Reserved => (new_area_start.0, new_area_size),
            Which::Memory => (0, 0),
        };
        let limit = self.current_limit.0;
        let mut addr = self.find_in_range(start + size, limit, new_alloc_size, self.page_size);
        if addr.is_none() && size != 0 {
            addr = self.find_in_range(0, start.min(limit), new_alloc_size, self.page_size);
        }
        let addr = addr.ok_or(MemblockError::DoubleArrayFailed {
            name,
            from: max,
            to: max * 2,
            bytes: new_alloc_size,
        })?;
        let t = self.ty_mut(w);
        t.max = max * 2;
        let old_array = t.array.replace((PhysAddr(addr), new_alloc_size));
        if let Some((old_base, _)) = old_array {
            // Linux ignores a failure to free the old array (memblock_free is void).
            let _ = self.remove_range(Which::Reserved, old_base, old_alloc_size);
        }
        self.add_range(
            Which::Reserved,
            PhysAddr(addr),
            new_alloc_size,
            None,
            MemblockFlags::empty(),
        )
    }

    fn page_align(&self, x: u64) -> u64 {
        x.div_ceil(self.page_size) * self.page_size
    }

    // ---------------------------------------------------------------- trimming

    /// Round every memory region's base up and end down to `align`; regions that
    /// vanish are removed (Linux: `memblock_trim_memory`). Unlike Linux, which leaves
    /// `memory.total_size` stale for shrunk regions, the total is kept exact.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x800), 0x2000).unwrap();
    /// mb.add(PhysAddr(0x10000), 0x800).unwrap();
    /// mb.trim_memory(0x1000).unwrap();
    /// assert_eq!(mb.memory().cnt(), 1);
    /// assert_eq!(mb.memory().regions()[0].base, PhysAddr(0x1000));
    /// assert_eq!(mb.memory().regions()[0].size, 0x1000);
    /// assert!(mb.trim_memory(3).is_err());
    /// ```
    #[doc(alias = "memblock_trim_memory")]
    pub fn trim_memory(&mut self, align: u64) -> Result<(), MemblockError> {
        if !align.is_power_of_two() {
            return Err(MemblockError::BadAlign { align });
        }
        let t = &mut self.memory;
        let mut i = 0;
        while i < t.cnt {
            let r = t.regions[i];
            let (orig_start, orig_end) = (r.base.0, r.end().0);
            let start = orig_start.checked_next_multiple_of(align);
            let end = orig_end & !(align - 1);
            match start {
                Some(start) if start == orig_start && end == orig_end => i += 1,
                Some(start) if start < end => {
                    t.total_size -= r.size - (end - start);
                    t.regions[i].base = PhysAddr(start);
                    t.regions[i].size = end - start;
                    i += 1;
                }
                _ => t.remove_region(i),
            }
        }
        Ok(())
    }

    /// Keep only the first `limit` bytes of memory (`mem=` on device-tree
    /// architectures; Linux: `memblock_enforce_memory_limit`): memory and reserved
    /// ranges above the address where the limit runs out are removed. `0` does nothing.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x1000), 0x1000).unwrap();
    /// mb.add(PhysAddr(0x10000), 0x4000).unwrap();
    /// mb.reserve(PhysAddr(0x12000), 0x4000).unwrap();
    /// mb.enforce_memory_limit(0x2000);
    /// assert_eq!(mb.end_of_dram(), PhysAddr(0x11000));
    /// assert_eq!(mb.reserved().cnt(), 0);
    /// ```
    #[doc(alias = "memblock_enforce_memory_limit")]
    pub fn enforce_memory_limit(&mut self, limit: u64) {
        if limit == 0 {
            return;
        }
        let max_addr = self.find_max_addr(limit);
        if max_addr == PHYS_ADDR_MAX {
            return;
        }
        // Linux ignores failures here (void function); a failed removal changes nothing.
        let _ = self.remove_range(Which::Memory, PhysAddr(max_addr), PHYS_ADDR_MAX);
        let _ = self.remove_range(Which::Reserved, PhysAddr(max_addr), PHYS_ADDR_MAX);
    }

    /// `__find_max_addr`: the address where the first `limit` bytes of memory (NOMAP
    /// regions counted) end; `PHYS_ADDR_MAX` when there is no more memory than that.
    fn find_max_addr(&self, limit: u64) -> u64 {
        let mut left = limit;
        for r in self.memory.regions() {
            if left <= r.size {
                return r.base.0 + left;
            }
            left -= r.size;
        }
        PHYS_ADDR_MAX
    }

    /// Keep the first `limit` bytes of memory, NOMAP regions counted, and every NOMAP
    /// region wherever it lies (`mem=` on arm64; Linux: `memblock_mem_limit_remove_map`):
    /// mapped memory and reserved ranges from the address where the limit runs out
    /// are removed. `0` does nothing.
    ///
    /// ```
    /// use oxmm::memblock::MemblockFlags;
    /// use oxmm::types::{NodeId, PhysAddr};
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0x1000), 0x1000).unwrap();
    /// mb.add_node(PhysAddr(0x2000), 0x2000, NodeId(0), MemblockFlags::NOMAP).unwrap();
    /// mb.add(PhysAddr(0x10000), 0x4000).unwrap();
    /// mb.reserve(PhysAddr(0x12000), 0x4000).unwrap();
    /// mb.mem_limit_remove_map(0x2000);
    /// // 0x1000 bytes of memory, then 0x1000 of the NOMAP region: the rest of it stays.
    /// assert_eq!(mb.end_of_dram(), PhysAddr(0x4000));
    /// assert_eq!(mb.memory().total_size(), 0x3000);
    /// assert_eq!(mb.reserved().cnt(), 0);
    /// ```
    #[doc(alias = "memblock_mem_limit_remove_map")]
    pub fn mem_limit_remove_map(&mut self, limit: u64) {
        if limit == 0 {
            return;
        }
        let max_addr = self.find_max_addr(limit);
        if max_addr == PHYS_ADDR_MAX {
            return;
        }
        self.cap_memory_range(PhysAddr(0), max_addr);
    }

    /// Keep only memory inside `[base, base + size)` plus NOMAP regions, and reserved
    /// ranges inside it (Linux: `memblock_cap_memory_range`, used by `mem=` on crash
    /// kernels). Does nothing when `size` is 0 or no memory is registered.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let mut mb = oxmm::memblock::Memblock::new();
    /// mb.add(PhysAddr(0), 0x10000).unwrap();
    /// mb.cap_memory_range(PhysAddr(0x4000), 0x4000);
    /// assert_eq!(mb.memory().regions()[0].base, PhysAddr(0x4000));
    /// assert_eq!(mb.memory().total_size(), 0x4000);
    /// ```
    #[doc(alias = "memblock_cap_memory_range")]
    pub fn cap_memory_range(&mut self, base: PhysAddr, size: u64) {
        if size == 0 || self.memory.total_size == 0 {
            return;
        }
        let Ok((start_rgn, end_rgn)) = self.isolate_range(Which::Memory, base, size) else {
            return;
        };
        let t = &mut self.memory;
        for i in (end_rgn..t.cnt).rev() {
            if !t.regions[i].flags.contains(MemblockFlags::NOMAP) {
                t.remove_region(i);
            }
        }
        for i in (0..start_rgn).rev() {
            if !t.regions[i].flags.contains(MemblockFlags::NOMAP) {
                t.remove_region(i);
            }
        }
        let end = base.0.saturating_add(cap_size(base.0, size));
        let _ = self.remove_range(Which::Reserved, PhysAddr(0), base.0);
        let _ = self.remove_range(Which::Reserved, PhysAddr(end), PHYS_ADDR_MAX);
    }
}
