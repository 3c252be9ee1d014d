//! The memory map: page descriptors of present sections, the section table, and the
//! pageblock bitmaps, all reached through the platform's direct map (Linux: SPARSEMEM's
//! `mem_section[]`, `pfn_to_page`, `pfn_valid`, `get_pfnblock_flags_mask`).
//!
//! This is the only module that dereferences raw pointers into managed memory.
//!
//! Layout (all of it memblock-allocated at boot, so it shows up as reserved):
//! * one memmap block per group of present sections of the same node, in that node's
//!   memory (Linux: `sparse_init_nid`'s buffer);
//! * the section table: a `u32` *rank* per section below the highest present one
//!   ([`SECTION_NOT_PRESENT`] for absent sections), followed by one [`RankEntry`] per
//!   present section (where its descriptors live, which section it is).
//!
//! A page's *memmap index* (the 32-bit list link in [`Page`]) is
//! `rank × PAGES_PER_SECTION + (pfn mod PAGES_PER_SECTION)`.

use crate::page::{Page, PageState};
use crate::types::{PageGeometry, PhysAddr};
use core::mem::size_of;
use core::ptr::NonNull;
use core::sync::atomic::AtomicU8;
use core::sync::atomic::Ordering::Relaxed;

/// Section-table value of a section without memory.
///
/// ```
/// assert_eq!(oxmm::memmap::SECTION_NOT_PRESENT, u32::MAX);
/// ```
pub const SECTION_NOT_PRESENT: u32 = u32::MAX;

/// Bits per pageblock in the pageblock bitmap (`NR_PAGEBLOCK_BITS`): 3 migrate-type bits
/// and `PB_migrate_skip`.
///
/// ```
/// assert_eq!(oxmm::memmap::NR_PAGEBLOCK_BITS, 4);
/// ```
pub const NR_PAGEBLOCK_BITS: u64 = 4;

/// Where one present section's descriptors are.
///
/// ```
/// assert_eq!(core::mem::size_of::<oxmm::memmap::RankEntry>(), 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct RankEntry {
    /// Physical address of the section's first descriptor.
    pub memmap: u64,
    /// The section number.
    pub section_nr: u32,
    /// The node the section belongs to.
    pub nid: u32,
}

/// The memory map of a booted machine.
///
/// Descriptor access needs a real direct map: a map built for a description-only boot
/// ([`MemMap::is_accessible`] false) answers `None` everywhere.
///
/// ```
/// use oxmm::memmap::MemMap;
/// let m = MemMap::empty(oxmm::types::PageGeometry::default());
/// assert!(m.page(0).is_none());
/// assert_eq!(m.nr_present_sections(), 0);
/// ```
#[derive(Debug)]
pub struct MemMap {
    base: *mut u8,
    geo: PageGeometry,
    section_shift: u32,
    // `PAGES_PER_SECTION - 1`, kept: the pfn/index translations on every allocation
    // and free take a page's offset in its section.
    section_mask: u64,
    nr_sections: u64,
    nr_present: u32,
    table: PhysAddr,
    accessible: bool,
    // The hot lookups' view of the table: its rank array and entries as pointers, and
    // their bounds (0 when the map is not accessible), so `pfn_to_page` is two loads
    // and two compares.
    ranks: *const u32,
    entries: *const RankEntry,
    acc_sections: u64,
    acc_present: u32,
    // The flat part: memmap indices below `flat_pages` (the first node's group, so
    // all of a one-node machine) have their descriptors in one block, in index order,
    // so that index-to-descriptor is one compare and one add, as SPARSEMEM_VMEMMAP's
    // `pfn_to_page` is.
    flat_pages: u64,
    flat_desc: NonNull<Page>,
    // The linear window: the flat part's last run of sections with no absent section
    // between them (the highest memory, where the highest zones and so most
    // allocations are), where `memmap index = lin_idx + (pfn - lin_base)` (Linux's
    // SPARSEMEM_VMEMMAP `pfn_to_page`: one subtraction, one bound, one add). The free
    // path's pfn-to-descriptor goes through it before the section table.
    lin_base: u64,
    lin_pages: u64,
    lin_idx: u32,
}

// SAFETY: the raw pointer is the direct map of the machine this map describes; every
// mutation goes through `&mut MemMap`, so sharing or sending the map across threads is
// as safe as sharing the owning `Mm`.
unsafe impl Send for MemMap {}
// SAFETY: see `Send`; `&MemMap` only reads.
unsafe impl Sync for MemMap {}

/// A copy of a map's flat part (see [`MemMap::flat_pages`]): where the descriptors of
/// memmap indices below `len` are. Kept beside the per-CPU lists, whose list links it
/// turns into descriptors from a pointer already at hand, not from the map.
///
/// ```
/// let v = oxmm::memmap::FlatView::EMPTY;
/// assert_eq!(v.len(), 0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FlatView {
    base: NonNull<Page>,
    len: u64,
}

