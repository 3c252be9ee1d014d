//! SLUB debugging and hardening: the debug layout against a real Linux 6.12 booted
//! with `slub_debug=` (fixtures), the `slub_debug=` parser, Linux's slub_kunit cases
//! and kfence_test-like misuse, each detected, reported in Linux's format, repaired,
//! with the slab usable afterwards; free-pointer hardening, free-list randomisation and
//! init_on_free wiping.

use oxmm::platform::Platform;
use oxmm::printk::Level;
use oxmm::slab::debug::*;
use oxmm::slab::hardening::{self, FreelistHardening, MemInit};
use oxmm::slab::layout::{calculate_alignment, DebugLayout, TRACK_SIZE};
use oxmm::slab::order::{calculate_order, Oo, SlubParams};
use oxmm::slab::SlabFlags;
use oxmm::types::VirtAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A platform that keeps `printk` lines and has a settable clock.
#[derive(Default)]
struct Cap {
    lines: Mutex<Vec<String>>,
    jiffies: AtomicU64,
    rng: AtomicU64,
}

// SAFETY: no direct map (null): description-only boots touch no memory.
unsafe impl Platform for Cap {
    fn direct_map_base(&self) -> *mut u8 {
        std::ptr::null_mut()
    }
    fn cpu_id(&self) -> usize {
        1
    }
    fn nr_cpus(&self) -> usize {
        2
    }
    fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    fn printk(&self, _level: Level, args: std::fmt::Arguments<'_>) {
        self.lines.lock().unwrap().push(args.to_string());
    }
    fn jiffies(&self) -> u64 {
        self.jiffies.load(Ordering::Relaxed)
    }
    fn current_pid(&self) -> i32 {
        77
    }
    fn random_u64(&self) -> u64 {
        // xorshift64*, seeded
        let mut x = self.rng.load(Ordering::Relaxed) ^ 0x9e37_79b9_7f4a_7c15;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.store(x, Ordering::Relaxed);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

impl Cap {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap())
    }
}

/// Page-aligned test memory for one slab.
struct SlabMem {
    buf: Vec<u8>,
    off: usize,
    len: usize,
}

impl SlabMem {
    fn new(order: u32) -> SlabMem {
        let len = 4096 << order;
        let buf = vec![0u8; len + 4096];
        let off = buf.as_ptr().align_offset(4096);
        SlabMem { buf, off, len }
    }
    fn slab(&mut self, objects: u32) -> Slab<'_> {
        let m = &mut self.buf[self.off..self.off + self.len];
        let base = m.as_ptr() as usize;
        Slab::new(m, base, objects)
    }
}

/// A cache under test: layout, hardening, state and log.
struct TestCache {
    name: &'static str,
    layout: DebugLayout,
    hardening: FreelistHardening,
    state: DebugState,
    plat: Cap,
    order: u32,
}

impl TestCache {
    /// `kmem_cache_create(name, size, 0, flags | SLAB_NO_USER_FLAGS, NULL)` as
    /// slub_kunit's `test_kmem_cache_create` does.
    fn new(name: &'static str, size: u32, flags: SlabFlags) -> TestCache {
        let align = if flags.contains(SlabFlags::KMALLOC) {
            calculate_alignment(flags, 1 << size.trailing_zeros(), size)
        } else {
            calculate_alignment(flags, 0, size)
        };
        let layout = DebugLayout::calculate(size, align, flags, false, None).unwrap();
        let plat = Cap::default();
        let hardening = FreelistHardening::from_platform(&plat);
        let order = calculate_order(layout.size, 2, &SlubParams::default()).unwrap();
        TestCache {
            name,
            layout,
            hardening,
            state: DebugState::new(),
            plat,
            order,
        }
    }
    fn objects(&self) -> u32 {
        Oo::make(self.order, self.layout.size, 12).objects()
    }
}

/// Run `f` with a debugger for `c` and a fresh slab set up on `mem`.
macro_rules! with_slab {
    ($c:expr, $mem:ident, $dc:ident, $d:ident, $slab:ident) => {
        let mut $mem = SlabMem::new($c.order);
        let $dc = DebugCache {
            name: $c.name,
            layout: $c.layout,
            hardening: $c.hardening,
        };
        let $d = SlubDebugger {
            cache: &$dc,
            platform: &$c.plat,
            state: &$c.state,
        };
        let mut $slab = $mem.slab($c.objects());
        $d.new_slab(&mut $slab, None, None);
    };
}

fn parse_layout_line(l: &str) -> (String, std::collections::HashMap<String, String>) {
    let mut it = l.split_whitespace();
    let name = it.next().unwrap().to_string();
    let kv = it
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (name, kv)
}

