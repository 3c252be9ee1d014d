//! The whole machine's memory manager (Linux: the global state of mm/: `NODE_DATA()`,
//! `mem_section`, `totalram_pages`, `vm_total_pages`, ...), and its generic boot.
//!
//! [`Mm::boot`] runs, in Linux's order: `sparse_init` (memmap and section table from
//! memblock, in each node's memory), `free_area_init` (zone ranges, `ZONE_MOVABLE`,
//! nodes, zones, pageblock bitmaps, `memmap_init` with the holes),
//! `build_all_zonelists`, `memblock_free_all`, the `Memory:` line, and
//! `cma_init_reserved_areas`.

use crate::boot::mem_init::{print_highmem_lowmem, VirtLayout};
use crate::boot::zones::nid_index;
use crate::boot::{Arch, ArchZoneRanges, BootConfig, BootError, MovableInfo};
use crate::boot::{NodeInitRunner, SerialRunner};
use crate::memblock::Memblock;
use crate::memmap::MemMap;
use crate::mmzone::{MigrateType, Node, ZoneLayout, ZoneType};
#[cfg(feature = "debug_vm")]
use crate::page::Page;
use crate::platform::Platform;
use crate::printk::Log;
use crate::types::{NodeId, PageGeometry, MAX_NUMNODES};

/// How much of the machine a boot brings to life.
///
/// ```
/// use oxmm::mm::BootMode;
/// assert_ne!(BootMode::Full, BootMode::DescribeOnly);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootMode {
    /// Write every page descriptor and fill the free lists.
    Full,
    /// Compute and print everything, reserve the same memblock memory, but write no
    /// descriptor and fill no list (free counts computed arithmetically). For checking
    /// huge real machines' boot logs cheaply.
    DescribeOnly,
}

/// The booted memory manager of one machine.
///
/// ```
/// use oxmm::boot::{Arch, BootConfig, ZoneLimits};
/// use oxmm::memblock::Memblock;
/// use oxmm::mm::{BootMode, Mm};
/// use oxmm::mmzone::ZoneType;
/// use oxmm::platform::Platform;
/// use oxmm::types::{PhysAddr, VirtAddr};
/// struct NoMem;
/// // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// // buffer, as large as the machine and used by nothing else.
/// unsafe impl Platform for NoMem {
///     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
///     fn cpu_id(&self) -> usize { 0 }
///     fn nr_cpus(&self) -> usize { 1 }
///     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
/// }
/// let mut mb = Memblock::new();
/// mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
/// let mut cfg = BootConfig::new(Arch::X86_64);
/// cfg.zone_limits.set(ZoneType::Dma, 0x1000);
/// cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
/// cfg.zone_limits.set(ZoneType::Normal, 0x10000);
/// let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
/// let n = mm.nodes().next().unwrap();
/// assert_eq!(n.present_pages(), 65535);
/// ```
pub struct Mm<P: Platform> {
    pub(crate) platform: P,
    pub(crate) memblock: Memblock,
    pub(crate) geo: PageGeometry,
    pub(crate) layout: ZoneLayout,
    pub(crate) arch: Arch,
    pub(crate) mode: BootMode,
    pub(crate) nodes: [Node; MAX_NUMNODES],
    pub(crate) online: [bool; MAX_NUMNODES],
    pub(crate) memmap: MemMap,
    pub(crate) ranges: ArchZoneRanges,
    pub(crate) movable: MovableInfo,
    pub(crate) policy_zone: usize,
    pub(crate) mobility_disabled: bool,
    /// The node every CPU's `numa_node_id` names when there is only one
    /// (`u16::MAX` otherwise), so the hot paths need not walk the nodes.
    pub(crate) single_cpu_node: u16,
    /// The zone id (`page_zone_id`: node and zone index, the descriptor flags' top
    /// bits) of the zone `GFP_KERNEL` allocations on the first node go to first:
    /// the free path's guess at `page_zone` (`u16::MAX`: none).
    pub(crate) hot_zone_id: u16,
    /// The zone `hot_zone_id` names, reached with one add (node 0's first zone while
    /// there is none: the keys below never match then).
    pub(crate) hot_zone_off: crate::mmzone::HotZone,
    /// `nid << 8 | highest_zoneidx` of the request whose preferred zone is the hot
    /// zone: GFP_KERNEL's on the first online node (`u32::MAX`: none).
    pub(crate) hot_request: u32,
    /// `hot_request` while `init_on_alloc` is off, `u32::MAX` while it is on (see
    /// `Mm::update_hot_keys`): the allocation fast path's guess (see
    /// `Mm::first_zone`), which then also tells it that only `__GFP_ZERO` zeroes.
    pub(crate) hot_alloc_key: core::sync::atomic::AtomicU32,
    /// `hot_zone_id` while `init_on_free` is off, `u32::MAX` while it is on: the free
    /// path's guess at `page_zone` (see `Mm::page_zone_of_flags`), which then also
    /// tells it that freed pages need no zeroing.
    pub(crate) hot_free_key: core::sync::atomic::AtomicU32,
    /// The hot zone's per-CPU lists (a second handle to `zone.pcp`, see
    /// `Mm::set_hot_zone_copies`): the allocation fast path reaches its CPU's slot from the
    /// `Mm` without first reading the zone.
    pub(crate) hot_pcp: crate::percpu::PerCpu<crate::page_alloc::pcp::PerCpuPages>,
    /// A copy of the hot zone's `pageblocks` (see `Mm::set_hot_zone_copies`): the free path
    /// reads a page's pageblock type starting from the `Mm`.
    pub(crate) hot_pageblocks: crate::mmzone::PageblockLookup,
    /// Each online node's `first_zoneref` as zones reached with one add: entry
    /// `nid * FIRST_ZONEREFS + highest_zoneidx` (see [`crate::mmzone::ZoneOffset`]).
    pub(crate) first_zone_off:
        [crate::mmzone::ZoneOffset; MAX_NUMNODES * crate::mmzone::FIRST_ZONEREFS],
    pub(crate) vm_total_pages: u64,
    pub(crate) totalcma: u64,
    pub(crate) max_pfn: u64,
    /// The watermark tunables (`vm.min_free_kbytes`, ...).
    pub(crate) vm: crate::sysctl::VmSysctl,
    /// The slow path's kswapd/reclaim/compaction/OOM hooks.
    pub(crate) hooks: &'static dyn crate::page_alloc::AllocHooks,
    /// Pages the per-CPU areas took from the buddy allocator (`pcpu_nr_pages`).
    pub(crate) pcpu_pages: u64,
    /// The event counters and writeback tunables (`vm_event_states`, `vm_dirty_ratio`...).
    pub(crate) vmstat: crate::vmstat::VmGlobal,
    /// The `init_on_alloc` / `init_on_free` keys.
    pub(crate) meminit: crate::page_alloc::meminit::MemInitKeys,
    /// `TAINT_BAD_PAGE`, set by the first bad-page report.
    pub(crate) tainted_bad_page: core::sync::atomic::AtomicBool,
}

