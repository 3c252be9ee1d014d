//! The SLUB debug checks on real managed memory: slab pages from a fully booted hosted
//! machine's buddy allocator, seen through its direct map, reported with the page
//! descriptor's address, and given back clean.

use oxmm::gfp::Gfp;
use oxmm::mm::BootMode;
use oxmm::platform::Platform;
use oxmm::printk::Level;
use oxmm::slab::debug::{DebugCache, DebugState, Slab, SlubDebug, SlubDebugger, SLUB_RED_ACTIVE};
use oxmm::slab::hardening::FreelistHardening;
use oxmm::slab::order::{calculate_order, Oo, SlubParams};
use oxmm::slab::SlabFlags;
use oxmm::types::{PhysAddr, VirtAddr};
use oxmm_host::hosted::HostedMachine;
use oxmm_host::machine::Machine;
use std::sync::Mutex;

/// Reports go here; the machine's own platform discards run-time printk.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

// SAFETY: no direct map (null): description-only boots touch no memory.
unsafe impl Platform for Log {
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
    fn printk(&self, _: Level, args: std::fmt::Arguments<'_>) {
        self.0.lock().unwrap().push(args.to_string());
    }
}

#[test]
fn debug_checks_on_buddy_allocated_slab_pages() {
    let hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::Full).unwrap();
    let mm = hm.mm();
    // Without per-CPU lists the free count is exact before and after.
    mm.pcp_disable_all().unwrap();
    let free_before = mm.nr_free_pages();
    // kmalloc-64 under slub_debug=FZPU, laid out as Linux does it.
    let d = SlubDebug::from_cmdline("slub_debug=FZPU").unwrap().unwrap();
    let layout = d
        .cache_layout("kmalloc-64", SlabFlags::KMALLOC, 64, 64, false, None)
        .unwrap();
    assert_eq!(layout.size, 256);
    let order = calculate_order(
        layout.size,
        mm.platform().nr_cpus() as u32,
        &SlubParams::default(),
    )
    .unwrap();
    let objects = Oo::make(order, layout.size, 12).objects();
    let pfn = mm.alloc_pages(Gfp::KERNEL | Gfp::COMP, order).unwrap();
    let base = mm.platform().phys_to_virt(PhysAddr(pfn.0 << 12)).0 as usize;
    let page_desc = mm.memmap().page(pfn.0).unwrap() as *const _ as usize;
    {
        // SAFETY: the 2^order pages at `pfn` were just allocated to this test and are
        // mapped at `base` in the hosted direct map; nothing else touches them until
        // they are freed below, after this borrow ends.
        let mem = unsafe { std::slice::from_raw_parts_mut(base as *mut u8, 4096 << order) };
        let cache = DebugCache {
            name: "kmalloc-64",
            layout,
            hardening: FreelistHardening::from_platform(mm.platform()),
        };
        let log = Log::default();
        let state = DebugState::new();
        let dbg = SlubDebugger {
            cache: &cache,
            platform: &log,
            state: &state,
        };
        let mut slab = Slab::new(mem, base, objects);
        slab.page = page_desc;
        dbg.new_slab(&mut slab, None, None);
        let objs: Vec<usize> = (0..objects)
            .map(|_| dbg.alloc(&mut slab, 64, 0x1).unwrap())
            .collect();
        assert_eq!(dbg.alloc(&mut slab, 64, 0x1), None);
        // Overrun one object by a byte: found at its free, repaired, then freed.
        let victim = objs[3];
        *slab.byte_mut(victim + 64).unwrap() = 0;
        assert!(!dbg.free(&mut slab, victim, 0x2));
        assert_eq!(slab.byte(victim + 64), Some(SLUB_RED_ACTIVE));
        let lines = log.0.lock().unwrap().clone();
        assert_eq!(
            lines[1],
            "BUG kmalloc-64 (Not tainted): Right Redzone overwritten"
        );
        assert!(lines.iter().any(|l| l.starts_with(&format!(
            "Slab 0x{page_desc:016x} objects={objects} used={objects} "
        ))));
        for o in objs {
            assert!(dbg.free(&mut slab, o, 0x3));
        }
        dbg.validate_slab(&mut slab);
        assert_eq!(state.errors(), 3);
        assert_eq!(slab.inuse, 0);
    }
    mm.free_pages(pfn, order).unwrap();
    assert_eq!(mm.nr_free_pages(), free_before);
    mm.check().unwrap();
}

/// The object the report below is about, allocated here (not inlined, so that the
/// return address lies in a function of its own name).
#[inline(never)]
fn allocate_the_victim(
    mm: &oxmm::mm::Mm<oxmm_host::platform::HostPlatform>,
    sc: &oxmm::slab::SlabCaches,
    id: oxmm::slab::CacheId,
) -> *mut u8 {
    sc.kmem_cache_alloc(mm, id, Gfp::KERNEL).unwrap().as_ptr()
}

