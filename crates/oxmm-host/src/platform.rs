//! [`HostPlatform`]: the `oxmm` platform boundary implemented on process memory.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use oxmm::local_lock::ThisCpu;
use oxmm::platform::{Platform, SavedStack};
use oxmm::printk::Level;
use oxmm::types::VirtAddr;

use crate::physmem::PhysMem;
use crate::symbols::StackDepot;

/// The hosted machine as the core sees it: the direct map is a [`PhysMem`], CPU ids are
/// the host CPUs the calling threads first ran on (cached per thread, folded into the
/// machine's CPU count; see [`bind_this_thread`] to choose one) or, with
/// [`HostPlatform::enable_cpu_ownership`], CPUs each thread owns alone, and
/// TLB flushes are only counted — oxmm's own page tables are never loaded into the
/// host's MMU, so there is nothing to flush.
///
/// ```
/// use std::sync::Arc;
/// use oxmm::platform::Platform;
/// use oxmm::types::{PhysAddr, VirtAddr};
/// use oxmm_host::{physmem::PhysMem, platform::HostPlatform};
/// let mem = Arc::new(PhysMem::new(1 << 20).unwrap());
/// let p = HostPlatform::new(mem.clone(), 4).unwrap();
/// assert_eq!(p.nr_cpus(), 4);
/// assert!(p.cpu_id() < 4);
/// assert_eq!(p.phys_to_virt(PhysAddr(0x10)).0, mem.base() as u64 + 0x10);
/// p.flush_tlb_range(VirtAddr(0), VirtAddr(0x1000));
/// assert_eq!(p.tlb_flushes(), 1);
/// ```
#[derive(Debug)]
pub struct HostPlatform {
    // `None` for a description-only boot of a machine too large to map.
    mem: Option<Arc<PhysMem>>,
    nr_cpus: usize,
    tlb_flushes: AtomicU64,
    tlb_flushed_bytes: AtomicU64,
    // `Some` once threads may own CPUs (see `enable_cpu_ownership`).
    owners: Option<Arc<CpuOwners>>,
    // `owners`' serial (0: none), here so `this_cpu` compares without following the Arc.
    serial: u64,
    // Run-time printk lines while capturing (see `capture_printk`); `None`: discarded.
    klog: Mutex<Option<Vec<(Level, String)>>>,
    // Set once slab tracks keep their stacks (see `enable_stack_depot`).
    depot: OnceLock<StackDepot>,
    // dump_stack's `Hardware name:` (see `set_hardware_name`).
    hardware_name: OnceLock<String>,
}

/// Which thread owns each CPU of one platform (0: nobody).
#[derive(Debug)]
struct CpuOwners {
    serial: u64,
    slots: Box<[OwnerSlot]>,
}

#[derive(Debug)]
#[repr(align(64))]
struct OwnerSlot(AtomicU64);

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

impl HostPlatform {
    /// A platform over `mem` with `nr_cpus` possible CPUs (at least one).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oxmm_host::{physmem::PhysMem, platform::HostPlatform};
    /// let mem = Arc::new(PhysMem::new(4096).unwrap());
    /// assert!(HostPlatform::new(mem, 0).is_err());
    /// ```
    pub fn new(
        mem: Arc<PhysMem>,
        nr_cpus: usize,
    ) -> Result<HostPlatform, crate::hosted::HostError> {
        if nr_cpus == 0 {
            return Err(crate::hosted::HostError::NoCpus);
        }
        Ok(HostPlatform {
            mem: Some(mem),
            nr_cpus,
            tlb_flushes: AtomicU64::new(0),
            tlb_flushed_bytes: AtomicU64::new(0),
            owners: None,
            serial: 0,
            klog: Mutex::new(None),
            depot: OnceLock::new(),
            hardware_name: OnceLock::new(),
        })
    }

    /// A platform with no memory behind it (a null direct map), for booting only the
    /// description of a machine whose address space cannot be mapped on this host.
    ///
    /// ```
    /// use oxmm::platform::Platform;
    /// use oxmm_host::platform::HostPlatform;
    /// let p = HostPlatform::without_memory(2).unwrap();
    /// assert!(p.direct_map_base().is_null() && p.physmem().is_none());
    /// ```
    pub fn without_memory(nr_cpus: usize) -> Result<HostPlatform, crate::hosted::HostError> {
        if nr_cpus == 0 {
            return Err(crate::hosted::HostError::NoCpus);
        }
        Ok(HostPlatform {
            mem: None,
            nr_cpus,
            tlb_flushes: AtomicU64::new(0),
            tlb_flushed_bytes: AtomicU64::new(0),
            owners: None,
            serial: 0,
            klog: Mutex::new(None),
            depot: OnceLock::new(),
            hardware_name: OnceLock::new(),
        })
    }

