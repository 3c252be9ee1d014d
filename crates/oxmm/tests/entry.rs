//! The allocator's other entry points: `__get_free_pages`, `get_zeroed_page`,
//! `free_pages`, `alloc_pages_exact(_nid)`, `free_pages_exact`, `split_page`,
//! `alloc_pages_bulk`, and the `PageBlock` owner.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::{boot_boxed, boot_numa, ThreadMem};

use oxmm::boot::{Arch, BootConfig};
use oxmm::gfp::Gfp;
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::ZoneType;
use oxmm::page_alloc::entry::{get_order, EntryError, PageBlock};
use oxmm::page_alloc::{AllocError, BadPage, BadPageReason};
use oxmm::platform::Platform;
use oxmm::types::{NodeId, NodeMask, Pfn, PhysAddr, VirtAddr};

const DMA32: usize = 1;

/// One node, `mib` MiB from 4 KiB, `cpus` CPUs.
fn boot(mib: u64, cpus: usize) -> Box<Mm<ThreadMem>> {
    let end = mib << 20;
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), end - 0x1000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, end >> 12);
    cfg.zone_limits.set(ZoneType::Normal, end >> 12);
    cfg.nr_cpus = cpus as u32;
    let mm = boot_boxed(ThreadMem::new(end, cpus), mb, &cfg, BootMode::Full);
    mm.check().unwrap();
    mm
}

/// Free pages including those parked on per-CPU lists.
fn free_total(mm: &Mm<ThreadMem>) -> u64 {
    mm.nr_free_pages() + mm.nr_pcp_pages()
}

fn bytes(mm: &Mm<ThreadMem>, addr: VirtAddr, len: usize) -> &[u8] {
    let base = mm.platform().direct_map_base() as u64;
    let phys = (addr.0 - base) as usize;
    // SAFETY: test memory: the Vec behind the direct map covers every managed page.
    unsafe { std::slice::from_raw_parts(mm.platform().direct_map_base().add(phys), len) }
}

fn fill(mm: &Mm<ThreadMem>, addr: VirtAddr, len: usize, v: u8) {
    let base = mm.platform().direct_map_base() as u64;
    let phys = (addr.0 - base) as usize;
    // SAFETY: as in `bytes`; the caller owns the block.
    unsafe { std::ptr::write_bytes(mm.platform().direct_map_base().add(phys), v, len) }
}

#[test]
fn get_free_pages_returns_the_direct_map_address() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    let a = mm.get_free_pages(Gfp::KERNEL, 2).unwrap();
    let pfn = mm.virt_to_pfn(a).unwrap();
    assert_eq!(mm.page_address(pfn), a);
    assert_eq!(
        a.0 - mm.platform().direct_map_base() as u64,
        pfn.0 << 12,
        "page_address = PAGE_OFFSET + pfn << PAGE_SHIFT"
    );
    assert_eq!(pfn.0 % 4, 0);
    assert_eq!(mm.memmap().page(pfn.0).unwrap().refcount(), 1);
    assert_eq!(free_total(&mm), free - 4);
    mm.check().unwrap();
    mm.free_pages_addr(a, 2).unwrap();
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
}

#[test]
fn get_zeroed_page_zeroes_a_dirty_page() {
    let mm = boot(64, 1);
    let a = mm.get_free_pages(Gfp::KERNEL, 0).unwrap();
    fill(&mm, a, 4096, 0xa5);
    mm.free_pages_addr(a, 0).unwrap();
    // The hot page comes back first from the per-CPU list: the same, dirty page.
    let z = mm.get_zeroed_page(Gfp::KERNEL).unwrap();
    assert_eq!(z, a);
    assert!(bytes(&mm, z, 4096).iter().all(|&b| b == 0));
    // Without __GFP_ZERO the contents are left alone.
    fill(&mm, z, 4096, 0x5a);
    mm.free_pages_addr(z, 0).unwrap();
    let d = mm.get_free_pages(Gfp::KERNEL, 0).unwrap();
    assert_eq!(d, z);
    assert!(bytes(&mm, d, 4096).iter().all(|&b| b == 0x5a));
    mm.free_pages_addr(d, 0).unwrap();
    mm.check().unwrap();
}

