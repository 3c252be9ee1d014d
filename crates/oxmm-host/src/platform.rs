//! [`HostPlatform`]: the `oxmm` platform boundary implemented on process memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use oxmm::platform::Platform;
use oxmm::types::VirtAddr;

use crate::physmem::PhysMem;

/// The hosted machine as the core sees it: the direct map is a [`PhysMem`], CPU ids are
/// the host CPUs the calling threads run on (folded into the machine's CPU count), and
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

std::thread_local! {
    /// The host CPU last seen by this thread, and how many more calls may reuse it.
    static HOST_CPU: std::cell::Cell<(u32, u32)> = const { std::cell::Cell::new((0, 0)) };
}

std::thread_local! {
    /// The CPU this thread is pinned to ([`pin_thread_cpu`]), `usize::MAX` for none.
    static PINNED_CPU: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// Make the calling thread report host CPU `cpu` to every hosted machine (`None`: the
/// CPU it really runs on, the default). A command that boots a machine and prints its
/// state pins itself to CPU 0 — Linux's boot CPU — so that which per-CPU lists and
/// slabs it used, and so its output, does not depend on where the host scheduled it.
///
/// ```
/// use oxmm::platform::Platform;
/// let p = oxmm_host::platform::HostPlatform::without_memory(4).unwrap();
/// oxmm_host::platform::pin_thread_cpu(Some(2));
/// assert_eq!(p.cpu_id(), 2);
/// oxmm_host::platform::pin_thread_cpu(None);
/// assert!(p.cpu_id() < 4);
/// ```
pub fn pin_thread_cpu(cpu: Option<usize>) {
    PINNED_CPU.with(|c| c.set(cpu.unwrap_or(usize::MAX)));
}

/// The calling thread's host CPU, asked of the kernel (`getcpu`) every 64th call:
/// the answer is stale the moment it returns anyway, and per-CPU data is locked, so a
/// thread that migrated keeps using its old CPU's data for a few calls, correctly.
#[inline]
fn host_cpu() -> usize {
    let pinned = PINNED_CPU.with(|c| c.get());
    if pinned != usize::MAX {
        return pinned;
    }
    HOST_CPU.with(|c| {
        let (cpu, left) = c.get();
        if left > 0 {
            c.set((cpu, left - 1));
            cpu as usize
        } else {
            let cpu = rustix::process::sched_getcpu();
            c.set((cpu as u32, 63));
            cpu
        }
    })
}

impl Platform for HostPlatform {
    #[inline]
    fn direct_map_base(&self) -> *mut u8 {
        self.mem.as_ref().map_or(std::ptr::null_mut(), |m| m.base())
    }

    #[inline]
    fn cpu_id(&self) -> usize {
        // The host may have fewer or more CPUs than the machine: fold, so per-CPU data
        // indexed by this id always exists and threads on different host CPUs spread.
        let cpu = host_cpu();
        if cpu < self.nr_cpus {
            cpu
        } else {
            cpu % self.nr_cpus
        }
    }

    #[inline]
    fn nr_cpus(&self) -> usize {
        self.nr_cpus
    }

    fn flush_tlb_range(&self, start: VirtAddr, end: VirtAddr) {
        self.tlb_flushes.fetch_add(1, Ordering::Relaxed);
        self.tlb_flushed_bytes
            .fetch_add(end.0.saturating_sub(start.0), Ordering::Relaxed);
    }
}
