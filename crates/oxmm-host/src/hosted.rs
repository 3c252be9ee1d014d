//! The hosted machine: a machine description booted on process memory.
//!
//! `machine.setup()` (the architecture part: memblock, nodes, options) → a [`PhysMem`]
//! sized to the machine → the core's boot → a [`HostedMachine`] that keeps the log.
//!
//! [`PhysMem`]: crate::physmem::PhysMem

use oxmm::slab::order::SlubParams;
use std::fmt::{self, Write as _};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxmm::boot::{NodeInitJob, NodeInitRunner};
use oxmm::memblock::MemblockRegion;
use oxmm::mm::{BootMode, Mm};
use oxmm::printk::{Level, Log, NullLog};
use oxmm::types::PhysAddr;

use crate::machine::{Machine, MachineError};
use crate::physmem::PhysMem;
use crate::platform::HostPlatform;

/// A machine booted on process memory, with the log its boot printed.
///
/// ```no_run
/// use oxmm::mm::BootMode;
/// use oxmm_host::{hosted::HostedMachine, machine::Machine};
/// let m = Machine::profile("pc-8g").unwrap();
/// let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
/// assert!(hm.log_lines().iter().any(|l| l == "Zone ranges:"));
/// print!("{}", hm.memory_summary());
/// ```
pub struct HostedMachine {
    name: String,
    mode: BootMode,
    mm: Box<Mm<HostPlatform>>,
    log: Vec<(Level, String)>,
    times: Vec<Duration>,
    boot_time: Duration,
    prepare_time: Duration,
    slub: SlubParams,
}

impl fmt::Debug for HostedMachine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostedMachine")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("log_lines", &self.log.len())
            .field("boot_time", &self.boot_time)
            .finish_non_exhaustive()
    }
}

/// Collects the core's log lines with the time each was printed.
struct VecLog {
    start: Instant,
    lines: Vec<(Level, String)>,
    times: Vec<Duration>,
}

impl Log for VecLog {
    fn line(&mut self, level: Level, args: fmt::Arguments<'_>) {
        self.times.push(self.start.elapsed());
        self.lines.push((level, args.to_string()));
    }
}

/// `process_sysctl_arg`: the line Linux logs when the parameter gets no further than
/// its path ([`SysctlArg::open_error`]), else, for one of the page allocator's
/// tunables, the value written as to `/proc/sys/vm/NAME` and Linux's line when the
/// write fails. As in Linux, `lowmem_reserve_ratio` keeps the values read before a
/// bad one and never fails (its handler ignores `proc_dointvec_minmax`'s error).
///
/// [`SysctlArg::open_error`]: crate::machine::SysctlArg::open_error
fn do_sysctl_arg<P: oxmm::platform::Platform>(
    mm: &mut Mm<P>,
    a: &crate::machine::SysctlArg,
) -> Option<String> {
    if let Some(line) = a.open_error() {
        return Some(line);
    }
    let crate::machine::SysctlTarget::Tunable(name) = a.target else {
        return None;
    };
    let (vals, _) = a.ints();
    let r = match name {
        "lowmem_reserve_ratio" => {
            let n = vals.len().min(mm.zone_layout().len());
            // Read values only: the handler's own checks cannot fail on them.
            let _ = mm.set_lowmem_reserve_ratio(&vals[..n]);
            Ok(())
        }
        // One integer (`proc_dointvec_minmax` of an int): the first word.
        name => match vals.first() {
            None => Err(()),
            Some(&v) => match name {
                "min_free_kbytes" => mm.set_min_free_kbytes(v),
                "watermark_scale_factor" => mm.set_watermark_scale_factor(v),
                "watermark_boost_factor" => mm.set_watermark_boost_factor(v),
                _ => mm.set_percpu_pagelist_high_fraction(v),
            }
            .map_err(|_| ()),
        },
    };
    r.err().map(|()| {
        format!(
            "Failed to set sysctl parameter '{}={}': invalid value",
            a.param,
            a.value.as_deref().unwrap_or("")
        )
    })
}

