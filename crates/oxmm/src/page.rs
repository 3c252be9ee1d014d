//! The page descriptor (Linux: `struct page`, include/linux/mm_types.h).
//!
//! One per page frame, kept at 32 bytes (Linux: 64) so that the memmap costs 0.78 % of
//! memory with 4 KiB pages (Linux: 1.56 %).
//!
//! List links are 32-bit *memmap indices*, not pfns: the index of a page is its present
//! section's rank (sections numbered in pfn order, skipping sections without memory)
//! times `PAGES_PER_SECTION`, plus its offset in the section. That fits 32 bits for up to
//! 16 TiB of *present* memory (4 KiB pages) however sparse the physical map is — a
//! machine whose map reaches 25 TiB with 512 GiB of RAM uses indices below 2^27. See
//! [`crate::memmap`] for the conversions.

/// A page descriptor's contents as plain values: what boot writes into fresh
/// descriptors, and what [`Page::load`] reads back.
///
/// ```
/// use oxmm::page::PageState;
/// let mut s = PageState::init_single(2, 1);
/// assert_eq!((s.zone_idx(), s.nid()), (2, 1));
/// s.set_reserved();
/// assert!(s.is_reserved());
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct PageState {
    /// `page->flags`: `PG_*` bits low, zone index and node id in the high bits.
    pub flags: u64,
    /// `page->_refcount`.
    pub refcount: u32,
    /// `page->page_type` / `_mapcount`: buddy, slab and other page types
    /// ([`Page::TYPE_NONE`] for an untyped page, i.e. mapcount −1).
    pub page_type: u32,
    /// Next entry of the list this page is on, as a memmap index; [`Page::NIL`] ends a list.
    pub next: u32,
    /// Previous entry of the list this page is on, as a memmap index; [`Page::NIL`] ends a list.
    pub prev: u32,
    /// `page->private`: the buddy order of a free block, compound data, slab data.
    pub private: u64,
}

impl PageState {
    /// `__init_single_page`: flags cleared, zone and node set, refcount 1, untyped,
    /// unlinked.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let s = PageState::init_single(1, 3);
    /// assert_eq!((s.zone_idx(), s.nid(), s.refcount), (1, 3, 1));
    /// assert_eq!((s.next, s.prev), (Page::NIL, Page::NIL));
    /// assert_eq!(s.page_type, Page::TYPE_NONE);
    /// assert!(!s.is_reserved() && !s.is_buddy());
    /// ```
    #[doc(alias = "__init_single_page")]
    #[inline]
    pub const fn init_single(zone_idx: usize, nid: u16) -> PageState {
        PageState {
            flags: ((nid as u64 & NODES_MASK) << NODES_PGSHIFT)
                | ((zone_idx as u64 & ZONES_MASK) << ZONES_PGSHIFT),
            refcount: 1,
            page_type: Page::TYPE_NONE,
            next: Page::NIL,
            prev: Page::NIL,
            private: 0,
        }
    }

    /// `page_zonenum`.
    ///
    /// ```
    /// use oxmm::page::{PageState, ZONES_PGSHIFT};
    /// assert_eq!(PageState::init_single(3, 1).zone_idx(), 3);
    /// let s = PageState { flags: 1 << ZONES_PGSHIFT, ..Default::default() };
    /// assert_eq!(s.zone_idx(), 1);
    /// ```
    #[inline]
    pub const fn zone_idx(&self) -> usize {
        ((self.flags >> ZONES_PGSHIFT) & ZONES_MASK) as usize
    }

    /// `page_to_nid`.
    ///
    /// ```
    /// use oxmm::page::{PageState, NODES_PGSHIFT};
    /// assert_eq!(PageState::init_single(2, 63).nid(), 63);
    /// let s = PageState { flags: 5 << NODES_PGSHIFT, ..Default::default() };
    /// assert_eq!(s.nid(), 5);
    /// ```
    #[inline]
    pub const fn nid(&self) -> u16 {
        ((self.flags >> NODES_PGSHIFT) & NODES_MASK) as u16
    }