fn fixture(case: &str) -> String {
    let p = format!(
        "{}/../../fixtures/linux-6.12-slub-debug/{case}/slablayout.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(p).unwrap()
}

fn flags_from_columns(kv: &std::collections::HashMap<String, String>) -> SlabFlags {
    let mut f = SlabFlags::default();
    for (col, flag) in [
        ("red_zone", SlabFlags::RED_ZONE),
        ("poison", SlabFlags::POISON),
        ("store_user", SlabFlags::STORE_USER),
        ("sanity_checks", SlabFlags::CONSISTENCY_CHECKS),
    ] {
        if kv[col] == "1" {
            f = f.union(flag);
        }
    }
    f
}

/// Every debug cache of a real 6.12 boot has the `slab_size`, object count and order
/// that `calculate_sizes` + `calculate_order` give for its object size, alignment,
/// debug flags, constructor and kmalloc-ness.
fn check_layout_fixture(case: &str) -> usize {
    let mut checked = 0;
    for line in fixture(case).lines().filter(|l| !l.trim().is_empty()) {
        let (name, kv) = parse_layout_line(line);
        let debug = flags_from_columns(&kv);
        if debug == SlabFlags::default() {
            continue;
        }
        let num = |k: &str| kv[k].parse::<u32>().unwrap();
        let mut flags = debug;
        if name.starts_with("kmalloc-") || name.starts_with("dma-kmalloc-") {
            flags = flags.union(SlabFlags::KMALLOC);
        }
        let has_ctor = !kv["ctor"].is_empty();
        let l = DebugLayout::calculate(num("object_size"), num("align"), flags, has_ctor, None)
            .unwrap();
        assert_eq!(l.size, num("slab_size"), "{case}: {line}");
        let order = calculate_order(l.size, 2, &SlubParams::default()).unwrap();
        assert_eq!(order, num("order"), "{case}: {line}");
        assert_eq!(
            Oo::make(order, l.size, 12).objects(),
            num("objs_per_slab"),
            "{line}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn debug_layout_matches_linux_with_slub_debug_fzpu() {
    assert_eq!(check_layout_fixture("q35-1g-fzpu"), 235);
}

#[test]
fn debug_layout_matches_linux_with_per_cache_lists() {
    assert_eq!(check_layout_fixture("q35-1g-lists"), 8);
}

#[test]
fn kmem_cache_flags_match_linux_per_cache_lists() {
    let cmdline = "slub_debug=Z,kmalloc-64,kmalloc-32;P,kmalloc-96,dentry;U,kmalloc-128;FZ,kmalloc-8,kmalloc-16;ZP,kmalloc-192";
    let d = SlubDebug::from_cmdline(cmdline).unwrap().unwrap();
    let mut n = 0;
    for line in fixture("q35-1g-lists")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (name, kv) = parse_layout_line(line);
        if name.starts_with(':') {
            continue; // merged caches are named by their unique id
        }
        let got = d.kmem_cache_flags(SlabFlags::default(), &name);
        assert_eq!(got, flags_from_columns(&kv), "{line}");
        n += 1;
    }
    assert!(n > 50, "{n}");
    // With slub_debug=FZPU every cache gets all four.
    let all = SlubDebug::from_cmdline("slub_debug=FZPU").unwrap().unwrap();
    for line in fixture("q35-1g-fzpu")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (name, kv) = parse_layout_line(line);
        assert_eq!(
            all.kmem_cache_flags(SlabFlags::default(), &name),
            flags_from_columns(&kv)
        );
    }
}

#[test]
fn debug_layout_offsets_from_linux_source() {
    // slub_kunit's caches (align 8).
    let rz = DebugLayout::calculate(64, 8, SlabFlags::RED_ZONE, false, None).unwrap();
    assert_eq!(
        (
            rz.object_size,
            rz.inuse,
            rz.offset,
            rz.red_left_pad,
            rz.size
        ),
        (64, 72, 32, 8, 88)
    );
    let p = DebugLayout::calculate(64, 8, SlabFlags::POISON, false, None).unwrap();
    assert_eq!((p.inuse, p.offset, p.red_left_pad, p.size), (64, 64, 0, 72));
    assert!(p.has(SlabFlags::OBJECT_POISON));
    let k = SlabFlags::KMALLOC
        .union(SlabFlags::STORE_USER)
        .union(SlabFlags::RED_ZONE);
    let kz = DebugLayout::calculate(32, 8, k, false, None).unwrap();
    // 32 +8 rz = 40 (inuse), free pointer outside (orig_size), 2 tracks, orig_size,
    // 8 padding word, 8 left pad.
    assert_eq!((kz.inuse, kz.offset, kz.size), (40, 40, 136));
    assert_eq!(
        (
            kz.track_offset(0),
            kz.track_offset(1),
            kz.orig_size_offset()
        ),
        (48, 80, 112)
    );
    assert_eq!(kz.metadata_end(), 116);
    assert_eq!(TRACK_SIZE, 32);
    // A constructor or RCU keeps the body unpoisoned and the free pointer outside.
    let c = DebugLayout::calculate(40, 8, SlabFlags::POISON, true, None).unwrap();
    assert!(!c.has(SlabFlags::OBJECT_POISON));
    assert_eq!((c.offset, c.size), (40, 48));
    // v6.12 RCU free pointer offset: used unless poisoning forces it outside.
    let r = DebugLayout::calculate(64, 8, SlabFlags::TYPESAFE_BY_RCU, false, Some(16)).unwrap();
    assert_eq!((r.offset, r.size), (16, 64));
    let rp = SlabFlags::TYPESAFE_BY_RCU.union(SlabFlags::POISON);
    assert_eq!(
        DebugLayout::calculate(64, 8, rp, false, Some(16))
            .unwrap()
            .offset,
        64
    );
    assert!(DebugLayout::calculate(64, 8, SlabFlags::TYPESAFE_BY_RCU, false, Some(64)).is_err());
    assert!(DebugLayout::calculate(64, 8, SlabFlags::default(), false, Some(8)).is_err());
    // Objects smaller than a word with a red zone move the free pointer out.
    let t = DebugLayout::calculate(4, 8, SlabFlags::RED_ZONE, false, None).unwrap();
    assert_eq!((t.inuse, t.offset, t.size), (8, 8, 32));
}

#[test]
fn slub_debug_parser() {
    let f = SlabFlags::CONSISTENCY_CHECKS;
    let z = SlabFlags::RED_ZONE;
    let p = SlabFlags::POISON;
    let u = SlabFlags::STORE_USER;
    let none = SlabFlags::default();
    // Bare option: full debugging.
    for s in ["", "="] {
        let d = SlubDebug::parse(s).unwrap();
        assert_eq!((d.global, d.string), (DEBUG_DEFAULT_FLAGS, None));
    }
    let d = SlubDebug::parse("=fzPu").unwrap();
    assert_eq!(d.global, f.union(z).union(p).union(u));
    assert_eq!(SlubDebug::parse("=T").unwrap().global, SlabFlags::TRACE);
    assert_eq!(SlubDebug::parse("=A").unwrap().global, SlabFlags::FAILSLAB);
    assert_eq!(SlubDebug::parse("=ZP-U").unwrap().global, u);
    // Global flags plus an exception list (Documentation/mm/slub.rst's example).
    let d = SlubDebug::parse("=FZ;-,zs_handle,zspage").unwrap();
    assert_eq!(d.global, f.union(z));
    assert_eq!(d.kmem_cache_flags(none, "zs_handle"), none);
    assert_eq!(d.kmem_cache_flags(none, "zspage"), none);
    assert_eq!(d.kmem_cache_flags(none, "dentry"), f.union(z));
    // Lists only: other caches get nothing; a list with no flags gets the defaults.
    let d = SlubDebug::parse("=,dentry").unwrap();
    assert_eq!(d.global, none);
    assert_eq!(d.kmem_cache_flags(none, "dentry"), DEBUG_DEFAULT_FLAGS);
    assert_eq!(d.kmem_cache_flags(none, "dentry2"), none);
    assert_eq!(d.kmem_cache_flags(none, "dentr"), none);
    // Globs and exact names, flags of the first matching block.
    let d = SlubDebug::parse("=U,kmalloc-*;P,kmalloc-64,dentry").unwrap();
    assert_eq!(d.kmem_cache_flags(none, "kmalloc-64"), u);
    assert_eq!(d.kmem_cache_flags(none, "dentry"), p);
    assert_eq!(d.kmem_cache_flags(z, "inode_cache"), z);
    // Empty blocks are skipped.
    let d = SlubDebug::parse("=;;Z,foo;P,bar").unwrap();
    assert_eq!(d.kmem_cache_flags(none, "foo"), z);
    assert_eq!(d.kmem_cache_flags(none, "bar"), p);
    // As in Linux, a trailing ';' stays part of the last name (strchrnul finds no ','
    // and there is no next block to stop at), so it does not match.
    let d = SlubDebug::parse("=Z,foo;").unwrap();
    assert_eq!(d.kmem_cache_flags(none, "foo"), none);
    // O sets disable_higher_order_debug; NOLEAKTRACE drops U from the global flags.
    let d = SlubDebug::parse("=FZPUO").unwrap();
    assert!(d.disable_higher_order_debug);
    assert_eq!(
        d.kmem_cache_flags(SlabFlags::NOLEAKTRACE, "kmemleak_object"),
        f.union(z).union(p).union(SlabFlags::NOLEAKTRACE)
    );
    // Errors name the bad character and where it is.
    assert_eq!(
        SlubDebug::parse("=FZX").unwrap_err(),
        SlubDebugError { ch: 'X', pos: 2 }
    );
    let e = SlubDebug::parse("=FZ,kmalloc-64;Q,dentry").unwrap_err();
    assert_eq!((e.ch, e.pos), ('Q', 14));
    assert_eq!(e.to_string(), "slab_debug option 'Q' unknown (at 14)");
    assert_eq!(SlubDebug::parse("=Fé").unwrap_err().ch, 'é');
    // Linux's own handling: skip with a message.
    let cap = Cap::default();
    let d = SlubDebug::parse_reporting("=FqZ", &cap);
    assert_eq!(d.global, f.union(z));
    assert_eq!(cap.take(), ["slab_debug option 'q' unknown. skipped"]);
    // The command line: slab_debug and slub_debug, last one wins; others ignored.
    let d = SlubDebug::from_cmdline("slub_debug=P slab_debug=U slub_debugx=Z")
        .unwrap()
        .unwrap();
    assert_eq!(d.global, u);
    assert!(SlubDebug::from_cmdline("slub_debug=K").unwrap().is_err());
}

/// slub_kunit `test_clobber_zone`: a write just past an allocated object.
#[test]
fn kunit_clobber_zone() {
    let c = TestCache::new("TestSlub_RZ_alloc", 64, SlabFlags::RED_ZONE);
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    assert_eq!(slab.byte(p + 64), Some(SLUB_RED_ACTIVE));
    *slab.byte_mut(p + 64).unwrap() = 0x12;
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 2);
    let log = c.plat.take();
    let off = p + 64 - slab.base;
    assert_eq!(
        &log[..6],
        [
            "============================================================================="
                .to_string(),
            "BUG TestSlub_RZ_alloc (Not tainted): Right Redzone overwritten".to_string(),
            "-----------------------------------------------------------------------------"
                .to_string(),
            String::new(),
            format!(
                "0x{:016x}-0x{:016x} @offset={off}. First byte 0x12 instead of 0xcc",
                p + 64,
                p + 64
            ),
            format!(
                "FIX TestSlub_RZ_alloc: Restoring Right Redzone 0x{:016x}-0x{:016x}=0xcc",
                p + 64,
                p + 64
            ),
        ]
    );
    assert_eq!(slab.byte(p + 64), Some(SLUB_RED_ACTIVE));
    // The trailer follows and taints the kernel.
    assert!(log
        .iter()
        .any(|l| l.starts_with(&format!("Object 0x{p:016x} @offset="))));
    assert!(c.state.tainted());
    assert!(d.free(&mut slab, p, 0));
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 0);
}

