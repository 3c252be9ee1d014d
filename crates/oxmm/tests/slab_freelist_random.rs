//! `CONFIG_SLAB_FREELIST_RANDOM`: new slabs hand their objects out in a per-cache
//! random order (Linux: `init_cache_random_seq`, `shuffle_freelist`), every object
//! exactly once; the sequence is kmalloc'ed at creation and freed at destroy.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::gfp::Gfp;
use oxmm::mm::Mm;
use oxmm::slab::kmalloc::{kmalloc_index, KmallocType};
use oxmm::slab::order::SlubParams;
use oxmm::slab::{CacheId, SlabCaches, SlabFlags};
use support::ThreadMem;

fn boot(random: bool) -> (Box<Mm<ThreadMem>>, SlabCaches) {
    let mm = support::boot_small();
    let p = SlubParams {
        freelist_random: random,
        ..SlubParams::default()
    };
    let sc = SlabCaches::init(&mm, p).unwrap();
    (mm, sc)
}

/// A full slab's worth of objects of a fresh 256-byte cache, in allocation order,
/// as slot indices from the lowest address.
fn one_slab(
    mm: &Mm<ThreadMem>,
    sc: &SlabCaches,
    name: &str,
) -> (CacheId, Vec<usize>, Vec<*mut u8>) {
    let id = sc
        .kmem_cache_create(mm, name, 256, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    let per = sc.cache(id).unwrap().objects_per_slab() as usize;
    let ptrs: Vec<*mut u8> = (0..per)
        .map(|_| sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap().as_ptr())
        .collect();
    let base = *ptrs.iter().min().unwrap() as usize;
    let idx = ptrs.iter().map(|&p| (p as usize - base) / 256).collect();
    (id, idx, ptrs)
}

#[test]
fn objects_come_out_shuffled_but_complete() {
    let (mm, sc) = boot(true);
    let (id, idx, ptrs) = one_slab(&mm, &sc, "rand");
    let n = idx.len();
    assert!(n >= 16);
    // Complete: every slot of the slab exactly once.
    let mut sorted = idx.clone();
    sorted.sort();
    assert_eq!(sorted, (0..n).collect::<Vec<_>>());
    // Not linear: the in-order chain would be 0, 1, 2, ...
    let ascending = idx.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert!(ascending < n / 2, "{idx:?}");
    // All given back; destroy frees the cache and its kmalloc'ed sequence.
    let seq_cache = sc
        .kmalloc_cache(KmallocType::Normal, kmalloc_index(n as u64 * 4).unwrap())
        .unwrap();
    // Counted after a shrink: objects cached on CPU slabs count as active.
    sc.kmem_cache_shrink(&mm, seq_cache).unwrap();
    let before = sc.active_objects(&mm, seq_cache).unwrap();
    for p in ptrs {
        sc.kmem_cache_free(&mm, id, p).unwrap();
    }
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    sc.kmem_cache_shrink(&mm, seq_cache).unwrap();
    assert_eq!(sc.active_objects(&mm, seq_cache).unwrap() + 1, before);
    mm.check().unwrap();
    // A second cache draws another order.
    let (_, idx2, _) = one_slab(&mm, &sc, "rand2");
    assert_ne!(idx, idx2);
}

#[test]
fn without_randomisation_objects_come_in_address_order() {
    let (mm, sc) = boot(false);
    let (_, idx, _) = one_slab(&mm, &sc, "plain");
    assert_eq!(idx, (0..idx.len()).collect::<Vec<_>>());
}

fn ctor(b: &mut [u8]) {
    b.fill(0x3c);
}

#[test]
fn shuffled_debug_and_ctor_caches_stay_consistent() {
    let (mm, sc) = boot(true);
    let f = SlabFlags::CONSISTENCY_CHECKS
        .union(SlabFlags::RED_ZONE)
        .union(SlabFlags::POISON)
        .union(SlabFlags::STORE_USER);
    let dbg = sc
        .kmem_cache_create(&mm, "rand-dbg", 100, 0, f, None)
        .unwrap();
    let withc = sc
        .kmem_cache_create(&mm, "rand-ctor", 100, 0, SlabFlags::default(), Some(ctor))
        .unwrap();
    for id in [dbg, withc] {
        let per = sc.cache(id).unwrap().objects_per_slab() as usize;
        let ptrs: Vec<*mut u8> = (0..2 * per)
            .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr())
            .collect();
        let mut sorted = ptrs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 2 * per);
        if id == withc {
            // SAFETY: live 100-byte objects.
            assert!(ptrs
                .iter()
                .all(|&p| (0..100).all(|i| unsafe { *p.add(i) } == 0x3c)));
        }
        for p in ptrs {
            sc.kmem_cache_free(&mm, id, p).unwrap();
        }
        sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
            .unwrap();
    }
    assert!(mm.platform().take_log().is_empty());
    mm.check().unwrap();
}
