//! Zone and migrate-type enumerations (Linux: `enum zone_type`, `enum migratetype`,
//! include/linux/mmzone.h).
//!
//! Which zones exist depends on the architecture's configuration: x86-64 has DMA, DMA32,
//! Normal, Movable and Device; ia32 has DMA, Normal, HighMem, Movable and Device. The
//! zone *index* (`zone_idx`, used in zoneinfo's `protection:` array and `lowmem_reserve`)
//! is the position in the configured list, see [`ZoneLayout`].

use crate::memmap::MemMap;
use crate::page::Page;
use crate::types::NodeId;
use core::fmt;
use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicI64, AtomicU32, AtomicU64};

/// A kind of zone (Linux: `enum zone_type`).
///
/// ```
/// use oxmm::mmzone::ZoneType;
/// assert_eq!(ZoneType::Dma32.name(), "DMA32");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[doc(alias = "zone_type")]
pub enum ZoneType {
    /// `ZONE_DMA`: memory reachable by ISA-style DMA (below 16 MiB on x86).
    Dma,
    /// `ZONE_DMA32`: memory reachable by 32-bit DMA (below 4 GiB).
    Dma32,
    /// `ZONE_NORMAL`: directly mapped memory.
    Normal,
    /// `ZONE_HIGHMEM`: memory above the 32-bit kernel's direct map.
    HighMem,
    /// `ZONE_MOVABLE`: only movable allocations (from `kernelcore=`/`movablecore=`).
    Movable,
    /// `ZONE_DEVICE`: device memory; always empty at boot.
    Device,
}

impl ZoneType {
    /// All kinds, in Linux's enum order.
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneType, MAX_NR_ZONES};
    /// assert_eq!(ZoneType::ALL.len(), MAX_NR_ZONES);
    /// assert!(ZoneType::ALL.iter().enumerate().all(|(i, &t)| t as usize == i));
    /// ```
    pub const ALL: [ZoneType; 6] = [
        ZoneType::Dma,
        ZoneType::Dma32,
        ZoneType::Normal,
        ZoneType::HighMem,
        ZoneType::Movable,
        ZoneType::Device,
    ];

    /// The name Linux prints (`zone_names[]`).
    ///
    /// ```
    /// use oxmm::mmzone::ZoneType;
    /// assert_eq!(ZoneType::HighMem.name(), "HighMem");
    /// assert_eq!(ZoneType::Dma.to_string(), ZoneType::Dma.name()); // `Display` prints it
    /// ```
    #[doc(alias = "zone_names")]
    pub const fn name(self) -> &'static str {
        match self {
            ZoneType::Dma => "DMA",
            ZoneType::Dma32 => "DMA32",
            ZoneType::Normal => "Normal",
            ZoneType::HighMem => "HighMem",
            ZoneType::Movable => "Movable",
            ZoneType::Device => "Device",
        }
    }

    /// `is_highmem_idx`.
    ///
    /// ```
    /// use oxmm::mmzone::ZoneType;
    /// assert!(ZoneType::HighMem.is_highmem());
    /// assert_eq!(ZoneType::ALL.iter().filter(|t| t.is_highmem()).count(), 1);
    /// ```
    pub const fn is_highmem(self) -> bool {
        matches!(self, ZoneType::HighMem)
    }
}

impl fmt::Display for ZoneType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `MAX_NR_ZONES` upper bound over all configurations.
///
/// ```
/// assert_eq!(oxmm::mmzone::MAX_NR_ZONES, 6);
/// ```
pub const MAX_NR_ZONES: usize = 6;

/// Entries of [`Node`]'s preferred-zone table: `MAX_NR_ZONES` rounded up to a power
/// of two, so the allocation fast path indexes it with a mask.
pub(crate) const FIRST_ZONEREFS: usize = MAX_NR_ZONES.next_power_of_two();

/// A zone named by its byte offset in an array of [`Node`]s (`Mm::nodes`): the
/// allocation fast path reaches its preferred zone with one add, where
/// `nodes[nid].zones[idx]` takes two multiplies, two bounds tests and the decoding of a
/// packed zoneref. Made only by [`ZoneOffset::new`] from in-range indices, so every
/// value but [`ZoneOffset::NONE`] names a zone of any `[Node; MAX_NUMNODES]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ZoneOffset(u32);

impl ZoneOffset {
    /// No zone.
    pub(crate) const NONE: ZoneOffset = ZoneOffset(u32::MAX);

    /// `nodes[nid].zones[zone_idx]`'s offset; `None` for indices out of range.
    pub(crate) fn new(nid: usize, zone_idx: usize) -> Option<ZoneOffset> {
        if nid >= crate::types::MAX_NUMNODES || zone_idx >= MAX_NR_ZONES {
            return None;
        }
        let off = nid * core::mem::size_of::<Node>()
            + core::mem::offset_of!(Node, zones)
            + zone_idx * core::mem::size_of::<Zone>();
        u32::try_from(off)
            .ok()
            .filter(|&o| o != u32::MAX)
            .map(ZoneOffset)
    }

    /// The zone this names in `nodes`; `None` for [`ZoneOffset::NONE`].
    #[inline(always)]
    pub(crate) fn zone(self, nodes: &[Node; crate::types::MAX_NUMNODES]) -> Option<&Zone> {
        if self == ZoneOffset::NONE {
            return None;
        }
        // SAFETY: a value other than NONE comes from `ZoneOffset::new`, whose indices
        // were in range: the offset of `nodes[nid].zones[zone_idx]` from the array's
        // start, inside the array and aligned for a `Zone` (layout only, the same for
        // every `[Node; MAX_NUMNODES]`), borrowed for as long as `nodes`.
        Some(unsafe {
            &*nodes
                .as_ptr()
                .cast::<u8>()
                .add(self.0 as usize)
                .cast::<Zone>()
        })
    }
}

/// A [`ZoneOffset`] that always names a zone: the hot zone the fast paths guess
/// (`Mm::hot_zone_off`). Whether the guess means anything is the hot keys' to say
/// (they never match while there is no hot zone, and this names node 0's first zone
/// then), so reaching the zone takes no test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HotZone(ZoneOffset);

impl HotZone {
    /// Node 0's first zone: the value while there is no hot zone.
    pub(crate) const FIRST: HotZone =
        HotZone(ZoneOffset(core::mem::offset_of!(Node, zones) as u32));

    /// `off` as a hot zone; `None` for [`ZoneOffset::NONE`].
    pub(crate) fn new(off: ZoneOffset) -> Option<HotZone> {
        (off != ZoneOffset::NONE).then_some(HotZone(off))
    }

    /// The zone this names in `nodes`.
    #[inline(always)]
    pub(crate) fn zone(self, nodes: &[Node; crate::types::MAX_NUMNODES]) -> &Zone {
        // SAFETY: never NONE (`HotZone::new`; `FIRST` is node 0's `zones[0]`): as in
        // `ZoneOffset::zone`, a `Zone` inside `nodes`, borrowed for as long as `nodes`.
        unsafe {
            &*nodes
                .as_ptr()
                .cast::<u8>()
                .add(self.0 .0 as usize)
                .cast::<Zone>()
        }
    }
}

/// A zone's pageblock bitmap as the free path reads it (`get_pfnblock_migratetype`):
/// its direct-map address and size, which then need no map at hand, beside the
/// zone's first pageblock number and the pageblock order. A `Copy`, so that the `Mm`
/// can keep one for its hot zone and the free path start from the `Mm`, not from
/// the zone's address. The size is 0 unless the map is accessible (so a non-zero
/// size vouches for the address): only `free_area_init` makes one with a bitmap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageblockLookup {
    usemap_direct: usize,
    usemap_direct_bytes: u64,
    /// `start_pfn >> pageblock_order`: the zone's first pageblock number.
    pageblock_base: u64,
    pageblock_order: u8,
}

impl PageblockLookup {
    /// No bitmap: every lookup finds none.
    pub(crate) const NONE: PageblockLookup = PageblockLookup {
        usemap_direct: 0,
        usemap_direct_bytes: 0,
        pageblock_base: 0,
        pageblock_order: 0,
    };

    /// The lookup of a zone starting at `start_pfn` whose bitmap, if any, is the
    /// `bytes` at `direct`.
    ///
    /// # Safety
    /// With `bytes` non-zero, `[direct, direct + bytes)` must be the zone's pageblock
    /// bitmap behind the direct map, living as long as every copy of the lookup.
    pub(crate) unsafe fn new(
        direct: usize,
        bytes: u64,
        start_pfn: u64,
        pageblock_order: u32,
    ) -> PageblockLookup {
        PageblockLookup {
            usemap_direct: direct,
            usemap_direct_bytes: bytes,
            pageblock_base: start_pfn >> pageblock_order,
            pageblock_order: pageblock_order as u8,
        }
    }