/// slub_kunit `test_next_pointer`: a corrupt free pointer of a free object.
#[test]
fn kunit_next_pointer() {
    let c = TestCache::new("TestSlub_next_ptr_free", 64, SlabFlags::POISON);
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    assert!(d.free(&mut slab, p, 0));
    let off = c.layout.offset as usize;
    let mut tmp = [0u8; 8];
    for (i, b) in tmp.iter_mut().enumerate() {
        *b = slab.byte(p + off + i).unwrap();
    }
    let b = slab.byte_mut(p + off).unwrap();
    *b = !*b;
    // Freechain corrupt, wrong inuse count, and its fix.
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 3);
    let log = c.plat.take();
    assert!(
        log.contains(&"BUG TestSlub_next_ptr_free (Not tainted): Freechain corrupt".to_string())
    );
    assert!(log.iter().any(|l| l.starts_with("BUG TestSlub_next_ptr_free (Tainted: G    B             ): Wrong object count. Counter is 0 but counted were ")));
    assert!(log.contains(&"FIX TestSlub_next_ptr_free: Object count adjusted".to_string()));
    // Restoring the pointer leaves the count wrong once more.
    for (i, b) in tmp.iter().enumerate() {
        *slab.byte_mut(p + off + i).unwrap() = *b;
    }
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 2);
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 0);
    assert_eq!(slab.inuse, 0);
    // And every object can be had again.
    let n = (0..slab.objects)
        .filter_map(|_| d.alloc(&mut slab, 64, 0))
        .count();
    assert_eq!(n as u32, slab.objects);
    assert_eq!(c.state.errors(), 0);
}

fn clobber_freed(name: &'static str, at: usize, val: u8, what: &str, expect: u8) {
    let c = TestCache::new(name, 64, SlabFlags::POISON);
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    assert!(d.free(&mut slab, p, 0));
    *slab.byte_mut(p + at).unwrap() = val;
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 2);
    let log = c.plat.take();
    assert_eq!(
        log[1],
        format!("BUG {name} (Not tainted): {what} overwritten")
    );
    assert_eq!(
        log[4],
        format!(
            "0x{:016x}-0x{:016x} @offset={}. First byte 0x{val:x} instead of 0x{expect:x}",
            p + at,
            p + at,
            p + at - slab.base
        )
    );
    assert_eq!(
        log[5],
        format!(
            "FIX {name}: Restoring {what} 0x{:016x}-0x{:016x}=0x{expect:x}",
            p + at,
            p + at
        )
    );
    assert_eq!(slab.byte(p + at), Some(expect));
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 0);
}

/// slub_kunit `test_first_word` and `test_clobber_50th_byte`: writes after free.
#[test]
fn kunit_first_word_and_50th_byte() {
    clobber_freed("TestSlub_1th_word_free", 0, 0x78, "Poison", POISON_FREE);
    clobber_freed("TestSlub_50th_word_free", 50, 0x9a, "Poison", POISON_FREE);
    clobber_freed("TestSlub_end_poison", 63, 0x00, "End Poison", POISON_END);
}

/// slub_kunit `test_clobber_redzone_free`: a write past a freed object.
#[test]
fn kunit_clobber_redzone_free() {
    let c = TestCache::new("TestSlub_RZ_free", 64, SlabFlags::RED_ZONE);
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    assert!(d.free(&mut slab, p, 0));
    *slab.byte_mut(p + 64).unwrap() = 0xab;
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 2);
    let log = c.plat.take();
    assert_eq!(
        log[1],
        "BUG TestSlub_RZ_free (Not tainted): Right Redzone overwritten"
    );
    assert!(log[4].ends_with("First byte 0xab instead of 0xbb"));
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 0);
}

/// slub_kunit `test_kmalloc_redzone_access`: bytes past the request but inside the
/// kmalloc object are red zone.
#[test]
fn kunit_kmalloc_redzone_access() {
    let f = SlabFlags::KMALLOC
        .union(SlabFlags::STORE_USER)
        .union(SlabFlags::RED_ZONE);
    let c = TestCache::new("TestSlub_RZ_kmalloc", 32, f);
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 18, 0xffff_ffff_8123_4567).unwrap();
    assert_eq!(d.get_orig_size(&slab, p), 18);
    for i in 18..32 {
        assert_eq!(slab.byte(p + i), Some(SLUB_RED_ACTIVE), "byte {i}");
    }
    *slab.byte_mut(p + 18).unwrap() = 0xab;
    *slab.byte_mut(p + 19).unwrap() = 0xab;
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 2);
    let log = c.plat.take();
    assert_eq!(
        log[1],
        "BUG TestSlub_RZ_kmalloc (Not tainted): kmalloc Redzone overwritten"
    );
    assert_eq!(
        log[4],
        format!(
            "0x{:016x}-0x{:016x} @offset={}. First byte 0xab instead of 0xcc",
            p + 18,
            p + 19,
            p + 18 - slab.base
        )
    );
    // Tracking names the allocation.
    assert!(log.contains(&"Allocated in 0xffffffff81234567 age=0 cpu=1 pid=77".to_string()));
    assert!(d.free(&mut slab, p, 0));
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 0);
}

