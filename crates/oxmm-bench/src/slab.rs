//! Slab-allocator benchmarks against the system allocator, interleaved by the
//! [`harness`](crate::harness): a cache alloc+free pair (the fast path), kmalloc+kfree
//! pairs for 8 … 4096 bytes, a producer/consumer pair of threads (every free remote),
//! and through `GlobalAlloc` ([`OxmmAlloc`]) a larson-like and a random-size workload.
//! `crates/oxmm-host/examples/slab_bench.rs` has the multi-threaded `GlobalAlloc`
//! workloads too.
//!
//! ```no_run
//! let r = oxmm_bench::slab::run(true).unwrap();
//! assert!(r.iter().any(|m| m.bench == "cache_pair_64" && m.imp == "oxmm"));
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oxmm::gfp::Gfp;
use oxmm::slab::{SlabCaches, SlabFlags};
use oxmm_host::global_alloc::OxmmAlloc;

use crate::harness::{Config, Group, Measurement};

static OXMM: OxmmAlloc = OxmmAlloc::new();

/// The kmalloc sizes measured (`quick`: four of them).
///
/// ```
/// assert_eq!(oxmm_bench::slab::kmalloc_sizes(true), &[8, 64, 512, 4096]);
/// assert_eq!(oxmm_bench::slab::kmalloc_sizes(false).len(), 12);
/// ```
pub fn kmalloc_sizes(quick: bool) -> &'static [u64] {
    if quick {
        &[8, 64, 512, 4096]
    } else {
        &[8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096]
    }
}

/// Run the slab benchmarks (`quick`: fewer, shorter samples and fewer sizes).
pub fn run(quick: bool) -> anyhow::Result<Vec<Measurement>> {
    let cfg = if quick { Config::QUICK } else { Config::FULL };
    let hm = crate::pages::boot(true)?;
    let mm = hm.mm();
    let sc = SlabCaches::init(mm, Default::default())
        .map_err(|e| anyhow::anyhow!("creating the slab caches: {e}"))?;
    let id = sc
        .kmem_cache_create(mm, "bench64", 64, 0, SlabFlags::NO_MERGE, None)
        .map_err(|e| anyhow::anyhow!("kmem_cache_create: {e}"))?;
    let mut out = Vec::new();

    let l64 = Layout::from_size_align(64, 8)?;
    let mut g = Group::new("cache_pair_64");
    g.case("oxmm", 1, |n| {
        let t = Instant::now();
        for _ in 0..n {
            if let Ok(p) = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL) {
                let _ = sc.kmem_cache_free(mm, id, black_box(p.as_ptr()));
            }
        }
        t.elapsed()
    });
    g.case("system", 1, move |n| {
        let t = Instant::now();
        for _ in 0..n {
            // SAFETY: a non-zero layout, freed at once with it.
            unsafe { System.dealloc(black_box(System.alloc(l64)), l64) };
        }
        t.elapsed()
    });
    out.extend(g.run(&cfg));

    for &size in kmalloc_sizes(quick) {
        let l = Layout::from_size_align(size as usize, 8)?;
        let mut g = Group::new(&format!("kmalloc_pair_{size}"));
        g.case("oxmm", 1, |n| {
            let t = Instant::now();
            for _ in 0..n {
                if let Ok(p) = sc.kmalloc(mm, size, Gfp::KERNEL) {
                    let _ = sc.kfree(mm, black_box(p.as_ptr()));
                }
            }
            t.elapsed()
        });
        g.case("system", 1, move |n| {
            let t = Instant::now();
            for _ in 0..n {
                // SAFETY: a non-zero layout, freed at once with it.
                unsafe { System.dealloc(black_box(System.alloc(l)), l) };
            }
            t.elapsed()
        });
        out.extend(g.run(&cfg));
    }

    let mut g = Group::new("producer_consumer_64");
    g.case("oxmm", 2, |n| {
        producer_consumer(
            n,
            &|| {
                sc.kmem_cache_alloc(mm, id, Gfp::KERNEL)
                    .map_or(0, |p| p.as_ptr() as usize)
            },
            &|p| {
                if p != 0 {
                    let _ = sc.kmem_cache_free(mm, id, p as *mut u8);
                }
            },
        )
    });
    g.case("system", 2, move |n| {
        producer_consumer(
            n,
            // SAFETY: a non-zero layout.
            &|| unsafe { System.alloc(l64) } as usize,
            // SAFETY: allocated above with `l64`.
            &|p| unsafe { System.dealloc(p as *mut u8, l64) },
        )
    });
    out.extend(g.run(&cfg));

    for (name, max) in [("larson", 512usize), ("random_sizes", 4096)] {
        let mut g = Group::new(name);
        let mut a = Churn::new(max, 0x9e37_79b9);
        let mut b = Churn::new(max, 0x9e37_79b9);
        g.case("oxmm", 1, move |n| a.run(&OXMM, n));
        g.case("system", 1, move |n| b.run(&System, n));
        out.extend(g.run(&cfg));
    }
    Ok(out)
}

