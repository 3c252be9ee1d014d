//! Slab-allocator benchmarks against the allocators of [`peers`] (the
//! system allocator, `mimalloc`, `jemalloc`, `talc`, `linked_list_allocator`,
//! `buddy_system_allocator`, `slabmalloc`), interleaved by the
//! [`harness`](crate::harness): a cache alloc+free pair (the fast path; the peers
//! allocate the same 64-byte layout), kmalloc+kfree pairs for 8 … 4096 bytes, a
//! producer/consumer pair of threads (every free remote), and through `GlobalAlloc`
//! ([`OxmmAlloc`]) a larson-like churn, a cache-scratch-like workload (two threads each
//! freeing an object the other thread's neighbour was cut from, then allocating, writing
//! and freeing small objects) and random sizes 8–4096.
//!
//! ```no_run
//! let r = oxmm_bench::slab::run(true, None).unwrap();
//! assert!(r.iter().any(|m| m.bench == "cache_pair_64" && m.imp == "oxmm"));
//! ```

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use oxmm::gfp::Gfp;
use oxmm::slab::{CacheId, SlabCaches, SlabFlags};
use oxmm_host::global_alloc::OxmmAlloc;
use oxmm_host::hosted::HostedMachine;
use oxmm_host::platform::bind_this_thread;

use crate::harness::{Config, Group, Measurement};
use crate::peers;

static OXMM: OxmmAlloc = OxmmAlloc::new();
/// The same heap without per-thread sheaves: SLUB's own paths on every request.
static OXMM_NO_SHEAVES: OxmmAlloc = OxmmAlloc::without_sheaves();

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

/// The benchmarks' names, in the order they run (`quick`: fewer kmalloc sizes).
///
/// ```
/// let n = oxmm_bench::slab::names(true);
/// assert_eq!(n[0], "cache_pair_64");
/// assert_eq!(n[2], "kmalloc_pair_64");
/// assert_eq!(n.len(), 9);
/// ```
pub fn names(quick: bool) -> Vec<String> {
    let mut v = vec!["cache_pair_64".to_string()];
    v.extend(
        kmalloc_sizes(quick)
            .iter()
            .map(|s| format!("kmalloc_pair_{s}")),
    );
    v.extend(
        [
            "producer_consumer_64",
            "larson",
            "cache_scratch",
            "random_sizes",
        ]
        .map(String::from),
    );
    v
}

/// Whether benchmark `bench` is selected by the comma-separated prefixes `only`.
///
/// ```
/// use oxmm_bench::slab::selected;
/// assert!(selected("kmalloc_pair_64", Some("kmalloc_pair")));
/// assert!(selected("larson", None));
/// assert!(!selected("larson", Some("cache_pair_64,random")));
/// ```
pub fn selected(bench: &str, only: Option<&str>) -> bool {
    only.is_none_or(|o| {
        o.split(',')
            .any(|w| !w.trim().is_empty() && bench.starts_with(w.trim()))
    })
}

/// One case per peer for a `GlobalAlloc` workload `work(allocator, n)`.
fn peer_cases<'a>(
    g: &mut Group<'a>,
    threads: usize,
    work: impl FnMut(&'static (dyn GlobalAlloc + Sync), u64) -> Duration + Clone + 'a,
) {
    for &(name, a) in peers::all() {
        let mut w = work.clone();
        g.case(name, threads, move |n| w(a, n));
    }
}

/// `n` alloc+free pairs of `l` on `a`.
fn pairs(a: &(dyn GlobalAlloc + Sync), l: Layout, n: u64) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        // SAFETY: a non-zero layout, freed at once with it.
        unsafe {
            let p = a.alloc(l);
            if !p.is_null() {
                a.dealloc(black_box(p), l);
            }
        }
    }
    t.elapsed()
}

/// The oxmm side of the suite: the hosted bench-2g machine, its slab caches and a
/// 64-byte cache (`bench64`, unmerged).
///
/// ```no_run
/// let s = oxmm_bench::slab::Suite::new().unwrap();
/// assert_eq!(s.groups(true, Some("larson")).len(), 1);
/// ```
pub struct Suite {
    hm: HostedMachine,
    sc: SlabCaches,
    id: CacheId,
}