/// A kmalloc-64-like cache with `slub_debug=FZPU` (the default set).
fn fzpu_cache() -> TestCache {
    TestCache::new(
        "kmalloc-64",
        64,
        DEBUG_DEFAULT_FLAGS.union(SlabFlags::KMALLOC),
    )
}

/// The full report for a right red zone overrun found at free, line by line.
#[test]
fn report_format_right_redzone_at_free() {
    let c = fzpu_cache();
    assert_eq!(c.layout.size, 256); // as /sys/kernel/slab/kmalloc-64/slab_size
    with_slab!(c, mem, dc, d, slab);
    c.plat.jiffies.store(1000, Ordering::Relaxed);
    let p = d.alloc(&mut slab, 64, 0xffff_ffff_8100_1234).unwrap();
    c.plat.jiffies.store(1250, Ordering::Relaxed);
    *slab.byte_mut(p + 64).unwrap() = 0x41; // kfence: out-of-bounds write at buf + size
    assert!(!d.free(&mut slab, p, 0xffff_ffff_8100_5678));
    let log = c.plat.take();
    let base = slab.base;
    let hexrow = |bytes: &[u8]| {
        let mut s = String::new();
        hex_dump_row(bytes, &mut s).unwrap();
        s
    };
    let mut want = vec![
        "=============================================================================".to_string(),
        "BUG kmalloc-64 (Not tainted): Right Redzone overwritten".to_string(),
        "-----------------------------------------------------------------------------".to_string(),
        String::new(),
        format!(
            "0x{:016x}-0x{:016x} @offset={}. First byte 0x41 instead of 0xcc",
            p + 64,
            p + 64,
            p + 64 - base
        ),
        format!(
            "FIX kmalloc-64: Restoring Right Redzone 0x{:016x}-0x{:016x}=0xcc",
            p + 64,
            p + 64
        ),
        "Allocated in 0xffffffff81001234 age=250 cpu=1 pid=77".to_string(),
        "object allocation/free stack trace missing".to_string(),
        format!(
            "Slab 0x{base:016x} objects=16 used=1 fp=0x{:016x} flags=0x0(node=0|zone=0)",
            slab.freelist
        ),
        format!(
            "Object 0x{p:016x} @offset={} fp=0x{:016x}",
            p - base,
            d.get_freepointer(&slab, p)
        ),
        String::new(),
    ];
    for r in 0..4 {
        want.push(format!(
            "Redzone  {:016x}: {}",
            p - 64 + 16 * r,
            hexrow(&[0xcc; 16])
        ));
    }
    for r in 0..4 {
        let mut row = [0x6bu8; 16];
        if r == 3 {
            row[15] = 0xa5;
        }
        want.push(format!("Object   {:016x}: {}", p + 16 * r, hexrow(&row)));
    }
    want.push(format!("Redzone  {:016x}: {}", p + 64, hexrow(&[0xcc; 8])));
    // Padding: after free pointer (8), tracks (64) and orig_size (4): 256-64-148 = 44 bytes.
    let pad = p + 64 + 8 + 8 + 64 + 4;
    want.push(format!("Padding  {pad:016x}: {}", hexrow(&[0x5a; 16])));
    want.push(format!(
        "Padding  {:016x}: {}",
        pad + 16,
        hexrow(&[0x5a; 16])
    ));
    want.push(format!(
        "Padding  {:016x}: {}",
        pad + 32,
        hexrow(&[0x5a; 12])
    ));
    want.push(format!("FIX kmalloc-64: Object at 0x{p:016x} not freed"));
    assert_eq!(log, want);
    // Repaired: the same free now goes through and is recorded.
    assert!(d.free(&mut slab, p, 0xffff_ffff_8100_5678));
    assert_eq!(
        d.get_track(&slab, p, TrackItem::Free).addr,
        0xffff_ffff_8100_5678
    );
    assert_eq!(slab.inuse, 0);
    assert!(c.plat.take().is_empty());
}

#[test]
fn hex_dump_rows_like_print_hex_dump() {
    let mut s = String::new();
    hex_dump_row(&[0x6b; 16], &mut s).unwrap();
    assert_eq!(
        s,
        "6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk"
    );
    let mut s = String::new();
    hex_dump_row(b"ab\x00\xa5", &mut s).unwrap();
    assert_eq!(s, format!("61 62 00 a5{}ab..", " ".repeat(38)));
}

/// kfence_test-like: out-of-bounds write before the object (left red zone).
#[test]
fn kfence_oob_left_write() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    *slab.byte_mut(p - 1).unwrap() = 0x00;
    assert!(!d.free(&mut slab, p, 0));
    let log = c.plat.take();
    assert_eq!(
        log[1],
        "BUG kmalloc-64 (Not tainted): Left Redzone overwritten"
    );
    assert_eq!(
        log[5],
        format!(
            "FIX kmalloc-64: Restoring Left Redzone 0x{:016x}-0x{:016x}=0xcc",
            p - 1,
            p - 1
        )
    );
    assert_eq!(slab.byte(p - 1), Some(SLUB_RED_ACTIVE));
    assert!(d.free(&mut slab, p, 0));
    d.validate_slab(&mut slab);
    c.state.take_errors();
    d.validate_slab(&mut slab);
    assert_eq!(c.state.errors(), 0);
}

/// kfence_test-like: a kmalloc request of 60 bytes, a write at buf + 60 (inside the
/// object, past the request).
#[test]
fn kfence_oob_right_write_past_request() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 60, 0).unwrap();
    *slab.byte_mut(p + 60).unwrap() = 0x11;
    assert!(!d.free(&mut slab, p, 0));
    let log = c.plat.take();
    assert_eq!(
        log[1],
        "BUG kmalloc-64 (Not tainted): kmalloc Redzone overwritten"
    );
    assert!(d.free(&mut slab, p, 0));
    assert_eq!(c.state.take_errors(), 3);
}

/// kfence_test-like use-after-free write: found when the object is handed out again;
/// the slab is isolated and a new slab serves from then on.
#[test]
fn kfence_use_after_free_write() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let a = d.alloc(&mut slab, 64, 0).unwrap();
    let b = d.alloc(&mut slab, 64, 0).unwrap();
    assert!(d.free(&mut slab, a, 0));
    *slab.byte_mut(a + 10).unwrap() = 0x00;
    // The freed object heads the free list: the next allocation checks it.
    assert_eq!(d.alloc(&mut slab, 64, 0), None);
    let log = c.plat.take();
    assert_eq!(log[1], "BUG kmalloc-64 (Not tainted): Poison overwritten");
    assert_eq!(
        log.last().unwrap(),
        "FIX kmalloc-64: Marking all objects used"
    );
    assert!(slab.frozen && slab.freelist == 0 && slab.inuse == slab.objects);
    assert_eq!(slab.byte(a + 10), Some(POISON_FREE));
    // Isolated: further frees into it are refused, never touching its free list.
    assert!(!d.free(&mut slab, b, 0));
    let log = c.plat.take();
    assert!(log
        .iter()
        .any(|l| l.ends_with("): Slab disabled since SLUB metadata consistency check failed")));
    assert_eq!(
        log.last().unwrap(),
        &format!("FIX kmalloc-64: Object at 0x{b:016x} not freed")
    );
    // Another slab works normally.
    let mut mem2 = SlabMem::new(c.order);
    let mut slab2 = mem2.slab(c.objects());
    d.new_slab(&mut slab2, None, None);
    c.state.take_errors();
    let objs: Vec<usize> = (0..slab2.objects)
        .map(|_| d.alloc(&mut slab2, 64, 0).unwrap())
        .collect();
    assert_eq!(d.alloc(&mut slab2, 64, 0), None);
    for o in objs {
        assert!(d.free(&mut slab2, o, 0));
    }
    d.validate_slab(&mut slab2);
    assert_eq!(c.state.errors(), 0);
    assert!(c.plat.take().is_empty());
}

