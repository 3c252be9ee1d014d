//! Import a machine from a real Linux boot log: the firmware map (or device-tree memory),
//! the kernel's own e820 edits, NUMA affinity and distances, reservations, CMA areas,
//! command-line memory options, CPUs, kernel image sizes and the kernel version.

use super::cmdline::{parse_number, BootOptions};
use super::e820::E820Type;
use super::error::{ErrorKind, Location, MachineError};
use super::{
    fmt_range, parse_arch, E820Edit, Machine, MemoryDesc, NodeSpec, RangeDesc, Reservation,
    ReservedMem,
};
use oxmm::boot::{build_node_order, Arch, Distances, NodeFacts};
use oxmm::types::MAX_NUMNODES;
use std::collections::BTreeMap;

/// The `Hardware name:` a boot-log line sets: x86's `DMI: %s` (not the later
/// `DMI: Memory slots populated` line, nor `DMI not present`), or the device tree's
/// `Machine model: %s` (arm64 and riscv; arm's comes as `OF: fdt: Machine model: %s`),
/// which Linux records as `%s (DT)`.
fn hardware_name_of(msg: &str) -> Option<String> {
    if let Some(d) = msg.strip_prefix("DMI: ") {
        return (!d.starts_with("Memory slots populated")).then(|| d.trim_end().to_string());
    }
    let model = msg.strip_prefix("OF: fdt: ").unwrap_or(msg);
    model
        .strip_prefix("Machine model: ")
        .map(|m| format!("{} (DT)", m.trim_end()))
}

/// The message of a log line: without `[timestamp]` (any style), syslog/journal
/// `… kernel: ` prefixes or `<N>` priorities.
pub(super) fn message(raw: &str) -> &str {
    let mut s = raw.trim_end_matches('\r');
    if let Some(p) = s.find(" kernel: ") {
        s = &s[p + 9..];
    } else if let Some(rest) = s.strip_prefix("kernel: ") {
        s = rest;
    }
    if s.starts_with('<') {
        if let Some(p) = s.find('>') {
            if s[1..p].bytes().all(|b| b.is_ascii_digit()) {
                s = &s[p + 1..];
            }
        }
    }
    if s.starts_with('[') {
        if let Some(p) = s.find(']') {
            s = &s[p + 1..];
        }
    }
    s.trim()
}

/// `[mem 0xA-0xB]` (or `[mem 0xA..0xB]`) anywhere in `s` → `[A, B + 1)`.
fn mem_range(s: &str, line: usize, origin: &str) -> Result<Option<(u64, u64)>, MachineError> {
    let Some(p) = s.find("[mem ") else {
        return Ok(None);
    };
    let rest = &s[p + 5..];
    let end = rest.find(']').unwrap_or(rest.len());
    let body = rest[..end].split_whitespace().next().unwrap_or("");
    range_text(body, line, origin).map(Some)
}

fn range_text(body: &str, line: usize, origin: &str) -> Result<(u64, u64), MachineError> {
    let bad = |kind, why: String| MachineError::new(origin, Location::Line(line), kind, why);
    let (a, b) = body
        .split_once("..")
        .or_else(|| body.split_once('-'))
        .ok_or_else(|| bad(ErrorKind::BadNumber, format!("`{body}` is not a range")))?;
    let a = parse_number(a)
        .ok_or_else(|| bad(ErrorKind::BadNumber, format!("`{a}` is not a number")))?;
    let b = parse_number(b)
        .ok_or_else(|| bad(ErrorKind::BadNumber, format!("`{b}` is not a number")))?;
    if b < a {
        return Err(bad(
            ErrorKind::BadRange,
            format!("range end {b:#x} is before its start {a:#x}"),
        ));
    }
    let e = b
        .checked_add(1)
        .ok_or_else(|| bad(ErrorKind::BadRange, format!("range end {b:#x} overflows")))?;
    Ok((a, e))
}

/// The e820 type named after `]` of a map line.
fn e820_type(s: &str, line: usize, origin: &str) -> Result<E820Type, MachineError> {
    let t = s.rsplit(']').next().unwrap_or("").trim();
    E820Type::parse(t).ok_or_else(|| {
        MachineError::new(
            origin,
            Location::Line(line),
            ErrorKind::BadValue,
            format!("`{t}` is not an e820 type"),
        )
    })
}

/// A number followed by `K`, e.g. `16384K` → bytes.
fn kib(s: &str) -> Option<u64> {
    s.trim()
        .strip_suffix('K')?
        .parse::<u64>()
        .ok()
        .map(|k| k << 10)
}