impl Suite {
    /// Boot the machine and create the caches; the calling thread runs as CPU 0.
    ///
    /// ```
    /// use oxmm_bench::harness::Config;
    /// let s = oxmm_bench::slab::Suite::new().unwrap();
    /// let mut g = s.groups(true, Some("cache_pair_64")).remove(0);
    /// let r = g.run(&Config { rounds: 1, ops_per_sample: 10, warmup_samples: 0 });
    /// assert_eq!((r[0].bench.as_str(), r[0].imp.as_str()), ("cache_pair_64", "oxmm"));
    /// ```
    pub fn new() -> anyhow::Result<Suite> {
        let hm = crate::pages::boot(true)?;
        bind_this_thread(0);
        let mm = hm.mm();
        let sc = SlabCaches::init(mm, Default::default())
            .map_err(|e| anyhow::anyhow!("creating the slab caches: {e}"))?;
        let id = sc
            .kmem_cache_create(mm, "bench64", 64, 0, SlabFlags::NO_MERGE, None)
            .map_err(|e| anyhow::anyhow!("kmem_cache_create: {e}"))?;
        Ok(Suite { hm, sc, id })
    }

    /// The benchmarks selected by `only` (see [`selected`]; `quick`: fewer kmalloc
    /// sizes), each a group of oxmm and every peer, in the order of [`names`].
    ///
    /// ```
    /// use oxmm_bench::{peers, slab};
    /// let s = slab::Suite::new().unwrap();
    /// assert_eq!(s.groups(true, None).len(), slab::names(true).len());
    /// let g = s.groups(true, Some("kmalloc_pair"));
    /// assert_eq!(g.len(), 4); // quick: 8, 64, 512 and 4096 bytes
    /// assert_eq!(g[1].name(), "kmalloc_pair_64");
    /// assert_eq!(g[1].len(), 1 + peers::all().len()); // oxmm and every peer
    /// ```
    pub fn groups(&self, quick: bool, only: Option<&str>) -> Vec<Group<'_>> {
        let (mm, sc, id) = (self.hm.mm(), &self.sc, self.id);
        let mut out = Vec::new();
        let l64 = Layout::new::<[u64; 8]>();
        if selected("cache_pair_64", only) {
            let mut g = Group::new("cache_pair_64");
            g.case("oxmm", 1, move |n| {
                let t = Instant::now();
                for _ in 0..n {
                    if let Ok(p) = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL) {
                        let _ = sc.kmem_cache_free(mm, id, black_box(p.as_ptr()));
                    }
                }
                t.elapsed()
            });
            peer_cases(&mut g, 1, move |a, n| pairs(a, l64, n));
            out.push(g);
        }
        for &size in kmalloc_sizes(quick) {
            let name = format!("kmalloc_pair_{size}");
            if !selected(&name, only) {
                continue;
            }
            let l = Layout::from_size_align(size as usize, 8).unwrap_or(l64);
            let mut g = Group::new(&name);
            g.case("oxmm", 1, move |n| {
                let t = Instant::now();
                for _ in 0..n {
                    if let Ok(p) = sc.kmalloc(mm, size, Gfp::KERNEL) {
                        let _ = sc.kfree(mm, black_box(p.as_ptr()));
                    }
                }
                t.elapsed()
            });
            peer_cases(&mut g, 1, move |a, n| pairs(a, l, n));
            out.push(g);
        }
        if selected("producer_consumer_64", only) {
            let mut g = Group::new("producer_consumer_64");
            g.case("oxmm", 2, move |n| {
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
            peer_cases(&mut g, 2, move |a, n| {
                producer_consumer(
                    n,
                    // SAFETY: a non-zero layout.
                    &|| unsafe { a.alloc(l64) } as usize,
                    &|p| {
                        if p != 0 {
                            // SAFETY: allocated above with `l64`.
                            unsafe { a.dealloc(p as *mut u8, l64) }
                        }
                    },
                )
            });
            out.push(g);
        }
        for (name, max) in [
            ("larson", 512usize),
            ("cache_scratch", 0),
            ("random_sizes", 4096),
        ] {
            if !selected(name, only) {
                continue;
            }
            let mut g = Group::new(name);
            if name == "cache_scratch" {
                g.case("oxmm", 2, |n| cache_scratch(&OXMM, n));
                g.case("oxmm-no-sheaves", 2, |n| cache_scratch(&OXMM_NO_SHEAVES, n));
                peer_cases(&mut g, 2, cache_scratch);
            } else {
                let mut c = Churn::new(&OXMM, max, 0x9e37_79b9);
                g.case("oxmm", 1, move |n| c.run(n));
                let mut c = Churn::new(&OXMM_NO_SHEAVES, max, 0x9e37_79b9);
                g.case("oxmm-no-sheaves", 1, move |n| c.run(n));
                for &(imp, a) in peers::all() {
                    let mut c = Churn::new(a, max, 0x9e37_79b9);
                    g.case(imp, 1, move |n| c.run(n));
                }
            }
            out.push(g);
        }
        out
    }
}

