//! A twin of a real machine: the machine of a boot log, with memblock reservations
//! chosen so that every zone's managed page count equals the real `/proc/zoneinfo`'s.
//!
//! Linux's own boot reserves memory oxmm does not (its memmap is twice the size, page
//! tables, per-CPU areas, early allocations), so a machine imported from a log alone
//! has a little more managed memory per zone than the real one. Two moments matter:
//!
//! * the initcalls (`init_per_zone_wmark_min`, `hugepage_init`) size min_free_kbytes,
//!   the watermarks, `lowmem_reserve` and the per-CPU batch from the managed counts of
//!   that moment;
//! * later, the memory printed as `Freeing … memory: NK` after the `Memory:` line
//!   (initrd, the kernel's init sections) is handed back with `free_reserved_area`,
//!   raising the managed counts zoneinfo shows without touching the watermarks.
//!
//! So the twin keeps those ranges reserved and frees them after boot (`[[late_free]]`),
//! and adds `[[reserve]]` ranges (kind `other`) until each zone's managed count at the
//! initcalls is the real final count minus what is freed late in that zone. The initrd
//! sits where the log's `RAMDISK:` line says; the kernel image's place is not in the
//! log (KASLR), so each zone that could hold it is tried and the one whose computed
//! watermarks, protection and batches reproduce the capture is kept.

use super::dmesg::message;
use super::error::{ErrorKind, Location, MachineError};
use super::zoneinfo::Zoneinfo;
use super::{fmt_range, parse_range, LateFree, Machine, Reservation};
use oxmm::mm::{BootMode, Mm};

use crate::hosted::HostedMachine;
use crate::platform::HostPlatform;

/// A zone: node id and zone index.
type ZoneKey = (u16, usize);

/// A populated zone of a probe boot.
#[derive(Clone, Debug)]
struct ZoneSpan {
    key: ZoneKey,
    name: &'static str,
    start: u64,
    end: u64,
}

/// The `Freeing {name} memory: {n}K` lines printed after the `Memory:` line: `(name,
/// bytes)` in log order.
///
/// ```
/// let log = "[0.5] Freeing SMP alternatives memory: 40K\n[0.9] Memory: 1K/2K available (…)\n[1.6] Freeing initrd memory: 1008K\n";
/// assert_eq!(oxmm_host::machine::late_frees_in_log(log), vec![("initrd".to_string(), 1008 << 10)]);
/// ```
pub fn late_frees_in_log(dmesg: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut after_memory = false;
    for raw in dmesg.lines() {
        let msg = message(raw);
        if msg.starts_with("Memory: ") && msg.contains(" available") {
            after_memory = true;
            out.clear();
            continue;
        }
        if !after_memory {
            continue;
        }
        let Some(rest) = msg.strip_prefix("Freeing ") else {
            continue;
        };
        let Some((name, size)) = rest.rsplit_once(" memory: ") else {
            continue;
        };
        if let Some(k) = size.strip_suffix('K').and_then(|k| k.parse::<u64>().ok()) {
            out.push((name.to_string(), k << 10));
        }
    }
    out
}

/// Boot `m` description-only and call `f` with the machine as the initcalls left it:
/// its `[[late_free]]` ranges stay reserved.
fn probe<T>(m: &Machine, f: impl FnOnce(&Mm<HostPlatform>) -> T) -> Result<T, MachineError> {
    let mut m = m.clone();
    let late = std::mem::take(&mut m.late_free);
    m.reserve.extend(late.into_iter().map(|l| Reservation {
        range: l.range,
        kind: "other".into(),
    }));
    let hm = HostedMachine::boot(&m, BootMode::DescribeOnly)
        .map_err(|e| twin_err(&m, format!("twin: probe boot failed: {e}")))?;
    Ok(f(hm.mm()))
}

/// Populated zones of a booted machine.
fn spans(mm: &Mm<HostPlatform>) -> Vec<ZoneSpan> {
    mm.nodes()
        .flat_map(|n| n.zones().iter())
        .filter(|z| z.is_populated())
        .map(|z| ZoneSpan {
            key: (z.nid().0, z.idx()),
            name: z.zone_type().name(),
            start: z.start_pfn(),
            end: z.end_pfn(),
        })
        .collect()
}

/// Free memory `[start, end)` in pfns of zone `z` after the probe boot, ascending.
fn free_in_zone(mm: &Mm<HostPlatform>, z: &ZoneSpan) -> Vec<(u64, u64)> {
    let geo = mm.geometry();
    mm.memblock()
        .free_ranges(None)
        .filter(|r| r.2.map_or(0, |n| n.0) == z.key.0)
        .filter_map(|(s, e, _)| {
            let s = geo.phys_to_pfn_up(s).0.max(z.start);
            let e = geo.phys_to_pfn(e).0.min(z.end);
            (s < e).then_some((s, e))
        })
        .collect()
}

