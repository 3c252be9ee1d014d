//! Object layout of a cache without debugging (Linux: `calculate_alignment`,
//! `calculate_sizes`, mm/slub.c and mm/slab_common.c, v6.12).

use super::{SlabError, SlabFlags};

/// `cache_line_size()` on x86-64.
///
/// ```
/// use oxmm::slab::{layout::{calculate_alignment, CACHE_LINE_SIZE}, SlabFlags};
/// assert_eq!(calculate_alignment(SlabFlags::HWCACHE_ALIGN, 0, 100), CACHE_LINE_SIZE);
/// ```
pub const CACHE_LINE_SIZE: u32 = 64;
/// `sizeof(void *)`: free pointers and the minimum alignment.
///
/// ```
/// use oxmm::slab::{layout::{calculate_alignment, Layout, WORD}, SlabFlags};
/// assert_eq!(calculate_alignment(SlabFlags::default(), 1, 3), WORD);
/// assert_eq!(Layout::calculate(1, 8, SlabFlags::default(), false).unwrap().size, WORD);
/// ```
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
    ///
    /// ```
    /// use oxmm::slab::{layout::Layout, SlabError, SlabFlags};
    /// let p = Layout::calculate(24, 8, SlabFlags::POISON, false).unwrap();
    /// assert_eq!((p.offset, p.size), (24, 32)); // the free pointer after the poisoned body
    /// let bad = Layout::calculate(24, 3, SlabFlags::default(), false);
    /// assert_eq!(bad, Err(SlabError::BadAlign(3)));
    /// ```
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

/// `sizeof(struct track)` with `CONFIG_STACKDEPOT` (x86-64): `addr`, the stack-depot
/// handle, `cpu`, `pid`, padding and `when` — 32 bytes (24 without a stack depot).
/// Distribution kernels build with the stack depot, so this is the layout they show.
///
/// ```
/// use oxmm::slab::{layout::{DebugLayout, TRACK_SIZE}, SlabFlags};
/// let plain = DebugLayout::calculate(64, 8, SlabFlags::default(), false, None).unwrap();
/// let user = DebugLayout::calculate(64, 8, SlabFlags::STORE_USER, false, None).unwrap();
/// assert_eq!(user.size - plain.size, 2 * TRACK_SIZE); // alloc and free tracks
/// ```
#[doc(alias = "track")]
pub const TRACK_SIZE: u32 = 32;

/// `SLAB_TYPESAFE_BY_RCU` with `kmem_cache_args.use_freeptr_offset` (v6.12): where the
/// caller wants the free pointer, word-aligned and inside the object.
///
/// ```
/// use oxmm::slab::{layout::{DebugLayout, FreeptrOffset}, SlabFlags};
/// let at: FreeptrOffset = Some(16);
/// let l = DebugLayout::calculate(64, 8, SlabFlags::TYPESAFE_BY_RCU, false, at).unwrap();
/// assert_eq!((l.offset, l.size), (16, 64)); // inside the object: no extra word
/// ```
pub type FreeptrOffset = Option<u32>;

/// Object geometry with SLUB debugging (Linux: `calculate_sizes`, mm/slub.c v6.12).
///
/// Offsets are from the object's start (the address a caller gets); the left red zone
/// is the `red_left_pad` bytes before it, so in a slab an object starts `red_left_pad`
/// bytes into its `size`-byte slot:
///
/// ```text
/// slot: [left red zone][object_size][right red zone up to inuse][free pointer?]
///       [track alloc][track free][orig_size u32?][padding, POISON_INUSE] = size
/// ```
///
/// ```
/// use oxmm::slab::{layout::DebugLayout, SlabFlags};
/// let f = SlabFlags::CONSISTENCY_CHECKS
///     .union(SlabFlags::RED_ZONE)
///     .union(SlabFlags::POISON)
///     .union(SlabFlags::STORE_USER)
///     .union(SlabFlags::KMALLOC);
/// // kmalloc-64 booted with slub_debug=FZPU: 64 + 8 red zone + 8 free pointer
/// // + 2 tracks + orig_size + 8 + 64 left pad, rounded to 64.
/// let l = DebugLayout::calculate(64, 64, f, false, None).unwrap();
/// assert_eq!((l.inuse, l.offset, l.red_left_pad, l.size), (72, 72, 64, 256));
/// ```
#[doc(alias = "calculate_sizes")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DebugLayout {
    /// `s->object_size`.
    pub object_size: u32,
    /// `s->size`: the slot stride, left red zone included.
    pub size: u32,
    /// `s->inuse`: object plus right red zone (word-aligned).
    pub inuse: u32,
    /// `s->offset`: the free pointer, from the object's start.
    pub offset: u32,
    /// `s->align` (already through [`calculate_alignment`]).
    pub align: u32,
    /// `s->red_left_pad`: bytes of left red zone (0 without `SLAB_RED_ZONE`).
    pub red_left_pad: u32,
    /// `s->flags` after `calculate_sizes`: the caller's flags plus
    /// [`SlabFlags::OBJECT_POISON`] when the body itself is poisoned.
    pub flags: SlabFlags,
}