// SAFETY: a view is a pointer into a map's descriptors plus a bound; it only reads
// through `page`, whose caller vouches for the map, as sharing the map itself does.
unsafe impl Send for FlatView {}
// SAFETY: as for `Send`.
unsafe impl Sync for FlatView {}

impl FlatView {
    /// A view of nothing.
    ///
    /// ```
    /// use oxmm::memmap::FlatView;
    /// let v = FlatView::EMPTY;
    /// assert!(v.is_empty());
    /// assert_eq!(v.len(), 0);
    /// ```
    pub const EMPTY: FlatView = FlatView {
        base: NonNull::dangling(),
        len: 0,
    };

    /// How many memmap indices, from 0, the view covers.
    ///
    /// ```
    /// use oxmm::memmap::FlatView;
    /// let v = FlatView::EMPTY;
    /// assert_eq!(v.len(), 0);
    /// assert_eq!(v.len() == 0, v.is_empty());
    /// ```
    pub const fn len(&self) -> u64 {
        self.len
    }

    /// Whether the view covers no index.
    ///
    /// ```
    /// use oxmm::memmap::FlatView;
    /// assert!(FlatView::EMPTY.is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The descriptor with memmap index `idx`: from the view inside it, from `map`
    /// past it.
    ///
    /// # Safety
    /// `map` must be the map this view was taken from ([`MemMap::flat_view`]).
    #[inline(always)]
    pub(crate) unsafe fn page<'m>(&self, map: &'m MemMap, idx: u32) -> Option<&'m Page> {
        if (idx as u64) < self.len {
            // SAFETY: the view is `map`'s flat part (caller contract): `len`
            // initialised descriptors from `base`, all atomics, living as long as
            // `map`.
            return Some(unsafe { self.base.add(idx as usize).as_ref() });
        }
        crate::local_lock::cold_path();
        map.page_by_index(idx)
    }
}

impl MemMap {
    /// A map with no sections.
    ///
    /// ```
    /// use oxmm::memmap::MemMap;
    /// use oxmm::types::PageGeometry;
    /// let m = MemMap::empty(PageGeometry::default());
    /// assert!(!m.is_accessible());
    /// assert_eq!((m.nr_present_sections(), m.flat_pages()), (0, 0));
    /// assert!(!m.pfn_valid(0) && m.index_of(0).is_none());
    /// ```
    pub const fn empty(geo: PageGeometry) -> MemMap {
        MemMap {
            base: core::ptr::null_mut(),
            geo,
            section_shift: geo.pages_per_section().trailing_zeros(),
            section_mask: geo.pages_per_section() - 1,
            nr_sections: 0,
            nr_present: 0,
            ranks: core::ptr::null(),
            entries: core::ptr::null(),
            acc_sections: 0,
            acc_present: 0,
            flat_pages: 0,
            flat_desc: NonNull::dangling(),
            lin_base: 0,
            lin_pages: 0,
            lin_idx: 0,
            table: PhysAddr(0),
            accessible: false,
        }
    }

    /// Bytes of the section table for `nr_sections` sections of which `nr_present` are
    /// present.
    ///
    /// ```
    /// use oxmm::memmap::{MemMap, RankEntry};
    /// // 4-byte ranks padded to 16 bytes, then one entry per present section.
    /// assert_eq!(MemMap::table_bytes(4, 1), 16 + 16);
    /// let entry = core::mem::size_of::<RankEntry>() as u64;
    /// assert_eq!(MemMap::table_bytes(5, 2), 32 + 2 * entry);
    /// ```
    pub const fn table_bytes(nr_sections: u64, nr_present: u64) -> u64 {
        let ranks = (nr_sections * 4).next_multiple_of(16);
        ranks + nr_present * size_of::<RankEntry>() as u64
    }

    /// A map whose section table lives at `table`, every section marked absent. When
    /// `base` is null the map describes only (no descriptor access).
    ///
    /// # Safety
    /// Unless `base` is null, `base + table` must be valid for writes of
    /// [`MemMap::table_bytes`]`(nr_sections, present)` bytes reserved for this map alone,
    /// where `present` bounds the ranks later given to [`MemMap::set_section`].
    pub(crate) unsafe fn new_table(
        geo: PageGeometry,
        base: *mut u8,
        table: PhysAddr,
        nr_sections: u64,
    ) -> MemMap {
        let mut m = MemMap::empty(geo);
        m.nr_sections = nr_sections;
        m.table = table;
        if !base.is_null() {
            m.base = base;
            m.accessible = true;
            let rank_ptr = base.wrapping_add(table.0 as usize) as *mut u32;
            for i in 0..nr_sections as usize {
                // SAFETY: the caller guarantees the table is writable for `nr_sections` ranks.
                unsafe { rank_ptr.add(i).write_unaligned(SECTION_NOT_PRESENT) };
            }
            m.ranks = rank_ptr;
            let off = table.0 + (nr_sections * 4).next_multiple_of(16);
            m.entries = base.wrapping_add(off as usize) as *const RankEntry;
            m.acc_sections = nr_sections;
        }
        m
    }