/// Host-side choices for [`HostedMachine::boot_with_options`].
///
/// ```
/// assert!(!oxmm_host::hosted::HostOptions::default().cpu_ownership);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostOptions {
    /// Threads own CPUs (see [`HostPlatform::enable_cpu_ownership`]): per-CPU lists
    /// and slabs without atomic instructions on their owner's path.
    pub cpu_ownership: bool,
}

impl HostedMachine {
    /// Boot `machine`: its architecture setup, physical memory sized to it, then the
    /// core's boot in `mode`. `DescribeOnly` still creates the (sparse, free) physical
    /// memory when the host can map it, and runs without it when it cannot.
    ///
    /// A `Full` boot first runs the boot description-only (milliseconds) to learn which
    /// memory the core reserves for itself (memmap, section table, pageblock bitmaps),
    /// and backs exactly that memory with anonymous huge pages before the real boot
    /// writes it (see [`PhysMem::back_anonymous`]): on a memfd each 4 KiB page would be a
    /// separate fault, and a 1 TiB machine has 8 GiB of memmap.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let m = Machine::profile("pc-8g").unwrap();
    /// let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
    /// assert!(hm.log_lines().iter().any(|l| l == "Zone ranges:"));
    /// ```
    pub fn boot(machine: &Machine, mode: BootMode) -> Result<HostedMachine, HostError> {
        Self::boot_with_options(machine, mode, HostOptions::default())
    }

    /// [`HostedMachine::boot`] with host-side options.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm::platform::Platform;
    /// use oxmm_host::hosted::{HostOptions, HostedMachine};
    /// use oxmm_host::machine::Machine;
    /// let m = Machine::profile("pc-8g").unwrap();
    /// let opts = HostOptions { cpu_ownership: true };
    /// let hm = HostedMachine::boot_with_options(&m, BootMode::DescribeOnly, opts).unwrap();
    /// assert!(hm.mm().platform().cpu_ownership());
    /// ```
    pub fn boot_with_options(
        machine: &Machine,
        mode: BootMode,
        opts: HostOptions,
    ) -> Result<HostedMachine, HostError> {
        let start = Instant::now();
        let mut prepare_time = Duration::ZERO;
        let setup = machine.setup()?;
        let slub = setup.options().slub_params()?;
        let meminit = setup.options().meminit();
        let cfg = setup.boot_config();
        let nr_cpus = cfg.nr_cpus.max(1) as usize;
        let size = machine.memory_size();
        let mut platform = match PhysMem::new(size) {
            Ok(mem) => HostPlatform::new(Arc::new(mem), nr_cpus)?,
            Err(_) if mode == BootMode::DescribeOnly => HostPlatform::without_memory(nr_cpus)?,
            Err(e) => return Err(e),
        };
        if let Some(name) = &machine.hardware_name {
            platform.set_hardware_name(name);
        }
        if opts.cpu_ownership {
            platform.enable_cpu_ownership()?;
        }
        if mode == BootMode::Full {
            if let Some(mem) = platform.physmem() {
                let probe = boot_boxed(
                    HostPlatform::without_memory(nr_cpus)?,
                    setup.memblock().clone(),
                    &cfg,
                    BootMode::DescribeOnly,
                    &mut NullLog,
                    &oxmm::boot::SerialRunner,
                )?;
                let before = setup.memblock().reserved().regions();
                let metadata = new_reservations(before, probe.memblock().reserved().regions());
                for &(s, e) in &metadata {
                    // SAFETY: nothing has touched the machine's memory yet: the core
                    // writes these ranges only in the boot below.
                    unsafe { mem.back_anonymous(PhysAddr(s), e - s)? };
                }
                populate_parallel(mem, &metadata)?;
                prepare_time = start.elapsed();
            }
        }
        let mut log = VecLog {
            start,
            lines: Vec::new(),
            times: Vec::new(),
        };
        let mut mm = boot_boxed(
            platform,
            setup.memblock().clone(),
            &cfg,
            mode,
            &mut log,
            &ThreadRunner::new(),
        )?;
        // setup_slub_debug runs from parse_args, after "Kernel command line:" and
        // before build_all_zonelists: its reports go before the zonelist lines.
        let unknown = setup.options().slub_debug_unknown();
        if !unknown.is_empty() {
            let at = log
                .lines
                .iter()
                .position(|(_, l)| {
                    l.starts_with("Fallback order for Node ") || l.starts_with("Built ")
                })
                .unwrap_or(log.lines.len());
            let t = log
                .times
                .get(at)
                .copied()
                .unwrap_or_else(|| start.elapsed());
            for (i, line) in unknown.into_iter().enumerate() {
                log.lines
                    .insert(at + i, (oxmm::slab::debug::SLUB_DEBUG_UNKNOWN, line));
                log.times.insert(at + i, t);
            }
        }
        // After the initcalls: the memory Linux frees late (initrd, init sections).
        for (s, e, name) in setup.late_frees() {
            mm.free_reserved_area(
                PhysAddr(*s),
                PhysAddr(*e),
                Some(oxmm::page_alloc::free_reserved::POISON_FREE_INITMEM),
                Some(name),
                &mut log,
            )
            .map_err(|reason| HostError::LateFree {
                name: name.clone(),
                start: *s,
                end: *e,
                reason,
            })?;
        }
        // init_on_alloc= / init_on_free=: set after the boot's frees (Linux wipes the
        // boot memory too; here free pages stay as they are and __GFP_ZERO is honoured).
        mm.set_meminit(meminit);
        // kernel_init: do_sysctl_args, once everything above is done.
        for a in &setup.options().sysctl {
            if let Some(line) = do_sysctl_arg(&mut mm, a) {
                log.line(Level::Err, format_args!("{line}"));
            }
        }
        Ok(HostedMachine {
            name: machine.name.clone(),
            mode,
            mm,
            log: log.lines,
            times: log.times,
            boot_time: start.elapsed(),
            prepare_time,
            slub,
        })
    }

