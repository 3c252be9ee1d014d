//! SLUB debugging (Linux v6.12, mm/slub.c under `CONFIG_SLUB_DEBUG`): the
//! `slub_debug=` option and `kmem_cache_flags`, object poisoning and red zones
//! (`init_object`), the checks (`check_object`, `check_bytes_and_report`,
//! `check_pad_bytes`, `slab_pad_check`, `check_slab`, `on_freelist`), the alloc/free
//! debug paths (`alloc_debug_processing`, `free_debug_processing`), alloc/free tracking
//! (`set_track`, `print_tracking`) and the reports, in Linux's words, through
//! [`Platform::printk`].
//!
//! It works on one slab at a time: the slab's bytes, its virtual address and its
//! counters ([`Slab`]), with the cache's name, [`DebugLayout`] and free-pointer
//! encoding ([`DebugCache`]). A cache runs it under the lock that serialises its debug
//! slabs (Linux: the node's `list_lock`) and writes the counters back.
//!
//! Each detected problem is reported, then repaired (`FIX …: Restoring …`) or the slab
//! is isolated (`Marking all objects used`), so nothing more is corrupted. Reports count
//! into [`DebugState`] the way `slab_add_kunit_errors` counts them for Linux's
//! slub_kunit (one per `BUG` and one per `FIX`).
//!
//! Wiring into a cache (Linux's order of calls): at creation, flags from
//! [`SlubDebug::cache_layout`] (`kmem_cache_flags` + `calculate_sizes`) and the secret
//! from [`super::hardening::FreelistHardening::from_platform`]; a cache with any of
//! [`SLAB_DEBUG_FLAGS`] skips per-CPU fast paths and takes one object at a time under
//! its node lock: [`SlubDebugger::new_slab`] on a fresh slab, [`SlubDebugger::alloc`]
//! (`alloc_single_from_partial`) and [`SlubDebugger::free`] (`free_to_partial_list`),
//! moving the slab between partial and full lists by the counters it leaves, and
//! dropping a `frozen` (isolated) slab from the lists. The frozen bit lives in the
//! slab's descriptor (a debug slab is never a CPU slab, so Linux reuses the bit the
//! same way, v6.12.y commit dbc16915279a): frees into such a slab are refused by
//! `check_slab` (`Slab disabled since SLUB metadata consistency check failed`) and it
//! is never reused; it stays counted in `nr_slabs`, so validation of a
//! `SLAB_STORE_USER` cache reports it missing from the lists and destroying its cache
//! warns that objects remain, as Linux does. Validation
//! (`/sys/kernel/slab/*/validate`) is [`SlubDebugger::validate_slab`] per slab.
//!
//! Symbols (`%pS`), saved stacks (`CONFIG_STACKDEPOT`) and the `dump_stack()` that
//! ends each report come from the platform ([`Platform::symbolize`],
//! [`Platform::stack_depot_save`], [`Platform::dump_stack`]); by default addresses
//! print as a kernel without kallsyms prints them, tracks have no stack and there is
//! no call trace (the core has no unwinder). Pointers print unhashed
//! (`no_hash_pointers`). Page flags (`%pGp`) are decoded by [`crate::page::PageFlags`].
//!
//! ```
//! use oxmm::slab::debug::SlubDebug;
//! use oxmm::slab::SlabFlags;
//! let d = SlubDebug::parse("=FZ,kmalloc-64;P,dentry").unwrap();
//! assert_eq!(d.kmem_cache_flags(SlabFlags::default(), "kmalloc-64"),
//!            SlabFlags::CONSISTENCY_CHECKS.union(SlabFlags::RED_ZONE));
//! assert_eq!(d.kmem_cache_flags(SlabFlags::default(), "dentry"), SlabFlags::POISON);
//! assert_eq!(d.kmem_cache_flags(SlabFlags::default(), "kmalloc-32"), SlabFlags::default());
//! ```

use super::hardening::{FreelistHardening, ShuffledSlots};
use super::layout::{DebugLayout, TRACK_SIZE, WORD};
use super::order::MAX_OBJS_PER_PAGE;
use super::SlabFlags;
use crate::platform::Platform;
use crate::printk::Level;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// `SLUB_RED_INACTIVE`: red zones of a free object.
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// # use oxmm::slab::debug::*;
/// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout};
/// # let cache = DebugCache {
/// #     name: "c",
/// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
/// #     hardening: FreelistHardening::new(1),
/// # };
/// # let state = DebugState::new();
/// # let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
/// # let mut mem = vec![0u8; 4096];
/// # let base = mem.as_ptr() as usize;
/// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
/// # d.new_slab(&mut slab, None, None);
/// let p = d.object_addr(&slab, 0); // a free object
/// assert_eq!(slab.byte(p - 1), Some(SLUB_RED_INACTIVE)); // left red zone
/// assert_eq!(slab.byte(p + 64), Some(SLUB_RED_INACTIVE)); // right red zone
/// ```
pub const SLUB_RED_INACTIVE: u8 = 0xbb;
/// `SLUB_RED_ACTIVE`: red zones of an allocated object (and kmalloc's unrequested tail).
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// # use oxmm::slab::debug::*;
/// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout};
/// # let cache = DebugCache {
/// #     name: "c",
/// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
/// #     hardening: FreelistHardening::new(1),
/// # };
/// # let state = DebugState::new();
/// # let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
/// # let mut mem = vec![0u8; 4096];
/// # let base = mem.as_ptr() as usize;
/// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
/// # d.new_slab(&mut slab, None, None);
/// let p = d.alloc(&mut slab, 64, 0x1234).unwrap();
/// assert_eq!(slab.byte(p - 1), Some(SLUB_RED_ACTIVE));
/// assert_eq!(slab.byte(p + 64), Some(SLUB_RED_ACTIVE));
/// ```
pub const SLUB_RED_ACTIVE: u8 = 0xcc;
/// `POISON_INUSE`: padding, and a new slab before its objects are set up.
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// # use oxmm::slab::debug::*;
/// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout};
/// # let cache = DebugCache {
/// #     name: "c",
/// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
/// #     hardening: FreelistHardening::new(1),
/// # };
/// # let state = DebugState::new();
/// # let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
/// # let mut mem = vec![0u8; 4096];
/// # let base = mem.as_ptr() as usize;
/// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
/// # d.new_slab(&mut slab, None, None);
/// assert_eq!(slab.byte(base + 4095), Some(POISON_INUSE)); // the slab's unused tail
/// ```
pub const POISON_INUSE: u8 = 0x5a;
/// `POISON_FREE`: the body of a free object.
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// # use oxmm::slab::debug::*;
/// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout};
/// # let cache = DebugCache {
/// #     name: "c",
/// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
/// #     hardening: FreelistHardening::new(1),
/// # };
/// # let state = DebugState::new();
/// # let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
/// # let mut mem = vec![0u8; 4096];
/// # let base = mem.as_ptr() as usize;
/// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
/// # d.new_slab(&mut slab, None, None);
/// let p = d.object_addr(&slab, 0);
/// assert!((0..63).all(|i| slab.byte(p + i) == Some(POISON_FREE)));
/// ```
pub const POISON_FREE: u8 = 0x6b;
/// `POISON_END`: the last byte of a poisoned body.
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// # use oxmm::slab::debug::*;
/// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout};
/// # let cache = DebugCache {
/// #     name: "c",
/// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
/// #     hardening: FreelistHardening::new(1),
/// # };
/// # let state = DebugState::new();
/// # let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
/// # let mut mem = vec![0u8; 4096];
/// # let base = mem.as_ptr() as usize;
/// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
/// # d.new_slab(&mut slab, None, None);
/// let p = d.object_addr(&slab, 0);
/// assert_eq!((slab.byte(p + 62), slab.byte(p + 63)), (Some(POISON_FREE), Some(POISON_END)));
/// ```
pub const POISON_END: u8 = 0xa5;

impl SlabFlags {
    /// `SLAB_NO_USER_FLAGS`: `slub_debug=` does not apply to this cache.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// let d = SlubDebug::parse("=FZ").unwrap();
    /// assert_eq!(d.kmem_cache_flags(SlabFlags::NO_USER_FLAGS, "x"), SlabFlags::NO_USER_FLAGS);
    /// ```
    pub const NO_USER_FLAGS: SlabFlags = SlabFlags(1 << 28);
    /// `__OBJECT_POISON`: the object body itself is poisoned (internal, set by
    /// `calculate_sizes`).
    ///
    /// ```
    /// use oxmm::slab::{layout::DebugLayout, SlabFlags};
    /// let l = DebugLayout::calculate(64, 8, SlabFlags::POISON, false, None).unwrap();
    /// assert!(l.flags.contains(SlabFlags::OBJECT_POISON));
    /// let c = DebugLayout::calculate(64, 8, SlabFlags::POISON, true, None).unwrap();
    /// assert!(!c.flags.contains(SlabFlags::OBJECT_POISON)); // a constructor's work is kept
    /// ```
    #[doc(alias = "__OBJECT_POISON")]
    pub const OBJECT_POISON: SlabFlags = SlabFlags(1 << 31);
}

/// `DEBUG_DEFAULT_FLAGS`: what `slub_debug` with no options turns on (F, Z, P, U).
///
/// ```
/// use oxmm::slab::{debug::DEBUG_DEFAULT_FLAGS, SlabFlags};
/// assert!(DEBUG_DEFAULT_FLAGS.contains(SlabFlags::STORE_USER));
/// ```
pub const DEBUG_DEFAULT_FLAGS: SlabFlags = SlabFlags(
    SlabFlags::CONSISTENCY_CHECKS.0
        | SlabFlags::RED_ZONE.0
        | SlabFlags::POISON.0
        | SlabFlags::STORE_USER.0,
);

/// `SLAB_DEBUG_FLAGS`: any of these makes a cache a debug cache (slow paths only).
///
/// ```
/// use oxmm::slab::{debug::{DEBUG_DEFAULT_FLAGS, SLAB_DEBUG_FLAGS}, SlabFlags};
/// assert_eq!(SLAB_DEBUG_FLAGS, oxmm::slab::hooks::SLAB_DEBUG_FLAGS);
/// assert!(SLAB_DEBUG_FLAGS.contains(DEBUG_DEFAULT_FLAGS.union(SlabFlags::TRACE)));
/// ```
pub const SLAB_DEBUG_FLAGS: SlabFlags = SlabFlags(DEBUG_DEFAULT_FLAGS.0 | SlabFlags::TRACE.0);

