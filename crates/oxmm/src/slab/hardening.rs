//! Slab hardening (Linux v6.12): free-list pointer obfuscation
//! (`CONFIG_SLAB_FREELIST_HARDENED`: `freelist_ptr_encode`/`freelist_ptr_decode` in
//! mm/slub.c), free-list randomisation (`CONFIG_SLAB_FREELIST_RANDOM`:
//! `freelist_randomize`, `cache_random_seq_create` in mm/slab_common.c and
//! `init_cache_random_seq`, `next_freelist_entry`, `shuffle_freelist` in mm/slub.c) and
//! memory auto-initialisation (`init_on_alloc=`, `init_on_free=`:
//! `slab_want_init_on_alloc`, `slab_want_init_on_free`, `slab_free_hook`,
//! `maybe_wipe_obj_freeptr`, `slab_post_alloc_hook`, `report_meminit`).
//!
//! Everything works on a slab's bytes (`&mut [u8]`) and its virtual address, so a
//! cache can run it on the direct map and tests on plain memory.
//!
//! ```
//! use oxmm::slab::hardening::FreelistHardening;
//! let h = FreelistHardening::new(0x1234_5678_9abc_def0);
//! let stored = h.encode(0xffff_8880_0000_1040, 0xffff_8880_0000_1000);
//! assert_ne!(stored, 0xffff_8880_0000_1040);
//! assert_eq!(h.decode(stored, 0xffff_8880_0000_1000), 0xffff_8880_0000_1040);
//! ```

use super::layout::{DebugLayout, WORD};
use super::SlabFlags;
use crate::gfp::Gfp;
use crate::platform::Platform;
use core::fmt;

/// `swab`: byte-reverse a word (x86-64 `swab64`).
///
/// ```
/// assert_eq!(oxmm::slab::hardening::swab(0x0102030405060708), 0x0807060504030201);
/// ```
#[doc(alias = "swab64")]
pub const fn swab(x: u64) -> u64 {
    x.swap_bytes()
}

/// A cache's free-pointer encoding: `ptr ^ s->random ^ swab(ptr_addr)` with
/// `CONFIG_SLAB_FREELIST_HARDENED`, the plain pointer without it.
///
/// ```
/// use oxmm::slab::hardening::FreelistHardening;
/// assert_eq!(FreelistHardening::DISABLED.encode(0x1000, 0x2000), 0x1000);
/// let h = FreelistHardening::new(7);
/// assert_eq!(h.encode(0, 0), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreelistHardening {
    /// `s->random` (from `get_random_long()` at cache creation).
    pub random: u64,
    /// Whether pointers are obfuscated at all.
    pub enabled: bool,
}

impl FreelistHardening {
    /// No obfuscation (`CONFIG_SLAB_FREELIST_HARDENED=n`).
    ///
    /// ```
    /// use oxmm::slab::hardening::FreelistHardening;
    /// let h = FreelistHardening::DISABLED;
    /// assert!(!h.enabled);
    /// assert_eq!(h.encode(0x1234, 0x5000), 0x1234); // stored as is
    /// ```
    pub const DISABLED: FreelistHardening = FreelistHardening {
        random: 0,
        enabled: false,
    };

    /// Obfuscation with the per-cache secret `random`.
    ///
    /// ```
    /// let h = oxmm::slab::hardening::FreelistHardening::new(5);
    /// assert!(h.enabled && h.random == 5);
    /// ```
    pub const fn new(random: u64) -> FreelistHardening {
        FreelistHardening {
            random,
            enabled: true,
        }
    }

    /// `kmem_cache_open`: a fresh secret from the platform's random source.
    ///
    /// ```
    /// struct P;
    /// // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// // buffer, as large as the machine and used by nothing else.
    /// unsafe impl oxmm::platform::Platform for P {
    ///     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    ///     fn cpu_id(&self) -> usize { 0 }
    ///     fn nr_cpus(&self) -> usize { 1 }
    ///     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    ///     fn random_u64(&self) -> u64 { 42 }
    /// }
    /// assert_eq!(oxmm::slab::hardening::FreelistHardening::from_platform(&P).random, 42);
    /// ```
    pub fn from_platform<P: Platform + ?Sized>(p: &P) -> FreelistHardening {
        FreelistHardening::new(p.random_u64())
    }

