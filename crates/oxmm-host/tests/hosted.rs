//! HostedMachine: every profile boots, Full and DescribeOnly agree, the memmap lives in
//! anonymous (huge-page) memory, free pages stay aliasable, errors are reported.

use oxmm::mm::BootMode;
use oxmm::printk::Level;
use oxmm::types::PhysAddr;
use oxmm_host::hosted::{HostError, HostedMachine};
use oxmm_host::machine::Machine;

fn profile(name: &str) -> Machine {
    Machine::profile(name).unwrap()
}

/// Per zone: (nid, zone name, start, spanned, present, managed, free).
/// Per zone: node, name, start, spanned, present, managed (free pages differ by the
/// Full boot's per-CPU areas, compared in total below).
fn counts(hm: &HostedMachine) -> Vec<(u16, &'static str, u64, u64, u64, u64)> {
    hm.mm()
        .nodes()
        .flat_map(|n| {
            n.zones().iter().map(move |z| {
                (
                    n.nid().0,
                    z.zone_type().name(),
                    z.start_pfn(),
                    z.spanned_pages(),
                    z.present_pages(),
                    z.managed_pages(),
                )
            })
        })
        .collect()
}

#[test]
fn every_small_profile_boots_in_both_modes_and_they_agree() {
    for &name in Machine::profile_names() {
        let m = profile(name);
        let desc = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
        assert_eq!(desc.name(), name);
        assert_eq!(desc.mode(), BootMode::DescribeOnly);
        let lines = desc.log_lines();
        assert!(
            lines.iter().any(|l| l == "Zone ranges:"),
            "{name}: {lines:?}"
        );
        assert!(lines.iter().any(|l| l.starts_with("Memory: ")), "{name}");
        assert_eq!(desc.log().len(), desc.log_times().len());
        if name == "big-1t" {
            continue; // its full boot is the benchmark (BENCHMARKS.md)
        }
        let full = HostedMachine::boot(&m, BootMode::Full).unwrap();
        assert_eq!(counts(&full), counts(&desc), "{name}");
        assert_eq!(
            full.mm().nr_free_pages() + full.mm().percpu_pages(),
            desc.mm().nr_free_pages(),
            "{name}"
        );
        assert_eq!(full.log_lines(), lines, "{name}");
        full.mm().check().unwrap();
        // Something was actually freed into the buddy lists.
        let free: u64 = full
            .mm()
            .nodes()
            .flat_map(|n| n.zones())
            .map(|z| z.free_pages())
            .sum();
        let listed: u64 = full
            .mm()
            .nodes()
            .flat_map(|n| n.zones())
            .map(|z| (0..=10).map(|o| z.nr_free(o) << o).sum::<u64>())
            .sum();
        assert!(free > 0 && free == listed, "{name}: {free} vs {listed}");
    }
}

