//! The allocators oxmm's slab allocator is measured against, each as a
//! [`GlobalAlloc`] object used directly (none is the process's `#[global_allocator]`,
//! so all of them run in one process): the system allocator (glibc), `mimalloc`,
//! `tikv-jemallocator`, and the `no_std` heaps `talc`, `linked_list_allocator`,
//! `buddy_system_allocator` (its `LockedHeap`) and `slabmalloc` (its `ZoneAllocator`
//! behind a spin lock, refilled from an arena), each given an arena of [`ARENA`] bytes.
//!
//! ```
//! use std::alloc::{GlobalAlloc, Layout};
//! let l = Layout::from_size_align(64, 8).unwrap();
//! for (name, a) in oxmm_bench::peers::all() {
//!     // SAFETY: a non-zero layout, freed at once with it.
//!     unsafe {
//!         let p = a.alloc(l);
//!         assert!(!p.is_null(), "{name}");
//!         a.dealloc(p, l);
//!     }
//! }
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::NonNull;
use std::sync::OnceLock;

use slabmalloc::{AllocationError, Allocator, LargeObjectPage, ObjectPage, ZoneAllocator};

/// Bytes of arena given to each `no_std` heap (reserved by the system allocator with
/// `mmap`: untouched pages cost nothing).
///
/// ```
/// assert_eq!(oxmm_bench::peers::ARENA, 256 << 20);
/// ```
pub const ARENA: usize = 256 << 20;

/// A peer: its crate's name and the allocator.
///
/// ```
/// use oxmm_bench::peers::{self, Peer};
/// use std::alloc::{GlobalAlloc, Layout};
/// let (name, a): Peer = peers::all()[0];
/// assert_eq!(name, "system");
/// let l = Layout::new::<[u64; 8]>();
/// // SAFETY: a non-zero layout, freed with it.
/// unsafe {
///     let p = a.alloc(l);
///     assert!(!p.is_null());
///     a.dealloc(p, l);
/// }
/// ```
pub type Peer = (&'static str, &'static (dyn GlobalAlloc + Sync));

/// A fresh zeroed arena of [`ARENA`] bytes aligned to 2 MiB, never freed.
fn arena() -> *mut u8 {
    let l = Layout::from_size_align(ARENA, 2 << 20).expect("a valid layout");
    // SAFETY: a non-zero layout; the arena is leaked on purpose (the heaps own it).
    let p = unsafe { System.alloc_zeroed(l) };
    assert!(!p.is_null(), "no {ARENA}-byte arena for a peer heap");
    p
}

type Talck = talc::Talck<spin::Mutex<()>, talc::ErrOnOom>;

/// Every peer, built on first use (arenas included).
///
/// ```
/// let names: Vec<&str> = oxmm_bench::peers::all().iter().map(|p| p.0).collect();
/// assert_eq!(names[0], "system");
/// assert_eq!(names.len(), 7);
/// ```
pub fn all() -> &'static [Peer] {
    static PEERS: OnceLock<Vec<Peer>> = OnceLock::new();
    PEERS.get_or_init(|| {
        let talc: &'static Talck = Box::leak(Box::new(talc::Talc::new(talc::ErrOnOom).lock()));
        // SAFETY: a fresh arena no one else uses.
        let claimed = unsafe {
            talc.lock()
                .claim(talc::Span::from_base_size(arena(), ARENA))
        };
        assert!(claimed.is_ok(), "talc refused its arena");
        let lla: &'static linked_list_allocator::LockedHeap =
            Box::leak(Box::new(linked_list_allocator::LockedHeap::empty()));
        // SAFETY: as above.
        unsafe { lla.lock().init(arena(), ARENA) };
        let buddy: &'static buddy_system_allocator::LockedHeap<32> =
            Box::leak(Box::new(buddy_system_allocator::LockedHeap::new()));
        // SAFETY: as above.
        unsafe { buddy.lock().init(arena() as usize, ARENA) };
        let slab: &'static Slabmalloc = Box::leak(Box::new(Slabmalloc::new()));
        vec![
            ("system", &System as &(dyn GlobalAlloc + Sync)),
            ("mimalloc", &mimalloc::MiMalloc),
            ("jemalloc", &tikv_jemallocator::Jemalloc),
            ("talc", talc),
            ("linked_list_allocator", lla),
            ("buddy_system_allocator", buddy),
            ("slabmalloc", slab),
        ]
    })
}