    /// `freelist_ptr_encode`: the word stored at `ptr_addr` for next pointer `ptr`.
    ///
    /// ```
    /// use oxmm::slab::hardening::FreelistHardening;
    /// assert_eq!(FreelistHardening::new(1).encode(0x10, 0), 0x11);
    /// ```
    #[doc(alias = "freelist_ptr_encode")]
    pub const fn encode(&self, ptr: usize, ptr_addr: usize) -> u64 {
        if self.enabled {
            ptr as u64 ^ self.random ^ swab(ptr_addr as u64)
        } else {
            ptr as u64
        }
    }

    /// `freelist_ptr_decode`: the next pointer from the word `stored` at `ptr_addr`.
    ///
    /// ```
    /// use oxmm::slab::hardening::FreelistHardening;
    /// let h = FreelistHardening::new(0xff);
    /// assert_eq!(h.decode(h.encode(0x1234, 0x5000), 0x5000), 0x1234);
    /// ```
    #[doc(alias = "freelist_ptr_decode")]
    pub const fn decode(&self, stored: u64, ptr_addr: usize) -> usize {
        if self.enabled {
            (stored ^ self.random ^ swab(ptr_addr as u64)) as usize
        } else {
            stored as usize
        }
    }
}

/// Why a hardened free-list operation refused.
///
/// ```
/// use oxmm::slab::hardening::HardeningError;
/// assert_eq!(HardeningError::OutOfSlab(0x10).to_string(), "address 0x10 is outside the slab");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HardeningError {
    /// `set_freepointer`'s `BUG_ON(object == fp)`: an object pointing at itself, the
    /// naive double-free signature.
    SelfPointer(usize),
    /// The free pointer's word is not inside the slab's memory.
    OutOfSlab(usize),
    /// A random sequence buffer of the wrong length (or a slab with no objects).
    BadSequence(usize),
}

impl fmt::Display for HardeningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HardeningError::SelfPointer(p) => {
                write!(f, "object {p:#x} would point to itself (double free?)")
            }
            HardeningError::OutOfSlab(a) => write!(f, "address {a:#x} is outside the slab"),
            HardeningError::BadSequence(n) => write!(f, "random sequence of {n} entries"),
        }
    }
}

fn word_range(mem_len: usize, base: usize, addr: usize) -> Result<usize, HardeningError> {
    let off = addr
        .checked_sub(base)
        .ok_or(HardeningError::OutOfSlab(addr))?;
    if off.checked_add(WORD as usize).is_some_and(|e| e <= mem_len) {
        Ok(off)
    } else {
        Err(HardeningError::OutOfSlab(addr))
    }
}

/// `get_freepointer`: the next free object after `object` in a slab whose memory
/// `mem` starts at virtual address `base` (0 is NULL).
///
/// ```
/// use oxmm::slab::hardening::{get_freepointer, set_freepointer, FreelistHardening};
/// let h = FreelistHardening::new(0xdead_beef);
/// let mut mem = [0u8; 64];
/// set_freepointer(&mut mem, 0x1000, &h, 0x1000, 8, 0x1020).unwrap();
/// assert_eq!(get_freepointer(&mem, 0x1000, &h, 0x1000, 8), Ok(0x1020));
/// ```
pub fn get_freepointer(
    mem: &[u8],
    base: usize,
    h: &FreelistHardening,
    object: usize,
    offset: u32,
) -> Result<usize, HardeningError> {
    let addr = object.wrapping_add(offset as usize);
    let off = word_range(mem.len(), base, addr)?;
    let mut w = [0u8; 8];
    w.copy_from_slice(&mem[off..off + 8]);
    Ok(h.decode(u64::from_ne_bytes(w), addr))
}

/// `set_freepointer`: store `fp` (encoded) as `object`'s next free object. Refuses an
/// object pointing at itself, as hardened Linux does with `BUG_ON`.
///
/// ```
/// use oxmm::slab::hardening::{set_freepointer, FreelistHardening, HardeningError};
/// let mut mem = [0u8; 16];
/// let h = FreelistHardening::DISABLED;
/// assert_eq!(set_freepointer(&mut mem, 0, &h, 0, 0, 0), Ok(())); // NULL is fine
/// let hard = FreelistHardening::new(1);
/// assert_eq!(set_freepointer(&mut mem, 0x100, &hard, 0x100, 0, 0x100), Err(HardeningError::SelfPointer(0x100)));
/// ```
pub fn set_freepointer(
    mem: &mut [u8],
    base: usize,
    h: &FreelistHardening,
    object: usize,
    offset: u32,
    fp: usize,
) -> Result<(), HardeningError> {
    if h.enabled && object == fp && fp != 0 {
        return Err(HardeningError::SelfPointer(object));
    }
    let addr = object.wrapping_add(offset as usize);
    let off = word_range(mem.len(), base, addr)?;
    mem[off..off + 8].copy_from_slice(&h.encode(fp, addr).to_ne_bytes());
    Ok(())
}