/// kfence_test-like double free.
#[test]
fn kfence_double_free() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0x1111).unwrap();
    let q = d.alloc(&mut slab, 64, 0x2222).unwrap();
    assert!(d.free(&mut slab, p, 0x3333));
    assert!(!d.free(&mut slab, p, 0x4444));
    let log = c.plat.take();
    assert_eq!(log[1], "BUG kmalloc-64 (Not tainted): Object already free");
    assert!(log.contains(&"Freed in 0x0000000000003333 age=0 cpu=1 pid=77".to_string()));
    assert_eq!(
        log.last().unwrap(),
        &format!("FIX kmalloc-64: Object at 0x{p:016x} not freed")
    );
    assert_eq!(c.state.take_errors(), 2);
    // The free list is intact: validation is clean and every object comes back once.
    d.validate_slab(&mut slab);
    assert_eq!(c.state.take_errors(), 0);
    assert!(d.free(&mut slab, q, 0));
    let mut got: Vec<usize> = (0..slab.objects)
        .map(|_| d.alloc(&mut slab, 64, 0).unwrap())
        .collect();
    got.sort();
    got.dedup();
    assert_eq!(got.len() as u32, slab.objects);
    assert_eq!(c.state.errors(), 0);
}

/// kfence_test-like invalid frees: a misaligned pointer, a pointer past the objects.
#[test]
fn kfence_invalid_free() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    for bad in [
        p + 8,
        p - c.layout.red_left_pad as usize,
        slab.base + 4095,
        slab.base + 8192,
    ] {
        assert!(!d.free(&mut slab, bad, 0));
        let log = c.plat.take();
        assert_eq!(
            log[1].split("): ").nth(1).unwrap(),
            format!("Invalid object pointer 0x{bad:016x}")
        );
        assert!(log[4].starts_with("Slab 0x"));
        assert_eq!(
            log.last().unwrap(),
            &format!("FIX kmalloc-64: Object at 0x{bad:016x} not freed")
        );
    }
    assert_eq!(slab.inuse, 1);
    assert!(d.free(&mut slab, p, 0));
    d.validate_slab(&mut slab);
    c.state.take_errors();
    d.validate_slab(&mut slab);
    assert_eq!(c.state.errors(), 0);
}

/// A corrupted free pointer inside the free list: found when its object is handed
/// out, the chain is cut there and the slab isolated, nothing dereferenced.
#[test]
fn freelist_corruption_on_alloc() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let first = slab.freelist;
    let second = d.get_freepointer(&slab, first);
    // Overwrite the second object's free pointer with a wild value.
    let fp = second + c.layout.offset as usize;
    for i in 0..8 {
        *slab.byte_mut(fp + i).unwrap() = 0x41;
    }
    assert_eq!(d.alloc(&mut slab, 64, 0), Some(first));
    assert_eq!(d.alloc(&mut slab, 64, 0), None);
    let log = c.plat.take();
    assert!(log.contains(&"BUG kmalloc-64 (Not tainted): Freepointer corrupt".to_string()));
    assert!(slab.frozen);
    assert_eq!(d.get_freepointer(&slab, second), 0);
}

/// A corrupt free-list head (slab->freelist itself): "Freepointer corrupt", list
/// cleared, counters made consistent.
#[test]
fn freelist_head_corruption_on_validate() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    slab.freelist = slab.base + 3;
    d.validate_slab(&mut slab);
    let log = c.plat.take();
    assert!(log.iter().any(|l| l.ends_with("): Freepointer corrupt")));
    assert_eq!(log.last().unwrap(), "FIX kmalloc-64: Freelist cleared");
    assert_eq!((slab.freelist, slab.inuse), (0, slab.objects));
}

/// The slab tail after the last object is poisoned and checked.
#[test]
fn slab_padding_overwrite() {
    let c = TestCache::new(
        "pad",
        1000,
        SlabFlags::POISON.union(SlabFlags::CONSISTENCY_CHECKS),
    );
    with_slab!(c, mem, dc, d, slab);
    let tail = slab.base + slab.mem.len() - 1;
    *slab.byte_mut(tail).unwrap() = 0;
    d.validate_slab(&mut slab);
    let log = c.plat.take();
    assert_eq!(
        log[1],
        format!(
            "BUG pad (Not tainted): Padding overwritten. 0x{tail:016x}-0x{tail:016x} @offset={}",
            tail - slab.base
        )
    );
    assert!(log
        .iter()
        .any(|l| l.starts_with("Padding ") && l.contains(": 5a 5a")));
    assert_eq!(slab.byte(tail), Some(POISON_INUSE));
}

/// SLAB_TRACE prints each alloc and free.
#[test]
fn trace_flag() {
    let c = TestCache::new("traced", 16, SlabFlags::TRACE);
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 16, 0).unwrap();
    assert!(d.free(&mut slab, p, 0));
    let log = c.plat.take();
    assert!(log[0].starts_with(&format!("TRACE traced alloc 0x{p:016x} inuse=1 fp=0x")));
    assert!(log[1].starts_with(&format!("TRACE traced free 0x{p:016x} inuse=1 fp=0x")));
    assert!(log[2].starts_with("Object "));
}

/// Hardened free pointers: the stored word is not the pointer, differs per slot and
/// per cache secret, and decodes back.
#[test]
fn freelist_pointer_obfuscation() {
    let c = TestCache::new("hard", 64, SlabFlags::default());
    with_slab!(c, mem, dc, d, slab);
    let mut p = slab.freelist;
    let mut n = 0;
    while p != 0 {
        let next = d.get_freepointer(&slab, p);
        let at = p + c.layout.offset as usize;
        let mut w = [0u8; 8];
        for (i, b) in w.iter_mut().enumerate() {
            *b = slab.byte(at + i).unwrap();
        }
        let stored = u64::from_ne_bytes(w);
        assert_eq!(
            stored,
            next as u64 ^ c.hardening.random ^ (at as u64).swap_bytes()
        );
        assert_ne!(stored, next as u64);
        p = next;
        n += 1;
    }
    assert_eq!(n, slab.objects);
    // A self-pointer (naive double free) is refused.
    let h = c.hardening;
    let mut buf = [0u8; 64];
    assert!(hardening::set_freepointer(&mut buf, 0x1000, &h, 0x1000, 8, 0x1000).is_err());
}

