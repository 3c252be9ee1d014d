//! Tests of the fixture parsers the conformance tests rely on: prefix stripping for every
//! timestamp style in the fixtures, the extracted line categories against what
//! `fixtures/bootlogs/INDEX.md` says each log contains, and arithmetic cross-checks between
//! a capture's boot log and its `/proc/zoneinfo`.

mod support;

use support::dmesg::{self, Category};
use support::zoneinfo;
use support::{bootlog_fixtures, fixtures_dir, qemu_fixtures, read_fixture};

#[test]
fn strips_every_prefix_style() {
    let cases = [
        (
            "[    0.052666]   DMA      [mem 0x1000-0xffffff]",
            "  DMA      [mem 0x1000-0xffffff]",
        ),
        ("[  +0.000001] Zone ranges:", "Zone ranges:"),
        (
            "[Tue Jan 20 10:17:44 2026] Movable zone start for each node",
            "Movable zone start for each node",
        ),
        (
            "Sep 25 02:28:53 localhost kernel:   node   0: [mem 0x1000-0x9efff]",
            "  node   0: [mem 0x1000-0x9efff]",
        ),
        (
            "[12345.678901] Fallback order for Node 0: 0 ",
            "Fallback order for Node 0: 0 ",
        ),
        // Not prefixes: left alone.
        (
            "[mem 0x1000-0x2000] odd line",
            "[mem 0x1000-0x2000] odd line",
        ),
        ("  Normal   empty", "  Normal   empty"),
        ("pcpu-alloc: [0] 0 1", "pcpu-alloc: [0] 0 1"),
    ];
    for (line, want) in cases {
        assert_eq!(dmesg::strip_prefix(line), want, "stripping {line:?}");
    }
}

#[test]
fn extracts_blocks_and_stops_at_foreign_lines() {
    let log = [
        "Zone ranges:",
        "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
        "  Normal   empty",
        "Movable zone start for each node",
        "  Node 1: 0x0000000100000000",
        "Early memory node ranges",
        "  node   0: [mem 0x0000000000001000-0x000000000009efff]",
        "  node   1: [mem 0x0000000100000000-0x000000017fffffff]",
        "Zeroed struct page in unavailable ranges: 7 pages",
        "Initmem setup node 0 [mem 0x0000000000001000-0x000000000009efff]",
        "  DMA zone: 28788 pages in unavailable ranges",
        "On node 1, zone Movable: 33 pages in unavailable ranges",
        "Fallback order for Node 0: 0 1 ",
        "Built 2 zonelists, mobility grouping on.  Total pages: 1048445",
    ];
    let x = dmesg::extract(&log);
    assert_eq!(x.zone_ranges.len(), 3);
    assert_eq!(x.movable_zone_start, vec![log[3], log[4]]);
    assert_eq!(x.early_node_ranges.len(), 3);
    assert_eq!(x.initmem_setup, vec![log[9]]);
    assert_eq!(x.unavailable.len(), 3);
    assert_eq!(x.fallback_order, vec!["Fallback order for Node 0: 0 1"]);
    assert_eq!(x.total_pages(), vec![1048445]);
    let u = x.unavailable_counts();
    assert_eq!(
        (u[0].node, u[0].zone.as_deref(), u[0].pages),
        (None, None, 7)
    );
    assert_eq!(
        (u[1].node, u[1].zone.as_deref(), u[1].pages),
        (None, Some("DMA"), 28788)
    );
    assert_eq!(
        (u[2].node, u[2].zone.as_deref(), u[2].pages),
        (Some(1), Some("Movable"), 33)
    );
    assert_eq!(
        x.zone_ranges_parsed(),
        vec![
            ("DMA".to_string(), Some((0x1000, 0xffffff))),
            ("Normal".to_string(), None)
        ]
    );
    assert_eq!(
        x.early_node_ranges_parsed()[1],
        (1, 0x1_0000_0000, 0x1_7fff_ffff)
    );
}

#[test]
fn first_difference_reports_position_and_both_sides() {
    let a = vec!["x".to_string(), "y".to_string()];
    let b = vec!["x".to_string(), "z".to_string()];
    assert_eq!(dmesg::first_difference(&a, &a), None);
    let d = dmesg::first_difference(&a, &b).unwrap();
    assert!(
        d.contains("line 2") && d.contains("\"y\"") && d.contains("\"z\""),
        "{d}"
    );
    let d = dmesg::first_difference(&a, &a[..1]).unwrap();
    assert!(d.contains("<nothing>"), "{d}");
    // Trailing blanks are not a difference (hand-transcribed logs lose them).
    assert_eq!(dmesg::first_difference(&["a ".into()], &["a".into()]), None);
}

/// `a` exactly when `b`: a category is listed in INDEX.md exactly when the parser finds it.
fn iff(a: bool, b: bool) -> bool {
    a == b
}

/// The `Lines present` codes of each row of `bootlogs/INDEX.md`, by file name.
fn index_codes() -> Vec<(String, Vec<String>)> {
    let text = read_fixture(&fixtures_dir().join("bootlogs/INDEX.md"));
    text.lines()
        .filter(|l| l.starts_with("| ") && l.contains(".txt"))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            let codes = cols[9]
                .split_whitespace()
                .map(|c| c.replace('\\', ""))
                .collect();
            (cols[2].to_string(), codes)
        })
        .collect()
}