    /// The migrate-type bits of `pfn`'s pageblock, not yet decoded; `None` for a pfn
    /// outside the bitmap (or no bitmap).
    #[inline(always)]
    pub(crate) fn bits(&self, pfn: u64) -> Option<u8> {
        // A pfn below the zone's first block wraps to an index far past the bitmap,
        // which the bound test in `pageblock_bits_direct` refuses: one test for both.
        let b = (pfn >> self.pageblock_order).wrapping_sub(self.pageblock_base);
        // SAFETY: a non-zero size comes only from `new`, whose caller vouched for the
        // bitmap at `usemap_direct` for as long as the lookup is used.
        let bits = unsafe {
            crate::memmap::MemMap::pageblock_bits_direct(
                self.usemap_direct,
                self.usemap_direct_bytes,
                b,
            )
        }?;
        Some(bits & 0x7)
    }
}

/// The zones an architecture configures, in index order (Linux: the `CONFIG_ZONE_*`
/// options that shape `enum zone_type`).
///
/// ```
/// use oxmm::mmzone::{ZoneLayout, ZoneType};
/// let l = ZoneLayout::X86_64;
/// assert_eq!(l.len(), 5);
/// assert_eq!(l.index_of(ZoneType::Normal), Some(2));
/// assert_eq!(l.index_of(ZoneType::HighMem), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ZoneLayout {
    zones: [ZoneType; MAX_NR_ZONES],
    len: u8,
    /// The index of each kind (by `ZoneType as usize`), `NO_INDEX` when absent: the
    /// allocator looks kinds up on every request.
    index: [u8; MAX_NR_ZONES],
    /// `GFP_ZONE_TABLE` resolved to indices: the highest zone index of each
    /// combination of the gfp zone modifiers, `NO_INDEX` for a bad one or a kind not
    /// configured (`gfp_zone` then `zone_idx` in one load, as Linux's table shift).
    gfp_zone: [u8; 16],
}

/// [`ZoneLayout`]'s mark of a kind that is not configured.
const NO_INDEX: u8 = u8::MAX;
// The index table has a slot per kind.
const _: () = assert!(ZoneType::ALL.len() == MAX_NR_ZONES);

impl ZoneLayout {
    /// x86-64: DMA, DMA32, Normal, Movable, Device.
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneLayout, ZoneType::*};
    /// assert_eq!(ZoneLayout::X86_64.zones(), [Dma, Dma32, Normal, Movable, Device]);
    /// assert!(!ZoneLayout::X86_64.has(HighMem)); // a 64-bit direct map reaches everything
    /// ```
    pub const X86_64: ZoneLayout = ZoneLayout::new(&[
        ZoneType::Dma,
        ZoneType::Dma32,
        ZoneType::Normal,
        ZoneType::Movable,
        ZoneType::Device,
    ]);
    /// ia32 with HIGHMEM: DMA, Normal, HighMem, Movable (`CONFIG_ZONE_DEVICE` needs 64-bit).
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// let l = ZoneLayout::IA32;
    /// assert_eq!(l.index_of(ZoneType::HighMem), Some(2));
    /// assert!(!l.has(ZoneType::Dma32) && !l.has(ZoneType::Device));
    /// ```
    pub const IA32: ZoneLayout = ZoneLayout::new(&[
        ZoneType::Dma,
        ZoneType::Normal,
        ZoneType::HighMem,
        ZoneType::Movable,
    ]);

    /// A layout from a list of zone kinds in index order.
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// let l = ZoneLayout::new(&[ZoneType::Dma, ZoneType::Normal]);
    /// assert_eq!(l.len(), 2);
    /// assert_eq!(l.index_of(ZoneType::Normal), Some(1));
    /// assert_eq!(ZoneLayout::new(ZoneLayout::IA32.zones()), ZoneLayout::IA32);
    /// ```
    pub const fn new(zones: &[ZoneType]) -> ZoneLayout {
        let mut out = [ZoneType::Device; MAX_NR_ZONES];
        let mut index = [NO_INDEX; MAX_NR_ZONES];
        let mut i = 0;
        while i < zones.len() && i < MAX_NR_ZONES {
            out[i] = zones[i];
            // The first position of a kind listed twice, as a search would find.
            if index[zones[i] as usize] == NO_INDEX {
                index[zones[i] as usize] = i as u8;
            }
            i += 1;
        }
        let mut gfp_zone = [NO_INDEX; 16];
        let mut bits = 0;
        while bits < 16 {
            if let Some(t) = crate::gfp::zone_of_bits(bits as u32, &index) {
                gfp_zone[bits] = index[t as usize];
            }
            bits += 1;
        }
        ZoneLayout {
            zones: out,
            len: i as u8,
            index,
            gfp_zone,
        }
    }

    /// The index of each kind (by `ZoneType as usize`), `u8::MAX` when absent.
    #[inline]
    pub(crate) const fn kind_index(&self) -> &[u8; MAX_NR_ZONES] {
        &self.index
    }

    /// `gfp_zone(gfp)` then `zone_idx`: the highest zone index an allocation with
    /// `gfp` may use, or `None` when its zone modifiers are a bad combination or name
    /// a kind that is not configured ([`Gfp::zone`](crate::gfp::Gfp::zone) says which).
    ///
    /// ```
    /// use oxmm::gfp::Gfp;
    /// use oxmm::mmzone::ZoneLayout;
    /// let x86 = ZoneLayout::X86_64;
    /// assert_eq!(x86.gfp_zone_index(Gfp::KERNEL), Some(2));
    /// assert_eq!(x86.gfp_zone_index(Gfp::HIGHUSER), Some(2)); // no HighMem: Normal
    /// assert_eq!(x86.gfp_zone_index(Gfp::DMA32 | Gfp::DMA), None);
    /// assert_eq!(ZoneLayout::IA32.gfp_zone_index(Gfp::HIGHUSER), Some(2));
    /// ```
    #[doc(alias = "gfp_zone")]
    #[inline]
    pub fn gfp_zone_index(&self, gfp: crate::gfp::Gfp) -> Option<usize> {
        // The table holds zone indices or `NO_INDEX`: testing against the zone count
        // tells the callers' array lookups the index is in bounds.
        let i = self.gfp_zone[(gfp.bits() & crate::gfp::GFP_ZONEMASK) as usize] as usize;
        (i < MAX_NR_ZONES).then_some(i)
    }

    /// Number of configured zones (`MAX_NR_ZONES` of this configuration).
    ///
    /// ```
    /// use oxmm::mmzone::ZoneLayout;
    /// assert_eq!(ZoneLayout::IA32.len(), 4);
    /// assert_eq!(ZoneLayout::X86_64.len(), ZoneLayout::X86_64.zones().len());
    /// ```
    #[inline]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Always false: every configuration has at least one zone.
    ///
    /// ```
    /// use oxmm::mmzone::ZoneLayout;
    /// assert!(!ZoneLayout::X86_64.is_empty());
    /// assert!(ZoneLayout::new(&[]).is_empty());
    /// ```
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The configured zones in index order.
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// let z = ZoneLayout::IA32.zones();
    /// assert_eq!(z.len(), ZoneLayout::IA32.len());
    /// assert_eq!(z[2], ZoneType::HighMem);
    /// ```
    #[inline]
    pub fn zones(&self) -> &[ZoneType] {
        &self.zones[..self.len as usize]
    }

    /// `zone_idx` of a kind, if configured.
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// let l = ZoneLayout::IA32;
    /// assert_eq!(l.index_of(ZoneType::Normal), Some(1)); // no DMA32 before it
    /// assert_eq!(l.index_of(ZoneType::Dma32), None);
    /// assert!(l.zones().iter().enumerate().all(|(i, &t)| l.index_of(t) == Some(i)));
    /// ```
    #[inline]
    pub fn index_of(&self, t: ZoneType) -> Option<usize> {
        match self.index[t as usize] {
            NO_INDEX => None,
            i => Some(i as usize),
        }
    }

    /// Whether a kind is configured.
    ///
    /// ```
    /// use oxmm::mmzone::{ZoneLayout, ZoneType};
    /// assert!(ZoneLayout::X86_64.has(ZoneType::Dma32));
    /// assert!(!ZoneLayout::IA32.has(ZoneType::Dma32));
    /// ```
    #[inline]
    pub fn has(&self, t: ZoneType) -> bool {
        self.index_of(t).is_some()
    }
}

