//! Slab allocator: order/size-class tables from REFERENCE §12, cache behaviour, kmalloc,
//! /proc/slabinfo format, and a random alloc/free model test.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::VecMem;

use std::collections::BTreeMap;

use oxmm::boot::{Arch, BootConfig};
use oxmm::gfp::Gfp;
use oxmm::memblock::Memblock;
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::ZoneType;
use oxmm::platform::Platform;
use oxmm::printk::{Level, Log};
use oxmm::slab::kmalloc::{kmalloc_index, kmalloc_index_size, kmalloc_type, KmallocType};
use oxmm::slab::layout::Layout;
use oxmm::slab::order::{calculate_order, order_objects, SlubParams};
use oxmm::slab::stat::StatItem;
use oxmm::slab::{CacheId, SlabCaches, SlabError, SlabFlags};
use oxmm::types::PhysAddr;
use proptest::prelude::*;

/// 64 MiB, one node: DMA below 16 MiB, DMA32 above.
fn boot(cpus: usize) -> Box<Mm<VecMem>> {
    let mut mb = Memblock::new();
    mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    let mem = VecMem::new(64 << 20, cpus);
    // Boxed: two machines on a test thread's stack would overflow it.
    let mm = support::boot_boxed(mem, mb, &cfg, BootMode::Full);
    mm.check().unwrap();
    mm
}

#[test]
fn calculate_order_matches_reference_table() {
    let p = SlubParams::default();
    // (size, [(order, objects) for 1, 4, 8, 64 CPUs])
    let table: [(u32, [(u32, u32); 4]); 8] = [
        (96, [(0, 42); 4]),
        (192, [(0, 21), (0, 21), (0, 21), (1, 42)]),
        (256, [(0, 16), (0, 16), (1, 32), (1, 32)]),
        (512, [(0, 8), (1, 16), (2, 32), (2, 32)]),
        (1024, [(1, 8), (2, 16), (3, 32), (3, 32)]),
        (2048, [(2, 8), (3, 16), (3, 16), (3, 16)]),
        (4096, [(3, 8); 4]),
        (8192, [(3, 4); 4]),
    ];
    for (size, cols) in table {
        for (cpus, (order, objs)) in [1u32, 4, 8, 64].into_iter().zip(cols) {
            let o = calculate_order(size, cpus, &p).unwrap();
            assert_eq!(
                (o, order_objects(o, size, 12)),
                (order, objs),
                "size {size} cpus {cpus}"
            );
        }
    }
    for size in [8u32, 16, 32, 64, 128] {
        assert_eq!(calculate_order(size, 8, &p), Ok(0));
    }
    // Larger than max_order: one object at its own order; beyond MAX_PAGE_ORDER: error.
    assert_eq!(calculate_order(64 << 10, 8, &p), Ok(4));
    assert!(calculate_order(8 << 20, 8, &p).is_err());
}

#[test]
fn size_classes_and_types() {
    let mut expect = Vec::new();
    for s in 1u64..=8192 {
        let i = kmalloc_index(s).unwrap();
        let sz = kmalloc_index_size(i) as u64;
        assert!(sz >= s, "size {s} index {i}");
        expect.push(sz);
    }
    assert_eq!(expect[0], 8);
    assert_eq!(expect[64], 96);
    assert_eq!(expect[96], 128);
    assert_eq!(expect[128], 192);
    assert_eq!(expect[192], 256);
    assert_eq!(expect[8191], 8192);
    assert_eq!(kmalloc_index(0), None);
    assert_eq!(
        kmalloc_type(Gfp::KERNEL | Gfp::RECLAIMABLE, true, false),
        KmallocType::Reclaim
    );
    assert_eq!(
        kmalloc_type(Gfp::KERNEL | Gfp::ACCOUNT, true, false),
        KmallocType::Normal
    );
    assert_eq!(
        kmalloc_type(Gfp::KERNEL | Gfp::ACCOUNT, true, true),
        KmallocType::Cgroup
    );
}

#[test]
fn layout_rules() {
    let l = Layout::calculate(24, 8, SlabFlags::default(), false).unwrap();
    assert_eq!((l.size, l.offset), (24, 8));
    let l = Layout::calculate(5, 8, SlabFlags::default(), false).unwrap();
    assert_eq!((l.size, l.offset), (8, 0));
    let l = Layout::calculate(24, 8, SlabFlags::TYPESAFE_BY_RCU, false).unwrap();
    assert_eq!((l.size, l.offset), (32, 24));
    assert_eq!(
        Layout::calculate(0, 8, SlabFlags::default(), false),
        Err(SlabError::BadSize(0))
    );
    assert_eq!(
        Layout::calculate(8, 12, SlabFlags::default(), false),
        Err(SlabError::BadAlign(12))
    );
}

#[derive(Default)]
struct Lines(Vec<String>);
impl Log for Lines {
    fn line(&mut self, _l: Level, a: std::fmt::Arguments<'_>) {
        self.0.push(a.to_string());
    }
}

fn ctor(b: &mut [u8]) {
    b.fill(0x42);
}