    /// `PageReserved`.
    ///
    /// ```
    /// use oxmm::page::{PageState, PG_RESERVED};
    /// assert!(!PageState::init_single(0, 0).is_reserved());
    /// let s = PageState { flags: PG_RESERVED, ..Default::default() };
    /// assert!(s.is_reserved());
    /// ```
    #[inline]
    pub const fn is_reserved(&self) -> bool {
        self.flags & PG_RESERVED != 0
    }

    /// `__SetPageReserved`.
    ///
    /// ```
    /// use oxmm::page::PageState;
    /// let mut s = PageState::init_single(2, 1);
    /// s.set_reserved();
    /// assert!(s.is_reserved());
    /// assert_eq!((s.zone_idx(), s.nid()), (2, 1)); // zone and node kept
    /// ```
    #[inline]
    pub fn set_reserved(&mut self) {
        self.flags |= PG_RESERVED;
    }

    /// `PageBuddy`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let mut s = PageState::init_single(0, 0);
    /// assert!(!s.is_buddy());
    /// s.page_type = Page::TYPE_BUDDY;
    /// assert!(s.is_buddy());
    /// assert!(Page::new(s).is_buddy());
    /// ```
    #[inline]
    pub const fn is_buddy(&self) -> bool {
        self.page_type == Page::TYPE_BUDDY
    }
}

/// One page frame's descriptor.
///
/// Every field is an atomic accessed with relaxed ordering (plain loads and stores on
/// the usual machines): a descriptor is written by whoever owns the page (the zone lock
/// for free blocks, a per-CPU list's lock, the allocating caller) while others may read
/// it racily, as Linux's `READ_ONCE(page->...)` readers do (the buddy check of a
/// neighbour, `/proc` walkers). Ownership hand-overs go through locks, which order them.
///
/// ```
/// use oxmm::page::{Page, PageState};
/// assert_eq!(core::mem::size_of::<Page>(), 32);
/// let p = Page::new(PageState::init_single(2, 1));
/// assert_eq!((p.zone_idx(), p.nid()), (2, 1));
/// p.set_reserved();
/// assert!(p.is_reserved());
/// p.set_buddy(3);
/// assert_eq!(p.buddy_order(), 3);
/// assert_eq!(p.load().page_type, Page::TYPE_BUDDY);
/// ```
#[derive(Debug, Default)]
#[repr(C)]
pub struct Page {
    flags: AtomicU64,
    refcount: AtomicU32,
    page_type: AtomicU32,
    next: AtomicU32,
    prev: AtomicU32,
    private: AtomicU64,
}

/// `PG_reserved`: the page is not managed by the buddy allocator (holes, memblock
/// reservations, the kernel image).
///
/// ```
/// use oxmm::page::{Page, PageFlags, PageState, PG_RESERVED};
/// let p = Page::new(PageState::default());
/// p.set_reserved();
/// assert_eq!(p.flags(), PG_RESERVED);
/// assert_eq!(PageFlags(PG_RESERVED).to_string(), "0x1000(reserved|node=0|zone=0)");
/// ```
pub const PG_RESERVED: u64 = 1 << 12;
/// `PG_head`: first page of a compound page.
///
/// ```
/// use oxmm::page::{Page, PageFlags, PageState, PG_HEAD};
/// let p = Page::new(PageState::init_single(0, 0));
/// p.set_flags(p.flags() | PG_HEAD);
/// assert!(p.is_head());
/// assert_eq!(PageFlags(PG_HEAD).to_string(), "0x40(head|node=0|zone=0)");
/// ```
pub const PG_HEAD: u64 = 1 << 6;
/// `PG_lru`: the page is on an LRU list.
///
/// ```
/// use oxmm::page::{PageFlags, PageState, PG_HEAD, PG_LRU};
/// let f = PageState::init_single(1, 0).flags | PG_LRU | PG_HEAD;
/// assert_eq!(PageFlags(f).to_string(), format!("{f:#x}(lru|head|node=0|zone=1)"));
/// ```
pub const PG_LRU: u64 = 1 << 5;

