//! `/proc/meminfo` (Linux: `meminfo_proc_show`, fs/proc/meminfo.c;
//! `hugetlb_report_meminfo`; x86's `arch_report_meminfo`), v6.12: every line in
//! Linux's order, a 16-column label and the value in kB right-aligned to width 8.
//!
//! The file is a plain value ([`Meminfo`]), so a meminfo parsed from a real machine
//! renders through the same code as oxmm's own. Subsystems oxmm does not have (swap,
//! zswap, hugetlb, vmalloc, user mappings, memory failure) read as zero, as on a Linux
//! without them in use.

use crate::boot::Arch;
use crate::mm::Mm;
use crate::mmzone::ZoneType;
use crate::platform::Platform;
use crate::vmstat::{NodeStatItem, ZoneStatItem};
use core::fmt::{self, Write};

/// x86's direct-map page counts, in kB.
///
/// ```
/// let d = oxmm::proc::meminfo::DirectMap { k4: 4, pmd: 2048, pmd_4m: false, g1: Some(0) };
/// assert_eq!(d.k4 + d.pmd, 2052);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectMap {
    /// `DirectMap4k`.
    pub k4: u64,
    /// `DirectMap2M` (or `DirectMap4M`).
    pub pmd: u64,
    /// The PMD pages are 4 MiB (non-PAE ia32).
    pub pmd_4m: bool,
    /// `DirectMap1G`, printed with gbpages.
    pub g1: Option<u64>,
}