#[test]
fn bad_orders_sizes_and_addresses_are_refused_by_name() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    let e = mm.get_free_pages(Gfp::KERNEL, 11).unwrap_err();
    assert_eq!(e, AllocError::OrderTooLarge(11));
    assert!(e.to_string().contains("order 11"));
    assert_eq!(
        mm.alloc_pages_exact(0, Gfp::KERNEL).unwrap_err(),
        EntryError::BadSize(0)
    );
    let big = (4 << 20) + 1;
    let e = mm.alloc_pages_exact(big, Gfp::KERNEL).unwrap_err();
    assert_eq!(e, EntryError::BadSize(big));
    assert!(e.to_string().contains("4194305"));
    assert_eq!(
        mm.alloc_pages_exact_nid(NodeId(0), big, Gfp::KERNEL)
            .unwrap_err(),
        EntryError::BadSize(big)
    );
    assert_eq!(
        mm.alloc_pages_exact_nid(NodeId(3), 4096, Gfp::KERNEL)
            .unwrap_err(),
        EntryError::Alloc(AllocError::NoNode(NodeId(3)))
    );
    // Outside the direct map, or past the memory map.
    let below = VirtAddr(mm.platform().direct_map_base() as u64 - 4096);
    assert_eq!(
        mm.free_pages_addr(below, 0).unwrap_err(),
        EntryError::BadAddress(below)
    );
    let past = mm.page_address(Pfn(mm.max_pfn() + 0x10_0000));
    assert_eq!(
        mm.free_pages_addr(past, 0).unwrap_err(),
        EntryError::BadAddress(past)
    );
    // A page that is free is a double free.
    let a = mm.get_free_pages(Gfp::KERNEL, 0).unwrap();
    mm.free_pages_addr(a, 0).unwrap();
    let pfn = mm.virt_to_pfn(a).unwrap();
    assert_eq!(
        mm.free_pages_addr(a, 0).unwrap_err(),
        EntryError::BadPage(BadPage {
            pfn: pfn.0,
            order: 0,
            reason: BadPageReason::DoubleFree
        })
    );
    // Freeing with the wrong order.
    let a = mm.get_free_pages(Gfp::KERNEL, 1).unwrap();
    let e = mm.free_pages_addr(a, 0).unwrap_err();
    assert!(matches!(
        e,
        EntryError::BadPage(BadPage {
            reason: BadPageReason::WrongOrder { allocated: 1 },
            ..
        })
    ));
    mm.free_pages_addr(a, 1).unwrap();
    // Address 0 is ignored, as free_pages(0, order) is.
    mm.free_pages_addr(VirtAddr(0), 0).unwrap();
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
}

#[test]
fn get_order_matches_linux() {
    for (size, order) in [
        (1, 0),
        (4096, 0),
        (4097, 1),
        (8192, 1),
        (8193, 2),
        (5 * 4096, 3),
        (1 << 20, 8),
        (4 << 20, 10),
    ] {
        assert_eq!(get_order(size, 12), Some(order), "size {size}");
    }
    assert_eq!(get_order(0, 12), None);
    assert_eq!(get_order((4 << 20) + 1, 12), None);
    assert_eq!(get_order(64 << 10, 16), Some(0));
}

#[test]
fn alloc_pages_exact_returns_the_tail_pages() {
    let mm = boot(64, 1);
    // Exact counts: no per-CPU caching.
    mm.pcp_disable_all().unwrap();
    for pages in 1..=17u64 {
        let size = (pages * 4096 - 100) as usize;
        let order = get_order(size, 12).unwrap();
        let free = mm.nr_free_pages();
        let a = mm.alloc_pages_exact(size, Gfp::KERNEL).unwrap();
        let pfn = mm.virt_to_pfn(a).unwrap();
        assert_eq!(pfn.0 % (1 << order), 0);
        assert_eq!(mm.nr_free_pages(), free - pages, "{pages} pages kept");
        for i in 0..pages {
            let d = mm.memmap().page(pfn.0 + i).unwrap();
            assert_eq!((d.refcount(), d.private(), d.is_buddy()), (1, 0, false));
        }
        // The tail went back: the first unused page is free.
        if pages < 1 << order {
            assert!(mm.memmap().page(pfn.0 + pages).unwrap().is_buddy());
        }
        mm.check().unwrap();
        mm.free_pages_exact(a, size).unwrap();
        assert_eq!(mm.nr_free_pages(), free);
        mm.check().unwrap();
    }
}

