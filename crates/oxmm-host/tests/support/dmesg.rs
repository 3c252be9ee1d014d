//! The memory-initialisation lines of a Linux boot log, as the conformance tests compare
//! them: Linux's `free_area_init` / `memmap_init` / `build_all_zonelists` output.
//!
//! The same extractor reads a real log (after [`messages`] has removed its timestamp
//! prefixes) and oxmm's own log, so both sides are compared line for line.

/// Zone names Linux prints in the `Zone ranges:` block (`zone_names[]`).
const ZONE_NAMES: [&str; 6] = ["DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"];

/// Remove the prefix a log collector put in front of a kernel message. Styles present in
/// the fixtures:
/// * `[    0.052666] ` — plain `dmesg`/console;
/// * `[  +0.000001] ` — `dmesg -H` (relative);
/// * `[Tue Jan 20 10:17:44 2026] ` — `dmesg -T` (wall clock);
/// * `Sep 25 02:28:53 localhost kernel: ` — syslog / journal export.
///
/// A line without a recognised prefix is returned unchanged. Exactly one space after the
/// prefix is removed, so the kernel's own indentation (`  DMA      [mem …]`) survives.
pub fn strip_prefix(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let stamp = &rest[..end];
            if is_seconds_stamp(stamp) || is_wall_clock_stamp(stamp) {
                let after = &rest[end + 1..];
                return after.strip_prefix(' ').unwrap_or(after);
            }
        }
        return line;
    }
    if let Some(idx) = line.find(" kernel: ") {
        if is_syslog_head(&line[..idx]) {
            return &line[idx + " kernel: ".len()..];
        }
    }
    line
}

/// `    0.052666` or `  +0.000001`.
fn is_seconds_stamp(s: &str) -> bool {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    match t.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// `Tue Jan 20 10:17:44 2026`.
fn is_wall_clock_stamp(s: &str) -> bool {
    let f: Vec<&str> = s.split_whitespace().collect();
    f.len() == 5
        && f[0].len() == 3
        && f[1].len() == 3
        && f[2].bytes().all(|c| c.is_ascii_digit())
        && is_clock(f[3])
        && f[4].len() == 4
        && f[4].bytes().all(|c| c.is_ascii_digit())
}

/// `Sep 25 02:28:53 localhost` (month, day, time, host).
fn is_syslog_head(s: &str) -> bool {
    let f: Vec<&str> = s.split_whitespace().collect();
    f.len() == 4
        && f[0].len() == 3
        && f[0].bytes().all(|c| c.is_ascii_alphabetic())
        && f[1].bytes().all(|c| c.is_ascii_digit())
        && is_clock(f[2])
}

/// `10:17:44`.
fn is_clock(s: &str) -> bool {
    let p: Vec<&str> = s.split(':').collect();
    p.len() == 3
        && p.iter()
            .all(|x| x.len() == 2 && x.bytes().all(|c| c.is_ascii_digit()))
}

/// The kernel messages of a fixture file: `#` header lines (the fixtures' provenance
/// notes) dropped, carriage returns removed, prefixes stripped with [`strip_prefix`].
pub fn messages(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| strip_prefix(l.trim_end_matches('\r')).to_string())
        .collect()
}

/// One kind of memory-initialisation output, in the order Linux prints them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Category {
    /// `Zone ranges:` and its `  DMA      [mem …]` / `  Normal   empty` lines.
    ZoneRanges,
    /// `Movable zone start for each node` and its `  Node N: 0x…` lines.
    MovableZoneStart,
    /// `Early memory node ranges` and its `  node   N: [mem …]` lines.
    EarlyNodeRanges,
    /// `Initmem setup node N [mem …]`.
    InitmemSetup,
    /// Every wording of the unavailable-range counts: `On node N, zone Z: N pages in
    /// unavailable ranges` (5.12+), `  DMA zone: N pages in unavailable ranges` (5.4–5.11),
    /// `Zeroed struct page in unavailable ranges: N pages` (4.19–5.x).
    Unavailable,
    /// `Fallback order for Node N: …`.
    FallbackOrder,
    /// `Built N zonelists, mobility grouping on.  Total pages: N` (and older variants
    /// with `in Zone order` / `in Node order`).
    BuiltZonelists,
}

