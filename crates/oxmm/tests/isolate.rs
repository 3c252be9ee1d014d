//! Pageblock isolation (mm/page_isolation.c semantics, v6.12).

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::{boot_boxed, ThreadMem};

use oxmm::boot::{Arch, BootConfig};
use oxmm::gfp::Gfp;
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::{MigrateType, Zone, ZoneType};
use oxmm::page::{Page, PG_LRU};
use oxmm::page_alloc::isolate::{IsolateError, IsolateFlags};
use oxmm::types::{NodeId, Pfn, PhysAddr};

const DMA32: usize = 1;
const PB: u64 = 512;
const NONE: IsolateFlags = IsolateFlags(0);

/// One node of 64 MiB (DMA below 16 MiB, DMA32 above), one CPU.
fn boot() -> Box<Mm<ThreadMem>> {
    let end = 64u64 << 20;
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), end - 0x1000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, end >> 12);
    cfg.zone_limits.set(ZoneType::Normal, end >> 12);
    cfg.nr_cpus = 1;
    let mm = boot_boxed(ThreadMem::new(end, 1), mb, &cfg, BootMode::Full);
    mm.check().unwrap();
    mm
}

fn dma32(mm: &Mm<ThreadMem>) -> &Zone {
    &mm.node(NodeId(0)).unwrap().zones()[DMA32]
}

/// Free pages on the Isolate lists of a zone.
fn isolated_free(mm: &Mm<ThreadMem>, z: &Zone) -> u64 {
    let mut n = 0;
    for o in 0..=10usize {
        let list = &z.free_area[o].free_list[MigrateType::Isolate as usize];
        let mut cur = list.head();
        while cur != Page::NIL {
            n += 1 << o;
            cur = mm.memmap().page_by_index(cur).unwrap().next();
        }
    }
    n
}

/// Free pages in `[s, e)` by walking the buddy heads.
fn free_in(mm: &Mm<ThreadMem>, s: u64, e: u64) -> u64 {
    let mut n = 0;
    let mut p = s;
    while p < e {
        match mm.memmap().page(p) {
            Some(d) if d.is_buddy() => {
                n += 1 << d.buddy_order();
                p += 1 << d.buddy_order();
            }
            _ => p += 1,
        }
    }
    n
}

fn types(mm: &Mm<ThreadMem>, s: u64, e: u64) -> Vec<Option<MigrateType>> {
    (s..e)
        .step_by(PB as usize)
        .map(|p| mm.pageblock_migratetype(NodeId(0), DMA32, p))
        .collect()
}

#[test]
fn free_pages_of_an_isolated_range_leave_the_free_count() {
    let mm = boot();
    let (s, e) = (0x2000u64, 0x2800u64);
    let free = mm.nr_free_pages();
    let order10 = dma32(&mm).nr_free(10);
    let before = types(&mm, s, e);
    assert_eq!(free_in(&mm, s, e), e - s, "the range is free at boot");
    mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free - (e - s));
    assert_eq!(types(&mm, s, e), vec![Some(MigrateType::Isolate); 4]);
    assert!((s..e)
        .step_by(PB as usize)
        .all(|p| mm.is_pageblock_isolated(Pfn(p))));
    assert!(!mm.is_pageblock_isolated(Pfn(e)));
    assert_eq!(isolated_free(&mm, dma32(&mm)), e - s);
    mm.check().unwrap();
    mm.test_pages_isolated(Pfn(s), Pfn(e), NONE).unwrap();
    // Any part of it tests isolated too; a range reaching past it does not.
    mm.test_pages_isolated(Pfn(s + 0x400), Pfn(e), NONE)
        .unwrap();
    // As in Linux, a range must start at a free block's head.
    assert_eq!(
        mm.test_pages_isolated(Pfn(s + 5), Pfn(e), NONE),
        Err(IsolateError::Busy { pfn: Pfn(s + 5) })
    );
    assert_eq!(
        mm.test_pages_isolated(Pfn(s), Pfn(e + 1), NONE),
        Err(IsolateError::Busy { pfn: Pfn(e) })
    );
    // A second isolation of an isolated block is EBUSY.
    assert_eq!(
        mm.start_isolate_page_range(Pfn(s + PB), Pfn(s + PB + 1), MigrateType::Movable, NONE),
        Err(IsolateError::Busy { pfn: Pfn(s + PB) })
    );
    mm.check().unwrap();
    mm.undo_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    assert_eq!(types(&mm, s, e), before);
    assert_eq!(dma32(&mm).nr_free(10), order10, "the halves merged back");
    assert_eq!(isolated_free(&mm, dma32(&mm)), 0);
    mm.check().unwrap();
    // Undo of a range with nothing isolated changes nothing.
    mm.undo_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
}