    /// The machine's name for the `Hardware name:` line of `dump_stack()` (Linux's
    /// `dump_stack_set_arch_desc`, which x86 calls with the DMI string); the first
    /// call sets it, later ones are ignored, as the boot sets it once.
    ///
    /// ```
    /// use oxmm::platform::Platform;
    /// use oxmm_host::platform::HostPlatform;
    /// let p = HostPlatform::without_memory(1).unwrap();
    /// p.set_hardware_name("QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2 04/01/2014");
    /// p.capture_printk();
    /// p.dump_stack(false);
    /// let log = p.take_printk();
    /// assert!(log[1].1.starts_with("Hardware name: QEMU Standard PC"));
    /// ```
    #[doc(alias = "dump_stack_set_arch_desc")]
    pub fn set_hardware_name(&self, name: &str) {
        let _ = self.hardware_name.set(name.to_string());
    }

    /// Keep the run-time kernel log (slab reports, bad-page reports, allocation
    /// warnings) from now on, for [`HostPlatform::take_printk`]; until called, the
    /// platform discards it as the core's default `printk` does.
    ///
    /// ```
    /// use oxmm::platform::Platform;
    /// use oxmm::printk::Level;
    /// use oxmm_host::platform::HostPlatform;
    /// let p = HostPlatform::without_memory(1).unwrap();
    /// p.printk(Level::Err, format_args!("lost"));
    /// p.capture_printk();
    /// p.printk(Level::Err, format_args!("kept {}", 1));
    /// assert_eq!(p.take_printk(), [(Level::Err, "kept 1".to_string())]);
    /// ```
    pub fn capture_printk(&self) {
        let mut g = self.klog.lock().unwrap_or_else(|e| e.into_inner());
        g.get_or_insert_with(Vec::new);
    }