impl<P: Platform> Mm<P> {
    /// Boot generic mm from an architecture-populated `memblock`: see the module docs.
    /// Log lines go to `log` in Linux's format for `cfg.log_format`. The per-node
    /// initialisation runs serially: see [`Mm::boot_with`].
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
    /// let mut mb = Memblock::new();
    /// mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// let mut cfg = BootConfig::new(Arch::X86_64);
    /// cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, log).unwrap();
    /// assert_eq!(mm.max_pfn(), 0x4000);
    /// assert!(mm.memmap().page(0x2000).unwrap().is_buddy()); // free memory on the free lists
    /// ```
    pub fn boot(
        platform: P,
        memblock: Memblock,
        cfg: &BootConfig<'_>,
        mode: BootMode,
        log: &mut dyn Log,
    ) -> Result<Self, BootError> {
        Self::boot_with(platform, memblock, cfg, mode, log, &SerialRunner)
    }

    /// [`Mm::boot`], with the descriptor writes of `memmap_init` and the freeing of
    /// `memblock_free_all` cut into per-node [`NodeInitJob`](crate::boot::NodeInitJob)s handed to `runner`, which
    /// may run them concurrently (Linux: deferred struct page init's per-node threads).
    /// Everything printed is computed before the jobs run, so the log is the same for
    /// every runner; so is the resulting state.
    ///
    /// ```
    /// use oxmm::boot::{Arch, BootConfig, NodeInitJob, NodeInitRunner};
    /// use oxmm::memblock::Memblock;
    /// use oxmm::mm::{BootMode, Mm};
    /// use oxmm::mmzone::ZoneType;
    /// use oxmm::types::PhysAddr;
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// struct Threads;
    /// impl NodeInitRunner for Threads {
    ///     fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
    ///         std::thread::scope(|s| {
    ///             for j in jobs.iter_mut() {
    ///                 s.spawn(move || j.run());
    ///             }
    ///         });
    ///     }
    /// }
    /// let mut mb = Memblock::new();
    /// mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// let mut cfg = BootConfig::new(Arch::X86_64);
    /// cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
    /// cfg.zone_limits.set(ZoneType::Normal, 0x10000);
    /// let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot_with(NoMem, mb, &cfg, BootMode::DescribeOnly, log, &Threads).unwrap();
    /// assert!(mm.nr_free_pages() > 0);
    /// ```
    pub fn boot_with(
        platform: P,
        memblock: Memblock,
        cfg: &BootConfig<'_>,
        mode: BootMode,
        log: &mut dyn Log,
        runner: &dyn NodeInitRunner,
    ) -> Result<Self, BootError> {
        let mut slot = core::mem::MaybeUninit::uninit();
        Self::boot_in_place(&mut slot, platform, memblock, cfg, mode, log, runner)?;
        // SAFETY: `boot_in_place` returned Ok, so it initialised the whole slot.
        Ok(unsafe { slot.assume_init() })
    }

