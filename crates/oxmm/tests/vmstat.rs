//! The VM counters move as Linux's do: `pgalloc_<zone>` by the pages of each
//! allocation, `pgfree` on every free (and for every page boot frees), `zone_statistics`
//! (numa_hit/miss/foreign/local/other) once per allocation on one and two nodes, and
//! the slab pages in `nr_slab_{reclaimable,unreclaimable}`.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::{boot_boxed, boot_numa, set_this_cpu, ThreadMem};

use oxmm::boot::{Arch, BootConfig};
use oxmm::gfp::Gfp;
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::{Zone, ZoneType};
use oxmm::types::{NodeId, Pfn, PhysAddr};
use oxmm::vmstat::{NodeStatItem, NumaStatItem, VmEventItem, VmstatError};

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

/// The zone holding `pfn`.
fn zone_of(mm: &Mm<ThreadMem>, pfn: Pfn) -> &Zone {
    mm.nodes()
        .flat_map(|n| n.zones().iter())
        .find(|z| z.spans_pfn(pfn.0) && z.is_populated())
        .unwrap()
}

/// Every zone's NUMA counters, in node and zone order.
fn numa(mm: &Mm<ThreadMem>) -> Vec<[u64; 6]> {
    mm.nodes()
        .flat_map(|n| n.zones().iter())
        .map(|z| NumaStatItem::ALL.map(|i| z.numa_event_state(i)))
        .collect()
}

/// Index of a zone in [`numa`]'s list.
fn pos(mm: &Mm<ThreadMem>, z: &Zone) -> usize {
    mm.nodes()
        .flat_map(|n| n.zones().iter())
        .position(|c| std::ptr::eq(c, z))
        .unwrap()
}

fn delta(before: &[[u64; 6]], after: &[[u64; 6]]) -> Vec<[u64; 6]> {
    before
        .iter()
        .zip(after)
        .map(|(b, a)| std::array::from_fn(|i| a[i] - b[i]))
        .collect()
}

const HIT: usize = NumaStatItem::NumaHit as usize;
const MISS: usize = NumaStatItem::NumaMiss as usize;
const FOREIGN: usize = NumaStatItem::NumaForeign as usize;
const LOCAL: usize = NumaStatItem::NumaLocal as usize;
const OTHER: usize = NumaStatItem::NumaOther as usize;

#[test]
fn boot_frees_every_managed_page_and_allocates_the_pagesets() {
    let mm = boot(128, 2);
    let ev = |i| mm.vm_event(i);
    assert_eq!(ev(VmEventItem::Pgfree), mm.totalram_pages());
    let pgalloc: u64 = ZoneType::ALL
        .iter()
        .map(|&t| ev(VmEventItem::pgalloc(t)))
        .sum();
    assert_eq!(pgalloc, mm.percpu_pages());
}

#[test]
fn one_node_allocations_are_local_hits_and_count_their_pages() {
    let mm = boot(128, 1);
    set_this_cpu(0);
    let ev = |i| mm.vm_event(i);
    let (dma32_before, normal_before) = (
        ev(VmEventItem::PgallocDma32),
        ev(VmEventItem::PgallocNormal),
    );
    let free_before = ev(VmEventItem::Pgfree);
    let before = numa(&mm);
    let a = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    let b = mm.alloc_pages(Gfp::KERNEL, 3).unwrap();
    let c = mm.alloc_pages(Gfp::KERNEL, 10).unwrap();
    // The 128 MiB machine's memory above 16 MiB is all DMA32.
    for p in [a, b, c] {
        assert_eq!(zone_of(&mm, p).zone_type(), ZoneType::Dma32);
    }
    assert_eq!(ev(VmEventItem::PgallocDma32) - dma32_before, 1 + 8 + 1024);
    assert_eq!(ev(VmEventItem::PgallocNormal), normal_before);
    let d = delta(&before, &numa(&mm));
    let zi = pos(&mm, zone_of(&mm, a));
    let mut want = vec![[0u64; 6]; d.len()];
    want[zi][HIT] = 3;
    want[zi][LOCAL] = 3;
    assert_eq!(d, want);
    // A DMA request is counted on the DMA zone.
    let dma = mm.alloc_pages(Gfp::KERNEL | Gfp::DMA, 1).unwrap();
    assert_eq!(zone_of(&mm, dma).zone_type(), ZoneType::Dma);
    assert_eq!(ev(VmEventItem::PgallocDma), 2);
    assert_eq!(zone_of(&mm, dma).numa_event_state(NumaStatItem::NumaHit), 1);

    assert_eq!(ev(VmEventItem::Pgfree), free_before);
    mm.free_pages(a, 0).unwrap();
    mm.free_pages(b, 3).unwrap();
    mm.free_pages(c, 10).unwrap();
    mm.free_pages(dma, 1).unwrap();
    assert_eq!(ev(VmEventItem::Pgfree) - free_before, 1 + 8 + 1024 + 2);
    // A refused free counts nothing.
    assert!(mm.free_pages(a, 0).is_err());
    assert_eq!(ev(VmEventItem::Pgfree) - free_before, 1 + 8 + 1024 + 2);
    mm.check().unwrap();
}

