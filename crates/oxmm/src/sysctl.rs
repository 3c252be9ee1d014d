//! The `vm.*` tunables that shape the watermarks, and their recomputation (Linux:
//! `init_per_zone_wmark_min`, `setup_per_zone_wmarks`, `setup_per_zone_lowmem_reserve`,
//! `calculate_totalreserve_pages`, `set_recommended_min_free_kbytes`, and the sysctl
//! handlers `min_free_kbytes_sysctl_handler`, `watermark_scale_factor_sysctl_handler`,
//! `lowmem_reserve_ratio_sysctl_handler`; mm/page_alloc.c, mm/khugepaged.c).
//!
//! The arithmetic lives in [`crate::watermark`]; this module walks the zones with it.
//!
//! ```
//! let t = oxmm::sysctl::VmSysctl::new(oxmm::boot::ThpMode::Never);
//! assert_eq!(t.min_free_kbytes, 1024);
//! assert_eq!(t.user_min_free_kbytes, -1);
//! ```

use crate::boot::ThpMode;
use crate::mm::Mm;
use crate::mmzone::{ZoneType, MAX_NR_ZONES};
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::watermark::{
    calculate_min_free_kbytes, default_lowmem_reserve_ratio, lowmem_reserve,
    thp_recommended_min_free_kbytes, zone_totalreserve, zone_watermarks, MIN_FREE_KBYTES_DEFAULT,
    WATERMARK_BOOST_FACTOR_DEFAULT, WATERMARK_SCALE_FACTOR_DEFAULT,
};
use core::fmt;

/// The watermark tunables and what they produced (Linux: the globals
/// `min_free_kbytes`, `user_min_free_kbytes`, `watermark_scale_factor`,
/// `watermark_boost_factor`, `sysctl_lowmem_reserve_ratio`, `totalreserve_pages`).
///
/// ```
/// use oxmm::sysctl::VmSysctl;
/// let t = VmSysctl::new(oxmm::boot::ThpMode::Always);
/// assert_eq!(t.watermark_scale_factor, 10);
/// assert_eq!(t.lowmem_reserve_ratio[2], 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmSysctl {
    /// `vm.min_free_kbytes`.
    pub min_free_kbytes: u64,
    /// `user_min_free_kbytes`: −1 until the sysctl is written.
    pub user_min_free_kbytes: i64,
    /// `vm.watermark_scale_factor` (1/10000 of managed memory per watermark step).
    pub watermark_scale_factor: u64,
    /// `vm.watermark_boost_factor`.
    pub watermark_boost_factor: u64,
    /// `sysctl_lowmem_reserve_ratio[]` by [`ZoneType`] in enum order (HighMem included).
    #[doc(alias = "sysctl_lowmem_reserve_ratio")]
    pub lowmem_reserve_ratio: [u64; MAX_NR_ZONES],
    /// `totalreserve_pages`.
    pub totalreserve_pages: u64,
    /// `vm.percpu_pagelist_high_fraction` (0: high sized by the low watermark).
    pub percpu_pagelist_high_fraction: u64,
    /// Transparent hugepages (PMD size) enabled: `always` or `madvise`
    /// (`hugepage_init` turns them off below 512 MiB of RAM).
    pub thp: ThpMode,
    /// `khugepaged_thread` is running: `hugepage_init` started it (THP enabled and at
    /// least 512 MiB of RAM), and only then do recomputations apply the THP
    /// recommendation.
    #[doc(alias = "khugepaged_thread")]
    pub khugepaged: bool,
}