/// `__get_random_u32_below`: a uniform value in `0..ceil` from 32-bit random words
/// (Lemire's multiply-and-reject, as Linux does), drawing from `rng`.
///
/// ```
/// use oxmm::slab::hardening::random_u32_below;
/// let mut words = [0xffff_ffffu32, 0].into_iter();
/// assert_eq!(random_u32_below(10, &mut || words.next().unwrap()), 9);
/// ```
#[doc(alias = "get_random_u32_below")]
pub fn random_u32_below(ceil: u32, rng: &mut dyn FnMut() -> u32) -> u32 {
    let rand = rng();
    if ceil == 0 {
        return rand;
    }
    let mut mult = ceil as u64 * rand as u64;
    if (mult as u32) < ceil {
        let bound = ceil.wrapping_neg() % ceil;
        while (mult as u32) < bound {
            mult = ceil as u64 * rng() as u64;
        }
    }
    (mult >> 32) as u32
}

/// `get_random_u32` from a platform's 64-bit source.
///
/// ```
/// struct P;
/// // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// // buffer, as large as the machine and used by nothing else.
/// unsafe impl oxmm::platform::Platform for P {
///     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
///     fn cpu_id(&self) -> usize { 0 }
///     fn nr_cpus(&self) -> usize { 1 }
///     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
///     fn random_u64(&self) -> u64 { 0x1_0000_0002 }
/// }
/// assert_eq!(oxmm::slab::hardening::platform_u32(&P), 2);
/// ```
pub fn platform_u32<P: Platform + ?Sized>(p: &P) -> u32 {
    p.random_u64() as u32
}

/// `freelist_randomize`: `list` becomes a Fisher–Yates shuffle of `0..list.len()`.
///
/// ```
/// use oxmm::slab::hardening::freelist_randomize;
/// let mut l = [0u32; 6];
/// let mut x = 7u32;
/// freelist_randomize(&mut l, &mut || { x = x.wrapping_mul(1103515245).wrapping_add(12345); x });
/// let mut s = l;
/// s.sort();
/// assert_eq!(s, [0, 1, 2, 3, 4, 5]);
/// ```
pub fn freelist_randomize(list: &mut [u32], rng: &mut dyn FnMut() -> u32) {
    for (i, e) in list.iter_mut().enumerate() {
        *e = i as u32;
    }
    for i in (1..list.len()).rev() {
        let r = random_u32_below(i as u32 + 1, rng) as usize;
        list.swap(i, r);
    }
}

/// `cache_random_seq_create` + `init_cache_random_seq`: fill `seq` (one entry per
/// object of a full slab, `oo_objects(s->oo)`) with a shuffled order, as byte offsets
/// (index × `size`). Returns `false` — no sequence, no shuffling — for fewer than two
/// objects, as Linux does.
///
/// ```
/// use oxmm::slab::hardening::cache_random_seq_create;
/// let mut seq = [0u32; 4];
/// let mut n = 0u32;
/// assert!(cache_random_seq_create(&mut seq, 64, &mut || { n += 0x4000_0000; n }));
/// let mut s = seq;
/// s.sort();
/// assert_eq!(s, [0, 64, 128, 192]);
/// assert!(!cache_random_seq_create(&mut seq[..1], 64, &mut || 0));
/// ```
#[doc(alias = "init_cache_random_seq")]
pub fn cache_random_seq_create(seq: &mut [u32], size: u32, rng: &mut dyn FnMut() -> u32) -> bool {
    if seq.len() < 2 {
        return false;
    }
    freelist_randomize(seq, rng);
    for e in seq.iter_mut() {
        *e *= size;
    }
    true
}

