//! `/sys/kernel/slab/<cache>/validate` (`validate_slab_cache`) and the full-slab list
//! `SLAB_STORE_USER` caches keep (`add_full` / `remove_full`), as in Linux v6.12.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::gfp::Gfp;
use oxmm::mm::Mm;
use oxmm::slab::order::SlubParams;
use oxmm::slab::{CacheId, SlabCaches, SlabError, SlabFlags};
use support::ThreadMem;

fn boot() -> Box<Mm<ThreadMem>> {
    let mm = support::boot_small();
    mm.check().unwrap();
    mm
}

fn poke(p: *mut u8, off: isize, v: u8) {
    // SAFETY: `p + off` lies in the slab block the object came from (its red zone or
    // body), memory of the booted test machine; the test writes where a buggy caller
    // would.
    unsafe { *p.offset(off) = v }
}

fn debug_cache(mm: &Mm<ThreadMem>, sc: &SlabCaches, name: &str, f: SlabFlags) -> CacheId {
    sc.kmem_cache_create(mm, name, 64, 0, f.union(SlabFlags::NO_MERGE), None)
        .unwrap()
}

const FZPU: SlabFlags = SlabFlags(
    SlabFlags::CONSISTENCY_CHECKS.0
        | SlabFlags::RED_ZONE.0
        | SlabFlags::POISON.0
        | SlabFlags::STORE_USER.0,
);

#[test]
fn validate_counts_partial_and_full_slabs_of_a_store_user_cache() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = debug_cache(&mm, &sc, "val-full", FZPU);
    let c = sc.cache(id).unwrap();
    let per = c.objects_per_slab() as usize;
    // Three full slabs and one with a single object.
    let objs: Vec<*mut u8> = (0..3 * per + 1)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr())
        .collect();
    assert_eq!((c.nr_slabs(), c.nr_partial()), (4, 1));
    mm.platform().take_log();
    // Every slab is reached: the partial one and the three on the full list.
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(4));
    assert_eq!(mm.platform().take_log(), Vec::<String>::new());
    // A free in a full slab moves it from the full list to the partial list.
    sc.kmem_cache_free(&mm, id, objs[0]).unwrap();
    assert_eq!((c.nr_slabs(), c.nr_partial()), (4, 2));
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(4));
    // The next allocation comes from the head of the partial list (the fourth slab,
    // added at the head); the freed slot stays free at the tail.
    let again = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    assert_eq!(c.nr_partial(), 2);
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(4));
    assert_eq!(mm.platform().take_log(), Vec::<String>::new());
    // Emptying full slabs one object at a time keeps the lists consistent to the end.
    sc.kmem_cache_free(&mm, id, again).unwrap();
    for &p in &objs[1..] {
        sc.kmem_cache_free(&mm, id, p).unwrap();
        assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(c.nr_slabs()));
    }
    assert_eq!(mm.platform().take_log(), Vec::<String>::new());
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    mm.check().unwrap();
}

#[test]
fn validate_finds_corruption_in_full_slabs() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = debug_cache(&mm, &sc, "val-rz", FZPU);
    let c = sc.cache(id).unwrap();
    let per = c.objects_per_slab() as usize;
    let objs: Vec<*mut u8> = (0..per)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr())
        .collect();
    // One full slab: only the full list leads to it.
    assert_eq!((c.nr_slabs(), c.nr_partial()), (1, 0));
    mm.platform().take_log();
    poke(objs[3], 64, 0x12);
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    let log = mm.platform().take_log();
    assert!(log[1].starts_with("BUG val-rz ("), "{log:?}");
    assert!(log[1].ends_with("): Right Redzone overwritten"), "{log:?}");
    assert!(
        log.iter().any(|l| l.starts_with(&format!(
            "0x{:016x}-0x{:016x} @offset=",
            objs[3] as usize + 64,
            objs[3] as usize + 64
        ))),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("FIX val-rz: Restoring Right Redzone")),
        "{log:?}"
    );
    // Repaired: a second pass is clean, and the object frees normally.
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    assert_eq!(mm.platform().take_log(), Vec::<String>::new());
    for p in objs {
        sc.kmem_cache_free(&mm, id, p).unwrap();
    }
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
}