    /// [`Mm::boot_with`] building the machine directly in `slot` (a `Box`, a static):
    /// an `Mm` is a few hundred KiB (per-node and per-zone state for `MAX_NUMNODES`
    /// nodes), too big for small stacks such as a kernel's. On error the slot is left
    /// uninitialised (everything moved in was dropped).
    ///
    /// ```
    /// use oxmm::boot::{Arch, BootConfig, SerialRunner};
    /// use oxmm::memblock::Memblock;
    /// use oxmm::mm::{BootMode, Mm};
    /// use oxmm::mmzone::ZoneType;
    /// use oxmm::types::PhysAddr;
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// let mut mb = Memblock::new();
    /// mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// let mut cfg = BootConfig::new(Arch::X86_64);
    /// cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
    /// cfg.zone_limits.set(ZoneType::Normal, 0x10000);
    /// let mut slot = Box::new(core::mem::MaybeUninit::uninit());
    /// let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot_in_place(&mut slot, NoMem, mb, &cfg, BootMode::DescribeOnly, log, &SerialRunner)
    ///     .unwrap();
    /// assert!(mm.nr_free_pages() > 0);
    /// ```
    pub fn boot_in_place<'s>(
        slot: &'s mut core::mem::MaybeUninit<Self>,
        platform: P,
        memblock: Memblock,
        cfg: &BootConfig<'_>,
        mode: BootMode,
        log: &mut dyn Log,
        runner: &dyn NodeInitRunner,
    ) -> Result<&'s mut Self, BootError> {
        let geo = cfg.geometry;
        let layout = cfg.zone_layout;
        let p = slot.as_mut_ptr();
        // SAFETY: `p` points to the caller's slot, valid for writes of an `Mm`; every
        // field is written exactly once through raw field pointers (no reference to the
        // uninitialised whole is formed), the node array one element at a time so that
        // no node table ever sits on the stack.
        let mm = unsafe {
            use core::ptr::addr_of_mut;
            addr_of_mut!((*p).platform).write(platform);
            addr_of_mut!((*p).memblock).write(memblock);
            addr_of_mut!((*p).geo).write(geo);
            addr_of_mut!((*p).layout).write(layout);
            addr_of_mut!((*p).arch).write(cfg.arch);
            addr_of_mut!((*p).mode).write(mode);
            let nodes = addr_of_mut!((*p).nodes) as *mut Node;
            for i in 0..MAX_NUMNODES {
                nodes.add(i).write(Node::new(NodeId(i as u16), layout));
            }
            addr_of_mut!((*p).online).write([false; MAX_NUMNODES]);
            addr_of_mut!((*p).memmap).write(MemMap::empty(geo));
            addr_of_mut!((*p).ranges).write(ArchZoneRanges {
                lowest: [0; crate::mmzone::MAX_NR_ZONES],
                highest: [0; crate::mmzone::MAX_NR_ZONES],
            });
            addr_of_mut!((*p).movable).write(MovableInfo::default());
            addr_of_mut!((*p).policy_zone).write(0);
            addr_of_mut!((*p).mobility_disabled).write(false);
            addr_of_mut!((*p).single_cpu_node).write(u16::MAX);
            addr_of_mut!((*p).hot_zone_id).write(u16::MAX);
            addr_of_mut!((*p).hot_zone_off).write(crate::mmzone::HotZone::FIRST);
            addr_of_mut!((*p).hot_request).write(u32::MAX);
            addr_of_mut!((*p).hot_alloc_key).write(core::sync::atomic::AtomicU32::new(u32::MAX));
            addr_of_mut!((*p).hot_free_key).write(core::sync::atomic::AtomicU32::new(u32::MAX));
            addr_of_mut!((*p).hot_pcp).write(crate::percpu::PerCpu::NONE);
            addr_of_mut!((*p).hot_pageblocks).write(crate::mmzone::PageblockLookup::NONE);
            addr_of_mut!((*p).first_zone_off).write(
                [crate::mmzone::ZoneOffset::NONE; MAX_NUMNODES * crate::mmzone::FIRST_ZONEREFS],
            );
            addr_of_mut!((*p).vm_total_pages).write(0);
            addr_of_mut!((*p).totalcma).write(0);
            addr_of_mut!((*p).max_pfn).write(0);
            addr_of_mut!((*p).vm).write(crate::sysctl::VmSysctl::new(cfg.thp));
            addr_of_mut!((*p).hooks).write(&crate::page_alloc::NoHooks);
            addr_of_mut!((*p).pcpu_pages).write(0);
            addr_of_mut!((*p).vmstat).write(crate::vmstat::VmGlobal::new());
            addr_of_mut!((*p).meminit).write(crate::page_alloc::meminit::MemInitKeys::new());
            addr_of_mut!((*p).tainted_bad_page).write(core::sync::atomic::AtomicBool::new(false));
            &mut *p
        };
        if let Err(e) = mm.boot_steps(cfg, mode, log, runner) {
            // SAFETY: the slot is fully initialised; drop it and leave it uninitialised.
            unsafe { core::ptr::drop_in_place(p) };
            return Err(e);
        }
        Ok(mm)
    }

    /// The boot sequence proper, on an initialised but empty machine.
    fn boot_steps(
        &mut self,
        cfg: &BootConfig<'_>,
        mode: BootMode,
        log: &mut dyn Log,
        runner: &dyn NodeInitRunner,
    ) -> Result<(), BootError> {
        let geo = cfg.geometry;
        let mm = self;
        mm.memblock.set_page_geometry(geo);
        mm.setup_nodes(cfg)?;
        if cfg.arch == Arch::Ia32 {
            // initmem_init (setup_arch): lowmem ends where ZONE_NORMAL does.
            let max_low = mm.max_low_pfn(cfg);
            print_highmem_lowmem(mm.max_pfn, max_low, geo.shift(), log);
        }
        if mode == BootMode::Full {
            let base = mm.platform.direct_map_base();
            if base.is_null() {
                return Err(BootError::NoDirectMap);
            }
            let align = 1u64 << geo.shift();
            if base as u64 % align != 0 {
                return Err(BootError::DirectMapMisaligned {
                    base: base as usize,
                    align,
                });
            }
        }
        mm.sparse_init(cfg)?;
        mm.free_area_init(cfg, log)?;
        mm.build_all_zonelists(cfg, log);
        mm.run_node_init(runner);
        mm.mem_init_print_info(cfg, log);
        // memmap_boot_pages_add: Linux's struct page size per present section.
        let page_desc = cfg
            .struct_page_size
            .unwrap_or_else(|| crate::boot::linux_struct_page_bytes(cfg.arch));
        let per_section = (geo.pages_per_section() * page_desc).div_ceil(geo.page_size());
        mm.vmstat.memmap_boot_pages = mm.memmap.nr_present_sections() as u64 * per_section;
        mm.vmstat.vmalloc_total = match (cfg.arch, cfg.ia32_layout) {
            (Arch::X86_64, _) => crate::vmstat::VMALLOC_TOTAL_X86_64,
            (Arch::Ia32, Some(build)) => {
                let l = VirtLayout::new(&build, &cfg.kernel, mm.max_low_pfn(cfg));
                l.print(log);
                l.vmalloc.1 - l.vmalloc.0
            }
            // Other architectures' vmalloc ranges are not modelled.
            _ => 0,
        };
        mm.cma_init_reserved_areas(cfg)?;
        // __free_pages_core counts PGFREE for every page boot hands to the buddy
        // allocator: exactly the managed pages.
        let boot_freed = mm.totalram_pages();
        mm.vmstat
            .events
            .count(crate::vmstat::VmEventItem::Pgfree, boot_freed);
        // start_kernel: the per-CPU lists, once the buddy allocator can hold them.
        mm.setup_per_cpu_pageset()?;
        // Initcalls after the CMA pages joined the managed counts.
        mm.init_per_zone_wmark_min(log);
        mm.hugepage_init(log);
        Ok(())
    }

    fn setup_nodes(&mut self, cfg: &BootConfig<'_>) -> Result<(), BootError> {
        if cfg.nodes.is_empty() {
            self.online[0] = true;
            self.nodes[0].nr_cpus = cfg.nr_cpus;
        }
        for n in cfg.nodes {
            let i = n.nid.0 as usize;
            if i >= MAX_NUMNODES {
                return Err(BootError::NodeOutOfRange { nid: n.nid });
            }
            if self.online[i] {
                return Err(BootError::DuplicateNode { nid: n.nid });
            }
            self.online[i] = true;
            self.nodes[i].nr_cpus = n.nr_cpus;
        }
        let mut any = false;
        for r in self.memblock.memory().regions() {
            let i = nid_index(r.nid);
            if i >= MAX_NUMNODES {
                return Err(BootError::NodeOutOfRange {
                    nid: NodeId(i as u16),
                });
            }
            if !self.online[i] {
                return Err(BootError::UnknownNode {
                    nid: NodeId(i as u16),
                });
            }
        }
        for (_, e, _) in self.memblock.mem_pfn_ranges(self.geo, None) {
            any = true;
            self.max_pfn = self.max_pfn.max(e);
        }
        if !any {
            return Err(BootError::NoMemory);
        }
        Ok(())
    }

    /// `max_low_pfn`: the end of directly mapped memory, i.e. the `ZONE_NORMAL` limit
    /// (capped by `max_pfn`).
    pub(crate) fn max_low_pfn(&self, cfg: &BootConfig<'_>) -> u64 {
        let limit = cfg.zone_limits.get(ZoneType::Normal);
        limit.unwrap_or(self.max_pfn).min(self.max_pfn)
    }

    pub(crate) fn section_shift(&self) -> u32 {
        self.geo.pages_per_section().trailing_zeros()
    }
}

