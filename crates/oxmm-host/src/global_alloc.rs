//! [`OxmmAlloc`]: a `#[global_allocator]` backed by a hosted oxmm machine.
//!
//! The first allocation boots a small hosted machine ([`HEAP_MACHINE`]) and its slab
//! caches. Booting allocates too, so until the machine is ready every request (from
//! any thread) goes to the system allocator; afterwards requests of up to 8 KiB are
//! served by the kmalloc caches (the size class raised to a power of two when the
//! alignment asks for more than 8 bytes, which kmalloc objects then have naturally),
//! larger ones by compound pages from the page allocator. Which allocator owns a
//! pointer is decided by address: the machine's direct map is one range. `realloc`
//! stays in place while the new size has the same kmalloc class (or, above 8 KiB, fits
//! the block), so the layout a caller frees with always names the object's cache. If
//! the machine cannot boot, or runs out of memory, the system allocator serves.
//!
//! **Sheaves.** Each thread keeps, per kmalloc class, a *sheaf*: a small array of
//! objects it freed, handed out again by its next allocations of that class (Linux
//! 6.18's per-CPU sheaves, kept per thread here). An empty sheaf is refilled with
//! half its capacity by `kmem_cache_alloc_bulk`, a full one gives half back by
//! `kmem_cache_free_bulk`, and a thread's sheaves are emptied when it exits (or by
//! [`OxmmAlloc::flush_sheaves`]). A sheaf of objects smaller than a cache line keeps
//! only objects of the slab it was last refilled from; others (another thread's, say)
//! go back to their slab, so that a thread is not handed objects that share a cache
//! line with another thread's. Objects in a sheaf are allocated as far as SLUB is
//! concerned: `/proc/slabinfo` counts them active, as Linux counts its sheaves'. A
//! cache with debugging or `init_on_alloc`/`init_on_free` has no sheaves (as in
//! Linux): its every object goes through SLUB's checks. [`OxmmAlloc::without_sheaves`]
//! is the allocator without them, every request a kmalloc or kfree.
//!
//! ```no_run
//! #[global_allocator]
//! static GLOBAL: oxmm_host::global_alloc::OxmmAlloc = oxmm_host::global_alloc::OxmmAlloc::new();
//! ```

use crate::hosted::HostedMachine;
use crate::machine::Machine;
use oxmm::gfp::Gfp;
use oxmm::mm::BootMode;
use oxmm::slab::kmalloc::{
    kmalloc_index, kmalloc_index_size, KMALLOC_MAX_CACHE_SIZE, NR_KMALLOC_INDICES,
};
use oxmm::slab::{CacheId, SlabCaches};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use std::sync::atomic::{AtomicPtr, AtomicUsize};

/// The machine behind the heap: 1 GiB of x86-64 RAM and 64 CPUs, each owned by one
/// thread at a time (`HostOptions::cpu_ownership`): a thread's first allocation claims
/// a CPU, its exit gives it back, and up to 64 threads at once allocate without atomic
/// instructions on the fast paths (more run as shared CPUs, correct but slower).
///
/// ```
/// let m = oxmm_host::machine::Machine::from_toml_str(oxmm_host::global_alloc::HEAP_MACHINE, "heap").unwrap();
/// assert_eq!(m.name, "oxmm-heap");
/// ```
pub const HEAP_MACHINE: &str = r#"
name = "oxmm-heap"
description = "GlobalAlloc heap: 1 GiB, 64 CPUs"
arch = "x86-64"
cpus = 64
kernel_version = "6.12"
e820 = [
  { range = "0x0-0x9fbff", type = "usable" },
  { range = "0x100000-0x3fffffff", type = "usable" },
]
"#;

const UNINIT: u8 = 0;
const BOOTING: u8 = 1;
const READY: u8 = 2;
const FAILED: u8 = 3;

static STATE: AtomicU8 = AtomicU8::new(UNINIT);
static HEAP: AtomicPtr<Heap> = AtomicPtr::new(std::ptr::null_mut());
/// The direct map's range, for ownership checks without touching `HEAP`.
static LO: AtomicUsize = AtomicUsize::new(0);
static HI: AtomicUsize = AtomicUsize::new(0);

