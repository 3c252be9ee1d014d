//! The buddy allocator on a small booted machine: split and merge placement (head/tail
//! rules), the pageblock merge rule, fallback with whole-block claiming and the half
//! rule, GFP zone/zero/compound handling, bad-page refusal, `/proc/buddyinfo`, and a
//! property test of random allocations and frees against a model.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::VecMem;

use std::collections::BTreeMap;

use oxmm::boot::{Arch, BootConfig, CmaArea, Distances, NodeDesc};
use oxmm::gfp::Gfp;
use oxmm::memblock::{Memblock, MemblockFlags};
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::{MigrateType, ZoneType};
use oxmm::page::{PG_HEAD, PG_RESERVED};
use oxmm::page_alloc::{AllocError, BadPageReason, COMPOUND_TAIL};
use oxmm::platform::Platform;
use oxmm::types::{NodeId, Pfn, PhysAddr};
use proptest::prelude::*;

const MEM_END: u64 = 0x500_0000; // 80 MiB
const DMA32: usize = 1;

static NODES: [NodeDesc; 2] = [
    NodeDesc {
        nid: NodeId(0),
        nr_cpus: 1,
    },
    NodeDesc {
        nid: NodeId(1),
        nr_cpus: 1,
    },
];
static DIST: [u8; 4] = [10, 20, 20, 10];

/// Node 0: DMA (pfns 1..0x1000) and DMA32 (0x1000..0x3000); node 1: Normal
/// (0x3000..0x5000). With `cma`, a 2 MiB CMA area at 40 MiB (DMA32).
fn boot(cma: bool) -> Mm<VecMem> {
    let mut mb = Memblock::new();
    mb.add_node(
        PhysAddr(0x1000),
        0x300_0000 - 0x1000,
        NodeId(0),
        MemblockFlags::empty(),
    )
    .unwrap();
    mb.add_node(
        PhysAddr(0x300_0000),
        0x200_0000,
        NodeId(1),
        MemblockFlags::empty(),
    )
    .unwrap();
    mb.reserve(PhysAddr(0x100_0000), 0x10_0000).unwrap(); // a kernel image
    static AREA: [CmaArea<'static>; 1] = [CmaArea {
        name: "reserved",
        base: PhysAddr(0x280_0000),
        size: 0x20_0000,
    }];
    if cma {
        mb.reserve(AREA[0].base, AREA[0].size).unwrap();
    }
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, 0x3000);
    cfg.zone_limits.set(ZoneType::Normal, 0x5000);
    cfg.nodes = &NODES;
    cfg.distances = Distances::new(2, &DIST).unwrap();
    if cma {
        cfg.cma = &AREA;
    }
    let mem = VecMem::new(MEM_END, 2);
    let mut mm = Mm::boot(mem, mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    no_watermarks(&mut mm);
    // These tests look at the buddy lists themselves: no per-CPU caching in between.
    mm.pcp_disable_all().unwrap();
    mm.check().unwrap();
    mm
}

/// These tests exercise the buddy lists down to the last page: make every zone's
/// watermarks and lowmem reserves 0 (zones under 10000 pages get a zero step at scale
/// factor 1), so the watermark check never refuses a page the lists hold.
fn no_watermarks(mm: &mut Mm<VecMem>) {
    mm.set_min_free_kbytes(0).unwrap();
    mm.set_watermark_scale_factor(1).unwrap();
    mm.set_lowmem_reserve_ratio(&[0, 0, 0, 0, 0]).unwrap();
}

fn zone(mm: &Mm<VecMem>, nid: u16, zi: usize) -> &oxmm::mmzone::Zone {
    &mm.node(NodeId(nid)).unwrap().zones()[zi]
}

