//! Per-CPU page lists, the high-atomic reserve, the slow path and concurrency of the
//! page allocator.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::{boot_boxed, boot_numa, set_this_cpu, ThreadMem};

use oxmm::boot::{Arch, BootConfig};
use oxmm::gfp::Gfp;
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::{MigrateType, ZoneType};
use oxmm::page_alloc::pcp::{order_to_pindex, PCP_BATCH_SCALE_MAX};
use oxmm::page_alloc::{AllocError, AllocHooks, NoMemReason};
use oxmm::platform::Platform;
use oxmm::types::{NodeId, Pfn, PhysAddr};
use oxmm::watermark::{zone_batchsize, zone_highsize};

const DMA32: usize = 1;
const NORMAL: usize = 2;

/// One node, `mib` MiB from 4 KiB (DMA up to 16 MiB, DMA32 above), `cpus` CPUs.
fn boot(mib: u64, cpus: usize) -> Box<Mm<ThreadMem>> {
    let end = mib << 20;
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), end - 0x1000).unwrap();
    mb.reserve(PhysAddr(0x100_0000), 0x20_0000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, end >> 12);
    cfg.zone_limits.set(ZoneType::Normal, end >> 12);
    cfg.nr_cpus = cpus as u32;
    let mm = boot_boxed(ThreadMem::new(end, cpus), mb, &cfg, BootMode::Full);
    mm.check().unwrap();
    mm
}

fn zone(mm: &Mm<ThreadMem>, nid: u16, zi: usize) -> &oxmm::mmzone::Zone {
    &mm.node(NodeId(nid)).unwrap().zones()[zi]
}

#[test]
fn pagesets_are_sized_like_linux() {
    let mm = boot(512, 2);
    let z = zone(&mm, 0, DMA32);
    let batch = zone_batchsize(z.managed_pages(), 4096);
    let low = z.watermarks().low;
    let high_min = zone_highsize(low, z.managed_pages(), batch, 0, 2, 2);
    let high_max = zone_highsize(low, z.managed_pages(), batch, 8, 2, 2);
    for cpu in 0..2 {
        let st = mm.pcp_state(z, cpu).unwrap();
        assert_eq!(
            (st.batch, st.high_min, st.high_max),
            (batch as i32, high_min as i32, high_max as i32)
        );
        assert!(high_min < high_max);
    }
}

#[test]
fn refill_takes_a_batch_and_free_returns_to_the_list() {
    let mm = boot(512, 2);
    set_this_cpu(1);
    let z = zone(&mm, 0, DMA32);
    let batch = mm.pcp_state(z, 1).unwrap().batch;
    let free0 = z.free_pages();
    let p = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    {
        let st = mm.pcp_state(z, 1).unwrap();
        // nr_pcp_alloc: one batch at alloc_factor 0, then the factor grows.
        assert_eq!(st.count, batch - 1);
        assert_eq!(st.alloc_factor, 1);
        assert!(st.high > st.high_min);
        assert_eq!(mm.pcp_state(z, 0).unwrap().count, 0);
    }
    assert_eq!(z.free_pages(), free0 - batch as u64);
    mm.check().unwrap();
    // The page comes back to the head of its list, not to the buddy lists.
    mm.free_pages(p, 0).unwrap();
    {
        let st = mm.pcp_state(z, 1).unwrap();
        assert_eq!(st.count, batch);
        assert_eq!(st.alloc_factor, 0);
        let list = &st.lists[order_to_pindex(MigrateType::Unmovable, 0)];
        assert_eq!(mm.memmap().pfn_of(list.head()), Some(p.0));
    }
    assert_eq!(z.free_pages(), free0 - batch as u64);
    mm.check().unwrap();
    // A second allocation takes the hot page back.
    assert_eq!(mm.alloc_pages(Gfp::KERNEL, 0).unwrap(), p);
    mm.free_pages(p, 0).unwrap();
    mm.drain_all_pages(None).unwrap();
    assert_eq!(z.free_pages(), free0);
    mm.check().unwrap();
}

