//! A debug slab that fails an allocation-side consistency check is taken out of
//! service as in Linux (v6.12 stable, commit dbc16915279a "mm/slub: Avoid list
//! corruption when removing a slab from the full list"): all objects marked used, the
//! free list dropped and `slab->frozen` set in the descriptor; later frees into it are
//! refused with `Slab disabled since SLUB metadata consistency check failed`, it is
//! never reused, and destroying its cache reports the objects it still holds.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::gfp::Gfp;
use oxmm::mm::Mm;
use oxmm::platform::Platform;
use oxmm::printk::{Level, Log};
use oxmm::slab::cache::SlabWord;
use oxmm::slab::order::SlubParams;
use oxmm::slab::{CacheId, SlabCaches, SlabError, SlabFlags};
use support::ThreadMem;

/// The lines a `kmem_cache_destroy` logs.
#[derive(Default)]
struct Lines(Vec<String>);
impl Log for Lines {
    fn line(&mut self, _: Level, args: core::fmt::Arguments<'_>) {
        self.0.push(args.to_string());
    }
}

const FZPU: SlabFlags = SlabFlags(
    SlabFlags::CONSISTENCY_CHECKS.0
        | SlabFlags::RED_ZONE.0
        | SlabFlags::POISON.0
        | SlabFlags::STORE_USER.0
        | SlabFlags::NO_MERGE.0,
);

fn poke(p: *mut u8, off: isize, v: u8) {
    // SAFETY: `p + off` lies in the body of a free object of the test machine's slab;
    // the test writes where a buggy caller would (a write after free).
    unsafe { *p.offset(off) = v }
}

/// The slab word of the (order-0) slab page holding `addr`.
fn word(mm: &Mm<ThreadMem>, addr: *mut u8) -> SlabWord {
    let base = mm.platform().direct_map_base() as usize;
    let pfn = ((addr as usize - base) >> 12) as u64;
    SlabWord::unpack(mm.memmap().page(pfn).unwrap().private())
}

/// A cache with one frozen slab holding `a` (allocated, never freed) and `b` (freed,
/// then written after free so the next allocation's checks fail); returns the cache,
/// `a`, `b` and the object the cache handed out instead (from a new slab).
fn frozen_slab(
    mm: &Mm<ThreadMem>,
    sc: &SlabCaches,
    name: &str,
) -> (CacheId, *mut u8, *mut u8, *mut u8) {
    let id = sc.kmem_cache_create(mm, name, 64, 0, FZPU, None).unwrap();
    let a = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap().as_ptr();
    let b = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap().as_ptr();
    sc.kmem_cache_free(mm, id, b).unwrap();
    assert!(!word(mm, a).frozen);
    poke(b, 5, 0);
    mm.platform().take_log();
    let c = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap().as_ptr();
    (id, a, b, c)
}

#[test]
fn a_failed_alloc_check_freezes_the_slab_in_its_descriptor() {
    let mm = support::boot_small();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let (id, a, b, c) = frozen_slab(&mm, &sc, "frz-desc");
    let log = mm.platform().take_log();
    assert!(
        log.iter().any(|l| l.ends_with("): Poison overwritten")),
        "{log:#?}"
    );
    assert_eq!(
        log.last().map(String::as_str),
        Some("FIX frz-desc: Marking all objects used")
    );
    // The descriptor: frozen, every object in use, no free list.
    let w = word(&mm, a);
    assert!(w.frozen);
    assert_eq!((w.inuse, w.free), (w.objects, 0));
    assert_ne!(c as usize & !0xfff, a as usize & !0xfff);
    assert!(!word(&mm, c).frozen);
    let s = sc.cache(id).unwrap();
    assert_eq!((s.nr_slabs(), s.nr_partial()), (2, 1));
    // Neither the page checker nor a second look changes anything.
    mm.check().unwrap();
    assert!(word(&mm, b).frozen);
}