/// `N MiB` at the start of `s`.
fn mib(s: &str) -> Option<u64> {
    let mut w = s.split_whitespace();
    let n: u64 = w.next()?.parse().ok()?;
    (w.next()? == "MiB").then_some(n << 20)
}

/// Lines that come after `e820__memblock_setup`: e820 edits printed later no longer
/// change memblock.memory.
const AFTER_MEMBLOCK_SETUP: &[&str] = &[
    "found SMP MP-table",
    "BRK [",
    "RAMDISK:",
    "Using GB pages",
    "init_memory_mapping",
    "ACPI: Early table checksum",
    "ACPI: RSDP",
    "ACPI: Reserving",
    "ACPI: SRAT",
    "SRAT:",
    "No NUMA configuration",
    "NUMA:",
    "NODE_DATA",
    "Zone ranges",
];

/// A node's SRAT memory ranges, CPU count and hotplug flag.
type SratNode = (Vec<(u64, u64)>, u32, bool);

#[derive(Default)]
struct Pool {
    name: String,
    range: (u64, u64),
    reusable: bool,
    nomap: bool,
    exact: bool,
}

pub(super) fn from_dmesg_str(text: &str, origin: &str) -> Result<Machine, MachineError> {
    let mut version: Option<String> = None;
    let mut header_version: Option<String> = None;
    let mut header_arch: Option<String> = None;
    let mut cmdline: Option<(String, usize)> = None;
    let mut unknown_params: Vec<String> = Vec::new();
    let mut bios: Vec<(u64, u64, E820Type)> = Vec::new();
    let mut user: Vec<(u64, u64, E820Type)> = Vec::new();
    // (line, seen before the first post-memblock marker, edit)
    let mut edits: Vec<(usize, bool, E820Edit)> = Vec::new();
    let mut memblock_done = false;
    let mut last_pfn_line: Option<usize> = None;
    // node → (memory ranges, CPUs, hotplug)
    let mut srat: BTreeMap<u16, SratNode> = BTreeMap::new();
    let mut online: Vec<u16> = Vec::new();
    let mut zones: Vec<(String, Option<(u64, u64)>)> = Vec::new();
    let mut in_zones = false;
    let mut early: Vec<(u16, u64, u64)> = Vec::new();
    let mut in_early = false;
    let mut low_ram: Option<u64> = None;
    let mut pools: Vec<Pool> = Vec::new();
    let mut nr_cpu_ids: Option<u32> = None;
    let mut smp_cpus: Option<u32> = None;
    let mut pcpu_cpus = 0u32;
    let mut kernel = super::KernelDesc::default();
    let mut dist_rows: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
    let mut initrd: Option<(u64, u64)> = None;
    // Where `relocate_initrd` moved it when mem=/memmap= left it outside memory.
    let mut initrd_moved: Option<(u64, u64)> = None;
    let mut arch_hint: Option<Arch> = None;
    let mut numa_kernel = false;
    let mut prints_fallback = false;
    // free_area_init_core's `  DMA zone: N pages reserved` (zone 0's dma_reserve).
    let mut dma_reserve: Option<u64> = None;
    let mut movable_starts = 0usize;
    let mut in_movable = false;
    // node → the node order its `Fallback order for Node N:` line shows.
    let mut fallback: BTreeMap<u16, Vec<u16>> = BTreeMap::new();
    // dmi_setup's `DMI: %s` (x86) or setup_machine_fdt's `Machine model: %s` (DT).
    let mut hardware_name: Option<String> = None;

    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        if let Some(h) = raw.strip_prefix('#') {
            let h = h.trim();
            if let Some(v) = h.strip_prefix("Kernel:") {
                header_version = Some(v.trim().to_string());
            } else if let Some(a) = h.strip_prefix("Arch:") {
                header_arch = a.split_whitespace().next().map(str::to_string);
            } else if let Some(row) = distance_row(h) {
                dist_rows.insert(row.0, row.1);
            }
            continue;
        }
        let msg = message(raw);
        if msg.is_empty() {
            continue;
        }
        if AFTER_MEMBLOCK_SETUP.iter().any(|m| msg.starts_with(m)) {
            memblock_done = true;
        }
        numa_kernel |= prints_numa(msg);
        prints_fallback |= msg.starts_with("Fallback order for Node");
        if dma_reserve.is_none() {
            dma_reserve = msg
                .trim_start()
                .split_once(" zone: ")
                .and_then(|(_, r)| r.strip_suffix(" pages reserved"))
                .and_then(|n| n.parse().ok());
        }
        // Sections that run over several lines.
        if in_zones {
            let mut w = msg.split_whitespace();
            let name = w.next().unwrap_or("");
            // `Movable zone start for each node` follows the block: a zone line has a
            // range or `empty`.
            let zone_line = msg.contains("[mem ") || msg.ends_with("empty");
            if zone_line
                && matches!(
                    name,
                    "DMA" | "DMA32" | "Normal" | "HighMem" | "Device" | "Movable"
                )
            {
                zones.push((name.to_string(), mem_range(msg, ln, origin)?));
                continue;
            }
            in_zones = false;
        }
        if in_early {
            if let Some(rest) = msg.strip_prefix("node") {
                if let Some((nid, _)) = rest.trim().split_once(':') {
                    if let (Ok(nid), Some(r)) =
                        (nid.trim().parse::<u16>(), mem_range(msg, ln, origin)?)
                    {
                        early.push((nid, r.0, r.1));
                        continue;
                    }
                }
            }
            in_early = false;
        }
        if in_movable {
            if msg.starts_with("Node ") && msg.contains(": 0x") {
                movable_starts += 1;
                continue;
            }
            in_movable = false;
        }
        if msg == "Movable zone start for each node" {
            in_movable = true;
            continue;
        }
        if hardware_name.is_none() {
            hardware_name = hardware_name_of(msg);
        }
        if let Some(v) = msg.strip_prefix("Linux version ") {
            version = v.split_whitespace().next().map(str::to_string);
            let l = v.to_ascii_lowercase();
            arch_hint = if l.contains("aarch64") || l.contains("arm64") {
                Some(Arch::Arm64)
            } else if l.contains("riscv") {
                Some(Arch::Riscv64)
            } else if l.contains("arm-linux") || l.contains("armv7") {
                Some(Arch::Arm)
            } else {
                arch_hint
            };
        } else if let Some(c) = msg
            .strip_prefix("Kernel command line:")
            .or_else(|| msg.strip_prefix("Command line:"))
        {
            cmdline = Some((c.trim().to_string(), ln));
        } else if let Some(u) = msg.strip_prefix("Unknown kernel command line parameters") {
            let u = u.trim().trim_start_matches('"');
            let u = u.split('"').next().unwrap_or("");
            unknown_params.extend(u.split_whitespace().map(str::to_string));
        } else if msg.starts_with("BIOS-e820:") {
            if let Some(r) = mem_range(msg, ln, origin)? {
                bios.push((r.0, r.1, e820_type(msg, ln, origin)?));
            }
        } else if msg.starts_with("user:") {
            if let Some(r) = mem_range(msg, ln, origin)? {
                user.push((r.0, r.1, e820_type(msg, ln, origin)?));
            }
        } else if msg.starts_with("last_pfn = ") || msg.starts_with("e820: last_pfn = ") {
            last_pfn_line = Some(ln);
        } else if let Some(rest) = msg.strip_prefix("e820: update ") {
            let r = mem_range(rest, ln, origin)?.unwrap_or((0, 1));
            let tail = rest.rsplit(']').next().unwrap_or("");
            let (from, to) = tail.split_once("==>").ok_or_else(|| {
                MachineError::new(
                    origin,
                    Location::Line(ln),
                    ErrorKind::BadValue,
                    format!("`{tail}`: expected `TYPE ==> TYPE`"),
                )
            })?;
            for t in [from, to] {
                E820Type::parse(t).ok_or_else(|| {
                    MachineError::new(
                        origin,
                        Location::Line(ln),
                        ErrorKind::BadValue,
                        format!("`{}` is not an e820 type", t.trim()),
                    )
                })?;
            }
            edits.push((
                ln,
                !memblock_done,
                E820Edit {
                    op: "update".into(),
                    range: fmt_range(r.0, r.1),
                    from: from.trim().into(),
                    to: Some(to.trim().into()),
                },
            ));
        } else if let Some(rest) = msg.strip_prefix("e820: remove ") {
            let r = mem_range(rest, ln, origin)?.unwrap_or((0, 1));
            let t = e820_type(rest, ln, origin)?;
            edits.push((
                ln,
                !memblock_done,
                E820Edit {
                    op: "remove".into(),
                    range: fmt_range(r.0, r.1),
                    from: t.name(),
                    to: None,
                },
            ));
        } else if let Some(rest) = msg
            .strip_prefix("ACPI: SRAT: Node ")
            .or_else(|| msg.strip_prefix("SRAT: Node "))
        {
            let nid: u16 = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    MachineError::new(
                        origin,
                        Location::Line(ln),
                        ErrorKind::BadNumber,
                        format!("`{rest}`: no node number"),
                    )
                })?;
            if let Some(r) = mem_range(rest, ln, origin)? {
                let e = srat.entry(nid).or_default();
                e.0.push(r);
                e.2 |= rest.trim_end().ends_with("hotplug");
            }
        } else if msg.starts_with("SRAT: PXM ") || msg.starts_with("ACPI: SRAT: PXM ") {
            // `SRAT: PXM P -> APIC 0xA -> Node N`: one CPU on node N.
            if let Some(n) = msg
                .rsplit("Node ")
                .next()
                .and_then(|n| n.trim().parse::<u16>().ok())
            {
                srat.entry(n).or_default().1 += 1;
            }
        } else if let Some(rest) = msg.strip_prefix("NODE_DATA(") {
            if let Some(n) = rest.split(')').next().and_then(|n| n.parse::<u16>().ok()) {
                online.push(n);
            }
        } else if let Some(n) = msg
            .strip_prefix("Initmem setup node ")
            .and_then(|r| r.strip_suffix(" as memoryless"))
            .or_else(|| {
                msg.strip_prefix("Fallback order for Node ")
                    .and_then(|r| r.split(':').next())
            })
        {
            // An online node without memory (CPUs only): free_area_init sets it up
            // and build_all_zonelists gives it a zonelist.
            if let Ok(n) = n.trim().parse::<u16>() {
                online.push(n);
                if let Some((_, order)) = msg.split_once(": ") {
                    let order: Option<Vec<u16>> =
                        order.split_whitespace().map(|w| w.parse().ok()).collect();
                    if let Some(order) = order {
                        fallback.insert(n, order);
                    }
                }
            }
        } else if msg == "Zone ranges:" {
            in_zones = true;
            zones.clear();
        } else if msg == "Early memory node ranges" {
            in_early = true;
            early.clear();
        } else if let Some(rest) = msg.strip_prefix("low ram: ") {
            low_ram = rest
                .split('-')
                .nth(1)
                .and_then(|e| u64::from_str_radix(e.trim(), 16).ok());
        } else if let Some(rest) = msg.strip_prefix("RAMDISK: ") {
            initrd = mem_range(rest, ln, origin)?;
        } else if let Some(rest) = msg.strip_prefix("Allocated new RAMDISK: ") {
            // The size there is the initrd's own; the reservation is whole pages.
            initrd_moved = mem_range(rest, ln, origin)?.map(|(a, b)| (a, b.next_multiple_of(4096)));
        } else if let Some(rest) = msg.strip_prefix("OF: reserved mem: ") {
            // 6.x detail line: `0xA..0xB (N KiB) nomap|map reusable|non-reusable NAME`.
            if rest.starts_with("0x") {
                let body = rest.split_whitespace().next().unwrap_or("");
                let r = range_text(body, ln, origin)?;
                let words: Vec<&str> = rest.split_whitespace().collect();
                let nomap = words.contains(&"nomap");
                let reusable = words.contains(&"reusable");
                let name = words.last().copied().unwrap_or("").to_string();
                pools.retain(|p| p.range.0 != r.0 || p.exact);
                pools.push(Pool {
                    name,
                    range: r,
                    reusable,
                    nomap,
                    exact: true,
                });
            } else if let Some(n) = rest.strip_prefix("initialized node ") {
                let name = n.split(',').next().unwrap_or("").to_string();
                if let Some(p) = pools.last_mut() {
                    if !p.exact && p.name.is_empty() {
                        p.name = name;
                    }
                }
            }
        } else if let Some(rest) = msg.strip_prefix("Reserved memory: created ") {
            // `CMA memory pool at 0xA, size N MiB` / `DMA memory pool at …`.
            let reusable = rest.starts_with("CMA");
            let at = rest.split(" at ").nth(1).unwrap_or("");
            let (base, size) = at.split_once(", size ").unwrap_or(("", ""));
            let base = parse_number(base.trim()).ok_or_else(|| {
                MachineError::new(
                    origin,
                    Location::Line(ln),
                    ErrorKind::BadNumber,
                    format!("`{}` is not a number", base.trim()),
                )
            })?;
            let size = mib(size).unwrap_or(0);
            if size > 0 && !pools.iter().any(|p| p.range.0 == base) {
                pools.push(Pool {
                    name: String::new(),
                    range: (base, base + size),
                    reusable,
                    nomap: false,
                    exact: false,
                });
            }
        } else if let Some(rest) = msg.strip_prefix("cma: Reserved ") {
            // `cma: Reserved N MiB at 0xA[ - 0xB][ on node -1]`.
            let size = mib(rest).ok_or_else(|| {
                MachineError::new(
                    origin,
                    Location::Line(ln),
                    ErrorKind::BadNumber,
                    format!("`{rest}`: no size in MiB"),
                )
            })?;
            let base = rest
                .split(" at ")
                .nth(1)
                .and_then(|b| b.split_whitespace().next())
                .and_then(parse_number);
            let base = base.ok_or_else(|| {
                MachineError::new(
                    origin,
                    Location::Line(ln),
                    ErrorKind::BadNumber,
                    format!("`{rest}`: no base address"),
                )
            })?;
            pools.push(Pool {
                name: "reserved".into(),
                range: (base, base + size),
                reusable: true,
                nomap: false,
                exact: true,
            });
        } else if let Some(rest) = msg.strip_prefix("setup_percpu:") {
            nr_cpu_ids = rest
                .split_whitespace()
                .find_map(|w| w.strip_prefix("nr_cpu_ids:"))
                .and_then(|n| n.parse().ok());
        } else if let Some(rest) = msg.strip_prefix("smp: Brought up ") {
            // `smp: Brought up N nodes, M CPUs`.
            smp_cpus = rest
                .split(", ")
                .nth(1)
                .and_then(|c| c.split_whitespace().next())
                .and_then(|n| n.parse().ok());
        } else if let Some(rest) = msg.strip_prefix("pcpu-alloc: [") {
            if !rest.starts_with('s') {
                pcpu_cpus += msg
                    .split_whitespace()
                    .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
                    .count() as u32;
            }
        } else if let Some(rest) = msg.strip_prefix("Memory: ") {
            if let Some(p) = rest.split_once('(').map(|x| x.1) {
                for part in p.trim_end_matches(')').split(", ") {
                    let (v, what) = part.split_once(' ').unwrap_or((part, ""));
                    let Some(v) = kib(v) else { continue };
                    match what {
                        "kernel code" => kernel.code = v,
                        "rwdata" => kernel.rwdata = v,
                        "rodata" => kernel.rodata = v,
                        "init" => kernel.init = v,
                        "bss" => kernel.bss = v,
                        _ => {}
                    }
                }
            }
        } else if let Some(rest) = msg.trim_start().strip_prefix("fixmap  : ") {
            // x86-32 `virtual kernel memory layout:` — "fixmap  : 0x… - 0x…   ( 936 kB)".
            if let Some(kb) = layout_kb(rest) {
                kernel.fixmap_pages = Some(kb / 4);
            }
        } else if let Some(rest) = msg.trim_start().strip_prefix("pkmap   : ") {
            // 512 PAE pkmap slots span 2048 kB; 1024 non-PAE slots 4096 kB.
            if let Some(kb) = layout_kb(rest) {
                kernel.pae = Some(kb == 2048);
            }
        } else if let Some(row) = distance_row(msg) {
            dist_rows.insert(row.0, row.1);
        }
    }

    let has_e820 = !bios.is_empty() || !user.is_empty();
    if !has_e820 && early.is_empty() {
        return Err(MachineError::new(
            origin,
            Location::Whole,
            ErrorKind::NoMemoryMap,
            "no memory map: the log has no `BIOS-e820:`, `user:` or `Early memory node ranges` lines",
        ));
    }
    let has_zone = |z: &str| zones.iter().any(|(n, _)| n == z);
    let arch = header_arch
        .as_deref()
        .and_then(parse_arch)
        .or(arch_hint)
        .unwrap_or(if has_e820 {
            if has_zone("HighMem") {
                Arch::Ia32
            } else {
                Arch::X86_64
            }
        } else if has_zone("HighMem") {
            Arch::Arm
        } else if text.contains("riscv") || text.contains("SBI specification") {
            Arch::Riscv64
        } else {
            Arch::Arm64
        });
    let arch = match (arch, has_e820) {
        // An e820 log is x86 whatever the header says about the build.
        (Arch::Arm64 | Arch::Riscv64 | Arch::Arm, true) => Arch::X86_64,
        (a, _) => a,
    };

    let mut m = Machine::new(&origin_name(origin), arch);
    m.origin = origin.to_string();
    m.kernel_version = version
        .or(header_version)
        .and_then(|v| super::parse_version(&v).map(|f| format!("{}.{}", f.major, f.minor)));
    m.kernel = kernel;

    // Memory options: what the log's own maps already reflect is not applied twice.
    let mut opts = BootOptions::default();
    if let Some((c, ln)) = &cmdline {
        let kept: Vec<&str> = c
            .split_whitespace()
            // do_sysctl_args reads the whole command line again: a `sysctl/vm/x=1`
            // the early parser called unknown is still written.
            .filter(|w| w.starts_with("sysctl") || !unknown_params.iter().any(|u| u == w))
            .collect();
        opts = BootOptions::parse(&kept.join(" ")).map_err(|e| {
            MachineError::new(
                origin,
                Location::Line(*ln),
                e.kind,
                format!("{}: {}", e.location, e.reason),
            )
        })?;
    }
    // Movable zones on the SRAT's hot-pluggable nodes with no kernelcore=/movablecore=:
    // the (unposted) command line had movable_node (find_zone_movable_pfns_for_nodes).
    if movable_starts > 0
        && opts.kernelcore.is_none()
        && opts.movablecore.is_none()
        && srat.values().any(|n| n.2)
    {
        opts.movable_node = true;
    }
    if !user.is_empty() || !has_e820 {
        opts.mem = None;
        opts.memmap.clear();
    }
    if !has_e820 {
        // The log's memory lines are after any cma= reservation too.
        opts.cma = None;
    }
    let cpus = nr_cpu_ids
        .or(smp_cpus)
        .or((pcpu_cpus > 0).then_some(pcpu_cpus))
        .unwrap_or_else(|| srat.values().map(|s| s.1).sum::<u32>().max(1));
    m.cpus = cpus;
    m.cmdline = opts.to_cmdline();
    m.hardware_name = hardware_name;

    if has_e820 {
        let table = if user.is_empty() { &bios } else { &user };
        m.e820 = table
            .iter()
            .map(|&(a, b, t)| RangeDesc {
                range: fmt_range(a, b),
                ty: t.name(),
            })
            .collect();
        // e820__memblock_setup runs after the last `last_pfn` print (max_pfn, MTRR trim,
        // max_low_pfn); later edits (EFI/ESRT reservations) no longer touch memblock.memory.
        m.e820_edits = edits
            .into_iter()
            .filter(|(ln, early, _)| last_pfn_line.map_or(*early, |l| *ln < l))
            .map(|e| e.2)
            .collect();
        if !opts.numa_off {
            for (&nid, (ranges, ncpu, hotplug)) in &srat {
                m.nodes.push(NodeSpec {
                    id: nid,
                    ranges: ranges.iter().map(|r| fmt_range(r.0, r.1)).collect(),
                    cpus: *ncpu,
                    hotplug: *hotplug,
                });
            }
            for &n in &online {
                if !m.nodes.iter().any(|x| x.id == n) && !srat.is_empty() {
                    m.nodes.push(NodeSpec {
                        id: n,
                        ranges: Vec::new(),
                        cpus: 0,
                        hotplug: false,
                    });
                }
            }
            m.nodes.sort_by_key(|n| n.id);
        }
        if let Some(r) = initrd_moved.or(initrd) {
            let in_ram = table
                .iter()
                .any(|&(a, b, t)| t == E820Type::Ram && a <= r.0 && r.1 <= b);
            if in_ram {
                m.reserve.push(Reservation {
                    range: fmt_range(r.0, r.1),
                    kind: "initrd".into(),
                });
            }
        }
        if arch == Arch::Ia32 {
            let normal_end = zones
                .iter()
                .find(|z| z.0 == "Normal")
                .and_then(|z| z.1)
                .map(|r| r.1);
            m.zones.lowmem = normal_end.or(low_ram).map(|e| e >> 12);
        }
    } else {
        // Device tree: memblock.memory as printed. Adjacent lines are regions whose flags
        // differ; with two flag states they alternate, and the largest region of a run
        // is ordinary memory.
        early.sort_by_key(|e| e.1);
        let mut runs: Vec<Vec<usize>> = Vec::new();
        for (i, e) in early.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if early[*run.last().unwrap_or(&0)].2 == e.1 => run.push(i),
                _ => runs.push(vec![i]),
            }
        }
        let mut nomap = vec![false; early.len()];
        for run in &runs {
            let big = run
                .iter()
                .enumerate()
                .max_by_key(|(_, &i)| early[i].2 - early[i].1)
                .map_or(0, |x| x.0);
            for (k, &i) in run.iter().enumerate() {
                nomap[i] = (k % 2) != (big % 2);
            }
        }
        m.memory = early
            .iter()
            .zip(&nomap)
            .map(|(e, &n)| MemoryDesc {
                range: fmt_range(e.1, e.2),
                node: e.0,
                nomap: n,
                hotplug: false,
            })
            .collect();
        let inside = |r: (u64, u64)| {
            let mut pos = r.0;
            for e in &early {
                if e.1 <= pos && pos < e.2 {
                    pos = e.2;
                }
            }
            pos >= r.1
        };
        for p in &pools {
            // no-map carve-outs are already out of (or flagged in) the memory lines.
            if p.nomap || !inside(p.range) {
                continue;
            }
            let name = if p.name.is_empty() {
                format!("pool@{:x}", p.range.0)
            } else {
                p.name.clone()
            };
            m.reserved_mem.push(ReservedMem {
                name,
                range: fmt_range(p.range.0, p.range.1),
                nomap: false,
                reusable: p.reusable,
            });
        }
        let mut ids: Vec<u16> = early.iter().map(|e| e.0).collect();
        ids.sort();
        ids.dedup();
        if ids.len() > 1 {
            m.nodes = ids
                .iter()
                .map(|&id| NodeSpec {
                    id,
                    ranges: Vec::new(),
                    cpus: 0,
                    hotplug: false,
                })
                .collect();
        }
        // Zone limits from the log (arm64's come from device-tree DMA masks).
        let mut prev = 0;
        for (name, r) in &zones {
            let lim = r.map_or(prev, |r| r.1 >> 12);
            match name.as_str() {
                "DMA" if arch == Arch::Arm64 => m.zones.dma = Some(lim),
                "DMA32" if arch == Arch::Arm64 => m.zones.dma32 = Some(lim),
                "Normal" if arch == Arch::Arm => m.zones.lowmem = Some(lim),
                _ => {}
            }
            prev = lim;
        }
    }
    // The kernel's zone configuration: every zone it has but Movable is printed in
    // `Zone ranges` (empty or not).
    if !zones.is_empty() {
        for &t in arch.zone_layout().zones() {
            let z = t.name();
            if !matches!(z, "Normal" | "Movable") && !has_zone(z) {
                m.zones.disabled.push(z.to_string());
            }
        }
    }
    m.config_numa = Some(numa_kernel);
    // Whether this NUMA kernel prints `Fallback order` is a fact of its log: vendor
    // kernels backport the line (RHEL 9's 5.14 has v5.16's 6cf253925df7).
    if numa_kernel {
        m.print_fallback_order = Some(prints_fallback);
    }
    m.dma_reserve = dma_reserve;
    // Distances when the log (or its header) has a full table.
    if !dist_rows.is_empty() {
        let n = dist_rows.len();
        if dist_rows.keys().copied().eq(0..n) {
            m.distances = dist_rows.into_values().collect();
        }
    }
    if m.distances.is_empty() && !opts.numa_off {
        if let Some(d) = distances_from_fallback(&m, &fallback) {
            m.distances = d;
        }
    }
    m.validate()?;
    Ok(m)
}