/// One thread allocating `n` objects and another freeing them, through a ring.
fn producer_consumer(
    n: u64,
    alloc: &(dyn Fn() -> usize + Sync),
    free: &(dyn Fn(usize) + Sync),
) -> Duration {
    let ring: Vec<AtomicUsize> = (0..256).map(|_| AtomicUsize::new(0)).collect();
    let (head, tail) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let t = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..n {
                let h = head.load(Ordering::Relaxed);
                while tail.load(Ordering::Acquire) == h {
                    std::hint::spin_loop();
                }
                free(ring[h % ring.len()].load(Ordering::Relaxed));
                head.store(h + 1, Ordering::Release);
            }
        });
        for _ in 0..n {
            let p = alloc();
            let t = tail.load(Ordering::Relaxed);
            while t - head.load(Ordering::Acquire) == ring.len() {
                std::hint::spin_loop();
            }
            ring[t % ring.len()].store(p, Ordering::Relaxed);
            tail.store(t + 1, Ordering::Release);
        }
    });
    t.elapsed()
}

/// A window of 256 live objects of random sizes `8..=max`; each operation frees a random
/// one and allocates its replacement (larson's inner loop, without its threads).
struct Churn {
    live: Vec<(usize, Layout)>,
    rng: u64,
    max: usize,
}

impl Churn {
    fn new(max: usize, seed: u64) -> Churn {
        Churn {
            live: Vec::with_capacity(256),
            rng: seed,
            max,
        }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn run<A: GlobalAlloc>(&mut self, a: &A, n: u64) -> Duration {
        let t = Instant::now();
        for _ in 0..n {
            let size = 8 + (self.next() as usize) % (self.max - 7);
            let l = Layout::from_size_align(size, 8).unwrap_or(Layout::new::<u64>());
            // SAFETY: a non-zero layout.
            let p = unsafe { a.alloc(l) } as usize;
            if p == 0 {
                continue;
            }
            if self.live.len() < 256 {
                self.live.push((p, l));
            } else {
                let i = (self.next() % 256) as usize;
                let (q, ql) = std::mem::replace(&mut self.live[i], (p, l));
                // SAFETY: allocated by `a` with `ql`.
                unsafe { a.dealloc(q as *mut u8, ql) };
            }
        }
        t.elapsed()
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        // The objects of the oxmm case are freed by OxmmAlloc, the others by System:
        // each Churn is only ever run with one allocator, and `owns` tells them apart.
        for &(q, ql) in &self.live {
            // SAFETY: allocated with `ql` by the allocator that owns the address.
            unsafe {
                if OxmmAlloc::owns(q as *const u8) {
                    OXMM.dealloc(q as *mut u8, ql)
                } else {
                    System.dealloc(q as *mut u8, ql)
                }
            }
        }
    }
}