/// (head pfn, tail pfn) of a free list.
fn ends(
    mm: &Mm<VecMem>,
    nid: u16,
    zi: usize,
    order: u32,
    mt: MigrateType,
) -> (Option<u64>, Option<u64>) {
    let l = &zone(mm, nid, zi).free_area[order as usize].free_list[mt as usize];
    (mm.memmap().pfn_of(l.head()), mm.memmap().pfn_of(l.tail()))
}

const DMA32_MOVABLE: Gfp = Gfp::DMA32.union(Gfp::MOVABLE);

/// Allocate every movable block of orders 0..=9 in node 0's DMA32, so that the next
/// allocations split an order-10 block, and every unmovable block (boot's per-CPU
/// areas claimed one pageblock), so that the next unmovable request falls back.
/// Returns the blocks taken.
fn drain_low_orders(mm: &mut Mm<VecMem>) -> Vec<(u64, u32)> {
    let mut taken = vec![];
    for o in 0..=10 {
        while ends(mm, 0, DMA32, o, MigrateType::Unmovable).0.is_some() {
            let p = mm.alloc_pages_node(NodeId(0), Gfp::DMA32, o).unwrap();
            taken.push((p.0, o));
        }
    }
    for o in 0..10 {
        while ends(mm, 0, DMA32, o, MigrateType::Movable).0.is_some() {
            let p = mm.alloc_pages_node(NodeId(0), DMA32_MOVABLE, o).unwrap();
            taken.push((p.0, o));
        }
    }
    taken
}

#[test]
fn split_and_merge_placement() {
    let mut mm = boot(false);
    drain_low_orders(&mut mm);
    let before10 = zone(&mm, 0, DMA32).nr_free(10);
    let free0 = zone(&mm, 0, DMA32).free_pages();
    let h = ends(&mm, 0, DMA32, 10, MigrateType::Movable).0.unwrap();
    let a = |mm: &mut Mm<VecMem>, o| mm.alloc_pages_node(NodeId(0), DMA32_MOVABLE, o).unwrap().0;
    // Split: the lower half is returned, upper halves go to the heads of each order.
    assert_eq!(a(&mut mm, 0), h);
    for o in 0..10 {
        assert_eq!(
            ends(&mm, 0, DMA32, o, MigrateType::Movable).0,
            Some(h + (1 << o)),
            "order {o}"
        );
    }
    assert_eq!(zone(&mm, 0, DMA32).nr_free(10), before10 - 1);
    assert_eq!(a(&mut mm, 0), h + 1);
    assert_eq!(a(&mut mm, 1), h + 2);
    assert_eq!(a(&mut mm, 2), h + 4);
    assert_eq!(a(&mut mm, 0), h + 8); // splits the order-3 block at h + 8
    assert_eq!(ends(&mm, 0, DMA32, 0, MigrateType::Movable).0, Some(h + 9));
    assert_eq!(ends(&mm, 0, DMA32, 1, MigrateType::Movable).0, Some(h + 10));
    mm.check().unwrap();

    // h+2 cannot merge (h is allocated) and h+4 (order 2 buddy of the merged h) is
    // allocated: head.
    mm.free_pages(Pfn(h + 2), 1).unwrap();
    assert_eq!(
        ends(&mm, 0, DMA32, 1, MigrateType::Movable),
        (Some(h + 2), Some(h + 10))
    );
    // h+1 cannot merge, but the order-1 buddy of its pair (h+2) is free: tail.
    mm.free_pages(Pfn(h + 1), 0).unwrap();
    assert_eq!(
        ends(&mm, 0, DMA32, 0, MigrateType::Movable),
        (Some(h + 9), Some(h + 1))
    );
    // h merges with h+1 and h+2 into order 2; h+8 at order 3 is allocated: head.
    mm.free_pages(Pfn(h), 0).unwrap();
    assert!(mm.memmap().page(h).unwrap().is_buddy());
    assert_eq!(mm.memmap().page(h).unwrap().buddy_order(), 2);
    assert_eq!(
        ends(&mm, 0, DMA32, 2, MigrateType::Movable),
        (Some(h), Some(h + 12))
    );
    assert!(!mm.memmap().page(h + 2).unwrap().is_buddy());
    // h+4 merges into order 3 at h; the order-4 buddy h+16 is free: tail.
    mm.free_pages(Pfn(h + 4), 2).unwrap();
    assert_eq!(ends(&mm, 0, DMA32, 3, MigrateType::Movable).1, Some(h));
    mm.check().unwrap();
    // The last piece merges all the way back to order 10.
    mm.free_pages(Pfn(h + 8), 0).unwrap();
    for o in 0..10 {
        assert_eq!(
            ends(&mm, 0, DMA32, o, MigrateType::Movable).0,
            None,
            "order {o}"
        );
    }
    assert_eq!(mm.memmap().page(h).unwrap().buddy_order(), 10);
    assert_eq!(zone(&mm, 0, DMA32).nr_free(10), before10);
    assert_eq!(zone(&mm, 0, DMA32).free_pages(), free0);
    mm.check().unwrap();
}

