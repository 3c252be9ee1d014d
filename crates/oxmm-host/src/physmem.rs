//! The hosted machine's physical memory: one `memfd` the size of the physical address
//! space, mapped once as the direct map (virtual = base + physical).
//!
//! The mapping is `MAP_SHARED | MAP_NORESERVE` and the file is sparse, so holes and
//! pages nobody writes cost nothing: a 1 TiB machine boots on a host with far less RAM.
//! Because the memory is a file, any page can be mapped a second time at another
//! address ([`PhysMem::map_alias`]) — how vmalloc areas and kmap windows become real,
//! aliased memory in hosted mode.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::Mutex;

use oxmm::types::PhysAddr;
use rustix::fs::{ftruncate, memfd_create, MemfdFlags};
use rustix::mm::{madvise, mmap, mmap_anonymous, munmap, Advice, MapFlags, ProtFlags};

use crate::hosted::HostError;

/// The host page size the memfd is mapped with; aliases must be aligned to it.
const HOST_PAGE_SIZE: u64 = 4096;

/// Alignment of the direct map's base: a PMD (2 MiB), so that physical and virtual
/// addresses agree modulo a huge page and anonymous ranges can use transparent huge
/// pages.
const DIRECT_MAP_ALIGN: u64 = 2 << 20;