impl<P: Platform> Mm<P> {
    /// `get_pfnblock_migratetype` for a pfn of zone `zi` of node `nid` (Full mode).
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
    /// // 64 MiB from pfn 1: ZONE_DMA below 16 MiB, ZONE_DMA32 above, no ZONE_NORMAL.
    ///
    /// use oxmm::mmzone::MigrateType;
    /// use oxmm::types::NodeId;
    /// // Boot frees memory in movable pageblocks.
    /// let mt = mm.pageblock_migratetype(NodeId(0), 1, 0x2000);
    /// assert_eq!(mt, Some(MigrateType::Movable));
    /// assert_eq!(mm.pageblock_migratetype(NodeId(0), 1, 0x800), None); // below the zone
    /// ```
    pub fn pageblock_migratetype(
        &self,
        nid: NodeId,
        zone_idx: usize,
        pfn: u64,
    ) -> Option<MigrateType> {
        let z = self.nodes.get(nid.0 as usize)?.zones().get(zone_idx)?;
        let pb_order = self.geo.pageblock_order();
        let block = (pfn >> pb_order).checked_sub(z.start_pfn >> pb_order)?;
        let bits = self
            .memmap
            .pageblock_bits(z.usemap, z.usemap_bytes, block)?;
        MigrateType::from_u8(bits & 0x7)
    }
}

