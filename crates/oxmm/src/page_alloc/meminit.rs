//! Memory auto-initialisation in the page allocator (Linux: the `init_on_alloc` and
//! `init_on_free` static keys, `want_init_on_alloc`, `want_init_on_free`,
//! `kernel_init_pages`; include/linux/mm.h, mm/page_alloc.c, v6.12).
//!
//! The keys are global: the slab allocator reads them too (when a cache is created,
//! as Linux's static keys are fixed at boot).
//!
//! ```
//! use oxmm::page_alloc::meminit::MemInitKeys;
//! let k = MemInitKeys::new();
//! k.set(true, false);
//! assert!(k.init_on_alloc() && !k.init_on_free());
//! ```

use crate::gfp::Gfp;
use crate::mm::Mm;
use crate::platform::Platform;
use crate::slab::hardening::MemInit;
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// The `init_on_alloc` / `init_on_free` keys.
///
/// ```
/// let k = oxmm::page_alloc::meminit::MemInitKeys::new();
/// assert!(!k.init_on_alloc() && !k.init_on_free());
/// ```
#[derive(Debug, Default)]
pub struct MemInitKeys {
    alloc: AtomicBool,
    free: AtomicBool,
}

impl MemInitKeys {
    /// Both off (the kernel's defaults without `CONFIG_INIT_ON_*_DEFAULT_ON`).
    ///
    /// ```
    /// use oxmm::page_alloc::meminit::MemInitKeys;
    /// static KEYS: MemInitKeys = MemInitKeys::new();
    /// assert!(!KEYS.init_on_alloc() && !KEYS.init_on_free());
    /// ```
    pub const fn new() -> MemInitKeys {
        MemInitKeys {
            alloc: AtomicBool::new(false),
            free: AtomicBool::new(false),
        }
    }
    /// Set both keys.
    ///
    /// ```
    /// use oxmm::page_alloc::meminit::MemInitKeys;
    /// let k = MemInitKeys::new();
    /// k.set(false, true);
    /// assert!(!k.init_on_alloc() && k.init_on_free());
    /// k.set(true, true);
    /// assert!(k.init_on_alloc() && k.init_on_free());
    /// ```
    pub fn set(&self, init_on_alloc: bool, init_on_free: bool) {
        self.alloc.store(init_on_alloc, Relaxed);
        self.free.store(init_on_free, Relaxed);
    }
    /// `init_on_alloc`.
    ///
    /// ```
    /// use oxmm::page_alloc::meminit::MemInitKeys;
    /// let k = MemInitKeys::new();
    /// assert!(!k.init_on_alloc());
    /// k.set(true, false);
    /// assert!(k.init_on_alloc());
    /// ```
    #[inline(always)]
    pub fn init_on_alloc(&self) -> bool {
        self.alloc.load(Relaxed)
    }
    /// `init_on_free`.
    ///
    /// ```
    /// use oxmm::page_alloc::meminit::MemInitKeys;
    /// let k = MemInitKeys::new();
    /// k.set(true, false);
    /// assert!(!k.init_on_free());
    /// k.set(false, true);
    /// assert!(k.init_on_free());
    /// ```
    #[inline(always)]
    pub fn init_on_free(&self) -> bool {
        self.free.load(Relaxed)
    }
}

impl<P: Platform> Mm<P> {
    /// Set `init_on_alloc` / `init_on_free` (the `init_on_alloc=` and `init_on_free=`
    /// boot options). Set them before creating the slab caches, which take them at
    /// creation as Linux's boot-time static keys.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::slab::hardening::MemInit;
    /// mm.set_meminit(MemInit { init_on_alloc: true, init_on_free: false });
    /// assert!(mm.meminit().init_on_alloc);
    /// # }
    /// ```
    pub fn set_meminit(&self, m: MemInit) {
        self.meminit.set(m.init_on_alloc, m.init_on_free);
        self.update_hot_keys();
    }

    /// `hot_alloc_key` from `hot_request` and `init_on_alloc`: with the key off, the
    /// allocation fast path's guess never matches, and its table path, which is
    /// refused too while `init_on_alloc` is on (`Mm::first_zone`), sends every
    /// request to the full path, which zeroes. So a request that takes the guess
    /// needs no test of `init_on_alloc`. As racy as the key itself for allocations
    /// running while it changes (Linux's is a static key, set at boot).
    pub(crate) fn update_hot_keys(&self) {
        let key = if self.meminit.init_on_alloc() {
            u32::MAX
        } else {
            self.hot_request
        };
        self.hot_alloc_key.store(key, Relaxed);
        // The same for frees and `init_on_free` (see `Mm::page_zone_of_flags`).
        let key = if self.meminit.init_on_free() {
            u32::MAX
        } else {
            self.hot_zone_id as u32
        };
        self.hot_free_key.store(key, Relaxed);
    }

    /// The current `init_on_alloc` / `init_on_free` setting.
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// assert!(!mm.meminit().init_on_free || mm.want_init_on_free());
    /// # }
    /// ```
    pub fn meminit(&self) -> MemInit {
        MemInit {
            init_on_alloc: self.meminit.init_on_alloc(),
            init_on_free: self.meminit.init_on_free(),
        }
    }

    /// `want_init_on_alloc(gfp)`: zero a new block (`__GFP_ZERO`, or `init_on_alloc`).
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// use oxmm::gfp::Gfp;
    /// assert!(mm.want_init_on_alloc(Gfp::KERNEL | Gfp::ZERO));
    /// # }
    /// ```
    #[inline(always)]
    pub fn want_init_on_alloc(&self, gfp: Gfp) -> bool {
        self.meminit.init_on_alloc() || gfp.contains(Gfp::ZERO)
    }

    /// `want_init_on_free()`: freed blocks are zeroed (`kernel_init_pages`).
    ///
    /// ```no_run
    /// # fn f<P: oxmm::platform::Platform>(mm: &oxmm::mm::Mm<P>) {
    /// assert_eq!(mm.want_init_on_free(), mm.meminit().init_on_free);
    /// # }
    /// ```
    #[inline(always)]
    pub fn want_init_on_free(&self) -> bool {
        self.meminit.init_on_free()
    }
}
