//! What the architecture hands to the generic boot code (Linux: the state `setup_arch`
//! leaves behind: `max_zone_pfn[]`, node data, CMA areas, command-line options).

use crate::mmzone::{ZoneLayout, ZoneType, MAX_NR_ZONES};
use crate::types::{NodeId, PageGeometry, PhysAddr, MAX_NUMNODES};

/// An architecture profile: its name, zone layout and the facts that change what it
/// prints.
///
/// ```
/// use oxmm::boot::Arch;
/// assert_eq!(Arch::Ia32.name(), "ia32");
/// assert!(Arch::Ia32.zone_layout().has(oxmm::mmzone::ZoneType::HighMem));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arch {
    /// x86-64: zones DMA (< 16 MiB), DMA32 (< 4 GiB), Normal, Movable, Device.
    X86_64,
    /// 32-bit x86 with HIGHMEM (PAE): DMA, Normal (lowmem, 896 MiB by default with the
    /// 3G/1G split), HighMem, Movable.
    Ia32,
    /// arm64: DMA (below the smallest DMA mask, ≤ 4 GiB), DMA32, Normal, Movable, Device.
    Arm64,
    /// riscv64: DMA32, Normal, Movable, Device.
    Riscv64,
    /// 32-bit arm with HIGHMEM: Normal, HighMem, Movable.
    Arm,
}

impl Arch {
    /// The profile's name as machine descriptions spell it.
    ///
    /// ```
    /// use oxmm::boot::Arch;
    /// assert_eq!(Arch::X86_64.name(), "x86-64");
    /// assert_eq!(Arch::Arm64.name(), "arm64");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86-64",
            Arch::Ia32 => "ia32",
            Arch::Arm64 => "arm64",
            Arch::Riscv64 => "riscv64",
            Arch::Arm => "arm",
        }
    }

    /// The zones this architecture configures, in index order.
    ///
    /// ```
    /// use oxmm::boot::Arch;
    /// use oxmm::mmzone::ZoneType;
    /// assert_eq!(Arch::Riscv64.zone_layout().zones()[0], ZoneType::Dma32);
    /// assert!(Arch::Arm.zone_layout().has(ZoneType::HighMem));
    /// assert!(!Arch::X86_64.zone_layout().has(ZoneType::HighMem));
    /// ```
    pub const fn zone_layout(self) -> ZoneLayout {
        match self {
            Arch::X86_64 | Arch::Arm64 => ZoneLayout::X86_64,
            Arch::Ia32 => ZoneLayout::IA32,
            Arch::Riscv64 => ZoneLayout::new(&[
                ZoneType::Dma32,
                ZoneType::Normal,
                ZoneType::Movable,
                ZoneType::Device,
            ]),
            Arch::Arm => ZoneLayout::new(&[ZoneType::Normal, ZoneType::HighMem, ZoneType::Movable]),
        }
    }
}

/// The highest pfn (exclusive) each zone may reach (Linux: `max_zone_pfn[]` passed to
/// `free_area_init`), indexed by zone *type*. `None` for zones the architecture does not
/// configure. Zone i then starts where zone i−1 ended.
///
/// ```
/// use oxmm::boot::ZoneLimits;
/// use oxmm::mmzone::ZoneType;
/// let mut l = ZoneLimits::default();
/// l.set(ZoneType::Dma, 0x1000);
/// assert_eq!(l.get(ZoneType::Dma), Some(0x1000));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[doc(alias = "max_zone_pfn")]
pub struct ZoneLimits {
    limits: [Option<u64>; MAX_NR_ZONES],
}

impl ZoneLimits {
    /// The limit of zone type `t`.
    ///
    /// ```
    /// use oxmm::boot::ZoneLimits;
    /// use oxmm::mmzone::ZoneType;
    /// let mut l = ZoneLimits::default();
    /// assert_eq!(l.get(ZoneType::Normal), None);
    /// l.set(ZoneType::Normal, 0x14_0000);
    /// assert_eq!(l.get(ZoneType::Normal), Some(0x14_0000));
    /// ```
    pub fn get(&self, t: ZoneType) -> Option<u64> {
        self.limits[t as usize]
    }

