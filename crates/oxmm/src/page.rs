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

/// One page frame's descriptor.
///
/// ```
/// use oxmm::page::Page;
/// assert_eq!(core::mem::size_of::<Page>(), 32);
/// let mut p = Page::default();
/// p.set_zone_nid(2, 1);
/// assert_eq!((p.zone_idx(), p.nid()), (2, 1));
/// p.set_reserved();
/// assert!(p.is_reserved());
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Page {
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

/// `PG_reserved`: the page is not managed by the buddy allocator (holes, memblock
/// reservations, the kernel image).
pub const PG_RESERVED: u64 = 1 << 12;
/// `PG_head`: first page of a compound page.
pub const PG_HEAD: u64 = 1 << 6;
/// `PG_lru`: the page is on an LRU list.
pub const PG_LRU: u64 = 1 << 5;

/// Bit position of the node id in `flags` (`NODES_PGSHIFT`); 6 bits for 64 nodes.
pub const NODES_PGSHIFT: u32 = 58;
/// Bit position of the zone index in `flags` (`ZONES_PGSHIFT`); 3 bits.
pub const ZONES_PGSHIFT: u32 = 55;
const NODES_MASK: u64 = 0x3f;
const ZONES_MASK: u64 = 0x7;

impl Page {
    /// The "no page" link value.
    pub const NIL: u32 = u32::MAX;
    /// `page_type` of an untyped page (Linux: `_mapcount == -1`).
    pub const TYPE_NONE: u32 = u32::MAX;
    /// `PGTY_buddy << 24` (v6.12 `enum pagetype`): a free block's head page.
    #[doc(alias = "PGTY_buddy")]
    pub const TYPE_BUDDY: u32 = 0xf0 << 24;

    /// `__init_single_page`: flags cleared, zone and node set, refcount 1, untyped,
    /// unlinked.
    #[doc(alias = "__init_single_page")]
    pub const fn init_single(zone_idx: usize, nid: u16) -> Page {
        Page {
            flags: ((nid as u64 & NODES_MASK) << NODES_PGSHIFT)
                | ((zone_idx as u64 & ZONES_MASK) << ZONES_PGSHIFT),
            refcount: 1,
            page_type: Page::TYPE_NONE,
            next: Page::NIL,
            prev: Page::NIL,
            private: 0,
        }
    }

    /// `page_zonenum`: the zone index stored in the flags.
    #[doc(alias = "page_zonenum")]
    pub const fn zone_idx(&self) -> usize {
        ((self.flags >> ZONES_PGSHIFT) & ZONES_MASK) as usize
    }

    /// `page_to_nid`.
    #[doc(alias = "page_to_nid")]
    pub const fn nid(&self) -> u16 {
        ((self.flags >> NODES_PGSHIFT) & NODES_MASK) as u16
    }

    /// `set_page_zone` + `set_page_node`.
    pub fn set_zone_nid(&mut self, zone_idx: usize, nid: u16) {
        self.flags &= !((NODES_MASK << NODES_PGSHIFT) | (ZONES_MASK << ZONES_PGSHIFT));
        self.flags |= ((nid as u64 & NODES_MASK) << NODES_PGSHIFT)
            | ((zone_idx as u64 & ZONES_MASK) << ZONES_PGSHIFT);
    }

    /// `PageReserved`.
    #[doc(alias = "PageReserved")]
    pub const fn is_reserved(&self) -> bool {
        self.flags & PG_RESERVED != 0
    }

    /// `__SetPageReserved`.
    #[doc(alias = "__SetPageReserved")]
    pub fn set_reserved(&mut self) {
        self.flags |= PG_RESERVED;
    }

    /// `__ClearPageReserved`.
    #[doc(alias = "__ClearPageReserved")]
    pub fn clear_reserved(&mut self) {
        self.flags &= !PG_RESERVED;
    }

    /// `PageBuddy`: head of a free block on a buddy list.
    #[doc(alias = "PageBuddy")]
    pub const fn is_buddy(&self) -> bool {
        self.page_type == Page::TYPE_BUDDY
    }

    /// `__SetPageBuddy` + `set_buddy_order`.
    #[doc(alias = "set_buddy_order")]
    pub fn set_buddy(&mut self, order: u32) {
        self.page_type = Page::TYPE_BUDDY;
        self.private = order as u64;
    }

    /// `__ClearPageBuddy` + `set_page_private(page, 0)`.
    #[doc(alias = "__ClearPageBuddy")]
    pub fn clear_buddy(&mut self) {
        self.page_type = Page::TYPE_NONE;
        self.private = 0;
    }

    /// `buddy_order`: the order of a free block (meaningful only when [`is_buddy`](Self::is_buddy)).
    pub const fn buddy_order(&self) -> u64 {
        self.private
    }
}

// The descriptor-size promise in the README and ARCHITECTURE.md.
const _: () = assert!(core::mem::size_of::<Page>() <= 32);
