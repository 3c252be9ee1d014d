//! `init_on_alloc=` / `init_on_free=` on a booted machine, as Linux's lib/test_meminit.c
//! checks them: kmalloc and cache objects and pages come out zeroed (or are wiped on
//! free), constructors' work is kept, and without the options garbage survives.

use oxmm::gfp::Gfp;
use oxmm::mm::BootMode;
use oxmm::platform::Platform;
use oxmm::slab::{SlabCaches, SlabFlags};
use oxmm::types::Pfn;
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;

fn boot(cmdline: &str) -> (HostedMachine, SlabCaches) {
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline(cmdline).unwrap();
    let mut hm = HostedMachine::boot(&m, BootMode::Full).unwrap();
    let p = hm.slub_params();
    let sc = SlabCaches::init(hm.mm_mut(), p).unwrap();
    (hm, sc)
}

fn fill(p: *mut u8, n: usize) {
    for i in 0..n {
        // SAFETY: `p` is a live allocation of at least `n` bytes.
        unsafe { p.add(i).write_volatile(0xa5) };
    }
}

/// Non-zero bytes of `n` bytes at `p` (which may be a freed object: managed memory
/// that stays mapped).
fn nonzero(p: *const u8, n: usize) -> usize {
    // SAFETY: `p..p + n` lies in the machine's direct map.
    (0..n)
        .filter(|&i| unsafe { p.add(i).read_volatile() } != 0)
        .count()
}

fn ctor(b: &mut [u8]) {
    b.fill(0x3c);
}

const SIZES: [u64; 6] = [8, 64, 96, 200, 1000, 4096];

/// kmalloc, garbage, kfree, kmalloc again (the same object: LIFO per-CPU free list);
/// the non-zero bytes of the second allocation.
fn kmalloc_reuse(hm: &HostedMachine, sc: &SlabCaches, size: u64) -> usize {
    let mm = hm.mm();
    let p = sc.kmalloc(mm, size, Gfp::KERNEL).unwrap().as_ptr();
    fill(p, size as usize);
    sc.kfree(mm, p).unwrap();
    let q = sc.kmalloc(mm, size, Gfp::KERNEL).unwrap().as_ptr();
    assert_eq!(p, q, "kmalloc-{size} gave another object back");
    let n = nonzero(q, size as usize);
    sc.kfree(mm, q).unwrap();
    n
}

/// A page with garbage freed and taken again: its non-zero bytes.
fn page_reuse(hm: &HostedMachine) -> usize {
    let mm = hm.mm();
    let base = mm.platform().direct_map_base();
    let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    // SAFETY: the page was just allocated: 4 KiB of the direct map owned here.
    let p = unsafe { base.add((pfn.0 as usize) << 12) };
    fill(p, 4096);
    mm.free_pages(pfn, 0).unwrap();
    let again = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    assert_eq!(again, pfn);
    let n = nonzero(p, 4096);
    mm.free_pages(Pfn(again.0), 0).unwrap();
    n
}

#[test]
fn without_options_garbage_survives() {
    let (hm, sc) = boot("");
    for size in SIZES {
        // Only the free pointer (one word, inside the object) differs from garbage.
        assert!(kmalloc_reuse(&hm, &sc, size) >= size as usize - 8, "{size}");
    }
    assert_eq!(page_reuse(&hm), 4096);
    // __GFP_ZERO is still honoured.
    let mm = hm.mm();
    let p = sc.kmalloc(mm, 64, Gfp::KERNEL).unwrap().as_ptr();
    fill(p, 64);
    sc.kfree(mm, p).unwrap();
    let q = sc.kzalloc(mm, 64, Gfp::KERNEL).unwrap().as_ptr();
    assert_eq!(nonzero(q, 64), 0);
    sc.kfree(mm, q).unwrap();
}