#[test]
fn cma_pageblock_never_merges_with_movable_buddy() {
    let mut mm = boot(true);
    let cma = 0x2800u64; // pfn of the CMA pageblock
    let buddy = cma ^ 512;
    assert_eq!(
        mm.pageblock_migratetype(NodeId(0), DMA32, cma),
        Some(MigrateType::Cma)
    );
    assert_eq!(mm.memmap().page(cma).unwrap().buddy_order(), 9);
    assert!(zone(&mm, 0, DMA32).free_cma_pages() >= 512);
    // Unmovable requests never get CMA pages.
    let taken = drain_low_orders(&mut mm);
    assert!(
        taken.contains(&(buddy, 9)),
        "the movable buddy block was on the order-9 list"
    );
    mm.free_pages(Pfn(buddy), 9).unwrap();
    // Freed next to a free CMA block of the same order: no merge.
    let (c, b) = (
        mm.memmap().page(cma).unwrap(),
        mm.memmap().page(buddy).unwrap(),
    );
    assert!(c.is_buddy() && b.is_buddy());
    assert_eq!((c.buddy_order(), b.buddy_order()), (9, 9));
    mm.check().unwrap();
    // Movable allocations may use CMA; unmovable ones never do.
    let z = zone(&mm, 0, DMA32);
    let (free, cma_free) = (z.free_pages(), z.free_cma_pages());
    let mut got = vec![];
    while let Ok(p) = mm.alloc_pages_node(NodeId(0), Gfp::DMA32, 0) {
        if zone(&mm, 0, DMA32).free_pages() == 0 || got.len() > free as usize {
            break;
        }
        got.push(p);
        assert_ne!(
            mm.pageblock_migratetype(NodeId(0), DMA32, p.0),
            Some(MigrateType::Cma),
            "unmovable page {:#x} from CMA",
            p.0
        );
    }
    assert_eq!(zone(&mm, 0, DMA32).free_cma_pages(), cma_free);
    let p = mm.alloc_pages_node(NodeId(0), DMA32_MOVABLE, 0).unwrap();
    assert_eq!(
        mm.pageblock_migratetype(NodeId(0), DMA32, p.0),
        Some(MigrateType::Cma)
    );
    mm.check().unwrap();
    let mut pt = String::new();
    mm.pagetypeinfo(&mut pt).unwrap();
    assert!(pt.contains("Node    0, zone    DMA32, type          CMA "));
    assert!(pt.contains("  HighAtomic          CMA      Isolate \n"));
}

