//! Object layout of a cache without debugging (Linux: `calculate_alignment`,
//! `calculate_sizes`, mm/slub.c and mm/slab_common.c, v6.12).

use super::{SlabError, SlabFlags};

/// `cache_line_size()` on x86-64.
pub const CACHE_LINE_SIZE: u32 = 64;
/// `sizeof(void *)`: free pointers and the minimum alignment.
pub const WORD: u32 = 8;

const fn align_up(x: u32, a: u32) -> u32 {
    (x + a - 1) & !(a - 1)
}

/// `calculate_alignment`: `SLAB_HWCACHE_ALIGN` aligns on the cache line, halved while
/// the object fits in half of it; never below a word.
///
/// ```
/// use oxmm::slab::{layout::calculate_alignment, SlabFlags};
/// assert_eq!(calculate_alignment(SlabFlags::HWCACHE_ALIGN, 0, 20), 32);
/// assert_eq!(calculate_alignment(SlabFlags::default(), 4, 20), 8);
/// ```
pub fn calculate_alignment(flags: SlabFlags, align: u32, size: u32) -> u32 {
    let mut align = align;
    if flags.contains(SlabFlags::HWCACHE_ALIGN) {
        let mut ralign = CACHE_LINE_SIZE;
        while size <= ralign / 2 && ralign > WORD {
            ralign /= 2;
        }
        align = align.max(ralign);
    }
    align = align.max(WORD);
    align_up(align, WORD)
}

/// The object geometry `calculate_sizes` derives.
///
/// ```
/// use oxmm::slab::{layout::Layout, SlabFlags};
/// let l = Layout::calculate(100, 8, SlabFlags::default(), false).unwrap();
/// assert_eq!((l.size, l.inuse, l.offset), (104, 104, 48));
/// let c = Layout::calculate(100, 8, SlabFlags::default(), true).unwrap();
/// assert_eq!((c.size, c.offset), (112, 104));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// `s->object_size`: the caller's size.
    pub object_size: u32,
    /// `s->size`: stride between objects.
    pub size: u32,
    /// `s->inuse`: bytes of an object the caller may use (up to the free pointer if stored after it).
    pub inuse: u32,
    /// `s->offset`: where a free object keeps the pointer to the next free object.
    pub offset: u32,
    /// `s->align`.
    pub align: u32,
}

impl Layout {
    /// `calculate_sizes` without debug flags: word-align the object; put the free
    /// pointer after it when the object's contents must survive while free (ctor,
    /// `SLAB_TYPESAFE_BY_RCU`, poisoning), else in the middle of the object so that a
    /// small overflow from the previous object does not hit it; round to `align`
    /// (already passed through [`calculate_alignment`]).
    #[doc(alias = "calculate_sizes")]
    pub fn calculate(
        object_size: u32,
        align: u32,
        flags: SlabFlags,
        has_ctor: bool,
    ) -> Result<Layout, SlabError> {
        if object_size == 0 || object_size as u64 > super::kmalloc::KMALLOC_MAX_SIZE {
            return Err(SlabError::BadSize(object_size as u64));
        }
        if !align.is_power_of_two() || align > 1 << 16 {
            return Err(SlabError::BadAlign(align));
        }
        let mut size = align_up(object_size, WORD);
        let inuse = size;
        let offset;
        if has_ctor
            || flags.contains(SlabFlags::TYPESAFE_BY_RCU)
            || flags.contains(SlabFlags::POISON)
        {
            offset = size;
            size += WORD;
        } else {
            offset = (object_size / 2) & !(WORD - 1);
        }
        Ok(Layout {
            object_size,
            size: align_up(size, align),
            inuse,
            offset,
            align,
        })
    }
}
