//! `free_reserved_area`: reserved memory handed to the buddy allocator after boot, as
//! Linux frees its initrd and init sections (page by page, counted into managed, the
//! watermarks left as the initcalls set them).

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::VecMem;

use oxmm::boot::{Arch, BootConfig};
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::ZoneType;
use oxmm::page_alloc::free_reserved::{FreeReservedError, POISON_FREE_INITMEM};
use oxmm::platform::Platform;
use oxmm::printk::{Level, Log};
use oxmm::types::{NodeId, PhysAddr};

#[derive(Default)]
struct Lines(Vec<String>);
impl Log for Lines {
    fn line(&mut self, _: Level, args: core::fmt::Arguments<'_>) {
        self.0.push(args.to_string());
    }
}

const MEM_END: u64 = 0x800_0000; // 128 MiB: DMA 16, DMA32 112 MiB
const INITRD: (u64, u64) = (0x400_0000, 0x410_0000); // 1 MiB in DMA32

fn boot<P: Platform>(p: P, mode: BootMode) -> Box<Mm<P>> {
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), MEM_END - 0x1000).unwrap();
    mb.reserve(PhysAddr(INITRD.0), INITRD.1 - INITRD.0).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, MEM_END >> 12);
    cfg.zone_limits.set(ZoneType::Normal, MEM_END >> 12);
    support::boot_boxed(p, mb, &cfg, mode)
}

fn dma32_managed<P: Platform>(mm: &Mm<P>) -> u64 {
    mm.node(NodeId(0)).unwrap().zones()[1].managed_pages()
}

#[test]
fn full_boot_frees_poisons_and_counts() {
    let mut mm = boot(VecMem::new(MEM_END, 2), BootMode::Full);
    let (managed, free, wmarks) = (
        dma32_managed(&mm),
        mm.nr_free_pages(),
        mm.node(NodeId(0)).unwrap().zones()[1].watermarks(),
    );
    let mut log = Lines::default();
    let n = mm
        .free_reserved_area(
            PhysAddr(INITRD.0),
            PhysAddr(INITRD.1),
            Some(POISON_FREE_INITMEM),
            Some("initrd"),
            &mut log,
        )
        .unwrap();
    assert_eq!(n, 256);
    assert_eq!(log.0, ["Freeing initrd memory: 1024K"]);
    assert_eq!(dma32_managed(&mm), managed + 256);
    assert_eq!(
        mm.totalram_pages(),
        mm.node(NodeId(0)).unwrap().managed_pages()
    );
    // Free: in the buddy lists or on this CPU's per-CPU list.
    assert_eq!(mm.nr_free_pages() + mm.nr_pcp_pages(), free + 256);
    // The watermarks keep the values the initcalls computed.
    assert_eq!(mm.node(NodeId(0)).unwrap().zones()[1].watermarks(), wmarks);
    // Poisoned as Linux does (a freed page's first word may hold nothing else yet).
    let word = mm.platform().bytes()[(INITRD.0 as usize + 0x800) / 8];
    assert_eq!(word, u64::from_ne_bytes([0xcc; 8]));
    mm.check().unwrap();
    // A second free of the same pages is refused and changes nothing.
    let again = mm.free_reserved_area(PhysAddr(INITRD.0), PhysAddr(INITRD.1), None, None, &mut log);
    assert_eq!(
        again,
        Err(FreeReservedError::NotReserved {
            pfn: INITRD.0 >> 12
        })
    );
    assert_eq!(dma32_managed(&mm), managed + 256);
    // The freed pages can be allocated.
    mm.drain_all_pages(None).unwrap();
    mm.check().unwrap();
}

#[test]
fn a_partly_free_range_is_refused_whole() {
    let mut mm = boot(VecMem::new(MEM_END, 1), BootMode::Full);
    let managed = dma32_managed(&mm);
    // The initrd plus one page after it, which the buddy allocator already owns.
    let r = mm.free_reserved_area(
        PhysAddr(INITRD.0),
        PhysAddr(INITRD.1 + 0x1000),
        None,
        Some("initrd"),
        &mut oxmm::printk::NullLog,
    );
    assert_eq!(
        r,
        Err(FreeReservedError::NotReserved {
            pfn: INITRD.1 >> 12
        })
    );
    assert_eq!(dma32_managed(&mm), managed);
    let p = mm.memmap().page(INITRD.0 >> 12).unwrap();
    assert!(p.is_reserved(), "nothing was freed");
    mm.check().unwrap();
}

#[test]
fn memory_outside_every_zone_is_refused() {
    let mut mm = boot(VecMem::new(MEM_END, 1), BootMode::Full);
    let r = mm.free_reserved_area(
        PhysAddr(MEM_END),
        PhysAddr(MEM_END + 0x2000),
        None,
        None,
        &mut oxmm::printk::NullLog,
    );
    assert_eq!(r, Err(FreeReservedError::NotInZone { pfn: MEM_END >> 12 }));
    // pfn 0 has a descriptor but lies below the DMA zone.
    let r = mm.free_reserved_area(
        PhysAddr(0),
        PhysAddr(0x1000),
        None,
        None,
        &mut oxmm::printk::NullLog,
    );
    assert_eq!(r, Err(FreeReservedError::NotInZone { pfn: 0 }));
    // Less than a page frees nothing and is no error.
    let r = mm.free_reserved_area(
        PhysAddr(INITRD.0 + 1),
        PhysAddr(INITRD.0 + 0x1000),
        None,
        None,
        &mut oxmm::printk::NullLog,
    );
    assert_eq!(r, Ok(0));
}

/// A platform without memory, for description-only boots.
struct NoMem;
// SAFETY: no direct map (null): description-only boots touch no memory.
unsafe impl Platform for NoMem {
    fn direct_map_base(&self) -> *mut u8 {
        core::ptr::null_mut()
    }
    fn cpu_id(&self) -> usize {
        0
    }
    fn nr_cpus(&self) -> usize {
        1
    }
    fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
}

#[test]
fn description_only_counts_the_same() {
    let mut full = boot(VecMem::new(MEM_END, 1), BootMode::Full);
    let mut desc = boot(NoMem, BootMode::DescribeOnly);
    let log = &mut oxmm::printk::NullLog;
    full.drain_all_pages(None).unwrap();
    let (f0, d0) = (full.nr_free_pages(), desc.nr_free_pages());
    let a = full.free_reserved_area(PhysAddr(INITRD.0), PhysAddr(INITRD.1), None, None, log);
    let b = desc.free_reserved_area(
        PhysAddr(INITRD.0),
        PhysAddr(INITRD.1),
        Some(POISON_FREE_INITMEM),
        None,
        log,
    );
    assert_eq!(a, b);
    assert_eq!(dma32_managed(&full), dma32_managed(&desc));
    full.drain_all_pages(None).unwrap();
    assert_eq!(full.nr_free_pages() - f0, 256);
    assert_eq!(desc.nr_free_pages() - d0, 256);
    // Memory memblock never reserved is refused there too.
    let r = desc.free_reserved_area(PhysAddr(0x600_0000), PhysAddr(0x600_1000), None, None, log);
    assert_eq!(r, Err(FreeReservedError::NotReserved { pfn: 0x6000 }));
}