/// Free-list randomisation: the sequence is a permutation of slot offsets, and a new
/// slab's free list follows it from the random start, wrapping.
#[test]
fn freelist_randomisation() {
    let c = TestCache::new("rnd", 192, SlabFlags::default());
    let objs = c.objects() as usize;
    let mut seq = vec![0u32; objs];
    assert!(hardening::cache_random_seq_create(
        &mut seq,
        c.layout.size,
        &mut || { hardening::platform_u32(&c.plat) }
    ));
    let mut sorted = seq.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (0..objs as u32)
            .map(|i| i * c.layout.size)
            .collect::<Vec<_>>()
    );
    assert_ne!(seq, sorted, "a 21-element shuffle left everything in place");
    let start =
        hardening::random_u32_below(objs as u32, &mut || hardening::platform_u32(&c.plat)) as usize;
    let mut mem = SlabMem::new(c.order);
    let dc = DebugCache {
        name: c.name,
        layout: c.layout,
        hardening: c.hardening,
    };
    let d = SlubDebugger {
        cache: &dc,
        platform: &c.plat,
        state: &c.state,
    };
    let mut slab = mem.slab(objs as u32);
    d.new_slab(&mut slab, None, Some((&seq, start)));
    let mut order = vec![];
    let mut p = slab.freelist;
    while p != 0 {
        order.push((p - slab.base) as u32);
        p = d.get_freepointer(&slab, p);
    }
    let want: Vec<u32> = (0..objs).map(|i| seq[(start + i) % objs]).collect();
    assert_eq!(order, want);
    // A smaller slab (order fallback) skips entries beyond it.
    let mut mem2 = SlabMem::new(0);
    let small = (4096 / c.layout.size) as usize;
    let mut slab2 = mem2.slab(small as u32);
    d.new_slab(&mut slab2, None, Some((&seq, start)));
    let mut n = 0;
    let mut p = slab2.freelist;
    while p != 0 {
        assert!(p - slab2.base < small * c.layout.size as usize);
        p = d.get_freepointer(&slab2, p);
        n += 1;
    }
    assert_eq!(n, small);
}

/// A constructor runs on every object and its state survives (no poisoning of the body).
#[test]
fn ctor_objects() {
    let c = TestCache::new("ctor", 32, SlabFlags::default());
    let l = DebugLayout::calculate(
        32,
        8,
        SlabFlags::POISON.union(SlabFlags::RED_ZONE),
        true,
        None,
    )
    .unwrap();
    let dc = DebugCache {
        name: "ctor",
        layout: l,
        hardening: c.hardening,
    };
    let d = SlubDebugger {
        cache: &dc,
        platform: &c.plat,
        state: &c.state,
    };
    let mut mem = SlabMem::new(0);
    let mut slab = mem.slab(4096 / l.size);
    let mut runs = 0;
    let mut ctor = |o: &mut [u8]| {
        o[..4].copy_from_slice(&0x4141_4141u32.to_ne_bytes());
        runs += 1;
    };
    d.new_slab(&mut slab, Some(&mut ctor), None);
    assert_eq!(runs, slab.objects);
    let p = d.alloc(&mut slab, 32, 0).unwrap();
    assert_eq!(slab.byte(p), Some(0x41));
    assert!(d.free(&mut slab, p, 0));
    d.validate_slab(&mut slab);
    assert_eq!(c.state.errors(), 0);
}

/// test_meminit-like: with init_on_free an object freed full of garbage comes back
/// all zero (wipe on free, free pointer word zeroed on allocation).
#[test]
fn init_on_free_and_alloc() {
    let m = MemInit::parse_cmdline("init_on_alloc=0 init_on_free=1").unwrap();
    let l = DebugLayout::calculate(64, 8, SlabFlags::default(), false, None).unwrap();
    assert!(m.want_init_on_free(l.flags, false));
    assert!(!m.want_init_on_free(l.flags, true));
    let mut slot = vec![0xa5u8; l.size as usize];
    hardening::init_on_free_wipe(&l, &mut slot, 0, l.object_size);
    // The allocator then links the object: its free pointer lands inside it.
    let h = FreelistHardening::new(0x77);
    hardening::set_freepointer(&mut slot, 0x10000, &h, 0x10000, l.offset, 0x20000).unwrap();
    assert!(slot.iter().any(|&b| b != 0));
    hardening::wipe_obj_freeptr(&l, &mut slot);
    assert_eq!(slot.iter().filter(|&&b| b != 0).count(), 0);
    // A kmalloc debug cache: orig_size survives the wipe, the left red zone of the
    // next slot is not touched.
    let f = SlabFlags::KMALLOC
        .union(SlabFlags::STORE_USER)
        .union(SlabFlags::RED_ZONE);
    let k = DebugLayout::calculate(32, 8, f, false, None).unwrap();
    let rl = k.red_left_pad as usize;
    let mut two = vec![0xeeu8; 2 * k.size as usize];
    let o = k.orig_size_offset() as usize + rl;
    two[o..o + 4].copy_from_slice(&18u32.to_ne_bytes());
    hardening::init_on_free_wipe(&k, &mut two, rl, 18);
    assert_eq!(&two[o..o + 4], &18u32.to_ne_bytes());
    assert!(two[rl..rl + 18].iter().all(|&b| b == 0));
    assert!(two[rl + 18..rl + k.info_end() as usize]
        .iter()
        .all(|&b| b == 0xee));
    assert!(two[k.size as usize..k.size as usize + rl]
        .iter()
        .all(|&b| b == 0xee));
    // init_on_alloc zeroing sizes and the boot line (as in the fixtures' dmesg).
    let on = MemInit::parse_cmdline("init_on_alloc=1").unwrap();
    assert_eq!(
        on.report("all(zero)").to_string(),
        "mem auto-init: stack:all(zero), heap alloc:on, heap free:off"
    );
    assert_eq!(hardening::alloc_zero_size(&k, 18), 18);
    assert!(
        MemInit::parse_cmdline("init_on_free=yes init_on_alloc=off")
            .unwrap()
            .init_on_free
    );
    assert_eq!(
        MemInit::parse_cmdline("init_on_free=2")
            .unwrap_err()
            .to_string(),
        "init_on_free=: bad value \"2\""
    );
}

/// Bulk free: a chain of objects freed at once is checked object by object; a count
/// that does not match the chain is reported.
#[test]
fn bulk_free_debug_processing() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let objs: Vec<usize> = (0..4).map(|_| d.alloc(&mut slab, 64, 0).unwrap()).collect();
    // Chain objs[0] -> objs[1] -> objs[2] (a detached free list).
    d.set_freepointer(&mut slab, objs[0], objs[1]);
    d.set_freepointer(&mut slab, objs[1], objs[2]);
    let mut cnt = 3;
    assert!(d.free_debug_processing(&mut slab, objs[0], objs[2], &mut cnt, 0));
    assert_eq!(cnt, 3);
    // Claiming 5 objects while only 4 are in use is refused.
    let mut cnt = 5;
    assert!(!d.free_debug_processing(&mut slab, objs[3], objs[3], &mut cnt, 0));
    let log = c.plat.take();
    assert!(log[1].ends_with("): Slab has 4 allocated objects but 5 are to be freed"));
}