/// Allocate until every kind of request fails; returns the blocks.
fn take_everything(mm: &Mm<ThreadMem>) -> Vec<(Pfn, u32)> {
    let mut held = vec![];
    for gfp in [
        Gfp::NOWAIT | Gfp::MOVABLE,
        Gfp::NOWAIT,
        Gfp::NOWAIT | Gfp::RECLAIMABLE,
        Gfp::ATOMIC | Gfp::NOWARN,
        Gfp::KERNEL | Gfp::NOWARN,
    ] {
        for order in (0..=3u32).rev() {
            while let Ok(p) = mm.alloc_pages(gfp, order) {
                held.push((p, order));
            }
        }
    }
    held
}

#[test]
fn allocations_never_come_from_an_isolated_range_and_undo_restores_it() {
    let mm = boot();
    let (s, e) = (0x2000u64, 0x2800u64);
    let free = mm.nr_free_pages();
    mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE)
        .unwrap();
    assert_eq!(dma32(&mm).nr_isolate_pageblock(), (e - s) / PB);
    let held = take_everything(&mm);
    assert!(held.len() > 1000);
    for &(p, o) in &held {
        assert!(
            p.0 + (1 << o) <= s || p.0 >= e,
            "{p:?} order {o} inside the isolated range"
        );
    }
    mm.check().unwrap();
    mm.test_pages_isolated(Pfn(s), Pfn(e), NONE).unwrap();
    for (p, o) in held {
        mm.free_pages(p, o).unwrap();
    }
    mm.drain_all_pages(None).unwrap();
    mm.check().unwrap();
    mm.undo_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
    // Usable again.
    let held = take_everything(&mm);
    assert!(held.iter().any(|&(p, o)| p.0 + (1 << o) > s && p.0 < e));
    for (p, o) in held {
        mm.free_pages(p, o).unwrap();
    }
    mm.drain_all_pages(None).unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
}

#[test]
fn an_unmovable_page_makes_isolation_fail_and_nothing_stays_isolated() {
    let mm = boot();
    mm.pcp_disable_all().unwrap();
    // A pageblock whose only allocated page is `p`, before two free blocks.
    let b = mm.alloc_pages(Gfp::KERNEL, 9).unwrap();
    mm.split_page(b, 9).unwrap();
    let p = Pfn(b.0 + 100);
    for i in (0..PB).filter(|&i| i != 100) {
        mm.free_pages(Pfn(b.0 + i), 0).unwrap();
    }
    let (s, e) = (b.0, b.0 + 3 * PB);
    assert_eq!(free_in(&mm, b.0 + PB, e), 2 * PB);
    let free = mm.nr_free_pages();
    let before = types(&mm, s, e);
    let r = mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE);
    // The first unmovable page of the range is named.
    let Err(IsolateError::Busy { pfn }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(pfn, p);
    assert_eq!(types(&mm, s, e), before);
    assert_eq!(mm.nr_free_pages(), free);
    assert!(mm.platform().take_log().is_empty());
    mm.check().unwrap();
    // REPORT_FAILURE dumps the page.
    let r = mm.start_isolate_page_range(
        Pfn(s),
        Pfn(e),
        MigrateType::Movable,
        IsolateFlags::REPORT_FAILURE,
    );
    assert_eq!(r, Err(IsolateError::Busy { pfn }));
    let log = mm.platform().take_log();
    assert!(log
        .iter()
        .any(|l| l.ends_with(&format!("pfn:{:#x}", pfn.0))));
    assert_eq!(log.last().unwrap(), "page dumped because: unmovable page");
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
    mm.free_pages(p, 0).unwrap();
    mm.check().unwrap();
}