struct Heap {
    hm: HostedMachine,
    slab: SlabCaches,
    /// The `GFP_KERNEL` kmalloc cache of each kmalloc index.
    ids: [Option<CacheId>; NR_KMALLOC_INDICES],
    /// Whether that cache may have sheaves ([`oxmm::slab::KmemCache::plain_objects`]).
    sheaves: [bool; NR_KMALLOC_INDICES],
    /// Bytes of a slab of that cache when its objects are smaller than a cache line,
    /// else `usize::MAX` (see [`Sheaf::home`]).
    home_bytes: [usize; NR_KMALLOC_INDICES],
    /// The direct map's first byte: slabs of order k are `PAGE_SIZE << k`-aligned
    /// from it.
    base: usize,
}

impl Heap {
    fn new(hm: HostedMachine, slab: SlabCaches) -> Heap {
        let mut ids = [None; NR_KMALLOC_INDICES];
        let mut sheaves = [false; NR_KMALLOC_INDICES];
        let mut home_bytes = [usize::MAX; NR_KMALLOC_INDICES];
        let mm = hm.mm();
        let page = 1usize << mm.geometry().shift();
        for idx in 1..NR_KMALLOC_INDICES {
            let size = kmalloc_index_size(idx);
            let id = slab.kmalloc_slab(size as u64, Gfp::KERNEL);
            ids[idx] = id;
            if let Some(c) = id.and_then(|id| slab.cache(id)) {
                sheaves[idx] = c.plain_objects();
                // Objects smaller than a cache line share lines: a thread keeps only
                // those of its own slab (see `Sheaf::home`).
                if size < oxmm::slab::layout::CACHE_LINE_SIZE {
                    home_bytes[idx] = page << c.order();
                }
            }
        }
        let base = oxmm::platform::Platform::direct_map_base(mm.platform()) as usize;
        Heap {
            hm,
            slab,
            ids,
            sheaves,
            home_bytes,
            base,
        }
    }
}

/// [`kmalloc_index`] of every size up to 8 KiB, by `(size - 1) / 8` (the class
/// boundaries are multiples of 8): one load instead of branches on random sizes.
static CLASS: [u8; (KMALLOC_MAX_CACHE_SIZE / 8) as usize] = {
    let mut t = [0u8; (KMALLOC_MAX_CACHE_SIZE / 8) as usize];
    let mut i = 0;
    while i < t.len() {
        t[i] = match kmalloc_index((i as u64 + 1) * 8) {
            Some(idx) => idx as u8,
            None => 0,
        };
        i += 1;
    }
    t
};

/// The kmalloc index of a request (`request`'s result), `None` above 8 KiB.
#[inline(always)]
fn class_of(req: u64) -> Option<usize> {
    if req.wrapping_sub(1) < KMALLOC_MAX_CACHE_SIZE {
        Some(CLASS[((req - 1) / 8) as usize] as usize)
    } else {
        None
    }
}

/// Slots of a sheaf (the largest classes use fewer: [`sheaf_capacity`]).
const SHEAF_SLOTS: usize = 32;

/// How many objects the sheaf of kmalloc index `idx` holds: 32, fewer for the classes
/// above 1 KiB so that a thread keeps at most 32 KiB of each (8 objects at least).
///
/// ```
/// # use oxmm_host::global_alloc::sheaf_capacity;
/// assert_eq!((sheaf_capacity(3), sheaf_capacity(11), sheaf_capacity(13)), (32, 16, 8));
/// ```
pub const fn sheaf_capacity(idx: usize) -> usize {
    let size = kmalloc_index_size(idx) as usize;
    if size == 0 {
        return 0;
    }
    let n = 32768 / size;
    if n > SHEAF_SLOTS {
        SHEAF_SLOTS
    } else if n < 8 {
        8
    } else {
        n
    }
}

/// A thread's freed objects of one kmalloc class, the newest on top (Linux 6.18's
/// `struct slab_sheaf`).
#[doc(alias = "slab_sheaf")]
struct Sheaf {
    size: usize,
    /// [`sheaf_capacity`] of its class, kept here to spare the hot path the lookup.
    capacity: usize,
    /// The objects a free may keep: those `ptr - home < home_len`. For objects smaller
    /// than a cache line, the slab of the last refill (an object from elsewhere, such
    /// as another thread's, goes back to its slab: kept, it would be handed out here
    /// and written next to the other thread's objects — passive false sharing); for
    /// the others all of memory (`home_len == usize::MAX`); nothing before the first
    /// refill.
    home: usize,
    home_len: usize,
    objects: [*mut u8; SHEAF_SLOTS],
}