#[test]
fn cache_lifecycle_and_destroy() {
    let mm = boot(8);
    let free0 = free_now(&mm);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let kc = sc.cache(SlabCaches::KMEM_CACHE).unwrap();
    assert_eq!(kc.name(), "kmem_cache");
    let k96 = sc.kmalloc_cache(KmallocType::Normal, 1).unwrap();
    let c = sc.cache(k96).unwrap();
    assert_eq!(
        (c.name(), c.size(), c.align(), c.objects_per_slab()),
        ("kmalloc-96", 96, 32, 42)
    );
    assert_eq!(
        sc.cache(sc.kmalloc_cache(KmallocType::Dma, 13).unwrap())
            .unwrap()
            .name(),
        "dma-kmalloc-8k"
    );

    let id = sc
        .kmem_cache_create(
            &mm,
            "test_ctor",
            100,
            0,
            SlabFlags::HWCACHE_ALIGN,
            Some(ctor),
        )
        .unwrap();
    let c = sc.cache(id).unwrap();
    assert_eq!((c.size(), c.offset(), c.order()), (128, 104, 0));
    let mut objs = Vec::new();
    for _ in 0..100 {
        let p = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
        // SAFETY: a live 100-byte object.
        let b = unsafe { std::slice::from_raw_parts(p.as_ptr(), 100) };
        assert!(b.iter().all(|&x| x == 0x42), "constructor not run");
        objs.push(p.as_ptr());
    }
    assert_eq!(sc.cache(id).unwrap().nr_slabs(), 4); // 32 per slab
    mm.check().unwrap();
    // Bad frees are refused without change.
    assert_eq!(
        sc.kmem_cache_free(&mm, id, objs[0].wrapping_add(8)),
        Err(SlabError::InvalidFree(objs[0] as usize + 8))
    );
    assert!(matches!(
        sc.kmem_cache_free(&mm, k96, objs[0]),
        Err(SlabError::InvalidFree(_))
    ));
    sc.kmem_cache_free(&mm, id, objs[1]).unwrap();
    assert_eq!(
        sc.kmem_cache_free(&mm, id, objs[1]),
        Err(SlabError::DoubleFree(objs[1] as usize))
    );
    // Destroy is refused with a Linux-style report while objects are live.
    let mut log = Lines::default();
    assert_eq!(
        sc.kmem_cache_destroy(&mm, id, &mut log),
        Err(SlabError::ObjectsRemaining(99))
    );
    assert!(log.0.iter().any(|l| l == "BUG test_ctor (Not tainted): Objects remaining in test_ctor on __kmem_cache_shutdown()"));
    assert!(log
        .0
        .iter()
        .any(|l| l.starts_with("Object 0x") && l.ends_with("@offset=0")));
    for p in objs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, p)| *p)
    {
        sc.kmem_cache_free(&mm, id, p).unwrap();
    }
    // min_partial (5) empty slabs stay until shrink.
    assert_eq!(sc.cache(id).unwrap().nr_slabs(), 4);
    assert_eq!(sc.kmem_cache_shrink(&mm, id), Ok(4));
    assert_eq!(sc.cache(id).unwrap().nr_slabs(), 0);
    let p = sc
        .kmem_cache_alloc(&mm, id, Gfp::KERNEL | Gfp::ZERO)
        .unwrap();
    // SAFETY: a live object.
    assert!(unsafe { std::slice::from_raw_parts(p.as_ptr(), 100) }
        .iter()
        .all(|&x| x == 0));
    sc.kmem_cache_free(&mm, id, p.as_ptr()).unwrap();
    sc.kmem_cache_destroy(&mm, id, &mut log).unwrap();
    assert!(sc.cache(id).is_none());
    assert!(sc.kmem_cache_destroy(&mm, k96, &mut log).is_err());
    mm.check().unwrap();
    // Only the kmem_cache and kmem_cache_node slabs (holding the kmalloc caches'
    // structures) and the per-CPU slots remain.
    assert_eq!(free0 - free_now(&mm), baseline_pages(&sc));
}

/// Pages the registry keeps whatever happens: its own two caches' slabs and the
/// per-CPU slots.
fn baseline_pages(sc: &SlabCaches) -> u64 {
    let kc = sc.cache(SlabCaches::KMEM_CACHE).unwrap();
    let kcn = sc.cache(SlabCaches::KMEM_CACHE_NODE).unwrap();
    (kc.nr_slabs() << kc.order()) + (kcn.nr_slabs() << kcn.order()) + sc.percpu_pages()
}