/// A migrate type (Linux: `enum migratetype`), with CMA and memory isolation configured.
///
/// ```
/// use oxmm::mmzone::MigrateType;
/// assert_eq!(MigrateType::HighAtomic as usize, 3);
/// assert_eq!(MigrateType::Cma.name(), "CMA");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[doc(alias = "migratetype")]
#[repr(u8)]
pub enum MigrateType {
    /// `MIGRATE_UNMOVABLE`.
    Unmovable = 0,
    /// `MIGRATE_MOVABLE`.
    Movable = 1,
    /// `MIGRATE_RECLAIMABLE`.
    Reclaimable = 2,
    /// `MIGRATE_HIGHATOMIC` (= `MIGRATE_PCPTYPES`).
    HighAtomic = 3,
    /// `MIGRATE_CMA`.
    Cma = 4,
    /// `MIGRATE_ISOLATE`.
    Isolate = 5,
}

/// `MIGRATE_TYPES`.
///
/// ```
/// assert_eq!(oxmm::mmzone::MIGRATE_TYPES, 6);
/// ```
pub const MIGRATE_TYPES: usize = 6;

/// `MIGRATE_PCPTYPES`: the types with per-CPU lists.
///
/// ```
/// assert_eq!(oxmm::mmzone::MIGRATE_PCPTYPES, 3);
/// ```
pub const MIGRATE_PCPTYPES: usize = 3;

impl MigrateType {
    /// All types in enum order.
    ///
    /// ```
    /// use oxmm::mmzone::MigrateType;
    /// assert!(MigrateType::ALL.iter().enumerate().all(|(i, &mt)| mt as usize == i));
    /// assert_eq!(MigrateType::ALL[3], MigrateType::HighAtomic);
    /// ```
    pub const ALL: [MigrateType; MIGRATE_TYPES] = [
        MigrateType::Unmovable,
        MigrateType::Movable,
        MigrateType::Reclaimable,
        MigrateType::HighAtomic,
        MigrateType::Cma,
        MigrateType::Isolate,
    ];

    /// The name Linux prints (`migratetype_names[]`).
    ///
    /// ```
    /// use oxmm::mmzone::MigrateType;
    /// assert_eq!(MigrateType::Reclaimable.name(), "Reclaimable");
    /// assert_eq!(MigrateType::Cma.to_string(), "CMA"); // `Display` prints it
    /// ```
    #[doc(alias = "migratetype_names")]
    pub const fn name(self) -> &'static str {
        match self {
            MigrateType::Unmovable => "Unmovable",
            MigrateType::Movable => "Movable",
            MigrateType::Reclaimable => "Reclaimable",
            MigrateType::HighAtomic => "HighAtomic",
            MigrateType::Cma => "CMA",
            MigrateType::Isolate => "Isolate",
        }
    }

    /// The type with value `v`, if any.
    ///
    /// ```
    /// use oxmm::mmzone::{MigrateType, MIGRATE_TYPES};
    /// assert!(MigrateType::ALL.iter().all(|&mt| MigrateType::from_u8(mt as u8) == Some(mt)));
    /// assert_eq!(MigrateType::from_u8(MIGRATE_TYPES as u8), None);
    /// ```
    #[inline]
    pub const fn from_u8(v: u8) -> Option<MigrateType> {
        match v {
            0 => Some(MigrateType::Unmovable),
            1 => Some(MigrateType::Movable),
            2 => Some(MigrateType::Reclaimable),
            3 => Some(MigrateType::HighAtomic),
            4 => Some(MigrateType::Cma),
            5 => Some(MigrateType::Isolate),
            _ => None,
        }
    }

    /// `migratetype_is_mergeable`: Unmovable, Movable and Reclaimable blocks may merge.
    ///
    /// ```
    /// use oxmm::mmzone::{MigrateType, MIGRATE_PCPTYPES};
    /// assert!(MigrateType::Reclaimable.is_mergeable());
    /// assert!(!MigrateType::HighAtomic.is_mergeable() && !MigrateType::Isolate.is_mergeable());
    /// let n = MigrateType::ALL.iter().filter(|mt| mt.is_mergeable()).count();
    /// assert_eq!(n, MIGRATE_PCPTYPES);
    /// ```
    #[inline]
    pub const fn is_mergeable(self) -> bool {
        (self as u8) < MIGRATE_PCPTYPES as u8
    }
}

impl fmt::Display for MigrateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The head and tail of one intrusive list of pages, as memmap indices
/// ([`Page::NIL`] when empty). The links themselves live in the page descriptors
/// (`Page::next`/`Page::prev`), so a list costs 8 bytes here and no heap.
///
/// The ends are atomics read racily (as Linux's `list_empty` on a free area is) and
/// written only by the holder of the lock that guards the list: `zone->lock` for a
/// zone's free lists, the per-CPU lock for a per-CPU list.
///
/// The first entry's `prev` link is unspecified (the list's `head` says which entry
/// is first), and stays so when the allocator's `pop_head` takes it: taking the first
/// entry, the allocator's commonest list operation, then touches only that entry, not
/// the one after it, and writes one link. Readers of `prev` test for the head first
/// ([`FreeList::prev_of`]).
///
/// ```
/// use oxmm::mmzone::FreeList;
/// let l = FreeList::EMPTY;
/// assert!(l.is_empty());
/// assert_eq!(l.head(), oxmm::page::Page::NIL);
/// ```
#[doc(alias = "list_head")]
#[derive(Debug)]
pub struct FreeList {
    head: AtomicU32,
    tail: AtomicU32,
}

impl FreeList {
    /// A list with no entries.
    ///
    /// ```
    /// use oxmm::mmzone::FreeList;
    /// use oxmm::page::Page;
    /// let l = FreeList::EMPTY;
    /// assert_eq!((l.head(), l.tail()), (Page::NIL, Page::NIL));
    /// ```
    #[allow(clippy::declare_interior_mutable_const)]
    pub const EMPTY: FreeList = FreeList {
        head: AtomicU32::new(Page::NIL),
        tail: AtomicU32::new(Page::NIL),
    };

    /// A list whose ends are `head` and `tail` (for building zones by hand; the
    /// descriptors must link them).
    ///
    /// ```
    /// use oxmm::mmzone::FreeList;
    /// let l = FreeList::new(5, 9);
    /// assert_eq!((l.head(), l.tail()), (5, 9));
    /// assert!(!l.is_empty());
    /// ```
    #[inline]
    pub const fn new(head: u32, tail: u32) -> FreeList {
        FreeList {
            head: AtomicU32::new(head),
            tail: AtomicU32::new(tail),
        }
    }