#[test]
fn frees_above_high_go_back_in_batches() {
    let mm = boot(512, 1);
    let z = zone(&mm, 0, DMA32);
    let (batch, high_max) = {
        let st = mm.pcp_state(z, 0).unwrap();
        (st.batch, st.high_max)
    };
    let n = (high_max as usize) * 2;
    let pages: Vec<Pfn> = (0..n)
        .map(|_| {
            mm.alloc_pages(Gfp::HIGHUSER_MOVABLE - Gfp::HIGHMEM, 0)
                .unwrap()
        })
        .collect();
    mm.check().unwrap();
    let mut max_count = 0;
    for p in pages {
        mm.free_pages(p, 0).unwrap();
        let st = mm.pcp_state(z, 0).unwrap();
        assert!(
            st.count <= st.high.max(st.high_min) + batch,
            "count {} high {}",
            st.count,
            st.high
        );
        assert!(st.free_count <= (batch << PCP_BATCH_SCALE_MAX) + 1);
        max_count = max_count.max(st.count);
    }
    // The lists filled up to a high limit and were trimmed, never beyond high_max.
    assert!(max_count >= batch && max_count <= high_max + batch);
    mm.check().unwrap();
}

#[test]
fn thp_order_uses_its_own_list_and_costly_orders_bypass() {
    let mm = boot(512, 1);
    let z = zone(&mm, 0, DMA32);
    let thp = Gfp::TRANSHUGE - Gfp::HIGHMEM;
    let p = mm.alloc_pages(thp, 9).unwrap();
    mm.free_pages(p, 9).unwrap();
    {
        let st = mm.pcp_state(z, 0).unwrap();
        let l = &st.lists[order_to_pindex(MigrateType::Movable, 9)];
        assert_eq!(mm.memmap().pfn_of(l.head()), Some(p.0));
        assert_eq!(st.count % 512, 0);
    }
    // Order 5 is neither a PCP order nor the THP order: straight to the buddy lists.
    let before = mm.pcp_state(z, 0).unwrap().count;
    let q = mm.alloc_pages(Gfp::KERNEL, 5).unwrap();
    mm.free_pages(q, 5).unwrap();
    assert_eq!(mm.pcp_state(z, 0).unwrap().count, before);
    mm.check().unwrap();
}

/// A THP-order request whose preferred zone is above its high watermark takes the
/// CPU's THP list directly (the per-CPU shortcut serves `pcp_allowed_order`, the THP
/// order included): the block freed last comes back as a compound page, counted as
/// `get_page_from_freelist` counts it, and the zone's free pages do not move.
#[test]
fn thp_order_is_taken_from_the_cpu_list() {
    use oxmm::vmstat::{NumaStatItem, VmEventItem};
    let mm = boot(512, 1);
    let z = zone(&mm, 0, DMA32);
    let thp = Gfp::TRANSHUGE - Gfp::HIGHMEM;
    let p = mm.alloc_pages(thp, 9).unwrap();
    mm.free_pages(p, 9).unwrap();
    let pindex = order_to_pindex(MigrateType::Movable, 9);
    let count = mm.pcp_state(z, 0).unwrap().count;
    let (free, pgalloc, hit) = (
        z.free_pages(),
        mm.vm_event(VmEventItem::PgallocDma32),
        z.numa_event_state(NumaStatItem::NumaHit),
    );
    let q = mm.alloc_pages(thp, 9).unwrap();
    assert_eq!(q, p, "the CPU's THP list is LIFO");
    {
        let st = mm.pcp_state(z, 0).unwrap();
        assert_eq!(st.count, count - 512);
        assert_ne!(mm.memmap().pfn_of(st.lists[pindex].head()), Some(p.0));
    }
    assert_eq!(z.free_pages(), free);
    assert_eq!(mm.vm_event(VmEventItem::PgallocDma32), pgalloc + 512);
    assert_eq!(z.numa_event_state(NumaStatItem::NumaHit), hit + 1);
    // __GFP_COMP: a compound head, handed out with one reference.
    let head = mm.memmap().page(q.0).unwrap();
    assert!(head.is_head());
    assert_eq!(head.refcount(), 1);
    mm.check().unwrap();
    mm.free_pages(q, 9).unwrap();
    mm.check().unwrap();
}

#[test]
fn percpu_pagelist_high_fraction_fixes_high() {
    let mut mm = boot(512, 2);
    assert!(mm.set_percpu_pagelist_high_fraction(7).is_err());
    mm.set_percpu_pagelist_high_fraction(8).unwrap();
    let z = zone(&mm, 0, DMA32);
    let st = mm.pcp_state(z, 0).unwrap();
    let want = (z.managed_pages() / 8 / 2).max(st.batch as u64 * 4);
    assert_eq!((st.high_min as u64, st.high_max as u64), (want, want));
}

#[test]
fn busy_lists_fall_back_to_the_buddy_lists() {
    let mm = boot(512, 1);
    let z = zone(&mm, 0, DMA32);
    let free0 = z.free_pages();
    // Hold CPU 0's lock as a concurrent drain would: the request goes to the buddy.
    let guard = mm.pcp_state(z, 0).unwrap();
    let p = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    assert_eq!(z.free_pages(), free0 - 1);
    mm.free_pages(p, 0).unwrap();
    assert_eq!(z.free_pages(), free0);
    drop(guard);
    mm.check().unwrap();
}