/// `page->flags` printed as Linux's `%pGp` does (`format_page_flags`, lib/vsprintf.c,
/// v6.12): the word in hex, then in parentheses the names of the set `PG_*` bits in
/// the order of `__def_pageflag_names` (include/trace/events/mmflags.h), any other
/// low bits as hex, and the fields kept in the word — `node=` and `zone=` (oxmm keeps
/// no section or `last_cpupid` in the flags, so those fields are absent, as in a
/// kernel where they have no width), all joined by `|`.
///
/// ```
/// use oxmm::page::{PageFlags, PageState, PG_HEAD};
/// let f = PageState::init_single(2, 1).flags | PG_HEAD | (1 << 9);
/// assert_eq!(PageFlags(f).to_string(), format!("{f:#x}(workingset|head|node=1|zone=2)"));
/// assert_eq!(PageFlags(0).to_string(), "0x0(node=0|zone=0)");
/// ```
#[doc(alias = "format_page_flags")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFlags(pub u64);

/// `__def_pageflag_names` for x86-64 (`CONFIG_MMU`, `CONFIG_MEMORY_FAILURE`,
/// `CONFIG_PAGE_IDLE_FLAG`): bit, name, in printing order.
const PAGEFLAG_NAMES: [(u32, &str); 23] = [
    (0, "locked"),
    (7, "waiters"),
    (2, "referenced"),
    (3, "uptodate"),
    (4, "dirty"),
    (5, "lru"),
    (8, "active"),
    (9, "workingset"),
    (10, "owner_priv_1"),
    (15, "owner_2"),
    (11, "arch_1"),
    (12, "reserved"),
    (13, "private"),
    (14, "private_2"),
    (1, "writeback"),
    (6, "head"),
    (16, "reclaim"),
    (17, "swapbacked"),
    (18, "unevictable"),
    (19, "mlocked"),
    (20, "hwpoison"),
    (22, "idle"),
    (21, "young"),
];

/// `__NR_PAGEFLAGS`: the bits below this are `PG_*` flags (`PAGEFLAGS_MASK`).
const NR_PAGEFLAGS: u32 = 23;

impl core::fmt::Display for PageFlags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let flags = self.0;
        write!(f, "{flags:#x}(")?;
        // format_flags: the named bits, then what is left as hex.
        let mut main = flags & ((1u64 << NR_PAGEFLAGS) - 1);
        let append = main != 0;
        for &(bit, name) in &PAGEFLAG_NAMES {
            if main == 0 {
                break;
            }
            let mask = 1u64 << bit;
            if main & mask == 0 {
                continue;
            }
            f.write_str(name)?;
            main &= !mask;
            if main != 0 {
                f.write_str("|")?;
            }
        }
        if main != 0 {
            write!(f, "{main:#x}")?;
        }
        if append {
            f.write_str("|")?;
        }
        write!(
            f,
            "node={}|zone={})",
            (flags >> NODES_PGSHIFT) & NODES_MASK,
            (flags >> ZONES_PGSHIFT) & ZONES_MASK
        )
    }
}

/// The node id in a descriptor's `flags` word (`page_to_nid` of a read already made).
///
/// ```
/// use oxmm::page::{flags_nid, NODES_PGSHIFT};
/// assert_eq!(flags_nid(3 << NODES_PGSHIFT | 1), 3);
/// ```
#[inline]
pub const fn flags_nid(flags: u64) -> u16 {
    ((flags >> NODES_PGSHIFT) & NODES_MASK) as u16
}

/// The zone index in a descriptor's `flags` word (`page_zonenum` of a read already made).
///
/// ```
/// use oxmm::page::{flags_zone_idx, ZONES_PGSHIFT};
/// assert_eq!(flags_zone_idx(2 << ZONES_PGSHIFT | 1), 2);
/// ```
#[inline]
pub const fn flags_zone_idx(flags: u64) -> usize {
    ((flags >> ZONES_PGSHIFT) & ZONES_MASK) as usize
}