/// A thread's sheaves, one per kmalloc index; `busy` while one of them is being
/// refilled or flushed, when a nested allocation (a report printed by the slab code,
/// say) must not touch them.
struct Sheaves {
    busy: Cell<bool>,
    sheaf: UnsafeCell<[Sheaf; NR_KMALLOC_INDICES]>,
}

impl Sheaves {
    /// Give every object back to its cache.
    fn flush_all(&self) {
        let Some(h) = heap() else { return };
        if self.busy.replace(true) {
            return;
        }
        // SAFETY: only this thread reaches its sheaves, and `busy` keeps nested calls
        // away from them until it is cleared below.
        let all = unsafe { &mut *self.sheaf.get() };
        for (idx, sh) in all.iter_mut().enumerate() {
            let n = sh.size;
            flush(h, idx, sh, n);
        }
        self.busy.set(false);
    }
}

impl Drop for Sheaves {
    fn drop(&mut self) {
        self.flush_all();
    }
}

/// A thread's sheaves before its first allocation: empty, each with its capacity.
const SHEAVES_INIT: [Sheaf; NR_KMALLOC_INDICES] = {
    let mut a = [const {
        Sheaf {
            size: 0,
            capacity: 0,
            home: 0,
            home_len: 0,
            objects: [std::ptr::null_mut(); SHEAF_SLOTS],
        }
    }; NR_KMALLOC_INDICES];
    let mut i = 0;
    while i < NR_KMALLOC_INDICES {
        a[i].capacity = sheaf_capacity(i);
        i += 1;
    }
    a
};

std::thread_local! {
    static SHEAVES: Sheaves = const {
        Sheaves {
            busy: Cell::new(false),
            sheaf: UnsafeCell::new(SHEAVES_INIT),
        }
    };
}

/// Give the `n` oldest objects of `sh` back to cache `idx` (`kmem_cache_free_bulk`),
/// the rest moved down.
#[cold]
#[inline(never)]
fn flush(h: &Heap, idx: usize, sh: &mut Sheaf, n: usize) {
    let n = n.min(sh.size);
    if n == 0 {
        return;
    }
    let mm = h.hm.mm();
    let objs = &mut sh.objects[..n];
    let bulk = h.ids[idx].map(|id| h.slab.kmem_cache_free_bulk(mm, id, objs));
    if !matches!(bulk, Some(Ok(()))) {
        // Not expected (each object came from this cache): free what is left one by
        // one, kfree finding each object's cache.
        for p in objs.iter_mut().filter(|p| !p.is_null()) {
            let _ = h.slab.kfree(mm, *p);
            *p = std::ptr::null_mut();
        }
    }
    sh.objects.copy_within(n..sh.size, 0);
    sh.size -= n;
}

/// Fill the empty `sh` with half its capacity from cache `idx`
/// (`kmem_cache_alloc_bulk`, all or nothing).
#[cold]
#[inline(never)]
fn refill(h: &Heap, idx: usize, sh: &mut Sheaf) {
    let Some(id) = h.ids[idx] else { return };
    let n = sh.capacity / 2;
    let got = h
        .slab
        .kmem_cache_alloc_bulk(h.hm.mm(), id, Gfp::KERNEL, &mut sh.objects[..n]);
    if let Ok(n) = got {
        sh.size = n;
        if n > 0 {
            let bytes = h.home_bytes[idx];
            if bytes == usize::MAX {
                (sh.home, sh.home_len) = (0, usize::MAX);
            } else {
                // The slab of the object handed out first.
                let off = (sh.objects[n - 1] as usize).wrapping_sub(h.base);
                (sh.home, sh.home_len) = (h.base + (off & !(bytes - 1)), bytes);
            }
        }
    }
}