#[test]
fn init_on_alloc_zeroes_objects_and_pages() {
    let (hm, sc) = boot("init_on_alloc=1");
    for size in SIZES {
        assert_eq!(kmalloc_reuse(&hm, &sc, size), 0, "kmalloc {size}");
    }
    assert_eq!(page_reuse(&hm), 0);
    let mm = hm.mm();
    // A cache without constructor: zeroed; with one: the constructor's bytes stay.
    let plain = sc
        .kmem_cache_create(mm, "meminit-plain", 120, 8, SlabFlags::NO_MERGE, None)
        .unwrap();
    let p = sc
        .kmem_cache_alloc(mm, plain, Gfp::KERNEL)
        .unwrap()
        .as_ptr();
    fill(p, 120);
    sc.kmem_cache_free(mm, plain, p).unwrap();
    let q = sc
        .kmem_cache_alloc(mm, plain, Gfp::KERNEL)
        .unwrap()
        .as_ptr();
    assert_eq!((q, nonzero(q, 120)), (p, 0));
    let withc = sc
        .kmem_cache_create(mm, "meminit-ctor", 120, 8, SlabFlags::default(), Some(ctor))
        .unwrap();
    let c = sc
        .kmem_cache_alloc(mm, withc, Gfp::KERNEL)
        .unwrap()
        .as_ptr();
    // SAFETY: a live 120-byte object.
    assert!((0..120).all(|i| unsafe { c.add(i).read() } == 0x3c));
    sc.kmem_cache_free(mm, withc, c).unwrap();
}

#[test]
fn init_on_free_wipes_objects_and_pages() {
    let (hm, sc) = boot("init_on_free=1");
    let mm = hm.mm();
    for size in SIZES {
        let p = sc.kmalloc(mm, size, Gfp::KERNEL).unwrap().as_ptr();
        fill(p, size as usize);
        sc.kfree(mm, p).unwrap();
        // Wiped on free but for the free pointer stored in the object.
        assert!(nonzero(p, size as usize) <= 8, "kmalloc-{size} after free");
        // maybe_wipe_obj_freeptr: whole again on the next allocation.
        let q = sc.kmalloc(mm, size, Gfp::KERNEL).unwrap().as_ptr();
        assert_eq!((q, nonzero(q, size as usize)), (p, 0), "kmalloc {size}");
        sc.kfree(mm, q).unwrap();
    }
    // Pages: zero as soon as they are freed.
    let base = mm.platform().direct_map_base();
    let pfn = mm.alloc_pages(Gfp::KERNEL, 2).unwrap();
    // SAFETY: 16 KiB just allocated.
    let p = unsafe { base.add((pfn.0 as usize) << 12) };
    fill(p, 4 << 12);
    mm.free_pages(pfn, 2).unwrap();
    assert_eq!(nonzero(p, 4 << 12), 0);
    // A constructor's object is not wiped (its contents must survive free).
    let withc = sc
        .kmem_cache_create(mm, "meminit-ctor", 120, 8, SlabFlags::default(), Some(ctor))
        .unwrap();
    let c = sc
        .kmem_cache_alloc(mm, withc, Gfp::KERNEL)
        .unwrap()
        .as_ptr();
    sc.kmem_cache_free(mm, withc, c).unwrap();
    // SAFETY: the freed object stays mapped; its first 120 bytes are the object (the
    // free pointer of a ctor cache is stored after it).
    assert!((0..120).all(|i| unsafe { c.add(i).read_volatile() } == 0x3c));
}

#[test]
fn init_on_free_on_a_debug_cache_keeps_red_zones_and_checks_pass() {
    let (hm, sc) = boot("init_on_free=1 slub_debug=FZU");
    let mm = hm.mm();
    let before = oxmm::slab::hooks::SLUB_DEBUG_STATE.errors();
    for size in [8u64, 100, 1000] {
        for _ in 0..3 {
            let p = sc.kmalloc(mm, size, Gfp::KERNEL).unwrap().as_ptr();
            fill(p, size as usize);
            sc.kfree(mm, p).unwrap();
        }
    }
    assert_eq!(oxmm::slab::hooks::SLUB_DEBUG_STATE.errors(), before);
}
