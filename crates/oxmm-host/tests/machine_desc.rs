//! Machine descriptions: TOML round trips, every error case, e820 sanitising, command-line
//! options and the built-in profiles.

use oxmm::boot::{Arch, CoreSize, ThpMode};
use oxmm::memblock::MemblockFlags;
use oxmm::mmzone::ZoneType;
use oxmm::types::{NodeId, PhysAddr};
use oxmm_host::machine::{
    BootOptions, E820Table, E820Type, ErrorKind, Location, Machine, MachineError, Memmap,
};

const TINY: &str = r#"
name = "tiny"
arch = "x86-64"
cpus = 2
e820 = [
  { range = "0x0-0x9fbff", type = "usable" },
  { range = "0x100000-0x7fffffff", type = "usable" },
]
"#;

fn expect_err(text: &str, kind: ErrorKind, loc: Location, words: &[&str]) -> MachineError {
    let e = Machine::from_toml_str(text, "bad.toml").unwrap_err();
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.location, loc, "{e}");
    let s = e.to_string();
    assert!(s.starts_with("bad.toml: "), "{s}");
    for w in words {
        assert!(s.contains(w), "`{s}` lacks `{w}`");
    }
    e
}

#[test]
fn toml_round_trip_of_every_profile() {
    for name in Machine::profile_names() {
        let m = Machine::profile(name).unwrap();
        let text = m.to_toml_string();
        let back = Machine::from_toml_str(&text, "rt.toml").unwrap();
        assert_eq!(back.to_toml_string(), text, "{name}");
        let mut back = back;
        back.origin = m.origin.clone();
        assert_eq!(back, m, "{name}");
    }
}

#[test]
fn malformed_toml_names_the_line() {
    let e = expect_err(
        "name = \"x\"\narch = \"x86-64\"\ncpus = = 3\n",
        ErrorKind::Toml,
        Location::Line(3),
        &["line 3"],
    );
    assert!(!e.reason.is_empty());
    expect_err(
        "name = \"x\"\narch = \"x86-64\"\nbogus = 1\n",
        ErrorKind::Toml,
        Location::Line(3),
        &["bogus"],
    );
}

#[test]
fn bad_numbers_ranges_and_widths_name_the_field() {
    let t = TINY.replace("0x100000-0x7fffffff", "0x100000-0x7zzz");
    expect_err(
        &t,
        ErrorKind::BadNumber,
        Location::Field("e820[1].range".into()),
        &["e820[1].range", "0x7zzz", "not a number"],
    );
    let t = TINY.replace("0x100000-0x7fffffff", "0x7fffffff-0x100000");
    expect_err(
        &t,
        ErrorKind::BadRange,
        Location::Field("e820[1].range".into()),
        &["before"],
    );
    let t = TINY.replace("0x100000-0x7fffffff", "0x100000-0xffffffffffffff");
    expect_err(
        &t,
        ErrorKind::BeyondPhysBits,
        Location::Field("e820[1].range".into()),
        &["46-bit"],
    );
    let t = TINY.replace("\"usable\" },\n]", "\"sometimes\" },\n]");
    expect_err(
        &t,
        ErrorKind::BadValue,
        Location::Field("e820[1].type".into()),
        &["sometimes"],
    );
    let t = TINY.replace("x86-64", "vax");
    expect_err(
        &t,
        ErrorKind::BadValue,
        Location::Field("arch".into()),
        &["vax"],
    );
    let t = format!("{TINY}page_size = 8192\n");
    expect_err(
        &t,
        ErrorKind::BadValue,
        Location::Field("page_size".into()),
        &["8192"],
    );
}

#[test]
fn no_memory_map_is_an_error() {
    expect_err(
        "name = \"x\"\narch = \"x86-64\"\n",
        ErrorKind::NoMemoryMap,
        Location::Field("e820".into()),
        &["e820"],
    );
    expect_err(
        "name = \"x\"\narch = \"arm64\"\n",
        ErrorKind::NoMemoryMap,
        Location::Field("memory".into()),
        &["memory"],
    );
    let e = Machine::from_dmesg_str(
        "[    0.000000] Linux version 6.12.0\n[    0.1] hello\n",
        "empty.log",
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoMemoryMap);
    assert!(e.to_string().starts_with("empty.log: no memory map"), "{e}");
}