/// A `slub_debug=` string Linux would partly skip: the offending character and its
/// byte position in the option value.
///
/// ```
/// use oxmm::slab::debug::SlubDebug;
/// let e = SlubDebug::parse("=FQ").unwrap_err();
/// assert_eq!(e.to_string(), "slab_debug option 'Q' unknown (at 1)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlubDebugError {
    /// The unknown option character.
    pub ch: char,
    /// Its byte offset in the value (after `=`).
    pub pos: usize,
}

impl fmt::Display for SlubDebugError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "slab_debug option '{}' unknown (at {})",
            self.ch, self.pos
        )
    }
}

/// The level of Linux's report of an unknown `slub_debug=` character (`pr_err` in
/// `parse_slub_debug_flags`), with its text: [`UnknownOption`].
///
/// ```
/// use oxmm::slab::debug::{UnknownOption, SLUB_DEBUG_UNKNOWN};
/// assert_eq!(SLUB_DEBUG_UNKNOWN, oxmm::printk::Level::Err);
/// assert_eq!(UnknownOption('q').to_string(), "slab_debug option 'q' unknown. skipped");
/// ```
pub const SLUB_DEBUG_UNKNOWN: Level = Level::Err;

/// `slab_debug option '<c>' unknown. skipped` (v6.12 `parse_slub_debug_flags`).
///
/// ```
/// use oxmm::slab::debug::{SlubDebug, UnknownOption};
/// let mut msgs = Vec::new();
/// SlubDebug::parse_skipping("=Fq", &mut |c, _| msgs.push(UnknownOption(c).to_string()));
/// assert_eq!(msgs, ["slab_debug option 'q' unknown. skipped"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownOption(pub char);

impl fmt::Display for UnknownOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slab_debug option '{}' unknown. skipped", self.0)
    }
}

/// The parsed `slub_debug=` (or `slab_debug=`) boot option (Linux: `setup_slub_debug`
/// setting `slub_debug`, `slub_debug_string` and `disable_higher_order_debug`).
///
/// ```
/// use oxmm::slab::debug::{SlubDebug, DEBUG_DEFAULT_FLAGS};
/// assert_eq!(SlubDebug::parse("").unwrap().global, DEBUG_DEFAULT_FLAGS);
/// assert_eq!(SlubDebug::parse("=-").unwrap().global.0, 0);
/// assert!(SlubDebug::parse("=O").unwrap().disable_higher_order_debug);
/// ```
#[doc(alias = "setup_slub_debug")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlubDebug<'a> {
    /// `slub_debug`: flags for every cache not named in a list.
    pub global: SlabFlags,
    /// `slub_debug_string`: the blocks with cache lists, kept for `kmem_cache_flags`.
    pub string: Option<&'a str>,
    /// `slub_debug=O`: drop metadata-storing debug flags from caches whose minimum
    /// order they would raise.
    pub disable_higher_order_debug: bool,
}

/// One `;`-separated block: its flags, the start of its cache list, and the next block.
struct Block<'a> {
    flags: SlabFlags,
    slabs: Option<&'a str>,
    next: Option<&'a str>,
    higher_order_disable: bool,
}

/// `parse_slub_debug_flags`: `base` is the offset of `s` in the whole value (for
/// error positions); unknown characters go to `unknown`.
fn parse_block<'a>(s: &'a str, base: usize, unknown: &mut dyn FnMut(char, usize)) -> Block<'a> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b';' {
        i += 1;
    }
    let mut flags = SlabFlags::default();
    let mut higher_order_disable = false;
    if i < b.len() && b[i] == b',' {
        // A list with no options: full debugging for those caches.
        flags = DEBUG_DEFAULT_FLAGS;
    } else {
        while i < b.len() && b[i] != b',' && b[i] != b';' {
            match b[i].to_ascii_lowercase() {
                b'-' => flags = SlabFlags::default(),
                b'f' => flags = flags.union(SlabFlags::CONSISTENCY_CHECKS),
                b'z' => flags = flags.union(SlabFlags::RED_ZONE),
                b'p' => flags = flags.union(SlabFlags::POISON),
                b'u' => flags = flags.union(SlabFlags::STORE_USER),
                b't' => flags = flags.union(SlabFlags::TRACE),
                b'a' => flags = flags.union(SlabFlags::FAILSLAB),
                b'o' => higher_order_disable = true,
                _ => {
                    let ch = s[i..].chars().next().unwrap_or('?');
                    unknown(ch, base + i);
                    i += ch.len_utf8();
                    continue;
                }
            }
            i += 1;
        }
    }
    let slabs = if i < b.len() && b[i] == b',' {
        i += 1;
        Some(&s[i..])
    } else {
        None
    };
    while i < b.len() && b[i] != b';' {
        i += 1;
    }
    while i < b.len() && b[i] == b';' {
        i += 1;
    }
    Block {
        flags,
        slabs,
        next: if i < b.len() { Some(&s[i..]) } else { None },
        higher_order_disable,
    }
}

/// `strncmp(a, b, n) == 0` on NUL-terminated views of `a` and `b`.
fn strn_eq(a: &[u8], b: &[u8], n: usize) -> bool {
    for i in 0..n {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return false;
        }
        if x == 0 {
            return true;
        }
    }
    true
}