impl Category {
    /// All categories, in print order.
    pub const ALL: [Category; 7] = [
        Category::ZoneRanges,
        Category::MovableZoneStart,
        Category::EarlyNodeRanges,
        Category::InitmemSetup,
        Category::Unavailable,
        Category::FallbackOrder,
        Category::BuiltZonelists,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Category::ZoneRanges => "Zone ranges",
            Category::MovableZoneStart => "Movable zone start",
            Category::EarlyNodeRanges => "Early memory node ranges",
            Category::InitmemSetup => "Initmem setup",
            Category::Unavailable => "unavailable ranges",
            Category::FallbackOrder => "Fallback order",
            Category::BuiltZonelists => "Built zonelists / Total pages",
        }
    }
}

/// The memory-initialisation lines of one log, by category, each in log order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemInitLines {
    /// [`Category::ZoneRanges`] lines, headers included.
    pub zone_ranges: Vec<String>,
    /// [`Category::MovableZoneStart`] lines, headers included.
    pub movable_zone_start: Vec<String>,
    /// [`Category::EarlyNodeRanges`] lines, headers included.
    pub early_node_ranges: Vec<String>,
    /// [`Category::InitmemSetup`] lines.
    pub initmem_setup: Vec<String>,
    /// [`Category::Unavailable`] lines.
    pub unavailable: Vec<String>,
    /// [`Category::FallbackOrder`] lines.
    pub fallback_order: Vec<String>,
    /// [`Category::BuiltZonelists`] lines.
    pub built_zonelists: Vec<String>,
}

impl MemInitLines {
    /// The lines of `cat`.
    pub fn get(&self, cat: Category) -> &[String] {
        match cat {
            Category::ZoneRanges => &self.zone_ranges,
            Category::MovableZoneStart => &self.movable_zone_start,
            Category::EarlyNodeRanges => &self.early_node_ranges,
            Category::InitmemSetup => &self.initmem_setup,
            Category::Unavailable => &self.unavailable,
            Category::FallbackOrder => &self.fallback_order,
            Category::BuiltZonelists => &self.built_zonelists,
        }
    }

    /// `Total pages: N` of every `Built … zonelists` line.
    pub fn total_pages(&self) -> Vec<u64> {
        self.built_zonelists
            .iter()
            .filter_map(|l| l.split("Total pages:").nth(1))
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    }

    /// Parsed unavailable-range counts.
    pub fn unavailable_counts(&self) -> Vec<Unavailable> {
        self.unavailable
            .iter()
            .filter_map(|l| parse_unavailable(l))
            .collect()
    }

    /// Parsed `Zone ranges:` entries (zone name, inclusive physical range or `None` when
    /// empty).
    pub fn zone_ranges_parsed(&self) -> Vec<(String, Option<(u64, u64)>)> {
        self.zone_ranges
            .iter()
            .filter(|l| is_zone_range_line(l))
            .map(|l| {
                let (name, rest) = l.trim_start().split_once(' ').unwrap_or((l, ""));
                (name.to_string(), parse_mem_range(rest))
            })
            .collect()
    }

    /// Parsed `Early memory node ranges` entries (node id, inclusive physical range).
    pub fn early_node_ranges_parsed(&self) -> Vec<(u32, u64, u64)> {
        self.early_node_ranges
            .iter()
            .filter(|l| is_early_node_line(l))
            .filter_map(|l| {
                let rest = l.trim_start().strip_prefix("node")?;
                let (nid, rest) = rest.split_once(':')?;
                let (s, e) = parse_mem_range(rest)?;
                Some((nid.trim().parse().ok()?, s, e))
            })
            .collect()
    }
}

/// One unavailable-range count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    /// The node, when the wording names it.
    pub node: Option<u32>,
    /// The zone, when the wording names it.
    pub zone: Option<String>,
    /// Pages counted.
    pub pages: u64,
}

/// Parse any of the three wordings of an unavailable-range line.
pub fn parse_unavailable(line: &str) -> Option<Unavailable> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("On node ") {
        // On node 0, zone DMA: 1 pages in unavailable ranges
        let (nid, rest) = rest.split_once(", zone ")?;
        let (zone, rest) = rest.split_once(": ")?;
        let pages = rest.strip_suffix(" pages in unavailable ranges")?;
        return Some(Unavailable {
            node: Some(nid.parse().ok()?),
            zone: Some(zone.to_string()),
            pages: pages.parse().ok()?,
        });
    }
    if let Some(rest) = t.strip_prefix("Zeroed struct page in unavailable ranges: ") {
        return Some(Unavailable {
            node: None,
            zone: None,
            pages: rest.strip_suffix(" pages")?.parse().ok()?,
        });
    }
    // DMA zone: 28788 pages in unavailable ranges
    let (zone, rest) = t.split_once(" zone: ")?;
    let pages = rest.strip_suffix(" pages in unavailable ranges")?;
    Some(Unavailable {
        node: None,
        zone: Some(zone.to_string()),
        pages: pages.parse().ok()?,
    })
}

