//! Full-boot timing of a big NUMA machine on an anonymous `MAP_NORESERVE` mapping.
//!
//! `cargo run --release -p oxmm --example boot_timing -- [GIB] [NODES] [THREADS] [-v]`
//! (defaults: 1024 GiB over 8 nodes, 1 thread: serial). `-v` prints the boot log with
//! elapsed times. With more threads the per-node jobs run concurrently.

use oxmm::boot::{Arch, BootConfig, NodeDesc, NodeInitJob, NodeInitRunner, SerialRunner};
use oxmm::memblock::{Memblock, MemblockFlags};
use oxmm::mm::{BootMode, Mm};
use oxmm::mmzone::ZoneType;
use oxmm::platform::Platform;
use oxmm::printk::{Level, Log};
use oxmm::types::{NodeId, PhysAddr, VirtAddr};
use std::time::Instant;

/// Anonymous private memory standing in for the machine's physical address space.
struct MmapMem(*mut u8, usize);

impl MmapMem {
    fn new(bytes: usize) -> Self {
        // SAFETY: an anonymous private mapping with no address hint; checked below.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED, "mmap of {bytes} bytes failed");
        MmapMem(p as *mut u8, bytes)
    }
}

impl Drop for MmapMem {
    fn drop(&mut self) {
        // SAFETY: unmapping the mapping made in `new`.
        unsafe { libc::munmap(self.0 as *mut _, self.1) };
    }
}

// SAFETY: the mapping is plain memory; the boot decides who writes where.
unsafe impl Sync for MmapMem {}
// SAFETY: as above.
unsafe impl Send for MmapMem {}

// SAFETY: the direct map is this value's own anonymous mapping (page-aligned,
// as large as the machine, unmapped only on drop), used by nothing else.
unsafe impl Platform for MmapMem {
    fn direct_map_base(&self) -> *mut u8 {
        self.0
    }
    fn cpu_id(&self) -> usize {
        0
    }
    fn nr_cpus(&self) -> usize {
        1
    }
    fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
}

/// Runs the node jobs on `threads` scoped threads (jobs dealt round-robin), printing
/// each job's time like Linux's `node N deferred pages initialised in Xms`.
struct Threads(usize);

impl NodeInitRunner for Threads {
    fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
        let n = self.0.max(1);
        let mut lanes: Vec<Vec<&mut NodeInitJob<'_>>> = (0..n).map(|_| Vec::new()).collect();
        for (i, j) in jobs.iter_mut().enumerate() {
            lanes[i % n].push(j);
        }
        std::thread::scope(|s| {
            for lane in lanes {
                s.spawn(move || {
                    for j in lane {
                        let t = Instant::now();
                        j.run();
                        if j.pages_initialised() != 0 {
                            eprintln!(
                                "node {} deferred pages initialised in {}ms",
                                j.nids().start,
                                t.elapsed().as_millis()
                            );
                        }
                    }
                });
            }
        });
    }
}

/// Prints the boot log's timing-relevant lines with elapsed time.
struct TimedLog(Instant, bool);

impl Log for TimedLog {
    fn line(&mut self, l: Level, a: core::fmt::Arguments<'_>) {
        if self.1 && l <= Level::Info {
            eprintln!("[{:>9.3}] {}", self.0.elapsed().as_secs_f64(), a);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let nums: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let gib = nums.first().copied().unwrap_or(1024);
    let nr_nodes = nums.get(1).copied().unwrap_or(8).max(1);
    let threads = nums.get(2).copied().unwrap_or(1) as usize;
    let per = (gib << 30) / nr_nodes;
    let mut mb = Memblock::new();
    mb.add_node(PhysAddr(0x1000), 0x9e000, NodeId(0), MemblockFlags::empty())
        .unwrap();
    mb.add_node(
        PhysAddr(0x100000),
        per - 0x100000,
        NodeId(0),
        MemblockFlags::empty(),
    )
    .unwrap();
    for n in 1..nr_nodes {
        mb.add_node(
            PhysAddr(per * n),
            per,
            NodeId(n as u16),
            MemblockFlags::empty(),
        )
        .unwrap();
    }
    // The kernel image.
    mb.reserve(PhysAddr(0x1000000), 0x4000000).unwrap();
    let nodes: Vec<NodeDesc> = (0..nr_nodes)
        .map(|n| NodeDesc {
            nid: NodeId(n as u16),
            nr_cpus: 1,
        })
        .collect();
    let max_pfn = (nr_nodes * per) >> 12;
    let mut cfg = BootConfig::new(Arch::X86_64);
    cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    cfg.zone_limits.set(ZoneType::Dma32, max_pfn.min(0x100000));
    cfg.zone_limits.set(ZoneType::Normal, max_pfn);
    cfg.nodes = &nodes;
    let t = Instant::now();
    let mem = MmapMem::new((nr_nodes * per) as usize);
    let mut log = TimedLog(t, verbose);
    let mm = if threads > 1 {
        Mm::boot_with(mem, mb, &cfg, BootMode::Full, &mut log, &Threads(threads))
    } else {
        Mm::boot_with(mem, mb, &cfg, BootMode::Full, &mut log, &SerialRunner)
    }
    .unwrap();
    println!(
        "Full boot of {gib} GiB over {nr_nodes} nodes, {threads} thread(s): {:.3} s, {} free pages",
        t.elapsed().as_secs_f64(),
        mm.nr_free_pages()
    );
}