    /// Whether the list has no entries.
    ///
    /// ```
    /// use oxmm::mmzone::FreeList;
    /// use oxmm::page::Page;
    /// assert!(FreeList::new(Page::NIL, Page::NIL).is_empty());
    /// assert!(!FreeList::new(3, 3).is_empty()); // one entry
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head() == Page::NIL
    }

    /// First entry (taken first by the allocator).
    ///
    /// ```
    /// use oxmm::mmzone::FreeList;
    /// assert_eq!(FreeList::new(3, 7).head(), 3);
    /// assert_eq!(FreeList::EMPTY.head(), oxmm::page::Page::NIL);
    /// ```
    #[inline]
    pub fn head(&self) -> u32 {
        self.head.load(Relaxed)
    }

    /// Last entry.
    ///
    /// ```
    /// use oxmm::mmzone::FreeList;
    /// assert_eq!(FreeList::new(3, 7).tail(), 7);
    /// assert_eq!(FreeList::EMPTY.tail(), oxmm::page::Page::NIL);
    /// ```
    #[inline]
    pub fn tail(&self) -> u32 {
        self.tail.load(Relaxed)
    }

    /// `list_add` / `list_add_tail`: link the page with memmap index `idx` at the head or
    /// the tail. `None` when a link names no descriptor (a corrupted map).
    #[inline]
    pub(crate) fn add(&self, map: &MemMap, idx: u32, tail: bool) -> Option<()> {
        let p = map.page_by_index(idx)?;
        let (old_head, old_tail) = (self.head(), self.tail());
        if tail {
            p.set_next(Page::NIL);
            p.set_prev(old_tail);
            if old_tail == Page::NIL {
                self.head.store(idx, Relaxed);
            } else {
                map.page_by_index(old_tail)?.set_next(idx);
            }
            self.tail.store(idx, Relaxed);
        } else {
            // The old head's `prev` becomes meaningful; the new head's is not.
            if old_head == Page::NIL {
                self.tail.store(idx, Relaxed);
            } else {
                map.page_by_index(old_head)?.set_prev(idx);
            }
            p.set_next(old_head);
            self.head.store(idx, Relaxed);
        }
        Some(())
    }

    /// The entry before `idx` (an entry of this list, whose descriptor is `p`):
    /// [`Page::NIL`] for the head, whose own `prev` link is unspecified.
    ///
    /// ```
    /// use oxmm::mmzone::FreeList;
    /// use oxmm::page::{Page, PageState};
    /// let l = FreeList::new(3, 7);
    /// let p = Page::new(PageState::init_single(1, 0));
    /// p.set_prev(3);
    /// assert_eq!(l.prev_of(7, &p), 3);
    /// assert_eq!(l.prev_of(3, &p), Page::NIL); // the head's own link is not read
    /// ```
    #[inline]
    pub fn prev_of(&self, idx: u32, p: &Page) -> u32 {
        if idx == self.head() {
            Page::NIL
        } else {
            p.prev()
        }
    }

    /// `list_add`: link `p`, the descriptor with memmap index `idx`, at the head.
    /// `None` when the old head names no descriptor (nothing is changed then).
    #[inline(always)]
    pub(crate) fn push(
        &self,
        map: &MemMap,
        flat: &crate::memmap::FlatView,
        idx: u32,
        p: &Page,
    ) -> Option<()> {
        let old_head = self.head();
        if old_head == Page::NIL {
            crate::local_lock::cold_path();
            self.tail.store(idx, Relaxed);
        } else {
            // SAFETY: the caller's `flat` is `map`'s (see `pop_head`).
            unsafe { flat.page(map, old_head) }?.set_prev(idx);
        }
        // The new head's `prev` is left unspecified (see the type's docs).
        p.set_next(old_head);
        self.head.store(idx, Relaxed);
        Some(())
    }

    /// `list_first_entry` + `list_del`: unlink the head entry, whose memmap index
    /// `idx` the caller has read (the list's ends are atomics: a second read would be
    /// a second load); returns its descriptor. `None` when a link names no descriptor
    /// (nothing is changed then).
    #[inline(always)]
    pub(crate) fn pop_head<'m>(
        &self,
        map: &'m MemMap,
        flat: &crate::memmap::FlatView,
        idx: u32,
    ) -> Option<&'m Page> {
        debug_assert_eq!(idx, self.head());
        // SAFETY: `flat` is `map`'s flat part: both callers pass a per-CPU list's
        // view, set from the same `Mm`'s map in `setup_per_cpu_pageset`.
        let p = unsafe { flat.page(map, idx) }?;
        let next = p.next();
        // The next entry becomes the head: its `prev` need not change (see the
        // type's docs), so it is not even looked up. The taken entry's own `prev` is
        // left as it was: a first entry's `prev` is unspecified, on the list or off it
        // (a store left out is one the next list operation need not wait behind).
        p.set_next(Page::NIL);
        self.head.store(next, Relaxed);
        if next == Page::NIL {
            crate::local_lock::cold_path();
            self.tail.store(Page::NIL, Relaxed);
        }
        Some(p)
    }

    /// `list_del`: unlink the page with memmap index `idx` (which must be on this list);
    /// returns its descriptor, so the caller need not look it up again.
    #[inline]
    pub(crate) fn del<'m>(&self, map: &'m MemMap, idx: u32) -> Option<&'m Page> {
        let p = map.page_by_index(idx)?;
        let (next, prev) = (p.next(), self.prev_of(idx, p));
        p.set_next(Page::NIL);
        p.set_prev(Page::NIL);
        if prev == Page::NIL {
            self.head.store(next, Relaxed);
        } else {
            map.page_by_index(prev)?.set_next(next);
        }
        if next == Page::NIL {
            self.tail.store(prev, Relaxed);
        } else {
            map.page_by_index(next)?.set_prev(prev);
        }
        Some(p)
    }
}

/// One order's free lists, one per migrate type (Linux: `struct free_area`).
///
/// ```
/// use oxmm::mmzone::FreeArea;
/// assert_eq!(FreeArea::EMPTY.nr_free(), 0);
/// ```
#[doc(alias = "free_area")]
#[derive(Debug)]
pub struct FreeArea {
    /// `free_list[MIGRATE_TYPES]`.
    pub free_list: [FreeList; MIGRATE_TYPES],
    nr_free: AtomicU64,
}

impl FreeArea {
    /// No free blocks.
    ///
    /// ```
    /// use oxmm::mmzone::{FreeArea, MIGRATE_TYPES};
    /// let a = FreeArea::EMPTY;
    /// assert_eq!(a.free_list.len(), MIGRATE_TYPES);
    /// assert!(a.free_list.iter().all(|l| l.is_empty()));
    /// ```
    #[allow(clippy::declare_interior_mutable_const)]
    pub const EMPTY: FreeArea = FreeArea {
        free_list: [FreeList::EMPTY; MIGRATE_TYPES],
        nr_free: AtomicU64::new(0),
    };

    /// Number of free blocks of this order over all migrate types.
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
    /// // DMA holds pfns 1..0x1000: one block of each order 0..=9, then three of order 10.
    /// let dma = &mm.nodes().next().unwrap().zones()[0];
    /// assert_eq!(dma.free_area[0].nr_free(), 1);
    /// assert_eq!(dma.free_area[10].nr_free(), 3);
    /// ```
    #[inline]
    pub fn nr_free(&self) -> u64 {
        self.nr_free.load(Relaxed)
    }

    /// Adjust `nr_free` by `d` blocks (the zone lock held, or a zone built by hand).
    ///
    /// ```
    /// use oxmm::mmzone::FreeArea;
    /// let a = FreeArea::EMPTY;
    /// a.add_nr_free(2);
    /// a.add_nr_free(-1);
    /// assert_eq!(a.nr_free(), 1);
    /// ```
    #[inline]
    pub fn add_nr_free(&self, d: i64) {
        let v = self.nr_free().wrapping_add_signed(d);
        self.nr_free.store(v, Relaxed);
    }
}

/// `ZONE_BOOSTED_WATERMARK`: a fallback boosted the watermarks; kswapd is due.
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::mmzone::{ZONE_BELOW_HIGH, ZONE_BOOSTED_WATERMARK, ZONE_RECLAIM_ACTIVE};
/// assert_eq!(ZONE_BOOSTED_WATERMARK & (ZONE_RECLAIM_ACTIVE | ZONE_BELOW_HIGH), 0);
/// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
/// z.set_flag(ZONE_BOOSTED_WATERMARK);
/// assert!(z.test_and_clear_flag(ZONE_BOOSTED_WATERMARK)); // kswapd takes the hint once
/// ```
pub const ZONE_BOOSTED_WATERMARK: u32 = 1 << 0;
/// `ZONE_RECLAIM_ACTIVE`: kswapd is reclaiming the zone.
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType, ZONE_BELOW_HIGH, ZONE_RECLAIM_ACTIVE};
/// assert_eq!(ZONE_RECLAIM_ACTIVE.count_ones(), 1);
/// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
/// z.set_flag(ZONE_RECLAIM_ACTIVE);
/// assert!(z.test_flag(ZONE_RECLAIM_ACTIVE) && !z.test_flag(ZONE_BELOW_HIGH));
/// ```
pub const ZONE_RECLAIM_ACTIVE: u32 = 1 << 1;
/// `ZONE_BELOW_HIGH`: free pages fell below the high watermark (PCP `high` shrinks).
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType, ZONE_BELOW_HIGH, ZONE_RECLAIM_ACTIVE};
/// assert_eq!(ZONE_BELOW_HIGH, ZONE_RECLAIM_ACTIVE << 1);
/// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
/// z.set_flag(ZONE_BELOW_HIGH);
/// assert!(z.test_flag(ZONE_BELOW_HIGH) && !z.test_flag(ZONE_RECLAIM_ACTIVE));
/// ```
pub const ZONE_BELOW_HIGH: u32 = 1 << 2;

