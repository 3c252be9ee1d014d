//! Per-CPU data carved out of machine memory (Linux: `alloc_percpu`, `per_cpu_ptr`).
//!
//! Next to [`crate::memmap`], the only module that turns raw pointers into references:
//! a [`PerCpu<T>`] is one `T` per possible CPU in pages the page allocator handed out at
//! boot, reached through the direct map.

use core::fmt;

/// One `T` per CPU, in machine memory owned by the [`Mm`](crate::mm::Mm) whose zone or
/// node holds this handle. Empty until boot sets it up.
///
/// ```
/// use oxmm::percpu::PerCpu;
/// let p: PerCpu<u64> = PerCpu::NONE;
/// assert!(p.get(0).is_none());
/// assert_eq!(p.nr_cpus(), 0);
/// ```
#[doc(alias = "alloc_percpu")]
pub struct PerCpu<T> {
    ptr: *const T,
    nr: usize,
}

/// Bytes between two CPUs' slots: a whole number of cache lines, so CPUs never share
/// one (the memory itself need only be aligned for `T`).
///
/// ```
/// assert_eq!(oxmm::percpu::stride_of::<u64>(), 64);
/// assert_eq!(oxmm::percpu::stride_of::<[u8; 65]>(), 128);
/// ```
pub const fn stride_of<T>() -> usize {
    core::mem::size_of::<T>().next_multiple_of(64)
}

// SAFETY: a `PerCpu<T>` only hands out `&T`; sharing it is sharing `&T`s, sound when
// `T: Sync`. The memory is the machine's, owned by the same `Mm` as the handle.
unsafe impl<T: Sync> Sync for PerCpu<T> {}
// SAFETY: as for `Sync`; moving the handle does not move the memory.
unsafe impl<T: Sync> Send for PerCpu<T> {}

impl<T> PerCpu<T> {
    /// No per-CPU data (before boot sets it up, or a description-only boot).
    ///
    /// ```
    /// use oxmm::percpu::PerCpu;
    /// let p: PerCpu<u64> = PerCpu::NONE;
    /// assert_eq!(p.iter().count(), 0);
    /// assert_eq!(format!("{p:?}"), "PerCpu(0 CPUs)");
    /// ```
    pub const NONE: PerCpu<T> = PerCpu {
        ptr: core::ptr::null(),
        nr: 0,
    };

    /// Write `init(cpu)` into `nr` consecutive slots at `ptr` and take them over.
    ///
    /// # Safety
    /// `ptr` must be aligned for `T` and valid for writes of `nr *`
    /// [`stride_of::<T>()`](stride_of) bytes, in memory nothing else uses and that
    /// outlives the handle (machine memory allocated for this purpose and never freed
    /// while the owning `Mm` lives).
    pub(crate) unsafe fn init(ptr: *mut T, nr: usize, mut init: impl FnMut(usize) -> T) -> Self {
        for cpu in 0..nr {
            // SAFETY: in bounds (stride × nr bytes) and aligned: the stride is a multiple
            // of 64, hence of `T`'s alignment.
            unsafe { ptr.byte_add(cpu * stride_of::<T>()).write(init(cpu)) };
        }
        PerCpu { ptr, nr }
    }

    /// A second handle to the same slots (their memory is the owning machine's, not the
    /// handle's: the copy is sound for as long as the original is).
    ///
    /// ```
    /// use oxmm::percpu::PerCpu;
    /// let p: PerCpu<u64> = PerCpu::NONE;
    /// assert_eq!(p.duplicate().nr_cpus(), 0);
    /// ```
    pub fn duplicate(&self) -> PerCpu<T> {
        PerCpu {
            ptr: self.ptr,
            nr: self.nr,
        }
    }

    /// `per_cpu_ptr(ptr, cpu)`.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 2 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// let pcp = mm.nodes().next().unwrap().zones()[1].per_cpu_pageset();
    /// assert_eq!(pcp.get(1).map(|p| p.lock.cpu()), Some(1)); // CPU 1's slot
    /// assert!(pcp.get(2).is_none()); // only two CPUs
    /// ```
    #[doc(alias = "per_cpu_ptr")]
    #[inline]
    pub fn get(&self, cpu: usize) -> Option<&T> {
        if cpu >= self.nr {
            return None;
        }
        // SAFETY: `cpu < nr` slots were initialised in `init` and live as long as the
        // owning machine, which outlives `&self`.
        Some(unsafe { &*self.ptr.byte_add(cpu * stride_of::<T>()) })
    }

    /// Number of CPUs with a slot.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 2 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// use oxmm::platform::Platform;
    /// let pcp = mm.nodes().next().unwrap().zones()[1].per_cpu_pageset();
    /// assert_eq!(pcp.nr_cpus(), mm.platform().nr_cpus());
    /// ```
    #[inline]
    pub const fn nr_cpus(&self) -> usize {
        self.nr
    }

    /// Every CPU's slot, in CPU order.
    ///
    /// ```
    /// # use oxmm::boot::{Arch, BootConfig};
    /// # use oxmm::memblock::Memblock;
    /// # use oxmm::mm::{BootMode, Mm};
    /// # use oxmm::mmzone::ZoneType;
    /// # use oxmm::types::{PhysAddr, VirtAddr};
    /// # struct Mem(Vec<u64>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for Mem {
    /// #     fn direct_map_base(&self) -> *mut u8 { (self.0.as_ptr() as usize).next_multiple_of(4096) as *mut u8 }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 2 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// let pcp = mm.nodes().next().unwrap().zones()[1].per_cpu_pageset();
    /// assert_eq!(pcp.iter().map(|p| p.lock.cpu()).collect::<Vec<_>>(), [0, 1]);
    /// ```
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        (0..self.nr).filter_map(|c| self.get(c))
    }
}

impl<T> fmt::Debug for PerCpu<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PerCpu({} CPUs)", self.nr)
    }
}