/// The node facts zonelist building will see for `m`: nodes with memory are those in
/// the fallback orders; CPUs as [`Machine::setup`] places them (SRAT's, or one per
/// memory node round-robin when the log lists none).
fn fallback_facts(m: &Machine, fallback: &BTreeMap<u16, Vec<u16>>) -> NodeFacts {
    let mut f = NodeFacts::default();
    for &n in fallback.values().flatten() {
        if (n as usize) < MAX_NUMNODES {
            f.has_memory[n as usize] = true;
        }
    }
    let listed: Vec<u16> = m
        .nodes
        .iter()
        .filter(|n| n.cpus > 0)
        .map(|n| n.id)
        .collect();
    if listed.is_empty() {
        let mem: Vec<usize> = (0..MAX_NUMNODES).filter(|&n| f.has_memory[n]).collect();
        for &n in mem.iter().take(m.cpus.max(1) as usize) {
            f.has_cpus[n] = true;
        }
    } else {
        for n in listed {
            if (n as usize) < MAX_NUMNODES {
                f.has_cpus[n as usize] = true;
            }
        }
    }
    f
}

/// Whether `find_next_best_node` with distances `d` (row-major, `n × n`) reproduces every
/// logged fallback order (zonelists are built node by node sharing `node_load`).
fn reproduces(n: usize, d: &[u8], facts: &NodeFacts, fallback: &BTreeMap<u16, Vec<u16>>) -> bool {
    let Some(dist) = Distances::new(n, d) else {
        return false;
    };
    let mut load = [0u32; MAX_NUMNODES];
    let mut order = [0u8; MAX_NUMNODES];
    for (&nid, want) in fallback {
        let len = build_node_order(nid as usize, facts, &dist, &mut load, &mut order);
        if !order[..len]
            .iter()
            .map(|&o| u16::from(o))
            .eq(want.iter().copied())
        {
            return false;
        }
    }
    true
}

