//! `__show_mem` and `show_free_areas` (v6.12 mm/show_mem.c): the memory report
//! printed after an allocation failure (`warn_alloc`), from `Mem-Info:` to
//! `pages hwpoisoned`.

use crate::boot::Arch;
use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::mmzone::{MigrateType, Node};
use crate::platform::Platform;
use crate::printk::Level;
use crate::types::{NodeMask, NR_PAGE_ORDERS};
use crate::vmstat::{NodeStatItem as N, ZoneStatItem as Z};
use core::fmt::Write;

/// `show_migration_types`' letters, in migrate-type order.
///
/// ```
/// use oxmm::mmzone::MigrateType;
/// assert_eq!(oxmm::page_alloc::show_mem::migration_type_letter(MigrateType::Reclaimable), 'E');
/// ```
pub const fn migration_type_letter(mt: MigrateType) -> char {
    match mt {
        MigrateType::Unmovable => 'U',
        MigrateType::Movable => 'M',
        MigrateType::Reclaimable => 'E',
        MigrateType::HighAtomic => 'H',
        MigrateType::Cma => 'C',
        MigrateType::Isolate => 'I',
    }
}

/// A fixed buffer a line is formatted into (the core has no heap); overflow truncates.
struct Line {
    buf: [u8; 1024],
    len: usize,
}