    /// Record present section `sec` as rank `rank` with its memmap `e`.
    ///
    /// # Safety
    /// `rank` must be below the `present` count the table was sized for, and `e.memmap`
    /// must point to `PAGES_PER_SECTION` descriptors of memory reserved for this map.
    pub(crate) unsafe fn set_section(&mut self, sec: u64, rank: u32, e: RankEntry) {
        if sec >= self.nr_sections {
            return;
        }
        self.nr_present = self.nr_present.max(rank + 1);
        if !self.accessible {
            return;
        }
        self.acc_present = self.nr_present;
        let rank_ptr = self.base.wrapping_add((self.table.0 + sec * 4) as usize) as *mut u32;
        let off = self.table.0 + (self.nr_sections * 4).next_multiple_of(16);
        let ent_ptr = self.base.wrapping_add(off as usize) as *mut RankEntry;
        // SAFETY: `sec < nr_sections` and `rank` is within the table (caller contract).
        unsafe {
            rank_ptr.write_unaligned(rank);
            ent_ptr.add(rank as usize).write_unaligned(e);
        }
        self.extend_flat(rank, e);
    }

    /// Grow the flat part by rank `rank` (memmap `e`) if its descriptors follow the
    /// part's last ones.
    fn extend_flat(&mut self, rank: u32, e: RankEntry) {
        let pps = 1u64 << self.section_shift;
        let run = self.flat_pages >> self.section_shift;
        let desc = self.base.wrapping_add(e.memmap as usize) as *mut Page;
        if rank == 0 {
            let Some(d) = NonNull::new(desc) else { return };
            self.flat_desc = d;
        } else if rank as u64 != run
            || desc != self.flat_desc.as_ptr().wrapping_add((run * pps) as usize)
        {
            return;
        }
        // The window follows its run while the sections follow each other; a hole
        // starts a new one at this section.
        let pfn = (e.section_nr as u64) << self.section_shift;
        if rank != 0 && pfn == self.lin_base.wrapping_add(self.lin_pages) {
            self.lin_pages += pps;
        } else {
            self.lin_base = pfn;
            self.lin_pages = pps;
            self.lin_idx = rank << self.section_shift;
        }
        self.flat_pages = (run + 1) * pps;
    }

    /// The linear window (see the field's comment) as its first pfn and its number
    /// of pages: pfns that map to memmap indices and descriptors by one subtraction;
    /// no pages when the map is not accessible.
    ///
    /// ```
    /// let m = oxmm::memmap::MemMap::empty(oxmm::types::PageGeometry::default());
    /// assert_eq!(m.linear_window().1, 0);
    /// ```
    pub const fn linear_window(&self) -> (u64, u64) {
        (self.lin_base, self.lin_pages)
    }

    /// `pfn`'s memmap index and descriptor if it is inside the linear window.
    #[inline(always)]
    fn linear(&self, pfn: u64) -> Option<(u32, NonNull<Page>)> {
        // A pfn below the window wraps far past its bound: one test for both sides.
        let i = pfn.wrapping_sub(self.lin_base);
        if i < self.lin_pages {
            let idx = self.lin_idx + i as u32;
            // SAFETY: the window lies inside the flat part (`extend_flat`), whose
            // `flat_pages` descriptors are one block from `flat_desc`.
            return Some((idx, unsafe { self.flat_desc.add(idx as usize) }));
        }
        crate::local_lock::cold_path();
        None
    }

    /// [`MemMap::pfn_of`] by arithmetic alone when `idx` is inside the linear window
    /// (the inverse of its `pfn -> index` subtraction), through the rank table
    /// otherwise: the per-CPU lists name pages by index, and an allocation taken from
    /// one needs the pfn without a further dependent load.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::page::Page;
    /// let m = mm.memmap();
    /// for pfn in [0x1, 0x2000, 0x3fff] {
    ///     let idx = m.index_of(pfn).unwrap();
    ///     assert_eq!(m.pfn_of_fast(idx), Some(pfn));
    ///     assert_eq!(m.pfn_of_fast(idx), m.pfn_of(idx));
    /// }
    /// assert_eq!(m.pfn_of_fast(Page::NIL), None);
    /// ```
    #[inline(always)]
    pub fn pfn_of_fast(&self, idx: u32) -> Option<u64> {
        // An index below the window wraps far past its bound: one test for both sides.
        let i = idx.wrapping_sub(self.lin_idx) as u64;
        if i < self.lin_pages {
            return Some(self.lin_base + i);
        }
        crate::local_lock::cold_path();
        self.pfn_of(idx)
    }

    /// How many memmap indices, from 0, the flat part covers (see the field's
    /// comment): 0 when the map is not accessible.
    ///
    /// ```
    /// let m = oxmm::memmap::MemMap::empty(oxmm::types::PageGeometry::default());
    /// assert_eq!(m.flat_pages(), 0);
    /// ```
    pub const fn flat_pages(&self) -> u64 {
        self.flat_pages
    }