#[test]
fn overlapping_nodes_and_bad_distances() {
    let t = format!(
        "{TINY}distances = [[10, 20], [20, 10]]\n[[node]]\nid = 0\nranges = [\"0x0-0x3fffffff\"]\n[[node]]\nid = 1\nranges = [\"0x3ff00000-0x7fffffff\"]\n"
    );
    expect_err(
        &t,
        ErrorKind::NodeOverlap,
        Location::Field("node".into()),
        &["node 0", "node 1", "overlaps"],
    );
    let t = format!(
        "{TINY}distances = [[10, 20, 20], [20, 10, 20]]\n[[node]]\nid = 0\nranges = [\"0x0-0x3fffffff\"]\n[[node]]\nid = 1\nranges = [\"0x40000000-0x7fffffff\"]\n"
    );
    expect_err(
        &t,
        ErrorKind::BadDistances,
        Location::Field("distances".into()),
        &["2x2", "2 rows"],
    );
}

#[test]
fn reservation_outside_memory_fails_setup() {
    let t =
        format!("{TINY}reserve = [ {{ range = \"0x80000000-0x80ffffff\", kind = \"initrd\" }} ]\n");
    let m = Machine::from_toml_str(&t, "bad.toml").unwrap();
    let e = m.setup().unwrap_err();
    assert_eq!(e.kind, ErrorKind::ReservationOutsideMemory);
    assert_eq!(e.location, Location::Field("reserve[0].range".into()));
    assert!(
        e.to_string()
            .contains("initrd reservation 0x80000000-0x80ffffff is not inside memory"),
        "{e}"
    );
    let t =
        format!("{TINY}reserve = [ {{ range = \"0x1000000-0x1ffffff\", kind = \"initrd\" }} ]\n");
    let s = Machine::from_toml_str(&t, "ok.toml")
        .unwrap()
        .setup()
        .unwrap();
    assert!(s
        .memblock()
        .is_region_reserved(PhysAddr(0x100_0000), 0x100_0000));
}

#[test]
fn unknown_profile() {
    let e = Machine::profile("pc-9000").unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownProfile);
    assert!(
        e.to_string().contains("unknown profile `pc-9000`") && e.to_string().contains("pc-8g"),
        "{e}"
    );
}

#[test]
fn bad_dmesg_lines_name_the_line() {
    let log = "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n\
               [    0.000000] BIOS-e820: [mem 0x00000000001000zz-0x000000007fffffff] usable\n";
    let e = Machine::from_dmesg_str(log, "x.log").unwrap_err();
    assert_eq!(e.location, Location::Line(2), "{e}");
    assert!(e.to_string().starts_with("x.log: line 2: "), "{e}");
    let log = "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x0000000000000fff] usable\n";
    let e = Machine::from_dmesg_str(log, "x.log").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRange, "{e}");
    let log = "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n\
               [    0.000000] Kernel command line: mem=lots\n";
    let e = Machine::from_dmesg_str(log, "x.log").unwrap_err();
    assert_eq!(e.location, Location::Line(2), "{e}");
    assert!(e.to_string().contains("lots"), "{e}");
}

#[test]
fn e820_overlaps_resolve_by_type_and_unsorted_input_sorts() {
    let mut t = E820Table::default();
    t.add(0x100000, 0x7ff00000, E820Type::Ram);
    t.add(0x0, 0x9fc00, E820Type::Ram);
    t.add(0x7000000, 0x1000000, E820Type::Acpi); // inside RAM: ACPI (3) wins over RAM (1)
    t.add(0x7800000, 0x1000000, E820Type::Reserved); // overlaps ACPI: ACPI (3) beats reserved (2)
    t.add(0x9f000, 0x2000, E820Type::Reserved); // straddles the end of low RAM
    t.update_table();
    let e: Vec<(u64, u64, E820Type)> = t
        .entries()
        .iter()
        .map(|e| (e.addr, e.end(), e.ty))
        .collect();
    assert_eq!(
        e,
        vec![
            (0x0, 0x9f000, E820Type::Ram),
            (0x9f000, 0xa1000, E820Type::Reserved),
            (0x100000, 0x7000000, E820Type::Ram),
            (0x7000000, 0x8000000, E820Type::Acpi),
            (0x8000000, 0x8800000, E820Type::Reserved),
            (0x8800000, 0x80000000, E820Type::Ram),
        ]
    );
    // Adjacent entries of one type merge; empty ones vanish.
    let mut t = E820Table::default();
    t.add(0x1000, 0x1000, E820Type::Ram);
    t.add(0x2000, 0x1000, E820Type::Ram);
    t.add(0x5000, 0, E820Type::Reserved);
    t.update_table();
    assert_eq!(t.entries().len(), 1);
    assert_eq!(t.entries()[0].size, 0x2000);
}