/// The values of `/proc/meminfo`, in kB except the `HugePages_*` counts.
///
/// ```
/// use oxmm::proc::meminfo::Meminfo;
/// let mut m = Meminfo::default();
/// *m.field_mut("MemTotal").unwrap() = 4019576;
/// let mut s = String::new();
/// m.write(&mut s).unwrap();
/// assert!(s.starts_with("MemTotal:        4019576 kB\nMemFree:               0 kB\n"));
/// assert!(s.contains("\nHugePages_Total:       0\n"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meminfo {
    /// `MemTotal` (kB unless a count): `totalram_pages`.
    pub mem_total: u64,
    /// `MemFree` (kB unless a count): `NR_FREE_PAGES`.
    pub mem_free: u64,
    /// `MemAvailable` (kB unless a count): `si_mem_available`.
    pub mem_available: u64,
    /// `Buffers` (kB unless a count): `nr_blockdev_pages` (no block devices: 0).
    pub buffers: u64,
    /// `Cached` (kB unless a count): File pages less swap cache and buffers.
    pub cached: u64,
    /// `SwapCached` (kB unless a count): `NR_SWAPCACHE`.
    pub swap_cached: u64,
    /// `Active` (kB unless a count): Active anon + file LRU.
    pub active: u64,
    /// `Inactive` (kB unless a count): Inactive anon + file LRU.
    pub inactive: u64,
    /// `Active(anon)` (kB unless a count): `NR_ACTIVE_ANON`.
    pub active_anon: u64,
    /// `Inactive(anon)` (kB unless a count): `NR_INACTIVE_ANON`.
    pub inactive_anon: u64,
    /// `Active(file)` (kB unless a count): `NR_ACTIVE_FILE`.
    pub active_file: u64,
    /// `Inactive(file)` (kB unless a count): `NR_INACTIVE_FILE`.
    pub inactive_file: u64,
    /// `Unevictable` (kB unless a count): `NR_UNEVICTABLE`.
    pub unevictable: u64,
    /// `Mlocked` (kB unless a count): `NR_MLOCK`.
    pub mlocked: u64,
    /// `HighTotal`, `HighFree`, `LowTotal`, `LowFree` (`CONFIG_HIGHMEM`).
    pub highmem: Option<[u64; 4]>,
    /// `SwapTotal` (kB unless a count): `total_swap_pages`.
    pub swap_total: u64,
    /// `SwapFree` (kB unless a count): Free swap.
    pub swap_free: u64,
    /// `Zswap` (kB unless a count): `zswap_total_pages`.
    pub zswap: u64,
    /// `Zswapped` (kB unless a count): `zswap_stored_pages`.
    pub zswapped: u64,
    /// `Dirty` (kB unless a count): `NR_FILE_DIRTY`.
    pub dirty: u64,
    /// `Writeback` (kB unless a count): `NR_WRITEBACK`.
    pub writeback: u64,
    /// `AnonPages` (kB unless a count): `NR_ANON_MAPPED`.
    pub anon_pages: u64,
    /// `Mapped` (kB unless a count): `NR_FILE_MAPPED`.
    pub mapped: u64,
    /// `Shmem` (kB unless a count): `NR_SHMEM`.
    pub shmem: u64,
    /// `KReclaimable` (kB unless a count): Reclaimable slab + misc reclaimable.
    pub kreclaimable: u64,
    /// `Slab` (kB unless a count): SReclaimable + SUnreclaim.
    pub slab: u64,
    /// `SReclaimable` (kB unless a count): `NR_SLAB_RECLAIMABLE_B`.
    pub sreclaimable: u64,
    /// `SUnreclaim` (kB unless a count): `NR_SLAB_UNRECLAIMABLE_B`.
    pub sunreclaim: u64,
    /// `KernelStack` (kB unless a count): `NR_KERNEL_STACK_KB`.
    pub kernel_stack: u64,
    /// `PageTables` (kB unless a count): `NR_PAGETABLE`.
    pub page_tables: u64,
    /// `SecPageTables` (kB unless a count): `NR_SECONDARY_PAGETABLE`.
    pub sec_page_tables: u64,
    /// `NFS_Unstable` (kB unless a count): Always 0 since v5.8.
    pub nfs_unstable: u64,
    /// `Bounce` (kB unless a count): `NR_BOUNCE`.
    pub bounce: u64,
    /// `WritebackTmp` (kB unless a count): `NR_WRITEBACK_TEMP`.
    pub writeback_tmp: u64,
    /// `CommitLimit` (kB unless a count): `vm_commit_limit`.
    pub commit_limit: u64,
    /// `Committed_AS` (kB unless a count): `vm_memory_committed`.
    pub committed_as: u64,
    /// `VmallocTotal` (kB unless a count): `VMALLOC_TOTAL >> 10`.
    pub vmalloc_total: u64,
    /// `VmallocUsed` (kB unless a count): `vmalloc_nr_pages`.
    pub vmalloc_used: u64,
    /// `VmallocChunk` (kB unless a count): Always 0.
    pub vmalloc_chunk: u64,
    /// `Percpu` (kB unless a count): `pcpu_nr_pages`.
    pub percpu: u64,
    /// `HardwareCorrupted` (kB unless a count): `num_poisoned_pages`.
    pub hardware_corrupted: u64,
    /// `AnonHugePages` (kB unless a count): `NR_ANON_THPS`.
    pub anon_huge_pages: u64,
    /// `ShmemHugePages` (kB unless a count): `NR_SHMEM_THPS`.
    pub shmem_huge_pages: u64,
    /// `ShmemPmdMapped` (kB unless a count): `NR_SHMEM_PMDMAPPED`.
    pub shmem_pmd_mapped: u64,
    /// `FileHugePages` (kB unless a count): `NR_FILE_THPS`.
    pub file_huge_pages: u64,
    /// `FilePmdMapped` (kB unless a count): `NR_FILE_PMDMAPPED`.
    pub file_pmd_mapped: u64,
    /// `CmaTotal`, `CmaFree` (`CONFIG_CMA`).
    pub cma: Option<[u64; 2]>,
    /// `Unaccepted` (kB unless a count): `NR_UNACCEPTED`.
    pub unaccepted: u64,
    /// `HugePages_Total` (kB unless a count): Persistent huge pages (a count).
    pub hugepages_total: u64,
    /// `HugePages_Free` (kB unless a count): Free huge pages (a count).
    pub hugepages_free: u64,
    /// `HugePages_Rsvd` (kB unless a count): Reserved huge pages (a count).
    pub hugepages_rsvd: u64,
    /// `HugePages_Surp` (kB unless a count): Surplus huge pages (a count).
    pub hugepages_surp: u64,
    /// `Hugepagesize` (kB unless a count): The default huge page size.
    pub hugepagesize: u64,
    /// `Hugetlb` (kB unless a count): Memory in huge pages of every size.
    pub hugetlb: u64,
    /// x86's direct-map lines: `DirectMap4k`, `DirectMap2M` (`DirectMap4M` on
    /// non-PAE ia32), `DirectMap1G` (with gbpages); `None` on other architectures.
    pub direct_map: Option<DirectMap>,
}