impl DebugLayout {
    /// `calculate_sizes` for `flags` (after `kmem_cache_flags`), alignment `align`
    /// (after `calculate_alignment`), a constructor or not, and the v6.12 RCU free
    /// pointer offset.
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// // Red zone only: the free pointer stays in the middle of the object.
    /// let l = DebugLayout::calculate(64, 8, SlabFlags::RED_ZONE, false, None).unwrap();
    /// assert_eq!((l.inuse, l.offset, l.size), (72, 32, 88));
    /// assert!(DebugLayout::calculate(0, 8, SlabFlags::RED_ZONE, false, None).is_err());
    /// ```
    #[doc(alias = "calculate_sizes")]
    pub fn calculate(
        object_size: u32,
        align: u32,
        flags: SlabFlags,
        has_ctor: bool,
        freeptr_offset: FreeptrOffset,
    ) -> Result<DebugLayout, SlabError> {
        if object_size == 0 || object_size as u64 > super::kmalloc::KMALLOC_MAX_SIZE {
            return Err(SlabError::BadSize(object_size as u64));
        }
        if !align.is_power_of_two() || align > 1 << 16 {
            return Err(SlabError::BadAlign(align));
        }
        let rcu = flags.contains(SlabFlags::TYPESAFE_BY_RCU);
        if let Some(off) = freeptr_offset {
            // kmem_cache_create refuses an offset outside the object or not word-aligned.
            if !rcu || off % WORD != 0 || off >= object_size {
                return Err(SlabError::BadSize(off as u64));
            }
        }
        let red_zone = flags.contains(SlabFlags::RED_ZONE);
        let store_user = flags.contains(SlabFlags::STORE_USER);
        let orig_size = store_user && flags.contains(SlabFlags::KMALLOC);
        let mut flags = flags;
        // The body may be poisoned only if nobody touches a free object.
        if flags.contains(SlabFlags::POISON) && !rcu && !has_ctor {
            flags = flags.union(SlabFlags::OBJECT_POISON);
        } else {
            flags = SlabFlags(flags.0 & !SlabFlags::OBJECT_POISON.0);
        }
        let mut size = align_up(object_size, WORD);
        // A red zone needs at least a word after the object.
        if red_zone && size == object_size {
            size += WORD;
        }
        let inuse = size;
        let offset;
        if (rcu && freeptr_offset.is_none())
            || flags.contains(SlabFlags::POISON)
            || has_ctor
            || (red_zone && (object_size < WORD || orig_size))
        {
            offset = size;
            size += WORD;
        } else if let Some(off) = freeptr_offset {
            offset = off;
        } else {
            offset = (object_size / 2) & !(WORD - 1);
        }
        if store_user {
            size += 2 * TRACK_SIZE;
            if flags.contains(SlabFlags::KMALLOC) {
                size += 4;
            }
        }
        let mut red_left_pad = 0;
        if red_zone {
            // A word of padding catches writes before the next object's start.
            size += WORD;
            red_left_pad = align_up(WORD, align);
            size += red_left_pad;
        }
        Ok(DebugLayout {
            object_size,
            size: align_up(size, align),
            inuse,
            offset,
            align,
            red_left_pad,
            flags,
        })
    }