#[test]
fn e820_edits_and_bios_trim() {
    let mut t = E820Table::default();
    t.add(0, 0x9fc00, E820Type::Ram);
    t.add(0x9fc00, 0x400, E820Type::Reserved);
    t.add(0xf0000, 0x10000, E820Type::Reserved);
    t.add(0x100000, 0x1000_0000, E820Type::Ram);
    t.trim_bios_range();
    assert_eq!(t.entries()[0].ty, E820Type::Reserved);
    assert_eq!((t.entries()[0].addr, t.entries()[0].size), (0, 0x1000));
    assert_eq!(
        t.range_update(0x200000, 0x1000, E820Type::Ram, E820Type::Reserved),
        0x1000
    );
    assert_eq!(
        t.range_remove(0x400000, 0x1000, Some(E820Type::Reserved)),
        0
    );
    assert_eq!(
        t.range_remove(0x400000, 0x1000, Some(E820Type::Ram)),
        0x1000
    );
    assert_eq!(t.end_of_ram_pfn(12, 1 << 36), 0x10100);
    assert_eq!(t.end_of_low_ram_pfn(12), 0x10100);
}

#[test]
fn partial_pages_are_trimmed_from_memblock() {
    let text = r#"
name = "odd"
arch = "x86-64"
e820 = [
  { range = "0x0-0x9fbff", type = "usable" },
  { range = "0x100000-0x7ffd5bff", type = "usable" },
  { range = "0x100000800-0x17fffffff", type = "usable" },
]
"#;
    let s = Machine::from_toml_str(text, "odd.toml")
        .unwrap()
        .setup()
        .unwrap();
    let r: Vec<(u64, u64)> = s
        .memblock()
        .memory()
        .regions()
        .iter()
        .map(|r| (r.base.0, r.end().0))
        .collect();
    assert_eq!(
        r,
        vec![
            (0x1000, 0x9f000),
            (0x100000, 0x7ffd5000),
            (0x100001000, 0x180000000)
        ]
    );
    assert_eq!(s.max_pfn(), 0x180000);
    let cfg = s.boot_config();
    assert_eq!(cfg.zone_limits.get(ZoneType::Dma), Some(0x1000));
    assert_eq!(cfg.zone_limits.get(ZoneType::Dma32), Some(0x100000));
    assert_eq!(cfg.zone_limits.get(ZoneType::Normal), Some(0x180000));
}

#[test]
fn cmdline_options() {
    let o = BootOptions::parse("root=/dev/sda mem=3G memmap=512M$0x40000000 memmap=1G!4G,exactmap kernelcore=mirror movablecore=2G numa=off cma=64M@0x10000000 maxcpus=8 nr_cpus=4 transparent_hugepage=madvise movable_node").unwrap();
    assert_eq!(o.mem, Some(3 << 30));
    assert_eq!(
        o.memmap,
        vec![
            Memmap::Reserved {
                start: 0x4000_0000,
                size: 512 << 20
            },
            Memmap::Pram {
                start: 4 << 30,
                size: 1 << 30
            },
            Memmap::ExactMap
        ]
    );
    assert_eq!(o.kernelcore, Some(CoreSize::Mirror));
    assert_eq!(o.movablecore, Some(CoreSize::Bytes(2 << 30)));
    assert!(o.numa_off && o.movable_node);
    assert_eq!(o.cma, Some((64 << 20, Some(0x1000_0000))));
    assert_eq!(o.nr_cpus, Some(4));
    assert_eq!(o.thp, Some(ThpMode::Madvise));
    assert_eq!(BootOptions::parse(&o.to_cmdline()).unwrap(), o);
    assert_eq!(
        BootOptions::parse("memmap=1T@0x1E").unwrap().memmap,
        vec![Memmap::Ram {
            start: 0x1e,
            size: 1 << 40
        }]
    );
    assert_eq!(
        BootOptions::parse("movablecore=25%").unwrap().movablecore,
        Some(CoreSize::Percent(25))
    );
    for bad in [
        "kernelcore=101%",
        "mem=",
        "mem=4Q",
        "memmap=1G%4G",
        "transparent_hugepage=sometimes",
        "nr_cpus=many",
        "cma=1G@",
    ] {
        let e = BootOptions::parse(bad).unwrap_err();
        let key = bad.split('=').next().unwrap();
        assert!(
            e.to_string().contains(&format!("cmdline: {key}")),
            "{bad}: {e}"
        );
    }
}