/// Linux's `reserve_highatomic_pageblock`: a high-order atomic request served in the
/// slow path sets its pageblock aside, up to 1 % of the zone; `unreserve` gives it back.
#[test]
fn highatomic_reserve_is_taken_and_released() {
    let mut mm = boot(512, 1);
    mm.pcp_disable_all().unwrap();
    let z = zone(&mm, 0, DMA32);
    // Push the low watermark above the free pages so the fast path fails and the
    // atomic request is served at its reserve level (min − min/2 − min/4).
    let free = z.free_pages();
    let kb = (free * 4) * 100 / 90; // min ≈ free × 0.9: between min/4 and low
    mm.set_min_free_kbytes(kb as i64).unwrap();
    let z = zone(&mm, 0, DMA32);
    assert!(z.free_pages() < z.watermarks().low());
    assert_eq!(z.nr_reserved_highatomic(), 0);
    let p = mm.alloc_pages(Gfp::ATOMIC, 2).unwrap();
    assert_eq!(z.nr_reserved_highatomic(), 512);
    assert_eq!(
        mm.pageblock_migratetype(NodeId(0), DMA32, p.0),
        Some(MigrateType::HighAtomic)
    );
    assert!(z.nr_free_highatomic() > 0);
    mm.check().unwrap();
    // An ordinary request may not use the reserve (unusable free pages).
    let wm = oxmm::page_alloc::watermark_check::zone_watermark_unusable_free(
        z,
        0,
        oxmm::page_alloc::AllocFlags::default(),
    );
    assert!(wm >= z.nr_free_highatomic() as i64);
    mm.free_pages(p, 2).unwrap();
    mm.check().unwrap();
}