/// One zone of one node (Linux: `struct zone`).
///
/// The pageblock migrate-type bitmap (Linux: `zone->pageblock_flags`, the "usemap") lives
/// in memblock-allocated memory; the zone records where.
///
/// Concurrency is Linux's: [`Zone::lock`] (`zone->lock`) serialises every change to the
/// free lists, their counters and the pageblock types; readers such as the watermark
/// check read the atomics without it. Watermarks, `lowmem_reserve` and the pageset
/// parameters change only with the whole machine borrowed mutably (sysctl writes).
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::types::NodeId;
/// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
/// assert_eq!(z.zone_type(), ZoneType::Normal);
/// assert!(!z.is_populated());
/// ```
#[derive(Debug)]
pub struct Zone {
    zone_type: ZoneType,
    idx: u8,
    nid: NodeId,
    pub(crate) start_pfn: u64,
    pub(crate) spanned: u64,
    pub(crate) present: u64,
    pub(crate) managed: u64,
    pub(crate) cma_pages: u64,
    /// `zone->lock`: held for every change to the free lists.
    pub lock: spin::Mutex<()>,
    /// Per-order free areas (Linux: `zone->free_area[NR_PAGE_ORDERS]`).
    pub free_area: [FreeArea; crate::types::NR_PAGE_ORDERS],
    /// `NR_FREE_PAGES`: free pages on every buddy list except Isolate.
    free_pages: AtomicI64,
    /// `NR_FREE_CMA_PAGES`: free pages on the CMA lists.
    free_cma_pages: AtomicI64,
    /// Physical address of the pageblock bitmap (4 bits per pageblock).
    pub(crate) usemap: crate::types::PhysAddr,
    /// Size of the pageblock bitmap in bytes (0: none, the zone spans nothing).
    pub(crate) usemap_bytes: u64,
    /// The bitmap as the free path reads it (set only by `free_area_init`).
    pub(crate) pageblocks: PageblockLookup,
    /// `_watermark[]` (set by `setup_per_zone_wmarks`; its `boost` field is unused, see
    /// [`Zone::watermark_boost`]).
    #[doc(alias = "_watermark")]
    pub watermark: crate::watermark::Watermarks,
    /// `watermark_boost`: raised on fallbacks under the zone lock, read without it.
    watermark_boost: AtomicU64,
    /// `lowmem_reserve[]`: pages kept back from requests whose highest zone is `j`.
    pub lowmem_reserve: [u64; MAX_NR_ZONES],
    /// `nr_reserved_highatomic`: pages in pageblocks reserved for high-order atomics.
    nr_reserved_highatomic: AtomicU64,
    /// `nr_isolate_pageblock`: pageblocks now MIGRATE_ISOLATE (changed under `lock`).
    nr_isolate_pageblock: AtomicU64,
    /// `nr_free_highatomic`: free pages on the HighAtomic lists.
    nr_free_highatomic: AtomicI64,
    /// `zone->flags` (`ZONE_BOOSTED_WATERMARK`, ...).
    flags: AtomicU32,
    /// `pageset_high_min`, `pageset_high_max`, `pageset_batch`.
    pub(crate) pageset: crate::page_alloc::pcp::PagesetParams,
    /// `per_cpu_pageset`: this zone's per-CPU lists (none before they are set up).
    pub(crate) pcp: crate::percpu::PerCpu<crate::page_alloc::pcp::PerCpuPages>,
    /// `vm_stat[]` and `vm_numa_event[]`.
    pub(crate) vmstat: crate::vmstat::ZoneVmStats,
}

impl Zone {
    /// An empty zone of kind `t` at index `idx` on node `nid`.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::types::NodeId;
    /// let z = Zone::new(ZoneType::Dma32, 1, NodeId(0));
    /// assert_eq!((z.idx(), z.nid()), (1, NodeId(0)));
    /// assert_eq!((z.spanned_pages(), z.managed_pages(), z.free_pages()), (0, 0, 0));
    /// ```
    pub const fn new(t: ZoneType, idx: u8, nid: NodeId) -> Zone {
        Zone {
            zone_type: t,
            idx,
            nid,
            start_pfn: 0,
            spanned: 0,
            present: 0,
            managed: 0,
            cma_pages: 0,
            lock: spin::Mutex::new(()),
            free_area: [FreeArea::EMPTY; crate::types::NR_PAGE_ORDERS],
            free_pages: AtomicI64::new(0),
            free_cma_pages: AtomicI64::new(0),
            usemap: crate::types::PhysAddr(0),
            usemap_bytes: 0,
            pageblocks: PageblockLookup::NONE,
            watermark: crate::watermark::Watermarks {
                min: 0,
                low: 0,
                high: 0,
                promo: 0,
                boost: 0,
            },
            watermark_boost: AtomicU64::new(0),
            lowmem_reserve: [0; MAX_NR_ZONES],
            nr_reserved_highatomic: AtomicU64::new(0),
            nr_isolate_pageblock: AtomicU64::new(0),
            nr_free_highatomic: AtomicI64::new(0),
            flags: AtomicU32::new(0),
            pageset: crate::page_alloc::pcp::PagesetParams::BOOT,
            pcp: crate::percpu::PerCpu::NONE,
            vmstat: crate::vmstat::ZoneVmStats::new(),
        }
    }