#[test]
fn bootlog_categories_match_the_index() {
    let index = index_codes();
    let files = bootlog_fixtures();
    assert_eq!(
        index.len(),
        files.len(),
        "INDEX.md rows vs files in bootlogs/"
    );
    let mut problems = Vec::new();
    for (file, codes) in &index {
        let has = |c: &str| codes.iter().any(|x| x == c);
        let x = dmesg::extract(&dmesg::messages(&read_fixture(
            &fixtures_dir().join("bootlogs").join(file),
        )));
        let mut check = |ok: bool, what: &str| {
            if !ok {
                problems.push(format!("{file}: {what} (codes {codes:?})"));
            }
        };
        let zones = x.zone_ranges_parsed();
        check(iff(has("Z"), !zones.is_empty()), "Zone ranges block");
        let mz_nodes = x.movable_zone_start.len().saturating_sub(1);
        let want_mz = codes
            .iter()
            .find_map(|c| c.strip_prefix("MZ+").and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        check(
            iff(has("MZ") || want_mz > 0, !x.movable_zone_start.is_empty()) && mz_nodes == want_mz,
            "Movable zone start block",
        );
        check(
            iff(has("EN"), !x.early_node_ranges_parsed().is_empty()),
            "Early memory node ranges",
        );
        check(
            iff(has("I"), !x.initmem_setup.is_empty()),
            "Initmem setup lines",
        );
        let worded: Vec<_> = x
            .unavailable
            .iter()
            .filter(|l| !l.contains("Zeroed struct page"))
            .collect();
        check(
            iff(has("U") || has("U*"), !worded.is_empty()),
            "unavailable-range lines",
        );
        check(
            !has("U*") || worded.iter().all(|l| !l.starts_with("On node")),
            "older `X zone:` unavailable wording",
        );
        check(
            iff(has("F"), !x.fallback_order.is_empty()),
            "Fallback order lines",
        );
        check(
            iff(has("B"), x.total_pages().len() == 1),
            "one Built … Total pages line",
        );
        // Linux clamps the printed zone ranges to memblock's span: every node range lies
        // inside the zones' overall span.
        let lo = zones.iter().filter_map(|z| z.1).map(|r| r.0).min();
        let hi = zones.iter().filter_map(|z| z.1).map(|r| r.1).max();
        for (nid, s, e) in x.early_node_ranges_parsed() {
            check(
                lo.is_some_and(|lo| s >= lo) && hi.is_some_and(|hi| e <= hi),
                &format!("node {nid} range {s:#x}-{e:#x} outside the zone ranges"),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Pages of an inclusive byte range after Linux's rounding (start up, end down).
fn range_pages(s: u64, e: u64) -> u64 {
    ((e + 1) >> 12).saturating_sub(s.div_ceil(4096))
}

#[test]
fn qemu_captures_are_internally_consistent() {
    let cases = qemu_fixtures();
    assert!(
        cases.len() >= 15,
        "expected the committed QEMU captures, found {cases:?}"
    );
    for case in cases {
        let dir = fixtures_dir().join(&case);
        let x = dmesg::extract(&dmesg::messages(&read_fixture(&dir.join("dmesg.txt"))));
        let zi = zoneinfo::parse(&read_fixture(&dir.join("zoneinfo.txt")))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        for c in [
            Category::ZoneRanges,
            Category::EarlyNodeRanges,
            Category::InitmemSetup,
        ] {
            assert!(!x.get(c).is_empty(), "{case}: no {} lines", c.name());
        }
        let total = x.total_pages();
        assert_eq!(total.len(), 1, "{case}: Built … Total pages lines");
        // Linux 6.12 prints the present pages of all zones as `Total pages`.
        let present: u64 = zi.iter().map(|z| z.present).sum();
        assert_eq!(
            present, total[0],
            "{case}: sum of zoneinfo present vs Total pages"
        );
        // Present pages of each node are the pages of its early node ranges.
        let ranges = x.early_node_ranges_parsed();
        let mut nids: Vec<u32> = zi.iter().map(|z| z.nid).collect();
        nids.dedup();
        for nid in nids {
            let from_ranges: u64 = ranges
                .iter()
                .filter(|r| r.0 == nid)
                .map(|r| range_pages(r.1, r.2))
                .sum();
            let from_zoneinfo: u64 = zi.iter().filter(|z| z.nid == nid).map(|z| z.present).sum();
            assert_eq!(
                from_ranges, from_zoneinfo,
                "{case}: node {nid} present pages"
            );
        }
        for z in &zi {
            assert!(
                z.present <= z.spanned && z.managed <= z.present,
                "{case}: node {} zone {}: spanned {} present {} managed {}",
                z.nid,
                z.zone,
                z.spanned,
                z.present,
                z.managed
            );
        }
    }
}

#[test]
fn zoneinfo_parser_rejects_malformed_input() {
    assert!(zoneinfo::parse("").is_err());
    let e = zoneinfo::parse("Node 0, zone DMA\n  spanned 5\n  present 4\n").unwrap_err();
    assert!(e.contains("DMA"), "{e}");
    let e = zoneinfo::parse("Node x, zone DMA\n").unwrap_err();
    assert!(e.contains("line 1"), "{e}");
    let ok = zoneinfo::parse(
        "Node 1, zone   Normal\n  pages free     3\n        spanned  9\n        present  8\n        managed  7\n",
    )
    .unwrap();
    assert_eq!(
        ok,
        vec![zoneinfo::ZoneInfo {
            nid: 1,
            zone: "Normal".into(),
            spanned: 9,
            present: 8,
            managed: 7
        }]
    );
}
