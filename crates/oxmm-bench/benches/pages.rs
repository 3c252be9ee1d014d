//! The page benchmarks of `oxmm-bench pages` under criterion: oxmm on the hosted
//! bench-2g machine against `buddy_system_allocator`, `bitmap-allocator` and
//! `free-list`. Run with `cargo bench -p oxmm-bench --bench pages`.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use oxmm_bench::pages::{
    boot, pairs, random_orders, threaded_pairs, Bitmap, Buddy, Frames, FreeListPeer, Locked, Oxmm,
};
use oxmm_host::platform::bind_this_thread;

fn bench_pairs<F: Frames>(c: &mut Criterion, group: &str, imp: &str, a: &mut F, orders: &[u32]) {
    let mut g = c.benchmark_group(group);
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    g.bench_function(imp, |b| {
        b.iter_custom(|n| {
            let mut fails = 0;
            let t = pairs(a, orders, n, &mut fails);
            assert_eq!(fails, 0, "{group}/{imp}: allocations failed");
            t
        })
    });
    g.finish();
}

fn single(c: &mut Criterion) {
    let hm = boot(true).expect("boot bench-2g");
    let nopcp = boot(false).expect("boot bench-2g without per-CPU lists");
    let frames = hm.mm().nr_free_pages();
    bind_this_thread(0);
    let random = random_orders(4096);
    for (group, orders) in [
        ("order0-pair", &[0u32][..]),
        ("random-order-pair", &random[..]),
        ("order9-pair", &[9u32][..]),
    ] {
        bench_pairs(c, group, "oxmm", &mut Oxmm::new(hm.mm()), orders);
        bench_pairs(
            c,
            group,
            "buddy_system_allocator",
            &mut Buddy::new(frames),
            orders,
        );
        bench_pairs(
            c,
            group,
            "bitmap-allocator",
            &mut Bitmap::new(frames),
            orders,
        );
        bench_pairs(
            c,
            group,
            "free-list",
            &mut FreeListPeer::new(frames),
            orders,
        );
    }
    bench_pairs(
        c,
        "order0-pair-zonelock",
        "oxmm",
        &mut Oxmm::new(nopcp.mm()),
        &[0],
    );
}

fn threads(c: &mut Criterion) {
    let hm = boot(true).expect("boot bench-2g");
    let frames = hm.mm().nr_free_pages();
    // The worker threads own the CPUs, not this one.
    hm.mm().platform().release_this_thread();
    let fails = AtomicU64::new(0);
    let oxmm = Oxmm::new(hm.mm());
    let buddy = Locked::new(Buddy::new(frames));
    let mut g = c.benchmark_group("order0-threads");
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3));
    for t in [1usize, 2] {
        g.bench_with_input(BenchmarkId::new("oxmm", t), &t, |b, &t| {
            b.iter_custom(|n| threaded_pairs(&oxmm, t, n.max(t as u64), &fails))
        });
        g.bench_with_input(
            BenchmarkId::new("buddy_system_allocator", t),
            &t,
            |b, &t| b.iter_custom(|n| threaded_pairs(&buddy, t, n.max(t as u64), &fails)),
        );
    }
    g.finish();
    assert_eq!(fails.into_inner(), 0, "order0-threads: operations failed");
}

criterion_group!(benches, single, threads);
criterion_main!(benches);
