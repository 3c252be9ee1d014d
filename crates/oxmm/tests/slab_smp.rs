//! The slab allocator under threads: cross-CPU (remote) frees with every object tagged
//! by its owner and checked, concurrent cache creation and destruction, node-aware
//! allocation on a two-node machine; every slab page back in the buddy allocator at the
//! end and the page-level checker clean.

mod support;
#[cfg(not(feature = "debug_vm"))]
use support::CheckExt;
use support::{boot_numa, set_this_cpu, ThreadMem};

use std::sync::mpsc;
use std::sync::Arc;

use oxmm::gfp::Gfp;
use oxmm::mm::Mm;
use oxmm::platform::Platform;
use oxmm::slab::kmalloc::KmallocType;
use oxmm::slab::order::SlubParams;
use oxmm::slab::stat::StatItem;
use oxmm::slab::{CacheId, SlabCaches, SlabFlags};
use oxmm::types::NodeId;

fn free_now(mm: &Mm<ThreadMem>) -> u64 {
    mm.drain_all_pages(None).unwrap();
    mm.nr_free_pages()
}

/// Give every cache's empty slabs back (kmalloc and the registry's own caches too).
fn shrink_everything(mm: &Mm<ThreadMem>, sc: &SlabCaches) {
    for ty in [KmallocType::Normal, KmallocType::Reclaim, KmallocType::Dma] {
        for i in 1..14 {
            if let Some(id) = sc.kmalloc_cache(ty, i) {
                sc.kmem_cache_shrink(mm, id).unwrap();
            }
        }
    }
    sc.kmem_cache_shrink(mm, SlabCaches::KMEM_CACHE).unwrap();
    sc.kmem_cache_shrink(mm, SlabCaches::KMEM_CACHE_NODE)
        .unwrap();
}

/// Pages the registry keeps: its own two caches' slabs and the per-CPU slots.
fn baseline_pages(sc: &SlabCaches) -> u64 {
    let kc = sc.cache(SlabCaches::KMEM_CACHE).unwrap();
    let kcn = sc.cache(SlabCaches::KMEM_CACHE_NODE).unwrap();
    (kc.nr_slabs() << kc.order()) + (kcn.nr_slabs() << kcn.order()) + sc.percpu_pages()
}

/// The byte pattern of object `seq` of thread `owner`.
fn pattern(owner: usize, seq: usize, i: usize) -> u8 {
    (owner * 31 + seq * 7 + i) as u8
}

fn fill(p: usize, len: usize, owner: usize, seq: usize) {
    // SAFETY: a live object of at least `len` bytes owned by the caller.
    let b = unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len) };
    for (i, x) in b.iter_mut().enumerate() {
        *x = pattern(owner, seq, i);
    }
}

fn verify(p: usize, len: usize, owner: usize, seq: usize) {
    // SAFETY: a live object of at least `len` bytes handed over by its owner.
    let b = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
    for (i, &x) in b.iter().enumerate() {
        assert_eq!(
            x,
            pattern(owner, seq, i),
            "object {p:#x} of thread {owner} #{seq} overwritten at byte {i}"
        );
    }
}

/// What travels between threads: object, size, owner, sequence, cache (None: kmalloc).
type Msg = (usize, usize, usize, usize, Option<CacheId>);