#[test]
fn cmdline_overrides_change_setup() {
    let mut m = Machine::profile("pc-8g").unwrap();
    let full = m.setup().unwrap().memblock().phys_mem_size();
    m.apply_cmdline("mem=4G memmap=256M$0x20000000 numa=off kernelcore=1G")
        .unwrap();
    let s = m.setup().unwrap();
    assert!(s.memblock().end_of_dram().0 <= 4 << 30);
    assert!(s.memblock().phys_mem_size() < full);
    assert!(!s.memblock().is_region_memory(PhysAddr(0x2000_0000), 0x1000));
    assert_eq!(s.boot_config().kernelcore, Some(CoreSize::Bytes(1 << 30)));
    let e = m.apply_cmdline("movablecore=lots").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("--cmdline: field `cmdline: movablecore`"),
        "{e}"
    );
    // memmap=nn@ss adds RAM, memmap=nn!ss makes persistent memory.
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline("memmap=1G!0x100000000").unwrap();
    let s = m.setup().unwrap();
    assert!(!s.memblock().is_memory(PhysAddr(0x1_2000_0000)));
}

#[test]
fn an_initrd_that_boot_options_take_out_of_memory_is_relocated() {
    // pc-8g's bootloader put a 48 MiB initrd at 0x7c000000.
    let initrd = 0x300_0000;
    let reserved = |s: &oxmm_host::machine::ArchSetup, a: u64, size: u64| {
        s.memblock()
            .reserved()
            .regions()
            .iter()
            .any(|r| r.base.0 <= a && a + size <= r.end().0)
    };
    let s = Machine::profile("pc-8g").unwrap().setup().unwrap();
    assert!(reserved(&s, 0x7c00_0000, initrd));
    // mem=1G: reserve_initrd's relocate_initrd, top-down below the end of the direct
    // map, as Linux put a 1008K initrd at 0x5db04000 under mem=1500M (the
    // q35-4g-mem1500m capture) and at 0x3ff04000 under mem=1G.
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline("mem=1G").unwrap();
    let s = m.setup().unwrap();
    assert!(reserved(&s, (1 << 30) - initrd, initrd));
    assert!(!s
        .memblock()
        .reserved()
        .overlaps_region(PhysAddr(0x7c00_0000), initrd));
    // The initrd's memory reserved as RAM: top of memory (above 4 GiB) it is.
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline("memmap=48M$0x7c000000").unwrap();
    let s = m.setup().unwrap();
    assert!(reserved(&s, 0x2_8000_0000 - initrd, initrd));
    // A late free of the initrd follows it.
    let mut m = Machine::profile("pc-8g").unwrap();
    m.late_free.push(oxmm_host::machine::LateFree {
        name: "initrd".into(),
        range: "0x7c000000-0x7effffff".into(),
    });
    m.apply_cmdline("mem=1G").unwrap();
    let s = m.setup().unwrap();
    assert_eq!(
        s.late_frees(),
        &[((1 << 30) - initrd, 1 << 30, "initrd".to_string())]
    );
    // No room anywhere: Linux panics ("Cannot find place for new RAMDISK"); an error.
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline("mem=64M").unwrap();
    let e = m.setup().unwrap_err();
    assert!(
        e.to_string().contains("new RAMDISK of size 0x3000000"),
        "{e}"
    );
}