#[test]
fn fallback_claims_whole_pageblocks_and_obeys_half_rule() {
    let mut mm = boot(false);
    let free0 = zone(&mm, 0, DMA32).free_pages();
    // Order >= pageblock_order: an unmovable request claims the whole order-10 block.
    let taken = drain_low_orders(&mut mm);
    let h = ends(&mm, 0, DMA32, 10, MigrateType::Movable).0.unwrap();
    let p = mm.alloc_pages_node(NodeId(0), Gfp::DMA32, 0).unwrap().0;
    assert_eq!(p, h);
    for pb in [h, h + 512] {
        assert_eq!(
            mm.pageblock_migratetype(NodeId(0), DMA32, pb),
            Some(MigrateType::Unmovable)
        );
    }
    assert_eq!(
        ends(&mm, 0, DMA32, 9, MigrateType::Unmovable).0,
        Some(h + 512)
    );
    mm.check().unwrap();
    mm.free_pages(Pfn(p), 0).unwrap();
    assert_eq!(ends(&mm, 0, DMA32, 10, MigrateType::Unmovable).0, Some(h));
    for (p, o) in taken {
        mm.free_pages(Pfn(p), o).unwrap();
    }
    mm.check().unwrap();

    // Fill DMA32 completely with movable order-0 pages, then free 8 pages of one block.
    let mut pages = vec![];
    while zone(&mm, 0, DMA32).free_pages() > 0 {
        pages.push(mm.alloc_pages_node(NodeId(0), DMA32_MOVABLE, 0).unwrap().0);
    }
    let x = 0x2000u64; // a movable pageblock inside DMA32
    assert_eq!(
        mm.pageblock_migratetype(NodeId(0), DMA32, x),
        Some(MigrateType::Movable)
    );
    for q in x..x + 8 {
        mm.free_pages(Pfn(q), 0).unwrap();
    }
    assert_eq!(mm.memmap().page(x).unwrap().buddy_order(), 3);
    // Unmovable order 0: falls back to the order-3 movable block; 8 free + 504 alike
    // (allocated, not on the LRU) >= 256, so the whole pageblock becomes unmovable.
    let u = mm.alloc_pages_node(NodeId(0), Gfp::DMA32, 0).unwrap().0;
    assert_eq!(u, x);
    assert_eq!(
        mm.pageblock_migratetype(NodeId(0), DMA32, x),
        Some(MigrateType::Unmovable)
    );
    assert_eq!(
        ends(&mm, 0, DMA32, 2, MigrateType::Unmovable).0,
        Some(x + 4)
    );
    mm.check().unwrap();
    // A movable order-0 request cannot claim (order < 4): it takes the smallest
    // unmovable block (x+1) and leaves the pageblock's type alone.
    let m = mm.alloc_pages_node(NodeId(0), DMA32_MOVABLE, 0).unwrap().0;
    assert_eq!(m, x + 1);
    assert_eq!(
        mm.pageblock_migratetype(NodeId(0), DMA32, x),
        Some(MigrateType::Unmovable)
    );
    mm.check().unwrap();
    for q in pages
        .into_iter()
        .filter(|&q| !(x..x + 8).contains(&q))
        .chain([u, m])
    {
        mm.free_pages(Pfn(q), 0).unwrap();
    }
    mm.check().unwrap();
    assert_eq!(zone(&mm, 0, DMA32).free_pages(), free0);
}

