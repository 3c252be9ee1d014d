//! The platform boundary: everything the core needs from the machine.
//!
//! A kernel implements [`Platform`] on real hardware; `oxmm-host` implements it on
//! process memory (a memfd mapped as the direct map); tests may use a deterministic one.

use crate::types::{PhysAddr, VirtAddr};

/// What the core needs from the machine it manages.
///
/// ```
/// use oxmm::platform::Platform;
/// use oxmm::types::{PhysAddr, VirtAddr};
/// struct Fixed;
/// // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// // buffer, as large as the machine and used by nothing else.
/// unsafe impl Platform for Fixed {
///     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
///     fn cpu_id(&self) -> usize { 0 }
///     fn nr_cpus(&self) -> usize { 1 }
///     fn flush_tlb_range(&self, _s: VirtAddr, _e: VirtAddr) {}
/// }
/// assert_eq!(Fixed.nr_cpus(), 1);
/// assert_eq!(Fixed.phys_to_virt(PhysAddr(0x1000)).0, 0x1000);
/// ```
///
/// # Safety
///
/// A Full boot ([`BootMode::Full`](crate::mm::BootMode::Full)) reads and writes the
/// machine's memory through [`Platform::direct_map_base`], from safe code: an
/// implementation must return either null (a platform that only boots descriptions)
/// or, always the same, the start of a mapping on a page boundary, readable and
/// writable for as long as the platform value lives, of every physical address the
/// boot's memblock describes, which nothing else accesses except through the `Mm`.
pub unsafe trait Platform {
    /// Virtual address of physical address 0 in the direct map (Linux: `PAGE_OFFSET`).
    /// Physical address `p` is mapped at `direct_map_base() + p`. It may be null for a
    /// platform that only boots descriptions and never touches the memory; otherwise
    /// it must lie on a page boundary, as `PAGE_OFFSET` does (a Full boot refuses it
    /// with [`BootError::DirectMapMisaligned`](crate::boot::BootError::DirectMapMisaligned)).
    #[doc(alias = "PAGE_OFFSET")]
    fn direct_map_base(&self) -> *mut u8;

    /// The CPU the caller runs on (Linux: `smp_processor_id`).
    #[doc(alias = "smp_processor_id")]
    fn cpu_id(&self) -> usize;

    /// Number of possible CPUs (Linux: `nr_cpu_ids`).
    #[doc(alias = "nr_cpu_ids")]
    fn nr_cpus(&self) -> usize;

    /// Flush the TLB for `[start, end)` on every CPU (Linux: `flush_tlb_kernel_range`).
    #[doc(alias = "flush_tlb_kernel_range")]
    fn flush_tlb_range(&self, start: VirtAddr, end: VirtAddr);