    /// A copy of the flat part's bounds, for [`FlatView::page`].
    pub(crate) fn flat_view(&self) -> FlatView {
        FlatView {
            base: self.flat_desc,
            len: self.flat_pages,
        }
    }

    /// Whether descriptors can be read and written (a Full boot on a real direct map).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::memmap::MemMap;
    /// assert!(mm.memmap().is_accessible()); // a Full boot on a real direct map
    /// assert!(!MemMap::empty(mm.geometry()).is_accessible());
    /// ```
    #[inline]
    pub const fn is_accessible(&self) -> bool {
        self.accessible
    }

    /// Number of present sections.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // A 64 MiB machine: one present 128 MiB section.
    ///
    /// let m = mm.memmap();
    /// assert_eq!(m.nr_present_sections(), 1);
    /// assert!(m.rank_entry(0).is_some() && m.rank_entry(1).is_none());
    /// ```
    #[inline]
    pub const fn nr_present_sections(&self) -> u32 {
        self.nr_present
    }

    /// Physical address of the section table.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::memmap::MemMap;
    /// // memblock-allocated: one rank and one entry, reserved.
    /// let (table, size) = (mm.memmap().table(), MemMap::table_bytes(1, 1));
    /// let reserved = mm.memblock().reserved().regions();
    /// assert!(reserved.iter().any(|r| r.base == table && r.size == size));
    /// ```
    #[inline]
    pub const fn table(&self) -> PhysAddr {
        self.table
    }

    #[inline]
    fn rank_of_section(&self, sec: u64) -> Option<u32> {
        if sec >= self.acc_sections {
            return None;
        }
        // SAFETY: `sec < nr_sections` of an accessible map, inside the table written
        // in `new_table`.
        let r = unsafe { self.ranks.add(sec as usize).read_unaligned() };
        (r != SECTION_NOT_PRESENT).then_some(r)
    }

    /// The first descriptor's physical address of present section `rank`.
    #[inline]
    fn rank_memmap(&self, rank: u32) -> Option<u64> {
        if rank >= self.acc_present {
            return None;
        }
        // SAFETY: `rank < nr_present` of an accessible map, inside the entries written
        // in `set_section`; only the `memmap` field is read.
        Some(unsafe {
            core::ptr::addr_of!((*self.entries.add(rank as usize)).memmap).read_unaligned()
        })
    }

    /// The [`RankEntry`] of present section number `rank`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // A 64 MiB machine: one present 128 MiB section.
    ///
    /// let e = mm.memmap().rank_entry(0).unwrap();
    /// assert_eq!((e.section_nr, e.nid), (0, 0));
    /// // The descriptors live in memblock-reserved memory.
    /// assert!(mm.memblock().is_region_reserved(PhysAddr(e.memmap), 32));
    /// assert_eq!(mm.memmap().rank_entry(1), None);
    /// ```
    #[inline]
    pub fn rank_entry(&self, rank: u32) -> Option<RankEntry> {
        if rank >= self.acc_present {
            return None;
        }
        // SAFETY: `rank < nr_present` of an accessible map, inside the entries written
        // in `set_section`.
        Some(unsafe { self.entries.add(rank as usize).read_unaligned() })
    }

    /// `pfn_valid`: the pfn's section has a memmap.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // A 64 MiB machine: one present 128 MiB section.
    ///
    /// let m = mm.memmap();
    /// assert!(m.pfn_valid(0x100));
    /// assert!(m.pfn_valid(0)); // not memory, but in a present section
    /// assert!(!m.pfn_valid(0x8000)); // the next section has no memory
    /// ```
    #[inline]
    pub fn pfn_valid(&self, pfn: u64) -> bool {
        self.rank_of_section(pfn >> self.section_shift).is_some()
    }

    /// The memmap index of `pfn` (its list-link value).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // A 64 MiB machine: one present 128 MiB section.
    ///
    /// let m = mm.memmap();
    /// assert_eq!(m.index_of(0x123), Some(0x123)); // rank 0 is section 0
    /// assert_eq!(m.pfn_of(m.index_of(0x123).unwrap()), Some(0x123));
    /// assert_eq!(m.index_of(0x8000), None);
    /// ```
    #[inline]
    pub fn index_of(&self, pfn: u64) -> Option<u32> {
        if let Some((i, _)) = self.linear(pfn) {
            return Some(i);
        }
        self.index_of_sparse(pfn)
    }

    /// [`MemMap::index_of`] outside the linear window: through the section table.
    #[inline(never)]
    fn index_of_sparse(&self, pfn: u64) -> Option<u32> {
        let r = self.rank_of_section(pfn >> self.section_shift)?;
        let off = pfn & self.section_mask;
        Some(((r as u64) << self.section_shift | off) as u32)
    }

