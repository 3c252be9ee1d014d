//! `oxmm-bench`: run a benchmark suite and print a table of medians with their ratio to
//! oxmm, then one JSON line per result.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "oxmm-bench", about = "oxmm against allocators from crates.io")]
struct Cli {
    #[command(subcommand)]
    suite: Suite,
}

#[derive(Subcommand)]
enum Suite {
    /// The page allocator: order-0 (per-CPU lists and zone lock), random orders,
    /// order 9, and 1 against 2 threads.
    Pages {
        /// Fewer, shorter samples (under a minute).
        #[arg(long)]
        quick: bool,
        /// Only these benchmarks (comma-separated names).
        #[arg(long)]
        only: Option<String>,
    },
    /// The slab allocator: cache and kmalloc pairs, producer/consumer, and larson,
    /// cache-scratch and random-size workloads through GlobalAlloc.
    Slab {
        /// Fewer, shorter samples and fewer kmalloc sizes (under a minute).
        #[arg(long)]
        quick: bool,
        /// Only the benchmarks whose names start with these (comma-separated).
        #[arg(long)]
        only: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().suite {
        Suite::Pages { quick, only } => {
            let r = oxmm_bench::pages::run(quick, only.as_deref())?;
            let dv = if oxmm_bench::DEBUG_VM { "on" } else { "off" };
            println!("oxmm page allocator, debug_vm {dv}; medians of interleaved samples");
            print!("{}", oxmm_bench::harness::table(&r, "oxmm"));
            println!();
            for (imp, x) in oxmm_bench::pages::scaling(&r) {
                println!("order0-threads: {imp}: 2 threads {x:.2}x the throughput of 1");
            }
            // How busy the host was: the fixed arithmetic's median against its fastest.
            for m in r
                .iter()
                .filter(|m| m.imp == oxmm_bench::harness::HOST_CHECK)
            {
                println!(
                    "{}: host-check ({} thread{}) median {:.2}x its fastest sample (1.00x: a quiet host)",
                    m.bench,
                    m.threads,
                    if m.threads == 1 { "" } else { "s" },
                    m.ns_per_op / m.min_ns
                );
            }
            println!();
            for m in &r {
                println!("{}", m.json());
            }
        }
        Suite::Slab { quick, only } => {
            let r = oxmm_bench::slab::run(quick, only.as_deref())?;
            let onoff = |b: bool| if b { "on" } else { "off" };
            println!(
                "oxmm slab allocator, debug_vm {}, slub_stats {}; medians of interleaved samples",
                onoff(oxmm_bench::DEBUG_VM),
                onoff(oxmm_bench::SLUB_STATS)
            );
            print!("{}", oxmm_bench::harness::table(&r, "oxmm"));
            println!();
            for m in &r {
                println!("{}", m.json());
            }
        }
    }
    Ok(())
}