#[test]
fn frees_into_a_frozen_slab_are_refused_and_it_is_never_reused() {
    let mm = support::boot_small();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let (id, a, _b, c) = frozen_slab(&mm, &sc, "frz-free");
    mm.platform().take_log();
    assert_eq!(
        sc.kmem_cache_free(&mm, id, a),
        Err(SlabError::InvalidFree(a as usize))
    );
    let log = mm.platform().take_log();
    assert!(
        log[1].starts_with("BUG frz-free (Tainted: ")
            && log[1].ends_with("): Slab disabled since SLUB metadata consistency check failed"),
        "{log:#?}"
    );
    assert_eq!(
        log.last().unwrap(),
        &format!("FIX frz-free: Object at 0x{:016x} not freed", a as usize)
    );
    // Still frozen, still all in use: the refused free changed nothing.
    let w = word(&mm, a);
    assert!(w.frozen && w.inuse == w.objects && w.free == 0);
    // Enough allocations to fill several slabs: none comes from the frozen one.
    let page = a as usize & !0xfff;
    let objs: Vec<_> = (0..200)
        .map(|_| sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr())
        .collect();
    assert!(objs.iter().all(|&o| o as usize & !0xfff != page));
    for o in objs {
        sc.kmem_cache_free(&mm, id, o).unwrap();
    }
    sc.kmem_cache_free(&mm, id, c).unwrap();
    assert!(mm.platform().take_log().is_empty());
    // Shrinking frees the empty slabs; the frozen one stays, counted.
    sc.kmem_cache_shrink(&mm, id).unwrap();
    let s = sc.cache(id).unwrap();
    assert_eq!((s.nr_slabs(), s.nr_partial()), (1, 0));
    mm.check().unwrap();
}

#[test]
fn validate_and_destroy_with_a_frozen_slab_behave_as_linux() {
    let mm = support::boot_small();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let (id, _a, _b, c) = frozen_slab(&mm, &sc, "frz-destroy");
    sc.kmem_cache_free(&mm, id, c).unwrap();
    mm.platform().take_log();
    // validate_slab_node: the frozen slab is on no list but still counted.
    assert_eq!(sc.kmem_cache_validate(&mm, id), Ok(1));
    assert_eq!(
        mm.platform().take_log(),
        vec!["SLUB: frz-destroy 1 slabs counted but counter=2".to_string()]
    );
    // __kmem_cache_shutdown: the empty partial slab is freed; the frozen one keeps
    // the cache alive (Linux's warning; no "Objects remaining" report, as that walks
    // only the partial lists).
    let mut log = Lines::default();
    let objects = sc.cache(id).unwrap().objects_per_slab() as u64;
    assert_eq!(
        sc.kmem_cache_destroy(&mm, id, &mut log),
        Err(SlabError::ObjectsRemaining(objects))
    );
    assert_eq!(
        log.0,
        vec!["kmem_cache_destroy frz-destroy: Slab cache still has objects when called from kmem_cache_destroy".to_string()]
    );
    let s = sc.cache(id).unwrap();
    assert_eq!((s.nr_slabs(), s.nr_partial()), (1, 0));
    mm.check().unwrap();
    // The cache still works, from fresh slabs.
    let d = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    assert!(!word(&mm, d).frozen);
    sc.kmem_cache_free(&mm, id, d).unwrap();
    assert!(mm.platform().take_log().is_empty());
    mm.check().unwrap();
}

#[test]
fn a_corrupt_free_chain_found_at_allocation_freezes_the_slab() {
    let mm = support::boot_small();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let id = sc
        .kmem_cache_create(&mm, "frz-chain", 64, 0, FZPU, None)
        .unwrap();
    let a = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    let b = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    sc.kmem_cache_free(&mm, id, b).unwrap();
    // `b` heads the free list; its stored free pointer is overwritten.
    let off = sc.cache(id).unwrap().offset() as isize;
    for i in 0..8 {
        poke(b, off + i, 0x41);
    }
    mm.platform().take_log();
    let c = sc.kmem_cache_alloc(&mm, id, Gfp::KERNEL).unwrap().as_ptr();
    assert_ne!(c as usize & !0xfff, b as usize & !0xfff);
    let log = mm.platform().take_log();
    assert!(
        log.iter()
            .any(|l| l.starts_with("BUG frz-chain (") && l.ends_with("): Freechain corrupt")),
        "{log:#?}"
    );
    assert_eq!(
        log.last().unwrap(),
        "FIX frz-chain: Marking all objects used"
    );
    assert!(word(&mm, a).frozen);
    assert!(sc.kmem_cache_free(&mm, id, a).is_err());
    assert!(word(&mm, a).frozen);
    sc.kmem_cache_free(&mm, id, c).unwrap();
    mm.check().unwrap();
}