#[test]
fn alloc_pages_exact_with_per_cpu_lists_and_comp_dropped() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    let a = mm
        .alloc_pages_exact(3 * 4096, Gfp::KERNEL | Gfp::COMP | Gfp::ZERO)
        .unwrap();
    assert_eq!(free_total(&mm), free - 3);
    let pfn = mm.virt_to_pfn(a).unwrap();
    for i in 0..3 {
        let d = mm.memmap().page(pfn.0 + i).unwrap();
        assert!(!d.is_head(), "__GFP_COMP is dropped");
        assert_eq!(d.private(), 0);
    }
    assert!(bytes(&mm, a, 3 * 4096).iter().all(|&b| b == 0));
    mm.check().unwrap();
    // Each kept page is a page of its own: free one alone, then the rest.
    mm.free_pages(Pfn(pfn.0 + 1), 0).unwrap();
    assert_eq!(free_total(&mm), free - 2);
    mm.free_pages_exact(a, 4096).unwrap();
    mm.free_pages_exact(mm.page_address(Pfn(pfn.0 + 2)), 1)
        .unwrap();
    assert_eq!(free_total(&mm), free);
    // A second exact free finds them free: every page reported, the first returned.
    let e = mm.free_pages_exact(a, 3 * 4096).unwrap_err();
    assert!(matches!(
        e,
        EntryError::BadPage(BadPage {
            reason: BadPageReason::DoubleFree,
            ..
        })
    ));
    let log = mm.platform().take_log();
    let reports = log
        .iter()
        .filter(|l| l.starts_with("BUG: Bad page state"))
        .count();
    assert_eq!(reports, 3);
    mm.check().unwrap();
}

#[test]
fn alloc_pages_exact_nid_takes_the_node() {
    let mm = boot_numa(32);
    let free = free_total(&mm);
    let a = mm
        .alloc_pages_exact_nid(NodeId(1), 6 * 4096, Gfp::KERNEL)
        .unwrap();
    let pfn = mm.virt_to_pfn(a).unwrap();
    for i in 0..6 {
        assert_eq!(mm.memmap().page(pfn.0 + i).unwrap().nid(), 1);
    }
    assert_eq!(free_total(&mm), free - 6);
    mm.check().unwrap();
    mm.free_pages_exact(a, 6 * 4096).unwrap();
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
}

/// Order-0 frees find their descriptor and zone off the fast ways too: node 1's
/// Normal pages lie outside node 0's memmap block (so outside the memmap's linear
/// window: the section table is read) and outside the zone the free path guesses
/// (`GFP_KERNEL`'s first on node 0, its DMA32), as do node 0's DMA pages. Every
/// page goes back to its own zone: each zone's free count returns to where it was.
#[test]
fn order0_frees_return_to_their_zone_on_every_node() {
    // 128 MiB a node: a section each, node 1's memmap in its own block.
    let mm = boot_numa(128);
    let (base, pages) = mm.memmap().linear_window();
    assert_eq!((base, pages), (0, 128 << 8), "node 0's section alone");
    let zone_free = |mm: &Mm<ThreadMem>| -> Vec<u64> {
        mm.nodes()
            .flat_map(|n| n.zones().iter().map(|z| z.free_pages()))
            .collect()
    };
    mm.drain_all_pages(None).unwrap();
    let before = zone_free(&mm);
    let cases = [
        (NodeId(0), Gfp::DMA, 0usize),
        (NodeId(0), Gfp::DMA32, DMA32),
        (NodeId(0), Gfp::KERNEL, DMA32),
        (NodeId(1), Gfp::KERNEL | Gfp::THISNODE, 2),
    ];
    for (nid, gfp, zone) in cases {
        let pfns: Vec<Pfn> = (0..40)
            .map(|_| mm.alloc_pages_node(nid, gfp, 0).unwrap())
            .collect();
        for &p in &pfns {
            let d = mm.memmap().page(p.0).unwrap();
            assert_eq!((d.nid(), d.zone_idx()), (nid.0, zone), "pfn {:#x}", p.0);
        }
        for p in pfns {
            mm.free_pages(p, 0).unwrap();
        }
        mm.check().unwrap();
    }
    mm.drain_all_pages(None).unwrap();
    assert_eq!(zone_free(&mm), before);
}

