//! `get_any_partial`'s `remote_node_defrag_ratio` (Linux v6.12): an allocation that
//! finds no partial slab on its node takes one from another node's list only past the
//! ratio gate — never with ratio 0, almost always with the default 1000.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::gfp::Gfp;
use oxmm::mm::Mm;
use oxmm::slab::order::SlubParams;
use oxmm::slab::{CacheId, SlabCaches, SlabError, SlabFlags};
use oxmm::types::NodeId;
use support::{boot_numa, set_this_cpu, ThreadMem};

/// The node of the page holding `p`.
fn nid_of(mm: &Mm<ThreadMem>, p: *mut u8) -> u16 {
    let base = oxmm::platform::Platform::direct_map_base(mm.platform()) as usize;
    let pfn = ((p as usize - base) >> 12) as u64;
    mm.memmap().page(pfn).unwrap().nid()
}

/// Ten slabs of `id` on node 1's partial list (each with one free object), from CPU 2
/// (node 1); the objects still allocated are returned.
fn partial_slabs_on_node1(mm: &Mm<ThreadMem>, sc: &SlabCaches, id: CacheId) -> Vec<*mut u8> {
    set_this_cpu(2);
    let per = sc.cache(id).unwrap().objects_per_slab() as usize;
    let objs: Vec<*mut u8> = (0..10 * per)
        .map(|_| {
            sc.kmem_cache_alloc_node(mm, id, Gfp::KERNEL, NodeId(1))
                .unwrap()
                .as_ptr()
        })
        .collect();
    let mut kept = Vec::new();
    for (i, p) in objs.into_iter().enumerate() {
        assert_eq!(nid_of(mm, p), 1);
        if i % per == 0 {
            sc.kmem_cache_free(mm, id, p).unwrap();
        } else {
            kept.push(p);
        }
    }
    // CPU partial lists and the active slab back to the node.
    sc.kmem_cache_shrink(mm, id).unwrap();
    let c = sc.cache(id).unwrap();
    assert_eq!(c.node(1).unwrap().nr_partial(), 10);
    assert_eq!(c.node(0).unwrap().nr_partial(), 0);
    assert!(10 > c.min_partial());
    kept
}

/// `trials` allocations from CPU 0 (node 0, which has no partial slab), each undone
/// (freed, CPU slabs flushed, empty slabs freed); how many came from node 1.
fn remote_allocs(mm: &Mm<ThreadMem>, sc: &SlabCaches, id: CacheId, trials: usize) -> usize {
    set_this_cpu(0);
    let mut remote = 0;
    for _ in 0..trials {
        let p = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap().as_ptr();
        remote += (nid_of(mm, p) == 1) as usize;
        sc.kmem_cache_free(mm, id, p).unwrap();
        sc.kmem_cache_shrink(mm, id).unwrap();
        let c = sc.cache(id).unwrap();
        assert_eq!(c.node(1).unwrap().nr_partial(), 10);
        assert_eq!(c.node(0).unwrap().nr_slabs(), 0);
    }
    remote
}

fn check_ratio(flags: SlabFlags, name: &str) {
    let mm = boot_numa(32);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, name, 64, 0, flags.union(SlabFlags::NO_MERGE), None)
        .unwrap();
    let c = sc.cache(id).unwrap();
    let kept = partial_slabs_on_node1(&mm, &sc, id);
    // kmem_cache_open's 1000, shown by sysfs as 100: remote partial slabs are taken
    // unless get_cycles() % 1024 lands in 1001..=1023.
    assert_eq!(c.remote_node_defrag_ratio(), 100);
    let remote = remote_allocs(&mm, &sc, id, 40);
    assert!(remote >= 20, "{remote} of 40 remote");
    // Ratio 0: always a local slab.
    c.set_remote_node_defrag_ratio(0).unwrap();
    assert_eq!(c.remote_node_defrag_ratio(), 0);
    assert_eq!(remote_allocs(&mm, &sc, id, 40), 0);
    // __GFP_THISNODE-free node-1 requests still use node 1's own partial slabs.
    set_this_cpu(0);
    let p = sc
        .kmem_cache_alloc_node(&mm, id, Gfp::KERNEL, NodeId(1))
        .unwrap()
        .as_ptr();
    assert_eq!(nid_of(&mm, p), 1);
    sc.kmem_cache_free(&mm, id, p).unwrap();
    for p in kept {
        sc.kmem_cache_free(&mm, id, p).unwrap();
    }
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    mm.check().unwrap();
}

#[test]
fn defrag_ratio_gates_remote_partial_slabs() {
    check_ratio(SlabFlags::default(), "remote-plain");
}

#[test]
fn defrag_ratio_gates_remote_partial_slabs_of_debug_caches() {
    check_ratio(SlabFlags::RED_ZONE.union(SlabFlags::POISON), "remote-debug");
}

#[test]
fn defrag_ratio_store_takes_a_percentage() {
    let mm = boot_numa(32);
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let c = sc.cache(SlabCaches::KMEM_CACHE).unwrap();
    assert_eq!(c.remote_node_defrag_ratio(), 100);
    assert_eq!(
        c.set_remote_node_defrag_ratio(101),
        Err(SlabError::BadDefragRatio(101))
    );
    c.set_remote_node_defrag_ratio(55).unwrap();
    assert_eq!(c.remote_node_defrag_ratio(), 55);
}