/// `slub_debug=O`: caches whose minimum order the metadata would raise keep only the
/// consistency checks — checked against every cache of a real 6.12 boot.
#[test]
fn higher_order_debug_disable_matches_linux() {
    let d = SlubDebug::from_cmdline("slub_debug=FZPUO")
        .unwrap()
        .unwrap();
    assert!(d.disable_higher_order_debug);
    let (mut kept, mut dropped) = (0, 0);
    for line in fixture("q35-1g-fzpuo")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (name, kv) = parse_layout_line(line);
        let num = |k: &str| kv[k].parse::<u32>().unwrap();
        let mut flags = SlabFlags::default();
        if name.starts_with("kmalloc-") || name.starts_with("dma-kmalloc-") {
            flags = SlabFlags::KMALLOC;
        }
        let l = d
            .cache_layout(
                &name,
                flags,
                num("object_size"),
                num("align"),
                !kv["ctor"].is_empty(),
                None,
            )
            .unwrap();
        let debug = SlabFlags(l.flags.0 & DEBUG_DEFAULT_FLAGS.0);
        assert_eq!(debug, flags_from_columns(&kv), "{line}");
        assert_eq!(l.size, num("slab_size"), "{line}");
        if l.has(SlabFlags::RED_ZONE) {
            kept += 1;
        } else {
            dropped += 1;
        }
    }
    assert_eq!((kept, dropped), (216, 19));
}

/// The boot notices around memory auto-initialisation, as the real kernel printed them.
#[test]
fn meminit_notices_match_linux_dmesg() {
    for (case, cmdline) in [
        ("q35-1g-fzpu", "slub_debug=FZPU"),
        ("q35-1g-lists", "slub_debug=Z,kmalloc-64"),
        ("q35-1g-fzpuo", "slub_debug=FZPUO init_on_free=1"),
    ] {
        let dmesg = std::fs::read_to_string(format!(
            "{}/../../fixtures/linux-6.12-slub-debug/{case}/notices.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let printed: Vec<&str> = dmesg
            .lines()
            .filter_map(|l| l.split_once("] ").map(|(_, m)| m))
            .filter(|m| m.starts_with("mem auto-init"))
            .collect();
        // Debian builds with init_on_alloc on by default.
        let mut m = MemInit::parse_cmdline(cmdline).unwrap();
        m.init_on_alloc = true;
        let d = SlubDebug::from_cmdline(cmdline).unwrap().unwrap();
        let mut want: Vec<String> = d.meminit_notice(&m).into_iter().map(String::from).collect();
        want.push(m.report("all(zero)").to_string());
        want.extend(m.clearing_notice().map(String::from));
        assert_eq!(printed, want, "{case}");
    }
}

mod model {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Alloc(u32),
        Free(usize),
        DoubleFree(usize),
        WildFree(usize),
        ClobberLive(usize, bool, u8),
        ClobberFree(usize, u8),
        Validate,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1u32..=64).prop_map(Op::Alloc),
            3 => any::<usize>().prop_map(Op::Free),
            1 => any::<usize>().prop_map(Op::DoubleFree),
            1 => (0usize..4096).prop_map(Op::WildFree),
            1 => (any::<usize>(), any::<bool>(), 0u8..0xcb).prop_map(|(i, l, v)| Op::ClobberLive(i, l, v)),
            1 => (any::<usize>(), 0u8..0x6a).prop_map(|(i, v)| Op::ClobberFree(i, v)),
            1 => Just(Op::Validate),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Against a model of live objects: legal operations never report, every
        /// misuse and every corruption is reported and repaired, the counters stay
        /// right, and the slab stays usable unless a check isolated it.
        #[test]
        fn debug_slab_against_model(ops in proptest::collection::vec(op(), 1..80)) {
            let c = fzpu_cache();
            with_slab!(c, mem, dc, d, slab);
            let mut live: Vec<usize> = vec![];
            let mut freed: Vec<usize> = vec![];
            for o in ops {
                if slab.frozen {
                    break;
                }
                let before = c.state.errors();
                match o {
                    Op::Alloc(n) => match d.alloc(&mut slab, n, 1) {
                        Some(p) => {
                            prop_assert!(!live.contains(&p));
                            freed.retain(|&f| f != p);
                            live.push(p);
                            prop_assert_eq!(c.state.errors(), before);
                        }
                        None => {
                            // Only a full slab or a detected use-after-free refuses.
                            prop_assert!(live.len() as u32 == slab.objects || slab.frozen);
                        }
                    },
                    Op::Free(i) if !live.is_empty() => {
                        let p = live.swap_remove(i % live.len());
                        prop_assert!(d.free(&mut slab, p, 2));
                        freed.push(p);
                        prop_assert_eq!(c.state.errors(), before);
                    }
                    Op::DoubleFree(i) if !freed.is_empty() => {
                        let p = freed[i % freed.len()];
                        prop_assert!(!d.free(&mut slab, p, 3));
                        prop_assert!(c.state.errors() > before);
                    }
                    Op::WildFree(off) => {
                        let p = slab.base + off;
                        if !live.contains(&p) {
                            prop_assert!(!d.free(&mut slab, p, 4));
                            prop_assert!(c.state.errors() > before);
                        }
                    }
                    Op::ClobberLive(i, left, v) if !live.is_empty() => {
                        let p = live[i % live.len()];
                        let at = if left { p - 1 } else { p + 64 };
                        *slab.byte_mut(at).unwrap() = v;
                        // Found at free, repaired, freed on the second try.
                        live.retain(|&x| x != p);
                        prop_assert!(!d.free(&mut slab, p, 5));
                        prop_assert_eq!(slab.byte(at), Some(SLUB_RED_ACTIVE));
                        prop_assert!(d.free(&mut slab, p, 5));
                        freed.push(p);
                    }
                    Op::ClobberFree(i, v) if !freed.is_empty() => {
                        let p = freed[i % freed.len()];
                        *slab.byte_mut(p + 3).unwrap() = v;
                        d.validate_slab(&mut slab);
                        prop_assert_eq!(c.state.errors(), before + 2);
                        prop_assert_eq!(slab.byte(p + 3), Some(POISON_FREE));
                    }
                    Op::Validate => {
                        d.validate_slab(&mut slab);
                        prop_assert_eq!(c.state.errors(), before);
                    }
                    _ => {}
                }
                prop_assert_eq!(slab.inuse as usize, live.len());
            }
            if !slab.frozen {
                let before = c.state.errors();
                d.validate_slab(&mut slab);
                prop_assert_eq!(c.state.errors(), before);
                for p in live {
                    prop_assert!(d.free(&mut slab, p, 6));
                }
                prop_assert_eq!(slab.inuse, 0);
            }
        }
    }
}

/// Without consistency checks Linux trusts a freed pointer; these helpers still refuse
/// wild and immediate double frees rather than write into the slab.
#[test]
fn bad_frees_refused_without_consistency_checks() {
    let c = TestCache::new("rz_only", 64, SlabFlags::RED_ZONE);
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    let snapshot = slab.mem.to_vec();
    assert!(!d.free(&mut slab, p + 4, 0));
    assert!(d.free(&mut slab, p, 0));
    let after_free = slab.mem.to_vec();
    assert!(!d.free(&mut slab, p, 0));
    assert_eq!(slab.mem.to_vec(), after_free);
    let log = c.plat.take();
    assert!(log
        .iter()
        .any(|l| l.ends_with(&format!("): Invalid object pointer 0x{:016x}", p + 4))));
    assert!(log.iter().any(|l| l.ends_with("): Object already free")));
    assert_eq!(c.state.take_errors(), 4);
    assert_ne!(snapshot, after_free);
    // A wild free-list head is never handed out.
    slab.freelist = slab.base + 5;
    assert_eq!(d.alloc(&mut slab, 64, 0), None);
    assert!(slab.frozen);
    assert!(c
        .plat
        .take()
        .iter()
        .any(|l| l.ends_with("): Freelist Pointer check fails")));
}