/// `next_freelist_entry`: the next offset of the sequence from `*pos` (wrapping), skipping
/// entries beyond `page_limit` (a slab smaller than the cache's usual one, after an
/// order fallback).
///
/// ```
/// use oxmm::slab::hardening::next_freelist_entry;
/// let seq = [128, 0, 192, 64];
/// let mut pos = 2;
/// assert_eq!(next_freelist_entry(&seq, &mut pos, 128), 64); // 192 is past the limit
/// assert_eq!(pos, 0);
/// ```
pub fn next_freelist_entry(seq: &[u32], pos: &mut usize, page_limit: u32) -> u32 {
    loop {
        let idx = seq[*pos];
        *pos += 1;
        if *pos >= seq.len() {
            *pos = 0;
        }
        if idx < page_limit {
            return idx;
        }
    }
}

/// The order `shuffle_freelist` links a new slab's objects in: byte offsets of the
/// objects' slots, starting at a random position of the cache's sequence.
///
/// ```
/// use oxmm::slab::hardening::ShuffledSlots;
/// let seq = [128, 0, 192, 64];
/// let v: Vec<u32> = ShuffledSlots::new(&seq, 3, 4, 64).unwrap().collect();
/// assert_eq!(v, [64, 128, 0, 192]);
/// ```
#[doc(alias = "shuffle_freelist")]
#[derive(Clone, Debug)]
pub struct ShuffledSlots<'a> {
    seq: &'a [u32],
    pos: usize,
    page_limit: u32,
    left: u32,
}

impl<'a> ShuffledSlots<'a> {
    /// Walk `seq` from `start` (Linux: `get_random_u32_below(freelist_count)`) for a
    /// slab of `objects` slots of `size` bytes. `None` when Linux does not shuffle
    /// (fewer than two objects or no sequence) or `start` is out of range.
    ///
    /// ```
    /// use oxmm::slab::hardening::ShuffledSlots;
    /// assert!(ShuffledSlots::new(&[0, 64], 0, 2, 64).is_some());
    /// assert!(ShuffledSlots::new(&[0], 0, 1, 64).is_none()); // nothing to shuffle
    /// ```
    pub fn new(seq: &'a [u32], start: usize, objects: u32, size: u32) -> Option<Self> {
        if objects < 2 || seq.len() < 2 || start >= seq.len() || (objects as usize) > seq.len() {
            return None;
        }
        Some(ShuffledSlots {
            seq,
            pos: start,
            page_limit: objects * size,
            left: objects,
        })
    }
}

impl Iterator for ShuffledSlots<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(next_freelist_entry(
            self.seq,
            &mut self.pos,
            self.page_limit,
        ))
    }
}

/// The `init_on_alloc=` / `init_on_free=` state (Linux: the `init_on_alloc` and
/// `init_on_free` static keys; distributions default `init_on_alloc` on).
///
/// ```
/// use oxmm::slab::hardening::MemInit;
/// let m = MemInit::parse_cmdline("quiet init_on_free=1").unwrap();
/// assert!(m.init_on_free && !m.init_on_alloc);
/// assert!(MemInit::parse_cmdline("init_on_free=maybe").is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInit {
    /// Zero objects (and pages) on allocation.
    pub init_on_alloc: bool,
    /// Zero objects (and pages) on free.
    pub init_on_free: bool,
}

/// A boot option value that is not a boolean.
///
/// ```
/// use oxmm::slab::hardening::MemInit;
/// let e = MemInit::parse_cmdline("init_on_alloc=2x").unwrap_err();
/// assert_eq!(e.to_string(), "init_on_alloc=: bad value \"2x\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadBool<'a> {
    /// The option name.
    pub option: &'static str,
    /// The value given.
    pub value: &'a str,
}

impl fmt::Display for BadBool<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=: bad value {:?}", self.option, self.value)
    }
}