#[test]
fn nowait_failure_is_reported_like_warn_alloc() {
    let mm = boot(64, 1);
    let mut held = vec![];
    // GFP_NOWAIT implies __GFP_NOWARN (v6.8+).
    assert!(Gfp::NOWAIT.contains(Gfp::NOWARN));
    loop {
        match mm.alloc_pages(Gfp::NOWAIT, 0) {
            Ok(p) => held.push(p),
            Err(AllocError::NoMemory { order, reason }) => {
                assert_eq!((order, reason), (0, NoMemReason::CannotReclaim));
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        mm.platform().take_log().is_empty(),
        "__GFP_NOWARN prints nothing"
    );
    // GFP_ATOMIC reaches deeper into the reserves, then fails loudly.
    while let Ok(p) = mm.alloc_pages(Gfp::ATOMIC | Gfp::NOWARN, 0) {
        held.push(p);
    }
    let e = mm.alloc_pages(Gfp::ATOMIC, 0).unwrap_err();
    assert!(matches!(
        e,
        AllocError::NoMemory {
            order: 0,
            reason: NoMemReason::CannotReclaim
        }
    ));
    let log = mm.platform().take_log();
    assert_eq!(
        log[0],
        format!(
            "oxmm: page allocation failure: order:0, mode:{:#x}(GFP_ATOMIC), nodemask=(null),cpuset=/,mems_allowed=0",
            Gfp::ATOMIC.bits()
        )
    );
    assert_eq!(log[1], "Mem-Info:");
    assert!(log.iter().any(|l| l.starts_with("Node 0 DMA32 free:")));
    assert!(log.iter().any(|l| l.starts_with("lowmem_reserve[]: 0 ")));
    let buddy = log
        .iter()
        .find(|l| l.starts_with("Node 0 DMA32: "))
        .unwrap();
    assert!(buddy.contains("*4kB ") && buddy.ends_with("kB"), "{buddy}");
    // GFP_KERNEL may use more of the reserves, but nothing reclaims: out of memory.
    while let Ok(p) = mm.alloc_pages(Gfp::KERNEL | Gfp::NOWARN, 0) {
        held.push(p);
    }
    let e = mm.alloc_pages(Gfp::KERNEL | Gfp::NOWARN, 0).unwrap_err();
    assert_eq!(
        e,
        AllocError::NoMemory {
            order: 0,
            reason: NoMemReason::OutOfMemory
        }
    );
    let e = mm
        .alloc_pages(Gfp::KERNEL | Gfp::NORETRY | Gfp::NOWARN, 0)
        .unwrap_err();
    assert!(matches!(
        e,
        AllocError::NoMemory {
            reason: NoMemReason::NoRetry,
            ..
        }
    ));
    let e = mm.alloc_pages(Gfp::KERNEL | Gfp::NOWARN, 4).unwrap_err();
    assert!(matches!(
        e,
        AllocError::NoMemory {
            reason: NoMemReason::CostlyOrder,
            ..
        }
    ));
    for p in held {
        mm.free_pages(p, 0).unwrap();
    }
    mm.check().unwrap();
}

/// Reclaim hooks that give back pages a test parked in a shared list.
struct ParkedReclaim(std::sync::Mutex<Vec<(usize, u64)>>);

impl AllocHooks for ParkedReclaim {
    fn try_to_free_pages(&self, _gfp: Gfp, _order: u32) -> u64 {
        // Hand one parked page to the "reclaimer" channel: the test frees it.
        let mut v = self.0.lock().unwrap();
        v.first_mut().map_or(0, |e| {
            e.0 += 1;
            1
        })
    }
}

#[test]
fn nofail_retries_until_memory_comes_back() {
    static HOOKS: std::sync::OnceLock<ParkedReclaim> = std::sync::OnceLock::new();
    let hooks = HOOKS.get_or_init(|| ParkedReclaim(Default::default()));
    // Straight into the Arc: the machine is a few hundred KiB, keep it off the stack.
    let mut mm = std::sync::Arc::<Mm<ThreadMem>>::from(boot(64, 1));
    std::sync::Arc::get_mut(&mut mm)
        .unwrap()
        .set_alloc_hooks(hooks);
    let mut held = vec![];
    while let Ok(p) = mm.alloc_pages(Gfp::KERNEL | Gfp::NOWARN, 0) {
        held.push(p);
    }
    let last = held.pop().unwrap();
    let m2 = mm.clone();
    // Another thread frees a page once reclaim has been asked for one.
    let t = std::thread::spawn(move || {
        while hooks.0.lock().unwrap().first().map_or(0, |e| e.0) == 0 {
            std::thread::yield_now();
        }
        m2.free_pages(last, 0).unwrap();
    });
    hooks.0.lock().unwrap().push((0, last.0));
    let p = mm.alloc_pages(Gfp::KERNEL | Gfp::NOFAIL, 0).unwrap();
    t.join().unwrap();
    held.push(p);
    for p in held {
        mm.free_pages(p, 0).unwrap();
    }
    mm.check().unwrap();
}

/// Threads × random allocations and frees of all orders, types, zones and nodes, half
/// of the frees done by another thread (remote frees): every page is written with its
/// owner's tag and verified when freed; a page map proves no page is handed out twice;
/// at the end every page is back.
#[test]
fn threads_never_share_a_page_and_everything_returns() {
    use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
    let mm = std::sync::Arc::<Mm<ThreadMem>>::from(boot_numa(96));
    mm.drain_all_pages(None).unwrap();
    let free0 = mm.nr_free_pages();
    let max_pfn = mm.max_pfn() as usize;
    let owner: std::sync::Arc<Vec<AtomicU8>> =
        std::sync::Arc::new((0..max_pfn).map(|_| AtomicU8::new(0)).collect());
    let (tx, rx) = std::sync::mpsc::channel::<(Pfn, u32, u8)>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let base = mm.platform().direct_map_base() as usize;
    let threads = 4;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (mm, owner, tx, rx) = (mm.clone(), owner.clone(), tx.clone(), rx.clone());
            std::thread::spawn(move || {
                set_this_cpu(t);
                let tag = t as u8 + 1;
                let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (t as u64) << 32;
                let mut mine: Vec<(Pfn, u32, u8)> = vec![];
                let verify_free = |p: Pfn, o: u32, tag: u8| {
                    for i in 0..1u64 << o {
                        let pfn = p.0 + i;
                        let addr = base + (pfn as usize) * 4096;
                        // SAFETY: the page is allocated to this test and mapped.
                        let w = unsafe { (addr as *const u64).read() };
                        assert_eq!(w, (tag as u64) << 56 | pfn, "page {pfn:#x} overwritten");
                        assert_eq!(owner[pfn as usize].swap(0, Relaxed), tag);
                    }
                    mm.free_pages(p, o).unwrap();
                };
                for step in 0..20_000 {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    if rng % 3 != 0 || mine.is_empty() {
                        let order = match rng >> 60 {
                            0 => 9,
                            1 => ((rng >> 20) % 11) as u32,
                            _ => ((rng >> 20) % 4) as u32,
                        };
                        let gfp = match (rng >> 8) % 4 {
                            0 => Gfp::KERNEL,
                            1 => Gfp::HIGHUSER_MOVABLE,
                            2 => Gfp::KERNEL | Gfp::RECLAIMABLE,
                            _ => Gfp::DMA32,
                        } | Gfp::NOWARN;
                        let nid = NodeId(((rng >> 4) % 2) as u16);
                        if let Ok(p) = mm.alloc_pages_node(nid, gfp, order) {
                            for i in 0..1u64 << order {
                                let pfn = p.0 + i;
                                assert_eq!(
                                    owner[pfn as usize].swap(tag, Relaxed),
                                    0,
                                    "page {pfn:#x} handed out twice"
                                );
                                let addr = base + (pfn as usize) * 4096;
                                // SAFETY: the page was just allocated to this thread.
                                unsafe { (addr as *mut u64).write((tag as u64) << 56 | pfn) };
                            }
                            mine.push((p, order, tag));
                        }
                    } else {
                        let i = (rng as usize >> 3) % mine.len();
                        let b = mine.swap_remove(i);
                        if step % 2 == 0 {
                            tx.send(b).unwrap();
                        } else {
                            verify_free(b.0, b.1, b.2);
                        }
                    }
                    // Free what others sent (remote frees).
                    while let Ok(b) = rx.lock().unwrap().try_recv() {
                        verify_free(b.0, b.1, b.2);
                    }
                }
                for b in mine {
                    verify_free(b.0, b.1, b.2);
                }
            })
        })
        .collect();
    drop(tx);
    for h in handles {
        h.join().unwrap();
    }
    while let Ok(b) = rx.lock().unwrap().try_recv() {
        for i in 0..1u64 << b.1 {
            owner[(b.0 .0 + i) as usize].store(0, Relaxed);
        }
        mm.free_pages(b.0, b.1).unwrap();
    }
    mm.check().unwrap();
    mm.drain_all_pages(None).unwrap();
    mm.check().unwrap();
    assert_eq!(mm.nr_free_pages(), free0);
    assert!(owner.iter().all(|o| o.load(Relaxed) == 0));
}