    /// The pfn of memmap index `idx`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::page::Page;
    /// let m = mm.memmap();
    /// let idx = m.index_of(0x2000).unwrap();
    /// assert_eq!(m.pfn_of(idx), Some(0x2000));
    /// assert_eq!(m.pfn_of(Page::NIL), None);
    /// ```
    #[inline]
    pub fn pfn_of(&self, idx: u32) -> Option<u64> {
        let e = self.rank_entry(idx >> self.section_shift)?;
        let off = idx as u64 & self.section_mask;
        Some(((e.section_nr as u64) << self.section_shift) | off)
    }

    #[inline(always)]
    fn desc_ptr_by_index(&self, idx: u32) -> Option<NonNull<Page>> {
        if (idx as u64) < self.flat_pages {
            // SAFETY: the flat part's `flat_pages` descriptors are one block from
            // `flat_desc` (`extend_flat`), so the offset stays inside it; being
            // `NonNull`, the result needs no null test where it becomes a reference.
            return Some(unsafe { self.flat_desc.add(idx as usize) });
        }
        self.desc_ptr_sparse(idx)
    }

    /// [`MemMap::desc_ptr_by_index`] outside the flat part: through the rank entries.
    #[inline(never)]
    fn desc_ptr_sparse(&self, idx: u32) -> Option<NonNull<Page>> {
        let memmap = self.rank_memmap(idx >> self.section_shift)?;
        let off = idx as u64 & self.section_mask;
        let phys = memmap + off * size_of::<Page>() as u64;
        NonNull::new(self.base.wrapping_add(phys as usize) as *mut Page)
    }

    /// `pfn_to_page`. Descriptors are written through their atomic fields, so a shared
    /// reference is all anyone needs (see [`Page`]).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // 64 MiB from pfn 1: ZONE_DMA below 16 MiB, ZONE_DMA32 above.
    /// let m = mm.memmap();
    /// assert!(m.page(0).unwrap().is_reserved()); // not memory
    /// let p = m.page(0x2000).unwrap();
    /// assert_eq!((p.zone_idx(), p.nid()), (1, 0));
    /// assert!(p.is_buddy()); // free since boot
    /// assert!(m.page(0x8000).is_none());
    /// ```
    #[doc(alias = "pfn_to_page")]
    #[inline]
    pub fn page(&self, pfn: u64) -> Option<&Page> {
        let p = match self.linear(pfn) {
            Some((_, p)) => p,
            None => self.desc_ptr_by_index(self.index_of_sparse(pfn)?)?,
        };
        // SAFETY: `p` is an initialised descriptor inside a memmap block this map owns,
        // which lives as long as the map; `Page` is all atomics, so shared references
        // may coexist with other threads' accesses.
        Some(unsafe { p.as_ref() })
    }

    /// The descriptors of `[pfn, pfn + nr)` as one slice, when they lie in one present
    /// section (an aligned block of an order up to the section size always does).
    #[inline]
    pub(crate) fn block(&self, pfn: u64, nr: u64) -> Option<&[Page]> {
        let last = pfn.checked_add(nr.checked_sub(1)?)?;
        if pfn >> self.section_shift != last >> self.section_shift {
            return None;
        }
        let p = match self.linear(pfn) {
            Some((_, p)) => p,
            None => self.desc_ptr_by_index(self.index_of_sparse(pfn)?)?,
        };
        // SAFETY: a present section's descriptors are contiguous and initialised (see
        // `MemMapPart::fill`), and `[pfn, pfn + nr)` lies in one; as in `page`, they
        // live as long as the map and are all atomics.
        Some(unsafe { core::slice::from_raw_parts(p.as_ptr(), nr as usize) })
    }

    /// [`MemMap::block`] with the memmap index of its first page.
    #[inline]
    pub(crate) fn block_indexed(&self, pfn: u64, nr: u64) -> Option<(u32, &[Page])> {
        let last = pfn.checked_add(nr.checked_sub(1)?)?;
        if pfn >> self.section_shift != last >> self.section_shift {
            return None;
        }
        let (idx, p) = match self.linear(pfn) {
            Some(v) => v,
            None => {
                let idx = self.index_of_sparse(pfn)?;
                (idx, self.desc_ptr_by_index(idx)?)
            }
        };
        // SAFETY: as in `block`.
        Some((idx, unsafe {
            core::slice::from_raw_parts(p.as_ptr(), nr as usize)
        }))
    }

    /// The descriptor with memmap index `idx`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::page::Page;
    /// let m = mm.memmap();
    /// let idx = m.index_of(0x2000).unwrap();
    /// assert!(core::ptr::eq(m.page_by_index(idx).unwrap(), m.page(0x2000).unwrap()));
    /// assert!(m.page_by_index(Page::NIL).is_none());
    /// ```
    #[inline]
    pub fn page_by_index(&self, idx: u32) -> Option<&Page> {
        let p = self.desc_ptr_by_index(idx)?;
        // SAFETY: as in `page`.
        Some(unsafe { p.as_ref() })
    }