impl VmSysctl {
    /// Linux's compile-time defaults.
    ///
    /// ```
    /// use oxmm::{boot::ThpMode, mmzone::ZoneType, sysctl::VmSysctl};
    /// let t = VmSysctl::new(ThpMode::Madvise);
    /// assert_eq!((t.thp, t.khugepaged), (ThpMode::Madvise, false));
    /// assert_eq!(t.watermark_boost_factor, 15000);
    /// assert_eq!(t.lowmem_reserve_ratio[ZoneType::Dma as usize], 256);
    /// ```
    pub fn new(thp: ThpMode) -> VmSysctl {
        VmSysctl {
            min_free_kbytes: MIN_FREE_KBYTES_DEFAULT,
            user_min_free_kbytes: -1,
            watermark_scale_factor: WATERMARK_SCALE_FACTOR_DEFAULT,
            watermark_boost_factor: WATERMARK_BOOST_FACTOR_DEFAULT,
            lowmem_reserve_ratio: ZoneType::ALL.map(default_lowmem_reserve_ratio),
            totalreserve_pages: 0,
            percpu_pagelist_high_fraction: 0,
            thp,
            khugepaged: false,
        }
    }
}

/// A sysctl write Linux would refuse (`-EINVAL`).
///
/// ```
/// use oxmm::sysctl::SysctlError;
/// let e = SysctlError::OutOfRange { name: "watermark_scale_factor", value: 0, min: 1, max: 3000 };
/// assert_eq!(e.to_string(), "vm.watermark_scale_factor: 0 outside 1..=3000");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysctlError {
    /// The value is outside the sysctl's `extra1..=extra2`.
    OutOfRange {
        /// The tunable (without `vm.`).
        name: &'static str,
        /// The value written.
        value: i64,
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// More values than the array has entries.
    TooManyValues {
        /// The tunable.
        name: &'static str,
        /// How many were written.
        given: usize,
        /// How many entries it has.
        max: usize,
    },
}

impl fmt::Display for SysctlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SysctlError::OutOfRange {
                name,
                value,
                min,
                max,
            } => write!(f, "vm.{name}: {value} outside {min}..={max}"),
            SysctlError::TooManyValues { name, given, max } => {
                write!(f, "vm.{name}: {given} values for {max} entries")
            }
        }
    }
}

/// `INT_MAX`: every tunable here is a C `int`.
const INT_MAX: i64 = i32::MAX as i64;

fn check(name: &'static str, value: i64, min: i64, max: i64) -> Result<u64, SysctlError> {
    if value < min || value > max {
        return Err(SysctlError::OutOfRange {
            name,
            value,
            min,
            max,
        });
    }
    Ok(value as u64)
}

impl<P: Platform> Mm<P> {
    /// The watermark tunables.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// cfg.thp = ThpMode::Never;
    /// let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
    /// // About 1 GiB of lowmem → about 4096 kB (REFERENCE.md §6.1).
    /// assert!((4000..=4096).contains(&mm.sysctl().min_free_kbytes));
    /// ```
    pub fn sysctl(&self) -> &VmSysctl {
        &self.vm
    }

    /// `nr_free_buffer_pages`: Σ max(0, managed − high watermark) over the zones up to
    /// `gfp_zone(GFP_KERNEL)` of the calling CPU's zonelist.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// let n = mm.nr_free_buffer_pages();
    /// // One node: its DMA, DMA32 and Normal zones, less their high watermarks.
    /// let zones = mm.node(NodeId(0)).unwrap().zones();
    /// let sum: u64 = zones[..3].iter().map(|z| z.managed_pages() - z.watermark.high()).sum();
    /// assert_eq!(n, sum);
    /// assert!(n > 0 && n < mm.totalram_pages());
    /// ```
    pub fn nr_free_buffer_pages(&self) -> u64 {
        let normal = self.layout.index_of(ZoneType::Normal).unwrap_or(0);
        self.zonelist(self.numa_node_id())
            .filter(|r| r.zone_idx <= normal)
            .filter_map(|r| self.nodes[r.nid.0 as usize].zones().get(r.zone_idx))
            .map(|z| z.managed_pages().saturating_sub(z.watermark.high()))
            .sum()
    }