impl<'a> SlubDebug<'a> {
    /// Parse the text after `slub_debug` on the command line (`""`, `"="`, or
    /// `"=<flags>[,<caches>][;…]"`), refusing unknown option characters (a strict
    /// check for tools; a boot skips them as Linux does: [`parse_skipping`],
    /// [`parse_reporting`]).
    ///
    /// [`parse_skipping`]: Self::parse_skipping
    /// [`parse_reporting`]: Self::parse_reporting
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// let d = SlubDebug::parse("=FZ,kmalloc-64").unwrap();
    /// assert_eq!((d.global, d.string), (SlabFlags::default(), Some("FZ,kmalloc-64")));
    /// assert_eq!(SlubDebug::parse("=FQ").unwrap_err().pos, 1);
    /// ```
    pub fn parse(arg: &'a str) -> Result<SlubDebug<'a>, SlubDebugError> {
        let mut err = None;
        let d = Self::parse_with(arg, &mut |ch, pos| {
            err.get_or_insert(SlubDebugError { ch, pos });
        });
        match err {
            Some(e) => Err(e),
            None => Ok(d),
        }
    }

    /// Parse as Linux does: unknown characters are skipped after printing
    /// `slab_debug option 'c' unknown. skipped`.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// assert_eq!(SlubDebug::parse_reporting("=xZ", &P).global, SlabFlags::RED_ZONE);
    /// ```
    pub fn parse_reporting<P: Platform + ?Sized>(arg: &'a str, p: &P) -> SlubDebug<'a> {
        Self::parse_with(arg, &mut |ch, _| {
            p.printk(SLUB_DEBUG_UNKNOWN, format_args!("{}", UnknownOption(ch)))
        })
    }

    /// Parse as Linux's `setup_slub_debug` does: each unknown option character is
    /// skipped, after `unknown(ch, pos)` (Linux prints `slab_debug option 'ch'
    /// unknown. skipped` at `KERN_ERR`; [`SLUB_DEBUG_UNKNOWN`] formats it), and the
    /// other characters still apply.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// let mut seen = Vec::new();
    /// let d = SlubDebug::parse_skipping("=FqZ,dentry;x", &mut |c, pos| seen.push((c, pos)));
    /// assert_eq!(seen, [('q', 1), ('x', 11)]);
    /// assert_eq!(d.kmem_cache_flags(SlabFlags::default(), "dentry"),
    ///            SlabFlags::CONSISTENCY_CHECKS.union(SlabFlags::RED_ZONE));
    /// assert_eq!(d.global, SlabFlags::default()); // the `x` block: no flags
    /// ```
    pub fn parse_skipping(arg: &'a str, unknown: &mut dyn FnMut(char, usize)) -> SlubDebug<'a> {
        Self::parse_with(arg, unknown)
    }

    fn parse_with(arg: &'a str, unknown: &mut dyn FnMut(char, usize)) -> SlubDebug<'a> {
        let mut d = SlubDebug {
            global: DEBUG_DEFAULT_FLAGS,
            string: None,
            disable_higher_order_debug: false,
        };
        let value = match arg.strip_prefix('=') {
            Some(v) if !v.is_empty() => v,
            // No options: full debugging everywhere.
            _ => return d,
        };
        let mut global_changed = false;
        let mut list_specified = false;
        let mut cur = Some(value);
        while let Some(s) = cur {
            let base = value.len() - s.len();
            let blk = parse_block(s, base, unknown);
            d.disable_higher_order_debug |= blk.higher_order_disable;
            if blk.slabs.is_none() {
                d.global = blk.flags;
                global_changed = true;
            } else {
                list_specified = true;
            }
            cur = blk.next;
        }
        if list_specified {
            // Lists alone leave the global setting as built (no CONFIG_SLUB_DEBUG_ON).
            if !global_changed {
                d.global = SlabFlags::default();
            }
            d.string = Some(value);
        }
        d
    }

    /// The last `slub_debug`/`slab_debug` option of a kernel command line; `None`
    /// when there is none.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// let d = SlubDebug::from_cmdline("quiet slab_debug=P loglevel=7").unwrap().unwrap();
    /// assert_eq!(d.global, SlabFlags::POISON);
    /// assert!(SlubDebug::from_cmdline("quiet").is_none());
    /// ```
    pub fn from_cmdline(cmdline: &'a str) -> Option<Result<SlubDebug<'a>, SlubDebugError>> {
        let mut last = None;
        for w in cmdline.split_ascii_whitespace() {
            for key in ["slub_debug", "slab_debug"] {
                if let Some(rest) = w.strip_prefix(key) {
                    if rest.is_empty() || rest.starts_with('=') {
                        last = Some(rest);
                    }
                }
            }
        }
        last.map(SlubDebug::parse)
    }

    /// `kmem_cache_flags`: the debug flags for a cache named `name` created with
    /// `flags`: those of the first block whose list matches the name (`*` ends a
    /// prefix pattern), else the global ones.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// let d = SlubDebug::parse("=U,kmalloc-*").unwrap();
    /// assert_eq!(d.kmem_cache_flags(SlabFlags::default(), "kmalloc-rcl-8"), SlabFlags::STORE_USER);
    /// assert_eq!(d.kmem_cache_flags(SlabFlags::NO_USER_FLAGS, "kmalloc-8"), SlabFlags::NO_USER_FLAGS);
    /// ```
    pub fn kmem_cache_flags(&self, flags: SlabFlags, name: &str) -> SlabFlags {
        if flags.contains(SlabFlags::NO_USER_FLAGS) {
            return flags;
        }
        let mut local = self.global;
        if flags.contains(SlabFlags::NOLEAKTRACE) {
            local = SlabFlags(local.0 & !SlabFlags::STORE_USER.0);
        }
        let name = name.as_bytes();
        let Some(string) = self.string else {
            return flags.union(local);
        };
        let mut next = Some(string);
        while let Some(s) = next {
            let blk = parse_block(s, 0, &mut |_, _| {});
            next = blk.next;
            let Some(mut iter) = blk.slabs else {
                continue;
            };
            loop {
                let ib = iter.as_bytes();
                let mut end = ib.iter().position(|&c| c == b',').unwrap_or(ib.len());
                if let Some(n) = next {
                    // The next block starts inside this stretch: stop at its ';'.
                    let n_off = iter.len() - n.len();
                    if n_off < end {
                        end = n_off.saturating_sub(1);
                    }
                }
                let cmplen = match ib[..end].iter().position(|&c| c == b'*') {
                    Some(g) => g,
                    None => name.len().max(end),
                };
                if strn_eq(name, ib, cmplen) {
                    return flags.union(blk.flags);
                }
                if end >= ib.len() || ib[end] == b';' {
                    break;
                }
                iter = &iter[end + 1..];
            }
        }
        flags.union(local)
    }
}

/// `DEBUG_METADATA_FLAGS`: the debug flags that store data in the slab, dropped by
/// `slub_debug=O` where they would raise a cache's minimum order.
///
/// ```
/// use oxmm::slab::{debug::*, SlabFlags};
/// let d = SlubDebug::parse("=FZPUO").unwrap();
/// let l = d.cache_layout("big", SlabFlags::default(), 4096, 8, false, None).unwrap();
/// assert_eq!(l.flags, SlabFlags(DEBUG_DEFAULT_FLAGS.0 & !DEBUG_METADATA_FLAGS.0));
/// ```
pub const DEBUG_METADATA_FLAGS: SlabFlags =
    SlabFlags(SlabFlags::RED_ZONE.0 | SlabFlags::POISON.0 | SlabFlags::STORE_USER.0);

impl SlubDebug<'_> {
    /// The notice `setup_slub_debug` prints when poisoning is on globally together
    /// with memory auto-initialisation.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, hardening::MemInit};
    /// let d = SlubDebug::parse("=P").unwrap();
    /// let m = MemInit { init_on_alloc: true, init_on_free: false };
    /// assert_eq!(d.meminit_notice(&m),
    ///            Some("mem auto-init: SLAB_POISON will take precedence over init_on_alloc/init_on_free"));
    /// assert_eq!(SlubDebug::parse("=Z").unwrap().meminit_notice(&m), None);
    /// ```
    pub fn meminit_notice(&self, m: &super::hardening::MemInit) -> Option<&'static str> {
        ((m.init_on_alloc || m.init_on_free) && self.global.contains(SlabFlags::POISON)).then_some(
            "mem auto-init: SLAB_POISON will take precedence over init_on_alloc/init_on_free",
        )
    }

    /// A new cache's flags and layout (Linux: `kmem_cache_open`): `kmem_cache_flags`,
    /// `calculate_sizes`, and with `slub_debug=O` the metadata flags dropped again when
    /// they raised the minimum slab order.
    ///
    /// ```
    /// use oxmm::slab::{debug::SlubDebug, SlabFlags};
    /// let d = SlubDebug::parse("=FZPUO").unwrap();
    /// // 4096-byte objects would need order 1 with metadata: only F is kept.
    /// let l = d.cache_layout("big", SlabFlags::default(), 4096, 8, false, None).unwrap();
    /// assert_eq!((l.flags, l.size), (SlabFlags::CONSISTENCY_CHECKS, 4096));
    /// let s = d.cache_layout("small", SlabFlags::default(), 64, 8, false, None).unwrap();
    /// assert!(s.has(SlabFlags::RED_ZONE));
    /// ```
    #[doc(alias = "kmem_cache_open")]
    pub fn cache_layout(
        &self,
        name: &str,
        flags: SlabFlags,
        object_size: u32,
        align: u32,
        has_ctor: bool,
        freeptr_offset: super::layout::FreeptrOffset,
    ) -> Result<DebugLayout, super::SlabError> {
        let flags = self.kmem_cache_flags(flags, name);
        let l = DebugLayout::calculate(object_size, align, flags, has_ctor, freeptr_offset)?;
        let order = |n: u32| super::order::get_order(n as u64, 12);
        if self.disable_higher_order_debug && order(l.size) > order(object_size) {
            let flags = SlabFlags(flags.0 & !DEBUG_METADATA_FLAGS.0);
            return DebugLayout::calculate(object_size, align, flags, has_ctor, freeptr_offset);
        }
        Ok(l)
    }
}

/// Longest `slub_debug=` cache-list text kept at boot (Linux keeps a pointer into the
/// command line; there is no heap here).
///
/// ```
/// assert_eq!(oxmm::slab::debug::SLUB_DEBUG_STRING_MAX, 256);
/// ```
pub const SLUB_DEBUG_STRING_MAX: usize = 256;

/// The `slub_debug=` option as the slab allocator keeps it after boot (Linux's
/// `slub_debug`, `slub_debug_string` and `disable_higher_order_debug` globals): an owned
/// copy of [`SlubDebug`], applied by `kmem_cache_flags` to every cache created.
///
/// ```
/// use oxmm::slab::{debug::{SlubDebug, SlubDebugBoot}, SlabFlags};
/// let b = SlubDebugBoot::new(&SlubDebug::parse("=U,kmalloc-*").unwrap()).unwrap();
/// assert_eq!(b.get().kmem_cache_flags(SlabFlags::default(), "kmalloc-64"), SlabFlags::STORE_USER);
/// assert_eq!(SlubDebugBoot::default().get(), SlubDebug::default());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlubDebugBoot {
    global: SlabFlags,
    disable_higher_order_debug: bool,
    string: [u8; SLUB_DEBUG_STRING_MAX],
    /// Length of the cache-list text plus one; 0 when there is none.
    len: u16,
}

impl Default for SlubDebugBoot {
    fn default() -> Self {
        SlubDebugBoot {
            global: SlabFlags::default(),
            disable_higher_order_debug: false,
            string: [0; SLUB_DEBUG_STRING_MAX],
            len: 0,
        }
    }
}

impl SlubDebugBoot {
    /// Keep `d`; a cache-list text longer than [`SLUB_DEBUG_STRING_MAX`] bytes is
    /// refused with its length.
    ///
    /// ```
    /// use oxmm::slab::{debug::{SlubDebug, SlubDebugBoot}, SlabError};
    /// let long = format!("=U,{}", "x".repeat(300));
    /// let d = SlubDebug::parse(&long).unwrap();
    /// assert_eq!(SlubDebugBoot::new(&d), Err(SlabError::BadDebugOption(302)));
    /// ```
    pub fn new(d: &SlubDebug<'_>) -> Result<SlubDebugBoot, super::SlabError> {
        let mut b = SlubDebugBoot {
            global: d.global,
            disable_higher_order_debug: d.disable_higher_order_debug,
            ..SlubDebugBoot::default()
        };
        if let Some(s) = d.string {
            if s.len() > SLUB_DEBUG_STRING_MAX {
                return Err(super::SlabError::BadDebugOption(s.len()));
            }
            b.string[..s.len()].copy_from_slice(s.as_bytes());
            b.len = s.len() as u16 + 1;
        }
        Ok(b)
    }

    /// The option as parsed.
    ///
    /// ```
    /// use oxmm::slab::debug::{SlubDebug, SlubDebugBoot};
    /// let d = SlubDebug::parse("=FZ,dentry;P").unwrap();
    /// assert_eq!(SlubDebugBoot::new(&d).unwrap().get(), d);
    /// ```
    pub fn get(&self) -> SlubDebug<'_> {
        let string = match self.len {
            0 => None,
            // Copied from a `&str` in `new`, so valid UTF-8; "" would mean no list.
            n => core::str::from_utf8(&self.string[..n as usize - 1]).ok(),
        };
        SlubDebug {
            global: self.global,
            string,
            disable_higher_order_debug: self.disable_higher_order_debug,
        }
    }

    /// Whether any cache may get debug flags (`__slub_debug_enabled`).
    ///
    /// ```
    /// use oxmm::slab::debug::{SlubDebug, SlubDebugBoot};
    /// assert!(!SlubDebugBoot::default().enabled());
    /// assert!(SlubDebugBoot::new(&SlubDebug::parse("=U,dentry").unwrap()).unwrap().enabled());
    /// assert!(!SlubDebugBoot::new(&SlubDebug::parse("=-").unwrap()).unwrap().enabled());
    /// ```
    pub fn enabled(&self) -> bool {
        self.global.0 != 0 || self.len != 0
    }
}

/// Global debug state: the kernel's taint (`TAINT_BAD_PAGE` after a slab error, shown
/// in later `BUG` lines) and a count of reports and fixes (slub_kunit's `slab_errors`).
///
/// ```
/// use oxmm::slab::debug::DebugState;
/// let s = DebugState::new();
/// assert_eq!((s.errors(), s.tainted()), (0, false));
/// ```
#[derive(Debug, Default)]
pub struct DebugState {
    tainted: AtomicBool,
    errors: AtomicUsize,
}

impl DebugState {
    /// Untainted, no errors.
    ///
    /// ```
    /// let s = oxmm::slab::debug::DebugState::new();
    /// assert_eq!(s.errors(), 0);
    /// ```
    pub const fn new() -> DebugState {
        DebugState {
            tainted: AtomicBool::new(false),
            errors: AtomicUsize::new(0),
        }
    }
    /// Reports plus fixes so far.
    ///
    /// ```
    /// let s = oxmm::slab::debug::DebugState::new();
    /// assert_eq!(s.errors(), 0);
    /// ```
    pub fn errors(&self) -> usize {
        self.errors.load(Ordering::Relaxed)
    }
    /// Read and reset the count.
    ///
    /// ```
    /// let s = oxmm::slab::debug::DebugState::new();
    /// assert_eq!((s.take_errors(), s.errors()), (0, 0));
    /// ```
    pub fn take_errors(&self) -> usize {
        self.errors.swap(0, Ordering::Relaxed)
    }
    /// Whether `TAINT_BAD_PAGE` is set.
    ///
    /// ```
    /// assert!(!oxmm::slab::debug::DebugState::new().tainted());
    /// ```
    pub fn tainted(&self) -> bool {
        self.tainted.load(Ordering::Relaxed)
    }
    fn count(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
    /// `slab_add_kunit_errors` for a report made outside the checks (a validation
    /// count mismatch).
    pub(crate) fn add_error(&self) {
        self.count();
    }
    fn taint(&self) {
        self.tainted.store(true, Ordering::Relaxed);
    }
}

/// `print_tainted()` for the one taint slab errors add: `Not tainted` or the 19
/// v6.12 taint columns with `G` and `B` set.
///
/// ```
/// use oxmm::slab::debug::Tainted;
/// assert_eq!(Tainted(false).to_string(), "Not tainted");
/// assert!(Tainted(true).to_string().starts_with("Tainted: G    B"));
/// ```
#[doc(alias = "print_tainted")]
pub struct Tainted(pub bool);
impl fmt::Display for Tainted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 {
            f.write_str("Tainted: G    B             ")
        } else {
            f.write_str("Not tainted")
        }
    }
}

