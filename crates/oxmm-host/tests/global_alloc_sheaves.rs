//! The per-thread sheaves of [`OxmmAlloc`]: freed objects kept by the thread and
//! handed out again newest first, bounded, refilled and flushed in bulk, given back
//! when the thread exits, and interchangeable with the sheaf-less allocator.

use oxmm_host::global_alloc::{sheaf_capacity, OxmmAlloc};
use std::alloc::{alloc, alloc_zeroed, dealloc, realloc, GlobalAlloc, Layout};

#[global_allocator]
static GLOBAL: OxmmAlloc = OxmmAlloc::new();

static PLAIN: OxmmAlloc = OxmmAlloc::without_sheaves();

fn warm() {
    drop(vec![0u8; 16]);
    assert!(OxmmAlloc::ready(), "the heap machine boots on first use");
}

/// `num_objs` of cache `name` in the heap's `/proc/slabinfo`.
fn num_objs(name: &str) -> u64 {
    slabinfo_field(name, 2)
}

/// Field `n` (0: the name) of cache `name`'s line in the heap's `/proc/slabinfo`.
fn slabinfo_field(name: &str, n: usize) -> u64 {
    let info = OxmmAlloc::slabinfo();
    let line = info
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in\n{info}"));
    line.split_whitespace().nth(n).unwrap().parse().unwrap()
}

#[test]
fn a_freed_object_is_the_next_one_handed_out() {
    warm();
    let l = Layout::from_size_align(200, 8).unwrap(); // kmalloc-256
                                                      // SAFETY: a non-zero layout; every block is freed once with it.
    unsafe {
        let a = alloc(l);
        let b = alloc(l);
        let before = OxmmAlloc::sheaf_objects(200);
        dealloc(a, l);
        dealloc(b, l);
        assert_eq!(OxmmAlloc::sheaf_objects(200), before + 2);
        assert_eq!(alloc(l), b, "newest first");
        assert_eq!(alloc(l), a);
        assert_eq!(OxmmAlloc::sheaf_objects(200), before);
        dealloc(a, l);
        dealloc(b, l);
    }
}

#[test]
fn sheaves_are_bounded_refilled_and_flushed_in_bulk() {
    warm();
    let size = 100; // kmalloc-128
    let cap = sheaf_capacity(7);
    assert_eq!(cap, 32);
    let l = Layout::from_size_align(size, 8).unwrap();
    OxmmAlloc::flush_sheaves();
    assert_eq!(OxmmAlloc::sheaf_objects(size), 0);
    // SAFETY: a non-zero layout; every block is freed once with it.
    unsafe {
        // An empty sheaf is refilled with half its capacity, one of them handed out.
        let first = alloc(l);
        assert_eq!(OxmmAlloc::sheaf_objects(size), cap / 2 - 1);
        let mut v: Vec<*mut u8> = (0..3 * cap).map(|_| alloc(l)).collect();
        v.push(first);
        let mut seen = v.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), v.len(), "no object handed out twice");
        for &p in &v {
            p.write_bytes(0x5a, size);
        }
        for p in v.drain(..) {
            dealloc(p, l);
            let n = OxmmAlloc::sheaf_objects(size);
            assert!((1..=cap).contains(&n), "{n} objects in a sheaf of {cap}");
        }
        OxmmAlloc::flush_sheaves();
        assert_eq!(OxmmAlloc::sheaf_objects(size), 0);
    }
}

#[test]
fn a_thread_gives_its_sheaves_back_when_it_exits() {
    warm();
    let size = 1500; // kmalloc-2k, used by no other test here
    let cap = sheaf_capacity(11);
    let l = Layout::from_size_align(size, 8).unwrap();
    for _ in 0..300 {
        std::thread::spawn(move || {
            // SAFETY: a non-zero layout; every block is freed once with it.
            unsafe {
                let v: Vec<*mut u8> = (0..cap).map(|_| alloc(l)).collect();
                for p in v {
                    dealloc(p, l);
                }
            }
            assert_eq!(OxmmAlloc::sheaf_objects(size), cap);
        })
        .join()
        .unwrap();
    }
    // Kept sheaves would hold 300 × 16 objects; given back, the threads reuse them.
    let n = num_objs("kmalloc-2k");
    assert!(n < 1000, "kmalloc-2k has {n} objects after 300 threads");
}