#[test]
fn every_profile_sets_up() {
    for name in Machine::profile_names() {
        let m = Machine::profile(name).unwrap();
        let s = m.setup().unwrap_or_else(|e| panic!("{name}: {e}"));
        let cfg = s.boot_config();
        assert!(!cfg.nodes.is_empty(), "{name}");
        assert!(s.memblock().phys_mem_size() > 0);
        assert_eq!(
            cfg.nodes.iter().map(|n| n.nr_cpus).sum::<u32>(),
            cfg.nr_cpus,
            "{name}"
        );
        assert!(m.memory_size() >= s.memblock().end_of_dram().0, "{name}");
    }
    let s = Machine::profile("pc-8g").unwrap().setup().unwrap();
    assert_eq!(
        s.memblock().phys_mem_size(),
        0x9e000 + (0x7ffdf000 - 0x100000) + (6 << 30)
    );
    assert!(
        s.memblock()
            .is_region_reserved(PhysAddr(0x100_0000), 0x1000),
        "kernel image at 16 MiB"
    );

    let s = Machine::profile("numa-2x16g").unwrap().setup().unwrap();
    assert_eq!(
        s.memblock().memory().regions().last().unwrap().nid,
        Some(NodeId(1))
    );
    assert_eq!(s.boot_config().distances.get(NodeId(1), NodeId(0)), 21);

    let s = Machine::profile("ia32-4g").unwrap().setup().unwrap();
    assert_eq!(s.boot_config().arch, Arch::Ia32);
    assert_eq!(s.max_low_pfn(), 0x38000);
    assert_eq!(
        s.boot_config().zone_limits.get(ZoneType::HighMem),
        Some(0x140000)
    );

    let s = Machine::profile("arm64-board").unwrap().setup().unwrap();
    assert_eq!(s.boot_config().arch, Arch::Arm64);
    assert_eq!(s.cma().len(), 4);
    assert_eq!(s.cma()[0].name, "reserved");
    assert_eq!(s.cma()[0].base, PhysAddr(0x8300_0000));
    let nomap: u64 = s
        .memblock()
        .memory()
        .regions()
        .iter()
        .filter(|r| r.flags.contains(MemblockFlags::NOMAP))
        .map(|r| r.size)
        .sum();
    // bst_atf (32 MiB) + firmware (1 MiB) + the DMA-pool carve-out 0x8fec0000-0xb1ffffff.
    assert_eq!(nomap, (33 << 20) + 0x2214_0000);
    assert_eq!(
        s.boot_config().zone_limits.get(ZoneType::Dma),
        Some(0x100000)
    );

    let s = Machine::profile("big-1t").unwrap().setup().unwrap();
    assert_eq!(s.nodes().len(), 8);
    assert_eq!(s.memblock().phys_mem_size() >> 30, 1023);
    assert_eq!(s.boot_config().distances.get(NodeId(0), NodeId(7)), 22);
}

