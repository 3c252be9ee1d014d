//! The allocator's other entry points (Linux: `__get_free_pages`, `get_zeroed_page`,
//! `free_pages`, `alloc_pages_exact`, `alloc_pages_exact_nid`, `free_pages_exact`,
//! `make_alloc_exact`, `split_page`, `alloc_pages_bulk_noprof`; mm/page_alloc.c), and
//! [`PageBlock`], an owning handle that frees its block when dropped.
//!
//! Addresses are direct-map addresses (`page_address`, `virt_to_page`): physical address
//! `p` is at `direct_map_base() + p`.
//!
//! ```
//! use oxmm::page_alloc::entry::get_order;
//! assert_eq!(get_order(4096, 12), Some(0));
//! assert_eq!(get_order(4097, 12), Some(1));
//! assert_eq!(get_order(0, 12), None);
//! ```

use super::{watermark_check, AllocError, AllocFlags, BadPage, BadPageReason, COMPOUND_TAIL};
use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::mmzone::MigrateType;
use crate::page::PG_HEAD;
use crate::platform::Platform;
use crate::types::{NodeId, NodeMask, Pfn, VirtAddr, MAX_PAGE_ORDER};
use crate::vmstat::VmEventItem;
use core::fmt;

/// `get_order`: the smallest order whose block holds `size` bytes with pages of
/// `1 << page_shift` bytes; `None` for 0 bytes (Linux leaves that undefined) and for
/// sizes no order up to `MAX_PAGE_ORDER` holds.
///
/// ```
/// use oxmm::page_alloc::entry::get_order;
/// assert_eq!(get_order(3 * 4096, 12), Some(2));
/// assert_eq!(get_order(4 << 20, 12), Some(10));
/// assert_eq!(get_order((4 << 20) + 1, 12), None);
/// ```
pub const fn get_order(size: usize, page_shift: u32) -> Option<u32> {
    if size == 0 {
        return None;
    }
    let pages = ((size as u64 - 1) >> page_shift) + 1;
    let order = pages.next_power_of_two().trailing_zeros();
    if order > MAX_PAGE_ORDER {
        None
    } else {
        Some(order)
    }
}

/// Why an entry point other than `alloc_pages`/`free_pages` refused a request.
///
/// ```
/// use oxmm::page_alloc::entry::EntryError;
/// use oxmm::types::VirtAddr;
/// assert_eq!(
///     EntryError::BadSize(0).to_string(),
///     "size 0 bytes: not 1 to MAX_PAGE_ORDER (10) pages"
/// );
/// assert_eq!(
///     EntryError::BadAddress(VirtAddr(0x10)).to_string(),
///     "address 0x10 is not in the direct map of managed memory"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryError {
    /// A size of zero bytes, or more than a block of `MAX_PAGE_ORDER` holds.
    BadSize(usize),
    /// An address outside the direct map of the memory map's pages (`virt_addr_valid`).
    BadAddress(VirtAddr),
    /// The allocation failed.
    Alloc(AllocError),
    /// A free (or split) found the block in a state it may not be in.
    BadPage(BadPage),
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::BadSize(s) => {
                write!(
                    f,
                    "size {s} bytes: not 1 to MAX_PAGE_ORDER ({MAX_PAGE_ORDER}) pages"
                )
            }
            EntryError::BadAddress(a) => write!(
                f,
                "address {:#x} is not in the direct map of managed memory",
                a.0
            ),
            EntryError::Alloc(e) => write!(f, "{e}"),
            EntryError::BadPage(b) => write!(f, "{b}"),
        }
    }
}

impl From<AllocError> for EntryError {
    fn from(e: AllocError) -> Self {
        EntryError::Alloc(e)
    }
}

impl From<BadPage> for EntryError {
    fn from(b: BadPage) -> Self {
        EntryError::BadPage(b)
    }
}

impl<P: Platform> Mm<P> {
    /// `page_address`: the direct-map address of `pfn`.
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
    /// let a = mm.page_address(Pfn(3));
    /// assert_eq!(a.0 - mm.page_address(Pfn(0)).0, 3 * 4096);
    /// ```
    pub fn page_address(&self, pfn: Pfn) -> VirtAddr {
        self.platform.phys_to_virt(self.geo.pfn_to_phys(pfn))
    }