#[test]
fn gfp_zones_nodes_zero_and_compound() {
    let mm = boot(false);
    let dma = mm.alloc_pages(Gfp::DMA, 0).unwrap();
    assert!(dma.0 < 0x1000);
    let d32 = mm.alloc_pages(Gfp::DMA32, 3).unwrap();
    assert!((0x1000..0x3000).contains(&d32.0));
    // CPU 0 is on node 0, which has no Normal zone: GFP_KERNEL falls back to node 0's
    // DMA32 first (the zonelist: node 0 high to low, then node 1).
    let k = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    assert!((0x1000..0x3000).contains(&k.0));
    let n1 = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 0).unwrap();
    assert!(n1.0 >= 0x3000);
    assert_eq!(
        mm.alloc_pages_node(NodeId(0), Gfp::DMA | Gfp::THISNODE, 11),
        Err(AllocError::OrderTooLarge(11))
    );
    assert!(matches!(
        mm.alloc_pages(Gfp::DMA | Gfp::DMA32, 0),
        Err(AllocError::BadGfp(_))
    ));
    assert!(matches!(
        mm.alloc_pages(Gfp::MOVABLE | Gfp::RECLAIMABLE, 0),
        Err(AllocError::BadGfp(_))
    ));
    assert_eq!(
        mm.alloc_pages_node(NodeId(5), Gfp::KERNEL, 0),
        Err(AllocError::NoNode(NodeId(5)))
    );

    // __GFP_ZERO zeroes through the direct map.
    let base = mm.platform().direct_map_base();
    let dirty = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 0).unwrap();
    // SAFETY: the page was just allocated in the Vec-backed memory.
    unsafe { std::ptr::write_bytes(base.add((dirty.0 << 12) as usize), 0xaa, 4096) };
    mm.free_pages(dirty, 0).unwrap();
    let mut held = vec![];
    loop {
        let p = mm
            .alloc_pages_node(NodeId(1), Gfp::KERNEL | Gfp::ZERO, 0)
            .unwrap();
        if p == dirty {
            break;
        }
        held.push(p);
    }
    // SAFETY: as above.
    let bytes = unsafe { std::slice::from_raw_parts(base.add((dirty.0 << 12) as usize), 4096) };
    assert!(bytes.iter().all(|&b| b == 0));
    for p in held {
        mm.free_pages(p, 0).unwrap();
    }

    // __GFP_COMP marks head and tails.
    let c = mm
        .alloc_pages_node(NodeId(1), Gfp::KERNEL | Gfp::COMP, 2)
        .unwrap();
    assert!(mm.memmap().page(c.0).unwrap().flags() & PG_HEAD != 0);
    assert_eq!(mm.memmap().page(c.0).unwrap().refcount(), 1);
    for t in 1..4 {
        let tp = mm.memmap().page(c.0 + t).unwrap();
        assert_eq!(tp.private(), COMPOUND_TAIL | c.0);
        assert_eq!(tp.refcount(), 0);
    }
    mm.free_pages(c, 2).unwrap();
    assert!(mm.memmap().page(c.0 + 1).unwrap().private() == 0);
    for (p, o) in [(dma, 0), (d32, 3), (k, 0), (n1, 0), (dirty, 0)] {
        mm.free_pages(p, o).unwrap();
    }
    mm.check().unwrap();
}

#[test]
fn bad_frees_are_refused_untouched() {
    let mut mm = boot(false);
    let free = mm.nr_free_pages();
    let c = mm
        .alloc_pages_node(NodeId(1), Gfp::KERNEL | Gfp::COMP, 2)
        .unwrap();
    let p = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 2).unwrap();
    let reason = |mm: &mut Mm<VecMem>, pfn: u64, o| mm.free_pages(Pfn(pfn), o).unwrap_err().reason;
    assert_eq!(reason(&mut mm, c.0 + 1, 0), BadPageReason::TailPage);
    assert_eq!(reason(&mut mm, c.0 + 2, 1), BadPageReason::TailPage);
    assert_eq!(
        reason(&mut mm, c.0, 1),
        BadPageReason::WrongOrder { allocated: 2 }
    );
    assert_eq!(
        reason(&mut mm, p.0, 1),
        BadPageReason::WrongOrder { allocated: 2 }
    );
    // An order-3 free of the order-2 block: misaligned, or (if aligned) the wrong order.
    let r3 = reason(&mut mm, p.0, 3);
    if p.0 % 8 == 0 {
        assert_eq!(r3, BadPageReason::WrongOrder { allocated: 2 });
    } else {
        assert_eq!(r3, BadPageReason::Misaligned);
    }
    assert_eq!(reason(&mut mm, p.0 + 2, 1), BadPageReason::DoubleFree);
    assert_eq!(reason(&mut mm, p.0 + 1, 0), BadPageReason::DoubleFree);
    assert_eq!(reason(&mut mm, p.0, 11), BadPageReason::OrderTooLarge);
    assert_eq!(reason(&mut mm, 0, 0), BadPageReason::NotManaged); // a hole
    assert_eq!(reason(&mut mm, 0x1000, 0), BadPageReason::NotManaged); // the kernel image
    assert_eq!(reason(&mut mm, 0x100_0000, 0), BadPageReason::NotManaged); // no memory
    mm.memmap_mut().page(p.0).unwrap().set_refcount(2);
    assert_eq!(reason(&mut mm, p.0, 2), BadPageReason::NonZeroRefcount(1));
    mm.memmap_mut().page(p.0).unwrap().set_refcount(1);
    // Nothing changed by the refused frees.
    assert_eq!(mm.nr_free_pages(), free - 8);
    mm.check().unwrap();
    mm.free_pages(c, 2).unwrap();
    mm.free_pages(p, 2).unwrap();
    assert_eq!(reason(&mut mm, p.0, 2), BadPageReason::DoubleFree);
    assert_eq!(reason(&mut mm, c.0, 2), BadPageReason::DoubleFree);
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
}