#[test]
fn zeroed_objects_from_a_sheaf_are_zero() {
    warm();
    let l = Layout::from_size_align(48, 8).unwrap(); // kmalloc-64
                                                     // SAFETY: a non-zero layout; every block is freed once with it.
    unsafe {
        let p = alloc(l);
        p.write_bytes(0xff, 48);
        dealloc(p, l);
        let before = OxmmAlloc::sheaf_objects(48);
        let z = alloc_zeroed(l);
        assert_eq!(z, p, "the dirty object comes back from the sheaf");
        assert_eq!(OxmmAlloc::sheaf_objects(48), before - 1);
        assert!(std::slice::from_raw_parts(z, 48).iter().all(|&b| b == 0));
        dealloc(z, l);
    }
}

#[test]
fn realloc_across_a_class_moves_the_object_to_the_new_class() {
    warm();
    let small = Layout::from_size_align(30, 8).unwrap(); // kmalloc-32
                                                         // SAFETY: valid layouts; each pointer used and freed per its current size.
    unsafe {
        let p = alloc(small);
        p.write_bytes(0x42, 30);
        let before = OxmmAlloc::sheaf_objects(30);
        let q = realloc(p, small, 40); // kmalloc-64
        assert_ne!(p, q);
        assert!(std::slice::from_raw_parts(q, 30).iter().all(|&b| b == 0x42));
        assert_eq!(
            OxmmAlloc::sheaf_objects(30),
            before + 1,
            "p went to its sheaf"
        );
        let r = realloc(q, Layout::from_size_align(40, 8).unwrap(), 64);
        assert_eq!(q, r, "still kmalloc-64");
        dealloc(r, Layout::from_size_align(64, 8).unwrap());
    }
}

#[test]
fn with_and_without_sheaves_free_each_others_objects() {
    warm();
    let l = Layout::from_size_align(500, 8).unwrap(); // kmalloc-512
                                                      // SAFETY: a non-zero layout; every block is freed once with it, by either.
    unsafe {
        let a = GLOBAL.alloc(l);
        let b = PLAIN.alloc(l);
        assert!(OxmmAlloc::owns(a) && OxmmAlloc::owns(b));
        let before = OxmmAlloc::sheaf_objects(500);
        PLAIN.dealloc(a, l);
        assert_eq!(
            OxmmAlloc::sheaf_objects(500),
            before,
            "no sheaf without sheaves"
        );
        GLOBAL.dealloc(b, l);
        assert_eq!(OxmmAlloc::sheaf_objects(500), before + 1);
        OxmmAlloc::flush_sheaves();
    }
}

#[test]
fn large_requests_bypass_the_sheaves() {
    warm();
    let l = Layout::from_size_align(20000, 8).unwrap();
    // SAFETY: a non-zero layout, freed with it.
    unsafe {
        let p = alloc(l);
        assert_eq!(p as usize % 4096, 0);
        dealloc(p, l);
    }
    assert_eq!(OxmmAlloc::sheaf_objects(20000), 0);
}