/// How many of the capture's values a booted twin does not reproduce: per zone
/// spanned, present, managed, min/low/high/promo, protection and the pageset batch.
fn mismatches(mm: &Mm<HostPlatform>, zi: &Zoneinfo) -> usize {
    let mut bad = 0;
    for n in mm.nodes() {
        for z in n.zones() {
            let Some(r) = zi.zone(n.nid().0, z.zone_type().name()) else {
                bad += 1;
                continue;
            };
            let w = z.watermarks();
            let ours = [
                z.spanned_pages(),
                z.present_pages(),
                z.managed_pages(),
                w.min(),
                w.low(),
                w.high(),
                w.promo(),
            ];
            let theirs = [
                r.spanned, r.present, r.managed, r.min, r.low, r.high, r.promo,
            ];
            bad += ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
            bad += r
                .protection
                .iter()
                .zip(&z.lowmem_reserve)
                .filter(|(a, b)| a != b)
                .count();
            if z.is_populated() {
                let batch = u64::from(z.pageset_params().batch);
                bad += r.pagesets.iter().filter(|p| p.batch != batch).count();
            }
        }
    }
    bad
}

fn twin_err(m: &Machine, why: String) -> MachineError {
    MachineError::new(m.origin.clone(), Location::Whole, ErrorKind::BadValue, why)
}

