//! Page-allocator benchmarks: oxmm on a hosted 2 GiB, 2-CPU PC against frame allocators
//! from crates.io (`buddy_system_allocator`, `bitmap-allocator`, `free-list`) given the
//! same number of frames, all measured interleaved in one process (see
//! [`crate::harness`]).
//!
//! Benchmarks (each operation is an allocation and the free of what it returned):
//! - `order0-pair`: order 0; oxmm through the calling CPU's per-CPU lists.
//! - `order0-pair-zonelock`: order 0 with oxmm's per-CPU lists disabled
//!   (`zone_pcp_disable`), so every request takes the zone lock and the buddy lists.
//! - `random-order-pair`: orders 0 to 10 from a fixed pseudo-random sequence.
//! - `order9-pair`: order 9 (a 2 MiB block; through oxmm's THP per-CPU list).
//! - `order0-threads`: order-0 pairs on 1 and 2 threads together (each thread pinned
//!   to its own host CPU and running as its own CPU id in oxmm; the peers behind a
//!   spin lock): throughput over a window shared by the threads, as `will-it-scale`
//!   counts it (see [`threaded_pairs_on`]); one thread runs on CPU 0 and CPU 1 in turn.
//!
//! Every benchmark also times [`HostCheck`] (`host-check` in the results): a fixed
//! amount of arithmetic per "pair", no allocator at all, interleaved with the others.
//! On a shared host its median says whether the run was quiet (it slows with
//! everything else when another guest takes the CPUs), and its 2-thread scaling is
//! the most two threads can gain on the host at the time.
//!
//! ```no_run
//! let results = oxmm_bench::pages::run(true, None).unwrap();
//! print!("{}", oxmm_bench::harness::table(&results, "oxmm"));
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bitmap_allocator::BitAlloc;
use oxmm::gfp::Gfp;
use oxmm::mm::{BootMode, Mm};
use oxmm::types::Pfn;
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;
use oxmm_host::platform::{bind_this_thread, HostPlatform};

use crate::harness::{Config, Group, Measurement, HOST_CHECK};

/// The benchmark machine: a PC with 1 GiB below 4 GiB (DMA, DMA32) and 1 GiB above
/// (Normal, where `GFP_KERNEL` requests are served), and 2 CPUs.
///
/// ```
/// let m = oxmm_bench::pages::machine_desc().unwrap();
/// assert_eq!(m.name, "bench-2g");
/// ```
pub fn machine_desc() -> anyhow::Result<Machine> {
    Ok(Machine::from_toml_str(
        r#"
name = "bench-2g"
description = "PC with 2 GiB (1 GiB above 4 GiB) and 2 CPUs, for the page benchmarks"
arch = "x86-64"
cpus = 2
e820 = [
  { range = "0x0-0x9fbff", type = "usable" },
  { range = "0x9fc00-0x9ffff", type = "reserved" },
  { range = "0xf0000-0xfffff", type = "reserved" },
  { range = "0x100000-0x3fffffff", type = "usable" },
  { range = "0x100000000-0x13fffffff", type = "usable" },
]
"#,
        "bench-2g.toml",
    )?)
}

/// Boot the benchmark machine in full; with `pcp` false, its per-CPU lists are
/// disabled (`zone_pcp_disable` on every zone).
///
/// ```no_run
/// let hm = oxmm_bench::pages::boot(true).unwrap();
/// assert!(hm.mm().nr_free_pages() > 500_000);
/// ```
pub fn boot(pcp: bool) -> anyhow::Result<HostedMachine> {
    boot_with(pcp, true)
}

/// [`boot`], choosing whether threads own their CPUs (`HostOptions::cpu_ownership`:
/// the per-CPU lists without atomic instructions) or share them (each CPU's lists
/// behind their spin lock, as Linux's `pcp_spin_trylock`).
///
/// ```no_run
/// let hm = oxmm_bench::pages::boot_with(true, false).unwrap();
/// assert!(hm.mm().nr_free_pages() > 500_000);
/// ```
pub fn boot_with(pcp: bool, cpu_ownership: bool) -> anyhow::Result<HostedMachine> {
    let opts = oxmm_host::hosted::HostOptions { cpu_ownership };
    let hm = HostedMachine::boot_with_options(&machine_desc()?, BootMode::Full, opts)
        .context("booting bench-2g")?;
    if !pcp {
        hm.mm()
            .pcp_disable_all()
            .map_err(|_| anyhow::anyhow!("zone_pcp_disable: free lists corrupted"))?;
    }
    Ok(hm)
}

