//! [`OxmmAlloc`]: a `#[global_allocator]` backed by a hosted oxmm machine.
//!
//! The first allocation boots a small hosted machine ([`HEAP_MACHINE`]) and its slab
//! caches. Booting allocates too, so until the machine is ready every request (from
//! any thread) goes to the system allocator; afterwards requests of up to 8 KiB are
//! served by the kmalloc caches (the size class raised to a power of two when the
//! alignment asks for more than 8 bytes, which kmalloc objects then have naturally),
//! larger ones by compound pages from the page allocator. Which allocator owns a
//! pointer is decided by address: the machine's direct map is one range. `realloc`
//! stays in place while the object's `ksize` holds the new size. If the machine cannot
//! boot, or runs out of memory, the system allocator serves.
//!
//! ```no_run
//! #[global_allocator]
//! static GLOBAL: oxmm_host::global_alloc::OxmmAlloc = oxmm_host::global_alloc::OxmmAlloc::new();
//! ```

use crate::hosted::HostedMachine;
use crate::machine::Machine;
use oxmm::gfp::Gfp;
use oxmm::mm::BootMode;
use oxmm::slab::kmalloc::KMALLOC_MAX_CACHE_SIZE;
use oxmm::slab::SlabCaches;
use std::alloc::{GlobalAlloc, Layout, System};
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
#[derive(Debug, Default, Clone, Copy)]
pub struct OxmmAlloc;

impl OxmmAlloc {
    /// The allocator (all state is global: one heap machine per process).
    pub const fn new() -> OxmmAlloc {
        OxmmAlloc
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
    pub fn owns(ptr: *const u8) -> bool {
        let a = ptr as usize;
        a >= LO.load(Acquire) && a < HI.load(Acquire)
    }

    /// Objects and slabs of the heap's kmalloc caches, `/proc/slabinfo` style (empty
    /// before the heap is ready).
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
                Some(Heap { hm, slab })
            });
        match heap {
            Some(h) => {
                let mm = h.hm.mm();
                let lo = oxmm::platform::Platform::direct_map_base(mm.platform()) as usize;
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
                // The layout names the cache alloc used, unless realloc kept the object
                // for another size: then the cache check refuses and kfree finds it.
                if let Some(id) = h.slab.kmalloc_slab(request(layout), Gfp::KERNEL) {
                    if h.slab.kmem_cache_free(mm, id, ptr).is_ok() {
                        return;
                    }
                }
                // A refusal would mean a pointer we never handed out; nothing to do.
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
        // In place while the object (or block) holds the new size.
        if let Ok(ks) = h.slab.ksize(h.hm.mm(), ptr) {
            if new_size as u64 <= ks {
                return ptr;
            }
        }
        // SAFETY: the caller guarantees `new_size` with `layout.align()` is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
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