/// Fit `base` (imported from `dmesg`) to the capture `zi`: see the module docs.
pub(super) fn fit(base: &Machine, dmesg: &str, zi: &Zoneinfo) -> Result<Machine, MachineError> {
    let page = base.page_size.max(1);
    let pages = |bytes: u64| bytes.div_ceil(page);
    // Without the kernel image, to see where it could go.
    let mut bare = base.clone();
    bare.reserve.retain(|r| r.kind != "kernel");
    let kdesc = base.kernel.clone();
    bare.kernel.code = 0;
    bare.kernel.rwdata = 0;
    bare.kernel.rodata = 0;
    bare.kernel.init = 0;
    bare.kernel.bss = 0;
    let ksize =
        (kdesc.code + kdesc.rwdata + kdesc.rodata + kdesc.init + kdesc.bss).next_multiple_of(page);
    // The zones as the log gives them (which the capture must describe too), and the
    // memory left free in each.
    let (zones, frees0) = probe(&bare, |mm| -> Result<_, MachineError> {
        for n in mm.nodes() {
            for z in n.zones() {
                let name = z.zone_type().name();
                let r = zi.zone(n.nid().0, name).ok_or_else(|| {
                    twin_err(
                        base,
                        format!("twin: the zoneinfo has no Node {}, zone {name}", n.nid().0),
                    )
                })?;
                if (r.spanned, r.present) != (z.spanned_pages(), z.present_pages()) {
                    return Err(twin_err(
                        base,
                        format!(
                            "twin: Node {}, zone {name}: the log gives spanned {} present {}, the zoneinfo spanned {} present {}",
                            n.nid().0,
                            z.spanned_pages(),
                            z.present_pages(),
                            r.spanned,
                            r.present
                        ),
                    ));
                }
            }
        }
        for r in &zi.zones {
            let ours = mm
                .node(oxmm::types::NodeId(r.nid))
                .is_some_and(|n| n.zones().iter().any(|z| z.zone_type().name() == r.zone));
            if !ours {
                return Err(twin_err(
                    base,
                    format!(
                        "twin: the zoneinfo's Node {}, zone {} is not a zone of this machine",
                        r.nid, r.zone
                    ),
                ));
            }
        }
        let z = spans(mm);
        let f: Vec<Vec<(u64, u64)>> = z.iter().map(|s| free_in_zone(mm, s)).collect();
        Ok((z, f))
    })??;
    let zone_of = |pfn: u64| zones.iter().find(|z| z.start <= pfn && pfn < z.end);

    // Late frees: the initrd where the log put it, the rest with the kernel image.
    let initrd = base
        .reserve
        .iter()
        .find(|r| r.kind == "initrd")
        .and_then(|r| parse_range(&r.range).ok());
    let mut fixed: Vec<LateFree> = Vec::new();
    let mut kernel_frees: Vec<(String, u64)> = Vec::new();
    for (name, bytes) in late_frees_in_log(dmesg) {
        match initrd {
            Some((s, e)) if name == "initrd" && pages(e - s) == pages(bytes) => {
                fixed.push(LateFree {
                    name,
                    range: fmt_range(s, e),
                });
            }
            _ => kernel_frees.push((name, pages(bytes) * page)),
        }
    }
    let kfree: u64 = kernel_frees.iter().map(|f| f.1).sum();
    let align = 2u64 << 20;
    let low = if matches!(
        base.arch()?,
        oxmm::boot::Arch::X86_64 | oxmm::boot::Arch::Ia32
    ) {
        16u64 << 20
    } else {
        0
    };

    let mut best: Option<(usize, Machine)> = None;
    // The last zone no candidate could bring down to its target: (zone, target, lowest).
    let mut short: Option<(ZoneKey, i64, i64)> = None;
    for free0 in &frees0 {
        // The lowest 2 MiB-aligned free spot of the zone for the image; what the kernel
        // frees late (its init sections, the gaps between sections) lies inside it.
        let need = ksize.max(kfree);
        let spot = free0.iter().find_map(|&(s, e)| {
            let a = (s * page).max(low).next_multiple_of(align);
            (need > 0 && a + need <= e * page).then_some(a)
        });
        let Some(kbase) = spot.or((need == 0).then_some(0)) else {
            continue;
        };
        let mut m = base.clone();
        m.reserve.retain(|r| r.kind != "kernel");
        if need > 0 {
            m.kernel.base = Some(kbase);
        }
        m.late_free = fixed.clone();
        let mut at = kbase;
        for (name, bytes) in &kernel_frees {
            m.late_free.push(LateFree {
                name: name.clone(),
                range: fmt_range(at, at + bytes),
            });
            at += bytes;
        }
        // Managed pages each zone must have when the initcalls run.
        let mut target: Vec<(ZoneKey, i64)> = Vec::new();
        for z in &zones {
            let r = zi.zone(z.key.0, z.name).map_or(0, |r| r.managed) as i64;
            target.push((z.key, r));
        }
        for f in &m.late_free {
            let (s, e) = parse_range(&f.range).map_err(|e| twin_err(base, e))?;
            for pfn in s.div_ceil(page)..e / page {
                if let Some(z) = zone_of(pfn) {
                    if let Some(t) = target.iter_mut().find(|t| t.0 == z.key) {
                        t.1 -= 1;
                    }
                }
            }
        }
        let reserve0 = m.reserve.clone();
        let mut extra: Vec<(ZoneKey, u64, u64)> = Vec::new();
        let mut feasible = false;
        for _ in 0..8 {
            m.reserve = reserve0.clone();
            m.reserve.extend(extra.iter().map(|&(_, s, e)| Reservation {
                range: fmt_range(s * page, e * page),
                kind: "other".into(),
            }));
            let (managed, free) = probe(&m, |mm| {
                let managed: Vec<(ZoneKey, i64)> = mm
                    .nodes()
                    .flat_map(|n| n.zones().iter())
                    .map(|z| ((z.nid().0, z.idx()), z.managed_pages() as i64))
                    .collect();
                let free: Vec<Vec<(u64, u64)>> =
                    zones.iter().map(|s| free_in_zone(mm, s)).collect();
                (managed, free)
            })?;
            let mut done = true;
            let mut stuck = false;
            for (zk, want) in &target {
                let have = managed.iter().find(|x| x.0 == *zk).map_or(0, |x| x.1);
                let mut d = have - want;
                if d == 0 {
                    continue;
                }
                if d < 0 && !extra.iter().any(|x| x.0 == *zk) {
                    short = Some((*zk, *want, have));
                }
                done = false;
                let zidx = zones.iter().position(|z| z.key == *zk);
                if d > 0 {
                    // Reserve d more pages, lowest free memory first.
                    let Some(zidx) = zidx else {
                        stuck = true;
                        continue;
                    };
                    for &(s, e) in &free[zidx] {
                        if d == 0 {
                            break;
                        }
                        let n = (e - s).min(d as u64);
                        extra.push((*zk, s, s + n));
                        d -= n as i64;
                    }
                    if d > 0 {
                        stuck = true;
                        short = Some((*zk, *want, have - d));
                    }
                } else {
                    // Give back -d pages of this zone's extra reservations.
                    let mut give = (-d) as u64;
                    while give > 0 {
                        let Some(i) = extra.iter().rposition(|x| x.0 == *zk) else {
                            break;
                        };
                        let (k, s, e) = extra[i];
                        if e - s <= give {
                            give -= e - s;
                            extra.remove(i);
                        } else {
                            extra[i] = (k, s, e - give);
                            give = 0;
                        }
                    }
                    stuck |= give > 0;
                }
            }
            if done {
                feasible = true;
                break;
            }
            if stuck {
                break;
            }
        }
        if !feasible {
            continue;
        }
        // Score the candidate on a whole boot with its late frees.
        let score = {
            let hm = HostedMachine::boot(&m, BootMode::DescribeOnly)
                .map_err(|e| twin_err(base, format!("twin: {e}")))?;
            mismatches(hm.mm(), zi)
        };
        let better = best.as_ref().map_or(true, |b| score < b.0);
        if better {
            best = Some((score, m));
        }
        // Without a kernel image to place every candidate is the same machine.
        if score == 0 || need == 0 {
            break;
        }
    }
    let (_, mut m) = best.ok_or_else(|| {
        let why = match short {
            Some(((nid, zidx), want, have)) => {
                let name = zones
                    .iter()
                    .find(|z| z.key == (nid, zidx))
                    .map_or("?", |z| z.name);
                let cap = zi.zone(nid, name).map_or(0, |r| r.managed);
                format!(
                    "twin: Node {nid}, zone {name}: the zoneinfo's managed {cap} needs {want} managed pages when the watermarks are set (less what is freed later), but the closest this machine comes is {have}"
                )
            }
            None => "twin: no placement of the kernel image gives every zone the zoneinfo's managed pages".into(),
        };
        twin_err(base, why)
    })?;
    m.description = format!(
        "twin of {} fitted to its /proc/zoneinfo",
        base.origin.rsplit('/').next().unwrap_or(&base.origin)
    );
    Ok(m)
}