#[test]
fn two_nodes_count_other_miss_and_foreign() {
    let mm = boot_numa(64);
    set_this_cpu(0);
    let node1 = |p: Pfn| zone_of(&mm, p).nid() == NodeId(1);

    // From CPU 0 (node 0), on node 1: a hit there, but not local.
    let before = numa(&mm);
    let far = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 0).unwrap();
    assert!(node1(far));
    let z1 = pos(&mm, zone_of(&mm, far));
    let d = delta(&before, &numa(&mm));
    let mut want = vec![[0u64; 6]; d.len()];
    want[z1][HIT] = 1;
    want[z1][OTHER] = 1;
    assert_eq!(d, want);

    // The same from CPU 2 (node 1) is local.
    set_this_cpu(2);
    let before = numa(&mm);
    let near = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 0).unwrap();
    let d = delta(&before, &numa(&mm));
    want[z1][OTHER] = 0;
    want[z1][LOCAL] = 1;
    assert_eq!(d, want);
    set_this_cpu(0);

    // Fill node 1, then ask it for more: the page comes from node 0, a miss there
    // and a foreign on node 1's zone; local, since CPU 0 is on node 0.
    let mut held = vec![far, near];
    let only1 = Gfp::KERNEL | Gfp::THISNODE | Gfp::NOWARN;
    for order in (0..=10).rev() {
        while let Ok(p) = mm.alloc_pages_node(NodeId(1), only1, order) {
            assert!(node1(p));
            held.push(p);
        }
    }
    let before = numa(&mm);
    let spill = mm
        .alloc_pages_node(NodeId(1), Gfp::KERNEL | Gfp::NOWARN, 0)
        .unwrap();
    assert!(!node1(spill));
    let z0 = pos(&mm, zone_of(&mm, spill));
    let d = delta(&before, &numa(&mm));
    let mut want = vec![[0u64; 6]; d.len()];
    want[z0][MISS] = 1;
    want[z0][LOCAL] = 1;
    want[z1][FOREIGN] = 1;
    assert_eq!(d, want);

    // vmstat's NUMA lines are the sums over the zones.
    let v = mm.vmstat_values();
    let all = numa(&mm);
    for i in 0..6 {
        assert_eq!(v.numa[i], all.iter().map(|z| z[i]).sum::<u64>());
    }
    mm.free_pages(spill, 0).unwrap();
    for p in held {
        let order = mm.memmap().page(p.0).unwrap().private() as u32;
        mm.free_pages(p, order).unwrap();
    }
    mm.check().unwrap();
}

#[test]
fn node_page_state_takes_whole_pages_of_bytes() {
    let mm = boot(64, 1);
    let item = NodeStatItem::NrSlabReclaimableB;
    mm.mod_node_page_state(NodeId(0), item, 3 * 4096).unwrap();
    assert_eq!(mm.global_node_page_state(item), 3);
    assert_eq!(
        mm.mod_node_page_state(NodeId(0), item, 100),
        Err(VmstatError::NotPageMultiple { item, delta: 100 })
    );
    assert_eq!(
        mm.mod_node_page_state(NodeId(3), item, 4096),
        Err(VmstatError::NoNode(3))
    );
    mm.mod_node_page_state(NodeId(0), NodeStatItem::NrPagetable, 2)
        .unwrap();
    let m = mm.meminfo_values();
    assert_eq!((m.sreclaimable, m.page_tables), (12, 8));
    mm.mod_node_page_state(NodeId(0), item, -3 * 4096).unwrap();
    assert_eq!(mm.global_node_page_state(item), 0);
}