    /// `init_per_zone_wmark_min` (a postcore initcall): min_free_kbytes from lowmem, the
    /// watermarks, `lowmem_reserve`, then `khugepaged_min_free_kbytes_update`, which
    /// applies the THP recommendation only once khugepaged runs (see
    /// [`Mm::hugepage_init`], a later initcall).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// mm.init_per_zone_wmark_min(log);
    /// // About 1 GiB of lowmem → about 4096 kB.
    /// assert!((4000..=4096).contains(&mm.sysctl().min_free_kbytes));
    /// let dma32 = mm.node(NodeId(0)).unwrap().zone(1).unwrap();
    /// let w = dma32.watermark;
    /// assert!(0 < w.min() && w.min() < w.low() && w.low() < w.high());
    /// ```
    pub fn init_per_zone_wmark_min(&mut self, log: &mut dyn Log) {
        self.calculate_min_free_kbytes(log);
        self.setup_per_zone_wmarks();
        self.setup_per_zone_lowmem_reserve();
        self.khugepaged_min_free_kbytes_update(log);
    }

    /// `khugepaged_min_free_kbytes_update`: the THP recommendation again, if khugepaged
    /// is running.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (2 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// let log = &mut oxmm::printk::NullLog;
    /// let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// // 2 GiB with THP: khugepaged runs, DMA + DMA32 → 45056 kB.
    /// assert!(mm.sysctl().khugepaged);
    /// mm.calculate_min_free_kbytes(log);
    /// mm.khugepaged_min_free_kbytes_update(log);
    /// assert_eq!(mm.sysctl().min_free_kbytes, 45056);
    /// ```
    pub fn khugepaged_min_free_kbytes_update(&mut self, log: &mut dyn Log) {
        if self.vm.thp != ThpMode::Never && self.vm.khugepaged {
            self.set_recommended_min_free_kbytes(log);
        }
    }

    /// `hugepage_init` (a subsys initcall, after [`Mm::init_per_zone_wmark_min`]): below
    /// 512 MiB of RAM transparent hugepages are turned off (`transparent_hugepage_flags =
    /// 0`) and nothing else happens; otherwise `start_stop_khugepaged`, which starts
    /// khugepaged if THP is enabled and in every case recomputes min_free_kbytes with
    /// `set_recommended_min_free_kbytes` (when THP is off, that is
    /// `calculate_min_free_kbytes` again, now with the high watermarks subtracted).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// // 384 MiB: too small for THP, so only the square-root rule applies.
    /// mb.add(PhysAddr(0x1000), (384 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
    /// assert_eq!(mm.sysctl().thp, ThpMode::Never);
    /// assert!(!mm.sysctl().khugepaged);
    /// assert!(mm.sysctl().min_free_kbytes < 2500);
    /// ```
    #[doc(alias = "start_stop_khugepaged")]
    pub fn hugepage_init(&mut self, log: &mut dyn Log) {
        let min_pages = 512u64 << (20 - self.geo.shift());
        if self.totalram_pages() < min_pages {
            self.vm.thp = ThpMode::Never;
            return;
        }
        self.vm.khugepaged = self.vm.thp != ThpMode::Never;
        self.set_recommended_min_free_kbytes(log);
    }

    /// `calculate_min_free_kbytes`: √(16 × lowmem kB), clamped to 128..=262144, unless a
    /// user value is at least as large (then a warning, as Linux prints it).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// # use oxmm::printk::{Level, Log};
    /// # struct Warnings(usize);
    /// # impl Log for Warnings {
    /// #     fn line(&mut self, l: Level, _: core::fmt::Arguments<'_>) { self.0 += (l == Level::Warning) as usize }
    /// # }
    /// let mut log = Warnings(0);
    /// mm.calculate_min_free_kbytes(&mut log);
    /// assert!((128..=262144).contains(&mm.sysctl().min_free_kbytes));
    /// // A larger user value is kept, with a warning.
    /// mm.set_min_free_kbytes(65536).unwrap();
    /// mm.calculate_min_free_kbytes(&mut log);
    /// assert_eq!((mm.sysctl().min_free_kbytes, log.0), (65536, 1));
    /// ```
    pub fn calculate_min_free_kbytes(&mut self, log: &mut dyn Log) {
        let page_kb = self.geo.page_size() >> 10;
        let nfbp = self.nr_free_buffer_pages();
        let new = crate::watermark::int_sqrt(nfbp * page_kb * 16) as i64;
        if new > self.vm.user_min_free_kbytes {
            self.vm.min_free_kbytes = calculate_min_free_kbytes(nfbp, page_kb);
        } else {
            log.line(
                Level::Warning,
                format_args!(
                    "min_free_kbytes is not updated to {} because user defined value {} is preferred",
                    new, self.vm.user_min_free_kbytes
                ),
            );
        }
    }