/// Map `size` bytes of `fd` at an address aligned to [`DIRECT_MAP_ALIGN`].
fn map_aligned(fd: &OwnedFd, size: u64) -> Result<NonNull<u8>, HostError> {
    let sys = |call| {
        move |e: rustix::io::Errno| HostError::PhysMemSys {
            size,
            call,
            source: e.into(),
        }
    };
    let span = size + DIRECT_MAP_ALIGN;
    // Reserve address space with room to align, then put the memfd at the aligned spot.
    // SAFETY: a fresh inaccessible mapping chosen by the kernel; affects no Rust object.
    let reserve = unsafe {
        mmap_anonymous(
            std::ptr::null_mut(),
            span as usize,
            ProtFlags::empty(),
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    }
    .map_err(sys("mmap (address space reservation)"))? as u64;
    let aligned = reserve.next_multiple_of(DIRECT_MAP_ALIGN);
    // SAFETY: `[aligned, aligned + size)` lies inside the reservation we own and nobody
    // else knows about, so replacing it with MAP_FIXED cannot clobber anything.
    let mapped = unsafe {
        mmap(
            aligned as *mut _,
            size as usize,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED | MapFlags::NORESERVE | MapFlags::FIXED,
            fd,
            0,
        )
    };
    let head = aligned - reserve;
    let tail = reserve + span - (aligned + size);
    // SAFETY: the head and tail slop are parts of our own reservation that nothing uses.
    unsafe {
        if head > 0 {
            let _ = munmap(reserve as *mut _, head as usize);
        }
        if tail > 0 {
            let _ = munmap((aligned + size) as *mut _, tail as usize);
        }
    }
    let mapped = match mapped {
        Ok(p) => p,
        Err(e) => {
            // SAFETY: the middle of our reservation, still PROT_NONE and unused.
            let _ = unsafe { munmap(aligned as *mut _, size as usize) };
            return Err(sys("mmap")(e));
        }
    };
    NonNull::new(mapped.cast::<u8>()).ok_or(HostError::PhysMemSize {
        size,
        reason: "mmap returned a null mapping",
    })
}

/// A machine's physical address space `[0, size)`, backed by a memfd and mapped as the
/// direct map.
///
/// ```
/// use oxmm_host::physmem::PhysMem;
/// use oxmm::types::PhysAddr;
/// let mem = PhysMem::new(1 << 20).unwrap();
/// let p = mem.phys_to_virt(PhysAddr(0x1000)).unwrap();
/// // SAFETY: 0x1000 is inside the 1 MiB mapping owned by `mem`.
/// unsafe { p.write(7) };
/// assert_eq!(mem.read_u8(PhysAddr(0x1000)).unwrap(), 7);
/// ```
#[derive(Debug)]
pub struct PhysMem {
    fd: OwnedFd,
    base: NonNull<u8>,
    size: u64,
    // Ranges backed by anonymous memory instead of the memfd: [start, end), sorted.
    anon: Mutex<Vec<(u64, u64)>>,
}

// SAFETY: `PhysMem` owns a shared mapping; the pointer is only an address. Who writes
// where is the memory manager's business (it is exactly as shared as real RAM).
unsafe impl Send for PhysMem {}
// SAFETY: as above; `&PhysMem` hands out addresses, never references into the memory.
unsafe impl Sync for PhysMem {}

impl PhysMem {
    /// Create a physical address space of `size` bytes (rounded up to the host page
    /// size). Nothing is touched: the memory costs nothing until written.
    ///
    /// Errors name the size and the system call that failed.
    ///
    /// ```
    /// use oxmm_host::physmem::PhysMem;
    /// assert!(PhysMem::new(0).is_err());
    /// assert_eq!(PhysMem::new(5000).unwrap().size(), 8192);
    /// ```
    pub fn new(size: u64) -> Result<PhysMem, HostError> {
        if size == 0 {
            return Err(HostError::PhysMemSize {
                size,
                reason: "the physical address space is empty",
            });
        }
        let size = size
            .checked_next_multiple_of(HOST_PAGE_SIZE)
            .filter(|s| usize::try_from(*s).is_ok() && *s <= (1u64 << 46))
            .ok_or(HostError::PhysMemSize {
                size,
                reason: "larger than the 64 TiB a hosted machine's direct map may span",
            })?;
        let fd = memfd_create("oxmm-physmem", MemfdFlags::CLOEXEC).map_err(|e| {
            HostError::PhysMemSys {
                size,
                call: "memfd_create",
                source: e.into(),
            }
        })?;
        ftruncate(&fd, size).map_err(|e| HostError::PhysMemSys {
            size,
            call: "ftruncate",
            source: e.into(),
        })?;
        let base = map_aligned(&fd, size)?;
        Ok(PhysMem {
            fd,
            base,
            size,
            anon: Mutex::new(Vec::new()),
        })
    }

    /// Size of the physical address space in bytes.
    ///
    /// ```
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// assert_eq!(m.size(), 65536);
    /// ```
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The direct map's base: physical address `p` lives at `base() + p`
    /// (Linux: `PAGE_OFFSET`).
    ///
    /// ```
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// assert!(!m.base().is_null());
    /// ```
    #[doc(alias = "PAGE_OFFSET")]
    #[inline]
    pub fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// The memfd behind the memory, to map pages a second time (vmalloc, kmap).
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// assert!(m.fd().as_raw_fd() >= 0);
    /// ```
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// `__va(phys)`: the direct-map address of `phys`, or `None` beyond the end.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// assert!(m.phys_to_virt(PhysAddr(0xffff)).is_some());
    /// assert!(m.phys_to_virt(PhysAddr(0x10000)).is_none());
    /// ```
    #[doc(alias = "__va")]
    pub fn phys_to_virt(&self, phys: PhysAddr) -> Option<*mut u8> {
        if phys.0 >= self.size {
            return None;
        }
        // `phys < size` and the mapping is `size` bytes long, so the offset stays inside.
        Some(self.base.as_ptr().wrapping_add(phys.0 as usize))
    }

    /// Read one byte through the direct map (a convenience for tests and tools).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// assert_eq!(m.read_u8(PhysAddr(5)).unwrap(), 0);
    /// assert!(m.read_u8(PhysAddr(1 << 16)).is_err());
    /// ```
    pub fn read_u8(&self, phys: PhysAddr) -> Result<u8, HostError> {
        let p = self.phys_to_virt(phys).ok_or(HostError::PhysOutOfRange {
            phys: phys.0,
            len: 1,
            size: self.size,
        })?;
        // SAFETY: `p` is inside our live mapping; a racing writer can only change the
        // value read (plain memory, like RAM), never make the read invalid.
        Ok(unsafe { p.read_volatile() })
    }

    /// Map `len` bytes of physical memory starting at `phys` a second time, at an
    /// address of the host's choosing. Writes through either address are seen through
    /// the other. `phys` and `len` must be multiples of 4 KiB and inside the memory.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 20).unwrap();
    /// let alias = m.map_alias(PhysAddr(0x2000), 0x1000).unwrap();
    /// // SAFETY: both addresses are inside live mappings of the same page.
    /// unsafe { m.phys_to_virt(PhysAddr(0x2010)).unwrap().write(42) };
    /// assert_eq!(unsafe { alias.as_ptr().add(0x10).read() }, 42);
    /// assert!(m.map_alias(PhysAddr(0x2001), 0x1000).is_err());
    /// ```
    pub fn map_alias(&self, phys: PhysAddr, len: u64) -> Result<AliasMapping, HostError> {
        let in_range = phys.0.checked_add(len).is_some_and(|end| end <= self.size);
        if !in_range || len == 0 {
            return Err(HostError::PhysOutOfRange {
                phys: phys.0,
                len,
                size: self.size,
            });
        }
        if phys.0 % HOST_PAGE_SIZE != 0 || len % HOST_PAGE_SIZE != 0 {
            return Err(HostError::Unaligned { phys: phys.0, len });
        }
        if let Some((s, e)) = self.anonymous_overlap(phys.0, phys.0 + len) {
            return Err(HostError::NotAliasable {
                phys: phys.0,
                len,
                start: s,
                end: e,
            });
        }
        // SAFETY: a fresh mapping chosen by the kernel (no MAP_FIXED), of a range of our
        // memfd that exists (checked above); no Rust object is affected.
        let ptr = unsafe {
            mmap(
                std::ptr::null_mut(),
                len as usize,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED | MapFlags::NORESERVE,
                &self.fd,
                phys.0,
            )
        }
        .map_err(|e| HostError::PhysMemSys {
            size: len,
            call: "mmap (alias)",
            source: e.into(),
        })?;
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(HostError::PhysMemSize {
            size: len,
            reason: "mmap returned a null alias mapping",
        })?;
        Ok(AliasMapping {
            ptr,
            len,
            phys: phys.0,
        })
    }
}

impl PhysMem {
    /// Back `[phys, phys + len)` of the direct map with anonymous memory that may use
    /// transparent huge pages, instead of the memfd.
    ///
    /// For memory the memory manager keeps for itself and writes in bulk at boot (the
    /// memmap): on a memfd every 4 KiB page is a separate fault, which makes writing a
    /// 1 TiB machine's 8 GiB memmap take many seconds; anonymous huge pages fault 2 MiB
    /// at a time. The price: such a range cannot be aliased ([`map_alias`] refuses it).
    /// `phys` and `len` must be 4 KiB aligned; huge pages are used where the range covers
    /// whole 2 MiB-aligned blocks.
    ///
    /// # Safety
    /// The range's current contents are discarded (it reads as zeros afterwards), and no
    /// other thread may access it during the call: call it before anything relies on
    /// that memory, e.g. between memblock allocating it and the boot writing it.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(8 << 20).unwrap();
    /// // SAFETY: nothing uses the memory yet.
    /// unsafe { m.back_anonymous(PhysAddr(2 << 20), 2 << 20).unwrap() };
    /// assert!(m.is_anonymous(PhysAddr(3 << 20)));
    /// assert!(m.map_alias(PhysAddr(2 << 20), 4096).is_err());
    /// assert!(m.map_alias(PhysAddr(0), 4096).is_ok());
    /// ```
    ///
    /// [`map_alias`]: PhysMem::map_alias
    pub unsafe fn back_anonymous(&self, phys: PhysAddr, len: u64) -> Result<(), HostError> {
        let in_range = phys.0.checked_add(len).is_some_and(|end| end <= self.size);
        if !in_range || len == 0 {
            return Err(HostError::PhysOutOfRange {
                phys: phys.0,
                len,
                size: self.size,
            });
        }
        if phys.0 % HOST_PAGE_SIZE != 0 || len % HOST_PAGE_SIZE != 0 {
            return Err(HostError::Unaligned { phys: phys.0, len });
        }
        let addr = self.base.as_ptr().wrapping_add(phys.0 as usize);
        // SAFETY: `[addr, addr + len)` is inside our direct map (checked above); MAP_FIXED
        // replaces exactly that part of it, and the caller guarantees nobody relies on
        // or concurrently touches its contents.
        unsafe {
            mmap_anonymous(
                addr.cast(),
                len as usize,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::NORESERVE | MapFlags::FIXED,
            )
        }
        .map_err(|e| HostError::PhysMemSys {
            size: len,
            call: "mmap (anonymous backing)",
            source: e.into(),
        })?;
        // Huge pages are an optimisation: a host without THP still works.
        // SAFETY: advice on the mapping just made; it does not change its contents.
        let _ = unsafe { madvise(addr.cast(), len as usize, Advice::LinuxHugepage) };
        // The memfd's old pages under the range are unreachable now: give them back.
        let _ = rustix::fs::fallocate(
            &self.fd,
            rustix::fs::FallocateFlags::PUNCH_HOLE | rustix::fs::FallocateFlags::KEEP_SIZE,
            phys.0,
            len,
        );
        let mut anon = self.anon.lock().unwrap_or_else(|p| p.into_inner());
        anon.push((phys.0, phys.0 + len));
        anon.sort_unstable();
        Ok(())
    }

    /// Fault in `[phys, phys + len)` for writing ahead of use (`MADV_POPULATE_WRITE`)
    /// without changing its contents, so that later writes do not fault. Several
    /// threads may populate disjoint ranges at once: that is how a hosted boot spreads
    /// the cost of allocating and zeroing the memmap's memory over the host's cores.
    /// Returns `Ok(false)` if the host kernel cannot populate (before Linux 5.14): it is
    /// only an optimisation.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(4 << 20).unwrap();
    /// assert!(m.populate(PhysAddr(0), 2 << 20).is_ok());
    /// assert_eq!(m.read_u8(PhysAddr(0x1000)).unwrap(), 0);
    /// assert!(m.populate(PhysAddr(4 << 20), 4096).is_err());
    /// ```
    #[doc(alias = "MADV_POPULATE_WRITE")]
    pub fn populate(&self, phys: PhysAddr, len: u64) -> Result<bool, HostError> {
        let in_range = phys.0.checked_add(len).is_some_and(|end| end <= self.size);
        if !in_range || len == 0 {
            return Err(HostError::PhysOutOfRange {
                phys: phys.0,
                len,
                size: self.size,
            });
        }
        if phys.0 % HOST_PAGE_SIZE != 0 || len % HOST_PAGE_SIZE != 0 {
            return Err(HostError::Unaligned { phys: phys.0, len });
        }
        let addr = self.base.as_ptr().wrapping_add(phys.0 as usize);
        // SAFETY: the range is inside our mapping (checked above); populating allocates
        // backing pages but never changes what the memory reads as.
        match unsafe { madvise(addr.cast(), len as usize, Advice::LinuxPopulateWrite) } {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::INVAL) => Ok(false),
            Err(e) => Err(HostError::PhysMemSys {
                size: len,
                call: "madvise(MADV_POPULATE_WRITE)",
                source: e.into(),
            }),
        }
    }

    /// Whether `phys` is backed by anonymous memory ([`PhysMem::back_anonymous`]).
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 20).unwrap();
    /// assert!(!m.is_anonymous(PhysAddr(0)));
    /// ```
    pub fn is_anonymous(&self, phys: PhysAddr) -> bool {
        self.anonymous_overlap(phys.0, phys.0.saturating_add(1))
            .is_some()
    }

    /// The anonymous ranges, `[start, end)` in physical addresses, sorted.
    ///
    /// ```
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 20).unwrap();
    /// assert!(m.anonymous_ranges().is_empty());
    /// ```
    pub fn anonymous_ranges(&self) -> Vec<(u64, u64)> {
        self.anon.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn anonymous_overlap(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        let anon = self.anon.lock().unwrap_or_else(|p| p.into_inner());
        anon.iter().copied().find(|&(s, e)| s < end && start < e)
    }
}