/// `TRACK_ALLOC` / `TRACK_FREE`.
///
/// ```
/// assert_eq!(oxmm::slab::debug::TrackItem::Free as u32, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackItem {
    /// Where the object was last allocated.
    Alloc = 0,
    /// Where it was last freed.
    Free = 1,
}

/// `struct track` (with the stack-depot handle; 32 bytes).
///
/// ```
/// use oxmm::slab::debug::Track;
/// let t = Track { addr: 0xffffffff81234567, handle: 0, cpu: 1, pid: 42, when: 1000 };
/// assert_eq!(Track::from_bytes(&t.to_bytes()), t);
/// ```
#[doc(alias = "track")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Track {
    /// Caller address (`_RET_IP_`).
    pub addr: u64,
    /// Stack-depot handle (0: no stack recorded).
    pub handle: u32,
    /// CPU.
    pub cpu: u32,
    /// Task pid.
    pub pid: i32,
    /// `jiffies` at the time.
    pub when: u64,
}

impl Track {
    /// The 32 bytes as stored after the object.
    ///
    /// ```
    /// use oxmm::slab::debug::Track;
    /// let b = Track { addr: 1, handle: 0, cpu: 2, pid: 3, when: 4 }.to_bytes();
    /// assert_eq!((b[0], b[12], b[16], b[24]), (1, 2, 3, 4));
    /// ```
    pub fn to_bytes(&self) -> [u8; TRACK_SIZE as usize] {
        let mut b = [0u8; TRACK_SIZE as usize];
        b[0..8].copy_from_slice(&self.addr.to_ne_bytes());
        b[8..12].copy_from_slice(&self.handle.to_ne_bytes());
        b[12..16].copy_from_slice(&self.cpu.to_ne_bytes());
        b[16..20].copy_from_slice(&self.pid.to_ne_bytes());
        b[24..32].copy_from_slice(&self.when.to_ne_bytes());
        b
    }
    /// Decode 32 stored bytes.
    ///
    /// ```
    /// use oxmm::slab::debug::Track;
    /// assert_eq!(Track::from_bytes(&[0; 32]), Track::default());
    /// ```
    pub fn from_bytes(b: &[u8; TRACK_SIZE as usize]) -> Track {
        let w8 = |o: usize| {
            u64::from_ne_bytes([
                b[o],
                b[o + 1],
                b[o + 2],
                b[o + 3],
                b[o + 4],
                b[o + 5],
                b[o + 6],
                b[o + 7],
            ])
        };
        let w4 = |o: usize| [b[o], b[o + 1], b[o + 2], b[o + 3]];
        Track {
            addr: w8(0),
            handle: u32::from_ne_bytes(w4(8)),
            cpu: u32::from_ne_bytes(w4(12)),
            pid: i32::from_ne_bytes(w4(16)),
            when: w8(24),
        }
    }
}

/// A cache as the debug code sees it.
///
/// ```
/// use oxmm::slab::{debug::DebugCache, hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
/// let c = DebugCache {
///     name: "kmalloc-64",
///     layout: DebugLayout::calculate(64, 64, SlabFlags::RED_ZONE, false, None).unwrap(),
///     hardening: FreelistHardening::DISABLED,
/// };
/// assert_eq!(c.layout.red_left_pad, 64);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DebugCache<'a> {
    /// `s->name`.
    pub name: &'a str,
    /// The object layout with its debug flags.
    pub layout: DebugLayout,
    /// `s->random`: free-pointer encoding.
    pub hardening: FreelistHardening,
}

/// One slab: its memory and `struct slab` counters.
///
/// ```
/// use oxmm::slab::debug::Slab;
/// let mut mem = [0u8; 4096];
/// let base = mem.as_ptr() as usize;
/// let s = Slab::new(&mut mem, base, 64);
/// assert_eq!((s.objects, s.inuse, s.freelist), (64, 0, 0));
/// ```
#[derive(Debug)]
pub struct Slab<'m> {
    /// `PAGE_SIZE << order` bytes.
    pub mem: &'m mut [u8],
    /// `slab_address`: the virtual address of `mem[0]`.
    pub base: usize,
    /// The `struct slab` address printed in reports (default: `base`).
    pub page: usize,
    /// Page flags printed in reports.
    pub page_flags: u64,
    /// `slab->objects`.
    pub objects: u32,
    /// `slab->inuse`.
    pub inuse: u32,
    /// `slab->freelist` (decoded; 0 = NULL).
    pub freelist: usize,
    /// `slab->frozen`: for a debug slab, isolated after a failed consistency check.
    pub frozen: bool,
    /// `folio_test_slab`: the memory is still a slab.
    pub is_slab: bool,
    /// `slab->slab_cache == s`.
    pub cache_matches: bool,
}

impl<'m> Slab<'m> {
    /// A slab of `objects` objects at `base`, no free list yet, owned by the cache.
    ///
    /// ```
    /// let mut mem = [0u8; 128];
    /// let s = oxmm::slab::debug::Slab::new(&mut mem, 0x2000, 2);
    /// assert!(s.is_slab && s.cache_matches && !s.frozen);
    /// ```
    pub fn new(mem: &'m mut [u8], base: usize, objects: u32) -> Slab<'m> {
        Slab {
            mem,
            base,
            page: base,
            page_flags: 0,
            objects,
            inuse: 0,
            freelist: 0,
            frozen: false,
            is_slab: true,
            cache_matches: true,
        }
    }

    fn idx(&self, addr: usize) -> Option<usize> {
        let o = addr.checked_sub(self.base)?;
        (o < self.mem.len()).then_some(o)
    }

    /// The byte at virtual address `addr`, if inside the slab.
    ///
    /// ```
    /// let mut mem = [7u8; 64];
    /// let s = oxmm::slab::debug::Slab::new(&mut mem, 0x1000, 1);
    /// assert_eq!((s.byte(0x1003), s.byte(0x1040)), (Some(7), None));
    /// ```
    pub fn byte(&self, addr: usize) -> Option<u8> {
        self.idx(addr).map(|o| self.mem[o])
    }

    /// The byte at virtual address `addr` to write, if inside the slab.
    ///
    /// ```
    /// let mut mem = [0u8; 64];
    /// let mut s = oxmm::slab::debug::Slab::new(&mut mem, 0x1000, 1);
    /// *s.byte_mut(0x1001).unwrap() = 9;
    /// assert_eq!(s.byte(0x1001), Some(9));
    /// ```
    pub fn byte_mut(&mut self, addr: usize) -> Option<&mut u8> {
        let o = self.idx(addr)?;
        self.mem.get_mut(o)
    }

    /// Bytes `[addr, addr + len)` clipped to the slab.
    fn range(&self, addr: usize, len: usize) -> &[u8] {
        match self.idx(addr) {
            Some(o) => &self.mem[o..(o + len).min(self.mem.len())],
            None => &[],
        }
    }

    fn fill(&mut self, addr: usize, len: usize, val: u8) {
        if let Some(o) = self.idx(addr) {
            let e = (o + len).min(self.mem.len());
            self.mem[o..e].fill(val);
        }
    }
}

/// `%pS` of a code address, through the platform's symbolizer.
struct Symbol<'a, P: Platform + ?Sized>(&'a P, usize);
impl<P: Platform + ?Sized> fmt::Display for Symbol<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.symbolize(self.1, f)
    }
}

/// Fixed-buffer line formatter (no heap); overlong output is cut.
struct Line {
    buf: [u8; 160],
    len: usize,
}
impl Line {
    fn new() -> Line {
        Line {
            buf: [0; 160],
            len: 0,
        }
    }
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}
impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// `hex_dump_to_buffer(…, rowsize 16, groupsize 1, ascii)`: one row of up to 16 bytes.
///
/// ```
/// use oxmm::slab::debug::hex_dump_row;
/// let mut s = String::new();
/// hex_dump_row(&[0x6b, 0x6b, 0x41, 0xa5], &mut s).unwrap();
/// assert_eq!(s, format!("6b 6b 41 a5{}kkA.", " ".repeat(49 - 11)));
/// ```
#[doc(alias = "hex_dump_to_buffer")]
pub fn hex_dump_row(row: &[u8], out: &mut dyn Write) -> fmt::Result {
    let row = &row[..row.len().min(16)];
    let mut col = 0;
    for (i, b) in row.iter().enumerate() {
        if i > 0 {
            out.write_char(' ')?;
            col += 1;
        }
        write!(out, "{b:02x}")?;
        col += 2;
    }
    // The ASCII column starts at rowsize * 2 + rowsize / groupsize + 1.
    while col < 49 {
        out.write_char(' ')?;
        col += 1;
    }
    for &b in row {
        out.write_char(if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        })?;
    }
    Ok(())
}

/// A constructor run on each new object's `object_size` bytes.
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// use oxmm::slab::debug::*;
/// use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
/// let cache = DebugCache {
///     name: "c",
///     layout: DebugLayout::calculate(64, 8, SlabFlags::RED_ZONE, true, None).unwrap(),
///     hardening: FreelistHardening::new(1),
/// };
/// # let state = DebugState::new();
/// # let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
/// # let mut mem = vec![0u8; 4096];
/// # let base = mem.as_ptr() as usize;
/// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
/// let mut n = 0;
/// let ctor: ObjectCtor<'_> = &mut |obj: &mut [u8]| { obj.fill(0x42); n += 1; };
/// d.new_slab(&mut slab, Some(ctor), None);
/// assert_eq!(slab.byte(d.object_addr(&slab, 0)), Some(0x42));
/// assert_eq!(n, slab.objects);
/// ```
pub type ObjectCtor<'c> = &'c mut dyn FnMut(&mut [u8]);

