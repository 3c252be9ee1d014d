//! Read a real `/proc/zoneinfo` (Linux v6.12's `zoneinfo_show_print`; v6.18's
//! `high_min`/`high_max` pageset lines too): per node and zone the free pages,
//! watermarks, sizes, `lowmem_reserve` (`protection`), per-CPU pagesets and start pfn.
//! Per-node and per-zone counters are skipped.

use super::error::{ErrorKind, Location, MachineError};

/// One CPU's pageset lines.
///
/// ```
/// let p = oxmm_host::machine::ZoneinfoPageset::default();
/// assert_eq!(p.batch, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneinfoPageset {
    /// `cpu: N`.
    pub cpu: u32,
    /// `count:` pages on the lists.
    pub count: u64,
    /// `high:` the current `pcp->high`.
    pub high: u64,
    /// `batch:`.
    pub batch: u64,
    /// `high_min:` (v6.18 and later).
    pub high_min: Option<u64>,
    /// `high_max:` (v6.18 and later).
    pub high_max: Option<u64>,
}

/// One `Node N, zone NAME` section.
///
/// ```
/// let z = oxmm_host::machine::ZoneinfoZone::default();
/// assert!(z.pagesets.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneinfoZone {
    /// The node id.
    pub nid: u16,
    /// The zone name (`DMA`, `DMA32`, `Normal`, `HighMem`, `Movable`, `Device`).
    pub zone: String,
    /// `pages free`.
    pub free: u64,
    /// `boost`.
    pub boost: u64,
    /// `min` (boost included).
    pub min: u64,
    /// `low`.
    pub low: u64,
    /// `high`.
    pub high: u64,
    /// `promo`.
    pub promo: u64,
    /// `spanned`.
    pub spanned: u64,
    /// `present`.
    pub present: u64,
    /// `managed`.
    pub managed: u64,
    /// `cma`.
    pub cma: u64,
    /// `protection: (…)`: `lowmem_reserve[]`, one entry per configured zone.
    pub protection: Vec<u64>,
    /// Per-CPU pagesets (populated zones only).
    pub pagesets: Vec<ZoneinfoPageset>,
    /// `start_pfn:` (populated zones only).
    pub start_pfn: Option<u64>,
    /// 1-based line of the section header, for errors.
    pub line: usize,
}

/// A parsed `/proc/zoneinfo`.
///
/// ```
/// use oxmm_host::machine::Zoneinfo;
/// let z = Zoneinfo::parse("Node 0, zone      DMA\n  pages free     3712\n        boost    0\n        min      87\n        low      108\n        high     129\n        promo    150\n        spanned  4095\n        present  3998\n        managed  3840\n        cma      0\n        protection: (0, 1966, 2889, 2889, 2889)\n", "zoneinfo").unwrap();
/// assert_eq!(z.zones[0].managed, 3840);
/// assert_eq!(z.zones[0].protection, vec![0, 1966, 2889, 2889, 2889]);
/// assert!(Zoneinfo::parse("Node 0, zone DMA\n        spanned  x\n", "z").is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zoneinfo {
    /// Every zone of every node, in file order.
    pub zones: Vec<ZoneinfoZone>,
}

const FIELDS: [&str; 11] = [
    "pages free",
    "boost",
    "min",
    "low",
    "high",
    "promo",
    "spanned",
    "present",
    "managed",
    "cma",
    "protection:",
];