/// An object of kmalloc index `idx` from this thread's sheaf (null when the sheaves
/// are unavailable or cannot be refilled).
#[inline(always)]
fn sheaf_alloc(h: &Heap, idx: usize) -> *mut u8 {
    SHEAVES
        .try_with(|sv| {
            if sv.busy.get() {
                return std::ptr::null_mut();
            }
            // SAFETY: only this thread reaches its sheaves; nested calls (from inside
            // `refill`) see `busy` and keep away.
            let sh = unsafe { &mut (*sv.sheaf.get())[idx] };
            if sh.size == 0 {
                sv.busy.set(true);
                refill(h, idx, sh);
                sv.busy.set(false);
                if sh.size == 0 {
                    return std::ptr::null_mut();
                }
            }
            sh.size -= 1;
            sh.objects[sh.size]
        })
        .unwrap_or(std::ptr::null_mut())
}

/// Keep `ptr`, an object of kmalloc index `idx`, in this thread's sheaf; false when
/// the sheaves are unavailable (the caller frees it to its cache).
#[inline(always)]
fn sheaf_free(h: &Heap, idx: usize, ptr: *mut u8) -> bool {
    SHEAVES
        .try_with(|sv| {
            if sv.busy.get() {
                return false;
            }
            // SAFETY: as in `sheaf_alloc`.
            let sh = unsafe { &mut (*sv.sheaf.get())[idx] };
            if (ptr as usize).wrapping_sub(sh.home) >= sh.home_len {
                return false;
            }
            let cap = sh.capacity;
            if sh.size >= cap {
                sv.busy.set(true);
                flush(h, idx, sh, cap / 2);
                sv.busy.set(false);
            }
            if sh.size >= cap {
                return false;
            }
            sh.objects[sh.size] = ptr;
            sh.size += 1;
            true
        })
        .unwrap_or(false)
}

/// A global allocator on oxmm's kmalloc and page allocator (see the module docs).
///
/// ```
/// use std::alloc::{GlobalAlloc, Layout};
/// let a = oxmm_host::global_alloc::OxmmAlloc::new();
/// let l = Layout::from_size_align(100, 16).unwrap();
/// // SAFETY: a non-zero layout; the block is freed with the same layout.
/// unsafe {
///     let p = a.alloc(l);
///     assert_eq!(p as usize % 16, 0);
///     a.dealloc(p, l);
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OxmmAlloc {
    sheaves: bool,
}

impl Default for OxmmAlloc {
    fn default() -> OxmmAlloc {
        OxmmAlloc::new()
    }
}

impl OxmmAlloc {
    /// The allocator, with per-thread sheaves (all state is global: one heap machine
    /// per process).
    ///
    /// ```
    /// use oxmm_host::global_alloc::OxmmAlloc;
    /// use std::alloc::{GlobalAlloc, Layout};
    /// static HEAP: OxmmAlloc = OxmmAlloc::new(); // const: usable in a static
    /// let l = Layout::new::<[u64; 4]>();
    /// // SAFETY: a non-zero layout, freed with it.
    /// unsafe {
    ///     let p = HEAP.alloc(l); // the first allocation boots the heap machine
    ///     assert!(OxmmAlloc::ready() && OxmmAlloc::owns(p));
    ///     HEAP.dealloc(p, l);
    /// }
    /// ```
    pub const fn new() -> OxmmAlloc {
        OxmmAlloc { sheaves: true }
    }

    /// The allocator without sheaves: every allocation a kmalloc, every free a kfree
    /// (the same heap as [`new`](Self::new)'s; either may free the other's blocks).
    ///
    /// ```
    /// use std::alloc::{GlobalAlloc, Layout};
    /// let a = oxmm_host::global_alloc::OxmmAlloc::without_sheaves();
    /// let l = Layout::new::<u64>();
    /// // SAFETY: a non-zero layout, freed with it.
    /// unsafe { a.dealloc(a.alloc(l), l) };
    /// ```
    pub const fn without_sheaves() -> OxmmAlloc {
        OxmmAlloc { sheaves: false }
    }

    /// Give the calling thread's sheaves back to their caches now (a thread's exit
    /// does it too): afterwards `/proc/slabinfo` counts only the objects in use.
    ///
    /// ```
    /// oxmm_host::global_alloc::OxmmAlloc::flush_sheaves();
    /// ```
    pub fn flush_sheaves() {
        let _ = SHEAVES.try_with(|sv| sv.flush_all());
    }