/// `show_val_kb`: the label padded to 16 columns, the value to 8, then ` kB`.
fn kb(w: &mut dyn Write, label: &str, v: u64) -> fmt::Result {
    writeln!(w, "{label:<16}{v:>8} kB")
}

impl Meminfo {
    /// The value of an always-present line by its label (without the colon), for
    /// filling one from a parsed file; `None` for an unknown label and for the
    /// optional groups (highmem, CMA, direct map), which are fields of their own.
    ///
    /// ```
    /// use oxmm::proc::meminfo::Meminfo;
    /// let mut m = Meminfo::default();
    /// *m.field_mut("Active(file)").unwrap() = 8;
    /// assert_eq!(m.active_file, 8);
    /// // The label has no colon; the optional groups are fields of their own.
    /// assert!(m.field_mut("MemTotal:").is_none());
    /// assert!(m.field_mut("CmaTotal").is_none());
    /// ```
    pub fn field_mut(&mut self, label: &str) -> Option<&mut u64> {
        Some(match label {
            "MemTotal" => &mut self.mem_total,
            "MemFree" => &mut self.mem_free,
            "MemAvailable" => &mut self.mem_available,
            "Buffers" => &mut self.buffers,
            "Cached" => &mut self.cached,
            "SwapCached" => &mut self.swap_cached,
            "Active" => &mut self.active,
            "Inactive" => &mut self.inactive,
            "Active(anon)" => &mut self.active_anon,
            "Inactive(anon)" => &mut self.inactive_anon,
            "Active(file)" => &mut self.active_file,
            "Inactive(file)" => &mut self.inactive_file,
            "Unevictable" => &mut self.unevictable,
            "Mlocked" => &mut self.mlocked,
            "SwapTotal" => &mut self.swap_total,
            "SwapFree" => &mut self.swap_free,
            "Zswap" => &mut self.zswap,
            "Zswapped" => &mut self.zswapped,
            "Dirty" => &mut self.dirty,
            "Writeback" => &mut self.writeback,
            "AnonPages" => &mut self.anon_pages,
            "Mapped" => &mut self.mapped,
            "Shmem" => &mut self.shmem,
            "KReclaimable" => &mut self.kreclaimable,
            "Slab" => &mut self.slab,
            "SReclaimable" => &mut self.sreclaimable,
            "SUnreclaim" => &mut self.sunreclaim,
            "KernelStack" => &mut self.kernel_stack,
            "PageTables" => &mut self.page_tables,
            "SecPageTables" => &mut self.sec_page_tables,
            "NFS_Unstable" => &mut self.nfs_unstable,
            "Bounce" => &mut self.bounce,
            "WritebackTmp" => &mut self.writeback_tmp,
            "CommitLimit" => &mut self.commit_limit,
            "Committed_AS" => &mut self.committed_as,
            "VmallocTotal" => &mut self.vmalloc_total,
            "VmallocUsed" => &mut self.vmalloc_used,
            "VmallocChunk" => &mut self.vmalloc_chunk,
            "Percpu" => &mut self.percpu,
            "HardwareCorrupted" => &mut self.hardware_corrupted,
            "AnonHugePages" => &mut self.anon_huge_pages,
            "ShmemHugePages" => &mut self.shmem_huge_pages,
            "ShmemPmdMapped" => &mut self.shmem_pmd_mapped,
            "FileHugePages" => &mut self.file_huge_pages,
            "FilePmdMapped" => &mut self.file_pmd_mapped,
            "Unaccepted" => &mut self.unaccepted,
            "HugePages_Total" => &mut self.hugepages_total,
            "HugePages_Free" => &mut self.hugepages_free,
            "HugePages_Rsvd" => &mut self.hugepages_rsvd,
            "HugePages_Surp" => &mut self.hugepages_surp,
            "Hugepagesize" => &mut self.hugepagesize,
            "Hugetlb" => &mut self.hugetlb,
            _ => return None,
        })
    }

