//! Threads that own their CPUs (`HostOptions::cpu_ownership`): the per-CPU lists and
//! slabs are reached without atomics by their owner, while other threads drain them,
//! shrink caches and run as shared CPUs. Nothing may be handed out twice, and
//! everything must come back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use oxmm::gfp::Gfp;
use oxmm::mm::BootMode;
use oxmm::platform::Platform;
use oxmm::slab::{SlabCaches, SlabFlags};
use oxmm::types::Pfn;
use oxmm_host::hosted::{HostOptions, HostedMachine};
use oxmm_host::machine::Machine;

fn machine(cpus: u32) -> Machine {
    Machine::from_toml_str(
        &format!(
            r#"
name = "own"
arch = "x86-64"
cpus = {cpus}
kernel_version = "6.12"
e820 = [
  {{ range = "0x0-0x9fbff", type = "usable" }},
  {{ range = "0x100000-0x17fffffff", type = "usable" }},
]
"#
        ),
        "own.toml",
    )
    .unwrap()
}

fn boot(cpus: u32) -> Arc<HostedMachine> {
    let opts = HostOptions {
        cpu_ownership: true,
    };
    Arc::new(HostedMachine::boot_with_options(&machine(cpus), BootMode::Full, opts).unwrap())
}

#[test]
fn threads_claim_distinct_cpus_and_give_them_back() {
    let hm = boot(3);
    let p = hm.mm().platform();
    let me = p.this_cpu();
    assert!(me.is_owned());
    let ids: Vec<_> = (0..2)
        .map(|_| {
            let hm = hm.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
            let h = std::thread::spawn(move || {
                tx.send(hm.mm().platform().this_cpu()).unwrap();
                done_rx.recv().unwrap();
            });
            (rx.recv().unwrap(), h, done_tx)
        })
        .collect();
    let mut owned: Vec<usize> = ids.iter().map(|(c, _, _)| c.id).collect();
    owned.push(me.id);
    owned.sort();
    assert_eq!(
        owned,
        vec![0, 1, 2],
        "three threads, three CPUs, each its own"
    );
    // A fourth thread finds none free: shared.
    let hm2 = hm.clone();
    let fourth = std::thread::spawn(move || hm2.mm().platform().this_cpu())
        .join()
        .unwrap();
    assert!(!fourth.is_owned());
    for (c, h, done) in ids {
        done.send(()).unwrap();
        h.join().unwrap();
        assert!(!p.cpu_owned(c.id), "cpu {} given back at thread exit", c.id);
    }
    assert!(p.cpu_owned(me.id));
}

/// Owners and shared threads allocate and free pages and slab objects, each written
/// with its owner's tag and checked on free, while one more thread keeps draining every
/// CPU's lists and shrinking the cache.
#[test]
fn owners_shared_threads_and_drains_never_share_an_object() {
    let hm = boot(2);
    let mm = hm.mm();
    let slab = Arc::new(SlabCaches::init(mm, Default::default()).unwrap());
    let cache = slab
        .kmem_cache_create(mm, "own_test", 64, 8, SlabFlags::NO_MERGE, None)
        .unwrap();
    mm.drain_all_pages(None).unwrap();
    let free_before = mm.nr_free_pages();
    // The workers get both CPUs.
    mm.platform().release_this_thread();
    let stop = Arc::new(AtomicBool::new(false));
    let drains = Arc::new(AtomicU64::new(0));
    let base = mm.platform().direct_map_base() as usize;
    // 4 workers on 2 CPUs: two owners, two shared, all at once.
    let claimed = Arc::new(std::sync::Barrier::new(5));
    let done = Arc::new(std::sync::Barrier::new(4));
    let workers: Vec<_> = (0..4u64)
        .map(|t| {
            let (hm, slab) = (hm.clone(), slab.clone());
            let (claimed, done) = (claimed.clone(), done.clone());
            std::thread::spawn(move || {
                let mm = hm.mm();
                let owned = mm.platform().this_cpu().is_owned();
                claimed.wait();
                let tag = 0x5a5a_0000_0000_0000 | t << 32;
                let mut pages: Vec<Pfn> = Vec::new();
                let mut objs: Vec<*mut u64> = Vec::new();
                let mut x = t.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
                for i in 0..20_000u64 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x % 3 == 0 || pages.len() > 64 {
                        if let Some(p) = pages.pop() {
                            let a = (base + (p.0 as usize) * 4096) as *mut u64;
                            // SAFETY: the page is ours until freed below.
                            assert_eq!(unsafe { a.read_volatile() }, tag | p.0);
                            mm.free_pages(p, 0).unwrap();
                        }
                    } else {
                        let p = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
                        let a = (base + (p.0 as usize) * 4096) as *mut u64;
                        // SAFETY: a page just allocated to this thread.
                        unsafe { a.write_volatile(tag | p.0) };
                        pages.push(p);
                    }
                    if x % 5 < 2 || objs.len() > 256 {
                        if let Some(o) = objs.pop() {
                            // SAFETY: our object until freed.
                            assert_eq!(unsafe { o.read_volatile() }, tag | o as u64);
                            slab.kmem_cache_free(mm, cache, o.cast()).unwrap();
                        }
                    } else {
                        let o = slab
                            .kmem_cache_alloc(mm, cache, Gfp::KERNEL)
                            .unwrap()
                            .as_ptr()
                            .cast::<u64>();
                        // SAFETY: a 64-byte object just allocated to this thread.
                        unsafe { o.write_volatile(tag | o as u64) };
                        objs.push(o);
                    }
                    if i % 4096 == 0 {
                        std::thread::yield_now();
                    }
                }
                for p in pages {
                    mm.free_pages(p, 0).unwrap();
                }
                for o in objs {
                    slab.kmem_cache_free(mm, cache, o.cast()).unwrap();
                }
                done.wait();
                owned
            })
        })
        .collect();
    claimed.wait();
    let drainer = {
        let (hm, slab, stop, drains) = (hm.clone(), slab.clone(), stop.clone(), drains.clone());
        std::thread::spawn(move || {
            let mm = hm.mm();
            while !stop.load(Relaxed) {
                mm.drain_all_pages(None).unwrap();
                slab.kmem_cache_shrink(mm, cache).unwrap();
                drains.fetch_add(1, Relaxed);
                std::thread::yield_now();
            }
        })
    };
    let owners = workers
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|&o| o)
        .count();
    stop.store(true, Relaxed);
    drainer.join().unwrap();
    assert_eq!(owners, 2, "two of the four workers owned a CPU");
    assert!(drains.load(Relaxed) > 0);
    slab.kmem_cache_destroy(mm, cache, &mut oxmm::printk::NullLog)
        .unwrap();
    mm.drain_all_pages(None).unwrap();
    assert_eq!(mm.nr_free_pages(), free_before);
    mm.check().unwrap();
}