impl<P: Platform> Mm<P> {
    /// Online nodes in id order (`for_each_online_node`).
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
    /// // No NUMA description: node 0 holds everything.
    /// let ids: Vec<NodeId> = mm.nodes().map(|n| n.nid()).collect();
    /// assert_eq!(ids, [NodeId(0)]);
    /// let managed: u64 = mm.nodes().map(|n| n.managed_pages()).sum();
    /// assert_eq!(managed, mm.totalram_pages());
    /// ```
    pub fn nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.nodes
            .iter()
            .filter(|n| self.online[n.nid().0 as usize])
    }

    /// `NODE_DATA(nid)` of an online node.
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
    /// assert_eq!(mm.node(NodeId(0)).unwrap().nid(), NodeId(0));
    /// assert!(mm.node(NodeId(1)).is_none()); // offline
    /// assert!(mm.node(NodeId(64)).is_none()); // beyond MAX_NUMNODES
    /// ```
    #[doc(alias = "NODE_DATA")]
    pub fn node(&self, nid: NodeId) -> Option<&Node> {
        let i = nid.0 as usize;
        (i < MAX_NUMNODES && self.online[i]).then(|| &self.nodes[i])
    }

    /// The fallback zonelist of `nid` (`ZONELIST_FALLBACK`): nodes in fallback order,
    /// within each its populated zones from high to low.
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
    /// use oxmm::boot::CoreSize;
    /// use oxmm::types::NodeId;
    /// // ZONE_DMA, ZONE_DMA32 and, with movablecore=16M, ZONE_MOVABLE (index 3).
    /// cfg.movablecore = Some(CoreSize::Bytes(16 << 20));
    /// # let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, log).unwrap();
    /// let zl: Vec<usize> = mm.zonelist(NodeId(0)).map(|z| z.zone_idx).collect();
    /// assert_eq!(zl, [3, 1, 0]);
    /// assert_eq!(mm.zonelist(NodeId(1)).count(), 0); // offline node
    /// ```
    #[doc(alias = "node_zonelist")]
    pub fn zonelist(
        &self,
        nid: NodeId,
    ) -> impl Iterator<Item = crate::mmzone::Zoneref> + Clone + '_ {
        ZonelistIter {
            nodes: &self.nodes,
            order: self
                .node(nid)
                .map_or(&[][..], |n| n.fallback_order_ids())
                .iter(),
            cur: None,
            next_zone: 0,
        }
    }

    /// memblock as boot left it (kept, like `CONFIG_ARCH_KEEP_MEMBLOCK`).
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
    /// // All of memory, and the memmap reserved.
    /// assert_eq!(mm.memblock().memory().total_size(), (64 << 20) - 0x1000);
    /// let memmap = mm.memmap().rank_entry(0).unwrap().memmap;
    /// assert!(mm.memblock().is_region_reserved(PhysAddr(memmap), 1));
    /// ```
    pub fn memblock(&self) -> &Memblock {
        &self.memblock
    }

    /// The page geometry.
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
    /// use oxmm::types::Pfn;
    /// assert_eq!(mm.geometry(), cfg.geometry);
    /// assert_eq!(mm.geometry().pfn_to_phys(Pfn(mm.max_pfn())), PhysAddr(64 << 20));
    /// ```
    pub fn geometry(&self) -> PageGeometry {
        self.geo
    }

    /// The zone layout of the architecture.
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
    /// use oxmm::mmzone::ZoneLayout;
    /// use oxmm::types::NodeId;
    /// assert_eq!(mm.zone_layout(), ZoneLayout::X86_64);
    /// let dma32 = mm.zone_layout().index_of(ZoneType::Dma32).unwrap();
    /// assert!(mm.node(NodeId(0)).unwrap().zones()[dma32].is_populated());
    /// ```
    pub fn zone_layout(&self) -> ZoneLayout {
        self.layout
    }

    /// The platform.
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
    /// use oxmm::platform::Platform;
    /// use oxmm::types::Pfn;
    /// // The direct map is the platform's: pfn 0 at its base.
    /// assert_eq!(mm.page_address(Pfn(0)).0, mm.platform().direct_map_base() as u64);
    /// assert_eq!(mm.platform().nr_cpus(), 1);
    /// ```
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// How the machine was booted.
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
    /// assert_eq!(mm.mode(), BootMode::Full);
    /// assert!(mm.memmap().is_accessible()); // descriptors written
    /// ```
    pub fn mode(&self) -> BootMode {
        self.mode
    }

    /// The memory map (descriptors, pfn ↔ index).
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
    /// let m = mm.memmap();
    /// let p = m.page(0x2000).unwrap();
    /// assert_eq!(p.zone_idx(), mm.zone_layout().index_of(ZoneType::Dma32).unwrap());
    /// assert_eq!(m.pfn_of(m.index_of(0x2000).unwrap()), Some(0x2000));
    /// ```
    pub fn memmap(&self) -> &MemMap {
        &self.memmap
    }

    /// The memory map, for writing.
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
    /// # let mut mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::gfp::Gfp;
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// // With the machine borrowed exclusively, nothing else touches the descriptors.
    /// mm.memmap_mut().page(pfn.0).unwrap().set_refcount(2);
    /// assert_eq!(mm.memmap().page(pfn.0).unwrap().refcount(), 2);
    /// ```
    pub fn memmap_mut(&mut self) -> &mut MemMap {
        &mut self.memmap
    }

    /// `vm_total_pages` as `build_all_zonelists` computed it.
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
    /// let present: u64 = mm.nodes().map(|n| n.present_pages()).sum();
    /// assert!(mm.vm_total_pages() > 0 && mm.vm_total_pages() <= present);
    /// ```
    pub fn vm_total_pages(&self) -> u64 {
        self.vm_total_pages
    }

    /// `page_group_by_mobility_disabled`.
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
    /// // 64 MiB: enough pageblocks to group pages by mobility.
    /// assert!(!mm.mobility_disabled());
    /// assert!(mm.vm_total_pages() > 6 * mm.geometry().pageblock_nr_pages());
    /// ```
    pub fn mobility_disabled(&self) -> bool {
        self.mobility_disabled
    }

    /// `policy_zone` (a zone index).
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
    /// // 64 MiB from pfn 1: ZONE_DMA below 16 MiB, ZONE_DMA32 above, no ZONE_NORMAL.
    ///
    /// // The highest populated zone.
    /// assert_eq!(mm.policy_zone(), mm.zone_layout().index_of(ZoneType::Dma32).unwrap());
    /// ```
    pub fn policy_zone(&self) -> usize {
        self.policy_zone
    }

    /// `totalcma_pages`.
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
    /// use oxmm::boot::CmaArea;
    /// use oxmm::mmzone::MigrateType;
    /// use oxmm::types::NodeId;
    /// // A 2 MiB CMA area at 32 MiB, reserved by the architecture.
    /// let cma = [CmaArea { name: "reserved", base: PhysAddr(32 << 20), size: 2 << 20 }];
    /// mb.reserve(cma[0].base, cma[0].size).unwrap();
    /// cfg.cma = &cma;
    /// # let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, log).unwrap();
    /// assert_eq!(mm.totalcma_pages(), 512);
    /// let mt = mm.pageblock_migratetype(NodeId(0), 1, (32 << 20) >> 12);
    /// assert_eq!(mt, Some(MigrateType::Cma));
    /// ```
    pub fn totalcma_pages(&self) -> u64 {
        self.totalcma
    }

    /// `totalram_pages`: managed pages of all zones.
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
    /// let present: u64 = mm.nodes().map(|n| n.present_pages()).sum();
    /// // The 1 MiB memmap and a page of boot tables stay reserved.
    /// assert_eq!(present - mm.totalram_pages(), 256 + 1);
    /// assert!(mm.nr_free_pages() <= mm.totalram_pages());
    /// ```
    pub fn totalram_pages(&self) -> u64 {
        self.nodes().map(|n| n.managed_pages()).sum()
    }

    /// `nr_free_pages`: `NR_FREE_PAGES` over all zones.
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
    /// use oxmm::gfp::Gfp;
    /// let before = mm.nr_free_pages();
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 4).unwrap(); // above the per-CPU lists' orders
    /// assert_eq!(mm.nr_free_pages(), before - 16);
    /// mm.free_pages(pfn, 4).unwrap();
    /// assert_eq!(mm.nr_free_pages(), before);
    /// ```
    pub fn nr_free_pages(&self) -> u64 {
        self.nodes()
            .flat_map(|n| n.zones().iter())
            .map(|z| z.free_pages())
            .sum()
    }

    /// `max_pfn`.
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
    /// // Memory ends at 64 MiB.
    /// assert_eq!(mm.max_pfn(), (64 << 20) >> 12);
    /// assert!(mm.memmap().page(mm.max_pfn() - 1).is_some());
    /// ```
    pub fn max_pfn(&self) -> u64 {
        self.max_pfn
    }

    /// `zone_movable_pfn[]` and friends.
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
    /// use oxmm::boot::CoreSize;
    /// cfg.movablecore = Some(CoreSize::Bytes(16 << 20));
    /// # let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, log).unwrap();
    /// let mv = mm.movable_info();
    /// // ZONE_MOVABLE takes the top 16 MiB of node 0, carved out of ZONE_DMA32.
    /// assert_eq!(mv.zone_movable_pfn[0], mm.max_pfn() - ((16 << 20) >> 12));
    /// assert_eq!(mv.movable_zone, mm.zone_layout().index_of(ZoneType::Dma32).unwrap());
    /// ```
    pub fn movable_info(&self) -> &MovableInfo {
        &self.movable
    }

    /// `arch_zone_{lowest,highest}_possible_pfn`.
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
    /// let r = mm.arch_zone_ranges();
    /// // ZONE_DMA from the first pfn of memory to 16 MiB, ZONE_DMA32 to 64 MiB.
    /// assert_eq!((r.lowest[0], r.highest[0]), (1, 0x1000));
    /// assert_eq!((r.lowest[1], r.highest[1]), (0x1000, mm.max_pfn()));
    /// assert_eq!(r.lowest[2], r.highest[2]); // ZONE_NORMAL empty
    /// ```
    pub fn arch_zone_ranges(&self) -> &ArchZoneRanges {
        &self.ranges
    }
}