    /// Whether `flags` has every bit of `f` (`kmem_cache_debug_flags`).
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// let l = DebugLayout::calculate(64, 8, SlabFlags::POISON, false, None).unwrap();
    /// assert!(l.has(SlabFlags::OBJECT_POISON) && !l.has(SlabFlags::RED_ZONE));
    /// ```
    pub fn has(&self, f: SlabFlags) -> bool {
        self.flags.contains(f)
    }

    /// `freeptr_outside_object`: the free pointer lies after the red zone.
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// assert!(DebugLayout::calculate(64, 8, SlabFlags::POISON, false, None).unwrap().freeptr_outside_object());
    /// ```
    pub fn freeptr_outside_object(&self) -> bool {
        self.offset >= self.inuse
    }

    /// `get_info_end`: where tracking data starts (after an outside free pointer).
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// assert_eq!(DebugLayout::calculate(64, 8, SlabFlags::POISON, false, None).unwrap().info_end(), 72);
    /// ```
    #[doc(alias = "get_info_end")]
    pub fn info_end(&self) -> u32 {
        if self.freeptr_outside_object() {
            self.inuse + WORD
        } else {
            self.inuse
        }
    }

    /// `slub_debug_orig_size`: kmalloc caches with `SLAB_STORE_USER` keep the
    /// requested size after the tracks.
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// let f = SlabFlags::STORE_USER.union(SlabFlags::KMALLOC);
    /// assert!(DebugLayout::calculate(32, 8, f, false, None).unwrap().orig_size_tracked());
    /// ```
    #[doc(alias = "slub_debug_orig_size")]
    pub fn orig_size_tracked(&self) -> bool {
        self.has(SlabFlags::STORE_USER) && self.has(SlabFlags::KMALLOC)
    }

    /// Offset (from the object) of track `alloc` (0) or `free` (1).
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// let l = DebugLayout::calculate(64, 8, SlabFlags::STORE_USER, false, None).unwrap();
    /// assert_eq!((l.track_offset(0), l.track_offset(1)), (64, 96));
    /// ```
    #[doc(alias = "get_track")]
    pub fn track_offset(&self, item: u32) -> u32 {
        self.info_end() + item * TRACK_SIZE
    }

    /// Offset of the `orig_size` word (meaningful when [`Self::orig_size_tracked`]).
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// let f = SlabFlags::STORE_USER.union(SlabFlags::KMALLOC);
    /// assert_eq!(DebugLayout::calculate(32, 32, f, false, None).unwrap().orig_size_offset(), 96);
    /// ```
    pub fn orig_size_offset(&self) -> u32 {
        self.info_end() + 2 * TRACK_SIZE
    }

    /// End of the metadata: where the object padding (`POISON_INUSE`) starts.
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// let l = DebugLayout::calculate(64, 8, SlabFlags::POISON, false, None).unwrap();
    /// assert_eq!(l.metadata_end(), 72);
    /// ```
    pub fn metadata_end(&self) -> u32 {
        let mut off = self.info_end();
        if self.has(SlabFlags::STORE_USER) {
            off += 2 * TRACK_SIZE;
            if self.has(SlabFlags::KMALLOC) {
                off += 4;
            }
        }
        off
    }

    /// `size_from_object`: bytes from the object's start to the end of its slot.
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// let l = DebugLayout::calculate(64, 8, SlabFlags::RED_ZONE, false, None).unwrap();
    /// assert_eq!(l.size_from_object(), 80);
    /// ```
    pub fn size_from_object(&self) -> u32 {
        self.size - self.red_left_pad
    }

    /// `slab_ksize`: how much of an object a caller may use.
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// assert_eq!(DebugLayout::calculate(60, 8, SlabFlags::RED_ZONE, false, None).unwrap().ksize(), 60);
    /// assert_eq!(DebugLayout::calculate(60, 8, SlabFlags::STORE_USER, false, None).unwrap().ksize(), 64);
    /// ```
    #[doc(alias = "slab_ksize")]
    pub fn ksize(&self) -> u32 {
        if self.flags.0 & (SlabFlags::RED_ZONE.0 | SlabFlags::POISON.0) != 0 {
            self.object_size
        } else if self.flags.0 & (SlabFlags::TYPESAFE_BY_RCU.0 | SlabFlags::STORE_USER.0) != 0 {
            self.inuse
        } else {
            self.size
        }
    }
}