#[test]
fn log_lines_are_the_info_lines() {
    let hm = HostedMachine::boot(&profile("pc-8g"), BootMode::DescribeOnly).unwrap();
    let info: Vec<String> = hm
        .log()
        .iter()
        .filter(|(l, _)| *l <= Level::Info)
        .map(|(_, s)| s.clone())
        .collect();
    assert_eq!(hm.log_lines(), info);
    assert!(hm.log_times().windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn memory_summary_adds_up() {
    let hm = HostedMachine::boot(&profile("numa-2x16g"), BootMode::Full).unwrap();
    let s = hm.memory_summary();
    assert!(
        s.starts_with("Memory summary of numa-2x16g (full boot,"),
        "{s}"
    );
    let c = counts(&hm);
    let total_present: u64 = c.iter().map(|z| z.4).sum();
    let total_free = hm.mm().nr_free_pages();
    let total = s
        .lines()
        .find(|l| l.trim_start().starts_with("total"))
        .unwrap();
    let nums: Vec<u64> = total
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(nums[1], total_present, "{total}");
    assert_eq!(nums[3], total_free, "{total}");
    assert!(s.contains("Node 1 Normal"), "{s}");
    assert!(
        s.contains(&format!("{} MiB present", total_present * 4 / 1024)),
        "{s}"
    );
}

#[test]
fn full_boot_puts_the_memmap_in_anonymous_memory_and_keeps_free_pages_aliasable() {
    let hm = HostedMachine::boot(&profile("pc-8g"), BootMode::Full).unwrap();
    let mm = hm.mm();
    let mem = mm.platform().physmem().expect("a full boot has memory");
    let anon = mem.anonymous_ranges();
    assert!(!anon.is_empty());
    // Every anonymous range is memory the core reserved for itself.
    let reserved = mm.memblock().reserved().regions();
    for &(s, e) in &anon {
        assert!(
            reserved
                .iter()
                .any(|r| r.base.0 <= s && e <= r.base.0 + r.size),
            "anonymous [{s:#x}, {e:#x}) is not reserved"
        );
    }
    // The memmap (32 bytes per present page) is covered.
    let present: u64 = counts(&hm).iter().map(|z| z.4).sum();
    let anon_bytes: u64 = anon.iter().map(|(s, e)| e - s).sum();
    assert!(
        anon_bytes >= present * 32,
        "{anon_bytes} < {}",
        present * 32
    );
    for rank in 0.. {
        let Some(entry) = mm.memmap().rank_entry(rank) else {
            break;
        };
        assert!(
            mem.is_anonymous(PhysAddr(entry.memmap)),
            "rank {rank}: {entry:?}"
        );
    }
    // A free page (not reserved) can still be mapped a second time.
    let (free_start, _, _) = mm
        .memblock()
        .free_ranges(None)
        .max_by_key(|(s, e, _)| e.0 - s.0)
        .unwrap();
    let page = PhysAddr(free_start.0.next_multiple_of(4096));
    let alias = mem.map_alias(page, 4096).unwrap();
    // SAFETY: the page is free memory of the machine, mapped twice; nothing else uses it.
    unsafe {
        mem.phys_to_virt(page).unwrap().write(0x77);
        assert_eq!(alias.as_ptr().read_volatile(), 0x77);
    }
    // A memmap page cannot.
    assert!(matches!(
        mem.map_alias(PhysAddr(anon[0].0), 4096),
        Err(HostError::NotAliasable { .. })
    ));
}

#[test]
fn describe_only_of_an_unmappable_machine_runs_without_memory() {
    // Memory near 2^50: more address space than the host can map, so the description
    // boots without a direct map, and a full boot is refused with the size named.
    let m = Machine::from_toml_str(
        r#"
name = "far"
arch = "x86-64"
phys_bits = 52
e820 = [ { range = "0x0-0x9fbff", type = "usable" },
         { range = "0x100000-0x7fffffff", type = "usable" },
         { range = "0x3ffff00000000-0x3ffff3fffffff", type = "usable" } ]
"#,
        "far.toml",
    )
    .unwrap();
    let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
    assert!(hm.mm().platform().physmem().is_none());
    assert!(hm.log_lines().iter().any(|l| l.starts_with("Memory: ")));
    let e = HostedMachine::boot(&m, BootMode::Full).unwrap_err();
    assert!(matches!(e, HostError::PhysMemSize { .. }), "{e}");
    assert!(e.to_string().contains("1125896685617152 bytes"), "{e}");
}

#[test]
fn machine_errors_pass_through() {
    let mut m = profile("pc-8g");
    m.nodes.push(oxmm_host::machine::NodeSpec {
        id: 0,
        ranges: vec!["0x0-0xfff".into()],
        cpus: 1,
        hotplug: false,
    });
    m.nodes.push(oxmm_host::machine::NodeSpec {
        id: 1,
        ranges: vec!["0x0-0xfff".into()],
        cpus: 1,
        hotplug: false,
    });
    let e = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap_err();
    assert!(matches!(e, HostError::Machine(_)), "{e}");
}

#[test]
fn a_bad_page_report_ends_as_linuxs_and_taints() {
    use oxmm::gfp::Gfp;
    // bad_page: the page's dump and reason, print_modules, dump_stack (the first one
    // "Not tainted"), then add_taint, which says it disables lock debugging once;
    // the next report's stack says "Tainted: G    B".
    let hm = HostedMachine::boot(&profile("pc-8g"), BootMode::Full).unwrap();
    let mm = hm.mm();
    let p = mm.platform();
    p.capture_printk();
    let pfn = mm.alloc_pages(Gfp::KERNEL, 0).unwrap();
    mm.free_pages(pfn, 0).unwrap();
    assert!(!mm.tainted_bad_page());
    assert!(mm.free_pages(pfn, 0).is_err());
    assert!(mm.tainted_bad_page());
    assert!(mm.free_pages(pfn, 0).is_err());
    let log = p.take_printk();
    let text: Vec<&str> = log.iter().map(|(_, l)| l.as_str()).collect();
    let at = |prefix: &str| -> Vec<usize> {
        (0..text.len())
            .filter(|&i| text[i].starts_with(prefix))
            .collect()
    };
    let bug = at("BUG: Bad page state in process ");
    assert_eq!(bug.len(), 2);
    assert_eq!(log[bug[0]].0, Level::Alert);
    assert_eq!(at("Modules linked in:").len(), 2);
    assert_eq!(at("Disabling lock debugging due to kernel taint").len(), 1);
    let cpu = at("CPU: ");
    assert_eq!(cpu.len(), 2);
    assert!(text[cpu[0]].contains(" Not tainted "), "{}", text[cpu[0]]);
    assert!(
        text[cpu[1]].contains(" Tainted: G    B "),
        "{}",
        text[cpu[1]]
    );
    // In Linux's order: reason, modules, stack, then the taint's line.
    let reason = at("page dumped because: ")[0];
    assert_eq!(text[reason + 1], "Modules linked in:");
    assert_eq!(cpu[0], reason + 2);
    let taint = at("Disabling lock debugging")[0];
    assert!(taint > cpu[0] && taint < bug[1]);
    assert_eq!(log[reason].0, Level::Warning);
}
