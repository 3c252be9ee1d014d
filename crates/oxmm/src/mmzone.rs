//! Zone and migrate-type enumerations (Linux: `enum zone_type`, `enum migratetype`,
//! include/linux/mmzone.h).
//!
//! Which zones exist depends on the architecture's configuration: x86-64 has DMA, DMA32,
//! Normal, Movable and Device; ia32 has DMA, Normal, HighMem, Movable and Device. The
//! zone *index* (`zone_idx`, used in zoneinfo's `protection:` array and `lowmem_reserve`)
//! is the position in the configured list, see [`ZoneLayout`].

use crate::types::NodeId;
use core::fmt;

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
    pub const ALL: [ZoneType; 6] = [
        ZoneType::Dma,
        ZoneType::Dma32,
        ZoneType::Normal,
        ZoneType::HighMem,
        ZoneType::Movable,
        ZoneType::Device,
    ];

    /// The name Linux prints (`zone_names[]`).
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
}

impl ZoneLayout {
    /// x86-64: DMA, DMA32, Normal, Movable, Device.
    pub const X86_64: ZoneLayout = ZoneLayout::new(&[
        ZoneType::Dma,
        ZoneType::Dma32,
        ZoneType::Normal,
        ZoneType::Movable,
        ZoneType::Device,
    ]);
    /// ia32 with HIGHMEM: DMA, Normal, HighMem, Movable (`CONFIG_ZONE_DEVICE` needs 64-bit).
    pub const IA32: ZoneLayout = ZoneLayout::new(&[
        ZoneType::Dma,
        ZoneType::Normal,
        ZoneType::HighMem,
        ZoneType::Movable,
    ]);

    /// A layout from a list of zone kinds in index order.
    pub const fn new(zones: &[ZoneType]) -> ZoneLayout {
        let mut out = [ZoneType::Device; MAX_NR_ZONES];
        let mut i = 0;
        while i < zones.len() && i < MAX_NR_ZONES {
            out[i] = zones[i];
            i += 1;
        }
        ZoneLayout {
            zones: out,
            len: i as u8,
        }
    }

    /// Number of configured zones (`MAX_NR_ZONES` of this configuration).
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Always false: every configuration has at least one zone.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The configured zones in index order.
    pub fn zones(&self) -> &[ZoneType] {
        &self.zones[..self.len as usize]
    }

    /// `zone_idx` of a kind, if configured.
    pub fn index_of(&self, t: ZoneType) -> Option<usize> {
        self.zones().iter().position(|&z| z == t)
    }

    /// Whether a kind is configured.
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
    pub const ALL: [MigrateType; MIGRATE_TYPES] = [
        MigrateType::Unmovable,
        MigrateType::Movable,
        MigrateType::Reclaimable,
        MigrateType::HighAtomic,
        MigrateType::Cma,
        MigrateType::Isolate,
    ];

    /// The name Linux prints (`migratetype_names[]`).
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
    pub const fn is_mergeable(self) -> bool {
        (self as u8) < MIGRATE_PCPTYPES as u8
    }
}

impl fmt::Display for MigrateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The head and tail of one intrusive free list, as memmap indices
/// ([`Page::NIL`](crate::page::Page::NIL) when empty). The links themselves live in the
/// page descriptors (`Page::next`/`Page::prev`), so a list costs 8 bytes here and no heap.
///
/// ```
/// use oxmm::mmzone::FreeList;
/// assert!(FreeList::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[doc(alias = "list_head")]
pub struct FreeList {
    /// First entry (taken first by the allocator).
    pub head: u32,
    /// Last entry (where boot-time freeing appends).
    pub tail: u32,
}

impl FreeList {
    /// A list with no entries.
    pub const EMPTY: FreeList = FreeList {
        head: crate::page::Page::NIL,
        tail: crate::page::Page::NIL,
    };

    /// Whether the list has no entries.
    pub const fn is_empty(&self) -> bool {
        self.head == crate::page::Page::NIL
    }
}