#[test]
fn bad_tails_are_refused_and_tail_state_cleared() {
    let mm = boot(false);
    let free = mm.nr_free_pages();
    // A non-compound order-3 block with a referenced tail: debug_vm's per-page checks
    // (Linux's check_pages_enabled) name it, and the block stays allocated.
    let p = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 3).unwrap();
    let tail = mm.memmap().page(p.0 + 5).unwrap();
    if cfg!(feature = "debug_vm") {
        tail.set_refcount(1);
        let e = mm.free_pages(p, 3).unwrap_err();
        assert_eq!(e.reason, BadPageReason::BadTail { pfn: p.0 + 5 });
        assert_eq!(mm.memmap().page(p.0).unwrap().refcount(), 1);
        tail.set_refcount(0);
    }
    // A stray PG_head on a tail passes and is cleared.
    tail.set_flags(tail.flags() | PG_HEAD);
    mm.free_pages(p, 3).unwrap();
    assert_eq!(tail.flags() & PG_HEAD, 0);
    // Likewise with more than eight tails (without debug_vm their flags are read
    // eight at a time, then the rest).
    for t in [3, 13] {
        let p = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 4).unwrap();
        let tail = mm.memmap().page(p.0 + t).unwrap();
        tail.set_flags(tail.flags() | PG_HEAD);
        mm.free_pages(p, 4).unwrap();
        assert_eq!(tail.flags() & PG_HEAD, 0, "tail {t}");
    }
    // A reserved tail: the block is not all the allocator's (a wrong pfn or order
    // over memory boot kept back), refused with or without debug_vm and left as it
    // was — eight at a time and in the remainder.
    for (order, t) in [(3u32, 5u64), (4, 3), (4, 13)] {
        let p = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, order).unwrap();
        let tail = mm.memmap().page(p.0 + t).unwrap();
        tail.set_flags(tail.flags() | PG_RESERVED | PG_HEAD);
        let e = mm.free_pages(p, order).unwrap_err();
        assert_eq!(
            e.reason,
            BadPageReason::BadTail { pfn: p.0 + t },
            "{order} {t}"
        );
        assert_eq!(mm.memmap().page(p.0).unwrap().refcount(), 1);
        assert_ne!(tail.flags() & PG_HEAD, 0, "refused untouched");
        tail.set_flags(tail.flags() & !PG_RESERVED);
        mm.free_pages(p, order).unwrap();
        assert_eq!(tail.flags() & PG_HEAD, 0);
    }
    // A compound block's tails must link to their head, with or without debug_vm.
    let c = mm
        .alloc_pages_node(NodeId(1), Gfp::KERNEL | Gfp::COMP, 3)
        .unwrap();
    let ct = mm.memmap().page(c.0 + 7).unwrap();
    ct.set_private(COMPOUND_TAIL | (c.0 + 8));
    let e = mm.free_pages(c, 3).unwrap_err();
    assert_eq!(e.reason, BadPageReason::BadTail { pfn: c.0 + 7 });
    // Refused untouched: the other tails keep their links.
    assert_eq!(
        mm.memmap().page(c.0 + 1).unwrap().private(),
        COMPOUND_TAIL | c.0
    );
    ct.set_private(COMPOUND_TAIL | c.0);
    mm.free_pages(c, 3).unwrap();
    // (The head's private is the free lists' business now.)
    assert_eq!(mm.memmap().page(c.0).unwrap().flags() & PG_HEAD, 0);
    for t in 1..8 {
        let d = mm.memmap().page(c.0 + t).unwrap();
        assert_eq!((d.private(), d.flags() & PG_HEAD), (0, 0), "tail {t}");
    }
    mm.drain_all_pages(None).unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
}