#[inline(never)]
fn free_the_victim(
    mm: &oxmm::mm::Mm<oxmm_host::platform::HostPlatform>,
    sc: &oxmm::slab::SlabCaches,
    id: oxmm::slab::CacheId,
    p: *mut u8,
) -> Result<(), oxmm::slab::SlabError> {
    // Not a tail call: this function stays on the stack the report walks.
    let r = sc.kmem_cache_free(mm, id, p);
    std::hint::black_box(r)
}

/// With the stack depot on, a slab report in the host names the function that
/// allocated the object (`Allocated in %pS` as `name+0xoff/0xsize`, then its saved
/// stack), and ends with `dump_stack()`'s header and a call trace through the
/// function that freed it.
#[test]
fn reports_name_the_allocating_function_and_dump_the_stack() {
    let mut hm = HostedMachine::boot(&Machine::profile("pc-8g").unwrap(), BootMode::Full).unwrap();
    let params = hm.slub_params();
    let sc = oxmm::slab::SlabCaches::init(hm.mm_mut(), params).unwrap();
    let mm = hm.mm();
    mm.platform().capture_printk();
    mm.platform().enable_stack_depot();
    let f = SlabFlags(
        SlabFlags::CONSISTENCY_CHECKS.0
            | SlabFlags::RED_ZONE.0
            | SlabFlags::POISON.0
            | SlabFlags::STORE_USER.0,
    );
    let id = sc.kmem_cache_create(mm, "victims", 64, 0, f, None).unwrap();
    let p = allocate_the_victim(mm, &sc, id);
    // SAFETY: the byte after the 64-byte object is its right red zone, inside the
    // slab in the hosted direct map: the overrun the report is about.
    unsafe { p.add(64).write(0x42) };
    assert!(free_the_victim(mm, &sc, id, p).is_err());
    let log: Vec<String> = mm
        .platform()
        .take_printk()
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    assert!(
        log.iter()
            .any(|l| l == "BUG victims (Not tainted): Right Redzone overwritten"),
        "{log:#?}"
    );
    let at = log
        .iter()
        .position(|l| l.starts_with("Allocated in "))
        .unwrap_or_else(|| panic!("{log:#?}"));
    let alloc = &log[at];
    assert!(
        alloc.starts_with("Allocated in slub_debug_hosted::allocate_the_victim+0x"),
        "{alloc}"
    );
    let sym = alloc
        .strip_prefix("Allocated in ")
        .and_then(|s| s.split(' ').next())
        .unwrap();
    let (off, size) = sym.rsplit_once('+').unwrap().1.split_once('/').unwrap();
    let off = u64::from_str_radix(off.trim_start_matches("0x"), 16).unwrap();
    let size = u64::from_str_radix(size.trim_start_matches("0x"), 16).unwrap();
    assert!(off < size, "{alloc}");
    assert!(alloc.contains(" age=") && alloc.contains(" cpu=") && alloc.contains(" pid="));
    // The saved stack follows, from the core through the allocating function.
    assert!(
        !log.iter().any(|l| l.contains("stack trace missing")),
        "{log:#?}"
    );
    let stack: Vec<&String> = log[at + 1..]
        .iter()
        .take_while(|l| l.starts_with(' '))
        .collect();
    assert!(stack.len() >= 2, "{log:#?}");
    assert!(stack[0].starts_with(" oxmm::"), "{stack:#?}");
    assert!(
        stack
            .iter()
            .any(|l| l.starts_with(" slub_debug_hosted::allocate_the_victim+0x")),
        "{stack:#?}"
    );
    // dump_stack: the header, then the trace through the freeing function.
    let hdr = log
        .iter()
        .position(|l| l.starts_with("CPU: ") && l.contains(" Comm: "))
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert!(log[hdr].ends_with(" Not tainted 6.12.0 #1"), "{}", log[hdr]);
    assert_eq!(
        (log[hdr + 1].as_str(), log[hdr + 2].as_str()),
        ("Call Trace:", " <TASK>")
    );
    let trace: Vec<&String> = log[hdr + 3..]
        .iter()
        .take_while(|l| *l != " </TASK>")
        .collect();
    assert!(
        trace
            .iter()
            .any(|l| l.starts_with(" slub_debug_hosted::free_the_victim+0x")),
        "{trace:#?}"
    );
}

/// The machine's `Hardware name:` (from its boot log's DMI line) follows
/// `dump_stack()`'s `CPU:` header, as in Linux's `dump_stack_print_info`.
#[test]
fn dump_stack_names_the_hardware() {
    let mut m = Machine::profile("pc-8g").unwrap();
    let name = "QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014";
    m.hardware_name = Some(name.into());
    let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
    let p = hm.mm().platform();
    p.capture_printk();
    oxmm::platform::Platform::dump_stack(p, false);
    let log: Vec<String> = p.take_printk().into_iter().map(|(_, l)| l).collect();
    assert!(log[0].starts_with("CPU: ") && log[0].ends_with(" Not tainted 6.12.0 #1"));
    assert_eq!(log[1], format!("Hardware name: {name}"));
    assert_eq!(
        (log[2].as_str(), log[3].as_str()),
        ("Call Trace:", " <TASK>")
    );
}