    /// Set the limit of zone type `t` to `pfn` (exclusive).
    ///
    /// ```
    /// use oxmm::boot::ZoneLimits;
    /// use oxmm::mmzone::ZoneType;
    /// let mut l = ZoneLimits::default();
    /// l.set(ZoneType::Dma32, 0x8_0000);
    /// l.set(ZoneType::Dma32, 0x10_0000); // the last one wins
    /// assert_eq!(l.get(ZoneType::Dma32), Some(0x10_0000));
    /// assert_eq!(l.get(ZoneType::Dma), None);
    /// ```
    pub fn set(&mut self, t: ZoneType, pfn: u64) {
        self.limits[t as usize] = Some(pfn);
    }
}

/// One online node's description (CPUs are what zonelist building and the PCP `high`
/// computation need).
///
/// ```
/// use oxmm::boot::NodeDesc;
/// use oxmm::types::NodeId;
/// let n = NodeDesc { nid: NodeId(0), nr_cpus: 2 };
/// assert_eq!(n.nr_cpus, 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NodeDesc {
    /// The node id.
    pub nid: NodeId,
    /// Number of CPUs on the node (0 for a CPU-less node).
    pub nr_cpus: u32,
}

/// The SLIT distance table (Linux: `node_distance`), row-major over node ids
/// `0..nr_node_ids`. Without a table, Linux uses 10 locally and 20 remotely.
///
/// ```
/// use oxmm::boot::Distances;
/// use oxmm::types::NodeId;
/// let t = [10u8, 21, 21, 10];
/// let d = Distances::new(2, &t).unwrap();
/// assert_eq!(d.get(NodeId(0), NodeId(1)), 21);
/// assert!(Distances::new(3, &t).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[doc(alias = "node_distance")]
pub struct Distances<'a> {
    n: usize,
    table: &'a [u8],
}

impl<'a> Distances<'a> {
    /// A table for `n` nodes; `None` if `table` is not `n × n`.
    ///
    /// ```
    /// use oxmm::boot::Distances;
    /// let t = [10u8, 21, 21, 10];
    /// assert!(Distances::new(2, &t).is_some());
    /// assert!(Distances::new(2, &t[..3]).is_none());
    /// ```
    pub fn new(n: usize, table: &'a [u8]) -> Option<Self> {
        if n > MAX_NUMNODES || table.len() != n * n {
            return None;
        }
        Some(Distances { n, table })
    }

    /// `node_distance(a, b)`: LOCAL_DISTANCE 10 / REMOTE_DISTANCE 20 without a table.
    ///
    /// ```
    /// use oxmm::boot::Distances;
    /// use oxmm::types::NodeId;
    /// let none = Distances::default();
    /// assert_eq!(none.get(NodeId(1), NodeId(1)), 10);
    /// assert_eq!(none.get(NodeId(0), NodeId(1)), 20);
    /// let t = [10u8, 16, 16, 10];
    /// assert_eq!(Distances::new(2, &t).unwrap().get(NodeId(1), NodeId(0)), 16);
    /// ```
    pub fn get(&self, a: NodeId, b: NodeId) -> u8 {
        let (a, b) = (a.0 as usize, b.0 as usize);
        if a < self.n && b < self.n {
            self.table[a * self.n + b]
        } else if a == b {
            10
        } else {
            20
        }
    }
}

/// A size given to `kernelcore=` or `movablecore=`.
///
/// ```
/// use oxmm::boot::CoreSize;
/// assert_eq!(CoreSize::Percent(25), CoreSize::Percent(25));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CoreSize {
    /// A size in bytes (`kernelcore=1G`).
    Bytes(u64),
    /// A percentage of total memory (`kernelcore=25%`), 0..=100.
    Percent(u32),
    /// `kernelcore=mirror`: non-mirrored memory becomes Movable.
    Mirror,
}

/// A CMA area reserved by the architecture (`cma=`, device-tree `reusable` pools), to be
/// activated at boot (its pageblocks become `MIGRATE_CMA`).
///
/// ```
/// use oxmm::boot::CmaArea;
/// use oxmm::types::PhysAddr;
/// let a = CmaArea { name: "reserved", base: PhysAddr(0x4000_0000), size: 64 << 20 };
/// assert_eq!(a.size, 0x400_0000);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CmaArea<'a> {
    /// The area's name (`reserved` for the default `cma=` area).
    pub name: &'a str,
    /// Base address (already reserved in memblock).
    pub base: PhysAddr,
    /// Size in bytes.
    pub size: u64,
}

/// Kernel image section sizes in bytes, for the `Memory:` line (Linux: `mem_init_print_info`).
///
/// ```
/// let k = oxmm::boot::KernelImage::default();
/// assert_eq!(k.code, 0);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct KernelImage {
    /// `.text`.
    pub code: u64,
    /// `.data`.
    pub rwdata: u64,
    /// `.rodata`.
    pub rodata: u64,
    /// `.init.*`.
    pub init: u64,
    /// `.bss`.
    pub bss: u64,
}