impl Zoneinfo {
    /// Parse the text of a zoneinfo file; `origin` names it in errors. Every section
    /// must have the sizes and watermarks, and `managed ≤ present ≤ spanned`.
    ///
    /// ```
    /// use oxmm_host::machine::Zoneinfo;
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/linux-6.12-qemu/q35-384m");
    /// let text = std::fs::read_to_string(format!("{dir}/zoneinfo.txt")).unwrap();
    /// let zi = Zoneinfo::parse(&text, "zoneinfo.txt").unwrap();
    /// let names: Vec<&str> = zi.zones.iter().map(|z| z.zone.as_str()).collect();
    /// assert_eq!(names, ["DMA", "DMA32", "Normal", "Movable", "Device"]);
    /// assert_eq!((zi.zones[0].spanned, zi.zones[0].present, zi.zones[0].managed), (4095, 3998, 3840));
    /// let bad = text.replace("managed  3840", "managed  4000");
    /// let e = Zoneinfo::parse(&bad, "zoneinfo.txt").unwrap_err();
    /// assert!(e.to_string().ends_with("zone DMA: managed 4000 exceeds present 3998"));
    /// ```
    pub fn parse(text: &str, origin: &str) -> Result<Zoneinfo, MachineError> {
        let err = |line: usize, kind, why: String| {
            MachineError::new(origin, Location::Line(line), kind, why)
        };
        let mut zones: Vec<ZoneinfoZone> = Vec::new();
        let mut seen = [false; FIELDS.len()];
        let finish = |z: Option<&ZoneinfoZone>, seen: &[bool; FIELDS.len()]| {
            let Some(z) = z else { return Ok(()) };
            if let Some(i) = seen.iter().position(|s| !s) {
                return Err(err(
                    z.line,
                    ErrorKind::BadValue,
                    format!(
                        "Node {}, zone {} has no `{}` line",
                        z.nid, z.zone, FIELDS[i]
                    ),
                ));
            }
            let bad = |what: &str, v: u64, lim: &str, l: u64| {
                err(
                    z.line,
                    ErrorKind::BadValue,
                    format!(
                        "Node {}, zone {}: {what} {v} exceeds {lim} {l}",
                        z.nid, z.zone
                    ),
                )
            };
            if z.managed > z.present {
                return Err(bad("managed", z.managed, "present", z.present));
            }
            if z.present > z.spanned {
                return Err(bad("present", z.present, "spanned", z.spanned));
            }
            Ok(())
        };
        for (i, raw) in text.lines().enumerate() {
            let ln = i + 1;
            let line = raw.trim_end();
            if let Some(rest) = line.strip_prefix("Node ") {
                finish(zones.last(), &seen)?;
                let (nid, zone) = rest.split_once(", zone").ok_or_else(|| {
                    err(
                        ln,
                        ErrorKind::BadValue,
                        format!("`{line}` is not `Node N, zone NAME`"),
                    )
                })?;
                let nid = nid.trim().parse().map_err(|_| {
                    err(
                        ln,
                        ErrorKind::BadNumber,
                        format!("`{}` is not a node id", nid.trim()),
                    )
                })?;
                zones.push(ZoneinfoZone {
                    nid,
                    zone: zone.trim().to_string(),
                    line: ln,
                    ..Default::default()
                });
                seen = [false; FIELDS.len()];
                continue;
            }
            let t = line.trim_start();
            // Per-node stats sit one level deeper than the zone fields, except `pages
            // free`'s continuation lines (8 spaces): counters use 6.
            let indent = line.len() - t.len();
            let Some(z) = zones.last_mut() else {
                continue;
            };
            let num = |v: &str, what: &str| -> Result<u64, MachineError> {
                v.trim().parse().map_err(|_| {
                    err(
                        ln,
                        ErrorKind::BadNumber,
                        format!("{what}: `{}` is not a number", v.trim()),
                    )
                })
            };
            if let Some(v) = t.strip_prefix("protection:") {
                let inner = v.trim().trim_start_matches('(').trim_end_matches(')');
                z.protection = inner
                    .split(',')
                    .map(|x| num(x, "protection"))
                    .collect::<Result<_, _>>()?;
                seen[10] = true;
                continue;
            }
            if let Some(v) = t.strip_prefix("pages free") {
                z.free = num(v, "pages free")?;
                seen[0] = true;
                continue;
            }
            if let Some(v) = t.strip_prefix("cpu:") {
                z.pagesets.push(ZoneinfoPageset {
                    cpu: num(v, "cpu")? as u32,
                    ..Default::default()
                });
                continue;
            }
            if let Some(v) = t.strip_prefix("start_pfn:") {
                z.start_pfn = Some(num(v, "start_pfn")?);
                continue;
            }
            let Some((key, val)) = t.split_once([' ', ':']) else {
                continue;
            };
            let val = val.trim_start_matches(':');
            if indent >= 10 {
                // A pageset line of the last `cpu:`.
                if let Some(p) = z.pagesets.last_mut() {
                    match key {
                        "count" => p.count = num(val, "count")?,
                        "high" => p.high = num(val, "high")?,
                        "batch" => p.batch = num(val, "batch")?,
                        "high_min" => p.high_min = Some(num(val, "high_min")?),
                        "high_max" => p.high_max = Some(num(val, "high_max")?),
                        _ => {}
                    }
                }
                continue;
            }
            if indent != 8 {
                continue;
            }
            let slot = match key {
                "boost" => 1,
                "min" => 2,
                "low" => 3,
                "high" => 4,
                "promo" => 5,
                "spanned" => 6,
                "present" => 7,
                "managed" => 8,
                "cma" => 9,
                _ => continue,
            };
            let v = num(val, key)?;
            match slot {
                1 => z.boost = v,
                2 => z.min = v,
                3 => z.low = v,
                4 => z.high = v,
                5 => z.promo = v,
                6 => z.spanned = v,
                7 => z.present = v,
                8 => z.managed = v,
                _ => z.cma = v,
            }
            seen[slot] = true;
        }
        finish(zones.last(), &seen)?;
        if zones.is_empty() {
            return Err(err(
                1,
                ErrorKind::BadValue,
                "no `Node N, zone NAME` section: not a /proc/zoneinfo".into(),
            ));
        }
        Ok(Zoneinfo { zones })
    }

    /// Read and parse a zoneinfo file.
    ///
    /// ```
    /// let z = oxmm_host::machine::Zoneinfo::from_file(concat!(
    ///     env!("CARGO_MANIFEST_DIR"),
    ///     "/../../fixtures/linux-6.12-qemu/q35-3g-smp2/zoneinfo.txt"
    /// ))
    /// .unwrap();
    /// assert_eq!(z.zone(0, "DMA32").unwrap().pagesets[0].batch, 63);
    /// assert!(oxmm_host::machine::Zoneinfo::from_file("/nonexistent").is_err());
    /// ```
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Zoneinfo, MachineError> {
        let (origin, bytes) = super::read_input(path.as_ref())?;
        Self::parse(&String::from_utf8_lossy(&bytes), &origin)
    }

    /// The section of node `nid`'s zone `name`.
    ///
    /// ```
    /// let z = oxmm_host::machine::Zoneinfo::default();
    /// assert!(z.zone(0, "DMA").is_none());
    /// ```
    pub fn zone(&self, nid: u16, name: &str) -> Option<&ZoneinfoZone> {
        self.zones.iter().find(|z| z.nid == nid && z.zone == name)
    }
}