    /// How many objects the calling thread's sheaf for requests of `size` bytes
    /// (alignment 8) holds now: 0 above 8 KiB, for a cache without sheaves, or
    /// before the heap is ready.
    ///
    /// ```
    /// assert_eq!(oxmm_host::global_alloc::OxmmAlloc::sheaf_objects(64), 0);
    /// ```
    pub fn sheaf_objects(size: usize) -> usize {
        let Some(idx) = class_of(size.max(1) as u64) else {
            return 0;
        };
        SHEAVES
            .try_with(|sv| {
                if sv.busy.get() {
                    return 0;
                }
                // SAFETY: only this thread reaches its sheaves; a plain read.
                unsafe { (*sv.sheaf.get())[idx].size }
            })
            .unwrap_or(0)
    }

    /// Whether the heap machine is booted and serving.
    ///
    /// ```
    /// // Not the global allocator here, so nothing has booted it.
    /// assert!(!oxmm_host::global_alloc::OxmmAlloc::ready());
    /// ```
    pub fn ready() -> bool {
        STATE.load(Acquire) == READY
    }

    /// Whether `ptr` was handed out by the heap machine (not the system allocator).
    ///
    /// ```
    /// let b = Box::new(1u8); // from the system allocator here
    /// assert!(!oxmm_host::global_alloc::OxmmAlloc::owns(&*b as *const u8));
    /// ```
    #[inline]
    pub fn owns(ptr: *const u8) -> bool {
        let a = ptr as usize;
        a >= LO.load(Acquire) && a < HI.load(Acquire)
    }

    /// Objects and slabs of the heap's kmalloc caches, `/proc/slabinfo` style (empty
    /// before the heap is ready).
    ///
    /// ```
    /// use oxmm_host::global_alloc::OxmmAlloc;
    /// use std::alloc::{GlobalAlloc, Layout};
    /// assert!(OxmmAlloc::slabinfo().is_empty()); // not booted yet
    /// let (a, l) = (OxmmAlloc::new(), Layout::new::<[u8; 100]>());
    /// // SAFETY: a non-zero layout, freed with it.
    /// unsafe { a.dealloc(a.alloc(l), l) };
    /// assert!(OxmmAlloc::slabinfo().lines().any(|l| l.starts_with("kmalloc-128 ")));
    /// ```
    pub fn slabinfo() -> String {
        let mut s = String::new();
        if let Some(h) = heap() {
            let _ = h.slab.slabinfo(h.hm.mm(), &mut s);
        }
        s
    }

    fn boot() {
        if STATE
            .compare_exchange(UNINIT, BOOTING, AcqRel, Acquire)
            .is_err()
        {
            return;
        }
        // Everything allocated from here to READY comes from the system allocator.
        let heap = Machine::from_toml_str(HEAP_MACHINE, "oxmm-heap")
            .ok()
            .and_then(|m| {
                let opts = crate::hosted::HostOptions {
                    cpu_ownership: true,
                };
                HostedMachine::boot_with_options(&m, BootMode::Full, opts).ok()
            })
            .and_then(|hm| {
                let slab = SlabCaches::init(hm.mm(), Default::default()).ok()?;
                Some(Heap::new(hm, slab))
            });
        match heap {
            Some(h) => {
                let mm = h.hm.mm();
                let lo = h.base;
                let hi = lo + ((mm.max_pfn() as usize) << mm.geometry().shift());
                let p = Box::into_raw(Box::new(h));
                HEAP.store(p, Release);
                LO.store(lo, Release);
                HI.store(hi, Release);
                STATE.store(READY, Release);
            }
            None => STATE.store(FAILED, Release),
        }
    }
}

#[inline]
fn heap() -> Option<&'static Heap> {
    let p = HEAP.load(Acquire);
    // SAFETY: set once to a leaked Box that is never freed.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The kmalloc request for `layout`: the size, raised to a power of two when the
/// alignment exceeds kmalloc's minimum (kmalloc-N objects are N-aligned then).
#[inline(always)]
fn request(layout: Layout) -> u64 {
    let size = layout.size().max(1);
    if layout.align() <= 8 {
        size as u64
    } else {
        size.max(layout.align()).next_power_of_two() as u64
    }
}

