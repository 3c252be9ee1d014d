//! A tight loop of order-0 alloc+free pairs, 64-byte cache pairs and kmalloc-64
//! pairs, for profiling
//! (`perf record cargo run --release -p oxmm-bench --example pair_loop -- owned`).
//! Arguments: `owned`/`shared`, then `pages`, `slab`, `kmalloc`, `churn` (kmalloc and
//! kfree of random sizes, as larson), `larson` (the same loop freeing through the
//! size's cache, then the SLUB counters: build with `--features slub_stats`),
//! `bench` (the `order0-pair` bench's own loop, `pages::pairs`), `global` (larson's
//! loop through `OxmmAlloc`, the GlobalAlloc, sizes up to `PAIR_LOOP_MAX`, 512 by
//! default), `split` (the order-0 pair's allocation and free timed apart, 16 of each
//! in a row), `threads` (order-0 pairs on two threads at once, each its own CPU, each
//! thread's own time: long runs, unlike the bench's `order0-threads` samples) or
//! `both` (pages and slab, the default); then, optionally, the number of pairs.
//! `PAIR_LOOP_ORDER=9` makes the page pairs order 9.
use std::hint::black_box;
use std::time::Instant;

use oxmm::gfp::Gfp;
use oxmm::slab::{SlabCaches, SlabFlags};

fn main() {
    let owned = std::env::args().nth(1).as_deref() != Some("shared");
    let what = std::env::args().nth(2).unwrap_or_else(|| "both".into());
    let hm = oxmm_bench::pages::boot_with(true, owned).expect("boot");
    let mm = hm.mm();
    // An optional third argument: the number of pairs (instruction counts per pair
    // from two runs' difference), or PAIR_LOOP_N in the environment.
    let n = std::env::args()
        .nth(3)
        .or_else(|| std::env::var("PAIR_LOOP_N").ok())
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000_000u64);
    if what == "pages" || what == "both" {
        // PAIR_LOOP_ORDER: the order of the pairs (0 by default; 9 is the THP list's).
        let order: u32 = std::env::var("PAIR_LOOP_ORDER")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let t = Instant::now();
        for _ in 0..n {
            let p = mm.alloc_pages(Gfp::KERNEL, order).expect("alloc");
            mm.free_pages(black_box(p), order).expect("free");
        }
        println!(
            "order-{order} pair ({}): {:.1} ns",
            if owned { "owned" } else { "shared" },
            t.elapsed().as_nanos() as f64 / n as f64
        );
    }
    if what == "bench" {
        // The bench's own loop (`pages::pairs` over `pages::Oxmm`, the order read
        // from a slice), so its code is the `order0-pair` sample's.
        let order: u32 = std::env::var("PAIR_LOOP_ORDER")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut fails = 0;
        let d = oxmm_bench::pages::pairs(
            &mut oxmm_bench::pages::Oxmm::new(mm),
            &[order],
            n,
            &mut fails,
        );
        assert_eq!(fails, 0);
        println!(
            "bench order-{order} pair: {:.1} ns",
            d.as_nanos() as f64 / n as f64
        );
        return;
    }
    if what == "global" {
        use std::alloc::{GlobalAlloc, Layout};
        let a = oxmm_host::global_alloc::OxmmAlloc::new();
        let max: usize = std::env::var("PAIR_LOOP_MAX")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(512);
        let mut live: Vec<(*mut u8, Layout)> = Vec::with_capacity(256);
        let mut next = xorshift(0x9e37_79b9);
        let t = Instant::now();
        for _ in 0..n / 4 {
            let size = 8 + (next() as usize) % (max - 7);
            let l = Layout::from_size_align(size, 8).expect("layout");
            // SAFETY: a non-zero layout; each block freed once with its layout.
            let p = unsafe { a.alloc(l) };
            assert!(!p.is_null());
            if live.len() < 256 {
                live.push((p, l));
            } else {
                let i = (next() % 256) as usize;
                let (q, ql) = std::mem::replace(&mut live[i], (p, l));
                // SAFETY: as above.
                unsafe { a.dealloc(black_box(q), ql) };
            }
        }
        println!(
            "GlobalAlloc churn 8-{max}: {:.1} ns",
            t.elapsed().as_nanos() as f64 / (n / 4) as f64
        );
        return;
    }
    if what == "churn" {
        // larson's loop: 256 live objects of random sizes 8..=512, each step frees a
        // random one and allocates its replacement.
        let sc = SlabCaches::init(mm, Default::default()).expect("slab");
        let mut live = Vec::with_capacity(256);
        let mut next = xorshift(0x9e37_79b9);
        let t = Instant::now();
        for _ in 0..n / 4 {
            let size = 8 + next() % 505;
            let p = sc.kmalloc(mm, size, Gfp::KERNEL).expect("kmalloc");
            if live.len() < 256 {
                live.push(p);
            } else {
                let i = (next() % 256) as usize;
                let q = std::mem::replace(&mut live[i], p);
                sc.kfree(mm, black_box(q.as_ptr())).expect("kfree");
            }
        }
        println!(
            "churn 8-512 ({}): {:.1} ns",
            if owned { "owned" } else { "shared" },
            t.elapsed().as_nanos() as f64 / (n / 4) as f64
        );
        return;
    }
    if what == "kmalloc" {
        let sc = SlabCaches::init(mm, Default::default()).expect("slab");
        let t = Instant::now();
        for _ in 0..n {
            let p = sc.kmalloc(mm, 64, Gfp::KERNEL).expect("kmalloc");
            sc.kfree(mm, black_box(p.as_ptr())).expect("kfree");
        }
        println!(
            "kmalloc-64 pair ({}): {:.1} ns",
            if owned { "owned" } else { "shared" },
            t.elapsed().as_nanos() as f64 / n as f64
        );
        return;
    }
    if what == "larson" {
        larson(mm);
        return;
    }
    if what == "threads" {
        threads(mm, n);
        return;
    }
    if what == "split" {
        split(mm, n);
        return;
    }
    if what != "pages" {
        let sc = SlabCaches::init(mm, Default::default()).expect("slab");
        let id = sc
            .kmem_cache_create(mm, "loop64", 64, 0, SlabFlags::NO_MERGE, None)
            .expect("cache");
        let t = Instant::now();
        for _ in 0..n {
            let p = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).expect("alloc");
            sc.kmem_cache_free(mm, id, black_box(p.as_ptr()))
                .expect("free");
        }
        println!(
            "cache pair ({}): {:.1} ns",
            if owned { "owned" } else { "shared" },
            t.elapsed().as_nanos() as f64 / n as f64
        );
    }
}