#[test]
fn drained_lists_leave_the_buddy_whole_again() {
    let mm = boot_numa(32);
    for cpu in 0..4 {
        set_this_cpu(cpu);
        let v: Vec<_> = (0..100)
            .map(|i| {
                mm.alloc_pages_node(NodeId((i % 2) as u16), Gfp::KERNEL, (i % 4) as u32)
                    .unwrap()
            })
            .collect();
        for (i, p) in v.into_iter().enumerate() {
            mm.free_pages(p, (i % 4) as u32).unwrap();
        }
    }
    set_this_cpu(0);
    assert!(mm.nr_pcp_pages() > 0);
    mm.check().unwrap();
    let z = zone(&mm, 1, NORMAL);
    for cpu in 0..4 {
        mm.drain_pages_zone(cpu, z).unwrap();
        assert_eq!(mm.pcp_state(z, cpu).unwrap().count, 0);
    }
    mm.drain_all_pages(None).unwrap();
    assert_eq!(mm.nr_pcp_pages(), 0);
    mm.check().unwrap();
}

mod model {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Alloc {
            cpu: usize,
            nid: u16,
            gfp: u8,
            order: u32,
        },
        Free {
            cpu: usize,
            pick: usize,
        },
        Drain {
            cpu: usize,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0..4usize, 0..2u16, 0..5u8, prop_oneof![4 => 0..4u32, 1 => 0..11u32, 1 => Just(9u32)])
                .prop_map(|(cpu, nid, gfp, order)| Op::Alloc { cpu, nid, gfp, order }),
            4 => (0..4usize, any::<usize>()).prop_map(|(cpu, pick)| Op::Free { cpu, pick }),
            1 => (0..4usize).prop_map(|cpu| Op::Drain { cpu }),
        ]
    }

    fn gfp_of(g: u8) -> Gfp {
        match g {
            0 => Gfp::KERNEL,
            1 => Gfp::HIGHUSER_MOVABLE,
            2 => Gfp::KERNEL | Gfp::RECLAIMABLE,
            3 => Gfp::DMA32 | Gfp::MOVABLE,
            _ => Gfp::ATOMIC,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        /// With the per-CPU lists on: blocks never overlap, every page is either free in
        /// the buddy lists, on a per-CPU list or allocated, and `check()` holds after
        /// every step.
        #[test]
        fn random_ops_with_pcp_match_model(ops in proptest::collection::vec(op(), 1..120)) {
            let mm = std::sync::Arc::<Mm<ThreadMem>>::from(boot_numa(16));
            let total = mm.nr_free_pages() + mm.nr_pcp_pages();
            let mut live: Vec<(u64, u32)> = vec![];
            let mut taken = std::collections::BTreeMap::<u64, u64>::new();
            for op in ops {
                match op {
                    Op::Alloc { cpu, nid, gfp, order } => {
                        set_this_cpu(cpu);
                        if let Ok(p) = mm.alloc_pages_node(NodeId(nid), gfp_of(gfp) | Gfp::NOWARN, order) {
                            let (s, e) = (p.0, p.0 + (1 << order));
                            prop_assert_eq!(s % (1 << order), 0);
                            if let Some((&ps, &pe)) = taken.range(..e).next_back() {
                                prop_assert!(pe <= s || ps >= e, "overlap {:#x}+{} with {:#x}..{:#x}", s, order, ps, pe);
                            }
                            taken.insert(s, e);
                            live.push((p.0, order));
                        }
                    }
                    Op::Free { cpu, pick } => {
                        if live.is_empty() { continue; }
                        set_this_cpu(cpu);
                        let (p, o) = live.swap_remove(pick % live.len());
                        taken.remove(&p);
                        mm.free_pages(Pfn(p), o).unwrap();
                    }
                    Op::Drain { cpu } => mm.drain_pages(cpu).unwrap(),
                }
                mm.check().unwrap();
                let used: u64 = live.iter().map(|&(_, o)| 1u64 << o).sum();
                prop_assert_eq!(mm.nr_free_pages() + mm.nr_pcp_pages() + used, total);
            }
            for (p, o) in live {
                mm.free_pages(Pfn(p), o).unwrap();
            }
            mm.drain_all_pages(None).unwrap();
            mm.check().unwrap();
            prop_assert_eq!(mm.nr_free_pages(), total);
        }
    }
}