/// Bit position of the node id in `flags` (`NODES_PGSHIFT`); 6 bits for 64 nodes.
///
/// ```
/// use oxmm::page::{PageState, NODES_PGSHIFT};
/// use oxmm::types::MAX_NUMNODES;
/// assert_eq!(1 << (64 - NODES_PGSHIFT), MAX_NUMNODES); // the top 6 bits
/// assert_eq!(PageState::init_single(0, 5).flags >> NODES_PGSHIFT, 5);
/// ```
pub const NODES_PGSHIFT: u32 = 58;
/// Bit position of the zone index in `flags` (`ZONES_PGSHIFT`); 3 bits.
///
/// ```
/// use oxmm::mmzone::MAX_NR_ZONES;
/// use oxmm::page::{PageState, ZONES_PGSHIFT, ZONES_WIDTH};
/// assert!(MAX_NR_ZONES <= 1 << ZONES_WIDTH);
/// assert_eq!(PageState::init_single(4, 0).flags, 4 << ZONES_PGSHIFT);
/// ```
pub const ZONES_PGSHIFT: u32 = 55;
/// Bits of the zone index in `flags` (`ZONES_WIDTH`), just below the node id's, so
/// that the two read together are the zone id ([`flags_zone_id`]).
///
/// ```
/// use oxmm::page::{ZONES_WIDTH, NODES_PGSHIFT, ZONES_PGSHIFT};
/// assert_eq!(ZONES_PGSHIFT + ZONES_WIDTH, NODES_PGSHIFT);
/// ```
pub const ZONES_WIDTH: u32 = NODES_PGSHIFT - ZONES_PGSHIFT;
const NODES_MASK: u64 = 0x3f;
const ZONES_MASK: u64 = 0x7;

/// The zone id in a descriptor's `flags` word (`page_zone_id`): node id and zone
/// index together, `nid << ZONES_WIDTH | zone_idx`, one number per zone.
///
/// ```
/// use oxmm::page::{flags_zone_id, NODES_PGSHIFT, ZONES_PGSHIFT};
/// assert_eq!(flags_zone_id(3 << NODES_PGSHIFT | 2 << ZONES_PGSHIFT | 1), 3 << 3 | 2);
/// ```
#[doc(alias = "page_zone_id")]
#[inline]
pub const fn flags_zone_id(flags: u64) -> u16 {
    (flags >> ZONES_PGSHIFT) as u16
}

impl Page {
    /// The "no page" link value.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert_eq!((p.next(), p.prev()), (Page::NIL, Page::NIL)); // on no list
    /// ```
    pub const NIL: u32 = u32::MAX;
    /// `page_type` of an untyped page (Linux: `_mapcount == -1`).
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// assert_eq!(Page::TYPE_NONE as i32, -1); // _mapcount -1
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_buddy(2);
    /// p.clear_buddy();
    /// assert_eq!(p.page_type(), Page::TYPE_NONE);
    /// ```
    pub const TYPE_NONE: u32 = u32::MAX;
    /// `PGTY_buddy << 24` (v6.12 `enum pagetype`): a free block's head page.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_buddy(0);
    /// assert_eq!(p.page_type(), Page::TYPE_BUDDY);
    /// assert_eq!(Page::TYPE_BUDDY >> 24, 0xf0); // the type in the top byte
    /// ```
    #[doc(alias = "PGTY_buddy")]
    pub const TYPE_BUDDY: u32 = 0xf0 << 24;

    /// A descriptor holding `s`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let s = PageState::init_single(1, 2);
    /// let p = Page::new(s);
    /// assert_eq!(p.load(), s);
    /// ```
    #[inline]
    pub const fn new(s: PageState) -> Page {
        Page {
            flags: AtomicU64::new(s.flags),
            refcount: AtomicU32::new(s.refcount),
            page_type: AtomicU32::new(s.page_type),
            next: AtomicU32::new(s.next),
            prev: AtomicU32::new(s.prev),
            private: AtomicU64::new(s.private),
        }
    }

