//! The object API (Linux: `kmem_cache_alloc`, `kmem_cache_alloc_node`,
//! `kmem_cache_free`, `kmem_cache_alloc_bulk`, `kmem_cache_free_bulk`, `kmalloc`,
//! `kmalloc_node`, `kzalloc`, `kcalloc`, `krealloc`, `ksize`, `kfree`;
//! include/linux/slab.h, mm/slub.c, mm/slab_common.c, v6.12).

use super::cache::{pfn_addr, CacheId, SlabCaches};
use super::hooks;
use super::kmalloc::{kmalloc_index, kmalloc_type, KMALLOC_MAX_SIZE, ZERO_SIZE_PTR};
use super::order::get_order;
use super::slub;
use super::{SlabError, SlabFlags};
use crate::gfp::Gfp;
use crate::local_lock::ThisCpu;
use crate::mm::Mm;
use crate::page::{Page, PG_HEAD};
use crate::page_alloc::COMPOUND_TAIL;
use crate::platform::Platform;
use crate::types::{NodeId, Pfn};
use core::ptr::NonNull;

/// `page_type` of a large kmalloc block's head (Linux marks the folio
/// `large_kmalloc`), so that `kfree` and `ksize` recognise it.
///
/// ```
/// assert_ne!(oxmm::slab::api::TYPE_LARGE_KMALLOC, oxmm::slab::cache::TYPE_SLAB);
/// ```
#[doc(alias = "PG_large_kmalloc")]
pub const TYPE_LARGE_KMALLOC: u32 = 0xf8 << 24;

fn nonnull(a: usize) -> Result<NonNull<u8>, SlabError> {
    NonNull::new(a as *mut u8).ok_or(SlabError::InvalidFree(0))
}