    /// Render the file as `meminfo_proc_show` does.
    ///
    /// ```
    /// use oxmm::proc::meminfo::Meminfo;
    /// let m = Meminfo { mem_total: 4019576, hugepagesize: 2048, ..Meminfo::default() };
    /// let mut s = String::new();
    /// m.write(&mut s).unwrap();
    /// assert!(s.contains("\nHugepagesize:       2048 kB\n"));
    /// // Parsed back line by line, the file gives the same values.
    /// let mut back = Meminfo::default();
    /// for (label, val) in s.lines().filter_map(|l| l.split_once(':')) {
    ///     *back.field_mut(label).unwrap() = val.trim_end_matches(" kB").trim().parse().unwrap();
    /// }
    /// assert_eq!(back, m);
    /// ```
    pub fn write(&self, w: &mut dyn Write) -> fmt::Result {
        kb(w, "MemTotal:", self.mem_total)?;
        kb(w, "MemFree:", self.mem_free)?;
        kb(w, "MemAvailable:", self.mem_available)?;
        kb(w, "Buffers:", self.buffers)?;
        kb(w, "Cached:", self.cached)?;
        kb(w, "SwapCached:", self.swap_cached)?;
        kb(w, "Active:", self.active)?;
        kb(w, "Inactive:", self.inactive)?;
        kb(w, "Active(anon):", self.active_anon)?;
        kb(w, "Inactive(anon):", self.inactive_anon)?;
        kb(w, "Active(file):", self.active_file)?;
        kb(w, "Inactive(file):", self.inactive_file)?;
        kb(w, "Unevictable:", self.unevictable)?;
        kb(w, "Mlocked:", self.mlocked)?;
        if let Some(h) = &self.highmem {
            for (l, v) in ["HighTotal:", "HighFree:", "LowTotal:", "LowFree:"]
                .iter()
                .zip(h)
            {
                kb(w, l, *v)?;
            }
        }
        kb(w, "SwapTotal:", self.swap_total)?;
        kb(w, "SwapFree:", self.swap_free)?;
        kb(w, "Zswap:", self.zswap)?;
        kb(w, "Zswapped:", self.zswapped)?;
        kb(w, "Dirty:", self.dirty)?;
        kb(w, "Writeback:", self.writeback)?;
        kb(w, "AnonPages:", self.anon_pages)?;
        kb(w, "Mapped:", self.mapped)?;
        kb(w, "Shmem:", self.shmem)?;
        kb(w, "KReclaimable:", self.kreclaimable)?;
        kb(w, "Slab:", self.slab)?;
        kb(w, "SReclaimable:", self.sreclaimable)?;
        kb(w, "SUnreclaim:", self.sunreclaim)?;
        kb(w, "KernelStack:", self.kernel_stack)?;
        kb(w, "PageTables:", self.page_tables)?;
        kb(w, "SecPageTables:", self.sec_page_tables)?;
        kb(w, "NFS_Unstable:", self.nfs_unstable)?;
        kb(w, "Bounce:", self.bounce)?;
        kb(w, "WritebackTmp:", self.writeback_tmp)?;
        kb(w, "CommitLimit:", self.commit_limit)?;
        kb(w, "Committed_AS:", self.committed_as)?;
        kb(w, "VmallocTotal:", self.vmalloc_total)?;
        kb(w, "VmallocUsed:", self.vmalloc_used)?;
        kb(w, "VmallocChunk:", self.vmalloc_chunk)?;
        kb(w, "Percpu:", self.percpu)?;
        writeln!(w, "HardwareCorrupted: {:>5} kB", self.hardware_corrupted)?;
        kb(w, "AnonHugePages:", self.anon_huge_pages)?;
        kb(w, "ShmemHugePages:", self.shmem_huge_pages)?;
        kb(w, "ShmemPmdMapped:", self.shmem_pmd_mapped)?;
        kb(w, "FileHugePages:", self.file_huge_pages)?;
        kb(w, "FilePmdMapped:", self.file_pmd_mapped)?;
        if let Some(c) = &self.cma {
            kb(w, "CmaTotal:", c[0])?;
            kb(w, "CmaFree:", c[1])?;
        }
        kb(w, "Unaccepted:", self.unaccepted)?;
        writeln!(
            w,
            "{:<16}   {:>5}",
            "HugePages_Total:", self.hugepages_total
        )?;
        writeln!(w, "{:<16}   {:>5}", "HugePages_Free:", self.hugepages_free)?;
        writeln!(w, "{:<16}   {:>5}", "HugePages_Rsvd:", self.hugepages_rsvd)?;
        writeln!(w, "{:<16}   {:>5}", "HugePages_Surp:", self.hugepages_surp)?;
        kb(w, "Hugepagesize:", self.hugepagesize)?;
        kb(w, "Hugetlb:", self.hugetlb)?;
        if let Some(d) = &self.direct_map {
            kb(w, "DirectMap4k:", d.k4)?;
            kb(
                w,
                if d.pmd_4m {
                    "DirectMap4M:"
                } else {
                    "DirectMap2M:"
                },
                d.pmd,
            )?;
            if let Some(g) = d.g1 {
                kb(w, "DirectMap1G:", g)?;
            }
        }
        Ok(())
    }
}