    /// The zone's kind.
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout, ZoneType};
    /// let n = Node::new(oxmm::types::NodeId(0), ZoneLayout::IA32);
    /// assert_eq!(n.zones()[2].zone_type(), ZoneType::HighMem);
    /// let types = n.zones().iter().map(|z| z.zone_type());
    /// assert!(types.eq(ZoneLayout::IA32.zones().iter().copied()));
    /// ```
    #[inline]
    pub const fn zone_type(&self) -> ZoneType {
        self.zone_type
    }

    /// `zone_idx`: the position in the architecture's [`ZoneLayout`].
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout};
    /// let n = Node::new(oxmm::types::NodeId(0), ZoneLayout::IA32);
    /// let movable = &n.zones()[3];
    /// assert_eq!(movable.idx(), 3);
    /// assert_eq!(ZoneLayout::IA32.index_of(movable.zone_type()), Some(movable.idx()));
    /// ```
    #[doc(alias = "zone_idx")]
    #[inline]
    pub const fn idx(&self) -> usize {
        self.idx as usize
    }

    /// `zone_to_nid`.
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout};
    /// use oxmm::types::NodeId;
    /// let n = Node::new(NodeId(1), ZoneLayout::X86_64);
    /// assert!(n.zones().iter().all(|z| z.nid() == NodeId(1)));
    /// ```
    #[doc(alias = "zone_to_nid")]
    #[inline]
    pub const fn nid(&self) -> NodeId {
        self.nid
    }

    /// `zone->zone_start_pfn` (0 for a zone that spans nothing).
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
    /// // Memory from 4 KiB to 64 MiB; DMA ends at 16 MiB (pfn 0x1000).
    /// let zones = mm.nodes().next().unwrap().zones();
    /// assert_eq!((zones[0].start_pfn(), zones[1].start_pfn()), (1, 0x1000));
    /// assert_eq!(zones[2].start_pfn(), 0); // Normal: nothing above 4 GiB
    /// ```
    #[doc(alias = "zone_start_pfn")]
    #[inline]
    pub const fn start_pfn(&self) -> u64 {
        self.start_pfn
    }

    /// `zone_end_pfn`: start + spanned (exclusive).
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
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// assert_eq!(dma32.end_pfn(), 0x4000); // 64 MiB
    /// assert_eq!(dma32.end_pfn(), dma32.start_pfn() + dma32.spanned_pages());
    /// ```
    #[doc(alias = "zone_end_pfn")]
    #[inline]
    pub const fn end_pfn(&self) -> u64 {
        self.start_pfn + self.spanned
    }

    /// `zone->spanned_pages`.
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
    /// let zones = mm.nodes().next().unwrap().zones();
    /// assert_eq!(zones[0].spanned_pages(), 0x1000 - 1); // DMA from pfn 1
    /// assert_eq!(zones[1].spanned_pages(), 0x4000 - 0x1000);
    /// ```
    #[inline]
    pub const fn spanned_pages(&self) -> u64 {
        self.spanned
    }

    /// `zone->present_pages`: spanned minus holes.
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
    /// # mb.add(PhysAddr(0x1000), (32 << 20) - 0x1000).unwrap();
    /// # mb.add(PhysAddr(48 << 20), 16 << 20).unwrap(); // a 16 MiB hole
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // DMA32 spans 16..64 MiB with no memory at 32..48 MiB.
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// assert_eq!(dma32.spanned_pages(), 0x3000);
    /// assert_eq!(dma32.present_pages(), 0x3000 - 0x1000);
    /// ```
    #[inline]
    pub const fn present_pages(&self) -> u64 {
        self.present
    }

    /// `zone_managed_pages`: pages owned by the buddy allocator.
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
    /// let zones = mm.nodes().next().unwrap().zones();
    /// assert_eq!(zones[0].managed_pages(), zones[0].present_pages()); // nothing reserved in DMA
    /// assert!(zones[1].managed_pages() < zones[1].present_pages()); // the memmap is in DMA32
    /// assert!(zones[1].free_pages() <= zones[1].managed_pages());
    /// ```
    #[doc(alias = "zone_managed_pages")]
    #[inline]
    pub const fn managed_pages(&self) -> u64 {
        self.managed
    }

    /// `zone->per_cpu_pageset`: the zone's per-CPU lists (empty before boot sets them
    /// up, and on a description-only boot).
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
    /// #     fn nr_cpus(&self) -> usize { 2 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// let zones = mm.nodes().next().unwrap().zones();
    /// assert_eq!(zones[1].per_cpu_pageset().nr_cpus(), 2); // one set of lists per CPU
    /// assert_eq!(zones[2].per_cpu_pageset().nr_cpus(), 0); // the empty Normal zone has none
    /// ```
    #[inline]
    pub fn per_cpu_pageset(&self) -> &crate::percpu::PerCpu<crate::page_alloc::pcp::PerCpuPages> {
        &self.pcp
    }

    /// `pageset_high_min`, `pageset_high_max`, `pageset_batch`.
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
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// let p = dma32.pageset_params();
    /// assert_eq!(p.high_min as u64, dma32.watermarks().low()); // one CPU: all of the low mark
    /// assert!(p.batch >= 1 && p.high_max >= p.high_min);
    /// ```
    #[inline]
    pub fn pageset_params(&self) -> crate::page_alloc::pcp::PagesetParams {
        self.pageset
    }

    /// `zone->cma_pages`: pages of activated CMA areas in this zone.
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
    /// # static AREA: [oxmm::boot::CmaArea<'static>; 1] =
    /// #     [oxmm::boot::CmaArea { name: "cma", base: PhysAddr(0x280_0000), size: 2 << 20 }];
    /// # mb.reserve(AREA[0].base, AREA[0].size).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # cfg.cma = &AREA;
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // A 2 MiB CMA area at 40 MiB, activated at boot.
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// assert_eq!(dma32.cma_pages(), 512);
    /// assert_eq!(dma32.free_cma_pages(), dma32.cma_pages()); // nothing allocated from it yet
    /// assert_eq!(mm.nodes().next().unwrap().zones()[0].cma_pages(), 0);
    /// ```
    #[inline]
    pub const fn cma_pages(&self) -> u64 {
        self.cma_pages
    }

    /// `free_area[order].nr_free` (0 for an order above `MAX_PAGE_ORDER`).
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
    /// let dma = &mm.nodes().next().unwrap().zones()[0];
    /// let pages: u64 = (0..=10).map(|o| dma.nr_free(o) << o).sum();
    /// assert_eq!(pages, dma.free_pages());
    /// assert_eq!(dma.nr_free(11), 0); // above MAX_PAGE_ORDER
    /// ```
    #[inline]
    pub fn nr_free(&self, order: u32) -> u64 {
        self.free_area
            .get(order as usize)
            .map_or(0, |a| a.nr_free())
    }

    /// `zone_page_state(zone, NR_FREE_PAGES)` (never negative, as Linux clamps).
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
    /// let zones = mm.nodes().next().unwrap().zones();
    /// assert_eq!(zones.iter().map(|z| z.free_pages()).sum::<u64>(), mm.nr_free_pages());
    /// assert_eq!(zones[0].free_pages(), 0x1000 - 1); // DMA: all free after boot
    /// ```
    #[inline]
    pub fn free_pages(&self) -> u64 {
        self.free_pages.load(Relaxed).max(0) as u64
    }

    /// `NR_FREE_PAGES` as kept, not clamped at 0 (for callers whose test gives the
    /// clamped answer anyway).
    #[inline]
    pub(crate) fn free_pages_raw(&self) -> i64 {
        self.free_pages.load(Relaxed)
    }

    /// `zone->nr_free_highatomic` as kept (changed only under the zone lock, by
    /// whole blocks: never negative), for the watermark shortcut.
    #[inline]
    pub(crate) fn nr_free_highatomic_raw(&self) -> i64 {
        self.nr_free_highatomic.load(Relaxed)
    }

    /// `NR_FREE_CMA_PAGES` as kept (changed only under the zone lock, by the pages
    /// put on or taken off CMA free lists: never negative, unlike Linux's per-CPU
    /// summed counter), for the watermark shortcut.
    #[inline]
    pub(crate) fn free_cma_pages_raw(&self) -> i64 {
        self.free_cma_pages.load(Relaxed)
    }

    /// `zone_page_state(zone, NR_FREE_CMA_PAGES)`.
    ///
    /// ```
    /// use oxmm::mmzone::{MigrateType, Zone, ZoneType};
    /// let z = Zone::new(ZoneType::Dma32, 1, oxmm::types::NodeId(0));
    /// z.account_freepages(512, MigrateType::Cma);
    /// z.account_freepages(-1, MigrateType::Cma);
    /// assert_eq!((z.free_cma_pages(), z.free_pages()), (511, 511));
    /// ```
    #[inline]
    pub fn free_cma_pages(&self) -> u64 {
        self.free_cma_pages.load(Relaxed).max(0) as u64
    }

    /// `zone->nr_free_highatomic`.
    ///
    /// ```
    /// use oxmm::mmzone::{MigrateType, Zone, ZoneType};
    /// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// z.account_freepages(512, MigrateType::HighAtomic);
    /// z.account_freepages(64, MigrateType::Movable);
    /// assert_eq!((z.nr_free_highatomic(), z.free_pages()), (512, 576));
    /// ```
    #[inline]
    pub fn nr_free_highatomic(&self) -> u64 {
        self.nr_free_highatomic.load(Relaxed).max(0) as u64
    }

    /// `zone->nr_reserved_highatomic`.
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
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// assert_eq!(dma32.nr_reserved_highatomic(), 0); // nothing reserved until an atomic needs it
    /// assert!(dma32.nr_free_highatomic() <= dma32.nr_reserved_highatomic());
    /// ```
    #[inline]
    pub fn nr_reserved_highatomic(&self) -> u64 {
        self.nr_reserved_highatomic.load(Relaxed)
    }

    #[inline]
    pub(crate) fn set_nr_reserved_highatomic(&self, v: u64) {
        self.nr_reserved_highatomic.store(v, Relaxed)
    }

    /// `zone->nr_isolate_pageblock`: how many of the zone's pageblocks are isolated
    /// (`start_isolate_page_range` adds, `undo_isolate_page_range` takes away).
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
    /// use oxmm::mmzone::MigrateType;
    /// use oxmm::page_alloc::isolate::IsolateFlags;
    /// use oxmm::types::Pfn;
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// let (s, e) = (Pfn(0x3000), Pfn(0x3400));
    /// mm.start_isolate_page_range(s, e, MigrateType::Movable, IsolateFlags::default()).unwrap();
    /// assert_eq!(dma32.nr_isolate_pageblock(), 2); // two 2 MiB pageblocks
    /// assert_eq!(dma32.has_isolate_pageblock(), dma32.nr_isolate_pageblock() != 0);
    /// mm.undo_isolate_page_range(s, e, MigrateType::Movable).unwrap();
    /// assert_eq!(dma32.nr_isolate_pageblock(), 0);
    /// ```
    #[inline]
    pub fn nr_isolate_pageblock(&self) -> u64 {
        self.nr_isolate_pageblock.load(Relaxed)
    }

    /// `has_isolate_pageblock`.
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
    /// use oxmm::mmzone::MigrateType;
    /// use oxmm::page_alloc::isolate::IsolateFlags;
    /// use oxmm::types::Pfn;
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// assert!(!dma32.has_isolate_pageblock());
    /// let (s, e) = (Pfn(0x3000), Pfn(0x3400));
    /// mm.start_isolate_page_range(s, e, MigrateType::Movable, IsolateFlags::default()).unwrap();
    /// assert!(dma32.has_isolate_pageblock());
    /// mm.undo_isolate_page_range(s, e, MigrateType::Movable).unwrap();
    /// assert!(!dma32.has_isolate_pageblock());
    /// ```
    #[inline]
    pub fn has_isolate_pageblock(&self) -> bool {
        self.nr_isolate_pageblock() != 0
    }

    /// Add `d` (±1) to `nr_isolate_pageblock`, under the zone lock.
    #[inline]
    pub(crate) fn add_nr_isolate_pageblock(&self, d: i64) {
        let v = self
            .nr_isolate_pageblock
            .load(Relaxed)
            .wrapping_add_signed(d);
        self.nr_isolate_pageblock.store(v, Relaxed);
    }

    /// `account_freepages` (v6.12): Isolate pages are not free; CMA and HighAtomic free
    /// pages are also counted apart. Called with the zone lock held (or at boot).
    ///
    /// ```
    /// use oxmm::mmzone::{MigrateType, Zone, ZoneType};
    /// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// z.account_freepages(8, MigrateType::Cma);
    /// z.account_freepages(4, MigrateType::Movable);
    /// z.account_freepages(16, MigrateType::Isolate); // isolated pages are not free
    /// assert_eq!((z.free_pages(), z.free_cma_pages()), (12, 8));
    /// ```
    #[inline]
    pub fn account_freepages(&self, nr: i64, mt: MigrateType) {
        if mt == MigrateType::Isolate {
            return;
        }
        self.free_pages.fetch_add(nr, Relaxed);
        if mt == MigrateType::Cma {
            self.free_cma_pages.fetch_add(nr, Relaxed);
        } else if mt == MigrateType::HighAtomic {
            self.nr_free_highatomic.fetch_add(nr, Relaxed);
        }
    }

    /// `zone->watermark_boost`.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// assert_eq!(z.watermark_boost(), 0);
    /// z.set_watermark_boost(64);
    /// assert_eq!((z.watermark_boost(), z.watermarks().boost), (64, 64));
    /// ```
    #[inline]
    pub fn watermark_boost(&self) -> u64 {
        self.watermark_boost.load(Relaxed)
    }

    /// Set `zone->watermark_boost` (the zone lock held, or kswapd's reset).
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType};
    /// use oxmm::watermark::zone_watermarks;
    /// let mut z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// z.watermark = zone_watermarks(ZoneType::Normal, 4_000_000, 4_000_000, 67584, 4, 10);
    /// z.set_watermark_boost(100);
    /// assert_eq!(z.watermarks().min(), z.watermark.min + 100);
    /// z.set_watermark_boost(0); // kswapd's reset
    /// assert_eq!(z.watermarks(), z.watermark);
    /// ```
    #[inline]
    pub fn set_watermark_boost(&self, v: u64) {
        self.watermark_boost.store(v, Relaxed)
    }

    /// The watermarks with the current boost (`min_wmark_pages` etc. read `.min()`...).
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
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// let w = dma32.watermarks();
    /// assert!(w.min() < w.low() && w.low() < w.high() && w.high() < w.promo());
    /// assert_eq!(w.boost, dma32.watermark_boost());
    /// ```
    #[inline]
    pub fn watermarks(&self) -> crate::watermark::Watermarks {
        crate::watermark::Watermarks {
            boost: self.watermark_boost(),
            ..self.watermark
        }
    }

    /// `zone->flags`: every `ZONE_*` bit at once.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType, ZONE_BELOW_HIGH};
    /// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// z.set_flag(ZONE_BELOW_HIGH);
    /// assert_eq!(z.flags(), ZONE_BELOW_HIGH);
    /// ```
    #[inline]
    pub fn flags(&self) -> u32 {
        self.flags.load(Relaxed)
    }

    /// `test_bit(flag, &zone->flags)`.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType, ZONE_BELOW_HIGH, ZONE_RECLAIM_ACTIVE};
    /// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// assert!(!z.test_flag(ZONE_RECLAIM_ACTIVE));
    /// z.set_flag(ZONE_RECLAIM_ACTIVE);
    /// assert!(z.test_flag(ZONE_RECLAIM_ACTIVE));
    /// assert!(!z.test_flag(ZONE_BELOW_HIGH));
    /// ```
    #[inline]
    pub fn test_flag(&self, flag: u32) -> bool {
        self.flags.load(Relaxed) & flag != 0
    }

    /// `set_bit(flag, &zone->flags)`.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType, ZONE_BELOW_HIGH, ZONE_RECLAIM_ACTIVE};
    /// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// z.set_flag(ZONE_BELOW_HIGH);
    /// z.set_flag(ZONE_RECLAIM_ACTIVE);
    /// z.set_flag(ZONE_BELOW_HIGH); // already set: no change
    /// assert_eq!(z.flags(), ZONE_BELOW_HIGH | ZONE_RECLAIM_ACTIVE);
    /// ```
    #[inline]
    pub fn set_flag(&self, flag: u32) {
        self.flags.fetch_or(flag, Relaxed);
    }

    /// `test_and_clear_bit(flag, &zone->flags)`.
    ///
    /// ```
    /// use oxmm::mmzone::{Zone, ZoneType, ZONE_BELOW_HIGH, ZONE_BOOSTED_WATERMARK};
    /// let z = Zone::new(ZoneType::Normal, 2, oxmm::types::NodeId(0));
    /// z.set_flag(ZONE_BOOSTED_WATERMARK | ZONE_BELOW_HIGH);
    /// assert!(z.test_and_clear_flag(ZONE_BOOSTED_WATERMARK));
    /// assert!(!z.test_and_clear_flag(ZONE_BOOSTED_WATERMARK)); // already clear
    /// assert_eq!(z.flags(), ZONE_BELOW_HIGH); // the other bit stays
    /// ```
    #[inline]
    pub fn test_and_clear_flag(&self, flag: u32) -> bool {
        self.flags.fetch_and(!flag, Relaxed) & flag != 0
    }

    /// `populated_zone`: the zone has present pages.
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
    /// let zones = mm.nodes().next().unwrap().zones();
    /// assert!(zones[1].is_populated()); // DMA32
    /// assert!(!zones[2].is_populated()); // Normal: no memory above 4 GiB
    /// ```
    #[doc(alias = "populated_zone")]
    #[inline]
    pub const fn is_populated(&self) -> bool {
        self.present != 0
    }

    /// `managed_zone`: the zone has managed pages.
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
    /// let zones = mm.nodes().next().unwrap().zones();
    /// assert!(zones[0].is_managed() && !zones[3].is_managed()); // DMA, Movable
    /// assert!(zones.iter().all(|z| !z.is_managed() || z.is_populated()));
    /// ```
    #[doc(alias = "managed_zone")]
    #[inline]
    pub const fn is_managed(&self) -> bool {
        self.managed != 0
    }

    /// `zone_spans_pfn`.
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
    /// let dma32 = &mm.nodes().next().unwrap().zones()[1];
    /// assert!(dma32.spans_pfn(0x1000) && dma32.spans_pfn(0x3fff));
    /// assert!(!dma32.spans_pfn(0xfff) && !dma32.spans_pfn(0x4000)); // the end is exclusive
    /// ```
    #[doc(alias = "zone_spans_pfn")]
    #[inline]
    pub const fn spans_pfn(&self, pfn: u64) -> bool {
        self.start_pfn <= pfn && pfn < self.end_pfn()
    }
}