#[test]
fn a_movable_page_is_isolated_but_not_free_until_freed() {
    let mm = boot();
    mm.pcp_disable_all().unwrap();
    // A pageblock whose only allocated page is `p`.
    let b = mm.alloc_pages(Gfp::HIGHUSER_MOVABLE, 9).unwrap();
    mm.split_page(b, 9).unwrap();
    let p = Pfn(b.0 + 100);
    for i in (0..PB).filter(|&i| i != 100) {
        mm.free_pages(Pfn(b.0 + i), 0).unwrap();
    }
    let (s, e) = (b.0, b.0 + PB);
    let d = mm.memmap().page(p.0).unwrap();
    // Unmovable while it is not on the LRU...
    assert_eq!(
        mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE),
        Err(IsolateError::Busy { pfn: p })
    );
    // ...movable (migration could take it away) once it is.
    d.set_flags(d.flags() | PG_LRU);
    let free = mm.nr_free_pages();
    let in_range = free_in(&mm, s, e);
    mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free - in_range);
    assert_eq!(
        mm.test_pages_isolated(Pfn(s), Pfn(e), NONE),
        Err(IsolateError::Busy { pfn: p })
    );
    mm.check().unwrap();
    // Freed into an isolated block, the page goes to the Isolate list, uncounted.
    d.set_flags(d.flags() & !PG_LRU);
    mm.free_pages(p, 0).unwrap();
    assert_eq!(mm.nr_free_pages(), free - in_range);
    mm.test_pages_isolated(Pfn(s), Pfn(e), NONE).unwrap();
    mm.check().unwrap();
    mm.undo_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free + 1);
    mm.check().unwrap();
}

#[test]
fn a_free_buddy_larger_than_a_pageblock_is_split_at_the_edge() {
    let mm = boot();
    let z = dma32(&mm);
    let list = &z.free_area[10].free_list[MigrateType::Movable as usize];
    let h = mm.memmap().pfn_of(list.head()).unwrap();
    let free = mm.nr_free_pages();
    let order10 = z.nr_free(10);
    for (s, kept) in [(h + PB, h), (h, h + PB)] {
        mm.start_isolate_page_range(Pfn(s), Pfn(s + PB), MigrateType::Movable, NONE)
            .unwrap();
        assert_eq!(mm.nr_free_pages(), free - PB);
        assert_eq!(z.nr_free(10), order10 - 1);
        let (iso, other) = (
            mm.memmap().page(s).unwrap(),
            mm.memmap().page(kept).unwrap(),
        );
        assert!(iso.is_buddy() && other.is_buddy());
        assert_eq!((iso.buddy_order(), other.buddy_order()), (9, 9));
        assert_eq!(
            mm.pageblock_migratetype(NodeId(0), DMA32, kept),
            Some(MigrateType::Movable)
        );
        assert_eq!(isolated_free(&mm, z), PB);
        mm.check().unwrap();
        mm.undo_isolate_page_range(Pfn(s), Pfn(s + PB), MigrateType::Movable)
            .unwrap();
        assert_eq!(mm.nr_free_pages(), free);
        assert_eq!(z.nr_free(10), order10);
        assert_eq!(mm.memmap().page(h).unwrap().buddy_order(), 10);
        mm.check().unwrap();
    }
}