/// Transparent hugepage mode (`transparent_hugepage=`), which changes `min_free_kbytes`.
///
/// ```
/// assert_eq!(oxmm::boot::ThpMode::default(), oxmm::boot::ThpMode::Always);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum ThpMode {
    /// `always` (the default of most distribution kernels).
    #[default]
    Always,
    /// `madvise`.
    Madvise,
    /// `never`.
    Never,
}

/// The kernel version whose boot-log format to reproduce (lines changed over time, see
/// REFERENCE.md §1 and the bootlogs INDEX).
///
/// ```
/// use oxmm::boot::LogFormat;
/// assert!(LogFormat::V6_12 > LogFormat::new(5, 13));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct LogFormat {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

impl LogFormat {
    /// Linux v6.12, the reference.
    ///
    /// ```
    /// use oxmm::boot::LogFormat;
    /// assert_eq!(LogFormat::default(), LogFormat::V6_12);
    /// assert_eq!(LogFormat::V6_12, LogFormat::new(6, 12));
    /// ```
    pub const V6_12: LogFormat = LogFormat {
        major: 6,
        minor: 12,
    };

    /// The format of kernel `major.minor`.
    ///
    /// ```
    /// use oxmm::boot::LogFormat;
    /// let f = LogFormat::new(5, 16);
    /// assert_eq!((f.major, f.minor), (5, 16));
    /// assert!(LogFormat::new(4, 20) < f && f < LogFormat::new(6, 1));
    /// ```
    pub const fn new(major: u16, minor: u16) -> Self {
        LogFormat { major, minor }
    }
}

impl Default for LogFormat {
    fn default() -> Self {
        LogFormat::V6_12
    }
}

/// Everything the generic boot needs besides memblock.
///
/// ```
/// use oxmm::boot::{Arch, BootConfig};
/// let cfg = BootConfig::new(Arch::X86_64);
/// assert_eq!(cfg.nr_cpus, 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BootConfig<'a> {
    /// Architecture profile.
    pub arch: Arch,
    /// The zones this kernel configures (defaults to the architecture's; a kernel built
    /// without `CONFIG_ZONE_DEVICE` or `CONFIG_ZONE_DMA32` has fewer, and prints fewer
    /// `Zone ranges` lines).
    pub zone_layout: ZoneLayout,
    /// Page size.
    pub geometry: PageGeometry,
    /// `max_zone_pfn[]`.
    pub zone_limits: ZoneLimits,
    /// Online nodes (at least one; node ids as in memblock's region nids).
    pub nodes: &'a [NodeDesc],
    /// SLIT distances (`Distances::default()` when the machine has none).
    pub distances: Distances<'a>,
    /// `numa=off`: everything is node 0.
    pub numa_off: bool,
    /// Number of possible CPUs (`nr_cpu_ids`).
    pub nr_cpus: u32,
    /// `kernelcore=`.
    pub kernelcore: Option<CoreSize>,
    /// `movablecore=`.
    pub movablecore: Option<CoreSize>,
    /// `movable_node`: hotpluggable memory becomes Movable.
    pub movable_node: bool,
    /// CMA areas to activate.
    pub cma: &'a [CmaArea<'a>],
    /// Kernel image sizes for the `Memory:` line.
    pub kernel: KernelImage,
    /// `transparent_hugepage=`.
    pub thp: ThpMode,
    /// Boot-log format to reproduce.
    pub log_format: LogFormat,
    /// The kernel was built with `CONFIG_NUMA` (even on a single node it then prints
    /// `Fallback order for Node 0: 0 ` and `Policy zone:`). Defaults to true on x86-64
    /// and arm64 (distribution kernels), false elsewhere.
    pub config_numa: bool,
    /// 32-bit x86 only: the kernel build facts behind the `virtual kernel memory layout:`
    /// block that `mem_init` printed (Linux up to the 4.x series); `None` prints no block.
    pub ia32_layout: Option<Ia32Layout>,
    /// Whether this kernel prints `Fallback order for Node` lines; `None` decides by
    /// version (mainline v5.16, commit 6cf253925df7), `Some` for kernels that carry it as
    /// a backport (RHEL 9's 5.14) or lack it.
    pub print_fallback_order: Option<bool>,
    /// x86-64 before v6.10: `dma_reserve` as the kernel computed it
    /// (`memblock_find_dma_reserve`, printed as `DMA zone: N pages reserved`); `None`
    /// computes it from memblock's reservations below 16 MiB.
    pub dma_reserve: Option<u64>,
    /// Before v6.10: `sizeof(struct page)` of the kernel, for the memmap accounting of
    /// `free_area_init_core`; `None` uses the architecture's usual size (64 bytes on
    /// 64-bit kernels with `CONFIG_MEMCG`).
    #[doc(alias = "sizeof(struct page)")]
    pub struct_page_size: Option<u64>,
}