/// One NUMA node (Linux: `pg_data_t`, `struct pglist_data`).
///
/// ```
/// use oxmm::mmzone::{Node, ZoneLayout};
/// use oxmm::types::NodeId;
/// let n = Node::new(NodeId(1), ZoneLayout::X86_64);
/// assert_eq!(n.zones().len(), 5);
/// assert_eq!(n.fallback_order().count(), 0);
/// ```
#[derive(Debug)]
#[doc(alias = "pglist_data")]
#[doc(alias = "pg_data_t")]
pub struct Node {
    nid: NodeId,
    pub(crate) start_pfn: u64,
    pub(crate) spanned: u64,
    pub(crate) present: u64,
    pub(crate) nr_cpus: u32,
    nr_zones: u8,
    pub(crate) zones: [Zone; MAX_NR_ZONES],
    /// `node_order[]` of `build_zonelists`: node ids in fallback order.
    pub(crate) fallback: [u8; crate::types::MAX_NUMNODES],
    pub(crate) nr_fallback: u8,
    /// The first entry of this node's zonelist with a zone index at most `i`, for each
    /// `i` (the allocation fast path's preferred zone), packed as `nid << 8 | zone_idx`;
    /// [`Node::NO_ZONEREF`] when there is none (and for the indices from
    /// `MAX_NR_ZONES` up, there to make the length a power of two).
    pub(crate) first_zoneref: [u16; FIRST_ZONEREFS],
    /// `vm_stat[]`.
    pub(crate) vmstat: crate::vmstat::NodeVmStats,
}

impl Node {
    /// `first_zoneref` value for "no zone".
    const NO_ZONEREF: u16 = u16::MAX;