#[test]
fn split_page_then_free_each_page() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    for order in [1u32, 3, 4, 10] {
        let pfn = mm.alloc_pages(Gfp::KERNEL, order).unwrap();
        mm.split_page(pfn, order).unwrap();
        for i in 0..1u64 << order {
            let d = mm.memmap().page(pfn.0 + i).unwrap();
            assert_eq!((d.refcount(), d.private()), (1, 0));
        }
        mm.check().unwrap();
        // Free out of order: odd pages first.
        for i in (1..1u64 << order)
            .step_by(2)
            .chain((0..1u64 << order).step_by(2))
        {
            mm.free_pages(Pfn(pfn.0 + i), 0).unwrap();
        }
        mm.check().unwrap();
        assert_eq!(free_total(&mm), free, "order {order}");
    }
    // Once drained, the pages merge back into whole blocks.
    mm.drain_all_pages(None).unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
}

#[test]
fn split_page_refuses_what_it_cannot_split() {
    let mm = boot(64, 1);
    let bad = |pfn: Pfn, order, reason| BadPage {
        pfn: pfn.0,
        order,
        reason,
    };
    let p = mm.alloc_pages(Gfp::KERNEL, 2).unwrap();
    assert_eq!(
        mm.split_page(p, 1).unwrap_err(),
        bad(p, 1, BadPageReason::WrongOrder { allocated: 2 })
    );
    assert_eq!(
        mm.split_page(Pfn(p.0 + 1), 0).unwrap_err().reason,
        BadPageReason::DoubleFree,
        "a tail page without a reference"
    );
    assert_eq!(
        mm.split_page(p, 11).unwrap_err(),
        bad(p, 11, BadPageReason::OrderTooLarge)
    );
    assert_eq!(
        mm.split_page(Pfn(p.0 + 2), 2).unwrap_err(),
        bad(Pfn(p.0 + 2), 2, BadPageReason::Misaligned)
    );
    mm.free_pages(p, 2).unwrap();
    // A compound page is not split here.
    let c = mm.alloc_pages(Gfp::KERNEL | Gfp::COMP, 2).unwrap();
    assert!(mm.split_page(c, 2).is_err());
    assert_eq!(
        mm.split_page(Pfn(c.0 + 1), 0).unwrap_err().reason,
        BadPageReason::TailPage
    );
    mm.free_pages(c, 2).unwrap();
    // Nothing changed by the refusals: the blocks free as allocated.
    mm.check().unwrap();
}

#[test]
fn bulk_fills_exactly_the_empty_slots() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    let x = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    let y = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    let mut pages = [None, Some(x), None, None, Some(y), None, None, None];
    let n = mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut pages);
    assert_eq!(n, pages.len());
    assert_eq!((pages[1], pages[4]), (Some(x), Some(y)));
    let mut all: Vec<u64> = pages.iter().map(|p| p.unwrap().0).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 8, "every slot a different page");
    assert_eq!(free_total(&mm), free - 8);
    // One zone, and every new page prepared like alloc_pages's.
    for p in pages.iter().flatten() {
        let d = mm.memmap().page(p.0).unwrap();
        assert_eq!((d.zone_idx(), d.refcount(), d.private()), (DMA32, 1, 0));
    }
    mm.check().unwrap();
    // A full array allocates nothing.
    assert_eq!(
        mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut pages),
        8
    );
    assert_eq!(free_total(&mm), free - 8);
    // An empty array neither.
    assert_eq!(
        mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut []),
        0
    );
    for p in pages.iter_mut() {
        mm.free_pages(p.take().unwrap(), 0).unwrap();
    }
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
}