#[test]
fn pages_on_per_cpu_lists_are_drained_into_the_isolated_range() {
    let mm = boot();
    // A pageblock of single pages freed through this CPU's list.
    let b = mm.alloc_pages(Gfp::HIGHUSER_MOVABLE, 9).unwrap();
    mm.split_page(b, 9).unwrap();
    for i in 0..PB {
        mm.free_pages(Pfn(b.0 + i), 0).unwrap();
    }
    let q = Pfn(b.0 + PB - 1);
    assert!(mm.nr_pcp_pages() > 0);
    assert!(
        !mm.memmap().page(q.0).unwrap().is_buddy(),
        "the last free is cached"
    );
    let (s, e) = (b.0, b.0 + PB);
    mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE)
        .unwrap();
    // Drained: the page is free on an Isolate list, not on a CPU's list.
    let z = dma32(&mm);
    let pcp_in_zone = mm.pcp_state(z, 0).unwrap().count;
    assert_eq!(pcp_in_zone, 0);
    assert_eq!(free_in(&mm, s, e), PB, "the cached pages merged back");
    mm.test_pages_isolated(Pfn(s), Pfn(e), NONE).unwrap();
    mm.check().unwrap();
    // The per-CPU lists work again afterwards.
    let r = mm.alloc_pages(Gfp::HIGHUSER_MOVABLE, 0).unwrap();
    assert!(r.0 < s || r.0 >= e);
    {
        let st = mm.pcp_state(z, 0).unwrap();
        let p = z.pageset_params();
        assert_eq!(
            (st.high_min, st.high_max, st.batch),
            (p.high_min as i32, p.high_max as i32, p.batch as i32)
        );
    }
    // A free is cached again.
    mm.free_pages(r, 0).unwrap();
    assert!(mm.pcp_state(z, 0).unwrap().count > 0);
    mm.undo_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable)
        .unwrap();
    mm.check().unwrap();
}

#[test]
fn a_compound_page_across_the_edge_cannot_be_half_isolated() {
    let mm = boot();
    mm.pcp_disable_all().unwrap();
    let h = mm
        .alloc_pages(Gfp::HIGHUSER_MOVABLE | Gfp::COMP, 10)
        .unwrap();
    let head = mm.memmap().page(h.0).unwrap();
    let free = mm.nr_free_pages();
    let (s, e) = (h.0 + PB, h.0 + 2 * PB);
    // Not on the LRU: its tail in the range is unmovable.
    assert_eq!(
        mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE),
        Err(IsolateError::Busy { pfn: Pfn(s) })
    );
    // On the LRU it could move, but not in half: the head is named.
    head.set_flags(head.flags() | PG_LRU);
    assert_eq!(
        mm.start_isolate_page_range(Pfn(s), Pfn(e), MigrateType::Movable, NONE),
        Err(IsolateError::Busy { pfn: h })
    );
    assert!(!mm.is_pageblock_isolated(Pfn(s)));
    // The whole page can be isolated.
    mm.start_isolate_page_range(h, Pfn(e), MigrateType::Movable, NONE)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    mm.check().unwrap();
    mm.undo_isolate_page_range(h, Pfn(e), MigrateType::Movable)
        .unwrap();
    head.set_flags(head.flags() & !PG_LRU);
    mm.free_pages(h, 10).unwrap();
    mm.check().unwrap();
}

