//! `slub_debug=` on the kmalloc caches themselves: kmalloc records the requested size
//! (`orig_size`), red-zones the bytes past it ("kmalloc Redzone"), zeroes only the
//! request, and `ksize` hands the whole object over (Linux v6.12 `__ksize` →
//! `skip_orig_size_check`).

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::gfp::Gfp;
use oxmm::mm::Mm;
use oxmm::slab::debug::{SlubDebug, SlubDebugBoot, SLUB_RED_ACTIVE};
use oxmm::slab::order::SlubParams;
use oxmm::slab::{SlabCaches, SlabError};
use support::ThreadMem;

fn boot(slub_debug: &str) -> (Box<Mm<ThreadMem>>, SlabCaches) {
    let mm = support::boot_small();
    let p = SlubParams {
        slub_debug: SlubDebugBoot::new(&SlubDebug::parse(slub_debug).unwrap()).unwrap(),
        ..SlubParams::default()
    };
    let sc = SlabCaches::init(&mm, p).unwrap();
    (mm, sc)
}

fn peek(p: *mut u8, off: usize) -> u8 {
    // SAFETY: `p + off` lies in the object's slot (body or red zone), memory of the
    // booted test machine.
    unsafe { *p.add(off) }
}

fn poke(p: *mut u8, off: usize, v: u8) {
    // SAFETY: as in `peek`; the test writes where a buggy caller would.
    unsafe { *p.add(off) = v }
}

#[test]
fn kmalloc_redzone_past_the_request_is_checked() {
    let (mm, sc) = boot("=FZPU");
    // 20 bytes from kmalloc-32: bytes 20..32 are kmalloc red zone.
    let p = sc.kmalloc(&mm, 20, Gfp::KERNEL).unwrap().as_ptr();
    assert!((20..32).all(|i| peek(p, i) == SLUB_RED_ACTIVE));
    mm.platform().take_log();
    poke(p, 24, 0x77);
    assert_eq!(sc.kfree(&mm, p), Err(SlabError::InvalidFree(p as usize)));
    let log = mm.platform().take_log();
    assert!(log[1].starts_with("BUG kmalloc-32 ("), "{}", log[1]);
    assert!(
        log[1].ends_with("): kmalloc Redzone overwritten"),
        "{}",
        log[1]
    );
    assert!(
        log.iter()
            .any(|l| l.ends_with("First byte 0x77 instead of 0xcc")),
        "{log:?}"
    );
    // Repaired by the check: the free now goes through, silently.
    sc.kfree(&mm, p).unwrap();
    assert!(mm.platform().take_log().is_empty());
    // Within the request nothing is reported.
    let q = sc.kmalloc(&mm, 20, Gfp::KERNEL).unwrap().as_ptr();
    poke(q, 19, 0x77);
    sc.kfree(&mm, q).unwrap();
    assert!(mm.platform().take_log().is_empty());
    mm.check().unwrap();
}

#[test]
fn ksize_hands_over_the_whole_object() {
    let (mm, sc) = boot("=FZPU");
    let p = sc.kmalloc(&mm, 20, Gfp::KERNEL).unwrap().as_ptr();
    // slab_ksize: red zones in use, so the object size (not s->size).
    assert_eq!(sc.ksize(&mm, p), Ok(32));
    mm.platform().take_log();
    poke(p, 31, 0x77);
    sc.kfree(&mm, p).unwrap();
    assert!(mm.platform().take_log().is_empty());
    // Without debugging ksize is the whole slot.
    let (mm2, sc2) = boot("=-");
    let q = sc2.kmalloc(&mm2, 20, Gfp::KERNEL).unwrap().as_ptr();
    assert_eq!(sc2.ksize(&mm2, q), Ok(32));
}