impl SlabCaches {
    /// `kmem_cache_alloc`: one object of cache `id` (zeroed with `__GFP_ZERO`).
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// let p = slab.kmem_cache_alloc(mm, id, oxmm::gfp::Gfp::KERNEL).unwrap();
    /// slab.kmem_cache_free(mm, id, p.as_ptr()).unwrap();
    /// # }
    /// ```
    #[doc(alias = "kmem_cache_alloc_noprof")]
    #[inline(always)]
    #[track_caller]
    pub fn kmem_cache_alloc<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
        gfp: Gfp,
    ) -> Result<NonNull<u8>, SlabError> {
        let s = self.cache_ref(id)?;
        slub::slab_alloc_node_size(mm, s, gfp, None, u32::MAX, caller())
    }

    /// `kmem_cache_alloc_node`: one object from a slab of node `nid` when it has memory
    /// (other nodes' partial slabs and memory serve otherwise, unless `__GFP_THISNODE`).
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// let p = slab.kmem_cache_alloc_node(mm, id, oxmm::gfp::Gfp::KERNEL, oxmm::types::NodeId(0)).unwrap();
    /// # }
    /// ```
    #[doc(alias = "kmem_cache_alloc_node_noprof")]
    #[track_caller]
    pub fn kmem_cache_alloc_node<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
        gfp: Gfp,
        nid: NodeId,
    ) -> Result<NonNull<u8>, SlabError> {
        let s = self.cache_ref(id)?;
        slub::slab_alloc_node_size(mm, s, gfp, Some(nid), u32::MAX, caller())
    }

    /// `kmem_cache_free`: return `ptr` to cache `id`; a pointer that is not an object of
    /// that cache, or an object already free (the naive check of
    /// `CONFIG_SLAB_FREELIST_HARDENED`), is refused and nothing changes.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// assert!(slab.kmem_cache_free(mm, id, 8 as *mut u8).is_err());
    /// # }
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn kmem_cache_free<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
        ptr: *mut u8,
    ) -> Result<(), SlabError> {
        let s = self.cache_ref(id)?;
        slub::slab_free_checked(mm, s, ptr as usize, caller())
    }

    /// `kmem_cache_alloc_bulk`: fill `out` with objects of `id` (all or nothing);
    /// returns `out.len()`.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches, id: oxmm::slab::CacheId) {
    /// let mut v = [core::ptr::null_mut(); 16];
    /// assert_eq!(slab.kmem_cache_alloc_bulk(mm, id, oxmm::gfp::Gfp::KERNEL, &mut v), Ok(16));
    /// slab.kmem_cache_free_bulk(mm, id, &mut v).unwrap();
    /// # }
    /// ```
    #[doc(alias = "kmem_cache_alloc_bulk_noprof")]
    pub fn kmem_cache_alloc_bulk<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
        gfp: Gfp,
        out: &mut [*mut u8],
    ) -> Result<usize, SlabError> {
        let s = self.cache_ref(id)?;
        slub::alloc_bulk(mm, s, gfp, out)
    }

    /// `kmem_cache_free_bulk`: free every non-null entry of `objs` (all validated
    /// first), objects of one slab together; entries are set to null.
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
    /// use oxmm::{gfp::Gfp, slab::SlabFlags};
    /// let id = slab.kmem_cache_create(&mm, "t", 100, 0, SlabFlags::default(), None).unwrap();
    /// let mut v = [core::ptr::null_mut(); 4];
    /// slab.kmem_cache_alloc_bulk(&mm, id, Gfp::KERNEL, &mut v).unwrap();
    /// slab.kmem_cache_free_bulk(&mm, id, &mut v).unwrap();
    /// assert!(v.iter().all(|p| p.is_null()));
    /// // None left: the cache can go.
    /// assert_eq!(slab.kmem_cache_destroy(&mm, id, &mut oxmm::printk::NullLog), Ok(()));
    /// ```
    pub fn kmem_cache_free_bulk<P: Platform>(
        &self,
        mm: &Mm<P>,
        id: CacheId,
        objs: &mut [*mut u8],
    ) -> Result<(), SlabError> {
        let s = self.cache_ref(id)?;
        slub::free_bulk(mm, s, objs)
    }

    /// `kmalloc(size, gfp)`: see [`kmalloc_node`](Self::kmalloc_node).
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// let p = slab.kmalloc(mm, 100, oxmm::gfp::Gfp::KERNEL).unwrap();
    /// assert_eq!(slab.ksize(mm, p.as_ptr()), Ok(128));
    /// slab.kfree(mm, p.as_ptr()).unwrap();
    /// # }
    /// ```
    #[doc(alias = "__kmalloc_noprof")]
    #[inline(always)]
    #[track_caller]
    pub fn kmalloc<P: Platform>(
        &self,
        mm: &Mm<P>,
        size: u64,
        gfp: Gfp,
    ) -> Result<NonNull<u8>, SlabError> {
        self.kmalloc_inner(mm, size, gfp, None, caller())
    }

    /// `kmalloc_node(size, gfp, nid)`: an object of the size class of `size` from the
    /// cache family `gfp` selects (`kmalloc_type`); above 8 KiB a compound block from
    /// the page allocator (`__kmalloc_large_node`); `size` 0 gives [`ZERO_SIZE_PTR`].
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
    /// use oxmm::{gfp::Gfp, slab::kmalloc::ZERO_SIZE_PTR, types::NodeId};
    /// let p = slab.kmalloc_node(&mm, 100, Gfp::KERNEL, NodeId(0)).unwrap();
    /// assert_eq!(slab.ksize(&mm, p.as_ptr()), Ok(128));
    /// let z = slab.kmalloc_node(&mm, 0, Gfp::KERNEL, NodeId(0)).unwrap();
    /// assert_eq!(z.as_ptr() as usize, ZERO_SIZE_PTR);
    /// slab.kfree(&mm, p.as_ptr()).unwrap();
    /// ```
    #[doc(alias = "__kmalloc_node_noprof")]
    #[track_caller]
    pub fn kmalloc_node<P: Platform>(
        &self,
        mm: &Mm<P>,
        size: u64,
        gfp: Gfp,
        nid: NodeId,
    ) -> Result<NonNull<u8>, SlabError> {
        self.kmalloc_inner(mm, size, gfp, Some(nid), caller())
    }

    /// `kmalloc_slab`: the kmalloc cache serving `size` bytes for `gfp`, `None` above
    /// the largest class (or for 0). With it, a caller that knows an object's size can
    /// free it with [`kmem_cache_free`](Self::kmem_cache_free), which reaches the
    /// CPU's active slab without looking up the object's page.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// use oxmm::gfp::Gfp;
    /// let p = slab.kmalloc(mm, 40, Gfp::KERNEL).unwrap();
    /// let id = slab.kmalloc_slab(40, Gfp::KERNEL).unwrap();
    /// slab.kmem_cache_free(mm, id, p.as_ptr()).unwrap();
    /// # }
    /// ```
    #[inline]
    pub fn kmalloc_slab(&self, size: u64, gfp: Gfp) -> Option<CacheId> {
        let idx = kmalloc_index(size)?;
        let ty = kmalloc_type(gfp, self.has_dma, false);
        Some(CacheId(self.kmalloc_id(ty, idx)))
    }

    #[inline(always)]
    fn kmalloc_inner<P: Platform>(
        &self,
        mm: &Mm<P>,
        size: u64,
        gfp: Gfp,
        node: Option<NodeId>,
        caller: usize,
    ) -> Result<NonNull<u8>, SlabError> {
        match kmalloc_index(size) {
            Some(idx) => {
                let ty = kmalloc_type(gfp, self.has_dma, false);
                let s = self.kmalloc_ref(ty, idx)?;
                slub::slab_alloc_node_size(
                    mm,
                    s,
                    gfp - Gfp::DMA - Gfp::RECLAIMABLE,
                    node,
                    size as u32,
                    caller,
                )
            }
            None if size == 0 => nonnull(ZERO_SIZE_PTR),
            None if size > KMALLOC_MAX_SIZE => Err(SlabError::BadSize(size)),
            None => self.kmalloc_large(mm, size, gfp, node),
        }
    }

    /// `__kmalloc_large_node`: a compound block of `get_order(size)`.
    fn kmalloc_large<P: Platform>(
        &self,
        mm: &Mm<P>,
        size: u64,
        gfp: Gfp,
        node: Option<NodeId>,
    ) -> Result<NonNull<u8>, SlabError> {
        let order = get_order(size, mm.geometry().shift());
        let nid = node.unwrap_or_else(|| mm.numa_node_id());
        let pfn = mm.alloc_pages_node(nid, gfp | Gfp::COMP, order)?;
        if let Some(p) = mm.memmap().page(pfn.0) {
            p.set_page_type(TYPE_LARGE_KMALLOC);
        }
        slub::account_slab(mm, pfn.0, order, false, 1);
        nonnull(pfn_addr(mm, pfn.0))
    }

    /// `kzalloc`: [`kmalloc`](Self::kmalloc) with `__GFP_ZERO`.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// let p = slab.kzalloc(mm, 40, oxmm::gfp::Gfp::KERNEL).unwrap();
    /// assert_eq!(unsafe { *p.as_ptr() }, 0);
    /// # }
    /// ```
    #[track_caller]
    pub fn kzalloc<P: Platform>(
        &self,
        mm: &Mm<P>,
        size: u64,
        gfp: Gfp,
    ) -> Result<NonNull<u8>, SlabError> {
        self.kmalloc(mm, size, gfp | Gfp::ZERO)
    }

    /// `kcalloc(n, size, gfp)`: a zeroed array; `n * size` overflowing fails
    /// (`kmalloc_array`'s `check_mul_overflow`) with [`SlabError::BadSize`] of `u64::MAX`.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// assert!(slab.kcalloc(mm, u64::MAX, 2, oxmm::gfp::Gfp::KERNEL).is_err());
    /// # }
    /// ```
    #[doc(alias = "kmalloc_array")]
    pub fn kcalloc<P: Platform>(
        &self,
        mm: &Mm<P>,
        n: u64,
        size: u64,
        gfp: Gfp,
    ) -> Result<NonNull<u8>, SlabError> {
        let bytes = n.checked_mul(size).ok_or(SlabError::BadSize(u64::MAX))?;
        self.kzalloc(mm, bytes, gfp)
    }

    /// `krealloc(p, new_size, gfp)`: `p` itself while `ksize(p)` holds `new_size`
    /// (the spare bytes zeroed under `__GFP_ZERO`), else a new object holding the old
    /// contents, `p` freed. `new_size` 0 frees `p` and gives [`ZERO_SIZE_PTR`]; a null
    /// or `ZERO_SIZE_PTR` `p` is a plain kmalloc. On failure `p` is untouched.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// use oxmm::gfp::Gfp;
    /// let p = slab.kmalloc(mm, 20, Gfp::KERNEL).unwrap();
    /// // SAFETY: `p` is a live kmalloc object.
    /// let q = unsafe { slab.krealloc(mm, p.as_ptr(), 24, Gfp::KERNEL) }.unwrap();
    /// assert_eq!(p, q); // kmalloc-32 holds 24 bytes
    /// # }
    /// ```
    ///
    /// # Safety
    /// `p` must be null, `ZERO_SIZE_PTR`, or a live allocation of this registry that
    /// nothing else uses during the call (its contents are read, and it may be freed).
    #[doc(alias = "krealloc_noprof")]
    pub unsafe fn krealloc<P: Platform>(
        &self,
        mm: &Mm<P>,
        p: *mut u8,
        new_size: u64,
        gfp: Gfp,
    ) -> Result<NonNull<u8>, SlabError> {
        if new_size == 0 {
            self.kfree(mm, p)?;
            return nonnull(ZERO_SIZE_PTR);
        }
        let ks = if (p as usize) <= ZERO_SIZE_PTR {
            0
        } else {
            self.ksize(mm, p)?
        };
        if ks >= new_size {
            if mm.want_init_on_alloc(gfp) {
                // SAFETY: `p` is a live allocation of `ks` usable bytes (ksize).
                unsafe {
                    core::ptr::write_bytes(p.add(new_size as usize), 0, (ks - new_size) as usize)
                };
            }
            return nonnull(p as usize);
        }
        let q = self.kmalloc(mm, new_size, gfp)?;
        if ks > 0 {
            // SAFETY: `p` holds `ks` usable bytes, `q` at least `new_size > ks`; two
            // distinct live allocations.
            unsafe { core::ptr::copy_nonoverlapping(p, q.as_ptr(), ks as usize) };
            self.kfree(mm, p)?;
        }
        Ok(q)
    }

    /// `kfree`: free anything [`kmalloc`](Self::kmalloc) (or a cache) returned (null
    /// and `ZERO_SIZE_PTR` are ignored); any other pointer is refused with
    /// [`SlabError::InvalidFree`].
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>, slab: &oxmm::slab::SlabCaches) {
    /// slab.kfree(mm, core::ptr::null_mut()).unwrap();
    /// # }
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn kfree<P: Platform>(&self, mm: &Mm<P>, ptr: *mut u8) -> Result<(), SlabError> {
        let addr = ptr as usize;
        if addr <= ZERO_SIZE_PTR {
            return Ok(());
        }
        // The owner's copy inline (its owner tests fold away), anyone else's out of
        // line.
        match mm.platform().this_cpu_owned() {
            Some(me) => self.kfree_as(mm, addr, me, caller()),
            None => self.kfree_shared(mm, addr, caller()),
        }
    }

    /// [`SlabCaches::kfree`] for a caller not known at once to own its CPU.
    #[inline(never)]
    fn kfree_shared<P: Platform>(
        &self,
        mm: &Mm<P>,
        addr: usize,
        caller: usize,
    ) -> Result<(), SlabError> {
        self.kfree_as(mm, addr, mm.platform().this_cpu(), caller)
    }

    /// [`SlabCaches::kfree`] of a pointer above `ZERO_SIZE_PTR`, on CPU `me`.
    #[inline(always)]
    fn kfree_as<P: Platform>(
        &self,
        mm: &Mm<P>,
        addr: usize,
        me: ThisCpu,
        caller: usize,
    ) -> Result<(), SlabError> {
        // The kmalloc cache whose active slab this CPU's last looked-up kfree reached:
        // an object of that active slab needs no descriptor lookup (the address of
        // any other object is refused by the active-slab check and looked up below).
        // A miss drops the hint, so that frees all over the place (a larson-like
        // churn) do not try it each time.
        if let Some(s) = self.kfree_hint(me.id) {
            if slub::free_to_active(mm, s, me, addr)?.is_none() {
                return Ok(());
            }
            self.clear_kfree_hint(me.id);
        }
        let cache = |id| self.cache(CacheId(id));
        if let Some((s, active)) = slub::kfree_slab(mm, cache, me, addr, caller)? {
            if active {
                self.set_kfree_hint(me.id, s);
            }
            return Ok(());
        }
        self.kfree_large(mm, addr)
    }

    /// `kfree` of a large kmalloc block (`free_large_kmalloc`), or a refusal.
    #[inline(never)]
    fn kfree_large<P: Platform>(&self, mm: &Mm<P>, addr: usize) -> Result<(), SlabError> {
        let (pfn, order) = self.large_block(mm, addr)?;
        if let Some(p) = mm.memmap().page(pfn) {
            p.set_page_type(Page::TYPE_NONE);
        }
        mm.free_pages(Pfn(pfn), order)
            .map_err(|_| SlabError::InvalidFree(addr))?;
        slub::account_slab(mm, pfn, order, false, -1);
        Ok(())
    }

    /// A large kmalloc block at `addr`: its pfn and order.
    fn large_block<P: Platform>(&self, mm: &Mm<P>, addr: usize) -> Result<(u64, u32), SlabError> {
        let base = mm.platform().direct_map_base() as usize;
        let shift = mm.geometry().shift();
        let off = addr.checked_sub(base).ok_or(SlabError::InvalidFree(addr))?;
        if off & ((1 << shift) - 1) != 0 {
            return Err(SlabError::InvalidFree(addr));
        }
        let pfn = (off >> shift) as u64;
        let p = mm.memmap().page(pfn).ok_or(SlabError::InvalidFree(addr))?;
        if p.page_type() != TYPE_LARGE_KMALLOC
            || p.flags() & PG_HEAD == 0
            || p.private() & COMPOUND_TAIL != 0
            || p.refcount() == 0
        {
            return Err(SlabError::InvalidFree(addr));
        }
        Ok((pfn, p.private() as u32))
    }

    /// `ksize` / `__ksize`: the usable bytes of a kmalloc'ed or cache object
    /// (`slab_ksize`: `s->size`, or `object_size` with red zones or poisoning, `inuse`
    /// with `SLAB_TYPESAFE_BY_RCU`/`SLAB_STORE_USER`); a large block's size.
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
    /// use oxmm::gfp::Gfp;
    /// let small = slab.kmalloc(&mm, 50, Gfp::KERNEL).unwrap();
    /// assert_eq!(slab.ksize(&mm, small.as_ptr()), Ok(64));
    /// let large = slab.kmalloc(&mm, 10000, Gfp::KERNEL).unwrap(); // an order-2 block
    /// assert_eq!(slab.ksize(&mm, large.as_ptr()), Ok(16384));
    /// ```
    pub fn ksize<P: Platform>(&self, mm: &Mm<P>, ptr: *mut u8) -> Result<u64, SlabError> {
        let addr = ptr as usize;
        if let Some((_, id)) = slub::slab_of(mm, addr) {
            let s = self
                .cache(CacheId(id))
                .ok_or(SlabError::InvalidFree(addr))?;
            slub::check_object(mm, s, addr)?;
            hooks::skip_orig_size_check(s, addr);
            let f = s.flags();
            return Ok(
                if f.contains(SlabFlags::RED_ZONE) || f.contains(SlabFlags::POISON) {
                    s.object_size()
                } else if f.contains(SlabFlags::TYPESAFE_BY_RCU)
                    || f.contains(SlabFlags::STORE_USER)
                {
                    s.inuse()
                } else {
                    s.size()
                } as u64,
            );
        }
        let (_, order) = self.large_block(mm, addr)?;
        Ok(mm.geometry().page_size() << order)
    }
}

/// The call site of the `#[track_caller]` API function being run: the address of its
/// location record, unique per call site, standing for Linux's `_RET_IP_` in tracks.
#[inline(always)]
#[track_caller]
fn caller() -> usize {
    core::panic::Location::caller() as *const core::panic::Location<'static> as usize
}