/// A logged kernel without a printed SLIT (6.x prints none): the first symmetric
/// distance matrix, over remote distances 20, 30 and 40, whose zonelists reproduce the
/// log's `Fallback order` lines; `None` when Linux's defaults (10/20) already do, or no
/// candidate does. Searched exhaustively only up to 5 nodes (3^10 candidates).
fn distances_from_fallback(
    m: &Machine,
    fallback: &BTreeMap<u16, Vec<u16>>,
) -> Option<Vec<Vec<u8>>> {
    if fallback.len() < 2 {
        return None;
    }
    let n = m
        .nodes
        .iter()
        .map(|x| x.id as usize + 1)
        .chain(fallback.keys().map(|&k| k as usize + 1))
        .chain(fallback.values().flatten().map(|&k| k as usize + 1))
        .max()?;
    let facts = fallback_facts(m, fallback);
    let mut d = vec![20u8; n * n];
    for i in 0..n {
        d[i * n + i] = 10;
    }
    if reproduces(n, &d, &facts, fallback) {
        return None;
    }
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    if pairs.len() > 10 {
        return None;
    }
    const LEVELS: [u8; 3] = [20, 30, 40];
    let total = LEVELS.len().pow(pairs.len() as u32);
    for code in 0..total {
        let mut c = code;
        for &(i, j) in &pairs {
            let v = LEVELS[c % LEVELS.len()];
            c /= LEVELS.len();
            d[i * n + j] = v;
            d[j * n + i] = v;
        }
        if reproduces(n, &d, &facts, fallback) {
            return Some(d.chunks(n).map(<[u8]>::to_vec).collect());
        }
    }
    None
}

