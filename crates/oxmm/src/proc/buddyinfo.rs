//! `/proc/buddyinfo` (Linux: `frag_show`, `frag_show_print`, mm/vmstat.c) and
//! `/proc/pagetypeinfo` (`pagetypeinfo_show`).

use crate::mm::Mm;
use crate::mmzone::{MigrateType, MIGRATE_TYPES};
use crate::platform::Platform;
use crate::types::NR_PAGE_ORDERS;
use core::fmt::{self, Write};

impl<P: Platform> Mm<P> {
    /// Render `/proc/buddyinfo`: one line per populated zone of each online node,
    /// `Node {nid}, zone {name:>8} ` and the free block count of every order as
    /// `{n:>6} `.
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
    /// mm.buddyinfo(&mut s).unwrap();
    /// assert!(s.starts_with("Node 0, zone      DMA "));
    /// assert_eq!(s.lines().count(), 2);
    /// ```
    #[doc(alias = "frag_show")]
    pub fn buddyinfo(&self, w: &mut dyn Write) -> fmt::Result {
        for node in self.nodes() {
            for z in node.zones().iter().filter(|z| z.is_populated()) {
                write!(
                    w,
                    "Node {}, zone {:>8} ",
                    node.nid().0,
                    z.zone_type().name()
                )?;
                for o in 0..NR_PAGE_ORDERS {
                    write!(w, "{:>6} ", z.nr_free(o as u32))?;
                }
                w.write_char('\n')?;
            }
        }
        Ok(())
    }

    /// Render `/proc/pagetypeinfo` (without page_owner's mixed-blocks table): per
    /// node with memory, the pageblock geometry, the free blocks per zone, type and
    /// order (capped at 100000 as `>100000`), and the pageblocks per type. Free counts
    /// need the lists of a Full boot; a DescribeOnly boot prints zeros there. The CMA
    /// type is shown only on a machine with CMA areas (standing in for `CONFIG_CMA`,
    /// which the reference kernels of the fixtures lack).
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
    /// mm.pagetypeinfo(&mut s).unwrap();
    /// assert!(s.starts_with("Page block order: 9\nPages per block:  512\n\n"));
    /// ```
    #[doc(alias = "pagetypeinfo_show")]
    pub fn pagetypeinfo(&self, w: &mut dyn Write) -> fmt::Result {
        let cma = self.totalcma > 0;
        let types = || {
            MigrateType::ALL
                .into_iter()
                .filter(move |&t| cma || t != MigrateType::Cma)
        };
        for node in self.nodes().filter(|n| n.present_pages() > 0) {
            let nid = node.nid();
            writeln!(w, "Page block order: {}", self.geo.pageblock_order())?;
            writeln!(w, "Pages per block:  {}", self.geo.pageblock_nr_pages())?;
            w.write_char('\n')?;
            write!(w, "{:<43} ", "Free pages count per migrate type at order")?;
            for o in 0..NR_PAGE_ORDERS {
                write!(w, "{o:>6} ")?;
            }
            w.write_char('\n')?;
            for z in node.zones().iter().filter(|z| z.is_populated()) {
                for mt in types() {
                    write!(
                        w,
                        "Node {:>4}, zone {:>8}, type {:>12} ",
                        nid.0,
                        z.zone_type().name(),
                        mt.name()
                    )?;
                    for o in 0..NR_PAGE_ORDERS {
                        let n = self.free_list_len(z, o, mt);
                        if n >= 100_000 {
                            write!(w, ">{:>6} ", 100_000)?;
                        } else {
                            write!(w, "{n:>6} ")?;
                        }
                    }
                    w.write_char('\n')?;
                }
            }
            w.write_char('\n')?;
            write!(w, "{:<23}", "Number of blocks type ")?;
            for mt in types() {
                write!(w, "{:>12} ", mt.name())?;
            }
            w.write_char('\n')?;
            for z in node.zones().iter().filter(|z| z.is_populated()) {
                let mut count = [0u64; MIGRATE_TYPES];
                let pb = self.geo.pageblock_nr_pages();
                let mut pfn = z.start_pfn();
                while pfn < z.end_pfn() {
                    // pagetypeinfo_showblockcount_print: only blocks whose first page
                    // is valid and in this zone.
                    let first_ok = self
                        .memmap
                        .page(pfn)
                        .is_some_and(|p| p.zone_idx() == z.idx() && p.nid() == nid.0);
                    if first_ok {
                        if let Some(mt) = self.pageblock_migratetype(nid, z.idx(), pfn) {
                            count[mt as usize] += 1;
                        }
                    }
                    pfn += pb;
                }
                write!(w, "Node {}, zone {:>8} ", nid.0, z.zone_type().name())?;
                for mt in types() {
                    write!(w, "{:>12} ", count[mt as usize])?;
                }
                w.write_char('\n')?;
            }
        }
        Ok(())
    }

    /// Blocks on one free list, counted by walking it (at most 100000, as Linux stops).
    fn free_list_len(&self, z: &crate::mmzone::Zone, order: usize, mt: MigrateType) -> u64 {
        let mut n = 0;
        let mut cur = z.free_area[order].free_list[mt as usize].head();
        while cur != crate::page::Page::NIL && n < 100_000 {
            n += 1;
            match self.memmap.page_by_index(cur) {
                Some(p) => cur = p.next(),
                None => break,
            }
        }
        n
    }
}