    /// The run-time kernel log lines captured since the last call (capturing goes on).
    ///
    /// ```
    /// let p = oxmm_host::platform::HostPlatform::without_memory(1).unwrap();
    /// assert!(p.take_printk().is_empty());
    /// ```
    pub fn take_printk(&self) -> Vec<(Level, String)> {
        let mut g = self.klog.lock().unwrap_or_else(|e| e.into_inner());
        g.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Let slab tracks keep their call stacks (Linux's `CONFIG_STACKDEPOT` with
    /// `slub_debug=U`) from now on: each tracked allocation and free of a
    /// `SLAB_STORE_USER` cache saves its stack in a depot and records the true return
    /// address into its caller, and reports print both by name. A stack walk per
    /// tracked operation, so off until asked for; the depot allocates from the
    /// process heap, so a machine serving that heap must not enable it.
    ///
    /// ```
    /// use oxmm::platform::Platform;
    /// use oxmm_host::platform::HostPlatform;
    /// let p = HostPlatform::without_memory(1).unwrap();
    /// assert_eq!(p.stack_depot_save().handle, 0);
    /// p.enable_stack_depot();
    /// assert_eq!(p.stack_depot_save().handle, 1);
    /// ```
    pub fn enable_stack_depot(&self) {
        self.depot.get_or_init(StackDepot::default);
    }

    fn capturing(&self) -> bool {
        self.klog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// The physical memory behind the direct map, if any.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oxmm_host::{physmem::PhysMem, platform::HostPlatform};
    /// let p = HostPlatform::new(Arc::new(PhysMem::new(8192).unwrap()), 1).unwrap();
    /// assert_eq!(p.physmem().unwrap().size(), 8192);
    /// ```
    pub fn physmem(&self) -> Option<&Arc<PhysMem>> {
        self.mem.as_ref()
    }

    /// Let threads own CPUs: from now on each thread that uses this platform claims a
    /// CPU id no other thread has (its [`this_thread_cpu`] if free, else the first free
    /// one) and reaches that CPU's per-CPU data without atomic instructions (see
    /// [`oxmm::local_lock`]); a thread that finds every CPU owned runs as a shared CPU
    /// and pays a `membarrier` system call per per-CPU operation. A thread keeps its
    /// CPU until it exits or calls [`HostPlatform::release_this_thread`].
    ///
    /// Fails if the host has no `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` (Linux
    /// 4.14+), which the other threads' drains need to see an owner's stores.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oxmm::platform::Platform;
    /// use oxmm_host::{physmem::PhysMem, platform::HostPlatform};
    /// let mut p = HostPlatform::new(Arc::new(PhysMem::new(4096).unwrap()), 2).unwrap();
    /// p.enable_cpu_ownership().unwrap();
    /// let me = p.this_cpu();
    /// assert!(me.is_owned() && p.cpu_owned(me.id));
    /// let p = Arc::new(p);
    /// let q = p.clone();
    /// let other = std::thread::spawn(move || q.this_cpu()).join().unwrap();
    /// assert!(other.is_owned() && other.id != me.id);
    /// assert!(!p.cpu_owned(other.id)); // given back when that thread exited
    /// ```
    pub fn enable_cpu_ownership(&mut self) -> Result<(), crate::hosted::HostError> {
        use rustix::process::{membarrier, MembarrierCommand};
        membarrier(MembarrierCommand::RegisterPrivateExpedited)
            .map_err(|e| crate::hosted::HostError::Membarrier(e.into()))?;
        self.serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        self.owners = Some(Arc::new(CpuOwners {
            serial: self.serial,
            slots: (0..self.nr_cpus)
                .map(|_| OwnerSlot(AtomicU64::new(0)))
                .collect(),
        }));
        Ok(())
    }

    /// Give back the calling thread's CPU of this platform, if it owns one: its next
    /// use claims one again. For a thread that is done with the machine but lives on
    /// (a benchmark's main thread before it starts workers).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oxmm::platform::Platform;
    /// use oxmm_host::{physmem::PhysMem, platform::HostPlatform};
    /// let mut p = HostPlatform::new(Arc::new(PhysMem::new(4096).unwrap()), 1).unwrap();
    /// p.enable_cpu_ownership().unwrap();
    /// assert!(p.this_cpu().is_owned());
    /// p.release_this_thread();
    /// assert!(!p.cpu_owned(0));
    /// ```
    pub fn release_this_thread(&self) {
        let Some(o) = &self.owners else { return };
        clear_fast();
        let _ = CLAIMS.try_with(|c| {
            for e in c.0.borrow_mut().iter_mut() {
                if e.as_ref().is_some_and(|e| e.owners.serial == o.serial) {
                    *e = None; // Claim's drop gives the CPU back
                }
            }
        });
    }

    /// [`Platform::this_cpu`] for a thread that does not own a CPU here (yet): the
    /// shared CPU it was given, a platform without owned CPUs, or a first call.
    #[inline(never)]
    fn this_cpu_not_owned(&self) -> ThisCpu {
        if let Some(me) = fast_shared_cpu(self.serial) {
            return me;
        }
        if self.serial == 0 {
            return ThisCpu::shared(self.shared_cpu_id());
        }
        self.this_cpu_miss()
    }

    /// [`Platform::this_cpu`] when the thread's cached CPU is of another platform.
    #[cold]
    #[inline(never)]
    fn this_cpu_miss(&self) -> ThisCpu {
        match &self.owners {
            Some(o) => self.this_cpu_slow(o),
            None => ThisCpu::shared(self.shared_cpu_id()),
        }
    }

    /// The calling thread's CPU when CPUs can be owned: claim one on first use.
    #[cold]
    fn this_cpu_slow(&self, o: &Arc<CpuOwners>) -> ThisCpu {
        let n = self.nr_cpus;
        let found = CLAIMS.try_with(|c| {
            let c = c.0.borrow();
            c.iter()
                .flatten()
                .find(|e| e.owners.serial == o.serial)
                .map(|e| e.me)
        });
        let want = this_thread_cpu() % n;
        match found {
            Ok(Some(me)) => {
                set_fast(o.serial, me);
                return me;
            }
            // The thread is exiting and its claims are gone: run shared.
            Err(_) => return ThisCpu::shared(want),
            Ok(None) => {}
        }
        let token = TOKEN.get().unwrap_or_else(|| {
            let t = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
            TOKEN.set(Some(t));
            t
        });
        let claimed = (0..n).map(|i| (want + i) % n).find(|&i| {
            o.slots[i]
                .0
                .compare_exchange(0, token, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
        });
        // Order the claim before this thread's first look at any gate (local_lock).
        std::sync::atomic::fence(Ordering::SeqCst);
        let me = match claimed {
            // SAFETY: `id < n`, this platform's fixed `nr_cpus`; the compare-exchange
            // made this thread CPU `id`'s only owner
            // until its Claim is dropped (thread exit or release_this_thread, never
            // inside the core); `cpu_owned` reads the same slot, and
            // `barrier_owned_cpus` is membarrier, registered before any claim.
            Some(id) => unsafe { ThisCpu::owned(id) },
            None => ThisCpu::shared(want),
        };
        let entry = Claim {
            owners: o.clone(),
            me,
        };
        let stored = CLAIMS.try_with(|c| {
            let mut c = c.0.borrow_mut();
            match c.iter_mut().find(|e| e.is_none()) {
                Some(slot) => {
                    *slot = Some(entry);
                    None
                }
                None => Some(entry),
            }
        });
        match stored {
            Ok(None) => {
                set_fast(o.serial, me);
                me
            }
            // No room to remember the claim (or the thread is exiting): the dropped
            // entry gave it back; run shared.
            _ => ThisCpu::shared(want),
        }
    }

    /// How many TLB flushes the core asked for.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oxmm_host::{physmem::PhysMem, platform::HostPlatform};
    /// let p = HostPlatform::new(Arc::new(PhysMem::new(8192).unwrap()), 1).unwrap();
    /// assert_eq!(p.tlb_flushes(), 0);
    /// ```
    pub fn tlb_flushes(&self) -> u64 {
        self.tlb_flushes.load(Ordering::Relaxed)
    }

    /// Total bytes of virtual address ranges the core asked to flush.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oxmm::platform::Platform;
    /// use oxmm::types::VirtAddr;
    /// use oxmm_host::{physmem::PhysMem, platform::HostPlatform};
    /// let p = HostPlatform::new(Arc::new(PhysMem::new(8192).unwrap()), 1).unwrap();
    /// p.flush_tlb_range(VirtAddr(0x3000), VirtAddr(0x1000)); // backwards: counts 0 bytes
    /// assert_eq!(p.tlb_flushed_bytes(), 0);
    /// ```
    pub fn tlb_flushed_bytes(&self) -> u64 {
        self.tlb_flushed_bytes.load(Ordering::Relaxed)
    }
}

/// A thread's CPU of one platform; dropping it gives an owned CPU back.
struct Claim {
    owners: Arc<CpuOwners>,
    me: ThisCpu,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.me.is_owned() {
            // Release: the next owner (or a non-owner that sees it unowned) sees
            // everything this thread wrote to the CPU's data.
            self.owners.slots[self.me.id].0.store(0, Ordering::Release);
        }
    }
}

/// The CPUs a thread holds, one entry per platform it used (a thread using more than
/// four machines at once runs shared on the others).
struct Claims(RefCell<[Option<Claim>; 4]>);

impl Drop for Claims {
    fn drop(&mut self) {
        // Destructors running after this one may still allocate: they must not take
        // the owner's path on CPUs given back (the entries' drops give them back).
        clear_fast();
    }
}

/// [`Fast::serial`] naming no platform: not 0, the serial of every platform without
/// owned CPUs, which must miss (serials of the others count up from 1).
const FAST_NONE: u64 = u64::MAX;

/// The thread's cached CPU: the serial of the last platform asked ([`FAST_NONE`]:
/// none) and the thread's CPU there, kept apart for an owned CPU and a shared one, so
/// that the owner's test is one compare and the CPU is known owned without another
/// test. Word-sized cells read in place, not one (serial, CPU) tuple copied out: the
/// tuple's `LocalKey::get` was left out of line in the page allocator's large entry
/// points (~22 instructions on both halves of a pair).
struct Fast {
    /// The platform on which this thread owns CPU `id`.
    serial: Cell<u64>,
    id: Cell<usize>,
    /// The platform on which this thread runs on CPU `shared_id` without owning it.
    shared_serial: Cell<u64>,
    shared_id: Cell<usize>,
}

/// The CPU this thread owns on the platform whose serial is `serial`, if cached. By
/// `try_with`, whose instance (no panic path) LLVM inlines into the page allocator's
/// entry points, where `with`'s stayed out of line.
#[inline(always)]
fn fast_owned_cpu(serial: u64) -> Option<ThisCpu> {
    FAST.try_with(|f| {
        // SAFETY: `serial` is set only from this thread's own claim of CPU `id` in
        // `this_cpu_slow`, and forgotten before that claim is given back; the claim
        // made the promises `ThisCpu::owned` asks for.
        (f.serial.get() == serial).then(|| unsafe { ThisCpu::owned(f.id.get()) })
    })
    .ok()
    .flatten()
}

/// The CPU this thread shares on the platform whose serial is `serial`, if cached.
fn fast_shared_cpu(serial: u64) -> Option<ThisCpu> {
    FAST.try_with(|f| (f.shared_serial.get() == serial).then(|| ThisCpu::shared(f.shared_id.get())))
        .ok()
        .flatten()
}

/// Remember `me` as the thread's CPU on the platform whose serial is `serial`.
fn set_fast(serial: u64, me: ThisCpu) {
    FAST.with(|f| {
        if me.is_owned() {
            f.id.set(me.id);
            f.serial.set(serial);
        } else {
            f.shared_id.set(me.id);
            f.shared_serial.set(serial);
        }
    });
}

/// Forget the thread's cached CPU (before its claim is given back).
fn clear_fast() {
    let _ = FAST.try_with(|f| {
        f.serial.set(FAST_NONE);
        f.shared_serial.set(FAST_NONE);
    });
}

std::thread_local! {
    // See `Fast`.
    static FAST: Fast = const {
        Fast {
            serial: Cell::new(FAST_NONE),
            id: Cell::new(0),
            shared_serial: Cell::new(FAST_NONE),
            shared_id: Cell::new(0),
        }
    };
    static TOKEN: Cell<Option<u64>> = const { Cell::new(None) };
    // Dropped at thread exit, giving the thread's CPUs back.
    static CLAIMS: Claims = const { Claims(RefCell::new([const { None }; 4])) };
}

// SAFETY: the direct map is null (`without_memory`) or the `PhysMem` mapping of the
// machine's memory, page-aligned (mmap), as large as the machine and kept alive by
// the platform's `Arc` for as long as the platform; nothing else of the process
// writes it but through the `Mm`.
unsafe impl Platform for HostPlatform {
    // On every kfree and slab free: a call would cost more than the load.
    #[inline]
    fn direct_map_base(&self) -> *mut u8 {
        self.mem.as_ref().map_or(std::ptr::null_mut(), |m| m.base())
    }

    // On both halves of every per-CPU operation: a call would cost more than the body.
    #[inline(always)]
    fn this_cpu(&self) -> ThisCpu {
        // Cached from this thread's own claim in `this_cpu_slow` (cleared before the
        // claim is given back); never for a platform without owned CPUs (serial 0).
        // An owner's test is the only one inlined: the CPU is then known owned.
        if let Some(me) = fast_owned_cpu(self.serial) {
            return me;
        }
        self.this_cpu_not_owned()
    }

    #[inline(always)]
    fn this_cpu_owned(&self) -> Option<ThisCpu> {
        fast_owned_cpu(self.serial)
    }

    #[inline]
    fn cpu_ownership(&self) -> bool {
        self.owners.is_some()
    }

    #[inline]
    fn cpu_owned(&self, cpu: usize) -> bool {
        self.owners
            .as_ref()
            .and_then(|o| o.slots.get(cpu))
            .is_some_and(|s| s.0.load(Ordering::SeqCst) != 0)
    }

    fn barrier_owned_cpus(&self) {
        use rustix::process::{membarrier, MembarrierCommand};
        if self.owners.is_none() {
            std::sync::atomic::fence(Ordering::SeqCst);
            return;
        }
        // Registered in enable_cpu_ownership, so the kernel accepts it; without the
        // barrier an owner's stores could be missed, so there is no safe way on.
        if membarrier(MembarrierCommand::PrivateExpedited).is_err() {
            eprintln!("oxmm: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed");
            std::process::abort();
        }
    }

    #[inline]
    fn cpu_id(&self) -> usize {
        self.this_cpu().id
    }

    fn nr_cpus(&self) -> usize {
        self.nr_cpus
    }

    fn flush_tlb_range(&self, start: VirtAddr, end: VirtAddr) {
        self.tlb_flushes.fetch_add(1, Ordering::Relaxed);
        self.tlb_flushed_bytes
            .fetch_add(end.0.saturating_sub(start.0), Ordering::Relaxed);
    }

    fn symbolize(&self, addr: usize, out: &mut dyn std::fmt::Write) -> std::fmt::Result {
        crate::symbols::sprint_symbol(addr, out)
    }

    fn stack_depot_save(&self) -> SavedStack {
        match self.depot.get() {
            Some(d) => {
                let (handle, caller) = d.save_current();
                SavedStack { handle, caller }
            }
            None => SavedStack::default(),
        }
    }

    // stack_trace_print at KERN_DEFAULT (shown at the default console level, warning).
    fn stack_depot_print(&self, handle: u32) {
        let entries = self.depot.get().and_then(|d| d.fetch(handle));
        for ip in entries.unwrap_or_default() {
            let mut s = String::new();
            let _ = crate::symbols::sprint_symbol(ip, &mut s);
            self.printk(Level::Warning, format_args!(" {s}"));
        }
    }

    // dump_stack_lvl(KERN_DEFAULT): the header and the call trace, only when someone
    // keeps the log (the walk and the names cost milliseconds).
    fn dump_stack(&self, tainted: bool) {
        if !self.capturing() {
            return;
        }
        let comm: String = std::thread::current()
            .name()
            .unwrap_or("oxmm")
            .chars()
            .take(15)
            .collect();
        self.printk(
            Level::Warning,
            format_args!(
                "CPU: {} UID: 0 PID: {} Comm: {comm} {} 6.12.0 #1",
                self.cpu_id(),
                self.current_pid(),
                oxmm::slab::debug::Tainted(tainted)
            ),
        );
        if let Some(name) = self.hardware_name.get() {
            self.printk(Level::Warning, format_args!("Hardware name: {name}"));
        }
        self.printk(Level::Warning, format_args!("Call Trace:"));
        self.printk(Level::Warning, format_args!(" <TASK>"));
        for line in crate::symbols::call_trace() {
            self.printk(Level::Warning, format_args!("{line}"));
        }
        self.printk(Level::Warning, format_args!(" </TASK>"));
    }

    fn printk(&self, level: Level, args: std::fmt::Arguments<'_>) {
        let mut g = self.klog.lock().unwrap_or_else(|e| e.into_inner());
        // Formatted only when kept: a discarded line costs no allocation.
        if let Some(v) = g.as_mut() {
            v.push((level, args.to_string()));
        }
    }
}

impl HostPlatform {
    #[inline]
    fn shared_cpu_id(&self) -> usize {
        // The host may have fewer or more CPUs than the machine: fold, so per-CPU data
        // indexed by this id always exists and threads on different host CPUs spread.
        let cpu = this_thread_cpu();
        // No division in the common case (it would cost more than the rest of cpu_id).
        if cpu < self.nr_cpus {
            cpu
        } else {
            cpu % self.nr_cpus
        }
    }
}

std::thread_local! {
    // The calling thread's CPU id; `usize::MAX` until first asked for or bound.
    static THIS_CPU: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's CPU id as every [`HostPlatform`] sees it (before folding into
/// the machine's CPU count): the one given to [`bind_this_thread`], else the host CPU
/// the thread ran on when first asked.
///
/// The id is cached: a system call per allocation would cost more than the allocation
/// itself, and a thread that the host later migrates keeps using "its" CPU's lists,
/// which stays correct because each CPU's lists have their own lock (as a kernel task
/// preempted between `this_cpu_ptr` and `pcp_spin_trylock` can do).
///
/// ```
/// use oxmm_host::platform::{bind_this_thread, this_thread_cpu};
/// let first = this_thread_cpu();
/// assert_eq!(this_thread_cpu(), first);
/// std::thread::spawn(|| {
///     bind_this_thread(5);
///     assert_eq!(this_thread_cpu(), 5);
/// })
/// .join()
/// .unwrap();
/// ```
#[inline]
pub fn this_thread_cpu() -> usize {
    let cpu = THIS_CPU.get();
    if cpu != usize::MAX {
        return cpu;
    }
    first_cpu()
}

/// The thread's first [`this_thread_cpu`]: where the host runs it now.
#[cold]
fn first_cpu() -> usize {
    let cpu = rustix::process::sched_getcpu();
    THIS_CPU.set(cpu);
    cpu
}

/// Run the calling thread as CPU `cpu` (folded into each machine's CPU count) from now
/// on, so threads that should not share per-CPU lists get ids of their own whatever
/// host CPUs they run on.
///
/// ```
/// use std::sync::Arc;
/// use oxmm::platform::Platform;
/// use oxmm_host::{physmem::PhysMem, platform::{bind_this_thread, HostPlatform}};
/// let p = HostPlatform::new(Arc::new(PhysMem::new(4096).unwrap()), 4).unwrap();
/// std::thread::spawn(move || {
///     bind_this_thread(6);
///     assert_eq!(p.cpu_id(), 2);
/// })
/// .join()
/// .unwrap();
/// ```
pub fn bind_this_thread(cpu: usize) {
    THIS_CPU.set(cpu);
}