/// larson's inner loop on kmalloc/kfree (256 live objects, sizes 8–512), then the SLUB
/// counters of the caches it used: how often each path ran.
fn larson(mm: &oxmm::mm::Mm<oxmm_host::platform::HostPlatform>) {
    use oxmm::slab::stat::StatItem;
    let sc = SlabCaches::init(mm, Default::default()).expect("slab");
    let mut live: Vec<(*mut u8, u64)> = Vec::with_capacity(256);
    let mut rng = 0x1234_5678_9abc_def1u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let n = 5_000_000u64;
    let t = Instant::now();
    for _ in 0..n {
        let size = 8 + next() % 505;
        let p = sc.kmalloc(mm, size, Gfp::KERNEL).expect("kmalloc").as_ptr();
        if live.len() < 256 {
            live.push((p, size));
        } else {
            let i = (next() % 256) as usize;
            let (q, qs) = std::mem::replace(&mut live[i], (p, size));
            let id = sc.kmalloc_slab(qs, Gfp::KERNEL).expect("class");
            sc.kmem_cache_free(mm, id, black_box(q)).expect("free");
        }
    }
    println!(
        "larson on kmalloc: {:.1} ns per op",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    for size in [8u64, 16, 32, 64, 96, 128, 192, 256, 512] {
        let id = sc.kmalloc_slab(size, Gfp::KERNEL).expect("class");
        let st = sc.cache(id).expect("cache").stats();
        let g = |i: StatItem| st.0[i as usize];
        println!(
            "kmalloc-{size}: alloc fast {} slow {}, free fast {} slow {}, cmpxchg fails {}",
            g(StatItem::AllocFastpath),
            g(StatItem::AllocSlowpath),
            g(StatItem::FreeFastpath),
            g(StatItem::FreeSlowpath),
            g(StatItem::CmpxchgDoubleFail),
        );
    }
}

/// The two halves of the order-0 pair timed apart: 16 allocations, then their 16
/// frees, each run timed and the medians of 100-run groups printed per operation
/// (16 in a row keeps the clock reads' cost out, and the list stays within `high`).
fn split(mm: &oxmm::mm::Mm<oxmm_host::platform::HostPlatform>, n: u64) {
    const K: usize = 16;
    let mut live = [oxmm::types::Pfn(0); K];
    let groups = (n / (100 * K as u64)).max(1);
    let (mut allocs, mut frees) = (Vec::new(), Vec::new());
    for _ in 0..groups {
        let (mut a, mut f) = (0u128, 0u128);
        for _ in 0..100 {
            let t0 = Instant::now();
            for p in live.iter_mut() {
                *p = mm.alloc_pages(Gfp::KERNEL, 0).expect("alloc");
            }
            let t1 = Instant::now();
            for &p in live.iter() {
                mm.free_pages(black_box(p), 0).expect("free");
            }
            let t2 = Instant::now();
            a += (t1 - t0).as_nanos();
            f += (t2 - t1).as_nanos();
        }
        allocs.push(a as f64 / (100 * K) as f64);
        frees.push(f as f64 / (100 * K) as f64);
    }
    allocs.sort_by(f64::total_cmp);
    frees.sort_by(f64::total_cmp);
    println!(
        "order-0 split, {K} in a row: alloc {:.1} ns (min {:.1}), free {:.1} ns (min {:.1})",
        allocs[allocs.len() / 2],
        allocs[0],
        frees[frees.len() / 2],
        frees[0]
    );
}

/// A xorshift64 generator: the workloads' sizes and victims.
fn xorshift(mut rng: u64) -> impl FnMut() -> u64 {
    move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    }
}

/// Order-0 pairs on two threads together, each owning its own CPU, `n` pairs each;
/// prints each thread's time per pair (with perfect scaling, the one-thread figure).
fn threads(mm: &oxmm::mm::Mm<oxmm_host::platform::HostPlatform>, n: u64) {
    // The workers own the CPUs, not this thread.
    mm.platform().release_this_thread();
    std::thread::scope(|s| {
        for cpu in 0..2 {
            s.spawn(move || {
                oxmm_host::platform::bind_this_thread(cpu);
                let mut set = rustix::process::CpuSet::new();
                set.set(cpu);
                let _ = rustix::process::sched_setaffinity(None, &set);
                let t = Instant::now();
                for _ in 0..n {
                    let p = mm.alloc_pages(Gfp::KERNEL, 0).expect("alloc");
                    mm.free_pages(black_box(p), 0).expect("free");
                }
                println!(
                    "thread {cpu}: order-0 pair {:.1} ns",
                    t.elapsed().as_nanos() as f64 / n as f64
                );
            });
        }
    });
}