#[test]
fn bulk_with_one_missing_page_or_too_large_a_request_takes_one_page() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    let x = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    let mut pages = [Some(x), None];
    assert_eq!(
        mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut pages),
        2
    );
    assert_eq!(free_total(&mm), free - 2);
    // More pages than any zone has above its low watermark: one page only.
    let mut many = vec![None; 20_000];
    assert_eq!(
        mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut many),
        1
    );
    assert!(many[0].is_some() && many[1..].iter().all(|p| p.is_none()));
    assert_eq!(free_total(&mm), free - 3);
    for p in pages.iter().chain(many.iter()).flatten() {
        mm.free_pages(*p, 0).unwrap();
    }
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
}

#[test]
fn bulk_needs_the_whole_request_above_the_low_watermark() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    let z = &mm.node(NodeId(0)).unwrap().zones()[DMA32];
    // More than the DMA zone holds, so only DMA32 can take it.
    let want = 5000usize;
    let dma = &mm.node(NodeId(0)).unwrap().zones()[0];
    assert!(dma.free_pages() < want as u64);
    let low = z.watermarks().low();
    let mut held = vec![];
    // Comfortably above low + nr_pages: the whole request from the per-CPU path.
    while z.free_pages() > low + want as u64 + 600 {
        held.push(mm.alloc_pages(Gfp::KERNEL, 0).unwrap());
    }
    let mut pages = vec![None; want];
    let n = mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut pages);
    assert_eq!(n, want);
    assert!(pages
        .iter()
        .all(|p| p.is_some_and(|p| mm.memmap().page(p.0).unwrap().zone_idx() == DMA32)));
    mm.check().unwrap();
    for p in pages.iter_mut() {
        mm.free_pages(p.take().unwrap(), 0).unwrap();
    }
    mm.drain_all_pages(None).unwrap();
    // Below it (but above the low watermark), and no other local zone qualifies:
    // one page through the ordinary path.
    while z.free_pages() > low + want as u64 - 200 {
        held.push(mm.alloc_pages(Gfp::KERNEL, 0).unwrap());
    }
    assert!(z.free_pages() > low + 100);
    let n = mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut pages);
    assert_eq!(n, 1);
    assert!(pages[1..].iter().all(|p| p.is_none()));
    mm.check().unwrap();
    for p in held.into_iter().chain(pages.into_iter().flatten()) {
        mm.free_pages(p, 0).unwrap();
    }
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
}

#[test]
fn bulk_stays_on_the_preferred_node_and_in_the_nodemask() {
    let mm = boot_numa(32);
    let free = free_total(&mm);
    let mut pages = [None; 16];
    let n = mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(1), None, &mut pages);
    assert_eq!(n, 16);
    assert!(pages
        .iter()
        .all(|p| mm.memmap().page(p.unwrap().0).unwrap().nid() == 1));
    // Preferred node 1 but only node 0 allowed: the preferred zone is the first
    // allowed one of node 1's zonelist, node 0's, and the bulk path fills from it.
    let only0 = NodeMask::EMPTY.with(NodeId(0));
    let mut more = [None; 4];
    let n = mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(1), Some(&only0), &mut more);
    assert_eq!(n, 4);
    assert!(more
        .iter()
        .all(|p| mm.memmap().page(p.unwrap().0).unwrap().nid() == 0));
    // With node 0 preferred and allowed, the bulk path fills all from it.
    let mut rest = [None; 4];
    let n = mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), Some(&only0), &mut rest);
    assert_eq!(n, 4);
    assert!(rest
        .iter()
        .all(|p| mm.memmap().page(p.unwrap().0).unwrap().nid() == 0));
    mm.check().unwrap();
    for p in pages.iter().chain(&more).chain(&rest).flatten() {
        mm.free_pages(*p, 0).unwrap();
    }
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
}

