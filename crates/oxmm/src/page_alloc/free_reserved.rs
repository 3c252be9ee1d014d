//! Handing reserved memory to the buddy allocator after boot (Linux:
//! `free_reserved_area`, `free_reserved_page`, `adjust_managed_page_count`,
//! mm/page_alloc.c).
//!
//! Linux keeps some memory reserved through boot and gives it back once it is no longer
//! needed: the kernel's `__init` sections (`Freeing unused kernel image (initmem)
//! memory`), the initrd once unpacked, the gaps between kernel sections. Each page is
//! freed on its own (order 0, through the per-CPU lists) and counted into its zone's
//! managed pages; the watermarks are not recomputed, so a zone's `managed` in
//! `/proc/zoneinfo` ends up above the figure its watermarks were sized from.

use crate::boot::node_init::{free_block_boot, zone_of};
use crate::boot::zones::nid_index;
use crate::memblock::free_pages_memory;
use crate::mm::{BootMode, Mm};
use crate::page_alloc::BadPage;
use crate::platform::Platform;
use crate::printk::{Level, Log};
use crate::types::{Pfn, PhysAddr, MAX_NUMNODES};
use core::fmt;

/// `POISON_FREE_INITMEM`: the byte Linux fills freed init memory and initrds with.
///
/// ```
/// assert_eq!(oxmm::page_alloc::free_reserved::POISON_FREE_INITMEM, 0xcc);
/// ```
pub const POISON_FREE_INITMEM: u8 = 0xcc;

/// Why [`Mm::free_reserved_area`] refused a range; nothing was freed.
///
/// ```
/// use oxmm::page_alloc::free_reserved::FreeReservedError;
/// let e = FreeReservedError::NotReserved { pfn: 0x1234 };
/// assert!(e.to_string().contains("0x1234"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeReservedError {
    /// The page is in no zone (a hole, or beyond memory).
    NotInZone {
        /// The page.
        pfn: u64,
    },
    /// The page is not reserved: already freed, or never kept from the buddy allocator.
    NotReserved {
        /// The page.
        pfn: u64,
    },
    /// The buddy allocator refused the page (its descriptor is inconsistent).
    Bad(BadPage),
}

impl fmt::Display for FreeReservedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreeReservedError::NotInZone { pfn } => {
                write!(f, "free_reserved_area: pfn {pfn:#x} is in no zone")
            }
            FreeReservedError::NotReserved { pfn } => {
                write!(f, "free_reserved_area: pfn {pfn:#x} is not reserved")
            }
            FreeReservedError::Bad(b) => write!(f, "free_reserved_area: {b}"),
        }
    }
}