    /// The slab allocator's boot parameters from the command line (`slub_debug=`,
    /// `slab_nomerge`; `init_on_alloc=`/`init_on_free=` are set on the `Mm`), for [`oxmm::slab::SlabCaches::init`].
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let mut m = Machine::profile("pc-8g").unwrap();
    /// m.apply_cmdline("slab_nomerge").unwrap();
    /// let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
    /// assert!(hm.slub_params().nomerge);
    /// ```
    pub fn slub_params(&self) -> SlubParams {
        self.slub
    }

    /// The machine's name.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert_eq!(hm.name(), "pc-8g");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How it was booted.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert_eq!(hm.mode(), BootMode::DescribeOnly);
    /// ```
    pub fn mode(&self) -> BootMode {
        self.mode
    }

    /// Wall time from the start of the setup to the end of the boot.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert!(hm.boot_time() >= hm.prepare_time());
    /// ```
    pub fn boot_time(&self) -> Duration {
        self.boot_time
    }

    /// The part of [`boot_time`](Self::boot_time) spent before the core's boot
    /// proper: setup, the description-only probe, and backing and faulting in the
    /// memory the core will write (zero for a description-only boot).
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::Full).unwrap();
    /// assert!(hm.prepare_time() <= hm.boot_time());
    /// ```
    pub fn prepare_time(&self) -> Duration {
        self.prepare_time
    }

    /// Every line the boot printed, with its level.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert!(hm.log().iter().any(|(_, l)| l.starts_with("Built 1 zonelists")));
    /// ```
    pub fn log(&self) -> &[(Level, String)] {
        &self.log
    }

    /// When each line of [`log`](Self::log) was printed, since the start of the boot.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert_eq!(hm.log_times().len(), hm.log().len());
    /// ```
    pub fn log_times(&self) -> &[Duration] {
        &self.times
    }

    /// The lines at `KERN_INFO` or more important (what a default `dmesg` shows).
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert!(hm.log_lines().iter().any(|l| l.starts_with("Memory: ")));
    /// ```
    pub fn log_lines(&self) -> Vec<String> {
        self.log
            .iter()
            .filter(|(l, _)| *l <= Level::Info)
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// The booted memory manager.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert_eq!(hm.mm().nodes().count(), 1);
    /// ```
    pub fn mm(&self) -> &Mm<HostPlatform> {
        &self.mm
    }

    /// The booted memory manager, for work after the boot (creating the slab caches,
    /// writing sysctls).
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let mut hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// hm.mm_mut().set_watermark_scale_factor(20).unwrap();
    /// assert_eq!(hm.mm().sysctl().watermark_scale_factor, 20);
    /// ```
    pub fn mm_mut(&mut self) -> &mut Mm<HostPlatform> {
        &mut self.mm
    }

    /// A short text summary: per node and zone the spanned, present, managed and free
    /// pages, and totals.
    ///
    /// ```
    /// use oxmm::mm::BootMode;
    /// use oxmm_host::{hosted::HostedMachine, machine::Machine};
    /// let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::DescribeOnly).unwrap();
    /// assert!(hm.memory_summary().contains("Node 0 DMA32"));
    /// ```
    pub fn memory_summary(&self) -> String {
        let mm = self.mm();
        let kib_per_page = mm.geometry().page_size() / 1024;
        let mut s = String::new();
        let mode = match self.mode {
            BootMode::Full => "full boot",
            BootMode::DescribeOnly => "description only",
        };
        let _ = writeln!(
            s,
            "Memory summary of {} ({mode}, {:.3} s of which {:.3} s preparing host memory, {} KiB pages):",
            self.name,
            self.boot_time.as_secs_f64(),
            self.prepare_time.as_secs_f64(),
            kib_per_page
        );
        let _ = writeln!(
            s,
            "  {:<18} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "node/zone", "start_pfn", "spanned", "present", "managed", "free"
        );
        let (mut spanned, mut present, mut managed, mut free) = (0u64, 0u64, 0u64, 0u64);
        for node in mm.nodes() {
            for zone in node.zones() {
                let name = format!("Node {} {}", node.nid().0, zone.zone_type().name());
                let _ = writeln!(
                    s,
                    "  {:<18} {:>#12x} {:>12} {:>12} {:>12} {:>12}",
                    name,
                    zone.start_pfn(),
                    zone.spanned_pages(),
                    zone.present_pages(),
                    zone.managed_pages(),
                    zone.free_pages()
                );
                spanned += zone.spanned_pages();
                present += zone.present_pages();
                managed += zone.managed_pages();
                free += zone.free_pages();
            }
        }
        let _ = writeln!(
            s,
            "  {:<18} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "total", "", spanned, present, managed, free
        );
        let mib = |pages: u64| pages * kib_per_page / 1024;
        let _ = writeln!(
            s,
            "  = {} MiB present, {} MiB managed, {} MiB free",
            mib(present),
            mib(managed),
            mib(free)
        );
        s
    }
}