    /// `set_recommended_min_free_kbytes`: with PMD THP enabled, raise `min_free_kbytes`
    /// to keep 11 pageblocks per populated zone up to `gfp_zone(GFP_USER)` free (at most
    /// 5 % of lowmem), then recompute the watermarks; with THP off,
    /// `calculate_min_free_kbytes` and the watermarks again.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (2 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Always;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// mm.calculate_min_free_kbytes(log);
    /// let plain = mm.sysctl().min_free_kbytes;
    /// mm.set_recommended_min_free_kbytes(log);
    /// // THP on, DMA + DMA32: 11 pageblocks of 2 MiB per zone, twice.
    /// assert_eq!(mm.sysctl().min_free_kbytes, 45056);
    /// assert!(plain < 45056);
    /// ```
    pub fn set_recommended_min_free_kbytes(&mut self, log: &mut dyn Log) {
        if self.vm.thp == ThpMode::Never {
            self.calculate_min_free_kbytes(log);
            self.setup_per_zone_wmarks();
            return;
        }
        let user_zone = self.layout.index_of(ZoneType::Normal).unwrap_or(0);
        let nr_zones = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .filter(|z| z.is_populated() && z.idx() <= user_zone)
            .count() as u64;
        let rec = thp_recommended_min_free_kbytes(
            nr_zones,
            self.geo.pageblock_nr_pages(),
            self.nr_free_buffer_pages(),
            self.geo.page_size() >> 10,
        );
        if rec > self.vm.min_free_kbytes {
            if self.vm.user_min_free_kbytes >= 0 {
                log.line(
                    Level::Info,
                    format_args!(
                        "raising min_free_kbytes from {} to {} to help transparent hugepage allocations",
                        self.vm.min_free_kbytes, rec
                    ),
                );
            }
            self.vm.min_free_kbytes = rec;
        }
        self.setup_per_zone_wmarks();
    }