/// A page allocator under benchmark: blocks of `1 << order` frames, named by their
/// first frame.
///
/// ```
/// use oxmm_bench::pages::{Buddy, Frames};
/// let mut b = Buddy::new(1024);
/// let f = b.alloc(3).unwrap();
/// assert!(b.free(f, 3));
/// ```
pub trait Frames {
    /// A block of `1 << order` frames.
    fn alloc(&mut self, order: u32) -> Option<u64>;
    /// Give back a block [`Frames::alloc`] returned; false if refused.
    fn free(&mut self, frame: u64, order: u32) -> bool;
}

/// oxmm's `alloc_pages(GFP_KERNEL, order)` / `free_pages`.
///
/// ```no_run
/// use oxmm_bench::pages::{boot, Frames, Oxmm};
/// let hm = boot(true).unwrap();
/// let mut o = Oxmm::new(hm.mm());
/// let f = o.alloc(0).unwrap();
/// assert!(o.free(f, 0));
/// ```
#[derive(Clone, Copy)]
pub struct Oxmm<'a> {
    mm: &'a Mm<HostPlatform>,
}

impl<'a> Oxmm<'a> {
    /// Allocate from `mm`.
    ///
    /// ```no_run
    /// let hm = oxmm_bench::pages::boot(false).unwrap();
    /// let _o = oxmm_bench::pages::Oxmm::new(hm.mm());
    /// ```
    pub fn new(mm: &'a Mm<HostPlatform>) -> Self {
        Oxmm { mm }
    }

    #[inline]
    fn alloc_shared(&self, order: u32) -> Option<u64> {
        self.mm.alloc_pages(Gfp::KERNEL, order).ok().map(|p| p.0)
    }

    #[inline]
    fn free_shared(&self, frame: u64, order: u32) -> bool {
        self.mm.free_pages(Pfn(frame), order).is_ok()
    }
}

impl Frames for Oxmm<'_> {
    #[inline]
    fn alloc(&mut self, order: u32) -> Option<u64> {
        self.alloc_shared(order)
    }
    #[inline]
    fn free(&mut self, frame: u64, order: u32) -> bool {
        self.free_shared(frame, order)
    }
}

/// `buddy_system_allocator::FrameAllocator` (free lists in B-tree sets).
///
/// ```
/// use oxmm_bench::pages::{Buddy, Frames};
/// assert!(Buddy::new(4).alloc(3).is_none());
/// ```
pub struct Buddy(buddy_system_allocator::FrameAllocator<33>);

impl Buddy {
    /// An allocator of frames `0..frames`, all free.
    ///
    /// ```
    /// use oxmm_bench::pages::{Buddy, Frames};
    /// assert_eq!(Buddy::new(2).alloc(1), Some(0));
    /// ```
    pub fn new(frames: u64) -> Self {
        let mut a = buddy_system_allocator::FrameAllocator::<33>::new();
        a.add_frame(0, frames as usize);
        Buddy(a)
    }
}

impl Frames for Buddy {
    #[inline]
    fn alloc(&mut self, order: u32) -> Option<u64> {
        self.0.alloc(1 << order).map(|f| f as u64)
    }
    #[inline]
    fn free(&mut self, frame: u64, order: u32) -> bool {
        self.0.dealloc(frame as usize, 1 << order);
        true
    }
}

/// `bitmap_allocator::BitAlloc1M` (a 16-ary tree of bitmaps; blocks by
/// `alloc_contiguous` with the block's alignment).
///
/// ```
/// use oxmm_bench::pages::{Bitmap, Frames};
/// let mut b = Bitmap::new(64);
/// assert_eq!(b.alloc(4), Some(0));
/// assert_eq!(b.alloc(4), Some(16));
/// ```
pub struct Bitmap(Box<bitmap_allocator::BitAlloc1M>);