/// Whether a log message is one only a `CONFIG_NUMA` kernel prints: SRAT affinity
/// (`acpi_numa_*`), `NUMA:`/`NODE_DATA`/`Initmem setup`/`Faking a node` (numa_init),
/// `Fallback order` and `Policy zone:` (build_all_zonelists), or `nr_node_ids` above 1.
/// ACPI's `Reserving SRAT table memory` and free_area_init's `Initmem setup node` are
/// printed by every kernel and do not count.
fn prints_numa(msg: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "SRAT: PXM ",
        "SRAT: Node ",
        "ACPI: SRAT: Node ",
        "ACPI: SRAT: PXM ",
        "NUMA:",
        "NUMA: ",
        "No NUMA configuration found",
        "Faking a node",
        "NODE_DATA(",
        "Fallback order for Node",
        "Policy zone:",
    ];
    if PREFIXES.iter().any(|p| msg.starts_with(p)) {
        return true;
    }
    msg.split_whitespace()
        .find_map(|w| w.strip_prefix("nr_node_ids:"))
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n > 1)
}

/// `nodeN: d d d` (sysfs-style, as fixture headers carry) or Linux's `  N:  d  d`
/// distance-table row.
fn distance_row(s: &str) -> Option<(usize, Vec<u8>)> {
    let (head, rest) = s.split_once(':')?;
    let head = head.trim();
    let idx = head.strip_prefix("node").unwrap_or(head).trim();
    if idx.is_empty()
        || !idx.bytes().all(|b| b.is_ascii_digit())
        || head == idx && !s.starts_with(' ') && !head.starts_with("node")
    {
        // A bare `N:` row only counts in Linux's own indented table format.
        if !(head == idx && !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
    }
    let idx: usize = idx.parse().ok()?;
    let vals: Option<Vec<u8>> = rest.split_whitespace().map(|v| v.parse().ok()).collect();
    let vals = vals?;
    (vals.len() >= 2 && vals.iter().all(|&v| v >= 10)).then_some((idx, vals))
}

/// A machine name from a file name: the last path component without extension.
fn origin_name(origin: &str) -> String {
    let base = origin.rsplit('/').next().unwrap_or(origin);
    base.strip_suffix(".txt").unwrap_or(base).to_string()
}

/// The size in a `virtual kernel memory layout:` line: `0x… - 0x…   ( 936 kB)` → 936.
fn layout_kb(rest: &str) -> Option<u64> {
    let inner = rest.split_once('(')?.1.split_once(')')?.0.trim();
    let (v, unit) = inner.split_once(' ')?;
    let v: u64 = v.trim().parse().ok()?;
    match unit.trim() {
        "kB" => Some(v),
        "MB" => Some(v << 10),
        _ => None,
    }
}
