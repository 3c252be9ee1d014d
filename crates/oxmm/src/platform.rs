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
/// impl Platform for Fixed {
///     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
///     fn cpu_id(&self) -> usize { 0 }
///     fn nr_cpus(&self) -> usize { 1 }
///     fn flush_tlb_range(&self, _s: VirtAddr, _e: VirtAddr) {}
/// }
/// assert_eq!(Fixed.nr_cpus(), 1);
/// assert_eq!(Fixed.phys_to_virt(PhysAddr(0x1000)).0, 0x1000);
/// ```
pub trait Platform {
    /// Virtual address of physical address 0 in the direct map (Linux: `PAGE_OFFSET`).
    /// Physical address `p` is mapped at `direct_map_base() + p`. It may be null for a
    /// platform that only boots descriptions and never touches the memory.
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

    /// `__va`: the direct-map address of `phys`.
    #[doc(alias = "__va")]
    fn phys_to_virt(&self, phys: PhysAddr) -> VirtAddr {
        VirtAddr((self.direct_map_base() as u64).wrapping_add(phys.0))
    }
}