/// `kstrtobool`: 1/y/Y/t/T/on → true, 0/n/N/f/F/off → false (first characters).
fn kstrtobool(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    match b.first()? {
        b'1' | b'y' | b'Y' | b't' | b'T' => Some(true),
        b'0' | b'n' | b'N' | b'f' | b'F' => Some(false),
        b'o' | b'O' => match b.get(1)? {
            b'n' | b'N' => Some(true),
            b'f' | b'F' => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl MemInit {
    /// Apply the `init_on_alloc=` and `init_on_free=` words of a kernel command line
    /// to the defaults (both off).
    ///
    /// ```
    /// use oxmm::slab::hardening::MemInit;
    /// let m = MemInit::parse_cmdline("quiet init_on_alloc=1 init_on_free=off").unwrap();
    /// assert_eq!(m, MemInit { init_on_alloc: true, init_on_free: false });
    /// assert_eq!(MemInit::parse_cmdline("quiet"), Ok(MemInit::default()));
    /// ```
    pub fn parse_cmdline(cmdline: &str) -> Result<MemInit, BadBool<'_>> {
        let mut m = MemInit::default();
        for word in cmdline.split_ascii_whitespace() {
            for (name, slot) in [
                ("init_on_alloc", &mut m.init_on_alloc),
                ("init_on_free", &mut m.init_on_free),
            ] {
                if let Some(v) = word.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                    *slot = kstrtobool(v).ok_or(BadBool {
                        option: name,
                        value: v,
                    })?;
                }
            }
        }
        Ok(m)
    }

    /// `report_meminit`'s line (the stack part is the build's, `all(zero)` on
    /// distribution kernels).
    ///
    /// ```
    /// use oxmm::slab::hardening::MemInit;
    /// let m = MemInit { init_on_alloc: true, init_on_free: false };
    /// assert_eq!(m.report("all(zero)").to_string(),
    ///            "mem auto-init: stack:all(zero), heap alloc:on, heap free:off");
    /// ```
    #[doc(alias = "report_meminit")]
    pub fn report<'a>(&self, stack: &'a str) -> impl fmt::Display + 'a {
        let (a, f) = (self.init_on_alloc, self.init_on_free);
        struct R<'a>(&'a str, bool, bool);
        impl fmt::Display for R<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let on = |b: bool| if b { "on" } else { "off" };
                write!(
                    f,
                    "mem auto-init: stack:{}, heap alloc:{}, heap free:{}",
                    self.0,
                    on(self.1),
                    on(self.2)
                )
            }
        }
        R(stack, a, f)
    }

    /// `report_meminit`'s second line, printed when init_on_free is on.
    ///
    /// ```
    /// use oxmm::slab::hardening::MemInit;
    /// assert_eq!(MemInit { init_on_alloc: false, init_on_free: true }.clearing_notice(),
    ///            Some("mem auto-init: clearing system memory may take some time..."));
    /// ```
    pub fn clearing_notice(&self) -> Option<&'static str> {
        self.init_on_free
            .then_some("mem auto-init: clearing system memory may take some time...")
    }

    /// `slab_want_init_on_alloc`: zero a new object of a cache with `flags` (after
    /// `calculate_sizes`) and a constructor or not, for an allocation with `gfp`.
    ///
    /// ```
    /// use oxmm::{gfp::Gfp, slab::{hardening::MemInit, SlabFlags}};
    /// let on = MemInit { init_on_alloc: true, init_on_free: false };
    /// assert!(on.want_init_on_alloc(Gfp::KERNEL, SlabFlags::default(), false));
    /// assert!(!on.want_init_on_alloc(Gfp::KERNEL, SlabFlags::default(), true)); // ctor
    /// assert!(!on.want_init_on_alloc(Gfp::KERNEL, SlabFlags::POISON, false));
    /// assert!(MemInit::default().want_init_on_alloc(Gfp::KERNEL | Gfp::ZERO, SlabFlags::default(), false));
    /// ```
    #[doc(alias = "slab_want_init_on_alloc")]
    pub fn want_init_on_alloc(&self, gfp: Gfp, flags: SlabFlags, has_ctor: bool) -> bool {
        let zero = gfp.contains(Gfp::ZERO);
        if self.init_on_alloc {
            if has_ctor {
                return false;
            }
            if flags.0 & (SlabFlags::TYPESAFE_BY_RCU.0 | SlabFlags::POISON.0) != 0 {
                return zero;
            }
            return true;
        }
        zero
    }

    /// `slab_want_init_on_free`: wipe objects of this cache on free. Never for caches
    /// with a constructor, `SLAB_TYPESAFE_BY_RCU` (readers may still look) or
    /// `SLAB_POISON` (poisoning takes precedence).
    ///
    /// ```
    /// use oxmm::slab::{hardening::MemInit, SlabFlags};
    /// let on = MemInit { init_on_alloc: false, init_on_free: true };
    /// assert!(on.want_init_on_free(SlabFlags::default(), false));
    /// assert!(!on.want_init_on_free(SlabFlags::TYPESAFE_BY_RCU, false));
    /// ```
    #[doc(alias = "slab_want_init_on_free")]
    pub fn want_init_on_free(&self, flags: SlabFlags, has_ctor: bool) -> bool {
        self.init_on_free
            && !(has_ctor || flags.0 & (SlabFlags::TYPESAFE_BY_RCU.0 | SlabFlags::POISON.0) != 0)
    }
}