/// The PCP-hit shortcut of `alloc_pages` (which skips the zonelist walk) must leave
/// exactly what the full walk leaves: the same blocks, counters and lists. A nodemask
/// of every node takes the full walk, so two identical machines driven the same way
/// — one through each — must stay identical.
#[test]
fn pcp_shortcut_matches_the_full_zonelist_walk() {
    let a = boot_numa(64);
    let b = boot_numa(64);
    for nid in 0..2u16 {
        let node = a.node(NodeId(nid)).unwrap();
        for h in 0..node.zones().len() {
            let walk = a.zonelist(NodeId(nid)).find(|z| z.zone_idx <= h);
            assert_eq!(node.first_zoneref(h), walk, "node {nid} highest {h}");
        }
    }
    let all = oxmm::types::NodeMask::EMPTY.with(NodeId(0)).with(NodeId(1));
    let gfps = [
        Gfp::KERNEL,
        Gfp::HIGHUSER_MOVABLE,
        Gfp::KERNEL | Gfp::RECLAIMABLE,
        Gfp::DMA32,
        Gfp::KERNEL | Gfp::THISNODE,
        Gfp::KERNEL | Gfp::ZERO,
        Gfp::KERNEL | Gfp::COMP,
    ];
    let mut held: Vec<(Pfn, u32)> = Vec::new();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for step in 0..20_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let cpu = (rng % 4) as usize;
        set_this_cpu(cpu);
        if held.len() > 300 || (rng >> 8) % 3 == 0 && !held.is_empty() {
            let (p, o) = held.swap_remove((rng >> 16) as usize % held.len());
            a.free_pages(p, o).unwrap();
            b.free_pages(p, o).unwrap();
            continue;
        }
        let nid = NodeId(((rng >> 20) % 2) as u16);
        let gfp = gfps[(rng >> 24) as usize % gfps.len()];
        let order = [0, 0, 0, 1, 2, 3][(rng >> 32) as usize % 6];
        let pa = a.alloc_pages_node(nid, gfp, order);
        let pb = b.alloc_pages_nodemask(nid, gfp, order, Some(&all));
        assert_eq!(pa, pb, "step {step}: {gfp} order {order} on node {}", nid.0);
        if let Ok(p) = pa {
            held.push((p, order));
        }
    }
    let (mut za, mut zb) = (String::new(), String::new());
    a.zoneinfo(&mut za).unwrap();
    b.zoneinfo(&mut zb).unwrap();
    assert_eq!(za, zb);
    let (mut va, mut vb) = (String::new(), String::new());
    a.vmstat(&mut va).unwrap();
    b.vmstat(&mut vb).unwrap();
    assert_eq!(va, vb);
    assert!(va.contains("numa_hit"));
    a.check().unwrap();
    b.check().unwrap();
}