    /// `virt_to_page` guarded by `virt_addr_valid`: the pfn whose page holds `addr`, if
    /// `addr` is in the direct map and the page has a descriptor.
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
    /// let a = mm.page_address(Pfn(0x100));
    /// assert_eq!(mm.virt_to_pfn(VirtAddr(a.0 + 5)).unwrap(), Pfn(0x100));
    /// assert!(mm.virt_to_pfn(VirtAddr(a.0 + (1 << 40))).is_err());
    /// ```
    #[doc(alias = "virt_to_page")]
    #[doc(alias = "virt_addr_valid")]
    pub fn virt_to_pfn(&self, addr: VirtAddr) -> Result<Pfn, EntryError> {
        let base = self.platform.direct_map_base() as u64;
        let phys = addr
            .0
            .checked_sub(base)
            .ok_or(EntryError::BadAddress(addr))?;
        let pfn = phys >> self.geo.shift();
        if !self.memmap.pfn_valid(pfn) {
            return Err(EntryError::BadAddress(addr));
        }
        Ok(Pfn(pfn))
    }

    /// `__get_free_pages`: [`Mm::alloc_pages`] (never from HighMem, which has no
    /// direct-map address) returning the block's address.
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
    /// let a = mm.get_free_pages(Gfp::KERNEL, 1).unwrap();
    /// mm.free_pages_addr(a, 1).unwrap();
    /// assert_eq!(mm.get_free_pages(Gfp::KERNEL, 11).unwrap_err().to_string(),
    ///            "order 11 above MAX_PAGE_ORDER 10");
    /// ```
    #[doc(alias = "__get_free_pages")]
    pub fn get_free_pages(&self, gfp: Gfp, order: u32) -> Result<VirtAddr, AllocError> {
        let pfn = self.alloc_pages(gfp & !Gfp::HIGHMEM, order)?;
        Ok(self.page_address(pfn))
    }

    /// `get_zeroed_page`: one zeroed page's address.
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
    /// let a = mm.get_zeroed_page(Gfp::KERNEL).unwrap();
    /// assert_eq!(mm.page_address(mm.virt_to_pfn(a).unwrap()), a);
    /// mm.free_pages_addr(a, 0).unwrap();
    /// ```
    pub fn get_zeroed_page(&self, gfp: Gfp) -> Result<VirtAddr, AllocError> {
        self.get_free_pages(gfp | Gfp::ZERO, 0)
    }

    /// `free_pages(addr, order)`: [`Mm::free_pages`] of the block whose first page holds
    /// `addr`. Address 0 is ignored, as in Linux.
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
    /// mm.free_pages_addr(VirtAddr(0), 3).unwrap();
    /// let a = mm.get_free_pages(Gfp::KERNEL, 0).unwrap();
    /// mm.free_pages_addr(a, 0).unwrap();
    /// assert!(mm.free_pages_addr(a, 0).is_err()); // double free
    /// ```
    #[doc(alias = "free_pages")]
    pub fn free_pages_addr(&self, addr: VirtAddr, order: u32) -> Result<(), EntryError> {
        if addr.0 == 0 {
            return Ok(());
        }
        let pfn = self.virt_to_pfn(addr)?;
        self.free_pages(pfn, order)?;
        Ok(())
    }

    /// `alloc_pages_exact`: `size` bytes of whole pages from a block of `get_order(size)`
    /// whose unused tail pages go straight back to the buddy lists (`make_alloc_exact`);
    /// each page kept is a page of its own, freed with [`Mm::free_pages_exact`].
    /// `__GFP_COMP` and `__GFP_HIGHMEM` are dropped (Linux warns).
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
    /// mm.pcp_disable_all().unwrap();
    /// let free = mm.nr_free_pages();
    /// let a = mm.alloc_pages_exact(5 * 4096, Gfp::KERNEL).unwrap();
    /// assert_eq!(mm.nr_free_pages(), free - 5);
    /// mm.free_pages_exact(a, 5 * 4096).unwrap();
    /// assert_eq!(mm.nr_free_pages(), free);
    /// ```
    #[doc(alias = "alloc_pages_exact_noprof")]
    pub fn alloc_pages_exact(&self, size: usize, gfp: Gfp) -> Result<VirtAddr, EntryError> {
        let order = get_order(size, self.geo.shift()).ok_or(EntryError::BadSize(size))?;
        let gfp = gfp & !(Gfp::COMP | Gfp::HIGHMEM);
        let pfn = self.alloc_pages(gfp, order)?;
        self.make_alloc_exact(pfn, order, size)?;
        Ok(self.page_address(pfn))
    }