    /// All fields at once (each read relaxed; not a consistent snapshot of a page
    /// someone else is changing).
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(1, 0));
    /// p.set_refcount(0);
    /// let s = p.load();
    /// assert_eq!((s.refcount, s.zone_idx()), (0, 1));
    /// ```
    #[inline]
    pub fn load(&self) -> PageState {
        PageState {
            flags: self.flags(),
            refcount: self.refcount(),
            page_type: self.page_type(),
            next: self.next(),
            prev: self.prev(),
            private: self.private(),
        }
    }

    /// Overwrite all fields (the caller owns the page).
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::default());
    /// let s = PageState::init_single(2, 3);
    /// p.store(s);
    /// assert_eq!(p.load(), s);
    /// assert_eq!((p.zone_idx(), p.nid()), (2, 3));
    /// ```
    #[inline]
    pub fn store(&self, s: PageState) {
        self.flags.store(s.flags, Relaxed);
        self.refcount.store(s.refcount, Relaxed);
        self.page_type.store(s.page_type, Relaxed);
        self.next.store(s.next, Relaxed);
        self.prev.store(s.prev, Relaxed);
        self.private.store(s.private, Relaxed);
    }

    /// `page->flags`.
    ///
    /// ```
    /// use oxmm::page::{flags_nid, flags_zone_idx, Page, PageState};
    /// let p = Page::new(PageState::init_single(2, 7));
    /// assert_eq!((flags_zone_idx(p.flags()), flags_nid(p.flags())), (2, 7));
    /// ```
    #[inline]
    pub fn flags(&self) -> u64 {
        self.flags.load(Relaxed)
    }

    /// Set `page->flags` (non-atomic `__SetPage*` style: the caller owns the page).
    ///
    /// ```
    /// use oxmm::page::{Page, PageState, PG_LRU};
    /// let p = Page::new(PageState::init_single(1, 0));
    /// p.set_flags(p.flags() | PG_LRU);
    /// assert_eq!(p.flags() & PG_LRU, PG_LRU);
    /// assert_eq!(p.zone_idx(), 1);
    /// ```
    #[inline]
    pub fn set_flags(&self, v: u64) {
        self.flags.store(v, Relaxed)
    }

    /// `page_ref_count`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert_eq!(p.refcount(), 1); // __init_single_page: one reference
    /// ```
    #[doc(alias = "page_ref_count")]
    #[inline]
    pub fn refcount(&self) -> u32 {
        self.refcount.load(Relaxed)
    }

    /// `set_page_count`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_refcount(0);
    /// assert_eq!(p.refcount(), 0);
    /// assert_eq!(p.load().refcount, 0);
    /// ```
    #[doc(alias = "set_page_count")]
    #[inline]
    pub fn set_refcount(&self, v: u32) {
        self.refcount.store(v, Relaxed)
    }

    /// `page->page_type`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert_eq!(p.page_type(), Page::TYPE_NONE);
    /// p.set_buddy(1);
    /// assert_eq!(p.page_type(), Page::TYPE_BUDDY);
    /// ```
    #[inline]
    pub fn page_type(&self) -> u32 {
        self.page_type.load(Relaxed)
    }

    /// Set `page->page_type`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_page_type(Page::TYPE_BUDDY);
    /// assert!(p.is_buddy());
    /// ```
    #[inline]
    pub fn set_page_type(&self, v: u32) {
        self.page_type.store(v, Relaxed)
    }

    /// The next list entry (memmap index).
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert_eq!(p.next(), Page::NIL);
    /// p.set_next(42);
    /// assert_eq!(p.next(), 42);
    /// ```
    #[inline]
    pub fn next(&self) -> u32 {
        self.next.load(Relaxed)
    }

    /// Set the next list entry.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_next(7);
    /// assert_eq!(p.load().next, 7);
    /// assert_eq!(p.prev(), Page::NIL); // the other link untouched
    /// ```
    #[inline]
    pub fn set_next(&self, v: u32) {
        self.next.store(v, Relaxed)
    }

    /// The previous list entry (memmap index).
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert_eq!(p.prev(), Page::NIL);
    /// p.set_prev(3);
    /// assert_eq!(p.prev(), 3);
    /// ```
    #[inline]
    pub fn prev(&self) -> u32 {
        self.prev.load(Relaxed)
    }

    /// Set the previous list entry.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_prev(9);
    /// assert_eq!(p.load().prev, 9);
    /// assert_eq!(p.next(), Page::NIL); // the other link untouched
    /// ```
    #[inline]
    pub fn set_prev(&self, v: u32) {
        self.prev.store(v, Relaxed)
    }

    /// `page_private`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::default());
    /// p.set_buddy(4);
    /// assert_eq!(p.private(), 4); // a free block's order
    /// ```
    #[doc(alias = "page_private")]
    #[inline]
    pub fn private(&self) -> u64 {
        self.private.load(Relaxed)
    }

    /// `set_page_private`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::default());
    /// p.set_private(0xabc);
    /// assert_eq!(p.private(), 0xabc);
    /// assert_eq!(p.load().private, 0xabc);
    /// ```
    #[doc(alias = "set_page_private")]
    #[inline]
    pub fn set_private(&self, v: u64) {
        self.private.store(v, Relaxed)
    }

    /// `page->private` read with acquire ordering: what a successful
    /// [`cmpxchg_private`](Self::cmpxchg_private) of another thread published is visible.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::default());
    /// std::thread::scope(|s| {
    ///     s.spawn(|| p.cmpxchg_private(0, 7));
    /// });
    /// assert_eq!(p.private_acquire(), 7);
    /// ```
    #[inline]
    pub fn private_acquire(&self) -> u64 {
        self.private.load(core::sync::atomic::Ordering::Acquire)
    }

    /// Compare-and-swap of `page->private` (the slab allocator's `slab_update_freelist`:
    /// free list and counters packed in one word): `Ok(old)` when it held `old` and now
    /// holds `new`, else `Err(current)`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::default());
    /// assert_eq!(p.cmpxchg_private(0, 5), Ok(0));
    /// assert_eq!(p.cmpxchg_private(0, 6), Err(5));
    /// ```
    #[doc(alias = "cmpxchg_double_slab")]
    #[inline]
    pub fn cmpxchg_private(&self, old: u64, new: u64) -> Result<u64, u64> {
        use core::sync::atomic::Ordering::{AcqRel, Acquire};
        self.private.compare_exchange(old, new, AcqRel, Acquire)
    }

    /// `page_zonenum`: the zone index stored in the flags.
    ///
    /// ```
    /// use oxmm::page::{flags_zone_idx, Page, PageState};
    /// let p = Page::new(PageState::init_single(3, 1));
    /// assert_eq!(p.zone_idx(), 3);
    /// assert_eq!(p.zone_idx(), flags_zone_idx(p.flags()));
    /// ```
    #[doc(alias = "page_zonenum")]
    #[inline]
    pub fn zone_idx(&self) -> usize {
        flags_zone_idx(self.flags())
    }

    /// `page_to_nid`.
    ///
    /// ```
    /// use oxmm::page::{flags_nid, Page, PageState};
    /// let p = Page::new(PageState::init_single(3, 1));
    /// assert_eq!(p.nid(), 1);
    /// assert_eq!(p.nid(), flags_nid(p.flags()));
    /// ```
    #[doc(alias = "page_to_nid")]
    #[inline]
    pub fn nid(&self) -> u16 {
        flags_nid(self.flags())
    }

    /// `set_page_zone` + `set_page_node`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(1, 1));
    /// p.set_reserved();
    /// p.set_zone_nid(2, 5);
    /// assert_eq!((p.zone_idx(), p.nid()), (2, 5));
    /// assert!(p.is_reserved()); // the PG_* bits kept
    /// ```
    #[inline]
    pub fn set_zone_nid(&self, zone_idx: usize, nid: u16) {
        let mut f = self.flags();
        f &= !((NODES_MASK << NODES_PGSHIFT) | (ZONES_MASK << ZONES_PGSHIFT));
        f |= ((nid as u64 & NODES_MASK) << NODES_PGSHIFT)
            | ((zone_idx as u64 & ZONES_MASK) << ZONES_PGSHIFT);
        self.set_flags(f);
    }

    /// `PageReserved`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState, PG_RESERVED};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert!(!p.is_reserved());
    /// p.set_flags(p.flags() | PG_RESERVED);
    /// assert!(p.is_reserved());
    /// ```
    #[doc(alias = "PageReserved")]
    #[inline]
    pub fn is_reserved(&self) -> bool {
        self.flags() & PG_RESERVED != 0
    }

    /// `__SetPageReserved`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState, PG_RESERVED};
    /// let p = Page::new(PageState::init_single(2, 0));
    /// p.set_reserved();
    /// assert_eq!(p.flags() & PG_RESERVED, PG_RESERVED);
    /// assert_eq!(p.zone_idx(), 2);
    /// ```
    #[doc(alias = "__SetPageReserved")]
    #[inline]
    pub fn set_reserved(&self) {
        self.set_flags(self.flags() | PG_RESERVED);
    }

    /// `__ClearPageReserved`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(2, 1));
    /// p.set_reserved();
    /// p.clear_reserved();
    /// assert!(!p.is_reserved());
    /// assert_eq!(p.load(), PageState::init_single(2, 1));
    /// ```
    #[doc(alias = "__ClearPageReserved")]
    #[inline]
    pub fn clear_reserved(&self) {
        self.set_flags(self.flags() & !PG_RESERVED);
    }

    /// `PageHead`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState, PG_HEAD};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert!(!p.is_head());
    /// p.set_flags(p.flags() | PG_HEAD);
    /// assert!(p.is_head());
    /// ```
    #[doc(alias = "PageHead")]
    #[inline]
    pub fn is_head(&self) -> bool {
        self.flags() & PG_HEAD != 0
    }

    /// `PageBuddy`: head of a free block on a buddy list.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// assert!(!p.is_buddy());
    /// p.set_buddy(0);
    /// assert!(p.is_buddy());
    /// ```
    #[doc(alias = "PageBuddy")]
    #[inline]
    pub fn is_buddy(&self) -> bool {
        self.page_type() == Page::TYPE_BUDDY
    }

    /// `__SetPageBuddy` + `set_buddy_order`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_buddy(10);
    /// assert!(p.is_buddy());
    /// assert_eq!((p.buddy_order(), p.private()), (10, 10));
    /// ```
    #[doc(alias = "set_buddy_order")]
    #[inline]
    pub fn set_buddy(&self, order: u32) {
        self.set_private(order as u64);
        self.set_page_type(Page::TYPE_BUDDY);
    }

    /// `__ClearPageBuddy` + `set_page_private(page, 0)`.
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_buddy(3);
    /// p.clear_buddy();
    /// assert!(!p.is_buddy());
    /// assert_eq!((p.page_type(), p.private()), (Page::TYPE_NONE, 0));
    /// ```
    #[doc(alias = "__ClearPageBuddy")]
    #[inline]
    pub fn clear_buddy(&self) {
        self.set_page_type(Page::TYPE_NONE);
        self.set_private(0);
    }

    /// `buddy_order`: the order of a free block (meaningful only when [`is_buddy`](Self::is_buddy)).
    ///
    /// ```
    /// use oxmm::page::{Page, PageState};
    /// use oxmm::types::MAX_PAGE_ORDER;
    /// let p = Page::new(PageState::init_single(0, 0));
    /// p.set_buddy(MAX_PAGE_ORDER);
    /// assert_eq!(p.buddy_order(), MAX_PAGE_ORDER as u64);
    /// ```
    #[inline]
    pub fn buddy_order(&self) -> u64 {
        self.private()
    }
}

use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicU32, AtomicU64};

// The descriptor-size promise in the README and ARCHITECTURE.md.
const _: () = assert!(core::mem::size_of::<Page>() <= 32);
const _: () = assert!(core::mem::size_of::<PageState>() == core::mem::size_of::<Page>());