/// With one node, every CPU's `numa_node_id` is that node, as the walk over the
/// nodes' CPUs finds; with two, each CPU gets its own node.
#[test]
fn numa_node_id_follows_the_cpus_nodes() {
    let one = boot(64, 3);
    let two = boot_numa(64);
    for cpu in 0..4 {
        set_this_cpu(cpu);
        if cpu < 3 {
            assert_eq!(one.numa_node_id(), NodeId(0));
        }
        assert_eq!(two.numa_node_id(), NodeId((cpu / 2) as u16));
    }
}

/// A node id beyond `MAX_NUMNODES` is refused (`NoNode`) even when the per-CPU shortcut
/// could serve the request: it is not folded onto a node that exists (64 onto 0).
#[test]
fn out_of_range_node_is_refused_with_a_warm_cpu_list() {
    let mm = boot(512, 1);
    let p = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    mm.free_pages(p, 0).unwrap();
    for order in [0, 9] {
        let r = mm.alloc_pages_node(NodeId(64), Gfp::KERNEL, order);
        assert_eq!(r, Err(AllocError::NoNode(NodeId(64))), "order {order}");
    }
    mm.check().unwrap();
}

/// The bytes of page `p` of a machine whose direct map starts at `base`.
///
/// # Safety
/// `p` must be a page of that machine's memory and the caller its only user while the
/// slice lives (it allocated the page, or freed it and allocates nothing meanwhile).
unsafe fn page_bytes<'a>(base: usize, p: Pfn) -> &'a mut [u8] {
    // SAFETY: one 4 KiB page at its pfn behind the direct map, which the caller vouches
    // is the machine's and used by nothing else.
    unsafe { std::slice::from_raw_parts_mut((base + p.0 as usize * 4096) as *mut u8, 4096) }
}

/// `init_on_alloc` / `init_on_free` set at run time.
fn set_meminit(mm: &Mm<ThreadMem>, init_on_alloc: bool, init_on_free: bool) {
    mm.set_meminit(oxmm::slab::hardening::MemInit {
        init_on_alloc,
        init_on_free,
    });
}

/// `init_on_alloc` switched on at run time zeroes the pages the CPU lists hand out,
/// for the hot request (GFP_KERNEL, whose shortcut skips the key's test) and any
/// other; switched off, a page freed dirty comes back as it was.
#[test]
fn init_on_alloc_at_run_time_zeroes_pages_from_the_cpu_lists() {
    let mm = boot(512, 1);
    let base = mm.platform().direct_map_base() as usize;
    // SAFETY: every page looked at is this test's: allocated by it, or freed by it
    // and looked at before anything else is allocated.
    let page = |p: Pfn| unsafe { page_bytes(base, p) };
    let set = |on: bool| set_meminit(&mm, on, false);
    for gfp in [Gfp::KERNEL, Gfp::DMA] {
        let p = mm.alloc_pages(gfp, 0).unwrap();
        page(p).fill(0xa5);
        mm.free_pages(p, 0).unwrap();
        let q = mm.alloc_pages(gfp, 0).unwrap();
        assert_eq!(q, p, "{gfp}: the CPU's list is LIFO");
        assert!(
            page(q).iter().all(|&b| b == 0xa5),
            "{gfp}: zeroed with the key off"
        );
        mm.free_pages(q, 0).unwrap();
        set(true);
        let r = mm.alloc_pages(gfp, 0).unwrap();
        assert_eq!(r, p, "{gfp}: the same page from the same list");
        assert!(
            page(r).iter().all(|&b| b == 0),
            "{gfp}: not zeroed with the key on"
        );
        page(r).fill(0x5a);
        mm.free_pages(r, 0).unwrap();
        set(false);
        let s = mm.alloc_pages(gfp, 0).unwrap();
        assert!(
            page(s).iter().all(|&b| b == 0x5a),
            "{gfp}: zeroed after the key went off"
        );
        mm.free_pages(s, 0).unwrap();
        mm.check().unwrap();
    }
}

/// `init_on_free` switched on at run time zeroes the pages freed to the CPU lists,
/// in the hot zone (whose `page_zone` guess skips the key's test) and any other;
/// switched off, a freed page keeps its contents.
#[test]
fn init_on_free_at_run_time_zeroes_pages_freed_to_the_cpu_lists() {
    let mm = boot(512, 1);
    let base = mm.platform().direct_map_base() as usize;
    // SAFETY: every page looked at is this test's: allocated by it, or freed by it
    // and looked at before anything else is allocated.
    let page = |p: Pfn| unsafe { page_bytes(base, p) };
    let set = |on: bool| set_meminit(&mm, false, on);
    for gfp in [Gfp::KERNEL, Gfp::DMA] {
        for on in [true, false] {
            set(on);
            let p = mm.alloc_pages(gfp, 0).unwrap();
            page(p).fill(0xa5);
            mm.free_pages(p, 0).unwrap();
            let want = if on { 0 } else { 0xa5 };
            assert!(
                page(p).iter().all(|&b| b == want),
                "{gfp}, init_on_free {on}: freed page not {want:#x}"
            );
            mm.check().unwrap();
        }
    }
}

