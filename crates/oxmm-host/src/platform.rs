//! [`HostPlatform`]: the `oxmm` platform boundary implemented on process memory.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use oxmm::platform::Platform;
use oxmm::types::VirtAddr;

use crate::physmem::PhysMem;

/// The hosted machine as the core sees it: the direct map is a [`PhysMem`], CPU ids are
/// the host CPUs the calling threads first ran on (cached per thread, folded into the
/// machine's CPU count; see [`bind_this_thread`] to choose one), and
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
}

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
        })
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

impl Platform for HostPlatform {
    // On every kfree and slab free: a call would cost more than the load.
    #[inline]
    fn direct_map_base(&self) -> *mut u8 {
        self.mem.as_ref().map_or(std::ptr::null_mut(), |m| m.base())
    }

    #[inline]
    fn cpu_id(&self) -> usize {
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

    fn nr_cpus(&self) -> usize {
        self.nr_cpus
    }

    fn flush_tlb_range(&self, start: VirtAddr, end: VirtAddr) {
        self.tlb_flushes.fetch_add(1, Ordering::Relaxed);
        self.tlb_flushed_bytes
            .fetch_add(end.0.saturating_sub(start.0), Ordering::Relaxed);
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
