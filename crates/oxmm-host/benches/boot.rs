//! Boot benchmarks: the built-in profiles booted in full (memmap written, free lists
//! filled) and as descriptions only. Run with `cargo bench -p oxmm-host --bench boot`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use oxmm::mm::BootMode;
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;

fn profile(name: &str) -> Machine {
    Machine::profile(name).unwrap_or_else(|e| panic!("profile {name}: {e}"))
}

fn boot_small(c: &mut Criterion) {
    let mut g = c.benchmark_group("boot");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for name in ["pc-8g", "numa-2x16g"] {
        let m = profile(name);
        g.bench_function(format!("{name}/full"), |b| {
            b.iter(|| HostedMachine::boot(&m, BootMode::Full).unwrap())
        });
        g.bench_function(format!("{name}/describe-only"), |b| {
            b.iter(|| HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap())
        });
    }
    g.finish();
}

fn boot_big(c: &mut Criterion) {
    let mut g = c.benchmark_group("boot-big");
    // 10 is criterion's minimum; each full boot writes 8 GiB of descriptors.
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(30));
    let m = profile("big-1t");
    g.bench_function("big-1t/full", |b| {
        b.iter(|| HostedMachine::boot(&m, BootMode::Full).unwrap())
    });
    g.bench_function("big-1t/describe-only", |b| {
        b.iter(|| HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap())
    });
    g.finish();
}

criterion_group!(benches, boot_small, boot_big);
criterion_main!(benches);
