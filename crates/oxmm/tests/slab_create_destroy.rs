//! Creating and destroying caches leaks no pages: the per-CPU slots of a cache
//! (Linux: `alloc_percpu` in `alloc_kmem_cache_cpus`, `free_percpu` in
//! `__kmem_cache_release`) go back with it.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::boot::{Arch, BootConfig};
use oxmm::gfp::Gfp;
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::ZoneType;
use oxmm::printk::NullLog;
use oxmm::slab::order::SlubParams;
use oxmm::slab::{SlabCaches, SlabFlags};
use oxmm::types::PhysAddr;
use support::VecMem;

fn boot(cpus: usize) -> Box<Mm<VecMem>> {
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    let mm = support::boot_boxed(VecMem::new(64 << 20, cpus), mb, &cfg, BootMode::Full);
    mm.check().unwrap();
    mm
}

/// Free pages once the registry's own caches dropped their empty slabs and every
/// CPU's page lists went back to the buddy allocator.
fn free_now(mm: &Mm<VecMem>, sc: &SlabCaches) -> u64 {
    for id in [SlabCaches::KMEM_CACHE, SlabCaches::KMEM_CACHE_NODE] {
        sc.kmem_cache_shrink(mm, id).unwrap();
    }
    mm.drain_all_pages(None).unwrap();
    mm.nr_free_pages()
}

#[test]
fn a_thousand_create_destroy_cycles_leave_the_free_pages_unchanged() {
    let mm = boot(4);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let free0 = free_now(&mm, &sc);
    let percpu0 = sc.percpu_pages();
    // Ten rounds of 100 live caches at once (six chunks of per-CPU slots beyond the
    // boot caches'), each cache used, then all destroyed.
    for round in 0..10 {
        let ids: Vec<_> = (0..100)
            .map(|i| {
                let name = format!("cd-{round}-{i}");
                sc.kmem_cache_create(&mm, &name, 40 + i, 0, SlabFlags::NO_MERGE, None)
                    .unwrap()
            })
            .collect();
        assert!(sc.percpu_pages() > percpu0);
        for &id in &ids {
            let p = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
            sc.kmem_cache_free(&mm, id, p.as_ptr()).unwrap();
        }
        for id in ids {
            sc.kmem_cache_destroy(&mm, id, &mut NullLog).unwrap();
        }
        assert_eq!(sc.percpu_pages(), percpu0);
        assert_eq!(free_now(&mm, &sc), free0, "round {round}");
    }
    mm.check().unwrap();
}

#[test]
fn a_chunk_shared_with_a_live_cache_stays() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let percpu0 = sc.percpu_pages();
    let ids: Vec<_> = (0..40)
        .map(|i| {
            sc.kmem_cache_create(&mm, &format!("keep-{i}"), 64, 0, SlabFlags::NO_MERGE, None)
                .unwrap()
        })
        .collect();
    let grown = sc.percpu_pages();
    assert!(grown > percpu0);
    // Destroying all but the last leaves that cache's chunk (and its slots) in place.
    for &id in &ids[..39] {
        sc.kmem_cache_destroy(&mm, id, &mut NullLog).unwrap();
    }
    let last = *ids.last().unwrap();
    assert!(sc.percpu_pages() < grown);
    assert!(sc.percpu_pages() > percpu0);
    let p = sc.kmem_cache_alloc(&mm, last, Gfp::KERNEL).unwrap();
    sc.kmem_cache_free(&mm, last, p.as_ptr()).unwrap();
    // (Counted only with CONFIG_SLUB_STATS.)
    assert!(
        !cfg!(feature = "slub_stats")
            || sc
                .cache(last)
                .unwrap()
                .stats()
                .get(oxmm::slab::stat::StatItem::AllocSlowpath)
                > 0
    );
    sc.kmem_cache_destroy(&mm, last, &mut NullLog).unwrap();
    assert_eq!(sc.percpu_pages(), percpu0);
    // A creation that fails once it has its slots (no slab order fits a 4 MiB
    // object with a red zone) gives a fresh chunk back: fill ids up to the end of a
    // chunk first, so that the failing cache would open a new one.
    let mut fill = Vec::new();
    loop {
        let id = sc
            .kmem_cache_create(
                &mm,
                &format!("fill-{}", fill.len()),
                64,
                0,
                SlabFlags::NO_MERGE,
                None,
            )
            .unwrap();
        fill.push(id);
        if id.0 % 16 == 15 {
            break;
        }
    }
    let before = sc.percpu_pages();
    assert!(sc
        .kmem_cache_create(&mm, "too-big", 4 << 20, 0, SlabFlags::RED_ZONE, None)
        .is_err());
    assert_eq!(sc.percpu_pages(), before);
    for id in fill {
        sc.kmem_cache_destroy(&mm, id, &mut NullLog).unwrap();
    }
    assert_eq!(sc.percpu_pages(), percpu0);
    mm.check().unwrap();
}