#[test]
fn kmalloc_and_kfree() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let free = free_now(&mm);
    for (size, ksize) in [
        (1u64, 8u64),
        (65, 96),
        (129, 192),
        (193, 256),
        (8192, 8192),
        (8193, 16384),
    ] {
        let p = sc.kmalloc(&mm, size, Gfp::KERNEL).unwrap();
        assert_eq!(sc.ksize(&mm, p.as_ptr()), Ok(ksize), "size {size}");
        sc.kfree(&mm, p.as_ptr()).unwrap();
    }
    let z = sc.kmalloc(&mm, 0, Gfp::KERNEL).unwrap();
    assert_eq!(z.as_ptr() as usize, 16);
    sc.kfree(&mm, z.as_ptr()).unwrap();
    let big = sc.kmalloc(&mm, 100_000, Gfp::KERNEL).unwrap();
    assert!(sc.kfree(&mm, big.as_ptr().wrapping_add(4096)).is_err());
    sc.kfree(&mm, big.as_ptr()).unwrap();
    assert!(sc.kfree(&mm, big.as_ptr()).is_err());
    let d = sc.kmalloc(&mm, 64, Gfp::KERNEL | Gfp::DMA).unwrap();
    let base = mm.platform().direct_map_base() as usize;
    assert!(
        (d.as_ptr() as usize - base) < 16 << 20,
        "dma-kmalloc object outside ZONE_DMA"
    );
    sc.kfree(&mm, d.as_ptr()).unwrap();
    assert!(sc.kmalloc(&mm, (4 << 20) + 1, Gfp::KERNEL).is_err());
    // Empty slabs stay cached below min_partial; shrinking every kmalloc cache returns them.
    for ty in [KmallocType::Normal, KmallocType::Dma] {
        for i in 1..14 {
            let id = sc.kmalloc_cache(ty, i).unwrap();
            sc.kmem_cache_shrink(&mm, id).unwrap();
        }
    }
    assert_eq!(free_now(&mm), free);
    mm.check().unwrap();
}