struct SlabState {
    zone: ZoneAllocator<'static>,
    /// The arena's unused part, handed out as 4 KiB and 2 MiB pages.
    next: usize,
    end: usize,
}

/// `slabmalloc`'s `ZoneAllocator` as a `GlobalAlloc`: a spin lock around it, refilled
/// with pages cut from an arena (as a kernel would from its page allocator) when it
/// runs out; pages are never given back. Sizes above its largest class (128 KiB) fail.
///
/// ```
/// use std::alloc::{GlobalAlloc, Layout};
/// let a = oxmm_bench::peers::Slabmalloc::new();
/// let l = Layout::from_size_align(1000, 8).unwrap();
/// // SAFETY: a non-zero layout, freed with it.
/// unsafe {
///     let p = a.alloc(l);
///     assert!(!p.is_null());
///     a.dealloc(p, l);
/// }
/// ```
pub struct Slabmalloc(spin::Mutex<SlabState>);

// SAFETY: the zone's raw page links are only touched under the lock; the pages are in
// an arena owned by this allocator for the life of the process.
unsafe impl Sync for Slabmalloc {}
// SAFETY: as above.
unsafe impl Send for Slabmalloc {}

impl Slabmalloc {
    /// An allocator with a fresh arena of [`ARENA`] bytes.
    ///
    /// ```
    /// use oxmm_bench::peers::{Slabmalloc, ARENA};
    /// use std::alloc::{GlobalAlloc, Layout};
    /// let a = Slabmalloc::new();
    /// let l = Layout::from_size_align(64, 8).unwrap();
    /// // SAFETY: non-zero layouts, the blocks freed with them.
    /// unsafe {
    ///     let (p, q) = (a.alloc(l), a.alloc(l));
    ///     assert!(!p.is_null() && !q.is_null() && p != q);
    ///     assert!((p as usize).abs_diff(q as usize) < ARENA); // cut from one arena
    ///     a.dealloc(p, l);
    ///     a.dealloc(q, l);
    ///     assert!(a.alloc(Layout::from_size_align(256 << 10, 8).unwrap()).is_null()); // too large
    /// }
    /// ```
    pub fn new() -> Slabmalloc {
        let base = arena() as usize;
        Slabmalloc(spin::Mutex::new(SlabState {
            zone: ZoneAllocator::new(),
            next: base,
            end: base + ARENA,
        }))
    }
}

impl Default for Slabmalloc {
    fn default() -> Self {
        Self::new()
    }
}

impl SlabState {
    /// The next `size`-byte page of the arena (`size`-aligned), if any is left.
    fn page(&mut self, size: usize) -> Option<usize> {
        let p = self.next.next_multiple_of(size);
        (p + size <= self.end).then(|| {
            self.next = p + size;
            p
        })
    }
}

// SAFETY: blocks come from the zone allocator, which returns `layout`-fitting memory
// from pages of the arena given to it once each; frees go back to it with the layout.
unsafe impl GlobalAlloc for Slabmalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut s = self.0.lock();
        loop {
            match s.zone.allocate(layout) {
                Ok(p) => return p.as_ptr(),
                Err(AllocationError::OutOfMemory) => {
                    let large = layout.size() > ZoneAllocator::MAX_BASE_ALLOC_SIZE;
                    let size = if large { 2 << 20 } else { 4096 };
                    let Some(page) = s.page(size) else {
                        return std::ptr::null_mut();
                    };
                    // SAFETY: a zeroed, suitably aligned page of the arena given to the
                    // zone once, living as long as the process.
                    let r = unsafe {
                        if large {
                            s.zone
                                .refill_large(layout, &mut *(page as *mut LargeObjectPage))
                        } else {
                            s.zone.refill(layout, &mut *(page as *mut ObjectPage))
                        }
                    };
                    if r.is_err() {
                        return std::ptr::null_mut();
                    }
                }
                Err(AllocationError::InvalidLayout) => return std::ptr::null_mut(),
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            // A refusal would mean a block this allocator never handed out.
            let _ = self.0.lock().zone.deallocate(p, layout);
        }
    }
}