/// `sysctl_overcommit_ratio`'s default (oxmm has no overcommit sysctl yet).
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
/// # let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
/// use oxmm::proc::meminfo::OVERCOMMIT_RATIO;
/// // No swap, no hugetlb: CommitLimit is 50 % of RAM (4 kB pages).
/// let m = mm.meminfo_values();
/// assert_eq!(m.commit_limit / 4, mm.totalram_pages() * OVERCOMMIT_RATIO / 100);
/// ```
pub const OVERCOMMIT_RATIO: u64 = 50;

/// `split_mem_range` over one pfn range: how many pfns each page size (`sizes`, in
/// pfns, largest first) maps, the larger sizes where the range is aligned for them.
fn split_mem_range(s: u64, e: u64, sizes: &[u64], out: &mut [u64]) {
    let Some((&l, rest)) = sizes.split_first() else {
        return;
    };
    let a = s.next_multiple_of(l);
    let b = e - e % l;
    if rest.is_empty() || a >= b {
        if rest.is_empty() {
            out[0] += e - s;
        } else {
            split_mem_range(s, e, rest, &mut out[1..]);
        }
        return;
    }
    out[0] += b - a;
    split_mem_range(s, a, rest, &mut out[1..]);
    split_mem_range(b, e, rest, &mut out[1..]);
}