#[test]
fn slabinfo_format() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, "fsverity_info", 264, 0, SlabFlags::HWCACHE_ALIGN, None)
        .unwrap();
    let p = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    let mut s = String::new();
    sc.slabinfo(&mm, &mut s).unwrap();
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/linux-6.12-qemu/q35-3g-smp2/slabinfo.txt"
    ))
    .ok();
    let lines: Vec<&str> = s.lines().collect();
    if let Some(f) = fixture {
        let fl: Vec<&str> = f.lines().collect();
        assert_eq!(lines[..2], fl[..2]);
    }
    assert_eq!(lines[0], "slabinfo - version: 2.1");
    // Newest first; 2 CPUs → min_objects 12; 320-byte stride, 12 per order-0 slab.
    // The slab is the CPU's active slab: its free objects are on the CPU's free list,
    // which Linux's count_partial does not see, so all 12 show as active.
    assert_eq!(
        lines[2],
        "fsverity_info         12     12    320   12    1 : tunables    0    0    0 : slabdata      1      1      0"
    );
    assert!(lines.last().unwrap().starts_with("kmem_cache "));
    // As in Linux: kmem_cache_node is listed just before kmem_cache.
    assert!(lines[lines.len() - 2].starts_with("kmem_cache_node      "));
    assert!(s.contains("\nkmalloc-rcl-8k         0      0   8192    4    8 : tunables"));
    sc.kmem_cache_free(&mm, id, p.as_ptr()).unwrap();
}

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    Free(usize),
    Kmalloc(u64),
    Shrink(usize),
    /// Bulk-allocate this many objects of a cache.
    AllocBulk(usize, usize),
    /// Bulk-free up to this many live objects of a cache (mixed slabs).
    FreeBulk(usize, usize),
    /// krealloc a live kmalloc object (picked by index) to a new size.
    Realloc(usize, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3).prop_map(Op::Alloc),
        4 => any::<usize>().prop_map(Op::Free),
        2 => (1u64..20000).prop_map(Op::Kmalloc),
        1 => (0usize..3).prop_map(Op::Shrink),
        1 => (0usize..3, 1usize..40).prop_map(|(c, n)| Op::AllocBulk(c, n)),
        1 => (0usize..3, 1usize..40).prop_map(|(c, n)| Op::FreeBulk(c, n)),
        1 => (any::<usize>(), 1u64..12000).prop_map(|(k, n)| Op::Realloc(k, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_alloc_free_matches_model(ops in prop::collection::vec(op(), 1..300)) {
        let mm = boot(4);
        let free0 = free_now(&mm);
        let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
        let specs = [("c24", 24u32, 0u32), ("c200", 200, 64), ("c3000", 3000, 8)];
        // Unmerged, so that each model cache has its own objects.
        let ids: Vec<CacheId> = specs.iter()
            .map(|(n, s, a)| sc.kmem_cache_create(&mm, n, *s, *a, SlabFlags::NO_MERGE, None).unwrap())
            .collect();
        // live objects: address → (cache index or usize::MAX for kmalloc, size, fill byte)
        let mut live: BTreeMap<usize, (usize, u64, u8)> = BTreeMap::new();
        let mut tag = 0u8;
        for op in ops {
            match op {
                Op::Alloc(c) => {
                    let p = sc.kmem_cache_alloc(&mm, ids[c], Gfp::KERNEL).unwrap().as_ptr() as usize;
                    let sz = specs[c].1 as u64;
                    // The Vec-backed direct map is only word-aligned: check the physical alignment.
                    let base = mm.platform().direct_map_base() as usize;
                    prop_assert_eq!((p - base) % sc.cache(ids[c]).unwrap().align() as usize, 0);
                    tag = tag.wrapping_add(1);
                    insert(&mut live, p, (c, sz, tag))?;
                }
                Op::Kmalloc(sz) => {
                    let p = sc.kmalloc(&mm, sz, Gfp::KERNEL).unwrap().as_ptr() as usize;
                    tag = tag.wrapping_add(1);
                    insert(&mut live, p, (usize::MAX, sz, tag))?;
                }
                Op::Free(k) => {
                    if live.is_empty() { continue; }
                    let (&p, &(c, sz, t)) = live.iter().nth(k % live.len()).unwrap();
                    // SAFETY: a live object of `sz` bytes that this test filled.
                    let b = unsafe { std::slice::from_raw_parts(p as *const u8, sz as usize) };
                    prop_assert!(b.iter().all(|&x| x == t), "object {:#x} overwritten", p);
                    if c == usize::MAX {
                        sc.kfree(&mm, p as *mut u8).unwrap();
                    } else {
                        sc.kmem_cache_free(&mm, ids[c], p as *mut u8).unwrap();
                    }
                    live.remove(&p);
                }
                Op::Shrink(c) => { sc.kmem_cache_shrink(&mm, ids[c]).unwrap(); }
                Op::AllocBulk(c, n) => {
                    let mut v = vec![std::ptr::null_mut(); n];
                    prop_assert_eq!(sc.kmem_cache_alloc_bulk(&mm, ids[c], Gfp::KERNEL, &mut v), Ok(n));
                    for p in v {
                        tag = tag.wrapping_add(1);
                        insert(&mut live, p as usize, (c, specs[c].1 as u64, tag))?;
                    }
                }
                Op::FreeBulk(c, n) => {
                    let mut v: Vec<*mut u8> = Vec::new();
                    for (&p, &(cc, sz, t)) in live.iter().filter(|(_, v)| v.0 == c).take(n) {
                        // SAFETY: a live object of `sz` bytes that this test filled.
                        let b = unsafe { std::slice::from_raw_parts(p as *const u8, sz as usize) };
                        prop_assert!(b.iter().all(|&x| x == t) && cc == c, "object {:#x} overwritten", p);
                        v.push(p as *mut u8);
                    }
                    for p in &v { live.remove(&(*p as usize)); }
                    sc.kmem_cache_free_bulk(&mm, ids[c], &mut v).unwrap();
                }
                Op::Realloc(k, n) => {
                    let kmallocs: Vec<usize> = live.iter().filter(|(_, v)| v.0 == usize::MAX).map(|(p, _)| *p).collect();
                    if kmallocs.is_empty() { continue; }
                    let p = kmallocs[k % kmallocs.len()];
                    let (_, sz, t) = live.remove(&p).unwrap();
                    // SAFETY: `p` is a live kmalloc object only this test uses.
                    let q = unsafe { sc.krealloc(&mm, p as *mut u8, n, Gfp::KERNEL) }.unwrap().as_ptr() as usize;
                    let keep = sz.min(n) as usize;
                    // SAFETY: `q` holds at least `n` bytes, the first `keep` copied.
                    let b = unsafe { std::slice::from_raw_parts(q as *const u8, keep) };
                    prop_assert!(b.iter().all(|&x| x == t), "krealloc lost the contents of {:#x}", p);
                    tag = tag.wrapping_add(1);
                    insert(&mut live, q, (usize::MAX, n, tag))?;
                }
            }
            prop_assert!(mm.check().is_ok());
        }
        for (i, id) in ids.iter().enumerate() {
            let n = live.values().filter(|v| v.0 == i).count() as u64;
            // Flushing the CPU slabs makes every free object visible to count_partial.
            sc.kmem_cache_shrink(&mm, *id).unwrap();
            prop_assert_eq!(sc.active_objects(&mm, *id).unwrap(), n);
        }
        for (&p, &(c, _, _)) in &live {
            if c == usize::MAX { sc.kfree(&mm, p as *mut u8).unwrap(); }
            else { sc.kmem_cache_free(&mm, ids[c], p as *mut u8).unwrap(); }
        }
        for id in ids { sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog).unwrap(); }
        for i in 1..14 {
            let id = sc.kmalloc_cache(KmallocType::Normal, i).unwrap();
            sc.kmem_cache_shrink(&mm, id).unwrap();
        }
        sc.kmem_cache_shrink(&mm, SlabCaches::KMEM_CACHE).unwrap();
        sc.kmem_cache_shrink(&mm, SlabCaches::KMEM_CACHE_NODE).unwrap();
        prop_assert!(mm.check().is_ok());
        prop_assert_eq!(free0 - free_now(&mm), baseline_pages(&sc));
    }
}

/// Record a new live object, checking it overlaps no other, and fill it with `tag`.
fn insert(
    live: &mut BTreeMap<usize, (usize, u64, u8)>,
    p: usize,
    v: (usize, u64, u8),
) -> Result<(), TestCaseError> {
    if let Some((&q, &(_, qs, _))) = live.range(..=p).next_back() {
        prop_assert!(q + qs as usize <= p, "{:#x} overlaps {:#x}+{}", p, q, qs);
    }
    if let Some((&q, _)) = live.range(p..).next() {
        prop_assert!(p + v.1 as usize <= q, "{:#x}+{} overlaps {:#x}", p, v.1, q);
    }
    // SAFETY: a fresh object of at least `v.1` bytes.
    unsafe { std::ptr::write_bytes(p as *mut u8, v.2, v.1 as usize) };
    live.insert(p, v);
    Ok(())
}

