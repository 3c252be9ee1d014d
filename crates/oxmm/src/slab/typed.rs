//! A typed front end: a cache of `T` values (Linux's `KMEM_CACHE(struct, flags)`
//! macro, which sizes and aligns a cache after a struct) with owning handles.

use super::{CacheId, SlabCaches, SlabError, SlabFlags};
use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::platform::Platform;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

/// A cache of `T`s: `size_of::<T>()` bytes aligned to `align_of::<T>()`.
///
/// ```no_run
/// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
/// use oxmm::slab::{SlabFlags, TypedCache};
/// let c = TypedCache::<[u64; 4], P>::new(slab, mm, "quad", SlabFlags::default()).unwrap();
/// let b = c.alloc([1, 2, 3, 4]).unwrap();
/// assert_eq!(b[2], 3);
/// drop(b); // back to the cache
/// c.destroy(&mut oxmm::printk::NullLog).unwrap();
/// # }
/// ```
#[doc(alias = "KMEM_CACHE")]
pub struct TypedCache<'a, T, P: Platform> {
    slab: &'a SlabCaches,
    mm: &'a Mm<P>,
    id: CacheId,
    _t: PhantomData<fn(T) -> T>,
}

impl<'a, T, P: Platform> TypedCache<'a, T, P> {
    /// `kmem_cache_create(name, sizeof(T), alignof(T), flags, NULL)`. Zero-sized
    /// types are refused ([`SlabError::BadSize`]).
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
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{SlabError, SlabFlags, TypedCache};
    /// let c = TypedCache::<[u64; 4], Mem>::new(&slab, &mm, "quad", SlabFlags::NO_MERGE).unwrap();
    /// assert_eq!(slab.cache(c.id()).unwrap().object_size(), 32);
    /// let z = TypedCache::<(), Mem>::new(&slab, &mm, "unit", SlabFlags::default());
    /// assert_eq!(z.err(), Some(SlabError::BadSize(0)));
    /// ```
    pub fn new(
        slab: &'a SlabCaches,
        mm: &'a Mm<P>,
        name: &str,
        flags: SlabFlags,
    ) -> Result<Self, SlabError> {
        let size = core::mem::size_of::<T>();
        let size = u32::try_from(size).map_err(|_| SlabError::BadSize(size as u64))?;
        let id = slab.kmem_cache_create(
            mm,
            name,
            size,
            core::mem::align_of::<T>() as u32,
            flags,
            None,
        )?;
        Ok(TypedCache {
            slab,
            mm,
            id,
            _t: PhantomData,
        })
    }

    /// The underlying cache.
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
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{SlabFlags, TypedCache};
    /// let c = TypedCache::<[u64; 4], Mem>::new(&slab, &mm, "quad", SlabFlags::NO_MERGE).unwrap();
    /// assert_eq!(slab.cache(c.id()).unwrap().name(), "quad");
    /// ```
    pub fn id(&self) -> CacheId {
        self.id
    }

    /// A new object holding `value`.
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
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{SlabFlags, TypedCache};
    /// let c = TypedCache::<[u64; 4], Mem>::new(&slab, &mm, "quad", SlabFlags::NO_MERGE).unwrap();
    /// let b = c.alloc([1, 2, 3, 4]).unwrap();
    /// assert_eq!(b[2], 3);
    /// assert_eq!(slab.cache(c.id()).unwrap().nr_slabs(), 1);
    /// ```
    pub fn alloc(&self, value: T) -> Result<SlabBox<'_, 'a, T, P>, SlabError> {
        self.alloc_gfp(value, Gfp::KERNEL)
    }