impl<P: Platform> Mm<P> {
    /// x86's direct-map page counts (`direct_pages_count[]`), modelled as
    /// `init_memory_mapping` splitting each run of memory into 4 KiB, 2 MiB and (on
    /// x86-64, with gbpages) 1 GiB pages where aligned; ia32 (PAE) maps lowmem only.
    /// Linux's later splits of the kernel image's mappings are not modelled, so its
    /// `DirectMap4k` is larger than this one.
    fn direct_map(&self) -> Option<DirectMap> {
        let (sizes, limit): (&[u64], u64) = match self.arch {
            Arch::X86_64 => (&[1 << 18, 1 << 9, 1], u64::MAX),
            Arch::Ia32 => {
                let low = self
                    .nodes()
                    .flat_map(|n| n.zones().iter())
                    .filter(|z| z.zone_type() < ZoneType::HighMem && z.spanned_pages() > 0)
                    .map(|z| z.end_pfn())
                    .max()
                    .unwrap_or(0);
                (&[1 << 9, 1], low)
            }
            _ => return None,
        };
        let mut out = [0u64; 3];
        let mut run: Option<(u64, u64)> = None;
        let flush = |r: (u64, u64), out: &mut [u64; 3]| {
            let e = r.1.min(limit);
            if r.0 < e {
                split_mem_range(r.0, e, sizes, &mut out[3 - sizes.len()..]);
            }
        };
        for (s, e, _) in self.memblock.mem_pfn_ranges(self.geo, None) {
            match run {
                Some((rs, re)) if re == s => run = Some((rs, e)),
                Some(r) => {
                    flush(r, &mut out);
                    run = Some((s, e));
                }
                None => run = Some((s, e)),
            }
        }
        if let Some(r) = run {
            flush(r, &mut out);
        }
        let kb = |pfns: u64| pfns << (self.geo.shift() - 10);
        Some(DirectMap {
            k4: kb(out[2]),
            pmd: kb(out[1]),
            pmd_4m: false,
            g1: (self.arch == Arch::X86_64).then(|| kb(out[0])),
        })
    }

