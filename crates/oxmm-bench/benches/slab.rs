//! The slab benchmarks of `oxmm-bench slab` under criterion, the very same cases
//! ([`Suite::groups`]): oxmm's caches, kmalloc and `GlobalAlloc` against the system
//! allocator, mimalloc, jemalloc, talc, linked_list_allocator, buddy_system_allocator
//! and slabmalloc. Run with `cargo bench -p oxmm-bench --bench slab` (all kmalloc
//! sizes; criterion's own filter selects, e.g. `-- kmalloc_pair_64/`).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use oxmm_bench::slab::Suite;

fn slab(c: &mut Criterion) {
    let suite = Suite::new().expect("boot bench-2g and its slab caches");
    for mut group in suite.groups(false, None) {
        let mut g = c.benchmark_group(group.name().to_string());
        g.warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(1));
        group.for_each_case(|imp, threads, run| {
            g.bench_function(BenchmarkId::new(imp, threads), |b| {
                b.iter_custom(|n| run(n.max(threads as u64)))
            });
        });
        g.finish();
    }
}

criterion_group!(benches, slab);
criterion_main!(benches);