impl Bitmap {
    /// An allocator of frames `0..frames` (at most 2^20), all free.
    ///
    /// ```
    /// use oxmm_bench::pages::{Bitmap, Frames};
    /// assert_eq!(Bitmap::new(1).alloc(0), Some(0));
    /// ```
    pub fn new(frames: u64) -> Self {
        let mut a: Box<bitmap_allocator::BitAlloc1M> = Box::default();
        a.insert(0..(frames as usize).min(1 << 20));
        Bitmap(a)
    }
}

impl Frames for Bitmap {
    #[inline]
    fn alloc(&mut self, order: u32) -> Option<u64> {
        if order == 0 {
            self.0.alloc().map(|f| f as u64)
        } else {
            self.0
                .alloc_contiguous(None, 1 << order, order as usize)
                .map(|f| f as u64)
        }
    }
    #[inline]
    fn free(&mut self, frame: u64, order: u32) -> bool {
        if order == 0 {
            self.0.dealloc(frame as usize)
        } else {
            self.0.dealloc_contiguous(frame as usize, 1 << order)
        }
    }
}

/// `free_list::FreeList` (sorted free ranges; first fit with the block's alignment).
///
/// ```
/// use oxmm_bench::pages::{FreeListPeer, Frames};
/// let mut f = FreeListPeer::new(16);
/// assert_eq!(f.alloc(2), Some(0));
/// assert!(f.free(0, 2));
/// ```
pub struct FreeListPeer(free_list::FreeList<16>);

const PAGE: usize = 4096;

impl FreeListPeer {
    /// An allocator of frames `0..frames`, all free.
    ///
    /// ```
    /// use oxmm_bench::pages::{FreeListPeer, Frames};
    /// assert!(FreeListPeer::new(1).alloc(1).is_none());
    /// ```
    pub fn new(frames: u64) -> Self {
        let mut a = free_list::FreeList::<16>::new();
        if let Ok(r) = free_list::PageRange::new(0, frames as usize * PAGE) {
            // SAFETY: the allocator hands out numbers only; nothing is at these addresses.
            let _ = unsafe { a.deallocate(r) };
        }
        FreeListPeer(a)
    }
}

impl Frames for FreeListPeer {
    #[inline]
    fn alloc(&mut self, order: u32) -> Option<u64> {
        let size = PAGE << order;
        let layout = free_list::PageLayout::from_size_align(size, size).ok()?;
        self.0
            .allocate(layout)
            .ok()
            .map(|r| (r.start() / PAGE) as u64)
    }
    #[inline]
    fn free(&mut self, frame: u64, order: u32) -> bool {
        let Ok(r) = free_list::PageRange::from_start_len(frame as usize * PAGE, PAGE << order)
        else {
            return false;
        };
        // SAFETY: `r` is a block this allocator returned; nothing is at its addresses.
        unsafe { self.0.deallocate(r) }.is_ok()
    }
}

/// A [`Frames`] shared by threads behind a spin lock (what a kernel would do with a
/// single-threaded allocator).
///
/// ```
/// use oxmm_bench::pages::{Buddy, Locked, SharedFrames};
/// let l = Locked::new(Buddy::new(8));
/// let f = l.alloc(0).unwrap();
/// assert!(l.free(f, 0));
/// ```
pub struct Locked<F>(spin::Mutex<F>);

impl<F> Locked<F> {
    /// Wrap `f`.
    ///
    /// ```
    /// use oxmm_bench::pages::{Buddy, Locked, SharedFrames};
    /// assert!(Locked::new(Buddy::new(0)).alloc(0).is_none());
    /// ```
    pub fn new(f: F) -> Self {
        Locked(spin::Mutex::new(f))
    }
}

/// Not an allocator: each "allocation" is the same fixed run of arithmetic (four
/// independent xorshift chains, about the order-0 pair's instruction count, as
/// throughput-bound), each free nothing. A yardstick for the host, timed like the
/// allocators (see the module documentation).
///
/// ```
/// use oxmm_bench::pages::{Frames, HostCheck, SharedFrames};
/// assert_eq!(Frames::alloc(&mut HostCheck, 0), SharedFrames::alloc(&HostCheck, 0));
/// assert!(SharedFrames::free(&HostCheck, 7, 0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HostCheck;