impl Drop for PhysMem {
    fn drop(&mut self) {
        // SAFETY: `base`/`size` are exactly the mapping made in `new`, and nothing can
        // use it after `self` is gone (callers hold raw addresses at their own risk,
        // which is why `Mm` keeps the `PhysMem` alive through its platform).
        let _ = unsafe { munmap(self.base.as_ptr().cast(), self.size as usize) };
    }
}

/// A second mapping of some physical pages (an alias of the direct map); unmapped on
/// drop. It may outlive nothing: the memfd stays open as long as the mapping exists,
/// even if the [`PhysMem`] is dropped first.
///
/// ```
/// use oxmm::types::PhysAddr;
/// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
/// let a = m.map_alias(PhysAddr(0), 0x2000).unwrap();
/// assert_eq!((a.phys(), a.len()), (PhysAddr(0), 0x2000));
/// ```
#[derive(Debug)]
pub struct AliasMapping {
    ptr: NonNull<u8>,
    len: u64,
    phys: u64,
}

// SAFETY: like `PhysMem`, an alias only owns an address range of shared memory.
unsafe impl Send for AliasMapping {}
// SAFETY: as above.
unsafe impl Sync for AliasMapping {}

impl AliasMapping {
    /// Start of the alias mapping.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// let a = m.map_alias(PhysAddr(0x1000), 0x1000).unwrap();
    /// assert!(!a.as_ptr().is_null());
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Length in bytes.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// let a = m.map_alias(PhysAddr(0x1000), 0x1000).unwrap();
    /// assert_eq!(a.len(), 0x1000);
    /// ```
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Always false: empty aliases cannot be made.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// let a = m.map_alias(PhysAddr(0x1000), 0x1000).unwrap();
    /// assert!(!a.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first physical address the alias shows.
    ///
    /// ```
    /// use oxmm::types::PhysAddr;
    /// let m = oxmm_host::physmem::PhysMem::new(1 << 16).unwrap();
    /// let a = m.map_alias(PhysAddr(0x1000), 0x1000).unwrap();
    /// assert_eq!(a.phys(), PhysAddr(0x1000));
    /// ```
    pub fn phys(&self) -> PhysAddr {
        PhysAddr(self.phys)
    }
}

impl Drop for AliasMapping {
    fn drop(&mut self) {
        // SAFETY: exactly the mapping made by `map_alias`, unmapped once.
        let _ = unsafe { munmap(self.ptr.as_ptr().cast(), self.len as usize) };
    }
}