#[test]
fn toml_file_errors_name_the_file() {
    let e = Machine::from_toml_file("/nonexistent/m.toml").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/m.toml: cannot read"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("oxmm-machine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("m.toml");
    std::fs::write(&p, TINY.replace("cpus = 2", "cpus = \"two\"")).unwrap();
    let e = Machine::from_toml_file(&p).unwrap_err();
    assert_eq!(e.location, Location::Line(4), "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("{}: line 4", p.display())),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn arm64_mem_keeps_nomap_memory_and_reserves_nodes_it_cut_off() {
    use oxmm::mm::BootMode;
    use oxmm_host::hosted::HostedMachine;
    // arm64-board with `mem=512M` (its reusable nodes above 512 MiB left out, see
    // below). `memblock_mem_limit_remove_map`: the limit runs out 256.25 MiB into the
    // NOMAP region 0x8fec0000-0xb1ffffff (1 MiB + 254.75 MiB of memory before it),
    // at 0x9ff00000; mapped memory above goes, NOMAP memory stays.
    let mut m = Machine::profile("arm64-board").unwrap();
    m.reserved_mem.retain(|r| !r.reusable);
    // A node mem= leaves outside memory altogether: Linux reserves it all the same.
    m.reserved_mem.push(oxmm_host::machine::ReservedMem {
        name: "far@0xc0000000".into(),
        range: "0xc0000000-0xc0ffffff".into(),
        nomap: false,
        reusable: false,
    });
    m.apply_cmdline("mem=512M").unwrap();
    let s = m.setup().unwrap();
    let mb = s.memblock();
    let nomap: Vec<_> = mb
        .memory()
        .regions()
        .iter()
        .filter(|r| r.flags.contains(MemblockFlags::NOMAP))
        .map(|r| (r.base.0, r.end().0))
        .collect();
    assert!(nomap.contains(&(0x9ff0_0000, 0xb200_0000)), "{nomap:x?}");
    assert_eq!(mb.end_of_dram(), PhysAddr(0xb200_0000));
    let mapped: u64 = mb
        .memory()
        .regions()
        .iter()
        .filter(|r| !r.flags.contains(MemblockFlags::NOMAP))
        .map(|r| r.size)
        .sum();
    assert!(mapped <= 512 << 20, "{mapped:#x}");
    // bst_isp@0xa1000000 lies in the NOMAP memory; far@0xc0000000 in none.
    assert!(mb
        .reserved()
        .overlaps_region(PhysAddr(0xa100_0000), 0x100_0000));
    assert!(mb
        .reserved()
        .overlaps_region(PhysAddr(0xc000_0000), 0x100_0000));
    // And the machine boots in full, the reservation outside memory changing nothing:
    // present pages are the memory left, NOMAP included, as Linux counts them.
    let hm = HostedMachine::boot(&m, BootMode::Full).unwrap();
    let present: u64 = hm.mm().nodes().map(|n| n.present_pages()).sum();
    assert_eq!(present << 12, mb.memory().total_size());
    assert_eq!(mb.memory().total_size(), 801 << 20);

    // A reusable node cut off by mem= would be a CMA area Linux cannot activate.
    let mut m = Machine::profile("arm64-board").unwrap();
    m.apply_cmdline("mem=512M").unwrap();
    let e = m.setup().unwrap_err();
    assert_eq!(e.kind, ErrorKind::ReservationOutsideMemory);
    assert!(
        e.to_string()
            .contains("reusable reserved-memory node `coreip_pub_cma@0xb2000000`"),
        "{e}"
    );

    // A kernel image the description places above the limit is memory again.
    let mut m = Machine::profile("arm64-board").unwrap();
    m.reserved_mem.retain(|r| !r.reusable);
    m.kernel.base = Some(0xc000_0000);
    m.apply_cmdline("mem=512M").unwrap();
    let s = m.setup().unwrap();
    assert!(s
        .memblock()
        .is_region_reserved(PhysAddr(0xc000_0000), 0x1000));
    assert!(s
        .memblock()
        .memory()
        .regions()
        .iter()
        .any(|r| r.base.0 <= 0xc000_0000 && 0xc000_0000 < r.end().0));
}

#[test]
fn arm32_mem_replaces_the_memory_with_one_bank() {
    // arch/arm early_mem: the first `mem=` removes the memory the device tree gave and
    // adds one bank of that size at PHYS_OFFSET (here the start of RAM), hole or not.
    let t = r#"
name = "arm-two-banks"
arch = "arm"
cpus = 1
memory = [ { range = "0x80000000-0x8fffffff" }, { range = "0xa0000000-0xafffffff" } ]
"#;
    let mut m = Machine::from_toml_str(t, "arm.toml").unwrap();
    m.apply_cmdline("mem=384M").unwrap();
    let s = m.setup().unwrap();
    let mem: Vec<_> = s
        .memblock()
        .memory()
        .regions()
        .iter()
        .map(|r| (r.base.0, r.end().0))
        .collect();
    assert_eq!(mem, [(0x8000_0000, 0x9800_0000)]);
}

#[test]
fn sysctl_boot_parameters_are_written_after_the_boot() {
    use oxmm::mm::BootMode;
    use oxmm_host::hosted::HostedMachine;
    // Linux's do_sysctl_args, after the boot: each value written as to
    // /proc/sys/vm/NAME, in order; a refused one reported and left as it was; the
    // array keeping what it read before a bad word (its handler ignores the error);
    // sysctls other than the page allocator's ignored.
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline(
        r#"sysctl.vm.min_free_kbytes=0x2000 sysctl.vm.percpu_pagelist_high_fraction=4 sysctl/vm/lowmem_reserve_ratio="64 x 16" sysctl.vm.swappiness=10 sysctl.vm.watermark_boost_factor=0"#,
    )
    .unwrap();
    assert_eq!(m.options().unwrap().sysctl.len(), 5);
    let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
    let vm = hm.mm().sysctl();
    assert_eq!(vm.min_free_kbytes, 8192);
    assert_eq!(vm.user_min_free_kbytes, 8192);
    assert_eq!(vm.percpu_pagelist_high_fraction, 0);
    assert_eq!(vm.watermark_boost_factor, 0);
    assert_eq!(vm.lowmem_reserve_ratio[ZoneType::Dma as usize], 64);
    assert_eq!(vm.lowmem_reserve_ratio[ZoneType::Dma32 as usize], 256);
    let refused: Vec<String> = hm
        .log_lines()
        .into_iter()
        .filter(|l| l.starts_with("Failed to set sysctl"))
        .collect();
    assert_eq!(
        refused,
        ["Failed to set sysctl parameter 'vm.percpu_pagelist_high_fraction=4': invalid value"]
    );
    // The options survive a round trip through a command line, quotes and all.
    let o = m.options().unwrap();
    assert_eq!(BootOptions::parse(&o.to_cmdline()).unwrap(), o);
}

#[test]
fn sysctl_parameters_that_write_nothing_are_reported_as_linux_does() {
    use oxmm::mm::BootMode;
    use oxmm_host::hosted::HostedMachine;
    use oxmm_host::machine::SysctlTarget;
    // process_sysctl_arg: no value (or an empty one) is parse_args' -EINVAL line
    // naming the parameter as written; a path that does not open is reported with
    // the path as written after `sysctl.`; nothing else changes. (The lines as the
    // oracle's captures q35-2g-sysctl3 and q35-2g-sysctl4 show them.)
    let cmdline = "sysctl.vm.min_free_kbytes sysctl.vm.watermark_scale_factor= sysctl.=1 \
        sysctl.vm.nonexistent=1 sysctl/vm/nope=2 sysctl.vm=1 sysctl.vm.swappiness/x=1 \
        sysctl.vm.swappiness=10 sysctl.kernel.panic=5 sysctlfoo=1 sysctl.vm.min_free_kbytes=9000";
    let mut m = Machine::profile("pc-8g").unwrap();
    m.apply_cmdline(cmdline).unwrap();
    let o = m.options().unwrap();
    let targets: Vec<SysctlTarget> = o.sysctl.iter().map(|a| a.target).collect();
    use SysctlTarget::*;
    assert_eq!(
        targets,
        [
            Tunable("min_free_kbytes"),
            Tunable("watermark_scale_factor"),
            Directory,
            NotFound,
            NotFound,
            Directory,
            NotDirectory,
            Unmodelled,
            Unmodelled,
            Tunable("min_free_kbytes"),
        ]
    );
    let hm = HostedMachine::boot(&m, BootMode::DescribeOnly).unwrap();
    let lines: Vec<String> = hm
        .log_lines()
        .into_iter()
        .filter(|l| l.contains("sysctl"))
        .collect();
    assert_eq!(
        lines,
        [
            "Setting sysctl args: `' invalid for parameter `sysctl.vm.min_free_kbytes'",
            "Setting sysctl args: `' invalid for parameter `sysctl.vm.watermark_scale_factor'",
            "Error -EISDIR opening proc file to set sysctl parameter '=1'",
            "Failed to set sysctl parameter 'vm.nonexistent=1': parameter not found",
            "Failed to set sysctl parameter 'vm/nope=2': parameter not found",
            "Error -EISDIR opening proc file to set sysctl parameter 'vm=1'",
            "Error -ENOTDIR opening proc file to set sysctl parameter 'vm.swappiness/x=1'",
        ]
    );
    // The last word wins; the scale factor is untouched.
    assert_eq!(hm.mm().sysctl().min_free_kbytes, 9000);
    assert_eq!(hm.mm().sysctl().watermark_scale_factor, 10);
    assert_eq!(BootOptions::parse(&o.to_cmdline()).unwrap(), o);
}