#[test]
fn kzalloc_zeroes_only_the_request() {
    let (mm, sc) = boot("=ZU");
    let p = sc.kzalloc(&mm, 40, Gfp::KERNEL).unwrap().as_ptr();
    assert!((0..40).all(|i| peek(p, i) == 0));
    assert!((40..64).all(|i| peek(p, i) == SLUB_RED_ACTIVE));
    sc.kfree(&mm, p).unwrap();
    assert!(mm.platform().take_log().is_empty());
}

/// kmalloc from the caller's call site, and that site's location address (what the
/// allocator records, as both see the same `#[track_caller]` location).
#[track_caller]
fn kmalloc_here(mm: &Mm<ThreadMem>, sc: &SlabCaches, size: u64) -> (*mut u8, usize) {
    let p = sc.kmalloc(mm, size, Gfp::KERNEL).unwrap().as_ptr();
    let site = std::panic::Location::caller() as *const std::panic::Location<'static> as usize;
    (p, site)
}

#[test]
fn reports_name_the_allocating_call_site() {
    let (mm, sc) = boot("=FZPU");
    let (p, site) = kmalloc_here(&mm, &sc, 20);
    let (q, other) = kmalloc_here(&mm, &sc, 20);
    assert_ne!(site, other);
    mm.platform().take_log();
    poke(p, 24, 0x77);
    assert!(sc.kfree(&mm, p).is_err());
    let log = mm.platform().take_log();
    let alloc = log
        .iter()
        .find(|l| l.starts_with("Allocated in "))
        .unwrap_or_else(|| panic!("{log:?}"));
    let pid = oxmm::platform::Platform::current_pid(mm.platform());
    assert!(
        alloc.starts_with(&format!("Allocated in 0x{site:016x} age=")),
        "{alloc}"
    );
    assert!(alloc.ends_with(&format!(" cpu=0 pid={pid}")), "{alloc}");
    sc.kfree(&mm, p).unwrap();
    sc.kfree(&mm, q).unwrap();
}

#[track_caller]
fn kfree_here(mm: &Mm<ThreadMem>, sc: &SlabCaches, p: *mut u8) -> usize {
    sc.kfree(mm, p).unwrap();
    std::panic::Location::caller() as *const std::panic::Location<'static> as usize
}

#[test]
fn use_after_free_report_names_the_freeing_call_site() {
    let (mm, sc) = boot("=FZPU");
    let (p, _) = kmalloc_here(&mm, &sc, 64);
    let freed_at = kfree_here(&mm, &sc, p);
    mm.platform().take_log();
    // Write after free: the poison is broken, found when the object is handed out.
    poke(p, 8, 0x11);
    let _ = sc.kmalloc(&mm, 64, Gfp::KERNEL);
    let log = mm.platform().take_log();
    let freed = log
        .iter()
        .find(|l| l.starts_with("Freed in "))
        .unwrap_or_else(|| panic!("{log:?}"));
    assert!(
        freed.starts_with(&format!("Freed in 0x{freed_at:016x} age=")),
        "{freed}"
    );
}

/// `early_kmem_cache_node_alloc` marks the first node structure allocated
/// (`init_object(…, SLUB_RED_ACTIVE)`): validating the boot caches under
/// `slub_debug=FZPU` finds nothing wrong.
#[test]
fn the_boot_caches_validate_clean_under_slub_debug() {
    let (mm, sc) = boot("FZPU");
    mm.platform().take_log();
    for id in [SlabCaches::KMEM_CACHE_NODE, SlabCaches::KMEM_CACHE] {
        assert!(sc.kmem_cache_validate(&mm, id).unwrap() >= 1);
    }
    let k64 = sc.find_cache("kmalloc-64").unwrap();
    let p = sc.kmem_cache_alloc(&mm, k64, Gfp::KERNEL).unwrap();
    assert_eq!(sc.kmem_cache_validate(&mm, k64), Ok(1));
    sc.kmem_cache_free(&mm, k64, p.as_ptr()).unwrap();
    assert_eq!(mm.platform().take_log(), Vec::<String>::new());
}