/// The first inconsistency [`Mm::check`] found.
///
/// ```
/// let e = oxmm::mm::CheckError { what: "bad order", nid: 0, zone_idx: 1, order: 3, pfn: 0x100 };
/// assert!(e.to_string().contains("pfn 0x100"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// What is wrong.
    pub what: &'static str,
    /// Node.
    pub nid: usize,
    /// Zone index.
    pub zone_idx: usize,
    /// Order involved (or 0).
    pub order: u32,
    /// Pfn involved (or 0).
    pub pfn: u64,
}

impl core::fmt::Display for CheckError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} (node {}, zone index {}, order {}, pfn {:#x})",
            self.what, self.nid, self.zone_idx, self.order, self.pfn
        )
    }
}

#[cfg(feature = "debug_vm")]
impl<P: Platform> Mm<P> {
    /// The per-CPU lists of zone `z` (the zone lock held by the caller).
    fn check_pcp(&self, nid: usize, z: &crate::mmzone::Zone) -> Result<(), CheckError> {
        use crate::page_alloc::pcp::{pindex_to_order, NR_PCP_LISTS};
        let thp = self.pcp_thp_order();
        for (cpu, pcp) in z.pcp.iter().enumerate() {
            let st = pcp.lock.lock_cpu(&self.platform);
            let mut pages = 0i64;
            for pindex in 0..NR_PCP_LISTS {
                let o = pindex_to_order(pindex, thp);
                let err = |what, pfn| CheckError {
                    what,
                    nid,
                    zone_idx: z.idx(),
                    order: o,
                    pfn,
                };
                let mut prev = Page::NIL;
                let mut cur = st.lists[pindex].head();
                let mut n = 0u64;
                while cur != Page::NIL {
                    let pfn = self
                        .memmap
                        .pfn_of(cur)
                        .ok_or(err("pcp link to no page", 0))?;
                    let p = self
                        .memmap
                        .page_by_index(cur)
                        .ok_or(err("pcp link to no page", pfn))?;
                    if st.lists[pindex].prev_of(cur, p) != prev {
                        return Err(err("pcp prev link does not match", pfn));
                    }
                    if p.is_buddy() || p.refcount() != 0 {
                        return Err(err("pcp page marked buddy or referenced", pfn));
                    }
                    if p.private() != 0 {
                        return Err(err("pcp page with private set", pfn));
                    }
                    if p.zone_idx() != z.idx() || p.nid() as usize != nid {
                        return Err(err("page on another zone's pcp list", pfn));
                    }
                    if pfn & ((1 << o) - 1) != 0 || !z.spans_pfn(pfn) {
                        return Err(err("misaligned or out-of-zone pcp block", pfn));
                    }
                    n += 1;
                    if n > z.spanned_pages() {
                        return Err(err("pcp list loops", pfn));
                    }
                    prev = cur;
                    cur = p.next();
                }
                if prev != st.lists[pindex].tail() {
                    return Err(err("pcp list tail does not match the last entry", 0));
                }
                pages += (n << o) as i64;
            }
            if pages != st.count as i64 {
                return Err(CheckError {
                    what: "pcp count differs from its lists",
                    nid,
                    zone_idx: z.idx(),
                    order: 0,
                    pfn: cpu as u64,
                });
            }
        }
        Ok(())
    }