/// Runs the debug checks of one cache, reporting through a platform.
///
/// ```
/// # struct P;
/// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
/// # // buffer, as large as the machine and used by nothing else.
/// # unsafe impl oxmm::platform::Platform for P {
/// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
/// #     fn cpu_id(&self) -> usize { 0 }
/// #     fn nr_cpus(&self) -> usize { 1 }
/// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
/// # }
/// use oxmm::slab::debug::*;
/// use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
/// let cache = DebugCache {
///     name: "test",
///     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
///     hardening: FreelistHardening::new(0x5eed),
/// };
/// let state = DebugState::new();
/// let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
/// let mut mem = vec![0u8; 4096];
/// let base = mem.as_ptr() as usize;
/// let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
/// d.new_slab(&mut slab, None, None);
/// let obj = d.alloc(&mut slab, 64, 0x1234).unwrap();
/// *slab.byte_mut(obj + 64).unwrap() = 0; // overrun into the right red zone
/// assert!(!d.free(&mut slab, obj, 0x5678)); // reported, repaired, not freed
/// assert_eq!(state.errors(), 3); // BUG + FIX + "not freed"
/// assert!(d.free(&mut slab, obj, 0x5678));
/// ```
pub struct SlubDebugger<'a, P: Platform + ?Sized> {
    /// The cache.
    pub cache: &'a DebugCache<'a>,
    /// Where reports go (`printk` at `KERN_ERR`) and cpu/pid/jiffies come from.
    pub platform: &'a P,
    /// Taint and error count.
    pub state: &'a DebugState,
}