impl OxmmAlloc {
    #[inline(always)]
    fn alloc_gfp(&self, layout: Layout, gfp: Gfp) -> *mut u8 {
        if STATE.load(Acquire) != READY {
            Self::boot();
            if STATE.load(Acquire) != READY {
                // SAFETY: forwarding the caller's layout to the system allocator.
                return unsafe {
                    if gfp.contains(Gfp::ZERO) {
                        System.alloc_zeroed(layout)
                    } else {
                        System.alloc(layout)
                    }
                };
            }
        }
        let Some(h) = heap() else {
            // SAFETY: as above.
            return unsafe { System.alloc(layout) };
        };
        let req = request(layout);
        if self.sheaves {
            if let Some(idx) = class_of(req).filter(|&i| h.sheaves[i]) {
                let p = sheaf_alloc(h, idx);
                // Always aligned (`request`), but checked as kmalloc's results are.
                if !p.is_null() && p as usize & (layout.align() - 1) == 0 {
                    if gfp.contains(Gfp::ZERO) {
                        // SAFETY: an object of at least `req >= layout.size()` bytes.
                        unsafe { p.write_bytes(0, layout.size()) };
                    }
                    return p;
                }
                if !p.is_null() {
                    let _ = h.slab.kfree(h.hm.mm(), p);
                }
            }
        }
        if req > KMALLOC_MAX_CACHE_SIZE && layout.align() > 4096 && req < layout.align() as u64 {
            // SAFETY: as above.
            return unsafe { System.alloc(layout) };
        }
        match h.slab.kmalloc(h.hm.mm(), req, gfp) {
            Ok(p) if p.as_ptr() as usize % layout.align() == 0 => p.as_ptr(),
            Ok(p) => {
                let _ = h.slab.kfree(h.hm.mm(), p.as_ptr());
                // SAFETY: as above.
                unsafe { System.alloc(layout) }
            }
            // SAFETY: as above.
            Err(_) => unsafe {
                if gfp.contains(Gfp::ZERO) {
                    System.alloc_zeroed(layout)
                } else {
                    System.alloc(layout)
                }
            },
        }
    }
}

// SAFETY: every pointer returned is either a kmalloc object or page block of at least
// `request(layout) >= layout.size()` bytes aligned to `layout.align()` (checked), or
// the system allocator's; `dealloc`/`realloc` route each pointer back to its owner by
// address range. All oxmm operations are thread-safe (`&self`).
unsafe impl GlobalAlloc for OxmmAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.alloc_gfp(layout, Gfp::KERNEL)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.alloc_gfp(layout, Gfp::KERNEL | Gfp::ZERO)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::owns(ptr) {
            if let Some(h) = heap() {
                let mm = h.hm.mm();
                // The layout names the cache alloc used (realloc keeps an object only
                // within its class).
                if let Some(idx) = class_of(request(layout)) {
                    if self.sheaves && h.sheaves[idx] && sheaf_free(h, idx, ptr) {
                        return;
                    }
                    if let Some(id) = h.ids[idx] {
                        if h.slab.kmem_cache_free(mm, id, ptr).is_ok() {
                            return;
                        }
                    }
                }
                // A large block, or a refusal (a pointer we never handed out, which
                // kfree refuses too: nothing to do).
                let _ = h.slab.kfree(mm, ptr);
                return;
            }
        }
        // SAFETY: not ours, so the system allocator's, with the caller's layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !Self::owns(ptr) {
            // SAFETY: the system allocator's pointer and layout.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let Some(h) = heap() else {
            return std::ptr::null_mut();
        };
        // SAFETY: the caller guarantees `new_size` with `layout.align()` is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // In place while the kmalloc class stays the same (so that the layout freed
        // with still names the object's cache), or a large block holds the new size.
        match (
            kmalloc_index(request(layout)),
            kmalloc_index(request(new_layout)),
        ) {
            (Some(a), Some(b)) if a == b => return ptr,
            (None, None) => {
                if let Ok(ks) = h.slab.ksize(h.hm.mm(), ptr) {
                    if new_size as u64 <= ks {
                        return ptr;
                    }
                }
            }
            _ => {}
        }
        // SAFETY: a non-zero-sized layout.
        let q = unsafe { self.alloc(new_layout) };
        if !q.is_null() {
            // SAFETY: `ptr` holds `layout.size()` bytes, `q` at least `new_size` more;
            // two distinct live allocations.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        q
    }
}