    /// The values of `/proc/meminfo` from the machine's counters.
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// let m = mm.meminfo_values();
    /// assert_eq!(m.mem_total, mm.totalram_pages() * 4);
    /// assert_eq!(m.slab, m.sreclaimable + m.sunreclaim);
    /// # }
    /// ```
    pub fn meminfo_values(&self) -> Meminfo {
        let shift = self.geo.shift() - 10;
        let kb = |pages: u64| pages << shift;
        let node = |i| self.global_node_page_state(i);
        let zone = |i| self.global_zone_page_state(i);
        let totalram = self.totalram_pages();
        let free = zone(ZoneStatItem::NrFreePages);
        let swapcache = node(NodeStatItem::NrSwapcache);
        // nr_blockdev_pages: oxmm has no block devices.
        let buffers = 0;
        let cached = node(NodeStatItem::NrFilePages).saturating_sub(swapcache + buffers);
        let (ia, aa) = (
            node(NodeStatItem::NrInactiveAnon),
            node(NodeStatItem::NrActiveAnon),
        );
        let (ifl, afl) = (
            node(NodeStatItem::NrInactiveFile),
            node(NodeStatItem::NrActiveFile),
        );
        let srec = node(NodeStatItem::NrSlabReclaimableB);
        let sun = node(NodeStatItem::NrSlabUnreclaimableB);
        let highmem = self.layout.has(ZoneType::HighMem).then(|| {
            let hz = || {
                self.nodes()
                    .flat_map(|n| n.zones().iter())
                    .filter(|z| z.zone_type().is_highmem())
            };
            let total: u64 = hz().map(|z| z.managed_pages()).sum();
            let hfree: u64 = hz().map(|z| z.free_pages()).sum();
            [kb(total), kb(hfree), kb(totalram - total), kb(free - hfree)]
        });
        // Persistent huge pages and swap: none.
        let (hugetlb_pages, total_swap) = (0, 0);
        Meminfo {
            mem_total: kb(totalram),
            mem_free: kb(free),
            mem_available: kb(self.si_mem_available()),
            buffers: kb(buffers),
            cached: kb(cached),
            swap_cached: kb(swapcache),
            active: kb(aa + afl),
            inactive: kb(ia + ifl),
            active_anon: kb(aa),
            inactive_anon: kb(ia),
            active_file: kb(afl),
            inactive_file: kb(ifl),
            unevictable: kb(node(NodeStatItem::NrUnevictable)),
            mlocked: kb(zone(ZoneStatItem::NrMlock)),
            highmem,
            swap_total: kb(total_swap),
            swap_free: kb(total_swap),
            zswap: 0,
            zswapped: 0,
            dirty: kb(node(NodeStatItem::NrFileDirty)),
            writeback: kb(node(NodeStatItem::NrWriteback)),
            anon_pages: kb(node(NodeStatItem::NrAnonMapped)),
            mapped: kb(node(NodeStatItem::NrFileMapped)),
            shmem: kb(node(NodeStatItem::NrShmem)),
            kreclaimable: kb(srec + node(NodeStatItem::NrKernelMiscReclaimable)),
            slab: kb(srec + sun),
            sreclaimable: kb(srec),
            sunreclaim: kb(sun),
            kernel_stack: node(NodeStatItem::NrKernelStackKb),
            page_tables: kb(node(NodeStatItem::NrPagetable)),
            sec_page_tables: kb(node(NodeStatItem::NrSecondaryPagetable)),
            nfs_unstable: 0,
            bounce: kb(zone(ZoneStatItem::NrBounce)),
            writeback_tmp: kb(node(NodeStatItem::NrWritebackTemp)),
            commit_limit: kb((totalram - hugetlb_pages) * OVERCOMMIT_RATIO / 100 + total_swap),
            // vm_committed_as: no user address spaces.
            committed_as: 0,
            vmalloc_total: self.vmstat.vmalloc_total >> 10,
            vmalloc_used: 0,
            vmalloc_chunk: 0,
            percpu: kb(self.pcpu_pages),
            hardware_corrupted: 0,
            anon_huge_pages: kb(node(NodeStatItem::NrAnonThps)),
            shmem_huge_pages: kb(node(NodeStatItem::NrShmemThps)),
            shmem_pmd_mapped: kb(node(NodeStatItem::NrShmemPmdmapped)),
            file_huge_pages: kb(node(NodeStatItem::NrFileThps)),
            file_pmd_mapped: kb(node(NodeStatItem::NrFilePmdmapped)),
            cma: (self.totalcma > 0)
                .then(|| [kb(self.totalcma), kb(zone(ZoneStatItem::NrFreeCmaPages))]),
            unaccepted: kb(zone(ZoneStatItem::NrUnaccepted)),
            hugepages_total: 0,
            hugepages_free: 0,
            hugepages_rsvd: 0,
            hugepages_surp: 0,
            hugepagesize: kb(1 << self.geo.pageblock_order()),
            hugetlb: kb(hugetlb_pages),
            direct_map: self.direct_map(),
        }
    }

    /// Render `/proc/meminfo` in Linux's exact format (see the module docs). The CMA
    /// lines appear on a machine with CMA areas (standing in for `CONFIG_CMA`, which
    /// the fixtures' kernels lack), the highmem lines with a HighMem zone.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::PhysAddr;
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x10000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x10000);
    /// # let mm = Mm::boot(NoMem, mb, &cfg, BootMode::DescribeOnly, &mut oxmm::printk::NullLog).unwrap();
    /// let mut s = String::new();
    /// mm.meminfo(&mut s).unwrap();
    /// assert_eq!(s.lines().count(), 55);
    /// assert!(s.contains("\nVmallocTotal:   13743895347199 kB\n"));
    /// assert!(s.ends_with("DirectMap1G:           0 kB\n"));
    /// ```
    #[doc(alias = "meminfo_proc_show")]
    pub fn meminfo(&self, w: &mut dyn Write) -> fmt::Result {
        self.meminfo_values().write(w)
    }
}