#[test]
fn validate_checks_free_objects_of_partial_slabs() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    // No STORE_USER: no full list, only the partial slabs are walked.
    let f = SlabFlags::RED_ZONE.union(SlabFlags::POISON);
    let id = debug_cache(&mm, &sc, "val-poison", f);
    let c = sc.cache(id).unwrap();
    let per = c.objects_per_slab() as usize;
    let objs: Vec<*mut u8> = (0..per + 2)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr())
        .collect();
    assert_eq!((c.nr_slabs(), c.nr_partial()), (2, 1));
    // The full slab is on no list and is not counted.
    mm.platform().take_log();
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    assert_eq!(mm.platform().take_log(), Vec::<String>::new());
    // A write after free into an object of the partial slab.
    let victim = objs[per + 1];
    sc.kmem_cache_free(&mm, id, victim).unwrap();
    poke(victim, 10, 0x00);
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    let log = mm.platform().take_log();
    assert!(log[1].ends_with("): Poison overwritten"), "{log:?}");
    assert!(
        log.iter().any(|l| l.starts_with(&format!(
            "0x{:016x}-0x{:016x} @offset=",
            victim as usize + 10,
            victim as usize + 10
        ))),
        "{log:?}"
    );
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    assert_eq!(mm.platform().take_log(), Vec::<String>::new());
}

#[test]
fn validate_reports_slabs_missing_from_the_lists() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = debug_cache(&mm, &sc, "val-count", FZPU);
    let c = sc.cache(id).unwrap();
    let a = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    let b = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    sc.kmem_cache_free(&mm, id, b).unwrap();
    // `b` is the next object handed out: corrupting its poison makes the allocation's
    // checks fail, and the slab is isolated (off every list, still counted).
    poke(b, 5, 0x00);
    mm.platform().take_log();
    assert!(sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).is_ok());
    let log = mm.platform().take_log();
    assert!(
        log.iter()
            .any(|l| l == "FIX val-count: Marking all objects used"),
        "{log:?}"
    );
    // The isolated slab plus the new one the allocation came from.
    assert_eq!((c.nr_slabs(), c.nr_partial()), (2, 1));
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    assert_eq!(
        mm.platform().take_log(),
        vec!["SLUB: val-count 1 slabs counted but counter=2".to_string()]
    );
    let _ = a;
}

#[test]
fn validate_is_refused_for_caches_without_debug_flags() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, "val-plain", 64, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    assert_eq!(
        sc.kmem_cache_validate(&mm, id),
        Err(SlabError::NotDebugCache(id))
    );
    assert_eq!(
        sc.kmem_cache_validate(&mm, CacheId(200)),
        Err(SlabError::NoCache(CacheId(200)))
    );
}

#[test]
fn reports_decode_the_slab_page_flags() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(
            &mm,
            "val-flags",
            1000,
            0,
            FZPU.union(SlabFlags::NO_MERGE),
            None,
        )
        .unwrap();
    let c = sc.cache(id).unwrap();
    assert!(c.order() > 0);
    let p = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    // The slab's head descriptor: a compound head on its node's partial list.
    let base = oxmm::platform::Platform::direct_map_base(mm.platform()) as usize;
    let head = ((p as usize - base) >> 12) as u64 & !((1u64 << c.order()) - 1);
    let d = mm.memmap().page(head).unwrap();
    poke(p, 1000, 0x12);
    mm.platform().take_log();
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    let log = mm.platform().take_log();
    let slab_line = log.iter().find(|l| l.starts_with("Slab 0x")).unwrap();
    // %pGp: PG_workingset (slab_set_node_partial) and PG_head by name, in
    // __def_pageflag_names order, then the node and zone fields.
    assert_eq!(
        slab_line,
        &format!(
            "Slab 0x{:016x} objects={} used=1 fp=0x{:016x} flags={:#x}(workingset|head|node={}|zone={})",
            d as *const _ as usize,
            c.objects_per_slab(),
            p as usize + c.size() as usize,
            d.flags(),
            d.nid(),
            d.zone_idx()
        )
    );
    assert_eq!(d.flags() & 0x7f_ffff, (1 << 9) | (1 << 6));
}
