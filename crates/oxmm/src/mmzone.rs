//! Zone and migrate-type enumerations (Linux: `enum zone_type`, `enum migratetype`,
//! include/linux/mmzone.h).
//!
//! Which zones exist depends on the architecture's configuration: x86-64 has DMA, DMA32,
//! Normal, Movable and Device; ia32 has DMA, Normal, HighMem, Movable and Device. The
//! zone *index* (`zone_idx`, used in zoneinfo's `protection:` array and `lowmem_reserve`)
//! is the position in the configured list, see [`ZoneLayout`].

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
    /// ia32 with HIGHMEM: DMA, Normal, HighMem, Movable, Device.
    pub const IA32: ZoneLayout = ZoneLayout::new(&[
        ZoneType::Dma,
        ZoneType::Normal,
        ZoneType::HighMem,
        ZoneType::Movable,
        ZoneType::Device,
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