/// Why a hosted machine could not be built or booted. Every variant names the value
/// that was wrong.
///
/// ```
/// use oxmm_host::hosted::HostError;
/// let e = HostError::PhysMemSize { size: 0, reason: "the physical address space is empty" };
/// assert!(e.to_string().contains("0 bytes"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The physical address space cannot have this size.
    #[error("physical memory of {size} bytes ({}): {reason}", human_size(*size))]
    PhysMemSize {
        /// The requested size in bytes.
        size: u64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A system call creating or mapping physical memory failed.
    #[error("physical memory of {size} bytes ({}): {call} failed: {source}", human_size(*size))]
    PhysMemSys {
        /// Bytes being created or mapped.
        size: u64,
        /// The failing call.
        call: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// A physical range outside the machine's memory.
    #[error("physical range {phys:#x}+{len:#x} is outside the machine's {size:#x} bytes of physical address space")]
    PhysOutOfRange {
        /// Start of the range.
        phys: u64,
        /// Its length.
        len: u64,
        /// Size of the physical address space.
        size: u64,
    },
    /// A physical range that is not page aligned where it must be.
    #[error("physical range {phys:#x}+{len:#x} is not aligned to 4 KiB host pages")]
    Unaligned {
        /// Start of the range.
        phys: u64,
        /// Its length.
        len: u64,
    },
    /// A physical range backed by anonymous memory, which cannot be mapped twice.
    #[error("physical range {phys:#x}+{len:#x} overlaps [{start:#x}, {end:#x}), which is backed by anonymous memory (the memory manager's own metadata) and cannot be aliased")]
    NotAliasable {
        /// Start of the requested range.
        phys: u64,
        /// Its length.
        len: u64,
        /// Start of the anonymous range it overlaps.
        start: u64,
        /// End of that range.
        end: u64,
    },
    /// A machine with no CPUs.
    #[error("the machine has 0 CPUs; at least one is needed")]
    NoCpus,
    /// The host cannot give CPU ownership's barrier (`membarrier`).
    #[error("membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) failed: {0}")]
    Membarrier(std::io::Error),
    /// The machine description or its architecture setup is wrong.
    #[error(transparent)]
    Machine(#[from] MachineError),
    /// The core's boot refused the machine.
    #[error("boot failed: {0}")]
    Boot(#[from] oxmm::boot::BootError),
    /// A `[[late_free]]` range could not be freed after boot.
    #[error("late free `{name}` {start:#x}-{:#x}: {reason}", end - 1)]
    LateFree {
        /// Its name.
        name: String,
        /// Start address.
        start: u64,
        /// End address (exclusive).
        end: u64,
        /// Why the core refused it.
        reason: oxmm::page_alloc::free_reserved::FreeReservedError,
    },
}

/// The 4 KiB-aligned parts of `after`'s reserved memory that `before` did not reserve:
/// what the core's boot allocated for itself and kept. Both lists are sorted and
/// non-overlapping, as memblock keeps them.
fn new_reservations(before: &[MemblockRegion], after: &[MemblockRegion]) -> Vec<(u64, u64)> {
    const PAGE: u64 = 4096;
    let mut out = Vec::new();
    let mut i = 0;
    for r in after {
        let (mut s, e) = (r.base.0, r.base.0.saturating_add(r.size));
        while i < before.len() && before[i].base.0.saturating_add(before[i].size) <= s {
            i += 1;
        }
        let mut j = i;
        while s < e {
            let (gap_end, next) = match before.get(j) {
                Some(b) if b.base.0 < e => (b.base.0.max(s), b.base.0.saturating_add(b.size)),
                _ => (e, e),
            };
            let (a, z) = (s.next_multiple_of(PAGE), gap_end / PAGE * PAGE);
            if a < z {
                out.push((a, z));
            }
            s = next.max(s);
            j += 1;
        }
    }
    out
}

/// Runs the core's per-node initialisation jobs (memmap writes and freeing into the
/// buddy lists; Linux: the per-node `deferred_init_memmap` threads) on up to one
/// thread per host core.
///
/// ```
/// use oxmm::boot::{NodeInitRunner};
/// use oxmm_host::hosted::ThreadRunner;
/// ThreadRunner::new().run_jobs(&mut []);
/// assert!(ThreadRunner::with_threads(0).threads() == 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ThreadRunner {
    threads: usize,
}

impl ThreadRunner {
    /// A runner with one thread per host core.
    ///
    /// ```
    /// use oxmm_host::hosted::ThreadRunner;
    /// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// assert_eq!(ThreadRunner::new().threads(), cores);
    /// assert_eq!(ThreadRunner::default().threads(), cores);
    /// ```
    pub fn new() -> ThreadRunner {
        ThreadRunner::with_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// A runner with `threads` threads (at least one).
    ///
    /// ```
    /// use oxmm::boot::{Arch, BootConfig};
    /// use oxmm::memblock::Memblock;
    /// use oxmm::mm::{BootMode, Mm};
    /// use oxmm::types::PhysAddr;
    /// use oxmm_host::hosted::ThreadRunner;
    /// # struct NoMem;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for NoMem {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (256 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(oxmm::mmzone::ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(oxmm::mmzone::ZoneType::Dma32, 0x10000);
    /// # cfg.zone_limits.set(oxmm::mmzone::ZoneType::Normal, 0x10000);
    /// let runner = ThreadRunner::with_threads(2);
    /// assert_eq!(runner.threads(), 2);
    /// let log = &mut oxmm::printk::NullLog;
    /// let mm = Mm::boot_with(NoMem, mb, &cfg, BootMode::DescribeOnly, log, &runner).unwrap();
    /// assert!(mm.nr_free_pages() > 0);
    /// ```
    pub fn with_threads(threads: usize) -> ThreadRunner {
        ThreadRunner {
            threads: threads.max(1),
        }
    }

    /// How many threads it uses at most.
    ///
    /// ```
    /// use oxmm_host::hosted::ThreadRunner;
    /// assert_eq!(ThreadRunner::with_threads(8).threads(), 8);
    /// assert_eq!(ThreadRunner::with_threads(0).threads(), 1); // at least one
    /// ```
    pub fn threads(&self) -> usize {
        self.threads
    }
}

impl Default for ThreadRunner {
    fn default() -> Self {
        ThreadRunner::new()
    }
}

impl NodeInitRunner for ThreadRunner {
    fn run_jobs(&self, jobs: &mut [NodeInitJob<'_>]) {
        let threads = self.threads.min(jobs.len());
        if threads <= 1 {
            jobs.iter_mut().for_each(NodeInitJob::run);
            return;
        }
        // Jobs differ in size (nodes differ): hand them out one at a time.
        let queue = Mutex::new(jobs.iter_mut());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    match job {
                        Some(j) => j.run(),
                        None => break,
                    }
                });
            }
        });
    }
}