#[test]
fn a_failure_undoes_the_blocks_isolated_before_it() {
    let mm = boot();
    let (s, e) = (0x2000u64, 0x2800u64);
    let free = mm.nr_free_pages();
    let before = types(&mm, s, e);
    let mt = MigrateType::Movable;
    assert_eq!(dma32(&mm).nr_isolate_pageblock(), 0);
    mm.start_isolate_page_range(Pfn(e - PB), Pfn(e), mt, NONE)
        .unwrap();
    assert_eq!(mm.nr_free_pages(), free - PB);
    assert_eq!(dma32(&mm).nr_isolate_pageblock(), 1);
    // Three blocks isolate, the fourth is busy: the three are given back.
    assert_eq!(
        mm.start_isolate_page_range(Pfn(s), Pfn(e), mt, NONE),
        Err(IsolateError::Busy { pfn: Pfn(e - PB) })
    );
    assert_eq!(mm.nr_free_pages(), free - PB);
    assert_eq!(dma32(&mm).nr_isolate_pageblock(), 1);
    assert!(dma32(&mm).has_isolate_pageblock());
    assert_eq!(types(&mm, s, e - PB), before[..3]);
    assert!(mm.is_pageblock_isolated(Pfn(e - PB)));
    mm.check().unwrap();
    mm.undo_isolate_page_range(Pfn(s), Pfn(e), mt).unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    assert_eq!(types(&mm, s, e), before);
    assert_eq!(dma32(&mm).nr_isolate_pageblock(), 0);
    mm.check().unwrap();
}

#[test]
fn bad_ranges_are_refused() {
    let mm = boot();
    let bad = |s, e| IsolateError::BadRange {
        start: Pfn(s),
        end: Pfn(e),
    };
    let mt = MigrateType::Movable;
    assert_eq!(
        mm.start_isolate_page_range(Pfn(0x2000), Pfn(0x2000), mt, NONE),
        Err(bad(0x2000, 0x2000))
    );
    // DMA and DMA32 at once.
    assert_eq!(
        mm.start_isolate_page_range(Pfn(0xe00), Pfn(0x1200), mt, NONE),
        Err(bad(0xe00, 0x1200))
    );
    // Past the end of memory.
    assert_eq!(
        mm.start_isolate_page_range(Pfn(0x3e00), Pfn(0x5000), mt, NONE),
        Err(bad(0x3e00, 0x5000))
    );
    assert_eq!(
        mm.undo_isolate_page_range(Pfn(0x3000), Pfn(0x2000), mt),
        Err(bad(0x3000, 0x2000))
    );
    assert_eq!(
        mm.test_pages_isolated(Pfn(0x3000), Pfn(0x3000), NONE),
        Err(bad(0x3000, 0x3000))
    );
    assert_eq!(
        mm.test_pages_isolated(Pfn(0x3000), Pfn(0x3200), NONE),
        Err(IsolateError::Busy { pfn: Pfn(0x3000) })
    );
    assert!(bad(1, 2).to_string().contains("0x1-0x2"));
    mm.check().unwrap();
}

/// One node of 64 MiB with four CPUs.
fn boot_4cpus() -> Box<Mm<ThreadMem>> {
    let end = 64u64 << 20;
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), end - 0x1000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, end >> 12);
    cfg.zone_limits.set(ZoneType::Normal, end >> 12);
    cfg.nr_cpus = 4;
    let mm = boot_boxed(ThreadMem::new(end, 4), mb, &cfg, BootMode::Full);
    mm.check().unwrap();
    mm
}

