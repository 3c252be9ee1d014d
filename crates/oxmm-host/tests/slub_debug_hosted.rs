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

impl Platform for Log {
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
