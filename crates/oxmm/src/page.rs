//! The page descriptor (Linux: `struct page`, include/linux/mm_types.h).
//!
//! One per page frame, kept at 32 bytes (Linux: 64) so that the memmap costs 0.78 % of
//! memory with 4 KiB pages (Linux: 1.56 %). List links are 32-bit pfn indices instead of
//! pointers; free lists, LRU lists and slab lists run through them with no heap.

/// One page frame's descriptor.
///
/// ```
/// assert_eq!(core::mem::size_of::<oxmm::page::Page>(), 32);
/// ```
#[derive(Debug, Default)]
#[repr(C)]
pub struct Page {
    /// `page->flags`: `PG_*` bits low, zone and node ids in the high bits.
    pub flags: u64,
    /// `page->_refcount`.
    pub refcount: u32,
    /// `page->page_type` / `_mapcount`: buddy, slab and other page types.
    pub page_type: u32,
    /// Next entry of the list this page is on, as a pfn; [`Page::NIL`] ends a list.
    pub next: u32,
    /// Previous entry of the list this page is on, as a pfn; [`Page::NIL`] ends a list.
    pub prev: u32,
    /// `page->private`: the buddy order of a free block, compound data, slab data.
    pub private: u64,
}

impl Page {
    /// The "no page" link value.
    pub const NIL: u32 = u32::MAX;
}

// The descriptor-size promise in the README and ARCHITECTURE.md.
const _: () = assert!(core::mem::size_of::<Page>() <= 32);
