//! The watermark part of `/proc/zoneinfo` (Linux: `zoneinfo_show_print`, mm/vmstat.c,
//! v6.12): for every zone of every online node, empty ones included, the header, free
//! pages, boost, the four watermarks (boost included), spanned/present/managed, cma
//! and the `protection:` array (`lowmem_reserve[]` over all configured zones).
//!
//! The per-node and per-zone counters, the pagesets and the trailer lines need the
//! vmstat counters and per-CPU lists, which do not exist yet; they are left out.

use crate::mm::Mm;
use crate::platform::Platform;
use core::fmt::{self, Write};

impl<P: Platform> Mm<P> {
    /// Render the watermark lines of `/proc/zoneinfo`, in Linux's exact format.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::PhysAddr;
    /// # struct NoMem;
    /// # impl oxmm::platform::Platform for NoMem {
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
    /// mm.zoneinfo_watermarks(&mut s).unwrap();
    /// assert!(s.starts_with("Node 0, zone      DMA\n  pages free     "));
    /// assert!(s.contains("\n        min      32\n")); // the empty Movable zone
    /// assert_eq!(s.matches("protection: (").count(), 5);
    /// ```
    #[doc(alias = "zoneinfo_show_print")]
    pub fn zoneinfo_watermarks(&self, w: &mut dyn Write) -> fmt::Result {
        for node in self.nodes() {
            for z in node.zones() {
                let wm = &z.watermark;
                writeln!(w, "Node {}, zone {:>8}", node.nid().0, z.zone_type().name())?;
                writeln!(w, "  pages free     {}", z.free_pages())?;
                writeln!(w, "        boost    {}", wm.boost)?;
                writeln!(w, "        min      {}", wm.min())?;
                writeln!(w, "        low      {}", wm.low())?;
                writeln!(w, "        high     {}", wm.high())?;
                writeln!(w, "        promo    {}", wm.promo())?;
                writeln!(w, "        spanned  {}", z.spanned_pages())?;
                writeln!(w, "        present  {}", z.present_pages())?;
                writeln!(w, "        managed  {}", z.managed_pages())?;
                writeln!(w, "        cma      {}", z.cma_pages())?;
                w.write_str("        protection: (")?;
                for (i, r) in z.lowmem_reserve[..node.zones().len()].iter().enumerate() {
                    if i > 0 {
                        w.write_str(", ")?;
                    }
                    write!(w, "{r}")?;
                }
                w.write_str(")\n")?;
            }
        }
        Ok(())
    }
}