    /// `printk` at run time (bad-page reports, allocation-failure warnings, slab
    /// reports). The default discards the message.
    fn printk(&self, _level: crate::printk::Level, _args: core::fmt::Arguments<'_>) {}

    /// A random word (Linux: `get_random_long`), for per-cache secrets and free-list
    /// shuffling. The default is a fixed sequence (splitmix64 over a global counter):
    /// deterministic, not secret.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// assert_ne!(P.random_u64(), P.random_u64());
    /// ```
    #[doc(alias = "get_random_long")]
    fn random_u64(&self) -> u64 {
        static SEED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
        let mut z = SEED
            .fetch_add(0x9e37_79b9_7f4a_7c15, core::sync::atomic::Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The tick count (Linux: `jiffies`), for slab tracking ages. The default is 0.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// assert_eq!(P.jiffies(), 0);
    /// ```
    fn jiffies(&self) -> u64 {
        0
    }

    /// The running task's pid (Linux: `current->pid`), for slab tracking. The default is 0.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// assert_eq!(P.current_pid(), 0);
    /// ```
    fn current_pid(&self) -> i32 {
        0
    }

    /// `%pS` (vsprintf's `symbol_string`): write code address `addr` as a symbol. The
    /// default is a kernel without `CONFIG_KALLSYMS` (`special_hex_number`: `0x` and
    /// 16 zero-padded hex digits). A platform that can name code writes
    /// `sprint_symbol`'s `name+0xoff/0xsize`, and `0x…` (unpadded) for an address it
    /// cannot name.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// let mut s = String::new();
    /// P.symbolize(0xffffffff81234567, &mut s).unwrap();
    /// assert_eq!(s, "0xffffffff81234567");
    /// s.clear();
    /// P.symbolize(0x1000, &mut s).unwrap();
    /// assert_eq!(s, "0x0000000000001000");
    /// ```
    #[doc(alias = "symbol_string")]
    fn symbolize(&self, addr: usize, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        write!(out, "0x{addr:016x}")
    }

    /// `set_track_prepare` → `stack_depot_save`: record the current call stack for a
    /// slab track. Returns its handle (0: none, the default — Linux without
    /// `CONFIG_STACKDEPOT`, whose reports say `object allocation/free stack trace
    /// missing`) and, when the platform can tell, the return address into the caller
    /// of the slab API (`_RET_IP_`), which then replaces the call site the track
    /// would record.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::{Platform, SavedStack};
    /// assert_eq!(P.stack_depot_save(), SavedStack::default());
    /// ```
    #[doc(alias = "set_track_prepare")]
    fn stack_depot_save(&self) -> SavedStack {
        SavedStack::default()
    }

    /// `stack_depot_print(handle)`: print the stack saved under `handle` (one
    /// `KERN_ERR`-level ` %pS` line per entry, as `stack_trace_print` does). Nothing
    /// by default, where no handle is ever given out.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// P.stack_depot_print(1);
    /// ```
    fn stack_depot_print(&self, _handle: u32) {}

    /// `dump_stack()` at the end of a slab report: `dump_stack_print_info`'s `CPU: …
    /// PID: … Comm: …` header (`tainted`: the kernel carries `TAINT_BAD_PAGE`, which
    /// the header's taint flags show), `Call Trace:` and one ` %pS` line per frame.
    /// The default prints nothing: the core has no unwinder, and a header without
    /// its trace would only lengthen every report.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// P.dump_stack(false);
    /// ```
    fn dump_stack(&self, _tainted: bool) {}

    /// The caller's CPU and whether it owns it (see [`crate::local_lock`]). The
    /// default shares [`Platform::cpu_id`] with whoever else runs there.
    ///
    /// An implementation returns an owned CPU only through the unsafe
    /// [`ThisCpu::owned`](crate::local_lock::ThisCpu::owned), whose contract it then
    /// keeps (one owner per CPU, [`Platform::cpu_owned`] and
    /// [`Platform::barrier_owned_cpus`] telling the truth).
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// assert_eq!(P.this_cpu(), oxmm::local_lock::ThisCpu::shared(0));
    /// ```
    #[inline]
    fn this_cpu(&self) -> crate::local_lock::ThisCpu {
        crate::local_lock::ThisCpu::shared(self.cpu_id())
    }

    /// [`Platform::this_cpu`] when the calling thread owns its CPU and that is known
    /// at once (a cached per-thread value); `None` otherwise, and the caller asks
    /// [`Platform::this_cpu`]. The fast paths branch on it, so that in their owned
    /// copy the owner tests fold away. A platform without owned CPUs keeps the
    /// default, `None`.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// assert_eq!(P.this_cpu_owned(), None);
    /// ```
    #[inline(always)]
    fn this_cpu_owned(&self) -> Option<crate::local_lock::ThisCpu> {
        None
    }

    /// Whether any CPU may ever be owned on this platform (fixed for its lifetime).
    /// Without owners the per-CPU data is behind plain spin locks.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// assert!(!P.cpu_ownership());
    /// ```
    #[inline]
    fn cpu_ownership(&self) -> bool {
        false
    }

    /// Whether a thread owns `cpu` now (a sequentially consistent load).
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// assert!(!P.cpu_owned(0));
    /// ```
    #[inline]
    fn cpu_owned(&self, _cpu: usize) -> bool {
        false
    }

    /// A full memory barrier executed on every CPU that has an owner, before this
    /// returns (Linux: what an IPI gives, as `synchronize_rcu_expedited`; a host:
    /// `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`). The default is a local fence,
    /// enough only where [`Platform::cpu_ownership`] is false.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::platform::Platform;
    /// P.barrier_owned_cpus();
    /// ```
    #[doc(alias = "membarrier")]
    fn barrier_owned_cpus(&self) {
        core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
    }

    /// `__va`: the direct-map address of `phys`.
    #[doc(alias = "__va")]
    fn phys_to_virt(&self, phys: PhysAddr) -> VirtAddr {
        VirtAddr((self.direct_map_base() as u64).wrapping_add(phys.0))
    }
}

/// A call stack saved for a slab track ([`Platform::stack_depot_save`]).
///
/// ```
/// let s = oxmm::platform::SavedStack::default();
/// assert_eq!((s.handle, s.caller), (0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SavedStack {
    /// `depot_stack_handle_t`: 0 for none.
    pub handle: u32,
    /// The return address into the slab API's caller (`_RET_IP_`); 0 if unknown.
    pub caller: usize,
}