/// Run the slab benchmarks whose names start with one of the comma-separated prefixes
/// `only` (all with `None`; `quick`: fewer, shorter samples and fewer sizes).
///
/// ```
/// let r = oxmm_bench::slab::run(true, Some("kmalloc_pair_64")).unwrap();
/// assert_eq!(r.len(), 1 + oxmm_bench::peers::all().len());
/// assert!(r.iter().all(|m| m.bench == "kmalloc_pair_64" && m.samples == 51));
/// assert_eq!(r[0].imp, "oxmm");
/// assert!(oxmm_bench::slab::run(true, Some("no_such_bench")).is_err());
/// ```
pub fn run(quick: bool, only: Option<&str>) -> anyhow::Result<Vec<Measurement>> {
    let all = names(quick);
    if !all.iter().any(|b| selected(b, only)) {
        bail!(
            "no slab benchmark matches {:?}; they are {all:?}",
            only.unwrap_or("")
        );
    }
    let cfg = if quick { Config::QUICK } else { Config::FULL };
    let suite = Suite::new()?;
    let mut out = Vec::new();
    for mut g in suite.groups(quick, only) {
        out.extend(g.run(&cfg));
    }
    Ok(out)
}

/// Cache-scratch (Hoard's benchmark, scaled down): the calling thread allocates one
/// 8-byte object per worker, neighbours in memory; each of two workers frees the one it
/// was given, then `n / 2` times allocates an 8-byte object, writes it 16 times and
/// frees it. An allocator that hands a worker memory in a cache line the other writes
/// (passive false sharing) is slowed down.
fn cache_scratch(a: &'static (dyn GlobalAlloc + Sync), n: u64) -> Duration {
    let l = Layout::new::<u64>();
    // SAFETY: a non-zero layout; each object is freed once, by its worker.
    let given: [usize; 2] = std::array::from_fn(|_| unsafe { a.alloc(l) } as usize);
    let t = Instant::now();
    std::thread::scope(|s| {
        for (i, &p) in given.iter().enumerate() {
            s.spawn(move || {
                bind_this_thread(i + 1);
                if p != 0 {
                    // SAFETY: allocated above with `l`, freed only here.
                    unsafe { a.dealloc(p as *mut u8, l) };
                }
                for k in 0..n / 2 {
                    // SAFETY: a non-zero layout; written within it and freed with it.
                    unsafe {
                        let q = a.alloc(l) as *mut u64;
                        if q.is_null() {
                            continue;
                        }
                        for j in 0..16 {
                            q.write_volatile(k + j);
                        }
                        a.dealloc(q as *mut u8, l);
                    }
                }
            });
        }
    });
    t.elapsed()
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
            bind_this_thread(1);
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
    a: &'static (dyn GlobalAlloc + Sync),
    live: Vec<(usize, Layout)>,
    rng: u64,
    max: usize,
}

impl Churn {
    fn new(a: &'static (dyn GlobalAlloc + Sync), max: usize, seed: u64) -> Churn {
        Churn {
            a,
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

    fn run(&mut self, n: u64) -> Duration {
        let a = self.a;
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
        for &(q, ql) in &self.live {
            // SAFETY: allocated by `self.a` with `ql`.
            unsafe { self.a.dealloc(q as *mut u8, ql) };
        }
    }
}