#[test]
fn four_threads_free_each_others_objects() {
    let mm: Arc<Mm<ThreadMem>> = Arc::from(boot_numa(48));
    let free0 = free_now(&mm);
    let sc = Arc::new(SlabCaches::init(&*mm, SlubParams::default()).unwrap());
    let id = sc
        .kmem_cache_create(&*mm, "smp48", 48, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    // A debug cache: no CPU slabs, every operation under its node's list_lock.
    let dbg = sc
        .kmem_cache_create(
            &*mm,
            "smp_dbg",
            72,
            0,
            SlabFlags::CONSISTENCY_CHECKS.union(SlabFlags::NO_MERGE),
            None,
        )
        .unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    const THREADS: usize = 4;
    const ROUNDS: usize = 20000;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| mpsc::channel::<Msg>()).unzip();
    let mut rxs: Vec<Option<mpsc::Receiver<Msg>>> = rxs.into_iter().map(Some).collect();
    std::thread::scope(|scope| {
        let mut workers = Vec::new();
        for t in 0..THREADS {
            let rx = rxs[t].take().unwrap();
            let tx = txs[(t + 1) % THREADS].clone();
            let (mm, sc) = (&mm, &sc);
            workers.push(scope.spawn(move || {
                set_this_cpu(t);
                let mut mine = Vec::new();
                for seq in 0..ROUNDS {
                    let (p, len, cache) = if seq % 3 == 0 {
                        // Now and then a large kmalloc (compound pages).
                        let len = if seq % 51 == 0 {
                            9000 + seq % 20000
                        } else {
                            8 + (seq * 37 + t * 101) % 600
                        };
                        let p = sc.kmalloc(&**mm, len as u64, Gfp::KERNEL).unwrap();
                        (p.as_ptr() as usize, len, None)
                    } else if seq % 7 == 1 {
                        let p = sc.kmem_cache_alloc(&**mm, dbg, Gfp::KERNEL).unwrap();
                        (p.as_ptr() as usize, 72, Some(dbg))
                    } else {
                        let p = sc.kmem_cache_alloc(&**mm, id, Gfp::KERNEL).unwrap();
                        (p.as_ptr() as usize, 48, Some(id))
                    };
                    fill(p, len, t, seq);
                    // Keep a few locally (local frees), hand the rest to the next CPU.
                    if seq % 5 == 0 {
                        mine.push((p, len, t, seq, cache));
                    } else {
                        tx.send((p, len, t, seq, cache)).unwrap();
                    }
                    if mine.len() > 64 {
                        for (p, len, o, s, c) in mine.drain(..32) {
                            verify(p, len, o, s);
                            free(mm, sc, p, c);
                        }
                    }
                    while let Ok((p, len, o, s, c)) = rx.try_recv() {
                        verify(p, len, o, s);
                        free(mm, sc, p, c);
                    }
                }
                for (p, len, o, s, c) in mine {
                    verify(p, len, o, s);
                    free(mm, sc, p, c);
                }
                drop(tx);
                // Whatever is still in flight to us, once every sender is done.
                for (p, len, o, s, c) in rx {
                    verify(p, len, o, s);
                    free(mm, sc, p, c);
                }
            }));
        }
        // Meanwhile, shrink (flushing every CPU's slabs) and read slabinfo, as any
        // other CPU of a running kernel may.
        let (mm2, sc2, done2) = (&mm, &sc, &done);
        scope.spawn(move || {
            set_this_cpu(3);
            let mut s = String::new();
            while !done2.load(std::sync::atomic::Ordering::Relaxed) {
                sc2.kmem_cache_shrink(&**mm2, id).unwrap();
                sc2.kmem_cache_shrink(&**mm2, dbg).unwrap();
                s.clear();
                sc2.slabinfo(&**mm2, &mut s).unwrap();
                std::thread::yield_now();
            }
        });
        drop(txs);
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    // The paths taken, counted only with CONFIG_SLUB_STATS.
    if cfg!(feature = "slub_stats") {
        let st = sc.cache(id).unwrap().stats();
        assert!(st.get(StatItem::AllocFastpath) > 0);
        assert!(
            st.get(StatItem::FreeSlowpath) > 0,
            "remote frees take the slow path"
        );
        assert!(st.get(StatItem::CpuPartialFree) + st.get(StatItem::FreeFrozen) > 0);
        let per_thread = (0..ROUNDS).filter(|s| s % 3 != 0 && s % 7 != 1).count();
        assert_eq!(
            st.get(StatItem::AllocFastpath) + st.get(StatItem::AllocSlowpath),
            (per_thread * THREADS) as u64
        );
        let dst = sc.cache(dbg).unwrap().stats();
        assert_eq!(dst.get(StatItem::AllocFastpath), 0);
        assert!(dst.get(StatItem::AllocSlowpath) > 0);
    }
    sc.kmem_cache_destroy(&*mm, dbg, &mut oxmm::printk::NullLog)
        .unwrap();
    sc.kmem_cache_shrink(&*mm, id).unwrap();
    assert_eq!(sc.active_objects(&*mm, id), Ok(0));
    sc.kmem_cache_destroy(&*mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    shrink_everything(&mm, &sc);
    mm.check().unwrap();
    assert_eq!(free0 - free_now(&mm), baseline_pages(&sc));
}

fn free(mm: &Mm<ThreadMem>, sc: &SlabCaches, p: usize, c: Option<CacheId>) {
    match c {
        Some(id) => sc.kmem_cache_free(mm, id, p as *mut u8).unwrap(),
        None => sc.kfree(mm, p as *mut u8).unwrap(),
    }
}

#[test]
fn caches_created_and_destroyed_concurrently() {
    let mm: Arc<Mm<ThreadMem>> = Arc::from(boot_numa(32));
    let free0 = free_now(&mm);
    let sc = SlabCaches::init(&*mm, SlubParams::default()).unwrap();
    let caches0 = sc.nr_caches();
    std::thread::scope(|scope| {
        for t in 0..4usize {
            let (mm, sc) = (&mm, &sc);
            scope.spawn(move || {
                set_this_cpu(t);
                for round in 0..40usize {
                    let name = format!("t{t}-r{round}");
                    let size = 16 + ((t * 97 + round * 53) % 900) as u32;
                    // Unmergeable, so that every create makes a cache of its own.
                    let id = sc
                        .kmem_cache_create(&**mm, &name, size, 0, SlabFlags::NO_MERGE, None)
                        .unwrap();
                    assert_eq!(sc.cache(id).unwrap().name(), name);
                    let objs: Vec<_> = (0..50)
                        .map(|i| {
                            let p = sc.kmem_cache_alloc(&**mm, id, Gfp::KERNEL).unwrap();
                            fill(p.as_ptr() as usize, size as usize, t, i);
                            p
                        })
                        .collect();
                    for (i, p) in objs.iter().enumerate() {
                        verify(p.as_ptr() as usize, size as usize, t, i);
                        sc.kmem_cache_free(&**mm, id, p.as_ptr()).unwrap();
                    }
                    sc.kmem_cache_destroy(&**mm, id, &mut oxmm::printk::NullLog)
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(sc.nr_caches(), caches0);
    shrink_everything(&mm, &sc);
    mm.check().unwrap();
    assert_eq!(free0 - free_now(&mm), baseline_pages(&sc));
}

#[test]
fn node_allocations_come_from_the_node() {
    let mm = boot_numa(32);
    let sc = SlabCaches::init(&*mm, SlubParams::default()).unwrap();
    let base = mm.platform().direct_map_base() as usize;
    let node_of = |p: *mut u8| ((p as usize - base) >= 32 << 20) as u16;
    let id = sc
        .kmem_cache_create(&*mm, "numa", 200, 0, SlabFlags::NO_MERGE, None)
        .unwrap();
    // Both nodes have a kmem_cache_node structure.
    assert_eq!(sc.cache(id).unwrap().nodes().count(), 2);
    set_this_cpu(0);
    let mut v = Vec::new();
    for i in 0..100 {
        let nid = NodeId(i % 2);
        let p = sc
            .kmem_cache_alloc_node(&*mm, id, Gfp::KERNEL | Gfp::THISNODE, nid)
            .unwrap();
        assert_eq!(node_of(p.as_ptr()), nid.0, "object {i}");
        let k = sc.kmalloc_node(&*mm, 300, Gfp::KERNEL, nid).unwrap();
        assert_eq!(node_of(k.as_ptr()), nid.0);
        v.push(p);
        sc.kfree(&*mm, k.as_ptr()).unwrap();
    }
    // (Counted only with CONFIG_SLUB_STATS.)
    let st = sc.cache(id).unwrap().stats();
    assert!(!cfg!(feature = "slub_stats") || st.get(StatItem::AllocNodeMismatch) > 0);
    // CPU 2 is on node 1: its plain allocations come from node 1.
    set_this_cpu(2);
    let p = sc.kmem_cache_alloc(&*mm, id, Gfp::KERNEL).unwrap();
    assert_eq!(node_of(p.as_ptr()), 1);
    sc.kmem_cache_free(&*mm, id, p.as_ptr()).unwrap();
    set_this_cpu(0);
    for p in v {
        sc.kmem_cache_free(&*mm, id, p.as_ptr()).unwrap();
    }
    sc.kmem_cache_destroy(&*mm, id, &mut oxmm::printk::NullLog)
        .unwrap();
    mm.check().unwrap();
}