/// One order's free lists, one per migrate type (Linux: `struct free_area`).
///
/// ```
/// use oxmm::mmzone::FreeArea;
/// assert_eq!(FreeArea::EMPTY.nr_free, 0);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[doc(alias = "free_area")]
pub struct FreeArea {
    /// `free_list[MIGRATE_TYPES]`.
    pub free_list: [FreeList; MIGRATE_TYPES],
    /// Number of free blocks of this order over all migrate types.
    pub nr_free: u64,
}

impl FreeArea {
    /// No free blocks.
    pub const EMPTY: FreeArea = FreeArea {
        free_list: [FreeList::EMPTY; MIGRATE_TYPES],
        nr_free: 0,
    };
}

/// One zone of one node (Linux: `struct zone`).
///
/// The pageblock migrate-type bitmap (Linux: `zone->pageblock_flags`, the "usemap") lives
/// in memblock-allocated memory; the zone records where.
///
/// ```
/// use oxmm::mmzone::{Zone, ZoneType};
/// use oxmm::types::NodeId;
/// let z = Zone::new(ZoneType::Normal, 2, NodeId(0));
/// assert_eq!(z.zone_type(), ZoneType::Normal);
/// assert!(!z.is_populated());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Zone {
    zone_type: ZoneType,
    idx: u8,
    nid: NodeId,
    pub(crate) start_pfn: u64,
    pub(crate) spanned: u64,
    pub(crate) present: u64,
    pub(crate) managed: u64,
    pub(crate) cma_pages: u64,
    /// Per-order free areas (Linux: `zone->free_area[NR_PAGE_ORDERS]`).
    pub free_area: [FreeArea; crate::types::NR_PAGE_ORDERS],
    /// `NR_FREE_PAGES`: free pages on every list except Isolate.
    pub free_pages: u64,
    /// `NR_FREE_CMA_PAGES`: free pages on the CMA lists.
    pub free_cma_pages: u64,
    /// Physical address of the pageblock bitmap (4 bits per pageblock).
    pub(crate) usemap: crate::types::PhysAddr,
    /// Size of the pageblock bitmap in bytes (0: none, the zone spans nothing).
    pub(crate) usemap_bytes: u64,
    /// `_watermark[]` and `watermark_boost` (set by `setup_per_zone_wmarks`).
    #[doc(alias = "_watermark")]
    pub watermark: crate::watermark::Watermarks,
    /// `lowmem_reserve[]`: pages kept back from requests whose highest zone is `j`.
    pub lowmem_reserve: [u64; MAX_NR_ZONES],
    /// `nr_reserved_highatomic`: pages in pageblocks reserved for high-order atomics.
    pub nr_reserved_highatomic: u64,
    /// `nr_free_highatomic`: free pages on the HighAtomic lists.
    pub nr_free_highatomic: u64,
    /// `ZONE_BOOSTED_WATERMARK`: a fallback boosted the watermarks; kswapd is due.
    pub boosted_watermark: bool,
}