    /// Zero `size` bytes at physical `phys` (the `zero` callback of memblock allocations).
    ///
    /// # Safety
    /// `[phys, phys + size)` must be memory of this machine that nothing else references.
    pub(crate) unsafe fn zero_phys(base: *mut u8, phys: PhysAddr, size: u64) {
        if base.is_null() {
            return;
        }
        // SAFETY: the caller guarantees the range is unreferenced machine memory.
        unsafe { core::ptr::write_bytes(base.wrapping_add(phys.0 as usize), 0, size as usize) };
    }

    /// Read the 4 bits of pageblock `bitidx / 4` from the bitmap at `usemap`
    /// (`get_pfnblock_flags_mask`).
    #[inline]
    pub(crate) fn pageblock_bits(
        &self,
        usemap: PhysAddr,
        usemap_bytes: u64,
        block: u64,
    ) -> Option<u8> {
        // Two pageblocks to a byte (NR_PAGEBLOCK_BITS = 4): the byte index is
        // `block / 2`, compared as such (`block * 4 / 8` would have to allow for the
        // multiplication's overflow).
        if !self.accessible || block / 2 >= usemap_bytes {
            return None;
        }
        let byte = self.base.wrapping_add((usemap.0 + block / 2) as usize);
        // SAFETY: the byte lies in the zone's memblock-allocated bitmap (checked above),
        // which is only ever accessed atomically once boot has written it.
        let v = unsafe { AtomicU8::from_ptr(byte) }.load(Relaxed);
        Some(if block % 2 == 0 { v & 0xf } else { v >> 4 })
    }

    /// The direct-map address of machine memory at `phys`, when the map is accessible
    /// (a Full boot on a real direct map).
    pub(crate) fn direct_addr(&self, phys: PhysAddr) -> Option<usize> {
        self.accessible
            .then(|| self.base.wrapping_add(phys.0 as usize) as usize)
    }

    /// [`MemMap::pageblock_bits`] on a bitmap given by its direct-map address: no map
    /// needed, so the free path reads a pageblock's type with one bound test.
    ///
    /// # Safety
    /// `[usemap, usemap + usemap_bytes)` must be a pageblock bitmap behind the direct
    /// map that lives as long as the returned borrow is used (a zone's
    /// `usemap_direct`, which `free_area_init` sets from [`MemMap::direct_addr`]).
    #[inline]
    pub(crate) unsafe fn pageblock_bits_direct(
        usemap: usize,
        usemap_bytes: u64,
        block: u64,
    ) -> Option<u8> {
        if block / 2 >= usemap_bytes {
            return None;
        }
        let byte = (usemap + (block / 2) as usize) as *mut u8;
        // SAFETY: the byte lies in the bitmap (checked above), which the caller
        // vouches for; it is only ever accessed atomically once boot has written it.
        let v = unsafe { AtomicU8::from_ptr(byte) }.load(Relaxed);
        Some(if block % 2 == 0 { v & 0xf } else { v >> 4 })
    }

    /// Write the 4 bits of pageblock `block` of a zone's bitmap
    /// (`set_pfnblock_flags_mask`). Atomic, so never unsound; the caller holds the
    /// zone (its lock, or its boot-time exclusive part) so that writers do not race.
    #[inline]
    pub(crate) fn set_pageblock_bits(
        &self,
        usemap: PhysAddr,
        usemap_bytes: u64,
        block: u64,
        bits: u8,
    ) -> bool {
        if !self.accessible || block / 2 >= usemap_bytes {
            return false;
        }
        let byte = self.base.wrapping_add((usemap.0 + block / 2) as usize);
        // SAFETY: the byte lies in the zone's memblock-allocated bitmap (checked above);
        // every access to it after boot's writes is atomic.
        let a = unsafe { AtomicU8::from_ptr(byte) };
        let v = a.load(Relaxed);
        let nv = if block % 2 == 0 {
            (v & 0xf0) | (bits & 0xf)
        } else {
            (v & 0x0f) | (bits << 4)
        };
        a.store(nv, Relaxed);
        true
    }

    /// The page geometry.
    ///
    /// ```
    /// use oxmm::memmap::MemMap;
    /// use oxmm::types::PageGeometry;
    /// let g = PageGeometry::new(16).unwrap();
    /// assert_eq!(MemMap::empty(g).geometry(), g);
    /// assert_eq!(MemMap::empty(g).geometry().page_size(), 65536);
    /// ```
    #[inline]
    pub const fn geometry(&self) -> PageGeometry {
        self.geo
    }