    /// `CONFIG_DEBUG_VM`-style invariant check: every free list is well linked, each entry
    /// is a buddy head of the list's order, zone and pageblock type, `nr_free` and the
    /// free-page counters match the lists, no buddy head is off-list, and every pageblock
    /// type is valid; every per-CPU list entry is an allocated-looking page (no buddy
    /// mark, no reference) of the zone, aligned to the list's order, and each CPU's
    /// `count` matches its lists. Only a Full boot has lists to walk; DescribeOnly checks
    /// counters. Each zone is checked under its lock and its CPUs' locks, so the check
    /// may run while other threads allocate.
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
    /// use oxmm::gfp::Gfp;
    /// mm.check().unwrap();
    /// // An allocated page marked as a free block is on no free list.
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// mm.memmap().page(pfn.0).unwrap().set_buddy(0);
    /// assert_eq!(mm.check().unwrap_err().what, "PageBuddy pages not on any free list");
    /// ```
    pub fn check(&self) -> Result<(), CheckError> {
        let full = self.mode == BootMode::Full;
        let mut heads_on_lists = 0u64;
        for node in self.nodes() {
            let nid = node.nid().0 as usize;
            for z in node.zones() {
                let err = |what, order, pfn| CheckError {
                    what,
                    nid,
                    zone_idx: z.idx(),
                    order,
                    pfn,
                };
                let _zone_lock = z.lock.lock();
                self.check_pcp(nid, z)?;
                let mut free = 0u64;
                let mut free_cma = 0u64;
                let mut free_highatomic = 0u64;
                for (o, area) in z.free_area.iter().enumerate() {
                    let o = o as u32;
                    let mut blocks = 0u64;
                    for (mt, list) in area.free_list.iter().enumerate() {
                        if !full {
                            continue;
                        }
                        let mut prev = Page::NIL;
                        let mut cur = list.head();
                        let mut n = 0u64;
                        while cur != Page::NIL {
                            let pfn =
                                self.memmap
                                    .pfn_of(cur)
                                    .ok_or(err("link to no page", o, 0))?;
                            let p = self.memmap.page_by_index(cur).ok_or(err(
                                "link to no page",
                                o,
                                pfn,
                            ))?;
                            if list.prev_of(cur, p) != prev {
                                return Err(err("prev link does not match", o, pfn));
                            }
                            if !p.is_buddy() {
                                return Err(err("page on free list without PageBuddy", o, pfn));
                            }
                            if p.buddy_order() != o as u64 {
                                return Err(err(
                                    "buddy order differs from the list's order",
                                    o,
                                    pfn,
                                ));
                            }
                            if p.zone_idx() != z.idx() || p.nid() as usize != nid {
                                return Err(err("page on another zone's free list", o, pfn));
                            }
                            if pfn & ((1 << o) - 1) != 0 || !z.spans_pfn(pfn) {
                                return Err(err("misaligned or out-of-zone free block", o, pfn));
                            }
                            let pmt = self.pageblock_migratetype(node.nid(), z.idx(), pfn);
                            if pmt.map(|m| m as usize) != Some(mt) {
                                return Err(err(
                                    "free block's pageblock type differs from its list",
                                    o,
                                    pfn,
                                ));
                            }
                            n += 1;
                            if n > z.spanned_pages() {
                                return Err(err("free list loops", o, pfn));
                            }
                            prev = cur;
                            cur = p.next();
                        }
                        if prev != list.tail() {
                            return Err(err("list tail does not match the last entry", o, 0));
                        }
                        blocks += n;
                        if mt != MigrateType::Isolate as usize {
                            free += n << o;
                        }
                        if mt == MigrateType::Cma as usize {
                            free_cma += n << o;
                        }
                        if mt == MigrateType::HighAtomic as usize {
                            free_highatomic += n << o;
                        }
                    }
                    if full && blocks != area.nr_free() {
                        return Err(err("nr_free differs from the lists", o, blocks));
                    }
                    heads_on_lists += blocks;
                }
                if full && (free != z.free_pages() || free_cma != z.free_cma_pages()) {
                    return Err(err("NR_FREE_PAGES differs from the lists", 0, free));
                }
                if full && free_highatomic != z.nr_free_highatomic() {
                    return Err(err(
                        "nr_free_highatomic differs from the lists",
                        0,
                        free_highatomic,
                    ));
                }
                if z.free_pages() > z.managed_pages()
                    || z.managed_pages() > z.present_pages() + z.cma_pages()
                {
                    return Err(err(
                        "free > managed or managed > present",
                        0,
                        z.managed_pages(),
                    ));
                }
                if full && z.spanned_pages() != 0 {
                    let pb = self.geo.pageblock_nr_pages();
                    let mut pfn = z.start_pfn() - z.start_pfn() % pb;
                    let mut isolated = 0u64;
                    while pfn < z.end_pfn() {
                        match self.pageblock_migratetype(node.nid(), z.idx(), pfn) {
                            None => return Err(err("invalid pageblock type", 0, pfn)),
                            Some(MigrateType::Isolate) => isolated += 1,
                            Some(_) => {}
                        }
                        pfn += pb;
                    }
                    if isolated != z.nr_isolate_pageblock() {
                        return Err(err(
                            "nr_isolate_pageblock differs from the pageblock types",
                            0,
                            isolated,
                        ));
                    }
                }
            }
        }
        if full {
            // Every PageBuddy head must be on a list.
            let mut heads = 0u64;
            let pps = self.geo.pages_per_section();
            for rank in 0..self.memmap.nr_present_sections() {
                let base = rank as u64 * pps;
                for i in 0..pps {
                    if let Some(p) = self.memmap.page_by_index((base + i) as u32) {
                        heads += p.is_buddy() as u64;
                    }
                }
            }
            if heads != heads_on_lists {
                return Err(CheckError {
                    what: "PageBuddy pages not on any free list",
                    nid: 0,
                    zone_idx: 0,
                    order: 0,
                    pfn: heads,
                });
            }
        }
        Ok(())
    }
}

/// [`Mm::zonelist`]'s walk: each node of the fallback order, its populated zones from
/// high to low (a hand-written iterator: this runs on every allocation).
#[derive(Clone)]
struct ZonelistIter<'a> {
    nodes: &'a [Node; MAX_NUMNODES],
    order: core::slice::Iter<'a, u8>,
    cur: Option<&'a Node>,
    next_zone: usize,
}

impl Iterator for ZonelistIter<'_> {
    type Item = crate::mmzone::Zoneref;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.cur {
                let zones = n.zones();
                while self.next_zone > 0 {
                    self.next_zone -= 1;
                    if let Some(z) = zones.get(self.next_zone).filter(|z| z.is_populated()) {
                        return Some(crate::mmzone::Zoneref {
                            nid: n.nid(),
                            zone_idx: z.idx(),
                        });
                    }
                }
            }
            let n = self.nodes.get(*self.order.next()? as usize)?;
            self.cur = Some(n);
            self.next_zone = n.zones().len();
        }
    }
}