#[test]
fn a_boosted_zone_wakes_kswapd_after_a_per_cpu_hit() {
    use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
    use oxmm::mmzone::ZONE_BOOSTED_WATERMARK;
    // rmqueue: an ALLOC_KSWAPD allocation from a zone whose watermark is boosted
    // clears the flag and wakes kswapd for that zone, order 0, up to its own index.
    struct Kswapd(AtomicU32, AtomicU32);
    impl AllocHooks for Kswapd {
        fn wakeup_kswapd(&self, nid: NodeId, zone_idx: usize, order: u32, highest: usize) {
            self.0.fetch_add(1, Relaxed);
            let call = u32::from(nid.0) << 24 | (zone_idx as u32) << 16 | order << 8;
            self.1.store(call | highest as u32, Relaxed);
        }
    }
    static HOOKS: Kswapd = Kswapd(AtomicU32::new(0), AtomicU32::new(0));
    let mut mm = boot(512, 1);
    mm.set_alloc_hooks(&HOOKS);
    set_this_cpu(0);
    let p = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    mm.free_pages(p, 0).unwrap();
    let z = zone(&mm, 0, DMA32);
    // Without __GFP_KSWAPD_RECLAIM: the flag stays, nobody is woken.
    z.set_flag(ZONE_BOOSTED_WATERMARK);
    let q = mm
        .alloc_pages(Gfp::KERNEL - Gfp::KSWAPD_RECLAIM, 0)
        .unwrap();
    assert_eq!(q, p, "still the per-CPU list's hot page");
    mm.free_pages(q, 0).unwrap();
    assert_eq!(HOOKS.0.load(Relaxed), 0);
    assert!(z.test_flag(ZONE_BOOSTED_WATERMARK));
    // GFP_KERNEL: the hot page, the flag cleared, kswapd woken once.
    let q = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    assert_eq!(q, p);
    assert_eq!(HOOKS.0.load(Relaxed), 1);
    assert_eq!(HOOKS.1.load(Relaxed), (DMA32 as u32) << 16 | DMA32 as u32);
    assert!(!z.test_flag(ZONE_BOOSTED_WATERMARK));
    mm.free_pages(q, 0).unwrap();
    let q = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    assert_eq!(HOOKS.0.load(Relaxed), 1);
    mm.free_pages(q, 0).unwrap();
    mm.check().unwrap();
}

#[test]
fn a_dma_failure_without_dma_memory_is_not_reported() {
    // warn_alloc returns early for __GFP_DMA when no DMA zone has managed pages
    // (has_managed_dma): here memory starts at 16 MiB, above ZONE_DMA.
    let end = 64u64 << 20;
    let mut mb = Memblock::new();
    mb.add(PhysAddr(16 << 20), end - (16 << 20)).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, end >> 12);
    cfg.zone_limits.set(ZoneType::Normal, end >> 12);
    let mm = boot_boxed(ThreadMem::new(end, 1), mb, &cfg, BootMode::Full);
    assert!(!mm.has_managed_dma());
    mm.platform().take_log();
    assert!(matches!(
        mm.alloc_pages(Gfp::KERNEL | Gfp::DMA, 0),
        Err(AllocError::NoMemory { .. })
    ));
    assert!(mm.platform().take_log().is_empty());
    // A DMA32 request that fails is reported as ever.
    while mm
        .alloc_pages(Gfp::KERNEL | Gfp::DMA32 | Gfp::NOWARN, 10)
        .is_ok()
    {}
    assert!(mm.alloc_pages(Gfp::KERNEL | Gfp::DMA32, 10).is_err());
    let log = mm.platform().take_log();
    assert!(
        log[0].contains("page allocation failure: order:10"),
        "{log:?}"
    );
    // With DMA memory, a failed DMA request is reported.
    let mm = boot(64, 1);
    assert!(mm.has_managed_dma());
    while mm
        .alloc_pages(Gfp::KERNEL | Gfp::DMA | Gfp::NOWARN, 10)
        .is_ok()
    {}
    mm.platform().take_log();
    assert!(mm.alloc_pages(Gfp::KERNEL | Gfp::DMA, 10).is_err());
    assert!(!mm.platform().take_log().is_empty());
}