#[test]
fn page_block_frees_on_drop() {
    let mm = boot(64, 1);
    let free = free_total(&mm);
    {
        let mut b = mm.alloc_block(Gfp::KERNEL | Gfp::ZERO, 2).unwrap();
        assert_eq!((b.order(), b.len()), (2, 4 * 4096));
        assert_eq!(free_total(&mm), free - 4);
        assert_eq!(b.as_ptr() as u64, mm.page_address(b.pfn()).0);
        assert!(b.as_mut_slice().iter().all(|&x| x == 0));
        b.as_mut_slice().fill(0x77);
        assert!(bytes(&mm, b.addr(), b.len()).iter().all(|&x| x == 0x77));
        mm.check().unwrap();
    }
    assert_eq!(free_total(&mm), free);
    // into_raw keeps the block; from_raw takes it back.
    let b = mm.alloc_block_node(NodeId(0), Gfp::KERNEL, 0).unwrap();
    let (pfn, order) = b.into_raw();
    assert_eq!(free_total(&mm), free - 1);
    assert_eq!(mm.memmap().page(pfn.0).unwrap().refcount(), 1);
    // SAFETY: the block came from into_raw and nothing else owns it.
    let b = unsafe { PageBlock::from_raw(&mm, pfn, order) };
    drop(b);
    assert_eq!(free_total(&mm), free);
    mm.check().unwrap();
    // Errors are the allocator's.
    assert_eq!(
        mm.alloc_block(Gfp::KERNEL, 11).unwrap_err(),
        AllocError::OrderTooLarge(11)
    );
}

#[test]
fn bulk_and_exact_are_counted_like_linux() {
    use oxmm::vmstat::{NumaStatItem, VmEventItem};
    let mm = boot(64, 1);
    let z = &mm.node(NodeId(0)).unwrap().zones()[DMA32];
    let ev = |i| mm.vm_events().get(i);
    let (alloc0, free0, hit0) = (
        ev(VmEventItem::pgalloc(ZoneType::Dma32)),
        ev(VmEventItem::Pgfree),
        z.numa_event_state(NumaStatItem::NumaHit),
    );
    // Bulk: PGALLOC and numa_hit by the pages of the batch.
    let mut pages = [None; 8];
    assert_eq!(
        mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut pages),
        8
    );
    assert_eq!(ev(VmEventItem::pgalloc(ZoneType::Dma32)), alloc0 + 8);
    assert_eq!(z.numa_event_state(NumaStatItem::NumaHit), hit0 + 8);
    // Exact: the whole block is allocated (one allocation), the tail freed page by page.
    let a = mm.alloc_pages_exact(5 * 4096, Gfp::KERNEL).unwrap();
    assert_eq!(ev(VmEventItem::pgalloc(ZoneType::Dma32)), alloc0 + 8 + 8);
    assert_eq!(z.numa_event_state(NumaStatItem::NumaHit), hit0 + 8 + 1);
    assert_eq!(ev(VmEventItem::Pgfree), free0 + 3);
    mm.free_pages_exact(a, 5 * 4096).unwrap();
    for p in pages.iter().flatten() {
        mm.free_pages(*p, 0).unwrap();
    }
    assert_eq!(ev(VmEventItem::Pgfree), free0 + 3 + 5 + 8);
    mm.check().unwrap();
}