/// `NR_FREE_PAGES` after every CPU's per-CPU lists went back to the buddy allocator
/// (pages on them are not counted free, as in Linux).
fn free_now(mm: &Mm<VecMem>) -> u64 {
    mm.drain_all_pages(None).unwrap();
    mm.nr_free_pages()
}

#[test]
fn bootstrap_caches_are_objects_of_kmem_cache() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let kc = sc.cache(SlabCaches::KMEM_CACHE).unwrap();
    let kcn = sc.cache(SlabCaches::KMEM_CACHE_NODE).unwrap();
    assert_eq!((kc.name(), kcn.name()), ("kmem_cache", "kmem_cache_node"));
    // Linux's kmem_cache_node objects are 64 bytes (one cache line).
    assert_eq!(kcn.size(), 64);
    // Every cache structure, kmem_cache's own included, is an object of kmem_cache.
    for id in [SlabCaches::KMEM_CACHE, SlabCaches::KMEM_CACHE_NODE] {
        let c = sc.cache(id).unwrap() as *const _ as *mut u8;
        assert_eq!(sc.ksize(&mm, c), Ok(kc.size() as u64));
        assert!(matches!(
            sc.kmem_cache_free(&mm, SlabCaches::KMEM_CACHE_NODE, c),
            Err(SlabError::InvalidFree(_))
        ));
    }
    // Permanent caches are never destroyed.
    let mut log = Lines::default();
    assert!(sc
        .kmem_cache_destroy(&mm, SlabCaches::KMEM_CACHE, &mut log)
        .is_err());
    assert!(sc
        .kmem_cache_destroy(&mm, SlabCaches::KMEM_CACHE_NODE, &mut log)
        .is_err());
    // 1 + 1 + 13 kmalloc caches of each of the three types.
    assert_eq!(sc.nr_caches(), 2 + 3 * 13);
    mm.check().unwrap();
}

#[test]
fn caches_merge_as_linux_finds_them_mergeable() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let k256 = sc.kmalloc_cache(KmallocType::Normal, 8).unwrap();
    let rcl256 = sc.kmalloc_cache(KmallocType::Reclaim, 8).unwrap();
    let n0 = sc.nr_caches();
    // 250 bytes → 256 with word alignment: kmalloc-256 serves it.
    let a = sc
        .kmem_cache_create(&mm, "alias250", 250, 0, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(a, k256);
    assert_eq!(sc.cache(k256).unwrap().refcount(), 2);
    // SLAB_RECLAIM_ACCOUNT must match (SLAB_MERGE_SAME).
    let r = sc
        .kmem_cache_create(&mm, "rcl", 256, 0, SlabFlags::RECLAIM_ACCOUNT, None)
        .unwrap();
    assert_eq!(r, rcl256);
    // 240 bytes: 256 - 240 >= 8, too much waste: a cache of its own.
    let own = sc
        .kmem_cache_create(&mm, "own240", 240, 0, SlabFlags::default(), None)
        .unwrap();
    assert_ne!(own, k256);
    // A second 240-byte cache merges with the first.
    assert_eq!(
        sc.kmem_cache_create(&mm, "again240", 236, 0, SlabFlags::default(), None),
        Ok(own)
    );
    // Never merged: SLAB_NO_MERGE, a constructor, debug flags, an alignment the
    // candidate does not have.
    for (flags, ctor, align) in [
        (SlabFlags::NO_MERGE, None, 0),
        (SlabFlags::default(), Some(ctor as fn(&mut [u8])), 0),
        (SlabFlags::POISON, None, 0),
        (SlabFlags::default(), None, 512),
    ] {
        let id = sc
            .kmem_cache_create(&mm, "solo", 256, align, flags, ctor)
            .unwrap();
        assert_ne!(id, k256);
        sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
            .unwrap();
    }
    assert_eq!(sc.nr_caches(), n0 + 1);
    // Destroying an alias only drops its reference.
    sc.kmem_cache_destroy(&mm, a, &mut oxmm::printk::NullLog)
        .unwrap();
    assert_eq!(sc.cache(k256).unwrap().refcount(), 1);
    assert!(sc
        .kmem_cache_destroy(&mm, k256, &mut oxmm::printk::NullLog)
        .is_err());
    sc.kmem_cache_destroy(&mm, own, &mut oxmm::printk::NullLog)
        .unwrap();
    assert!(sc.cache(own).is_some(), "one reference left");
    sc.kmem_cache_destroy(&mm, own, &mut oxmm::printk::NullLog)
        .unwrap();
    assert!(sc.cache(own).is_none());
    // slab_nomerge turns merging off.
    let mm2 = boot(2);
    let p = SlubParams {
        nomerge: true,
        ..SlubParams::default()
    };
    let sc2 = SlabCaches::init(&mm2, p).unwrap();
    let b = sc2
        .kmem_cache_create(&mm2, "alias250", 250, 0, SlabFlags::default(), None)
        .unwrap();
    assert_ne!(b, sc2.kmalloc_cache(KmallocType::Normal, 8).unwrap());
}