    /// A new object holding `value`, allocated with `gfp`.
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
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::{gfp::Gfp, slab::{SlabError, SlabFlags, TypedCache}};
    /// let c = TypedCache::<u64, Mem>::new(&slab, &mm, "word", SlabFlags::NO_MERGE).unwrap();
    /// assert_eq!(*c.alloc_gfp(7, Gfp::ATOMIC).unwrap(), 7);
    /// let e = c.alloc_gfp(7, Gfp::KERNEL | Gfp::HIGHMEM).err();
    /// assert_eq!(e, Some(SlabError::BadGfp((Gfp::KERNEL | Gfp::HIGHMEM).bits())));
    /// ```
    pub fn alloc_gfp(&self, value: T, gfp: Gfp) -> Result<SlabBox<'_, 'a, T, P>, SlabError> {
        let p = self
            .slab
            .kmem_cache_alloc(self.mm, self.id, gfp)?
            .cast::<T>();
        // SAFETY: a fresh object of `size_of::<T>()` bytes; the cache's alignment is
        // at least `align_of::<T>()` relative to the direct map, which is page-aligned
        // on real platforms (checked here, refusing misaligned memory).
        if p.as_ptr() as usize % core::mem::align_of::<T>() != 0 {
            let _ = self
                .slab
                .kmem_cache_free(self.mm, self.id, p.as_ptr().cast());
            return Err(SlabError::BadAlign(core::mem::align_of::<T>() as u32));
        }
        // SAFETY: aligned (checked above), sized for T, owned by no one else.
        unsafe { p.as_ptr().write(value) };
        Ok(SlabBox {
            cache: self,
            ptr: p,
        })
    }

    /// `kmem_cache_destroy` (refused while boxes are alive: they borrow the cache).
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
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{SlabFlags, TypedCache};
    /// let c = TypedCache::<u64, Mem>::new(&slab, &mm, "word", SlabFlags::NO_MERGE).unwrap();
    /// let id = c.id();
    /// drop(c.alloc(1).unwrap());
    /// c.destroy(&mut oxmm::printk::NullLog).unwrap();
    /// assert!(slab.cache(id).is_none());
    /// ```
    pub fn destroy(self, log: &mut dyn crate::printk::Log) -> Result<(), SlabError> {
        self.slab.kmem_cache_destroy(self.mm, self.id, log)
    }
}

/// An owned `T` in a [`TypedCache`] object; dropping it drops the value and frees the
/// object.
///
/// ```no_run
/// # fn f<P: oxmm::platform::Platform>(c: &oxmm::slab::TypedCache<'_, String, P>) {
/// let mut b = c.alloc(String::from("slab")).unwrap();
/// b.push('!');
/// assert_eq!(&*b, "slab!");
/// # }
/// ```
pub struct SlabBox<'c, 'a, T, P: Platform> {
    cache: &'c TypedCache<'a, T, P>,
    ptr: NonNull<T>,
}

impl<T, P: Platform> SlabBox<'_, '_, T, P> {
    /// The object's address.
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
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    /// # }
    /// # let mut mb = Memblock::new();
    /// # mb.add(PhysAddr(0x1000), (64 << 20) - 0x1000).unwrap();
    /// # let mut cfg = BootConfig::new(Arch::X86_64);
    /// # cfg.zone_limits.set(ZoneType::Dma, 0x1000);
    /// # cfg.zone_limits.set(ZoneType::Dma32, 0x4000);
    /// # cfg.zone_limits.set(ZoneType::Normal, 0x4000);
    /// # let mm = Mm::boot(Mem(vec![0; (8 << 20) + 512]), mb, &cfg, BootMode::Full, &mut oxmm::printk::NullLog).unwrap();
    /// # let slab = oxmm::slab::SlabCaches::init(&mm, Default::default()).unwrap();
    /// use oxmm::slab::{SlabFlags, TypedCache};
    /// let c = TypedCache::<u64, Mem>::new(&slab, &mm, "word", SlabFlags::NO_MERGE).unwrap();
    /// let b = c.alloc(5).unwrap();
    /// assert_eq!(unsafe { *b.as_ptr() }, 5);
    /// assert_eq!(slab.ksize(&mm, b.as_ptr().cast()), Ok(8));
    /// ```
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T, P: Platform> Deref for SlabBox<'_, '_, T, P> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the box owns an initialised, aligned T until dropped.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T, P: Platform> DerefMut for SlabBox<'_, '_, T, P> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only reference.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T, P: Platform> Drop for SlabBox<'_, '_, T, P> {
    fn drop(&mut self) {
        // SAFETY: the box owns the value; it is dropped once, here.
        unsafe { core::ptr::drop_in_place(self.ptr.as_ptr()) };
        // The object came from this cache, so the free cannot be refused.
        let _ =
            self.cache
                .slab
                .kmem_cache_free(self.cache.mm, self.cache.id, self.ptr.as_ptr().cast());
    }
}