    /// `alloc_pages_exact_nid`: [`Mm::alloc_pages_exact`] from node `nid` first.
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
    /// use oxmm::types::NodeId;
    /// let a = mm.alloc_pages_exact_nid(NodeId(0), 4096, Gfp::KERNEL).unwrap();
    /// mm.free_pages_exact(a, 4096).unwrap();
    /// assert!(mm.alloc_pages_exact_nid(NodeId(0), 0, Gfp::KERNEL).is_err());
    /// ```
    #[doc(alias = "alloc_pages_exact_nid_noprof")]
    pub fn alloc_pages_exact_nid(
        &self,
        nid: NodeId,
        size: usize,
        gfp: Gfp,
    ) -> Result<VirtAddr, EntryError> {
        let order = get_order(size, self.geo.shift()).ok_or(EntryError::BadSize(size))?;
        let gfp = gfp & !(Gfp::COMP | Gfp::HIGHMEM);
        let pfn = self.alloc_pages_node(nid, gfp, order)?;
        self.make_alloc_exact(pfn, order, size)?;
        Ok(self.page_address(pfn))
    }

    /// `free_pages_exact`: free each page of `size` bytes (rounded up to pages) from
    /// `addr`. Every page is tried; the first refusal is returned.
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
    /// let a = mm.alloc_pages_exact(3 * 4096, Gfp::KERNEL).unwrap();
    /// mm.free_pages_exact(a, 3 * 4096).unwrap();
    /// ```
    pub fn free_pages_exact(&self, addr: VirtAddr, size: usize) -> Result<(), EntryError> {
        let page = self.geo.page_size();
        let nr = (size as u64).div_ceil(page);
        let mut first = Ok(());
        for i in 0..nr {
            let r = self.free_pages_addr(VirtAddr(addr.0.wrapping_add(i * page)), 0);
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    /// `make_alloc_exact`: split the block and give pages `nr..` back to the tail of the
    /// buddy lists (`__free_pages_ok(.., FPI_TO_TAIL)`, bypassing the per-CPU lists).
    fn make_alloc_exact(&self, pfn: Pfn, order: u32, size: usize) -> Result<(), EntryError> {
        let nr = (size as u64).div_ceil(self.geo.page_size());
        self.split_page(pfn, order)?;
        for p in pfn.0 + nr..pfn.0 + (1u64 << order) {
            self.free_pages_ok(p, 0, true)?;
        }
        Ok(())
    }

    /// `__free_pages_ok`: the checks of [`Mm::free_pages`], then straight to the buddy
    /// lists (at the tail with `to_tail`), never through a per-CPU list.
    fn free_pages_ok(&self, pfn: u64, order: u32, to_tail: bool) -> Result<(), BadPage> {
        let (zone, _, _, _) = self.free_pages_prepare(pfn, order)?;
        self.count_vm_events(VmEventItem::Pgfree, 1u64 << order);
        let bad = BadPage {
            pfn,
            order,
            reason: BadPageReason::Corrupted,
        };
        self.lock_zone(zone)
            .free_large(pfn, order, to_tail)
            .map_err(|_| bad)
    }

    /// `split_page`: turn an allocated non-compound block of `order` into `1 << order`
    /// pages of order 0, each with its own reference, each freed on its own.
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
    /// use oxmm::types::Pfn;
    /// let pfn = mm.alloc_pages(Gfp::KERNEL, 2).unwrap();
    /// mm.split_page(pfn, 2).unwrap();
    /// for i in 0..4 {
    ///     mm.free_pages(Pfn(pfn.0 + i), 0).unwrap();
    /// }
    /// ```
    pub fn split_page(&self, pfn: Pfn, order: u32) -> Result<(), BadPage> {
        let bad = |reason| BadPage {
            pfn: pfn.0,
            order,
            reason,
        };
        if order > MAX_PAGE_ORDER {
            return Err(bad(BadPageReason::OrderTooLarge));
        }
        if pfn.0 & ((1u64 << order) - 1) != 0 {
            return Err(bad(BadPageReason::Misaligned));
        }
        let head = self
            .memmap
            .page(pfn.0)
            .ok_or(bad(BadPageReason::NotManaged))?;
        if head.private() & COMPOUND_TAIL != 0 && !head.is_buddy() {
            return Err(bad(BadPageReason::TailPage));
        }
        if head.is_buddy() || head.refcount() == 0 {
            return Err(bad(BadPageReason::DoubleFree));
        }
        if head.flags() & PG_HEAD != 0 {
            // A compound page is split by its own code (split_folio), never here.
            return Err(bad(BadPageReason::BadTail { pfn: pfn.0 }));
        }
        if head.private() != order as u64 {
            return Err(bad(BadPageReason::WrongOrder {
                allocated: head.private().min(u32::MAX as u64) as u32,
            }));
        }
        let end = pfn.0 + (1u64 << order);
        for p in pfn.0 + 1..end {
            let ok = self
                .memmap
                .page(p)
                .is_some_and(|t| !t.is_buddy() && t.refcount() == 0 && t.private() == 0);
            if !ok {
                return Err(bad(BadPageReason::BadTail { pfn: p }));
            }
        }
        head.set_private(0);
        for p in pfn.0 + 1..end {
            if let Some(t) = self.memmap.page(p) {
                t.set_refcount(1);
            }
        }
        Ok(())
    }

    /// `alloc_pages_bulk` (array form): fill the empty slots of `pages` with order-0
    /// pages, all from one zone of the preferred node through the calling CPU's list
    /// under one lock. Returns the number of leading slots filled (Linux's
    /// `nr_populated`): all of them, or fewer when the list and the zone ran dry.
    ///
    /// Like Linux, one missing page, no local zone above its low watermark plus the
    /// whole request, a busy per-CPU list or an empty one at the first page all fall
    /// back to one ordinary allocation (which may reclaim); errors only show as slots
    /// left empty.
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
    /// use oxmm::types::{NodeId, Pfn};
    /// let keep = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    /// let mut pages = [None, Some(keep), None, None];
    /// assert_eq!(mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut pages), 4);
    /// assert_eq!(pages[1], Some(keep));
    /// for p in pages {
    ///     mm.free_pages(p.unwrap(), 0).unwrap();
    /// }
    /// ```
    #[doc(alias = "alloc_pages_bulk_noprof")]
    #[doc(alias = "__alloc_pages_bulk")]
    pub fn alloc_pages_bulk(
        &self,
        gfp: Gfp,
        nid: NodeId,
        nodemask: Option<&NodeMask>,
        pages: &mut [Option<Pfn>],
    ) -> usize {
        let nr_pages = pages.len();
        let mut nr_populated = 0;
        while nr_populated < nr_pages && pages[nr_populated].is_some() {
            nr_populated += 1;
        }
        if nr_populated == nr_pages {
            return nr_populated;
        }
        if nr_pages - nr_populated == 1 {
            return self.bulk_one(gfp, nid, nodemask, pages, nr_populated);
        }
        let Ok(ac) = self.prepare_alloc_pages(nid, gfp, 0, nodemask) else {
            return nr_populated;
        };
        let mut flags = AllocFlags::WMARK_LOW;
        if ac.migratetype == MigrateType::Movable {
            flags |= AllocFlags::CMA;
        }
        let refs = ac.zonerefs();
        let Some(&pref) = refs.first() else {
            return self.bulk_one(gfp, nid, nodemask, pages, nr_populated);
        };
        // The first local zone that can take the whole request above its low mark.
        let multi_node = self.nodes().nth(1).is_some();
        let mut chosen = None;
        for &z in refs {
            if multi_node && z.nid != pref.nid {
                break;
            }
            let Some(zone) = self.zone_of(z) else {
                continue;
            };
            if zone.managed_pages() == 0 {
                continue;
            }
            let mark = watermark_check::wmark_pages(zone, flags.wmark_index()) + nr_pages as u64;
            if watermark_check::zone_watermark_fast(zone, 0, mark, pref.zone_idx, flags) {
                chosen = Some(zone);
                break;
            }
        }
        let Some(zone) = chosen else {
            return self.bulk_one(gfp, nid, nodemask, pages, nr_populated);
        };
        let me = self.platform.this_cpu();
        let Some(mut st) = zone
            .pcp
            .get(me.id)
            .and_then(|p| p.lock.try_lock_local(&self.platform, me))
        else {
            return self.bulk_one(gfp, nid, nodemask, pages, nr_populated);
        };
        let mut nr_account = 0;
        while nr_populated < nr_pages {
            if pages[nr_populated].is_some() {
                nr_populated += 1;
                continue;
            }
            let got = self.rmqueue_pcplist_locked(zone, 0, ac.migratetype, flags, &mut st);
            let Ok(Some((pfn, head))) = got else {
                if nr_account == 0 {
                    drop(st);
                    return self.bulk_one(gfp, nid, nodemask, pages, nr_populated);
                }
                break;
            };
            nr_account += 1;
            self.prep_new_pcp_page(pfn, head, 0, gfp, self.meminit.init_on_alloc());
            pages[nr_populated] = Some(Pfn(pfn));
            nr_populated += 1;
        }
        drop(st);
        // PGALLOC and zone_statistics once for the whole batch, as Linux does.
        self.count_vm_events(VmEventItem::pgalloc(zone.zone_type()), nr_account);
        self.zone_statistics(self.zone_of(pref).unwrap_or(zone), zone, nr_account);
        nr_populated
    }

    /// The bulk allocator's `failed:` path: one page with the ordinary allocator into
    /// slot `at` (empty).
    fn bulk_one(
        &self,
        gfp: Gfp,
        nid: NodeId,
        nodemask: Option<&NodeMask>,
        pages: &mut [Option<Pfn>],
        at: usize,
    ) -> usize {
        match self.alloc_pages_nodemask(nid, gfp, 0, nodemask) {
            Ok(p) => {
                pages[at] = Some(p);
                at + 1
            }
            Err(_) => at,
        }
    }

    /// [`Mm::alloc_pages`] wrapped in a [`PageBlock`] that frees the block when dropped.
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
    /// mm.pcp_disable_all().unwrap();
    /// let free = mm.nr_free_pages();
    /// {
    ///     let b = mm.alloc_block(Gfp::KERNEL, 3).unwrap();
    ///     assert_eq!(b.order(), 3);
    ///     assert_eq!(mm.nr_free_pages(), free - 8);
    /// }
    /// assert_eq!(mm.nr_free_pages(), free);
    /// ```
    pub fn alloc_block(&self, gfp: Gfp, order: u32) -> Result<PageBlock<'_, P>, AllocError> {
        let pfn = self.alloc_pages(gfp, order)?;
        Ok(PageBlock {
            mm: self,
            pfn,
            order,
        })
    }

    /// [`Mm::alloc_pages_node`] wrapped in a [`PageBlock`].
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
    /// use oxmm::types::NodeId;
    /// let b = mm.alloc_block_node(NodeId(0), Gfp::KERNEL, 0).unwrap();
    /// assert_eq!(mm.memmap().page(b.pfn().0).unwrap().nid(), 0);
    /// ```
    pub fn alloc_block_node(
        &self,
        nid: NodeId,
        gfp: Gfp,
        order: u32,
    ) -> Result<PageBlock<'_, P>, AllocError> {
        let pfn = self.alloc_pages_node(nid, gfp, order)?;
        Ok(PageBlock {
            mm: self,
            pfn,
            order,
        })
    }
}