/// Mutual exclusion of a [`LocalLock`] itself: owners increment their CPU's counter
/// through the owner's path (plain loads and stores), shared threads and a remote
/// thread through the gate, all at once; a single lost update fails the sums.
#[test]
fn local_lock_excludes_owners_shared_threads_and_remotes() {
    use oxmm::local_lock::LocalLock;
    use oxmm_host::physmem::PhysMem;
    use oxmm_host::platform::HostPlatform;
    let mut p = HostPlatform::new(Arc::new(PhysMem::new(4096).unwrap()), 2).unwrap();
    p.enable_cpu_ownership().unwrap();
    p.release_this_thread();
    let p = Arc::new(p);
    let slots: Arc<[LocalLock<u64>; 2]> = Arc::new([LocalLock::new(0, 0), LocalLock::new(1, 0)]);
    let n = 200_000u64;
    let start = Arc::new(std::sync::Barrier::new(5));
    let mut hs = Vec::new();
    // Two owners and two shared threads on the two CPUs.
    for _ in 0..4 {
        let (p, slots, start) = (p.clone(), slots.clone(), start.clone());
        hs.push(std::thread::spawn(move || {
            let me = p.this_cpu();
            start.wait();
            let iters = if me.is_owned() { n } else { n / 50 };
            for _ in 0..iters {
                let mut g = slots[me.id].lock_local(&*p, me);
                *g = std::hint::black_box(*g + 1);
            }
            (me.id, iters)
        }));
    }
    // A remote thread taking both CPUs' slots, one at a time and in batches.
    let remote = {
        let (p, slots, start) = (p.clone(), slots.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            let mut done = [0u64; 2];
            for i in 0..2_000u64 {
                let cpu = (i % 2) as usize;
                if i % 3 == 0 {
                    let owned = slots.iter().fold(false, |o, s| s.close_gate(&*p) | o);
                    if owned {
                        p.barrier_owned_cpus();
                    }
                    for (c, s) in slots.iter().enumerate() {
                        // SAFETY: closed just above, the barrier taken.
                        let mut g = unsafe { s.lock_closed() };
                        *g += 1;
                        done[c] += 1;
                        drop(g);
                        s.open_gate();
                    }
                } else {
                    *slots[cpu].lock_cpu(&*p) += 1;
                    done[cpu] += 1;
                }
            }
            done
        })
    };
    let mut want = remote.join().unwrap();
    let mut owners = 0;
    for h in hs {
        let (cpu, iters) = h.join().unwrap();
        want[cpu] += iters;
        owners += (iters == n) as u32;
    }
    assert_eq!(owners, 2);
    for (c, s) in slots.iter().enumerate() {
        assert_eq!(*s.lock_cpu(&*p), want[c], "cpu {c}: an update was lost");
    }
}

/// The owner's way in only opens on the owner's own CPU's slot: an owner reaching
/// another CPU's slot goes through its gate and spin lock, like anyone else.
#[test]
fn an_owner_takes_other_cpus_slots_through_the_gate() {
    use oxmm::local_lock::LocalLock;
    use oxmm_host::physmem::PhysMem;
    use oxmm_host::platform::HostPlatform;
    let mut p = HostPlatform::new(Arc::new(PhysMem::new(4096).unwrap()), 2).unwrap();
    p.enable_cpu_ownership().unwrap();
    let me = p.this_cpu();
    assert!(me.is_owned());
    let mine = LocalLock::new(me.id, 0u32);
    let other = LocalLock::new(1 - me.id, 0u32);
    let g = mine.lock_local(&p, me);
    let s = format!("{mine:?}");
    assert!(
        s.contains("active: true") && s.contains("locked: false"),
        "{s}"
    );
    drop(g);
    let g = other.lock_local(&p, me);
    let s = format!("{other:?}");
    assert!(
        s.contains("active: false") && s.contains("locked: true"),
        "{s}"
    );
    assert!(s.contains("gate: 1"), "{s}");
    drop(g);
    assert!(format!("{other:?}").contains("gate: 0"));
}
