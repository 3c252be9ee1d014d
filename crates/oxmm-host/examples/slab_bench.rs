//! Slab allocator benchmarks against the system allocator.
//!
//! `cargo run --release -p oxmm-host --example slab_bench [-- --quick]` prints one JSON
//! line per measurement: `{"bench":…,"impl":…,"threads":…,"ns_per_op":…}`, the median
//! of several runs. Workloads: a cache alloc+free pair (fast path), kmalloc+kfree pairs
//! for 8 … 4096 bytes, a producer/consumer pair of threads (every free remote), and
//! through `GlobalAlloc` a larson-like (objects handed between threads), a
//! cache-scratch-like (per-thread small objects written hard) and a random-size
//! workload.

use oxmm::gfp::Gfp;
use oxmm::mm::{BootMode, Mm};
use oxmm::slab::{SlabCaches, SlabFlags};
use oxmm_host::global_alloc::{OxmmAlloc, HEAP_MACHINE};
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;
use oxmm_host::platform::HostPlatform;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

static OXMM: OxmmAlloc = OxmmAlloc::new();

/// `--only PREFIX`: run only the benchmarks whose name starts with it.
fn want(bench: &str) -> bool {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--only") {
        Some(i) => args
            .get(i + 1)
            .is_some_and(|p| bench.starts_with(p.as_str())),
        None => true,
    }
}

fn emit(bench: &str, imp: &str, threads: usize, ns: f64) {
    println!(
        "{{\"bench\":\"{bench}\",\"impl\":\"{imp}\",\"threads\":{threads},\"ns_per_op\":{ns:.2}}}"
    );
}

/// Median over `runs` of the nanoseconds per op of `f` (which does `ops` operations).
fn median(runs: usize, ops: u64, mut f: impl FnMut()) -> f64 {
    f(); // warm up
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64 / ops as f64
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A small xorshift generator (deterministic workloads).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One-producer one-consumer ring of addresses.
struct Ring {
    slots: Vec<UnsafeCell<usize>>,
    head: AtomicUsize,
    tail: AtomicUsize,
}
// SAFETY: slot `i` is written by the producer only while `i` is outside the consumer's
// window (head..tail), and read by the consumer only inside it; the indices publish.
unsafe impl Sync for Ring {}
impl Ring {
    fn new(n: usize) -> Ring {
        Ring {
            slots: (0..n).map(|_| UnsafeCell::new(0)).collect(),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
        }
    }
    fn push(&self, v: usize) {
        let t = self.tail.load(Ordering::Relaxed);
        while t - self.head.load(Ordering::Acquire) == self.slots.len() {
            std::hint::spin_loop();
        }
        // SAFETY: the slot is outside the consumer's window (see `Sync`).
        unsafe { *self.slots[t % self.slots.len()].get() = v };
        self.tail.store(t + 1, Ordering::Release);
    }
    fn pop(&self) -> usize {
        let h = self.head.load(Ordering::Relaxed);
        while self.tail.load(Ordering::Acquire) == h {
            std::hint::spin_loop();
        }
        // SAFETY: the slot is inside the consumer's window (see `Sync`).
        let v = unsafe { *self.slots[h % self.slots.len()].get() };
        self.head.store(h + 1, Ordering::Release);
        v
    }
}

fn producer_consumer(n: u64, alloc: &(dyn Fn() -> usize + Sync), free: &(dyn Fn(usize) + Sync)) {
    let ring = Ring::new(1024);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..n {
                free(ring.pop());
            }
        });
        for _ in 0..n {
            ring.push(alloc());
        }
    });
}

/// larson-like: each thread keeps `slots` objects, replacing a random one each step;
/// every 64 steps it swaps its whole array with the shared pool, so objects are freed
/// by other threads than their allocator.
fn larson<A: GlobalAlloc + Sync>(a: &A, threads: usize, steps: u64) {
    let pool = std::sync::Mutex::new(Vec::<(usize, Layout)>::new());
    std::thread::scope(|s| {
        for t in 0..threads {
            let pool = &pool;
            s.spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
                let mut mine: Vec<(usize, Layout)> = Vec::with_capacity(256);
                for step in 0..steps {
                    let l = Layout::from_size_align(8 + (rng.next() % 504) as usize, 8).unwrap();
                    // SAFETY: non-zero layout.
                    let p = unsafe { a.alloc(l) };
                    // SAFETY: `p` holds at least 8 bytes.
                    unsafe { (p as *mut u64).write(step) };
                    if mine.len() < 256 {
                        mine.push((p as usize, l));
                    } else {
                        let i = (rng.next() % 256) as usize;
                        let (q, ql) = std::mem::replace(&mut mine[i], (p as usize, l));
                        // SAFETY: allocated above with `ql`.
                        unsafe { a.dealloc(q as *mut u8, ql) };
                    }
                    if step % 64 == 63 {
                        let mut g = pool.lock().unwrap();
                        std::mem::swap(&mut *g, &mut mine);
                    }
                }
                for (q, ql) in mine {
                    // SAFETY: allocated with `ql`.
                    unsafe { a.dealloc(q as *mut u8, ql) };
                }
            });
        }
    });
    for (q, ql) in pool.into_inner().unwrap() {
        // SAFETY: allocated with `ql`.
        unsafe { a.dealloc(q as *mut u8, ql) };
    }
}