    /// The whole map as one writable part (serial boot steps).
    pub(crate) fn whole(&mut self) -> MemMapPart<'_> {
        MemMapPart {
            map: self,
            lo: 0,
            hi: u64::MAX,
        }
    }

    /// Split the map into writable parts over disjoint pfn intervals: part `i` covers
    /// `[cuts[i - 1], cuts[i])`, the first starts at 0 and the last ends at `u64::MAX`.
    /// Unsorted cuts are raised to the running maximum, so the intervals never overlap.
    /// `f` receives each part in order.
    pub(crate) fn split<'a>(&'a mut self, cuts: &[u64], mut f: impl FnMut(MemMapPart<'a>)) {
        let map: &'a MemMap = self;
        let mut lo = 0u64;
        for &c in cuts {
            let hi = c.max(lo);
            f(MemMapPart { map, lo, hi });
            lo = hi;
        }
        f(MemMapPart {
            map,
            lo,
            hi: u64::MAX,
        });
    }

    /// Pointer to the descriptor of memmap index `idx` if its pfn is in `[lo, hi)`.
    fn desc_in(&self, idx: u32, lo: u64, hi: u64) -> Option<NonNull<Page>> {
        let pfn = self.pfn_of(idx)?;
        if pfn < lo || pfn >= hi {
            return None;
        }
        self.desc_ptr_by_index(idx)
    }
}

/// Write access to the descriptors of one pfn interval of a [`MemMap`], so that boot can
/// initialise disjoint parts of the memory map from several threads (Linux: the
/// per-node `deferred_init_memmap` threads).
///
/// Parts come only from `MemMap::split` (which borrows the map mutably for their
/// lifetime and gives them disjoint intervals) or `MemMap::whole`; every write checks
/// its pfns against the interval, so two parts never touch the same descriptor.
///
/// ```
/// // Parts are crate-internal; boot hands them out inside `NodeInitJob`s.
/// assert!(core::mem::size_of::<oxmm::memmap::MemMapPart<'_>>() > 0);
/// ```
#[derive(Debug)]
pub struct MemMapPart<'a> {
    map: &'a MemMap,
    lo: u64,
    hi: u64,
}