impl Line {
    fn new() -> Line {
        Line {
            buf: [0; 1024],
            len: 0,
        }
    }
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The huge page sizes the architecture registers at boot (`hugetlb_add_hstate`, in
/// registration order: `hugetlb_show_meminfo_node` prints one line per size), for a
/// page size of `page_size` bytes. x86-64 as with `X86_FEATURE_GBPAGES` (1 GiB, then
/// the default 2 MiB); arm64 as `hugetlbpage_init` (PUD with 4K pages, contiguous
/// PMD, PMD, contiguous PTE); riscv64 without Svnapot (1 GiB, 2 MiB); 32-bit x86
/// with PAE (2 MiB); 32-bit arm none (Debian's armmp kernel, without LPAE, has no
/// hugetlbfs).
///
/// ```
/// use oxmm::boot::Arch;
/// use oxmm::page_alloc::show_mem::hstate_sizes;
/// assert_eq!(hstate_sizes(Arch::X86_64, 4096).as_slice(), [1 << 30, 2 << 20]);
/// assert_eq!(hstate_sizes(Arch::Arm64, 4096).as_slice(), [1 << 30, 32 << 20, 2 << 20, 64 << 10]);
/// assert_eq!(hstate_sizes(Arch::Arm64, 65536).as_slice(), [16 << 30, 512 << 20, 2 << 20]);
/// ```
#[doc(alias = "hugetlb_add_hstate")]
pub fn hstate_sizes(arch: Arch, page_size: u64) -> HstateSizes {
    let mut h = HstateSizes {
        sizes: [0; 4],
        len: 0,
    };
    let mut add = |size: u64| {
        h.sizes[h.len] = size;
        h.len += 1;
    };
    match arch {
        Arch::X86_64 | Arch::Riscv64 => {
            add(1 << 30);
            add(2 << 20);
        }
        Arch::Ia32 => add(2 << 20),
        Arch::Arm => {}
        Arch::Arm64 => {
            // A table holds page_size / 8 entries; the contiguous hints span 16
            // (4K), 32 or 128 (16K) and 32 (64K) entries.
            let pmd = page_size * (page_size / 8);
            let (cont_pmd, cont_pte) = match page_size {
                4096 => (16, 16),
                16384 => (32, 128),
                _ => (32, 32),
            };
            if page_size == 4096 {
                add(pmd * 512);
            }
            add(pmd * cont_pmd);
            add(pmd);
            add(page_size * cont_pte);
        }
    }
    h
}

/// The sizes [`hstate_sizes`] returns (at most `HUGE_MAX_HSTATE` = 4).
///
/// ```
/// use oxmm::boot::Arch;
/// assert!(oxmm::page_alloc::show_mem::hstate_sizes(Arch::Arm, 4096).as_slice().is_empty());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HstateSizes {
    sizes: [u64; 4],
    len: usize,
}

impl HstateSizes {
    /// The sizes in bytes.
    ///
    /// ```
    /// use oxmm::boot::Arch;
    /// assert_eq!(oxmm::page_alloc::show_mem::hstate_sizes(Arch::Ia32, 4096).as_slice(), [2 << 20]);
    /// ```
    pub fn as_slice(&self) -> &[u64] {
        &self.sizes[..self.len]
    }
}

impl<P: Platform> Mm<P> {
    /// `warn_alloc_show_mem` → `__show_mem`: the memory report after a failed
    /// allocation of `gfp` with `nodemask` — `Mem-Info:`, the global, node and zone
    /// counters, each zone's free blocks per order with their migrate types, the huge
    /// pages and swap (none here), then the pages of RAM, highmem and reserved.
    /// Zones above the request's highest zone are left out; so are the nodes outside
    /// `nodemask` (or, with none, the nodes without memory) when the caller could
    /// reclaim (`__GFP_DIRECT_RECLAIM`; Linux's `SHOW_MEM_FILTER_NODES`).
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>, std::sync::Mutex<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) {
    /// #         self.1.lock().unwrap().push(a.to_string());
    /// #     }
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; 8 << 20], Default::default()), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::gfp::Gfp;
    /// mm.warn_alloc_show_mem(Gfp::KERNEL | Gfp::DMA, None);
    /// let log = mm.platform().1.lock().unwrap();
    /// assert_eq!(log[0], "Mem-Info:");
    /// assert!(log[1].starts_with("active_anon:0 inactive_anon:0 isolated_anon:0"));
    /// assert!(log.iter().any(|l| l.starts_with("Node 0 DMA free:")));
    /// // GFP_DMA's highest zone is DMA: DMA32 is skipped.
    /// assert!(!log.iter().any(|l| l.contains("DMA32")));
    /// let dma = &mm.node(oxmm::types::NodeId(0)).unwrap().zones()[0];
    /// let order_line = log.iter().find(|l| l.starts_with("Node 0 DMA: ")).unwrap();
    /// assert!(order_line.ends_with(&format!("= {}kB", dma.free_pages() * 4)));
    /// assert_eq!(log.last().unwrap(), "0 pages hwpoisoned");
    /// ```
    pub fn warn_alloc_show_mem(&self, gfp: Gfp, nodemask: Option<&NodeMask>) {
        let max_zone = gfp
            .zone(&self.layout)
            .ok()
            .and_then(|t| self.layout.index_of(t))
            .unwrap_or(usize::MAX);
        self.show_mem_filtered(gfp.contains(Gfp::DIRECT_RECLAIM), nodemask, max_zone);
    }

    /// `show_mem`: the whole memory report, every node and zone (SysRq-m's, after its
    /// `sysrq: Show Memory` line).
    ///
    /// ```
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// mm.show_mem(); // "Mem-Info:" … "0 pages hwpoisoned" on the platform's log
    /// # }
    /// ```
    pub fn show_mem(&self) {
        self.show_mem_filtered(false, None, usize::MAX);
    }

    /// `__show_mem`: with the node filter (`SHOW_MEM_FILTER_NODES`), `nodemask`, and
    /// the highest zone index shown.
    #[doc(alias = "__show_mem")]
    fn show_mem_filtered(&self, filter_nodes: bool, nodemask: Option<&NodeMask>, max_zone: usize) {
        let p = &self.platform;
        p.printk(Level::Warning, format_args!("Mem-Info:"));
        self.show_free_areas(filter_nodes, nodemask, max_zone);
        let (mut total, mut reserved, mut highmem) = (0u64, 0u64, 0u64);
        for z in self.populated_zones() {
            total += z.present_pages();
            reserved += z.present_pages() - z.managed_pages();
            if z.zone_type().is_highmem() {
                highmem += z.present_pages();
            }
        }
        p.printk(Level::Warning, format_args!("{total} pages RAM"));
        p.printk(
            Level::Warning,
            format_args!("{highmem} pages HighMem/MovableOnly"),
        );
        p.printk(Level::Warning, format_args!("{reserved} pages reserved"));
        // CONFIG_CMA stands for a machine with CMA areas, as in /proc/meminfo.
        if self.totalcma > 0 {
            p.printk(
                Level::Warning,
                format_args!("{} pages cma reserved", self.totalcma),
            );
        }
        p.printk(Level::Warning, format_args!("0 pages hwpoisoned"));
    }

    /// The populated zones of the online nodes (`for_each_populated_zone`).
    fn populated_zones(&self) -> impl Iterator<Item = &crate::mmzone::Zone> + '_ {
        self.nodes()
            .flat_map(|n| n.zones().iter())
            .filter(|z| z.is_populated())
    }

    /// `show_mem_node_skip`: with the node filter on, a node outside `nodemask` (or,
    /// with none, the calling task's `mems_allowed`: the nodes with memory).
    fn show_mem_node_skip(&self, filter: bool, node: &Node, nodemask: Option<&NodeMask>) -> bool {
        if !filter {
            return false;
        }
        match nodemask {
            Some(m) => !m.contains(node.nid()),
            None => !node.zones().iter().any(|z| z.is_populated()),
        }
    }

    /// `show_free_areas`: the global counters, each node's, each zone's with its
    /// `lowmem_reserve[]`, each zone's free blocks per order, the huge pages per node,
    /// the page cache and the swap.
    fn show_free_areas(&self, filter: bool, nodemask: Option<&NodeMask>, max_zone: usize) {
        let kb = self.geo.page_size() >> 10;
        let k = |pages: u64| pages * kb;
        let p = &self.platform;
        let cpu = p.cpu_id();
        let shown = |node: &Node, z: &crate::mmzone::Zone| {
            z.is_populated()
                && z.idx() <= max_zone
                && !self.show_mem_node_skip(filter, node, nodemask)
        };
        let pcp_count = |z: &crate::mmzone::Zone| -> (u64, u64) {
            let (mut all, mut local) = (0u64, 0u64);
            for (c, pcp) in z.pcp.iter().enumerate() {
                let n = pcp.lock.lock_cpu(p).count.max(0) as u64;
                all += n;
                if c == cpu {
                    local = n;
                }
            }
            (all, local)
        };
        let mut free_pcp = 0;
        for node in self.nodes() {
            for z in node.zones().iter().filter(|z| shown(node, z)) {
                free_pcp += pcp_count(z).0;
            }
        }
        let g = |i| self.global_node_page_state(i);
        let gz = |i| self.global_zone_page_state(i);
        // One printk of eight lines in Linux (the later ones indented): the dmesg
        // shows them so.
        let global: [&[(&str, u64)]; 8] = [
            &[
                ("active_anon", g(N::NrActiveAnon)),
                ("inactive_anon", g(N::NrInactiveAnon)),
                ("isolated_anon", g(N::NrIsolatedAnon)),
            ],
            &[
                ("active_file", g(N::NrActiveFile)),
                ("inactive_file", g(N::NrInactiveFile)),
                ("isolated_file", g(N::NrIsolatedFile)),
            ],
            &[
                ("unevictable", g(N::NrUnevictable)),
                ("dirty", g(N::NrFileDirty)),
                ("writeback", g(N::NrWriteback)),
            ],
            &[
                ("slab_reclaimable", g(N::NrSlabReclaimableB)),
                ("slab_unreclaimable", g(N::NrSlabUnreclaimableB)),
            ],
            &[
                ("mapped", g(N::NrFileMapped)),
                ("shmem", g(N::NrShmem)),
                ("pagetables", g(N::NrPagetable)),
            ],
            &[
                ("sec_pagetables", g(N::NrSecondaryPagetable)),
                ("bounce", gz(Z::NrBounce)),
            ],
            &[("kernel_misc_reclaimable", g(N::NrKernelMiscReclaimable))],
            &[
                ("free", gz(Z::NrFreePages)),
                ("free_pcp", free_pcp),
                ("free_cma", gz(Z::NrFreeCmaPages)),
            ],
        ];
        for (i, row) in global.iter().enumerate() {
            let mut l = Line::new();
            for (j, (name, v)) in row.iter().enumerate() {
                let sep = if i > 0 || j > 0 { " " } else { "" };
                let _ = write!(l, "{sep}{name}:{v}");
            }
            p.printk(Level::Warning, format_args!("{}", l.as_str()));
        }
        for node in self.nodes() {
            if self.show_mem_node_skip(filter, node, nodemask)
                || !node
                    .zones()
                    .iter()
                    .any(|z| z.idx() <= max_zone && z.managed_pages() > 0)
            {
                continue;
            }
            let n = |i| node.page_state_pages(i);
            let mut l = Line::new();
            let _ = write!(
                l,
                "Node {} active_anon:{}kB inactive_anon:{}kB active_file:{}kB \
                 inactive_file:{}kB unevictable:{}kB isolated(anon):{}kB isolated(file):{}kB \
                 mapped:{}kB dirty:{}kB writeback:{}kB shmem:{}kB",
                node.nid().0,
                k(n(N::NrActiveAnon)),
                k(n(N::NrInactiveAnon)),
                k(n(N::NrActiveFile)),
                k(n(N::NrInactiveFile)),
                k(n(N::NrUnevictable)),
                k(n(N::NrIsolatedAnon)),
                k(n(N::NrIsolatedFile)),
                k(n(N::NrFileMapped)),
                k(n(N::NrFileDirty)),
                k(n(N::NrWriteback)),
                k(n(N::NrShmem)),
            );
            // CONFIG_TRANSPARENT_HUGEPAGE, as in the kernels oxmm follows.
            let _ = write!(
                l,
                " shmem_thp:{}kB shmem_pmdmapped:{}kB anon_thp:{}kB writeback_tmp:{}kB \
                 kernel_stack:{}kB pagetables:{}kB sec_pagetables:{}kB all_unreclaimable? no",
                k(n(N::NrShmemThps)),
                k(n(N::NrShmemPmdmapped)),
                k(n(N::NrAnonThps)),
                k(n(N::NrWritebackTemp)),
                n(N::NrKernelStackKb),
                k(n(N::NrPagetable)),
                k(n(N::NrSecondaryPagetable)),
            );
            p.printk(Level::Warning, format_args!("{}", l.as_str()));
        }
        for node in self.nodes() {
            for z in node.zones().iter().filter(|z| shown(node, z)) {
                let (all_pcp, local_pcp) = pcp_count(z);
                let w = z.watermarks();
                let zs = |i| k(z.page_state(i));
                p.printk(
                    Level::Warning,
                    format_args!(
                        "Node {} {} free:{}kB boost:{}kB min:{}kB low:{}kB high:{}kB \
                         reserved_highatomic:{}KB active_anon:{}kB inactive_anon:{}kB \
                         active_file:{}kB inactive_file:{}kB unevictable:{}kB writepending:{}kB \
                         present:{}kB managed:{}kB mlocked:{}kB bounce:{}kB free_pcp:{}kB \
                         local_pcp:{}kB free_cma:{}kB",
                        node.nid().0,
                        z.zone_type().name(),
                        k(z.free_pages()),
                        k(w.boost),
                        k(w.min()),
                        k(w.low()),
                        k(w.high()),
                        k(z.nr_reserved_highatomic()),
                        zs(Z::NrZoneActiveAnon),
                        zs(Z::NrZoneInactiveAnon),
                        zs(Z::NrZoneActiveFile),
                        zs(Z::NrZoneInactiveFile),
                        zs(Z::NrZoneUnevictable),
                        zs(Z::NrZoneWritePending),
                        k(z.present_pages()),
                        k(z.managed_pages()),
                        zs(Z::NrMlock),
                        zs(Z::NrBounce),
                        k(all_pcp),
                        k(local_pcp),
                        k(z.free_cma_pages()),
                    ),
                );
                let mut l = Line::new();
                let _ = l.write_str("lowmem_reserve[]:");
                for r in &z.lowmem_reserve[..self.layout.len()] {
                    let _ = write!(l, " {r}");
                }
                p.printk(Level::Warning, format_args!("{}", l.as_str()));
            }
        }
        for node in self.nodes() {
            for z in node.zones().iter().filter(|z| shown(node, z)) {
                let mut l = Line::new();
                let _ = write!(l, "Node {} {}: ", node.nid().0, z.zone_type().name());
                let _guard = z.lock.lock();
                let mut total = 0u64;
                for order in 0..NR_PAGE_ORDERS {
                    let area = &z.free_area[order];
                    let nr = area.nr_free();
                    total += nr << order;
                    let _ = write!(l, "{}*{}kB ", nr, kb << order);
                    if nr != 0 {
                        let _ = l.write_str("(");
                        for mt in MigrateType::ALL {
                            if !area.free_list[mt as usize].is_empty() {
                                let _ = l.write_char(migration_type_letter(mt));
                            }
                        }
                        let _ = l.write_str(") ");
                    }
                }
                let _ = write!(l, "= {}kB", k(total));
                p.printk(Level::Warning, format_args!("{}", l.as_str()));
            }
        }
        // hugetlb_show_meminfo_node: no persistent huge pages here.
        let hstates = hstate_sizes(self.arch, self.geo.page_size());
        for node in self.nodes() {
            if self.show_mem_node_skip(filter, node, nodemask) {
                continue;
            }
            for size in hstates.as_slice() {
                p.printk(
                    Level::Warning,
                    format_args!(
                        "Node {} hugepages_total=0 hugepages_free=0 hugepages_surp=0 \
                         hugepages_size={}kB",
                        node.nid().0,
                        size >> 10
                    ),
                );
            }
        }
        p.printk(
            Level::Warning,
            format_args!("{} total pagecache pages", g(N::NrFilePages)),
        );
        // show_swap_cache_info: no swap.
        p.printk(
            Level::Warning,
            format_args!("{} pages in swap cache", g(N::NrSwapcache)),
        );
        p.printk(Level::Warning, format_args!("Free swap  = 0kB"));
        p.printk(Level::Warning, format_args!("Total swap = 0kB"));
    }
}