impl HostCheck {
    /// The fixed work, out of line so that every caller runs the same code.
    #[inline(never)]
    fn work(seed: u64) -> u64 {
        let (mut a, mut b, mut c, mut d) = (seed | 1, seed ^ 0x9e37_79b9, !seed, seed << 1 | 1);
        for _ in 0..8 {
            for x in [&mut a, &mut b, &mut c, &mut d] {
                *x ^= *x << 13;
                *x ^= *x >> 7;
                *x ^= *x << 17;
            }
        }
        a ^ b ^ c ^ d
    }
}

impl Frames for HostCheck {
    #[inline]
    fn alloc(&mut self, order: u32) -> Option<u64> {
        SharedFrames::alloc(self, order)
    }
    #[inline]
    fn free(&mut self, frame: u64, order: u32) -> bool {
        SharedFrames::free(self, frame, order)
    }
}

impl SharedFrames for HostCheck {
    #[inline]
    fn alloc(&self, order: u32) -> Option<u64> {
        Some(Self::work(std::hint::black_box(order as u64)))
    }
    #[inline]
    fn free(&self, _frame: u64, _order: u32) -> bool {
        true
    }
}

/// A page allocator callable from several threads at once.
///
/// ```
/// use oxmm_bench::pages::{Bitmap, Locked, SharedFrames};
/// assert!(Locked::new(Bitmap::new(1)).alloc(1).is_none());
/// ```
pub trait SharedFrames: Sync {
    /// A block of `1 << order` frames.
    fn alloc(&self, order: u32) -> Option<u64>;
    /// Give back a block; false if refused.
    fn free(&self, frame: u64, order: u32) -> bool;
}

impl<F: Frames + Send> SharedFrames for Locked<F> {
    #[inline]
    fn alloc(&self, order: u32) -> Option<u64> {
        self.0.lock().alloc(order)
    }
    #[inline]
    fn free(&self, frame: u64, order: u32) -> bool {
        self.0.lock().free(frame, order)
    }
}

impl SharedFrames for Oxmm<'_> {
    #[inline]
    fn alloc(&self, order: u32) -> Option<u64> {
        self.alloc_shared(order)
    }
    #[inline]
    fn free(&self, frame: u64, order: u32) -> bool {
        self.free_shared(frame, order)
    }
}

/// `n` pseudo-random orders in `0..=10` (xorshift from a fixed seed: every run and
/// every implementation sees the same sequence).
///
/// ```
/// let o = oxmm_bench::pages::random_orders(1000);
/// assert!(o.iter().all(|&x| x <= 10) && o.contains(&0) && o.contains(&10));
/// assert_eq!(o, oxmm_bench::pages::random_orders(1000));
/// ```
pub fn random_orders(n: usize) -> Vec<u32> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 11) as u32
        })
        .collect()
}

/// Time `n` alloc+free pairs of `orders` (cycled) on `a`; failures are counted in
/// `fails`.
///
/// ```
/// use oxmm_bench::pages::{pairs, Buddy};
/// let mut b = Buddy::new(16);
/// let mut fails = 0;
/// pairs(&mut b, &[0, 5], 10, &mut fails);
/// assert_eq!(fails, 5); // order 5 does not fit in 16 frames
/// ```
#[inline]
pub fn pairs<F: Frames>(a: &mut F, orders: &[u32], n: u64, fails: &mut u64) -> Duration {
    let t = Instant::now();
    let mut i = 0;
    for _ in 0..n {
        let o = orders[i];
        i += 1;
        if i == orders.len() {
            i = 0;
        }
        match a.alloc(o) {
            Some(f) => {
                if !a.free(std::hint::black_box(f), o) {
                    *fails += 1;
                }
            }
            None => *fails += 1,
        }
    }
    t.elapsed()
}