#[test]
fn another_threads_small_objects_go_back_to_their_slab() {
    warm();
    let tiny = Layout::from_size_align(8, 8).unwrap(); // kmalloc-8: 8 per cache line
    let line = Layout::from_size_align(64, 8).unwrap(); // kmalloc-64: a line each
    let slab_bytes = 4096 * slabinfo_field("kmalloc-8", 5) as usize;
    // SAFETY: non-zero layouts; every block is freed once with its layout.
    let (a, b) = unsafe { (alloc(tiny) as usize, alloc(line) as usize) };
    std::thread::spawn(move || {
        // SAFETY: as above; `a` and `b` are freed here only.
        unsafe {
            // black_box: an allocation nothing uses may be optimised away with its free.
            let mine = std::hint::black_box(alloc(tiny));
            let n8 = OxmmAlloc::sheaf_objects(8);
            // `a` is kept only if it happens to come from the slab this thread's sheaf
            // was refilled from (the threads may share a CPU, hence its active slab).
            let same = a / slab_bytes == mine as usize / slab_bytes;
            dealloc(a as *mut u8, tiny);
            let kept = OxmmAlloc::sheaf_objects(8) - n8;
            assert_eq!(kept, same as usize, "another slab's object shares a line");
            dealloc(mine, tiny);
            assert_eq!(
                OxmmAlloc::sheaf_objects(8),
                n8 + kept + 1,
                "its own is kept"
            );
            let other = std::hint::black_box(alloc(line));
            let n64 = OxmmAlloc::sheaf_objects(64);
            dealloc(b as *mut u8, line);
            assert_eq!(
                OxmmAlloc::sheaf_objects(64),
                n64 + 1,
                "a whole line is kept"
            );
            dealloc(other, line);
        }
    })
    .join()
    .unwrap();
}

/// Threads allocating, tagging, passing objects to each other and freeing them (so
/// sheaves fill with other threads' objects, give them back in bulk and refill): no
/// object is handed to two owners at once — each keeps its owner's tag until freed.
#[test]
fn no_object_is_handed_out_twice_across_threads() {
    warm();
    const THREADS: usize = 4;
    type Obj = (usize, Layout, u64); // address, layout, tag
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..THREADS)
        .map(|_| std::sync::mpsc::channel::<Obj>())
        .unzip();
    let check = |&(p, l, tag): &Obj| {
        // SAFETY: `p` is a live block of `l.size()` bytes owned by the caller.
        let b = unsafe { std::slice::from_raw_parts(p as *const u8, l.size()) };
        assert!(
            b.iter()
                .enumerate()
                .all(|(i, &x)| x == (tag as u8).wrapping_add(i as u8)),
            "block {p:#x} ({} bytes, tag {tag:#x}) was overwritten",
            l.size()
        );
    };
    let left: Vec<std::sync::mpsc::Receiver<Obj>> = std::thread::scope(|sc| {
        let handles: Vec<_> = rxs
            .into_iter()
            .enumerate()
            .map(|(t, rx)| {
                let next = txs[(t + 1) % THREADS].clone();
                sc.spawn(move || {
                    let mut seed = 0x2545_f491_4f6c_dd1d_u64 ^ (t as u64 + 1);
                    let mut rnd = move || {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed
                    };
                    let mut live: Vec<Obj> = Vec::with_capacity(64);
                    for seq in 0..20_000u64 {
                        let size = 8 + (rnd() % 505) as usize;
                        let l = Layout::from_size_align(size, 8).unwrap();
                        // SAFETY: a non-zero layout; each block is freed once, by its last owner.
                        let p = unsafe { alloc(l) };
                        assert!(!p.is_null());
                        let tag = (t as u64) << 32 | seq;
                        for i in 0..size {
                            // SAFETY: inside the block just allocated.
                            unsafe { p.add(i).write((tag as u8).wrapping_add(i as u8)) };
                        }
                        live.push((p as usize, l, tag));
                        while let Ok(o) = rx.try_recv() {
                            live.push(o);
                        }
                        if live.len() >= 64 {
                            let o = live.swap_remove((rnd() % live.len() as u64) as usize);
                            check(&o);
                            if rnd() % 3 == 0 {
                                let _ = next.send(o); // another thread frees it
                            } else {
                                // SAFETY: owned here, freed once.
                                unsafe { dealloc(o.0 as *mut u8, o.1) };
                            }
                        }
                    }
                    for o in live.drain(..) {
                        check(&o);
                        // SAFETY: as above.
                        unsafe { dealloc(o.0 as *mut u8, o.1) };
                    }
                    // What reaches this thread after its loop is freed below.
                    rx
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    drop(txs);
    for rx in left {
        for o in rx.try_iter() {
            check(&o);
            // SAFETY: as above.
            unsafe { dealloc(o.0 as *mut u8, o.1) };
        }
    }
}
