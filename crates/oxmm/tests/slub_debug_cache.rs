//! The SLUB debug checks wired into the real caches: slub_kunit- and kfence-like misuse
//! through `kmem_cache_alloc`/`kmem_cache_free`, reported in Linux's format, repaired,
//! and the cache usable (and destroyable) afterwards.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::gfp::Gfp;
use oxmm::mm::Mm;
use oxmm::slab::debug::{POISON_END, POISON_FREE, SLUB_RED_ACTIVE, SLUB_RED_INACTIVE};
use oxmm::slab::order::SlubParams;
use oxmm::slab::{SlabCaches, SlabError, SlabFlags};
use support::ThreadMem;

fn boot() -> Box<Mm<ThreadMem>> {
    let mm = support::boot_small();
    mm.check().unwrap();
    mm
}

/// Read one byte of an object (test memory; the object belongs to the test).
fn peek(p: *mut u8, off: isize) -> u8 {
    // SAFETY: `p + off` lies in the slab block the object came from (its red zones
    // or body), memory of the booted test machine that outlives the call.
    unsafe { *p.offset(off) }
}

fn poke(p: *mut u8, off: isize, v: u8) {
    // SAFETY: as in `peek`; the test writes where a buggy caller would.
    unsafe { *p.offset(off) = v }
}

#[test]
fn red_zone_overrun_found_at_free_and_repaired() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let f = SlabFlags::CONSISTENCY_CHECKS
        .union(SlabFlags::RED_ZONE)
        .union(SlabFlags::POISON)
        .union(SlabFlags::NO_MERGE);
    let id = sc
        .kmem_cache_create(&mm, "TestSlub_RZ", 64, 0, f, None)
        .unwrap();
    let c = sc.cache(id).unwrap();
    // 8 left pad + 64 + 8 red zone + free pointer + 8 padding word.
    assert_eq!((c.size(), c.offset()), (96, 72));
    let p = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    assert_eq!(p as usize % 8, 0);
    // An allocated debug object: active red zones on both sides, poisoned body.
    assert_eq!(
        (peek(p, -1), peek(p, 64)),
        (SLUB_RED_ACTIVE, SLUB_RED_ACTIVE)
    );
    assert_eq!((peek(p, 0), peek(p, 63)), (POISON_FREE, POISON_END));
    mm.platform().take_log();
    poke(p, 64, 0x12);
    assert_eq!(
        sc.kmem_cache_free(&mm, id, p),
        Err(SlabError::InvalidFree(p as usize))
    );
    let log = mm.platform().take_log();
    // The taint is global, like the kernel's: another test may have set it.
    assert!(log[1].starts_with("BUG TestSlub_RZ ("), "{}", log[1]);
    assert!(
        log[1].ends_with("): Right Redzone overwritten"),
        "{}",
        log[1]
    );
    assert_eq!(
        log[4],
        format!(
            "0x{:016x}-0x{:016x} @offset={}. First byte 0x12 instead of 0xcc",
            p as usize + 64,
            p as usize + 64,
            8 + 64 // object 0: after the left red zone
        )
    );
    assert_eq!(
        log.last().unwrap(),
        &format!("FIX TestSlub_RZ: Object at 0x{:016x} not freed", p as usize)
    );
    assert_eq!(peek(p, 64), SLUB_RED_ACTIVE);
    // Repaired: the free goes through and re-poisons.
    sc.kmem_cache_free(&mm, id, p).unwrap();
    assert_eq!((peek(p, -1), peek(p, 0)), (SLUB_RED_INACTIVE, POISON_FREE));
    assert!(mm.platform().take_log().is_empty());
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    mm.check().unwrap();
}

#[test]
fn double_free_and_use_after_free_in_a_real_cache() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let f = SlabFlags::CONSISTENCY_CHECKS
        .union(SlabFlags::RED_ZONE)
        .union(SlabFlags::POISON)
        .union(SlabFlags::STORE_USER)
        .union(SlabFlags::NO_MERGE);
    let id = sc
        .kmem_cache_create(&mm, "TestSlub_UAF", 100, 0, f, None)
        .unwrap();
    let a = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    let b = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    sc.kmem_cache_free(&mm, id, a).unwrap();
    mm.platform().take_log();
    // Double free: reported, refused.
    assert_eq!(
        sc.kmem_cache_free(&mm, id, a),
        Err(SlabError::DoubleFree(a as usize))
    );
    let log = mm.platform().take_log();
    assert!(log[1].starts_with("BUG TestSlub_UAF ("), "{}", log[1]);
    assert!(log[1].ends_with("): Object already free"), "{}", log[1]);
    // Misaligned free: reported, refused.
    let bad = (b as usize + 8) as *mut u8;
    assert!(sc.kmem_cache_free(&mm, id, bad).is_err());
    // Write after free: found when the object is handed out again; that slab is
    // isolated and the cache goes on with a new one.
    poke(a, 10, 0);
    let c = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    assert_ne!(c, a);
    let log = mm.platform().take_log();
    assert!(
        log.iter().any(|l| l.ends_with("): Poison overwritten")),
        "{log:#?}"
    );
    assert!(log.contains(&"FIX TestSlub_UAF: Marking all objects used".to_string()));
    assert_eq!(peek(a, 10), POISON_FREE);
    let more: Vec<_> = (0..100)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap())
        .collect();
    for m in more {
        sc.kmem_cache_free(&mm, id, m.as_ptr()).unwrap();
    }
    sc.kmem_cache_free(&mm, id, c).unwrap();
    assert!(mm.platform().take_log().is_empty());
    mm.check().unwrap();
}

/// `CONFIG_SLAB_FREELIST_HARDENED`: a free object of a real cache holds its next
/// pointer obfuscated (XORed with the cache's secret and its byte-swapped address),
/// never as a plain address near the slab.
#[test]
fn free_pointers_are_obfuscated_in_real_caches() {
    let mm = boot();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, "hardened", 64, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    let off = sc.cache(id).unwrap().offset() as usize;
    let objs: Vec<_> = (0..8)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap())
        .collect();
    for o in &objs {
        sc.kmem_cache_free(&mm, id, o.as_ptr()).unwrap();
    }
    for o in &objs {
        let at = o.as_ptr() as usize + off;
        // SAFETY: the free pointer word lies inside the (free) object, in the test
        // machine's memory.
        let stored = unsafe { core::ptr::read_unaligned(at as *const u64) };
        assert!(
            stored.abs_diff(at as u64) > 1 << 20,
            "{stored:#x} looks like a plain pointer near {at:#x}"
        );
    }
    // And the free list still works.
    let again: Vec<_> = (0..8)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap())
        .collect();
    for o in again {
        sc.kmem_cache_free(&mm, id, o.as_ptr()).unwrap();
    }
    sc.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    mm.check().unwrap();
}