/// Time `n` order-0 pairs split over `threads` threads on `a`, thread `i` running as
/// CPU `i` (see [`bind_this_thread`]); failures are added to `fails`. See
/// [`threaded_pairs_on`] for how the time is measured.
///
/// ```
/// use std::sync::atomic::AtomicU64;
/// use oxmm_bench::pages::{threaded_pairs, Buddy, Locked};
/// let fails = AtomicU64::new(0);
/// threaded_pairs(&Locked::new(Buddy::new(8)), 2, 100, &fails);
/// assert_eq!(fails.into_inner(), 0);
/// ```
pub fn threaded_pairs<S: SharedFrames>(
    a: &S,
    threads: usize,
    n: u64,
    fails: &AtomicU64,
) -> Duration {
    threaded_pairs_on(a, 0, threads, n, fails)
}

/// Pairs done between two looks at the stop flag (about a microsecond of oxmm's).
const STOP_CHECK_PAIRS: u64 = 64;

/// Order-0 pairs on `threads` threads at once, thread `i` running as CPU
/// `first_cpu + i` (oxmm's CPU id and, modulo the host's CPUs, the host CPU it is
/// pinned to); failures are added to `fails`.
///
/// Throughput over a shared window, as `will-it-scale` counts it: every thread runs
/// pairs until the first one has done its share of `n` (`n / threads`), then all
/// stop; the window is from the first thread's start to the last one's stop, as the
/// threads saw them. Returned: the time `n` pairs take at that throughput (window ×
/// `n` / pairs done). A thread that a busy host CPU slows does fewer pairs in the
/// window instead of leaving the others' CPUs idle while it finishes a fixed share.
///
/// ```
/// use std::sync::atomic::AtomicU64;
/// use oxmm_bench::pages::{threaded_pairs_on, HostCheck};
/// let fails = AtomicU64::new(0);
/// let t = threaded_pairs_on(&HostCheck, 1, 2, 10_000, &fails);
/// assert!(t.as_nanos() > 0);
/// assert_eq!(fails.into_inner(), 0);
/// ```
pub fn threaded_pairs_on<S: SharedFrames>(
    a: &S,
    first_cpu: usize,
    threads: usize,
    n: u64,
    fails: &AtomicU64,
) -> Duration {
    let threads = threads.max(1);
    let share = (n / threads as u64).max(1);
    // A spinning start line: a sleeping barrier wakes its threads one by one, tens of
    // microseconds apart, and short samples would then barely overlap.
    let ready = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // Each thread's start, stop and pairs done, as it saw them: no spawning or
    // joining in the time, and no dependence on when this thread runs.
    let runs: Vec<(Instant, Instant, u64)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let (ready, stop) = (&ready, &stop);
                s.spawn(move || {
                    let cpu = first_cpu + i;
                    bind_this_thread(cpu);
                    pin_to_host_cpu(cpu);
                    let mut f = 0;
                    ready.fetch_add(1, Ordering::AcqRel);
                    while ready.load(Ordering::Acquire) < threads {
                        std::hint::spin_loop();
                    }
                    let t0 = Instant::now();
                    let mut done = 0;
                    loop {
                        for _ in 0..STOP_CHECK_PAIRS.min(share - done) {
                            match a.alloc(0) {
                                Some(p) => {
                                    if !a.free(std::hint::black_box(p), 0) {
                                        f += 1;
                                    }
                                }
                                None => f += 1,
                            }
                        }
                        done += STOP_CHECK_PAIRS.min(share - done);
                        if done == share {
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                    let t1 = Instant::now();
                    fails.fetch_add(f, Ordering::Relaxed);
                    (t0, t1, done)
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    if runs.len() != threads {
        // A worker panicked: count its share as failed.
        fails.fetch_add(n, Ordering::Relaxed);
    }
    let first = runs.iter().map(|r| r.0).min();
    let last = runs.iter().map(|r| r.1).max();
    let done: u64 = runs.iter().map(|r| r.2).sum();
    match (first, last) {
        (Some(f), Some(l)) if done > 0 => {
            let window = l.saturating_duration_since(f).as_nanos();
            Duration::from_nanos((window * u128::from(n) / u128::from(done)) as u64)
        }
        _ => Duration::ZERO,
    }
}

/// Keep the calling thread on host CPU `cpu` (modulo the CPUs there are), so that
/// threads meant to run in parallel are not queued on one CPU by the host's scheduler.
/// Best effort: where the affinity cannot be set, the thread stays where it is.
fn pin_to_host_cpu(cpu: usize) {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut set = rustix::process::CpuSet::new();
    set.set(cpu % n);
    let _ = rustix::process::sched_setaffinity(None, &set);
}

/// A single-threaded benchmark of the four implementations over `orders`.
fn pair_group(
    name: &str,
    mm: &Mm<HostPlatform>,
    shared: Option<&Mm<HostPlatform>>,
    frames: u64,
    orders: Vec<u32>,
    cfg: &Config,
) -> anyhow::Result<Vec<Measurement>> {
    let fails = Rc::new(Cell::new(0u64));
    let mut g = Group::new(name);
    let orders = Rc::new(orders);
    add_case(&mut g, "oxmm", Oxmm::new(mm), &orders, &fails);
    if let Some(shared) = shared {
        add_case(
            &mut g,
            "oxmm-shared-cpu",
            Oxmm::new(shared),
            &orders,
            &fails,
        );
    }
    add_case(
        &mut g,
        "buddy_system_allocator",
        Buddy::new(frames),
        &orders,
        &fails,
    );
    add_case(
        &mut g,
        "bitmap-allocator",
        Bitmap::new(frames),
        &orders,
        &fails,
    );
    add_case(
        &mut g,
        "free-list",
        FreeListPeer::new(frames),
        &orders,
        &fails,
    );
    add_case(&mut g, HOST_CHECK, HostCheck, &orders, &fails);
    let r = g.run(cfg);
    if fails.get() != 0 {
        bail!("{name}: {} allocations or frees failed", fails.get());
    }
    Ok(r)
}

fn add_case<'a, F: Frames + 'a>(
    g: &mut Group<'a>,
    imp: &str,
    mut a: F,
    orders: &Rc<Vec<u32>>,
    fails: &Rc<Cell<u64>>,
) {
    let (orders, fails) = (orders.clone(), fails.clone());
    g.case(imp, 1, move |n| {
        let mut f = 0;
        let t = pairs(&mut a, &orders, n, &mut f);
        fails.set(fails.get() + f);
        t
    });
}

/// The benchmarks [`run`] knows, in the order it runs them.
///
/// ```
/// assert_eq!(oxmm_bench::pages::BENCHES[0], "order0-pair");
/// ```
pub const BENCHES: [&str; 5] = [
    "order0-pair",
    "order0-pair-zonelock",
    "random-order-pair",
    "order9-pair",
    "order0-threads",
];

/// Run the page benchmarks named in the comma-separated list `only` (all with `None`;
/// `quick`: fewer, shorter samples) and return the results.
///
/// ```no_run
/// let r = oxmm_bench::pages::run(true, None).unwrap();
/// assert!(r.iter().any(|m| m.bench == "order0-pair" && m.imp == "oxmm"));
/// ```
pub fn run(quick: bool, only: Option<&str>) -> anyhow::Result<Vec<Measurement>> {
    let want = |b: &str| only.is_none_or(|o| o.split(',').any(|w| w.trim() == b));
    if !BENCHES.iter().any(|b| want(b)) {
        bail!(
            "no page benchmark matches {:?}; they are {BENCHES:?}",
            only.unwrap_or("")
        );
    }
    let cfg = if quick { Config::QUICK } else { Config::FULL };
    let hm = boot(true)?;
    let nopcp = boot(false)?;
    let shared = boot_with(true, false)?;
    let mm = hm.mm();
    // The peers manage as many frames as oxmm has free.
    let frames = mm.nr_free_pages();
    bind_this_thread(0);
    let mut out = Vec::new();
    let fewer = Config {
        ops_per_sample: cfg.ops_per_sample / 4,
        ..cfg
    };
    for b in BENCHES.into_iter().filter(|b| want(b)) {
        out.extend(match b {
            "order0-pair" => pair_group(b, mm, Some(shared.mm()), frames, vec![0], &cfg)?,
            "order0-pair-zonelock" => pair_group(b, nopcp.mm(), None, frames, vec![0], &cfg)?,
            "random-order-pair" => pair_group(b, mm, None, frames, random_orders(4096), &fewer)?,
            "order9-pair" => pair_group(b, mm, None, frames, vec![9], &fewer)?,
            _ => {
                // The workers own the CPUs, not this thread.
                mm.platform().release_this_thread();
                thread_group(mm, frames, &cfg)?
            }
        });
    }
    mm.drain_all_pages(None)
        .map_err(|_| anyhow::anyhow!("drain_all_pages: free lists corrupted"))?;
    // The benchmarks must leave the allocator as they found it.
    if mm.nr_free_pages() != frames {
        bail!(
            "{} free pages after the benchmarks, {frames} before",
            mm.nr_free_pages()
        );
    }
    #[cfg(feature = "debug_vm")]
    mm.check()
        .map_err(|e| anyhow::anyhow!("Mm::check after the benchmarks: {e}"))?;
    Ok(out)
}

/// Order-0 pairs on 1 and 2 threads.
fn thread_group(
    mm: &Mm<HostPlatform>,
    frames: u64,
    cfg: &Config,
) -> anyhow::Result<Vec<Measurement>> {
    let fails = AtomicU64::new(0);
    let oxmm = Oxmm::new(mm);
    let buddy = Locked::new(Buddy::new(frames));
    let bitmap = Locked::new(Bitmap::new(frames));
    let flist = Locked::new(FreeListPeer::new(frames));
    // Twice the operations of the single-threaded samples: each thread then does as
    // many as one of those (the threads' start and end are not in the time).
    let cfg = Config {
        ops_per_sample: cfg.ops_per_sample * 2,
        ..*cfg
    };
    let mut g = Group::new("order0-threads");
    for t in [1, 2] {
        let f = &fails;
        g.case(
            "oxmm",
            t,
            rotating(t, move |c, n| threaded_pairs_on(&oxmm, c, t, n, f)),
        );
        let b = &buddy;
        g.case(
            "buddy_system_allocator",
            t,
            rotating(t, move |c, n| threaded_pairs_on(b, c, t, n, f)),
        );
        let b = &bitmap;
        g.case(
            "bitmap-allocator",
            t,
            rotating(t, move |c, n| threaded_pairs_on(b, c, t, n, f)),
        );
        let l = &flist;
        g.case(
            "free-list",
            t,
            rotating(t, move |c, n| threaded_pairs_on(l, c, t, n, f)),
        );
        g.case(
            HOST_CHECK,
            t,
            rotating(t, move |c, n| threaded_pairs_on(&HostCheck, c, t, n, f)),
        );
    }
    let r = g.run(&cfg);
    if fails.load(Ordering::Relaxed) != 0 {
        bail!(
            "order0-threads: {} operations failed",
            fails.load(Ordering::Relaxed)
        );
    }
    Ok(r)
}

/// A sampler of `threads`-thread runs: `run(first_cpu, n)`, with one thread on CPU 0
/// and CPU 1 in turn. The host's CPUs are not equally fast at any one time (another
/// guest's load slows one and not the other), so the 1-thread baseline samples the
/// same two CPUs as the 2-thread runs.
fn rotating<'a>(
    threads: usize,
    mut run: impl FnMut(usize, u64) -> Duration + 'a,
) -> impl FnMut(u64) -> Duration + 'a {
    let mut k = 0;
    move |n| {
        k += 1;
        run(if threads == 1 { k % 2 } else { 0 }, n)
    }
}

/// For each implementation, how many times faster its 2-thread run was than its
/// 1-thread run (wall time per pair).
///
/// ```
/// use oxmm_bench::harness::Measurement;
/// let r = [
///     Measurement::from_samples("order0-threads", "a", 1, vec![10.0]),
///     Measurement::from_samples("order0-threads", "a", 2, vec![5.0]),
/// ];
/// assert_eq!(oxmm_bench::pages::scaling(&r), vec![("a".to_string(), 2.0)]);
/// ```
pub fn scaling(results: &[Measurement]) -> Vec<(String, f64)> {
    let t = |imp: &str, n| {
        results
            .iter()
            .find(|m| m.bench == "order0-threads" && m.imp == imp && m.threads == n)
    };
    results
        .iter()
        .filter(|m| m.bench == "order0-threads" && m.threads == 1)
        .filter_map(|m| Some((m.imp.clone(), m.ns_per_op / t(&m.imp, 2)?.ns_per_op)))
        .collect()
}