mod model {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        /// `get_free_pages(order)`.
        Pages { order: u32, zero: bool },
        /// `alloc_pages_exact(pages * 4096 - slack)`.
        Exact { pages: u64, slack: u64 },
        /// `alloc_pages_bulk` into `n` slots, every `hole`-th one pre-filled.
        Bulk { n: usize, hole: usize },
        /// `split_page` of a held block.
        Split { pick: usize },
        /// Free a held block or page.
        Free { pick: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..6u32, any::<bool>()).prop_map(|(order, zero)| Op::Pages { order, zero }),
            3 => (1..40u64, 0..4096u64).prop_map(|(pages, slack)| Op::Exact { pages, slack }),
            2 => (1..40usize, 2..6usize).prop_map(|(n, hole)| Op::Bulk { n, hole }),
            1 => any::<usize>().prop_map(|pick| Op::Split { pick }),
            4 => any::<usize>().prop_map(|pick| Op::Free { pick }),
        ]
    }

    /// A held allocation: a block of `order` or one page of a split/exact/bulk run.
    #[derive(Clone, Copy, Debug)]
    struct Held {
        pfn: u64,
        order: u32,
    }

    type Taken = std::collections::BTreeMap<u64, u64>;

    /// Record a new allocation, refusing an overlap with anything held.
    fn take(
        taken: &mut Taken,
        held: &mut Vec<Held>,
        pfn: u64,
        order: u32,
    ) -> Result<(), TestCaseError> {
        let (s, e) = (pfn, pfn + (1 << order));
        if let Some((&ps, &pe)) = taken.range(..e).next_back() {
            prop_assert!(pe <= s || ps >= e, "overlap {:#x}+{}", s, order);
        }
        taken.insert(s, e);
        held.push(Held { pfn, order });
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        /// Every entry point against a model of the pages held: held pages never
        /// overlap, free + per-CPU + held is constant, zeroed memory is zero, and
        /// `check()` holds after every step.
        #[test]
        fn entry_points_match_model(ops in proptest::collection::vec(op(), 1..80)) {
            let mm = boot(64, 1);
            let total = free_total(&mm);
            let mut held: Vec<Held> = vec![];
            let mut taken = Taken::new();
            for op in ops {
                match op {
                    Op::Pages { order, zero } => {
                        let gfp = if zero { Gfp::KERNEL | Gfp::ZERO } else { Gfp::KERNEL };
                        if let Ok(a) = mm.get_free_pages(gfp | Gfp::NOWARN, order) {
                            if zero {
                                prop_assert!(bytes(&mm, a, 4096 << order).iter().all(|&b| b == 0));
                            }
                            fill(&mm, a, 4096 << order, 0xee);
                            take(&mut taken, &mut held, mm.virt_to_pfn(a).unwrap().0, order)?;
                        }
                    }
                    Op::Exact { pages, slack } => {
                        let size = (pages * 4096 - slack.min(4095)) as usize;
                        if let Ok(a) = mm.alloc_pages_exact(size, Gfp::KERNEL | Gfp::NOWARN) {
                            let p = mm.virt_to_pfn(a).unwrap().0;
                            for i in 0..pages {
                                take(&mut taken, &mut held, p + i, 0)?;
                            }
                        }
                    }
                    Op::Bulk { n, hole } => {
                        let mut slots = vec![None; n];
                        let mut pre = vec![];
                        for i in (0..n).step_by(hole) {
                            if let Ok(p) = mm.alloc_pages(Gfp::KERNEL, 0) {
                                slots[i] = Some(p);
                                pre.push((i, p));
                            }
                        }
                        let got = mm.alloc_pages_bulk(Gfp::KERNEL, NodeId(0), None, &mut slots);
                        prop_assert!(got <= n);
                        prop_assert!(slots[..got].iter().all(|s| s.is_some()));
                        for &(i, p) in &pre {
                            prop_assert_eq!(slots[i], Some(p), "a filled slot is kept");
                        }
                        for p in slots.iter().flatten() {
                            take(&mut taken, &mut held, p.0, 0)?;
                        }
                    }
                    Op::Split { pick } => {
                        if held.is_empty() { continue; }
                        let i = pick % held.len();
                        let h = held.swap_remove(i);
                        mm.split_page(Pfn(h.pfn), h.order).unwrap();
                        taken.remove(&h.pfn);
                        for k in 0..1u64 << h.order {
                            taken.insert(h.pfn + k, h.pfn + k + 1);
                            held.push(Held { pfn: h.pfn + k, order: 0 });
                        }
                    }
                    Op::Free { pick } => {
                        if held.is_empty() { continue; }
                        let h = held.swap_remove(pick % held.len());
                        taken.remove(&h.pfn);
                        mm.free_pages_addr(mm.page_address(Pfn(h.pfn)), h.order).unwrap();
                    }
                }
                mm.check().unwrap();
                let used: u64 = held.iter().map(|h| 1u64 << h.order).sum();
                prop_assert_eq!(free_total(&mm) + used, total);
            }
            for h in held {
                mm.free_pages(Pfn(h.pfn), h.order).unwrap();
            }
            mm.drain_all_pages(None).unwrap();
            mm.check().unwrap();
            prop_assert_eq!(mm.nr_free_pages(), total);
        }
    }
}