#[test]
fn slab_pages_show_in_the_node_counters() {
    use oxmm::slab::SlabCaches;
    let mm = boot(128, 1);
    let slab = SlabCaches::init(&mm, Default::default()).unwrap();
    let slab_pages = |slab: &SlabCaches| -> u64 {
        let mut n = 0;
        slab.for_each(|c| n += c.nr_slabs() << c.order());
        n
    };
    let counted = |mm: &Mm<ThreadMem>| {
        mm.global_node_page_state(NodeStatItem::NrSlabReclaimableB)
            + mm.global_node_page_state(NodeStatItem::NrSlabUnreclaimableB)
    };
    assert!(slab_pages(&slab) > 0);
    assert_eq!(counted(&mm), slab_pages(&slab));
    let mut objs = Vec::new();
    for _ in 0..2000 {
        objs.push(slab.kmalloc(&mm, 192, Gfp::KERNEL).unwrap());
    }
    assert_eq!(counted(&mm), slab_pages(&slab));
    // A large kmalloc is unreclaimable slab memory too, until kfree.
    let before = mm.global_node_page_state(NodeStatItem::NrSlabUnreclaimableB);
    let big = slab.kmalloc(&mm, 64 << 10, Gfp::KERNEL).unwrap();
    assert_eq!(
        mm.global_node_page_state(NodeStatItem::NrSlabUnreclaimableB),
        before + 16
    );
    slab.kfree(&mm, big.as_ptr()).unwrap();
    assert_eq!(
        mm.global_node_page_state(NodeStatItem::NrSlabUnreclaimableB),
        before
    );
    for o in objs {
        slab.kfree(&mm, o.as_ptr()).unwrap();
    }
    let mut ids = Vec::new();
    slab.for_each(|c| ids.push(c.id()));
    for c in ids {
        slab.kmem_cache_shrink(&mm, c).unwrap();
    }
    assert_eq!(counted(&mm), slab_pages(&slab));
    let m = mm.meminfo_values();
    assert_eq!(m.slab, counted(&mm) * 4);
    mm.check().unwrap();
}