impl MemMapPart<'_> {
    /// The pfn interval `[lo, hi)` this part may write.
    pub const fn pfn_interval(&self) -> (u64, u64) {
        (self.lo, self.hi)
    }

    /// The memmap index of `pfn` (reads only the section table, which no part writes).
    #[inline]
    pub fn index_of(&self, pfn: u64) -> Option<u32> {
        self.map.index_of(pfn)
    }

    /// Write `tmpl` into the descriptors of `[pfn, pfn + count)`, which must lie in one
    /// present section and in this part's interval; false (nothing written) otherwise.
    pub(crate) fn fill(&mut self, pfn: u64, count: u64, tmpl: PageState) -> bool {
        let m = self.map;
        if count == 0 {
            return true;
        }
        let last = pfn.saturating_add(count - 1);
        if pfn < self.lo || last >= self.hi || (pfn >> m.section_shift) != (last >> m.section_shift)
        {
            return false;
        }
        let Some(p) = m.index_of(pfn).and_then(|i| m.desc_ptr_by_index(i)) else {
            return false;
        };
        for i in 0..count as usize {
            // SAFETY: `[pfn, pfn + count)` lies in one present section, whose descriptors
            // are contiguous at `p`, and inside this part's interval: no other part writes
            // these descriptors, and the map is mutably borrowed by the split, so nothing
            // reads them meanwhile.
            // `PageState` has `Page`'s layout with plain fields.
            unsafe { p.as_ptr().add(i).cast::<PageState>().write(tmpl) };
        }
        true
    }

    /// Apply `f` to the descriptor with memmap index `idx` if its pfn is in this part's
    /// interval; false otherwise.
    pub(crate) fn update(&mut self, idx: u32, f: impl FnOnce(&Page)) -> bool {
        let Some(p) = self.map.desc_in(idx, self.lo, self.hi) else {
            return false;
        };
        // SAFETY: the descriptor is in this part's interval (see `fill`) and initialised.
        f(unsafe { p.as_ref() });
        true
    }

    /// Append the descriptor with memmap index `idx` to `list` (whose current tail, if
    /// any, must also be in this part's interval); false otherwise.
    pub(crate) fn link_tail(&mut self, list: &crate::mmzone::FreeList, idx: u32) -> bool {
        let tail = list.tail();
        let inside = |i: u32| self.map.desc_in(i, self.lo, self.hi).is_some();
        if !inside(idx) || (tail != Page::NIL && !inside(tail)) {
            return false;
        }
        list.add(self.map, idx, true).is_some()
    }

    /// Read the 4 bits of pageblock `block` of a zone's bitmap.
    pub(crate) fn pageblock_bits(
        &self,
        usemap: PhysAddr,
        usemap_bytes: u64,
        block: u64,
    ) -> Option<u8> {
        self.map.pageblock_bits(usemap, usemap_bytes, block)
    }

    /// Write the 4 bits of pageblock `block` of a zone's bitmap. The caller must hold the
    /// zone exclusively (each zone's bitmap is its own memblock allocation, so parts
    /// writing different zones' bitmaps never share a byte).
    pub(crate) fn set_pageblock_bits(
        &mut self,
        usemap: PhysAddr,
        usemap_bytes: u64,
        block: u64,
        bits: u8,
    ) -> bool {
        self.map
            .set_pageblock_bits(usemap, usemap_bytes, block, bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    /// Boot a map of 8 sections whose present ones are `layout` (section, memmap
    /// block number), in rank order, and check every lookup against the rank entries.
    fn check_layout(layout: &[(u64, u64)], flat: u64, linear: (u64, u64)) {
        let geo = PageGeometry::default();
        let pps = geo.pages_per_section();
        let shift = pps.trailing_zeros();
        let sec_bytes = pps * size_of::<Page>() as u64;
        let mut buf = vec![0u64; ((6 * sec_bytes + 8192) / 8) as usize];
        let base = buf.as_mut_ptr() as *mut u8;
        // SAFETY: the table (8 sections, at most 6 present) fits in the buffer's
        // first page.
        let mut m = unsafe { MemMap::new_table(geo, base, PhysAddr(0), 8) };
        let layout: vec::Vec<(u64, u64)> = layout
            .iter()
            .map(|&(sec, k)| (sec, 4096 + k * sec_bytes))
            .collect();
        for (rank, &(sec, memmap)) in layout.iter().enumerate() {
            let e = RankEntry {
                memmap,
                section_nr: sec as u32,
                nid: 0,
            };
            // SAFETY: at most 6 ranks; each memmap lies inside the buffer.
            unsafe { m.set_section(sec, rank as u32, e) };
        }
        assert_eq!(m.flat_pages(), flat * pps);
        assert_eq!(m.linear_window(), (linear.0 * pps, linear.1 * pps));
        let edges = (0..8).flat_map(|s| [s * pps, s * pps + 1, (s + 1) * pps - 1]);
        for pfn in (0..8 * pps).step_by(511).chain(edges) {
            let want = layout
                .iter()
                .position(|&(sec, _)| sec == pfn >> shift)
                .map(|rank| {
                    let off = pfn & (pps - 1);
                    let idx = ((rank as u64) << shift | off) as u32;
                    let at = layout[rank].1 + off * size_of::<Page>() as u64;
                    (idx, base.wrapping_add(at as usize) as *const Page)
                });
            assert_eq!(m.pfn_valid(pfn), want.is_some(), "pfn {pfn:#x}");
            assert_eq!(m.index_of(pfn), want.map(|w| w.0), "pfn {pfn:#x}");
            let got = m.page(pfn).map(|p| p as *const Page);
            assert_eq!(got, want.map(|w| w.1), "pfn {pfn:#x}");
            let one = m.block_indexed(pfn, 1).map(|(i, b)| (i, b.as_ptr()));
            assert_eq!(one, want, "block of one at pfn {pfn:#x}");
            if let Some((idx, desc)) = want {
                assert_eq!(m.pfn_of(idx), Some(pfn));
                let by_idx = m.page_by_index(idx).map(|p| p as *const Page);
                assert_eq!(by_idx, Some(desc), "index {idx:#x}");
                let b = m
                    .block_indexed(pfn & !511, 512)
                    .map(|(i, b)| (i, b.as_ptr()));
                let head = want.map(|w| w.1.wrapping_sub((pfn & 511) as usize));
                assert_eq!(b.map(|b| b.1), head, "block of pfn {pfn:#x}");
                assert_eq!(b.map(|b| b.0), Some(idx - (pfn & 511) as u32));
                let blk = m.block(pfn & !511, 512).map(|b| b.as_ptr());
                assert_eq!(blk, head, "block of pfn {pfn:#x}");
            }
            // A block across a section boundary is never one slice.
            if pfn & (pps - 1) == pps - 1 {
                assert!(m.block_indexed(pfn, 2).is_none(), "pfn {pfn:#x}");
            }
        }
        drop(buf);
    }

    /// Present sections 1 and 4 (one memmap block across the hole: flat, the linear
    /// window the run after the hole), 5 (its own block, so the flat part stops
    /// before it), then 6 and 7 in the block after it.
    #[test]
    fn flat_part_agrees_with_the_rank_entries() {
        check_layout(&[(1, 0), (4, 1), (5, 3), (6, 4), (7, 5)], 2, (4, 1));
    }

    /// The window is the flat part's last run of sections without a hole: 0–1 then
    /// 3–5 (the bench machine's shape, memory below and above a hole) gives 3–5; no
    /// hole gives all of it; a run outside the flat part is never the window.
    #[test]
    fn linear_window_is_the_flat_parts_last_run() {
        check_layout(&[(0, 0), (1, 1), (3, 2), (4, 3), (5, 4)], 5, (3, 3));
        check_layout(&[(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)], 6, (0, 6));
        check_layout(&[(2, 0), (3, 1), (4, 2), (6, 4), (7, 5)], 3, (2, 3));
        check_layout(&[(0, 0), (1, 2)], 1, (0, 1));
    }
}