#[test]
#[cfg(feature = "slub_stats")] // the counters are CONFIG_SLUB_STATS's
fn slub_stats_count_fast_and_slow_paths() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, "stats64", 64, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    let c = sc.cache(id).unwrap();
    // set_cpu_partial: 64-byte objects → 120 objects, as slabs of 64 half-full: 4.
    assert_eq!((c.cpu_partial(), c.cpu_partial_slabs()), (120, 4));
    let p = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    let st = c.stats();
    assert_eq!(
        (
            st.get(StatItem::AllocSlowpath),
            st.get(StatItem::AllocSlab),
            st.get(StatItem::AllocFastpath)
        ),
        (1, 1, 0)
    );
    sc.kmem_cache_free(&mm, id, p.as_ptr()).unwrap();
    let q = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    assert_eq!(q, p, "LIFO on the CPU free list");
    let st = c.stats();
    assert_eq!(
        (
            st.get(StatItem::FreeFastpath),
            st.get(StatItem::AllocFastpath)
        ),
        (1, 1)
    );
    // Fill the slab and more: the first slab goes full; freeing into it then puts it
    // on the CPU partial list (cpu_partial_free).
    let mut v: Vec<_> = (0..100)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap())
        .collect();
    v.push(q);
    let st = c.stats();
    assert_eq!(st.get(StatItem::AllocSlab), 2);
    // The exhausted slab is dropped without deactivation (no remote frees to take).
    assert_eq!(st.get(StatItem::DeactivateBypass), 1);
    sc.kmem_cache_free(&mm, id, v[0].as_ptr()).unwrap();
    let st = c.stats();
    assert_eq!(
        (
            st.get(StatItem::FreeSlowpath),
            st.get(StatItem::CpuPartialFree)
        ),
        (1, 1)
    );
    for p in &v[1..] {
        sc.kmem_cache_free(&mm, id, p.as_ptr()).unwrap();
    }
    assert_eq!(sc.kmem_cache_shrink(&mm, id), Ok(2));
    let st = c.stats();
    assert!(st.get(StatItem::CpuslabFlush) >= 1);
    assert_eq!(
        st.get(StatItem::FreeSlab),
        0,
        "shrink discards without stat"
    );
    // The sysfs file: total, then the CPUs that counted (VecMem runs everything as CPU 0).
    let mut out = String::new();
    c.show_stat(StatItem::AllocSlab, &mut out).unwrap();
    assert_eq!(out, "2 C0=2\n");
    out.clear();
    c.show_stat(StatItem::CpuPartialDrain, &mut out).unwrap();
    assert_eq!(out, "0\n");
    assert_eq!(
        StatItem::ALL.map(|i| i.name())[..4],
        [
            "alloc_fastpath",
            "alloc_slowpath",
            "free_fastpath",
            "free_slowpath"
        ]
    );
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
}

#[test]
fn bulk_alloc_and_free() {
    let mm = boot(2);
    let free0 = free_now(&mm);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, "bulk", 100, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    let mut v = vec![std::ptr::null_mut(); 300];
    assert_eq!(
        sc.kmem_cache_alloc_bulk(&mm, id, Gfp::KERNEL | Gfp::ZERO, &mut v),
        Ok(300)
    );
    let mut sorted = v.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 300);
    for &p in &v {
        // SAFETY: live 100-byte objects.
        assert!(unsafe { std::slice::from_raw_parts(p, 100) }
            .iter()
            .all(|&b| b == 0));
    }
    // A bad entry refuses the whole batch, before anything is freed.
    let mut bad = v.clone();
    bad[7] = bad[7].wrapping_add(4);
    assert!(matches!(
        sc.kmem_cache_free_bulk(&mm, id, &mut bad),
        Err(SlabError::InvalidFree(_))
    ));
    sc.kmem_cache_shrink(&mm, id).unwrap();
    assert_eq!(sc.active_objects(&mm, id), Ok(300));
    sc.kmem_cache_free_bulk(&mm, id, &mut v).unwrap();
    assert!(v.iter().all(|p| p.is_null()));
    sc.kmem_cache_shrink(&mm, id).unwrap();
    assert_eq!(sc.active_objects(&mm, id), Ok(0));
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    sc.kmem_cache_shrink(&mm, SlabCaches::KMEM_CACHE).unwrap();
    sc.kmem_cache_shrink(&mm, SlabCaches::KMEM_CACHE_NODE)
        .unwrap();
    assert_eq!(free0 - free_now(&mm), baseline_pages(&sc));
    mm.check().unwrap();
}

