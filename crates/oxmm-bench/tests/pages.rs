//! The page benchmarks' implementations do what they are timed doing: every order is
//! served, blocks are aligned to their size and distinct while held, and frees give
//! everything back.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oxmm_bench::harness::{table, Config, Group};
use oxmm_bench::pages::{
    boot, pairs, random_orders, threaded_pairs, threaded_pairs_on, Bitmap, Buddy, Frames,
    FreeListPeer, Locked, Oxmm, SharedFrames,
};

/// Hold 8 blocks of every order 0..=10, check them, free them all.
fn exercise<F: Frames>(name: &str, a: &mut F) {
    let mut held = Vec::new();
    let mut seen = HashSet::new();
    for order in 0..=10u32 {
        for _ in 0..8 {
            let f = a
                .alloc(order)
                .unwrap_or_else(|| panic!("{name}: order {order} failed"));
            assert_eq!(f % (1 << order), 0, "{name}: order-{order} block at {f}");
            for p in f..f + (1 << order) {
                assert!(seen.insert(p), "{name}: frame {p} handed out twice");
            }
            held.push((f, order));
        }
    }
    for (f, o) in held {
        assert!(a.free(f, o), "{name}: free of {f} order {o} refused");
    }
    // Everything is back: the same again works.
    let mut fails = 0;
    pairs(a, &random_orders(500), 500, &mut fails);
    assert_eq!(fails, 0, "{name}");
}

#[test]
fn every_implementation_serves_every_order_and_takes_it_back() {
    let hm = boot(true).unwrap();
    let mm = hm.mm();
    let free = mm.nr_free_pages();
    exercise("oxmm", &mut Oxmm::new(mm));
    mm.drain_all_pages(None).unwrap();
    assert_eq!(mm.nr_free_pages(), free);
    exercise("buddy", &mut Buddy::new(free));
    exercise("bitmap", &mut Bitmap::new(free));
    exercise("free-list", &mut FreeListPeer::new(free));
}

#[test]
fn threads_and_the_zone_lock_path_leave_the_allocator_whole() {
    let hm = boot(false).unwrap();
    let mm = hm.mm();
    let free = mm.nr_free_pages();
    // Without per-CPU lists nothing is cached: the count is exact after every pair.
    let mut fails = 0;
    pairs(&mut Oxmm::new(mm), &[0, 3, 9], 300, &mut fails);
    assert_eq!((fails, mm.nr_free_pages()), (0, free));
    let hm = boot(true).unwrap();
    let fails = AtomicU64::new(0);
    threaded_pairs(&Oxmm::new(hm.mm()), 2, 10_000, &fails);
    threaded_pairs(&Locked::new(Buddy::new(64)), 2, 10_000, &fails);
    assert_eq!(fails.into_inner(), 0);
    hm.mm().drain_all_pages(None).unwrap();
    assert_eq!(hm.mm().nr_free_pages(), free);
}

#[test]
fn interleaved_results_and_their_table() {
    let mut a = Buddy::new(1024);
    let mut b = FreeListPeer::new(1024);
    let mut g = Group::new("order0-pair");
    g.case("oxmm", 1, move |n| {
        let mut f = 0;
        pairs(&mut a, &[0], n, &mut f)
    });
    g.case("peer", 1, move |n| {
        let mut f = 0;
        pairs(&mut b, &[0], n, &mut f)
    });
    let cfg = Config {
        rounds: 5,
        ops_per_sample: 1000,
        warmup_samples: 1,
    };
    let r = g.run(&cfg);
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|m| m.samples == 5 && m.ns_per_op > 0.0));
    assert!(r
        .iter()
        .all(|m| m.min_ns <= m.ns_per_op && m.ns_per_op <= m.max_ns));
    let t = table(&r, "oxmm");
    assert_eq!(t.lines().count(), 3);
    assert!(t.lines().nth(1).unwrap().ends_with("1.00x"));
    for m in &r {
        let v: serde_json::Value = serde_json::from_str(&m.json()).unwrap();
        assert_eq!(v["bench"], "order0-pair");
        assert_eq!(v["threads"], 1);
        assert!(v["ns_per_op"].as_f64().unwrap() > 0.0);
        assert!(v["impl"] == "oxmm" || v["impl"] == "peer");
    }
}

/// Pairs that take 500 µs each on CPU 1 and nothing on CPU 0, counted per CPU.
struct SlowOnCpu1([AtomicU64; 2]);

impl SharedFrames for SlowOnCpu1 {
    fn alloc(&self, _order: u32) -> Option<u64> {
        let cpu = oxmm_host::platform::this_thread_cpu();
        self.0[cpu.min(1)].fetch_add(1, Ordering::Relaxed);
        if cpu == 1 {
            let t = Instant::now();
            while t.elapsed() < Duration::from_micros(500) {
                std::hint::spin_loop();
            }
        }
        Some(0)
    }
    fn free(&self, _frame: u64, _order: u32) -> bool {
        true
    }
}

#[test]
fn two_thread_samples_count_pairs_done_in_a_shared_window() {
    let fails = AtomicU64::new(0);
    let a = SlowOnCpu1([AtomicU64::new(0), AtomicU64::new(0)]);
    let t = threaded_pairs_on(&a, 0, 2, 2000, &fails);
    let (fast, slow) = (
        a.0[0].load(Ordering::Relaxed),
        a.0[1].load(Ordering::Relaxed),
    );
    // CPU 0 did its share; CPU 1 stopped when it did (within 64 pairs), long before
    // its own share: a fixed share each would have taken 1000 × 500 µs = 500 ms. (The
    // fast thread has that long to do its 1000 pairs however busy the test host.)
    assert_eq!(fast, 1000);
    assert!(slow < 1000, "the slow thread did {slow} pairs");
    // The time is the window scaled to 2000 pairs at the pairs done in it: about
    // 64 × 500 µs × 2000 / 1064 = 60 ms, against the 500 ms a fixed share takes.
    assert!(t < Duration::from_millis(400), "{t:?}");
    // One thread on CPU 1 runs as CPU 1: every pair slow.
    let t1 = threaded_pairs_on(&a, 1, 1, 20, &fails);
    assert!(t1 >= Duration::from_millis(10), "{t1:?}");
    assert_eq!(a.0[1].load(Ordering::Relaxed), slow + 20);
    assert_eq!(fails.into_inner(), 0);
}