/// `[mem 0x…-0x…]` anywhere in `s`, as an inclusive range.
pub fn parse_mem_range(s: &str) -> Option<(u64, u64)> {
    let inner = s.split("[mem ").nth(1)?.split(']').next()?;
    let (a, b) = inner.split_once('-')?;
    let hex = |x: &str| u64::from_str_radix(x.trim().trim_start_matches("0x"), 16).ok();
    Some((hex(a)?, hex(b)?))
}

/// `  DMA32    [mem 0x…-0x…]` or `  Normal   empty`.
fn is_zone_range_line(l: &str) -> bool {
    if !l.starts_with("  ") {
        return false;
    }
    let mut it = l.split_whitespace();
    let (Some(name), Some(rest)) = (it.next(), it.next()) else {
        return false;
    };
    ZONE_NAMES.contains(&name) && (rest == "empty" || rest == "[mem")
}

/// `  Node 1: 0x0000000100000000`.
fn is_movable_start_line(l: &str) -> bool {
    let Some(rest) = l.strip_prefix("  Node ") else {
        return false;
    };
    match rest.split_once(": 0x") {
        Some((nid, addr)) => {
            nid.bytes().all(|c| c.is_ascii_digit())
                && addr.trim_end().bytes().all(|c| c.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// `  node   0: [mem 0x…-0x…]`.
fn is_early_node_line(l: &str) -> bool {
    l.starts_with("  node ") && l.contains(": [mem ")
}

/// Whether a line belongs to the block being read.
type LineTest = fn(&str) -> bool;

/// Extract the memory-initialisation lines from a sequence of kernel messages (already
/// free of collector prefixes). Lines keep their indentation; trailing whitespace is
/// removed because hand-transcribed logs do not keep it reliably (the kernel prints
/// `Fallback order for Node 0: 0 ` with a trailing space).
pub fn extract<S: AsRef<str>>(messages: &[S]) -> MemInitLines {
    let mut out = MemInitLines::default();
    let mut i = 0;
    while i < messages.len() {
        let line = messages[i].as_ref().trim_end();
        let block: Option<(&mut Vec<String>, LineTest)> = match line {
            "Zone ranges:" => Some((&mut out.zone_ranges, is_zone_range_line)),
            "Movable zone start for each node" => {
                Some((&mut out.movable_zone_start, is_movable_start_line))
            }
            "Early memory node ranges" => Some((&mut out.early_node_ranges, is_early_node_line)),
            _ => None,
        };
        if let Some((dst, member)) = block {
            dst.push(line.to_string());
            i += 1;
            while i < messages.len() && member(messages[i].as_ref().trim_end()) {
                dst.push(messages[i].as_ref().trim_end().to_string());
                i += 1;
            }
            continue;
        }
        let t = line.trim_start();
        if t.starts_with("Initmem setup node ") {
            out.initmem_setup.push(line.to_string());
        } else if t.contains("unavailable ranges") && parse_unavailable(t).is_some() {
            out.unavailable.push(line.to_string());
        } else if t.starts_with("Fallback order for Node ") {
            out.fallback_order.push(line.to_string());
        } else if t.starts_with("Built ") && t.contains(" zonelists") && t.contains("Total pages:")
        {
            out.built_zonelists.push(line.to_string());
        }
        i += 1;
    }
    out
}

/// The first difference between an expected and an actual line sequence, as a report
/// line, or `None` when they are equal. Lines compare after trailing whitespace is
/// removed (see [`extract`]).
pub fn first_difference(expected: &[String], actual: &[String]) -> Option<String> {
    let n = expected.len().max(actual.len());
    for k in 0..n {
        let e = expected.get(k).map(|s| s.trim_end());
        let a = actual.get(k).map(|s| s.trim_end());
        if e != a {
            return Some(format!(
                "line {} of {} expected / {} printed: expected {:?}, oxmm printed {:?}",
                k + 1,
                expected.len(),
                actual.len(),
                e.unwrap_or("<nothing>"),
                a.unwrap_or("<nothing>")
            ));
        }
    }
    None
}