#[test]
fn buddyinfo_format() {
    let mm = boot(false);
    let mut s = String::new();
    mm.buddyinfo(&mut s).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("Node 0, zone      DMA "));
    assert!(lines[1].starts_with("Node 0, zone    DMA32 "));
    assert!(lines[2].starts_with("Node 1, zone   Normal "));
    for l in &lines {
        // 11 columns of "{:>6} " after the 22-character prefix.
        assert_eq!(l.len(), 22 + 11 * 7);
        assert!(l.ends_with(' '));
    }
    // Same columns as Linux 6.12's own output.
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/linux-6.12-qemu/q35-numa2-4g/buddyinfo.txt"),
    )
    .unwrap();
    for (ours, theirs) in lines.iter().zip(fixture.lines()) {
        assert_eq!(ours.len(), theirs.len());
        assert_eq!(ours[..22], theirs[..22]);
        let sp = |l: &str| {
            l.char_indices()
                .filter(|c| c.1 == ' ')
                .map(|c| c.0)
                .filter(|&i| i >= 22 && (i - 22) % 7 == 6)
                .count()
        };
        assert_eq!(sp(ours), sp(theirs));
    }
    let n10 = zone(&mm, 1, 2).nr_free(10);
    assert!(lines[2].ends_with(&format!("{n10:>6} ")));
    let p = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 0).unwrap();
    let mut t = String::new();
    mm.buddyinfo(&mut t).unwrap();
    assert_ne!(s, t);
    mm.free_pages(p, 0).unwrap();
    let mut u = String::new();
    mm.buddyinfo(&mut u).unwrap();
    assert_eq!(s, u);
    let mut pt = String::new();
    mm.pagetypeinfo(&mut pt).unwrap();
    assert!(pt.starts_with("Page block order: 9\nPages per block:  512\n\nFree pages count per migrate type at order       0      1"));
    assert!(pt.contains("\nNumber of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"));
    assert!(pt.contains("Node    1, zone   Normal, type      Movable "));
    // The same layout as Linux 6.12's file for this machine's zones (no CONFIG_CMA).
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/linux-6.12-qemu/q35-numa2-4g/pagetypeinfo.txt"),
    )
    .unwrap();
    assert_eq!(pt.lines().count(), fixture.lines().count());
    let words = |l: &str| -> Vec<String> {
        l.split_whitespace()
            .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
            .map(String::from)
            .collect()
    };
    for (ours, theirs) in pt.lines().zip(fixture.lines()) {
        assert_eq!(ours.len(), theirs.len(), "{ours:?} vs {theirs:?}");
        assert_eq!(words(ours), words(theirs));
    }
}