    /// `setup_per_zone_wmarks` (`__setup_per_zone_wmarks`): every zone's min/low/high/promo
    /// from `min_free_kbytes` and `watermark_scale_factor`, boost cleared; then
    /// `calculate_totalreserve_pages`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// mm.setup_per_zone_wmarks();
    /// // The lowmem zones' min watermarks share min_free_kbytes (in pages) by size.
    /// let pages_min = mm.sysctl().min_free_kbytes / 4;
    /// let lowmem = &mm.node(NodeId(0)).unwrap().zones()[..3];
    /// let sum: u64 = lowmem.iter().map(|z| z.watermark.min()).sum();
    /// assert!(sum <= pages_min && sum + 3 > pages_min);
    /// ```
    #[doc(alias = "__setup_per_zone_wmarks")]
    pub fn setup_per_zone_wmarks(&mut self) {
        let lowmem: u64 = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .filter(|z| !matches!(z.zone_type(), ZoneType::HighMem | ZoneType::Movable))
            .map(|z| z.managed_pages())
            .sum();
        let (mfk, page_kb, wsf) = (
            self.vm.min_free_kbytes,
            self.geo.page_size() >> 10,
            self.vm.watermark_scale_factor,
        );
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if !self.online[i] {
                continue;
            }
            for z in node.zones_mut() {
                z.watermark =
                    zone_watermarks(z.zone_type(), z.managed_pages(), lowmem, mfk, page_kb, wsf);
            }
        }
        self.calculate_totalreserve_pages();
        // The watermarks size the per-CPU lists (high_min follows the low watermark).
        self.zone_pcp_update_all();
    }

    /// `setup_per_zone_lowmem_reserve`: each node's `lowmem_reserve[][]` from the ratios;
    /// then `calculate_totalreserve_pages`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// mm.setup_per_zone_lowmem_reserve();
    /// let zones = mm.node(NodeId(0)).unwrap().zones();
    /// // DMA keeps DMA32's managed pages / 256 from DMA32 allocations.
    /// assert_eq!(zones[0].lowmem_reserve[0], 0);
    /// assert_eq!(zones[0].lowmem_reserve[1], zones[1].managed_pages() / 256);
    /// ```
    pub fn setup_per_zone_lowmem_reserve(&mut self) {
        let mut ratio = [0u64; MAX_NR_ZONES];
        for (r, t) in ratio.iter_mut().zip(self.layout.zones()) {
            *r = self.vm.lowmem_reserve_ratio[*t as usize];
        }
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if !self.online[i] {
                continue;
            }
            let mut managed = [0u64; MAX_NR_ZONES];
            let n = node.zones().len();
            for (m, z) in managed.iter_mut().zip(node.zones()) {
                *m = z.managed_pages();
            }
            let r = lowmem_reserve(&managed[..n], &ratio[..n]);
            for (z, row) in node.zones_mut().iter_mut().zip(r.iter()) {
                z.lowmem_reserve = *row;
            }
        }
        self.calculate_totalreserve_pages();
    }

    /// `calculate_totalreserve_pages`: Σ over zones of min(max lowmem_reserve + high,
    /// managed).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// mm.calculate_totalreserve_pages();
    /// let zones = || mm.node(NodeId(0)).unwrap().zones().iter();
    /// let high: u64 = zones().map(|z| z.watermark.high()).sum();
    /// let managed: u64 = zones().map(|z| z.managed_pages()).sum();
    /// assert!(high < mm.totalreserve_pages() && mm.totalreserve_pages() < managed);
    /// ```
    pub fn calculate_totalreserve_pages(&mut self) {
        self.vm.totalreserve_pages = self
            .nodes()
            .flat_map(|n| n.zones().iter())
            .map(|z| zone_totalreserve(&z.lowmem_reserve, z.watermark.high(), z.managed_pages()))
            .sum();
    }

    /// `totalreserve_pages`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// assert_eq!(mm.totalreserve_pages(), mm.sysctl().totalreserve_pages);
    /// assert!(mm.totalreserve_pages() > 0);
    /// ```
    pub fn totalreserve_pages(&self) -> u64 {
        self.vm.totalreserve_pages
    }

    /// Write `vm.min_free_kbytes` (0..=INT_MAX): it becomes the user value that later
    /// recomputations keep, and the watermarks follow.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x10000);
    /// let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
    /// mm.set_min_free_kbytes(8192).unwrap();
    /// assert_eq!(mm.sysctl().user_min_free_kbytes, 8192);
    /// assert!(mm.set_min_free_kbytes(-1).is_err());
    /// ```
    #[doc(alias = "min_free_kbytes_sysctl_handler")]
    pub fn set_min_free_kbytes(&mut self, kbytes: i64) -> Result<(), SysctlError> {
        let v = check("min_free_kbytes", kbytes, 0, INT_MAX)?;
        self.vm.min_free_kbytes = v;
        self.vm.user_min_free_kbytes = v as i64;
        self.setup_per_zone_wmarks();
        Ok(())
    }

    /// Write `vm.watermark_scale_factor` (1..=3000) and recompute the watermarks.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// let gap = |mm: &Mm<NoMem>| {
    ///     let w = mm.node(NodeId(0)).unwrap().zone(1).unwrap().watermark;
    ///     w.low() - w.min()
    /// };
    /// let before = gap(&mm);
    /// mm.set_watermark_scale_factor(100).unwrap();
    /// assert!(gap(&mm) > before);
    /// assert!(mm.set_watermark_scale_factor(0).is_err());
    /// ```
    #[doc(alias = "watermark_scale_factor_sysctl_handler")]
    pub fn set_watermark_scale_factor(&mut self, factor: i64) -> Result<(), SysctlError> {
        self.vm.watermark_scale_factor = check("watermark_scale_factor", factor, 1, 3000)?;
        self.setup_per_zone_wmarks();
        Ok(())
    }

    /// Write `vm.percpu_pagelist_high_fraction`: 0, or at least
    /// `MIN_PERCPU_PAGELIST_HIGH_FRACTION` (8); the per-CPU lists are resized.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// mm.set_percpu_pagelist_high_fraction(8).unwrap();
    /// assert_eq!(mm.sysctl().percpu_pagelist_high_fraction, 8);
    /// assert!(mm.set_percpu_pagelist_high_fraction(4).is_err());
    /// mm.set_percpu_pagelist_high_fraction(0).unwrap();
    /// ```
    #[doc(alias = "percpu_pagelist_high_fraction_sysctl_handler")]
    pub fn set_percpu_pagelist_high_fraction(&mut self, fraction: i64) -> Result<(), SysctlError> {
        let v = check("percpu_pagelist_high_fraction", fraction, 0, INT_MAX)?;
        let min = crate::page_alloc::pcp::MIN_PERCPU_PAGELIST_HIGH_FRACTION;
        if v != 0 && v < min {
            return Err(SysctlError::OutOfRange {
                name: "percpu_pagelist_high_fraction",
                value: fraction,
                min: min as i64,
                max: INT_MAX,
            });
        }
        self.vm.percpu_pagelist_high_fraction = v;
        self.zone_pcp_update_all();
        Ok(())
    }

    /// Write `vm.watermark_boost_factor` (0..=INT_MAX); it only affects later boosts.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// use oxmm::sysctl::SysctlError;
    /// mm.set_watermark_boost_factor(0).unwrap();
    /// assert_eq!(mm.sysctl().watermark_boost_factor, 0);
    /// let e = mm.set_watermark_boost_factor(-1).unwrap_err();
    /// assert!(matches!(e, SysctlError::OutOfRange { value: -1, min: 0, .. }));
    /// ```
    pub fn set_watermark_boost_factor(&mut self, factor: i64) -> Result<(), SysctlError> {
        self.vm.watermark_boost_factor = check("watermark_boost_factor", factor, 0, INT_MAX)?;
        Ok(())
    }

    /// Write `vm.lowmem_reserve_ratio`: the first `ratios.len()` entries of the
    /// configured zones (in zone-index order); values below 1 become 0, as in Linux.
    /// Then `setup_per_zone_lowmem_reserve`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig, ThpMode};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{NodeId, PhysAddr, VirtAddr};
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (1 << 30) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x100000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x100000);
    /// # cfg.thp = ThpMode::Never;
    /// # let log = &mut oxmm::printk::NullLog;
    /// # let mut mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, log).unwrap();
    /// # let _ = (&mut mm, NodeId(0));
    /// use oxmm::sysctl::SysctlError;
    /// mm.set_lowmem_reserve_ratio(&[128]).unwrap();
    /// assert_eq!(mm.sysctl().lowmem_reserve_ratio[ZoneType::Dma as usize], 128);
    /// let zones = mm.node(NodeId(0)).unwrap().zones();
    /// assert_eq!(zones[0].lowmem_reserve[1], zones[1].managed_pages() / 128);
    /// let e = mm.set_lowmem_reserve_ratio(&[1; 6]).unwrap_err();
    /// assert!(matches!(e, SysctlError::TooManyValues { given: 6, max: 5, .. }));
    /// ```
    #[doc(alias = "lowmem_reserve_ratio_sysctl_handler")]
    pub fn set_lowmem_reserve_ratio(&mut self, ratios: &[i64]) -> Result<(), SysctlError> {
        let n = self.layout.len();
        if ratios.len() > n {
            return Err(SysctlError::TooManyValues {
                name: "lowmem_reserve_ratio",
                given: ratios.len(),
                max: n,
            });
        }
        for &r in ratios {
            check("lowmem_reserve_ratio", r, i32::MIN as i64, INT_MAX)?;
        }
        for (&r, t) in ratios.iter().zip(self.layout.zones()) {
            self.vm.lowmem_reserve_ratio[*t as usize] = if r < 1 { 0 } else { r as u64 };
        }
        self.setup_per_zone_lowmem_reserve();
        Ok(())
    }
}