impl<P: Platform> Mm<P> {
    /// `free_reserved_area`: free every whole page of `[start, end)` (start rounded up,
    /// end down) to the buddy allocator and add it to its zone's managed pages; print
    /// `Freeing {name} memory: {n}K` when `name` is given and a page was freed. Returns
    /// the number of pages freed. With `poison` each page is first filled with that
    /// byte (Linux: [`POISON_FREE_INITMEM`] for init sections and initrds) when the
    /// machine has memory.
    ///
    /// Every page must be reserved (Full boot: `PageReserved`; description-only boot,
    /// which has no descriptors: inside memblock's reserved regions) and in a zone;
    /// otherwise nothing is freed and the error names the first offending pfn. A
    /// description-only boot counts the pages as free blocks without free lists.
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
    /// // An "initrd" kept through boot.
    /// mb.reserve(PhysAddr(0x200_0000), 0x10_0000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// let log = &mut oxmm::printk::NullLog;
    /// let mut mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, log).unwrap();
    /// let before = mm.totalram_pages();
    /// use oxmm::page_alloc::free_reserved::POISON_FREE_INITMEM;
    /// let (s, e) = (PhysAddr(0x200_0000), PhysAddr(0x210_0000));
    /// let n = mm.free_reserved_area(s, e, Some(POISON_FREE_INITMEM), Some("initrd"), log);
    /// assert_eq!(n, Ok(256));
    /// assert_eq!(mm.totalram_pages(), before + 256);
    /// // A second time the pages are no longer reserved.
    /// assert!(mm.free_reserved_area(s, e, None, None, log).is_err());
    /// # #[cfg(feature = "debug_vm")]
    /// mm.check().unwrap();
    /// ```
    #[doc(alias = "free_reserved_page")]
    pub fn free_reserved_area(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        poison: Option<u8>,
        name: Option<&str>,
        log: &mut dyn Log,
    ) -> Result<u64, FreeReservedError> {
        let geo = self.geo;
        let (s, e) = (geo.phys_to_pfn_up(start).0, geo.phys_to_pfn(end).0);
        if s >= e {
            return Ok(0);
        }
        // Check the whole range first: a refused range changes nothing.
        for pfn in s..e {
            self.reserved_page_zone(pfn)?;
        }
        let mut added = [[0u64; crate::mmzone::MAX_NR_ZONES]; MAX_NUMNODES];
        if self.mode == BootMode::Full {
            for pfn in s..e {
                let (nid, zi) = self.reserved_page_zone(pfn)?;
                let base = self.platform.direct_map_base();
                if let (Some(byte), false) = (poison, base.is_null()) {
                    let at = geo.pfn_to_phys(Pfn(pfn)).0 as usize;
                    // SAFETY: the page is a reserved page of this machine's memory (checked
                    // above): nothing the allocator handed out lives in it, and the
                    // platform maps all of the machine's memory at `base`.
                    unsafe {
                        core::ptr::write_bytes(
                            base.wrapping_add(at),
                            byte,
                            geo.page_size() as usize,
                        )
                    };
                }
                if let Some(d) = self.memmap.page(pfn) {
                    // free_reserved_page: ClearPageReserved, init_page_count, __free_page.
                    d.clear_reserved();
                    d.set_refcount(1);
                    d.set_private(0);
                }
                self.free_pages(Pfn(pfn), 0)
                    .map_err(FreeReservedError::Bad)?;
                added[nid][zi] += 1;
            }
            for (nid, row) in added.iter().enumerate() {
                for (zi, &n) in row.iter().enumerate() {
                    if n > 0 {
                        self.nodes[nid].zones_mut()[zi].managed += n;
                    }
                }
            }
        } else {
            // No descriptors: count maximal blocks per zone, as the buddy would merge them.
            let mut pfn = s;
            while pfn < e {
                let (nid, zi) = self.reserved_page_zone(pfn)?;
                let z = &mut self.nodes[nid].zones_mut()[zi];
                let ze = z.end_pfn().min(e);
                free_pages_memory(pfn, ze, crate::types::MAX_PAGE_ORDER, |p, order| {
                    free_block_boot(z, None, geo, false, p, order, None);
                });
                pfn = ze;
            }
        }
        let pages = e - s;
        if let Some(what) = name {
            log.line(
                Level::Info,
                format_args!("Freeing {what} memory: {}K", pages << (geo.shift() - 10)),
            );
        }
        Ok(pages)
    }

    /// The node and zone index of reserved page `pfn`, or why it cannot be freed.
    fn reserved_page_zone(&self, pfn: u64) -> Result<(usize, usize), FreeReservedError> {
        let not_in_zone = FreeReservedError::NotInZone { pfn };
        if self.mode == BootMode::Full {
            let d = self.memmap.page(pfn).ok_or(not_in_zone)?;
            let (nid, zi) = (d.nid() as usize, d.zone_idx());
            let zone = self
                .nodes
                .get(nid)
                .and_then(|n| n.zones().get(zi))
                .ok_or(not_in_zone)?;
            if !zone.is_populated() || !zone.spans_pfn(pfn) {
                return Err(not_in_zone);
            }
            if !d.is_reserved() {
                return Err(FreeReservedError::NotReserved { pfn });
            }
            return Ok((nid, zi));
        }
        let addr = self.geo.pfn_to_phys(Pfn(pfn));
        let mem = self
            .memblock
            .memory()
            .regions()
            .iter()
            .find(|r| r.base <= addr && addr < r.end())
            .ok_or(not_in_zone)?;
        let nid = nid_index(mem.nid);
        let zi = self
            .nodes
            .get(nid)
            .and_then(|n| zone_of(n, pfn))
            .ok_or(not_in_zone)?;
        let reserved = self
            .memblock
            .reserved()
            .regions()
            .iter()
            .any(|r| r.base <= addr && addr < r.end());
        if !reserved {
            return Err(FreeReservedError::NotReserved { pfn });
        }
        Ok((nid, zi))
    }
}