#[test]
fn rendered_files_follow_the_counters() {
    let mm = boot(128, 2);
    let p = mm.alloc_pages(Gfp::KERNEL, 2).unwrap();
    let mut s = String::new();
    mm.vmstat(&mut s).unwrap();
    let get = |name: &str| -> u64 {
        s.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(get("nr_free_pages"), mm.nr_free_pages());
    assert_eq!(get("pgalloc_dma32"), mm.vm_event(VmEventItem::PgallocDma32));
    let (thresh, bg) = mm.global_dirty_limits();
    assert_eq!(
        (
            get("nr_dirty_threshold"),
            get("nr_dirty_background_threshold")
        ),
        (thresh, bg)
    );
    let mut z = String::new();
    mm.zoneinfo(&mut z).unwrap();
    // Two CPUs' pagesets per populated zone, each with the zone's threshold.
    assert_eq!(z.matches("    cpu: 1\n").count(), 2);
    let dma32 = &mm.nodes().next().unwrap().zones()[1];
    let t = mm.zone_stat_threshold(dma32);
    assert!(z.contains(&format!("  vm stats threshold: {t}\n  node_unreclaimable")));
    mm.free_pages(p, 2).unwrap();
}

#[test]
fn concurrent_counts_are_exact() {
    let mm = boot(256, 4);
    let sum_numa = |i: usize| numa(&mm).iter().map(|z| z[i]).sum::<u64>();
    let (hit0, alloc0, free0) = (
        sum_numa(HIT),
        mm.vm_event(VmEventItem::PgallocDma32),
        mm.vm_event(VmEventItem::Pgfree),
    );
    std::thread::scope(|s| {
        for cpu in 0..4 {
            let mm = &mm;
            s.spawn(move || {
                set_this_cpu(cpu);
                for i in 0..2000u32 {
                    let order = i % 4;
                    let p = mm.alloc_pages(Gfp::KERNEL, order).unwrap();
                    mm.free_pages(p, order).unwrap();
                }
            });
        }
    });
    // Orders 0..3 in turn: 500 × (1 + 2 + 4 + 8) pages per thread.
    let pages = 4 * 500 * 15;
    assert_eq!(sum_numa(HIT) - hit0, 4 * 2000);
    assert_eq!(sum_numa(LOCAL), sum_numa(HIT));
    assert_eq!(mm.vm_event(VmEventItem::PgallocDma32) - alloc0, pages);
    assert_eq!(mm.vm_event(VmEventItem::Pgfree) - free0, pages);
    mm.check().unwrap();
}

/// Four threads on two CPU ids: two threads share each CPU's per-CPU lists and its
/// counters. The per-CPU path counts with plain adds under the lists' lock and the
/// busy path (the other thread holds the lock) with locked adds, so no count is lost.
#[test]
fn counts_are_exact_with_threads_sharing_a_cpu() {
    let mm = boot(256, 2);
    let sum_numa = |i: usize| numa(&mm).iter().map(|z| z[i]).sum::<u64>();
    let (hit0, alloc0, free0) = (
        sum_numa(HIT),
        mm.vm_event(VmEventItem::PgallocDma32),
        mm.vm_event(VmEventItem::Pgfree),
    );
    const N: u64 = 100_000;
    // Started together, so that threads of one CPU do overlap.
    let start = std::sync::Barrier::new(4);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (mm, start) = (&mm, &start);
            s.spawn(move || {
                set_this_cpu(t % 2);
                start.wait();
                for i in 0..N as u32 {
                    let order = i % 2;
                    let p = mm.alloc_pages(Gfp::KERNEL, order).unwrap();
                    mm.free_pages(p, order).unwrap();
                }
            });
        }
    });
    // Orders 0 and 1 in turn: N / 2 × (1 + 2) pages per thread.
    let pages = 4 * N / 2 * 3;
    assert_eq!(sum_numa(HIT) - hit0, 4 * N);
    assert_eq!(sum_numa(LOCAL), sum_numa(HIT));
    assert_eq!(mm.vm_event(VmEventItem::PgallocDma32) - alloc0, pages);
    assert_eq!(mm.vm_event(VmEventItem::Pgfree) - free0, pages);
    mm.check().unwrap();
}

/// A reader racing the allocating CPU never sees a count the allocations did not
/// make: CPU 0 allocates from node 1 (hits there, all `NUMA_OTHER`), so node 1's
/// zone's `NUMA_LOCAL` stays put and its `NUMA_HIT` only grows, up to the number of
/// allocations, while another thread reads them throughout.
#[test]
fn readers_racing_remote_allocations_see_no_phantom_counts() {
    let mm = boot_numa(64);
    let p = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 0).unwrap();
    let z1 = pos(&mm, zone_of(&mm, p));
    mm.free_pages(p, 0).unwrap();
    let start = numa(&mm)[z1];
    const N: u64 = 20_000;
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            set_this_cpu(0);
            for _ in 0..N {
                let p = mm.alloc_pages_node(NodeId(1), Gfp::KERNEL, 0).unwrap();
                mm.free_pages(p, 0).unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Release);
        });
        let mut last_hit = start[HIT];
        let mut reads = 0u64;
        while !done.load(std::sync::atomic::Ordering::Acquire) || reads == 0 {
            let now = numa(&mm)[z1];
            assert_eq!(now[LOCAL], start[LOCAL], "phantom NUMA_LOCAL: {now:?}");
            assert_eq!(now[MISS], start[MISS], "phantom NUMA_MISS: {now:?}");
            assert!(
                now[HIT] >= last_hit && now[HIT] <= start[HIT] + N,
                "{now:?}"
            );
            assert!(now[OTHER] <= start[OTHER] + N, "{now:?}");
            last_hit = now[HIT];
            reads += 1;
        }
    });
    let end = numa(&mm)[z1];
    assert_eq!([end[HIT], end[OTHER]], [start[HIT] + N, start[OTHER] + N]);
    assert_eq!(end[LOCAL], start[LOCAL]);
    mm.check().unwrap();
}