/// An allocated block of `1 << order` pages owned by a Rust caller: freed by
/// [`Mm::free_pages`] when dropped (a refused free is reported like any bad free).
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
/// use oxmm::page_alloc::entry::PageBlock;
/// let mut b = mm.alloc_block(Gfp::KERNEL | Gfp::ZERO, 1).unwrap();
/// assert_eq!((b.order(), b.len(), b.is_empty()), (1, 8192, false));
/// assert_eq!(b.addr(), mm.page_address(b.pfn()));
/// assert_eq!(b.as_ptr() as u64, b.addr().0);
/// assert!(b.as_mut_slice().iter().all(|&x| x == 0));
/// b.as_mut_slice()[0] = 7;
/// let (pfn, order) = b.into_raw(); // no longer freed on drop
/// let b = unsafe { PageBlock::from_raw(&mm, pfn, order) };
/// drop(b); // freed here
/// ```
pub struct PageBlock<'a, P: Platform> {
    mm: &'a Mm<P>,
    pfn: Pfn,
    order: u32,
}

impl<'a, P: Platform> PageBlock<'a, P> {
    /// The first page frame.
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
    /// let b = mm.alloc_block(Gfp::KERNEL, 2).unwrap();
    /// // A buddy block is aligned to its size.
    /// assert_eq!(b.pfn().0 % 4, 0);
    /// assert_eq!(mm.virt_to_pfn(b.addr()), Ok(b.pfn()));
    /// ```
    pub fn pfn(&self) -> Pfn {
        self.pfn
    }