/// Build facts of a 32-bit x86 kernel that place its virtual memory areas (see
/// [`crate::boot::mem_init`]).
///
/// ```
/// let l = oxmm::boot::Ia32Layout::pae(234);
/// assert!(l.pae);
/// assert_eq!(l.load_addr, 0x100_0000);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ia32Layout {
    /// `CONFIG_X86_PAE`: 512 pkmap slots in a 2 MiB PMD (else 1024 in 4 MiB).
    pub pae: bool,
    /// Pages of the permanent fixmap (`__end_of_permanent_fixed_addresses`).
    pub fixmap_pages: u64,
    /// `CONFIG_PHYSICAL_START`: where `_text` is loaded.
    pub load_addr: u64,
}

impl Ia32Layout {
    /// A PAE kernel with `fixmap_pages` fixmap pages, loaded at 16 MiB.
    ///
    /// ```
    /// use oxmm::boot::{Ia32Layout, KernelImage};
    /// use oxmm::boot::mem_init::VirtLayout;
    /// let l = Ia32Layout::pae(234);
    /// assert_eq!((l.pae, l.fixmap_pages), (true, 234));
    /// // 512 pkmap slots of 4 KiB.
    /// let v = VirtLayout::new(&l, &KernelImage::default(), 0x37bfe);
    /// assert_eq!(v.pkmap.1 - v.pkmap.0, 512 * 4096);
    /// ```
    pub const fn pae(fixmap_pages: u64) -> Self {
        Ia32Layout {
            pae: true,
            fixmap_pages,
            load_addr: 0x100_0000,
        }
    }

    /// A non-PAE kernel with `fixmap_pages` fixmap pages, loaded at 16 MiB.
    ///
    /// ```
    /// use oxmm::boot::{Ia32Layout, KernelImage};
    /// use oxmm::boot::mem_init::VirtLayout;
    /// let l = Ia32Layout::non_pae(234);
    /// assert!(!l.pae);
    /// assert_eq!(l.load_addr, Ia32Layout::pae(234).load_addr);
    /// // 1024 pkmap slots of 4 KiB.
    /// let v = VirtLayout::new(&l, &KernelImage::default(), 0x37bfe);
    /// assert_eq!(v.pkmap.1 - v.pkmap.0, 1024 * 4096);
    /// ```
    pub const fn non_pae(fixmap_pages: u64) -> Self {
        Ia32Layout {
            pae: false,
            ..Self::pae(fixmap_pages)
        }
    }
}

impl<'a> BootConfig<'a> {
    /// Defaults for `arch`: 4 KiB pages, one CPU, no nodes listed (node 0 implied),
    /// no options.
    ///
    /// ```
    /// use oxmm::boot::{Arch, BootConfig};
    /// let cfg = BootConfig::new(Arch::Ia32);
    /// assert_eq!(cfg.zone_layout, Arch::Ia32.zone_layout());
    /// assert_eq!(cfg.geometry.page_size(), 4096);
    /// assert!(cfg.nodes.is_empty() && cfg.kernelcore.is_none());
    /// assert!(!cfg.config_numa && BootConfig::new(Arch::X86_64).config_numa);
    /// ```
    pub fn new(arch: Arch) -> Self {
        BootConfig {
            arch,
            zone_layout: arch.zone_layout(),
            geometry: PageGeometry::default(),
            zone_limits: ZoneLimits::default(),
            nodes: &[],
            distances: Distances::default(),
            numa_off: false,
            nr_cpus: 1,
            kernelcore: None,
            movablecore: None,
            movable_node: false,
            cma: &[],
            kernel: KernelImage::default(),
            thp: ThpMode::Always,
            log_format: LogFormat::V6_12,
            config_numa: matches!(arch, Arch::X86_64 | Arch::Arm64),
            ia32_layout: None,
            print_fallback_order: None,
            dma_reserve: None,
            struct_page_size: None,
        }
    }
}