/// slub_kunit `test_leak_destroy`-like: a slab with a live object at destroy lists it.
#[test]
fn leak_report_lists_live_objects() {
    let c = TestCache::new("TestSlub_leak_destroy", 64, SlabFlags::STORE_USER);
    with_slab!(c, mem, dc, d, slab);
    let a = d.alloc(&mut slab, 64, 0xffff_ffff_8100_0001).unwrap();
    let b = d.alloc(&mut slab, 64, 0xffff_ffff_8100_0002).unwrap();
    assert!(d.free(&mut slab, a, 0xffff_ffff_8100_0003));
    d.list_slab_objects(&slab);
    let log = c.plat.take();
    assert_eq!(
        log[1],
        "BUG TestSlub_leak_destroy (Not tainted): Objects remaining in TestSlub_leak_destroy on __kmem_cache_shutdown()"
    );
    assert!(log[4].starts_with("Slab 0x") && log[4].contains(" used=1 "));
    assert_eq!(
        &log[5..],
        [
            format!("Object 0x{b:016x} @offset={}", b - slab.base),
            "Allocated in 0xffffffff81000002 age=0 cpu=1 pid=77".to_string(),
            "object allocation/free stack trace missing".to_string(),
        ]
    );
    assert_eq!(c.state.errors(), 1);
}

/// kfence_test-like invalid free into the wrong cache or into memory that is no
/// longer a slab: refused with Linux's messages.
#[test]
fn free_into_foreign_or_dead_slab() {
    let c = fzpu_cache();
    with_slab!(c, mem, dc, d, slab);
    let p = d.alloc(&mut slab, 64, 0).unwrap();
    slab.cache_matches = false;
    assert!(!d.free(&mut slab, p, 0));
    let log = c.plat.take();
    assert!(log
        .iter()
        .any(|l| l.ends_with("): page slab pointer corrupt.")));
    slab.cache_matches = true;
    slab.is_slab = false;
    assert!(!d.free(&mut slab, p, 0));
    let log = c.plat.take();
    assert!(log[1].ends_with("): Not a valid slab page"));
    assert_eq!(
        log.last().unwrap(),
        &format!("FIX kmalloc-64: Object at 0x{p:016x} not freed")
    );
    slab.is_slab = true;
    assert!(d.free(&mut slab, p, 0));
}

/// Without debug flags the debug layout is the plain one (`Layout::calculate`), so a
/// cache can use [`DebugLayout`] for every cache.
#[test]
fn debug_layout_without_debug_flags_is_the_plain_layout() {
    use oxmm::slab::layout::Layout;
    for size in (1..=600).chain([1000, 2048, 4096, 4100, 8192]) {
        for align in [8, 16, 32, 64, 128] {
            for flags in [
                SlabFlags::default(),
                SlabFlags::TYPESAFE_BY_RCU,
                SlabFlags::HWCACHE_ALIGN,
            ] {
                for ctor in [false, true] {
                    let a = calculate_alignment(flags, align, size);
                    let p = Layout::calculate(size, a, flags, ctor).unwrap();
                    let d = DebugLayout::calculate(size, a, flags, ctor, None).unwrap();
                    assert_eq!(
                        (
                            d.object_size,
                            d.size,
                            d.inuse,
                            d.offset,
                            d.align,
                            d.red_left_pad
                        ),
                        (p.object_size, p.size, p.inuse, p.offset, p.align, 0),
                        "size {size} align {a} {flags:?} ctor {ctor}"
                    );
                }
            }
        }
    }
}

/// A platform with kallsyms, a stack depot and an unwinder (as oxmm-host has).
#[derive(Default)]
struct Syms {
    lines: Mutex<Vec<String>>,
}

// SAFETY: no direct map (null): description-only boots touch no memory.
unsafe impl Platform for Syms {
    fn direct_map_base(&self) -> *mut u8 {
        std::ptr::null_mut()
    }
    fn cpu_id(&self) -> usize {
        0
    }
    fn nr_cpus(&self) -> usize {
        1
    }
    fn flush_tlb_range(&self, _: VirtAddr, _: VirtAddr) {}
    fn printk(&self, _level: Level, args: std::fmt::Arguments<'_>) {
        self.lines.lock().unwrap().push(args.to_string());
    }
    fn symbolize(&self, addr: usize, out: &mut dyn std::fmt::Write) -> std::fmt::Result {
        write!(out, "caller_fn+0x{:x}/0x100", addr - 0x5000)
    }
    fn stack_depot_save(&self) -> oxmm::platform::SavedStack {
        oxmm::platform::SavedStack {
            handle: 7,
            caller: 0x5010,
        }
    }
    fn stack_depot_print(&self, handle: u32) {
        self.printk(Level::Err, format_args!(" depot_{handle}+0x1/0x2"));
    }
    fn dump_stack(&self, tainted: bool) {
        self.printk(Level::Err, format_args!("Call Trace: tainted={tainted}"));
    }
}

/// print_track's `%pS` goes through the platform's symbolizer, with the stack saved
/// by its depot; each report ends with the platform's dump_stack (print_trailer and
/// slab_err both).
#[test]
fn reports_use_the_platforms_symbols_stacks_and_dump_stack() {
    let cache = DebugCache {
        name: "syms",
        layout: DebugLayout::calculate(64, 8, DEBUG_DEFAULT_FLAGS, false, None).unwrap(),
        hardening: FreelistHardening::new(1),
    };
    let plat = Syms::default();
    let state = DebugState::new();
    let d = SlubDebugger {
        cache: &cache,
        platform: &plat,
        state: &state,
    };
    let mut mem = SlabMem::new(0);
    let mut slab = mem.slab(4096 / cache.layout.size);
    d.new_slab(&mut slab, None, None);
    // The call site given (0x1234) gives way to the depot's return address.
    let p = d.alloc(&mut slab, 64, 0x1234).unwrap();
    let t = d.get_track(&slab, p, TrackItem::Alloc);
    assert_eq!((t.addr, t.handle), (0x5010, 7));
    *slab.byte_mut(p + 64).unwrap() = 0;
    // The free's checks find the overrun: reported, repaired, the free refused.
    assert!(!d.free(&mut slab, p, 0x9999));
    let log = std::mem::take(&mut *plat.lines.lock().unwrap());
    let at = log
        .iter()
        .position(|l| l == "Allocated in caller_fn+0x10/0x100 age=0 cpu=0 pid=0")
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert_eq!(log[at + 1], " depot_7+0x1/0x2");
    assert!(!log.iter().any(|l| l.contains("stack trace missing")));
    // The report's trailer ends with the call trace, before the fix is made.
    assert_eq!(
        log.iter().filter(|l| l.starts_with("Call Trace:")).count(),
        1,
        "{log:#?}"
    );
    let trace = log
        .iter()
        .position(|l| l.starts_with("Call Trace:"))
        .unwrap();
    assert!(log[trace - 1].starts_with("Padding  "), "{log:#?}");
    // slab_err (a free of a pointer inside an object) dumps the stack too, tainted
    // by then.
    assert!(!d.free(&mut slab, p + 1, 0));
    let log = std::mem::take(&mut *plat.lines.lock().unwrap());
    let trace = log
        .iter()
        .position(|l| l == "Call Trace: tainted=true")
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert!(log[trace - 1].starts_with("Slab 0x"), "{log:#?}");
}