#[derive(Clone, Debug)]
enum Op {
    Alloc {
        order: u32,
        mobility: u8,
        zone: u8,
        node: u16,
    },
    Free(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u32..=10, 0u8..3, 0u8..3, 0u16..2).prop_map(|(order, mobility, zone, node)| Op::Alloc { order, mobility, zone, node }),
        2 => any::<usize>().prop_map(Op::Free),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_alloc_free_matches_model(ops in prop::collection::vec(op(), 1..120)) {
        let mm = boot(false);
        let snapshot: Vec<(u64, [u64; 11])> = mm.nodes().flat_map(|n| n.zones().iter())
            .map(|z| (z.free_pages(), core::array::from_fn(|o| z.nr_free(o as u32)))).collect();
        let total = mm.nr_free_pages();
        let mut model: BTreeMap<u64, u32> = BTreeMap::new();
        let mut used = 0u64;
        for op in ops {
            match op {
                Op::Alloc { order, mobility, zone, node } => {
                    let mut gfp = [Gfp::empty(), Gfp::MOVABLE, Gfp::RECLAIMABLE][mobility as usize];
                    gfp |= [Gfp::empty(), Gfp::DMA, Gfp::DMA32][zone as usize];
                    match mm.alloc_pages_node(NodeId(node), gfp, order) {
                        Ok(p) => {
                            let (s, e) = (p.0, p.0 + (1 << order));
                            prop_assert_eq!(s % (1 << order), 0);
                            if let Some((&ps, &po)) = model.range(..e).next_back() {
                                prop_assert!(ps + (1 << po) <= s, "{:#x} overlaps {:#x}", s, ps);
                            }
                            let d = mm.memmap().page(s).unwrap();
                            let limit = [0x3000, 0x1000, 0x3000][zone as usize];
                            prop_assert!(zone == 0 || s < limit);
                            prop_assert_eq!(d.refcount(), 1);
                            model.insert(s, order);
                            used += 1 << order;
                        }
                        Err(AllocError::NoMemory { .. }) => {}
                        Err(e) => prop_assert!(false, "{}", e),
                    }
                }
                Op::Free(i) => {
                    if model.is_empty() { continue; }
                    let (&p, &o) = model.iter().nth(i % model.len()).unwrap();
                    mm.free_pages(Pfn(p), o).unwrap();
                    model.remove(&p);
                    used -= 1 << o;
                }
            }
            prop_assert!(mm.check().is_ok(), "{}", mm.check().unwrap_err());
            prop_assert_eq!(mm.nr_free_pages(), total - used);
        }
        for (p, o) in std::mem::take(&mut model) {
            mm.free_pages(Pfn(p), o).unwrap();
        }
        mm.check().unwrap();
        let after: Vec<(u64, [u64; 11])> = mm.nodes().flat_map(|n| n.zones().iter())
            .map(|z| (z.free_pages(), core::array::from_fn(|o| z.nr_free(o as u32)))).collect();
        prop_assert_eq!(after, snapshot);
    }
}

#[test]
fn grouping_disabled_on_a_tiny_machine() {
    // 8 MiB: fewer pages than pageblock_nr_pages * MIGRATE_TYPES, so
    // page_group_by_mobility_disabled; every request is Unmovable and claims blocks.
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), (8 << 20) - 0x1000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, 0x1000);
    cfg.zone_limits.set(ZoneType::Normal, 0x1000);
    let mem = VecMem::new(8 << 20, 2);
    let mut mm = Mm::boot(mem, mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    no_watermarks(&mut mm);
    mm.pcp_disable_all().unwrap();
    assert!(mm.mobility_disabled());
    let free = mm.nr_free_pages();
    let mut got = vec![];
    while let Ok(p) = mm.alloc_pages(Gfp::HIGHUSER_MOVABLE, 0) {
        got.push(p);
        // Requests are Unmovable, and stealing claims the whole pageblock.
        assert_eq!(
            mm.pageblock_migratetype(NodeId(0), 0, p.0),
            Some(MigrateType::Unmovable)
        );
    }
    assert_eq!(got.len() as u64, free);
    assert_eq!(mm.nr_free_pages(), 0);
    mm.check().unwrap();
    for p in got {
        mm.free_pages(p, 0).unwrap();
    }
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
}