/// [`Mm::boot_with`] straight into a heap slot: an `Mm` is hundreds of KiB, and a
/// boot that returned it by value would put one or two copies of it on the caller's
/// stack (a test thread's 2 MiB was once not enough).
fn boot_boxed(
    platform: HostPlatform,
    memblock: oxmm::memblock::Memblock,
    cfg: &oxmm::boot::BootConfig<'_>,
    mode: BootMode,
    log: &mut dyn Log,
    runner: &dyn NodeInitRunner,
) -> Result<Box<Mm<HostPlatform>>, oxmm::boot::BootError> {
    // An uninitialised value is not copied: the slot is made on the heap.
    let mut slot = Box::new(core::mem::MaybeUninit::<Mm<HostPlatform>>::uninit());
    Mm::boot_in_place(&mut slot, platform, memblock, cfg, mode, log, runner)?;
    // SAFETY: `boot_in_place` returned Ok, so it initialised the whole slot; a
    // `MaybeUninit<T>` has `T`'s layout, so the allocation is a `Box<T>`'s.
    Ok(unsafe { Box::from_raw(Box::into_raw(slot).cast::<Mm<HostPlatform>>()) })
}

/// Fault in `ranges` of `mem` on all the host's cores (the boot itself writes them on
/// one): allocating and zeroing a 1 TiB machine's 8 GiB of memmap is most of its boot.
fn populate_parallel(mem: &PhysMem, ranges: &[(u64, u64)]) -> Result<(), HostError> {
    const CHUNK: u64 = 64 << 20;
    let chunks: Vec<(u64, u64)> = ranges
        .iter()
        .flat_map(|&(s, e)| {
            (s..e)
                .step_by(CHUNK as usize)
                .map(move |c| (c, (c + CHUNK).min(e)))
        })
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(chunks.len());
    if threads <= 1 {
        for &(s, e) in &chunks {
            mem.populate(PhysAddr(s), e - s)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), HostError> {
                    while let Some(&(s, e)) = chunks.get(next.fetch_add(1, Ordering::Relaxed)) {
                        mem.populate(PhysAddr(s), e - s)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().unwrap_or(Ok(())))
    })
}

/// `1.5 GiB`-style size for error messages.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxmm::memblock::MemblockFlags;

    fn r(base: u64, size: u64) -> MemblockRegion {
        MemblockRegion {
            base: PhysAddr(base),
            size,
            flags: MemblockFlags::empty(),
            nid: None,
        }
    }

    #[test]
    fn new_reservations_are_the_page_aligned_difference() {
        let before = [r(0x0, 0x1000), r(0x10_0000, 0x10_0000), r(0x80_0000, 0x800)];
        let after = [
            r(0x0, 0x1000),           // unchanged
            r(0x8_0000, 0x18_0000),   // grew on both sides of 0x100000-0x1fffff
            r(0x7f_f800, 0x1800),     // partial pages around a small old one
            r(0x100_0000, 0x40_0000), // brand new
        ];
        assert_eq!(
            new_reservations(&before, &after),
            vec![(0x8_0000, 0x10_0000), (0x100_0000, 0x140_0000)]
        );
        assert!(new_reservations(&before, &before).is_empty());
        assert_eq!(
            new_reservations(&[], &[r(0x1800, 0x3000)]),
            vec![(0x2000, 0x4000)]
        );
    }
}