/// `slab_post_alloc_hook`'s zeroing: how many bytes of a new object to clear. kmalloc
/// caches with `SLAB_STORE_USER` or `SLAB_RED_ZONE` clear only the request, since the
/// rest is red zone.
///
/// ```
/// use oxmm::slab::{hardening::alloc_zero_size, layout::DebugLayout, SlabFlags};
/// let l = DebugLayout::calculate(64, 64, SlabFlags::RED_ZONE.union(SlabFlags::KMALLOC), false, None).unwrap();
/// assert_eq!(alloc_zero_size(&l, 40), 40);
/// let p = DebugLayout::calculate(64, 64, SlabFlags::KMALLOC, false, None).unwrap();
/// assert_eq!(alloc_zero_size(&p, 40), 64);
/// ```
#[doc(alias = "slab_post_alloc_hook")]
pub fn alloc_zero_size(l: &DebugLayout, orig_size: u32) -> u32 {
    let debug = l.flags.0 & (SlabFlags::STORE_USER.0 | SlabFlags::RED_ZONE.0) != 0;
    if debug && l.has(SlabFlags::KMALLOC) {
        orig_size.min(l.object_size)
    } else {
        l.object_size
    }
}

/// `slab_free_hook` with `init`: zero the object's `orig_size` bytes and its metadata
/// from `get_info_end` to the end of the slot (not the left red zone of the next
/// slot), keeping an outside free pointer; the saved `orig_size` is written back.
/// `obj` is the object's offset in `slot`, the slab bytes from the slot's start.
///
/// ```
/// use oxmm::slab::{hardening::init_on_free_wipe, layout::DebugLayout, SlabFlags};
/// let l = DebugLayout::calculate(32, 8, SlabFlags::default(), false, None).unwrap();
/// let mut slot = [0xffu8; 32];
/// init_on_free_wipe(&l, &mut slot, 0, 32);
/// assert_eq!(slot, [0u8; 32]);
/// ```
#[doc(alias = "slab_free_hook")]
pub fn init_on_free_wipe(l: &DebugLayout, slot: &mut [u8], obj: usize, orig_size: u32) {
    let saved = if l.orig_size_tracked() {
        let o = obj + l.orig_size_offset() as usize;
        slot.get(o..o + 4).map(|b| [b[0], b[1], b[2], b[3]])
    } else {
        None
    };
    let end = (obj + orig_size as usize).min(slot.len());
    slot[obj.min(end)..end].fill(0);
    let rsize = if l.has(SlabFlags::RED_ZONE) {
        l.red_left_pad
    } else {
        0
    };
    let start = obj + l.info_end() as usize;
    let stop = (obj + (l.size - rsize) as usize).min(slot.len());
    if start < stop {
        slot[start..stop].fill(0);
    }
    if let Some(b) = saved {
        let o = obj + l.orig_size_offset() as usize;
        slot[o..o + 4].copy_from_slice(&b);
    }
}

/// `maybe_wipe_obj_freeptr`: with init_on_free, a newly allocated object whose free
/// pointer lies inside it gets that word zeroed (the rest was wiped on free).
///
/// ```
/// use oxmm::slab::{hardening::wipe_obj_freeptr, layout::DebugLayout, SlabFlags};
/// let l = DebugLayout::calculate(32, 8, SlabFlags::default(), false, None).unwrap();
/// let mut obj = [0xffu8; 32];
/// wipe_obj_freeptr(&l, &mut obj);
/// assert_eq!(&obj[16..24], &[0u8; 8]);
/// assert_eq!(obj[15], 0xff);
/// ```
#[doc(alias = "maybe_wipe_obj_freeptr")]
pub fn wipe_obj_freeptr(l: &DebugLayout, obj: &mut [u8]) {
    if !l.freeptr_outside_object() {
        let o = l.offset as usize;
        if let Some(w) = obj.get_mut(o..o + WORD as usize) {
            w.fill(0);
        }
    }
}
