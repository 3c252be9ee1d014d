//! `slub_debug=`, `slab_nomerge` and `init_on_*=` from a hosted machine's command line
//! reach the slab caches as Linux's `kmem_cache_flags` applies them at creation.

use oxmm::gfp::Gfp;
use oxmm::mm::BootMode;
use oxmm::slab::hooks::kmem_cache_debug;
use oxmm::slab::kmalloc::KmallocType;
use oxmm::slab::{SlabCaches, SlabFlags};
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

/// `name objsize objperslab pagesperslab` of each /proc/slabinfo row.
fn rows(hm: &HostedMachine, sc: &SlabCaches) -> Vec<(String, u32, u32, u32)> {
    let mut s = String::new();
    sc.slabinfo(hm.mm(), &mut s).unwrap();
    s.lines()
        .skip(2)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[3].parse().unwrap(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
            )
        })
        .collect()
}

fn row(r: &[(String, u32, u32, u32)], name: &str) -> (u32, u32, u32) {
    let x = r.iter().find(|x| x.0 == name).unwrap();
    (x.1, x.2, x.3)
}

#[test]
fn slub_debug_fzpu_sizes_every_boot_cache() {
    let (hm, sc) = boot("slub_debug=FZPU");
    let r = rows(&hm, &sc);
    // x86-64 with the stack depot (32-byte tracks), calculate_sizes by hand:
    // kmalloc-8: 8 + 8 (red zone, object == word) + 8 (free pointer after the poisoned
    // object) + 2 * 32 (tracks) + 4 (orig_size) = 92, + 8 left red zone, + 8 trailing
    // pad = 108, aligned to 8 → 112.
    assert_eq!(row(&r, "kmalloc-8"), (112, 36, 1));
    // kmalloc-96: 96 + 8 + 8 + 64 + 4 = 180, + 32 (left red zone aligned to 32) + 8
    // = 220 → 224.
    assert_eq!(row(&r, "kmalloc-96"), (224, 18, 1));
    // kmalloc-64: 64 + 8 + 8 + 64 + 4 = 148, + 64 (left red zone aligned to 64) + 8
    // = 220 → 256.
    assert_eq!(row(&r, "kmalloc-64"), (256, 16, 1));
    // kmalloc-1k: natural 1024 alignment makes the left red zone 1024 bytes.
    assert_eq!(row(&r, "kmalloc-1k"), (3072, 10, 8));
    assert_eq!(row(&r, "kmalloc-8k"), (24576, 1, 8));
    // The bootstrap caches are debug caches too.
    for id in [SlabCaches::KMEM_CACHE, SlabCaches::KMEM_CACHE_NODE] {
        let c = sc.cache(id).unwrap();
        assert!(kmem_cache_debug(c), "{}", c.name());
        assert!(c.flags().contains(SlabFlags::STORE_USER));
        assert!(c.size() > c.object_size() + 64);
    }
    // Without the option the same caches are plain.
    let (hm0, sc0) = boot("");
    let r0 = rows(&hm0, &sc0);
    assert_eq!(row(&r0, "kmalloc-8"), (8, 512, 1));
    assert_eq!(row(&r0, "kmalloc-1k").0, 1024);
    assert!(!kmem_cache_debug(
        sc0.cache(SlabCaches::KMEM_CACHE).unwrap()
    ));
}