/// Three CPUs allocate (single blocks, bulk arrays, exact sizes) and free while a
/// fourth isolates and un-isolates a range over and over: no page is handed out twice,
/// every isolation either succeeds or names a page, and in the end every page is back
/// and nothing stays isolated.
#[test]
fn isolation_races_with_allocating_cpus() {
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};
    let mm = boot_4cpus();
    let free0 = mm.nr_free_pages();
    let owner: Vec<AtomicU8> = (0..mm.max_pfn()).map(|_| AtomicU8::new(0)).collect();
    let stop = AtomicBool::new(false);
    let (s, e) = (0x2000u64, 0x3000u64);
    let mt = MigrateType::Movable;
    std::thread::scope(|sc| {
        for t in 1..4usize {
            let (mm, owner, stop) = (&*mm, &owner, &stop);
            sc.spawn(move || {
                support::set_this_cpu(t);
                let tag = t as u8;
                let take = |p: u64, n: u64| {
                    for pfn in p..p + n {
                        assert_eq!(owner[pfn as usize].swap(tag, Relaxed), 0, "{pfn:#x} twice");
                    }
                };
                let give = |p: u64, n: u64| {
                    for pfn in p..p + n {
                        assert_eq!(owner[pfn as usize].swap(0, Relaxed), tag);
                    }
                };
                let mut rng = 0x2545_f491_4f6c_dd1du64 ^ (t as u64) << 40;
                // (first pfn, pages, order or None for single pages).
                let mut mine: Vec<(u64, u64, Option<u32>)> = vec![];
                let mut step = 0;
                while !stop.load(Relaxed) || step < 3000 {
                    step += 1;
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    if mine.len() < 400 && rng % 3 != 0 {
                        let gfp = if rng & 0x100 != 0 {
                            Gfp::HIGHUSER_MOVABLE | Gfp::NOWARN
                        } else {
                            Gfp::KERNEL | Gfp::NOWARN
                        };
                        match (rng >> 20) % 3 {
                            0 => {
                                let o = ((rng >> 30) % 4) as u32;
                                if let Ok(p) = mm.alloc_pages(gfp, o) {
                                    take(p.0, 1 << o);
                                    mine.push((p.0, 1 << o, Some(o)));
                                }
                            }
                            1 => {
                                let mut a = [None; 8];
                                let n = mm.alloc_pages_bulk(gfp, NodeId(0), None, &mut a);
                                for p in a.iter().take(n).flatten() {
                                    take(p.0, 1);
                                    mine.push((p.0, 1, None));
                                }
                            }
                            _ => {
                                let pages = 1 + (rng >> 40) % 7;
                                let size = (pages * 4096) as usize;
                                if let Ok(a) = mm.alloc_pages_exact(size, gfp) {
                                    let p = mm.virt_to_pfn(a).unwrap().0;
                                    take(p, pages);
                                    mine.push((p, pages, None));
                                }
                            }
                        }
                    } else if !mine.is_empty() {
                        let (p, n, o) = mine.swap_remove((rng as usize >> 5) % mine.len());
                        give(p, n);
                        match o {
                            Some(o) => mm.free_pages(Pfn(p), o).unwrap(),
                            None => mm
                                .free_pages_exact(mm.page_address(Pfn(p)), (n * 4096) as usize)
                                .unwrap(),
                        }
                    }
                }
                for (p, n, o) in mine {
                    give(p, n);
                    match o {
                        Some(o) => mm.free_pages(Pfn(p), o).unwrap(),
                        None => mm
                            .free_pages_exact(mm.page_address(Pfn(p)), (n * 4096) as usize)
                            .unwrap(),
                    }
                }
            });
        }
        let (mut ok, mut busy) = (0, 0);
        for _ in 0..200 {
            match mm.start_isolate_page_range(Pfn(s), Pfn(e), mt, NONE) {
                Ok(()) => {
                    ok += 1;
                    assert!((s..e)
                        .step_by(PB as usize)
                        .all(|p| mm.is_pageblock_isolated(Pfn(p))));
                    mm.undo_isolate_page_range(Pfn(s), Pfn(e), mt).unwrap();
                }
                Err(IsolateError::Busy { pfn }) => {
                    busy += 1;
                    assert!(pfn.0 >= s && pfn.0 < e, "{pfn:?}");
                }
                Err(x) => panic!("{x}"),
            }
        }
        assert_eq!(ok + busy, 200);
        stop.store(true, Relaxed);
    });
    mm.drain_all_pages(None).unwrap();
    mm.check().unwrap();
    assert_eq!(mm.nr_free_pages(), free0);
    assert!((s..e)
        .step_by(PB as usize)
        .all(|p| !mm.is_pageblock_isolated(Pfn(p))));
    assert!(owner.iter().all(|o| o.load(Relaxed) == 0));
}