impl<P: Platform + ?Sized> SlubDebugger<'_, P> {
    fn l(&self) -> &DebugLayout {
        &self.cache.layout
    }

    fn has(&self, f: SlabFlags) -> bool {
        self.cache.layout.has(f)
    }

    fn err(&self, args: fmt::Arguments<'_>) {
        self.platform.printk(Level::Err, args);
    }

    /// `get_freepointer`; an unreadable word (outside the slab) reads as an invalid
    /// pointer, never as NULL.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let first = slab.freelist;
    /// assert_eq!(d.get_freepointer(&slab, first), first + cache.layout.size as usize);
    /// ```
    pub fn get_freepointer(&self, slab: &Slab<'_>, object: usize) -> usize {
        super::hardening::get_freepointer(
            slab.mem,
            slab.base,
            &self.cache.hardening,
            object,
            self.l().offset,
        )
        .unwrap_or(usize::MAX)
    }

    /// `set_freepointer`; a write outside the slab or a self-pointer is refused.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let o = d.object_addr(&slab, 1);
    /// assert!(d.set_freepointer(&mut slab, o, 0));
    /// assert_eq!(d.get_freepointer(&slab, o), 0);
    /// ```
    pub fn set_freepointer(&self, slab: &mut Slab<'_>, object: usize, fp: usize) -> bool {
        super::hardening::set_freepointer(
            slab.mem,
            slab.base,
            &self.cache.hardening,
            object,
            self.l().offset,
            fp,
        )
        .is_ok()
    }

    /// `check_valid_pointer`: NULL, or the start of an object of this slab.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let o = d.object_addr(&slab, 2);
    /// assert!(d.check_valid_pointer(&slab, o) && d.check_valid_pointer(&slab, 0));
    /// assert!(!d.check_valid_pointer(&slab, o + 1));
    /// ```
    pub fn check_valid_pointer(&self, slab: &Slab<'_>, object: usize) -> bool {
        if object == 0 {
            return true;
        }
        let l = self.l();
        let Some(slot) = object.checked_sub(l.red_left_pad as usize) else {
            return false;
        };
        let end = slab.base as u64 + slab.objects as u64 * l.size as u64;
        slot >= slab.base && (slot as u64) < end && (slot - slab.base) % l.size as usize == 0
    }

    /// Address of object `i` (`fixup_red_left(base + i * size)`).
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// assert_eq!(d.object_addr(&slab, 0), base + 8); // after the left red zone
    /// ```
    pub fn object_addr(&self, slab: &Slab<'_>, i: u32) -> usize {
        slab.base + i as usize * self.l().size as usize + self.l().red_left_pad as usize
    }

    fn object_index(&self, slab: &Slab<'_>, object: usize) -> usize {
        (object - self.l().red_left_pad as usize - slab.base) / self.l().size as usize
    }

    /// `get_orig_size`: the requested size of a kmalloc object (else `object_size`).
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 40, 0).unwrap();
    /// assert_eq!(d.get_orig_size(&slab, p), 64); // not a kmalloc cache
    /// ```
    pub fn get_orig_size(&self, slab: &Slab<'_>, object: usize) -> u32 {
        let l = self.l();
        if !l.orig_size_tracked() {
            return l.object_size;
        }
        let b = slab.range(object + l.orig_size_offset() as usize, 4);
        if b.len() < 4 {
            return l.object_size;
        }
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }

    /// `set_orig_size`.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 40, 0).unwrap();
    /// d.set_orig_size(&mut slab, p, 10); // only kmalloc caches keep it
    /// assert_eq!(d.get_orig_size(&slab, p), 64);
    /// ```
    pub fn set_orig_size(&self, slab: &mut Slab<'_>, object: usize, orig_size: u32) {
        let l = *self.l();
        if !l.orig_size_tracked() {
            return;
        }
        if let Some(o) = slab.idx(object + l.orig_size_offset() as usize) {
            if let Some(w) = slab.mem.get_mut(o..o + 4) {
                w.copy_from_slice(&orig_size.to_ne_bytes());
            }
        }
    }

    /// `get_track`: the stored track `item` of `object`.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 64, 0xabc).unwrap();
    /// assert_eq!(d.get_track(&slab, p, TrackItem::Alloc).addr, 0xabc);
    /// ```
    pub fn get_track(&self, slab: &Slab<'_>, object: usize, item: TrackItem) -> Track {
        let b = slab.range(
            object + self.l().track_offset(item as u32) as usize,
            TRACK_SIZE as usize,
        );
        let mut t = [0u8; TRACK_SIZE as usize];
        t[..b.len()].copy_from_slice(b);
        Track::from_bytes(&t)
    }

    fn put_track(&self, slab: &mut Slab<'_>, object: usize, item: TrackItem, t: &Track) {
        if let Some(o) = slab.idx(object + self.l().track_offset(item as u32) as usize) {
            if let Some(w) = slab.mem.get_mut(o..o + TRACK_SIZE as usize) {
                w.copy_from_slice(&t.to_bytes());
            }
        }
    }

    /// `set_track`: record caller `addr`, CPU, pid and jiffies.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.object_addr(&slab, 0);
    /// d.set_track(&mut slab, p, TrackItem::Free, 0x42);
    /// assert_eq!(d.get_track(&slab, p, TrackItem::Free).addr, 0x42);
    /// ```
    pub fn set_track(&self, slab: &mut Slab<'_>, object: usize, item: TrackItem, addr: u64) {
        // set_track_prepare: the stack, and the true return address when known.
        let saved = self.platform.stack_depot_save();
        let t = Track {
            addr: if saved.caller != 0 {
                saved.caller as u64
            } else {
                addr
            },
            handle: saved.handle,
            cpu: self.platform.cpu_id() as u32,
            pid: self.platform.current_pid(),
            when: self.platform.jiffies(),
        };
        self.put_track(slab, object, item, &t);
    }

    /// `init_tracking`: clear both tracks.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.object_addr(&slab, 0);
    /// d.set_track(&mut slab, p, TrackItem::Free, 0x42);
    /// d.init_tracking(&mut slab, p);
    /// assert_eq!(d.get_track(&slab, p, TrackItem::Free), Track::default());
    /// ```
    pub fn init_tracking(&self, slab: &mut Slab<'_>, object: usize) {
        if self.has(SlabFlags::STORE_USER) {
            slab.fill(
                object + self.l().track_offset(0) as usize,
                2 * TRACK_SIZE as usize,
                0,
            );
        }
    }

    fn print_track(&self, what: &str, t: &Track, now: u64) {
        if t.addr == 0 {
            return;
        }
        self.err(format_args!(
            "{what} in {} age={} cpu={} pid={}",
            Symbol(self.platform, t.addr as usize),
            now.wrapping_sub(t.when),
            t.cpu,
            t.pid
        ));
        if t.handle == 0 {
            self.err(format_args!("object allocation/free stack trace missing"));
        } else {
            self.platform.stack_depot_print(t.handle);
        }
    }

    /// `print_tracking`: `Allocated in …` and `Freed in …`.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 64, 0xabc).unwrap();
    /// d.print_tracking(&slab, p);
    /// assert_eq!(plat.0.borrow()[0], "Allocated in 0x0000000000000abc age=0 cpu=0 pid=0");
    /// ```
    pub fn print_tracking(&self, slab: &Slab<'_>, object: usize) {
        if !self.has(SlabFlags::STORE_USER) {
            return;
        }
        let now = self.platform.jiffies();
        self.print_track(
            "Allocated",
            &self.get_track(slab, object, TrackItem::Alloc),
            now,
        );
        self.print_track("Freed", &self.get_track(slab, object, TrackItem::Free), now);
    }

    /// `print_section`: a hex dump, 16 bytes a line, with addresses and ASCII.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// d.print_section(Level::Err, "Object ", &slab, base + 8, 20);
    /// assert_eq!(plat.0.borrow().len(), 2);
    /// assert!(plat.0.borrow()[1].starts_with(&format!("Object {:016x}: 6b 6b 6b 6b  ", base + 24)));
    /// ```
    pub fn print_section(
        &self,
        level: Level,
        text: &str,
        slab: &Slab<'_>,
        addr: usize,
        len: usize,
    ) {
        let bytes = slab.range(addr, len);
        for (i, row) in bytes.chunks(16).enumerate() {
            let mut line = Line::new();
            let _ = hex_dump_row(row, &mut line);
            self.platform.printk(
                level,
                format_args!("{text}{:016x}: {}", addr + i * 16, line.as_str()),
            );
        }
    }

    fn print_slab_info(&self, slab: &Slab<'_>) {
        self.err(format_args!(
            "Slab 0x{:016x} objects={} used={} fp=0x{:016x} flags={}",
            slab.page,
            slab.objects,
            slab.inuse,
            slab.freelist,
            crate::page::PageFlags(slab.page_flags)
        ));
    }

    /// `dump_stack()`, which ends every report.
    fn dump_stack(&self) {
        self.platform.dump_stack(self.state.tainted());
    }

    fn slab_bug(&self, args: fmt::Arguments<'_>) {
        self.err(format_args!(
            "============================================================================="
        ));
        self.err(format_args!(
            "BUG {} ({}): {}",
            self.cache.name,
            Tainted(self.state.tainted()),
            args
        ));
        self.err(format_args!(
            "-----------------------------------------------------------------------------"
        ));
        self.err(format_args!(""));
    }

    fn slab_fix(&self, args: fmt::Arguments<'_>) {
        self.state.count();
        self.err(format_args!("FIX {}: {}", self.cache.name, args));
    }

    /// `print_trailer`: tracking, slab info, the object and its surroundings.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// d.print_trailer(&slab, d.object_addr(&slab, 0));
    /// assert!(plat.0.borrow().iter().any(|l| l.starts_with("Object 0x")));
    /// ```
    pub fn print_trailer(&self, slab: &Slab<'_>, p: usize) {
        let l = *self.l();
        self.print_tracking(slab, p);
        self.print_slab_info(slab);
        self.err(format_args!(
            "Object 0x{:016x} @offset={} fp=0x{:016x}",
            p,
            p.wrapping_sub(slab.base),
            self.get_freepointer(slab, p)
        ));
        self.err(format_args!(""));
        if l.has(SlabFlags::RED_ZONE) {
            let rl = l.red_left_pad as usize;
            self.print_section(Level::Err, "Redzone  ", slab, p.wrapping_sub(rl), rl);
        } else if p > slab.base + 16 {
            self.print_section(Level::Err, "Bytes b4 ", slab, p.wrapping_sub(16), 16);
        }
        let page = 4096usize;
        self.print_section(
            Level::Err,
            "Object   ",
            slab,
            p,
            (l.object_size as usize).min(page),
        );
        if l.has(SlabFlags::RED_ZONE) {
            self.print_section(
                Level::Err,
                "Redzone  ",
                slab,
                p + l.object_size as usize,
                (l.inuse - l.object_size) as usize,
            );
        }
        let off = l.metadata_end();
        if off != l.size_from_object() {
            self.print_section(
                Level::Err,
                "Padding  ",
                slab,
                p + off as usize,
                (l.size_from_object() - off) as usize,
            );
        }
        self.dump_stack();
    }

    /// `object_err`: a `BUG` about one object, with its trailer; taints.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// d.object_err(&slab, d.object_addr(&slab, 0), "Something");
    /// assert_eq!(plat.0.borrow()[1], "BUG c (Not tainted): Something");
    /// assert!(state.tainted());
    /// ```
    pub fn object_err(&self, slab: &Slab<'_>, object: usize, reason: &str) {
        self.state.count();
        self.slab_bug(format_args!("{reason}"));
        self.print_trailer(slab, object);
        self.state.taint();
    }

    /// `slab_err`: a `BUG` about the slab; taints.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// d.slab_err(&slab, format_args!("objects {} > max {}", 30, 25));
    /// assert_eq!(plat.0.borrow()[1], "BUG c (Not tainted): objects 30 > max 25");
    /// assert_eq!(state.errors(), 1);
    /// ```
    pub fn slab_err(&self, slab: &Slab<'_>, args: fmt::Arguments<'_>) {
        self.state.count();
        self.slab_bug(args);
        self.print_slab_info(slab);
        self.dump_stack();
        self.state.taint();
    }

    /// `init_object`: left red zone, poisoned body (up to the request for kmalloc
    /// objects being allocated), right red zone up to `inuse`.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.object_addr(&slab, 0);
    /// d.init_object(&mut slab, p, SLUB_RED_ACTIVE);
    /// assert_eq!(slab.byte(p - 1), Some(SLUB_RED_ACTIVE));
    /// assert_eq!((slab.byte(p), slab.byte(p + 63)), (Some(POISON_FREE), Some(POISON_END)));
    /// ```
    pub fn init_object(&self, slab: &mut Slab<'_>, object: usize, val: u8) {
        let l = *self.l();
        let mut poison_size = l.object_size as usize;
        if l.has(SlabFlags::RED_ZONE) {
            slab.fill(
                object.wrapping_sub(l.red_left_pad as usize),
                l.red_left_pad as usize,
                val,
            );
            if l.orig_size_tracked() && val == SLUB_RED_ACTIVE {
                poison_size = (self.get_orig_size(slab, object) as usize).min(poison_size);
            }
        }
        if l.has(SlabFlags::OBJECT_POISON) && poison_size > 0 {
            slab.fill(object, poison_size - 1, POISON_FREE);
            slab.fill(object + poison_size - 1, 1, POISON_END);
        }
        if l.has(SlabFlags::RED_ZONE) {
            slab.fill(object + poison_size, l.inuse as usize - poison_size, val);
        }
    }

    /// `check_bytes_and_report`: `bytes` bytes at `start` must all be `value`; report
    /// the first wrong stretch and restore it.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.object_addr(&slab, 0);
    /// *slab.byte_mut(p + 5).unwrap() = 0;
    /// assert!(!d.check_bytes_and_report(&mut slab, "Poison", p, POISON_FREE, 63));
    /// assert_eq!(slab.byte(p + 5), Some(POISON_FREE)); // restored
    /// ```
    pub fn check_bytes_and_report(
        &self,
        slab: &mut Slab<'_>,
        what: &str,
        start: usize,
        value: u8,
        bytes: usize,
    ) -> bool {
        let region = slab.range(start, bytes);
        let Some(fi) = region.iter().position(|&b| b != value) else {
            return true;
        };
        let mut ei = region.len();
        while ei > fi && region[ei - 1] == value {
            ei -= 1;
        }
        let (fault, end, first) = (start + fi, start + ei, region[fi]);
        self.state.count();
        self.slab_bug(format_args!("{what} overwritten"));
        self.err(format_args!(
            "0x{:016x}-0x{:016x} @offset={}. First byte 0x{:x} instead of 0x{:x}",
            fault,
            end - 1,
            fault - slab.base,
            first,
            value
        ));
        self.restore_bytes(slab, what, value, fault, end);
        false
    }

    fn restore_bytes(&self, slab: &mut Slab<'_>, what: &str, data: u8, from: usize, to: usize) {
        self.slab_fix(format_args!(
            "Restoring {what} 0x{:016x}-0x{:016x}=0x{:x}",
            from,
            to - 1,
            data
        ));
        slab.fill(from, to - from, data);
    }

    /// `check_pad_bytes`: the padding after the metadata must be `POISON_INUSE`.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.object_addr(&slab, 0);
    /// assert!(d.check_pad_bytes(&mut slab, p));
    /// *slab.byte_mut(p + 150).unwrap() = 1;
    /// assert!(!d.check_pad_bytes(&mut slab, p));
    /// ```
    pub fn check_pad_bytes(&self, slab: &mut Slab<'_>, p: usize) -> bool {
        let l = *self.l();
        let off = l.metadata_end();
        if l.size_from_object() == off {
            return true;
        }
        self.check_bytes_and_report(
            slab,
            "Object padding",
            p + off as usize,
            POISON_INUSE,
            (l.size_from_object() - off) as usize,
        )
    }

    /// `slab_pad_check`: the slab's tail after its last object must be `POISON_INUSE`.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// *slab.byte_mut(base + 4095).unwrap() = 0;
    /// d.slab_pad_check(&mut slab);
    /// assert_eq!(slab.byte(base + 4095), Some(POISON_INUSE));
    /// ```
    pub fn slab_pad_check(&self, slab: &mut Slab<'_>) {
        if !self.has(SlabFlags::POISON) {
            return;
        }
        let length = slab.mem.len();
        let remainder = length % self.l().size as usize;
        if remainder == 0 {
            return;
        }
        let pad = length - remainder;
        let region = &slab.mem[pad..];
        let Some(fi) = region.iter().position(|&b| b != POISON_INUSE) else {
            return;
        };
        let mut ei = region.len();
        while ei > fi && region[ei - 1] == POISON_INUSE {
            ei -= 1;
        }
        let (fault, end) = (slab.base + pad + fi, slab.base + pad + ei);
        self.slab_err(
            slab,
            format_args!(
                "Padding overwritten. 0x{:016x}-0x{:016x} @offset={}",
                fault,
                end - 1,
                fault - slab.base
            ),
        );
        self.print_section(Level::Err, "Padding ", slab, slab.base + pad, remainder);
        self.restore_bytes(slab, "slab padding", POISON_INUSE, fault, end);
    }

    /// `check_object`: red zones, poison, padding and the free pointer of `object`,
    /// expected free (`val` = [`SLUB_RED_INACTIVE`]) or allocated
    /// ([`SLUB_RED_ACTIVE`]). Problems are reported and repaired; a corrupt free
    /// pointer is cut (the rest of the free list is lost, as in Linux).
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.object_addr(&slab, 0);
    /// assert!(d.check_object(&mut slab, p, SLUB_RED_INACTIVE));
    /// *slab.byte_mut(p - 1).unwrap() = 0;
    /// assert!(!d.check_object(&mut slab, p, SLUB_RED_INACTIVE));
    /// assert!(d.check_object(&mut slab, p, SLUB_RED_INACTIVE)); // repaired
    /// ```
    pub fn check_object(&self, slab: &mut Slab<'_>, object: usize, val: u8) -> bool {
        let l = *self.l();
        let p = object;
        let endobject = object + l.object_size as usize;
        let mut ret = true;
        if l.has(SlabFlags::RED_ZONE) {
            let rl = l.red_left_pad as usize;
            ret &=
                self.check_bytes_and_report(slab, "Left Redzone", object.wrapping_sub(rl), val, rl);
            ret &= self.check_bytes_and_report(
                slab,
                "Right Redzone",
                endobject,
                val,
                (l.inuse - l.object_size) as usize,
            );
            if l.orig_size_tracked() && val == SLUB_RED_ACTIVE {
                let orig = self.get_orig_size(slab, object);
                if l.object_size > orig {
                    ret &= self.check_bytes_and_report(
                        slab,
                        "kmalloc Redzone",
                        p + orig as usize,
                        val,
                        (l.object_size - orig) as usize,
                    );
                }
            }
        } else if l.has(SlabFlags::POISON) && l.object_size < l.inuse {
            ret &= self.check_bytes_and_report(
                slab,
                "Alignment padding",
                endobject,
                POISON_INUSE,
                (l.inuse - l.object_size) as usize,
            );
        }
        if l.has(SlabFlags::POISON) {
            if val != SLUB_RED_ACTIVE && l.has(SlabFlags::OBJECT_POISON) {
                if l.object_size > 1 {
                    ret &= self.check_bytes_and_report(
                        slab,
                        "Poison",
                        p,
                        POISON_FREE,
                        l.object_size as usize - 1,
                    );
                }
                ret &= self.check_bytes_and_report(
                    slab,
                    "End Poison",
                    p + l.object_size as usize - 1,
                    POISON_END,
                    1,
                );
            }
            ret &= self.check_pad_bytes(slab, p);
        }
        // An allocated object's free pointer is its data unless it is stored outside.
        if (l.freeptr_outside_object() || val != SLUB_RED_ACTIVE)
            && !self.check_valid_pointer(slab, self.get_freepointer(slab, p))
        {
            self.object_err(slab, p, "Freepointer corrupt");
            self.set_freepointer(slab, p, 0);
            ret = false;
        }
        if !ret {
            self.print_trailer(slab, object);
            self.state.taint();
        }
        ret
    }

    /// `check_slab`: the slab is a slab, its counts fit its order, it is not isolated;
    /// then `slab_pad_check`.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// assert!(d.check_slab(&mut slab));
    /// slab.frozen = true;
    /// assert!(!d.check_slab(&mut slab));
    /// ```
    pub fn check_slab(&self, slab: &mut Slab<'_>) -> bool {
        if !slab.is_slab {
            self.slab_err(slab, format_args!("Not a valid slab page"));
            return false;
        }
        let maxobj = (slab.mem.len() / self.l().size as usize) as u32;
        if slab.objects > maxobj {
            let o = slab.objects;
            self.slab_err(slab, format_args!("objects {o} > max {maxobj}"));
            return false;
        }
        if slab.inuse > slab.objects {
            let (i, o) = (slab.inuse, slab.objects);
            self.slab_err(slab, format_args!("inuse {i} > max {o}"));
            return false;
        }
        if slab.frozen {
            self.slab_err(
                slab,
                format_args!("Slab disabled since SLUB metadata consistency check failed"),
            );
            return false;
        }
        self.slab_pad_check(slab);
        true
    }

    /// `on_freelist`: whether `search` (0: nobody) is free in this slab, repairing a
    /// corrupt chain and wrong counters on the way.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = slab.freelist;
    /// assert!(d.on_freelist(&mut slab, p));
    /// assert!(d.on_freelist(&mut slab, 0));
    /// assert_eq!(state.errors(), 0);
    /// ```
    pub fn on_freelist(&self, slab: &mut Slab<'_>, search: usize) -> bool {
        let mut nr = 0u32;
        let mut fp = slab.freelist;
        let mut object = 0usize;
        while fp != 0 && nr <= slab.objects {
            if fp == search {
                return true;
            }
            if !self.check_valid_pointer(slab, fp) {
                if object != 0 {
                    self.object_err(slab, object, "Freechain corrupt");
                    self.set_freepointer(slab, object, 0);
                } else {
                    self.slab_err(slab, format_args!("Freepointer corrupt"));
                    slab.freelist = 0;
                    slab.inuse = slab.objects;
                    self.slab_fix(format_args!("Freelist cleared"));
                    return false;
                }
                break;
            }
            object = fp;
            fp = self.get_freepointer(slab, object);
            nr += 1;
        }
        let max_objects = ((slab.mem.len() / self.l().size as usize) as u32).min(MAX_OBJS_PER_PAGE);
        if slab.objects != max_objects {
            let o = slab.objects;
            self.slab_err(
                slab,
                format_args!("Wrong number of objects. Found {o} but should be {max_objects}"),
            );
            slab.objects = max_objects;
            self.slab_fix(format_args!("Number of objects adjusted"));
        }
        if slab.inuse != slab.objects.saturating_sub(nr) {
            let (i, c) = (slab.inuse, slab.objects.saturating_sub(nr));
            self.slab_err(
                slab,
                format_args!("Wrong object count. Counter is {i} but counted were {c}"),
            );
            slab.inuse = c;
            self.slab_fix(format_args!("Object count adjusted"));
        }
        search == 0
    }

    fn trace(&self, slab: &Slab<'_>, object: usize, alloc: bool) {
        if self.has(SlabFlags::TRACE) {
            self.platform.printk(
                Level::Info,
                format_args!(
                    "TRACE {} {} 0x{:016x} inuse={} fp=0x{:016x}",
                    self.cache.name,
                    if alloc { "alloc" } else { "free" },
                    object,
                    slab.inuse,
                    slab.freelist
                ),
            );
            if !alloc {
                self.print_section(
                    Level::Info,
                    "Object ",
                    slab,
                    object,
                    self.l().object_size as usize,
                );
            }
        }
    }

    /// `setup_object_debug`: a new object gets inactive red zones, poison and empty
    /// tracks.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.object_addr(&slab, 0);
    /// *slab.byte_mut(p).unwrap() = 1;
    /// d.setup_object_debug(&mut slab, p);
    /// assert_eq!(slab.byte(p), Some(POISON_FREE));
    /// ```
    pub fn setup_object_debug(&self, slab: &mut Slab<'_>, object: usize) {
        let f =
            SlabFlags(SlabFlags::STORE_USER.0 | SlabFlags::RED_ZONE.0 | SlabFlags::OBJECT_POISON.0);
        if self.l().flags.0 & f.0 == 0 {
            return;
        }
        self.init_object(slab, object, SLUB_RED_INACTIVE);
        self.init_tracking(slab, object);
    }

    /// `allocate_slab` after the pages are had: poison the whole slab
    /// (`setup_slab_debug`), set up every object (`setup_object`, running `ctor` on
    /// its `object_size` bytes) and link the free list — in address order, or in the
    /// order of `shuffle` (`shuffle_freelist`: the cache's random sequence and a
    /// random start).
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// assert_eq!((slab.inuse, slab.freelist), (0, d.object_addr(&slab, 0)));
    /// assert_eq!(slab.byte(base + 4095), Some(POISON_INUSE)); // the tail
    /// ```
    #[doc(alias = "allocate_slab")]
    #[doc(alias = "shuffle_freelist")]
    pub fn new_slab(
        &self,
        slab: &mut Slab<'_>,
        mut ctor: Option<ObjectCtor<'_>>,
        shuffle: Option<(&[u32], usize)>,
    ) {
        let l = *self.l();
        slab.inuse = 0;
        slab.frozen = false;
        slab.freelist = 0;
        if l.has(SlabFlags::POISON) {
            slab.mem.fill(POISON_INUSE);
        }
        let objects = slab.objects;
        let mut setup = |s: &mut Slab<'_>, obj: usize| {
            self.setup_object_debug(s, obj);
            if let Some(c) = ctor.as_mut() {
                if let Some(o) = s.idx(obj) {
                    let e = (o + l.object_size as usize).min(s.mem.len());
                    c(&mut s.mem[o..e]);
                }
            }
        };
        let first = self.object_addr(slab, 0);
        let mut cur = 0usize;
        let link = |s: &mut Slab<'_>, next: usize, cur: &mut usize| {
            if *cur == 0 {
                s.freelist = next;
            } else {
                self.set_freepointer(s, *cur, next);
            }
            *cur = next;
        };
        match shuffle.and_then(|(seq, start)| ShuffledSlots::new(seq, start, objects, l.size)) {
            Some(slots) => {
                for off in slots {
                    let obj = first + off as usize;
                    setup(slab, obj);
                    link(slab, obj, &mut cur);
                }
            }
            None => {
                for i in 0..objects {
                    let obj = first + i as usize * l.size as usize;
                    setup(slab, obj);
                    link(slab, obj, &mut cur);
                }
            }
        }
        if cur != 0 {
            self.set_freepointer(slab, cur, 0);
        }
    }

    /// `alloc_debug_processing`: checks a free object about to be handed out (with
    /// `SLAB_CONSISTENCY_CHECKS`), records the request size and marks it allocated.
    /// On failure the slab is isolated: all objects marked used, free list dropped.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = slab.freelist;
    /// assert!(d.alloc_debug_processing(&mut slab, p, 64));
    /// assert_eq!(slab.byte(p - 1), Some(SLUB_RED_ACTIVE));
    /// ```
    pub fn alloc_debug_processing(
        &self,
        slab: &mut Slab<'_>,
        object: usize,
        orig_size: u32,
    ) -> bool {
        if self.has(SlabFlags::CONSISTENCY_CHECKS) {
            let ok = self.check_slab(slab)
                && if !self.check_valid_pointer(slab, object) {
                    self.object_err(slab, object, "Freelist Pointer check fails");
                    false
                } else {
                    self.check_object(slab, object, SLUB_RED_INACTIVE)
                };
            if !ok {
                if slab.is_slab {
                    self.isolate(slab);
                }
                return false;
            }
        }
        self.trace(slab, object, true);
        self.set_orig_size(slab, object, orig_size);
        self.init_object(slab, object, SLUB_RED_ACTIVE);
        true
    }

    /// A free object whose stored free pointer is not an object of the slab, found as
    /// it is handed out (`on_freelist`'s `Freechain corrupt`): reported, and the slab
    /// taken out of service like a failed allocation check, before the wild pointer
    /// could become the slab's free list.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = slab.freelist;
    /// d.freechain_corrupt(&mut slab, p);
    /// assert!(slab.frozen && slab.freelist == 0 && slab.inuse == slab.objects);
    /// assert!(plat.0.borrow().iter().any(|l| l == "FIX c: Marking all objects used"));
    /// ```
    pub fn freechain_corrupt(&self, slab: &mut Slab<'_>, object: usize) {
        self.object_err(slab, object, "Freechain corrupt");
        self.isolate(slab);
    }

    /// Take a slab that failed its checks out of service (v6.12 `alloc_debug_processing`'s
    /// `bad:` path): every object counts as used, the free list is dropped and the slab
    /// is marked `frozen` — for a debug slab, which is never a CPU slab, the mark of a
    /// slab whose metadata failed a consistency check. `check_slab` then refuses it
    /// (`Slab disabled since SLUB metadata consistency check failed`), so no free puts
    /// it back on a list and nothing in it is touched again.
    fn isolate(&self, slab: &mut Slab<'_>) {
        self.slab_fix(format_args!("Marking all objects used"));
        slab.inuse = slab.objects;
        slab.freelist = 0;
        slab.frozen = true;
    }

    fn free_consistency_checks(&self, slab: &mut Slab<'_>, object: usize) -> bool {
        if !self.check_valid_pointer(slab, object) {
            self.slab_err(slab, format_args!("Invalid object pointer 0x{object:016x}"));
            return false;
        }
        if self.on_freelist(slab, object) {
            self.object_err(slab, object, "Object already free");
            return false;
        }
        if !self.check_object(slab, object, SLUB_RED_ACTIVE) {
            return false;
        }
        if !slab.cache_matches {
            if !slab.is_slab {
                self.slab_err(
                    slab,
                    format_args!("Attempt to free object(0x{object:016x}) outside of slab"),
                );
            } else {
                self.object_err(slab, object, "page slab pointer corrupt.");
            }
            return false;
        }
        true
    }

    /// `free_debug_processing`: checks the `*bulk_cnt` objects chained from `head`
    /// to `tail` (with `SLAB_CONSISTENCY_CHECKS`: pointer validity, double free, red
    /// zones and poison), records the free and re-poisons each. `false`: nothing may
    /// be freed (`Object at … not freed`).
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 64, 0).unwrap();
    /// let mut n = 1;
    /// assert!(d.free_debug_processing(&mut slab, p, p, &mut n, 0));
    /// assert_eq!(slab.byte(p - 1), Some(SLUB_RED_INACTIVE));
    /// ```
    pub fn free_debug_processing(
        &self,
        slab: &mut Slab<'_>,
        head: usize,
        tail: usize,
        bulk_cnt: &mut u32,
        addr: u64,
    ) -> bool {
        let mut object = head;
        let mut cnt = 0u32;
        let mut checks_ok = false;
        'out: {
            // A frozen slab is refused even without SLAB_CONSISTENCY_CHECKS (Linux
            // freezes only with them; here a corrupt free chain also freezes).
            if (self.has(SlabFlags::CONSISTENCY_CHECKS) || slab.frozen) && !self.check_slab(slab) {
                break 'out;
            }
            if slab.inuse < *bulk_cnt {
                let (i, b) = (slab.inuse, *bulk_cnt);
                self.slab_err(
                    slab,
                    format_args!("Slab has {i} allocated objects but {b} are to be freed"),
                );
                break 'out;
            }
            loop {
                cnt += 1;
                if cnt > *bulk_cnt {
                    break;
                }
                if self.has(SlabFlags::CONSISTENCY_CHECKS)
                    && !self.free_consistency_checks(slab, object)
                {
                    break 'out;
                }
                if self.has(SlabFlags::STORE_USER) {
                    self.set_track(slab, object, TrackItem::Free, addr);
                }
                self.trace(slab, object, false);
                self.init_object(slab, object, SLUB_RED_INACTIVE);
                if object == tail {
                    checks_ok = true;
                    break;
                }
                object = self.get_freepointer(slab, object);
            }
            if cnt != *bulk_cnt {
                let b = *bulk_cnt;
                self.slab_err(
                    slab,
                    format_args!("Bulk free expected {b} objects but found {cnt}"),
                );
                *bulk_cnt = cnt;
            }
        }
        if !checks_ok {
            self.slab_fix(format_args!("Object at 0x{object:016x} not freed"));
        }
        checks_ok
    }

    /// A debug cache's allocation from this slab (Linux: `alloc_single_from_partial`
    /// then `set_track`): take the first free object, check it and mark it allocated
    /// for a request of `orig_size` bytes by caller `addr`. `None` if the slab has no
    /// free object or failed its checks (it is then isolated).
    #[doc(alias = "alloc_single_from_partial")]
    ///
    /// Unlike Linux without `SLAB_CONSISTENCY_CHECKS`, a free-list head that is not an
    /// object of the slab is never handed out: it is reported (`Freelist Pointer check
    /// fails`) and the slab isolated, where Linux would use the wild pointer.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 64, 0).unwrap();
    /// assert_eq!((slab.inuse, slab.byte(p)), (1, Some(POISON_FREE)));
    /// ```
    pub fn alloc(&self, slab: &mut Slab<'_>, orig_size: u32, addr: u64) -> Option<usize> {
        let object = slab.freelist;
        if object == 0 || slab.frozen {
            return None;
        }
        if !self.check_valid_pointer(slab, object) {
            self.object_err(slab, object, "Freelist Pointer check fails");
            self.isolate(slab);
            return None;
        }
        slab.freelist = self.get_freepointer(slab, object);
        slab.inuse += 1;
        if !self.alloc_debug_processing(slab, object, orig_size) {
            return None;
        }
        if self.has(SlabFlags::STORE_USER) {
            self.set_track(slab, object, TrackItem::Alloc, addr);
        }
        Some(object)
    }

    /// A debug cache's free into this slab (Linux: `free_to_partial_list`'s slab
    /// part): checks, then the object heads the free list. `false`: refused and
    /// reported, nothing changed but repairs.
    #[doc(alias = "free_to_partial_list")]
    ///
    /// Without `SLAB_CONSISTENCY_CHECKS` Linux trusts the pointer; here a pointer that
    /// is not an object of the slab, or the object already heading the free list
    /// (hardened Linux's `BUG_ON(object == fp)`), is still reported and refused, so
    /// a bad free never writes into the slab.
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 64, 0).unwrap();
    /// assert!(d.free(&mut slab, p, 0));
    /// assert!(!d.free(&mut slab, p, 0)); // double free: reported, refused
    /// ```
    pub fn free(&self, slab: &mut Slab<'_>, object: usize, addr: u64) -> bool {
        if !self.has(SlabFlags::CONSISTENCY_CHECKS) {
            let bad = if !self.check_valid_pointer(slab, object) || object == 0 {
                self.slab_err(slab, format_args!("Invalid object pointer 0x{object:016x}"));
                true
            } else if object == slab.freelist {
                self.object_err(slab, object, "Object already free");
                true
            } else {
                false
            };
            if bad {
                self.slab_fix(format_args!("Object at 0x{object:016x} not freed"));
                return false;
            }
        }
        let mut cnt = 1;
        if !self.free_debug_processing(slab, object, object, &mut cnt, addr) {
            return false;
        }
        let prior = slab.freelist;
        slab.inuse -= cnt;
        self.set_freepointer(slab, object, prior);
        slab.freelist = object;
        true
    }

    /// Bitmap of the free objects reachable from the free list (Linux: `__fill_map`).
    fn free_map(&self, slab: &Slab<'_>) -> [u64; (MAX_OBJS_PER_PAGE as usize).div_ceil(64)] {
        let mut map = [0u64; (MAX_OBJS_PER_PAGE as usize).div_ceil(64)];
        let mut p = slab.freelist;
        let mut n = 0;
        while p != 0 && n < slab.objects && self.check_valid_pointer(slab, p) {
            let i = self.object_index(slab, p);
            if let Some(w) = map.get_mut(i / 64) {
                *w |= 1 << (i % 64);
            }
            p = self.get_freepointer(slab, p);
            n += 1;
        }
        map
    }

    /// `list_slab_objects`: the report of a slab that still has objects when its cache
    /// is destroyed — `Objects remaining in … on __kmem_cache_shutdown()`, then each
    /// allocated object with its tracking.
    ///
    /// ```
    /// # struct P;
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// # }
    /// use oxmm::slab::debug::*;
    /// use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// let cache = DebugCache {
    ///     name: "leaky",
    ///     layout: DebugLayout::calculate(64, 8, SlabFlags::STORE_USER, false, None).unwrap(),
    ///     hardening: FreelistHardening::DISABLED,
    /// };
    /// let state = DebugState::new();
    /// let d = SlubDebugger { cache: &cache, platform: &P, state: &state };
    /// let mut mem = vec![0u8; 4096];
    /// let base = mem.as_ptr() as usize;
    /// let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// d.new_slab(&mut slab, None, None);
    /// d.alloc(&mut slab, 64, 0x1000).unwrap();
    /// d.list_slab_objects(&slab);
    /// assert_eq!(state.errors(), 1);
    /// ```
    pub fn list_slab_objects(&self, slab: &Slab<'_>) {
        let name = self.cache.name;
        self.slab_err(
            slab,
            format_args!("Objects remaining in {name} on __kmem_cache_shutdown()"),
        );
        let map = self.free_map(slab);
        for i in 0..slab.objects {
            let free = map
                .get(i as usize / 64)
                .is_some_and(|w| w & (1 << (i % 64)) != 0);
            if !free {
                let p = self.object_addr(slab, i);
                self.err(format_args!("Object 0x{p:016x} @offset={}", p - slab.base));
                self.print_tracking(slab, p);
            }
        }
    }

    /// `validate_slab`: check the slab, its free list, then every object as free or
    /// allocated according to the free list (stopping at the first bad one).
    ///
    /// ```
    /// # struct P(std::cell::RefCell<Vec<String>>);
    /// # // SAFETY: the direct map is null or this value's own page-aligned, zeroed
    /// # // buffer, as large as the machine and used by nothing else.
    /// # unsafe impl oxmm::platform::Platform for P {
    /// #     fn direct_map_base(&self) -> *mut u8 { core::ptr::null_mut() }
    /// #     fn cpu_id(&self) -> usize { 0 }
    /// #     fn nr_cpus(&self) -> usize { 1 }
    /// #     fn flush_tlb_range(&self, _: oxmm::types::VirtAddr, _: oxmm::types::VirtAddr) {}
    /// #     fn printk(&self, _: oxmm::printk::Level, a: core::fmt::Arguments<'_>) { self.0.borrow_mut().push(a.to_string()); }
    /// # }
    /// # use oxmm::printk::Level;
    /// # use oxmm::slab::debug::*;
    /// # use oxmm::slab::{hardening::FreelistHardening, layout::DebugLayout, SlabFlags};
    /// # let cache = DebugCache {
    /// #     name: "c",
    /// #     layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
    /// #     hardening: FreelistHardening::new(1),
    /// # };
    /// # let plat = P(Default::default());
    /// # let state = DebugState::new();
    /// # let d = SlubDebugger { cache: &cache, platform: &plat, state: &state };
    /// # let mut mem = vec![0u8; 4096];
    /// # let base = mem.as_ptr() as usize;
    /// # let mut slab = Slab::new(&mut mem, base, 4096 / cache.layout.size);
    /// # d.new_slab(&mut slab, None, None);
    /// let p = d.alloc(&mut slab, 64, 0).unwrap();
    /// *slab.byte_mut(p + 64).unwrap() = 0;
    /// d.validate_slab(&mut slab);
    /// assert_eq!(state.errors(), 2); // the report and its fix
    /// ```
    pub fn validate_slab(&self, slab: &mut Slab<'_>) {
        if !self.check_slab(slab) || !self.on_freelist(slab, 0) {
            return;
        }
        let map = self.free_map(slab);
        for i in 0..slab.objects {
            let free = map
                .get(i as usize / 64)
                .is_some_and(|w| w & (1 << (i % 64)) != 0);
            let val = if free {
                SLUB_RED_INACTIVE
            } else {
                SLUB_RED_ACTIVE
            };
            let obj = self.object_addr(slab, i);
            if !self.check_object(slab, obj, val) {
                break;
            }
        }
    }
}

const _: () = assert!(WORD == 8);