#[test]
fn kmalloc_family() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    // kzalloc zeroes whatever the object held before.
    let p = sc.kmalloc(&mm, 64, Gfp::KERNEL).unwrap();
    // SAFETY: a live 64-byte object.
    unsafe { std::ptr::write_bytes(p.as_ptr(), 0xaa, 64) };
    sc.kfree(&mm, p.as_ptr()).unwrap();
    let z = sc.kzalloc(&mm, 64, Gfp::KERNEL).unwrap();
    assert_eq!(z, p);
    // SAFETY: a live 64-byte object.
    assert!(unsafe { std::slice::from_raw_parts(z.as_ptr(), 64) }
        .iter()
        .all(|&b| b == 0));
    // kcalloc checks the multiplication.
    assert_eq!(
        sc.kcalloc(&mm, 1 << 33, 1 << 33, Gfp::KERNEL),
        Err(SlabError::BadSize(u64::MAX))
    );
    let a = sc.kcalloc(&mm, 10, 12, Gfp::KERNEL).unwrap();
    assert_eq!(sc.ksize(&mm, a.as_ptr()), Ok(128));
    // krealloc: in place while ksize holds it, else moved with the contents.
    // SAFETY: `a` is a live 120-byte kmalloc object.
    unsafe { std::ptr::write_bytes(a.as_ptr(), 0x5c, 120) };
    // SAFETY: `a` is live and unused elsewhere.
    let b = unsafe { sc.krealloc(&mm, a.as_ptr(), 128, Gfp::KERNEL) }.unwrap();
    assert_eq!(a, b);
    // SAFETY: as above.
    let c = unsafe { sc.krealloc(&mm, b.as_ptr(), 20000, Gfp::KERNEL) }.unwrap();
    assert_ne!(b, c);
    assert_eq!(sc.ksize(&mm, c.as_ptr()), Ok(32768)); // order 3
                                                      // SAFETY: `c` holds at least 120 bytes copied from `b`.
    assert!(unsafe { std::slice::from_raw_parts(c.as_ptr(), 120) }
        .iter()
        .all(|&x| x == 0x5c));
    assert!(
        sc.kfree(&mm, b.as_ptr()).is_err(),
        "moved: the old object is free"
    );
    // Large blocks: only the head address is a valid kfree.
    assert!(matches!(
        sc.kfree(&mm, c.as_ptr().wrapping_add(4096)),
        Err(SlabError::InvalidFree(_))
    ));
    // SAFETY: `c` is live.
    let d = unsafe { sc.krealloc(&mm, c.as_ptr(), 0, Gfp::KERNEL) }.unwrap();
    assert_eq!(d.as_ptr() as usize, oxmm::slab::kmalloc::ZERO_SIZE_PTR);
    // kfree rejects pointers into the middle of objects and non-slab memory.
    let e = sc.kmalloc(&mm, 100, Gfp::KERNEL).unwrap();
    assert!(matches!(
        sc.kfree(&mm, e.as_ptr().wrapping_add(1)),
        Err(SlabError::InvalidFree(_))
    ));
    let base = mm.platform().direct_map_base();
    assert!(matches!(
        sc.kfree(&mm, base.wrapping_add(0x2000)),
        Err(SlabError::InvalidFree(_))
    ));
    sc.kfree(&mm, e.as_ptr()).unwrap();
    assert_eq!(
        sc.kfree(&mm, e.as_ptr()),
        Err(SlabError::DoubleFree(e.as_ptr() as usize))
    );
    // kfree takes objects of any cache (as v6.12 does).
    let id = sc
        .kmem_cache_create(&mm, "kfreeable", 40, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    let o = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap();
    sc.kfree(&mm, o.as_ptr()).unwrap();
    // GFP bits a slab cannot honour.
    assert!(matches!(
        sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL | Gfp::HIGHMEM),
        Err(SlabError::BadGfp(_))
    ));
    mm.check().unwrap();
}

#[test]
fn typed_cache_owns_values() {
    use oxmm::slab::TypedCache;
    use std::rc::Rc;
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    struct Node {
        key: u64,
        _tag: Rc<()>,
    }
    let c = TypedCache::<Node, VecMem>::new(&sc, &mm, "typed_node", SlabFlags::NO_MERGE).unwrap();
    assert_eq!(sc.cache(c.id()).unwrap().size(), 16);
    let tag = Rc::new(());
    let mut boxes: Vec<_> = (0..50)
        .map(|k| {
            c.alloc(Node {
                key: k,
                _tag: tag.clone(),
            })
            .unwrap()
        })
        .collect();
    assert_eq!(Rc::strong_count(&tag), 51);
    boxes[3].key = 99;
    assert_eq!(
        boxes.iter().map(|b| b.key).sum::<u64>(),
        (0..50).sum::<u64>() - 3 + 99
    );
    for b in &boxes {
        assert_eq!(b.as_ptr() as usize % 8, 0);
    }
    drop(boxes);
    assert_eq!(Rc::strong_count(&tag), 1, "values dropped with their boxes");
    c.destroy(&mut oxmm::printk::NullLog).unwrap();
}