impl Zone {
    /// An empty zone of kind `t` at index `idx` on node `nid`.
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
            free_area: [FreeArea::EMPTY; crate::types::NR_PAGE_ORDERS],
            free_pages: 0,
            free_cma_pages: 0,
            usemap: crate::types::PhysAddr(0),
            usemap_bytes: 0,
            watermark: crate::watermark::Watermarks {
                min: 0,
                low: 0,
                high: 0,
                promo: 0,
                boost: 0,
            },
            lowmem_reserve: [0; MAX_NR_ZONES],
            nr_reserved_highatomic: 0,
            nr_free_highatomic: 0,
            boosted_watermark: false,
        }
    }

    /// The zone's kind.
    pub const fn zone_type(&self) -> ZoneType {
        self.zone_type
    }

    /// `zone_idx`: the position in the architecture's [`ZoneLayout`].
    #[doc(alias = "zone_idx")]
    pub const fn idx(&self) -> usize {
        self.idx as usize
    }

    /// `zone_to_nid`.
    #[doc(alias = "zone_to_nid")]
    pub const fn nid(&self) -> NodeId {
        self.nid
    }

    /// `zone->zone_start_pfn` (0 for a zone that spans nothing).
    #[doc(alias = "zone_start_pfn")]
    pub const fn start_pfn(&self) -> u64 {
        self.start_pfn
    }

    /// `zone_end_pfn`: start + spanned (exclusive).
    #[doc(alias = "zone_end_pfn")]
    pub const fn end_pfn(&self) -> u64 {
        self.start_pfn + self.spanned
    }

    /// `zone->spanned_pages`.
    pub const fn spanned_pages(&self) -> u64 {
        self.spanned
    }

    /// `zone->present_pages`: spanned minus holes.
    pub const fn present_pages(&self) -> u64 {
        self.present
    }

    /// `zone_managed_pages`: pages owned by the buddy allocator.
    #[doc(alias = "zone_managed_pages")]
    pub const fn managed_pages(&self) -> u64 {
        self.managed
    }

    /// `zone->cma_pages`: pages of activated CMA areas in this zone.
    pub const fn cma_pages(&self) -> u64 {
        self.cma_pages
    }

    /// `free_area[order].nr_free` (0 for an order above `MAX_PAGE_ORDER`).
    pub fn nr_free(&self, order: u32) -> u64 {
        self.free_area.get(order as usize).map_or(0, |a| a.nr_free)
    }

    /// `zone_page_state(zone, NR_FREE_PAGES)`.
    pub const fn free_pages(&self) -> u64 {
        self.free_pages
    }

    /// `populated_zone`: the zone has present pages.
    #[doc(alias = "populated_zone")]
    pub const fn is_populated(&self) -> bool {
        self.present != 0
    }

    /// `managed_zone`: the zone has managed pages.
    #[doc(alias = "managed_zone")]
    pub const fn is_managed(&self) -> bool {
        self.managed != 0
    }

    /// `zone_spans_pfn`.
    #[doc(alias = "zone_spans_pfn")]
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
#[derive(Clone, Copy, Debug)]
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
}

impl Node {
    /// An empty node with the zones of `layout`.
    pub const fn new(nid: NodeId, layout: ZoneLayout) -> Node {
        let mut zones = [Zone::new(ZoneType::Device, 0, nid); MAX_NR_ZONES];
        let mut i = 0;
        while i < layout.len() {
            zones[i] = Zone::new(layout.zones[i], i as u8, nid);
            i += 1;
        }
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
        }
    }

    /// `pgdat->node_id`.
    pub const fn nid(&self) -> NodeId {
        self.nid
    }

    /// `pgdat->node_start_pfn`.
    pub const fn start_pfn(&self) -> u64 {
        self.start_pfn
    }

    /// `pgdat_end_pfn`.
    #[doc(alias = "pgdat_end_pfn")]
    pub const fn end_pfn(&self) -> u64 {
        self.start_pfn + self.spanned
    }

    /// `pgdat->node_spanned_pages`.
    pub const fn spanned_pages(&self) -> u64 {
        self.spanned
    }

    /// `pgdat->node_present_pages`.
    pub const fn present_pages(&self) -> u64 {
        self.present
    }

    /// Number of CPUs on the node.
    pub const fn nr_cpus(&self) -> u32 {
        self.nr_cpus
    }

    /// Every configured zone in index order, empty ones included (`pgdat->node_zones`).
    #[doc(alias = "node_zones")]
    pub fn zones(&self) -> &[Zone] {
        &self.zones[..self.nr_zones as usize]
    }

    /// Mutable access to the zones (for the allocator).
    pub fn zones_mut(&mut self) -> &mut [Zone] {
        &mut self.zones[..self.nr_zones as usize]
    }

    /// The node order of this node's fallback zonelist (`ZONELIST_FALLBACK`), as built
    /// by `build_zonelists`.
    pub fn fallback_order(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.fallback[..self.nr_fallback as usize]
            .iter()
            .map(|&n| NodeId(n as u16))
    }

    /// Sum of the managed pages of the node's zones.
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