/// cache-scratch-like: each thread allocates small objects, writes each many times,
/// frees it (objects from a shared cache line would make this slow).
fn cache_scratch<A: GlobalAlloc + Sync>(a: &A, threads: usize, iters: u64) {
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(move || {
                let l = Layout::from_size_align(8, 8).unwrap();
                for i in 0..iters {
                    // SAFETY: non-zero layout; `p` holds 8 bytes until freed.
                    unsafe {
                        let p = a.alloc(l) as *mut u64;
                        for k in 0..50 {
                            p.write_volatile(i + k);
                        }
                        a.dealloc(p as *mut u8, l);
                    }
                }
            });
        }
    });
}

/// Random sizes 8 … 4096 with a window of 1024 live objects per thread.
fn random_sizes<A: GlobalAlloc + Sync>(a: &A, threads: usize, steps: u64) {
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let mut rng = Rng(0x1234_5678 + t as u64);
                let mut live: Vec<(usize, Layout)> = Vec::with_capacity(1024);
                for _ in 0..steps {
                    let l = Layout::from_size_align(8 + (rng.next() % 4089) as usize, 8).unwrap();
                    // SAFETY: non-zero layout.
                    let p = unsafe { a.alloc(l) } as usize;
                    if live.len() < 1024 {
                        live.push((p, l));
                    } else {
                        let i = (rng.next() % 1024) as usize;
                        let (q, ql) = std::mem::replace(&mut live[i], (p, l));
                        // SAFETY: allocated with `ql`.
                        unsafe { a.dealloc(q as *mut u8, ql) };
                    }
                }
                for (q, ql) in live {
                    // SAFETY: allocated with `ql`.
                    unsafe { a.dealloc(q as *mut u8, ql) };
                }
            });
        }
    });
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (runs, scale) = if quick { (3, 1u64) } else { (7, 5u64) };
    let m = Machine::from_toml_str(HEAP_MACHINE, "bench").expect("heap machine description");
    let hm = HostedMachine::boot(&m, BootMode::Full).expect("hosted boot");
    let mm: &Mm<HostPlatform> = hm.mm();
    let sc = SlabCaches::init(mm, Default::default()).expect("slab caches");
    let id = sc
        .kmem_cache_create(mm, "bench64", 64, 0, SlabFlags::NO_MERGE, None)
        .unwrap();

    let l64 = Layout::from_size_align(64, 8).unwrap();
    // Cache fast path: alloc+free pair.
    let n = 1_000_000 * scale;
    if want("cache_pair") {
        let ns = median(runs, n, || {
            for _ in 0..n {
                let p = sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap();
                sc.kmem_cache_free(mm, id, black_box(p.as_ptr())).unwrap();
            }
        });
        emit("cache_pair_64", "oxmm", 1, ns);
        let ns = median(runs, n, || {
            for _ in 0..n {
                // SAFETY: non-zero layout, freed at once.
                unsafe { System.dealloc(black_box(System.alloc(l64)), l64) };
            }
        });
        emit("cache_pair_64", "system", 1, ns);
    }

    // kmalloc+kfree for each class size.
    for size in [8u64, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096] {
        if !want(&format!("kmalloc_pair_{size}")) {
            continue;
        }
        let n = 500_000 * scale;
        let ns = median(runs, n, || {
            for _ in 0..n {
                let p = sc.kmalloc(mm, size, Gfp::KERNEL).unwrap();
                sc.kfree(mm, black_box(p.as_ptr())).unwrap();
            }
        });
        emit(&format!("kmalloc_pair_{size}"), "oxmm", 1, ns);
        let l = Layout::from_size_align(size as usize, 8).unwrap();
        let ns = median(runs, n, || {
            for _ in 0..n {
                // SAFETY: non-zero layout, freed at once.
                unsafe { System.dealloc(black_box(System.alloc(l)), l) };
            }
        });
        emit(&format!("kmalloc_pair_{size}"), "system", 1, ns);
    }

    // Producer/consumer: every free is remote.
    let n = 200_000 * scale;
    if want("producer_consumer") {
        let ns = median(runs, n, || {
            producer_consumer(
                n,
                &|| sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap().as_ptr() as usize,
                &|p| sc.kmem_cache_free(mm, id, p as *mut u8).unwrap(),
            )
        });
        emit("producer_consumer_64", "oxmm", 2, ns);
        let ns = median(runs, n, || {
            producer_consumer(
                n,
                // SAFETY: non-zero layout.
                &|| unsafe { System.alloc(l64) } as usize,
                // SAFETY: allocated above with `l64`.
                &|p| unsafe { System.dealloc(p as *mut u8, l64) },
            )
        });
        emit("producer_consumer_64", "system", 2, ns);
    }

    // GlobalAlloc workloads (OxmmAlloc called directly; it boots its own heap).
    for threads in [1usize, 4] {
        if !(want("larson") || want("cache_scratch") || want("random_sizes")) {
            break;
        }
        let steps = 100_000 * scale / threads as u64;
        let ops = steps * threads as u64;
        emit(
            "larson",
            "oxmm",
            threads,
            median(runs, ops, || larson(&OXMM, threads, steps)),
        );
        emit(
            "larson",
            "system",
            threads,
            median(runs, ops, || larson(&System, threads, steps)),
        );
        emit(
            "cache_scratch",
            "oxmm",
            threads,
            median(runs, ops, || cache_scratch(&OXMM, threads, steps)),
        );
        emit(
            "cache_scratch",
            "system",
            threads,
            median(runs, ops, || cache_scratch(&System, threads, steps)),
        );
        emit(
            "random_sizes",
            "oxmm",
            threads,
            median(runs, ops, || random_sizes(&OXMM, threads, steps)),
        );
        emit(
            "random_sizes",
            "system",
            threads,
            median(runs, ops, || random_sizes(&System, threads, steps)),
        );
    }
}