    /// The order (the block has `1 << order` pages).
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
    /// let b = mm.alloc_block(Gfp::KERNEL, 3).unwrap();
    /// assert_eq!(b.order(), 3);
    /// assert_eq!(b.len(), 4096 << b.order());
    /// ```
    pub fn order(&self) -> u32 {
        self.order
    }

    /// The block's size in bytes.
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
    /// let mut b = mm.alloc_block(Gfp::KERNEL, 2).unwrap();
    /// assert_eq!(b.len(), 4 * 4096);
    /// assert_eq!(b.as_mut_slice().len(), b.len());
    /// ```
    pub fn len(&self) -> usize {
        (self.mm.geo.page_size() << self.order) as usize
    }

    /// Always false: a block has at least one page.
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
    /// let b = mm.alloc_block(Gfp::KERNEL, 0).unwrap();
    /// assert!(!b.is_empty() && b.len() == 4096);
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The direct-map address of the first byte.
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
    /// use oxmm::types::Pfn;
    /// let b = mm.alloc_block(Gfp::KERNEL, 1).unwrap();
    /// assert_eq!(b.addr(), mm.page_address(b.pfn()));
    /// // The direct map: pfn × page size past the base.
    /// assert_eq!(b.addr().0 - mm.page_address(Pfn(0)).0, b.pfn().0 * 4096);
    /// ```
    pub fn addr(&self) -> VirtAddr {
        self.mm.page_address(self.pfn)
    }