#[test]
fn debug_caches_bypass_the_cpu_slabs() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(
            &mm,
            "dbg",
            64,
            0,
            SlabFlags::CONSISTENCY_CHECKS.union(SlabFlags::NO_MERGE),
            None,
        )
        .unwrap();
    let c = sc.cache(id).unwrap();
    assert_eq!(
        c.cpu_partial_slabs(),
        0,
        "no CPU partial list for debug caches"
    );
    let v: Vec<_> = (0..200)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap())
        .collect();
    sc.kmem_cache_free(&mm, id, v[5].as_ptr()).unwrap();
    assert_eq!(
        sc.kmem_cache_free(&mm, id, v[5].as_ptr()),
        Err(SlabError::DoubleFree(v[5].as_ptr() as usize))
    );
    if cfg!(feature = "slub_stats") {
        let st = c.stats();
        assert_eq!(st.get(StatItem::AllocFastpath), 0);
        assert_eq!(st.get(StatItem::AllocSlowpath), 200);
    }
    // Every free object is on a node partial list: slabinfo's count is exact.
    assert_eq!(sc.active_objects(&mm, id), Ok(199));
    for (i, p) in v.iter().enumerate() {
        if i != 5 {
            sc.kmem_cache_free(&mm, id, p.as_ptr()).unwrap();
        }
    }
    assert_eq!(sc.active_objects(&mm, id), Ok(0));
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    mm.check().unwrap();
}

/// kfree tries the kmalloc cache whose active slab the CPU's last kfree reached: what
/// that cache's active slab check refuses must still be validated (or refused) by the
/// descriptor, whatever the hint.
#[test]
fn kfree_hint_refuses_what_it_must() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let free = free_now(&mm);
    let k64 = sc.kmalloc_cache(KmallocType::Normal, 6).unwrap();
    let a = sc.kmalloc(&mm, 64, Gfp::KERNEL).unwrap().as_ptr();
    let b = sc.kmalloc(&mm, 64, Gfp::KERNEL).unwrap().as_ptr();
    // `a` is in kmalloc-64's active slab: the hint is now kmalloc-64.
    sc.kfree(&mm, a).unwrap();
    // Inside that active slab but not an object start.
    assert_eq!(
        sc.kfree(&mm, b.wrapping_add(8)),
        Err(SlabError::InvalidFree(b as usize + 8))
    );
    sc.kfree(&mm, b).unwrap();
    assert_eq!(sc.kfree(&mm, b), Err(SlabError::DoubleFree(b as usize)));
    // Another kmalloc cache's object, with the hint on kmalloc-64.
    let c = sc.kmalloc(&mm, 100, Gfp::KERNEL).unwrap().as_ptr();
    assert_eq!(sc.ksize(&mm, c), Ok(128));
    sc.kfree(&mm, c).unwrap();
    let d = sc.kmalloc(&mm, 64, Gfp::KERNEL).unwrap().as_ptr();
    sc.kfree(&mm, d).unwrap();
    // A cache that can be destroyed never becomes the hint: its objects kfree'd, it
    // is destroyed, and kfree goes on.
    let id = sc
        .kmem_cache_create(&mm, "hinted", 64, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    let x = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    sc.kfree(&mm, x).unwrap();
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    let e = sc.kmalloc(&mm, 64, Gfp::KERNEL).unwrap().as_ptr();
    sc.kfree(&mm, e).unwrap();
    assert!(sc.kfree(&mm, e).is_err());
    // Everything went back: no object lost or handed out twice.
    let st = sc.cache(k64).unwrap().stats();
    if cfg!(feature = "slub_stats") {
        assert!(st.get(StatItem::FreeFastpath) >= 4);
    }
    for i in 1..14 {
        let id = sc.kmalloc_cache(KmallocType::Normal, i).unwrap();
        sc.kmem_cache_shrink(&mm, id).unwrap();
    }
    assert_eq!(free_now(&mm), free);
    mm.check().unwrap();
}

#[test]
fn object_validation_accepts_exactly_the_object_starts() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let base = mm.platform().direct_map_base() as usize;
    for (size, align) in [(24u32, 8u32), (200, 64), (3000, 8), (4104, 8), (96, 32)] {
        let id = sc
            .kmem_cache_create(&mm, "valid", size, align, SlabFlags::NO_MERGE, None)
            .unwrap();
        let c = sc.cache(id).unwrap();
        let (stride, objects) = (c.size() as usize, c.objects_per_slab() as usize);
        let bytes = 4096usize << c.order();
        let p = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr() as usize;
        // The slab starts at a page boundary of the direct map (relative to its base).
        let start = base + ((p - base) & !(bytes - 1));
        for off in 0..bytes {
            let ok = off % stride == 0 && off / stride < objects;
            let r = sc.ksize(&mm, (start + off) as *mut u8);
            assert_eq!(r.is_ok(), ok, "size {size}: offset {off}");
        }
        sc.kmem_cache_free(&mm, id, p as *mut u8).unwrap();
        sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
            .unwrap();
    }
}

#[test]
fn node_without_memory_means_any_node() {
    let mm = boot(2);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, "anynode", 128, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    let v: Vec<_> = (0..100)
        .map(|_| {
            sc.kmem_cache_alloc_node(&mm, id, Gfp::KERNEL, oxmm::types::NodeId(5))
                .unwrap()
        })
        .collect();
    let c = sc.cache(id).unwrap();
    // 32 objects per slab: 4 slabs, each used up before the next (no mismatch churn).
    assert_eq!(c.stats().get(StatItem::AllocNodeMismatch), 0);
    assert_eq!(c.nr_slabs(), 4);
    for p in v {
        sc.kmem_cache_free(&mm, id, p.as_ptr()).unwrap();
    }
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
}
