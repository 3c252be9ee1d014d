//! Merged-cache aliases (Linux v6.12 `__kmem_cache_alias`, `sysfs_slab_alias`,
//! `aliases_show`): a merged request gets the existing cache with its refcount raised,
//! its name links to that cache, `aliases` reads `refcount - 1` (0 for the boot
//! caches), and destroying through an alias only drops a reference.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;

use oxmm::slab::alias::MAX_ALIASES;
use oxmm::slab::kmalloc::KmallocType;
use oxmm::slab::order::SlubParams;
use oxmm::slab::{SlabCaches, SlabFlags};

fn names(sc: &SlabCaches, id: oxmm::slab::CacheId) -> Vec<String> {
    let mut v = Vec::new();
    sc.for_each_alias(id, |n| v.push(n.to_string()));
    v
}

#[test]
fn merged_requests_are_recorded_as_aliases_of_their_cache() {
    let mm = support::boot_small();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let k256 = sc.kmalloc_cache(KmallocType::Normal, 8).unwrap();
    assert_eq!(sc.aliases(k256), Ok(0));
    assert!(names(&sc, k256).is_empty());
    // The boot caches are exempt from merging: refcount -1, aliases 0.
    assert_eq!(sc.cache(SlabCaches::KMEM_CACHE).unwrap().refcount(), -1);
    assert_eq!(sc.aliases(SlabCaches::KMEM_CACHE), Ok(0));
    let a = sc
        .kmem_cache_create(&mm, "alias250", 250, 0, SlabFlags::default(), None)
        .unwrap();
    let b = sc
        .kmem_cache_create(&mm, "alias252", 252, 0, SlabFlags::default(), None)
        .unwrap();
    assert_eq!((a, b), (k256, k256));
    assert_eq!(sc.aliases(k256), Ok(2));
    assert_eq!(names(&sc, k256), ["alias250", "alias252"]);
    // /sys/kernel/slab/<name> leads to the cache by its name or an alias.
    assert_eq!(sc.find_cache("alias252"), Some(k256));
    assert_eq!(sc.find_cache("kmalloc-256"), Some(k256));
    assert_eq!(sc.find_cache("nonesuch"), None);
    // Destroying an alias drops one reference; the cache and its links stay.
    sc.kmem_cache_destroy(&mm, a, &mut oxmm::printk::NullLog)
        .unwrap();
    assert_eq!(sc.aliases(k256), Ok(1));
    assert_eq!(sc.cache(k256).unwrap().refcount(), 2);
    assert_eq!(names(&sc, k256).len(), 2);
    // A name merged again is re-linked, not duplicated.
    sc.kmem_cache_create(&mm, "alias252", 252, 0, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(names(&sc, k256), ["alias250", "alias252"]);
    assert_eq!(sc.aliases(k256), Ok(2));
    assert!(mm.platform().take_log().is_empty());
    mm.check().unwrap();
}

#[test]
fn a_destroyed_cache_takes_its_links_along() {
    let mm = support::boot_small();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let own = sc
        .kmem_cache_create(&mm, "own240", 240, 0, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(
        sc.kmem_cache_create(&mm, "again240", 236, 0, SlabFlags::default(), None),
        Ok(own)
    );
    assert_eq!(
        (sc.aliases(own), names(&sc, own)),
        (Ok(1), vec!["again240".to_string()])
    );
    sc.kmem_cache_destroy(&mm, own, &mut oxmm::printk::NullLog)
        .unwrap();
    sc.kmem_cache_destroy(&mm, own, &mut oxmm::printk::NullLog)
        .unwrap();
    assert!(sc.cache(own).is_none());
    assert_eq!(sc.find_cache("again240"), None);
    assert!(sc.aliases(own).is_err());
    // A new cache that reuses the id starts without links.
    let fresh = sc
        .kmem_cache_create(&mm, "fresh", 240, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    assert!(names(&sc, fresh).is_empty());
}

#[test]
fn a_full_link_table_is_reported_and_the_merge_still_made() {
    let mm = support::boot_small();
    let sc = SlabCaches::init(&mm, SlubParams::default()).unwrap();
    let k64 = sc.kmalloc_cache(KmallocType::Normal, 6).unwrap();
    for i in 0..MAX_ALIASES {
        let id = sc
            .kmem_cache_create(&mm, &format!("a{i}"), 64, 0, SlabFlags::default(), None)
            .unwrap();
        assert_eq!(id, k64);
    }
    assert!(mm.platform().take_log().is_empty());
    let id = sc
        .kmem_cache_create(&mm, "one-too-many", 64, 0, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(id, k64);
    assert_eq!(
        mm.platform().take_log(),
        ["SLUB: Unable to add cache alias one-too-many to sysfs"]
    );
    assert_eq!(sc.aliases(k64), Ok(MAX_ALIASES as u32 + 1));
    assert_eq!(names(&sc, k64).len(), MAX_ALIASES);
}