    /// A pointer to the first byte (through the direct map).
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
    /// let mut b = mm.alloc_block(Gfp::KERNEL | Gfp::ZERO, 0).unwrap();
    /// assert_eq!(b.as_ptr() as u64, b.addr().0);
    /// // SAFETY: the handle owns the block, and no slice of it is alive.
    /// unsafe { b.as_ptr().add(5).write(9) };
    /// assert_eq!(b.as_mut_slice()[5], 9);
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.addr().0 as *mut u8
    }

    /// The block's memory.
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
    /// let mut b = mm.alloc_block(Gfp::KERNEL | Gfp::ZERO, 1).unwrap();
    /// let s = b.as_mut_slice();
    /// assert_eq!(s.len(), 8192);
    /// assert!(s.iter().all(|&x| x == 0)); // __GFP_ZERO
    /// s.fill(0xaa);
    /// assert!(b.as_mut_slice().iter().all(|&x| x == 0xaa));
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the block came off the free lists of a Full boot, whose direct map
        // backs every managed page; this handle owns it exclusively until drop or
        // `into_raw`, and `&mut self` keeps the slice unique for its lifetime.
        unsafe { core::slice::from_raw_parts_mut(self.as_ptr(), self.len()) }
    }

    /// Give up ownership without freeing: the caller frees `(pfn, order)` later.
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
    /// let b = mm.alloc_block(Gfp::KERNEL, 1).unwrap();
    /// let pfn = b.pfn();
    /// let (raw, order) = b.into_raw();
    /// assert_eq!((raw, order), (pfn, 1));
    /// // Still allocated: the caller frees it.
    /// mm.free_pages(raw, order).unwrap();
    /// ```
    pub fn into_raw(self) -> (Pfn, u32) {
        let me = core::mem::ManuallyDrop::new(self);
        (me.pfn, me.order)
    }

    /// Take ownership of an allocated block.
    ///
    /// # Safety
    ///
    /// `(pfn, order)` must be a block allocated from `mm` that nothing else owns or
    /// frees (typically one from [`PageBlock::into_raw`]); [`PageBlock::as_mut_slice`]
    /// hands out its memory.
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
    /// use oxmm::page_alloc::{entry::PageBlock, BadPageReason};
    /// let (pfn, order) = mm.alloc_block(Gfp::KERNEL, 0).unwrap().into_raw();
    /// // SAFETY: the block came from `mm`, and nothing else owns it.
    /// let b = unsafe { PageBlock::from_raw(&mm, pfn, order) };
    /// drop(b); // freed here, so a second free is refused
    /// assert_eq!(mm.free_pages(pfn, order).unwrap_err().reason, BadPageReason::DoubleFree);
    /// ```
    pub unsafe fn from_raw(mm: &'a Mm<P>, pfn: Pfn, order: u32) -> Self {
        PageBlock { mm, pfn, order }
    }
}

impl<P: Platform> Drop for PageBlock<'_, P> {
    fn drop(&mut self) {
        // A refused free has been reported (bad_page); the block then leaks, as in Linux.
        let _ = self.mm.free_pages(self.pfn, self.order);
    }
}

impl<P: Platform> fmt::Debug for PageBlock<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageBlock")
            .field("pfn", &self.pfn)
            .field("order", &self.order)
            .finish()
    }
}
