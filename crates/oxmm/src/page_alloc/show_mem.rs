//! `show_free_areas` (v6.12 mm/show_mem.c): the per-zone part of the memory report
//! printed after an allocation failure.

use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::mmzone::MigrateType;
use crate::platform::Platform;
use crate::printk::Level;
use crate::types::NR_PAGE_ORDERS;
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

impl<P: Platform> Mm<P> {
    /// `show_free_areas`: per populated zone its free pages, watermarks, sizes and
    /// per-CPU pages, its `lowmem_reserve[]`, then its free blocks per order with their
    /// migrate types. Zones above the request's highest zone are skipped, as Linux's
    /// `show_mem_node_skip` filter does.
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
    /// mm.show_free_areas(Gfp::KERNEL | Gfp::DMA);
    /// let log = mm.platform().1.lock().unwrap();
    /// assert_eq!(log[0], "Mem-Info:");
    /// assert!(log[1].starts_with("Node 0 DMA free:"));
    /// // GFP_DMA's highest zone is DMA: DMA32 is skipped.
    /// assert!(!log.iter().any(|l| l.contains("DMA32")));
    /// let dma = &mm.node(oxmm::types::NodeId(0)).unwrap().zones()[0];
    /// assert!(log.last().unwrap().ends_with(&format!("= {}kB", dma.free_pages() * 4)));
    /// ```
    pub fn show_free_areas(&self, gfp: Gfp) {
        let kb = self.geo.page_size() >> 10;
        let max_zone = gfp
            .zone(&self.layout)
            .ok()
            .and_then(|t| self.layout.index_of(t))
            .unwrap_or(usize::MAX);
        let p = &self.platform;
        p.printk(Level::Warning, format_args!("Mem-Info:"));
        let cpu = p.cpu_id();
        for node in self.nodes() {
            for z in node.zones().iter().filter(|z| z.is_populated()) {
                if z.idx() > max_zone {
                    continue;
                }
                let (mut free_pcp, mut local_pcp) = (0u64, 0u64);
                for (c, pcp) in z.pcp.iter().enumerate() {
                    let n = pcp.lock.lock_cpu(p).count.max(0) as u64;
                    free_pcp += n;
                    if c == cpu {
                        local_pcp = n;
                    }
                }
                let w = z.watermarks();
                p.printk(
                    Level::Warning,
                    format_args!(
                        "Node {} {} free:{}kB boost:{}kB min:{}kB low:{}kB high:{}kB \
                         reserved_highatomic:{}KB active_anon:0kB inactive_anon:0kB \
                         active_file:0kB inactive_file:0kB unevictable:0kB writepending:0kB \
                         present:{}kB managed:{}kB mlocked:0kB bounce:0kB free_pcp:{}kB \
                         local_pcp:{}kB free_cma:{}kB",
                        node.nid().0,
                        z.zone_type().name(),
                        z.free_pages() * kb,
                        w.boost * kb,
                        w.min() * kb,
                        w.low() * kb,
                        w.high() * kb,
                        z.nr_reserved_highatomic() * kb,
                        z.present_pages() * kb,
                        z.managed_pages() * kb,
                        free_pcp * kb,
                        local_pcp * kb,
                        z.free_cma_pages() * kb,
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
            for z in node.zones().iter().filter(|z| z.is_populated()) {
                if z.idx() > max_zone {
                    continue;
                }
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
                let _ = write!(l, "= {}kB", total * kb);
                p.printk(Level::Warning, format_args!("{}", l.as_str()));
            }
        }
    }
}