    /// `first_zones_zonelist(zonelist, highest_zoneidx, NULL)`: the first entry of this
    /// node's zonelist whose zone index is at most `highest_zoneidx` (set up by
    /// `build_all_zonelists`).
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout};
    /// let n = Node::new(oxmm::types::NodeId(0), ZoneLayout::X86_64);
    /// assert_eq!(n.first_zoneref(2), None); // no zonelist built yet
    /// ```
    #[doc(alias = "first_zones_zonelist")]
    #[inline]
    pub fn first_zoneref(&self, highest_zoneidx: usize) -> Option<Zoneref> {
        match *self.first_zoneref.get(highest_zoneidx)? {
            Node::NO_ZONEREF => None,
            v => Some(Zoneref {
                nid: NodeId(v >> 8),
                zone_idx: (v & 0xff) as usize,
            }),
        }
    }

    /// An empty node with the zones of `layout`.
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout, ZoneType};
    /// use oxmm::types::NodeId;
    /// let n = Node::new(NodeId(0), ZoneLayout::IA32);
    /// assert_eq!(n.zones().len(), 4);
    /// assert_eq!(n.zones()[2].zone_type(), ZoneType::HighMem);
    /// assert_eq!((n.spanned_pages(), n.managed_pages()), (0, 0));
    /// ```
    pub fn new(nid: NodeId, layout: ZoneLayout) -> Node {
        let zones = core::array::from_fn(|i| match layout.zones().get(i) {
            Some(&t) => Zone::new(t, i as u8, nid),
            None => Zone::new(ZoneType::Device, 0, nid),
        });
        Node {
            nid,
            start_pfn: 0,
            spanned: 0,
            present: 0,
            nr_cpus: 0,
            nr_zones: layout.len,
            zones,
            fallback: [0; crate::types::MAX_NUMNODES],
            nr_fallback: 0,
            first_zoneref: [Node::NO_ZONEREF; FIRST_ZONEREFS],
            vmstat: crate::vmstat::NodeVmStats::new(),
        }
    }

    /// `pgdat->node_id`.
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout};
    /// use oxmm::types::NodeId;
    /// assert_eq!(Node::new(NodeId(1), ZoneLayout::X86_64).nid(), NodeId(1));
    /// ```
    #[inline]
    pub const fn nid(&self) -> NodeId {
        self.nid
    }

    /// `pgdat->node_start_pfn`.
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
    /// let n = mm.nodes().next().unwrap();
    /// assert_eq!(n.start_pfn(), 1); // memory starts at 4 KiB
    /// assert_eq!(n.start_pfn(), n.zones()[0].start_pfn());
    /// ```
    #[inline]
    pub const fn start_pfn(&self) -> u64 {
        self.start_pfn
    }

    /// `pgdat_end_pfn`.
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
    /// let n = mm.nodes().next().unwrap();
    /// assert_eq!(n.end_pfn(), 0x4000); // 64 MiB
    /// assert_eq!(n.end_pfn(), n.start_pfn() + n.spanned_pages());
    /// ```
    #[doc(alias = "pgdat_end_pfn")]
    #[inline]
    pub const fn end_pfn(&self) -> u64 {
        self.start_pfn + self.spanned
    }

    /// `pgdat->node_spanned_pages`.
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
    /// let n = mm.nodes().next().unwrap();
    /// assert_eq!(n.spanned_pages(), 0x4000 - 1);
    /// assert_eq!(n.spanned_pages(), n.zones().iter().map(|z| z.spanned_pages()).sum::<u64>());
    /// ```
    #[inline]
    pub const fn spanned_pages(&self) -> u64 {
        self.spanned
    }

    /// `pgdat->node_present_pages`.
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
    /// # mb.add(PhysAddr(0x1000), (32 << 20) - 0x1000).unwrap();
    /// # mb.add(PhysAddr(48 << 20), 16 << 20).unwrap(); // a 16 MiB hole
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// // Memory at 4 KiB..32 MiB and 48..64 MiB.
    /// let n = mm.nodes().next().unwrap();
    /// assert_eq!(n.spanned_pages(), 0x4000 - 1);
    /// assert_eq!(n.present_pages(), n.spanned_pages() - 0x1000);
    /// ```
    #[inline]
    pub const fn present_pages(&self) -> u64 {
        self.present
    }

    /// Number of CPUs on the node.
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
    /// # cfg.nr_cpus = 2;
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::mmzone::{Node, ZoneLayout};
    /// // One node: it has every CPU of the boot configuration.
    /// assert_eq!(mm.nodes().next().unwrap().nr_cpus(), cfg.nr_cpus);
    /// assert_eq!(Node::new(oxmm::types::NodeId(1), ZoneLayout::X86_64).nr_cpus(), 0);
    /// ```
    #[inline]
    pub const fn nr_cpus(&self) -> u32 {
        self.nr_cpus
    }

    /// Every configured zone in index order, empty ones included (`pgdat->node_zones`).
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
    /// let n = mm.nodes().next().unwrap();
    /// assert_eq!(n.zones().len(), mm.zone_layout().len()); // empty zones included
    /// assert!(n.zones().iter().enumerate().all(|(i, z)| z.idx() == i));
    /// ```
    #[doc(alias = "node_zones")]
    #[inline]
    pub fn zones(&self) -> &[Zone] {
        &self.zones[..self.nr_zones as usize]
    }

    /// Zone `idx` if configured: [`Node::zones`]`.get(idx)` without building the slice
    /// (whose length the compiler cannot bound, so it checks it on every lookup).
    ///
    /// ```
    /// use oxmm::mmzone::{Node, ZoneLayout};
    /// let n = Node::new(oxmm::types::NodeId(0), ZoneLayout::X86_64);
    /// assert_eq!(n.zone(2).map(|z| z.zone_type()), Some(oxmm::mmzone::ZoneType::Normal));
    /// assert!(n.zone(5).is_none());
    /// ```
    #[inline]
    pub fn zone(&self, idx: usize) -> Option<&Zone> {
        if idx < self.nr_zones as usize {
            self.zones.get(idx)
        } else {
            None
        }
    }

    /// Mutable access to the zones (for the allocator).
    #[inline]
    pub(crate) fn zones_mut(&mut self) -> &mut [Zone] {
        &mut self.zones[..self.nr_zones as usize]
    }

    /// The node order of this node's fallback zonelist (`ZONELIST_FALLBACK`), as built
    /// by `build_zonelists`.
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
    /// use oxmm::types::NodeId;
    /// let n = mm.nodes().next().unwrap();
    /// assert_eq!(n.fallback_order().collect::<Vec<_>>(), [NodeId(0)]); // itself only
    /// ```
    #[inline]
    pub fn fallback_order(&self) -> impl Iterator<Item = NodeId> + Clone + '_ {
        self.fallback[..self.nr_fallback as usize]
            .iter()
            .map(|&n| NodeId(n as u16))
    }

    /// [`Node::fallback_order`] as the raw node ids.
    #[inline]
    pub(crate) fn fallback_order_ids(&self) -> &[u8] {
        &self.fallback[..self.nr_fallback as usize]
    }

    /// Sum of the managed pages of the node's zones.
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
    /// let n = mm.nodes().next().unwrap();
    /// assert_eq!(n.managed_pages(), n.zones().iter().map(|z| z.managed_pages()).sum::<u64>());
    /// assert_eq!(n.managed_pages(), mm.totalram_pages()); // the only node
    /// ```
    #[inline]
    pub fn managed_pages(&self) -> u64 {
        self.zones().iter().map(|z| z.managed).sum()
    }
}

/// One zonelist entry (Linux: `struct zoneref`): a node and a zone index in it.
///
/// ```
/// use oxmm::mmzone::Zoneref;
/// use oxmm::types::NodeId;
/// let z = Zoneref { nid: NodeId(0), zone_idx: 2 };
/// assert_eq!(z.zone_idx, 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[doc(alias = "zoneref")]
pub struct Zoneref {
    /// The zone's node.
    pub nid: NodeId,
    /// `zone_idx` of the zone.
    pub zone_idx: usize,
}

#[cfg(test)]
mod tests {
    use super::{Node, ZoneLayout, ZoneOffset, MAX_NR_ZONES};
    use crate::types::{NodeId, MAX_NUMNODES};
    use std::boxed::Box;
    use std::vec::Vec;

    /// Every offset names exactly `nodes[nid].zones[idx]`; indices out of range make
    /// none, and `NONE` names none.
    #[test]
    fn zone_offsets_name_the_zones_they_were_made_from() {
        let v: Vec<Node> = (0..MAX_NUMNODES)
            .map(|n| Node::new(NodeId(n as u16), ZoneLayout::X86_64))
            .collect();
        let nodes: Box<[Node; MAX_NUMNODES]> = v.into_boxed_slice().try_into().ok().unwrap();
        for nid in 0..MAX_NUMNODES {
            for idx in 0..MAX_NR_ZONES {
                let z = ZoneOffset::new(nid, idx).unwrap().zone(&nodes).unwrap();
                assert!(
                    core::ptr::eq(z, &nodes[nid].zones[idx]),
                    "node {nid} zone {idx}"
                );
            }
        }
        assert_eq!(ZoneOffset::new(MAX_NUMNODES, 0), None);
        assert_eq!(ZoneOffset::new(0, MAX_NR_ZONES), None);
        assert!(ZoneOffset::NONE.zone(&nodes).is_none());
    }
}