#[test]
fn slub_debug_lists_select_caches_and_debug_caches_never_merge() {
    let (hm, sc) = boot("slub_debug=Z,kmalloc-64,test-dbg*");
    let r = rows(&hm, &sc);
    assert_eq!(row(&r, "kmalloc-32"), (32, 128, 1));
    let k64 = sc
        .cache(sc.kmalloc_cache(KmallocType::Normal, 6).unwrap())
        .unwrap();
    assert!(k64.flags().contains(SlabFlags::RED_ZONE));
    assert!(kmem_cache_debug(k64));
    let mm = hm.mm();
    // A plain 32-byte cache merges into kmalloc-32 (refcount raised)...
    let plain = sc
        .kmem_cache_create(mm, "plain", 32, 8, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(sc.cache(plain).unwrap().name(), "kmalloc-32");
    // ...a 64-byte one cannot merge into the debug kmalloc-64...
    let p64 = sc
        .kmem_cache_create(mm, "plain64", 64, 8, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(sc.cache(p64).unwrap().name(), "plain64");
    // ...and caches the option names never merge, with anything.
    let dbg = sc
        .kmem_cache_create(mm, "test-dbg-a", 32, 8, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(sc.cache(dbg).unwrap().name(), "test-dbg-a");
    assert!(kmem_cache_debug(sc.cache(dbg).unwrap()));
    let dbg2 = sc
        .kmem_cache_create(mm, "test-dbg-b", 32, 8, SlabFlags::default(), None)
        .unwrap();
    assert_ne!(dbg2, dbg);
    // Objects of the debug cache go through the checks.
    let o = sc.kmem_cache_alloc(mm, dbg, Gfp::KERNEL).unwrap().as_ptr();
    sc.kmem_cache_free(mm, dbg, o).unwrap();
    assert_eq!(sc.active_objects(mm, dbg).unwrap(), 0);
}

#[test]
fn slab_nomerge_and_meminit_from_the_cmdline() {
    let (hm, sc) = boot("slab_nomerge init_on_alloc=1 init_on_free=0");
    assert!(hm.slub_params().nomerge);
    let m = hm.mm().meminit();
    assert!(m.init_on_alloc && !m.init_on_free);
    let mm = hm.mm();
    let a = sc
        .kmem_cache_create(mm, "nm-a", 64, 8, SlabFlags::default(), None)
        .unwrap();
    assert_eq!(sc.cache(a).unwrap().name(), "nm-a");
    let mut m = Machine::profile("pc-8g").unwrap();
    assert!(m.apply_cmdline("init_on_free=maybe").is_err());
}

#[test]
fn unknown_slub_debug_options_are_reported_and_skipped() {
    // Linux's parse_slub_debug_flags: pr_err for each unknown character, the others
    // still apply (here F and Z to every cache, then U for kmalloc-64 alone).
    let (hm, sc) = boot("slub_debug=FQZ;k!U,kmalloc-64");
    let log = hm.log();
    let reports: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, (_, l))| l.starts_with("slab_debug option"))
        .map(|(i, _)| i)
        .collect();
    let lines: Vec<&(oxmm::printk::Level, String)> = reports.iter().map(|&i| &log[i]).collect();
    assert_eq!(
        lines,
        [
            &(
                oxmm::printk::Level::Err,
                "slab_debug option 'Q' unknown. skipped".to_string()
            ),
            &(
                oxmm::printk::Level::Err,
                "slab_debug option 'k' unknown. skipped".to_string()
            ),
            &(
                oxmm::printk::Level::Err,
                "slab_debug option '!' unknown. skipped".to_string()
            ),
        ]
    );
    // Printed from parse_args, before build_all_zonelists.
    let zl = log
        .iter()
        .position(|(_, l)| l.starts_with("Fallback order for Node 0: "))
        .unwrap();
    assert!(log[zl + 1].1.starts_with("Built 1 zonelists"));
    assert_eq!(reports, [zl - 3, zl - 2, zl - 1]);
    let fz = SlabFlags::CONSISTENCY_CHECKS.union(SlabFlags::RED_ZONE);
    let k32 = sc
        .cache(sc.kmalloc_cache(KmallocType::Normal, 5).unwrap())
        .unwrap();
    assert_eq!(k32.flags().0 & (fz.0 | SlabFlags::STORE_USER.0), fz.0);
    let k64 = sc
        .cache(sc.kmalloc_cache(KmallocType::Normal, 6).unwrap())
        .unwrap();
    assert!(k64.flags().contains(SlabFlags::STORE_USER));
    assert!(!k64.flags().contains(SlabFlags::RED_ZONE));
    // The option survives as written (to_cmdline), unknown characters included.
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline("slub_debug=FQ").unwrap();
}
